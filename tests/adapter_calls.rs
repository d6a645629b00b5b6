//! dpswitch-run and libdpswitch_run.so from the outside: programs that
//! know only AF_NETLINK (a Python client, ovs-dpctl) run under the
//! launcher against a live dpswitchd on two null ports, and every socket
//! call the adapter carries behaves as on a kernel netlink socket (T1,
//! T2): port ids, batches answered one reply per datagram and readable
//! as soon as the send returns, MSG_PEEK/MSG_TRUNC sizing, EAGAIN, poll
//! readiness, multicast membership, dumps read with MSG_DONTWAIT,
//! ENOBUFS on overrun, fork, close; NETLINK_ROUTE stays the kernel's.
//!
//! The launcher and the library are built by `cargo build -p
//! dpswitch-run`, or by a workspace `cargo test` (the crate's own tests
//! need them); they are looked for next to dpswitchd, and a test fails if
//! they are missing or older than the sources cargo built them from.

mod common;

use common::{is_root, Daemon};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

const CHECKS: [&str; 16] = [
    "names",
    "socket_flags",
    "options",
    "batch",
    "recv_flags",
    "poll",
    "read_write",
    "mmsg",
    "membership",
    "dump",
    "fork",
    "exec",
    "threads",
    "rtnetlink",
    "close",
    "overrun",
];

/// The sources that changed after `artifact` was built, from the cargo
/// dep-info file `depinfo` (its line for `artifact`).
fn stale_sources(artifact: &Path, depinfo: &Path) -> Vec<String> {
    let built = artifact.metadata().and_then(|m| m.modified()).unwrap();
    let text =
        std::fs::read_to_string(depinfo).unwrap_or_else(|e| panic!("{}: {e}", depinfo.display()));
    // One line per output of the unit (the .so, the rlib), same sources.
    let target = format!("{}: ", artifact.display());
    let deps = text
        .lines()
        .find_map(|line| line.strip_prefix(&target))
        .or_else(|| {
            text.lines()
                .next()
                .and_then(|l| l.split_once(": ").map(|(_, d)| d))
        })
        .unwrap_or_else(|| panic!("{} lists no sources", depinfo.display()));
    deps.split_whitespace()
        .filter(|dep| {
            Path::new(dep)
                .metadata()
                .and_then(|m| m.modified())
                .map_or(true, |changed| changed > built)
        })
        .map(str::to_owned)
        .collect()
}

fn assert_fresh(artifact: &Path, depinfo: &Path) {
    let stale = stale_sources(artifact, depinfo);
    assert!(
        stale.is_empty(),
        "{} is older than {stale:?}: rebuild it with `cargo build -p dpswitch-run`",
        artifact.display()
    );
}

/// target/<profile>/dpswitch-run, checked with the library it preloads:
/// libdpswitch_run.so beside it, or the newer one in deps/ (which a
/// workspace `cargo test` refreshes).
fn launcher() -> PathBuf {
    let dir = Path::new(env!("CARGO_BIN_EXE_dpswitchd")).parent().unwrap();
    let launcher = dir.join("dpswitch-run");
    assert!(
        launcher.is_file(),
        "{} is missing: build it with `cargo build -p dpswitch-run` \
         (the same profile as these tests) before running tests/adapter_*.rs",
        launcher.display()
    );
    assert_fresh(&launcher, &dir.join("dpswitch-run.d"));
    let built = |path: &Path| path.metadata().and_then(|m| m.modified()).ok();
    let beside = dir.join("libdpswitch_run.so");
    let in_deps = dir.join("deps/libdpswitch_run.so");
    match (built(&beside), built(&in_deps)) {
        (None, None) => panic!(
            "{} is missing: build it with `cargo build -p dpswitch-run`",
            beside.display()
        ),
        (Some(b), Some(d)) if d > b => assert_fresh(&in_deps, &dir.join("deps/dpswitch_run.d")),
        (None, Some(_)) => assert_fresh(&in_deps, &dir.join("deps/dpswitch_run.d")),
        _ => assert_fresh(&beside, &dir.join("libdpswitch_run.d")),
    }
    launcher
}

fn require_root_and_python() {
    assert!(
        is_root(),
        "tests/adapter_calls.rs needs root (DPDK, flow changes over the control socket)"
    );
    let python = Command::new("python3").arg("--version").output();
    assert!(
        python.is_ok_and(|o| o.status.success()),
        "tests/adapter_calls.rs needs python3 (scripts/setup.sh installs it)"
    );
}

fn two_null_ports(tag: &str) -> Daemon {
    let vdevs = [
        "net_null0,no-rx=1".to_string(),
        "net_null1,no-rx=1".to_string(),
    ];
    let mut daemon = Daemon::start(tag, &vdevs, &[]);
    daemon.wait_for("control socket", Duration::from_secs(60));
    daemon
}

fn script(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/adapter")
        .join(name)
}

fn run(socket: &Path, program: &[&str]) -> Output {
    let output = Command::new(launcher())
        .arg("--socket")
        .arg(socket)
        .args(program)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .output()
        .expect("dpswitch-run starts");
    println!("{}", String::from_utf8_lossy(&output.stdout));
    eprintln!("{}", String::from_utf8_lossy(&output.stderr));
    output
}

#[test]
#[ignore = "needs root: DPDK, flow changes over the control socket"]
fn a_python_netlink_client_sees_a_kernel_netlink_socket() {
    require_root_and_python();
    let daemon = two_null_ports("adapter-calls");
    let checks = script("check_calls.py");
    let mut program = vec!["python3", checks.to_str().unwrap()];
    program.extend(CHECKS);
    let output = run(&daemon.socket, &program);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "check_calls.py failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    for check in CHECKS {
        assert!(
            stdout.lines().any(|l| l == format!("ok {check}")),
            "check {check} did not report: {stdout}"
        );
    }
    let (status, _) = daemon.stop();
    assert!(status.success(), "dpswitchd exit: {status}");
}

#[test]
#[ignore = "needs root: DPDK, flow changes over the control socket"]
fn without_the_daemon_generic_sockets_fail_with_connects_errno() {
    require_root_and_python();
    let missing = std::env::temp_dir().join(format!(
        "dpswitch-adapter-none-{}/d.sock",
        std::process::id()
    ));
    let probe = "\
import errno, socket
try:
    socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 16)
    print('opened')
except OSError as e:
    print('errno', errno.errorcode[e.errno])
r = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0)
r.bind((0, 0))
print('route port', r.getsockname()[0] != 0)
";
    let output = run(&missing, &["python3", "-c", probe]);
    assert!(output.status.success());
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("errno ENOENT"), "{stdout}");
    assert!(stdout.contains("route port True"), "{stdout}");
}

/// ovs-dpctl's own netlink library (nl_sock_create, transactions, dumps)
/// reaches dpswitchd through the adapter: it resolves the families and
/// reads the datapath dump from the daemon.
#[test]
#[ignore = "needs root: DPDK, flow changes over the control socket"]
fn ovs_dpctl_talks_to_dpswitchd() {
    require_root_and_python();
    let dpctl = Path::new("/usr/bin/ovs-dpctl");
    assert!(
        dpctl.is_file(),
        "ovs-dpctl is missing: scripts/setup.sh installs openvswitch-switch"
    );
    let daemon = two_null_ports("adapter-dpctl");
    let output = run(
        &daemon.socket,
        &[
            dpctl.to_str().unwrap(),
            "-vnetlink_socket:dbg",
            "-vconsole:dbg",
            "dump-dps",
        ],
    );
    let log = String::from_utf8_lossy(&output.stderr);
    assert!(
        log.lines().any(|l| l.contains("nl_sock_recv__ (Success)")
            && l.contains("type=32(ovs_datapath), flags=2[MULTI]")),
        "ovs-dpctl read the datapath dump from dpswitchd: {log}"
    );
    for transport_error in [
        "transaction error",
        "truncated message",
        "received invalid nlmsg",
        "Resource temporarily",
    ] {
        assert!(!log.contains(transport_error), "{transport_error}: {log}");
    }
    let (status, _) = daemon.stop();
    assert!(status.success(), "dpswitchd exit: {status}");
}
