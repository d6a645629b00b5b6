//! The datapath: ports, the PMD loops that poll them, action execution and
//! (to come) the flow table writer side.

pub mod actions;
mod error;
pub mod figures;
mod heap_trim;
pub mod idle_sleep;
pub mod plan;
pub mod pmd;
pub mod ports;
pub mod stats;
pub mod switch;
pub mod telemetry;
pub mod upcall;
pub mod upcall_losses;

pub use error::SwitchError;
pub use switch::{Report, Switch};
