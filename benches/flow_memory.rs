//! Memory per megaflow: inserts N distinct 5-tuple megaflows (one mask:
//! in_port, IPv4 addresses, protocol, fragment state and UDP ports, each
//! with a 16-byte UFID and one output action, as Open vSwitch installs
//! them) into a flow table sized for them with one forwarding lcore's
//! counters, and reports the bytes DPDK's heap and the process heap grew
//! by, per flow.
//!
//! ```text
//! cargo bench --bench flow_memory [-- FLOWS]     (default 1,000,000)
//! ```
//!
//! Under `cargo test --all-targets` it makes one short pass (20,000 flows).

#[path = "../tests/common/mod.rs"]
mod common;

use common::{eal_args, is_root, remove_runtime_dir};
use dpswitch::classifier::{FlowTable, TableConfig};
use dpswitch::dpdk::{dpdk_heap_bytes, process_heap_bytes, Eal};
use dpswitch::flow::key::{FlowKey, FlowMask, ETH_TYPE_IPV4, IPPROTO_UDP};
use dpswitch::flow::matching::Match;
use dpswitch::flow::odp::Action;

fn five_tuple(i: u32) -> Match {
    let mut key = FlowKey::default();
    key.set_in_port(0);
    key.set_eth_type(ETH_TYPE_IPV4);
    key.set_nw_proto(IPPROTO_UDP);
    key.set_ipv4_src(0x0a00_0000 | (i >> 8));
    key.set_ipv4_dst(0xc0a8_0000 | (i & 0xff));
    key.set_tp_src(1024 + (i % 32768) as u16);
    key.set_tp_dst(5000 + (i / 32768) as u16);
    let mut mask = FlowMask::default();
    mask.set_in_port(u32::MAX);
    mask.set_eth_type(u16::MAX);
    mask.set_nw_proto(u8::MAX);
    mask.set_nw_frag(u8::MAX);
    mask.set_ipv4_src(u32::MAX);
    mask.set_ipv4_dst(u32::MAX);
    mask.set_tp_src(u16::MAX);
    mask.set_tp_dst(u16::MAX);
    Match { key, mask }
}

fn main() {
    if !is_root() {
        eprintln!("flow_memory: skipped: needs root (hugepages)");
        return;
    }
    let args: Vec<String> = std::env::args().skip(1).collect();
    let bench = args.iter().any(|a| a == "--bench");
    let flows: u32 = args
        .iter()
        .find(|a| !a.starts_with("--"))
        .map(|a| a.parse().expect("usage: flow_memory [FLOWS]"))
        .unwrap_or(if bench { 1_000_000 } else { 20_000 });

    let eal_args = eal_args("flow_memory", &["-l", "0", "--log-level=warning"]);
    let eal = Eal::init(eal_args.clone()).expect("EAL initialises");
    let config = TableConfig {
        max_flows: flows as usize,
        max_readers: 1,
        flow_cache_entries: 0, // per lcore, not per flow
        ..TableConfig::default()
    };
    let (dpdk_before, heap_before) = (dpdk_heap_bytes(&eal), process_heap_bytes());
    let mut table = FlowTable::new(&eal, config).expect("flow table");
    let (dpdk_empty, heap_empty) = (dpdk_heap_bytes(&eal), process_heap_bytes());
    for i in 0..flows {
        let ufid = u128::from(i)
            .wrapping_mul(0x9e37_79b9_7f4a_7c15)
            .to_be_bytes();
        table
            .insert(&five_tuple(i), Some(&ufid[..]), vec![Action::Output(1)])
            .expect("insert");
    }
    let (dpdk_full, heap_full) = (dpdk_heap_bytes(&eal), process_heap_bytes());
    let n = f64::from(flows);
    let per_flow = |before: u64, after: u64| after.saturating_sub(before) as f64 / n;
    let dpdk = per_flow(dpdk_empty, dpdk_full);
    let heap = per_flow(heap_empty, heap_full);
    println!(
        "flow_memory: {flows} flows: {:.0} bytes per flow ({dpdk:.0} DPDK heap + {heap:.0} process heap); \
         the empty table sized for them: {:.0} bytes per flow",
        dpdk + heap,
        per_flow(dpdk_before, dpdk_empty) + per_flow(heap_before, heap_empty),
    );
    assert_eq!(table.datapath_stats().flows, u64::from(flows));
    drop(table);
    eal.cleanup().expect("EAL cleans up");
    remove_runtime_dir(&eal_args);
}
