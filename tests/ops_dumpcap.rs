//! Packet capture of a live port with DPDK's `dpdk-dumpcap`, a secondary
//! process attached to dpswitchd through its `--file-prefix`: pings with
//! a known payload cross the switch while dumpcap captures port 1
//! (`net_tap0`); the pcapng file holds every request as received and every
//! reply as sent, byte for byte, tshark reads it, and dpswitchd still
//! exits with every mbuf back in its pool.

mod common;

use common::{
    assert_clean_exit, ping_answered, plumb, read_pcapng, require_tool, run, shared_tap_switch,
    Direction, Dumpcap, Netns, PING_FLOWS,
};
use std::time::{Duration, Instant};

const PINGS: u32 = 8;
/// ping -p: the payload after ping's 16-byte timestamp repeats it.
const PATTERN: [u8; 4] = [0xde, 0xad, 0xbe, 0xef];
const MAC_A: [u8; 6] = [2, 0, 0, 0, 0x79, 1];
const MAC_B: [u8; 6] = [2, 0, 0, 0, 0x79, 2];

fn mac(m: [u8; 6]) -> String {
    m.map(|b| format!("{b:02x}")).join(":")
}

/// An ICMP echo (`icmp_type` 8 request, 0 reply) between the two hosts,
/// from `src` to `dst`, whose 40 payload bytes after the timestamp are
/// PATTERN.
fn is_echo(frame: &[u8], icmp_type: u8, src: [u8; 6], dst: [u8; 6]) -> bool {
    let payload = 14 + 20 + 8 + 16;
    frame.len() == 98
        && frame[..6] == dst
        && frame[6..12] == src
        && frame[12..14] == [0x08, 0x00]
        && frame[14 + 9] == 1
        && frame[34] == icmp_type
        && frame[payload..].chunks(4).all(|c| c == PATTERN)
}

#[test]
#[ignore = "needs root: network namespaces"]
fn dumpcap_captures_a_live_port_into_pcapng() {
    common::require_netns_tests(false);
    require_tool("dpdk-dumpcap", "dpdk-dev");
    require_tool("tshark", "tshark");
    let id = std::process::id() % 100_000;
    let prefix = format!("dpswitch-dumpcap-{id}");
    let (ia, ib) = (format!("dpdc{id}a"), format!("dpdc{id}b"));
    let daemon = shared_tap_switch("dumpcap", &prefix, &[&ia, &ib], &PING_FLOWS, "");
    let dir = common::test_socket_path("dumpcap-out")
        .parent()
        .unwrap()
        .to_path_buf();
    let file = dir.join("port1.pcapng");
    let (na, nb) = (
        Netns::new(format!("dpswitch-dc-{id}-a")),
        Netns::new(format!("dpswitch-dc-{id}-b")),
    );
    // Fixed MACs and static neighbours: no ARP, only the pings cross.
    run("ip", &["link", "set", &ia, "address", &mac(MAC_A)]);
    run("ip", &["link", "set", &ib, "address", &mac(MAC_B)]);
    plumb(&na, &ia, "10.79.0.1", "10.79.0.2", &mac(MAC_B));
    plumb(&nb, &ib, "10.79.0.2", "10.79.0.1", &mac(MAC_A));

    // The DPDK ports dumpcap sees, by DPDK name.
    let list = run("dpdk-dumpcap", &[&format!("--file-prefix={prefix}"), "-D"]);
    assert!(
        list.contains("0. net_tap0") && list.contains("1. net_tap1"),
        "dpdk-dumpcap -D: {list}"
    );

    let capture = Dumpcap::start(&prefix, "net_tap0", &file, 1_000_000);
    // Capturing once packets reach the file: pings with ping's default
    // payload until one is there (the pcapng header alone is < 512 bytes).
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        assert_eq!(ping_answered(&na, "10.79.0.2", 1, "1"), 1, "warm-up ping");
        let size = std::fs::metadata(&file).map(|m| m.len()).unwrap_or(0);
        if size > 512 {
            break;
        }
        assert!(Instant::now() < deadline, "dpdk-dumpcap never captured");
    }
    let pattern: String = PATTERN.iter().map(|b| format!("{b:02x}")).collect();
    let out = std::process::Command::new("ip")
        .args(["netns", "exec", &na.0, "ping", "-n", "-q", "-W", "1"])
        .args(["-i", "0.05", "-c", &PINGS.to_string(), "-p", &pattern])
        .arg("10.79.0.2")
        .output()
        .expect("ping runs");
    let (_, answered) = common::ping_summary(&String::from_utf8_lossy(&out.stdout));
    assert_eq!(answered, u64::from(PINGS), "every ping crossed the switch");
    std::thread::sleep(Duration::from_millis(300));
    let printed = capture.stop(Duration::from_secs(20));
    println!("dpdk-dumpcap: {printed}");

    let packets = read_pcapng(&std::fs::read(&file).expect("the capture file"));
    let requests: Vec<_> = packets
        .iter()
        .filter(|(_, _, f)| is_echo(f, 8, MAC_A, MAC_B))
        .collect();
    let replies: Vec<_> = packets
        .iter()
        .filter(|(_, _, f)| is_echo(f, 0, MAC_B, MAC_A))
        .collect();
    assert_eq!(
        (requests.len(), replies.len()),
        (PINGS as usize, PINGS as usize),
        "{} packets captured: every request and every reply once",
        packets.len()
    );
    assert!(
        requests.iter().all(|(_, d, _)| *d == Direction::Inbound),
        "requests are received on port 1"
    );
    assert!(
        replies.iter().all(|(_, d, _)| *d == Direction::Outbound),
        "replies are sent on port 1"
    );
    // Each reply echoes its request's identifier, sequence and payload.
    for ((_, _, q), (_, _, r)) in requests.iter().zip(&replies) {
        assert_eq!(q[38..], r[38..], "reply payload echoes the request");
    }

    // A second reader, Wireshark's, must see the same packets.
    let fields = run(
        "tshark",
        &[
            "-r",
            file.to_str().unwrap(),
            "-Y",
            "icmp",
            "-T",
            "fields",
            "-e",
            "icmp.type",
            "-e",
            "data.data",
        ],
    );
    let known = |t: &str| {
        fields
            .lines()
            .filter(|l| l.starts_with(&format!("{t}\t")) && l.ends_with(&pattern.repeat(10)))
            .count()
    };
    assert_eq!(
        (known("8"), known("0")),
        (PINGS as usize, PINGS as usize),
        "tshark reads the same packets: {fields}"
    );

    let (status, lines) = daemon.stop();
    assert_clean_exit(status, &lines);
    let _ = std::fs::remove_dir_all(&dir);
}
