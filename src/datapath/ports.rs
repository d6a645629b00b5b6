//! Datapath port number -> port index, for output actions on the fast
//! path: a flat array, one load per output.

use crate::flow::matching::DP_MAX_PORTS;

pub struct PortIndex {
    by_number: Vec<u16>,
}

const NONE: u16 = u16::MAX;

impl PortIndex {
    /// `numbers[i]` is the datapath number of port index `i`; every number
    /// must be below DP_MAX_PORTS (the plan checks it).
    pub fn new(numbers: &[u32]) -> PortIndex {
        let len = numbers.iter().map(|n| *n as usize + 1).max().unwrap_or(0);
        let mut by_number = vec![NONE; len.min(DP_MAX_PORTS as usize)];
        for (i, n) in numbers.iter().enumerate() {
            if let Some(slot) = by_number.get_mut(*n as usize) {
                *slot = i as u16;
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
        let p = PortIndex::new(&[1, 2, 10]);
        assert_eq!(p.index(1), Some(0));
        assert_eq!(p.index(10), Some(2));
        assert_eq!(p.index(0), None);
        assert_eq!(p.index(11), None);
        assert_eq!(p.index(u32::MAX), None);
        assert!(p.contains(2) && !p.contains(3));
    }
}
