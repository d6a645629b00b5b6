//! The netlink, generic netlink and Open vSwitch wire constants, kept at
//! the crate's top (`crate::consts`) for the netlink adapter, which needs
//! them without the codec; the codec names them here.

pub use crate::consts::*;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flow::odp::{ActionKind, KeyAttrKind};

    #[test]
    fn key_attr_names_cover_every_id_once() {
        for (index, (id, _)) in KEY_ATTR_NAMES.iter().enumerate() {
            assert_eq!(usize::from(*id), index);
        }
        assert_eq!(KEY_ATTR_NAMES.len(), usize::from(OVS_KEY_ATTR_MAX) + 1);
        assert_eq!(key_attr_name(OVS_KEY_ATTR_CT_LABELS), Some("ct_label"));
        assert_eq!(key_attr_name(OVS_KEY_ATTR_MAX + 1), None);
    }

    #[test]
    fn action_names_cover_every_id_once() {
        for (index, (id, _)) in ACTION_NAMES.iter().enumerate() {
            assert_eq!(usize::from(*id), index);
        }
        assert_eq!(ACTION_NAMES.len(), usize::from(OVS_ACTION_ATTR_MAX) + 1);
        assert_eq!(
            action_name(OVS_ACTION_ATTR_CHECK_PKT_LEN),
            Some("check_pkt_len")
        );
        assert_eq!(action_name(OVS_ACTION_ATTR_MAX + 1), None);
    }

    #[test]
    fn odp_key_kinds_use_the_wire_ids_and_names() {
        let expected = [
            (KeyAttrKind::Encap, OVS_KEY_ATTR_ENCAP),
            (KeyAttrKind::Priority, OVS_KEY_ATTR_PRIORITY),
            (KeyAttrKind::InPort, OVS_KEY_ATTR_IN_PORT),
            (KeyAttrKind::Ethernet, OVS_KEY_ATTR_ETHERNET),
            (KeyAttrKind::Vlan, OVS_KEY_ATTR_VLAN),
            (KeyAttrKind::EthType, OVS_KEY_ATTR_ETHERTYPE),
            (KeyAttrKind::Ipv4, OVS_KEY_ATTR_IPV4),
            (KeyAttrKind::Ipv6, OVS_KEY_ATTR_IPV6),
            (KeyAttrKind::Tcp, OVS_KEY_ATTR_TCP),
            (KeyAttrKind::Udp, OVS_KEY_ATTR_UDP),
            (KeyAttrKind::Icmp, OVS_KEY_ATTR_ICMP),
            (KeyAttrKind::Icmpv6, OVS_KEY_ATTR_ICMPV6),
            (KeyAttrKind::Arp, OVS_KEY_ATTR_ARP),
            (KeyAttrKind::Nd, OVS_KEY_ATTR_ND),
            (KeyAttrKind::SkbMark, OVS_KEY_ATTR_SKB_MARK),
            (KeyAttrKind::Sctp, OVS_KEY_ATTR_SCTP),
            (KeyAttrKind::TcpFlags, OVS_KEY_ATTR_TCP_FLAGS),
            (KeyAttrKind::DpHash, OVS_KEY_ATTR_DP_HASH),
            (KeyAttrKind::RecircId, OVS_KEY_ATTR_RECIRC_ID),
        ];
        assert_eq!(expected.len(), KeyAttrKind::ALL.len());
        for (kind, id) in expected {
            assert_eq!(kind as u16, id, "{kind:?}");
            assert_eq!(KeyAttrKind::from_id(id), Some(kind));
            assert_eq!(key_attr_name(id), Some(kind.name()), "{kind:?}");
        }
    }

    #[test]
    fn odp_action_kinds_use_the_wire_ids() {
        let expected = [
            (ActionKind::Output, OVS_ACTION_ATTR_OUTPUT),
            (ActionKind::Userspace, OVS_ACTION_ATTR_USERSPACE),
            (ActionKind::Set, OVS_ACTION_ATTR_SET),
            (ActionKind::PushVlan, OVS_ACTION_ATTR_PUSH_VLAN),
            (ActionKind::PopVlan, OVS_ACTION_ATTR_POP_VLAN),
            (ActionKind::Sample, OVS_ACTION_ATTR_SAMPLE),
            (ActionKind::SetMasked, OVS_ACTION_ATTR_SET_MASKED),
            (ActionKind::Clone, OVS_ACTION_ATTR_CLONE),
        ];
        assert_eq!(expected.len(), ActionKind::ALL.len());
        for (kind, id) in expected {
            assert_eq!(kind as u16, id, "{kind:?}");
            assert_eq!(ActionKind::from_id(id), Some(kind));
        }
    }
}
