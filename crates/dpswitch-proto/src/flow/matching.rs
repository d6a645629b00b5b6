//! A flow match: the conversion between the key and mask attributes a flow
//! command carries (`OVS_FLOW_ATTR_KEY` / `OVS_FLOW_ATTR_MASK`) and the
//! `FlowKey` / `FlowMask` the classifier uses, with the kernel datapath's
//! validation rules (N3, N4, N6 in docs/flow-commands.md).
//!
//! Parsing walks the attributes the way the kernel's `ovs_nla_get_match()`
//! does: VLAN tags first (each `encap` nest opens the next level), then the
//! metadata, L2, L3 and L4 attributes, then the consistency check between
//! what the key says (eth_type, ip proto, fragment) and which attributes the
//! key and the mask carry. Printing walks a key the way `ovs_nla_put_key()`
//! does, so a dumped flow has the shape the kernel would give it.

use super::key::*;
use super::odp::*;
use mask_attrs::{all_ones, is_zero};
use nix::errno::Errno;

mod mask_attrs;
mod to_attrs;

/// The kernel's DP_MAX_PORTS: port numbers must be below it, and a key
/// without `in_port` stores it (an impossible port) in its place.
pub const DP_MAX_PORTS: u32 = 65536;

/// As `tp_src` holds them.
pub(super) const ICMPV6_NEIGHBOUR_SOLICITATION: u16 =
    super::headers::ICMPV6_NEIGHBOR_SOLICITATION as u16;
pub(super) const ICMPV6_NEIGHBOUR_ADVERTISEMENT: u16 =
    super::headers::ICMPV6_NEIGHBOR_ADVERTISEMENT as u16;

/// Why a match was refused; always EINVAL, with the kernel's explanation.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct MatchError(pub String);

impl MatchError {
    pub fn errno(&self) -> Errno {
        Errno::EINVAL
    }
}

fn err<T>(msg: impl Into<String>) -> Result<T, MatchError> {
    Err(MatchError(msg.into()))
}

/// A parsed match: the key as given (unmasked) and its mask.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Match {
    pub key: FlowKey,
    pub mask: FlowMask,
}

impl Match {
    /// The key a flow stores: the given key with the mask applied (N6).
    pub fn masked_key(&self) -> FlowKey {
        self.key.masked(&self.mask)
    }
}

/// Builds a match from key attributes and optional mask attributes (N3, N4).
/// Without a mask every bit the key carries is exact.
pub fn match_from_attrs(key: &[KeyAttr], mask: Option<&[KeyAttr]>) -> Result<Match, MatchError> {
    let mut key_attrs = AttrSet::collect(key, false)?;
    let mut k = FlowKey::default();
    vlan_from_key_attrs(&mut key_attrs, &mut k, false)?;
    if k.has_vlan() {
        vlan_from_key_attrs(&mut key_attrs, &mut k, true)?;
    }
    fields_from_attrs(&key_attrs, &mut Target::Key(&mut k))?;

    let exact;
    let mask_list = match mask {
        Some(m) => m,
        None => {
            exact = all_ones(key);
            &exact
        }
    };
    let mut mask_attrs = AttrSet::collect(mask_list, true)?;
    let mut m = FlowMask::default();
    // A match always pins the VLAN TCIs; a VLAN mask below may relax them.
    m.set_vlan_tci(0xffff);
    m.set_cvlan_tci(0xffff);
    vlan_from_mask_attrs(&mut mask_attrs, &k, &mut m, false)?;
    if k.has_vlan() {
        vlan_from_mask_attrs(&mut mask_attrs, &k, &mut m, true)?;
    }
    fields_from_attrs(&mask_attrs, &mut Target::Mask(&mut m, &k))?;

    validate(&k, &m, key_attrs.present, mask_attrs.present)?;
    Ok(Match { key: k, mask: m })
}

/// The key attributes of `key`, as the datapath reports a flow's key or a
/// packet's key in an upcall.
pub fn key_to_attrs(key: &FlowKey) -> Vec<KeyAttr> {
    to_attrs::put_key(key, &to_attrs::Source::Key(key))
}

/// The mask attributes of a flow whose (masked) key is `key`.
pub fn mask_to_attrs(key: &FlowKey, mask: &FlowMask) -> Vec<KeyAttr> {
    to_attrs::put_key(key, &to_attrs::Source::Mask(mask))
}

/// The top-level attributes of one key or mask, flattened across VLAN
/// `encap` levels the way the kernel's single attribute table is: an
/// attribute may appear once in the whole match, except that each VLAN
/// level consumes its own eth_type / vlan / encap.
struct AttrSet<'a> {
    by_kind: [Option<&'a KeyAttr>; 21],
    /// Bit per `KeyAttrKind` id.
    present: u32,
    /// Masks ignore all-zero attributes (they wildcard nothing in).
    skip_zero: bool,
}

impl<'a> AttrSet<'a> {
    fn collect(list: &'a [KeyAttr], skip_zero: bool) -> Result<Self, MatchError> {
        let mut set = AttrSet {
            by_kind: [None; 21],
            present: 0,
            skip_zero,
        };
        set.add_all(list)?;
        Ok(set)
    }

    fn add_all(&mut self, list: &'a [KeyAttr]) -> Result<(), MatchError> {
        for attr in list {
            let id = attr.kind() as usize;
            if self.present & (1 << id) != 0 {
                return err(format!("Duplicate key ({}).", attr.kind().name()));
            }
            if self.skip_zero && is_zero(attr) {
                continue;
            }
            self.present |= 1 << id;
            self.by_kind[id] = Some(attr);
        }
        Ok(())
    }

    fn get(&self, kind: KeyAttrKind) -> Option<&'a KeyAttr> {
        if self.present & (1 << kind as u32) != 0 {
            self.by_kind[kind as usize]
        } else {
            None
        }
    }

    fn has(&self, kind: KeyAttrKind) -> bool {
        self.present & (1 << kind as u32) != 0
    }

    fn remove(&mut self, kind: KeyAttrKind) {
        self.present &= !(1 << kind as u32);
    }
}

fn bit(kind: KeyAttrKind) -> u32 {
    1 << kind as u32
}

pub(super) fn is_vlan_ethertype(t: u16) -> bool {
    super::headers::is_vlan_tpid(t)
}

fn level_name(inner: bool) -> &'static str {
    if inner {
        "C-VLAN"
    } else {
        "VLAN"
    }
}

fn u16_of(attr: Option<&KeyAttr>) -> u16 {
    match attr {
        Some(KeyAttr::Vlan(v)) | Some(KeyAttr::EthType(v)) => *v,
        _ => 0,
    }
}

fn vlan_from_key_attrs(a: &mut AttrSet, k: &mut FlowKey, inner: bool) -> Result<(), MatchError> {
    let eth_type = match a.get(KeyAttrKind::EthType) {
        Some(KeyAttr::EthType(t)) if a.has(KeyAttrKind::Ethernet) && is_vlan_ethertype(*t) => *t,
        _ => return Ok(()), // not a VLAN frame
    };
    let (Some(_), Some(KeyAttr::Encap(encap))) =
        (a.get(KeyAttrKind::Vlan), a.get(KeyAttrKind::Encap))
    else {
        return err(format!("Invalid {} frame", level_name(inner)));
    };
    let tci = u16_of(a.get(KeyAttrKind::Vlan));
    if tci & VLAN_TAG_PRESENT == 0 {
        if tci != 0 {
            return err(format!(
                "{} TCI does not have VLAN_CFI_MASK bit set.",
                level_name(inner)
            ));
        }
        if !encap.is_empty() {
            return err(format!(
                "Truncated {} header has non-zero encap attribute.",
                level_name(inner)
            ));
        }
    }
    if inner {
        k.set_cvlan_tpid(eth_type);
        k.set_cvlan_tci(tci);
    } else {
        k.set_vlan_tpid(eth_type);
        k.set_vlan_tci(tci);
    }
    a.remove(KeyAttrKind::Encap);
    a.remove(KeyAttrKind::Vlan);
    a.remove(KeyAttrKind::EthType);
    a.add_all(encap)
}

fn vlan_from_mask_attrs(
    a: &mut AttrSet,
    k: &FlowKey,
    m: &mut FlowMask,
    inner: bool,
) -> Result<(), MatchError> {
    let Some(KeyAttr::Encap(encap)) = a.get(KeyAttrKind::Encap) else {
        return Ok(()); // not a VLAN mask
    };
    let tagged = if inner { k.has_cvlan() } else { k.has_vlan() };
    if !tagged {
        return err(format!(
            "Encap mask attribute is set for non-{} frame.",
            level_name(inner)
        ));
    }
    let tci = u16_of(a.get(KeyAttrKind::Vlan));
    let tpid = u16_of(a.get(KeyAttrKind::EthType));
    if tpid != 0xffff {
        return err(format!(
            "Must have an exact match on {} TPID (mask={tpid:x}).",
            level_name(inner)
        ));
    }
    if tci & VLAN_TAG_PRESENT == 0 {
        return err(format!(
            "{} TCI mask does not have exact match for VLAN_CFI_MASK bit.",
            level_name(inner)
        ));
    }
    if inner {
        m.set_cvlan_tpid(tpid);
        m.set_cvlan_tci(tci);
    } else {
        m.set_vlan_tpid(tpid);
        m.set_vlan_tci(tci);
    }
    a.remove(KeyAttrKind::Encap);
    a.remove(KeyAttrKind::Vlan);
    a.remove(KeyAttrKind::EthType);
    a.add_all(encap)
}

/// Where parsed fields go: the key, or the mask (which also needs the key).
enum Target<'a> {
    Key(&'a mut FlowKey),
    Mask(&'a mut FlowMask, &'a FlowKey),
}

/// Sets the same named field on whichever of key or mask is the target.
macro_rules! put {
    ($t:expr, $set:ident, $v:expr) => {
        match $t {
            Target::Key(k) => k.$set($v),
            Target::Mask(m, _) => m.$set($v),
        }
    };
}

fn fields_from_attrs(a: &AttrSet, t: &mut Target) -> Result<(), MatchError> {
    let is_mask = matches!(t, Target::Mask(..));
    let mut left = a.present;
    let mut take = |kind: KeyAttrKind| {
        left &= !bit(kind);
        a.get(kind)
    };

    if let Some(KeyAttr::DpHash(v)) = take(KeyAttrKind::DpHash) {
        put!(t, set_dp_hash, *v);
    }
    if let Some(KeyAttr::RecircId(v)) = take(KeyAttrKind::RecircId) {
        put!(t, set_recirc_id, *v);
    }
    if let Some(KeyAttr::Priority(v)) = take(KeyAttrKind::Priority) {
        put!(t, set_priority, *v);
    }
    match take(KeyAttrKind::InPort) {
        // The kernel always matches in_port exactly when it is given.
        Some(_) if is_mask => put!(t, set_in_port, u32::MAX),
        Some(KeyAttr::InPort(p)) if *p >= DP_MAX_PORTS => {
            return err(format!("Port {p} exceeds max allowable {DP_MAX_PORTS}"));
        }
        Some(KeyAttr::InPort(p)) => put!(t, set_in_port, *p),
        _ if !is_mask => put!(t, set_in_port, DP_MAX_PORTS),
        _ => {}
    }
    if let Some(KeyAttr::SkbMark(v)) = take(KeyAttrKind::SkbMark) {
        put!(t, set_skb_mark, *v);
    }

    // Without an Ethernet attribute, an eth_type makes this a layer-3 match.
    let layer3 = !a.has(KeyAttrKind::Ethernet) && a.has(KeyAttrKind::EthType);
    let mac_proto = if layer3 {
        MAC_PROTO_NONE
    } else {
        MAC_PROTO_ETHERNET
    };
    put!(t, set_mac_proto, if is_mask { 0xff } else { mac_proto });

    if let Some(KeyAttr::Ethernet(e)) = take(KeyAttrKind::Ethernet) {
        put!(t, set_eth_src, e.src);
        put!(t, set_eth_dst, e.dst);
        if a.has(KeyAttrKind::Vlan) {
            return err("VLAN attribute unexpected.");
        }
        match take(KeyAttrKind::EthType) {
            Some(KeyAttr::EthType(et)) => eth_type_from_attr(*et, t)?,
            _ if !is_mask => put!(t, set_eth_type, ETH_TYPE_802_2),
            _ => {}
        }
    } else if layer3 {
        if let Some(KeyAttr::EthType(et)) = take(KeyAttrKind::EthType) {
            eth_type_from_attr(*et, t)?;
        }
    } else {
        let key_eth_type = match t {
            Target::Key(k) => k.eth_type(),
            Target::Mask(_, k) => k.eth_type(),
        };
        if key_eth_type == 0 {
            return err("Either Ethernet header or EtherType is required.");
        }
    }

    if let Some(KeyAttr::Ipv4(ip)) = take(KeyAttrKind::Ipv4) {
        frag_in_range("IPv4", ip.frag, is_mask)?;
        put!(t, set_nw_proto, ip.proto);
        put!(t, set_nw_tos, ip.tos);
        put!(t, set_nw_ttl, ip.ttl);
        put!(t, set_nw_frag, ip.frag);
        put!(t, set_ipv4_src, ip.src);
        put!(t, set_ipv4_dst, ip.dst);
    }
    if let Some(KeyAttr::Ipv6(ip)) = take(KeyAttrKind::Ipv6) {
        frag_in_range("IPv6", ip.frag, is_mask)?;
        if ip.label & 0xfff0_0000 != 0 {
            let what = if is_mask { "mask" } else { "" };
            return err(format!(
                "IPv6 flow label {what}{:x} is out of range (max={:x})",
                ip.label,
                (1u32 << 20) - 1
            ));
        }
        put!(t, set_ipv6_label, ip.label);
        put!(t, set_nw_proto, ip.proto);
        put!(t, set_nw_tos, ip.tclass);
        put!(t, set_nw_ttl, ip.hlimit);
        put!(t, set_nw_frag, ip.frag);
        put!(t, set_ipv6_src, ip.src);
        put!(t, set_ipv6_dst, ip.dst);
    }
    if let Some(KeyAttr::Arp(arp)) = take(KeyAttrKind::Arp) {
        if !is_mask && arp.op & 0xff00 != 0 {
            return err(format!("Unknown ARP opcode (opcode={}).", arp.op));
        }
        put!(t, set_ipv4_src, arp.sip);
        put!(t, set_ipv4_dst, arp.tip);
        put!(t, set_arp_op, arp.op);
        put!(t, set_arp_sha, arp.sha);
        put!(t, set_arp_tha, arp.tha);
    }
    for kind in [KeyAttrKind::Tcp, KeyAttrKind::Udp, KeyAttrKind::Sctp] {
        if let Some(KeyAttr::Tcp(p) | KeyAttr::Udp(p) | KeyAttr::Sctp(p)) = take(kind) {
            put!(t, set_tp_src, p.src);
            put!(t, set_tp_dst, p.dst);
        }
    }
    if let Some(KeyAttr::TcpFlags(f)) = take(KeyAttrKind::TcpFlags) {
        put!(t, set_tcp_flags, *f);
    }
    for kind in [KeyAttrKind::Icmp, KeyAttrKind::Icmpv6] {
        if let Some(KeyAttr::Icmp(i) | KeyAttr::Icmpv6(i)) = take(kind) {
            put!(t, set_tp_src, u16::from(i.icmp_type));
            put!(t, set_tp_dst, u16::from(i.code));
        }
    }
    if let Some(KeyAttr::Nd(nd)) = take(KeyAttrKind::Nd) {
        put!(t, set_nd_target, nd.target);
        put!(t, set_arp_sha, nd.sll);
        put!(t, set_arp_tha, nd.tll);
    }

    if left != 0 {
        return err(format!("Unknown key attributes {}", kind_names(left)));
    }
    Ok(())
}

fn eth_type_from_attr(eth_type: u16, t: &mut Target) -> Result<(), MatchError> {
    match t {
        // The kernel always matches the EtherType exactly when it is given.
        Target::Mask(m, _) => m.set_eth_type(0xffff),
        Target::Key(_) if eth_type < 0x0600 => {
            return err(format!("EtherType {eth_type:x} is less than min 600"));
        }
        Target::Key(k) => k.set_eth_type(eth_type),
    }
    Ok(())
}

fn frag_in_range(what: &str, frag: u8, is_mask: bool) -> Result<(), MatchError> {
    if is_mask && frag != 0 && frag != 0xff {
        return err(format!(
            "{what} frag mask {frag:#x} is partial (frag is an enumeration)"
        ));
    }
    if !is_mask && FragType::from_u8(frag).is_none() {
        return err(format!("{what} frag type {frag} is out of range max 2"));
    }
    Ok(())
}

fn kind_names(bits: u32) -> String {
    KeyAttrKind::ALL
        .iter()
        .filter(|k| bits & bit(**k) != 0)
        .map(|k| k.name())
        .collect::<Vec<_>>()
        .join(",")
}

/// The kernel's `match_validate()`: the key must carry the attribute of
/// every layer its eth_type / ip proto announces, and a mask may only
/// cover layers whose announcing field is matched exactly (N4).
fn validate(k: &FlowKey, m: &FlowMask, key_attrs: u32, mask_attrs: u32) -> Result<(), MatchError> {
    use KeyAttrKind as K;
    // Refused as a kernel without recirculation refuses it, so that Open
    // vSwitch's probe finds out and never emits a recirc action.
    if k.recirc_id() & m.recirc_id() != 0 {
        return err(format!(
            "recirc_id({}) is never matched: dpswitch does not recirculate",
            k.recirc_id()
        ));
    }
    let mut expected = 0u32;
    let l3_l4 = bit(K::Ipv4)
        | bit(K::Ipv6)
        | bit(K::Tcp)
        | bit(K::TcpFlags)
        | bit(K::Udp)
        | bit(K::Sctp)
        | bit(K::Icmp)
        | bit(K::Icmpv6)
        | bit(K::Arp)
        | bit(K::Nd);
    let mut allowed = (key_attrs & !l3_l4) | bit(K::InPort) | bit(K::EthType);
    let eth_exact = m.eth_type() == 0xffff;
    let proto_exact = m.nw_proto() == 0xff;

    let eth_type = k.eth_type();
    if eth_type == ETH_TYPE_ARP || eth_type == ETH_TYPE_RARP {
        expected |= bit(K::Arp);
        if eth_exact {
            allowed |= bit(K::Arp);
        }
    }
    let is_ip = eth_type == ETH_TYPE_IPV4 || eth_type == ETH_TYPE_IPV6;
    if is_ip {
        let l3 = if eth_type == ETH_TYPE_IPV4 {
            K::Ipv4
        } else {
            K::Ipv6
        };
        expected |= bit(l3);
        if eth_exact {
            allowed |= bit(l3);
        }
    }
    if is_ip && k.nw_frag() != FragType::Later as u8 {
        let mut l4 = match k.nw_proto() {
            IPPROTO_UDP => bit(K::Udp),
            IPPROTO_SCTP => bit(K::Sctp),
            IPPROTO_TCP => bit(K::Tcp) | bit(K::TcpFlags),
            IPPROTO_ICMP if eth_type == ETH_TYPE_IPV4 => bit(K::Icmp),
            IPPROTO_ICMPV6 if eth_type == ETH_TYPE_IPV6 => bit(K::Icmpv6),
            _ => 0,
        };
        if proto_exact {
            allowed |= l4;
        }
        let nd_type = matches!(
            k.tp_src(),
            ICMPV6_NEIGHBOUR_SOLICITATION | ICMPV6_NEIGHBOUR_ADVERTISEMENT
        );
        if l4 & bit(K::Icmpv6) != 0 && nd_type {
            l4 |= bit(K::Nd);
            if m.tp_src() == 0xff {
                allowed |= bit(K::Nd);
            }
        }
        expected |= l4;
    }

    if key_attrs & expected != expected {
        return err(format!(
            "Missing key (keys={}, expected={})",
            kind_names(key_attrs),
            kind_names(expected)
        ));
    }
    if mask_attrs & allowed != mask_attrs {
        return err(format!(
            "Unexpected mask (mask={}, allowed={})",
            kind_names(mask_attrs),
            kind_names(allowed)
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
