//! Malformed frames on the wire: thousands of them, sent from inside a
//! namespace through a raw socket into a net_tap port (random bytes,
//! bogus IPv4 IHLs, IPv4/IPv6/TCP/UDP headers cut short, IPv6
//! extension chains that loop or run past the frame, thirty stacked VLAN
//! tags), many of them matching flows that rewrite headers and push a VLAN
//! tag. The kernel sends nothing shorter than an Ethernet header, so the
//! same frames, runts included, also come from a net_pcap port. Well-formed frames interleaved with them cross the same rewriting
//! flow and arrive on the far side with exactly the rewritten bytes;
//! dpswitchd counts every frame once and exits clean.

mod common;
#[path = "reliability/malformed.rs"]
mod malformed;
#[allow(dead_code)] // the generator, not the seed helpers
#[path = "hostile/rng.rs"]
mod rng;

use common::{
    assert_clean_exit, assert_counters_add_up, pcap, plumb_addr, port_exit_counters, read_pcap,
    switch_with, Background, Netns,
};
use etherparse::{PacketBuilder, VlanId};
use std::io::{BufRead, BufReader};
use std::time::Duration;

const MALFORMED: usize = 4800;
/// A well-formed frame after every this many malformed ones.
const EVERY: usize = 100;
const MAGIC: &[u8] = b"dpswitch well-formed ";

const FLOWS: [(&str, &str); 4] = [
    (
        "in_port(3),eth(),eth_type(0x0800),ipv4(proto=17,frag=no),udp()",
        "set(ipv4(dst=10.65.0.9)),set(udp(dst=6000)),push_vlan(vid=65,pcp=0),2",
    ),
    (
        "in_port(1),eth(),eth_type(0x0800),ipv4(proto=17,frag=no),udp()",
        "set(ipv4(dst=10.65.0.9)),set(udp(dst=6000)),push_vlan(vid=65,pcp=0),2",
    ),
    (
        "in_port(1),eth(),eth_type(0x0800),ipv4(proto=6,frag=no),tcp(),tcp_flags(0/0)",
        "set(tcp(dst=80)),2",
    ),
    (
        "in_port(1),eth(),eth_type(0x86dd),ipv6(frag=no)",
        "push_vlan(vid=66,pcp=0),2",
    ),
];

/// Sends each frame of a pcap file through a raw socket on an interface;
/// prints how many the kernel took and how many it refused.
const SENDER: &str = r#"
import socket, struct, sys, time
data = open(sys.argv[1], 'rb').read()
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((sys.argv[2], 0))
at, sent, refused = 24, 0, 0
while at + 16 <= len(data):
    caplen = struct.unpack_from('<I', data, at + 8)[0]
    frame = data[at + 16:at + 16 + caplen]
    at += 16 + caplen
    try:
        s.send(frame)
        sent += 1
    except OSError:
        refused += 1
    if (sent + refused) % 50 == 0:
        time.sleep(0.002)
print('sent', sent, 'refused', refused)
"#;

fn good_frame(n: usize) -> Vec<u8> {
    let mut f = Vec::new();
    PacketBuilder::ethernet2(malformed::SRC_MAC, malformed::DST_MAC)
        .ipv4([10, 65, 0, 1], [10, 65, 0, 2], 64)
        .udp(4000, 5000)
        .write(&mut f, &payload(n))
        .unwrap();
    f
}

/// What the rewriting flow makes of `good_frame(n)`.
fn rewritten(n: usize) -> Vec<u8> {
    let mut f = Vec::new();
    PacketBuilder::ethernet2(malformed::SRC_MAC, malformed::DST_MAC)
        .single_vlan(VlanId::try_new(65).unwrap())
        .ipv4([10, 65, 0, 1], [10, 65, 0, 9], 64)
        .udp(4000, 6000)
        .write(&mut f, &payload(n))
        .unwrap();
    f
}

fn is_good(frame: &[u8]) -> bool {
    frame.windows(MAGIC.len()).any(|w| w == MAGIC)
}

/// At least one kind in this many makes frames shorter than an Ethernet header.
const KINDS_SHORT: usize = malformed::KINDS;

fn payload(n: usize) -> Vec<u8> {
    let mut p = MAGIC.to_vec();
    p.extend(format!("{n:06}").bytes());
    p
}

#[test]
#[ignore = "needs root: network namespaces"]
fn malformed_frames_neither_crash_nor_corrupt_the_rewritten_ones() {
    common::require_netns_tests(true);
    let seed = std::env::var("HOSTILE_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| u64::from(std::process::id()));
    println!("malformed: seed {seed} (HOSTILE_SEED={seed} repeats it)");
    let mut rng = rng::Rng::new(seed);
    let mut frames = Vec::new();
    let mut goods = 0;
    for i in 0..MALFORMED {
        frames.push(malformed::frame(&mut rng, i));
        if i % EVERY == EVERY - 1 {
            frames.push(good_frame(goods));
            goods += 1;
        }
    }

    let short = frames.iter().filter(|f| f.len() < 14).count();
    assert!(
        short >= MALFORMED / KINDS_SHORT,
        "runts among them: {short}"
    );

    let id = std::process::id() % 100_000;
    let (ia, ib) = (format!("rmw{id}a"), format!("rmw{id}b"));
    let replay = std::env::temp_dir().join(format!("dpswitch-malformed-{id}.pcap"));
    let malformed_only: Vec<Vec<u8>> = frames.iter().filter(|f| !is_good(f)).cloned().collect();
    std::fs::write(&replay, pcap(&malformed_only)).unwrap();
    let pcap_port = (
        "net_pcap0".to_string(),
        format!("net_pcap0,rx_pcap={}", replay.display()),
    );
    let daemon = switch_with("rmalf", &[&ia, &ib], &[pcap_port], &FLOWS, "", &[]);
    let (na, nb) = (
        Netns::new(format!("dpsw-{id}-mwa")),
        Netns::new(format!("dpsw-{id}-mwb")),
    );
    plumb_addr(&na, &ia, "10.65.0.1");
    plumb_addr(&nb, &ib, "10.65.0.2");
    let dir = daemon.socket.parent().unwrap().to_path_buf();
    let input = dir.join("malformed.pcap");
    std::fs::write(&input, pcap(&frames)).unwrap();
    let capture = dir.join("far.pcap");

    let capture_arg = capture.display().to_string();
    let mut dump = Background::start(
        &nb,
        &["tcpdump", "-i", &ib, "-nn", "-U", "-w", &capture_arg],
    );
    let mut err = BufReader::new(dump.0.stderr.take().unwrap());
    let mut line = String::new();
    while !line.contains("listening on") {
        line.clear();
        assert!(err.read_line(&mut line).unwrap() > 0, "tcpdump: {line}");
    }
    let tx_before = na.tx_packets(&ia);
    let out = na.exec(&["python3", "-c", SENDER, input.to_str().unwrap(), &ia]);
    let tx = na.tx_packets(&ia) - tx_before;
    println!("malformed: {} frames: {out}", frames.len());
    let sent: u64 = out.split_whitespace().nth(1).unwrap().parse().unwrap();
    assert_eq!(
        sent as usize,
        frames.len() - short,
        "all but the runts: {out}"
    );
    std::thread::sleep(Duration::from_secs(2));
    dump.interrupt();

    let far = read_pcap(&std::fs::read(&capture).unwrap());
    let arrived: Vec<&Vec<u8>> = far.iter().filter(|f| is_good(f)).collect();
    assert_eq!(arrived.len(), goods, "well-formed frames on the far side");
    for (n, got) in arrived.iter().enumerate() {
        assert_eq!(**got, rewritten(n), "well-formed frame {n}, rewritten");
    }

    let (status, lines) = daemon.stop();
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_file(&replay);
    assert_clean_exit(status, &lines);
    let dp = assert_counters_add_up(&lines);
    let (a, b) = (port_exit_counters(&lines, 1), port_exit_counters(&lines, 2));
    println!(
        "malformed: kernel tx {tx}; port 1 {a:?}; datapath {dp:?}; {} frames on the far side",
        far.len()
    );
    let c = port_exit_counters(&lines, 3);
    assert_eq!(
        c["rx_packets"],
        malformed_only.len() as u64,
        "the pcap port replayed every frame, runts included"
    );
    assert_eq!(
        dp["received"],
        a["rx_packets"] + b["rx_packets"] + c["rx_packets"],
        "every frame a port took went through the datapath"
    );
    assert!(
        a["rx_packets"] >= tx,
        "port 1 took all the kernel sent: {a:?}"
    );
}
