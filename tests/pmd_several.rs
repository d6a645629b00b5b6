//! Three PMD lcores on this 2-CPU machine (`--lcores=0@0,1@1,2@1,3@1`:
//! the main lcore on CPU 0, the PMDs time-sharing CPU 1) forwarding UDP
//! from one namespace to another through two `net_tap` ports. With three
//! PMDs each tap has three queue pairs (a PMD needs a tx queue of its
//! own, and net_tap pairs rx with tx), and the kernel's tap driver spreads
//! flows over the rx queues by their hash, which is what RSS does on a
//! NIC. Checked: each PMD received packets; a flow whose packets arrive
//! on all three PMDs counts them all (one table, counters summed over the
//! PMDs); every datagram sent arrives once (sequence numbers at the
//! receiver); flows added while traffic runs forward from then on, and
//! every packet is a hit or a miss, counted once.

mod common;

use common::{
    dpctl_ok, plumb, plumb_addr, require_netns_tests, switch_launched, Background, Launch, Netns,
};
use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

/// Sends numbered datagrams: `rounds` rounds of, for each destination
/// port, one datagram from each of `sources` sockets (distinct source
/// ports, so distinct 5-tuples), at most `pps` a second. Prints the count.
const SENDER: &str = r#"
import socket, sys, time
dst, first, ports, sources, rounds, pps = sys.argv[1], *map(int, sys.argv[2:7])
socks = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(sources)]
sent, start = 0, time.monotonic()
for r in range(rounds):
    for p in range(first, first + ports):
        for i, s in enumerate(socks):
            s.sendto(b"%d:%d:%d" % (i, r, p), (dst, p))
            sent += 1
            while sent > (time.monotonic() - start) * pps:
                time.sleep(0.0005)
print(sent, flush=True)
"#;

/// Counts datagrams per destination port until SIGINT, then prints
/// `port received distinct` lines; touches READY once listening.
const RECEIVER: &str = r#"
import select, signal, socket, sys
ready, ports = sys.argv[1], [int(p) for p in sys.argv[2:]]
stop = []
signal.signal(signal.SIGINT, lambda *a: stop.append(1))
socks = {}
for p in ports:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
    s.bind(("0.0.0.0", p))
    s.setblocking(False)
    socks[s] = p
seen = {p: [0, set()] for p in ports}
open(ready, "w").close()
while not stop:
    try:
        r, _, _ = select.select(list(socks), [], [], 0.1)
    except InterruptedError:
        continue
    for s in r:
        while True:
            try:
                data = s.recv(2048)
            except BlockingIOError:
                break
            seen[socks[s]][0] += 1
            seen[socks[s]][1].add(data)
for p in ports:
    print(p, seen[p][0], len(seen[p][1]))
"#;

const WIDE_PORT: u16 = 3000;
const FIRST_PORT: u16 = 2000;
const LATE_FLOWS: u16 = 16;

fn udp_flow(dst: u16) -> String {
    format!("in_port(1),eth(),eth_type(0x0800),ipv4(proto=17,frag=no),udp(dst={dst})")
}

/// Each PMD's `Rx packets` from `dpctl pmd-perf-show`, by lcore.
fn pmd_rx(socket: &Path) -> BTreeMap<u32, u64> {
    let text = dpctl_ok(socket, &["pmd-perf-show"]);
    let mut rx = BTreeMap::new();
    let mut lcore = None;
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("pmd thread core_id ") {
            lcore = rest.trim_end_matches(':').parse().ok();
        } else if let Some(rest) = line.trim().strip_prefix("Rx packets:") {
            let n = rest.split_whitespace().next().unwrap().parse().unwrap();
            rx.insert(lcore.expect("a PMD section"), n);
        }
    }
    rx
}

/// The datapath's (hit, missed) from `dpctl show`.
fn lookups(socket: &Path) -> (u64, u64) {
    let text = dpctl_ok(socket, &["show"]);
    let line = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("lookups: "))
        .unwrap_or_else(|| panic!("no lookups in {text}"));
    let field = |name: &str| -> u64 {
        line.split_whitespace()
            .find_map(|f| f.strip_prefix(name))
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("{name} in {line}"))
    };
    (field("hit:"), field("missed:"))
}

/// Packets of each UDP destination port's flow, from `dpctl dump-flows`.
fn flow_packets(socket: &Path) -> BTreeMap<u16, u64> {
    dpctl_ok(socket, &["dump-flows"])
        .lines()
        .filter_map(|l| {
            let dst = l
                .split("udp(dst=")
                .nth(1)?
                .split(')')
                .next()?
                .parse()
                .ok()?;
            let packets = l
                .split("packets:")
                .nth(1)?
                .split(',')
                .next()?
                .parse()
                .ok()?;
            Some((dst, packets))
        })
        .collect()
}

/// The receiver's (received, distinct) by port.
fn received(out: &str) -> BTreeMap<u16, (u64, u64)> {
    out.lines()
        .filter_map(|l| {
            let v: Vec<&str> = l.split_whitespace().collect();
            if v.len() != 3 {
                return None;
            }
            Some((v[0].parse().ok()?, (v[1].parse().ok()?, v[2].parse().ok()?)))
        })
        .collect()
}

fn wait_until(what: &str, timeout: Duration, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !done() {
        assert!(Instant::now() < deadline, "{what} within {timeout:?}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
#[ignore = "needs root: network namespaces"]
fn three_pmds_share_rss_spread_flows_and_forward_each_packet_once() {
    require_netns_tests(false);
    let python = std::process::Command::new("python3")
        .arg("--version")
        .output();
    assert!(
        python.is_ok(),
        "python3 is not installed (scripts/setup.sh installs it)"
    );
    let id = std::process::id();
    let (a_if, b_if) = (format!("dpm{id}a"), format!("dpm{id}b"));
    let (a, b) = (
        Netns::new(format!("dpsw-{id}-pmda")),
        Netns::new(format!("dpsw-{id}-pmdb")),
    );
    let wide = udp_flow(WIDE_PORT);
    let daemon = switch_launched(
        "pmd-several",
        &[&a_if, &b_if],
        &[(wide.as_str(), "2")],
        // Two taps of three queue pairs each with three PMDs: the pool
        // sized to them, as an unset mempool_size is.
        "",
        &Launch {
            lcores: Some("0@0,1@1,2@1,3@1"),
            ..Launch::default()
        },
    );
    let socket = daemon.socket.clone();
    let rxq = dpctl_ok(&socket, &["pmd-rxq-show"]);
    for lcore in 1..=3 {
        assert!(
            rxq.contains(&format!("pmd thread core_id {lcore}:")),
            "PMD lcore {lcore} missing: {rxq}"
        );
    }
    for queue in 0..3 {
        assert!(
            rxq.contains(&format!("port: {a_if:<16}  queue-id:  {queue} ")),
            "{a_if} queue {queue} not polled: {rxq}"
        );
    }

    let b_mac = std::fs::read_to_string(format!("/sys/class/net/{b_if}/address")).unwrap();
    plumb(&a, &a_if, "10.77.0.1", "10.77.0.2", b_mac.trim());
    plumb_addr(&b, &b_if, "10.77.0.2");
    let ready = socket.with_file_name("receiver-ready");
    let mut ports = vec![WIDE_PORT.to_string()];
    ports.extend((0..LATE_FLOWS).map(|f| (FIRST_PORT + f).to_string()));
    let mut args = vec!["python3", "-c", RECEIVER, ready.to_str().unwrap()];
    args.extend(ports.iter().map(String::as_str));
    let receiver = Background::start(&b, &args);
    wait_until("the receiver listens", Duration::from_secs(10), || {
        ready.exists()
    });
    // What the links' coming up sent (before IPv6 was off) is behind us.
    std::thread::sleep(Duration::from_millis(500));
    dpctl_ok(&socket, &["pmd-stats-clear"]);
    let tx_a = || a.tx_packets(&a_if);
    let (tx0, (hit0, missed0)) = (tx_a(), lookups(&socket));

    // One flow, 48 source ports: its packets land on every rx queue.
    let wide_sent: u64 = 48 * 20;
    let out = a.exec(&[
        "python3",
        "-c",
        SENDER,
        "10.77.0.2",
        &WIDE_PORT.to_string(),
        "1",
        "48",
        "20",
        "2000",
    ]);
    assert_eq!(out.trim().parse::<u64>().unwrap(), wide_sent);
    wait_until(
        "the wide flow's packets forwarded",
        Duration::from_secs(10),
        || flow_packets(&socket).get(&WIDE_PORT) >= Some(&wide_sent),
    );
    let per_pmd = pmd_rx(&socket);
    eprintln!("pmd_several: one flow's packets by PMD lcore: {per_pmd:?}");
    assert_eq!(per_pmd.len(), 3, "three PMDs: {per_pmd:?}");
    assert!(
        per_pmd.values().all(|&n| n > 0),
        "every PMD received part of the flow's packets: {per_pmd:?}"
    );
    assert_eq!(
        per_pmd.values().sum::<u64>(),
        wide_sent,
        "the PMDs received what was sent, once: {per_pmd:?}"
    );
    assert_eq!(
        flow_packets(&socket)[&WIDE_PORT],
        wide_sent,
        "one flow in one table counts what every PMD forwarded"
    );

    // Flows added while their traffic runs: 16 destination ports, 4
    // source ports each, for about 2.5 s; the flows go in during it.
    let late_sent: u64 = u64::from(LATE_FLOWS) * 4 * 30;
    let sender = Background::start(
        &a,
        &[
            "python3",
            "-c",
            SENDER,
            "10.77.0.2",
            &FIRST_PORT.to_string(),
            &LATE_FLOWS.to_string(),
            "4",
            "30",
            "800",
        ],
    );
    std::thread::sleep(Duration::from_millis(300));
    for f in 0..LATE_FLOWS {
        dpctl_ok(&socket, &["add-flow", &udp_flow(FIRST_PORT + f), "2"]);
        std::thread::sleep(Duration::from_millis(60));
    }
    let mut sender = sender;
    let status = common::wait_timeout(&mut sender.0, Duration::from_secs(60));
    assert!(status.success(), "the sender failed: {status:?}");
    let total = wide_sent + late_sent;
    wait_until(
        "every packet sent looked up",
        Duration::from_secs(10),
        || {
            let (hit, missed) = lookups(&socket);
            hit - hit0 + missed - missed0 >= total
        },
    );
    std::thread::sleep(Duration::from_millis(500));
    let receiver_out = receiver.interrupt();
    let got = received(&receiver_out);
    let flows = flow_packets(&socket);
    let (hit, missed) = lookups(&socket);
    eprintln!(
        "pmd_several: {total} sent, {} hits, {} misses; flows {flows:?}",
        hit - hit0,
        missed - missed0
    );

    assert_eq!(
        tx_a() - tx0,
        total,
        "the sender's kernel handed every datagram to the tap"
    );
    assert_eq!(
        (hit - hit0) + (missed - missed0),
        total,
        "each packet looked up once: hits {} misses {}",
        hit - hit0,
        missed - missed0
    );
    assert_eq!(
        flows.values().sum::<u64>(),
        hit - hit0,
        "every hit counted by its flow: {flows:?}"
    );
    for (port, packets) in &flows {
        let (count, distinct) = got.get(port).copied().unwrap_or_default();
        assert_eq!(
            (count, distinct),
            (*packets, *packets),
            "udp dst {port}: the flow forwarded {packets}, the receiver got {count} ({distinct} distinct); receiver: {receiver_out}"
        );
    }
    assert_eq!(flows.len(), 1 + usize::from(LATE_FLOWS), "{flows:?}");
    assert!(
        flows
            .iter()
            .filter(|(p, _)| **p != WIDE_PORT)
            .all(|(_, n)| *n > 0),
        "each flow added under traffic forwarded: {flows:?}"
    );
    let per_pmd = pmd_rx(&socket);
    assert_eq!(per_pmd.values().sum::<u64>(), total, "{per_pmd:?}");

    // A port added at run time gets a queue pair per PMD too (net_tap
    // pairs them), its rx queues one to each PMD.
    let c_if = format!("dpm{id}c");
    dpctl_ok(
        &socket,
        &["add-if", "pmd-several", &format!("{c_if},type=internal")],
    );
    let rxq = dpctl_ok(&socket, &["pmd-rxq-show"]);
    let polled: Vec<&str> = rxq
        .split("pmd thread core_id ")
        .filter(|section| section.contains(&format!("port: {c_if} ")))
        .collect();
    assert_eq!(polled.len(), 3, "{c_if} polled by every PMD: {rxq}");
    dpctl_ok(&socket, &["del-if", "pmd-several", &c_if]);

    let (status, lines) = daemon.stop();
    common::assert_clean_exit(status, &lines);
    common::assert_counters_add_up(&lines);
}
