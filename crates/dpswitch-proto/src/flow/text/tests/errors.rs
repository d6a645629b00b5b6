//! Error messages name what they refuse.

use crate::flow::text::{parse_actions, parse_key, parse_match, TextErrorKind};

fn key_error(text: &str) -> String {
    match parse_key(text) {
        Err(e) => e.to_string(),
        Ok(k) => panic!("{text} accepted as {k:?}"),
    }
}

fn action_error(text: &str) -> String {
    match parse_actions(text) {
        Err(e) => e.to_string(),
        Ok(a) => panic!("{text} accepted as {a:?}"),
    }
}

#[test]
fn out_of_scope_key_attributes_are_named() {
    for (text, name) in [
        ("ct_state(+trk)", "ct_state"),
        ("ct_zone(5)", "ct_zone"),
        ("ct_mark(0x1)", "ct_mark"),
        ("ct_label(0x1)", "ct_label"),
        ("ct_tuple4(src=1.1.1.1)", "ct_tuple4"),
        ("ct_tuple6(src=::1)", "ct_tuple6"),
        ("tunnel(tun_id=0x1,dst=1.1.1.1,ttl=64)", "tunnel"),
        ("mpls(label=1,tc=0,ttl=64,bos=1)", "mpls"),
        ("nsh(spi=0x1)", "nsh"),
        ("packet_type(ns=0,id=0)", "packet_type"),
        ("nd_ext(nd_reserved=0x0,nd_options_type=2)", "nd_ext"),
    ] {
        let message = key_error(&format!("in_port(1),{text}"));
        assert_eq!(message, format!("unsupported key attribute \"{name}\""));
    }
    // Inside encap and in a match too.
    assert_eq!(
        parse_match("encap(eth_type(0x8847),mpls(label=1))")
            .unwrap_err()
            .refused_name(),
        Some("mpls")
    );
}

#[test]
fn unknown_key_attributes_are_named() {
    assert_eq!(
        key_error("frobnicate(1)"),
        "unknown key attribute \"frobnicate\""
    );
    assert_eq!(
        key_error("ETH(src=00:00:00:00:00:01)"),
        "unknown key attribute \"ETH\""
    );
}

#[test]
fn bad_values_name_field_and_attribute() {
    assert_eq!(
        key_error("tcp(src=0x1g)"),
        "bad value \"0x1g\" for field \"src\" in \"tcp(...)\""
    );
    assert_eq!(
        key_error("ipv4(src=1.2.3.4,frag=maybe)"),
        "bad value \"maybe\" for field \"frag\" in \"ipv4(...)\""
    );
    assert_eq!(
        key_error("in_port(one)"),
        "bad value \"one\" in \"in_port(...)\""
    );
    assert_eq!(
        key_error("ipv4(src=1.2.3.4,color=red)"),
        "unknown field \"color\" in \"ipv4(...)\""
    );
    assert_eq!(
        key_error("ipv4( src=1.2.3.4)"),
        "syntax error in \"ipv4(...)\" at \" src=1.2.3.4)\""
    );
}

#[test]
fn structural_errors() {
    assert!(matches!(
        parse_key("encap(in_port(1)").unwrap_err().kind(),
        TextErrorKind::Syntax { .. }
    ));
    assert_eq!(key_error("in_port"), "syntax error at \"in_port\"");
    let deep = format!("{}{}", "encap(".repeat(40), ")".repeat(40));
    assert!(matches!(
        parse_key(&deep).unwrap_err().kind(),
        TextErrorKind::TooDeep { .. }
    ));
    assert!(parse_key("in_port(1)\0").is_err());
}

#[test]
fn out_of_scope_actions_are_named() {
    for (text, name) in [
        ("ct", "ct"),
        ("ct(commit,zone=5)", "ct"),
        ("ctx", "ct"),
        ("ct_clear", "ct_clear"),
        ("recirc(0x1)", "recirc"),
        ("hash(sym_l4(0))", "hash"),
        ("trunc(100)", "trunc"),
        ("tnl_pop(4)", "tnl_pop"),
        (
            "tnl_push(tnl_port(4),header(size=42,type=3),out_port(1))",
            "tnl_push",
        ),
        ("check_pkt_len(size=200,gt(4),le(5))", "check_pkt_len"),
        ("meter(0)", "meter"),
        ("lb_output(1)", "lb_output"),
        (
            "add_mpls(label=200,tc=7,ttl=64,bos=1,eth_type=0x8847)",
            "add_mpls",
        ),
        (
            "push_mpls(label=1,tc=0,ttl=64,bos=1,eth_type=0x8847)",
            "push_mpls",
        ),
        ("pop_mpls(eth_type=0x800)", "pop_mpls"),
        ("psample(group=12)", "psample"),
        (
            "push_eth(src=00:00:00:00:00:01,dst=00:00:00:00:00:02)",
            "push_eth",
        ),
        ("pop_eth", "pop_eth"),
        ("push_nsh(spi=0x1)", "push_nsh"),
        ("pop_nsh()", "pop_nsh"),
        ("dec_ttl(le_1(drop))", "dec_ttl"),
        ("drop(3)", "drop"),
    ] {
        assert_eq!(
            action_error(&format!("1,{text}")),
            format!("unsupported action \"{name}\""),
            "{text}"
        );
    }
    assert_eq!(
        action_error("clone(1,sample(sample=5%,actions(ct)))"),
        "unsupported action \"ct\""
    );
    assert_eq!(
        action_error("frobnicate(1)"),
        "unknown action \"frobnicate\""
    );
}

#[test]
fn userspace_cookies_are_named() {
    for (cookie, name) in [
        ("sFlow(vid=9,pcp=7,output=10)", "sFlow"),
        ("slow_path(cfm)", "slow_path"),
        ("flow_sample(probability=1,collector_set_id=1,obs_domain_id=1,obs_point_id=1,output_port=1)", "flow_sample"),
        ("ipfix(output_port=10)", "ipfix"),
        ("controller(reason=1)", "controller"),
    ] {
        assert_eq!(
            action_error(&format!("userspace(pid=1,{cookie})")),
            format!("unsupported userspace cookie \"{name}\"")
        );
    }
}

#[test]
fn set_of_unsupported_attribute_names_it() {
    assert_eq!(
        action_error("set(tunnel(tun_id=0x1,dst=1.1.1.1,ttl=64))"),
        "unsupported key attribute \"tunnel\""
    );
    assert!(parse_actions("set(in_port(1)").is_err());
    assert!(parse_actions("set(in_port(1),in_port(2))").is_err());
}

#[test]
fn long_tokens_are_shortened() {
    let name = "x".repeat(100);
    let message = key_error(&format!("{name}(1)"));
    assert_eq!(
        message,
        format!("unknown key attribute \"{}...\"", "x".repeat(40))
    );
}
