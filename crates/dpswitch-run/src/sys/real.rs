//! The functions the library interposes, as the next object in the
//! lookup order (libc) defines them, found with `dlsym(RTLD_NEXT)` on
//! first use. The adapter's own system calls go through these too, so
//! they never come back into the interposers.

#![cfg_attr(test, allow(dead_code))] // the interposers, their only other users, are not in test builds

use libc::{
    c_int, c_uint, c_void, iovec, mmsghdr, msghdr, size_t, sockaddr, socklen_t, ssize_t, timespec,
};
use std::sync::atomic::{AtomicPtr, Ordering};

/// The address of `name` (NUL-terminated) in the objects after this one.
fn lookup(name: &'static str) -> *mut c_void {
    // SAFETY: `name` is NUL-terminated (every caller passes a literal
    // ending in "\0"); dlsym only reads it.
    unsafe { libc::dlsym(libc::RTLD_NEXT, name.as_ptr().cast()) }
}

macro_rules! real {
    ($($name:ident($($arg:ident: $ty:ty),*) -> $ret:ty;)*) => {$(
        /// The real function of the same name.
        ///
        /// # Safety
        /// The C function's own contract: pointers valid for what it reads
        /// and writes.
        pub unsafe fn $name($($arg: $ty),*) -> $ret {
            static ADDRESS: AtomicPtr<c_void> = AtomicPtr::new(std::ptr::null_mut());
            let mut address = ADDRESS.load(Ordering::Acquire);
            if address.is_null() {
                address = lookup(concat!(stringify!($name), "\0"));
                if address.is_null() {
                    nix::errno::Errno::ENOSYS.set();
                    return -1;
                }
                ADDRESS.store(address, Ordering::Release);
            }
            // SAFETY: dlsym found libc's definition of this very symbol,
            // whose C prototype is the one written here.
            let function: unsafe extern "C" fn($($ty),*) -> $ret = unsafe { std::mem::transmute(address) };
            // SAFETY: the caller upholds the C contract (this fn's own).
            unsafe { function($($arg),*) }
        }
    )*};
}

real! {
    socket(domain: c_int, ty: c_int, protocol: c_int) -> c_int;
    bind(fd: c_int, addr: *const sockaddr, len: socklen_t) -> c_int;
    connect(fd: c_int, addr: *const sockaddr, len: socklen_t) -> c_int;
    getsockname(fd: c_int, addr: *mut sockaddr, len: *mut socklen_t) -> c_int;
    getpeername(fd: c_int, addr: *mut sockaddr, len: *mut socklen_t) -> c_int;
    setsockopt(fd: c_int, level: c_int, name: c_int, value: *const c_void, len: socklen_t) -> c_int;
    getsockopt(fd: c_int, level: c_int, name: c_int, value: *mut c_void, len: *mut socklen_t) -> c_int;
    send(fd: c_int, buf: *const c_void, len: size_t, flags: c_int) -> ssize_t;
    sendto(fd: c_int, buf: *const c_void, len: size_t, flags: c_int, addr: *const sockaddr, alen: socklen_t) -> ssize_t;
    sendmsg(fd: c_int, msg: *const msghdr, flags: c_int) -> ssize_t;
    recv(fd: c_int, buf: *mut c_void, len: size_t, flags: c_int) -> ssize_t;
    recvfrom(fd: c_int, buf: *mut c_void, len: size_t, flags: c_int, addr: *mut sockaddr, alen: *mut socklen_t) -> ssize_t;
    recvmsg(fd: c_int, msg: *mut msghdr, flags: c_int) -> ssize_t;
    sendmmsg(fd: c_int, msgs: *mut mmsghdr, n: c_uint, flags: c_int) -> c_int;
    recvmmsg(fd: c_int, msgs: *mut mmsghdr, n: c_uint, flags: c_int, timeout: *mut timespec) -> c_int;
    read(fd: c_int, buf: *mut c_void, len: size_t) -> ssize_t;
    write(fd: c_int, buf: *const c_void, len: size_t) -> ssize_t;
    readv(fd: c_int, iov: *const iovec, n: c_int) -> ssize_t;
    writev(fd: c_int, iov: *const iovec, n: c_int) -> ssize_t;
    close(fd: c_int) -> c_int;
    dup(fd: c_int) -> c_int;
    dup2(old: c_int, new: c_int) -> c_int;
    dup3(old: c_int, new: c_int, flags: c_int) -> c_int;
    __recv_chk(fd: c_int, buf: *mut c_void, len: size_t, buflen: size_t, flags: c_int) -> ssize_t;
    __recvfrom_chk(fd: c_int, buf: *mut c_void, len: size_t, buflen: size_t, flags: c_int, addr: *mut sockaddr, alen: *mut socklen_t) -> ssize_t;
    __read_chk(fd: c_int, buf: *mut c_void, len: size_t, buflen: size_t) -> ssize_t;
}

/// The real fcntl (`"fcntl\0"`) or fcntl64 (`"fcntl64\0"`), which C
/// declares variadic: called with its one argument as a machine word.
///
/// # Safety
/// fcntl's contract for `cmd` and `arg`.
pub unsafe fn fcntl_named(name: &'static str, fd: c_int, cmd: c_int, arg: usize) -> c_int {
    static FCNTL: AtomicPtr<c_void> = AtomicPtr::new(std::ptr::null_mut());
    static FCNTL64: AtomicPtr<c_void> = AtomicPtr::new(std::ptr::null_mut());
    let slot = if name == "fcntl64\0" {
        &FCNTL64
    } else {
        &FCNTL
    };
    let mut address = slot.load(Ordering::Acquire);
    if address.is_null() {
        address = lookup(name);
        if address.is_null() {
            nix::errno::Errno::ENOSYS.set();
            return -1;
        }
        slot.store(address, Ordering::Release);
    }
    // SAFETY: dlsym found libc's fcntl or fcntl64, both
    // `int (int, int, ...)`.
    let function: unsafe extern "C" fn(c_int, c_int, ...) -> c_int =
        unsafe { std::mem::transmute(address) };
    // SAFETY: the caller upholds fcntl's contract.
    unsafe { function(fd, cmd, arg) }
}
