//! The smallest packet pool the switch accepts, under pressure: small
//! rings, a handler that never reads its upcalls, floods of misses and
//! hits, and a controller's executes, all at once. The pool the switch
//! admits feeds the rings throughout (no rx_nombuf: executes are refused
//! before they take the PMDs' reserve), every upcall lost is counted with
//! its reason, every received packet is counted once, nothing leaks, and
//! forwarding recovers when the pressure ends.

mod common;

use common::{
    assert_clean_exit, assert_counters_add_up, ping_until_answered, plumb_addr, port_exit_counters,
    tap_switch, Background, Daemon, Netns, PING_FLOWS,
};
use dpswitch_client::client::Client;
use nix::errno::Errno;
use std::time::Duration;

const SMALL: &str = "queue_size = 64\nupcall_queue = 64\n";

/// Floods UDP datagrams no flow matches, each one a miss.
const MISSES: &str = r#"
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
end = time.time() + 6
n = 0
while time.time() < end:
    try:
        s.sendto(b'x' * 1000, ('10.66.0.2', 9 + n % 1000))
    except OSError:
        pass
    n += 1
print('sent', n)
"#;

/// The pool the switch's admission check asks for with [`SMALL`] rings on
/// two ports and one PMD lcore: rx and tx rings, then the lcore's burst,
/// cache and upcall queue, and the management lcore's cache.
const SMALLEST_POOL: u32 = 2 * (64 + 64) + (64 + 256 + 64) + 256;

/// Asserts a pool one mbuf short of `pool` is refused at launch.
fn refused(ifaces: &[&str], pool: u32) {
    let vdevs: Vec<String> = ifaces
        .iter()
        .enumerate()
        .map(|(k, i)| format!("net_tap{k},iface={i}"))
        .collect();
    let dir = common::test_socket_path("rpoolprobe");
    let conf = dir.with_file_name("probe.toml");
    let text = format!("[datapath]\nmempool_size = {}\n{SMALL}", pool - 1);
    std::fs::write(&conf, text).unwrap();
    let daemon = Daemon::start("rpoolprobe", &vdevs, &["--config", conf.to_str().unwrap()]);
    let (status, lines) = daemon.wait_exit(Duration::from_secs(60));
    let _ = std::fs::remove_dir_all(dir.parent().unwrap());
    assert_eq!(
        status.code(),
        Some(1),
        "a pool of {} mbufs: {lines:?}",
        pool - 1
    );
}

/// Executes from one pipelined client, each sending four copies of a
/// large frame out of port 2, for `how_long`; how many were done and
/// how many refused for want of mbufs (ENOMEM).
fn execute_storm(socket: &std::path::Path, how_long: Duration) -> (u64, u64) {
    let mut client = Client::connect(socket).expect("connect");
    let dp = client.only_datapath().unwrap().dp_ifindex;
    let mut frame = Vec::new();
    etherparse::PacketBuilder::ethernet2([2, 0x66, 0, 0, 0, 7], [2, 0x66, 0, 0, 0, 8])
        .ipv4([10, 66, 0, 7], [10, 66, 0, 8], 64)
        .udp(7, 9)
        .write(&mut frame, &[0u8; 1300])
        .unwrap();
    let key = common::key_text("in_port(1)");
    let actions =
        common::actions_text("2,set(ipv4(ttl=3)),2,set(ipv4(ttl=4)),2,set(ipv4(ttl=5)),2");
    let request = client.execute_request(dp, &frame, &key, &actions).unwrap();
    let (mut done, mut refused) = (0, 0);
    let start = std::time::Instant::now();
    while start.elapsed() < how_long {
        let seqs: Vec<u32> = (0..2000)
            .map(|_| client.submit(&request).expect("submit"))
            .collect();
        for seq in seqs {
            match client.collect(seq) {
                Ok(_) => done += 1,
                Err(e) if e.errno == Errno::ENOMEM => refused += 1,
                Err(e) => panic!("execute: {e}"),
            }
        }
    }
    (done, refused)
}

#[test]
#[ignore = "needs root: network namespaces"]
fn smallest_pool_survives_unread_upcalls_and_floods() {
    common::require_netns_tests(false);
    let id = std::process::id() % 100_000;
    let (ia, ib) = (format!("rmp{id}a"), format!("rmp{id}b"));
    let pool = SMALLEST_POOL;
    refused(&[&ia, &ib], pool);
    let extra = format!("{SMALL}mempool_size = {pool}\n");
    let mut daemon = tap_switch(
        "rpool",
        &[&ia, &ib],
        &PING_FLOWS,
        &extra,
        &["--stats-interval", "1"],
    );
    let (na, nb) = (
        Netns::new(format!("dpsw-{id}-mpa")),
        Netns::new(format!("dpsw-{id}-mpb")),
    );
    plumb_addr(&na, &ia, "10.66.0.1");
    plumb_addr(&nb, &ib, "10.66.0.2");
    ping_until_answered(&na, "10.66.0.2", Duration::from_secs(20));

    // The handler of both ports, which never reads.
    let mut deaf = Client::connect(&daemon.socket).expect("connect");
    let dp = deaf.only_datapath().unwrap().dp_ifindex;
    for port in [1, 2] {
        deaf.handle_upcalls(dp, port, true).expect("handler");
    }
    let hits = Background::start(&na, &["ping", "-f", "-q", "-s", "1400", "10.66.0.2"]);
    let back = Background::start(&nb, &["ping", "-f", "-q", "-s", "1400", "10.66.0.1"]);
    let socket = daemon.socket.clone();
    let executes = std::thread::spawn(move || execute_storm(&socket, Duration::from_secs(5)));
    let misses = na.exec(&["python3", "-c", MISSES]);
    let (done, refused) = executes.join().unwrap();
    let (hits, back) = (hits.interrupt(), back.interrupt());
    println!("pressure: {misses}; executes {done} done, {refused} refused; {hits}; {back}");
    assert!(done > 0, "executes went through");

    ping_until_answered(&na, "10.66.0.2", Duration::from_secs(30));
    let got = common::ping_answered(&na, "10.66.0.2", 5, "0.1");
    assert!(got >= 4, "{got} of 5 after the pressure");
    daemon.wait_for("stats: datapath", Duration::from_secs(10));
    drop(deaf);

    let (status, lines) = daemon.stop();
    assert_clean_exit(status, &lines);
    let dp = assert_counters_add_up(&lines);
    let (a, b) = (port_exit_counters(&lines, 1), port_exit_counters(&lines, 2));
    println!("pool {pool}: {a:?} {b:?} {dp:?}");
    assert_eq!(dp["received"], a["rx_packets"] + b["rx_packets"]);
    for port in [&a, &b] {
        assert_eq!(port["rx_nombuf"], 0, "the admitted pool ran dry: {port:?}");
    }
    assert!(a["upcall_lost_unread"] > 0, "the deaf handler: {a:?}");
    let reasons: u64 = [&a, &b]
        .iter()
        .flat_map(|p| p.iter())
        .filter(|(k, _)| k.starts_with("upcall_lost_"))
        .map(|(_, v)| v)
        .sum();
    // The datapath's lost also counts what a port could not send.
    assert!(dp["lost"] >= reasons, "{dp:?}, {reasons} by reason");
    if a["tx_errors"] + b["tx_errors"] == 0 {
        assert_eq!(dp["lost"], reasons, "every loss has its reason");
    }
}
