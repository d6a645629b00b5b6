//! The poll-mode loop of one worker lcore: burst-receive from its rx
//! queues and hand each burst to the datapath, until told to stop.
//!
//! The datapath has no flow table yet, so every packet is a miss: its key is
//! extracted (the work a lookup needs) and the packet is counted and freed.
//! Each PMD already owns one tx queue per port, so the output actions to
//! come transmit without sharing a queue between lcores.

use super::stats::PmdStats;
use crate::dpdk::{MbufBurst, RxQueue, TxQueue};
use crate::flow::{extract, FlowKey};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// The most packets one burst holds; the configured burst size may be less.
pub const MAX_BURST: usize = 64;

/// One rx queue a PMD polls, and the datapath number of its port.
pub struct RxPoll {
    pub queue: RxQueue,
    pub port_number: u32,
}

/// Everything a worker lcore owns while it forwards.
pub struct Pmd {
    pub lcore: u32,
    pub rx: Vec<RxPoll>,
    /// This lcore's own tx queue on every port, by port index.
    pub tx: Vec<TxQueue>,
    pub burst_size: usize,
    pub stats: Arc<PmdStats>,
    pub stop: Arc<AtomicBool>,
}

impl Pmd {
    /// Runs until `stop` is set; returns the queues so the caller can give
    /// them back before it stops the ports.
    pub fn run(mut self) -> Pmd {
        let burst_size = self.burst_size.clamp(1, MAX_BURST);
        let mut burst: MbufBurst<MAX_BURST> = MbufBurst::new();
        let mut keys = [FlowKey::default(); MAX_BURST];
        while !self.stop.load(Ordering::Relaxed) {
            self.stats.iteration();
            for rx in self.rx.iter_mut() {
                let n = rx.queue.rx_burst_max(&mut burst, burst_size);
                if n == 0 {
                    continue;
                }
                for (mbuf, key) in burst.iter().zip(keys.iter_mut()) {
                    extract(mbuf.data(), rx.port_number, key);
                }
                self.stats.received(n as u64);
                self.stats.missed(n as u64);
                burst.clear();
            }
        }
        self
    }
}
