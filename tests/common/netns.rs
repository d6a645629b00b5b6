//! Network namespaces for the tests, and tap interfaces moved into them.

use super::run;
use std::time::{Duration, Instant};

/// A network namespace that is deleted when the test ends, pass or fail.
pub struct Netns(pub String);

impl Netns {
    pub fn new(name: String) -> Netns {
        let _ = std::process::Command::new("ip")
            .args(["netns", "del", &name])
            .output();
        run("ip", &["netns", "add", &name]);
        Netns(name)
    }
    pub fn exec(&self, args: &[&str]) -> String {
        let mut all = vec!["netns", "exec", &self.0];
        all.extend_from_slice(args);
        run("ip", &all)
    }
    pub fn tx_packets(&self, iface: &str) -> u64 {
        self.iface_stat(iface, "tx_packets")
    }
    /// A counter of /sys/class/net/IFACE/statistics, as this namespace sees it.
    pub fn iface_stat(&self, iface: &str, counter: &str) -> u64 {
        self.exec(&[
            "cat",
            &format!("/sys/class/net/{iface}/statistics/{counter}"),
        ])
        .trim()
        .parse()
        .unwrap_or_else(|e| panic!("{iface} {counter}: {e}"))
    }
    /// A counter of /proc/net/snmp (e.g. `Udp`, `InDatagrams`) in this namespace.
    pub fn snmp(&self, group: &str, counter: &str) -> u64 {
        let snmp = self.exec(&["cat", "/proc/net/snmp"]);
        let prefix = format!("{group}:");
        let rows: Vec<&str> = snmp.lines().filter(|l| l.starts_with(&prefix)).collect();
        let names: Vec<&str> = rows[0].split_whitespace().collect();
        let values: Vec<&str> = rows[1].split_whitespace().collect();
        let i = names
            .iter()
            .position(|n| *n == counter)
            .unwrap_or_else(|| panic!("no {group} {counter} in /proc/net/snmp"));
        values[i].parse().expect("snmp counter")
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = std::process::Command::new("ip")
            .args(["netns", "del", &self.0])
            .output();
    }
}

/// Sends `count` pings from `ns` to `to`, `interval` seconds apart, each
/// waited for up to a second; how many were answered.
pub fn ping_answered(ns: &Netns, to: &str, count: u32, interval: &str) -> u32 {
    let out = std::process::Command::new("ip")
        .args(["netns", "exec", &ns.0, "ping", "-n", "-q", "-W", "1"])
        .args(["-i", interval, "-c", &count.to_string(), to])
        .output()
        .expect("ping runs");
    super::ping_summary(&String::from_utf8_lossy(&out.stdout)).1 as u32
}

pub fn wait_for_link(iface: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !std::path::Path::new(&format!("/sys/class/net/{iface}")).exists() {
        assert!(Instant::now() < deadline, "tap {iface} did not appear");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Moves a tap into a namespace with IPv6 off (so the kernel sends only
/// what the test sends) and an address.
pub fn plumb_addr(ns: &Netns, iface: &str, addr: &str) {
    run("ip", &["link", "set", iface, "netns", &ns.0]);
    ns.exec(&[
        "sysctl",
        "-qw",
        &format!("net.ipv6.conf.{iface}.disable_ipv6=1"),
    ]);
    ns.exec(&["ip", "addr", "add", &format!("{addr}/24"), "dev", iface]);
    ns.exec(&["ip", "link", "set", iface, "up"]);
}

/// `plumb_addr`, plus a static neighbour for the peer (no ARP).
pub fn plumb(ns: &Netns, iface: &str, addr: &str, peer: &str, peer_mac: &str) {
    plumb_addr(ns, iface, addr);
    ns.exec(&[
        "ip",
        "neigh",
        "replace",
        peer,
        "lladdr",
        peer_mac,
        "dev",
        iface,
        "nud",
        "permanent",
    ]);
}

/// The namespace tests need root, and those that capture need tcpdump:
/// without them they fail saying so.
pub fn require_netns_tests(needs_tcpdump: bool) {
    super::require_root("network namespaces");
    if needs_tcpdump {
        let tcpdump = std::process::Command::new("tcpdump")
            .arg("--version")
            .output();
        assert!(
            tcpdump.is_ok(),
            "tcpdump is not installed (scripts/setup.sh installs it)"
        );
    }
}
