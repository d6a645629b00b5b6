//! Bounds-checked, typed views of packet headers over byte slices, in the
//! manner of smoltcp's `wire` module, and the one IPv6 extension header
//! walk.
//!
//! A view (`EthernetFrame<T>`, `Ipv4Packet<T>`, ...) wraps any
//! `T: AsRef<[u8]>` that starts with its header. `new_checked` is the only
//! way to build one and fails unless the fixed part of the header is
//! there; after that every getter reads inside the buffer, and setters
//! (when `T: AsMut<[u8]>`) write inside it. Variable-length parts (IPv4
//! and TCP options) are checked separately, because callers differ on
//! what a header whose length field lies should mean. Nothing here
//! allocates or panics, and the crate forbids `unsafe_code`: packets are
//! untrusted input on the fast path.
//!
//! Getters return host-order integers; addresses are big-endian integers
//! (the first byte on the wire is the most significant) or byte arrays
//! (MAC addresses), as the flow key stores them.

mod arp;
mod checksum;
mod consts;
mod ethernet;
mod field;
mod icmp;
mod ipv4;
mod ipv6;
mod ipv6_ext;
mod transport;

#[cfg(test)]
mod tests;

pub use arp::ArpPacket;
pub use checksum::{internet_checksum, replace16_in_checksum, replace_in_checksum};
pub use consts::*;
pub use ethernet::{is_vlan_tpid, EthernetFrame, LlcSnapHeader, TagStack, VlanHeader, VlanTag};
pub use icmp::{IcmpHeader, NdMessage, NdOption};
pub use ipv4::Ipv4Packet;
pub use ipv6::Ipv6Packet;
pub use ipv6_ext::{
    is_extension_header, walk_extension_headers, ExtHeaderWalk, Ipv6ExtHeader, Ipv6FragmentHeader,
    Ipv6RoutingHeader, WalkEnd, MAX_EXTENSION_HEADERS,
};
pub use transport::{SctpHeader, TcpHeader, UdpHeader};

/// Why a view could not be made of a buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HeaderError {
    /// The buffer ends before the header (or the length it announces).
    Truncated,
    /// A length field announces less than the fixed header.
    BadLength,
}

impl std::fmt::Display for HeaderError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            HeaderError::Truncated => "header truncated",
            HeaderError::BadLength => "header length field too small",
        })
    }
}

impl std::error::Error for HeaderError {}

/// `Ok(())` when `buffer` holds at least `len` bytes.
#[inline(always)]
fn check_len(buffer: &[u8], len: usize) -> Result<(), HeaderError> {
    if buffer.len() < len {
        Err(HeaderError::Truncated)
    } else {
        Ok(())
    }
}
