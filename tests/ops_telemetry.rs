//! DPDK telemetry on a running dpswitchd started with a `--file-prefix`:
//! `dpdk-telemetry.py -f PREFIX`, fed commands on its stdin, answers
//! DPDK's own endpoints (`/ethdev/list`, `/ethdev/stats,<id>`,
//! `/ethdev/xstats,<id>`, `/eal/params`) and dpswitch's (`/dpswitch/dp`,
//! `/dpswitch/pmd`, `/dpswitch/flows`) with the counters of the pings
//! that crossed the switch.

mod common;

use common::{
    assert_clean_exit, ping_answered, plumb, require_tool, run, shared_tap_switch, telemetry,
    Netns, PING_FLOWS,
};
use serde_json::Value;
use std::time::Duration;

const PINGS: u32 = 10;
const FLOW_LIMIT: u64 = 5000;

fn field(v: &Value, path: &[&str]) -> u64 {
    let mut at = v;
    for key in path {
        at = at
            .get(key)
            .unwrap_or_else(|| panic!("no {key:?} ({path:?}) in {v}"));
    }
    at.as_u64()
        .unwrap_or_else(|| panic!("{path:?} is not a number in {v}"))
}

#[test]
#[ignore = "needs root: network namespaces"]
fn telemetry_reports_ports_datapath_pmds_and_flows() {
    common::require_netns_tests(false);
    require_tool("dpdk-telemetry.py", "dpdk-dev");
    let id = std::process::id() % 100_000;
    let prefix = format!("dpswitch-tele-{id}");
    let (ia, ib) = (format!("dptl{id}a"), format!("dptl{id}b"));
    let daemon = shared_tap_switch(
        "tele",
        &prefix,
        &[&ia, &ib],
        &PING_FLOWS,
        &format!("flow_limit = {FLOW_LIMIT}"),
    );
    let (na, nb) = (
        Netns::new(format!("dpswitch-tl-{id}-a")),
        Netns::new(format!("dpswitch-tl-{id}-b")),
    );
    // Fixed MACs and static neighbours: no ARP, only the pings cross.
    run("ip", &["link", "set", &ia, "address", "02:00:00:00:78:01"]);
    run("ip", &["link", "set", &ib, "address", "02:00:00:00:78:02"]);
    plumb(&na, &ia, "10.78.0.1", "10.78.0.2", "02:00:00:00:78:02");
    plumb(&nb, &ib, "10.78.0.2", "10.78.0.1", "02:00:00:00:78:01");

    let answered = ping_answered(&na, "10.78.0.2", PINGS, "0.05");
    assert_eq!(answered, PINGS, "every ping crosses the switch both ways");
    // The management lcore publishes what telemetry reads every 100 ms.
    std::thread::sleep(Duration::from_millis(500));

    let replies = telemetry(
        &prefix,
        &[
            "/",
            "/ethdev/list",
            "/ethdev/stats,0",
            "/ethdev/xstats,0",
            "/eal/params",
            "/dpswitch/dp",
            "/dpswitch/pmd",
            "/dpswitch/flows",
        ],
    );
    let n = u64::from(PINGS);

    let commands = replies["/"].as_array().expect("the command list");
    for own in ["/dpswitch/dp", "/dpswitch/pmd", "/dpswitch/flows"] {
        assert!(
            commands.iter().any(|c| c == own),
            "{own} registered: {commands:?}"
        );
    }
    let ports = replies["/ethdev/list"].as_array().expect("port ids");
    assert_eq!(ports.len(), 2, "both taps: {ports:?}");
    // DPDK port 0 is net_tap0, datapath port 1: the requests came in there
    // and the replies went out.
    let stats = &replies["/ethdev/stats"];
    assert!(field(stats, &["ipackets"]) >= n, "{stats}");
    assert!(field(stats, &["opackets"]) >= n, "{stats}");
    let xstats = &replies["/ethdev/xstats"];
    assert!(field(xstats, &["rx_good_packets"]) >= n, "{xstats}");
    let params = replies["/eal/params"].to_string();
    assert!(
        params.contains(&format!("--file-prefix={prefix}")),
        "{params}"
    );

    let dp = &replies["/dpswitch/dp"];
    assert!(
        field(dp, &["received"]) >= 2 * n,
        "requests and replies: {dp}"
    );
    assert!(field(dp, &["hit"]) >= 2 * n, "{dp}");
    assert_eq!(field(dp, &["flows"]), PING_FLOWS.len() as u64, "{dp}");
    assert!(field(dp, &["masks"]) >= 1, "{dp}");
    for key in ["missed", "lost", "mask_hit", "cache_hit", "upcall_lost"] {
        field(dp, &[key]);
    }
    assert_eq!(
        field(dp, &["received"]),
        field(dp, &["hit"]) + field(dp, &["missed"]),
        "every packet a hit or a miss: {dp}"
    );

    let pmd = &replies["/dpswitch/pmd"];
    assert_eq!(
        pmd.as_object()
            .map(|o| o.keys().cloned().collect::<Vec<_>>()),
        Some(vec!["1".to_string()]),
        "one PMD, on lcore 1: {pmd}"
    );
    assert_eq!(field(pmd, &["1", "lcore"]), 1, "{pmd}");
    assert!(field(pmd, &["1", "rx_packets"]) >= 2 * n, "{pmd}");
    assert_eq!(
        field(pmd, &["1", "rx_packets"]),
        field(dp, &["received"]),
        "the only PMD received everything: {pmd} {dp}"
    );
    field(pmd, &["1", "busy_cycles"]);

    let flows = &replies["/dpswitch/flows"];
    assert_eq!(field(flows, &["count"]), PING_FLOWS.len() as u64, "{flows}");
    assert_eq!(field(flows, &["limit"]), FLOW_LIMIT, "{flows}");
    assert_eq!(field(flows, &["masks"]), field(dp, &["masks"]), "{flows}");

    let (status, lines) = daemon.stop();
    assert_clean_exit(status, &lines);
    assert!(
        !std::path::Path::new(&format!("/var/run/dpdk/{prefix}")).exists(),
        "runtime directory removed"
    );
}
