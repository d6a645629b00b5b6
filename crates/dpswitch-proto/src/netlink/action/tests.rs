use super::*;
use crate::flow::odp::{EthernetKey, Ipv4Key, PortsKey};
use nix::errno::Errno;

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
        assert_eq!(err.errno(), Errno::EINVAL);
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
    assert_eq!(check_actions(&decoded).unwrap_err().errno(), Errno::EINVAL);
    // Nested lists are checked too.
    let nested = [Action::Clone(decoded)];
    assert_eq!(check_actions(&nested).unwrap_err().errno(), Errno::EINVAL);
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
    assert_eq!(check_actions(&decoded).unwrap_err().errno(), Errno::EINVAL);
    let short_pid = attr(
        OVS_ACTION_ATTR_USERSPACE,
        &attr(OVS_USERSPACE_ATTR_PID, &[1, 0]),
    );
    let err = decode_actions(&short_pid).unwrap_err();
    assert!(matches!(
        err,
        NlError::BelowPolicyMinimum { name: "pid", .. }
    ));
    assert_eq!(err.errno(), Errno::ERANGE);
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
    assert_eq!(err.errno(), Errno::EOVERFLOW);
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
    assert_eq!(decode_actions(&encap).unwrap_err().errno(), Errno::EINVAL);
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
    assert_eq!(mismatch.unwrap_err().errno(), Errno::EINVAL);
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
