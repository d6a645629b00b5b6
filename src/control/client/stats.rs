//! The `dpswitch` family over the client: the drops and memory that
//! `ovs_datapath` has no place for (`DPSWITCH_CMD_GET_STATS`).

use super::error::ClientError;
use super::message::Request;
use super::Client;
use crate::netlink::attr::{attrs_lenient, Attr};
use crate::netlink::consts::*;

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

fn u64_of(attr: &Attr<'_>) -> u64 {
    attr.payload().try_into().map_or(0, u64::from_ne_bytes)
}

impl Client {
    /// The datapath `dp_ifindex`'s drops and memory.
    pub fn dpswitch_stats(&mut self, dp_ifindex: i32) -> Result<DpswitchStats, ClientError> {
        let family = self.family_id(DPSWITCH_FAMILY)?;
        let req = Request::ovs(
            family,
            DPSWITCH_CMD_GET_STATS,
            DPSWITCH_VERSION,
            dp_ifindex,
            &[],
        );
        let replies = self.request(&req)?;
        let reply = replies
            .first()
            .ok_or_else(|| ClientError::protocol("no dpswitch stats reply"))?;
        let ovs = reply
            .ovs()
            .map_err(|e| ClientError::protocol(format!("dpswitch stats reply: {e}")))?;
        let mut stats = DpswitchStats::default();
        for attr in attrs_lenient(ovs.attrs) {
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
                DPSWITCH_ATTR_PORT => {
                    let mut port = PortLosses::default();
                    for a in inner {
                        match a.kind() {
                            DPSWITCH_PORT_NO => {
                                port.port_no = a.payload().try_into().map_or(0, u32::from_ne_bytes)
                            }
                            DPSWITCH_PORT_UPCALL_LOST_NO_HANDLER => port.no_handler = u64_of(&a),
                            DPSWITCH_PORT_UPCALL_LOST_RATE => port.rate = u64_of(&a),
                            DPSWITCH_PORT_UPCALL_LOST_QUEUE => port.queue = u64_of(&a),
                            DPSWITCH_PORT_UPCALL_LOST_UNREAD => port.unread = u64_of(&a),
                            DPSWITCH_PORT_UPCALL_LOST_USERDATA => port.userdata = u64_of(&a),
                            _ => {}
                        }
                    }
                    stats.ports.push(port);
                }
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
}
