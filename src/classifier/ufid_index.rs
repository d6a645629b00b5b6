//! The writer's index of flows by UFID: the slots of the flows that have
//! one, hashed by UFID. It stores no UFID of its own (each flow holds
//! its UFID, and the slot array holds the flows), so an entry is 4 bytes
//! plus the table's overhead.

use hashbrown::HashTable;
use rustc_hash::FxBuildHasher;
use std::hash::BuildHasher;

use super::flow::{Flow, Ufid};
use crate::dpdk::{RcuDomain, RcuSlots};

#[derive(Default)]
pub(super) struct UfidIndex {
    slots: HashTable<u32>,
}

impl UfidIndex {
    /// The slot of the flow with UFID `ufid`.
    pub(super) fn find(
        &self,
        ufid: &Ufid,
        flows: &RcuSlots<Flow>,
        domain: &RcuDomain,
    ) -> Option<u32> {
        self.slots
            .find(hash(ufid), |&s| {
                flow_at(flows, domain, s).is_some_and(|f| f.ufid() == Some(ufid))
            })
            .copied()
    }

    /// Records that the flow with UFID `ufid` is in `slot` (no other flow
    /// of the index has that UFID).
    pub(super) fn insert(
        &mut self,
        ufid: &Ufid,
        slot: u32,
        flows: &RcuSlots<Flow>,
        domain: &RcuDomain,
    ) {
        self.slots
            .insert_unique(hash(ufid), slot, |&s| slot_hash(flows, domain, s));
    }

    /// Forgets the flow with UFID `ufid` in `slot`.
    pub(super) fn remove(&mut self, ufid: &Ufid, slot: u32) {
        if let Ok(entry) = self.slots.find_entry(hash(ufid), |&s| s == slot) {
            entry.remove();
        }
    }

    /// Gives back the spare room after the index shrank: one that held a
    /// million UFIDs keeps its buckets through a flush otherwise.
    pub(super) fn shrink(&mut self, flows: &RcuSlots<Flow>, domain: &RcuDomain) {
        if self.slots.len() * 4 < self.slots.capacity() {
            self.slots.shrink_to_fit(|&s| slot_hash(flows, domain, s));
        }
    }
}

fn hash(ufid: &Ufid) -> u64 {
    FxBuildHasher.hash_one(ufid)
}

fn flow_at<'a>(flows: &'a RcuSlots<Flow>, domain: &'a RcuDomain, slot: u32) -> Option<&'a Flow> {
    flows.get_for_writer(slot as usize, domain)
}

/// The UFID hash of the flow in `slot` (every slot the index holds has a
/// flow with a UFID).
fn slot_hash(flows: &RcuSlots<Flow>, domain: &RcuDomain, slot: u32) -> u64 {
    flow_at(flows, domain, slot)
        .and_then(Flow::ufid)
        .map_or(0, hash)
}
