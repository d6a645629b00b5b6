//! Printing flow keys and masks the way `ovs-dpctl dump-flows` does.

use std::fmt::Write as _;

use super::field_format::{
    alt_hex, chomp, put_eth, put_frag, put_in6, put_ipv4, put_label, put_u16, put_u8u, put_u8x,
};
use super::mask_class::{all_wildcard, is_exact, is_wildcard};
use super::tcp_flags::{format_flags, format_flags_masked, TCP_FLAGS_BITS};
use crate::flow::key::{VLAN_PCP_SHIFT, VLAN_TAG_PRESENT, VLAN_VID_MASK};
use crate::flow::odp::{KeyAttr, KeyAttrKind};

/// Prints an exact key with every field shown, e.g.
/// `in_port(1),eth_type(0x0800),ipv4(src=10.0.0.1,...,frag=no)`.
/// An empty key prints as `<empty>`.
pub fn format_key(key: &[KeyAttr]) -> String {
    let mut out = String::new();
    format_list(&mut out, key, None, true);
    out
}

/// Prints a key with its mask (`mask` has the attributes of `key`, found by
/// kind): fully wildcarded attributes and fields are left out, partially
/// masked values print as `value/mask`. An empty `mask` prints the key as
/// exact.
pub fn format_match(key: &[KeyAttr], mask: &[KeyAttr]) -> String {
    let mut out = String::new();
    format_list(&mut out, key, Some(mask), false);
    out
}

/// As `format_match`, but with every field shown, as `ovs-dpctl -m`
/// prints flows: a wildcarded field prints as `value/0`.
pub fn format_match_verbose(key: &[KeyAttr], mask: &[KeyAttr]) -> String {
    let mut out = String::new();
    format_list(&mut out, key, Some(mask), true);
    out
}

/// The first attribute of each kind in a mask list, indexed by kind
/// number, so that looking up masks stays linear in the list length.
struct MaskIndex<'a> {
    first: [Option<&'a KeyAttr>; KIND_SLOTS],
}

/// One slot per `OVS_KEY_ATTR_*` number dpswitch knows.
const KIND_SLOTS: usize = 32;

impl<'a> MaskIndex<'a> {
    fn new(mask: &'a [KeyAttr]) -> MaskIndex<'a> {
        let mut first = [None; KIND_SLOTS];
        for m in mask {
            if let Some(slot) = first.get_mut(m.kind() as usize) {
                slot.get_or_insert(m);
            }
        }
        MaskIndex { first }
    }

    fn get(&self, kind: KeyAttrKind) -> Option<&'a KeyAttr> {
        self.first.get(kind as usize).copied().flatten()
    }
}

/// A key attribute list with an optional mask list.
pub(super) fn format_list(
    out: &mut String,
    key: &[KeyAttr],
    mask: Option<&[KeyAttr]>,
    verbose: bool,
) {
    if key.is_empty() {
        out.push_str("<empty>");
        return;
    }
    let mask = mask.filter(|m| !m.is_empty()).map(MaskIndex::new);
    let mut first = true;
    for a in key {
        let mut ma = mask.as_ref().and_then(|m| m.get(a.kind()));
        let nested = matches!(a, KeyAttr::Encap(_));
        let wildcard = mask.is_some() && ma.is_none_or(is_wildcard);
        if verbose || !wildcard || nested {
            let generated;
            if wildcard && ma.is_none() {
                generated = all_wildcard(a);
                ma = Some(&generated);
            }
            if !first {
                out.push(',');
            }
            format_attr(out, a, ma, verbose);
            first = false;
        } else if matches!(a, KeyAttr::Ethernet(_)) {
            // A wildcarded Ethernet attribute still says "this is an
            // Ethernet frame", so it prints as "eth()". ovs-dpctl does not
            // count it as a printed field, so a following attribute gets
            // no comma when "eth()" comes first.
            if !first {
                out.push(',');
            }
            out.push_str("eth()");
        }
    }
    let has_eth_type = key.iter().any(|a| matches!(a, KeyAttr::EthType(_)));
    if !has_eth_type {
        if let Some(KeyAttr::EthType(m)) = mask.as_ref().and_then(|m| m.get(KeyAttrKind::EthType)) {
            let _ = write!(out, ",eth_type(0/0x{m:04x})");
        }
    }
}

/// One attribute `name(...)`. `ma` is its mask, if any.
pub(super) fn format_attr(out: &mut String, a: &KeyAttr, ma: Option<&KeyAttr>, verbose: bool) {
    let ma = ma.filter(|m| m.kind() == a.kind());
    let exact = ma.is_none_or(is_exact);
    out.push_str(a.kind().name());
    out.push('(');
    match a {
        KeyAttr::Encap(inner) => match ma {
            Some(KeyAttr::Encap(minner)) if !minner.is_empty() && !inner.is_empty() => {
                format_list(out, inner, Some(minner), verbose)
            }
            _ if !inner.is_empty() => format_list(out, inner, None, verbose),
            _ => {}
        },
        KeyAttr::Priority(v) | KeyAttr::SkbMark(v) | KeyAttr::DpHash(v) | KeyAttr::RecircId(v) => {
            out.push_str(&alt_hex(u64::from(*v)));
            if let (false, Some(m)) = (exact, ma.and_then(single_u32)) {
                let _ = write!(out, "/{}", alt_hex(u64::from(m)));
            }
        }
        KeyAttr::InPort(v) => {
            let _ = write!(out, "{v}");
            if let (false, Some(m)) = (exact, ma.and_then(single_u32)) {
                let _ = write!(out, "/{}", alt_hex(u64::from(m)));
            }
        }
        KeyAttr::Ethernet(k) => {
            let m = match ma {
                Some(KeyAttr::Ethernet(m)) => Some(m),
                _ => None,
            };
            put_eth(out, "src", k.src, m.map(|m| m.src), verbose);
            put_eth(out, "dst", k.dst, m.map(|m| m.dst), verbose);
            chomp(out, ',');
        }
        KeyAttr::Vlan(tci) => {
            let m = match ma {
                Some(KeyAttr::Vlan(m)) => *m,
                _ => u16::MAX,
            };
            format_vlan_tci(out, *tci, m, verbose);
        }
        KeyAttr::EthType(v) => {
            let _ = write!(out, "0x{v:04x}");
            if let (false, Some(KeyAttr::EthType(m))) = (exact, ma) {
                let _ = write!(out, "/0x{m:04x}");
            }
        }
        KeyAttr::Ipv4(k) => {
            let m = match ma {
                Some(KeyAttr::Ipv4(m)) => Some(m),
                _ => None,
            };
            put_ipv4(out, "src", k.src, m.map(|m| m.src), verbose);
            put_ipv4(out, "dst", k.dst, m.map(|m| m.dst), verbose);
            put_u8u(out, "proto", k.proto, m.map(|m| m.proto), verbose);
            put_u8x(out, "tos", k.tos, m.map(|m| m.tos), verbose);
            put_u8u(out, "ttl", k.ttl, m.map(|m| m.ttl), verbose);
            put_frag(out, k.frag, m.map(|m| m.frag));
            chomp(out, ',');
        }
        KeyAttr::Ipv6(k) => {
            let m = match ma {
                Some(KeyAttr::Ipv6(m)) => Some(m),
                _ => None,
            };
            put_in6(out, "src", k.src, m.map(|m| m.src), verbose);
            put_in6(out, "dst", k.dst, m.map(|m| m.dst), verbose);
            put_label(out, k.label, m.map(|m| m.label), verbose);
            put_u8u(out, "proto", k.proto, m.map(|m| m.proto), verbose);
            put_u8x(out, "tclass", k.tclass, m.map(|m| m.tclass), verbose);
            put_u8u(out, "hlimit", k.hlimit, m.map(|m| m.hlimit), verbose);
            put_frag(out, k.frag, m.map(|m| m.frag));
            chomp(out, ',');
        }
        KeyAttr::Tcp(k) | KeyAttr::Udp(k) | KeyAttr::Sctp(k) => {
            let m = match ma {
                Some(KeyAttr::Tcp(m) | KeyAttr::Udp(m) | KeyAttr::Sctp(m)) => Some(m),
                _ => None,
            };
            put_u16(out, "src", k.src, m.map(|m| m.src), verbose);
            put_u16(out, "dst", k.dst, m.map(|m| m.dst), verbose);
            chomp(out, ',');
        }
        KeyAttr::Icmp(k) | KeyAttr::Icmpv6(k) => {
            let m = match ma {
                Some(KeyAttr::Icmp(m) | KeyAttr::Icmpv6(m)) => Some(m),
                _ => None,
            };
            put_u8u(out, "type", k.icmp_type, m.map(|m| m.icmp_type), verbose);
            put_u8u(out, "code", k.code, m.map(|m| m.code), verbose);
            chomp(out, ',');
        }
        KeyAttr::Arp(k) => {
            let m = match ma {
                Some(KeyAttr::Arp(m)) => Some(m),
                _ => None,
            };
            put_ipv4(out, "sip", k.sip, m.map(|m| m.sip), verbose);
            put_ipv4(out, "tip", k.tip, m.map(|m| m.tip), verbose);
            put_u16(out, "op", k.op, m.map(|m| m.op), verbose);
            put_eth(out, "sha", k.sha, m.map(|m| m.sha), verbose);
            put_eth(out, "tha", k.tha, m.map(|m| m.tha), verbose);
            chomp(out, ',');
        }
        KeyAttr::Nd(k) => {
            let m = match ma {
                Some(KeyAttr::Nd(m)) => Some(m),
                _ => None,
            };
            put_in6(out, "target", k.target, m.map(|m| m.target), verbose);
            put_eth(out, "sll", k.sll, m.map(|m| m.sll), verbose);
            put_eth(out, "tll", k.tll, m.map(|m| m.tll), verbose);
            chomp(out, ',');
        }
        KeyAttr::TcpFlags(v) => match (exact, ma) {
            (false, Some(KeyAttr::TcpFlags(m))) => format_flags_masked(out, *v, m & TCP_FLAGS_BITS),
            _ => format_flags(out, *v),
        },
    }
    out.push(')');
}

fn single_u32(m: &KeyAttr) -> Option<u32> {
    match m {
        KeyAttr::Priority(v)
        | KeyAttr::InPort(v)
        | KeyAttr::SkbMark(v)
        | KeyAttr::DpHash(v)
        | KeyAttr::RecircId(v) => Some(*v),
        _ => None,
    }
}

/// The VLAN TCI as `vid=..,pcp=..` (each shown when verbose, non-zero or
/// matched), plus `cfi=0` when the tag-present bit is clear.
pub(super) fn format_vlan_tci(out: &mut String, tci: u16, mask: u16, verbose: bool) {
    let vid = |t: u16| t & VLAN_VID_MASK;
    let pcp = |t: u16| t >> VLAN_PCP_SHIFT;
    if verbose || vid(tci) != 0 || vid(mask) != 0 {
        let _ = write!(out, "vid={}", vid(tci));
        if vid(mask) != VLAN_VID_MASK {
            let _ = write!(out, "/0x{:x}", vid(mask));
        }
        out.push(',');
    }
    if verbose || pcp(tci) != 0 || pcp(mask) != 0 {
        let _ = write!(out, "pcp={}", pcp(tci));
        if pcp(mask) != 7 {
            let _ = write!(out, "/0x{:x}", pcp(mask));
        }
        out.push(',');
    }
    if tci & VLAN_TAG_PRESENT == 0 {
        out.push_str("cfi=0,");
    }
    chomp(out, ',');
}
