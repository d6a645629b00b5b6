//! SCTP's checksum, recomputed after a rewrite (the Internet checksum is
//! adjusted in place by `flow::headers::replace_in_checksum`).

use crate::dpdk::crc32c;
use crate::flow::headers::{SCTP_CHECKSUM_OFFSET, SCTP_HEADER_LEN};

/// The SCTP checksum of `sctp` (common header onwards) as it would be
/// stored: CRC32-C with the checksum field taken as zero, in the
/// little-endian byte order SCTP puts it on the wire, read back as a
/// big-endian number like every other field here.
pub(super) fn sctp_crc(sctp: &[u8]) -> u32 {
    let (Some(head), Some(tail)) = (
        sctp.get(..SCTP_CHECKSUM_OFFSET),
        sctp.get(SCTP_HEADER_LEN..),
    ) else {
        return 0;
    };
    let mut crc = crc32c(head, !0);
    crc = crc32c(&[0; 4], crc);
    crc = crc32c(tail, crc);
    u32::from_be_bytes((!crc).to_le_bytes())
}
