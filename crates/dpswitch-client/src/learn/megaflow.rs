//! The one flow shape the learning switch installs: `in_port`, Ethernet
//! source and Ethernet destination matched exactly, everything else
//! wildcarded, output to the destination's port. Matching the source too
//! (as NORMAL does) keeps frames of an unlearned source coming up.

use super::mac::Mac;
use dpswitch_proto::flow::odp::{Action, EthernetKey, KeyAttr};
use dpswitch_proto::flow::text::{format_actions, format_match};
use dpswitch_proto::netlink::FlowAttrs;
use std::fmt;

/// A flow's unique identifier (`OVS_FLOW_ATTR_UFID`).
pub type Ufid = [u8; 16];

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Megaflow {
    pub in_port: u32,
    pub src: Mac,
    pub dst: Mac,
    pub out_port: u32,
}

impl Megaflow {
    /// The match packed into the 16 bytes: the in_port word (host order,
    /// as UFIDs are words), then source and destination. Distinct matches
    /// never share a UFID, and the same match always gets the same one.
    pub fn ufid(&self) -> Ufid {
        let mut ufid = [0u8; 16];
        ufid[..4].copy_from_slice(&self.in_port.to_ne_bytes());
        ufid[4..10].copy_from_slice(&self.src.0);
        ufid[10..].copy_from_slice(&self.dst.0);
        ufid
    }

    /// The key attributes: no EtherType, so the key describes any frame
    /// between the two MACs (the datapath reads it as 802.2, and the mask
    /// wildcards it).
    pub fn key(&self) -> Vec<KeyAttr> {
        vec![
            KeyAttr::InPort(self.in_port),
            KeyAttr::Ethernet(EthernetKey {
                src: self.src.0,
                dst: self.dst.0,
            }),
        ]
    }

    pub fn mask(&self) -> Vec<KeyAttr> {
        vec![
            KeyAttr::InPort(u32::MAX),
            KeyAttr::Ethernet(EthernetKey {
                src: [0xff; 6],
                dst: [0xff; 6],
            }),
        ]
    }

    pub fn actions(&self) -> Vec<Action> {
        vec![Action::Output(self.out_port)]
    }

    /// What `OVS_FLOW_CMD_NEW` carries to install the flow.
    pub fn attrs(&self) -> FlowAttrs {
        FlowAttrs {
            ufid: Some(self.ufid().to_vec()),
            key: Some(self.key()),
            mask: Some(self.mask()),
            actions: Some(self.actions()),
            ..FlowAttrs::default()
        }
    }
}

impl fmt::Display for Megaflow {
    /// In dump-flows syntax: `in_port(1),eth(src=..,dst=..) actions:2`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} actions:{}",
            format_match(&self.key(), &self.mask()),
            format_actions(&self.actions())
        )
    }
}
