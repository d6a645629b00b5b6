//! The structured key attributes (`eth(...)`, `ipv4(...)`, ...): their
//! `field=value` lists, each field optionally `value/mask`.

use super::error::{bad_value, syntax, token_until, TextError, TextErrorKind};
use super::field_scan::{
    scan_eth, scan_frag, scan_in6, scan_ipv4, scan_label, scan_tci_field, scan_u16, scan_u8,
};
use super::key_parse::Parsed;
use super::scan::{at, ident_len, starts_with};
use crate::flow::key::VLAN_TAG_PRESENT;
use crate::flow::odp::{ArpKey, EthernetKey, IcmpKey, Ipv4Key, Ipv6Key, KeyAttr, NdKey, PortsKey};

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

pub(super) fn parse_eth(b: &[u8], v: usize, w: bool) -> Result<Parsed, TextError> {
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
pub(super) fn parse_vlan(b: &[u8], v: usize, w: bool) -> Result<Parsed, TextError> {
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

pub(super) fn parse_ipv4(b: &[u8], v: usize, w: bool) -> Result<Parsed, TextError> {
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

pub(super) fn parse_ipv6(b: &[u8], v: usize, w: bool) -> Result<Parsed, TextError> {
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

pub(super) fn parse_ports(
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

pub(super) fn parse_icmp(
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

pub(super) fn parse_arp(b: &[u8], v: usize, w: bool) -> Result<Parsed, TextError> {
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

pub(super) fn parse_nd(b: &[u8], v: usize, w: bool) -> Result<Parsed, TextError> {
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
