//! The management side of the megaflow table: the one writer. It inserts,
//! modifies and removes flows, keeps one subtable per mask, publishes the
//! ranked subtable list, and frees retired memory after grace periods.

use nix::errno::Errno;
use rustc_hash::FxHashMap;
use std::sync::Arc;

use super::counters::FlowCounters;
use super::error::TableError;
use super::flow::{Flow, FlowId, FlowStats, MaskShape, Ufid};
use super::ranked::Ranked;
use super::reader::{ClassifierReader, ReaderCounters, Shared};
use super::slots::SlotPool;
use super::subtable::Subtable;
use super::ufid_index::UfidIndex;
use crate::dpdk::{Eal, RcuCell, RcuDomain, RcuSlots, SharedList};
use crate::flow::key::{FlowKey, FlowMask};
use crate::flow::matching::Match;
use crate::flow::odp::Action;
use crate::log::{LogLevel, RateLog, FLOW};
use std::time::Duration;

/// Limits of a table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TableConfig {
    /// Inserts past this many flows fail with EFBIG.
    pub max_flows: usize,
    /// Reader slots (forwarding lcores), ids 0..max_readers.
    pub max_readers: u32,
    /// Entries a new subtable starts with; it grows fourfold when full.
    pub initial_subtable_capacity: u32,
    /// Entries of each reader's exact-match flow cache (rounded up to a
    /// power of two); 0: no cache, every packet searches the subtables.
    pub flow_cache_entries: u32,
}

impl Default for TableConfig {
    fn default() -> TableConfig {
        TableConfig {
            max_flows: 65536,
            max_readers: 8,
            initial_subtable_capacity: 1024,
            flow_cache_entries: 262_144,
        }
    }
}

/// Counters of the whole table, as `OVS_DP_ATTR_STATS` and
/// `OVS_DP_ATTR_MEGAFLOW_STATS` report them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DatapathStats {
    pub hit: u64,
    pub missed: u64,
    /// Subtables probed, summed over packets.
    pub mask_hit: u64,
    /// Packets of `hit` that the readers' flow caches answered.
    pub cache_hit: u64,
    pub flows: u64,
    pub masks: u32,
}

/// How full the table has been: the most flows it held at once and the
/// inserts its flow limit refused.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Occupancy {
    pub peak: usize,
    pub refused: u64,
}

struct MaskEntry {
    subtable: Arc<Subtable>,
    /// What the mask's flows share.
    shape: Arc<MaskShape>,
    flows: usize,
    /// Total hits when the list was last ranked.
    hits_at_rank: u64,
}

/// The megaflow table's single writer. Not shareable; readers come from
/// [`FlowTable::reader`].
pub struct FlowTable {
    shared: Arc<Shared>,
    // Keyed by whole masks and UFIDs: a word-at-a-time hash, not SipHash
    // (these maps are the writer's, hashed on every flow command).
    masks: FxHashMap<FlowMask, MaskEntry>,
    /// Masks in the published rank order.
    order: Vec<FlowMask>,
    /// The slots of the flows with a UFID, hashed by UFID (the flows
    /// themselves are in `shared.flows`, at their slots).
    ufids: UfidIndex,
    /// Flows in the table.
    live: usize,
    /// Which slots of `shared.flows` new flows may take.
    slots: SlotPool,
    /// Sequence number of the next insert (the low half of its FlowId).
    next_seq: u32,
    /// The next counter epoch to give out (0 is never given).
    next_epoch: u32,
    /// Action lists of one output, shared by every flow with the same one.
    outputs: FxHashMap<u32, SharedList<Action>>,
    config: TableConfig,
    occupancy: Occupancy,
    /// Inserts refused for the flow limit: the first one logged, then a
    /// count a second while they go on.
    full_log: RateLog,
    // Dropped after everything that retires into it.
    domain: RcuDomain,
    eal: Eal,
}

impl FlowTable {
    pub fn new(eal: &Eal, config: TableConfig) -> Result<FlowTable, TableError> {
        let domain = RcuDomain::new(config.max_readers.max(1))?;
        // Room past the limit for flows removed within one grace period,
        // whose slots are not reused until it ends.
        let slots = config
            .max_flows
            .saturating_add((config.max_flows / 8).max(64))
            .min(u32::MAX as usize);
        let shared = Arc::new(Shared {
            ranked: RcuCell::new(Ranked::empty(), &domain),
            flows: RcuSlots::new(slots, &domain),
            flow_counters: Arc::new(FlowCounters::new(config.max_readers, slots)),
            counters: (0..config.max_readers)
                .map(|_| ReaderCounters::default())
                .collect(),
        });
        Ok(FlowTable {
            shared,
            masks: FxHashMap::default(),
            order: Vec::new(),
            ufids: UfidIndex::default(),
            live: 0,
            slots: SlotPool::default(),
            next_seq: 1,
            next_epoch: 1,
            outputs: FxHashMap::default(),
            config,
            occupancy: Occupancy::default(),
            full_log: RateLog::new(1, Duration::from_secs(1), |n| {
                format!("flow limit still reached: {n} more new flow(s) refused with EFBIG")
            }),
            domain,
            eal: eal.clone(),
        })
    }

    pub fn config(&self) -> &TableConfig {
        &self.config
    }

    /// A reader for slot `slot` (one per forwarding lcore), online from the
    /// start: it must call `quiescent()` regularly or memory is never freed.
    pub fn reader(&self, slot: u32) -> Result<ClassifierReader, TableError> {
        let rcu = self
            .domain
            .rcu()
            .register(slot)
            .map_err(|err| TableError::BadReader {
                slot,
                reason: err.to_string(),
            })?;
        Ok(ClassifierReader::new(
            Arc::clone(&self.shared),
            rcu,
            self.config.flow_cache_entries,
        ))
    }

    pub fn flow_count(&self) -> usize {
        self.live
    }

    pub fn occupancy(&self) -> Occupancy {
        self.occupancy
    }

    pub fn mask_count(&self) -> usize {
        self.masks.len()
    }

    /// The masks in the order readers probe them.
    pub fn masks_in_rank_order(&self) -> &[FlowMask] {
        &self.order
    }

    /// Adds a flow. Fails, changing nothing, when a flow with the same mask
    /// and masked key or the same UFID exists, when the UFID is not 1 to 16
    /// bytes, or when the table is full (EFBIG).
    pub fn insert(
        &mut self,
        m: &Match,
        ufid: Option<&[u8]>,
        actions: Vec<Action>,
    ) -> Result<FlowId, TableError> {
        self.reclaim();
        let ufid = match ufid {
            None => None,
            Some(bytes) => Some(Ufid::new(bytes).ok_or(TableError::BadUfid(bytes.len()))?),
        };
        if let Some(flow) = ufid.as_ref().and_then(|u| self.find_ufid(u)) {
            return Err(TableError::UfidInUse(flow.id()));
        }
        if let Some(existing) = self.lookup_exact(m) {
            return Err(TableError::Exists(existing.id()));
        }
        let full = TableError::Full {
            limit: self.config.max_flows,
        };
        let slot = if self.live < self.config.max_flows {
            self.slots.take(self.shared.flows.len(), &self.domain)
        } else {
            None
        };
        let Some(slot) = slot else {
            self.occupancy.refused += 1;
            let limit = self.config.max_flows;
            self.full_log.log(&FLOW, LogLevel::Warning, || {
                format!(
                    "flow limit reached: the table holds {limit} flow(s) (datapath.flow_limit); new flows are refused with EFBIG"
                )
            });
            return Err(full);
        };
        let id = FlowId::new(self.next_seq, slot);
        let created = !self.masks.contains_key(&m.mask);
        if created {
            let subtable = Subtable::create(
                &self.eal,
                m.mask,
                self.config.initial_subtable_capacity,
                self.config.max_readers,
                &self.domain,
            )
            .inspect_err(|_| self.slots.give_back(slot))?;
            self.masks.insert(
                m.mask,
                MaskEntry {
                    subtable: Arc::new(subtable),
                    shape: Arc::new(MaskShape::new(
                        &m.mask,
                        Arc::clone(&self.shared.flow_counters),
                    )),
                    flows: 0,
                    hits_at_rank: 0,
                },
            );
        }
        let Some(shape) = self.masks.get(&m.mask).map(|e| Arc::clone(&e.shape)) else {
            self.slots.give_back(slot);
            return Err(TableError::NotFound);
        };
        let epoch = self.take_epoch();
        let actions = self.share_actions(actions);
        let flow = Arc::new(Flow::new(
            id,
            shape,
            m.key,
            ufid,
            actions,
            epoch,
            &self.domain,
        ));
        if let Err(err) = self.add_to_subtable(&flow) {
            if created {
                self.masks.remove(&m.mask);
            }
            self.slots.give_back(slot);
            return Err(err);
        }
        // Caches learn the slot from subtable hits, so it is filled only
        // once the flow can be found there.
        // (It cannot be out of range: there are max_flows slots.)
        let _ = self.shared.flows.set(slot as usize, flow, &self.domain);
        self.next_seq = self.next_seq.wrapping_add(1).max(1);
        if let Some(entry) = self.masks.get_mut(&m.mask) {
            entry.flows += 1;
        }
        if let Some(u) = ufid {
            self.ufids
                .insert(&u, slot, &self.shared.flows, &self.domain);
        }
        self.live += 1;
        self.occupancy.peak = self.occupancy.peak.max(self.live);
        if created {
            self.order.push(m.mask);
            self.publish();
        }
        Ok(id)
    }

    /// A counter epoch the table never gave out before.
    fn take_epoch(&mut self) -> u32 {
        let epoch = self.next_epoch;
        self.next_epoch = self.next_epoch.wrapping_add(1).max(1);
        epoch
    }

    /// `actions` as a shared list: a single output shares one list per
    /// port among all its flows.
    fn share_actions(&mut self, actions: Vec<Action>) -> SharedList<Action> {
        /// Ports whose output lists are kept for sharing.
        const SHARED_OUTPUTS: usize = 4096;
        let port = match actions.as_slice() {
            [Action::Output(port)] => *port,
            _ => return SharedList::new(actions),
        };
        if let Some(list) = self.outputs.get(&port) {
            return list.clone();
        }
        let list = SharedList::new(actions);
        if self.outputs.len() < SHARED_OUTPUTS {
            self.outputs.insert(port, list.clone());
        }
        list
    }

    /// The flow with UFID `ufid`.
    fn find_ufid(&self, ufid: &Ufid) -> Option<&Flow> {
        let slot = self.ufids.find(ufid, &self.shared.flows, &self.domain)?;
        self.flow_at(slot)
    }

    fn flow_at(&self, slot: u32) -> Option<&Flow> {
        self.shared
            .flows
            .get_for_writer(slot as usize, &self.domain)
    }

    /// Adds `flow` to its mask's subtable, growing the subtable when it
    /// has no room.
    fn add_to_subtable(&mut self, flow: &Arc<Flow>) -> Result<(), TableError> {
        loop {
            let subtable = match self.masks.get(&flow.mask()) {
                Some(entry) => Arc::clone(&entry.subtable),
                None => return Err(TableError::NotFound),
            };
            match subtable.insert(flow, &mut self.domain) {
                Ok(()) => return Ok(()),
                Err(err) if err.errno() == Some(Errno::ENOSPC) => self.grow(&flow.mask())?,
                Err(err) => return Err(err.into()),
            }
        }
    }

    /// Replaces the subtable of `mask` by one four times larger holding the
    /// same flows. Readers still on the old one find the same flows there
    /// until they quiesce.
    fn grow(&mut self, mask: &FlowMask) -> Result<(), TableError> {
        let old_capacity = self
            .masks
            .get(mask)
            .map(|e| e.subtable.capacity())
            .ok_or(TableError::NotFound)?;
        // Room for every flow plus as many deleted slots awaiting reuse.
        let ceiling = u32::try_from(self.config.max_flows.saturating_mul(2))
            .unwrap_or(u32::MAX)
            .max(self.config.initial_subtable_capacity)
            .saturating_mul(2);
        let capacity = old_capacity.saturating_mul(4);
        if old_capacity >= ceiling {
            return Err(TableError::NoSpace);
        }
        let grown = Subtable::create(
            &self.eal,
            *mask,
            capacity.min(ceiling),
            self.config.max_readers,
            &self.domain,
        )?;
        let shape = self
            .masks
            .get(mask)
            .map(|e| Arc::clone(&e.shape))
            .ok_or(TableError::NotFound)?;
        let members: Vec<Arc<Flow>> = (0..self.slots.used_end())
            .filter_map(|i| self.shared.flows.cloned_for_writer(i, &self.domain))
            .filter(|f| Arc::ptr_eq(f.shape(), &shape))
            .collect();
        for flow in &members {
            grown.insert(flow, &mut self.domain)?;
        }
        if let Some(entry) = self.masks.get_mut(mask) {
            entry.subtable = Arc::new(grown);
            entry.hits_at_rank = 0;
        }
        self.publish();
        Ok(())
    }

    /// Removes a flow and returns its final counters (packets of a burst
    /// being processed right now may still land after this).
    pub fn remove(&mut self, id: FlowId) -> Result<FlowStats, TableError> {
        self.remove_flow(id).map(|flow| flow.stats())
    }

    /// Removes a flow and hands it back: after [`FlowTable::synchronize`]
    /// no reader uses it any more and its counters are final.
    pub fn remove_flow(&mut self, id: FlowId) -> Result<Arc<Flow>, TableError> {
        let slot = id.slot();
        let flow = self
            .shared
            .flows
            .cloned_for_writer(slot as usize, &self.domain)
            .filter(|f| f.id() == id)
            .ok_or(TableError::NotFound)?;
        let mask = flow.mask();
        let subtable = self
            .masks
            .get(&mask)
            .map(|e| Arc::clone(&e.subtable))
            .ok_or(TableError::NotFound)?;
        // Caches stop answering with the flow before the subtable stops
        // finding it: the slot empties first (a cache hit checks the slot).
        self.shared.flows.clear(slot as usize, &self.domain);
        if let Err(err) = subtable.remove(&flow, &mut self.domain) {
            let _ = self
                .shared
                .flows
                .set(slot as usize, Arc::clone(&flow), &self.domain);
            return Err(err.into());
        }
        self.slots.retire(slot);
        self.live -= 1;
        if let Some(u) = flow.ufid() {
            self.ufids.remove(u, slot);
        }
        let last = match self.masks.get_mut(&mask) {
            Some(entry) => {
                entry.flows = entry.flows.saturating_sub(1);
                entry.flows == 0
            }
            None => false,
        };
        if last {
            self.masks.remove(&mask);
            self.order.retain(|m| *m != mask);
            self.publish();
        }
        drop(subtable);
        self.reclaim();
        Ok(flow)
    }

    /// Waits until every reader has passed a quiescent state: from then on
    /// no reader sees what was removed or replaced before the call.
    pub fn synchronize(&self) {
        self.domain.rcu().synchronize();
    }

    /// Removes every flow.
    pub fn flush(&mut self) -> Result<(), TableError> {
        let ids: Vec<FlowId> = self.flows().map(Flow::id).collect();
        for id in ids {
            self.remove(id)?;
        }
        Ok(())
    }

    /// Replaces a flow's actions: readers see the old list or the new one,
    /// never a mix; the old list is freed after a grace period.
    pub fn set_actions(&mut self, id: FlowId, actions: Vec<Action>) -> Result<(), TableError> {
        let actions = self.share_actions(actions);
        let flow = self.flow(id).ok_or(TableError::NotFound)?;
        flow.replace_actions(actions, &self.domain);
        self.reclaim();
        Ok(())
    }

    /// Zeroes a flow's counters (`OVS_FLOW_ATTR_CLEAR`).
    pub fn clear_stats(&mut self, id: FlowId) -> Result<(), TableError> {
        let epoch = self.take_epoch();
        self.flow(id)
            .ok_or(TableError::NotFound)?
            .clear_stats(epoch);
        Ok(())
    }

    /// The flow a packet with `key` would hit, searched the way readers
    /// search (subtables in rank order).
    pub fn lookup(&self, key: &FlowKey) -> Option<&Flow> {
        self.order.iter().find_map(|mask| self.find_in(mask, key))
    }

    /// The flow with the same mask and the same masked key as `m`.
    pub fn lookup_exact(&self, m: &Match) -> Option<&Flow> {
        self.find_in(&m.mask, &m.masked_key())
    }

    /// The key-identified flow (one without a UFID) whose unmasked key is
    /// `key`, and whose mask is `mask` when one is given, as the kernel's
    /// `ovs_flow_tbl_lookup_exact` finds it.
    pub fn lookup_by_key(&self, key: &FlowKey, mask: Option<&FlowMask>) -> Option<&Flow> {
        self.order
            .iter()
            .filter(|m| mask.is_none_or(|wanted| wanted == *m))
            .filter_map(|m| self.find_in(m, key))
            .find(|flow| flow.ufid().is_none() && flow.key() == *key)
    }

    pub fn lookup_ufid(&self, ufid: &[u8]) -> Option<&Flow> {
        self.find_ufid(&Ufid::new(ufid)?)
    }

    pub fn flow(&self, id: FlowId) -> Option<&Flow> {
        self.flow_at(id.slot()).filter(|f| f.id() == id)
    }

    /// Every flow, in slot order, which is id order (for dumps).
    pub fn flows(&self) -> impl Iterator<Item = &Flow> + '_ {
        self.flows_after(None)
    }

    /// The flows in slots after `after`'s (all when None), in slot order:
    /// a dump resumes here, so a flow that lives through the whole dump
    /// is listed exactly once however the table changes meanwhile (a flow
    /// keeps its slot for its lifetime).
    pub fn flows_after(&self, after: Option<FlowId>) -> impl Iterator<Item = &Flow> + '_ {
        let start = after.map_or(0, |id| id.slot() as usize + 1);
        (start..self.slots.used_end()).filter_map(move |i| self.flow_at(i as u32))
    }

    /// A flow's current actions.
    ///
    /// # Panics
    /// If `flow` belongs to another table.
    pub fn actions<'a>(&'a self, flow: &'a Flow) -> &'a [Action] {
        flow.actions_for_writer(&self.domain)
    }

    fn find_in(&self, mask: &FlowMask, key: &FlowKey) -> Option<&Flow> {
        let subtable = &self.masks.get(mask)?.subtable;
        let mut compact = [0u8; super::compact::COMPACT_MAX];
        let sig = subtable.layout().write(key, &mut compact);
        let len = subtable.layout().key_len();
        subtable
            .map()
            .get(&compact[..len], sig, &self.domain)
            .ok()
            .flatten()
    }

    /// Orders the subtables by hits since the last ranking, most first,
    /// and publishes the new order if it changed. Returns whether it did.
    pub fn rerank(&mut self) -> bool {
        let mut ranked: Vec<(u64, FlowMask)> = self
            .order
            .iter()
            .filter_map(|mask| {
                let entry = self.masks.get_mut(mask)?;
                let total = entry.subtable.total_hits();
                let recent = total.wrapping_sub(entry.hits_at_rank);
                entry.hits_at_rank = total;
                Some((recent, *mask))
            })
            .collect();
        ranked.sort_by_key(|(hits, _)| std::cmp::Reverse(*hits));
        let order: Vec<FlowMask> = ranked.into_iter().map(|(_, m)| m).collect();
        if order == self.order {
            return false;
        }
        self.order = order;
        self.publish();
        true
    }

    /// Says how many inserts the flow limit refused since its last line,
    /// once a second at most: call it regularly.
    pub fn flush_log(&mut self) {
        self.full_log.flush(&FLOW, LogLevel::Warning);
    }

    /// Frees retired objects whose grace period is over; returns how many.
    /// Slots emptied a grace period ago become free again.
    pub fn reclaim(&mut self) -> usize {
        self.slots.advance(&self.domain);
        if self.slots.restart_if_idle(self.live) {
            // Empty, and no reader holds a flow: give back the pages of the
            // slot array and counters the flows used.
            self.shared.flows.release_if_empty(&self.domain);
            self.shared.flow_counters.release();
        }
        self.domain.reclaim()
    }

    /// Gives back the spare room of the writer's indexes after the table
    /// shrank: a map that held a million UFIDs keeps its buckets through
    /// a flush otherwise.
    pub fn shrink_indexes(&mut self) {
        self.ufids.shrink(&self.shared.flows, &self.domain);
        self.slots.shrink();
        if self.masks.len() * 4 < self.masks.capacity() {
            self.masks.shrink_to_fit();
        }
        self.domain.shrink_to_fit();
    }

    /// Retired objects still waiting for readers to quiesce.
    pub fn pending_reclaim(&self) -> usize {
        self.domain.pending()
    }

    /// The table's counters, summed over the readers.
    pub fn datapath_stats(&self) -> DatapathStats {
        let mut stats = DatapathStats {
            flows: self.live as u64,
            masks: self.masks.len() as u32,
            ..DatapathStats::default()
        };
        for c in self.shared.counters.iter() {
            stats.hit += c.hit.get();
            stats.missed += c.missed.get();
            stats.mask_hit += c.mask_hit.get();
            stats.cache_hit += c.cache_hit.get();
        }
        stats
    }

    /// Packets reader `slot`'s flow cache answered (0 for a slot out of
    /// range).
    pub fn cache_hits(&self, slot: u32) -> u64 {
        self.shared
            .counters
            .get(slot as usize)
            .map_or(0, |c| c.cache_hit.get())
    }

    /// Publishes the subtables in `order` for readers; the previous list
    /// is retired.
    fn publish(&mut self) {
        let list: Box<[Arc<Subtable>]> = self
            .order
            .iter()
            .filter_map(|mask| self.masks.get(mask).map(|e| Arc::clone(&e.subtable)))
            .collect();
        let ranked = Ranked::new(list, &self.order);
        self.shared.ranked.replace(ranked, &self.domain);
    }
}

impl Drop for FlowTable {
    fn drop(&mut self) {
        // Deleting every entry lets each subtable release its flows through
        // the defer queue; the domain frees what readers may still hold.
        let _ = self.flush();
        self.order.clear();
        self.masks.clear();
        self.publish();
        self.reclaim();
    }
}

impl std::fmt::Debug for FlowTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FlowTable")
            .field("flows", &self.live)
            .field("masks", &self.masks.len())
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}
