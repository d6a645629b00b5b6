//! Flow keys and masks on the wire: a list of `OVS_KEY_ATTR_*` attributes
//! whose payloads are the C structs of `openvswitch.h` (network byte order
//! where the header says `__be`, host order otherwise), with
//! `OVS_KEY_ATTR_ENCAP` nesting the attributes inside a VLAN tag.
//!
//! Decoding checks what the kernel's `parse_flow_nlattrs()` checks: every
//! byte belongs to a whole attribute, ids are known, no attribute appears
//! twice (across an encapsulation too, except vlan and eth_type which each
//! tag level has), fixed-size payloads have their exact size. Attributes the
//! kernel defines but dpswitch does not implement (tunnel, conntrack, MPLS,
//! NSH, ...) are rejected by name. Everything fails with EINVAL.

use super::attr::{attrs, bytes_at, AttrWriter};
use super::consts::*;
use super::error::NlError;
use crate::flow::odp::{
    ArpKey, EthernetKey, IcmpKey, Ipv4Key, Ipv6Key, KeyAttr, KeyAttrKind, NdKey, PortsKey,
};

/// How many VLAN encapsulations a key may nest (802.1ad outer tag plus
/// 802.1Q inner tag), as the kernel parses no deeper.
pub const MAX_ENCAP_DEPTH: usize = 2;

/// What the wire format requires of an attribute's payload length.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PayloadLen {
    /// Exactly this many bytes (the C struct's `sizeof`).
    Fixed(usize),
    /// A list of attributes.
    Nested,
    /// Any length.
    Variable,
    /// Defined for user space only (or the kernel's own use): never
    /// accepted on the wire.
    Reserved,
}

/// The payload rule of an `OVS_KEY_ATTR_*` id, `None` past the last id.
pub fn payload_len(id: u16) -> Option<PayloadLen> {
    use PayloadLen::*;
    Some(match id {
        OVS_KEY_ATTR_UNSPEC => Fixed(0),
        OVS_KEY_ATTR_ENCAP | OVS_KEY_ATTR_TUNNEL | OVS_KEY_ATTR_NSH => Nested,
        OVS_KEY_ATTR_PRIORITY
        | OVS_KEY_ATTR_IN_PORT
        | OVS_KEY_ATTR_SKB_MARK
        | OVS_KEY_ATTR_DP_HASH
        | OVS_KEY_ATTR_RECIRC_ID
        | OVS_KEY_ATTR_CT_STATE
        | OVS_KEY_ATTR_CT_MARK => Fixed(4),
        OVS_KEY_ATTR_ETHERNET => Fixed(12),
        OVS_KEY_ATTR_VLAN
        | OVS_KEY_ATTR_ETHERTYPE
        | OVS_KEY_ATTR_TCP_FLAGS
        | OVS_KEY_ATTR_CT_ZONE
        | OVS_KEY_ATTR_IPV6_EXTHDRS => Fixed(2),
        OVS_KEY_ATTR_IPV4 => Fixed(12),
        OVS_KEY_ATTR_IPV6 => Fixed(40),
        OVS_KEY_ATTR_TCP | OVS_KEY_ATTR_UDP | OVS_KEY_ATTR_SCTP => Fixed(4),
        OVS_KEY_ATTR_ICMP | OVS_KEY_ATTR_ICMPV6 => Fixed(2),
        // 22 bytes of fields padded to the struct's 4-byte alignment.
        OVS_KEY_ATTR_ARP => Fixed(24),
        OVS_KEY_ATTR_ND => Fixed(28),
        // One or more `struct ovs_key_mpls` label stack entries.
        OVS_KEY_ATTR_MPLS => Variable,
        OVS_KEY_ATTR_CT_LABELS => Fixed(16),
        OVS_KEY_ATTR_CT_ORIG_TUPLE_IPV4 => Fixed(16),
        OVS_KEY_ATTR_CT_ORIG_TUPLE_IPV6 => Fixed(40),
        OVS_KEY_ATTR_PACKET_TYPE | OVS_KEY_ATTR_ND_EXTENSIONS | OVS_KEY_ATTR_TUNNEL_INFO => {
            Reserved
        }
        _ => return None,
    })
}

/// The fixed payload size of an `OVS_KEY_ATTR_*` id, if it has one.
pub fn fixed_payload_len(id: u16) -> Option<usize> {
    match payload_len(id)? {
        PayloadLen::Fixed(len) => Some(len),
        _ => None,
    }
}

/// Decodes a flow key (the payload of `OVS_FLOW_ATTR_KEY` or
/// `OVS_PACKET_ATTR_KEY`).
pub fn decode_key(buf: &[u8]) -> Result<Vec<KeyAttr>, NlError> {
    let mut out = Vec::new();
    decode_level(buf, Mode::KEY, 0, 0, &mut out)?;
    Ok(out)
}

/// [`decode_key`] into `out` (cleared first), whose room is reused: a
/// caller decoding many keys allocates for none of them.
pub fn decode_key_into(buf: &[u8], out: &mut Vec<KeyAttr>) -> Result<(), NlError> {
    out.clear();
    decode_level(buf, Mode::KEY, 0, 0, out)
}

/// Decodes a flow mask (the payload of `OVS_FLOW_ATTR_MASK`). As in the
/// kernel, an attribute whose payload is all zeros wildcards its field
/// completely and is treated as absent: it is left out of the result (after
/// its id, duplicate and length checks), even when dpswitch does not
/// implement that attribute. So is a tunnel mask whose nested attributes
/// are all zero.
pub fn decode_mask(buf: &[u8]) -> Result<Vec<KeyAttr>, NlError> {
    let mut out = Vec::new();
    decode_level(buf, Mode::MASK, 0, 0, &mut out)?;
    Ok(out)
}

/// [`decode_mask`] into `out` (cleared first), as [`decode_key_into`].
pub fn decode_mask_into(buf: &[u8], out: &mut Vec<KeyAttr>) -> Result<(), NlError> {
    out.clear();
    decode_level(buf, Mode::MASK, 0, 0, out)
}

/// Whether a mask attribute leaves its whole field wildcarded: all of its
/// bytes zero or, for the nested tunnel key, all of its attributes' values.
/// Open vSwitch writes a tunnel mask into every flow it installs (with at
/// least `OVS_TUNNEL_KEY_ATTR_TTL`), all zero when the flow matches no
/// tunnel field, and the kernel takes that as no tunnel match.
fn wildcards_everything(id: u16, payload: &[u8], context: &'static str) -> Result<bool, NlError> {
    if payload.iter().all(|byte| *byte == 0) {
        return Ok(true);
    }
    if id != OVS_KEY_ATTR_TUNNEL {
        return Ok(false);
    }
    for nested in attrs(payload, context) {
        let nested = nested?.payload();
        // A flag attribute (no payload) present in a mask matches its bit.
        if nested.is_empty() || nested.iter().any(|byte| *byte != 0) {
            return Ok(false);
        }
    }
    Ok(true)
}

#[derive(Clone, Copy)]
struct Mode {
    context: &'static str,
    skip_all_zero: bool,
}

impl Mode {
    const KEY: Mode = Mode {
        context: "flow key",
        skip_all_zero: false,
    };
    const MASK: Mode = Mode {
        context: "flow mask",
        skip_all_zero: true,
    };
}

fn bit(id: u16) -> u64 {
    1u64.checked_shl(u32::from(id)).unwrap_or(0)
}

/// Decodes one level, appending to `out`; `seen` holds the ids met at the
/// enclosing levels, and `depth` counts the encapsulations entered to get
/// here.
fn decode_level(
    buf: &[u8],
    mode: Mode,
    seen: u64,
    depth: usize,
    out: &mut Vec<KeyAttr>,
) -> Result<(), NlError> {
    let context = mode.context;
    let mut seen = seen;
    let mut encap: Option<(usize, &[u8])> = None;
    for attr in attrs(buf, context) {
        let attr = attr?;
        let id = attr.kind();
        let name = key_attr_name(id).ok_or(NlError::UnknownAttr { context, id })?;
        if seen & bit(id) != 0 {
            return Err(NlError::DuplicateAttr { context, name, id });
        }
        let payload = attr.payload();
        check_len(context, id, payload.len())?;
        if mode.skip_all_zero && wildcards_everything(id, payload, context)? {
            continue;
        }
        seen |= bit(id);
        match KeyAttrKind::from_id(id) {
            None => return Err(NlError::Unsupported { context, name, id }),
            Some(KeyAttrKind::Encap) => {
                encap = Some((out.len(), payload));
                out.push(KeyAttr::Encap(Vec::new()));
            }
            Some(kind) => out.push(decode_fixed(context, kind, payload)?),
        }
    }
    // Like the kernel, the inside of a tag is read after the whole level,
    // so an attribute repeated inside it is a duplicate wherever the outer
    // one stood; only the tag's own attributes start afresh.
    if let Some((index, inner)) = encap {
        if depth >= MAX_ENCAP_DEPTH {
            return Err(NlError::NestedTooDeep {
                context,
                limit: MAX_ENCAP_DEPTH,
            });
        }
        let per_tag =
            bit(OVS_KEY_ATTR_ENCAP) | bit(OVS_KEY_ATTR_VLAN) | bit(OVS_KEY_ATTR_ETHERTYPE);
        let mut decoded = Vec::new();
        decode_level(
            inner,
            mode,
            seen & !per_tag,
            depth.saturating_add(1),
            &mut decoded,
        )?;
        if let Some(slot) = out.get_mut(index) {
            *slot = KeyAttr::Encap(decoded);
        }
    }
    Ok(())
}

/// Checks the payload length rule of a known id.
pub(crate) fn check_len(context: &'static str, id: u16, got: usize) -> Result<(), NlError> {
    let name = key_attr_name(id).ok_or(NlError::UnknownAttr { context, id })?;
    match payload_len(id) {
        Some(PayloadLen::Fixed(expected)) if expected != got => Err(NlError::BadLength {
            context,
            name,
            id,
            expected,
            got,
        }),
        Some(PayloadLen::Reserved) => Err(NlError::Unsupported { context, name, id }),
        _ => Ok(()),
    }
}

/// Decodes the payload of a fixed-size kind whose length was checked.
pub(crate) fn decode_fixed(
    context: &'static str,
    kind: KeyAttrKind,
    payload: &[u8],
) -> Result<KeyAttr, NlError> {
    decode_payload(kind, payload).ok_or_else(|| {
        let id = kind as u16;
        NlError::BadLength {
            context,
            name: kind.name(),
            id,
            expected: fixed_payload_len(id).unwrap_or(0),
            got: payload.len(),
        }
    })
}

fn u32_ne(p: &[u8], at: usize) -> Option<u32> {
    bytes_at(p, at).map(u32::from_ne_bytes)
}

fn be16(p: &[u8], at: usize) -> Option<u16> {
    bytes_at(p, at).map(u16::from_be_bytes)
}

fn be32(p: &[u8], at: usize) -> Option<u32> {
    bytes_at(p, at).map(u32::from_be_bytes)
}

fn be128(p: &[u8], at: usize) -> Option<u128> {
    bytes_at(p, at).map(u128::from_be_bytes)
}

fn byte(p: &[u8], at: usize) -> Option<u8> {
    p.get(at).copied()
}

fn ports(p: &[u8]) -> Option<PortsKey> {
    Some(PortsKey {
        src: be16(p, 0)?,
        dst: be16(p, 2)?,
    })
}

fn icmp(p: &[u8]) -> Option<IcmpKey> {
    Some(IcmpKey {
        icmp_type: byte(p, 0)?,
        code: byte(p, 1)?,
    })
}

fn decode_payload(kind: KeyAttrKind, p: &[u8]) -> Option<KeyAttr> {
    if fixed_payload_len(kind as u16) != Some(p.len()) {
        return None;
    }
    Some(match kind {
        KeyAttrKind::Encap => return None,
        KeyAttrKind::Priority => KeyAttr::Priority(u32_ne(p, 0)?),
        KeyAttrKind::InPort => KeyAttr::InPort(u32_ne(p, 0)?),
        KeyAttrKind::SkbMark => KeyAttr::SkbMark(u32_ne(p, 0)?),
        KeyAttrKind::DpHash => KeyAttr::DpHash(u32_ne(p, 0)?),
        KeyAttrKind::RecircId => KeyAttr::RecircId(u32_ne(p, 0)?),
        KeyAttrKind::Ethernet => KeyAttr::Ethernet(EthernetKey {
            src: bytes_at(p, 0)?,
            dst: bytes_at(p, 6)?,
        }),
        KeyAttrKind::Vlan => KeyAttr::Vlan(be16(p, 0)?),
        KeyAttrKind::EthType => KeyAttr::EthType(be16(p, 0)?),
        KeyAttrKind::TcpFlags => KeyAttr::TcpFlags(be16(p, 0)?),
        KeyAttrKind::Ipv4 => KeyAttr::Ipv4(Ipv4Key {
            src: be32(p, 0)?,
            dst: be32(p, 4)?,
            proto: byte(p, 8)?,
            tos: byte(p, 9)?,
            ttl: byte(p, 10)?,
            frag: byte(p, 11)?,
        }),
        KeyAttrKind::Ipv6 => KeyAttr::Ipv6(Ipv6Key {
            src: be128(p, 0)?,
            dst: be128(p, 16)?,
            label: be32(p, 32)?,
            proto: byte(p, 36)?,
            tclass: byte(p, 37)?,
            hlimit: byte(p, 38)?,
            frag: byte(p, 39)?,
        }),
        KeyAttrKind::Tcp => KeyAttr::Tcp(ports(p)?),
        KeyAttrKind::Udp => KeyAttr::Udp(ports(p)?),
        KeyAttrKind::Sctp => KeyAttr::Sctp(ports(p)?),
        KeyAttrKind::Icmp => KeyAttr::Icmp(icmp(p)?),
        KeyAttrKind::Icmpv6 => KeyAttr::Icmpv6(icmp(p)?),
        KeyAttrKind::Arp => KeyAttr::Arp(ArpKey {
            sip: be32(p, 0)?,
            tip: be32(p, 4)?,
            op: be16(p, 8)?,
            sha: bytes_at(p, 10)?,
            tha: bytes_at(p, 16)?,
        }),
        KeyAttrKind::Nd => KeyAttr::Nd(NdKey {
            target: be128(p, 0)?,
            sll: bytes_at(p, 16)?,
            tll: bytes_at(p, 22)?,
        }),
    })
}

/// Appends the C-struct payload of a non-nested attribute; `false` for
/// `Encap`, which has no flat payload.
pub(crate) fn write_payload(attr: &KeyAttr, out: &mut Vec<u8>) -> bool {
    match attr {
        KeyAttr::Encap(_) => return false,
        KeyAttr::Priority(v)
        | KeyAttr::InPort(v)
        | KeyAttr::SkbMark(v)
        | KeyAttr::DpHash(v)
        | KeyAttr::RecircId(v) => out.extend_from_slice(&v.to_ne_bytes()),
        KeyAttr::Ethernet(e) => {
            out.extend_from_slice(&e.src);
            out.extend_from_slice(&e.dst);
        }
        KeyAttr::Vlan(v) | KeyAttr::EthType(v) | KeyAttr::TcpFlags(v) => {
            out.extend_from_slice(&v.to_be_bytes())
        }
        KeyAttr::Ipv4(k) => {
            out.extend_from_slice(&k.src.to_be_bytes());
            out.extend_from_slice(&k.dst.to_be_bytes());
            out.extend_from_slice(&[k.proto, k.tos, k.ttl, k.frag]);
        }
        KeyAttr::Ipv6(k) => {
            out.extend_from_slice(&k.src.to_be_bytes());
            out.extend_from_slice(&k.dst.to_be_bytes());
            out.extend_from_slice(&k.label.to_be_bytes());
            out.extend_from_slice(&[k.proto, k.tclass, k.hlimit, k.frag]);
        }
        KeyAttr::Tcp(k) | KeyAttr::Udp(k) | KeyAttr::Sctp(k) => {
            out.extend_from_slice(&k.src.to_be_bytes());
            out.extend_from_slice(&k.dst.to_be_bytes());
        }
        KeyAttr::Icmp(k) | KeyAttr::Icmpv6(k) => out.extend_from_slice(&[k.icmp_type, k.code]),
        KeyAttr::Arp(k) => {
            out.extend_from_slice(&k.sip.to_be_bytes());
            out.extend_from_slice(&k.tip.to_be_bytes());
            out.extend_from_slice(&k.op.to_be_bytes());
            out.extend_from_slice(&k.sha);
            out.extend_from_slice(&k.tha);
            // The struct's tail padding.
            out.extend_from_slice(&[0, 0]);
        }
        KeyAttr::Nd(k) => {
            out.extend_from_slice(&k.target.to_be_bytes());
            out.extend_from_slice(&k.sll);
            out.extend_from_slice(&k.tll);
        }
    }
    true
}

/// Appends `attrs` as `OVS_KEY_ATTR_*` attributes (a key or a mask).
pub fn encode_key_into(w: &mut AttrWriter, attrs: &[KeyAttr]) {
    let mut payload = Vec::with_capacity(40);
    for attr in attrs {
        let id = attr.kind() as u16;
        match attr {
            KeyAttr::Encap(inner) => {
                let nest = w.begin_nested(id);
                encode_key_into(w, inner);
                w.end_nested(nest);
            }
            flat => {
                payload.clear();
                write_payload(flat, &mut payload);
                w.put(id, &payload);
            }
        }
    }
}

/// Encodes a key or mask as the payload of `OVS_FLOW_ATTR_KEY`/`MASK`.
pub fn encode_key(attrs: &[KeyAttr]) -> Result<Vec<u8>, NlError> {
    let mut w = AttrWriter::new();
    encode_key_into(&mut w, attrs);
    w.finish("flow key")
}

#[cfg(test)]
mod tests;
