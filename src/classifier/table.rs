//! The management side of the megaflow table: the one writer. It inserts,
//! modifies and removes flows, keeps one subtable per mask, publishes the
//! ranked subtable list, and frees retired memory after grace periods.

use rustc_hash::FxHashMap;
use std::collections::BTreeMap;
use std::sync::Arc;

use super::error::{TableError, ENOSPC};
use super::flow::{Flow, FlowId, FlowStats, Ufid};
use super::ranked::Ranked;
use super::reader::{ClassifierReader, ReaderCounters, Shared};
use super::subtable::Subtable;
use crate::dpdk::{Eal, RcuCell, RcuDomain, RcuSlots};
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
    flows: BTreeMap<FlowId, Arc<Flow>>,
    ufids: FxHashMap<Ufid, FlowId>,
    /// Flow slot indices not in use, the next one last.
    free_slots: Vec<u32>,
    next_id: u64,
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
        let shared = Arc::new(Shared {
            ranked: RcuCell::new(Ranked::empty(), &domain),
            flows: RcuSlots::new(config.max_flows, &domain),
            counters: (0..config.max_readers)
                .map(|_| ReaderCounters::default())
                .collect(),
        });
        Ok(FlowTable {
            shared,
            masks: FxHashMap::default(),
            order: Vec::new(),
            flows: BTreeMap::new(),
            ufids: FxHashMap::default(),
            free_slots: (0..u32::try_from(config.max_flows).unwrap_or(u32::MAX))
                .rev()
                .collect(),
            next_id: 1,
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
        self.flows.len()
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
        if let Some(id) = ufid.as_ref().and_then(|u| self.ufids.get(u)) {
            return Err(TableError::UfidInUse(*id));
        }
        if let Some(existing) = self.lookup_exact(m) {
            return Err(TableError::Exists(existing.id()));
        }
        let full = TableError::Full {
            limit: self.config.max_flows,
        };
        let slot = if self.flows.len() < self.config.max_flows {
            self.free_slots.pop()
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
        let id = FlowId(self.next_id);
        let flow = Arc::new(Flow::new(
            id,
            slot,
            m.key,
            m.mask,
            ufid,
            actions,
            self.config.max_readers,
            &self.domain,
        ));
        let created = !self.masks.contains_key(&m.mask);
        if created {
            let subtable = Subtable::create(
                &self.eal,
                m.mask,
                self.config.initial_subtable_capacity,
                self.config.max_readers,
                &self.domain,
            )
            .inspect_err(|_| self.free_slots.push(slot))?;
            self.masks.insert(
                m.mask,
                MaskEntry {
                    subtable: Arc::new(subtable),
                    flows: 0,
                    hits_at_rank: 0,
                },
            );
        }
        if let Err(err) = self.add_to_subtable(&flow) {
            if created {
                self.masks.remove(&m.mask);
            }
            self.free_slots.push(slot);
            return Err(err);
        }
        // Caches learn the slot from subtable hits, so it is filled only
        // once the flow can be found there.
        // (It cannot be out of range: there are max_flows slots.)
        let _ = self
            .shared
            .flows
            .set(slot as usize, Arc::clone(&flow), &self.domain);
        self.next_id += 1;
        if let Some(entry) = self.masks.get_mut(&m.mask) {
            entry.flows += 1;
        }
        if let Some(u) = ufid {
            self.ufids.insert(u, id);
        }
        self.flows.insert(id, flow);
        self.occupancy.peak = self.occupancy.peak.max(self.flows.len());
        if created {
            self.order.push(m.mask);
            self.publish();
        }
        Ok(id)
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
                Err(err) if err.errno() == Some(ENOSPC) => self.grow(&flow.mask())?,
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
        for flow in self.flows.values().filter(|f| f.mask() == *mask) {
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
        let flow = self.flows.get(&id).cloned().ok_or(TableError::NotFound)?;
        let mask = flow.mask();
        let subtable = self
            .masks
            .get(&mask)
            .map(|e| Arc::clone(&e.subtable))
            .ok_or(TableError::NotFound)?;
        // Caches stop answering with the flow before the subtable stops
        // finding it: the slot empties first (a cache hit checks the slot).
        let slot = flow.cache_slot();
        self.shared.flows.clear(slot as usize, &self.domain);
        if let Err(err) = subtable.remove(&flow, &mut self.domain) {
            let _ = self
                .shared
                .flows
                .set(slot as usize, Arc::clone(&flow), &self.domain);
            return Err(err.into());
        }
        self.free_slots.push(slot);
        self.flows.remove(&id);
        if let Some(u) = flow.ufid() {
            self.ufids.remove(u);
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
        let ids: Vec<FlowId> = self.flows.keys().copied().collect();
        for id in ids {
            self.remove(id)?;
        }
        Ok(())
    }

    /// Replaces a flow's actions: readers see the old list or the new one,
    /// never a mix; the old list is freed after a grace period.
    pub fn set_actions(&mut self, id: FlowId, actions: Vec<Action>) -> Result<(), TableError> {
        let flow = self.flows.get(&id).ok_or(TableError::NotFound)?;
        flow.replace_actions(actions, &self.domain);
        self.reclaim();
        Ok(())
    }

    /// Zeroes a flow's counters (`OVS_FLOW_ATTR_CLEAR`).
    pub fn clear_stats(&mut self, id: FlowId) -> Result<(), TableError> {
        self.flows
            .get(&id)
            .ok_or(TableError::NotFound)?
            .clear_stats();
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
        let id = self.ufids.get(&Ufid::new(ufid)?)?;
        self.flow(*id)
    }

    pub fn flow(&self, id: FlowId) -> Option<&Flow> {
        self.flows.get(&id).map(|f| &**f)
    }

    /// Every flow, in insertion order (for dumps).
    pub fn flows(&self) -> impl Iterator<Item = &Flow> + '_ {
        self.flows.values().map(|f| &**f)
    }

    /// The flows inserted after `after` (all when None), in insertion
    /// order: a dump resumes here, so a flow that lives through the whole
    /// dump is listed exactly once however the table changes meanwhile.
    pub fn flows_after(&self, after: Option<FlowId>) -> impl Iterator<Item = &Flow> + '_ {
        use std::ops::Bound::{Excluded, Unbounded};
        let start = after.map_or(Unbounded, Excluded);
        self.flows.range((start, Unbounded)).map(|(_, f)| &**f)
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
    pub fn reclaim(&mut self) -> usize {
        self.domain.reclaim()
    }

    /// Gives back the spare room of the writer's indexes after the table
    /// shrank: a map that held a million UFIDs keeps its buckets through
    /// a flush otherwise.
    pub fn shrink_indexes(&mut self) {
        if self.ufids.len() * 4 < self.ufids.capacity() {
            self.ufids.shrink_to_fit();
        }
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
            flows: self.flows.len() as u64,
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
            .field("flows", &self.flows.len())
            .field("masks", &self.masks.len())
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}
