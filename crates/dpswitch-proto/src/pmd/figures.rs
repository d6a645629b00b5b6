//! The figures an operator reads of a running switch, as plain data: the
//! PMDs' counters and rx queues (`pmd-perf-show`, `pmd-rxq-show`) and how
//! full the table is (`upcall-show`). The switch fills them, the
//! `dpswitch` family carries them, `dpctl` and telemetry print them.

use super::stats::PmdCounters;
use std::time::Duration;

/// One rx queue's share of its PMD since the last clear.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RxqFigures {
    pub port_number: u32,
    pub port_name: String,
    pub queue: u16,
    pub packets: u64,
    /// TSC cycles of the bursts that brought them.
    pub cycles: u64,
}

/// One PMD lcore since the last clear.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PmdFigures {
    pub lcore: u32,
    /// With `cache_hit` this PMD's own flow cache's.
    pub counters: PmdCounters,
    /// Upcalls waiting for the management lcore now, and room for them.
    pub upcall_queue: u32,
    pub upcall_queue_size: u32,
    pub rxqs: Vec<RxqFigures>,
}

/// Every PMD, over one measurement.
#[derive(Clone, Debug, PartialEq)]
pub struct PerfReport {
    pub tsc_hz: u64,
    /// Since the last clear (or the start).
    pub duration: Duration,
    pub max_sleep_us: u32,
    /// Stage timing on: the counters' `stage_*` grow.
    pub stage_cycles: bool,
    pub pmds: Vec<PmdFigures>,
}

/// How full the flow table is and has been.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FlowFigures {
    pub current: u64,
    /// Averaged as OVS's `upcall/show` averages: halfway towards the
    /// current count once a second.
    pub average: u64,
    /// The most at once since the switch opened.
    pub max: u64,
    pub limit: u64,
    /// Flow installs the limit refused (EFBIG).
    pub refused: u64,
}

/// `upcall-show`: the table and the upcall queues.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UpcallFigures {
    pub flows: FlowFigures,
    /// (lcore, upcalls waiting, queue size) per PMD.
    pub queues: Vec<(u32, u32, u32)>,
}
