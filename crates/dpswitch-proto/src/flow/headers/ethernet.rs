//! Ethernet II header, 802.1Q/802.1ad VLAN tags and 802.2 LLC/SNAP.

use super::consts::{
    ETH_ADDRS_LEN, ETH_HEADER_LEN, ETH_TYPE_MIN, ETH_TYPE_QINQ, ETH_TYPE_VLAN, LLC_SAP_SNAP,
    LLC_SNAP_LEN, VLAN_TAG_LEN,
};
use super::{check_len, field, HeaderError};

mod offset {
    pub const DST: usize = 0;
    pub const SRC: usize = 6;
    pub const ETHERTYPE: usize = 12;
}

/// Whether `tpid` announces a VLAN tag (802.1Q or 802.1ad).
#[inline(always)]
pub fn is_vlan_tpid(tpid: u16) -> bool {
    tpid == ETH_TYPE_VLAN || tpid == ETH_TYPE_QINQ
}

/// The 14-byte Ethernet header at the start of a frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EthernetFrame<T> {
    buffer: T,
}

impl<T: AsRef<[u8]>> EthernetFrame<T> {
    #[inline]
    pub fn new_checked(buffer: T) -> Result<Self, HeaderError> {
        check_len(buffer.as_ref(), ETH_HEADER_LEN)?;
        Ok(EthernetFrame { buffer })
    }

    #[inline]
    pub fn into_inner(self) -> T {
        self.buffer
    }

    #[inline]
    pub fn dst(&self) -> [u8; 6] {
        field::mac(self.buffer.as_ref(), offset::DST).unwrap_or_default()
    }

    #[inline]
    pub fn src(&self) -> [u8; 6] {
        field::mac(self.buffer.as_ref(), offset::SRC).unwrap_or_default()
    }

    /// The type/length field after the addresses: the TPID of the outer
    /// tag in a tagged frame.
    #[inline]
    pub fn ethertype(&self) -> u16 {
        field::be16(self.buffer.as_ref(), offset::ETHERTYPE).unwrap_or_default()
    }

    /// Up to two VLAN tags and the type/length field behind them.
    ///
    /// As in the kernel, a tag counts only when the type/length field after
    /// it is in the frame too; otherwise its TPID is the frame's type. An
    /// inner tag is looked for only behind an outer one.
    #[inline]
    pub fn tags(&self) -> TagStack {
        let b = self.buffer.as_ref();
        let mut type_offset = ETH_ADDRS_LEN;
        let outer = tag_at(b, type_offset);
        let mut inner = None;
        if outer.is_some() {
            type_offset += VLAN_TAG_LEN;
            inner = tag_at(b, type_offset);
            if inner.is_some() {
                type_offset += VLAN_TAG_LEN;
            }
        }
        TagStack {
            outer,
            inner,
            // Every tag taken was followed by two more bytes, and an
            // untagged frame has its type: this read cannot fail.
            type_or_len: field::be16(b, type_offset).unwrap_or_default(),
            payload_offset: type_offset + 2,
        }
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> EthernetFrame<T> {
    #[inline]
    pub fn set_dst(&mut self, mac: [u8; 6]) {
        field::put(self.buffer.as_mut(), offset::DST, mac);
    }

    #[inline]
    pub fn set_src(&mut self, mac: [u8; 6]) {
        field::put(self.buffer.as_mut(), offset::SRC, mac);
    }

    #[inline]
    pub fn set_ethertype(&mut self, ethertype: u16) {
        field::put(
            self.buffer.as_mut(),
            offset::ETHERTYPE,
            ethertype.to_be_bytes(),
        );
    }
}

/// A VLAN tag as a frame carries it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VlanTag {
    pub tpid: u16,
    /// Priority, DEI and VLAN id, as on the wire.
    pub tci: u16,
}

/// What [`EthernetFrame::tags`] finds after the MAC addresses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TagStack {
    pub outer: Option<VlanTag>,
    pub inner: Option<VlanTag>,
    /// An EtherType, or an 802.3 length when below [`ETH_TYPE_MIN`].
    pub type_or_len: u16,
    /// Offset in the frame of what follows the type/length field.
    pub payload_offset: usize,
}

#[inline(always)]
fn tag_at(frame: &[u8], tpid_offset: usize) -> Option<VlanTag> {
    let tpid = field::be16(frame, tpid_offset)?;
    if !is_vlan_tpid(tpid) {
        return None;
    }
    let tag = VlanHeader::new_checked(frame.get(tpid_offset + 2..)?).ok()?;
    Some(VlanTag {
        tpid,
        tci: tag.tci(),
    })
}

/// What follows a VLAN TPID: the TCI and the encapsulated type/length.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VlanHeader<T> {
    buffer: T,
}

mod vlan_offset {
    pub const TCI: usize = 0;
    pub const ETHERTYPE: usize = 2;
    pub const LEN: usize = 4;
}

impl<T: AsRef<[u8]>> VlanHeader<T> {
    #[inline]
    pub fn new_checked(buffer: T) -> Result<Self, HeaderError> {
        check_len(buffer.as_ref(), vlan_offset::LEN)?;
        Ok(VlanHeader { buffer })
    }

    #[inline]
    pub fn tci(&self) -> u16 {
        field::be16(self.buffer.as_ref(), vlan_offset::TCI).unwrap_or_default()
    }

    #[inline]
    pub fn ethertype(&self) -> u16 {
        field::be16(self.buffer.as_ref(), vlan_offset::ETHERTYPE).unwrap_or_default()
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> VlanHeader<T> {
    #[inline]
    pub fn set_tci(&mut self, tci: u16) {
        field::put(self.buffer.as_mut(), vlan_offset::TCI, tci.to_be_bytes());
    }

    #[inline]
    pub fn set_ethertype(&mut self, ethertype: u16) {
        field::put(
            self.buffer.as_mut(),
            vlan_offset::ETHERTYPE,
            ethertype.to_be_bytes(),
        );
    }
}

/// An 802.2 LLC header with a SNAP header: DSAP, SSAP, control, OUI and
/// EtherType.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LlcSnapHeader<T> {
    buffer: T,
}

impl<T: AsRef<[u8]>> LlcSnapHeader<T> {
    #[inline]
    pub fn new_checked(buffer: T) -> Result<Self, HeaderError> {
        check_len(buffer.as_ref(), LLC_SNAP_LEN)?;
        Ok(LlcSnapHeader { buffer })
    }

    /// The EtherType of a SNAP header that carries one: DSAP and SSAP
    /// 0xaa, OUI 0 and a value that is an EtherType. The control byte is
    /// not checked, as in the kernel.
    #[inline]
    pub fn snap_ethertype(&self) -> Option<u16> {
        let [dsap, ssap, _control, oui0, oui1, oui2, type_hi, type_lo] =
            *field::array::<LLC_SNAP_LEN>(self.buffer.as_ref(), 0)?;
        let ethertype = u16::from_be_bytes([type_hi, type_lo]);
        (dsap == LLC_SAP_SNAP
            && ssap == LLC_SAP_SNAP
            && (oui0 | oui1 | oui2) == 0
            && ethertype >= ETH_TYPE_MIN)
            .then_some(ethertype)
    }
}
