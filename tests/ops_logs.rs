//! dpswitchd's events in DPDK's log, as an operator reads them: clients
//! that come and go, refused commands naming their errno, the flow limit
//! reached (one line, then a count), lost upcalls, links going down and
//! up; debug lines only when `--log-level` asks for them.

mod common;

use common::errno::*;
use common::{assert_fails, flow_text, ControlDaemon, Ctl, Daemon, Launch, Netns};
use dpswitch::flow::odp::Action;
use dpswitch::netlink::consts::*;
use dpswitch::netlink::flow::FlowAttrs;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(10);
const FLOW_LIMIT: u8 = 4;
const OVER_THE_LIMIT: u8 = 20;

fn arp_flow(n: u8) -> FlowAttrs {
    flow_text(
        &format!("in_port(0),eth(src=02:00:00:00:00:{n:02x},dst=02:00:00:00:00:02),eth_type(0x0806),arp()"),
        Some("1"),
    )
}

/// A flow NEW without a key: refused with EINVAL, a malformed request.
fn refused_without_key(ctl: &mut Ctl) {
    let attrs = FlowAttrs {
        actions: Some(vec![Action::Output(1)]),
        ..FlowAttrs::default()
    };
    let r = ctl.flow(OVS_FLOW_CMD_NEW, NLM_F_CREATE, &attrs);
    assert_fails(&r, EINVAL, Some("Flow key attr not present in new flow."));
}

/// A flow GET of a flow that is not there: an ordinary refusal (ENOENT).
fn refused_no_such_flow(ctl: &mut Ctl) {
    let r = ctl.flow(
        OVS_FLOW_CMD_GET,
        0,
        &flow_text("in_port(0),eth(),eth_type(0x0806),arp()", None),
    );
    assert_fails(&r, ENOENT, None);
}

/// `connection N` of a line that names one.
fn connection_of(line: &str) -> u32 {
    let at = line.find("connection ").unwrap_or_else(|| panic!("{line}")) + "connection ".len();
    line[at..]
        .split_whitespace()
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no connection number in {line}"))
}

#[test]
#[ignore = "needs root: hugepages, DPDK devices"]
fn at_debug_clients_refusals_the_flow_limit_and_lost_upcalls_are_logged() {
    let config = format!("[datapath]\nflow_limit = {FLOW_LIMIT}\n");
    let mut d = ControlDaemon::start_with_eal(
        "logs-debug",
        &config,
        &[],
        &["--log-level=dpswitch.*:debug"],
    );
    let me = std::process::id();
    let who = format!("(pid {me} uid 0)");

    // The test's own connection, opened as the daemon started.
    let opened = d
        .daemon
        .wait_for(&format!("opened by pid {me} uid 0 (admin)"), WAIT);
    assert!(
        opened.starts_with("dpswitchd: control: connection "),
        "{opened}"
    );

    // A malformed request: one line naming the connection, the command
    // and the errno, with the reason the client was given.
    refused_without_key(&mut d.ctl);
    let refused = d.daemon.wait_for("Flow key attr not present", WAIT);
    let id = connection_of(&opened);
    assert_eq!(
        refused,
        format!(
            "dpswitchd: control: connection {id} {who}: ovs_flow NEW refused: EINVAL: Flow key attr not present in new flow."
        )
    );
    // An ordinary refusal shows at debug.
    refused_no_such_flow(&mut d.ctl);
    d.daemon.wait_for(
        &format!("connection {id} {who}: ovs_flow GET refused: ENOENT"),
        WAIT,
    );

    // A client that comes and goes.
    let second = Ctl::connect(&d.socket());
    let opened = d
        .daemon
        .wait_for(&format!("opened by pid {me} uid 0 (admin)"), WAIT);
    let second_id = connection_of(&opened);
    assert_ne!(second_id, id);
    drop(second);
    d.daemon.wait_for(
        &format!("dpswitchd: control: connection {second_id} {who} closed"),
        WAIT,
    );

    // The pcap port's misses have no handler: lost, at debug.
    let lost = d.daemon.wait_for("dpswitchd: upcall: lost ", WAIT);
    assert!(lost.contains("port 0 = net_pcap0 no_handler="), "{lost}");

    // The flow limit: the first refusal logged, the rest counted.
    for n in 0..FLOW_LIMIT {
        let r = d.ctl.flow(OVS_FLOW_CMD_NEW, NLM_F_CREATE, &arp_flow(n));
        assert_eq!(r.errno, 0, "flow {n}: {r:?}");
    }
    for n in FLOW_LIMIT..FLOW_LIMIT + OVER_THE_LIMIT {
        let r = d.ctl.flow(OVS_FLOW_CMD_NEW, NLM_F_CREATE, &arp_flow(n));
        assert_fails(&r, EFBIG, None);
    }
    let limit = d
        .daemon
        .wait_for("dpswitchd: flow: flow limit reached: ", WAIT);
    assert!(
        limit.contains(&format!("the table holds {FLOW_LIMIT} flow(s)")) && limit.contains("EFBIG"),
        "{limit}"
    );
    d.daemon
        .wait_for("dpswitchd: flow: flow limit still reached: ", WAIT);
    // Time for a second count, should the refusals have straddled one.
    std::thread::sleep(Duration::from_millis(2500));
    let lines = d.stop();
    let first_lines = lines
        .iter()
        .filter(|l| l.starts_with("dpswitchd: flow: flow limit reached: "))
        .count();
    assert_eq!(first_lines, 1, "one line for the limit reached: {lines:?}");
    let counted: u64 = lines
        .iter()
        .filter_map(|l| l.strip_prefix("dpswitchd: flow: flow limit still reached: "))
        .map(|rest| {
            rest.split_whitespace()
                .next()
                .and_then(|n| n.parse::<u64>().ok())
                .unwrap_or_else(|| panic!("no count in {rest}"))
        })
        .sum();
    assert_eq!(
        counted,
        u64::from(OVER_THE_LIMIT) - 1,
        "every refusal after the first counted once: {lines:?}"
    );
    // The reports are where they were.
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("dpswitchd: exit: flows=4 ")),
        "{lines:?}"
    );
}

#[test]
#[ignore = "needs root: hugepages, DPDK devices"]
fn without_debug_only_refusals_worth_a_line_are_logged() {
    let mut d = ControlDaemon::start("logs-info", "");
    let me = std::process::id();
    refused_without_key(&mut d.ctl);
    refused_no_such_flow(&mut d.ctl);
    let refused = d.daemon.wait_for("Flow key attr not present", WAIT);
    assert!(
        refused.starts_with("dpswitchd: control: connection ")
            && refused.ends_with(
                ": ovs_flow NEW refused: EINVAL: Flow key attr not present in new flow."
            ),
        "{refused}"
    );
    let second = Ctl::connect(&d.socket());
    drop(second);
    // More than one look at the lost upcalls (once a second).
    std::thread::sleep(Duration::from_millis(2500));
    let lines = d.stop();
    let debug: Vec<&String> = lines
        .iter()
        .filter(|l| {
            l.contains(&format!("opened by pid {me}"))
                || (l.starts_with("dpswitchd: control: ") && l.ends_with(" closed"))
                || l.contains("refused: ENOENT")
                || l.starts_with("dpswitchd: upcall: ")
        })
        .collect();
    assert!(
        debug.is_empty(),
        "debug lines at the default level: {debug:?}"
    );
}

#[test]
#[ignore = "needs root: network namespaces"]
fn a_link_going_down_and_up_is_logged() {
    common::require_netns_tests(false);
    assert!(
        std::process::Command::new("ip").arg("-V").output().is_ok(),
        "this test sets links down and up with ip: apt-get install iproute2"
    );
    let id = std::process::id() % 100_000;
    let iface = format!("dplg{id}");
    let ns = Netns::new(format!("dpsw-{id}-logs"));
    // The daemon runs in the namespace: its tap is the namespace's, and
    // the link is set down and up there.
    let mut daemon = Daemon::start_with(
        "logs-link",
        &[format!("net_tap0,iface={iface}")],
        &[],
        &Launch {
            netns: Some(&ns.0),
            ..Launch::default()
        },
    );
    daemon.wait_for("control socket listening", Duration::from_secs(30));
    for round in 1..=2 {
        ns.exec(&["ip", "link", "set", &iface, "down"]);
        daemon.wait_for(
            &format!("dpswitchd: port: port 1 = {iface} link down"),
            WAIT,
        );
        ns.exec(&["ip", "link", "set", &iface, "up"]);
        let up = daemon.wait_for(&format!("dpswitchd: port: port 1 = {iface} link up"), WAIT);
        assert!(up.ends_with("-duplex)"), "round {round}: {up}");
    }
    let (status, lines) = daemon.stop();
    assert!(status.success(), "dpswitchd exit: {status:?}: {lines:?}");
    let prefix = format!("dpswitchd: port: port 1 = {iface} link ");
    let states: Vec<bool> = lines
        .iter()
        .filter_map(|l| l.strip_prefix(&prefix))
        .map(|rest| rest.starts_with("up"))
        .collect();
    assert!(states.len() >= 4, "{lines:?}");
    assert!(
        states.windows(2).all(|w| w[0] != w[1]),
        "one line per change, none repeated: {lines:?}"
    );
}
