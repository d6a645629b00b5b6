//! The launcher as a user runs it, with no daemon: the environment it
//! gives the program, and its errors. (Being an integration test of this
//! package also makes `cargo test` build the launcher and the library,
//! which the workspace's tests/adapter_*.rs run.)

use std::path::Path;
use std::process::Command;

const LAUNCHER: &str = env!("CARGO_BIN_EXE_dpswitch-run");

#[test]
fn the_program_gets_the_library_first_and_the_socket() {
    let output = Command::new(LAUNCHER)
        .args(["--socket", "/some/where.sock", "env"])
        .env("LD_PRELOAD", "/other.so")
        .output()
        .expect("dpswitch-run starts");
    assert!(output.status.success(), "{output:?}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let preload = stdout
        .lines()
        .find_map(|l| l.strip_prefix("LD_PRELOAD="))
        .expect("LD_PRELOAD set");
    let (library, rest) = preload.split_once(':').expect("two entries");
    assert_eq!(rest, "/other.so");
    let dir = Path::new(LAUNCHER)
        .parent()
        .unwrap()
        .canonicalize()
        .unwrap();
    // Beside the launcher, or in cargo's deps/ beside it.
    assert!(
        [
            dir.join("libdpswitch_run.so"),
            dir.join("deps/libdpswitch_run.so")
        ]
        .contains(&Path::new(library).to_path_buf()),
        "{library}"
    );
    assert!(
        stdout
            .lines()
            .any(|l| l == "DPSWITCH_SOCKET=/some/where.sock"),
        "{stdout}"
    );
}

#[test]
fn a_missing_program_is_named_and_127() {
    let output = Command::new(LAUNCHER)
        .arg("/nonexistent/program")
        .output()
        .expect("dpswitch-run starts");
    assert_eq!(output.status.code(), Some(127));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("cannot run /nonexistent/program"),
        "{stderr}"
    );
    let usage = Command::new(LAUNCHER)
        .output()
        .expect("dpswitch-run starts");
    assert_eq!(usage.status.code(), Some(2), "no PROGRAM is a usage error");
}
