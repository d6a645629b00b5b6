//! Packets that go up to the control plane (U1, U3 in docs/flow-commands.md): a PMD hands a
//! missed packet, or a packet a `userspace` action sends, to the
//! management lcore without blocking, allocating or locking.
//!
//! Each PMD owns a fixed set of slots that circulate through two
//! single-producer single-consumer rings: the PMD takes a free slot, fills
//! it and queues it; the management lcore sends it on and gives the slot
//! back. No free slot (the management lcore is behind), a port over its
//! rate, or a port without a handler: the packet is dropped and the caller
//! counts it as lost.

use super::upcall_losses::{LossReason, UpcallLosses};
use crate::dpdk::{ring, DpdkError, Mbuf, RingConsumer, RingProducer, RingSync};
use std::sync::atomic::{AtomicU32, Ordering::Relaxed};
use std::sync::Arc;

/// Longest `userspace` userdata a PMD carries up; a longer one is lost.
pub const USERDATA_MAX: usize = 256;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UpcallKind {
    /// No flow matched (`OVS_PACKET_CMD_MISS`), for the port's handler.
    Miss,
    /// A `userspace` action (`OVS_PACKET_CMD_ACTION`), for `pid`.
    Action { pid: u32 },
}

/// One packet on its way up.
pub struct Upcall {
    pub packet: Option<Mbuf>,
    /// Datapath number of the port it arrived on.
    pub in_port: u32,
    pub kind: UpcallKind,
    userdata_len: Option<u16>,
    userdata: [u8; USERDATA_MAX],
}

impl Upcall {
    fn empty() -> Upcall {
        Upcall {
            packet: None,
            in_port: 0,
            kind: UpcallKind::Miss,
            userdata_len: None,
            userdata: [0; USERDATA_MAX],
        }
    }

    pub fn userdata(&self) -> Option<&[u8]> {
        self.userdata_len
            .and_then(|len| self.userdata.get(..usize::from(len)))
    }
}

/// The handler (netlink port id, 0: none) of each datapath port, by port
/// index: written by the management lcore, read by PMDs on a miss.
pub struct UpcallHandlers {
    pids: Box<[AtomicU32]>,
}

impl UpcallHandlers {
    pub fn new(ports: usize) -> UpcallHandlers {
        UpcallHandlers {
            pids: (0..ports).map(|_| AtomicU32::new(0)).collect(),
        }
    }

    pub fn get(&self, port_index: usize) -> u32 {
        self.pids.get(port_index).map_or(0, |p| p.load(Relaxed))
    }

    pub fn set(&self, port_index: usize, pid: u32) {
        if let Some(p) = self.pids.get(port_index) {
            p.store(pid, Relaxed);
        }
    }
}

/// How many misses per second each port may send up from one PMD, and
/// how many at once after a quiet spell.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UpcallLimit {
    pub per_second: u32,
    pub burst: u32,
}

/// A token bucket in TSC cycles.
struct Bucket {
    tokens: u64,
    last: u64,
}

/// The PMD end.
pub struct UpcallSender {
    full: RingProducer<Box<Upcall>>,
    free: RingConsumer<Box<Upcall>>,
    handlers: Arc<UpcallHandlers>,
    buckets: Box<[Bucket]>,
    /// Cycles per token and the bucket depth, in tokens.
    cycles_per_token: u64,
    burst: u64,
    /// This PMD's losses, by port and reason (it is their one writer).
    losses: Arc<UpcallLosses>,
}

/// The management end.
pub struct UpcallReceiver {
    full: RingConsumer<Box<Upcall>>,
    free: RingProducer<Box<Upcall>>,
}

/// A PMD's channel of `slots` upcalls, rate-limited per port.
pub fn upcall_channel(
    name: &str,
    slots: u32,
    handlers: Arc<UpcallHandlers>,
    limit: UpcallLimit,
    tsc_hz: u64,
    ports: usize,
) -> Result<(UpcallSender, UpcallReceiver), DpdkError> {
    let sync = RingSync::default();
    let (full_tx, full_rx) = ring::<Box<Upcall>>(&format!("{name}_up"), slots, sync)?;
    let (mut free_tx, free_rx) = ring::<Box<Upcall>>(&format!("{name}_fr"), slots, sync)?;
    for _ in 0..slots {
        if free_tx.enqueue(Box::new(Upcall::empty())).is_err() {
            break;
        }
    }
    let burst = u64::from(limit.burst.max(1));
    Ok((
        UpcallSender {
            full: full_tx,
            free: free_rx,
            handlers,
            buckets: (0..ports)
                .map(|_| Bucket {
                    tokens: burst,
                    last: 0,
                })
                .collect(),
            cycles_per_token: tsc_hz / u64::from(limit.per_second.max(1)),
            burst,
            losses: Arc::new(UpcallLosses::new(ports)),
        },
        UpcallReceiver {
            full: full_rx,
            free: free_tx,
        },
    ))
}

impl UpcallSender {
    /// Sends a missed packet up to its port's handler; false (the packet
    /// dropped, and counted by reason) without a handler, over the port's
    /// rate or without room.
    #[inline]
    pub fn miss(&mut self, port_index: usize, in_port: u32, packet: Mbuf, now: u64) -> bool {
        let lost = if self.handlers.get(port_index) == 0 {
            LossReason::NoHandler
        } else if !self.take_token(port_index, now) {
            LossReason::RateLimit
        } else if self.send(packet, in_port, UpcallKind::Miss, None) {
            return true;
        } else {
            LossReason::QueueFull
        };
        self.losses.count(port_index, lost);
        false
    }

    /// Sends a packet a `userspace` action names up to `pid`.
    #[inline]
    pub fn action(
        &mut self,
        port_index: usize,
        in_port: u32,
        pid: u32,
        userdata: Option<&[u8]>,
        packet: Mbuf,
    ) -> bool {
        let lost = if userdata.is_some_and(|u| u.len() > USERDATA_MAX) {
            LossReason::Userdata
        } else if self.send(packet, in_port, UpcallKind::Action { pid }, userdata) {
            return true;
        } else {
            LossReason::QueueFull
        };
        self.losses.count(port_index, lost);
        false
    }

    /// The losses this sender counts, for the management lcore to read.
    pub fn losses(&self) -> Arc<UpcallLosses> {
        Arc::clone(&self.losses)
    }

    fn take_token(&mut self, port_index: usize, now: u64) -> bool {
        let Some(b) = self.buckets.get_mut(port_index) else {
            return false;
        };
        let earned = now.saturating_sub(b.last) / self.cycles_per_token.max(1);
        if earned > 0 {
            b.tokens = (b.tokens + earned).min(self.burst);
            b.last = now;
        }
        if b.tokens == 0 {
            return false;
        }
        b.tokens -= 1;
        true
    }

    fn send(
        &mut self,
        packet: Mbuf,
        in_port: u32,
        kind: UpcallKind,
        userdata: Option<&[u8]>,
    ) -> bool {
        let Some(mut slot) = self.free.dequeue() else {
            return false; // the packet drops here
        };
        slot.packet = Some(packet);
        slot.in_port = in_port;
        slot.kind = kind;
        slot.userdata_len = userdata.map(|u| {
            slot.userdata[..u.len()].copy_from_slice(u);
            u.len() as u16
        });
        // The ring has room for every slot, so this cannot fail; if it
        // did, the slot (and its packet) would just be dropped.
        self.full.enqueue(slot).is_ok()
    }
}

impl UpcallReceiver {
    /// Upcalls waiting for the management lcore.
    pub fn waiting(&self) -> u32 {
        self.full.len()
    }

    /// Hands up to `max` waiting upcalls to `f` (which takes the packet),
    /// returning their slots; returns how many there were.
    pub fn drain(&mut self, max: usize, mut f: impl FnMut(&mut Upcall)) -> usize {
        let mut n = 0;
        while n < max {
            let Some(mut slot) = self.full.dequeue() else {
                break;
            };
            f(&mut slot);
            slot.packet = None;
            slot.userdata_len = None;
            let _ = self.free.enqueue(slot);
            n += 1;
        }
        n
    }
}
