//! What kind of kernel interface a `netdev` port would attach, asked of
//! the kernel over rtnetlink (`RTM_GETLINK`, `IFLA_LINKINFO`).
//!
//! One kind cannot be a dpswitch port: a tunnel device in metadata mode
//! (`external`, `collect_metadata`: the `vxlan_sys_4789` that Open
//! vSwitch creates for a `vxlan` port). It sends only packets whose tunnel
//! destination a kernel datapath's `set(tunnel(...))` attached to them,
//! and hands up decapsulated frames without their tunnel key; through
//! AF_PACKET neither travels, so such a port would take every flood into
//! a hole and every flow outputting to it would need a tunnel action
//! dpswitch does not have. A tunnel device with a fixed remote is an
//! ordinary Ethernet interface and attaches like any other.

use crate::netlink::attr::attrs_lenient;
use dpswitch_proto::frame::{frames, Header};
use rustix::net::{recv, send, socket, AddressFamily, RecvFlags, SendFlags, SocketType};

const RTM_NEWLINK: u16 = 16;
const RTM_GETLINK: u16 = 18;
const NLM_F_REQUEST: u16 = 1;
/// `struct ifinfomsg`: family, pad, type, index, flags, change.
const IFINFOMSG_LEN: usize = 16;
const IFLA_IFNAME: u16 = 3;
const IFLA_LINKINFO: u16 = 18;
const IFLA_INFO_KIND: u16 = 1;
const IFLA_INFO_DATA: u16 = 2;

/// The `IFLA_INFO_DATA` attribute that says "metadata mode", per link kind.
fn collect_metadata_attr(kind: &str) -> Option<u16> {
    match kind {
        "vxlan" => Some(25), // IFLA_VXLAN_COLLECT_METADATA
        "geneve" => Some(6), // IFLA_GENEVE_COLLECT_METADATA
        "gretap" | "ip6gretap" | "erspan" | "ip6erspan" => Some(18), // IFLA_GRE_COLLECT_METADATA
        _ => None,
    }
}

/// The link kind (`vxlan`, `geneve`, ...) of `name` when it is a tunnel
/// device in metadata mode; None for every other interface, and when the
/// kernel cannot be asked (the attach then goes ahead and fails or works
/// on its own terms).
pub fn metadata_tunnel(name: &str) -> Option<String> {
    metadata_tunnel_in(&get_link(name)?)
}

/// The same, read from the kernel's `RTM_NEWLINK` reply.
fn metadata_tunnel_in(reply: &[u8]) -> Option<String> {
    let (header, payload) = frames(reply).next()?;
    if header.msg_type != RTM_NEWLINK {
        return None;
    }
    let linkinfo =
        attrs_lenient(payload.get(IFINFOMSG_LEN..)?).find(|a| a.kind() == IFLA_LINKINFO)?;
    let info: Vec<_> = attrs_lenient(linkinfo.payload()).collect();
    let kind = info.iter().find(|a| a.kind() == IFLA_INFO_KIND)?.payload();
    let kind = String::from_utf8_lossy(kind.split(|b| *b == 0).next()?).into_owned();
    let wanted = collect_metadata_attr(&kind)?;
    let data = info.iter().find(|a| a.kind() == IFLA_INFO_DATA)?;
    // A flag in GENEVE and GRE, a u8 in VXLAN: present and not 0.
    let on = attrs_lenient(data.payload())
        .find(|a| a.kind() == wanted)
        .is_some_and(|a| a.payload().first() != Some(&0));
    on.then_some(kind)
}

/// One `RTM_GETLINK` by name; the kernel's reply datagram.
fn get_link(name: &str) -> Option<Vec<u8>> {
    let mut ifname = name.as_bytes().to_vec();
    ifname.push(0);
    let mut attrs = crate::netlink::attr::AttrWriter::new();
    attrs.put(IFLA_IFNAME, &ifname);
    let attrs = attrs.finish("RTM_GETLINK").ok()?;
    let request = link_message(RTM_GETLINK, NLM_F_REQUEST, &attrs);
    let fd = socket(AddressFamily::NETLINK, SocketType::RAW, None).ok()?;
    send(&fd, &request, SendFlags::empty()).ok()?;
    let mut reply = vec![0; 32 * 1024];
    let (n, _) = recv(&fd, &mut reply[..], RecvFlags::empty()).ok()?;
    reply.truncate(n);
    Some(reply)
}

/// An rtnetlink link message: header, a zeroed `ifinfomsg`, `attrs`.
fn link_message(msg_type: u16, flags: u16, attrs: &[u8]) -> Vec<u8> {
    let header = Header {
        len: (16 + IFINFOMSG_LEN + attrs.len()) as u32,
        msg_type,
        flags,
        seq: 1,
        pid: 0,
    };
    let mut message = header.to_bytes().to_vec();
    message.extend_from_slice(&[0; IFINFOMSG_LEN]);
    message.extend_from_slice(attrs);
    message
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::netlink::attr::AttrWriter;

    /// An `RTM_NEWLINK` reply for a link of `kind` with `data` attributes.
    fn reply(kind: &str, data: &[(u16, &[u8])]) -> Vec<u8> {
        let mut w = AttrWriter::new();
        w.put(IFLA_IFNAME, b"t0\0");
        let info = w.begin_nested(IFLA_LINKINFO);
        w.put(IFLA_INFO_KIND, format!("{kind}\0").as_bytes());
        let d = w.begin_nested(IFLA_INFO_DATA);
        for (attr, payload) in data {
            w.put(*attr, payload);
        }
        w.end_nested(d);
        w.end_nested(info);
        link_message(RTM_NEWLINK, 0, &w.finish("test").unwrap())
    }

    #[test]
    fn tunnels_in_metadata_mode_are_recognised() {
        assert_eq!(
            metadata_tunnel_in(&reply("vxlan", &[(1, &[0; 4]), (25, &[1])])).as_deref(),
            Some("vxlan")
        );
        assert_eq!(
            metadata_tunnel_in(&reply("geneve", &[(6, &[])])).as_deref(),
            Some("geneve")
        );
        assert_eq!(
            metadata_tunnel_in(&reply("gretap", &[(18, &[])])).as_deref(),
            Some("gretap")
        );
    }

    #[test]
    fn other_links_attach() {
        // A VXLAN with a fixed remote is an ordinary Ethernet interface.
        assert_eq!(
            metadata_tunnel_in(&reply("vxlan", &[(1, &[0; 4]), (25, &[0])])),
            None
        );
        assert_eq!(metadata_tunnel_in(&reply("vxlan", &[(1, &[0; 4])])), None);
        assert_eq!(metadata_tunnel_in(&reply("veth", &[(25, &[1])])), None);
        let mut error = reply("vxlan", &[(25, &[1])]);
        error[4] = 2; // NLMSG_ERROR
        assert_eq!(metadata_tunnel_in(&error), None);
    }
}
