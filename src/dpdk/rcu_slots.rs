//! A fixed array of RCU-protected slots: the writer (holder of the
//! [`RcuDomain`]) puts shared values (`Arc<T>`) in and takes them out;
//! readers online on the domain's QSBR variable load a slot without locks.
//! A value taken out is released only after a grace period, so a reader's
//! reference stays valid until it quiesces. Readers may keep slot
//! *indices* across quiescent states (the value itself they must look up
//! again): that is what lets a per-lcore cache refer to values safely.

use std::marker::PhantomData;
use std::sync::atomic::{AtomicPtr, Ordering};
use std::sync::Arc;

use super::prefetch::prefetch;
use super::rcu::RcuReader;
use super::rcu_domain::{protects, RcuDomain};

pub struct RcuSlots<T> {
    slots: Box<[AtomicPtr<T>]>,
    domain: usize,
    _owns: PhantomData<Arc<T>>,
}

// SAFETY: the slots own Arc<T>s and hand out only &T, so they may cross
// threads when T may be shared; every update is an atomic swap.
unsafe impl<T: Send + Sync> Send for RcuSlots<T> {}
// SAFETY: as above.
unsafe impl<T: Send + Sync> Sync for RcuSlots<T> {}

impl<T: Send + Sync + 'static> RcuSlots<T> {
    /// `len` empty slots whose values are retired through `domain`.
    pub fn new(len: usize, domain: &RcuDomain) -> RcuSlots<T> {
        RcuSlots {
            slots: (0..len)
                .map(|_| AtomicPtr::new(std::ptr::null_mut()))
                .collect(),
            domain: domain.id(),
            _owns: PhantomData,
        }
    }

    pub fn len(&self) -> usize {
        self.slots.len()
    }

    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// Puts `value` in slot `index`; what was there is retired. Gives the
    /// value back when `index` is out of range.
    ///
    /// # Panics
    /// If `domain` is not the slots' domain.
    pub fn set(&self, index: usize, value: Arc<T>, domain: &RcuDomain) -> Result<(), Arc<T>> {
        assert_eq!(
            domain.id(),
            self.domain,
            "RcuSlots used with another domain"
        );
        let Some(slot) = self.slots.get(index) else {
            return Err(value);
        };
        let old = slot.swap(Arc::into_raw(value).cast_mut(), Ordering::AcqRel);
        retire(old, domain);
        Ok(())
    }

    /// Empties slot `index`: readers that load it from now on find
    /// nothing, and its value is released after a grace period.
    ///
    /// # Panics
    /// If `domain` is not the slots' domain.
    pub fn clear(&self, index: usize, domain: &RcuDomain) {
        assert_eq!(
            domain.id(),
            self.domain,
            "RcuSlots used with another domain"
        );
        if let Some(slot) = self.slots.get(index) {
            let old = slot.swap(std::ptr::null_mut(), Ordering::AcqRel);
            retire(old, domain);
        }
    }

    /// The value in slot `index`, for a reader online on the slots'
    /// domain; valid until the reader next quiesces. None when the slot
    /// is empty or out of range, or the reader is offline or of another
    /// domain.
    #[inline]
    pub fn get<'a>(&'a self, reader: &'a RcuReader, index: usize) -> Option<&'a T> {
        if !protects(reader, self.domain) {
            return None;
        }
        let ptr = self.slots.get(index)?.load(Ordering::Acquire);
        // SAFETY: a non-null pointer came from Arc::into_raw; a value
        // taken out of its slot is retired to the domain and released only
        // after a grace period that waits for this online reader, which
        // cannot quiesce while borrowed for 'a.
        unsafe { ptr.as_ref() }
    }

    /// The value in slot `index`, for the slots' writer: valid while
    /// `domain` is borrowed (retired values are released only by
    /// [`RcuDomain::reclaim`], which needs `&mut`).
    ///
    /// # Panics
    /// If `domain` is not the slots' domain.
    #[inline]
    pub fn get_for_writer<'a>(&'a self, index: usize, domain: &'a RcuDomain) -> Option<&'a T> {
        assert_eq!(
            domain.id(),
            self.domain,
            "RcuSlots used with another domain"
        );
        let ptr = self.slots.get(index)?.load(Ordering::Acquire);
        // SAFETY: a non-null pointer came from Arc::into_raw; a value
        // taken out is retired to `domain` and released only by its
        // reclaim (`&mut`), which cannot run while `domain` is borrowed.
        unsafe { ptr.as_ref() }
    }

    /// A new handle to the value in slot `index`, for the slots' writer.
    ///
    /// # Panics
    /// If `domain` is not the slots' domain.
    pub fn cloned_for_writer(&self, index: usize, domain: &RcuDomain) -> Option<Arc<T>> {
        let value = self.get_for_writer(index, domain)?;
        // SAFETY: `value` lives in an Arc (the slot's, from Arc::into_raw)
        // that stays alive while `domain` is borrowed; the count goes up
        // before the new handle takes it over.
        unsafe {
            Arc::increment_strong_count(value);
            Some(Arc::from_raw(value))
        }
    }

    /// When every slot is empty, hands the slot array's whole pages back
    /// to the kernel (an emptied table keeps no resident memory for the
    /// slots it once used); returns whether it did.
    ///
    /// # Panics
    /// If `domain` is not the slots' domain.
    pub fn release_if_empty(&self, domain: &RcuDomain) -> bool {
        assert_eq!(
            domain.id(),
            self.domain,
            "RcuSlots used with another domain"
        );
        super::memory::discard_null_pointers(&self.slots)
    }

    /// Starts loading slot `index` into the cache, ahead of `get`.
    #[inline(always)]
    pub fn prefetch(&self, index: usize) {
        if let Some(slot) = self.slots.get(index) {
            prefetch(slot);
        }
    }
}

/// Hands a pointer taken out of a slot to `domain` to release.
fn retire<T: Send + Sync + 'static>(old: *mut T, domain: &RcuDomain) {
    if !old.is_null() {
        // SAFETY: `old` came from Arc::into_raw and is no longer reachable
        // through the slots; ownership moves to the retire list.
        domain.retire(unsafe { Arc::from_raw(old) });
    }
}

impl<T> Drop for RcuSlots<T> {
    fn drop(&mut self) {
        for slot in self.slots.iter_mut() {
            let ptr = *slot.get_mut();
            if !ptr.is_null() {
                // SAFETY: `&mut self`: no reader holds a reference; the
                // pointer came from Arc::into_raw and is released once.
                drop(unsafe { Arc::from_raw(ptr) });
            }
        }
    }
}

impl<T> std::fmt::Debug for RcuSlots<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RcuSlots")
            .field("len", &self.slots.len())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    struct CountsDrops(u32, Arc<AtomicUsize>);
    impl Drop for CountsDrops {
        fn drop(&mut self) {
            self.1.fetch_add(1, Ordering::SeqCst);
        }
    }

    #[test]
    fn cleared_values_live_until_the_reader_quiesces() {
        let mut domain = RcuDomain::new(2).unwrap();
        let drops = Arc::new(AtomicUsize::new(0));
        let slots = RcuSlots::new(4, &domain);
        let mut reader = domain.rcu().register(1).unwrap();
        reader.online();
        assert!(slots.get(&reader, 2).is_none());
        assert!(slots
            .set(2, Arc::new(CountsDrops(5, Arc::clone(&drops))), &domain)
            .is_ok());
        assert!(slots
            .set(9, Arc::new(CountsDrops(9, Arc::clone(&drops))), &domain)
            .is_err());
        assert_eq!(drops.load(Ordering::SeqCst), 1, "refused value dropped");
        assert_eq!(slots.get(&reader, 2).map(|v| v.0), Some(5));
        slots.clear(2, &domain);
        assert!(slots.get(&reader, 2).is_none());
        assert_eq!(domain.reclaim(), 0, "the reader has not quiesced");
        assert_eq!(drops.load(Ordering::SeqCst), 1);
        reader.quiescent();
        assert_eq!(domain.reclaim(), 1);
        assert_eq!(drops.load(Ordering::SeqCst), 2);
        assert!(slots
            .set(0, Arc::new(CountsDrops(1, Arc::clone(&drops))), &domain)
            .is_ok());
        let mut offline = domain.rcu().register(0).unwrap();
        assert!(slots.get(&offline, 0).is_none(), "offline: unprotected");
        offline.online();
        assert_eq!(slots.get(&offline, 0).map(|v| v.0), Some(1));
        drop(slots);
        assert_eq!(drops.load(Ordering::SeqCst), 3);
    }
}
