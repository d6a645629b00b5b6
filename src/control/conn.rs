//! One client connection: its peer, its netlink port id, the multicast
//! groups it joined, and the replies waiting for it to read them.

use super::access::Peer;
use crate::classifier::FlowId;
use nix::errno::Errno;
use std::collections::VecDeque;
use std::io::Write;
use std::os::unix::net::UnixStream;

/// Replies are packed into datagrams of at most this many bytes (a
/// message larger than this goes alone), so a client reading with a
/// 16 KiB buffer or more never loses a reply.
pub const DATAGRAM_MAX: usize = 16 * 1024;
/// Stop reading a connection while this much is waiting for it.
pub const READ_PAUSE_BYTES: usize = 1 << 20;
/// Notifications for a connection with this much unread are dropped.
pub const NOTIFY_LIMIT_BYTES: usize = 4 << 20;

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
    out: VecDeque<Vec<u8>>,
    out_bytes: usize,
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
            out: VecDeque::new(),
            out_bytes: 0,
        }
    }

    /// Whether to read more requests now: not while a dump or a backlog of
    /// replies is waiting for the client.
    pub fn wants_requests(&self) -> bool {
        !self.closing && !self.dead && self.dump.is_none() && self.out_bytes < READ_PAUSE_BYTES
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

    /// Queues one message, packed with the previous one when both fit.
    pub fn queue(&mut self, message: Vec<u8>) {
        self.out_bytes += message.len();
        match self.out.back_mut() {
            Some(last) if last.len() + message.len() <= DATAGRAM_MAX => {
                last.extend_from_slice(&message)
            }
            _ => self.out.push_back(message),
        }
    }

    /// Queues a datagram as it is (a dump part).
    pub fn queue_datagram(&mut self, datagram: Vec<u8>) {
        self.out_bytes += datagram.len();
        self.out.push_back(datagram);
    }

    /// Sends what the socket takes without blocking.
    pub fn flush(&mut self) {
        while let Some(datagram) = self.out.front() {
            match (&self.stream).write(datagram) {
                Ok(_) => {
                    self.out_bytes -= datagram.len();
                    self.out.pop_front();
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return,
                Err(e) if e.raw_os_error() == Some(Errno::EINTR as i32) => continue,
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
}
