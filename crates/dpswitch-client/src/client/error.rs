//! What a request can fail with: an errno, as the daemon answered it or as
//! the socket reported it, and the daemon's explanation when it gave one.

use nix::errno::Errno;
use std::fmt;

/// A failed request or a failed connection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientError {
    /// The positive errno.
    pub errno: i32,
    /// The daemon's `NLMSGERR_ATTR_MSG`, or what the client was doing when
    /// the socket failed; empty when there is nothing to add.
    pub message: String,
}

impl ClientError {
    pub fn new(errno: i32, message: impl Into<String>) -> ClientError {
        ClientError {
            errno,
            message: message.into(),
        }
    }

    /// A socket call that failed while `doing` something.
    pub(super) fn os(errno: Errno, doing: impl Into<String>) -> ClientError {
        ClientError::new(errno as i32, doing)
    }

    /// A reply the client cannot make sense of.
    pub(super) fn protocol(message: impl Into<String>) -> ClientError {
        ClientError::new(Errno::EPROTO as i32, message)
    }
}

impl fmt::Display for ClientError {
    /// `EEXIST (File exists): <message>`, the message left out when empty.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match Errno::from_raw(self.errno) {
            Errno::UnknownErrno => write!(f, "errno {}", self.errno)?,
            errno => write!(f, "{errno:?} ({})", errno.desc())?,
        }
        if !self.message.is_empty() {
            write!(f, ": {}", self.message)?;
        }
        Ok(())
    }
}

impl std::error::Error for ClientError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn displays_errno_name_description_and_message() {
        let e = ClientError::new(22, "Flow key attr not present in new flow.");
        assert_eq!(
            e.to_string(),
            "EINVAL (Invalid argument): Flow key attr not present in new flow."
        );
        assert_eq!(ClientError::new(17, "").to_string(), "EEXIST (File exists)");
        assert_eq!(
            ClientError::new(100_000, "x").to_string(),
            "errno 100000: x"
        );
    }
}
