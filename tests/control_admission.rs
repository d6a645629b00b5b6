//! Fair admission on the control socket: a per-uid limit, the last slots
//! kept for admins, idle read-only connections reclaimed when the server
//! is full, refused and reclaimed peers told why (EUSERS with a reason),
//! and every drop counted in dpswitchd's stats and exit report.
//!
//! Other users' connections come from this test binary run again under
//! their uid (setpriv), which holds them open until its stdin closes.

mod common;

use common::errno::EUSERS;
use common::{control_counters, flow_text, wait_for_line, Ctl, Daemon, Received};
use dpswitch::netlink::consts::*;
use dpswitch::netlink::msg::{messages, NlMsgHeader};
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use std::io::{BufRead, BufReader, Read, Write};
use std::os::fd::AsFd;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::Duration;

const SOCKET_ENV: &str = "DPSWITCH_ADMIT_SOCKET";
const TRIES_ENV: &str = "DPSWITCH_ADMIT_TRIES";
const WAIT: Duration = Duration::from_secs(30);

/// Small limits a test reaches: 8 in all, 4 per uid, the last 2 for
/// admins; the socket's group lets uid 65534's group connect.
fn config(idle_secs: u64) -> String {
    format!(
        "[datapath]\ncontrol_group = \"nogroup\"\nmax_connections = 8\nmax_connections_per_uid = 4\nadmin_reserved_connections = 2\nreclaim_idle_secs = {idle_secs}\n"
    )
}

/// A daemon with two null ports (1 and 2) and the small limits, printing
/// its stats every second.
fn start(tag: &str, idle_secs: u64) -> (Daemon, PathBuf) {
    common::require_root("hugepages, DPDK devices, connecting as other uids");
    let socket = common::test_socket_path(tag);
    let conf = socket.with_file_name("dpswitch.toml");
    std::fs::write(&conf, config(idle_secs)).unwrap();
    let mut d = Daemon::start(
        tag,
        &["net_null0,no-rx=1".into(), "net_null1,no-rx=1".into()],
        &[
            "--config",
            conf.to_str().unwrap(),
            "--socket",
            socket.to_str().unwrap(),
            "--stats-interval",
            "1",
        ],
    );
    d.wait_for("control socket listening", WAIT);
    (d, socket)
}

/// Stops the daemon cleanly and returns its exit report's control fields.
fn stop(d: Daemon, socket: &Path) -> std::collections::HashMap<String, u64> {
    let (status, lines) = d.stop();
    let _ = std::fs::remove_dir_all(socket.parent().unwrap());
    assert!(status.success(), "dpswitchd exit: {status:?}");
    control_counters(&lines, "exit")
}

fn arp_flow(n: u16) -> dpswitch::netlink::flow::FlowAttrs {
    let key = format!(
        "in_port(1),eth(src=02:00:00:00:{:02x}:{:02x},dst=02:00:00:00:00:02),eth_type(0x0806),arp()",
        n >> 8,
        n & 0xff
    );
    flow_text(&key, Some("2"))
}

enum Attempt {
    Accepted(UnixStream),
    /// The daemon's notice: errno and extended-ack text.
    Refused(i32, String),
}

/// Connects and asks for a family: an admitted connection answers it, a
/// refused one holds the daemon's notice, then its end.
fn attempt(path: &Path) -> Attempt {
    let mut stream = common::connect_seqpacket(path).expect("the kernel queues the connection");
    let request = common::genl_request(
        GENL_ID_CTRL,
        CTRL_CMD_GETFAMILY,
        NLM_F_REQUEST,
        1,
        &common::nul_string_attr(CTRL_ATTR_FAMILY_NAME, OVS_FLOW_FAMILY),
    );
    // EPIPE when the daemon has closed a refused connection already.
    let _ = stream.write_all(&request);
    match read_notice(&mut stream) {
        Heard::Notice(errno, text) => Attempt::Refused(errno, text),
        Heard::Other => Attempt::Accepted(stream),
        Heard::End => panic!("closed without a word"),
    }
}

enum Heard {
    /// An `NLMSG_ERROR` answering no request: why the daemon closes it.
    Notice(i32, String),
    Other,
    End,
}

fn read_notice(stream: &mut UnixStream) -> Heard {
    let mut buf = vec![0u8; 1 << 16];
    let n = stream.read(&mut buf).expect("recv");
    if n == 0 {
        return Heard::End;
    }
    let first = messages(&buf[..n]).next().unwrap().unwrap();
    if first.header.msg_type != NLMSG_ERROR || first.header.seq != 0 {
        return Heard::Other;
    }
    let received = Received {
        header: first.header,
        payload: first.payload.to_vec(),
    };
    let echoed = NlMsgHeader::parse(&received.payload[4..]).unwrap();
    assert_eq!(echoed.msg_type, 0, "the notice answers no request");
    let (errno, text) = common::parse_error(&received);
    Heard::Notice(errno, text.expect("the notice says why"))
}

/// Not a test of its own: run as another uid, it opens up to
/// `DPSWITCH_ADMIT_TRIES` connections, stopping at the first refused,
/// reports each, then reports every held connection the daemon closes
/// until its stdin closes.
#[test]
#[ignore = "not a test: a child process of the admission tests"]
fn admission_client_helper() {
    let path = std::env::var(SOCKET_ENV).unwrap_or_else(|_| {
        panic!("not a test of its own: the admission tests run it with {SOCKET_ENV} set")
    });
    let tries: usize = std::env::var(TRIES_ENV).unwrap().parse().unwrap();
    let mut held = Vec::new();
    for i in 0..tries {
        match attempt(Path::new(&path)) {
            Attempt::Accepted(stream) => {
                println!("admit: accepted {i}");
                held.push(Some(stream));
            }
            Attempt::Refused(errno, text) => {
                println!("admit: refused {i} errno={errno} text={text}");
                break;
            }
        }
    }
    println!("admit: holding {}", held.len());
    let stdin = std::io::stdin();
    loop {
        let open: Vec<usize> = (0..held.len()).filter(|&i| held[i].is_some()).collect();
        let mut fds = vec![PollFd::new(stdin.as_fd(), PollFlags::POLLIN)];
        fds.extend(
            open.iter()
                .map(|&i| PollFd::new(held[i].as_ref().unwrap().as_fd(), PollFlags::POLLIN)),
        );
        poll(&mut fds, PollTimeout::NONE).unwrap();
        let ready: Vec<bool> = fds.iter().map(|f| f.any().unwrap_or(false)).collect();
        if ready[0] {
            return; // stdin closed: the test is done with this uid
        }
        for (k, &i) in open.iter().enumerate() {
            if !ready[k + 1] {
                continue;
            }
            match read_notice(held[i].as_mut().unwrap()) {
                Heard::Notice(errno, text) => {
                    println!("admit: closed {i} errno={errno} text={text}")
                }
                Heard::Other => {}
                Heard::End => held[i] = None,
            }
        }
    }
}

/// [`admission_client_helper`] running as `uid` (group nogroup).
struct OtherUser {
    uid: u32,
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<String>,
    seen: Vec<String>,
}

impl OtherUser {
    fn connect(socket: &Path, uid: u32, tries: usize) -> OtherUser {
        let mut child = Command::new("setpriv")
            .args([&format!("--reuid={uid}"), "--regid=65534", "--clear-groups"])
            .arg(std::env::current_exe().unwrap())
            .args([
                "--ignored",
                "--exact",
                "admission_client_helper",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(SOCKET_ENV, socket)
            .env(TRIES_ENV, tries.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("setpriv runs");
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        OtherUser {
            uid,
            stdin: child.stdin.take(),
            child,
            lines: rx,
            seen: Vec::new(),
        }
    }

    fn wait_for(&mut self, needle: &str) -> String {
        let who = format!("the client of uid {}", self.uid);
        wait_for_line(&who, &self.lines, &mut self.seen, needle, WAIT)
    }

    /// How many connections it was admitted before stopping.
    fn held(&mut self) -> usize {
        let line = self.wait_for("admit: holding ");
        line["admit: holding ".len()..].parse().unwrap()
    }

    /// The errno and text of the connection it was refused, if any.
    fn refusal(&self) -> Option<(i32, String)> {
        self.seen.iter().find_map(|l| {
            let rest = l.strip_prefix("admit: refused ")?;
            let (_, rest) = rest.split_once(" errno=")?;
            let (errno, text) = rest.split_once(" text=")?;
            Some((errno.parse().ok()?, text.to_string()))
        })
    }

    /// Closes its connections and waits for it to exit.
    fn leave(mut self) {
        drop(self.stdin.take());
        let status = common::wait_timeout(&mut self.child, WAIT);
        assert!(status.success(), "uid {} client: {status:?}", self.uid);
    }
}

impl Drop for OtherUser {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

#[test]
#[ignore = "needs root: hugepages, DPDK devices, connecting as other uids"]
fn a_user_past_its_per_uid_limit_is_refused_with_eusers_and_the_reason() {
    let (mut d, socket) = start("admit-uid", 3600);
    let mut user = OtherUser::connect(&socket, 65534, 6);
    assert_eq!(user.held(), 4, "{:?}", user.seen);
    let (errno, text) = user.refusal().expect("the fifth connection is refused");
    assert_eq!(errno, EUSERS);
    assert_eq!(
        text,
        "dpswitchd: too many connections from uid 65534 (limit 4)"
    );
    // The limit is per uid: another user still gets in.
    let mut other = OtherUser::connect(&socket, 65533, 1);
    assert_eq!(other.held(), 1, "{:?}", other.seen);
    assert!(other.refusal().is_none());
    // Counted while it runs, in the periodic stats.
    d.wait_for("stats: control connections_refused=1 ", WAIT);
    // dpctl run by that user says why, rather than a broken pipe.
    let out = Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
        .arg(common::dpctl_binary())
        .arg("--socket")
        .arg(&socket)
        .arg("dump-flows")
        .output()
        .expect("setpriv runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(
        stderr.contains(
            "EUSERS (Too many users): dpswitchd: too many connections from uid 65534 (limit 4)"
        ),
        "{stderr}"
    );
    user.leave();
    other.leave();
    let c = stop(d, &socket);
    assert_eq!(
        (
            c["connections_refused"],
            c["refused_per_uid"],
            c["reclaimed"]
        ),
        (2, 2, 0),
        "{c:?}"
    );
}

#[test]
#[ignore = "needs root: hugepages, DPDK devices, connecting as other uids"]
fn the_last_slots_are_kept_for_admins_so_root_changes_flows_while_users_hold_theirs() {
    let (d, socket) = start("admit-reserved", 3600);
    let mut first = OtherUser::connect(&socket, 65534, 4);
    assert_eq!(first.held(), 4, "{:?}", first.seen);
    // Six of eight taken: the rest are for admins, below any uid's limit.
    let mut second = OtherUser::connect(&socket, 65533, 4);
    assert_eq!(second.held(), 2, "{:?}", second.seen);
    let (errno, text) = second.refusal().expect("the seventh is refused");
    assert_eq!(errno, EUSERS);
    assert_eq!(
        text,
        "dpswitchd: no connection slot for uid 65533: the last 2 of 8 are kept for admins"
    );
    let mut root = Ctl::connect(&socket);
    let created = root.flow(OVS_FLOW_CMD_NEW, NLM_F_CREATE, &arp_flow(1));
    assert_eq!(created.errno, 0, "{:?}", created.ext);
    let mut reader = Ctl::connect(&socket);
    assert_eq!(reader.dump_flows().len(), 1);
    // Full, and nothing idle long enough: root too is refused, and told.
    match attempt(&socket) {
        Attempt::Refused(errno, text) => {
            assert_eq!(errno, EUSERS);
            assert_eq!(
                text,
                "dpswitchd: all 8 connections are in use and none is idle"
            );
        }
        Attempt::Accepted(_) => panic!("a ninth connection was admitted"),
    }
    first.leave();
    second.leave();
    let c = stop(d, &socket);
    assert_eq!(
        (
            c["connections_refused"],
            c["refused_reserved"],
            c["refused_full"],
            c["reclaimed"]
        ),
        (2, 1, 1, 0),
        "{c:?}"
    );
}

#[test]
#[ignore = "needs root: hugepages, DPDK devices, connecting as other uids"]
fn idle_read_only_connections_are_reclaimed_when_the_server_is_full() {
    let (mut d, socket) = start("admit-reclaim", 1);
    // A connection that changed state is never reclaimed.
    let mut root = Ctl::connect(&socket);
    assert_eq!(
        root.flow(OVS_FLOW_CMD_NEW, NLM_F_CREATE, &arp_flow(1))
            .errno,
        0
    );
    let mut user = OtherUser::connect(&socket, 65534, 4);
    assert_eq!(user.held(), 4, "{:?}", user.seen);
    let mut other = OtherUser::connect(&socket, 65533, 1);
    assert_eq!(other.held(), 1, "{:?}", other.seen);
    // Nor is a subscriber: the server is full with these two.
    let mut subscriber = Ctl::connect(&socket);
    let group = subscriber.group(OVS_FLOW_FAMILY, OVS_FLOW_MCGROUP);
    assert_eq!(subscriber.subscribe(group).errno, 0);
    let mut writer = Ctl::connect(&socket);
    assert_eq!(
        writer
            .flow(OVS_FLOW_CMD_NEW, NLM_F_CREATE, &arp_flow(2))
            .errno,
        0
    );
    std::thread::sleep(Duration::from_millis(1500));
    // Root gets the slot of the read-only connection idle longest: uid
    // 65534's first, which is told why it goes.
    let mut late = Ctl::connect(&socket);
    assert_eq!(
        late.flow(OVS_FLOW_CMD_NEW, NLM_F_CREATE, &arp_flow(3))
            .errno,
        0
    );
    let closed = user.wait_for("admit: closed ");
    assert!(
        closed.starts_with(&format!("admit: closed 0 errno={EUSERS} text=dpswitchd: closing this connection, read-only and idle for ")),
        "{closed}"
    );
    assert!(closed.ends_with("all 8 connections are in use"), "{closed}");
    d.wait_for("reclaimed connection", WAIT);
    // A user below its limit may reclaim one too (never an admin's).
    let mut third = OtherUser::connect(&socket, 65533, 1);
    assert_eq!(third.held(), 1, "{:?}", third.seen);
    let closed = user.wait_for("admit: closed ");
    assert!(closed.starts_with("admit: closed 1 "), "{closed}");
    // Every connection root holds still serves.
    for ctl in [&mut root, &mut subscriber, &mut writer, &mut late] {
        assert_eq!(ctl.dump_flows().len(), 3);
    }
    user.leave();
    other.leave();
    third.leave();
    let c = stop(d, &socket);
    assert_eq!((c["reclaimed"], c["connections_refused"]), (2, 0), "{c:?}");
}

#[test]
#[ignore = "needs root: hugepages, DPDK devices, connecting as other uids"]
fn notifications_a_subscriber_never_reads_are_counted_and_logged_when_it_closes() {
    let (mut d, socket) = start("admit-notes", 30);
    let mut root = Ctl::connect(&socket);
    let mut sleeper = Ctl::connect(&socket);
    let group = sleeper.group(OVS_FLOW_FAMILY, OVS_FLOW_MCGROUP);
    assert_eq!(sleeper.subscribe(group).errno, 0);
    // Far more changes than the daemon keeps for a subscriber.
    const FLOWS: u16 = 12_000;
    for chunk in (0..FLOWS).collect::<Vec<_>>().chunks(50) {
        let mut batch = Vec::new();
        let mut last = 0;
        for n in chunk {
            let attrs = arp_flow(*n).encode().unwrap();
            let (family, dp) = (root.flow_family, root.dp_ifindex);
            let request = root.ovs_bytes(
                family,
                OVS_FLOW_CMD_NEW,
                NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE,
                dp,
                &attrs,
            );
            last = NlMsgHeader::parse(&request).unwrap().seq;
            batch.extend_from_slice(&request);
        }
        root.send(&batch);
        assert_eq!(root.collect(last).errno, 0);
    }
    drop(sleeper);
    let line = d.wait_for("notification(s) dropped", WAIT);
    let peer = format!("(pid {} uid 0) closed with ", std::process::id());
    let at = line.find(&peer).unwrap_or_else(|| panic!("{line}")) + peer.len();
    let dropped: u64 = line[at..]
        .split_whitespace()
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        dropped > 0 && dropped < u64::from(FLOWS),
        "some dropped, some delivered: {line}"
    );
    let c = stop(d, &socket);
    assert_eq!(c["notifications_dropped"], dropped, "{c:?}");
    assert_eq!(c["connections_refused"], 0, "{c:?}");
}
