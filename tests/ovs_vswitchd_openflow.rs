//! OpenFlow on dpswitch: with ovs-vswitchd (through dpswitch-run) as the
//! datapath's controller, an `ovs-ofctl add-flow ... actions=drop` cuts
//! one pair of namespaces within the revalidator's interval while the
//! others keep talking, its removal restores the pair, and megaflows left
//! idle are deleted by ovs-vswitchd after `other_config:max-idle`.

mod common;

use common::ovs::OvsBridge;
use std::time::Duration;

/// ovs-vswitchd revalidates at least every 500 ms (`max-revalidator`); an
/// OpenFlow change triggers a revalidation at once. Twice that, plus a
/// margin for a loaded machine.
const REVALIDATION: Duration = Duration::from_millis(1500);

#[test]
#[ignore = "needs root: namespaces, veths, DPDK"]
fn openflow_rules_and_idle_timeouts_reach_dpswitch_megaflows() {
    let bridge = OvsBridge::start("o", "10.97.2", 3);
    assert_eq!(bridge.ping(1, "10.97.2.3", 3), 3);
    assert_eq!(bridge.ping(1, "10.97.2.2", 3), 3);
    let to_3 = |flows: &std::collections::BTreeSet<String>| -> Vec<String> {
        flows
            .iter()
            .filter(|f| {
                f.contains("eth_type(0x0800)") && f.contains("dst=") && f.contains("in_port(2)")
            })
            .cloned()
            .collect()
    };
    assert!(!to_3(&bridge.dpswitch_megaflows()).is_empty());

    let rule = "priority=100,ip,nw_dst=10.97.2.3";
    bridge.ofctl(&["add-flow", "br0", &format!("{rule},actions=drop")]);
    std::thread::sleep(REVALIDATION);
    assert_eq!(bridge.ping(1, "10.97.2.3", 3), 0, "the rule drops 1 -> 3");
    assert_eq!(bridge.ping(1, "10.97.2.2", 3), 3, "1 -> 2 is untouched");
    assert_eq!(bridge.ping(2, "10.97.2.1", 3), 3, "2 -> 1 is untouched");
    let dropping: Vec<String> = bridge
        .dpswitch_megaflows()
        .into_iter()
        .filter(|f| f.contains("ipv4(dst=10.97.2.3") && f.ends_with("actions:drop"))
        .collect();
    assert!(
        !dropping.is_empty(),
        "a dropping megaflow for 10.97.2.3: {:#?}",
        bridge.dpswitch_megaflows()
    );

    bridge.ofctl(&["del-flows", "br0", "--strict", rule]);
    std::thread::sleep(REVALIDATION);
    assert_eq!(bridge.ping(1, "10.97.2.3", 3), 3, "1 -> 3 restored");
    assert!(
        !bridge
            .dpswitch_megaflows()
            .iter()
            .any(|f| f.ends_with("actions:drop")),
        "no dropping megaflow left: {:#?}",
        bridge.dpswitch_megaflows()
    );

    // Idle megaflows go after max-idle (1 s here), deleted by the
    // revalidator with their final statistics.
    bridge.vsctl(&["set", "Open_vSwitch", ".", "other_config:max-idle=1000"]);
    assert_eq!(bridge.ping(2, "10.97.2.3", 1), 1);
    bridge.eventually(Duration::from_secs(6), "idle megaflows deleted", || {
        bridge.dpswitch_megaflows().is_empty()
    });
    assert!(bridge.ovs_megaflows().is_empty());

    bridge.assert_no_errors();
}
