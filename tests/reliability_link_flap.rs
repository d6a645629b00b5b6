//! A link that goes down and comes back: the namespace side of one
//! net_tap port is set down and up again, time after time, while a ping
//! runs across the switch. Traffic resumes after each up, dpswitchd keeps
//! running through it and exits clean with every mbuf back.

mod common;

use common::{
    assert_clean_exit, assert_counters_add_up, ping_summary, ping_until_answered, plumb_addr,
    tap_switch, Background, Netns, PING_FLOWS,
};
use dpswitch_client::client::Client;
use std::time::Duration;

const FLAPS: usize = 5;

#[test]
#[ignore = "needs root: network namespaces"]
fn traffic_resumes_after_each_link_flap() {
    common::require_netns_tests(false);
    let id = std::process::id() % 100_000;
    let (ia, ib) = (format!("rlf{id}a"), format!("rlf{id}b"));
    let daemon = tap_switch("rflap", &[&ia, &ib], &PING_FLOWS, "", &[]);
    let (na, nb) = (
        Netns::new(format!("dpsw-{id}-lfa")),
        Netns::new(format!("dpsw-{id}-lfb")),
    );
    plumb_addr(&na, &ia, "10.64.0.1");
    plumb_addr(&nb, &ib, "10.64.0.2");
    ping_until_answered(&na, "10.64.0.2", Duration::from_secs(20));

    let steady = Background::start(&na, &["ping", "-n", "-q", "-i", "0.05", "10.64.0.2"]);
    for flap in 1..=FLAPS {
        nb.exec(&["ip", "link", "set", &ib, "down"]);
        // The down side answers nothing: what a's ping sends now is lost
        // on the way, and the switch must not mind.
        assert_eq!(
            common::ping_answered(&na, "10.64.0.2", 3, "0.2"),
            0,
            "answered through a down link (flap {flap})"
        );
        nb.exec(&["ip", "link", "set", &ib, "up"]);
        ping_until_answered(&na, "10.64.0.2", Duration::from_secs(30));
        ping_until_answered(&nb, "10.64.0.1", Duration::from_secs(30));
        let got = common::ping_answered(&na, "10.64.0.2", 5, "0.1");
        assert!(got >= 4, "{got} of 5 answered after up (flap {flap})");
    }
    let steady = steady.interrupt();
    let (sent, received) = ping_summary(&steady);
    assert!(received > 0 && received < sent, "the steady ping: {steady}");
    println!("flap: steady ping {received} of {sent} answered");

    // Still the same process, still serving its control socket.
    let mut client = Client::connect(&daemon.socket).expect("connect");
    let stats = client.only_datapath().expect("datapath").stats.unwrap();
    assert!(stats.hit > received, "{stats:?}");
    let (status, lines) = daemon.stop();
    assert_clean_exit(status, &lines);
    let dp = assert_counters_add_up(&lines);
    // What went towards the down link was dropped and counted, not kept.
    assert!(dp["lost"] >= FLAPS as u64, "{dp:?}");
    let b = common::port_exit_counters(&lines, 2);
    assert!(b["rx_packets"] > 0 && b["tx_packets"] > 0, "port 2: {b:?}");
}
