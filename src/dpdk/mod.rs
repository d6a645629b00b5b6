//! The DPDK platform layer: the only home of FFI and `unsafe` in dpswitch.
//!
//! Every object created through EAL ([`Mempool`], [`Port`], [`HashTable`]) holds
//! an [`Eal`] clone, so `rte_eal_cleanup` runs only after all of them are
//! gone. [`Rcu`] and ring memory are plain Rust allocations and work
//! without EAL. Fast-path calls (rx/tx bursts, bulk lookups, quiescent
//! reports, ring bursts) never allocate.

// The one layer of the daemon where `unsafe` is allowed (the workspace
// denies it elsewhere); each block says why it is sound.
#![allow(unsafe_code)]

mod burst;
mod cycles;
mod device;
mod eal;
mod error;
mod ethdev;
mod ffi;
mod hash;
mod hash_functions;
mod lcore;
mod log;
mod mbuf;
mod memory;
mod mempool;
mod pdump;
mod prefetch;
mod queue;
mod rcu;
mod rcu_domain;
mod rcu_list;
mod rcu_map;
mod rcu_slots;
mod ring;
mod telemetry;

pub use burst::{Drain, MbufBurst, BURST_SIZE};
pub use cycles::{tsc_cycles, tsc_hz};
pub use device::{probe_device, remove_device};
pub use eal::{init_attempted, Eal};
pub use error::DpdkError;
pub use ethdev::{
    port_count, port_id_by_name, port_ids, port_name, LinkStatus, Port, PortConfig, PortInfo,
    PortStats,
};
pub use hash::{
    BulkHits, HashFlags, HashLookup, HashParams, HashReader, HashTable, RcuReclaimConfig,
    RcuReclaimMode, ReclaimFn, LOOKUP_BULK_MAX,
};
pub use hash_functions::{crc32c, crc32c_selected, crc32c_words, jhash, HashFunction};
pub use lcore::{current_lcore, LcoreJob, LCORE_ID_ANY};
pub use log::{global_level, set_global_level, LogLevel, LogType};
pub use mbuf::Mbuf;
pub use memory::{
    dpdk_heap_bytes, process_heap_bytes, resident_kib, return_free_heap, zero_atomic_u64s,
    zeroed_atomic_u64s,
};
pub use mempool::{Mempool, DEFAULT_DATA_ROOM, SOCKET_ID_ANY};
pub use pdump::PacketCapture;
pub use prefetch::prefetch;
pub use queue::{RxQueue, TxQueue};
pub use rcu::{Rcu, RcuReader, RcuToken};
pub use rcu_domain::{RcuCell, RcuDomain};
pub use rcu_list::{RcuList, SharedList};
pub use rcu_map::RcuMap;
pub use rcu_slots::RcuSlots;
pub use ring::{ring, RingConsumer, RingItem, RingProducer, RingSync, MAX_RING_CAPACITY};
pub use telemetry::{register_command as register_telemetry_command, TelDict, TelValue};
