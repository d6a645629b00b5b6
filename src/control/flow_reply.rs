//! A flow as the `ovs_flow` family reports it (the kernel's
//! `ovs_flow_cmd_fill_info`): the identifier (UFID, or the unmasked key of
//! a key-identified flow), the masked key, the mask, used, stats, TCP flags
//! and actions, each of the last three only when there is something to say
//! and key/mask/actions left out where the request's UFID flags ask.

use super::families::FAMILY_FLOW;
use crate::classifier::Flow;
use crate::dpdk::{tsc_cycles, tsc_hz};
use crate::flow::matching::{key_to_attrs, mask_to_attrs};
use crate::flow::odp::Action;
use crate::netlink::consts::*;
use crate::netlink::flow::{monotonic_msec, FlowAttrs, FlowStats};
use crate::netlink::msg::{GenlHeader, NlMsgHeader, OvsMessage};

/// Where a flow message goes: its command, the datapath, and the header
/// fields of the request it answers (or the change it announces).
#[derive(Clone, Copy, Debug)]
pub struct FlowMessageHeader {
    pub cmd: u8,
    pub dp_ifindex: i32,
    pub seq: u32,
    pub port_id: u32,
    pub flags: u16,
}

/// The attributes describing `flow`, its actions being `actions`.
pub fn flow_attrs(flow: &Flow, actions: &[Action], ufid_flags: u32) -> FlowAttrs {
    let stats = flow.stats();
    let ufid = flow.ufid().map(|u| u.as_bytes().to_vec());
    let key = match ufid {
        Some(_) if ufid_flags & OVS_UFID_F_OMIT_KEY != 0 => None,
        Some(_) => Some(key_to_attrs(&flow.masked_key())),
        None => Some(key_to_attrs(&flow.key())),
    };
    FlowAttrs {
        key,
        mask: (ufid_flags & OVS_UFID_F_OMIT_MASK == 0)
            .then(|| mask_to_attrs(&flow.masked_key(), &flow.mask())),
        actions: (ufid_flags & OVS_UFID_F_OMIT_ACTIONS == 0).then(|| actions.to_vec()),
        ufid,
        stats: (stats.packets != 0).then_some(FlowStats {
            packets: stats.packets,
            bytes: stats.bytes,
        }),
        used: (stats.used != 0).then(|| used_msec(stats.used)),
        // The kernel reports the low byte of the flags it saw.
        tcp_flags: (stats.tcp_flags & 0xff != 0).then_some((stats.tcp_flags & 0xff) as u8),
        ..FlowAttrs::default()
    }
}

/// The whole `ovs_flow` message for `flow`.
pub fn flow_message(
    header: FlowMessageHeader,
    flow: &Flow,
    actions: &[Action],
    ufid_flags: u32,
) -> Vec<u8> {
    let attrs = flow_attrs(flow, actions, ufid_flags)
        .encode()
        .unwrap_or_default();
    OvsMessage {
        header: NlMsgHeader {
            len: 0,
            msg_type: FAMILY_FLOW,
            flags: header.flags,
            seq: header.seq,
            pid: header.port_id,
        },
        genl: GenlHeader {
            cmd: header.cmd,
            version: OVS_FLOW_VERSION,
            reserved: 0,
        },
        dp_ifindex: header.dp_ifindex,
        attrs: &attrs,
    }
    .encode()
    .unwrap_or_default()
}

/// A TSC timestamp recorded by a PMD, in monotonic milliseconds.
fn used_msec(used_tsc: u64) -> u64 {
    let hz = tsc_hz().max(1);
    let ago_ms = tsc_cycles().saturating_sub(used_tsc).saturating_mul(1000) / hz;
    monotonic_msec().saturating_sub(ago_ms).max(1)
}
