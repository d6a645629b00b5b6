//! `SOL_NETLINK` socket options: what setsockopt and getsockopt mean for
//! a netlink socket, decoded from and encoded to the caller's bytes.

use crate::error::{Errno, Result};

#[cfg_attr(test, allow(dead_code))] // used by the interposed calls only
pub const SOL_NETLINK: i32 = 270;

pub const NETLINK_ADD_MEMBERSHIP: i32 = 1;
pub const NETLINK_DROP_MEMBERSHIP: i32 = 2;
pub const NETLINK_PKTINFO: i32 = 3;
pub const NETLINK_BROADCAST_ERROR: i32 = 4;
pub const NETLINK_NO_ENOBUFS: i32 = 5;
pub const NETLINK_LISTEN_ALL_NSID: i32 = 8;
pub const NETLINK_LIST_MEMBERSHIPS: i32 = 9;
pub const NETLINK_CAP_ACK: i32 = 10;
pub const NETLINK_EXT_ACK: i32 = 11;
pub const NETLINK_GET_STRICT_CHK: i32 = 12;

/// The on/off options, recorded as the kernel keeps them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flag {
    PktInfo,
    BroadcastError,
    NoEnobufs,
    ListenAllNsid,
    CapAck,
    ExtAck,
    GetStrictChk,
}

impl Flag {
    fn of(name: i32) -> Option<Flag> {
        Some(match name {
            NETLINK_PKTINFO => Flag::PktInfo,
            NETLINK_BROADCAST_ERROR => Flag::BroadcastError,
            NETLINK_NO_ENOBUFS => Flag::NoEnobufs,
            NETLINK_LISTEN_ALL_NSID => Flag::ListenAllNsid,
            NETLINK_CAP_ACK => Flag::CapAck,
            NETLINK_EXT_ACK => Flag::ExtAck,
            NETLINK_GET_STRICT_CHK => Flag::GetStrictChk,
            _ => return None,
        })
    }

    fn bit(self) -> u8 {
        1 << self as u8
    }
}

/// The set of flags that are on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Flags(u8);

impl Flags {
    pub fn get(self, flag: Flag) -> bool {
        self.0 & flag.bit() != 0
    }

    pub fn set(&mut self, flag: Flag, on: bool) {
        if on {
            self.0 |= flag.bit();
        } else {
            self.0 &= !flag.bit();
        }
    }
}

/// A `setsockopt(SOL_NETLINK, ...)` request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SetOpt {
    Join(u32),
    Leave(u32),
    Flag(Flag, bool),
}

/// Decodes a set request as the kernel does: an int-sized value at
/// least (EINVAL), group 0 is no group (EINVAL), unknown or read-only
/// names are ENOPROTOOPT (the removed mmap rings included).
pub fn parse_set(name: i32, value: &[u8]) -> Result<SetOpt> {
    let known = matches!(name, NETLINK_ADD_MEMBERSHIP | NETLINK_DROP_MEMBERSHIP)
        || Flag::of(name).is_some();
    if !known {
        return Err(Errno::ENOPROTOOPT);
    }
    let word: [u8; 4] = value
        .get(..4)
        .and_then(|w| w.try_into().ok())
        .ok_or(Errno::EINVAL)?;
    let value = u32::from_ne_bytes(word);
    match (name, Flag::of(name)) {
        (NETLINK_ADD_MEMBERSHIP | NETLINK_DROP_MEMBERSHIP, _) if value == 0 => Err(Errno::EINVAL),
        (NETLINK_ADD_MEMBERSHIP, _) => Ok(SetOpt::Join(value)),
        (NETLINK_DROP_MEMBERSHIP, _) => Ok(SetOpt::Leave(value)),
        (_, Some(flag)) => Ok(SetOpt::Flag(flag, value != 0)),
        _ => Err(Errno::ENOPROTOOPT),
    }
}

/// The value `getsockopt(SOL_NETLINK, name)` returns when the caller's
/// buffer holds `room` bytes: a flag as an int; the memberships as a
/// bitmap of u32 words (its whole length reported, as much of it copied
/// as fits). A buffer shorter than an int is EINVAL.
pub fn get(name: i32, room: usize, flags: Flags, groups: &[u32]) -> Result<Vec<u8>> {
    if room < 4 {
        return Err(Errno::EINVAL);
    }
    if name == NETLINK_LIST_MEMBERSHIPS {
        let words = groups
            .iter()
            .map(|g| (g.saturating_sub(1) / 32) as usize + 1)
            .max()
            .unwrap_or(1);
        let mut bitmap = vec![0u32; words];
        for &g in groups.iter().filter(|g| **g > 0) {
            bitmap[((g - 1) / 32) as usize] |= 1 << ((g - 1) % 32);
        }
        return Ok(bitmap.iter().flat_map(|w| w.to_ne_bytes()).collect());
    }
    let flag = Flag::of(name).ok_or(Errno::ENOPROTOOPT)?;
    Ok(i32::from(flags.get(flag)).to_ne_bytes().to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn int(v: i32) -> [u8; 4] {
        v.to_ne_bytes()
    }

    #[test]
    fn set_requests_decode_as_the_kernel_takes_them() {
        assert_eq!(
            parse_set(NETLINK_ADD_MEMBERSHIP, &int(4)),
            Ok(SetOpt::Join(4))
        );
        assert_eq!(
            parse_set(NETLINK_DROP_MEMBERSHIP, &int(4)),
            Ok(SetOpt::Leave(4))
        );
        assert_eq!(
            parse_set(NETLINK_ADD_MEMBERSHIP, &int(0)),
            Err(Errno::EINVAL)
        );
        assert_eq!(
            parse_set(NETLINK_ADD_MEMBERSHIP, &[4, 0]),
            Err(Errno::EINVAL)
        );
        assert_eq!(
            parse_set(NETLINK_EXT_ACK, &int(1)),
            Ok(SetOpt::Flag(Flag::ExtAck, true))
        );
        assert_eq!(
            parse_set(NETLINK_NO_ENOBUFS, &int(0)),
            Ok(SetOpt::Flag(Flag::NoEnobufs, false))
        );
        for name in [6, 7, NETLINK_LIST_MEMBERSHIPS, 99] {
            assert_eq!(parse_set(name, &int(1)), Err(Errno::ENOPROTOOPT), "{name}");
        }
    }

    #[test]
    fn flags_are_independent() {
        let mut f = Flags::default();
        f.set(Flag::NoEnobufs, true);
        f.set(Flag::ExtAck, true);
        f.set(Flag::ExtAck, false);
        assert!(f.get(Flag::NoEnobufs));
        assert!(!f.get(Flag::ExtAck));
        assert_eq!(get(NETLINK_NO_ENOBUFS, 4, f, &[]), Ok(int(1).to_vec()));
        assert_eq!(get(NETLINK_CAP_ACK, 8, f, &[]), Ok(int(0).to_vec()));
        assert_eq!(get(NETLINK_CAP_ACK, 3, f, &[]), Err(Errno::EINVAL));
        assert_eq!(get(42, 4, f, &[]), Err(Errno::ENOPROTOOPT));
    }

    #[test]
    fn memberships_are_a_bitmap_of_words() {
        let f = Flags::default();
        assert_eq!(get(NETLINK_LIST_MEMBERSHIPS, 4, f, &[]), Ok(vec![0; 4]));
        assert_eq!(
            get(NETLINK_LIST_MEMBERSHIPS, 4, f, &[1, 4]),
            Ok(0b1001u32.to_ne_bytes().to_vec())
        );
        let two = get(NETLINK_LIST_MEMBERSHIPS, 4, f, &[33]).unwrap();
        assert_eq!(two, [0u32.to_ne_bytes(), 1u32.to_ne_bytes()].concat());
    }
}
