//! Datapath port number -> port index, for output actions on the fast
//! path: a flat array, one load per output. Port indexes are slots of a
//! fixed capacity ([`MAX_PORTS`]): a port keeps its slot while it exists,
//! and a slot freed by a removed port is reused by the next port added.

use crate::flow::matching::DP_MAX_PORTS;

/// Most ports a datapath holds at once (port slots, i.e. port indexes).
pub const MAX_PORTS: usize = 64;

pub struct PortIndex {
    by_number: Vec<u16>,
}

const NONE: u16 = u16::MAX;

impl PortIndex {
    /// `ports` holds (datapath number, port index) pairs; every number must
    /// be below DP_MAX_PORTS (the callers check it).
    pub fn new(ports: &[(u32, usize)]) -> PortIndex {
        let len = ports
            .iter()
            .map(|(n, _)| *n as usize + 1)
            .max()
            .unwrap_or(0);
        let mut by_number = vec![NONE; len.min(DP_MAX_PORTS as usize)];
        for (n, i) in ports {
            if let Some(slot) = by_number.get_mut(*n as usize) {
                *slot = *i as u16;
            }
        }
        PortIndex { by_number }
    }

    #[inline(always)]
    pub fn index(&self, number: u32) -> Option<usize> {
        match self.by_number.get(number as usize) {
            Some(&i) if i != NONE => Some(usize::from(i)),
            _ => None,
        }
    }

    pub fn contains(&self, number: u32) -> bool {
        self.index(number).is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_map_to_indexes() {
        let p = PortIndex::new(&[(1, 0), (2, 1), (10, 2)]);
        assert_eq!(p.index(1), Some(0));
        assert_eq!(p.index(10), Some(2));
        assert_eq!(p.index(0), None);
        assert_eq!(p.index(11), None);
        assert_eq!(p.index(u32::MAX), None);
        assert!(p.contains(2) && !p.contains(3));
        let gaps = PortIndex::new(&[(0, 3), (7, 0)]);
        assert_eq!((gaps.index(0), gaps.index(7)), (Some(3), Some(0)));
        assert!(PortIndex::new(&[]).index(0).is_none());
    }
}
