//! Cache prefetch hints, so a burst can start every memory access it will
//! need before it waits on the first one.

/// Asks the CPU to bring every cache line of `value` into L1. A hint only:
/// no effect on the program's results.
#[inline(always)]
pub fn prefetch<T: ?Sized>(value: &T) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        const LINE: usize = 64;
        let start = (value as *const T).cast::<i8>();
        let end = start as usize + std::mem::size_of_val(value);
        let mut at = start;
        loop {
            // SAFETY: a prefetch never faults and never changes the
            // program's state; `at` lies within the live `value`.
            unsafe { _mm_prefetch::<_MM_HINT_T0>(at) };
            let next_line = (at as usize & !(LINE - 1)) + LINE;
            if next_line >= end {
                break;
            }
            at = start.wrapping_add(next_line - start as usize);
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = value;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefetching_leaves_values_alone() {
        let big = [7u64; 40];
        prefetch(&big);
        prefetch(&());
        prefetch(&big[3..5]);
        prefetch(&big[..0]);
        assert!(big.iter().all(|w| *w == 7));
    }
}
