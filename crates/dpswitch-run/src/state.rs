//! What the adapter knows of one netlink socket it carries: the port id
//! the daemon gave it, its completion channel, the options set on it,
//! its groups, its peer and the dumps still being read.

use crate::addr::{group_mask, NlAddr};
use crate::options::{Flag, Flags};
use parking_lot::Mutex;
use std::collections::BTreeSet;
use std::os::fd::RawFd;
use std::sync::Arc;

#[derive(Debug)]
pub struct Sock {
    pub port_id: u32,
    /// The adapter's end of the completion channel.
    pub chan: RawFd,
    /// `SOCK_RAW` or `SOCK_DGRAM`, as socket() was asked.
    pub sock_type: i32,
    pub flags: Flags,
    pub groups: BTreeSet<u32>,
    /// connect()'s destination (pid 0: the kernel, i.e. the daemon).
    pub peer: NlAddr,
    /// Sequence numbers of dump requests whose end is not read yet.
    pub dumps: Vec<u32>,
    /// Held from a datagram's send to its token, so the tokens of
    /// concurrent senders come back to them in order.
    pub turn: Arc<Mutex<()>>,
}

impl Sock {
    pub fn new(port_id: u32, chan: RawFd, sock_type: i32) -> Sock {
        Sock {
            port_id,
            chan,
            sock_type,
            flags: Flags::default(),
            groups: BTreeSet::new(),
            peer: NlAddr::default(),
            dumps: Vec::new(),
            turn: Arc::new(Mutex::new(())),
        }
    }

    /// getsockname(): the port id, and groups 1 to 32 as a mask.
    pub fn local_addr(&self) -> NlAddr {
        NlAddr {
            pid: self.port_id,
            groups: group_mask(&self.groups),
        }
    }

    pub fn no_enobufs(&self) -> bool {
        self.flags.get(Flag::NoEnobufs)
    }

    pub fn dump_pending(&self) -> bool {
        !self.dumps.is_empty()
    }

    /// Forgets the dumps that `ended` says a datagram finished.
    pub fn end_dumps(&mut self, ended: impl Fn(u32) -> bool) {
        self.dumps.retain(|&seq| !ended(seq));
    }

    /// Forgets dumps `seqs` once each (their request was not sent).
    pub fn drop_dumps(&mut self, seqs: &[u32]) {
        for seq in seqs {
            if let Some(at) = self.dumps.iter().position(|s| s == seq) {
                self.dumps.remove(at);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dumps_end_one_by_one() {
        let mut s = Sock::new(5, 100, libc::SOCK_RAW);
        assert!(!s.dump_pending());
        s.dumps.extend([7, 8, 7]);
        s.drop_dumps(&[7]);
        assert_eq!(s.dumps, vec![8, 7]);
        s.end_dumps(|seq| seq == 8);
        assert_eq!(s.dumps, vec![7]);
        s.end_dumps(|seq| seq == 7);
        assert!(!s.dump_pending());
    }

    #[test]
    fn local_address_names_port_and_groups() {
        let mut s = Sock::new(0xabc, 100, libc::SOCK_RAW);
        s.groups.extend([4, 40]);
        assert_eq!(
            s.local_addr(),
            NlAddr {
                pid: 0xabc,
                groups: 1 << 3
            }
        );
    }
}
