//! dpswitchd on two net_tap ports whose tap interfaces live in two network
//! namespaces: traffic sent from the namespaces is received and counted by
//! the daemon's ports, exactly as many packets as the kernel says it sent,
//! and the daemon stops cleanly with every mbuf back in its pool.

mod common;

use common::{plumb, port_exit_counters, wait_for_link, Daemon, Netns};
use std::time::Duration;

/// The kernel's tx counters of both taps, once they stop moving.
fn settled_tx(a: &Netns, ia: &str, b: &Netns, ib: &str) -> (u64, u64) {
    let mut last = (a.tx_packets(ia), b.tx_packets(ib));
    loop {
        std::thread::sleep(Duration::from_millis(300));
        let now = (a.tx_packets(ia), b.tx_packets(ib));
        if now == last {
            return now;
        }
        last = now;
    }
}

#[test]
#[ignore = "needs root: network namespaces"]
fn taps_in_namespaces_are_received_and_counted() {
    common::require_netns_tests(false);
    let id = std::process::id() % 100_000;
    let (ia, ib) = (format!("dpt{id}a"), format!("dpt{id}b"));
    let vdevs = [
        format!("net_tap0,iface={ia}"),
        format!("net_tap1,iface={ib}"),
    ];
    let mut daemon = Daemon::start("tap", &vdevs, &[]);
    daemon.wait_for("running", Duration::from_secs(30));
    wait_for_link(&ia);
    wait_for_link(&ib);

    let (na, nb) = (
        Netns::new(format!("dpswitch-{id}-a")),
        Netns::new(format!("dpswitch-{id}-b")),
    );
    plumb(&na, &ia, "10.77.0.1", "10.77.0.2", "02:00:00:00:77:02");
    plumb(&nb, &ib, "10.77.0.2", "10.77.0.1", "02:00:00:00:77:01");

    // The switch has no flows yet, so pings get no answer: send and count.
    let pings = 7u64;
    for (ns, dst) in [(&na, "10.77.0.2"), (&nb, "10.77.0.1")] {
        let _ = std::process::Command::new("ip")
            .args([
                "netns",
                "exec",
                &ns.0,
                "ping",
                "-c",
                &pings.to_string(),
                "-i",
                "0.05",
                "-W",
                "1",
                dst,
            ])
            .output()
            .expect("ping runs");
    }
    let (sent_a, sent_b) = settled_tx(&na, &ia, &nb, &ib);
    assert!(
        sent_a >= pings && sent_b >= pings,
        "kernel sent {sent_a}/{sent_b}"
    );

    let (status, lines) = daemon.stop();
    assert!(status.success(), "dpswitchd exit: {status:?}");
    let pa = port_exit_counters(&lines, 1);
    let pb = port_exit_counters(&lines, 2);
    assert_eq!(pa["rx_packets"], sent_a, "port 1 counted what {ia} sent");
    assert_eq!(pb["rx_packets"], sent_b, "port 2 counted what {ib} sent");
    assert!(
        pa["rx_bytes"] >= pings * 98,
        "ICMP echo frames are 98 bytes"
    );
    assert_eq!(pa["rx_missed"] + pb["rx_missed"], 0);
    let datapath = lines
        .iter()
        .find(|l| l.starts_with("dpswitchd: exit: datapath"))
        .expect("datapath line");
    assert!(
        datapath.contains(&format!("received={}", sent_a + sent_b)),
        "{datapath}"
    );
    assert!(
        lines.iter().any(|l| l.ends_with("mbufs in use 0 of 16383")),
        "every mbuf back: {lines:?}"
    );
}
