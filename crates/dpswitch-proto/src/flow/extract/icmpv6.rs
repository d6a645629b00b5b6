//! ICMPv6, with the target and link-layer address options of neighbour
//! solicitations and advertisements.

use super::bytes::{be128_at, fits, mac_at, u8_at};
use super::transport::{self, ICMP_HEADER_LEN};
use crate::flow::key::FlowKey;

const ND_NEIGHBOR_SOLICITATION: u8 = 135;
const ND_NEIGHBOR_ADVERTISEMENT: u8 = 136;
/// ICMPv6 header plus the 16-byte target address.
const ND_MSG_LEN: usize = ICMP_HEADER_LEN + 16;
const ND_OPT_SOURCE_LL_ADDR: u8 = 1;
const ND_OPT_TARGET_LL_ADDR: u8 = 2;
/// Option length unit, and the only option size that carries an Ethernet
/// address.
const ND_OPT_UNIT: usize = 8;

/// Type and code in `tp_src`/`tp_dst` when the 8-byte header is there. For a
/// neighbour solicitation or advertisement with code 0, also the ND fields:
/// the target (`nd_target`), and the source/target link-layer address
/// options (`arp_sha`/`arp_tha`), with the kernel's rules:
/// - a message too short for the target leaves all ND fields zero;
/// - options are read in order while at least 8 bytes remain; a zero-length
///   option or one longer than what remains ends the walk, keeping what
///   was found so far;
/// - only 8-byte options carry an address; other sizes are skipped, and
///   either address option is accepted in either message type;
/// - an address option seen twice (after a nonzero address) makes the
///   message invalid: target and both addresses are zeroed.
pub(super) fn extract(packet: &[u8], th: usize, key: &mut FlowKey) {
    if !transport::icmp(packet, th, key) {
        return;
    }
    let (Some(icmp_type), Some(code)) = (u8_at(packet, th), u8_at(packet, th + 1)) else {
        return;
    };
    let is_nd = icmp_type == ND_NEIGHBOR_SOLICITATION || icmp_type == ND_NEIGHBOR_ADVERTISEMENT;
    if code != 0 || !is_nd || !fits(packet, th, ND_MSG_LEN) {
        return;
    }
    let Some(target) = be128_at(packet, th + ICMP_HEADER_LEN) else {
        return;
    };
    key.set_nd_target(target);
    if !nd_options(packet, th + ND_MSG_LEN, key) {
        key.set_nd_target(0);
        key.set_arp_sha_u48(0);
        key.set_arp_tha_u48(0);
    }
}

/// Reads the options starting at `offset` into `key`; false when the
/// message is invalid.
fn nd_options(packet: &[u8], mut offset: usize, key: &mut FlowKey) -> bool {
    while fits(packet, offset, ND_OPT_UNIT) {
        let (Some(opt_type), Some(units)) = (u8_at(packet, offset), u8_at(packet, offset + 1))
        else {
            return true;
        };
        let opt_len = usize::from(units) * ND_OPT_UNIT;
        if opt_len == 0 || !fits(packet, offset, opt_len) {
            return true;
        }
        if opt_len == ND_OPT_UNIT {
            let Some(addr) = mac_at(packet, offset + 2) else {
                return true;
            };
            match opt_type {
                ND_OPT_SOURCE_LL_ADDR => {
                    if key.arp_sha_u48() != 0 {
                        return false;
                    }
                    key.set_arp_sha(addr);
                }
                ND_OPT_TARGET_LL_ADDR => {
                    if key.arp_tha_u48() != 0 {
                        return false;
                    }
                    key.set_arp_tha(addr);
                }
                _ => {}
            }
        }
        offset += opt_len;
    }
    true
}
