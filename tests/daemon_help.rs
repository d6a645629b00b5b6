//! What a new user types first: `dpswitchd --help` and `--version` answer
//! at once, without starting DPDK, and exit 0.

use std::process::{Command, Output};

fn dpswitchd(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dpswitchd"))
        .args(args)
        .output()
        .expect("dpswitchd runs")
}

#[test]
fn version_answers_without_starting_dpdk() {
    for args in [&["--version"][..], &["-V"], &["--", "--version"]] {
        let out = dpswitchd(args);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{args:?}: {out:?}");
        assert_eq!(
            stdout.trim(),
            format!("dpswitchd {}", env!("CARGO_PKG_VERSION"))
        );
        assert!(
            !String::from_utf8_lossy(&out.stderr).contains("EAL"),
            "{out:?}"
        );
    }
}

#[test]
fn help_shows_how_to_launch_it() {
    for args in [&["--help"][..], &["-h"], &["--", "--help"]] {
        let out = dpswitchd(args);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{args:?}: {out:?}");
        for needle in [
            "dpswitchd <EAL args> -- [OPTIONS]",
            "--config",
            "--no-pci",
            "--stats-interval",
        ] {
            assert!(
                stdout.contains(needle),
                "{args:?}: no {needle:?} in {stdout}"
            );
        }
    }
}

#[test]
fn a_bad_option_is_a_usage_error() {
    let out = dpswitchd(&["--", "--no-such-option"]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
}
