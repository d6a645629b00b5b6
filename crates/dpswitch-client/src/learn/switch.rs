//! The MAC table and what each missed frame, and the passing of time, make
//! the switch do.

use super::flows::FlowIndex;
use super::mac::Mac;
use super::megaflow::{Megaflow, Ufid};
use dpswitch_proto::flow::odp::KeyAttr;
use std::collections::HashMap;
use std::fmt;

/// What the learning switch needs of a missed frame, from its flow key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Frame {
    pub in_port: u32,
    pub src: Mac,
    pub dst: Mac,
    /// Carries a VLAN tag. Every match pins the VLAN TCI, so a flow
    /// without one never matches a tagged frame: such frames are switched
    /// one by one.
    pub tagged: bool,
}

impl Frame {
    /// The frame a packet key describes; None without `in_port` or an
    /// Ethernet header.
    pub fn of_key(key: &[KeyAttr]) -> Option<Frame> {
        let mut in_port = None;
        let mut eth = None;
        let mut tagged = false;
        for attr in key {
            match attr {
                KeyAttr::InPort(port) => in_port = Some(*port),
                KeyAttr::Ethernet(e) => eth = Some(*e),
                KeyAttr::Vlan(_) | KeyAttr::Encap(_) => tagged = true,
                _ => {}
            }
        }
        let eth = eth?;
        Some(Frame {
            in_port: in_port?,
            src: Mac(eth.src),
            dst: Mac(eth.dst),
            tagged,
        })
    }
}

/// Something the switch learned or did, in the order it happened.
/// `Installed` and `Deleted` are also the flow changes to make.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    Learned { mac: Mac, port: u32 },
    Moved { mac: Mac, from: u32, to: u32 },
    Aged { mac: Mac, port: u32 },
    Installed(Megaflow),
    Deleted(Megaflow),
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Event::Learned { mac, port } => write!(f, "learn: {mac} on port {port}"),
            Event::Moved { mac, from, to } => {
                write!(f, "move: {mac} from port {from} to port {to}")
            }
            Event::Aged { mac, port } => write!(f, "age: {mac} on port {port}"),
            Event::Installed(flow) => write!(f, "flow: {flow}"),
            Event::Deleted(flow) => write!(f, "delete: {flow}"),
        }
    }
}

/// What to do about one missed frame.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Decision {
    /// In order: deletions come before the install they make room for.
    pub events: Vec<Event>,
    /// Where the frame itself goes (empty: dropped).
    pub outputs: Vec<u32>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Entry {
    port: u32,
    last_seen_ms: u64,
}

#[derive(Debug)]
pub struct LearningSwitch {
    /// The ports switched, in flooding order.
    ports: Vec<u32>,
    max_idle_ms: u64,
    macs: HashMap<Mac, Entry>,
    flows: FlowIndex,
}

impl LearningSwitch {
    pub fn new(ports: Vec<u32>, max_idle_ms: u64) -> LearningSwitch {
        LearningSwitch {
            ports,
            max_idle_ms,
            macs: HashMap::new(),
            flows: FlowIndex::default(),
        }
    }

    pub fn ports(&self) -> &[u32] {
        &self.ports
    }

    /// The port `mac` was learned on.
    pub fn port_of(&self, mac: &Mac) -> Option<u32> {
        self.macs.get(mac).map(|e| e.port)
    }

    /// When `mac` was last seen.
    pub fn last_seen(&self, mac: &Mac) -> Option<u64> {
        self.macs.get(mac).map(|e| e.last_seen_ms)
    }

    pub fn flows(&self) -> &FlowIndex {
        &self.flows
    }

    /// Learns from `frame`, seen at `now_ms`, and decides where it goes.
    pub fn on_miss(&mut self, frame: &Frame, now_ms: u64) -> Decision {
        let mut decision = Decision::default();
        // A group address is never a source (IEEE 802): such a frame is
        // dropped unlearned.
        if !self.ports.contains(&frame.in_port) || frame.src.is_multicast() {
            return decision;
        }
        self.learn(frame.src, frame.in_port, now_ms, &mut decision.events);

        let out_port = match self.port_of(&frame.dst) {
            Some(port) if !frame.dst.is_multicast() => port,
            _ => {
                decision.outputs = self.flood_ports(frame.in_port);
                return decision;
            }
        };
        // Known on the port it came from: the frame is already there.
        if out_port == frame.in_port {
            return decision;
        }
        decision.outputs = vec![out_port];
        if !frame.tagged {
            let flow = Megaflow {
                in_port: frame.in_port,
                src: frame.src,
                dst: frame.dst,
                out_port,
            };
            if self.flows.insert(flow) {
                decision.events.push(Event::Installed(flow));
            }
        }
        decision
    }

    fn learn(&mut self, mac: Mac, port: u32, now_ms: u64, events: &mut Vec<Event>) {
        let entry = Entry {
            port,
            last_seen_ms: now_ms,
        };
        match self.macs.insert(mac, entry) {
            None => events.push(Event::Learned { mac, port }),
            Some(old) if old.port == port => {}
            Some(old) => {
                events.push(Event::Moved {
                    mac,
                    from: old.port,
                    to: port,
                });
                // Flows from the old port and flows sending to it are
                // both wrong now.
                let stale = self.flows.remove_mac(&mac);
                events.extend(stale.into_iter().map(Event::Deleted));
            }
        }
    }

    /// Every switched port but `in_port`.
    pub fn flood_ports(&self, in_port: u32) -> Vec<u32> {
        self.ports
            .iter()
            .copied()
            .filter(|&p| p != in_port)
            .collect()
    }

    /// True when some MAC has gone unseen for the idle time: time to read
    /// the flows' last use (`revalidate`) and then `age`.
    pub fn ageing_due(&self, now_ms: u64) -> bool {
        self.macs.values().any(|e| self.expired(e, now_ms))
    }

    fn expired(&self, entry: &Entry, now_ms: u64) -> bool {
        now_ms.saturating_sub(entry.last_seen_ms) >= self.max_idle_ms
    }

    /// Takes in a complete dump of the datapath's flows, each as its UFID
    /// and last use (None or 0: never used). A flow's use is its source
    /// being seen on its in_port then. Flows installed here that the dump
    /// lacks were deleted by someone else: they are forgotten, so the next
    /// miss installs them again, and returned.
    pub fn revalidate(
        &mut self,
        dumped: impl IntoIterator<Item = (Ufid, Option<u64>)>,
    ) -> Vec<Megaflow> {
        let mut present = std::collections::HashSet::new();
        for (ufid, used) in dumped {
            let Some(flow) = self.flows.get(&ufid).copied() else {
                continue;
            };
            present.insert(ufid);
            let Some(used) = used.filter(|&u| u != 0) else {
                continue;
            };
            if let Some(entry) = self.macs.get_mut(&flow.src) {
                if entry.port == flow.in_port && used > entry.last_seen_ms {
                    entry.last_seen_ms = used;
                }
            }
        }
        let gone: Vec<Ufid> = self
            .flows
            .iter()
            .map(Megaflow::ufid)
            .filter(|ufid| !present.contains(ufid))
            .collect();
        gone.iter().filter_map(|u| self.flows.remove(u)).collect()
    }

    /// Forgets the MACs unseen for the idle time, with every flow that
    /// names them (to be deleted), in MAC order.
    pub fn age(&mut self, now_ms: u64) -> Vec<Event> {
        let mut expired: Vec<(Mac, u32)> = self
            .macs
            .iter()
            .filter(|(_, e)| self.expired(e, now_ms))
            .map(|(mac, e)| (*mac, e.port))
            .collect();
        expired.sort_unstable();
        let mut events = Vec::new();
        for (mac, port) in expired {
            self.macs.remove(&mac);
            events.push(Event::Aged { mac, port });
            let flows = self.flows.remove_mac(&mac);
            events.extend(flows.into_iter().map(Event::Deleted));
        }
        events
    }

    /// Forgets a flow that could not be installed.
    pub fn forget_flow(&mut self, ufid: &Ufid) -> Option<Megaflow> {
        self.flows.remove(ufid)
    }

    /// Forgets every flow, returning them: the controller deletes what it
    /// installed when it stops, since no one would age those flows after.
    pub fn take_flows(&mut self) -> Vec<Megaflow> {
        let mut all: Vec<Megaflow> = self.flows.iter().copied().collect();
        all.sort_unstable_by_key(Megaflow::ufid);
        for flow in &all {
            self.flows.remove(&flow.ufid());
        }
        all
    }
}
