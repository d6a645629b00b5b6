//! The `ovs_flow` NEW rules of docs/flow-commands.md (N1-N16), each
//! checked in-process (S1, D1-D2 and G1 are in
//! tests/flow_rules_set_del_get.rs): a request is built as a
//! client encodes it, `flow_cmd::handle` runs it against a real
//! `FlowTable`, and the test asserts the errno and what the table holds
//! afterwards. No daemon and no socket: tests/control_flow_new.rs and
//! tests/control_flow_other.rs keep what only the wire shows (log lines,
//! acks, the dump's multi-part replies of G2, live traffic).
//!
//! These tests live in an integration test binary rather than in the
//! library's unit tests because the flow table is DPDK memory and needs
//! EAL. No unit test starts EAL, so `cargo test --lib` runs anywhere, at
//! any time, without the machine-wide test lock; EAL there would change
//! that (it would take hugepages whenever there are free ones, and a
//! process gets one EAL, whose arguments every unit test would share).
//! Here one EAL, started by whichever test comes first, serves every
//! test of the binary (tests/common/flow_datapath.rs).
//!
//! Run under the test lock: `flock /tmp/dpswitch-itest.lock cargo test
//! --test flow_rules`.

mod common;

use common::errno::*;
use common::flow_datapath::*;
use common::{actions_text, attrs_of, flow_text, TRAFFIC_KEY};
use dpswitch::control::families::{FAMILY_FLOW, GROUP_FLOW};
use dpswitch::flow::odp::{Action, EthernetKey, KeyAttr};
use dpswitch::netlink::consts::*;
use dpswitch::netlink::flow::FlowAttrs;

/// N1: NEW without KEY is EINVAL, with the kernel's words, and adds nothing.
#[test]
fn n1_new_without_key_is_einval() {
    let mut dp = Datapath::new();
    dp.ok(OVS_FLOW_CMD_NEW, NLM_F_CREATE, &flow_text(ARP, Some("0")));
    let before = dp.state();
    let no_key = FlowAttrs {
        actions: Some(vec![Action::Output(1)]),
        ..FlowAttrs::default()
    };
    let e = dp.fails(OVS_FLOW_CMD_NEW, NLM_F_CREATE, &no_key);
    assert_errno(&e, EINVAL, "no key");
    assert_eq!(
        e.message.as_deref(),
        Some("Flow key attr not present in new flow.")
    );
    assert_eq!(dp.state(), before);
}

/// N2: NEW without ACTIONS is EINVAL, with the kernel's words.
#[test]
fn n2_new_without_actions_is_einval() {
    let mut dp = Datapath::new();
    let e = dp.fails(OVS_FLOW_CMD_NEW, NLM_F_CREATE, &flow_text(ARP, None));
    assert_errno(&e, EINVAL, "no actions");
    assert_eq!(
        e.message.as_deref(),
        Some("Flow actions attr not present in new flow.")
    );
    assert_eq!(dp.table.flow_count(), 0);
}

/// N3: without MASK every bit of the key is exact; a MASK that leaves a
/// field out wildcards it.
#[test]
fn n3_no_mask_is_exact_and_a_field_left_out_of_the_mask_is_wildcarded() {
    let mut dp = Datapath::new();
    let full_arp = "in_port(1),eth(src=02:00:00:00:00:01,dst=02:00:00:00:00:02),eth_type(0x0806),arp(sip=10.0.0.1,tip=10.0.0.2,op=1,sha=02:00:00:00:00:01,tha=00:00:00:00:00:00)";
    let mut exact = key_only(full_arp);
    exact.actions = Some(vec![Action::Output(0)]);
    dp.ok(OVS_FLOW_CMD_NEW, NLM_F_CREATE, &exact);
    let first = dp.table.flows().next().expect("the flow").id();
    let mask = dp.table.flow(first).unwrap().mask();
    assert_eq!(mask.eth_src(), [0xff; 6], "no MASK: eth src exact");
    assert_eq!(mask.eth_dst(), [0xff; 6], "no MASK: eth dst exact");
    // Another eth src is another flow, not a duplicate.
    let mut other = exact.clone();
    match other.key.as_mut().unwrap().get_mut(1) {
        Some(KeyAttr::Ethernet(eth)) => eth.src = [2, 0, 0, 0, 0, 9],
        attr => panic!("eth is the second key attribute: {attr:?}"),
    }
    dp.ok(OVS_FLOW_CMD_NEW, NLM_F_CREATE, &other);
    assert_eq!(dp.table.flow_count(), 2);

    // A MASK without eth: the addresses are wildcarded.
    let mut wild = flow_text(
        "in_port(1),eth_type(0x0800),ipv4(src=10.1.0.1,dst=10.1.0.2,proto=17,frag=no),udp()",
        Some("0"),
    );
    let eth = KeyAttr::Ethernet(EthernetKey {
        src: [2, 0, 0, 0, 0, 1],
        dst: [2, 0, 0, 0, 0, 2],
    });
    wild.key.as_mut().unwrap().insert(1, eth);
    wild.ufid = Some(ufid(3));
    dp.ok(OVS_FLOW_CMD_NEW, NLM_F_CREATE, &wild);
    let mask = dp.table.flow(dp.id_of_ufid(3)).unwrap().mask();
    assert_eq!((mask.eth_src(), mask.eth_dst()), ([0; 6], [0; 6]));
    // So the same flow with other addresses is a duplicate.
    if let Some(KeyAttr::Ethernet(eth)) = wild.key.as_mut().unwrap().get_mut(1) {
        eth.src = [2, 0, 0, 0, 0, 7];
    }
    wild.ufid = Some(ufid(4));
    let e = dp.fails(OVS_FLOW_CMD_NEW, NLM_F_CREATE, &wild);
    assert_errno(&e, EEXIST, "eth is wildcarded");
    assert_eq!(dp.table.flow_count(), 3);
}

/// N4: a malformed or inconsistent match is EINVAL, says why, and adds
/// nothing.
#[test]
fn n4_malformed_matches_are_einval_and_say_why() {
    let mut dp = Datapath::new();
    dp.ok(OVS_FLOW_CMD_NEW, NLM_F_CREATE, &flow_text(ARP, Some("0")));
    let before = dp.state();
    let cases = common::malformed_matches();
    for (what, attrs) in cases {
        let e = dp.fails_raw(OVS_FLOW_CMD_NEW, NLM_F_CREATE, DP, &attrs);
        assert_errno(&e, EINVAL, what);
        assert!(
            e.message.as_deref().is_some_and(|m| !m.is_empty()),
            "{what}: says why: {e:?}"
        );
        assert_eq!(dp.state(), before, "{what}");
    }
}

/// N5: a UFID of 1 to 16 bytes identifies the flow; an empty one is
/// ERANGE; a longer one is noted and ignored, the flow then identified by
/// its key.
#[test]
fn n5_ufid_identifies_the_flow_empty_is_erange_long_is_ignored() {
    let mut dp = Datapath::new();
    let mut f = flow_text(ARP, Some("0"));
    f.ufid = Some(ufid(5));
    dp.ok(OVS_FLOW_CMD_NEW, NLM_F_CREATE, &f);
    let got = echoed(&dp.ok(OVS_FLOW_CMD_GET, 0, &by_ufid(5)));
    assert_eq!(got.ufid, Some(ufid(5)));
    // A UFID-identified flow is not found by its key.
    let e = dp.fails(OVS_FLOW_CMD_GET, 0, &key_only(ARP));
    assert_errno(&e, ENOENT, "ufid flow by key");

    // Empty: the attribute policy refuses it.
    let mut attrs = attrs_of(&|w| w.put(OVS_FLOW_ATTR_UFID, &[]));
    let rest = flow_text(
        "in_port(1),eth(),eth_type(0x0800),ipv4(proto=6,frag=no),tcp(),tcp_flags(0/0)",
        Some("0"),
    );
    attrs.extend(rest.encode().unwrap());
    let e = dp.fails_raw(OVS_FLOW_CMD_NEW, NLM_F_CREATE, DP, &attrs);
    assert_errno(&e, ERANGE, "empty ufid");
    assert_eq!(dp.table.flow_count(), 1);
    assert!(dp.notes.is_empty(), "{:?}", dp.notes);

    // 17 bytes: noted, ignored.
    let long_key = "in_port(0),eth(),eth_type(0x0806),arp()";
    let mut long = flow_text(long_key, Some("1"));
    long.ufid = Some(vec![7; 17]);
    let r = dp.ok(OVS_FLOW_CMD_NEW, NLM_F_CREATE | NLM_F_ECHO, &long);
    assert_eq!(echoed(&r).ufid, None);
    assert_eq!(
        dp.notes,
        vec!["ufid size 17 bytes exceeds the range (1, 16)".to_string()]
    );
    let flow = dp.table.flows().find(|f| f.ufid().is_none());
    assert!(flow.is_some(), "stored without a ufid");
    let got = echoed(&dp.ok(OVS_FLOW_CMD_GET, 0, &key_only(long_key)));
    assert_eq!(got.actions, Some(vec![Action::Output(1)]), "found by key");
}

/// N6: the flow stores its key with the mask applied.
#[test]
fn n6_the_stored_key_is_the_masked_key() {
    let mut dp = Datapath::new();
    let mut f = flow_text(
        "in_port(0),eth(),eth_type(0x0800),ipv4(src=10.9.8.7/255.255.255.0,dst=10.1.2.3/255.255.0.0,proto=17,frag=no),udp()",
        Some("1"),
    );
    f.ufid = Some(ufid(6));
    dp.ok(OVS_FLOW_CMD_NEW, NLM_F_CREATE, &f);
    let flow = dp.table.flow(dp.id_of_ufid(6)).unwrap();
    let stored = flow.masked_key();
    assert_eq!(stored.ipv4_src().to_be_bytes(), [10, 9, 8, 0]);
    assert_eq!(stored.ipv4_dst().to_be_bytes(), [10, 1, 0, 0]);
    assert_eq!(stored, stored.masked(&flow.mask()));
    // And it is what the flow reports.
    let got = echoed(&dp.ok(OVS_FLOW_CMD_GET, 0, &by_ufid(6)));
    let ipv4 = got
        .key
        .unwrap()
        .into_iter()
        .find_map(|a| match a {
            KeyAttr::Ipv4(k) => Some(k),
            _ => None,
        })
        .expect("ipv4 in the reply's key");
    assert_eq!(ipv4.src.to_be_bytes(), [10, 9, 8, 0]);
    assert_eq!(ipv4.dst.to_be_bytes(), [10, 1, 0, 0]);
}

/// N7: actions that are not safe for every packet of the match are
/// refused (EINVAL, EMSGSIZE for size) with the kernel's words, before
/// the datapath is even looked up.
#[test]
fn n7_unsafe_actions_are_refused_before_the_datapath_is_looked_up() {
    let mut dp = Datapath::new();
    let cases = common::unsafe_actions();
    for (what, attrs, errno) in cases {
        let e = dp.fails(OVS_FLOW_CMD_NEW, NLM_F_CREATE, &attrs);
        assert_errno(&e, errno, what);
        assert!(
            e.message
                .as_deref()
                .unwrap_or_default()
                .starts_with(NOT_SAFE),
            "{what}: {e:?}"
        );
        // Actions are checked before the datapath: EINVAL, not ENODEV.
        let bytes = attrs.encode().unwrap();
        let e = dp.fails_raw(OVS_FLOW_CMD_NEW, NLM_F_CREATE, DP + 1, &bytes);
        assert_errno(&e, errno, what);
    }
    // An action type the datapath does not know.
    let mut attrs = flow_text(ARP, None).encode().unwrap();
    let unknown = attrs_of(&|w| w.put_u32(250, 1));
    attrs.extend(attrs_of(&|w| w.put(OVS_FLOW_ATTR_ACTIONS, &unknown)));
    let e = dp.fails_raw(OVS_FLOW_CMD_NEW, NLM_F_CREATE, DP, &attrs);
    assert_errno(&e, EINVAL, "unknown action");
    assert_eq!(e.message.as_deref(), Some(NOT_SAFE));
    assert_eq!(dp.table.flow_count(), 0);
}

/// N8: a dp_ifindex that names no datapath is ENODEV, once the request
/// itself has been found well formed.
#[test]
fn n8_an_unknown_dp_ifindex_is_enodev_after_parsing() {
    let mut dp = Datapath::new();
    let good = flow_text(ARP, Some("0")).encode().unwrap();
    let e = dp.fails_raw(OVS_FLOW_CMD_NEW, NLM_F_CREATE, DP + 1, &good);
    assert_errno(&e, ENODEV, "other datapath");
    let no_actions = flow_text(ARP, None).encode().unwrap();
    let e = dp.fails_raw(OVS_FLOW_CMD_NEW, NLM_F_CREATE, DP + 1, &no_actions);
    assert_errno(&e, EINVAL, "parsed before the datapath is looked up");
    assert_eq!(dp.table.flow_count(), 0);
    // The same request on the right datapath is fine.
    dp.ok(OVS_FLOW_CMD_NEW, NLM_F_CREATE, &flow_text(ARP, Some("0")));
    assert_eq!(dp.table.flow_count(), 1);
}

/// N9: a duplicate is found by UFID, else as a packet with the masked
/// key would find it.
#[test]
fn n9_duplicates_are_found_by_ufid_then_as_a_packet_would_be() {
    let mut dp = Datapath::new();
    let mut wide = flow_text(UDP_WIDE, Some("1"));
    wide.ufid = Some(ufid(9));
    dp.ok(OVS_FLOW_CMD_NEW, NLM_F_CREATE, &wide);
    let before = dp.state();
    // Another key and UFID, but a packet with this key hits the wide flow.
    let mut narrow = flow_text(
        "in_port(0),eth(),eth_type(0x0800),ipv4(src=10.1.2.3,proto=17,frag=no),udp()",
        Some("1"),
    );
    narrow.ufid = Some(ufid(10));
    let e = dp.fails(OVS_FLOW_CMD_NEW, NLM_F_CREATE, &narrow);
    assert_errno(&e, EEXIST, "hit by a packet of the new flow");
    // The same UFID with a key no packet of the flow has: found by UFID.
    let mut same_ufid = flow_text(ARP, Some("0"));
    same_ufid.ufid = Some(ufid(9));
    let e = dp.fails(OVS_FLOW_CMD_NEW, NLM_F_CREATE, &same_ufid);
    assert_errno(&e, EEXIST, "same ufid");
    assert_eq!(dp.state(), before);
    // An unknown UFID whose key no flow covers is no duplicate.
    let mut fresh = flow_text(ARP, Some("0"));
    fresh.ufid = Some(ufid(11));
    dp.ok(OVS_FLOW_CMD_NEW, NLM_F_CREATE, &fresh);
    assert_eq!(dp.table.flow_count(), 2);
}

/// N10: a new flow is inserted with its mask, flows of equal masks share
/// one subtable, a forwarding lcore finds it once the reply is out; at
/// the flow limit NEW is EFBIG and changes nothing.
#[test]
fn n10_inserts_share_masks_are_seen_by_readers_and_a_full_table_is_efbig() {
    let mut dp = Datapath::with_limit(3);
    for n in 1..=3u8 {
        let mut f = flow_text(
            &format!(
                "in_port(0),eth(),eth_type(0x0800),ipv4(src=10.0.0.{n},proto=17,frag=no),udp()"
            ),
            Some("1"),
        );
        f.ufid = Some(ufid(n));
        let r = dp.ok(OVS_FLOW_CMD_NEW, NLM_F_CREATE, &f);
        // Only a new subtable waits for the forwarding lcores.
        assert_eq!(r.needs_sync, n == 1, "flow {n}");
        let id = dp.id_of_ufid(n);
        let packet = dp.table.flow(id).unwrap().key();
        assert_eq!(dp.classify(&packet), Some(id), "a reader finds flow {n}");
    }
    assert_eq!(dp.table.mask_count(), 1, "one mask for three flows");
    let before = dp.state();
    let e = dp.fails(
        OVS_FLOW_CMD_NEW,
        NLM_F_CREATE,
        &flow_text("in_port(0),eth(),eth_type(0x0806),arp()", Some("1")),
    );
    assert_errno(&e, EFBIG, "flow limit");
    assert_eq!(dp.state(), before);
    // Room again after a delete.
    dp.ok(OVS_FLOW_CMD_DEL, 0, &by_ufid(1));
    dp.ok(
        OVS_FLOW_CMD_NEW,
        NLM_F_CREATE,
        &flow_text("in_port(0),eth(),eth_type(0x0806),arp()", Some("1")),
    );
    assert_eq!((dp.table.flow_count(), dp.table.mask_count()), (3, 2));
}

/// N11: a duplicate with NLM_F_CREATE or NLM_F_EXCL is EEXIST and the
/// existing flow keeps its actions.
#[test]
fn n11_a_duplicate_with_create_or_excl_is_eexist() {
    let mut dp = Datapath::new();
    dp.ok(OVS_FLOW_CMD_NEW, NLM_F_CREATE, &flow_text(ARP, Some("0")));
    let before = dp.state();
    let drop = flow_text(ARP, Some("drop"));
    for flags in [NLM_F_CREATE, NLM_F_EXCL, NLM_F_CREATE | NLM_F_EXCL] {
        let e = dp.fails(OVS_FLOW_CMD_NEW, flags, &drop);
        assert_errno(&e, EEXIST, &format!("flags {flags:#x}"));
        assert_eq!(dp.state(), before);
    }
    assert_eq!(before.flows[0].actions, vec![Action::Output(0)]);
}

/// N12: a duplicate of another identity is ENOENT: a key-identified flow
/// hit by a different key (with no flow of exactly that key and mask), or
/// a UFID flow named with a different key.
#[test]
fn n12_a_duplicate_with_another_identity_is_enoent() {
    let mut dp = Datapath::new();
    dp.ok(
        OVS_FLOW_CMD_NEW,
        NLM_F_CREATE,
        &flow_text(UDP_WIDE, Some("1")),
    );
    let inside = flow_text(
        "in_port(0),eth(),eth_type(0x0800),ipv4(src=10.5.5.5/255.0.0.0,proto=17,frag=no),udp()",
        Some("drop"),
    );
    let e = dp.fails(OVS_FLOW_CMD_NEW, 0, &inside);
    assert_errno(&e, ENOENT, "another key inside a key-identified flow");
    let mut u = flow_text(ARP, Some("0"));
    u.ufid = Some(ufid(12));
    dp.ok(OVS_FLOW_CMD_NEW, NLM_F_CREATE, &u);
    let before = dp.state();
    let mut other = flow_text(
        "in_port(1),eth(),eth_type(0x86dd),ipv6(proto=17,frag=no),udp()",
        Some("drop"),
    );
    other.ufid = Some(ufid(12));
    let e = dp.fails(OVS_FLOW_CMD_NEW, 0, &other);
    assert_errno(&e, ENOENT, "the ufid of a flow with another key");
    assert_eq!(dp.state(), before);
    assert!(
        before.flows.iter().all(|f| !f.actions.is_empty()),
        "nothing became drop: {before:?}"
    );
}

/// N13: a duplicate of the same identity without CREATE gets the new
/// actions, in place, its stats kept.
#[test]
fn n13_new_without_create_replaces_the_actions_and_keeps_the_stats() {
    let mut dp = Datapath::new();
    let mut f = flow_text(TRAFFIC_KEY, Some("1"));
    f.ufid = Some(ufid(13));
    dp.ok(OVS_FLOW_CMD_NEW, NLM_F_CREATE, &f);
    let id = dp.id_of_ufid(13);
    dp.hit(id, 5);
    let stats = dp.stats_of(id);
    assert_eq!((stats.packets, stats.bytes), (5, 500));
    f.actions = Some(actions_text("set(ipv4(ttl=9)),1"));
    let r = dp.ok(OVS_FLOW_CMD_NEW, NLM_F_ECHO, &f);
    let reply = echoed(&r);
    assert_eq!(reply.actions, f.actions);
    assert_eq!(reply.stats.map(|s| s.packets), Some(5), "stats kept");
    assert_eq!(dp.table.flow_count(), 1);
    assert_eq!(dp.id_of_ufid(13), id, "the same flow, not a new one");
    assert_eq!(Some(dp.actions_of(id)), f.actions);
    assert_eq!(dp.stats_of(id), stats);
    // A key-identified flow named by its key is updated the same way.
    dp.ok(OVS_FLOW_CMD_NEW, NLM_F_CREATE, &flow_text(ARP, Some("0")));
    dp.ok(OVS_FLOW_CMD_NEW, 0, &flow_text(ARP, Some("drop")));
    let keyed = dp.table.flows().find(|f| f.ufid().is_none()).unwrap().id();
    assert_eq!(dp.actions_of(keyed), Vec::<Action>::new());
    assert_eq!(dp.table.flow_count(), 2);
}

/// N14: the flow goes to the requester when it asked (NLM_F_ECHO) and to
/// the `ovs_flow` group's subscribers, key/mask/actions left out as the
/// UFID flags ask; a reply nobody reads is not built.
#[test]
fn n14_echo_and_subscribers_get_the_flow_with_the_omit_flags_honoured() {
    let mut dp = Datapath::new();
    dp.listeners = true;
    let mut f = flow_text(ARP, Some("0"));
    f.ufid = Some(ufid(14));
    let r = dp.ok(OVS_FLOW_CMD_NEW, NLM_F_CREATE | NLM_F_ECHO, &f);
    assert_eq!(r.unicast.len(), 1);
    let (header, cmd, reply) = decode_reply(&r.unicast[0]);
    assert_eq!((header.msg_type, cmd), (FAMILY_FLOW, OVS_FLOW_CMD_NEW));
    assert_eq!((header.seq, header.pid), (99, REQUESTER));
    assert_eq!(reply.ufid, f.ufid);
    assert_eq!(reply.actions, f.actions);
    assert!(reply.key.is_some() && reply.mask.is_some(), "{reply:?}");
    let (group, note) = r.notify.as_ref().expect("a notification");
    assert_eq!(*group, GROUP_FLOW);
    assert_eq!(
        note, &r.unicast[0],
        "subscribers see what the requester sees"
    );

    let mut g = flow_text("in_port(0),eth(),eth_type(0x0806),arp()", Some("1"));
    g.ufid = Some(ufid(15));
    g.ufid_flags = OVS_UFID_F_OMIT_KEY | OVS_UFID_F_OMIT_MASK | OVS_UFID_F_OMIT_ACTIONS;
    let bare = echoed(&dp.ok(OVS_FLOW_CMD_NEW, NLM_F_CREATE | NLM_F_ECHO, &g));
    assert_eq!((bare.key, bare.mask, bare.actions), (None, None, None));
    assert_eq!(bare.ufid, g.ufid);

    // Without echo: the subscribers only.
    let h = flow_text(
        "in_port(1),eth(),eth_type(0x0800),ipv4(proto=6,frag=no),tcp(),tcp_flags(0/0)",
        Some("0"),
    );
    let r = dp.ok(OVS_FLOW_CMD_NEW, NLM_F_CREATE, &h);
    assert!(r.unicast.is_empty());
    let (_, cmd, note) = decode_reply(&r.notify.expect("a notification").1);
    assert_eq!((cmd, note.actions), (OVS_FLOW_CMD_NEW, h.actions));
    // Neither echo nor subscribers: nothing.
    dp.listeners = false;
    let i = flow_text(
        "in_port(1),eth(),eth_type(0x86dd),ipv6(proto=17,frag=no),udp()",
        Some("0"),
    );
    let r = dp.ok(OVS_FLOW_CMD_NEW, NLM_F_CREATE, &i);
    assert!(r.unicast.is_empty() && r.notify.is_none(), "{r:?}");
    assert_eq!(dp.table.flow_count(), 4);
}

/// N15: with OVS_FLOW_ATTR_PROBE a request fails the same way, but the
/// failure is marked not to be logged, and an ignored UFID is not noted.
#[test]
fn n15_probe_fails_alike_but_is_not_logged() {
    let mut dp = Datapath::new();
    let no_key = |probe| FlowAttrs {
        probe,
        actions: Some(vec![Action::Output(0)]),
        ..FlowAttrs::default()
    };
    for probe in [true, false] {
        let e = dp
            .send(OVS_FLOW_CMD_NEW, NLM_F_CREATE, &no_key(probe))
            .expect_err("no key");
        assert_errno(&e.error, EINVAL, "no key");
        assert_eq!(e.probe, probe, "logged only without probe");
    }
    let mut unsafe_probe = flow_text(ARP, Some("9"));
    unsafe_probe.probe = true;
    let e = dp
        .send(OVS_FLOW_CMD_NEW, NLM_F_CREATE, &unsafe_probe)
        .expect_err("output to a missing port");
    assert_errno(&e.error, EINVAL, "unsafe probe");
    assert!(e.probe);
    // A probe that succeeds installs the flow as any NEW does; the UFID
    // it cannot use is not noted.
    let mut long = flow_text(ARP, Some("0"));
    long.probe = true;
    long.ufid = Some(vec![1; 17]);
    dp.ok(OVS_FLOW_CMD_NEW, NLM_F_CREATE, &long);
    assert_eq!(dp.table.flow_count(), 1);
    assert!(dp.notes.is_empty(), "{:?}", dp.notes);
}

/// N16: whatever fails leaves every flow, its actions and its stats, and
/// the masks, exactly as they were.
#[test]
fn n16_every_failure_leaves_the_table_as_it_was() {
    let mut dp = Datapath::with_limit(2);
    for (n, key) in [ARP, TRAFFIC_KEY].into_iter().enumerate() {
        let mut f = flow_text(key, Some("1"));
        f.ufid = Some(ufid(160 + n as u8));
        dp.ok(OVS_FLOW_CMD_NEW, NLM_F_CREATE, &f);
        dp.hit(dp.id_of_ufid(160 + n as u8), 3 + n as u64);
    }
    let before = dp.state();
    assert!(before.flows.iter().all(|f| f.stats.packets > 0));
    let mut dup = flow_text(ARP, Some("drop"));
    dup.ufid = Some(ufid(160));
    let mut wrong_ufid = flow_text(
        "in_port(1),eth(),eth_type(0x0800),ipv4(proto=1,frag=no),icmp()",
        Some("0"),
    );
    wrong_ufid.ufid = Some(ufid(161));
    let mut unsafe_set = flow_text(TRAFFIC_KEY, Some("9"));
    unsafe_set.ufid = Some(ufid(161));
    let failures: Vec<(u8, u16, FlowAttrs, i32)> = vec![
        (
            OVS_FLOW_CMD_NEW,
            NLM_F_CREATE,
            FlowAttrs {
                actions: Some(vec![]),
                ..FlowAttrs::default()
            },
            EINVAL,
        ),
        (OVS_FLOW_CMD_NEW, NLM_F_CREATE, flow_text(ARP, None), EINVAL),
        (
            OVS_FLOW_CMD_NEW,
            NLM_F_CREATE,
            flow_text("in_port(0),eth()", Some("set(ipv4(src=1.2.3.4)),1")),
            EINVAL,
        ),
        (OVS_FLOW_CMD_NEW, NLM_F_CREATE, dup, EEXIST),
        (OVS_FLOW_CMD_NEW, 0, wrong_ufid, ENOENT),
        (
            OVS_FLOW_CMD_NEW,
            NLM_F_CREATE,
            flow_text("in_port(0),eth(),eth_type(0x0806),arp()", Some("1")),
            EFBIG,
        ),
        (
            OVS_FLOW_CMD_SET,
            0,
            flow_text("in_port(1),eth(),eth_type(0x0806),arp(op=2)", Some("0")),
            ENOENT,
        ),
        (
            OVS_FLOW_CMD_SET,
            0,
            FlowAttrs {
                actions: Some(vec![]),
                clear: true,
                ..by_ufid(160)
            },
            EINVAL,
        ),
        (OVS_FLOW_CMD_SET, 0, unsafe_set, EINVAL),
        (
            OVS_FLOW_CMD_SET,
            0,
            FlowAttrs {
                clear: true,
                ..by_ufid(99)
            },
            ENOENT,
        ),
        (OVS_FLOW_CMD_DEL, 0, by_ufid(99), ENOENT),
        (
            OVS_FLOW_CMD_DEL,
            0,
            key_only("in_port(7),eth(),eth_type(0x0806),arp()"),
            ENOENT,
        ),
    ];
    for (cmd, flags, attrs, errno) in failures {
        let e = dp.fails(cmd, flags, &attrs);
        let what = format!("command {cmd} {attrs:?}");
        assert_errno(&e, errno, &what);
        assert_eq!(dp.state(), before, "{what}");
    }
    // On another datapath even a valid flush changes nothing.
    let e = dp.fails_raw(OVS_FLOW_CMD_DEL, 0, DP + 1, &[]);
    assert_errno(&e, ENODEV, "flush of another datapath");
    assert_eq!(dp.state(), before);
}
