//! Failures as the C calls report them: an errno value.

pub use nix::errno::Errno;

pub type Result<T> = std::result::Result<T, Errno>;

/// The errno of a completion token's `error`, which may carry either sign
/// (netlink acks carry negative errnos).
pub fn token_errno(error: i32) -> Option<Errno> {
    (error != 0).then(|| Errno::from_raw(error.saturating_abs()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_errors_are_positive_either_way() {
        assert_eq!(token_errno(0), None);
        assert_eq!(token_errno(22), Some(Errno::EINVAL));
        assert_eq!(token_errno(-22), Some(Errno::EINVAL));
    }
}
