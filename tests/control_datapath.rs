//! The datapath and its ports over the control socket (P1, P2), and who
//! may do what (A1), against a running dpswitchd.

mod common;

use common::errno::*;
use common::{flow_text, ControlDaemon, Ctl, TRAFFIC_KEY};
use dpswitch::netlink::attr::AttrWriter;
use dpswitch::netlink::consts::*;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::process::Command;
use std::time::{Duration, Instant};

const CLIENT_ENV: &str = "DPSWITCH_A1_SOCKET";

fn start(tag: &str, config: &str) -> ControlDaemon {
    ControlDaemon::start(tag, config)
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    u64::from_ne_bytes(b[at..at + 8].try_into().unwrap())
}

/// (hit, missed, lost, flows, mask_hit, masks, cache_hit) from
/// OVS_DP_CMD_GET by name.
fn dp_stats(ctl: &mut Ctl) -> [u64; 7] {
    let r = ctl.ovs(
        ctl.dp_family,
        OVS_DP_CMD_GET,
        0,
        0,
        &common::nul_string_attr(OVS_DP_ATTR_NAME, "dp0"),
    );
    assert_eq!(r.errno, 0);
    let s = r.messages[0].attr(OVS_DP_ATTR_STATS).unwrap();
    let m = r.messages[0].attr(OVS_DP_ATTR_MEGAFLOW_STATS).unwrap();
    assert_eq!(
        (s.len(), m.len()),
        (OVS_DP_STATS_LEN, OVS_DP_MEGAFLOW_STATS_LEN)
    );
    [
        u64_at(&s, 0),
        u64_at(&s, 8),
        u64_at(&s, 16),
        u64_at(&s, 24),
        u64_at(&m, 0),
        u64::from(u32::from_ne_bytes(m[8..12].try_into().unwrap())),
        u64_at(&m, 16),
    ]
}

#[test]
#[ignore = "needs root: hugepages, DPDK devices"]
fn p1_datapath_get_by_name_or_ifindex_with_its_stats() {
    let mut d = start("p1", "");
    let ctl = &mut d.ctl;
    // By dp_ifindex, and the reply's ovs_header carries it.
    let r = ctl.ovs(ctl.dp_family, OVS_DP_CMD_GET, 0, ctl.dp_ifindex, &[]);
    assert_eq!(r.errno, 0);
    assert_eq!(r.messages[0].dp_ifindex(), ctl.dp_ifindex);
    assert_eq!(r.messages[0].attr(OVS_DP_ATTR_NAME).unwrap(), b"dp0\0");
    // Unknown name or index.
    let r = ctl.ovs(
        ctl.dp_family,
        OVS_DP_CMD_GET,
        0,
        0,
        &common::nul_string_attr(OVS_DP_ATTR_NAME, "nope"),
    );
    assert_eq!(r.errno, ENODEV);
    let r = ctl.ovs(ctl.dp_family, OVS_DP_CMD_GET, 0, ctl.dp_ifindex + 1, &[]);
    assert_eq!(r.errno, ENODEV);
    // Without flows the replayed traffic misses.
    let deadline = Instant::now() + Duration::from_secs(10);
    while dp_stats(ctl)[1] == 0 {
        assert!(Instant::now() < deadline, "misses are counted");
        std::thread::sleep(Duration::from_millis(20));
    }
    let f = flow_text(TRAFFIC_KEY, Some("1"));
    assert_eq!(ctl.flow(OVS_FLOW_CMD_NEW, NLM_F_CREATE, &f).errno, 0);
    let g = flow_text("in_port(1),eth(),eth_type(0x0806),arp()", Some("0"));
    assert_eq!(ctl.flow(OVS_FLOW_CMD_NEW, NLM_F_CREATE, &g).errno, 0);
    // The first bursts after the install probe the subtables and teach
    // the flow cache; the ones after are answered from it.
    while matches!(dp_stats(ctl), [0, ..] | [.., 0]) {
        assert!(
            Instant::now() < deadline,
            "hits are counted, and come from the flow cache"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let [hit, missed, lost, flows, mask_hit, masks, cache_hit] = dp_stats(ctl);
    assert_eq!((flows, masks), (2, 2));
    assert!(hit > 0 && missed > 0);
    assert_eq!(
        lost, missed,
        "no port has an upcall handler: every miss is lost"
    );
    // A hit came from the lcore's flow cache or probed a subtable.
    // Two subtables: the replayed frame is answered from the flow cache.
    assert!(
        cache_hit > 0 && cache_hit <= hit,
        "cache hits {cache_hit} of {hit}"
    );
    assert!(
        mask_hit + cache_hit >= hit,
        "hits {hit}: {mask_hit} subtables probed, {cache_hit} from the cache"
    );
    std::thread::sleep(Duration::from_millis(100));
    let later = dp_stats(ctl);
    assert!(
        later[0] > hit && later[1] == missed,
        "traffic hits, no new misses: {later:?} after hit={hit} missed={missed}"
    );
    d.stop();
}

#[test]
#[ignore = "needs root: hugepages, DPDK devices"]
fn p2_vport_get_and_dump_list_the_ports_with_stats() {
    let mut d = start("p2", "");
    let ctl = &mut d.ctl;
    let f = flow_text(TRAFFIC_KEY, Some("1"));
    assert_eq!(ctl.flow(OVS_FLOW_CMD_NEW, NLM_F_CREATE, &f).errno, 0);
    std::thread::sleep(Duration::from_millis(300));
    let r = ctl.ovs(
        ctl.vport_family,
        OVS_VPORT_CMD_GET,
        NLM_F_DUMP,
        ctl.dp_ifindex,
        &[],
    );
    assert_eq!(r.errno, 0);
    let ports: Vec<(u32, Vec<u8>, u32, Vec<u8>)> = r
        .messages
        .iter()
        .map(|m| {
            assert_eq!(m.dp_ifindex(), ctl.dp_ifindex);
            let number =
                u32::from_ne_bytes(m.attr(OVS_VPORT_ATTR_PORT_NO).unwrap().try_into().unwrap());
            let kind = u32::from_ne_bytes(m.attr(OVS_VPORT_ATTR_TYPE).unwrap().try_into().unwrap());
            (
                number,
                m.attr(OVS_VPORT_ATTR_NAME).unwrap(),
                kind,
                m.attr(OVS_VPORT_ATTR_STATS).unwrap(),
            )
        })
        .collect();
    assert_eq!(ports.len(), 2);
    assert_eq!(
        (ports[0].0, ports[0].1.as_slice()),
        (0, &b"net_pcap0\0"[..])
    );
    assert_eq!(
        (ports[1].0, ports[1].1.as_slice()),
        (1, &b"net_null0\0"[..])
    );
    for p in &ports {
        assert_eq!(p.2, OVS_VPORT_TYPE_NETDEV);
        assert_eq!(p.3.len(), OVS_VPORT_STATS_LEN);
    }
    assert!(u64_at(&ports[0].3, 0) > 0, "port 0 received");
    assert!(u64_at(&ports[1].3, 8) > 0, "port 1 transmitted");
    // GET by name, by number; misses.
    let r = ctl.ovs(
        ctl.vport_family,
        OVS_VPORT_CMD_GET,
        0,
        0,
        &common::nul_string_attr(OVS_VPORT_ATTR_NAME, "net_null0"),
    );
    assert_eq!(r.errno, 0);
    assert_eq!(
        r.messages[0].attr(OVS_VPORT_ATTR_PORT_NO).unwrap(),
        1u32.to_ne_bytes()
    );
    let mut w = AttrWriter::new();
    w.put_u32(OVS_VPORT_ATTR_PORT_NO, 0);
    let r = ctl.ovs(
        ctl.vport_family,
        OVS_VPORT_CMD_GET,
        0,
        ctl.dp_ifindex,
        w.as_bytes(),
    );
    assert_eq!(
        r.messages[0].attr(OVS_VPORT_ATTR_NAME).unwrap(),
        b"net_pcap0\0"
    );
    let r = ctl.ovs(
        ctl.vport_family,
        OVS_VPORT_CMD_GET,
        0,
        0,
        &common::nul_string_attr(OVS_VPORT_ATTR_NAME, "eth9"),
    );
    assert_eq!(r.errno, ENODEV);
    let mut w = AttrWriter::new();
    w.put_u32(OVS_VPORT_ATTR_PORT_NO, 70000);
    let r = ctl.ovs(
        ctl.vport_family,
        OVS_VPORT_CMD_GET,
        0,
        ctl.dp_ifindex,
        w.as_bytes(),
    );
    assert_eq!(r.errno, EFBIG);
    d.stop();
}

/// Not a test of its own: the A1 test runs the test binary again under
/// another uid/gid, and this client reports what it was allowed to do.
#[test]
#[ignore = "not a test: a child process of a1_socket_is_0660_and_only_root_or_admins_change_state"]
fn a1_client_helper() {
    let path = std::env::var(CLIENT_ENV)
        .unwrap_or_else(|_| panic!("not a test of its own: a1_socket_is_0660_and_only_root_or_admins_change_state runs it with {CLIENT_ENV} set"));
    let Ok(stream) = common::connect_seqpacket(std::path::Path::new(&path)) else {
        println!("a1: connect refused");
        return;
    };
    drop(stream);
    let mut ctl = Ctl::connect(std::path::Path::new(&path));
    println!(
        "a1: dump {}",
        ctl.flow(OVS_FLOW_CMD_GET, NLM_F_DUMP, &Default::default())
            .errno
    );
    let f = flow_text("in_port(1),eth(),eth_type(0x0806),arp()", Some("0"));
    println!(
        "a1: new {}",
        ctl.flow(OVS_FLOW_CMD_NEW, NLM_F_CREATE, &f).errno
    );
    println!(
        "a1: del {}",
        ctl.flow(OVS_FLOW_CMD_DEL, 0, &Default::default()).errno
    );
}

/// Runs [`a1_client_helper`] as uid/gid 65534 with `groups`.
fn client_as(socket: &std::path::Path, gid: u32, groups: &str) -> String {
    let out = Command::new("setpriv")
        .args(["--reuid=65534", &format!("--regid={gid}"), groups])
        .arg(std::env::current_exe().unwrap())
        .args([
            "--ignored",
            "--exact",
            "a1_client_helper",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CLIENT_ENV, socket)
        .output()
        .expect("setpriv runs");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
#[ignore = "needs root: hugepages, DPDK devices"]
fn a1_socket_is_0660_and_only_root_or_admins_change_state() {
    let d = start(
        "a1",
        "[datapath]\ncontrol_group = \"nogroup\"\nadmin_group = \"adm\"\n",
    );
    let meta = std::fs::metadata(d.socket()).unwrap();
    assert_eq!(meta.permissions().mode() & 0o777, 0o660);
    assert_eq!((meta.uid(), meta.gid()), (0, 65534));
    // In the socket's group only: may read, not change.
    let reader = client_as(&d.socket(), 65534, "--clear-groups");
    assert!(reader.contains("a1: dump 0"), "{reader}");
    assert!(reader.contains(&format!("a1: new {EPERM}")), "{reader}");
    assert!(reader.contains(&format!("a1: del {EPERM}")), "{reader}");
    // Also in the admin group: may change.
    let admin = client_as(&d.socket(), 65534, "--groups=4");
    assert!(
        admin.contains("a1: new 0") && admin.contains("a1: del 0"),
        "{admin}"
    );
    // In neither: cannot connect at all.
    let outsider = client_as(&d.socket(), 4, "--clear-groups");
    assert!(outsider.contains("a1: connect refused"), "{outsider}");
    d.stop();
}

#[test]
#[ignore = "needs root: hugepages, DPDK devices"]
fn socket_file_replaces_a_stale_one_is_exclusive_and_goes_at_exit() {
    common::require_root("hugepages, DPDK devices");
    // A socket file nobody serves, as a crashed daemon leaves behind.
    let path = common::test_socket_path("stale");
    drop(std::os::unix::net::UnixListener::bind(&path).unwrap());
    assert!(path.exists());
    let mut first = common::Daemon::start(
        "stale",
        &["net_null0,no-rx=1".into()],
        &["--socket", path.to_str().unwrap()],
    );
    first.wait_for("control socket listening", Duration::from_secs(30));
    let mut ctl = Ctl::connect(&path);
    assert_eq!(ctl.dump_flows().len(), 0);
    // A second daemon on the same path refuses to start.
    let second = common::Daemon::start(
        "stale2",
        &["net_null1,no-rx=1".into()],
        &["--socket", path.to_str().unwrap()],
    );
    let (status, lines) = second.wait_exit(Duration::from_secs(30));
    assert_eq!(
        status.code(),
        Some(1),
        "second daemon: {status:?} {lines:?}"
    );
    assert_eq!(ctl.dump_flows().len(), 0, "the first still serves");
    let (status, _) = first.stop();
    assert!(status.success());
    assert!(!path.exists(), "removed at exit");
}

#[test]
#[ignore = "needs root: hugepages, DPDK devices"]
fn several_requests_in_one_datagram_are_answered_in_order() {
    let mut d = start("batch", "");
    let ctl = &mut d.ctl;
    let (family, dp) = (ctl.flow_family, ctl.dp_ifindex);
    let flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE;
    let mut datagram = Vec::new();
    let mut seqs = Vec::new();
    for (n, key) in [
        "in_port(1),eth(),eth_type(0x0806),arp()",
        "in_port(0),eth(),eth_type(0x0806),arp()",
        "in_port(1),eth(),eth_type(0x0806),arp()",
    ]
    .iter()
    .enumerate()
    {
        let attrs = flow_text(key, Some(if n == 0 { "0" } else { "1" }))
            .encode()
            .unwrap();
        datagram.extend(ctl.ovs_bytes(family, OVS_FLOW_CMD_NEW, flags, dp, &attrs));
        seqs.push(datagram.len());
    }
    let last = ctl.ovs_bytes(
        family,
        OVS_FLOW_CMD_GET,
        NLM_F_REQUEST | NLM_F_DUMP,
        dp,
        &[],
    );
    datagram.extend(last);
    ctl.send(&datagram);
    let mut answers = Vec::new();
    'read: loop {
        for m in ctl.recv() {
            if m.header.msg_type == NLMSG_ERROR {
                answers.push((m.header.seq, common::parse_error(&m).0));
            } else if m.header.msg_type == NLMSG_DONE {
                break 'read;
            } else {
                answers.push((m.header.seq, -1));
            }
        }
    }
    let first = answers[0].0;
    assert_eq!(
        answers,
        vec![
            (first, 0),
            (first + 1, 0),
            (first + 2, EEXIST),
            (first + 3, -1),
            (first + 3, -1)
        ]
    );
    d.stop();
}
