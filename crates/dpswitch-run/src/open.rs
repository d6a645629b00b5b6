//! socket(AF_NETLINK, *, NETLINK_GENERIC): a connection to dpswitchd's
//! control socket with its completion channel attached.

use crate::error::{Errno, Result};
use crate::state::Sock;
use crate::sys::fd;
use crate::{table, wire};
use dpswitch_proto::channel::{Token, TOKEN_LEN};
use std::os::fd::RawFd;
use std::os::unix::ffi::OsStrExt;

/// The control socket: `$DPSWITCH_SOCKET`, else dpswitchd's default.
#[cfg_attr(test, allow(dead_code))] // called by the interposed socket() only
pub fn socket_path() -> Vec<u8> {
    match std::env::var_os("DPSWITCH_SOCKET") {
        Some(path) if !path.is_empty() => path.as_bytes().to_vec(),
        _ => dpswitch_proto::DEFAULT_SOCKET.as_bytes().to_vec(),
    }
}

/// The socket() of a generic netlink socket, `ty` as given (type and
/// flags). Errors are those of the step that failed: connect's errno when
/// dpswitchd is not there.
#[cfg_attr(test, allow(dead_code))] // called by the interposed socket() only
pub fn open(ty: i32) -> Result<RawFd> {
    open_at(ty, &socket_path())
}

/// [`open`] with the control socket at `path`.
pub fn open_at(ty: i32, path: &[u8]) -> Result<RawFd> {
    let sock_type = ty & !(libc::SOCK_CLOEXEC | libc::SOCK_NONBLOCK);
    if sock_type != libc::SOCK_RAW && sock_type != libc::SOCK_DGRAM {
        return Err(Errno::ESOCKTNOSUPPORT);
    }
    // Blocking until attached; O_NONBLOCK afterwards if asked.
    let data = fd::socket(
        libc::AF_UNIX,
        libc::SOCK_SEQPACKET | (ty & libc::SOCK_CLOEXEC),
    )?;
    let attached = attach(data, path).and_then(|(port_id, chan)| {
        if ty & libc::SOCK_NONBLOCK != 0 {
            if let Err(e) = fd::set_nonblocking(data) {
                fd::close(chan);
                return Err(e);
            }
        }
        Ok((port_id, chan))
    });
    match attached {
        Ok((port_id, chan)) => {
            table::insert(data, Sock::new(port_id, chan, sock_type));
            Ok(data)
        }
        Err(e) => {
            fd::close(data);
            Err(e)
        }
    }
}

/// Connects `data` to `path` and attaches a completion channel: the port
/// id and the channel, moved out of the program's way.
fn attach(data: RawFd, path: &[u8]) -> Result<(u32, RawFd)> {
    fd::connect_unix(data, path)?;
    let (mine, theirs) = fd::seqpacket_pair()?;
    let sent = fd::send_with_fd(data, &wire::attach_request(), theirs);
    fd::close(theirs);
    let port_id = sent.and_then(|_| attached(data, mine));
    let port_id = match port_id {
        Ok(id) => id,
        Err(e) => {
            fd::close(mine);
            return Err(e);
        }
    };
    match fd::dup_high(mine) {
        Ok(high) => {
            fd::close(mine);
            Ok((port_id, high))
        }
        Err(_) => Ok((port_id, mine)),
    }
}

/// Waits for `Token::Attached` on `chan`. A daemon without the channel
/// answers the attach request on the data socket instead: its errno
/// (EPROTONOSUPPORT if it is none) rather than a wait for ever.
fn attached(data: RawFd, chan: RawFd) -> Result<u32> {
    loop {
        let ready = fd::poll(&[(chan, libc::POLLIN), (data, libc::POLLIN)], -1)?;
        if ready[0] != 0 {
            let mut token = [0u8; TOKEN_LEN + 4];
            let n = fd::recv(chan, &mut token, libc::MSG_DONTWAIT);
            match n {
                Err(Errno::EAGAIN | Errno::EINTR) => continue,
                Err(e) => return Err(e),
                Ok(0) => return Err(Errno::ECONNREFUSED),
                Ok(n) => {
                    return match Token::decode(&token[..n]) {
                        Some(Token::Attached { port_id }) => Ok(port_id),
                        _ => Err(Errno::EPROTO),
                    }
                }
            }
        }
        if ready[1] != 0 {
            let mut reply = [0u8; 64];
            return match fd::recv(data, &mut reply, libc::MSG_DONTWAIT) {
                Err(Errno::EAGAIN | Errno::EINTR) => continue,
                Err(e) => Err(e),
                Ok(0) => Err(Errno::ECONNREFUSED),
                Ok(n) => match wire::error_reply(&reply[..n]) {
                    Some(errno) if errno != 0 => Err(Errno::from_raw(errno)),
                    _ => Err(Errno::EPROTONOSUPPORT),
                },
            };
        }
    }
}
