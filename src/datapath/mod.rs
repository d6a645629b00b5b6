//! The datapath: ports, the PMD loops that poll them, and (to come) the
//! flow table writer side and action execution.

pub mod plan;
pub mod pmd;
pub mod stats;
pub mod switch;

pub use switch::{Report, Switch};
