//! The calls that set a socket up and name it: socket, bind, connect,
//! getsockname, getpeername, setsockopt, getsockopt.

use super::{int_ret, unit_ret};
use crate::error::Errno;
use crate::options::SOL_NETLINK;
use crate::sys::{real, user};
use crate::{control, open, table};
use libc::{c_int, c_void, sockaddr, socklen_t};

/// # Safety
/// The C contract of socket(2).
#[no_mangle]
pub unsafe extern "C" fn socket(domain: c_int, ty: c_int, protocol: c_int) -> c_int {
    if domain == libc::AF_NETLINK && protocol == libc::NETLINK_GENERIC {
        return int_ret(open::open(ty));
    }
    // SAFETY: no pointers.
    unsafe { real::socket(domain, ty, protocol) }
}

/// # Safety
/// The C contract of bind(2).
#[no_mangle]
pub unsafe extern "C" fn bind(fd: c_int, addr: *const sockaddr, len: socklen_t) -> c_int {
    if !table::is_adapted(fd) {
        // SAFETY: the caller's arguments, passed on.
        return unsafe { real::bind(fd, addr, len) };
    }
    // SAFETY: `addr` holds `len` readable bytes (bind's contract).
    unit_ret(control::bind(fd, unsafe {
        user::bytes(addr.cast(), len as usize)
    }))
}

/// # Safety
/// The C contract of connect(2).
#[no_mangle]
pub unsafe extern "C" fn connect(fd: c_int, addr: *const sockaddr, len: socklen_t) -> c_int {
    if !table::is_adapted(fd) {
        // SAFETY: the caller's arguments, passed on.
        return unsafe { real::connect(fd, addr, len) };
    }
    // SAFETY: `addr` holds `len` readable bytes (connect's contract).
    unit_ret(control::connect(fd, unsafe {
        user::bytes(addr.cast(), len as usize)
    }))
}

/// # Safety
/// The C contract of getsockname(2).
#[no_mangle]
pub unsafe extern "C" fn getsockname(fd: c_int, addr: *mut sockaddr, len: *mut socklen_t) -> c_int {
    if !table::is_adapted(fd) {
        // SAFETY: the caller's arguments, passed on.
        return unsafe { real::getsockname(fd, addr, len) };
    }
    if addr.is_null() || len.is_null() {
        return int_ret(Err(Errno::EFAULT));
    }
    // SAFETY: `addr` holds `*len` writable bytes (getsockname's contract).
    unit_ret(
        control::local_addr(fd)
            .map(|a| unsafe { user::write_sized(addr.cast(), len, &a.encode()) }),
    )
}

/// # Safety
/// The C contract of getpeername(2).
#[no_mangle]
pub unsafe extern "C" fn getpeername(fd: c_int, addr: *mut sockaddr, len: *mut socklen_t) -> c_int {
    if !table::is_adapted(fd) {
        // SAFETY: the caller's arguments, passed on.
        return unsafe { real::getpeername(fd, addr, len) };
    }
    if addr.is_null() || len.is_null() {
        return int_ret(Err(Errno::EFAULT));
    }
    // SAFETY: `addr` holds `*len` writable bytes (getpeername's contract).
    unit_ret(
        control::peer_addr(fd).map(|a| unsafe { user::write_sized(addr.cast(), len, &a.encode()) }),
    )
}

/// # Safety
/// The C contract of setsockopt(2).
#[no_mangle]
pub unsafe extern "C" fn setsockopt(
    fd: c_int,
    level: c_int,
    name: c_int,
    value: *const c_void,
    len: socklen_t,
) -> c_int {
    if level != SOL_NETLINK || !table::is_adapted(fd) {
        // SAFETY: the caller's arguments, passed on.
        return unsafe { real::setsockopt(fd, level, name, value, len) };
    }
    // SAFETY: `value` holds `len` readable bytes (setsockopt's contract).
    unit_ret(control::set_option(fd, name, unsafe {
        user::bytes(value, len as usize)
    }))
}

/// # Safety
/// The C contract of getsockopt(2).
#[no_mangle]
pub unsafe extern "C" fn getsockopt(
    fd: c_int,
    level: c_int,
    name: c_int,
    value: *mut c_void,
    len: *mut socklen_t,
) -> c_int {
    let ours = table::is_adapted(fd);
    let answer = match level {
        SOL_NETLINK if ours => {
            if value.is_null() || len.is_null() {
                return int_ret(Err(Errno::EFAULT));
            }
            // SAFETY: `len` is readable (getsockopt's contract).
            Some(control::get_option(fd, name, unsafe { *len } as usize))
        }
        libc::SOL_SOCKET if ours => {
            control::socket_option(fd, name).map(|v| Ok(v.to_ne_bytes().to_vec()))
        }
        _ => None,
    };
    match answer {
        // SAFETY: `value` holds `*len` writable bytes (getsockopt's contract).
        Some(result) => {
            unit_ret(result.map(|bytes| unsafe { user::write_sized(value, len, &bytes) }))
        }
        // SAFETY: the caller's arguments, passed on.
        None => unsafe { real::getsockopt(fd, level, name, value, len) },
    }
}
