//! The datapath and vport command tests' helpers: a daemon with a named
//! datapath, requests of the ovs_datapath and ovs_vport families, and the
//! ports a dump lists.

use super::{nul_string_attr, Ctl, Daemon, Reply};
use dpswitch::netlink::attr::AttrWriter;
use dpswitch::netlink::consts::*;
use std::process::Command;
use std::time::Duration;

pub const UNSUPPORTED_BIT: u32 = 1 << 31; // what dpif_netlink_open probes with

pub fn id() -> u32 {
    std::process::id() % 100_000
}

/// A daemon on `vdevs` whose datapath is `dp` and has its local port
/// (unless `local` is false), and a client.
pub fn start(tag: &str, dp: &str, vdevs: &[String], local: bool) -> (Daemon, Ctl) {
    start_with(tag, &format!("[datapath]\nname = \"{dp}\"\n"), vdevs, local)
}

/// A daemon on `vdevs` with the config `toml`, and a client.
pub fn start_with(tag: &str, toml: &str, vdevs: &[String], local: bool) -> (Daemon, Ctl) {
    let socket = super::test_socket_path(tag);
    let conf = socket.with_file_name("dpswitch.toml");
    std::fs::write(&conf, toml).unwrap();
    let mut daemon = Daemon::start(
        tag,
        vdevs,
        &[
            "--config",
            conf.to_str().unwrap(),
            "--socket",
            socket.to_str().unwrap(),
            "--local-port",
            if local { "yes" } else { "no" },
        ],
    );
    daemon.wait_for("control socket listening", Duration::from_secs(30));
    let ctl = Ctl::connect(&socket);
    (daemon, ctl)
}

/// Stops the daemon and checks it exited cleanly with every mbuf of its
/// pool (`of` mbufs, when given) back; its output.
pub fn stop_clean(daemon: Daemon, of: Option<u32>) -> Vec<String> {
    let (status, lines) = daemon.stop();
    assert!(status.success(), "dpswitchd exit: {status:?}");
    let back = match of {
        Some(n) => format!("mbufs in use 0 of {n}"),
        None => "mbufs in use 0 of".to_string(),
    };
    assert!(
        lines.iter().any(|l| l.contains(&back)),
        "every mbuf back after ports came and went: {lines:?}"
    );
    lines
}

pub fn u32_of(b: &[u8]) -> u32 {
    u32::from_ne_bytes(b[..4].try_into().unwrap())
}

pub fn link_exists(name: &str) -> bool {
    Command::new("ip")
        .args(["link", "show", name])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

/// OVS_DP_CMD_* on the datapath `name` with these attributes after the name.
pub fn dp_cmd(ctl: &mut Ctl, cmd: u8, name: &str, more: &[u8]) -> Reply {
    let mut attrs = nul_string_attr(OVS_DP_ATTR_NAME, name);
    attrs.extend_from_slice(more);
    ctl.ovs(ctl.dp_family, cmd, NLM_F_ECHO, 0, &attrs)
}

pub fn u32_attr(kind: u16, v: u32) -> Vec<u8> {
    let mut w = AttrWriter::new();
    w.put_u32(kind, v);
    w.as_bytes().to_vec()
}

pub fn features(ctl: &mut Ctl, name: &str) -> (u32, u32) {
    let r = dp_cmd(ctl, OVS_DP_CMD_GET, name, &[]);
    assert_eq!(r.errno, 0, "GET {name}: {:?}", r.ext);
    let m = &r.messages[0];
    (
        u32_of(&m.attr(OVS_DP_ATTR_USER_FEATURES).unwrap()),
        u32_of(&m.attr(OVS_DP_ATTR_MASKS_CACHE_SIZE).unwrap()),
    )
}

/// (number, name, type, upcall pids) of every port, by dump.
pub fn vports(ctl: &mut Ctl) -> Vec<(u32, String, u32, Vec<u32>)> {
    let r = ctl.ovs(
        ctl.vport_family,
        OVS_VPORT_CMD_GET,
        NLM_F_DUMP,
        ctl.dp_ifindex,
        &[],
    );
    assert_eq!(r.errno, 0, "vport dump: {:?}", r.ext);
    r.messages.iter().map(vport_of).collect()
}

pub fn vport_of(m: &super::Received) -> (u32, String, u32, Vec<u32>) {
    let name = m.attr(OVS_VPORT_ATTR_NAME).unwrap();
    let pids = m.attr(OVS_VPORT_ATTR_UPCALL_PID).unwrap();
    (
        u32_of(&m.attr(OVS_VPORT_ATTR_PORT_NO).unwrap()),
        String::from_utf8_lossy(name.split(|b| *b == 0).next().unwrap()).into_owned(),
        u32_of(&m.attr(OVS_VPORT_ATTR_TYPE).unwrap()),
        pids.chunks(4).map(u32_of).collect(),
    )
}

/// OVS_VPORT_CMD_NEW with the attributes given (None: left out).
pub fn vport_new(
    ctl: &mut Ctl,
    name: Option<&str>,
    kind: Option<u32>,
    number: Option<u32>,
    pids: Option<&[u32]>,
) -> Reply {
    let mut w = AttrWriter::new();
    if let Some(n) = name {
        w.put(OVS_VPORT_ATTR_NAME, format!("{n}\0").as_bytes());
    }
    if let Some(k) = kind {
        w.put_u32(OVS_VPORT_ATTR_TYPE, k);
    }
    if let Some(n) = number {
        w.put_u32(OVS_VPORT_ATTR_PORT_NO, n);
    }
    if let Some(p) = pids {
        let bytes: Vec<u8> = p.iter().flat_map(|x| x.to_ne_bytes()).collect();
        w.put(OVS_VPORT_ATTR_UPCALL_PID, &bytes);
    }
    let dp = ctl.dp_ifindex;
    ctl.ovs(
        ctl.vport_family,
        OVS_VPORT_CMD_NEW,
        NLM_F_ECHO,
        dp,
        w.as_bytes(),
    )
}

pub fn vport_del(ctl: &mut Ctl, number: u32) -> Reply {
    let dp = ctl.dp_ifindex;
    ctl.ovs(
        ctl.vport_family,
        OVS_VPORT_CMD_DEL,
        NLM_F_ECHO,
        dp,
        &u32_attr(OVS_VPORT_ATTR_PORT_NO, number),
    )
}

pub fn assert_errno(r: &Reply, errno: i32, text: &str) {
    assert_eq!(r.errno, errno, "{text}: {:?}", r.ext);
    assert!(r.ext.is_some(), "{text}: a refusal carries a message");
}
