//! dpswitch's protocol, without DPDK: what the daemon and its clients
//! share.
//!
//! - `flow`: the flow model: key layout, packet parsing, masks, actions,
//!   validation, and the ovs-dpctl text syntax.
//! - `netlink`: the wire codec of the OVS generic-netlink families (no I/O).
//! - `dump`: the dump-flows text a flow reply prints as.
//! - `ufid`: unique flow identifiers and their text form.
//! - `pmd`: the PMD figures the daemon counts and clients read.
//! - `consts`, `frame`, `channel`: netlink numbers and framing, and the
//!   completion channel that lets a netlink client see its replies as soon
//!   as its `sendmsg` returns.

#![forbid(unsafe_code)]

pub mod channel;
pub mod consts;
pub mod dump;
pub mod flow;
pub mod frame;
pub mod netlink;
pub mod pmd;
pub mod ufid;

/// Where dpswitchd listens unless told otherwise.
pub const DEFAULT_SOCKET: &str = "/run/dpswitch/dpswitch.sock";
