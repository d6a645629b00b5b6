//! `push_vlan` and `pop_vlan` on the frame's bytes: the tag goes in, or
//! comes out, right after the MAC addresses.

use super::buf::PacketBuf;
use crate::flow::headers::{
    is_vlan_tpid, EthernetFrame, VlanHeader, ETH_ADDRS_LEN, ETH_HEADER_LEN, VLAN_TAG_LEN,
};
use crate::flow::key::VLAN_TAG_PRESENT;

/// Why a VLAN action could not be applied. The kernel drops the packet in
/// both cases rather than send it with the wrong tagging.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VlanError {
    /// The frame is shorter than the Ethernet header (push) or than the
    /// tag it announces (pop).
    Truncated,
    /// No room in front of the frame for a tag.
    NoHeadroom,
}

/// Inserts a tag (`tpid`, `tci`) as the outermost one. The action's TCI
/// carries the CFI bit as "tag present" (as in the flow key); that bit is
/// cleared on the wire, as the kernel does.
pub fn push_vlan<P: PacketBuf>(pkt: &mut P, tpid: u16, tci: u16) -> Result<(), VlanError> {
    if EthernetFrame::new_checked(pkt.data()).is_err() {
        return Err(VlanError::Truncated);
    }
    pkt.prepend(VLAN_TAG_LEN).ok_or(VlanError::NoHeadroom)?;
    let data = pkt.data_mut();
    // The moved addresses, the new tag and the type after it: all a bare
    // Ethernet header (14 bytes, 18 once grown) is sure to have.
    let Some(head) = data.get_mut(..ETH_HEADER_LEN + VLAN_TAG_LEN) else {
        // Only a buffer that refuses writes gets here; it grew by a tag, so
        // give the bytes back.
        let _ = pkt.adj(VLAN_TAG_LEN);
        return Err(VlanError::NoHeadroom);
    };
    head.copy_within(VLAN_TAG_LEN..VLAN_TAG_LEN + ETH_ADDRS_LEN, 0);
    // The TPID takes the place of the type, which the TCI now precedes.
    if let Some((eth, tag)) = head.split_at_mut_checked(ETH_HEADER_LEN) {
        if let (Ok(mut eth), Ok(mut tag)) = (
            EthernetFrame::new_checked(eth),
            VlanHeader::new_checked(tag),
        ) {
            eth.set_ethertype(tpid);
            tag.set_tci(tci & !VLAN_TAG_PRESENT);
        }
    }
    Ok(())
}

/// Removes the outermost tag; an untagged frame is left as it is.
pub fn pop_vlan<P: PacketBuf>(pkt: &mut P) -> Result<(), VlanError> {
    let tagged =
        EthernetFrame::new_checked(pkt.data()).is_ok_and(|eth| is_vlan_tpid(eth.ethertype()));
    if !tagged {
        return Ok(());
    }
    let Some(head) = pkt.data_mut().get_mut(..ETH_HEADER_LEN + VLAN_TAG_LEN) else {
        return Err(VlanError::Truncated);
    };
    head.copy_within(..ETH_ADDRS_LEN, VLAN_TAG_LEN);
    if pkt.adj(VLAN_TAG_LEN) {
        Ok(())
    } else {
        Err(VlanError::Truncated)
    }
}
