//! Ports changed at run time over the control socket, as the kernel's
//! ovs_vport_cmd_* change them: ports added (`internal`: a tap the daemon
//! creates; `netdev`: a veth attached through net_af_packet) and removed
//! while traffic flows, with every mbuf back at exit; launch ports named
//! and numbered; every refusal with the kernel's errno and nothing changed.

mod common;

use common::errno::*;
use common::vports::*;
use common::{flow_text, plumb_addr, wait_for_link, Ctl, Netns, Reply};
use dpswitch::netlink::attr::AttrWriter;
use dpswitch::netlink::consts::*;
use std::process::Command;
use std::time::Duration;

#[test]
#[ignore = "needs root: hugepages, taps"]
fn vport_refusals_use_the_kernels_errno_and_change_nothing() {
    common::require_root("hugepages, taps");
    let dp = format!("dve{}", id());
    let internal = format!("dvei{}", id());
    let vdevs = [
        "net_null0,no-rx=1".to_string(),
        "net_null1,no-rx=1".to_string(),
    ];
    let (daemon, mut ctl) = start("vperr", &dp, &vdevs, true);
    let base = vports(&mut ctl);
    assert_eq!(base.len(), 3);
    // A monitor of the ovs_vport group: refusals notify nobody.
    let mut monitor = Ctl::connect(&daemon.socket);
    let group = monitor.group(OVS_VPORT_FAMILY, OVS_VPORT_MCGROUP);
    assert_eq!(monitor.subscribe(group).errno, 0);
    let cases: Vec<(Reply, i32, &str)> = vec![
        (
            vport_new(&mut ctl, Some(&internal), None, None, Some(&[1])),
            EINVAL,
            "no type",
        ),
        (
            vport_new(
                &mut ctl,
                Some(&internal),
                Some(OVS_VPORT_TYPE_INTERNAL),
                None,
                None,
            ),
            EINVAL,
            "no upcall pid",
        ),
        (
            vport_new(
                &mut ctl,
                None,
                Some(OVS_VPORT_TYPE_INTERNAL),
                None,
                Some(&[1]),
            ),
            EINVAL,
            "no name",
        ),
        (
            vport_new(
                &mut ctl,
                Some(&internal),
                Some(OVS_VPORT_TYPE_INTERNAL),
                Some(65536),
                Some(&[1]),
            ),
            EFBIG,
            "number not below DP_MAX_PORTS",
        ),
        (
            // The number is checked before the type, as in the kernel.
            vport_new(
                &mut ctl,
                Some(&internal),
                Some(OVS_VPORT_TYPE_VXLAN),
                Some(65536),
                Some(&[1]),
            ),
            EFBIG,
            "number before type",
        ),
        (
            vport_new(
                &mut ctl,
                Some(&internal),
                Some(OVS_VPORT_TYPE_INTERNAL),
                Some(1),
                Some(&[1]),
            ),
            EBUSY,
            "number taken",
        ),
        (
            vport_new(
                &mut ctl,
                Some(&internal),
                Some(OVS_VPORT_TYPE_VXLAN),
                None,
                Some(&[1]),
            ),
            EAFNOSUPPORT,
            "vxlan",
        ),
        (
            vport_new(
                &mut ctl,
                Some(&internal),
                Some(OVS_VPORT_TYPE_GENEVE),
                None,
                Some(&[1]),
            ),
            EAFNOSUPPORT,
            "geneve",
        ),
        (
            vport_new(
                &mut ctl,
                Some(&internal),
                Some(OVS_VPORT_TYPE_INTERNAL),
                None,
                Some(&[]),
            ),
            EINVAL,
            "empty pid array",
        ),
        (
            vport_new(
                &mut ctl,
                Some("net_null1"),
                Some(OVS_VPORT_TYPE_NETDEV),
                Some(9),
                Some(&[1]),
            ),
            EBUSY,
            "a launch port's name under another number",
        ),
        (
            vport_new(
                &mut ctl,
                Some(&dp),
                Some(OVS_VPORT_TYPE_INTERNAL),
                Some(9),
                Some(&[1]),
            ),
            EBUSY,
            "the local port's name under another number",
        ),
        (
            vport_new(
                &mut ctl,
                Some(&format!("nosuch{}", id())),
                Some(OVS_VPORT_TYPE_NETDEV),
                None,
                Some(&[1]),
            ),
            ENODEV,
            "netdev without its interface",
        ),
        (vport_del(&mut ctl, 0), EINVAL, "DEL of the local port"),
        (vport_del(&mut ctl, 9), ENODEV, "DEL of no port"),
        (vport_del(&mut ctl, 65536), EFBIG, "DEL of a number too big"),
    ];
    for (reply, errno, what) in &cases {
        assert_errno(reply, *errno, what);
        assert_eq!(vports(&mut ctl), base, "{what}: nothing changed");
    }
    let vx = &cases[6].0;
    assert!(vx.ext.as_deref().unwrap().contains("vxlan"), "{:?}", vx.ext);
    assert!(!link_exists(&internal), "no interface was created");
    // Another datapath's dp_ifindex.
    let mut w = AttrWriter::new();
    w.put(OVS_VPORT_ATTR_NAME, format!("{internal}\0").as_bytes());
    w.put_u32(OVS_VPORT_ATTR_TYPE, OVS_VPORT_TYPE_INTERNAL);
    w.put_u32(OVS_VPORT_ATTR_UPCALL_PID, 1);
    let other = ctl.dp_ifindex + 1;
    let r = ctl.ovs(ctl.vport_family, OVS_VPORT_CMD_NEW, 0, other, w.as_bytes());
    assert_errno(&r, ENODEV, "no such datapath");

    // SET: type change, options, then a pid array kept whole.
    let set = |ctl: &mut Ctl, extra: &[u8]| {
        let mut a = u32_attr(OVS_VPORT_ATTR_PORT_NO, 2);
        a.extend_from_slice(extra);
        let dp = ctl.dp_ifindex;
        ctl.ovs(ctl.vport_family, OVS_VPORT_CMD_SET, NLM_F_ECHO, dp, &a)
    };
    let r = set(
        &mut ctl,
        &u32_attr(OVS_VPORT_ATTR_TYPE, OVS_VPORT_TYPE_INTERNAL),
    );
    assert_errno(&r, EINVAL, "type change");
    let mut w = AttrWriter::new();
    w.put(OVS_VPORT_ATTR_OPTIONS, &[]);
    w.put(OVS_VPORT_ATTR_UPCALL_PID, &9u32.to_ne_bytes());
    assert_errno(&set(&mut ctl, w.as_bytes()), EOPNOTSUPP, "options");
    let mut w = AttrWriter::new();
    w.put(OVS_VPORT_ATTR_UPCALL_PID, &[1, 2, 3]);
    assert_errno(&set(&mut ctl, w.as_bytes()), EINVAL, "pid array of 3 bytes");
    assert_eq!(vports(&mut ctl), base, "refused SETs changed nothing");
    let pids: Vec<u8> = [5u32, 6, 7].iter().flat_map(|p| p.to_ne_bytes()).collect();
    let mut w = AttrWriter::new();
    w.put(OVS_VPORT_ATTR_UPCALL_PID, &pids);
    let r = set(&mut ctl, w.as_bytes());
    assert_eq!(r.errno, 0, "{:?}", r.ext);
    assert_eq!(
        vport_of(&r.messages[0]).3,
        [5, 6, 7],
        "the echo has the whole array"
    );
    let now = vports(&mut ctl);
    assert_eq!(now[2].3, [5, 6, 7]);
    // The monitor saw the one change, a SET, and nothing else: a request
    // of its own after them collects what was queued before its answer.
    vports(&mut monitor);
    let notes: Vec<u8> = monitor
        .unsolicited
        .iter()
        .filter(|m| m.header.msg_type == monitor.vport_family)
        .map(|m| m.genl_cmd())
        .collect();
    assert_eq!(notes, [OVS_VPORT_CMD_SET], "notifications: {notes:?}");
    let note = monitor
        .unsolicited
        .iter()
        .find(|m| m.header.msg_type == monitor.vport_family)
        .unwrap();
    assert_eq!(
        vport_of(note).3,
        [5, 6, 7],
        "the notification has the array"
    );
    drop(monitor);
    drop(ctl);
    let (status, _) = daemon.stop();
    assert!(status.success(), "dpswitchd exit: {status:?}");
}

/// Runs a command, ignoring failure (for cleanup).
fn quietly(args: &[&str]) {
    let _ = Command::new(args[0]).args(&args[1..]).output();
}

/// A veth pair made by the test, deleted by name at the end.
struct Veth(String);

impl Drop for Veth {
    fn drop(&mut self) {
        quietly(&["ip", "link", "del", &self.0]);
    }
}

fn ping(ns: &Netns, dst: &str, count: u32) -> bool {
    Command::new("ip")
        .args([
            "netns",
            "exec",
            &ns.0,
            "ping",
            "-c",
            &count.to_string(),
            "-i",
            "0.05",
            "-W",
            "1",
            dst,
        ])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

/// `count` pings 2 ms apart from `ns` to `dst`, running in the background
/// (for a port to go while traffic flows).
fn ping_flood(ns: &Netns, dst: &str, count: u32) -> std::process::Child {
    Command::new("ip")
        .args(["netns", "exec", &ns.0, "ping", "-i", "0.002", "-W", "1"])
        .args(["-c", &count.to_string(), dst])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("ping runs")
}

/// Pings until one answers (ARP and port setup take a moment).
fn ping_until(ns: &Netns, dst: &str) -> bool {
    (0..30).any(|_| ping(ns, dst, 1))
}

#[test]
#[ignore = "needs root: network namespaces"]
fn ports_added_and_removed_while_forwarding() {
    common::require_netns_tests(false);
    let id = id();
    let (host, peer, tap) = (format!("dvh{id}"), format!("dvp{id}"), format!("dvi{id}"));
    let (na, nb) = (
        Netns::new(format!("dpswitch-vp{id}-a")),
        Netns::new(format!("dpswitch-vp{id}-b")),
    );
    quietly(&["ip", "link", "del", &host]);
    common::run(
        "ip",
        &["link", "add", &host, "type", "veth", "peer", "name", &peer],
    );
    let _veth = Veth(host.clone());
    plumb_addr(&na, &peer, "10.78.0.1");
    common::run("ip", &["link", "set", &host, "up"]);

    // No port at all at launch: the PMD idles.
    let (daemon, mut ctl) = start("vpfwd", &format!("dpv{id}"), &[], false);
    assert!(vports(&mut ctl).is_empty());

    // netdev: the veth, attached through net_af_packet, number 1.
    let r = vport_new(
        &mut ctl,
        Some(&host),
        Some(OVS_VPORT_TYPE_NETDEV),
        None,
        Some(&[0]),
    );
    assert_eq!(r.errno, 0, "{:?}", r.ext);
    assert_eq!(vport_of(&r.messages[0]).0, 1);
    // internal: a tap the daemon creates, at the number asked for.
    let r = vport_new(
        &mut ctl,
        Some(&tap),
        Some(OVS_VPORT_TYPE_INTERNAL),
        Some(5),
        Some(&[0]),
    );
    assert_eq!(r.errno, 0, "{:?}", r.ext);
    assert_eq!(
        vport_of(&r.messages[0]),
        (5, tap.clone(), OVS_VPORT_TYPE_INTERNAL, vec![0])
    );
    wait_for_link(&tap);
    plumb_addr(&nb, &tap, "10.78.0.2");
    for (from, to) in [("1", "5"), ("5", "1")] {
        let f = flow_text(&format!("in_port({from}),eth()"), Some(to));
        assert_eq!(ctl.flow(OVS_FLOW_CMD_NEW, NLM_F_CREATE, &f).errno, 0);
    }
    assert!(
        ping_until(&na, "10.78.0.2"),
        "ping from the veth's namespace to the tap's"
    );
    assert!(ping(&nb, "10.78.0.1", 3), "and back");

    // DEL of the tap while a ping flood runs through it.
    let mut flood = ping_flood(&na, "10.78.0.2", 1500);
    std::thread::sleep(Duration::from_millis(500));
    let r = vport_del(&mut ctl, 5);
    assert_eq!(r.errno, 0, "{:?}", r.ext);
    assert_eq!(vport_of(&r.messages[0]).1, tap);
    let after: Vec<u32> = vports(&mut ctl).iter().map(|p| p.0).collect();
    assert_eq!(after, [1]);
    let gone = Command::new("ip")
        .args(["netns", "exec", &nb.0, "ip", "link", "show", &tap])
        .output()
        .unwrap();
    assert!(!gone.status.success(), "the tap went with its port");
    let _ = flood.wait();

    // Its slot and number serve a new port: the same interface again.
    let r = vport_new(
        &mut ctl,
        Some(&tap),
        Some(OVS_VPORT_TYPE_INTERNAL),
        Some(5),
        Some(&[0]),
    );
    assert_eq!(r.errno, 0, "{:?}", r.ext);
    wait_for_link(&tap);
    plumb_addr(&nb, &tap, "10.78.0.2");
    // The new tap has a new MAC: forget the old one rather than wait for
    // the neighbour entry to go stale.
    na.exec(&["ip", "neigh", "flush", "all"]);
    assert!(
        ping_until(&na, "10.78.0.2"),
        "forwarding through the re-added port"
    );
    // And the veth's port goes while traffic still flows towards it.
    let mut flood = ping_flood(&nb, "10.78.0.1", 1000);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(vport_del(&mut ctl, 1).errno, 0);
    let _ = flood.wait();
    assert!(!ping(&nb, "10.78.0.1", 1), "no port, no answer");
    drop(ctl);
    stop_clean(daemon, None);
}

#[test]
#[ignore = "needs root: hugepages, taps"]
fn a_port_the_packet_pool_cannot_feed_is_refused_until_one_goes() {
    common::require_root("hugepages, taps");
    let id = id();
    let (a, b) = (format!("dvma{id}"), format!("dvmb{id}"));
    // One PMD: 64 + 256 + 64 (burst, cache, upcall queue) + 256 (the
    // management lcore's cache) = 640 mbufs, and 2 x 256 per port (one rx
    // ring, one tx ring): room for exactly one port.
    let (daemon, mut ctl) = start_with(
        "vpmem",
        &format!("[datapath]\nname = \"dvm{id}\"\nmempool_size = 1300\nqueue_size = 256\nupcall_queue = 64\n"),
        &[],
        false,
    );
    let internal = Some(OVS_VPORT_TYPE_INTERNAL);
    assert_eq!(
        vport_new(&mut ctl, Some(&a), internal, None, Some(&[0])).errno,
        0
    );
    let before = vports(&mut ctl);
    let r = vport_new(&mut ctl, Some(&b), internal, None, Some(&[0]));
    assert_errno(&r, ENOMEM, "a port the pool cannot feed");
    assert!(
        r.ext.as_deref().unwrap().contains("mempool_size"),
        "{:?}",
        r.ext
    );
    assert_eq!(vports(&mut ctl), before, "nothing changed");
    assert!(!link_exists(&b), "no interface was created");
    // Once a port goes, its share of the pool serves the next one.
    assert_eq!(vport_del(&mut ctl, 1).errno, 0);
    assert!(!link_exists(&a));
    let r = vport_new(&mut ctl, Some(&b), internal, None, Some(&[0]));
    assert_eq!(r.errno, 0, "{:?}", r.ext);
    assert_eq!(vport_of(&r.messages[0]).0, 1, "the freed number again");
    assert!(link_exists(&b));
    drop(ctl);
    stop_clean(daemon, Some(1300));
}

#[test]
#[ignore = "needs root: hugepages, taps"]
fn launch_ports_are_named_by_their_interface_and_numbered_from_one() {
    common::require_root("hugepages, taps");
    let id = id();
    let (dp, tap) = (format!("dvl{id}"), format!("dvlt{id}"));
    let vdevs = [
        "net_null0,no-rx=1".to_string(),
        format!("net_tap0,iface={tap}"),
        "net_null1,no-rx=1".to_string(),
    ];
    // The config names the tap by its interface, not its DPDK name.
    let (daemon, mut ctl) = start_with(
        "vplaunch",
        &format!("[datapath]\nname = \"{dp}\"\n\n[[port]]\nname = \"{tap}\"\nnumber = 7\n"),
        &vdevs,
        true,
    );
    let running = daemon
        .seen
        .iter()
        .find(|l| l.contains(" running: "))
        .expect("the daemon says what runs");
    assert!(
        running.contains(&format!(
            "port 0 = {dp}, port 1 = net_null0, port 2 = net_null1, port 7 = {tap}"
        )),
        "{running}"
    );
    let got: Vec<(u32, String, u32)> = vports(&mut ctl)
        .into_iter()
        .map(|(n, name, t, _)| (n, name, t))
        .collect();
    assert_eq!(
        got,
        [
            (0, dp.clone(), OVS_VPORT_TYPE_INTERNAL),
            (1, "net_null0".into(), OVS_VPORT_TYPE_NETDEV),
            (2, "net_null1".into(), OVS_VPORT_TYPE_NETDEV),
            // A tap is a kernel interface the switch made: internal.
            (7, tap.clone(), OVS_VPORT_TYPE_INTERNAL),
        ]
    );
    // The local port's interface starts down, as the kernel creates it.
    let show = Command::new("ip")
        .args(["link", "show", &dp])
        .output()
        .unwrap();
    let show = String::from_utf8_lossy(&show.stdout);
    assert!(show.contains("state DOWN"), "{show}");
    // NEW by a launch port's name binds to it: no second device, the
    // request's upcall pids; under another number it is EBUSY.
    let before = vports(&mut ctl);
    let r = vport_new(
        &mut ctl,
        Some(&tap),
        Some(OVS_VPORT_TYPE_NETDEV),
        Some(9),
        Some(&[42]),
    );
    assert_errno(&r, EBUSY, "a launch port under another number");
    assert_eq!(vports(&mut ctl), before, "nothing changed");
    let r = vport_new(
        &mut ctl,
        Some(&tap),
        Some(OVS_VPORT_TYPE_NETDEV),
        None,
        Some(&[42]),
    );
    assert_eq!(r.errno, 0, "{:?}", r.ext);
    assert_eq!(
        vport_of(&r.messages[0]),
        (7, tap.clone(), OVS_VPORT_TYPE_INTERNAL, vec![42])
    );
    let after = vports(&mut ctl);
    assert_eq!(after.len(), before.len(), "no port was added");
    assert!(after.contains(&(7, tap.clone(), OVS_VPORT_TYPE_INTERNAL, vec![42])));
    drop(ctl);
    let lines = stop_clean(daemon, None);
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with(&format!("dpswitchd: exit: port 7 name={tap} "))),
        "{lines:?}"
    );
}
