//! Validating a flow's actions against its match before anything is
//! installed (N7 in docs/flow-commands.md), as the kernel does while copying actions: every
//! packet the match admits must be one the actions can safely act on.
//!
//! Refused with EINVAL: output to a port that does not exist; a set or
//! masked set of a header the match does not pin (e.g. `set(ipv4(...))`
//! without an exact `eth_type(0x0800)`), or of a field that is not
//! writable (ip proto, frag); push_vlan with a TPID other than 0x8100 /
//! 0x88a8 or without the tag-present bit; userspace with pid 0; a masked
//! set with value bits outside its mask. Refused with EMSGSIZE: an action
//! list whose netlink encoding exceeds the kernel's 32 KiB limit.

use super::key::*;
use super::matching::Match;
use super::odp::{Action, KeyAttr};
use nix::errno::Errno;

/// The kernel's MAX_ACTIONS_BUFSIZE.
pub const MAX_ACTIONS_BYTES: usize = 32 * 1024;

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ActionError {
    pub errno: Errno,
    pub message: String,
}

fn invalid<T>(message: impl Into<String>) -> Result<T, ActionError> {
    Err(ActionError {
        errno: Errno::EINVAL,
        message: message.into(),
    })
}

/// Checks `actions` for a flow with match `m`; `port_exists` answers for
/// output ports, `encoded_len` is the size of the list's netlink encoding.
pub fn validate_actions(
    actions: &[Action],
    m: &Match,
    encoded_len: usize,
    port_exists: &dyn Fn(u32) -> bool,
) -> Result<(), ActionError> {
    if encoded_len > MAX_ACTIONS_BYTES {
        return Err(ActionError {
            errno: Errno::EMSGSIZE,
            message: format!(
                "action list of {encoded_len} bytes exceeds the {MAX_ACTIONS_BYTES}-byte limit"
            ),
        });
    }
    let key = m.masked_key();
    check_list(actions, &key, &m.mask, port_exists)
}

fn check_list(
    actions: &[Action],
    key: &FlowKey,
    mask: &FlowMask,
    port_exists: &dyn Fn(u32) -> bool,
) -> Result<(), ActionError> {
    for action in actions {
        match action {
            Action::Output(port) if !port_exists(*port) => {
                return invalid(format!("output to port {port}, which does not exist"));
            }
            Action::Output(_) | Action::PopVlan => {}
            Action::PushVlan { tpid, tci } => {
                if *tpid != ETH_TYPE_VLAN && *tpid != ETH_TYPE_QINQ {
                    return invalid(format!(
                        "push_vlan TPID {tpid:#06x} is neither 0x8100 nor 0x88a8"
                    ));
                }
                if tci & VLAN_TAG_PRESENT == 0 {
                    return invalid("push_vlan TCI lacks the tag-present (CFI) bit");
                }
                if key.mac_proto() != MAC_PROTO_ETHERNET {
                    return invalid("push_vlan on a flow without an Ethernet header");
                }
            }
            Action::Userspace(u) if u.pid == 0 => {
                return invalid("userspace action with pid 0 names no handler");
            }
            Action::Userspace(_) => {}
            Action::Set(value) => check_set(value, None, key, mask)?,
            Action::SetMasked { value, mask: m } => check_set(value, Some(m), key, mask)?,
            Action::Sample { actions, .. } | Action::Clone(actions) => {
                check_list(actions, key, mask, port_exists)?
            }
        }
    }
    Ok(())
}

/// Whether the match pins `eth_type` to `t` (exactly matched).
fn pins_eth_type(key: &FlowKey, mask: &FlowMask, t: u16) -> bool {
    mask.eth_type() == 0xffff && key.eth_type() == t
}

fn pins_ip_proto(key: &FlowKey, mask: &FlowMask, proto: u8) -> bool {
    let ip = pins_eth_type(key, mask, ETH_TYPE_IPV4) || pins_eth_type(key, mask, ETH_TYPE_IPV6);
    ip && mask.nw_proto() == 0xff && key.nw_proto() == proto
}

fn check_set(
    value: &KeyAttr,
    set_mask: Option<&KeyAttr>,
    key: &FlowKey,
    mask: &FlowMask,
) -> Result<(), ActionError> {
    let not_pinned = |what: &str| {
        invalid(format!(
            "set({}) on a flow that does not match {what} exactly",
            value.kind().name()
        ))
    };
    match value {
        KeyAttr::Priority(_) | KeyAttr::SkbMark(_) => Ok(()),
        KeyAttr::Ethernet(_) if key.mac_proto() == MAC_PROTO_ETHERNET => Ok(()),
        KeyAttr::Ethernet(_) => not_pinned("an Ethernet header"),
        KeyAttr::Ipv4(v) => {
            if !pins_eth_type(key, mask, ETH_TYPE_IPV4) {
                return not_pinned("eth_type(0x0800)");
            }
            match set_mask {
                Some(KeyAttr::Ipv4(m)) if m.proto != 0 || m.frag != 0 => {
                    invalid("set(ipv4) cannot write proto or frag")
                }
                None if v.proto != key.nw_proto() || v.frag != key.nw_frag() => {
                    invalid("set(ipv4) must keep the flow's proto and frag")
                }
                _ => Ok(()),
            }
        }
        KeyAttr::Ipv6(v) => {
            if !pins_eth_type(key, mask, ETH_TYPE_IPV6) {
                return not_pinned("eth_type(0x86dd)");
            }
            if v.label & 0xfff0_0000 != 0 {
                return invalid("set(ipv6) flow label has more than 20 bits");
            }
            match set_mask {
                Some(KeyAttr::Ipv6(m)) if m.proto != 0 || m.frag != 0 => {
                    invalid("set(ipv6) cannot write proto or frag")
                }
                Some(KeyAttr::Ipv6(m)) if m.label & 0xfff0_0000 != 0 => {
                    invalid("set(ipv6) flow label mask has more than 20 bits")
                }
                None if v.proto != key.nw_proto() || v.frag != key.nw_frag() => {
                    invalid("set(ipv6) must keep the flow's proto and frag")
                }
                _ => Ok(()),
            }
        }
        KeyAttr::Tcp(_) if pins_ip_proto(key, mask, IPPROTO_TCP) => Ok(()),
        KeyAttr::Udp(_) if pins_ip_proto(key, mask, IPPROTO_UDP) => Ok(()),
        KeyAttr::Sctp(_) if pins_ip_proto(key, mask, IPPROTO_SCTP) => Ok(()),
        KeyAttr::Tcp(_) => not_pinned("ip proto 6"),
        KeyAttr::Udp(_) => not_pinned("ip proto 17"),
        KeyAttr::Sctp(_) => not_pinned("ip proto 132"),
        KeyAttr::Icmp(_)
            if pins_eth_type(key, mask, ETH_TYPE_IPV4)
                && pins_ip_proto(key, mask, IPPROTO_ICMP) =>
        {
            Ok(())
        }
        KeyAttr::Icmpv6(_)
            if pins_eth_type(key, mask, ETH_TYPE_IPV6)
                && pins_ip_proto(key, mask, IPPROTO_ICMPV6) =>
        {
            Ok(())
        }
        KeyAttr::Icmp(_) => not_pinned("eth_type(0x0800) and ip proto 1"),
        KeyAttr::Icmpv6(_) => not_pinned("eth_type(0x86dd) and ip proto 58"),
        other => invalid(format!(
            "set({}) is not a settable header",
            other.kind().name()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flow::matching::match_from_attrs;
    use crate::flow::odp::{Ipv4Key, UserspaceAction};
    use crate::flow::text::{parse_actions, parse_match};

    fn check(flow: &str, actions: &str) -> Result<(), ActionError> {
        let (k, m) = parse_match(flow).unwrap();
        let m = match_from_attrs(&k, Some(&m)).unwrap();
        let actions = parse_actions(actions).unwrap();
        validate_actions(&actions, &m, 64, &|p| p < 4)
    }

    const TCP: &str =
        "in_port(1),eth(),eth_type(0x0800),ipv4(proto=6,frag=no),tcp(),tcp_flags(0/0)";
    const ANY_IP: &str = "in_port(1),eth(),eth_type(0x0800),ipv4(frag=no)";

    #[test]
    fn outputs_to_existing_ports_pass_and_others_fail() {
        // N7: output to a port that does not exist.
        assert_eq!(check(ANY_IP, "1,2,3"), Ok(()));
        let e = check(ANY_IP, "1,9").unwrap_err();
        assert_eq!(
            (e.errno, e.message.contains("port 9")),
            (Errno::EINVAL, true)
        );
        assert!(check(ANY_IP, "clone(9)").is_err());
    }

    #[test]
    fn sets_need_the_header_pinned() {
        // N7: set(ipv4) without eth_type(0x0800) exact.
        assert_eq!(
            check(ANY_IP, "set(ipv4(src=1.2.3.4/255.255.255.255)),1"),
            Ok(())
        );
        let no_ip = "in_port(1),eth(),eth_type(0x0806),arp()";
        assert!(check(no_ip, "set(ipv4(src=1.2.3.4/255.255.255.255)),1").is_err());
        assert_eq!(check(TCP, "set(tcp(dst=81)),1"), Ok(()));
        assert!(check(ANY_IP, "set(tcp(dst=81)),1")
            .unwrap_err()
            .message
            .contains("ip proto 6"));
        assert!(check(TCP, "set(udp(dst=81)),1").is_err());
        assert_eq!(check(ANY_IP, "set(eth(src=00:00:00:00:00:01)),1"), Ok(()));
    }

    #[test]
    fn non_writable_ip_fields_are_refused() {
        let m = match_from_attrs(
            &parse_match(ANY_IP).unwrap().0,
            Some(&parse_match(ANY_IP).unwrap().1),
        )
        .unwrap();
        let proto = Action::SetMasked {
            value: KeyAttr::Ipv4(Ipv4Key {
                proto: 6,
                ..Ipv4Key::default()
            }),
            mask: KeyAttr::Ipv4(Ipv4Key {
                proto: 0xff,
                ..Ipv4Key::default()
            }),
        };
        assert!(validate_actions(&[proto], &m, 64, &|_| true).is_err());
    }

    #[test]
    fn push_vlan_and_userspace_rules() {
        assert_eq!(check(ANY_IP, "push_vlan(vid=10,pcp=0),1"), Ok(()));
        assert!(check(ANY_IP, "push_vlan(tpid=0x9100,vid=10,pcp=0),1").is_err());
        let m = match_from_attrs(&parse_match(ANY_IP).unwrap().0, None).unwrap();
        let no_cfi = [Action::PushVlan {
            tpid: 0x8100,
            tci: 10,
        }];
        assert!(validate_actions(&no_cfi, &m, 64, &|_| true).is_err());
        let pid0 = [Action::Userspace(UserspaceAction::default())];
        assert!(validate_actions(&pid0, &m, 64, &|_| true).is_err());
    }

    #[test]
    fn oversized_lists_are_emsgsize() {
        let m = match_from_attrs(&parse_match(ANY_IP).unwrap().0, None).unwrap();
        let e = validate_actions(&[Action::Output(1)], &m, MAX_ACTIONS_BYTES + 1, &|_| true)
            .unwrap_err();
        assert_eq!(e.errno, Errno::EMSGSIZE);
    }
}
