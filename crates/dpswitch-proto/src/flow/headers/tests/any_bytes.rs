//! Any bytes at all: every view and the walk answer without panicking,
//! and a view exists exactly when the buffer is long enough.

use crate::flow::headers::*;
use proptest::collection::vec;
use proptest::prelude::*;

/// Builds every view of `b` that it is long enough for and reads every
/// field; the sum only keeps the reads from being optimised out.
fn read_all(b: &[u8]) -> u128 {
    let mut sum = 0u128;
    let mut add = |v: u128| sum = sum.wrapping_add(v);
    if let Ok(eth) = EthernetFrame::new_checked(b) {
        let tags = eth.tags();
        assert!(tags.payload_offset <= b.len());
        add(u128::from(eth.ethertype()) + u128::from(tags.type_or_len));
        add(u128::from(eth.dst()[0]) + u128::from(eth.src()[5]));
    }
    if let Ok(llc) = LlcSnapHeader::new_checked(b) {
        add(u128::from(llc.snap_ethertype().unwrap_or_default()));
    }
    if let Ok(arp) = ArpPacket::new_checked(b) {
        add(u128::from(arp.is_ethernet_ipv4()) + u128::from(arp.target_ip()));
    }
    if let Ok(ip) = Ipv4Packet::new_checked(b) {
        if let Ok(len) = ip.checked_header_len() {
            assert!((IPV4_MIN_HEADER_LEN..=b.len()).contains(&len));
        }
        add(u128::from(ip.compute_checksum()) + u128::from(ip.frag_offset()));
        add(u128::from(ip.src()) + u128::from(ip.total_len()));
    }
    if let Ok(ip) = Ipv6Packet::new_checked(b) {
        let walk = ip.walk_extension_headers();
        if let WalkEnd::UpperLayer { offset, .. } = walk.end {
            assert!(offset <= b.len());
        }
        add(ip.src() ^ ip.dst() ^ u128::from(ip.flow_label()));
    }
    if let Ok(tcp) = TcpHeader::new_checked(b) {
        add(u128::from(tcp.flags()) + u128::from(tcp.checked_header_len().is_ok()));
    }
    if let Ok(udp) = UdpHeader::new_checked(b) {
        add(u128::from(udp.datagram_len()));
    }
    if let Ok(sctp) = SctpHeader::new_checked(b) {
        add(u128::from(sctp.checksum()));
    }
    if let Ok(nd) = NdMessage::new_checked(b) {
        add(nd.target());
    }
    if let Ok(opt) = NdOption::new_checked(b) {
        add(opt.option_len() as u128 + u128::from(opt.ll_addr()[0]));
    }
    if let Ok(frag) = Ipv6FragmentHeader::new_checked(b) {
        add(u128::from(frag.ident()) + u128::from(frag.frag_offset()));
    }
    let _ = internet_checksum(b);
    sum
}

proptest! {
    #[test]
    fn any_bytes_are_read_without_panicking(b in vec(any::<u8>(), 0..160)) {
        read_all(&b);
        for cut in 0..b.len() {
            read_all(&b[..cut]);
        }
    }

    #[test]
    fn any_walk_ends_inside_the_buffer(
        b in vec(any::<u8>(), 0..200),
        start in 0usize..220,
        first in prop::sample::select(vec![
            IPPROTO_HOPOPTS, IPPROTO_ROUTING, IPPROTO_FRAGMENT, IPPROTO_AH, IPPROTO_DSTOPTS,
        ]),
    ) {
        let walk = walk_extension_headers(&b, start, first);
        if let WalkEnd::UpperLayer { protocol, offset } = walk.end {
            prop_assert!(offset <= b.len());
            prop_assert!(!is_extension_header(protocol));
            // The smallest extension header is 8 bytes.
            prop_assert!(offset >= start + 8);
        }
    }

    #[test]
    fn setters_write_only_inside_the_buffer(b in vec(any::<u8>(), 0..64)) {
        let mut copy = b.clone();
        if let Ok(mut ip) = Ipv4Packet::new_checked(&mut copy[..]) {
            ip.set_src(0x0102_0304);
            ip.fill_checksum();
            prop_assert_eq!(ip.src(), 0x0102_0304);
        }
        prop_assert_eq!(copy.len(), b.len());
        prop_assert_eq!(&copy[IPV4_MIN_HEADER_LEN.min(b.len())..], &b[IPV4_MIN_HEADER_LEN.min(b.len())..]);
    }
}
