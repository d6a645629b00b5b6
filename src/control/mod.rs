//! The control plane side of the datapath: flow commands and their
//! semantics. Flows preloaded from the config, parsed and validated exactly
//! as a flow command's would be; dump lines; and a client of the control
//! socket.

pub mod client;
pub mod dump;
pub mod preload;
pub mod ufid;
