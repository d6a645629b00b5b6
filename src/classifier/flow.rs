//! One megaflow: its match, identity, actions (swappable under readers)
//! and per-lcore statistics.

use std::sync::atomic::{AtomicU16, AtomicU32, AtomicU64, Ordering};

use crate::dpdk::{prefetch, RcuCell, RcuDomain, RcuReader};
use crate::flow::key::{FlowKey, FlowMask, FLOW_WORDS};
use crate::flow::odp::Action;

/// A flow's handle in its table, unique for the table's lifetime.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FlowId(pub u64);

/// Longest unique flow identifier (`OVS_FLOW_ATTR_UFID` is 1 to 16 bytes).
pub const UFID_MAX_LEN: usize = 16;

/// A unique flow identifier as the control plane gave it.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Ufid {
    len: u8,
    bytes: [u8; UFID_MAX_LEN],
}

impl Ufid {
    /// None unless `bytes` is 1 to 16 bytes long.
    pub fn new(bytes: &[u8]) -> Option<Ufid> {
        if bytes.is_empty() || bytes.len() > UFID_MAX_LEN {
            return None;
        }
        let mut out = [0u8; UFID_MAX_LEN];
        out.get_mut(..bytes.len())?.copy_from_slice(bytes);
        Some(Ufid {
            len: bytes.len() as u8,
            bytes: out,
        })
    }

    pub fn as_bytes(&self) -> &[u8] {
        self.bytes.get(..usize::from(self.len)).unwrap_or(&[])
    }
}

impl std::fmt::Debug for Ufid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Ufid(")?;
        for b in self.as_bytes() {
            write!(f, "{b:02x}")?;
        }
        write!(f, ")")
    }
}

/// A flow's counters, as `OVS_FLOW_ATTR_STATS`/`USED`/`TCP_FLAGS` report them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FlowStats {
    pub packets: u64,
    pub bytes: u64,
    /// Time of the last packet, in the unit the datapath records (0: never).
    pub used: u64,
    pub tcp_flags: u16,
}

/// One lcore's counters for one flow. Only that lcore writes them (plain
/// loads and stores, no read-modify-write); the line is its own so lcores
/// never share one.
#[repr(align(64))]
#[derive(Default)]
struct StatSlot {
    /// The flow's clear epoch these counters belong to: a slot from an
    /// older epoch counts as zero and is reset by its lcore on next use.
    epoch: AtomicU32,
    tcp_flags: AtomicU16,
    packets: AtomicU64,
    bytes: AtomicU64,
    used: AtomicU64,
}

/// The words a flow's mask selects, packed at the front with their mask
/// and masked key: a flow cache hit checks a packet against these, one or
/// two cache lines for masks of up to five words, instead of all 16 words
/// of mask and key (four lines). Not cache-line aligned: the padding cost
/// more memory per flow than the extra line costs time.
#[repr(C)]
struct MatchWords {
    len: u8,
    index: [u8; FLOW_WORDS],
    /// (mask, masked key) of word `index[j]`; the first `len` are used.
    pairs: [(u64, u64); FLOW_WORDS],
}

impl MatchWords {
    fn new(mask: &FlowMask, masked_key: &FlowKey) -> MatchWords {
        let mut m = MatchWords {
            len: 0,
            index: [0; FLOW_WORDS],
            pairs: [(0, 0); FLOW_WORDS],
        };
        for (i, (mask, key)) in mask.words().iter().zip(masked_key.words()).enumerate() {
            if *mask != 0 {
                m.index[usize::from(m.len)] = i as u8;
                m.pairs[usize::from(m.len)] = (*mask, *key);
                m.len += 1;
            }
        }
        m
    }

    /// The 16 words of the mask or the masked key (`part` picks which of
    /// a pair), zero where the mask selects nothing.
    fn spread(&self, part: impl Fn((u64, u64)) -> u64) -> [u64; FLOW_WORDS] {
        let mut words = [0; FLOW_WORDS];
        for (pair, i) in self.used().iter().zip(self.index.iter()) {
            words[usize::from(*i) % FLOW_WORDS] = part(*pair);
        }
        words
    }

    #[inline]
    fn used(&self) -> &[(u64, u64)] {
        &self.pairs[..usize::from(self.len).min(FLOW_WORDS)]
    }

    #[inline]
    fn covers(&self, packet: &FlowKey) -> bool {
        let words = packet.words();
        self.used()
            .iter()
            .zip(self.index.iter())
            .all(|((mask, key), i)| words[usize::from(*i) % FLOW_WORDS] & mask == *key)
    }
}

/// A megaflow entry. Readers reach it through the classifier; the
/// management side owns it.
pub struct Flow {
    id: FlowId,
    /// Index of the table's RCU slot that holds this flow while it is in
    /// the table; flow caches refer to flows by it.
    cache_slot: u32,
    /// The key as given, for a flow identified by it (no UFID): the
    /// kernel reports and looks such flows up by their unmasked key. The
    /// mask and masked key live in `match_words` only.
    unmasked: Option<Box<FlowKey>>,
    match_words: MatchWords,
    ufid: Option<Ufid>,
    actions: RcuCell<Vec<Action>>,
    /// Bumped by `clear_stats`; see `StatSlot::epoch`.
    epoch: AtomicU32,
    slots: Box<[StatSlot]>,
}

impl Flow {
    #[allow(clippy::too_many_arguments)]
    pub(super) fn new(
        id: FlowId,
        cache_slot: u32,
        key: FlowKey,
        mask: FlowMask,
        ufid: Option<Ufid>,
        actions: Vec<Action>,
        readers: u32,
        domain: &RcuDomain,
    ) -> Flow {
        Flow {
            id,
            cache_slot,
            unmasked: ufid.is_none().then(|| Box::new(key)),
            match_words: MatchWords::new(&mask, &key.masked(&mask)),
            ufid,
            actions: RcuCell::new(actions, domain),
            epoch: AtomicU32::new(0),
            slots: (0..readers).map(|_| StatSlot::default()).collect(),
        }
    }

    pub fn id(&self) -> FlowId {
        self.id
    }

    /// The key as the flow was created with it (unmasked) when it has no
    /// UFID; the masked key when it has one (the kernel keeps no other).
    pub fn key(&self) -> FlowKey {
        match &self.unmasked {
            Some(key) => **key,
            None => self.masked_key(),
        }
    }

    /// The key with the mask applied: what packets are compared against.
    pub fn masked_key(&self) -> FlowKey {
        FlowKey::from_words(self.match_words.spread(|(_, key)| key))
    }

    pub fn mask(&self) -> FlowMask {
        FlowMask::from_words(self.match_words.spread(|(mask, _)| mask))
    }

    pub fn ufid(&self) -> Option<&Ufid> {
        self.ufid.as_ref()
    }

    /// True when `packet` falls inside this megaflow.
    #[inline]
    pub fn matches(&self, packet: &FlowKey) -> bool {
        self.match_words.covers(packet)
    }

    /// A number no other flow in the table has at the same time (the
    /// index of its RCU slot): small and dense, for per-burst indexing.
    #[inline]
    pub fn cache_slot(&self) -> u32 {
        self.cache_slot
    }

    /// `matches`, reading only the words the mask selects.
    #[inline]
    pub(super) fn covers(&self, packet: &FlowKey) -> bool {
        self.match_words.covers(packet)
    }

    /// Starts loading what `covers` reads.
    #[inline(always)]
    pub(super) fn prefetch_match(&self) {
        prefetch(&self.match_words.index);
        prefetch(self.match_words.used());
    }

    /// The actions as a reader sees them: one whole list, valid until the
    /// reader next quiesces.
    #[inline]
    pub(super) fn actions_for_reader<'a>(&'a self, reader: &'a RcuReader) -> &'a [Action] {
        self.actions.read(reader)
    }

    pub(super) fn actions_for_writer<'a>(&'a self, domain: &'a RcuDomain) -> &'a [Action] {
        self.actions.get(domain)
    }

    pub(super) fn replace_actions(&self, actions: Vec<Action>, domain: &RcuDomain) {
        self.actions.replace(actions, domain);
    }

    /// Adds a batch to reader `slot`'s counters. Only that reader calls it.
    #[inline]
    pub(super) fn record(&self, slot: usize, packets: u64, bytes: u64, tcp_flags: u16, now: u64) {
        let Some(s) = self.slots.get(slot) else {
            return;
        };
        let epoch = self.epoch.load(Ordering::Acquire);
        let (old_packets, old_bytes, old_flags) = if s.epoch.load(Ordering::Relaxed) == epoch {
            (
                s.packets.load(Ordering::Relaxed),
                s.bytes.load(Ordering::Relaxed),
                s.tcp_flags.load(Ordering::Relaxed),
            )
        } else {
            (0, 0, 0)
        };
        s.packets
            .store(old_packets.wrapping_add(packets), Ordering::Relaxed);
        s.bytes
            .store(old_bytes.wrapping_add(bytes), Ordering::Relaxed);
        s.tcp_flags.store(old_flags | tcp_flags, Ordering::Relaxed);
        s.used.store(now, Ordering::Relaxed);
        s.epoch.store(epoch, Ordering::Release);
    }

    /// The sum of every lcore's counters since the last clear. Counts of a
    /// batch being recorded right now may be missing.
    pub fn stats(&self) -> FlowStats {
        let epoch = self.epoch.load(Ordering::Acquire);
        let mut total = FlowStats::default();
        for s in self.slots.iter() {
            if s.epoch.load(Ordering::Acquire) != epoch {
                continue;
            }
            total.packets = total
                .packets
                .wrapping_add(s.packets.load(Ordering::Relaxed));
            total.bytes = total.bytes.wrapping_add(s.bytes.load(Ordering::Relaxed));
            total.used = total.used.max(s.used.load(Ordering::Relaxed));
            total.tcp_flags |= s.tcp_flags.load(Ordering::Relaxed);
        }
        total
    }

    /// Zeroes the counters (`OVS_FLOW_ATTR_CLEAR`): every slot recorded so
    /// far stops counting, and each lcore restarts its own from zero.
    pub(super) fn clear_stats(&self) {
        self.epoch.fetch_add(1, Ordering::AcqRel);
    }
}

impl std::fmt::Debug for Flow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Flow")
            .field("id", &self.id)
            .field("masked_key", &self.masked_key())
            .field("mask", &self.mask())
            .field("ufid", &self.ufid)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ufids_are_one_to_sixteen_bytes() {
        assert!(Ufid::new(&[]).is_none());
        assert!(Ufid::new(&[0; 17]).is_none());
        let u = Ufid::new(&[1, 2, 3]).unwrap();
        assert_eq!(u.as_bytes(), &[1, 2, 3]);
        assert_ne!(u, Ufid::new(&[1, 2, 3, 0]).unwrap(), "length is part of it");
        assert_eq!(format!("{u:?}"), "Ufid(010203)");
    }

    #[test]
    fn covering_reads_only_mask_words_and_agrees_with_matching() {
        let mut mask = FlowMask::default();
        mask.set_in_port(u32::MAX);
        mask.set_tp_dst(0xff00);
        let mut key = FlowKey::default();
        key.set_in_port(3);
        key.set_tp_dst(0x1234);
        key.set_ipv4_src(9); // wildcarded
        let domain = RcuDomain::new(1).unwrap();
        let flow = Flow::new(FlowId(1), 0, key, mask, None, vec![], 1, &domain);
        assert_eq!(
            flow.match_words.used().len(),
            mask.word_map().count_ones() as usize
        );
        let mut packet = FlowKey::default();
        packet.set_in_port(3);
        packet.set_tp_dst(0x12ff);
        for (p, expected) in [(packet, true), (key, true)] {
            assert_eq!(flow.covers(&p), expected);
            assert_eq!(flow.matches(&p), expected);
        }
        packet.set_tp_dst(0x1334);
        assert!(!flow.covers(&packet) && !flow.matches(&packet));
        packet.set_tp_dst(0x1234);
        packet.set_in_port(4);
        assert!(!flow.covers(&packet) && !flow.matches(&packet));
        let any = Flow::new(
            FlowId(2),
            1,
            key,
            FlowMask::default(),
            None,
            vec![],
            1,
            &domain,
        );
        assert!(any.covers(&packet), "the empty mask covers every packet");
    }

    #[test]
    fn stats_sum_slots_and_clear_restarts_them() {
        let domain = RcuDomain::new(3).unwrap();
        let flow = Flow::new(
            FlowId(1),
            0,
            FlowKey::default(),
            FlowMask::default(),
            None,
            vec![Action::Output(1)],
            3,
            &domain,
        );
        flow.record(0, 2, 120, 0x02, 10);
        flow.record(2, 1, 60, 0x10, 30);
        flow.record(0, 1, 60, 0x01, 20);
        flow.record(7, 100, 100, 0xff, 99); // no such slot: ignored
        assert_eq!(
            flow.stats(),
            FlowStats {
                packets: 4,
                bytes: 240,
                used: 30,
                tcp_flags: 0x13
            }
        );
        flow.clear_stats();
        assert_eq!(flow.stats(), FlowStats::default());
        flow.record(2, 1, 64, 0x04, 40);
        assert_eq!(
            flow.stats(),
            FlowStats {
                packets: 1,
                bytes: 64,
                used: 40,
                tcp_flags: 0x04
            }
        );
        assert_eq!(flow.actions_for_writer(&domain), &[Action::Output(1)]);
    }
}
