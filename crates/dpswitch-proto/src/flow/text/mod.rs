//! The datapath flow text syntax of Open vSwitch's `ovs-dpctl`
//! (`add-flow`, `dump-flows`): flow keys, masks and actions, converted to
//! and from the typed attributes of [`crate::flow::odp`].
//!
//! Parsing accepts what ovs-dpctl accepts for the attributes and actions
//! dpswitch supports, with the same number syntax (decimal, `0x` hex,
//! leading-zero octal, values wrapping to the field width) and separators.
//! Printing reproduces ovs-dpctl's output byte for byte, quirks included
//! (`userspace(pid=N)` reads as a 48-byte all-zero cookie, empty nested
//! action lists print as `drop`, a wildcarded `eth()` in first place is not
//! followed by a comma). Attributes and actions outside dpswitch's scope
//! (tunnels, conntrack, MPLS, NSH, ...) are refused with an error that
//! names them.
//!
//! Where dpswitch differs on purpose:
//! - ports are numbers; port names (`in_port(p1)`, `actions:p2`) are not
//!   resolved here;
//! - user data always prints as `userdata(hex)`, never decoded as an Open
//!   vSwitch upcall cookie (`sFlow(...)`, `slow_path(...)`, ...);
//! - text containing a NUL byte is refused, and `clone`/`sample` nest at
//!   most 31 deep.

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
pub use key_format::{format_key, format_match, format_match_verbose};
pub use key_parse::{parse_key, parse_match};
