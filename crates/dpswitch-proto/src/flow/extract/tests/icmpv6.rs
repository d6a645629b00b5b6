use super::*;
use crate::flow::FragType;

const TARGET: u128 = 0x2001_0db8_0000_0000_0000_0000_0000_00aa;
const MAC_A: [u8; 6] = [0x02, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a];
const MAC_B: [u8; 6] = [0x02, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b];

fn frame(icmp: &[u8]) -> Vec<u8> {
    concat(&[&eth(0x86dd), &ipv6_header(58, icmp.len()), icmp])
}

/// ICMPv6 header (checksum and flags zero) followed by the target address.
fn nd(icmp_type: u8, code: u8) -> Vec<u8> {
    let mut m = vec![icmp_type, code, 0, 0, 0, 0, 0, 0];
    m.extend_from_slice(&TARGET.to_be_bytes());
    m
}

fn ll_option(opt_type: u8, mac: [u8; 6]) -> Vec<u8> {
    concat(&[&[opt_type, 1], &mac])
}

fn icmp_key(icmp_type: u8, code: u8) -> FlowKey {
    let mut k = ipv6_key(58, FragType::No);
    k.set_tp_src(u16::from(icmp_type));
    k.set_tp_dst(u16::from(code));
    k
}

fn nd_key(icmp_type: u8, sll: [u8; 6], tll: [u8; 6]) -> FlowKey {
    let mut k = icmp_key(icmp_type, 0);
    k.set_nd_target(TARGET);
    k.set_arp_sha(sll);
    k.set_arp_tha(tll);
    k
}

#[test]
fn echo_request_has_type_and_code_only() {
    let f = frame(&[128, 0, 0, 0, 0, 1, 0, 1, 0xaa, 0xbb]);
    assert_eq!(key_of(&f), icmp_key(128, 0));
}

#[test]
fn header_needs_8_bytes() {
    let f = frame(&[128, 0, 0, 0, 0, 1, 0]);
    assert_eq!(key_of(&f), ipv6_key(58, FragType::No));
}

#[test]
fn solicitation_with_source_link_layer_address() {
    let f = frame(&concat(&[&nd(135, 0), &ll_option(1, MAC_A)]));
    assert_eq!(key_of(&f), nd_key(135, MAC_A, [0; 6]));
}

#[test]
fn advertisement_with_target_link_layer_address() {
    let f = frame(&concat(&[&nd(136, 0), &ll_option(2, MAC_B)]));
    assert_eq!(key_of(&f), nd_key(136, [0; 6], MAC_B));
}

#[test]
fn either_address_option_is_taken_in_either_message() {
    let opts = concat(&[&ll_option(2, MAC_B), &ll_option(1, MAC_A)]);
    for icmp_type in [135, 136] {
        let f = frame(&concat(&[&nd(icmp_type, 0), &opts]));
        assert_eq!(key_of(&f), nd_key(icmp_type, MAC_A, MAC_B));
    }
}

#[test]
fn target_without_options() {
    let f = frame(&nd(135, 0));
    assert_eq!(key_of(&f), nd_key(135, [0; 6], [0; 6]));
}

#[test]
fn message_shorter_than_target_has_no_nd_fields() {
    let m = nd(135, 0);
    for len in 8..24 {
        assert_eq!(key_of(&frame(&m[..len])), icmp_key(135, 0), "len {len}");
    }
}

#[test]
fn nonzero_code_is_not_neighbour_discovery() {
    let f = frame(&concat(&[&nd(135, 1), &ll_option(1, MAC_A)]));
    assert_eq!(key_of(&f), icmp_key(135, 1));
}

#[test]
fn other_nd_messages_are_not_parsed() {
    // Router solicitation with an SLL option.
    let f = frame(&concat(&[
        &[133, 0, 0, 0, 0, 0, 0, 0],
        &ll_option(1, MAC_A),
    ]));
    assert_eq!(key_of(&f), icmp_key(133, 0));
}

#[test]
fn repeated_address_option_invalidates_nd_fields() {
    let opts = concat(&[
        &ll_option(1, MAC_A),
        &ll_option(2, MAC_B),
        &ll_option(1, MAC_B),
    ]);
    let f = frame(&concat(&[&nd(135, 0), &opts]));
    assert_eq!(key_of(&f), icmp_key(135, 0));
    let opts = concat(&[&ll_option(2, MAC_B), &ll_option(2, MAC_A)]);
    let f = frame(&concat(&[&nd(136, 0), &opts]));
    assert_eq!(key_of(&f), icmp_key(136, 0));
}

#[test]
fn repeat_after_an_all_zero_address_is_accepted() {
    // The duplicate check looks at the stored address, not at whether an
    // option was seen.
    let opts = concat(&[&ll_option(1, [0; 6]), &ll_option(1, MAC_A)]);
    let f = frame(&concat(&[&nd(135, 0), &opts]));
    assert_eq!(key_of(&f), nd_key(135, MAC_A, [0; 6]));
}

#[test]
fn zero_length_option_ends_the_walk_keeping_what_was_found() {
    let opts = concat(&[
        &ll_option(1, MAC_A),
        &[3, 0, 0, 0, 0, 0, 0, 0],
        &ll_option(2, MAC_B),
    ]);
    let f = frame(&concat(&[&nd(135, 0), &opts]));
    assert_eq!(key_of(&f), nd_key(135, MAC_A, [0; 6]));
}

#[test]
fn option_longer_than_the_message_ends_the_walk() {
    let opts = concat(&[&ll_option(2, MAC_B), &[1, 2, 0, 0, 0, 0, 0, 0]]);
    let f = frame(&concat(&[&nd(136, 0), &opts]));
    assert_eq!(key_of(&f), nd_key(136, [0; 6], MAC_B));
}

#[test]
fn address_options_of_other_sizes_are_skipped() {
    // A 16-byte SLL option (e.g. a longer link-layer address) carries no
    // Ethernet address; the walk continues past it.
    let mut long_sll = vec![1, 2];
    long_sll.extend_from_slice(&[0xee; 14]);
    let opts = concat(&[&long_sll, &ll_option(2, MAC_B)]);
    let f = frame(&concat(&[&nd(135, 0), &opts]));
    assert_eq!(key_of(&f), nd_key(135, [0; 6], MAC_B));
}

#[test]
fn unknown_options_are_skipped() {
    let mtu = [5, 1, 0, 0, 0, 0, 0x05, 0xdc];
    let opts = concat(&[&mtu, &ll_option(1, MAC_A)]);
    let f = frame(&concat(&[&nd(135, 0), &opts]));
    assert_eq!(key_of(&f), nd_key(135, MAC_A, [0; 6]));
}

#[test]
fn trailing_bytes_shorter_than_an_option_are_ignored() {
    let opts = concat(&[&ll_option(1, MAC_A), &[2, 1, 0xff, 0xff, 0xff, 0xff, 0xff]]);
    let f = frame(&concat(&[&nd(135, 0), &opts]));
    assert_eq!(key_of(&f), nd_key(135, MAC_A, [0; 6]));
}

#[test]
fn nd_behind_extension_headers() {
    let icmp = concat(&[&nd(135, 0), &ll_option(1, MAC_A)]);
    let payload = concat(&[&ext_header(58, 0), &icmp]);
    let f = concat(&[&eth(0x86dd), &ipv6_header(0, payload.len()), &payload]);
    assert_eq!(key_of(&f), nd_key(135, MAC_A, [0; 6]));
}
