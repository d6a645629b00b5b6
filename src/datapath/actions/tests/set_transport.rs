//! `set`/`set_masked` on TCP, UDP and SCTP ports.

use super::frames::{be16, v4, v6, L4, L4_V4, L4_V6};
use super::verify::{assert_checksums, crc32c};
use crate::datapath::actions::{set, set_masked, VecBuf};
use crate::flow::odp::{KeyAttr, PortsKey};

const A4: [u8; 4] = [172, 16, 0, 1];
const B4: [u8; 4] = [172, 16, 0, 2];
const A6: [u8; 16] = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9];

fn ports(src: u16, dst: u16) -> PortsKey {
    PortsKey { src, dst }
}

fn attr(l4: L4, p: PortsKey) -> KeyAttr {
    match l4 {
        L4::Tcp => KeyAttr::Tcp(p),
        L4::Udp => KeyAttr::Udp(p),
        L4::Sctp => KeyAttr::Sctp(p),
    }
}

fn run(frame: &[u8], value: KeyAttr, mask: Option<KeyAttr>) -> Vec<u8> {
    let mut pkt = VecBuf::new(frame, 0);
    match mask {
        Some(mask) => set_masked(&mut pkt, &value, &mask),
        None => set(&mut pkt, &value),
    }
    pkt.into_frame()
}

#[test]
fn port_sets_keep_every_checksum_valid() {
    for l4 in [L4::Tcp, L4::Udp, L4::Sctp] {
        let frame = v4(l4, A4, B4, (1234, 80), b"ports, ports");
        let out = run(&frame, attr(l4, ports(4321, 8080)), None);
        assert_checksums(&out);
        assert_eq!(be16(&out, L4_V4), 4321);
        assert_eq!(be16(&out, L4_V4 + 2), 8080);
        assert_eq!(&out[..L4_V4], &frame[..L4_V4]);
    }
    for l4 in [L4::Tcp, L4::Udp] {
        let frame = v6(l4, A6, A6, (1234, 80), b"six");
        let out = run(&frame, attr(l4, ports(1, 2)), None);
        assert_checksums(&out);
        assert_eq!((be16(&out, L4_V6), be16(&out, L4_V6 + 2)), (1, 2));
    }
}

#[test]
fn masked_port_sets_change_only_masked_bits() {
    for l4 in [L4::Tcp, L4::Udp, L4::Sctp] {
        let frame = v4(l4, A4, B4, (0x1234, 0xabcd), b"m");
        let out = run(
            &frame,
            attr(l4, ports(0x0050, 0)),
            Some(attr(l4, ports(0x00ff, 0))),
        );
        assert_checksums(&out);
        assert_eq!(be16(&out, L4_V4), 0x1250);
        assert_eq!(be16(&out, L4_V4 + 2), 0xabcd);
    }
}

#[test]
fn a_udp_checksum_of_zero_stays_zero() {
    let mut frame = v4(L4::Udp, A4, B4, (1, 2), b"none");
    frame[L4_V4 + 6..L4_V4 + 8].fill(0);
    let out = run(&frame, KeyAttr::Udp(ports(3, 4)), None);
    assert_eq!(be16(&out, L4_V4 + 6), 0);
    assert_eq!((be16(&out, L4_V4), be16(&out, L4_V4 + 2)), (3, 4));
}

#[test]
fn a_computed_udp_checksum_of_zero_is_sent_as_ffff() {
    let frame = v4(L4::Udp, A4, B4, (1, 2), b"mangle");
    let mut seen_ffff = false;
    for port in 0..=u16::MAX {
        let out = run(&frame, KeyAttr::Udp(ports(port, 2)), None);
        let check = be16(&out, L4_V4 + 6);
        assert_ne!(check, 0, "port {port}");
        seen_ffff |= check == 0xffff;
    }
    assert!(seen_ffff, "one source port makes the sum zero");
}

#[test]
fn a_wrong_sctp_checksum_stays_wrong_by_the_same_bits() {
    let mut frame = v4(L4::Sctp, A4, B4, (1, 2), b"chunk data");
    frame[L4_V4 + 8] ^= 0x5a;
    let out = run(&frame, KeyAttr::Sctp(ports(10, 20)), None);
    let mut sctp = out[L4_V4..].to_vec();
    let stored: [u8; 4] = sctp[8..12].try_into().unwrap();
    sctp[8..12].fill(0);
    let mut correct = crc32c(&sctp).to_le_bytes();
    correct[0] ^= 0x5a;
    assert_eq!(stored, correct);
}

#[test]
fn sctp_checksum_ignores_ethernet_padding() {
    let mut frame = v4(L4::Sctp, A4, B4, (1, 2), b"");
    frame.extend_from_slice(&[0xee; 20]); // padding to the minimum frame size
    let out = run(&frame, KeyAttr::Sctp(ports(5, 6)), None);
    assert_checksums(&out);
    assert_eq!(&out[out.len() - 20..], &[0xee; 20]);
}
