//! The global table of the sockets the adapter carries, keyed by the
//! program's descriptor (several descriptors share a socket after dup).
//! Its lock is held only for bookkeeping, never across a wait. A bitmap
//! answers "is this descriptor ours?" without the lock, so programs that
//! never open a generic netlink socket pay one atomic load per call.

use crate::state::Sock;
use crate::sys::lock::ForkSafeMutex;
use std::collections::BTreeMap;
use std::os::fd::RawFd;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

struct Entry {
    sock: Sock,
    /// Descriptors naming it.
    refs: usize,
}

struct Table {
    fds: BTreeMap<RawFd, u64>,
    socks: BTreeMap<u64, Entry>,
    next_id: u64,
}

static TABLE: ForkSafeMutex<Table> = ForkSafeMutex::new(Table {
    fds: BTreeMap::new(),
    socks: BTreeMap::new(),
    next_id: 0,
});

/// Descriptors below this are marked in `MARKS`; above, the table is asked.
const MARKED_FDS: usize = 1 << 16;
static MARKS: [AtomicU64; MARKED_FDS / 64] = [const { AtomicU64::new(0) }; MARKED_FDS / 64];
/// The same for the completion channels.
static CHANNELS: [AtomicU64; MARKED_FDS / 64] = [const { AtomicU64::new(0) }; MARKED_FDS / 64];
/// Descriptors in the table.
static COUNT: AtomicUsize = AtomicUsize::new(0);

fn mark(fd: RawFd, on: bool) {
    mark_in(&MARKS, fd, on);
}

fn mark_in(marks: &[AtomicU64], fd: RawFd, on: bool) {
    if let Some(word) = usize::try_from(fd).ok().and_then(|fd| marks.get(fd / 64)) {
        let bit = 1u64 << (fd as usize % 64);
        if on {
            word.fetch_or(bit, Ordering::Release);
        } else {
            word.fetch_and(!bit, Ordering::Release);
        }
    }
}

/// Whether the adapter carries any socket at all.
pub fn any() -> bool {
    COUNT.load(Ordering::Acquire) > 0
}

/// Whether `fd` is one of the adapter's sockets. Without the lock for
/// descriptors below 65536, so also safe in a signal handler.
pub fn is_adapted(fd: RawFd) -> bool {
    any() && marked(&MARKS, fd, || TABLE.lock().fds.contains_key(&fd))
}

/// Whether `fd` is the completion channel of one of the sockets (as
/// lock-free as [`is_adapted`]).
pub fn is_channel(fd: RawFd) -> bool {
    any()
        && marked(&CHANNELS, fd, || {
            TABLE.lock().socks.values().any(|e| e.sock.chan == fd)
        })
}

fn marked(marks: &[AtomicU64], fd: RawFd, beyond: impl FnOnce() -> bool) -> bool {
    match usize::try_from(fd) {
        Ok(i) if i < MARKED_FDS => marks[i / 64].load(Ordering::Acquire) & (1 << (i % 64)) != 0,
        Ok(_) => beyond(),
        Err(_) => false,
    }
}

pub fn insert(fd: RawFd, sock: Sock) {
    let mut t = TABLE.lock();
    let id = t.next_id;
    t.next_id += 1;
    mark_in(&CHANNELS, sock.chan, true);
    t.socks.insert(id, Entry { sock, refs: 1 });
    t.fds.insert(fd, id);
    COUNT.fetch_add(1, Ordering::AcqRel);
    mark(fd, true);
}

/// Runs `f` on `fd`'s socket under the lock; None if `fd` is not ours.
/// `f` must not block.
pub fn with<R>(fd: RawFd, f: impl FnOnce(&mut Sock) -> R) -> Option<R> {
    let mut t = TABLE.lock();
    let id = *t.fds.get(&fd)?;
    t.socks.get_mut(&id).map(|e| f(&mut e.sock))
}

/// `new` now names `old`'s socket too (dup, dup2, dup3).
pub fn alias(old: RawFd, new: RawFd) {
    let mut t = TABLE.lock();
    let Some(&id) = t.fds.get(&old) else { return };
    if let Some(e) = t.socks.get_mut(&id) {
        e.refs += 1;
    }
    if t.fds.insert(new, id).is_none() {
        COUNT.fetch_add(1, Ordering::AcqRel);
    }
    mark(new, true);
}

/// `fd` no longer names its socket; the channel to close when it was the
/// last descriptor that did.
pub fn forget(fd: RawFd) -> Option<RawFd> {
    let mut t = TABLE.lock();
    let id = t.fds.remove(&fd)?;
    mark(fd, false);
    COUNT.fetch_sub(1, Ordering::AcqRel);
    let entry = t.socks.get_mut(&id)?;
    entry.refs -= 1;
    if entry.refs > 0 {
        return None;
    }
    let chan = t.socks.remove(&id)?.sock.chan;
    mark_in(&CHANNELS, chan, false);
    Some(chan)
}

/// Moves the channel that sits on `fd` to the descriptor `to` (the
/// program is about to reuse `fd`); false if `fd` is no channel.
pub fn move_channel(fd: RawFd, to: RawFd) -> bool {
    let mut t = TABLE.lock();
    match t.socks.values_mut().find(|e| e.sock.chan == fd) {
        Some(e) => {
            e.sock.chan = to;
            mark_in(&CHANNELS, fd, false);
            mark_in(&CHANNELS, to, true);
            true
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // One test: the table is global, and tests run in parallel.
    #[test]
    fn descriptors_share_a_socket_until_the_last_is_forgotten() {
        assert!(!is_adapted(70_000));
        insert(60_040, Sock::new(11, 900, libc::SOCK_RAW));
        insert(70_001, Sock::new(12, 901, libc::SOCK_RAW));
        assert!(any());
        assert!(is_adapted(60_040) && is_adapted(70_001));
        assert!(!is_adapted(60_041) && !is_adapted(-1));
        assert_eq!(with(60_040, |s| s.port_id), Some(11));
        assert_eq!(with(60_041, |s| s.port_id), None);

        alias(60_040, 60_041);
        assert_eq!(with(60_041, |s| s.port_id), Some(11));
        with(60_041, |s| s.dumps.push(3));
        assert_eq!(with(60_040, |s| s.dumps.clone()), Some(vec![3]));

        assert!(is_channel(900) && !is_channel(60_040));
        assert!(move_channel(900, 950));
        assert!(!is_channel(900) && is_channel(950));

        assert_eq!(forget(60_040), None);
        assert!(!is_adapted(60_040) && is_adapted(60_041));
        assert_eq!(forget(60_041), Some(950));
        assert_eq!(forget(60_041), None);
        assert_eq!(forget(70_001), Some(901));
        assert!(!is_adapted(70_001));
    }
}
