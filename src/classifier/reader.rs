//! The PMD side: one reader per forwarding lcore classifies bursts of keys
//! without locks or allocation, and reports quiescence once per loop.
//! A key equal to its neighbour on every masked bit takes the neighbour's
//! answer; the others go first through the lcore's exact-match flow cache
//! (all hashed, then each stage prefetches what the next one reads), and
//! only its misses through the tuple-space search, which then teaches the
//! cache.

use std::cell::{Cell, RefCell};
use std::sync::Arc;

use super::cache::FlowCache;
use super::compact::{CompactKey, COMPACT_MAX};
use super::counters::FlowCounters;
use super::flow::Flow;
use super::ranked::{MaskUnion, Ranked};
use super::subtable::LcoreCounter;
use crate::dpdk::{RcuCell, RcuReader, RcuSlots, LOOKUP_BULK_MAX};
use crate::flow::extract::Depth;
use crate::flow::key::FlowKey;
use crate::flow::odp::Action;

/// What the management side and every reader share.
pub(super) struct Shared {
    /// Subtables in rank order and their masks' union; replaced whole,
    /// never edited in place.
    pub(super) ranked: RcuCell<Ranked>,
    /// Every flow in the table, at its `cache_slot`: what flow caches
    /// point into.
    pub(super) flows: RcuSlots<Flow>,
    /// Every flow's per-lcore counters, by slot.
    pub(super) flow_counters: Arc<FlowCounters>,
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
    /// Bursts left before keys are next compared with their predecessors.
    skip_dedupe: Cell<u32>,
}

/// Bursts classified without comparing neighbours after one where no key
/// equalled the one before it.
const DEDUPE_BACKOFF: u32 = 15;

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
            skip_dedupe: Cell::new(0),
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
    ///
    /// A key that agrees with the one before it on every bit some mask
    /// selects takes that key's answer without a lookup (the usual case
    /// when few masks look at few fields), and is counted as that key was:
    /// as a cache hit, or with as many subtables probed.
    pub fn classify_burst<'a>(&'a self, keys: &[FlowKey], out: &mut [Option<&'a Flow>]) -> u32 {
        self.classify_in(self.shared.ranked.read(&self.rcu), keys, out)
    }

    /// [`ClassifierReader::classify_burst`] for keys that `fill` writes
    /// first, told how deep the table's masks look into packets; filling
    /// and classifying see the same version of the table, so a shallow key
    /// never meets a deeper mask.
    #[inline]
    pub fn fill_and_classify<'a>(
        &'a self,
        keys: &mut [FlowKey],
        out: &mut [Option<&'a Flow>],
        fill: impl FnOnce(Depth, &mut [FlowKey]),
    ) -> u32 {
        let ranked = self.shared.ranked.read(&self.rcu);
        fill(ranked.depth, keys);
        self.classify_in(ranked, keys, out)
    }

    fn classify_in<'a>(
        &'a self,
        ranked: &'a Ranked,
        keys: &[FlowKey],
        out: &mut [Option<&'a Flow>],
    ) -> u32 {
        let n = keys.len().min(out.len());
        let (mut probes, mut cached, mut missed) = (0u32, 0u32, 0u32);
        // With one subtable the search is one probe, as cheap as a cache
        // lookup and exact: the cache would only add work.
        let cache_pays = ranked.subtables.len() > 1;
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
            let mut cost = [Cost::Cached; LOOKUP_BULK_MAX];
            let mut hashes = [0u32; LOOKUP_BULK_MAX];
            let leaders = self.leaders(&ranked.union, keys);
            let pending = match cache.as_deref() {
                Some(cache) => {
                    self.cache_stage(cache, &ranked.union, keys, out, &mut hashes, leaders)
                }
                None => leaders,
            };
            self.megaflow_stage(ranked, keys, out, pending, &mut cost);
            for i in bits(pending) {
                if let (Some(Some(flow)), Some(cache)) = (out.get(i), cache.as_deref_mut()) {
                    cache.insert(hashes[i], flow.cache_slot());
                }
            }
            // Each leader's answer and cost stand for its run of followers.
            let mut tally = |answer: Option<&Flow>, cost: Cost, run: u32| {
                match cost {
                    Cost::Cached => cached += run,
                    Cost::Probed(p) => probes += p * run,
                }
                missed += u32::from(answer.is_none()) * run;
            };
            if leaders == all_of(out.len()) {
                for (answer, cost) in out.iter().zip(cost) {
                    tally(*answer, cost, 1);
                }
            } else {
                for i in bits(leaders) {
                    let after = (leaders >> i >> 1).trailing_zeros();
                    let run = after.min((out.len() - i - 1) as u32) + 1;
                    let answer = out[i];
                    tally(answer, cost[i], run);
                    for o in out.iter_mut().skip(i + 1).take(run as usize - 1) {
                        *o = answer;
                    }
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

    /// The keys that differ from the one before them under `union` (bit
    /// i: keys[i]; the first always does): those that need a lookup. The
    /// comparison costs about a tenth of a lookup, so after a burst with
    /// no key to spare it is left out for the next few bursts.
    fn leaders(&self, union: &MaskUnion, keys: &[FlowKey]) -> u64 {
        let all = all_of(keys.len());
        let skip = self.skip_dedupe.get();
        if skip > 0 {
            self.skip_dedupe.set(skip - 1);
            return all;
        }
        let mut leaders = 1u64;
        for (i, pair) in keys.windows(2).enumerate() {
            if !union.same(&pair[0], &pair[1]) {
                leaders |= 1 << (i + 1);
            }
        }
        if leaders == all {
            self.skip_dedupe.set(DEDUPE_BACKOFF);
        }
        leaders
    }

    /// The flow cache's answers for up to [`LOOKUP_BULK_MAX`] keys, in
    /// stages over the whole burst so each one's loads were prefetched by
    /// the one before: hash every key and prefetch its bucket; read the
    /// buckets and prefetch the flow slots they name; load the flows and
    /// prefetch their masks and keys; keep each flow that covers its key.
    /// Only the keys of `wanted` (bit i: keys[i]) are looked up. Leaves
    /// their hashes in `hashes` and returns those still unmatched.
    fn cache_stage<'a>(
        &'a self,
        cache: &FlowCache,
        union: &MaskUnion,
        keys: &[FlowKey],
        out: &mut [Option<&'a Flow>],
        hashes: &mut [u32; LOOKUP_BULK_MAX],
        wanted: u64,
    ) -> u64 {
        let mut slots = [None; LOOKUP_BULK_MAX];
        let mut flows: [Option<&'a Flow>; LOOKUP_BULK_MAX] = [None; LOOKUP_BULK_MAX];
        let wanted = wanted & all_of(keys.len());
        for i in bits(wanted) {
            hashes[i] = FlowCache::hash(&keys[i], union);
            cache.prefetch(hashes[i]);
        }
        for i in bits(wanted) {
            slots[i] = cache.find(hashes[i]);
            if let Some(s) = slots[i] {
                self.shared.flows.prefetch(s as usize);
            }
        }
        for i in bits(wanted) {
            if let Some(s) = slots[i] {
                flows[i] = self.shared.flows.get(&self.rcu, s as usize);
                if let Some(f) = flows[i] {
                    f.prefetch_match();
                }
            }
        }
        let mut pending = wanted;
        for i in bits(wanted) {
            if let Some(f) = flows[i].filter(|f| f.covers(&keys[i])) {
                out[i] = Some(f);
                pending &= !(1u64 << i);
            }
        }
        pending
    }

    /// Tuple-space search over the subtables in rank order for the packets
    /// of `pending` (bit i: keys[i] unmatched), one bulk lookup per
    /// subtable; `cost[i]` becomes how many subtables key i probed.
    fn megaflow_stage<'a>(
        &'a self,
        ranked: &'a Ranked,
        keys: &[FlowKey],
        out: &mut [Option<&'a Flow>],
        mut pending: u64,
        cost: &mut [Cost; LOOKUP_BULK_MAX],
    ) {
        if pending == 0 {
            return;
        }
        let Ok(mut scratch) = self.scratch.try_borrow_mut() else {
            return;
        };
        let scratch = &mut **scratch;
        for i in bits(pending) {
            cost[i] = Cost::Probed(0);
        }
        for subtable in ranked.subtables.iter() {
            if pending == 0 {
                break;
            }
            let layout = subtable.layout();
            let mut m = 0;
            for i in bits(pending) {
                let Some(key) = keys.get(i) else { break };
                scratch.sigs[m] = layout.write(key, &mut scratch.keys[m]);
                scratch.index[m] = i as u8;
                if let Cost::Probed(p) = &mut cost[i] {
                    *p += 1;
                }
                m += 1;
            }
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
            if hits.0 != 0 {
                subtable.count_hits(self.slot, u64::from(hits.count()));
            }
        }
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
        self.shared.flow_counters.record(
            self.slot,
            flow.cache_slot(),
            flow.epoch(),
            packets,
            bytes,
            tcp_flags,
            now,
        );
    }

    /// Reports that this reader holds no flow, action list or subtable
    /// from earlier calls: memory retired before now may be freed. Call it
    /// once per loop.
    #[inline]
    pub fn quiescent(&mut self) {
        self.rcu.quiescent();
    }
}

/// How a key's answer was found.
#[derive(Clone, Copy)]
enum Cost {
    Cached,
    /// Subtables probed.
    Probed(u32),
}

/// The indexes of the set bits of `mask`, lowest first.
#[inline]
fn bits(mut mask: u64) -> impl Iterator<Item = usize> {
    std::iter::from_fn(move || {
        let i = mask.trailing_zeros() as usize;
        mask &= mask.wrapping_sub(1);
        (i < 64).then_some(i)
    })
}

fn all_of(n: usize) -> u64 {
    if n >= 64 {
        u64::MAX
    } else {
        (1u64 << n) - 1
    }
}
