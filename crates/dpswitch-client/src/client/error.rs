//! What a request can fail with: an errno, as the daemon answered it or as
//! the socket reported it, and the daemon's explanation when it gave one.

use dpswitch_proto::netlink::NlError;
use nix::errno::Errno;
use std::fmt;

/// A failed request or a failed connection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientError {
    /// What failed, as errno.h names it; a number this libc does not name
    /// (no Linux daemon sends one) is `UnknownErrno`.
    pub errno: Errno,
    /// The daemon's `NLMSGERR_ATTR_MSG`, or what the client was doing when
    /// the socket failed; empty when there is nothing to add.
    pub message: String,
}

impl ClientError {
    pub fn new(errno: Errno, message: impl Into<String>) -> ClientError {
        ClientError {
            errno,
            message: message.into(),
        }
    }

    /// A socket call that failed while `doing` something.
    pub(super) fn os(errno: Errno, doing: impl Into<String>) -> ClientError {
        ClientError::new(errno, doing)
    }

    /// A reply the client cannot make sense of.
    pub(super) fn protocol(message: impl Into<String>) -> ClientError {
        ClientError::new(Errno::EPROTO, message)
    }
}

impl fmt::Display for ClientError {
    /// `EEXIST (File exists): <message>`, the message left out when empty.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.errno {
            Errno::UnknownErrno => write!(f, "unknown errno")?,
            errno => write!(f, "{errno:?} ({})", errno.desc())?,
        }
        if !self.message.is_empty() {
            write!(f, ": {}", self.message)?;
        }
        Ok(())
    }
}

impl std::error::Error for ClientError {}

/// A request the client could not encode.
impl From<NlError> for ClientError {
    fn from(e: NlError) -> ClientError {
        ClientError::new(e.errno(), e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn displays_errno_name_description_and_message() {
        let e = ClientError::new(Errno::EINVAL, "Flow key attr not present in new flow.");
        assert_eq!(
            e.to_string(),
            "EINVAL (Invalid argument): Flow key attr not present in new flow."
        );
        assert_eq!(
            ClientError::new(Errno::EEXIST, "").to_string(),
            "EEXIST (File exists)"
        );
        assert_eq!(
            ClientError::new(Errno::from_raw(100_000), "x").to_string(),
            "unknown errno: x"
        );
    }
}
