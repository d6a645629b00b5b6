//! Interop with DPDK's own dpdk-testpmd, connected the way OVS-DPDK users
//! connect VMs: dpswitchd owns a vhost-user port (net_vhost, the socket's
//! server side) and testpmd, in txonly mode, sends into it through
//! net_virtio_user over shared memory. dpswitchd must count exactly the
//! packets testpmd says the ring accepted.

mod common;

use common::{port_exit_counters, Daemon};
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::Duration;

fn testpmd_path() -> Option<String> {
    ["/usr/bin/dpdk-testpmd", "/usr/local/bin/dpdk-testpmd"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists())
        .map(str::to_owned)
}

/// `TX-packets` of the first forward-statistics block testpmd printed.
fn tx_packets(output: &str) -> Option<u64> {
    let block = output.split("Forward statistics for port 0").nth(1)?;
    let line = block.lines().find(|l| l.contains("TX-packets:"))?;
    line.split_whitespace()
        .skip_while(|w| *w != "TX-packets:")
        .nth(1)?
        .parse()
        .ok()
}

#[test]
fn testpmd_txonly_over_vhost_user_is_counted_exactly() {
    let testpmd = testpmd_path().expect(
        "dpdk-testpmd is not installed (Debian package dpdk-dev; scripts/setup.sh installs it)",
    );
    let dir = std::env::temp_dir().join(format!("dpswitch-vhost-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let sock = dir.join("vhost0.sock");
    let _ = std::fs::remove_file(&sock); // a stale socket would fail the bind

    let vdev = format!("net_vhost0,iface={},queues=1", sock.display());
    let mut daemon = Daemon::start("vhost", &[vdev], &[]);
    daemon.wait_for("running", Duration::from_secs(30));

    // testpmd must not take core 1 (dpswitchd's PMD): both its lcores run
    // on core 0, where dpswitchd's main lcore mostly sleeps. Its memory is
    // shared with dpswitchd through the vhost-user memory table, which
    // needs single-file segments.
    let mut args: Vec<String> = [
        "--lcores=0@0,1@0",
        "--main-lcore",
        "0",
        "--no-pci",
        "--single-file-segments",
    ]
    .map(str::to_owned)
    .to_vec();
    let mut memory = common::eal_args("testpmd-vhost", &[]);
    memory.remove(0); // program name
    args.extend(memory.into_iter().filter(|a| a != "--no-shconf"));
    args.push(format!(
        "--vdev=net_virtio_user0,path={},queues=1",
        sock.display()
    ));
    args.extend(
        [
            "--",
            "-i",
            "--auto-start",
            "--forward-mode=txonly",
            "--nb-cores=1",
            "--total-num-mbufs=16384",
        ]
        .map(str::to_owned),
    );
    let mut pmd = Command::new(&testpmd)
        .args(&args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("testpmd starts");
    let mut stdin = pmd.stdin.take().expect("stdin");
    let stdout = pmd.stdout.take().expect("stdout");
    let reader = std::thread::spawn(move || {
        let mut all = String::new();
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            all.push_str(&line);
            all.push('\n');
        }
        all
    });

    std::thread::sleep(Duration::from_secs(3));
    // `stop` ends forwarding and prints the totals; the port stays open a
    // moment so dpswitchd drains the ring before `quit` closes it (closing
    // right after the last burst would discard what is still in the ring).
    stdin.write_all(b"stop\n").expect("stop");
    std::thread::sleep(Duration::from_millis(500));
    stdin.write_all(b"quit\n").expect("quit");
    drop(stdin);
    let status = common::wait_timeout(&mut pmd, Duration::from_secs(20));
    let output = reader.join().expect("testpmd output");
    common::remove_runtime_dir(&args);
    assert!(status.success(), "testpmd exit {status:?}:\n{output}");
    let sent = tx_packets(&output).unwrap_or_else(|| panic!("no TX-packets in:\n{output}"));
    assert!(sent > 10_000, "testpmd sent only {sent} packets:\n{output}");

    let (status, lines) = daemon.stop();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(status.success(), "dpswitchd exit: {status:?}");
    let port = port_exit_counters(&lines, 1);
    assert_eq!(
        port["rx_packets"], sent,
        "dpswitchd received what testpmd sent"
    );
    let datapath = lines
        .iter()
        .find(|l| l.starts_with("dpswitchd: exit: datapath"))
        .expect("datapath line");
    assert!(
        datapath.contains(&format!("received={sent} ")),
        "{datapath}"
    );
    assert!(
        lines.iter().any(|l| l.contains("mbufs in use 0 of")),
        "{lines:?}"
    );
}
