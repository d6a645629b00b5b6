//! Replies in: a datagram of the data socket, read as a netlink socket
//! reads: the overrun marker is ENOBUFS (or nothing, with
//! NETLINK_NO_ENOBUFS), and while a dump is being read a non-blocking
//! read waits for its next part instead of failing with EAGAIN, since the
//! kernel never makes a dump reader wait and Open vSwitch takes EAGAIN
//! for the end of the dump.

use crate::error::{Errno, Result};
use crate::sys::fd;
use crate::sys::user::UserBufs;
use crate::{table, wire};
use dpswitch_proto::consts::NLMSG_HDRLEN;
use std::os::fd::RawFd;

/// What a receive returns: its value and `msg_flags`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Received {
    pub len: usize,
    pub flags: i32,
}

enum Step {
    Data(Received),
    /// The overrun marker was read (and consumed).
    Overrun,
    /// Nothing queued while a dump is still being read.
    Again,
}

/// How long one wait for a dump's next part lasts before the dump is
/// looked at again (another thread may have read its end).
const DUMP_POLL_MS: i32 = 100;

/// recvmsg/recvfrom/recv/read on socket `fd` into `bufs`.
pub fn recv(fd: RawFd, bufs: &UserBufs, flags: i32) -> Result<Received> {
    if flags & libc::MSG_ERRQUEUE != 0 {
        // A netlink socket has no error queue.
        return Err(Errno::EAGAIN);
    }
    loop {
        let (dumping, no_enobufs) =
            table::with(fd, |s| (s.dump_pending(), s.no_enobufs())).ok_or(Errno::EBADF)?;
        let step = if dumping || bufs.capacity() < NLMSG_HDRLEN {
            through_own_buffer(fd, bufs, flags)?
        } else {
            straight(fd, bufs, flags)?
        };
        match step {
            Step::Data(received) => return Ok(received),
            Step::Overrun if no_enobufs => continue,
            Step::Overrun => return Err(Errno::ENOBUFS),
            Step::Again => {
                fd::poll(&[(fd, libc::POLLIN)], DUMP_POLL_MS)?;
            }
        }
    }
}

/// EAGAIN is `Step::Again` while a dump of `fd` is pending.
fn again_or(fd: RawFd, e: Errno) -> Result<Step> {
    if e == Errno::EAGAIN && table::with(fd, |s| s.dump_pending()).unwrap_or(false) {
        Ok(Step::Again)
    } else {
        Err(e)
    }
}

/// Forgets the dumps of `fd` whose end is in `datagram`.
fn end_dumps_in(fd: RawFd, datagram: &[u8]) {
    table::with(fd, |s| s.end_dumps(|seq| wire::ends_dump(datagram, seq)));
}

/// Removes the datagram at the head of the queue (an overrun marker seen
/// with MSG_PEEK: the kernel reports an overrun once, peeking or not).
fn discard(fd: RawFd) {
    let _ = fd::recv(fd, &mut [0u8; NLMSG_HDRLEN], libc::MSG_DONTWAIT);
}

/// No dump pending and room for a header: the datagram goes straight
/// into the caller's buffers, with the caller's flags.
fn straight(fd: RawFd, bufs: &UserBufs, flags: i32) -> Result<Step> {
    let asked = flags & (libc::MSG_PEEK | libc::MSG_DONTWAIT | libc::MSG_TRUNC | libc::MSG_WAITALL);
    let (len, msg_flags) = match fd::recv_into(fd, bufs, asked) {
        Ok(got) => got,
        Err(e) => return again_or(fd, e),
    };
    if len >= NLMSG_HDRLEN && wire::is_overrun(&bufs.head(NLMSG_HDRLEN)) {
        if flags & libc::MSG_PEEK != 0 {
            discard(fd);
        }
        return Ok(Step::Overrun);
    }
    if flags & libc::MSG_PEEK == 0 && table::with(fd, |s| s.dump_pending()).unwrap_or(false) {
        // Another thread started a dump meanwhile, whose end this may be;
        // what the buffers hold of it is all there is to see.
        end_dumps_in(fd, &bufs.head(len));
    }
    Ok(Step::Data(Received {
        len,
        flags: msg_flags & libc::MSG_TRUNC,
    }))
}

/// A dump pending (its end must be seen whatever the caller's buffer
/// holds) or a buffer too small for a header: the datagram comes into
/// the adapter's buffer first, then as much as fits goes to the caller's.
fn through_own_buffer(fd: RawFd, bufs: &UserBufs, flags: i32) -> Result<Step> {
    let dontwait = flags & libc::MSG_DONTWAIT;
    let mut head = [0u8; NLMSG_HDRLEN];
    let size = match fd::recv(fd, &mut head, dontwait | libc::MSG_PEEK | libc::MSG_TRUNC) {
        Ok(size) => size,
        Err(e) => return again_or(fd, e),
    };
    if size == 0 {
        // The daemon is gone: no dump will end.
        table::with(fd, |s| s.dumps.clear());
        return Ok(Step::Data(Received { len: 0, flags: 0 }));
    }
    let mut datagram = vec![0u8; size.max(NLMSG_HDRLEN)];
    let peek = flags & libc::MSG_PEEK;
    let real = match fd::recv(fd, &mut datagram, dontwait | peek | libc::MSG_TRUNC) {
        Ok(real) => real,
        Err(e) => return again_or(fd, e),
    };
    datagram.truncate(real.min(datagram.len()));
    if wire::is_overrun(&datagram) {
        if peek != 0 {
            discard(fd);
        }
        return Ok(Step::Overrun);
    }
    if peek == 0 {
        end_dumps_in(fd, &datagram);
    }
    let copied = bufs.scatter(&datagram);
    Ok(Step::Data(Received {
        len: if flags & libc::MSG_TRUNC != 0 {
            real
        } else {
            copied
        },
        flags: if real > copied { libc::MSG_TRUNC } else { 0 },
    }))
}
