//! The `dpswitch` family's one command, `DPSWITCH_CMD_GET_STATS`: the
//! drops and the memory that the kernel's `ovs_datapath` has no
//! attribute for (the control socket's refusals and lost notifications,
//! each port's lost upcalls by reason, where the memory is), for
//! `dpctl show`.

use super::counters::ControlCounters;
use super::dp_cmd::{message, DatapathInfo, ReplyTo};
use super::families::FAMILY_DPSWITCH;
use super::request::CmdError;
use crate::datapath::Switch;
use crate::dpdk::resident_kib;
use crate::netlink::attr::AttrWriter;
use crate::netlink::consts::*;
use crate::netlink::msg::OvsMessage;

/// The reply to a GET_STATS naming the datapath (else ENODEV).
pub fn get_stats(
    dp: &DatapathInfo,
    switch: &Switch,
    control: &ControlCounters,
    msg: &OvsMessage<'_>,
    to: ReplyTo,
) -> Result<Vec<u8>, CmdError> {
    if !dp.exists || msg.dp_ifindex != dp.dp_ifindex {
        return Err(CmdError::enodev());
    }
    let mut w = AttrWriter::new();
    let nest = w.begin_nested(DPSWITCH_ATTR_CONTROL);
    w.put_u64(DPSWITCH_CONTROL_REFUSED, control.refused());
    w.put_u64(DPSWITCH_CONTROL_RECLAIMED, control.reclaimed);
    w.put_u64(
        DPSWITCH_CONTROL_NOTIFICATIONS_DROPPED,
        control.notifications_dropped,
    );
    w.end_nested(nest);
    for (number, lost) in switch.upcall_losses() {
        let nest = w.begin_nested(DPSWITCH_ATTR_PORT);
        w.put_u32(DPSWITCH_PORT_NO, number);
        for (attr, n) in (DPSWITCH_PORT_UPCALL_LOST_NO_HANDLER..).zip(lost) {
            w.put_u64(attr, n);
        }
        w.end_nested(nest);
    }
    let (dpdk_heap, process_heap) = switch.heap_bytes();
    let nest = w.begin_nested(DPSWITCH_ATTR_MEMORY);
    w.put_u64(DPSWITCH_MEMORY_RSS_KIB, resident_kib().unwrap_or(0));
    w.put_u64(DPSWITCH_MEMORY_DPDK_HEAP, dpdk_heap);
    w.put_u64(DPSWITCH_MEMORY_PROCESS_HEAP, process_heap);
    w.put_u64(
        DPSWITCH_MEMORY_MBUFS_IN_USE,
        u64::from(switch.mbufs_in_use()),
    );
    w.end_nested(nest);
    Ok(message(
        FAMILY_DPSWITCH,
        DPSWITCH_CMD_GET_STATS,
        DPSWITCH_VERSION,
        dp.dp_ifindex,
        to,
        w.as_bytes(),
    ))
}
