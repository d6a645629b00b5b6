//! The `tcp_flags(...)` value syntax: `fin|syn` (exact), `+syn-ack` (only
//! the named bits matter), or numbers `0x12/0xfff`.

use super::scan::{at, conv_i, lit, starts_with};

/// The 12 bits a TCP flags field can match.
pub(super) const TCP_FLAGS_BITS: u16 = 0x0fff;

/// Names of the TCP flag bits, lowest bit first.
const NAMES: [(u16, &str); 12] = [
    (0x001, "fin"),
    (0x002, "syn"),
    (0x004, "rst"),
    (0x008, "psh"),
    (0x010, "ack"),
    (0x020, "urg"),
    (0x040, "ece"),
    (0x080, "cwr"),
    (0x100, "ns"),
    (0x200, "[200]"),
    (0x400, "[400]"),
    (0x800, "[800]"),
];

fn name_of(bit: u16) -> Option<&'static str> {
    NAMES.iter().find(|(b, _)| *b == bit).map(|(_, n)| *n)
}

/// The flag name at `i` whose next byte is one of `followers`.
fn name_at(b: &[u8], i: usize, followers: &[u8]) -> Option<(u16, usize)> {
    NAMES.iter().find_map(|(bit, name)| {
        let end = i + name.len();
        (starts_with(b, i, name) && followers.contains(&at(b, end))).then_some((*bit, end))
    })
}

/// Parses a flags value ending at `)` (not consumed). Returns (flags, mask,
/// end); the plain `a|b` form is exact (mask all ones).
pub(super) fn parse_tcp_flags(b: &[u8], i: usize) -> Option<(u16, u16, usize)> {
    if let Some((flags, mask, end)) = numeric_pair(b, i) {
        let allowed = u32::from(TCP_FLAGS_BITS);
        if flags & !allowed != 0 || mask & !allowed != 0 {
            return None;
        }
        return Some((flags as u16, mask as u16, end));
    }
    if matches!(at(b, i), b'+' | b'-') {
        return signed_names(b, i);
    }
    plain(b, i)
}

/// `flags/mask` as two 32-bit `%i` numbers.
fn numeric_pair(b: &[u8], i: usize) -> Option<(u32, u32, usize)> {
    let (flags, e) = conv_i(b, i)?;
    let e = lit(b, e, "/")?;
    let (mask, e) = conv_i(b, e)?;
    Some((flags as u32, mask as u32, e))
}

/// `+name-name...`: each named bit is matched, set or clear.
fn signed_names(b: &[u8], mut i: usize) -> Option<(u16, u16, usize)> {
    let (mut flags, mut mask) = (0u16, 0u16);
    while at(b, i) != b')' {
        let set = match at(b, i) {
            b'+' => true,
            b'-' => false,
            _ => return None,
        };
        let (bit, end) = name_at(b, i + 1, b"+-)")?;
        if mask & bit != 0 {
            return None;
        }
        if set {
            flags |= bit;
        }
        mask |= bit;
        i = end;
    }
    Some((flags, mask, i))
}

/// `name|number|...`: listed bits set, all others clear.
fn plain(b: &[u8], mut i: usize) -> Option<(u16, u16, usize)> {
    let mut flags: u64 = 0;
    while at(b, i) != b')' {
        if let Some((v, e)) = conv_i(b, i) {
            // ovs-dpctl checks the number against a 32-bit complement of
            // the flag bits, so bits above 31 pass and are then dropped.
            if v & u64::from(!u32::from(TCP_FLAGS_BITS)) != 0 {
                return None;
            }
            flags |= v;
            i = e + usize::from(at(b, e) == b'|');
            continue;
        }
        let (bit, end) = name_at(b, i, b"|)")?;
        flags |= u64::from(bit);
        i = end + usize::from(at(b, end) == b'|');
    }
    Some((flags as u16, u16::MAX, i))
}

/// Exact flags: names joined by `|`, unnamed bits as one hex number, `0`
/// for none.
pub(super) fn format_flags(out: &mut String, flags: u16) {
    if flags == 0 {
        out.push('0');
        return;
    }
    let mut bad = 0u16;
    let mut parts: Vec<String> = Vec::new();
    for shift in 0..16 {
        let bit = 1u16 << shift;
        if flags & bit == 0 {
            continue;
        }
        match name_of(bit) {
            Some(name) => parts.push(name.to_string()),
            None => bad |= bit,
        }
    }
    if bad != 0 {
        parts.push(format!("0x{bad:x}"));
    }
    out.push_str(&parts.join("|"));
}

/// Partially matched flags: `+name` / `-name` for each bit of `mask`
/// (already limited to the 12 flag bits).
pub(super) fn format_flags_masked(out: &mut String, flags: u16, mask: u16) {
    if mask == TCP_FLAGS_BITS {
        format_flags(out, flags);
        return;
    }
    if mask == 0 {
        out.push_str("0/0");
        return;
    }
    for shift in 0..16 {
        let bit = 1u16 << shift;
        if mask & bit == 0 {
            continue;
        }
        out.push(if flags & bit != 0 { '+' } else { '-' });
        out.push_str(name_of(bit).unwrap_or("[Unknown]"));
    }
}
