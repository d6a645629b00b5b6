//! Every view refuses every buffer shorter than its fixed header, and
//! takes one of exactly that length.

use crate::flow::headers::*;

/// `new_checked` on every prefix of a buffer of `len + 1` bytes: the
/// error for each shorter one, success from `len` on.
fn check(len: usize, new_checked: impl Fn(&[u8]) -> Result<(), HeaderError>) {
    let buf = vec![0xa5; len + 1];
    for cut in 0..len {
        assert_eq!(
            new_checked(&buf[..cut]).err(),
            Some(HeaderError::Truncated),
            "{cut} of {len} bytes"
        );
    }
    assert!(new_checked(&buf[..len]).is_ok(), "{len} bytes");
    assert!(new_checked(&buf[..]).is_ok(), "{} bytes", len + 1);
}

#[test]
fn every_view_needs_its_whole_fixed_header() {
    check(ETH_HEADER_LEN, |b| EthernetFrame::new_checked(b).map(drop));
    check(VLAN_TAG_LEN, |b| VlanHeader::new_checked(b).map(drop));
    check(LLC_SNAP_LEN, |b| LlcSnapHeader::new_checked(b).map(drop));
    check(ARP_ETH_IPV4_LEN, |b| ArpPacket::new_checked(b).map(drop));
    check(IPV4_MIN_HEADER_LEN, |b| {
        Ipv4Packet::new_checked(b).map(drop)
    });
    check(IPV6_HEADER_LEN, |b| Ipv6Packet::new_checked(b).map(drop));
    check(2, |b| Ipv6ExtHeader::new_checked(b).map(drop));
    check(4, |b| Ipv6RoutingHeader::new_checked(b).map(drop));
    check(IPV6_FRAGMENT_HEADER_LEN, |b| {
        Ipv6FragmentHeader::new_checked(b).map(drop)
    });
    check(TCP_MIN_HEADER_LEN, |b| TcpHeader::new_checked(b).map(drop));
    check(UDP_HEADER_LEN, |b| UdpHeader::new_checked(b).map(drop));
    check(SCTP_HEADER_LEN, |b| SctpHeader::new_checked(b).map(drop));
    check(ICMP_HEADER_LEN, |b| IcmpHeader::new_checked(b).map(drop));
    check(ND_MESSAGE_LEN, |b| NdMessage::new_checked(b).map(drop));
    check(ND_OPTION_UNIT, |b| NdOption::new_checked(b).map(drop));
}

#[test]
fn ipv4_options_must_fit_and_ihl_must_cover_the_fixed_header() {
    let mut buf = [0u8; 28];
    buf[0] = 0x47; // 28 bytes of header
    let ip = Ipv4Packet::new_checked(&buf[..]).unwrap();
    assert_eq!(ip.checked_header_len(), Ok(28));
    let ip = Ipv4Packet::new_checked(&buf[..27]).unwrap();
    assert_eq!(ip.checked_header_len(), Err(HeaderError::Truncated));
    buf[0] = 0x44; // 16 bytes: less than the fixed header
    let ip = Ipv4Packet::new_checked(&buf[..]).unwrap();
    assert_eq!(ip.header_len(), 16);
    assert_eq!(ip.checked_header_len(), Err(HeaderError::BadLength));
}

#[test]
fn tcp_options_must_fit_and_data_offset_must_cover_the_fixed_header() {
    let mut buf = [0u8; 24];
    buf[12] = 0x60; // 24 bytes of header
    let tcp = TcpHeader::new_checked(&buf[..]).unwrap();
    assert_eq!(tcp.checked_header_len(), Ok(24));
    let tcp = TcpHeader::new_checked(&buf[..23]).unwrap();
    assert_eq!(tcp.checked_header_len(), Err(HeaderError::Truncated));
    buf[12] = 0x40;
    let tcp = TcpHeader::new_checked(&buf[..]).unwrap();
    assert_eq!(tcp.checked_header_len(), Err(HeaderError::BadLength));
}

#[test]
fn a_vlan_tag_counts_only_with_the_type_after_it() {
    // Addresses, an 802.1Q TPID, a TCI, then the inner type cut off.
    let mut frame = vec![0u8; 12];
    frame.extend_from_slice(&[0x81, 0x00, 0x20, 0x0a, 0x08, 0x00]);
    for cut in ETH_HEADER_LEN..frame.len() {
        let tags = EthernetFrame::new_checked(&frame[..cut]).unwrap().tags();
        assert_eq!(tags.outer, None, "{cut} bytes");
        assert_eq!((tags.type_or_len, tags.payload_offset), (ETH_TYPE_VLAN, 14));
    }
    let tags = EthernetFrame::new_checked(&frame[..]).unwrap().tags();
    assert_eq!(
        tags.outer,
        Some(VlanTag {
            tpid: ETH_TYPE_VLAN,
            tci: 0x200a
        })
    );
    assert_eq!(tags.inner, None);
    assert_eq!((tags.type_or_len, tags.payload_offset), (ETH_TYPE_IPV4, 18));
}

#[test]
fn two_tags_are_taken_and_a_third_is_the_type() {
    let mut frame = vec![0u8; 12];
    frame.extend_from_slice(&[0x88, 0xa8, 0, 20, 0x81, 0x00, 0, 10, 0x81, 0x00, 0, 5]);
    let tags = EthernetFrame::new_checked(&frame[..]).unwrap().tags();
    assert_eq!(
        (tags.outer, tags.inner),
        (
            Some(VlanTag {
                tpid: ETH_TYPE_QINQ,
                tci: 20
            }),
            Some(VlanTag {
                tpid: ETH_TYPE_VLAN,
                tci: 10
            })
        )
    );
    assert_eq!((tags.type_or_len, tags.payload_offset), (ETH_TYPE_VLAN, 22));
}
