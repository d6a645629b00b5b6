//! How many free mbufs an execute must leave the PMDs. Executed packets
//! wait in the ports' inject rings, outside what the pool was sized for:
//! unbounded, a controller's executes could take the mbufs the rx rings
//! are refilled from, and ports would drop what they receive (rx_nombuf).

/// Free mbufs (`rte_mempool_avail_count`, lcore caches included) below
/// which an execute is refused: each PMD lcore's next burst and full
/// upcall queue, what the management lcore's cache may hold out of reach
/// of the PMDs (DPDK lets a cache grow to 1.5 times its size before it
/// flushes), and the copies one execute may make.
pub fn exec_floor(pmd_lcores: u32, burst: u32, upcall_queue: u32, cache: u32) -> u32 {
    pmd_lcores * (burst + upcall_queue) + cache * 3 / 2 + burst
}

/// Whether an execute may take mbufs now.
pub fn may_execute(free: u32, floor: u32) -> bool {
    free > floor
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_smallest_pool_keeps_room_for_executes_and_the_pmds_reserve() {
        // Two ports of 64-descriptor rings, one PMD lcore, 64 upcalls
        // queued, caches of 256: 896 mbufs, 128 of them in the rx rings.
        let floor = exec_floor(1, 64, 64, 256);
        assert_eq!(floor, 576);
        assert!(may_execute(896 - 128, floor));
        assert!(!may_execute(floor, floor));
    }

    #[test]
    fn every_pmd_lcore_adds_its_burst_and_queue() {
        assert_eq!(
            exec_floor(3, 32, 1024, 256) - exec_floor(2, 32, 1024, 256),
            32 + 1024
        );
    }
}
