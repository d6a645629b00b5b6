//! The `SOCK_SEQPACKET` connection: whole datagrams out and in. Sending
//! never blocks while replies wait to be read, because the daemon stops
//! reading a connection whose replies are not read: a send that cannot go
//! out yet hands what arrives meanwhile to the caller and tries again.

use super::error::ClientError;
use nix::errno::Errno;
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::sys::socket::{
    connect, recv, recvmmsg, send, socket, AddressFamily, MsgFlags, MultiHeaders, SockFlag,
    SockType, UnixAddr,
};
use std::io::IoSliceMut;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::path::Path;
use std::time::Duration;

/// The largest datagram the client reads. The daemon's replies are at most
/// 64 KiB each; a datagram also cannot exceed the sender's socket buffer.
const RECV_BUFFER: usize = 1 << 20;
/// Datagrams one `recvmmsg` takes at most: a pipelining client gets one
/// reply per datagram (an ack each), so it reads them in batches.
const RECV_BATCH: usize = 32;
/// The room of each datagram after the first in a batch: above what the
/// daemon's socket buffer lets it send in one datagram (Linux's default
/// `wmem_default` is 208 KiB), so none is cut; one that would be is an
/// error, as a datagram above `RECV_BUFFER` is. The pages are touched only
/// as far as datagrams fill them.
const BATCH_SLOT: usize = 256 << 10;

pub(super) struct Transport {
    fd: OwnedFd,
    buf: Vec<u8>,
    /// The batch's other datagrams, `BATCH_SLOT` bytes each.
    more: Vec<u8>,
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
            more: vec![0; (RECV_BATCH - 1) * BATCH_SLOT],
        }
    }

    /// Sends `data` as one datagram. While the socket has no room, the
    /// datagrams that arrive are handed to `on_recv`.
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
                        // Every reply waiting, not one per attempt: a
                        // pipelining client has many.
                        self.recv_batch(None, on_recv)?;
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

    /// Receives every datagram waiting, at least one, waiting for the first
    /// at most `timeout` (forever: None), and hands each to `on_recv` in
    /// arrival order; false when `timeout` passed first.
    pub fn recv_batch(
        &mut self,
        timeout: Option<Duration>,
        on_recv: &mut dyn FnMut(&[u8]) -> Result<(), ClientError>,
    ) -> Result<bool, ClientError> {
        if timeout.is_some() && self.wait(PollFlags::POLLIN, timeout)?.is_empty() {
            return Ok(false);
        }
        let mut got = [(0usize, false); RECV_BATCH];
        let count = loop {
            let mut headers = MultiHeaders::<()>::preallocate(RECV_BATCH, None);
            let mut slots: Vec<[IoSliceMut<'_>; 1]> = std::iter::once(&mut self.buf[..])
                .chain(self.more.chunks_mut(BATCH_SLOT))
                .map(|slot| [IoSliceMut::new(slot)])
                .collect();
            // MSG_TRUNC makes each length the datagram's real one;
            // MSG_WAITFORONE waits for the first only.
            let flags = MsgFlags::MSG_TRUNC | MsgFlags::MSG_WAITFORONE;
            match recvmmsg(self.fd.as_raw_fd(), &mut headers, &mut slots, flags, None) {
                Ok(results) => {
                    let mut count = 0;
                    for (slot, result) in got.iter_mut().zip(results) {
                        *slot = (result.bytes, result.flags.contains(MsgFlags::MSG_TRUNC));
                        count += 1;
                    }
                    break count;
                }
                Err(Errno::EINTR) => {}
                Err(e) => return Err(ClientError::os(e, "receiving from dpswitchd")),
            }
        };
        for (index, &(len, truncated)) in got[..count].iter().enumerate() {
            // The end of the stream after datagrams: they are answers to
            // sort first; the next receive meets the end again.
            if index > 0 && len == 0 {
                break;
            }
            let slot = match index {
                0 => &self.buf[..],
                _ => &self.more[(index - 1) * BATCH_SLOT..index * BATCH_SLOT],
            };
            let datagram = checked(slot, len, truncated)?;
            on_recv(datagram)?;
        }
        Ok(true)
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
        checked(&self.buf, len, false)
    }
}

/// The datagram of `len` bytes received into `slot`: the end of the
/// stream when empty, an error when it did not fit.
fn checked(slot: &[u8], len: usize, truncated: bool) -> Result<&[u8], ClientError> {
    if len == 0 {
        return Err(ClientError::new(
            Errno::ECONNRESET,
            "dpswitchd closed the connection",
        ));
    }
    if len > slot.len() || truncated {
        return Err(ClientError::new(
            Errno::EMSGSIZE,
            format!(
                "a {len}-byte datagram did not fit the {}-byte receive buffer",
                slot.len()
            ),
        ));
    }
    Ok(&slot[..len])
}

impl Transport {
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
