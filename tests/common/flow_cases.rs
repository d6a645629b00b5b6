//! Flow requests that both the in-process rule tests (tests/flow_rules.rs)
//! and the daemon's wire tests send.

use dpswitch::netlink::attr::AttrWriter;
use dpswitch::netlink::consts::*;

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
