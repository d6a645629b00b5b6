//! `ovs_datapath` and `ovs_vport`: the one datapath a dpswitchd serves,
//! found by name or by `dp_ifindex` as the kernel finds it, with its stats
//! (P1), and its ports with theirs (P2); the datapath created, changed
//! (user features, masks cache size) and deleted, and ports added, changed
//! and removed at run time, each check in the order of the kernel's
//! `ovs_dp_cmd_*` and `ovs_vport_cmd_*` with its errno. A refused command
//! changes nothing.
//!
//! One datapath at most: `OVS_DP_CMD_NEW` creates it only when none
//! exists (after `OVS_DP_CMD_DEL`). Its local port 0 is an internal port
//! named like the datapath (a `net_tap`). Ports given at launch are vports
//! of the datapath from the start (a client can adopt them from a dump, as
//! ovs-vswitchd adopts the ports it finds in a kernel datapath), and
//! `OVS_VPORT_CMD_NEW` naming a port dpswitch has binds to that port
//! instead of attaching a second device to its interface.

use super::families::{FAMILY_DATAPATH, FAMILY_VPORT};
use super::request::CmdError;
use crate::datapath::plan::PortPlan;
use crate::datapath::switch::{PortErrorKind, PortKind, PortSpec};
use crate::datapath::Switch;
use crate::dpdk::PortStats;
use crate::flow::matching::DP_MAX_PORTS;
use crate::netlink::attr::{attrs_lenient, AttrWriter};
use crate::netlink::consts::*;
use crate::netlink::error::errno;
use crate::netlink::msg::{GenlHeader, NlMsgHeader, OvsMessage};

/// The user features the datapath accepts: the kernel's set without
/// per-CPU upcall dispatch and tc recirculation sharing, which a kernel
/// built without them refuses the same way (EOPNOTSUPP), so Open vSwitch
/// falls back to per-vport upcall pids.
pub const SUPPORTED_FEATURES: u32 = OVS_DP_F_UNALIGNED | OVS_DP_F_VPORT_PIDS;
/// Every feature bit the kernel knows (anything else: EOPNOTSUPP first).
const KNOWN_FEATURES: u32 = OVS_DP_F_UNALIGNED
    | OVS_DP_F_VPORT_PIDS
    | OVS_DP_F_TC_RECIRC_SHARING
    | OVS_DP_F_DISPATCH_UPCALL_PER_CPU;
/// The kernel's default masks cache size (MC_DEFAULT_HASH_ENTRIES) and its
/// policy's upper bound (PCPU_MIN_UNIT_SIZE / sizeof(struct mask_cache_entry)).
pub const MASKS_CACHE_DEFAULT: u32 = 256;
const MASKS_CACHE_MAX: u32 = 32 * 1024 / 8;
/// IFNAMSIZ - 1: the longest datapath and port name.
const NAME_MAX: usize = 15;

/// The datapath's identity and what `OVS_DP_CMD_SET` changes.
pub struct DatapathInfo {
    pub name: String,
    pub dp_ifindex: i32,
    /// False after `OVS_DP_CMD_DEL`, until `OVS_DP_CMD_NEW`.
    pub exists: bool,
    /// `OVS_DP_ATTR_USER_FEATURES` as negotiated.
    pub user_features: u32,
    /// `OVS_DP_ATTR_MASKS_CACHE_SIZE` as set (kept and reported; the
    /// lcores' flow caches have their own geometry).
    pub masks_cache_size: u32,
}

impl DatapathInfo {
    pub fn new(name: &str, dp_ifindex: i32) -> DatapathInfo {
        DatapathInfo {
            name: name.to_string(),
            dp_ifindex,
            exists: true,
            user_features: 0,
            masks_cache_size: MASKS_CACHE_DEFAULT,
        }
    }
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

/// An `NLA_NUL_STRING` attribute of at most `NAME_MAX` bytes, as the
/// kernel's policy checks it: the NUL must come within the first 16 bytes.
fn name_attr(payload: &[u8], what: &str) -> Result<String, CmdError> {
    let window = &payload[..payload.len().min(NAME_MAX + 1)];
    let Some(end) = window.iter().position(|b| *b == 0) else {
        return Err(CmdError::einval(format!(
            "{what} must be a NUL-terminated name of at most {NAME_MAX} bytes"
        )));
    };
    String::from_utf8(window[..end].to_vec())
        .map_err(|_| CmdError::einval(format!("{what} is not UTF-8")))
}

/// An `NLA_U32` attribute: shorter is ERANGE, as the kernel's policy says.
fn u32_attr(payload: &[u8], what: &str) -> Result<u32, CmdError> {
    payload
        .get(..4)
        .and_then(|b| <[u8; 4]>::try_from(b).ok())
        .map(u32::from_ne_bytes)
        .ok_or_else(|| CmdError::new(errno::ERANGE, format!("{what} is not a u32")))
}

/// The datapath attributes a request carries (the last of each counts).
#[derive(Default)]
struct DpAttrs {
    name: Option<String>,
    upcall_pid: Option<u32>,
    user_features: Option<u32>,
    masks_cache_size: Option<u32>,
}

fn dp_attrs(msg: &OvsMessage<'_>) -> Result<DpAttrs, CmdError> {
    let mut a = DpAttrs::default();
    for attr in attrs_lenient(msg.attrs) {
        let p = attr.payload();
        match attr.kind() {
            OVS_DP_ATTR_NAME => a.name = Some(name_attr(p, "OVS_DP_ATTR_NAME")?),
            OVS_DP_ATTR_UPCALL_PID => a.upcall_pid = Some(u32_attr(p, "OVS_DP_ATTR_UPCALL_PID")?),
            OVS_DP_ATTR_USER_FEATURES => {
                a.user_features = Some(u32_attr(p, "OVS_DP_ATTR_USER_FEATURES")?)
            }
            OVS_DP_ATTR_MASKS_CACHE_SIZE => {
                let size = u32_attr(p, "OVS_DP_ATTR_MASKS_CACHE_SIZE")?;
                if size > MASKS_CACHE_MAX {
                    return Err(CmdError::new(
                        errno::ERANGE,
                        format!("OVS_DP_ATTR_MASKS_CACHE_SIZE {size} is above {MASKS_CACHE_MAX}"),
                    ));
                }
                a.masks_cache_size = Some(size);
            }
            _ => {}
        }
    }
    Ok(a)
}

/// What `ovs_dp_change` would make of the datapath: (features, cache
/// size), or its refusal. As in the kernel, a request without
/// `OVS_DP_ATTR_USER_FEATURES` sets the features to 0.
fn dp_change(dp: &DatapathInfo, a: &DpAttrs) -> Result<(u32, u32), CmdError> {
    let features = a.user_features.unwrap_or(0);
    if features & !KNOWN_FEATURES != 0 {
        return Err(CmdError::new(
            errno::EOPNOTSUPP,
            format!("unknown user features {:#x}", features & !KNOWN_FEATURES),
        ));
    }
    if features & !SUPPORTED_FEATURES != 0 {
        return Err(CmdError::new(
            errno::EOPNOTSUPP,
            format!(
                "user features {:#x} (per-CPU upcall dispatch, tc recirculation sharing) are not supported: upcalls go to per-vport pids",
                features & !SUPPORTED_FEATURES
            ),
        ));
    }
    let mut cache = dp.masks_cache_size;
    if let Some(size) = a.masks_cache_size {
        if size != cache && size != 0 && !size.is_power_of_two() {
            return Err(CmdError::einval(format!(
                "OVS_DP_ATTR_MASKS_CACHE_SIZE {size} is neither 0 nor a power of two"
            )));
        }
        cache = size;
    }
    Ok((features, cache))
}

/// The datapath a request names: by `OVS_DP_ATTR_NAME`, else by
/// `dp_ifindex`, as the kernel's lookup_datapath; else ENODEV.
fn lookup_datapath(dp: &DatapathInfo, msg: &OvsMessage<'_>) -> Result<(), CmdError> {
    let name = attrs_lenient(msg.attrs)
        .filter(|a| a.kind() == OVS_DP_ATTR_NAME)
        .last()
        .map(|a| string(a.payload()).to_vec());
    let found = dp.exists
        && match name {
            Some(name) => name == dp.name.as_bytes(),
            None => msg.dp_ifindex == dp.dp_ifindex,
        };
    if found {
        Ok(())
    } else {
        Err(CmdError::new(errno::ENODEV, "no such datapath"))
    }
}

/// `OVS_DP_CMD_GET`: the datapath named by `OVS_DP_ATTR_NAME`, else by
/// `dp_ifindex`; anything else is ENODEV.
pub fn get_datapath(
    dp: &DatapathInfo,
    switch: &Switch,
    msg: &OvsMessage<'_>,
    to: ReplyTo,
) -> Result<Vec<u8>, CmdError> {
    lookup_datapath(dp, msg)?;
    Ok(datapath_message(dp, switch, OVS_DP_CMD_GET, to))
}

/// `OVS_DP_CMD_NEW` (ovs_dp_cmd_new): NAME and UPCALL_PID required
/// (EINVAL), the features negotiated (EOPNOTSUPP), then the datapath
/// created with its local port 0, whose upcall pid is UPCALL_PID. The
/// existing datapath's name: EEXIST. Another name while one exists: EBUSY.
/// (The kernel would create a second datapath; dpswitchd serves one. Not
/// EEXIST, which would tell a client such as ovs-vswitchd that the named
/// datapath exists and can be opened; not EOPNOTSUPP, since creating one
/// works once the current one is deleted: the one datapath slot is busy.)
pub fn new_datapath(
    dp: &mut DatapathInfo,
    switch: &mut Switch,
    msg: &OvsMessage<'_>,
    to: ReplyTo,
) -> Result<Vec<u8>, CmdError> {
    let a = dp_attrs(msg)?;
    let (Some(name), Some(pid)) = (a.name.clone(), a.upcall_pid) else {
        return Err(CmdError::einval(
            "OVS_DP_ATTR_NAME and OVS_DP_ATTR_UPCALL_PID are required",
        ));
    };
    let (features, cache) = dp_change(dp, &a)?;
    if dp.exists {
        return Err(if name == dp.name {
            CmdError::new(errno::EEXIST, format!("datapath {name} exists"))
        } else {
            CmdError::new(
                errno::EBUSY,
                format!(
                    "dpswitchd serves one datapath and {} exists: delete it before creating {name}",
                    dp.name
                ),
            )
        });
    }
    if switch.port_by_name(&name).is_some() {
        return Err(CmdError::new(
            errno::EEXIST,
            format!("{name} is a port already"),
        ));
    }
    switch
        .add_port(&PortSpec {
            kind: PortKind::Internal,
            name: name.clone(),
            number: Some(0),
            upcall_pids: vec![pid],
        })
        .map_err(port_error)?;
    dp.name = name;
    dp.exists = true;
    dp.user_features = features;
    dp.masks_cache_size = cache;
    Ok(datapath_message(dp, switch, OVS_DP_CMD_NEW, to))
}

/// `OVS_DP_CMD_DEL`: the datapath goes with its flows and every port
/// (stopped and removed, their mbufs back in the pool); the reply carries
/// it as it was.
pub fn del_datapath(
    dp: &mut DatapathInfo,
    switch: &mut Switch,
    msg: &OvsMessage<'_>,
    to: ReplyTo,
) -> Result<Vec<u8>, CmdError> {
    lookup_datapath(dp, msg)?;
    let reply = datapath_message(dp, switch, OVS_DP_CMD_DEL, to);
    switch
        .table_mut()
        .flush()
        .map_err(|e| CmdError::einval(format!("flush: {e}")))?;
    switch.remove_all_ports().map_err(port_error)?;
    dp.exists = false;
    dp.user_features = 0;
    dp.masks_cache_size = MASKS_CACHE_DEFAULT;
    Ok(reply)
}

/// `OVS_DP_CMD_SET` (ovs_dp_change): user features and the masks cache
/// size. `OVS_DP_ATTR_UPCALL_PID` plays no part in SET, as in the kernel
/// (port 0's handler changes through `OVS_VPORT_CMD_SET`).
pub fn set_datapath(
    dp: &mut DatapathInfo,
    switch: &Switch,
    msg: &OvsMessage<'_>,
    to: ReplyTo,
) -> Result<Vec<u8>, CmdError> {
    lookup_datapath(dp, msg)?;
    let a = dp_attrs(msg)?;
    let (features, cache) = dp_change(dp, &a)?;
    dp.user_features = features;
    dp.masks_cache_size = cache;
    Ok(datapath_message(dp, switch, OVS_DP_CMD_SET, to))
}

/// The datapath with `OVS_DP_ATTR_STATS` and `OVS_DP_ATTR_MEGAFLOW_STATS`
/// laid out as `struct ovs_dp_stats` and `struct ovs_dp_megaflow_stats`,
/// its user features and masks cache size.
pub fn datapath_message(dp: &DatapathInfo, switch: &Switch, cmd: u8, to: ReplyTo) -> Vec<u8> {
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
    w.put_u32(OVS_DP_ATTR_USER_FEATURES, dp.user_features);
    w.put_u32(OVS_DP_ATTR_MASKS_CACHE_SIZE, dp.masks_cache_size);
    message(
        FAMILY_DATAPATH,
        cmd,
        OVS_DATAPATH_VERSION,
        dp.dp_ifindex,
        to,
        w.as_bytes(),
    )
}

/// The kernel's errno for a port the datapath could not add or remove.
fn port_error(e: crate::datapath::switch::PortError) -> CmdError {
    let code = match e.kind {
        PortErrorKind::Exists => errno::EEXIST,
        PortErrorKind::Busy => errno::EBUSY,
        PortErrorKind::TooBig => errno::EFBIG,
        PortErrorKind::NoDevice => errno::ENODEV,
        PortErrorKind::NoMemory => errno::ENOMEM,
        PortErrorKind::NoSpace => errno::ENOSPC,
        PortErrorKind::Failed => errno::EINVAL,
    };
    CmdError::new(code, e.message)
}

/// A port's `OVS_VPORT_TYPE_*`.
fn vport_type(plan: &PortPlan) -> u32 {
    match plan.kind {
        PortKind::Netdev => OVS_VPORT_TYPE_NETDEV,
        PortKind::Internal => OVS_VPORT_TYPE_INTERNAL,
    }
}

/// A vport type's name, for messages.
fn type_name(t: u32) -> String {
    match t {
        OVS_VPORT_TYPE_NETDEV => "netdev".into(),
        OVS_VPORT_TYPE_INTERNAL => "internal".into(),
        OVS_VPORT_TYPE_GRE => "gre".into(),
        OVS_VPORT_TYPE_VXLAN => "vxlan".into(),
        OVS_VPORT_TYPE_GENEVE => "geneve".into(),
        other => format!("{other}"),
    }
}

/// An `OVS_VPORT_ATTR_UPCALL_PID` array, checked as the kernel's
/// ovs_vport_set_upcall_portids: not empty, a whole number of u32s.
fn upcall_pids(p: &[u8]) -> Result<Vec<u32>, CmdError> {
    if p.is_empty() || !p.len().is_multiple_of(4) {
        return Err(CmdError::einval(
            "OVS_VPORT_ATTR_UPCALL_PID must be a non-empty array of u32",
        ));
    }
    Ok(p.chunks_exact(4)
        .map(|c| u32::from_ne_bytes([c[0], c[1], c[2], c[3]]))
        .collect())
}

/// `OVS_VPORT_CMD_NEW` (ovs_vport_cmd_new): NAME, TYPE and UPCALL_PID
/// required (EINVAL); IFINDEX only for internal ports (EOPNOTSUPP); a
/// PORT_NO not below DP_MAX_PORTS: EFBIG; no datapath: ENODEV; PORT_NO
/// taken: EBUSY (absent or 0: the lowest free from 1, none: EFBIG); a type
/// other than netdev and internal: EAFNOSUPPORT (the kernel's answer when
/// no module provides the type); a bad pid array: EINVAL; a name that is a
/// port already binds to it ([`bind_vport`]). `netdev` attaches the kernel interface NAME
/// through net_af_packet (ENODEV when there is none), `internal` creates
/// it with net_tap (EEXIST when it exists).
pub fn new_vport(
    dp: &DatapathInfo,
    switch: &mut Switch,
    msg: &OvsMessage<'_>,
    to: ReplyTo,
) -> Result<Vec<u8>, CmdError> {
    let (mut name, mut kind, mut pids, mut number, mut ifindex) = (None, None, None, None, false);
    for attr in attrs_lenient(msg.attrs) {
        let p = attr.payload();
        match attr.kind() {
            OVS_VPORT_ATTR_NAME => name = Some(name_attr(p, "OVS_VPORT_ATTR_NAME")?),
            OVS_VPORT_ATTR_TYPE => kind = Some(u32_attr(p, "OVS_VPORT_ATTR_TYPE")?),
            OVS_VPORT_ATTR_UPCALL_PID => pids = Some(p),
            OVS_VPORT_ATTR_PORT_NO => number = Some(u32_attr(p, "OVS_VPORT_ATTR_PORT_NO")?),
            OVS_VPORT_ATTR_IFINDEX => ifindex = true,
            _ => {}
        }
    }
    let (Some(name), Some(kind), Some(pids)) = (name, kind, pids) else {
        return Err(CmdError::einval(
            "OVS_VPORT_ATTR_NAME, OVS_VPORT_ATTR_TYPE and OVS_VPORT_ATTR_UPCALL_PID are required",
        ));
    };
    if ifindex && kind != OVS_VPORT_TYPE_INTERNAL {
        return Err(CmdError::new(
            errno::EOPNOTSUPP,
            "OVS_VPORT_ATTR_IFINDEX is for internal ports only",
        ));
    }
    let number = number.unwrap_or(0);
    if number >= DP_MAX_PORTS {
        return Err(CmdError::new(
            errno::EFBIG,
            format!("port number {number} is not below {DP_MAX_PORTS}"),
        ));
    }
    if !dp.exists || msg.dp_ifindex != dp.dp_ifindex {
        return Err(CmdError::new(errno::ENODEV, "no such datapath"));
    }
    let kind = match kind {
        OVS_VPORT_TYPE_NETDEV => PortKind::Netdev,
        OVS_VPORT_TYPE_INTERNAL => PortKind::Internal,
        other => {
            return Err(CmdError::new(
                errno::EAFNOSUPPORT,
                format!(
                    "vport type {} is not supported (netdev and internal are)",
                    type_name(other)
                ),
            ))
        }
    };
    let pids = upcall_pids(pids)?;
    // A name that is a port already (one given at launch, or added
    // before) binds to that port rather than attaching a second device.
    if let Some(port) = switch.port_by_name(&name) {
        let port = port.clone();
        return bind_vport(dp, switch, port, number, &pids, to);
    }
    let number = if number != 0 {
        if switch.has_port(number) {
            return Err(CmdError::new(
                errno::EBUSY,
                format!("port number {number} is taken"),
            ));
        }
        number
    } else {
        (1..DP_MAX_PORTS)
            .find(|n| !switch.has_port(*n))
            .ok_or_else(|| CmdError::new(errno::EFBIG, "no free port number"))?
    };
    let plan = switch
        .add_port(&PortSpec {
            kind,
            name,
            number: Some(number),
            upcall_pids: pids,
        })
        .map_err(port_error)?;
    let stats = PortStats::default();
    Ok(vport_message(
        dp,
        switch,
        &plan,
        &stats,
        OVS_VPORT_CMD_NEW,
        to,
    ))
}

/// NEW naming a port dpswitch has: the request binds to it. A port number
/// other than the port's is EBUSY (that port is elsewhere); otherwise the
/// port takes the request's upcall pids and is answered as created.
fn bind_vport(
    dp: &DatapathInfo,
    switch: &mut Switch,
    port: PortPlan,
    number: u32,
    pids: &[u32],
    to: ReplyTo,
) -> Result<Vec<u8>, CmdError> {
    if number != 0 && number != port.number {
        return Err(CmdError::new(
            errno::EBUSY,
            format!("{} is port {}, not {number}", port.name, port.number),
        ));
    }
    switch.set_upcall_pids(port.number, pids);
    let stats = switch
        .port_stats()
        .into_iter()
        .find(|(p, _)| p.number == port.number)
        .map(|(_, s)| s)
        .unwrap_or_default();
    Ok(vport_message(
        dp,
        switch,
        &port,
        &stats,
        OVS_VPORT_CMD_NEW,
        to,
    ))
}

/// `OVS_VPORT_CMD_DEL` (ovs_vport_cmd_del): the port found as GET finds
/// it; the local port 0 goes only with its datapath (EINVAL, as the
/// kernel). The reply carries the port with its final counters; the port
/// is stopped, closed and removed, every mbuf back, when it is sent.
pub fn del_vport(
    dp: &DatapathInfo,
    switch: &mut Switch,
    msg: &OvsMessage<'_>,
    to: ReplyTo,
) -> Result<Vec<u8>, CmdError> {
    let (plan, _) = find_vport(dp, switch, msg)?;
    if plan.number == 0 {
        return Err(CmdError::einval(
            "the local port 0 is deleted only with its datapath",
        ));
    }
    let pids = switch.upcall_pids(plan.number);
    let (plan, stats) = switch.remove_port(plan.number).map_err(port_error)?;
    Ok(vport_message_with(
        dp,
        &plan,
        &stats,
        &pids,
        OVS_VPORT_CMD_DEL,
        to,
    ))
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
    Ok(vport_message(
        dp,
        switch,
        &plan,
        &stats,
        OVS_VPORT_CMD_GET,
        to,
    ))
}

/// `OVS_VPORT_CMD_SET` (ovs_vport_cmd_set): a different type is EINVAL;
/// options EOPNOTSUPP (netdev and internal ports take none, as in the
/// kernel); the upcall pid array (checked as in NEW) is stored whole and
/// its first pid handles the port's misses. The port as it is now comes
/// back (for echo and the `ovs_vport` group).
pub fn set_vport(
    dp: &DatapathInfo,
    switch: &mut Switch,
    msg: &OvsMessage<'_>,
    to: ReplyTo,
) -> Result<Vec<u8>, CmdError> {
    let (plan, stats) = find_vport(dp, switch, msg)?;
    let mut kind = None;
    let mut options = false;
    let mut pids = None;
    for attr in attrs_lenient(msg.attrs) {
        let p = attr.payload();
        match attr.kind() {
            OVS_VPORT_ATTR_TYPE => kind = Some(u32_attr(p, "OVS_VPORT_ATTR_TYPE")?),
            OVS_VPORT_ATTR_OPTIONS => options = true,
            OVS_VPORT_ATTR_UPCALL_PID => pids = Some(p),
            _ => {}
        }
    }
    if kind.is_some_and(|k| k != vport_type(&plan)) {
        return Err(CmdError::einval("a port's type cannot change"));
    }
    if options {
        return Err(CmdError::new(
            errno::EOPNOTSUPP,
            format!(
                "{} ports take no vport options",
                type_name(vport_type(&plan))
            ),
        ));
    }
    if let Some(p) = pids {
        let pids = upcall_pids(p)?;
        switch.set_upcall_pids(plan.number, &pids);
    }
    Ok(vport_message(
        dp,
        switch,
        &plan,
        &stats,
        OVS_VPORT_CMD_SET,
        to,
    ))
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
    let ports = if dp.exists {
        switch.port_stats()
    } else {
        Vec::new()
    };
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
        if !dp.exists || msg.dp_ifindex != dp.dp_ifindex {
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
    if !dp.exists {
        return Vec::new();
    }
    switch
        .port_stats()
        .iter()
        .map(|(plan, stats)| vport_message(dp, switch, plan, stats, OVS_VPORT_CMD_GET, to))
        .collect()
}

fn vport_message(
    dp: &DatapathInfo,
    switch: &Switch,
    plan: &PortPlan,
    s: &PortStats,
    cmd: u8,
    to: ReplyTo,
) -> Vec<u8> {
    let mut pids = switch.upcall_pids(plan.number);
    if pids.is_empty() {
        pids.push(0);
    }
    vport_message_with(dp, plan, s, &pids, cmd, to)
}

/// One port: number, type, name, upcall port ids (the whole array, as
/// set) and `struct ovs_vport_stats`.
fn vport_message_with(
    dp: &DatapathInfo,
    plan: &PortPlan,
    s: &PortStats,
    upcall_pids: &[u32],
    cmd: u8,
    to: ReplyTo,
) -> Vec<u8> {
    let mut w = AttrWriter::new();
    w.put_u32(OVS_VPORT_ATTR_PORT_NO, plan.number);
    w.put_u32(OVS_VPORT_ATTR_TYPE, vport_type(plan));
    w.put(OVS_VPORT_ATTR_NAME, &with_nul(&plan.name));
    let pids: Vec<u8> = upcall_pids.iter().flat_map(|p| p.to_ne_bytes()).collect();
    w.put(OVS_VPORT_ATTR_UPCALL_PID, &pids);
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

#[cfg(test)]
mod tests {
    use super::*;

    fn change(features: Option<u32>, cache: Option<u32>) -> Result<(u32, u32), i32> {
        let dp = DatapathInfo::new("dp0", 1);
        let a = DpAttrs {
            user_features: features,
            masks_cache_size: cache,
            ..DpAttrs::default()
        };
        dp_change(&dp, &a).map_err(|e| e.errno)
    }

    #[test]
    fn user_features_are_negotiated_as_the_kernel_without_per_cpu_dispatch() {
        let held = OVS_DP_F_UNALIGNED | OVS_DP_F_VPORT_PIDS;
        assert_eq!(change(Some(held), None), Ok((held, 256)));
        // dpif_netlink_open's probe bit, and the two features refused.
        assert_eq!(change(Some(held | 1 << 31), None), Err(errno::EOPNOTSUPP));
        for f in [OVS_DP_F_DISPATCH_UPCALL_PER_CPU, OVS_DP_F_TC_RECIRC_SHARING] {
            assert_eq!(
                change(Some(OVS_DP_F_UNALIGNED | f), None),
                Err(errno::EOPNOTSUPP)
            );
        }
        // No attribute: the features go back to 0, as in ovs_dp_change.
        assert_eq!(change(None, None), Ok((0, 256)));
    }

    #[test]
    fn masks_cache_size_follows_the_kernels_checks() {
        assert_eq!(change(None, Some(0)), Ok((0, 0)));
        assert_eq!(change(None, Some(1024)), Ok((0, 1024)));
        assert_eq!(change(None, Some(256)), Ok((0, 256)));
        assert_eq!(change(None, Some(100)), Err(errno::EINVAL));
        // Above the policy's range the attribute itself is refused.
        let mut w = AttrWriter::new();
        w.put_u32(OVS_DP_ATTR_MASKS_CACHE_SIZE, 8192);
        let msg = OvsMessage {
            header: NlMsgHeader {
                len: 0,
                msg_type: FAMILY_DATAPATH,
                flags: 0,
                seq: 1,
                pid: 0,
            },
            genl: GenlHeader {
                cmd: OVS_DP_CMD_SET,
                version: 1,
                reserved: 0,
            },
            dp_ifindex: 1,
            attrs: w.as_bytes(),
        };
        assert_eq!(dp_attrs(&msg).err().map(|e| e.errno), Some(errno::ERANGE));
    }

    #[test]
    fn names_and_pid_arrays_are_checked_as_the_kernels_policy() {
        assert_eq!(name_attr(b"veth0\0", "n").unwrap(), "veth0");
        assert_eq!(name_attr(b"fifteen-chars-x\0", "n").unwrap().len(), 15);
        assert_eq!(
            name_attr(b"sixteen-chars-xy\0", "n").unwrap_err().errno,
            errno::EINVAL
        );
        assert_eq!(name_attr(b"no-nul", "n").unwrap_err().errno, errno::EINVAL);
        let pids: Vec<u8> = [7u32, 8].iter().flat_map(|p| p.to_ne_bytes()).collect();
        assert_eq!(upcall_pids(&pids).unwrap(), [7, 8]);
        assert_eq!(upcall_pids(&[]).unwrap_err().errno, errno::EINVAL);
        assert_eq!(upcall_pids(&[1, 2, 3]).unwrap_err().errno, errno::EINVAL);
        assert_eq!(u32_attr(&[1, 2], "x").unwrap_err().errno, errno::ERANGE);
    }
}
