//! Netlink sizes of attributes and actions, as ovs-dpctl would encode them.
//! The text syntax needs them where Open vSwitch's behaviour depends on the
//! encoding: size limits while parsing and how a masked set of `encap`
//! prints.

use crate::flow::odp::{Action, KeyAttr};

const NLA_HDRLEN: usize = 4;

/// Largest payload of one netlink attribute.
pub(super) const MAX_NLA_PAYLOAD: usize = u16::MAX as usize - NLA_HDRLEN;

fn nla_align(n: usize) -> usize {
    n.saturating_add(3) & !3
}

/// Bytes of one attribute with `payload` bytes, header and padding included.
fn attr_size(payload: usize) -> usize {
    nla_align(NLA_HDRLEN.saturating_add(payload))
}

/// Payload bytes of a key attribute (`struct ovs_key_*` sizes).
pub(super) fn key_payload(a: &KeyAttr) -> usize {
    match a {
        KeyAttr::Encap(inner) => key_list_size(inner),
        KeyAttr::Priority(_)
        | KeyAttr::InPort(_)
        | KeyAttr::SkbMark(_)
        | KeyAttr::DpHash(_)
        | KeyAttr::RecircId(_)
        | KeyAttr::Tcp(_)
        | KeyAttr::Udp(_)
        | KeyAttr::Sctp(_) => 4,
        KeyAttr::Vlan(_) | KeyAttr::EthType(_) | KeyAttr::TcpFlags(_) => 2,
        KeyAttr::Icmp(_) | KeyAttr::Icmpv6(_) => 2,
        KeyAttr::Ethernet(_) | KeyAttr::Ipv4(_) => 12,
        KeyAttr::Ipv6(_) => 40,
        KeyAttr::Arp(_) => 24,
        KeyAttr::Nd(_) => 28,
    }
}

pub(super) fn key_attr_size(a: &KeyAttr) -> usize {
    attr_size(key_payload(a))
}

pub(super) fn key_list_size(attrs: &[KeyAttr]) -> usize {
    attrs
        .iter()
        .fold(0usize, |sum, a| sum.saturating_add(key_attr_size(a)))
}

/// Bytes of one action attribute.
pub(super) fn action_size(a: &Action) -> usize {
    match a {
        Action::Output(_) | Action::PushVlan { .. } => attr_size(4),
        Action::PopVlan => attr_size(0),
        Action::Userspace(u) => {
            let mut payload = attr_size(4);
            if let Some(data) = &u.userdata {
                payload = payload.saturating_add(attr_size(data.len().max(8)));
            }
            if u.egress_tun_port.is_some() {
                payload = payload.saturating_add(attr_size(4));
            }
            if u.actions {
                payload = payload.saturating_add(attr_size(0));
            }
            attr_size(payload)
        }
        Action::Set(key) => attr_size(key_attr_size(key)),
        Action::SetMasked { value, mask } => attr_size(attr_size(
            key_payload(value).saturating_add(key_payload(mask)),
        )),
        Action::Sample { actions, .. } => {
            attr_size(attr_size(4).saturating_add(attr_size(action_list_size(actions))))
        }
        Action::Clone(actions) => attr_size(action_list_size(actions)),
    }
}

pub(super) fn action_list_size(actions: &[Action]) -> usize {
    actions
        .iter()
        .fold(0usize, |sum, a| sum.saturating_add(action_size(a)))
}
