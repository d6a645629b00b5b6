//! IPv4 and what it carries.

use super::bytes::{be16_at, be32_at, fits, u8_at};
use super::transport;
use crate::flow::key::{FlowKey, FragType, IPPROTO_ICMP, IPPROTO_SCTP, IPPROTO_TCP, IPPROTO_UDP};

const IPV4_MIN_LEN: usize = 20;
const IP_MORE_FRAGMENTS: u16 = 0x2000;
const IP_FRAG_OFFSET_MASK: u16 = 0x1fff;

/// Fills the IPv4 fields and the transport fields behind them.
///
/// As in the kernel: a header shorter than 20 bytes, an IHL below 5 or an
/// IHL that runs past the end of the frame leave every L3 and L4 field zero
/// (the key then says only "IPv4"); the version nibble, total length and
/// checksum are not checked; options are skipped, not parsed. A fragment
/// with a nonzero offset is `FragType::Later` and carries no L4 fields; one
/// at offset 0 with more-fragments set is `FragType::First` and does.
pub(super) fn extract(packet: &[u8], nh: usize, key: &mut FlowKey) {
    let Some(hdr) = parse(packet, nh) else {
        return;
    };
    key.set_nw_tos(hdr.tos);
    key.set_nw_ttl(hdr.ttl);
    key.set_nw_proto(hdr.proto);
    key.set_ipv4_src(hdr.src);
    key.set_ipv4_dst(hdr.dst);

    let Some(th) = fragment(&hdr, nh, key) else {
        return;
    };
    match hdr.proto {
        IPPROTO_TCP => transport::tcp(packet, th, key),
        IPPROTO_UDP => transport::udp(packet, th, key),
        IPPROTO_SCTP => transport::sctp(packet, th, key),
        IPPROTO_ICMP => {
            transport::icmp(packet, th, key);
        }
        _ => {}
    }
}

/// Only the fragment state and, for TCP, the transport fields, as
/// `extract` sets them (for a key that needs no more).
pub(super) fn extract_fragment_and_tcp(packet: &[u8], nh: usize, key: &mut FlowKey) {
    let Some(hdr) = parse(packet, nh) else {
        return;
    };
    if let Some(th) = fragment(&hdr, nh, key) {
        if hdr.proto == IPPROTO_TCP {
            transport::tcp(packet, th, key);
        }
    }
}

/// Sets the fragment state; returns where the transport header starts
/// unless this is a later fragment, which carries none.
fn fragment(hdr: &Ipv4Header, nh: usize, key: &mut FlowKey) -> Option<usize> {
    if hdr.frag_word & IP_FRAG_OFFSET_MASK != 0 {
        key.set_nw_frag(FragType::Later as u8);
        return None;
    }
    let frag = if hdr.frag_word & IP_MORE_FRAGMENTS != 0 {
        FragType::First
    } else {
        FragType::No
    };
    key.set_nw_frag(frag as u8);
    Some(nh + hdr.header_len)
}

struct Ipv4Header {
    header_len: usize,
    tos: u8,
    frag_word: u16,
    ttl: u8,
    proto: u8,
    src: u32,
    dst: u32,
}

fn parse(packet: &[u8], nh: usize) -> Option<Ipv4Header> {
    if !fits(packet, nh, IPV4_MIN_LEN) {
        return None;
    }
    let header_len = usize::from(u8_at(packet, nh)? & 0x0f) * 4;
    if header_len < IPV4_MIN_LEN || !fits(packet, nh, header_len) {
        return None;
    }
    Some(Ipv4Header {
        header_len,
        tos: u8_at(packet, nh + 1)?,
        frag_word: be16_at(packet, nh + 6)?,
        ttl: u8_at(packet, nh + 8)?,
        proto: u8_at(packet, nh + 9)?,
        src: be32_at(packet, nh + 12)?,
        dst: be32_at(packet, nh + 16)?,
    })
}
