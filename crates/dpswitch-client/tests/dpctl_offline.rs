//! The dpctl binary's offline round trips (text -> netlink -> text), as a
//! user runs them: lines on stdin, one result per line on stdout.

// The corpus reader the daemon's tests use too (tests/corpus/).
#[path = "../../../tests/corpus/mod.rs"]
mod corpus;

use std::io::Write;
use std::process::{Command, Stdio};

fn dpctl(subcommand: &str, input: &str) -> Vec<String> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_dpctl"))
        .arg(subcommand)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("dpctl starts");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
        .expect("write stdin");
    let out = child.wait_with_output().expect("dpctl runs");
    assert!(out.status.success(), "dpctl {subcommand} failed");
    String::from_utf8(out.stdout)
        .expect("utf-8 output")
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
fn parse_keys_prints_exact_keys_back() {
    let keys = [
        "in_port(1),eth(src=00:00:00:00:00:01,dst=00:00:00:00:00:02),eth_type(0x0800),ipv4(src=10.0.0.1,dst=10.0.0.2,proto=6,tos=0,ttl=64,frag=no),tcp(src=80,dst=1024)",
        "skb_priority(0x1),in_port(7),eth(src=0a:00:00:00:00:01,dst=ff:ff:ff:ff:ff:ff),eth_type(0x0806),arp(sip=10.1.1.1,tip=10.1.1.2,op=1,sha=0a:00:00:00:00:01,tha=00:00:00:00:00:00)",
        "in_port(2),eth(src=00:00:00:00:00:01,dst=00:00:00:00:00:02),eth_type(0x88a8),vlan(vid=10,pcp=3),encap(eth_type(0x8100),vlan(vid=20,pcp=0),encap(eth_type(0x86dd),ipv6(src=2001:db8::1,dst=fe80::1,label=0x12345,proto=17,tclass=0x10,hlimit=255,frag=first),udp(src=546,dst=547)))",
    ];
    let input = keys.join("\n") + "\n# a comment\n\n";
    assert_eq!(dpctl("parse-keys", &input), keys);
}

#[test]
fn parse_wc_keys_keeps_masks_and_drops_wildcards() {
    let out = dpctl(
        "parse-wc-keys",
        "in_port(3),eth(src=00:00:00:00:00:01/ff:ff:ff:00:00:00,dst=00:00:00:00:00:02),eth_type(0x0800),ipv4(src=192.168.0.0/255.255.0.0,dst=10.0.0.1/0.0.0.0,proto=17,tos=0/0,ttl=64/0,frag=no),udp(src=0/0,dst=53)\n",
    );
    assert_eq!(
        out,
        ["in_port(3),eth(src=00:00:00:00:00:01/ff:ff:ff:00:00:00,dst=00:00:00:00:00:02),eth_type(0x0800),ipv4(src=192.168.0.0/255.255.0.0,proto=17,frag=no),udp(dst=53)"]
    );
}

#[test]
fn parse_actions_round_trips_and_refuses_by_name() {
    let out = dpctl(
        "parse-actions",
        "2\n1,2,3\ndrop\npush_vlan(vid=10,pcp=0),2\npop_vlan,set(eth(src=00:00:00:00:00:0a,dst=00:00:00:00:00:0b)),1\nset(ipv4(src=1.2.3.0/255.255.255.0)),4\nct(commit),2\nrecirc(1)\n",
    );
    assert_eq!(
        out,
        [
            "2",
            "1,2,3",
            "drop",
            "push_vlan(vid=10,pcp=0),2",
            "pop_vlan,set(eth(src=00:00:00:00:00:0a,dst=00:00:00:00:00:0b)),1",
            "set(ipv4(src=1.2.3.0/255.255.255.0)),4",
            "odp_actions_from_string: error (unsupported action \"ct\")",
            "odp_actions_from_string: error (unsupported action \"recirc\")",
        ]
    );
}

#[test]
fn errors_name_the_offending_token() {
    let out = dpctl(
        "parse-keys",
        "in_port(1),ct_state(0x21/0x3f)\nin_port(1),eth(src=00:00:00:00:00:0g,dst=00:00:00:00:00:02)\n",
    );
    assert_eq!(out.len(), 2);
    assert!(
        out[0].starts_with("odp_flow_from_string: error (") && out[0].contains("ct_state"),
        "{}",
        out[0]
    );
    assert!(out[1].contains("00:00:00:00:00:0g"), "{}", out[1]);
}

/// Open vSwitch's own test strings, when the corpus is next to the checkout:
/// every in-scope KEY / KEY-VLAN line comes back unchanged from parse-keys,
/// every KEY-WC / KEY-WC-VLAN line from parse-wc-keys, every ACTION line from
/// parse-actions; lines using out-of-scope names are refused by name.
#[test]
fn ovs_corpus_through_the_binary() {
    let Some(corpus) = corpus::odp_corpus() else {
        return;
    };
    let lines = |tags: &[&str]| -> Vec<String> {
        corpus
            .lines()
            .filter_map(|l| l.split_once('\t'))
            .filter(|(tag, _)| tags.contains(tag))
            .map(|(_, s)| s.to_owned())
            .collect()
    };
    for (sub, tags) in [
        ("parse-keys", &["KEY", "KEY-VLAN"][..]),
        ("parse-wc-keys", &["KEY-WC", "KEY-WC-VLAN"][..]),
        ("parse-actions", &["ACTION"][..]),
    ] {
        let input = lines(tags);
        let output = dpctl(sub, &(input.join("\n") + "\n"));
        assert_eq!(input.len(), output.len());
        let mut same = 0;
        for (i, o) in input.iter().zip(&output) {
            if i == o {
                same += 1;
            } else {
                assert!(
                    o.contains("error (unsupported"),
                    "{sub}: changed, not refused by name:\n  in: {i}\n out: {o}"
                );
            }
        }
        eprintln!(
            "{sub}: {same} of {} unchanged, the rest refused by name",
            input.len()
        );
        assert!(same > 0);
    }
    let invalid = lines(&["ACTION-INVALID"]);
    for o in dpctl("parse-actions", &(invalid.join("\n") + "\n")) {
        assert!(o.starts_with("odp_actions_from_string: error"), "{o}");
    }
}
