//! The C entry points the library interposes. Each asks whether the
//! descriptor is one of the adapter's sockets; if not it calls the real
//! function untouched, if so it turns the raw pointers into the caller's
//! bytes and buffers and hands them to the safe logic.

mod fds;
mod io;
mod setup;

use super::user::{self, UserBufs};
use crate::addr::NlAddr;
use crate::error::Result;
use crate::recv;
use libc::{c_int, c_void, socklen_t, ssize_t};

extern "C" {
    /// glibc's report of a fortified call whose length exceeds its buffer.
    fn __chk_fail() -> !;
}

fn int_ret(result: Result<c_int>) -> c_int {
    result.unwrap_or_else(|e| {
        e.set();
        -1
    })
}

fn unit_ret(result: Result<()>) -> c_int {
    int_ret(result.map(|()| 0))
}

fn len_ret(result: Result<usize>) -> ssize_t {
    match result {
        Ok(n) => n as ssize_t,
        Err(e) => {
            e.set();
            -1
        }
    }
}

/// The address a send names: None when there is none.
///
/// # Safety
/// `addr` is null or valid for reads of `len` bytes.
unsafe fn destination(addr: *const c_void, len: socklen_t) -> Result<Option<NlAddr>> {
    if addr.is_null() || len == 0 {
        return Ok(None);
    }
    // SAFETY: the caller's promise.
    NlAddr::decode(unsafe { user::bytes(addr, len as usize) }).map(Some)
}

/// Receives into `bufs` and writes the kernel's source address (pid 0,
/// no groups) where the caller asked for it.
///
/// # Safety
/// `addr`/`len` as for recvfrom: null, or valid for `*len` bytes.
unsafe fn receive(
    fd: c_int,
    bufs: &UserBufs,
    flags: c_int,
    addr: *mut c_void,
    len: *mut socklen_t,
) -> Result<recv::Received> {
    let received = recv::recv(fd, bufs, flags)?;
    // SAFETY: the caller's promise.
    unsafe { user::write_sized(addr, len, &NlAddr::default().encode()) };
    Ok(received)
}
