//! `ovs_datapath` and `ovs_vport`: the one datapath a dpswitchd serves,
//! found by name or by `dp_ifindex` as the kernel finds it, with its stats
//! (P1), and its ports with theirs (P2). Datapaths and ports come from the
//! daemon's configuration, so commands that would create, delete or change
//! them are refused.

use super::families::{FAMILY_DATAPATH, FAMILY_VPORT};
use super::request::CmdError;
use crate::datapath::plan::PortPlan;
use crate::datapath::Switch;
use crate::dpdk::PortStats;
use crate::flow::matching::DP_MAX_PORTS;
use crate::netlink::attr::{attrs_lenient, AttrWriter};
use crate::netlink::consts::*;
use crate::netlink::error::errno;
use crate::netlink::msg::{GenlHeader, NlMsgHeader, OvsMessage};

/// The datapath's identity.
pub struct DatapathInfo {
    pub name: String,
    pub dp_ifindex: i32,
}

/// Header fields for the messages answering one request.
#[derive(Clone, Copy)]
pub struct ReplyTo {
    pub seq: u32,
    pub port_id: u32,
    pub flags: u16,
}

fn message(
    family: u16,
    cmd: u8,
    version: u8,
    dp_ifindex: i32,
    to: ReplyTo,
    attrs: &[u8],
) -> Vec<u8> {
    OvsMessage {
        header: NlMsgHeader {
            len: 0,
            msg_type: family,
            flags: to.flags,
            seq: to.seq,
            pid: to.port_id,
        },
        genl: GenlHeader {
            cmd,
            version,
            reserved: 0,
        },
        dp_ifindex,
        attrs,
    }
    .encode()
    .unwrap_or_default()
}

/// A NUL-terminated string attribute, without its terminator.
fn string(payload: &[u8]) -> &[u8] {
    payload.split(|b| *b == 0).next().unwrap_or_default()
}

fn with_nul(s: &str) -> Vec<u8> {
    let mut v = s.as_bytes().to_vec();
    v.push(0);
    v
}

/// `OVS_DP_CMD_GET`: the datapath named by `OVS_DP_ATTR_NAME`, else by
/// `dp_ifindex`; anything else is ENODEV.
pub fn get_datapath(
    dp: &DatapathInfo,
    switch: &Switch,
    msg: &OvsMessage<'_>,
    to: ReplyTo,
) -> Result<Vec<u8>, CmdError> {
    let name = attrs_lenient(msg.attrs)
        .filter(|a| a.kind() == OVS_DP_ATTR_NAME)
        .last()
        .map(|a| string(a.payload()).to_vec());
    let found = match name {
        Some(name) => name == dp.name.as_bytes(),
        None => msg.dp_ifindex == dp.dp_ifindex,
    };
    if !found {
        return Err(CmdError::new(errno::ENODEV, "no such datapath"));
    }
    Ok(datapath_message(dp, switch, to))
}

/// The datapath with `OVS_DP_ATTR_STATS` and `OVS_DP_ATTR_MEGAFLOW_STATS`
/// laid out as `struct ovs_dp_stats` and `struct ovs_dp_megaflow_stats`.
pub fn datapath_message(dp: &DatapathInfo, switch: &Switch, to: ReplyTo) -> Vec<u8> {
    let pmd = switch.counters();
    let table = switch.table();
    let mut w = AttrWriter::new();
    w.put(OVS_DP_ATTR_NAME, &with_nul(&dp.name));
    let mut stats = Vec::with_capacity(OVS_DP_STATS_LEN);
    for v in [pmd.hit, pmd.missed, pmd.lost, table.flow_count() as u64] {
        stats.extend_from_slice(&v.to_ne_bytes());
    }
    w.put(OVS_DP_ATTR_STATS, &stats);
    let mut mega = Vec::with_capacity(OVS_DP_MEGAFLOW_STATS_LEN);
    mega.extend_from_slice(&pmd.mask_hit.to_ne_bytes());
    mega.extend_from_slice(&(table.mask_count() as u32).to_ne_bytes());
    mega.extend_from_slice(&0u32.to_ne_bytes()); // pad
                                                 // n_cache_hit: the kernel counts its mask cache there; here the
                                                 // lcores' exact-match flow caches.
    mega.extend_from_slice(&pmd.cache_hit.to_ne_bytes());
    mega.extend_from_slice(&0u64.to_ne_bytes()); // pad
    w.put(OVS_DP_ATTR_MEGAFLOW_STATS, &mega);
    w.put_u32(OVS_DP_ATTR_USER_FEATURES, 0);
    w.put_u32(OVS_DP_ATTR_MASKS_CACHE_SIZE, 0);
    message(
        FAMILY_DATAPATH,
        OVS_DP_CMD_GET,
        OVS_DATAPATH_VERSION,
        dp.dp_ifindex,
        to,
        w.as_bytes(),
    )
}

/// `OVS_VPORT_CMD_GET`: the port named by `OVS_VPORT_ATTR_NAME` (in the
/// datapath of `dp_ifindex` when that is not 0) or by
/// `OVS_VPORT_ATTR_PORT_NO` in the datapath of `dp_ifindex`.
pub fn get_vport(
    dp: &DatapathInfo,
    switch: &Switch,
    msg: &OvsMessage<'_>,
    to: ReplyTo,
) -> Result<Vec<u8>, CmdError> {
    let (plan, stats) = find_vport(dp, switch, msg)?;
    let pid = switch.upcall_pid(plan.number);
    Ok(vport_message(dp, &plan, &stats, pid, OVS_VPORT_CMD_GET, to))
}

/// `OVS_VPORT_CMD_SET`: of what the kernel lets a client change, only the
/// upcall handler (`OVS_VPORT_ATTR_UPCALL_PID`, its first port id) applies
/// to a DPDK port; a different type is EINVAL, options EOPNOTSUPP. The
/// port as it is now comes back (for echo and the `ovs_vport` group).
pub fn set_vport(
    dp: &DatapathInfo,
    switch: &Switch,
    msg: &OvsMessage<'_>,
    to: ReplyTo,
) -> Result<Vec<u8>, CmdError> {
    let (plan, stats) = find_vport(dp, switch, msg)?;
    let mut pid = None;
    for attr in attrs_lenient(msg.attrs) {
        let p = attr.payload();
        match attr.kind() {
            OVS_VPORT_ATTR_TYPE if p != OVS_VPORT_TYPE_NETDEV.to_ne_bytes() => {
                return Err(CmdError::einval("a port's type cannot change"))
            }
            OVS_VPORT_ATTR_OPTIONS => {
                return Err(CmdError::new(
                    errno::EOPNOTSUPP,
                    "DPDK ports take no vport options",
                ))
            }
            OVS_VPORT_ATTR_UPCALL_PID => {
                if p.is_empty() || p.len() % 4 != 0 {
                    return Err(CmdError::einval(
                        "OVS_VPORT_ATTR_UPCALL_PID must be an array of u32",
                    ));
                }
                pid = Some(u32::from_ne_bytes([p[0], p[1], p[2], p[3]]));
            }
            _ => {}
        }
    }
    if let Some(pid) = pid {
        switch.set_upcall_pid(plan.number, pid);
    }
    let pid = switch.upcall_pid(plan.number);
    Ok(vport_message(dp, &plan, &stats, pid, OVS_VPORT_CMD_SET, to))
}

fn find_vport(
    dp: &DatapathInfo,
    switch: &Switch,
    msg: &OvsMessage<'_>,
) -> Result<(PortPlan, PortStats), CmdError> {
    let mut name = None;
    let mut number = None;
    for attr in attrs_lenient(msg.attrs) {
        match attr.kind() {
            OVS_VPORT_ATTR_IFINDEX => {
                return Err(CmdError::new(
                    errno::EOPNOTSUPP,
                    "ports are not looked up by ifindex",
                ))
            }
            OVS_VPORT_ATTR_NAME => name = Some(string(attr.payload()).to_vec()),
            OVS_VPORT_ATTR_PORT_NO => {
                let n = <[u8; 4]>::try_from(attr.payload())
                    .map(u32::from_ne_bytes)
                    .map_err(|_| CmdError::einval("OVS_VPORT_ATTR_PORT_NO is not a u32"))?;
                number = Some(n);
            }
            _ => {}
        }
    }
    let ports = switch.port_stats();
    let found = if let Some(name) = name {
        if msg.dp_ifindex != 0 && msg.dp_ifindex != dp.dp_ifindex {
            return Err(CmdError::new(errno::ENODEV, "no such datapath"));
        }
        ports.iter().find(|(p, _)| p.name.as_bytes() == name)
    } else if let Some(number) = number {
        if number >= DP_MAX_PORTS {
            return Err(CmdError::new(
                errno::EFBIG,
                format!("port number {number} is not below {DP_MAX_PORTS}"),
            ));
        }
        if msg.dp_ifindex != dp.dp_ifindex {
            return Err(CmdError::new(errno::ENODEV, "no such datapath"));
        }
        ports.iter().find(|(p, _)| p.number == number)
    } else {
        return Err(CmdError::einval(
            "OVS_VPORT_ATTR_NAME or OVS_VPORT_ATTR_PORT_NO is required",
        ));
    };
    found
        .cloned()
        .ok_or_else(|| CmdError::new(errno::ENODEV, "no such port"))
}

/// Every port, in port-number order, for a vport dump.
pub fn vport_messages(dp: &DatapathInfo, switch: &Switch, to: ReplyTo) -> Vec<Vec<u8>> {
    let mut ports = switch.port_stats();
    ports.sort_by_key(|(p, _)| p.number);
    ports
        .iter()
        .map(|(plan, stats)| {
            let pid = switch.upcall_pid(plan.number);
            vport_message(dp, plan, stats, pid, OVS_VPORT_CMD_GET, to)
        })
        .collect()
}

/// One port: number, type (every DPDK port is a netdev), name, upcall
/// port id and `struct ovs_vport_stats`.
fn vport_message(
    dp: &DatapathInfo,
    plan: &PortPlan,
    s: &PortStats,
    upcall_pid: u32,
    cmd: u8,
    to: ReplyTo,
) -> Vec<u8> {
    let mut w = AttrWriter::new();
    w.put_u32(OVS_VPORT_ATTR_PORT_NO, plan.number);
    w.put_u32(OVS_VPORT_ATTR_TYPE, OVS_VPORT_TYPE_NETDEV);
    w.put(OVS_VPORT_ATTR_NAME, &with_nul(&plan.name));
    w.put_u32(OVS_VPORT_ATTR_UPCALL_PID, upcall_pid);
    let mut stats = Vec::with_capacity(OVS_VPORT_STATS_LEN);
    let rx_dropped = s.imissed.saturating_add(s.rx_nombuf);
    for v in [
        s.ipackets, s.opackets, s.ibytes, s.obytes, s.ierrors, s.oerrors, rx_dropped, 0,
    ] {
        stats.extend_from_slice(&v.to_ne_bytes());
    }
    w.put(OVS_VPORT_ATTR_STATS, &stats);
    message(
        FAMILY_VPORT,
        cmd,
        OVS_VPORT_VERSION,
        dp.dp_ifindex,
        to,
        w.as_bytes(),
    )
}

/// Datapaths and ports are fixed by the configuration.
pub fn refuse_change(family: &str, cmd: u8) -> CmdError {
    CmdError::new(
        errno::EOPNOTSUPP,
        format!("{family} command {cmd}: datapaths and ports are set by dpswitchd's configuration"),
    )
}
