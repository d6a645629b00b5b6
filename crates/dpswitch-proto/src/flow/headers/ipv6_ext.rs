//! IPv6 extension headers and the one walk over them, shared by flow
//! extraction and the header-rewriting actions.

use super::consts::{
    IPPROTO_AH, IPPROTO_DSTOPTS, IPPROTO_FRAGMENT, IPPROTO_HOPOPTS, IPPROTO_ROUTING,
    IPV6_FRAGMENT_HEADER_LEN,
};
use super::{check_len, field, HeaderError};

/// Extension headers walked before a packet is given up on: the Linux
/// kernel's `IP6_MAX_EXT_HDRS_CNT`, which bounds `ipv6_find_hdr` (the walk
/// behind Open vSwitch's flow extraction and `set` actions) and
/// `ipv6_skip_exthdr`. RFC 8200's occurrence rules allow 8 in a valid
/// packet; the kernel keeps room for quirky senders while refusing the
/// thousands of tiny headers a 64 KiB packet could chain. The same limit
/// keeps dpswitch's keys and rewrites agreeing with the kernel's.
pub const MAX_EXTENSION_HEADERS: usize = 12;

/// The extension headers this walk skips: hop-by-hop, routing, fragment,
/// authentication and destination options. ESP and "no next header" end
/// it like an upper-layer protocol, as in the kernel's `ipv6_find_hdr`.
#[inline(always)]
pub fn is_extension_header(next_header: u8) -> bool {
    matches!(
        next_header,
        IPPROTO_HOPOPTS | IPPROTO_ROUTING | IPPROTO_FRAGMENT | IPPROTO_AH | IPPROTO_DSTOPTS
    )
}

/// How a walk over the extension headers ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WalkEnd {
    /// The first header that is not an extension header: its protocol
    /// number and its offset (which may be the end of the buffer).
    UpperLayer { protocol: u8, offset: usize },
    /// A fragment other than the first (nonzero offset): what follows is
    /// the middle of a payload of `protocol`.
    LaterFragment { protocol: u8 },
    /// An extension header cut off by the end of the buffer, more than
    /// [`MAX_EXTENSION_HEADERS`] of them, or a later fragment whose next
    /// header is another extension header.
    Failed,
}

/// What [`walk_extension_headers`] found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExtHeaderWalk {
    pub end: WalkEnd,
    /// A fragment header was reached (even if the walk failed on it or
    /// after it).
    pub fragment: bool,
    /// A routing header with segments left was walked: the packet's final
    /// destination is in that header, not in the IPv6 header.
    pub routing_segments_left: bool,
}

/// Walks the extension headers of `packet` from `offset`, where a header
/// of type `next_header` starts, as the kernel's `ipv6_find_hdr` walks
/// them (with no target): each header's fixed part is read before its
/// length is trusted, and the whole header must be in the buffer before
/// the next one is looked at. The fragment offset alone decides whether
/// a fragment header is followed.
#[inline]
pub fn walk_extension_headers(
    packet: &[u8],
    mut offset: usize,
    mut next_header: u8,
) -> ExtHeaderWalk {
    let mut walk = ExtHeaderWalk {
        end: WalkEnd::Failed,
        fragment: false,
        routing_segments_left: false,
    };
    let mut walked = 0;
    loop {
        if !is_extension_header(next_header) {
            walk.end = WalkEnd::UpperLayer {
                protocol: next_header,
                offset,
            };
            return walk;
        }
        if walked == MAX_EXTENSION_HEADERS {
            return walk;
        }
        walked += 1;
        let Some(rest) = packet.get(offset..) else {
            return walk;
        };
        let Ok(ext) = Ipv6ExtHeader::new_checked(rest) else {
            return walk;
        };
        let following = ext.next_header();
        match next_header {
            IPPROTO_FRAGMENT => {
                walk.fragment = true;
                // Only the offset word is needed to tell a later fragment.
                let Some(offset_word) = field::be16(rest, fragment_offset::FLAGS_FRAG) else {
                    return walk;
                };
                if offset_word & fragment_offset::OFFSET_MASK != 0 {
                    if !is_extension_header(following) {
                        walk.end = WalkEnd::LaterFragment {
                            protocol: following,
                        };
                    }
                    return walk;
                }
            }
            IPPROTO_ROUTING => {
                // The kernel reads the fixed routing header before its
                // length is checked.
                let Ok(routing) = Ipv6RoutingHeader::new_checked(rest) else {
                    return walk;
                };
                walk.routing_segments_left |= routing.segments_left() != 0;
            }
            _ => {}
        }
        let len = ext.header_len(next_header);
        if rest.len() < len {
            return walk;
        }
        next_header = following;
        offset += len;
    }
}

/// What every extension header starts with: the next header and a length.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ipv6ExtHeader<T> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Ipv6ExtHeader<T> {
    #[inline]
    pub fn new_checked(buffer: T) -> Result<Self, HeaderError> {
        check_len(buffer.as_ref(), 2)?;
        Ok(Ipv6ExtHeader { buffer })
    }

    #[inline]
    pub fn next_header(&self) -> u8 {
        field::u8_at(self.buffer.as_ref(), 0).unwrap_or_default()
    }

    /// The raw length byte, whose unit depends on the header's type.
    #[inline]
    pub fn len_field(&self) -> u8 {
        field::u8_at(self.buffer.as_ref(), 1).unwrap_or_default()
    }

    /// The length in bytes of this header, given its type `kind` (the
    /// next header value that announced it).
    #[inline]
    pub fn header_len(&self, kind: u8) -> usize {
        let units = usize::from(self.len_field());
        match kind {
            IPPROTO_FRAGMENT => IPV6_FRAGMENT_HEADER_LEN,
            // 4-byte words, not counting the first two.
            IPPROTO_AH => (units + 2) * 4,
            // 8-byte units, not counting the first.
            _ => (units + 1) * 8,
        }
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Ipv6ExtHeader<T> {
    #[inline]
    pub fn set_next_header(&mut self, next: u8) {
        field::put(self.buffer.as_mut(), 0, [next]);
    }

    #[inline]
    pub fn set_len_field(&mut self, len: u8) {
        field::put(self.buffer.as_mut(), 1, [len]);
    }
}

mod routing_offset {
    pub const ROUTING_TYPE: usize = 2;
    pub const SEGMENTS_LEFT: usize = 3;
    pub const FIXED_LEN: usize = 4;
}

/// The fixed part of a routing header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ipv6RoutingHeader<T> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Ipv6RoutingHeader<T> {
    #[inline]
    pub fn new_checked(buffer: T) -> Result<Self, HeaderError> {
        check_len(buffer.as_ref(), routing_offset::FIXED_LEN)?;
        Ok(Ipv6RoutingHeader { buffer })
    }

    #[inline]
    pub fn routing_type(&self) -> u8 {
        field::u8_at(self.buffer.as_ref(), routing_offset::ROUTING_TYPE).unwrap_or_default()
    }

    #[inline]
    pub fn segments_left(&self) -> u8 {
        field::u8_at(self.buffer.as_ref(), routing_offset::SEGMENTS_LEFT).unwrap_or_default()
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Ipv6RoutingHeader<T> {
    #[inline]
    pub fn set_routing_type(&mut self, routing_type: u8) {
        field::put(
            self.buffer.as_mut(),
            routing_offset::ROUTING_TYPE,
            [routing_type],
        );
    }

    #[inline]
    pub fn set_segments_left(&mut self, left: u8) {
        field::put(self.buffer.as_mut(), routing_offset::SEGMENTS_LEFT, [left]);
    }
}

mod fragment_offset {
    pub const FLAGS_FRAG: usize = 2;
    pub const IDENT: usize = 4;
    /// The 13-bit offset, above two reserved bits and the M flag.
    pub const OFFSET_MASK: u16 = 0xfff8;
    pub const MORE_FRAGMENTS: u16 = 0x0001;
}

/// The 8-byte fragment header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ipv6FragmentHeader<T> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Ipv6FragmentHeader<T> {
    #[inline]
    pub fn new_checked(buffer: T) -> Result<Self, HeaderError> {
        check_len(buffer.as_ref(), IPV6_FRAGMENT_HEADER_LEN)?;
        Ok(Ipv6FragmentHeader { buffer })
    }

    #[inline]
    fn flags_frag(&self) -> u16 {
        field::be16(self.buffer.as_ref(), fragment_offset::FLAGS_FRAG).unwrap_or_default()
    }

    #[inline]
    pub fn next_header(&self) -> u8 {
        field::u8_at(self.buffer.as_ref(), 0).unwrap_or_default()
    }

    /// In units of 8 bytes; nonzero for all fragments but the first.
    #[inline]
    pub fn frag_offset(&self) -> u16 {
        self.flags_frag() >> 3
    }

    #[inline]
    pub fn more_fragments(&self) -> bool {
        self.flags_frag() & fragment_offset::MORE_FRAGMENTS != 0
    }

    #[inline]
    pub fn ident(&self) -> u32 {
        field::be32(self.buffer.as_ref(), fragment_offset::IDENT).unwrap_or_default()
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Ipv6FragmentHeader<T> {
    #[inline]
    pub fn set_next_header(&mut self, next: u8) {
        field::put(self.buffer.as_mut(), 0, [next]);
    }

    /// Offset (in units of 8 bytes, 13 bits) and the M flag at once: they
    /// share a word with two reserved bits, which become zero.
    #[inline]
    pub fn set_fragment(&mut self, frag_offset: u16, more_fragments: bool) {
        let word = (frag_offset << 3) | u16::from(more_fragments);
        field::put(
            self.buffer.as_mut(),
            fragment_offset::FLAGS_FRAG,
            word.to_be_bytes(),
        );
    }

    #[inline]
    pub fn set_ident(&mut self, ident: u32) {
        field::put(
            self.buffer.as_mut(),
            fragment_offset::IDENT,
            ident.to_be_bytes(),
        );
    }
}
