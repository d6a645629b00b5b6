//! Mask attribute helpers: the all-ones mask of a key (an exact match) and
//! the all-zero test by which masks ignore attributes, as the kernel does.

use crate::flow::odp::*;

/// Every payload bit set: the mask of an exact match on `attrs`.
pub(super) fn all_ones(attrs: &[KeyAttr]) -> Vec<KeyAttr> {
    attrs.iter().map(all_ones_attr).collect()
}

fn all_ones_attr(attr: &KeyAttr) -> KeyAttr {
    let mac = [0xff; 6];
    let ports = PortsKey {
        src: u16::MAX,
        dst: u16::MAX,
    };
    let icmp = IcmpKey {
        icmp_type: u8::MAX,
        code: u8::MAX,
    };
    match attr {
        KeyAttr::Encap(inner) => KeyAttr::Encap(all_ones(inner)),
        KeyAttr::Priority(_) => KeyAttr::Priority(u32::MAX),
        KeyAttr::InPort(_) => KeyAttr::InPort(u32::MAX),
        KeyAttr::Ethernet(_) => KeyAttr::Ethernet(EthernetKey { src: mac, dst: mac }),
        KeyAttr::Vlan(_) => KeyAttr::Vlan(u16::MAX),
        KeyAttr::EthType(_) => KeyAttr::EthType(u16::MAX),
        KeyAttr::Ipv4(_) => KeyAttr::Ipv4(Ipv4Key {
            src: u32::MAX,
            dst: u32::MAX,
            proto: u8::MAX,
            tos: u8::MAX,
            ttl: u8::MAX,
            frag: u8::MAX,
        }),
        // The label's 20 bits: the kernel's all-ones mask would carry bits
        // the field does not have.
        KeyAttr::Ipv6(_) => KeyAttr::Ipv6(Ipv6Key {
            src: u128::MAX,
            dst: u128::MAX,
            label: 0x000f_ffff,
            proto: u8::MAX,
            tclass: u8::MAX,
            hlimit: u8::MAX,
            frag: u8::MAX,
        }),
        KeyAttr::Tcp(_) => KeyAttr::Tcp(ports),
        KeyAttr::Udp(_) => KeyAttr::Udp(ports),
        KeyAttr::Sctp(_) => KeyAttr::Sctp(ports),
        KeyAttr::Icmp(_) => KeyAttr::Icmp(icmp),
        KeyAttr::Icmpv6(_) => KeyAttr::Icmpv6(icmp),
        KeyAttr::Arp(_) => KeyAttr::Arp(ArpKey {
            sip: u32::MAX,
            tip: u32::MAX,
            op: u16::MAX,
            sha: mac,
            tha: mac,
        }),
        KeyAttr::Nd(_) => KeyAttr::Nd(NdKey {
            target: u128::MAX,
            sll: mac,
            tll: mac,
        }),
        KeyAttr::SkbMark(_) => KeyAttr::SkbMark(u32::MAX),
        KeyAttr::TcpFlags(_) => KeyAttr::TcpFlags(u16::MAX),
        KeyAttr::DpHash(_) => KeyAttr::DpHash(u32::MAX),
        KeyAttr::RecircId(_) => KeyAttr::RecircId(u32::MAX),
    }
}

/// True when every payload byte is zero (a nest: when it is empty).
pub(super) fn is_zero(attr: &KeyAttr) -> bool {
    match attr {
        KeyAttr::Encap(inner) => inner.is_empty(),
        KeyAttr::Priority(v) | KeyAttr::InPort(v) | KeyAttr::SkbMark(v) => *v == 0,
        KeyAttr::DpHash(v) | KeyAttr::RecircId(v) => *v == 0,
        KeyAttr::Vlan(v) | KeyAttr::EthType(v) | KeyAttr::TcpFlags(v) => *v == 0,
        KeyAttr::Ethernet(e) => *e == EthernetKey::default(),
        KeyAttr::Ipv4(k) => *k == Ipv4Key::default(),
        KeyAttr::Ipv6(k) => *k == Ipv6Key::default(),
        KeyAttr::Tcp(p) | KeyAttr::Udp(p) | KeyAttr::Sctp(p) => *p == PortsKey::default(),
        KeyAttr::Icmp(i) | KeyAttr::Icmpv6(i) => *i == IcmpKey::default(),
        KeyAttr::Arp(a) => *a == ArpKey::default(),
        KeyAttr::Nd(n) => *n == NdKey::default(),
    }
}
