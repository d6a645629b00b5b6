//! The systemd unit in conf/ is one systemd accepts as it is written
//! (`systemd-analyze verify`, no warning at all), and the command line it
//! starts is one dpswitchd parses.

use std::process::Command;

const UNIT: &str = include_str!("../conf/dpswitchd.service");
const INSTALLED: &str = "/usr/local/bin/dpswitchd";

#[test]
fn the_systemd_unit_verifies_cleanly() {
    let analyze = "/usr/bin/systemd-analyze";
    assert!(
        std::path::Path::new(analyze).exists(),
        "{analyze} is missing: scripts/setup.sh installs systemd"
    );
    // Verified against the binary this build made, where it would be installed.
    let dir = std::env::temp_dir().join(format!("dpswitch-unit-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let unit = dir.join("dpswitchd.service");
    std::fs::write(
        &unit,
        UNIT.replace(INSTALLED, env!("CARGO_BIN_EXE_dpswitchd")),
    )
    .unwrap();
    let out = Command::new(analyze)
        .arg("verify")
        .arg(&unit)
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(out.status.success(), "{out:?}");
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn the_units_command_line_is_one_dpswitchd_parses() {
    let exec = UNIT
        .lines()
        .find_map(|l| l.strip_prefix("ExecStart="))
        .expect("an ExecStart line");
    let words: Vec<&str> = exec.split_whitespace().collect();
    assert_eq!(words[0], INSTALLED);
    let split = words
        .iter()
        .position(|w| *w == "--")
        .expect("EAL args, then --");
    assert!(words[1..split].contains(&"--no-pci"), "{exec}");
    // The application's options as written, then --version: parsed, then
    // answered without starting DPDK.
    let out = Command::new(env!("CARGO_BIN_EXE_dpswitchd"))
        .args(&words[split..])
        .arg("--version")
        .output()
        .unwrap();
    assert!(out.status.success(), "{exec}: {out:?}");
}
