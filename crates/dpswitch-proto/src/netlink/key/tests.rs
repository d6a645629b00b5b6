use super::*;
use nix::errno::Errno;

fn attr(id: u16, payload: &[u8]) -> Vec<u8> {
    let mut w = AttrWriter::new();
    w.put(id, payload);
    w.finish("test").unwrap()
}

fn ipv4_key() -> KeyAttr {
    KeyAttr::Ipv4(Ipv4Key {
        src: 0x0a00_0001,
        dst: 0xc0a8_0102,
        proto: 6,
        tos: 0x10,
        ttl: 64,
        frag: 0,
    })
}

#[test]
fn ipv4_attribute_bytes_are_exact() {
    let bytes = encode_key(&[ipv4_key()]).unwrap();
    assert_eq!(
        bytes,
        [
            16, 0, 7, 0, // nla_len 16, OVS_KEY_ATTR_IPV4
            10, 0, 0, 1, // ipv4_src, network order
            192, 168, 1, 2, // ipv4_dst
            6, 0x10, 64, 0, // proto, tos, ttl, frag
        ]
    );
    assert_eq!(decode_key(&bytes).unwrap(), [ipv4_key()]);
}

#[test]
fn host_order_and_network_order_fields() {
    let key = [
        KeyAttr::InPort(3),
        KeyAttr::EthType(0x0806),
        KeyAttr::Tcp(PortsKey { src: 80, dst: 443 }),
    ];
    let bytes = encode_key(&key).unwrap();
    let expected: Vec<u8> = [
        &[8, 0, 3, 0][..],
        &3u32.to_ne_bytes(),
        &[6, 0, 6, 0, 0x08, 0x06, 0, 0],
        &[8, 0, 9, 0, 0, 80, 0x01, 0xbb],
    ]
    .concat();
    assert_eq!(bytes, expected);
    assert_eq!(decode_key(&bytes).unwrap(), key);
}

#[test]
fn arp_payload_carries_the_struct_padding() {
    let arp = KeyAttr::Arp(ArpKey {
        sip: 0x0102_0304,
        tip: 0x0506_0708,
        op: 1,
        sha: [0xa, 0xb, 0xc, 0xd, 0xe, 0xf],
        tha: [1, 2, 3, 4, 5, 6],
    });
    let bytes = encode_key(std::slice::from_ref(&arp)).unwrap();
    assert_eq!(
        bytes,
        [
            28, 0, 13, 0, 1, 2, 3, 4, 5, 6, 7, 8, 0, 1, 0xa, 0xb, 0xc, 0xd, 0xe, 0xf, 1, 2, 3, 4,
            5, 6, 0, 0
        ]
    );
    assert_eq!(decode_key(&bytes).unwrap(), [arp]);
}

#[test]
fn ipv6_and_nd_addresses_are_big_endian() {
    let key = [
        KeyAttr::Ipv6(Ipv6Key {
            src: 0x2001_0db8 << 96 | 1,
            dst: 0xfe80 << 112 | 2,
            label: 0x12345,
            proto: 58,
            tclass: 0,
            hlimit: 255,
            frag: 0,
        }),
        KeyAttr::Nd(NdKey {
            target: 0x2001_0db8 << 96 | 7,
            sll: [1; 6],
            tll: [2; 6],
        }),
    ];
    let bytes = encode_key(&key).unwrap();
    assert_eq!(&bytes[..8], [44, 0, 8, 0, 0x20, 0x01, 0x0d, 0xb8]);
    assert_eq!(bytes[4 + 15], 1);
    assert_eq!(&bytes[4 + 32..4 + 40], [0, 0x01, 0x23, 0x45, 58, 0, 255, 0]);
    assert_eq!(&bytes[44..48], [32, 0, 14, 0]);
    assert_eq!(decode_key(&bytes).unwrap(), key);
}

#[test]
fn encap_nests_the_inner_attributes() {
    let key = [
        KeyAttr::EthType(0x8100),
        KeyAttr::Vlan(0x1064),
        KeyAttr::Encap(vec![KeyAttr::EthType(0x0800), ipv4_key()]),
    ];
    let bytes = encode_key(&key).unwrap();
    assert_eq!(
        &bytes[..20],
        [
            6, 0, 6, 0, 0x81, 0x00, 0, 0, // eth_type
            6, 0, 5, 0, 0x10, 0x64, 0, 0, // vlan
            28, 0, 1, 0, // encap: 4 + 8 + 16
        ]
    );
    assert_eq!(bytes.len(), 16 + 28);
    assert_eq!(decode_key(&bytes).unwrap(), key);
}

#[test]
fn vlan_and_eth_type_may_repeat_inside_a_tag_others_may_not() {
    let inner_in_port = [
        KeyAttr::InPort(1),
        KeyAttr::EthType(0x8100),
        KeyAttr::Encap(vec![KeyAttr::InPort(1)]),
    ];
    let err = decode_key(&encode_key(&inner_in_port).unwrap()).unwrap_err();
    assert_eq!(
        err,
        NlError::DuplicateAttr {
            context: "flow key",
            name: "in_port",
            id: 3
        }
    );
    // The outer attribute after the encap still clashes.
    let later = [
        KeyAttr::Encap(vec![KeyAttr::SkbMark(1)]),
        KeyAttr::SkbMark(1),
    ];
    assert_eq!(
        decode_key(&encode_key(&later).unwrap())
            .unwrap_err()
            .errno(),
        Errno::EINVAL
    );
    let qinq = [
        KeyAttr::EthType(0x88a8),
        KeyAttr::Vlan(0x1001),
        KeyAttr::Encap(vec![
            KeyAttr::EthType(0x8100),
            KeyAttr::Vlan(0x1002),
            KeyAttr::Encap(vec![KeyAttr::EthType(0x0800)]),
        ]),
    ];
    assert_eq!(decode_key(&encode_key(&qinq).unwrap()).unwrap(), qinq);
}

#[test]
fn a_third_encapsulation_is_too_deep() {
    let deep = [KeyAttr::Encap(vec![KeyAttr::Encap(vec![KeyAttr::Encap(
        vec![],
    )])])];
    let err = decode_key(&encode_key(&deep).unwrap()).unwrap_err();
    assert_eq!(
        err,
        NlError::NestedTooDeep {
            context: "flow key",
            limit: 2
        }
    );
    assert_eq!(err.errno(), Errno::EINVAL);
}

#[test]
fn duplicate_at_one_level_is_rejected() {
    let bytes = [attr(3, &1u32.to_ne_bytes()), attr(3, &2u32.to_ne_bytes())].concat();
    assert_eq!(
        decode_key(&bytes).unwrap_err(),
        NlError::DuplicateAttr {
            context: "flow key",
            name: "in_port",
            id: 3
        }
    );
}

#[test]
fn unknown_ids_are_rejected() {
    let err = decode_key(&attr(33, &[0; 4])).unwrap_err();
    assert_eq!(
        err,
        NlError::UnknownAttr {
            context: "flow key",
            id: 33
        }
    );
    assert_eq!(err.errno(), Errno::EINVAL);
}

#[test]
fn wrong_fixed_lengths_are_rejected_with_both_lengths() {
    let err = decode_key(&attr(OVS_KEY_ATTR_IPV4, &[0; 11])).unwrap_err();
    assert_eq!(
        err,
        NlError::BadLength {
            context: "flow key",
            name: "ipv4",
            id: 7,
            expected: 12,
            got: 11
        }
    );
    assert_eq!(err.errno(), Errno::EINVAL);
    // Unsupported attributes get their length checked too.
    let err = decode_key(&attr(OVS_KEY_ATTR_CT_ZONE, &[0; 4])).unwrap_err();
    assert!(matches!(
        err,
        NlError::BadLength {
            name: "ct_zone",
            expected: 2,
            got: 4,
            ..
        }
    ));
}

#[test]
fn truncated_attributes_and_nests_are_rejected() {
    let good = encode_key(&[KeyAttr::InPort(1)]).unwrap();
    let err = decode_key(&good[..6]).unwrap_err();
    assert!(matches!(
        err,
        NlError::TruncatedAttr {
            context: "flow key",
            ..
        }
    ));
    // An encap whose inside ends mid-attribute.
    let mut nest = vec![8, 0, 1, 0];
    nest.extend_from_slice(&[8, 0, 3, 0]);
    assert!(matches!(
        decode_key(&nest).unwrap_err(),
        NlError::TruncatedAttr { .. }
    ));
}

#[test]
fn unsupported_attributes_are_rejected_by_name() {
    let cases: [(u16, Vec<u8>, &str); 13] = [
        (OVS_KEY_ATTR_TUNNEL, vec![], "tunnel"),
        (OVS_KEY_ATTR_MPLS, vec![0; 4], "mpls"),
        (OVS_KEY_ATTR_CT_STATE, vec![0; 4], "ct_state"),
        (OVS_KEY_ATTR_CT_ZONE, vec![0; 2], "ct_zone"),
        (OVS_KEY_ATTR_CT_MARK, vec![0; 4], "ct_mark"),
        (OVS_KEY_ATTR_CT_LABELS, vec![0; 16], "ct_label"),
        (OVS_KEY_ATTR_CT_ORIG_TUPLE_IPV4, vec![0; 16], "ct_tuple4"),
        (OVS_KEY_ATTR_CT_ORIG_TUPLE_IPV6, vec![0; 40], "ct_tuple6"),
        (OVS_KEY_ATTR_NSH, vec![], "nsh"),
        (OVS_KEY_ATTR_PACKET_TYPE, vec![0; 4], "packet_type"),
        (OVS_KEY_ATTR_ND_EXTENSIONS, vec![0; 8], "nd_ext"),
        (OVS_KEY_ATTR_TUNNEL_INFO, vec![], "tunnel_info"),
        (OVS_KEY_ATTR_IPV6_EXTHDRS, vec![0; 2], "ipv6_exthdrs"),
    ];
    for (id, payload, name) in cases {
        let err = decode_key(&attr(id, &payload)).unwrap_err();
        assert_eq!(
            err,
            NlError::Unsupported {
                context: "flow key",
                name,
                id
            }
        );
        assert!(err.to_string().contains(name));
    }
    let err = decode_key(&attr(OVS_KEY_ATTR_UNSPEC, &[])).unwrap_err();
    assert!(matches!(err, NlError::Unsupported { name: "unspec", .. }));
}

#[test]
fn flag_bits_on_the_type_do_not_change_the_attribute() {
    let mut bytes = attr(OVS_KEY_ATTR_IN_PORT, &9u32.to_ne_bytes());
    bytes[3] |= 0x40; // NLA_F_NET_BYTEORDER
    assert_eq!(decode_key(&bytes).unwrap(), [KeyAttr::InPort(9)]);
}

#[test]
fn mask_drops_all_zero_attributes_like_the_kernel() {
    let mask = [
        attr(OVS_KEY_ATTR_IN_PORT, &u32::MAX.to_ne_bytes()),
        attr(OVS_KEY_ATTR_SKB_MARK, &[0; 4]),
        attr(OVS_KEY_ATTR_CT_STATE, &[0; 4]),
        attr(OVS_KEY_ATTR_ETHERTYPE, &[0xff, 0xff]),
    ]
    .concat();
    assert_eq!(
        decode_mask(&mask).unwrap(),
        [KeyAttr::InPort(u32::MAX), KeyAttr::EthType(0xffff)]
    );
    // A zero attribute does not count for the duplicate check...
    let zero_then_set = [
        attr(OVS_KEY_ATTR_SKB_MARK, &[0; 4]),
        attr(OVS_KEY_ATTR_SKB_MARK, &[1, 0, 0, 0]),
    ]
    .concat();
    assert_eq!(decode_mask(&zero_then_set).unwrap().len(), 1);
    // ...but a set one does.
    let set_then_zero = [
        attr(OVS_KEY_ATTR_SKB_MARK, &[1, 0, 0, 0]),
        attr(OVS_KEY_ATTR_SKB_MARK, &[0; 4]),
    ]
    .concat();
    assert!(matches!(
        decode_mask(&set_then_zero).unwrap_err(),
        NlError::DuplicateAttr {
            context: "flow mask",
            ..
        }
    ));
    // Non-zero unsupported mask bits are rejected.
    let err = decode_mask(&attr(OVS_KEY_ATTR_CT_STATE, &[0x20, 0, 0, 0])).unwrap_err();
    assert!(matches!(
        err,
        NlError::Unsupported {
            name: "ct_state",
            ..
        }
    ));
    // Lengths are checked before zero payloads are dropped.
    assert!(matches!(
        decode_mask(&attr(OVS_KEY_ATTR_IPV4, &[0; 8])).unwrap_err(),
        NlError::BadLength { .. }
    ));
}

#[test]
fn every_fixed_kind_round_trips_through_its_payload() {
    for kind in KeyAttrKind::ALL {
        if kind == KeyAttrKind::Encap {
            continue;
        }
        let len = fixed_payload_len(kind as u16).unwrap();
        // Every byte distinct and non-zero, except the ARP tail padding.
        let mut payload: Vec<u8> = (1..=len as u8).collect();
        if kind == KeyAttrKind::Arp {
            payload[22] = 0;
            payload[23] = 0;
        }
        let decoded = decode_payload(kind, &payload).unwrap();
        assert_eq!(decoded.kind(), kind);
        let mut again = Vec::new();
        assert!(write_payload(&decoded, &mut again));
        assert_eq!(again, payload, "{kind:?}");
    }
}

#[test]
fn an_all_zero_tunnel_mask_is_no_tunnel_match_and_a_real_one_is_refused() {
    // What Open vSwitch writes into every mask: the tunnel key with its
    // TTL (and here its id) wildcarded.
    let zero_tunnel = [
        attr(OVS_TUNNEL_KEY_ATTR_ID, &[0; 8]),
        attr(OVS_TUNNEL_KEY_ATTR_TTL, &[0]),
    ]
    .concat();
    let mask = [
        attr(OVS_KEY_ATTR_TUNNEL, &zero_tunnel),
        attr(OVS_KEY_ATTR_IN_PORT, &u32::MAX.to_ne_bytes()),
    ]
    .concat();
    assert_eq!(decode_mask(&mask).unwrap(), [KeyAttr::InPort(u32::MAX)]);
    let real = attr(
        OVS_KEY_ATTR_TUNNEL,
        &attr(OVS_TUNNEL_KEY_ATTR_ID, &[0, 0, 0, 0, 0, 0, 0, 0xff]),
    );
    assert!(matches!(
        decode_mask(&real).unwrap_err(),
        NlError::Unsupported { name: "tunnel", .. }
    ));
    // A broken nested list is still an error, not a wildcard.
    let broken = attr(OVS_KEY_ATTR_TUNNEL, &[5, 0, 1, 0, 1, 0, 0, 0]);
    assert!(decode_mask(&broken).is_err());
}

#[test]
fn a_tunnel_mask_with_a_flag_is_a_tunnel_match() {
    let flagged = [
        attr(OVS_TUNNEL_KEY_ATTR_TTL, &[0]),
        attr(OVS_TUNNEL_KEY_ATTR_DONT_FRAGMENT, &[]),
    ]
    .concat();
    assert!(decode_mask(&attr(OVS_KEY_ATTR_TUNNEL, &flagged)).is_err());
}
