//! What a command handler sees of a request and what it gives back.

use crate::classifier::TableError;
use crate::flow::matching::MatchError;
use crate::netlink::error::NlError;
use nix::errno::Errno;

/// A refused command: the errno for `NLMSG_ERROR` and, where there is
/// one, the message the daemon logs and returns as the extended ack.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CmdError {
    pub errno: Errno,
    pub message: Option<String>,
}

impl CmdError {
    pub fn new(errno: Errno, message: impl Into<String>) -> CmdError {
        CmdError {
            errno,
            message: Some(message.into()),
        }
    }

    pub fn einval(message: impl Into<String>) -> CmdError {
        CmdError::new(Errno::EINVAL, message)
    }

    pub fn enodev() -> CmdError {
        CmdError::new(Errno::ENODEV, "no datapath with this dp_ifindex")
    }

    pub fn enoent(message: impl Into<String>) -> CmdError {
        CmdError::new(Errno::ENOENT, message)
    }
}

impl From<NlError> for CmdError {
    fn from(e: NlError) -> CmdError {
        CmdError::new(e.errno(), e.to_string())
    }
}

impl From<TableError> for CmdError {
    fn from(e: TableError) -> CmdError {
        CmdError::new(e.errno(), e.to_string())
    }
}

impl From<MatchError> for CmdError {
    fn from(e: MatchError) -> CmdError {
        CmdError::new(e.errno(), e.0)
    }
}

/// What a successful command produced, besides the ack.
#[derive(Debug, Default)]
pub struct Response {
    /// Messages for the requester, in order, before any ack.
    pub unicast: Vec<Vec<u8>>,
    /// A notification for the subscribers of a multicast group.
    pub notify: Option<(u32, Vec<u8>)>,
    /// The reply may only leave once every PMD lcore has passed a
    /// quiescent state (the change is then what every packet sees).
    pub needs_sync: bool,
}
