//! IPv6 address text exactly as glibc's `inet_pton()` accepts it and
//! `inet_ntop()` prints it, which is what ovs-dpctl reads and shows. Rust's
//! `Ipv6Addr` differs (it prints `::1.2.3.4`-style forms differently), so
//! dpswitch keeps its own.

const WORDS: usize = 8;

/// Prints `addr` (big-endian integer: first byte most significant) as
/// glibc `inet_ntop(AF_INET6)` does.
pub(super) fn format_ipv6(addr: u128) -> String {
    let bytes = addr.to_be_bytes();
    let mut words = [0u16; WORDS];
    for (w, pair) in words.iter_mut().zip(bytes.chunks_exact(2)) {
        *w = u16::from_be_bytes([pair[0], pair[1]]);
    }
    let (best_base, best_len) = longest_zero_run(&words);

    let mut out = String::with_capacity(40);
    let mut i = 0;
    while i < WORDS {
        if best_len > 0 && i >= best_base && i < best_base + best_len {
            if i == best_base {
                out.push(':');
            }
            i += 1;
            continue;
        }
        if i != 0 {
            out.push(':');
        }
        let embeds_ipv4 = i == 6
            && best_len > 0
            && best_base == 0
            && (best_len == 6 || (best_len == 5 && words[5] == 0xffff));
        if embeds_ipv4 {
            out.push_str(&format!(
                "{}.{}.{}.{}",
                bytes[12], bytes[13], bytes[14], bytes[15]
            ));
            break;
        }
        out.push_str(&format!("{:x}", words[i]));
        i += 1;
    }
    if best_len > 0 && best_base + best_len == WORDS {
        out.push(':');
    }
    out
}

/// The first longest run of zero words, as (start, length); length 0 when
/// no run is at least two words long.
fn longest_zero_run(words: &[u16; WORDS]) -> (usize, usize) {
    let (mut best_base, mut best_len) = (0, 0);
    let mut run_start: Option<usize> = None;
    // A non-zero sentinel after the last word closes a trailing run.
    for (i, &word) in words.iter().chain(std::iter::once(&1)).enumerate() {
        match (word == 0, run_start) {
            (true, None) => run_start = Some(i),
            (false, Some(start)) => {
                if i - start > best_len {
                    best_base = start;
                    best_len = i - start;
                }
                run_start = None;
            }
            _ => {}
        }
    }
    if best_len < 2 {
        (0, 0)
    } else {
        (best_base, best_len)
    }
}

/// Parses IPv6 text as glibc `inet_pton(AF_INET6)` does: up to eight groups
/// of one to four hex digits, at most one `::`, and an optional dotted quad
/// (no leading zeros) in place of the last two groups.
pub(super) fn parse_ipv6(src: &[u8]) -> Option<u128> {
    let mut out = [0u8; 16];
    let mut tp = 0usize;
    let mut colon_at: Option<usize> = None;
    let mut i = 0usize;

    if src.is_empty() {
        return None;
    }
    if src[0] == b':' {
        i += 1;
        if src.get(i) != Some(&b':') {
            return None;
        }
    }
    let mut token_start = i;
    let mut digits = 0;
    let mut val: u32 = 0;
    while let Some(&c) = src.get(i) {
        i += 1;
        if let Some(d) = super::scan::hexit(c) {
            if digits == 4 {
                return None;
            }
            val = (val << 4) | d;
            digits += 1;
            continue;
        }
        if c == b':' {
            token_start = i;
            if digits == 0 {
                if colon_at.is_some() {
                    return None;
                }
                colon_at = Some(tp);
                continue;
            } else if i == src.len() {
                return None;
            }
            if tp + 2 > 16 {
                return None;
            }
            out[tp] = (val >> 8) as u8;
            out[tp + 1] = val as u8;
            tp += 2;
            digits = 0;
            val = 0;
            continue;
        }
        if c == b'.' && tp + 4 <= 16 {
            let quad = parse_ipv4_strict(src.get(token_start..)?)?;
            out[tp..tp + 4].copy_from_slice(&quad);
            tp += 4;
            digits = 0;
            break;
        }
        return None;
    }
    if digits > 0 {
        if tp + 2 > 16 {
            return None;
        }
        out[tp] = (val >> 8) as u8;
        out[tp + 1] = val as u8;
        tp += 2;
    }
    if let Some(colon) = colon_at {
        if tp == 16 {
            return None;
        }
        let n = tp - colon;
        let mut expanded = [0u8; 16];
        expanded[..colon].copy_from_slice(&out[..colon]);
        expanded[16 - n..].copy_from_slice(&out[colon..tp]);
        out = expanded;
        tp = 16;
    }
    if tp != 16 {
        return None;
    }
    Some(u128::from_be_bytes(out))
}

/// glibc `inet_pton(AF_INET)`: exactly four decimal octets, no leading zeros.
fn parse_ipv4_strict(src: &[u8]) -> Option<[u8; 4]> {
    let mut quad = [0u8; 4];
    let mut octets = 0usize;
    let mut saw_digit = false;
    let mut cur: u32 = 0;
    for &c in src {
        if c.is_ascii_digit() {
            if saw_digit && cur == 0 {
                return None;
            }
            cur = cur * 10 + u32::from(c - b'0');
            if cur > 255 {
                return None;
            }
            if !saw_digit {
                octets += 1;
                if octets > 4 {
                    return None;
                }
                saw_digit = true;
            }
            quad[octets - 1] = cur as u8;
        } else if c == b'.' && saw_digit {
            if octets == 4 {
                return None;
            }
            saw_digit = false;
            cur = 0;
        } else {
            return None;
        }
    }
    (octets == 4).then_some(quad)
}
