use super::frames::{tagged, v4, L4};
use crate::datapath::actions::{pop_vlan, push_vlan, PacketBuf, VecBuf, VlanError};

fn frame() -> Vec<u8> {
    v4(L4::Udp, [10, 0, 0, 1], [10, 0, 0, 2], (1000, 2000), b"data")
}

#[test]
fn push_inserts_the_tag_after_the_macs_without_the_present_bit() {
    let untagged = frame();
    let mut pkt = VecBuf::new(&untagged, 8);
    // PCP 5, CFI ("present") set, VID 0x123.
    push_vlan(&mut pkt, 0x8100, 0xa000 | 0x1000 | 0x123).unwrap();
    assert_eq!(pkt.data(), tagged(&untagged, &[(0x8100, 0xa123)]));
    assert_eq!(pkt.headroom(), 4);
}

#[test]
fn push_on_a_tagged_frame_adds_the_outer_tag() {
    let inner = tagged(&frame(), &[(0x8100, 0x0005)]);
    let mut pkt = VecBuf::new(&inner, 4);
    push_vlan(&mut pkt, 0x88a8, 0x1000 | 0x0007).unwrap();
    assert_eq!(
        pkt.data(),
        tagged(&frame(), &[(0x88a8, 0x0007), (0x8100, 0x0005)])
    );
}

#[test]
fn push_without_headroom_or_on_a_runt_fails_and_changes_nothing() {
    let mut pkt = VecBuf::new(&frame(), 3);
    assert_eq!(push_vlan(&mut pkt, 0x8100, 1), Err(VlanError::NoHeadroom));
    assert_eq!(pkt.data(), frame());
    let mut runt = VecBuf::new(&frame()[..13], 8);
    assert_eq!(push_vlan(&mut runt, 0x8100, 1), Err(VlanError::Truncated));
    assert_eq!(runt.data(), &frame()[..13]);
}

#[test]
fn push_on_a_bare_ethernet_header_succeeds_and_pops_back() {
    // Found by fuzzing: a 14- or 15-byte frame was refused for want of
    // bytes the tag does not need.
    for len in [14, 15] {
        let bare = &frame()[..len];
        let mut pkt = VecBuf::new(bare, 4);
        push_vlan(&mut pkt, 0x8100, 0x1000 | 0x0007).unwrap();
        assert_eq!(pkt.data(), tagged(bare, &[(0x8100, 0x0007)]));
        pop_vlan(&mut pkt).unwrap();
        assert_eq!(pkt.data(), bare);
    }
}

#[test]
fn pop_removes_the_outermost_tag_only() {
    let mut pkt = VecBuf::new(&tagged(&frame(), &[(0x88a8, 7), (0x8100, 5)]), 0);
    pop_vlan(&mut pkt).unwrap();
    assert_eq!(pkt.data(), tagged(&frame(), &[(0x8100, 5)]));
    pop_vlan(&mut pkt).unwrap();
    assert_eq!(pkt.data(), frame());
    assert_eq!(pkt.headroom(), 8);
}

#[test]
fn pop_on_an_untagged_frame_is_a_no_op() {
    let mut pkt = VecBuf::new(&frame(), 0);
    pop_vlan(&mut pkt).unwrap();
    assert_eq!(pkt.data(), frame());
    let mut runt = VecBuf::new(&[1, 2, 3], 0);
    pop_vlan(&mut runt).unwrap();
    assert_eq!(runt.data(), &[1, 2, 3]);
}

#[test]
fn pop_of_a_cut_tag_fails_and_changes_nothing() {
    let cut = tagged(&frame(), &[(0x8100, 5)])[..17].to_vec();
    let mut pkt = VecBuf::new(&cut, 0);
    assert_eq!(pop_vlan(&mut pkt), Err(VlanError::Truncated));
    assert_eq!(pkt.data(), cut);
}

#[test]
fn push_then_pop_restores_the_frame() {
    let mut pkt = VecBuf::new(&frame(), 4);
    push_vlan(&mut pkt, 0x8100, 0xffff).unwrap();
    assert_eq!(super::frames::be16(pkt.data(), 14), 0xefff);
    pop_vlan(&mut pkt).unwrap();
    assert_eq!(pkt.into_frame(), frame());
}
