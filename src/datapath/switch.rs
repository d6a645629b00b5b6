//! Bringing the datapath up and down: the packet pool, the ports and the
//! PMD lcores, in an order that never stops a port under a poller and
//! proves at the end that every mbuf came back.
//!
//! Ports also come and go while the PMDs run (management lcore only):
//! [`Switch::add_port`] probes a vdev (`net_af_packet` on an existing
//! kernel interface, `net_tap` creating one), configures it with an rx
//! queue and a tx queue per PMD (both drivers pair them), starts it, and hands each PMD its
//! queues and the new port-number map through the PMD's mailbox;
//! [`Switch::remove_port`] hands the PMDs the map without the port, waits
//! until each has sent its queues back (having flushed what it held for
//! the port: the grace period), then stops, closes and removes the device.
//! Ports live in [`MAX_PORTS`] fixed slots (the port index of upcall
//! handlers, injection rings and tx queues); a freed slot is reused. The
//! packet pool is checked at each add: a port whose rings it cannot feed
//! is refused.

use super::actions::{execute_with_upcalls, Xorshift32};
use super::error::SwitchError;
use super::heap_trim::HeapTrim;
use super::idle_sleep::MAX_SLEEP_US;
pub use super::plan::PortKind;
use super::plan::{pair_queues, plan_lcores, plan_ports, pmd_count, PortPlan, Probed};
use super::pmd::{Mailbox, Pmd, PmdControls, PortChange, RxPoll, TxPort, MAX_BURST, MAX_RX_POLLS};
use super::ports::{PortIndex, MAX_PORTS};
use super::upcall::{upcall_channel, Upcall, UpcallHandlers, UpcallLimit, UpcallReceiver};
use super::upcall_losses::{LossReason, UpcallLosses, REASONS};
use crate::classifier::{FlowId, FlowStats, FlowTable, TableConfig, TableError};
use crate::config::Config;
use crate::dpdk::{
    self, ring, tsc_cycles, tsc_hz, Eal, LcoreJob, Mbuf, Mempool, Port, PortStats, RingConsumer,
    RingProducer, RingSync, DEFAULT_DATA_ROOM, SOCKET_ID_ANY,
};
use crate::flow::matching::{Match, DP_MAX_PORTS};
use crate::flow::odp::{Action, UserspaceAction};
use crate::flow::{FlowKey, FlowMask};
use dpswitch_proto::pmd::stats::{PmdCounters, PmdStats, RxqStats};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

mod exec_floor;
mod link_kind;
mod perf;
mod report;
mod run_time;
mod watch;
pub use report::Report;
pub use run_time::{PortError, PortSpec};

/// Per-lcore mbuf cache of the packet pool.
const POOL_CACHE: u32 = 256;
/// Packets from the management lcore that may wait per port.
const INJECT_RING: u32 = 1023;
/// Port changes that may be in flight to one PMD.
const MAILBOX_RING: u32 = 63;
/// How long a PMD may take to adopt a port change before the management
/// lcore gives up on it (a PMD adopts one within a loop, microseconds).
const ADOPT_TIMEOUT: Duration = Duration::from_secs(5);

/// One port the datapath runs, as the management lcore holds it.
struct PortSlot {
    plan: PortPlan,
    port: Port,
    /// The management lcore's end of the port's injection ring.
    inject: RingProducer<Mbuf>,
    /// `OVS_VPORT_ATTR_UPCALL_PID` as last set, whole; the first one
    /// handles the port's misses.
    upcall_pids: Vec<u32>,
    /// mbufs the port's rings may hold (counted against the pool).
    rings: u32,
    /// The link as last read (None: not readable yet).
    link_up: Option<bool>,
}

/// The management end of one PMD lcore.
struct PmdHandle {
    lcore: u32,
    job: Option<LcoreJob<Pmd>>,
    /// The PMD itself until it is launched.
    idle: Option<Pmd>,
    stats: Arc<PmdStats>,
    to: RingProducer<Box<PortChange>>,
    back: RingConsumer<Box<PortChange>>,
    /// (port, rx queue) pairs it polls.
    rx_polls: usize,
    /// Its classifier reader's slot (whose flow cache hits are its own).
    reader_slot: u32,
    /// The rx queues it polls, with their counters.
    rxqs: Vec<PolledQueue>,
    /// Its counters when they were last cleared.
    baseline: PmdCounters,
}

/// One rx queue as the management lcore sees it, for `pmd-rxq-show`.
struct PolledQueue {
    port_slot: usize,
    queue: u16,
    stats: Arc<RxqStats>,
    /// (packets, cycles) when last cleared.
    baseline: (u64, u64),
}

/// A running datapath.
pub struct Switch {
    eal: Eal,
    pool: Mempool,
    /// Ports by port index; a removed port's slot is reused.
    slots: Vec<Option<PortSlot>>,
    index: Arc<PortIndex>,
    table: FlowTable,
    pmds: Vec<PmdHandle>,
    stop: Arc<AtomicBool>,
    /// Upcall handler of each port, by port index.
    handlers: Arc<UpcallHandlers>,
    /// The management ends of the PMDs' upcall channels.
    upcalls: Vec<UpcallReceiver>,
    rng: Xorshift32,
    /// Packets the management lcore dropped on their way up (no handler
    /// connection, or one not reading) or on their way out.
    mgmt_lost: u64,
    /// Upcalls lost by port and reason: each PMD's, and the management
    /// lcore's (handlers gone or not reading).
    pmd_losses: Vec<Arc<UpcallLosses>>,
    mgmt_losses: UpcallLosses,
    queue_size: u16,
    mempool_size: u32,
    /// mbufs the lcores and the ports' rings may hold.
    committed: u32,
    /// Free mbufs an execute must leave (see `exec_floor`).
    exec_floor: u32,
    /// Suffix of the next run-time device's DPDK name.
    next_device: u32,
    heap_trim: HeapTrim,
    /// The PMDs' idle sleep limit (`datapath.pmd_max_sleep_us`) and
    /// stage timing.
    controls: Arc<PmdControls>,
    /// Room in each PMD's upcall queue.
    upcall_queue: u32,
    /// When the PMDs' counters were last cleared (or the switch opened).
    perf_since: Instant,
    /// Flows in the table, averaged once a second (see `perf`).
    flow_average: u64,
    loss_watch: watch::LossWatch,
}

/// What became of a packet the management lcore executed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ExecOutcome {
    pub outputs: u32,
    /// Outputs the driver refused or that named no port.
    pub dropped: u64,
}

/// The name of the kernel interface with index `if_index` (0: none).
fn iface_name(if_index: u32) -> Option<String> {
    if if_index == 0 {
        return None;
    }
    let all = nix::net::if_::if_nameindex().ok()?;
    all.iter()
        .find(|i| i.index() == if_index)
        .map(|i| i.name().to_string_lossy().into_owned())
}

impl Switch {
    /// Opens, configures and starts every port and creates the flow table;
    /// nothing forwards until [`Switch::launch`], so flows installed in
    /// between apply to the very first packet. No port at all is fine:
    /// the PMDs then idle until ports are added. With
    /// `datapath.local_port`, the datapath's local port 0 is created as
    /// the kernel creates it: an internal port (a tap) named like the
    /// datapath.
    pub fn open(eal: &Eal, config: &Config) -> Result<Switch, SwitchError> {
        let mut opened = Vec::new();
        for id in dpdk::port_ids(eal) {
            let device = dpdk::port_name(eal, id).map_err(SwitchError::dpdk("port name"))?;
            let port = Port::open(eal, id).map_err(SwitchError::dpdk(&device))?;
            let info = port.info().map_err(SwitchError::dpdk(&device))?;
            let name = iface_name(info.if_index).unwrap_or_else(|| device.clone());
            opened.push(((id, device, name), port));
        }
        let probed: Vec<Probed> = opened.iter().map(|(p, _)| p.clone()).collect();
        let mut plans = plan_ports(&probed, config).map_err(SwitchError::Config)?;
        let workers = eal.worker_lcores();
        // One tx queue per PMD lcore (tx queue i is PMD i's).
        let tx_queues = u16::try_from(pmd_count(&workers, &config.pmds))
            .map_err(|_| SwitchError::Config("too many lcores".to_string()))?;
        pair_queues(&mut plans, tx_queues);
        let lcores = plan_lcores(&plans, &workers, &config.pmds).map_err(SwitchError::Config)?;
        let dp = &config.datapath;
        let port_rings = |p: &PortPlan| {
            (u32::from(p.rx_queues) + u32::from(p.tx_queues(tx_queues))) * u32::from(dp.queue_size)
        };
        let rings: u32 = plans.iter().map(port_rings).sum();
        let lcore_share =
            lcores.len() as u32 * (MAX_BURST as u32 + POOL_CACHE + dp.upcall_queue) + POOL_CACHE;
        let needed = rings + lcore_share;
        let mempool_size = match dp.mempool_size {
            Some(size) if size < needed => {
                return Err(SwitchError::Config(format!(
                    "datapath.mempool_size {size} is too small: the ports' rings and the lcores' bursts, caches and upcall queues need {needed} mbufs"
                )));
            }
            Some(size) => size,
            None => default_pool_size(needed, tx_queues, dp.queue_size),
        };
        if plans.len() > MAX_PORTS {
            return Err(SwitchError::Config(format!(
                "at most {MAX_PORTS} ports, not {}",
                plans.len()
            )));
        }
        let pool = Mempool::create_pktmbuf(
            eal,
            "dpswitch_pkts",
            mempool_size,
            POOL_CACHE,
            DEFAULT_DATA_ROOM,
            SOCKET_ID_ANY,
        )
        .map_err(SwitchError::dpdk(
            "packet pool (hugepage memory short? see -m/--socket-mem)",
        ))?;
        let table = FlowTable::new(
            eal,
            TableConfig {
                max_flows: dp.flow_limit as usize,
                max_readers: u32::from(tx_queues),
                ..TableConfig::default()
            },
        )
        .map_err(|source| SwitchError::Table {
            what: "flow table".into(),
            source,
        })?;
        let handlers = Arc::new(UpcallHandlers::new(MAX_PORTS));
        let stop = Arc::new(AtomicBool::new(false));
        let controls = Arc::new(PmdControls {
            max_sleep_us: AtomicU32::new(dp.pmd_max_sleep_us),
            ..PmdControls::default()
        });
        let empty = Arc::new(PortIndex::new(&[]));
        let limit = UpcallLimit {
            per_second: dp.upcall_rate,
            burst: (dp.upcall_rate / 10).max(1),
        };
        let mut pmds = Vec::with_capacity(lcores.len());
        let mut upcalls = Vec::with_capacity(lcores.len());
        let mut pmd_losses = Vec::with_capacity(lcores.len());
        for (i, plan) in lcores.iter().enumerate() {
            let classifier = table
                .reader(i as u32)
                .map_err(|source| SwitchError::Table {
                    what: format!("classifier reader for lcore {}", plan.lcore),
                    source,
                })?;
            let (sender, receiver) = upcall_channel(
                &format!("dpsw_upcall{}", plan.lcore),
                dp.upcall_queue.max(1),
                Arc::clone(&handlers),
                limit,
                tsc_hz(),
                MAX_PORTS,
            )
            .map_err(SwitchError::dpdk("upcall ring"))?;
            pmd_losses.push(sender.losses());
            let (to, inbox) = ring::<Box<PortChange>>(
                &format!("dpsw_mbox{}", plan.lcore),
                MAILBOX_RING,
                RingSync::default(),
            )
            .map_err(SwitchError::dpdk("mailbox ring"))?;
            let (outbox, back) = ring::<Box<PortChange>>(
                &format!("dpsw_mback{}", plan.lcore),
                MAILBOX_RING,
                RingSync::default(),
            )
            .map_err(SwitchError::dpdk("mailbox ring"))?;
            let pmd = Pmd::new(
                plan.lcore,
                Arc::clone(&empty),
                classifier,
                sender,
                Mailbox { inbox, outbox },
                usize::from(dp.burst_size),
                Arc::clone(&controls),
                Arc::clone(&stop),
            );
            upcalls.push(receiver);
            pmds.push(PmdHandle {
                lcore: plan.lcore,
                job: None,
                stats: Arc::clone(&pmd.stats),
                idle: Some(pmd),
                to,
                back,
                rx_polls: 0,
                reader_slot: i as u32,
                rxqs: Vec::new(),
                baseline: PmdCounters::default(),
            });
        }
        let mut switch = Switch {
            eal: eal.clone(),
            pool,
            slots: (0..MAX_PORTS).map(|_| None).collect(),
            index: empty,
            table,
            pmds,
            stop,
            handlers,
            upcalls,
            rng: Xorshift32::new(0x2545_f491),
            mgmt_lost: 0,
            pmd_losses,
            mgmt_losses: UpcallLosses::new(MAX_PORTS),
            heap_trim: HeapTrim::default(),
            queue_size: dp.queue_size,
            mempool_size,
            committed: lcore_share,
            exec_floor: exec_floor::exec_floor(
                lcores.len() as u32,
                MAX_BURST as u32,
                dp.upcall_queue,
                POOL_CACHE,
            ),
            next_device: 0,
            controls,
            upcall_queue: dp.upcall_queue.max(1),
            perf_since: Instant::now(),
            flow_average: 0,
            loss_watch: watch::LossWatch::default(),
        };
        let mut opened: Vec<Option<Port>> = opened.into_iter().map(|(_, p)| Some(p)).collect();
        for (slot, plan) in plans.into_iter().enumerate() {
            let i = probed
                .iter()
                .position(|p| p.0 == plan.dpdk_id)
                .ok_or(SwitchError::Inconsistent("probed port vanished"))?;
            let port = opened[i]
                .take()
                .ok_or(SwitchError::Inconsistent("port planned twice"))?;
            configure_port(&port, &plan, tx_queues, dp.queue_size, &switch.pool)?;
            let rx: Vec<(usize, u16)> = lcores
                .iter()
                .enumerate()
                .flat_map(|(pmd, l)| {
                    l.rx.iter()
                        .filter(|(p, _)| *p == slot)
                        .map(move |(_, q)| (pmd, *q))
                })
                .collect();
            let rings = port_rings(&plan);
            switch.attach(slot, plan, port, rx, vec![0], rings)?;
        }
        if dp.local_port {
            switch
                .add_port(&PortSpec {
                    kind: PortKind::Internal,
                    name: dp.name.clone(),
                    number: Some(0),
                    upcall_pids: vec![0],
                })
                .map_err(|source| SwitchError::LocalPort {
                    name: dp.name.clone(),
                    source,
                })?;
        }
        Ok(switch)
    }

    /// Starts a PMD loop on every planned worker lcore.
    pub fn launch(&mut self, eal: &Eal) -> Result<(), SwitchError> {
        for handle in self.pmds.iter_mut() {
            let Some(pmd) = handle.idle.take() else {
                continue;
            };
            let job = eal
                .launch(handle.lcore, move || pmd.run())
                .map_err(SwitchError::dpdk(format!("launch lcore {}", handle.lcore)))?;
            handle.job = Some(job);
        }
        Ok(())
    }

    /// Every port, in port-number order.
    pub fn ports(&self) -> impl Iterator<Item = &PortPlan> {
        let mut all: Vec<&PortPlan> = self.slots.iter().flatten().map(|s| &s.plan).collect();
        all.sort_by_key(|p| p.number);
        all.into_iter()
    }

    /// The port with this vport name.
    pub fn port_by_name(&self, name: &str) -> Option<&PortPlan> {
        self.slots
            .iter()
            .flatten()
            .map(|s| &s.plan)
            .find(|p| p.name == name)
    }

    /// The port with this number.
    pub fn port(&self, number: u32) -> Option<&PortPlan> {
        let i = self.index.index(number)?;
        self.slots.get(i)?.as_ref().map(|s| &s.plan)
    }

    /// Which lcore polls what, for the startup log.
    pub fn lcores(&self) -> impl Iterator<Item = u32> + '_ {
        self.pmds.iter().map(|h| h.lcore)
    }

    /// Whether a datapath port has this number (for output validation).
    pub fn has_port(&self, number: u32) -> bool {
        self.index.contains(number)
    }

    /// The megaflow table, for the management lcore's flow commands.
    pub fn table(&self) -> &FlowTable {
        &self.table
    }

    pub fn table_mut(&mut self) -> &mut FlowTable {
        &mut self.table
    }

    /// The table to change together with [`Switch::has_port`], for flow
    /// commands that validate outputs while they hold the table.
    pub fn table_and_ports(&mut self) -> (&mut FlowTable, impl Fn(u32) -> bool + '_) {
        let index = &self.index;
        (&mut self.table, move |number| index.contains(number))
    }

    /// Installs a flow; it is visible to every PMD when this returns.
    pub fn install(&mut self, m: &Match, actions: Vec<Action>) -> Result<FlowId, TableError> {
        self.table.insert(m, None, actions)
    }

    /// The handler (netlink port id, 0: none) of port `number`.
    pub fn upcall_pid(&self, number: u32) -> u32 {
        self.index.index(number).map_or(0, |i| self.handlers.get(i))
    }

    /// The port's `OVS_VPORT_ATTR_UPCALL_PID` array as last set.
    pub fn upcall_pids(&self, number: u32) -> Vec<u32> {
        self.index
            .index(number)
            .and_then(|i| self.slots[i].as_ref())
            .map_or_else(Vec::new, |s| s.upcall_pids.clone())
    }

    /// Makes `pids` the handlers of port `number` (the first takes its
    /// misses; 0: none); false when there is no such port or no pid.
    pub fn set_upcall_pids(&mut self, number: u32, pids: &[u32]) -> bool {
        let Some(i) = self.index.index(number) else {
            return false;
        };
        let (Some(slot), Some(first)) = (self.slots[i].as_mut(), pids.first()) else {
            return false;
        };
        slot.upcall_pids = pids.to_vec();
        self.handlers.set(i, *first);
        true
    }

    /// Makes `pid` the handler of port `number`'s misses (0: none).
    pub fn set_upcall_pid(&mut self, number: u32, pid: u32) -> bool {
        self.set_upcall_pids(number, &[pid])
    }

    /// Removes `pid` as the handler of every port it handled.
    pub fn drop_upcall_handler(&mut self, pid: u32) {
        for (index, slot) in self.slots.iter_mut().enumerate() {
            let Some(slot) = slot.as_mut() else { continue };
            if self.handlers.get(index) == pid {
                self.handlers.set(index, 0);
                if let Some(first) = slot.upcall_pids.first_mut() {
                    *first = 0;
                }
            }
        }
    }

    /// Hands up to `max` packets waiting to go up to `f`; returns how many.
    pub fn drain_upcalls(&mut self, max: usize, mut f: impl FnMut(&mut Upcall)) -> usize {
        let mut n = 0;
        for receiver in self.upcalls.iter_mut() {
            n += receiver.drain(max.saturating_sub(n), &mut f);
        }
        n
    }

    /// Runs `actions` on `frame` as if it had arrived on `in_port`, from the
    /// management lcore's own tx queues; `userspace` actions hand their
    /// packet to `upcall`. None when no mbuf is free, or when taking one
    /// would leave the PMDs less than their reserve (`exec_floor`).
    pub fn execute(
        &mut self,
        frame: &[u8],
        actions: &[Action],
        upcall: &mut dyn FnMut(&UserspaceAction, Mbuf),
    ) -> Option<ExecOutcome> {
        if !exec_floor::may_execute(self.pool.avail_count(), self.exec_floor) {
            return None;
        }
        let mut mbuf = self.pool.alloc()?;
        if !mbuf.extend_from_slice(frame) {
            return None;
        }
        let Switch {
            index, slots, rng, ..
        } = self;
        let mut dropped = 0;
        let report = execute_with_upcalls(
            actions,
            mbuf,
            rng,
            &mut |port, m| match index
                .index(port)
                .and_then(|p| slots.get_mut(p))
                .and_then(Option::as_mut)
            {
                Some(slot) => dropped += u64::from(slot.inject.enqueue(m).is_err()),
                None => dropped += 1,
            },
            upcall,
        );
        Some(ExecOutcome {
            outputs: report.outputs,
            dropped,
        })
    }

    /// Management-lcore upkeep: frees what RCU grace periods released and,
    /// when `tick` is set (about once a second), orders subtables by their
    /// recent hits and logs what changed: links up or down, upcalls lost,
    /// inserts the flow limit refused.
    pub fn maintain(&mut self, tick: bool) {
        if tick {
            self.table.rerank();
            self.sample_flows();
            self.table.flush_log();
            self.watch_links();
            self.watch_upcall_losses();
        }
        self.table.reclaim();
        let (flows, pending) = (self.table.flow_count(), self.table.pending_reclaim());
        if self.heap_trim.after_reclaim(flows, pending) {
            self.table.shrink_indexes();
            dpdk::return_free_heap();
        }
    }
}

/// The packet pool when the config leaves it unset: at least
/// [`DEFAULT_POOL`], and what the ports and lcores need at start
/// (`needed`) with room for two more ports of a queue pair per PMD each
/// (the local port, and one added at run time).
fn default_pool_size(needed: u32, pmds: u16, queue_size: u16) -> u32 {
    let port = 2 * u32::from(pmds) * u32::from(queue_size);
    DEFAULT_POOL.max(needed + 2 * port)
}

/// The smallest packet pool an unset `datapath.mempool_size` gives.
const DEFAULT_POOL: u32 = 16_383;

fn configure_port(
    port: &Port,
    plan: &PortPlan,
    tx_queues: u16,
    queue_size: u16,
    pool: &Mempool,
) -> Result<(), SwitchError> {
    let info = port.info().map_err(SwitchError::dpdk(&plan.name))?;
    let tx_queues = plan.tx_queues(tx_queues);
    if plan.rx_queues > info.max_rx_queues || tx_queues > info.max_tx_queues {
        return Err(SwitchError::Config(format!(
            "{} ({}) supports {} rx / {} tx queues; {} rx / {} tx needed (one tx queue per PMD lcore)",
            plan.name,
            info.driver_name,
            info.max_rx_queues,
            info.max_tx_queues,
            plan.rx_queues,
            tx_queues
        )));
    }
    let config = dpdk::PortConfig {
        rx_queues: plan.rx_queues,
        tx_queues,
        rx_descriptors: queue_size,
        tx_descriptors: queue_size,
    };
    port.configure(&config, pool)
        .map_err(SwitchError::dpdk(format!("configure {}", plan.name)))?;
    port.start()
        .map_err(SwitchError::dpdk(format!("start {}", plan.name)))?;
    // A switch port takes every frame; some PMDs (net_null) have no such mode.
    let _ = port.set_promiscuous(true);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::default_pool_size;

    #[test]
    fn an_unset_pool_grows_with_the_pmds() {
        // One PMD, two taps: what the old fixed default gave.
        assert_eq!(default_pool_size(5_664, 1, 1024), 16_383);
        // Three PMDs, two taps of three queue pairs: 22,624 needed, and two
        // more such ports.
        assert_eq!(default_pool_size(22_624, 3, 1024), 22_624 + 12_288);
    }
}
