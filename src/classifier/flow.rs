//! One megaflow: its match, identity, actions (swappable under readers)
//! and the place of its per-lcore statistics.
//!
//! A flow is kept small, since a table holds millions: the mask and the
//! counters are the table's, shared by every flow of one mask
//! ([`MaskShape`]); the flow holds its masked key words (those its mask
//! selects, inline), its UFID, and its action list, which flows with the
//! same single output share.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use super::counters::FlowCounters;
use crate::dpdk::{prefetch, RcuDomain, RcuList, RcuReader, SharedList};
use crate::flow::key::{FlowKey, FlowMask, FLOW_WORDS};
use crate::flow::odp::Action;

/// A flow's handle in its table, unique for the table's lifetime: the
/// flow's slot in the high 32 bits and the insert's sequence number in
/// the low ones, so a table lists its flows (in slot order) in id order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FlowId(pub u64);

impl FlowId {
    pub(super) fn new(seq: u32, slot: u32) -> FlowId {
        FlowId(u64::from(slot) << 32 | u64::from(seq))
    }

    /// The table slot the flow lives in.
    pub(super) fn slot(self) -> u32 {
        (self.0 >> 32) as u32
    }

    fn seq(self) -> u32 {
        self.0 as u32
    }
}

/// Longest unique flow identifier (`OVS_FLOW_ATTR_UFID` is 1 to 16 bytes).
pub const UFID_MAX_LEN: usize = 16;

/// A unique flow identifier as the control plane gave it.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Ufid {
    len: u8,
    bytes: [u8; UFID_MAX_LEN],
}

impl Ufid {
    /// No UFID: length 0, which `new` never makes.
    const NONE: Ufid = Ufid {
        len: 0,
        bytes: [0; UFID_MAX_LEN],
    };

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

/// Masked key words a flow holds inline; a flow whose mask selects more
/// keeps the rest in one small allocation.
const INLINE_WORDS: usize = 5;

/// What every flow of one mask shares: the words the mask selects, packed
/// at the front with their mask values, and the table's counters.
pub(super) struct MaskShape {
    len: u8,
    index: [u8; FLOW_WORDS],
    masks: [u64; FLOW_WORDS],
    counters: Arc<FlowCounters>,
}

impl MaskShape {
    pub(super) fn new(mask: &FlowMask, counters: Arc<FlowCounters>) -> MaskShape {
        let mut shape = MaskShape {
            len: 0,
            index: [0; FLOW_WORDS],
            masks: [0; FLOW_WORDS],
            counters,
        };
        for (i, m) in mask.words().iter().enumerate() {
            if *m != 0 {
                shape.index[usize::from(shape.len)] = i as u8;
                shape.masks[usize::from(shape.len)] = *m;
                shape.len += 1;
            }
        }
        shape
    }

    /// (word index, mask) of the selected words.
    #[inline]
    fn selected(&self) -> impl Iterator<Item = (usize, u64)> + '_ {
        let len = usize::from(self.len).min(FLOW_WORDS);
        self.index[..len]
            .iter()
            .zip(&self.masks[..len])
            .map(|(i, m)| (usize::from(*i) % FLOW_WORDS, *m))
    }

    fn inline(&self) -> bool {
        usize::from(self.len) <= INLINE_WORDS
    }

    fn mask(&self) -> FlowMask {
        let mut words = [0; FLOW_WORDS];
        for (i, m) in self.selected() {
            words[i] = m;
        }
        FlowMask::from_words(words)
    }
}

/// A megaflow entry. Readers reach it through the classifier; the
/// management side owns it.
pub struct Flow {
    shape: Arc<MaskShape>,
    actions: RcuList<Action>,
    /// More of the key, when the flow needs it (one allocation, none
    /// otherwise): for a flow without UFID, all the words of the key as
    /// given (the kernel reports and looks such flows up by their
    /// unmasked key); for one with a UFID whose mask selects more than
    /// `INLINE_WORDS` words, the masked words past the inline ones.
    extra: SharedList<u64>,
    /// The masked key's first selected words, in the shape's order.
    words: [u64; INLINE_WORDS],
    seq: u32,
    slot: u32,
    /// The counters' epoch: unique in the table, renewed by `clear_stats`;
    /// see [`FlowCounters`].
    epoch: AtomicU32,
    ufid: Ufid,
}

impl Flow {
    #[allow(clippy::too_many_arguments)]
    pub(super) fn new(
        id: FlowId,
        shape: Arc<MaskShape>,
        key: FlowKey,
        ufid: Option<Ufid>,
        actions: SharedList<Action>,
        epoch: u32,
        domain: &RcuDomain,
    ) -> Flow {
        let masked = key.masked(&shape.mask());
        let mut words = [0; INLINE_WORDS];
        for (w, (i, _)) in words.iter_mut().zip(shape.selected()) {
            *w = masked.words()[i];
        }
        let extra = if ufid.is_none() {
            key.words().to_vec()
        } else {
            shape
                .selected()
                .skip(INLINE_WORDS)
                .map(|(i, _)| masked.words()[i])
                .collect()
        };
        Flow {
            actions: RcuList::new(actions, domain),
            shape,
            extra: SharedList::new(extra),
            words,
            seq: id.seq(),
            slot: id.slot(),
            epoch: AtomicU32::new(epoch),
            ufid: ufid.unwrap_or(Ufid::NONE),
        }
    }

    pub fn id(&self) -> FlowId {
        FlowId::new(self.seq, self.slot)
    }

    /// The key as the flow was created with it (unmasked) when it has no
    /// UFID; the masked key when it has one (the kernel keeps no other).
    pub fn key(&self) -> FlowKey {
        match self.extra.as_slice().try_into() {
            Ok(words) if self.ufid().is_none() => FlowKey::from_words(words),
            _ => self.masked_key(),
        }
    }

    /// The key with the mask applied: what packets are compared against.
    pub fn masked_key(&self) -> FlowKey {
        let mut out = [0; FLOW_WORDS];
        let extra = self.extra.as_slice();
        for (j, (i, m)) in self.shape.selected().enumerate() {
            out[i] = match self.words.get(j) {
                Some(w) => *w,
                None if self.ufid().is_none() => extra.get(i).map_or(0, |k| k & m),
                None => extra.get(j - INLINE_WORDS).copied().unwrap_or(0),
            };
        }
        FlowKey::from_words(out)
    }

    pub fn mask(&self) -> FlowMask {
        self.shape.mask()
    }

    pub fn ufid(&self) -> Option<&Ufid> {
        (self.ufid.len != 0).then_some(&self.ufid)
    }

    pub(super) fn shape(&self) -> &Arc<MaskShape> {
        &self.shape
    }

    /// True when `packet` falls inside this megaflow.
    #[inline]
    pub fn matches(&self, packet: &FlowKey) -> bool {
        self.covers(packet)
    }

    /// A number no other flow in the table has at the same time (its
    /// slot): small and dense, for per-burst indexing.
    #[inline]
    pub fn cache_slot(&self) -> u32 {
        self.slot
    }

    /// `matches`, reading only the words the mask selects.
    #[inline]
    pub(super) fn covers(&self, packet: &FlowKey) -> bool {
        let words = packet.words();
        let shape = &*self.shape;
        let mut selected = shape.selected();
        // The inline words first (the iterator of words leads the zip so
        // that no selected word is taken past them).
        for (key, (i, mask)) in self.words.iter().zip(selected.by_ref()) {
            if words[i] & mask != *key {
                return false;
            }
        }
        if shape.inline() {
            return true;
        }
        let extra = self.extra.as_slice();
        if self.ufid().is_none() {
            selected.all(|(i, mask)| extra.get(i).is_some_and(|k| (words[i] ^ k) & mask == 0))
        } else {
            selected
                .zip(extra)
                .all(|((i, mask), key)| words[i] & mask == *key)
        }
    }

    /// Starts loading what `covers` reads.
    #[inline(always)]
    pub(super) fn prefetch_match(&self) {
        prefetch(&self.words);
        prefetch(&*self.shape);
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

    pub(super) fn replace_actions(&self, actions: SharedList<Action>, domain: &RcuDomain) {
        self.actions.replace(actions, domain);
    }

    /// The epoch counters are recorded under now.
    #[inline]
    pub(super) fn epoch(&self) -> u32 {
        self.epoch.load(Ordering::Acquire)
    }

    /// Adds a batch to reader `lane`'s counters. Only that reader calls it.
    #[cfg(test)]
    fn record(&self, lane: usize, packets: u64, bytes: u64, tcp_flags: u16, now: u64) {
        self.shape.counters.record(
            lane,
            self.slot,
            self.epoch(),
            packets,
            bytes,
            tcp_flags,
            now,
        );
    }

    /// The sum of every lcore's counters since the last clear. Counts of a
    /// batch being recorded right now may be missing. Once the flow is
    /// out of the table and its slot taken by another flow, it reads zero.
    pub fn stats(&self) -> FlowStats {
        self.shape.counters.sum(self.slot, self.epoch())
    }

    /// Zeroes the counters (`OVS_FLOW_ATTR_CLEAR`) by moving them to
    /// `epoch`, one the table never gave out before: every lane recorded
    /// so far stops counting, and each lcore restarts its own from zero.
    pub(super) fn clear_stats(&self, epoch: u32) {
        self.epoch.store(epoch, Ordering::Release);
    }
}

impl std::fmt::Debug for Flow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Flow")
            .field("id", &self.id())
            .field("masked_key", &self.masked_key())
            .field("mask", &self.mask())
            .field("ufid", &self.ufid())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(mask: &FlowMask, readers: u32) -> Arc<MaskShape> {
        Arc::new(MaskShape::new(
            mask,
            Arc::new(FlowCounters::new(readers, 8)),
        ))
    }

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
    fn flows_stay_small() {
        assert!(
            std::mem::size_of::<Flow>() <= 104,
            "{}",
            std::mem::size_of::<Flow>()
        );
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
        let s = shape(&mask, 1);
        let flow = Flow::new(
            FlowId::new(1, 0),
            s,
            key,
            None,
            SharedList::new(vec![]),
            1,
            &domain,
        );
        assert_eq!(flow.mask(), mask);
        assert_eq!(flow.key(), key, "no UFID: the key as given");
        assert_eq!(flow.masked_key(), key.masked(&mask));
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
            FlowId::new(2, 1),
            shape(&FlowMask::default(), 1),
            key,
            None,
            SharedList::new(vec![]),
            2,
            &domain,
        );
        assert!(any.covers(&packet), "the empty mask covers every packet");
    }

    #[test]
    fn wide_masks_keep_the_key_boxed_and_still_match() {
        let mask = FlowMask::from_words([u64::MAX; FLOW_WORDS]);
        let key = FlowKey::from_words(std::array::from_fn(|i| i as u64 * 3));
        let domain = RcuDomain::new(1).unwrap();
        for ufid in [None, Ufid::new(&[7])] {
            let flow = Flow::new(
                FlowId::new(1, 0),
                shape(&mask, 1),
                key,
                ufid,
                SharedList::new(vec![]),
                1,
                &domain,
            );
            assert!(flow.covers(&key));
            assert_eq!(flow.key(), key);
            assert_eq!(flow.masked_key(), key);
            let mut other = key;
            other.set_tp_dst(other.tp_dst() ^ 1);
            assert!(!flow.covers(&other));
        }
    }

    #[test]
    fn stats_sum_lanes_and_clear_restarts_them() {
        let domain = RcuDomain::new(3).unwrap();
        let flow = Flow::new(
            FlowId::new(1, 5),
            shape(&FlowMask::default(), 3),
            FlowKey::default(),
            Ufid::new(&[1]),
            SharedList::new(vec![Action::Output(1)]),
            1,
            &domain,
        );
        assert_eq!(flow.id(), FlowId(5 << 32 | 1));
        assert_eq!(flow.cache_slot(), 5);
        flow.record(0, 2, 120, 0x02, 10);
        flow.record(2, 1, 60, 0x10, 30);
        flow.record(0, 1, 60, 0x01, 20);
        flow.record(7, 100, 100, 0xff, 99); // no such lane: ignored
        assert_eq!(
            flow.stats(),
            FlowStats {
                packets: 4,
                bytes: 240,
                used: 30,
                tcp_flags: 0x13
            }
        );
        flow.clear_stats(2);
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
