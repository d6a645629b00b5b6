//! Classifying masks the way ovs-dpctl does when it prints a flow: an
//! all-zero mask hides an attribute, an all-ones mask prints it without
//! `/mask`, and a `set(...)` whose mask is not all ones becomes a masked set.

use super::field_scan::IPV6_LABEL_MASK;
use super::tcp_flags::TCP_FLAGS_BITS;
use crate::flow::odp::{ArpKey, EthernetKey, IcmpKey, Ipv4Key, Ipv6Key, KeyAttr, NdKey, PortsKey};

/// Whether every significant mask bit equals `ones` (true: all set, false:
/// all clear). The flow label counts 20 bits, TCP flags 12 and the ARP key
/// its fields without padding; `encap` is never constant.
fn is_constant(mask: &KeyAttr, ones: bool) -> bool {
    let b8 = if ones { u8::MAX } else { 0 };
    let b16 = if ones { u16::MAX } else { 0 };
    let b32 = if ones { u32::MAX } else { 0 };
    let b128 = if ones { u128::MAX } else { 0 };
    let eth = [b8; 6];
    match mask {
        KeyAttr::Encap(_) => false,
        KeyAttr::Priority(m)
        | KeyAttr::InPort(m)
        | KeyAttr::SkbMark(m)
        | KeyAttr::DpHash(m)
        | KeyAttr::RecircId(m) => *m == b32,
        KeyAttr::Ethernet(m) => m.src == eth && m.dst == eth,
        KeyAttr::Vlan(m) | KeyAttr::EthType(m) => *m == b16,
        KeyAttr::Ipv4(m) => {
            m.src == b32 && m.dst == b32 && [m.proto, m.tos, m.ttl, m.frag] == [b8; 4]
        }
        KeyAttr::Ipv6(m) => {
            m.label & IPV6_LABEL_MASK == b32 & IPV6_LABEL_MASK
                && [m.proto, m.tclass, m.hlimit, m.frag] == [b8; 4]
                && m.src == b128
                && m.dst == b128
        }
        KeyAttr::Tcp(m) | KeyAttr::Udp(m) | KeyAttr::Sctp(m) => m.src == b16 && m.dst == b16,
        KeyAttr::Icmp(m) | KeyAttr::Icmpv6(m) => m.icmp_type == b8 && m.code == b8,
        KeyAttr::Arp(m) => {
            m.sip == b32 && m.tip == b32 && m.op == b16 && m.sha == eth && m.tha == eth
        }
        KeyAttr::Nd(m) => m.target == b128 && m.sll == eth && m.tll == eth,
        KeyAttr::TcpFlags(m) => m & TCP_FLAGS_BITS == b16 & TCP_FLAGS_BITS,
    }
}

/// The mask matches every bit the attribute can hold.
pub(super) fn is_exact(mask: &KeyAttr) -> bool {
    is_constant(mask, true)
}

/// The mask matches nothing: the attribute is fully wildcarded.
pub(super) fn is_wildcard(mask: &KeyAttr) -> bool {
    is_constant(mask, false)
}

/// Whether a `set(...)` with this mask stays an unmasked set: every byte of
/// the encoded mask, padding included, must be 0xff. Text never sets
/// padding or the flow label's upper bits, and a non-empty `encap` mask
/// holds attribute headers, so those always become masked sets.
pub(super) fn set_mask_is_all_ones(mask: &KeyAttr) -> bool {
    match mask {
        KeyAttr::Encap(inner) => inner.is_empty(),
        KeyAttr::Arp(_) => false,
        KeyAttr::Ipv6(m) => m.label == u32::MAX && is_exact(mask),
        KeyAttr::TcpFlags(m) => *m == u16::MAX,
        _ => is_exact(mask),
    }
}

/// A mask of the same shape as `key` that matches nothing.
pub(super) fn all_wildcard(key: &KeyAttr) -> KeyAttr {
    match key {
        KeyAttr::Encap(inner) => KeyAttr::Encap(inner.iter().map(all_wildcard).collect()),
        KeyAttr::Priority(_) => KeyAttr::Priority(0),
        KeyAttr::InPort(_) => KeyAttr::InPort(0),
        KeyAttr::SkbMark(_) => KeyAttr::SkbMark(0),
        KeyAttr::DpHash(_) => KeyAttr::DpHash(0),
        KeyAttr::RecircId(_) => KeyAttr::RecircId(0),
        KeyAttr::Ethernet(_) => KeyAttr::Ethernet(EthernetKey::default()),
        KeyAttr::Vlan(_) => KeyAttr::Vlan(0),
        KeyAttr::EthType(_) => KeyAttr::EthType(0),
        KeyAttr::Ipv4(_) => KeyAttr::Ipv4(Ipv4Key::default()),
        KeyAttr::Ipv6(_) => KeyAttr::Ipv6(Ipv6Key::default()),
        KeyAttr::Tcp(_) => KeyAttr::Tcp(PortsKey::default()),
        KeyAttr::Udp(_) => KeyAttr::Udp(PortsKey::default()),
        KeyAttr::Sctp(_) => KeyAttr::Sctp(PortsKey::default()),
        KeyAttr::Icmp(_) => KeyAttr::Icmp(IcmpKey::default()),
        KeyAttr::Icmpv6(_) => KeyAttr::Icmpv6(IcmpKey::default()),
        KeyAttr::Arp(_) => KeyAttr::Arp(ArpKey::default()),
        KeyAttr::Nd(_) => KeyAttr::Nd(NdKey::default()),
        KeyAttr::TcpFlags(_) => KeyAttr::TcpFlags(0),
    }
}
