//! Clients of dpswitchd's control socket, which build and run without
//! DPDK:
//!
//! - `client`: the generic netlink families of the Open vSwitch datapath
//!   over the control socket (requests, pipelining, dumps, notifications,
//!   upcalls);
//! - `learn`: the decisions of a plain L2 learning switch, which
//!   `dpctl learn` runs against the datapath.
//!
//! The `dpctl` binary is the command-line tool on top of both.

pub mod client;
pub mod learn;
