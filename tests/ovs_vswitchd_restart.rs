//! Ports and restarts under traffic: `ovs-vsctl del-port` of one port
//! while two namespaces exchange a ping flood through the others loses
//! none of theirs; ovs-vswitchd stopped while the flood runs leaves
//! dpswitchd forwarding on the megaflows it installed, and started again
//! it picks the datapath up as it does the kernel module's: the same
//! ports under the same numbers, the installed flows, and new ones.

mod common;

use common::ovs::OvsBridge;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A ping flood from a namespace: `count` pings 10 ms apart.
fn flood(ns: &common::Netns, to: &str, count: u32) -> Child {
    Command::new("ip")
        .args(["netns", "exec", &ns.0, "ping", "-n", "-q", "-i", "0.01"])
        .args(["-W", "1", "-c", &count.to_string(), to])
        .stdout(Stdio::piped())
        .spawn()
        .expect("ping starts")
}

/// (transmitted, received) of a finished flood.
fn flood_result(child: Child) -> (u64, u64) {
    let out = child.wait_with_output().expect("ping ends");
    common::ping_summary(&String::from_utf8_lossy(&out.stdout))
}

fn port_numbers(show: &str) -> Vec<String> {
    let mut ports: Vec<String> = show
        .lines()
        .filter(|l| l.trim_start().starts_with("port "))
        .map(|l| l.trim().to_string())
        .collect();
    ports.sort();
    ports
}

#[test]
#[ignore = "needs root: namespaces, veths, DPDK"]
fn ports_removed_and_ovs_vswitchd_restarted_under_traffic() {
    let mut bridge = OvsBridge::start("r", "10.97.3", 3);
    for (from, to) in [(1, "10.97.3.2"), (3, "10.97.3.1")] {
        assert_eq!(bridge.ping(from, to, 3), 3);
    }

    // Port 3 removed while 1 and 2 flood each other and 3 floods 1.
    let kept = flood(&bridge.hosts[0].ns, "10.97.3.2", 300);
    let cut = flood(&bridge.hosts[2].ns, "10.97.3.1", 300);
    std::thread::sleep(Duration::from_secs(1));
    let removed = bridge.hosts[2].port.clone();
    bridge.vsctl(&["del-port", "br0", &removed]);
    let (sent, answered) = flood_result(kept);
    assert_eq!(answered, sent, "1 -> 2 lost nothing while a port went");
    let (sent, answered) = flood_result(cut);
    assert!(
        answered > 0 && answered < sent,
        "3 -> 1 stopped: {answered} of {sent}"
    );
    let show = bridge.dpctl(&["show"]);
    assert!(!show.contains(&removed), "{show}");
    assert_eq!(bridge.ping(1, "10.97.3.3", 2), 0);

    // ovs-vswitchd restarted as `ovs-ctl restart` restarts it, with
    // flow-restore-wait (without it, a starting ovs-vswitchd flushes the
    // datapath's flows, as it does the kernel module's), while 1 and 2
    // flood each other: the installed megaflows carry every packet while
    // no ovs-vswitchd runs, and the new one finds them.
    let ports_before = port_numbers(&show);
    bridge.vsctl(&[
        "set",
        "Open_vSwitch",
        ".",
        "other_config:flow-restore-wait=true",
    ]);
    let kept = flood(&bridge.hosts[0].ns, "10.97.3.2", 600);
    std::thread::sleep(Duration::from_millis(500));
    bridge.stop_vswitchd();
    let stopped = bridge.dpswitch_megaflows();
    assert!(
        stopped.iter().any(|f| f.contains("eth_type(0x0800)")),
        "{stopped:#?}"
    );
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(
        bridge.dpswitch_megaflows(),
        stopped,
        "the datapath keeps its flows"
    );
    bridge.start_vswitchd();
    bridge.eventually(Duration::from_secs(10), "ovs-vswitchd back", || {
        bridge
            .log_lines("INFO")
            .iter()
            .filter(|l| l.contains("added interface"))
            .count()
            // br0 and three ports at first; br0 and the two left again.
            >= 4 + 3
    });
    let found = bridge.ovs_megaflows();
    assert!(
        stopped.iter().all(|f| found.contains(f)),
        "ovs-vswitchd lists the flows it found: {found:#?} vs {stopped:#?}"
    );
    bridge.vsctl(&[
        "remove",
        "Open_vSwitch",
        ".",
        "other_config",
        "flow-restore-wait",
    ]);
    let (sent, answered) = flood_result(kept);
    assert_eq!(answered, sent, "1 -> 2 lost nothing across the restart");

    // The same ports, the bridge's interfaces back on their OpenFlow
    // ports, and conversations learned and installed again.
    assert_eq!(port_numbers(&bridge.dpctl(&["show"])), ports_before);
    let dpif = bridge.appctl(&["dpif/show"]);
    for host in &bridge.hosts[..2] {
        assert!(dpif.contains(&host.port), "{dpif}");
    }
    assert_eq!(bridge.ping(2, "10.97.3.1", 3), 3);
    bridge.eventually(Duration::from_secs(5), "both views agree", || {
        bridge.ovs_megaflows() == bridge.dpswitch_megaflows()
    });

    bridge.assert_no_errors();
}
