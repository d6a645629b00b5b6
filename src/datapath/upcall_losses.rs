//! Upcalls lost, per port and reason, where an operator can read them:
//! the datapath's `lost` says how many, these say where and why. Each set
//! of counters has one writer (a PMD, or the management lcore for what it
//! could not deliver), so a relaxed load and store count without a
//! locked instruction on the fast path.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// Why an upcall did not reach its handler.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LossReason {
    /// The port has no handler (upcall pid 0).
    NoHandler = 0,
    /// The port was over `[datapath] upcall_rate`.
    RateLimit = 1,
    /// The PMD's queue to the management lcore was full.
    QueueFull = 2,
    /// The handler's connection was gone or not reading.
    Unread = 3,
    /// A `userspace` action's userdata was longer than dpswitch carries.
    Userdata = 4,
}

pub const REASONS: usize = 5;

/// Each reason's name in reports, in `LossReason` order.
pub const REASON_NAMES: [&str; REASONS] = ["no_handler", "rate", "queue", "unread", "userdata"];

/// Counters by port slot and reason.
pub struct UpcallLosses {
    counts: Box<[[AtomicU64; REASONS]]>,
}

impl UpcallLosses {
    pub fn new(ports: usize) -> UpcallLosses {
        UpcallLosses {
            counts: (0..ports).map(|_| Default::default()).collect(),
        }
    }

    /// Counts one loss; only the set's one writer calls it.
    #[inline]
    pub fn count(&self, port_index: usize, reason: LossReason) {
        if let Some(c) = self.counts.get(port_index) {
            let c = &c[reason as usize];
            c.store(c.load(Relaxed) + 1, Relaxed);
        }
    }

    /// The counters of one port slot.
    pub fn read(&self, port_index: usize) -> [u64; REASONS] {
        self.counts.get(port_index).map_or([0; REASONS], |c| {
            std::array::from_fn(|r| c[r].load(Relaxed))
        })
    }

    /// Zeroes a slot for the port about to take it, before any PMD is
    /// told of that port (so no writer touches it meanwhile).
    pub fn reset(&self, port_index: usize) {
        if let Some(c) = self.counts.get(port_index) {
            c.iter().for_each(|r| r.store(0, Relaxed));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_by_port_and_reason() {
        let losses = UpcallLosses::new(4);
        losses.count(1, LossReason::RateLimit);
        losses.count(1, LossReason::RateLimit);
        losses.count(3, LossReason::Unread);
        losses.count(9, LossReason::NoHandler); // no such slot: ignored
        assert_eq!(losses.read(1), [0, 2, 0, 0, 0]);
        assert_eq!(losses.read(3), [0, 0, 0, 1, 0]);
        losses.reset(1);
        assert_eq!(losses.read(1), [0; REASONS]);
    }
}
