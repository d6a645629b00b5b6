//! pop_vlan end to end: tagged frames enter dpswitchd on a net_pcap port
//! (replayed from a capture this test writes: the test machine's kernel
//! may lack 802.1Q interfaces), a megaflow matching the tag and its encap
//! pops it and outputs to a net_tap port, and tcpdump in the far
//! namespace sees the frame untagged.

mod common;

use common::{pcap, run, wait_for_link, Daemon, Netns};
use etherparse::{PacketBuilder, VlanId};
use std::io::Read;
use std::process::{Command, Stdio};
use std::time::Duration;

#[test]
#[ignore = "needs root: network namespaces"]
fn tagged_frames_leave_untagged_through_pop_vlan() {
    common::require_netns_tests(true);
    let id = std::process::id() % 100_000;
    let dir = std::env::temp_dir().join(format!("dpswitch-pop-{id}"));
    std::fs::create_dir_all(&dir).unwrap();
    let mut frame = Vec::new();
    PacketBuilder::ethernet2([2, 0, 0, 0, 0x89, 1], [2, 0, 0, 0, 0x89, 2])
        .single_vlan(VlanId::try_new(20).unwrap())
        .ipv4([10, 89, 0, 1], [10, 89, 0, 2], 64)
        .udp(40000, 5002)
        .write(&mut frame, b"dpswitch")
        .unwrap();
    let capture = dir.join("tagged.pcap");
    std::fs::write(&capture, pcap(&[frame])).unwrap();
    let conf = dir.join("pop.toml");
    std::fs::write(
        &conf,
        "[[flow]]\nkey = \"in_port(2),eth(),eth_type(0x8100),vlan(vid=20,pcp=0),encap(eth_type(0x0800),ipv4(proto=17,frag=no),udp(dst=5002))\"\nactions = \"pop_vlan,1\"\n",
    )
    .unwrap();

    let tap = format!("dpp{id}");
    let vdevs = [
        format!("net_tap0,iface={tap}"),
        format!("net_pcap0,rx_pcap={},infinite_rx=1", capture.display()),
    ];
    let mut daemon = Daemon::start("pop", &vdevs, &["--config", conf.to_str().unwrap()]);
    daemon.wait_for("running", Duration::from_secs(30));
    wait_for_link(&tap);
    let ns = Netns::new(format!("dpswitch-{id}-pop"));
    run("ip", &["link", "set", &tap, "netns", &ns.0]);
    ns.exec(&[
        "sysctl",
        "-qw",
        &format!("net.ipv6.conf.{tap}.disable_ipv6=1"),
    ]);
    ns.exec(&["ip", "link", "set", &tap, "up"]);

    let mut dump = Command::new("ip")
        .args([
            "netns",
            "exec",
            &ns.0,
            "tcpdump",
            "-i",
            &tap,
            "-nn",
            "-e",
            "-c",
            "3",
            "udp or vlan",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("tcpdump starts");
    let status = common::wait_timeout(&mut dump, Duration::from_secs(20));
    let mut seen = String::new();
    dump.stdout
        .take()
        .unwrap()
        .read_to_string(&mut seen)
        .unwrap();
    let (exit, lines) = daemon.stop();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(status.success(), "tcpdump: {status:?}");
    assert!(exit.success(), "dpswitchd exit: {exit:?}");
    let frames: Vec<&str> = seen.lines().collect();
    assert_eq!(frames.len(), 3, "{seen}");
    for f in frames {
        assert!(f.contains("10.89.0.2.5002: UDP"), "{f}");
        assert!(
            !f.contains("vlan") && f.contains("ethertype IPv4"),
            "tag still there: {f}"
        );
    }
    let flow = lines
        .iter()
        .find(|l| {
            l.starts_with("dpswitchd: exit: flow in_port(2),eth(),eth_type(0x8100),vlan(vid=20")
        })
        .unwrap_or_else(|| panic!("no pop flow in {lines:?}"));
    assert!(!flow.contains("packets:0,"), "{flow}");
}
