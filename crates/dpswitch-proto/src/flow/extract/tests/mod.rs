//! Tests of packet -> key extraction.
//!
//! - `l2`, `arp`, `ipv4`, `ipv6`, `icmpv6`: hand-built frames, one protocol
//!   each, comparing the whole key against an expected one.
//! - `cross_check`: frames built with etherparse, keys compared with what
//!   etherparse reads back from the same bytes.
//! - `robustness`: property tests on random, corrupted and truncated frames.
//! - `packets`: the etherparse-built frames and their proptest strategies.

mod arp;
mod cross_check;
mod icmpv6;
mod ipv4;
mod ipv6;
mod l2;
mod packets;
mod robustness;
mod strategies;

use super::extract;
use crate::flow::key::FlowKey;

pub(super) const IN_PORT: u32 = 7;
pub(super) const DST: [u8; 6] = [0x02, 0x00, 0x00, 0x00, 0x00, 0x01];
pub(super) const SRC: [u8; 6] = [0x02, 0x00, 0x00, 0x00, 0x00, 0x02];

/// Extracts into a key full of junk, so a field the parser forgot to
/// overwrite shows up in the comparison.
pub(super) fn key_of(frame: &[u8]) -> FlowKey {
    let mut key = FlowKey::from_words([0xa5a5_a5a5_a5a5_a5a5; crate::flow::key::FLOW_WORDS]);
    extract(frame, IN_PORT, &mut key);
    key
}

/// Destination, source and a type/length field.
pub(super) fn eth(type_or_len: u16) -> Vec<u8> {
    let mut f = Vec::with_capacity(64);
    f.extend_from_slice(&DST);
    f.extend_from_slice(&SRC);
    f.extend_from_slice(&type_or_len.to_be_bytes());
    f
}

/// The key of a frame with `eth` fields and nothing else.
pub(super) fn l2_key(eth_type: u16) -> FlowKey {
    let mut k = FlowKey::default();
    k.set_in_port(IN_PORT);
    k.set_eth_dst(DST);
    k.set_eth_src(SRC);
    k.set_eth_type(eth_type);
    k
}

/// A 20-byte IPv4 header plus `options`, with a correct IHL and total
/// length for `payload_len` bytes of payload. Checksum left zero: nothing
/// here reads it.
pub(super) fn ipv4_header(
    proto: u8,
    frag_word: u16,
    options: &[u8],
    payload_len: usize,
) -> Vec<u8> {
    let header_len = 20 + options.len();
    let total = (header_len + payload_len) as u16;
    let mut h = vec![
        0x40 | (header_len / 4) as u8,
        0xb9, // DSCP 46, ECN 1
    ];
    h.extend_from_slice(&total.to_be_bytes());
    h.extend_from_slice(&[0x12, 0x34]);
    h.extend_from_slice(&frag_word.to_be_bytes());
    h.extend_from_slice(&[63, proto, 0, 0]);
    h.extend_from_slice(&[192, 0, 2, 1]);
    h.extend_from_slice(&[198, 51, 100, 2]);
    h.extend_from_slice(options);
    h
}

pub(super) const IPV4_SRC: u32 = 0xc000_0201;
pub(super) const IPV4_DST: u32 = 0xc633_6402;

/// The key of `eth(0x0800) + ipv4_header(proto, ..)` up to L3.
pub(super) fn ipv4_key(proto: u8, frag: crate::flow::FragType) -> FlowKey {
    let mut k = l2_key(0x0800);
    k.set_nw_tos(0xb9);
    k.set_nw_ttl(63);
    k.set_nw_proto(proto);
    k.set_nw_frag(frag as u8);
    k.set_ipv4_src(IPV4_SRC);
    k.set_ipv4_dst(IPV4_DST);
    k
}

pub(super) const IPV6_SRC: u128 = 0x2001_0db8_0000_0000_0000_0000_0000_0001;
pub(super) const IPV6_DST: u128 = 0xfe80_0000_0000_0000_0200_00ff_fe00_0002;

/// A 40-byte IPv6 header: traffic class 0xa5, flow label 0x12345, hop
/// limit 255.
pub(super) fn ipv6_header(next_header: u8, payload_len: usize) -> Vec<u8> {
    let mut h = vec![0x6a, 0x51, 0x23, 0x45];
    h.extend_from_slice(&(payload_len as u16).to_be_bytes());
    h.extend_from_slice(&[next_header, 255]);
    h.extend_from_slice(&IPV6_SRC.to_be_bytes());
    h.extend_from_slice(&IPV6_DST.to_be_bytes());
    h
}

/// The key of `eth(0x86dd) + ipv6_header(..)` up to L3.
pub(super) fn ipv6_key(proto: u8, frag: crate::flow::FragType) -> FlowKey {
    let mut k = l2_key(0x86dd);
    k.set_nw_tos(0xa5);
    k.set_nw_ttl(255);
    k.set_ipv6_label(0x12345);
    k.set_nw_proto(proto);
    k.set_nw_frag(frag as u8);
    k.set_ipv6_src(IPV6_SRC);
    k.set_ipv6_dst(IPV6_DST);
    k
}

/// An IPv6 extension header in the common (next header, length in 8-byte
/// units beyond the first) layout, padded with zeros to `8 * (len + 1)`.
pub(super) fn ext_header(next_header: u8, len: u8) -> Vec<u8> {
    let mut h = vec![0u8; 8 * (usize::from(len) + 1)];
    h[0] = next_header;
    h[1] = len;
    h
}

/// An IPv6 fragment header.
pub(super) fn fragment_header(next_header: u8, offset_units: u16, more: bool) -> Vec<u8> {
    let word = (offset_units << 3) | u16::from(more);
    let mut h = vec![next_header, 0];
    h.extend_from_slice(&word.to_be_bytes());
    h.extend_from_slice(&0xdead_beef_u32.to_be_bytes());
    h
}

pub(super) fn concat(parts: &[&[u8]]) -> Vec<u8> {
    parts.iter().flat_map(|p| p.iter().copied()).collect()
}
