//! Log lines about bad requests, rate-limited like the kernel's
//! `net_ratelimit()` so a client that floods bad messages cannot flood the
//! log: a burst is printed, then one line per second says how many were
//! left out.

use std::time::{Duration, Instant};

pub struct RateLog {
    burst: u32,
    window: Duration,
    window_start: Instant,
    printed: u32,
    suppressed: u64,
}

impl RateLog {
    pub fn new(burst: u32, window: Duration) -> RateLog {
        RateLog {
            burst,
            window,
            window_start: Instant::now(),
            printed: 0,
            suppressed: 0,
        }
    }

    pub fn log(&mut self, line: &str) {
        let now = Instant::now();
        if now.duration_since(self.window_start) >= self.window {
            if self.suppressed > 0 {
                println!(
                    "dpswitchd: netlink: {} message(s) suppressed",
                    self.suppressed
                );
            }
            self.window_start = now;
            self.printed = 0;
            self.suppressed = 0;
        }
        if self.printed < self.burst {
            self.printed += 1;
            println!("dpswitchd: netlink: {line}");
        } else {
            self.suppressed += 1;
        }
    }
}
