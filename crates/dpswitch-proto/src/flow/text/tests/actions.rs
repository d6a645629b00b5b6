use crate::flow::odp::{
    Action, ArpKey, EthernetKey, Ipv4Key, Ipv6Key, KeyAttr, PortsKey, UserspaceAction,
};
use crate::flow::text::{format_actions, parse_actions, TextErrorKind};

fn round_trip(text: &str, want: &[Action]) {
    let actions = parse_actions(text).unwrap_or_else(|e| panic!("{text}: {e}"));
    assert_eq!(actions, want, "{text}");
    assert_eq!(format_actions(&actions), text);
}

fn userspace(pid: u32, userdata: &[u8]) -> UserspaceAction {
    UserspaceAction {
        pid,
        userdata: Some(userdata.to_vec()),
        ..UserspaceAction::default()
    }
}

#[test]
fn outputs_and_separators() {
    round_trip(
        "1,2,65535",
        &[Action::Output(1), Action::Output(2), Action::Output(65535)],
    );
    assert_eq!(
        parse_actions(" 0x10 \t 7,,8").unwrap(),
        [Action::Output(16), Action::Output(7), Action::Output(8)]
    );
    // Top-level actions need a separator after them.
    assert!(parse_actions("1pop_vlan").is_err());
    assert!(parse_actions("pop_vlanx").is_err());
}

#[test]
fn drop_is_the_empty_list() {
    for text in ["drop", "DROP", "Drop", "", " , "] {
        assert_eq!(parse_actions(text).unwrap(), [], "{text:?}");
    }
    assert_eq!(format_actions(&[]), "drop");
    // Only the whole text "drop" means drop.
    assert!(parse_actions(" drop").is_err());
    assert!(parse_actions("1,drop").is_err());
}

#[test]
fn userspace_forms() {
    round_trip(
        "userspace(pid=42,userdata(0102030405060708))",
        &[Action::Userspace(userspace(42, &[1, 2, 3, 4, 5, 6, 7, 8]))],
    );
    round_trip(
        "userspace(pid=7,userdata(aabbccddeeff00112233),actions,tunnel_out_port=3)",
        &[Action::Userspace(UserspaceAction {
            pid: 7,
            userdata: Some(vec![
                0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0, 0x11, 0x22, 0x33,
            ]),
            egress_tun_port: Some(3),
            actions: true,
        })],
    );
    // Short user data is padded to 8 bytes; spaces may separate bytes.
    assert_eq!(
        parse_actions("userspace(pid=1,userdata(01 02 03 ))").unwrap(),
        [Action::Userspace(userspace(1, &[1, 2, 3, 0, 0, 0, 0, 0]))]
    );
    // Without user data, ovs-dpctl sends an all-zero 48-byte cookie.
    let actions = parse_actions("userspace(pid=5)").unwrap();
    assert_eq!(actions, [Action::Userspace(userspace(5, &[0; 48]))]);
    assert_eq!(
        format_actions(&actions),
        format!("userspace(pid=5,userdata({}))", "0".repeat(96))
    );
    // A user space action built without user data prints without it.
    let bare = UserspaceAction {
        pid: 5,
        ..UserspaceAction::default()
    };
    assert_eq!(
        format_actions(&[Action::Userspace(bare)]),
        "userspace(pid=5)"
    );
    // Tunnel port u32::MAX means "none".
    assert_eq!(
        parse_actions("userspace(pid=1,userdata(0000000000000000),tunnel_out_port=-1)").unwrap(),
        [Action::Userspace(userspace(1, &[0; 8]))]
    );
    for bad in [
        "userspace(pid=1,userdata(012))",
        "userspace(pid=1,userdata(zz))",
        "userspace(pid=1,actions,userdata(01))",
        "userspace(pid=)",
        "userspace(1)",
        "userspace(pid=1",
    ] {
        assert!(parse_actions(bad).is_err(), "{bad}");
    }
}

#[test]
fn set_with_all_ones_mask_is_a_plain_set() {
    let ip = Ipv4Key {
        src: 0x2308_0229,
        dst: 0xac10_0014,
        proto: 5,
        tos: 0x80,
        ttl: 128,
        frag: 0,
    };
    round_trip(
        "set(ipv4(src=35.8.2.41,dst=172.16.0.20,proto=5,tos=0x80,ttl=128,frag=no))",
        &[Action::Set(KeyAttr::Ipv4(ip))],
    );
    round_trip("set(in_port(2))", &[Action::Set(KeyAttr::InPort(2))]);
    round_trip(
        "set(vlan(vid=3,pcp=5))",
        &[Action::Set(KeyAttr::Vlan(0xb003))],
    );
    round_trip("set(tcp_flags(syn))", &[Action::Set(KeyAttr::TcpFlags(2))]);
    round_trip("set(encap())", &[Action::Set(KeyAttr::Encap(vec![]))]);
}

#[test]
fn set_with_partial_mask_is_a_masked_set() {
    round_trip(
        "set(tcp(src=80/0xff00))",
        &[Action::SetMasked {
            value: KeyAttr::Tcp(PortsKey { src: 80, dst: 0 }),
            mask: KeyAttr::Tcp(PortsKey {
                src: 0xff00,
                dst: 0,
            }),
        }],
    );
    round_trip(
        "set(eth(dst=02:00:00:00:00:01))",
        &[Action::SetMasked {
            value: KeyAttr::Ethernet(EthernetKey {
                src: [0; 6],
                dst: [2, 0, 0, 0, 0, 1],
            }),
            mask: KeyAttr::Ethernet(EthernetKey {
                src: [0; 6],
                dst: [0xff; 6],
            }),
        }],
    );
    // vid alone leaves PCP unmatched: a masked set of VID and tag bit.
    round_trip(
        "set(vlan(vid=5))",
        &[Action::SetMasked {
            value: KeyAttr::Vlan(0x1005),
            mask: KeyAttr::Vlan(0x1fff),
        }],
    );
    round_trip(
        "set(tcp_flags(0/0))",
        &[Action::SetMasked {
            value: KeyAttr::TcpFlags(0),
            mask: KeyAttr::TcpFlags(0),
        }],
    );
    // Masked values are kept as given, bits outside the mask included.
    round_trip(
        "set(ipv4(tos=0xff/0x3))",
        &[Action::SetMasked {
            value: KeyAttr::Ipv4(Ipv4Key {
                tos: 0xff,
                ..Ipv4Key::default()
            }),
            mask: KeyAttr::Ipv4(Ipv4Key {
                tos: 0x3,
                ..Ipv4Key::default()
            }),
        }],
    );
}

#[test]
fn padding_and_label_bits_make_full_sets_masked() {
    // The ARP key has two padding bytes and the flow label 12 unused bits
    // that text never sets, so these are masked sets even when every field
    // is given; they print the same either way.
    let text = "set(arp(sip=1.1.1.1,tip=2.2.2.2,op=1,sha=00:00:00:00:00:01,tha=00:00:00:00:00:02))";
    match parse_actions(text).unwrap().as_slice() {
        [Action::SetMasked {
            value: KeyAttr::Arp(v),
            mask: KeyAttr::Arp(m),
        }] => {
            assert_eq!(v.op, 1);
            assert_eq!(
                *m,
                ArpKey {
                    sip: u32::MAX,
                    tip: u32::MAX,
                    op: u16::MAX,
                    sha: [0xff; 6],
                    tha: [0xff; 6],
                }
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(format_actions(&parse_actions(text).unwrap()), text);

    let text = "set(ipv6(src=::1,dst=::2,label=0,proto=6,tclass=0,hlimit=64,frag=no))";
    match parse_actions(text).unwrap().as_slice() {
        [Action::SetMasked {
            mask: KeyAttr::Ipv6(m),
            ..
        }] => assert_eq!(m.label, 0xfffff),
        other => panic!("{other:?}"),
    }
    assert_eq!(format_actions(&parse_actions(text).unwrap()), text);
}

#[test]
fn plain_set_prints_every_field() {
    let ip6 = Ipv6Key {
        dst: 1,
        ..Ipv6Key::default()
    };
    assert_eq!(
        format_actions(&[Action::Set(KeyAttr::Ipv6(ip6))]),
        "set(ipv6(src=::,dst=::1,label=0,proto=0,tclass=0,hlimit=0,frag=no))"
    );
    assert_eq!(
        format_actions(&[Action::Set(KeyAttr::Vlan(0x0005))]),
        "set(vlan(vid=5,pcp=0,cfi=0))"
    );
}

#[test]
fn masked_set_of_encap() {
    round_trip(
        "set(encap(eth_type(0x0800)))",
        &[Action::SetMasked {
            value: KeyAttr::Encap(vec![KeyAttr::EthType(0x0800)]),
            mask: KeyAttr::Encap(vec![KeyAttr::EthType(0xffff)]),
        }],
    );
    // Beyond 40 bytes of key, ovs-dpctl prints value and mask as one list.
    let actions = parse_actions(
        "set(encap(ipv6(src=::1,dst=::2,label=0,proto=1,tclass=0,hlimit=1,frag=no)))",
    )
    .unwrap();
    assert_eq!(
        format_actions(&actions),
        "set(encap(ipv6(src=::1,dst=::2,label=0,proto=1,tclass=0,hlimit=1,frag=no),\
         ipv6(src=ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff,dst=ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff,\
         label=0xfffff,proto=255,tclass=0xff,hlimit=255,frag=<error>)))"
    );
}

#[test]
fn push_and_pop_vlan() {
    round_trip(
        "push_vlan(vid=12,pcp=0),pop_vlan",
        &[
            Action::PushVlan {
                tpid: 0x8100,
                tci: 0x100c,
            },
            Action::PopVlan,
        ],
    );
    round_trip(
        "push_vlan(tpid=0x88a8,vid=4095,pcp=7,cfi=0)",
        &[Action::PushVlan {
            tpid: 0x88a8,
            tci: 0xefff,
        }],
    );
    assert_eq!(
        parse_actions("push_vlan(tpid=0x8100,vid=1,pcp=1,cfi=1)").unwrap(),
        [Action::PushVlan {
            tpid: 0x8100,
            tci: 0x3001,
        }]
    );
    for bad in [
        "push_vlan(vid=4096,pcp=0)",
        "push_vlan(vid=1,pcp=8)",
        "push_vlan(vid=1)",
        "push_vlan(pcp=1,vid=1)",
        "push_vlan(vid=1,pcp=1,tpid=1)",
    ] {
        assert!(parse_actions(bad).is_err(), "{bad}");
    }
}

#[test]
fn sample_probability() {
    round_trip(
        "sample(sample=9.7%,actions(1,2))",
        &[Action::Sample {
            probability: 416_611_828,
            actions: vec![Action::Output(1), Action::Output(2)],
        }],
    );
    for (text, probability) in [
        ("100", u32::MAX),
        ("0", 0),
        ("50", 2_147_483_648),
        ("", 0),
        ("1e1", 429_496_730),
    ] {
        let actions = parse_actions(&format!("sample(sample={text}%,actions(1))")).unwrap();
        match actions.as_slice() {
            [Action::Sample { probability: p, .. }] => assert_eq!(*p, probability, "{text}"),
            other => panic!("{other:?}"),
        }
    }
    for bad in ["100.1", "-1", "abc", ".", "1e"] {
        assert!(
            parse_actions(&format!("sample(sample={bad}%,actions(1))")).is_err(),
            "{bad}"
        );
    }
    assert!(parse_actions("sample(sample=5%,actions(1)").is_err());
}

#[test]
fn empty_nested_lists_print_drop() {
    let actions = parse_actions("clone(),sample(sample=50%,actions())").unwrap();
    assert_eq!(
        actions,
        [
            Action::Clone(vec![]),
            Action::Sample {
                probability: 2_147_483_648,
                actions: vec![],
            },
        ]
    );
    assert_eq!(
        format_actions(&actions),
        "clone(drop),sample(sample=50.0%,actions(drop))"
    );
    // ...which ovs-dpctl itself does not read back.
    assert!(parse_actions("clone(drop)").is_err());
}

#[test]
fn nested_lists_need_no_separators() {
    round_trip(
        "clone(clone(push_vlan(vid=12,pcp=0),2),1)",
        &[Action::Clone(vec![
            Action::Clone(vec![
                Action::PushVlan {
                    tpid: 0x8100,
                    tci: 0x100c,
                },
                Action::Output(2),
            ]),
            Action::Output(1),
        ])],
    );
    assert_eq!(
        parse_actions("clone(1pop_vlan 2)").unwrap(),
        [Action::Clone(vec![
            Action::Output(1),
            Action::PopVlan,
            Action::Output(2)
        ])]
    );
    assert!(parse_actions("clone(1").is_err());
}

#[test]
fn nesting_depth_is_bounded() {
    let deep = format!("{}1{}", "clone(".repeat(40), ")".repeat(40));
    match parse_actions(&deep) {
        Err(e) => assert!(matches!(e.kind(), TextErrorKind::TooDeep { .. }), "{e}"),
        Ok(_) => panic!("40 nested clones accepted"),
    }
    let ok = format!("{}1{}", "clone(".repeat(20), ")".repeat(20));
    assert!(parse_actions(&ok).is_ok());
}

#[test]
fn nested_lists_fit_in_a_netlink_attribute() {
    // Each output is 8 bytes encoded: 8191 fit under 64 KiB with the
    // clone header, 8192 do not.
    let outputs = |n: usize| vec!["1"; n].join(",");
    assert!(parse_actions(&format!("clone({})", outputs(8190))).is_ok());
    match parse_actions(&format!("clone({})", outputs(8192))) {
        Err(e) => assert!(matches!(e.kind(), TextErrorKind::TooLarge { .. }), "{e}"),
        Ok(_) => panic!("oversized clone accepted"),
    }
    // The top-level list has no such limit.
    assert_eq!(parse_actions(&outputs(9000)).unwrap().len(), 9000);
}
