//! DPDK's dpdk-testpmd as a traffic source or sink next to dpswitchd:
//! interactive, so the test decides when it stops and reads the totals
//! it prints.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::{Duration, Instant};

pub fn testpmd_path() -> Option<String> {
    ["/usr/bin/dpdk-testpmd", "/usr/local/bin/dpdk-testpmd"]
        .into_iter()
        .find(|p| Path::new(p).exists())
        .map(str::to_owned)
}

pub struct TestPmd {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<String>,
    output: String,
    eal_args: Vec<String>,
}

impl TestPmd {
    /// Starts testpmd with one virtio_user port on the vhost-user socket
    /// `vhost`, forwarding in `mode` from the start, with `extra` testpmd
    /// options. Both its lcores share core 0 with dpswitchd's main lcore:
    /// core 1 is dpswitchd's PMD. Its memory goes to dpswitchd through the
    /// vhost-user memory table, which needs single-file segments. Rings
    /// of 1024 descriptors ride out the time-slices it spends waiting for
    /// that shared core.
    pub fn start(program: &str, testpmd: &str, vhost: &Path, mode: &str, extra: &[&str]) -> Self {
        let mut eal: Vec<String> = [
            "--lcores=0@0,1@0",
            "--main-lcore",
            "0",
            "--single-file-segments",
        ]
        .map(str::to_owned)
        .to_vec();
        // eal_args brings --no-pci (the host's own NIC stays untouched)
        // and private memory.
        let mut memory = super::eal_args(program, &[]);
        memory.remove(0); // program name
        eal.extend(memory.into_iter().filter(|a| a != "--no-shconf"));
        eal.push(format!(
            "--vdev=net_virtio_user0,path={},queues=1,queue_size=1024",
            vhost.display()
        ));
        let mut args = eal.clone();
        args.extend(
            [
                "--",
                "-i",
                "--auto-start",
                &format!("--forward-mode={mode}"),
                "--nb-cores=1",
                "--total-num-mbufs=16384",
                "--rxd=1024",
                "--txd=1024",
            ]
            .map(str::to_owned),
        );
        args.extend(extra.iter().map(|a| a.to_string()));
        // Line-buffered, so each line arrives as it is printed (stdio
        // would hold a pipe's output until exit).
        let mut child = Command::new("stdbuf")
            .arg("-oL")
            .arg(testpmd)
            .args(&args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("testpmd starts");
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        TestPmd {
            child,
            stdin,
            lines: rx,
            output: String::new(),
            eal_args: eal,
        }
    }

    /// Waits for an output line containing `needle`.
    pub fn wait_for(&mut self, needle: &str, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.output.push_str(&line);
                    self.output.push('\n');
                    if line.contains(needle) {
                        return;
                    }
                }
                Err(_) => panic!(
                    "testpmd did not print {needle:?} within {timeout:?}:\n{}",
                    self.output
                ),
            }
        }
    }

    /// Sends one interactive command.
    pub fn command(&mut self, line: &str) {
        let stdin = self.stdin.as_mut().expect("testpmd stdin");
        stdin
            .write_all(format!("{line}\n").as_bytes())
            .expect("testpmd command");
    }

    /// Stops forwarding (testpmd prints its totals) and waits for them.
    pub fn stop_forwarding(&mut self) {
        self.command("stop");
        self.wait_for("Accumulated forward statistics", Duration::from_secs(20));
    }

    /// Quits, asserts a clean exit and returns everything it printed.
    pub fn quit(mut self) -> String {
        self.command("quit");
        drop(self.stdin.take());
        let status = super::wait_timeout(&mut self.child, Duration::from_secs(20));
        self.output.extend(self.lines.iter().map(|l| l + "\n"));
        super::remove_runtime_dir(&self.eal_args);
        assert!(
            status.success(),
            "testpmd exit {status:?}:\n{}",
            self.output
        );
        std::mem::take(&mut self.output)
    }
}

impl Drop for TestPmd {
    fn drop(&mut self) {
        // A failed assertion must not leave testpmd spinning on core 0.
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// A counter (`RX-packets`, `TX-packets`, ...) of the first forward
/// statistics block testpmd printed for its port 0.
pub fn testpmd_counter(output: &str, name: &str) -> Option<u64> {
    let block = output.split("Forward statistics for port 0").nth(1)?;
    let field = format!("{name}:");
    let line = block.lines().find(|l| l.contains(&field))?;
    line.split_whitespace()
        .skip_while(|w| *w != field)
        .nth(1)?
        .parse()
        .ok()
}
