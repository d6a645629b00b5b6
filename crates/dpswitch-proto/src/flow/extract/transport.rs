//! Transport headers shared by IPv4 and IPv6: TCP, UDP, SCTP, and the
//! type/code pair of ICMP and ICMPv6.
//!
//! Each parser sets its fields only when its whole header is in the packet;
//! otherwise `tp_src`, `tp_dst` and `tcp_flags` stay zero, as in the kernel.
//! "In the packet" means in the frame as received: like the kernel, the IP
//! total/payload length is not used to cut the frame short.

use super::bytes::{be16_at, fits, u8_at};
use crate::flow::key::FlowKey;

const TCP_MIN_LEN: usize = 20;
const UDP_LEN: usize = 8;
const SCTP_COMMON_LEN: usize = 12;
/// `struct icmphdr` and `struct icmp6hdr` are both 8 bytes: type, code,
/// checksum and 4 bytes of message-specific data.
pub(super) const ICMP_HEADER_LEN: usize = 8;

/// Ports and flags, only when the header including its options (data
/// offset) is present and the data offset is at least 5 words.
pub(super) fn tcp(packet: &[u8], th: usize, key: &mut FlowKey) {
    let Some((src, dst, offset_flags)) = tcp_fields(packet, th) else {
        return;
    };
    key.set_tp_src(src);
    key.set_tp_dst(dst);
    key.set_tcp_flags(offset_flags & 0x0fff);
}

fn tcp_fields(packet: &[u8], th: usize) -> Option<(u16, u16, u16)> {
    if !fits(packet, th, TCP_MIN_LEN) {
        return None;
    }
    let offset_flags = be16_at(packet, th + 12)?;
    let header_len = usize::from(offset_flags >> 12) * 4;
    if header_len < TCP_MIN_LEN || !fits(packet, th, header_len) {
        return None;
    }
    Some((be16_at(packet, th)?, be16_at(packet, th + 2)?, offset_flags))
}

pub(super) fn udp(packet: &[u8], th: usize, key: &mut FlowKey) {
    ports(packet, th, UDP_LEN, key);
}

pub(super) fn sctp(packet: &[u8], th: usize, key: &mut FlowKey) {
    ports(packet, th, SCTP_COMMON_LEN, key);
}

fn ports(packet: &[u8], th: usize, header_len: usize, key: &mut FlowKey) {
    if !fits(packet, th, header_len) {
        return;
    }
    let (Some(src), Some(dst)) = (be16_at(packet, th), be16_at(packet, th + 2)) else {
        return;
    };
    key.set_tp_src(src);
    key.set_tp_dst(dst);
}

/// ICMP (and ICMPv6) type in `tp_src`, code in `tp_dst`. Returns whether
/// the 8-byte header was there.
pub(super) fn icmp(packet: &[u8], th: usize, key: &mut FlowKey) -> bool {
    if !fits(packet, th, ICMP_HEADER_LEN) {
        return false;
    }
    let (Some(icmp_type), Some(code)) = (u8_at(packet, th), u8_at(packet, th + 1)) else {
        return false;
    };
    key.set_tp_src(u16::from(icmp_type));
    key.set_tp_dst(u16::from(code));
    true
}
