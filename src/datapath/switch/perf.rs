//! What an operator reads of the PMDs and the table while the switch
//! runs: each PMD's counters and rx queues since they were last cleared
//! (`pmd-perf-show`, `pmd-rxq-show`, `pmd-stats-clear`), the idle sleep
//! limit (`pmd-sleep-set`), and how full the table is (`upcall-show`).
//!
//! Clearing never writes a PMD's counters (each has one writer, its
//! lcore): the management lcore keeps what they read at the clear and
//! subtracts it.

use super::*;
use dpswitch_proto::pmd::figures::*;

impl Switch {
    /// Every PMD's figures since the last clear.
    pub fn pmd_perf(&self) -> PerfReport {
        let pmds = self
            .pmds
            .iter()
            .zip(&self.upcalls)
            .map(|(h, upcalls)| PmdFigures {
                lcore: h.lcore,
                counters: self.pmd_counters(h) - h.baseline,
                upcall_queue: upcalls.waiting(),
                upcall_queue_size: self.upcall_queue,
                rxqs: h.rxqs.iter().map(|q| self.rxq_figures(q)).collect(),
            })
            .collect();
        PerfReport {
            tsc_hz: tsc_hz(),
            duration: self.perf_since.elapsed(),
            max_sleep_us: self.controls.max_sleep_us.load(Ordering::Relaxed),
            stage_cycles: self.controls.stage_cycles.load(Ordering::Relaxed),
            pmds,
        }
    }

    /// Each PMD lcore's counters since the switch opened (clearing aside),
    /// by lcore id in launch order. The management lcore's losses are in
    /// no lcore's.
    pub fn pmd_counters_by_lcore(&self) -> Vec<(u32, PmdCounters)> {
        self.pmds
            .iter()
            .map(|h| (h.lcore, self.pmd_counters(h)))
            .collect()
    }

    /// One PMD's counters now, with its own flow cache's hits.
    fn pmd_counters(&self, h: &PmdHandle) -> PmdCounters {
        let mut now = h.stats.read();
        now.cache_hit = self.table.cache_hits(h.reader_slot);
        now
    }

    fn rxq_figures(&self, q: &PolledQueue) -> RxqFigures {
        let (packets, cycles) = q.stats.read();
        let plan = self.slots.get(q.port_slot).and_then(|s| s.as_ref());
        RxqFigures {
            port_number: plan.map_or(0, |s| s.plan.number),
            port_name: plan.map_or_else(String::new, |s| s.plan.name.clone()),
            queue: q.queue,
            packets: packets.wrapping_sub(q.baseline.0),
            cycles: cycles.wrapping_sub(q.baseline.1),
        }
    }

    /// Starts every PMD's and rx queue's figures over from now.
    pub fn clear_pmd_stats(&mut self) {
        let now: Vec<PmdCounters> = self.pmds.iter().map(|h| self.pmd_counters(h)).collect();
        for (h, now) in self.pmds.iter_mut().zip(now) {
            h.baseline = now;
            for q in h.rxqs.iter_mut() {
                q.baseline = q.stats.read();
            }
        }
        self.perf_since = Instant::now();
    }

    /// Sets how long an idle PMD may sleep; PMDs take it at their next
    /// iteration. Fails, changing nothing, past [`MAX_SLEEP_US`].
    pub fn set_pmd_max_sleep(&self, us: u32) -> Result<(), String> {
        if us > MAX_SLEEP_US {
            return Err(format!(
                "pmd max sleep must be 0..={MAX_SLEEP_US} us, not {us}"
            ));
        }
        self.controls.max_sleep_us.store(us, Ordering::Relaxed);
        Ok(())
    }

    /// Turns the timing of every burst's stages on or off.
    pub fn set_stage_cycles(&self, on: bool) {
        self.controls.stage_cycles.store(on, Ordering::Relaxed);
    }

    pub fn upcall_figures(&self) -> UpcallFigures {
        let occupancy = self.table.occupancy();
        UpcallFigures {
            flows: FlowFigures {
                current: self.table.flow_count() as u64,
                average: self.flow_average,
                max: occupancy.peak as u64,
                limit: self.table.config().max_flows as u64,
                refused: occupancy.refused,
            },
            queues: self
                .pmds
                .iter()
                .zip(&self.upcalls)
                .map(|(h, u)| (h.lcore, u.waiting(), self.upcall_queue))
                .collect(),
        }
    }

    /// Once a second: the average moves halfway to the current count.
    pub(super) fn sample_flows(&mut self) {
        self.flow_average = average_flows(self.flow_average, self.table.flow_count() as u64);
    }
}

/// Halfway, rounded towards the current count so that the average
/// reaches a count that holds (OVS's integer halving stops one short).
fn average_flows(average: u64, current: u64) -> u64 {
    if current >= average {
        (average + current).div_ceil(2)
    } else {
        (average + current) / 2
    }
}

#[cfg(test)]
mod tests {
    use super::average_flows;

    #[test]
    fn the_average_reaches_a_count_that_holds() {
        let mut avg = 3;
        for _ in 0..3 {
            avg = average_flows(avg, 4);
        }
        assert_eq!(avg, 4);
        for _ in 0..3 {
            avg = average_flows(avg, 2);
        }
        assert_eq!(avg, 2);
    }

    #[test]
    fn the_average_follows_the_count_halfway_each_sample() {
        let mut avg = 0;
        let seen: Vec<u64> = [100, 100, 100, 0]
            .iter()
            .map(|&n| {
                avg = average_flows(avg, n);
                avg
            })
            .collect();
        assert_eq!(seen, [50, 75, 88, 44]);
    }
}
