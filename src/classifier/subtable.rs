//! A subtable: every flow with one mask, in one lock-free rte_hash keyed by
//! the compact masked key.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use crossbeam_utils::CachePadded;

use super::compact::{CompactKey, MaskLayout, COMPACT_MAX};
use super::flow::Flow;
use crate::dpdk::{DpdkError, Eal, HashParams, RcuDomain, RcuMap};
use crate::flow::key::FlowMask;

/// A counter written by one lcore only, on its own cache line.
#[derive(Default)]
pub(super) struct LcoreCounter(CachePadded<AtomicU64>);

impl LcoreCounter {
    /// Single-writer increment: a plain load and store, no atomic RMW.
    #[inline]
    pub(super) fn add(&self, n: u64) {
        self.0.store(
            self.0.load(Ordering::Relaxed).wrapping_add(n),
            Ordering::Relaxed,
        );
    }

    pub(super) fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

pub(super) struct Subtable {
    layout: MaskLayout,
    map: RcuMap<Flow>,
    capacity: u32,
    /// Packets that hit this subtable, per reader slot.
    hits: Box<[LcoreCounter]>,
}

/// Process-wide counter that makes rte_hash names unique.
static NEXT_NAME: AtomicU64 = AtomicU64::new(0);

impl Subtable {
    pub(super) fn create(
        eal: &Eal,
        mask: FlowMask,
        capacity: u32,
        readers: u32,
        domain: &RcuDomain,
    ) -> Result<Subtable, DpdkError> {
        let layout = MaskLayout::new(&mask);
        let name = format!("dpsw_mf{}", NEXT_NAME.fetch_add(1, Ordering::Relaxed));
        let params = HashParams::lock_free(&name, capacity.max(8), layout.key_len() as u32);
        Ok(Subtable {
            layout,
            map: RcuMap::create(eal, &params, domain)?,
            capacity: capacity.max(8),
            hits: (0..readers).map(|_| LcoreCounter::default()).collect(),
        })
    }

    pub(super) fn layout(&self) -> &MaskLayout {
        &self.layout
    }

    pub(super) fn map(&self) -> &RcuMap<Flow> {
        &self.map
    }

    pub(super) fn capacity(&self) -> u32 {
        self.capacity
    }

    /// Reader `slot` saw `n` packets hit here.
    #[inline]
    pub(super) fn count_hits(&self, slot: usize, n: u64) {
        if let Some(c) = self.hits.get(slot) {
            c.add(n);
        }
    }

    pub(super) fn total_hits(&self) -> u64 {
        self.hits.iter().map(LcoreCounter::get).sum()
    }

    /// The compact key and hash of a flow's masked key in this subtable.
    pub(super) fn key_of(&self, flow: &Flow) -> (CompactKey, u32) {
        let mut key = [0u8; COMPACT_MAX];
        let sig = self.layout.write(&flow.masked_key(), &mut key);
        (key, sig)
    }

    pub(super) fn insert(&self, flow: &Arc<Flow>, domain: &mut RcuDomain) -> Result<(), DpdkError> {
        let (key, sig) = self.key_of(flow);
        let len = self.layout.key_len();
        self.map.insert(&key[..len], sig, Arc::clone(flow), domain)
    }

    pub(super) fn remove(&self, flow: &Flow, domain: &mut RcuDomain) -> Result<bool, DpdkError> {
        let (key, sig) = self.key_of(flow);
        self.map.remove(&key[..self.layout.key_len()], sig, domain)
    }
}
