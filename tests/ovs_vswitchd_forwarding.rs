//! Debian's unmodified ovs-vswitchd runs on dpswitchd through the
//! dpswitch-run adapter: `ovs-vsctl add-br` and `add-port` make a bridge
//! of three veths whose peers sit in namespaces; the bridge's default
//! NORMAL flow (MAC learning in ovs-vswitchd, upcalls and megaflows in
//! dpswitch) carries ping and a TCP transfer between every pair; the
//! ovs-vswitchd sets a port's MTU and the bridge's MAC address; the
//! bridge's internal port is a host interface that reaches them;
//! ovs-vswitchd and dpswitch list the same megaflows and the same port
//! counters, and ovs-vswitchd logs no error.

mod common;

use common::ovs::OvsBridge;
use std::time::Duration;

#[test]
#[ignore = "needs root: namespaces, veths, DPDK"]
fn ovs_vswitchd_learns_and_forwards_on_dpswitch() {
    let bridge = OvsBridge::start("f", "10.97.1", 3);
    let show = bridge.dpctl(&["show"]);
    for (number, name) in [(0, "ovs-system (internal)"), (1, "br0 (internal)")] {
        assert!(show.contains(&format!("port {number}: {name}")), "{show}");
    }
    for host in &bridge.hosts {
        assert!(show.contains(&format!(": {}\n", host.port)), "{show}");
    }

    // Every ordered pair: the first packets miss, go up to ovs-vswitchd,
    // which floods, learns and installs megaflows; every ping is answered.
    for from in 1..=3 {
        for to in (1..=3).filter(|&to| to != from) {
            let addr = format!("10.97.1.{to}");
            assert_eq!(bridge.ping(from, &addr, 3), 3, "ping {from} -> {to}");
        }
    }
    for (from, to) in [(1, 2), (2, 3), (3, 1)] {
        bridge.tcp_transfer(from, to, 2_000_000);
    }

    // Both views of the datapath agree (ovs-vswitchd may add or expire a
    // flow between two dumps: they must agree within a few tries), and
    // the learned unicast megaflows are there.
    let mut views = (bridge.ovs_megaflows(), bridge.dpswitch_megaflows());
    for _ in 0..20 {
        if views.0 == views.1 {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
        views = (bridge.ovs_megaflows(), bridge.dpswitch_megaflows());
    }
    assert_eq!(
        views.0, views.1,
        "ovs-appctl dpctl/dump-flows vs dpctl dump-flows"
    );
    let ipv4 = views
        .1
        .iter()
        .filter(|f| f.contains("eth_type(0x0800)"))
        .count();
    assert!(
        ipv4 >= 6,
        "unicast IPv4 megaflows both ways: {:#?}",
        views.1
    );

    // Port counters ovs-vswitchd reads from the datapath (it refreshes
    // the database's copy every 5 s).
    for host in &bridge.hosts {
        let rx = || -> u64 {
            let column = bridge.vsctl(&["get", "interface", &host.port, "statistics:rx_packets"]);
            column.trim().parse().expect("rx_packets")
        };
        bridge.eventually(Duration::from_secs(12), "rx_packets > 1000", || rx() > 1000);
    }

    // ovs-vswitchd sets what it manages on the kernel interfaces: a
    // port's MTU, the bridge's MAC address.
    let port = &bridge.hosts[0].port;
    bridge.vsctl(&["set", "interface", port, "mtu_request=1400"]);
    bridge.eventually(Duration::from_secs(5), "MTU 1400", || {
        common::run("ip", &["link", "show", port]).contains("mtu 1400 ")
    });
    assert_eq!(
        bridge.vsctl(&["get", "interface", port, "mtu"]).trim(),
        "1400"
    );
    let mac = "02:00:00:97:01:fe";
    bridge.vsctl(&[
        "set",
        "bridge",
        "br0",
        &format!("other-config:hwaddr=\"{mac}\""),
    ]);
    bridge.eventually(Duration::from_secs(5), "br0's MAC set", || {
        common::run("ip", &["link", "show", "br0"]).contains(mac)
    });

    // The internal port: the host addresses br0 and reaches a namespace.
    common::run("ip", &["addr", "add", "10.97.1.254/24", "dev", "br0"]);
    common::run("ip", &["link", "set", "br0", "up"]);
    let out = common::run(
        "ping",
        &["-n", "-q", "-c", "3", "-i", "0.2", "-W", "1", "10.97.1.2"],
    );
    assert!(
        out.contains("3 received"),
        "host -> 10.97.1.2 through br0: {out}"
    );

    bridge.assert_no_errors();
}
