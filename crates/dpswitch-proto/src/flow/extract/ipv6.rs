//! IPv6, its extension headers, and what it carries.

use super::bytes::{be128_at, be16_at, be32_at, fits, u8_at};
use super::{icmpv6, transport};
use crate::flow::key::{FlowKey, FragType, IPPROTO_ICMPV6, IPPROTO_SCTP, IPPROTO_TCP, IPPROTO_UDP};

const IPV6_HEADER_LEN: usize = 40;
const NEXTHDR_HOP: u8 = 0;
const NEXTHDR_ROUTING: u8 = 43;
const NEXTHDR_FRAGMENT: u8 = 44;
const NEXTHDR_AUTH: u8 = 51;
const NEXTHDR_NONE: u8 = 59;
const NEXTHDR_DEST: u8 = 60;
const FRAGMENT_HEADER_LEN: usize = 8;
/// Extension headers walked before the packet is given up on, the kernel's
/// `IP6_MAX_EXT_HDRS_CNT`.
const MAX_EXT_HEADERS: usize = 12;

/// Fills the IPv6 fields and the transport fields behind them.
///
/// A header shorter than 40 bytes leaves every L3 and L4 field zero (the
/// version nibble and payload length are not checked). Otherwise the
/// extension headers are walked the way the kernel's `ipv6_find_hdr` walks
/// them, and `nw_proto` is:
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
    let Some(hdr) = parse(packet, nh) else {
        return;
    };
    key.set_nw_tos(hdr.tclass);
    key.set_nw_ttl(hdr.hop_limit);
    key.set_ipv6_label(hdr.label);
    key.set_ipv6_src(hdr.src);
    key.set_ipv6_dst(hdr.dst);
    key.set_nw_proto(NEXTHDR_NONE);

    let walk = walk_extension_headers(packet, nh + IPV6_HEADER_LEN, hdr.next_header);
    let (proto, th) = match walk.end {
        WalkEnd::LaterFragment => {
            key.set_nw_frag(FragType::Later as u8);
            key.set_nw_proto(NEXTHDR_FRAGMENT);
            return;
        }
        WalkEnd::Failed => {
            key.set_nw_frag(frag_type(walk.saw_fragment) as u8);
            return;
        }
        WalkEnd::Protocol { proto, offset } => (proto, offset),
    };
    key.set_nw_frag(frag_type(walk.saw_fragment) as u8);
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

struct Ipv6Header {
    tclass: u8,
    label: u32,
    next_header: u8,
    hop_limit: u8,
    src: u128,
    dst: u128,
}

fn parse(packet: &[u8], nh: usize) -> Option<Ipv6Header> {
    if !fits(packet, nh, IPV6_HEADER_LEN) {
        return None;
    }
    let first_word = be32_at(packet, nh)?;
    Some(Ipv6Header {
        tclass: (first_word >> 20) as u8,
        label: first_word & 0x000f_ffff,
        next_header: u8_at(packet, nh + 6)?,
        hop_limit: u8_at(packet, nh + 7)?,
        src: be128_at(packet, nh + 8)?,
        dst: be128_at(packet, nh + 24)?,
    })
}

enum WalkEnd {
    /// The upper-layer protocol (or 59) and the offset of its header.
    Protocol {
        proto: u8,
        offset: usize,
    },
    LaterFragment,
    Failed,
}

struct Walk {
    end: WalkEnd,
    saw_fragment: bool,
}

fn is_extension_header(next_header: u8) -> bool {
    matches!(
        next_header,
        NEXTHDR_HOP | NEXTHDR_ROUTING | NEXTHDR_FRAGMENT | NEXTHDR_AUTH | NEXTHDR_DEST
    )
}

/// Skips hop-by-hop, routing, destination options, fragment (at offset 0)
/// and authentication headers, in any order, starting at `offset`.
fn walk_extension_headers(packet: &[u8], mut offset: usize, mut next_header: u8) -> Walk {
    let mut saw_fragment = false;
    let failed = |saw_fragment| Walk {
        end: WalkEnd::Failed,
        saw_fragment,
    };
    let mut walked = 0;
    loop {
        if !is_extension_header(next_header) {
            return Walk {
                end: WalkEnd::Protocol {
                    proto: next_header,
                    offset,
                },
                saw_fragment,
            };
        }
        if walked == MAX_EXT_HEADERS {
            return failed(saw_fragment);
        }
        walked += 1;
        // Every extension header starts with (next header, length).
        let (Some(following), Some(len_field)) = (u8_at(packet, offset), u8_at(packet, offset + 1))
        else {
            return failed(saw_fragment);
        };
        let header_len = match next_header {
            NEXTHDR_FRAGMENT => {
                saw_fragment = true;
                let Some(offset_word) = be16_at(packet, offset + 2) else {
                    return failed(saw_fragment);
                };
                if offset_word & !0x7 != 0 {
                    // A later fragment: what follows is the middle of the
                    // payload, only named by the fragment header.
                    if is_extension_header(following) {
                        return failed(saw_fragment);
                    }
                    return Walk {
                        end: WalkEnd::LaterFragment,
                        saw_fragment,
                    };
                }
                FRAGMENT_HEADER_LEN
            }
            NEXTHDR_AUTH => (usize::from(len_field) + 2) * 4,
            NEXTHDR_ROUTING => {
                // The kernel reads the fixed routing header (4 bytes)
                // before its length is checked.
                if !fits(packet, offset, 4) {
                    return failed(saw_fragment);
                }
                (usize::from(len_field) + 1) * 8
            }
            _ => (usize::from(len_field) + 1) * 8,
        };
        if !fits(packet, offset, header_len) {
            return failed(saw_fragment);
        }
        next_header = following;
        offset += header_len;
    }
}
