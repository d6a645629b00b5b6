//! `dpctl learn` as a child process, its output lines on a channel.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::Duration;

pub struct Controller {
    child: Child,
    lines: Receiver<String>,
    pub seen: Vec<String>,
}

impl Controller {
    /// Starts it on every port of the datapath at `socket`; returns once
    /// it handles their upcalls.
    pub fn start(socket: &Path, max_idle: u32) -> Controller {
        let mut child = Command::new(super::dpctl_binary())
            .arg("--socket")
            .arg(socket)
            .args(["learn", "--max-idle", &max_idle.to_string()])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("dpctl learn starts");
        let (tx, lines) = channel();
        for stream in [
            Box::new(child.stdout.take().unwrap()) as Box<dyn std::io::Read + Send>,
            Box::new(child.stderr.take().unwrap()),
        ] {
            let tx = tx.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    println!("controller: {line}");
                    if tx.send(line).is_err() {
                        break;
                    }
                }
            });
        }
        let mut controller = Controller {
            child,
            lines,
            seen: Vec::new(),
        };
        controller.wait_for("upcall handler");
        controller
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The first line containing `needle`, waiting for it if it has not
    /// been printed yet.
    pub fn wait_for(&mut self, needle: &str) -> String {
        if let Some(line) = self.seen.iter().find(|l| l.contains(needle)) {
            return line.clone();
        }
        super::wait_for_line(
            "the controller",
            &self.lines,
            &mut self.seen,
            needle,
            Duration::from_secs(20),
        )
    }

    /// SIGKILL: no chance to hand the ports back or delete its flows.
    pub fn kill(mut self) -> ExitStatus {
        super::run("kill", &["-KILL", &self.pid().to_string()]);
        super::wait_timeout(&mut self.child, Duration::from_secs(10))
    }

    /// Every line printed so far that was not read yet.
    pub fn new_lines(&mut self) -> Vec<String> {
        let fresh: Vec<String> = self.lines.try_iter().collect();
        self.seen.extend(fresh.iter().cloned());
        fresh
    }

    /// SIGTERM; the exit status and the lines printed until the exit.
    pub fn stop(mut self) -> (ExitStatus, Vec<String>) {
        super::run("kill", &["-TERM", &self.pid().to_string()]);
        let status = super::wait_timeout(&mut self.child, Duration::from_secs(10));
        let rest: Vec<String> = self.lines.iter().collect();
        (status, rest)
    }
}

impl Drop for Controller {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
