//! A2 at random: mutations of valid requests on the control socket,
//! against a live dpswitchd that forwards traffic. Every datagram is
//! answered, or the connection closed exactly when it cannot be framed;
//! the table changes only through commands that succeeded; the daemon
//! keeps forwarding and exits cleanly.

mod common;
mod hostile;

use common::{Ctl, Received};
use dpswitch::netlink::consts::*;
use dpswitch::netlink::flow::FlowAttrs;
use dpswitch::netlink::msg::NlMsgHeader;
use hostile::corpus::{self, TRAFFIC_UFID};
use hostile::daemon::{errors, install_baseline, start, table};
use hostile::mutate::mutate;
use hostile::rng::{self, Rng};
use hostile::wire::{error_of, Outcome, Wire};
use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

/// Mutated datagrams per run; `HOSTILE_MUTATIONS=<n>` for a longer soak.
fn mutations() -> usize {
    std::env::var("HOSTILE_MUTATIONS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(10_000)
}
/// What the daemon did over the whole mutation run.
#[derive(Default, Debug)]
struct Tally {
    answered: usize,
    closed: usize,
    acks: usize,
    errors: BTreeMap<i32, usize>,
    /// Mutated datagrams after which the table had changed: each held a
    /// mutating flow command that succeeded.
    table_changes: usize,
    resets: usize,
    /// Mutations not sent: they had become datapath or port changes.
    skipped: usize,
}

// A2: 10,000 random mutations of valid requests. Each datagram is answered
// (every message that asked for an ack got one, every error echoes one of
// its messages) or, exactly when it cannot be framed, the connection is
// closed; the table changes only through a mutating flow command that got
// no error; the port keeps receiving throughout, the traffic flow still
// forwards at the end, and the daemon exits cleanly.
#[test]
#[ignore = "needs root: hugepages, DPDK devices, SO_SNDBUFFORCE"]
fn a2_random_mutations() {
    let (mut d, ids) = start("hostile-fuzz");
    let seed = rng::seed();
    println!("control_hostile: seed {seed} (HOSTILE_SEED={seed} replays this run)");
    let mut rng = Rng::new(seed);
    let mut requests = corpus::requests(ids);
    let baseline = table(&mut d.ctl);
    let mut current = baseline.clone();
    let mut wire = Wire::connect(&d.socket());
    let mut tally = Tally::default();
    let mut received = port_stats(&mut d.ctl, 0).0;
    let started = Instant::now();
    let total = mutations();
    for i in 0..total {
        if i % 500 == 499 {
            // The forwarding lcore keeps polling whatever the control
            // socket is fed.
            let now = port_stats(&mut d.ctl, 0).0;
            assert!(now > received, "port 0 stopped receiving by mutation {i}");
            received = now;
            // A small table keeps each check cheap.
            if current != baseline {
                install_baseline(&mut d.ctl);
                current = table(&mut d.ctl);
                tally.resets += 1;
            }
        }
        // Distinct sequence numbers tell the answers apart.
        for r in requests.iter_mut() {
            corpus::set_seq(r, rng.next_u32() >> 4);
        }
        let (datagram, what) = mutate(&mut rng, &requests);
        // A mutation that turned into a well-formed datapath or port
        // change (a DEL of the datapath, a NEW attaching some interface)
        // is a legitimate command, not a hostile one: those are checked by
        // control_vports. It is not sent, so the daemon keeps its ports.
        let framed = frame(&datagram).unwrap_or_else(|| frame_prefix(&datagram));
        if changes_datapath_or_ports(&framed, ids.dp, ids.vport) {
            tally.skipped += 1;
            continue;
        }
        let context = || format!("mutation {i} of seed {seed}: {what:?}\n{datagram:02x?}");
        let outcome = wire.exchange(&datagram);
        let framing = frame(&datagram);
        match (&outcome, framing.is_some()) {
            (Outcome::Answered(_), true) => tally.answered += 1,
            (Outcome::Closed(_), false) => {
                tally.closed += 1;
                wire = Wire::connect(&d.socket());
            }
            // The empty datagram frames as nothing: answering it with
            // nothing is as good as closing.
            (Outcome::Answered(_), false) if datagram.is_empty() => tally.answered += 1,
            _ => panic!(
                "{}\nframes: {}, outcome {outcome:?}",
                context(),
                framing.is_some()
            ),
        }
        let messages = framing.unwrap_or_else(|| frame_prefix(&datagram));
        check_answers(&messages, outcome.replies(), &context);
        for (errno, _) in errors(outcome.replies()) {
            if errno == 0 {
                tally.acks += 1;
            } else {
                *tally.errors.entry(errno).or_default() += 1;
            }
        }
        let now = table(&mut d.ctl);
        if now != current {
            assert!(
                may_change_table(&messages, outcome.replies(), ids.flow),
                "{}\nthe table changed without a successful NEW/SET/DEL:\nreplies {:?}\nbefore {current:#?}\nafter {now:#?}",
                context(),
                outcome.replies()
            );
            tally.table_changes += 1;
            current = now;
        }
    }
    let elapsed = started.elapsed();

    // The traffic flow, restored if a mutation changed it, forwards.
    install_baseline(&mut d.ctl);
    let (packets_before, sent_before) = (traffic_packets(&mut d.ctl), port_stats(&mut d.ctl, 1).1);
    std::thread::sleep(Duration::from_millis(300));
    let (packets_after, sent_after) = (traffic_packets(&mut d.ctl), port_stats(&mut d.ctl, 1).1);
    assert!(
        packets_after > packets_before,
        "the traffic flow stopped counting: {packets_before} -> {packets_after}"
    );
    assert!(
        sent_after > sent_before,
        "port 1 stopped sending: {sent_before} -> {sent_after}"
    );
    println!(
        "control_hostile: seed {seed}: {total} mutated datagrams in {:.1} s: {} answered, {} closed the connection, {} acks, errors by errno {:?}, {} successful mutating commands changed the table (baseline restored {} times), {} datapath/port changes not sent; traffic flow {} -> {} packets",
        elapsed.as_secs_f64(),
        tally.answered,
        tally.closed,
        tally.acks,
        tally.errors,
        tally.table_changes,
        tally.resets,
        tally.skipped,
        packets_before,
        packets_after
    );
    d.stop();
}

/// A message as the daemon frames it: its header and its bytes.
struct Framed<'a> {
    header: NlMsgHeader,
    payload: &'a [u8],
}

/// The messages of `datagram` when all of it frames (each nlmsg_len at
/// least 16 and within what is left), else None. Written here, not taken
/// from the daemon's codec, so the test checks the daemon's framing.
fn frame(datagram: &[u8]) -> Option<Vec<Framed<'_>>> {
    let mut out = Vec::new();
    let mut rest = datagram;
    while !rest.is_empty() {
        let (m, used) = frame_one(rest)?;
        out.push(m);
        rest = &rest[used..];
    }
    (!datagram.is_empty()).then_some(out)
}

/// The messages before the first that does not frame.
fn frame_prefix(datagram: &[u8]) -> Vec<Framed<'_>> {
    let mut out = Vec::new();
    let mut rest = datagram;
    while let Some((m, used)) = frame_one(rest) {
        out.push(m);
        rest = &rest[used..];
    }
    out
}

fn frame_one(buf: &[u8]) -> Option<(Framed<'_>, usize)> {
    if buf.len() < NLMSG_HDRLEN {
        return None;
    }
    let header = NlMsgHeader::parse(buf).ok()?;
    let len = header.len as usize;
    if len < NLMSG_HDRLEN || len > buf.len() {
        return None;
    }
    let used = ((len + 3) & !3).min(buf.len());
    Some((
        Framed {
            header,
            payload: &buf[NLMSG_HDRLEN..len],
        },
        used,
    ))
}

/// Every framed message that asked for an ack got an NLMSG_ERROR or
/// NLMSG_DONE with its sequence number, and every NLMSG_ERROR echoes the
/// header of one of the messages.
fn check_answers(messages: &[Framed<'_>], replies: &[Received], context: &dyn Fn() -> String) {
    let mut wanted: HashMap<u32, usize> = HashMap::new();
    for m in messages.iter().filter(|m| m.header.flags & NLM_F_ACK != 0) {
        *wanted.entry(m.header.seq).or_default() += 1;
    }
    let mut ends: HashMap<u32, usize> = HashMap::new();
    for r in replies {
        if r.header.msg_type == NLMSG_ERROR || r.header.msg_type == NLMSG_DONE {
            *ends.entry(r.header.seq).or_default() += 1;
        }
        if let Some(e) = error_of(r) {
            let echoes = |m: &&Framed<'_>| {
                m.header == e.request && e.request_payload.is_none_or(|p| p == m.payload)
            };
            assert!(
                messages.iter().any(|m| echoes(&m)),
                "{}\nan error echoes no message of the datagram: {r:?}",
                context()
            );
        }
    }
    for (seq, n) in wanted {
        assert!(
            ends.get(&seq).copied().unwrap_or(0) >= n,
            "{}\n{n} message(s) with seq {seq} asked for an ack and got none: {replies:?}",
            context()
        );
    }
}

/// Whether a message of the datagram could have changed the table: an
/// ovs_flow NEW, SET or DEL request that drew no error. Messages are told
/// apart by all their bytes, as errors echo them.
/// Whether a message is a NEW, DEL or SET of `ovs_datapath` or
/// `ovs_vport` (the same command numbers in both families), which the daemon would run (with the admin's rights).
fn changes_datapath_or_ports(messages: &[Framed<'_>], dp: u16, vport: u16) -> bool {
    messages.iter().any(|m| {
        (m.header.msg_type == dp || m.header.msg_type == vport)
            && m.header.flags & NLM_F_REQUEST != 0
            && !m.payload.is_empty()
            && matches!(
                m.payload[0],
                OVS_DP_CMD_NEW | OVS_DP_CMD_DEL | OVS_DP_CMD_SET
            )
    })
}

fn may_change_table(messages: &[Framed<'_>], replies: &[Received], flow_family: u16) -> bool {
    let id = |h: &NlMsgHeader| (h.len, h.msg_type, h.flags, h.seq, h.pid);
    let mut unrefused: HashMap<_, isize> = HashMap::new();
    for m in messages {
        let mutating = m.header.msg_type == flow_family
            && m.header.flags & NLM_F_REQUEST != 0
            && m.header.flags & NLM_F_DUMP != NLM_F_DUMP
            && m.payload.len() >= GENL_HDRLEN + OVS_HEADER_LEN
            && matches!(
                m.payload[0],
                OVS_FLOW_CMD_NEW | OVS_FLOW_CMD_SET | OVS_FLOW_CMD_DEL
            );
        if mutating {
            *unrefused.entry((id(&m.header), m.payload)).or_default() += 1;
        }
    }
    for e in replies.iter().filter_map(error_of) {
        if let (true, Some(payload)) = (e.errno != 0, e.request_payload) {
            if let Some(n) = unrefused.get_mut(&(id(&e.request), payload)) {
                *n -= 1;
            }
        }
    }
    unrefused.values().any(|n| *n > 0)
}

/// Received and sent packets of datapath port `number`.
fn port_stats(ctl: &mut Ctl, number: u32) -> (u64, u64) {
    let attrs = corpus::attrs(|w| w.put_u32(OVS_VPORT_ATTR_PORT_NO, number));
    let (family, dp) = (ctl.vport_family, ctl.dp_ifindex);
    let reply = ctl.ovs(family, OVS_VPORT_CMD_GET, 0, dp, &attrs);
    assert_eq!(reply.errno, 0, "vport {number}: {reply:?}");
    let stats = reply.messages[0]
        .attr(OVS_VPORT_ATTR_STATS)
        .expect("vport stats");
    let field = |i: usize| u64::from_ne_bytes(stats[i * 8..i * 8 + 8].try_into().unwrap());
    (field(0), field(1))
}

fn traffic_packets(ctl: &mut Ctl) -> u64 {
    let reply = ctl.flow(
        OVS_FLOW_CMD_GET,
        0,
        &FlowAttrs {
            ufid: Some(TRAFFIC_UFID.to_vec()),
            ..FlowAttrs::default()
        },
    );
    assert_eq!(reply.errno, 0, "traffic flow: {reply:?}");
    reply.flows()[0].stats.unwrap_or_default().packets
}
