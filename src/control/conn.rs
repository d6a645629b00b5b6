//! One client connection: its peer, its netlink port id, the multicast
//! groups it joined, its completion channel if it has one, and the
//! datagrams waiting for it to read them.
//!
//! As the kernel sends one skb per reply (T1), every ack, error, echo,
//! notification and upcall is a datagram of its own; only the messages of
//! a dump (`NLM_F_MULTI`, and the `NLMSG_DONE` that ends it) share
//! datagrams, up to [`DATAGRAM_MAX`] bytes.

use super::access::Peer;
use crate::classifier::FlowId;
use crate::netlink::consts::{NLMSG_DONE, NLMSG_HDRLEN, NLMSG_OVERRUN, NLM_F_MULTI};
use dpswitch_proto::channel::Token;
use dpswitch_proto::frame::Header;
use nix::errno::Errno;
use rustix::net::{MMsgHdr, SendAncillaryBuffer, SendFlags};
use std::collections::VecDeque;
use std::io::IoSlice;
use std::os::fd::OwnedFd;
use std::os::unix::net::UnixStream;
use std::time::Instant;

/// Dump parts hold at most this many bytes (a message larger than this
/// goes alone), so a client reading with a 16 KiB buffer or more never
/// loses a reply.
pub const DATAGRAM_MAX: usize = 16 * 1024;
/// Stop reading a connection while this much is waiting for it.
pub const READ_PAUSE_BYTES: usize = 1 << 20;
/// Notifications and upcalls for a connection with this much unread are
/// dropped, as a netlink socket's full receive buffer drops them (Open
/// vSwitch asks for 1 MiB there). It stays below READ_PAUSE_BYTES, so
/// unread notifications never hold up a connection's own requests: a
/// flooded upcall handler can still be answered.
pub const NOTIFY_LIMIT_BYTES: usize = 512 << 10;

/// A dump in progress: where it resumes when the client has read the
/// previous part.
#[derive(Clone, Copy, Debug)]
pub struct FlowDump {
    pub seq: u32,
    pub ufid_flags: u32,
    pub after: Option<FlowId>,
}

pub struct Connection {
    pub stream: UnixStream,
    pub peer: Peer,
    pub port_id: u32,
    /// Bit g set: subscribed to multicast group g.
    pub groups: u64,
    pub dump: Option<FlowDump>,
    /// Close once what is queued is sent.
    pub closing: bool,
    /// The peer is gone or the socket failed: drop the connection.
    pub dead: bool,
    pub notifications_dropped: u64,
    /// A command that changes state passed the admin check on it: closing
    /// it to make room could lose what its client relies on (an upcall
    /// handler, a pending change).
    pub changed_state: bool,
    /// When it connected or last sent a request.
    pub active_at: Instant,
    /// The completion channel of a client standing in for a netlink
    /// socket (dpswitch_proto::channel).
    pub channel: Option<OwnedFd>,
    /// The completion token of the datagram that started the dump in
    /// progress: it goes after the dump's first part.
    pub token_after_part: Option<Token>,
    /// An overrun marker is queued and not yet sent.
    overrun_queued: bool,
    out: OutQueue,
    /// The last queued datagram is a dump part that may take more.
    open_part: bool,
}

/// Datagrams sent with one `sendmmsg` at most: each is still a datagram of
/// its own (T1), only the system calls are shared.
const SEND_BATCH: usize = 64;

/// What waits to be sent, in the order it must arrive: the datagrams'
/// bytes back to back in one buffer (replies are encoded straight into
/// it, and it is reused once sent), and the boundaries between them.
#[derive(Default)]
struct OutQueue {
    bytes: Vec<u8>,
    /// Where the first unsent datagram starts in `bytes`.
    head: usize,
    items: VecDeque<Outgoing>,
}

enum Outgoing {
    /// The next `len` bytes; `overrun` when it is the lone
    /// `NLMSG_OVERRUN` header.
    Datagram { len: usize, overrun: bool },
    /// Goes on the completion channel once every datagram before it is
    /// on the connection.
    Token(Token),
}

impl OutQueue {
    /// Bytes queued and not sent.
    fn pending(&self) -> usize {
        self.bytes.len() - self.head
    }

    fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Drops the first item, sent; the buffer starts over once empty.
    fn pop(&mut self) -> Option<Outgoing> {
        let item = self.items.pop_front()?;
        if let Outgoing::Datagram { len, .. } = item {
            self.head += len;
        }
        if self.items.is_empty() {
            self.bytes.clear();
            self.head = 0;
        } else if self.head >= 1 << 16 && self.head * 2 >= self.bytes.len() {
            // Keep what a slow reader leaves behind from growing the buffer.
            self.bytes.drain(..self.head);
            self.head = 0;
        }
        Some(item)
    }
}

impl Connection {
    pub fn new(stream: UnixStream, peer: Peer, port_id: u32) -> Connection {
        Connection {
            stream,
            peer,
            port_id,
            groups: 0,
            dump: None,
            closing: false,
            dead: false,
            notifications_dropped: 0,
            changed_state: false,
            active_at: Instant::now(),
            channel: None,
            token_after_part: None,
            overrun_queued: false,
            out: OutQueue::default(),
            open_part: false,
        }
    }

    /// Whether to read more requests now: not while a dump or a backlog of
    /// replies is waiting for the client.
    pub fn wants_requests(&self) -> bool {
        !self.closing && !self.dead && self.dump.is_none() && self.out.pending() < READ_PAUSE_BYTES
    }

    /// Whether closing it to make room for another peer loses nothing but
    /// the connection (docs/control-socket.md, "Connections and limits");
    /// how long it has been idle is the admission's to weigh.
    pub fn reclaimable(&self) -> bool {
        !self.changed_state
            && self.groups == 0
            && self.channel.is_none()
            && self.dump.is_none()
            && self.out.is_empty()
            && !self.closing
            && !self.dead
    }

    /// Open and not on its way out.
    pub fn open(&self) -> bool {
        !self.closing && !self.dead
    }

    pub fn has_output(&self) -> bool {
        !self.out.is_empty()
    }

    pub fn pending_bytes(&self) -> usize {
        self.out.pending()
    }

    pub fn subscribed(&self, group: u32) -> bool {
        group < 64 && self.groups & (1 << group) != 0
    }

    /// Queues one message: a datagram of its own, except that a dump's
    /// messages join the dump part before them while it has room.
    pub fn queue(&mut self, message: Vec<u8>) {
        self.queue_with(|out| out.extend_from_slice(&message));
    }

    /// Queues the message `encode` appends to the send buffer, encoded in
    /// place (nothing of its own to allocate); as [`Connection::queue`].
    /// An encoder that appends nothing queues nothing.
    pub fn queue_with(&mut self, encode: impl FnOnce(&mut Vec<u8>)) {
        let start = self.out.bytes.len();
        encode(&mut self.out.bytes);
        let len = self.out.bytes.len() - start;
        if len == 0 {
            return;
        }
        let header = Header::read(&self.out.bytes[start..]).unwrap_or_default();
        let ends_dump = header.msg_type == NLMSG_DONE;
        let multipart = header.flags & NLM_F_MULTI != 0 || ends_dump;
        // The last datagram ends where this message starts.
        let joined = match self.out.items.back_mut() {
            Some(Outgoing::Datagram { len: last, .. })
                if multipart && self.open_part && *last + len <= DATAGRAM_MAX =>
            {
                *last += len;
                true
            }
            _ => false,
        };
        if !joined {
            self.out.items.push_back(Outgoing::Datagram {
                len,
                overrun: false,
            });
        }
        self.open_part = multipart && !ends_dump;
    }

    /// Queues a datagram as it is (a dump part).
    pub fn queue_datagram(&mut self, datagram: Vec<u8>) {
        self.push_datagram(&datagram, false);
    }

    fn push_datagram(&mut self, datagram: &[u8], overrun: bool) {
        if datagram.is_empty() {
            return;
        }
        self.open_part = false;
        self.out.bytes.extend_from_slice(datagram);
        self.out.items.push_back(Outgoing::Datagram {
            len: datagram.len(),
            overrun,
        });
    }

    /// Queues a token for the completion channel, if there is one.
    pub fn queue_token(&mut self, token: Token) {
        if self.channel.is_some() {
            self.open_part = false;
            self.out.items.push_back(Outgoing::Token(token));
        }
    }

    /// Tells a client with a completion channel that something meant for
    /// it was dropped (its socket was full): a lone `NLMSG_OVERRUN`
    /// header, which its adapter reports as ENOBUFS, as netlink does.
    pub fn mark_overrun(&mut self) {
        if self.channel.is_none() || self.overrun_queued {
            return;
        }
        let header = Header {
            len: NLMSG_HDRLEN as u32,
            msg_type: NLMSG_OVERRUN,
            flags: 0,
            seq: 0,
            pid: self.port_id,
        };
        self.overrun_queued = true;
        self.push_datagram(&header.to_bytes(), true);
    }

    /// Sends what the sockets take without blocking: runs of datagrams
    /// with `sendmmsg`, each token once the datagrams before it are out.
    pub fn flush(&mut self) {
        loop {
            let sent = match self.out.items.front() {
                None => break,
                Some(Outgoing::Token(token)) => match &self.channel {
                    Some(channel) => match nix::unistd::write(channel, &token.encode()) {
                        Ok(_) => Ok(1),
                        Err(Errno::EAGAIN) => return,
                        Err(Errno::EINTR) => continue,
                        Err(_) => {
                            // The adapter closed its end: it waits for
                            // nothing more.
                            self.channel = None;
                            Ok(1)
                        }
                    },
                    None => Ok(1),
                },
                Some(Outgoing::Datagram { .. }) => self.send_datagrams(),
            };
            match sent {
                Ok(count) => {
                    for _ in 0..count {
                        if let Some(Outgoing::Datagram { overrun: true, .. }) = self.out.pop() {
                            self.overrun_queued = false;
                        }
                    }
                }
                Err(Errno::EAGAIN) => return,
                Err(Errno::EINTR) => continue,
                Err(_) => {
                    self.dead = true;
                    return;
                }
            }
        }
        self.open_part = false;
        if self.closing {
            self.dead = true;
        }
    }

    /// Sends the datagrams at the front of the queue, up to the next token
    /// and at most [`SEND_BATCH`], with one system call; returns how many
    /// went out (at least one, else the error).
    fn send_datagrams(&mut self) -> Result<usize, Errno> {
        let flags = SendFlags::DONTWAIT | SendFlags::NOSIGNAL;
        let mut slices: [[IoSlice<'_>; 1]; SEND_BATCH] = [[IoSlice::new(&[])]; SEND_BATCH];
        let mut count = 0;
        let mut at = self.out.head;
        for item in self.out.items.iter().take(SEND_BATCH) {
            let Outgoing::Datagram { len, .. } = item else {
                break;
            };
            slices[count] = [IoSlice::new(&self.out.bytes[at..at + len])];
            at += len;
            count += 1;
        }
        let to_errno = |e: rustix::io::Errno| Errno::from_raw(e.raw_os_error());
        if count == 1 {
            // One datagram needs no sendmmsg headers.
            let datagram = &self.out.bytes[self.out.head..at];
            return rustix::net::send(&self.stream, datagram, flags)
                .map(|_| 1)
                .map_err(to_errno);
        }
        let mut controls: [SendAncillaryBuffer<'_, '_, '_>; SEND_BATCH] =
            std::array::from_fn(|_| SendAncillaryBuffer::default());
        let mut headers: Vec<MMsgHdr<'_>> = slices[..count]
            .iter()
            .zip(controls.iter_mut())
            .map(|(iov, control)| MMsgHdr::new(iov, control))
            .collect();
        match rustix::net::sendmmsg(&self.stream, &mut headers, flags) {
            Ok(0) => Err(Errno::EAGAIN),
            Ok(n) => Ok(n),
            Err(e) => Err(to_errno(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::netlink::consts::NLMSG_ERROR;

    /// A connection and the client's end, kept open for it to write to.
    fn connection() -> (Connection, UnixStream) {
        let (ours, theirs) = UnixStream::pair().unwrap();
        let peer = Peer {
            pid: 1,
            uid: 1000,
            gid: 1000,
            admin: false,
        };
        (Connection::new(ours, peer, 7), theirs)
    }

    #[test]
    fn only_quiet_read_only_connections_are_reclaimable() {
        let (mut c, _client) = connection();
        assert!(c.reclaimable());
        c.groups = 1 << 4;
        assert!(!c.reclaimable(), "a subscriber");
        c.groups = 0;
        c.changed_state = true;
        assert!(!c.reclaimable(), "it changed state");
        c.changed_state = false;
        c.dump = Some(FlowDump {
            seq: 1,
            ufid_flags: 0,
            after: None,
        });
        assert!(!c.reclaimable(), "a dump in progress");
        c.dump = None;
        let reply = Header {
            len: NLMSG_HDRLEN as u32,
            msg_type: NLMSG_ERROR,
            flags: 0,
            seq: 1,
            pid: 7,
        };
        c.queue(reply.to_bytes().to_vec());
        assert!(!c.reclaimable(), "a reply not read yet");
        c.flush();
        assert!(c.reclaimable());
        c.closing = true;
        assert!(!c.reclaimable() && !c.open(), "already on its way out");
    }

    /// Many replies leave in batches and still arrive one per datagram, in
    /// order; a dump's messages share a part, and a token waits for the
    /// datagrams queued before it.
    #[test]
    fn batched_replies_stay_one_per_datagram_in_order() {
        // A socket pair of the control socket's type: datagrams.
        let (ours, client) = nix::sys::socket::socketpair(
            nix::sys::socket::AddressFamily::Unix,
            nix::sys::socket::SockType::SeqPacket,
            None,
            nix::sys::socket::SockFlag::SOCK_NONBLOCK,
        )
        .unwrap();
        let peer = Peer {
            pid: 1,
            uid: 1000,
            gid: 1000,
            admin: false,
        };
        let mut c = Connection::new(UnixStream::from(ours), peer, 7);
        let header = |seq: u32, msg_type: u16, flags: u16| Header {
            len: NLMSG_HDRLEN as u32,
            msg_type,
            flags,
            seq,
            pid: 7,
        };
        for seq in 1..=100 {
            c.queue_with(|out| out.extend_from_slice(&header(seq, NLMSG_ERROR, 0).to_bytes()));
        }
        c.queue(header(101, 0x22, NLM_F_MULTI).to_bytes().to_vec());
        c.queue(header(101, 0x22, NLM_F_MULTI).to_bytes().to_vec());
        c.queue(header(101, NLMSG_DONE, NLM_F_MULTI).to_bytes().to_vec());
        c.queue_with(|out| out.extend_from_slice(&header(102, NLMSG_ERROR, 0).to_bytes()));
        assert_eq!(c.pending_bytes(), 104 * NLMSG_HDRLEN);
        c.flush();
        assert!(!c.has_output() && !c.dead);
        assert_eq!(c.pending_bytes(), 0);
        let mut buf = [0u8; 4096];
        let mut sizes = Vec::new();
        let mut seqs = Vec::new();
        while let Ok((n, _)) = rustix::net::recv(&client, &mut buf, rustix::net::RecvFlags::empty())
        {
            sizes.push(n);
            seqs.push(Header::read(&buf[..n]).unwrap().seq);
        }
        assert_eq!(sizes.len(), 102);
        assert_eq!(seqs, (1..=102).collect::<Vec<u32>>());
        assert_eq!(
            sizes[100],
            3 * NLMSG_HDRLEN,
            "the dump's part holds all three"
        );
        assert!(sizes
            .iter()
            .enumerate()
            .all(|(i, n)| i == 100 || *n == NLMSG_HDRLEN));
    }
}
