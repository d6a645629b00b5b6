//! A stored flow back to key and mask attributes, in the shape the kernel's
//! `__ovs_nla_put_key()` gives them: which attributes exist is decided by the
//! (masked) key, their payloads come from the key or the mask.

use super::{
    is_vlan_ethertype, DP_MAX_PORTS, ICMPV6_NEIGHBOUR_ADVERTISEMENT, ICMPV6_NEIGHBOUR_SOLICITATION,
};
use crate::flow::key::*;
use crate::flow::odp::*;

/// What `put_key` prints the fields of: the key itself, or a mask.
pub(super) enum Source<'a> {
    Key(&'a FlowKey),
    Mask(&'a FlowMask),
}

macro_rules! get {
    ($s:expr, $f:ident) => {
        match $s {
            Source::Key(k) => k.$f(),
            Source::Mask(m) => m.$f(),
        }
    };
}

/// Appends attributes at the current VLAN nesting depth.
struct Nest {
    levels: Vec<Vec<KeyAttr>>,
}

impl Nest {
    fn push(&mut self, attr: KeyAttr) {
        if let Some(level) = self.levels.last_mut() {
            level.push(attr);
        }
    }
    fn open(&mut self) {
        self.levels.push(Vec::new());
    }
    fn close_all(mut self) -> Vec<KeyAttr> {
        while self.levels.len() > 1 {
            let inner = self.levels.pop().unwrap_or_default();
            self.push(KeyAttr::Encap(inner));
        }
        self.levels.pop().unwrap_or_default()
    }
}

/// The kernel's `__ovs_nla_put_key()`: which attributes exist is decided by
/// the (masked) key `k`; their payloads come from `src`.
pub(super) fn put_key(k: &FlowKey, src: &Source) -> Vec<KeyAttr> {
    let is_mask = matches!(src, Source::Mask(_));
    let mut out = Nest {
        levels: vec![Vec::new()],
    };
    out.push(KeyAttr::RecircId(get!(src, recirc_id)));
    out.push(KeyAttr::DpHash(get!(src, dp_hash)));
    out.push(KeyAttr::Priority(get!(src, priority)));
    let in_port = get!(src, in_port);
    if k.in_port() == DP_MAX_PORTS {
        if is_mask && in_port == 0xffff {
            out.push(KeyAttr::InPort(u32::MAX));
        }
    } else {
        let upper = if is_mask { 0xffff_0000 } else { 0 };
        out.push(KeyAttr::InPort(upper | in_port));
    }
    out.push(KeyAttr::SkbMark(get!(src, skb_mark)));
    put_l2_and_up(k, src, &mut out);
    out.close_all()
}

fn put_l2_and_up(k: &FlowKey, src: &Source, out: &mut Nest) {
    let is_mask = matches!(src, Source::Mask(_));
    let tpid = |v: u16| if is_mask { 0xffff } else { v };
    if k.mac_proto() == MAC_PROTO_ETHERNET {
        out.push(KeyAttr::Ethernet(EthernetKey {
            src: get!(src, eth_src),
            dst: get!(src, eth_dst),
        }));
        if k.vlan_tci() != 0 || is_vlan_ethertype(k.eth_type()) {
            out.push(KeyAttr::EthType(tpid(get!(src, vlan_tpid))));
            out.push(KeyAttr::Vlan(get!(src, vlan_tci)));
            out.open();
            if k.vlan_tci() == 0 {
                return;
            }
            if k.cvlan_tci() != 0 || is_vlan_ethertype(k.eth_type()) {
                out.push(KeyAttr::EthType(tpid(get!(src, cvlan_tpid))));
                out.push(KeyAttr::Vlan(get!(src, cvlan_tci)));
                out.open();
                if k.cvlan_tci() == 0 {
                    return;
                }
            }
        }
        if k.eth_type() == ETH_TYPE_802_2 {
            // 802.2 frames carry no eth_type in a key; a mask may pin it.
            let mask_eth_type = get!(src, eth_type);
            if is_mask && mask_eth_type != 0 {
                out.push(KeyAttr::EthType(mask_eth_type));
            }
            return;
        }
    }
    out.push(KeyAttr::EthType(get!(src, eth_type)));
    let eth_type = k.eth_type();
    if is_vlan_ethertype(eth_type) {
        return; // a third tag: nothing more is known about the packet
    }
    match eth_type {
        ETH_TYPE_IPV4 => out.push(KeyAttr::Ipv4(Ipv4Key {
            src: get!(src, ipv4_src),
            dst: get!(src, ipv4_dst),
            proto: get!(src, nw_proto),
            tos: get!(src, nw_tos),
            ttl: get!(src, nw_ttl),
            frag: get!(src, nw_frag),
        })),
        ETH_TYPE_IPV6 => out.push(KeyAttr::Ipv6(Ipv6Key {
            src: get!(src, ipv6_src),
            dst: get!(src, ipv6_dst),
            label: get!(src, ipv6_label),
            proto: get!(src, nw_proto),
            tclass: get!(src, nw_tos),
            hlimit: get!(src, nw_ttl),
            frag: get!(src, nw_frag),
        })),
        ETH_TYPE_ARP | ETH_TYPE_RARP => out.push(KeyAttr::Arp(ArpKey {
            sip: get!(src, ipv4_src),
            tip: get!(src, ipv4_dst),
            op: get!(src, arp_op),
            sha: get!(src, arp_sha),
            tha: get!(src, arp_tha),
        })),
        _ => {}
    }
    let is_ip = eth_type == ETH_TYPE_IPV4 || eth_type == ETH_TYPE_IPV6;
    if is_ip && k.nw_frag() != FragType::Later as u8 {
        put_l4(k, src, out);
    }
}

fn put_l4(k: &FlowKey, src: &Source, out: &mut Nest) {
    let ports = PortsKey {
        src: get!(src, tp_src),
        dst: get!(src, tp_dst),
    };
    // ICMP type and code live in the port fields, one byte each.
    let icmp = IcmpKey {
        icmp_type: get!(src, tp_src) as u8,
        code: get!(src, tp_dst) as u8,
    };
    match (k.eth_type(), k.nw_proto()) {
        (_, IPPROTO_TCP) => {
            out.push(KeyAttr::Tcp(ports));
            out.push(KeyAttr::TcpFlags(get!(src, tcp_flags)));
        }
        (_, IPPROTO_UDP) => out.push(KeyAttr::Udp(ports)),
        (_, IPPROTO_SCTP) => out.push(KeyAttr::Sctp(ports)),
        (ETH_TYPE_IPV4, IPPROTO_ICMP) => out.push(KeyAttr::Icmp(icmp)),
        (ETH_TYPE_IPV6, IPPROTO_ICMPV6) => {
            out.push(KeyAttr::Icmpv6(icmp));
            if matches!(
                k.tp_src(),
                ICMPV6_NEIGHBOUR_SOLICITATION | ICMPV6_NEIGHBOUR_ADVERTISEMENT
            ) {
                out.push(KeyAttr::Nd(NdKey {
                    target: get!(src, nd_target),
                    sll: get!(src, arp_sha),
                    tll: get!(src, arp_tha),
                }));
            }
        }
        _ => {}
    }
}
