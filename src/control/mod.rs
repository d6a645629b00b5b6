//! The control plane side of the datapath: the Unix control socket and the
//! `ovs_*` generic netlink families served on it, and config flows. The
//! client of that socket lives in the `dpswitch-client` crate, the
//! dump-flows text format in `dpswitch-proto`. The rule ids its modules
//! cite (N1, S1, A1, T1, ...) are defined in docs/flow-commands.md.

pub mod access;
pub mod admission;
pub mod conn;
pub(crate) mod counters;
pub mod dp_cmd;
pub mod families;
pub mod flow_cmd;
pub(crate) mod flow_reply;
pub(crate) mod listener;
pub(crate) mod packet_cmd;
pub mod preload;
pub mod request;
pub(crate) mod server;
pub(crate) mod stats_cmd;
pub(crate) mod vport_cmd;

pub use counters::ControlCounters;
pub use server::{ControlServer, ServerConfig};
