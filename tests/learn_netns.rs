//! `dpctl learn` as the datapath's controller: hosts in network namespaces
//! behind dpswitchd's net_tap ports, no flows configured. The controller
//! handles the misses, and the hosts reach each other through the flows it
//! installs (in_port + Ethernet source + destination); a host's MAC moving
//! to another port takes its flows along, and MACs whose flows go unused
//! age out.

mod common;

use common::{wait_for_link, Controller, Daemon, Netns};
use dpswitch_client::client::{Client, DpStats};
use dpswitch_client::learn::{Mac, Megaflow};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// One host: its namespace, interface, address and MAC; on port `port`.
struct Host {
    ns: Netns,
    iface: String,
    addr: String,
    mac: Mac,
    port: u32,
}

impl Host {
    /// Moves the tap into a fresh namespace with IPv6 off (only the
    /// test's traffic), the given MAC, an address, and ARP left dynamic:
    /// the first frames are broadcasts the controller floods.
    fn plumb(ns: Netns, iface: &str, n: u32) -> Host {
        let mac: Mac = format!("02:00:00:00:00:{n:02x}").parse().unwrap();
        let addr = format!("10.91.0.{n}");
        common::run("ip", &["link", "set", iface, "netns", &ns.0]);
        ns.exec(&[
            "sysctl",
            "-qw",
            &format!("net.ipv6.conf.{iface}.disable_ipv6=1"),
        ]);
        ns.exec(&[
            "ip",
            "link",
            "set",
            "dev",
            iface,
            "address",
            &mac.to_string(),
        ]);
        ns.exec(&["ip", "addr", "add", &format!("{addr}/24"), "dev", iface]);
        ns.exec(&["ip", "link", "set", iface, "up"]);
        Host {
            ns,
            iface: iface.to_string(),
            addr,
            mac,
            port: n,
        }
    }

    /// Pings `to` `count` times; how many replies came back.
    fn ping(&self, to: &str, count: u32) -> u32 {
        let out = Command::new("ip")
            .args(["netns", "exec", &self.ns.0, "ping", "-n", "-q"])
            .args(["-c", &count.to_string(), "-i", "0.2", "-W", "2", to])
            .output()
            .expect("ping runs");
        let text = String::from_utf8_lossy(&out.stdout);
        text.split(", ")
            .find_map(|part| part.strip_suffix(" received"))
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("no ping summary: {text}"))
    }
}

fn dp_stats(socket: &Path) -> DpStats {
    let mut client = Client::connect(socket).expect("connect");
    let dp = client.only_datapath().expect("datapath");
    dp.stats.expect("stats")
}

/// The flows as `dpctl dump-flows` prints them, without their counters:
/// `<match> actions:<actions>`, the form `Megaflow` prints.
fn flows(socket: &Path) -> BTreeSet<String> {
    let out = Command::new(common::dpctl_binary())
        .arg("--socket")
        .arg(socket)
        .arg("dump-flows")
        .output()
        .expect("dpctl dump-flows");
    assert!(out.status.success(), "dump-flows: {out:?}");
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|line| {
            let (flow, _) = line.split_once(", packets:").expect("counters");
            let (_, actions) = line.split_once("actions:").expect("actions");
            format!("{flow} actions:{actions}")
        })
        .collect()
}

/// The upcall port id of each port, in port order.
fn handlers(socket: &Path) -> Vec<Vec<u32>> {
    let mut client = Client::connect(socket).expect("connect");
    let dp = client.only_datapath().expect("datapath");
    let mut ports = client.vports(dp.dp_ifindex).expect("vports");
    ports.sort_by_key(|p| p.port_no);
    ports.into_iter().map(|p| p.upcall_pids).collect()
}

fn flow(from: &Host, src: Mac, to: &Host, dst: Mac) -> String {
    Megaflow {
        in_port: from.port,
        src,
        dst,
        out_port: to.port,
    }
    .to_string()
}

/// A datapath of `n` net_tap ports numbered 1..=n, no flows; each port's
/// tap in a namespace of its own.
fn switch_with_hosts(tag: &str, n: u32) -> (Daemon, Vec<Host>) {
    let id = std::process::id() % 100_000;
    let ifaces: Vec<String> = (1..=n).map(|k| format!("dpl{id}{tag}{k}")).collect();
    let conf = std::env::temp_dir().join(format!("dpswitch-learn-{tag}-{id}.toml"));
    let mut text = String::from("[datapath]\nname = \"learn\"\n");
    for k in 1..=n {
        text.push_str(&format!(
            "\n[[port]]\nname = \"net_tap{}\"\nnumber = {k}\n",
            k - 1
        ));
    }
    std::fs::write(&conf, text).unwrap();
    let vdevs: Vec<String> = ifaces
        .iter()
        .enumerate()
        .map(|(i, iface)| format!("net_tap{i},iface={iface}"))
        .collect();
    let mut daemon = Daemon::start(
        &format!("learn{tag}"),
        &vdevs,
        &["--config", conf.to_str().unwrap()],
    );
    daemon.wait_for("control socket listening", Duration::from_secs(30));
    let _ = std::fs::remove_file(&conf);
    ifaces.iter().for_each(|i| wait_for_link(i));
    let hosts = (1..=n)
        .map(|k| {
            let ns = Netns::new(format!("dpswitch-{id}-l{tag}{k}"));
            Host::plumb(ns, &ifaces[k as usize - 1], k)
        })
        .collect();
    (daemon, hosts)
}

fn socket_of(daemon: &Daemon) -> PathBuf {
    daemon.socket.clone()
}

/// The tests' daemons share the PMD core: one at a time.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

#[test]
#[ignore = "needs root: network namespaces"]
fn hosts_reach_each_other_through_learned_flows_and_a_moved_mac_follows() {
    common::require_netns_tests(false);
    let _alone = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let (daemon, hosts) = switch_with_hosts("m", 3);
    let socket = socket_of(&daemon);
    let mut controller = Controller::start(&socket, 300);
    assert!(
        handlers(&socket)
            .iter()
            .all(|pids| pids.len() == 1 && pids[0] != 0),
        "the controller handles every port: {:?}",
        handlers(&socket)
    );

    // Every pair: the first frames (ARP broadcasts, then the first
    // unicasts) come up and are sent on by the controller.
    for a in &hosts {
        for b in &hosts {
            if a.port != b.port {
                let got = a.ping(&b.addr, 4);
                assert!(got >= 3, "{} -> {}: {got} of 4 replies", a.addr, b.addr);
            }
        }
    }
    for h in &hosts {
        controller.wait_for(&format!("learn: {} on port {}", h.mac, h.port));
    }
    let mut expected = BTreeSet::new();
    for a in &hosts {
        for b in &hosts {
            if a.port != b.port {
                expected.insert(flow(a, a.mac, b, b.mac));
            }
        }
    }
    assert_eq!(flows(&socket), expected, "one flow per ordered pair");
    for f in &expected {
        controller.wait_for(&format!("flow: {f}"));
    }

    // The flows carry the traffic now: nothing misses any more.
    let before = dp_stats(&socket);
    for a in &hosts {
        for b in &hosts {
            if a.port != b.port {
                assert_eq!(a.ping(&b.addr, 3), 3, "{} -> {}", a.addr, b.addr);
            }
        }
    }
    let after = dp_stats(&socket);
    assert_eq!(after.missed, before.missed, "{before:?} -> {after:?}");
    assert!(
        after.hit >= before.hit + 6 * 3 * 2,
        "echoes and replies hit flows: {before:?} -> {after:?}"
    );
    assert_eq!(after.flows, 6);
    let quiet = controller.new_lines();
    assert!(
        quiet
            .iter()
            .all(|l| !l.starts_with("flow:") && !l.starts_with("learn:")),
        "nothing new to learn: {quiet:?}"
    );

    // Host 1 leaves; host 2 takes its MAC and talks to host 3.
    let (h1, h2, h3) = (&hosts[0], &hosts[1], &hosts[2]);
    h1.ns.exec(&["ip", "link", "set", "dev", &h1.iface, "down"]);
    h2.ns.exec(&[
        "ip",
        "link",
        "set",
        "dev",
        &h2.iface,
        "address",
        &h1.mac.to_string(),
    ]);
    let got = h2.ping(&h3.addr, 4);
    assert!(got >= 3, "after the move: {got} of 4 replies");
    controller.wait_for(&format!("move: {} from port 1 to port 2", h1.mac));
    let mut deleted = vec![
        flow(h1, h1.mac, h2, h2.mac),
        flow(h1, h1.mac, h3, h3.mac),
        flow(h2, h2.mac, h1, h1.mac),
        flow(h3, h3.mac, h1, h1.mac),
    ];
    deleted.sort();
    let moved_to = flow(h2, h1.mac, h3, h3.mac);
    let back = flow(h3, h3.mac, h2, h1.mac);
    controller.wait_for(&format!("flow: {back}"));
    controller.wait_for(&format!("flow: {moved_to}"));
    let mut deletes: Vec<String> = controller
        .seen
        .iter()
        .filter_map(|l| l.strip_prefix("delete: "))
        .map(str::to_string)
        .collect();
    deletes.sort();
    assert_eq!(deletes, deleted, "every flow naming the moved MAC");
    let now: BTreeSet<String> = [
        flow(h2, h2.mac, h3, h3.mac),
        flow(h3, h3.mac, h2, h2.mac),
        moved_to,
        back,
    ]
    .into_iter()
    .collect();
    assert_eq!(flows(&socket), now);

    // Stopping hands the ports back and takes the flows along.
    let (status, last) = controller.stop();
    assert!(status.success(), "dpctl learn exit: {status:?} {last:?}");
    assert_eq!(
        last.iter().filter(|l| l.starts_with("delete: ")).count(),
        4,
        "{last:?}"
    );
    assert_eq!(handlers(&socket), vec![vec![0]; 3]);
    assert!(flows(&socket).is_empty());
    let (status, _) = daemon.stop();
    assert!(status.success(), "dpswitchd exit: {status:?}");
}

#[test]
#[ignore = "needs root: network namespaces"]
fn macs_age_out_only_once_their_flows_go_unused() {
    common::require_netns_tests(false);
    let _alone = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let (daemon, hosts) = switch_with_hosts("a", 2);
    let socket = socket_of(&daemon);
    let mut controller = Controller::start(&socket, 2);
    let (a, b) = (&hosts[0], &hosts[1]);

    // Pings for 5 s, well past the 2 s idle time: after the first
    // exchange they all ride the flows, whose use keeps both MACs.
    let got = a.ping(&b.addr, 25);
    assert!(got >= 24, "{got} of 25 replies");
    controller.new_lines();
    assert!(
        controller.seen.iter().all(|l| !l.starts_with("age:")),
        "aged while in use: {:?}",
        controller.seen
    );
    let expected: BTreeSet<String> = [flow(a, a.mac, b, b.mac), flow(b, b.mac, a, a.mac)]
        .into_iter()
        .collect();
    assert_eq!(flows(&socket), expected);

    // Quiet: both MACs go, with their flows.
    for h in [a, b] {
        controller.wait_for(&format!("age: {} on port {}", h.mac, h.port));
    }
    let deadline = Instant::now() + Duration::from_secs(5);
    while !flows(&socket).is_empty() {
        assert!(
            Instant::now() < deadline,
            "flows left: {:?}",
            flows(&socket)
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let (status, _) = controller.stop();
    assert!(status.success());
    let (status, _) = daemon.stop();
    assert!(status.success(), "dpswitchd exit: {status:?}");
}
