//! `ovs_packet`: packets between the datapath and its controllers (rules
//! U1-U3 of docs/flow-commands.md). Upcalls (a miss, or a `userspace` action) become
//! `OVS_PACKET_CMD_MISS`/`_ACTION` messages laid out as the kernel's
//! `queue_userspace_packet` lays them out; `OVS_PACKET_CMD_EXECUTE` is
//! checked as the kernel's `ovs_packet_cmd_execute` checks it.

use super::families::FAMILY_PACKET;
use super::request::CmdError;
use crate::flow::matching::{key_to_attrs, Match};
use crate::flow::odp::{Action, KeyAttr};
use crate::flow::validate::validate_actions;
use crate::flow::{extract, FlowKey, FlowMask};
use crate::netlink::action::decode_actions;
use crate::netlink::attr::{attrs_lenient, AttrWriter};
use crate::netlink::consts::*;
use crate::netlink::key::{decode_key, encode_key_into};
use crate::netlink::msg::{GenlHeader, NlMsgHeader, OvsMessage};

const ETH_HLEN: usize = 14;

/// An `OVS_PACKET_CMD_MISS` or `_ACTION` message for `frame`, which
/// arrived on `in_port`: its exact key, the userdata of a `userspace`
/// action, then the frame.
pub fn upcall_message(
    cmd: u8,
    dp_ifindex: i32,
    frame: &[u8],
    in_port: u32,
    userdata: Option<&[u8]>,
) -> Vec<u8> {
    let mut key = FlowKey::default();
    extract(frame, in_port, &mut key);
    let mut w = AttrWriter::new();
    let nest = w.begin_nested(OVS_PACKET_ATTR_KEY);
    encode_key_into(&mut w, &key_to_attrs(&key));
    w.end_nested(nest);
    if let Some(data) = userdata {
        w.put(OVS_PACKET_ATTR_USERDATA, data);
    }
    w.put(OVS_PACKET_ATTR_PACKET, frame);
    OvsMessage {
        header: NlMsgHeader {
            len: 0,
            msg_type: FAMILY_PACKET,
            flags: 0,
            seq: 0,
            pid: 0,
        },
        genl: GenlHeader {
            cmd,
            version: OVS_PACKET_VERSION,
            reserved: 0,
        },
        dp_ifindex,
        attrs: w.as_bytes(),
    }
    .encode()
    .unwrap_or_default()
}

/// A checked `OVS_PACKET_CMD_EXECUTE`.
pub struct Execute<'a> {
    pub frame: &'a [u8],
    pub in_port: u32,
    pub actions: Vec<Action>,
}

/// Whether an execute is a feature probe (`OVS_PACKET_ATTR_PROBE`): as in
/// the kernel, its failure is an answer, not a fault worth a log line.
pub fn is_probe(msg: &OvsMessage<'_>) -> bool {
    attrs_lenient(msg.attrs).any(|a| a.kind() == OVS_PACKET_ATTR_PROBE)
}

/// Reads an execute request: PACKET, KEY and ACTIONS are required; the
/// key gives the metadata (`in_port`), the packet the rest; the actions
/// are validated against that exact key, as a flow's would be.
pub fn parse_execute<'a>(
    msg: &OvsMessage<'a>,
    port_exists: &dyn Fn(u32) -> bool,
) -> Result<Execute<'a>, CmdError> {
    let (mut frame, mut key, mut actions) = (None, None, None);
    for attr in attrs_lenient(msg.attrs) {
        match attr.kind() {
            OVS_PACKET_ATTR_PACKET => frame = Some(attr.payload()),
            OVS_PACKET_ATTR_KEY => key = Some(attr.payload()),
            OVS_PACKET_ATTR_ACTIONS => actions = Some(attr.payload()),
            _ => {}
        }
    }
    let (Some(frame), Some(key), Some(actions)) = (frame, key, actions) else {
        return Err(CmdError::einval(
            "packet execute needs OVS_PACKET_ATTR_PACKET, _KEY and _ACTIONS",
        ));
    };
    if frame.len() < ETH_HLEN {
        return Err(CmdError::einval(format!(
            "a {}-byte packet is shorter than an Ethernet header",
            frame.len()
        )));
    }
    let in_port = decode_key(key)?
        .iter()
        .find_map(|a| match a {
            KeyAttr::InPort(p) => Some(*p),
            _ => None,
        })
        .unwrap_or(0);
    let mut exact = FlowKey::default();
    extract(frame, in_port, &mut exact);
    let m = Match {
        key: exact,
        mask: FlowMask::exact(),
    };
    let actions = decode_actions(actions)?;
    let encoded_len = crate::netlink::action::encode_actions(&actions)
        .map(|b| b.len())
        .unwrap_or(usize::MAX);
    validate_actions(&actions, &m, encoded_len, port_exists)
        .map_err(|e| CmdError::new(e.errno, e.message))?;
    Ok(Execute {
        frame,
        in_port,
        actions,
    })
}
