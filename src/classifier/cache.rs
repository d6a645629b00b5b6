//! The per-lcore exact-match flow cache in front of the subtables: a
//! packet key's hash leads to the flow-slot index where the flow that key
//! last matched lives. Entries are 8 bytes (hash, slot index), eight to a
//! bucket of one cache line, so 256k entries take 2 MiB. Eight ways keep
//! a working set of half the entries almost whole (with four, one flow in
//! seven of 64k shared an overfull bucket and missed every round).
//!
//! An entry holds no reference to a flow, only the index of a table-wide
//! RCU slot ([`RcuSlots`]): a hit loads the slot, which the writer empties
//! before it removes a flow, and checks that the flow found there still
//! covers the whole packet key. So a hit returns a flow that exists and
//! matches the packet: the flow the subtable search would return, since
//! megaflows do not overlap (if the control plane lets them overlap, the
//! subtable search itself answers by rank order, and a hit may name
//! another matching flow). Stale entries cost a miss, never a wrong
//! answer, and need no invalidation: deletes, reused slots and hash
//! collisions all fail the check. Action changes need none either: the
//! flow stays the same object.
//!
//! [`RcuSlots`]: crate::dpdk::RcuSlots

use super::ranked::MaskUnion;
use crate::dpdk::prefetch;
use crate::flow::key::FlowKey;

/// Entries per bucket.
const WAYS: usize = 8;
/// The slot index of an empty entry.
const EMPTY: u32 = u32::MAX;
/// Seed of the key hash; unlike the subtables' so the two do not correlate.
const HASH_SEED: u32 = 0x5bd1_e995;

#[derive(Clone, Copy)]
#[repr(C, align(64))]
struct Bucket {
    hashes: [u32; WAYS],
    slots: [u32; WAYS],
}

const EMPTY_BUCKET: Bucket = Bucket {
    hashes: [0; WAYS],
    slots: [EMPTY; WAYS],
};

pub(super) struct FlowCache {
    buckets: Box<[Bucket]>,
    /// buckets.len() - 1 (a power of two minus one).
    index_mask: u32,
    /// Which way the next insert into a full bucket evicts.
    victim: u32,
}

impl FlowCache {
    /// A cache of at least `entries` entries (rounded up to a power of
    /// two), allocated once; None for 0 entries (no cache).
    pub(super) fn new(entries: u32) -> Option<FlowCache> {
        if entries == 0 {
            return None;
        }
        let buckets = (entries as usize).div_ceil(WAYS).next_power_of_two();
        Some(FlowCache {
            buckets: vec![EMPTY_BUCKET; buckets].into_boxed_slice(),
            index_mask: (buckets - 1) as u32,
            victim: 0,
        })
    }

    pub(super) fn entries(&self) -> usize {
        self.buckets.len() * WAYS
    }

    /// The hash of a packet key: of the bits some mask of the table
    /// selects, so keys that classify alike share an entry.
    #[inline]
    pub(super) fn hash(key: &FlowKey, union: &MaskUnion) -> u32 {
        union.hash(key, HASH_SEED)
    }

    #[inline]
    fn bucket(&self, hash: u32) -> usize {
        (hash & self.index_mask) as usize
    }

    /// Starts loading the bucket of `hash`.
    #[inline(always)]
    pub(super) fn prefetch(&self, hash: u32) {
        if let Some(b) = self.buckets.get(self.bucket(hash)) {
            prefetch(b);
        }
    }

    /// The flow slot last recorded for `hash`, if any: a candidate the
    /// caller must verify.
    #[inline]
    pub(super) fn find(&self, hash: u32) -> Option<u32> {
        let b = self.buckets.get(self.bucket(hash))?;
        (0..WAYS)
            .find(|&w| b.hashes[w] == hash && b.slots[w] != EMPTY)
            .map(|w| b.slots[w])
    }

    /// Records that the key of `hash` matched the flow in `slot`: over
    /// the entry of the same hash, else an empty way, else a victim.
    #[inline]
    pub(super) fn insert(&mut self, hash: u32, slot: u32) {
        let index = self.bucket(hash);
        let victim = self.victim as usize % WAYS;
        let Some(b) = self.buckets.get_mut(index) else {
            return;
        };
        let way = (0..WAYS)
            .find(|&w| b.hashes[w] == hash)
            .or_else(|| (0..WAYS).find(|&w| b.slots[w] == EMPTY))
            .unwrap_or_else(|| {
                self.victim = self.victim.wrapping_add(1);
                victim
            });
        b.hashes[way] = hash;
        b.slots[way] = slot;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_round_up_and_zero_means_none() {
        assert!(FlowCache::new(0).is_none());
        assert_eq!(FlowCache::new(1).unwrap().entries(), 8);
        assert_eq!(FlowCache::new(200_000).unwrap().entries(), 262_144);
        assert_eq!(std::mem::size_of::<Bucket>(), 64);
    }

    #[test]
    fn entries_are_found_replaced_and_evicted_per_bucket() {
        let mut cache = FlowCache::new(16).unwrap(); // two buckets
        assert_eq!(cache.find(7), None);
        cache.insert(7, 70);
        assert_eq!(cache.find(7), Some(70));
        cache.insert(7, 71);
        assert_eq!(cache.find(7), Some(71), "same hash: replaced in place");
        // Bucket 0 holds even hashes; eight fit, a ninth evicts one.
        let even = [2, 4, 6, 8, 10, 12, 14, 16];
        for h in even {
            cache.insert(h, h * 10);
        }
        let held = even.iter().filter(|&&h| cache.find(h).is_some());
        assert_eq!(held.count(), 8);
        cache.insert(18, 180);
        assert_eq!(cache.find(18), Some(180));
        let held = even.iter().filter(|&&h| cache.find(h).is_some());
        assert_eq!(held.count(), 7);
        assert_eq!(cache.find(7), Some(71), "the other bucket is untouched");
    }
}
