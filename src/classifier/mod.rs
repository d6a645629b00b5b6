//! The megaflow table: tuple-space search over one lock-free rte_hash per
//! distinct mask (a subtable), lock-free for forwarding lcores and written
//! by one management lcore.
//!
//! - [`FlowTable`] is the single writer: insert, modify, remove, look up
//!   (as a packet would, exactly, or by UFID), dump, rank subtables by hits,
//!   and reclaim memory readers can no longer reach.
//! - [`ClassifierReader`] is one forwarding lcore's handle: classify a burst
//!   (its exact-match flow cache first, then one bulk lookup per subtable
//!   for the packets still unmatched), read a
//!   flow's actions, record per-lcore statistics, and report quiescence
//!   once per loop.
//!
//! A subtable's hash key is the compact masked key: only the words its mask
//! selects, packed. Deleted flows, replaced action lists and replaced
//! subtable lists are freed only after every reader has quiesced (RCU
//! QSBR), so a reader never sees freed memory and never blocks.
//! Megaflows have no priorities; overlapping flows of different masks are
//! the control plane's to avoid, as in the kernel datapath.

mod cache;
mod compact;
mod counters;
mod error;
mod flow;
mod ranked;
mod reader;
mod slots;
mod subtable;
mod table;
mod ufid_index;

pub use compact::{MaskLayout, COMPACT_MAX};
pub use error::TableError;
pub use flow::{Flow, FlowId, FlowStats, Ufid, UFID_MAX_LEN};
pub use reader::ClassifierReader;
pub use table::{DatapathStats, FlowTable, Occupancy, TableConfig};
