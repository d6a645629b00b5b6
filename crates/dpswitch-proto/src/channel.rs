//! The completion channel: how a client that stands in for an AF_NETLINK
//! socket (the netlink adapter) learns its port id and when its replies
//! are readable.
//!
//! The kernel runs a netlink request inside `sendmsg()`, and Open
//! vSwitch relies on it: right after sending it reads with `MSG_DONTWAIT`
//! and takes EAGAIN for "no reply". Over the control socket a request is
//! run later, by the management lcore, so the adapter waits in its
//! `sendmsg` for the daemon to say the datagram has run:
//!
//! 1. After connecting, the client sends one `nlctrl` request (type
//!    `GENL_ID_CTRL`, flags `NLM_F_REQUEST`) with genl command
//!    [`CTRL_CMD_ATTACH`] and no attributes, carrying in `SCM_RIGHTS` one
//!    end of a `SOCK_SEQPACKET` socket pair: the channel. The daemon
//!    answers on the channel with [`Token::Attached`] and the port id it
//!    gave the connection; the request itself gets no reply.
//! 2. From then on, for every request datagram the connection sends, the
//!    daemon writes [`Token::Done`] on the channel once the datagram's
//!    replies are queued on the connection (a dump: its first part), so
//!    they are readable when the client reads the token. `error` is the
//!    errno of the first message the datagram had refused, 0 if none.
//! 3. [`CTRL_CMD_SUBSCRIBE`] / [`CTRL_CMD_UNSUBSCRIBE`] (attribute
//!    `CTRL_ATTR_MCAST_GRP_ID`, u32) join and leave a multicast group.
//!    On an attached connection their outcome is only in the token, as
//!    `setsockopt(NETLINK_ADD_MEMBERSHIP)` returns it, with no reply.
//! 4. When the daemon had to drop a notification or an upcall for an
//!    attached connection (its socket was full), the next datagram it
//!    can queue there is a lone [`NLMSG_OVERRUN`](crate::consts::NLMSG_OVERRUN)
//!    header, which the adapter turns into ENOBUFS as a netlink socket
//!    reports an overrun.

/// `nlctrl` commands of dpswitch's extension (above the kernel's range).
pub const CTRL_CMD_SUBSCRIBE: u8 = 0x80;
pub const CTRL_CMD_UNSUBSCRIBE: u8 = 0x81;
pub const CTRL_CMD_ATTACH: u8 = 0x82;

/// Bytes of one token on the channel.
pub const TOKEN_LEN: usize = 12;

const KIND_ATTACHED: u32 = 1;
const KIND_DONE: u32 = 2;

/// One datagram on the completion channel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Token {
    /// The channel is attached; the connection's netlink port id.
    Attached { port_id: u32 },
    /// A request datagram has run; the first errno it had, or 0.
    Done { error: i32 },
}

impl Token {
    pub fn encode(self) -> [u8; TOKEN_LEN] {
        let (kind, port_id, error) = match self {
            Token::Attached { port_id } => (KIND_ATTACHED, port_id, 0),
            Token::Done { error } => (KIND_DONE, 0, error),
        };
        let mut out = [0; TOKEN_LEN];
        out[0..4].copy_from_slice(&kind.to_ne_bytes());
        out[4..8].copy_from_slice(&port_id.to_ne_bytes());
        out[8..12].copy_from_slice(&error.to_ne_bytes());
        out
    }

    pub fn decode(buf: &[u8]) -> Option<Token> {
        if buf.len() != TOKEN_LEN {
            return None;
        }
        let word = |at: usize| [buf[at], buf[at + 1], buf[at + 2], buf[at + 3]];
        match u32::from_ne_bytes(word(0)) {
            KIND_ATTACHED => Some(Token::Attached {
                port_id: u32::from_ne_bytes(word(4)),
            }),
            KIND_DONE => Some(Token::Done {
                error: i32::from_ne_bytes(word(8)),
            }),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_and_junk_is_refused() {
        for t in [
            Token::Attached {
                port_id: 0xdead_beef,
            },
            Token::Done { error: 0 },
            Token::Done { error: 22 },
        ] {
            assert_eq!(Token::decode(&t.encode()), Some(t));
        }
        assert_eq!(Token::decode(&[0; TOKEN_LEN]), None);
        assert_eq!(Token::decode(&Token::Done { error: 1 }.encode()[..8]), None);
    }
}
