//! The datapath flow text syntax of Open vSwitch's `ovs-dpctl`
//! (`add-flow`, `dump-flows`): flow keys, masks and actions, converted to
//! and from the typed attributes of [`crate::flow::odp`].
//!
//! Parsing accepts what ovs-dpctl accepts for the attributes and actions
//! dpswitch supports, with the same number syntax (decimal, `0x` hex,
//! leading-zero octal, values wrapping to the field width) and separators.
//! Printing reproduces ovs-dpctl's output byte for byte. Attributes and
//! actions outside dpswitch's scope (tunnels, conntrack, MPLS, NSH, ...)
//! are refused with an error that names them.

mod action_format;
mod action_parse;
mod error;
mod field_format;
mod field_scan;
mod inet6;
mod key_format;
mod key_parse;
mod mask_class;
mod scan;
mod struct_parse;
mod tcp_flags;
mod wire_size;

#[cfg(test)]
mod tests;

pub use action_format::format_actions;
pub use action_parse::parse_actions;
pub use error::{TextError, TextErrorKind};
pub use key_format::{format_key, format_match};
pub use key_parse::{parse_key, parse_match};
