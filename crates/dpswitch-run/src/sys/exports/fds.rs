//! The calls that make and end descriptors: close, dup, dup2, dup3, and
//! fcntl's F_DUPFD (Python's socket.dup() is one).

use super::int_ret;
use crate::error::Errno;
use crate::sys::{fd, real};
use crate::table;
use libc::c_int;

/// # Safety
/// The C contract of close(2).
#[no_mangle]
pub unsafe extern "C" fn close(fd: c_int) -> c_int {
    if table::is_channel(fd) {
        // The program never opened it: to the program it does not exist.
        return int_ret(Err(Errno::EBADF));
    }
    if table::is_adapted(fd) {
        if let Some(chan) = table::forget(fd) {
            fd::close(chan);
        }
    }
    // SAFETY: no pointers.
    unsafe { real::close(fd) }
}

/// Makes `target` free for the program's dup2/dup3: a channel sitting
/// there moves elsewhere, a socket of ours there is closed by the dup.
fn clear_target(old: c_int, target: c_int) {
    if old == target {
        return;
    }
    if table::is_channel(target) {
        if let Ok(moved) = fd::dup_high(target) {
            table::move_channel(target, moved);
        }
    }
    if table::is_adapted(target) {
        if let Some(chan) = table::forget(target) {
            fd::close(chan);
        }
    }
}

/// # Safety
/// The C contract of dup(2).
#[no_mangle]
pub unsafe extern "C" fn dup(fd: c_int) -> c_int {
    // SAFETY: no pointers.
    let new = unsafe { real::dup(fd) };
    if new >= 0 && table::is_adapted(fd) {
        table::alias(fd, new);
    }
    new
}

/// # Safety
/// The C contract of dup2(2).
#[no_mangle]
pub unsafe extern "C" fn dup2(old: c_int, new: c_int) -> c_int {
    clear_target(old, new);
    // SAFETY: no pointers.
    let ret = unsafe { real::dup2(old, new) };
    if ret >= 0 && old != new && table::is_adapted(old) {
        table::alias(old, new);
    }
    ret
}

/// # Safety
/// The C contract of dup3(2).
#[no_mangle]
pub unsafe extern "C" fn dup3(old: c_int, new: c_int, flags: c_int) -> c_int {
    clear_target(old, new);
    // SAFETY: no pointers.
    let ret = unsafe { real::dup3(old, new, flags) };
    if ret >= 0 && table::is_adapted(old) {
        table::alias(old, new);
    }
    ret
}

/// fcntl/fcntl64 with the descriptors F_DUPFD and F_DUPFD_CLOEXEC make
/// known as duplicates of a carried socket.
///
/// # Safety
/// fcntl's contract for `cmd` and `arg`.
unsafe fn fcntl_tracking_dups(name: &'static str, fd: c_int, cmd: c_int, arg: usize) -> c_int {
    // SAFETY: the caller's arguments, passed on.
    let ret = unsafe { real::fcntl_named(name, fd, cmd, arg) };
    if ret >= 0 && matches!(cmd, libc::F_DUPFD | libc::F_DUPFD_CLOEXEC) && table::is_adapted(fd) {
        table::alias(fd, ret);
    }
    ret
}

/// # Safety
/// The C contract of fcntl(2). C declares it `int fcntl(int, int, ...)`;
/// on the x86-64 System V and AArch64 Linux ABIs a variadic call passes
/// the optional argument in the register this third parameter is read
/// from, and every fcntl argument is an int or a pointer, so it is taken
/// as one machine word and passed on as such.
#[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
#[no_mangle]
pub unsafe extern "C" fn fcntl(fd: c_int, cmd: c_int, arg: usize) -> c_int {
    // SAFETY: the caller's arguments, passed on.
    unsafe { fcntl_tracking_dups("fcntl\0", fd, cmd, arg) }
}

/// # Safety
/// As [`fcntl`]; glibc's name for it in programs built with 64-bit file
/// offsets (Python's runtime among them).
#[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
#[no_mangle]
pub unsafe extern "C" fn fcntl64(fd: c_int, cmd: c_int, arg: usize) -> c_int {
    // SAFETY: the caller's arguments, passed on.
    unsafe { fcntl_tracking_dups("fcntl64\0", fd, cmd, arg) }
}
