//! Executing a flow's actions on a packet: header rewrites (`set`,
//! `set_masked`), VLAN push and pop, and the executor that hands the packet
//! (or copies of it) to output ports, following the Linux kernel datapath's
//! semantics for the `OVS_ACTION_ATTR_*` actions dpswitch supports.
//!
//! Rewrites work on any [`PacketBuf`] (an `Mbuf`, or a [`VecBuf`] in
//! tests) and find the headers they change by re-parsing the frame's first
//! bytes (Ethernet, up to two VLAN tags, the IP header, IPv6 extension
//! headers) rather than trusting a flow key that an earlier action in the
//! same list may have made stale. A rewrite on a packet that lacks its
//! header does nothing: flow validation pins the header in the match, so
//! this only guards against malformed frames.

mod buf;
mod checksum;
mod execute;
mod layout;
mod mbuf;
mod rng;
mod set;
mod vlan;

#[cfg(test)]
mod tests;

pub use buf::{Packet, PacketBuf, VecBuf};
pub use execute::{execute, execute_with_upcalls, ExecReport, MAX_NESTING};
pub use rng::Xorshift32;
pub use set::{set, set_masked};
pub use vlan::{pop_vlan, push_vlan, VlanError};
