//! Memory accounting, for measuring what the datapath's tables cost: bytes
//! allocated from DPDK's heaps (hugepage memory: rte_hash tables, mempools)
//! and from the process heap (Rust's allocations, through glibc).

use super::eal::Eal;
use super::ffi;

/// Bytes allocated from DPDK's malloc heaps, over every NUMA socket.
pub fn dpdk_heap_bytes(_eal: &Eal) -> u64 {
    // SAFETY: EAL is initialised (an `Eal` handle exists).
    let sockets = unsafe { ffi::rte_socket_count() };
    (0..sockets)
        .map(|idx| {
            // SAFETY: idx < rte_socket_count().
            let socket = unsafe { ffi::rte_socket_id_by_idx(idx) };
            let mut stats = ffi::rte_malloc_socket_stats::default();
            // SAFETY: a valid socket id and a writable stats struct.
            let ret = unsafe { ffi::rte_malloc_get_socket_stats(socket, &mut stats) };
            if ret == 0 {
                stats.heap_allocsz_bytes as u64
            } else {
                0
            }
        })
        .sum()
}

/// glibc's `struct mallinfo2` (all fields size_t).
#[repr(C)]
#[derive(Default)]
struct Mallinfo2 {
    arena: usize,
    ordblks: usize,
    smblks: usize,
    hblks: usize,
    hblkhd: usize,
    usmblks: usize,
    fsmblks: usize,
    uordblks: usize,
    fordblks: usize,
    keepcost: usize,
}

extern "C" {
    fn mallinfo2() -> Mallinfo2;
    fn malloc_trim(pad: usize) -> i32;
}

/// Bytes in use on the process heap: small blocks in the main arena plus
/// blocks glibc mapped on their own (other threads' arenas are not
/// counted, so call it from the thread that allocated).
pub fn process_heap_bytes() -> u64 {
    // SAFETY: mallinfo2 only reads the allocator's statistics (glibc >= 2.33).
    let info = unsafe { mallinfo2() };
    (info.uordblks + info.hblkhd) as u64
}

/// Hands the process heap's free memory back to the kernel. glibc keeps
/// what was freed for reuse, so a table that grew to a million flows and
/// was flushed would otherwise hold its resident size for good. Costs a
/// walk over the heap: call it after many frees, not per free.
pub fn return_free_heap() {
    // SAFETY: malloc_trim only releases free pages of glibc's arenas,
    // under their locks; it touches no allocation in use.
    unsafe { malloc_trim(0) };
}

/// The process's resident set in KiB (`VmRSS` of /proc/self/status).
pub fn resident_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// `len` atomic counters, all zero, from zeroed memory: a large array
/// comes straight from fresh pages, which take no resident memory until
/// something writes them (a `vec![AtomicU64::new(0); len]` writes every
/// one).
pub fn zeroed_atomic_u64s(len: usize) -> Box<[std::sync::atomic::AtomicU64]> {
    use std::alloc::{alloc_zeroed, handle_alloc_error, Layout};
    use std::sync::atomic::AtomicU64;
    let Ok(layout) = Layout::array::<AtomicU64>(len) else {
        panic!("{len} counters do not fit in memory");
    };
    if layout.size() == 0 {
        return Box::new([]);
    }
    // SAFETY: the layout has a non-zero size, as alloc_zeroed requires.
    let ptr = unsafe { alloc_zeroed(layout) }.cast::<AtomicU64>();
    if ptr.is_null() {
        handle_alloc_error(layout);
    }
    // SAFETY: `ptr` is a fresh allocation of `len` AtomicU64s with the
    // global allocator and their array layout, which is what a boxed slice
    // frees with; all-zero bytes are a valid AtomicU64 (zero).
    unsafe { Box::from_raw(std::ptr::slice_from_raw_parts_mut(ptr, len)) }
}

extern "C" {
    fn madvise(addr: *mut std::ffi::c_void, len: usize, advice: i32) -> i32;
    fn getpagesize() -> i32;
}

/// `MADV_DONTNEED`: the pages read back as zeros, from fresh memory.
const MADV_DONTNEED: i32 = 4;

/// Sets every counter of `counters` to zero, handing the whole pages it
/// spans back to the kernel (they read back as zeros and take no resident
/// memory until written again); the ends are stored to.
pub fn zero_atomic_u64s(counters: &[std::sync::atomic::AtomicU64]) {
    use std::sync::atomic::Ordering;
    let (start, end) = page_interior(counters);
    for (i, c) in counters.iter().enumerate() {
        if i < start || i >= end {
            c.store(0, Ordering::Relaxed);
        }
    }
    discard(counters, start, end);
}

/// Hands the whole pages of `slots` that hold only null pointers back
/// to the kernel (they read back as null); returns false, changing
/// nothing, unless every slot is null.
pub(super) fn discard_null_pointers<T>(slots: &[std::sync::atomic::AtomicPtr<T>]) -> bool {
    use std::sync::atomic::Ordering;
    if slots.iter().any(|s| !s.load(Ordering::Acquire).is_null()) {
        return false;
    }
    let (start, end) = page_interior(slots);
    discard(slots, start, end);
    true
}

/// The range of elements of `items` that fill whole pages.
fn page_interior<T>(items: &[T]) -> (usize, usize) {
    // SAFETY: a plain query.
    let page = usize::try_from(unsafe { getpagesize() }).unwrap_or(4096);
    let size = std::mem::size_of::<T>();
    if size == 0 || page % size != 0 {
        return (0, 0);
    }
    let base = items.as_ptr() as usize;
    let first = base.next_multiple_of(page);
    let last = (base + std::mem::size_of_val(items)) / page * page;
    if last <= first {
        return (0, 0);
    }
    ((first - base) / size, (last - base) / size)
}

/// Gives back the pages of `items[start..end]` (page-aligned, whole).
fn discard<T>(items: &[T], start: usize, end: usize) {
    if start >= end {
        return;
    }
    let Some(range) = items.get(start..end) else {
        return;
    };
    // SAFETY: the range lies within one live allocation of atomics (only
    // callers above, with AtomicU64/AtomicPtr), on whole pages of it;
    // MADV_DONTNEED on private anonymous memory only replaces their
    // contents with zeros, a valid value every caller wants there (and
    // what an atomic store of zero would leave).
    unsafe {
        madvise(
            range.as_ptr().cast_mut().cast(),
            std::mem::size_of_val(range),
            MADV_DONTNEED,
        );
    }
}
