//! OVS_FLOW_CMD_NEW over the control socket against a running dpswitchd,
//! one test per rule of shared/spec/flow-commands.md (N1-N16): the errno,
//! the log line where the rule names one, and the table afterwards.

mod common;

use common::errno::*;
use common::{
    actions_text, assert_fails, flow_text, key_text, without_stats, ControlDaemon, TRAFFIC_KEY,
};
use dpswitch::flow::odp::{Action, KeyAttr};
use dpswitch::netlink::attr::AttrWriter;
use dpswitch::netlink::consts::*;
use dpswitch::netlink::flow::FlowAttrs;
use std::time::Duration;

const ARP: &str = "in_port(1),eth(),eth_type(0x0806),arp()";
const CREATE: u16 = NLM_F_CREATE;

fn start(tag: &str) -> ControlDaemon {
    ControlDaemon::start(tag, "")
}

fn ufid(n: u8) -> Vec<u8> {
    vec![n; 16]
}

#[test]
fn n1_no_key_is_einval_and_logged() {
    let mut d = start("n1");
    let before = d.ctl.dump_flows();
    let attrs = FlowAttrs {
        actions: Some(vec![Action::Output(1)]),
        ..FlowAttrs::default()
    };
    let r = d.ctl.flow(OVS_FLOW_CMD_NEW, CREATE, &attrs);
    assert_fails(&r, EINVAL, Some("Flow key attr not present in new flow."));
    d.daemon.wait_for(
        "ovs_flow NEW refused: EINVAL: Flow key attr not present in new flow.",
        Duration::from_secs(5),
    );
    assert_eq!(d.ctl.dump_flows(), before);
    d.stop();
}

#[test]
fn n2_no_actions_is_einval_and_logged() {
    let mut d = start("n2");
    let r = d.ctl.flow(OVS_FLOW_CMD_NEW, CREATE, &flow_text(ARP, None));
    assert_fails(
        &r,
        EINVAL,
        Some("Flow actions attr not present in new flow."),
    );
    d.daemon.wait_for(
        "ovs_flow NEW refused: EINVAL: Flow actions attr not present in new flow.",
        Duration::from_secs(5),
    );
    assert!(d.ctl.dump_flows().is_empty());
    d.stop();
}

#[test]
fn n3_no_mask_is_exact_and_omitted_mask_fields_are_wildcards() {
    let mut d = start("n3");
    // No MASK: every bit exact, so a key differing only in eth src is
    // another flow.
    let exact = FlowAttrs {
        key: Some(key_text("in_port(1),eth(src=02:00:00:00:00:01,dst=02:00:00:00:00:02),eth_type(0x0806),arp(sip=10.0.0.1,tip=10.0.0.2,op=1,sha=02:00:00:00:00:01,tha=00:00:00:00:00:00)")),
        actions: Some(vec![Action::Output(0)]),
        ..FlowAttrs::default()
    };
    assert_eq!(d.ctl.flow(OVS_FLOW_CMD_NEW, CREATE, &exact).errno, 0);
    let mut other = exact.clone();
    if let Some(KeyAttr::Ethernet(eth)) = other.key.as_mut().unwrap().get_mut(1) {
        eth.src = [2, 0, 0, 0, 0, 9];
    }
    assert_eq!(d.ctl.flow(OVS_FLOW_CMD_NEW, CREATE, &other).errno, 0);
    let flows = d.ctl.dump_flows();
    assert_eq!(flows.len(), 2);
    // Its mask comes back with every field of the key exact.
    let mask = flows[0].mask.clone().unwrap();
    assert!(
        mask.contains(&KeyAttr::Ethernet(dpswitch::flow::odp::EthernetKey {
            src: [0xff; 6],
            dst: [0xff; 6]
        })),
        "{mask:?}"
    );

    // A MASK without eth: the addresses are wildcarded, so the same flow
    // with other addresses is a duplicate.
    let mut wild = flow_text(
        "in_port(1),eth_type(0x0800),ipv4(src=10.1.0.1,dst=10.1.0.2,proto=17,frag=no),udp()",
        Some("0"),
    );
    wild.key.as_mut().unwrap().insert(
        1,
        KeyAttr::Ethernet(dpswitch::flow::odp::EthernetKey {
            src: [2, 0, 0, 0, 0, 1],
            dst: [2, 0, 0, 0, 0, 2],
        }),
    );
    assert_eq!(d.ctl.flow(OVS_FLOW_CMD_NEW, CREATE, &wild).errno, 0);
    if let Some(KeyAttr::Ethernet(eth)) = wild.key.as_mut().unwrap().get_mut(1) {
        eth.src = [2, 0, 0, 0, 0, 7];
    }
    assert_fails(&d.ctl.flow(OVS_FLOW_CMD_NEW, CREATE, &wild), EEXIST, None);
    assert_eq!(d.ctl.dump_flows().len(), 3);
    d.stop();
}

#[test]
fn n4_malformed_matches_are_einval_and_change_nothing() {
    let mut d = start("n4");
    assert_eq!(
        d.ctl
            .flow(OVS_FLOW_CMD_NEW, CREATE, &flow_text(ARP, Some("0")))
            .errno,
        0
    );
    let before = d.ctl.dump_flows();
    let actions = {
        let mut w = AttrWriter::new();
        w.put_u32(OVS_ACTION_ATTR_OUTPUT, 0);
        w.as_bytes().to_vec()
    };
    let with_key = |key: &[u8], mask: Option<&[u8]>| {
        let mut w = AttrWriter::new();
        w.put(OVS_FLOW_ATTR_KEY, key);
        if let Some(m) = mask {
            w.put(OVS_FLOW_ATTR_MASK, m);
        }
        w.put(OVS_FLOW_ATTR_ACTIONS, &actions);
        w.as_bytes().to_vec()
    };
    let key = |build: &dyn Fn(&mut AttrWriter)| {
        let mut w = AttrWriter::new();
        build(&mut w);
        w.as_bytes().to_vec()
    };
    let cases: Vec<(&str, Vec<u8>)> = vec![
        (
            "unknown key attribute",
            with_key(
                &key(&|w| {
                    w.put_u32(OVS_KEY_ATTR_IN_PORT, 1);
                    w.put_u32(200, 0);
                }),
                None,
            ),
        ),
        (
            "duplicate in_port",
            with_key(
                &key(&|w| {
                    w.put_u32(OVS_KEY_ATTR_IN_PORT, 1);
                    w.put_u32(OVS_KEY_ATTR_IN_PORT, 2);
                }),
                None,
            ),
        ),
        (
            "in_port of 2 bytes",
            with_key(&key(&|w| w.put_u16(OVS_KEY_ATTR_IN_PORT, 1)), None),
        ),
        (
            "nest truncated",
            with_key(&key(&|w| w.put_u32(OVS_KEY_ATTR_IN_PORT, 1))[..6], None),
        ),
        (
            "ipv4 without exact eth_type",
            with_key(
                &key(&|w| {
                    w.put_u32(OVS_KEY_ATTR_IN_PORT, 1);
                    w.put(OVS_KEY_ATTR_ETHERNET, &[0; 12]);
                    w.put(OVS_KEY_ATTR_IPV4, &[10, 0, 0, 1, 10, 0, 0, 2, 17, 0, 64, 0]);
                }),
                Some(&key(&|w| {
                    w.put_u32(OVS_KEY_ATTR_IN_PORT, u32::MAX);
                    w.put_be16(OVS_KEY_ATTR_ETHERTYPE, 0xff00);
                    w.put(OVS_KEY_ATTR_IPV4, &[0xff; 12]);
                })),
            ),
        ),
        (
            "mask for tcp the key lacks",
            with_key(
                &key(&|w| {
                    w.put_u32(OVS_KEY_ATTR_IN_PORT, 1);
                    w.put(OVS_KEY_ATTR_ETHERNET, &[0; 12]);
                    w.put_be16(OVS_KEY_ATTR_ETHERTYPE, 0x0806);
                }),
                Some(&key(&|w| {
                    w.put_u32(OVS_KEY_ATTR_IN_PORT, u32::MAX);
                    w.put_be16(OVS_KEY_ATTR_ETHERTYPE, 0xffff);
                    w.put(OVS_KEY_ATTR_TCP, &[0xff; 4]);
                })),
            ),
        ),
    ];
    for (what, attrs) in cases {
        let (family, dp) = (d.ctl.flow_family, d.ctl.dp_ifindex);
        let r = d.ctl.ovs(family, OVS_FLOW_CMD_NEW, CREATE, dp, &attrs);
        assert_eq!(r.errno, EINVAL, "{what}: {r:?}");
        assert!(r.ext.is_some(), "{what}: the reply says why");
    }
    assert_eq!(d.ctl.dump_flows(), before);
    d.stop();
}

#[test]
fn n5_ufid_identifies_empty_is_erange_long_is_ignored() {
    let mut d = start("n5");
    let mut f = flow_text(ARP, Some("0"));
    f.ufid = Some(ufid(5));
    assert_eq!(d.ctl.flow(OVS_FLOW_CMD_NEW, CREATE, &f).errno, 0);
    let by_ufid = FlowAttrs {
        ufid: Some(ufid(5)),
        ..FlowAttrs::default()
    };
    let r = d.ctl.flow(OVS_FLOW_CMD_GET, 0, &by_ufid);
    assert_eq!(r.errno, 0);
    assert_eq!(r.flows()[0].ufid, Some(ufid(5)));
    // A UFID-identified flow is not found by its key.
    let r = d.ctl.flow(OVS_FLOW_CMD_GET, 0, &flow_text(ARP, None));
    assert_eq!(r.errno, ENOENT);

    // Empty: the attribute policy refuses it.
    let mut w = AttrWriter::new();
    w.put(OVS_FLOW_ATTR_UFID, &[]);
    let mut rest = flow_text(
        "in_port(1),eth(),eth_type(0x0800),ipv4(proto=6,frag=no),tcp(),tcp_flags(0/0)",
        Some("0"),
    );
    rest.ufid = None;
    let mut attrs = w.as_bytes().to_vec();
    attrs.extend(rest.encode().unwrap());
    let (family, dp) = (d.ctl.flow_family, d.ctl.dp_ifindex);
    assert_fails(
        &d.ctl.ovs(family, OVS_FLOW_CMD_NEW, CREATE, dp, &attrs),
        ERANGE,
        None,
    );
    assert_eq!(d.ctl.dump_flows().len(), 1);

    // 17 bytes: logged, ignored; the flow is identified by its key.
    let mut long = flow_text("in_port(0),eth(),eth_type(0x0806),arp()", Some("1"));
    long.ufid = Some(vec![7; 17]);
    let r = d.ctl.flow(OVS_FLOW_CMD_NEW, CREATE | NLM_F_ECHO, &long);
    assert_eq!(r.errno, 0);
    assert_eq!(r.flows()[0].ufid, None);
    d.daemon.wait_for(
        "ufid size 17 bytes exceeds the range (1, 16)",
        Duration::from_secs(5),
    );
    let r = d.ctl.flow(
        OVS_FLOW_CMD_GET,
        0,
        &flow_text("in_port(0),eth(),eth_type(0x0806),arp()", None),
    );
    assert_eq!(r.errno, 0, "found by key");
    d.stop();
}

#[test]
fn n6_the_stored_key_is_masked() {
    let mut d = start("n6");
    let mut f = flow_text(
        "in_port(0),eth(),eth_type(0x0800),ipv4(src=10.9.8.7/255.255.255.0,dst=10.1.2.3/255.255.0.0,proto=17,frag=no),udp()",
        Some("1"),
    );
    f.ufid = Some(ufid(6));
    assert_eq!(d.ctl.flow(OVS_FLOW_CMD_NEW, CREATE, &f).errno, 0);
    let r = d.ctl.flow(
        OVS_FLOW_CMD_GET,
        0,
        &FlowAttrs {
            ufid: Some(ufid(6)),
            ..FlowAttrs::default()
        },
    );
    let key = r.flows()[0].key.clone().unwrap();
    let ipv4 = key
        .iter()
        .find_map(|a| match a {
            KeyAttr::Ipv4(k) => Some(*k),
            _ => None,
        })
        .unwrap();
    assert_eq!(ipv4.src.to_be_bytes(), [10, 9, 8, 0]);
    assert_eq!(ipv4.dst.to_be_bytes(), [10, 1, 0, 0]);
    assert_eq!(ipv4.proto, 17);
    d.stop();
}

#[test]
fn n7_unsafe_actions_are_refused_and_logged() {
    let mut d = start("n7");
    let ip = "in_port(0),eth(),eth_type(0x0800),ipv4(proto=17,frag=no),udp()";
    let cases: Vec<(&str, FlowAttrs, i32)> = vec![
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
            "oversized list",
            FlowAttrs {
                actions: Some(vec![Action::Output(1); 4200]),
                ..flow_text(ip, None)
            },
            EMSGSIZE,
        ),
    ];
    for (what, attrs, errno) in cases {
        let r = d.ctl.flow(OVS_FLOW_CMD_NEW, CREATE, &attrs);
        assert_eq!(r.errno, errno, "{what}: {r:?}");
        assert!(
            r.ext
                .as_deref()
                .unwrap_or_default()
                .starts_with("Flow actions may not be safe on all matching packets."),
            "{what}: {r:?}"
        );
    }
    // An action type the datapath does not know.
    let mut w = AttrWriter::new();
    let key = flow_text(ARP, None).encode().unwrap();
    let nest = w.begin_nested(OVS_FLOW_ATTR_ACTIONS);
    w.put_u32(250, 1);
    w.end_nested(nest);
    let mut attrs = key;
    attrs.extend_from_slice(w.as_bytes());
    let (family, dp) = (d.ctl.flow_family, d.ctl.dp_ifindex);
    assert_fails(
        &d.ctl.ovs(family, OVS_FLOW_CMD_NEW, CREATE, dp, &attrs),
        EINVAL,
        Some("Flow actions may not be safe on all matching packets."),
    );
    d.daemon.wait_for(
        "ovs_flow NEW refused: EINVAL: Flow actions may not be safe on all matching packets.",
        Duration::from_secs(5),
    );
    assert!(d.ctl.dump_flows().is_empty());
    d.stop();
}

#[test]
fn n8_unknown_dp_ifindex_is_enodev_after_parsing() {
    let mut d = start("n8");
    let family = d.ctl.flow_family;
    let good = flow_text(ARP, Some("0")).encode().unwrap();
    let r = d.ctl.ovs(family, OVS_FLOW_CMD_NEW, CREATE, 4242, &good);
    assert_fails(&r, ENODEV, None);
    // The kernel parses before it looks for the datapath.
    let bad = flow_text(ARP, None).encode().unwrap();
    assert_fails(
        &d.ctl.ovs(family, OVS_FLOW_CMD_NEW, CREATE, 4242, &bad),
        EINVAL,
        None,
    );
    assert!(d.ctl.dump_flows().is_empty());
    d.stop();
}

#[test]
fn n9_duplicates_are_found_by_ufid_then_as_a_packet_would_be() {
    let mut d = start("n9");
    let mut wide = flow_text(
        "in_port(0),eth(),eth_type(0x0800),ipv4(src=10.0.0.0/255.0.0.0,proto=17,frag=no),udp()",
        Some("1"),
    );
    wide.ufid = Some(ufid(9));
    assert_eq!(d.ctl.flow(OVS_FLOW_CMD_NEW, CREATE, &wide).errno, 0);
    // Another key, another UFID, but a packet with this key hits the
    // wide flow: a duplicate.
    let mut narrow = flow_text(
        "in_port(0),eth(),eth_type(0x0800),ipv4(src=10.1.2.3,proto=17,frag=no),udp()",
        Some("1"),
    );
    narrow.ufid = Some(ufid(10));
    assert_fails(&d.ctl.flow(OVS_FLOW_CMD_NEW, CREATE, &narrow), EEXIST, None);
    // The same UFID with a key no packet of the flow has: found by UFID.
    let mut same_ufid = flow_text(ARP, Some("0"));
    same_ufid.ufid = Some(ufid(9));
    assert_fails(
        &d.ctl.flow(OVS_FLOW_CMD_NEW, CREATE, &same_ufid),
        EEXIST,
        None,
    );
    assert_eq!(d.ctl.dump_flows().len(), 1);
    d.stop();
}

#[test]
fn n10_inserts_share_masks_and_a_full_table_is_efbig() {
    common::require_root("hugepages, DPDK devices");
    let mut d = ControlDaemon::start("n10", "[datapath]\nflow_limit = 3\n");
    for n in 1..=3u8 {
        let f = flow_text(
            &format!(
                "in_port(0),eth(),eth_type(0x0800),ipv4(src=10.0.0.{n},proto=17,frag=no),udp()"
            ),
            Some("1"),
        );
        assert_eq!(d.ctl.flow(OVS_FLOW_CMD_NEW, CREATE, &f).errno, 0);
    }
    let dp = d
        .ctl
        .ovs(d.ctl.dp_family, OVS_DP_CMD_GET, 0, d.ctl.dp_ifindex, &[]);
    let mega = dp.messages[0].attr(OVS_DP_ATTR_MEGAFLOW_STATS).unwrap();
    assert_eq!(
        u32::from_ne_bytes(mega[8..12].try_into().unwrap()),
        1,
        "one mask for three flows"
    );
    let before = without_stats(d.ctl.dump_flows());
    let f = flow_text("in_port(0),eth(),eth_type(0x0806),arp()", Some("1"));
    assert_fails(&d.ctl.flow(OVS_FLOW_CMD_NEW, CREATE, &f), EFBIG, None);
    assert_eq!(without_stats(d.ctl.dump_flows()), before);
    // Room again after a delete (by the key as given, as the kernel
    // compares unmasked keys).
    let one = flow_text(
        "in_port(0),eth(),eth_type(0x0800),ipv4(src=10.0.0.1,proto=17,frag=no),udp()",
        None,
    );
    assert_eq!(d.ctl.flow(OVS_FLOW_CMD_DEL, 0, &one).errno, 0);
    assert_eq!(d.ctl.flow(OVS_FLOW_CMD_NEW, CREATE, &f).errno, 0);
    let dp = d
        .ctl
        .ovs(d.ctl.dp_family, OVS_DP_CMD_GET, 0, d.ctl.dp_ifindex, &[]);
    let mega = dp.messages[0].attr(OVS_DP_ATTR_MEGAFLOW_STATS).unwrap();
    assert_eq!(u32::from_ne_bytes(mega[8..12].try_into().unwrap()), 2);
    d.stop();
}

#[test]
fn n11_existing_flow_with_create_or_excl_is_eexist() {
    let mut d = start("n11");
    let f = flow_text(ARP, Some("0"));
    assert_eq!(d.ctl.flow(OVS_FLOW_CMD_NEW, CREATE, &f).errno, 0);
    let g = flow_text(ARP, Some("drop"));
    assert_fails(&d.ctl.flow(OVS_FLOW_CMD_NEW, CREATE, &g), EEXIST, None);
    assert_fails(&d.ctl.flow(OVS_FLOW_CMD_NEW, NLM_F_EXCL, &g), EEXIST, None);
    assert_eq!(d.ctl.dump_flows()[0].actions, Some(vec![Action::Output(0)]));
    d.stop();
}

#[test]
fn n12_a_duplicate_with_another_identity_is_enoent() {
    let mut d = start("n12");
    // Key-identified wide flow; a NEW for another key inside it.
    let wide = flow_text(
        "in_port(0),eth(),eth_type(0x0800),ipv4(src=10.0.0.0/255.0.0.0,proto=17,frag=no),udp()",
        Some("1"),
    );
    assert_eq!(d.ctl.flow(OVS_FLOW_CMD_NEW, CREATE, &wide).errno, 0);
    let inside = flow_text(
        "in_port(0),eth(),eth_type(0x0800),ipv4(src=10.5.5.5/255.0.0.0,proto=17,frag=no),udp()",
        Some("drop"),
    );
    assert_fails(&d.ctl.flow(OVS_FLOW_CMD_NEW, 0, &inside), ENOENT, None);
    // A UFID flow; the same UFID with a different key.
    let mut u = flow_text(ARP, Some("0"));
    u.ufid = Some(ufid(12));
    assert_eq!(d.ctl.flow(OVS_FLOW_CMD_NEW, CREATE, &u).errno, 0);
    let mut other = flow_text(
        "in_port(1),eth(),eth_type(0x86dd),ipv6(proto=17,frag=no),udp()",
        Some("drop"),
    );
    other.ufid = Some(ufid(12));
    assert_fails(&d.ctl.flow(OVS_FLOW_CMD_NEW, 0, &other), ENOENT, None);
    let flows = d.ctl.dump_flows();
    assert_eq!(flows.len(), 2);
    assert!(
        flows.iter().all(|f| f.actions != Some(vec![])),
        "nothing became drop: {flows:?}"
    );
    d.stop();
}

#[test]
fn n13_new_without_create_replaces_actions_and_keeps_stats() {
    let mut d = start("n13");
    let mut f = flow_text(TRAFFIC_KEY, Some("1"));
    f.ufid = Some(ufid(13));
    assert_eq!(d.ctl.flow(OVS_FLOW_CMD_NEW, CREATE, &f).errno, 0);
    let get = FlowAttrs {
        ufid: Some(ufid(13)),
        ..FlowAttrs::default()
    };
    let packets = |d: &mut ControlDaemon| {
        d.ctl.flow(OVS_FLOW_CMD_GET, 0, &get).flows()[0]
            .stats
            .map_or(0, |s| s.packets)
    };
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while packets(&mut d) == 0 && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let before = packets(&mut d);
    assert!(before > 0, "the replayed frame hits the flow");
    f.actions = Some(actions_text("set(ipv4(ttl=9)),1"));
    let r = d.ctl.flow(OVS_FLOW_CMD_NEW, NLM_F_ECHO, &f);
    assert_eq!(r.errno, 0);
    let after = r.flows()[0].clone();
    assert_eq!(after.actions, f.actions);
    assert!(after.stats.unwrap().packets >= before, "stats kept");
    assert_eq!(d.ctl.dump_flows().len(), 1);
    d.stop();
}

#[test]
fn n14_echo_and_subscribers_get_the_flow_with_omit_flags_honoured() {
    let mut d = start("n14");
    let mut monitor = common::Ctl::connect(&d.socket());
    let group = monitor.group(OVS_FLOW_FAMILY, OVS_FLOW_MCGROUP);
    assert_eq!(monitor.subscribe(group).errno, 0);
    let mut f = flow_text(ARP, Some("0"));
    f.ufid = Some(ufid(14));
    let r = d.ctl.flow(OVS_FLOW_CMD_NEW, CREATE | NLM_F_ECHO, &f);
    assert_eq!(r.errno, 0);
    let echoed = r.flows()[0].clone();
    assert_eq!(r.messages[0].genl_cmd(), OVS_FLOW_CMD_NEW);
    assert_eq!(echoed.ufid, f.ufid);
    assert_eq!(echoed.actions, f.actions);
    assert!(echoed.key.is_some() && echoed.mask.is_some());
    let notes = monitor.recv();
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert_eq!(notes[0].header.msg_type, monitor.flow_family);
    assert_eq!(notes[0].genl_cmd(), OVS_FLOW_CMD_NEW);
    assert_eq!(notes[0].header.pid, d.ctl.port_id, "names the requester");
    assert_eq!(notes[0].flow(), echoed);
    // Omit flags.
    let mut g = flow_text("in_port(0),eth(),eth_type(0x0806),arp()", Some("1"));
    g.ufid = Some(ufid(15));
    g.ufid_flags = OVS_UFID_F_OMIT_KEY | OVS_UFID_F_OMIT_MASK | OVS_UFID_F_OMIT_ACTIONS;
    let r = d.ctl.flow(OVS_FLOW_CMD_NEW, CREATE | NLM_F_ECHO, &g);
    let bare = r.flows()[0].clone();
    assert_eq!((bare.key, bare.mask, bare.actions), (None, None, None));
    assert_eq!(bare.ufid, g.ufid);
    // Without echo the requester gets only the ack.
    let h = flow_text(
        "in_port(1),eth(),eth_type(0x0800),ipv4(proto=6,frag=no),tcp(),tcp_flags(0/0)",
        Some("0"),
    );
    let r = d.ctl.flow(OVS_FLOW_CMD_NEW, CREATE, &h);
    assert_eq!((r.errno, r.messages.len()), (0, 0));
    assert_eq!(monitor.recv().len(), 1);
    d.stop();
}

#[test]
fn n15_probe_failures_are_not_logged() {
    let mut d = start("n15");
    let probe = FlowAttrs {
        probe: true,
        actions: Some(vec![Action::Output(0)]),
        ..FlowAttrs::default()
    };
    let r = d.ctl.flow(OVS_FLOW_CMD_NEW, CREATE, &probe);
    assert_fails(&r, EINVAL, None);
    let loud = FlowAttrs {
        actions: Some(vec![]),
        ..FlowAttrs::default()
    };
    assert_fails(&d.ctl.flow(OVS_FLOW_CMD_NEW, CREATE, &loud), EINVAL, None);
    d.daemon
        .wait_for("Flow key attr not present", Duration::from_secs(5));
    let lines = d.stop();
    let logged = lines
        .iter()
        .filter(|l| l.contains("Flow key attr not present"))
        .count();
    assert_eq!(logged, 1, "only the non-probe failure is logged: {lines:?}");
}

#[test]
fn n16_every_failure_leaves_the_table_as_it_was() {
    let mut d = start("n16");
    for (n, key) in [ARP, TRAFFIC_KEY].iter().enumerate() {
        let mut f = flow_text(key, Some("1"));
        f.ufid = Some(ufid(160 + n as u8));
        assert_eq!(d.ctl.flow(OVS_FLOW_CMD_NEW, CREATE, &f).errno, 0);
    }
    let dp_stats = |d: &mut ControlDaemon| {
        let r = d
            .ctl
            .ovs(d.ctl.dp_family, OVS_DP_CMD_GET, 0, d.ctl.dp_ifindex, &[]);
        let s = r.messages[0].attr(OVS_DP_ATTR_STATS).unwrap();
        let m = r.messages[0].attr(OVS_DP_ATTR_MEGAFLOW_STATS).unwrap();
        (
            u64::from_ne_bytes(s[24..32].try_into().unwrap()),
            u32::from_ne_bytes(m[8..12].try_into().unwrap()),
        )
    };
    let before = without_stats(d.ctl.dump_flows());
    let counts = dp_stats(&mut d);
    let mut dup = flow_text(ARP, Some("drop"));
    dup.ufid = Some(ufid(160));
    let mut wrong_ufid = flow_text(
        "in_port(1),eth(),eth_type(0x0800),ipv4(proto=1,frag=no),icmp()",
        Some("0"),
    );
    wrong_ufid.ufid = Some(ufid(161));
    let failures = vec![
        (
            OVS_FLOW_CMD_NEW,
            CREATE,
            FlowAttrs {
                actions: Some(vec![]),
                ..FlowAttrs::default()
            },
        ),
        (OVS_FLOW_CMD_NEW, CREATE, flow_text(ARP, None)),
        (
            OVS_FLOW_CMD_NEW,
            CREATE,
            flow_text("in_port(0),eth()", Some("set(ipv4(src=1.2.3.4)),1")),
        ),
        (OVS_FLOW_CMD_NEW, CREATE, dup.clone()),
        (OVS_FLOW_CMD_NEW, 0, wrong_ufid),
        (
            OVS_FLOW_CMD_SET,
            0,
            flow_text("in_port(1),eth(),eth_type(0x0806),arp(op=2)", Some("0")),
        ),
        (
            OVS_FLOW_CMD_SET,
            0,
            FlowAttrs {
                ufid: Some(ufid(160)),
                actions: Some(vec![]),
                ..FlowAttrs::default()
            },
        ),
        (
            OVS_FLOW_CMD_DEL,
            0,
            FlowAttrs {
                ufid: Some(ufid(99)),
                ..FlowAttrs::default()
            },
        ),
        (
            OVS_FLOW_CMD_DEL,
            0,
            flow_text("in_port(7),eth(),eth_type(0x0806),arp()", None),
        ),
    ];
    for (cmd, flags, attrs) in failures {
        let r = d.ctl.flow(cmd, flags, &attrs);
        assert_ne!(r.errno, 0, "{cmd} {attrs:?} must fail");
        assert_eq!(
            without_stats(d.ctl.dump_flows()),
            before,
            "after {cmd} {attrs:?}"
        );
        assert_eq!(dp_stats(&mut d), counts);
    }
    d.stop();
}
