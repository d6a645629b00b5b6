//! IPv6, its extension headers, and what it carries.

use super::{icmpv6, tail, transport};
use crate::flow::headers::{
    Ipv6Packet, WalkEnd, IPPROTO_FRAGMENT, IPPROTO_ICMPV6, IPPROTO_NONE, IPPROTO_SCTP, IPPROTO_TCP,
    IPPROTO_UDP,
};
use crate::flow::key::{FlowKey, FragType};

/// Fills the IPv6 fields and the transport fields behind them.
///
/// A header shorter than 40 bytes leaves every L3 and L4 field zero (the
/// version nibble and payload length are not checked). Otherwise the
/// extension headers are walked the way the kernel's `ipv6_find_hdr` walks
/// them (`walk_extension_headers`), and `nw_proto` is:
/// - the first protocol that is not an extension header (ESP counts as a
///   protocol) or 59 (no next header), with L4 fields parsed behind it;
/// - 44 for a later fragment (nonzero fragment offset), no L4 fields;
/// - 59 when the walk failed: an extension header cut off by the end of the
///   frame, more than 12 extension headers, or a later fragment whose next
///   header is another extension header. No L4 fields then.
///
/// `nw_frag` is `Later` as above, else `First` when a fragment header was
/// reached (offset 0, whether or not more fragments follow; also when the
/// walk failed at or after it), else `No`.
pub(super) fn extract(packet: &[u8], nh: usize, key: &mut FlowKey) {
    let Ok(ip) = Ipv6Packet::new_checked(tail(packet, nh)) else {
        return;
    };
    key.set_nw_tos(ip.traffic_class());
    key.set_nw_ttl(ip.hop_limit());
    key.set_ipv6_label(ip.flow_label());
    key.set_ipv6_src(ip.src());
    key.set_ipv6_dst(ip.dst());
    key.set_nw_proto(IPPROTO_NONE);

    let walk = ip.walk_extension_headers();
    let (proto, th) = match walk.end {
        WalkEnd::LaterFragment { .. } => {
            key.set_nw_frag(FragType::Later as u8);
            key.set_nw_proto(IPPROTO_FRAGMENT);
            return;
        }
        WalkEnd::Failed => {
            key.set_nw_frag(frag_type(walk.fragment) as u8);
            return;
        }
        WalkEnd::UpperLayer { protocol, offset } => (protocol, nh + offset),
    };
    key.set_nw_frag(frag_type(walk.fragment) as u8);
    key.set_nw_proto(proto);
    match proto {
        IPPROTO_TCP => transport::tcp(packet, th, key),
        IPPROTO_UDP => transport::udp(packet, th, key),
        IPPROTO_SCTP => transport::sctp(packet, th, key),
        IPPROTO_ICMPV6 => icmpv6::extract(packet, th, key),
        _ => {}
    }
}

fn frag_type(saw_fragment: bool) -> FragType {
    if saw_fragment {
        FragType::First
    } else {
        FragType::No
    }
}
