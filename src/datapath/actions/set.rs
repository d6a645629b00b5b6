//! `OVS_ACTION_ATTR_SET` and `OVS_ACTION_ATTR_SET_MASKED` on packet bytes,
//! with the kernel datapath's field coverage and checksum upkeep:
//!
//! - Ethernet: source and destination addresses.
//! - IPv4: source, destination, TOS, TTL; protocol and fragment type are
//!   not writable (flow validation refuses them; here they are ignored).
//!   The header checksum is adjusted; an address change also adjusts the
//!   TCP checksum and a non-zero UDP checksum (their pseudo-header), except
//!   in non-first fragments, which carry no L4 header.
//! - IPv6: source, destination, traffic class, flow label (20 bits), hop
//!   limit. An address change adjusts TCP, non-zero UDP and ICMPv6
//!   checksums, except a destination change while a routing header still
//!   has segments left (the pseudo-header holds the final destination).
//! - TCP, UDP (checksum 0, "none", stays 0), SCTP (CRC32-C recomputed,
//!   carrying an incorrect checksum through as incorrect) ports.
//!
//! A computed UDP checksum of 0 is sent as 0xffff. Other attributes
//! (metadata such as `skb_priority` or `skb_mark`, which dpswitch does not
//! keep per packet yet, and headers the kernel cannot set such as ICMP or
//! ARP) are ignored, as is a set whose header the packet lacks. A plain
//! `set` is a masked set with every writable bit in the mask, which is how
//! the kernel executes it.

use super::buf::PacketBuf;
use super::checksum::{replace, replace16, sctp_crc, SCTP_CHECKSUM, SCTP_HEADER_LEN};
use super::layout::{
    self, be16, ipv4_transport, ipv6_transport, pseudo_header_checksum, Transport, SCTP, TCP,
    TCP_HEADER_LEN, UDP, UDP_HEADER_LEN,
};
use crate::flow::odp::{EthernetKey, Ipv4Key, Ipv6Key, KeyAttr, PortsKey};

const FLOW_LABEL_MASK: u32 = 0x000f_ffff;
const IPV4_CHECKSUM: usize = 10;

const FULL_ETHERNET: EthernetKey = EthernetKey {
    src: [0xff; 6],
    dst: [0xff; 6],
};
const FULL_IPV4: Ipv4Key = Ipv4Key {
    src: u32::MAX,
    dst: u32::MAX,
    proto: 0,
    tos: 0xff,
    ttl: 0xff,
    frag: 0,
};
const FULL_IPV6: Ipv6Key = Ipv6Key {
    src: u128::MAX,
    dst: u128::MAX,
    label: FLOW_LABEL_MASK,
    proto: 0,
    tclass: 0xff,
    hlimit: 0xff,
    frag: 0,
};
const FULL_PORTS: PortsKey = PortsKey {
    src: u16::MAX,
    dst: u16::MAX,
};

/// Overwrites the header `attr` describes with its value.
pub fn set<P: PacketBuf>(pkt: &mut P, attr: &KeyAttr) {
    let data = pkt.data_mut();
    match attr {
        KeyAttr::Ethernet(v) => set_ethernet(data, v, &FULL_ETHERNET),
        KeyAttr::Ipv4(v) => set_ipv4(data, v, &FULL_IPV4),
        KeyAttr::Ipv6(v) => set_ipv6(data, v, &FULL_IPV6),
        KeyAttr::Tcp(v) => set_tcp(data, v, &FULL_PORTS),
        KeyAttr::Udp(v) => set_udp(data, v, &FULL_PORTS),
        KeyAttr::Sctp(v) => set_sctp(data, v, &FULL_PORTS),
        _ => {}
    }
}

/// Overwrites the bits of `mask` in the header `value` describes; a mask of
/// another kind than the value does nothing.
pub fn set_masked<P: PacketBuf>(pkt: &mut P, value: &KeyAttr, mask: &KeyAttr) {
    let data = pkt.data_mut();
    match (value, mask) {
        (KeyAttr::Ethernet(v), KeyAttr::Ethernet(m)) => set_ethernet(data, v, m),
        (KeyAttr::Ipv4(v), KeyAttr::Ipv4(m)) => set_ipv4(data, v, m),
        (KeyAttr::Ipv6(v), KeyAttr::Ipv6(m)) => set_ipv6(data, v, m),
        (KeyAttr::Tcp(v), KeyAttr::Tcp(m)) => set_tcp(data, v, m),
        (KeyAttr::Udp(v), KeyAttr::Udp(m)) => set_udp(data, v, m),
        (KeyAttr::Sctp(v), KeyAttr::Sctp(m)) => set_sctp(data, v, m),
        _ => {}
    }
}

fn masked8(old: u8, value: u8, mask: u8) -> u8 {
    (old & !mask) | (value & mask)
}

fn masked16(old: u16, value: u16, mask: u16) -> u16 {
    (old & !mask) | (value & mask)
}

fn masked32(old: u32, value: u32, mask: u32) -> u32 {
    (old & !mask) | (value & mask)
}

fn masked128(old: u128, value: u128, mask: u128) -> u128 {
    (old & !mask) | (value & mask)
}

fn be32(data: &[u8], off: usize) -> Option<u32> {
    let bytes: [u8; 4] = data.get(off..off.checked_add(4)?)?.try_into().ok()?;
    Some(u32::from_be_bytes(bytes))
}

fn be128(data: &[u8], off: usize) -> Option<u128> {
    let bytes: [u8; 16] = data.get(off..off.checked_add(16)?)?.try_into().ok()?;
    Some(u128::from_be_bytes(bytes))
}

/// Writes `bytes` at `off`; callers have checked that they fit.
fn put(data: &mut [u8], off: usize, bytes: &[u8]) {
    if let Some(dst) = data.get_mut(off..off + bytes.len()) {
        dst.copy_from_slice(bytes);
    }
}

fn set_ethernet(data: &mut [u8], value: &EthernetKey, mask: &EthernetKey) {
    let Some(addrs) = data.get_mut(..layout::ETH_HEADER_LEN) else {
        return;
    };
    for i in 0..6 {
        addrs[i] = masked8(addrs[i], value.dst[i], mask.dst[i]);
        addrs[6 + i] = masked8(addrs[6 + i], value.src[i], mask.src[i]);
    }
}

/// Adjusts the checksum at `at` (absolute offset) for `old` -> `new`.
/// With `udp`, a zero checksum means "none" and stays zero, and a computed
/// zero is sent as 0xffff.
fn adjust(data: &mut [u8], at: usize, old: &[u8], new: &[u8], udp: bool) {
    let Some(check) = be16(data, at) else {
        return;
    };
    if udp && check == 0 {
        return;
    }
    let mut check = replace(check, old, new);
    if udp && check == 0 {
        check = 0xffff;
    }
    put(data, at, &check.to_be_bytes());
}

/// Fixes the L4 checksum whose pseudo-header held `old` (an address).
fn adjust_pseudo_header(
    data: &mut [u8],
    l4: Option<Transport>,
    ipv6: bool,
    old: &[u8],
    new: &[u8],
) {
    let Some(l4) = l4 else {
        return;
    };
    let Some((check_at, min_len)) = pseudo_header_checksum(l4.proto, ipv6) else {
        return;
    };
    if l4.bytes(data, min_len).is_some() {
        adjust(data, l4.offset + check_at, old, new, l4.proto == UDP);
    }
}

fn set_ipv4(data: &mut [u8], value: &Ipv4Key, mask: &Ipv4Key) {
    let Some(l3) = layout::ipv4(data) else {
        return;
    };
    let l4 = ipv4_transport(data, l3);
    for (field, value, mask) in [(12, value.src, mask.src), (16, value.dst, mask.dst)] {
        let Some(old) = be32(data, l3 + field) else {
            return;
        };
        let new = masked32(old, value, mask);
        if new != old {
            let (old, new) = (old.to_be_bytes(), new.to_be_bytes());
            adjust_pseudo_header(data, l4, false, &old, &new);
            adjust(data, l3 + IPV4_CHECKSUM, &old, &new, false);
            put(data, l3 + field, &new);
        }
    }
    // TOS shares a checksum word with version/IHL, TTL with the protocol.
    for (field, value, mask) in [(1, value.tos, mask.tos), (8, value.ttl, mask.ttl)] {
        let word_at = l3 + (field & !1);
        let (Some(old_word), Some(&old)) = (be16(data, word_at), data.get(l3 + field)) else {
            return;
        };
        let new = masked8(old, value, mask);
        if new != old {
            put(data, l3 + field, &[new]);
            let new_word = be16(data, word_at).unwrap_or(old_word);
            let Some(check) = be16(data, l3 + IPV4_CHECKSUM) else {
                return;
            };
            put(
                data,
                l3 + IPV4_CHECKSUM,
                &replace16(check, old_word, new_word).to_be_bytes(),
            );
        }
    }
}

fn set_ipv6(data: &mut [u8], value: &Ipv6Key, mask: &Ipv6Key) {
    let Some(l3) = layout::ipv6(data) else {
        return;
    };
    let (l4, routing_pending) = ipv6_transport(data, l3);
    for (field, value, mask) in [(8, value.src, mask.src), (24, value.dst, mask.dst)] {
        let Some(old) = be128(data, l3 + field) else {
            return;
        };
        let new = masked128(old, value, mask);
        if new != old {
            let (old, new) = (old.to_be_bytes(), new.to_be_bytes());
            let is_dst = field == 24;
            if !(is_dst && routing_pending) {
                adjust_pseudo_header(data, l4, true, &old, &new);
            }
            put(data, l3 + field, &new);
        }
    }
    // Version (4 bits), traffic class (8), flow label (20): no checksum
    // covers them.
    let Some(first) = be32(data, l3) else {
        return;
    };
    let tclass = masked8((first >> 20) as u8, value.tclass, mask.tclass);
    let label = masked32(first, value.label, mask.label & FLOW_LABEL_MASK) & FLOW_LABEL_MASK;
    let first = (first & 0xf000_0000) | (u32::from(tclass) << 20) | label;
    put(data, l3, &first.to_be_bytes());
    if let Some(hlimit) = data.get_mut(l3 + 7) {
        *hlimit = masked8(*hlimit, value.hlimit, mask.hlimit);
    }
}

/// The new (source, destination) ports and their offsets, if the packet has
/// an L4 header of `proto` at least `min_len` long.
fn ports(
    data: &[u8],
    proto: u8,
    min_len: usize,
    value: &PortsKey,
    mask: &PortsKey,
) -> Option<(Transport, [(u16, u16); 2])> {
    let l4 = layout::transport(data, proto)?;
    let bytes = l4.bytes(data, min_len)?;
    let old_src = be16(bytes, 0)?;
    let old_dst = be16(bytes, 2)?;
    Some((
        l4,
        [
            (old_src, masked16(old_src, value.src, mask.src)),
            (old_dst, masked16(old_dst, value.dst, mask.dst)),
        ],
    ))
}

fn set_tcp(data: &mut [u8], value: &PortsKey, mask: &PortsKey) {
    set_checksummed_ports(data, TCP, TCP_HEADER_LEN, 16, value, mask);
}

fn set_udp(data: &mut [u8], value: &PortsKey, mask: &PortsKey) {
    set_checksummed_ports(data, UDP, UDP_HEADER_LEN, 6, value, mask);
}

fn set_checksummed_ports(
    data: &mut [u8],
    proto: u8,
    min_len: usize,
    check_at: usize,
    value: &PortsKey,
    mask: &PortsKey,
) {
    let Some((l4, changes)) = ports(data, proto, min_len, value, mask) else {
        return;
    };
    for (i, (old, new)) in changes.into_iter().enumerate() {
        if new != old {
            let (old, new) = (old.to_be_bytes(), new.to_be_bytes());
            adjust(data, l4.offset + check_at, &old, &new, proto == UDP);
            put(data, l4.offset + 2 * i, &new);
        }
    }
}

fn set_sctp(data: &mut [u8], value: &PortsKey, mask: &PortsKey) {
    let Some((l4, [(old_src, src), (old_dst, dst)])) =
        ports(data, SCTP, SCTP_HEADER_LEN, value, mask)
    else {
        return;
    };
    if src == old_src && dst == old_dst {
        return;
    }
    let Some(sctp) = data.get_mut(l4.offset..l4.end) else {
        return;
    };
    let Some(stored) = be32(sctp, SCTP_CHECKSUM) else {
        return;
    };
    let old_correct = sctp_crc(sctp);
    put(sctp, 0, &src.to_be_bytes());
    put(sctp, 2, &dst.to_be_bytes());
    let new_correct = sctp_crc(sctp);
    put(
        sctp,
        SCTP_CHECKSUM,
        &(stored ^ old_correct ^ new_correct).to_be_bytes(),
    );
}
