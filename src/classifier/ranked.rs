//! What the writer publishes for readers in one piece: the subtables in
//! rank order, the union of their masks and how deep packets must be
//! parsed for them. A reader takes all from the same snapshot, so the
//! union and the depth always cover every mask it probes.

use std::sync::Arc;

use super::compact::MaskLayout;
use super::subtable::Subtable;
use crate::dpdk::crc32c_selected;
use crate::flow::extract::{shallow_fields, Depth};
use crate::flow::key::{FlowKey, FlowMask, FLOW_WORDS};

pub(super) struct Ranked {
    pub(super) subtables: Box<[Arc<Subtable>]>,
    pub(super) union: MaskUnion,
    pub(super) depth: Depth,
}

impl Ranked {
    pub(super) fn new<'a>(
        subtables: Box<[Arc<Subtable>]>,
        masks: impl IntoIterator<Item = &'a FlowMask>,
    ) -> Ranked {
        let union = MaskUnion::new(masks);
        let depth = if union.within(&shallow_fields()) {
            Depth::Shallow
        } else {
            Depth::Full
        };
        Ranked {
            subtables,
            union,
            depth,
        }
    }

    pub(super) fn empty() -> Ranked {
        Ranked::new(Box::new([]), [])
    }
}

/// The bits any mask of the table selects: their union as a mask, laid
/// out like a subtable's so only the words some mask uses are read.
pub(super) struct MaskUnion {
    bits: FlowMask,
    layout: MaskLayout,
}

impl MaskUnion {
    fn new<'a>(masks: impl IntoIterator<Item = &'a FlowMask>) -> MaskUnion {
        let mut words = [0u64; FLOW_WORDS];
        for mask in masks {
            for (b, m) in words.iter_mut().zip(mask.words()) {
                *b |= m;
            }
        }
        let bits = FlowMask::from_words(words);
        MaskUnion {
            layout: MaskLayout::new(&bits),
            bits,
        }
    }

    /// The hash of the bits of `key` some mask selects: keys that classify
    /// alike hash alike.
    #[inline]
    pub(super) fn hash(&self, key: &FlowKey, seed: u32) -> u32 {
        crc32c_selected(key.words(), self.layout.selected(), seed)
    }

    /// Whether every selected bit is one of `fields`.
    fn within(&self, fields: &FlowMask) -> bool {
        self.bits
            .words()
            .iter()
            .zip(fields.words())
            .all(|(bits, fields)| bits & !fields == 0)
    }

    /// Whether `a` and `b` agree on every bit some mask selects: then every
    /// subtable sees the same masked key for both, and both packets belong
    /// to the same flow (or both miss). Only the words some mask uses are
    /// read (four for a port + ethertype + fragment table).
    #[inline]
    pub(super) fn same(&self, a: &FlowKey, b: &FlowKey) -> bool {
        let (a, b) = (a.words(), b.words());
        let differ = self.layout.selected().iter().fold(0, |acc, &(w, bits)| {
            let w = w % FLOW_WORDS;
            acc | ((a[w] ^ b[w]) & bits)
        });
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
    fn tables_of_l2_and_fragment_masks_parse_shallow() {
        let mut port_type_frag = FlowMask::default();
        port_type_frag.set_in_port(u32::MAX);
        port_type_frag.set_eth_type(u16::MAX);
        port_type_frag.set_nw_frag(u8::MAX);
        let mut macs = FlowMask::default();
        macs.set_eth_src_u48(u64::MAX);
        macs.set_eth_dst_u48(u64::MAX);
        let shallow = Ranked::new(Box::new([]), [&port_type_frag, &macs]);
        assert_eq!(shallow.depth, Depth::Shallow);
        let mut proto = FlowMask::default();
        proto.set_nw_proto(u8::MAX);
        let deep = Ranked::new(Box::new([]), [&port_type_frag, &proto]);
        assert_eq!(deep.depth, Depth::Full);
        assert_eq!(Ranked::empty().depth, Depth::Shallow);
    }

    #[test]
    fn an_empty_table_sees_every_key_as_the_same() {
        let union = MaskUnion::new([]);
        let mut a = FlowKey::default();
        a.set_in_port(7);
        assert!(union.same(&a, &FlowKey::default()));
    }
}
