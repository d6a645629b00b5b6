//! Keys compared with an independent parser: frames are built with
//! etherparse and every key field must equal what etherparse reads from the
//! same bytes. The kernel's own rules (frag types, nw_proto 44 for later
//! IPv6 fragments, the 8-bit ARP opcode, duplicate ND options) are applied
//! on top of etherparse's view of the headers.
//!
//! etherparse has no SCTP and no ND option writer; those bytes are
//! hand-built (see `packets`) and SCTP ports are read back by hand here.

use super::strategies::frame;
use super::*;
use crate::flow::key::VLAN_TAG_PRESENT;
use crate::flow::FragType;
use etherparse::icmpv6::{Icmpv6PayloadSlice, NdpOptionSlice, NdpOptionsIterator};
use etherparse::{
    ArpHardwareId, ArpOperation, ArpPacket, ArpPacketSlice, EtherType, Ethernet2Header,
    Icmpv4Slice, Icmpv6Slice, IpNumber, Ipv4Header, Ipv6ExtensionSlice, Ipv6ExtensionsSlice,
    Ipv6Header, PacketBuilder, SingleVlanHeader, TcpSlice, UdpHeader, VlanId,
};
use proptest::prelude::*;

/// The key etherparse's reading of a well-formed frame implies.
fn reference(bytes: &[u8]) -> FlowKey {
    let mut k = FlowKey::default();
    k.set_in_port(IN_PORT);
    let (eth, mut rest) = Ethernet2Header::from_slice(bytes).expect("ethernet header");
    k.set_eth_dst(eth.destination);
    k.set_eth_src(eth.source);
    let mut eth_type = eth.ether_type;
    for depth in 0..2 {
        if eth_type != EtherType::VLAN_TAGGED_FRAME && eth_type != EtherType::PROVIDER_BRIDGING {
            break;
        }
        let (tag, after) = SingleVlanHeader::from_slice(rest).expect("vlan tag");
        let tci = (u16::from(tag.pcp.value()) << 13)
            | (u16::from(tag.drop_eligible_indicator) << 12)
            | tag.vlan_id.value();
        if depth == 0 {
            k.set_vlan_tpid(eth_type.0);
            k.set_vlan_tci(tci | VLAN_TAG_PRESENT);
        } else {
            k.set_cvlan_tpid(eth_type.0);
            k.set_cvlan_tci(tci | VLAN_TAG_PRESENT);
        }
        eth_type = tag.ether_type;
        rest = after;
    }
    k.set_eth_type(eth_type.0);
    match eth_type.0 {
        0x0800 => reference_ipv4(rest, &mut k),
        0x86dd => reference_ipv6(rest, &mut k),
        0x0806 | 0x8035 => reference_arp(rest, &mut k),
        _ => {}
    }
    k
}

fn reference_ipv4(rest: &[u8], k: &mut FlowKey) {
    let (h, payload) = Ipv4Header::from_slice(rest).expect("ipv4 header");
    k.set_ipv4_src(u32::from_be_bytes(h.source));
    k.set_ipv4_dst(u32::from_be_bytes(h.destination));
    k.set_nw_proto(h.protocol.0);
    k.set_nw_tos((h.dscp.value() << 2) | h.ecn.value());
    k.set_nw_ttl(h.time_to_live);
    if h.fragment_offset.value() != 0 {
        k.set_nw_frag(FragType::Later as u8);
        return;
    }
    let frag = if h.more_fragments {
        FragType::First
    } else {
        FragType::No
    };
    k.set_nw_frag(frag as u8);
    reference_transport(h.protocol, payload, false, k);
}

fn is_ipv6_extension(n: IpNumber) -> bool {
    [
        IpNumber::IPV6_HEADER_HOP_BY_HOP,
        IpNumber::IPV6_ROUTE_HEADER,
        IpNumber::IPV6_FRAGMENTATION_HEADER,
        IpNumber::AUTHENTICATION_HEADER,
        IpNumber::IPV6_DESTINATION_OPTIONS,
    ]
    .contains(&n)
}

fn reference_ipv6(rest: &[u8], k: &mut FlowKey) {
    let (h, payload) = Ipv6Header::from_slice(rest).expect("ipv6 header");
    k.set_ipv6_src(u128::from_be_bytes(h.source));
    k.set_ipv6_dst(u128::from_be_bytes(h.destination));
    k.set_ipv6_label(h.flow_label.value());
    k.set_nw_tos(h.traffic_class);
    k.set_nw_ttl(h.hop_limit);
    let (exts, proto, l4) =
        Ipv6ExtensionsSlice::from_slice(h.next_header, payload).expect("extension headers");
    let mut frag = FragType::No;
    for ext in exts {
        if let Ipv6ExtensionSlice::Fragment(f) = ext {
            frag = FragType::First;
            if f.fragment_offset().value() != 0 {
                if is_ipv6_extension(f.next_header()) {
                    // The kernel gives up on the chain here.
                    k.set_nw_frag(FragType::First as u8);
                    k.set_nw_proto(59);
                } else {
                    k.set_nw_frag(FragType::Later as u8);
                    k.set_nw_proto(44);
                }
                return;
            }
        }
    }
    k.set_nw_frag(frag as u8);
    k.set_nw_proto(proto.0);
    reference_transport(proto, l4, true, k);
}

fn reference_transport(proto: IpNumber, l4: &[u8], ipv6: bool, k: &mut FlowKey) {
    match proto {
        IpNumber::TCP => {
            let t = TcpSlice::from_slice(l4).expect("tcp header");
            k.set_tp_src(t.source_port());
            k.set_tp_dst(t.destination_port());
            let flags = [
                t.fin(),
                t.syn(),
                t.rst(),
                t.psh(),
                t.ack(),
                t.urg(),
                t.ece(),
                t.cwr(),
                t.ns(),
            ]
            .iter()
            .enumerate()
            .fold(0u16, |acc, (bit, set)| acc | (u16::from(*set) << bit));
            k.set_tcp_flags(flags);
        }
        IpNumber::UDP => {
            let (u, _) = UdpHeader::from_slice(l4).expect("udp header");
            k.set_tp_src(u.source_port);
            k.set_tp_dst(u.destination_port);
        }
        IpNumber::SCTP => {
            // etherparse has no SCTP: the ports are the first two words.
            k.set_tp_src(u16::from_be_bytes([l4[0], l4[1]]));
            k.set_tp_dst(u16::from_be_bytes([l4[2], l4[3]]));
        }
        IpNumber::ICMP if !ipv6 => {
            let icmp = Icmpv4Slice::from_slice(l4).expect("icmp header");
            k.set_tp_src(u16::from(icmp.type_u8()));
            k.set_tp_dst(u16::from(icmp.code_u8()));
        }
        IpNumber::IPV6_ICMP if ipv6 => {
            let icmp = Icmpv6Slice::from_slice(l4).expect("icmpv6 header");
            k.set_tp_src(u16::from(icmp.type_u8()));
            k.set_tp_dst(u16::from(icmp.code_u8()));
            reference_nd(&icmp, k);
        }
        _ => {}
    }
}

fn reference_nd(icmp: &Icmpv6Slice, k: &mut FlowKey) {
    if icmp.code_u8() != 0 {
        return;
    }
    let (target, options): (std::net::Ipv6Addr, NdpOptionsIterator) = match icmp.payload_slice() {
        Ok(Icmpv6PayloadSlice::NeighborSolicitation(p)) => {
            (p.target_address(), p.options_iterator())
        }
        Ok(Icmpv6PayloadSlice::NeighborAdvertisement(p)) => {
            (p.target_address(), p.options_iterator())
        }
        _ => return,
    };
    k.set_nd_target(u128::from(target));
    let mac = |addr: &[u8]| -> [u8; 6] { addr.try_into().expect("8-byte option") };
    for opt in options {
        let Ok(opt) = opt else { break };
        match opt {
            NdpOptionSlice::SourceLinkLayerAddress(o) if o.as_bytes().len() == 8 => {
                if k.arp_sha() != [0; 6] {
                    return invalidate_nd(k);
                }
                k.set_arp_sha(mac(o.link_layer_address()));
            }
            NdpOptionSlice::TargetLinkLayerAddress(o) if o.as_bytes().len() == 8 => {
                if k.arp_tha() != [0; 6] {
                    return invalidate_nd(k);
                }
                k.set_arp_tha(mac(o.link_layer_address()));
            }
            _ => {}
        }
    }
}

fn invalidate_nd(k: &mut FlowKey) {
    k.set_nd_target(0);
    k.set_arp_sha([0; 6]);
    k.set_arp_tha([0; 6]);
}

fn reference_arp(rest: &[u8], k: &mut FlowKey) {
    let arp = ArpPacketSlice::from_slice(rest).expect("arp packet");
    if arp.hw_addr_type() != ArpHardwareId::ETHERNET
        || arp.proto_addr_type() != EtherType::IPV4
        || arp.hw_addr_size() != 6
        || arp.proto_addr_size() != 4
    {
        return;
    }
    let op = arp.operation().0;
    let op = if op <= 0xff { op } else { 0 };
    k.set_nw_proto(op as u8);
    k.set_arp_op(op);
    let ip = |b: &[u8]| u32::from_be_bytes(b.try_into().expect("4 bytes"));
    let hw = |b: &[u8]| -> [u8; 6] { b.try_into().expect("6 bytes") };
    k.set_ipv4_src(ip(arp.sender_protocol_addr()));
    k.set_ipv4_dst(ip(arp.target_protocol_addr()));
    k.set_arp_sha(hw(arp.sender_hw_addr()));
    k.set_arp_tha(hw(arp.target_hw_addr()));
}

fn check(bytes: &[u8]) -> FlowKey {
    let key = key_of(bytes);
    assert_eq!(key, reference(bytes), "frame {bytes:02x?}");
    key
}

const MAC_1: [u8; 6] = [0x02, 0, 0, 0, 0, 0x11];
const MAC_2: [u8; 6] = [0x02, 0, 0, 0, 0, 0x22];

#[test]
fn builder_ipv4_tcp_syn() {
    let mut bytes = Vec::new();
    PacketBuilder::ethernet2(MAC_1, MAC_2)
        .ipv4([10, 0, 0, 1], [10, 0, 0, 2], 64)
        .tcp(40000, 443, 1, 65535)
        .syn()
        .write(&mut bytes, &[1, 2, 3])
        .expect("vec write");
    let k = check(&bytes);
    assert_eq!((k.eth_src(), k.eth_dst()), (MAC_1, MAC_2));
    assert_eq!((k.eth_type(), k.nw_proto(), k.nw_ttl()), (0x0800, 6, 64));
    assert_eq!((k.ipv4_src(), k.ipv4_dst()), (0x0a00_0001, 0x0a00_0002));
    assert_eq!((k.tp_src(), k.tp_dst(), k.tcp_flags()), (40000, 443, 0x002));
}

#[test]
fn builder_single_vlan_ipv6_udp() {
    let mut bytes = Vec::new();
    PacketBuilder::ethernet2(MAC_1, MAC_2)
        .single_vlan(VlanId::try_new(42).expect("vid"))
        .ipv6([0x20; 16], [0xfe; 16], 3)
        .udp(68, 67)
        .write(&mut bytes, &[0; 10])
        .expect("vec write");
    let k = check(&bytes);
    assert_eq!((k.vlan_tpid(), k.vlan_tci()), (0x8100, 0x1000 | 42));
    assert!(!k.has_cvlan());
    assert_eq!((k.eth_type(), k.nw_proto(), k.nw_ttl()), (0x86dd, 17, 3));
    assert_eq!((k.tp_src(), k.tp_dst()), (68, 67));
}

#[test]
fn builder_double_vlan_icmpv4() {
    let mut bytes = Vec::new();
    PacketBuilder::ethernet2(MAC_1, MAC_2)
        .double_vlan(
            VlanId::try_new(100).expect("vid"),
            VlanId::try_new(200).expect("vid"),
        )
        .ipv4([192, 0, 2, 1], [192, 0, 2, 2], 1)
        .icmpv4_echo_request(7, 1)
        .write(&mut bytes, &[0; 4])
        .expect("vec write");
    let k = check(&bytes);
    assert_eq!((k.vlan_tpid(), k.vlan_tci()), (0x88a8, 0x1000 | 100));
    assert_eq!((k.cvlan_tpid(), k.cvlan_tci()), (0x8100, 0x1000 | 200));
    assert_eq!((k.nw_proto(), k.tp_src(), k.tp_dst()), (1, 8, 0));
}

#[test]
fn builder_icmpv6_echo_reply() {
    let mut bytes = Vec::new();
    PacketBuilder::ethernet2(MAC_1, MAC_2)
        .ipv6([0x20; 16], [0xfe; 16], 64)
        .icmpv6_echo_reply(1, 2)
        .write(&mut bytes, &[])
        .expect("vec write");
    let k = check(&bytes);
    assert_eq!((k.nw_proto(), k.tp_src(), k.tp_dst()), (58, 129, 0));
    assert_eq!(k.nd_target(), 0);
}

#[test]
fn builder_arp_reply() {
    let arp = ArpPacket::new(
        ArpHardwareId::ETHERNET,
        EtherType::IPV4,
        ArpOperation::REPLY,
        &MAC_1,
        &[10, 1, 1, 1],
        &MAC_2,
        &[10, 1, 1, 2],
    )
    .expect("valid arp");
    let mut bytes = Vec::new();
    PacketBuilder::ethernet2(MAC_1, MAC_2)
        .arp(arp)
        .write(&mut bytes)
        .expect("vec write");
    let k = check(&bytes);
    assert_eq!((k.eth_type(), k.nw_proto(), k.arp_op()), (0x0806, 2, 2));
    assert_eq!((k.ipv4_src(), k.ipv4_dst()), (0x0a01_0101, 0x0a01_0102));
    assert_eq!((k.arp_sha(), k.arp_tha()), (MAC_1, MAC_2));
}

#[test]
fn builder_arp_with_other_address_sizes_is_ignored() {
    let arp = ArpPacket::new(
        ArpHardwareId::ETHERNET,
        EtherType::IPV6,
        ArpOperation::REQUEST,
        &MAC_1,
        &[0x20; 16],
        &MAC_2,
        &[0x21; 16],
    )
    .expect("valid arp");
    let mut bytes = Vec::new();
    PacketBuilder::ethernet2(MAC_1, MAC_2)
        .arp(arp)
        .write(&mut bytes)
        .expect("vec write");
    let k = check(&bytes);
    assert_eq!((k.nw_proto(), k.ipv4_src(), k.arp_sha()), (0, 0, [0; 6]));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Random well-formed frames of every supported kind: the key equals
    /// etherparse's reading, field by field.
    #[test]
    fn random_frames_match_etherparse(f in frame()) {
        let built = f.build();
        let key = key_of(&built.bytes);
        prop_assert_eq!(key, reference(&built.bytes), "{:?}", f);
    }
}
