//! Everything about flows that needs no DPDK: the key layout, packet -> key
//! extraction, masks, the typed ODP attributes and actions, and the
//! ovs-dpctl text syntax.

pub mod extract;
pub mod headers;
pub mod key;
pub mod matching;
pub mod odp;
pub mod text;
pub mod validate;

pub use extract::extract;
pub use key::{FlowKey, FlowMask, FragType};
pub use odp::{Action, KeyAttr, KeyAttrKind};
