//! ARP and RARP.

use super::tail;
use crate::flow::headers::ArpPacket;
use crate::flow::key::FlowKey;

/// Fills sip/tip (in `ipv4_src`/`ipv4_dst`), sha/tha and the opcode. Only
/// Ethernet/IPv4 ARP is understood; anything else, or a packet too short for
/// it, leaves all of these zero.
///
/// The kernel keeps only opcodes that fit in a byte (in `nw_proto`), and 0
/// for larger ones; `arp_op` carries the same value so that every view of
/// the key agrees with the kernel's `OVS_KEY_ATTR_ARP`.
pub(super) fn extract(packet: &[u8], nh: usize, key: &mut FlowKey) {
    let Ok(arp) = ArpPacket::new_checked(tail(packet, nh)) else {
        return;
    };
    if !arp.is_ethernet_ipv4() {
        return;
    }
    let op = arp.operation();
    let op = if op <= 0xff { op } else { 0 };
    key.set_nw_proto(op as u8);
    key.set_arp_op(op);
    key.set_ipv4_src(arp.sender_ip());
    key.set_ipv4_dst(arp.target_ip());
    key.set_arp_sha(arp.sender_hw_addr());
    key.set_arp_tha(arp.target_hw_addr());
}
