//! Flow setup over the control socket: while dpswitchd forwards a replayed
//! stream of 64-byte UDP frames from a pcap port to a null port, one
//! client installs 100,000 distinct megaflows, pipelined, and this reports
//! flows per second, the forwarding rate before and during the installs,
//! and their ratio. Two runs: every flow under one mask, then the flows
//! spread over eight masks.
//!
//! A bench target with its own main (harness = false) rather than a
//! script: cargo builds dpswitchd in the optimised bench profile and hands
//! its path over (CARGO_BIN_EXE_dpswitchd), and the daemon launch and
//! pcap writer of the integration tests are shared.
//!
//! ```text
//! cargo bench --bench flow_setup [-- FLOWS [SECONDS]]
//! ```
//!
//! Under `cargo test --all-targets` it makes one short pass (2,000 flows).

#[path = "../tests/common/mod.rs"]
mod common;

use common::{install_pipelined, is_root, pcap, Daemon};
use dpswitch::flow::text::{parse_actions, parse_match};
use dpswitch::netlink::consts::*;
use dpswitch::netlink::FlowAttrs;
use dpswitch_client::client::{Client, Request};
use std::time::{Duration, Instant};

/// The pcap port's number (the first vdev, numbered from 1); the sink is
/// port 2.
const SOURCE_PORT: u32 = 1;
const SINK_PORT: u32 = 2;

struct Run {
    flows_per_sec: f64,
    pps_before: f64,
    pps_during: f64,
    /// CPU time per flow of the daemon's management lcore (its main
    /// thread) and of the client, in microseconds: what a busy machine
    /// distorts far less than the wall-clock rate.
    daemon_us: f64,
    client_us: f64,
}

fn main() {
    if !is_root() {
        eprintln!("flow_setup: skipped: needs root (hugepages, DPDK devices)");
        return;
    }
    // cargo bench passes --bench; without it (cargo test --all-targets)
    // one short pass checks that the benchmark still runs.
    let args: Vec<String> = std::env::args().skip(1).collect();
    let bench = args.iter().any(|a| a == "--bench");
    let numbers: Vec<u64> = args
        .iter()
        .filter(|a| !a.starts_with("--"))
        .map(|a| a.parse().expect("usage: flow_setup [FLOWS [SECONDS]]"))
        .collect();
    let flows = numbers
        .first()
        .map_or(if bench { 100_000 } else { 2_000 }, |n| *n as usize);
    let seconds = numbers.get(1).copied().unwrap_or(if bench { 3 } else { 1 });

    let dir = std::env::temp_dir().join(format!("dpswitch-flow-setup-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("work directory");
    let capture = dir.join("udp64.pcap");
    std::fs::write(&capture, pcap(&udp_frames(32))).expect("pcap");
    let vdevs = [
        format!("net_pcap0,rx_pcap={},infinite_rx=1", capture.display()),
        "net_null0,no-rx=1".to_string(),
    ];
    let mut daemon = Daemon::start("flow-setup", &vdevs, &[]);
    daemon.wait_for("control socket listening", Duration::from_secs(30));
    let mut client = Client::connect(&daemon.socket).expect("connect");
    let mut stats = Client::connect(&daemon.socket).expect("connect");
    let dp = client.only_datapath().expect("datapath").dp_ifindex;

    let forward = flow_attrs(
        &format!("in_port({SOURCE_PORT}),eth(),eth_type(0x0800),ipv4(frag=no)"),
        &SINK_PORT.to_string(),
    );
    let req = client
        .flow_request(OVS_FLOW_CMD_NEW, dp, &forward)
        .expect("request")
        .with_flags(NLM_F_CREATE);
    client.request(&req).expect("the forwarding flow");

    let mut runs = Vec::new();
    for (name, masks) in [("1 mask", 1), ("8 masks", 8)] {
        let requests: Vec<Request> = (0..flows)
            .map(|i| {
                let attrs = flow_attrs(&megaflow(i, i % masks), &SOURCE_PORT.to_string());
                client
                    .flow_request(OVS_FLOW_CMD_NEW, dp, &attrs)
                    .expect("request")
                    .with_flags(NLM_F_CREATE)
            })
            .collect();
        // Let the subtable ranking settle on the forwarding flow's mask.
        std::thread::sleep(Duration::from_secs(1));
        let pps_before = forwarding_rate(&mut stats, dp, Duration::from_secs(seconds));

        let (sent_before, started) = (sent(&mut stats, dp), Instant::now());
        let (daemon_cpu, client_cpu) = (cpu_ns(daemon.pid()), cpu_ns(std::process::id()));
        install_pipelined(&mut client, &requests);
        let elapsed = started.elapsed();
        let daemon_cpu = cpu_ns(daemon.pid()) - daemon_cpu;
        let client_cpu = cpu_ns(std::process::id()) - client_cpu;
        let pps_during = (sent(&mut stats, dp) - sent_before) as f64 / elapsed.as_secs_f64();
        let table = client.only_datapath().expect("datapath");
        let installed = table.stats.map_or(0, |s| s.flows);
        assert_eq!(installed, flows as u64 + 1, "every flow installed");
        let run = Run {
            flows_per_sec: flows as f64 / elapsed.as_secs_f64(),
            pps_before,
            pps_during,
            daemon_us: daemon_cpu as f64 / 1e3 / flows as f64,
            client_us: client_cpu as f64 / 1e3 / flows as f64,
        };
        println!(
            "flow_setup: {name}: {flows} flows in {:.3} s = {:.0} flows/s; forwarding {:.2} Mpps before, {:.2} Mpps during, ratio {:.2}; CPU per flow: daemon {:.2} us, client {:.2} us",
            elapsed.as_secs_f64(),
            run.flows_per_sec,
            run.pps_before / 1e6,
            run.pps_during / 1e6,
            run.pps_during / run.pps_before,
            run.daemon_us,
            run.client_us
        );
        runs.push((name, run));
        remove_megaflows(&mut client, dp, &forward);
    }
    // An empty table keeps the exit report short.
    let flush = client
        .flow_request(OVS_FLOW_CMD_DEL, dp, &FlowAttrs::default())
        .expect("request");
    client.request(&flush).expect("flush");
    drop((client, stats));
    let socket_dir = daemon.socket.parent().map(std::path::Path::to_path_buf);
    let (status, _) = daemon.stop();
    let _ = std::fs::remove_dir_all(&dir);
    if let Some(socket_dir) = socket_dir {
        let _ = std::fs::remove_dir_all(socket_dir);
    }
    assert!(status.success(), "dpswitchd exit: {status:?}");
    let summary: Vec<String> = runs
        .iter()
        .map(|(name, r)| {
            format!(
                "{name}: {:.0} flows/s, {:.2} -> {:.2} Mpps ({:.2}), CPU {:.2} + {:.2} us/flow",
                r.flows_per_sec,
                r.pps_before / 1e6,
                r.pps_during / 1e6,
                r.pps_during / r.pps_before,
                r.daemon_us,
                r.client_us
            )
        })
        .collect();
    println!(
        "flow_setup summary: {flows} megaflows over the socket, one pipelined client: {}",
        summary.join("; ")
    );
}

/// `count` 64-byte Ethernet frames (as captured, no FCS) of one UDP flow.
fn udp_frames(count: usize) -> Vec<Vec<u8>> {
    (0..count)
        .map(|i| {
            let mut frame = Vec::new();
            etherparse::PacketBuilder::ethernet2([2, 0, 0, 0, 0, 1], [2, 0, 0, 0, 0, 2])
                .ipv4([10, 0, 0, 1], [10, 0, 0, 2], 64)
                .udp(1000, 2000)
                .write(&mut frame, &[i as u8; 22])
                .expect("frame");
            assert_eq!(frame.len(), 64);
            frame
        })
        .collect()
}

/// Megaflow `i` under mask `mask` (0..8): from the sink port, which
/// receives nothing, so none of them takes the forwarded traffic; told
/// apart by a /32 destination, and by mask the fields they also match.
fn megaflow(i: usize, mask: usize) -> String {
    let dst = format!("12.{}.{}.{}", (i >> 16) & 0xff, (i >> 8) & 0xff, i & 0xff);
    let eth = if mask & 1 != 0 {
        "eth(dst=02:00:00:00:00:02)"
    } else {
        "eth()"
    };
    let src = if mask & 2 != 0 {
        "src=10.1.0.0/255.255.0.0,"
    } else {
        ""
    };
    let l4 = if mask & 4 != 0 {
        "proto=17,frag=no),udp(dst=53)"
    } else {
        "frag=no)"
    };
    format!("in_port({SINK_PORT}),{eth},eth_type(0x0800),ipv4({src}dst={dst},{l4}")
}

fn flow_attrs(key: &str, actions: &str) -> FlowAttrs {
    let (key, mask) = parse_match(key).unwrap_or_else(|e| panic!("{key}: {e}"));
    FlowAttrs {
        key: Some(key),
        mask: Some(mask),
        actions: Some(parse_actions(actions).unwrap_or_else(|e| panic!("{actions}: {e}"))),
        ..FlowAttrs::default()
    }
}

/// Deletes everything but the forwarding flow: a flush, then the
/// forwarding flow again.
fn remove_megaflows(client: &mut Client, dp: i32, forward: &FlowAttrs) {
    let flush = client
        .flow_request(OVS_FLOW_CMD_DEL, dp, &FlowAttrs::default())
        .expect("request");
    client.request(&flush).expect("flush");
    let req = client
        .flow_request(OVS_FLOW_CMD_NEW, dp, forward)
        .expect("request")
        .with_flags(NLM_F_CREATE);
    client.request(&req).expect("the forwarding flow");
}

/// Nanoseconds on a CPU so far of the main thread of process `pid` (the
/// daemon's management lcore; this bench's client), from schedstat.
fn cpu_ns(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/schedstat"))
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

/// Packets the sink port has sent.
fn sent(stats: &mut Client, dp: i32) -> u64 {
    stats
        .vports(dp)
        .expect("vports")
        .into_iter()
        .find(|p| p.port_no == SINK_PORT)
        .and_then(|p| p.stats)
        .expect("sink port stats")
        .tx_packets
}

/// Packets per second sent by the sink port over `window`.
fn forwarding_rate(stats: &mut Client, dp: i32, window: Duration) -> f64 {
    let (before, started) = (sent(stats, dp), Instant::now());
    std::thread::sleep(window);
    (sent(stats, dp) - before) as f64 / started.elapsed().as_secs_f64()
}
