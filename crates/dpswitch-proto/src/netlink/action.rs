//! Action lists on the wire: a list of `OVS_ACTION_ATTR_*` attributes, some
//! of them nesting further lists (sample, clone).
//!
//! Decoding checks the wire form: every byte belongs to a whole attribute,
//! ids are known, fixed payloads have their size, nested lists are well
//! formed and at most `OVS_COPY_ACTIONS_MAX_DEPTH` deep (EOVERFLOW past
//! that), a set carries exactly one key attribute. Actions the kernel
//! defines but dpswitch does not implement are rejected by name. Everything
//! fails with EINVAL unless said otherwise.
//!
//! What the datapath additionally refuses while copying actions, short of
//! what needs the flow's match, is `check_actions`: a masked set with value
//! bits outside its mask, a push_vlan without an 802.1Q/802.1ad TPID or the
//! tag-present bit, a userspace action with pid 0. Those lists are valid
//! text and valid wire (Open vSwitch's own tools write them), so decoding
//! alone accepts them.
//!
//! Encoding writes whatever it is given (so a client can send a request
//! the datapath will refuse); it fails only for a masked set whose value and
//! mask are not the same flat key attribute, which has no encoding.

use super::attr::{attrs, bytes_at, Attr, AttrWriter};
use super::consts::*;
use super::error::NlError;
use super::key::{check_len, decode_fixed, encode_key_into, fixed_payload_len, write_payload};
use crate::flow::headers::is_vlan_tpid;
use crate::flow::key::VLAN_TAG_PRESENT;
use crate::flow::odp::{Action, ActionKind, KeyAttr, KeyAttrKind, UserspaceAction};

const ACTIONS: &str = "actions";
const USERSPACE: &str = "userspace action";
const SAMPLE: &str = "sample action";
const SET: &str = "set action";
const SET_MASKED: &str = "set_masked action";
const PUSH_VLAN: &str = "push_vlan action";

/// Decodes an action list (the payload of `OVS_FLOW_ATTR_ACTIONS` or
/// `OVS_PACKET_ATTR_ACTIONS`). The empty list drops.
pub fn decode_actions(buf: &[u8]) -> Result<Vec<Action>, NlError> {
    decode_list(buf, 0)
}

fn decode_list(buf: &[u8], depth: usize) -> Result<Vec<Action>, NlError> {
    if depth > OVS_COPY_ACTIONS_MAX_DEPTH {
        return Err(NlError::ActionsTooDeep {
            limit: OVS_COPY_ACTIONS_MAX_DEPTH,
        });
    }
    let mut out = Vec::new();
    for attr in attrs(buf, ACTIONS) {
        out.push(decode_action(attr?, depth)?);
    }
    Ok(out)
}

fn decode_action(attr: Attr<'_>, depth: usize) -> Result<Action, NlError> {
    let id = attr.kind();
    let p = attr.payload();
    let name = match action_name(id) {
        Some(name) if id != OVS_ACTION_ATTR_UNSPEC => name,
        _ => {
            return Err(NlError::UnknownAttr {
                context: ACTIONS,
                id,
            })
        }
    };
    let kind = ActionKind::from_id(id).ok_or(NlError::Unsupported {
        context: ACTIONS,
        name,
        id,
    })?;
    let fixed = |expected: usize| {
        if p.len() == expected {
            Ok(())
        } else {
            Err(NlError::BadLength {
                context: ACTIONS,
                name,
                id,
                expected,
                got: p.len(),
            })
        }
    };
    Ok(match kind {
        ActionKind::Output => {
            fixed(4)?;
            Action::Output(u32_first(p).unwrap_or_default())
        }
        ActionKind::Userspace => decode_userspace(p)?,
        ActionKind::Set => decode_set(p, false)?,
        ActionKind::SetMasked => decode_set(p, true)?,
        ActionKind::PushVlan => {
            fixed(OVS_ACTION_PUSH_VLAN_LEN)?;
            decode_push_vlan(p)?
        }
        ActionKind::PopVlan => {
            fixed(0)?;
            Action::PopVlan
        }
        ActionKind::Sample => decode_sample(p, depth)?,
        ActionKind::Clone => Action::Clone(decode_list(p, depth.saturating_add(1))?),
    })
}

fn u32_first(p: &[u8]) -> Option<u32> {
    bytes_at(p, 0).map(u32::from_ne_bytes)
}

fn decode_push_vlan(p: &[u8]) -> Result<Action, NlError> {
    let tpid = bytes_at(p, 0).map(u16::from_be_bytes).unwrap_or_default();
    let tci = bytes_at(p, 2).map(u16::from_be_bytes).unwrap_or_default();
    Ok(Action::PushVlan { tpid, tci })
}

/// The datapath's match-independent checks on a decoded action list (see
/// the module comment); recurses into sample and clone.
pub fn check_actions(actions: &[Action]) -> Result<(), NlError> {
    for action in actions {
        match action {
            Action::PushVlan { tpid, tci } => {
                if !is_vlan_tpid(*tpid) {
                    return Err(NlError::InvalidValue {
                        context: PUSH_VLAN,
                        reason: format!("TPID {tpid:#06x} is neither 0x8100 nor 0x88a8"),
                    });
                }
                if tci & VLAN_TAG_PRESENT == 0 {
                    return Err(NlError::InvalidValue {
                        context: PUSH_VLAN,
                        reason: format!("TCI {tci:#06x} lacks the tag-present (CFI) bit"),
                    });
                }
            }
            Action::Userspace(u) if u.pid == 0 => {
                return Err(NlError::InvalidValue {
                    context: USERSPACE,
                    reason: "pid 0 names no handler".into(),
                });
            }
            Action::SetMasked { value, mask } => {
                let (mut v, mut m) = (Vec::new(), Vec::new());
                let comparable = write_payload(value, &mut v) && write_payload(mask, &mut m);
                if comparable && v.iter().zip(&m).any(|(v, m)| v & !m != 0) {
                    return Err(NlError::InvalidValue {
                        context: SET_MASKED,
                        reason: format!(
                            "{} value has bits set outside its mask",
                            value.kind().name()
                        ),
                    });
                }
            }
            Action::Sample { actions, .. } | Action::Clone(actions) => check_actions(actions)?,
            _ => {}
        }
    }
    Ok(())
}

/// A u32 attribute under a generic netlink policy: shorter than 4 bytes
/// fails the policy (ERANGE); longer is tolerated and its first 4 bytes
/// are the value, as the kernel reads it.
fn policy_u32(context: &'static str, name: &'static str, attr: &Attr<'_>) -> Result<u32, NlError> {
    u32_first(attr.payload()).ok_or(NlError::BelowPolicyMinimum {
        context,
        name,
        id: attr.kind(),
        min: 4,
        got: attr.payload().len(),
    })
}

fn decode_userspace(p: &[u8]) -> Result<Action, NlError> {
    let mut pid = None;
    let mut action = UserspaceAction::default();
    // Unknown ids and trailing bytes are errors here (strict parsing);
    // a repeated attribute replaces the earlier one, as in nla_parse.
    for attr in attrs(p, USERSPACE) {
        let attr = attr?;
        match attr.kind() {
            OVS_USERSPACE_ATTR_PID => pid = Some(policy_u32(USERSPACE, "pid", &attr)?),
            OVS_USERSPACE_ATTR_USERDATA => action.userdata = Some(attr.payload().to_vec()),
            OVS_USERSPACE_ATTR_EGRESS_TUN_PORT => {
                action.egress_tun_port = Some(policy_u32(USERSPACE, "egress_tun_port", &attr)?)
            }
            OVS_USERSPACE_ATTR_ACTIONS => action.actions = true,
            id => {
                return Err(NlError::UnknownAttr {
                    context: USERSPACE,
                    id,
                })
            }
        }
    }
    action.pid = pid.ok_or(NlError::MissingAttr {
        context: USERSPACE,
        name: "pid",
    })?;
    Ok(Action::Userspace(action))
}

fn decode_sample(p: &[u8], depth: usize) -> Result<Action, NlError> {
    let mut probability: Option<&[u8]> = None;
    let mut actions: Option<&[u8]> = None;
    for attr in attrs(p, SAMPLE) {
        let attr = attr?;
        let (slot, name) = match attr.kind() {
            OVS_SAMPLE_ATTR_PROBABILITY => (&mut probability, "probability"),
            OVS_SAMPLE_ATTR_ACTIONS => (&mut actions, "actions"),
            id => {
                return Err(NlError::UnknownAttr {
                    context: SAMPLE,
                    id,
                })
            }
        };
        if slot.replace(attr.payload()).is_some() {
            return Err(NlError::DuplicateAttr {
                context: SAMPLE,
                name,
                id: attr.kind(),
            });
        }
    }
    let probability = probability.ok_or(NlError::MissingAttr {
        context: SAMPLE,
        name: "probability",
    })?;
    let probability = match (probability.len(), u32_first(probability)) {
        (4, Some(value)) => value,
        (got, _) => {
            return Err(NlError::BadLength {
                context: SAMPLE,
                name: "probability",
                id: OVS_SAMPLE_ATTR_PROBABILITY,
                expected: 4,
                got,
            })
        }
    };
    let actions = actions.ok_or(NlError::MissingAttr {
        context: SAMPLE,
        name: "actions",
    })?;
    Ok(Action::Sample {
        probability,
        actions: decode_list(actions, depth.saturating_add(1))?,
    })
}

fn decode_set(p: &[u8], masked: bool) -> Result<Action, NlError> {
    let context = if masked { SET_MASKED } else { SET };
    let mut inner = attrs(p, context);
    let key = match inner.next() {
        Some(attr) => attr?,
        None => {
            return Err(NlError::MissingAttr {
                context,
                name: "key attribute",
            })
        }
    };
    if inner.next().is_some() {
        return Err(NlError::InvalidValue {
            context,
            reason: "carries more than one key attribute".into(),
        });
    }
    let id = key.kind();
    let name = key_attr_name(id).ok_or(NlError::UnknownAttr { context, id })?;
    if id == OVS_KEY_ATTR_ENCAP {
        return Err(NlError::InvalidValue {
            context,
            reason: "encap is not a header that can be set".into(),
        });
    }
    let payload = key.payload();
    if !masked {
        check_len(context, id, payload.len())?;
        let kind = supported_kind(context, name, id)?;
        return Ok(Action::Set(decode_fixed(context, kind, payload)?));
    }
    // The payload is the value followed by a mask of the same size.
    if let Some(expected) = fixed_payload_len(id) {
        let doubled = expected.saturating_mul(2);
        if payload.len() != doubled {
            return Err(NlError::BadLength {
                context,
                name,
                id,
                expected: doubled,
                got: payload.len(),
            });
        }
    }
    let half = payload.len() / 2;
    check_len(context, id, half)?;
    let kind = supported_kind(context, name, id)?;
    let (value, mask) = payload.split_at(half);
    Ok(Action::SetMasked {
        value: decode_fixed(context, kind, value)?,
        mask: decode_fixed(context, kind, mask)?,
    })
}

fn supported_kind(
    context: &'static str,
    name: &'static str,
    id: u16,
) -> Result<KeyAttrKind, NlError> {
    KeyAttrKind::from_id(id).ok_or(NlError::Unsupported { context, name, id })
}

/// Appends `actions` as `OVS_ACTION_ATTR_*` attributes.
pub fn encode_actions_into(w: &mut AttrWriter, actions: &[Action]) -> Result<(), NlError> {
    for action in actions {
        let id = action.kind() as u16;
        match action {
            Action::Output(port) => w.put_u32(id, *port),
            Action::Userspace(u) => {
                let nest = w.begin_nested(id);
                w.put_u32(OVS_USERSPACE_ATTR_PID, u.pid);
                if let Some(data) = &u.userdata {
                    w.put(OVS_USERSPACE_ATTR_USERDATA, data);
                }
                if let Some(port) = u.egress_tun_port {
                    w.put_u32(OVS_USERSPACE_ATTR_EGRESS_TUN_PORT, port);
                }
                if u.actions {
                    w.put_flag(OVS_USERSPACE_ATTR_ACTIONS);
                }
                w.end_nested(nest);
            }
            Action::Set(key) => {
                let nest = w.begin_nested(id);
                encode_key_into(w, std::slice::from_ref(key));
                w.end_nested(nest);
            }
            Action::SetMasked { value, mask } => {
                let payload = masked_payload(value, mask)?;
                let nest = w.begin_nested(id);
                w.put(value.kind() as u16, &payload);
                w.end_nested(nest);
            }
            Action::PushVlan { tpid, tci } => {
                let mut payload = [0u8; OVS_ACTION_PUSH_VLAN_LEN];
                payload[..2].copy_from_slice(&tpid.to_be_bytes());
                payload[2..].copy_from_slice(&tci.to_be_bytes());
                w.put(id, &payload);
            }
            Action::PopVlan => w.put_flag(id),
            Action::Sample {
                probability,
                actions,
            } => {
                let nest = w.begin_nested(id);
                w.put_u32(OVS_SAMPLE_ATTR_PROBABILITY, *probability);
                let inner = w.begin_nested(OVS_SAMPLE_ATTR_ACTIONS);
                encode_actions_into(w, actions)?;
                w.end_nested(inner);
                w.end_nested(nest);
            }
            Action::Clone(actions) => {
                let nest = w.begin_nested(id);
                encode_actions_into(w, actions)?;
                w.end_nested(nest);
            }
        }
    }
    Ok(())
}

fn masked_payload(value: &KeyAttr, mask: &KeyAttr) -> Result<Vec<u8>, NlError> {
    if value.kind() != mask.kind() {
        return Err(NlError::InvalidValue {
            context: SET_MASKED,
            reason: format!(
                "value is {} but mask is {}",
                value.kind().name(),
                mask.kind().name()
            ),
        });
    }
    let mut payload = Vec::with_capacity(80);
    if !write_payload(value, &mut payload) || !write_payload(mask, &mut payload) {
        return Err(NlError::InvalidValue {
            context: SET_MASKED,
            reason: "encap has no value to set".into(),
        });
    }
    Ok(payload)
}

/// Encodes an action list as the payload of `OVS_FLOW_ATTR_ACTIONS`.
pub fn encode_actions(actions: &[Action]) -> Result<Vec<u8>, NlError> {
    let mut w = AttrWriter::new();
    encode_actions_into(&mut w, actions)?;
    w.finish(ACTIONS)
}

#[cfg(test)]
mod tests;
