//! Running dpswitchd as a child process, as a user would: EAL arguments
//! with `--no-pci` and private memory, output parsed line by line.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::{Duration, Instant};

/// Tests that start DPDK or make taps and namespaces need root: without
/// it they fail saying so, never pass without having run.
pub fn require_root(what: &str) {
    assert!(
        is_root(),
        "this test needs root ({what}): run it as root, as scripts/test.sh does"
    );
}

pub fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .map(|s| {
            s.lines()
                .any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(1) == Some("0"))
        })
        .unwrap_or(false)
}

/// A dpswitchd child whose output lines arrive on a channel: its reports
/// (stdout) and its log lines, DPDK's and its own events (stderr).
pub struct Daemon {
    child: Child,
    eal_args: Vec<String>,
    lines: Receiver<String>,
    pub seen: Vec<String>,
    /// The control socket it serves.
    pub socket: PathBuf,
}

/// How [`Daemon::start_with`] launches beyond the usual.
#[derive(Default)]
pub struct Launch<'a> {
    /// More EAL arguments (`--log-level=dpswitch.*:debug`).
    pub eal: &'a [&'a str],
    /// A network namespace to run in (`ip netns exec`), so the taps it
    /// creates are that namespace's.
    pub netns: Option<&'a str>,
    /// EAL's `--lcores` map in place of `-l 0,1`, e.g. `0@0,1@1,2@1,3@1`:
    /// several PMD lcores on fewer CPUs.
    pub lcores: Option<&'a str>,
}

impl Daemon {
    /// Starts `dpswitchd <eal> -- <app>` with lcores 0 (main) and 1 (PMD),
    /// without the datapath's local port unless `app` has `--local-port`.
    /// Without `--socket` in `app`, it serves a socket of its own in a
    /// fresh directory, so daemons of different tests never meet.
    pub fn start(tag: &str, vdevs: &[String], app: &[&str]) -> Daemon {
        Daemon::start_with(tag, vdevs, app, &Launch::default())
    }

    /// [`Daemon::start`] with more EAL arguments or in a namespace.
    pub fn start_with(tag: &str, vdevs: &[String], app: &[&str], launch: &Launch<'_>) -> Daemon {
        let program = format!("dpswitchd-{tag}");
        let lcores = launch.lcores.map(|map| format!("--lcores={map}"));
        let mut eal = match &lcores {
            Some(arg) => super::eal_args(&program, &[arg.as_str()]),
            None => super::eal_args(&program, &["-l", "0,1"]),
        };
        eal.extend(launch.eal.iter().map(|a| a.to_string()));
        Daemon::start_eal(tag, eal, vdevs, app, launch.netns)
    }

    /// [`Daemon::start`] with shared memory under `--file-prefix=PREFIX`
    /// (see `shared_eal_args`): what DPDK telemetry and dpdk-dumpcap reach.
    pub fn start_shared(tag: &str, prefix: &str, vdevs: &[String], app: &[&str]) -> Daemon {
        let program = format!("dpswitchd-{tag}");
        let eal = super::shared_eal_args(&program, prefix, &["-l", "0,1"]);
        Daemon::start_eal(tag, eal, vdevs, app, None)
    }

    /// [`Daemon::start`] with EAL arguments `eal` (the program name first),
    /// in network namespace `netns` if one is given.
    fn start_eal(
        tag: &str,
        eal: Vec<String>,
        vdevs: &[String],
        app: &[&str],
        netns: Option<&str>,
    ) -> Daemon {
        let mut args = eal;
        args.remove(0); // the program name: Command supplies it
        args.extend(vdevs.iter().map(|v| format!("--vdev={v}")));
        args.push("--".into());
        args.extend(app.iter().map(|s| s.to_string()));
        // Tests run side by side: a local port (a tap named like the
        // datapath, dp0) each would collide. Tests that want it say so.
        if !app.contains(&"--local-port") {
            args.push("--local-port".into());
            args.push("no".into());
        }
        let socket = match app.iter().position(|a| *a == "--socket") {
            Some(i) => PathBuf::from(app[i + 1]),
            None => {
                let path = test_socket_path(tag);
                args.push("--socket".into());
                args.push(path.display().to_string());
                path
            }
        };
        // DPSWITCHD runs another build (a side-by-side comparison).
        let built = std::env::var("DPSWITCHD").ok();
        let binary = built.as_deref().unwrap_or(env!("CARGO_BIN_EXE_dpswitchd"));
        let mut command = match netns {
            // `ip netns exec` execs the daemon: the child's pid is its own.
            Some(ns) => {
                let mut c = Command::new("ip");
                c.args(["netns", "exec", ns, binary]);
                c
            }
            None => Command::new(binary),
        };
        let mut child = command
            .args(&args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("dpswitchd starts");
        let stdout = child.stdout.take().expect("stdout");
        let stderr = child.stderr.take().expect("stderr");
        let (tx, rx) = channel();
        let err_tx = tx.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                println!("{line}");
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        // Each stream keeps its order; lines of the two meet in the order
        // they are read.
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                eprintln!("{line}");
                if err_tx.send(line).is_err() {
                    break;
                }
            }
        });
        Daemon {
            child,
            eal_args: args,
            lines: rx,
            seen: Vec::new(),
            socket,
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits for an output line (stdout or stderr) containing `needle`.
    pub fn wait_for(&mut self, needle: &str, timeout: Duration) -> String {
        wait_for_line("dpswitchd", &self.lines, &mut self.seen, needle, timeout)
    }

    /// Waits for the daemon to exit on its own.
    pub fn wait_exit(mut self, timeout: Duration) -> (ExitStatus, Vec<String>) {
        let status = wait_timeout(&mut self.child, timeout);
        self.seen.extend(self.lines.iter());
        super::remove_runtime_dir(&self.eal_args);
        (status, std::mem::take(&mut self.seen))
    }

    /// SIGTERM, then the exit status and every remaining output line.
    pub fn stop(mut self) -> (ExitStatus, Vec<String>) {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.pid().to_string())
            .status();
        let status = wait_timeout(&mut self.child, Duration::from_secs(20));
        self.seen.extend(self.lines.iter());
        super::remove_runtime_dir(&self.eal_args);
        (status, std::mem::take(&mut self.seen))
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        // A failed assertion must not leave a PMD spinning on core 1.
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
            super::remove_runtime_dir(&self.eal_args);
        }
    }
}

/// A control socket path no other test uses: a fresh directory under
/// the temporary directory, open to every user (tests connect as others).
pub fn test_socket_path(tag: &str) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let dir = std::env::temp_dir().join(format!(
        "dpswitch-{tag}-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).expect("socket directory");
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    dir.join("dpswitch.sock")
}

/// Takes lines from `lines` until one contains `needle`, keeping each in
/// `seen`; panics naming `who` after `timeout`.
pub fn wait_for_line(
    who: &str,
    lines: &Receiver<String>,
    seen: &mut Vec<String>,
    needle: &str,
    timeout: Duration,
) -> String {
    let deadline = Instant::now() + timeout;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match lines.recv_timeout(left) {
            Ok(line) => {
                seen.push(line.clone());
                if line.contains(needle) {
                    return line;
                }
            }
            Err(_) => panic!("{who} did not print {needle:?} within {timeout:?}; saw {seen:?}"),
        }
    }
}

pub fn wait_timeout(child: &mut Child, timeout: Duration) -> ExitStatus {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("process {} did not exit within {timeout:?}", child.id());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The `key=value` fields of the exit line for datapath port `number`.
pub fn port_exit_counters(lines: &[String], number: u32) -> HashMap<String, u64> {
    let prefix = format!("dpswitchd: exit: port {number} ");
    let line = lines
        .iter()
        .find(|l| l.starts_with(&prefix))
        .unwrap_or_else(|| panic!("no exit line for port {number} in {lines:?}"));
    line[prefix.len()..]
        .split_whitespace()
        .filter_map(|kv| kv.split_once('='))
        .filter_map(|(k, v)| Some((k.to_string(), v.parse().ok()?)))
        .collect()
}

/// The integer `key=value` fields of the datapath's exit line (received,
/// hit, missed, lost, mask_hit, cache_hit; not the cycles per packet).
pub fn datapath_exit_counters(lines: &[String]) -> HashMap<String, u64> {
    let prefix = "dpswitchd: exit: datapath ";
    let line = lines
        .iter()
        .find(|l| l.starts_with(prefix))
        .unwrap_or_else(|| panic!("no datapath exit line in {lines:?}"));
    line[prefix.len()..]
        .split_whitespace()
        .filter_map(|kv| kv.split_once('='))
        .filter_map(|(k, v)| Some((k.to_string(), v.parse().ok()?)))
        .collect()
}

/// The integer `key=value` fields of the control socket's line printed
/// under `what` ("exit" or "stats"): connections refused (total and by
/// reason), reclaimed, notifications dropped. The last such line.
pub fn control_counters(lines: &[String], what: &str) -> HashMap<String, u64> {
    let prefix = format!("dpswitchd: {what}: control ");
    let line = lines
        .iter()
        .rev()
        .find(|l| l.starts_with(&prefix))
        .unwrap_or_else(|| panic!("no control {what} line in {lines:?}"));
    line[prefix.len()..]
        .split_whitespace()
        .filter_map(|kv| kv.split_once('='))
        .filter_map(|(k, v)| Some((k.to_string(), v.parse().ok()?)))
        .collect()
}

/// Runs a command, panicking with its output when it fails.
pub fn run(cmd: &str, args: &[&str]) -> String {
    let out = Command::new(cmd)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{cmd}: {e}"));
    assert!(
        out.status.success(),
        "{cmd} {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A binary of another package of the workspace (dpctl, dpswitch-run),
/// which `scripts/test.sh` builds beside dpswitchd before the tests run.
pub fn workspace_binary(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_BIN_EXE_dpswitchd")).parent().unwrap();
    let path = dir.join(name);
    assert!(
        path.exists(),
        "{} is missing: build the workspace first (cargo build --workspace)",
        path.display()
    );
    path
}

/// The `dpctl` client, from the dpswitch-client package.
pub fn dpctl_binary() -> PathBuf {
    workspace_binary("dpctl")
}
