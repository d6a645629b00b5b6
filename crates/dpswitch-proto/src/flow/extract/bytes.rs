//! Bounds-checked reads from a packet. The parsers never index a packet
//! slice directly: every read goes through here and yields `None` past the
//! end, so a truncated or lying header can never cause a panic.

/// `N` bytes starting at `off`, if they are all inside `packet`.
#[inline(always)]
pub(super) fn array_at<const N: usize>(packet: &[u8], off: usize) -> Option<&[u8; N]> {
    packet.get(off..)?.first_chunk::<N>()
}

#[inline(always)]
pub(super) fn be16_at(packet: &[u8], off: usize) -> Option<u16> {
    array_at::<2>(packet, off).map(|b| u16::from_be_bytes(*b))
}

/// True when `len` bytes starting at `off` are inside `packet`.
#[inline(always)]
pub(super) fn fits(packet: &[u8], off: usize, len: usize) -> bool {
    packet
        .len()
        .checked_sub(off)
        .is_some_and(|rest| rest >= len)
}

#[inline(always)]
pub(super) fn be32_at(packet: &[u8], off: usize) -> Option<u32> {
    array_at::<4>(packet, off).map(|b| u32::from_be_bytes(*b))
}

#[inline(always)]
pub(super) fn be128_at(packet: &[u8], off: usize) -> Option<u128> {
    array_at::<16>(packet, off).map(|b| u128::from_be_bytes(*b))
}

#[inline(always)]
pub(super) fn mac_at(packet: &[u8], off: usize) -> Option<[u8; 6]> {
    array_at::<6>(packet, off).copied()
}

#[inline(always)]
pub(super) fn u8_at(packet: &[u8], off: usize) -> Option<u8> {
    packet.get(off).copied()
}
