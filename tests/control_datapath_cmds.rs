//! The datapath changed at run time over the control socket, as the
//! kernel's ovs_dp_cmd_* change it: user features negotiated as Open
//! vSwitch's dpif_netlink_open sends them, the masks cache size, the
//! datapath deleted and created again, and dpctl's datapath and port
//! subcommands end to end.

mod common;

use common::errno::*;
use common::vports::*;
use common::{flow_text, Ctl};
use dpswitch::netlink::consts::*;
use std::process::Command;

#[test]
#[ignore = "needs root: hugepages, taps"]
fn datapath_features_negotiated_deleted_and_created_again() {
    common::require_root("hugepages, taps");
    let (dp, dp2) = (format!("dvf{}", id()), format!("dvg{}", id()));
    let (daemon, mut ctl) = start("dpfeat", &dp, &["net_null0,no-rx=1".into()], true);
    let mut monitor = Ctl::connect(&daemon.socket);
    let group = monitor.group(OVS_DATAPATH_FAMILY, OVS_DATAPATH_MCGROUP);
    assert_eq!(monitor.subscribe(group).errno, 0);

    // The launch datapath has its local port 0, an internal port named
    // like it, and the launch port from 1.
    assert!(link_exists(&dp), "local port {dp} is a kernel interface");
    let before = vports(&mut ctl);
    assert_eq!(
        before
            .iter()
            .map(|(n, name, t, _)| (*n, name.as_str(), *t))
            .collect::<Vec<_>>(),
        [
            (0, dp.as_str(), OVS_VPORT_TYPE_INTERNAL),
            (1, "net_null0", OVS_VPORT_TYPE_NETDEV)
        ]
    );
    assert_eq!(features(&mut ctl, &dp), (0, 256));

    // dpif_netlink_open(create=false): GET, then SET with UNALIGNED |
    // VPORT_PIDS | a bit no kernel knows, which must fail ...
    let pid0 = u32_attr(OVS_DP_ATTR_UPCALL_PID, 0);
    let set = |ctl: &mut Ctl, f: u32| {
        let mut a = pid0.clone();
        a.extend(u32_attr(OVS_DP_ATTR_USER_FEATURES, f));
        dp_cmd(ctl, OVS_DP_CMD_SET, &dp, &a)
    };
    let r = set(
        &mut ctl,
        OVS_DP_F_UNALIGNED | OVS_DP_F_VPORT_PIDS | UNSUPPORTED_BIT,
    );
    assert_errno(&r, EOPNOTSUPP, "bogus feature bit");
    assert_eq!(
        features(&mut ctl, &dp),
        (0, 256),
        "refused SET changed nothing"
    );
    // ... then per-CPU dispatch, refused as by a kernel without it ...
    let r = set(
        &mut ctl,
        OVS_DP_F_UNALIGNED | OVS_DP_F_DISPATCH_UPCALL_PER_CPU,
    );
    assert_errno(&r, EOPNOTSUPP, "per-cpu upcall dispatch");
    assert_eq!(features(&mut ctl, &dp), (0, 256));
    // ... so per-vport pids, which hold; the echo reports them.
    let r = set(&mut ctl, OVS_DP_F_UNALIGNED | OVS_DP_F_VPORT_PIDS);
    assert_eq!(r.errno, 0, "{:?}", r.ext);
    assert_eq!(r.messages[0].genl_cmd(), OVS_DP_CMD_SET);
    let held = OVS_DP_F_UNALIGNED | OVS_DP_F_VPORT_PIDS;
    assert_eq!(
        u32_of(&r.messages[0].attr(OVS_DP_ATTR_USER_FEATURES).unwrap()),
        held
    );
    assert_eq!(features(&mut ctl, &dp), (held, 256));
    // dpif_netlink_set_features(TC_RECIRC_SHARING): refused, kept as was.
    let r = set(&mut ctl, held | OVS_DP_F_TC_RECIRC_SHARING);
    assert_errno(&r, EOPNOTSUPP, "tc recirc sharing");
    assert_eq!(features(&mut ctl, &dp), (held, 256));
    // The masks cache size: the kernel's range, then a power of two.
    for (size, errno) in [(100, EINVAL), (8192, ERANGE)] {
        let mut a = u32_attr(OVS_DP_ATTR_USER_FEATURES, held);
        a.extend(u32_attr(OVS_DP_ATTR_MASKS_CACHE_SIZE, size));
        assert_errno(
            &dp_cmd(&mut ctl, OVS_DP_CMD_SET, &dp, &a),
            errno,
            "masks cache size",
        );
        assert_eq!(features(&mut ctl, &dp), (held, 256));
    }
    let mut a = u32_attr(OVS_DP_ATTR_USER_FEATURES, held);
    a.extend(u32_attr(OVS_DP_ATTR_MASKS_CACHE_SIZE, 512));
    assert_eq!(dp_cmd(&mut ctl, OVS_DP_CMD_SET, &dp, &a).errno, 0);
    assert_eq!(features(&mut ctl, &dp), (held, 512));

    // NEW: required attributes, then features, then existence.
    let r = dp_cmd(&mut ctl, OVS_DP_CMD_NEW, &dp, &[]);
    assert_errno(&r, EINVAL, "NEW without an upcall pid");
    let r = dp_cmd(&mut ctl, OVS_DP_CMD_NEW, &dp, &pid0);
    assert_errno(&r, EEXIST, "NEW of the existing datapath");
    let r = dp_cmd(&mut ctl, OVS_DP_CMD_NEW, &dp2, &pid0);
    assert_errno(&r, EBUSY, "NEW of a second datapath");
    assert!(!link_exists(&dp2));
    assert_eq!(vports(&mut ctl), before, "refused NEWs changed nothing");
    assert_eq!(features(&mut ctl, &dp), (held, 512));

    // A flow, then DEL: flows, ports and the local interface go.
    let f = flow_text("in_port(1),eth(),eth_type(0x0806),arp()", Some("0"));
    assert_eq!(ctl.flow(OVS_FLOW_CMD_NEW, NLM_F_CREATE, &f).errno, 0);
    let r = dp_cmd(&mut ctl, OVS_DP_CMD_DEL, &dp, &[]);
    assert_eq!(r.errno, 0, "{:?}", r.ext);
    assert_eq!(r.messages[0].genl_cmd(), OVS_DP_CMD_DEL);
    assert_errno(
        &dp_cmd(&mut ctl, OVS_DP_CMD_GET, &dp, &[]),
        ENODEV,
        "GET after DEL",
    );
    let dpi = ctl.dp_ifindex;
    let r = ctl.ovs(ctl.dp_family, OVS_DP_CMD_GET, 0, dpi, &[]);
    assert_eq!(r.errno, ENODEV);
    let r = ctl.ovs(ctl.vport_family, OVS_VPORT_CMD_GET, NLM_F_DUMP, dpi, &[]);
    assert_eq!(r.errno, ENODEV, "no ports without a datapath");
    assert_eq!(ctl.flow(OVS_FLOW_CMD_NEW, NLM_F_CREATE, &f).errno, ENODEV);
    assert!(!link_exists(&dp), "the local port's interface is gone");
    // The monitor saw the DEL on the ovs_datapath group.
    let mut seen = std::mem::take(&mut monitor.unsolicited);
    while !seen
        .iter()
        .any(|m| m.header.msg_type == monitor.dp_family && m.genl_cmd() == OVS_DP_CMD_DEL)
    {
        seen.extend(monitor.recv());
    }

    // NEW (as dpif_netlink_open(create=true) ends up sending it) creates
    // it again, empty, with its local port and that port's upcall pid.
    let mut a = u32_attr(OVS_DP_ATTR_UPCALL_PID, 77);
    a.extend(u32_attr(OVS_DP_ATTR_USER_FEATURES, UNSUPPORTED_BIT | held));
    assert_errno(
        &dp_cmd(&mut ctl, OVS_DP_CMD_NEW, &dp2, &a),
        EOPNOTSUPP,
        "bogus bit on NEW",
    );
    assert_errno(
        &dp_cmd(&mut ctl, OVS_DP_CMD_GET, &dp2, &[]),
        ENODEV,
        "refused NEW created nothing",
    );
    let mut a = u32_attr(OVS_DP_ATTR_UPCALL_PID, 77);
    a.extend(u32_attr(OVS_DP_ATTR_USER_FEATURES, held));
    let r = dp_cmd(&mut ctl, OVS_DP_CMD_NEW, &dp2, &a);
    assert_eq!(r.errno, 0, "{:?}", r.ext);
    assert_eq!(r.messages[0].genl_cmd(), OVS_DP_CMD_NEW);
    assert_eq!(features(&mut ctl, &dp2), (held, 256));
    assert!(
        link_exists(&dp2),
        "the new local port {dp2} is a kernel interface"
    );
    assert_eq!(
        vports(&mut ctl),
        [(0, dp2.clone(), OVS_VPORT_TYPE_INTERNAL, vec![77])]
    );
    assert!(ctl.dump_flows().is_empty(), "the new datapath has no flows");
    drop(ctl);
    drop(monitor);
    stop_clean(daemon, None);
    assert!(!link_exists(&dp2));
}

#[test]
#[ignore = "needs root: hugepages, taps"]
fn dpctl_adds_and_deletes_datapaths_and_ports() {
    common::require_root("hugepages, taps");
    let id = id();
    let (dp, dp2, port) = (format!("dvc{id}"), format!("dvd{id}"), format!("dvci{id}"));
    let (daemon, ctl) = start("vpdpctl", &dp, &[], false);
    let dpctl = |args: &[&str]| {
        let out = Command::new(common::dpctl_binary())
            .arg("--socket")
            .arg(&daemon.socket)
            .args(args)
            .output()
            .expect("dpctl runs");
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (ok, _, err) = dpctl(&["add-if", &dp, &format!("{port},type=internal,port_no=4")]);
    assert!(ok, "{err}");
    assert!(link_exists(&port));
    let (ok, out, _) = dpctl(&["show", &dp]);
    assert!(
        ok && out.contains(&format!("port 4: {port} (internal)")),
        "{out}"
    );
    let (ok, _, err) = dpctl(&["add-if", &dp, "x,type=geneve"]);
    assert!(!ok && err.contains("EAFNOSUPPORT"), "{err}");
    let (ok, _, err) = dpctl(&["add-dp", &dp2]);
    assert!(!ok && err.contains("EBUSY"), "{err}");
    let (ok, _, err) = dpctl(&["del-if", &dp, &port]);
    assert!(ok, "{err}");
    assert!(!link_exists(&port));
    let (ok, _, err) = dpctl(&["del-dp", &dp]);
    assert!(ok, "{err}");
    let (ok, _, err) = dpctl(&["add-dp", &dp2, &format!("{port},type=internal")]);
    assert!(ok, "{err}");
    assert!(link_exists(&dp2) && link_exists(&port));
    let (ok, out, _) = dpctl(&["show"]);
    assert!(
        ok && out.contains(&format!("system@{dp2}:"))
            && out.contains(&format!("port 0: {dp2} (internal)"))
            && out.contains(&format!("port 1: {port} (internal)")),
        "{out}"
    );
    drop(ctl);
    stop_clean(daemon, None);
    assert!(!link_exists(&port) && !link_exists(&dp2));
}
