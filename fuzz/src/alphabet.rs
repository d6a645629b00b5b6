//! Keys, masks and actions drawn from a small alphabet: few distinct
//! values per field, so that requests often name flows that exist and
//! masks are often shared, yet every shape of match and action appears.

use dpswitch::flow::odp::{
    Action, ArpKey, EthernetKey, IcmpKey, Ipv4Key, Ipv6Key, KeyAttr, PortsKey, UserspaceAction,
};
use libfuzzer_sys::arbitrary::Unstructured;

/// One of `choices`, the first when the input is used up.
pub fn pick<T: Copy>(u: &mut Unstructured<'_>, choices: &[T]) -> T {
    let i = u.choose_index(choices.len()).unwrap_or(0);
    choices[i]
}

/// True with about `num` in `den` chance.
pub fn chance(u: &mut Unstructured<'_>, num: u8, den: u8) -> bool {
    u.ratio(num, den).unwrap_or(false)
}

fn mac(u: &mut Unstructured<'_>) -> [u8; 6] {
    pick(
        u,
        &[[0x02, 0, 0, 0, 0, 1], [0x02, 0, 0, 0, 0, 2], [0xff; 6]],
    )
}

fn ipv4_addr(u: &mut Unstructured<'_>) -> u32 {
    pick(u, &[0x0a00_0001, 0x0a00_0002, 0x0a00_0102])
}

fn ipv6_addr(u: &mut Unstructured<'_>) -> u128 {
    pick(
        u,
        &[0xfe80 << 112 | 1, 0xfe80 << 112 | 2, 0x2001_0db8 << 96 | 2],
    )
}

fn ports(u: &mut Unstructured<'_>) -> PortsKey {
    PortsKey {
        src: pick(u, &[80, 443, 0]),
        dst: pick(u, &[80, 443, 1234]),
    }
}

/// The L3 and L4 attributes of an IP packet of `eth_type`.
fn ip_attrs(u: &mut Unstructured<'_>, eth_type: u16, out: &mut Vec<KeyAttr>) {
    let proto = pick(u, &[6u8, 17, 132, 1, 58]);
    let frag = pick(u, &[0u8, 0, 0, 1, 2]);
    if eth_type == 0x0800 {
        out.push(KeyAttr::Ipv4(Ipv4Key {
            src: ipv4_addr(u),
            dst: ipv4_addr(u),
            proto,
            tos: pick(u, &[0, 4]),
            ttl: 64,
            frag,
        }));
    } else {
        out.push(KeyAttr::Ipv6(Ipv6Key {
            src: ipv6_addr(u),
            dst: ipv6_addr(u),
            label: pick(u, &[0, 5]),
            proto,
            tclass: 0,
            hlimit: 64,
            frag,
        }));
    }
    if frag == 2 || chance(u, 1, 8) {
        return;
    }
    let icmp = IcmpKey {
        icmp_type: pick(u, &[8, 135]),
        code: 0,
    };
    out.push(match proto {
        6 => KeyAttr::Tcp(ports(u)),
        17 => KeyAttr::Udp(ports(u)),
        132 => KeyAttr::Sctp(ports(u)),
        1 => KeyAttr::Icmp(icmp),
        _ => KeyAttr::Icmpv6(icmp),
    });
}

/// What follows the Ethernet header: an ethertype and its attributes.
fn payload_attrs(u: &mut Unstructured<'_>, out: &mut Vec<KeyAttr>, depth: u8) {
    match pick(u, &[0u8, 0, 1, 2, 3, 4]) {
        0 => {
            out.push(KeyAttr::EthType(0x0800));
            ip_attrs(u, 0x0800, out);
        }
        1 => {
            out.push(KeyAttr::EthType(0x86dd));
            ip_attrs(u, 0x86dd, out);
        }
        2 => {
            out.push(KeyAttr::EthType(0x0806));
            out.push(KeyAttr::Arp(ArpKey {
                sip: ipv4_addr(u),
                tip: ipv4_addr(u),
                op: 1,
                sha: mac(u),
                tha: [0; 6],
            }));
        }
        3 if depth < 2 => {
            out.push(KeyAttr::Vlan(pick(u, &[0x1005, 0x1064, 0x0005, 0])));
            out.push(KeyAttr::EthType(pick(u, &[0x8100, 0x88a8])));
            let mut inner = Vec::new();
            if !chance(u, 1, 8) {
                payload_attrs(u, &mut inner, depth + 1);
            }
            out.push(KeyAttr::Encap(inner));
        }
        _ => {}
    }
}

/// A flow key: metadata, Ethernet, and a payload shape.
pub fn key(u: &mut Unstructured<'_>) -> Vec<KeyAttr> {
    let mut out = Vec::new();
    if chance(u, 1, 8) {
        out.push(KeyAttr::RecircId(pick(u, &[0, 1])));
    }
    if chance(u, 1, 8) {
        out.push(KeyAttr::Priority(pick(u, &[0, 7])));
    }
    if !chance(u, 1, 6) {
        out.push(KeyAttr::InPort(pick(u, &[1, 2, 3, 9])));
    }
    if !chance(u, 1, 8) {
        out.push(KeyAttr::Ethernet(EthernetKey {
            src: mac(u),
            dst: mac(u),
        }));
        payload_attrs(u, &mut out, 0);
    }
    out
}

/// How much of a field a mask keeps: all of it, none, or a fixed part.
fn part<T: Copy + Default>(u: &mut Unstructured<'_>, all: T, some: T) -> T {
    pick(u, &[all, all, all, T::default(), some])
}

/// A mask for `attr`, each field exact, wildcarded or partly masked.
fn mask_attr(u: &mut Unstructured<'_>, attr: &KeyAttr) -> KeyAttr {
    let ports = |u: &mut Unstructured<'_>| PortsKey {
        src: part(u, u16::MAX, 0xff00),
        dst: part(u, u16::MAX, 0xff00),
    };
    match attr {
        KeyAttr::Encap(inner) => KeyAttr::Encap(inner.iter().map(|a| mask_attr(u, a)).collect()),
        KeyAttr::Priority(_) => KeyAttr::Priority(part(u, u32::MAX, 0xff)),
        KeyAttr::InPort(_) => KeyAttr::InPort(part(u, u32::MAX, 0xff)),
        KeyAttr::Ethernet(_) => KeyAttr::Ethernet(EthernetKey {
            src: part(u, [0xff; 6], [0xff, 0, 0, 0, 0, 0]),
            dst: part(u, [0xff; 6], [0xff, 0xff, 0xff, 0, 0, 0]),
        }),
        KeyAttr::Vlan(_) => KeyAttr::Vlan(part(u, u16::MAX, 0x1fff)),
        KeyAttr::EthType(_) => KeyAttr::EthType(part(u, u16::MAX, 0xff00)),
        KeyAttr::Ipv4(_) => KeyAttr::Ipv4(Ipv4Key {
            src: part(u, u32::MAX, 0xffff_ff00),
            dst: part(u, u32::MAX, 0xffff_0000),
            proto: part(u, u8::MAX, 0x0f),
            tos: part(u, u8::MAX, 0xfc),
            ttl: part(u, u8::MAX, 0),
            frag: part(u, u8::MAX, 0x01),
        }),
        KeyAttr::Ipv6(_) => KeyAttr::Ipv6(Ipv6Key {
            src: part(u, u128::MAX, u128::MAX << 64),
            dst: part(u, u128::MAX, u128::MAX << 64),
            label: part(u, 0xf_ffff, 0xff),
            proto: part(u, u8::MAX, 0x0f),
            tclass: part(u, u8::MAX, 0xfc),
            hlimit: part(u, u8::MAX, 0),
            frag: part(u, u8::MAX, 0x01),
        }),
        KeyAttr::Tcp(_) => KeyAttr::Tcp(ports(u)),
        KeyAttr::Udp(_) => KeyAttr::Udp(ports(u)),
        KeyAttr::Sctp(_) => KeyAttr::Sctp(ports(u)),
        KeyAttr::Icmp(_) => KeyAttr::Icmp(IcmpKey {
            icmp_type: part(u, u8::MAX, 0x0f),
            code: part(u, u8::MAX, 0),
        }),
        KeyAttr::Icmpv6(_) => KeyAttr::Icmpv6(IcmpKey {
            icmp_type: part(u, u8::MAX, 0x0f),
            code: part(u, u8::MAX, 0),
        }),
        KeyAttr::Arp(_) => KeyAttr::Arp(ArpKey {
            sip: part(u, u32::MAX, 0xffff_ff00),
            tip: part(u, u32::MAX, 0xffff_ff00),
            op: part(u, u16::MAX, 0xff),
            sha: part(u, [0xff; 6], [0xff, 0, 0, 0, 0, 0]),
            tha: part(u, [0xff; 6], [0; 6]),
        }),
        other => other.clone(),
    }
}

/// A mask for `key`, sometimes missing or with an attribute dropped.
pub fn mask(u: &mut Unstructured<'_>, key: &[KeyAttr]) -> Vec<KeyAttr> {
    let mut out: Vec<KeyAttr> = key.iter().map(|a| mask_attr(u, a)).collect();
    if !out.is_empty() && chance(u, 1, 8) {
        let i = u.choose_index(out.len()).unwrap_or(0);
        out.remove(i);
    }
    out
}

/// A value/mask pair for `set` and `set_masked` (the value's bits inside
/// the mask, as validation wants, except now and then).
fn set_pair(u: &mut Unstructured<'_>) -> (KeyAttr, KeyAttr) {
    let value = match pick(u, &[0u8, 1, 2, 3, 4, 5, 6]) {
        0 => KeyAttr::Ethernet(EthernetKey {
            src: mac(u),
            dst: mac(u),
        }),
        1 => KeyAttr::Ipv4(Ipv4Key {
            src: ipv4_addr(u),
            dst: ipv4_addr(u),
            tos: pick(u, &[0, 0x10, 0xb8]),
            ttl: pick(u, &[1, 64, 255]),
            ..Ipv4Key::default()
        }),
        2 => KeyAttr::Ipv6(Ipv6Key {
            src: ipv6_addr(u),
            dst: ipv6_addr(u),
            label: pick(u, &[0, 0x12345]),
            tclass: pick(u, &[0, 0x10]),
            hlimit: pick(u, &[1, 64]),
            ..Ipv6Key::default()
        }),
        3 => KeyAttr::Tcp(ports(u)),
        4 => KeyAttr::Udp(ports(u)),
        5 => KeyAttr::Sctp(ports(u)),
        _ => KeyAttr::SkbMark(pick(u, &[0, 1])),
    };
    let mut mask = mask_attr(u, &value);
    if let (KeyAttr::Ipv4(m), KeyAttr::Ipv4(_)) = (&mut mask, &value) {
        // Not writable: validation refuses them; keep them mostly clear.
        if !chance(u, 1, 16) {
            m.proto = 0;
            m.frag = 0;
        }
    }
    if let (KeyAttr::Ipv6(m), KeyAttr::Ipv6(_)) = (&mut mask, &value) {
        if !chance(u, 1, 16) {
            m.proto = 0;
            m.frag = 0;
        }
    }
    let value = if chance(u, 1, 16) {
        value
    } else {
        within(&value, &mask)
    };
    (value, mask)
}

/// `value` with every bit outside `mask` cleared.
fn within(value: &KeyAttr, mask: &KeyAttr) -> KeyAttr {
    let ports = |v: &PortsKey, m: &PortsKey| PortsKey {
        src: v.src & m.src,
        dst: v.dst & m.dst,
    };
    match (value, mask) {
        (KeyAttr::Ethernet(v), KeyAttr::Ethernet(m)) => KeyAttr::Ethernet(EthernetKey {
            src: std::array::from_fn(|i| v.src[i] & m.src[i]),
            dst: std::array::from_fn(|i| v.dst[i] & m.dst[i]),
        }),
        (KeyAttr::Ipv4(v), KeyAttr::Ipv4(m)) => KeyAttr::Ipv4(Ipv4Key {
            src: v.src & m.src,
            dst: v.dst & m.dst,
            proto: v.proto & m.proto,
            tos: v.tos & m.tos,
            ttl: v.ttl & m.ttl,
            frag: v.frag & m.frag,
        }),
        (KeyAttr::Ipv6(v), KeyAttr::Ipv6(m)) => KeyAttr::Ipv6(Ipv6Key {
            src: v.src & m.src,
            dst: v.dst & m.dst,
            label: v.label & m.label,
            proto: v.proto & m.proto,
            tclass: v.tclass & m.tclass,
            hlimit: v.hlimit & m.hlimit,
            frag: v.frag & m.frag,
        }),
        (KeyAttr::Tcp(v), KeyAttr::Tcp(m)) => KeyAttr::Tcp(ports(v, m)),
        (KeyAttr::Udp(v), KeyAttr::Udp(m)) => KeyAttr::Udp(ports(v, m)),
        (KeyAttr::Sctp(v), KeyAttr::Sctp(m)) => KeyAttr::Sctp(ports(v, m)),
        (v, _) => v.clone(),
    }
}

/// An action list of up to `len` actions; nested lists go `depth` deeper
/// at most. Output ports 0 to 4; which exist is the caller's choice.
pub fn actions(u: &mut Unstructured<'_>, len: usize, depth: u8) -> Vec<Action> {
    let n = u.int_in_range(0..=len).unwrap_or(0);
    (0..n).map(|_| action(u, depth)).collect()
}

fn action(u: &mut Unstructured<'_>, depth: u8) -> Action {
    let kinds: &[u8] = if depth == 0 {
        &[0, 0, 1, 2, 3, 4, 5]
    } else {
        &[0, 0, 1, 2, 3, 4, 5, 6, 7]
    };
    match pick(u, kinds) {
        0 => Action::Output(pick(u, &[1, 2, 3, 0, 4])),
        1 => Action::Userspace(UserspaceAction {
            pid: pick(u, &[1, 0]),
            userdata: pick(u, &[None, Some(&[1u8, 2, 3][..])]).map(<[u8]>::to_vec),
            egress_tun_port: None,
            actions: chance(u, 1, 4),
        }),
        2 => Action::Set(set_pair(u).0),
        3 => {
            let (value, mask) = set_pair(u);
            Action::SetMasked { value, mask }
        }
        4 => Action::PushVlan {
            tpid: pick(u, &[0x8100, 0x88a8, 0x0800]),
            tci: pick(u, &[0x1005, 0x1fff, 0x0005, 0xf064]),
        },
        5 => Action::PopVlan,
        6 => Action::Clone(actions(u, 4, depth - 1)),
        _ => Action::Sample {
            probability: pick(u, &[u32::MAX, 0, u32::MAX / 2, 1]),
            actions: actions(u, 4, depth - 1),
        },
    }
}
