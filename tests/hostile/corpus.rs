//! Valid requests of every kind the daemon serves, the seeds of the
//! mutations, and the flows the table starts with.

use crate::common::{flow_text, ovs_request, TRAFFIC_KEY};
use dpswitch::netlink::attr::AttrWriter;
use dpswitch::netlink::consts::*;
use dpswitch::netlink::flow::FlowAttrs;
use dpswitch::netlink::msg::{GenlHeader, GenlMessage, NlMsgHeader};

/// What requests are addressed with, as the daemon resolved it.
#[derive(Clone, Copy, Debug)]
pub struct Ids {
    pub flow: u16,
    pub dp: u16,
    pub vport: u16,
    pub dp_ifindex: i32,
}

pub const TRAFFIC_UFID: [u8; 16] = [0xa1; 16];

/// The table every run starts from: the flow that forwards the replayed
/// frame (port 0 to the sink, port 1), and a few that match nothing the
/// daemon receives, with and without UFIDs.
pub fn baseline() -> Vec<FlowAttrs> {
    let with_ufid = |key: &str, actions: &str, ufid: Option<[u8; 16]>| FlowAttrs {
        ufid: ufid.map(|u| u.to_vec()),
        ..flow_text(key, Some(actions))
    };
    vec![
        with_ufid(TRAFFIC_KEY, "1", Some(TRAFFIC_UFID)),
        with_ufid(
            "in_port(1),eth(),eth_type(0x0806),arp()",
            "0",
            Some([0xa2; 16]),
        ),
        with_ufid(
            "in_port(1),eth(),eth_type(0x0800),ipv4(dst=10.9.0.0/255.255.0.0,frag=no)",
            "set(ipv4(ttl=9)),0",
            Some([0xa3; 16]),
        ),
        with_ufid(
            "in_port(1),eth(src=02:00:00:00:00:09,dst=02:00:00:00:00:0a),eth_type(0x0800),ipv4(proto=6,frag=no),tcp(dst=80),tcp_flags(0/0)",
            "push_vlan(vid=10,pcp=0),0",
            None,
        ),
        with_ufid(
            "in_port(1),eth(),eth_type(0x86dd),ipv6(proto=17,frag=no),udp(src=53)",
            "drop",
            None,
        ),
    ]
}

/// Sequence numbers are set per use (see `set_seq`).
pub fn ovs(ty: u16, cmd: u8, flags: u16, dp_ifindex: i32, attrs: &[u8]) -> Vec<u8> {
    ovs_request(ty, cmd, flags, 0, dp_ifindex, attrs)
}

pub fn ctrl(cmd: u8, flags: u16, attrs: &[u8]) -> Vec<u8> {
    GenlMessage {
        header: header(GENL_ID_CTRL, flags),
        genl: GenlHeader {
            cmd,
            version: 1,
            reserved: 0,
        },
        payload: attrs,
    }
    .encode()
    .unwrap()
}

/// Sequence numbers are set per use (see `set_seq`).
fn header(msg_type: u16, flags: u16) -> NlMsgHeader {
    NlMsgHeader {
        len: 0,
        msg_type,
        flags,
        seq: 0,
        pid: 0,
    }
}

pub fn set_seq(message: &mut [u8], seq: u32) {
    message[8..12].copy_from_slice(&seq.to_ne_bytes());
}

pub fn attrs(build: impl FnOnce(&mut AttrWriter)) -> Vec<u8> {
    let mut w = AttrWriter::new();
    build(&mut w);
    w.as_bytes().to_vec()
}

pub fn flow_attrs(f: &FlowAttrs) -> Vec<u8> {
    f.encode().unwrap()
}

const REQ: u16 = NLM_F_REQUEST;
const ACK: u16 = NLM_F_REQUEST | NLM_F_ACK;

/// One valid request of each kind: flow NEW/SET/DEL/GET with keys,
/// masks, actions and UFIDs; dumps; datapath and vport gets; nlctrl.
pub fn requests(ids: Ids) -> Vec<Vec<u8>> {
    let dp = ids.dp_ifindex;
    let flow = |cmd, flags, f: &FlowAttrs| ovs(ids.flow, cmd, flags, dp, &flow_attrs(f));
    let base = baseline();
    let fresh = FlowAttrs {
        ufid: Some(vec![0xb1; 16]),
        ..flow_text(
            "in_port(1),eth(),eth_type(0x0800),ipv4(src=10.7.0.1,proto=17,frag=no),udp(dst=53)",
            Some("set(ipv4(src=10.7.0.9)),0"),
        )
    };
    let exact = FlowAttrs {
        mask: None,
        ..flow_text(
            "in_port(1),eth(src=02:00:00:00:00:05,dst=02:00:00:00:00:06),eth_type(0x0806),arp(sip=10.0.0.5,tip=10.0.0.6,op=1,sha=02:00:00:00:00:05,tha=00:00:00:00:00:00)",
            Some("clone(0),sample(sample=50.0%,actions(0))"),
        )
    };
    let by_ufid = |u: u8| FlowAttrs {
        ufid: Some(vec![u; 16]),
        ..FlowAttrs::default()
    };
    let key_only = |f: &FlowAttrs| FlowAttrs {
        key: f.key.clone(),
        ..FlowAttrs::default()
    };
    let set_actions = FlowAttrs {
        actions: base[2].actions.clone().map(|mut a| {
            a.reverse();
            a
        }),
        clear: true,
        ..base[2].clone()
    };
    let omit = FlowAttrs {
        ufid_flags: OVS_UFID_F_OMIT_KEY | OVS_UFID_F_OMIT_MASK,
        ..by_ufid(0xa2)
    };
    let vport_name = attrs(|w| w.put(OVS_VPORT_ATTR_NAME, b"net_null0\0"));
    let vport_no = attrs(|w| w.put_u32(OVS_VPORT_ATTR_PORT_NO, 0));
    let dp_name = attrs(|w| w.put(OVS_DP_ATTR_NAME, b"dp0\0"));
    let family_name = attrs(|w| w.put(CTRL_ATTR_FAMILY_NAME, b"ovs_flow\0"));
    let family_id = attrs(|w| w.put_u16(CTRL_ATTR_FAMILY_ID, ids.vport));
    vec![
        flow(OVS_FLOW_CMD_NEW, ACK | NLM_F_CREATE, &fresh),
        flow(OVS_FLOW_CMD_NEW, ACK | NLM_F_ECHO, &exact),
        flow(OVS_FLOW_CMD_NEW, ACK | NLM_F_CREATE, &base[0]),
        flow(OVS_FLOW_CMD_NEW, REQ, &base[3]),
        flow(OVS_FLOW_CMD_SET, ACK | NLM_F_ECHO, &set_actions),
        flow(OVS_FLOW_CMD_SET, ACK, &key_only(&base[4])),
        flow(OVS_FLOW_CMD_DEL, ACK, &by_ufid(0xa2)),
        flow(OVS_FLOW_CMD_DEL, ACK | NLM_F_ECHO, &key_only(&base[4])),
        flow(OVS_FLOW_CMD_GET, ACK, &by_ufid(0xa3)),
        flow(OVS_FLOW_CMD_GET, REQ, &key_only(&base[3])),
        flow(OVS_FLOW_CMD_GET, REQ | NLM_F_DUMP, &omit),
        ovs(ids.dp, OVS_DP_CMD_GET, ACK, dp, &[]),
        ovs(ids.dp, OVS_DP_CMD_GET, REQ, 0, &dp_name),
        ovs(ids.dp, OVS_DP_CMD_GET, REQ | NLM_F_DUMP, 0, &[]),
        ovs(ids.vport, OVS_VPORT_CMD_GET, ACK, 0, &vport_name),
        ovs(ids.vport, OVS_VPORT_CMD_GET, REQ, dp, &vport_no),
        ovs(ids.vport, OVS_VPORT_CMD_GET, REQ | NLM_F_DUMP, dp, &[]),
        ctrl(CTRL_CMD_GETFAMILY, ACK, &family_name),
        ctrl(CTRL_CMD_GETFAMILY, REQ, &family_id),
        ctrl(CTRL_CMD_GETFAMILY, REQ | NLM_F_DUMP, &[]),
    ]
}
