//! The calls that only touch the adapter's record of a socket, or turn
//! into membership requests: bind, connect, getsockname, getpeername,
//! setsockopt and getsockopt at `SOL_NETLINK` (and the `SOL_SOCKET`
//! answers that name the socket's kind).

use crate::addr::{group_mask, NlAddr, Peer};
use crate::error::{token_errno, Errno, Result};
use crate::options::{self, SetOpt};
use crate::{send, table, wire};
use std::os::fd::RawFd;

fn port_id(fd: RawFd) -> Result<u32> {
    table::with(fd, |s| s.port_id).ok_or(Errno::EBADF)
}

/// bind(): the port id stays the daemon's whatever `nl_pid` asks (the
/// program reads it back with getsockname, as after an autobind); the
/// group mask replaces membership of groups 1 to 32, as the kernel does.
pub fn bind(fd: RawFd, addr: &[u8]) -> Result<()> {
    let addr = NlAddr::decode(addr)?;
    let current = table::with(fd, |s| group_mask(&s.groups)).ok_or(Errno::EBADF)?;
    for group in 1..=32u32 {
        let bit = 1u32 << (group - 1);
        match (addr.groups & bit != 0, current & bit != 0) {
            (true, false) => membership(fd, true, group)?,
            (false, true) => membership(fd, false, group)?,
            _ => {}
        }
    }
    Ok(())
}

/// connect(): records the destination of sends without an address;
/// AF_UNSPEC returns to the kernel.
pub fn connect(fd: RawFd, addr: &[u8]) -> Result<()> {
    let peer = match Peer::decode(addr)? {
        Peer::Unspec => NlAddr::default(),
        Peer::To(a) => a,
    };
    table::with(fd, |s| s.peer = peer).ok_or(Errno::EBADF)
}

pub fn local_addr(fd: RawFd) -> Result<NlAddr> {
    table::with(fd, |s| s.local_addr()).ok_or(Errno::EBADF)
}

pub fn peer_addr(fd: RawFd) -> Result<NlAddr> {
    table::with(fd, |s| s.peer).ok_or(Errno::EBADF)
}

/// Joins or leaves `group` through the daemon; its refusal is the errno.
fn membership(fd: RawFd, join: bool, group: u32) -> Result<()> {
    let request = wire::membership_request(join, group, port_id(fd)?);
    if let Some(e) = token_errno(send::control(fd, &request)?) {
        return Err(e);
    }
    table::with(fd, |s| {
        if join {
            s.groups.insert(group);
        } else {
            s.groups.remove(&group);
        }
    });
    Ok(())
}

/// setsockopt at `SOL_NETLINK`.
pub fn set_option(fd: RawFd, name: i32, value: &[u8]) -> Result<()> {
    match options::parse_set(name, value)? {
        SetOpt::Join(group) => membership(fd, true, group),
        SetOpt::Leave(group) => membership(fd, false, group),
        SetOpt::Flag(flag, on) => table::with(fd, |s| s.flags.set(flag, on)).ok_or(Errno::EBADF),
    }
}

/// getsockopt at `SOL_NETLINK`, for a buffer of `room` bytes.
pub fn get_option(fd: RawFd, name: i32, room: usize) -> Result<Vec<u8>> {
    let (flags, groups) = table::with(fd, |s| {
        (s.flags, s.groups.iter().copied().collect::<Vec<_>>())
    })
    .ok_or(Errno::EBADF)?;
    options::get(name, room, flags, &groups)
}

/// getsockopt at `SOL_SOCKET` where the answer is the netlink socket's
/// and not the Unix socket's: its type, domain and protocol. None for
/// every other option (the Unix socket answers).
pub fn socket_option(fd: RawFd, name: i32) -> Option<i32> {
    match name {
        libc::SO_TYPE => table::with(fd, |s| s.sock_type),
        libc::SO_DOMAIN => Some(libc::AF_NETLINK),
        libc::SO_PROTOCOL => Some(libc::NETLINK_GENERIC),
        _ => None,
    }
}
