//! Printing the fields of key attributes: `name=value` with `/mask` when
//! partially masked, left out when the mask is zero (unless verbose).

use std::fmt::Write as _;

use super::field_scan::IPV6_LABEL_MASK;
use super::inet6::format_ipv6;

/// `%#x`: hex with "0x", except zero, which prints as "0".
pub(super) fn alt_hex(v: u64) -> String {
    if v == 0 {
        "0".to_string()
    } else {
        format!("{v:#x}")
    }
}

fn ipv4_text(v: u32) -> String {
    let [a, b, c, d] = v.to_be_bytes();
    format!("{a}.{b}.{c}.{d}")
}

fn eth_text(e: [u8; 6]) -> String {
    format!(
        "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
        e[0], e[1], e[2], e[3], e[4], e[5]
    )
}

pub(super) fn chomp(out: &mut String, c: char) {
    if out.ends_with(c) {
        out.pop();
    }
}

/// Whether a field prints: always when verbose, otherwise unless its mask
/// is present and zero.
fn shown<T: PartialEq + Default>(mask: &Option<T>, verbose: bool) -> bool {
    verbose || mask.as_ref().is_none_or(|m| *m != T::default())
}

pub(super) fn put_eth(
    out: &mut String,
    name: &str,
    key: [u8; 6],
    mask: Option<[u8; 6]>,
    verbose: bool,
) {
    if !shown(&mask, verbose) {
        return;
    }
    let _ = write!(out, "{name}={}", eth_text(key));
    if let Some(m) = mask.filter(|m| *m != [0xff; 6]) {
        let _ = write!(out, "/{}", eth_text(m));
    }
    out.push(',');
}

pub(super) fn put_ipv4(out: &mut String, name: &str, key: u32, mask: Option<u32>, verbose: bool) {
    if !shown(&mask, verbose) {
        return;
    }
    let _ = write!(out, "{name}={}", ipv4_text(key));
    if let Some(m) = mask.filter(|m| *m != u32::MAX) {
        let _ = write!(out, "/{}", ipv4_text(m));
    }
    out.push(',');
}

pub(super) fn put_in6(out: &mut String, name: &str, key: u128, mask: Option<u128>, verbose: bool) {
    if !shown(&mask, verbose) {
        return;
    }
    let _ = write!(out, "{name}={}", format_ipv6(key));
    if let Some(m) = mask.filter(|m| *m != u128::MAX) {
        let _ = write!(out, "/{}", format_ipv6(m));
    }
    out.push(',');
}

pub(super) fn put_label(out: &mut String, key: u32, mask: Option<u32>, verbose: bool) {
    if !shown(&mask, verbose) {
        return;
    }
    let _ = write!(out, "label={}", alt_hex(u64::from(key)));
    if let Some(m) = mask.filter(|m| m & IPV6_LABEL_MASK != IPV6_LABEL_MASK) {
        let _ = write!(out, "/{}", alt_hex(u64::from(m)));
    }
    out.push(',');
}

/// An 8-bit field in hex (`tos`, `tclass`).
pub(super) fn put_u8x(out: &mut String, name: &str, key: u8, mask: Option<u8>, verbose: bool) {
    if !shown(&mask, verbose) {
        return;
    }
    let _ = write!(out, "{name}={}", alt_hex(u64::from(key)));
    put_partial_mask(out, mask.map(u64::from), u64::from(u8::MAX));
}

/// An 8-bit field in decimal (`proto`, `ttl`, ICMP type and code).
pub(super) fn put_u8u(out: &mut String, name: &str, key: u8, mask: Option<u8>, verbose: bool) {
    if !shown(&mask, verbose) {
        return;
    }
    let _ = write!(out, "{name}={key}");
    put_partial_mask(out, mask.map(u64::from), u64::from(u8::MAX));
}

/// A 16-bit field in decimal (ports, ARP op).
pub(super) fn put_u16(out: &mut String, name: &str, key: u16, mask: Option<u16>, verbose: bool) {
    if !shown(&mask, verbose) {
        return;
    }
    let _ = write!(out, "{name}={key}");
    put_partial_mask(out, mask.map(u64::from), u64::from(u16::MAX));
}

fn put_partial_mask(out: &mut String, mask: Option<u64>, full: u64) {
    if let Some(m) = mask.filter(|m| *m != full) {
        let _ = write!(out, "/{}", alt_hex(m));
    }
    out.push(',');
}

/// The fragment type is an enumeration: a partial mask cannot be shown as
/// a value, so it prints as an error note, as ovs-dpctl does.
pub(super) fn put_frag(out: &mut String, key: u8, mask: Option<u8>) {
    match mask {
        Some(0) => {}
        Some(m) if m != u8::MAX => {
            let _ = write!(
                out,
                "error: partial mask not supported for frag ({}),",
                alt_hex(u64::from(m))
            );
        }
        _ => {
            let name = match key {
                0 => "no",
                1 => "first",
                2 => "later",
                _ => "<error>",
            };
            let _ = write!(out, "frag={name},");
        }
    }
}
