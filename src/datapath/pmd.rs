//! The poll-mode loop of one worker lcore, per burst: receive, extract
//! every key (only as deep as the table's masks look), classify the burst
//! against the megaflow table, group the packets by flow and execute each
//! flow's actions (outputs land in this lcore's per-port tx bursts; a
//! flow whose actions are one output skips the interpreter), account per
//! flow once per burst, transmit, and report an RCU quiescent state once
//! per loop. Every iteration's TSC cycles are counted as busy (it received
//! packets) or idle, each rx queue's bursts are timed, and so are the
//! hand-overs of upcalls: `pmd-perf-show` and `pmd-rxq-show` read them.
//! An idle PMD may sleep (see `idle_sleep`). Misses and `userspace`
//! actions go up to the management lcore through this lcore's upcall
//! channel; what it cannot take is dropped and counted as lost. Nothing
//! here allocates, locks or logs.
//!
//! Ports come and go while the loop runs: the management lcore hands each
//! PMD a [`PortChange`] through its [`Mailbox`] (a lock-free ring), and the
//! PMD adopts it only at the top of its loop, between bursts, where it
//! holds no packet and no reference into its poll list: it moves the new
//! port's rx queues and tx queue in (into storage sized in advance, so
//! nothing allocates), or flushes what waits for a departing port and
//! moves that port's queues out, swaps in the new port-number map, and
//! sends the change back with what it replaced. The management lcore
//! frees the old pieces, and stops a removed port only once every PMD has
//! sent its change back: that is the grace period.

use super::actions::{execute_with_upcalls, Xorshift32};
use super::idle_sleep::{IdleSleep, SLEEP_THRESHOLD};
use super::ports::{PortIndex, MAX_PORTS};
use super::upcall::UpcallSender;
use crate::classifier::{ClassifierReader, Flow};
use crate::dpdk::{tsc_cycles, Mbuf, MbufBurst, RingConsumer, RingProducer, RxQueue, TxQueue};
use crate::flow::extract::extract_to;
use crate::flow::odp::Action;
use crate::flow::FlowKey;
use dpswitch_proto::pmd::stats::{PmdStats, RxqStats};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// The most packets one burst holds; the configured burst size may be less.
pub const MAX_BURST: usize = 64;

/// Entries of a burst's flow-to-group hint table: with 32 distinct flows
/// in a burst, about two share an entry.
const GROUP_HINTS: usize = 256;
/// A hint entry no flow of the burst has set.
const NO_GROUP: u8 = u8::MAX;
const _: () = assert!(MAX_BURST < NO_GROUP as usize);

/// The most (port, rx queue) pairs one PMD polls.
pub const MAX_RX_POLLS: usize = 4 * MAX_PORTS;

/// One port appearing in or leaving one PMD's poll list.
pub struct PortChange {
    /// The port's index (slot).
    pub index: usize,
    /// Added (its queues move in) or removed (they move out).
    pub add: bool,
    /// Add: the rx queues this PMD polls from now on. Remove: empty, with
    /// room for the queues the PMD gives back.
    pub rx: Vec<RxPoll>,
    /// Add: this PMD's tx queue on the port. Remove: None; the PMD puts its
    /// queue here, its pending packets flushed.
    pub tx: Option<TxPort>,
    /// The injection ring of the port (for the first PMD only), moved the
    /// same way as `tx`.
    pub inject: Option<RingConsumer<Mbuf>>,
    /// The port-number map from now on; comes back holding the old one.
    pub ports: Arc<PortIndex>,
}

/// What the management lcore may change while the PMDs run; each PMD
/// reads it once per iteration.
#[derive(Debug, Default)]
pub struct PmdControls {
    /// The longest an idle iteration may sleep, in microseconds (0: never).
    pub max_sleep_us: AtomicU32,
    /// Time every stage of every burst (a few TSC reads per burst), for
    /// `pmd-perf-show`'s stage line; off by default.
    pub stage_cycles: AtomicBool,
}

/// TSC stamps of one burst's stages, taken only while stage timing is on.
#[derive(Clone, Copy, Default)]
struct StageClock {
    on: bool,
}

impl StageClock {
    #[inline(always)]
    fn now(self) -> u64 {
        if self.on {
            tsc_cycles()
        } else {
            0
        }
    }
}

/// The two rings between the management lcore and one PMD.
pub struct Mailbox {
    pub inbox: RingConsumer<Box<PortChange>>,
    pub outbox: RingProducer<Box<PortChange>>,
}

/// The port indexes with a tx queue, in a fixed array: the loop's flush
/// walks these, not all [`MAX_PORTS`] slots.
struct ActivePorts {
    list: [u16; MAX_PORTS],
    len: usize,
}

impl Default for ActivePorts {
    fn default() -> ActivePorts {
        ActivePorts {
            list: [0; MAX_PORTS],
            len: 0,
        }
    }
}

impl ActivePorts {
    fn as_slice(&self) -> &[u16] {
        &self.list[..self.len]
    }

    fn insert(&mut self, index: usize) {
        let Ok(index) = u16::try_from(index) else {
            return;
        };
        if !self.as_slice().contains(&index) && self.len < MAX_PORTS {
            self.list[self.len] = index;
            self.len += 1;
        }
    }

    fn remove(&mut self, index: usize) {
        if let Some(k) = self
            .as_slice()
            .iter()
            .position(|&i| usize::from(i) == index)
        {
            self.len -= 1;
            self.list[k] = self.list[self.len];
        }
    }
}

/// One rx queue a PMD polls, and the datapath number of its port.
pub struct RxPoll {
    pub queue: RxQueue,
    pub port_number: u32,
    /// The port's index (for per-port state such as upcall handlers).
    pub port_index: usize,
    /// Its packets and cycles, for `pmd-rxq-show`.
    pub stats: Arc<RxqStats>,
}

/// This lcore's own tx queue on one port and the packets waiting for it.
pub struct TxPort {
    pub queue: TxQueue,
    pub pending: MbufBurst<MAX_BURST>,
}

impl TxPort {
    pub fn new(queue: TxQueue) -> TxPort {
        TxPort {
            queue,
            pending: MbufBurst::new(),
        }
    }

    /// Queues one packet, transmitting first when the burst is full;
    /// returns how many packets were dropped (0 or 1).
    #[inline]
    fn push(&mut self, m: Mbuf, stats: &PmdStats) -> u64 {
        if self.pending.is_full() {
            self.transmit(stats);
        }
        u64::from(self.pending.push(m).is_err())
    }

    /// Queues what waits in `ring`; returns how many packets were dropped.
    fn send_from(&mut self, ring: &mut RingConsumer<Mbuf>, stats: &PmdStats) -> u64 {
        let mut lost = 0;
        while let Some(m) = ring.dequeue() {
            lost += self.push(m, stats);
        }
        lost
    }

    /// Transmits what is pending; what the driver refuses is dropped.
    #[inline]
    fn flush(&mut self, stats: &PmdStats) -> u64 {
        if self.pending.is_empty() {
            return 0;
        }
        self.transmit(stats);
        let dropped = self.pending.len() as u64;
        self.pending.clear();
        dropped
    }

    /// One burst to the driver, counted; what it refuses stays pending.
    #[inline]
    fn transmit(&mut self, stats: &PmdStats) {
        let sent = self.queue.tx_burst(&mut self.pending);
        stats.tx_packets(sent as u64);
        stats.tx_batches(1);
    }
}

/// Everything a worker lcore owns while it forwards.
pub struct Pmd {
    pub lcore: u32,
    /// What it polls; its capacity is [`MAX_RX_POLLS`], reserved up front.
    pub rx: Vec<RxPoll>,
    /// This lcore's tx side of every port, by port index ([`MAX_PORTS`]).
    pub tx: Box<[Option<TxPort>]>,
    pub ports: Arc<PortIndex>,
    pub classifier: ClassifierReader,
    pub upcalls: UpcallSender,
    /// Packets the management lcore sends, one ring per port by index
    /// (only the first PMD has them).
    pub injected: Box<[Option<RingConsumer<Mbuf>>]>,
    /// Port changes from the management lcore.
    pub mailbox: Mailbox,
    /// The indexes of the ports this PMD has a tx queue on.
    active: ActivePorts,
    pub burst_size: usize,
    pub stats: Arc<PmdStats>,
    /// The sleep limit and stage timing, as the management lcore sets them.
    pub controls: Arc<PmdControls>,
    pub stop: Arc<AtomicBool>,
}

/// One flow's share of a burst: accounted once, its actions read once.
#[derive(Clone, Copy)]
struct Group<'a> {
    flow: &'a Flow,
    actions: &'a [Action],
    /// The port index when the actions are one output to a known port:
    /// the usual megaflow, whose packets skip the action interpreter.
    only_output: Option<usize>,
    packets: u64,
    bytes: u64,
    tcp_flags: u16,
}

impl<'a> Group<'a> {
    fn new(flow: &'a Flow, actions: &'a [Action], ports: &PortIndex) -> Group<'a> {
        let only_output = match actions {
            [Action::Output(port)] => ports.index(*port),
            _ => None,
        };
        Group {
            flow,
            actions,
            only_output,
            packets: 0,
            bytes: 0,
            tcp_flags: 0,
        }
    }
}

impl Pmd {
    /// A PMD with nothing to poll yet.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        lcore: u32,
        ports: Arc<PortIndex>,
        classifier: ClassifierReader,
        upcalls: UpcallSender,
        mailbox: Mailbox,
        burst_size: usize,
        controls: Arc<PmdControls>,
        stop: Arc<AtomicBool>,
    ) -> Pmd {
        Pmd {
            lcore,
            rx: Vec::with_capacity(MAX_RX_POLLS),
            tx: (0..MAX_PORTS).map(|_| None).collect(),
            ports,
            classifier,
            upcalls,
            injected: (0..MAX_PORTS).map(|_| None).collect(),
            mailbox,
            active: ActivePorts::default(),
            burst_size,
            stats: Arc::new(PmdStats::default()),
            controls,
            stop,
        }
    }

    /// Takes one port change in (see the module doc). Allocates and frees
    /// nothing: what it replaces goes back in `change`.
    pub fn apply(&mut self, change: &mut PortChange) {
        let i = change.index;
        if i >= self.tx.len() {
            return;
        }
        if change.add {
            let room = self.rx.capacity() - self.rx.len();
            let n = change.rx.len().min(room);
            self.rx.extend(change.rx.drain(..n));
            std::mem::swap(&mut self.tx[i], &mut change.tx);
            if change.inject.is_some() {
                std::mem::swap(&mut self.injected[i], &mut change.inject);
            }
            if self.tx[i].is_some() {
                self.active.insert(i);
            }
        } else {
            let mut lost = 0;
            if let (Some(ring), Some(tx)) = (self.injected[i].as_mut(), self.tx[i].as_mut()) {
                lost += tx.send_from(ring, &self.stats);
            }
            if let Some(tx) = self.tx[i].as_mut() {
                lost += tx.flush(&self.stats);
            }
            if lost != 0 {
                self.stats.lost(lost);
            }
            std::mem::swap(&mut self.tx[i], &mut change.tx);
            std::mem::swap(&mut self.injected[i], &mut change.inject);
            self.active.remove(i);
            let mut k = 0;
            while k < self.rx.len() {
                if self.rx[k].port_index == i && change.rx.len() < change.rx.capacity() {
                    change.rx.push(self.rx.remove(k));
                } else {
                    k += 1;
                }
            }
        }
        std::mem::swap(&mut self.ports, &mut change.ports);
    }

    /// Adopts every port change waiting, at the loop's quiescent point.
    #[inline]
    fn adopt_changes(&mut self) {
        while let Some(mut change) = self.mailbox.inbox.dequeue() {
            self.apply(&mut change);
            // The outbox has room for every change in flight; were it
            // full, the change would be freed here rather than lost.
            let _ = self.mailbox.outbox.enqueue(change);
        }
    }

    /// Runs until `stop` is set; returns itself so the caller gets the
    /// queues back before it stops the ports.
    pub fn run(mut self) -> Pmd {
        let burst_size = self.burst_size.clamp(1, MAX_BURST);
        let mut burst: MbufBurst<MAX_BURST> = MbufBurst::new();
        let mut keys = [FlowKey::default(); MAX_BURST];
        let mut rng = Xorshift32::new(self.lcore.wrapping_mul(0x9e37_79b9) ^ 0x5bd1_e995);
        let mut sleep = IdleSleep::default();
        // Sleeps of a few microseconds, not the default 50 us slack (OVS
        // sets the same on its PMD threads).
        let _ = rustix::thread::set_current_timer_slack(std::num::NonZeroU64::new(1000));
        while !self.stop.load(Ordering::Relaxed) {
            if !self.mailbox.inbox.is_empty() {
                self.adopt_changes();
            }
            let clock = StageClock {
                on: self.controls.stage_cycles.load(Ordering::Relaxed),
            };
            let started = tsc_cycles();
            let mut mark = started;
            let (mut received, mut loaded) = (0, false);
            for i in 0..self.rx.len() {
                let rx = &mut self.rx[i];
                let polled = clock.now();
                let n = rx.queue.rx_burst_max(&mut burst, burst_size);
                if n == 0 {
                    continue;
                }
                if clock.on {
                    self.stats.stage_packets(n as u64);
                    self.stats
                        .stage_rx_cycles(tsc_cycles().wrapping_sub(polled));
                }
                received += n;
                loaded |= n >= SLEEP_THRESHOLD.min(burst_size);
                let port = (rx.port_number, rx.port_index);
                self.process(&mut burst, &mut keys[..n], port, &mut rng, clock);
                // The queue's share: its burst and the empty polls before it.
                let now = tsc_cycles();
                self.rx[i].stats.burst(n as u64, now.wrapping_sub(mark));
                mark = now;
            }
            let flushing = clock.now();
            let mut lost = 0;
            // Only the ports there are: walking every slot would touch a
            // cache line per slot on each loop.
            for &i in self.active.as_slice() {
                let i = usize::from(i);
                let Some(tx) = self.tx[i].as_mut() else {
                    continue;
                };
                if let Some(ring) = self.injected[i].as_mut() {
                    if !ring.is_empty() {
                        lost += tx.send_from(ring, &self.stats);
                    }
                }
                lost += tx.flush(&self.stats);
            }
            if lost != 0 {
                self.stats.lost(lost);
            }
            if clock.on && received != 0 {
                self.stats
                    .stage_tx_cycles(tsc_cycles().wrapping_sub(flushing));
            }
            self.classifier.quiescent();
            let cycles = tsc_cycles().wrapping_sub(started);
            self.stats.iterations(1);
            if received != 0 {
                self.stats.busy_iterations(1);
                self.stats.busy_cycles(cycles);
            } else {
                self.stats.idle_cycles(cycles);
            }
            // After the quiescent state: a sleeping PMD holds no flow and
            // delays no grace period.
            let max_sleep_us = self.controls.max_sleep_us.load(Ordering::Relaxed);
            if let Some(us) = sleep.next(loaded, max_sleep_us) {
                let before = tsc_cycles();
                std::thread::sleep(Duration::from_micros(u64::from(us)));
                self.stats.sleep_iterations(1);
                self.stats.sleep_cycles(tsc_cycles().wrapping_sub(before));
            }
        }
        self
    }

    /// Extracts, classifies and executes one received burst (`keys[i]`
    /// becomes packet i's key, as deep as the table's masks look).
    #[inline]
    fn process(
        &mut self,
        burst: &mut MbufBurst<MAX_BURST>,
        keys: &mut [FlowKey],
        (in_port, in_index): (u32, usize),
        rng: &mut Xorshift32,
        clock: StageClock,
    ) {
        let Pmd {
            classifier,
            tx,
            ports,
            stats,
            upcalls,
            ..
        } = self;
        let n = keys.len();
        let mut found: [Option<&Flow>; MAX_BURST] = [None; MAX_BURST];
        let started = clock.now();
        let mut extracted = started;
        let probed = classifier.fill_and_classify(keys, &mut found[..n], |depth, keys| {
            for (mbuf, key) in burst.iter().zip(keys.iter_mut()) {
                extract_to(depth, mbuf.data(), in_port, key);
            }
            extracted = clock.now();
        });
        let classified = clock.now();
        let mut groups: [Option<Group>; MAX_BURST] = [None; MAX_BURST];
        let (mut n_groups, mut current) = (0, 0);
        let mut group_hint = [NO_GROUP; GROUP_HINTS];
        let (mut hit, mut lost, mut sent_up, mut lost_up) = (0u64, 0u64, 0u64, 0u64);
        let now = tsc_cycles();
        let mut upcall_cycles = 0;
        for (i, mbuf) in burst.drain().enumerate() {
            let Some(flow) = found[i] else {
                let started = tsc_cycles();
                if upcalls.miss(in_index, in_port, mbuf, now) {
                    sent_up += 1;
                } else {
                    lost_up += 1;
                }
                upcall_cycles += tsc_cycles().wrapping_sub(started);
                continue;
            };
            hit += 1;
            // Packets of one flow tend to come together: try the last
            // packet's group, then the one its flow's slot number last
            // named. A hint never set in this burst means the flow has no
            // group yet (creating one sets it); only a hint taken by
            // another flow leaves a search, so a burst of distinct flows
            // costs no scans but its few hint collisions.
            let same = |g: &Option<Group>| g.is_some_and(|g| std::ptr::eq(g.flow, flow));
            if !same(&groups[current]) {
                let hint = flow.cache_slot() as usize % GROUP_HINTS;
                let hinted = group_hint[hint];
                let found = match hinted {
                    NO_GROUP => None,
                    g if same(&groups[usize::from(g) % MAX_BURST]) => Some(usize::from(g)),
                    _ => groups[..n_groups].iter().position(same),
                };
                current = found.unwrap_or_else(|| {
                    let actions = classifier.actions(flow);
                    groups[n_groups] = Some(Group::new(flow, actions, ports));
                    n_groups += 1;
                    n_groups - 1
                });
                group_hint[hint] = current as u8;
            }
            let Some(group) = groups[current].as_mut() else {
                continue; // unreachable: `current` names a filled group
            };
            group.packets += 1;
            group.bytes += u64::from(mbuf.pkt_len());
            group.tcp_flags |= keys[i].tcp_flags();
            if let Some(port) = group.only_output {
                lost += match tx[port].as_mut() {
                    Some(t) => t.push(mbuf, stats),
                    None => 1, // dropped with the mbuf
                };
                continue;
            }
            execute_with_upcalls(
                group.actions,
                mbuf,
                rng,
                &mut |port, m| match ports.index(port).and_then(|p| tx[p].as_mut()) {
                    Some(t) => lost += t.push(m, stats),
                    None => lost += 1, // the port went away: dropped
                },
                &mut |action, m| {
                    let userdata = action.userdata.as_deref();
                    if upcalls.action(in_index, in_port, action.pid, userdata, m) {
                        sent_up += 1;
                    } else {
                        lost_up += 1;
                    }
                },
            );
        }
        for g in groups[..n_groups].iter().flatten() {
            classifier.record(g.flow, g.packets, g.bytes, g.tcp_flags, now);
        }
        stats.rx_packets(n as u64);
        if sent_up != 0 {
            stats.upcalls(sent_up);
        }
        if upcall_cycles != 0 {
            stats.upcall_cycles(upcall_cycles);
        }
        if lost_up != 0 {
            stats.upcalls_lost(lost_up);
            lost += lost_up;
        }
        if clock.on {
            stats.stage_extract_cycles(extracted.wrapping_sub(started));
            stats.stage_classify_cycles(classified.wrapping_sub(extracted));
            stats.stage_action_cycles(tsc_cycles().wrapping_sub(classified));
        }
        stats.hit(hit);
        stats.missed(n as u64 - hit);
        stats.mask_hit(u64::from(probed));
        if lost != 0 {
            stats.lost(lost);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn active_ports_hold_each_index_once_and_forget_removed_ones() {
        let mut a = ActivePorts::default();
        for i in [3, 0, 3, 63] {
            a.insert(i);
        }
        assert_eq!(a.as_slice(), [3, 0, 63]);
        a.remove(3);
        assert_eq!(a.as_slice(), [63, 0]);
        a.remove(7);
        assert_eq!(a.as_slice(), [63, 0]);
        a.insert(MAX_PORTS * 1024); // not a u16-sized slot: ignored
        for i in 0..MAX_PORTS {
            a.insert(i);
        }
        assert_eq!(a.as_slice().len(), MAX_PORTS);
    }
}
