//! The caller's memory behind the raw pointers of the C calls: receive
//! buffers (written through their raw pointers, never turned into
//! `&mut` slices, so iovecs that overlap are no aliasing violation) and
//! send buffers (read once, gathered into one datagram).

use libc::iovec;
#[cfg(test)]
use std::io::{IoSlice, IoSliceMut};
use std::marker::PhantomData;

/// Where a receive may write: the caller's iovecs.
pub struct UserBufs<'a> {
    iov: &'a [iovec],
    _writes: PhantomData<&'a mut [u8]>,
}

impl<'a> UserBufs<'a> {
    /// # Safety
    /// `iov` points to `n` iovecs (or `n` is 0), each describing memory
    /// valid for writes of `iov_len` bytes while the value lives.
    pub unsafe fn from_raw(iov: *const iovec, n: usize) -> UserBufs<'a> {
        let iov = if n == 0 || iov.is_null() {
            &[]
        } else {
            // SAFETY: the caller's promise: `n` readable iovecs.
            unsafe { std::slice::from_raw_parts(iov, n) }
        };
        UserBufs {
            iov,
            _writes: PhantomData,
        }
    }

    #[cfg(test)]
    pub fn from_io_slices(bufs: &'a mut [IoSliceMut<'a>]) -> UserBufs<'a> {
        // SAFETY: IoSliceMut is ABI-compatible with iovec on Unix (std's
        // documented guarantee), and each describes memory borrowed
        // mutably for 'a.
        unsafe { Self::from_raw(bufs.as_ptr().cast(), bufs.len()) }
    }

    pub fn iovecs(&self) -> &[iovec] {
        self.iov
    }

    pub fn capacity(&self) -> usize {
        self.iov
            .iter()
            .fold(0usize, |sum, v| sum.saturating_add(v.iov_len))
    }

    /// Copies `data` into the buffers in order; the bytes copied.
    pub fn scatter(&self, data: &[u8]) -> usize {
        let mut rest = data;
        for v in self.iov {
            if rest.is_empty() {
                break;
            }
            let n = v.iov_len.min(rest.len());
            if n > 0 {
                // SAFETY: the buffer is writable for iov_len >= n bytes
                // (the invariant) and `rest` is our own memory.
                unsafe { std::ptr::copy_nonoverlapping(rest.as_ptr(), v.iov_base.cast::<u8>(), n) };
            }
            rest = &rest[n..];
        }
        data.len() - rest.len()
    }

    /// The first `n` bytes held in the buffers (fewer if they are
    /// shorter), e.g. the header a receive has just written.
    pub fn head(&self, n: usize) -> Vec<u8> {
        let mut out = Vec::with_capacity(n);
        for v in self.iov {
            let take = v.iov_len.min(n - out.len());
            if take > 0 {
                // SAFETY: the buffer holds iov_len >= take bytes (the
                // invariant; memory the receive just wrote).
                out.extend_from_slice(unsafe {
                    std::slice::from_raw_parts(v.iov_base.cast::<u8>(), take)
                });
            }
            if out.len() == n {
                break;
            }
        }
        out
    }
}

/// What a send carries: the caller's iovecs, read.
pub struct UserData<'a> {
    iov: &'a [iovec],
    _reads: PhantomData<&'a [u8]>,
}

impl<'a> UserData<'a> {
    /// # Safety
    /// `iov` points to `n` iovecs (or `n` is 0), each describing memory
    /// valid for reads of `iov_len` bytes while the value lives.
    pub unsafe fn from_raw(iov: *const iovec, n: usize) -> UserData<'a> {
        let iov = if n == 0 || iov.is_null() {
            &[]
        } else {
            // SAFETY: the caller's promise: `n` readable iovecs.
            unsafe { std::slice::from_raw_parts(iov, n) }
        };
        UserData {
            iov,
            _reads: PhantomData,
        }
    }

    #[cfg(test)]
    pub fn from_io_slices(bufs: &'a [IoSlice<'a>]) -> UserData<'a> {
        // SAFETY: IoSlice is ABI-compatible with iovec on Unix, each
        // describing memory borrowed for 'a.
        unsafe { Self::from_raw(bufs.as_ptr().cast(), bufs.len()) }
    }

    /// The iovecs gathered into one datagram.
    pub fn gather(&self) -> Vec<u8> {
        let total = self
            .iov
            .iter()
            .fold(0usize, |sum, v| sum.saturating_add(v.iov_len));
        let mut out = Vec::with_capacity(total);
        for v in self.iov.iter().filter(|v| v.iov_len > 0) {
            // SAFETY: readable for iov_len bytes (the invariant).
            out.extend_from_slice(unsafe {
                std::slice::from_raw_parts(v.iov_base.cast::<u8>(), v.iov_len)
            });
        }
        out
    }
}

/// The bytes at `ptr`, or none when it is null.
#[cfg_attr(test, allow(dead_code))] // used by the interposed calls only
///
/// # Safety
/// `ptr` is null or valid for reads of `len` bytes for 'a.
pub unsafe fn bytes<'a>(ptr: *const libc::c_void, len: usize) -> &'a [u8] {
    if ptr.is_null() || len == 0 {
        &[]
    } else {
        // SAFETY: the caller's promise.
        unsafe { std::slice::from_raw_parts(ptr.cast(), len) }
    }
}

/// Writes `value` as a kernel call returns a sized value (an address, an
/// option): as much as `*len` allows, then `*len` = its whole length.
/// Nothing when either pointer is null.
///
/// # Safety
/// `len` is null or valid for reads and writes; `out` is null or valid
/// for writes of `*len` bytes.
pub unsafe fn write_sized(out: *mut libc::c_void, len: *mut libc::socklen_t, value: &[u8]) {
    if out.is_null() || len.is_null() {
        return;
    }
    // SAFETY: the caller's promise on `len`.
    let room = unsafe { *len } as usize;
    let n = room.min(value.len());
    // SAFETY: `out` holds `*len` >= n writable bytes (the caller's
    // promise); `value` is our own memory.
    unsafe {
        std::ptr::copy_nonoverlapping(value.as_ptr(), out.cast::<u8>(), n);
        *len = value.len() as libc::socklen_t;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scatter_and_head_cross_buffer_boundaries() {
        let (mut a, mut b, mut c) = ([0u8; 3], [0u8; 0], [0u8; 4]);
        let mut slices = [
            IoSliceMut::new(&mut a),
            IoSliceMut::new(&mut b),
            IoSliceMut::new(&mut c),
        ];
        let bufs = UserBufs::from_io_slices(&mut slices);
        assert_eq!(bufs.capacity(), 7);
        assert_eq!(bufs.scatter(&[1, 2, 3, 4, 5, 6, 7, 8, 9]), 7);
        assert_eq!(bufs.head(5), vec![1, 2, 3, 4, 5]);
        assert_eq!(bufs.head(16), vec![1, 2, 3, 4, 5, 6, 7]);
        let _ = bufs;
        assert_eq!((a, c), ([1, 2, 3], [4, 5, 6, 7]));
    }

    #[test]
    fn gather_joins_in_order() {
        let slices = [IoSlice::new(b"ab"), IoSlice::new(b""), IoSlice::new(b"cde")];
        assert_eq!(UserData::from_io_slices(&slices).gather(), b"abcde");
        // SAFETY: no iovecs.
        assert!(unsafe { UserData::from_raw(std::ptr::null(), 3) }
            .gather()
            .is_empty());
    }

    #[test]
    fn sized_values_are_cut_to_the_room_and_report_their_length() {
        let mut out = [0u8; 4];
        let mut len: libc::socklen_t = 3;
        // SAFETY: `out` holds 4 >= 3 bytes; `len` is a local.
        unsafe { write_sized(out.as_mut_ptr().cast(), &raw mut len, &[9, 8, 7, 6, 5]) };
        assert_eq!((out, len), ([9, 8, 7, 0], 5));
    }
}
