//! The writer side of RCU-protected data: one [`RcuDomain`] per QSBR
//! variable owns the list of retired objects and frees each once every
//! reader has quiesced since it was retired; [`RcuCell`] is a pointer
//! readers load without locks while the writer swaps in new values.
//!
//! Soundness rests on three rules the types enforce:
//! - a domain creates its own QSBR variable, so exactly one domain (one
//!   writer) retires objects readers of that variable may hold;
//! - readers get references only while online on that variable, borrowed
//!   from their [`RcuReader`], so they cannot report quiescence (which needs
//!   `&mut`) while holding one;
//! - retired objects are freed only by [`RcuDomain::reclaim`] (`&mut`), so
//!   writer-side references borrowed from `&RcuDomain` stay valid.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::marker::PhantomData;
use std::sync::atomic::{AtomicPtr, Ordering};

use super::error::DpdkError;
use super::rcu::{Rcu, RcuReader, RcuToken};

struct Retired {
    token: RcuToken,
    _object: Box<dyn Send>,
}

/// The single writer of everything protected by one QSBR variable.
pub struct RcuDomain {
    rcu: Rcu,
    retired: RefCell<VecDeque<Retired>>,
    _not_sync: PhantomData<Cell<()>>,
}

impl RcuDomain {
    /// A domain with a fresh QSBR variable for reader ids `0..max_readers`.
    pub fn new(max_readers: u32) -> Result<RcuDomain, DpdkError> {
        Ok(RcuDomain {
            rcu: Rcu::new(max_readers)?,
            retired: RefCell::new(VecDeque::new()),
            _not_sync: PhantomData,
        })
    }

    /// The QSBR variable readers register with.
    pub fn rcu(&self) -> &Rcu {
        &self.rcu
    }

    /// Hands `object` over to be dropped once every reader online now has
    /// quiesced.
    pub fn retire<T: Send + 'static>(&self, object: T) {
        let token = self.rcu.start();
        self.retired.borrow_mut().push_back(Retired {
            token,
            _object: Box::new(object),
        });
    }

    /// Drops the retired objects whose grace period is over; returns how
    /// many. Never blocks.
    pub fn reclaim(&mut self) -> usize {
        let retired = self.retired.get_mut();
        let mut freed = 0;
        // Tokens grow monotonically, so the first unfinished one ends the scan.
        while let Some(front) = retired.front() {
            if !self.rcu.check(front.token, false) {
                break;
            }
            retired.pop_front();
            freed += 1;
        }
        freed
    }

    /// Gives back the spare room of the retired list (it grows to hold
    /// every flow of a flush).
    pub fn shrink_to_fit(&mut self) {
        self.retired.get_mut().shrink_to_fit();
    }

    /// Retired objects not freed yet.
    pub fn pending(&self) -> usize {
        self.retired.borrow().len()
    }

    pub(crate) fn id(&self) -> usize {
        self.rcu.as_ptr() as usize
    }
}

impl Drop for RcuDomain {
    fn drop(&mut self) {
        self.reclaim();
        // Objects a still-online reader may hold are leaked rather than
        // freed under it (waiting could deadlock on a reader that never
        // quiesces again).
        for retired in self.retired.get_mut().drain(..) {
            std::mem::forget(retired);
        }
    }
}

impl std::fmt::Debug for RcuDomain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RcuDomain")
            .field("rcu", &self.rcu)
            .field("pending", &self.pending())
            .finish()
    }
}

/// True when `reader` is online on the domain with id `domain`: only then
/// do the domain's grace periods protect what it reads.
#[inline]
pub(crate) fn protects(reader: &RcuReader, domain: usize) -> bool {
    reader.is_online() && reader.rcu().as_ptr() as usize == domain
}

/// A value readers load without locks and the domain's writer replaces
/// atomically: a reader sees the old value or the new one, never a mix,
/// and the old one is freed only after a grace period.
pub struct RcuCell<T> {
    ptr: AtomicPtr<T>,
    domain: usize,
    _owns: PhantomData<Box<T>>,
}

// SAFETY: the cell owns a T like a Box does and hands out only shared
// references, so it may cross threads when T may be shared.
unsafe impl<T: Send + Sync> Send for RcuCell<T> {}
// SAFETY: as above; replacement is an atomic swap.
unsafe impl<T: Send + Sync> Sync for RcuCell<T> {}

impl<T: Send + Sync + 'static> RcuCell<T> {
    pub fn new(value: T, domain: &RcuDomain) -> RcuCell<T> {
        RcuCell {
            ptr: AtomicPtr::new(Box::into_raw(Box::new(value))),
            domain: domain.id(),
            _owns: PhantomData,
        }
    }

    /// The current value, for a reader online on the cell's domain; valid
    /// until the reader next quiesces.
    ///
    /// # Panics
    /// If the reader is offline or registered with another domain.
    #[inline]
    pub fn read<'a>(&'a self, reader: &'a RcuReader) -> &'a T {
        assert!(
            protects(reader, self.domain),
            "RcuCell read by a reader that is offline or of another domain"
        );
        // SAFETY: the pointer came from Box::into_raw and is never null; a
        // replaced value is retired to the domain and freed only after the
        // online reader (borrowed for 'a, so it cannot quiesce) reports.
        unsafe { &*self.ptr.load(Ordering::Acquire) }
    }

    /// The current value, for the domain's writer.
    ///
    /// # Panics
    /// If `domain` is not the cell's domain.
    pub fn get<'a>(&'a self, domain: &'a RcuDomain) -> &'a T {
        assert_eq!(domain.id(), self.domain, "RcuCell used with another domain");
        // SAFETY: retired values are freed only by RcuDomain::reclaim,
        // which needs `&mut` and so cannot run while `domain` is borrowed.
        unsafe { &*self.ptr.load(Ordering::Acquire) }
    }

    /// Publishes `value`; the old value is retired to `domain`.
    ///
    /// # Panics
    /// If `domain` is not the cell's domain.
    pub fn replace(&self, value: T, domain: &RcuDomain) {
        assert_eq!(domain.id(), self.domain, "RcuCell used with another domain");
        let old = self
            .ptr
            .swap(Box::into_raw(Box::new(value)), Ordering::AcqRel);
        // SAFETY: `old` came from Box::into_raw and is no longer reachable
        // through the cell; ownership moves to the retire list.
        let old = unsafe { Box::from_raw(old) };
        domain.retire(old);
    }
}

impl<T> Drop for RcuCell<T> {
    fn drop(&mut self) {
        // SAFETY: `&mut self` means no reference into the cell remains;
        // the pointer came from Box::into_raw.
        drop(unsafe { Box::from_raw(*self.ptr.get_mut()) });
    }
}

impl<T: std::fmt::Debug> std::fmt::Debug for RcuCell<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RcuCell").finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;
    use std::sync::Arc;

    struct CountsDrops(Arc<AtomicUsize>);
    impl Drop for CountsDrops {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    #[test]
    fn replaced_values_live_until_the_reader_quiesces() {
        let mut domain = RcuDomain::new(2).unwrap();
        let drops = Arc::new(AtomicUsize::new(0));
        let cell = RcuCell::new(CountsDrops(Arc::clone(&drops)), &domain);
        let mut reader = domain.rcu().register(1).unwrap();
        reader.online();
        let _ = cell.read(&reader);
        cell.replace(CountsDrops(Arc::clone(&drops)), &domain);
        assert_eq!(domain.pending(), 1);
        assert_eq!(domain.reclaim(), 0, "the reader has not quiesced");
        assert_eq!(drops.load(Ordering::SeqCst), 0);
        reader.quiescent();
        assert_eq!(domain.reclaim(), 1);
        assert_eq!(drops.load(Ordering::SeqCst), 1);
        drop(cell);
        assert_eq!(drops.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn readers_of_other_domains_are_refused() {
        let domain = RcuDomain::new(1).unwrap();
        let other = RcuDomain::new(1).unwrap();
        let cell = RcuCell::new(5u32, &domain);
        assert_eq!(*cell.get(&domain), 5);
        let mut stranger = other.rcu().register(0).unwrap();
        stranger.online();
        let read = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| *cell.read(&stranger)));
        assert!(read.is_err());
        let mut offline = domain.rcu().register(0).unwrap();
        let read = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| *cell.read(&offline)));
        assert!(read.is_err(), "offline readers are unprotected");
        offline.online();
        assert_eq!(*cell.read(&offline), 5);
    }
}
