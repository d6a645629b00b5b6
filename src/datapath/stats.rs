//! Per-lcore forwarding counters. Each block has exactly one writer (its
//! lcore), which updates it with plain load + store: no locked
//! read-modify-write, and one cache line per lcore so writers never share
//! a line. The management lcore sums the blocks when asked.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

#[derive(Debug, Default)]
#[repr(align(64))]
pub struct PmdStats {
    /// Packets received from the lcore's rx queues.
    rx_packets: AtomicU64,
    /// Packets that matched a flow.
    hit: AtomicU64,
    /// Packets that matched no flow.
    missed: AtomicU64,
    /// Packets dropped on output (tx queue full, port gone).
    lost: AtomicU64,
    /// Subtables probed, summed over packets (the kernel's n_mask_hit).
    mask_hit: AtomicU64,
    /// TSC cycles of the loop iterations that received packets: receive,
    /// classify, execute and transmit, idle polls left out.
    busy_cycles: AtomicU64,
}

/// A point-in-time copy of one or more lcores' counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PmdCounters {
    pub rx_packets: u64,
    pub hit: u64,
    pub missed: u64,
    pub lost: u64,
    pub mask_hit: u64,
    /// Packets of `hit` the lcores' flow caches answered (kept by the
    /// classifier's readers; filled in by whoever sums the counters).
    pub cache_hit: u64,
    pub busy_cycles: u64,
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

impl PmdStats {
    #[inline(always)]
    pub fn received(&self, n: u64) {
        bump(&self.rx_packets, n);
    }

    #[inline(always)]
    pub fn hit(&self, n: u64) {
        bump(&self.hit, n);
    }

    #[inline(always)]
    pub fn missed(&self, n: u64) {
        bump(&self.missed, n);
    }

    #[inline(always)]
    pub fn lost(&self, n: u64) {
        bump(&self.lost, n);
    }

    #[inline(always)]
    pub fn mask_hit(&self, n: u64) {
        bump(&self.mask_hit, n);
    }

    #[inline(always)]
    pub fn busy_cycles(&self, n: u64) {
        bump(&self.busy_cycles, n);
    }

    pub fn read(&self) -> PmdCounters {
        PmdCounters {
            rx_packets: self.rx_packets.load(Relaxed),
            hit: self.hit.load(Relaxed),
            missed: self.missed.load(Relaxed),
            lost: self.lost.load(Relaxed),
            mask_hit: self.mask_hit.load(Relaxed),
            cache_hit: 0,
            busy_cycles: self.busy_cycles.load(Relaxed),
        }
    }
}

impl std::ops::Add for PmdCounters {
    type Output = PmdCounters;
    fn add(self, o: PmdCounters) -> PmdCounters {
        PmdCounters {
            rx_packets: self.rx_packets + o.rx_packets,
            hit: self.hit + o.hit,
            missed: self.missed + o.missed,
            lost: self.lost + o.lost,
            mask_hit: self.mask_hit + o.mask_hit,
            cache_hit: self.cache_hit + o.cache_hit,
            busy_cycles: self.busy_cycles + o.busy_cycles,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_add_up_and_sum_across_lcores() {
        let a = PmdStats::default();
        let b = PmdStats::default();
        a.received(32);
        a.missed(30);
        b.received(5);
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
}
