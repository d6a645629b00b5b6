//! Where the headers a rewrite changes sit in a frame, found from the bytes
//! each time: a rewrite earlier in the same action list (a pushed or popped
//! VLAN tag) moves them.
//!
//! Like flow extraction, up to two VLAN tags (802.1Q or 802.1ad) are
//! skipped. IP carried in 802.2 LLC/SNAP is not rewritten.

use crate::flow::key::{
    ETH_TYPE_IPV4, ETH_TYPE_IPV6, ETH_TYPE_QINQ, ETH_TYPE_VLAN, IPPROTO_ICMPV6, IPPROTO_SCTP,
    IPPROTO_TCP, IPPROTO_UDP,
};

pub(super) const ETH_HEADER_LEN: usize = 14;
pub(super) const ETH_ADDRS_LEN: usize = 12;
pub(super) const VLAN_TAG_LEN: usize = 4;
pub(super) const IPV4_HEADER_LEN: usize = 20;
pub(super) const IPV6_HEADER_LEN: usize = 40;
pub(super) const TCP_HEADER_LEN: usize = 20;
pub(super) const UDP_HEADER_LEN: usize = 8;
/// The ICMPv6 header the kernel requires before fixing its checksum.
pub(super) const ICMPV6_HEADER_LEN: usize = 8;

const MAX_VLAN_TAGS: usize = 2;
/// IPv6 extension headers walked before giving up on finding L4.
const MAX_IPV6_EXTENSIONS: usize = 8;

const IPV4_OFFSET_MASK: u16 = 0x1fff;
const NEXTHDR_HOP: u8 = 0;
const NEXTHDR_ROUTING: u8 = 43;
const NEXTHDR_FRAGMENT: u8 = 44;
const NEXTHDR_AUTH: u8 = 51;
const NEXTHDR_DEST: u8 = 60;

pub(super) fn be16(data: &[u8], off: usize) -> Option<u16> {
    let bytes = data.get(off..off.checked_add(2)?)?;
    Some(u16::from_be_bytes([bytes[0], bytes[1]]))
}

pub(super) fn is_vlan_tpid(tpid: u16) -> bool {
    tpid == ETH_TYPE_VLAN || tpid == ETH_TYPE_QINQ
}

/// The ethertype after the MAC addresses and up to two VLAN tags, and the
/// offset of the header it describes.
pub(super) fn network(data: &[u8]) -> Option<(u16, usize)> {
    let mut off = ETH_ADDRS_LEN;
    for _ in 0..MAX_VLAN_TAGS {
        if !is_vlan_tpid(be16(data, off)?) {
            break;
        }
        off += VLAN_TAG_LEN;
    }
    Some((be16(data, off)?, off + 2))
}

/// Offset of an IPv4 header of at least 20 bytes.
pub(super) fn ipv4(data: &[u8]) -> Option<usize> {
    let (eth_type, l3) = network(data)?;
    (eth_type == ETH_TYPE_IPV4 && data.len() >= l3 + IPV4_HEADER_LEN).then_some(l3)
}

/// Offset of a complete IPv6 fixed header.
pub(super) fn ipv6(data: &[u8]) -> Option<usize> {
    let (eth_type, l3) = network(data)?;
    (eth_type == ETH_TYPE_IPV6 && data.len() >= l3 + IPV6_HEADER_LEN).then_some(l3)
}

/// An L4 header: its protocol, where it starts and where the IP payload
/// ends (the frame may carry Ethernet padding after it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Transport {
    pub proto: u8,
    pub offset: usize,
    pub end: usize,
}

impl Transport {
    /// The L4 bytes, if at least `min` of them are in the frame.
    pub fn bytes<'a>(&self, data: &'a [u8], min: usize) -> Option<&'a [u8]> {
        let l4 = data.get(self.offset..self.end)?;
        (l4.len() >= min).then_some(l4)
    }
}

/// The L4 header after the IPv4 header at `l3`: none for a non-first
/// fragment (it carries no L4 header) or a malformed header length.
pub(super) fn ipv4_transport(data: &[u8], l3: usize) -> Option<Transport> {
    let ihl = usize::from(*data.get(l3)? & 0x0f) * 4;
    let frag = be16(data, l3 + 6)?;
    if ihl < IPV4_HEADER_LEN || frag & IPV4_OFFSET_MASK != 0 {
        return None;
    }
    let total = usize::from(be16(data, l3 + 2)?);
    let end = data.len().min(l3 + total.max(ihl));
    let offset = l3 + ihl;
    (offset <= end).then_some(Transport {
        proto: *data.get(l3 + 9)?,
        offset,
        end,
    })
}

/// The L4 header after the IPv6 header at `l3` and its extension headers,
/// and whether a routing header still has segments left (its final
/// destination, not the header's, is then in the L4 pseudo-header). No L4
/// header for a non-first fragment or a chain too long or cut short.
pub(super) fn ipv6_transport(data: &[u8], l3: usize) -> (Option<Transport>, bool) {
    let mut routing_pending = false;
    let payload = be16(data, l3 + 4).map_or(0, usize::from);
    // A zero payload length is a jumbogram's: the frame is the bound.
    let end = if payload == 0 {
        data.len()
    } else {
        data.len().min(l3 + IPV6_HEADER_LEN + payload)
    };
    let Some(mut next) = data.get(l3 + 6).copied() else {
        return (None, false);
    };
    let mut off = l3 + IPV6_HEADER_LEN;
    for _ in 0..MAX_IPV6_EXTENSIONS {
        let len = match next {
            NEXTHDR_HOP | NEXTHDR_DEST | NEXTHDR_ROUTING => {
                let Some(units) = data.get(off + 1) else {
                    return (None, routing_pending);
                };
                if next == NEXTHDR_ROUTING {
                    routing_pending |= data.get(off + 3).is_some_and(|left| *left != 0);
                }
                (usize::from(*units) + 1) * 8
            }
            NEXTHDR_AUTH => {
                let Some(words) = data.get(off + 1) else {
                    return (None, routing_pending);
                };
                (usize::from(*words) + 2) * 4
            }
            NEXTHDR_FRAGMENT => {
                if be16(data, off + 2).is_none_or(|f| f & 0xfff8 != 0) {
                    return (None, routing_pending);
                }
                8
            }
            proto => {
                let transport = (off <= end).then_some(Transport {
                    proto,
                    offset: off,
                    end,
                });
                return (transport, routing_pending);
            }
        };
        let Some(after) = data.get(off) else {
            return (None, routing_pending);
        };
        next = *after;
        off += len;
    }
    (None, routing_pending)
}

/// The L4 header of protocol `proto` behind IPv4 or IPv6.
pub(super) fn transport(data: &[u8], proto: u8) -> Option<Transport> {
    let (eth_type, l3) = network(data)?;
    let found = match eth_type {
        ETH_TYPE_IPV4 if data.len() >= l3 + IPV4_HEADER_LEN => ipv4_transport(data, l3),
        ETH_TYPE_IPV6 if data.len() >= l3 + IPV6_HEADER_LEN => ipv6_transport(data, l3).0,
        _ => None,
    }?;
    (found.proto == proto).then_some(found)
}

/// Checksum offset inside the L4 header and minimum L4 length before the
/// kernel fixes that checksum when an IP address changes; `None` for
/// protocols whose checksum has no pseudo-header (SCTP, ICMP).
pub(super) fn pseudo_header_checksum(proto: u8, ipv6: bool) -> Option<(usize, usize)> {
    match proto {
        IPPROTO_TCP => Some((16, TCP_HEADER_LEN)),
        IPPROTO_UDP => Some((6, UDP_HEADER_LEN)),
        IPPROTO_ICMPV6 if ipv6 => Some((2, ICMPV6_HEADER_LEN)),
        _ => None,
    }
}

pub(super) const SCTP: u8 = IPPROTO_SCTP;
pub(super) const TCP: u8 = IPPROTO_TCP;
pub(super) const UDP: u8 = IPPROTO_UDP;
