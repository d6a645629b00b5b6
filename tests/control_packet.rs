//! Packets between the datapath and its controllers over the control
//! socket (spec U1, U2, U3), against a running dpswitchd whose port 0
//! replays one UDP frame forever and whose port 1 is a sink.

mod common;

use common::errno::*;
use common::{flow_text, traffic_frame, ControlDaemon, Ctl, Received, TRAFFIC_KEY};
use dpswitch::flow::odp::KeyAttr;
use dpswitch::netlink::attr::{attrs_lenient, AttrWriter};
use dpswitch::netlink::consts::*;
use dpswitch::netlink::key::{decode_key, encode_key_into};
use std::time::{Duration, Instant};

fn start(tag: &str, config: &str) -> ControlDaemon {
    ControlDaemon::start(tag, config)
}

/// Makes `pid` the upcall handler of `port` (OVS_VPORT_CMD_SET).
fn set_handler(ctl: &mut Ctl, port: u32, pid: u32) -> common::Reply {
    let mut w = AttrWriter::new();
    w.put_u32(OVS_VPORT_ATTR_PORT_NO, port);
    w.put_u32(OVS_VPORT_ATTR_UPCALL_PID, pid);
    let (family, dp) = (ctl.vport_family, ctl.dp_ifindex);
    ctl.ovs(family, OVS_VPORT_CMD_SET, NLM_F_ECHO, dp, w.as_bytes())
}

fn packet_attr(m: &Received, kind: u16) -> Option<Vec<u8>> {
    attrs_lenient(m.ovs_attrs())
        .find(|a| a.kind() == kind)
        .map(|a| a.payload().to_vec())
}

/// (missed, lost) from OVS_DP_CMD_GET.
fn missed_lost(ctl: &mut Ctl) -> (u64, u64) {
    let (family, dp) = (ctl.dp_family, ctl.dp_ifindex);
    let r = ctl.ovs(family, OVS_DP_CMD_GET, 0, dp, &[]);
    let s = r.messages[0].attr(OVS_DP_ATTR_STATS).unwrap();
    let at = |i: usize| u64::from_ne_bytes(s[i..i + 8].try_into().unwrap());
    (at(8), at(16))
}

/// Port 1's transmitted packets (OVS_VPORT_CMD_GET stats).
fn sink_tx(ctl: &mut Ctl) -> u64 {
    let mut w = AttrWriter::new();
    w.put_u32(OVS_VPORT_ATTR_PORT_NO, 1);
    let (family, dp) = (ctl.vport_family, ctl.dp_ifindex);
    let r = ctl.ovs(family, OVS_VPORT_CMD_GET, 0, dp, w.as_bytes());
    let s = r.messages[0].attr(OVS_VPORT_ATTR_STATS).unwrap();
    u64::from_ne_bytes(s[8..16].try_into().unwrap())
}

/// Upcall messages received by `handler` within `window`.
fn upcalls(handler: &mut Ctl, window: Duration) -> Vec<Received> {
    let deadline = Instant::now() + window;
    let mut got: Vec<Received> = std::mem::take(&mut handler.unsolicited);
    handler
        .stream
        .set_read_timeout(Some(Duration::from_millis(50)))
        .unwrap();
    while Instant::now() < deadline {
        let mut buf = vec![0u8; 1 << 17];
        match std::io::Read::read(&mut handler.stream, &mut buf) {
            Ok(n) if n > 0 => got.extend(dpswitch::netlink::msg::messages(&buf[..n]).map(|m| {
                let m = m.unwrap();
                Received {
                    header: m.header,
                    payload: m.payload.to_vec(),
                }
            })),
            _ => {}
        }
    }
    got.retain(|m| m.header.msg_type == handler.packet_family());
    got
}

#[test]
#[ignore = "needs root: hugepages, DPDK devices"]
fn u1_misses_go_to_the_port_handler_bounded_and_rate_limited() {
    let mut d = start("u1", "[datapath]\nupcall_rate = 1000\n");
    // No handler: every miss is lost.
    std::thread::sleep(Duration::from_millis(200));
    let (missed, lost) = missed_lost(&mut d.ctl);
    assert!(missed > 0 && lost == missed, "missed {missed} lost {lost}");

    let mut handler = Ctl::connect(&d.socket());
    let pid = handler.port_id;
    let r = set_handler(&mut d.ctl, 0, pid);
    assert_eq!(r.errno, 0);
    assert_eq!(r.messages[0].genl_cmd(), OVS_VPORT_CMD_SET);
    assert_eq!(
        r.messages[0].attr(OVS_VPORT_ATTR_UPCALL_PID).unwrap(),
        pid.to_ne_bytes()
    );

    let window = Duration::from_secs(1);
    let (missed0, lost0) = missed_lost(&mut d.ctl);
    let got = upcalls(&mut handler, window);
    let (missed1, lost1) = missed_lost(&mut d.ctl);
    assert!(!got.is_empty(), "misses reach the handler");
    // Rate limited: at most the rate over the window plus the burst (a
    // tenth), with slack for the window's edges; the rest is lost.
    assert!(
        got.len() <= 1000 + 100 + 300,
        "{} upcalls in {window:?}",
        got.len()
    );
    assert!(
        lost1 - lost0 > (missed1 - missed0) / 2,
        "the storm beyond the rate is lost"
    );
    let frame = traffic_frame();
    for m in &got[..10.min(got.len())] {
        assert_eq!(m.genl_cmd(), OVS_PACKET_CMD_MISS);
        assert_eq!((m.header.seq, m.header.pid), (0, 0));
        assert_eq!(m.dp_ifindex(), d.ctl.dp_ifindex);
        assert_eq!(packet_attr(m, OVS_PACKET_ATTR_PACKET).unwrap(), frame);
        let key = decode_key(&packet_attr(m, OVS_PACKET_ATTR_KEY).unwrap()).unwrap();
        assert!(key.contains(&KeyAttr::InPort(0)), "{key:?}");
        let expected = flow_text(TRAFFIC_KEY, None).key.unwrap();
        for attr in expected.iter().filter(|a| !matches!(a, KeyAttr::InPort(_))) {
            assert!(key.contains(attr), "{attr:?} in {key:?}");
        }
    }
    // A handler that stops handling: nothing more comes.
    assert_eq!(set_handler(&mut d.ctl, 0, 0).errno, 0);
    let _ = upcalls(&mut handler, Duration::from_millis(200));
    assert!(upcalls(&mut handler, Duration::from_millis(300)).is_empty());
    // A handler that hangs up is no port's handler any more.
    assert_eq!(set_handler(&mut d.ctl, 0, pid).errno, 0);
    drop(handler);
    let mut w = AttrWriter::new();
    w.put_u32(OVS_VPORT_ATTR_PORT_NO, 0);
    let (family, dp) = (d.ctl.vport_family, d.ctl.dp_ifindex);
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let r = d.ctl.ovs(family, OVS_VPORT_CMD_GET, 0, dp, w.as_bytes());
        if r.messages[0].attr(OVS_VPORT_ATTR_UPCALL_PID).unwrap() == 0u32.to_ne_bytes() {
            break;
        }
        assert!(Instant::now() < deadline, "the hung-up handler was dropped");
        std::thread::sleep(Duration::from_millis(20));
    }
    d.stop();
}

/// An OVS_PACKET_CMD_EXECUTE request's attributes.
fn execute_attrs(frame: &[u8], in_port: u32, actions: &str) -> Vec<u8> {
    let mut w = AttrWriter::new();
    w.put(OVS_PACKET_ATTR_PACKET, frame);
    let nest = w.begin_nested(OVS_PACKET_ATTR_KEY);
    encode_key_into(&mut w, &[KeyAttr::InPort(in_port)]);
    w.end_nested(nest);
    let acts = dpswitch::netlink::action::encode_actions(&common::actions_text(actions)).unwrap();
    w.put(OVS_PACKET_ATTR_ACTIONS, &acts);
    w.as_bytes().to_vec()
}

/// Sends OVS_PACKET_CMD_EXECUTE to datapath `dp`; returns the errno.
fn execute(ctl: &mut Ctl, dp: i32, attrs: &[u8]) -> i32 {
    let family = ctl.packet_family();
    ctl.ovs(family, OVS_PACKET_CMD_EXECUTE, 0, dp, attrs).errno
}

#[test]
#[ignore = "needs root: hugepages, DPDK devices"]
fn u2_execute_runs_the_actions_on_the_packet() {
    let mut d = start("u2", "");
    let ctl = &mut d.ctl;
    let dp = ctl.dp_ifindex;
    let frame = traffic_frame();
    let before = sink_tx(ctl);
    for _ in 0..5 {
        assert_eq!(execute(ctl, dp, &execute_attrs(&frame, 0, "1")), 0);
    }
    let deadline = Instant::now() + Duration::from_secs(5);
    while sink_tx(ctl) < before + 5 {
        assert!(
            Instant::now() < deadline,
            "the executed packets leave port 1"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(sink_tx(ctl), before + 5, "exactly the executed packets");
    // Refusals.
    let mut missing = AttrWriter::new();
    missing.put(OVS_PACKET_ATTR_PACKET, &frame);
    assert_eq!(execute(ctl, dp, missing.as_bytes()), EINVAL);
    for (frame, actions) in [
        (&frame[..10], "1"),
        (&frame[..], "9"),
        (&frame[..], "set(ipv6(hlimit=1)),1"),
    ] {
        let attrs = execute_attrs(frame, 0, actions);
        assert_eq!(execute(ctl, dp, &attrs), EINVAL, "{actions}");
    }
    assert_eq!(execute(ctl, dp + 1, &execute_attrs(&frame, 0, "1")), ENODEV);
    // A rewrite on the way: executed.
    let attrs = execute_attrs(&frame, 0, "set(ipv4(ttl=9)),1");
    assert_eq!(execute(ctl, dp, &attrs), 0);
    d.stop();
}

#[test]
#[ignore = "needs root: hugepages, DPDK devices"]
fn u3_userspace_action_sends_the_packet_with_its_userdata() {
    let mut d = start("u3", "");
    let mut handler = Ctl::connect(&d.socket());
    let pid = handler.port_id;
    let userdata = "0102030405060708";
    let f = flow_text(
        TRAFFIC_KEY,
        Some(&format!("userspace(pid={pid},userdata({userdata})),1")),
    );
    assert_eq!(d.ctl.flow(OVS_FLOW_CMD_NEW, NLM_F_CREATE, &f).errno, 0);
    let got = upcalls(&mut handler, Duration::from_millis(500));
    assert!(!got.is_empty(), "the flow's packets come up");
    let frame = traffic_frame();
    for m in &got[..5.min(got.len())] {
        assert_eq!(m.genl_cmd(), OVS_PACKET_CMD_ACTION);
        assert_eq!(
            packet_attr(m, OVS_PACKET_ATTR_USERDATA).unwrap(),
            [1, 2, 3, 4, 5, 6, 7, 8]
        );
        assert_eq!(packet_attr(m, OVS_PACKET_ATTR_PACKET).unwrap(), frame);
    }
    // And the flow still outputs.
    assert!(sink_tx(&mut d.ctl) > 0);
    assert_eq!(
        d.ctl.flow(OVS_FLOW_CMD_DEL, 0, &Default::default()).errno,
        0
    );
    let _ = upcalls(&mut handler, Duration::from_millis(200));

    // From an execute too.
    let dp = d.ctl.dp_ifindex;
    let attrs = execute_attrs(&frame, 0, &format!("userspace(pid={pid},userdata(aabb))"));
    assert_eq!(execute(&mut d.ctl, dp, &attrs), 0);
    let got = upcalls(&mut handler, Duration::from_millis(300));
    assert_eq!(got.len(), 1, "{got:?}");
    // Open vSwitch's syntax pads user data to at least 8 bytes.
    assert_eq!(
        packet_attr(&got[0], OVS_PACKET_ATTR_USERDATA).unwrap(),
        [0xaa, 0xbb, 0, 0, 0, 0, 0, 0]
    );
    d.stop();
}
