//! DPDK's log: its global level, and log types of dpswitch's own that
//! `--log-level` on the EAL command line sets like any DPDK component's.
//!
//! A [`LogType`] registers itself with DPDK on first use
//! (`rte_log_register_type_and_pick_level`): registered after EAL init, it
//! takes the level a matching `--log-level=PATTERN:LEVEL` asked for, else
//! its default. Lines go out through `rte_log`: before EAL init to stderr,
//! after it to stdout and syslog (EAL's default stream), or wherever the
//! application pointed DPDK's log.

use super::ffi;
use parking_lot::RwLock;
use std::ffi::{CStr, CString};
use std::sync::OnceLock;

/// DPDK log levels, most severe first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum LogLevel {
    Emergency = ffi::RTE_LOG_EMERG as isize,
    Alert = ffi::RTE_LOG_ALERT as isize,
    Critical = ffi::RTE_LOG_CRIT as isize,
    Error = ffi::RTE_LOG_ERR as isize,
    Warning = ffi::RTE_LOG_WARNING as isize,
    Notice = ffi::RTE_LOG_NOTICE as isize,
    Info = ffi::RTE_LOG_INFO as isize,
    Debug = ffi::RTE_LOG_DEBUG as isize,
}

impl LogLevel {
    const ALL: [LogLevel; 8] = [
        LogLevel::Emergency,
        LogLevel::Alert,
        LogLevel::Critical,
        LogLevel::Error,
        LogLevel::Warning,
        LogLevel::Notice,
        LogLevel::Info,
        LogLevel::Debug,
    ];

    /// The level DPDK numbers `raw`, if it is one.
    pub fn from_raw(raw: u32) -> Option<LogLevel> {
        LogLevel::ALL.into_iter().find(|l| *l as u32 == raw)
    }

    /// The name `--log-level` takes for it.
    pub fn name(self) -> &'static str {
        match self {
            LogLevel::Emergency => "emergency",
            LogLevel::Alert => "alert",
            LogLevel::Critical => "critical",
            LogLevel::Error => "error",
            LogLevel::Warning => "warning",
            LogLevel::Notice => "notice",
            LogLevel::Info => "info",
            LogLevel::Debug => "debug",
        }
    }
}

/// Logs less severe than `level` are dropped from now on (also before EAL
/// init; `--log-level` on the EAL command line overrides it).
pub fn set_global_level(level: LogLevel) {
    // SAFETY: stores an integer in DPDK's log configuration.
    unsafe { ffi::rte_log_set_global_level(level as u32) }
}

/// The current global log level as a raw DPDK number.
pub fn global_level() -> u32 {
    // SAFETY: reads an integer from DPDK's log configuration.
    unsafe { ffi::rte_log_get_global_level() }
}

/// DPDK grows its table of log types with `realloc` and locks nothing:
/// registering takes this for writing, and every use of a type (which
/// reads that table) for reading, so no thread reads the table while it
/// moves. Uncontended, a read is one atomic operation; logging happens on
/// the management lcore, never on a PMD's fast path.
static TYPES: RwLock<()> = RwLock::new(());

/// One log type of DPDK's log (`dpswitch.control`), registered on first
/// use. Where registration fails, nothing is logged through it.
pub struct LogType {
    name: &'static CStr,
    default: LogLevel,
    id: OnceLock<Option<u32>>,
}

impl LogType {
    pub const fn new(name: &'static CStr, default: LogLevel) -> LogType {
        LogType {
            name,
            default,
            id: OnceLock::new(),
        }
    }

    /// Its name, as `--log-level` patterns match it.
    pub fn name(&self) -> &'static str {
        self.name.to_str().unwrap_or("")
    }

    /// The level it starts with when no `--log-level` names it.
    pub fn default_level(&self) -> LogLevel {
        self.default
    }

    /// Registers it now (it would be on first use); false if DPDK refused.
    /// Registered after EAL init, it takes the level `--log-level` gave it.
    pub fn register(&self) -> bool {
        self.id().is_some()
    }

    fn id(&self) -> Option<u32> {
        *self.id.get_or_init(|| {
            let _writer = TYPES.write();
            // SAFETY: `name` is a NUL-terminated string that lives for the
            // whole program (DPDK keeps its own copy anyway); no other
            // thread uses DPDK's type table meanwhile (TYPES).
            let id = unsafe {
                ffi::rte_log_register_type_and_pick_level(self.name.as_ptr(), self.default as u32)
            };
            u32::try_from(id).ok()
        })
    }

    /// Whether a line of `level` would be written: the type's level and
    /// DPDK's global level both let it through. Check it before formatting.
    pub fn enabled(&self, level: LogLevel) -> bool {
        let Some(id) = self.id() else {
            return false;
        };
        let _reader = TYPES.read();
        // SAFETY: `id` is a registered type; reads DPDK's log configuration.
        unsafe { ffi::rte_log_can_log(id, level as u32) }
    }

    /// Writes `line` and a newline at `level`, if the levels let it through
    /// (DPDK checks them again). A NUL in `line` is written as `\0`.
    pub fn write(&self, level: LogLevel, line: &str) {
        let Some(id) = self.id() else {
            return;
        };
        let line = CString::new(line)
            .unwrap_or_else(|_| CString::new(line.replace('\0', "\\0")).expect("no NUL is left"));
        let _reader = TYPES.read();
        // SAFETY: `line` is NUL-terminated and outlives the call; the shim
        // hands it to rte_log as the argument of a "%s" format, never as a
        // format itself; `id` is a registered type.
        unsafe {
            ffi::dpsw_log_line(level as u32, id, line.as_ptr());
        }
    }

    /// Its current level (what `--log-level` or [`LogType::set_level`] made it).
    pub fn level(&self) -> Option<LogLevel> {
        let id = self.id()?;
        let _reader = TYPES.read();
        // SAFETY: `id` is a registered type; reads DPDK's log configuration.
        let raw = unsafe { ffi::rte_log_get_level(id) };
        u32::try_from(raw).ok().and_then(LogLevel::from_raw)
    }

    /// Lines less severe than `level` are dropped from now on.
    pub fn set_level(&self, level: LogLevel) {
        let Some(id) = self.id() else {
            return;
        };
        let _reader = TYPES.read();
        // SAFETY: `id` is a registered type and `level` a valid level;
        // stores an integer in DPDK's log configuration.
        unsafe {
            ffi::rte_log_set_level(id, level as u32);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use parking_lot::Mutex;

    /// The global level filters every type: tests that change it or
    /// depend on it take turns.
    static GLOBAL: Mutex<()> = Mutex::new(());

    #[test]
    fn the_global_level_round_trips() {
        let _turn = GLOBAL.lock();
        set_global_level(LogLevel::Warning);
        assert_eq!(global_level(), 5);
        set_global_level(LogLevel::Info);
        assert_eq!(global_level(), 7);
        // Other tests log: leave it as DPDK starts it.
        set_global_level(LogLevel::Debug);
    }

    #[test]
    fn a_type_starts_at_its_default_and_filters_by_its_level() {
        let _turn = GLOBAL.lock();
        static TYPE: LogType = LogType::new(c"dpswitch.test.filter", LogLevel::Notice);
        assert!(TYPE.register());
        assert_eq!(TYPE.name(), "dpswitch.test.filter");
        assert_eq!(TYPE.level(), Some(LogLevel::Notice));
        assert!(TYPE.enabled(LogLevel::Warning));
        assert!(TYPE.enabled(LogLevel::Notice));
        assert!(!TYPE.enabled(LogLevel::Info));
        assert!(!TYPE.enabled(LogLevel::Debug));
        TYPE.set_level(LogLevel::Debug);
        assert_eq!(TYPE.level(), Some(LogLevel::Debug));
        assert!(TYPE.enabled(LogLevel::Debug));
        TYPE.set_level(LogLevel::Error);
        assert!(!TYPE.enabled(LogLevel::Warning));
        assert!(TYPE.enabled(LogLevel::Error));
        // Written or dropped, a line with a NUL is no error.
        TYPE.write(LogLevel::Error, "dpswitch log test: a\0b");
    }

    #[test]
    fn registering_twice_gives_the_same_type() {
        static A: LogType = LogType::new(c"dpswitch.test.twice", LogLevel::Info);
        static B: LogType = LogType::new(c"dpswitch.test.twice", LogLevel::Info);
        assert!(A.register() && B.register());
        A.set_level(LogLevel::Critical);
        assert_eq!(B.level(), Some(LogLevel::Critical));
    }

    #[test]
    fn levels_have_dpdk_numbers_and_names() {
        assert_eq!(LogLevel::from_raw(8), Some(LogLevel::Debug));
        assert_eq!(LogLevel::from_raw(0), None);
        assert_eq!(LogLevel::Notice.name(), "notice");
    }
}
