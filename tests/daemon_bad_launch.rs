//! Launches that cannot work end at once with one clear line naming the
//! problem and a non-zero exit code.

mod common;

use std::process::Command;

/// Runs dpswitchd to completion; returns (exit code, its own stderr lines).
fn launch(eal: &[&str], app: &[&str]) -> (i32, Vec<String>) {
    let mut args: Vec<String> = vec!["--no-pci".into()];
    args.extend(eal.iter().map(|s| s.to_string()));
    args.push("--".into());
    args.extend(app.iter().map(|s| s.to_string()));
    args.extend(["--local-port".into(), "no".into()]);
    let out = Command::new(env!("CARGO_BIN_EXE_dpswitchd"))
        .args(&args)
        .output()
        .expect("dpswitchd runs");
    let own = String::from_utf8_lossy(&out.stderr)
        .lines()
        .filter(|l| l.starts_with("dpswitchd:"))
        .map(str::to_owned)
        .collect();
    (out.status.code().unwrap_or(-1), own)
}

fn only_line(lines: &[String]) -> &str {
    assert_eq!(lines.len(), 1, "one dpswitchd line expected: {lines:?}");
    &lines[0]
}

fn memory(tag: &str) -> Vec<String> {
    let mut args = common::eal_args(tag, &[]);
    args.remove(0);
    args
}

#[test]
fn no_hugepages_and_no_no_huge_is_explained() {
    // A directory that is not a hugetlbfs mount: EAL finds no hugepages.
    let dir = std::env::temp_dir().join(format!("dpswitch-nohuge-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let prefix = format!("--file-prefix=dpswitch-nohuge-{}", std::process::id());
    let (code, lines) = launch(
        &[
            "-l",
            "0,1",
            "--huge-dir",
            dir.to_str().unwrap(),
            &prefix,
            "--vdev=net_null0",
        ],
        &[],
    );
    let _ = std::fs::remove_dir(&dir);
    let _ = std::fs::remove_dir_all(format!(
        "/var/run/dpdk/dpswitch-nohuge-{}",
        std::process::id()
    ));
    assert_ne!(code, 0);
    let line = only_line(&lines);
    assert!(
        line.contains("hugepages") && line.contains("--no-huge"),
        "{line}"
    );
}

#[test]
fn unknown_config_key_names_key_and_line() {
    let path = std::env::temp_dir().join(format!("dpswitch-badkey-{}.toml", std::process::id()));
    std::fs::write(&path, "[datapath]\nname = \"x\"\nburst = 32\n").unwrap();
    let (code, lines) = launch(
        &["-l", "0,1", "--in-memory"],
        &["--config", path.to_str().unwrap()],
    );
    let _ = std::fs::remove_file(&path);
    assert_eq!(code, 2);
    let line = only_line(&lines);
    assert!(
        line.contains("line 3") && line.contains("`burst`"),
        "{line}"
    );
}

#[test]
fn config_port_that_eal_did_not_probe_is_named() {
    let path = std::env::temp_dir().join(format!("dpswitch-noport-{}.toml", std::process::id()));
    std::fs::write(&path, "[[port]]\nname = \"net_tap9\"\nnumber = 3\n").unwrap();
    let mut eal: Vec<String> = vec!["-l".into(), "0,1".into(), "--vdev=net_null0".into()];
    eal.extend(memory("dpswitch-noport"));
    let eal: Vec<&str> = eal.iter().map(String::as_str).collect();
    let (code, lines) = launch(&eal, &["--config", path.to_str().unwrap()]);
    let _ = std::fs::remove_file(&path);
    assert_ne!(code, 0);
    let line = only_line(&lines);
    assert!(
        line.contains("\"net_tap9\"") && line.contains("net_null0"),
        "{line}"
    );
}

#[test]
fn lcore_list_without_a_worker_is_refused() {
    let mut eal: Vec<String> = vec!["-l".into(), "0".into(), "--vdev=net_null0".into()];
    eal.extend(memory("dpswitch-noworker"));
    let eal: Vec<&str> = eal.iter().map(String::as_str).collect();
    let (code, lines) = launch(&eal, &[]);
    assert_ne!(code, 0);
    let line = only_line(&lines);
    assert!(
        line.contains("no worker lcore") && line.contains("-l 0,1"),
        "{line}"
    );
}

#[test]
fn bad_config_flow_names_its_line_and_reason() {
    let path = std::env::temp_dir().join(format!("dpswitch-badflow-{}.toml", std::process::id()));
    std::fs::write(
        &path,
        "[[flow]]\nkey = \"in_port(1),eth(),eth_type(0x0806),arp()\"\nactions = \"1\"\n\n[[flow]]\nkey = \"in_port(1),eth(),eth_type(0x0806),arp()\"\nactions = \"5\"\n",
    )
    .unwrap();
    let mut eal: Vec<String> = vec!["-l".into(), "0,1".into(), "--vdev=net_null0".into()];
    eal.extend(memory("dpswitch-badflow"));
    let eal: Vec<&str> = eal.iter().map(String::as_str).collect();
    let (code, lines) = launch(&eal, &["--config", path.to_str().unwrap()]);
    let _ = std::fs::remove_file(&path);
    assert_ne!(code, 0);
    let line = only_line(&lines);
    assert!(line.contains("line 6") && line.contains("port 5"), "{line}");
}
