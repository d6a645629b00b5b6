//! Flow churn under traffic, checked where the packets land. Three taps
//! in namespaces: A sends numbered UDP datagrams to B through one flow
//! while a pipelined client installs and deletes thousands of flows a
//! second for 30 s (two other mask shapes, so subtables come and go, all
//! sending to C, a namespace only a wrong or stale match could reach) and
//! keeps replacing the traffic flow's actions between two lists of two
//! rewrites each. B checks every datagram: it arrives once, with both
//! rewrites of one list or neither (never half of each), and C hears
//! nothing. At the end the datapath holds exactly the flows the client
//! believes it left.

mod common;

use common::{install_pipelined, plumb, require_netns_tests, wait_for_link, Ctl, Daemon, Netns};
use dpswitch::flow::text::{parse_actions, parse_match};
use dpswitch::netlink::consts::*;
use dpswitch::netlink::FlowAttrs;
use dpswitch_client::client::{Client, Request};
use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const CHURN: Duration = Duration::from_secs(30);
/// Datagrams A sends, paced over the churn.
const DATAGRAMS: u32 = 60_000;
/// Flows each churn round adds (and deletes as many older ones).
const ROUND: usize = 1000;
/// Churned flows kept installed at any time.
const LIVE: usize = 4000;
const TRAFFIC: &str =
    "in_port(1),eth(),eth_type(0x0800),ipv4(dst=10.63.0.2,proto=17,frag=no),udp(dst=5000)";
/// The traffic flow's two action lists: each rewrites TTL and source port.
const PLAIN: &str = "set(ipv4(ttl=33)),set(udp(src=4001)),2";
const MARKED: &str = "set(ipv4(ttl=44)),set(udp(src=4002)),2";

/// Churned flow `i`: to C, on one of two masks; no packet A sends is
/// one it matches (its ports are outside them), and no two overlap, or
/// the table would refuse it as a duplicate (N9).
fn churned(i: usize) -> FlowAttrs {
    let key = if i.is_multiple_of(2) {
        format!(
            "in_port(1),eth(),eth_type(0x0800),ipv4(dst=10.63.0.2,proto=17,frag=no),udp(dst={})",
            6000 + i % 50_000
        )
    } else {
        format!(
            "in_port(1),eth(),eth_type(0x0800),ipv4(src=10.63.0.1,dst=10.63.0.2,proto=17,frag=no),udp(src={},dst=5001)",
            6000 + i % 50_000
        )
    };
    let mut ufid = [0u8; 16];
    ufid[..8].copy_from_slice(&(i as u64 + 1).to_le_bytes());
    ufid[15] = 0xc5;
    attrs(&key, "3", Some(ufid.to_vec()))
}

fn attrs(key: &str, actions: &str, ufid: Option<Vec<u8>>) -> FlowAttrs {
    let (key, mask) = parse_match(key).unwrap_or_else(|e| panic!("{key}: {e}"));
    FlowAttrs {
        key: Some(key),
        mask: Some(mask),
        actions: Some(parse_actions(actions).expect("actions")),
        ufid,
        ..FlowAttrs::default()
    }
}

/// Counts datagrams in B: duplicates, and the (ttl, source port) pairs.
const RECEIVER: &str = r#"
import socket, struct, sys
IP_TTL, IP_RECVTTL = 2, 12  # linux/in.h; Python names only some of them
n = int(sys.argv[1])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
s.setsockopt(socket.IPPROTO_IP, IP_RECVTTL, 1)
s.bind(('10.63.0.2', 5000))
s.settimeout(5.0)
print('ready', flush=True)
seen = bytearray(n)
got = dup = 0
pairs = {}
while True:
    try:
        data, anc, _, addr = s.recvmsg(64, socket.CMSG_SPACE(4))
    except socket.timeout:
        break
    seq = struct.unpack('!I', data[:4])[0]
    if seq >= n:
        break
    ttl = next((struct.unpack('i', d[:4])[0] for (l, t, d) in anc if t == IP_TTL), -1)
    key = '%d/%d' % (ttl, addr[1])
    pairs[key] = pairs.get(key, 0) + 1
    if seen[seq]:
        dup += 1
    seen[seq] = 1
    got += 1
print('got', got, 'dup', dup, ' '.join('%s=%d' % kv for kv in sorted(pairs.items())), flush=True)
"#;

/// Sends `n` numbered datagrams from A over `secs` seconds, then an end
/// marker (sequence `n`) a few times.
const SENDER: &str = r#"
import socket, struct, sys, time
n, secs = int(sys.argv[1]), float(sys.argv[2])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(('10.63.0.1', 4000))
start = time.monotonic()
for seq in range(n):
    ahead = start + secs * seq / n - time.monotonic()
    if ahead > 0:
        time.sleep(ahead)
    s.sendto(struct.pack('!I', seq) + bytes(28), ('10.63.0.2', 5000))
time.sleep(1)
for _ in range(3):
    s.sendto(struct.pack('!I', n) + bytes(28), ('10.63.0.2', 5000))
"#;

#[test]
#[ignore = "needs root: network namespaces"]
fn flow_churn_under_traffic_never_misdelivers_duplicates_or_mixes() {
    require_netns_tests(false);
    let id = std::process::id() % 100_000;
    let taps: Vec<String> = ["a", "b", "c"]
        .iter()
        .map(|t| format!("dpc{t}{id}"))
        .collect();
    let ns: Vec<Netns> = ["a", "b", "c"]
        .iter()
        .map(|t| Netns::new(format!("dpsw-churn-{t}-{id}")))
        .collect();
    let vdevs: Vec<String> = taps
        .iter()
        .enumerate()
        .map(|(i, tap)| format!("net_tap{i},iface={tap}"))
        .collect();
    let mut daemon = Daemon::start("churn", &vdevs, &[]);
    daemon.wait_for("control socket listening", Duration::from_secs(60));
    for tap in &taps {
        wait_for_link(tap);
    }
    let mac_b = std::fs::read_to_string(format!("/sys/class/net/{}/address", taps[1])).unwrap();
    plumb(&ns[0], &taps[0], "10.63.0.1", "10.63.0.2", mac_b.trim());
    common::plumb_addr(&ns[1], &taps[1], "10.63.0.2");
    common::plumb_addr(&ns[2], &taps[2], "10.63.0.3");

    let mut client = Client::connect(&daemon.socket).expect("connect");
    let dp = client.only_datapath().expect("datapath").dp_ifindex;
    let new = |client: &mut Client, a: &FlowAttrs| -> Request {
        client
            .flow_request(OVS_FLOW_CMD_NEW, dp, a)
            .expect("request")
            .with_flags(NLM_F_CREATE)
    };
    let traffic = attrs(TRAFFIC, PLAIN, None);
    let first = new(&mut client, &traffic);
    client.request(&first).expect("the traffic flow");
    let c_before = ns[2].iface_stat(&taps[2], "rx_packets");

    let mut receiver = Command::new("ip")
        .args(["netns", "exec", &ns[1].0, "python3", "-c", RECEIVER])
        .arg(DATAGRAMS.to_string())
        .stdout(Stdio::piped())
        .spawn()
        .expect("receiver starts");
    let mut out = BufReader::new(receiver.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).expect("receiver ready");
    assert_eq!(line.trim(), "ready");
    let mut sender = Command::new("ip")
        .args(["netns", "exec", &ns[0].0, "python3", "-c", SENDER])
        .args([DATAGRAMS.to_string(), CHURN.as_secs().to_string()])
        .spawn()
        .expect("sender starts");

    // The churn: rounds of ROUND new flows and as many deletions of the
    // oldest, with the traffic flow's actions swapped in each round.
    let (started, mut next, mut changes) = (Instant::now(), 0usize, 0usize);
    let mut live: BTreeSet<usize> = BTreeSet::new();
    while started.elapsed() < CHURN {
        let mut batch: Vec<Request> = Vec::with_capacity(2 * ROUND + 1);
        for i in next..next + ROUND {
            batch.push(new(&mut client, &churned(i)));
            live.insert(i);
        }
        next += ROUND;
        while live.len() > LIVE {
            let oldest = live.pop_first().unwrap();
            let del = client
                .flow_request(OVS_FLOW_CMD_DEL, dp, &churned(oldest))
                .expect("request");
            batch.push(del);
        }
        let swapped = if (next / ROUND).is_multiple_of(2) {
            PLAIN
        } else {
            MARKED
        };
        let set = client
            .flow_request(OVS_FLOW_CMD_SET, dp, &attrs(TRAFFIC, swapped, None))
            .expect("request");
        batch.push(set);
        changes += batch.len();
        install_pipelined(&mut client, &batch);
    }
    let elapsed = started.elapsed();
    assert!(
        common::wait_timeout(&mut sender, Duration::from_secs(60)).success(),
        "sender"
    );
    assert!(common::wait_timeout(&mut receiver, Duration::from_secs(60)).success());
    line.clear();
    out.read_line(&mut line).expect("receiver result");
    let c_heard = ns[2].iface_stat(&taps[2], "rx_packets") - c_before;
    println!(
        "churn: {changes} flow changes in {:.1} s ({:.0}/s); B: {}; C heard {c_heard}",
        elapsed.as_secs_f64(),
        changes as f64 / elapsed.as_secs_f64(),
        line.trim()
    );

    let fields: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(fields[0], "got", "{line}");
    let (got, dup): (u32, u32) = (fields[1].parse().unwrap(), fields[3].parse().unwrap());
    assert!(
        changes as f64 / elapsed.as_secs_f64() > 1000.0,
        "thousands of changes a second"
    );
    assert_eq!(dup, 0, "no datagram twice: {line}");
    assert_eq!(c_heard, 0, "C is reached by no correct match");
    // Every datagram carries one whole list's rewrites.
    for pair in &fields[4..] {
        let (rewrite, _) = pair.split_once('=').unwrap();
        assert!(
            rewrite == "33/4001" || rewrite == "44/4002",
            "a mixed or missing rewrite: {line}"
        );
    }
    // A tap may drop on a loaded machine; the datapath must not.
    assert!(
        got >= DATAGRAMS * 99 / 100,
        "{got} of {DATAGRAMS} arrived: {line}"
    );

    // The datapath holds what the client believes: its live churned
    // flows and the traffic flow.
    let mut ctl = Ctl::connect(&daemon.socket);
    let dumped: BTreeSet<Vec<u8>> = ctl
        .dump_flows()
        .into_iter()
        .filter_map(|f| f.ufid)
        .collect();
    let believed: BTreeSet<Vec<u8>> = live.iter().filter_map(|i| churned(*i).ufid).collect();
    assert_eq!(dumped, believed, "the churned flows left");
    assert_eq!(
        ctl.dump_flows().len(),
        live.len() + 1,
        "and the traffic flow"
    );
    drop((client, ctl));
    let (status, lines) = daemon.stop();
    assert!(status.success(), "dpswitchd exit: {status:?}");
    assert!(
        lines.iter().any(|l| l.contains("mbufs in use 0 of")),
        "{lines:?}"
    );
}
