use super::*;
use crate::flow::key::VLAN_TAG_PRESENT;
use crate::flow::FragType;

fn with_vlan(mut k: FlowKey, tpid: u16, tci: u16) -> FlowKey {
    k.set_vlan_tpid(tpid);
    k.set_vlan_tci(tci | VLAN_TAG_PRESENT);
    k
}

fn with_cvlan(mut k: FlowKey, tpid: u16, tci: u16) -> FlowKey {
    k.set_cvlan_tpid(tpid);
    k.set_cvlan_tci(tci | VLAN_TAG_PRESENT);
    k
}

/// Ethernet header with `tags` (tpid, tci) between the addresses and
/// `eth_type`.
fn tagged(tags: &[(u16, u16)], eth_type: u16) -> Vec<u8> {
    let mut f = Vec::new();
    f.extend_from_slice(&DST);
    f.extend_from_slice(&SRC);
    for (tpid, tci) in tags {
        f.extend_from_slice(&tpid.to_be_bytes());
        f.extend_from_slice(&tci.to_be_bytes());
    }
    f.extend_from_slice(&eth_type.to_be_bytes());
    f
}

fn only_in_port() -> FlowKey {
    let mut k = FlowKey::default();
    k.set_in_port(IN_PORT);
    k
}

#[test]
fn ethernet_ii_with_unknown_type_fills_only_l2() {
    let frame = concat(&[&eth(0x88cc), &[0u8; 46]]);
    assert_eq!(key_of(&frame), l2_key(0x88cc));
}

#[test]
fn frame_shorter_than_ethernet_header_keeps_only_in_port() {
    let frame = eth(0x0800);
    assert_eq!(key_of(&frame[..13]), only_in_port());
    assert_eq!(key_of(&frame[..6]), only_in_port());
    assert_eq!(key_of(&[]), only_in_port());
    // Exactly a header is enough for L2.
    assert_eq!(key_of(&eth(0x88cc)), l2_key(0x88cc));
}

#[test]
fn metadata_other_than_in_port_is_zero() {
    let k = key_of(&eth(0x88cc));
    assert_eq!(k.in_port(), IN_PORT);
    assert_eq!(
        (k.recirc_id(), k.skb_mark(), k.dp_hash(), k.priority()),
        (0, 0, 0, 0)
    );
}

#[test]
fn llc_without_snap_is_802_2() {
    // 802.3 length 0x26, LLC for spanning tree (DSAP = SSAP = 0x42).
    let frame = concat(&[&eth(0x0026), &[0x42, 0x42, 0x03], &[0u8; 40]]);
    assert_eq!(key_of(&frame), l2_key(0x05ff));
}

#[test]
fn llc_shorter_than_snap_header_is_802_2() {
    // Looks like SNAP but only 7 bytes follow the length.
    let frame = concat(&[&eth(0x0007), &[0xaa, 0xaa, 0x03, 0, 0, 0, 0x08]]);
    assert_eq!(key_of(&frame), l2_key(0x05ff));
}

#[test]
fn snap_with_zero_oui_carries_its_ethertype_and_l3() {
    let ip = ipv4_header(253, 0, &[], 0);
    let frame = concat(&[
        &eth((8 + ip.len()) as u16),
        &[0xaa, 0xaa, 0x03, 0, 0, 0, 0x08, 0x00],
        &ip,
    ]);
    assert_eq!(key_of(&frame), ipv4_key(253, FragType::No));
}

#[test]
fn snap_control_byte_is_not_checked() {
    let frame = concat(&[
        &eth(0x0010),
        &[0xaa, 0xaa, 0x7f, 0, 0, 0, 0x88, 0xcc],
        &[0; 8],
    ]);
    assert_eq!(key_of(&frame), l2_key(0x88cc));
}

#[test]
fn snap_with_nonzero_oui_is_802_2() {
    // Cisco OUI, CDP.
    let frame = concat(&[
        &eth(0x0010),
        &[0xaa, 0xaa, 0x03, 0, 0, 0x0c, 0x20, 0x00],
        &[0; 8],
    ]);
    assert_eq!(key_of(&frame), l2_key(0x05ff));
}

#[test]
fn snap_with_length_instead_of_type_is_802_2() {
    let frame = concat(&[
        &eth(0x0010),
        &[0xaa, 0xaa, 0x03, 0, 0, 0, 0x05, 0xff],
        &[0; 8],
    ]);
    assert_eq!(key_of(&frame), l2_key(0x05ff));
    let frame = concat(&[
        &eth(0x0010),
        &[0xaa, 0xaa, 0x03, 0, 0, 0, 0x00, 0x20],
        &[0; 8],
    ]);
    assert_eq!(key_of(&frame), l2_key(0x05ff));
}

#[test]
fn type_0x0600_is_an_ethertype_and_0x05ff_a_length() {
    assert_eq!(key_of(&concat(&[&eth(0x0600), &[0; 8]])), l2_key(0x0600));
    assert_eq!(key_of(&concat(&[&eth(0x05ff), &[0; 8]])), l2_key(0x05ff));
    assert_eq!(key_of(&concat(&[&eth(0x05dc), &[0; 8]])), l2_key(0x05ff));
}

#[test]
fn single_802_1q_tag() {
    let ip = ipv4_header(253, 0, &[], 0);
    // PCP 5, DEI 0, VID 100.
    let frame = concat(&[&tagged(&[(0x8100, 0xa064)], 0x0800), &ip]);
    let want = with_vlan(ipv4_key(253, FragType::No), 0x8100, 0xa064);
    assert_eq!(key_of(&frame), want);
    assert_eq!(want.vlan_tci(), 0xb064);
}

#[test]
fn double_tag_outer_is_vlan_inner_is_cvlan() {
    let frame = concat(&[
        &tagged(&[(0x88a8, 0x2fff), (0x8100, 0xe001)], 0x88cc),
        &[0; 30],
    ]);
    let want = with_cvlan(with_vlan(l2_key(0x88cc), 0x88a8, 0x2fff), 0x8100, 0xe001);
    assert_eq!(key_of(&frame), want);
}

#[test]
fn two_802_1q_tags_are_also_outer_and_inner() {
    let frame = concat(&[
        &tagged(&[(0x8100, 10), (0x8100, 20)], 0x86dd),
        &ipv6_header(59, 0),
    ]);
    let want = with_cvlan(
        with_vlan(ipv6_key(59, FragType::No), 0x8100, 10),
        0x8100,
        20,
    );
    assert_eq!(key_of(&frame), want);
}

#[test]
fn third_tag_tpid_becomes_the_ethertype() {
    let frame = concat(&[
        &tagged(&[(0x88a8, 1), (0x8100, 2), (0x8100, 3)], 0x0800),
        &ipv4_header(6, 0, &[], 0),
    ]);
    let want = with_cvlan(with_vlan(l2_key(0x8100), 0x88a8, 1), 0x8100, 2);
    assert_eq!(key_of(&frame), want);
}

#[test]
fn priority_tag_and_dei_bit_still_mark_the_tag_present() {
    let frame = concat(&[&tagged(&[(0x8100, 0x0000)], 0x88cc), &[0; 30]]);
    assert_eq!(key_of(&frame).vlan_tci(), VLAN_TAG_PRESENT);
    let frame = concat(&[&tagged(&[(0x8100, 0x1005)], 0x88cc), &[0; 30]]);
    assert_eq!(key_of(&frame).vlan_tci(), 0x1005);
}

#[test]
fn truncated_outer_tag_leaves_its_tpid_as_ethertype() {
    let full = tagged(&[(0x8100, 0x0064)], 0x0800);
    // A tag counts only when the 2 bytes after it are there too.
    for cut in 14..full.len() {
        assert_eq!(key_of(&full[..cut]), l2_key(0x8100), "cut at {cut}");
    }
    assert_eq!(
        key_of(&full),
        with_vlan(l2_key(0x0800), 0x8100, 0x0064),
        "ethertype present, IPv4 header missing"
    );
}

#[test]
fn truncated_inner_tag_leaves_its_tpid_as_ethertype() {
    let full = tagged(&[(0x88a8, 5), (0x8100, 6)], 0x88cc);
    for cut in 18..full.len() {
        assert_eq!(
            key_of(&full[..cut]),
            with_vlan(l2_key(0x8100), 0x88a8, 5),
            "cut at {cut}"
        );
    }
}

#[test]
fn tpid_0x9100_is_not_a_tag() {
    let frame = concat(&[&tagged(&[(0x9100, 5)], 0x0800), &[0; 30]]);
    assert_eq!(key_of(&frame), l2_key(0x9100));
}

#[test]
fn llc_inside_a_vlan_tag() {
    let frame = concat(&[
        &tagged(&[(0x8100, 7)], 0x0030),
        &[0x42, 0x42, 0x03],
        &[0; 45],
    ]);
    assert_eq!(key_of(&frame), with_vlan(l2_key(0x05ff), 0x8100, 7));
}

#[test]
fn every_field_is_overwritten() {
    // key_of starts from junk; a plain L2 frame must leave all L3/L4 zero.
    let k = key_of(&eth(0x88cc));
    let mut cleared = k;
    cleared.set_eth_src([0; 6]);
    cleared.set_eth_dst([0; 6]);
    cleared.set_eth_type(0);
    cleared.set_in_port(0);
    assert_eq!(cleared, FlowKey::default());
}
