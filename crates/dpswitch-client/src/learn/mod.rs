//! A plain L2 learning switch on top of the datapath, as Open vSwitch's
//! NORMAL action makes one: the decisions only, without I/O, so the
//! controller that talks to the daemon (`dpctl learn`) stays a thin loop.
//!
//! - Each missed frame teaches where its source MAC lives. A MAC seen on
//!   another port than before has moved: every flow that names it, as
//!   source or destination, is deleted.
//! - A frame for a known unicast destination on another port gets a
//!   megaflow (`in_port`, Ethernet source and destination exact, the rest
//!   wildcarded, so every new source still comes up) and is sent there;
//!   any other frame is flooded to every port but its own, and no flow is
//!   installed for it.
//! - MACs unseen for the idle time are forgotten with their flows. Frames
//!   that hit a flow never come up, so before ageing a MAC its flows'
//!   last use counts as seeing it, as Open vSwitch's revalidators do.
//!
//! Times are milliseconds of the monotonic clock, the clock of a flow's
//! `OVS_FLOW_ATTR_USED`.

mod flows;
mod mac;
mod megaflow;
mod switch;

#[cfg(test)]
mod tests;

pub use flows::FlowIndex;
pub use mac::{Mac, MacParseError};
pub use megaflow::{Megaflow, Ufid};
pub use switch::{Decision, Event, Frame, LearningSwitch};
