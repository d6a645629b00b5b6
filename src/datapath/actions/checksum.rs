//! Checksum upkeep for rewrites: the Internet checksum adjusted in place
//! (RFC 1624, equation 3) and SCTP's CRC32-C recomputed.

use crate::dpdk::crc32c;

/// The Internet checksum `check` after the bytes `old` became `new`.
/// Both are the same even length and sit at an even offset of the summed
/// data (as addresses, ports and aligned header words do).
#[inline]
pub(super) fn replace(check: u16, old: &[u8], new: &[u8]) -> u16 {
    let mut sum = u32::from(!check);
    for (o, n) in old.chunks_exact(2).zip(new.chunks_exact(2)) {
        sum += u32::from(!u16::from_be_bytes([o[0], o[1]]));
        sum += u32::from(u16::from_be_bytes([n[0], n[1]]));
    }
    !fold(sum)
}

/// `replace` for one 16-bit word.
#[inline]
pub(super) fn replace16(check: u16, old: u16, new: u16) -> u16 {
    replace(check, &old.to_be_bytes(), &new.to_be_bytes())
}

fn fold(mut sum: u32) -> u16 {
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    sum as u16
}

/// Offset of the checksum in an SCTP common header.
pub(super) const SCTP_CHECKSUM: usize = 8;
pub(super) const SCTP_HEADER_LEN: usize = 12;

/// The SCTP checksum of `sctp` (common header onwards) as it would be
/// stored: CRC32-C with the checksum field taken as zero, in the
/// little-endian byte order SCTP puts it on the wire, read back as a
/// big-endian number like every other field here.
pub(super) fn sctp_crc(sctp: &[u8]) -> u32 {
    let (Some(head), Some(tail)) = (sctp.get(..SCTP_CHECKSUM), sctp.get(SCTP_HEADER_LEN..)) else {
        return 0;
    };
    let mut crc = crc32c(head, !0);
    crc = crc32c(&[0; 4], crc);
    crc = crc32c(tail, crc);
    u32::from_be_bytes((!crc).to_le_bytes())
}
