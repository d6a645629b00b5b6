//! ARP (and RARP) for Ethernet hardware and IPv4 protocol addresses, the
//! only form a switch needs to look into.

use super::consts::{ARP_ETH_IPV4_LEN, ARP_HRD_ETHERNET, ETH_TYPE_IPV4};
use super::{check_len, field, HeaderError};

mod offset {
    pub const HTYPE: usize = 0;
    pub const PTYPE: usize = 2;
    pub const HLEN: usize = 4;
    pub const PLEN: usize = 5;
    pub const OPER: usize = 6;
    pub const SHA: usize = 8;
    pub const SPA: usize = 14;
    pub const THA: usize = 18;
    pub const TPA: usize = 24;
}

/// A 28-byte ARP packet laid out for Ethernet/IPv4 addresses; whether its
/// header says so is [`ArpPacket::is_ethernet_ipv4`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ArpPacket<T> {
    buffer: T,
}

impl<T: AsRef<[u8]>> ArpPacket<T> {
    #[inline]
    pub fn new_checked(buffer: T) -> Result<Self, HeaderError> {
        check_len(buffer.as_ref(), ARP_ETH_IPV4_LEN)?;
        Ok(ArpPacket { buffer })
    }

    #[inline]
    fn be16(&self, at: usize) -> u16 {
        field::be16(self.buffer.as_ref(), at).unwrap_or_default()
    }

    #[inline]
    fn byte(&self, at: usize) -> u8 {
        field::u8_at(self.buffer.as_ref(), at).unwrap_or_default()
    }

    #[inline]
    pub fn hardware_type(&self) -> u16 {
        self.be16(offset::HTYPE)
    }

    #[inline]
    pub fn protocol_type(&self) -> u16 {
        self.be16(offset::PTYPE)
    }

    #[inline]
    pub fn hardware_len(&self) -> u8 {
        self.byte(offset::HLEN)
    }

    #[inline]
    pub fn protocol_len(&self) -> u8 {
        self.byte(offset::PLEN)
    }

    /// Hardware Ethernet, protocol IPv4, with their address sizes.
    #[inline]
    pub fn is_ethernet_ipv4(&self) -> bool {
        self.hardware_type() == ARP_HRD_ETHERNET
            && self.protocol_type() == ETH_TYPE_IPV4
            && self.hardware_len() == 6
            && self.protocol_len() == 4
    }

    #[inline]
    pub fn operation(&self) -> u16 {
        self.be16(offset::OPER)
    }

    #[inline]
    pub fn sender_hw_addr(&self) -> [u8; 6] {
        field::mac(self.buffer.as_ref(), offset::SHA).unwrap_or_default()
    }

    #[inline]
    pub fn sender_ip(&self) -> u32 {
        field::be32(self.buffer.as_ref(), offset::SPA).unwrap_or_default()
    }

    #[inline]
    pub fn target_hw_addr(&self) -> [u8; 6] {
        field::mac(self.buffer.as_ref(), offset::THA).unwrap_or_default()
    }

    #[inline]
    pub fn target_ip(&self) -> u32 {
        field::be32(self.buffer.as_ref(), offset::TPA).unwrap_or_default()
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> ArpPacket<T> {
    /// Hardware Ethernet, protocol IPv4, with their address sizes.
    #[inline]
    pub fn set_ethernet_ipv4(&mut self) {
        let b = self.buffer.as_mut();
        field::put(b, offset::HTYPE, ARP_HRD_ETHERNET.to_be_bytes());
        field::put(b, offset::PTYPE, ETH_TYPE_IPV4.to_be_bytes());
        field::put(b, offset::HLEN, [6, 4]);
    }

    #[inline]
    pub fn set_operation(&mut self, op: u16) {
        field::put(self.buffer.as_mut(), offset::OPER, op.to_be_bytes());
    }

    #[inline]
    pub fn set_sender_hw_addr(&mut self, mac: [u8; 6]) {
        field::put(self.buffer.as_mut(), offset::SHA, mac);
    }

    #[inline]
    pub fn set_sender_ip(&mut self, ip: u32) {
        field::put(self.buffer.as_mut(), offset::SPA, ip.to_be_bytes());
    }

    #[inline]
    pub fn set_target_hw_addr(&mut self, mac: [u8; 6]) {
        field::put(self.buffer.as_mut(), offset::THA, mac);
    }

    #[inline]
    pub fn set_target_ip(&mut self, ip: u32) {
        field::put(self.buffer.as_mut(), offset::TPA, ip.to_be_bytes());
    }
}
