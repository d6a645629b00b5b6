//! Number and address syntax: what ovs-dpctl's scanner accepts, including
//! its wrapping of values too wide for a field.

use crate::flow::odp::{EthernetKey, Ipv4Key, Ipv6Key, KeyAttr, PortsKey};
use crate::flow::text::{parse_key, parse_match};

fn in_port(text: &str) -> Option<u32> {
    match parse_key(&format!("in_port({text})")).ok()?.as_slice() {
        [KeyAttr::InPort(p)] => Some(*p),
        other => panic!("{other:?}"),
    }
}

#[test]
fn integers_in_any_c_base() {
    assert_eq!(in_port("0x10"), Some(16));
    assert_eq!(in_port("0X1f"), Some(31));
    assert_eq!(in_port("010"), Some(8));
    assert_eq!(in_port("0"), Some(0));
    assert_eq!(in_port("+5"), Some(5));
    assert_eq!(in_port(" \t5"), Some(5));
    // Negative values and overflow wrap to the field width.
    assert_eq!(in_port("-1"), Some(u32::MAX));
    assert_eq!(in_port("4294967296"), Some(0));
    assert_eq!(in_port("0x1ffffffff"), Some(u32::MAX));
    // "08" is octal 0 followed by junk; "0x" has no digits.
    for bad in ["08", "0x", "", "-", "5 ", "x5", "1e3"] {
        assert_eq!(in_port(bad), None, "{bad:?}");
    }
}

#[test]
fn narrow_fields_keep_the_low_bits() {
    assert_eq!(
        parse_key("tcp(src=65536,dst=0x1ffff)").unwrap(),
        [KeyAttr::Tcp(PortsKey {
            src: 0,
            dst: 0xffff
        })]
    );
    // The VLAN VID is read as 16 bits before its 12-bit range check.
    assert_eq!(
        parse_key("vlan(vid=0x10005)").unwrap(),
        [KeyAttr::Vlan(0x1005)]
    );
    assert!(parse_key("vlan(vid=4096)").is_err());
    assert!(parse_key("vlan(pcp=8)").is_err());
    assert!(parse_key("vlan(cfi=2)").is_err());
}

#[test]
fn ipv4_octets_are_decimal_and_wrap() {
    let key = parse_key("ipv4(src=256.1.1.1,dst=1. 2.3.4)").unwrap();
    assert_eq!(
        key,
        [KeyAttr::Ipv4(Ipv4Key {
            src: 0x0001_0101,
            dst: 0x0102_0304,
            ..Ipv4Key::default()
        })]
    );
    assert!(parse_key("ipv4(src=0x1.2.3.4)").is_err());
    assert!(parse_key("ipv4(src=1.2.3)").is_err());
}

#[test]
fn ethernet_octets_are_hex_and_wrap() {
    let key = parse_key("eth(src=0x1:2:3:4:5:100,dst=A:b:C:d:E:f)").unwrap();
    assert_eq!(
        key,
        [KeyAttr::Ethernet(EthernetKey {
            src: [1, 2, 3, 4, 5, 0],
            dst: [0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f],
        })]
    );
    assert!(parse_key("eth(src=1:2:3:4:5)").is_err());
}

#[test]
fn ipv6_addresses_take_no_leading_space() {
    assert!(parse_key("ipv6(src= ::1)").is_err());
    let key = parse_key("ipv6(src=::FFFF:1.2.3.4)").unwrap();
    assert_eq!(
        key,
        [KeyAttr::Ipv6(Ipv6Key {
            src: 0xffff_0102_0304,
            ..Ipv6Key::default()
        })]
    );
}

#[test]
fn flow_label_fits_in_20_bits() {
    assert!(parse_key("ipv6(label=0xfffff)").is_ok());
    assert!(parse_key("ipv6(label=0x100000)").is_err());
    assert!(parse_match("ipv6(label=1/0x100000)").is_err());
}

#[test]
fn frag_is_a_lowercase_word() {
    for (word, frag) in [("no", 0), ("first", 1), ("later", 2)] {
        let key = parse_key(&format!("ipv6(frag={word})")).unwrap();
        assert_eq!(
            key,
            [KeyAttr::Ipv6(Ipv6Key {
                frag,
                ..Ipv6Key::default()
            })]
        );
    }
    for bad in ["NO", "nox", "firstly", "", "1"] {
        assert!(parse_key(&format!("ipv4(frag={bad})")).is_err(), "{bad}");
    }
    // frag never takes a mask.
    assert!(parse_match("ipv4(frag=no/0xff)").is_err());
}

#[test]
fn tcp_flags_numbers() {
    assert_eq!(
        parse_key("tcp_flags(0x12)").unwrap(),
        [KeyAttr::TcpFlags(0x12)]
    );
    assert_eq!(
        parse_key("tcp_flags(2syn)").unwrap(),
        [KeyAttr::TcpFlags(2)]
    );
    assert!(parse_key("tcp_flags(0x1000)").is_err());
    assert!(parse_key("tcp_flags(-1)").is_err());
    // Only the low 32 bits of a number are checked, as in ovs-dpctl.
    assert_eq!(
        parse_key("tcp_flags(0x100000001)").unwrap(),
        [KeyAttr::TcpFlags(1)]
    );
    assert!(parse_key("tcp_flags()").is_err());
    assert!(parse_key("tcp_flags(syn|)").is_ok());
    assert!(parse_key("tcp_flags(syn||ack)").is_err());
    assert!(parse_key("tcp_flags(+syn+syn)").is_err());
    assert!(parse_key("tcp_flags(syn ack)").is_err());
}
