//! The generic netlink controller (`nlctrl`) as dpswitch serves it: the
//! families and multicast groups it offers, `CTRL_CMD_GETFAMILY`, and the
//! subscribe extension that stands in for `NETLINK_ADD_MEMBERSHIP`.

use super::request::CmdError;
use crate::netlink::attr::{attrs_lenient, AttrWriter};
use crate::netlink::consts::*;
use crate::netlink::msg::{GenlHeader, GenlMessage, NlMsgHeader};
use nix::errno::Errno;

/// `nlctrl` commands of the dpswitch extension (above the kernel's range).
pub use dpswitch_proto::channel::{
    CTRL_CMD_ATTACH as DPSWITCH_CTRL_CMD_ATTACH, CTRL_CMD_SUBSCRIBE as DPSWITCH_CTRL_CMD_SUBSCRIBE,
    CTRL_CMD_UNSUBSCRIBE as DPSWITCH_CTRL_CMD_UNSUBSCRIBE,
};

pub const FAMILY_DATAPATH: u16 = 0x20;
pub const FAMILY_VPORT: u16 = 0x21;
pub const FAMILY_FLOW: u16 = 0x22;
pub const FAMILY_PACKET: u16 = 0x23;
pub const FAMILY_DPSWITCH: u16 = 0x24;

/// Multicast group ids; 1 is the controller's own "notify" group.
pub const GROUP_CTRL: u32 = 1;
pub const GROUP_DATAPATH: u32 = 2;
pub const GROUP_VPORT: u32 = 3;
pub const GROUP_FLOW: u32 = 4;

/// One family as `CTRL_CMD_GETFAMILY` describes it.
pub struct Family {
    pub id: u16,
    pub name: &'static str,
    pub version: u8,
    /// `struct ovs_header`, or nothing for the controller.
    pub hdrsize: u32,
    pub maxattr: u32,
    pub groups: &'static [(&'static str, u32)],
}

pub const FAMILIES: [Family; 6] = [
    Family {
        id: GENL_ID_CTRL,
        name: "nlctrl",
        version: 2,
        hdrsize: 0,
        maxattr: CTRL_ATTR_MCAST_GROUPS as u32,
        groups: &[("notify", GROUP_CTRL)],
    },
    Family {
        id: FAMILY_DATAPATH,
        name: OVS_DATAPATH_FAMILY,
        version: OVS_DATAPATH_VERSION,
        hdrsize: OVS_HEADER_LEN as u32,
        maxattr: OVS_DP_ATTR_MAX as u32,
        groups: &[(OVS_DATAPATH_MCGROUP, GROUP_DATAPATH)],
    },
    Family {
        id: FAMILY_VPORT,
        name: OVS_VPORT_FAMILY,
        version: OVS_VPORT_VERSION,
        hdrsize: OVS_HEADER_LEN as u32,
        maxattr: OVS_VPORT_ATTR_MAX as u32,
        groups: &[(OVS_VPORT_MCGROUP, GROUP_VPORT)],
    },
    Family {
        id: FAMILY_FLOW,
        name: OVS_FLOW_FAMILY,
        version: OVS_FLOW_VERSION,
        hdrsize: OVS_HEADER_LEN as u32,
        maxattr: OVS_FLOW_ATTR_MAX as u32,
        groups: &[(OVS_FLOW_MCGROUP, GROUP_FLOW)],
    },
    Family {
        id: FAMILY_PACKET,
        name: OVS_PACKET_FAMILY,
        version: OVS_PACKET_VERSION,
        hdrsize: OVS_HEADER_LEN as u32,
        maxattr: OVS_PACKET_ATTR_MAX as u32,
        groups: &[],
    },
    Family {
        id: FAMILY_DPSWITCH,
        name: DPSWITCH_FAMILY,
        version: DPSWITCH_VERSION,
        hdrsize: OVS_HEADER_LEN as u32,
        maxattr: DPSWITCH_ATTR_MAX as u32,
        groups: &[],
    },
];

pub fn family(id: u16) -> Option<&'static Family> {
    FAMILIES.iter().find(|f| f.id == id)
}

pub fn is_group(id: u32) -> bool {
    FAMILIES
        .iter()
        .any(|f| f.groups.iter().any(|(_, g)| *g == id))
}

/// The family a `CTRL_CMD_GETFAMILY` request names (by id or by name).
pub fn requested_family(attrs: &[u8]) -> Result<&'static Family, CmdError> {
    let mut by_id = None;
    let mut by_name = None;
    for attr in attrs_lenient(attrs) {
        match attr.kind() {
            CTRL_ATTR_FAMILY_ID => {
                let id = <[u8; 2]>::try_from(attr.payload())
                    .map(u16::from_ne_bytes)
                    .map_err(|_| CmdError::einval("CTRL_ATTR_FAMILY_ID is not a u16"))?;
                by_id = Some(id);
            }
            CTRL_ATTR_FAMILY_NAME => {
                let raw = attr.payload();
                let name = raw.split(|b| *b == 0).next().unwrap_or_default();
                by_name = Some(String::from_utf8_lossy(name).into_owned());
            }
            _ => {}
        }
    }
    let found = match (by_id, by_name) {
        (Some(id), _) => family(id),
        (None, Some(name)) => FAMILIES.iter().find(|f| f.name == name),
        (None, None) => return Err(CmdError::einval("no family id or name given")),
    };
    found.ok_or_else(|| CmdError::new(Errno::ENOENT, "no such generic netlink family"))
}

/// The group a subscribe or unsubscribe request names.
pub fn requested_group(attrs: &[u8]) -> Result<u32, CmdError> {
    let group = attrs_lenient(attrs)
        .filter(|a| a.kind() == CTRL_ATTR_MCAST_GRP_ID)
        .filter_map(|a| {
            <[u8; 4]>::try_from(a.payload())
                .ok()
                .map(u32::from_ne_bytes)
        })
        .last()
        .ok_or_else(|| CmdError::einval("CTRL_ATTR_MCAST_GRP_ID (u32) is required"))?;
    if !is_group(group) {
        return Err(CmdError::einval(format!("no multicast group {group}")));
    }
    Ok(group)
}

/// The `CTRL_CMD_NEWFAMILY` message describing `f`.
pub fn family_message(f: &Family, header: NlMsgHeader) -> Vec<u8> {
    let mut w = AttrWriter::new();
    let mut name = f.name.as_bytes().to_vec();
    name.push(0);
    w.put(CTRL_ATTR_FAMILY_NAME, &name);
    w.put_u16(CTRL_ATTR_FAMILY_ID, f.id);
    w.put_u32(CTRL_ATTR_VERSION, u32::from(f.version));
    w.put_u32(CTRL_ATTR_HDRSIZE, f.hdrsize);
    w.put_u32(CTRL_ATTR_MAXATTR, f.maxattr);
    if !f.groups.is_empty() {
        let groups = w.begin_nested(CTRL_ATTR_MCAST_GROUPS);
        for (index, (group_name, id)) in f.groups.iter().enumerate() {
            let entry = w.begin_nested(index as u16 + 1);
            w.put_u32(CTRL_ATTR_MCAST_GRP_ID, *id);
            let mut group_name = group_name.as_bytes().to_vec();
            group_name.push(0);
            w.put(CTRL_ATTR_MCAST_GRP_NAME, &group_name);
            w.end_nested(entry);
        }
        w.end_nested(groups);
    }
    GenlMessage {
        header: NlMsgHeader {
            msg_type: GENL_ID_CTRL,
            ..header
        },
        genl: GenlHeader {
            cmd: CTRL_CMD_NEWFAMILY,
            version: 2,
            reserved: 0,
        },
        payload: w.as_bytes(),
    }
    .encode()
    .unwrap_or_default()
}
