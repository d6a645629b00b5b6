//! A test client of the control socket: requests built with dpswitch's
//! codec (the Python client in tests/python checks the daemon with one
//! that shares nothing), replies collected per sequence number.

use dpswitch::flow::odp::{Action, KeyAttr};
use dpswitch::flow::text::{parse_actions, parse_match};
use dpswitch::netlink::attr::{attrs_lenient, AttrWriter};
use dpswitch::netlink::consts::*;
use dpswitch::netlink::flow::FlowAttrs;
use dpswitch::netlink::msg::{messages, GenlHeader, GenlMessage, NlMsgHeader, OvsMessage};
use nix::sys::socket::{connect, socket, AddressFamily, SockFlag, SockType, UnixAddr};
use std::io::{Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::Duration;

/// One received message, owned.
#[derive(Clone, Debug)]
pub struct Received {
    pub header: NlMsgHeader,
    /// What follows the netlink header.
    pub payload: Vec<u8>,
}

impl Received {
    pub fn genl_cmd(&self) -> u8 {
        self.payload[0]
    }

    pub fn dp_ifindex(&self) -> i32 {
        i32::from_ne_bytes(self.payload[4..8].try_into().unwrap())
    }

    /// The attributes after genl header and ovs_header.
    pub fn ovs_attrs(&self) -> &[u8] {
        &self.payload[8..]
    }

    pub fn flow(&self) -> FlowAttrs {
        FlowAttrs::decode(self.ovs_attrs()).expect("flow reply decodes")
    }

    /// A top-level attribute's payload.
    pub fn attr(&self, kind: u16) -> Option<Vec<u8>> {
        attrs_lenient(self.ovs_attrs())
            .find(|a| a.kind() == kind)
            .map(|a| a.payload().to_vec())
    }
}

/// Everything one request got back.
#[derive(Clone, Debug, Default)]
pub struct Reply {
    /// Messages before the final ack/error/done.
    pub messages: Vec<Received>,
    /// 0: success (ack, done, or a reply without ack).
    pub errno: i32,
    /// The extended-ack message of an error.
    pub ext: Option<String>,
}

impl Reply {
    pub fn flows(&self) -> Vec<FlowAttrs> {
        self.messages.iter().map(Received::flow).collect()
    }
}

pub struct Ctl {
    pub stream: UnixStream,
    seq: u32,
    pub dp_ifindex: i32,
    pub flow_family: u16,
    pub dp_family: u16,
    pub vport_family: u16,
    /// Messages received that belong to no request (notifications).
    pub unsolicited: Vec<Received>,
    /// How many recv calls the last request took.
    pub reads: usize,
    /// The netlink port id the daemon gave this connection.
    pub port_id: u32,
    packet_family: u16,
}

/// A connected SOCK_SEQPACKET stream to `path`.
pub fn connect_seqpacket(path: &Path) -> std::io::Result<UnixStream> {
    let fd = socket(
        AddressFamily::Unix,
        SockType::SeqPacket,
        SockFlag::SOCK_CLOEXEC,
        None,
    )?;
    connect(fd.as_raw_fd(), &UnixAddr::new(path)?)?;
    let stream = UnixStream::from(fd);
    stream.set_read_timeout(Some(Duration::from_secs(20)))?;
    Ok(stream)
}

impl Ctl {
    /// Connects, resolves the families and learns the datapath's
    /// dp_ifindex from a datapath dump.
    pub fn connect(path: &Path) -> Ctl {
        let stream =
            connect_seqpacket(path).unwrap_or_else(|e| panic!("connect {}: {e}", path.display()));
        let mut ctl = Ctl {
            stream,
            seq: 0,
            dp_ifindex: 0,
            flow_family: 0,
            dp_family: 0,
            vport_family: 0,
            unsolicited: Vec::new(),
            reads: 0,
            port_id: 0,
            packet_family: 0,
        };
        ctl.flow_family = ctl.family(OVS_FLOW_FAMILY);
        ctl.dp_family = ctl.family(OVS_DATAPATH_FAMILY);
        ctl.vport_family = ctl.family(OVS_VPORT_FAMILY);
        let dps = ctl.ovs(ctl.dp_family, OVS_DP_CMD_GET, NLM_F_DUMP, 0, &[]);
        assert_eq!(dps.errno, 0, "datapath dump");
        ctl.dp_ifindex = dps.messages[0].dp_ifindex();
        ctl
    }

    fn next_seq(&mut self) -> u32 {
        self.seq += 1;
        self.seq
    }

    /// The `ovs_packet` family's id (resolved once).
    pub fn packet_family(&mut self) -> u16 {
        if self.packet_family == 0 {
            self.packet_family = self.family(OVS_PACKET_FAMILY);
        }
        self.packet_family
    }

    /// The id of a family, through nlctrl.
    pub fn family(&mut self, name: &str) -> u16 {
        let reply = self.genl(
            GENL_ID_CTRL,
            CTRL_CMD_GETFAMILY,
            0,
            &nul_string_attr(CTRL_ATTR_FAMILY_NAME, name),
        );
        assert_eq!(reply.errno, 0, "family {name}: {:?}", reply.ext);
        let attrs = &reply.messages[0].payload[GENL_HDRLEN..];
        let id = attrs_lenient(attrs)
            .find(|a| a.kind() == CTRL_ATTR_FAMILY_ID)
            .expect("family id");
        u16::from_ne_bytes(id.payload().try_into().unwrap())
    }

    /// The group id of `group` in `family`.
    pub fn group(&mut self, family: &str, group: &str) -> u32 {
        let reply = self.genl(
            GENL_ID_CTRL,
            CTRL_CMD_GETFAMILY,
            0,
            &nul_string_attr(CTRL_ATTR_FAMILY_NAME, family),
        );
        let attrs = &reply.messages[0].payload[GENL_HDRLEN..];
        let groups = attrs_lenient(attrs)
            .find(|a| a.kind() == CTRL_ATTR_MCAST_GROUPS)
            .expect("groups");
        for entry in attrs_lenient(groups.payload()) {
            let fields: Vec<_> = attrs_lenient(entry.payload()).collect();
            let name = fields
                .iter()
                .find(|a| a.kind() == CTRL_ATTR_MCAST_GRP_NAME)
                .unwrap();
            if name.payload().split(|b| *b == 0).next() == Some(group.as_bytes()) {
                let id = fields
                    .iter()
                    .find(|a| a.kind() == CTRL_ATTR_MCAST_GRP_ID)
                    .unwrap();
                return u32::from_ne_bytes(id.payload().try_into().unwrap());
            }
        }
        panic!("no group {group} in {family}");
    }

    /// Joins a multicast group (the subscribe extension).
    pub fn subscribe(&mut self, group: u32) -> Reply {
        let mut w = AttrWriter::new();
        w.put_u32(CTRL_ATTR_MCAST_GRP_ID, group);
        self.genl(GENL_ID_CTRL, 0x80, 0, w.as_bytes())
    }

    /// A generic netlink request with NLM_F_ACK (dumps: without).
    pub fn genl(&mut self, family: u16, cmd: u8, flags: u16, payload: &[u8]) -> Reply {
        let seq = self.next_seq();
        self.send(&genl_request(
            family,
            cmd,
            request_flags(flags),
            seq,
            payload,
        ));
        self.collect(seq)
    }

    /// An `ovs_*` request with NLM_F_ACK (dumps: without).
    pub fn ovs(
        &mut self,
        family: u16,
        cmd: u8,
        flags: u16,
        dp_ifindex: i32,
        attrs: &[u8],
    ) -> Reply {
        let bytes = self.ovs_bytes(family, cmd, request_flags(flags), dp_ifindex, attrs);
        let seq = self.seq;
        self.send(&bytes);
        self.collect(seq)
    }

    /// The bytes of an `ovs_*` request (the next sequence number), flags as given.
    pub fn ovs_bytes(
        &mut self,
        family: u16,
        cmd: u8,
        flags: u16,
        dp_ifindex: i32,
        attrs: &[u8],
    ) -> Vec<u8> {
        let seq = self.next_seq();
        ovs_request(family, cmd, flags, seq, dp_ifindex, attrs)
    }

    /// A flow command on this datapath.
    pub fn flow(&mut self, cmd: u8, flags: u16, attrs: &FlowAttrs) -> Reply {
        let dp = self.dp_ifindex;
        let family = self.flow_family;
        self.ovs(family, cmd, flags, dp, &attrs.encode().unwrap())
    }

    /// Every flow, by dump.
    pub fn dump_flows(&mut self) -> Vec<FlowAttrs> {
        let reply = self.flow(OVS_FLOW_CMD_GET, NLM_F_DUMP, &FlowAttrs::default());
        assert_eq!(reply.errno, 0, "flow dump: {:?}", reply.ext);
        reply.flows()
    }

    pub fn send(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).expect("send request");
    }

    /// Reads until the ack, error or NLMSG_DONE of request `seq`. What
    /// else arrives, before it or after it in the same datagram (the
    /// daemon packs replies, notifications and upcalls together), is kept
    /// in `unsolicited`.
    pub fn collect(&mut self, seq: u32) -> Reply {
        let mut reply = Reply::default();
        let mut done = false;
        self.reads = 0;
        while !done {
            for m in self.recv() {
                if self.port_id == 0 && m.header.seq == seq {
                    self.port_id = m.header.pid;
                }
                // Notifications of other clients' changes carry their
                // sequence numbers and port ids.
                if done || m.header.seq != seq || m.header.pid != self.port_id {
                    self.unsolicited.push(m);
                    continue;
                }
                match m.header.msg_type {
                    NLMSG_ERROR => {
                        let (errno, ext) = parse_error(&m);
                        reply.errno = errno;
                        reply.ext = ext;
                        done = true;
                    }
                    NLMSG_DONE => done = true,
                    _ => reply.messages.push(m),
                }
            }
        }
        reply
    }

    /// One recv: every message of one datagram.
    pub fn recv(&mut self) -> Vec<Received> {
        let mut buf = vec![0u8; 1 << 17];
        let n = self.stream.read(&mut buf).expect("recv");
        assert!(n > 0, "daemon closed the connection");
        self.reads += 1;
        messages(&buf[..n])
            .map(|m| {
                let m = m.expect("reply frames");
                Received {
                    header: m.header,
                    payload: m.payload.to_vec(),
                }
            })
            .collect()
    }
}

/// A generic netlink request's bytes, flags as given.
pub fn genl_request(family: u16, cmd: u8, flags: u16, seq: u32, payload: &[u8]) -> Vec<u8> {
    GenlMessage {
        header: header(family, flags, seq),
        genl: GenlHeader {
            cmd,
            version: 1,
            reserved: 0,
        },
        payload,
    }
    .encode()
    .unwrap()
}

/// An `ovs_*` request's bytes.
pub fn ovs_request(
    family: u16,
    cmd: u8,
    flags: u16,
    seq: u32,
    dp_ifindex: i32,
    attrs: &[u8],
) -> Vec<u8> {
    OvsMessage {
        header: header(family, flags, seq),
        genl: GenlHeader {
            cmd,
            version: 1,
            reserved: 0,
        },
        dp_ifindex,
        attrs,
    }
    .encode()
    .unwrap()
}

/// Flows without the counters traffic keeps changing.
pub fn without_stats(flows: Vec<FlowAttrs>) -> Vec<FlowAttrs> {
    flows
        .into_iter()
        .map(|f| FlowAttrs {
            stats: None,
            used: None,
            tcp_flags: None,
            ..f
        })
        .collect()
}

fn header(msg_type: u16, flags: u16, seq: u32) -> NlMsgHeader {
    NlMsgHeader {
        len: 0,
        msg_type,
        flags,
        seq,
        pid: 0,
    }
}

fn request_flags(flags: u16) -> u16 {
    if flags & NLM_F_DUMP == NLM_F_DUMP {
        NLM_F_REQUEST | flags
    } else {
        NLM_F_REQUEST | NLM_F_ACK | flags
    }
}

/// A NUL-terminated string attribute.
pub fn nul_string_attr(kind: u16, s: &str) -> Vec<u8> {
    let mut v = s.as_bytes().to_vec();
    v.push(0);
    let mut w = AttrWriter::new();
    w.put(kind, &v);
    w.as_bytes().to_vec()
}

/// The errno and extended-ack message of an NLMSG_ERROR.
pub fn parse_error(m: &Received) -> (i32, Option<String>) {
    let code = i32::from_ne_bytes(m.payload[..4].try_into().unwrap());
    let echoed = NlMsgHeader::parse(&m.payload[4..]).unwrap();
    let mut at = 4 + NLMSG_HDRLEN;
    if m.header.flags & NLM_F_CAPPED == 0 {
        at = 4 + ((echoed.len as usize + 3) & !3);
    }
    let ext = (m.header.flags & NLM_F_ACK_TLVS != 0)
        .then(|| {
            attrs_lenient(m.payload.get(at..).unwrap_or_default())
                .find(|a| a.kind() == NLMSGERR_ATTR_MSG)
                .map(|a| {
                    String::from_utf8_lossy(a.payload().split(|b| *b == 0).next().unwrap())
                        .into_owned()
                })
        })
        .flatten();
    (-code, ext)
}

/// Asserts the reply failed with `errno`, and with `ext` as its message
/// when given.
pub fn assert_fails(reply: &Reply, errno: i32, ext: Option<&str>) {
    assert_eq!(reply.errno, errno, "reply {reply:?}");
    if let Some(text) = ext {
        assert_eq!(reply.ext.as_deref(), Some(text));
    }
}

/// Flow attributes from ovs-dpctl text: `key` with masks, `actions`.
pub fn flow_text(key: &str, actions: Option<&str>) -> FlowAttrs {
    let (k, m) = parse_match(key).unwrap_or_else(|e| panic!("{key}: {e}"));
    FlowAttrs {
        key: Some(k),
        mask: Some(m),
        actions: actions.map(|a| parse_actions(a).unwrap_or_else(|e| panic!("{a}: {e}"))),
        ..FlowAttrs::default()
    }
}

/// Key attributes only (exact), from text.
pub fn key_text(key: &str) -> Vec<KeyAttr> {
    parse_match(key).unwrap_or_else(|e| panic!("{key}: {e}")).0
}

pub fn actions_text(actions: &str) -> Vec<Action> {
    parse_actions(actions).unwrap_or_else(|e| panic!("{actions}: {e}"))
}

/// A daemon with two ports: port 0 replays one UDP frame forever
/// ([`TRAFFIC_KEY`] matches it), port 1 is a sink (numbers the config
/// pins; the daemon runs without its local port); and a client.
pub struct ControlDaemon {
    pub daemon: super::Daemon,
    pub ctl: Ctl,
    dir: std::path::PathBuf,
}

/// The frame port 0 of a [`ControlDaemon`] replays.
pub fn traffic_frame() -> Vec<u8> {
    let mut frame = Vec::new();
    etherparse::PacketBuilder::ethernet2([2, 0, 0, 0, 0, 1], [2, 0, 0, 0, 0, 2])
        .ipv4([10, 0, 0, 1], [10, 0, 0, 2], 64)
        .udp(1000, 2000)
        .write(&mut frame, b"dpswitch control test")
        .unwrap();
    frame
}

/// The exact key of the frame port 0 replays.
pub const TRAFFIC_KEY: &str = "in_port(0),eth(src=02:00:00:00:00:01,dst=02:00:00:00:00:02),eth_type(0x0800),ipv4(src=10.0.0.1,dst=10.0.0.2,proto=17,tos=0,ttl=64,frag=no),udp(src=1000,dst=2000)";

impl ControlDaemon {
    /// `config` is extra TOML for the daemon (e.g. a `[datapath]` table).
    pub fn start(tag: &str, config: &str) -> ControlDaemon {
        ControlDaemon::start_with_vdevs(tag, config, &[])
    }

    /// Like [`ControlDaemon::start`], with more devices after the two
    /// (their ports are numbered 2, 3, ... in the order given).
    pub fn start_with_vdevs(tag: &str, config: &str, more: &[String]) -> ControlDaemon {
        ControlDaemon::start_with_eal(tag, config, more, &[])
    }

    /// Like [`ControlDaemon::start_with_vdevs`], with more EAL arguments
    /// (`--log-level=...`).
    pub fn start_with_eal(tag: &str, config: &str, more: &[String], eal: &[&str]) -> ControlDaemon {
        super::require_root("hugepages, DPDK devices");
        let dir = super::test_socket_path(tag).parent().unwrap().to_path_buf();
        let frame = traffic_frame();
        let capture = dir.join("traffic.pcap");
        std::fs::write(&capture, super::pcap(&[frame])).unwrap();
        let conf = dir.join("dpswitch.toml");
        // The two ports keep numbers 0 and 1 (the config may say so: these
        // daemons run without a local port), so flow texts stay short;
        // more devices take the lowest free numbers, 2, 3, ...
        let pinned = "\n[[port]]\nname = \"net_pcap0\"\nnumber = 0\n\n[[port]]\nname = \"net_null0\"\nnumber = 1\n";
        std::fs::write(&conf, format!("{config}{pinned}")).unwrap();
        let socket = dir.join("dpswitch.sock");
        let mut vdevs = vec![
            format!("net_pcap0,rx_pcap={},infinite_rx=1", capture.display()),
            "net_null0,no-rx=1".to_string(),
        ];
        vdevs.extend_from_slice(more);
        let mut daemon = super::Daemon::start_with(
            tag,
            &vdevs,
            &[
                "--config",
                conf.to_str().unwrap(),
                "--socket",
                socket.to_str().unwrap(),
            ],
            &super::Launch {
                eal,
                ..super::Launch::default()
            },
        );
        daemon.wait_for("control socket listening", Duration::from_secs(30));
        let ctl = Ctl::connect(&socket);
        ControlDaemon { daemon, ctl, dir }
    }

    pub fn socket(&self) -> std::path::PathBuf {
        self.dir.join("dpswitch.sock")
    }

    /// Stops the daemon, asserts a clean exit, returns its output.
    pub fn stop(self) -> Vec<String> {
        let (status, lines) = self.daemon.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
        assert!(status.success(), "dpswitchd exit: {status:?}");
        lines
    }
}

/// Runs `dpctl --socket SOCKET ARGS`.
pub fn dpctl_at(socket: &Path, args: &[&str]) -> std::process::Output {
    std::process::Command::new(super::dpctl_binary())
        .arg("--socket")
        .arg(socket)
        .args(args)
        .output()
        .expect("dpctl runs")
}

/// Runs a dpctl command that must succeed; its stdout.
pub fn dpctl_ok(socket: &Path, args: &[&str]) -> String {
    let out = dpctl_at(socket, args);
    assert!(
        out.status.success(),
        "dpctl {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("dpctl prints text")
}
