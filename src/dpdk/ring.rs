//! Lock-free rings of owned pointers (`rte_ring`), split into a producer and
//! a consumer end so single-producer/single-consumer rings cannot be used
//! from two threads at once. Ring memory is a Rust allocation, so no EAL is
//! needed.

use std::alloc::{self, Layout};
use std::cell::Cell;
use std::ffi::{c_void, CString};
use std::marker::PhantomData;
use std::ptr::NonNull;
use std::sync::Arc;

use nix::errno::Errno;

use super::burst::MbufBurst;
use super::error::{check, DpdkError};
use super::ffi;
use super::mbuf::Mbuf;

/// `RTE_RING_NAMESIZE`: 32-byte memzone names minus the "RG_" prefix.
const RING_NAMESIZE: usize = 29;

/// Largest ring capacity DPDK supports (`RTE_RING_SZ_MASK`).
pub const MAX_RING_CAPACITY: u32 = 0x7fff_ffff >> 1;

/// Whether several threads may use each end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RingSync {
    pub multi_producer: bool,
    pub multi_consumer: bool,
}

mod sealed {
    use std::ffi::c_void;

    /// The pointer conversion, private so only this module can call it.
    pub trait PointerItem: Sized {
        fn into_ptr(self) -> *mut c_void;
        /// # Safety
        /// `ptr` must come from `into_ptr` of the same type, used once.
        unsafe fn from_ptr(ptr: *mut c_void) -> Self;
    }
}

use sealed::PointerItem;

/// Values that travel through a ring as one non-null pointer: mbufs and
/// boxes.
pub trait RingItem: PointerItem + Send {}

impl PointerItem for Mbuf {
    fn into_ptr(self) -> *mut c_void {
        self.into_raw().as_ptr().cast()
    }
    unsafe fn from_ptr(ptr: *mut c_void) -> Self {
        // SAFETY: the caller passes a pointer from into_ptr, so non-null
        // and owned.
        unsafe { Mbuf::from_raw(NonNull::new_unchecked(ptr.cast())) }
    }
}
impl RingItem for Mbuf {}

impl<T: Send> PointerItem for Box<T> {
    fn into_ptr(self) -> *mut c_void {
        Box::into_raw(self).cast()
    }
    unsafe fn from_ptr(ptr: *mut c_void) -> Self {
        // SAFETY: the caller passes a pointer from Box::into_raw, once.
        unsafe { Box::from_raw(ptr.cast()) }
    }
}
impl<T: Send> RingItem for Box<T> {}

struct RingInner<T: RingItem> {
    ring: NonNull<ffi::rte_ring>,
    layout: Layout,
    sync: RingSync,
    _items: PhantomData<T>,
}

// SAFETY: the ring only moves T values (which are Send) between threads;
// which ends may be used concurrently is enforced by the end handles.
unsafe impl<T: RingItem> Send for RingInner<T> {}
// SAFETY: as above.
unsafe impl<T: RingItem> Sync for RingInner<T> {}

/// Creates a ring holding up to `capacity` items.
pub fn ring<T: RingItem>(
    name: &str,
    capacity: u32,
    sync: RingSync,
) -> Result<(RingProducer<T>, RingConsumer<T>), DpdkError> {
    const OP: &str = "rte_ring_init";
    if name.is_empty() || name.len() >= RING_NAMESIZE {
        return Err(DpdkError::invalid(
            OP,
            format!("name must be 1 to {} bytes", RING_NAMESIZE - 1),
        ));
    }
    let c_name = CString::new(name).map_err(|_| DpdkError::invalid(OP, "name contains NUL"))?;
    if capacity == 0 || capacity > MAX_RING_CAPACITY {
        return Err(DpdkError::invalid(
            OP,
            format!("capacity must be 1..={MAX_RING_CAPACITY}"),
        ));
    }
    // As rte_ring_create does for RING_F_EXACT_SZ: the slot count is the
    // power of two above capacity.
    let slots = (capacity + 1).next_power_of_two();
    // SAFETY: a pure size computation.
    let size = unsafe { ffi::rte_ring_get_memsize(slots) };
    let size = usize::try_from(size)
        .map_err(|_| DpdkError::from_errno("rte_ring_get_memsize", Errno::EINVAL))?;
    let align = std::mem::align_of::<ffi::rte_ring>().max(ffi::RTE_CACHE_LINE_SIZE as usize);
    let layout = Layout::from_size_align(size, align)
        .map_err(|_| DpdkError::invalid(OP, "ring size overflows"))?;
    // SAFETY: layout has non-zero size (a ring header at least).
    let memory = unsafe { alloc::alloc_zeroed(layout) };
    let Some(raw) = NonNull::new(memory.cast::<ffi::rte_ring>()) else {
        alloc::handle_alloc_error(layout);
    };
    let mut flags = ffi::RING_F_EXACT_SZ;
    if !sync.multi_producer {
        flags |= ffi::RING_F_SP_ENQ;
    }
    if !sync.multi_consumer {
        flags |= ffi::RING_F_SC_DEQ;
    }
    // SAFETY: memory is aligned and rte_ring_get_memsize(slots) bytes, as
    // rte_ring_init needs for `capacity` with RING_F_EXACT_SZ.
    let ret = unsafe { ffi::rte_ring_init(raw.as_ptr(), c_name.as_ptr(), capacity, flags) };
    if let Err(err) = check(OP, ret) {
        // SAFETY: allocated above with this layout, never shared.
        unsafe { alloc::dealloc(memory, layout) };
        return Err(err);
    }
    let inner = Arc::new(RingInner {
        ring: raw,
        layout,
        sync,
        _items: PhantomData,
    });
    Ok((
        RingProducer {
            inner: Arc::clone(&inner),
            _not_sync: PhantomData,
        },
        RingConsumer {
            inner,
            _not_sync: PhantomData,
        },
    ))
}

impl<T: RingItem> RingInner<T> {
    fn count(&self) -> u32 {
        // SAFETY: live ring; the count reads head/tail atomically.
        unsafe { ffi::dpsw_ring_count(self.ring.as_ptr()) }
    }

    /// Enqueues raw item pointers; returns how many went in.
    ///
    /// # Safety
    /// The caller is an allowed producer and `ptrs` are from `into_ptr`.
    #[inline]
    unsafe fn enqueue_raw(&self, ptrs: *const *mut c_void, n: u32) -> u32 {
        // SAFETY: forwarded contract; ptrs has n readable entries.
        unsafe { ffi::dpsw_ring_enqueue_burst(self.ring.as_ptr(), ptrs, n, std::ptr::null_mut()) }
    }

    /// # Safety
    /// The caller is an allowed consumer and `ptrs` has room for n entries.
    #[inline]
    unsafe fn dequeue_raw(&self, ptrs: *mut *mut c_void, n: u32) -> u32 {
        // SAFETY: forwarded contract.
        unsafe { ffi::dpsw_ring_dequeue_burst(self.ring.as_ptr(), ptrs, n, std::ptr::null_mut()) }
    }
}

impl<T: RingItem> Drop for RingInner<T> {
    fn drop(&mut self) {
        let mut ptr: *mut c_void = std::ptr::null_mut();
        // SAFETY: both ends are gone, so this is the only user.
        while unsafe { self.dequeue_raw(&mut ptr, 1) } == 1 {
            // SAFETY: every pointer in the ring came from into_ptr.
            drop(unsafe { T::from_ptr(ptr) });
        }
        // SAFETY: allocated in `ring` with this layout; no user remains.
        unsafe { alloc::dealloc(self.ring.as_ptr().cast(), self.layout) }
    }
}

/// The enqueue end of a ring.
pub struct RingProducer<T: RingItem> {
    inner: Arc<RingInner<T>>,
    _not_sync: PhantomData<Cell<()>>,
}

impl<T: RingItem> RingProducer<T> {
    /// Adds one item, or hands it back when the ring is full.
    #[inline]
    pub fn enqueue(&mut self, item: T) -> Result<(), T> {
        let ptr = item.into_ptr();
        // SAFETY: this end is the only single producer or the ring is
        // multi-producer; ptr came from into_ptr.
        if unsafe { self.inner.enqueue_raw(&ptr, 1) } == 1 {
            Ok(())
        } else {
            // SAFETY: the ring did not take it; ownership returns.
            Err(unsafe { T::from_ptr(ptr) })
        }
    }

    /// Another producer handle, if the ring is multi-producer.
    pub fn try_clone(&self) -> Option<Self> {
        self.inner.sync.multi_producer.then(|| RingProducer {
            inner: Arc::clone(&self.inner),
            _not_sync: PhantomData,
        })
    }

    /// Items currently in the ring.
    pub fn len(&self) -> u32 {
        self.inner.count()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl RingProducer<Mbuf> {
    /// Moves as many mbufs as fit from the front of the burst into the
    /// ring; the rest stay in the burst. Returns how many moved.
    #[inline]
    pub fn enqueue_burst<const N: usize>(&mut self, burst: &mut MbufBurst<N>) -> usize {
        let n = u32::try_from(burst.len()).unwrap_or(u32::MAX);
        // SAFETY: allowed producer; the burst's first n slots are owned
        // mbuf pointers, the same values into_ptr would give.
        let moved = unsafe { self.inner.enqueue_raw(burst.as_mut_ptr().cast(), n) };
        let moved = (moved.min(n)) as usize;
        // SAFETY: the ring owns the first `moved` mbufs now.
        unsafe { burst.consume_front(moved) };
        moved
    }
}

/// The dequeue end of a ring.
pub struct RingConsumer<T: RingItem> {
    inner: Arc<RingInner<T>>,
    _not_sync: PhantomData<Cell<()>>,
}

impl<T: RingItem> RingConsumer<T> {
    /// Takes one item, if any.
    #[inline]
    pub fn dequeue(&mut self) -> Option<T> {
        let mut ptr: *mut c_void = std::ptr::null_mut();
        // SAFETY: this end is the only single consumer or the ring is
        // multi-consumer; one slot of room.
        if unsafe { self.inner.dequeue_raw(&mut ptr, 1) } == 1 {
            // SAFETY: items in the ring came from into_ptr.
            Some(unsafe { T::from_ptr(ptr) })
        } else {
            None
        }
    }

    /// Another consumer handle, if the ring is multi-consumer.
    pub fn try_clone(&self) -> Option<Self> {
        self.inner.sync.multi_consumer.then(|| RingConsumer {
            inner: Arc::clone(&self.inner),
            _not_sync: PhantomData,
        })
    }

    /// Items currently in the ring.
    pub fn len(&self) -> u32 {
        self.inner.count()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl RingConsumer<Mbuf> {
    /// Moves mbufs from the ring into the burst's free room; returns how
    /// many moved.
    #[inline]
    pub fn dequeue_burst<const N: usize>(&mut self, burst: &mut MbufBurst<N>) -> usize {
        let room = u32::try_from(burst.remaining()).unwrap_or(u32::MAX);
        // SAFETY: allowed consumer; the burst has `room` free slots.
        let got = unsafe { self.inner.dequeue_raw(burst.spare_ptr().cast(), room) };
        let got = got.min(room) as usize;
        // SAFETY: the ring handed over `got` owned mbufs.
        unsafe { burst.grow(got) };
        got
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPSC: RingSync = RingSync {
        multi_producer: false,
        multi_consumer: false,
    };

    #[test]
    fn items_come_out_in_order_and_a_full_ring_hands_them_back() {
        let (mut tx, mut rx) = ring::<Box<u64>>("order", 3, SPSC).unwrap();
        for i in 0..3 {
            tx.enqueue(Box::new(i)).unwrap();
        }
        assert_eq!(tx.len(), 3);
        let rejected = tx.enqueue(Box::new(99)).unwrap_err();
        assert_eq!(*rejected, 99);
        let got: Vec<u64> = std::iter::from_fn(|| rx.dequeue()).map(|b| *b).collect();
        assert_eq!(got, vec![0, 1, 2]);
        assert!(rx.is_empty());
    }

    #[test]
    fn items_left_in_a_dropped_ring_are_dropped() {
        let marker = Arc::new(());
        let (mut tx, rx) = ring::<Box<Arc<()>>>("leftovers", 8, SPSC).unwrap();
        tx.enqueue(Box::new(Arc::clone(&marker))).unwrap();
        tx.enqueue(Box::new(Arc::clone(&marker))).unwrap();
        assert_eq!(Arc::strong_count(&marker), 3);
        drop(tx);
        drop(rx);
        assert_eq!(Arc::strong_count(&marker), 1);
    }

    #[test]
    fn only_multi_ends_can_be_cloned() {
        let (tx, rx) = ring::<Box<u8>>("single", 4, SPSC).unwrap();
        assert!(tx.try_clone().is_none());
        assert!(rx.try_clone().is_none());
        let mpsc = RingSync {
            multi_producer: true,
            multi_consumer: false,
        };
        let (tx, rx) = ring::<Box<u8>>("multi", 4, mpsc).unwrap();
        assert!(tx.try_clone().is_some());
        assert!(rx.try_clone().is_none());
    }

    #[test]
    fn bad_names_and_capacities_are_refused() {
        assert!(ring::<Box<u8>>("", 4, SPSC).is_err());
        assert!(ring::<Box<u8>>(&"x".repeat(29), 4, SPSC).is_err());
        assert!(ring::<Box<u8>>("zero", 0, SPSC).is_err());
        assert!(ring::<Box<u8>>("huge", MAX_RING_CAPACITY + 1, SPSC).is_err());
    }

    #[test]
    fn many_producers_deliver_every_item_once() {
        let sync = RingSync {
            multi_producer: true,
            multi_consumer: false,
        };
        let (tx, mut rx) = ring::<Box<u32>>("mpsc", 1024, sync).unwrap();
        let producers: Vec<_> = (0..2u32)
            .map(|p| {
                let mut tx = tx.try_clone().unwrap();
                std::thread::spawn(move || {
                    for i in 0..5000u32 {
                        let mut item = Box::new(p * 10_000 + i);
                        while let Err(back) = tx.enqueue(item) {
                            item = back;
                            std::thread::yield_now();
                        }
                    }
                })
            })
            .collect();
        let mut seen = vec![false; 20_000];
        let mut received = 0;
        while received < 10_000 {
            match rx.dequeue() {
                Some(v) => {
                    let slot = &mut seen[*v as usize];
                    assert!(!*slot, "duplicate {v}");
                    *slot = true;
                    received += 1;
                }
                None => std::thread::yield_now(),
            }
        }
        for p in producers {
            p.join().unwrap();
        }
        assert!(rx.dequeue().is_none());
    }
}
