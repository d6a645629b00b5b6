//! libdpswitch_run.so: an `LD_PRELOAD` library that carries every
//! generic netlink socket a program opens to dpswitchd's control socket
//! (`$DPSWITCH_SOCKET`, default `/run/dpswitch/dpswitch.sock`), so that
//! unmodified Open vSwitch programs drive dpswitchd as they would drive
//! the kernel datapath. Every other socket, NETLINK_ROUTE included,
//! stays the kernel's.
//!
//! A carried socket is a `SOCK_SEQPACKET` connection to the daemon with a
//! completion channel attached (`dpswitch_proto::channel`): a send waits
//! for the daemon's token, so replies are readable when it returns, as
//! the kernel runs a request inside `sendmsg()`. Reads, `poll` and
//! `epoll` work on the connection itself.
//!
//! `sys` holds every `unsafe` line (the interposed C functions, the real
//! ones, system calls, the caller's memory); the rest is safe Rust.

#![deny(unsafe_op_in_unsafe_fn)]

mod addr;
mod control;
mod error;
#[cfg(test)]
mod fake_daemon;
mod open;
mod options;
mod recv;
mod send;
mod state;
#[allow(unsafe_code)]
mod sys;
mod table;
mod wire;
