//! What goes over the socket: requests to encode and the replies and
//! notifications that come back, each owning its bytes.

use dpswitch_proto::netlink::consts::{NLMSG_HDRLEN, NLM_F_REQUEST};
use dpswitch_proto::netlink::msg::nlmsg_align;
use dpswitch_proto::netlink::{
    GenlHeader, GenlMessage, NlError, NlMsgHeader, OvsMessage, RawMessage,
};

/// A generic netlink request before the client numbers it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    /// The family id (`GENL_ID_CTRL`, or one resolved by name).
    pub family: u16,
    /// `NLM_F_*` beyond `NLM_F_REQUEST`, which is always set, and
    /// `NLM_F_ACK` / `NLM_F_DUMP`, which the client sets for `request` /
    /// `dump` (e.g. `NLM_F_CREATE`, `NLM_F_ECHO`).
    pub flags: u16,
    pub cmd: u8,
    pub version: u8,
    /// What follows the generic netlink header: the attributes, after the
    /// `ovs_header` for the Open vSwitch families.
    pub payload: Vec<u8>,
}

impl Request {
    /// A request of a family without a family header (e.g. `nlctrl`).
    pub fn genl(family: u16, cmd: u8, version: u8, attrs: Vec<u8>) -> Request {
        Request {
            family,
            flags: 0,
            cmd,
            version,
            payload: attrs,
        }
    }

    /// A request of an Open vSwitch family about datapath `dp_ifindex`.
    pub fn ovs(family: u16, cmd: u8, version: u8, dp_ifindex: i32, attrs: &[u8]) -> Request {
        let mut payload = Vec::with_capacity(4 + attrs.len());
        payload.extend_from_slice(&dp_ifindex.to_ne_bytes());
        payload.extend_from_slice(attrs);
        Request::genl(family, cmd, version, payload)
    }

    pub fn with_flags(mut self, flags: u16) -> Request {
        self.flags |= flags;
        self
    }

    /// Appends the message numbered `seq` with `extra` flags to `out`.
    pub(super) fn encode_into(
        &self,
        seq: u32,
        extra: u16,
        out: &mut Vec<u8>,
    ) -> Result<(), NlError> {
        let bytes = GenlMessage {
            header: NlMsgHeader {
                len: 0,
                msg_type: self.family,
                flags: NLM_F_REQUEST | self.flags | extra,
                seq,
                pid: 0,
            },
            genl: GenlHeader {
                cmd: self.cmd,
                version: self.version,
                reserved: 0,
            },
            payload: &self.payload,
        }
        .encode()?;
        out.extend_from_slice(&bytes);
        Ok(())
    }

    /// The encoded size, padding included.
    pub(super) fn wire_len(&self) -> usize {
        nlmsg_align(NLMSG_HDRLEN + 4 + self.payload.len()).unwrap_or(usize::MAX)
    }
}

/// One received netlink message: a reply or a notification.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    pub header: NlMsgHeader,
    /// Everything after the netlink header, without trailing padding.
    pub payload: Vec<u8>,
}

impl Message {
    pub(super) fn copy_of(raw: &RawMessage<'_>) -> Message {
        Message {
            header: raw.header,
            payload: raw.payload.to_vec(),
        }
    }

    pub fn raw(&self) -> RawMessage<'_> {
        RawMessage {
            header: self.header,
            payload: &self.payload,
        }
    }

    /// The generic netlink view (command, version, attributes).
    pub fn genl(&self) -> Result<GenlMessage<'_>, NlError> {
        self.raw().genl()
    }

    /// The Open vSwitch view (command, `dp_ifindex`, attributes).
    pub fn ovs(&self) -> Result<OvsMessage<'_>, NlError> {
        self.raw().ovs()
    }
}
