//! Ports added and removed while the PMDs run (management lcore only):
//! a port is probed, configured, started and handed to each PMD through
//! its mailbox; a removed port is handed back by every PMD (the grace
//! period) before its device stops and goes.

use super::*;
use crate::event;
use crate::log::PORT;
use nix::errno::Errno;

/// A port to add: its kind, the kernel interface name (which becomes the
/// vport name), its number (None: the lowest free from 1) and handlers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PortSpec {
    pub kind: PortKind,
    pub name: String,
    pub number: Option<u32>,
    pub upcall_pids: Vec<u32>,
}

/// Why a port could not be added or removed, each with the kernel's errno
/// for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PortErrorKind {
    /// The name is a port already, or an internal port's interface exists.
    Exists,
    /// The number is taken.
    Busy,
    /// The number is not below DP_MAX_PORTS, or no number is free.
    TooBig,
    /// No such port, or no such kernel interface to attach.
    NoDevice,
    /// The packet pool cannot feed another port's rings.
    NoMemory,
    /// Every port slot is taken.
    NoSpace,
    /// An interface dpswitch cannot carry (a tunnel in metadata mode).
    Unsupported,
    /// Anything else (the driver refused).
    Failed,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PortError {
    pub kind: PortErrorKind,
    pub message: String,
}

impl PortError {
    /// The errno the kernel answers a vport command with for this.
    pub fn errno(&self) -> Errno {
        match self.kind {
            PortErrorKind::Exists => Errno::EEXIST,
            PortErrorKind::Busy => Errno::EBUSY,
            PortErrorKind::TooBig => Errno::EFBIG,
            PortErrorKind::NoDevice => Errno::ENODEV,
            PortErrorKind::NoMemory => Errno::ENOMEM,
            PortErrorKind::NoSpace => Errno::ENOSPC,
            PortErrorKind::Unsupported => Errno::EAFNOSUPPORT,
            PortErrorKind::Failed => Errno::EINVAL,
        }
    }

    fn new(kind: PortErrorKind, message: impl Into<String>) -> PortError {
        PortError {
            kind,
            message: message.into(),
        }
    }
}

impl std::fmt::Display for PortError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for PortError {}

/// Whether a kernel interface of this name exists (in this namespace).
fn iface_exists(name: &str) -> bool {
    nix::net::if_::if_nametoindex(name).is_ok()
}

impl Switch {
    /// Hands `changes[i]` to PMD i and waits until every PMD adopted its
    /// change (the grace period); returns the changes with what they
    /// replaced, for the management lcore to free.
    // The changes are boxed because they travel through the mailbox rings
    // as pointers, and come back the same way.
    #[allow(clippy::vec_box)]
    pub(super) fn publish(
        &mut self,
        changes: Vec<Box<PortChange>>,
    ) -> Result<Vec<Box<PortChange>>, String> {
        let mut back = Vec::with_capacity(changes.len());
        let mut waiting = Vec::new();
        for (handle, mut change) in self.pmds.iter_mut().zip(changes) {
            match handle.idle.as_mut() {
                Some(pmd) => {
                    pmd.apply(&mut change);
                    back.push(change);
                }
                None => match handle.to.enqueue(change) {
                    Ok(()) => waiting.push(handle.lcore),
                    Err(_) => return Err(format!("PMD lcore {}: mailbox full", handle.lcore)),
                },
            }
        }
        let deadline = Instant::now() + ADOPT_TIMEOUT;
        while !waiting.is_empty() {
            for handle in self.pmds.iter_mut() {
                if let Some(change) = handle.back.dequeue() {
                    waiting.retain(|l| *l != handle.lcore);
                    back.push(change);
                }
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "PMD lcore(s) {waiting:?} did not adopt a port change within {ADOPT_TIMEOUT:?}"
                ));
            }
            std::hint::spin_loop();
        }
        Ok(back)
    }

    /// The port-number map with `slot` as `number` added (Some) or every
    /// port but `without`.
    pub(super) fn index_with(
        &self,
        add: Option<(u32, usize)>,
        without: Option<usize>,
    ) -> Arc<PortIndex> {
        let mut pairs: Vec<(u32, usize)> = self
            .slots
            .iter()
            .enumerate()
            .filter(|(i, _)| Some(*i) != without)
            .filter_map(|(i, s)| s.as_ref().map(|s| (s.plan.number, i)))
            .collect();
        pairs.extend(add);
        Arc::new(PortIndex::new(&pairs))
    }

    /// Puts a configured, started port in `slot` and publishes it to the
    /// PMDs: its rx queues go to the PMDs `rx` names, a tx queue to each.
    pub(super) fn attach(
        &mut self,
        slot: usize,
        plan: PortPlan,
        port: Port,
        rx: Vec<(usize, u16)>,
        upcall_pids: Vec<u32>,
        rings: u32,
    ) -> Result<(), PortError> {
        let failed = |e: String| PortError::new(PortErrorKind::Failed, e);
        let (inject, inject_rx) = ring::<Mbuf>(
            &format!("dpsw_inject{slot}"),
            INJECT_RING,
            RingSync::default(),
        )
        .map_err(|e| failed(format!("injection ring: {e}")))?;
        // The slot's loss counters start over for its new port, before
        // any PMD hears of it.
        self.mgmt_losses.reset(slot);
        self.pmd_losses.iter().for_each(|l| l.reset(slot));
        let index = self.index_with(Some((plan.number, slot)), None);
        let mut changes = Vec::with_capacity(self.pmds.len());
        let mut inject_rx = Some(inject_rx);
        for (i, _) in self.pmds.iter().enumerate() {
            let tx_queue = u16::try_from(i).map_err(|_| failed("too many lcores".into()))?;
            let mut polls = Vec::new();
            for (_, q) in rx.iter().filter(|(pmd, _)| *pmd == i) {
                polls.push(RxPoll {
                    queue: port
                        .rx_queue(*q)
                        .map_err(|e| failed(format!("{} rx queue {q}: {e}", plan.name)))?,
                    port_number: plan.number,
                    port_index: slot,
                    stats: Arc::new(RxqStats::default()),
                });
            }
            let tx = port
                .tx_queue(tx_queue)
                .map(TxPort::new)
                .map_err(|e| failed(format!("{} tx queue {tx_queue}: {e}", plan.name)))?;
            changes.push(Box::new(PortChange {
                index: slot,
                add: true,
                rx: polls,
                tx: Some(tx),
                inject: if i == 0 { inject_rx.take() } else { None },
                ports: Arc::clone(&index),
            }));
        }
        for (handle, change) in self.pmds.iter_mut().zip(&changes) {
            handle.rx_polls += change.rx.len();
            handle.rxqs.extend(change.rx.iter().map(|poll| PolledQueue {
                port_slot: slot,
                queue: poll.queue.queue_id(),
                stats: Arc::clone(&poll.stats),
                baseline: (0, 0),
            }));
        }
        self.handlers
            .set(slot, upcall_pids.first().copied().unwrap_or(0));
        self.committed += rings;
        let link_up = port.link().ok().map(|l| l.up);
        self.slots[slot] = Some(PortSlot {
            plan,
            port,
            inject,
            upcall_pids,
            rings,
            link_up,
        });
        self.index = index;
        // What comes back (the old map, empty lists) is freed here.
        self.publish(changes).map(drop).map_err(failed)
    }

    /// Adds a port at run time (management lcore only): probes its device,
    /// configures it (an rx and a tx queue per PMD lcore), starts it
    /// and publishes it to the PMDs; it forwards when this returns.
    pub fn add_port(&mut self, spec: &PortSpec) -> Result<PortPlan, PortError> {
        use PortErrorKind::*;
        let number = match spec.number {
            Some(n) if n >= DP_MAX_PORTS => {
                return Err(PortError::new(
                    TooBig,
                    format!("port number {n} is not below {DP_MAX_PORTS}"),
                ))
            }
            Some(n) if self.index.contains(n) => {
                return Err(PortError::new(Busy, format!("port number {n} is taken")))
            }
            Some(n) => n,
            None => (1..DP_MAX_PORTS)
                .find(|n| !self.index.contains(*n))
                .ok_or_else(|| PortError::new(TooBig, "no free port number"))?,
        };
        if self.port_by_name(&spec.name).is_some() {
            return Err(PortError::new(
                Exists,
                format!("{:?} is a port of this datapath already", spec.name),
            ));
        }
        if spec.name.is_empty() || spec.name.len() > 15 || spec.name.contains([',', '=', '/']) {
            return Err(PortError::new(
                Failed,
                format!("{:?} is not a usable interface name", spec.name),
            ));
        }
        let Some(slot) = self.slots.iter().position(Option::is_none) else {
            return Err(PortError::new(
                NoSpace,
                format!("the datapath holds at most {MAX_PORTS} ports"),
            ));
        };
        // Both kinds pair their queues (`paired_queues`): one rx queue per
        // PMD beside its tx queue, each polled by a PMD of its own where
        // there is room (the kernel spreads flows over the queues).
        let tx_queues = self.pmds.len() as u16;
        let rx_queues = tx_queues;
        let rings = (u32::from(rx_queues) + u32::from(tx_queues)) * u32::from(self.queue_size);
        if self.committed + rings > self.mempool_size {
            return Err(PortError::new(
                NoMemory,
                format!(
                    "the packet pool cannot feed another port: its rings need {rings} mbufs, {} of datapath.mempool_size {} are left",
                    self.mempool_size.saturating_sub(self.committed),
                    self.mempool_size
                ),
            ));
        }
        let polls: Vec<usize> = self.pmds.iter().map(|h| h.rx_polls).collect();
        let Some(rx) = deal_rx_queues(&polls, rx_queues, MAX_RX_POLLS) else {
            return Err(PortError::new(NoSpace, "every PMD polls all it can"));
        };
        let exists = iface_exists(&spec.name);
        let driver = match spec.kind {
            PortKind::Netdev if !exists => {
                return Err(PortError::new(
                    NoDevice,
                    format!("no kernel interface {:?} to attach", spec.name),
                ))
            }
            PortKind::Netdev => match super::link_kind::metadata_tunnel(&spec.name) {
                Some(kind) => {
                    return Err(PortError::new(
                        Unsupported,
                        format!(
                            "{:?} is a {kind} tunnel device in metadata mode, which carries only \
                             what a kernel datapath's tunnel actions give it; dpswitch has none",
                            spec.name
                        ),
                    ))
                }
                None => "net_af_packet",
            },
            PortKind::Internal if exists => {
                return Err(PortError::new(
                    Exists,
                    format!("a kernel interface {:?} exists already", spec.name),
                ))
            }
            PortKind::Internal => "net_tap",
        };
        let device = format!("{driver}_dpsw{}", self.next_device);
        self.next_device += 1;
        let devargs = match spec.kind {
            PortKind::Netdev => format!("{device},iface={},qpairs={tx_queues}", spec.name),
            PortKind::Internal => format!("{device},iface={}", spec.name),
        };
        dpdk::probe_device(&self.eal, &devargs)
            .map_err(|e| PortError::new(Failed, format!("{devargs}: {e}")))?;
        let opened =
            dpdk::port_id_by_name(&self.eal, &device).and_then(|id| Port::open(&self.eal, id));
        let port = match opened {
            Ok(p) => p,
            Err(e) => {
                let _ = dpdk::remove_device(&self.eal, "vdev", &device);
                return Err(PortError::new(Failed, format!("{device}: {e}")));
            }
        };
        let plan = PortPlan {
            dpdk_id: port.id(),
            name: spec.name.clone(),
            device: device.clone(),
            number,
            rx_queues,
            kind: spec.kind,
        };
        if let Err(e) = configure_port(&port, &plan, tx_queues, self.queue_size, &self.pool) {
            let _ = port.close();
            let _ = dpdk::remove_device(&self.eal, "vdev", &device);
            return Err(PortError::new(Failed, e.to_string()));
        }
        if spec.kind == PortKind::Internal {
            // The kernel creates an internal port's interface down; whoever
            // uses it brings it up. (net_tap raised it at start.)
            let _ = port.set_link(false);
        }
        let pids = if spec.upcall_pids.is_empty() {
            vec![0]
        } else {
            spec.upcall_pids.clone()
        };
        self.attach(slot, plan.clone(), port, rx, pids, rings)?;
        let link = self.slots[slot].as_ref().and_then(|s| s.link_up);
        event!(
            PORT,
            Notice,
            "port {} = {} added ({}, {}), link {}",
            plan.number,
            plan.name,
            plan.device,
            super::watch::kind_name(plan.kind),
            match link {
                Some(true) => "up",
                Some(false) => "down",
                None => "unknown",
            }
        );
        Ok(plan)
    }

    /// Removes port `number` at run time: unpublishes it, waits until every
    /// PMD has moved past it (flushing what it had pending for it), then
    /// stops, closes and removes the device. Its mbufs are back in the pool
    /// when this returns. Returns the port with its final counters.
    pub fn remove_port(&mut self, number: u32) -> Result<(PortPlan, PortStats), PortError> {
        let Some(slot) = self.index.index(number) else {
            return Err(PortError::new(
                PortErrorKind::NoDevice,
                format!("no port {number}"),
            ));
        };
        let index = self.index_with(None, Some(slot));
        // Misses from the port stop going up before it goes.
        self.handlers.set(slot, 0);
        let changes = (0..self.pmds.len())
            .map(|_| {
                Box::new(PortChange {
                    index: slot,
                    add: false,
                    rx: Vec::with_capacity(MAX_RX_POLLS),
                    tx: None,
                    inject: None,
                    ports: Arc::clone(&index),
                })
            })
            .collect();
        self.index = index;
        let returned = self
            .publish(changes)
            .map_err(|e| PortError::new(PortErrorKind::Failed, e))?;
        for (handle, change) in self.pmds.iter_mut().zip(&returned) {
            handle.rx_polls = handle.rx_polls.saturating_sub(change.rx.len());
            handle.rxqs.retain(|q| q.port_slot != slot);
        }
        // Every PMD gave its queue handles back: dropping them returns them
        // to the port, which may now stop.
        drop(returned);
        let Some(gone) = self.slots[slot].take() else {
            return Err(PortError::new(PortErrorKind::NoDevice, "port slot empty"));
        };
        self.committed -= gone.rings;
        drop(gone.inject); // packets still waiting in it go back to the pool
        let stats = gone.port.stats().unwrap_or_default();
        let plan = gone.plan;
        let closed = gone.port.close();
        if let Err(e) = closed {
            return Err(PortError::new(
                PortErrorKind::Failed,
                format!("close {}: {e}", plan.name),
            ));
        }
        // Launch ports given with -a sit on another bus; only vdevs go.
        let _ = dpdk::remove_device(&self.eal, "vdev", &plan.device);
        event!(
            PORT,
            Notice,
            "port {} = {} removed ({})",
            plan.number,
            plan.name,
            plan.device
        );
        Ok((plan, stats))
    }

    /// Removes every port (the datapath's deletion).
    pub fn remove_all_ports(&mut self) -> Result<(), PortError> {
        let numbers: Vec<u32> = self.ports().map(|p| p.number).collect();
        for n in numbers {
            self.remove_port(n)?;
        }
        Ok(())
    }
}

/// Deals `queues` rx queues of a new port to PMDs polling `polls` queues
/// each: every queue to the PMD with the fewest, none beyond `max`.
/// `(pmd, queue)` pairs; None when the PMDs cannot take them all.
fn deal_rx_queues(polls: &[usize], queues: u16, max: usize) -> Option<Vec<(usize, u16)>> {
    let mut load = polls.to_vec();
    let mut dealt = Vec::with_capacity(usize::from(queues));
    for q in 0..queues {
        let (pmd, n) = load
            .iter_mut()
            .enumerate()
            .filter(|(_, n)| **n < max)
            .min_by_key(|(i, n)| (**n, *i))?;
        *n += 1;
        dealt.push((pmd, q));
    }
    Some(dealt)
}

#[cfg(test)]
mod tests {
    use super::deal_rx_queues;

    #[test]
    fn a_new_ports_queues_go_one_to_each_pmd_least_loaded_first() {
        assert_eq!(
            deal_rx_queues(&[2, 0, 1], 3, 8),
            Some(vec![(1, 0), (1, 1), (2, 2)])
        );
        assert_eq!(
            deal_rx_queues(&[0, 0, 0], 3, 8),
            Some(vec![(0, 0), (1, 1), (2, 2)])
        );
        // A full PMD takes none; when all are full the port is refused.
        assert_eq!(deal_rx_queues(&[8, 0], 2, 8), Some(vec![(1, 0), (1, 1)]));
        assert_eq!(deal_rx_queues(&[8, 7], 2, 8), None);
    }
}
