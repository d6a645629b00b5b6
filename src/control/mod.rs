//! The control plane side of the datapath: the Unix control socket and the
//! `ovs_*` generic netlink families served on it, a client of that socket,
//! config flows, and the dump-flows text format. The rule ids its modules
//! cite (N1, S1, A1, T1, ...) are defined in docs/flow-commands.md.

pub mod access;
pub mod admission;
pub mod client;
pub mod conn;
pub mod counters;
pub mod dp_cmd;
pub mod dump;
pub mod families;
pub mod flow_cmd;
pub mod flow_reply;
pub mod learn;
pub mod listener;
pub mod packet_cmd;
pub mod preload;
pub mod request;
pub mod server;
pub mod stats_cmd;
pub mod ufid;
pub mod vport_cmd;

pub use counters::ControlCounters;
pub use server::{ControlServer, ServerConfig};
