//! Ethernet header, up to two VLAN tags and the ethertype rules of
//! Ethernet II and 802.3 LLC/SNAP.

use super::bytes::{array_at, be16_at, fits, mac_at};
use crate::flow::key::{FlowKey, ETH_TYPE_802_2, ETH_TYPE_QINQ, ETH_TYPE_VLAN, VLAN_TAG_PRESENT};

const ETH_ADDRS_LEN: usize = 12;
const ETH_HEADER_LEN: usize = 14;
const VLAN_TAG_LEN: usize = 4;
/// Smallest type/length value that is an ethertype rather than an 802.3
/// length.
const ETH_TYPE_MIN: u16 = 0x0600;
const LLC_SNAP_LEN: usize = 8;
const LLC_SAP_SNAP: u8 = 0xaa;

/// Fills the L2 fields and returns the offset of the L3 header, or `None`
/// when the frame is shorter than an Ethernet header (the kernel drops such
/// frames; here the key keeps only its metadata).
pub(super) fn extract(packet: &[u8], key: &mut FlowKey) -> Option<usize> {
    if !fits(packet, 0, ETH_HEADER_LEN) {
        return None;
    }
    key.set_eth_dst(mac_at(packet, 0)?);
    key.set_eth_src(mac_at(packet, 6)?);

    let mut off = ETH_ADDRS_LEN;
    // The inner tag is only looked at when the outer one was taken.
    if let Some((tpid, tci)) = vlan_tag(packet, off) {
        key.set_vlan_tpid(tpid);
        key.set_vlan_tci(tci);
        off += VLAN_TAG_LEN;
        if let Some((tpid, tci)) = vlan_tag(packet, off) {
            key.set_cvlan_tpid(tpid);
            key.set_cvlan_tci(tci);
            off += VLAN_TAG_LEN;
        }
    }

    let (eth_type, l3) = ethertype(packet, off)?;
    key.set_eth_type(eth_type);
    Some(l3)
}

/// The (TPID, TCI with `VLAN_TAG_PRESENT`) of an 802.1Q or 802.1ad tag at
/// `off`. Like the kernel, a tag counts only when the ethertype after it is
/// there too; otherwise its TPID becomes the frame's ethertype.
fn vlan_tag(packet: &[u8], off: usize) -> Option<(u16, u16)> {
    let tpid = be16_at(packet, off)?;
    if tpid != ETH_TYPE_VLAN && tpid != ETH_TYPE_QINQ {
        return None;
    }
    if !fits(packet, off, VLAN_TAG_LEN + 2) {
        return None;
    }
    let tci = be16_at(packet, off + 2)?;
    Some((tpid, tci | VLAN_TAG_PRESENT))
}

/// The ethertype at `off` and the offset of what it describes.
///
/// A value below 0x0600 is an 802.3 length: the frame is 802.2 LLC, reported
/// as `ETH_TYPE_802_2` unless it carries a SNAP header (DSAP = SSAP = 0xaa,
/// OUI 0) whose own ethertype is a real one. The LLC control byte is not
/// checked, as in the kernel.
fn ethertype(packet: &[u8], off: usize) -> Option<(u16, usize)> {
    let type_or_len = be16_at(packet, off)?;
    let after = off + 2;
    if type_or_len >= ETH_TYPE_MIN {
        return Some((type_or_len, after));
    }
    let Some(llc) = array_at::<LLC_SNAP_LEN>(packet, after) else {
        return Some((ETH_TYPE_802_2, after));
    };
    let [dsap, ssap, _ctrl, oui0, oui1, oui2, type_hi, type_lo] = *llc;
    let snap_type = u16::from_be_bytes([type_hi, type_lo]);
    if dsap == LLC_SAP_SNAP
        && ssap == LLC_SAP_SNAP
        && (oui0 | oui1 | oui2) == 0
        && snap_type >= ETH_TYPE_MIN
    {
        Some((snap_type, after + LLC_SNAP_LEN))
    } else {
        Some((ETH_TYPE_802_2, after))
    }
}
