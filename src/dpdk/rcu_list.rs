//! Small shared lists behind one thin pointer, for data that many objects
//! hold and readers load without locks:
//! - [`SharedList`] is an immutable, reference-counted list in a single
//!   allocation (count, length, items): like `Arc<[T]>`, but a thin
//!   pointer, and no allocation at all for the empty list, so equal lists
//!   can be shared (interned) by many holders.
//! - [`RcuList`] holds one `SharedList` that readers online on a domain's
//!   QSBR variable load without locks while the writer swaps in another;
//!   the list swapped out is released after a grace period.

use std::alloc::{self, Layout};
use std::marker::PhantomData;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicPtr, AtomicUsize, Ordering};

use super::rcu::RcuReader;
use super::rcu_domain::{protects, RcuDomain};

/// The start of a list's allocation; the items follow at `items_offset`.
#[repr(C)]
struct Header {
    refs: AtomicUsize,
    len: usize,
}

/// The allocation of a list of `len` items, and where its items start.
fn block_layout<T>(len: usize) -> (Layout, usize) {
    let items = Layout::array::<T>(len).expect("list size overflows");
    let (layout, offset) = Layout::new::<Header>()
        .extend(items)
        .expect("list size overflows");
    (layout.pad_to_align(), offset)
}

/// An immutable list shared by reference count, in one allocation.
pub struct SharedList<T> {
    /// Null for the empty list.
    ptr: *mut Header,
    _owns: PhantomData<T>,
}

// SAFETY: a SharedList hands out only shared references to its items and
// counts its holders atomically, like Arc<[T]>.
unsafe impl<T: Send + Sync> Send for SharedList<T> {}
// SAFETY: as above.
unsafe impl<T: Send + Sync> Sync for SharedList<T> {}

impl<T> SharedList<T> {
    /// The list of `items`; allocates nothing when it is empty.
    pub fn new(items: Vec<T>) -> SharedList<T> {
        let len = items.len();
        if len == 0 {
            return SharedList {
                ptr: std::ptr::null_mut(),
                _owns: PhantomData,
            };
        }
        let (layout, offset) = block_layout::<T>(len);
        // SAFETY: the layout has a non-zero size (it holds a Header).
        let memory = unsafe { alloc::alloc(layout) };
        let Some(block) = NonNull::new(memory) else {
            alloc::handle_alloc_error(layout);
        };
        let header = block.as_ptr().cast::<Header>();
        let mut items = std::mem::ManuallyDrop::new(items);
        // SAFETY: `block` is a fresh allocation of `layout`: a Header at
        // its start and room for `len` items at `offset`. The items are
        // moved bitwise, then the Vec frees only its buffer (length 0).
        unsafe {
            header.write(Header {
                refs: AtomicUsize::new(1),
                len,
            });
            std::ptr::copy_nonoverlapping(
                items.as_ptr(),
                block.as_ptr().add(offset).cast::<T>(),
                len,
            );
            items.set_len(0);
            std::mem::ManuallyDrop::drop(&mut items);
        }
        SharedList {
            ptr: header,
            _owns: PhantomData,
        }
    }

    pub fn as_slice(&self) -> &[T] {
        // SAFETY: a live list's block stays allocated while `self` holds
        // one of its references.
        unsafe { slice_of(self.ptr) }
    }

    /// Whether `self` and `other` are the same allocation (or both empty).
    pub fn ptr_eq(&self, other: &SharedList<T>) -> bool {
        self.ptr == other.ptr
    }

    fn into_raw(self) -> *mut Header {
        let ptr = self.ptr;
        std::mem::forget(self);
        ptr
    }

    /// # Safety
    /// `ptr` came from `into_raw`, whose reference it takes back.
    unsafe fn from_raw(ptr: *mut Header) -> SharedList<T> {
        SharedList {
            ptr,
            _owns: PhantomData,
        }
    }
}

/// The items of the block at `ptr` (none for null).
///
/// # Safety
/// `ptr` is null or a live block of `T`s for the lifetime `'a`.
unsafe fn slice_of<'a, T>(ptr: *const Header) -> &'a [T] {
    if ptr.is_null() {
        return &[];
    }
    // SAFETY: the caller vouches for the block; its Header says how many
    // items follow at the layout's offset, all initialised.
    unsafe {
        let len = (*ptr).len;
        let (_, offset) = block_layout::<T>(len);
        std::slice::from_raw_parts(ptr.cast::<u8>().add(offset).cast::<T>(), len)
    }
}

impl<T> Clone for SharedList<T> {
    fn clone(&self) -> SharedList<T> {
        if !self.ptr.is_null() {
            // SAFETY: the block is live while `self` holds a reference.
            unsafe { (*self.ptr).refs.fetch_add(1, Ordering::Relaxed) };
        }
        SharedList {
            ptr: self.ptr,
            _owns: PhantomData,
        }
    }
}

impl<T> Drop for SharedList<T> {
    fn drop(&mut self) {
        if self.ptr.is_null() {
            return;
        }
        // SAFETY: the block is live until the last reference goes, which
        // the count says; only that holder drops the items and frees it.
        unsafe {
            if (*self.ptr).refs.fetch_sub(1, Ordering::Release) != 1 {
                return;
            }
            std::sync::atomic::fence(Ordering::Acquire);
            let len = (*self.ptr).len;
            let (layout, offset) = block_layout::<T>(len);
            let items = self.ptr.cast::<u8>().add(offset).cast::<T>();
            std::ptr::drop_in_place(std::ptr::slice_from_raw_parts_mut(items, len));
            alloc::dealloc(self.ptr.cast::<u8>(), layout);
        }
    }
}

impl<T: std::fmt::Debug> std::fmt::Debug for SharedList<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.as_slice()).finish()
    }
}

/// A [`SharedList`] readers load without locks while the domain's writer
/// replaces it: a reader sees the old list or the new one, never a mix,
/// and the old one is released only after a grace period.
pub struct RcuList<T> {
    ptr: AtomicPtr<Header>,
    domain: usize,
    _owns: PhantomData<SharedList<T>>,
}

// SAFETY: the cell owns one reference to a SharedList and hands out only
// shared references; replacement is an atomic swap.
unsafe impl<T: Send + Sync> Send for RcuList<T> {}
// SAFETY: as above.
unsafe impl<T: Send + Sync> Sync for RcuList<T> {}

impl<T: Send + Sync + 'static> RcuList<T> {
    pub fn new(list: SharedList<T>, domain: &RcuDomain) -> RcuList<T> {
        RcuList {
            ptr: AtomicPtr::new(list.into_raw()),
            domain: domain.id(),
            _owns: PhantomData,
        }
    }

    /// The current items, for a reader online on the list's domain; valid
    /// until the reader next quiesces.
    ///
    /// # Panics
    /// If the reader is offline or registered with another domain.
    #[inline]
    pub fn read<'a>(&'a self, reader: &'a RcuReader) -> &'a [T] {
        assert!(
            protects(reader, self.domain),
            "RcuList read by a reader that is offline or of another domain"
        );
        // SAFETY: a replaced list is retired to the domain and released
        // only after the online reader (borrowed for 'a, so it cannot
        // quiesce) reports.
        unsafe { slice_of(self.ptr.load(Ordering::Acquire)) }
    }

    /// The current items, for the domain's writer.
    ///
    /// # Panics
    /// If `domain` is not the list's domain.
    pub fn get<'a>(&'a self, domain: &'a RcuDomain) -> &'a [T] {
        assert_eq!(domain.id(), self.domain, "RcuList used with another domain");
        // SAFETY: retired lists are released only by RcuDomain::reclaim,
        // which needs `&mut` and so cannot run while `domain` is borrowed.
        unsafe { slice_of(self.ptr.load(Ordering::Acquire)) }
    }

    /// Publishes `list`; the old one is retired to `domain`.
    ///
    /// # Panics
    /// If `domain` is not the list's domain.
    pub fn replace(&self, list: SharedList<T>, domain: &RcuDomain) {
        assert_eq!(domain.id(), self.domain, "RcuList used with another domain");
        let old = self.ptr.swap(list.into_raw(), Ordering::AcqRel);
        if !old.is_null() {
            // SAFETY: `old` came from into_raw and is no longer reachable
            // through the cell; its reference moves to the retire list.
            domain.retire(unsafe { SharedList::<T>::from_raw(old) });
        }
    }
}

impl<T> Drop for RcuList<T> {
    fn drop(&mut self) {
        // SAFETY: `&mut self`: no reference into the cell remains; the
        // pointer came from into_raw and its reference is released once.
        drop(unsafe { SharedList::<T>::from_raw(*self.ptr.get_mut()) });
    }
}

impl<T> std::fmt::Debug for RcuList<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RcuList").finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn shared_lists_count_holders_and_drop_items_once() {
        let item = Arc::new(7u32);
        let list = SharedList::new(vec![Arc::clone(&item), Arc::clone(&item)]);
        assert_eq!(list.as_slice().len(), 2);
        let copy = list.clone();
        assert!(copy.ptr_eq(&list));
        drop(list);
        assert_eq!(Arc::strong_count(&item), 3);
        drop(copy);
        assert_eq!(Arc::strong_count(&item), 1);
        let empty = SharedList::<u64>::new(Vec::new());
        assert!(empty.as_slice().is_empty());
        assert!(empty.ptr_eq(&empty.clone()));
    }

    #[test]
    fn replaced_lists_live_until_the_reader_quiesces() {
        let mut domain = RcuDomain::new(2).unwrap();
        let item = Arc::new(1u8);
        let cell = RcuList::new(SharedList::new(vec![Arc::clone(&item)]), &domain);
        let mut reader = domain.rcu().register(0).unwrap();
        reader.online();
        assert_eq!(cell.read(&reader).len(), 1);
        cell.replace(SharedList::new(Vec::new()), &domain);
        assert!(cell.read(&reader).is_empty());
        assert!(cell.get(&domain).is_empty());
        assert_eq!(domain.reclaim(), 0, "the reader has not quiesced");
        assert_eq!(Arc::strong_count(&item), 2);
        reader.quiescent();
        assert_eq!(domain.reclaim(), 1);
        assert_eq!(Arc::strong_count(&item), 1);
        let shared = SharedList::new(vec![Arc::clone(&item)]);
        cell.replace(shared.clone(), &domain);
        drop(cell);
        assert_eq!(Arc::strong_count(&item), 2, "the other holder keeps it");
        drop(shared);
        assert_eq!(Arc::strong_count(&item), 1);
    }
}
