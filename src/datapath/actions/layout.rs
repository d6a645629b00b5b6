//! Where the headers a rewrite changes sit in a frame, found from the bytes
//! each time: a rewrite earlier in the same action list (a pushed or popped
//! VLAN tag) moves them.
//!
//! Like flow extraction, up to two VLAN tags (802.1Q or 802.1ad) are
//! skipped and IPv6 extension headers are walked by
//! `flow::headers::walk_extension_headers`. IP carried in 802.2 LLC/SNAP
//! is not rewritten.

use crate::flow::headers::{
    EthernetFrame, Ipv4Packet, Ipv6Packet, WalkEnd, ETH_TYPE_IPV4, ETH_TYPE_IPV6,
    IPV4_MIN_HEADER_LEN, IPV6_HEADER_LEN,
};

/// The ethertype after the MAC addresses and up to two VLAN tags, and the
/// offset of the header it describes.
fn network(data: &[u8]) -> Option<(u16, usize)> {
    let tags = EthernetFrame::new_checked(data).ok()?.tags();
    Some((tags.type_or_len, tags.payload_offset))
}

/// Offset of an IPv4 header of at least 20 bytes.
pub(super) fn ipv4(data: &[u8]) -> Option<usize> {
    let (eth_type, l3) = network(data)?;
    (eth_type == ETH_TYPE_IPV4 && Ipv4Packet::new_checked(data.get(l3..)?).is_ok()).then_some(l3)
}

/// Offset of a complete IPv6 fixed header.
pub(super) fn ipv6(data: &[u8]) -> Option<usize> {
    let (eth_type, l3) = network(data)?;
    (eth_type == ETH_TYPE_IPV6 && Ipv6Packet::new_checked(data.get(l3..)?).is_ok()).then_some(l3)
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
    /// The L4 bytes in the frame, up to the end of the IP payload.
    pub fn bytes_mut<'a>(&self, data: &'a mut [u8]) -> Option<&'a mut [u8]> {
        data.get_mut(self.offset..self.end)
    }
}

/// The L4 header after the IPv4 header at `l3`: none for a non-first
/// fragment (it carries no L4 header) or a malformed header length.
pub(super) fn ipv4_transport(data: &[u8], l3: usize) -> Option<Transport> {
    let ip = Ipv4Packet::new_checked(data.get(l3..)?).ok()?;
    let ihl = ip.header_len();
    if ihl < IPV4_MIN_HEADER_LEN || ip.frag_offset() != 0 {
        return None;
    }
    let total = usize::from(ip.total_len());
    let end = data.len().min(l3 + total.max(ihl));
    let offset = l3 + ihl;
    (offset <= end).then_some(Transport {
        proto: ip.protocol(),
        offset,
        end,
    })
}

/// The L4 header after the IPv6 header at `l3` and its extension headers,
/// and whether a routing header still has segments left (its final
/// destination, not the header's, is then in the L4 pseudo-header). No L4
/// header for a non-first fragment or a chain too long or cut short.
pub(super) fn ipv6_transport(data: &[u8], l3: usize) -> (Option<Transport>, bool) {
    let Some(ip) = data.get(l3..).and_then(|b| Ipv6Packet::new_checked(b).ok()) else {
        return (None, false);
    };
    let payload = usize::from(ip.payload_len());
    // A zero payload length is a jumbogram's: the frame is the bound.
    let end = if payload == 0 {
        data.len()
    } else {
        data.len().min(l3 + IPV6_HEADER_LEN + payload)
    };
    let walk = ip.walk_extension_headers();
    let transport = match walk.end {
        WalkEnd::UpperLayer { protocol, offset } => {
            let offset = l3 + offset;
            (offset <= end).then_some(Transport {
                proto: protocol,
                offset,
                end,
            })
        }
        WalkEnd::LaterFragment { .. } | WalkEnd::Failed => None,
    };
    (transport, walk.routing_segments_left)
}

/// The L4 header of protocol `proto` behind IPv4 or IPv6.
pub(super) fn transport(data: &[u8], proto: u8) -> Option<Transport> {
    let (eth_type, l3) = network(data)?;
    let found = match eth_type {
        ETH_TYPE_IPV4 => ipv4_transport(data, l3),
        ETH_TYPE_IPV6 => ipv6_transport(data, l3).0,
        _ => None,
    }?;
    (found.proto == proto).then_some(found)
}
