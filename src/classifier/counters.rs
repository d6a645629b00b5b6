//! Per-lcore flow counters, kept by the table in one array per forwarding
//! lcore (a lane) indexed by flow slot, instead of a cache-line-aligned
//! slot per lcore in every flow: 32 bytes per flow and lcore, in arrays
//! that take resident memory only where packets were counted.
//!
//! Only lane `r`'s reader writes lane `r` (plain loads and stores, no
//! read-modify-write), and lanes are separate allocations padded at both
//! ends, so lcores never write the same cache line.
//!
//! A flow's counters carry its epoch (unique in the table: a new flow and
//! each clear get a fresh one): counters written under another epoch, by
//! an earlier flow of the slot or before a clear, read as zero, and the
//! lane's reader starts them over on its next record.

use std::sync::atomic::{AtomicU64, Ordering};

use super::flow::FlowStats;
use crate::dpdk::{zero_atomic_u64s, zeroed_atomic_u64s};

/// Counters per flow and lane: packets, bytes, used, epoch << 16 | TCP flags.
const FIELDS: usize = 4;
/// Words of padding at each end of a lane: one cache line.
const PAD: usize = 8;

pub(super) struct FlowCounters {
    lanes: Box<[Box<[AtomicU64]>]>,
}

impl FlowCounters {
    /// Counters for `slots` flows in each of `lanes` lanes, all zero.
    pub(super) fn new(lanes: u32, slots: usize) -> FlowCounters {
        let len = slots.saturating_mul(FIELDS).saturating_add(2 * PAD);
        FlowCounters {
            lanes: (0..lanes).map(|_| zeroed_atomic_u64s(len)).collect(),
        }
    }

    /// Zeroes every counter, handing the lanes' pages back to the kernel.
    /// Only while no reader can record (no flow in the table, and none
    /// removed within a grace period): a record racing with it may leave
    /// partial counts.
    pub(super) fn release(&self) {
        for lane in self.lanes.iter() {
            zero_atomic_u64s(lane);
        }
    }

    #[inline]
    fn entry(&self, lane: usize, slot: u32) -> Option<&[AtomicU64]> {
        let start = PAD + slot as usize * FIELDS;
        self.lanes.get(lane)?.get(start..start + FIELDS)
    }

    /// Adds a batch to flow `slot`'s counters in `lane`, under `epoch`.
    /// Only lane `lane`'s reader calls it.
    #[allow(clippy::too_many_arguments)]
    #[inline]
    pub(super) fn record(
        &self,
        lane: usize,
        slot: u32,
        epoch: u32,
        packets: u64,
        bytes: u64,
        tcp_flags: u16,
        now: u64,
    ) {
        let Some([p, b, used, tag]) = self.entry(lane, slot) else {
            return;
        };
        let old = tag.load(Ordering::Relaxed);
        let (old_packets, old_bytes, old_flags) = if old >> 16 == u64::from(epoch) {
            (
                p.load(Ordering::Relaxed),
                b.load(Ordering::Relaxed),
                old as u16,
            )
        } else {
            (0, 0, 0)
        };
        p.store(old_packets.wrapping_add(packets), Ordering::Relaxed);
        b.store(old_bytes.wrapping_add(bytes), Ordering::Relaxed);
        used.store(now, Ordering::Relaxed);
        tag.store(
            u64::from(epoch) << 16 | u64::from(old_flags | tcp_flags),
            Ordering::Release,
        );
    }

    /// The sum over the lanes of flow `slot`'s counters under `epoch`.
    pub(super) fn sum(&self, slot: u32, epoch: u32) -> FlowStats {
        let mut total = FlowStats::default();
        for lane in 0..self.lanes.len() {
            let Some([p, b, used, tag]) = self.entry(lane, slot) else {
                continue;
            };
            let tag = tag.load(Ordering::Acquire);
            if tag >> 16 != u64::from(epoch) {
                continue;
            }
            total.packets = total.packets.wrapping_add(p.load(Ordering::Relaxed));
            total.bytes = total.bytes.wrapping_add(b.load(Ordering::Relaxed));
            total.used = total.used.max(used.load(Ordering::Relaxed));
            total.tcp_flags |= tag as u16;
        }
        total
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epochs_separate_flows_of_one_slot() {
        let c = FlowCounters::new(2, 4);
        c.record(1, 3, 7, 2, 100, 0x02, 5);
        c.record(0, 3, 7, 1, 50, 0x10, 9);
        let s = c.sum(3, 7);
        assert_eq!((s.packets, s.bytes, s.used, s.tcp_flags), (3, 150, 9, 0x12));
        assert_eq!(c.sum(3, 8), FlowStats::default(), "another epoch");
        c.record(1, 3, 8, 1, 10, 0, 11);
        assert_eq!(c.sum(3, 8).packets, 1, "restarted from zero");
        assert_eq!(c.sum(3, 7).packets, 1, "lane 0 still holds epoch 7");
        c.record(1, 4, 1, 1, 1, 0, 1); // no such slot: ignored
        c.record(2, 0, 1, 1, 1, 0, 1); // no such lane: ignored
        assert_eq!(c.sum(0, 1), FlowStats::default());
    }
}
