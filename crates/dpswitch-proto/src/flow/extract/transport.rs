//! Transport headers shared by IPv4 and IPv6: TCP, UDP, SCTP, and the
//! type/code pair of ICMP and ICMPv6.
//!
//! Each parser sets its fields only when its whole header is in the packet;
//! otherwise `tp_src`, `tp_dst` and `tcp_flags` stay zero, as in the kernel.
//! "In the packet" means in the frame as received: like the kernel, the IP
//! total/payload length is not used to cut the frame short.

use super::tail;
use crate::flow::headers::{IcmpHeader, SctpHeader, TcpHeader, UdpHeader};
use crate::flow::key::FlowKey;

/// Ports and flags, only when the header including its options (data
/// offset) is present and the data offset is at least 5 words.
pub(super) fn tcp(packet: &[u8], th: usize, key: &mut FlowKey) {
    let Ok(tcp) = TcpHeader::new_checked(tail(packet, th)) else {
        return;
    };
    if tcp.checked_header_len().is_err() {
        return;
    }
    key.set_tp_src(tcp.src_port());
    key.set_tp_dst(tcp.dst_port());
    key.set_tcp_flags(tcp.flags());
}

pub(super) fn udp(packet: &[u8], th: usize, key: &mut FlowKey) {
    if let Ok(udp) = UdpHeader::new_checked(tail(packet, th)) {
        key.set_tp_src(udp.src_port());
        key.set_tp_dst(udp.dst_port());
    }
}

pub(super) fn sctp(packet: &[u8], th: usize, key: &mut FlowKey) {
    if let Ok(sctp) = SctpHeader::new_checked(tail(packet, th)) {
        key.set_tp_src(sctp.src_port());
        key.set_tp_dst(sctp.dst_port());
    }
}

/// ICMP (and ICMPv6) type in `tp_src`, code in `tp_dst`. Returns the
/// header when its 8 bytes were there.
pub(super) fn icmp<'a>(
    packet: &'a [u8],
    th: usize,
    key: &mut FlowKey,
) -> Option<IcmpHeader<&'a [u8]>> {
    let icmp = IcmpHeader::new_checked(tail(packet, th)).ok()?;
    key.set_tp_src(u16::from(icmp.msg_type()));
    key.set_tp_dst(u16::from(icmp.code()));
    Some(icmp)
}
