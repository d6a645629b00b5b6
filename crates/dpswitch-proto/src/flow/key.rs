//! The flow key: every header field the datapath can match, packed into a
//! fixed array of u64 words.
//!
//! Fields are laid out so that what is usually matched together shares
//! words (metadata, L2, L3 addresses, L4 ports): a classifier subtable keys
//! only on the words its mask selects, so a mask on in_port + eth + ipv4
//! touches a handful of words, not the whole key. Values are stored in host
//! byte order; addresses keep their network order as big-endian integers
//! (the first byte on the wire is the most significant).
//!
//! `FlowMask` has exactly the same layout; applying a mask is a word-wise AND.

/// Number of u64 words in a key or mask.
pub const FLOW_WORDS: usize = 16;

/// `vlan_tci` bit that marks a tag as present (the CFI/DEI bit, reused the way
/// Open vSwitch and the kernel datapath use it in flow keys).
pub const VLAN_TAG_PRESENT: u16 = 0x1000;
pub const VLAN_VID_MASK: u16 = 0x0fff;
pub const VLAN_PCP_MASK: u16 = 0xe000;
pub const VLAN_PCP_SHIFT: u16 = 13;

// The wire numbers that eth_type and nw_proto hold, beside the fields.
pub use super::headers::{
    ETH_TYPE_802_2, ETH_TYPE_ARP, ETH_TYPE_IPV4, ETH_TYPE_IPV6, ETH_TYPE_QINQ, ETH_TYPE_RARP,
    ETH_TYPE_VLAN, IPPROTO_ICMP, IPPROTO_ICMPV6, IPPROTO_SCTP, IPPROTO_TCP, IPPROTO_UDP,
};

/// `mac_proto` values (the kernel's MAC_PROTO_*).
pub const MAC_PROTO_ETHERNET: u8 = 0;
pub const MAC_PROTO_NONE: u8 = 1;

/// IP fragment state, as `OVS_FRAG_TYPE_*`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum FragType {
    No = 0,
    First = 1,
    Later = 2,
}

impl FragType {
    pub fn from_u8(v: u8) -> Option<FragType> {
        match v {
            0 => Some(FragType::No),
            1 => Some(FragType::First),
            2 => Some(FragType::Later),
            _ => None,
        }
    }
}

/// Defines getters and setters for bit fields inside the word array. Each
/// field is `name, setter: word, shift, bits, type`.
macro_rules! word_fields {
    ($ty:ident { $( $(#[$doc:meta])* $name:ident, $set:ident: $word:expr, $shift:expr, $bits:expr, $t:ty; )* }) => {
        impl $ty {
            $(
                $(#[$doc])*
                #[inline(always)]
                pub fn $name(&self) -> $t {
                    ((self.words[$word] >> $shift) & field_ones($bits)) as $t
                }
                #[inline(always)]
                pub fn $set(&mut self, v: $t) {
                    let field = field_ones($bits) << $shift;
                    self.words[$word] = (self.words[$word] & !field) | (((v as u64) << $shift) & field);
                }
            )*
        }
    };
}

const fn field_ones(bits: u32) -> u64 {
    if bits >= 64 {
        u64::MAX
    } else {
        (1u64 << bits) - 1
    }
}

/// Defines the fields of a flow key layout on a word-array type.
macro_rules! flow_layout {
    ($ty:ident) => {
        word_fields!($ty {
            /// Datapath input port number.
            in_port, set_in_port: 0, 0, 32, u32;
            recirc_id, set_recirc_id: 0, 32, 32, u32;
            skb_mark, set_skb_mark: 1, 0, 32, u32;
            dp_hash, set_dp_hash: 1, 32, 32, u32;
            /// skb_priority in the text syntax.
            priority, set_priority: 2, 0, 32, u32;
            /// Outer VLAN TCI; `VLAN_TAG_PRESENT` set when a tag is there.
            vlan_tci, set_vlan_tci: 2, 32, 16, u16;
            vlan_tpid, set_vlan_tpid: 2, 48, 16, u16;
            eth_src_u48, set_eth_src_u48: 3, 0, 48, u64;
            /// Inner (customer) VLAN TCI of a double-tagged frame.
            cvlan_tci, set_cvlan_tci: 3, 48, 16, u16;
            eth_dst_u48, set_eth_dst_u48: 4, 0, 48, u64;
            /// The innermost ethertype (after any VLAN tags).
            eth_type, set_eth_type: 4, 48, 16, u16;
            /// `MAC_PROTO_ETHERNET` or `MAC_PROTO_NONE` (a layer-3 match);
            /// always matched exactly.
            mac_proto, set_mac_proto: 5, 0, 8, u8;
            /// IP protocol / next header; for ARP the low byte of the opcode.
            nw_proto, set_nw_proto: 5, 16, 8, u8;
            nw_tos, set_nw_tos: 5, 24, 8, u8;
            nw_ttl, set_nw_ttl: 5, 32, 8, u8;
            /// `FragType` as u8 (an enumeration: masks are 0 or 0xff).
            nw_frag, set_nw_frag: 5, 40, 8, u8;
            tcp_flags, set_tcp_flags: 5, 48, 16, u16;
            /// IPv4 source, or ARP sender protocol address.
            ipv4_src, set_ipv4_src: 6, 0, 32, u32;
            /// IPv4 destination, or ARP target protocol address.
            ipv4_dst, set_ipv4_dst: 6, 32, 32, u32;
            ipv6_src_hi, set_ipv6_src_hi: 7, 0, 64, u64;
            ipv6_src_lo, set_ipv6_src_lo: 8, 0, 64, u64;
            ipv6_dst_hi, set_ipv6_dst_hi: 9, 0, 64, u64;
            ipv6_dst_lo, set_ipv6_dst_lo: 10, 0, 64, u64;
            /// IPv6 flow label (20 bits).
            ipv6_label, set_ipv6_label: 11, 0, 32, u32;
            /// TCP/UDP/SCTP source port, or ICMP/ICMPv6 type.
            tp_src, set_tp_src: 11, 32, 16, u16;
            /// TCP/UDP/SCTP destination port, or ICMP/ICMPv6 code.
            tp_dst, set_tp_dst: 11, 48, 16, u16;
            nd_target_hi, set_nd_target_hi: 12, 0, 64, u64;
            nd_target_lo, set_nd_target_lo: 13, 0, 64, u64;
            /// ARP sender hardware address, or ND source link-layer address.
            arp_sha_u48, set_arp_sha_u48: 14, 0, 48, u64;
            arp_op, set_arp_op: 14, 48, 16, u16;
            /// ARP target hardware address, or ND target link-layer address.
            arp_tha_u48, set_arp_tha_u48: 15, 0, 48, u64;
            cvlan_tpid, set_cvlan_tpid: 15, 48, 16, u16;
        });

        impl $ty {
            pub fn eth_src(&self) -> [u8; 6] {
                u48_to_mac(self.eth_src_u48())
            }
            pub fn set_eth_src(&mut self, mac: [u8; 6]) {
                self.set_eth_src_u48(mac_to_u48(mac));
            }
            pub fn eth_dst(&self) -> [u8; 6] {
                u48_to_mac(self.eth_dst_u48())
            }
            pub fn set_eth_dst(&mut self, mac: [u8; 6]) {
                self.set_eth_dst_u48(mac_to_u48(mac));
            }
            pub fn arp_sha(&self) -> [u8; 6] {
                u48_to_mac(self.arp_sha_u48())
            }
            pub fn set_arp_sha(&mut self, mac: [u8; 6]) {
                self.set_arp_sha_u48(mac_to_u48(mac));
            }
            pub fn arp_tha(&self) -> [u8; 6] {
                u48_to_mac(self.arp_tha_u48())
            }
            pub fn set_arp_tha(&mut self, mac: [u8; 6]) {
                self.set_arp_tha_u48(mac_to_u48(mac));
            }
            pub fn ipv6_src(&self) -> u128 {
                join128(self.ipv6_src_hi(), self.ipv6_src_lo())
            }
            pub fn set_ipv6_src(&mut self, v: u128) {
                self.set_ipv6_src_hi((v >> 64) as u64);
                self.set_ipv6_src_lo(v as u64);
            }
            pub fn ipv6_dst(&self) -> u128 {
                join128(self.ipv6_dst_hi(), self.ipv6_dst_lo())
            }
            pub fn set_ipv6_dst(&mut self, v: u128) {
                self.set_ipv6_dst_hi((v >> 64) as u64);
                self.set_ipv6_dst_lo(v as u64);
            }
            pub fn nd_target(&self) -> u128 {
                join128(self.nd_target_hi(), self.nd_target_lo())
            }
            pub fn set_nd_target(&mut self, v: u128) {
                self.set_nd_target_hi((v >> 64) as u64);
                self.set_nd_target_lo(v as u64);
            }
            /// The raw words, for hashing and comparing.
            #[inline(always)]
            pub fn words(&self) -> &[u64; FLOW_WORDS] {
                &self.words
            }
            #[inline(always)]
            pub fn from_words(words: [u64; FLOW_WORDS]) -> Self {
                $ty { words }
            }
        }
    };
}

/// A flow key: the header fields of one packet (or a flow's masked match).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
#[repr(C, align(64))]
pub struct FlowKey {
    words: [u64; FLOW_WORDS],
}

/// A wildcard mask over a `FlowKey`: a 1 bit means "this key bit matters".
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
#[repr(C, align(64))]
pub struct FlowMask {
    words: [u64; FLOW_WORDS],
}

flow_layout!(FlowKey);
flow_layout!(FlowMask);

impl FlowKey {
    /// The key with every bit outside `mask` cleared.
    #[inline(always)]
    pub fn masked(&self, mask: &FlowMask) -> FlowKey {
        let mut out = [0u64; FLOW_WORDS];
        for (i, w) in out.iter_mut().enumerate() {
            *w = self.words[i] & mask.words[i];
        }
        FlowKey { words: out }
    }

    /// True when a packet key falls inside the match (`self` masked by `mask`).
    #[inline(always)]
    pub fn matches(&self, mask: &FlowMask, packet: &FlowKey) -> bool {
        self.words
            .iter()
            .zip(mask.words.iter())
            .zip(packet.words.iter())
            .all(|((k, m), p)| p & m == *k)
    }

    pub fn frag(&self) -> Option<FragType> {
        FragType::from_u8(self.nw_frag())
    }

    pub fn has_vlan(&self) -> bool {
        self.vlan_tci() & VLAN_TAG_PRESENT != 0
    }

    pub fn has_cvlan(&self) -> bool {
        self.cvlan_tci() & VLAN_TAG_PRESENT != 0
    }
}

impl FlowMask {
    /// A mask that matches every bit exactly.
    pub fn exact() -> FlowMask {
        FlowMask {
            words: [u64::MAX; FLOW_WORDS],
        }
    }

    /// Bit set of the words this mask selects at all (bit i = word i).
    pub fn word_map(&self) -> u32 {
        self.words
            .iter()
            .enumerate()
            .filter(|(_, w)| **w != 0)
            .fold(0u32, |acc, (i, _)| acc | (1 << i))
    }

    pub fn is_empty(&self) -> bool {
        self.words.iter().all(|w| *w == 0)
    }
}

impl std::fmt::Debug for FlowKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        debug_words(f, "FlowKey", &self.words)
    }
}

impl std::fmt::Debug for FlowMask {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        debug_words(f, "FlowMask", &self.words)
    }
}

fn debug_words(f: &mut std::fmt::Formatter<'_>, name: &str, words: &[u64]) -> std::fmt::Result {
    write!(f, "{name}[")?;
    for (i, w) in words.iter().enumerate().filter(|(_, w)| **w != 0) {
        write!(f, " {i}:{w:016x}")?;
    }
    write!(f, " ]")
}

pub fn mac_to_u48(mac: [u8; 6]) -> u64 {
    mac.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b))
}

pub fn u48_to_mac(v: u64) -> [u8; 6] {
    let b = v.to_be_bytes();
    [b[2], b[3], b[4], b[5], b[6], b[7]]
}

fn join128(hi: u64, lo: u64) -> u128 {
    (u128::from(hi) << 64) | u128::from(lo)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_do_not_overlap() {
        // Setting every field to all ones one at a time must light up
        // disjoint bits: a layout bug would show up as an overlap.
        type Setter = (&'static str, fn(&mut FlowMask));
        let setters: Vec<Setter> = vec![
            ("in_port", |m| m.set_in_port(u32::MAX)),
            ("recirc_id", |m| m.set_recirc_id(u32::MAX)),
            ("skb_mark", |m| m.set_skb_mark(u32::MAX)),
            ("dp_hash", |m| m.set_dp_hash(u32::MAX)),
            ("priority", |m| m.set_priority(u32::MAX)),
            ("vlan_tci", |m| m.set_vlan_tci(u16::MAX)),
            ("vlan_tpid", |m| m.set_vlan_tpid(u16::MAX)),
            ("eth_src", |m| m.set_eth_src([0xff; 6])),
            ("cvlan_tci", |m| m.set_cvlan_tci(u16::MAX)),
            ("eth_dst", |m| m.set_eth_dst([0xff; 6])),
            ("eth_type", |m| m.set_eth_type(u16::MAX)),
            ("cvlan_tpid", |m| m.set_cvlan_tpid(u16::MAX)),
            ("mac_proto", |m| m.set_mac_proto(u8::MAX)),
            ("nw_proto", |m| m.set_nw_proto(u8::MAX)),
            ("nw_tos", |m| m.set_nw_tos(u8::MAX)),
            ("nw_ttl", |m| m.set_nw_ttl(u8::MAX)),
            ("nw_frag", |m| m.set_nw_frag(u8::MAX)),
            ("tcp_flags", |m| m.set_tcp_flags(u16::MAX)),
            ("ipv4_src", |m| m.set_ipv4_src(u32::MAX)),
            ("ipv4_dst", |m| m.set_ipv4_dst(u32::MAX)),
            ("ipv6_src", |m| m.set_ipv6_src(u128::MAX)),
            ("ipv6_dst", |m| m.set_ipv6_dst(u128::MAX)),
            ("ipv6_label", |m| m.set_ipv6_label(u32::MAX)),
            ("tp_src", |m| m.set_tp_src(u16::MAX)),
            ("tp_dst", |m| m.set_tp_dst(u16::MAX)),
            ("nd_target", |m| m.set_nd_target(u128::MAX)),
            ("arp_sha", |m| m.set_arp_sha([0xff; 6])),
            ("arp_op", |m| m.set_arp_op(u16::MAX)),
            ("arp_tha", |m| m.set_arp_tha([0xff; 6])),
        ];
        let mut seen = [0u64; FLOW_WORDS];
        for (name, set) in setters {
            let mut m = FlowMask::default();
            set(&mut m);
            for (i, w) in m.words().iter().enumerate() {
                assert_eq!(seen[i] & w, 0, "{name} overlaps another field in word {i}");
                seen[i] |= w;
            }
        }
    }

    #[test]
    fn setters_round_trip_and_preserve_neighbours() {
        let mut k = FlowKey::default();
        k.set_eth_dst([1, 2, 3, 4, 5, 6]);
        k.set_eth_type(0x86dd);
        k.set_ipv6_src(0x2001_0db8_0000_0000_0000_0000_0000_0001);
        k.set_tp_src(80);
        k.set_tp_dst(8080);
        assert_eq!(k.eth_dst(), [1, 2, 3, 4, 5, 6]);
        assert_eq!(k.eth_type(), 0x86dd);
        assert_eq!(k.ipv6_src(), 0x2001_0db8_0000_0000_0000_0000_0000_0001);
        assert_eq!((k.tp_src(), k.tp_dst()), (80, 8080));
        k.set_eth_type(0x0800);
        assert_eq!(k.eth_dst(), [1, 2, 3, 4, 5, 6]);
    }

    #[test]
    fn masking_is_wordwise_and() {
        let mut k = FlowKey::default();
        k.set_ipv4_src(0x0a00_0001);
        k.set_ipv4_dst(0x0a00_0002);
        let mut m = FlowMask::default();
        m.set_ipv4_src(0xffff_ff00);
        let masked = k.masked(&m);
        assert_eq!(masked.ipv4_src(), 0x0a00_0000);
        assert_eq!(masked.ipv4_dst(), 0);
        assert!(masked.matches(&m, &k));
        let mut other = k;
        other.set_ipv4_src(0x0b00_0001);
        assert!(!masked.matches(&m, &other));
        assert_eq!(m.word_map(), 1 << 6);
    }
}
