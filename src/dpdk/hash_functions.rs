//! The hash functions: the two DPDK gives rte_hash tables (CRC32-C and
//! Jenkins' lookup3, through the C shim) and an inline CRC32-C over
//! selected key words for the hashes computed per packet.

use std::ffi::c_void;

use super::ffi;

/// The hash function a table uses for keys and signatures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HashFunction {
    /// CRC32-C with the SSE4.2 instruction.
    #[default]
    Crc32c,
    /// Bob Jenkins' lookup3.
    Jhash,
}

impl HashFunction {
    pub(super) fn raw(self) -> unsafe extern "C" fn(*const c_void, u32, u32) -> u32 {
        match self {
            HashFunction::Crc32c => ffi::dpsw_hash_crc,
            HashFunction::Jhash => ffi::dpsw_jhash,
        }
    }

    /// Hashes `data` with `init` as seed.
    #[inline]
    pub fn hash(self, data: &[u8], init: u32) -> u32 {
        let len = u32::try_from(data.len()).unwrap_or(u32::MAX);
        // SAFETY: reads `len` bytes of `data` (lengths beyond u32 are
        // clamped, reading a prefix).
        unsafe { self.raw()(data.as_ptr().cast(), len, init) }
    }
}

/// CRC32-C of `data` seeded with `init`, as `rte_hash_crc` computes it.
#[inline]
pub fn crc32c(data: &[u8], init: u32) -> u32 {
    HashFunction::Crc32c.hash(data, init)
}

/// CRC32-C of `words` in memory order seeded with `init`: `crc32c` of
/// their native-endian bytes, without copying them out first.
#[inline]
pub fn crc32c_words(words: &[u64], init: u32) -> u32 {
    let len = u32::try_from(std::mem::size_of_val(words)).unwrap_or(u32::MAX);
    // SAFETY: reads `len` bytes starting at the slice (lengths beyond u32
    // are clamped, reading a prefix); u64 has no padding bytes.
    unsafe { ffi::dpsw_hash_crc(words.as_ptr().cast(), len, init) }
}

/// CRC32-C seeded with `init` of `words[i] & bits` for each `(i, bits)` of
/// `selected`, in order (an index past the end reads a zero word): what
/// [`crc32c_words`] gives for those masked words packed, without packing
/// them and without a call, one SSE4.2 instruction per word on every CPU
/// DPDK runs on. For the hashes computed per packet.
#[inline]
pub fn crc32c_selected(words: &[u64], selected: &[(usize, u64)], init: u32) -> u32 {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("sse4.2") {
        // SAFETY: the CPU has SSE4.2, checked just above (std caches it).
        return unsafe { crc32c_selected_sse42(words, selected, init) };
    }
    selected.iter().fold(init, |crc, &(i, bits)| {
        let word = words.get(i).copied().unwrap_or(0) & bits;
        crc32c_words(&[word], crc)
    })
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "sse4.2")]
fn crc32c_selected_sse42(words: &[u64], selected: &[(usize, u64)], init: u32) -> u32 {
    selected.iter().fold(init, |crc, &(i, bits)| {
        let word = words.get(i).copied().unwrap_or(0) & bits;
        // The instruction keeps the CRC in the low 32 bits.
        std::arch::x86_64::_mm_crc32_u64(u64::from(crc), word) as u32
    })
}

/// Bob Jenkins' hash of `data` seeded with `init`, as `rte_jhash`.
#[inline]
pub fn jhash(data: &[u8], init: u32) -> u32 {
    HashFunction::Jhash.hash(data, init)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selected_words_hash_as_the_packed_masked_words() {
        let words: Vec<u64> = (1..=16u64)
            .map(|i| i.wrapping_mul(0x9e37_79b9_7f4a_7c15))
            .collect();
        let selected = [
            (0, u64::MAX),
            (4, 0xffff_0000_0000_0000),
            (6, 0xffff_ff00),
            (15, 1),
        ];
        let packed: Vec<u64> = selected.iter().map(|&(i, m)| words[i] & m).collect();
        for seed in [0, 0x5bd1_e995, u32::MAX] {
            assert_eq!(
                crc32c_selected(&words, &selected, seed),
                crc32c_words(&packed, seed)
            );
        }
        assert_eq!(crc32c_selected(&words, &[], 7), 7);
        assert_eq!(
            crc32c_selected(&words, &[(99, u64::MAX)], 7),
            crc32c_words(&[0], 7),
            "an index past the end reads zero"
        );
    }

    #[test]
    fn crc32c_matches_the_standard_check_value() {
        // rte_hash_crc returns the raw CRC32-C register; with the usual
        // pre- and post-inversion it is the standard CRC-32C of
        // "123456789", 0xE3069283.
        assert_eq!(!crc32c(b"123456789", !0), 0xE306_9283);
    }

    #[test]
    fn word_hashes_are_the_hashes_of_their_bytes() {
        let words = [0x0102_0304_0506_0708u64, u64::MAX, 0, 42];
        let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_ne_bytes()).collect();
        assert_eq!(crc32c_words(&words, 7), crc32c(&bytes, 7));
        assert_ne!(crc32c_words(&words, 7), crc32c_words(&words[..3], 7));
    }

    #[test]
    fn hashes_depend_on_seed_and_data() {
        assert_ne!(crc32c(b"abcd", 0), crc32c(b"abcd", 1));
        assert_ne!(jhash(b"abcd", 0), jhash(b"abce", 0));
        assert_eq!(jhash(b"abcd", 7), jhash(b"abcd", 7));
    }
}
