//! Memory given back: a table filled with N megaflows (UFIDs, one mask,
//! pipelined from one client as Open vSwitch installs them) and flushed,
//! three times over, leaves dpswitchd's resident set within 10% of where
//! it started, and DPDK's heap where it was, cycle after cycle. Read from
//! the daemon's own once-a-second memory line (`--stats-interval 1`).
//!
//! N is 100,000 here (a debug build installs them in seconds); set
//! DPSWITCH_MEMORY_FLOWS for more, e.g. 1,000,000 in a release build:
//! `DPSWITCH_MEMORY_FLOWS=1000000 cargo test --release --test memory_cycles -- --nocapture`.

mod common;

use common::{install_pipelined, require_root, Daemon};
use dpswitch::flow::text::parse_match;
use dpswitch::netlink::consts::*;
use dpswitch::netlink::FlowAttrs;
use dpswitch_client::client::{Client, Request};
use std::collections::HashMap;
use std::time::Duration;

const CYCLES: usize = 3;

/// The fields of a `dpswitchd: stats: memory k=v ...` line.
fn memory_line(daemon: &mut Daemon) -> HashMap<String, u64> {
    let line = daemon.wait_for("stats: memory", Duration::from_secs(10));
    line.split_whitespace()
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_string(), v.parse().expect("a number")))
        .collect()
}

/// The first memory line that shows `flows` flows, then the one after it
/// (a second later: frees reclaimed, the heap trimmed).
fn settled_with(daemon: &mut Daemon, flows: u64) -> HashMap<String, u64> {
    while memory_line(daemon)["flows"] != flows {}
    memory_line(daemon)
}

fn megaflow(i: usize) -> FlowAttrs {
    let key = format!(
        "in_port(1),eth(),eth_type(0x0800),ipv4(src=10.{}.{}.{},dst=192.168.0.1,proto=17,frag=no),udp(src={},dst=53)",
        (i >> 16) & 0xff,
        (i >> 8) & 0xff,
        i & 0xff,
        1024 + (i >> 24)
    );
    let (key, mask) = parse_match(&key).unwrap_or_else(|e| panic!("{key}: {e}"));
    let mut ufid = [0u8; 16];
    ufid[..8].copy_from_slice(&(i as u64 + 1).to_le_bytes());
    FlowAttrs {
        key: Some(key),
        mask: Some(mask),
        actions: Some(Vec::new()),
        ufid: Some(ufid.to_vec()),
        ..FlowAttrs::default()
    }
}

#[test]
#[ignore = "needs root: DPDK"]
fn flushed_flows_give_their_memory_back_cycle_after_cycle() {
    require_root("DPDK");
    let flows: usize = std::env::var("DPSWITCH_MEMORY_FLOWS")
        .ok()
        .map_or(100_000, |n| n.parse().expect("DPSWITCH_MEMORY_FLOWS"));
    let dir = std::env::temp_dir().join(format!("dpswitch-memory-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("memory.toml");
    std::fs::write(&config, format!("[datapath]\nflow_limit = {}\n", flows + 1)).unwrap();
    let config_arg = config.display().to_string();
    let mut daemon = Daemon::start(
        "memory",
        &[],
        &["--config", &config_arg, "--stats-interval", "1"],
    );
    daemon.wait_for("control socket listening", Duration::from_secs(60));
    let mut client = Client::connect(&daemon.socket).expect("connect");
    let dp = client.only_datapath().expect("datapath").dp_ifindex;
    let requests: Vec<Request> = (0..flows)
        .map(|i| {
            client
                .flow_request(OVS_FLOW_CMD_NEW, dp, &megaflow(i))
                .expect("request")
                .with_flags(NLM_F_CREATE)
        })
        .collect();
    let start = settled_with(&mut daemon, 0);
    println!("memory: start {start:?}");

    for cycle in 1..=CYCLES {
        install_pipelined(&mut client, &requests);
        let full = settled_with(&mut daemon, flows as u64);
        let flush = client
            .flow_request(OVS_FLOW_CMD_DEL, dp, &FlowAttrs::default())
            .expect("request");
        client.request(&flush).expect("flush");
        let after = settled_with(&mut daemon, 0);
        let per_flow = |k: &str| (full[k] as f64 - start[k] as f64) / flows as f64;
        println!(
            "memory: cycle {cycle}: {flows} flows: rss {} -> {} -> {} KiB ({:.0} B/flow), \
             DPDK heap {} -> {} -> {} B ({:.0} B/flow), process heap {} -> {} -> {} B ({:.0} B/flow)",
            start["rss_kib"],
            full["rss_kib"],
            after["rss_kib"],
            per_flow("rss_kib") * 1024.0,
            start["dpdk_heap_bytes"],
            full["dpdk_heap_bytes"],
            after["dpdk_heap_bytes"],
            per_flow("dpdk_heap_bytes"),
            start["process_heap_bytes"],
            full["process_heap_bytes"],
            after["process_heap_bytes"],
            per_flow("process_heap_bytes"),
        );
        assert!(
            full["rss_kib"] > start["rss_kib"] + (flows as u64 / 10_000),
            "the flows took memory at all"
        );
        assert!(
            after["rss_kib"] * 10 <= start["rss_kib"] * 11,
            "cycle {cycle}: resident {} KiB after the flush, {} at the start",
            after["rss_kib"],
            start["rss_kib"]
        );
        assert!(
            after["dpdk_heap_bytes"] * 100 <= start["dpdk_heap_bytes"] * 101,
            "cycle {cycle}: DPDK heap {} after the flush, {} at the start",
            after["dpdk_heap_bytes"],
            start["dpdk_heap_bytes"]
        );
    }
    drop(client);
    let (status, _) = daemon.stop();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(status.success(), "dpswitchd exit: {status:?}");
}
