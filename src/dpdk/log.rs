//! DPDK's global log level.

use super::ffi;

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_global_level_round_trips() {
        set_global_level(LogLevel::Warning);
        assert_eq!(global_level(), 5);
        set_global_level(LogLevel::Info);
        assert_eq!(global_level(), 7);
    }
}
