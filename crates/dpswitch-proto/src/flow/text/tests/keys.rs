use crate::flow::odp::{ArpKey, EthernetKey, IcmpKey, Ipv4Key, Ipv6Key, KeyAttr, NdKey, PortsKey};
use crate::flow::text::{format_key, parse_key};

/// Parses `text`, checks the attributes, and checks it prints back as is.
fn round_trip(text: &str, want: &[KeyAttr]) {
    let key = parse_key(text).unwrap_or_else(|e| panic!("{text}: {e}"));
    assert_eq!(key, want, "{text}");
    assert_eq!(format_key(&key), text);
}

#[test]
fn metadata_attributes() {
    round_trip("skb_priority(0x10)", &[KeyAttr::Priority(16)]);
    round_trip("skb_priority(0)", &[KeyAttr::Priority(0)]);
    round_trip("skb_mark(0xdeadbeef)", &[KeyAttr::SkbMark(0xdead_beef)]);
    round_trip("recirc_id(0x2a)", &[KeyAttr::RecircId(42)]);
    round_trip("dp_hash(0x3)", &[KeyAttr::DpHash(3)]);
    round_trip("in_port(7)", &[KeyAttr::InPort(7)]);
    round_trip("in_port(4294967295)", &[KeyAttr::InPort(u32::MAX)]);
}

#[test]
fn ethernet_and_eth_type() {
    round_trip(
        "eth(src=0a:0b:0c:0d:0e:0f,dst=ff:ff:ff:ff:ff:ff),eth_type(0x86dd)",
        &[
            KeyAttr::Ethernet(EthernetKey {
                src: [0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f],
                dst: [0xff; 6],
            }),
            KeyAttr::EthType(0x86dd),
        ],
    );
}

#[test]
fn vlan_tci_with_tag_present_bit() {
    // vid 100, pcp 3, tag present (0x1000).
    round_trip("vlan(vid=100,pcp=3)", &[KeyAttr::Vlan(0x7064)]);
    // cfi=0 clears the present bit, and is printed back.
    round_trip("vlan(vid=5,pcp=0,cfi=0)", &[KeyAttr::Vlan(5)]);
    // An empty vlan() is a present tag with VID and PCP zero.
    assert_eq!(parse_key("vlan()").unwrap(), [KeyAttr::Vlan(0x1000)]);
    assert_eq!(format_key(&[KeyAttr::Vlan(0x1000)]), "vlan(vid=0,pcp=0)");
}

#[test]
fn double_tagged_encap() {
    round_trip(
        "eth_type(0x88a8),vlan(vid=10,pcp=0),encap(eth_type(0x8100),vlan(vid=20,pcp=0,cfi=0),\
         encap(eth_type(0x0800)))",
        &[
            KeyAttr::EthType(0x88a8),
            KeyAttr::Vlan(0x1000 | 10),
            KeyAttr::Encap(vec![
                KeyAttr::EthType(0x8100),
                KeyAttr::Vlan(20),
                KeyAttr::Encap(vec![KeyAttr::EthType(0x0800)]),
            ]),
        ],
    );
    round_trip("encap()", &[KeyAttr::Encap(vec![])]);
}

#[test]
fn ipv4_and_transports() {
    let ip = Ipv4Key {
        src: 0x0a00_0001,
        dst: 0xc0a8_0102,
        proto: 6,
        tos: 0x2e,
        ttl: 63,
        frag: 1,
    };
    round_trip(
        "ipv4(src=10.0.0.1,dst=192.168.1.2,proto=6,tos=0x2e,ttl=63,frag=first),tcp(src=443,dst=51000)",
        &[
            KeyAttr::Ipv4(ip),
            KeyAttr::Tcp(PortsKey { src: 443, dst: 51000 }),
        ],
    );
    round_trip(
        "udp(src=53,dst=1024),sctp(src=0,dst=65535)",
        &[
            KeyAttr::Udp(PortsKey { src: 53, dst: 1024 }),
            KeyAttr::Sctp(PortsKey { src: 0, dst: 65535 }),
        ],
    );
    round_trip(
        "icmp(type=8,code=0),icmpv6(type=135,code=1)",
        &[
            KeyAttr::Icmp(IcmpKey {
                icmp_type: 8,
                code: 0,
            }),
            KeyAttr::Icmpv6(IcmpKey {
                icmp_type: 135,
                code: 1,
            }),
        ],
    );
}

#[test]
fn ipv6_and_nd() {
    let ip = Ipv6Key {
        src: 0x2001_0db8_0000_0000_0000_0000_0000_0001,
        dst: 0xfe80_0000_0000_0000_0000_0000_0000_00ff,
        label: 0x12345,
        proto: 58,
        tclass: 0,
        hlimit: 255,
        frag: 2,
    };
    round_trip(
        "ipv6(src=2001:db8::1,dst=fe80::ff,label=0x12345,proto=58,tclass=0,hlimit=255,frag=later),\
         nd(target=2001:db8::7,sll=00:00:5e:00:53:01,tll=00:00:00:00:00:00)",
        &[
            KeyAttr::Ipv6(ip),
            KeyAttr::Nd(NdKey {
                target: 0x2001_0db8_0000_0000_0000_0000_0000_0007,
                sll: [0, 0, 0x5e, 0, 0x53, 1],
                tll: [0; 6],
            }),
        ],
    );
}

#[test]
fn arp() {
    round_trip(
        "arp(sip=10.1.1.1,tip=10.1.1.254,op=2,sha=02:00:00:00:00:01,tha=02:00:00:00:00:02)",
        &[KeyAttr::Arp(ArpKey {
            sip: 0x0a01_0101,
            tip: 0x0a01_01fe,
            op: 2,
            sha: [2, 0, 0, 0, 0, 1],
            tha: [2, 0, 0, 0, 0, 2],
        })],
    );
}

#[test]
fn tcp_flags_names() {
    round_trip("tcp_flags(syn|ack)", &[KeyAttr::TcpFlags(0x12)]);
    round_trip("tcp_flags(0)", &[KeyAttr::TcpFlags(0)]);
    round_trip("tcp_flags(fin|ns|[800])", &[KeyAttr::TcpFlags(0x901)]);
    // Any order and numbers are accepted; printing is canonical.
    let key = parse_key("tcp_flags(ack|0x100|syn)").unwrap();
    assert_eq!(key, [KeyAttr::TcpFlags(0x112)]);
    assert_eq!(format_key(&key), "tcp_flags(syn|ack|ns)");
    // Bits beyond the 12 flag bits print as a number.
    assert_eq!(
        format_key(&[KeyAttr::TcpFlags(0x3001)]),
        "tcp_flags(fin|0x3000)"
    );
    // The +/- form names the bits to match; as an exact key only the
    // values of the named bits remain.
    assert_eq!(
        parse_key("tcp_flags(+syn-ack)").unwrap(),
        [KeyAttr::TcpFlags(0x2)]
    );
}

#[test]
fn omitted_fields_are_zero_in_an_exact_key() {
    let key = parse_key("ipv4(src=1.2.3.4)").unwrap();
    assert_eq!(
        key,
        [KeyAttr::Ipv4(Ipv4Key {
            src: 0x0102_0304,
            ..Ipv4Key::default()
        })]
    );
    assert_eq!(
        format_key(&key),
        "ipv4(src=1.2.3.4,dst=0.0.0.0,proto=0,tos=0,ttl=0,frag=no)"
    );
}

#[test]
fn separators_between_attributes() {
    let want = [
        KeyAttr::InPort(1),
        KeyAttr::EthType(0x0800),
        KeyAttr::SkbMark(2),
    ];
    for text in [
        "in_port(1),eth_type(0x0800),skb_mark(2)",
        " in_port(1) ,\teth_type(0x0800)\r\nskb_mark(2) ,",
        // No separator at all is accepted too.
        "in_port(1)eth_type(0x0800)skb_mark(2)",
    ] {
        assert_eq!(parse_key(text).unwrap(), want, "{text:?}");
    }
    assert_eq!(parse_key("").unwrap(), []);
    assert_eq!(parse_key(" , ").unwrap(), []);
    assert_eq!(format_key(&[]), "<empty>");
}

#[test]
fn masks_in_an_exact_key() {
    // Single-value attributes take a /mask and drop it...
    assert_eq!(
        parse_key("in_port(1/0xff),skb_mark(5/3),eth_type(0x800/0xf00)").unwrap(),
        [
            KeyAttr::InPort(1),
            KeyAttr::SkbMark(5),
            KeyAttr::EthType(0x0800)
        ]
    );
    // ...struct fields refuse one.
    assert!(parse_key("tcp(src=1/0xff)").is_err());
    assert!(parse_key("eth(src=00:00:00:00:00:01/ff:ff:ff:ff:ff:ff)").is_err());
}

#[test]
fn flow_id_prefix_is_skipped() {
    assert_eq!(
        parse_key("ufid:01234567-89ab-cdef-0123-456789ABCDEF in_port(1)").unwrap(),
        [KeyAttr::InPort(1)]
    );
    assert!(parse_key("ufid:01234567-89ab-cdef-0123-456789ABCDE in_port(1)").is_err());
}

#[test]
fn fields_repeat_in_any_order_with_trailing_comma() {
    assert_eq!(
        parse_key("tcp(dst=9,src=1,src=2,)").unwrap(),
        [KeyAttr::Tcp(PortsKey { src: 2, dst: 9 })]
    );
}

#[test]
fn unknown_frag_value_prints_as_error_marker() {
    let ip = Ipv4Key {
        frag: 7,
        ..Ipv4Key::default()
    };
    assert_eq!(
        format_key(&[KeyAttr::Ipv4(ip)]),
        "ipv4(src=0.0.0.0,dst=0.0.0.0,proto=0,tos=0,ttl=0,frag=<error>)"
    );
}
