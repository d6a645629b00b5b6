//! Which of the table's flow slots a new flow may take. A slot emptied
//! by a removal is not reused until a grace period has passed: a reader
//! may still hold the flow that was there and count its packets in the
//! slot's counters.

use crate::dpdk::{RcuDomain, RcuToken};

#[derive(Default)]
pub(super) struct SlotPool {
    /// Slots never used yet: `fresh..` up to the slot array's end. New
    /// flows take these first, so until the table has churned through
    /// them a flow added during a dump lands after its position and is
    /// listed too, as when flows were listed in insertion order.
    fresh: u32,
    /// Slots used before and free again, the next one last.
    free: Vec<u32>,
    /// Slots emptied before `cooling_token` started, free once its grace
    /// period is over.
    cooling: Vec<u32>,
    cooling_token: Option<RcuToken>,
    /// Slots emptied since, waiting for the next grace period.
    retiring: Vec<u32>,
}

impl SlotPool {
    /// The end of the slots used since the table was last empty: no slot
    /// from here on holds a flow.
    pub(super) fn used_end(&self) -> usize {
        self.fresh as usize
    }

    /// A free slot of an array of `len`: one never used, or emptied a
    /// grace period ago. Waits for readers to quiesce when only slots
    /// emptied since are left.
    pub(super) fn take(&mut self, len: usize, domain: &RcuDomain) -> Option<u32> {
        if (self.fresh as usize) < len {
            self.fresh += 1;
            return Some(self.fresh - 1);
        }
        if self.free.is_empty() {
            self.advance(domain);
        }
        if self.free.is_empty() && self.waiting() {
            // Two rounds: the slots retiring now need a grace period of
            // their own after the cooling ones'.
            for _ in 0..2 {
                domain.rcu().synchronize();
                self.advance(domain);
            }
        }
        self.free.pop()
    }

    /// Returns a slot taken for a flow that never reached readers.
    pub(super) fn give_back(&mut self, slot: u32) {
        self.free.push(slot);
    }

    /// A slot whose flow left the table: free after a grace period.
    pub(super) fn retire(&mut self, slot: u32) {
        self.retiring.push(slot);
    }

    /// Frees the cooling slots once their grace period is over, and
    /// starts one for the retiring slots when none is running.
    pub(super) fn advance(&mut self, domain: &RcuDomain) {
        if let Some(token) = self.cooling_token {
            if domain.rcu().check(token, false) {
                self.free.extend(self.cooling.drain(..).rev());
                self.cooling_token = None;
            }
        }
        if self.cooling_token.is_none() && !self.retiring.is_empty() {
            std::mem::swap(&mut self.cooling, &mut self.retiring);
            self.cooling_token = Some(domain.rcu().start());
        }
    }

    /// With no flow in the table (`live` 0) and no slot waiting for
    /// readers, starts over from the first slot with no free list.
    /// Returns whether it did, so the caller can give back the pages the
    /// used slots took.
    pub(super) fn restart_if_idle(&mut self, live: usize) -> bool {
        if live != 0 || self.fresh == 0 || self.waiting() {
            return false;
        }
        self.fresh = 0;
        self.free.clear();
        true
    }

    /// Gives back the spare room of lists that held many more slots.
    pub(super) fn shrink(&mut self) {
        for slots in [&mut self.free, &mut self.cooling, &mut self.retiring] {
            if slots.len() * 4 < slots.capacity() {
                slots.shrink_to_fit();
            }
        }
    }

    fn waiting(&self) -> bool {
        self.cooling_token.is_some() || !self.cooling.is_empty() || !self.retiring.is_empty()
    }
}
