//! Printing datapath action lists the way `ovs-dpctl dump-flows` does.

use std::fmt::Write as _;

use super::key_format::{format_attr, format_list, format_vlan_tci};
use super::wire_size::key_payload;
use crate::flow::key::ETH_TYPE_VLAN;
use crate::flow::odp::{Action, KeyAttr, UserspaceAction};

/// Largest key payload a masked set prints as value/mask; beyond it
/// (only possible for `encap`) ovs-dpctl prints the value and mask halves
/// as one unmasked attribute list.
const MAX_SPLIT_PAYLOAD: usize = 40;

/// Prints actions separated by commas; an empty list prints as `drop`
/// (inside `clone(...)` and `sample(...)` too).
pub fn format_actions(actions: &[Action]) -> String {
    let mut out = String::new();
    format_list_into(&mut out, actions);
    out
}

fn format_list_into(out: &mut String, actions: &[Action]) {
    if actions.is_empty() {
        out.push_str("drop");
        return;
    }
    for (n, action) in actions.iter().enumerate() {
        if n > 0 {
            out.push(',');
        }
        format_action(out, action);
    }
}

fn format_action(out: &mut String, action: &Action) {
    match action {
        Action::Output(port) => {
            let _ = write!(out, "{port}");
        }
        Action::Userspace(u) => format_userspace(out, u),
        Action::Set(key) => {
            out.push_str("set(");
            format_attr(out, key, None, true);
            out.push(')');
        }
        Action::SetMasked { value, mask } => {
            out.push_str("set(");
            format_masked_set(out, value, mask);
            out.push(')');
        }
        Action::PushVlan { tpid, tci } => {
            out.push_str("push_vlan(");
            if *tpid != ETH_TYPE_VLAN {
                let _ = write!(out, "tpid=0x{tpid:04x},");
            }
            format_vlan_tci(out, *tci, u16::MAX, false);
            out.push(')');
        }
        Action::PopVlan => out.push_str("pop_vlan"),
        Action::Sample {
            probability,
            actions,
        } => {
            let percent = 100.0 * f64::from(*probability) / f64::from(u32::MAX);
            let _ = write!(out, "sample(sample={percent:.1}%,actions(");
            format_list_into(out, actions);
            out.push_str("))");
        }
        Action::Clone(actions) => {
            out.push_str("clone(");
            format_list_into(out, actions);
            out.push(')');
        }
    }
}

/// `userspace(pid=N,userdata(hex),actions,tunnel_out_port=N)`. User data is
/// always shown as hex; the upcall cookies Open vSwitch decodes from
/// 48-byte user data (sFlow, slow_path, ...) are not supported here.
fn format_userspace(out: &mut String, u: &UserspaceAction) {
    let _ = write!(out, "userspace(pid={}", u.pid);
    if let Some(data) = &u.userdata {
        out.push_str(",userdata(");
        for byte in data {
            let _ = write!(out, "{byte:02x}");
        }
        out.push(')');
    }
    if u.actions {
        out.push_str(",actions");
    }
    if let Some(port) = u.egress_tun_port {
        let _ = write!(out, ",tunnel_out_port={port}");
    }
    out.push(')');
}

fn format_masked_set(out: &mut String, value: &KeyAttr, mask: &KeyAttr) {
    let half = (key_payload(value) + key_payload(mask)) / 2;
    match (value, mask) {
        (KeyAttr::Encap(v), KeyAttr::Encap(m)) if half > MAX_SPLIT_PAYLOAD => {
            let joined: Vec<KeyAttr> = v.iter().chain(m.iter()).cloned().collect();
            out.push_str("encap(");
            format_list(out, &joined, None, false);
            out.push(')');
        }
        _ => format_attr(out, value, Some(mask), false),
    }
}
