//! The PMD side: one reader per forwarding lcore classifies bursts of keys
//! without locks or allocation, and reports quiescence once per loop.
//! A burst goes first through the lcore's exact-match flow cache (all keys
//! hashed, then each stage prefetches what the next one reads), and only
//! its misses through the tuple-space search, which then teaches the cache.

use std::cell::RefCell;
use std::sync::Arc;

use super::cache::FlowCache;
use super::compact::{CompactKey, COMPACT_MAX};
use super::flow::Flow;
use super::subtable::{LcoreCounter, Subtable};
use crate::dpdk::{RcuCell, RcuReader, RcuSlots, LOOKUP_BULK_MAX};
use crate::flow::key::FlowKey;
use crate::flow::odp::Action;

/// What the management side and every reader share.
pub(super) struct Shared {
    /// Subtables in rank order; replaced whole, never edited in place.
    pub(super) subtables: RcuCell<Box<[Arc<Subtable>]>>,
    /// Every flow in the table, at its `cache_slot`: what flow caches
    /// point into.
    pub(super) flows: RcuSlots<Flow>,
    pub(super) counters: Box<[ReaderCounters]>,
}

/// A reader's datapath counters, as the kernel keeps them per datapath.
#[derive(Default)]
pub(super) struct ReaderCounters {
    pub(super) hit: LcoreCounter,
    pub(super) missed: LcoreCounter,
    pub(super) mask_hit: LcoreCounter,
    pub(super) cache_hit: LcoreCounter,
}

/// Room for one bulk lookup's compact keys.
struct Scratch {
    keys: [CompactKey; LOOKUP_BULK_MAX],
    sigs: [u32; LOOKUP_BULK_MAX],
    index: [u8; LOOKUP_BULK_MAX],
}

/// One forwarding lcore's view of the flow table. Send, not shared: each
/// lcore has its own, registered under its reader slot.
pub struct ClassifierReader {
    shared: Arc<Shared>,
    rcu: RcuReader,
    slot: usize,
    scratch: RefCell<Box<Scratch>>,
    cache: Option<RefCell<FlowCache>>,
}

impl ClassifierReader {
    pub(super) fn new(
        shared: Arc<Shared>,
        mut rcu: RcuReader,
        cache_entries: u32,
    ) -> ClassifierReader {
        rcu.online();
        let slot = rcu.thread_id() as usize;
        ClassifierReader {
            shared,
            rcu,
            slot,
            scratch: RefCell::new(Box::new(Scratch {
                keys: [[0; COMPACT_MAX]; LOOKUP_BULK_MAX],
                sigs: [0; LOOKUP_BULK_MAX],
                index: [0; LOOKUP_BULK_MAX],
            })),
            cache: FlowCache::new(cache_entries).map(RefCell::new),
        }
    }

    /// The reader slot (RCU thread id and statistics slot).
    pub fn slot(&self) -> u32 {
        self.slot as u32
    }

    /// Entries of this reader's flow cache (0: it has none).
    pub fn cache_entries(&self) -> usize {
        self.cache.as_ref().map_or(0, |c| c.borrow().entries())
    }

    /// Finds the flow of each key: `out[i]` for `keys[i]` (None: a miss).
    /// Only `min(keys.len(), out.len())` keys are classified. Returns how
    /// many subtables were probed, summed over the packets (the kernel's
    /// n_mask_hit; a flow cache hit probes none). The flows stay valid
    /// until the next `quiescent()`.
    pub fn classify_burst<'a>(&'a self, keys: &[FlowKey], out: &mut [Option<&'a Flow>]) -> u32 {
        let n = keys.len().min(out.len());
        let (mut probes, mut cached, mut missed) = (0u32, 0u32, 0u32);
        // With one subtable the search is one probe, as cheap as a cache
        // lookup and exact: the cache would only add work.
        let cache_pays = self.shared.subtables.read(&self.rcu).len() > 1;
        let mut cache = self
            .cache
            .as_ref()
            .filter(|_| cache_pays)
            .and_then(|c| c.try_borrow_mut().ok());
        for (keys, out) in keys[..n]
            .chunks(LOOKUP_BULK_MAX)
            .zip(out[..n].chunks_mut(LOOKUP_BULK_MAX))
        {
            out.fill(None);
            let mut hashes = [0u32; LOOKUP_BULK_MAX];
            let all = all_of(keys.len());
            let pending = match cache.as_deref() {
                Some(cache) => self.cache_stage(cache, keys, out, &mut hashes),
                None => all,
            };
            cached += (all & !pending).count_ones();
            probes += self.megaflow_stage(keys, out, pending);
            let mut learned = pending;
            while learned != 0 {
                let i = learned.trailing_zeros() as usize;
                learned &= learned - 1;
                match (out.get(i).copied().flatten(), cache.as_deref_mut()) {
                    (Some(flow), Some(cache)) => cache.insert(hashes[i], flow.cache_slot()),
                    (Some(_), None) => {}
                    (None, _) => missed += 1,
                }
            }
        }
        if let Some(c) = self.shared.counters.get(self.slot) {
            c.hit.add(u64::from(n as u32 - missed));
            c.missed.add(u64::from(missed));
            c.mask_hit.add(u64::from(probes));
            c.cache_hit.add(u64::from(cached));
        }
        probes
    }

    /// The flow cache's answers for up to [`LOOKUP_BULK_MAX`] keys, in
    /// stages over the whole burst so each one's loads were prefetched by
    /// the one before: hash every key and prefetch its bucket; read the
    /// buckets and prefetch the flow slots they name; load the flows and
    /// prefetch their masks and keys; keep each flow that covers its key.
    /// Leaves every key's hash in `hashes` and returns the keys still
    /// unmatched (bit i: keys[i]).
    fn cache_stage<'a>(
        &'a self,
        cache: &FlowCache,
        keys: &[FlowKey],
        out: &mut [Option<&'a Flow>],
        hashes: &mut [u32; LOOKUP_BULK_MAX],
    ) -> u64 {
        for (hash, key) in hashes.iter_mut().zip(keys) {
            *hash = FlowCache::hash(key);
            cache.prefetch(*hash);
        }
        let mut slots = [None; LOOKUP_BULK_MAX];
        for (slot, hash) in slots.iter_mut().zip(hashes.iter()).take(keys.len()) {
            *slot = cache.find(*hash);
            if let Some(s) = *slot {
                self.shared.flows.prefetch(s as usize);
            }
        }
        let mut flows: [Option<&'a Flow>; LOOKUP_BULK_MAX] = [None; LOOKUP_BULK_MAX];
        for (flow, slot) in flows.iter_mut().zip(slots.iter()).take(keys.len()) {
            if let Some(s) = *slot {
                *flow = self.shared.flows.get(&self.rcu, s as usize);
                if let Some(f) = *flow {
                    f.prefetch_match();
                }
            }
        }
        let mut pending = all_of(keys.len());
        for (i, ((flow, key), out)) in flows.iter().zip(keys).zip(out.iter_mut()).enumerate() {
            if let Some(f) = *flow {
                if f.covers(key) {
                    *out = Some(f);
                    pending &= !(1u64 << i);
                }
            }
        }
        pending
    }

    /// Tuple-space search over the subtables in rank order for the packets
    /// of `pending` (bit i: keys[i] unmatched), one bulk lookup per
    /// subtable.
    fn megaflow_stage<'a>(
        &'a self,
        keys: &[FlowKey],
        out: &mut [Option<&'a Flow>],
        mut pending: u64,
    ) -> u32 {
        let Ok(mut scratch) = self.scratch.try_borrow_mut() else {
            return 0;
        };
        let scratch = &mut **scratch;
        let subtables = self.shared.subtables.read(&self.rcu);
        let mut probes = 0u32;
        for subtable in subtables.iter() {
            if pending == 0 {
                break;
            }
            let layout = subtable.layout();
            let mut m = 0;
            let mut bits = pending;
            while bits != 0 {
                let i = bits.trailing_zeros() as usize;
                bits &= bits - 1;
                let Some(key) = keys.get(i) else { break };
                scratch.sigs[m] = layout.write(key, &mut scratch.keys[m]);
                scratch.index[m] = i as u8;
                m += 1;
            }
            probes += m as u32;
            let Ok(hits) = subtable.map().lookup_rows(
                &self.rcu,
                &scratch.keys[..m],
                &scratch.sigs[..m],
                |j, flow| {
                    let i = usize::from(scratch.index[j]);
                    if let Some(slot) = out.get_mut(i) {
                        *slot = Some(flow);
                        pending &= !(1u64 << i);
                    }
                },
            ) else {
                continue;
            };
            if hits.0 == 0 {
                continue;
            }
            subtable.count_hits(self.slot, u64::from(hits.count()));
        }
        probes
    }

    /// A flow's actions as this reader sees them: one whole list, valid
    /// until the next `quiescent()`.
    #[inline]
    pub fn actions<'a>(&'a self, flow: &'a Flow) -> &'a [Action] {
        flow.actions_for_reader(&self.rcu)
    }

    /// Adds a batch of `packets` packets (`bytes` bytes, TCP flags ORed into
    /// `tcp_flags`) to `flow`'s counters in this reader's slot, last used
    /// at `now`.
    #[inline]
    pub fn record(&self, flow: &Flow, packets: u64, bytes: u64, tcp_flags: u16, now: u64) {
        flow.record(self.slot, packets, bytes, tcp_flags, now);
    }

    /// Reports that this reader holds no flow, action list or subtable
    /// from earlier calls: memory retired before now may be freed. Call it
    /// once per loop.
    #[inline]
    pub fn quiescent(&mut self) {
        self.rcu.quiescent();
    }
}

fn all_of(n: usize) -> u64 {
    if n >= 64 {
        u64::MAX
    } else {
        (1u64 << n) - 1
    }
}
