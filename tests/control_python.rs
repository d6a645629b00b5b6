//! dpswitchd's control socket checked by a second, independent client:
//! tests/python/check_flow_commands.py builds every netlink message from
//! the uapi headers with Python's standard library alone, so it shares no
//! code with the daemon's codec. It runs the flow-command rules (N1..N16,
//! S1, D1, D2, G1, G2, P1, P2) against a live daemon on two null ports.

mod common;

use common::Daemon;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

fn python3_available() -> bool {
    Command::new("python3")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

#[test]
#[ignore = "needs root: flow changes over the control socket, DPDK"]
fn python_client_checks_the_flow_commands() {
    assert!(
        python3_available(),
        "python3 is not installed (scripts/setup.sh installs it)"
    );
    common::require_root("flow changes over the control socket, DPDK");
    let dir = std::env::temp_dir().join(format!("dpswitch-pyclient-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let sock = dir.join("control.sock");
    let sock_arg = sock.to_str().expect("utf-8 temp path").to_owned();

    let vdevs = [
        "net_null0,no-rx=1".to_string(),
        "net_null1,no-rx=1".to_string(),
    ];
    // The script's flows output to ports 0 and 1 (as a kernel datapath's
    // first two ports would be numbered without a local port): the config
    // pins those numbers.
    let conf = dir.join("dpswitch.toml");
    std::fs::write(
        &conf,
        "[[port]]\nname = \"net_null0\"\nnumber = 0\n\n[[port]]\nname = \"net_null1\"\nnumber = 1\n",
    )
    .unwrap();
    let mut daemon = Daemon::start(
        "pyclient",
        &vdevs,
        &["--socket", &sock_arg, "--config", conf.to_str().unwrap()],
    );
    daemon.wait_for("control socket", Duration::from_secs(30));

    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python/check_flow_commands.py");
    let mut child = Command::new("python3")
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .arg(&script)
        .arg(&sock_arg)
        .args([
            "--datapath",
            "dp0",
            "--port",
            "0=net_null0",
            "--port",
            "1=net_null1",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 starts");
    let stdout = child.stdout.take().unwrap();
    let stderr = child.stderr.take().unwrap();
    // Echo as it runs: a check that hangs shows where.
    let out = std::thread::spawn(move || {
        BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .inspect(|l| println!("check_flow_commands: {l}"))
            .collect::<Vec<_>>()
    });
    let err = std::thread::spawn(move || {
        BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
            .inspect(|l| eprintln!("check_flow_commands (stderr): {l}"))
            .collect::<Vec<_>>()
    });
    let status = common::wait_timeout(&mut child, Duration::from_secs(600));
    let out = out.join().unwrap();
    let err = err.join().unwrap();

    let (exit, lines) = daemon.stop();
    let _ = std::fs::remove_dir_all(&dir);

    assert!(
        status.success(),
        "check_flow_commands.py exited {status:?}; last line: {:?}; stderr: {err:?}",
        out.last()
    );
    let passed = out.iter().filter(|l| l.starts_with("ok ")).count();
    assert!(
        out.last().is_some_and(|l| l.starts_with("all ")) && passed >= 25,
        "the script exited 0 without passing its checks: {out:?}"
    );
    assert!(!out.iter().any(|l| l.starts_with("FAIL")), "{out:?}");
    assert!(exit.success(), "dpswitchd exit: {exit:?}");
    assert!(
        !sock.exists(),
        "dpswitchd left its socket file behind; its last lines: {:?}",
        &lines[lines.len().saturating_sub(5)..]
    );
}
