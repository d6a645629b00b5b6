//! Shared by the integration tests: EAL arguments, and running dpswitchd as
//! a child process.
#![allow(dead_code, unused_imports)] // each test file uses its own part of this

mod control;
mod controller;
mod daemon;
mod dpdk_tools;
mod eal;
pub mod errno;
mod flow_cases;
pub mod flow_datapath;
mod netns;
pub mod ovs;
mod pcap;
mod pipeline;
mod reliability;
mod testpmd;
pub mod vports;

pub use control::*;
pub use controller::*;
pub use daemon::*;
pub use dpdk_tools::*;
pub use eal::*;
pub use flow_cases::*;
pub use netns::*;
pub use pcap::*;
pub use pipeline::*;
pub use reliability::*;
pub use testpmd::*;
