//! The datapath: ports, the PMD loops that poll them, action execution and
//! the flow table's writer side, which the switch owns.

pub mod actions;
mod error;
mod heap_trim;
pub(crate) mod idle_sleep;
pub mod plan;
pub(crate) mod pmd;
pub(crate) mod ports;
pub(crate) mod switch;
pub mod telemetry;
pub(crate) mod upcall;
pub mod upcall_losses;

pub use error::SwitchError;
pub use switch::{Report, Switch};
