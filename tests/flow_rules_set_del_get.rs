//! The `ovs_flow` SET, DEL and GET rules of docs/flow-commands.md (S1,
//! D1-D2, G1), each checked in-process as tests/flow_rules.rs checks the
//! NEW rules: a request built as a client encodes it, run by
//! `flow_cmd::handle` against a real `FlowTable`, the errno and the table
//! afterwards asserted. The dump of G2 is the server's and is tested
//! through the daemon (tests/control_flow_other.rs).
//!
//! Run under the test lock: `flock /tmp/dpswitch-itest.lock cargo test
//! --test flow_rules_set_del_get`.

mod common;

use common::errno::*;
use common::flow_datapath::*;
use common::{actions_text, flow_text, TRAFFIC_KEY};
use dpswitch::classifier::FlowStats;
use dpswitch::flow::odp::{Action, KeyAttr};
use dpswitch::netlink::consts::*;
use dpswitch::netlink::flow::FlowAttrs;

/// S1: SET needs KEY or UFID, and KEY when it carries ACTIONS; it finds
/// the flow by UFID or by exact unmasked key (its MASK plays no part),
/// else ENOENT; ACTIONS absent: unchanged, an empty nest: drop; stats
/// kept unless CLEAR, which the reply shows from before.
#[test]
fn s1_set_finds_the_flow_exactly_and_keeps_or_clears_stats() {
    let mut dp = Datapath::new();
    let mut traffic = flow_text(TRAFFIC_KEY, Some("1"));
    traffic.ufid = Some(ufid(1));
    dp.ok(OVS_FLOW_CMD_NEW, NLM_F_CREATE, &traffic);
    let id = dp.id_of_ufid(1);
    dp.hit(id, 8);

    let e = dp.fails(OVS_FLOW_CMD_SET, 0, &FlowAttrs::default());
    assert_errno(&e, EINVAL, "neither key nor ufid");
    assert_eq!(
        e.message.as_deref(),
        Some("Flow set message rejected, Key attribute missing.")
    );
    let ufid_and_actions = FlowAttrs {
        actions: Some(vec![]),
        ..by_ufid(1)
    };
    let e = dp.fails(OVS_FLOW_CMD_SET, 0, &ufid_and_actions);
    assert_errno(&e, EINVAL, "actions without a key to check them against");
    assert_errno(&dp.fails(OVS_FLOW_CMD_SET, 0, &by_ufid(77)), ENOENT, "ufid");
    let absent = flow_text("in_port(1),eth(),eth_type(0x0806),arp(op=1)", Some("0"));
    assert_errno(&dp.fails(OVS_FLOW_CMD_SET, 0, &absent), ENOENT, "key");
    let mut unsafe_set = flow_text(TRAFFIC_KEY, Some("9"));
    unsafe_set.ufid = Some(ufid(1));
    let e = dp.fails(OVS_FLOW_CMD_SET, 0, &unsafe_set);
    assert_errno(&e, EINVAL, "unsafe actions");
    assert!(e.message.unwrap_or_default().starts_with(NOT_SAFE));

    // Without ACTIONS: unchanged, stats kept.
    let r = dp.ok(OVS_FLOW_CMD_SET, NLM_F_ECHO, &by_ufid(1));
    let (_, cmd, reply) = decode_reply(&r.unicast[0]);
    assert_eq!(cmd, OVS_FLOW_CMD_SET);
    assert_eq!(reply.actions, Some(vec![Action::Output(1)]));
    assert_eq!(reply.stats.map(|s| s.packets), Some(8));
    assert_eq!(dp.stats_of(id).packets, 8);

    // A key-identified flow, by its key, with new actions.
    let mut keyed = flow_text(ARP, Some("0"));
    dp.ok(OVS_FLOW_CMD_NEW, NLM_F_CREATE, &keyed);
    let keyed_id = dp.table.flows().find(|f| f.ufid().is_none()).unwrap().id();
    keyed.actions = Some(actions_text("1"));
    dp.ok(OVS_FLOW_CMD_SET, 0, &keyed);
    assert_eq!(dp.actions_of(keyed_id), vec![Action::Output(1)]);
    // The request's MASK plays no part (in_port wildcarded here).
    let mut other_mask = flow_text(ARP, Some("0"));
    other_mask
        .mask
        .as_mut()
        .unwrap()
        .retain(|a| !matches!(a, KeyAttr::InPort(_)));
    dp.ok(OVS_FLOW_CMD_SET, 0, &other_mask);
    assert_eq!(dp.actions_of(keyed_id), vec![Action::Output(0)]);
    // A UFID flow is not named by its key.
    let by_key = flow_text(TRAFFIC_KEY, Some("0"));
    assert_errno(&dp.fails(OVS_FLOW_CMD_SET, 0, &by_key), ENOENT, "ufid flow");
    // An empty ACTIONS nest: drop.
    keyed.actions = Some(vec![]);
    dp.ok(OVS_FLOW_CMD_SET, 0, &keyed);
    assert_eq!(dp.actions_of(keyed_id), Vec::<Action>::new());
    assert_eq!(dp.table.flow_count(), 2);

    // CLEAR: the reply shows the counters from before, the flow restarts.
    let clear = FlowAttrs {
        clear: true,
        ..by_ufid(1)
    };
    let shown = echoed(&dp.ok(OVS_FLOW_CMD_SET, NLM_F_ECHO, &clear));
    assert_eq!(shown.stats.map(|s| (s.packets, s.bytes)), Some((8, 800)));
    assert_eq!(shown.tcp_flags, Some(0x02));
    assert_eq!(dp.stats_of(id), FlowStats::default(), "cleared");
    assert_eq!(dp.actions_of(id), vec![Action::Output(1)]);
}

/// D1: DEL with neither KEY nor UFID removes every flow and every mask,
/// announcing nothing; a DEL cut short is refused, not read as a flush.
#[test]
fn d1_del_without_key_or_ufid_flushes() {
    let mut dp = Datapath::new();
    dp.listeners = true;
    for key in [ARP, TRAFFIC_KEY, UDP_WIDE] {
        dp.ok(OVS_FLOW_CMD_NEW, NLM_F_CREATE, &flow_text(key, Some("1")));
    }
    let before = dp.state();
    assert_eq!(before.flows.len(), 3);
    let garbled = [8u8, 0, 9, 0, 1, 2];
    let e = dp.fails_raw(OVS_FLOW_CMD_DEL, 0, DP, &garbled);
    assert_errno(&e, EINVAL, "a DEL cut short");
    assert_eq!(dp.state(), before);

    let packet = before.flows[0].key;
    let r = dp.ok(OVS_FLOW_CMD_DEL, NLM_F_ECHO, &FlowAttrs::default());
    assert!(r.unicast.is_empty() && r.notify.is_none(), "{r:?}");
    assert!(r.needs_sync, "the reply waits until no reader holds a flow");
    assert_eq!((dp.table.flow_count(), dp.table.mask_count()), (0, 0));
    assert_eq!(dp.classify(&packet), None);
}

/// D2: DEL by UFID or exact key, else ENOENT; the reply carries the
/// final stats and the flow is gone for readers when it is sent.
#[test]
fn d2_del_by_ufid_or_key_returns_final_stats_and_the_flow_is_gone() {
    let mut dp = Datapath::new();
    let mut traffic = flow_text(TRAFFIC_KEY, Some("1"));
    traffic.ufid = Some(ufid(1));
    dp.ok(OVS_FLOW_CMD_NEW, NLM_F_CREATE, &traffic);
    let id = dp.id_of_ufid(1);
    let packet = dp.table.flow(id).unwrap().key();
    dp.hit(id, 4);
    assert_errno(&dp.fails(OVS_FLOW_CMD_DEL, 0, &by_ufid(9)), ENOENT, "ufid");
    let r = dp.ok(OVS_FLOW_CMD_DEL, NLM_F_ECHO, &by_ufid(1));
    let (_, cmd, reply) = decode_reply(&r.unicast[0]);
    assert_eq!(cmd, OVS_FLOW_CMD_DEL);
    assert_eq!(reply.stats.map(|s| (s.packets, s.bytes)), Some((4, 400)));
    assert_eq!(dp.classify(&packet), None, "gone for readers");
    assert!(dp.table.lookup_ufid(&ufid(1)).is_none());
    assert_errno(&dp.fails(OVS_FLOW_CMD_GET, 0, &by_ufid(1)), ENOENT, "get");

    // By exact key; a key that only matches under the mask is not it.
    dp.ok(
        OVS_FLOW_CMD_NEW,
        NLM_F_CREATE,
        &flow_text(UDP_WIDE, Some("0")),
    );
    let other =
        key_only("in_port(0),eth(),eth_type(0x0800),ipv4(src=10.9.9.9,proto=17,frag=no),udp()");
    assert_errno(&dp.fails(OVS_FLOW_CMD_DEL, 0, &other), ENOENT, "masked");
    assert_eq!(dp.table.flow_count(), 1);
    let named = FlowAttrs {
        mask: None,
        actions: None,
        ..flow_text(UDP_WIDE, None)
    };
    dp.ok(OVS_FLOW_CMD_DEL, 0, &named);
    assert_eq!((dp.table.flow_count(), dp.table.mask_count()), (0, 0));
}

/// G1: GET needs KEY or UFID (EINVAL), finds by UFID or exact key, else
/// ENOENT, and answers the requester alone.
#[test]
fn g1_get_needs_key_or_ufid_and_finds_exactly() {
    let mut dp = Datapath::new();
    dp.listeners = true;
    let e = dp.fails(OVS_FLOW_CMD_GET, 0, &FlowAttrs::default());
    assert_errno(&e, EINVAL, "neither key nor ufid");
    assert_eq!(
        e.message.as_deref(),
        Some("Flow get message rejected, Key attribute missing.")
    );
    assert_errno(&dp.fails(OVS_FLOW_CMD_GET, 0, &by_ufid(3)), ENOENT, "none");
    let mut u = flow_text(TRAFFIC_KEY, Some("1"));
    u.ufid = Some(ufid(3));
    dp.ok(OVS_FLOW_CMD_NEW, NLM_F_CREATE, &u);
    dp.ok(OVS_FLOW_CMD_NEW, NLM_F_CREATE, &flow_text(ARP, Some("0")));
    let before = dp.state();

    let r = dp.ok(OVS_FLOW_CMD_GET, 0, &by_ufid(3));
    assert!(r.notify.is_none(), "a GET announces nothing");
    let (_, cmd, reply) = decode_reply(&r.unicast[0]);
    assert_eq!(cmd, OVS_FLOW_CMD_GET);
    assert_eq!(r.unicast.len(), 1);
    assert_eq!(reply.actions, Some(vec![Action::Output(1)]));
    let reply = echoed(&dp.ok(OVS_FLOW_CMD_GET, 0, &key_only(ARP)));
    assert_eq!(
        (reply.ufid, reply.actions),
        (None, Some(vec![Action::Output(0)]))
    );
    let e = dp.fails(
        OVS_FLOW_CMD_GET,
        0,
        &key_only("in_port(0),eth(),eth_type(0x0806),arp()"),
    );
    assert_errno(&e, ENOENT, "another key");
    assert_eq!(dp.state(), before, "a GET changes nothing");
}
