//! SIGTERM in the middle of everything: a ping flood crosses two net_tap
//! ports while one pipelined client adds, changes and deletes flows as
//! fast as it can. dpswitchd still exits 0 with every mbuf back, leaves no
//! hugepage file behind, and the client sees its connection closed rather
//! than waiting forever.

mod common;

use common::{
    assert_clean_exit, assert_counters_add_up, flow_text, hugepage_files, ping_summary, tap_switch,
    Background, Netns, PING_FLOWS, WINDOW,
};
use dpswitch::netlink::consts::*;
use dpswitch_client::client::{Client, ClientError, Request};
use nix::errno::Errno;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

/// Keys the storm cycles through; none matches the ping traffic.
const STORM_KEYS: u32 = 512;

/// NEW, SET and DEL of flow `i`, a UDP port no ping uses.
fn storm_requests(client: &mut Client, dp: i32) -> Vec<Request> {
    let mut requests = Vec::new();
    for i in 0..STORM_KEYS {
        let key = format!(
            "in_port(1),eth(),eth_type(0x0800),ipv4(proto=17,frag=no),udp(dst={})",
            20_000 + i
        );
        let new = flow_text(&key, Some("2"));
        let set = flow_text(&key, Some("set(udp(dst=9)),2"));
        let del = flow_text(&key, None);
        requests.push(
            client
                .flow_request(OVS_FLOW_CMD_NEW, dp, &new)
                .unwrap()
                .with_flags(NLM_F_CREATE),
        );
        requests.push(client.flow_request(OVS_FLOW_CMD_SET, dp, &set).unwrap());
        requests.push(client.flow_request(OVS_FLOW_CMD_DEL, dp, &del).unwrap());
    }
    requests
}

/// Sends the requests round after round, half a window collected at a
/// time, until the connection fails; returns that failure.
fn storm(client: &mut Client, requests: &[Request], answered: &AtomicU64) -> ClientError {
    let mut unanswered = VecDeque::new();
    loop {
        for req in requests {
            match client.submit(req) {
                Ok(seq) => unanswered.push_back(seq),
                Err(e) => return e,
            }
            if unanswered.len() >= WINDOW {
                for seq in unanswered.drain(..WINDOW / 2).collect::<Vec<_>>() {
                    if let Err(e) = client.collect(seq) {
                        return e;
                    }
                    answered.fetch_add(1, Relaxed);
                }
            }
        }
    }
}

#[test]
#[ignore = "needs root: network namespaces"]
fn sigterm_during_flow_storm_and_ping_flood_exits_clean() {
    common::require_netns_tests(false);
    let before = hugepage_files();
    let id = std::process::id() % 100_000;
    let (ia, ib) = (format!("rst{id}a"), format!("rst{id}b"));
    let daemon = tap_switch("rstorm", &[&ia, &ib], &PING_FLOWS, "", &[]);
    let (na, nb) = (
        Netns::new(format!("dpsw-{id}-sta")),
        Netns::new(format!("dpsw-{id}-stb")),
    );
    // ARP left dynamic: it crosses the switch too.
    common::plumb_addr(&na, &ia, "10.61.0.1");
    common::plumb_addr(&nb, &ib, "10.61.0.2");
    common::ping_until_answered(&na, "10.61.0.2", Duration::from_secs(20));

    let flood = Background::start(&na, &["ping", "-f", "-q", "-n", "10.61.0.2"]);
    let mut client = Client::connect(&daemon.socket).expect("connect");
    let dp = client.only_datapath().expect("datapath").dp_ifindex;
    let requests = storm_requests(&mut client, dp);
    let answered = Arc::new(AtomicU64::new(0));
    let (done_tx, done) = mpsc::channel();
    let counter = Arc::clone(&answered);
    std::thread::spawn(move || {
        let error = storm(&mut client, &requests, &counter);
        let _ = done_tx.send(error);
    });

    // Well into the storm: sixteen rounds of every key's NEW, SET and DEL.
    let deadline = Instant::now() + Duration::from_secs(30);
    while answered.load(Relaxed) < 16 * 3 * u64::from(STORM_KEYS) {
        assert!(
            Instant::now() < deadline,
            "the storm stalled at {} answers",
            answered.load(Relaxed)
        );
        if let Ok(e) = done.try_recv() {
            panic!("the storm failed before SIGTERM: {e}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let (status, lines) = daemon.stop();
    let error = done
        .recv_timeout(Duration::from_secs(20))
        .expect("the storm client hangs on a daemon that has gone");
    let flood = flood.interrupt();

    assert_clean_exit(status, &lines);
    let closed = [Errno::ECONNRESET, Errno::EPIPE, Errno::ENOTCONN];
    assert!(
        closed.contains(&error.errno),
        "the storm ended on {error}, not on a closed connection"
    );
    let (sent, received) = ping_summary(&flood);
    assert!(
        received > 100 && sent >= received,
        "the flood crossed the switch: {flood}"
    );
    let dp = assert_counters_add_up(&lines);
    assert!(dp["hit"] >= received, "echoes rode the flows: {dp:?}");
    let after = hugepage_files();
    let left: Vec<&String> = after.difference(&before).collect();
    assert!(left.is_empty(), "hugepage files left: {left:?}");
    println!(
        "storm: {} changes answered before SIGTERM, flood {received} of {sent}",
        answered.load(Relaxed)
    );
}
