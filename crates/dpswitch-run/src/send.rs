//! Requests out: one datagram on the data socket, then a wait on the
//! completion channel until the daemon says it has run, so its replies
//! are readable when the send returns, as the kernel runs a request
//! inside sendmsg() (T2 in docs/flow-commands.md).

use crate::addr::NlAddr;
use crate::error::{Errno, Result};
use crate::sys::fd;
use crate::{table, wire};
use dpswitch_proto::channel::{Token, TOKEN_LEN};
use std::os::fd::RawFd;

/// sendmsg/sendto/send/write on socket `fd`: `data` is the datagram,
/// `to` the address given with it, if any. The byte count, as the kernel
/// counts it (all of it, including what it ignores).
pub fn send(fd: RawFd, data: &[u8], flags: i32, to: Option<NlAddr>) -> Result<usize> {
    let peer = table::with(fd, |s| s.peer).ok_or(Errno::EBADF)?;
    let to = to.unwrap_or(peer);
    if to.groups != 0 {
        // Multicasting to other listeners is not something dpswitchd does.
        return Err(Errno::EOPNOTSUPP);
    }
    if to.pid != 0 {
        // Only the kernel (the daemon) is reachable, not other sockets.
        return Err(Errno::ECONNREFUSED);
    }
    // The kernel runs whole messages up to the first it cannot frame and
    // ignores the rest; the daemon would drop the connection instead.
    let framed = &data[..wire::framed_len(data)];
    if framed.is_empty() {
        return Ok(data.len());
    }
    let dumps = wire::dump_requests(framed);
    if !dumps.is_empty() {
        table::with(fd, |s| s.dumps.extend_from_slice(&dumps));
    }
    match transact(fd, framed, flags & libc::MSG_DONTWAIT) {
        Ok(_) => Ok(data.len()),
        Err(e) => {
            table::with(fd, |s| s.drop_dumps(&dumps));
            Err(if e == Errno::EPIPE {
                Errno::ECONNREFUSED
            } else {
                e
            })
        }
    }
}

/// Sends one datagram the adapter made itself (a membership request),
/// waiting for room if the socket is non-blocking: the token's error.
pub fn control(fd: RawFd, datagram: &[u8]) -> Result<i32> {
    loop {
        match transact(fd, datagram, 0) {
            Err(Errno::EAGAIN) => {
                fd::poll(&[(fd, libc::POLLOUT)], -1)?;
            }
            other => return other,
        }
    }
}

/// Sends `datagram` and waits for its token: the token's error. A
/// channel the daemon closed is 0: the datagram went, and the closed data
/// socket will say the rest.
fn transact(fd: RawFd, datagram: &[u8], flags: i32) -> Result<i32> {
    let (chan, turn) = table::with(fd, |s| (s.chan, s.turn.clone())).ok_or(Errno::EBADF)?;
    let _turn = turn.lock();
    fd::send(fd, datagram, flags)?;
    Ok(wait_done(chan).unwrap_or(0))
}

/// The next `Token::Done` on `chan`; None if the channel is closed.
/// Signals do not cut the wait short: the datagram is sent, a retry
/// would run it twice.
fn wait_done(chan: RawFd) -> Option<i32> {
    let mut buf = [0u8; TOKEN_LEN + 4];
    loop {
        match fd::recv(chan, &mut buf, 0) {
            Ok(0) => return None,
            Ok(n) => {
                if let Some(Token::Done { error }) = Token::decode(&buf[..n]) {
                    return Some(error);
                }
            }
            Err(Errno::EINTR | Errno::EAGAIN) => continue,
            Err(_) => return None,
        }
    }
}
