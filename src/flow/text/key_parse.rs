//! Parsing datapath flow keys and masks from text, accepting what
//! `ovs-dpctl add-flow` accepts for the attributes dpswitch supports.

use super::error::{bad_value, syntax, token_until, TextError, TextErrorKind};
use super::field_scan::{
    scan_eth, scan_frag, scan_in6, scan_ipv4, scan_label, scan_tci_field, scan_u16, scan_u32,
    scan_u8,
};
use super::scan::{at, ident_len, is_delimiter, skip_delimiters, starts_with, NUL};
use super::tcp_flags::parse_tcp_flags;
use super::wire_size::{key_attr_size, MAX_NLA_PAYLOAD};
use crate::flow::key::VLAN_TAG_PRESENT;
use crate::flow::odp::{ArpKey, EthernetKey, IcmpKey, Ipv4Key, Ipv6Key, KeyAttr, NdKey, PortsKey};

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
        "tcp" => ports(parse_ports(b, v, w, name)?, KeyAttr::Tcp),
        "udp" => ports(parse_ports(b, v, w, name)?, KeyAttr::Udp),
        "sctp" => ports(parse_ports(b, v, w, name)?, KeyAttr::Sctp),
        "icmp" => icmp(parse_icmp(b, v, w, name)?, KeyAttr::Icmp),
        "icmpv6" => icmp(parse_icmp(b, v, w, name)?, KeyAttr::Icmpv6),
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

type Parsed = (KeyAttr, KeyAttr, usize);

/// A scanner of a 32-bit value with optional mask.
type U32Scan = fn(&[u8], usize, bool) -> Option<(u32, u32, usize)>;

fn pair<T>((k, m, end): (T, T, usize), make: fn(T) -> KeyAttr) -> Parsed {
    (make(k), make(m), end)
}

fn ports((k, m, end): (PortsKey, PortsKey, usize), make: fn(PortsKey) -> KeyAttr) -> Parsed {
    (make(k), make(m), end)
}

fn icmp((k, m, end): (IcmpKey, IcmpKey, usize), make: fn(IcmpKey) -> KeyAttr) -> Parsed {
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

/// The `field=value,...)` list of a structured attribute. `scan(f, j)`
/// scans field `names[f]` whose value starts at `j` and returns the end of
/// the value. A trailing comma before `)` is allowed; fields may repeat
/// (the last one wins) and come in any order.
fn fields(
    b: &[u8],
    mut i: usize,
    within: &str,
    names: &[&str],
    mut scan: impl FnMut(usize, usize) -> Option<usize>,
) -> Result<usize, TextError> {
    loop {
        match names.iter().position(|n| starts_with(b, i, n)) {
            Some(f) => {
                let v = i + names[f].len();
                let end = scan(f, v).filter(|e| matches!(at(b, *e), b',' | b')'));
                match end {
                    Some(e) if at(b, e) == b')' => return Ok(e + 1),
                    Some(e) => i = e + 1,
                    None => return Err(bad_value(within, Some(names[f]), b, v)),
                }
            }
            None if at(b, i) == b')' => return Ok(i + 1),
            None if ident_len(b, i) > 0 && at(b, i + ident_len(b, i)) == b'=' => {
                return Err(TextError::new(TextErrorKind::UnknownField {
                    within: within.to_string(),
                    field: token_until(b, i, |c| c == b'='),
                }))
            }
            None => return Err(syntax(within, b, i)),
        }
    }
}

fn parse_eth(b: &[u8], v: usize, w: bool) -> Result<Parsed, TextError> {
    let (mut k, mut m) = (EthernetKey::default(), EthernetKey::default());
    let end = fields(b, v, "eth", &["src=", "dst="], |f, j| {
        let (key, mask, e) = scan_eth(b, j, w)?;
        let (kf, mf) = match f {
            0 => (&mut k.src, &mut m.src),
            _ => (&mut k.dst, &mut m.dst),
        };
        (*kf, *mf) = (key, mask);
        Some(e)
    })?;
    Ok((KeyAttr::Ethernet(k), KeyAttr::Ethernet(m), end))
}

/// `vlan(vid=,pcp=,cfi=)`: the tag-present (CFI) bit starts set in both the
/// key and the mask, so `vlan(vid=5)` means "tagged, VID 5".
fn parse_vlan(b: &[u8], v: usize, w: bool) -> Result<Parsed, TextError> {
    let (mut tci, mut mask) = (VLAN_TAG_PRESENT, VLAN_TAG_PRESENT);
    let end = fields(b, v, "vlan", &["vid=", "pcp=", "cfi="], |f, j| {
        let (bits, shift) = match f {
            0 => (12, 0),
            1 => (3, 13),
            _ => (1, 12),
        };
        scan_tci_field(b, j, w, &mut tci, &mut mask, bits, shift)
    })?;
    Ok((KeyAttr::Vlan(tci), KeyAttr::Vlan(mask), end))
}

fn parse_ipv4(b: &[u8], v: usize, w: bool) -> Result<Parsed, TextError> {
    let (mut k, mut m) = (Ipv4Key::default(), Ipv4Key::default());
    let names = ["src=", "dst=", "proto=", "tos=", "ttl=", "frag="];
    let end = fields(b, v, "ipv4", &names, |f, j| {
        if f < 2 {
            let (key, mask, e) = scan_ipv4(b, j, w)?;
            let (kf, mf) = if f == 0 {
                (&mut k.src, &mut m.src)
            } else {
                (&mut k.dst, &mut m.dst)
            };
            (*kf, *mf) = (key, mask);
            return Some(e);
        }
        let (key, mask, e) = if f == 5 {
            scan_frag(b, j)?
        } else {
            scan_u8(b, j, w)?
        };
        let (kf, mf) = match f {
            2 => (&mut k.proto, &mut m.proto),
            3 => (&mut k.tos, &mut m.tos),
            4 => (&mut k.ttl, &mut m.ttl),
            _ => (&mut k.frag, &mut m.frag),
        };
        (*kf, *mf) = (key, mask);
        Some(e)
    })?;
    Ok((KeyAttr::Ipv4(k), KeyAttr::Ipv4(m), end))
}

fn parse_ipv6(b: &[u8], v: usize, w: bool) -> Result<Parsed, TextError> {
    let (mut k, mut m) = (Ipv6Key::default(), Ipv6Key::default());
    let names = [
        "src=", "dst=", "label=", "proto=", "tclass=", "hlimit=", "frag=",
    ];
    let end = fields(b, v, "ipv6", &names, |f, j| match f {
        0 | 1 => {
            let (key, mask, e) = scan_in6(b, j, w)?;
            let (kf, mf) = if f == 0 {
                (&mut k.src, &mut m.src)
            } else {
                (&mut k.dst, &mut m.dst)
            };
            (*kf, *mf) = (key, mask);
            Some(e)
        }
        2 => {
            let (key, mask, e) = scan_label(b, j, w)?;
            (k.label, m.label) = (key, mask);
            Some(e)
        }
        _ => {
            let (key, mask, e) = if f == 6 {
                scan_frag(b, j)?
            } else {
                scan_u8(b, j, w)?
            };
            let (kf, mf) = match f {
                3 => (&mut k.proto, &mut m.proto),
                4 => (&mut k.tclass, &mut m.tclass),
                5 => (&mut k.hlimit, &mut m.hlimit),
                _ => (&mut k.frag, &mut m.frag),
            };
            (*kf, *mf) = (key, mask);
            Some(e)
        }
    })?;
    Ok((KeyAttr::Ipv6(k), KeyAttr::Ipv6(m), end))
}

fn parse_ports(
    b: &[u8],
    v: usize,
    w: bool,
    within: &str,
) -> Result<(PortsKey, PortsKey, usize), TextError> {
    let (mut k, mut m) = (PortsKey::default(), PortsKey::default());
    let end = fields(b, v, within, &["src=", "dst="], |f, j| {
        let (key, mask, e) = scan_u16(b, j, w)?;
        let (kf, mf) = if f == 0 {
            (&mut k.src, &mut m.src)
        } else {
            (&mut k.dst, &mut m.dst)
        };
        (*kf, *mf) = (key, mask);
        Some(e)
    })?;
    Ok((k, m, end))
}

fn parse_icmp(
    b: &[u8],
    v: usize,
    w: bool,
    within: &str,
) -> Result<(IcmpKey, IcmpKey, usize), TextError> {
    let (mut k, mut m) = (IcmpKey::default(), IcmpKey::default());
    let end = fields(b, v, within, &["type=", "code="], |f, j| {
        let (key, mask, e) = scan_u8(b, j, w)?;
        let (kf, mf) = if f == 0 {
            (&mut k.icmp_type, &mut m.icmp_type)
        } else {
            (&mut k.code, &mut m.code)
        };
        (*kf, *mf) = (key, mask);
        Some(e)
    })?;
    Ok((k, m, end))
}

fn parse_arp(b: &[u8], v: usize, w: bool) -> Result<Parsed, TextError> {
    let (mut k, mut m) = (ArpKey::default(), ArpKey::default());
    let names = ["sip=", "tip=", "op=", "sha=", "tha="];
    let end = fields(b, v, "arp", &names, |f, j| match f {
        0 | 1 => {
            let (key, mask, e) = scan_ipv4(b, j, w)?;
            let (kf, mf) = if f == 0 {
                (&mut k.sip, &mut m.sip)
            } else {
                (&mut k.tip, &mut m.tip)
            };
            (*kf, *mf) = (key, mask);
            Some(e)
        }
        2 => {
            let (key, mask, e) = scan_u16(b, j, w)?;
            (k.op, m.op) = (key, mask);
            Some(e)
        }
        _ => {
            let (key, mask, e) = scan_eth(b, j, w)?;
            let (kf, mf) = if f == 3 {
                (&mut k.sha, &mut m.sha)
            } else {
                (&mut k.tha, &mut m.tha)
            };
            (*kf, *mf) = (key, mask);
            Some(e)
        }
    })?;
    Ok((KeyAttr::Arp(k), KeyAttr::Arp(m), end))
}

fn parse_nd(b: &[u8], v: usize, w: bool) -> Result<Parsed, TextError> {
    let (mut k, mut m) = (NdKey::default(), NdKey::default());
    let end = fields(b, v, "nd", &["target=", "sll=", "tll="], |f, j| {
        if f == 0 {
            let (key, mask, e) = scan_in6(b, j, w)?;
            (k.target, m.target) = (key, mask);
            return Some(e);
        }
        let (key, mask, e) = scan_eth(b, j, w)?;
        let (kf, mf) = if f == 1 {
            (&mut k.sll, &mut m.sll)
        } else {
            (&mut k.tll, &mut m.tll)
        };
        (*kf, *mf) = (key, mask);
        Some(e)
    })?;
    Ok((KeyAttr::Nd(k), KeyAttr::Nd(m), end))
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
