//! DPDK's own tools against a running dpswitchd: `dpdk-telemetry.py` and
//! `dpdk-dumpcap` (package dpdk-dev), which reach it through its
//! `--file-prefix` runtime directory.

use std::collections::BTreeMap;
use std::io::Write;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A tool the test cannot run without: it fails naming the package.
pub fn require_tool(tool: &str, package: &str) {
    assert!(
        have_tool(tool),
        "{tool} is not installed: apt-get install {package} (scripts/setup.sh installs it)"
    );
}

/// Whether `tool` is on PATH.
pub fn have_tool(tool: &str) -> bool {
    std::env::var_os("PATH")
        .map(|path| std::env::split_paths(&path).any(|dir| dir.join(tool).is_file()))
        .unwrap_or(false)
}

/// Runs `dpdk-telemetry.py -f PREFIX` with `commands` on its stdin, as a
/// user pipes them, and returns each reply by command (a reply is one
/// JSON object per line, keyed by the command without its parameters).
pub fn telemetry(prefix: &str, commands: &[&str]) -> BTreeMap<String, serde_json::Value> {
    let mut child = Command::new("dpdk-telemetry.py")
        .args(["-f", prefix])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("dpdk-telemetry.py runs");
    let mut input = commands.join("\n");
    input.push('\n');
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
        .expect("commands written");
    let out = wait_output(child, Duration::from_secs(30));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let mut replies = BTreeMap::new();
    for line in stdout.lines().filter(|l| l.starts_with('{')) {
        let value: serde_json::Value = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("dpdk-telemetry.py printed bad JSON ({e}): {line}"));
        for (command, reply) in value.as_object().expect("a JSON object") {
            replies.insert(command.clone(), reply.clone());
        }
    }
    assert!(
        !replies.is_empty(),
        "dpdk-telemetry.py -f {prefix} answered nothing: {stdout} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    replies
}

/// A `dpdk-dumpcap` capture into a pcapng file, ended when dropped.
pub struct Dumpcap {
    child: Option<Child>,
}

impl Dumpcap {
    /// `dpdk-dumpcap --file-prefix=PREFIX -i PORT -w FILE -c COUNT`:
    /// captures `count` packets of DPDK port `port` (name or id), both
    /// directions, then exits.
    pub fn start(prefix: &str, port: &str, file: &std::path::Path, count: u32) -> Dumpcap {
        let child = Command::new("dpdk-dumpcap")
            .arg(format!("--file-prefix={prefix}"))
            .args(["-i", port, "-w"])
            .arg(file)
            .args(["-c", &count.to_string()])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("dpdk-dumpcap runs");
        Dumpcap { child: Some(child) }
    }

    /// Waits for dumpcap to exit (it has its packets) and returns what it
    /// printed; fails if it does not within `timeout` or fails.
    pub fn finish(mut self, timeout: Duration) -> String {
        self.wait(timeout)
    }

    /// Stops the capture with SIGINT (Ctrl-C), as a user does, and
    /// returns what dumpcap printed; fails if it does not exit cleanly.
    pub fn stop(mut self, timeout: Duration) -> String {
        let pid = self.child.as_ref().expect("running").id();
        let _ = Command::new("kill")
            .args(["-INT", &pid.to_string()])
            .status();
        self.wait(timeout)
    }

    fn wait(&mut self, timeout: Duration) -> String {
        let out = wait_output(self.child.take().expect("running"), timeout);
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(out.status.success(), "dpdk-dumpcap failed: {text}");
        text
    }
}

impl Drop for Dumpcap {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            // SIGINT: dumpcap stops capturing and detaches cleanly.
            let _ = Command::new("kill")
                .args(["-INT", &child.id().to_string()])
                .status();
            std::thread::sleep(Duration::from_millis(500));
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// The child's output once it exits; kills it and fails after `timeout`.
fn wait_output(mut child: Child, timeout: Duration) -> std::process::Output {
    let status = super::wait_timeout(&mut child, timeout);
    let mut stdout = Vec::new();
    let mut stderr = Vec::new();
    use std::io::Read;
    if let Some(mut s) = child.stdout.take() {
        let _ = s.read_to_end(&mut stdout);
    }
    if let Some(mut s) = child.stderr.take() {
        let _ = s.read_to_end(&mut stderr);
    }
    std::process::Output {
        status,
        stdout,
        stderr,
    }
}
