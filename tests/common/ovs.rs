//! Open vSwitch's own ovs-vswitchd on dpswitchd, as `scripts/ovs.sh` runs
//! it: dpswitchd with no ports, a private ovsdb-server and ovs-vswitchd
//! (through the dpswitch-run adapter) in a temporary directory, bridge
//! `br0` with veth ports whose peers sit in network namespaces.

use super::{is_root, run, Daemon, Netns};
use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const OVS_VSWITCHD: &str = "/usr/lib/openvswitch-switch/ovs-vswitchd";
const SCHEMA: &str = "/usr/share/openvswitch/vswitch.ovsschema";

/// The adapter's launcher, from the dpswitch-run package.
pub fn dpswitch_run() -> PathBuf {
    super::workspace_binary("dpswitch-run")
}

/// One namespace behind the bridge: the veth `port` (its bridge side) and
/// `eth0` with `addr` inside.
pub struct Host {
    pub ns: Netns,
    pub port: String,
    pub addr: String,
}

/// ovs-vswitchd's bridge `br0` on a dpswitchd of its own.
pub struct OvsBridge {
    pub daemon: Daemon,
    pub dir: PathBuf,
    pub hosts: Vec<Host>,
    /// The subnet's first three octets: hosts are .1, .2, ..., br0 .254.
    pub subnet: String,
    vswitchd_runs: u32,
}

impl OvsBridge {
    /// dpswitchd, ovsdb-server and ovs-vswitchd; `br0` with `hosts` veth
    /// ports, namespace `i` holding address `subnet.i`. Ports are named
    /// `dpo<tag><i>`: tags must be short and differ between tests.
    pub fn start(tag: &str, subnet: &str, hosts: usize) -> OvsBridge {
        assert!(is_root(), "needs root: namespaces, veths, DPDK");
        for tool in [OVS_VSWITCHD, "/usr/sbin/ovsdb-server", "/usr/bin/ovs-vsctl"] {
            assert!(
                Path::new(tool).exists(),
                "{tool} is missing: scripts/setup.sh installs openvswitch-switch"
            );
        }
        let dir = std::env::temp_dir().join(format!("dpswitch-ovs-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("run directory");
        let socket = dir.join("dpswitch.sock");
        let socket_arg = socket.display().to_string();
        let mut daemon = Daemon::start(&format!("ovs{tag}"), &[], &["--socket", &socket_arg]);
        daemon.wait_for("control socket listening", Duration::from_secs(60));
        let mut bridge = OvsBridge {
            daemon,
            dir,
            hosts: Vec::new(),
            subnet: subnet.to_string(),
            vswitchd_runs: 0,
        };
        let db = bridge.path("conf.db");
        run("ovsdb-tool", &["create", &db, SCHEMA]);
        bridge.ovs(
            "ovsdb-server",
            &[
                &db,
                &format!("--remote=punix:{}", bridge.path("db.sock")),
                "--pidfile",
                "--detach",
                &format!("--log-file={}", bridge.path("ovsdb-server.log")),
                "-vconsole:off",
            ],
        );
        bridge.vsctl(&["--no-wait", "init"]);
        bridge.start_vswitchd();
        bridge.vsctl(&["add-br", "br0"]);
        // IPv4 only, so that the megaflows are the tests' own.
        run("sysctl", &["-qw", "net.ipv6.conf.br0.disable_ipv6=1"]);
        for i in 1..=hosts {
            bridge.add_host(tag, i);
        }
        bridge
    }

    fn add_host(&mut self, tag: &str, i: usize) {
        let port = format!("dpo{tag}{i}");
        let ns = Netns::new(format!("dpsw-ovs-{tag}-{i}"));
        let _ = Command::new("ip").args(["link", "del", &port]).output();
        run(
            "ip",
            &[
                "link", "add", &port, "type", "veth", "peer", "name", "eth0", "netns", &ns.0,
            ],
        );
        // dpswitchd reads the veth through AF_PACKET, which does not say
        // that a checksum was left for hardware to fill in: as for every
        // userspace datapath, the sender must fill it in itself.
        ns.exec(&["ethtool", "-K", "eth0", "tx", "off"]);
        ns.exec(&["sysctl", "-qw", "net.ipv6.conf.eth0.disable_ipv6=1"]);
        run(
            "sysctl",
            &["-qw", &format!("net.ipv6.conf.{port}.disable_ipv6=1")],
        );
        let addr = format!("{}.{i}", self.subnet);
        ns.exec(&["ip", "addr", "add", &format!("{addr}/24"), "dev", "eth0"]);
        ns.exec(&["ip", "link", "set", "eth0", "up"]);
        run("ip", &["link", "set", &port, "up"]);
        self.vsctl(&["add-port", "br0", &port]);
        self.hosts.push(Host { ns, port, addr });
    }

    pub fn path(&self, name: &str) -> String {
        self.dir.join(name).display().to_string()
    }

    /// An OVS program with this bridge's run directory, which must succeed.
    fn ovs(&self, program: &str, args: &[&str]) -> String {
        let out = self.ovs_output(program, args);
        assert!(
            out.status.success(),
            "{program} {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// An OVS program with this bridge's run directory, which may fail.
    pub fn ovs_output(&self, program: &str, args: &[&str]) -> Output {
        self.ovs_command(program)
            .args(args)
            .output()
            .expect(program)
    }

    fn ovs_command(&self, program: &str) -> Command {
        let mut cmd = Command::new(program);
        for var in ["OVS_RUNDIR", "OVS_DBDIR", "OVS_LOGDIR", "OVS_SYSCONFDIR"] {
            cmd.env(var, &self.dir);
        }
        cmd
    }

    pub fn vsctl(&self, args: &[&str]) -> String {
        let db = format!("--db=unix:{}", self.path("db.sock"));
        let mut all = vec![db.as_str(), "--timeout=30"];
        all.extend_from_slice(args);
        self.ovs("ovs-vsctl", &all)
    }

    pub fn ofctl(&self, args: &[&str]) -> String {
        self.ovs("ovs-ofctl", args)
    }

    pub fn appctl(&self, args: &[&str]) -> String {
        self.ovs("ovs-appctl", args)
    }

    /// Starts ovs-vswitchd through the adapter; each run logs to a file
    /// of its own (`ovs-vswitchd-N.log`).
    pub fn start_vswitchd(&mut self) {
        self.vswitchd_runs += 1;
        let log = self.path(&format!("ovs-vswitchd-{}.log", self.vswitchd_runs));
        let out = self
            .ovs_command(dpswitch_run().to_str().unwrap())
            .arg("--socket")
            .arg(&self.daemon.socket)
            .arg(OVS_VSWITCHD)
            .arg(format!("unix:{}", self.path("db.sock")))
            .args(["--pidfile", "--detach", "-vconsole:off"])
            .arg(format!("--log-file={log}"))
            .output()
            .expect("ovs-vswitchd starts");
        assert!(out.status.success(), "ovs-vswitchd: {out:?}");
    }

    /// Stops ovs-vswitchd as a service manager would (SIGTERM), leaving
    /// the datapath, its ports and flows in place.
    pub fn stop_vswitchd(&self) {
        stop_pidfile(&self.dir.join("ovs-vswitchd.pid"));
    }

    /// Every line of every ovs-vswitchd log at level `level`.
    pub fn log_lines(&self, level: &str) -> Vec<String> {
        let needle = format!("|{level}|");
        (1..=self.vswitchd_runs)
            .flat_map(|n| {
                std::fs::read_to_string(self.path(&format!("ovs-vswitchd-{n}.log")))
                    .unwrap_or_default()
                    .lines()
                    .filter(|l| l.contains(&needle))
                    .map(str::to_owned)
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    /// ovs-vswitchd logged no error (and no emergency) in any run.
    pub fn assert_no_errors(&self) {
        let errors: Vec<String> = ["ERR", "EMER"]
            .iter()
            .flat_map(|l| self.log_lines(l))
            .collect();
        assert!(errors.is_empty(), "ovs-vswitchd logged errors: {errors:#?}");
    }

    /// dpswitch's own `dpctl` on this datapath.
    pub fn dpctl(&self, args: &[&str]) -> String {
        let socket = self.daemon.socket.display().to_string();
        let mut all = vec!["--socket", socket.as_str()];
        all.extend_from_slice(args);
        run(&super::dpctl_binary().display().to_string(), &all)
    }

    /// The datapath port number of port `name`, from `dpctl show`.
    pub fn port_number(&self, name: &str) -> u32 {
        let show = self.dpctl(&["show"]);
        show.lines()
            .filter_map(|l| l.trim().strip_prefix("port "))
            .find_map(|l| {
                let (number, rest) = l.split_once(": ")?;
                (rest.split_whitespace().next() == Some(name)).then(|| number.parse().ok())?
            })
            .unwrap_or_else(|| panic!("no port {name} in {show}"))
    }

    /// The megaflows as `key actions:...`, without their statistics, as
    /// ovs-vswitchd lists them (`ovs-appctl dpctl/dump-flows`).
    pub fn ovs_megaflows(&self) -> BTreeSet<String> {
        without_stats(&self.appctl(&["dpctl/dump-flows"]))
    }

    /// The same, as dpswitch's `dpctl dump-flows` lists them.
    pub fn dpswitch_megaflows(&self) -> BTreeSet<String> {
        without_stats(&self.dpctl(&["dump-flows"]))
    }

    /// Pings `to` `count` times from host `from` (1-based); answers.
    pub fn ping(&self, from: usize, to: &str, count: u32) -> u32 {
        super::ping_answered(&self.hosts[from - 1].ns, to, count, "0.2")
    }

    /// Sends `bytes` over TCP from host `from` to host `to`; the receiver
    /// checks every byte.
    pub fn tcp_transfer(&self, from: usize, to: usize, bytes: usize) {
        let (sender, receiver) = (&self.hosts[from - 1], &self.hosts[to - 1]);
        let sink = format!(
            "import socket\n\
             s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n\
             s.bind(('{}', 7000)); s.listen(1); print('listening', flush=True)\n\
             c, _ = s.accept(); data = bytearray()\n\
             while True:\n    d = c.recv(65536)\n    if not d: break\n    data += d\n\
             want = bytes(i % 251 for i in range({bytes}))\n\
             print('received', len(data), 'intact', data == want)\n",
            receiver.addr
        );
        let mut sink = Command::new("ip")
            .args(["netns", "exec", &receiver.ns.0, "python3", "-c", &sink])
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3 sink starts");
        let mut out = std::io::BufReader::new(sink.stdout.take().unwrap());
        let mut line = String::new();
        std::io::BufRead::read_line(&mut out, &mut line).expect("sink output");
        assert_eq!(line.trim(), "listening");
        let data: Vec<u8> = (0..bytes).map(|i| (i % 251) as u8).collect();
        let mut send = Command::new("ip")
            .args(["netns", "exec", &sender.ns.0, "bash", "-c"])
            .arg(format!("cat > /dev/tcp/{}/7000", receiver.addr))
            .stdin(Stdio::piped())
            .spawn()
            .expect("sender starts");
        send.stdin.take().unwrap().write_all(&data).expect("send");
        let sent = super::wait_timeout(&mut send, Duration::from_secs(60));
        assert!(sent.success(), "TCP {from} -> {to}: sender {sent:?}");
        assert!(super::wait_timeout(&mut sink, Duration::from_secs(60)).success());
        line.clear();
        std::io::BufRead::read_line(&mut out, &mut line).expect("sink result");
        assert_eq!(
            line.trim(),
            format!("received {bytes} intact True"),
            "TCP {from} -> {to}"
        );
    }

    /// Waits up to `timeout` for `check`, polling every 100 ms.
    pub fn eventually(&self, timeout: Duration, what: &str, mut check: impl FnMut() -> bool) {
        let deadline = Instant::now() + timeout;
        while !check() {
            assert!(Instant::now() < deadline, "not within {timeout:?}: {what}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for OvsBridge {
    fn drop(&mut self) {
        stop_pidfile(&self.dir.join("ovs-vswitchd.pid"));
        stop_pidfile(&self.dir.join("ovsdb-server.pid"));
        for host in &self.hosts {
            let _ = Command::new("ip")
                .args(["link", "del", &host.port])
                .output();
        }
        // The logs stay for a failed test to be read.
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// SIGTERM to the process a pidfile names, then waits (up to 10 s) for it
/// to go.
fn stop_pidfile(pidfile: &Path) {
    let Ok(pid) = std::fs::read_to_string(pidfile) else {
        return;
    };
    let pid = pid.trim();
    let alive = || Path::new(&format!("/proc/{pid}")).exists();
    let _ = Command::new("kill").args(["-TERM", pid]).output();
    let deadline = Instant::now() + Duration::from_secs(10);
    while alive() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        !alive() || std::thread::panicking(),
        "pid {pid} did not stop"
    );
}

/// `dump-flows` lines reduced to match and actions: the statistics
/// (packets, bytes, used, flags) differ from one dump to the next.
fn without_stats(dump: &str) -> BTreeSet<String> {
    dump.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let (key, rest) = l.split_once(", packets:").unwrap_or((l, ""));
            let actions = rest.split_once("actions:").map_or("", |(_, a)| a);
            format!("{key} actions:{actions}")
        })
        .collect()
}
