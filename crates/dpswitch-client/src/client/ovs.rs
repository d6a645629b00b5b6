//! The Open vSwitch families over the client: datapaths and their ports as
//! `OVS_DP_CMD_GET` / `OVS_VPORT_CMD_GET` describe them, and flow requests.

use super::error::ClientError;
use super::genl::{nul_terminated, string_of, u32_of};
use super::message::{Message, Request};
use super::Client;
use dpswitch_proto::netlink::attr::{attrs_lenient, bytes_at};
use dpswitch_proto::netlink::consts::*;
use dpswitch_proto::netlink::{AttrWriter, FlowAttrs};
use nix::errno::Errno;

/// `struct ovs_dp_stats`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DpStats {
    pub hit: u64,
    pub missed: u64,
    pub lost: u64,
    pub flows: u64,
}

/// `struct ovs_dp_megaflow_stats`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MegaflowStats {
    pub mask_hit: u64,
    pub masks: u32,
    /// Absent from the shorter structure of older kernels.
    pub cache_hit: Option<u64>,
}

/// A datapath as `OVS_DP_CMD_GET` describes it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Datapath {
    pub name: String,
    /// `ovs_header.dp_ifindex`: how requests address this datapath.
    pub dp_ifindex: i32,
    pub stats: Option<DpStats>,
    pub megaflow_stats: Option<MegaflowStats>,
    pub masks_cache_size: Option<u32>,
    pub user_features: Option<u32>,
}

/// `struct ovs_vport_stats`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct VportStats {
    pub rx_packets: u64,
    pub tx_packets: u64,
    pub rx_bytes: u64,
    pub tx_bytes: u64,
    pub rx_errors: u64,
    pub tx_errors: u64,
    pub rx_dropped: u64,
    pub tx_dropped: u64,
}

/// A port as `OVS_VPORT_CMD_GET` describes it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Vport {
    pub port_no: u32,
    /// `OVS_VPORT_TYPE_*`.
    pub port_type: u32,
    pub name: String,
    pub stats: Option<VportStats>,
    /// `OVS_VPORT_ATTR_UPCALL_PID`: the port ids of the connections that
    /// receive the port's misses (0: none).
    pub upcall_pids: Vec<u32>,
}

impl Client {
    /// The datapath called `name`.
    pub fn datapath(&mut self, name: &str) -> Result<Datapath, ClientError> {
        let family = self.family_id(OVS_DATAPATH_FAMILY)?;
        let mut w = AttrWriter::new();
        w.put(OVS_DP_ATTR_NAME, &nul_terminated(name));
        let req = Request::ovs(
            family,
            OVS_DP_CMD_GET,
            OVS_DATAPATH_VERSION,
            0,
            w.as_bytes(),
        );
        let replies = self.request(&req)?;
        let reply = replies
            .first()
            .ok_or_else(|| ClientError::protocol("no reply describes the datapath"))?;
        parse_datapath(reply)
    }

    /// Every datapath, in the daemon's order.
    pub fn datapaths(&mut self) -> Result<Vec<Datapath>, ClientError> {
        let family = self.family_id(OVS_DATAPATH_FAMILY)?;
        let req = Request::ovs(family, OVS_DP_CMD_GET, OVS_DATAPATH_VERSION, 0, &[]);
        self.dump(&req)?
            .map(|reply| parse_datapath(&reply?))
            .collect()
    }

    /// The only datapath; ENOENT when there is none, EINVAL when there
    /// are several.
    pub fn only_datapath(&mut self) -> Result<Datapath, ClientError> {
        let mut all = self.datapaths()?;
        match all.len() {
            1 => Ok(all.remove(0)),
            0 => Err(ClientError::new(Errno::ENOENT, "no datapaths exist")),
            _ => Err(ClientError::new(
                Errno::EINVAL,
                "multiple datapaths, specify one",
            )),
        }
    }

    /// Every port of datapath `dp_ifindex`, in the daemon's order.
    pub fn vports(&mut self, dp_ifindex: i32) -> Result<Vec<Vport>, ClientError> {
        let family = self.family_id(OVS_VPORT_FAMILY)?;
        let req = Request::ovs(
            family,
            OVS_VPORT_CMD_GET,
            OVS_VPORT_VERSION,
            dp_ifindex,
            &[],
        );
        self.dump(&req)?.map(|reply| parse_vport(&reply?)).collect()
    }

    /// `OVS_DP_CMD_NEW`: creates datapath `name` (its local port handled by
    /// `upcall_pid`) with `features`, as ovs-dpctl's add-dp does.
    pub fn new_datapath(
        &mut self,
        name: &str,
        upcall_pid: u32,
        features: u32,
    ) -> Result<Datapath, ClientError> {
        let family = self.family_id(OVS_DATAPATH_FAMILY)?;
        let mut w = AttrWriter::new();
        w.put(OVS_DP_ATTR_NAME, &nul_terminated(name));
        w.put_u32(OVS_DP_ATTR_UPCALL_PID, upcall_pid);
        w.put_u32(OVS_DP_ATTR_USER_FEATURES, features);
        let mut req = Request::ovs(
            family,
            OVS_DP_CMD_NEW,
            OVS_DATAPATH_VERSION,
            0,
            w.as_bytes(),
        );
        req.flags |= NLM_F_ECHO;
        let replies = self.request(&req)?;
        let reply = replies
            .first()
            .ok_or_else(|| ClientError::protocol("no reply describes the datapath"))?;
        parse_datapath(reply)
    }

    /// `OVS_DP_CMD_DEL`: deletes datapath `name` with its flows and ports.
    pub fn del_datapath(&mut self, name: &str) -> Result<(), ClientError> {
        let family = self.family_id(OVS_DATAPATH_FAMILY)?;
        let mut w = AttrWriter::new();
        w.put(OVS_DP_ATTR_NAME, &nul_terminated(name));
        let req = Request::ovs(
            family,
            OVS_DP_CMD_DEL,
            OVS_DATAPATH_VERSION,
            0,
            w.as_bytes(),
        );
        self.request(&req).map(drop)
    }

    /// `OVS_VPORT_CMD_NEW`: adds port `name` of `port_type` to datapath
    /// `dp_ifindex` (number `port_no`, or the lowest free one when None),
    /// its misses for `upcall_pid`; returns the port as added.
    pub fn new_vport(
        &mut self,
        dp_ifindex: i32,
        name: &str,
        port_type: u32,
        port_no: Option<u32>,
        upcall_pid: u32,
    ) -> Result<Vport, ClientError> {
        let family = self.family_id(OVS_VPORT_FAMILY)?;
        let mut w = AttrWriter::new();
        w.put(OVS_VPORT_ATTR_NAME, &nul_terminated(name));
        w.put_u32(OVS_VPORT_ATTR_TYPE, port_type);
        if let Some(n) = port_no {
            w.put_u32(OVS_VPORT_ATTR_PORT_NO, n);
        }
        w.put_u32(OVS_VPORT_ATTR_UPCALL_PID, upcall_pid);
        let mut req = Request::ovs(
            family,
            OVS_VPORT_CMD_NEW,
            OVS_VPORT_VERSION,
            dp_ifindex,
            w.as_bytes(),
        );
        req.flags |= NLM_F_ECHO;
        let replies = self.request(&req)?;
        let reply = replies
            .first()
            .ok_or_else(|| ClientError::protocol("no reply describes the port"))?;
        parse_vport(reply)
    }

    /// `OVS_VPORT_CMD_DEL` of the port called `name` in `dp_ifindex`.
    pub fn del_vport(&mut self, dp_ifindex: i32, name: &str) -> Result<(), ClientError> {
        let family = self.family_id(OVS_VPORT_FAMILY)?;
        let mut w = AttrWriter::new();
        w.put(OVS_VPORT_ATTR_NAME, &nul_terminated(name));
        let req = Request::ovs(
            family,
            OVS_VPORT_CMD_DEL,
            OVS_VPORT_VERSION,
            dp_ifindex,
            w.as_bytes(),
        );
        self.request(&req).map(drop)
    }

    /// An `ovs_flow` request with `attrs`; the UFID flags are always sent,
    /// 0 included, so a reply's contents never depend on a default.
    pub fn flow_request(
        &mut self,
        cmd: u8,
        dp_ifindex: i32,
        attrs: &FlowAttrs,
    ) -> Result<Request, ClientError> {
        let family = self.family_id(OVS_FLOW_FAMILY)?;
        let mut w = AttrWriter::new();
        attrs.encode_into(&mut w)?;
        if attrs.ufid_flags == 0 {
            w.put_u32(OVS_FLOW_ATTR_UFID_FLAGS, 0);
        }
        let bytes = w.finish("flow")?;
        Ok(Request::ovs(
            family,
            cmd,
            OVS_FLOW_VERSION,
            dp_ifindex,
            &bytes,
        ))
    }
}

pub(super) fn parse_datapath(msg: &Message) -> Result<Datapath, ClientError> {
    let ovs = msg
        .ovs()
        .map_err(|e| ClientError::protocol(format!("datapath reply: {e}")))?;
    let mut dp = Datapath {
        dp_ifindex: ovs.dp_ifindex,
        ..Datapath::default()
    };
    for attr in attrs_lenient(ovs.attrs) {
        let p = attr.payload();
        match attr.kind() {
            OVS_DP_ATTR_NAME => dp.name = string_of(&attr),
            OVS_DP_ATTR_STATS if p.len() >= OVS_DP_STATS_LEN => {
                dp.stats = Some(DpStats {
                    hit: u64_at(p, 0),
                    missed: u64_at(p, 8),
                    lost: u64_at(p, 16),
                    flows: u64_at(p, 24),
                })
            }
            OVS_DP_ATTR_MEGAFLOW_STATS if p.len() >= 12 => {
                dp.megaflow_stats = Some(MegaflowStats {
                    mask_hit: u64_at(p, 0),
                    masks: bytes_at(p, 8).map(u32::from_ne_bytes).unwrap_or(0),
                    cache_hit: bytes_at(p, 16).map(u64::from_ne_bytes),
                })
            }
            OVS_DP_ATTR_MASKS_CACHE_SIZE => dp.masks_cache_size = u32_of(&attr),
            OVS_DP_ATTR_USER_FEATURES => dp.user_features = u32_of(&attr),
            _ => {}
        }
    }
    Ok(dp)
}

pub(super) fn parse_vport(msg: &Message) -> Result<Vport, ClientError> {
    let ovs = msg
        .ovs()
        .map_err(|e| ClientError::protocol(format!("vport reply: {e}")))?;
    let mut vport = Vport::default();
    for attr in attrs_lenient(ovs.attrs) {
        let p = attr.payload();
        match attr.kind() {
            OVS_VPORT_ATTR_PORT_NO => vport.port_no = u32_of(&attr).unwrap_or(0),
            OVS_VPORT_ATTR_TYPE => vport.port_type = u32_of(&attr).unwrap_or(0),
            OVS_VPORT_ATTR_NAME => vport.name = string_of(&attr),
            OVS_VPORT_ATTR_UPCALL_PID => {
                vport.upcall_pids = p
                    .chunks_exact(4)
                    .filter_map(|c| c.try_into().ok().map(u32::from_ne_bytes))
                    .collect()
            }
            OVS_VPORT_ATTR_STATS if p.len() >= OVS_VPORT_STATS_LEN => {
                vport.stats = Some(VportStats {
                    rx_packets: u64_at(p, 0),
                    tx_packets: u64_at(p, 8),
                    rx_bytes: u64_at(p, 16),
                    tx_bytes: u64_at(p, 24),
                    rx_errors: u64_at(p, 32),
                    tx_errors: u64_at(p, 40),
                    rx_dropped: u64_at(p, 48),
                    tx_dropped: u64_at(p, 56),
                })
            }
            _ => {}
        }
    }
    Ok(vport)
}

fn u64_at(buf: &[u8], at: usize) -> u64 {
    bytes_at(buf, at).map(u64::from_ne_bytes).unwrap_or(0)
}
