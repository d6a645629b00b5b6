//! The random numbers `sample` draws: cheap, per PMD, not cryptographic.

/// Marsaglia's xorshift32. Never yields 0, so a draw is in 1..=u32::MAX.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Xorshift32(u32);

impl Xorshift32 {
    /// A generator from `seed`; a zero seed (which would stay zero
    /// forever) is replaced by a fixed non-zero one.
    pub fn new(seed: u32) -> Xorshift32 {
        Xorshift32(if seed == 0 { 0x9e37_79b9 } else { seed })
    }

    #[inline]
    pub fn next_u32(&mut self) -> u32 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        self.0 = x;
        x
    }
}
