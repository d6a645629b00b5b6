//! The controller dies and another takes over. `dpctl learn` handles the
//! misses of three hosts behind net_tap ports; it is killed with SIGKILL.
//! Pairs it had learned keep talking over the flows it left, a pair it had
//! not learned gets nowhere (its misses are counted lost, per port, for
//! want of a reader), and a second `dpctl learn` serves new conversations
//! again, the old pairs too once their flows and ARP entries are flushed.

mod common;

use common::{
    assert_clean_exit, assert_counters_add_up, ping_answered, plumb_addr, port_exit_counters,
    tap_switch, Controller, Netns,
};
use dpswitch::netlink::consts::*;
use dpswitch::netlink::flow::FlowAttrs;
use dpswitch_client::client::Client;

fn flow_count(client: &mut Client) -> u64 {
    client.only_datapath().unwrap().stats.unwrap().flows
}

fn lost(client: &mut Client) -> u64 {
    client.only_datapath().unwrap().stats.unwrap().lost
}

fn addr(k: usize) -> String {
    format!("10.63.0.{k}")
}

#[test]
#[ignore = "needs root: network namespaces"]
fn flows_outlive_a_killed_controller_and_a_new_one_takes_over() {
    common::require_netns_tests(false);
    let id = std::process::id() % 100_000;
    let ifaces: Vec<String> = (1..=3).map(|k| format!("rcr{id}{k}")).collect();
    let names: Vec<&str> = ifaces.iter().map(String::as_str).collect();
    let daemon = tap_switch("rctl", &names, &[], "", &[]);
    let hosts: Vec<Netns> = (1..=3)
        .map(|k| {
            let ns = Netns::new(format!("dpsw-{id}-cr{k}"));
            // ARP left dynamic: its broadcasts are misses for the controller.
            plumb_addr(&ns, &ifaces[k - 1], &addr(k));
            ns
        })
        .collect();
    let (h1, h2, h3) = (&hosts[0], &hosts[1], &hosts[2]);
    let mut client = Client::connect(&daemon.socket).expect("connect");
    let dp = client.only_datapath().unwrap().dp_ifindex;

    let first = Controller::start(&daemon.socket, 300);
    let got = ping_answered(h1, &addr(2), 4, "0.2");
    assert!(got >= 3, "1 -> 2 with the first controller: {got} of 4");
    assert_eq!(flow_count(&mut client), 2, "one flow each way");

    let status = first.kill();
    assert!(!status.success(), "{status:?}");
    assert_eq!(
        flow_count(&mut client),
        2,
        "the flows outlive their controller"
    );
    assert_eq!(ping_answered(h1, &addr(2), 3, "0.2"), 3, "1 -> 2, learned");
    assert_eq!(ping_answered(h2, &addr(1), 3, "0.2"), 3, "2 -> 1, learned");
    let lost_before = lost(&mut client);
    assert_eq!(
        ping_answered(h1, &addr(3), 3, "0.2"),
        0,
        "1 -> 3 with no controller"
    );
    let unheard = lost(&mut client) - lost_before;
    assert!(unheard >= 1, "1's ARP requests were lost, and counted");

    let mut second = Controller::start(&daemon.socket, 300);
    let got = ping_answered(h1, &addr(3), 4, "0.2");
    assert!(got >= 3, "1 -> 3 with the second controller: {got} of 4");
    second.wait_for("on port 3");
    let got = ping_answered(h3, &addr(2), 4, "0.2");
    assert!(got >= 3, "3 -> 2, never learned before: {got} of 4");

    // Forgotten everywhere: the old pair is new to the second controller.
    let flush = client
        .flow_request(OVS_FLOW_CMD_DEL, dp, &FlowAttrs::default())
        .unwrap();
    client.request(&flush).expect("flush");
    for ns in [h1, h2] {
        ns.exec(&["ip", "neigh", "flush", "all"]);
    }
    let got = ping_answered(h2, &addr(1), 4, "0.2");
    assert!(got >= 3, "2 -> 1 after the flush: {got} of 4");
    assert!(flow_count(&mut client) >= 2);
    assert!(second.stop().0.success());
    drop(client);

    let (status, lines) = daemon.stop();
    assert_clean_exit(status, &lines);
    assert_counters_add_up(&lines);
    let p1 = port_exit_counters(&lines, 1);
    assert!(
        p1["upcall_lost_unread"] + p1["upcall_lost_no_handler"] >= unheard,
        "port 1's misses while no controller read: {p1:?}"
    );
}
