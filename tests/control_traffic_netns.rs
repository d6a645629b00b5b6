//! Traffic and flow commands together. Four hosts in network namespaces sit
//! behind dpswitchd's net_tap ports 1-4; host 1 sends a steady UDP stream
//! of numbered datagrams to an address and MAC that hosts 2 and 3 both
//! answer to. Over the control socket the flow for the stream is added,
//! its output swapped between ports 2 and 3 twenty times (SET, and NEW
//! without NLM_F_CREATE), then deleted, while the stream runs. The
//! sequence numbers show which action list each datagram saw: one list,
//! never both, and never a port neither list names (N10, N13, S1, D2).

mod common;

use common::{
    datapath_exit_counters, flow_text, plumb, plumb_addr, port_exit_counters, wait_for_link, Ctl,
    Daemon, Netns,
};
use dpswitch::flow::odp::Action;
use dpswitch::netlink::consts::*;
use dpswitch::netlink::flow::FlowAttrs;
use nix::sys::socket::{setsockopt, sockopt};
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::UdpSocket;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::mpsc::{channel, Receiver as Channel};
use std::sync::{Arc, Mutex};
use std::thread::{sleep, JoinHandle};
use std::time::{Duration, Instant};

const SENDER_ENV: &str = "DPSWITCH_UDP_SENDER";
const RECEIVER_ENV: &str = "DPSWITCH_UDP_RECEIVER";
const MAGIC: &[u8; 4] = b"dpsw";
/// Ethernet, IPv4 and UDP headers around MAGIC and a u64 sequence number.
const FRAME_LEN: u64 = 14 + 20 + 8 + 4 + 8;
/// Datagrams per tick of about a millisecond: a few thousand a second.
const PER_TICK: u64 = 4;
const SWAPS: usize = 20;
const SUBNET: &str = "10.89.0";
/// The MAC hosts 2 and 3 both answer to, so either can take the stream.
const FAR_MAC: &str = "02:dd:00:00:00:02";
const STREAM_KEY: &str =
    "in_port(1),eth(),eth_type(0x0800),ipv4(dst=10.89.0.2,proto=17,frag=no),udp(dst=7000)";

/// Not a test of its own: run inside a namespace by the test below, it
/// sends numbered datagrams (MAGIC, then the number big-endian) until its
/// stdin closes, then prints how many it sent.
#[test]
#[ignore = "not a test: a child process of flows_added_swapped_and_deleted_under_traffic"]
fn udp_sender_helper() {
    let spec = std::env::var(SENDER_ENV)
        .unwrap_or_else(|_| panic!("not a test of its own: flows_added_swapped_and_deleted_under_traffic runs it with {SENDER_ENV} set"));
    let (src, dst) = spec.split_once(' ').expect("SRC DST");
    let socket = UdpSocket::bind(src).expect("bind");
    let stop = stop_when_stdin_closes();
    println!("sender ready");
    let (mut sent, mut errors) = (0u64, 0u64);
    while !stop.load(Relaxed) {
        for _ in 0..PER_TICK {
            let mut payload = MAGIC.to_vec();
            payload.extend(sent.to_be_bytes());
            // A refused send keeps its number: the numbers sent are 0..sent.
            match socket.send_to(&payload, dst) {
                Ok(_) => sent += 1,
                Err(_) => errors += 1,
            }
        }
        sleep(Duration::from_millis(1));
    }
    println!("sender sent {sent} errors {errors}");
}

/// Not a test of its own: run inside a namespace, it prints the number
/// of every datagram that reaches its UDP socket as it arrives, until
/// its stdin closes and the socket is drained.
#[test]
#[ignore = "not a test: a child process of flows_added_swapped_and_deleted_under_traffic"]
fn udp_receiver_helper() {
    let addr = std::env::var(RECEIVER_ENV)
        .unwrap_or_else(|_| panic!("not a test of its own: flows_added_swapped_and_deleted_under_traffic runs it with {RECEIVER_ENV} set"));
    let socket = UdpSocket::bind(&addr).expect("bind");
    // Room for seconds of the stream, so a slow reader is not a drop.
    setsockopt(&socket, sockopt::RcvBufForce, &(8 << 20)).expect("SO_RCVBUFFORCE");
    socket
        .set_read_timeout(Some(Duration::from_millis(50)))
        .unwrap();
    let stop = stop_when_stdin_closes();
    let mut out = std::io::stdout().lock();
    writeln!(out, "receiver ready").unwrap();
    let mut buf = [0u8; 2048];
    loop {
        match socket.recv(&mut buf) {
            Ok(n) => match sequence_number(&buf[..n]) {
                Some(seq) => writeln!(out, "seq {seq}").unwrap(),
                None => writeln!(out, "bad {n}").unwrap(),
            },
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                if stop.load(Relaxed) {
                    break;
                }
            }
            Err(e) => panic!("recv: {e}"),
        }
    }
    writeln!(out, "receiver done").unwrap();
}

fn sequence_number(payload: &[u8]) -> Option<u64> {
    let number = payload.strip_prefix(MAGIC)?;
    Some(u64::from_be_bytes(number.try_into().ok()?))
}

fn stop_when_stdin_closes() -> Arc<AtomicBool> {
    let stop = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&stop);
    std::thread::spawn(move || {
        let _ = std::io::copy(&mut std::io::stdin(), &mut std::io::sink());
        flag.store(true, Relaxed);
    });
    stop
}

/// A helper test of this binary, re-executed inside `ns` on core 0 (the
/// PMD owns core 1), its stdout lines on a channel.
struct Helper {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Channel<String>,
}

impl Helper {
    fn start(ns: &Netns, name: &str, env: &str, value: &str) -> Helper {
        let exe = std::env::current_exe().unwrap();
        let mut child = Command::new("ip")
            .args(["netns", "exec", &ns.0, "taskset", "-c", "0"])
            .arg(&exe)
            .args([
                "--ignored",
                "--exact",
                name,
                "--nocapture",
                "--test-threads=1",
            ])
            .env(env, value)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("{name} starts: {e}"));
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Helper {
            stdin: child.stdin.take(),
            child,
            lines,
        }
    }

    /// The first line with `marker`, from the marker on (the test
    /// harness prints its "test NAME ... " in front of the first line).
    fn wait_for(&self, marker: &str) -> String {
        loop {
            let line = self
                .lines
                .recv_timeout(Duration::from_secs(20))
                .unwrap_or_else(|_| panic!("no {marker:?} from a helper"));
            if let Some(at) = line.find(marker) {
                return line[at..].to_string();
            }
        }
    }

    /// Closes stdin (the helper's signal to finish) and waits for the exit.
    fn finish(&mut self) {
        drop(self.stdin.take());
        assert!(common::wait_timeout(&mut self.child, Duration::from_secs(20)).success());
    }
}

impl Drop for Helper {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// A receiving host: every sequence number it got, in arrival order.
struct Receiver {
    helper: Helper,
    seqs: Arc<Mutex<Vec<u64>>>,
    bad: Arc<AtomicU64>,
    reader: Option<JoinHandle<()>>,
}

impl Receiver {
    fn start(ns: &Netns, addr: &str) -> Receiver {
        let mut helper = Helper::start(ns, "udp_receiver_helper", RECEIVER_ENV, addr);
        helper.wait_for("receiver ready");
        let lines = std::mem::replace(&mut helper.lines, channel().1);
        let seqs = Arc::new(Mutex::new(Vec::new()));
        let bad = Arc::new(AtomicU64::new(0));
        let (s, b) = (Arc::clone(&seqs), Arc::clone(&bad));
        let reader = std::thread::spawn(move || {
            for line in lines.iter() {
                if let Some(n) = line.strip_prefix("seq ") {
                    s.lock().unwrap().push(n.parse().expect("sequence number"));
                } else if line.starts_with("bad ") {
                    b.fetch_add(1, Relaxed);
                }
            }
        });
        Receiver {
            helper,
            seqs,
            bad,
            reader: Some(reader),
        }
    }

    fn count(&self) -> usize {
        self.seqs.lock().unwrap().len()
    }

    fn max_seq(&self) -> Option<u64> {
        self.seqs.lock().unwrap().iter().max().copied()
    }

    /// Drains and stops the host; every number it received.
    fn finish(mut self) -> (Vec<u64>, u64) {
        self.helper.finish();
        self.reader.take().unwrap().join().unwrap();
        let seqs = std::mem::take(&mut *self.seqs.lock().unwrap());
        (seqs, self.bad.load(Relaxed))
    }
}

/// Waits until `done` holds, or fails saying `what`.
fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting: {what}");
        sleep(Duration::from_millis(2));
    }
}

/// `struct ovs_dp_stats`: hit, missed, lost, flows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct DpStats {
    hit: u64,
    missed: u64,
    lost: u64,
    flows: u64,
}

fn dp_stats(ctl: &mut Ctl) -> DpStats {
    let r = ctl.ovs(ctl.dp_family, OVS_DP_CMD_GET, 0, ctl.dp_ifindex, &[]);
    assert_eq!(r.errno, 0, "datapath get: {:?}", r.ext);
    let s = r.messages[0].attr(OVS_DP_ATTR_STATS).expect("stats");
    let at = |i: usize| u64::from_ne_bytes(s[i * 8..i * 8 + 8].try_into().unwrap());
    DpStats {
        hit: at(0),
        missed: at(1),
        lost: at(2),
        flows: at(3),
    }
}

/// Waits until `n` more datagrams than `from` counted have missed in
/// the datapath (the stream goes on, however slowly a loaded machine
/// runs the sender), then the counters.
fn misses_beyond(ctl: &mut Ctl, from: &DpStats, n: u64) -> DpStats {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let now = dp_stats(ctl);
        if now.missed >= from.missed + n {
            return now;
        }
        assert!(Instant::now() < deadline, "the stream stalled: {now:?}");
        sleep(Duration::from_millis(10));
    }
}

fn packets(flow: &FlowAttrs) -> u64 {
    flow.stats.map_or(0, |s| s.packets)
}

fn write_config(path: &std::path::Path) {
    let mut text = String::from("[datapath]\nname = \"traffic\"\n");
    for n in 1..=4 {
        text.push_str(&format!(
            "\n[[port]]\nname = \"net_tap{}\"\nnumber = {n}\n",
            n - 1
        ));
    }
    std::fs::write(path, text).unwrap();
}

#[test]
#[ignore = "needs root: network namespaces"]
fn flows_added_swapped_and_deleted_under_traffic() {
    common::require_netns_tests(false);
    let id = std::process::id() % 100_000;
    let ifaces: Vec<String> = (1..=4).map(|n| format!("dpt{id}p{n}")).collect();
    let conf = std::env::temp_dir().join(format!("dpswitch-traffic-{id}.toml"));
    write_config(&conf);
    let vdevs: Vec<String> = (0..4)
        .map(|i| format!("net_tap{i},iface={}", ifaces[i]))
        .collect();
    let mut daemon = Daemon::start("traffic", &vdevs, &["--config", conf.to_str().unwrap()]);
    daemon.wait_for("control socket listening", Duration::from_secs(30));
    let _ = std::fs::remove_file(&conf);
    ifaces.iter().for_each(|i| wait_for_link(i));
    let ns: Vec<Netns> = (1..=4)
        .map(|n| Netns::new(format!("dpswitch-{id}-t{n}")))
        .collect();
    let far = format!("{SUBNET}.2");
    plumb(&ns[0], &ifaces[0], &format!("{SUBNET}.1"), &far, FAR_MAC);
    for k in [1, 2] {
        plumb_addr(&ns[k], &ifaces[k], &far);
        ns[k].exec(&["ip", "link", "set", "dev", &ifaces[k], "address", FAR_MAC]);
    }
    plumb_addr(&ns[3], &ifaces[3], &format!("{SUBNET}.4"));
    let mut ctl = Ctl::connect(&daemon.socket);

    let receivers = [
        Receiver::start(&ns[1], &format!("{far}:7000")),
        Receiver::start(&ns[2], &format!("{far}:7000")),
    ];
    // Port p's host is receivers[p - 2].
    let host = |port: u32| &receivers[port as usize - 2];
    let received = || receivers.iter().map(Receiver::count).sum::<usize>() as u64;

    // (1) No flow: the stream reaches dpswitchd, misses, arrives nowhere.
    let idle = dp_stats(&mut ctl);
    let mut sender = Helper::start(
        &ns[0],
        "udp_sender_helper",
        SENDER_ENV,
        &format!("{SUBNET}.1:0 {far}:7000"),
    );
    sender.wait_for("sender ready");
    sleep(Duration::from_millis(300));
    let missing = misses_beyond(&mut ctl, &idle, 500);
    assert_eq!(missing.hit, 0, "no flow, no hit");
    assert_eq!(received(), 0, "nothing arrives without a flow");

    // (2) The flow: port 2's host starts receiving (N10).
    let new = ctl.flow(
        OVS_FLOW_CMD_NEW,
        NLM_F_CREATE | NLM_F_ECHO,
        &flow_text(STREAM_KEY, Some("2")),
    );
    assert_eq!(new.errno, 0, "NEW: {:?}", new.ext);
    assert_eq!(new.flows()[0].actions, Some(vec![Action::Output(2)]));
    wait_until("port 2's host receives after NEW", || host(2).count() > 0);

    // (3) Swaps: after each reply the other host receives numbers beyond
    // everything received before it, and the flow's counters go on (N13).
    let mut side = 2u32;
    let mut counted = 0;
    for swap in 0..SWAPS {
        sleep(Duration::from_millis(100));
        let next = 5 - side;
        let (cmd, flags, how) = if swap % 3 == 2 {
            (OVS_FLOW_CMD_NEW, NLM_F_ECHO, "NEW without NLM_F_CREATE")
        } else {
            (OVS_FLOW_CMD_SET, NLM_F_ECHO, "SET")
        };
        let before = receivers
            .iter()
            .filter_map(Receiver::max_seq)
            .max()
            .unwrap();
        let seen = received();
        let reply = ctl.flow(cmd, flags, &flow_text(STREAM_KEY, Some(&next.to_string())));
        assert_eq!(reply.errno, 0, "swap {swap} by {how}: {:?}", reply.ext);
        let echoed = &reply.flows()[0];
        assert_eq!(echoed.actions, Some(vec![Action::Output(next)]), "{how}");
        assert!(
            packets(echoed) >= seen.max(counted),
            "swap {swap} by {how}: the flow counted {} packets; {seen} were received, {counted} counted before",
            packets(echoed)
        );
        counted = packets(echoed);
        wait_until(
            &format!("port {next} receives after swap {swap} by {how}"),
            || host(next).max_seq().is_some_and(|s| s > before),
        );
        side = next;
    }

    // (4) Delete: the reply's counters are final and the flow is gone for
    // packets once it arrives (D2).
    let del = ctl.flow(OVS_FLOW_CMD_DEL, NLM_F_ECHO, &flow_text(STREAM_KEY, None));
    assert_eq!(del.errno, 0, "DEL: {:?}", del.ext);
    assert_eq!(del.messages[0].genl_cmd(), OVS_FLOW_CMD_DEL);
    let final_stats = del.flows()[0].stats.expect("DEL reply stats");
    let at_del = dp_stats(&mut ctl);
    assert_eq!(at_del.flows, 0);
    assert!(ctl.dump_flows().is_empty());
    assert_eq!(
        at_del.hit, final_stats.packets,
        "every hit of the datapath is the deleted flow's, none after its reply"
    );
    assert_eq!(final_stats.bytes, final_stats.packets * FRAME_LEN);
    sleep(Duration::from_millis(300));
    let after_a = misses_beyond(&mut ctl, &at_del, 500);
    let settled = received();
    sleep(Duration::from_millis(300));
    let after_b = misses_beyond(&mut ctl, &after_a, 500);
    let later = received();
    assert_eq!(after_b.hit, at_del.hit, "no hit after the DEL reply");
    assert_eq!(later, settled, "nothing arrives after the DEL reply");

    sender.finish();
    let sent_line = sender.wait_for("sender sent ");
    let sent: u64 = sent_line
        .split_whitespace()
        .nth(2)
        .unwrap()
        .parse()
        .unwrap();
    let [r2, r3] = receivers;
    let ((seqs2, bad2), (seqs3, bad3)) = (r2.finish(), r3.finish());
    assert_eq!((bad2, bad3), (0, 0), "datagrams that are not the stream's");

    // Kernel counters, read while the namespaces still exist.
    let tap_rx: Vec<u64> = (0..4)
        .map(|k| ns[k].iface_stat(&ifaces[k], "rx_packets"))
        .collect();
    let udp_in: Vec<u64> = [1, 2]
        .iter()
        .map(|&k| ns[k].snmp("Udp", "InDatagrams"))
        .collect();
    let udp_err: Vec<u64> = [1, 2]
        .iter()
        .map(|&k| ns[k].snmp("Udp", "InErrors"))
        .collect();
    let ns1_tx = ns[0].iface_stat(&ifaces[0], "tx_packets");
    let (status, lines) = daemon.stop();
    assert!(status.success(), "dpswitchd exit: {status:?}");
    let port: Vec<HashMap<String, u64>> = (1..=4).map(|n| port_exit_counters(&lines, n)).collect();
    let dp = datapath_exit_counters(&lines);
    eprintln!(
        "sent {sent}; flow counted {}; hosts 2 and 3 received {} and {}; udp drops {udp_err:?}; tx lost {}",
        final_stats.packets,
        seqs2.len(),
        seqs3.len(),
        dp["lost"] - dp["missed"]
    );
    assert_eq!(
        port[0]["rx_packets"], ns1_tx,
        "port 1 read what host 1 sent"
    );
    assert!(final_stats.packets < sent);

    // Nothing reached a port neither list names, nor went back to the sender.
    assert_eq!(port[0]["tx_packets"], 0, "port 1 transmitted");
    assert_eq!(port[3]["tx_packets"], 0, "port 4 transmitted");
    assert_eq!((tap_rx[0], tap_rx[3]), (0, 0), "hosts 1 and 4 received");

    // Each number at most once across both hosts, each one sent, and the
    // hosts' shares in order: one run per action list the flow had (the
    // NEW's and one per swap), alternating from port 2, so no packet saw
    // an old list after a newer one.
    let mut all: Vec<(u64, u32)> = seqs2
        .iter()
        .map(|s| (*s, 2))
        .chain(seqs3.iter().map(|s| (*s, 3)))
        .collect();
    all.sort_unstable();
    let dups: Vec<_> = all.windows(2).filter(|w| w[0].0 == w[1].0).collect();
    assert!(dups.is_empty(), "received twice: {dups:?}");
    assert!(all.iter().all(|(s, _)| *s < sent), "a number never sent");
    let runs = 1 + all.windows(2).filter(|w| w[0].1 != w[1].1).count();
    assert_eq!(all[0].1, 2, "the first datagrams went to port 2");
    assert_eq!(runs, SWAPS + 1, "runs of consecutive numbers per host");

    // Accounting, exact at each step: the flow's packets were transmitted
    // on ports 2 and 3 or lost at tx; what was transmitted reached the
    // hosts' taps; what reached the taps was received or dropped by UDP.
    // No port has an upcall handler, so every miss is lost too.
    let lost = dp["lost"] - dp["missed"];
    let (tx2, tx3) = (port[1]["tx_packets"], port[2]["tx_packets"]);
    assert_eq!(dp["hit"], final_stats.packets);
    assert_eq!(tx2 + tx3 + lost, final_stats.packets, "flow = tx + lost");
    assert_eq!((tap_rx[1], tap_rx[2]), (tx2, tx3), "taps got what was sent");
    assert_eq!(udp_in, vec![seqs2.len() as u64, seqs3.len() as u64]);
    assert_eq!(
        udp_in[0] + udp_err[0] + udp_in[1] + udp_err[1],
        tx2 + tx3,
        "every transmitted datagram was received or counted as a UDP drop"
    );
    assert_eq!(
        (seqs2.len() + seqs3.len()) as u64 + udp_err[0] + udp_err[1] + lost,
        final_stats.packets,
        "the DEL reply counts what arrived plus what was dropped"
    );
    assert!(
        lines.iter().any(|l| l.contains("mbufs in use 0 of")),
        "{lines:?}"
    );
}
