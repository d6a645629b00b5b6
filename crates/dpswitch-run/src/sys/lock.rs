//! The lock of the socket table: a pthread mutex that `fork()` leaves
//! usable. The forking thread takes it before the fork and both
//! processes release it after (pthread_atfork), so a child never
//! inherits it held by a thread that does not exist there.

use std::cell::UnsafeCell;
use std::marker::PhantomData;
use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicPtr, Ordering};
use std::sync::Once;

pub struct ForkSafeMutex<T> {
    raw: UnsafeCell<libc::pthread_mutex_t>,
    data: UnsafeCell<T>,
    registered: Once,
}

// SAFETY: `data` is only reached through a guard, which exists only
// while `raw` is locked by the guard's thread.
unsafe impl<T: Send> Sync for ForkSafeMutex<T> {}

/// The mutex the fork handlers take and release (the one
/// `ForkSafeMutex` the library has).
static AT_FORK: AtomicPtr<libc::pthread_mutex_t> = AtomicPtr::new(std::ptr::null_mut());

extern "C" fn before_fork() {
    let raw = AT_FORK.load(Ordering::Acquire);
    // SAFETY: set once to a static mutex's address, never freed.
    unsafe { libc::pthread_mutex_lock(raw) };
}

extern "C" fn after_fork() {
    let raw = AT_FORK.load(Ordering::Acquire);
    // SAFETY: this thread took it in before_fork (in the child, this
    // thread is the copy of the one that took it).
    unsafe { libc::pthread_mutex_unlock(raw) };
}

impl<T> ForkSafeMutex<T> {
    pub const fn new(value: T) -> Self {
        ForkSafeMutex {
            raw: UnsafeCell::new(libc::PTHREAD_MUTEX_INITIALIZER),
            data: UnsafeCell::new(value),
            registered: Once::new(),
        }
    }

    /// Locks; on first use installs the fork handlers.
    pub fn lock(&'static self) -> Guard<'static, T> {
        self.registered.call_once(|| {
            AT_FORK.store(self.raw.get(), Ordering::Release);
            // SAFETY: plain function pointers with the expected ABI.
            unsafe { libc::pthread_atfork(Some(before_fork), Some(after_fork), Some(after_fork)) };
        });
        // SAFETY: `raw` is an initialised mutex that lives forever.
        unsafe { libc::pthread_mutex_lock(self.raw.get()) };
        Guard {
            mutex: self,
            _thread: PhantomData,
        }
    }
}

pub struct Guard<'a, T> {
    mutex: &'a ForkSafeMutex<T>,
    /// Not Send: the thread that locked a pthread mutex unlocks it.
    _thread: PhantomData<*const ()>,
}

impl<T> Deref for Guard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: the guard holds the lock.
        unsafe { &*self.mutex.data.get() }
    }
}

impl<T> DerefMut for Guard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: the guard holds the lock, so this is the only reference.
        unsafe { &mut *self.mutex.data.get() }
    }
}

impl<T> Drop for Guard<'_, T> {
    fn drop(&mut self) {
        // SAFETY: this guard's thread locked it.
        unsafe { libc::pthread_mutex_unlock(self.mutex.raw.get()) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    static COUNTER: ForkSafeMutex<u64> = ForkSafeMutex::new(0);

    #[test]
    fn excludes_across_threads() {
        let threads: Vec<_> = (0..4)
            .map(|_| {
                std::thread::spawn(|| {
                    for _ in 0..10_000 {
                        *COUNTER.lock() += 1;
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(*COUNTER.lock(), 40_000);
    }
}
