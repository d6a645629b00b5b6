//! Frames for the rewrite tests, built with etherparse (SCTP by hand).

use etherparse::PacketBuilder;

use super::verify::{crc32c, internet_checksum};

pub const DST_MAC: [u8; 6] = [0x02, 0x11, 0x22, 0x33, 0x44, 0x55];
pub const SRC_MAC: [u8; 6] = [0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee];
pub const L3: usize = 14;
pub const L4_V4: usize = L3 + 20;
pub const L4_V6: usize = L3 + 40;

#[derive(Clone, Copy, Debug)]
pub enum L4 {
    Tcp,
    Udp,
    Sctp,
}

pub fn v4(l4: L4, src: [u8; 4], dst: [u8; 4], ports: (u16, u16), payload: &[u8]) -> Vec<u8> {
    let ip = PacketBuilder::ethernet2(SRC_MAC, DST_MAC).ipv4(src, dst, 64);
    let mut out = Vec::new();
    match l4 {
        L4::Tcp => ip.tcp(ports.0, ports.1, 1, 1000).write(&mut out, payload),
        L4::Udp => ip.udp(ports.0, ports.1).write(&mut out, payload),
        L4::Sctp => return sctp4(src, dst, ports, payload),
    }
    .expect("frame builds");
    out
}

pub fn v6(l4: L4, src: [u8; 16], dst: [u8; 16], ports: (u16, u16), payload: &[u8]) -> Vec<u8> {
    let ip = PacketBuilder::ethernet2(SRC_MAC, DST_MAC).ipv6(src, dst, 64);
    let mut out = Vec::new();
    match l4 {
        L4::Tcp => ip.tcp(ports.0, ports.1, 1, 1000).write(&mut out, payload),
        L4::Udp => ip.udp(ports.0, ports.1).write(&mut out, payload),
        L4::Sctp => panic!("SCTP frames are IPv4 only here"),
    }
    .expect("frame builds");
    out
}

fn sctp4(src: [u8; 4], dst: [u8; 4], ports: (u16, u16), payload: &[u8]) -> Vec<u8> {
    let mut sctp = Vec::new();
    sctp.extend_from_slice(&ports.0.to_be_bytes());
    sctp.extend_from_slice(&ports.1.to_be_bytes());
    sctp.extend_from_slice(&0x0102_0304u32.to_be_bytes()); // verification tag
    sctp.extend_from_slice(&[0; 4]);
    sctp.extend_from_slice(payload);
    let crc = crc32c(&sctp);
    sctp[8..12].copy_from_slice(&crc.to_le_bytes());

    let total = (20 + sctp.len()) as u16;
    let mut ip = vec![0x45, 0, 0, 0, 0, 0, 0x40, 0, 64, 132, 0, 0];
    ip[2..4].copy_from_slice(&total.to_be_bytes());
    ip.extend_from_slice(&src);
    ip.extend_from_slice(&dst);
    let check = internet_checksum(&[&ip]);
    ip[10..12].copy_from_slice(&check.to_be_bytes());

    let mut frame = [DST_MAC, SRC_MAC].concat();
    frame.extend_from_slice(&0x0800u16.to_be_bytes());
    frame.extend_from_slice(&ip);
    frame.extend_from_slice(&sctp);
    frame
}

/// `frame` with VLAN tags (outermost first) after the MAC addresses.
pub fn tagged(frame: &[u8], tags: &[(u16, u16)]) -> Vec<u8> {
    let mut out = frame[..12].to_vec();
    for (tpid, tci) in tags {
        out.extend_from_slice(&tpid.to_be_bytes());
        out.extend_from_slice(&tci.to_be_bytes());
    }
    out.extend_from_slice(&frame[12..]);
    out
}

pub fn be16(frame: &[u8], off: usize) -> u16 {
    u16::from_be_bytes([frame[off], frame[off + 1]])
}
