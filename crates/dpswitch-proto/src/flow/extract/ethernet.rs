//! Ethernet header, up to two VLAN tags and the ethertype rules of
//! Ethernet II and 802.3 LLC/SNAP.

use super::tail;
use crate::flow::headers::{
    EthernetFrame, LlcSnapHeader, ETH_TYPE_802_2, ETH_TYPE_MIN, LLC_SNAP_LEN,
};
use crate::flow::key::{FlowKey, VLAN_TAG_PRESENT};

/// Fills the L2 fields and returns the offset of the L3 header, or `None`
/// when the frame is shorter than an Ethernet header (the kernel drops such
/// frames; here the key keeps only its metadata).
#[inline(always)]
pub(super) fn extract(packet: &[u8], key: &mut FlowKey) -> Option<usize> {
    let eth = EthernetFrame::new_checked(packet).ok()?;
    key.set_eth_dst(eth.dst());
    key.set_eth_src(eth.src());

    let tags = eth.tags();
    if let Some(tag) = tags.outer {
        key.set_vlan_tpid(tag.tpid);
        key.set_vlan_tci(tag.tci | VLAN_TAG_PRESENT);
    }
    if let Some(tag) = tags.inner {
        key.set_cvlan_tpid(tag.tpid);
        key.set_cvlan_tci(tag.tci | VLAN_TAG_PRESENT);
    }

    let (eth_type, l3) = ethertype(packet, tags.type_or_len, tags.payload_offset);
    key.set_eth_type(eth_type);
    Some(l3)
}

/// The ethertype a type/length field stands for, and the offset of what it
/// describes, given `after`, the offset behind the field.
///
/// A value below 0x0600 is an 802.3 length: the frame is 802.2 LLC, reported
/// as `ETH_TYPE_802_2` unless it carries a SNAP header (DSAP = SSAP = 0xaa,
/// OUI 0) whose own ethertype is a real one.
#[inline(always)]
fn ethertype(packet: &[u8], type_or_len: u16, after: usize) -> (u16, usize) {
    if type_or_len >= ETH_TYPE_MIN {
        return (type_or_len, after);
    }
    match LlcSnapHeader::new_checked(tail(packet, after)).map(|llc| llc.snap_ethertype()) {
        Ok(Some(snap_type)) => (snap_type, after + LLC_SNAP_LEN),
        _ => (ETH_TYPE_802_2, after),
    }
}
