//! The Internet checksum, whole and adjusted.

use crate::flow::headers::*;

#[test]
fn checksum_of_a_known_ipv4_header() {
    // 192.168.0.1 -> 192.168.0.199, UDP, DF; its checksum is 0xb861.
    let header = [
        0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11, 0x00, 0x00, 0xc0, 0xa8, 0x00,
        0x01, 0xc0, 0xa8, 0x00, 0xc7,
    ];
    assert_eq!(internet_checksum(&header), 0xb861);
    let ip = Ipv4Packet::new_checked(&header[..]).unwrap();
    assert_eq!(ip.compute_checksum(), 0xb861);
}

#[test]
fn a_filled_checksum_sums_to_all_ones() {
    let mut header = [0x46u8; 24];
    header[0] = 0x46;
    let mut ip = Ipv4Packet::new_checked(&mut header[..]).unwrap();
    ip.fill_checksum();
    assert_eq!(internet_checksum(&header), 0);
}

#[test]
fn an_odd_length_is_padded_with_zero() {
    assert_eq!(
        internet_checksum(&[0x12, 0x34, 0x56]),
        !(0x1234u16 + 0x5600)
    );
}

#[test]
fn an_adjusted_checksum_is_the_recomputed_one() {
    let mut header = [
        0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11, 0xb8, 0x61, 0xc0, 0xa8, 0x00,
        0x01, 0xc0, 0xa8, 0x00, 0xc7,
    ];
    let mut ip = Ipv4Packet::new_checked(&mut header[..]).unwrap();
    let (old, new) = (ip.src(), 0x0a01_0203u32);
    let adjusted = replace_in_checksum(ip.checksum(), &old.to_be_bytes(), &new.to_be_bytes());
    ip.set_src(new);
    assert_eq!(adjusted, ip.compute_checksum());
    let old_ttl_word = u16::from_be_bytes([ip.ttl(), ip.protocol()]);
    ip.set_checksum(adjusted);
    ip.set_ttl(3);
    let adjusted = replace16_in_checksum(adjusted, old_ttl_word, u16::from_be_bytes([3, 0x11]));
    assert_eq!(adjusted, ip.compute_checksum());
}
