//! OVS_FLOW_CMD_NEW over the control socket against a running dpswitchd,
//! for the rules of docs/flow-commands.md (N1-N16) where the wire,
//! the log or the running datapath shows something: the errno and the
//! extended ack a client reads, the log line where the rule names one,
//! notifications, configured limits and live traffic. Every rule's table
//! semantics are checked in-process in tests/flow_rules.rs; N3, N6, N9,
//! N11 and N12, which add nothing beyond them here, are tested there only.

mod common;

use common::errno::*;
use common::{actions_text, assert_fails, flow_text, without_stats, ControlDaemon, TRAFFIC_KEY};
use dpswitch::flow::odp::Action;
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
#[ignore = "needs root: hugepages, DPDK devices"]
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
#[ignore = "needs root: hugepages, DPDK devices"]
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
#[ignore = "needs root: hugepages, DPDK devices"]
fn n4_malformed_matches_are_einval_and_change_nothing() {
    let mut d = start("n4");
    assert_eq!(
        d.ctl
            .flow(OVS_FLOW_CMD_NEW, CREATE, &flow_text(ARP, Some("0")))
            .errno,
        0
    );
    let before = d.ctl.dump_flows();
    let cases = common::malformed_matches();
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
#[ignore = "needs root: hugepages, DPDK devices"]
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
#[ignore = "needs root: hugepages, DPDK devices"]
fn n7_unsafe_actions_are_refused_and_logged() {
    let mut d = start("n7");
    let cases = common::unsafe_actions();
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
#[ignore = "needs root: hugepages, DPDK devices"]
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
#[ignore = "needs root: hugepages, DPDK devices"]
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
#[ignore = "needs root: hugepages, DPDK devices"]
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
#[ignore = "needs root: hugepages, DPDK devices"]
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
#[ignore = "needs root: hugepages, DPDK devices"]
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
#[ignore = "needs root: hugepages, DPDK devices"]
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
