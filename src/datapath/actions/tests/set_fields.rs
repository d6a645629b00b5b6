//! `set`/`set_masked` on Ethernet, IPv4 and IPv6 headers.

use super::frames::{be16, tagged, v4, v6, L3, L4, L4_V4, L4_V6};
use super::verify::assert_checksums;
use crate::datapath::actions::{set, set_masked, VecBuf};
use crate::flow::odp::{EthernetKey, Ipv4Key, Ipv6Key, KeyAttr, PortsKey};

const A4: [u8; 4] = [192, 168, 1, 10];
const B4: [u8; 4] = [10, 20, 30, 40];
const A6: [u8; 16] = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
const B6: [u8; 16] = [
    0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0x12, 0x34, 0, 0, 0, 0, 0xab, 0xcd,
];

fn run_set(frame: &[u8], attr: KeyAttr) -> Vec<u8> {
    let mut pkt = VecBuf::new(frame, 0);
    set(&mut pkt, &attr);
    pkt.into_frame()
}

fn run_masked(frame: &[u8], value: KeyAttr, mask: KeyAttr) -> Vec<u8> {
    let mut pkt = VecBuf::new(frame, 0);
    set_masked(&mut pkt, &value, &mask);
    pkt.into_frame()
}

#[test]
fn ethernet_set_and_masked_set() {
    let frame = v4(L4::Udp, A4, B4, (1, 2), b"x");
    let eth = EthernetKey {
        src: [0x0a; 6],
        dst: [0x0b; 6],
    };
    let out = run_set(&frame, KeyAttr::Ethernet(eth));
    assert_eq!(&out[..12], &[[0x0b; 6], [0x0a; 6]].concat()[..]);
    assert_eq!(&out[12..], &frame[12..]);

    let mask = EthernetKey {
        src: [0, 0, 0, 0, 0, 0xff],
        dst: [0xf0, 0, 0, 0, 0, 0],
    };
    let value = EthernetKey {
        src: [0, 0, 0, 0, 0, 0x77],
        dst: [0x90, 0, 0, 0, 0, 0],
    };
    let out = run_masked(&frame, KeyAttr::Ethernet(value), KeyAttr::Ethernet(mask));
    let mut expected = frame.clone();
    expected[0] = 0x92; // high nibble from value, low nibble of 0x02 kept
    expected[11] = 0x77;
    assert_eq!(out, expected);
}

fn ipv4_key(src: [u8; 4], dst: [u8; 4], tos: u8, ttl: u8) -> Ipv4Key {
    Ipv4Key {
        src: u32::from_be_bytes(src),
        dst: u32::from_be_bytes(dst),
        proto: 6,
        tos,
        ttl,
        frag: 0,
    }
}

#[test]
fn ipv4_set_rewrites_addresses_tos_ttl_with_valid_checksums() {
    for l4 in [L4::Tcp, L4::Udp, L4::Sctp] {
        let frame = v4(l4, A4, B4, (1111, 2222), b"some payload");
        assert_checksums(&frame);
        // proto 6 and frag 0 in the value: neither is writable.
        let mut key = ipv4_key(B4, A4, 0xb8, 3);
        key.proto = 99;
        key.frag = 2;
        let out = run_set(&frame, KeyAttr::Ipv4(key));
        assert_checksums(&out);
        assert_eq!(&out[L3 + 12..L3 + 16], &B4);
        assert_eq!(&out[L3 + 16..L3 + 20], &A4);
        assert_eq!(out[L3 + 1], 0xb8);
        assert_eq!(out[L3 + 8], 3);
        assert_eq!(out[L3 + 9], frame[L3 + 9], "protocol untouched");
        assert_eq!(
            &out[L3 + 6..L3 + 8],
            &frame[L3 + 6..L3 + 8],
            "flags untouched"
        );
        assert_eq!(&out[L4_V4..L4_V4 + 4], &frame[L4_V4..L4_V4 + 4], "ports");
    }
}

#[test]
fn ipv4_masked_set_changes_only_masked_bits() {
    let frame = v4(L4::Tcp, A4, B4, (1, 2), b"p");
    let value = ipv4_key([0, 0, 0, 99], [0, 0, 0, 0], 0x28, 0x0f);
    let mask = Ipv4Key {
        src: 0x0000_00ff,
        dst: 0,
        proto: 0,
        tos: 0xfc,
        ttl: 0x0f,
        frag: 0,
    };
    let out = run_masked(&frame, KeyAttr::Ipv4(value), KeyAttr::Ipv4(mask));
    assert_checksums(&out);
    assert_eq!(&out[L3 + 12..L3 + 16], &[192, 168, 1, 99]);
    assert_eq!(&out[L3 + 16..L3 + 20], &B4);
    assert_eq!(out[L3 + 1], 0x28 | (frame[L3 + 1] & 0x03));
    assert_eq!(out[L3 + 8], (64 & 0xf0) | 0x0f);
}

#[test]
fn ipv4_address_change_leaves_a_zero_udp_checksum_alone() {
    let mut frame = v4(L4::Udp, A4, B4, (1, 2), b"abc");
    frame[L4_V4 + 6..L4_V4 + 8].fill(0);
    let out = run_set(&frame, KeyAttr::Ipv4(ipv4_key(B4, B4, 0, 64)));
    assert_eq!(be16(&out, L4_V4 + 6), 0);
    assert_checksums(&out);
}

#[test]
fn ipv4_address_change_in_a_later_fragment_leaves_l4_bytes_alone() {
    let mut frame = v4(L4::Tcp, A4, B4, (1, 2), b"abcdefgh");
    // Fragment offset 8 (in 8-byte units): the bytes after IP are payload.
    frame[L3 + 6..L3 + 8].copy_from_slice(&8u16.to_be_bytes());
    let mut header = frame[L3..L4_V4].to_vec();
    header[10..12].fill(0);
    let check = super::verify::internet_checksum(&[&header]);
    frame[L3 + 10..L3 + 12].copy_from_slice(&check.to_be_bytes());
    let out = run_set(&frame, KeyAttr::Ipv4(ipv4_key(B4, A4, 0, 64)));
    assert_eq!(&out[L4_V4..], &frame[L4_V4..]);
    assert_eq!(&out[L3 + 12..L3 + 16], &B4);
    let mut header = out[L3..L4_V4].to_vec();
    let stored = be16(&header, 10);
    header[10..12].fill(0);
    assert_eq!(stored, super::verify::internet_checksum(&[&header]));
}

#[test]
fn ipv4_set_behind_two_vlan_tags() {
    let frame = tagged(
        &v4(L4::Udp, A4, B4, (5, 6), b"q"),
        &[(0x88a8, 1), (0x8100, 2)],
    );
    let out = run_set(&frame, KeyAttr::Ipv4(ipv4_key(B4, A4, 4, 9)));
    assert_checksums(&out);
    assert_eq!(&out[L3 + 8 + 12..L3 + 8 + 16], &B4);
}

fn ipv6_key(src: [u8; 16], dst: [u8; 16], label: u32, tclass: u8, hlimit: u8) -> Ipv6Key {
    Ipv6Key {
        src: u128::from_be_bytes(src),
        dst: u128::from_be_bytes(dst),
        label,
        proto: 6,
        tclass,
        hlimit,
        frag: 0,
    }
}

#[test]
fn ipv6_set_rewrites_every_writable_field_with_valid_checksums() {
    for l4 in [L4::Tcp, L4::Udp] {
        let frame = v6(l4, A6, B6, (80, 8080), b"six");
        assert_checksums(&frame);
        let out = run_set(&frame, KeyAttr::Ipv6(ipv6_key(B6, A6, 0xfffff, 0xa5, 7)));
        assert_checksums(&out);
        assert_eq!(&out[L3 + 8..L3 + 24], &B6);
        assert_eq!(&out[L3 + 24..L3 + 40], &A6);
        assert_eq!(out[L3] >> 4, 6, "version kept");
        assert_eq!(
            u32::from_be_bytes(out[L3..L3 + 4].try_into().unwrap()),
            0x6a5f_ffff
        );
        assert_eq!(out[L3 + 7], 7);
        assert_eq!(out[L3 + 6], frame[L3 + 6], "next header untouched");
    }
}

#[test]
fn ipv6_masked_set_changes_only_masked_bits() {
    let frame = v6(L4::Tcp, A6, B6, (80, 8080), b"six");
    let value = ipv6_key([0; 16], [0xff; 16], 0x0_0003, 0x0c, 0);
    let mut mask = ipv6_key([0; 16], [0; 16], 0xf_000f, 0x0f, 0);
    mask.dst = 0xffff; // last two bytes of the destination
    let mut value = value;
    value.dst &= mask.dst;
    // Label bits outside the 20-bit field are never written.
    mask.label |= 0xfff0_0000;
    let out = run_masked(&frame, KeyAttr::Ipv6(value), KeyAttr::Ipv6(mask));
    assert_checksums(&out);
    assert_eq!(&out[L3 + 8..L3 + 24], &A6);
    assert_eq!(&out[L3 + 24..L3 + 38], &B6[..14]);
    assert_eq!(&out[L3 + 38..L3 + 40], &[0xff, 0xff]);
    let first = u32::from_be_bytes(out[L3..L3 + 4].try_into().unwrap());
    assert_eq!(first, 0x60c0_0003);
    assert_eq!(out[L3 + 7], 64);
}

/// An IPv6 TCP frame with a routing header of `segments_left`.
fn with_routing_header(segments_left: u8) -> Vec<u8> {
    let frame = v6(L4::Tcp, A6, B6, (1, 2), b"routed");
    let mut out = frame[..L4_V6].to_vec();
    out[L3 + 6] = 43;
    let payload = be16(&frame, L3 + 4) + 8;
    out[L3 + 4..L3 + 6].copy_from_slice(&payload.to_be_bytes());
    out.extend_from_slice(&[6, 0, 0, segments_left, 0, 0, 0, 0]);
    out.extend_from_slice(&frame[L4_V6..]);
    out
}

#[test]
fn ipv6_destination_change_skips_l4_while_a_routing_header_has_segments_left() {
    let frame = with_routing_header(1);
    let out = run_set(&frame, KeyAttr::Ipv6(ipv6_key(A6, A6, 0, 0, 64)));
    assert_eq!(&out[L3 + 24..L3 + 40], &A6);
    assert_eq!(&out[L4_V6..], &frame[L4_V6..], "TCP checksum untouched");

    // With no segments left the destination is final: TCP is fixed. The
    // checksum is checked by rebuilding the frame without the header.
    let frame = with_routing_header(0);
    let out = run_set(&frame, KeyAttr::Ipv6(ipv6_key(A6, A6, 0, 0, 64)));
    let mut plain = out[..L4_V6].to_vec();
    plain[L3 + 6] = 6;
    let payload = be16(&out, L3 + 4) - 8;
    plain[L3 + 4..L3 + 6].copy_from_slice(&payload.to_be_bytes());
    plain.extend_from_slice(&out[L4_V6 + 8..]);
    assert_checksums(&plain);
}

#[test]
fn a_set_for_a_header_the_packet_lacks_changes_nothing() {
    let v4_frame = v4(L4::Udp, A4, B4, (1, 2), b"x");
    let v6_frame = v6(L4::Udp, A6, B6, (1, 2), b"x");
    assert_eq!(
        run_set(&v4_frame, KeyAttr::Ipv6(Ipv6Key::default())),
        v4_frame
    );
    assert_eq!(
        run_set(&v6_frame, KeyAttr::Ipv4(Ipv4Key::default())),
        v6_frame
    );
    let ports = PortsKey { src: 9, dst: 9 };
    assert_eq!(run_set(&v4_frame, KeyAttr::Tcp(ports)), v4_frame);
    assert_eq!(run_set(&v4_frame, KeyAttr::Sctp(ports)), v4_frame);
    // Attributes the kernel cannot set, or that are not packet bytes.
    assert_eq!(run_set(&v4_frame, KeyAttr::SkbMark(7)), v4_frame);
    assert_eq!(run_set(&v4_frame, KeyAttr::EthType(0x86dd)), v4_frame);
    // A mask of another kind than the value.
    let out = run_masked(
        &v4_frame,
        KeyAttr::Udp(ports),
        KeyAttr::Tcp(PortsKey { src: !0, dst: !0 }),
    );
    assert_eq!(out, v4_frame);
}

#[test]
fn every_truncation_of_a_frame_survives_every_set() {
    let frames = [
        tagged(&v4(L4::Tcp, A4, B4, (1, 2), b"abc"), &[(0x8100, 3)]),
        v4(L4::Sctp, A4, B4, (1, 2), b"abcd"),
        with_routing_header(1),
    ];
    let ports = PortsKey { src: 7, dst: 8 };
    let attrs = [
        KeyAttr::Ethernet(EthernetKey::default()),
        KeyAttr::Ipv4(ipv4_key(B4, A4, 1, 1)),
        KeyAttr::Ipv6(ipv6_key(B6, A6, 1, 1, 1)),
        KeyAttr::Tcp(ports),
        KeyAttr::Udp(ports),
        KeyAttr::Sctp(ports),
    ];
    for frame in &frames {
        for len in 0..frame.len() {
            for attr in &attrs {
                let out = run_set(&frame[..len], attr.clone());
                assert_eq!(out.len(), len);
            }
        }
    }
}
