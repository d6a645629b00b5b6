//! The flows the learning switch installed, found by UFID and by every
//! MAC they name, so a MAC that moves or ages out takes its flows along.

use super::mac::Mac;
use super::megaflow::{Megaflow, Ufid};
use std::collections::{BTreeSet, HashMap};

#[derive(Debug, Default)]
pub struct FlowIndex {
    by_ufid: HashMap<Ufid, Megaflow>,
    /// For each MAC, the flows naming it as source or destination.
    by_mac: HashMap<Mac, BTreeSet<Ufid>>,
}

impl FlowIndex {
    /// Adds `flow`; false when a flow with its UFID is there already.
    pub fn insert(&mut self, flow: Megaflow) -> bool {
        let ufid = flow.ufid();
        if self.by_ufid.contains_key(&ufid) {
            return false;
        }
        self.by_ufid.insert(ufid, flow);
        for mac in [flow.src, flow.dst] {
            self.by_mac.entry(mac).or_default().insert(ufid);
        }
        true
    }

    pub fn get(&self, ufid: &Ufid) -> Option<&Megaflow> {
        self.by_ufid.get(ufid)
    }

    pub fn remove(&mut self, ufid: &Ufid) -> Option<Megaflow> {
        let flow = self.by_ufid.remove(ufid)?;
        for mac in [flow.src, flow.dst] {
            if let Some(set) = self.by_mac.get_mut(&mac) {
                set.remove(ufid);
                if set.is_empty() {
                    self.by_mac.remove(&mac);
                }
            }
        }
        Some(flow)
    }

    /// Removes and returns every flow naming `mac`, in UFID order.
    pub fn remove_mac(&mut self, mac: &Mac) -> Vec<Megaflow> {
        let ufids = self.by_mac.get(mac).cloned().unwrap_or_default();
        ufids.iter().filter_map(|ufid| self.remove(ufid)).collect()
    }

    pub fn len(&self) -> usize {
        self.by_ufid.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_ufid.is_empty()
    }

    /// Every flow, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = &Megaflow> {
        self.by_ufid.values()
    }
}
