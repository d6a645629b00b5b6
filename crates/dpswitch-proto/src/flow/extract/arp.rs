//! ARP and RARP.

use super::bytes::{be16_at, be32_at, fits, mac_at, u8_at};
use crate::flow::key::{FlowKey, ETH_TYPE_IPV4};

/// An ARP packet for Ethernet hardware and IPv4 protocol addresses.
const ARP_ETH_IPV4_LEN: usize = 28;
const ARP_HRD_ETHER: u16 = 1;

/// Fills sip/tip (in `ipv4_src`/`ipv4_dst`), sha/tha and the opcode. Only
/// Ethernet/IPv4 ARP is understood; anything else, or a packet too short for
/// it, leaves all of these zero.
///
/// The kernel keeps only opcodes that fit in a byte (in `nw_proto`), and 0
/// for larger ones; `arp_op` carries the same value so that every view of
/// the key agrees with the kernel's `OVS_KEY_ATTR_ARP`.
pub(super) fn extract(packet: &[u8], nh: usize, key: &mut FlowKey) {
    let Some(arp) = parse(packet, nh) else {
        return;
    };
    let op = if arp.op <= 0xff { arp.op } else { 0 };
    key.set_nw_proto(op as u8);
    key.set_arp_op(op);
    key.set_ipv4_src(arp.sip);
    key.set_ipv4_dst(arp.tip);
    key.set_arp_sha(arp.sha);
    key.set_arp_tha(arp.tha);
}

struct EthIpv4Arp {
    op: u16,
    sha: [u8; 6],
    sip: u32,
    tha: [u8; 6],
    tip: u32,
}

fn parse(packet: &[u8], nh: usize) -> Option<EthIpv4Arp> {
    if !fits(packet, nh, ARP_ETH_IPV4_LEN)
        || be16_at(packet, nh)? != ARP_HRD_ETHER
        || be16_at(packet, nh + 2)? != ETH_TYPE_IPV4
        || u8_at(packet, nh + 4)? != 6
        || u8_at(packet, nh + 5)? != 4
    {
        return None;
    }
    Some(EthIpv4Arp {
        op: be16_at(packet, nh + 6)?,
        sha: mac_at(packet, nh + 8)?,
        sip: be32_at(packet, nh + 14)?,
        tha: mac_at(packet, nh + 18)?,
        tip: be32_at(packet, nh + 24)?,
    })
}
