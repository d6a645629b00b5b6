//! dpswitch's commands on DPDK's telemetry socket, next to DPDK's own
//! (`/ethdev/stats,<id>`, `/eal/...`), for `dpdk-telemetry.py`:
//!
//! - `/dpswitch/dp`: the datapath's counters, as dpswitchd's exit line
//!   prints them, with the flows, the masks and the upcalls lost by reason;
//! - `/dpswitch/pmd`: each PMD lcore's counters since it started (those
//!   of `dpctl pmd-perf-show`, which counts from its last clear), keyed by
//!   lcore id;
//! - `/dpswitch/flows`: how many flows and masks, the flow limit, and the
//!   figures of `dpctl upcall-show` (average, most, refused).
//!
//! DPDK answers on its telemetry thread, while the `Switch` belongs to
//! the management lcore: that lcore publishes a [`Snapshot`] now and then
//! (a few atomic loads, no per-packet work) and the commands read the
//! last one. They never reach the PMDs.

use super::switch::Switch;
use super::upcall_losses::{REASONS, REASON_NAMES};
use crate::dpdk::{register_telemetry_command, DpdkError, TelDict};
use dpswitch_proto::pmd::figures::FlowFigures;
use dpswitch_proto::pmd::stats::PmdCounters;
use parking_lot::Mutex;
use std::sync::Arc;

/// The datapath's counters at one moment, as the commands report them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Snapshot {
    /// Summed over the PMDs, the management lcore's losses included.
    pub datapath: PmdCounters,
    /// Upcalls lost, summed over the ports, by reason (`REASON_NAMES`).
    pub upcall_lost: [u64; REASONS],
    /// Each PMD lcore's own counters, by lcore id.
    pub pmds: Vec<(u32, PmdCounters)>,
    pub flows: FlowFigures,
    pub masks: u64,
}

impl Snapshot {
    /// Reads `switch`'s counters now.
    pub fn take(switch: &Switch) -> Snapshot {
        let mut upcall_lost = [0; REASONS];
        for (_, losses) in switch.upcall_losses() {
            for (total, n) in upcall_lost.iter_mut().zip(losses) {
                *total += n;
            }
        }
        Snapshot {
            datapath: switch.counters(),
            upcall_lost,
            pmds: switch.pmd_counters_by_lcore(),
            flows: switch.upcall_figures().flows,
            masks: switch.mask_count() as u64,
        }
    }
}

/// One PMD lcore's entry of `/dpswitch/pmd`: every counter it keeps,
/// under the names of the wire (`PmdCounters::NAMES`).
pub fn pmd_dict(lcore: u32, c: &PmdCounters) -> TelDict {
    let mut d = TelDict::new();
    d.u64("lcore", u64::from(lcore));
    for (name, value) in PmdCounters::NAMES.iter().zip(c.values()) {
        d.u64(name, value);
    }
    d
}

/// `/dpswitch/pmd`: each PMD lcore's counters under its lcore id.
pub fn pmds_dict(s: &Snapshot) -> TelDict {
    let mut d = TelDict::new();
    for (lcore, counters) in &s.pmds {
        d.dict(&lcore.to_string(), pmd_dict(*lcore, counters));
    }
    d
}

/// `/dpswitch/dp`: the names of dpswitchd's datapath line, then the
/// table's size and the upcalls lost (in all, then by reason).
pub fn dp_dict(s: &Snapshot) -> TelDict {
    let c = &s.datapath;
    let mut d = TelDict::new();
    d.u64("received", c.rx_packets)
        .u64("hit", c.hit)
        .u64("missed", c.missed)
        .u64("lost", c.lost)
        .u64("mask_hit", c.mask_hit)
        .u64("cache_hit", c.cache_hit)
        .u64("busy_cycles", c.busy_cycles)
        .u64("flows", s.flows.current)
        .u64("masks", s.masks)
        .u64("upcall_lost", s.upcall_lost.iter().sum());
    for (name, n) in REASON_NAMES.iter().zip(s.upcall_lost) {
        d.u64(&format!("upcall_lost_{name}"), n);
    }
    d
}

/// `/dpswitch/flows`: flows and masks in the table, how many flows it
/// takes, and `upcall-show`'s average, most and refused.
pub fn flows_dict(s: &Snapshot) -> TelDict {
    let f = &s.flows;
    let mut d = TelDict::new();
    d.u64("count", f.current)
        .u64("masks", s.masks)
        .u64("limit", f.limit)
        .u64("average", f.average)
        .u64("max", f.max)
        .u64("refused", f.refused);
    d
}

/// How a command's reply is made from a snapshot.
type DictOf = fn(&Snapshot) -> TelDict;

/// The last published snapshot, shared between the management lcore
/// (which publishes) and DPDK's telemetry thread (which reads).
#[derive(Clone, Default)]
pub struct Telemetry {
    last: Arc<Mutex<Snapshot>>,
}

impl Telemetry {
    /// Registers the `/dpswitch/...` commands, answered from the
    /// snapshots `publish` leaves (all zero until the first).
    pub fn register() -> Result<Telemetry, DpdkError> {
        let telemetry = Telemetry::default();
        let commands: [(&str, &str, DictOf); 3] = [
            (
                "/dpswitch/dp",
                "Returns the datapath's counters, flows, masks and upcalls lost. Takes no parameters",
                dp_dict,
            ),
            (
                "/dpswitch/pmd",
                "Returns each PMD lcore's counters, keyed by lcore id. Takes no parameters",
                pmds_dict,
            ),
            (
                "/dpswitch/flows",
                "Returns the flow count, the mask count and the flow limit. Takes no parameters",
                flows_dict,
            ),
        ];
        for (cmd, help, dict) in commands {
            let last = Arc::clone(&telemetry.last);
            register_telemetry_command(cmd, help, move |_params| dict(&last.lock()))?;
        }
        Ok(telemetry)
    }

    /// Publishes `switch`'s counters for the commands to answer with.
    pub fn publish(&self, switch: &Switch) {
        self.publish_snapshot(Snapshot::take(switch));
    }

    /// Publishes a snapshot taken elsewhere.
    pub fn publish_snapshot(&self, snapshot: Snapshot) {
        *self.last.lock() = snapshot;
    }

    /// The last snapshot published.
    pub fn last(&self) -> Snapshot {
        self.last.lock().clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dpdk::TelValue;

    fn counters(n: u64) -> PmdCounters {
        PmdCounters {
            rx_packets: n,
            hit: n - 1,
            missed: 1,
            lost: 0,
            mask_hit: n,
            cache_hit: n - 2,
            busy_cycles: 100 * n,
            ..PmdCounters::default()
        }
    }

    fn u64_of(d: &TelDict, name: &str) -> u64 {
        match d.get(name) {
            Some(TelValue::U64(v)) => *v,
            other => panic!("{name}: {other:?} in {d:?}"),
        }
    }

    fn snapshot() -> Snapshot {
        Snapshot {
            datapath: counters(10) + counters(5),
            upcall_lost: [1, 2, 0, 0, 4],
            pmds: vec![(1, counters(10)), (3, counters(5))],
            flows: FlowFigures {
                current: 4,
                average: 3,
                max: 6,
                limit: 1000,
                refused: 2,
            },
            masks: 2,
        }
    }

    #[test]
    fn dp_reports_the_datapath_line_and_the_losses() {
        let d = dp_dict(&snapshot());
        assert_eq!(u64_of(&d, "received"), 15);
        assert_eq!(u64_of(&d, "hit"), 13);
        assert_eq!(u64_of(&d, "missed"), 2);
        assert_eq!(u64_of(&d, "cache_hit"), 11);
        assert_eq!(u64_of(&d, "flows"), 4);
        assert_eq!(u64_of(&d, "masks"), 2);
        assert_eq!(u64_of(&d, "upcall_lost"), 7);
        assert_eq!(u64_of(&d, "upcall_lost_rate"), 2);
        assert_eq!(u64_of(&d, "upcall_lost_userdata"), 4);
    }

    #[test]
    fn pmd_keys_each_lcore_by_its_id() {
        let d = pmds_dict(&snapshot());
        let names: Vec<&str> = d.entries().iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["1", "3"]);
        let Some(TelValue::Dict(three)) = d.get("3") else {
            panic!("{d:?}");
        };
        assert_eq!(three, &pmd_dict(3, &counters(5)));
        assert_eq!(u64_of(three, "lcore"), 3);
        assert_eq!(u64_of(three, "rx_packets"), 5);
        assert_eq!(u64_of(three, "cache_hit"), 3);
        assert_eq!(u64_of(three, "busy_cycles"), 500);
    }

    #[test]
    fn flows_reports_count_masks_and_limit() {
        let d = flows_dict(&snapshot());
        assert_eq!(u64_of(&d, "count"), 4);
        assert_eq!(u64_of(&d, "masks"), 2);
        assert_eq!(u64_of(&d, "limit"), 1000);
        assert_eq!(u64_of(&d, "average"), 3);
        assert_eq!(u64_of(&d, "max"), 6);
        assert_eq!(u64_of(&d, "refused"), 2);
    }

    #[test]
    fn the_last_snapshot_published_is_the_one_read() {
        let t = Telemetry::default();
        assert_eq!(t.last(), Snapshot::default());
        t.publish_snapshot(snapshot());
        assert_eq!(t.last(), snapshot());
    }
}
