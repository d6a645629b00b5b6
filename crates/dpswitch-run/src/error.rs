//! Failures as the C calls report them: an errno value.

/// A positive errno value (`libc::EAGAIN`, ...).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Errno(pub i32);

pub type Result<T> = std::result::Result<T, Errno>;

impl Errno {
    /// The errno of a completion token's `error`, which may carry either
    /// sign (netlink acks carry negative errnos).
    pub fn from_token(error: i32) -> Option<Errno> {
        (error != 0).then(|| Errno(error.saturating_abs()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_errors_are_positive_either_way() {
        assert_eq!(Errno::from_token(0), None);
        assert_eq!(Errno::from_token(22), Some(Errno(22)));
        assert_eq!(Errno::from_token(-22), Some(Errno(22)));
    }
}
