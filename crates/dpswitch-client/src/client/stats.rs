//! The `dpswitch` family over the client: the drops and memory that
//! `ovs_datapath` has no place for (`DPSWITCH_CMD_GET_STATS`), the PMDs'
//! figures and idle sleep (`GET_PMD`, `CLEAR_PMD`, `SET_PMD`), and the
//! table's occupancy and upcall queues (`GET_UPCALL`).

use super::error::ClientError;
use super::message::Request;
use super::Client;
use dpswitch_proto::netlink::attr::{attrs_lenient, Attr, AttrWriter};
use dpswitch_proto::netlink::consts::*;
use dpswitch_proto::pmd::figures::{FlowFigures, PerfReport, PmdFigures, RxqFigures};
use dpswitch_proto::pmd::stats::PmdCounters;
use std::time::Duration;

/// One port's upcalls lost, by reason.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PortLosses {
    pub port_no: u32,
    pub no_handler: u64,
    pub rate: u64,
    pub queue: u64,
    pub unread: u64,
    pub userdata: u64,
}

impl PortLosses {
    pub fn total(&self) -> u64 {
        self.no_handler + self.rate + self.queue + self.unread + self.userdata
    }
}

/// What `DPSWITCH_CMD_GET_STATS` reports.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DpswitchStats {
    pub connections_refused: u64,
    pub connections_reclaimed: u64,
    pub notifications_dropped: u64,
    pub ports: Vec<PortLosses>,
    pub rss_kib: u64,
    pub dpdk_heap_bytes: u64,
    pub process_heap_bytes: u64,
    pub mbufs_in_use: u64,
}

/// What `DPSWITCH_CMD_GET_UPCALL` reports.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UpcallReport {
    pub flows: FlowFigures,
    /// (lcore, upcalls waiting, queue size) per PMD.
    pub queues: Vec<(u32, u32, u32)>,
    pub ports: Vec<PortLosses>,
}

fn u64_of(attr: &Attr<'_>) -> u64 {
    attr.payload().try_into().map_or(0, u64::from_ne_bytes)
}

fn u32_of(attr: &Attr<'_>) -> u32 {
    attr.payload().try_into().map_or(0, u32::from_ne_bytes)
}

fn string_of(attr: &Attr<'_>) -> String {
    let bytes = attr.payload();
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    String::from_utf8_lossy(&bytes[..end]).into_owned()
}

fn port_losses(payload: &[u8]) -> PortLosses {
    let mut port = PortLosses::default();
    for a in attrs_lenient(payload) {
        match a.kind() {
            DPSWITCH_PORT_NO => port.port_no = u32_of(&a),
            DPSWITCH_PORT_UPCALL_LOST_NO_HANDLER => port.no_handler = u64_of(&a),
            DPSWITCH_PORT_UPCALL_LOST_RATE => port.rate = u64_of(&a),
            DPSWITCH_PORT_UPCALL_LOST_QUEUE => port.queue = u64_of(&a),
            DPSWITCH_PORT_UPCALL_LOST_UNREAD => port.unread = u64_of(&a),
            DPSWITCH_PORT_UPCALL_LOST_USERDATA => port.userdata = u64_of(&a),
            _ => {}
        }
    }
    port
}

fn rxq(payload: &[u8]) -> RxqFigures {
    let mut q = RxqFigures {
        port_number: 0,
        port_name: String::new(),
        queue: 0,
        packets: 0,
        cycles: 0,
    };
    for a in attrs_lenient(payload) {
        match a.kind() {
            DPSWITCH_RXQ_PORT_NO => q.port_number = u32_of(&a),
            DPSWITCH_RXQ_PORT_NAME => q.port_name = string_of(&a),
            DPSWITCH_RXQ_QUEUE => q.queue = u16::try_from(u32_of(&a)).unwrap_or(u16::MAX),
            DPSWITCH_RXQ_PACKETS => q.packets = u64_of(&a),
            DPSWITCH_RXQ_CYCLES => q.cycles = u64_of(&a),
            _ => {}
        }
    }
    q
}

fn pmd(payload: &[u8]) -> PmdFigures {
    let mut pmd = PmdFigures {
        lcore: 0,
        counters: PmdCounters::default(),
        upcall_queue: 0,
        upcall_queue_size: 0,
        rxqs: Vec::new(),
    };
    for a in attrs_lenient(payload) {
        match a.kind() {
            DPSWITCH_PMD_LCORE => pmd.lcore = u32_of(&a),
            DPSWITCH_PMD_UPCALL_QUEUE => pmd.upcall_queue = u32_of(&a),
            DPSWITCH_PMD_UPCALL_QUEUE_SIZE => pmd.upcall_queue_size = u32_of(&a),
            DPSWITCH_PMD_RXQ => pmd.rxqs.push(rxq(a.payload())),
            DPSWITCH_PMD_COUNTERS => {
                let mut values = vec![0; PmdCounters::NAMES.len()];
                for c in attrs_lenient(a.payload()) {
                    if let Some(v) = values.get_mut(usize::from(c.kind()).wrapping_sub(1)) {
                        *v = u64_of(&c);
                    }
                }
                pmd.counters = PmdCounters::from_values(&values);
            }
            _ => {}
        }
    }
    pmd
}

/// A GET_PMD, CLEAR_PMD or SET_PMD reply (the latter two carry no PMD).
pub fn perf_report(attrs: &[u8]) -> PerfReport {
    let mut perf = PerfReport {
        tsc_hz: 0,
        duration: Duration::ZERO,
        max_sleep_us: 0,
        stage_cycles: false,
        pmds: Vec::new(),
    };
    for attr in attrs_lenient(attrs) {
        match attr.kind() {
            DPSWITCH_ATTR_PERF => {
                for a in attrs_lenient(attr.payload()) {
                    match a.kind() {
                        DPSWITCH_PERF_TSC_HZ => perf.tsc_hz = u64_of(&a),
                        DPSWITCH_PERF_DURATION_US => {
                            perf.duration = Duration::from_micros(u64_of(&a))
                        }
                        DPSWITCH_PERF_MAX_SLEEP_US => perf.max_sleep_us = u32_of(&a),
                        DPSWITCH_PERF_STAGE_CYCLES => {
                            perf.stage_cycles = a.payload().first().is_some_and(|&b| b != 0)
                        }
                        _ => {}
                    }
                }
            }
            DPSWITCH_ATTR_PMD => perf.pmds.push(pmd(attr.payload())),
            _ => {}
        }
    }
    perf
}

fn upcall_report(attrs: &[u8]) -> UpcallReport {
    let mut report = UpcallReport::default();
    for attr in attrs_lenient(attrs) {
        match attr.kind() {
            DPSWITCH_ATTR_FLOWS => {
                let f = &mut report.flows;
                for a in attrs_lenient(attr.payload()) {
                    match a.kind() {
                        DPSWITCH_FLOWS_CURRENT => f.current = u64_of(&a),
                        DPSWITCH_FLOWS_AVERAGE => f.average = u64_of(&a),
                        DPSWITCH_FLOWS_MAX => f.max = u64_of(&a),
                        DPSWITCH_FLOWS_LIMIT => f.limit = u64_of(&a),
                        DPSWITCH_FLOWS_REFUSED => f.refused = u64_of(&a),
                        _ => {}
                    }
                }
            }
            DPSWITCH_ATTR_PMD => {
                let p = pmd(attr.payload());
                report
                    .queues
                    .push((p.lcore, p.upcall_queue, p.upcall_queue_size));
            }
            DPSWITCH_ATTR_PORT => report.ports.push(port_losses(attr.payload())),
            _ => {}
        }
    }
    report
}

impl Client {
    /// The datapath `dp_ifindex`'s drops and memory.
    pub fn dpswitch_stats(&mut self, dp_ifindex: i32) -> Result<DpswitchStats, ClientError> {
        let attrs = self.dpswitch(dp_ifindex, DPSWITCH_CMD_GET_STATS, &[])?;
        let mut stats = DpswitchStats::default();
        for attr in attrs_lenient(&attrs) {
            let inner = attrs_lenient(attr.payload());
            match attr.kind() {
                DPSWITCH_ATTR_CONTROL => {
                    for a in inner {
                        match a.kind() {
                            DPSWITCH_CONTROL_REFUSED => stats.connections_refused = u64_of(&a),
                            DPSWITCH_CONTROL_RECLAIMED => stats.connections_reclaimed = u64_of(&a),
                            DPSWITCH_CONTROL_NOTIFICATIONS_DROPPED => {
                                stats.notifications_dropped = u64_of(&a)
                            }
                            _ => {}
                        }
                    }
                }
                DPSWITCH_ATTR_PORT => stats.ports.push(port_losses(attr.payload())),
                DPSWITCH_ATTR_MEMORY => {
                    for a in inner {
                        match a.kind() {
                            DPSWITCH_MEMORY_RSS_KIB => stats.rss_kib = u64_of(&a),
                            DPSWITCH_MEMORY_DPDK_HEAP => stats.dpdk_heap_bytes = u64_of(&a),
                            DPSWITCH_MEMORY_PROCESS_HEAP => stats.process_heap_bytes = u64_of(&a),
                            DPSWITCH_MEMORY_MBUFS_IN_USE => stats.mbufs_in_use = u64_of(&a),
                            _ => {}
                        }
                    }
                }
                _ => {}
            }
        }
        Ok(stats)
    }

    /// Every PMD's figures since they were last cleared.
    pub fn pmd_perf(&mut self, dp_ifindex: i32) -> Result<PerfReport, ClientError> {
        let attrs = self.dpswitch(dp_ifindex, DPSWITCH_CMD_GET_PMD, &[])?;
        Ok(perf_report(&attrs))
    }

    /// Starts the PMDs' figures over (admin).
    pub fn clear_pmd_stats(&mut self, dp_ifindex: i32) -> Result<(), ClientError> {
        self.dpswitch(dp_ifindex, DPSWITCH_CMD_CLEAR_PMD, &[])
            .map(drop)
    }

    /// Sets the longest an idle PMD sleeps (admin; 0 turns sleep off).
    pub fn set_pmd_max_sleep(&mut self, dp_ifindex: i32, us: u32) -> Result<u32, ClientError> {
        let mut w = AttrWriter::new();
        w.put_u32(DPSWITCH_ATTR_MAX_SLEEP_US, us);
        let attrs = self.dpswitch(dp_ifindex, DPSWITCH_CMD_SET_PMD, w.as_bytes())?;
        Ok(perf_report(&attrs).max_sleep_us)
    }

    /// Turns the timing of every burst's stages on or off (admin).
    pub fn set_pmd_stage_cycles(&mut self, dp_ifindex: i32, on: bool) -> Result<(), ClientError> {
        let mut w = AttrWriter::new();
        w.put_u8(DPSWITCH_ATTR_STAGE_CYCLES, u8::from(on));
        self.dpswitch(dp_ifindex, DPSWITCH_CMD_SET_PMD, w.as_bytes())
            .map(drop)
    }

    /// The table's occupancy, the upcall queues and lost upcalls.
    pub fn upcall_report(&mut self, dp_ifindex: i32) -> Result<UpcallReport, ClientError> {
        let attrs = self.dpswitch(dp_ifindex, DPSWITCH_CMD_GET_UPCALL, &[])?;
        Ok(upcall_report(&attrs))
    }

    /// One `dpswitch` family request; the reply's attributes.
    fn dpswitch(&mut self, dp_ifindex: i32, cmd: u8, attrs: &[u8]) -> Result<Vec<u8>, ClientError> {
        let family = self.family_id(DPSWITCH_FAMILY)?;
        let req = Request::ovs(family, cmd, DPSWITCH_VERSION, dp_ifindex, attrs);
        let replies = self.request(&req)?;
        let reply = replies
            .first()
            .ok_or_else(|| ClientError::protocol(format!("no reply to dpswitch command {cmd}")))?;
        let ovs = reply
            .ovs()
            .map_err(|e| ClientError::protocol(format!("dpswitch command {cmd} reply: {e}")))?;
        Ok(ovs.attrs.to_vec())
    }
}
