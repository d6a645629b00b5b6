//! dpctl against a running dpswitchd, as a user drives it: each command a
//! process, its stdout, stderr and exit status checked.

mod common;

use common::{dpctl_at, Daemon};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::sync::Mutex;
use std::time::Duration;

/// One daemon at a time: each takes both cores.
static ONE_DAEMON: Mutex<()> = Mutex::new(());

const ARP0: &str = "in_port(1),eth(),eth_type(0x0806),arp()";
const IP1: &str = "in_port(2),eth(),eth_type(0x0800),ipv4(frag=no)";
const UUID: &str = "5c1c6d55-0f3e-4bd6-9c1b-3d09b1a1e2f0";

struct Switch {
    daemon: Option<Daemon>,
    dir: PathBuf,
    socket: PathBuf,
}

impl Switch {
    /// dpswitchd with two null ports (numbered 1 and 2) and its control
    /// socket in a directory of its own.
    fn start(tag: &str) -> Switch {
        common::require_root("DPDK, flow changes over the control socket");
        let dir = std::env::temp_dir().join(format!("dpswitch-dpctl-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let socket = dir.join("dpswitch.sock");
        let mut daemon = Daemon::start(
            &format!("dpctl-{tag}"),
            &["net_null0,no-rx=1".into(), "net_null1,no-rx=1".into()],
            &["--socket", socket.to_str().unwrap()],
        );
        daemon.wait_for("control socket", Duration::from_secs(60));
        Switch {
            daemon: Some(daemon),
            dir,
            socket,
        }
    }

    fn dpctl(&self, args: &[&str]) -> Output {
        dpctl_at(&self.socket, args)
    }

    /// Runs a command that must succeed; its stdout lines.
    fn ok(&self, args: &[&str]) -> Vec<String> {
        let out = self.dpctl(args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "dpctl {args:?} failed: {stderr}");
        assert_eq!(stderr, "", "dpctl {args:?}");
        String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(str::to_owned)
            .collect()
    }

    /// Runs a command that must fail with exit status 1; its stderr.
    fn fails(&self, args: &[&str]) -> String {
        let out = self.dpctl(args);
        assert_eq!(out.status.code(), Some(1), "dpctl {args:?}");
        assert!(out.stdout.is_empty(), "dpctl {args:?}");
        String::from_utf8(out.stderr).unwrap()
    }

    fn dump(&self) -> Vec<String> {
        let mut lines = self.ok(&["dump-flows"]);
        lines.sort();
        lines
    }
}

impl Drop for Switch {
    fn drop(&mut self) {
        if let Some(daemon) = self.daemon.take() {
            let (status, _) = daemon.stop();
            if !std::thread::panicking() {
                assert!(status.success(), "dpswitchd exit: {status:?}");
            }
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn line(flow: &str, actions: &str) -> String {
    format!("{flow}, packets:0, bytes:0, used:never, actions:{actions}")
}

#[test]
#[ignore = "needs root: DPDK, flow changes over the control socket"]
fn flow_commands_change_and_show_the_table() {
    let _one = ONE_DAEMON.lock().unwrap_or_else(|e| e.into_inner());
    let sw = Switch::start("flows");

    let show = sw.ok(&["show"]);
    let (ovs_lines, own) = show.split_at(show.len().min(9));
    assert_eq!(
        ovs_lines,
        [
            "system@dp0:",
            "  lookups: hit:0 missed:0 lost:0",
            "  flows: 0",
            "  masks: hit:0 total:0 hit/pkt:0.00",
            // The megaflow statistics carry a cache hit counter, which
            // ovs-dpctl always prints when present.
            "  cache: hit:0 hit-rate:0.00%",
            // The masks cache size the datapath reports (the kernel's
            // default), which ovs-dpctl prints under "caches".
            "  caches:",
            "    masks-cache: size:256",
            "  port 1: net_null0",
            "  port 2: net_null1",
        ],
        "{show:#?}"
    );
    // Then dpswitch's own lines: the control socket's drops and the
    // memory (no port has lost an upcall yet, so none is listed).
    assert_eq!(own.len(), 3, "{show:#?}");
    assert_eq!(own[0], "  dpswitch:");
    assert_eq!(
        own[1],
        "    connections: refused:0 reclaimed:0 notifications dropped:0"
    );
    assert!(
        own[2].starts_with("    memory: resident:") && own[2].ends_with("mbufs in use:0"),
        "{show:#?}"
    );
    assert!(sw.dump().is_empty());

    // add-flow, with and without a datapath name and a UFID.
    assert!(sw.ok(&["add-flow", ARP0, "2"]).is_empty());
    let ufid_ip1 = format!("ufid:{UUID},{IP1}");
    assert!(sw
        .ok(&["add-flow", "dp0", &ufid_ip1, "1,pop_vlan"])
        .is_empty());
    let arp0_line = line("in_port(1),eth(),eth_type(0x0806)", "2");
    let ip1_line = line(
        "in_port(2),eth(),eth_type(0x0800),ipv4(frag=no)",
        "1,pop_vlan",
    );
    assert_eq!(sw.dump(), [arp0_line.clone(), ip1_line.clone()]);
    assert!(sw.ok(&["show"]).contains(&"  flows: 2".to_string()));

    // -m: the UFID first, every field with its mask, the datapath layer.
    let more = sw.ok(&["dump-flows", "-m"]);
    let with_ufid: Vec<_> = more.iter().filter(|l| l.starts_with("ufid:")).collect();
    assert_eq!(with_ufid.len(), 1, "{more:#?}");
    // As the kernel sends it: the metadata attributes too, wildcarded.
    assert_eq!(
        with_ufid[0],
        &format!(
            "ufid:{UUID}, recirc_id(0/0),dp_hash(0/0),skb_priority(0/0),in_port(2),skb_mark(0/0),\
             eth(src=00:00:00:00:00:00/00:00:00:00:00:00,dst=00:00:00:00:00:00/00:00:00:00:00:00),\
             eth_type(0x0800),ipv4(src=0.0.0.0/0.0.0.0,dst=0.0.0.0/0.0.0.0,proto=0/0,tos=0/0,ttl=0/0,frag=no), \
             packets:0, bytes:0, used:never, dp:ovs, actions:1,pop_vlan"
        )
    );

    // An existing flow cannot be added again.
    let e = sw.fails(&["add-flow", ARP0, "1"]);
    assert!(
        e.starts_with("dpctl: add-flow: EEXIST (File exists)"),
        "{e}"
    );
    let e = sw.fails(&["add-flow", &format!("ufid:{UUID},{ARP0}"), "1"]);
    assert!(
        e.starts_with("dpctl: add-flow: EEXIST (File exists)"),
        "{e}"
    );

    // mod-flow swaps the actions, found by key or by UFID.
    assert!(sw.ok(&["mod-flow", ARP0, "drop"]).is_empty());
    assert!(sw.ok(&["mod-flow", "--ufid", UUID, IP1, "2"]).is_empty());
    let arp0_drop = line("in_port(1),eth(),eth_type(0x0806)", "drop");
    let ip1_out1 = line("in_port(2),eth(),eth_type(0x0800),ipv4(frag=no)", "2");
    assert_eq!(sw.dump(), [arp0_drop.clone(), ip1_out1.clone()]);
    // ... but does not create one without --may-create.
    let arp1 = "in_port(2),eth(),eth_type(0x0806),arp()";
    let e = sw.fails(&["mod-flow", arp1, "1"]);
    assert!(
        e.starts_with("dpctl: mod-flow: ENOENT (No such file or directory)"),
        "{e}"
    );
    assert!(sw.ok(&["mod-flow", "--may-create", arp1, "1"]).is_empty());
    let arp1_line = line("in_port(2),eth(),eth_type(0x0806)", "1");
    assert_eq!(sw.dump().len(), 3);
    assert!(sw.dump().contains(&arp1_line));

    // get-flow by key, by UFID in FLOW, by --ufid.
    assert_eq!(sw.ok(&["get-flow", ARP0]), std::slice::from_ref(&arp0_drop));
    assert_eq!(
        sw.ok(&["get-flow", "dp0", &format!("ufid:{UUID}")]),
        std::slice::from_ref(&ip1_out1)
    );
    let by_option = sw.ok(&["get-flow", "-m", "--ufid", &UUID.replace('-', ""), IP1]);
    assert!(
        by_option[0].starts_with(&format!("ufid:{UUID}, ")),
        "{by_option:?}"
    );
    let e = sw.fails(&[
        "get-flow",
        "in_port(1),eth(),eth_type(0x0800),ipv4(frag=no)",
    ]);
    assert!(
        e.starts_with("dpctl: get-flow: ENOENT (No such file or directory)"),
        "{e}"
    );

    // del-flow by key and by UFID; -s prints the final counters.
    assert_eq!(
        sw.ok(&["del-flow", "-s", ARP0]),
        ["packets:0, bytes:0, used:never"]
    );
    assert!(sw.ok(&["del-flow", &format!("ufid:{UUID}")]).is_empty());
    assert_eq!(sw.dump(), [arp1_line]);
    let e = sw.fails(&["del-flow", ARP0]);
    assert!(e.starts_with("dpctl: del-flow: ENOENT"), "{e}");

    // del-flows empties the table.
    assert!(sw.ok(&["add-flow", ARP0, "2"]).is_empty());
    assert_eq!(sw.dump().len(), 2);
    assert!(sw.ok(&["del-flows"]).is_empty());
    assert!(sw.dump().is_empty());
    assert!(sw.ok(&["show"]).contains(&"  flows: 0".to_string()));

    // Refusals carry the errno and the daemon's explanation.
    let e = sw.fails(&["add-flow", ARP0, "7"]);
    assert!(
        e.starts_with(
            "dpctl: add-flow: EINVAL (Invalid argument): \
             Flow actions may not be safe on all matching packets."
        ),
        "{e}"
    );
    let e = sw.fails(&["add-flow", "dp9", ARP0, "2"]);
    assert!(
        e.starts_with("dpctl: add-flow: ENODEV (No such device)"),
        "{e}"
    );
    let e = sw.fails(&["add-flow", "in_port(1),bogus()", "2"]);
    assert!(e.starts_with("dpctl: add-flow: parsing flow key:"), "{e}");
    assert!(sw.dump().is_empty());
}

/// A `dpctl monitor` child whose stdout lines arrive on a channel.
fn monitor(socket: &Path) -> (std::process::Child, Receiver<String>) {
    let mut child = Command::new(common::dpctl_binary())
        .arg("--socket")
        .arg(socket)
        .arg("monitor")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("dpctl monitor starts");
    // It says on stderr when it has subscribed.
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut first = String::new();
    stderr.read_line(&mut first).unwrap();
    assert_eq!(
        first.trim_end(),
        "dpctl: monitor: listening for flow changes"
    );
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    (child, rx)
}

#[test]
#[ignore = "needs root: DPDK, flow changes over the control socket"]
fn monitor_prints_each_change() {
    let _one = ONE_DAEMON.lock().unwrap_or_else(|e| e.into_inner());
    let sw = Switch::start("monitor");
    let (mut child, lines) = monitor(&sw.socket);
    let next = || {
        lines
            .recv_timeout(Duration::from_secs(10))
            .expect("a notification line")
    };

    sw.ok(&["add-flow", ARP0, "2"]);
    assert_eq!(
        next(),
        format!("NEW {}", line("in_port(1),eth(),eth_type(0x0806)", "2"))
    );
    sw.ok(&["mod-flow", ARP0, "1"]);
    assert_eq!(
        next(),
        format!("SET {}", line("in_port(1),eth(),eth_type(0x0806)", "1"))
    );
    // A refused change changes nothing and notifies nobody.
    sw.fails(&["add-flow", ARP0, "2"]);
    sw.ok(&["del-flow", ARP0]);
    assert_eq!(
        next(),
        format!("DEL {}", line("in_port(1),eth(),eth_type(0x0806)", "1"))
    );
    // --may-create on a missing flow adds it with OVS_FLOW_CMD_NEW.
    sw.ok(&["mod-flow", "--may-create", ARP0, "2"]);
    assert_eq!(
        next(),
        format!("NEW {}", line("in_port(1),eth(),eth_type(0x0806)", "2"))
    );
    // As in the kernel, flushing the table notifies nobody.
    sw.ok(&["del-flows"]);
    assert!(lines.recv_timeout(Duration::from_millis(300)).is_err());

    let _ = child.kill();
    let _ = child.wait();
}

#[test]
#[ignore = "needs root: DPDK, flow changes over the control socket"]
fn pipelined_installs_then_a_dump_across_many_reads() {
    use dpswitch::flow::text::{parse_actions, parse_match};
    use dpswitch::netlink::consts::{NLM_F_CREATE, OVS_FLOW_CMD_NEW};
    use dpswitch::netlink::FlowAttrs;
    use dpswitch_client::client::Client;

    const FLOWS: u32 = 20_000;
    let _one = ONE_DAEMON.lock().unwrap_or_else(|e| e.into_inner());
    let sw = Switch::start("pipeline");
    let mut client = Client::connect(&sw.socket).unwrap();
    let dp = client.only_datapath().unwrap();
    let actions = parse_actions("2").unwrap();
    // Submits a NEW with NLM_F_CREATE for `source`, without waiting.
    let submit_new = |client: &mut Client, source: &str| {
        let (key, mask) = parse_match(&format!(
            "in_port(1),eth(),eth_type(0x0800),ipv4(src={source},frag=no)"
        ))
        .unwrap();
        let attrs = FlowAttrs {
            key: Some(key),
            mask: Some(mask),
            actions: Some(actions.clone()),
            ..FlowAttrs::default()
        };
        let req = client
            .flow_request(OVS_FLOW_CMD_NEW, dp.dp_ifindex, &attrs)
            .unwrap()
            .with_flags(NLM_F_CREATE);
        client.submit(&req).unwrap()
    };
    let start = std::time::Instant::now();
    let mut seqs = Vec::new();
    for i in 0..FLOWS {
        let [_, a, b, c] = i.to_be_bytes();
        seqs.push(submit_new(&mut client, &format!("10.{a}.{b}.{c}")));
    }
    // The last one again: the only refusal.
    let dup = seqs.len();
    seqs.push(submit_new(&mut client, "10.0.78.31"));
    let outcomes: Vec<_> = seqs.iter().map(|seq| client.collect(*seq)).collect();
    eprintln!("{} pipelined installs in {:?}", seqs.len(), start.elapsed());
    assert!(outcomes[..dup]
        .iter()
        .all(|o| o.as_ref().is_ok_and(|r| r.is_empty())));
    assert_eq!(
        outcomes[dup].as_ref().unwrap_err().errno,
        nix::errno::Errno::EEXIST
    );
    assert_eq!(client.outstanding(), 0);

    // The dump needs many reads: every flow exactly once.
    let lines = sw.ok(&["dump-flows"]);
    assert_eq!(lines.len(), FLOWS as usize);
    let unique: std::collections::HashSet<_> = lines.iter().collect();
    assert_eq!(unique.len(), FLOWS as usize);
    assert!(lines.contains(&line(
        "in_port(1),eth(),eth_type(0x0800),ipv4(src=10.0.78.31,frag=no)",
        "2"
    )));
    assert!(sw.ok(&["show"]).contains(&format!("  flows: {FLOWS}")));
    sw.ok(&["del-flows"]);
    assert!(sw.dump().is_empty());
}
