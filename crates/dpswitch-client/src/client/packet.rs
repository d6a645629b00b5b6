//! The control plane's side of the `ovs_packet` family: becoming a port's
//! upcall handler, reading the packets the datapath sends up (`MISS`, and
//! `ACTION` from a `userspace` action), and sending packets down with
//! `EXECUTE`.

use super::error::ClientError;
use super::message::{Message, Request};
use super::Client;
use dpswitch_proto::flow::odp::{Action, KeyAttr};
use dpswitch_proto::netlink::attr::attrs_lenient;
use dpswitch_proto::netlink::consts::*;
use dpswitch_proto::netlink::key::encode_key_into;
use dpswitch_proto::netlink::{action::encode_actions_into, decode_key, AttrWriter};

/// A packet the datapath sent up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Upcall {
    /// `OVS_PACKET_CMD_MISS` or `OVS_PACKET_CMD_ACTION`.
    pub cmd: u8,
    pub dp_ifindex: i32,
    /// `OVS_PACKET_ATTR_PACKET`: the frame.
    pub packet: Vec<u8>,
    /// `OVS_PACKET_ATTR_KEY`: the packet's flow key, `in_port` included.
    pub key: Vec<KeyAttr>,
    /// `OVS_PACKET_ATTR_USERDATA` of the `userspace` action that sent it.
    pub userdata: Option<Vec<u8>>,
}

impl Upcall {
    /// Reads an `ovs_packet` message; the caller has checked its type is
    /// the family's id.
    pub fn parse(msg: &Message) -> Result<Upcall, ClientError> {
        let bad = |what: &str| ClientError::protocol(format!("packet message: {what}"));
        let ovs = msg.ovs().map_err(|e| bad(&e.to_string()))?;
        let mut packet = None;
        let mut key = None;
        let mut userdata = None;
        for attr in attrs_lenient(ovs.attrs) {
            match attr.kind() {
                OVS_PACKET_ATTR_PACKET => packet = Some(attr.payload().to_vec()),
                OVS_PACKET_ATTR_KEY => {
                    key = Some(decode_key(attr.payload()).map_err(|e| bad(&e.to_string()))?)
                }
                OVS_PACKET_ATTR_USERDATA => userdata = Some(attr.payload().to_vec()),
                _ => {}
            }
        }
        Ok(Upcall {
            cmd: ovs.genl.cmd,
            dp_ifindex: ovs.dp_ifindex,
            packet: packet.ok_or_else(|| bad("no packet"))?,
            key: key.ok_or_else(|| bad("no key"))?,
            userdata,
        })
    }

    /// The port the packet arrived on.
    pub fn in_port(&self) -> Option<u32> {
        self.key.iter().find_map(|attr| match attr {
            KeyAttr::InPort(port) => Some(*port),
            _ => None,
        })
    }
}

impl Client {
    /// `OVS_VPORT_CMD_SET` making the connection with port id `pid` the
    /// upcall handler of port `port_no` (0: no handler).
    pub fn upcall_pid_request(
        &mut self,
        dp_ifindex: i32,
        port_no: u32,
        pid: u32,
    ) -> Result<Request, ClientError> {
        let family = self.family_id(OVS_VPORT_FAMILY)?;
        let mut w = AttrWriter::new();
        w.put_u32(OVS_VPORT_ATTR_PORT_NO, port_no);
        w.put_u32(OVS_VPORT_ATTR_UPCALL_PID, pid);
        Ok(Request::ovs(
            family,
            OVS_VPORT_CMD_SET,
            OVS_VPORT_VERSION,
            dp_ifindex,
            w.as_bytes(),
        ))
    }

    /// Makes this connection the upcall handler of port `port_no`
    /// (`handle` false: removes the port's handler).
    pub fn handle_upcalls(
        &mut self,
        dp_ifindex: i32,
        port_no: u32,
        handle: bool,
    ) -> Result<(), ClientError> {
        // Resolving the family takes a reply, which tells the port id.
        self.family_id(OVS_VPORT_FAMILY)?;
        let pid = match handle {
            false => 0,
            true => self
                .port_id()
                .ok_or_else(|| ClientError::protocol("no reply told the port id"))?,
        };
        let req = self.upcall_pid_request(dp_ifindex, port_no, pid)?;
        self.request(&req).map(drop)
    }

    /// `OVS_PACKET_CMD_EXECUTE`: run `actions` on `packet`, whose key is
    /// `key` (at least `in_port`; the datapath extracts the rest).
    pub fn execute_request(
        &mut self,
        dp_ifindex: i32,
        packet: &[u8],
        key: &[KeyAttr],
        actions: &[Action],
    ) -> Result<Request, ClientError> {
        let family = self.family_id(OVS_PACKET_FAMILY)?;
        let mut w = AttrWriter::new();
        w.put(OVS_PACKET_ATTR_PACKET, packet);
        let nest = w.begin_nested(OVS_PACKET_ATTR_KEY);
        encode_key_into(&mut w, key);
        w.end_nested(nest);
        let nest = w.begin_nested(OVS_PACKET_ATTR_ACTIONS);
        encode_actions_into(&mut w, actions)?;
        w.end_nested(nest);
        let attrs = w.finish("packet")?;
        Ok(Request::ovs(
            family,
            OVS_PACKET_CMD_EXECUTE,
            OVS_PACKET_VERSION,
            dp_ifindex,
            &attrs,
        ))
    }

    /// Sends `packet` through `actions` and waits for the ack.
    pub fn execute(
        &mut self,
        dp_ifindex: i32,
        packet: &[u8],
        key: &[KeyAttr],
        actions: &[Action],
    ) -> Result<(), ClientError> {
        let req = self.execute_request(dp_ifindex, packet, key, actions)?;
        self.request(&req).map(drop)
    }
}
