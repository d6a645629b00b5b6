//! The C entry points the library interposes. Each asks whether the
//! descriptor is one of the adapter's sockets; if not it calls the real
//! function untouched, if so it turns the raw pointers into the caller's
//! bytes and buffers and hands them to the safe logic.

use super::fd;
use super::real;
use super::user::{self, UserBufs, UserData};
use crate::addr::NlAddr;
use crate::error::{Errno, Result};
use crate::options::SOL_NETLINK;
use crate::{control, open, recv, send, table};
use libc::{c_int, c_uint, c_void, iovec, mmsghdr, msghdr, size_t, sockaddr, socklen_t, ssize_t};

extern "C" {
    /// glibc's report of a fortified call whose length exceeds its buffer.
    fn __chk_fail() -> !;
}

fn set_errno(e: Errno) {
    // SAFETY: __errno_location returns this thread's errno slot.
    unsafe { *libc::__errno_location() = e.0 };
}

fn int_ret(result: Result<c_int>) -> c_int {
    result.unwrap_or_else(|e| {
        set_errno(e);
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
            set_errno(e);
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
        return int_ret(Err(Errno(libc::EFAULT)));
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
        return int_ret(Err(Errno(libc::EFAULT)));
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
                return int_ret(Err(Errno(libc::EFAULT)));
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
        return Err(Errno(libc::EFAULT));
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
        return Err(Errno(libc::EFAULT));
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

/// # Safety
/// The C contract of close(2).
#[no_mangle]
pub unsafe extern "C" fn close(fd: c_int) -> c_int {
    if table::is_channel(fd) {
        // The program never opened it: to the program it does not exist.
        return int_ret(Err(Errno(libc::EBADF)));
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
