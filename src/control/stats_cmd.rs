//! The `dpswitch` family's commands: `GET_STATS`, the drops and the
//! memory that the kernel's `ovs_datapath` has no attribute for (the
//! control socket's refusals and lost notifications, each port's lost
//! upcalls by reason, where the memory is), for `dpctl show`; `GET_PMD`,
//! `CLEAR_PMD` and `SET_PMD`, the PMDs' figures and idle sleep; and
//! `GET_UPCALL`, the table's occupancy and the upcall queues.

use super::counters::ControlCounters;
use super::dp_cmd::{message, DatapathInfo, ReplyTo};
use super::families::FAMILY_DPSWITCH;
use super::request::CmdError;
use crate::datapath::Switch;
use crate::dpdk::resident_kib;
use crate::netlink::attr::{attrs, AttrWriter};
use crate::netlink::consts::*;
use crate::netlink::msg::OvsMessage;
use dpswitch_proto::pmd::figures::{FlowFigures, PerfReport, PmdFigures};
use nix::errno::Errno;

/// The reply to a GET_STATS naming the datapath (else ENODEV).
pub fn get_stats(
    dp: &DatapathInfo,
    switch: &Switch,
    control: &ControlCounters,
    msg: &OvsMessage<'_>,
    to: ReplyTo,
) -> Result<Vec<u8>, CmdError> {
    check_datapath(dp, msg)?;
    let mut w = AttrWriter::new();
    let nest = w.begin_nested(DPSWITCH_ATTR_CONTROL);
    w.put_u64(DPSWITCH_CONTROL_REFUSED, control.refused());
    w.put_u64(DPSWITCH_CONTROL_RECLAIMED, control.reclaimed);
    w.put_u64(
        DPSWITCH_CONTROL_NOTIFICATIONS_DROPPED,
        control.notifications_dropped,
    );
    w.end_nested(nest);
    put_port_losses(&mut w, switch);
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
    Ok(reply(dp, DPSWITCH_CMD_GET_STATS, to, &w))
}

/// GET_PMD, CLEAR_PMD and SET_PMD: the change asked for (figures
/// cleared; `DPSWITCH_ATTR_MAX_SLEEP_US`, 0..=10000, else ERANGE), then
/// every PMD's figures since the last clear (GET) or what they are
/// measured over (the others).
pub fn pmd(
    dp: &DatapathInfo,
    switch: &mut Switch,
    msg: &OvsMessage<'_>,
    to: ReplyTo,
) -> Result<Vec<u8>, CmdError> {
    check_datapath(dp, msg)?;
    let cmd = msg.genl.cmd;
    match cmd {
        DPSWITCH_CMD_CLEAR_PMD => switch.clear_pmd_stats(),
        DPSWITCH_CMD_SET_PMD => set_pmd(switch, msg)?,
        _ => {}
    }
    let perf = switch.pmd_perf();
    let mut w = AttrWriter::new();
    if cmd == DPSWITCH_CMD_GET_PMD {
        put_perf(&mut w, &perf);
    } else {
        put_perf_header(&mut w, &perf);
    }
    Ok(reply(dp, cmd, to, &w))
}

/// SET_PMD's attributes, all checked before any applies.
fn set_pmd(switch: &Switch, msg: &OvsMessage<'_>) -> Result<(), CmdError> {
    let (mut max_sleep, mut stage_cycles) = (None, None);
    for attr in attrs(msg.attrs, "dpswitch SET_PMD") {
        let attr = attr.map_err(|e| CmdError::einval(e.to_string()))?;
        match attr.kind() {
            DPSWITCH_ATTR_MAX_SLEEP_US => {
                let bytes = attr
                    .payload()
                    .try_into()
                    .map_err(|_| CmdError::einval("DPSWITCH_ATTR_MAX_SLEEP_US must be a u32"))?;
                max_sleep = Some(u32::from_ne_bytes(bytes));
            }
            DPSWITCH_ATTR_STAGE_CYCLES => match attr.payload() {
                [on] => stage_cycles = Some(*on != 0),
                _ => return Err(CmdError::einval("DPSWITCH_ATTR_STAGE_CYCLES must be a u8")),
            },
            _ => {}
        }
    }
    if max_sleep.is_none() && stage_cycles.is_none() {
        return Err(CmdError::einval(
            "SET_PMD needs DPSWITCH_ATTR_MAX_SLEEP_US or DPSWITCH_ATTR_STAGE_CYCLES",
        ));
    }
    if let Some(us) = max_sleep {
        switch
            .set_pmd_max_sleep(us)
            .map_err(|e| CmdError::new(Errno::ERANGE, e))?;
    }
    if let Some(on) = stage_cycles {
        switch.set_stage_cycles(on);
    }
    Ok(())
}

/// The reply to GET_UPCALL: the table's occupancy, each PMD's upcall
/// queue, each port's lost upcalls.
pub fn get_upcall(
    dp: &DatapathInfo,
    switch: &Switch,
    msg: &OvsMessage<'_>,
    to: ReplyTo,
) -> Result<Vec<u8>, CmdError> {
    check_datapath(dp, msg)?;
    let figures = switch.upcall_figures();
    let mut w = AttrWriter::new();
    put_flows(&mut w, &figures.flows);
    for (lcore, waiting, size) in figures.queues {
        let nest = w.begin_nested(DPSWITCH_ATTR_PMD);
        w.put_u32(DPSWITCH_PMD_LCORE, lcore);
        w.put_u32(DPSWITCH_PMD_UPCALL_QUEUE, waiting);
        w.put_u32(DPSWITCH_PMD_UPCALL_QUEUE_SIZE, size);
        w.end_nested(nest);
    }
    put_port_losses(&mut w, switch);
    Ok(reply(dp, DPSWITCH_CMD_GET_UPCALL, to, &w))
}

fn check_datapath(dp: &DatapathInfo, msg: &OvsMessage<'_>) -> Result<(), CmdError> {
    if !dp.exists || msg.dp_ifindex != dp.dp_ifindex {
        return Err(CmdError::enodev());
    }
    Ok(())
}

fn reply(dp: &DatapathInfo, cmd: u8, to: ReplyTo, w: &AttrWriter) -> Vec<u8> {
    message(
        FAMILY_DPSWITCH,
        cmd,
        DPSWITCH_VERSION,
        dp.dp_ifindex,
        to,
        w.as_bytes(),
    )
}

fn put_port_losses(w: &mut AttrWriter, switch: &Switch) {
    for (number, lost) in switch.upcall_losses() {
        let nest = w.begin_nested(DPSWITCH_ATTR_PORT);
        w.put_u32(DPSWITCH_PORT_NO, number);
        for (attr, n) in (DPSWITCH_PORT_UPCALL_LOST_NO_HANDLER..).zip(lost) {
            w.put_u64(attr, n);
        }
        w.end_nested(nest);
    }
}

fn put_perf_header(w: &mut AttrWriter, perf: &PerfReport) {
    let nest = w.begin_nested(DPSWITCH_ATTR_PERF);
    w.put_u64(DPSWITCH_PERF_TSC_HZ, perf.tsc_hz);
    w.put_u64(
        DPSWITCH_PERF_DURATION_US,
        u64::try_from(perf.duration.as_micros()).unwrap_or(u64::MAX),
    );
    w.put_u32(DPSWITCH_PERF_MAX_SLEEP_US, perf.max_sleep_us);
    w.put_u8(DPSWITCH_PERF_STAGE_CYCLES, u8::from(perf.stage_cycles));
    w.end_nested(nest);
}

/// The perf header and every PMD with its counters and rx queues.
pub fn put_perf(w: &mut AttrWriter, perf: &PerfReport) {
    put_perf_header(w, perf);
    for pmd in &perf.pmds {
        put_pmd(w, pmd);
    }
}

fn put_pmd(w: &mut AttrWriter, pmd: &PmdFigures) {
    let nest = w.begin_nested(DPSWITCH_ATTR_PMD);
    w.put_u32(DPSWITCH_PMD_LCORE, pmd.lcore);
    w.put_u32(DPSWITCH_PMD_UPCALL_QUEUE, pmd.upcall_queue);
    w.put_u32(DPSWITCH_PMD_UPCALL_QUEUE_SIZE, pmd.upcall_queue_size);
    let counters = w.begin_nested(DPSWITCH_PMD_COUNTERS);
    for (attr, value) in (1..).zip(pmd.counters.values()) {
        w.put_u64(attr, value);
    }
    w.end_nested(counters);
    for q in &pmd.rxqs {
        let rxq = w.begin_nested(DPSWITCH_PMD_RXQ);
        w.put_u32(DPSWITCH_RXQ_PORT_NO, q.port_number);
        w.put(DPSWITCH_RXQ_PORT_NAME, &nul_terminated(&q.port_name));
        w.put_u32(DPSWITCH_RXQ_QUEUE, u32::from(q.queue));
        w.put_u64(DPSWITCH_RXQ_PACKETS, q.packets);
        w.put_u64(DPSWITCH_RXQ_CYCLES, q.cycles);
        w.end_nested(rxq);
    }
    w.end_nested(nest);
}

fn put_flows(w: &mut AttrWriter, flows: &FlowFigures) {
    let nest = w.begin_nested(DPSWITCH_ATTR_FLOWS);
    w.put_u64(DPSWITCH_FLOWS_CURRENT, flows.current);
    w.put_u64(DPSWITCH_FLOWS_AVERAGE, flows.average);
    w.put_u64(DPSWITCH_FLOWS_MAX, flows.max);
    w.put_u64(DPSWITCH_FLOWS_LIMIT, flows.limit);
    w.put_u64(DPSWITCH_FLOWS_REFUSED, flows.refused);
    w.end_nested(nest);
}

/// Netlink strings (NLA_NUL_STRING) end in a NUL.
fn nul_terminated(s: &str) -> Vec<u8> {
    let mut bytes = s.as_bytes().to_vec();
    bytes.push(0);
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;
    use dpswitch_client::client::perf_report;
    use dpswitch_proto::pmd::figures::RxqFigures;
    use dpswitch_proto::pmd::stats::PmdCounters;
    use std::time::Duration;

    #[test]
    fn pmd_figures_cross_the_wire_whole() {
        let n = PmdCounters::NAMES.len() as u64;
        let counters = PmdCounters::from_values(&(1..=n).map(|i| i * 1000 + i).collect::<Vec<_>>());
        let perf = PerfReport {
            tsc_hz: 2_400_000_000,
            duration: Duration::from_micros(12_345_678),
            max_sleep_us: 250,
            stage_cycles: true,
            pmds: vec![PmdFigures {
                lcore: 1,
                counters,
                upcall_queue: 3,
                upcall_queue_size: 1024,
                rxqs: vec![RxqFigures {
                    port_number: 2,
                    port_name: "dps1".into(),
                    queue: 0,
                    packets: 77,
                    cycles: 7_700,
                }],
            }],
        };
        let mut w = AttrWriter::new();
        put_perf(&mut w, &perf);
        assert_eq!(perf_report(w.as_bytes()), perf);
        assert_eq!(counters.cache_hit, n * 1000 + n);
    }
}
