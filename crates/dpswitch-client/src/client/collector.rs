//! Sorting what arrives on a connection: each message is either part of
//! the answer to an outstanding request (same sequence number, sent to this
//! connection's port id) or a multicast notification. A request's answer
//! is complete at its `NLMSG_ERROR` (error or ack) or, for a dump, at its
//! `NLMSG_DONE`; answers may be collected in any order.

use super::error::ClientError;
use super::message::Message;
use dpswitch_proto::netlink::attr::attrs_lenient;
use dpswitch_proto::netlink::consts::{
    NLMSGERR_ATTR_MSG, NLMSG_DONE, NLMSG_ERROR, NLMSG_HDRLEN, NLMSG_MIN_TYPE, NLMSG_NOOP,
    NLMSG_OVERRUN, NLM_F_ACK_TLVS, NLM_F_CAPPED,
};
use dpswitch_proto::netlink::msg::{messages, nlmsg_align};
use dpswitch_proto::netlink::RawMessage;
use nix::errno::Errno;
use rustc_hash::FxHashMap;
use std::collections::VecDeque;

#[derive(Debug, Default)]
struct Pending {
    dump: bool,
    replies: VecDeque<Message>,
    /// Set once the answer is complete.
    end: Option<Result<(), ClientError>>,
}

#[derive(Debug, Default)]
pub(super) struct Collector {
    /// Learned from the first reply: the daemon puts the connection's port
    /// id in every reply, and the originator's in a notification.
    port_id: Option<u32>,
    /// Keyed by sequence number with a cheap hash: a pipelining client
    /// adds and removes one entry per request.
    pending: FxHashMap<u32, Pending>,
    notifications: VecDeque<Message>,
    /// Why the daemon is closing the connection, when it said so.
    closing: Option<ClientError>,
}

/// How far the answer to one request has come.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Progress {
    /// The next reply of a dump, in order.
    Reply(Message),
    /// Complete: every reply, or the error that ended it.
    Done(Result<Vec<Message>, ClientError>),
    /// Nothing new yet: more must be received.
    Waiting,
}

impl Collector {
    pub fn port_id(&self) -> Option<u32> {
        self.port_id
    }

    /// Registers the request numbered `seq` as sent.
    pub fn expect(&mut self, seq: u32, dump: bool) {
        self.pending.insert(
            seq,
            Pending {
                dump,
                ..Pending::default()
            },
        );
    }

    pub fn is_outstanding(&self, seq: u32) -> bool {
        self.pending.contains_key(&seq)
    }

    pub fn outstanding(&self) -> usize {
        self.pending.len()
    }

    /// Sorts the messages of one received datagram.
    pub fn feed(&mut self, datagram: &[u8]) -> Result<(), ClientError> {
        for raw in messages(datagram) {
            let raw = raw.map_err(|e| ClientError::protocol(format!("unframeable reply: {e}")))?;
            self.sort(&raw)?;
        }
        Ok(())
    }

    fn sort(&mut self, raw: &RawMessage<'_>) -> Result<(), ClientError> {
        let seq = raw.header.seq;
        // Requests are numbered from 1: an error numbered 0 answers none.
        // It is the daemon's notice that it closes the connection (refused
        // or reclaimed, docs/control-socket.md "Connections and limits").
        if raw.header.msg_type == NLMSG_ERROR && seq == 0 {
            if let Err(e) = error_outcome(raw)? {
                self.closing = Some(e);
            }
            return Ok(());
        }
        let ours = self.port_id.is_none_or(|port| port == raw.header.pid);
        let Some(pending) = self
            .pending
            .get_mut(&seq)
            .filter(|p| ours && p.end.is_none())
        else {
            // Netlink control messages are only ever answers.
            if raw.header.msg_type >= NLMSG_MIN_TYPE {
                self.notifications.push_back(Message::copy_of(raw));
            }
            return Ok(());
        };
        self.port_id.get_or_insert(raw.header.pid);
        match raw.header.msg_type {
            NLMSG_NOOP => {}
            NLMSG_ERROR => pending.end = Some(error_outcome(raw)?),
            NLMSG_DONE if pending.dump => pending.end = Some(done_outcome(raw)),
            NLMSG_OVERRUN => {
                pending.end = Some(Err(ClientError::protocol("the daemon reported an overrun")))
            }
            _ => pending.replies.push_back(Message::copy_of(raw)),
        }
        Ok(())
    }

    /// The next step of the answer to `seq` (which must be outstanding).
    /// A dump hands out its replies one by one; any other request only
    /// when complete.
    pub fn progress(&mut self, seq: u32) -> Progress {
        let Some(pending) = self.pending.get_mut(&seq) else {
            return Progress::Done(Err(ClientError::new(
                Errno::EINVAL,
                format!("no request numbered {seq} is outstanding"),
            )));
        };
        if pending.dump {
            if let Some(reply) = pending.replies.pop_front() {
                return Progress::Reply(reply);
            }
        }
        if pending.end.is_none() {
            return Progress::Waiting;
        }
        let Some(done) = self.pending.remove(&seq) else {
            return Progress::Waiting;
        };
        Progress::Done(match done.end {
            Some(Err(e)) => Err(e),
            _ => Ok(done.replies.into()),
        })
    }

    pub fn pop_notification(&mut self) -> Option<Message> {
        self.notifications.pop_front()
    }

    /// The daemon's reason for closing the connection, once.
    pub fn take_closing(&mut self) -> Option<ClientError> {
        self.closing.take()
    }
}

/// An `NLMSG_ERROR`: Ok for an ack, else the errno with the daemon's text.
fn error_outcome(raw: &RawMessage<'_>) -> Result<Result<(), ClientError>, ClientError> {
    let error = raw
        .error()
        .map_err(|e| ClientError::protocol(format!("bad error reply: {e}")))?;
    let Some(errno) = error.errno() else {
        return Ok(Ok(()));
    };
    // The extended-ack attributes follow the echoed request: its header
    // only when capped, else the whole request.
    let echoed = if raw.header.flags & NLM_F_CAPPED != 0 {
        NLMSG_HDRLEN
    } else {
        nlmsg_align(error.request.len as usize).unwrap_or(usize::MAX)
    };
    let message = error_text(raw, 4usize.saturating_add(echoed));
    Ok(Err(ClientError::new(errno, message)))
}

/// An `NLMSG_DONE`: its status is 0 or a negative errno.
fn done_outcome(raw: &RawMessage<'_>) -> Result<(), ClientError> {
    let status = raw
        .payload
        .get(..4)
        .and_then(|b| b.try_into().ok())
        .map(i32::from_ne_bytes)
        .unwrap_or(0);
    if status == 0 {
        return Ok(());
    }
    Err(ClientError::new(
        Errno::from_raw(status.saturating_neg()),
        error_text(raw, 4),
    ))
}

/// The `NLMSGERR_ATTR_MSG` at `tlvs_at` in the payload, if the message
/// says it carries extended-ack attributes.
fn error_text(raw: &RawMessage<'_>, tlvs_at: usize) -> String {
    if raw.header.flags & NLM_F_ACK_TLVS == 0 {
        return String::new();
    }
    let tlvs = raw.payload.get(tlvs_at..).unwrap_or_default();
    attrs_lenient(tlvs)
        .filter(|a| a.kind() == NLMSGERR_ATTR_MSG)
        .last()
        .map(|a| {
            let text = a.payload();
            let end = text.iter().position(|&b| b == 0).unwrap_or(text.len());
            String::from_utf8_lossy(&text[..end]).into_owned()
        })
        .unwrap_or_default()
}
