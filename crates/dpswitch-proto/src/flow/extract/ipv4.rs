//! IPv4 and what it carries.

use super::{tail, transport};
use crate::flow::headers::{Ipv4Packet, IPPROTO_ICMP, IPPROTO_SCTP, IPPROTO_TCP, IPPROTO_UDP};
use crate::flow::key::{FlowKey, FragType};

/// Fills the IPv4 fields and the transport fields behind them.
///
/// As in the kernel: a header shorter than 20 bytes, an IHL below 5 or an
/// IHL that runs past the end of the frame leave every L3 and L4 field zero
/// (the key then says only "IPv4"); the version nibble, total length and
/// checksum are not checked; options are skipped, not parsed. A fragment
/// with a nonzero offset is `FragType::Later` and carries no L4 fields; one
/// at offset 0 with more-fragments set is `FragType::First` and does.
pub(super) fn extract(packet: &[u8], nh: usize, key: &mut FlowKey) {
    let Some((ip, header_len)) = parse(packet, nh) else {
        return;
    };
    key.set_nw_tos(ip.tos());
    key.set_nw_ttl(ip.ttl());
    key.set_nw_proto(ip.protocol());
    key.set_ipv4_src(ip.src());
    key.set_ipv4_dst(ip.dst());

    let Some(th) = fragment(&ip, nh + header_len, key) else {
        return;
    };
    match ip.protocol() {
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
    let Some((ip, header_len)) = parse(packet, nh) else {
        return;
    };
    if let Some(th) = fragment(&ip, nh + header_len, key) {
        if ip.protocol() == IPPROTO_TCP {
            transport::tcp(packet, th, key);
        }
    }
}

/// Sets the fragment state; returns `th`, where the transport header
/// starts, unless this is a later fragment, which carries none.
#[inline(always)]
fn fragment(ip: &Ipv4Packet<&[u8]>, th: usize, key: &mut FlowKey) -> Option<usize> {
    if ip.frag_offset() != 0 {
        key.set_nw_frag(FragType::Later as u8);
        return None;
    }
    let frag = if ip.more_fragments() {
        FragType::First
    } else {
        FragType::No
    };
    key.set_nw_frag(frag as u8);
    Some(th)
}

/// The header and its length, when the IHL is sound.
#[inline(always)]
fn parse(packet: &[u8], nh: usize) -> Option<(Ipv4Packet<&[u8]>, usize)> {
    let ip = Ipv4Packet::new_checked(tail(packet, nh)).ok()?;
    let header_len = ip.checked_header_len().ok()?;
    Some((ip, header_len))
}
