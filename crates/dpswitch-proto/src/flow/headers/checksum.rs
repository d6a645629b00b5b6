//! The Internet checksum (RFC 1071): computed over a header, and adjusted
//! in place for a rewrite (RFC 1624, equation 3).

/// The checksum to store for `data` (whose checksum field reads as zero):
/// the ones' complement of the ones' complement sum of its 16-bit words,
/// an odd last byte padded with zero.
pub fn internet_checksum(data: &[u8]) -> u16 {
    let mut words = data.chunks_exact(2);
    let mut sum: u32 = 0;
    for w in &mut words {
        if let [hi, lo] = *w {
            sum += u32::from(u16::from_be_bytes([hi, lo]));
        }
        sum = fold_once(sum);
    }
    if let [last] = *words.remainder() {
        sum += u32::from(u16::from_be_bytes([last, 0]));
    }
    !fold(sum)
}

/// The checksum `check` after the bytes `old` became `new`. Both are the
/// same even length and sit at an even offset of the summed data (as
/// addresses, ports and aligned header words do).
#[inline]
pub fn replace_in_checksum(check: u16, old: &[u8], new: &[u8]) -> u16 {
    let mut sum = u32::from(!check);
    for (o, n) in old.chunks_exact(2).zip(new.chunks_exact(2)) {
        if let (&[o0, o1], &[n0, n1]) = (o, n) {
            sum += u32::from(!u16::from_be_bytes([o0, o1]));
            sum += u32::from(u16::from_be_bytes([n0, n1]));
        }
    }
    !fold(sum)
}

/// [`replace_in_checksum`] for one 16-bit word.
#[inline]
pub fn replace16_in_checksum(check: u16, old: u16, new: u16) -> u16 {
    replace_in_checksum(check, &old.to_be_bytes(), &new.to_be_bytes())
}

/// Keeps a running sum far from overflow on any input length.
#[inline(always)]
fn fold_once(sum: u32) -> u32 {
    (sum & 0xffff) + (sum >> 16)
}

#[inline]
fn fold(mut sum: u32) -> u16 {
    while sum > 0xffff {
        sum = fold_once(sum);
    }
    sum as u16
}
