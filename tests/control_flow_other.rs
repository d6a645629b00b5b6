//! OVS_FLOW_CMD_SET, DEL, GET and the flow dump over the control socket
//! against a running dpswitchd, one test per rule of
//! docs/flow-commands.md (S1, D1, D2, G1, G2).

mod common;

use common::errno::*;
use common::{actions_text, flow_text, ControlDaemon, TRAFFIC_KEY};
use dpswitch::flow::odp::{Action, KeyAttr};
use dpswitch::netlink::consts::*;
use dpswitch::netlink::flow::FlowAttrs;
use std::collections::HashMap;
use std::time::{Duration, Instant};

const ARP: &str = "in_port(1),eth(),eth_type(0x0806),arp()";
const CREATE: u16 = NLM_F_CREATE;

fn start(tag: &str) -> ControlDaemon {
    ControlDaemon::start(tag, "")
}

fn by_ufid(n: u8) -> FlowAttrs {
    FlowAttrs {
        ufid: Some(vec![n; 16]),
        ..FlowAttrs::default()
    }
}

/// Installs the flow the replayed traffic hits, with UFID `n`, and waits
/// until it has counted packets.
fn traffic_flow(d: &mut ControlDaemon, n: u8) {
    let mut f = flow_text(TRAFFIC_KEY, Some("1"));
    f.ufid = Some(vec![n; 16]);
    assert_eq!(d.ctl.flow(OVS_FLOW_CMD_NEW, CREATE, &f).errno, 0);
    let deadline = Instant::now() + Duration::from_secs(10);
    while packets(d, n) == 0 {
        assert!(Instant::now() < deadline, "traffic never hit the flow");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn packets(d: &mut ControlDaemon, n: u8) -> u64 {
    let r = d.ctl.flow(OVS_FLOW_CMD_GET, 0, &by_ufid(n));
    assert_eq!(r.errno, 0);
    r.flows()[0].stats.map_or(0, |s| s.packets)
}

/// The datapath's hit counter (struct ovs_dp_stats.n_hit).
fn dp_hits(d: &mut ControlDaemon) -> u64 {
    let r = d
        .ctl
        .ovs(d.ctl.dp_family, OVS_DP_CMD_GET, 0, d.ctl.dp_ifindex, &[]);
    let s = r.messages[0].attr(OVS_DP_ATTR_STATS).unwrap();
    u64::from_ne_bytes(s[0..8].try_into().unwrap())
}

#[test]
#[ignore = "needs root: hugepages, DPDK devices"]
fn s1_set_finds_by_ufid_or_exact_match_and_keeps_or_clears_stats() {
    let mut d = start("s1");
    traffic_flow(&mut d, 1);
    // Neither KEY nor UFID.
    let r = d.ctl.flow(OVS_FLOW_CMD_SET, 0, &FlowAttrs::default());
    assert_eq!(r.errno, EINVAL);
    assert_eq!(
        r.ext.as_deref(),
        Some("Flow set message rejected, Key attribute missing.")
    );
    // ACTIONS without KEY (UFID only): actions cannot be validated.
    let r = d.ctl.flow(
        OVS_FLOW_CMD_SET,
        0,
        &FlowAttrs {
            actions: Some(vec![]),
            ..by_ufid(1)
        },
    );
    assert_eq!(r.errno, EINVAL);
    // No such flow.
    assert_eq!(d.ctl.flow(OVS_FLOW_CMD_SET, 0, &by_ufid(77)).errno, ENOENT);
    let absent = flow_text("in_port(1),eth(),eth_type(0x0806),arp(op=1)", Some("0"));
    assert_eq!(d.ctl.flow(OVS_FLOW_CMD_SET, 0, &absent).errno, ENOENT);
    // Unsafe actions are refused as for NEW.
    let mut unsafe_set = flow_text(TRAFFIC_KEY, Some("9"));
    unsafe_set.ufid = Some(vec![1; 16]);
    assert_eq!(d.ctl.flow(OVS_FLOW_CMD_SET, 0, &unsafe_set).errno, EINVAL);

    // Without ACTIONS: unchanged, stats kept.
    let before = packets(&mut d, 1);
    let r = d.ctl.flow(OVS_FLOW_CMD_SET, NLM_F_ECHO, &by_ufid(1));
    assert_eq!(r.errno, 0);
    assert_eq!(r.messages[0].genl_cmd(), OVS_FLOW_CMD_SET);
    let echoed = r.flows()[0].clone();
    assert_eq!(echoed.actions, Some(vec![Action::Output(1)]));
    assert!(echoed.stats.unwrap().packets >= before);

    // By key and mask, with new actions (and the UFID flow found by key
    // does not count: the key-identified one must be named exactly).
    let mut keyed = flow_text(ARP, Some("0"));
    assert_eq!(d.ctl.flow(OVS_FLOW_CMD_NEW, CREATE, &keyed).errno, 0);
    keyed.actions = Some(actions_text("1"));
    assert_eq!(d.ctl.flow(OVS_FLOW_CMD_SET, 0, &keyed).errno, 0);
    let got = d.ctl.flow(OVS_FLOW_CMD_GET, 0, &flow_text(ARP, None));
    assert_eq!(got.flows()[0].actions, Some(vec![Action::Output(1)]));
    // The request's MASK plays no part: a SET whose mask differs from
    // the flow's (in_port wildcarded here) still names it by its key.
    let mut other_mask = flow_text(ARP, Some("0"));
    other_mask
        .mask
        .as_mut()
        .unwrap()
        .retain(|a| !matches!(a, KeyAttr::InPort(_)));
    assert_eq!(d.ctl.flow(OVS_FLOW_CMD_SET, 0, &other_mask).errno, 0);
    let got = d.ctl.flow(OVS_FLOW_CMD_GET, 0, &flow_text(ARP, None));
    assert_eq!(got.flows()[0].actions, Some(vec![Action::Output(0)]));
    // An empty ACTIONS nest: drop.
    keyed.actions = Some(vec![]);
    assert_eq!(d.ctl.flow(OVS_FLOW_CMD_SET, 0, &keyed).errno, 0);
    let got = d.ctl.flow(OVS_FLOW_CMD_GET, 0, &flow_text(ARP, None));
    assert_eq!(got.flows()[0].actions, Some(vec![]));

    // CLEAR: the reply shows the counters before, the flow restarts at 0
    // (it counts half a second of traffic first, so what it counts again
    // in the moment before the next GET is far less).
    std::thread::sleep(Duration::from_millis(500));
    let clear = FlowAttrs {
        clear: true,
        ..by_ufid(1)
    };
    let r = d.ctl.flow(OVS_FLOW_CMD_SET, NLM_F_ECHO, &clear);
    assert_eq!(r.errno, 0);
    let shown = r.flows()[0].stats.unwrap().packets;
    assert!(shown >= before, "reply carries the pre-clear counters");
    let after = packets(&mut d, 1);
    assert!(after < shown / 2, "cleared: {after} < {shown} / 2");
    d.stop();
}

#[test]
#[ignore = "needs root: hugepages, DPDK devices"]
fn d1_del_without_key_or_ufid_flushes() {
    let mut d = start("d1");
    traffic_flow(&mut d, 1);
    for key in [
        ARP,
        "in_port(0),eth(),eth_type(0x86dd),ipv6(proto=17,frag=no),udp()",
    ] {
        assert_eq!(
            d.ctl
                .flow(OVS_FLOW_CMD_NEW, CREATE, &flow_text(key, Some("1")))
                .errno,
            0
        );
    }
    assert_eq!(d.ctl.dump_flows().len(), 3);
    // A DEL whose only attribute is cut short is not a flush (A2).
    let (family, dp) = (d.ctl.flow_family, d.ctl.dp_ifindex);
    let garbled = [8u8, 0, 9, 0, 1, 2];
    let r = d.ctl.ovs(family, OVS_FLOW_CMD_DEL, 0, dp, &garbled);
    assert_eq!(r.errno, EINVAL, "{r:?}");
    assert_eq!(d.ctl.dump_flows().len(), 3);
    let r = d.ctl.flow(OVS_FLOW_CMD_DEL, 0, &FlowAttrs::default());
    assert_eq!(r.errno, 0);
    assert!(d.ctl.dump_flows().is_empty());
    let dp = d
        .ctl
        .ovs(d.ctl.dp_family, OVS_DP_CMD_GET, 0, d.ctl.dp_ifindex, &[]);
    let stats = dp.messages[0].attr(OVS_DP_ATTR_STATS).unwrap();
    let mega = dp.messages[0].attr(OVS_DP_ATTR_MEGAFLOW_STATS).unwrap();
    assert_eq!(u64::from_ne_bytes(stats[24..32].try_into().unwrap()), 0);
    assert_eq!(u32::from_ne_bytes(mega[8..12].try_into().unwrap()), 0);
    // The packets miss now.
    let hits = dp_hits(&mut d);
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(dp_hits(&mut d), hits);
    d.stop();
}

#[test]
#[ignore = "needs root: hugepages, DPDK devices"]
fn d2_del_by_ufid_or_key_returns_final_stats_and_the_flow_is_gone() {
    let mut d = start("d2");
    traffic_flow(&mut d, 1);
    assert_eq!(d.ctl.flow(OVS_FLOW_CMD_DEL, 0, &by_ufid(9)).errno, ENOENT);
    let last_seen = packets(&mut d, 1);
    let r = d.ctl.flow(OVS_FLOW_CMD_DEL, NLM_F_ECHO, &by_ufid(1));
    assert_eq!(r.errno, 0);
    assert_eq!(r.messages[0].genl_cmd(), OVS_FLOW_CMD_DEL);
    let final_stats = r.flows()[0].stats.unwrap();
    assert!(final_stats.packets >= last_seen);
    // Gone for packets when the reply was sent: nothing hits any more.
    let hits = dp_hits(&mut d);
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(dp_hits(&mut d), hits, "no packet hit after the DEL reply");
    assert_eq!(d.ctl.flow(OVS_FLOW_CMD_GET, 0, &by_ufid(1)).errno, ENOENT);

    // By exact key; a key that only matches under the mask is not it.
    let wide = flow_text(
        "in_port(1),eth(),eth_type(0x0800),ipv4(src=10.0.0.0/255.0.0.0,proto=17,frag=no),udp()",
        Some("0"),
    );
    assert_eq!(d.ctl.flow(OVS_FLOW_CMD_NEW, CREATE, &wide).errno, 0);
    let other = flow_text(
        "in_port(1),eth(),eth_type(0x0800),ipv4(src=10.9.9.9,proto=17,frag=no),udp()",
        None,
    );
    assert_eq!(d.ctl.flow(OVS_FLOW_CMD_DEL, 0, &other).errno, ENOENT);
    let named = FlowAttrs {
        mask: None,
        actions: None,
        ..wide
    };
    assert_eq!(d.ctl.flow(OVS_FLOW_CMD_DEL, 0, &named).errno, 0);
    assert!(d.ctl.dump_flows().is_empty());
    d.stop();
}

#[test]
#[ignore = "needs root: hugepages, DPDK devices"]
fn g1_get_needs_key_or_ufid_and_finds_exactly() {
    let mut d = start("g1");
    let r = d.ctl.flow(OVS_FLOW_CMD_GET, 0, &FlowAttrs::default());
    assert_eq!(r.errno, EINVAL);
    assert_eq!(
        r.ext.as_deref(),
        Some("Flow get message rejected, Key attribute missing.")
    );
    assert_eq!(d.ctl.flow(OVS_FLOW_CMD_GET, 0, &by_ufid(3)).errno, ENOENT);
    let mut u = flow_text(TRAFFIC_KEY, Some("1"));
    u.ufid = Some(vec![3; 16]);
    assert_eq!(d.ctl.flow(OVS_FLOW_CMD_NEW, CREATE, &u).errno, 0);
    let k = flow_text(ARP, Some("0"));
    assert_eq!(d.ctl.flow(OVS_FLOW_CMD_NEW, CREATE, &k).errno, 0);

    let r = d.ctl.flow(OVS_FLOW_CMD_GET, 0, &by_ufid(3));
    assert_eq!(r.errno, 0);
    assert_eq!(r.messages.len(), 1);
    assert_eq!(r.messages[0].genl_cmd(), OVS_FLOW_CMD_GET);
    assert_eq!(r.flows()[0].actions, Some(vec![Action::Output(1)]));
    let r = d.ctl.flow(OVS_FLOW_CMD_GET, 0, &flow_text(ARP, None));
    assert_eq!(r.errno, 0);
    let f = r.flows()[0].clone();
    assert_eq!((f.ufid, f.actions), (None, Some(vec![Action::Output(0)])));
    // Another key: none.
    let r = d.ctl.flow(
        OVS_FLOW_CMD_GET,
        0,
        &flow_text("in_port(0),eth(),eth_type(0x0806),arp()", None),
    );
    assert_eq!(r.errno, ENOENT);
    d.stop();
}

#[test]
#[ignore = "needs root: hugepages, DPDK devices"]
fn g2_dump_lists_every_flow_once_across_parts_while_the_table_changes() {
    let mut d = start("g2");
    let key = |n: u32| {
        let [_, a, b, c] = n.to_be_bytes();
        format!("in_port(1),eth(),eth_type(0x0800),ipv4(dst=10.{a}.{b}.{c},proto=17,frag=no),udp()")
    };
    let ufid_of = |n: u32| {
        let mut u = vec![0xd2; 16];
        u[..4].copy_from_slice(&n.to_be_bytes());
        u
    };
    const N: u32 = 3000;
    for n in 0..N {
        let mut f = flow_text(&key(n), Some("0"));
        f.ufid = Some(ufid_of(n));
        assert_eq!(d.ctl.flow(OVS_FLOW_CMD_NEW, CREATE, &f).errno, 0);
    }
    // A plain dump: every flow once, in several reads.
    let flows = d.ctl.dump_flows();
    assert!(d.ctl.reads > 3, "a 3000-flow dump takes several reads");
    let mut seen: HashMap<Vec<u8>, u32> = HashMap::new();
    for f in &flows {
        *seen.entry(f.ufid.clone().unwrap()).or_default() += 1;
    }
    assert_eq!(seen.len(), N as usize);
    assert!(seen.values().all(|c| *c == 1));

    // A dump read part by part while another client deletes and adds.
    let mut other = common::Ctl::connect(&d.socket());
    let (family, dp) = (d.ctl.flow_family, d.ctl.dp_ifindex);
    let request = d.ctl.ovs_bytes(
        family,
        OVS_FLOW_CMD_GET,
        NLM_F_REQUEST | NLM_F_DUMP,
        dp,
        &[],
    );
    d.ctl.send(&request);
    let mut dumped: HashMap<Vec<u8>, u32> = HashMap::new();
    let mut parts = 0;
    let mut deleted = Vec::new();
    'dump: loop {
        for m in d.ctl.recv() {
            if m.header.msg_type == NLMSG_DONE {
                break 'dump;
            }
            *dumped.entry(m.flow().ufid.unwrap()).or_default() += 1;
        }
        parts += 1;
        if parts == 2 {
            // Delete every 7th flow and add 500 more.
            for n in (0..N).step_by(7) {
                let r = other.flow(
                    OVS_FLOW_CMD_DEL,
                    0,
                    &FlowAttrs {
                        ufid: Some(ufid_of(n)),
                        ..FlowAttrs::default()
                    },
                );
                assert_eq!(r.errno, 0);
                deleted.push(ufid_of(n));
            }
            for n in N..N + 500 {
                let mut f = flow_text(&key(n), Some("0"));
                f.ufid = Some(ufid_of(n));
                assert_eq!(other.flow(OVS_FLOW_CMD_NEW, CREATE, &f).errno, 0);
            }
        }
    }
    assert!(parts > 3, "{parts} parts");
    assert!(dumped.values().all(|c| *c == 1), "no flow twice");
    for n in 0..N + 500 {
        let u = ufid_of(n);
        if !deleted.contains(&u) {
            assert_eq!(dumped.get(&u), Some(&1), "flow {n} lived through the dump");
        }
    }
    d.stop();
}
