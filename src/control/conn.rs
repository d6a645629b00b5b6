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
use std::collections::VecDeque;
use std::io::Write;
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
    out: VecDeque<Outgoing>,
    out_bytes: usize,
    /// The last queued datagram is a dump part that may take more.
    open_part: bool,
}

/// What waits to be sent, in the order it must arrive.
enum Outgoing {
    Datagram(Vec<u8>),
    /// Goes on the completion channel once every datagram before it is
    /// on the connection.
    Token(Token),
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
            out: VecDeque::new(),
            out_bytes: 0,
            open_part: false,
        }
    }

    /// Whether to read more requests now: not while a dump or a backlog of
    /// replies is waiting for the client.
    pub fn wants_requests(&self) -> bool {
        !self.closing && !self.dead && self.dump.is_none() && self.out_bytes < READ_PAUSE_BYTES
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
        self.out_bytes
    }

    pub fn subscribed(&self, group: u32) -> bool {
        group < 64 && self.groups & (1 << group) != 0
    }

    /// Queues one message: a datagram of its own, except that a dump's
    /// messages join the dump part before them while it has room.
    pub fn queue(&mut self, message: Vec<u8>) {
        let header = Header::read(&message).unwrap_or_default();
        let ends_dump = header.msg_type == NLMSG_DONE;
        let multipart = header.flags & NLM_F_MULTI != 0 || ends_dump;
        self.out_bytes += message.len();
        let joined = match self.out.back_mut() {
            Some(Outgoing::Datagram(last))
                if multipart && self.open_part && last.len() + message.len() <= DATAGRAM_MAX =>
            {
                last.extend_from_slice(&message);
                true
            }
            _ => false,
        };
        if !joined {
            self.out.push_back(Outgoing::Datagram(message));
        }
        self.open_part = multipart && !ends_dump;
    }

    /// Queues a datagram as it is (a dump part).
    pub fn queue_datagram(&mut self, datagram: Vec<u8>) {
        self.out_bytes += datagram.len();
        self.open_part = false;
        self.out.push_back(Outgoing::Datagram(datagram));
    }

    /// Queues a token for the completion channel, if there is one.
    pub fn queue_token(&mut self, token: Token) {
        if self.channel.is_some() {
            self.open_part = false;
            self.out.push_back(Outgoing::Token(token));
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
        self.queue_datagram(header.to_bytes().to_vec());
    }

    /// Sends what the sockets take without blocking.
    pub fn flush(&mut self) {
        while let Some(next) = self.out.front() {
            let sent = match next {
                Outgoing::Datagram(datagram) => (&self.stream).write(datagram),
                Outgoing::Token(token) => match &self.channel {
                    Some(channel) => nix::unistd::write(channel, &token.encode())
                        .map_err(|e| std::io::Error::from_raw_os_error(e as i32)),
                    None => Ok(0),
                },
            };
            match sent {
                Ok(_) => self.pop_sent(),
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return,
                Err(e) if e.raw_os_error() == Some(Errno::EINTR as i32) => continue,
                Err(_) if matches!(next, Outgoing::Token(_)) => {
                    // The adapter closed its end: it waits for nothing more.
                    self.channel = None;
                    self.pop_sent();
                }
                Err(_) => {
                    self.dead = true;
                    return;
                }
            }
        }
        if self.closing {
            self.dead = true;
        }
    }

    fn pop_sent(&mut self) {
        if let Some(Outgoing::Datagram(datagram)) = self.out.pop_front() {
            self.out_bytes -= datagram.len();
            if Header::read(&datagram).is_some_and(|h| h.msg_type == NLMSG_OVERRUN) {
                self.overrun_queued = false;
            }
        }
        if self.out.is_empty() {
            self.open_part = false;
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
}
