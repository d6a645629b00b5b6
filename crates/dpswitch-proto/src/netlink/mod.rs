//! Codec for the Open vSwitch generic-netlink wire format (messages, nested
//! attributes, key and action encodings). No I/O.
//!
//! - `consts`: the numeric ids and names of the wire format.
//! - `attr`: reading and writing netlink attributes.
//! - `msg`: message framing, errors, acks and dump ends.
//! - `key`, `action`: flow keys/masks and action lists as typed values.
//! - `flow`: the attribute body of an `ovs_flow` message.
//! - `error`: what can be malformed, with the errno the datapath answers.

// Whatever a peer sends must never crash the daemon: outside tests this
// code uses no operation that can panic.
#![cfg_attr(
    not(test),
    deny(
        clippy::arithmetic_side_effects,
        clippy::indexing_slicing,
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::unreachable
    )
)]

pub mod action;
pub mod attr;
pub mod consts;
pub mod error;
pub mod flow;
pub mod key;
pub mod msg;

pub use action::{decode_actions, encode_actions};
pub use attr::{Attr, AttrWriter};
pub use error::NlError;
pub use flow::{FlowAttrs, FlowStats};
pub use key::{decode_key, decode_mask, encode_key};
pub use msg::{ErrorMessage, GenlHeader, GenlMessage, NlMsgHeader, OvsMessage, RawMessage};
