//! ICMP and ICMPv6 headers, and the neighbour discovery messages flow
//! keys look into.

use super::consts::{ICMP_CHECKSUM_OFFSET, ICMP_HEADER_LEN, ND_MESSAGE_LEN, ND_OPTION_UNIT};
use super::{check_len, field, HeaderError};

/// The 8-byte header ICMP and ICMPv6 share: type, code, checksum and 4
/// bytes that depend on the type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IcmpHeader<T> {
    buffer: T,
}

impl<T: AsRef<[u8]>> IcmpHeader<T> {
    #[inline]
    pub fn new_checked(buffer: T) -> Result<Self, HeaderError> {
        check_len(buffer.as_ref(), ICMP_HEADER_LEN)?;
        Ok(IcmpHeader { buffer })
    }

    #[inline]
    pub fn msg_type(&self) -> u8 {
        field::u8_at(self.buffer.as_ref(), 0).unwrap_or_default()
    }

    #[inline]
    pub fn code(&self) -> u8 {
        field::u8_at(self.buffer.as_ref(), 1).unwrap_or_default()
    }

    #[inline]
    pub fn checksum(&self) -> u16 {
        field::be16(self.buffer.as_ref(), ICMP_CHECKSUM_OFFSET).unwrap_or_default()
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> IcmpHeader<T> {
    #[inline]
    pub fn set_msg_type(&mut self, msg_type: u8) {
        field::put(self.buffer.as_mut(), 0, [msg_type]);
    }

    #[inline]
    pub fn set_code(&mut self, code: u8) {
        field::put(self.buffer.as_mut(), 1, [code]);
    }

    #[inline]
    pub fn set_checksum(&mut self, checksum: u16) {
        field::put(
            self.buffer.as_mut(),
            ICMP_CHECKSUM_OFFSET,
            checksum.to_be_bytes(),
        );
    }
}

/// A neighbour solicitation or advertisement up to its target address;
/// options follow at [`ND_MESSAGE_LEN`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NdMessage<T> {
    buffer: T,
}

impl<T: AsRef<[u8]>> NdMessage<T> {
    #[inline]
    pub fn new_checked(buffer: T) -> Result<Self, HeaderError> {
        check_len(buffer.as_ref(), ND_MESSAGE_LEN)?;
        Ok(NdMessage { buffer })
    }

    #[inline]
    pub fn target(&self) -> u128 {
        field::be128(self.buffer.as_ref(), ICMP_HEADER_LEN).unwrap_or_default()
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> NdMessage<T> {
    #[inline]
    pub fn set_target(&mut self, target: u128) {
        field::put(self.buffer.as_mut(), ICMP_HEADER_LEN, target.to_be_bytes());
    }
}

/// The first 8 bytes of an ND option: type, length (in 8-byte units) and,
/// in a link-layer address option, the Ethernet address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NdOption<T> {
    buffer: T,
}

impl<T: AsRef<[u8]>> NdOption<T> {
    #[inline]
    pub fn new_checked(buffer: T) -> Result<Self, HeaderError> {
        check_len(buffer.as_ref(), ND_OPTION_UNIT)?;
        Ok(NdOption { buffer })
    }

    #[inline]
    pub fn option_type(&self) -> u8 {
        field::u8_at(self.buffer.as_ref(), 0).unwrap_or_default()
    }

    /// The whole option's length in bytes (0 is invalid).
    #[inline]
    pub fn option_len(&self) -> usize {
        usize::from(field::u8_at(self.buffer.as_ref(), 1).unwrap_or_default()) * ND_OPTION_UNIT
    }

    /// The Ethernet address of a one-unit link-layer address option.
    #[inline]
    pub fn ll_addr(&self) -> [u8; 6] {
        field::mac(self.buffer.as_ref(), 2).unwrap_or_default()
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> NdOption<T> {
    /// Type, length in 8-byte units, and an Ethernet address.
    #[inline]
    pub fn set_ll_addr_option(&mut self, option_type: u8, units: u8, addr: [u8; 6]) {
        let b = self.buffer.as_mut();
        field::put(b, 0, [option_type, units]);
        field::put(b, 2, addr);
    }
}
