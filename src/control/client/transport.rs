//! The `SOCK_SEQPACKET` connection: whole datagrams out and in. Sending
//! never blocks while replies wait to be read, because the daemon stops
//! reading a connection whose replies are not read: a send that cannot go
//! out yet hands what arrives meanwhile to the caller and tries again.

use super::error::ClientError;
use nix::errno::Errno;
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::sys::socket::{
    connect, recv, send, socket, AddressFamily, MsgFlags, SockFlag, SockType, UnixAddr,
};
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::path::Path;
use std::time::Duration;

/// The largest datagram the client reads. The daemon's replies are at most
/// 64 KiB each; a datagram also cannot exceed the sender's socket buffer.
const RECV_BUFFER: usize = 1 << 20;

pub(super) struct Transport {
    fd: OwnedFd,
    buf: Vec<u8>,
}

impl Transport {
    pub fn connect(path: &Path) -> Result<Transport, ClientError> {
        let doing = || format!("connecting to {}", path.display());
        let fd = socket(
            AddressFamily::Unix,
            SockType::SeqPacket,
            SockFlag::SOCK_CLOEXEC,
            None,
        )
        .map_err(|e| ClientError::os(e, doing()))?;
        let addr = UnixAddr::new(path).map_err(|e| ClientError::os(e, doing()))?;
        connect(fd.as_raw_fd(), &addr).map_err(|e| ClientError::os(e, doing()))?;
        Ok(Transport::from_fd(fd))
    }

    /// A transport over an already connected `SOCK_SEQPACKET` socket.
    pub fn from_fd(fd: OwnedFd) -> Transport {
        Transport {
            fd,
            buf: vec![0; RECV_BUFFER],
        }
    }

    /// Sends `data` as one datagram. While the socket has no room, each
    /// datagram that arrives is handed to `on_recv`.
    pub fn send(
        &mut self,
        data: &[u8],
        on_recv: &mut dyn FnMut(&[u8]) -> Result<(), ClientError>,
    ) -> Result<(), ClientError> {
        let flags = MsgFlags::MSG_DONTWAIT | MsgFlags::MSG_NOSIGNAL;
        loop {
            match send(self.fd.as_raw_fd(), data, flags) {
                Ok(sent) if sent == data.len() => return Ok(()),
                Ok(sent) => {
                    return Err(ClientError::protocol(format!(
                        "sent {sent} of {} bytes",
                        data.len()
                    )))
                }
                Err(Errno::EAGAIN) => {
                    let events = self.wait(PollFlags::POLLIN | PollFlags::POLLOUT, None)?;
                    if events
                        .intersects(PollFlags::POLLIN | PollFlags::POLLHUP | PollFlags::POLLERR)
                    {
                        let datagram = self.recv_now()?;
                        on_recv(datagram)?;
                    }
                }
                Err(Errno::EINTR) => {}
                Err(e) => return Err(ClientError::os(e, "sending to dpswitchd")),
            }
        }
    }

    /// Receives one datagram, waiting at most `timeout` (forever: None).
    pub fn recv(&mut self, timeout: Option<Duration>) -> Result<Option<&[u8]>, ClientError> {
        if timeout.is_some() && self.wait(PollFlags::POLLIN, timeout)?.is_empty() {
            return Ok(None);
        }
        self.recv_now().map(Some)
    }

    fn recv_now(&mut self) -> Result<&[u8], ClientError> {
        let len = loop {
            // MSG_TRUNC makes recv return the datagram's real length.
            match recv(self.fd.as_raw_fd(), &mut self.buf, MsgFlags::MSG_TRUNC) {
                Ok(len) => break len,
                Err(Errno::EINTR) => {}
                Err(e) => return Err(ClientError::os(e, "receiving from dpswitchd")),
            }
        };
        if len == 0 {
            return Err(ClientError::new(
                Errno::ECONNRESET as i32,
                "dpswitchd closed the connection",
            ));
        }
        if len > self.buf.len() {
            return Err(ClientError::new(
                Errno::EMSGSIZE as i32,
                format!(
                    "a {len}-byte datagram did not fit the {}-byte receive buffer",
                    self.buf.len()
                ),
            ));
        }
        Ok(&self.buf[..len])
    }

    /// Polls for `events`; returns those that occurred (none: timed out).
    fn wait(&self, events: PollFlags, timeout: Option<Duration>) -> Result<PollFlags, ClientError> {
        let timeout = match timeout {
            None => PollTimeout::NONE,
            // Rounded up: a wait must not end before its deadline.
            Some(t) => {
                PollTimeout::try_from(t.as_nanos().div_ceil(1_000_000)).unwrap_or(PollTimeout::MAX)
            }
        };
        let mut fds = [PollFd::new(self.fd.as_fd(), events)];
        loop {
            match poll(&mut fds, timeout) {
                Ok(0) => return Ok(PollFlags::empty()),
                Ok(_) => return Ok(fds[0].revents().unwrap_or(PollFlags::empty())),
                Err(Errno::EINTR) => {}
                Err(e) => return Err(ClientError::os(e, "waiting for dpswitchd")),
            }
        }
    }
}
