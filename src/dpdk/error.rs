//! The error type of every fallible DPDK call, carrying DPDK's errno and its
//! `rte_strerror` text.

use std::ffi::CStr;

use nix::errno::Errno;

use super::ffi;

/// A failed DPDK call or a request the wrappers refused before calling DPDK.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DpdkError {
    /// DPDK reported an error: `errno` is positive (`rte_errno` or the
    /// negated return value), `message` is `rte_strerror(errno)`. Kept as
    /// the raw code because DPDK has codes of its own past libc's
    /// (`E_RTE_SECONDARY`, ...) that `Errno` cannot hold.
    #[error("{operation}: {message} (errno {errno})")]
    Call {
        operation: &'static str,
        errno: i32,
        message: String,
    },
    /// `Eal::init` was already called in this process; DPDK cannot
    /// initialise twice, even after cleanup.
    #[error("EAL was already initialised in this process")]
    AlreadyInitialised,
    /// The arguments were rejected before reaching DPDK.
    #[error("{operation}: {reason}")]
    InvalidArgument {
        operation: &'static str,
        reason: String,
    },
    /// The object is in use by another handle (a queue handle, a running
    /// lcore) and cannot be changed now.
    #[error("{operation}: busy: {reason}")]
    Busy {
        operation: &'static str,
        reason: String,
    },
}

impl DpdkError {
    /// The error described by the calling thread's `rte_errno`.
    pub(crate) fn from_rte_errno(operation: &'static str) -> Self {
        // SAFETY: reads the calling thread's rte_errno; no preconditions.
        let errno = unsafe { ffi::dpsw_errno() };
        Self::from_code(operation, errno)
    }

    /// The error for a DPDK return code that is a negated errno.
    pub(crate) fn from_return(operation: &'static str, ret: i32) -> Self {
        Self::from_code(operation, ret.checked_neg().unwrap_or(i32::MAX))
    }

    /// A failure the wrappers detect themselves, reported as DPDK would.
    pub(crate) fn from_errno(operation: &'static str, errno: Errno) -> Self {
        Self::from_code(operation, errno as i32)
    }

    fn from_code(operation: &'static str, errno: i32) -> Self {
        Self::Call {
            operation,
            errno,
            message: strerror(errno),
        }
    }

    pub(crate) fn invalid(operation: &'static str, reason: impl Into<String>) -> Self {
        Self::InvalidArgument {
            operation,
            reason: reason.into(),
        }
    }

    pub(crate) fn busy(operation: &'static str, reason: impl Into<String>) -> Self {
        Self::Busy {
            operation,
            reason: reason.into(),
        }
    }

    /// The errno of a DPDK call failure, if this is one and the code is
    /// one of libc's rather than DPDK's own.
    pub fn errno(&self) -> Option<Errno> {
        match self {
            Self::Call { errno, .. } => match Errno::from_raw(*errno) {
                Errno::UnknownErrno => None,
                known => Some(known),
            },
            _ => None,
        }
    }
}

/// Turns a DPDK return code (0 or positive on success, negated errno on
/// failure) into a `Result`.
pub(crate) fn check(operation: &'static str, ret: i32) -> Result<i32, DpdkError> {
    if ret < 0 {
        Err(DpdkError::from_return(operation, ret))
    } else {
        Ok(ret)
    }
}

/// DPDK's text for an errno (it knows its own codes beyond libc's).
fn strerror(errno: i32) -> String {
    // SAFETY: rte_strerror accepts any value and returns a pointer to a
    // static or thread-local NUL-terminated string.
    let text = unsafe { ffi::rte_strerror(errno) };
    if text.is_null() {
        return format!("unknown error {errno}");
    }
    // SAFETY: non-null, NUL-terminated, valid until the next call on this
    // thread; copied out immediately.
    unsafe { CStr::from_ptr(text) }
        .to_string_lossy()
        .into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negative_return_codes_become_errors_with_dpdk_text() {
        let err = check("rte_thing", -22).unwrap_err();
        assert_eq!(err.errno(), Some(Errno::EINVAL));
        assert_eq!(err.to_string(), "rte_thing: Invalid argument (errno 22)");
    }

    #[test]
    fn non_negative_return_codes_pass_through() {
        assert_eq!(check("rte_thing", 0), Ok(0));
        assert_eq!(check("rte_thing", 7), Ok(7));
    }

    #[test]
    fn dpdk_specific_errno_has_dpdk_text() {
        // E_RTE_SECONDARY is DPDK's own code, unknown to libc.
        let err = DpdkError::from_code("op", 1001);
        assert!(err.to_string().contains("secondary"), "{err}");
        assert_eq!(err.errno(), None, "not an errno libc knows");
    }

    #[test]
    fn the_most_negative_return_code_does_not_overflow() {
        let err = check("op", i32::MIN).unwrap_err();
        assert!(err.to_string().ends_with("(errno 2147483647)"), "{err}");
    }
}
