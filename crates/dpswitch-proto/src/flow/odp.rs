//! Typed Open vSwitch datapath (ODP) attributes: the flow key attributes
//! (`OVS_KEY_ATTR_*`) and actions (`OVS_ACTION_ATTR_*`) that dpswitch
//! supports, with the payloads of `include/uapi/linux/openvswitch.h`.
//!
//! This is the common middle of the text syntax (`flow::text`) and the wire
//! codec (`netlink`): both convert to and from these types, and the order of
//! a `Vec<KeyAttr>` is the order of the attributes on the wire and in text.
//! Numbers are host-order values; addresses are big-endian integers (the
//! first byte on the wire is the most significant).

/// `struct ovs_key_ethernet`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct EthernetKey {
    pub src: [u8; 6],
    pub dst: [u8; 6],
}

/// `struct ovs_key_ipv4`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Ipv4Key {
    pub src: u32,
    pub dst: u32,
    pub proto: u8,
    pub tos: u8,
    pub ttl: u8,
    /// `OVS_FRAG_TYPE_*` (in a mask: 0 or 0xff).
    pub frag: u8,
}

/// `struct ovs_key_ipv6`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Ipv6Key {
    pub src: u128,
    pub dst: u128,
    /// Flow label, 20 bits in the least significant bits.
    pub label: u32,
    pub proto: u8,
    pub tclass: u8,
    pub hlimit: u8,
    pub frag: u8,
}

/// `struct ovs_key_tcp`, `ovs_key_udp` and `ovs_key_sctp` share this shape.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct PortsKey {
    pub src: u16,
    pub dst: u16,
}

/// `struct ovs_key_icmp` and `ovs_key_icmpv6`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct IcmpKey {
    pub icmp_type: u8,
    pub code: u8,
}

/// `struct ovs_key_arp`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct ArpKey {
    pub sip: u32,
    pub tip: u32,
    pub op: u16,
    pub sha: [u8; 6],
    pub tha: [u8; 6],
}

/// `struct ovs_key_nd`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct NdKey {
    pub target: u128,
    pub sll: [u8; 6],
    pub tll: [u8; 6],
}

/// One supported `OVS_KEY_ATTR_*` attribute with its payload. A mask is a
/// list of the same attributes, with mask bits as payload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeyAttr {
    /// `OVS_KEY_ATTR_ENCAP`: the attributes inside a VLAN tag.
    Encap(Vec<KeyAttr>),
    Priority(u32),
    InPort(u32),
    Ethernet(EthernetKey),
    /// `OVS_KEY_ATTR_VLAN`: the TCI, with the CFI bit meaning "tag present".
    Vlan(u16),
    EthType(u16),
    Ipv4(Ipv4Key),
    Ipv6(Ipv6Key),
    Tcp(PortsKey),
    Udp(PortsKey),
    Icmp(IcmpKey),
    Icmpv6(IcmpKey),
    Arp(ArpKey),
    Nd(NdKey),
    SkbMark(u32),
    Sctp(PortsKey),
    TcpFlags(u16),
    DpHash(u32),
    RecircId(u32),
}

/// The kind of a `KeyAttr`, numbered as `OVS_KEY_ATTR_*`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u16)]
pub enum KeyAttrKind {
    Encap = 1,
    Priority = 2,
    InPort = 3,
    Ethernet = 4,
    Vlan = 5,
    EthType = 6,
    Ipv4 = 7,
    Ipv6 = 8,
    Tcp = 9,
    Udp = 10,
    Icmp = 11,
    Icmpv6 = 12,
    Arp = 13,
    Nd = 14,
    SkbMark = 15,
    Sctp = 17,
    TcpFlags = 18,
    DpHash = 19,
    RecircId = 20,
}

impl KeyAttrKind {
    pub const ALL: [KeyAttrKind; 19] = [
        KeyAttrKind::Encap,
        KeyAttrKind::Priority,
        KeyAttrKind::InPort,
        KeyAttrKind::Ethernet,
        KeyAttrKind::Vlan,
        KeyAttrKind::EthType,
        KeyAttrKind::Ipv4,
        KeyAttrKind::Ipv6,
        KeyAttrKind::Tcp,
        KeyAttrKind::Udp,
        KeyAttrKind::Icmp,
        KeyAttrKind::Icmpv6,
        KeyAttrKind::Arp,
        KeyAttrKind::Nd,
        KeyAttrKind::SkbMark,
        KeyAttrKind::Sctp,
        KeyAttrKind::TcpFlags,
        KeyAttrKind::DpHash,
        KeyAttrKind::RecircId,
    ];

    pub fn from_id(id: u16) -> Option<KeyAttrKind> {
        KeyAttrKind::ALL.iter().copied().find(|k| *k as u16 == id)
    }

    /// The name Open vSwitch's text syntax uses for this attribute.
    pub fn name(self) -> &'static str {
        match self {
            KeyAttrKind::Encap => "encap",
            KeyAttrKind::Priority => "skb_priority",
            KeyAttrKind::InPort => "in_port",
            KeyAttrKind::Ethernet => "eth",
            KeyAttrKind::Vlan => "vlan",
            KeyAttrKind::EthType => "eth_type",
            KeyAttrKind::Ipv4 => "ipv4",
            KeyAttrKind::Ipv6 => "ipv6",
            KeyAttrKind::Tcp => "tcp",
            KeyAttrKind::Udp => "udp",
            KeyAttrKind::Icmp => "icmp",
            KeyAttrKind::Icmpv6 => "icmpv6",
            KeyAttrKind::Arp => "arp",
            KeyAttrKind::Nd => "nd",
            KeyAttrKind::SkbMark => "skb_mark",
            KeyAttrKind::Sctp => "sctp",
            KeyAttrKind::TcpFlags => "tcp_flags",
            KeyAttrKind::DpHash => "dp_hash",
            KeyAttrKind::RecircId => "recirc_id",
        }
    }
}

impl KeyAttr {
    pub fn kind(&self) -> KeyAttrKind {
        match self {
            KeyAttr::Encap(_) => KeyAttrKind::Encap,
            KeyAttr::Priority(_) => KeyAttrKind::Priority,
            KeyAttr::InPort(_) => KeyAttrKind::InPort,
            KeyAttr::Ethernet(_) => KeyAttrKind::Ethernet,
            KeyAttr::Vlan(_) => KeyAttrKind::Vlan,
            KeyAttr::EthType(_) => KeyAttrKind::EthType,
            KeyAttr::Ipv4(_) => KeyAttrKind::Ipv4,
            KeyAttr::Ipv6(_) => KeyAttrKind::Ipv6,
            KeyAttr::Tcp(_) => KeyAttrKind::Tcp,
            KeyAttr::Udp(_) => KeyAttrKind::Udp,
            KeyAttr::Icmp(_) => KeyAttrKind::Icmp,
            KeyAttr::Icmpv6(_) => KeyAttrKind::Icmpv6,
            KeyAttr::Arp(_) => KeyAttrKind::Arp,
            KeyAttr::Nd(_) => KeyAttrKind::Nd,
            KeyAttr::SkbMark(_) => KeyAttrKind::SkbMark,
            KeyAttr::Sctp(_) => KeyAttrKind::Sctp,
            KeyAttr::TcpFlags(_) => KeyAttrKind::TcpFlags,
            KeyAttr::DpHash(_) => KeyAttrKind::DpHash,
            KeyAttr::RecircId(_) => KeyAttrKind::RecircId,
        }
    }
}

/// Find the attribute of `kind` at the top level of an attribute list.
pub fn find_attr(attrs: &[KeyAttr], kind: KeyAttrKind) -> Option<&KeyAttr> {
    attrs.iter().find(|a| a.kind() == kind)
}

/// `OVS_ACTION_ATTR_USERSPACE`: send the packet to a user-space handler.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct UserspaceAction {
    /// `OVS_USERSPACE_ATTR_PID`: the handler's netlink port id.
    pub pid: u32,
    /// `OVS_USERSPACE_ATTR_USERDATA`: opaque bytes handed back with the packet.
    pub userdata: Option<Vec<u8>>,
    /// `OVS_USERSPACE_ATTR_EGRESS_TUN_PORT` (`tunnel_out_port=` in text).
    pub egress_tun_port: Option<u32>,
    /// `OVS_USERSPACE_ATTR_ACTIONS`: the upcall also carries the flow's actions.
    pub actions: bool,
}

/// One supported `OVS_ACTION_ATTR_*` action. An empty action list drops.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// `OVS_ACTION_ATTR_OUTPUT`: transmit on a datapath port.
    Output(u32),
    Userspace(UserspaceAction),
    /// `OVS_ACTION_ATTR_SET`: overwrite a whole header attribute.
    Set(KeyAttr),
    /// `OVS_ACTION_ATTR_SET_MASKED`: overwrite the bits of `mask` with `value`.
    SetMasked {
        value: KeyAttr,
        mask: KeyAttr,
    },
    /// `OVS_ACTION_ATTR_PUSH_VLAN` (`struct ovs_action_push_vlan`).
    PushVlan {
        tpid: u16,
        tci: u16,
    },
    PopVlan,
    /// `OVS_ACTION_ATTR_SAMPLE`: run `actions` on a fraction of packets,
    /// `probability` out of `u32::MAX`.
    Sample {
        probability: u32,
        actions: Vec<Action>,
    },
    /// `OVS_ACTION_ATTR_CLONE`: run `actions` on a copy of the packet.
    Clone(Vec<Action>),
}

/// The kind of an `Action`, numbered as `OVS_ACTION_ATTR_*`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u16)]
pub enum ActionKind {
    Output = 1,
    Userspace = 2,
    Set = 3,
    PushVlan = 4,
    PopVlan = 5,
    Sample = 6,
    SetMasked = 11,
    Clone = 20,
}

impl ActionKind {
    pub const ALL: [ActionKind; 8] = [
        ActionKind::Output,
        ActionKind::Userspace,
        ActionKind::Set,
        ActionKind::PushVlan,
        ActionKind::PopVlan,
        ActionKind::Sample,
        ActionKind::SetMasked,
        ActionKind::Clone,
    ];

    pub fn from_id(id: u16) -> Option<ActionKind> {
        ActionKind::ALL.iter().copied().find(|k| *k as u16 == id)
    }
}

impl Action {
    pub fn kind(&self) -> ActionKind {
        match self {
            Action::Output(_) => ActionKind::Output,
            Action::Userspace(_) => ActionKind::Userspace,
            Action::Set(_) => ActionKind::Set,
            Action::SetMasked { .. } => ActionKind::SetMasked,
            Action::PushVlan { .. } => ActionKind::PushVlan,
            Action::PopVlan => ActionKind::PopVlan,
            Action::Sample { .. } => ActionKind::Sample,
            Action::Clone(_) => ActionKind::Clone,
        }
    }
}
