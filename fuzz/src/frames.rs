//! Frames with every checksum right, drawn from a small alphabet, and an
//! independent check of those checksums after the actions ran.

use crate::alphabet::{chance, pick};
use crate::scratch_checksums::{crc32c, fold, sum};
use libfuzzer_sys::arbitrary::Unstructured;

const TCP: u8 = 6;
const UDP: u8 = 17;
const ICMPV6: u8 = 58;
const SCTP: u8 = 132;

/// Where the IP header starts and its ethertype, past up to two VLAN tags
/// (as the actions find it).
fn l3(frame: &[u8]) -> Option<(usize, u16)> {
    let mut off = 12;
    for _ in 0..2 {
        let t = u16::from_be_bytes(frame.get(off..off + 2)?.try_into().ok()?);
        if t != 0x8100 && t != 0x88a8 {
            break;
        }
        off += 4;
    }
    let t = u16::from_be_bytes(frame.get(off..off + 2)?.try_into().ok()?);
    Some((off + 2, t))
}

/// An Ethernet frame with 0 to 2 VLAN tags, IPv4 or IPv6 (or ARP), and a
/// TCP, UDP, SCTP or ICMPv6 segment, all checksums correct.
pub fn build(u: &mut Unstructured<'_>) -> Vec<u8> {
    let mut f = vec![0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2];
    for _ in 0..pick(u, &[0usize, 0, 1, 2]) {
        f.extend_from_slice(&pick(u, &[0x8100u16, 0x88a8]).to_be_bytes());
        f.extend_from_slice(&pick(u, &[0x0005u16, 0xe064, 0x1001]).to_be_bytes());
    }
    let ipv6 = chance(u, 1, 2);
    let proto = pick(u, &[TCP, UDP, SCTP, ICMPV6]);
    let proto = if proto == ICMPV6 && !ipv6 { TCP } else { proto };
    let payload_len = pick(u, &[0usize, 1, 7, 20]);
    let mut l4 = match proto {
        TCP => {
            let mut h = vec![0; 20];
            h[12] = 0x50;
            h
        }
        UDP => vec![0; 8],
        SCTP => vec![0; 12],
        _ => vec![128, 0, 0, 0, 0, 0, 0, 1],
    };
    if proto != ICMPV6 {
        l4[..4].copy_from_slice(&[0, 80, 0x04, 0xd2]);
    }
    l4.extend((0..payload_len).map(|i| i as u8 ^ 0x5a));
    let (src, dst) = (pick(u, &[[10u8; 16], [0xfe; 16]]), [0x20; 16]);
    let mut ip = if ipv6 {
        let mut h = vec![0x60, 0, 0, 0];
        h.extend_from_slice(&(l4.len() as u16).to_be_bytes());
        h.extend_from_slice(&[proto, 64]);
        h.extend_from_slice(&src);
        h.extend_from_slice(&dst);
        h
    } else {
        let mut h = vec![0x45, 0];
        h.extend_from_slice(&((20 + l4.len()) as u16).to_be_bytes());
        h.extend_from_slice(&[0, 1, 0x40, 0, 64, proto, 0, 0]);
        h.extend_from_slice(&src[..4]);
        h.extend_from_slice(&dst[..4]);
        let c = !fold(sum(&h));
        h[10..12].copy_from_slice(&c.to_be_bytes());
        h
    };
    // A UDP checksum of 0 means none, and must stay 0.
    if !(proto == UDP && chance(u, 1, 4)) {
        fill_l4_checksum(&ip, ipv6, proto, &mut l4);
    }
    f.extend_from_slice(&(if ipv6 { 0x86ddu16 } else { 0x0800 }).to_be_bytes());
    f.append(&mut ip);
    f.append(&mut l4);
    f
}

fn pseudo_header(ip: &[u8], ipv6: bool, proto: u8, len: usize) -> Vec<u8> {
    let mut p = if ipv6 {
        ip[8..40].to_vec()
    } else {
        ip[12..20].to_vec()
    };
    p.extend_from_slice(&[0, 0, 0, proto]);
    p.extend_from_slice(&(len as u32).to_be_bytes());
    p
}

fn fill_l4_checksum(ip: &[u8], ipv6: bool, proto: u8, l4: &mut [u8]) {
    match proto {
        SCTP => {
            let crc = crc32c(l4);
            l4[8..12].copy_from_slice(&crc.to_le_bytes());
        }
        _ => {
            let at = match proto {
                TCP => 16,
                UDP => 6,
                _ => 2,
            };
            let p = pseudo_header(ip, ipv6, proto, l4.len());
            let mut c = !fold(sum(&p) + sum(l4));
            if proto == UDP && c == 0 {
                c = 0xffff;
            }
            l4[at..at + 2].copy_from_slice(&c.to_be_bytes());
        }
    }
}

/// Panics unless every checksum of a frame `build` made (then rewritten)
/// verifies. Frames whose IP header the actions cannot find (a third
/// VLAN tag pushed) are not checked.
pub fn assert_checksums(frame: &[u8]) {
    let Some((l3, eth_type)) = l3(frame) else {
        return;
    };
    let (ipv6, ip_len) = match eth_type {
        0x0800 => (false, 20),
        0x86dd => (true, 40),
        _ => return,
    };
    let ip = &frame[l3..l3 + ip_len];
    if !ipv6 {
        assert_eq!(
            fold(sum(ip)),
            0xffff,
            "IPv4 header checksum of {frame:02x?}"
        );
    }
    let proto = ip[if ipv6 { 6 } else { 9 }];
    let l4 = &frame[l3 + ip_len..];
    match proto {
        SCTP => {
            let mut copy = l4.to_vec();
            copy[8..12].fill(0);
            assert_eq!(
                l4[8..12],
                crc32c(&copy).to_le_bytes(),
                "SCTP CRC of {frame:02x?}"
            );
        }
        UDP if l4[6..8] == [0, 0] => {}
        _ => {
            let p = pseudo_header(ip, ipv6, proto, l4.len());
            let total = fold(sum(&p) + sum(l4));
            assert_eq!(
                total, 0xffff,
                "L4 checksum of proto {proto} in {frame:02x?}"
            );
        }
    }
}
