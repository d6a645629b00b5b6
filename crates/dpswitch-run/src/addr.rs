//! `struct sockaddr_nl` as bytes, and the legacy 32-bit group mask it
//! carries.

use crate::error::{Errno, Result};

/// `sizeof(struct sockaddr_nl)`: family, pad, pid, groups.
pub const SOCKADDR_NL_LEN: usize = 12;

const AF_NETLINK: u16 = libc::AF_NETLINK as u16;
const AF_UNSPEC: u16 = libc::AF_UNSPEC as u16;

/// A netlink address: a port id and a mask of groups 1 to 32.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NlAddr {
    pub pid: u32,
    pub groups: u32,
}

/// What a `connect()` address asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Peer {
    /// `AF_UNSPEC`: back to the default destination, the kernel.
    Unspec,
    To(NlAddr),
}

impl NlAddr {
    pub fn encode(self) -> [u8; SOCKADDR_NL_LEN] {
        let mut out = [0; SOCKADDR_NL_LEN];
        out[0..2].copy_from_slice(&AF_NETLINK.to_ne_bytes());
        out[4..8].copy_from_slice(&self.pid.to_ne_bytes());
        out[8..12].copy_from_slice(&self.groups.to_ne_bytes());
        out
    }

    /// A `sockaddr_nl` given to bind, connect or sendto: EINVAL when it is
    /// short or not `AF_NETLINK`, as the kernel answers.
    pub fn decode(bytes: &[u8]) -> Result<NlAddr> {
        if bytes.len() < SOCKADDR_NL_LEN || family(bytes) != Some(AF_NETLINK) {
            return Err(Errno::EINVAL);
        }
        let word = |at: usize| {
            u32::from_ne_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
        };
        Ok(NlAddr {
            pid: word(4),
            groups: word(8),
        })
    }
}

impl Peer {
    pub fn decode(bytes: &[u8]) -> Result<Peer> {
        match family(bytes) {
            Some(AF_UNSPEC) => Ok(Peer::Unspec),
            Some(_) => NlAddr::decode(bytes).map(Peer::To),
            None => Err(Errno::EINVAL),
        }
    }
}

fn family(bytes: &[u8]) -> Option<u16> {
    Some(u16::from_ne_bytes([*bytes.first()?, *bytes.get(1)?]))
}

/// The legacy mask of a set of groups: group g (1..=32) is bit g - 1.
pub fn group_mask<'a>(groups: impl IntoIterator<Item = &'a u32>) -> u32 {
    groups
        .into_iter()
        .filter(|g| (1..=32).contains(*g))
        .fold(0, |mask, g| mask | 1 << (g - 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_refuses_what_the_kernel_refuses() {
        let a = NlAddr {
            pid: 0x1234_5678,
            groups: 0b1010,
        };
        let bytes = a.encode();
        assert_eq!(bytes[0..2], AF_NETLINK.to_ne_bytes());
        assert_eq!(NlAddr::decode(&bytes), Ok(a));
        assert_eq!(NlAddr::decode(&bytes[..11]), Err(Errno::EINVAL));
        let mut inet = bytes;
        inet[0..2].copy_from_slice(&(libc::AF_INET as u16).to_ne_bytes());
        assert_eq!(NlAddr::decode(&inet), Err(Errno::EINVAL));
        assert_eq!(Peer::decode(&(AF_UNSPEC).to_ne_bytes()), Ok(Peer::Unspec));
        assert_eq!(Peer::decode(&bytes), Ok(Peer::To(a)));
        assert_eq!(Peer::decode(&[0]), Err(Errno::EINVAL));
    }

    #[test]
    fn group_masks_hold_the_first_32_groups() {
        assert_eq!(group_mask(&[1, 4, 32, 33, 0]), 1 | 1 << 3 | 1 << 31);
        assert_eq!(group_mask(&[]), 0);
    }
}
