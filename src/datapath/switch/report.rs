//! What the switch counts and reports: the PMDs' and the management
//! lcore's counters, lost upcalls by port and reason, memory, port
//! statistics, and the report it leaves when it shuts down.

use super::*;

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
    /// Upcalls lost by port number and reason (`LossReason` order).
    pub upcall_losses: Vec<(u32, [u64; REASONS])>,
    pub mbufs_in_use: u32,
    pub mbufs_total: u32,
}

impl Switch {
    /// mbufs out of the packet pool now (in rings, bursts, queues).
    pub fn mbufs_in_use(&self) -> u32 {
        self.pool.in_use_count()
    }

    /// Bytes allocated from DPDK's heaps and from the process heap.
    pub fn heap_bytes(&self) -> (u64, u64) {
        (dpdk::dpdk_heap_bytes(&self.eal), dpdk::process_heap_bytes())
    }

    pub fn flow_count(&self) -> usize {
        self.table.flow_count()
    }

    /// The PMDs' counters, with the management lcore's losses in `lost`.
    pub fn counters(&self) -> PmdCounters {
        let mut total = self
            .pmds
            .iter()
            .fold(PmdCounters::default(), |acc, h| acc + h.stats.read());
        total.lost += self.mgmt_lost;
        total.cache_hit = self.table.datapath_stats().cache_hit;
        total
    }

    /// Masks (subtables) in the flow table.
    pub fn mask_count(&self) -> usize {
        self.table.mask_count()
    }

    /// Counts packets the management lcore could not deliver.
    pub fn count_lost(&mut self, n: u64) {
        self.mgmt_lost += n;
    }

    /// Counts an upcall from port `in_port` the management lcore could
    /// not deliver, and why.
    pub fn count_upcall_lost(&mut self, in_port: u32, reason: LossReason) {
        self.mgmt_lost += 1;
        if let Some(i) = self.index.index(in_port) {
            self.mgmt_losses.count(i, reason);
        }
    }

    /// Upcalls lost, by port number and reason (`LossReason` order).
    pub fn upcall_losses(&self) -> Vec<(u32, [u64; REASONS])> {
        losses_by_port(&self.slots, &self.pmd_losses, &self.mgmt_losses)
    }

    /// Every port with its counters, in port-number order.
    pub fn port_stats(&self) -> Vec<(PortPlan, PortStats)> {
        let mut all: Vec<_> = self
            .slots
            .iter()
            .flatten()
            .map(|s| (s.plan.clone(), s.port.stats().unwrap_or_default()))
            .collect();
        all.sort_by_key(|(p, _)| p.number);
        all
    }

    /// Stops the PMDs, takes their queues back, reads the counters, stops
    /// and closes the ports, and counts the mbufs still out of the pool.
    pub fn shutdown(self) -> Result<Report, SwitchError> {
        self.stop.store(true, Ordering::Relaxed);
        let mut pmd = PmdCounters::default();
        let mut failed = Vec::new();
        for handle in self.pmds {
            if let Some(job) = handle.job {
                match job.join() {
                    Ok(returned) => drop(returned), // its queue handles go back to the ports
                    Err(_) => failed.push(handle.lcore),
                }
            }
            drop(handle.idle);
            pmd = pmd + handle.stats.read();
        }
        if !failed.is_empty() {
            return Err(SwitchError::PmdPanicked(failed));
        }
        // The management lcore's losses belong in the totals, as in
        // `counters`; packets still on their way up go back to the pool,
        // lost too: no handler got them.
        pmd.lost += self.mgmt_lost;
        pmd.cache_hit = self.table.datapath_stats().cache_hit;
        let mut upcalls = self.upcalls;
        let (index, mgmt_losses) = (&self.index, &self.mgmt_losses);
        for receiver in upcalls.iter_mut() {
            pmd.lost += receiver.drain(usize::MAX, |u| {
                if let Some(i) = index.index(u.in_port) {
                    mgmt_losses.count(i, LossReason::Unread);
                }
                drop(u.packet.take())
            }) as u64;
        }
        drop(upcalls);
        let upcall_losses = losses_by_port(&self.slots, &self.pmd_losses, &self.mgmt_losses);
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
        let mut slots: Vec<PortSlot> = self.slots.into_iter().flatten().collect();
        slots.sort_by_key(|s| s.plan.number);
        let mut ports = Vec::with_capacity(slots.len());
        for slot in slots {
            // Packets the management lcore queued and no PMD sent go back.
            drop(slot.inject);
            let (plan, port) = (slot.plan, slot.port);
            let stats = port.stats().unwrap_or_default();
            port.stop()
                .map_err(SwitchError::dpdk(format!("stop {}", plan.name)))?;
            port.close()
                .map_err(SwitchError::dpdk(format!("close {}", plan.name)))?;
            ports.push((plan, stats));
        }
        Ok(Report {
            ports,
            pmd,
            flows,
            masks,
            upcall_losses,
            mbufs_in_use: self.pool.in_use_count(),
            mbufs_total: self.pool.capacity(),
        })
    }
}

/// The losses of every port in `slots`, summed over `pmd` and `mgmt`.
fn losses_by_port(
    slots: &[Option<PortSlot>],
    pmd: &[Arc<UpcallLosses>],
    mgmt: &UpcallLosses,
) -> Vec<(u32, [u64; REASONS])> {
    let mut all: Vec<_> = slots
        .iter()
        .enumerate()
        .filter_map(|(i, slot)| {
            let mut sum = mgmt.read(i);
            for losses in pmd {
                for (total, n) in sum.iter_mut().zip(losses.read(i)) {
                    *total += n;
                }
            }
            Some((slot.as_ref()?.plan.number, sum))
        })
        .collect();
    all.sort_by_key(|(number, _)| *number);
    all
}
