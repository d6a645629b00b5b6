//! proptest strategies over well-formed frames (`packets::Frame`): VLAN
//! tags, IPv4 with options and fragments, IPv6 with extension headers, ARP,
//! and every transport the key has fields for.

use super::packets::*;
use proptest::collection::vec;
use proptest::prelude::*;

fn mac() -> impl Strategy<Value = [u8; 6]> {
    any::<[u8; 6]>()
}

fn tag() -> impl Strategy<Value = Tag> {
    (
        prop_oneof![Just(0x8100u16), Just(0x88a8u16)],
        0u8..8,
        any::<bool>(),
        0u16..4096,
    )
        .prop_map(|(tpid, pcp, dei, vid)| Tag {
            tpid,
            pcp,
            dei,
            vid,
        })
}

fn tcp() -> impl Strategy<Value = L4> {
    (any::<u16>(), any::<u16>(), 0u16..0x200, 0u8..=10).prop_map(
        |(src, dst, flags, option_words)| L4::Tcp {
            src,
            dst,
            flags,
            option_words,
        },
    )
}

fn ports<F: Fn(u16, u16) -> L4>(make: F) -> impl Strategy<Value = L4> {
    (any::<u16>(), any::<u16>()).prop_map(move |(s, d)| make(s, d))
}

fn icmp() -> impl Strategy<Value = L4> {
    (any::<u8>(), prop_oneof![Just(0u8), any::<u8>()])
        .prop_map(|(icmp_type, code)| L4::Icmp { icmp_type, code })
}

fn nd_opt() -> impl Strategy<Value = NdOpt> {
    prop_oneof![
        mac().prop_map(NdOpt::Sll),
        mac().prop_map(NdOpt::Tll),
        // Option types etherparse reads as "unknown", so it accepts any size.
        (prop_oneof![Just(14u8), Just(25), Just(31)], 1u8..=4)
            .prop_map(|(opt_type, units)| NdOpt::Other { opt_type, units }),
        // Address options of a size that carries no Ethernet address.
        (1u8..=2, 2u8..=3).prop_map(|(opt_type, units)| NdOpt::Other { opt_type, units }),
    ]
}

fn nd() -> impl Strategy<Value = L4> {
    (any::<bool>(), any::<[u8; 16]>(), vec(nd_opt(), 0..4)).prop_map(|(advert, target, options)| {
        L4::Nd {
            advert,
            target,
            options,
        }
    })
}

fn ipv4_l4() -> impl Strategy<Value = L4> {
    prop_oneof![
        tcp(),
        ports(|src, dst| L4::Udp { src, dst }),
        ports(|src, dst| L4::Sctp { src, dst }),
        icmp(),
        prop_oneof![Just(47u8), Just(50), Just(58), Just(89)]
            .prop_map(|proto| L4::Opaque { proto }),
    ]
}

fn ipv6_l4() -> impl Strategy<Value = L4> {
    prop_oneof![
        tcp(),
        ports(|src, dst| L4::Udp { src, dst }),
        ports(|src, dst| L4::Sctp { src, dst }),
        icmp(),
        nd(),
        prop_oneof![Just(1u8), Just(47), Just(50), Just(59)].prop_map(|proto| L4::Opaque { proto }),
    ]
}

fn ipv4() -> impl Strategy<Value = L3> {
    (
        (
            0u8..64,
            0u8..4,
            any::<u8>(),
            any::<[u8; 4]>(),
            any::<[u8; 4]>(),
        ),
        (
            any::<bool>(),
            any::<bool>(),
            prop_oneof![3 => Just(0u16), 1 => 1u16..0x2000],
            0u8..=10,
        ),
        ipv4_l4(),
    )
        .prop_map(
            |((dscp, ecn, ttl, src, dst), (df, mf, frag_offset, option_words), l4)| L3::Ipv4 {
                dscp,
                ecn,
                ttl,
                src,
                dst,
                df,
                mf,
                frag_offset,
                option_words,
                l4,
            },
        )
}

fn ext() -> impl Strategy<Value = Ext> {
    prop_oneof![
        (0u8..4).prop_map(|len| Ext::Routing { len }),
        (0u8..4).prop_map(|len| Ext::Dest { len }),
        (1u8..6).prop_map(|icv_words| Ext::Auth { icv_words }),
    ]
}

fn fragment() -> impl Strategy<Value = Ext> {
    (prop_oneof![Just(0u16), 1u16..0x2000], any::<bool>())
        .prop_map(|(offset, more)| Ext::Fragment { offset, more })
}

/// Optional hop-by-hop first (etherparse only accepts it there), other
/// extension headers, then an optional fragment header last or followed by
/// one destination options header.
fn exts() -> impl Strategy<Value = Vec<Ext>> {
    (
        proptest::option::of(0u8..3),
        vec(ext(), 0..3),
        proptest::option::of(fragment()),
        proptest::option::of(0u8..2),
    )
        .prop_map(|(hbh, middle, frag, trailing_dest)| {
            let mut all = Vec::new();
            all.extend(hbh.map(|len| Ext::HopByHop { len }));
            all.extend(middle);
            all.extend(frag);
            all.extend(trailing_dest.map(|len| Ext::Dest { len }));
            all
        })
}

fn ipv6() -> impl Strategy<Value = L3> {
    (
        (any::<u8>(), 0u32..0x10_0000, any::<u8>()),
        (any::<[u8; 16]>(), any::<[u8; 16]>()),
        exts(),
        ipv6_l4(),
    )
        .prop_map(|((tclass, label, hlimit), (src, dst), exts, l4)| L3::Ipv6 {
            tclass,
            label,
            hlimit,
            src,
            dst,
            exts,
            l4,
        })
}

fn arp() -> impl Strategy<Value = L3> {
    (
        any::<bool>(),
        prop_oneof![1u16..=4, any::<u16>()],
        mac(),
        any::<[u8; 4]>(),
        mac(),
        any::<[u8; 4]>(),
    )
        .prop_map(|(rarp, op, sha, spa, tha, tpa)| L3::Arp {
            rarp,
            op,
            sha,
            spa,
            tha,
            tpa,
        })
}

fn opaque_l3() -> impl Strategy<Value = L3> {
    prop_oneof![
        Just(0x88ccu16),
        Just(0x88e5),
        Just(0x9000),
        Just(0x9100),
        Just(0x0600)
    ]
    .prop_map(|eth_type| L3::Opaque { eth_type })
}

pub(super) fn frame() -> impl Strategy<Value = Frame> {
    (
        mac(),
        mac(),
        vec(tag(), 0..=2),
        prop_oneof![3 => ipv4(), 3 => ipv6(), 1 => arp(), 1 => opaque_l3()],
        vec(any::<u8>(), 0..24),
    )
        .prop_map(|(dst, src, tags, l3, payload)| Frame {
            dst,
            src,
            tags,
            l3,
            payload,
        })
}
