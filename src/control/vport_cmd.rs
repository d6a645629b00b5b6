//! `ovs_vport`: the datapath's ports with their stats (P2), added,
//! changed and removed at run time, each check in the order of the
//! kernel's `ovs_vport_cmd_*` with its errno. A refused command changes
//! nothing. `OVS_VPORT_CMD_NEW` naming a port dpswitch has (one given at
//! launch, or added before) binds to that port instead of attaching a
//! second device to its interface.

use super::dp_cmd::{message, name_attr, string, u32_attr, with_nul, DatapathInfo, ReplyTo};
use super::families::FAMILY_VPORT;
use super::request::CmdError;
use crate::datapath::plan::PortPlan;
use crate::datapath::switch::{PortKind, PortSpec};
use crate::datapath::Switch;
use crate::dpdk::PortStats;
use crate::flow::matching::DP_MAX_PORTS;
use crate::netlink::attr::{attrs_lenient, AttrWriter};
use crate::netlink::consts::*;
use crate::netlink::msg::OvsMessage;
use nix::errno::Errno;

/// A port's `OVS_VPORT_TYPE_*`.
fn vport_type(plan: &PortPlan) -> u32 {
    match plan.kind {
        PortKind::Netdev => OVS_VPORT_TYPE_NETDEV,
        PortKind::Internal => OVS_VPORT_TYPE_INTERNAL,
    }
}

/// A vport type's name, for messages.
fn type_name(t: u32) -> String {
    match t {
        OVS_VPORT_TYPE_NETDEV => "netdev".into(),
        OVS_VPORT_TYPE_INTERNAL => "internal".into(),
        OVS_VPORT_TYPE_GRE => "gre".into(),
        OVS_VPORT_TYPE_VXLAN => "vxlan".into(),
        OVS_VPORT_TYPE_GENEVE => "geneve".into(),
        other => format!("{other}"),
    }
}

/// An `OVS_VPORT_ATTR_UPCALL_PID` array, checked as the kernel's
/// ovs_vport_set_upcall_portids: not empty, a whole number of u32s.
fn upcall_pids(p: &[u8]) -> Result<Vec<u32>, CmdError> {
    if p.is_empty() || !p.len().is_multiple_of(4) {
        return Err(CmdError::einval(
            "OVS_VPORT_ATTR_UPCALL_PID must be a non-empty array of u32",
        ));
    }
    Ok(p.chunks_exact(4)
        .map(|c| u32::from_ne_bytes([c[0], c[1], c[2], c[3]]))
        .collect())
}

/// A port number must be below DP_MAX_PORTS (EFBIG).
fn check_number(number: u32) -> Result<(), CmdError> {
    if number >= DP_MAX_PORTS {
        return Err(CmdError::new(
            Errno::EFBIG,
            format!("port number {number} is not below {DP_MAX_PORTS}"),
        ));
    }
    Ok(())
}

/// The request's `dp_ifindex` names the datapath, which exists (ENODEV).
fn check_datapath(dp: &DatapathInfo, msg: &OvsMessage<'_>) -> Result<(), CmdError> {
    if !dp.exists || msg.dp_ifindex != dp.dp_ifindex {
        return Err(CmdError::new(Errno::ENODEV, "no such datapath"));
    }
    Ok(())
}

/// `OVS_VPORT_CMD_NEW` (ovs_vport_cmd_new): NAME, TYPE and UPCALL_PID
/// required (EINVAL); IFINDEX only for internal ports (EOPNOTSUPP); a
/// PORT_NO not below DP_MAX_PORTS: EFBIG; no datapath: ENODEV; PORT_NO
/// taken: EBUSY (absent or 0: the lowest free from 1, none: EFBIG); a type
/// other than netdev and internal: EAFNOSUPPORT (the kernel's answer when
/// no module provides the type); a bad pid array: EINVAL; a name that is a
/// port already binds to it ([`bind_vport`]). `netdev` attaches the kernel interface NAME
/// through net_af_packet (ENODEV when there is none), `internal` creates
/// it with net_tap (EEXIST when it exists).
pub fn new_vport(
    dp: &DatapathInfo,
    switch: &mut Switch,
    msg: &OvsMessage<'_>,
    to: ReplyTo,
) -> Result<Vec<u8>, CmdError> {
    let (mut name, mut kind, mut pids, mut number, mut ifindex) = (None, None, None, None, false);
    for attr in attrs_lenient(msg.attrs) {
        let p = attr.payload();
        match attr.kind() {
            OVS_VPORT_ATTR_NAME => name = Some(name_attr(p, "OVS_VPORT_ATTR_NAME")?),
            OVS_VPORT_ATTR_TYPE => kind = Some(u32_attr(p, "OVS_VPORT_ATTR_TYPE")?),
            OVS_VPORT_ATTR_UPCALL_PID => pids = Some(p),
            OVS_VPORT_ATTR_PORT_NO => number = Some(u32_attr(p, "OVS_VPORT_ATTR_PORT_NO")?),
            OVS_VPORT_ATTR_IFINDEX => ifindex = true,
            _ => {}
        }
    }
    let (Some(name), Some(kind), Some(pids)) = (name, kind, pids) else {
        return Err(CmdError::einval(
            "OVS_VPORT_ATTR_NAME, OVS_VPORT_ATTR_TYPE and OVS_VPORT_ATTR_UPCALL_PID are required",
        ));
    };
    if ifindex && kind != OVS_VPORT_TYPE_INTERNAL {
        return Err(CmdError::new(
            Errno::EOPNOTSUPP,
            "OVS_VPORT_ATTR_IFINDEX is for internal ports only",
        ));
    }
    let number = number.unwrap_or(0);
    check_number(number)?;
    check_datapath(dp, msg)?;
    let kind = match kind {
        OVS_VPORT_TYPE_NETDEV => PortKind::Netdev,
        OVS_VPORT_TYPE_INTERNAL => PortKind::Internal,
        other => {
            return Err(CmdError::new(
                Errno::EAFNOSUPPORT,
                format!(
                    "vport type {} is not supported (netdev and internal are)",
                    type_name(other)
                ),
            ))
        }
    };
    let pids = upcall_pids(pids)?;
    // A name that is a port already (one given at launch, or added
    // before) binds to that port rather than attaching a second device.
    if let Some(port) = switch.port_by_name(&name) {
        let port = port.clone();
        return bind_vport(dp, switch, port, number, &pids, to);
    }
    let number = if number != 0 {
        if switch.has_port(number) {
            return Err(CmdError::new(
                Errno::EBUSY,
                format!("port number {number} is taken"),
            ));
        }
        number
    } else {
        (1..DP_MAX_PORTS)
            .find(|n| !switch.has_port(*n))
            .ok_or_else(|| CmdError::new(Errno::EFBIG, "no free port number"))?
    };
    let plan = switch.add_port(&PortSpec {
        kind,
        name,
        number: Some(number),
        upcall_pids: pids,
    })?;
    let stats = PortStats::default();
    Ok(vport_message(
        dp,
        switch,
        &plan,
        &stats,
        OVS_VPORT_CMD_NEW,
        to,
    ))
}

/// NEW naming a port dpswitch has: the request binds to it. A port number
/// other than the port's is EBUSY (that port is elsewhere); otherwise the
/// port takes the request's upcall pids and is answered as created.
fn bind_vport(
    dp: &DatapathInfo,
    switch: &mut Switch,
    port: PortPlan,
    number: u32,
    pids: &[u32],
    to: ReplyTo,
) -> Result<Vec<u8>, CmdError> {
    if number != 0 && number != port.number {
        return Err(CmdError::new(
            Errno::EBUSY,
            format!("{} is port {}, not {number}", port.name, port.number),
        ));
    }
    switch.set_upcall_pids(port.number, pids);
    let stats = switch
        .port_stats()
        .into_iter()
        .find(|(p, _)| p.number == port.number)
        .map(|(_, s)| s)
        .unwrap_or_default();
    Ok(vport_message(
        dp,
        switch,
        &port,
        &stats,
        OVS_VPORT_CMD_NEW,
        to,
    ))
}

/// `OVS_VPORT_CMD_DEL` (ovs_vport_cmd_del): the port found as GET finds
/// it; the local port 0 goes only with its datapath (EINVAL, as the
/// kernel). The reply carries the port with its final counters; the port
/// is stopped, closed and removed, every mbuf back, when it is sent.
pub fn del_vport(
    dp: &DatapathInfo,
    switch: &mut Switch,
    msg: &OvsMessage<'_>,
    to: ReplyTo,
) -> Result<Vec<u8>, CmdError> {
    let (plan, _) = find_vport(dp, switch, msg)?;
    if plan.number == 0 {
        return Err(CmdError::einval(
            "the local port 0 is deleted only with its datapath",
        ));
    }
    let pids = switch.upcall_pids(plan.number);
    let (plan, stats) = switch.remove_port(plan.number)?;
    Ok(vport_message_with(
        dp,
        &plan,
        &stats,
        &pids,
        OVS_VPORT_CMD_DEL,
        to,
    ))
}

/// `OVS_VPORT_CMD_GET`: the port named by `OVS_VPORT_ATTR_NAME` (in the
/// datapath of `dp_ifindex` when that is not 0) or by
/// `OVS_VPORT_ATTR_PORT_NO` in the datapath of `dp_ifindex`.
pub fn get_vport(
    dp: &DatapathInfo,
    switch: &Switch,
    msg: &OvsMessage<'_>,
    to: ReplyTo,
) -> Result<Vec<u8>, CmdError> {
    let (plan, stats) = find_vport(dp, switch, msg)?;
    Ok(vport_message(
        dp,
        switch,
        &plan,
        &stats,
        OVS_VPORT_CMD_GET,
        to,
    ))
}

/// `OVS_VPORT_CMD_SET` (ovs_vport_cmd_set): a different type is EINVAL;
/// options EOPNOTSUPP (netdev and internal ports take none, as in the
/// kernel); the upcall pid array (checked as in NEW) is stored whole and
/// its first pid handles the port's misses. The port as it is now comes
/// back (for echo and the `ovs_vport` group).
pub fn set_vport(
    dp: &DatapathInfo,
    switch: &mut Switch,
    msg: &OvsMessage<'_>,
    to: ReplyTo,
) -> Result<Vec<u8>, CmdError> {
    let (plan, stats) = find_vport(dp, switch, msg)?;
    let mut kind = None;
    let mut options = false;
    let mut pids = None;
    for attr in attrs_lenient(msg.attrs) {
        let p = attr.payload();
        match attr.kind() {
            OVS_VPORT_ATTR_TYPE => kind = Some(u32_attr(p, "OVS_VPORT_ATTR_TYPE")?),
            OVS_VPORT_ATTR_OPTIONS => options = true,
            OVS_VPORT_ATTR_UPCALL_PID => pids = Some(p),
            _ => {}
        }
    }
    if kind.is_some_and(|k| k != vport_type(&plan)) {
        return Err(CmdError::einval("a port's type cannot change"));
    }
    if options {
        return Err(CmdError::new(
            Errno::EOPNOTSUPP,
            format!(
                "{} ports take no vport options",
                type_name(vport_type(&plan))
            ),
        ));
    }
    if let Some(p) = pids {
        let pids = upcall_pids(p)?;
        switch.set_upcall_pids(plan.number, &pids);
    }
    Ok(vport_message(
        dp,
        switch,
        &plan,
        &stats,
        OVS_VPORT_CMD_SET,
        to,
    ))
}

fn find_vport(
    dp: &DatapathInfo,
    switch: &Switch,
    msg: &OvsMessage<'_>,
) -> Result<(PortPlan, PortStats), CmdError> {
    let mut name = None;
    let mut number = None;
    for attr in attrs_lenient(msg.attrs) {
        match attr.kind() {
            OVS_VPORT_ATTR_IFINDEX => {
                return Err(CmdError::new(
                    Errno::EOPNOTSUPP,
                    "ports are not looked up by ifindex",
                ))
            }
            OVS_VPORT_ATTR_NAME => name = Some(string(attr.payload()).to_vec()),
            OVS_VPORT_ATTR_PORT_NO => {
                let n = <[u8; 4]>::try_from(attr.payload())
                    .map(u32::from_ne_bytes)
                    .map_err(|_| CmdError::einval("OVS_VPORT_ATTR_PORT_NO is not a u32"))?;
                number = Some(n);
            }
            _ => {}
        }
    }
    let ports = if dp.exists {
        switch.port_stats()
    } else {
        Vec::new()
    };
    let found = if let Some(name) = name {
        if msg.dp_ifindex != 0 && msg.dp_ifindex != dp.dp_ifindex {
            return Err(CmdError::new(Errno::ENODEV, "no such datapath"));
        }
        ports.iter().find(|(p, _)| p.name.as_bytes() == name)
    } else if let Some(number) = number {
        check_number(number)?;
        check_datapath(dp, msg)?;
        ports.iter().find(|(p, _)| p.number == number)
    } else {
        return Err(CmdError::einval(
            "OVS_VPORT_ATTR_NAME or OVS_VPORT_ATTR_PORT_NO is required",
        ));
    };
    found
        .cloned()
        .ok_or_else(|| CmdError::new(Errno::ENODEV, "no such port"))
}

/// Every port, in port-number order, for a vport dump.
pub fn vport_messages(dp: &DatapathInfo, switch: &Switch, to: ReplyTo) -> Vec<Vec<u8>> {
    if !dp.exists {
        return Vec::new();
    }
    switch
        .port_stats()
        .iter()
        .map(|(plan, stats)| vport_message(dp, switch, plan, stats, OVS_VPORT_CMD_GET, to))
        .collect()
}

fn vport_message(
    dp: &DatapathInfo,
    switch: &Switch,
    plan: &PortPlan,
    s: &PortStats,
    cmd: u8,
    to: ReplyTo,
) -> Vec<u8> {
    let mut pids = switch.upcall_pids(plan.number);
    if pids.is_empty() {
        pids.push(0);
    }
    vport_message_with(dp, plan, s, &pids, cmd, to)
}

/// One port: number, type, name, upcall port ids (the whole array, as
/// set) and `struct ovs_vport_stats`.
fn vport_message_with(
    dp: &DatapathInfo,
    plan: &PortPlan,
    s: &PortStats,
    upcall_pids: &[u32],
    cmd: u8,
    to: ReplyTo,
) -> Vec<u8> {
    let mut w = AttrWriter::new();
    w.put_u32(OVS_VPORT_ATTR_PORT_NO, plan.number);
    w.put_u32(OVS_VPORT_ATTR_TYPE, vport_type(plan));
    w.put(OVS_VPORT_ATTR_NAME, &with_nul(&plan.name));
    let pids: Vec<u8> = upcall_pids.iter().flat_map(|p| p.to_ne_bytes()).collect();
    w.put(OVS_VPORT_ATTR_UPCALL_PID, &pids);
    let mut stats = Vec::with_capacity(OVS_VPORT_STATS_LEN);
    let rx_dropped = s.imissed.saturating_add(s.rx_nombuf);
    for v in [
        s.ipackets, s.opackets, s.ibytes, s.obytes, s.ierrors, s.oerrors, rx_dropped, 0,
    ] {
        stats.extend_from_slice(&v.to_ne_bytes());
    }
    w.put(OVS_VPORT_ATTR_STATS, &stats);
    message(
        FAMILY_VPORT,
        cmd,
        OVS_VPORT_VERSION,
        dp.dp_ifindex,
        to,
        w.as_bytes(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pid_arrays_are_checked_as_the_kernels_policy() {
        let pids: Vec<u8> = [7u32, 8].iter().flat_map(|p| p.to_ne_bytes()).collect();
        assert_eq!(upcall_pids(&pids).unwrap(), [7, 8]);
        assert_eq!(upcall_pids(&[]).unwrap_err().errno, Errno::EINVAL);
        assert_eq!(upcall_pids(&[1, 2, 3]).unwrap_err().errno, Errno::EINVAL);
    }
}
