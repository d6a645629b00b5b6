//! Checksums computed from scratch, bit by bit and word by word,
//! independently of the library's incremental updates: shared by the
//! action tests and the `action_execute` fuzz target (which includes this
//! file by path), so both check against one reference.

/// CRC32-C bit by bit (reflected polynomial 0x82f63b78).
pub fn crc32c(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for byte in data {
        crc ^= u32::from(*byte);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0x82f6_3b78
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

pub fn sum(bytes: &[u8]) -> u64 {
    bytes
        .chunks(2)
        .map(|w| u64::from(u16::from_be_bytes([w[0], *w.get(1).unwrap_or(&0)])))
        .sum()
}

pub fn fold(mut s: u64) -> u16 {
    while s > 0xffff {
        s = (s & 0xffff) + (s >> 16);
    }
    s as u16
}

/// The Internet checksum a sender computes over `parts` (each of even
/// length but the last), with the checksum field zeroed by the caller.
pub fn internet_checksum(parts: &[&[u8]]) -> u16 {
    !fold(parts.iter().map(|p| sum(p)).sum())
}
