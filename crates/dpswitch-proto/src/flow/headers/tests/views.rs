//! What the setters write, the getters read back, at the offsets of the
//! wire format.

use crate::flow::headers::*;

#[test]
fn ethernet_round_trips() {
    let mut b = [0u8; 14];
    let mut eth = EthernetFrame::new_checked(&mut b[..]).unwrap();
    eth.set_dst([1, 2, 3, 4, 5, 6]);
    eth.set_src([7, 8, 9, 10, 11, 12]);
    eth.set_ethertype(ETH_TYPE_IPV6);
    assert_eq!(
        (eth.dst(), eth.src(), eth.ethertype()),
        ([1, 2, 3, 4, 5, 6], [7, 8, 9, 10, 11, 12], ETH_TYPE_IPV6)
    );
    assert_eq!(b, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 0x86, 0xdd]);

    let mut t = [0u8; 4];
    let mut tag = VlanHeader::new_checked(&mut t[..]).unwrap();
    tag.set_tci(0xe00a);
    tag.set_ethertype(ETH_TYPE_ARP);
    assert_eq!((tag.tci(), tag.ethertype()), (0xe00a, ETH_TYPE_ARP));
    assert_eq!(t, [0xe0, 0x0a, 0x08, 0x06]);
}

#[test]
fn llc_snap_carries_an_ethertype_only_in_its_ethernet_form() {
    let snap = [0xaa, 0xaa, 0x03, 0, 0, 0, 0x08, 0x00];
    let llc = LlcSnapHeader::new_checked(&snap[..]).unwrap();
    assert_eq!(llc.snap_ethertype(), Some(ETH_TYPE_IPV4));
    for (i, v) in [(0, 0x42), (1, 0x42), (3, 1), (5, 1), (6, 0x05)] {
        let mut other = snap;
        other[i] = v;
        let llc = LlcSnapHeader::new_checked(&other[..]).unwrap();
        assert_eq!(llc.snap_ethertype(), None, "byte {i} = {v:#x}");
    }
}

#[test]
fn arp_round_trips() {
    let mut b = [0u8; 28];
    let mut arp = ArpPacket::new_checked(&mut b[..]).unwrap();
    assert!(!arp.is_ethernet_ipv4());
    arp.set_ethernet_ipv4();
    arp.set_operation(2);
    arp.set_sender_hw_addr([1; 6]);
    arp.set_sender_ip(0x0a00_0001);
    arp.set_target_hw_addr([2; 6]);
    arp.set_target_ip(0x0a00_0002);
    assert!(arp.is_ethernet_ipv4());
    assert_eq!(
        (
            arp.operation(),
            arp.sender_hw_addr(),
            arp.sender_ip(),
            arp.target_hw_addr(),
            arp.target_ip()
        ),
        (2, [1; 6], 0x0a00_0001, [2; 6], 0x0a00_0002)
    );
    assert_eq!(&b[..8], &[0, 1, 8, 0, 6, 4, 0, 2]);
    assert_eq!(&b[24..], &[10, 0, 0, 2]);
}

#[test]
fn ipv4_round_trips() {
    let mut b = [0u8; 20];
    let mut ip = Ipv4Packet::new_checked(&mut b[..]).unwrap();
    ip.set_version_and_header_len(4, 20);
    ip.set_tos(0xb8);
    ip.set_total_len(1500);
    ip.set_ident(0xbeef);
    ip.set_fragment(true, true, 0x1abc);
    ip.set_ttl(17);
    ip.set_protocol(IPPROTO_TCP);
    ip.set_src(0xc0a8_0001);
    ip.set_dst(0xc0a8_00c7);
    ip.set_checksum(0x1234);
    assert_eq!(
        (
            ip.version(),
            ip.header_len(),
            ip.tos(),
            ip.total_len(),
            ip.ident()
        ),
        (4, 20, 0xb8, 1500, 0xbeef)
    );
    assert!(ip.dont_fragment() && ip.more_fragments());
    assert_eq!(ip.frag_offset(), 0x1abc);
    assert_eq!(
        (ip.ttl(), ip.protocol(), ip.src(), ip.dst(), ip.checksum()),
        (17, IPPROTO_TCP, 0xc0a8_0001, 0xc0a8_00c7, 0x1234)
    );
    ip.set_fragment(false, false, 0);
    assert!(!ip.dont_fragment() && !ip.more_fragments() && ip.frag_offset() == 0);
    assert_eq!(&b[..4], &[0x45, 0xb8, 0x05, 0xdc]);
    assert_eq!(&b[8..12], &[17, 6, 0x12, 0x34]);
}

#[test]
fn ipv6_round_trips_and_keeps_its_first_word_fields_apart() {
    let mut b = [0u8; 40];
    let mut ip = Ipv6Packet::new_checked(&mut b[..]).unwrap();
    ip.set_version(6);
    ip.set_traffic_class(0xab);
    ip.set_flow_label(0xfff1_2345);
    ip.set_payload_len(8);
    ip.set_next_header(IPPROTO_UDP);
    ip.set_hop_limit(255);
    ip.set_src(1);
    ip.set_dst(u128::MAX - 1);
    assert_eq!(
        (ip.version(), ip.traffic_class(), ip.flow_label()),
        (6, 0xab, 0x1_2345)
    );
    assert_eq!(
        (
            ip.payload_len(),
            ip.next_header(),
            ip.hop_limit(),
            ip.src(),
            ip.dst()
        ),
        (8, IPPROTO_UDP, 255, 1, u128::MAX - 1)
    );
    ip.set_traffic_class(0);
    assert_eq!((ip.version(), ip.flow_label()), (6, 0x1_2345));
    assert_eq!(&b[..8], &[0x60, 0x01, 0x23, 0x45, 0, 8, 17, 255]);
}

#[test]
fn extension_headers_round_trip() {
    let mut b = [0u8; 8];
    let mut ext = Ipv6ExtHeader::new_checked(&mut b[..]).unwrap();
    ext.set_next_header(IPPROTO_TCP);
    ext.set_len_field(3);
    assert_eq!((ext.next_header(), ext.len_field()), (IPPROTO_TCP, 3));
    assert_eq!(ext.header_len(IPPROTO_DSTOPTS), 32);
    assert_eq!(ext.header_len(IPPROTO_AH), 20);
    assert_eq!(ext.header_len(IPPROTO_FRAGMENT), 8);

    let mut rt = Ipv6RoutingHeader::new_checked(&mut b[..]).unwrap();
    rt.set_routing_type(4);
    rt.set_segments_left(2);
    assert_eq!((rt.routing_type(), rt.segments_left()), (4, 2));

    let mut frag = Ipv6FragmentHeader::new_checked(&mut b[..]).unwrap();
    frag.set_fragment(0x1fff, true);
    frag.set_ident(0xdead_beef);
    assert_eq!(
        (frag.frag_offset(), frag.more_fragments(), frag.ident()),
        (0x1fff, true, 0xdead_beef)
    );
    assert_eq!(frag.next_header(), IPPROTO_TCP);
    assert_eq!(&b[2..], &[0xff, 0xf9, 0xde, 0xad, 0xbe, 0xef]);
}

#[test]
fn transport_headers_round_trip() {
    let mut b = [0u8; 20];
    let mut tcp = TcpHeader::new_checked(&mut b[..]).unwrap();
    tcp.set_src_port(1234);
    tcp.set_dst_port(80);
    tcp.set_header_len_and_flags(20, 0x0912);
    tcp.set_checksum(0xabcd);
    assert_eq!(
        (
            tcp.src_port(),
            tcp.dst_port(),
            tcp.header_len(),
            tcp.flags(),
            tcp.checksum()
        ),
        (1234, 80, 20, 0x0912, 0xabcd)
    );
    assert_eq!(&b[12..18], &[0x59, 0x12, 0, 0, 0xab, 0xcd]);

    let mut b = [0u8; 8];
    let mut udp = UdpHeader::new_checked(&mut b[..]).unwrap();
    udp.set_src_port(53);
    udp.set_dst_port(5353);
    udp.set_datagram_len(8);
    udp.set_checksum(0xffff);
    assert_eq!(
        (
            udp.src_port(),
            udp.dst_port(),
            udp.datagram_len(),
            udp.checksum()
        ),
        (53, 5353, 8, 0xffff)
    );
    assert_eq!(b, [0, 53, 0x14, 0xe9, 0, 8, 0xff, 0xff]);

    let mut b = [0u8; 12];
    let mut sctp = SctpHeader::new_checked(&mut b[..]).unwrap();
    sctp.set_src_port(1);
    sctp.set_dst_port(2);
    sctp.set_checksum(0x0102_0304);
    assert_eq!(
        (sctp.src_port(), sctp.dst_port(), sctp.checksum()),
        (1, 2, 0x0102_0304)
    );
    assert_eq!(&b[8..], &[1, 2, 3, 4]);
}

#[test]
fn icmp_and_nd_round_trip() {
    let mut b = [0u8; ND_MESSAGE_LEN + 8];
    let mut icmp = IcmpHeader::new_checked(&mut b[..]).unwrap();
    icmp.set_msg_type(ICMPV6_NEIGHBOR_ADVERTISEMENT);
    icmp.set_code(0);
    icmp.set_checksum(0x5555);
    assert_eq!(
        (icmp.msg_type(), icmp.code(), icmp.checksum()),
        (ICMPV6_NEIGHBOR_ADVERTISEMENT, 0, 0x5555)
    );
    let mut nd = NdMessage::new_checked(&mut b[..]).unwrap();
    nd.set_target(0xfe80 << 112 | 9);
    assert_eq!(nd.target(), 0xfe80 << 112 | 9);
    let mut opt = NdOption::new_checked(&mut b[ND_MESSAGE_LEN..]).unwrap();
    opt.set_ll_addr_option(ND_OPT_TARGET_LL_ADDR, 1, [1, 2, 3, 4, 5, 6]);
    assert_eq!(
        (opt.option_type(), opt.option_len(), opt.ll_addr()),
        (ND_OPT_TARGET_LL_ADDR, 8, [1, 2, 3, 4, 5, 6])
    );
    assert_eq!(&b[8..10], &[0xfe, 0x80]);
    assert_eq!(&b[ND_MESSAGE_LEN..], &[2, 1, 1, 2, 3, 4, 5, 6]);
}
