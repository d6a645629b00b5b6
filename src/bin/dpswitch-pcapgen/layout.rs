//! The benchmark's address layout: which 5-tuple each flow has, chosen so
//! that megaflows with source prefix lengths 1..=10 and destination prefix
//! lengths 1..=10 split the traffic evenly.
//!
//! Flow `f` belongs to group `g = f % 100`; its source prefix length is
//! `a = g / 10 + 1` and its destination prefix length `b = g % 10 + 1`. The
//! source address starts with `a - 1` one bits then a zero bit, the
//! destination with `b - 1` ones then a zero: so the prefix of length `a`
//! (resp. `b`) of every such address is `1^(a-1) 0`, and prefixes of
//! different lengths never overlap (no rule needs a priority over another).
//! The remaining bits are pseudo-random, so that a megaflow keyed on the
//! whole address could not stand in for the prefix.

/// Prefix lengths run 1..=MAX_PREFIX on each side.
pub const MAX_PREFIX: u32 = 10;
/// Flows are spread over MAX_PREFIX * MAX_PREFIX groups.
pub const GROUPS: u32 = MAX_PREFIX * MAX_PREFIX;

/// The 5-tuple of one flow (UDP over IPv4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FlowTuple {
    pub src: u32,
    pub dst: u32,
    pub src_port: u16,
    pub dst_port: u16,
}

/// Source and destination prefix lengths of flow `f`.
pub fn prefix_lengths(f: u32) -> (u32, u32) {
    let g = f % GROUPS;
    (g / MAX_PREFIX + 1, g % MAX_PREFIX + 1)
}

/// The network part of the prefix of length `len`: `len - 1` ones then a
/// zero, left-aligned in 32 bits.
pub fn prefix_value(len: u32) -> u32 {
    assert!((1..=MAX_PREFIX).contains(&len), "prefix length {len}");
    ones(len - 1)
}

/// The netmask of a prefix of length `len`.
pub fn netmask(len: u32) -> u32 {
    ones(len)
}

/// `n` leading one bits.
fn ones(n: u32) -> u32 {
    if n == 0 {
        0
    } else {
        u32::MAX << (32 - n)
    }
}

/// An address in the prefix of length `len`, its host bits from `noise`.
fn address(len: u32, noise: u32) -> u32 {
    prefix_value(len) | (noise & !netmask(len))
}

/// Flow `f`'s 5-tuple.
pub fn flow_tuple(f: u32) -> FlowTuple {
    let (a, b) = prefix_lengths(f);
    let noise = splitmix64(u64::from(f));
    FlowTuple {
        src: address(a, noise as u32),
        dst: address(b, (noise >> 32) as u32),
        src_port: 1024 + (f % 32768) as u16,
        dst_port: 5000 + (f / 32768) as u16,
    }
}

/// A fixed, well-mixed function of the flow number (SplitMix64's
/// finaliser), so every run writes the same capture.
fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The number of leading one bits, then whether a zero follows them.
    fn leading_ones_then_zero(addr: u32) -> (u32, bool) {
        let n = addr.leading_ones();
        (n, n < 32 && addr & (1 << (31 - n)) == 0)
    }

    #[test]
    fn groups_cover_every_prefix_pair_once() {
        let mut seen = std::collections::HashSet::new();
        for f in 0..GROUPS {
            let (a, b) = prefix_lengths(f);
            assert!((1..=MAX_PREFIX).contains(&a) && (1..=MAX_PREFIX).contains(&b));
            assert!(seen.insert((a, b)), "pair {a},{b} twice");
        }
        assert_eq!(prefix_lengths(0), (1, 1));
        assert_eq!(prefix_lengths(9), (1, 10));
        assert_eq!(prefix_lengths(10), (2, 1));
        assert_eq!(prefix_lengths(199), (10, 10));
    }

    #[test]
    fn addresses_start_with_len_minus_one_ones_then_a_zero() {
        for f in 0..70_000 {
            let t = flow_tuple(f);
            let (a, b) = prefix_lengths(f);
            assert_eq!(
                leading_ones_then_zero(t.src),
                (a - 1, true),
                "flow {f} src {:#x}",
                t.src
            );
            assert_eq!(
                leading_ones_then_zero(t.dst),
                (b - 1, true),
                "flow {f} dst {:#x}",
                t.dst
            );
            assert_eq!(t.src & netmask(a), prefix_value(a));
            assert_eq!(t.dst & netmask(b), prefix_value(b));
        }
    }

    #[test]
    fn prefix_values_are_the_expected_networks() {
        assert_eq!((prefix_value(1), netmask(1)), (0x0000_0000, 0x8000_0000));
        assert_eq!((prefix_value(2), netmask(2)), (0x8000_0000, 0xc000_0000));
        assert_eq!((prefix_value(3), netmask(3)), (0xc000_0000, 0xe000_0000));
        assert_eq!((prefix_value(10), netmask(10)), (0xff80_0000, 0xffc0_0000));
    }

    #[test]
    fn host_bits_vary_between_flows_of_a_group() {
        let hosts: std::collections::HashSet<(u32, u32)> = (0..1000)
            .step_by(GROUPS as usize)
            .map(|f| {
                let t = flow_tuple(f);
                (t.src & !netmask(1), t.dst & !netmask(1))
            })
            .collect();
        assert_eq!(hosts.len(), 10, "ten flows of group 0, ten host parts");
    }

    #[test]
    fn ports_follow_the_flow_number() {
        assert_eq!(
            (flow_tuple(0).src_port, flow_tuple(0).dst_port),
            (1024, 5000)
        );
        let t = flow_tuple(32767);
        assert_eq!((t.src_port, t.dst_port), (1024 + 32767, 5000));
        let t = flow_tuple(32768 + 5);
        assert_eq!((t.src_port, t.dst_port), (1029, 5001));
    }

    #[test]
    fn every_tuple_of_64k_flows_is_distinct() {
        let tuples: std::collections::HashSet<FlowTuple> = (0..65_536).map(flow_tuple).collect();
        assert_eq!(tuples.len(), 65_536);
    }
}
