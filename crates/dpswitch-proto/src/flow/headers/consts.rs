//! The numbers of the wire: EtherTypes, IP protocol numbers, header
//! lengths and the few field offsets that checksum upkeep needs. Every
//! other module takes them from here.

// EtherTypes.

/// What `eth_type` holds for an 802.3 frame with a length field instead of
/// a type (the kernel's ETH_P_802_2): not on the wire, but in flow keys.
pub const ETH_TYPE_802_2: u16 = 0x05ff;
/// Smallest type/length value that is an EtherType rather than an 802.3
/// length.
pub const ETH_TYPE_MIN: u16 = 0x0600;
pub const ETH_TYPE_IPV4: u16 = 0x0800;
pub const ETH_TYPE_ARP: u16 = 0x0806;
pub const ETH_TYPE_RARP: u16 = 0x8035;
/// 802.1Q (customer) VLAN tag.
pub const ETH_TYPE_VLAN: u16 = 0x8100;
/// 802.1ad (service, "QinQ") VLAN tag.
pub const ETH_TYPE_QINQ: u16 = 0x88a8;
pub const ETH_TYPE_IPV6: u16 = 0x86dd;

// IP protocol numbers (IPv4 protocol, IPv6 next header).

/// IPv6 hop-by-hop options.
pub const IPPROTO_HOPOPTS: u8 = 0;
pub const IPPROTO_ICMP: u8 = 1;
pub const IPPROTO_TCP: u8 = 6;
pub const IPPROTO_UDP: u8 = 17;
pub const IPPROTO_ROUTING: u8 = 43;
pub const IPPROTO_FRAGMENT: u8 = 44;
/// IPsec authentication header; its length counts 4-byte words.
pub const IPPROTO_AH: u8 = 51;
pub const IPPROTO_ICMPV6: u8 = 58;
/// No next header: nothing follows.
pub const IPPROTO_NONE: u8 = 59;
pub const IPPROTO_DSTOPTS: u8 = 60;
pub const IPPROTO_SCTP: u8 = 132;

// Header lengths.

pub const ETH_ADDRS_LEN: usize = 12;
pub const ETH_HEADER_LEN: usize = 14;
/// TPID and TCI.
pub const VLAN_TAG_LEN: usize = 4;
/// 802.2 LLC (DSAP, SSAP, control) and a SNAP header (OUI, EtherType).
pub const LLC_SNAP_LEN: usize = 8;
/// An ARP packet for Ethernet hardware and IPv4 protocol addresses.
pub const ARP_ETH_IPV4_LEN: usize = 28;
/// Without options.
pub const IPV4_MIN_HEADER_LEN: usize = 20;
pub const IPV6_HEADER_LEN: usize = 40;
pub const IPV6_FRAGMENT_HEADER_LEN: usize = 8;
/// Without options.
pub const TCP_MIN_HEADER_LEN: usize = 20;
pub const UDP_HEADER_LEN: usize = 8;
/// The common header every SCTP packet starts with.
pub const SCTP_HEADER_LEN: usize = 12;
/// `struct icmphdr` and `struct icmp6hdr` are both 8 bytes: type, code,
/// checksum and 4 bytes of message-specific data.
pub const ICMP_HEADER_LEN: usize = 8;
/// A neighbour solicitation or advertisement: the ICMPv6 header and the
/// target address, before the options.
pub const ND_MESSAGE_LEN: usize = ICMP_HEADER_LEN + 16;
/// ND options are sized in units of 8 bytes; one unit is also the only
/// size that carries an Ethernet address.
pub const ND_OPTION_UNIT: usize = 8;

// Values inside headers.

/// 802.2 SAP that announces a SNAP header.
pub const LLC_SAP_SNAP: u8 = 0xaa;
pub const ARP_HRD_ETHERNET: u16 = 1;
pub const ICMPV6_NEIGHBOR_SOLICITATION: u8 = 135;
pub const ICMPV6_NEIGHBOR_ADVERTISEMENT: u8 = 136;
pub const ND_OPT_SOURCE_LL_ADDR: u8 = 1;
pub const ND_OPT_TARGET_LL_ADDR: u8 = 2;

// Checksum offsets, from the start of their header: incremental checksum
// upkeep patches them where the header sits in the frame.

pub const IPV4_CHECKSUM_OFFSET: usize = 10;
pub const TCP_CHECKSUM_OFFSET: usize = 16;
pub const UDP_CHECKSUM_OFFSET: usize = 6;
pub const SCTP_CHECKSUM_OFFSET: usize = 8;
pub const ICMP_CHECKSUM_OFFSET: usize = 2;
