//! Property tests of the netlink codec: what is encoded decodes to the same
//! values and re-encodes to the same bytes, and no input, random or a
//! corrupted valid encoding, makes a decoder panic.

use dpswitch::flow::odp::{
    Action, ArpKey, EthernetKey, IcmpKey, Ipv4Key, Ipv6Key, KeyAttr, KeyAttrKind, NdKey, PortsKey,
    UserspaceAction,
};
use dpswitch::netlink::msg::{messages, GenlHeader, NlMsgHeader, OvsMessage, RawMessage};
use dpswitch::netlink::{
    decode_actions, decode_key, decode_mask, encode_actions, encode_key, FlowAttrs, FlowStats,
};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::subsequence;

fn flat_kinds() -> Vec<KeyAttrKind> {
    KeyAttrKind::ALL
        .iter()
        .copied()
        .filter(|kind| *kind != KeyAttrKind::Encap)
        .collect()
}

fn ports() -> impl Strategy<Value = PortsKey> {
    (any::<u16>(), any::<u16>()).prop_map(|(src, dst)| PortsKey { src, dst })
}

fn icmp() -> impl Strategy<Value = IcmpKey> {
    (any::<u8>(), any::<u8>()).prop_map(|(icmp_type, code)| IcmpKey { icmp_type, code })
}

fn flat_attr(kind: KeyAttrKind) -> BoxedStrategy<KeyAttr> {
    match kind {
        KeyAttrKind::Encap => unreachable!("not flat"),
        KeyAttrKind::Priority => any::<u32>().prop_map(KeyAttr::Priority).boxed(),
        KeyAttrKind::InPort => any::<u32>().prop_map(KeyAttr::InPort).boxed(),
        KeyAttrKind::SkbMark => any::<u32>().prop_map(KeyAttr::SkbMark).boxed(),
        KeyAttrKind::DpHash => any::<u32>().prop_map(KeyAttr::DpHash).boxed(),
        KeyAttrKind::RecircId => any::<u32>().prop_map(KeyAttr::RecircId).boxed(),
        KeyAttrKind::Ethernet => (any::<[u8; 6]>(), any::<[u8; 6]>())
            .prop_map(|(src, dst)| KeyAttr::Ethernet(EthernetKey { src, dst }))
            .boxed(),
        KeyAttrKind::Vlan => any::<u16>().prop_map(KeyAttr::Vlan).boxed(),
        KeyAttrKind::EthType => any::<u16>().prop_map(KeyAttr::EthType).boxed(),
        KeyAttrKind::TcpFlags => any::<u16>().prop_map(KeyAttr::TcpFlags).boxed(),
        KeyAttrKind::Ipv4 => any::<(u32, u32, u8, u8, u8, u8)>()
            .prop_map(|(src, dst, proto, tos, ttl, frag)| {
                KeyAttr::Ipv4(Ipv4Key {
                    src,
                    dst,
                    proto,
                    tos,
                    ttl,
                    frag,
                })
            })
            .boxed(),
        KeyAttrKind::Ipv6 => any::<(u128, u128, u32, u8, u8, u8, u8)>()
            .prop_map(|(src, dst, label, proto, tclass, hlimit, frag)| {
                KeyAttr::Ipv6(Ipv6Key {
                    src,
                    dst,
                    label,
                    proto,
                    tclass,
                    hlimit,
                    frag,
                })
            })
            .boxed(),
        KeyAttrKind::Tcp => ports().prop_map(KeyAttr::Tcp).boxed(),
        KeyAttrKind::Udp => ports().prop_map(KeyAttr::Udp).boxed(),
        KeyAttrKind::Sctp => ports().prop_map(KeyAttr::Sctp).boxed(),
        KeyAttrKind::Icmp => icmp().prop_map(KeyAttr::Icmp).boxed(),
        KeyAttrKind::Icmpv6 => icmp().prop_map(KeyAttr::Icmpv6).boxed(),
        KeyAttrKind::Arp => any::<(u32, u32, u16, [u8; 6], [u8; 6])>()
            .prop_map(|(sip, tip, op, sha, tha)| {
                KeyAttr::Arp(ArpKey {
                    sip,
                    tip,
                    op,
                    sha,
                    tha,
                })
            })
            .boxed(),
        KeyAttrKind::Nd => any::<(u128, [u8; 6], [u8; 6])>()
            .prop_map(|(target, sll, tll)| KeyAttr::Nd(NdKey { target, sll, tll }))
            .boxed(),
    }
}

/// Some flat attributes, each kind at most once, in random order.
fn level() -> impl Strategy<Value = Vec<KeyAttr>> {
    let kinds = flat_kinds();
    let count = kinds.len();
    subsequence(kinds, 0..=count)
        .prop_flat_map(|kinds| kinds.into_iter().map(flat_attr).collect::<Vec<_>>())
        .prop_shuffle()
}

/// A key as the datapath accepts it: up to two nested encapsulations, and
/// no attribute twice except vlan and eth_type once per tag level.
fn key() -> impl Strategy<Value = Vec<KeyAttr>> {
    (
        level(),
        level(),
        level(),
        0usize..=2,
        any::<[prop::sample::Index; 2]>(),
    )
        .prop_map(|(outer, middle, inner, depth, positions)| {
            let per_tag =
                |attr: &KeyAttr| matches!(attr.kind(), KeyAttrKind::Vlan | KeyAttrKind::EthType);
            let mut used: Vec<KeyAttrKind> = outer.iter().map(KeyAttr::kind).collect();
            let mut fresh = |level: Vec<KeyAttr>| -> Vec<KeyAttr> {
                let kept: Vec<KeyAttr> = level
                    .into_iter()
                    .filter(|attr| per_tag(attr) || !used.contains(&attr.kind()))
                    .collect();
                used.extend(kept.iter().map(KeyAttr::kind));
                kept
            };
            let mut middle = fresh(middle);
            let inner = fresh(inner);
            let mut outer = outer;
            if depth >= 2 {
                let at = positions[1].index(middle.len() + 1);
                middle.insert(at, KeyAttr::Encap(inner));
            }
            if depth >= 1 {
                let at = positions[0].index(outer.len() + 1);
                outer.insert(at, KeyAttr::Encap(middle));
            }
            outer
        })
}

/// The payload bytes of one flat attribute.
fn payload(attr: &KeyAttr) -> Vec<u8> {
    let bytes = encode_key(std::slice::from_ref(attr)).unwrap();
    let len = usize::from(u16::from_ne_bytes([bytes[0], bytes[1]]));
    bytes[4..len].to_vec()
}

/// What the datapath keeps of a mask: all-zero attributes mean "absent".
fn kept_mask(mask: &[KeyAttr]) -> Vec<KeyAttr> {
    mask.iter()
        .filter_map(|attr| match attr {
            KeyAttr::Encap(inner) if inner.is_empty() => None,
            KeyAttr::Encap(inner) => Some(KeyAttr::Encap(kept_mask(inner))),
            flat if payload(flat).iter().all(|b| *b == 0) => None,
            flat => Some(flat.clone()),
        })
        .collect()
}

fn userspace() -> impl Strategy<Value = Action> {
    (
        1..=u32::MAX,
        proptest::option::of(vec(any::<u8>(), 0..24)),
        proptest::option::of(any::<u32>()),
        any::<bool>(),
    )
        .prop_map(|(pid, userdata, egress_tun_port, actions)| {
            Action::Userspace(UserspaceAction {
                pid,
                userdata,
                egress_tun_port,
                actions,
            })
        })
}

fn any_flat_attr() -> impl Strategy<Value = KeyAttr> {
    prop::sample::select(flat_kinds()).prop_flat_map(flat_attr)
}

/// A masked set whose value has no bits outside the mask.
fn set_masked() -> impl Strategy<Value = Action> {
    prop::sample::select(flat_kinds())
        .prop_flat_map(|kind| (flat_attr(kind), flat_attr(kind)))
        .prop_map(|(value, mask)| {
            let mut bytes = encode_key(std::slice::from_ref(&value)).unwrap();
            let mask_bytes = encode_key(std::slice::from_ref(&mask)).unwrap();
            for (v, m) in bytes.iter_mut().zip(&mask_bytes).skip(4) {
                *v &= *m;
            }
            let value = decode_key(&bytes).unwrap().remove(0);
            Action::SetMasked { value, mask }
        })
}

fn leaf_action() -> BoxedStrategy<Action> {
    prop_oneof![
        any::<u32>().prop_map(Action::Output),
        userspace(),
        any_flat_attr().prop_map(Action::Set),
        set_masked(),
        (prop::sample::select(vec![0x8100u16, 0x88a8]), any::<u16>()).prop_map(|(tpid, tci)| {
            Action::PushVlan {
                tpid,
                tci: tci | 0x1000,
            }
        }),
        Just(Action::PopVlan),
    ]
    .boxed()
}

fn actions() -> impl Strategy<Value = Vec<Action>> {
    let action = leaf_action().prop_recursive(4, 48, 4, |inner| {
        prop_oneof![
            (any::<u32>(), vec(inner.clone(), 0..4)).prop_map(|(probability, actions)| {
                Action::Sample {
                    probability,
                    actions,
                }
            }),
            vec(inner, 0..4).prop_map(Action::Clone),
        ]
    });
    vec(action, 0..6)
}

fn flow_attrs() -> impl Strategy<Value = FlowAttrs> {
    (
        proptest::option::of(key()),
        proptest::option::of(key()),
        proptest::option::of(actions()),
        proptest::option::of(vec(any::<u8>(), 1..24)),
        any::<u32>(),
        any::<(bool, bool)>(),
        proptest::option::of(any::<(u64, u64)>()),
        proptest::option::of(any::<u64>()),
        proptest::option::of(any::<u8>()),
    )
        .prop_map(
            |(key, mask, actions, ufid, ufid_flags, (probe, clear), stats, used, tcp_flags)| {
                FlowAttrs {
                    key,
                    mask,
                    actions,
                    ufid,
                    ufid_flags,
                    probe,
                    clear,
                    stats: stats.map(|(packets, bytes)| FlowStats { packets, bytes }),
                    used,
                    tcp_flags,
                }
            },
        )
}

/// Overwrites a few bytes of a valid encoding.
fn corrupt(mut bytes: Vec<u8>, edits: &[(prop::sample::Index, u8)]) -> Vec<u8> {
    if !bytes.is_empty() {
        for (at, value) in edits {
            let len = bytes.len();
            bytes[at.index(len)] = *value;
        }
    }
    bytes
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn keys_round_trip(key in key()) {
        let bytes = encode_key(&key).unwrap();
        let decoded = decode_key(&bytes).unwrap();
        prop_assert_eq!(&decoded, &key);
        prop_assert_eq!(encode_key(&decoded).unwrap(), bytes);
    }

    #[test]
    fn masks_round_trip_without_their_zero_attributes(mask in key()) {
        let bytes = encode_key(&mask).unwrap();
        let decoded = decode_mask(&bytes).unwrap();
        prop_assert_eq!(&decoded, &kept_mask(&mask));
        // Decoding again drops only what became empty (a tag whose inside
        // was all zeros).
        let again = encode_key(&decoded).unwrap();
        prop_assert_eq!(decode_mask(&again).unwrap(), kept_mask(&decoded));
    }

    #[test]
    fn actions_round_trip(actions in actions()) {
        let bytes = encode_actions(&actions).unwrap();
        let decoded = decode_actions(&bytes).unwrap();
        prop_assert_eq!(&decoded, &actions);
        prop_assert_eq!(encode_actions(&decoded).unwrap(), bytes);
    }

    #[test]
    fn flow_attrs_round_trip(flow in flow_attrs()) {
        let bytes = flow.encode().unwrap();
        let decoded = FlowAttrs::decode(&bytes).unwrap();
        let expected = FlowAttrs {
            mask: flow.mask.as_deref().map(kept_mask),
            ..flow.clone()
        };
        prop_assert_eq!(&decoded, &expected);
        if flow.mask.as_deref().map(kept_mask) == flow.mask {
            prop_assert_eq!(decoded.encode().unwrap(), bytes);
        }
    }

    #[test]
    fn ovs_messages_round_trip(
        fields in any::<(u16, u16, u32, u32, u8, u8, u16, i32)>(),
        attrs in vec(any::<u8>(), 0..64),
    ) {
        let (msg_type, flags, seq, pid, cmd, version, reserved, dp_ifindex) = fields;
        let message = OvsMessage {
            header: NlMsgHeader { len: 0, msg_type, flags, seq, pid },
            genl: GenlHeader { cmd, version, reserved },
            dp_ifindex,
            attrs: &attrs,
        };
        let bytes = message.encode().unwrap();
        prop_assert_eq!(bytes.len() % 4, 0);
        let (raw, consumed) = RawMessage::parse(&bytes).unwrap();
        prop_assert_eq!(consumed, bytes.len());
        let parsed = raw.ovs().unwrap();
        prop_assert_eq!(parsed.header.len as usize, 24 + attrs.len());
        prop_assert_eq!(parsed.header.seq, seq);
        prop_assert_eq!(parsed.genl, message.genl);
        prop_assert_eq!(parsed.dp_ifindex, dp_ifindex);
        prop_assert_eq!(parsed.attrs, &attrs[..]);
    }

    #[test]
    fn random_bytes_never_panic(bytes in vec(any::<u8>(), 0..512)) {
        let _ = decode_key(&bytes);
        let _ = decode_mask(&bytes);
        let _ = decode_actions(&bytes);
        let _ = FlowAttrs::decode(&bytes);
        for message in messages(&bytes) {
            let Ok(message) = message else { break };
            let _ = message.genl();
            let _ = message.error();
            if let Ok(ovs) = message.ovs() {
                let _ = FlowAttrs::decode(ovs.attrs);
            }
        }
    }

    #[test]
    fn corrupted_encodings_never_panic(
        key in key(),
        actions in actions(),
        flow in flow_attrs(),
        edits in vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
    ) {
        let key_bytes = corrupt(encode_key(&key).unwrap(), &edits);
        if let Ok(decoded) = decode_key(&key_bytes) {
            prop_assert!(encode_key(&decoded).is_ok());
        }
        let _ = decode_mask(&key_bytes);
        let action_bytes = corrupt(encode_actions(&actions).unwrap(), &edits);
        if let Ok(decoded) = decode_actions(&action_bytes) {
            prop_assert!(encode_actions(&decoded).is_ok());
        }
        let flow_bytes = corrupt(flow.encode().unwrap(), &edits);
        if let Ok(decoded) = FlowAttrs::decode(&flow_bytes) {
            prop_assert!(decoded.encode().is_ok());
        }
        let message = OvsMessage {
            header: NlMsgHeader::default(),
            genl: GenlHeader::default(),
            dp_ifindex: 1,
            attrs: &flow.encode().unwrap(),
        }
        .encode()
        .unwrap();
        for message in messages(&corrupt(message, &edits)) {
            let Ok(message) = message else { break };
            if let Ok(ovs) = message.ovs() {
                let _ = FlowAttrs::decode(ovs.attrs);
            }
        }
    }
}
