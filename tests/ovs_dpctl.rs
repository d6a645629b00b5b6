//! Debian's `ovs-dpctl`, unmodified, drives dpswitchd through the
//! `dpswitch-run` netlink adapter, as it drives the kernel datapath: two
//! taps in network namespaces ping each other through flows it installs,
//! its counters show the pings, a flow modified to drop stops them; a
//! veth whose peer sits in a third namespace is added as a port, carries
//! a ping and is removed while traffic runs, with every mbuf back at exit.

mod common;

use common::ovs::dpswitch_run;
use common::{plumb, wait_for_link, Daemon, Netns};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

const OVS_DPCTL: &str = "/usr/bin/ovs-dpctl";
const UFID: &str = "5c1c6d55-0f3e-4bd6-9c1b-3d09b1a1e2f0";

struct Dpctl {
    socket: PathBuf,
}

impl Dpctl {
    fn run(&self, args: &[&str]) -> Output {
        Command::new(dpswitch_run())
            .arg("--socket")
            .arg(&self.socket)
            .arg(OVS_DPCTL)
            .args(args)
            .output()
            .expect("dpswitch-run ovs-dpctl runs")
    }

    /// A command that must succeed, with nothing to say on stderr but
    /// its informational log lines (such as "The kernel module does not
    /// support meters.", as on a kernel without meters); its stdout lines.
    fn ok(&self, args: &[&str]) -> Vec<String> {
        let out = self.run(args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success(),
            "ovs-dpctl {args:?} failed ({:?}): {stderr}",
            out.status
        );
        let complaints: Vec<&str> = stderr.lines().filter(|l| !l.contains("|INFO|")).collect();
        assert!(
            complaints.is_empty(),
            "ovs-dpctl {args:?} complained: {stderr}"
        );
        String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(str::to_owned)
            .collect()
    }

    /// The port number `ovs-dpctl show` gives the port named `name`.
    fn port(&self, name: &str) -> u32 {
        let show = self.ok(&["show"]);
        let suffix = format!(": {name}");
        show.iter()
            .filter_map(|l| l.trim().strip_prefix("port "))
            .find_map(|l| {
                let (number, rest) = l.split_once(':')?;
                (format!(":{rest}").starts_with(&suffix)).then(|| number.parse().unwrap())
            })
            .unwrap_or_else(|| panic!("no port {name} in {show:#?}"))
    }

    /// The dump-flows line of the flow whose match starts as `key` ends.
    fn flow_line(&self, in_port: u32) -> String {
        let needle = format!("in_port({in_port})");
        self.ok(&["dump-flows"])
            .into_iter()
            .find(|l| l.contains(&needle))
            .unwrap_or_else(|| panic!("no flow from port {in_port}"))
    }
}

fn mac_of(iface: &str) -> String {
    std::fs::read_to_string(format!("/sys/class/net/{iface}/address"))
        .unwrap_or_else(|e| panic!("{iface}: {e}"))
        .trim()
        .to_string()
}

/// `count` pings from `ns` to `to`; how many were answered.
fn ping(ns: &Netns, to: &str, count: u32) -> u32 {
    common::ping_answered(ns, to, count, "0.2")
}

fn ip4_flow(from: u32) -> String {
    format!("in_port({from}),eth(),eth_type(0x0800),ipv4(frag=no)")
}

#[test]
#[ignore = "needs root: namespaces, taps, DPDK"]
fn ovs_dpctl_drives_dpswitch_through_the_adapter() {
    assert!(
        Path::new(OVS_DPCTL).exists(),
        "{OVS_DPCTL} is missing: scripts/setup.sh installs openvswitch-switch"
    );
    assert!(common::is_root(), "needs root: namespaces, taps, DPDK");
    let id = std::process::id() % 100_000;
    let (tap_a, tap_b) = (format!("dpoa{id}"), format!("dpob{id}"));
    let (veth, peer) = (format!("dpov{id}"), format!("dpop{id}"));
    let ns_a = Netns::new(format!("dpsw-ova-{id}"));
    let ns_b = Netns::new(format!("dpsw-ovb-{id}"));
    let ns_c = Netns::new(format!("dpsw-ovc-{id}"));

    let mut daemon = Daemon::start(
        "ovsdpctl",
        &[
            format!("net_tap0,iface={tap_a}"),
            format!("net_tap1,iface={tap_b}"),
        ],
        &[],
    );
    daemon.wait_for("control socket listening", Duration::from_secs(60));
    let dpctl = Dpctl {
        socket: daemon.socket.clone(),
    };
    for tap in [&tap_a, &tap_b] {
        wait_for_link(tap);
    }
    let (mac_a, mac_b) = (mac_of(&tap_a), mac_of(&tap_b));
    plumb(&ns_a, &tap_a, "10.77.0.1", "10.77.0.2", &mac_b);
    plumb(&ns_b, &tap_b, "10.77.0.2", "10.77.0.1", &mac_a);

    assert_eq!(dpctl.ok(&["dump-dps"]), ["system@dp0"]);
    let (a, b) = (dpctl.port(&tap_a), dpctl.port(&tap_b));
    assert_ne!(a, b);
    assert!(dpctl.ok(&["dump-flows"]).is_empty());

    // Flows both ways, the way back with a UFID: the pings are answered
    // and counted.
    let back = format!("ufid:{UFID},{}", ip4_flow(b));
    dpctl.ok(&["add-flow", &ip4_flow(a), &b.to_string()]);
    dpctl.ok(&["add-flow", &back, &a.to_string()]);
    assert_eq!(ping(&ns_a, "10.77.0.2", 3), 3, "pings pass the flows");
    let there = dpctl.flow_line(a);
    assert!(
        there.contains("packets:3,") && there.ends_with(&format!("actions:{b}")),
        "{there}"
    );
    assert!(dpctl.flow_line(b).contains("packets:3,"));
    // -m: the UFID first, every field with its mask, ports by name.
    let verbose = dpctl.ok(&["dump-flows", "-m"]);
    let line = verbose
        .iter()
        .find(|l| l.starts_with(&format!("ufid:{UFID},")))
        .unwrap_or_else(|| panic!("no flow with ufid {UFID} in {verbose:#?}"));
    assert!(
        line.contains(&format!("in_port({tap_b})")) && line.contains("skb_mark(0/0)"),
        "{line}"
    );
    // A flow added with a UFID is found by its UFID, as in the kernel.
    let got = dpctl.ok(&["get-flow", &format!("ufid:{UFID}")]);
    assert!(
        got.len() == 1 && got[0].contains("packets:3,"),
        "get-flow: {got:#?}"
    );
    // show -s reads every port's counters.
    let stats = dpctl.ok(&["show", "-s"]);
    assert!(
        stats.iter().filter(|l| l.contains("RX packets:")).count() >= 2,
        "{stats:#?}"
    );
    let hits: u64 = stats
        .iter()
        .find_map(|l| l.trim().strip_prefix("lookups: hit:"))
        .and_then(|l| l.split_whitespace().next()?.parse().ok())
        .unwrap_or_else(|| panic!("no lookups line: {stats:#?}"));
    assert!(hits >= 6, "both ways of three pings hit: {stats:#?}");

    // Modified to drop (an empty action list: ovs-dpctl's `drop` keyword
    // is the explicit drop action of Linux 6.4, which Debian 12's kernel
    // and dpswitch refuse with EINVAL), the flow stops the pings; back,
    // they pass again.
    let out = dpctl.run(&["mod-flow", &ip4_flow(a), "drop"]);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("(Invalid argument)"),
        "{out:?}"
    );
    dpctl.ok(&["mod-flow", &ip4_flow(a), ""]);
    assert!(dpctl.flow_line(a).ends_with("actions:drop"));
    assert_eq!(
        ping(&ns_a, "10.77.0.2", 2),
        0,
        "a dropping flow stops pings"
    );
    dpctl.ok(&["mod-flow", &ip4_flow(a), &b.to_string()]);
    assert_eq!(ping(&ns_a, "10.77.0.2", 2), 2);
    dpctl.ok(&["del-flow", &back]);
    assert_eq!(dpctl.ok(&["dump-flows"]).len(), 1);
    dpctl.ok(&["del-flows"]);
    assert!(dpctl.ok(&["dump-flows"]).is_empty());

    // A veth whose peer sits in a third namespace becomes a port.
    common::run(
        "ip",
        &["link", "add", &veth, "type", "veth", "peer", "name", &peer],
    );
    common::run("ip", &["link", "set", &veth, "up"]);
    let mac_c = mac_of(&peer);
    plumb(&ns_c, &peer, "10.77.0.3", "10.77.0.1", &mac_a);
    ns_a.exec(&[
        "ip",
        "neigh",
        "replace",
        "10.77.0.3",
        "lladdr",
        &mac_c,
        "dev",
        &tap_a,
        "nud",
        "permanent",
    ]);
    dpctl.ok(&["add-if", "dp0", &veth]);
    let c = dpctl.port(&veth);
    assert!(c != a && c != b);
    dpctl.ok(&["add-flow", &ip4_flow(a), &c.to_string()]);
    dpctl.ok(&["add-flow", &ip4_flow(c), &a.to_string()]);
    assert_eq!(ping(&ns_a, "10.77.0.3", 3), 3, "pings cross the veth port");

    // Removed while a ping runs: forwarding goes on for the other ports
    // and nothing is lost at exit.
    let mut flood = Command::new("ip")
        .args(["netns", "exec", &ns_a.0, "ping", "-n", "-q", "-i", "0.01"])
        .args(["-c", "150", "10.77.0.3"])
        .stdout(Stdio::null())
        .spawn()
        .expect("ping starts");
    std::thread::sleep(Duration::from_millis(500));
    dpctl.ok(&["del-if", "dp0", &veth]);
    let _ = flood.wait();
    let show = dpctl.ok(&["show"]);
    assert!(!show.iter().any(|l| l.contains(&veth)), "{show:#?}");
    dpctl.ok(&["add-flow", &ip4_flow(b), &a.to_string()]);
    dpctl.ok(&["mod-flow", &ip4_flow(a), &b.to_string()]);
    assert_eq!(ping(&ns_a, "10.77.0.2", 2), 2, "the taps still forward");

    let (status, lines) = daemon.stop();
    let _ = Command::new("ip").args(["link", "del", &veth]).output();
    assert!(status.success(), "dpswitchd exit: {status:?}");
    assert!(
        lines.iter().any(|l| l.contains("mbufs in use 0 of")),
        "every mbuf came back: {lines:#?}"
    );
}
