//! Parsing datapath flow keys and masks from text, accepting what
//! `ovs-dpctl add-flow` accepts for the attributes dpswitch supports.

use super::error::{bad_value, syntax, token_until, TextError, TextErrorKind};
use super::field_scan::{scan_u16, scan_u32};
use super::scan::{at, ident_len, is_delimiter, skip_delimiters, starts_with, NUL};
use super::struct_parse::{
    parse_arp, parse_eth, parse_icmp, parse_ipv4, parse_ipv6, parse_nd, parse_ports, parse_vlan,
};
use super::tcp_flags::parse_tcp_flags;
use super::wire_size::{key_attr_size, MAX_NLA_PAYLOAD};
use crate::flow::odp::KeyAttr;

/// Deepest `encap(...)` nesting accepted (ovs-dpctl's limit).
const MAX_NESTING: usize = 32;

/// Open vSwitch key attributes that dpswitch refuses by name.
const UNSUPPORTED_ATTRS: [&str; 11] = [
    "tunnel",
    "ct_state",
    "ct_zone",
    "ct_mark",
    "ct_label",
    "ct_tuple4",
    "ct_tuple6",
    "mpls",
    "nsh",
    "packet_type",
    "nd_ext",
];

/// Parses an exact flow key, e.g.
/// `in_port(1),eth(src=00:01:02:03:04:05,dst=10:11:12:13:14:15),eth_type(0x0800)`.
/// Attributes may be separated by commas or white space. Struct fields take
/// no `/mask`; single-value attributes accept one and ignore it, as
/// ovs-dpctl does.
pub fn parse_key(s: &str) -> Result<Vec<KeyAttr>, TextError> {
    parse_flow(s, false).map(|(key, _)| key)
}

/// Parses a flow key with masks (`value/mask` in any field), returning the
/// key and a mask list of the same shape. Omitted fields are wildcarded.
pub fn parse_match(s: &str) -> Result<(Vec<KeyAttr>, Vec<KeyAttr>), TextError> {
    parse_flow(s, true)
}

/// The input as bytes; a NUL byte would end the text early for a C parser,
/// so it is refused outright.
pub(super) fn input_bytes(s: &str) -> Result<&[u8], TextError> {
    let b = s.as_bytes();
    match b.iter().position(|&c| c == NUL) {
        Some(pos) => Err(syntax("", b, pos)),
        None => Ok(b),
    }
}

fn parse_flow(s: &str, want_mask: bool) -> Result<(Vec<KeyAttr>, Vec<KeyAttr>), TextError> {
    let b = input_bytes(s)?;
    let (mut keys, mut masks) = (Vec::new(), Vec::new());
    let mut i = 0;
    loop {
        i = skip_delimiters(b, i);
        if at(b, i) == NUL {
            return Ok((keys, masks));
        }
        i = skip_ufid(b, i)?;
        let attr = parse_attr(b, i, want_mask, 0)?;
        keys.push(attr.key);
        masks.push(attr.mask);
        i = attr.end;
    }
}

/// Skips a `ufid:<uuid>` flow id (and one space after it), which flow text
/// may carry in front of the key.
fn skip_ufid(b: &[u8], i: usize) -> Result<usize, TextError> {
    if !starts_with(b, i, "ufid:") {
        return Ok(i);
    }
    let start = i + 5;
    let uuid_ok = (0..36).all(|k| {
        let c = at(b, start + k);
        if matches!(k, 8 | 13 | 18 | 23) {
            c == b'-'
        } else {
            c.is_ascii_hexdigit()
        }
    });
    if !uuid_ok {
        return Err(bad_value("ufid", None, b, start));
    }
    let end = start + 36;
    Ok(end + usize::from(at(b, end) == b' '))
}

/// One parsed attribute: its key, its mask (all ones where the text gave
/// none; meaningless when no mask was wanted) and where it ended.
pub(super) struct ParsedAttr {
    pub key: KeyAttr,
    pub mask: KeyAttr,
    pub end: usize,
}

/// Parses the key attribute at `i`.
pub(super) fn parse_attr(
    b: &[u8],
    i: usize,
    want_mask: bool,
    depth: usize,
) -> Result<ParsedAttr, TextError> {
    let name_end = i + ident_len(b, i);
    let name = std::str::from_utf8(b.get(i..name_end).unwrap_or(&[])).unwrap_or("");
    if at(b, name_end) != b'(' {
        return Err(unknown_attr(name, b, i));
    }
    let v = name_end + 1;
    let w = want_mask;
    let single = |scan: U32Scan| single_value(b, v, name, |b, j| scan(b, j, true));
    let (key, mask, end) = match name {
        "skb_priority" => pair(single(scan_u32)?, KeyAttr::Priority),
        "skb_mark" => pair(single(scan_u32)?, KeyAttr::SkbMark),
        "dp_hash" => pair(single(scan_u32)?, KeyAttr::DpHash),
        "in_port" => pair(single(scan_u32)?, KeyAttr::InPort),
        // recirc_id is always exact: a "/mask" is a syntax error.
        "recirc_id" => pair(single(|b, j, _| scan_u32(b, j, false))?, KeyAttr::RecircId),
        "eth_type" => pair(
            single_value(b, v, name, |b, j| scan_u16(b, j, true))?,
            KeyAttr::EthType,
        ),
        "tcp_flags" => pair(
            single_value(b, v, name, parse_tcp_flags)?,
            KeyAttr::TcpFlags,
        ),
        "eth" => parse_eth(b, v, w)?,
        "vlan" => parse_vlan(b, v, w)?,
        "ipv4" => parse_ipv4(b, v, w)?,
        "ipv6" => parse_ipv6(b, v, w)?,
        "tcp" => pair(parse_ports(b, v, w, name)?, KeyAttr::Tcp),
        "udp" => pair(parse_ports(b, v, w, name)?, KeyAttr::Udp),
        "sctp" => pair(parse_ports(b, v, w, name)?, KeyAttr::Sctp),
        "icmp" => pair(parse_icmp(b, v, w, name)?, KeyAttr::Icmp),
        "icmpv6" => pair(parse_icmp(b, v, w, name)?, KeyAttr::Icmpv6),
        "arp" => parse_arp(b, v, w)?,
        "nd" => parse_nd(b, v, w)?,
        "encap" => parse_encap(b, v, w, depth)?,
        _ => return Err(unknown_attr(name, b, i)),
    };
    Ok(ParsedAttr { key, mask, end })
}

fn unknown_attr(name: &str, b: &[u8], i: usize) -> TextError {
    const SUPPORTED: [&str; 20] = [
        "skb_priority",
        "skb_mark",
        "dp_hash",
        "in_port",
        "recirc_id",
        "eth_type",
        "tcp_flags",
        "eth",
        "vlan",
        "ipv4",
        "ipv6",
        "tcp",
        "udp",
        "sctp",
        "icmp",
        "icmpv6",
        "arp",
        "nd",
        "encap",
        "",
    ];
    if UNSUPPORTED_ATTRS.contains(&name) {
        TextError::new(TextErrorKind::UnsupportedKeyAttr(name.to_string()))
    } else if SUPPORTED.contains(&name) {
        // A known name without its "(", or no name at all.
        syntax("", b, i)
    } else {
        TextError::new(TextErrorKind::UnknownKeyAttr(token_until(b, i, |c| {
            c == b'(' || c == b')' || is_delimiter(c)
        })))
    }
}

/// A key, its mask and where the attribute ended.
pub(super) type Parsed = (KeyAttr, KeyAttr, usize);

/// A scanner of a 32-bit value with optional mask.
type U32Scan = fn(&[u8], usize, bool) -> Option<(u32, u32, usize)>;

fn pair<T>((k, m, end): (T, T, usize), make: fn(T) -> KeyAttr) -> Parsed {
    (make(k), make(m), end)
}

/// `name(value[/mask])`: one value, then `)`.
fn single_value<T>(
    b: &[u8],
    v: usize,
    name: &str,
    scan: impl Fn(&[u8], usize) -> Option<(T, T, usize)>,
) -> Result<(T, T, usize), TextError> {
    match scan(b, v) {
        // An empty value (e.g. `tcp_flags()`) is refused too.
        Some((key, mask, end)) if end > v && at(b, end) == b')' => Ok((key, mask, end + 1)),
        _ => Err(bad_value(name, None, b, v)),
    }
}

/// `encap(attr,...)`: the attributes inside a VLAN tag, any separators.
fn parse_encap(b: &[u8], v: usize, w: bool, depth: usize) -> Result<Parsed, TextError> {
    if depth + 1 >= MAX_NESTING {
        return Err(TextError::new(TextErrorKind::TooDeep {
            within: "encap".to_string(),
        }));
    }
    let (mut keys, mut masks) = (Vec::new(), Vec::new());
    let mut payload = 0usize;
    let mut i = v;
    loop {
        i = skip_delimiters(b, i);
        match at(b, i) {
            NUL => return Err(syntax("encap", b, i)),
            b')' => break,
            _ => {}
        }
        let attr = parse_attr(b, i, w, depth + 1)?;
        payload = payload.saturating_add(key_attr_size(&attr.key));
        if payload > MAX_NLA_PAYLOAD {
            return Err(TextError::new(TextErrorKind::TooLarge {
                within: "encap".to_string(),
            }));
        }
        keys.push(attr.key);
        masks.push(attr.mask);
        i = attr.end;
    }
    Ok((KeyAttr::Encap(keys), KeyAttr::Encap(masks), i + 1))
}
