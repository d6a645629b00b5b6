//! What the writer publishes for readers in one piece: the subtables in
//! rank order and the union of their masks. A reader takes both from the
//! same snapshot, so the union always covers every mask it probes.

use std::sync::Arc;

use super::subtable::Subtable;
use crate::flow::key::{FlowKey, FlowMask, FLOW_WORDS};

pub(super) struct Ranked {
    pub(super) subtables: Box<[Arc<Subtable>]>,
    pub(super) union: MaskUnion,
}

impl Ranked {
    pub(super) fn new<'a>(
        subtables: Box<[Arc<Subtable>]>,
        masks: impl IntoIterator<Item = &'a FlowMask>,
    ) -> Ranked {
        Ranked {
            subtables,
            union: MaskUnion::new(masks),
        }
    }

    pub(super) fn empty() -> Ranked {
        Ranked::new(Box::new([]), [])
    }
}

/// The bits any mask of the table selects.
pub(super) struct MaskUnion {
    bits: [u64; FLOW_WORDS],
}

impl MaskUnion {
    fn new<'a>(masks: impl IntoIterator<Item = &'a FlowMask>) -> MaskUnion {
        let mut bits = [0u64; FLOW_WORDS];
        for mask in masks {
            for (b, m) in bits.iter_mut().zip(mask.words()) {
                *b |= m;
            }
        }
        MaskUnion { bits }
    }

    /// Whether `a` and `b` agree on every bit some mask selects: then every
    /// subtable sees the same masked key for both, and both packets belong
    /// to the same flow (or both miss). All words are compared, unused
    /// ones under a zero mask: branch-free, it vectorises.
    #[inline]
    pub(super) fn same(&self, a: &FlowKey, b: &FlowKey) -> bool {
        let differ = a
            .words()
            .iter()
            .zip(b.words())
            .zip(&self.bits)
            .fold(0, |acc, ((a, b), m)| acc | ((a ^ b) & m));
        differ == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_that_differ_only_outside_every_mask_are_the_same() {
        let mut port_only = FlowMask::default();
        port_only.set_in_port(u32::MAX);
        let mut dst_8 = FlowMask::default();
        dst_8.set_ipv4_dst(0xff00_0000);
        let union = MaskUnion::new([&port_only, &dst_8]);
        let mut a = FlowKey::default();
        a.set_in_port(1);
        a.set_ipv4_dst(0x0a01_0203);
        let mut b = a;
        b.set_ipv4_dst(0x0aff_ffff);
        b.set_tp_src(80);
        assert!(union.same(&a, &b), "differ only below /8 and in a port");
        b.set_ipv4_dst(0x0b00_0000);
        assert!(!union.same(&a, &b), "differ inside the /8");
        let mut c = a;
        c.set_in_port(2);
        assert!(!union.same(&a, &c));
    }

    #[test]
    fn an_empty_table_sees_every_key_as_the_same() {
        let union = MaskUnion::new([]);
        let mut a = FlowKey::default();
        a.set_in_port(7);
        assert!(union.same(&a, &FlowKey::default()));
    }
}
