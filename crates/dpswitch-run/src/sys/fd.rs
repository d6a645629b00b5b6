//! Safe wrappers over the system calls the adapter makes on its own
//! descriptors (the data socket, the completion channel). Descriptors
//! are plain `RawFd`s closed explicitly with [`close`]: nothing here
//! closes on drop, so nothing closes while the socket table is locked.

use super::real;
use crate::error::{Errno, Result};
use std::os::fd::RawFd;

fn check(ret: libc::c_int) -> Result<libc::c_int> {
    if ret < 0 {
        Err(Errno::last())
    } else {
        Ok(ret)
    }
}

fn check_len(ret: libc::ssize_t) -> Result<usize> {
    if ret < 0 {
        Err(Errno::last())
    } else {
        Ok(ret as usize)
    }
}

pub fn socket(domain: i32, ty: i32) -> Result<RawFd> {
    // SAFETY: no pointers.
    check(unsafe { real::socket(domain, ty, 0) })
}

pub fn close(fd: RawFd) {
    // SAFETY: no pointers; the caller owns `fd`.
    unsafe { real::close(fd) };
}

/// Connects `fd` to the Unix socket at `path`, blocking; EINTR retried.
pub fn connect_unix(fd: RawFd, path: &[u8]) -> Result<()> {
    // SAFETY: sockaddr_un is plain data; all zeroes is valid.
    let mut addr: libc::sockaddr_un = unsafe { std::mem::zeroed() };
    if path.is_empty() || path.len() >= addr.sun_path.len() || path.contains(&0) {
        return Err(Errno::ENAMETOOLONG);
    }
    addr.sun_family = libc::AF_UNIX as libc::sa_family_t;
    for (dst, src) in addr.sun_path.iter_mut().zip(path) {
        *dst = *src as libc::c_char;
    }
    let len = std::mem::size_of::<libc::sa_family_t>() + path.len() + 1;
    loop {
        // SAFETY: `addr` is a valid sockaddr_un of at least `len` bytes.
        let ret = unsafe { real::connect(fd, (&raw const addr).cast(), len as libc::socklen_t) };
        match check(ret) {
            Err(Errno::EINTR) => continue,
            other => return other.map(drop),
        }
    }
}

/// A connected pair of close-on-exec `SOCK_SEQPACKET` Unix sockets.
pub fn seqpacket_pair() -> Result<(RawFd, RawFd)> {
    let mut fds = [0; 2];
    // SAFETY: `fds` has room for the two descriptors.
    check(unsafe {
        libc::socketpair(
            libc::AF_UNIX,
            libc::SOCK_SEQPACKET | libc::SOCK_CLOEXEC,
            0,
            fds.as_mut_ptr(),
        )
    })?;
    Ok((fds[0], fds[1]))
}

/// Sends `data` as one datagram carrying `pass` in `SCM_RIGHTS`.
pub fn send_with_fd(fd: RawFd, data: &[u8], pass: RawFd) -> Result<usize> {
    let space = {
        // SAFETY: CMSG_SPACE is arithmetic.
        unsafe { libc::CMSG_SPACE(std::mem::size_of::<RawFd>() as u32) }
    } as usize;
    let mut control = vec![0u64; space.div_ceil(8)];
    let mut iov = libc::iovec {
        iov_base: data.as_ptr() as *mut libc::c_void,
        iov_len: data.len(),
    };
    // SAFETY: msghdr is plain data; all zeroes is valid.
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    msg.msg_iov = &raw mut iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.as_mut_ptr().cast();
    msg.msg_controllen = space;
    // SAFETY: msg_control points to `space` bytes, room for one cmsghdr
    // with one descriptor, which CMSG_FIRSTHDR and CMSG_DATA address.
    unsafe {
        let cmsg = libc::CMSG_FIRSTHDR(&raw const msg);
        (*cmsg).cmsg_level = libc::SOL_SOCKET;
        (*cmsg).cmsg_type = libc::SCM_RIGHTS;
        (*cmsg).cmsg_len = libc::CMSG_LEN(std::mem::size_of::<RawFd>() as u32) as usize;
        std::ptr::write_unaligned(libc::CMSG_DATA(cmsg).cast::<RawFd>(), pass);
    }
    loop {
        // SAFETY: `msg` points to `iov` (over `data`) and `control`, both live.
        let ret = unsafe { real::sendmsg(fd, &raw const msg, libc::MSG_NOSIGNAL) };
        match check_len(ret) {
            Err(Errno::EINTR) => continue,
            other => return other,
        }
    }
}

/// One datagram out; never SIGPIPE.
pub fn send(fd: RawFd, data: &[u8], flags: i32) -> Result<usize> {
    // SAFETY: `data` is valid for reads of its length.
    check_len(unsafe {
        real::send(
            fd,
            data.as_ptr().cast(),
            data.len(),
            flags | libc::MSG_NOSIGNAL,
        )
    })
}

/// One datagram in (or peeked at), into `buf`.
pub fn recv(fd: RawFd, buf: &mut [u8], flags: i32) -> Result<usize> {
    // SAFETY: `buf` is valid for writes of its length.
    check_len(unsafe { real::recv(fd, buf.as_mut_ptr().cast(), buf.len(), flags) })
}

/// One datagram into the caller's buffers: (length, `msg_flags`). No
/// address and no control data are asked for.
pub fn recv_into(fd: RawFd, bufs: &super::user::UserBufs, flags: i32) -> Result<(usize, i32)> {
    // SAFETY: msghdr is plain data; all zeroes is valid.
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    msg.msg_iov = bufs.iovecs().as_ptr() as *mut libc::iovec;
    msg.msg_iovlen = bufs.iovecs().len();
    // SAFETY: the iovecs describe buffers the caller of the interposed
    // function gave for writing (UserBufs' invariant).
    let n = check_len(unsafe { real::recvmsg(fd, &raw mut msg, flags) })?;
    Ok((n, msg.msg_flags))
}

/// Polls `fds` (fd, events) once; the revents in order. EINTR is an
/// empty answer, as a timeout is.
pub fn poll(fds: &[(RawFd, i16)], timeout_ms: i32) -> Result<Vec<i16>> {
    let mut set: Vec<libc::pollfd> = fds
        .iter()
        .map(|&(fd, events)| libc::pollfd {
            fd,
            events,
            revents: 0,
        })
        .collect();
    // SAFETY: `set` holds `set.len()` pollfds.
    match check(unsafe { libc::poll(set.as_mut_ptr(), set.len() as libc::nfds_t, timeout_ms) }) {
        Ok(_) | Err(Errno::EINTR) => Ok(set.iter().map(|p| p.revents).collect()),
        Err(e) => Err(e),
    }
}

/// A close-on-exec duplicate of `fd` above the descriptors a program
/// hands out first: from half its descriptor limit, at most 1024 (the
/// kernel grows a process's descriptor table up to the number used).
pub fn dup_high(fd: RawFd) -> Result<RawFd> {
    // SAFETY: rlimit is plain data; getrlimit writes it.
    let mut limit: libc::rlimit = unsafe { std::mem::zeroed() };
    // SAFETY: `limit` is a valid rlimit to write.
    let soft = if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &raw mut limit) } == 0 {
        limit.rlim_cur.min(2048) as RawFd
    } else {
        1024
    };
    // SAFETY: no pointers.
    check(unsafe { libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, soft / 2) })
        // SAFETY: no pointers.
        .or_else(|_| check(unsafe { libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, 0) }))
}

pub fn set_nonblocking(fd: RawFd) -> Result<()> {
    // SAFETY: no pointers.
    let flags = check(unsafe { libc::fcntl(fd, libc::F_GETFL) })?;
    // SAFETY: no pointers.
    check(unsafe { libc::fcntl(fd, libc::F_SETFL, flags | libc::O_NONBLOCK) }).map(drop)
}

/// The daemon's side of the calls, for tests that stand in for dpswitchd.
#[cfg(test)]
pub mod daemon_side {
    use super::{check, check_len};
    use crate::error::Result;
    use std::os::fd::RawFd;

    /// A listening `SOCK_SEQPACKET` socket at `path`.
    pub fn listen(path: &[u8]) -> Result<RawFd> {
        let fd = super::socket(libc::AF_UNIX, libc::SOCK_SEQPACKET | libc::SOCK_CLOEXEC)?;
        // SAFETY: sockaddr_un is plain data; all zeroes is valid.
        let mut addr: libc::sockaddr_un = unsafe { std::mem::zeroed() };
        addr.sun_family = libc::AF_UNIX as libc::sa_family_t;
        for (dst, src) in addr.sun_path.iter_mut().zip(path) {
            *dst = *src as libc::c_char;
        }
        let len = (std::mem::size_of::<libc::sa_family_t>() + path.len() + 1) as libc::socklen_t;
        // SAFETY: `addr` is a valid sockaddr_un of `len` bytes.
        check(unsafe { libc::bind(fd, (&raw const addr).cast(), len) })?;
        // SAFETY: no pointers.
        check(unsafe { libc::listen(fd, 8) })?;
        Ok(fd)
    }

    pub fn accept(fd: RawFd) -> Result<RawFd> {
        // SAFETY: null address pointers ask for no peer address.
        check(unsafe {
            libc::accept4(
                fd,
                std::ptr::null_mut(),
                std::ptr::null_mut(),
                libc::SOCK_CLOEXEC,
            )
        })
    }

    /// One datagram and the descriptor it carried, if any.
    pub fn recv_with_fd(fd: RawFd, buf: &mut [u8]) -> Result<(usize, Option<RawFd>)> {
        let mut control = [0u64; 8];
        let mut iov = libc::iovec {
            iov_base: buf.as_mut_ptr().cast(),
            iov_len: buf.len(),
        };
        // SAFETY: msghdr is plain data; all zeroes is valid.
        let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
        msg.msg_iov = &raw mut iov;
        msg.msg_iovlen = 1;
        msg.msg_control = control.as_mut_ptr().cast();
        msg.msg_controllen = std::mem::size_of_val(&control);
        // SAFETY: `msg` points to `iov` (over `buf`) and `control`.
        let n = check_len(unsafe { libc::recvmsg(fd, &raw mut msg, libc::MSG_CMSG_CLOEXEC) })?;
        // SAFETY: the kernel filled msg_control; CMSG_FIRSTHDR and
        // CMSG_DATA stay within it.
        let passed = unsafe {
            let cmsg = libc::CMSG_FIRSTHDR(&raw const msg);
            (!cmsg.is_null() && (*cmsg).cmsg_type == libc::SCM_RIGHTS)
                .then(|| std::ptr::read_unaligned(libc::CMSG_DATA(cmsg).cast::<RawFd>()))
        };
        Ok((n, passed))
    }
}
