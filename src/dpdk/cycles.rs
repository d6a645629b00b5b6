//! The CPU timestamp counter, DPDK's clock for the fast path.

use super::ffi;

/// The current TSC value (`rte_get_tsc_cycles`).
#[inline]
pub fn tsc_cycles() -> u64 {
    // SAFETY: reads the timestamp counter; no preconditions.
    unsafe { ffi::dpsw_get_tsc_cycles() }
}

/// TSC ticks per second as EAL measured it; 0 before EAL is initialised.
pub fn tsc_hz() -> u64 {
    // SAFETY: a plain getter of a value EAL sets at init.
    unsafe { ffi::rte_get_tsc_hz() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_counter_moves_forward() {
        let before = tsc_cycles();
        std::thread::sleep(std::time::Duration::from_millis(1));
        assert!(tsc_cycles() > before);
    }
}
