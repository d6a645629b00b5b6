//! Property tests: no input makes extraction panic (the tests run with
//! overflow checks on), the same bytes always give the same key whatever
//! the key held before, the shallow extraction agrees with the full one on
//! every field it promises, and a truncated frame keeps the fields of
//! every layer that still fits.

use super::packets::Built;
use super::strategies::frame;
use super::*;
use crate::flow::extract::{extract_shallow, shallow_fields};
use crate::flow::key::FLOW_WORDS;
use proptest::collection::vec;
use proptest::prelude::*;

/// Extracts twice, into a junk key and a zeroed one: both must agree.
fn deterministic_key(bytes: &[u8]) -> Result<FlowKey, TestCaseError> {
    let from_junk = key_of(bytes);
    let mut from_zero = FlowKey::default();
    extract(bytes, IN_PORT, &mut from_zero);
    prop_assert_eq!(from_junk, from_zero);
    prop_assert_eq!(from_junk.in_port(), IN_PORT);
    shallow_agrees(bytes, &from_junk)?;
    Ok(from_junk)
}

/// The shallow key of `bytes` equals `full` on every shallow field.
fn shallow_agrees(bytes: &[u8], full: &FlowKey) -> Result<(), TestCaseError> {
    let mut shallow = FlowKey::from_words([0x5a5a_5a5a_5a5a_5a5a; FLOW_WORDS]);
    extract_shallow(bytes, IN_PORT, &mut shallow);
    let fields = shallow_fields();
    prop_assert_eq!(shallow.masked(&fields), full.masked(&fields));
    Ok(())
}

/// An Ethernet header with an interesting type (or tags) and random bytes
/// after it, so random data reaches the L3 and L4 parsers.
fn random_body_frame() -> impl Strategy<Value = Vec<u8>> {
    let prefix = prop_oneof![
        Just(vec![0x08, 0x00]),
        Just(vec![0x86, 0xdd]),
        Just(vec![0x08, 0x06]),
        Just(vec![0x80, 0x35]),
        Just(vec![0x81, 0x00, 0x00, 0x05, 0x08, 0x00]),
        Just(vec![
            0x88, 0xa8, 0x00, 0x05, 0x81, 0x00, 0x00, 0x06, 0x86, 0xdd
        ]),
        Just(vec![
            0x00, 0x40, 0xaa, 0xaa, 0x03, 0x00, 0x00, 0x00, 0x08, 0x00
        ]),
    ];
    (prefix, vec(any::<u8>(), 0..160)).prop_map(|(prefix, body)| {
        let mut f = Vec::new();
        f.extend_from_slice(&DST);
        f.extend_from_slice(&SRC);
        f.extend_from_slice(&prefix);
        f.extend_from_slice(&body);
        f
    })
}

/// IPv4/IPv6 headers with plausible first bytes but random rest, so that
/// header lengths, fragment fields and extension chains are random.
fn random_ip_frame() -> impl Strategy<Value = Vec<u8>> {
    (any::<bool>(), 0u8..16, vec(any::<u8>(), 0..200)).prop_map(|(v6, nibble, mut body)| {
        let mut f = eth(if v6 { 0x86dd } else { 0x0800 });
        if let Some(first) = body.first_mut() {
            *first = if v6 { 0x60 | nibble } else { 0x40 | nibble };
        }
        if v6 && body.len() > 6 {
            // Bias the next header towards extension headers and ICMPv6.
            body[6] = [0, 43, 44, 51, 60, 58, 6, 17][usize::from(nibble % 8)];
        }
        f.extend_from_slice(&body);
        f
    })
}

/// The key without its metadata and L2 fields.
fn above_l2(k: &FlowKey) -> FlowKey {
    let mut m = crate::flow::FlowMask::exact();
    m.set_in_port(0);
    m.set_recirc_id(0);
    m.set_skb_mark(0);
    m.set_dp_hash(0);
    m.set_priority(0);
    m.set_eth_src([0; 6]);
    m.set_eth_dst([0; 6]);
    m.set_vlan_tci(0);
    m.set_vlan_tpid(0);
    m.set_cvlan_tci(0);
    m.set_cvlan_tpid(0);
    m.set_eth_type(0);
    k.masked(&m)
}

/// Transport fields, and the ND fields that IPv6 keeps in the ARP slots.
fn l4_fields(k: &FlowKey) -> (u16, u16, u16, u128, [u8; 6], [u8; 6]) {
    (
        k.tp_src(),
        k.tp_dst(),
        k.tcp_flags(),
        k.nd_target(),
        k.arp_sha(),
        k.arp_tha(),
    )
}

/// What a frame cut at `cut` must still say, given the key of the whole
/// frame.
fn check_truncation(built: &Built, full: &FlowKey, cut: usize) -> Result<(), TestCaseError> {
    let k = deterministic_key(&built.bytes[..cut])?;
    if cut < 14 {
        let mut only_port = FlowKey::default();
        only_port.set_in_port(IN_PORT);
        prop_assert_eq!(k, only_port);
        return Ok(());
    }
    prop_assert_eq!((k.eth_src(), k.eth_dst()), (full.eth_src(), full.eth_dst()));
    if cut < built.l3_start {
        // Somewhere in the tags: whatever they say, nothing beyond L2.
        prop_assert_eq!(above_l2(&k), FlowKey::default());
        return Ok(());
    }
    prop_assert_eq!(
        (
            k.vlan_tci(),
            k.vlan_tpid(),
            k.cvlan_tci(),
            k.cvlan_tpid(),
            k.eth_type()
        ),
        (
            full.vlan_tci(),
            full.vlan_tpid(),
            full.cvlan_tci(),
            full.cvlan_tpid(),
            full.eth_type()
        )
    );
    if cut < built.l3_end {
        prop_assert_eq!(above_l2(&k), FlowKey::default(), "L3 header cut");
        return Ok(());
    }
    // The fixed L3 header fits.
    prop_assert_eq!(
        (k.nw_tos(), k.nw_ttl(), k.ipv4_src(), k.ipv4_dst()),
        (
            full.nw_tos(),
            full.nw_ttl(),
            full.ipv4_src(),
            full.ipv4_dst()
        )
    );
    prop_assert_eq!(
        (k.ipv6_src(), k.ipv6_dst(), k.ipv6_label()),
        (full.ipv6_src(), full.ipv6_dst(), full.ipv6_label())
    );
    if cut < built.chain_end {
        // Cut inside the IPv6 extension headers: the walk fails (59)
        // unless it already met a later fragment.
        prop_assert!(
            k.nw_proto() == 59 || (k.nw_proto() == 44 && k.nw_proto() == full.nw_proto()),
            "nw_proto {} with the chain cut",
            k.nw_proto()
        );
        prop_assert_eq!(l4_fields(&k), (0, 0, 0, 0, [0; 6], [0; 6]));
        return Ok(());
    }
    prop_assert_eq!(
        (k.nw_proto(), k.nw_frag()),
        (full.nw_proto(), full.nw_frag())
    );
    let l4_end = built.l4.map_or(built.chain_end, |l4| l4.end);
    match built.l4 {
        None => prop_assert_eq!(k, *full),
        Some(l4) if cut < l4.fixed_end => {
            prop_assert_eq!(k, full.masked(&l3_only_mask()), "L4 cut");
        }
        Some(_) if cut < l4_end => {
            // ND options cut: type and code are there.
            prop_assert_eq!((k.tp_src(), k.tp_dst()), (full.tp_src(), full.tp_dst()));
        }
        Some(_) => prop_assert_eq!(k, *full),
    }
    Ok(())
}

/// Everything but the transport and ND fields.
fn l3_only_mask() -> crate::flow::FlowMask {
    let mut m = crate::flow::FlowMask::exact();
    m.set_tp_src(0);
    m.set_tp_dst(0);
    m.set_tcp_flags(0);
    m.set_nd_target(0);
    m.set_arp_sha([0; 6]);
    m.set_arp_tha([0; 6]);
    m.set_arp_op(0);
    m
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn random_bytes_never_panic_and_are_deterministic(bytes in vec(any::<u8>(), 0..200)) {
        deterministic_key(&bytes)?;
    }

    #[test]
    fn random_bodies_never_panic_and_are_deterministic(bytes in random_body_frame()) {
        let k = deterministic_key(&bytes)?;
        prop_assert_eq!((k.eth_dst(), k.eth_src()), (DST, SRC));
    }

    #[test]
    fn random_ip_headers_never_panic_and_are_deterministic(bytes in random_ip_frame()) {
        let k = deterministic_key(&bytes)?;
        prop_assert!(k.eth_type() == 0x0800 || k.eth_type() == 0x86dd);
    }

    /// Valid frames with a few bytes overwritten.
    #[test]
    fn corrupted_frames_never_panic_and_are_deterministic(
        f in frame(),
        edits in vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
    ) {
        let mut bytes = f.build().bytes;
        for (at, value) in edits {
            let i = at.index(bytes.len());
            bytes[i] = value;
        }
        deterministic_key(&bytes)?;
    }

    #[test]
    fn truncated_frames_keep_the_layers_that_fit(f in frame(), at in any::<prop::sample::Index>()) {
        let built = f.build();
        let full = key_of(&built.bytes);
        shallow_agrees(&built.bytes, &full)?;
        let cut = at.index(built.bytes.len() + 1);
        shallow_agrees(&built.bytes[..cut], &key_of(&built.bytes[..cut]))?;
        check_truncation(&built, &full, cut)?;
    }
}

#[test]
fn every_cut_of_a_few_frames() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    for _ in 0..200 {
        let built = frame()
            .new_tree(&mut runner)
            .expect("strategy")
            .current()
            .build();
        let full = key_of(&built.bytes);
        for cut in 0..=built.bytes.len() {
            if let Err(e) = check_truncation(&built, &full, cut) {
                panic!("cut {cut} of {:02x?}: {e}", built.bytes);
            }
        }
    }
}
