//! Properties over random frames: rewrites keep checksums valid and set
//! exactly the masked bits; the executor sends what a copy-everything
//! reference interpreter sends; no input panics.

use std::cell::RefCell;
use std::rc::Rc;

use proptest::prelude::*;

use super::fake::{Fake, Log};
use super::frames::{tagged, v4, v6, L4};
use super::verify::{assert_checksums, l3};
use crate::datapath::actions::{
    execute, pop_vlan, push_vlan, set, set_masked, PacketBuf, VecBuf, Xorshift32,
};
use crate::flow::odp::{Action, EthernetKey, Ipv4Key, Ipv6Key, KeyAttr, PortsKey};

#[derive(Clone, Debug)]
struct FrameSpec {
    ipv6: bool,
    l4: L4,
    src: [u8; 16],
    dst: [u8; 16],
    ports: (u16, u16),
    payload: Vec<u8>,
    tags: Vec<(u16, u16)>,
    udp_no_checksum: bool,
}

fn frame_spec() -> impl Strategy<Value = FrameSpec> {
    (
        any::<bool>(),
        prop_oneof![Just(L4::Tcp), Just(L4::Udp), Just(L4::Sctp)],
        any::<[u8; 16]>(),
        any::<[u8; 16]>(),
        any::<(u16, u16)>(),
        proptest::collection::vec(any::<u8>(), 0..48),
        proptest::collection::vec(
            (prop_oneof![Just(0x8100), Just(0x88a8)], any::<u16>()),
            0..=2,
        ),
        any::<bool>(),
    )
        .prop_map(
            |(ipv6, l4, src, dst, ports, payload, tags, udp_no_checksum)| FrameSpec {
                ipv6,
                // No SCTP writer for IPv6 frames here.
                l4: if ipv6 && matches!(l4, L4::Sctp) {
                    L4::Tcp
                } else {
                    l4
                },
                src,
                dst,
                ports,
                payload,
                tags,
                udp_no_checksum,
            },
        )
}

fn build(spec: &FrameSpec) -> Vec<u8> {
    let frame = if spec.ipv6 {
        v6(spec.l4, spec.src, spec.dst, spec.ports, &spec.payload)
    } else {
        let (s, d) = (spec.src[..4].try_into(), spec.dst[..4].try_into());
        v4(spec.l4, s.unwrap(), d.unwrap(), spec.ports, &spec.payload)
    };
    let mut frame = tagged(&frame, &spec.tags);
    if spec.udp_no_checksum && matches!(spec.l4, L4::Udp) && !spec.ipv6 {
        let (l3, _) = l3(&frame);
        frame[l3 + 26..l3 + 28].fill(0);
    }
    frame
}

/// The value/mask pairs a masked set may carry (value bits inside the
/// mask, as flow validation requires) and the mask a plain set means.
fn attr_pair() -> impl Strategy<Value = (KeyAttr, KeyAttr)> {
    let ports = || any::<(u16, u16)>().prop_map(|(src, dst)| PortsKey { src, dst });
    prop_oneof![
        (any::<[[u8; 6]; 4]>()).prop_map(|[s, d, ms, md]| {
            let m = EthernetKey { src: ms, dst: md };
            let v = EthernetKey {
                src: std::array::from_fn(|i| s[i] & ms[i]),
                dst: std::array::from_fn(|i| d[i] & md[i]),
            };
            (KeyAttr::Ethernet(v), KeyAttr::Ethernet(m))
        }),
        (any::<[u32; 4]>(), any::<[u8; 4]>()).prop_map(|(a, b)| {
            let m = Ipv4Key {
                src: a[2],
                dst: a[3],
                tos: b[2],
                ttl: b[3],
                ..Default::default()
            };
            let v = Ipv4Key {
                src: a[0] & m.src,
                dst: a[1] & m.dst,
                tos: b[0] & m.tos,
                ttl: b[1] & m.ttl,
                ..Default::default()
            };
            (KeyAttr::Ipv4(v), KeyAttr::Ipv4(m))
        }),
        (any::<[u128; 4]>(), any::<[u32; 2]>(), any::<[u8; 4]>()).prop_map(|(a, l, b)| {
            let m = Ipv6Key {
                src: a[2],
                dst: a[3],
                label: l[1] & 0xfffff,
                tclass: b[2],
                hlimit: b[3],
                ..Default::default()
            };
            let v = Ipv6Key {
                src: a[0] & m.src,
                dst: a[1] & m.dst,
                label: l[0] & m.label,
                tclass: b[0] & m.tclass,
                hlimit: b[1] & m.hlimit,
                ..Default::default()
            };
            (KeyAttr::Ipv6(v), KeyAttr::Ipv6(m))
        }),
        (ports(), ports(), 0..3u8).prop_map(|(v, m, kind)| {
            let v = PortsKey {
                src: v.src & m.src,
                dst: v.dst & m.dst,
            };
            match kind {
                0 => (KeyAttr::Tcp(v), KeyAttr::Tcp(m)),
                1 => (KeyAttr::Udp(v), KeyAttr::Udp(m)),
                _ => (KeyAttr::Sctp(v), KeyAttr::Sctp(m)),
            }
        }),
    ]
}

/// The mask a plain `set` of this kind means.
fn full_mask(attr: &KeyAttr) -> KeyAttr {
    match attr {
        KeyAttr::Ethernet(_) => KeyAttr::Ethernet(EthernetKey {
            src: [0xff; 6],
            dst: [0xff; 6],
        }),
        KeyAttr::Ipv4(_) => KeyAttr::Ipv4(Ipv4Key {
            src: !0,
            dst: !0,
            tos: !0,
            ttl: !0,
            ..Default::default()
        }),
        KeyAttr::Ipv6(_) => KeyAttr::Ipv6(Ipv6Key {
            src: !0,
            dst: !0,
            label: 0xfffff,
            tclass: !0,
            hlimit: !0,
            ..Default::default()
        }),
        KeyAttr::Tcp(_) => KeyAttr::Tcp(PortsKey { src: !0, dst: !0 }),
        KeyAttr::Udp(_) => KeyAttr::Udp(PortsKey { src: !0, dst: !0 }),
        KeyAttr::Sctp(_) => KeyAttr::Sctp(PortsKey { src: !0, dst: !0 }),
        other => panic!("no plain set of {other:?} here"),
    }
}

/// The fields a set can change, read by a plain parse.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Fields {
    dst: [u8; 6],
    src: [u8; 6],
    ip_src: u128,
    ip_dst: u128,
    tos: u8,
    ttl: u8,
    label: u32,
    proto: u8,
    sport: u16,
    dport: u16,
    payload: Vec<u8>,
}

fn read(frame: &[u8]) -> (Fields, bool) {
    let (l3, eth_type) = l3(frame);
    let ipv6 = eth_type == 0x86dd;
    let be =
        |r: std::ops::Range<usize>| frame[r].iter().fold(0u128, |a, b| a << 8 | u128::from(*b));
    let (ip_src, ip_dst, tos, ttl, label, proto, l4) = if ipv6 {
        let first = be(l3..l3 + 4) as u32;
        (
            be(l3 + 8..l3 + 24),
            be(l3 + 24..l3 + 40),
            (first >> 20) as u8,
            frame[l3 + 7],
            first & 0xfffff,
            frame[l3 + 6],
            l3 + 40,
        )
    } else {
        (
            be(l3 + 12..l3 + 16),
            be(l3 + 16..l3 + 20),
            frame[l3 + 1],
            frame[l3 + 8],
            0,
            frame[l3 + 9],
            l3 + 20,
        )
    };
    let fields = Fields {
        dst: frame[..6].try_into().unwrap(),
        src: frame[6..12].try_into().unwrap(),
        ip_src,
        ip_dst,
        tos,
        ttl,
        label,
        proto,
        sport: be(l4..l4 + 2) as u16,
        dport: be(l4 + 2..l4 + 4) as u16,
        // Past the L4 header, whose checksum may change.
        payload: frame
            [l4 + [20, 8, 12][usize::from(proto == 17) + 2 * usize::from(proto == 132)]..]
            .to_vec(),
    };
    (fields, ipv6)
}

fn m8(old: u8, v: u8, m: u8) -> u8 {
    (old & !m) | (v & m)
}
fn m16(old: u16, v: u16, m: u16) -> u16 {
    (old & !m) | (v & m)
}
fn m128(old: u128, v: u128, m: u128) -> u128 {
    (old & !m) | (v & m)
}

/// What a masked set should do to `f`.
fn model(f: &mut Fields, ipv6: bool, value: &KeyAttr, mask: &KeyAttr) {
    match (value, mask) {
        (KeyAttr::Ethernet(v), KeyAttr::Ethernet(m)) => {
            f.src = std::array::from_fn(|i| m8(f.src[i], v.src[i], m.src[i]));
            f.dst = std::array::from_fn(|i| m8(f.dst[i], v.dst[i], m.dst[i]));
        }
        (KeyAttr::Ipv4(v), KeyAttr::Ipv4(m)) if !ipv6 => {
            f.ip_src = m128(f.ip_src, v.src.into(), m.src.into());
            f.ip_dst = m128(f.ip_dst, v.dst.into(), m.dst.into());
            f.tos = m8(f.tos, v.tos, m.tos);
            f.ttl = m8(f.ttl, v.ttl, m.ttl);
        }
        (KeyAttr::Ipv6(v), KeyAttr::Ipv6(m)) if ipv6 => {
            f.ip_src = m128(f.ip_src, v.src, m.src);
            f.ip_dst = m128(f.ip_dst, v.dst, m.dst);
            f.tos = m8(f.tos, v.tclass, m.tclass);
            f.ttl = m8(f.ttl, v.hlimit, m.hlimit);
            f.label = (f.label & !m.label) | (v.label & m.label);
        }
        (KeyAttr::Tcp(v), KeyAttr::Tcp(m)) if f.proto == 6 => ports(f, v, m),
        (KeyAttr::Udp(v), KeyAttr::Udp(m)) if f.proto == 17 => ports(f, v, m),
        (KeyAttr::Sctp(v), KeyAttr::Sctp(m)) if f.proto == 132 => ports(f, v, m),
        _ => {}
    }
}

fn ports(f: &mut Fields, v: &PortsKey, m: &PortsKey) {
    f.sport = m16(f.sport, v.src, m.src);
    f.dport = m16(f.dport, v.dst, m.dst);
}

/// A reference interpreter: a full copy for every output and clone.
fn reference(actions: &[Action], mut pkt: VecBuf, outs: &mut Vec<(u32, Vec<u8>)>) {
    for action in actions {
        match action {
            Action::Output(port) => outs.push((*port, pkt.data().to_vec())),
            Action::Userspace(_) => {}
            Action::Set(attr) => set(&mut pkt, attr),
            Action::SetMasked { value, mask } => set_masked(&mut pkt, value, mask),
            Action::PushVlan { tpid, tci } => {
                if push_vlan(&mut pkt, *tpid, *tci).is_err() {
                    return;
                }
            }
            Action::PopVlan => {
                if pop_vlan(&mut pkt).is_err() {
                    return;
                }
            }
            Action::Clone(nested) => reference(nested, pkt.clone(), outs),
            Action::Sample {
                probability,
                actions,
            } => {
                if *probability == u32::MAX {
                    reference(actions, pkt.clone(), outs);
                }
            }
        }
    }
}

fn action_list() -> impl Strategy<Value = Vec<Action>> {
    let leaf = prop_oneof![
        (0..4u32).prop_map(Action::Output),
        attr_pair().prop_map(|(value, mask)| Action::SetMasked { value, mask }),
        attr_pair().prop_map(|(value, _)| Action::Set(value)),
        any::<u16>().prop_map(|tci| Action::PushVlan { tpid: 0x8100, tci }),
        Just(Action::PopVlan),
    ];
    let action = leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Action::Clone),
            (
                prop_oneof![Just(0), Just(u32::MAX)],
                proptest::collection::vec(inner, 0..4)
            )
                .prop_map(|(probability, actions)| Action::Sample {
                    probability,
                    actions
                }),
        ]
    });
    proptest::collection::vec(action, 0..8)
}

proptest! {
    #[test]
    fn rewrites_keep_checksums_valid_and_set_the_masked_bits(
        spec in frame_spec(),
        sets in proptest::collection::vec((attr_pair(), any::<bool>()), 1..5),
    ) {
        let frame = build(&spec);
        assert_checksums(&frame);
        let (mut expected, ipv6) = read(&frame);
        let mut pkt = VecBuf::new(&frame, 0);
        for ((value, mask), plain) in &sets {
            if *plain {
                set(&mut pkt, value);
                model(&mut expected, ipv6, value, &full_mask(value));
            } else {
                set_masked(&mut pkt, value, mask);
                model(&mut expected, ipv6, value, mask);
            }
        }
        let out = pkt.into_frame();
        prop_assert_eq!(out.len(), frame.len());
        assert_checksums(&out);
        if spec.udp_no_checksum && matches!(spec.l4, L4::Udp) && !ipv6 {
            let (l3, _) = l3(&out);
            prop_assert_eq!(&out[l3 + 26..l3 + 28], &[0, 0]);
        }
        prop_assert_eq!(read(&out).0, expected);
    }

    #[test]
    fn the_executor_sends_what_copying_everything_sends(
        spec in frame_spec(),
        actions in action_list(),
        headroom in 0..12usize,
    ) {
        let frame = build(&spec);
        let mut expected = Vec::new();
        reference(&actions, VecBuf::new(&frame, headroom), &mut expected);

        let log: Rc<RefCell<Log>> = Rc::default();
        let mut got = Vec::new();
        let pkt = Fake::new(&frame, headroom, &log);
        execute(&actions, pkt, &mut Xorshift32::new(7), &mut |port, p: Fake| {
            got.push((port, p.data().to_vec()));
        });
        prop_assert_eq!(got, expected);
        prop_assert_eq!(log.borrow().live, 0);
        prop_assert_eq!(log.borrow().shared_writes, 0);
    }

    #[test]
    fn any_bytes_survive_any_action(
        bytes in proptest::collection::vec(any::<u8>(), 0..80),
        actions in action_list(),
    ) {
        let mut n = 0;
        execute(&actions, VecBuf::new(&bytes, 4), &mut Xorshift32::new(3), &mut |_, _| n += 1);
        prop_assert!(n <= 1 << 12);
    }
}
