//! Everything unsafe lives here: the interposed C entry points
//! (`exports`), the real libc functions they stand in front of (`real`),
//! safe wrappers over the system calls the adapter makes itself (`fd`),
//! the caller's buffers behind raw pointers (`user`) and the fork-safe
//! lock of the socket table (`lock`). The rest of the crate is safe Rust.

#[cfg(not(test))]
mod exports;
pub mod fd;
pub mod lock;
mod real;
pub mod user;
