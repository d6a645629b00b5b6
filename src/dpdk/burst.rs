//! A fixed-capacity batch of owned mbufs, laid out as the `rte_mbuf *`
//! array DPDK's burst functions read and write, so bursts cost no heap.

use std::mem::MaybeUninit;
use std::ops::{Deref, DerefMut};

use super::ffi;
use super::mbuf::Mbuf;

/// The burst size dpswitch's forwarding loops use.
pub const BURST_SIZE: usize = 32;

/// Up to `N` owned mbufs. The first `len` slots are initialised; dropping
/// the burst frees whatever it still holds in one bulk call.
pub struct MbufBurst<const N: usize = BURST_SIZE> {
    // `Mbuf` is a transparent non-null pointer, so this array has the
    // layout of `struct rte_mbuf *[N]`.
    slots: [MaybeUninit<Mbuf>; N],
    len: usize,
}

impl<const N: usize> MbufBurst<N> {
    /// An empty burst.
    pub const fn new() -> Self {
        MbufBurst {
            slots: [const { MaybeUninit::uninit() }; N],
            len: 0,
        }
    }

    /// How many mbufs the burst can hold.
    pub const fn capacity(&self) -> usize {
        N
    }

    /// Free slots.
    pub fn remaining(&self) -> usize {
        N - self.len
    }

    pub fn is_full(&self) -> bool {
        self.len == N
    }

    /// Adds an mbuf at the end, or hands it back when the burst is full.
    #[inline]
    pub fn push(&mut self, mbuf: Mbuf) -> Result<(), Mbuf> {
        match self.slots.get_mut(self.len) {
            Some(slot) => {
                slot.write(mbuf);
                self.len += 1;
                Ok(())
            }
            None => Err(mbuf),
        }
    }

    /// Removes and returns the last mbuf.
    #[inline]
    pub fn pop(&mut self) -> Option<Mbuf> {
        let last = self.len.checked_sub(1)?;
        self.len = last;
        // SAFETY: slot `last` was initialised and is now outside the
        // initialised prefix, so it is read exactly once.
        Some(unsafe { self.slots[last].assume_init_read() })
    }

    /// Removes the mbuf at `index`, moving the last one into its place.
    #[inline]
    pub fn swap_remove(&mut self, index: usize) -> Option<Mbuf> {
        if index >= self.len {
            return None;
        }
        self.slots.swap(index, self.len - 1);
        self.pop()
    }

    /// Frees every mbuf after the first `len`.
    pub fn truncate(&mut self, len: usize) {
        if len >= self.len {
            return;
        }
        let excess = self.len - len;
        self.len = len;
        // SAFETY: slots len..len+excess were initialised and are no longer
        // part of the burst, so they are freed exactly once.
        unsafe { free_bulk(self.slots.as_mut_ptr().add(len), excess) };
    }

    /// Frees every mbuf.
    pub fn clear(&mut self) {
        self.truncate(0);
    }

    /// Moves every mbuf out, front to back; those not taken are freed when
    /// the iterator is dropped.
    pub fn drain(&mut self) -> Drain<'_, N> {
        let end = self.len;
        // The burst forgets them now so a leaked Drain cannot double-free.
        self.len = 0;
        Drain {
            burst: self,
            next: 0,
            end,
        }
    }

    /// The array pointer DPDK burst functions take.
    #[inline]
    pub(crate) fn as_mut_ptr(&mut self) -> *mut *mut ffi::rte_mbuf {
        self.slots.as_mut_ptr().cast()
    }

    /// The first free slot, for DPDK to fill.
    #[inline]
    pub(crate) fn spare_ptr(&mut self) -> *mut *mut ffi::rte_mbuf {
        // SAFETY: len <= N, so this is at most one past the end.
        unsafe { self.as_mut_ptr().add(self.len) }
    }

    /// Marks `added` more slots initialised after DPDK filled them.
    ///
    /// # Safety
    /// The `added` slots after the current length must hold valid mbufs
    /// now owned by this burst, and `len + added <= N`.
    #[inline]
    pub(crate) unsafe fn grow(&mut self, added: usize) {
        debug_assert!(self.len + added <= N);
        self.len += added;
    }

    /// Forgets the first `taken` mbufs, whose ownership passed to DPDK,
    /// and moves the rest to the front.
    ///
    /// # Safety
    /// The first `taken` mbufs must now be owned elsewhere; `taken <= len`.
    #[inline]
    pub(crate) unsafe fn consume_front(&mut self, taken: usize) {
        debug_assert!(taken <= self.len);
        let rest = self.len - taken;
        if rest > 0 && taken > 0 {
            let base = self.slots.as_mut_ptr();
            // SAFETY: both ranges are inside the array; copy handles the
            // overlap; the moved-from slots are then outside the prefix.
            unsafe { std::ptr::copy(base.add(taken), base, rest) };
        }
        self.len = rest;
    }
}

impl<const N: usize> Default for MbufBurst<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> Deref for MbufBurst<N> {
    type Target = [Mbuf];

    #[inline]
    fn deref(&self) -> &[Mbuf] {
        // SAFETY: the first len slots are initialised Mbufs.
        unsafe { std::slice::from_raw_parts(self.slots.as_ptr().cast(), self.len) }
    }
}

impl<const N: usize> DerefMut for MbufBurst<N> {
    #[inline]
    fn deref_mut(&mut self) -> &mut [Mbuf] {
        // SAFETY: the first len slots are initialised Mbufs.
        unsafe { std::slice::from_raw_parts_mut(self.slots.as_mut_ptr().cast(), self.len) }
    }
}

impl<const N: usize> Drop for MbufBurst<N> {
    fn drop(&mut self) {
        self.clear();
    }
}

impl<const N: usize> std::fmt::Debug for MbufBurst<N> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MbufBurst")
            .field("len", &self.len())
            .field("capacity", &N)
            .finish()
    }
}

/// Moves mbufs out of a burst in order; see [`MbufBurst::drain`].
pub struct Drain<'a, const N: usize> {
    burst: &'a mut MbufBurst<N>,
    next: usize,
    end: usize,
}

impl<const N: usize> Iterator for Drain<'_, N> {
    type Item = Mbuf;

    #[inline]
    fn next(&mut self) -> Option<Mbuf> {
        if self.next >= self.end {
            return None;
        }
        let index = self.next;
        self.next += 1;
        // SAFETY: slots next..end are initialised and each is read once.
        Some(unsafe { self.burst.slots[index].assume_init_read() })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self.end - self.next;
        (left, Some(left))
    }
}

impl<const N: usize> ExactSizeIterator for Drain<'_, N> {}

impl<const N: usize> Drop for Drain<'_, N> {
    fn drop(&mut self) {
        let left = self.end - self.next;
        // SAFETY: the slots not yet yielded are initialised and owned by
        // nobody else; the burst already forgot them.
        unsafe { free_bulk(self.burst.slots.as_mut_ptr().add(self.next), left) };
    }
}

/// Frees `count` mbufs starting at `first`.
///
/// # Safety
/// `first..first+count` must be initialised mbufs owned by the caller and
/// not used afterwards.
unsafe fn free_bulk(first: *mut MaybeUninit<Mbuf>, count: usize) {
    if count == 0 {
        return;
    }
    // A burst never exceeds u32 in practice; free in chunks regardless.
    let mut done = 0;
    while done < count {
        let chunk = (count - done).min(u32::MAX as usize);
        // SAFETY: the caller guarantees these are owned, valid mbufs; the
        // array layout equals `struct rte_mbuf *[]`.
        unsafe { ffi::rte_pktmbuf_free_bulk(first.add(done).cast(), chunk as u32) };
        done += chunk;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_burst_has_the_pointer_array_layout() {
        let burst: MbufBurst<4> = MbufBurst::new();
        assert_eq!(std::mem::size_of::<MbufBurst<4>>(), 4 * 8 + 8);
        assert_eq!(std::mem::size_of::<Option<Mbuf>>(), 8);
        assert!(burst.is_empty());
        assert_eq!(burst.capacity(), 4);
        assert_eq!(burst.remaining(), 4);
    }

    #[test]
    fn popping_or_draining_an_empty_burst_yields_nothing() {
        let mut burst: MbufBurst<4> = MbufBurst::new();
        assert!(burst.pop().is_none());
        assert!(burst.swap_remove(0).is_none());
        assert_eq!(burst.drain().count(), 0);
        burst.truncate(3);
        assert!(burst.is_empty());
    }
}
