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
use super::checksum::sctp_crc;
use super::layout::{self, ipv4_transport, ipv6_transport, Transport};
use crate::flow::headers::{
    replace16_in_checksum, replace_in_checksum, EthernetFrame, IcmpHeader, Ipv4Packet, Ipv6Packet,
    SctpHeader, TcpHeader, UdpHeader, IPPROTO_ICMPV6, IPPROTO_SCTP, IPPROTO_TCP, IPPROTO_UDP,
};
use crate::flow::odp::{EthernetKey, Ipv4Key, Ipv6Key, KeyAttr, PortsKey};

const FLOW_LABEL_MASK: u32 = 0x000f_ffff;

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

fn set_ethernet(data: &mut [u8], value: &EthernetKey, mask: &EthernetKey) {
    let Ok(mut eth) = EthernetFrame::new_checked(data) else {
        return;
    };
    let (mut dst, mut src) = (eth.dst(), eth.src());
    for i in 0..6 {
        dst[i] = masked8(dst[i], value.dst[i], mask.dst[i]);
        src[i] = masked8(src[i], value.src[i], mask.src[i]);
    }
    eth.set_dst(dst);
    eth.set_src(src);
}

/// The checksum a UDP header should carry after `old` -> `new` in what it
/// covers: a zero checksum means "none" and stays zero, and a computed
/// zero is sent as 0xffff.
fn udp_checksum(check: u16, old: &[u8], new: &[u8]) -> u16 {
    if check == 0 {
        return 0;
    }
    match replace_in_checksum(check, old, new) {
        0 => 0xffff,
        check => check,
    }
}

/// Fixes the L4 checksum whose pseudo-header held `old` (an address), if
/// the L4 header is there whole, as the kernel requires before touching
/// it. SCTP and ICMP have no pseudo-header.
fn adjust_pseudo_header(
    data: &mut [u8],
    l4: Option<Transport>,
    ipv6: bool,
    old: &[u8],
    new: &[u8],
) {
    let Some((proto, bytes)) = l4.and_then(|l4| Some((l4.proto, l4.bytes_mut(data)?))) else {
        return;
    };
    match proto {
        IPPROTO_TCP => {
            if let Ok(mut tcp) = TcpHeader::new_checked(bytes) {
                tcp.set_checksum(replace_in_checksum(tcp.checksum(), old, new));
            }
        }
        IPPROTO_UDP => {
            if let Ok(mut udp) = UdpHeader::new_checked(bytes) {
                udp.set_checksum(udp_checksum(udp.checksum(), old, new));
            }
        }
        IPPROTO_ICMPV6 if ipv6 => {
            if let Ok(mut icmp) = IcmpHeader::new_checked(bytes) {
                icmp.set_checksum(replace_in_checksum(icmp.checksum(), old, new));
            }
        }
        _ => {}
    }
}

fn ipv4_at(data: &mut [u8], l3: usize) -> Option<Ipv4Packet<&mut [u8]>> {
    Ipv4Packet::new_checked(data.get_mut(l3..)?).ok()
}

fn set_ipv4(data: &mut [u8], value: &Ipv4Key, mask: &Ipv4Key) {
    let Some(l3) = layout::ipv4(data) else {
        return;
    };
    let Some(ip) = ipv4_at(data, l3) else {
        return;
    };
    let (old_src, old_dst) = (ip.src(), ip.dst());
    let src = masked32(old_src, value.src, mask.src);
    let dst = masked32(old_dst, value.dst, mask.dst);
    let addresses = [(old_src, src), (old_dst, dst)];
    if src != old_src || dst != old_dst {
        let l4 = ipv4_transport(data, l3);
        for (old, new) in addresses {
            if new != old {
                adjust_pseudo_header(data, l4, false, &old.to_be_bytes(), &new.to_be_bytes());
            }
        }
    }
    let Some(mut ip) = ipv4_at(data, l3) else {
        return;
    };
    let mut check = ip.checksum();
    for (old, new) in addresses {
        if new != old {
            check = replace_in_checksum(check, &old.to_be_bytes(), &new.to_be_bytes());
        }
    }
    ip.set_src(src);
    ip.set_dst(dst);
    // TOS shares a checksum word with version/IHL, TTL with the protocol.
    let ver_ihl = (ip.version() << 4) | (ip.header_len() / 4) as u8;
    let tos = masked8(ip.tos(), value.tos, mask.tos);
    if tos != ip.tos() {
        let old_word = u16::from_be_bytes([ver_ihl, ip.tos()]);
        check = replace16_in_checksum(check, old_word, u16::from_be_bytes([ver_ihl, tos]));
        ip.set_tos(tos);
    }
    let ttl = masked8(ip.ttl(), value.ttl, mask.ttl);
    if ttl != ip.ttl() {
        let old_word = u16::from_be_bytes([ip.ttl(), ip.protocol()]);
        check = replace16_in_checksum(check, old_word, u16::from_be_bytes([ttl, ip.protocol()]));
        ip.set_ttl(ttl);
    }
    ip.set_checksum(check);
}

fn ipv6_at(data: &mut [u8], l3: usize) -> Option<Ipv6Packet<&mut [u8]>> {
    Ipv6Packet::new_checked(data.get_mut(l3..)?).ok()
}

fn set_ipv6(data: &mut [u8], value: &Ipv6Key, mask: &Ipv6Key) {
    let Some(l3) = layout::ipv6(data) else {
        return;
    };
    let (l4, routing_pending) = ipv6_transport(data, l3);
    for (is_dst, value, mask) in [(false, value.src, mask.src), (true, value.dst, mask.dst)] {
        let Some(ip) = ipv6_at(data, l3) else {
            return;
        };
        let old = if is_dst { ip.dst() } else { ip.src() };
        let new = masked128(old, value, mask);
        if new != old {
            if !(is_dst && routing_pending) {
                adjust_pseudo_header(data, l4, true, &old.to_be_bytes(), &new.to_be_bytes());
            }
            let Some(mut ip) = ipv6_at(data, l3) else {
                return;
            };
            if is_dst {
                ip.set_dst(new);
            } else {
                ip.set_src(new);
            }
        }
    }
    let Some(mut ip) = ipv6_at(data, l3) else {
        return;
    };
    // Traffic class, flow label and hop limit: no checksum covers them.
    let tclass = masked8(ip.traffic_class(), value.tclass, mask.tclass);
    let label = masked32(ip.flow_label(), value.label, mask.label & FLOW_LABEL_MASK);
    let hop_limit = masked8(ip.hop_limit(), value.hlimit, mask.hlimit);
    ip.set_traffic_class(tclass);
    ip.set_flow_label(label);
    ip.set_hop_limit(hop_limit);
}

/// `(old, new)` for the source and destination ports.
fn new_ports(old: (u16, u16), value: &PortsKey, mask: &PortsKey) -> [(u16, u16); 2] {
    [
        (old.0, masked16(old.0, value.src, mask.src)),
        (old.1, masked16(old.1, value.dst, mask.dst)),
    ]
}

fn set_tcp(data: &mut [u8], value: &PortsKey, mask: &PortsKey) {
    let Some(bytes) = layout::transport(data, IPPROTO_TCP).and_then(|l4| l4.bytes_mut(data)) else {
        return;
    };
    let Ok(mut tcp) = TcpHeader::new_checked(bytes) else {
        return;
    };
    let [src, dst] = new_ports((tcp.src_port(), tcp.dst_port()), value, mask);
    if src.1 != src.0 {
        let check = replace16_in_checksum(tcp.checksum(), src.0, src.1);
        tcp.set_checksum(check);
        tcp.set_src_port(src.1);
    }
    if dst.1 != dst.0 {
        let check = replace16_in_checksum(tcp.checksum(), dst.0, dst.1);
        tcp.set_checksum(check);
        tcp.set_dst_port(dst.1);
    }
}

fn set_udp(data: &mut [u8], value: &PortsKey, mask: &PortsKey) {
    let Some(bytes) = layout::transport(data, IPPROTO_UDP).and_then(|l4| l4.bytes_mut(data)) else {
        return;
    };
    let Ok(mut udp) = UdpHeader::new_checked(bytes) else {
        return;
    };
    let [src, dst] = new_ports((udp.src_port(), udp.dst_port()), value, mask);
    if src.1 != src.0 {
        let check = udp_checksum(udp.checksum(), &src.0.to_be_bytes(), &src.1.to_be_bytes());
        udp.set_checksum(check);
        udp.set_src_port(src.1);
    }
    if dst.1 != dst.0 {
        let check = udp_checksum(udp.checksum(), &dst.0.to_be_bytes(), &dst.1.to_be_bytes());
        udp.set_checksum(check);
        udp.set_dst_port(dst.1);
    }
}

/// The stored checksum is carried through: an incorrect one stays
/// incorrect by the same difference.
fn set_sctp(data: &mut [u8], value: &PortsKey, mask: &PortsKey) {
    let Some(sctp) = layout::transport(data, IPPROTO_SCTP).and_then(|l4| l4.bytes_mut(data)) else {
        return;
    };
    let Ok(header) = SctpHeader::new_checked(&*sctp) else {
        return;
    };
    let [(old_src, src), (old_dst, dst)] =
        new_ports((header.src_port(), header.dst_port()), value, mask);
    if src == old_src && dst == old_dst {
        return;
    }
    let stored = header.checksum();
    let old_correct = sctp_crc(sctp);
    let Ok(mut header) = SctpHeader::new_checked(&mut *sctp) else {
        return;
    };
    header.set_src_port(src);
    header.set_dst_port(dst);
    let new_correct = sctp_crc(sctp);
    if let Ok(mut header) = SctpHeader::new_checked(sctp) {
        header.set_checksum(stored ^ old_correct ^ new_correct);
    }
}
