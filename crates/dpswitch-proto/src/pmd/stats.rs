//! Per-lcore forwarding counters. Each block has exactly one writer (its
//! lcore), which updates it with plain load + store: no locked
//! read-modify-write, and cache lines of its own so writers never share
//! a line. The management lcore sums the blocks when asked; clearing is a
//! baseline it keeps and subtracts, so the PMD stays the only writer.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// Declares the counter block, its point-in-time copy, the PMD's
/// single-writer increments and the field-wise sum and difference, from
/// one list of fields.
macro_rules! pmd_counters {
    ($($(#[doc = $doc:literal])* $name:ident),* $(,)?) => {
        #[derive(Debug, Default)]
        #[repr(align(64))]
        pub struct PmdStats {
            $($(#[doc = $doc])* $name: AtomicU64,)*
        }

        /// A point-in-time copy of one or more lcores' counters.
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
        pub struct PmdCounters {
            $($(#[doc = $doc])* pub $name: u64,)*
            /// Packets of `hit` the lcores' flow caches answered (kept by
            /// the classifier's readers; filled in by whoever sums the
            /// counters).
            pub cache_hit: u64,
        }

        impl PmdStats {
            $(
                #[inline(always)]
                pub fn $name(&self, n: u64) {
                    bump(&self.$name, n);
                }
            )*

            pub fn read(&self) -> PmdCounters {
                PmdCounters {
                    $($name: self.$name.load(Relaxed),)*
                    cache_hit: 0,
                }
            }
        }

        impl PmdCounters {
            /// Every counter's name, in wire order (`DPSWITCH_PMD_COUNTERS`).
            pub const NAMES: &'static [&'static str] = &[$(stringify!($name),)* "cache_hit"];

            /// Every counter, in [`PmdCounters::NAMES`] order.
            pub fn values(&self) -> Vec<u64> {
                vec![$(self.$name,)* self.cache_hit]
            }

            /// Counters from values in [`PmdCounters::NAMES`] order; missing
            /// ones are 0.
            pub fn from_values(values: &[u64]) -> PmdCounters {
                let mut v = values.iter().copied();
                PmdCounters {
                    $($name: v.next().unwrap_or(0),)*
                    cache_hit: v.next().unwrap_or(0),
                }
            }

            /// Field-wise `f(self, o)`.
            fn zip_with(self, o: PmdCounters, f: fn(u64, u64) -> u64) -> PmdCounters {
                PmdCounters {
                    $($name: f(self.$name, o.$name),)*
                    cache_hit: f(self.cache_hit, o.cache_hit),
                }
            }
        }
    };
}

impl std::ops::Add for PmdCounters {
    type Output = PmdCounters;
    fn add(self, o: PmdCounters) -> PmdCounters {
        self.zip_with(o, u64::wrapping_add)
    }
}

impl std::ops::Sub for PmdCounters {
    type Output = PmdCounters;
    /// What was counted since `o` (a baseline read earlier).
    fn sub(self, o: PmdCounters) -> PmdCounters {
        self.zip_with(o, u64::wrapping_sub)
    }
}

pmd_counters! {
    /// Packets received from the lcore's rx queues.
    rx_packets,
    /// Packets that matched a flow.
    hit,
    /// Packets that matched no flow.
    missed,
    /// Packets dropped on output (tx queue full, port gone).
    lost,
    /// Subtables probed, summed over packets (the kernel's n_mask_hit).
    mask_hit,
    /// TSC cycles of the loop iterations that received packets: receive,
    /// classify, execute and transmit.
    busy_cycles,
    /// TSC cycles of the iterations that received nothing, sleep left out.
    idle_cycles,
    /// Loop iterations, and those of them that received packets.
    iterations,
    busy_iterations,
    /// Iterations that ended in a sleep, and the TSC cycles slept.
    sleep_iterations,
    sleep_cycles,
    /// Packets handed up to the management lcore (misses and `userspace`
    /// actions), and the TSC cycles the PMD spent handing them over.
    upcalls,
    upcall_cycles,
    /// Upcalls dropped (no handler, over the rate, queue full; also in
    /// `lost`).
    upcalls_lost,
    /// Packets given to the drivers' tx bursts, and the bursts.
    tx_packets,
    tx_batches,
    /// While stage timing is on (`dpctl pmd-stage-cycles on`): packets
    /// received, and the TSC cycles of polling the rx queues, extracting
    /// keys, classifying, grouping and executing actions, transmitting.
    stage_packets,
    stage_rx_cycles,
    stage_extract_cycles,
    stage_classify_cycles,
    stage_action_cycles,
    stage_tx_cycles,
}

impl PmdCounters {
    /// TSC cycles spent per received packet; None before any packet.
    pub fn cycles_per_packet(&self) -> Option<f64> {
        (self.rx_packets != 0).then(|| self.busy_cycles as f64 / self.rx_packets as f64)
    }
}

/// Adds `n` to a counter that only the calling lcore writes.
#[inline(always)]
fn bump(c: &AtomicU64, n: u64) {
    c.store(c.load(Relaxed).wrapping_add(n), Relaxed);
}

/// One rx queue's share of its PMD's work: packets and the TSC cycles of
/// the bursts that brought them (written by the polling PMD only).
#[derive(Debug, Default)]
pub struct RxqStats {
    packets: AtomicU64,
    cycles: AtomicU64,
}

impl RxqStats {
    #[inline(always)]
    pub fn burst(&self, packets: u64, cycles: u64) {
        bump(&self.packets, packets);
        bump(&self.cycles, cycles);
    }

    /// (packets, cycles) so far.
    pub fn read(&self) -> (u64, u64) {
        (self.packets.load(Relaxed), self.cycles.load(Relaxed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_add_up_and_sum_across_lcores() {
        let a = PmdStats::default();
        let b = PmdStats::default();
        a.rx_packets(32);
        a.missed(30);
        b.rx_packets(5);
        assert_eq!(a.read().cycles_per_packet(), Some(0.0));
        a.busy_cycles(3700);
        b.busy_cycles(370);
        let total = a.read() + b.read();
        assert_eq!(total.rx_packets, 37);
        assert_eq!(total.missed, 30);
        assert_eq!(total.busy_cycles, 4070);
        assert_eq!(total.cycles_per_packet(), Some(110.0));
        assert_eq!(PmdCounters::default().cycles_per_packet(), None);
        assert_eq!(std::mem::align_of::<PmdStats>(), 64);
    }

    #[test]
    fn a_baseline_subtracts_to_what_came_after_it() {
        let s = PmdStats::default();
        s.tx_packets(100);
        s.tx_batches(4);
        let baseline = s.read();
        s.tx_packets(64);
        s.tx_batches(2);
        let since = s.read() - baseline;
        assert_eq!((since.tx_packets, since.tx_batches), (64, 2));
        assert_eq!(since.rx_packets, 0);
    }

    #[test]
    fn counters_go_through_values_and_back_in_wire_order() {
        let s = PmdStats::default();
        s.rx_packets(7);
        s.tx_batches(3);
        let mut c = s.read();
        c.cache_hit = 5;
        assert_eq!(PmdCounters::from_values(&c.values()), c);
        assert_eq!(PmdCounters::NAMES.len(), c.values().len());
        assert_eq!(
            PmdCounters::NAMES,
            crate::consts::DPSWITCH_PMD_COUNTER_NAMES
        );
    }

    #[test]
    fn rx_queue_stats_accumulate() {
        let q = RxqStats::default();
        q.burst(32, 3200);
        q.burst(1, 150);
        assert_eq!(q.read(), (33, 3350));
    }
}
