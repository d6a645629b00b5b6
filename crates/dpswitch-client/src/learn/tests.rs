use super::*;
use dpswitch_proto::flow::extract::extract;
use dpswitch_proto::flow::key::{FlowKey, FlowMask, MAC_PROTO_ETHERNET};
use dpswitch_proto::flow::matching::match_from_attrs;
use dpswitch_proto::flow::odp::{Action, EthernetKey, KeyAttr};
use dpswitch_proto::netlink::FlowAttrs;
use etherparse::PacketBuilder;

const IDLE: u64 = 300_000;

fn mac(text: &str) -> Mac {
    text.parse().unwrap()
}

fn a() -> Mac {
    mac("02:00:00:00:00:0a")
}
fn b() -> Mac {
    mac("02:00:00:00:00:0b")
}
fn c() -> Mac {
    mac("02:00:00:00:00:0c")
}
const BROADCAST: Mac = Mac([0xff; 6]);

fn frame(in_port: u32, src: Mac, dst: Mac) -> Frame {
    Frame {
        in_port,
        src,
        dst,
        tagged: false,
    }
}

fn flow(in_port: u32, src: Mac, dst: Mac, out_port: u32) -> Megaflow {
    Megaflow {
        in_port,
        src,
        dst,
        out_port,
    }
}

fn switch() -> LearningSwitch {
    LearningSwitch::new(vec![1, 2, 3], IDLE)
}

/// A switch that knows A on 1, B on 2 and C on 3 (learned at time 0)
/// and has flows A->B, B->A, C->A and A->C.
fn learned() -> LearningSwitch {
    let mut sw = switch();
    for f in [
        frame(1, a(), BROADCAST),
        frame(2, b(), BROADCAST),
        frame(3, c(), BROADCAST),
        frame(1, a(), b()),
        frame(2, b(), a()),
        frame(3, c(), a()),
        frame(1, a(), c()),
    ] {
        sw.on_miss(&f, 0);
    }
    assert_eq!(sw.flows().len(), 4);
    sw
}

#[test]
fn unknown_destinations_flood_and_known_ones_get_a_flow() {
    let mut sw = switch();
    let first = sw.on_miss(&frame(1, a(), b()), 10);
    assert_eq!(
        first,
        Decision {
            events: vec![Event::Learned { mac: a(), port: 1 }],
            outputs: vec![2, 3],
        }
    );
    assert!(sw.flows().is_empty(), "no flow for an unknown destination");

    let reply = sw.on_miss(&frame(2, b(), a()), 20);
    assert_eq!(
        reply,
        Decision {
            events: vec![
                Event::Learned { mac: b(), port: 2 },
                Event::Installed(flow(2, b(), a(), 1)),
            ],
            outputs: vec![1],
        }
    );
    let back = sw.on_miss(&frame(1, a(), b()), 30);
    assert_eq!(
        back.events,
        vec![Event::Installed(flow(1, a(), b(), 2))],
        "A is known already: only the flow is new"
    );
    assert_eq!(back.outputs, vec![2]);

    // Frames queued before the flow was in place: sent, not installed twice.
    let again = sw.on_miss(&frame(1, a(), b()), 40);
    assert_eq!(again.events, vec![]);
    assert_eq!(again.outputs, vec![2]);
    assert_eq!(sw.flows().len(), 2);
    assert_eq!(sw.last_seen(&a()), Some(40));
    assert_eq!(sw.port_of(&b()), Some(2));
}

#[test]
fn group_destinations_always_flood_and_group_sources_are_dropped() {
    let mut sw = learned();
    let before = sw.flows().len();
    for dst in [
        BROADCAST,
        mac("01:00:5e:00:00:01"),
        mac("33:33:00:00:00:01"),
    ] {
        let d = sw.on_miss(&frame(2, b(), dst), 5);
        assert_eq!(d.events, vec![], "{dst}");
        assert_eq!(d.outputs, vec![1, 3], "{dst}");
    }
    assert_eq!(sw.flows().len(), before, "no flow for group destinations");

    let d = sw.on_miss(&frame(3, mac("03:00:00:00:00:01"), a()), 5);
    assert_eq!(d, Decision::default());
    assert_eq!(sw.port_of(&mac("03:00:00:00:00:01")), None);
}

#[test]
fn a_destination_on_the_input_port_is_dropped_without_a_flow() {
    let mut sw = switch();
    sw.on_miss(&frame(1, a(), BROADCAST), 0);
    let d = sw.on_miss(&frame(1, b(), a()), 1);
    assert_eq!(
        d,
        Decision {
            events: vec![Event::Learned { mac: b(), port: 1 }],
            outputs: vec![],
        }
    );
    assert!(sw.flows().is_empty());
}

#[test]
fn frames_from_ports_not_switched_are_ignored() {
    let mut sw = LearningSwitch::new(vec![1, 3], IDLE);
    assert_eq!(sw.on_miss(&frame(2, a(), b()), 0), Decision::default());
    assert_eq!(sw.port_of(&a()), None);
    assert_eq!(sw.on_miss(&frame(1, a(), b()), 0).outputs, vec![3]);
    assert_eq!(sw.flood_ports(3), vec![1]);
}

#[test]
fn tagged_frames_are_switched_without_flows() {
    let mut sw = learned();
    let before = sw.flows().len();
    let tagged = Frame {
        tagged: true,
        ..frame(3, c(), b())
    };
    let d = sw.on_miss(&tagged, 1);
    assert_eq!(d.events, vec![]);
    assert_eq!(d.outputs, vec![2]);
    assert_eq!(sw.flows().len(), before);
}

#[test]
fn a_move_deletes_every_flow_naming_the_mac() {
    let mut sw = learned();
    // A shows up on port 2: flows from A (on port 1) and to A (out port
    // 1) all go, B's and C's own entries stay.
    let d = sw.on_miss(&frame(2, a(), c()), 100);
    let mut deleted = vec![
        flow(1, a(), b(), 2),
        flow(2, b(), a(), 1),
        flow(3, c(), a(), 1),
        flow(1, a(), c(), 3),
    ];
    deleted.sort_by_key(Megaflow::ufid);
    let mut expected = vec![Event::Moved {
        mac: a(),
        from: 1,
        to: 2,
    }];
    expected.extend(deleted.into_iter().map(Event::Deleted));
    expected.push(Event::Installed(flow(2, a(), c(), 3)));
    assert_eq!(d.events, expected);
    assert_eq!(d.outputs, vec![3]);
    assert_eq!(sw.port_of(&a()), Some(2));
    assert_eq!(
        sw.flows().iter().copied().collect::<Vec<_>>(),
        vec![flow(2, a(), c(), 3)]
    );
    // Traffic to A now goes to port 2.
    let d = sw.on_miss(&frame(3, c(), a()), 101);
    assert_eq!(d.events, vec![Event::Installed(flow(3, c(), a(), 2))]);
    assert_eq!(d.outputs, vec![2]);
}

#[test]
fn unseen_macs_age_out_with_their_flows() {
    let mut sw = learned();
    assert!(!sw.ageing_due(IDLE - 1));
    assert!(sw.ageing_due(IDLE));
    // B is seen again at 1000; A, C and their flows go at 300 s.
    sw.on_miss(&frame(2, b(), BROADCAST), 1000);
    let events = sw.age(IDLE);
    let mut expected = vec![Event::Aged { mac: a(), port: 1 }];
    let mut of_a = vec![
        flow(1, a(), b(), 2),
        flow(2, b(), a(), 1),
        flow(3, c(), a(), 1),
        flow(1, a(), c(), 3),
    ];
    of_a.sort_by_key(Megaflow::ufid);
    expected.extend(of_a.into_iter().map(Event::Deleted));
    expected.push(Event::Aged { mac: c(), port: 3 });
    assert_eq!(events, expected, "C's flows went with A");
    assert!(sw.flows().is_empty());
    assert_eq!(sw.port_of(&b()), Some(2));
    assert!(!sw.ageing_due(IDLE + 999));
    assert_eq!(sw.age(IDLE + 1000), vec![Event::Aged { mac: b(), port: 2 }]);
    // Forgotten: the next frame from A is learned afresh.
    assert_eq!(
        sw.on_miss(&frame(1, a(), b()), IDLE + 2000).events,
        vec![Event::Learned { mac: a(), port: 1 }]
    );
}

#[test]
fn flow_use_counts_as_seeing_the_source() {
    let mut sw = learned();
    let used = [
        // A->B used at 250 s: A was on port 1 then.
        (flow(1, a(), b(), 2).ufid(), Some(250_000)),
        // B->A never used, C->A used 0 (never): B and C stay unseen.
        (flow(2, b(), a(), 1).ufid(), None),
        (flow(3, c(), a(), 1).ufid(), Some(0)),
        (flow(1, a(), c(), 3).ufid(), Some(10)),
        // Someone else's flow.
        ([9; 16], Some(299_000)),
    ];
    assert!(sw.revalidate(used).is_empty(), "every flow is there");
    assert_eq!(sw.last_seen(&a()), Some(250_000));
    assert_eq!(sw.last_seen(&b()), Some(0));
    let events = sw.age(IDLE);
    let aged: Vec<Event> = events
        .iter()
        .copied()
        .filter(|e| matches!(e, Event::Aged { .. }))
        .collect();
    assert_eq!(
        aged,
        vec![
            Event::Aged { mac: b(), port: 2 },
            Event::Aged { mac: c(), port: 3 }
        ]
    );
    // A stays; its flows to and from B and C went with them.
    assert_eq!(sw.port_of(&a()), Some(1));
    assert!(sw.flows().is_empty());
    assert!(!sw.ageing_due(IDLE + 249_999));
    assert!(sw.ageing_due(IDLE + 250_000));
}

#[test]
fn use_on_another_port_than_the_macs_does_not_refresh_it() {
    let mut sw = learned();
    // A moved to port 2 at 5; a dump then still reports old use of a
    // flow from port 1 (installed again by hand, say): it says nothing
    // about A on port 2.
    sw.on_miss(&frame(2, a(), BROADCAST), 5);
    sw.revalidate([(flow(1, a(), b(), 2).ufid(), Some(200_000))]);
    assert_eq!(sw.last_seen(&a()), Some(5));
}

#[test]
fn flows_missing_from_a_dump_are_forgotten_and_installed_again() {
    let mut sw = learned();
    let kept = flow(1, a(), b(), 2);
    let mut gone = sw.revalidate([(kept.ufid(), None)]);
    gone.sort_by_key(Megaflow::ufid);
    let mut expected = vec![
        flow(2, b(), a(), 1),
        flow(3, c(), a(), 1),
        flow(1, a(), c(), 3),
    ];
    expected.sort_by_key(Megaflow::ufid);
    assert_eq!(gone, expected);
    assert_eq!(sw.flows().len(), 1);
    let d = sw.on_miss(&frame(2, b(), a()), 1);
    assert_eq!(d.events, vec![Event::Installed(flow(2, b(), a(), 1))]);
    // A flow that failed to install is forgotten the same way.
    assert_eq!(sw.forget_flow(&kept.ufid()), Some(kept));
    assert_eq!(sw.forget_flow(&kept.ufid()), None);
    assert_eq!(sw.take_flows(), vec![flow(2, b(), a(), 1)]);
    assert!(sw.flows().is_empty());
}

#[test]
fn ufids_are_the_match_packed() {
    let f = flow(0x0102_0304, a(), b(), 7);
    let ufid = f.ufid();
    assert_eq!(&ufid[..4], &0x0102_0304u32.to_ne_bytes());
    assert_eq!(&ufid[4..10], &a().0);
    assert_eq!(&ufid[10..], &b().0);
    // The output is not part of the identity; everything else is.
    assert_eq!(flow(0x0102_0304, a(), b(), 9).ufid(), ufid);
    let others = [
        flow(1, a(), b(), 7),
        flow(0x0102_0304, b(), a(), 7),
        flow(0x0102_0304, a(), c(), 7),
        flow(0x0102_0304, c(), b(), 7),
    ];
    for other in others {
        assert_ne!(other.ufid(), ufid, "{other}");
    }
}

/// An Ethernet frame from `src` to `dst` of each kind the switch carries.
fn frames(src: Mac, dst: Mac) -> Vec<(&'static str, Vec<u8>)> {
    let mut out = Vec::new();
    let build = |builder: etherparse::PacketBuilderStep<etherparse::UdpHeader>, payload: &[u8]| {
        let mut bytes = Vec::new();
        builder.write(&mut bytes, payload).unwrap();
        bytes
    };
    let ipv4 = PacketBuilder::ethernet2(src.0, dst.0)
        .ipv4([10, 0, 0, 1], [10, 0, 0, 2], 64)
        .udp(1000, 2000);
    out.push(("ipv4 udp", build(ipv4, b"hello")));
    let ipv6 = PacketBuilder::ethernet2(src.0, dst.0)
        .ipv6([1; 16], [2; 16], 64)
        .udp(1000, 2000);
    out.push(("ipv6 udp", build(ipv6, b"hello")));
    let mut arp = [&dst.0[..], &src.0, &[0x08, 0x06]].concat();
    arp.extend_from_slice(&[0, 1, 8, 0, 6, 4, 0, 1]);
    arp.extend_from_slice(&[&src.0[..], &[10, 0, 0, 1], &[0; 6], &[10, 0, 0, 2]].concat());
    out.push(("arp", arp));
    // 802.3 length field: LLC.
    let llc = [&dst.0[..], &src.0, &[0, 3, 0x42, 0x42, 0x03]].concat();
    out.push(("802.2", llc));
    out
}

fn packet_key(packet: &[u8], in_port: u32) -> FlowKey {
    let mut key = FlowKey::default();
    extract(packet, in_port, &mut key);
    key
}

#[test]
fn the_megaflow_is_a_valid_match_on_ports_and_macs_only() {
    let f = flow(1, a(), b(), 2);
    // Through the wire encoding, then the datapath's own validation.
    let attrs = FlowAttrs::decode(&f.attrs().encode().unwrap()).unwrap();
    assert_eq!(attrs, f.attrs());
    assert_eq!(attrs.ufid(), Some(&f.ufid()[..]));
    assert_eq!(attrs.actions, Some(vec![Action::Output(2)]));
    let m = match_from_attrs(attrs.key.as_ref().unwrap(), attrs.mask.as_deref()).unwrap();

    let mut mask = FlowMask::default();
    mask.set_in_port(u32::MAX);
    mask.set_eth_src_u48(0xffff_ffff_ffff);
    mask.set_eth_dst_u48(0xffff_ffff_ffff);
    // Always exact in any match: the frame kind and the VLAN tags.
    mask.set_mac_proto(0xff);
    mask.set_vlan_tci(0xffff);
    mask.set_cvlan_tci(0xffff);
    assert_eq!(m.mask, mask, "nothing but port and MACs (and tags)");
    assert_eq!(m.masked_key().in_port(), 1);
    assert_eq!(m.masked_key().eth_src(), a().0);
    assert_eq!(m.masked_key().eth_dst(), b().0);
    assert_eq!(m.masked_key().mac_proto(), MAC_PROTO_ETHERNET);
    assert_eq!(m.masked_key().eth_type(), 0, "EtherType wildcarded");

    let stored = m.masked_key();
    for (kind, packet) in frames(a(), b()) {
        assert!(
            stored.matches(&m.mask, &packet_key(&packet, 1)),
            "{kind} from A to B on port 1"
        );
        assert!(
            !stored.matches(&m.mask, &packet_key(&packet, 2)),
            "{kind} on port 2"
        );
    }
    for (kind, packet) in frames(a(), c()).into_iter().chain(frames(c(), b())) {
        assert!(
            !stored.matches(&m.mask, &packet_key(&packet, 1)),
            "{kind}: another MAC"
        );
    }
    // A tagged frame between the same MACs is not the flow's.
    let tagged = PacketBuilder::ethernet2(a().0, b().0)
        .single_vlan(10.try_into().unwrap())
        .ipv4([10, 0, 0, 1], [10, 0, 0, 2], 64)
        .udp(1, 2);
    let mut bytes = Vec::new();
    tagged.write(&mut bytes, b"x").unwrap();
    assert!(!stored.matches(&m.mask, &packet_key(&bytes, 1)));
}

#[test]
fn the_megaflow_prints_in_dump_flows_syntax() {
    let f = flow(1, a(), b(), 2);
    assert_eq!(
        f.to_string(),
        "in_port(1),eth(src=02:00:00:00:00:0a,dst=02:00:00:00:00:0b) actions:2"
    );
    assert_eq!(
        f.key(),
        vec![
            KeyAttr::InPort(1),
            KeyAttr::Ethernet(EthernetKey {
                src: a().0,
                dst: b().0
            })
        ]
    );
}

#[test]
fn events_print_one_short_line_each() {
    let lines: Vec<String> = [
        Event::Learned { mac: a(), port: 1 },
        Event::Moved {
            mac: a(),
            from: 1,
            to: 2,
        },
        Event::Aged { mac: b(), port: 3 },
        Event::Installed(flow(2, a(), b(), 3)),
        Event::Deleted(flow(1, a(), b(), 3)),
    ]
    .iter()
    .map(Event::to_string)
    .collect();
    assert_eq!(
        lines,
        [
            "learn: 02:00:00:00:00:0a on port 1",
            "move: 02:00:00:00:00:0a from port 1 to port 2",
            "age: 02:00:00:00:00:0b on port 3",
            "flow: in_port(2),eth(src=02:00:00:00:00:0a,dst=02:00:00:00:00:0b) actions:3",
            "delete: in_port(1),eth(src=02:00:00:00:00:0a,dst=02:00:00:00:00:0b) actions:3",
        ]
    );
}

#[test]
fn frames_come_from_packet_keys() {
    let eth = KeyAttr::Ethernet(EthernetKey {
        src: a().0,
        dst: b().0,
    });
    let key = vec![KeyAttr::InPort(4), eth.clone(), KeyAttr::EthType(0x0800)];
    assert_eq!(Frame::of_key(&key), Some(frame(4, a(), b())));
    let tagged = vec![
        KeyAttr::InPort(4),
        eth.clone(),
        KeyAttr::Vlan(0x100a),
        KeyAttr::EthType(0x8100),
        KeyAttr::Encap(vec![KeyAttr::EthType(0x0800)]),
    ];
    assert!(Frame::of_key(&tagged).unwrap().tagged);
    assert_eq!(Frame::of_key(&[eth]), None, "no in_port");
    assert_eq!(
        Frame::of_key(&[KeyAttr::InPort(1), KeyAttr::EthType(0x0800)]),
        None,
        "layer 3"
    );
}

#[test]
fn macs_read_and_print_as_colon_hex() {
    assert_eq!(mac("2:0:0:0:0:a"), a());
    assert_eq!(a().to_string(), "02:00:00:00:00:0a");
    for bad in [
        "",
        "02:00:00:00:00",
        "02:00:00:00:00:0a:0b",
        "02:00:00:00:00:xy",
        "002:00:00:00:00:0a",
    ] {
        assert!(bad.parse::<Mac>().is_err(), "{bad:?}");
    }
    assert!(BROADCAST.is_multicast() && !a().is_multicast());
}
