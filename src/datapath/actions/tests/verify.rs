//! Checksums computed from scratch, independently of the incremental
//! updates under test.

pub use super::scratch_checksums::{crc32c, internet_checksum};

/// Offsets found by a plain parse: (L3 offset, ethertype).
pub fn l3(frame: &[u8]) -> (usize, u16) {
    let mut off = 12;
    for _ in 0..2 {
        let t = u16::from_be_bytes([frame[off], frame[off + 1]]);
        if t != 0x8100 && t != 0x88a8 {
            break;
        }
        off += 4;
    }
    (off + 2, u16::from_be_bytes([frame[off], frame[off + 1]]))
}

/// Asserts every checksum of an Ethernet/IP frame without IP options or
/// IPv6 extension headers is what a sender would compute; a UDP checksum
/// of 0 is "none".
pub fn assert_checksums(frame: &[u8]) {
    let (l3, eth_type) = l3(frame);
    let (l4, end, proto, pseudo) = match eth_type {
        0x0800 => {
            let mut header = frame[l3..l3 + 20].to_vec();
            let stored = u16::from_be_bytes([header[10], header[11]]);
            header[10..12].fill(0);
            assert_eq!(
                stored,
                internet_checksum(&[&header]),
                "IPv4 header checksum"
            );
            let end = l3 + usize::from(u16::from_be_bytes([header[2], header[3]]));
            let proto = header[9];
            let mut pseudo = header[12..20].to_vec();
            pseudo.extend_from_slice(&[0, proto]);
            pseudo.extend_from_slice(&((end - l3 - 20) as u16).to_be_bytes());
            (l3 + 20, end, proto, pseudo)
        }
        0x86dd => {
            let end = l3 + 40 + usize::from(u16::from_be_bytes([frame[l3 + 4], frame[l3 + 5]]));
            let proto = frame[l3 + 6];
            let mut pseudo = frame[l3 + 8..l3 + 40].to_vec();
            pseudo.extend_from_slice(&((end - l3 - 40) as u32).to_be_bytes());
            pseudo.extend_from_slice(&[0, 0, 0, proto]);
            (l3 + 40, end, proto, pseudo)
        }
        other => panic!("not IP: {other:#06x}"),
    };
    let mut segment = frame[l4..end].to_vec();
    let check_at = match proto {
        6 => 16,
        17 => 6,
        58 => 2,
        132 => {
            let stored: [u8; 4] = segment[8..12].try_into().unwrap();
            segment[8..12].fill(0);
            assert_eq!(stored, crc32c(&segment).to_le_bytes(), "SCTP checksum");
            return;
        }
        _ => return,
    };
    let stored = u16::from_be_bytes([segment[check_at], segment[check_at + 1]]);
    if proto == 17 && stored == 0 {
        return;
    }
    segment[check_at..check_at + 2].fill(0);
    let mut expected = internet_checksum(&[&pseudo, &segment]);
    if proto == 17 && expected == 0 {
        expected = 0xffff;
    }
    // 0 and 0xffff are the same one's complement number; TCP may carry either.
    let same = stored == expected
        || (proto != 17 && (stored | expected) == 0xffff && (stored & expected) == 0);
    assert!(
        same,
        "L4 checksum of proto {proto}: stored {stored:#06x}, computed {expected:#06x}"
    );
}

#[test]
fn crc32c_matches_the_standard_check_value() {
    assert_eq!(crc32c(b"123456789"), 0xe306_9283);
}

#[test]
fn the_library_crc_agrees_with_the_bitwise_one() {
    let mut sctp: Vec<u8> = (0..61u8).map(|b| b.wrapping_mul(37)).collect();
    let ours = super::super::checksum::sctp_crc(&sctp);
    sctp[8..12].fill(0);
    assert_eq!(ours.to_be_bytes(), crc32c(&sctp).to_le_bytes());
}
