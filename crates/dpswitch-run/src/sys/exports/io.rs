//! The calls that move datagrams: the send and receive families, read,
//! write and their vector and fortified forms.

use super::{__chk_fail, destination, int_ret, len_ret, receive};
use crate::error::{Errno, Result};
use crate::sys::real;
use crate::sys::user::{self, UserBufs, UserData};
use crate::{recv, send, table};
use libc::{c_int, c_uint, c_void, iovec, mmsghdr, msghdr, size_t, sockaddr, socklen_t, ssize_t};

/// # Safety
/// The C contract of send(2).
#[no_mangle]
pub unsafe extern "C" fn send(fd: c_int, buf: *const c_void, len: size_t, flags: c_int) -> ssize_t {
    if !table::is_adapted(fd) {
        // SAFETY: the caller's arguments, passed on.
        return unsafe { real::send(fd, buf, len, flags) };
    }
    // SAFETY: `buf` holds `len` readable bytes (send's contract).
    len_ret(send::send(
        fd,
        unsafe { user::bytes(buf, len) },
        flags,
        None,
    ))
}

/// # Safety
/// The C contract of sendto(2).
#[no_mangle]
pub unsafe extern "C" fn sendto(
    fd: c_int,
    buf: *const c_void,
    len: size_t,
    flags: c_int,
    addr: *const sockaddr,
    alen: socklen_t,
) -> ssize_t {
    if !table::is_adapted(fd) {
        // SAFETY: the caller's arguments, passed on.
        return unsafe { real::sendto(fd, buf, len, flags, addr, alen) };
    }
    // SAFETY: `addr` is null or holds `alen` readable bytes (sendto's contract).
    let to = unsafe { destination(addr.cast(), alen) };
    // SAFETY: `buf` holds `len` readable bytes (sendto's contract).
    len_ret(to.and_then(|to| send::send(fd, unsafe { user::bytes(buf, len) }, flags, to)))
}

/// # Safety
/// The C contract of sendmsg(2).
#[no_mangle]
pub unsafe extern "C" fn sendmsg(fd: c_int, msg: *const msghdr, flags: c_int) -> ssize_t {
    if !table::is_adapted(fd) {
        // SAFETY: the caller's arguments, passed on.
        return unsafe { real::sendmsg(fd, msg, flags) };
    }
    // SAFETY: `msg` is null or a readable msghdr (sendmsg's contract).
    len_ret(unsafe { send_msghdr(fd, msg, flags) })
}

/// One sendmsg on a carried socket.
///
/// # Safety
/// `msg` is null or a readable msghdr whose name and iovecs are readable.
unsafe fn send_msghdr(fd: c_int, msg: *const msghdr, flags: c_int) -> Result<usize> {
    if msg.is_null() {
        return Err(Errno::EFAULT);
    }
    // SAFETY: the caller's promise.
    let msg = unsafe { &*msg };
    // SAFETY: msg_name is null or holds msg_namelen readable bytes.
    let to = unsafe { destination(msg.msg_name, msg.msg_namelen) }?;
    // SAFETY: msg_iov holds msg_iovlen iovecs of readable memory.
    let data = unsafe { UserData::from_raw(msg.msg_iov, msg.msg_iovlen) }.gather();
    send::send(fd, &data, flags, to)
}

/// # Safety
/// The C contract of write(2).
#[no_mangle]
pub unsafe extern "C" fn write(fd: c_int, buf: *const c_void, len: size_t) -> ssize_t {
    if !table::is_adapted(fd) {
        // SAFETY: the caller's arguments, passed on.
        return unsafe { real::write(fd, buf, len) };
    }
    // SAFETY: `buf` holds `len` readable bytes (write's contract).
    len_ret(send::send(fd, unsafe { user::bytes(buf, len) }, 0, None))
}

/// # Safety
/// The C contract of writev(2).
#[no_mangle]
pub unsafe extern "C" fn writev(fd: c_int, iov: *const iovec, n: c_int) -> ssize_t {
    if !table::is_adapted(fd) {
        // SAFETY: the caller's arguments, passed on.
        return unsafe { real::writev(fd, iov, n) };
    }
    // SAFETY: `iov` holds `n` iovecs of readable memory (writev's contract).
    let data = unsafe { UserData::from_raw(iov, n.max(0) as usize) }.gather();
    len_ret(send::send(fd, &data, 0, None))
}

/// # Safety
/// The C contract of recv(2).
#[no_mangle]
pub unsafe extern "C" fn recv(fd: c_int, buf: *mut c_void, len: size_t, flags: c_int) -> ssize_t {
    if !table::is_adapted(fd) {
        // SAFETY: the caller's arguments, passed on.
        return unsafe { real::recv(fd, buf, len, flags) };
    }
    let iov = iovec {
        iov_base: buf,
        iov_len: len,
    };
    // SAFETY: `buf` holds `len` writable bytes (recv's contract).
    let bufs = unsafe { UserBufs::from_raw(&raw const iov, 1) };
    len_ret(recv::recv(fd, &bufs, flags).map(|r| r.len))
}

/// # Safety
/// The C contract of recvfrom(2).
#[no_mangle]
pub unsafe extern "C" fn recvfrom(
    fd: c_int,
    buf: *mut c_void,
    len: size_t,
    flags: c_int,
    addr: *mut sockaddr,
    alen: *mut socklen_t,
) -> ssize_t {
    if !table::is_adapted(fd) {
        // SAFETY: the caller's arguments, passed on.
        return unsafe { real::recvfrom(fd, buf, len, flags, addr, alen) };
    }
    let iov = iovec {
        iov_base: buf,
        iov_len: len,
    };
    // SAFETY: `buf` holds `len` writable bytes (recvfrom's contract).
    let bufs = unsafe { UserBufs::from_raw(&raw const iov, 1) };
    // SAFETY: `addr` is null or holds `*alen` writable bytes.
    len_ret(unsafe { receive(fd, &bufs, flags, addr.cast(), alen) }.map(|r| r.len))
}

/// # Safety
/// The C contract of recvmsg(2).
#[no_mangle]
pub unsafe extern "C" fn recvmsg(fd: c_int, msg: *mut msghdr, flags: c_int) -> ssize_t {
    if !table::is_adapted(fd) {
        // SAFETY: the caller's arguments, passed on.
        return unsafe { real::recvmsg(fd, msg, flags) };
    }
    // SAFETY: `msg` is null or a writable msghdr (recvmsg's contract).
    len_ret(unsafe { recv_msghdr(fd, msg, flags) })
}

/// One recvmsg on a carried socket.
///
/// # Safety
/// `msg` is null or a writable msghdr whose name and iovecs are writable.
unsafe fn recv_msghdr(fd: c_int, msg: *mut msghdr, flags: c_int) -> Result<usize> {
    if msg.is_null() {
        return Err(Errno::EFAULT);
    }
    // SAFETY: the caller's promise.
    let msg = unsafe { &mut *msg };
    // SAFETY: msg_iov holds msg_iovlen iovecs of writable memory.
    let bufs = unsafe { UserBufs::from_raw(msg.msg_iov, msg.msg_iovlen) };
    // SAFETY: msg_name is null or holds msg_namelen writable bytes.
    let received = unsafe { receive(fd, &bufs, flags, msg.msg_name, &raw mut msg.msg_namelen) }?;
    // Netlink control data (PKTINFO, NSID) is not carried.
    msg.msg_controllen = 0;
    msg.msg_flags = received.flags;
    Ok(received.len)
}

/// # Safety
/// The C contract of sendmmsg(2).
#[no_mangle]
pub unsafe extern "C" fn sendmmsg(fd: c_int, msgs: *mut mmsghdr, n: c_uint, flags: c_int) -> c_int {
    if !table::is_adapted(fd) {
        // SAFETY: the caller's arguments, passed on.
        return unsafe { real::sendmmsg(fd, msgs, n, flags) };
    }
    let mut done = 0;
    while done < n.min(libc::UIO_MAXIOV as c_uint) {
        // SAFETY: `msgs` holds `n` mmsghdrs (sendmmsg's contract).
        let entry = unsafe { &mut *msgs.add(done as usize) };
        // SAFETY: each msg_hdr is a readable msghdr (sendmmsg's contract).
        match unsafe { send_msghdr(fd, &raw const entry.msg_hdr, flags) } {
            Ok(len) => entry.msg_len = len as c_uint,
            Err(e) if done == 0 => return int_ret(Err(e)),
            Err(_) => break,
        }
        done += 1;
    }
    done as c_int
}

/// # Safety
/// The C contract of recvmmsg(2). The timeout is not honoured on a
/// carried socket (netlink programs do not use it).
#[no_mangle]
pub unsafe extern "C" fn recvmmsg(
    fd: c_int,
    msgs: *mut mmsghdr,
    n: c_uint,
    flags: c_int,
    timeout: *mut libc::timespec,
) -> c_int {
    if !table::is_adapted(fd) {
        // SAFETY: the caller's arguments, passed on.
        return unsafe { real::recvmmsg(fd, msgs, n, flags, timeout) };
    }
    let mut done = 0;
    while done < n.min(libc::UIO_MAXIOV as c_uint) {
        let flags = if done > 0 && flags & libc::MSG_WAITFORONE != 0 {
            flags | libc::MSG_DONTWAIT
        } else {
            flags
        } & !libc::MSG_WAITFORONE;
        // SAFETY: `msgs` holds `n` mmsghdrs (recvmmsg's contract).
        let entry = unsafe { &mut *msgs.add(done as usize) };
        // SAFETY: each msg_hdr is a writable msghdr (recvmmsg's contract).
        match unsafe { recv_msghdr(fd, &raw mut entry.msg_hdr, flags) } {
            Ok(len) => entry.msg_len = len as c_uint,
            Err(e) if done == 0 => return int_ret(Err(e)),
            Err(_) => break,
        }
        done += 1;
    }
    done as c_int
}

/// # Safety
/// The C contract of read(2).
#[no_mangle]
pub unsafe extern "C" fn read(fd: c_int, buf: *mut c_void, len: size_t) -> ssize_t {
    if !table::is_adapted(fd) {
        // SAFETY: the caller's arguments, passed on.
        return unsafe { real::read(fd, buf, len) };
    }
    let iov = iovec {
        iov_base: buf,
        iov_len: len,
    };
    // SAFETY: `buf` holds `len` writable bytes (read's contract).
    let bufs = unsafe { UserBufs::from_raw(&raw const iov, 1) };
    len_ret(recv::recv(fd, &bufs, 0).map(|r| r.len))
}

/// # Safety
/// The C contract of readv(2).
#[no_mangle]
pub unsafe extern "C" fn readv(fd: c_int, iov: *const iovec, n: c_int) -> ssize_t {
    if !table::is_adapted(fd) {
        // SAFETY: the caller's arguments, passed on.
        return unsafe { real::readv(fd, iov, n) };
    }
    // SAFETY: `iov` holds `n` iovecs of writable memory (readv's contract).
    let bufs = unsafe { UserBufs::from_raw(iov, n.max(0) as usize) };
    len_ret(recv::recv(fd, &bufs, 0).map(|r| r.len))
}

/// # Safety
/// The contract of glibc's fortified recv.
#[no_mangle]
pub unsafe extern "C" fn __recv_chk(
    fd: c_int,
    buf: *mut c_void,
    len: size_t,
    buflen: size_t,
    flags: c_int,
) -> ssize_t {
    if !table::is_adapted(fd) {
        // SAFETY: the caller's arguments, passed on.
        return unsafe { real::__recv_chk(fd, buf, len, buflen, flags) };
    }
    if len > buflen {
        // SAFETY: aborts the program, as the fortified call does.
        unsafe { __chk_fail() }
    }
    // SAFETY: recv's contract, which the fortified call shares.
    unsafe { recv(fd, buf, len, flags) }
}

/// # Safety
/// The contract of glibc's fortified recvfrom.
#[no_mangle]
pub unsafe extern "C" fn __recvfrom_chk(
    fd: c_int,
    buf: *mut c_void,
    len: size_t,
    buflen: size_t,
    flags: c_int,
    addr: *mut sockaddr,
    alen: *mut socklen_t,
) -> ssize_t {
    if !table::is_adapted(fd) {
        // SAFETY: the caller's arguments, passed on.
        return unsafe { real::__recvfrom_chk(fd, buf, len, buflen, flags, addr, alen) };
    }
    if len > buflen {
        // SAFETY: aborts the program, as the fortified call does.
        unsafe { __chk_fail() }
    }
    // SAFETY: recvfrom's contract, which the fortified call shares.
    unsafe { recvfrom(fd, buf, len, flags, addr, alen) }
}

/// # Safety
/// The contract of glibc's fortified read.
#[no_mangle]
pub unsafe extern "C" fn __read_chk(
    fd: c_int,
    buf: *mut c_void,
    len: size_t,
    buflen: size_t,
) -> ssize_t {
    if !table::is_adapted(fd) {
        // SAFETY: the caller's arguments, passed on.
        return unsafe { real::__read_chk(fd, buf, len, buflen) };
    }
    if len > buflen {
        // SAFETY: aborts the program, as the fortified call does.
        unsafe { __chk_fail() }
    }
    // SAFETY: read's contract, which the fortified call shares.
    unsafe { read(fd, buf, len) }
}
