//! The PMD and upcall windows as an operator reads them with dpctl, on a
//! switch of two net_tap ports whose hosts sit in network namespaces:
//! `pmd-perf-show` counts exactly the packets sent (N pings: N requests
//! and N replies received and transmitted), with cycles per packet and
//! every hit accounted; misses without a handler show as lost upcalls, in
//! `pmd-perf-show` and per port in `upcall-show`; `pmd-rxq-show` gives
//! both queues to the PMD; `pmd-stats-clear` starts over; the flow limit's
//! refusals and the table's maximum show in `upcall-show`; an idle PMD
//! sleeps after `pmd-sleep-set` and still forwards.

mod common;

use common::{dpctl_at, dpctl_ok, plumb_addr, tap_switch, Netns, PING_FLOWS};
use std::path::Path;
use std::time::Duration;

/// The number after `label` on the line that starts with it (spaces
/// trimmed), e.g. `Rx packets:` -> 40.
fn figure(text: &str, label: &str) -> f64 {
    let line = text
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with(label))
        .unwrap_or_else(|| panic!("no {label:?} line in\n{text}"));
    line[label.len()..]
        .split_whitespace()
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no number in {line:?}"))
}

/// The number inside `(... NUMBER unit` after `label`, e.g. the cycles in
/// `Rx packets: 40  (1 Kpps, 900 cycles/pkt)`.
fn figure_before(text: &str, label: &str, unit: &str) -> f64 {
    let line = text
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with(label))
        .unwrap_or_else(|| panic!("no {label:?} line in\n{text}"));
    let before = line
        .split(unit)
        .next()
        .unwrap_or_else(|| panic!("no {unit:?} in {line:?}"));
    before
        .rsplit([' ', '('])
        .find(|w| !w.is_empty())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no number before {unit:?} in {line:?}"))
}

fn mac_of(ns: &Netns, iface: &str) -> String {
    ns.exec(&["cat", &format!("/sys/class/net/{iface}/address")])
        .trim()
        .to_string()
}

fn neighbour(ns: &Netns, iface: &str, ip: &str, mac: &str) {
    ns.exec(&[
        "ip",
        "neigh",
        "replace",
        ip,
        "lladdr",
        mac,
        "dev",
        iface,
        "nud",
        "permanent",
    ]);
}

/// `upcall-show`'s count of port `port`'s misses lost for want of a
/// handler.
fn no_handler_losses(text: &str, port: u32) -> u64 {
    let prefix = format!("port {port} upcalls lost: no handler:");
    text.lines()
        .find_map(|l| l.trim().strip_prefix(&prefix))
        .and_then(|rest| rest.split_whitespace().next()?.parse().ok())
        .unwrap_or_else(|| panic!("no {prefix:?} in\n{text}"))
}

fn ping(ns: &Netns, to: &str, count: u32) -> u32 {
    common::ping_answered(ns, to, count, "0.02")
}

fn perf(socket: &Path) -> String {
    dpctl_ok(socket, &["pmd-perf-show"])
}

#[test]
#[ignore = "needs root: network namespaces"]
fn pmd_perf_rxq_and_upcall_windows_count_what_was_sent() {
    common::require_netns_tests(false);
    let id = std::process::id() % 100_000;
    let (ia, ib) = (format!("dpo{id}a"), format!("dpo{id}b"));
    // Room for the 4 ping flows and 2 more.
    let daemon = tap_switch("ops-pmd", &[&ia, &ib], &PING_FLOWS, "flow_limit = 6", &[]);
    let socket = daemon.socket.clone();
    let (na, nb) = (
        Netns::new(format!("dpswitch-{id}-oa")),
        Netns::new(format!("dpswitch-{id}-ob")),
    );
    plumb_addr(&na, &ia, "10.66.0.1");
    plumb_addr(&nb, &ib, "10.66.0.2");
    // Static neighbours: the kernel sends only the echoes.
    neighbour(&na, &ia, "10.66.0.2", &mac_of(&nb, &ib));
    neighbour(&nb, &ib, "10.66.0.1", &mac_of(&na, &ia));

    // pmd-perf-show: N pings are 2N packets received and sent.
    dpctl_ok(&socket, &["pmd-stats-clear"]);
    let n = 20;
    assert_eq!(ping(&na, "10.66.0.2", n), n, "pings answered");
    let text = perf(&socket);
    println!("{text}");
    let n = f64::from(n);
    assert!(text.contains("pmd thread core_id 1:"), "{text}");
    assert_eq!(figure(&text, "Rx packets:"), 2.0 * n, "{text}");
    assert_eq!(figure(&text, "Tx packets:"), 2.0 * n, "{text}");
    assert_eq!(figure(&text, "Datapath passes:"), 2.0 * n, "{text}");
    let hits = figure(&text, "- Flow cache hits:") + figure(&text, "- Megaflow hits:");
    assert_eq!(hits, 2.0 * n, "every packet hit a flow: {text}");
    assert_eq!(figure(&text, "- Upcalls:"), 0.0, "{text}");
    assert!(
        figure_before(&text, "Rx packets:", "cycles/pkt") > 0.0,
        "{text}"
    );
    assert!(figure(&text, "- busy iterations:") > 0.0, "{text}");
    assert!(
        figure(&text, "Iterations:") > figure(&text, "- busy iterations:"),
        "an idle PMD iterates: {text}"
    );
    assert!(figure(&text, "Tx batches:") >= 1.0, "{text}");
    assert_eq!(
        figure(&text, "- sleep iterations:"),
        0.0,
        "sleep is off: {text}"
    );

    // Misses without a handler: lost upcalls, in both windows (upcall-show
    // counts since the start, when the taps came up and spoke).
    let before = no_handler_losses(&dpctl_ok(&socket, &["upcall-show"]), 1);
    let misses = 5;
    na.exec(&[
        "bash",
        "-c",
        &format!("for i in $(seq {misses}); do echo x > /dev/udp/10.66.0.2/9999; done"),
    ]);
    std::thread::sleep(Duration::from_millis(300));
    let text = perf(&socket);
    assert_eq!(
        figure(&text, "Rx packets:"),
        2.0 * n + misses as f64,
        "{text}"
    );
    assert_eq!(figure(&text, "- Lost upcalls:"), misses as f64, "{text}");
    let upcalls = dpctl_ok(&socket, &["upcall-show"]);
    println!("{upcalls}");
    assert_eq!(no_handler_losses(&upcalls, 1), before + misses, "{upcalls}");
    assert!(
        upcalls.contains("upcall queue  : core_id 1: 0 waiting of "),
        "{upcalls}"
    );

    // pmd-rxq-show: the PMD polls both ports' queue 0; port 1 brought the
    // requests and the misses.
    let rxqs = dpctl_ok(&socket, &["pmd-rxq-show"]);
    println!("{rxqs}");
    let queue_lines: Vec<&str> = rxqs
        .lines()
        .filter(|l| l.contains("queue-id:  0"))
        .collect();
    assert_eq!(queue_lines.len(), 2, "{rxqs}");
    assert!(
        queue_lines[0].ends_with(&format!("packets: {}", n as u64 + misses)),
        "{rxqs}"
    );
    assert!(
        queue_lines[1].ends_with(&format!("packets: {}", n as u64)),
        "{rxqs}"
    );

    // pmd-stats-clear starts the figures over.
    dpctl_ok(&socket, &["dpif-netdev/pmd-stats-clear"]);
    let text = dpctl_ok(&socket, &["pmd-stats-show"]);
    assert_eq!(figure(&text, "Rx packets:"), 0.0, "{text}");

    // Stage timing: where the cycles of exactly these packets went.
    dpctl_ok(&socket, &["pmd-stage-cycles", "on"]);
    assert_eq!(ping(&na, "10.66.0.2", 5), 5, "pings answered while timing");
    dpctl_ok(&socket, &["pmd-stage-cycles", "off"]);
    let text = perf(&socket);
    let stages = text
        .lines()
        .find(|l| l.contains("Stages (cycles/pkt over 10 pkts): rx "))
        .unwrap_or_else(|| panic!("no stage line for 10 packets in\n{text}"));
    for stage in ["rx", "extract", "classify", "actions", "tx"] {
        let cycles: f64 = stages
            .split(&format!(" {stage} "))
            .nth(1)
            .and_then(|rest| rest.trim_end_matches(',').split(',').next())
            .and_then(|n| n.trim().parse().ok())
            .unwrap_or_else(|| panic!("no {stage} figure in {stages:?}"));
        assert!(cycles > 0.0, "{stage} took no cycles: {stages}");
    }

    // The flow limit: two more flows fit, the third is refused (EFBIG).
    for port in [7000, 7001] {
        let key =
            format!("in_port(1),eth(),eth_type(0x0800),ipv4(proto=17,frag=no),udp(dst={port})");
        dpctl_ok(&socket, &["add-flow", &key, "2"]);
    }
    let refused = dpctl_at(
        &socket,
        &[
            "add-flow",
            "in_port(1),eth(),eth_type(0x0800),ipv4(proto=17,frag=no),udp(dst=7002)",
            "2",
        ],
    );
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("File too large"), "{stderr}");
    std::thread::sleep(Duration::from_millis(2100)); // two averaging ticks
    let upcalls = dpctl_ok(&socket, &["upcall/show"]);
    assert!(
        upcalls.contains("(current 6)") && upcalls.contains("(max 6) (limit 6)"),
        "{upcalls}"
    );
    assert!(
        upcalls.contains("flows refused : 1 (flow limit reached)"),
        "{upcalls}"
    );
    let avg = figure_before(&upcalls, "flows", ") (max");
    assert!(
        avg > 4.0 && avg <= 6.0,
        "average moves towards 6: {upcalls}"
    );

    // Sleep: an idle PMD sleeps, and still forwards every ping.
    assert_eq!(
        dpctl_ok(&socket, &["pmd-sleep-set", "500"]).trim(),
        "PMD max sleep: 500 usecs"
    );
    dpctl_ok(&socket, &["pmd-stats-clear"]);
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(
        ping(&na, "10.66.0.2", 10),
        10,
        "pings answered while sleeping"
    );
    let text = perf(&socket);
    println!("{text}");
    assert!(figure(&text, "- sleep iterations:") > 0.0, "{text}");
    assert!(figure(&text, "Sleep time (us):") > 100_000.0, "{text}");
    assert_eq!(figure(&text, "Rx packets:"), 20.0, "{text}");
    let too_long = dpctl_at(&socket, &["pmd-sleep-set", "10001"]);
    assert!(!too_long.status.success());
    let stderr = String::from_utf8_lossy(&too_long.stderr);
    assert!(stderr.contains("ERANGE"), "{stderr}");
    assert_eq!(
        dpctl_ok(&socket, &["pmd-sleep-show"]).trim(),
        "PMD max sleep: 500 usecs"
    );
    dpctl_ok(&socket, &["pmd-sleep-set", "0"]);
    assert_eq!(
        dpctl_ok(&socket, &["pmd-sleep-show"]).trim(),
        "PMD max sleep: 0 usecs (sleeping disabled)"
    );

    let (status, _) = daemon.stop();
    assert!(status.success(), "dpswitchd exit: {status:?}");
}
