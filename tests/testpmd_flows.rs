//! Spec U1 with DPDK's own dpdk-testpmd as source and sink: every packet
//! testpmd sends is received by testpmd, dropped by a flow, or counted as
//! lost, exactly.
//!
//! dpswitchd owns two vhost-user ports. One testpmd, in txonly mode with
//! `--txonly-multi-flow`, sends into port 1 through virtio_user; its UDP
//! frames (198.18.X.3 -> 198.18.0.2, X counting up per packet) fall in
//! three classes by the low bits of X, each handled differently by flows
//! added with dpctl:
//!   X even         -> output to port 2, where a second testpmd, in rxonly
//!                     mode, counts what it receives;
//!   X % 4 == 1     -> a drop flow;
//!   X % 4 == 3     -> no flow: a miss, and with no handler a lost packet.

mod common;

use common::*;
use dpswitch::flow::odp::Action;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

const FORWARD: &str = "in_port(1),eth(),eth_type(0x0800),ipv4(src=0.0.0.0/0.0.1.0)";
const DROP: &str = "in_port(1),eth(),eth_type(0x0800),ipv4(src=0.0.1.0/0.0.3.0)";

fn dpctl(socket: &Path, args: &[&str]) -> String {
    let out = Command::new(common::dpctl_binary())
        .arg("--socket")
        .arg(socket)
        .args(args)
        .output()
        .expect("dpctl runs");
    assert!(
        out.status.success(),
        "dpctl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A `key=value` field of the daemon's datapath exit line.
fn datapath_exit(lines: &[String], name: &str) -> u64 {
    common::datapath_exit_counters(lines)
        .get(name)
        .copied()
        .unwrap_or_else(|| panic!("no {name} in the datapath exit line"))
}

/// The share of `part` in `whole`, asserted near `expected`.
fn assert_share(what: &str, part: u64, whole: u64, expected: f64) {
    let share = part as f64 / whole as f64;
    assert!(
        (share - expected).abs() < 0.1,
        "{what}: {part} of {whole} ({share:.3}), expected about {expected}"
    );
}

#[test]
#[ignore = "needs root: hugepages, vhost-user"]
fn testpmd_traffic_is_received_dropped_by_flow_or_lost_exactly() {
    let testpmd = testpmd_path().expect(
        "dpdk-testpmd is not installed (Debian package dpdk-dev; scripts/setup.sh installs it)",
    );
    common::require_root("hugepages, vhost-user");
    let dir = test_socket_path("testpmd-flows")
        .parent()
        .unwrap()
        .to_path_buf();
    let (source_sock, sink_sock) = (dir.join("vhost0.sock"), dir.join("vhost1.sock"));
    let vdevs = [
        format!("net_vhost0,iface={},queues=1", source_sock.display()),
        format!("net_vhost1,iface={},queues=1", sink_sock.display()),
    ];
    let mut daemon = Daemon::start("testpmd-flows", &vdevs, &[]);
    let running = daemon.wait_for(" running: ", Duration::from_secs(30));
    assert!(
        running.contains("port 1 = net_vhost0, port 2 = net_vhost1"),
        "{running}"
    );
    daemon.wait_for("control socket listening", Duration::from_secs(30));
    let socket = daemon.socket.clone();
    dpctl(&socket, &["add-flow", FORWARD, "2"]);
    dpctl(&socket, &["add-flow", DROP, "drop"]);

    // The sink first, so port 2 has a reader before anything goes out.
    let mut sink = TestPmd::start("testpmd-sink", &testpmd, &sink_sock, "rxonly", &[]);
    sink.wait_for("packet forwarding - ports=1", Duration::from_secs(30));
    let mut source = TestPmd::start(
        "testpmd-source",
        &testpmd,
        &source_sock,
        "txonly",
        &["--txonly-multi-flow"],
    );
    source.wait_for("packet forwarding - ports=1", Duration::from_secs(30));
    std::thread::sleep(Duration::from_secs(3));
    source.stop_forwarding();
    // The source's port stays open while dpswitchd drains its ring and
    // the sink reads what came out (closing it would discard the rest).
    std::thread::sleep(Duration::from_millis(500));
    sink.stop_forwarding();
    let source_out = source.quit();
    let sink_out = sink.quit();
    let sent = testpmd_counter(&source_out, "TX-packets")
        .unwrap_or_else(|| panic!("no TX-packets in:\n{source_out}"));
    let sink_received = testpmd_counter(&sink_out, "RX-packets")
        .unwrap_or_else(|| panic!("no RX-packets in:\n{sink_out}"));

    let mut ctl = Ctl::connect(&socket);
    let flows = ctl.dump_flows();
    let packets_of = |actions: &[Action]| {
        flows
            .iter()
            .find(|f| f.actions.as_deref() == Some(actions))
            .and_then(|f| f.stats)
            .map_or(0, |s| s.packets)
    };
    let forwarded = packets_of(&[Action::Output(2)]);
    let dropped = packets_of(&[]);
    drop(ctl);

    let (status, lines) = daemon.stop();
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_dir_all(socket.parent().unwrap());
    assert!(status.success(), "dpswitchd exit: {status:?}");
    assert!(
        lines.iter().any(|l| l.contains("mbufs in use 0 of")),
        "{lines:?}"
    );
    let source_port = port_exit_counters(&lines, 1);
    let sink_port = port_exit_counters(&lines, 2);
    let received = datapath_exit(&lines, "received");
    let hit = datapath_exit(&lines, "hit");
    let missed = datapath_exit(&lines, "missed");
    let lost = datapath_exit(&lines, "lost");
    let transmitted = sink_port["tx_packets"];
    println!(
        "testpmd sent {sent}, received {sink_received}; dpswitchd port 1 rx {}, port 2 tx {transmitted}; \
         datapath received {received} hit {hit} missed {missed} lost {lost}; \
         flows: forwarded {forwarded}, dropped {dropped}",
        source_port["rx_packets"]
    );

    assert!(sent > 10_000, "testpmd sent only {sent} packets");
    assert!(sink_received > 1000, "the forward flow reached testpmd");
    assert_eq!(
        source_port["rx_packets"], sent,
        "port 1 took what testpmd sent"
    );
    assert_eq!(received, sent, "the PMD classified every packet");
    assert_eq!(hit, forwarded + dropped, "every hit is a flow's");
    assert_eq!(received, hit + missed, "every packet hit or missed");
    // Lost: the misses (no handler), and what port 2 could not take.
    assert_eq!(lost, missed + (forwarded - transmitted), "lost");
    assert_eq!(sink_received, transmitted, "testpmd got what port 2 sent");
    assert_eq!(
        sent,
        sink_received + dropped + lost,
        "every packet received, dropped by a flow or lost"
    );
    assert_share("forwarded", forwarded, sent, 0.5);
    assert_share("dropped", dropped, sent, 0.25);
    assert_share("missed", missed, sent, 0.25);
}
