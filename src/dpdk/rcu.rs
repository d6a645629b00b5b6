//! Quiescent-state based RCU (`rte_rcu_qsbr`): readers report when they
//! hold no references, so writers know when retired memory is unreachable.
//! The QSBR variable lives in Rust memory, so no EAL is needed.

use std::alloc::{self, Layout};
use std::cell::Cell;
use std::marker::PhantomData;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use super::error::{check, DpdkError};
use super::ffi;

/// A shared handle to one QSBR variable.
#[derive(Clone)]
pub struct Rcu {
    inner: Arc<RcuInner>,
}

struct RcuInner {
    qsbr: NonNull<ffi::rte_rcu_qsbr>,
    layout: Layout,
    /// Which thread ids have a live `RcuReader`.
    registered: Box<[AtomicBool]>,
}

// SAFETY: the writer calls (start, check, synchronize) use atomics and are
// safe from any thread; reader calls go through RcuReader, one per id.
unsafe impl Send for RcuInner {}
// SAFETY: as above.
unsafe impl Sync for RcuInner {}

/// A grace-period token from [`Rcu::start`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RcuToken(u64);

impl Rcu {
    /// A QSBR variable for reader thread ids `0..max_threads`.
    pub fn new(max_threads: u32) -> Result<Rcu, DpdkError> {
        const OP: &str = "rte_rcu_qsbr_init";
        if max_threads == 0 {
            return Err(DpdkError::invalid(OP, "max_threads must be at least 1"));
        }
        // SAFETY: a pure size computation.
        let size = unsafe { ffi::rte_rcu_qsbr_get_memsize(max_threads) };
        if size == 0 {
            return Err(DpdkError::from_rte_errno("rte_rcu_qsbr_get_memsize"));
        }
        let align =
            std::mem::align_of::<ffi::rte_rcu_qsbr>().max(ffi::RTE_CACHE_LINE_SIZE as usize);
        let layout = Layout::from_size_align(size, align)
            .map_err(|_| DpdkError::invalid(OP, "QSBR size overflows"))?;
        // SAFETY: layout has non-zero size.
        let memory = unsafe { alloc::alloc_zeroed(layout) };
        let Some(qsbr) = NonNull::new(memory.cast::<ffi::rte_rcu_qsbr>()) else {
            alloc::handle_alloc_error(layout);
        };
        // SAFETY: `memory` is zeroed, suitably aligned and as large as
        // rte_rcu_qsbr_get_memsize requires for max_threads.
        let ret = unsafe { ffi::rte_rcu_qsbr_init(qsbr.as_ptr(), max_threads) };
        if ret != 0 {
            // SAFETY: allocated above with this layout, not shared yet.
            unsafe { alloc::dealloc(memory, layout) };
            return Err(DpdkError::from_rte_errno(OP));
        }
        let registered = (0..max_threads).map(|_| AtomicBool::new(false)).collect();
        Ok(Rcu {
            inner: Arc::new(RcuInner {
                qsbr,
                layout,
                registered,
            }),
        })
    }

    /// Number of reader thread ids.
    pub fn max_threads(&self) -> u32 {
        self.inner.registered.len() as u32
    }

    /// Registers reader `thread_id` (offline until [`RcuReader::online`]).
    /// Each id has at most one reader at a time.
    pub fn register(&self, thread_id: u32) -> Result<RcuReader, DpdkError> {
        const OP: &str = "rte_rcu_qsbr_thread_register";
        let flag = self
            .inner
            .registered
            .get(thread_id as usize)
            .ok_or_else(|| {
                DpdkError::invalid(OP, format!("thread id {thread_id} >= max_threads"))
            })?;
        if flag.swap(true, Ordering::AcqRel) {
            return Err(DpdkError::busy(
                OP,
                format!("thread id {thread_id} is already registered"),
            ));
        }
        // SAFETY: live QSBR variable, thread_id < max_threads.
        let ret = unsafe { ffi::rte_rcu_qsbr_thread_register(self.as_ptr(), thread_id) };
        if let Err(err) = check(OP, ret) {
            flag.store(false, Ordering::Release);
            return Err(err);
        }
        Ok(RcuReader {
            rcu: self.clone(),
            thread_id,
            online: false,
            _not_sync: PhantomData,
        })
    }

    /// Starts a grace period: once every reader online now has reported a
    /// quiescent state, [`Rcu::check`] on the token returns true.
    pub fn start(&self) -> RcuToken {
        // SAFETY: live QSBR variable; a writer-side atomic update.
        RcuToken(unsafe { ffi::dpsw_rcu_qsbr_start(self.as_ptr()) })
    }

    /// Whether the grace period of `token` is over; with `wait`, blocks
    /// until it is.
    pub fn check(&self, token: RcuToken, wait: bool) -> bool {
        // SAFETY: live QSBR variable; reads reader counters atomically.
        unsafe { ffi::dpsw_rcu_qsbr_check(self.as_ptr(), token.0, wait) == 1 }
    }

    /// Waits for a full grace period. The caller must not be an online
    /// reader (use [`RcuReader::synchronize`] there) or it waits forever.
    pub fn synchronize(&self) {
        // SAFETY: live QSBR variable; THRID_INVALID says the caller is not
        // a reader.
        unsafe { ffi::rte_rcu_qsbr_synchronize(self.as_ptr(), ffi::RTE_QSBR_THRID_INVALID) }
    }

    pub(crate) fn as_ptr(&self) -> *mut ffi::rte_rcu_qsbr {
        self.inner.qsbr.as_ptr()
    }
}

impl std::fmt::Debug for Rcu {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rcu")
            .field("max_threads", &self.max_threads())
            .finish()
    }
}

impl Drop for RcuInner {
    fn drop(&mut self) {
        // SAFETY: no handle remains (readers and hash tables hold clones),
        // and the memory came from alloc_zeroed with this layout.
        unsafe { alloc::dealloc(self.qsbr.as_ptr().cast(), self.layout) }
    }
}

/// One registered reader thread. Not shareable between threads: the reader
/// calls for one id must come from one thread at a time.
pub struct RcuReader {
    rcu: Rcu,
    thread_id: u32,
    online: bool,
    _not_sync: PhantomData<Cell<()>>,
}

impl RcuReader {
    pub fn thread_id(&self) -> u32 {
        self.thread_id
    }

    pub fn is_online(&self) -> bool {
        self.online
    }

    /// From now on writers wait for this reader's quiescent reports.
    pub fn online(&mut self) {
        if !self.online {
            // SAFETY: live QSBR variable, our registered id.
            unsafe { ffi::dpsw_rcu_qsbr_thread_online(self.rcu.as_ptr(), self.thread_id) };
            self.online = true;
        }
    }

    /// Writers stop waiting for this reader (it must hold no references).
    pub fn offline(&mut self) {
        if self.online {
            // SAFETY: live QSBR variable, our registered id.
            unsafe { ffi::dpsw_rcu_qsbr_thread_offline(self.rcu.as_ptr(), self.thread_id) };
            self.online = false;
        }
    }

    /// Reports that this reader holds no references into protected data.
    /// Does nothing while offline (reporting would put it online).
    #[inline]
    pub fn quiescent(&mut self) {
        if self.online {
            // SAFETY: live QSBR variable, our registered online id.
            unsafe { ffi::dpsw_rcu_qsbr_quiescent(self.rcu.as_ptr(), self.thread_id) };
        }
    }

    /// Waits for a grace period from a reader thread, counting this reader
    /// as quiescent.
    pub fn synchronize(&mut self) {
        // SAFETY: live QSBR variable, our registered id.
        unsafe { ffi::rte_rcu_qsbr_synchronize(self.rcu.as_ptr(), self.thread_id) }
    }

    /// The variable this reader reports to.
    pub fn rcu(&self) -> &Rcu {
        &self.rcu
    }
}

impl Drop for RcuReader {
    fn drop(&mut self) {
        self.offline();
        // SAFETY: live QSBR variable, our registered id, now offline.
        unsafe { ffi::rte_rcu_qsbr_thread_unregister(self.rcu.as_ptr(), self.thread_id) };
        if let Some(flag) = self.rcu.inner.registered.get(self.thread_id as usize) {
            flag.store(false, Ordering::Release);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_grace_period_waits_for_online_readers_only() {
        let rcu = Rcu::new(4).unwrap();
        let mut reader = rcu.register(1).unwrap();
        // Offline readers do not hold grace periods back.
        assert!(rcu.check(rcu.start(), false));
        reader.online();
        let token = rcu.start();
        assert!(!rcu.check(token, false));
        reader.quiescent();
        assert!(rcu.check(token, false));
        let token = rcu.start();
        assert!(!rcu.check(token, false));
        reader.offline();
        assert!(rcu.check(token, false));
    }

    #[test]
    fn thread_ids_are_bounded_and_exclusive() {
        let rcu = Rcu::new(2).unwrap();
        assert!(matches!(
            rcu.register(2),
            Err(DpdkError::InvalidArgument { .. })
        ));
        let reader = rcu.register(0).unwrap();
        assert!(matches!(rcu.register(0), Err(DpdkError::Busy { .. })));
        drop(reader);
        let again = rcu.register(0).unwrap();
        assert_eq!(again.thread_id(), 0);
        assert!(Rcu::new(0).is_err());
    }

    #[test]
    fn synchronize_returns_once_a_reader_thread_reports() {
        let rcu = Rcu::new(2).unwrap();
        let mut reader = rcu.register(0).unwrap();
        reader.online();
        let stop = Arc::new(AtomicBool::new(false));
        let worker = {
            let stop = Arc::clone(&stop);
            std::thread::spawn(move || {
                while !stop.load(Ordering::Acquire) {
                    reader.quiescent();
                    std::thread::yield_now();
                }
                drop(reader);
            })
        };
        rcu.synchronize();
        stop.store(true, Ordering::Release);
        worker.join().unwrap();
        assert!(rcu.check(rcu.start(), false));
    }
}
