//! DPDK telemetry: commands of dpswitch's own on EAL's telemetry socket
//! (`/var/run/dpdk/<prefix>/dpdk_telemetry.v2`, read by
//! `dpdk-telemetry.py`), next to DPDK's `/ethdev/...` and `/eal/...`.
//!
//! DPDK calls a command's handler on its telemetry thread, one per
//! client connection, never on an lcore: handlers must only read state
//! the lcores publish, never reach into the fast path. A handler returns a
//! [`TelDict`], plain Rust data, which is copied into DPDK's reply here.

use std::ffi::{c_char, c_int, CStr, CString};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

use nix::errno::Errno;
use parking_lot::Mutex;

use super::error::DpdkError;
use super::ffi;

/// One value of a telemetry dictionary.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TelValue {
    U64(u64),
    Str(String),
    Dict(TelDict),
}

/// A telemetry reply: names and values in order, as the JSON object
/// `dpdk-telemetry.py` prints. Names are letters, digits, `_` and `/`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TelDict {
    entries: Vec<(String, TelValue)>,
}

impl TelDict {
    pub fn new() -> TelDict {
        TelDict::default()
    }

    pub fn u64(&mut self, name: &str, value: u64) -> &mut TelDict {
        self.entries.push((name.to_owned(), TelValue::U64(value)));
        self
    }

    pub fn string(&mut self, name: &str, value: &str) -> &mut TelDict {
        self.entries
            .push((name.to_owned(), TelValue::Str(value.to_owned())));
        self
    }

    pub fn dict(&mut self, name: &str, value: TelDict) -> &mut TelDict {
        self.entries.push((name.to_owned(), TelValue::Dict(value)));
        self
    }

    pub fn entries(&self) -> &[(String, TelValue)] {
        &self.entries
    }

    /// The first value named `name`.
    pub fn get(&self, name: &str) -> Option<&TelValue> {
        self.entries.iter().find(|(n, _)| n == name).map(|(_, v)| v)
    }
}

type Handler = dyn Fn(&str) -> TelDict + Send + Sync;

/// The handlers by command name: DPDK's callback carries no context, so
/// one trampoline finds the handler by the command it was called for.
static HANDLERS: Mutex<Vec<(String, Arc<Handler>)>> = Mutex::new(Vec::new());

/// Registers `cmd` (e.g. `/dpswitch/dp`) with `help` as its `/help` text;
/// `handler` gets the command's parameters (the text after a comma, empty
/// without one) and answers on DPDK's telemetry thread. Registering a
/// name again replaces its handler. Works before and after EAL starts.
pub fn register_command(
    cmd: &str,
    help: &str,
    handler: impl Fn(&str) -> TelDict + Send + Sync + 'static,
) -> Result<(), DpdkError> {
    const OP: &str = "rte_telemetry_register_cmd";
    if !cmd.starts_with('/') {
        return Err(DpdkError::invalid(OP, "a command starts with '/'"));
    }
    let c_cmd = CString::new(cmd).map_err(|_| DpdkError::invalid(OP, "NUL in command"))?;
    let c_help = CString::new(help).map_err(|_| DpdkError::invalid(OP, "NUL in help"))?;
    let mut handlers = HANDLERS.lock();
    if let Some(entry) = handlers.iter_mut().find(|(name, _)| name == cmd) {
        entry.1 = Arc::new(handler);
        return Ok(());
    }
    // SAFETY: both strings are NUL-terminated and DPDK copies them;
    // the trampoline is a plain extern "C" function that lives forever.
    let ret = unsafe {
        ffi::rte_telemetry_register_cmd(c_cmd.as_ptr(), Some(trampoline), c_help.as_ptr())
    };
    super::error::check(OP, ret)?;
    handlers.push((cmd.to_owned(), Arc::new(handler)));
    Ok(())
}

/// DPDK's callback for every registered command: runs the handler and
/// copies its dictionary into `info`. A panic answers with an error.
unsafe extern "C" fn trampoline(
    cmd: *const c_char,
    params: *const c_char,
    info: *mut ffi::rte_tel_data,
) -> c_int {
    if cmd.is_null() || info.is_null() {
        return -(Errno::EINVAL as c_int);
    }
    let answer = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: DPDK passes the command it matched, NUL-terminated,
        // valid for the call.
        let cmd = unsafe { CStr::from_ptr(cmd) }.to_string_lossy();
        let params = if params.is_null() {
            String::new()
        } else {
            // SAFETY: non-null parameters are NUL-terminated and valid for
            // the call.
            unsafe { CStr::from_ptr(params) }
                .to_string_lossy()
                .into_owned()
        };
        let handler = {
            let handlers = HANDLERS.lock();
            handlers
                .iter()
                .find(|(name, _)| *name == cmd)
                .map(|(_, h)| Arc::clone(h))
        };
        handler.map(|h| h(&params))
    }));
    match answer {
        // SAFETY: `info` is the reply DPDK handed this call, not yet started.
        Ok(Some(dict)) => match unsafe { fill(info, &dict) } {
            Ok(()) => 0,
            Err(errno) => -(errno as c_int),
        },
        Ok(None) => -(Errno::ENOENT as c_int),
        Err(_) => -(Errno::EIO as c_int),
    }
}

/// Copies `dict` into `d` as a telemetry dictionary, nested dictionaries
/// as containers DPDK frees with their parent.
///
/// # Safety
/// `d` must point at a live `rte_tel_data` this thread owns.
unsafe fn fill(d: *mut ffi::rte_tel_data, dict: &TelDict) -> Result<(), Errno> {
    let fail = |ret: c_int| {
        if ret < 0 {
            Err(Errno::from_raw(ret.saturating_neg()))
        } else {
            Ok(())
        }
    };
    // SAFETY: the caller's contract: `d` is live and ours.
    fail(unsafe { ffi::rte_tel_data_start_dict(d) })?;
    for (name, value) in &dict.entries {
        let Ok(c_name) = CString::new(name.as_str()) else {
            return Err(Errno::EINVAL);
        };
        match value {
            TelValue::U64(v) => {
                // SAFETY: `d` is a started dict; DPDK copies the name.
                fail(unsafe { ffi::rte_tel_data_add_dict_u64(d, c_name.as_ptr(), *v) })?;
            }
            TelValue::Str(s) => {
                let c_value = CString::new(s.as_str()).map_err(|_| Errno::EINVAL)?;
                // SAFETY: `d` is a started dict; DPDK copies both strings.
                fail(unsafe {
                    ffi::rte_tel_data_add_dict_string(d, c_name.as_ptr(), c_value.as_ptr())
                })?;
            }
            TelValue::Dict(inner) => {
                // SAFETY: no preconditions; NULL when out of memory.
                let child = unsafe { ffi::rte_tel_data_alloc() };
                if child.is_null() {
                    return Err(Errno::ENOMEM);
                }
                // SAFETY: `child` was just allocated and is ours; on
                // failure it was never handed to DPDK and is freed here.
                let added = unsafe { fill(child, inner) }.and_then(|()| {
                    // SAFETY: `d` is a started dict; with keep = 0 it owns
                    // `child` from here and frees it with the reply.
                    fail(unsafe {
                        ffi::rte_tel_data_add_dict_container(d, c_name.as_ptr(), child, 0)
                    })
                });
                if let Err(errno) = added {
                    // SAFETY: `child` is still ours: it was not added.
                    unsafe { ffi::rte_tel_data_free(child) };
                    return Err(errno);
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dictionaries_keep_their_order_and_nest() {
        let mut inner = TelDict::new();
        inner.u64("rx_packets", 7);
        let mut d = TelDict::new();
        d.u64("flows", 3)
            .string("name", "dp0")
            .dict("1", inner.clone());
        let names: Vec<&str> = d.entries().iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["flows", "name", "1"]);
        assert_eq!(d.get("flows"), Some(&TelValue::U64(3)));
        assert_eq!(d.get("1"), Some(&TelValue::Dict(inner)));
        assert_eq!(d.get("missing"), None);
    }

    #[test]
    fn commands_must_start_with_a_slash() {
        let err = register_command("dpswitch/dp", "help", |_| TelDict::new()).unwrap_err();
        assert!(err.to_string().contains("'/'"), "{err}");
    }
}
