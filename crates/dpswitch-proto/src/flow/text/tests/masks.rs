use crate::flow::odp::{EthernetKey, Ipv4Key, Ipv6Key, KeyAttr, PortsKey};
use crate::flow::text::{format_match, parse_match};

fn round_trip(text: &str) -> (Vec<KeyAttr>, Vec<KeyAttr>) {
    let (key, mask) = parse_match(text).unwrap_or_else(|e| panic!("{text}: {e}"));
    assert_eq!(format_match(&key, &mask), text);
    (key, mask)
}

#[test]
fn partial_masks_and_omitted_fields() {
    let (key, mask) =
        round_trip("in_port(1),eth_type(0x0800),ipv4(src=10.0.0.0/255.0.0.0,proto=17,frag=no)");
    assert_eq!(
        key,
        [
            KeyAttr::InPort(1),
            KeyAttr::EthType(0x0800),
            KeyAttr::Ipv4(Ipv4Key {
                src: 0x0a00_0000,
                proto: 17,
                ..Ipv4Key::default()
            }),
        ]
    );
    assert_eq!(
        mask,
        [
            KeyAttr::InPort(u32::MAX),
            KeyAttr::EthType(0xffff),
            KeyAttr::Ipv4(Ipv4Key {
                src: 0xff00_0000,
                proto: 0xff,
                frag: 0xff,
                ..Ipv4Key::default()
            }),
        ]
    );
}

#[test]
fn every_field_kind_with_a_mask() {
    round_trip("skb_priority(0x1/0xf),skb_mark(0/0xffff),dp_hash(0x5/0x7),in_port(3/0xff)");
    round_trip(
        "eth(src=00:00:5e:00:53:00/ff:ff:ff:00:00:00,dst=01:00:5e:00:00:00/01:00:00:00:00:00)",
    );
    round_trip("eth_type(0x8100/0xefff),vlan(vid=5/0xff0,pcp=3/0x1)");
    round_trip("ipv4(src=1.2.3.4/255.255.255.254,tos=0x4/0xfc,ttl=64/0xf0)");
    round_trip("ipv6(src=2001:db8::/ffff:ffff::,label=0x12345/0xff,tclass=0x10/0xf0,hlimit=0/0x1)");
    round_trip("tcp(src=0/0xfc00),udp(dst=53),sctp(src=1/0x1)");
    round_trip("icmp(type=8/0xf0),icmpv6(code=0)");
    round_trip("arp(sip=10.0.0.0/255.255.255.0,op=1/0xff,tha=ff:ff:ff:ff:ff:ff)");
    round_trip("nd(target=fe80::/ffc0::,tll=00:00:00:00:00:01/00:00:00:00:00:0f)");
    round_trip("tcp_flags(+syn-ack)");
    round_trip("tcp_flags(fin|psh)");
}

#[test]
fn vlan_fields_and_tag_present_bit() {
    let (key, mask) = round_trip("vlan(cfi=0)");
    assert_eq!(
        (key, mask),
        (vec![KeyAttr::Vlan(0)], vec![KeyAttr::Vlan(0x1000)])
    );
    // A zero VID or PCP is shown only when matched.
    let (key, mask) = round_trip("vlan(vid=0,pcp=0/0x4)");
    assert_eq!(
        (key, mask),
        (vec![KeyAttr::Vlan(0x1000)], vec![KeyAttr::Vlan(0x9fff)])
    );
}

#[test]
fn tcp_flags_masked_forms() {
    assert_eq!(
        parse_match("tcp_flags(+syn-ack)").unwrap(),
        (vec![KeyAttr::TcpFlags(0x02)], vec![KeyAttr::TcpFlags(0x12)])
    );
    assert_eq!(
        parse_match("tcp_flags(0x12/0x12)").unwrap(),
        (vec![KeyAttr::TcpFlags(0x12)], vec![KeyAttr::TcpFlags(0x12)])
    );
    // Names alone are exact: all 16 bits matched.
    assert_eq!(
        parse_match("tcp_flags(syn)").unwrap(),
        (
            vec![KeyAttr::TcpFlags(0x02)],
            vec![KeyAttr::TcpFlags(0xffff)]
        )
    );
    // The 12 flag bits all matched print as names.
    assert_eq!(
        format_match(&[KeyAttr::TcpFlags(0x12)], &[KeyAttr::TcpFlags(0x0fff)]),
        "tcp_flags(syn|ack)"
    );
}

#[test]
fn recirc_id_is_always_exact() {
    assert_eq!(
        parse_match("recirc_id(5)").unwrap(),
        (
            vec![KeyAttr::RecircId(5)],
            vec![KeyAttr::RecircId(u32::MAX)]
        )
    );
    assert!(parse_match("recirc_id(5/0xff)").is_err());
    // A partial mask from elsewhere still prints.
    assert_eq!(
        format_match(&[KeyAttr::RecircId(5)], &[KeyAttr::RecircId(0xff)]),
        "recirc_id(0x5/0xff)"
    );
}

#[test]
fn wildcarded_attributes_are_left_out() {
    let key = [
        KeyAttr::InPort(1),
        KeyAttr::Tcp(PortsKey { src: 1, dst: 2 }),
        KeyAttr::SkbMark(9),
    ];
    let mask = [KeyAttr::InPort(u32::MAX), KeyAttr::Tcp(PortsKey::default())];
    // tcp's mask is zero and skb_mark has none: both are wildcarded.
    assert_eq!(format_match(&key, &mask), "in_port(1)");
}

#[test]
fn masks_are_found_by_kind() {
    let key = [KeyAttr::InPort(1), KeyAttr::EthType(0x0800)];
    let mask = [KeyAttr::EthType(0xffff), KeyAttr::InPort(0xff)];
    assert_eq!(
        format_match(&key, &mask),
        "in_port(1/0xff),eth_type(0x0800)"
    );
}

#[test]
fn wildcarded_ethernet_prints_as_eth() {
    let eth = KeyAttr::Ethernet(EthernetKey {
        src: [1; 6],
        dst: [2; 6],
    });
    let zero = KeyAttr::Ethernet(EthernetKey::default());
    let key = [KeyAttr::InPort(1), eth.clone(), KeyAttr::EthType(0x0800)];
    let mask = [
        KeyAttr::InPort(u32::MAX),
        zero.clone(),
        KeyAttr::EthType(0xffff),
    ];
    assert_eq!(
        format_match(&key, &mask),
        "in_port(1),eth(),eth_type(0x0800)"
    );
    // ovs-dpctl does not count "eth()" as a field, so when it comes first
    // the next attribute follows without a comma; that text still parses.
    let text = format_match(&key[1..], &mask[1..]);
    assert_eq!(text, "eth()eth_type(0x0800)");
    assert_eq!(
        parse_match(&text).unwrap(),
        (
            vec![zero.clone(), KeyAttr::EthType(0x0800)],
            vec![zero, KeyAttr::EthType(0xffff)]
        )
    );
}

#[test]
fn eth_type_mask_without_key_is_appended() {
    let key = [KeyAttr::InPort(1)];
    let mask = [KeyAttr::InPort(u32::MAX), KeyAttr::EthType(0xffff)];
    assert_eq!(format_match(&key, &mask), "in_port(1),eth_type(0/0xffff)");
}

#[test]
fn encap_prints_even_when_wildcarded() {
    let (key, mask) = round_trip("eth_type(0x8100),vlan(vid=7),encap()");
    assert_eq!(key[2], KeyAttr::Encap(vec![]));
    assert_eq!(mask[2], KeyAttr::Encap(vec![]));

    let inner = vec![KeyAttr::EthType(0x0800), KeyAttr::Ipv4(Ipv4Key::default())];
    let key = [KeyAttr::Encap(inner.clone())];
    // A mask with every inner attribute wildcarded...
    let zero_mask = [KeyAttr::Encap(vec![
        KeyAttr::EthType(0),
        KeyAttr::Ipv4(Ipv4Key::default()),
    ])];
    assert_eq!(format_match(&key, &zero_mask), "encap()");
    // ...or no inner mask at all (then the inner key prints as exact).
    assert_eq!(
        format_match(&key, &[KeyAttr::Encap(vec![])]),
        "encap(eth_type(0x0800),ipv4(src=0.0.0.0,dst=0.0.0.0,proto=0,tos=0,ttl=0,frag=no))"
    );
    // ...or no encap in the mask.
    assert_eq!(format_match(&key, &[KeyAttr::InPort(0)]), "encap()");
}

#[test]
fn partial_frag_mask_prints_an_error_note() {
    let key = [KeyAttr::Ipv4(Ipv4Key {
        frag: 1,
        ..Ipv4Key::default()
    })];
    let mask = [KeyAttr::Ipv4(Ipv4Key {
        frag: 0x0f,
        ..Ipv4Key::default()
    })];
    assert_eq!(
        format_match(&key, &mask),
        "ipv4(error: partial mask not supported for frag (0xf))"
    );
}

#[test]
fn label_mask_counts_only_20_bits() {
    let key = [KeyAttr::Ipv6(Ipv6Key {
        label: 1,
        ..Ipv6Key::default()
    })];
    let mask = [KeyAttr::Ipv6(Ipv6Key {
        label: 0xfff0_0000,
        ..Ipv6Key::default()
    })];
    // No label bit matched: the whole attribute is a wildcard.
    assert_eq!(format_match(&key, &mask), "");
}

#[test]
fn empty_mask_list_means_exact() {
    let key = [
        KeyAttr::InPort(4),
        KeyAttr::Tcp(PortsKey { src: 1, dst: 2 }),
    ];
    assert_eq!(format_match(&key, &[]), "in_port(4),tcp(src=1,dst=2)");
}
