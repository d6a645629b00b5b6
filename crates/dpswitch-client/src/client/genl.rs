//! Resolving families and multicast groups with the generic netlink
//! controller (`nlctrl`), as on a kernel netlink socket.

use super::error::ClientError;
use super::message::{Message, Request};
use dpswitch_proto::netlink::attr::{attrs_lenient, Attr};
use dpswitch_proto::netlink::consts::{
    CTRL_ATTR_FAMILY_ID, CTRL_ATTR_FAMILY_NAME, CTRL_ATTR_HDRSIZE, CTRL_ATTR_MAXATTR,
    CTRL_ATTR_MCAST_GROUPS, CTRL_ATTR_MCAST_GRP_ID, CTRL_ATTR_MCAST_GRP_NAME, CTRL_ATTR_VERSION,
    CTRL_CMD_GETFAMILY, CTRL_CMD_NEWFAMILY, GENL_ID_CTRL,
};
use dpswitch_proto::netlink::AttrWriter;

// dpswitch's one controller extension (docs/control-socket.md): Unix
// sockets have no `NETLINK_ADD_MEMBERSHIP`, so a connection joins and
// leaves a multicast group with these `nlctrl` commands.
pub use dpswitch_proto::channel::{
    CTRL_CMD_SUBSCRIBE as DPSWITCH_CTRL_CMD_SUBSCRIBE,
    CTRL_CMD_UNSUBSCRIBE as DPSWITCH_CTRL_CMD_UNSUBSCRIBE,
};

/// The version Open vSwitch's netlink library puts in its controller
/// requests.
const CTRL_VERSION: u8 = 1;

/// A resolved generic netlink family.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Family {
    pub id: u16,
    pub name: String,
    pub version: u32,
    pub hdrsize: u32,
    pub maxattr: u32,
    pub groups: Vec<McastGroup>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct McastGroup {
    pub name: String,
    pub id: u32,
}

impl Family {
    /// The id of the multicast group called `name`.
    pub fn group(&self, name: &str) -> Option<u32> {
        self.groups.iter().find(|g| g.name == name).map(|g| g.id)
    }
}

/// `CTRL_CMD_GETFAMILY` for the family called `name`.
pub fn get_family_request(name: &str) -> Request {
    let mut w = AttrWriter::new();
    w.put(CTRL_ATTR_FAMILY_NAME, &nul_terminated(name));
    Request::genl(
        GENL_ID_CTRL,
        CTRL_CMD_GETFAMILY,
        CTRL_VERSION,
        w.as_bytes().to_vec(),
    )
}

/// Joins (`subscribe`) or leaves a multicast group.
pub fn membership_request(group: u32, subscribe: bool) -> Request {
    let mut w = AttrWriter::new();
    w.put_u32(CTRL_ATTR_MCAST_GRP_ID, group);
    let cmd = if subscribe {
        DPSWITCH_CTRL_CMD_SUBSCRIBE
    } else {
        DPSWITCH_CTRL_CMD_UNSUBSCRIBE
    };
    Request::genl(GENL_ID_CTRL, cmd, CTRL_VERSION, w.as_bytes().to_vec())
}

/// Reads a `CTRL_CMD_NEWFAMILY` reply.
pub fn parse_family(msg: &Message) -> Result<Family, ClientError> {
    let genl = msg
        .genl()
        .map_err(|e| ClientError::protocol(format!("family reply: {e}")))?;
    if genl.genl.cmd != CTRL_CMD_NEWFAMILY {
        return Err(ClientError::protocol(format!(
            "family reply: command {} is not CTRL_CMD_NEWFAMILY",
            genl.genl.cmd
        )));
    }
    let mut family = Family::default();
    let mut has_id = false;
    for attr in attrs_lenient(genl.payload) {
        match attr.kind() {
            CTRL_ATTR_FAMILY_ID => {
                family.id = u16_of(&attr).ok_or_else(|| bad("family id"))?;
                has_id = true;
            }
            CTRL_ATTR_FAMILY_NAME => family.name = string_of(&attr),
            CTRL_ATTR_VERSION => family.version = u32_of(&attr).unwrap_or(0),
            CTRL_ATTR_HDRSIZE => family.hdrsize = u32_of(&attr).unwrap_or(0),
            CTRL_ATTR_MAXATTR => family.maxattr = u32_of(&attr).unwrap_or(0),
            CTRL_ATTR_MCAST_GROUPS => family.groups = parse_groups(attr.payload())?,
            _ => {}
        }
    }
    if !has_id {
        return Err(bad("family id"));
    }
    Ok(family)
}

/// The nested array of groups: one nest per group, holding its name and id.
fn parse_groups(buf: &[u8]) -> Result<Vec<McastGroup>, ClientError> {
    let mut groups = Vec::new();
    for entry in attrs_lenient(buf) {
        let mut name = None;
        let mut id = None;
        for attr in attrs_lenient(entry.payload()) {
            match attr.kind() {
                CTRL_ATTR_MCAST_GRP_NAME => name = Some(string_of(&attr)),
                CTRL_ATTR_MCAST_GRP_ID => id = u32_of(&attr),
                _ => {}
            }
        }
        match (name, id) {
            (Some(name), Some(id)) => groups.push(McastGroup { name, id }),
            _ => return Err(bad("multicast group")),
        }
    }
    Ok(groups)
}

fn bad(what: &str) -> ClientError {
    ClientError::protocol(format!("family reply: missing or malformed {what}"))
}

pub(super) fn nul_terminated(s: &str) -> Vec<u8> {
    let mut bytes = s.as_bytes().to_vec();
    bytes.push(0);
    bytes
}

/// A string attribute, up to its NUL.
pub(super) fn string_of(attr: &Attr<'_>) -> String {
    let bytes = attr.payload();
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    String::from_utf8_lossy(&bytes[..end]).into_owned()
}

pub(super) fn u16_of(attr: &Attr<'_>) -> Option<u16> {
    attr.payload().try_into().ok().map(u16::from_ne_bytes)
}

pub(super) fn u32_of(attr: &Attr<'_>) -> Option<u32> {
    attr.payload().try_into().ok().map(u32::from_ne_bytes)
}
