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
    decode_level(buf, Mode::KEY, 0, 0)
}

/// Decodes a flow mask (the payload of `OVS_FLOW_ATTR_MASK`). As in the
/// kernel, an attribute whose payload is all zeros wildcards its field
/// completely and is treated as absent: it is left out of the result (after
/// its id, duplicate and length checks), even when dpswitch does not
/// implement that attribute.
pub fn decode_mask(buf: &[u8]) -> Result<Vec<KeyAttr>, NlError> {
    decode_level(buf, Mode::MASK, 0, 0)
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

/// Decodes one level; `seen` holds the ids met at the enclosing levels, and
/// `depth` counts the encapsulations entered to get here.
fn decode_level(buf: &[u8], mode: Mode, seen: u64, depth: usize) -> Result<Vec<KeyAttr>, NlError> {
    let context = mode.context;
    let mut seen = seen;
    let mut out = Vec::new();
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
        if mode.skip_all_zero && payload.iter().all(|byte| *byte == 0) {
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
        let decoded = decode_level(inner, mode, seen & !per_tag, depth.saturating_add(1))?;
        if let Some(slot) = out.get_mut(index) {
            *slot = KeyAttr::Encap(decoded);
        }
    }
    Ok(out)
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
mod tests {
    use super::*;

    fn attr(id: u16, payload: &[u8]) -> Vec<u8> {
        let mut w = AttrWriter::new();
        w.put(id, payload);
        w.finish("test").unwrap()
    }

    fn ipv4_key() -> KeyAttr {
        KeyAttr::Ipv4(Ipv4Key {
            src: 0x0a00_0001,
            dst: 0xc0a8_0102,
            proto: 6,
            tos: 0x10,
            ttl: 64,
            frag: 0,
        })
    }

    #[test]
    fn ipv4_attribute_bytes_are_exact() {
        let bytes = encode_key(&[ipv4_key()]).unwrap();
        assert_eq!(
            bytes,
            [
                16, 0, 7, 0, // nla_len 16, OVS_KEY_ATTR_IPV4
                10, 0, 0, 1, // ipv4_src, network order
                192, 168, 1, 2, // ipv4_dst
                6, 0x10, 64, 0, // proto, tos, ttl, frag
            ]
        );
        assert_eq!(decode_key(&bytes).unwrap(), [ipv4_key()]);
    }

    #[test]
    fn host_order_and_network_order_fields() {
        let key = [
            KeyAttr::InPort(3),
            KeyAttr::EthType(0x0806),
            KeyAttr::Tcp(PortsKey { src: 80, dst: 443 }),
        ];
        let bytes = encode_key(&key).unwrap();
        let expected: Vec<u8> = [
            &[8, 0, 3, 0][..],
            &3u32.to_ne_bytes(),
            &[6, 0, 6, 0, 0x08, 0x06, 0, 0],
            &[8, 0, 9, 0, 0, 80, 0x01, 0xbb],
        ]
        .concat();
        assert_eq!(bytes, expected);
        assert_eq!(decode_key(&bytes).unwrap(), key);
    }

    #[test]
    fn arp_payload_carries_the_struct_padding() {
        let arp = KeyAttr::Arp(ArpKey {
            sip: 0x0102_0304,
            tip: 0x0506_0708,
            op: 1,
            sha: [0xa, 0xb, 0xc, 0xd, 0xe, 0xf],
            tha: [1, 2, 3, 4, 5, 6],
        });
        let bytes = encode_key(std::slice::from_ref(&arp)).unwrap();
        assert_eq!(
            bytes,
            [
                28, 0, 13, 0, 1, 2, 3, 4, 5, 6, 7, 8, 0, 1, 0xa, 0xb, 0xc, 0xd, 0xe, 0xf, 1, 2, 3,
                4, 5, 6, 0, 0
            ]
        );
        assert_eq!(decode_key(&bytes).unwrap(), [arp]);
    }

    #[test]
    fn ipv6_and_nd_addresses_are_big_endian() {
        let key = [
            KeyAttr::Ipv6(Ipv6Key {
                src: 0x2001_0db8 << 96 | 1,
                dst: 0xfe80 << 112 | 2,
                label: 0x12345,
                proto: 58,
                tclass: 0,
                hlimit: 255,
                frag: 0,
            }),
            KeyAttr::Nd(NdKey {
                target: 0x2001_0db8 << 96 | 7,
                sll: [1; 6],
                tll: [2; 6],
            }),
        ];
        let bytes = encode_key(&key).unwrap();
        assert_eq!(&bytes[..8], [44, 0, 8, 0, 0x20, 0x01, 0x0d, 0xb8]);
        assert_eq!(bytes[4 + 15], 1);
        assert_eq!(&bytes[4 + 32..4 + 40], [0, 0x01, 0x23, 0x45, 58, 0, 255, 0]);
        assert_eq!(&bytes[44..48], [32, 0, 14, 0]);
        assert_eq!(decode_key(&bytes).unwrap(), key);
    }

    #[test]
    fn encap_nests_the_inner_attributes() {
        let key = [
            KeyAttr::EthType(0x8100),
            KeyAttr::Vlan(0x1064),
            KeyAttr::Encap(vec![KeyAttr::EthType(0x0800), ipv4_key()]),
        ];
        let bytes = encode_key(&key).unwrap();
        assert_eq!(
            &bytes[..20],
            [
                6, 0, 6, 0, 0x81, 0x00, 0, 0, // eth_type
                6, 0, 5, 0, 0x10, 0x64, 0, 0, // vlan
                28, 0, 1, 0, // encap: 4 + 8 + 16
            ]
        );
        assert_eq!(bytes.len(), 16 + 28);
        assert_eq!(decode_key(&bytes).unwrap(), key);
    }

    #[test]
    fn vlan_and_eth_type_may_repeat_inside_a_tag_others_may_not() {
        let inner_in_port = [
            KeyAttr::InPort(1),
            KeyAttr::EthType(0x8100),
            KeyAttr::Encap(vec![KeyAttr::InPort(1)]),
        ];
        let err = decode_key(&encode_key(&inner_in_port).unwrap()).unwrap_err();
        assert_eq!(
            err,
            NlError::DuplicateAttr {
                context: "flow key",
                name: "in_port",
                id: 3
            }
        );
        // The outer attribute after the encap still clashes.
        let later = [
            KeyAttr::Encap(vec![KeyAttr::SkbMark(1)]),
            KeyAttr::SkbMark(1),
        ];
        assert_eq!(
            decode_key(&encode_key(&later).unwrap())
                .unwrap_err()
                .errno(),
            22
        );
        let qinq = [
            KeyAttr::EthType(0x88a8),
            KeyAttr::Vlan(0x1001),
            KeyAttr::Encap(vec![
                KeyAttr::EthType(0x8100),
                KeyAttr::Vlan(0x1002),
                KeyAttr::Encap(vec![KeyAttr::EthType(0x0800)]),
            ]),
        ];
        assert_eq!(decode_key(&encode_key(&qinq).unwrap()).unwrap(), qinq);
    }

    #[test]
    fn a_third_encapsulation_is_too_deep() {
        let deep = [KeyAttr::Encap(vec![KeyAttr::Encap(vec![KeyAttr::Encap(
            vec![],
        )])])];
        let err = decode_key(&encode_key(&deep).unwrap()).unwrap_err();
        assert_eq!(
            err,
            NlError::NestedTooDeep {
                context: "flow key",
                limit: 2
            }
        );
        assert_eq!(err.errno(), 22);
    }

    #[test]
    fn duplicate_at_one_level_is_rejected() {
        let bytes = [attr(3, &1u32.to_ne_bytes()), attr(3, &2u32.to_ne_bytes())].concat();
        assert_eq!(
            decode_key(&bytes).unwrap_err(),
            NlError::DuplicateAttr {
                context: "flow key",
                name: "in_port",
                id: 3
            }
        );
    }

    #[test]
    fn unknown_ids_are_rejected() {
        let err = decode_key(&attr(33, &[0; 4])).unwrap_err();
        assert_eq!(
            err,
            NlError::UnknownAttr {
                context: "flow key",
                id: 33
            }
        );
        assert_eq!(err.errno(), 22);
    }

    #[test]
    fn wrong_fixed_lengths_are_rejected_with_both_lengths() {
        let err = decode_key(&attr(OVS_KEY_ATTR_IPV4, &[0; 11])).unwrap_err();
        assert_eq!(
            err,
            NlError::BadLength {
                context: "flow key",
                name: "ipv4",
                id: 7,
                expected: 12,
                got: 11
            }
        );
        assert_eq!(err.errno(), 22);
        // Unsupported attributes get their length checked too.
        let err = decode_key(&attr(OVS_KEY_ATTR_CT_ZONE, &[0; 4])).unwrap_err();
        assert!(matches!(
            err,
            NlError::BadLength {
                name: "ct_zone",
                expected: 2,
                got: 4,
                ..
            }
        ));
    }

    #[test]
    fn truncated_attributes_and_nests_are_rejected() {
        let good = encode_key(&[KeyAttr::InPort(1)]).unwrap();
        let err = decode_key(&good[..6]).unwrap_err();
        assert!(matches!(
            err,
            NlError::TruncatedAttr {
                context: "flow key",
                ..
            }
        ));
        // An encap whose inside ends mid-attribute.
        let mut nest = vec![8, 0, 1, 0];
        nest.extend_from_slice(&[8, 0, 3, 0]);
        assert!(matches!(
            decode_key(&nest).unwrap_err(),
            NlError::TruncatedAttr { .. }
        ));
    }

    #[test]
    fn unsupported_attributes_are_rejected_by_name() {
        let cases: [(u16, Vec<u8>, &str); 13] = [
            (OVS_KEY_ATTR_TUNNEL, vec![], "tunnel"),
            (OVS_KEY_ATTR_MPLS, vec![0; 4], "mpls"),
            (OVS_KEY_ATTR_CT_STATE, vec![0; 4], "ct_state"),
            (OVS_KEY_ATTR_CT_ZONE, vec![0; 2], "ct_zone"),
            (OVS_KEY_ATTR_CT_MARK, vec![0; 4], "ct_mark"),
            (OVS_KEY_ATTR_CT_LABELS, vec![0; 16], "ct_label"),
            (OVS_KEY_ATTR_CT_ORIG_TUPLE_IPV4, vec![0; 16], "ct_tuple4"),
            (OVS_KEY_ATTR_CT_ORIG_TUPLE_IPV6, vec![0; 40], "ct_tuple6"),
            (OVS_KEY_ATTR_NSH, vec![], "nsh"),
            (OVS_KEY_ATTR_PACKET_TYPE, vec![0; 4], "packet_type"),
            (OVS_KEY_ATTR_ND_EXTENSIONS, vec![0; 8], "nd_ext"),
            (OVS_KEY_ATTR_TUNNEL_INFO, vec![], "tunnel_info"),
            (OVS_KEY_ATTR_IPV6_EXTHDRS, vec![0; 2], "ipv6_exthdrs"),
        ];
        for (id, payload, name) in cases {
            let err = decode_key(&attr(id, &payload)).unwrap_err();
            assert_eq!(
                err,
                NlError::Unsupported {
                    context: "flow key",
                    name,
                    id
                }
            );
            assert!(err.to_string().contains(name));
        }
        let err = decode_key(&attr(OVS_KEY_ATTR_UNSPEC, &[])).unwrap_err();
        assert!(matches!(err, NlError::Unsupported { name: "unspec", .. }));
    }

    #[test]
    fn flag_bits_on_the_type_do_not_change_the_attribute() {
        let mut bytes = attr(OVS_KEY_ATTR_IN_PORT, &9u32.to_ne_bytes());
        bytes[3] |= 0x40; // NLA_F_NET_BYTEORDER
        assert_eq!(decode_key(&bytes).unwrap(), [KeyAttr::InPort(9)]);
    }

    #[test]
    fn mask_drops_all_zero_attributes_like_the_kernel() {
        let mask = [
            attr(OVS_KEY_ATTR_IN_PORT, &u32::MAX.to_ne_bytes()),
            attr(OVS_KEY_ATTR_SKB_MARK, &[0; 4]),
            attr(OVS_KEY_ATTR_CT_STATE, &[0; 4]),
            attr(OVS_KEY_ATTR_ETHERTYPE, &[0xff, 0xff]),
        ]
        .concat();
        assert_eq!(
            decode_mask(&mask).unwrap(),
            [KeyAttr::InPort(u32::MAX), KeyAttr::EthType(0xffff)]
        );
        // A zero attribute does not count for the duplicate check...
        let zero_then_set = [
            attr(OVS_KEY_ATTR_SKB_MARK, &[0; 4]),
            attr(OVS_KEY_ATTR_SKB_MARK, &[1, 0, 0, 0]),
        ]
        .concat();
        assert_eq!(decode_mask(&zero_then_set).unwrap().len(), 1);
        // ...but a set one does.
        let set_then_zero = [
            attr(OVS_KEY_ATTR_SKB_MARK, &[1, 0, 0, 0]),
            attr(OVS_KEY_ATTR_SKB_MARK, &[0; 4]),
        ]
        .concat();
        assert!(matches!(
            decode_mask(&set_then_zero).unwrap_err(),
            NlError::DuplicateAttr {
                context: "flow mask",
                ..
            }
        ));
        // Non-zero unsupported mask bits are rejected.
        let err = decode_mask(&attr(OVS_KEY_ATTR_CT_STATE, &[0x20, 0, 0, 0])).unwrap_err();
        assert!(matches!(
            err,
            NlError::Unsupported {
                name: "ct_state",
                ..
            }
        ));
        // Lengths are checked before zero payloads are dropped.
        assert!(matches!(
            decode_mask(&attr(OVS_KEY_ATTR_IPV4, &[0; 8])).unwrap_err(),
            NlError::BadLength { .. }
        ));
    }

    #[test]
    fn every_fixed_kind_round_trips_through_its_payload() {
        for kind in KeyAttrKind::ALL {
            if kind == KeyAttrKind::Encap {
                continue;
            }
            let len = fixed_payload_len(kind as u16).unwrap();
            // Every byte distinct and non-zero, except the ARP tail padding.
            let mut payload: Vec<u8> = (1..=len as u8).collect();
            if kind == KeyAttrKind::Arp {
                payload[22] = 0;
                payload[23] = 0;
            }
            let decoded = decode_payload(kind, &payload).unwrap();
            assert_eq!(decoded.kind(), kind);
            let mut again = Vec::new();
            assert!(write_payload(&decoded, &mut again));
            assert_eq!(again, payload, "{kind:?}");
        }
    }
}
