//! dpswitch: a DPDK poll-mode virtual switch whose datapath follows Open
//! vSwitch's megaflow cache and flow-command contract.
//!
//! Layers, one direction of dependency (top to bottom):
//! - `control`: the control socket and the OVS families served on it; their
//!   contract, rule by rule, is docs/flow-commands.md.
//! - `datapath`: ports, PMD lcores, the switch that owns the flow table's
//!   writer side, and action execution.
//! - `classifier`: the megaflow table, tuple-space search on lock-free
//!   rte_hash subtables with RCU reclamation.
//! - `flow`, `netlink` (from the `dpswitch-proto` crate, which cannot see
//!   DPDK or anything here): the flow model and the OVS netlink codec.
//! - `log`: dpswitch's events through DPDK's log, rate-limited.
//! - `dpdk`: the platform layer (EAL, lcores, mempools, mbufs, ports, hash
//!   tables, RCU, rings), the only home of FFI and of code the compiler
//!   cannot check.

pub mod classifier;
pub mod config;
pub mod control;
pub mod datapath;
pub mod dpdk;
pub mod log;

// The daemon names the protocol crate's layers as its own modules, as
// every layer above them was written to.
pub use dpswitch_proto::{flow, netlink};
