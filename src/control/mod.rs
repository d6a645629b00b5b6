//! The control plane side of the datapath: flow commands and their
//! semantics. For now: flows preloaded from the config, parsed and
//! validated exactly as a flow command's would be.

pub mod dump;
pub mod preload;
