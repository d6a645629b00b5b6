//! Why the flow table refused a change, with the errno a flow command
//! reports for it.

use super::flow::FlowId;
use crate::dpdk::DpdkError;
use nix::errno::Errno;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TableError {
    /// The table holds its limit of flows already; nothing changed.
    #[error("flow table is full ({limit} flows)")]
    Full { limit: usize },
    /// A flow with the same mask and masked key exists.
    #[error("flow {0:?} has the same match")]
    Exists(FlowId),
    /// Another flow has this UFID.
    #[error("flow {0:?} has the same ufid")]
    UfidInUse(FlowId),
    /// A UFID must be 1 to 16 bytes.
    #[error("ufid of {0} bytes (1 to 16 allowed)")]
    BadUfid(usize),
    #[error("no such flow")]
    NotFound,
    /// A subtable could not grow to hold another flow of its mask.
    #[error("no room for another flow of this mask")]
    NoSpace,
    /// Reader slots are 0 to max_readers - 1, one reader each.
    #[error("reader slot {slot}: {reason}")]
    BadReader { slot: u32, reason: String },
    #[error(transparent)]
    Dpdk(#[from] DpdkError),
}

impl TableError {
    /// The errno a flow command answers with.
    pub fn errno(&self) -> Errno {
        match self {
            TableError::Full { .. } => Errno::EFBIG,
            TableError::Exists(_) | TableError::UfidInUse(_) => Errno::EEXIST,
            TableError::BadUfid(_) | TableError::BadReader { .. } => Errno::EINVAL,
            TableError::NotFound => Errno::ENOENT,
            TableError::NoSpace => Errno::ENOSPC,
            TableError::Dpdk(err) => err.errno().unwrap_or(Errno::EIO),
        }
    }
}
