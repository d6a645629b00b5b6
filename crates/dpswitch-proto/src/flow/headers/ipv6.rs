//! The fixed IPv6 header.

use super::consts::IPV6_HEADER_LEN;
use super::ipv6_ext::{walk_extension_headers, ExtHeaderWalk};
use super::{check_len, field, HeaderError};

mod offset {
    pub const VER_TC_FLOW: usize = 0;
    pub const PAYLOAD_LEN: usize = 4;
    pub const NEXT_HEADER: usize = 6;
    pub const HOP_LIMIT: usize = 7;
    pub const SRC: usize = 8;
    pub const DST: usize = 24;
}

const FLOW_LABEL_MASK: u32 = 0x000f_ffff;

/// The 40-byte IPv6 header. The version and payload length are not
/// checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ipv6Packet<T> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Ipv6Packet<T> {
    #[inline]
    pub fn new_checked(buffer: T) -> Result<Self, HeaderError> {
        check_len(buffer.as_ref(), IPV6_HEADER_LEN)?;
        Ok(Ipv6Packet { buffer })
    }

    #[inline]
    pub fn into_inner(self) -> T {
        self.buffer
    }

    #[inline]
    fn first_word(&self) -> u32 {
        field::be32(self.buffer.as_ref(), offset::VER_TC_FLOW).unwrap_or_default()
    }

    #[inline]
    pub fn version(&self) -> u8 {
        (self.first_word() >> 28) as u8
    }

    #[inline]
    pub fn traffic_class(&self) -> u8 {
        (self.first_word() >> 20) as u8
    }

    /// The 20-bit flow label.
    #[inline]
    pub fn flow_label(&self) -> u32 {
        self.first_word() & FLOW_LABEL_MASK
    }

    #[inline]
    pub fn payload_len(&self) -> u16 {
        field::be16(self.buffer.as_ref(), offset::PAYLOAD_LEN).unwrap_or_default()
    }

    #[inline]
    pub fn next_header(&self) -> u8 {
        field::u8_at(self.buffer.as_ref(), offset::NEXT_HEADER).unwrap_or_default()
    }

    #[inline]
    pub fn hop_limit(&self) -> u8 {
        field::u8_at(self.buffer.as_ref(), offset::HOP_LIMIT).unwrap_or_default()
    }

    #[inline]
    pub fn src(&self) -> u128 {
        field::be128(self.buffer.as_ref(), offset::SRC).unwrap_or_default()
    }

    #[inline]
    pub fn dst(&self) -> u128 {
        field::be128(self.buffer.as_ref(), offset::DST).unwrap_or_default()
    }

    /// The extension headers after this header, walked up to the upper
    /// layer; offsets in the result count from the start of this header.
    #[inline]
    pub fn walk_extension_headers(&self) -> ExtHeaderWalk {
        walk_extension_headers(self.buffer.as_ref(), IPV6_HEADER_LEN, self.next_header())
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Ipv6Packet<T> {
    #[inline]
    fn set_first_word(&mut self, word: u32) {
        field::put(
            self.buffer.as_mut(),
            offset::VER_TC_FLOW,
            word.to_be_bytes(),
        );
    }

    #[inline]
    pub fn set_version(&mut self, version: u8) {
        let word = self.first_word();
        self.set_first_word((word & 0x0fff_ffff) | (u32::from(version & 0x0f) << 28));
    }

    #[inline]
    pub fn set_traffic_class(&mut self, tclass: u8) {
        let word = self.first_word();
        self.set_first_word((word & 0xf00f_ffff) | (u32::from(tclass) << 20));
    }

    /// Stores the low 20 bits of `label`.
    #[inline]
    pub fn set_flow_label(&mut self, label: u32) {
        let word = self.first_word();
        self.set_first_word((word & !FLOW_LABEL_MASK) | (label & FLOW_LABEL_MASK));
    }

    #[inline]
    pub fn set_payload_len(&mut self, len: u16) {
        field::put(self.buffer.as_mut(), offset::PAYLOAD_LEN, len.to_be_bytes());
    }

    #[inline]
    pub fn set_next_header(&mut self, next: u8) {
        field::put(self.buffer.as_mut(), offset::NEXT_HEADER, [next]);
    }

    #[inline]
    pub fn set_hop_limit(&mut self, hop_limit: u8) {
        field::put(self.buffer.as_mut(), offset::HOP_LIMIT, [hop_limit]);
    }

    #[inline]
    pub fn set_src(&mut self, addr: u128) {
        field::put(self.buffer.as_mut(), offset::SRC, addr.to_be_bytes());
    }

    #[inline]
    pub fn set_dst(&mut self, addr: u128) {
        field::put(self.buffer.as_mut(), offset::DST, addr.to_be_bytes());
    }
}
