//! When to hand freed memory back to the kernel. A flush of a million
//! flows frees about a gigabyte that glibc would otherwise keep for good;
//! trimming walks the whole heap, so it waits until the table has shrunk
//! by many flows and every retired flow has actually been freed (their
//! readers' grace period is over).

/// Flows the table must have shrunk by before a trim is worth its walk
/// over the heap.
const TRIM_AFTER_SHRINK: usize = 4096;

#[derive(Debug, Default)]
pub struct HeapTrim {
    /// Most flows the table held since the last trim.
    high: usize,
}

impl HeapTrim {
    /// Called after each reclaim pass with the table's flow count and the
    /// retired objects still waiting; whether to trim the heap now.
    pub fn after_reclaim(&mut self, flows: usize, pending: usize) -> bool {
        self.high = self.high.max(flows);
        let due = pending == 0 && self.high >= flows + TRIM_AFTER_SHRINK;
        if due {
            self.high = flows;
        }
        due
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_once_a_shrink_is_freed() {
        let mut trim = HeapTrim::default();
        assert!(!trim.after_reclaim(100_000, 0), "growing");
        assert!(!trim.after_reclaim(0, 5), "flushed, frees still pending");
        assert!(trim.after_reclaim(0, 0), "freed");
        assert!(!trim.after_reclaim(0, 0), "nothing new freed");
    }

    #[test]
    fn small_shrinks_never_trim() {
        let mut trim = HeapTrim::default();
        for round in 0..100 {
            let flows = 10_000 + (round % 2) * 100;
            assert!(!trim.after_reclaim(flows, 0));
        }
    }

    #[test]
    fn the_high_water_mark_restarts_after_a_trim() {
        let mut trim = HeapTrim::default();
        trim.after_reclaim(50_000, 0);
        assert!(trim.after_reclaim(40_000, 0));
        assert!(!trim.after_reclaim(38_000, 0));
        assert!(trim.after_reclaim(30_000, 0));
    }
}
