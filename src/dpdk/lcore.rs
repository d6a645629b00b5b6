//! Logical cores: enumeration, the current lcore, and running a Rust
//! closure on a worker lcore with a join handle for its result.

use std::any::Any;
use std::ffi::{c_int, c_void};
use std::panic::{catch_unwind, AssertUnwindSafe};

use crossbeam_channel::{Receiver, Sender};

use super::eal::Eal;
use super::error::DpdkError;
use super::ffi;

/// The lcore id of threads that are not EAL lcores.
pub const LCORE_ID_ANY: u32 = u32::MAX;

/// The calling thread's lcore id, or `None` on a thread EAL did not create
/// (or before EAL is initialised).
pub fn current_lcore() -> Option<u32> {
    // SAFETY: reads a thread-local variable; valid on any thread.
    let id = unsafe { ffi::dpsw_lcore_id() };
    (id != LCORE_ID_ANY).then_some(id)
}

impl Eal {
    /// Number of lcores EAL enabled, the main lcore included.
    pub fn lcore_count(&self) -> u32 {
        // SAFETY: EAL is initialised (self proves it); a plain getter.
        unsafe { ffi::rte_lcore_count() }
    }

    /// The enabled lcores other than the main lcore, in ascending order.
    pub fn worker_lcores(&self) -> Vec<u32> {
        let mut workers = Vec::new();
        // rte_get_next_lcore(-1, ...) starts the search at lcore 0.
        let mut id = u32::MAX;
        loop {
            // SAFETY: EAL is initialised; the function only reads lcore
            // configuration and returns RTE_MAX_LCORE when done.
            id = unsafe { ffi::rte_get_next_lcore(id, 1, 0) };
            if id >= ffi::RTE_MAX_LCORE {
                return workers;
            }
            workers.push(id);
        }
    }

    /// The NUMA socket of an lcore (0 on single-socket machines).
    pub fn lcore_socket(&self, lcore: u32) -> u32 {
        // SAFETY: EAL is initialised; out-of-range ids return an error
        // value rather than reading out of bounds.
        unsafe { ffi::rte_lcore_to_socket_id(lcore) }
    }

    /// Runs `job` on worker lcore `lcore`. Must be called from the main
    /// lcore, and the worker must be idle (not running an unjoined job).
    pub fn launch<F, R>(&self, lcore: u32, job: F) -> Result<LcoreJob<R>, DpdkError>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        const OP: &str = "rte_eal_remote_launch";
        if current_lcore() != Some(self.main_lcore()) {
            return Err(DpdkError::invalid(
                OP,
                "only the main lcore may launch jobs",
            ));
        }
        if !self.worker_lcores().contains(&lcore) {
            return Err(DpdkError::invalid(
                OP,
                format!("lcore {lcore} is not a worker lcore"),
            ));
        }
        // The result goes through a one-message channel on the Rust heap:
        // only the job's closure crosses into DPDK, never the result, so
        // the cell needs no DPDK memory. The send cannot block (one
        // message, room for one) and fails only if the job was detached.
        let (result, outcome): (Sender<std::thread::Result<R>>, _) = crossbeam_channel::bounded(1);
        let run: BoxedJob = Box::new(move || {
            let _ = result.send(catch_unwind(AssertUnwindSafe(job)));
        });
        let arg = Box::into_raw(Box::new(run));
        // SAFETY: trampoline matches lcore_function_t and takes ownership
        // of `arg`, a leaked Box<BoxedJob>, exactly once.
        let ret = unsafe { ffi::rte_eal_remote_launch(Some(trampoline), arg.cast(), lcore) };
        if ret < 0 {
            // SAFETY: the launch failed, so the worker never received
            // `arg`; reclaim it here.
            drop(unsafe { Box::from_raw(arg) });
            return Err(DpdkError::from_return(OP, ret));
        }
        Ok(LcoreJob {
            lcore,
            outcome,
            _eal: self.clone(),
        })
    }
}

type BoxedJob = Box<dyn FnOnce() + Send>;

unsafe extern "C" fn trampoline(arg: *mut c_void) -> c_int {
    // SAFETY: `arg` is the Box<BoxedJob> leaked by Eal::launch, handed to
    // this lcore once.
    let job = unsafe { Box::from_raw(arg.cast::<BoxedJob>()) };
    // The job catches its own panics; this guards the FFI boundary anyway
    // because unwinding into C is undefined behaviour.
    match catch_unwind(AssertUnwindSafe(job)) {
        Ok(()) => 0,
        Err(_) => -1,
    }
}

/// A job running on a worker lcore. Dropping it detaches the job; the lcore
/// stays busy until the job returns.
pub struct LcoreJob<R> {
    lcore: u32,
    outcome: Receiver<std::thread::Result<R>>,
    _eal: Eal,
}

impl<R> LcoreJob<R> {
    /// The lcore the job runs on.
    pub fn lcore(&self) -> u32 {
        self.lcore
    }

    /// Whether the job has returned (or panicked).
    pub fn is_finished(&self) -> bool {
        !self.outcome.is_empty()
    }

    /// Waits for the job and returns its result, or the panic payload if it
    /// panicked, like `std::thread::JoinHandle::join`.
    pub fn join(self) -> std::thread::Result<R> {
        // SAFETY: waits for the lcore to return to WAIT state; the lcore id
        // was validated at launch.
        unsafe { ffi::rte_eal_wait_lcore(self.lcore) };
        self.outcome.try_recv().unwrap_or_else(|_| {
            let lost: Box<dyn Any + Send> = Box::new("lcore job ended without a result");
            Err(lost)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn threads_outside_eal_have_no_lcore() {
        let id = std::thread::spawn(current_lcore).join().unwrap();
        assert_eq!(id, None);
    }
}
