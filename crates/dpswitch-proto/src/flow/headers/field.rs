//! The byte readers and writers behind every view. None of them can
//! panic: a read past the end is `None`, a write past the end does
//! nothing. The views check their length once, in `new_checked`, so after
//! inlining the compiler sees each access is in bounds and drops the
//! fallback.

#[inline(always)]
pub(super) fn array<const N: usize>(b: &[u8], at: usize) -> Option<&[u8; N]> {
    b.get(at..)?.first_chunk::<N>()
}

#[inline(always)]
pub(super) fn u8_at(b: &[u8], at: usize) -> Option<u8> {
    b.get(at).copied()
}

#[inline(always)]
pub(super) fn be16(b: &[u8], at: usize) -> Option<u16> {
    array::<2>(b, at).map(|a| u16::from_be_bytes(*a))
}

#[inline(always)]
pub(super) fn be32(b: &[u8], at: usize) -> Option<u32> {
    array::<4>(b, at).map(|a| u32::from_be_bytes(*a))
}

#[inline(always)]
pub(super) fn be128(b: &[u8], at: usize) -> Option<u128> {
    array::<16>(b, at).map(|a| u128::from_be_bytes(*a))
}

#[inline(always)]
pub(super) fn mac(b: &[u8], at: usize) -> Option<[u8; 6]> {
    array::<6>(b, at).copied()
}

/// Stores `bytes` at `at` when they fit.
#[inline(always)]
pub(super) fn put<const N: usize>(b: &mut [u8], at: usize, bytes: [u8; N]) {
    if let Some(dst) = b.get_mut(at..).and_then(|rest| rest.first_chunk_mut::<N>()) {
        *dst = bytes;
    }
}
