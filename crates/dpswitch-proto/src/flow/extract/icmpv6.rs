//! ICMPv6, with the target and link-layer address options of neighbour
//! solicitations and advertisements.

use super::{tail, transport};
use crate::flow::headers::{
    NdMessage, NdOption, ICMPV6_NEIGHBOR_ADVERTISEMENT, ICMPV6_NEIGHBOR_SOLICITATION,
    ND_MESSAGE_LEN, ND_OPTION_UNIT, ND_OPT_SOURCE_LL_ADDR, ND_OPT_TARGET_LL_ADDR,
};
use crate::flow::key::FlowKey;

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
    let Some(icmp) = transport::icmp(packet, th, key) else {
        return;
    };
    let icmp_type = icmp.msg_type();
    let is_nd =
        icmp_type == ICMPV6_NEIGHBOR_SOLICITATION || icmp_type == ICMPV6_NEIGHBOR_ADVERTISEMENT;
    if icmp.code() != 0 || !is_nd {
        return;
    }
    let Ok(nd) = NdMessage::new_checked(tail(packet, th)) else {
        return;
    };
    key.set_nd_target(nd.target());
    if !nd_options(packet, th + ND_MESSAGE_LEN, key) {
        key.set_nd_target(0);
        key.set_arp_sha_u48(0);
        key.set_arp_tha_u48(0);
    }
}

/// Reads the options starting at `offset` into `key`; false when the
/// message is invalid.
fn nd_options(packet: &[u8], mut offset: usize, key: &mut FlowKey) -> bool {
    loop {
        let rest = tail(packet, offset);
        let Ok(opt) = NdOption::new_checked(rest) else {
            return true;
        };
        let opt_len = opt.option_len();
        if opt_len == 0 || rest.len() < opt_len {
            return true;
        }
        if opt_len == ND_OPTION_UNIT {
            let addr = opt.ll_addr();
            match opt.option_type() {
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
}
