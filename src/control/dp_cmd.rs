//! `ovs_datapath`: the one datapath a dpswitchd serves, found by name or
//! by `dp_ifindex` as the kernel finds it, with its stats (P1); created,
//! changed (user features, masks cache size) and deleted, each check in
//! the order of the kernel's `ovs_dp_cmd_*` with its errno. A refused
//! command changes nothing. Its ports are `vport_cmd`'s; the message
//! helpers here serve both.
//!
//! One datapath at most: `OVS_DP_CMD_NEW` creates it only when none
//! exists (after `OVS_DP_CMD_DEL`). Its local port 0 is an internal port
//! named like the datapath (a `net_tap`). Ports given at launch are vports
//! of the datapath from the start (a client can adopt them from a dump, as
//! ovs-vswitchd adopts the ports it finds in a kernel datapath), and
//! `OVS_VPORT_CMD_NEW` naming a port dpswitch has binds to that port
//! instead of attaching a second device to its interface.

use super::families::FAMILY_DATAPATH;
use super::request::CmdError;
use crate::datapath::switch::{PortError, PortKind, PortSpec};
use crate::datapath::Switch;
use crate::netlink::attr::{attrs_lenient, AttrWriter};
use crate::netlink::consts::*;
use crate::netlink::msg::{GenlHeader, NlMsgHeader, OvsMessage};
use nix::errno::Errno;

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

pub(super) fn message(
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
pub(super) fn string(payload: &[u8]) -> &[u8] {
    payload.split(|b| *b == 0).next().unwrap_or_default()
}

pub(super) fn with_nul(s: &str) -> Vec<u8> {
    let mut v = s.as_bytes().to_vec();
    v.push(0);
    v
}

/// An `NLA_NUL_STRING` attribute of at most `NAME_MAX` bytes, as the
/// kernel's policy checks it: the NUL must come within the first 16 bytes.
pub(super) fn name_attr(payload: &[u8], what: &str) -> Result<String, CmdError> {
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
pub(super) fn u32_attr(payload: &[u8], what: &str) -> Result<u32, CmdError> {
    payload
        .get(..4)
        .and_then(|b| <[u8; 4]>::try_from(b).ok())
        .map(u32::from_ne_bytes)
        .ok_or_else(|| CmdError::new(Errno::ERANGE, format!("{what} is not a u32")))
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
                        Errno::ERANGE,
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
            Errno::EOPNOTSUPP,
            format!("unknown user features {:#x}", features & !KNOWN_FEATURES),
        ));
    }
    if features & !SUPPORTED_FEATURES != 0 {
        return Err(CmdError::new(
            Errno::EOPNOTSUPP,
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
        Err(CmdError::new(Errno::ENODEV, "no such datapath"))
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
            CmdError::new(Errno::EEXIST, format!("datapath {name} exists"))
        } else {
            CmdError::new(
                Errno::EBUSY,
                format!(
                    "dpswitchd serves one datapath and {} exists: delete it before creating {name}",
                    dp.name
                ),
            )
        });
    }
    if switch.port_by_name(&name).is_some() {
        return Err(CmdError::new(
            Errno::EEXIST,
            format!("{name} is a port already"),
        ));
    }
    switch.add_port(&PortSpec {
        kind: PortKind::Internal,
        name: name.clone(),
        number: Some(0),
        upcall_pids: vec![pid],
    })?;
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
    switch.remove_all_ports()?;
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

/// A port the datapath could not add or remove, refused with the kernel's
/// errno for it.
impl From<PortError> for CmdError {
    fn from(e: PortError) -> CmdError {
        CmdError::new(e.errno(), e.message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(features: Option<u32>, cache: Option<u32>) -> Result<(u32, u32), Errno> {
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
        assert_eq!(change(Some(held | 1 << 31), None), Err(Errno::EOPNOTSUPP));
        for f in [OVS_DP_F_DISPATCH_UPCALL_PER_CPU, OVS_DP_F_TC_RECIRC_SHARING] {
            assert_eq!(
                change(Some(OVS_DP_F_UNALIGNED | f), None),
                Err(Errno::EOPNOTSUPP)
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
        assert_eq!(change(None, Some(100)), Err(Errno::EINVAL));
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
        assert_eq!(dp_attrs(&msg).err().map(|e| e.errno), Some(Errno::ERANGE));
    }

    #[test]
    fn names_are_checked_as_the_kernels_policy() {
        assert_eq!(name_attr(b"veth0\0", "n").unwrap(), "veth0");
        assert_eq!(name_attr(b"fifteen-chars-x\0", "n").unwrap().len(), 15);
        assert_eq!(
            name_attr(b"sixteen-chars-xy\0", "n").unwrap_err().errno,
            Errno::EINVAL
        );
        assert_eq!(name_attr(b"no-nul", "n").unwrap_err().errno, Errno::EINVAL);
        assert_eq!(u32_attr(&[1, 2], "x").unwrap_err().errno, Errno::ERANGE);
    }
}
