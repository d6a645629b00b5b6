//! A client of dpswitchd's control socket (docs/control-socket.md): the
//! generic netlink families of the Open vSwitch kernel datapath over a Unix
//! `SOCK_SEQPACKET` connection.
//!
//! - `request` sends one request and returns its replies once acked;
//! - `submit` / `collect` pipeline many requests: submitted requests are
//!   packed into shared datagrams, and their answers are collected by
//!   sequence number, in any order;
//! - `dump` streams a multi-part reply across as many reads as it takes;
//! - `subscribe` and `recv_notification` follow a multicast group;
//! - `handle_upcalls` makes the connection a port's upcall handler: the
//!   packets the datapath sends up then arrive like notifications, to be
//!   read with `Upcall::parse`, and `execute` sends packets down.
//!
//! A connection subscribed to a group that also changes what the group
//! reports may find the notification of its own change among that
//! request's replies, as on a netlink socket.

mod collector;
mod error;
mod genl;
mod message;
mod ovs;
mod packet;
mod stats;
mod transport;

#[cfg(test)]
mod tests;

pub use error::ClientError;
pub use genl::{Family, McastGroup, DPSWITCH_CTRL_CMD_SUBSCRIBE, DPSWITCH_CTRL_CMD_UNSUBSCRIBE};
pub use message::{Message, Request};
pub use ovs::{Datapath, DpStats, MegaflowStats, Vport, VportStats};
pub use packet::Upcall;
pub use stats::{perf_report, DpswitchStats, PortLosses, UpcallReport};

use collector::{Collector, Progress};
use dpswitch_proto::netlink::consts::{NLM_F_ACK, NLM_F_DUMP};
use nix::errno::Errno;
use std::collections::HashMap;
use std::os::fd::OwnedFd;
use std::path::Path;
use std::time::Duration;
use transport::Transport;

/// Submitted requests are sent once this many bytes are waiting (or when
/// an answer is collected): few large datagrams instead of one per request,
/// each well within the socket buffers.
const BATCH_BYTES: usize = 16 * 1024;

pub struct Client {
    transport: Transport,
    collector: Collector,
    /// Submitted requests not sent yet.
    outgoing: Vec<u8>,
    last_seq: u32,
    families: HashMap<String, Family>,
}

impl Client {
    /// Connects to the control socket at `path`.
    pub fn connect(path: impl AsRef<Path>) -> Result<Client, ClientError> {
        Transport::connect(path.as_ref()).map(Client::new)
    }

    /// A client over an already connected `SOCK_SEQPACKET` socket.
    pub fn from_fd(fd: OwnedFd) -> Client {
        Client::new(Transport::from_fd(fd))
    }

    fn new(transport: Transport) -> Client {
        Client {
            transport,
            collector: Collector::default(),
            outgoing: Vec::new(),
            last_seq: 0,
            families: HashMap::new(),
        }
    }

    /// The connection's netlink port id, known once a reply has arrived.
    pub fn port_id(&self) -> Option<u32> {
        self.collector.port_id()
    }

    /// Sends `req` with `NLM_F_ACK` and waits for its answer: the replies
    /// before the ack, or the daemon's error.
    pub fn request(&mut self, req: &Request) -> Result<Vec<Message>, ClientError> {
        let seq = self.submit(req)?;
        self.collect(seq)
    }

    /// Queues `req` with `NLM_F_ACK` and returns its sequence number;
    /// collect its answer with `collect`.
    pub fn submit(&mut self, req: &Request) -> Result<u32, ClientError> {
        self.enqueue(req, NLM_F_ACK, false)
    }

    /// Sends every submitted request still waiting.
    pub fn flush(&mut self) -> Result<(), ClientError> {
        if self.outgoing.is_empty() {
            return Ok(());
        }
        let collector = &mut self.collector;
        let result = self
            .transport
            .send(&self.outgoing, &mut |datagram| collector.feed(datagram));
        self.outgoing.clear();
        result.map_err(|e| self.why_closed(e))
    }

    /// The answer to the submitted request `seq`: its replies, or its error.
    pub fn collect(&mut self, seq: u32) -> Result<Vec<Message>, ClientError> {
        self.flush()?;
        loop {
            match self.collector.progress(seq) {
                Progress::Done(answer) => return answer,
                // Only dumps hand out replies one by one.
                Progress::Reply(_) => {
                    return Err(ClientError::new(
                        Errno::EINVAL,
                        format!("request {seq} is a dump: iterate it"),
                    ))
                }
                Progress::Waiting => self.receive(None)?,
            };
        }
    }

    /// Requests outstanding: submitted and not collected.
    pub fn outstanding(&self) -> usize {
        self.collector.outstanding()
    }

    /// Sends `req` with `NLM_F_DUMP` and iterates its replies until
    /// `NLMSG_DONE`. Dropping the iterator early discards the rest.
    pub fn dump(&mut self, req: &Request) -> Result<Dump<'_>, ClientError> {
        let seq = self.enqueue(req, NLM_F_DUMP, true)?;
        self.flush()?;
        Ok(Dump {
            client: self,
            seq,
            finished: false,
        })
    }

    /// The family called `name`, resolved once per connection.
    pub fn family(&mut self, name: &str) -> Result<Family, ClientError> {
        if let Some(family) = self.families.get(name) {
            return Ok(family.clone());
        }
        let replies = self.request(&genl::get_family_request(name))?;
        let reply = replies
            .first()
            .ok_or_else(|| ClientError::protocol(format!("no reply describes family {name}")))?;
        let family = genl::parse_family(reply)?;
        self.families.insert(name.to_string(), family.clone());
        Ok(family)
    }

    /// The id of the family called `name` (resolved once per connection).
    pub fn family_id(&mut self, name: &str) -> Result<u16, ClientError> {
        match self.families.get(name) {
            Some(family) => Ok(family.id),
            None => self.family(name).map(|f| f.id),
        }
    }

    /// Subscribes this connection to multicast group `group`.
    pub fn subscribe(&mut self, group: u32) -> Result<(), ClientError> {
        self.request(&genl::membership_request(group, true))
            .map(drop)
    }

    pub fn unsubscribe(&mut self, group: u32) -> Result<(), ClientError> {
        self.request(&genl::membership_request(group, false))
            .map(drop)
    }

    /// Subscribes to the group called `group` of `family`; returns its id.
    pub fn subscribe_to(&mut self, family: &str, group: &str) -> Result<u32, ClientError> {
        let id = self.family(family)?.group(group).ok_or_else(|| {
            ClientError::new(
                Errno::ENOENT,
                format!("family {family} has no multicast group {group}"),
            )
        })?;
        self.subscribe(id)?;
        Ok(id)
    }

    /// The next notification, waiting as long as it takes.
    pub fn recv_notification(&mut self) -> Result<Message, ClientError> {
        loop {
            if let Some(msg) = self.recv_notification_timeout(Duration::from_secs(3600))? {
                return Ok(msg);
            }
        }
    }

    /// The next notification, or None when none arrived within `timeout`.
    pub fn recv_notification_timeout(
        &mut self,
        timeout: Duration,
    ) -> Result<Option<Message>, ClientError> {
        self.flush()?;
        let deadline = std::time::Instant::now() + timeout;
        loop {
            if let Some(msg) = self.collector.pop_notification() {
                return Ok(Some(msg));
            }
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            if left.is_zero() || !self.receive(Some(left))? {
                return Ok(self.collector.pop_notification());
            }
        }
    }

    fn enqueue(&mut self, req: &Request, extra: u16, dump: bool) -> Result<u32, ClientError> {
        if !self.outgoing.is_empty() && self.outgoing.len() + req.wire_len() > BATCH_BYTES {
            self.flush()?;
        }
        let seq = self.next_seq();
        req.encode_into(seq, extra, &mut self.outgoing)?;
        self.collector.expect(seq, dump);
        Ok(seq)
    }

    /// Numbers from 1, skipping numbers still outstanding after a wrap.
    fn next_seq(&mut self) -> u32 {
        loop {
            self.last_seq = self.last_seq.wrapping_add(1);
            if self.last_seq != 0 && !self.collector.is_outstanding(self.last_seq) {
                return self.last_seq;
            }
        }
    }

    /// Reads the datagrams waiting (at least one) and sorts their messages; false when `timeout`
    /// passed first.
    fn receive(&mut self, timeout: Option<Duration>) -> Result<bool, ClientError> {
        let collector = &mut self.collector;
        match self
            .transport
            .recv_batch(timeout, &mut |datagram| collector.feed(datagram))
        {
            Ok(received) => Ok(received),
            Err(e) => Err(self.why_closed(e)),
        }
    }

    /// A connection the daemon closed (EPIPE on send, end of stream on
    /// recv) fails with the reason the daemon gave, if it sent one: it
    /// waits unread behind the failed send.
    fn why_closed(&mut self, error: ClientError) -> ClientError {
        if ![Errno::EPIPE, Errno::ECONNRESET].contains(&error.errno) {
            return error;
        }
        while let Ok(Some(datagram)) = self.transport.recv(Some(Duration::ZERO)) {
            if self.collector.feed(datagram).is_err() {
                break;
            }
        }
        self.collector.take_closing().unwrap_or(error)
    }
}

/// The replies of a dump, in order; an error ends the iteration.
pub struct Dump<'a> {
    client: &'a mut Client,
    seq: u32,
    finished: bool,
}

impl Iterator for Dump<'_> {
    type Item = Result<Message, ClientError>;

    fn next(&mut self) -> Option<Self::Item> {
        while !self.finished {
            match self.client.collector.progress(self.seq) {
                Progress::Reply(msg) => return Some(Ok(msg)),
                Progress::Done(answer) => {
                    self.finished = true;
                    return answer.err().map(Err);
                }
                Progress::Waiting => {
                    if let Err(e) = self.client.receive(None) {
                        self.finished = true;
                        return Some(Err(e));
                    }
                }
            }
        }
        None
    }
}

impl Drop for Dump<'_> {
    fn drop(&mut self) {
        // Read the rest so the connection stays usable; a dead connection
        // reports itself on the next call.
        for reply in self.by_ref() {
            if reply.is_err() {
                break;
            }
        }
    }
}
