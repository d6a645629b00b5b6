//! Fuzz bytes as a sequence of `ovs_flow` requests: mostly built from the
//! alphabet (with keys, masks and UFIDs of earlier requests reused so that
//! later ones find their flows), some garbled after encoding, some raw
//! attribute bytes and some raw netlink messages.

use crate::alphabet::{self, chance, pick};
use dpswitch::flow::odp::KeyAttr;
use dpswitch::netlink::consts::*;
use dpswitch::netlink::flow::FlowAttrs;
use dpswitch::netlink::msg::{messages, GenlHeader, NlMsgHeader};
use libfuzzer_sys::arbitrary::Unstructured;

/// The datapath the requests are for; others get ENODEV.
pub const DP_IFINDEX: i32 = 7;

/// One request, owned: the handlers take an `OvsMessage` borrowing it.
#[derive(Clone, Debug)]
pub struct Request {
    pub cmd: u8,
    pub flags: u16,
    pub dp_ifindex: i32,
    pub attrs: Vec<u8>,
}

/// What earlier requests named, for later ones to name again.
#[derive(Default)]
pub struct History {
    matches: Vec<(Vec<KeyAttr>, Option<Vec<KeyAttr>>)>,
    ufids: Vec<Vec<u8>>,
}

fn ufid(u: &mut Unstructured<'_>, history: &History) -> Option<Vec<u8>> {
    match pick(u, &[0u8, 0, 1, 1, 2, 3, 4]) {
        0 => None,
        1 if !history.ufids.is_empty() => {
            let i = u.choose_index(history.ufids.len()).unwrap_or(0);
            Some(history.ufids[i].clone())
        }
        1 | 2 => Some(vec![pick(u, &[1u8, 2, 3]); pick(u, &[1usize, 16])]),
        // Longer than 16 bytes: ignored, the key identifies the flow.
        3 => Some(vec![9; 17]),
        _ => Some(Vec::new()),
    }
}

fn built(u: &mut Unstructured<'_>, history: &mut History) -> Request {
    let cmd = pick(
        u,
        &[
            OVS_FLOW_CMD_NEW,
            OVS_FLOW_CMD_NEW,
            OVS_FLOW_CMD_NEW,
            OVS_FLOW_CMD_SET,
            OVS_FLOW_CMD_DEL,
            OVS_FLOW_CMD_DEL,
            OVS_FLOW_CMD_GET,
            OVS_FLOW_CMD_UNSPEC,
        ],
    );
    let mut flags = NLM_F_REQUEST;
    for flag in [NLM_F_ECHO, NLM_F_CREATE, NLM_F_EXCL, NLM_F_ACK] {
        if chance(u, 1, 3) {
            flags |= flag;
        }
    }
    let (key, mask) = if !history.matches.is_empty() && chance(u, 1, 2) {
        let i = u.choose_index(history.matches.len()).unwrap_or(0);
        let (key, mask) = history.matches[i].clone();
        (Some(key), mask)
    } else if chance(u, 7, 8) {
        let key = alphabet::key(u);
        let mask = (!chance(u, 1, 3)).then(|| alphabet::mask(u, &key));
        history.matches.push((key.clone(), mask.clone()));
        (Some(key), mask)
    } else {
        (None, None)
    };
    let ufid = ufid(u, history);
    if let Some(ufid) = ufid.as_ref().filter(|f| !f.is_empty()) {
        history.ufids.push(ufid.clone());
    }
    let attrs = FlowAttrs {
        key,
        mask,
        actions: (!chance(u, 1, 6)).then(|| alphabet::actions(u, 4, 2)),
        ufid,
        ufid_flags: pick(u, &[0, 0, OVS_UFID_F_OMIT_KEY | OVS_UFID_F_OMIT_MASK, 7]),
        probe: chance(u, 1, 8),
        clear: chance(u, 1, 6),
        ..FlowAttrs::default()
    };
    let mut bytes = attrs.encode().unwrap_or_default();
    garble(u, &mut bytes);
    Request {
        cmd,
        flags,
        dp_ifindex: if chance(u, 1, 16) { 8 } else { DP_IFINDEX },
        attrs: bytes,
    }
}

/// Now and then breaks an encoded request: cut short, a byte changed, or
/// bytes appended.
fn garble(u: &mut Unstructured<'_>, bytes: &mut Vec<u8>) {
    if bytes.is_empty() || !chance(u, 1, 10) {
        return;
    }
    let at = u.choose_index(bytes.len()).unwrap_or(0);
    match pick(u, &[0u8, 1, 2]) {
        0 => bytes.truncate(at),
        1 => bytes[at] ^= u.arbitrary::<u8>().unwrap_or(0xff) | 1,
        _ => {
            let n = u.int_in_range(1..=12).unwrap_or(4);
            bytes.extend_from_slice(u.bytes(n).unwrap_or(&[0; 4]));
        }
    }
}

/// The next requests the input holds (one, or several from a raw stream).
pub fn next(u: &mut Unstructured<'_>, history: &mut History) -> Vec<Request> {
    match pick(u, &[0u8, 0, 0, 0, 0, 0, 1, 2]) {
        0 => vec![built(u, history)],
        1 => {
            let cmd = u.int_in_range(0..=5).unwrap_or(1);
            let flags = u.arbitrary().unwrap_or(0);
            let n = u.arbitrary_len::<u8>().unwrap_or(0).min(256);
            let attrs = u.bytes(n).unwrap_or_default().to_vec();
            vec![Request {
                cmd,
                flags,
                dp_ifindex: DP_IFINDEX,
                attrs,
            }]
        }
        _ => {
            let n = u.arbitrary_len::<u8>().unwrap_or(0).min(512);
            raw_messages(u.bytes(n).unwrap_or_default())
        }
    }
}

/// The `ovs_flow` requests in a netlink byte stream, up to the first that
/// does not parse.
pub fn raw_messages(stream: &[u8]) -> Vec<Request> {
    let mut out = Vec::new();
    for m in messages(stream) {
        let Ok(ovs) = m.and_then(|m| m.ovs()) else {
            break;
        };
        out.push(Request {
            cmd: ovs.genl.cmd,
            flags: ovs.header.flags,
            dp_ifindex: ovs.dp_ifindex,
            attrs: ovs.attrs.to_vec(),
        });
    }
    out
}

impl Request {
    pub fn header(&self) -> (NlMsgHeader, GenlHeader) {
        (
            NlMsgHeader {
                len: 0,
                msg_type: 0x20,
                flags: self.flags,
                seq: 1,
                pid: 0,
            },
            GenlHeader {
                cmd: self.cmd,
                version: 1,
                reserved: 0,
            },
        )
    }
}
