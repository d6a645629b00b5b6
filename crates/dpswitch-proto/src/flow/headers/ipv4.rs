//! The IPv4 header.

use super::checksum::internet_checksum;
use super::consts::{IPV4_CHECKSUM_OFFSET, IPV4_MIN_HEADER_LEN};
use super::{check_len, field, HeaderError};

mod offset {
    pub const VER_IHL: usize = 0;
    pub const TOS: usize = 1;
    pub const TOTAL_LEN: usize = 2;
    pub const IDENT: usize = 4;
    pub const FLAGS_FRAG: usize = 6;
    pub const TTL: usize = 8;
    pub const PROTOCOL: usize = 9;
    pub const SRC: usize = 12;
    pub const DST: usize = 16;
}

const DONT_FRAGMENT: u16 = 0x4000;
const MORE_FRAGMENTS: u16 = 0x2000;
const FRAG_OFFSET_MASK: u16 = 0x1fff;

/// An IPv4 header of at least 20 bytes. Neither the version, the header
/// length (see [`Ipv4Packet::checked_header_len`]), the total length nor
/// the checksum are checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ipv4Packet<T> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Ipv4Packet<T> {
    #[inline]
    pub fn new_checked(buffer: T) -> Result<Self, HeaderError> {
        check_len(buffer.as_ref(), IPV4_MIN_HEADER_LEN)?;
        Ok(Ipv4Packet { buffer })
    }

    #[inline]
    pub fn into_inner(self) -> T {
        self.buffer
    }

    #[inline]
    fn byte(&self, at: usize) -> u8 {
        field::u8_at(self.buffer.as_ref(), at).unwrap_or_default()
    }

    #[inline]
    fn be16(&self, at: usize) -> u16 {
        field::be16(self.buffer.as_ref(), at).unwrap_or_default()
    }

    #[inline]
    pub fn version(&self) -> u8 {
        self.byte(offset::VER_IHL) >> 4
    }

    /// The header length the IHL field announces, in bytes.
    #[inline]
    pub fn header_len(&self) -> usize {
        usize::from(self.byte(offset::VER_IHL) & 0x0f) * 4
    }

    /// [`Ipv4Packet::header_len`] when it is at least 20 bytes and all in
    /// the buffer: where the payload starts.
    #[inline]
    pub fn checked_header_len(&self) -> Result<usize, HeaderError> {
        let len = self.header_len();
        if len < IPV4_MIN_HEADER_LEN {
            return Err(HeaderError::BadLength);
        }
        check_len(self.buffer.as_ref(), len)?;
        Ok(len)
    }

    #[inline]
    pub fn tos(&self) -> u8 {
        self.byte(offset::TOS)
    }

    #[inline]
    pub fn total_len(&self) -> u16 {
        self.be16(offset::TOTAL_LEN)
    }

    #[inline]
    pub fn ident(&self) -> u16 {
        self.be16(offset::IDENT)
    }

    #[inline]
    pub fn dont_fragment(&self) -> bool {
        self.be16(offset::FLAGS_FRAG) & DONT_FRAGMENT != 0
    }

    #[inline]
    pub fn more_fragments(&self) -> bool {
        self.be16(offset::FLAGS_FRAG) & MORE_FRAGMENTS != 0
    }

    /// The fragment offset field, in units of 8 bytes; nonzero for all
    /// fragments but the first.
    #[inline]
    pub fn frag_offset(&self) -> u16 {
        self.be16(offset::FLAGS_FRAG) & FRAG_OFFSET_MASK
    }

    #[inline]
    pub fn ttl(&self) -> u8 {
        self.byte(offset::TTL)
    }

    #[inline]
    pub fn protocol(&self) -> u8 {
        self.byte(offset::PROTOCOL)
    }

    #[inline]
    pub fn checksum(&self) -> u16 {
        self.be16(IPV4_CHECKSUM_OFFSET)
    }

    #[inline]
    pub fn src(&self) -> u32 {
        field::be32(self.buffer.as_ref(), offset::SRC).unwrap_or_default()
    }

    #[inline]
    pub fn dst(&self) -> u32 {
        field::be32(self.buffer.as_ref(), offset::DST).unwrap_or_default()
    }

    /// The checksum the header (of [`Ipv4Packet::header_len`], at least
    /// 20 bytes, within the buffer) should carry.
    pub fn compute_checksum(&self) -> u16 {
        let b = self.buffer.as_ref();
        let len = self.header_len().clamp(IPV4_MIN_HEADER_LEN, b.len());
        let (Some(before), Some(after)) = (
            b.get(..IPV4_CHECKSUM_OFFSET),
            b.get(IPV4_CHECKSUM_OFFSET + 2..len),
        ) else {
            return 0;
        };
        // The checksum field counts as zero: sum the two sides apart
        // (each starts at an even offset) and combine them.
        let sum = !internet_checksum(before) as u32 + !internet_checksum(after) as u32;
        !(((sum & 0xffff) + (sum >> 16)) as u16)
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Ipv4Packet<T> {
    #[inline]
    fn set_be16(&mut self, at: usize, value: u16) {
        field::put(self.buffer.as_mut(), at, value.to_be_bytes());
    }

    /// Version and header length (in bytes, a multiple of 4 up to 60).
    #[inline]
    pub fn set_version_and_header_len(&mut self, version: u8, header_len: usize) {
        let ihl = (header_len / 4).min(0x0f) as u8;
        field::put(
            self.buffer.as_mut(),
            offset::VER_IHL,
            [(version << 4) | ihl],
        );
    }

    #[inline]
    pub fn set_tos(&mut self, tos: u8) {
        field::put(self.buffer.as_mut(), offset::TOS, [tos]);
    }

    #[inline]
    pub fn set_total_len(&mut self, len: u16) {
        self.set_be16(offset::TOTAL_LEN, len);
    }

    #[inline]
    pub fn set_ident(&mut self, ident: u16) {
        self.set_be16(offset::IDENT, ident);
    }

    /// Flags and fragment offset (in units of 8 bytes) at once: they share
    /// a word.
    #[inline]
    pub fn set_fragment(&mut self, dont_fragment: bool, more_fragments: bool, frag_offset: u16) {
        let mut word = frag_offset & FRAG_OFFSET_MASK;
        if dont_fragment {
            word |= DONT_FRAGMENT;
        }
        if more_fragments {
            word |= MORE_FRAGMENTS;
        }
        self.set_be16(offset::FLAGS_FRAG, word);
    }

    #[inline]
    pub fn set_ttl(&mut self, ttl: u8) {
        field::put(self.buffer.as_mut(), offset::TTL, [ttl]);
    }

    #[inline]
    pub fn set_protocol(&mut self, protocol: u8) {
        field::put(self.buffer.as_mut(), offset::PROTOCOL, [protocol]);
    }

    #[inline]
    pub fn set_checksum(&mut self, checksum: u16) {
        self.set_be16(IPV4_CHECKSUM_OFFSET, checksum);
    }

    #[inline]
    pub fn set_src(&mut self, addr: u32) {
        field::put(self.buffer.as_mut(), offset::SRC, addr.to_be_bytes());
    }

    #[inline]
    pub fn set_dst(&mut self, addr: u32) {
        field::put(self.buffer.as_mut(), offset::DST, addr.to_be_bytes());
    }

    /// Stores the checksum the header should carry.
    pub fn fill_checksum(&mut self) {
        let checksum = self.compute_checksum();
        self.set_checksum(checksum);
    }
}
