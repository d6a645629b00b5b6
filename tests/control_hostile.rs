//! A2: malformed, truncated, oversized and hostile input on the control
//! socket, against a live dpswitchd that forwards traffic. Every message
//! gets an error reply, or the connection is closed when the datagram
//! cannot be framed; the daemon keeps running and forwarding, the table
//! changes only through commands that succeeded, and it exits cleanly
//! (no mbuf leaked).

mod common;
mod hostile;

use common::errno::*;
use dpswitch::netlink::attr::AttrWriter;
use dpswitch::netlink::consts::*;
use dpswitch::netlink::flow::FlowAttrs;
use dpswitch::netlink::msg::NlMsgHeader;
use hostile::corpus::{self, Ids, TRAFFIC_UFID};
use hostile::daemon::{errors, start, table};
use hostile::wire::{Outcome, Wire};

/// The daemon's receive buffer: a longer datagram is refused.
const DAEMON_RECV_BUFFER: usize = 256 * 1024;

fn with_seq(mut message: Vec<u8>, seq: u32) -> Vec<u8> {
    corpus::set_seq(&mut message, seq);
    message
}

fn set_nlmsg_len(message: &mut [u8], len: u32) {
    message[..4].copy_from_slice(&len.to_ne_bytes());
}

fn expect_closed(outcome: &Outcome, what: &str) {
    assert!(
        outcome.closed(),
        "{what}: the connection stays open: {outcome:?}"
    );
}

/// The datagram was answered with exactly one error, `errno`, for `seq`.
fn expect_error(outcome: &Outcome, errno: i32, seq: u32, what: &str) {
    match outcome {
        Outcome::Answered(replies) => {
            assert_eq!(errors(replies), [(errno, seq)], "{what}: {replies:?}")
        }
        Outcome::Closed(_) => panic!("{what}: closed instead of answered {errno}"),
    }
}

/// A flow NEW with NLM_F_ACK | NLM_F_CREATE for a flow from port 1 to
/// `dst` that no baseline flow overlaps.
fn new_flow(ids: Ids, dst: [u8; 4], seq: u32) -> Vec<u8> {
    let f = common::flow_text(
        &format!(
            "in_port(1),eth(),eth_type(0x0800),ipv4(dst={}.{}.{}.{},frag=no)",
            dst[0], dst[1], dst[2], dst[3]
        ),
        Some("0"),
    );
    with_seq(
        corpus::ovs(
            ids.flow,
            OVS_FLOW_CMD_NEW,
            NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE,
            ids.dp_ifindex,
            &corpus::flow_attrs(&f),
        ),
        seq,
    )
}

/// A GETFAMILY "ovs_flow" with NLM_F_ACK: a reply, then an ack.
fn getfamily(seq: u32) -> Vec<u8> {
    let attrs = corpus::attrs(|w| w.put(CTRL_ATTR_FAMILY_NAME, b"ovs_flow\0"));
    with_seq(
        corpus::ctrl(CTRL_CMD_GETFAMILY, NLM_F_REQUEST | NLM_F_ACK, &attrs),
        seq,
    )
}

// A2: headers shorter than 16 bytes, lengths that lie (below the header,
// past the datagram), the empty datagram, and stray bytes after a whole
// message cannot be framed: the connection is closed, the daemon goes on.
#[test]
#[ignore = "needs root: hugepages, DPDK devices, SO_SNDBUFFORCE"]
fn a2_unframeable_datagrams_close_the_connection() {
    let (mut d, ids) = start("hostile-framing");
    let before = table(&mut d.ctl);
    let valid = new_flow(ids, [10, 60, 0, 1], 1);
    let mut cases: Vec<(String, Vec<u8>)> = (1..NLMSG_HDRLEN)
        .map(|n| (format!("{n}-byte header"), valid[..n].to_vec()))
        .collect();
    for len in [0u32, 1, 8, 15] {
        let mut m = valid.clone();
        set_nlmsg_len(&mut m, len);
        cases.push((format!("nlmsg_len {len} below the header"), m));
    }
    for extra in [1u32, 4, 4096, u32::MAX - valid.len() as u32] {
        let mut m = valid.clone();
        set_nlmsg_len(&mut m, valid.len() as u32 + extra);
        cases.push((format!("nlmsg_len {extra} past the datagram"), m));
    }
    for stray in [4, 15] {
        let mut m = getfamily(2);
        m.extend(std::iter::repeat_n(0xee, stray));
        cases.push((format!("{stray} stray bytes after a message"), m));
    }
    let mut wire = Wire::connect(&d.socket());
    for (what, datagram) in &cases {
        let outcome = wire.exchange(datagram);
        expect_closed(&outcome, what);
        if what.contains("stray") {
            // What came before the stray bytes was served.
            assert_eq!(errors(outcome.replies()), [(0, 2)], "{what}");
        }
        wire = Wire::connect(&d.socket());
    }
    // The empty datagram: nothing to answer; closing is allowed.
    let outcome = wire.exchange(&[]);
    assert!(outcome.replies().is_empty(), "empty datagram: {outcome:?}");
    assert_eq!(table(&mut d.ctl), before);
    d.stop();
}

// A2: a message that frames but lacks its generic netlink header or its
// ovs_header, whole or in part, is answered EINVAL.
#[test]
#[ignore = "needs root: hugepages, DPDK devices, SO_SNDBUFFORCE"]
fn a2_missing_headers_are_einval() {
    let (mut d, ids) = start("hostile-headers");
    let before = table(&mut d.ctl);
    let mut wire = Wire::connect(&d.socket());
    let header_only = |msg_type: u16, len: usize, seq: u32| {
        let mut out = Vec::new();
        NlMsgHeader {
            len: len as u32,
            msg_type,
            flags: NLM_F_REQUEST | NLM_F_ACK,
            seq,
            pid: 0,
        }
        .write(&mut out);
        // What the length claims beyond the header: a genl command of 1
        // (NEW/GETFAMILY-like) and zeros.
        out.extend([1, 1, 0, 0, 1, 0, 0, 0].iter().take(len - NLMSG_HDRLEN));
        out.resize((len + 3) & !3, 0);
        out
    };
    let mut seq = 10;
    for (family, name) in [
        (ids.flow, "ovs_flow"),
        (ids.dp, "ovs_datapath"),
        (ids.vport, "ovs_vport"),
        (FAMILY_PACKET_ID, "ovs_packet"),
        (GENL_ID_CTRL, "nlctrl"),
    ] {
        // No genl header, half of one, then (ovs families) no ovs_header
        // and half of one.
        let lens: &[usize] = if family == GENL_ID_CTRL {
            &[16, 18]
        } else {
            &[16, 18, 20, 22]
        };
        for &len in lens {
            seq += 1;
            let outcome = wire.exchange(&header_only(family, len, seq));
            expect_error(&outcome, EINVAL, seq, &format!("{name}, {len} bytes"));
        }
    }
    assert_eq!(table(&mut d.ctl), before);
    d.stop();
}

/// The packet family's id as the daemon serves it (docs/control-socket.md).
const FAMILY_PACKET_ID: u16 = 0x23;

// A2: attribute lengths below the 4-byte header, and nested attributes
// running past their parent, in keys, masks and actions: EINVAL, and the
// table is as it was.
#[test]
#[ignore = "needs root: hugepages, DPDK devices, SO_SNDBUFFORCE"]
fn a2_bad_attribute_lengths_are_einval() {
    let (mut d, ids) = start("hostile-attrs");
    let before = table(&mut d.ctl);
    let mut wire = Wire::connect(&d.socket());
    let valid = new_flow(ids, [10, 61, 0, 1], 0);
    // Attribute headers in the valid message: top level at 24, the key
    // nest first, its in_port attribute right inside it.
    let key_at = 24;
    assert_eq!(
        u16::from_ne_bytes([valid[key_at + 2], valid[key_at + 3]]),
        OVS_FLOW_ATTR_KEY
    );
    let key_len = usize::from(u16::from_ne_bytes([valid[key_at], valid[key_at + 1]]));
    let inner_at = key_at + 4;
    let actions_at = (key_at + key_len + 3) & !3;
    let actions_at = next_attr_of(&valid, actions_at, OVS_FLOW_ATTR_ACTIONS);
    let action_at = actions_at + 4;
    let mut cases: Vec<(String, usize, u16)> = Vec::new();
    for len in 0..4u16 {
        cases.push((format!("key nest length {len}"), key_at, len));
        cases.push((format!("first key attribute length {len}"), inner_at, len));
        cases.push((format!("output action length {len}"), action_at, len));
    }
    // Past the parent: the in_port attribute beyond the key nest, the
    // output action beyond the actions nest, the key nest beyond the
    // message.
    let past = |at: usize, end: usize| (end - at + 4) as u16;
    cases.push((
        "first key attribute past the key".into(),
        inner_at,
        past(inner_at, key_at + key_len),
    ));
    let actions_len = usize::from(u16::from_ne_bytes([
        valid[actions_at],
        valid[actions_at + 1],
    ]));
    cases.push((
        "output past the actions".into(),
        action_at,
        past(action_at, actions_at + actions_len),
    ));
    cases.push((
        "key past the message".into(),
        key_at,
        past(key_at, valid.len()),
    ));
    cases.push(("key of 0xffff bytes".into(), key_at, 0xffff));
    for (seq, (what, at, len)) in cases.into_iter().enumerate() {
        let seq = 100 + seq as u32;
        let mut m = with_seq(valid.clone(), seq);
        m[at..at + 2].copy_from_slice(&len.to_ne_bytes());
        let outcome = wire.exchange(&m);
        expect_error(&outcome, EINVAL, seq, &what);
    }
    // nlctrl reads its attributes leniently too: a cut name is no name.
    let mut m = getfamily(200);
    m[20..22].copy_from_slice(&2u16.to_ne_bytes());
    expect_error(&wire.exchange(&m), EINVAL, 200, "family name length 2");
    assert_eq!(table(&mut d.ctl), before);
    d.stop();
}

/// The offset of the first top-level attribute of `kind` at or after `at`.
fn next_attr_of(message: &[u8], mut at: usize, kind: u16) -> usize {
    while at + 4 <= message.len() {
        let len = usize::from(u16::from_ne_bytes([message[at], message[at + 1]]));
        if u16::from_ne_bytes([message[at + 2], message[at + 3]]) == kind {
            return at;
        }
        at += (len.max(4) + 3) & !3;
    }
    panic!("no attribute {kind}");
}

// A2: a datagram larger than the daemon's receive buffer is refused
// whole with EMSGSIZE (or the connection is closed): none of its
// messages runs, whether the buffer cuts a message or falls exactly
// between two.
#[test]
#[ignore = "needs root: hugepages, DPDK devices, SO_SNDBUFFORCE"]
fn a2_oversized_datagrams_are_refused_whole() {
    let (mut d, ids) = start("hostile-huge");
    let before = table(&mut d.ctl);
    let mut wire = Wire::connect(&d.socket());
    wire.force_send_buffer(4 << 20);

    // One 300 KiB message: a valid flow NEW after five unknown
    // attributes of 60,000 bytes.
    let mut attrs = AttrWriter::new();
    for _ in 0..5 {
        attrs.put(OVS_FLOW_ATTR_MAX + 1, &vec![0x5a; 60_000]);
    }
    let f = common::flow_text(
        "in_port(1),eth(),eth_type(0x0800),ipv4(dst=10.62.0.1,frag=no)",
        Some("0"),
    );
    let mut body = attrs.as_bytes().to_vec();
    body.extend(corpus::flow_attrs(&f));
    let one = with_seq(
        corpus::ovs(
            ids.flow,
            OVS_FLOW_CMD_NEW,
            NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE,
            ids.dp_ifindex,
            &body,
        ),
        300,
    );
    assert!(one.len() > 300_000);
    expect_refused(&wire.exchange(&one), 300, "one 300 KiB message");
    wire = Wire::connect(&d.socket());
    wire.force_send_buffer(4 << 20);

    // Many small NEWs, 1 KiB each, so the buffer ends exactly between
    // two of them; then the same cut inside a message.
    for (what, size) in [("boundary", 1024), ("inside", 1000)] {
        let datagram: Vec<u8> = (0..300u32)
            .flat_map(|i| {
                let mut m = new_flow(ids, [10, 63, (i >> 8) as u8, i as u8], 1000 + i);
                pad_message(&mut m, size);
                m
            })
            .collect();
        assert!(datagram.len() > DAEMON_RECV_BUFFER);
        if size == 1024 {
            assert_eq!(DAEMON_RECV_BUFFER % size, 0);
        }
        expect_refused(
            &wire.exchange(&datagram),
            1000,
            &format!("300 NEWs, buffer ends {what} a message"),
        );
        assert_eq!(table(&mut d.ctl), before, "{what}: nothing of it ran");
        wire = Wire::connect(&d.socket());
        wire.force_send_buffer(4 << 20);
    }
    // Still served.
    let outcome = wire.exchange(&getfamily(7));
    assert_eq!(errors(outcome.replies()), [(0, 7)]);
    assert_eq!(table(&mut d.ctl), before);
    d.stop();
}

/// EMSGSIZE for the datagram's first message (`seq`) and nothing else, or
/// a closed connection with no reply at all.
fn expect_refused(outcome: &Outcome, seq: u32, what: &str) {
    let replies = errors(outcome.replies());
    assert!(
        replies == [(EMSGSIZE, seq)] || (outcome.closed() && replies.is_empty()),
        "{what}: {} answers, the first {:?}",
        replies.len(),
        &replies[..replies.len().min(4)]
    );
}

/// Grows a message to `size` bytes with an attribute the flow family
/// ignores (an unknown id).
fn pad_message(m: &mut Vec<u8>, size: usize) {
    let pad = size - m.len();
    assert!(pad >= 4 && pad.is_multiple_of(4));
    m.extend(((pad as u16).to_ne_bytes()).iter());
    m.extend((OVS_FLOW_ATTR_MAX + 1).to_ne_bytes());
    m.resize(size, 0);
    set_nlmsg_len(m, size as u32);
}

// A2: one bad message among valid ones in a datagram. A malformed one is
// answered EINVAL between the others' answers; one that cannot be framed
// closes the connection after what came before it ran, and nothing after
// it runs.
#[test]
#[ignore = "needs root: hugepages, DPDK devices, SO_SNDBUFFORCE"]
fn a2_one_bad_message_among_many() {
    let (mut d, ids) = start("hostile-batch");
    let mut wire = Wire::connect(&d.socket());
    let before = table(&mut d.ctl);
    let mut bad = new_flow(ids, [10, 64, 0, 2], 3);
    bad[28..30].copy_from_slice(&2u16.to_ne_bytes()); // in_port of 2 bytes
    let get = corpus::ovs(
        ids.flow,
        OVS_FLOW_CMD_GET,
        NLM_F_REQUEST | NLM_F_ACK,
        ids.dp_ifindex,
        &corpus::flow_attrs(&FlowAttrs {
            ufid: Some(TRAFFIC_UFID.to_vec()),
            ..FlowAttrs::default()
        }),
    );
    let datagram = [
        getfamily(1),
        new_flow(ids, [10, 64, 0, 1], 2),
        bad,
        with_seq(get, 4),
        new_flow(ids, [10, 64, 0, 3], 5),
    ]
    .concat();
    let outcome = wire.exchange(&datagram);
    let Outcome::Answered(replies) = &outcome else {
        panic!("closed: {outcome:?}");
    };
    assert_eq!(
        errors(replies),
        [(0, 1), (0, 2), (EINVAL, 3), (0, 4), (0, 5)],
        "{replies:?}"
    );
    let after = table(&mut d.ctl);
    assert_eq!(after.len(), before.len() + 2);

    let mut unframeable = getfamily(7);
    set_nlmsg_len(&mut unframeable, 8);
    let datagram = [
        new_flow(ids, [10, 64, 0, 6], 6),
        unframeable,
        new_flow(ids, [10, 64, 0, 8], 8),
    ]
    .concat();
    let outcome = wire.exchange(&datagram);
    expect_closed(&outcome, "an unframeable message in the middle");
    assert_eq!(errors(outcome.replies()), [(0, 6)]);
    let last = table(&mut d.ctl);
    assert_eq!(last.len(), after.len() + 1, "only the first NEW ran");
    d.stop();
}
