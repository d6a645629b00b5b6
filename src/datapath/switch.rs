//! Bringing the datapath up and down: the packet pool, the ports and the
//! PMD lcores, in an order that never stops a port under a poller and
//! proves at the end that every mbuf came back.

use super::plan::{plan_lcores, plan_ports, LcorePlan, PortPlan};
use super::pmd::{Pmd, RxPoll, TxPort, MAX_BURST};
use super::ports::PortIndex;
use super::stats::{PmdCounters, PmdStats};
use crate::classifier::{FlowId, FlowStats, FlowTable, TableConfig, TableError};
use crate::config::Config;
use crate::dpdk::{
    self, tsc_cycles, tsc_hz, DpdkError, Eal, LcoreJob, Mempool, Port, PortStats,
    DEFAULT_DATA_ROOM, SOCKET_ID_ANY,
};
use crate::flow::matching::Match;
use crate::flow::odp::Action;
use crate::flow::{FlowKey, FlowMask};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Per-lcore mbuf cache of the packet pool.
const POOL_CACHE: u32 = 256;

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
        let tx_queues = u16::try_from(lcores.len()).map_err(|_| "too many lcores".to_string())?;

        let rings: u32 = plans
            .iter()
            .map(|p| (u32::from(p.rx_queues) + u32::from(tx_queues)) * u32::from(dp.queue_size))
            .sum();
        let needed = rings + lcores.len() as u32 * (MAX_BURST as u32 + POOL_CACHE) + POOL_CACHE;
        if dp.mempool_size < needed {
            return Err(format!(
                "datapath.mempool_size {} is too small: the ports' rings and the lcores' bursts and caches need {needed} mbufs",
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
        let stop = Arc::new(AtomicBool::new(false));
        Ok(Switch {
            pool,
            ports,
            index,
            table,
            pmds: Vec::new(),
            lcores,
            burst_size: usize::from(dp.burst_size),
            stop,
        })
    }

    /// Starts a PMD loop on every planned worker lcore.
    pub fn launch(&mut self, eal: &Eal) -> Result<(), String> {
        for (index, lcore) in std::mem::take(&mut self.lcores).iter().enumerate() {
            let pmd = self.pmd_for(lcore, index, self.burst_size)?;
            let stats = Arc::clone(&pmd.stats);
            let job = eal
                .launch(lcore.lcore, move || pmd.run())
                .map_err(dpdk_err(format!("launch lcore {}", lcore.lcore)))?;
            self.pmds.push((lcore.lcore, job, stats));
        }
        Ok(())
    }

    fn pmd_for(&self, plan: &LcorePlan, tx_index: usize, burst_size: usize) -> Result<Pmd, String> {
        let tx_queue = u16::try_from(tx_index).map_err(|_| "too many lcores".to_string())?;
        let mut rx = Vec::with_capacity(plan.rx.len());
        for &(port_index, queue) in &plan.rx {
            let (port_plan, port) = &self.ports[port_index];
            rx.push(RxPoll {
                queue: port
                    .rx_queue(queue)
                    .map_err(dpdk_err(format!("{} rx queue {queue}", port_plan.name)))?,
                port_number: port_plan.number,
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
        Ok(Pmd {
            lcore: plan.lcore,
            rx,
            tx,
            ports: Arc::clone(&self.index),
            classifier,
            burst_size,
            stats: Arc::new(PmdStats::default()),
            stop: Arc::clone(&self.stop),
        })
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

    pub fn counters(&self) -> PmdCounters {
        self.pmds
            .iter()
            .fold(PmdCounters::default(), |acc, (_, _, s)| acc + s.read())
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
        let now = tsc_cycles();
        let hz = tsc_hz().max(1) as f64;
        let flows = self
            .table
            .flows()
            .map(|f| {
                let stats = f.stats();
                FlowReport {
                    key: *f.masked_key(),
                    mask: *f.mask(),
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
