use super::*;

const ETH: EthernetKey = EthernetKey {
    src: [0, 1, 2, 3, 4, 5],
    dst: [0x10, 0x11, 0x12, 0x13, 0x14, 0x15],
};

fn ipv4(proto: u8, frag: u8) -> KeyAttr {
    KeyAttr::Ipv4(Ipv4Key {
        src: 0x0a00_0001,
        dst: 0x0a00_0002,
        proto,
        tos: 0,
        ttl: 64,
        frag,
    })
}

fn tcp_key() -> Vec<KeyAttr> {
    vec![
        KeyAttr::InPort(1),
        KeyAttr::Ethernet(ETH),
        KeyAttr::EthType(ETH_TYPE_IPV4),
        ipv4(IPPROTO_TCP, 0),
        KeyAttr::Tcp(PortsKey { src: 80, dst: 8080 }),
        KeyAttr::TcpFlags(0),
    ]
}

fn error_of(key: &[KeyAttr], mask: Option<&[KeyAttr]>) -> String {
    match match_from_attrs(key, mask) {
        Err(e) => {
            assert_eq!(e.errno(), Errno::EINVAL);
            e.0
        }
        Ok(m) => panic!("accepted: {m:?}"),
    }
}

#[test]
fn exact_key_without_mask_pins_every_given_field() {
    // N3: no MASK attribute means every bit of the key is exact.
    let m = match_from_attrs(&tcp_key(), None).unwrap();
    assert_eq!(m.key.in_port(), 1);
    assert_eq!(m.key.eth_type(), ETH_TYPE_IPV4);
    assert_eq!((m.key.tp_src(), m.key.tp_dst()), (80, 8080));
    assert_eq!(m.mask.in_port(), u32::MAX);
    assert_eq!(m.mask.ipv4_src(), u32::MAX);
    assert_eq!(m.mask.tp_dst(), u16::MAX);
    assert_eq!(m.mask.tcp_flags(), u16::MAX);
    // Attributes the key did not carry stay wildcarded.
    assert_eq!(m.mask.skb_mark(), 0);
    assert_eq!(m.mask.ipv6_src(), 0);
    assert_eq!(m.masked_key(), m.key);
}

#[test]
fn mask_omitting_a_field_wildcards_it() {
    // N3 + N6: the stored key is the key with the mask applied.
    let mut mask = super::all_ones(&tcp_key());
    mask[3] = KeyAttr::Ipv4(Ipv4Key {
        src: 0xffff_ff00,
        dst: 0,
        proto: 0xff,
        tos: 0,
        ttl: 0,
        frag: 0xff,
    });
    mask[4] = KeyAttr::Tcp(PortsKey {
        src: 0,
        dst: 0xff00,
    });
    let m = match_from_attrs(&tcp_key(), Some(&mask)).unwrap();
    let stored = m.masked_key();
    assert_eq!(stored.ipv4_src(), 0x0a00_0000);
    assert_eq!(stored.ipv4_dst(), 0);
    assert_eq!(stored.nw_ttl(), 0);
    assert_eq!(stored.tp_dst(), 8080 & 0xff00);
    assert_eq!(stored.tp_src(), 0);
}

#[test]
fn tcp_key_requires_tcp_flags_like_the_kernel() {
    // N4: a layer announced by ip proto must be present in the key.
    let mut key = tcp_key();
    key.pop();
    assert!(error_of(&key, None).starts_with("Missing key"));
}

#[test]
fn l4_mask_needs_exact_ip_proto() {
    // N4: an L4 attribute whose ip proto is not matched exactly.
    let mut mask = super::all_ones(&tcp_key());
    if let KeyAttr::Ipv4(ip) = &mut mask[3] {
        ip.proto = 0xf0;
    }
    assert!(error_of(&tcp_key(), Some(&mask)).starts_with("Unexpected mask"));
}

#[test]
fn mask_for_an_attribute_the_key_lacks_is_refused() {
    // N4: mask bits for a field the key does not carry.
    let mut mask = super::all_ones(&tcp_key());
    mask.push(KeyAttr::SkbMark(0xff));
    assert!(error_of(&tcp_key(), Some(&mask)).starts_with("Unexpected mask"));
}

#[test]
fn ipv4_key_without_ipv4_attribute_is_refused() {
    let key = vec![KeyAttr::Ethernet(ETH), KeyAttr::EthType(ETH_TYPE_IPV4)];
    assert!(error_of(&key, None).contains("expected=ipv4"));
}

#[test]
fn later_fragments_carry_no_l4() {
    let key = vec![
        KeyAttr::Ethernet(ETH),
        KeyAttr::EthType(ETH_TYPE_IPV4),
        ipv4(IPPROTO_TCP, FragType::Later as u8),
    ];
    let m = match_from_attrs(&key, None).unwrap();
    assert_eq!(m.key.frag(), Some(FragType::Later));
    let mut with_l4 = key.clone();
    with_l4.push(KeyAttr::Tcp(PortsKey { src: 1, dst: 2 }));
    assert!(error_of(&with_l4, None).starts_with("Unexpected mask"));
}

#[test]
fn bad_values_are_refused_with_reasons() {
    let mut key = tcp_key();
    key[0] = KeyAttr::InPort(DP_MAX_PORTS);
    assert!(error_of(&key, None).contains("exceeds max"));

    let key = vec![KeyAttr::Ethernet(ETH), KeyAttr::EthType(0x05dc)];
    assert!(error_of(&key, None).contains("less than min"));

    let key = vec![
        KeyAttr::Ethernet(ETH),
        KeyAttr::EthType(ETH_TYPE_IPV4),
        ipv4(IPPROTO_UDP, 3),
    ];
    assert!(error_of(&key, None).contains("frag type 3"));

    let key = vec![
        KeyAttr::Ethernet(ETH),
        KeyAttr::EthType(ETH_TYPE_ARP),
        KeyAttr::Arp(ArpKey {
            op: 0x0101,
            ..ArpKey::default()
        }),
    ];
    assert!(error_of(&key, None).contains("ARP opcode"));
}

#[test]
fn mask_bits_outside_a_field_are_refused() {
    // N4: a mask with bits outside its field.
    let key = vec![
        KeyAttr::Ethernet(ETH),
        KeyAttr::EthType(ETH_TYPE_IPV6),
        KeyAttr::Ipv6(Ipv6Key::default()),
    ];
    let mut mask = super::all_ones(&key);
    if let KeyAttr::Ipv6(ip) = &mut mask[2] {
        ip.label = 0xfff0_0000;
    }
    assert!(error_of(&key, Some(&mask)).contains("flow label"));
    if let KeyAttr::Ipv6(ip) = &mut mask[2] {
        ip.label = 0;
        ip.frag = 0x0f;
    }
    assert!(error_of(&key, Some(&mask)).contains("frag mask"));
}

fn vlan_key(inner: Vec<KeyAttr>) -> Vec<KeyAttr> {
    vec![
        KeyAttr::InPort(1),
        KeyAttr::Ethernet(ETH),
        KeyAttr::EthType(ETH_TYPE_VLAN),
        KeyAttr::Vlan(VLAN_TAG_PRESENT | 99 | (7 << VLAN_PCP_SHIFT)),
        KeyAttr::Encap(inner),
    ]
}

#[test]
fn vlan_encap_opens_the_inner_headers() {
    let key = vlan_key(vec![
        KeyAttr::EthType(ETH_TYPE_IPV4),
        ipv4(IPPROTO_UDP, 0),
        KeyAttr::Udp(PortsKey { src: 1, dst: 2 }),
    ]);
    let m = match_from_attrs(&key, None).unwrap();
    assert!(m.key.has_vlan());
    assert_eq!(m.key.vlan_tci() & VLAN_VID_MASK, 99);
    assert_eq!(m.key.vlan_tpid(), ETH_TYPE_VLAN);
    assert_eq!(m.key.eth_type(), ETH_TYPE_IPV4);
    assert_eq!(m.key.tp_dst(), 2);
    assert_eq!(m.mask.vlan_tci(), 0xffff);
    // And it prints back in the same nested shape.
    let back = key_to_attrs(&m.key);
    assert!(back.contains(&KeyAttr::Encap(vec![
        KeyAttr::EthType(ETH_TYPE_IPV4),
        ipv4(IPPROTO_UDP, 0),
        KeyAttr::Udp(PortsKey { src: 1, dst: 2 }),
    ])));
}

#[test]
fn double_tagged_frames_fill_both_tags() {
    let inner_tci = VLAN_TAG_PRESENT | 20;
    let mut key = vlan_key(vec![
        KeyAttr::EthType(ETH_TYPE_VLAN),
        KeyAttr::Vlan(inner_tci),
        KeyAttr::Encap(vec![KeyAttr::EthType(0x1234)]),
    ]);
    key[2] = KeyAttr::EthType(ETH_TYPE_QINQ);
    let m = match_from_attrs(&key, None).unwrap();
    assert_eq!(m.key.vlan_tpid(), ETH_TYPE_QINQ);
    assert_eq!(m.key.cvlan_tci(), inner_tci);
    assert_eq!(m.key.eth_type(), 0x1234);
    let back = match_from_attrs(&key_to_attrs(&m.key), None).unwrap();
    assert_eq!(back.key, m.key);
}

#[test]
fn malformed_vlan_matches_are_refused() {
    let mut no_encap = vlan_key(vec![]);
    no_encap.pop();
    assert!(error_of(&no_encap, None).contains("Invalid VLAN frame"));

    let mut no_cfi = vlan_key(vec![]);
    no_cfi[3] = KeyAttr::Vlan(99);
    assert!(error_of(&no_cfi, None).contains("VLAN_CFI_MASK"));

    let mut truncated = vlan_key(vec![KeyAttr::EthType(0x1234)]);
    truncated[3] = KeyAttr::Vlan(0);
    assert!(error_of(&truncated, None).contains("Truncated VLAN"));

    // The same attribute at two nesting levels is a duplicate.
    let dup = vlan_key(vec![KeyAttr::InPort(2), KeyAttr::EthType(0x1234)]);
    assert!(error_of(&dup, None).starts_with("Duplicate key (in_port)"));
}

#[test]
fn vlan_mask_must_pin_tpid_and_tag_bit() {
    let key = vlan_key(vec![KeyAttr::EthType(0x1234)]);
    let mut mask = super::all_ones(&key);
    mask[3] = KeyAttr::Vlan(VLAN_VID_MASK);
    assert!(error_of(&key, Some(&mask)).contains("exact match for VLAN_CFI_MASK"));
    mask[3] = KeyAttr::Vlan(VLAN_VID_MASK | VLAN_TAG_PRESENT);
    let m = match_from_attrs(&key, Some(&mask)).unwrap();
    assert_eq!(m.mask.vlan_tci(), VLAN_VID_MASK | VLAN_TAG_PRESENT);
}

#[test]
fn frames_without_ethertype_are_802_2() {
    let key = vec![KeyAttr::InPort(3), KeyAttr::Ethernet(ETH)];
    let m = match_from_attrs(&key, None).unwrap();
    assert_eq!(m.key.eth_type(), ETH_TYPE_802_2);
    assert!(!key_to_attrs(&m.key)
        .iter()
        .any(|a| a.kind() == KeyAttrKind::EthType));
}

#[test]
fn a_key_without_eth_is_a_layer3_match() {
    let key = vec![
        KeyAttr::EthType(ETH_TYPE_IPV4),
        ipv4(IPPROTO_UDP, 0),
        KeyAttr::Udp(PortsKey::default()),
    ];
    let m = match_from_attrs(&key, None).unwrap();
    assert_eq!(m.key.mac_proto(), MAC_PROTO_NONE);
    assert_eq!(m.mask.mac_proto(), 0xff);
    // An Ethernet packet with the same L3/L4 header does not match it.
    let mut packet = m.key;
    packet.set_mac_proto(MAC_PROTO_ETHERNET);
    assert!(!m.masked_key().matches(&m.mask, &packet));
    assert!(error_of(&[KeyAttr::InPort(1)], None).contains("Either Ethernet header or EtherType"));
}

#[test]
fn dumped_key_and_mask_parse_back_to_the_same_match() {
    let mut mask = super::all_ones(&tcp_key());
    mask[4] = KeyAttr::Tcp(PortsKey {
        src: 0,
        dst: 0xfff0,
    });
    let m = match_from_attrs(&tcp_key(), Some(&mask)).unwrap();
    let stored = m.masked_key();
    let again = match_from_attrs(
        &key_to_attrs(&stored),
        Some(&mask_to_attrs(&stored, &m.mask)),
    )
    .unwrap();
    assert_eq!(again.mask, m.mask);
    assert_eq!(again.masked_key(), stored);
}

#[test]
fn only_recirc_id_zero_can_match() {
    // N4: dpswitch never recirculates: a flow for recirc_id 1 could never be
    // hit, and accepting it would tell Open vSwitch's recirculation probe
    // that recirc actions work. Refused as a kernel without them refuses.
    let mut key = vec![KeyAttr::RecircId(1), KeyAttr::DpHash(1)];
    key.extend(tcp_key());
    assert!(error_of(&key, None).contains("does not recirculate"));
    let mut wildcarded = super::all_ones(&key);
    wildcarded.retain(|a| !matches!(a, KeyAttr::RecircId(_)));
    assert!(match_from_attrs(&key, Some(&wildcarded)).is_ok());
    key[0] = KeyAttr::RecircId(0);
    assert!(match_from_attrs(&key, None).is_ok());
}
