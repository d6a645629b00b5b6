//! Value scanners for key attribute fields: each reads `value` or, when a
//! mask is wanted, `value/mask`, and returns (value, mask, end). Without a
//! `/mask` the mask is all ones, as in ovs-dpctl. A `/` that does not scan
//! as a mask is left unread, so the caller fails on it.

use super::inet6::parse_ipv6;
use super::scan::{at, conv_i, conv_set, conv_u, conv_x, lit};

/// Scans `value[/mask]` with `one` scanning each half.
fn masked<T: Copy>(
    b: &[u8],
    i: usize,
    want_mask: bool,
    full: T,
    one: impl Fn(&[u8], usize) -> Option<(T, usize)>,
) -> Option<(T, T, usize)> {
    let (value, end) = one(b, i)?;
    if want_mask && at(b, end) == b'/' {
        if let Some((mask, mask_end)) = one(b, end + 1) {
            return Some((value, mask, mask_end));
        }
    }
    Some((value, full, end))
}

pub(super) fn scan_u8(b: &[u8], i: usize, want_mask: bool) -> Option<(u8, u8, usize)> {
    masked(b, i, want_mask, u8::MAX, |b, i| {
        conv_i(b, i).map(|(v, e)| (v as u8, e))
    })
}

pub(super) fn scan_u16(b: &[u8], i: usize, want_mask: bool) -> Option<(u16, u16, usize)> {
    masked(b, i, want_mask, u16::MAX, |b, i| {
        conv_i(b, i).map(|(v, e)| (v as u16, e))
    })
}

pub(super) fn scan_u32(b: &[u8], i: usize, want_mask: bool) -> Option<(u32, u32, usize)> {
    masked(b, i, want_mask, u32::MAX, |b, i| {
        conv_i(b, i).map(|(v, e)| (v as u32, e))
    })
}

/// Six `%hhx` octets separated by `:`.
fn eth_addr(b: &[u8], mut i: usize) -> Option<([u8; 6], usize)> {
    let mut addr = [0u8; 6];
    for (n, octet) in addr.iter_mut().enumerate() {
        if n > 0 {
            i = lit(b, i, ":")?;
        }
        let (v, e) = conv_x(b, i)?;
        *octet = v as u8;
        i = e;
    }
    Some((addr, i))
}

pub(super) fn scan_eth(b: &[u8], i: usize, want_mask: bool) -> Option<([u8; 6], [u8; 6], usize)> {
    masked(b, i, want_mask, [0xff; 6], eth_addr)
}

/// Four `%hhu` octets separated by `.`.
fn ipv4_addr(b: &[u8], mut i: usize) -> Option<(u32, usize)> {
    let mut addr = [0u8; 4];
    for (n, octet) in addr.iter_mut().enumerate() {
        if n > 0 {
            i = lit(b, i, ".")?;
        }
        let (v, e) = conv_u(b, i)?;
        *octet = v as u8;
        i = e;
    }
    Some((u32::from_be_bytes(addr), i))
}

pub(super) fn scan_ipv4(b: &[u8], i: usize, want_mask: bool) -> Option<(u32, u32, usize)> {
    masked(b, i, want_mask, u32::MAX, ipv4_addr)
}

/// Up to 46 characters of `[0-9a-fA-F:.]`, then `inet_pton`.
fn ipv6_addr(b: &[u8], i: usize) -> Option<(u128, usize)> {
    let (text, end) = conv_set(b, i, 46, |c| {
        c.is_ascii_hexdigit() || c == b':' || c == b'.'
    })?;
    Some((parse_ipv6(text)?, end))
}

pub(super) fn scan_in6(b: &[u8], i: usize, want_mask: bool) -> Option<(u128, u128, usize)> {
    masked(b, i, want_mask, u128::MAX, ipv6_addr)
}

pub(super) const IPV6_LABEL_MASK: u32 = 0x000f_ffff;

/// A flow label: `%i` that must fit in 20 bits, for the value and the mask.
pub(super) fn scan_label(b: &[u8], i: usize, want_mask: bool) -> Option<(u32, u32, usize)> {
    masked(b, i, want_mask, IPV6_LABEL_MASK, |b, i| {
        conv_i(b, i)
            .map(|(v, e)| (v as u32, e))
            .filter(|(v, _)| v & !IPV6_LABEL_MASK == 0)
    })
}

/// `no`, `first` or `later` (read as up to 7 lowercase letters); never
/// takes a mask, and is exact when a mask is wanted.
pub(super) fn scan_frag(b: &[u8], i: usize) -> Option<(u8, u8, usize)> {
    let (word, end) = conv_set(b, i, 7, |c| c.is_ascii_lowercase())?;
    let frag = match word {
        b"no" => 0,
        b"first" => 1,
        b"later" => 2,
        _ => return None,
    };
    Some((frag, u8::MAX, end))
}

/// One bit field of the VLAN TCI (`vid`, `pcp` or `cfi`): the value is a
/// `%hi` that must fit in `bits`; it replaces those bits of `tci`. With a
/// mask wanted, `/mask` replaces the field's mask bits, which are otherwise
/// all set. A `/mask` too wide for the field is an error.
pub(super) fn scan_tci_field(
    b: &[u8],
    i: usize,
    want_mask: bool,
    tci: &mut u16,
    tci_mask: &mut u16,
    bits: u32,
    shift: u32,
) -> Option<usize> {
    let field = ((1u32 << bits) - 1) << shift;
    let (value, mut end) = conv_i(b, i).map(|(v, e)| (v as u16, e))?;
    *tci = put_bits(*tci, field, bits, shift, value)?;
    if want_mask {
        let mask = (at(b, end) == b'/').then(|| conv_i(b, end + 1)).flatten();
        match mask {
            Some((m, mask_end)) => {
                *tci_mask = put_bits(*tci_mask, field, bits, shift, m as u16)?;
                end = mask_end;
            }
            None => *tci_mask |= field as u16,
        }
    }
    Some(end)
}

fn put_bits(word: u16, field: u32, bits: u32, shift: u32, value: u16) -> Option<u16> {
    if u32::from(value) >> bits != 0 {
        return None;
    }
    Some(((u32::from(word) & !field) | (u32::from(value) << shift)) as u16)
}
