//! Properties across the layers a flow crosses: a packet's key goes to
//! netlink (as in an upcall), comes back as a flow match (as in a flow
//! command) and is printed again; and whatever the text syntax accepts
//! survives text -> netlink -> text unchanged.

use dpswitch::flow::matching::{key_to_attrs, mask_to_attrs, match_from_attrs};
use dpswitch::flow::odp::KeyAttr;
use dpswitch::flow::text::{
    format_actions, format_match, format_match_verbose, parse_actions, parse_match,
};
use dpswitch::flow::{extract, FlowKey, FlowMask};
use dpswitch::netlink::{action, key};
use etherparse::PacketBuilder;
use proptest::prelude::*;

#[derive(Clone, Debug)]
enum L4 {
    Tcp(u16, u16),
    Udp(u16, u16),
    Icmp(u16),
}

#[derive(Clone, Debug)]
struct Frame {
    tags: Vec<(u16, u16)>, // (tpid, tci without the present bit)
    ipv6: bool,
    src: [u8; 16],
    dst: [u8; 16],
    hops: u8,
    l4: L4,
}

fn frame() -> impl Strategy<Value = Frame> {
    let tag = (prop::sample::select(vec![0x8100u16, 0x88a8]), 0u16..0xefff)
        .prop_map(|(tpid, tci)| (tpid, tci & !0x1000));
    let l4 = prop_oneof![
        (any::<u16>(), any::<u16>()).prop_map(|(s, d)| L4::Tcp(s, d)),
        (any::<u16>(), any::<u16>()).prop_map(|(s, d)| L4::Udp(s, d)),
        any::<u16>().prop_map(L4::Icmp),
    ];
    (
        prop::collection::vec(tag, 0..3),
        any::<bool>(),
        any::<[u8; 16]>(),
        any::<[u8; 16]>(),
        any::<u8>(),
        l4,
    )
        .prop_map(|(tags, ipv6, src, dst, hops, l4)| Frame {
            tags,
            ipv6,
            src,
            dst,
            hops,
            l4,
        })
}

fn bytes_of(f: &Frame) -> Vec<u8> {
    let eth = PacketBuilder::ethernet2([2, 0, 0, 0, 0, 1], [2, 0, 0, 0, 0, 2]);
    let mut v4 = [0u8; 4];
    v4.copy_from_slice(&f.src[..4]);
    let mut d4 = [0u8; 4];
    d4.copy_from_slice(&f.dst[..4]);
    let ip = if f.ipv6 {
        eth.ipv6(f.src, f.dst, f.hops)
    } else {
        eth.ipv4(v4, d4, f.hops)
    };
    let mut out = Vec::new();
    let written = match f.l4 {
        L4::Tcp(s, d) => ip.tcp(s, d, 7, 1000).write(&mut out, b"payload"),
        L4::Udp(s, d) => ip.udp(s, d).write(&mut out, b"payload"),
        L4::Icmp(id) if f.ipv6 => ip.icmpv6_echo_request(id, 1).write(&mut out, b"ping"),
        L4::Icmp(id) => ip.icmpv4_echo_request(id, 1).write(&mut out, b"ping"),
    };
    written.expect("frames build");
    // VLAN tags go between the MAC addresses and the EtherType.
    let tags: Vec<u8> = f
        .tags
        .iter()
        .flat_map(|(tpid, tci)| [tpid.to_be_bytes(), tci.to_be_bytes()].concat())
        .collect();
    out.splice(12..12, tags);
    out
}

/// A mask that keeps what `exact` pins but wildcards random address and
/// port bits: the kind of megaflow a control plane installs.
fn loosen(exact: &FlowMask, bits: &[u64; 4]) -> FlowMask {
    let mut m = *exact;
    m.set_ipv4_src(m.ipv4_src() & bits[0] as u32);
    m.set_ipv4_dst(m.ipv4_dst() & (bits[0] >> 32) as u32);
    m.set_ipv6_src(m.ipv6_src() & (u128::from(bits[1]) << 64 | u128::from(bits[2])));
    m.set_tp_src(m.tp_src() & bits[3] as u16);
    m.set_tp_dst(m.tp_dst() & (bits[3] >> 16) as u16);
    m
}

/// Text read back into key and mask lists, through netlink bytes as a
/// client would send them.
fn reparse(text: &str) -> Result<(Vec<KeyAttr>, Vec<KeyAttr>), TestCaseError> {
    let (k, m) = parse_match(text).map_err(|e| TestCaseError::fail(format!("{e}: {text}")))?;
    let k = key::decode_key(&key::encode_key(&k).unwrap()).unwrap();
    let m = key::decode_key(&key::encode_key(&m).unwrap()).unwrap();
    Ok((k, m))
}

/// Attributes in a list, those inside `encap()` included.
fn attr_count(attrs: &[KeyAttr]) -> usize {
    attrs
        .iter()
        .map(|a| match a {
            KeyAttr::Encap(inner) => 1 + attr_count(inner),
            _ => 1,
        })
        .sum()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn packet_keys_survive_netlink_and_match_parsing(f in frame(), port in 0u32..65535) {
        let mut k = FlowKey::default();
        extract(&bytes_of(&f), port, &mut k);
        let wire = key::encode_key(&key_to_attrs(&k)).unwrap();
        let decoded = key::decode_key(&wire).unwrap();
        let m = match_from_attrs(&decoded, None)
            .map_err(|e| TestCaseError::fail(format!("{e}: {decoded:?}")))?;
        prop_assert_eq!(m.key, k);
        // netlink -> struct -> netlink: the same bytes.
        prop_assert_eq!(key::encode_key(&key_to_attrs(&m.key)).unwrap(), wire);
        // The packet matches its own exact flow.
        prop_assert!(m.masked_key().matches(&m.mask, &k));
    }

    #[test]
    fn megaflows_survive_netlink_and_text(f in frame(), bits in any::<[u64; 4]>()) {
        let mut k = FlowKey::default();
        extract(&bytes_of(&f), 1, &mut k);
        let exact = match_from_attrs(&key_to_attrs(&k), None).unwrap();
        let mask = loosen(&exact.mask, &bits);
        let stored = k.masked(&mask);
        let (key_attrs, mask_attrs) = (key_to_attrs(&stored), mask_to_attrs(&stored, &mask));
        let key_wire = key::encode_key(&key_attrs).unwrap();
        let mask_wire = key::encode_key(&mask_attrs).unwrap();

        let m = match_from_attrs(&key::decode_key(&key_wire).unwrap(), Some(&key::decode_mask(&mask_wire).unwrap()))
            .map_err(|e| TestCaseError::fail(format!("{e}")))?;
        prop_assert_eq!(m.mask, mask);
        prop_assert_eq!(m.masked_key(), stored);
        prop_assert!(m.masked_key().matches(&m.mask, &k));
        prop_assert_eq!(key::encode_key(&mask_to_attrs(&m.masked_key(), &m.mask)).unwrap(), mask_wire);

        // text -> netlink -> text, as a dump is printed and read back.
        // The terse form leaves out attributes whose mask is all zero, as
        // ovs-dpctl does, so it reads back to the same megaflow unless one of
        // those was required (an L4 header of the protocol matched): then
        // the kernel's "Missing key" refusal is the right answer. The
        // verbose form (`-m`) carries every attribute and always reads back.
        let text = format_match(&key_attrs, &mask_attrs);
        let (tk, tm) = reparse(&text)?;
        prop_assert_eq!(format_match(&tk, &tm), text.clone());
        match match_from_attrs(&tk, Some(&tm)) {
            Ok(back) => prop_assert_eq!(back.masked_key(), stored),
            Err(e) => prop_assert!(
                e.to_string().starts_with("Missing key") && attr_count(&tk) < attr_count(&key_attrs),
                "{e}: {text}"
            ),
        }
        let verbose = format_match_verbose(&key_attrs, &mask_attrs);
        let (vk, vm) = reparse(&verbose)?;
        prop_assert_eq!(format_match_verbose(&vk, &vm), verbose.clone());
        let back = match_from_attrs(&vk, Some(&vm)).map_err(|e| TestCaseError::fail(format!("{e}: {verbose}")))?;
        prop_assert_eq!(back.masked_key(), stored);
    }

    #[test]
    fn action_text_survives_netlink(port in 0u32..100, vid in 0u16..4096, pcp in 0u16..8, addr in any::<u32>(), plen in 0u32..=32) {
        let mask = if plen == 0 { 0 } else { u32::MAX << (32 - plen) };
        let text = format!(
            "push_vlan(vid={vid},pcp={pcp}),set(ipv4(src={}/{})),{port},pop_vlan,clone(set(tcp(dst={vid})),{port})",
            std::net::Ipv4Addr::from(addr & mask),
            std::net::Ipv4Addr::from(mask),
        );
        let parsed = parse_actions(&text).map_err(|e| TestCaseError::fail(format!("{e}: {text}")))?;
        let back = action::decode_actions(&action::encode_actions(&parsed).unwrap()).unwrap();
        prop_assert_eq!(&back, &parsed);
        let printed = format_actions(&back);
        prop_assert_eq!(parse_actions(&printed).unwrap(), parsed);
    }
}
