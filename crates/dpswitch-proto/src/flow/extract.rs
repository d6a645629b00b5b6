//! Packet -> flow key extraction, run once per received packet.
//!
//! The key built for a packet is the key the Linux kernel's Open vSwitch
//! datapath builds for the same frame, so flows installed by an OVS control
//! plane match dpswitch traffic exactly as they would match kernel traffic.
//! That includes the kernel's answers for odd frames: what a truncated or
//! malformed header leaves in the key is spelled out next to each parser.
//!
//! Every parser reads through the bounds-checked views of `flow::headers`,
//! never allocates and writes straight into the caller's key. Offsets only
//! grow after a check that the bytes they skip are inside the packet, so
//! they stay below `packet.len()` plus a few hundred bytes and cannot
//! overflow.
//!
//! Not handled (the key stops at `eth_type` for these, as it would for any
//! other unknown ethertype): MPLS label stacks, NSH, tunnel metadata,
//! conntrack state. A VLAN tag stripped by the NIC is not seen here either:
//! the caller passes the frame as it is in memory.

mod arp;
mod ethernet;
mod icmpv6;
mod ipv4;
mod ipv6;
mod transport;

#[cfg(test)]
mod tests;

use super::headers::{ETH_TYPE_ARP, ETH_TYPE_IPV4, ETH_TYPE_IPV6, ETH_TYPE_RARP};
use super::key::{FlowKey, FlowMask};

/// The bytes of `packet` from `offset` on; none past its end, which every
/// view then refuses.
#[inline(always)]
fn tail(packet: &[u8], offset: usize) -> &[u8] {
    packet.get(offset..).unwrap_or_default()
}

/// Parse `packet` (starting at the Ethernet header) into `key`, overwriting
/// all of it. `in_port` is the datapath port number. Never allocates, never
/// panics, never reads out of bounds.
///
/// Metadata other than `in_port` (recirc_id, skb_mark, dp_hash, priority) is
/// zero. A frame shorter than an Ethernet header yields a key with only
/// `in_port` set; otherwise every layer whose header is present and well
/// formed contributes its fields, in the kernel datapath's encoding.
///
/// `#[inline]` because its caller on the fast path (the PMD loop) is in
/// another crate, which could otherwise only call it.
#[inline]
pub fn extract(packet: &[u8], in_port: u32, key: &mut FlowKey) {
    parse::<false>(packet, in_port, key);
}

/// Both extractions, each compiled on its own: a depth chosen per packet
/// inside one body cost the PMD 2-3% more than a choice of two functions.
#[inline(always)]
fn parse<const SHALLOW: bool>(packet: &[u8], in_port: u32, key: &mut FlowKey) {
    *key = FlowKey::default();
    key.set_in_port(in_port);

    let Some(l3) = ethernet::extract(packet, key) else {
        return;
    };
    match key.eth_type() {
        ETH_TYPE_IPV4 if SHALLOW => ipv4::extract_fragment_and_tcp(packet, l3, key),
        ETH_TYPE_IPV4 => ipv4::extract(packet, l3, key),
        // The fragment state of IPv6 takes the extension header walk.
        ETH_TYPE_IPV6 => ipv6::extract(packet, l3, key),
        ETH_TYPE_ARP | ETH_TYPE_RARP if !SHALLOW => arp::extract(packet, l3, key),
        _ => {}
    }
}

/// How much of a packet a flow table needs to see.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Depth {
    /// Every field: [`extract`].
    Full,
    /// Only the fields of [`shallow_fields`]: [`extract_shallow`].
    Shallow,
}

/// Fills `key` as deep as `depth` says.
#[inline]
pub fn extract_to(depth: Depth, packet: &[u8], in_port: u32, key: &mut FlowKey) {
    match depth {
        Depth::Full => extract(packet, in_port, key),
        Depth::Shallow => extract_shallow(packet, in_port, key),
    }
}

/// The fields [`extract_shallow`] fills exactly as [`extract`] does:
/// metadata, the Ethernet header and VLAN tags, the IP fragment state and
/// the TCP flags (which flow statistics collect whatever the masks say).
pub fn shallow_fields() -> FlowMask {
    let mut m = FlowMask::default();
    m.set_in_port(u32::MAX);
    m.set_recirc_id(u32::MAX);
    m.set_skb_mark(u32::MAX);
    m.set_dp_hash(u32::MAX);
    m.set_priority(u32::MAX);
    m.set_vlan_tci(u16::MAX);
    m.set_vlan_tpid(u16::MAX);
    m.set_cvlan_tci(u16::MAX);
    m.set_cvlan_tpid(u16::MAX);
    m.set_eth_src_u48(u64::MAX);
    m.set_eth_dst_u48(u64::MAX);
    m.set_eth_type(u16::MAX);
    m.set_mac_proto(u8::MAX);
    m.set_nw_frag(u8::MAX);
    m.set_tcp_flags(u16::MAX);
    m
}

/// [`extract`] for a table whose masks select only [`shallow_fields`]:
/// those fields are the same, others may be left zero (IPv4 addresses,
/// ports other than TCP's, ARP). Run per packet when every mask is that
/// shallow, as with port-based or MAC-learning flows.
#[inline]
pub fn extract_shallow(packet: &[u8], in_port: u32, key: &mut FlowKey) {
    parse::<true>(packet, in_port, key);
}
