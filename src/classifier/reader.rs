//! The PMD side: one reader per forwarding lcore classifies bursts of keys
//! without locks or allocation, and reports quiescence once per loop.

use std::cell::RefCell;
use std::sync::Arc;

use super::compact::{CompactKey, COMPACT_MAX};
use super::flow::Flow;
use super::subtable::{LcoreCounter, Subtable};
use crate::dpdk::{RcuCell, RcuReader, LOOKUP_BULK_MAX};
use crate::flow::key::FlowKey;
use crate::flow::odp::Action;

/// What the management side and every reader share.
pub(super) struct Shared {
    /// Subtables in rank order; replaced whole, never edited in place.
    pub(super) subtables: RcuCell<Box<[Arc<Subtable>]>>,
    pub(super) counters: Box<[ReaderCounters]>,
}

/// A reader's datapath counters, as the kernel keeps them per datapath.
#[derive(Default)]
pub(super) struct ReaderCounters {
    pub(super) hit: LcoreCounter,
    pub(super) missed: LcoreCounter,
    pub(super) mask_hit: LcoreCounter,
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
}

impl ClassifierReader {
    pub(super) fn new(shared: Arc<Shared>, mut rcu: RcuReader) -> ClassifierReader {
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
        }
    }

    /// The reader slot (RCU thread id and statistics slot).
    pub fn slot(&self) -> u32 {
        self.slot as u32
    }

    /// Finds the flow of each key: `out[i]` for `keys[i]` (None: a miss).
    /// Only `min(keys.len(), out.len())` keys are classified. Returns how
    /// many subtables were probed, summed over the packets (the kernel's
    /// n_mask_hit). The flows stay valid until the next `quiescent()`.
    pub fn classify_burst<'a>(&'a self, keys: &[FlowKey], out: &mut [Option<&'a Flow>]) -> u32 {
        let n = keys.len().min(out.len());
        let mut probes = 0;
        for (keys, out) in keys[..n]
            .chunks(LOOKUP_BULK_MAX)
            .zip(out[..n].chunks_mut(LOOKUP_BULK_MAX))
        {
            out.fill(None);
            probes += self.megaflow_stage(keys, out, all_of(keys.len()));
        }
        probes
    }

    /// Tuple-space search over the subtables in rank order for the packets
    /// of `pending` (bit i: keys[i] unmatched), one bulk lookup per
    /// subtable; a cache in front would pass only its misses here.
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
        let wanted = u64::from(pending.count_ones());
        let mut probes = 0u32;
        for subtable in subtables.iter() {
            if pending == 0 {
                break;
            }
            let layout = subtable.layout();
            let len = layout.key_len();
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
            let mut refs: [&[u8]; LOOKUP_BULK_MAX] = [&[]; LOOKUP_BULK_MAX];
            for (r, k) in refs.iter_mut().zip(scratch.keys.iter()).take(m) {
                *r = &k[..len];
            }
            let mut found: [Option<&'a Flow>; LOOKUP_BULK_MAX] = [None; LOOKUP_BULK_MAX];
            let Ok(hits) = subtable.map().lookup_bulk(
                &self.rcu,
                &refs[..m],
                &scratch.sigs[..m],
                &mut found[..m],
            ) else {
                continue;
            };
            if hits.0 == 0 {
                continue;
            }
            for (flow, &i) in found.iter().zip(scratch.index.iter()).take(m) {
                if let (Some(flow), Some(slot)) = (flow, out.get_mut(usize::from(i))) {
                    *slot = Some(*flow);
                    pending &= !(1u64 << i);
                }
            }
            subtable.count_hits(self.slot, u64::from(hits.count()));
        }
        let missed = u64::from(pending.count_ones());
        if let Some(c) = self.shared.counters.get(self.slot) {
            c.hit.add(wanted - missed);
            c.missed.add(missed);
            c.mask_hit.add(u64::from(probes));
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
