//! dpswitch's events, one line each, through DPDK's log: four log types
//! that `--log-level=dpswitch.*:debug` (or `dpswitch.control:debug`, ...)
//! on the EAL command line raises or lowers like any DPDK component's.
//!
//! Every line reads `dpswitchd: <area>: <what happened>`. Only the
//! management lcore logs: PMD lcores never do. [`event!`](crate::event)
//! formats a line only when its level is enabled; [`RateLog`] keeps a
//! flood of one kind of event down to a burst of lines, then one line a
//! second saying how many were left out.

pub use crate::dpdk::LogLevel;
use crate::dpdk::LogType;
use std::fmt;
use std::time::{Duration, Instant};

/// One area of dpswitch's events: a DPDK log type and the word its lines
/// carry after `dpswitchd: `.
pub struct Area {
    log_type: LogType,
    word: &'static str,
}

impl Area {
    const fn new(name: &'static std::ffi::CStr, word: &'static str, default: LogLevel) -> Area {
        Area {
            log_type: LogType::new(name, default),
            word,
        }
    }

    /// The DPDK log type's name (`dpswitch.control`).
    pub fn name(&self) -> &'static str {
        self.log_type.name()
    }

    pub fn default_level(&self) -> LogLevel {
        self.log_type.default_level()
    }

    /// Whether a line of `level` would be written.
    pub fn enabled(&self, level: LogLevel) -> bool {
        self.log_type.enabled(level)
    }

    /// Writes `dpswitchd: <area>: <text>` at `level` (formatted here, so
    /// check [`Area::enabled`] first: [`event!`](crate::event) does).
    pub fn write(&self, level: LogLevel, text: fmt::Arguments<'_>) {
        self.log_type
            .write(level, &format!("dpswitchd: {}: {text}", self.word));
    }

    /// The area's level now.
    pub fn level(&self) -> Option<LogLevel> {
        self.log_type.level()
    }

    pub fn set_level(&self, level: LogLevel) {
        self.log_type.set_level(level);
    }
}

/// Clients of the control socket: connections opened and closed (debug),
/// refused commands (info; the ordinary refusals, no such flow and the
/// like, debug), connections refused or reclaimed (notice).
pub static CONTROL: Area = Area::new(c"dpswitch.control", "control", LogLevel::Info);
/// Ports added and removed at run time, links going up and down (notice).
pub static PORT: Area = Area::new(c"dpswitch.port", "port", LogLevel::Info);
/// The flow table: its flow limit reached (warning).
pub static FLOW: Area = Area::new(c"dpswitch.flow", "flow", LogLevel::Info);
/// Upcalls lost, by port and reason (warning).
pub static UPCALL: Area = Area::new(c"dpswitch.upcall", "upcall", LogLevel::Info);

/// Every area, in the order the documentation lists them.
pub static AREAS: [&Area; 4] = [&CONTROL, &PORT, &FLOW, &UPCALL];

/// Registers every area with DPDK. Call it right after EAL init, so each
/// takes the level `--log-level` gave it; an area not yet registered
/// registers itself on first use.
pub fn register() {
    for area in AREAS {
        area.log_type.register();
    }
}

/// `event!(CONTROL, Info, "connection {} opened", id)`: one line in
/// `area` at `level`, formatted only when that level is enabled.
#[macro_export]
macro_rules! event {
    ($area:expr, $level:ident, $($arg:tt)*) => {{
        let area: &$crate::log::Area = &$area;
        if area.enabled($crate::log::LogLevel::$level) {
            area.write($crate::log::LogLevel::$level, ::std::format_args!($($arg)*));
        }
    }};
}

/// Lines about one kind of event, rate-limited like the kernel's
/// `net_ratelimit()`: up to `burst` lines a window, then the rest only
/// counted. When the window is over, one line says how many were left
/// out; while they keep coming, the next window only counts too, so a
/// steady flood costs one line a window. A window with nothing left out
/// starts the next one afresh.
pub struct RateLog {
    burst: u32,
    window: Duration,
    window_start: Instant,
    printed: u32,
    suppressed: u64,
    summary: fn(u64) -> String,
}

/// What [`RateLog::admit`] lets through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Admitted {
    /// Lines the window just over left out: say so first.
    pub left_out: Option<u64>,
    /// Whether this line may be written.
    pub line: bool,
}

impl RateLog {
    /// `summary` words the line that says how many were left out.
    pub fn new(burst: u32, window: Duration, summary: fn(u64) -> String) -> RateLog {
        RateLog {
            burst,
            window,
            window_start: Instant::now(),
            printed: 0,
            suppressed: 0,
            summary,
        }
    }

    /// Counts one line at `now`: whether it may be written, and the count
    /// a finished window left out.
    pub fn admit(&mut self, now: Instant) -> Admitted {
        let left_out = self.roll(now);
        let line = self.printed < self.burst;
        if line {
            self.printed += 1;
        } else {
            self.suppressed += 1;
        }
        Admitted { left_out, line }
    }

    /// Ends the window if it is over; returns what it left out.
    fn roll(&mut self, now: Instant) -> Option<u64> {
        if now.saturating_duration_since(self.window_start) < self.window {
            return None;
        }
        self.window_start = now;
        let left_out = std::mem::take(&mut self.suppressed);
        // A flood still on: the next window only counts.
        self.printed = if left_out > 0 { self.burst } else { 0 };
        (left_out > 0).then_some(left_out)
    }

    /// Writes the line `text` makes into `area` at `level`, unless the
    /// level is off (then it is not counted either) or the burst is spent.
    pub fn log(&mut self, area: &Area, level: LogLevel, text: impl FnOnce() -> String) {
        if !area.enabled(level) {
            return;
        }
        let admitted = self.admit(Instant::now());
        if let Some(n) = admitted.left_out {
            area.write(level, format_args!("{}", (self.summary)(n)));
        }
        if admitted.line {
            area.write(level, format_args!("{}", text()));
        }
    }

    /// Says how many lines were left out once the window is over, even
    /// when no further line comes: call it regularly.
    pub fn flush(&mut self, area: &Area, level: LogLevel) {
        if let Some(n) = self.roll(Instant::now()) {
            if area.enabled(level) {
                area.write(level, format_args!("{}", (self.summary)(n)));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(n: u64) -> String {
        format!("{n} left out")
    }

    fn admitted(log: &mut RateLog, at: Instant, n: usize) -> Vec<Admitted> {
        (0..n).map(|_| log.admit(at)).collect()
    }

    #[test]
    fn a_burst_passes_then_lines_are_counted_until_the_window_ends() {
        let start = Instant::now();
        let mut log = RateLog::new(3, Duration::from_secs(1), summary);
        log.window_start = start;
        let first = admitted(&mut log, start, 5);
        assert_eq!(first.iter().filter(|a| a.line).count(), 3);
        assert!(first.iter().all(|a| a.left_out.is_none()));
        // The next window: the count first, and the flood goes on being
        // counted, not printed.
        let later = start + Duration::from_millis(1100);
        let next = log.admit(later);
        assert_eq!(
            next,
            Admitted {
                left_out: Some(2),
                line: false
            }
        );
        let after = later + Duration::from_millis(1100);
        assert_eq!(log.roll(after), Some(1));
        // A quiet window: the burst is back.
        let quiet = after + Duration::from_millis(1100);
        assert_eq!(log.roll(quiet), None);
        assert!(log.admit(quiet).line);
    }

    #[test]
    fn one_line_at_first_then_one_count_a_window() {
        let start = Instant::now();
        let mut log = RateLog::new(1, Duration::from_secs(1), summary);
        log.window_start = start;
        let mut lines = 0;
        let mut counts = Vec::new();
        // Ten seconds of ten events a second.
        for tenth in 0..100u64 {
            let a = log.admit(start + Duration::from_millis(tenth * 100));
            lines += u32::from(a.line);
            counts.extend(a.left_out);
        }
        assert_eq!(lines, 1);
        assert_eq!(counts.len(), 9);
        // All but the first and the last window's ten, which wait for
        // the next window.
        assert_eq!(counts.iter().sum::<u64>(), 100 - 1 - 10);
    }

    #[test]
    fn a_disabled_level_writes_and_counts_nothing() {
        // A type of its own: the areas' levels are the daemon's.
        static QUIET: Area = Area::new(c"dpswitch.test.quiet", "test", LogLevel::Notice);
        let mut log = RateLog::new(1, Duration::from_secs(60), summary);
        for _ in 0..5 {
            log.log(&QUIET, LogLevel::Debug, || unreachable!("not formatted"));
        }
        assert_eq!((log.printed, log.suppressed), (0, 0));
        crate::event!(QUIET, Debug, "{}", unreachable_text());
    }

    fn unreachable_text() -> &'static str {
        unreachable!("a disabled event is not formatted")
    }

    #[test]
    fn the_areas_are_dpswitch_types_at_info() {
        let names: Vec<_> = AREAS.iter().map(|a| a.name()).collect();
        assert_eq!(
            names,
            [
                "dpswitch.control",
                "dpswitch.port",
                "dpswitch.flow",
                "dpswitch.upcall"
            ]
        );
        assert!(AREAS.iter().all(|a| a.default_level() == LogLevel::Info));
    }
}
