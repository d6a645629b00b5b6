//! Scanning primitives that accept exactly what Open vSwitch's `ovs_scan()`
//! conversions accept, so text that ovs-dpctl takes is taken here too.
//!
//! Positions are byte offsets into the input; reading past the end yields
//! NUL, the way the C parser sees the end of its string. Numbers wrap the way
//! the C scanner does: digits accumulate modulo 2^64 and the caller keeps
//! the low bits that fit its field ("0x1ff" in an 8-bit field is 0xff).

/// The end-of-input sentinel.
pub(super) const NUL: u8 = 0;

/// The byte at `i`, or NUL past the end.
pub(super) fn at(b: &[u8], i: usize) -> u8 {
    b.get(i).copied().unwrap_or(NUL)
}

pub(super) fn starts_with(b: &[u8], i: usize, lit: &str) -> bool {
    b.get(i..)
        .is_some_and(|rest| rest.starts_with(lit.as_bytes()))
}

/// C `isspace()` in the "C" locale.
pub(super) fn is_c_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

pub(super) fn skip_spaces(b: &[u8], mut i: usize) -> usize {
    while is_c_space(at(b, i)) {
        i += 1;
    }
    i
}

/// What may separate one key attribute or action from the next.
pub(super) fn is_delimiter(c: u8) -> bool {
    matches!(c, b',' | b' ' | b'\t' | b'\r' | b'\n')
}

pub(super) fn skip_delimiters(b: &[u8], mut i: usize) -> usize {
    while is_delimiter(at(b, i)) {
        i += 1;
    }
    i
}

/// Length of the identifier (`[A-Za-z0-9_]*`) at `i`.
pub(super) fn ident_len(b: &[u8], i: usize) -> usize {
    b.get(i..)
        .map(|rest| {
            rest.iter()
                .take_while(|c| c.is_ascii_alphanumeric() || **c == b'_')
                .count()
        })
        .unwrap_or(0)
}

pub(super) fn hexit(c: u8) -> Option<u32> {
    (c as char).to_digit(16)
}

/// An integer without leading white space: optional sign, then digits in
/// `base` (0 picks 16 for "0x", 8 for a leading "0", else 10; 16 also takes
/// an optional "0x"). At least one digit is required after any prefix.
fn scan_int(b: &[u8], mut i: usize, base: u32) -> Option<(u64, usize)> {
    let negative = at(b, i) == b'-';
    if matches!(at(b, i), b'-' | b'+') {
        i += 1;
    }
    let mut base = base;
    if (base == 0 || base == 16) && at(b, i) == b'0' && matches!(at(b, i + 1), b'x' | b'X') {
        base = 16;
        i += 2;
    } else if base == 0 {
        base = if at(b, i) == b'0' { 8 } else { 10 };
    }
    let mut value: u64 = 0;
    let mut digits = 0usize;
    while let Some(d) = hexit(at(b, i)).filter(|d| *d < base) {
        value = value
            .wrapping_mul(u64::from(base))
            .wrapping_add(u64::from(d));
        digits += 1;
        i += 1;
    }
    if digits == 0 {
        return None;
    }
    Some((
        if negative {
            value.wrapping_neg()
        } else {
            value
        },
        i,
    ))
}

/// `%i`: white space, then a C integer in any base.
pub(super) fn conv_i(b: &[u8], i: usize) -> Option<(u64, usize)> {
    scan_int(b, skip_spaces(b, i), 0)
}

/// `%u` / `%d`: white space, then a decimal integer.
pub(super) fn conv_u(b: &[u8], i: usize) -> Option<(u64, usize)> {
    scan_int(b, skip_spaces(b, i), 10)
}

/// `%x`: white space, then a hexadecimal integer with optional "0x".
pub(super) fn conv_x(b: &[u8], i: usize) -> Option<(u64, usize)> {
    scan_int(b, skip_spaces(b, i), 16)
}

/// `%lf`: white space, then `[+-]digits[.digits][(e|E)[+-]digits]` converted
/// by strtod. An empty number converts to 0, as it does in the C scanner.
pub(super) fn conv_float(b: &[u8], i: usize) -> Option<(f64, usize)> {
    let start = skip_spaces(b, i);
    let mut j = start;
    if matches!(at(b, j), b'+' | b'-') {
        j += 1;
    }
    j = skip_digits(b, j);
    if at(b, j) == b'.' {
        j = skip_digits(b, j + 1);
    }
    if matches!(at(b, j), b'e' | b'E') {
        j += 1;
        if matches!(at(b, j), b'+' | b'-') {
            j += 1;
        }
        j = skip_digits(b, j);
    }
    let text = std::str::from_utf8(b.get(start..j)?).ok()?;
    let value = if text.is_empty() {
        0.0
    } else {
        text.parse::<f64>().ok()?
    };
    Some((value, j))
}

fn skip_digits(b: &[u8], mut i: usize) -> usize {
    while at(b, i).is_ascii_digit() {
        i += 1;
    }
    i
}

/// `%N[set]`: between 1 and `max` bytes accepted by `in_set`, no white
/// space skipped.
pub(super) fn conv_set(
    b: &[u8],
    i: usize,
    max: usize,
    in_set: impl Fn(u8) -> bool,
) -> Option<(&[u8], usize)> {
    let rest = b.get(i..)?;
    let n = rest.iter().take(max).take_while(|c| in_set(**c)).count();
    if n == 0 {
        return None;
    }
    Some((rest.get(..n)?, i + n))
}

/// A literal that must follow at `i` exactly.
pub(super) fn lit(b: &[u8], i: usize, text: &str) -> Option<usize> {
    starts_with(b, i, text).then(|| i + text.len())
}
