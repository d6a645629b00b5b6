//! Load-based sleep of an idle PMD, as Open vSwitch's `pmd-maxsleep`: a
//! PMD whose queues each brought less than half a burst sleeps after the
//! iteration, a microsecond longer each time up to the maximum; one
//! loaded queue wakes it to full polling. Off (maximum 0) by default: a
//! sleeping PMD answers a packet that arrives mid-sleep up to the maximum
//! later, and a burst longer than the rx ring can hold in that time is
//! lost.

/// Packets one queue must bring for the iteration to count as loaded
/// (OVS's `PMD_SLEEP_THRESH`: half its 32-packet burst).
pub const SLEEP_THRESHOLD: usize = 16;
/// The longest sleep that may be asked for, in microseconds (OVS caps
/// `pmd-maxsleep` at its RCU quiesce interval, 10 ms).
pub const MAX_SLEEP_US: u32 = 10_000;
/// How much each further idle iteration adds to the sleep.
const STEP_US: u32 = 1;

/// The sleep a PMD is at.
#[derive(Debug, Default)]
pub struct IdleSleep {
    us: u32,
}

impl IdleSleep {
    /// After an iteration: how long to sleep now (None: not at all).
    /// `loaded` says a queue brought [`SLEEP_THRESHOLD`] packets or more.
    #[inline]
    pub fn next(&mut self, loaded: bool, max_us: u32) -> Option<u32> {
        if loaded || max_us == 0 {
            self.us = 0;
            return None;
        }
        let now = self.us.min(max_us);
        self.us = (now + STEP_US).min(max_us);
        (now != 0).then_some(now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idle_iterations_sleep_longer_up_to_the_maximum() {
        let mut s = IdleSleep::default();
        let slept: Vec<_> = (0..6).map(|_| s.next(false, 3)).collect();
        assert_eq!(slept, [None, Some(1), Some(2), Some(3), Some(3), Some(3)]);
    }

    #[test]
    fn a_loaded_iteration_or_a_zero_maximum_wakes_it() {
        let mut s = IdleSleep::default();
        for _ in 0..5 {
            s.next(false, 100);
        }
        assert_eq!(s.next(true, 100), None);
        assert_eq!(s.next(false, 100), None);
        assert_eq!(s.next(false, 100), Some(1));
        assert_eq!(s.next(false, 0), None);
        assert_eq!(s.next(false, 100), None);
    }

    #[test]
    fn a_lowered_maximum_applies_at_once() {
        let mut s = IdleSleep::default();
        for _ in 0..50 {
            s.next(false, 1000);
        }
        assert_eq!(s.next(false, 5), Some(5));
        assert_eq!(s.next(false, 5), Some(5));
    }
}
