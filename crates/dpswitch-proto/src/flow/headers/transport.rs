//! TCP, UDP and SCTP: ports, checksums and TCP's flags.

use super::consts::{
    SCTP_CHECKSUM_OFFSET, SCTP_HEADER_LEN, TCP_CHECKSUM_OFFSET, TCP_MIN_HEADER_LEN,
    UDP_CHECKSUM_OFFSET, UDP_HEADER_LEN,
};
use super::{check_len, field, HeaderError};

/// Every header here starts with the source and destination ports.
mod offset {
    pub const SRC_PORT: usize = 0;
    pub const DST_PORT: usize = 2;
    pub const TCP_OFFSET_FLAGS: usize = 12;
    pub const UDP_LEN: usize = 4;
}

/// The flags of the TCP offset/flags word (with the 3 reserved bits and
/// NS, as the flow key keeps them).
const TCP_FLAGS_MASK: u16 = 0x0fff;

macro_rules! port_accessors {
    ($view:ident) => {
        impl<T: AsRef<[u8]>> $view<T> {
            #[inline]
            pub fn into_inner(self) -> T {
                self.buffer
            }

            #[inline]
            pub fn src_port(&self) -> u16 {
                field::be16(self.buffer.as_ref(), offset::SRC_PORT).unwrap_or_default()
            }

            #[inline]
            pub fn dst_port(&self) -> u16 {
                field::be16(self.buffer.as_ref(), offset::DST_PORT).unwrap_or_default()
            }
        }

        impl<T: AsRef<[u8]> + AsMut<[u8]>> $view<T> {
            #[inline]
            pub fn set_src_port(&mut self, port: u16) {
                field::put(self.buffer.as_mut(), offset::SRC_PORT, port.to_be_bytes());
            }

            #[inline]
            pub fn set_dst_port(&mut self, port: u16) {
                field::put(self.buffer.as_mut(), offset::DST_PORT, port.to_be_bytes());
            }
        }
    };
}

/// A TCP header of at least 20 bytes; its options are checked by
/// [`TcpHeader::checked_header_len`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TcpHeader<T> {
    buffer: T,
}

port_accessors!(TcpHeader);

impl<T: AsRef<[u8]>> TcpHeader<T> {
    #[inline]
    pub fn new_checked(buffer: T) -> Result<Self, HeaderError> {
        check_len(buffer.as_ref(), TCP_MIN_HEADER_LEN)?;
        Ok(TcpHeader { buffer })
    }

    #[inline]
    fn offset_flags(&self) -> u16 {
        field::be16(self.buffer.as_ref(), offset::TCP_OFFSET_FLAGS).unwrap_or_default()
    }

    /// The header length the data offset announces, in bytes.
    #[inline]
    pub fn header_len(&self) -> usize {
        usize::from(self.offset_flags() >> 12) * 4
    }

    /// [`TcpHeader::header_len`] when it is at least 20 bytes and all in
    /// the buffer.
    #[inline]
    pub fn checked_header_len(&self) -> Result<usize, HeaderError> {
        let len = self.header_len();
        if len < TCP_MIN_HEADER_LEN {
            return Err(HeaderError::BadLength);
        }
        check_len(self.buffer.as_ref(), len)?;
        Ok(len)
    }

    /// The 12 bits below the data offset: FIN, SYN, RST, PSH, ACK, URG,
    /// ECE, CWR, NS and the reserved bits.
    #[inline]
    pub fn flags(&self) -> u16 {
        self.offset_flags() & TCP_FLAGS_MASK
    }

    #[inline]
    pub fn checksum(&self) -> u16 {
        field::be16(self.buffer.as_ref(), TCP_CHECKSUM_OFFSET).unwrap_or_default()
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> TcpHeader<T> {
    /// Data offset (header length in bytes, a multiple of 4 up to 60) and
    /// flags at once: they share a word.
    #[inline]
    pub fn set_header_len_and_flags(&mut self, header_len: usize, flags: u16) {
        let word = (((header_len / 4).min(0x0f) as u16) << 12) | (flags & TCP_FLAGS_MASK);
        field::put(
            self.buffer.as_mut(),
            offset::TCP_OFFSET_FLAGS,
            word.to_be_bytes(),
        );
    }

    #[inline]
    pub fn set_checksum(&mut self, checksum: u16) {
        field::put(
            self.buffer.as_mut(),
            TCP_CHECKSUM_OFFSET,
            checksum.to_be_bytes(),
        );
    }
}

/// The 8-byte UDP header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UdpHeader<T> {
    buffer: T,
}

port_accessors!(UdpHeader);

impl<T: AsRef<[u8]>> UdpHeader<T> {
    #[inline]
    pub fn new_checked(buffer: T) -> Result<Self, HeaderError> {
        check_len(buffer.as_ref(), UDP_HEADER_LEN)?;
        Ok(UdpHeader { buffer })
    }

    /// Header and payload, in bytes.
    #[inline]
    pub fn datagram_len(&self) -> u16 {
        field::be16(self.buffer.as_ref(), offset::UDP_LEN).unwrap_or_default()
    }

    /// Zero means "no checksum" (IPv4 only).
    #[inline]
    pub fn checksum(&self) -> u16 {
        field::be16(self.buffer.as_ref(), UDP_CHECKSUM_OFFSET).unwrap_or_default()
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> UdpHeader<T> {
    #[inline]
    pub fn set_datagram_len(&mut self, len: u16) {
        field::put(self.buffer.as_mut(), offset::UDP_LEN, len.to_be_bytes());
    }

    #[inline]
    pub fn set_checksum(&mut self, checksum: u16) {
        field::put(
            self.buffer.as_mut(),
            UDP_CHECKSUM_OFFSET,
            checksum.to_be_bytes(),
        );
    }
}

/// The 12-byte SCTP common header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SctpHeader<T> {
    buffer: T,
}

port_accessors!(SctpHeader);

impl<T: AsRef<[u8]>> SctpHeader<T> {
    #[inline]
    pub fn new_checked(buffer: T) -> Result<Self, HeaderError> {
        check_len(buffer.as_ref(), SCTP_HEADER_LEN)?;
        Ok(SctpHeader { buffer })
    }

    /// The CRC32-C as stored: its bytes read as a big-endian number.
    #[inline]
    pub fn checksum(&self) -> u32 {
        field::be32(self.buffer.as_ref(), SCTP_CHECKSUM_OFFSET).unwrap_or_default()
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> SctpHeader<T> {
    #[inline]
    pub fn set_checksum(&mut self, checksum: u32) {
        field::put(
            self.buffer.as_mut(),
            SCTP_CHECKSUM_OFFSET,
            checksum.to_be_bytes(),
        );
    }
}
