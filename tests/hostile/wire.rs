//! A raw client for hostile input: it sends any bytes as one datagram,
//! reads replies with a buffer larger than any reply the daemon makes,
//! checks that every reply frames, and tells an answer from a closed
//! connection. A "barrier" (a valid CTRL_CMD_GETFAMILY with NLM_F_ACK and
//! a sequence number of its own) follows each datagram, so the client
//! knows when the daemon is done with it even when the datagram asked
//! for no answer.

use crate::common::{connect_seqpacket, Received};
use dpswitch::netlink::attr::AttrWriter;
use dpswitch::netlink::consts::*;
use dpswitch::netlink::msg::{messages, GenlHeader, GenlMessage, NlMsgHeader};
use nix::errno::Errno;
use nix::sys::socket::{recvmsg, send, setsockopt, sockopt, MsgFlags};
use std::io::IoSliceMut;
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::path::Path;

/// Larger than any reply: an error echoes at most the daemon's 256 KiB
/// receive buffer.
const RECV_MAX: usize = 1 << 20;
/// Barrier sequence numbers; the corpus keeps its own below this.
const BARRIER_SEQ_BASE: u32 = 0xf000_0000;

pub struct Wire {
    stream: UnixStream,
    barrier_seq: u32,
}

/// What the daemon did with one datagram.
#[derive(Debug)]
pub enum Outcome {
    /// It answered the barrier; these came before.
    Answered(Vec<Received>),
    /// It closed the connection after sending these.
    Closed(Vec<Received>),
}

impl Outcome {
    pub fn replies(&self) -> &[Received] {
        match self {
            Outcome::Answered(r) | Outcome::Closed(r) => r,
        }
    }

    pub fn closed(&self) -> bool {
        matches!(self, Outcome::Closed(_))
    }
}

impl Wire {
    pub fn connect(path: &Path) -> Wire {
        let stream =
            connect_seqpacket(path).unwrap_or_else(|e| panic!("connect {}: {e}", path.display()));
        Wire {
            stream,
            barrier_seq: BARRIER_SEQ_BASE,
        }
    }

    /// Lets one datagram of `bytes` leave this socket (root only), for
    /// datagrams beyond the default send buffer.
    pub fn force_send_buffer(&self, bytes: usize) {
        setsockopt(&self.stream, sockopt::SndBufForce, &bytes).expect("SO_SNDBUFFORCE");
    }

    /// False when the daemon has closed the connection.
    pub fn send(&self, datagram: &[u8]) -> bool {
        match send(self.stream.as_raw_fd(), datagram, MsgFlags::MSG_NOSIGNAL) {
            Ok(n) => {
                assert_eq!(n, datagram.len(), "a datagram leaves whole");
                true
            }
            Err(Errno::EPIPE | Errno::ECONNRESET) => false,
            Err(e) => panic!("send {} bytes: {e}", datagram.len()),
        }
    }

    /// One datagram of replies, each checked to frame; None once the
    /// daemon has closed the connection. A daemon that neither answers nor
    /// closes within the socket's read timeout fails the test.
    pub fn recv(&self) -> Option<Vec<Received>> {
        let mut buf = vec![0u8; RECV_MAX];
        let (len, truncated) = loop {
            let mut iov = [IoSliceMut::new(&mut buf)];
            match recvmsg::<()>(self.stream.as_raw_fd(), &mut iov, None, MsgFlags::empty()) {
                Ok(r) => break (r.bytes, r.flags.contains(MsgFlags::MSG_TRUNC)),
                // Closing a socket with requests still unread resets the
                // peer: the error comes first, the replies queued before
                // the close can still be read after it.
                Err(Errno::EINTR | Errno::ECONNRESET) => continue,
                Err(Errno::EAGAIN) => panic!("dpswitchd neither answered nor closed (A2)"),
                Err(e) => panic!("recv: {e}"),
            }
        };
        // The daemon never sends an empty datagram: 0 bytes is the end.
        if len == 0 {
            return None;
        }
        assert!(!truncated, "a reply datagram larger than {RECV_MAX} bytes");
        Some(parse_replies(&buf[..len]))
    }

    /// Sends `datagram`, then a barrier, and reads until the barrier's
    /// ack or the end of the connection.
    pub fn exchange(&mut self, datagram: &[u8]) -> Outcome {
        self.barrier_seq = self.barrier_seq.wrapping_add(1).max(BARRIER_SEQ_BASE);
        let seq = self.barrier_seq;
        let mut replies = Vec::new();
        // A failed send means the daemon closed the connection; recv then
        // returns what it sent before closing, then the end.
        if self.send(datagram) {
            self.send(&barrier(seq));
        }
        loop {
            let Some(batch) = self.recv() else {
                return Outcome::Closed(replies);
            };
            for m in batch {
                if m.header.seq == seq && m.header.msg_type == NLMSG_ERROR {
                    let echoed = NlMsgHeader::parse(&m.payload[4..]).unwrap();
                    if echoed.msg_type == GENL_ID_CTRL {
                        let code = i32::from_ne_bytes(m.payload[..4].try_into().unwrap());
                        assert_eq!(code, 0, "the barrier failed: {m:?}");
                        return Outcome::Answered(replies);
                    }
                }
                if m.header.seq == seq && m.header.msg_type == GENL_ID_CTRL {
                    continue; // the barrier's own NEWFAMILY
                }
                replies.push(m);
            }
        }
    }
}

/// Every message of a reply datagram: each must frame, and each
/// NLMSG_ERROR must carry its code and the echoed request header.
fn parse_replies(datagram: &[u8]) -> Vec<Received> {
    messages(datagram)
        .map(|m| {
            let m = m.unwrap_or_else(|e| panic!("a reply that cannot be framed: {e}"));
            if m.header.msg_type == NLMSG_ERROR {
                m.error()
                    .unwrap_or_else(|e| panic!("a malformed NLMSG_ERROR: {e}"));
            }
            Received {
                header: m.header,
                payload: m.payload.to_vec(),
            }
        })
        .collect()
}

/// The barrier: CTRL_CMD_GETFAMILY "nlctrl" with NLM_F_ACK.
fn barrier(seq: u32) -> Vec<u8> {
    let mut w = AttrWriter::new();
    w.put(CTRL_ATTR_FAMILY_NAME, b"nlctrl\0");
    GenlMessage {
        header: NlMsgHeader {
            len: 0,
            msg_type: GENL_ID_CTRL,
            flags: NLM_F_REQUEST | NLM_F_ACK,
            seq,
            pid: 0,
        },
        genl: GenlHeader {
            cmd: CTRL_CMD_GETFAMILY,
            version: 1,
            reserved: 0,
        },
        payload: w.as_bytes(),
    }
    .encode()
    .unwrap()
}

/// An NLMSG_ERROR taken apart.
pub struct ErrorReply<'a> {
    /// 0 for an ack.
    pub errno: i32,
    /// The header of the request it answers.
    pub request: NlMsgHeader,
    /// The request's payload, when echoed (errors echo it, acks do not).
    pub request_payload: Option<&'a [u8]>,
}

pub fn error_of(m: &Received) -> Option<ErrorReply<'_>> {
    if m.header.msg_type != NLMSG_ERROR {
        return None;
    }
    let code = i32::from_ne_bytes(m.payload[..4].try_into().unwrap());
    let request = NlMsgHeader::parse(&m.payload[4..]).unwrap();
    let request_payload = (m.header.flags & NLM_F_CAPPED == 0).then(|| {
        let end = (4 + request.len as usize).min(m.payload.len());
        &m.payload[4 + NLMSG_HDRLEN..end]
    });
    Some(ErrorReply {
        errno: -code,
        request,
        request_payload,
    })
}
