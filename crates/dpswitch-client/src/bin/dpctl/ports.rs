//! add-dp, del-dp, add-if, del-if: datapaths and their ports created and
//! deleted at run time, in ovs-dpctl's syntax (`add-if DP
//! NETDEV[,type=TYPE][,port_no=N]...`; TYPE `system` (the default) attaches
//! the existing kernel interface, `internal` creates one).

use dpswitch_client::client::Client;
use dpswitch_proto::netlink::consts::*;

/// The user features Open vSwitch negotiates with a kernel without
/// per-CPU upcall dispatch.
const FEATURES: u32 = OVS_DP_F_UNALIGNED | OVS_DP_F_VPORT_PIDS;

pub fn add_dp(client: &mut Client, dp: &str, ifaces: &[String]) -> Result<(), String> {
    client
        .new_datapath(dp, 0, FEATURES)
        .map_err(|e| e.to_string())?;
    add_if(client, dp, ifaces)
}

pub fn del_dp(client: &mut Client, dp: &str) -> Result<(), String> {
    client.del_datapath(dp).map_err(|e| e.to_string())
}

/// One `NETDEV[,type=TYPE][,port_no=N]` argument.
fn parse_iface(arg: &str) -> Result<(String, u32, Option<u32>), String> {
    let mut parts = arg.split(',');
    let name = parts.next().unwrap_or_default().to_string();
    if name.is_empty() {
        return Err(format!("{arg:?}: no interface name"));
    }
    let (mut kind, mut number) = (OVS_VPORT_TYPE_NETDEV, None);
    for option in parts {
        match option.split_once('=') {
            Some(("type", t)) => {
                kind = match t {
                    "system" | "netdev" => OVS_VPORT_TYPE_NETDEV,
                    "internal" => OVS_VPORT_TYPE_INTERNAL,
                    "gre" => OVS_VPORT_TYPE_GRE,
                    "vxlan" => OVS_VPORT_TYPE_VXLAN,
                    "geneve" => OVS_VPORT_TYPE_GENEVE,
                    other => return Err(format!("{arg:?}: unknown port type {other:?}")),
                }
            }
            Some(("port_no", n)) => {
                number = Some(
                    n.parse()
                        .map_err(|_| format!("{arg:?}: port_no {n:?} is not a number"))?,
                )
            }
            _ => return Err(format!("{arg:?}: unknown option {option:?}")),
        }
    }
    Ok((name, kind, number))
}

pub fn add_if(client: &mut Client, dp: &str, ifaces: &[String]) -> Result<(), String> {
    let dp_ifindex = client.datapath(dp).map_err(|e| e.to_string())?.dp_ifindex;
    for arg in ifaces {
        let (name, kind, number) = parse_iface(arg)?;
        client
            .new_vport(dp_ifindex, &name, kind, number, 0)
            .map_err(|e| format!("adding {name} to {dp} failed: {e}"))?;
    }
    Ok(())
}

pub fn del_if(client: &mut Client, dp: &str, ifaces: &[String]) -> Result<(), String> {
    let dp_ifindex = client.datapath(dp).map_err(|e| e.to_string())?.dp_ifindex;
    for name in ifaces {
        client
            .del_vport(dp_ifindex, name)
            .map_err(|e| format!("deleting {name} from {dp} failed: {e}"))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interface_arguments_parse_as_ovs_dpctl_reads_them() {
        assert_eq!(
            parse_iface("veth0").unwrap(),
            ("veth0".into(), OVS_VPORT_TYPE_NETDEV, None)
        );
        assert_eq!(
            parse_iface("br0,type=internal,port_no=5").unwrap(),
            ("br0".into(), OVS_VPORT_TYPE_INTERNAL, Some(5))
        );
        assert_eq!(parse_iface("t,type=vxlan").unwrap().1, OVS_VPORT_TYPE_VXLAN);
        assert!(parse_iface("x,type=bogus").is_err());
        assert!(parse_iface("x,port_no=z").is_err());
        assert!(parse_iface(",type=internal").is_err());
    }
}
