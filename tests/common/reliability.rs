//! Shared by the reliability tests: a switch of net_tap ports with flows
//! from a config, background processes that end with the test, and what
//! a clean exit leaves behind.

use super::{Daemon, Netns};
use std::collections::BTreeSet;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// ARP and ICMP between ports 1 and 2, both ways.
pub const PING_FLOWS: [(&str, &str); 4] = [
    ("in_port(1),eth(),eth_type(0x0806),arp()", "2"),
    ("in_port(2),eth(),eth_type(0x0806),arp()", "1"),
    (
        "in_port(1),eth(),eth_type(0x0800),ipv4(proto=1,frag=no),icmp()",
        "2",
    ),
    (
        "in_port(2),eth(),eth_type(0x0800),ipv4(proto=1,frag=no),icmp()",
        "1",
    ),
];

/// A daemon whose net_tap ports are numbered 1.. in the order of `ifaces`,
/// with `flows` (match, actions) loaded from its config and `extra` TOML
/// in its `[datapath]` table; the taps have appeared when it returns.
pub fn tap_switch(
    tag: &str,
    ifaces: &[&str],
    flows: &[(&str, &str)],
    extra: &str,
    app: &[&str],
) -> Daemon {
    switch_with(tag, ifaces, &[], flows, extra, app)
}

/// [`tap_switch`] with more devices, `(name, vdev argument)`, numbered
/// after the taps.
pub fn switch_with(
    tag: &str,
    ifaces: &[&str],
    more: &[(String, String)],
    flows: &[(&str, &str)],
    extra: &str,
    app: &[&str],
) -> Daemon {
    switch_on(
        tag,
        None,
        ifaces,
        more,
        flows,
        extra,
        app,
        &super::Launch::default(),
    )
}

/// [`switch_with`] launched as `launch` says (e.g. several PMD lcores).
pub fn switch_launched(
    tag: &str,
    ifaces: &[&str],
    flows: &[(&str, &str)],
    extra: &str,
    launch: &super::Launch<'_>,
) -> Daemon {
    switch_on(tag, None, ifaces, &[], flows, extra, &[], launch)
}

/// [`tap_switch`] with shared memory under `--file-prefix=PREFIX`, for
/// DPDK telemetry and secondary processes such as dpdk-dumpcap.
pub fn shared_tap_switch(
    tag: &str,
    prefix: &str,
    ifaces: &[&str],
    flows: &[(&str, &str)],
    extra: &str,
) -> Daemon {
    switch_on(
        tag,
        Some(prefix),
        ifaces,
        &[],
        flows,
        extra,
        &[],
        &super::Launch::default(),
    )
}

/// [`switch_with`], private memory or shared under `prefix` (which
/// ignores `launch`).
#[allow(clippy::too_many_arguments)]
fn switch_on(
    tag: &str,
    prefix: Option<&str>,
    ifaces: &[&str],
    more: &[(String, String)],
    flows: &[(&str, &str)],
    extra: &str,
    app: &[&str],
    launch: &super::Launch<'_>,
) -> Daemon {
    let dir = super::test_socket_path(tag).parent().unwrap().to_path_buf();
    let conf = dir.join("switch.toml");
    let mut text = format!("[datapath]\nname = \"{tag}\"\n{extra}\n");
    for k in 0..ifaces.len() {
        text.push_str(&format!(
            "\n[[port]]\nname = \"net_tap{k}\"\nnumber = {}\n",
            k + 1
        ));
    }
    for (k, (name, _)) in more.iter().enumerate() {
        text.push_str(&format!(
            "\n[[port]]\nname = \"{name}\"\nnumber = {}\n",
            ifaces.len() + k + 1
        ));
    }
    for (m, a) in flows {
        text.push_str(&format!("\n[[flow]]\nkey = \"{m}\"\nactions = \"{a}\"\n"));
    }
    std::fs::write(&conf, text).unwrap();
    let mut vdevs: Vec<String> = ifaces
        .iter()
        .enumerate()
        .map(|(k, iface)| format!("net_tap{k},iface={iface}"))
        .collect();
    vdevs.extend(more.iter().map(|(_, vdev)| vdev.clone()));
    let conf_arg = conf.display().to_string();
    let mut args = vec!["--config", conf_arg.as_str()];
    args.extend_from_slice(app);
    let mut daemon = match prefix {
        Some(prefix) => Daemon::start_shared(tag, prefix, &vdevs, &args),
        None => Daemon::start_with(tag, &vdevs, &args, launch),
    };
    daemon.wait_for("control socket listening", Duration::from_secs(60));
    ifaces.iter().for_each(|i| super::wait_for_link(i));
    daemon
}

/// A process in a namespace that is killed when the test ends, pass or fail.
pub struct Background(pub Child);

impl Background {
    pub fn start(ns: &Netns, args: &[&str]) -> Background {
        let child = Command::new("ip")
            .args(["netns", "exec", &ns.0])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("{args:?}: {e}"));
        Background(child)
    }

    /// SIGINT (ping prints its summary on it), then everything it printed.
    pub fn interrupt(mut self) -> String {
        let _ = Command::new("kill")
            .args(["-INT", &self.0.id().to_string()])
            .status();
        super::wait_timeout(&mut self.0, Duration::from_secs(10));
        let mut out = String::new();
        use std::io::Read;
        if let Some(mut s) = self.0.stdout.take() {
            let _ = s.read_to_string(&mut out);
        }
        if let Some(mut s) = self.0.stderr.take() {
            let _ = s.read_to_string(&mut out);
        }
        out
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

/// `(transmitted, received)` of a ping summary.
pub fn ping_summary(out: &str) -> (u64, u64) {
    let line = out
        .lines()
        .find(|l| l.contains("packets transmitted"))
        .unwrap_or_else(|| panic!("no ping summary in {out}"));
    let number = |suffix: &str| {
        line.split(", ")
            .find_map(|p| p.trim().strip_suffix(suffix))
            .and_then(|n| n.trim().parse().ok())
            .unwrap_or_else(|| panic!("{suffix:?} in {line}"))
    };
    (number(" packets transmitted"), number(" received"))
}

/// Pings until one is answered; panics after `timeout`.
pub fn ping_until_answered(ns: &Netns, to: &str, timeout: Duration) {
    let deadline = std::time::Instant::now() + timeout;
    while super::ping_answered(ns, to, 1, "1") == 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "{to} unanswered from {} for {timeout:?}",
            ns.0
        );
    }
}

/// The files in /dev/hugepages (none when it is not there).
pub fn hugepage_files() -> BTreeSet<String> {
    std::fs::read_dir("/dev/hugepages")
        .map(|dir| {
            dir.filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// Asserts the daemon exited 0 with every mbuf back in its pool.
pub fn assert_clean_exit(status: std::process::ExitStatus, lines: &[String]) {
    assert!(status.success(), "dpswitchd exit: {status:?}; {lines:?}");
    assert!(
        lines.iter().any(|l| l.contains("mbufs in use 0 of")),
        "mbufs left in use: {lines:?}"
    );
}

/// Asserts the datapath counted each packet it received once: a hit or a miss.
pub fn assert_counters_add_up(lines: &[String]) -> std::collections::HashMap<String, u64> {
    let dp = super::datapath_exit_counters(lines);
    assert_eq!(
        dp["received"],
        dp["hit"] + dp["missed"],
        "received = hit + missed: {dp:?}"
    );
    dp
}
