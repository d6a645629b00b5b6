//! Bringing the datapath up and down: the packet pool, the ports and the
//! PMD lcores, in an order that never stops a port under a poller and
//! proves at the end that every mbuf came back.

use super::actions::{execute_with_upcalls, Xorshift32};
use super::plan::{plan_lcores, plan_ports, LcorePlan, PortPlan};
use super::pmd::{Pmd, RxPoll, TxPort, MAX_BURST};
use super::ports::PortIndex;
use super::stats::{PmdCounters, PmdStats};
use super::upcall::{upcall_channel, Upcall, UpcallHandlers, UpcallLimit, UpcallReceiver};
use crate::classifier::{FlowId, FlowStats, FlowTable, TableConfig, TableError};
use crate::config::Config;
use crate::dpdk::{
    self, ring, tsc_cycles, tsc_hz, DpdkError, Eal, LcoreJob, Mbuf, Mempool, Port, PortStats,
    RingConsumer, RingProducer, RingSync, DEFAULT_DATA_ROOM, SOCKET_ID_ANY,
};
use crate::flow::matching::Match;
use crate::flow::odp::{Action, UserspaceAction};
use crate::flow::{FlowKey, FlowMask};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Per-lcore mbuf cache of the packet pool.
const POOL_CACHE: u32 = 256;
/// Packets from the management lcore that may wait per port.
const INJECT_RING: u32 = 1023;

/// A running datapath.
pub struct Switch {
    pool: Mempool,
    ports: Vec<(PortPlan, Port)>,
    index: Arc<PortIndex>,
    table: FlowTable,
    pmds: Vec<(u32, LcoreJob<Pmd>, Arc<PmdStats>)>,
    /// Which lcore polls what, until `launch` starts them.
    lcores: Vec<LcorePlan>,
    burst_size: usize,
    stop: Arc<AtomicBool>,
    /// Upcall handler of each port, by port index.
    handlers: Arc<UpcallHandlers>,
    upcall_limit: UpcallLimit,
    upcall_queue: u32,
    /// The management ends of the PMDs' upcall channels.
    upcalls: Vec<UpcallReceiver>,
    /// Packets the management lcore sends (OVS_PACKET_CMD_EXECUTE), one
    /// ring per port by port index, sent by the first PMD.
    inject: Vec<RingProducer<Mbuf>>,
    /// The first PMD's ends of `inject`, until `launch` hands them over.
    inject_rx: Vec<RingConsumer<Mbuf>>,
    rng: Xorshift32,
    /// Packets the management lcore dropped on their way up (no handler
    /// connection, or one not reading) or on their way out.
    mgmt_lost: u64,
}

/// What became of a packet the management lcore executed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ExecOutcome {
    pub outputs: u32,
    /// Outputs the driver refused or that named no port.
    pub dropped: u64,
}

/// One flow as the datapath reports it.
#[derive(Clone, Debug)]
pub struct FlowReport {
    pub key: FlowKey,
    pub mask: FlowMask,
    pub stats: FlowStats,
    /// Time since the last packet; None: never used.
    pub used_ago: Option<Duration>,
    pub actions: Vec<Action>,
}

/// What the datapath counted, read when it stopped.
#[derive(Debug)]
pub struct Report {
    pub ports: Vec<(PortPlan, PortStats)>,
    pub pmd: PmdCounters,
    pub flows: Vec<FlowReport>,
    pub masks: usize,
    pub mbufs_in_use: u32,
    pub mbufs_total: u32,
}

fn dpdk_err(what: impl std::fmt::Display) -> impl FnOnce(DpdkError) -> String {
    move |e| format!("{what}: {e}")
}

impl Switch {
    /// Opens, configures and starts every port and creates the flow table;
    /// nothing forwards until [`Switch::launch`], so flows installed in
    /// between apply to the very first packet.
    pub fn open(eal: &Eal, config: &Config) -> Result<Switch, String> {
        let probed = dpdk::port_ids(eal)
            .into_iter()
            .map(|id| Ok((id, dpdk::port_name(eal, id).map_err(dpdk_err("port name"))?)))
            .collect::<Result<Vec<_>, String>>()?;
        let plans = plan_ports(&probed, config)?;
        let lcores = plan_lcores(&plans, &eal.worker_lcores(), &config.pmds)?;
        let dp = &config.datapath;
        // One tx queue per PMD lcore.
        let tx_queues = u16::try_from(lcores.len()).map_err(|_| "too many lcores".to_string())?;

        let rings: u32 = plans
            .iter()
            .map(|p| (u32::from(p.rx_queues) + u32::from(tx_queues)) * u32::from(dp.queue_size))
            .sum();
        let needed = rings
            + lcores.len() as u32 * (MAX_BURST as u32 + POOL_CACHE + dp.upcall_queue)
            + POOL_CACHE;
        if dp.mempool_size < needed {
            return Err(format!(
                "datapath.mempool_size {} is too small: the ports' rings and the lcores' bursts, caches and upcall queues need {needed} mbufs",
                dp.mempool_size
            ));
        }
        let pool = Mempool::create_pktmbuf(
            eal,
            "dpswitch_pkts",
            dp.mempool_size,
            POOL_CACHE,
            DEFAULT_DATA_ROOM,
            SOCKET_ID_ANY,
        )
        .map_err(dpdk_err(
            "packet pool (hugepage memory short? see -m/--socket-mem)",
        ))?;

        let index = Arc::new(PortIndex::new(
            &plans.iter().map(|p| p.number).collect::<Vec<_>>(),
        ));
        let table = FlowTable::new(
            eal,
            TableConfig {
                max_flows: dp.flow_limit as usize,
                max_readers: u32::from(tx_queues),
                ..TableConfig::default()
            },
        )
        .map_err(|e| format!("flow table: {e}"))?;
        let mut ports = Vec::with_capacity(plans.len());
        for plan in plans {
            let port = open_port(eal, &plan, tx_queues, dp.queue_size, &pool)?;
            ports.push((plan, port));
        }
        // Packets the management lcore sends leave through the first PMD's
        // tx queues (a tx queue has one owner): one ring per port.
        let (inject, inject_rx): (Vec<_>, Vec<_>) = (0..ports.len())
            .map(|i| ring::<Mbuf>(&format!("dpsw_inject{i}"), INJECT_RING, RingSync::default()))
            .collect::<Result<Vec<_>, _>>()
            .map_err(dpdk_err("injection ring"))?
            .into_iter()
            .unzip();
        let stop = Arc::new(AtomicBool::new(false));
        Ok(Switch {
            pool,
            handlers: Arc::new(UpcallHandlers::new(ports.len())),
            ports,
            index,
            table,
            pmds: Vec::new(),
            lcores,
            burst_size: usize::from(dp.burst_size),
            stop,
            upcall_limit: UpcallLimit {
                per_second: dp.upcall_rate,
                burst: (dp.upcall_rate / 10).max(1),
            },
            upcall_queue: dp.upcall_queue,
            upcalls: Vec::new(),
            inject,
            inject_rx,
            rng: Xorshift32::new(0x2545_f491),
            mgmt_lost: 0,
        })
    }

    /// Starts a PMD loop on every planned worker lcore.
    pub fn launch(&mut self, eal: &Eal) -> Result<(), String> {
        for (index, lcore) in std::mem::take(&mut self.lcores).iter().enumerate() {
            let (pmd, upcalls) = self.pmd_for(lcore, index, self.burst_size)?;
            self.upcalls.push(upcalls);
            let stats = Arc::clone(&pmd.stats);
            let job = eal
                .launch(lcore.lcore, move || pmd.run())
                .map_err(dpdk_err(format!("launch lcore {}", lcore.lcore)))?;
            self.pmds.push((lcore.lcore, job, stats));
        }
        Ok(())
    }

    fn pmd_for(
        &mut self,
        plan: &LcorePlan,
        tx_index: usize,
        burst_size: usize,
    ) -> Result<(Pmd, UpcallReceiver), String> {
        let tx_queue = u16::try_from(tx_index).map_err(|_| "too many lcores".to_string())?;
        let mut rx = Vec::with_capacity(plan.rx.len());
        for &(port_index, queue) in &plan.rx {
            let (port_plan, port) = &self.ports[port_index];
            rx.push(RxPoll {
                queue: port
                    .rx_queue(queue)
                    .map_err(dpdk_err(format!("{} rx queue {queue}", port_plan.name)))?,
                port_number: port_plan.number,
                port_index,
            });
        }
        let tx = self
            .ports
            .iter()
            .map(|(plan, port)| {
                port.tx_queue(tx_queue)
                    .map(TxPort::new)
                    .map_err(dpdk_err(format!("{} tx queue {tx_queue}", plan.name)))
            })
            .collect::<Result<Vec<_>, String>>()?;
        let classifier = self
            .table
            .reader(u32::from(tx_queue))
            .map_err(|e| format!("classifier reader for lcore {}: {e}", plan.lcore))?;
        let (sender, receiver) = upcall_channel(
            &format!("dpsw_upcall{}", plan.lcore),
            self.upcall_queue.max(1),
            Arc::clone(&self.handlers),
            self.upcall_limit,
            tsc_hz(),
            self.ports.len(),
        )?;
        Ok((
            Pmd {
                lcore: plan.lcore,
                rx,
                tx,
                ports: Arc::clone(&self.index),
                classifier,
                upcalls: sender,
                injected: std::mem::take(&mut self.inject_rx),
                burst_size,
                stats: Arc::new(PmdStats::default()),
                stop: Arc::clone(&self.stop),
            },
            receiver,
        ))
    }

    pub fn ports(&self) -> impl Iterator<Item = &PortPlan> {
        self.ports.iter().map(|(plan, _)| plan)
    }

    /// Which lcore polls what, for the startup log.
    pub fn lcores(&self) -> impl Iterator<Item = u32> + '_ {
        self.pmds.iter().map(|(lcore, _, _)| *lcore)
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

    /// Installs a flow; it is visible to every PMD when this returns.
    pub fn install(&mut self, m: &Match, actions: Vec<Action>) -> Result<FlowId, TableError> {
        self.table.insert(m, None, actions)
    }

    /// The handler (netlink port id, 0: none) of port `number`.
    pub fn upcall_pid(&self, number: u32) -> u32 {
        self.index.index(number).map_or(0, |i| self.handlers.get(i))
    }

    /// Makes `pid` the handler of port `number`'s misses (0: none).
    pub fn set_upcall_pid(&self, number: u32, pid: u32) -> bool {
        match self.index.index(number) {
            Some(i) => {
                self.handlers.set(i, pid);
                true
            }
            None => false,
        }
    }

    /// Removes `pid` as the handler of every port it handled.
    pub fn drop_upcall_handler(&self, pid: u32) {
        for index in 0..self.ports.len() {
            if self.handlers.get(index) == pid {
                self.handlers.set(index, 0);
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
    /// packet to `upcall`. None when no mbuf is free.
    pub fn execute(
        &mut self,
        frame: &[u8],
        actions: &[Action],
        upcall: &mut dyn FnMut(&UserspaceAction, Mbuf),
    ) -> Option<ExecOutcome> {
        let mut mbuf = self.pool.alloc()?;
        if !mbuf.extend_from_slice(frame) {
            return None;
        }
        let Switch {
            index, inject, rng, ..
        } = self;
        let mut dropped = 0;
        let report = execute_with_upcalls(
            actions,
            mbuf,
            rng,
            &mut |port, m| match index.index(port).and_then(|p| inject.get_mut(p)) {
                Some(ring) => dropped += u64::from(ring.enqueue(m).is_err()),
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
    /// when `rerank` is set, orders subtables by their recent hits.
    pub fn maintain(&mut self, rerank: bool) {
        if rerank {
            self.table.rerank();
        }
        self.table.reclaim();
    }

    pub fn flow_count(&self) -> usize {
        self.table.flow_count()
    }

    /// The PMDs' counters, with the management lcore's losses in `lost`.
    pub fn counters(&self) -> PmdCounters {
        let mut total = self
            .pmds
            .iter()
            .fold(PmdCounters::default(), |acc, (_, _, s)| acc + s.read());
        total.lost += self.mgmt_lost;
        total.cache_hit = self.table.datapath_stats().cache_hit;
        total
    }

    /// Counts packets the management lcore could not deliver.
    pub fn count_lost(&mut self, n: u64) {
        self.mgmt_lost += n;
    }

    pub fn port_stats(&self) -> Vec<(PortPlan, PortStats)> {
        self.ports
            .iter()
            .map(|(plan, port)| (plan.clone(), port.stats().unwrap_or_default()))
            .collect()
    }

    /// Stops the PMDs, takes their queues back, reads the counters, stops
    /// and closes the ports, and counts the mbufs still out of the pool.
    pub fn shutdown(self) -> Result<Report, String> {
        self.stop.store(true, Ordering::Relaxed);
        let mut pmd = PmdCounters::default();
        let mut failed = Vec::new();
        for (lcore, job, stats) in self.pmds {
            match job.join() {
                Ok(returned) => drop(returned), // its queue handles go back to the ports
                Err(_) => failed.push(lcore),
            }
            pmd = pmd + stats.read();
        }
        if !failed.is_empty() {
            return Err(format!("PMD lcore(s) {failed:?} panicked"));
        }
        // The management lcore's losses belong in the totals, as in
        // `counters`; packets still on their way up go back to the pool,
        // lost too: no handler got them.
        pmd.lost += self.mgmt_lost;
        pmd.cache_hit = self.table.datapath_stats().cache_hit;
        let mut upcalls = self.upcalls;
        for receiver in upcalls.iter_mut() {
            pmd.lost += receiver.drain(usize::MAX, |u| drop(u.packet.take())) as u64;
        }
        drop(upcalls);
        // So do packets the management lcore queued and no PMD sent.
        drop(self.inject);
        drop(self.inject_rx);
        let now = tsc_cycles();
        let hz = tsc_hz().max(1) as f64;
        let flows = self
            .table
            .flows()
            .map(|f| {
                let stats = f.stats();
                FlowReport {
                    key: f.masked_key(),
                    mask: f.mask(),
                    stats,
                    used_ago: (stats.used != 0).then(|| {
                        Duration::from_secs_f64(now.saturating_sub(stats.used) as f64 / hz)
                    }),
                    actions: self.table.actions(f).to_vec(),
                }
            })
            .collect();
        let masks = self.table.mask_count();
        let mut ports = Vec::with_capacity(self.ports.len());
        for (plan, port) in self.ports {
            let stats = port.stats().unwrap_or_default();
            port.stop()
                .map_err(dpdk_err(format!("stop {}", plan.name)))?;
            port.close()
                .map_err(dpdk_err(format!("close {}", plan.name)))?;
            ports.push((plan, stats));
        }
        Ok(Report {
            ports,
            pmd,
            flows,
            masks,
            mbufs_in_use: self.pool.in_use_count(),
            mbufs_total: self.pool.capacity(),
        })
    }
}

fn open_port(
    eal: &Eal,
    plan: &PortPlan,
    tx_queues: u16,
    queue_size: u16,
    pool: &Mempool,
) -> Result<Port, String> {
    let port = Port::open(eal, plan.dpdk_id).map_err(dpdk_err(&plan.name))?;
    let info = port.info().map_err(dpdk_err(&plan.name))?;
    if plan.rx_queues > info.max_rx_queues || tx_queues > info.max_tx_queues {
        return Err(format!(
            "{} ({}) supports {} rx / {} tx queues; {} rx / {} tx needed (one tx queue per PMD lcore)",
            plan.name,
            info.driver_name,
            info.max_rx_queues,
            info.max_tx_queues,
            plan.rx_queues,
            tx_queues
        ));
    }
    let config = dpdk::PortConfig {
        rx_queues: plan.rx_queues,
        tx_queues,
        rx_descriptors: queue_size,
        tx_descriptors: queue_size,
    };
    port.configure(&config, pool)
        .map_err(dpdk_err(format!("configure {}", plan.name)))?;
    port.start()
        .map_err(dpdk_err(format!("start {}", plan.name)))?;
    // A switch port takes every frame; some PMDs (net_null) have no such mode.
    let _ = port.set_promiscuous(true);
    Ok(port)
}
