//! Flow requests that both the in-process rule tests (tests/flow_rules.rs)
//! and the daemon's wire tests send.

use super::errno::{EINVAL, EMSGSIZE};
use super::flow_text;
use dpswitch::flow::odp::Action;
use dpswitch::netlink::attr::AttrWriter;
use dpswitch::netlink::consts::*;
use dpswitch::netlink::flow::FlowAttrs;

const ARP: &str = "in_port(1),eth(),eth_type(0x0806),arp()";

/// Bytes of a nest's content written by `build`.
pub fn attrs_of(build: &dyn Fn(&mut AttrWriter)) -> Vec<u8> {
    let mut w = AttrWriter::new();
    build(&mut w);
    w.as_bytes().to_vec()
}

/// KEY (and MASK) attribute bytes as given, with actions output(0).
pub fn raw_flow(key: &[u8], mask: Option<&[u8]>) -> Vec<u8> {
    let actions = attrs_of(&|w| w.put_u32(OVS_ACTION_ATTR_OUTPUT, 0));
    let mut w = AttrWriter::new();
    w.put(OVS_FLOW_ATTR_KEY, key);
    if let Some(m) = mask {
        w.put(OVS_FLOW_ATTR_MASK, m);
    }
    w.put(OVS_FLOW_ATTR_ACTIONS, &actions);
    w.as_bytes().to_vec()
}

/// N4: matches the kernel refuses as malformed or inconsistent (EINVAL),
/// each with what is wrong with it.
pub fn malformed_matches() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        (
            "unknown key attribute",
            raw_flow(
                &attrs_of(&|w| {
                    w.put_u32(OVS_KEY_ATTR_IN_PORT, 1);
                    w.put_u32(200, 0);
                }),
                None,
            ),
        ),
        (
            "duplicate in_port",
            raw_flow(
                &attrs_of(&|w| {
                    w.put_u32(OVS_KEY_ATTR_IN_PORT, 1);
                    w.put_u32(OVS_KEY_ATTR_IN_PORT, 2);
                }),
                None,
            ),
        ),
        (
            "in_port of 2 bytes",
            raw_flow(&attrs_of(&|w| w.put_u16(OVS_KEY_ATTR_IN_PORT, 1)), None),
        ),
        (
            "nest truncated",
            raw_flow(
                &attrs_of(&|w| w.put_u32(OVS_KEY_ATTR_IN_PORT, 1))[..6],
                None,
            ),
        ),
        (
            "ipv4 without an exact eth_type",
            raw_flow(
                &attrs_of(&|w| {
                    w.put_u32(OVS_KEY_ATTR_IN_PORT, 1);
                    w.put(OVS_KEY_ATTR_ETHERNET, &[0; 12]);
                    w.put(OVS_KEY_ATTR_IPV4, &[10, 0, 0, 1, 10, 0, 0, 2, 17, 0, 64, 0]);
                }),
                Some(&attrs_of(&|w| {
                    w.put_u32(OVS_KEY_ATTR_IN_PORT, u32::MAX);
                    w.put_be16(OVS_KEY_ATTR_ETHERTYPE, 0xff00);
                    w.put(OVS_KEY_ATTR_IPV4, &[0xff; 12]);
                })),
            ),
        ),
        (
            "mask for tcp the key lacks",
            raw_flow(
                &attrs_of(&|w| {
                    w.put_u32(OVS_KEY_ATTR_IN_PORT, 1);
                    w.put(OVS_KEY_ATTR_ETHERNET, &[0; 12]);
                    w.put_be16(OVS_KEY_ATTR_ETHERTYPE, 0x0806);
                }),
                Some(&attrs_of(&|w| {
                    w.put_u32(OVS_KEY_ATTR_IN_PORT, u32::MAX);
                    w.put_be16(OVS_KEY_ATTR_ETHERTYPE, 0xffff);
                    w.put(OVS_KEY_ATTR_TCP, &[0xff; 4]);
                })),
            ),
        ),
    ]
}

/// N7: actions the kernel refuses as not safe for every packet of the
/// match (ports 0 and 1 exist), each with what is wrong and its errno.
pub fn unsafe_actions() -> Vec<(&'static str, FlowAttrs, i32)> {
    let ip = "in_port(0),eth(),eth_type(0x0800),ipv4(proto=17,frag=no),udp()";
    vec![
        (
            "output to a missing port",
            flow_text(ARP, Some("9")),
            EINVAL,
        ),
        (
            "set ipv4 without eth_type",
            flow_text("in_port(0),eth()", Some("set(ipv4(src=1.2.3.4)),1")),
            EINVAL,
        ),
        (
            "push_vlan with a bad tpid",
            flow_text(ip, Some("push_vlan(tpid=0x1234,vid=5,pcp=0),1")),
            EINVAL,
        ),
        (
            "push_vlan without the present bit",
            FlowAttrs {
                actions: Some(vec![
                    Action::PushVlan {
                        tpid: 0x8100,
                        tci: 5,
                    },
                    Action::Output(1),
                ]),
                ..flow_text(ip, None)
            },
            EINVAL,
        ),
        (
            "oversized list",
            FlowAttrs {
                actions: Some(vec![Action::Output(1); 4200]),
                ..flow_text(ip, None)
            },
            EMSGSIZE,
        ),
    ]
}
