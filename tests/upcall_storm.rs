//! Spec U1 under load: a miss storm with no controller answering, and the
//! per-port upcall rate limit.
//!
//! Port 0 replays one UDP frame forever and a flow sends it to port 1 (a
//! sink): that flow's packet rate is what the PMD forwards of a known
//! flow. Port 2 replays thousands of frames with distinct 5-tuples as fast
//! as the pcap driver goes. While a catch-all flow drops port 2's frames
//! the PMD carries the same load without a storm; deleting that flow turns
//! every one of them into a miss for port 2's handler. Same daemon, same
//! offered load, so the known flow's rate with and without the storm
//! compare fairly.

mod common;

use common::*;
use dpswitch::netlink::attr::{attrs_lenient, AttrWriter};
use dpswitch::netlink::consts::*;
use dpswitch::netlink::msg::messages;
use std::collections::{HashMap, HashSet};
use std::io::Read;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Each test measures the one PMD core: never two daemons at once.
static ONE_DAEMON: Mutex<()> = Mutex::new(());

const SINK_PORT: u32 = 1;
const STORM_PORT: u32 = 2;
/// Distinct flows in the storm capture.
const STORM_FLOWS: u32 = 4096;
/// Takes every IPv4 frame of port 2 while there is no storm.
const STORM_CATCH_ALL: &str = "in_port(2),eth(),eth_type(0x0800),ipv4()";
/// The daemon's default `upcall_queue` (slots per PMD lcore).
const UPCALL_QUEUE: u64 = 1024;
/// Bytes a handler may leave unread before its misses are lost.
const BACKLOG_LIMIT: u64 = dpswitch::control::conn::NOTIFY_LIMIT_BYTES as u64;

/// The storm's frames: UDP, every one a different 5-tuple.
fn storm_frames() -> Vec<Vec<u8>> {
    (0..STORM_FLOWS)
        .map(|i| {
            let mut frame = Vec::new();
            etherparse::PacketBuilder::ethernet2([2, 0, 0, 0, 1, 1], [2, 0, 0, 0, 1, 2])
                .ipv4([10, 1, (i >> 8) as u8, i as u8], [10, 2, 0, 1], 64)
                .udp(1024 + i as u16, 53)
                .write(&mut frame, b"miss storm")
                .unwrap();
            frame
        })
        .collect()
}

/// A daemon with the known flow (port 0 to the sink) installed, port 2
/// replaying the storm capture, and where its files live.
struct StormDaemon {
    daemon: ControlDaemon,
    capture_dir: std::path::PathBuf,
    frames: HashSet<Vec<u8>>,
    packet_family: u16,
}

impl StormDaemon {
    fn start(tag: &str, datapath: &str) -> StormDaemon {
        common::require_root("hugepages, DPDK devices");
        let capture_dir = test_socket_path(&format!("{tag}-pcap"))
            .parent()
            .unwrap()
            .to_path_buf();
        let frames = storm_frames();
        let capture = capture_dir.join("storm.pcap");
        std::fs::write(&capture, pcap(&frames)).unwrap();
        // The pcap driver keeps the whole capture in mbufs of the pool.
        let config = format!("[datapath]\nmempool_size = 32767\n{datapath}");
        let mut daemon = ControlDaemon::start_with_vdevs(
            tag,
            &config,
            &[format!(
                "net_pcap1,rx_pcap={},infinite_rx=1",
                capture.display()
            )],
        );
        let running = daemon
            .daemon
            .seen
            .iter()
            .find(|l| l.contains(" running: "))
            .cloned()
            .unwrap_or_default();
        assert!(
            running.contains("port 0 = net_pcap0, port 1 = net_null0, port 2 = net_pcap1"),
            "port numbering: {running}"
        );
        let known = flow_text(TRAFFIC_KEY, Some(&SINK_PORT.to_string()));
        let reply = daemon.ctl.flow(OVS_FLOW_CMD_NEW, NLM_F_CREATE, &known);
        assert_eq!(reply.errno, 0, "known flow: {:?}", reply.ext);
        let packet_family = daemon.ctl.family(OVS_PACKET_FAMILY);
        StormDaemon {
            daemon,
            capture_dir,
            frames: frames.into_iter().collect(),
            packet_family,
        }
    }

    fn ctl(&mut self) -> &mut Ctl {
        &mut self.daemon.ctl
    }

    /// Drops port 2's frames by flow (no storm) or lets them miss (storm).
    fn set_storm(&mut self, storm: bool) {
        let catch_all = flow_text(STORM_CATCH_ALL, Some("drop"));
        let reply = if storm {
            self.ctl().flow(OVS_FLOW_CMD_DEL, 0, &catch_all)
        } else {
            self.ctl().flow(OVS_FLOW_CMD_NEW, NLM_F_CREATE, &catch_all)
        };
        assert_eq!(reply.errno, 0, "storm {storm}: {:?}", reply.ext);
    }

    /// Packets per second of the known flow, over `span`.
    fn known_rate(&mut self, span: Duration) -> f64 {
        let (p0, t0) = (self.known_packets(), Instant::now());
        std::thread::sleep(span);
        let (p1, t1) = (self.known_packets(), Instant::now());
        (p1 - p0) as f64 / (t1 - t0).as_secs_f64()
    }

    fn known_packets(&mut self) -> u64 {
        let reply = self
            .ctl()
            .flow(OVS_FLOW_CMD_GET, 0, &flow_text(TRAFFIC_KEY, None));
        assert_eq!(reply.errno, 0, "known flow get: {:?}", reply.ext);
        reply.flows()[0].stats.expect("flow stats").packets
    }

    /// Checks a handler's messages are misses of storm frames; counts them.
    fn misses(&self, received: &[Received]) -> u64 {
        received
            .iter()
            .map(|m| check_miss(m, self.packet_family, &self.frames))
            .sum()
    }

    fn pid(&self) -> u32 {
        self.daemon.daemon.pid()
    }

    /// Stops the daemon (asserting a clean exit: no mbuf left out of the
    /// pool) and returns its exit counters.
    fn stop(self) -> ExitCounters {
        let lines = self.daemon.stop();
        let _ = std::fs::remove_dir_all(&self.capture_dir);
        assert!(
            lines.iter().any(|l| l.contains("mbufs in use 0 of")),
            "{lines:?}"
        );
        ExitCounters::from_lines(&lines)
    }
}

/// The storm port's upcall losses by reason, from its exit line.
fn storm_port_losses(exit: &ExitCounters) -> HashMap<String, u64> {
    exit.storm_port
        .iter()
        .filter_map(|(k, v)| Some((k.strip_prefix("upcall_lost_")?.to_string(), *v)))
        .collect()
}

/// Upcall losses of every port, every reason, from the exit lines.
fn all_port_losses(lines: &[String]) -> u64 {
    lines
        .iter()
        .filter(|l| l.starts_with("dpswitchd: exit: port "))
        .flat_map(|l| l.split_whitespace())
        .filter(|kv| kv.starts_with("upcall_lost_"))
        .filter_map(|kv| kv.split_once('=')?.1.parse::<u64>().ok())
        .sum()
}

impl StormDaemon {}

/// Of `OVS_DP_ATTR_STATS` (hit, missed, lost, flows): missed and lost.
#[derive(Clone, Copy, Debug)]
struct DpStats {
    missed: u64,
    lost: u64,
}

fn datapath_stats(ctl: &mut Ctl) -> DpStats {
    let (family, dp) = (ctl.dp_family, ctl.dp_ifindex);
    let reply = ctl.ovs(family, OVS_DP_CMD_GET, 0, dp, &[]);
    assert_eq!(reply.errno, 0, "datapath get: {:?}", reply.ext);
    let stats = reply.messages[0].attr(OVS_DP_ATTR_STATS).expect("stats");
    let field = |i: usize| u64::from_ne_bytes(stats[i * 8..i * 8 + 8].try_into().unwrap());
    DpStats {
        missed: field(1),
        lost: field(2),
    }
}

/// Makes the connection with port id `pid` the handler of `port` (0:
/// none), through `ctl`.
fn set_handler(ctl: &mut Ctl, port: u32, pid: u32) {
    let mut w = AttrWriter::new();
    w.put_u32(OVS_VPORT_ATTR_PORT_NO, port);
    w.put_u32(OVS_VPORT_ATTR_UPCALL_PID, pid);
    let (family, dp) = (ctl.vport_family, ctl.dp_ifindex);
    let reply = ctl.ovs(family, OVS_VPORT_CMD_SET, 0, dp, w.as_bytes());
    assert_eq!(reply.errno, 0, "vport set: {:?}", reply.ext);
}

/// The datapath's counters from the daemon's exit lines, and the storm
/// port's.
#[derive(Debug)]
struct ExitCounters {
    received: u64,
    hit: u64,
    missed: u64,
    lost: u64,
    storm_port: HashMap<String, u64>,
    /// Upcalls lost at every port, for every reason.
    all_ports_lost: u64,
}

impl ExitCounters {
    fn from_lines(lines: &[String]) -> ExitCounters {
        let counters = common::datapath_exit_counters(lines);
        let field = |name: &str| -> u64 {
            counters
                .get(name)
                .copied()
                .unwrap_or_else(|| panic!("no {name} in the datapath exit line"))
        };
        ExitCounters {
            received: field("received"),
            hit: field("hit"),
            missed: field("missed"),
            lost: field("lost"),
            storm_port: common::port_exit_counters(lines, STORM_PORT),
            all_ports_lost: all_port_losses(lines),
        }
    }
}

/// Everything a handler reads until `deadline`.
fn read_until(handler: &mut Ctl, deadline: Instant) -> Vec<Received> {
    handler
        .stream
        .set_read_timeout(Some(Duration::from_millis(20)))
        .unwrap();
    let mut buf = vec![0u8; 1 << 17];
    let mut received = Vec::new();
    while Instant::now() < deadline {
        let n = match handler.stream.read(&mut buf) {
            Ok(n) => n,
            Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock) => continue,
            Err(e) => panic!("handler recv: {e}"),
        };
        assert!(n > 0, "daemon closed the handler's connection");
        received.extend(messages(&buf[..n]).map(|m| {
            let m = m.expect("upcall frames");
            Received {
                header: m.header,
                payload: m.payload.to_vec(),
            }
        }));
    }
    handler
        .stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    received
}

/// 1 for a well-formed miss of a storm frame on the storm port.
fn check_miss(m: &Received, packet_family: u16, frames: &HashSet<Vec<u8>>) -> u64 {
    assert_eq!(m.header.msg_type, packet_family, "{m:?}");
    assert_eq!(m.genl_cmd(), OVS_PACKET_CMD_MISS);
    let packet = m.attr(OVS_PACKET_ATTR_PACKET).expect("packet");
    assert!(frames.contains(&packet), "not a storm frame: {packet:02x?}");
    let key = m.attr(OVS_PACKET_ATTR_KEY).expect("key");
    let in_port = attrs_lenient(&key)
        .find(|a| a.kind() == OVS_KEY_ATTR_IN_PORT)
        .map(|a| u32::from_ne_bytes(a.payload().try_into().unwrap()));
    assert_eq!(in_port, Some(STORM_PORT));
    1
}

/// Everything still waiting for `handler` once it is no longer a
/// handler: a request's reply comes after all that was queued before it.
fn drain(handler: &mut Ctl) -> Vec<Received> {
    let (family, dp) = (handler.dp_family, handler.dp_ifindex);
    let reply = handler.ovs(family, OVS_DP_CMD_GET, 0, dp, &[]);
    assert_eq!(reply.errno, 0);
    std::mem::take(&mut handler.unsolicited)
}

/// The resident set of process `pid`, in KiB.
fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .expect("VmRSS")
}

/// U1: a storm of new flows whose handler never reads. The known flow
/// keeps its rate, every miss ends up lost or queued for the handler
/// (none vanishes), the daemon answers at once and its memory stays flat.
#[test]
#[ignore = "needs root: hugepages, DPDK devices"]
fn miss_storm_without_a_reading_controller_keeps_known_flows_forwarding() {
    let _one = ONE_DAEMON.lock().unwrap_or_else(|e| e.into_inner());
    let mut d = StormDaemon::start("storm", "");
    d.set_storm(false);
    // The controller registers for port 2, then never reads.
    let mut controller = Ctl::connect(&d.daemon.socket());
    let controller_pid = controller.port_id;
    set_handler(&mut controller, STORM_PORT, controller_pid);

    std::thread::sleep(Duration::from_millis(300));
    let calm_before = d.known_rate(Duration::from_secs(1));

    d.set_storm(true);
    // Long enough for the controller's socket and its 4 MiB backlog to
    // fill at the default 20000 misses per second.
    std::thread::sleep(Duration::from_secs(2));
    let rss_early = rss_kib(d.pid());
    let early = datapath_stats(d.ctl());
    let span = Instant::now();
    let storm_1 = d.known_rate(Duration::from_secs(1));
    let mut slowest = Duration::ZERO;
    for _ in 0..10 {
        let t = Instant::now();
        datapath_stats(d.ctl());
        slowest = slowest.max(t.elapsed());
    }
    let storm_2 = d.known_rate(Duration::from_secs(1));
    let late = datapath_stats(d.ctl());
    let span = span.elapsed();
    let rss_late = rss_kib(d.pid());

    d.set_storm(false);
    std::thread::sleep(Duration::from_millis(300));
    let calm_after = d.known_rate(Duration::from_secs(1));

    let ratio = (storm_1 + storm_2) / (calm_before + calm_after);
    let missed = late.missed - early.missed;
    let lost = late.lost - early.lost;
    println!(
        "known flow: {calm_before:.0} pps before, {storm_1:.0} and {storm_2:.0} in the storm, \
         {calm_after:.0} after: ratio {ratio:.3}"
    );
    println!(
        "storm: {missed} missed, {lost} lost in {:?}; slowest datapath get {slowest:?}; \
         RSS {rss_early} KiB then {rss_late} KiB",
        span
    );
    assert!(
        calm_before > 10_000.0,
        "the known flow forwards: {calm_before}"
    );
    assert!(
        ratio >= 0.5,
        "the storm slowed the known flow: ratio {ratio:.3}"
    );
    assert!(missed > 10_000, "port 2's frames missed: {missed}");
    // With the handler's backlog full, every miss is lost: at most the
    // upcall slots and a burst are still on their way.
    assert!(
        lost + UPCALL_QUEUE + 64 >= missed && lost <= missed + UPCALL_QUEUE + 64,
        "{missed} missed but {lost} lost"
    );
    assert!(
        slowest < Duration::from_millis(500),
        "slowest get {slowest:?}"
    );
    assert!(
        rss_late <= rss_early + 4096,
        "RSS grew from {rss_early} KiB to {rss_late} KiB"
    );

    // The controller leaves; what was queued for it is read to the end.
    set_handler(d.ctl(), STORM_PORT, 0);
    let waiting = drain(&mut controller);
    let delivered = d.misses(&waiting);
    let backlog: u64 = waiting.iter().map(|m| u64::from(m.header.len)).sum();
    let exit = d.stop();
    println!("exit: {exit:?}; the controller had {delivered} misses ({backlog} bytes) waiting");
    // The daemon queues for a handler until NOTIFY_LIMIT_BYTES are unread, and the
    // socket holds a little more.
    assert!(
        (BACKLOG_LIMIT..BACKLOG_LIMIT + (512 << 10)).contains(&backlog),
        "backlog {backlog} bytes"
    );
    assert_eq!(exit.received, exit.hit + exit.missed, "{exit:?}");
    assert_eq!(
        exit.missed,
        delivered + exit.lost,
        "every miss was delivered or counted lost"
    );
    // And each loss is counted at its port, with its reason; at the storm
    // port, the handler not reading, then the rate once it was gone.
    assert_eq!(exit.all_ports_lost, exit.lost, "{exit:?}");
    let by_reason = storm_port_losses(&exit);
    assert!(by_reason["unread"] > 10_000, "{by_reason:?}");
}

/// U1's rate limit: a handler that reads gets at most `upcall_rate` misses
/// per second of the port (plus one burst, a tenth of it); the rest are
/// counted as lost.
#[test]
#[ignore = "needs root: hugepages, DPDK devices"]
fn upcall_rate_limits_the_misses_a_reading_handler_gets() {
    const RATE: f64 = 1000.0;
    const BURST: f64 = RATE / 10.0;
    let _one = ONE_DAEMON.lock().unwrap_or_else(|e| e.into_inner());
    let mut d = StormDaemon::start("uprate", "upcall_rate = 1000\n");
    let mut handler = Ctl::connect(&d.daemon.socket());
    let handler_pid = handler.port_id;

    let start = Instant::now();
    set_handler(&mut handler, STORM_PORT, handler_pid);
    let mut messages = std::mem::take(&mut handler.unsolicited);
    messages.extend(read_until(&mut handler, start + Duration::from_secs(3)));
    set_handler(d.ctl(), STORM_PORT, 0);
    let elapsed = start.elapsed().as_secs_f64();
    messages.extend(drain(&mut handler));
    let received = d.misses(&messages);
    let stats = datapath_stats(d.ctl());
    // What `dpctl show` reads while the daemon runs: the port's losses.
    let mut client = dpswitch_client::client::Client::connect(d.daemon.socket()).unwrap();
    let dp = client.only_datapath().unwrap().dp_ifindex;
    let live = client.dpswitch_stats(dp).expect("dpswitch stats");
    let storm = live.ports.iter().find(|p| p.port_no == STORM_PORT).copied();
    let storm = storm.expect("the storm port's losses");
    drop(client);
    let exit = d.stop();

    let limit = RATE * elapsed + BURST;
    println!(
        "handler got {received} misses in {elapsed:.3} s (limit {limit:.0}); \
         datapath {stats:?}; exit {exit:?}"
    );
    assert!(
        (received as f64) <= limit * 1.01,
        "{received} misses in {elapsed:.3} s exceed {RATE}/s + {BURST}"
    );
    assert!(
        (received as f64) >= RATE * (elapsed - 0.5) * 0.5,
        "the limit starves the handler: {received} in {elapsed:.3} s"
    );
    assert_eq!(exit.hit + exit.missed, exit.received, "{exit:?}");
    assert!(exit.lost > 10 * received, "{exit:?}");
    assert_eq!(
        exit.missed,
        received + exit.lost,
        "every miss over the rate was counted lost"
    );
    // At the port, by reason: over the rate while the handler was set,
    // without a handler before and after.
    assert_eq!(exit.all_ports_lost, exit.lost, "{exit:?}");
    let by_reason = storm_port_losses(&exit);
    assert!(by_reason["rate"] > 10 * received, "{by_reason:?}");
    assert!(
        storm.rate > 10 * received && storm.rate <= by_reason["rate"],
        "read live: {storm:?}; at exit: {by_reason:?}"
    );
}
