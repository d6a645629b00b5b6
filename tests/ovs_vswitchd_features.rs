//! Which Open vSwitch features work on dpswitch, measured with Debian's
//! ovs-vswitchd through dpswitch-run (the README's feature list is this
//! test's): VLAN access ports tag what they send to a trunk, OpenFlow
//! set-field actions rewrite headers, sFlow sampling sends packets up
//! through `userspace` actions, patch ports join two bridges. What
//! dpswitch lacks is refused the way a kernel without it refuses, and
//! ovs-vswitchd falls back by itself: no recirculation, no conntrack
//! (`ct` flows are refused at `ovs-ofctl add-flow`), no meters, no
//! tunnel ports (a `vxlan` port is refused and the bridge goes on
//! forwarding). No ERR line in ovs-vswitchd's log.

mod common;

use common::ovs::OvsBridge;
use std::io::Read;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// tcpdump in `ns` on eth0 for the first frame `filter` takes (for up
/// to 10 s), once it listens.
fn tcpdump(ns: &common::Netns, filter: &str) -> Child {
    let mut child = Command::new("ip")
        .args([
            "netns", "exec", &ns.0, "timeout", "10", "tcpdump", "-c", "1", "-l", "-nei", "eth0",
            filter,
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("tcpdump starts");
    // tcpdump says "listening on eth0" on stderr once it captures.
    let mut stderr = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    while !line.contains("listening on") {
        line.clear();
        if std::io::BufRead::read_line(&mut stderr, &mut line).unwrap_or(0) == 0 {
            break;
        }
    }
    // Its closing summary goes to stderr too: read it, or tcpdump dies of SIGPIPE.
    std::thread::spawn(move || std::io::copy(&mut stderr, &mut std::io::sink()));
    child
}

/// What a `tcpdump` child printed.
fn captured(mut child: Child) -> String {
    let mut seen = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut seen)
        .unwrap();
    let _ = child.wait();
    seen
}

#[test]
#[ignore = "needs root: namespaces, veths, DPDK"]
fn openflow_features_on_dpswitch_work_or_are_refused_cleanly() {
    let bridge = OvsBridge::start("x", "10.97.4", 3);
    let [p1, p2, p3] = [0, 1, 2].map(|i| bridge.hosts[i].port.clone());
    let info = bridge.log_lines("INFO");
    assert!(
        info.iter()
            .any(|l| l.contains("Datapath does not support recirculation")),
        "recirculation probed and refused"
    );

    // VLAN: 1 and 2 are access ports of VLAN 10, 3 a trunk; a broadcast
    // from 1 reaches the trunk tagged.
    for port in [&p1, &p2] {
        bridge.vsctl(&["set", "port", port, "tag=10"]);
    }
    let capture = tcpdump(&bridge.hosts[2].ns, "vlan 10 and arp");
    assert_eq!(
        bridge.ping(1, "10.97.4.2", 3),
        3,
        "access ports of one VLAN"
    );
    let seen = captured(capture);
    assert!(seen.contains("vlan 10"), "the trunk sees the tag: {seen:?}");
    let flows = bridge.dpswitch_megaflows();
    assert!(
        flows.iter().any(|f| f.contains("push_vlan(vid=10")),
        "{flows:#?}"
    );
    // And a frame the trunk sends tagged reaches the access port bare.
    let capture = tcpdump(&bridge.hosts[0].ns, "ether proto 0x88b5");
    let tagged = "import socket\n\
        s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW); s.bind(('eth0', 0))\n\
        s.send(b'\\xff' * 6 + bytes.fromhex('020000000003') + b'\\x81\\x00\\x00\\x0a\\x88\\xb5' + bytes(46))\n";
    bridge.hosts[2].ns.exec(&["python3", "-c", tagged]);
    let seen = captured(capture);
    assert!(
        seen.contains("0x88b5") && !seen.contains("vlan"),
        "untagged: {seen:?}"
    );
    assert!(
        bridge
            .dpswitch_megaflows()
            .iter()
            .any(|f| f.contains("pop_vlan")),
        "{:#?}",
        bridge.dpswitch_megaflows()
    );
    for port in [&p1, &p2] {
        bridge.vsctl(&["remove", "port", port, "tag", "10"]);
    }

    // Set-field: a packet for .99 is rewritten to host 2, which answers.
    let mac2 = bridge.hosts[1]
        .ns
        .exec(&["cat", "/sys/class/net/eth0/address"]);
    let to_2 = bridge.port_number(&p2);
    bridge.hosts[0].ns.exec(&[
        "ip",
        "neigh",
        "replace",
        "10.97.4.99",
        "lladdr",
        "02:00:00:00:00:99",
        "dev",
        "eth0",
    ]);
    bridge.ofctl(&[
        "add-flow",
        "br0",
        &format!(
            "priority=200,ip,nw_dst=10.97.4.99,actions=mod_nw_dst:10.97.4.2,mod_dl_dst:{},output:{p2}",
            mac2.trim()
        ),
    ]);
    assert_eq!(bridge.ping(1, "10.97.4.99", 3), 3, "rewritten to 10.97.4.2");
    let flows = bridge.dpswitch_megaflows();
    assert!(
        flows
            .iter()
            .any(|f| f.contains("set(ipv4(dst=10.97.4.2))") && f.ends_with(&format!(",{to_2}"))),
        "{flows:#?}"
    );

    // sFlow, every packet sampled: userspace actions beside the output.
    bridge.vsctl(&[
        "--",
        "--id=@s",
        "create",
        "sflow",
        "agent=lo",
        "target=\"127.0.0.1:6343\"",
        "sampling=1",
        "--",
        "set",
        "bridge",
        "br0",
        "sflow=@s",
    ]);
    assert_eq!(bridge.ping(1, "10.97.4.3", 3), 3, "sampled traffic flows");
    bridge.eventually(Duration::from_secs(3), "sFlow userspace actions", || {
        bridge
            .dpswitch_megaflows()
            .iter()
            .any(|f| f.contains("actions:userspace("))
    });
    bridge.vsctl(&["clear", "bridge", "br0", "sflow"]);

    // Patch ports: host 3 moves to bridge br1, joined to br0 by a patch
    // pair; ovs-vswitchd sees through it and installs one megaflow.
    bridge.vsctl(&[
        "add-br",
        "br1",
        "--",
        "add-port",
        "br0",
        "patch01",
        "--",
        "set",
        "interface",
        "patch01",
        "type=patch",
        "options:peer=patch10",
        "--",
        "add-port",
        "br1",
        "patch10",
        "--",
        "set",
        "interface",
        "patch10",
        "type=patch",
        "options:peer=patch01",
        "--",
        "del-port",
        "br0",
        &p3,
        "--",
        "add-port",
        "br1",
        &p3,
    ]);
    assert_eq!(bridge.ping(1, "10.97.4.3", 3), 3, "across the patch ports");

    // Refused: conntrack and meters at the OpenFlow level, tunnel ports
    // at the datapath; forwarding goes on.
    let ct = bridge.ovs_output(
        "ovs-ofctl",
        &[
            "add-flow",
            "br0",
            "priority=300,tcp,actions=ct(commit),NORMAL",
        ],
    );
    assert!(!ct.status.success());
    assert!(
        String::from_utf8_lossy(&ct.stderr).contains("NXBAC_CT_DATAPATH_SUPPORT"),
        "{ct:?}"
    );
    let meter = bridge.ovs_output(
        "ovs-ofctl",
        &[
            "-O",
            "OpenFlow13",
            "add-meter",
            "br0",
            "meter=1,kbps,band=type=drop,rate=1000",
        ],
    );
    assert!(!meter.status.success(), "{meter:?}");
    let db = format!("--db=unix:{}", bridge.path("db.sock"));
    let _ = bridge.ovs_output(
        "ovs-vsctl",
        &[
            &db,
            "--timeout=30",
            "add-port",
            "br0",
            "vx0",
            "--",
            "set",
            "interface",
            "vx0",
            "type=vxlan",
            "options:remote_ip=10.97.4.77",
        ],
    );
    let error = bridge.vsctl(&["get", "interface", "vx0", "error"]);
    assert!(error.contains("Address family not supported"), "{error}");
    assert_eq!(bridge.ping(2, "10.97.4.1", 3), 3, "the bridge forwards on");
    bridge.vsctl(&["del-port", "br0", "vx0"]);
    // ovs-vswitchd made a kernel VXLAN device for each try, and removed
    // it when dpswitch refused it.
    bridge.eventually(Duration::from_secs(5), "no vxlan_sys_4789 left", || {
        !std::path::Path::new("/sys/class/net/vxlan_sys_4789").exists()
    });

    bridge.assert_no_errors();
}
