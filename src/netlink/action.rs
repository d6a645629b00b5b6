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
use crate::flow::odp::{Action, ActionKind, KeyAttr, KeyAttrKind, UserspaceAction};

const ACTIONS: &str = "actions";
const USERSPACE: &str = "userspace action";
const SAMPLE: &str = "sample action";
const SET: &str = "set action";
const SET_MASKED: &str = "set_masked action";
const PUSH_VLAN: &str = "push_vlan action";

const ETH_P_8021Q: u16 = 0x8100;
const ETH_P_8021AD: u16 = 0x88a8;
/// The CFI bit of a TCI, which Open vSwitch uses as "tag present".
const VLAN_TAG_PRESENT: u16 = 0x1000;

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
                if *tpid != ETH_P_8021Q && *tpid != ETH_P_8021AD {
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
mod tests {
    use super::*;
    use crate::flow::odp::{EthernetKey, Ipv4Key, PortsKey};

    fn attr(id: u16, payload: &[u8]) -> Vec<u8> {
        let mut w = AttrWriter::new();
        w.put(id, payload);
        w.finish("test").unwrap()
    }

    fn round_trip(actions: &[Action]) -> Vec<u8> {
        let bytes = encode_actions(actions).unwrap();
        assert_eq!(decode_actions(&bytes).unwrap(), actions);
        bytes
    }

    #[test]
    fn output_and_vlan_bytes_are_exact() {
        let bytes = round_trip(&[
            Action::PushVlan {
                tpid: 0x8100,
                tci: 0x1064,
            },
            Action::Output(2),
            Action::PopVlan,
        ]);
        let expected: Vec<u8> = [
            &[8, 0, 4, 0, 0x81, 0x00, 0x10, 0x64][..],
            &[8, 0, 1, 0],
            &2u32.to_ne_bytes(),
            &[4, 0, 5, 0],
        ]
        .concat();
        assert_eq!(bytes, expected);
    }

    #[test]
    fn userspace_bytes_are_exact() {
        let action = Action::Userspace(UserspaceAction {
            pid: 7,
            userdata: Some(vec![1, 2, 3]),
            egress_tun_port: Some(9),
            actions: true,
        });
        let bytes = round_trip(std::slice::from_ref(&action));
        let expected: Vec<u8> = [
            &[32, 0, 2, 0][..],
            &[8, 0, 1, 0],
            &7u32.to_ne_bytes(),
            &[7, 0, 2, 0, 1, 2, 3, 0],
            &[8, 0, 3, 0],
            &9u32.to_ne_bytes(),
            &[4, 0, 4, 0],
        ]
        .concat();
        assert_eq!(bytes, expected);
        // Minimal form: pid only.
        round_trip(&[Action::Userspace(UserspaceAction {
            pid: 1,
            ..Default::default()
        })]);
    }

    #[test]
    fn set_carries_one_key_attribute() {
        let set = Action::Set(KeyAttr::EthType(0x0800));
        let bytes = round_trip(std::slice::from_ref(&set));
        assert_eq!(bytes, [12, 0, 3, 0, 6, 0, 6, 0, 0x08, 0x00, 0, 0]);
    }

    #[test]
    fn set_masked_payload_is_value_then_mask() {
        let action = Action::SetMasked {
            value: KeyAttr::Tcp(PortsKey { src: 0, dst: 80 }),
            mask: KeyAttr::Tcp(PortsKey {
                src: 0,
                dst: 0xffff,
            }),
        };
        let bytes = round_trip(std::slice::from_ref(&action));
        assert_eq!(
            bytes,
            [16, 0, 11, 0, 12, 0, 9, 0, 0, 0, 0, 80, 0, 0, 0xff, 0xff]
        );
    }

    #[test]
    fn sample_and_clone_nest_action_lists() {
        let actions = [
            Action::Sample {
                probability: u32::MAX / 2,
                actions: vec![Action::Output(1)],
            },
            Action::Clone(vec![Action::PopVlan, Action::Output(3)]),
            Action::Clone(vec![]),
        ];
        let bytes = round_trip(&actions);
        let expected: Vec<u8> = [
            &[24, 0, 6, 0][..], // header + probability 8 + actions 12
            &[8, 0, 1, 0],
            &(u32::MAX / 2).to_ne_bytes(),
            &[12, 0, 2, 0, 8, 0, 1, 0],
            &1u32.to_ne_bytes(),
            &[16, 0, 20, 0, 4, 0, 5, 0, 8, 0, 1, 0],
            &3u32.to_ne_bytes(),
            &[4, 0, 20, 0],
        ]
        .concat();
        assert_eq!(bytes, expected);
    }

    #[test]
    fn empty_list_drops() {
        assert_eq!(encode_actions(&[]).unwrap(), b"");
        assert_eq!(decode_actions(&[]).unwrap(), []);
    }

    #[test]
    fn unsupported_actions_are_rejected_by_name() {
        let cases = [
            (OVS_ACTION_ATTR_RECIRC, "recirc"),
            (OVS_ACTION_ATTR_HASH, "hash"),
            (OVS_ACTION_ATTR_PUSH_MPLS, "push_mpls"),
            (OVS_ACTION_ATTR_POP_MPLS, "pop_mpls"),
            (OVS_ACTION_ATTR_CT, "ct"),
            (OVS_ACTION_ATTR_TRUNC, "trunc"),
            (OVS_ACTION_ATTR_PUSH_ETH, "push_eth"),
            (OVS_ACTION_ATTR_POP_ETH, "pop_eth"),
            (OVS_ACTION_ATTR_CT_CLEAR, "ct_clear"),
            (OVS_ACTION_ATTR_PUSH_NSH, "push_nsh"),
            (OVS_ACTION_ATTR_POP_NSH, "pop_nsh"),
            (OVS_ACTION_ATTR_METER, "meter"),
            (OVS_ACTION_ATTR_CHECK_PKT_LEN, "check_pkt_len"),
            (OVS_ACTION_ATTR_ADD_MPLS, "add_mpls"),
            (OVS_ACTION_ATTR_DEC_TTL, "dec_ttl"),
        ];
        for (id, name) in cases {
            let err = decode_actions(&attr(id, &[0; 4])).unwrap_err();
            assert_eq!(
                err,
                NlError::Unsupported {
                    context: "actions",
                    name,
                    id
                }
            );
            assert_eq!(err.errno(), 22);
        }
    }

    #[test]
    fn unknown_action_ids_are_rejected() {
        for id in [OVS_ACTION_ATTR_UNSPEC, OVS_ACTION_ATTR_MAX + 1, 0x3fff] {
            assert_eq!(
                decode_actions(&attr(id, &[])).unwrap_err(),
                NlError::UnknownAttr {
                    context: "actions",
                    id
                }
            );
        }
    }

    #[test]
    fn fixed_action_lengths_are_enforced() {
        let err = decode_actions(&attr(OVS_ACTION_ATTR_OUTPUT, &[1, 0])).unwrap_err();
        assert_eq!(
            err,
            NlError::BadLength {
                context: "actions",
                name: "output",
                id: 1,
                expected: 4,
                got: 2
            }
        );
        assert!(decode_actions(&attr(OVS_ACTION_ATTR_POP_VLAN, &[0; 4])).is_err());
        assert!(decode_actions(&attr(OVS_ACTION_ATTR_PUSH_VLAN, &[0x81, 0, 0x10])).is_err());
    }

    #[test]
    fn push_vlan_needs_a_vlan_tpid_and_the_present_bit() {
        let bad_tpid = encode_actions(&[Action::PushVlan {
            tpid: 0x0800,
            tci: 0x1001,
        }])
        .unwrap();
        // Valid on the wire; the datapath refuses it.
        let decoded = decode_actions(&bad_tpid).unwrap();
        assert!(matches!(
            check_actions(&decoded).unwrap_err(),
            NlError::InvalidValue {
                context: "push_vlan action",
                ..
            }
        ));
        let no_cfi = encode_actions(&[Action::PushVlan {
            tpid: 0x88a8,
            tci: 0x0001,
        }])
        .unwrap();
        let decoded = decode_actions(&no_cfi).unwrap();
        assert_eq!(check_actions(&decoded).unwrap_err().errno(), 22);
        // Nested lists are checked too.
        let nested = [Action::Clone(decoded)];
        assert_eq!(check_actions(&nested).unwrap_err().errno(), 22);
    }

    #[test]
    fn userspace_rules() {
        let no_pid = attr(
            OVS_ACTION_ATTR_USERSPACE,
            &attr(OVS_USERSPACE_ATTR_USERDATA, &[1]),
        );
        assert_eq!(
            decode_actions(&no_pid).unwrap_err(),
            NlError::MissingAttr {
                context: "userspace action",
                name: "pid"
            }
        );
        let zero_pid = encode_actions(&[Action::Userspace(UserspaceAction::default())]).unwrap();
        let decoded = decode_actions(&zero_pid).unwrap();
        assert_eq!(check_actions(&decoded).unwrap_err().errno(), 22);
        let short_pid = attr(
            OVS_ACTION_ATTR_USERSPACE,
            &attr(OVS_USERSPACE_ATTR_PID, &[1, 0]),
        );
        let err = decode_actions(&short_pid).unwrap_err();
        assert!(matches!(
            err,
            NlError::BelowPolicyMinimum { name: "pid", .. }
        ));
        assert_eq!(err.errno(), 34);
        // A longer pid is read from its first four bytes, as the kernel does.
        let mut long = 5u32.to_ne_bytes().to_vec();
        long.extend_from_slice(&[0xee; 4]);
        let long_pid = attr(
            OVS_ACTION_ATTR_USERSPACE,
            &attr(OVS_USERSPACE_ATTR_PID, &long),
        );
        assert_eq!(
            decode_actions(&long_pid).unwrap(),
            [Action::Userspace(UserspaceAction {
                pid: 5,
                ..Default::default()
            })]
        );
        let unknown = [
            attr(OVS_USERSPACE_ATTR_PID, &5u32.to_ne_bytes()),
            attr(9, &[]),
        ]
        .concat();
        let err = decode_actions(&attr(OVS_ACTION_ATTR_USERSPACE, &unknown)).unwrap_err();
        assert!(matches!(err, NlError::UnknownAttr { id: 9, .. }));
        let trailing = [
            attr(OVS_USERSPACE_ATTR_PID, &5u32.to_ne_bytes()),
            vec![1, 2],
        ]
        .concat();
        let err = decode_actions(&attr(OVS_ACTION_ATTR_USERSPACE, &trailing)).unwrap_err();
        assert!(matches!(err, NlError::TruncatedAttr { .. }));
    }

    #[test]
    fn sample_rules() {
        let prob = attr(OVS_SAMPLE_ATTR_PROBABILITY, &1u32.to_ne_bytes());
        let acts = attr(OVS_SAMPLE_ATTR_ACTIONS, &[]);
        let ok = attr(
            OVS_ACTION_ATTR_SAMPLE,
            &[prob.clone(), acts.clone()].concat(),
        );
        assert_eq!(
            decode_actions(&ok).unwrap(),
            [Action::Sample {
                probability: 1,
                actions: vec![]
            }]
        );
        let missing = attr(OVS_ACTION_ATTR_SAMPLE, &acts);
        assert!(matches!(
            decode_actions(&missing).unwrap_err(),
            NlError::MissingAttr {
                name: "probability",
                ..
            }
        ));
        let missing = attr(OVS_ACTION_ATTR_SAMPLE, &prob);
        assert!(matches!(
            decode_actions(&missing).unwrap_err(),
            NlError::MissingAttr {
                name: "actions",
                ..
            }
        ));
        let twice = attr(
            OVS_ACTION_ATTR_SAMPLE,
            &[prob.clone(), prob, acts.clone()].concat(),
        );
        assert!(matches!(
            decode_actions(&twice).unwrap_err(),
            NlError::DuplicateAttr {
                name: "probability",
                ..
            }
        ));
        let short = attr(
            OVS_ACTION_ATTR_SAMPLE,
            &[attr(OVS_SAMPLE_ATTR_PROBABILITY, &[1, 0]), acts].concat(),
        );
        assert!(matches!(
            decode_actions(&short).unwrap_err(),
            NlError::BadLength {
                name: "probability",
                expected: 4,
                got: 2,
                ..
            }
        ));
    }

    #[test]
    fn nesting_deeper_than_the_limit_overflows() {
        let mut actions = vec![Action::Output(1)];
        for _ in 0..OVS_COPY_ACTIONS_MAX_DEPTH {
            actions = vec![Action::Clone(actions)];
        }
        round_trip(&actions);
        let deeper = vec![Action::Sample {
            probability: 1,
            actions,
        }];
        let err = decode_actions(&encode_actions(&deeper).unwrap()).unwrap_err();
        assert_eq!(err, NlError::ActionsTooDeep { limit: 16 });
        assert_eq!(err.errno(), 75);
    }

    #[test]
    fn set_rules() {
        // Two key attributes in one set.
        let two = [
            attr(OVS_KEY_ATTR_PRIORITY, &[0; 4]),
            attr(OVS_KEY_ATTR_SKB_MARK, &[0; 4]),
        ]
        .concat();
        assert!(matches!(
            decode_actions(&attr(OVS_ACTION_ATTR_SET, &two)).unwrap_err(),
            NlError::InvalidValue {
                context: "set action",
                ..
            }
        ));
        // None at all.
        assert!(matches!(
            decode_actions(&attr(OVS_ACTION_ATTR_SET, &[])).unwrap_err(),
            NlError::MissingAttr {
                context: "set action",
                ..
            }
        ));
        // Wrong length for the key attribute.
        let short = attr(OVS_KEY_ATTR_ETHERNET, &[0; 6]);
        assert!(matches!(
            decode_actions(&attr(OVS_ACTION_ATTR_SET, &short)).unwrap_err(),
            NlError::BadLength {
                name: "eth",
                expected: 12,
                got: 6,
                ..
            }
        ));
        // Unsupported and unknown key attributes.
        let tunnel = attr(OVS_KEY_ATTR_TUNNEL, &[]);
        assert!(matches!(
            decode_actions(&attr(OVS_ACTION_ATTR_SET, &tunnel)).unwrap_err(),
            NlError::Unsupported { name: "tunnel", .. }
        ));
        let unknown = attr(40, &[0; 4]);
        assert!(matches!(
            decode_actions(&attr(OVS_ACTION_ATTR_SET, &unknown)).unwrap_err(),
            NlError::UnknownAttr { id: 40, .. }
        ));
        // Encap is no header.
        let encap = encode_actions(&[Action::Set(KeyAttr::Encap(vec![]))]).unwrap();
        assert_eq!(decode_actions(&encap).unwrap_err().errno(), 22);
    }

    #[test]
    fn set_masked_rules() {
        let value = KeyAttr::Ethernet(EthernetKey {
            src: [0, 0, 0, 0, 0, 1],
            dst: [0; 6],
        });
        let outside = encode_actions(&[Action::SetMasked {
            value: value.clone(),
            mask: KeyAttr::Ethernet(EthernetKey::default()),
        }])
        .unwrap();
        let decoded = decode_actions(&outside).unwrap();
        assert!(matches!(
            check_actions(&decoded).unwrap_err(),
            NlError::InvalidValue {
                context: "set_masked action",
                ..
            }
        ));
        // Value-only payload is too short for a masked set.
        let half = attr(OVS_KEY_ATTR_ETHERNET, &[0; 12]);
        assert!(matches!(
            decode_actions(&attr(OVS_ACTION_ATTR_SET_MASKED, &half)).unwrap_err(),
            NlError::BadLength {
                expected: 24,
                got: 12,
                ..
            }
        ));
        // Value and mask of different kinds cannot be encoded.
        let mismatch = encode_actions(&[Action::SetMasked {
            value,
            mask: KeyAttr::Ipv4(Ipv4Key::default()),
        }]);
        assert_eq!(mismatch.unwrap_err().errno(), 22);
        let unsupported = attr(OVS_KEY_ATTR_CT_MARK, &[0; 8]);
        assert!(matches!(
            decode_actions(&attr(OVS_ACTION_ATTR_SET_MASKED, &unsupported)).unwrap_err(),
            NlError::Unsupported {
                name: "ct_mark",
                ..
            }
        ));
    }

    #[test]
    fn truncated_action_lists_are_rejected() {
        let bytes = encode_actions(&[Action::Output(1), Action::Output(2)]).unwrap();
        for cut in 1..bytes.len() {
            if cut == 8 {
                continue;
            }
            assert!(
                matches!(
                    decode_actions(&bytes[..cut]).unwrap_err(),
                    NlError::TruncatedAttr { .. }
                ),
                "cut at {cut}"
            );
        }
    }
}
