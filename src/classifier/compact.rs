//! Compact masked keys: only the words a mask selects, packed, so a
//! subtable hashes and compares what its mask needs and nothing more.

use crate::dpdk::crc32c_selected;
use crate::flow::key::{FlowKey, FlowMask, FLOW_WORDS};

/// Longest compact key in bytes (every word selected).
pub const COMPACT_MAX: usize = FLOW_WORDS * 8;

/// Seed of the compact-key hash.
const HASH_SEED: u32 = 0xffff_ffff;

/// Which words of a key a mask selects, and their mask values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MaskLayout {
    /// (word index, mask) of the selected words, the first `selected()` used;
    /// an all-wildcard mask selects word 0 under a zero mask, since
    /// rte_hash refuses empty keys.
    selected: [(usize, u64); FLOW_WORDS],
    len: usize,
}

/// A compact key buffer; the first `MaskLayout::key_len()` bytes are the key.
pub type CompactKey = [u8; COMPACT_MAX];

impl MaskLayout {
    pub fn new(mask: &FlowMask) -> MaskLayout {
        let map = mask.word_map();
        let mut selected = [(0, 0); FLOW_WORDS];
        let mut len = 0;
        for (i, m) in mask.words().iter().enumerate() {
            if map & (1 << i) != 0 {
                selected[len] = (i, *m);
                len += 1;
            }
        }
        MaskLayout { selected, len }
    }

    /// (word index, mask) of the words the compact key holds, in order.
    pub fn selected(&self) -> &[(usize, u64)] {
        &self.selected[..self.len.clamp(1, FLOW_WORDS)]
    }

    /// Key length in bytes; at least 8 (an all-wildcard mask keys on one
    /// zero word).
    pub fn key_len(&self) -> usize {
        self.selected().len() * 8
    }

    /// Writes the compact masked form of `key` into `out` and returns its
    /// hash (the CRC32-C of those bytes).
    #[inline]
    pub fn write(&self, key: &FlowKey, out: &mut CompactKey) -> u32 {
        let words = key.words();
        for (chunk, &(i, mask)) in out.chunks_exact_mut(8).zip(self.selected()) {
            let w = words[i % FLOW_WORDS] & mask;
            chunk.copy_from_slice(&w.to_ne_bytes());
        }
        crc32c_selected(words, self.selected(), HASH_SEED)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compact_keys_hold_only_selected_words_masked() {
        let mut mask = FlowMask::default();
        mask.set_in_port(u32::MAX);
        mask.set_ipv4_dst(0xffff_ff00);
        let layout = MaskLayout::new(&mask);
        assert_eq!(layout.key_len(), 16);
        let mut key = FlowKey::default();
        key.set_in_port(3);
        key.set_ipv4_dst(0x0a00_0105);
        key.set_tp_dst(80); // not in the mask
        let mut out = [0u8; COMPACT_MAX];
        let h1 = layout.write(&key, &mut out);
        assert_eq!(
            h1,
            crate::dpdk::crc32c(&out[..16], HASH_SEED),
            "the bytes' CRC"
        );
        assert_eq!(u64::from_ne_bytes(out[..8].try_into().unwrap()), 3);
        assert_eq!(
            u64::from_ne_bytes(out[8..16].try_into().unwrap()),
            0x0a00_0100u64 << 32
        );
        let mut other = key;
        other.set_tp_dst(443);
        other.set_ipv4_dst(0x0a00_01ff);
        let mut out2 = [0u8; COMPACT_MAX];
        assert_eq!(layout.write(&other, &mut out2), h1);
        assert_eq!(out[..16], out2[..16]);
    }

    #[test]
    fn the_empty_mask_keys_on_one_zero_word() {
        let layout = MaskLayout::new(&FlowMask::default());
        assert_eq!(layout.key_len(), 8);
        let mut out = [0xaa; COMPACT_MAX];
        layout.write(&FlowKey::default(), &mut out);
        assert_eq!(out[..8], [0; 8]);
    }
}
