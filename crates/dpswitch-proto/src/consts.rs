//! Numeric identifiers of the netlink, generic netlink and Open vSwitch
//! datapath wire format, with the names of `include/uapi/linux/netlink.h`,
//! `genetlink.h` and `openvswitch.h` so they can be checked against the
//! installed headers one by one.
//!
//! Netlink integers are host byte order on the wire unless the header says
//! `__be`; these are plain numbers.

// ---- linux/netlink.h ----

/// The netlink protocol number of generic netlink sockets.
pub const NETLINK_GENERIC: u16 = 16;

pub const NLMSG_ALIGNTO: usize = 4;
pub const NLMSG_HDRLEN: usize = 16;
pub const NLA_ALIGNTO: usize = 4;
pub const NLA_HDRLEN: usize = 4;

pub const NLMSG_NOOP: u16 = 0x1;
pub const NLMSG_ERROR: u16 = 0x2;
pub const NLMSG_DONE: u16 = 0x3;
pub const NLMSG_OVERRUN: u16 = 0x4;
/// Message types below this are netlink control messages.
pub const NLMSG_MIN_TYPE: u16 = 0x10;

pub const NLM_F_REQUEST: u16 = 0x01;
pub const NLM_F_MULTI: u16 = 0x02;
pub const NLM_F_ACK: u16 = 0x04;
pub const NLM_F_ECHO: u16 = 0x08;
pub const NLM_F_DUMP_INTR: u16 = 0x10;
pub const NLM_F_DUMP_FILTERED: u16 = 0x20;
// Modifiers of GET requests.
pub const NLM_F_ROOT: u16 = 0x100;
pub const NLM_F_MATCH: u16 = 0x200;
pub const NLM_F_ATOMIC: u16 = 0x400;
pub const NLM_F_DUMP: u16 = NLM_F_ROOT | NLM_F_MATCH;
// Modifiers of NEW requests.
pub const NLM_F_REPLACE: u16 = 0x100;
pub const NLM_F_EXCL: u16 = 0x200;
pub const NLM_F_CREATE: u16 = 0x400;
pub const NLM_F_APPEND: u16 = 0x800;
// Flags of NLMSG_ERROR acknowledgements.
pub const NLM_F_CAPPED: u16 = 0x100;
pub const NLM_F_ACK_TLVS: u16 = 0x200;
/// `NLMSG_ERROR` TLV: the extended-ack message string.
pub const NLMSGERR_ATTR_MSG: u16 = 1;

pub const NLA_F_NESTED: u16 = 1 << 15;
pub const NLA_F_NET_BYTEORDER: u16 = 1 << 14;
/// What is left of `nla_type` once the two flag bits are masked off.
pub const NLA_TYPE_MASK: u16 = !(NLA_F_NESTED | NLA_F_NET_BYTEORDER);

// ---- linux/genetlink.h ----

pub const GENL_HDRLEN: usize = 4;
pub const GENL_NAMSIZ: usize = 16;
pub const GENL_MIN_ID: u16 = NLMSG_MIN_TYPE;
pub const GENL_MAX_ID: u16 = 1023;
/// The family id of the generic netlink controller (`nlctrl`), which
/// resolves family names to ids.
pub const GENL_ID_CTRL: u16 = NLMSG_MIN_TYPE;

pub const CTRL_CMD_UNSPEC: u8 = 0;
pub const CTRL_CMD_NEWFAMILY: u8 = 1;
pub const CTRL_CMD_DELFAMILY: u8 = 2;
pub const CTRL_CMD_GETFAMILY: u8 = 3;

pub const CTRL_ATTR_UNSPEC: u16 = 0;
pub const CTRL_ATTR_FAMILY_ID: u16 = 1;
pub const CTRL_ATTR_FAMILY_NAME: u16 = 2;
pub const CTRL_ATTR_VERSION: u16 = 3;
pub const CTRL_ATTR_HDRSIZE: u16 = 4;
pub const CTRL_ATTR_MAXATTR: u16 = 5;
pub const CTRL_ATTR_OPS: u16 = 6;
pub const CTRL_ATTR_MCAST_GROUPS: u16 = 7;

pub const CTRL_ATTR_MCAST_GRP_UNSPEC: u16 = 0;
pub const CTRL_ATTR_MCAST_GRP_NAME: u16 = 1;
pub const CTRL_ATTR_MCAST_GRP_ID: u16 = 2;

// ---- linux/openvswitch.h: families ----

/// `sizeof(struct ovs_header)`: the `int dp_ifindex` after the genl header.
pub const OVS_HEADER_LEN: usize = 4;

pub const OVS_DATAPATH_FAMILY: &str = "ovs_datapath";
pub const OVS_DATAPATH_MCGROUP: &str = "ovs_datapath";
pub const OVS_DATAPATH_VERSION: u8 = 2;
pub const OVS_DP_VER_FEATURES: u8 = 2;

pub const OVS_VPORT_FAMILY: &str = "ovs_vport";
pub const OVS_VPORT_MCGROUP: &str = "ovs_vport";
pub const OVS_VPORT_VERSION: u8 = 1;

pub const OVS_FLOW_FAMILY: &str = "ovs_flow";
pub const OVS_FLOW_MCGROUP: &str = "ovs_flow";
pub const OVS_FLOW_VERSION: u8 = 1;

pub const OVS_PACKET_FAMILY: &str = "ovs_packet";
pub const OVS_PACKET_VERSION: u8 = 1;

/// Families dpswitch does not serve; a client probing for them must be told
/// they do not exist.
pub const OVS_METER_FAMILY: &str = "ovs_meter";
pub const OVS_CT_LIMIT_FAMILY: &str = "ovs_ct_limit";

// ---- datapaths ----

pub const OVS_DP_CMD_UNSPEC: u8 = 0;
pub const OVS_DP_CMD_NEW: u8 = 1;
pub const OVS_DP_CMD_DEL: u8 = 2;
pub const OVS_DP_CMD_GET: u8 = 3;
pub const OVS_DP_CMD_SET: u8 = 4;

pub const OVS_DP_ATTR_UNSPEC: u16 = 0;
pub const OVS_DP_ATTR_NAME: u16 = 1;
pub const OVS_DP_ATTR_UPCALL_PID: u16 = 2;
pub const OVS_DP_ATTR_STATS: u16 = 3;
pub const OVS_DP_ATTR_MEGAFLOW_STATS: u16 = 4;
pub const OVS_DP_ATTR_USER_FEATURES: u16 = 5;
pub const OVS_DP_ATTR_PAD: u16 = 6;
pub const OVS_DP_ATTR_MASKS_CACHE_SIZE: u16 = 7;
pub const OVS_DP_ATTR_PER_CPU_PIDS: u16 = 8;
pub const OVS_DP_ATTR_IFINDEX: u16 = 9;
pub const OVS_DP_ATTR_MAX: u16 = 9;

pub const OVS_DP_F_UNALIGNED: u32 = 1 << 0;
pub const OVS_DP_F_VPORT_PIDS: u32 = 1 << 1;
pub const OVS_DP_F_TC_RECIRC_SHARING: u32 = 1 << 2;
pub const OVS_DP_F_DISPATCH_UPCALL_PER_CPU: u32 = 1 << 3;

/// `sizeof(struct ovs_dp_stats)`: n_hit, n_missed, n_lost, n_flows (u64 each).
pub const OVS_DP_STATS_LEN: usize = 32;
/// `sizeof(struct ovs_dp_megaflow_stats)`.
pub const OVS_DP_MEGAFLOW_STATS_LEN: usize = 32;
/// `sizeof(struct ovs_vport_stats)`: eight u64 counters.
pub const OVS_VPORT_STATS_LEN: usize = 64;
/// `sizeof(struct ovs_flow_stats)`: n_packets, n_bytes.
pub const OVS_FLOW_STATS_LEN: usize = 16;

/// The datapath's own (local) port number.
pub const OVSP_LOCAL: u32 = 0;

// ---- packets ----

pub const OVS_PACKET_CMD_UNSPEC: u8 = 0;
pub const OVS_PACKET_CMD_MISS: u8 = 1;
pub const OVS_PACKET_CMD_ACTION: u8 = 2;
pub const OVS_PACKET_CMD_EXECUTE: u8 = 3;

pub const OVS_PACKET_ATTR_UNSPEC: u16 = 0;
pub const OVS_PACKET_ATTR_PACKET: u16 = 1;
pub const OVS_PACKET_ATTR_KEY: u16 = 2;
pub const OVS_PACKET_ATTR_ACTIONS: u16 = 3;
pub const OVS_PACKET_ATTR_USERDATA: u16 = 4;
pub const OVS_PACKET_ATTR_EGRESS_TUN_KEY: u16 = 5;
pub const OVS_PACKET_ATTR_UNUSED1: u16 = 6;
pub const OVS_PACKET_ATTR_UNUSED2: u16 = 7;
pub const OVS_PACKET_ATTR_PROBE: u16 = 8;
pub const OVS_PACKET_ATTR_MRU: u16 = 9;
pub const OVS_PACKET_ATTR_LEN: u16 = 10;
pub const OVS_PACKET_ATTR_HASH: u16 = 11;
pub const OVS_PACKET_ATTR_MAX: u16 = 11;

// ---- vports ----

pub const OVS_VPORT_CMD_UNSPEC: u8 = 0;
pub const OVS_VPORT_CMD_NEW: u8 = 1;
pub const OVS_VPORT_CMD_DEL: u8 = 2;
pub const OVS_VPORT_CMD_GET: u8 = 3;
pub const OVS_VPORT_CMD_SET: u8 = 4;

pub const OVS_VPORT_TYPE_UNSPEC: u32 = 0;
pub const OVS_VPORT_TYPE_NETDEV: u32 = 1;
pub const OVS_VPORT_TYPE_INTERNAL: u32 = 2;
pub const OVS_VPORT_TYPE_GRE: u32 = 3;
pub const OVS_VPORT_TYPE_VXLAN: u32 = 4;
pub const OVS_VPORT_TYPE_GENEVE: u32 = 5;

pub const OVS_VPORT_ATTR_UNSPEC: u16 = 0;
pub const OVS_VPORT_ATTR_PORT_NO: u16 = 1;
pub const OVS_VPORT_ATTR_TYPE: u16 = 2;
pub const OVS_VPORT_ATTR_NAME: u16 = 3;
pub const OVS_VPORT_ATTR_OPTIONS: u16 = 4;
pub const OVS_VPORT_ATTR_UPCALL_PID: u16 = 5;
pub const OVS_VPORT_ATTR_STATS: u16 = 6;
pub const OVS_VPORT_ATTR_PAD: u16 = 7;
pub const OVS_VPORT_ATTR_IFINDEX: u16 = 8;
pub const OVS_VPORT_ATTR_NETNSID: u16 = 9;
pub const OVS_VPORT_ATTR_MAX: u16 = 9;

// ---- flows ----

pub const OVS_FLOW_CMD_UNSPEC: u8 = 0;
pub const OVS_FLOW_CMD_NEW: u8 = 1;
pub const OVS_FLOW_CMD_DEL: u8 = 2;
pub const OVS_FLOW_CMD_GET: u8 = 3;
pub const OVS_FLOW_CMD_SET: u8 = 4;

pub const OVS_FLOW_ATTR_UNSPEC: u16 = 0;
pub const OVS_FLOW_ATTR_KEY: u16 = 1;
pub const OVS_FLOW_ATTR_ACTIONS: u16 = 2;
pub const OVS_FLOW_ATTR_STATS: u16 = 3;
pub const OVS_FLOW_ATTR_TCP_FLAGS: u16 = 4;
pub const OVS_FLOW_ATTR_USED: u16 = 5;
pub const OVS_FLOW_ATTR_CLEAR: u16 = 6;
pub const OVS_FLOW_ATTR_MASK: u16 = 7;
pub const OVS_FLOW_ATTR_PROBE: u16 = 8;
pub const OVS_FLOW_ATTR_UFID: u16 = 9;
pub const OVS_FLOW_ATTR_UFID_FLAGS: u16 = 10;
pub const OVS_FLOW_ATTR_PAD: u16 = 11;
pub const OVS_FLOW_ATTR_MAX: u16 = 11;

pub const OVS_UFID_F_OMIT_KEY: u32 = 1 << 0;
pub const OVS_UFID_F_OMIT_MASK: u32 = 1 << 1;
pub const OVS_UFID_F_OMIT_ACTIONS: u32 = 1 << 2;
/// The longest UFID that identifies a flow (`MAX_UFID_LENGTH` in the
/// kernel); longer ones are ignored.
pub const MAX_UFID_LENGTH: usize = 16;

// ---- flow key attributes ----

pub const OVS_KEY_ATTR_UNSPEC: u16 = 0;
pub const OVS_KEY_ATTR_ENCAP: u16 = 1;
pub const OVS_KEY_ATTR_PRIORITY: u16 = 2;
pub const OVS_KEY_ATTR_IN_PORT: u16 = 3;
pub const OVS_KEY_ATTR_ETHERNET: u16 = 4;
pub const OVS_KEY_ATTR_VLAN: u16 = 5;
pub const OVS_KEY_ATTR_ETHERTYPE: u16 = 6;
pub const OVS_KEY_ATTR_IPV4: u16 = 7;
pub const OVS_KEY_ATTR_IPV6: u16 = 8;
pub const OVS_KEY_ATTR_TCP: u16 = 9;
pub const OVS_KEY_ATTR_UDP: u16 = 10;
pub const OVS_KEY_ATTR_ICMP: u16 = 11;
pub const OVS_KEY_ATTR_ICMPV6: u16 = 12;
pub const OVS_KEY_ATTR_ARP: u16 = 13;
pub const OVS_KEY_ATTR_ND: u16 = 14;
pub const OVS_KEY_ATTR_SKB_MARK: u16 = 15;
pub const OVS_KEY_ATTR_TUNNEL: u16 = 16;
pub const OVS_KEY_ATTR_SCTP: u16 = 17;
pub const OVS_KEY_ATTR_TCP_FLAGS: u16 = 18;
pub const OVS_KEY_ATTR_DP_HASH: u16 = 19;
pub const OVS_KEY_ATTR_RECIRC_ID: u16 = 20;
pub const OVS_KEY_ATTR_MPLS: u16 = 21;
pub const OVS_KEY_ATTR_CT_STATE: u16 = 22;
pub const OVS_KEY_ATTR_CT_ZONE: u16 = 23;
pub const OVS_KEY_ATTR_CT_MARK: u16 = 24;
pub const OVS_KEY_ATTR_CT_LABELS: u16 = 25;
pub const OVS_KEY_ATTR_CT_ORIG_TUPLE_IPV4: u16 = 26;
pub const OVS_KEY_ATTR_CT_ORIG_TUPLE_IPV6: u16 = 27;
pub const OVS_KEY_ATTR_NSH: u16 = 28;
pub const OVS_KEY_ATTR_PACKET_TYPE: u16 = 29;
pub const OVS_KEY_ATTR_ND_EXTENSIONS: u16 = 30;
pub const OVS_KEY_ATTR_TUNNEL_INFO: u16 = 31;
pub const OVS_KEY_ATTR_IPV6_EXTHDRS: u16 = 32;
pub const OVS_KEY_ATTR_MAX: u16 = 32;

pub const OVS_FRAG_TYPE_NONE: u8 = 0;
pub const OVS_FRAG_TYPE_FIRST: u8 = 1;
pub const OVS_FRAG_TYPE_LATER: u8 = 2;
pub const OVS_FRAG_TYPE_MAX: u8 = 2;

/// Every `OVS_KEY_ATTR_*` id with the name Open vSwitch prints for it.
/// `OVS_TUNNEL_KEY_ATTR_*`: what `OVS_KEY_ATTR_TUNNEL` nests.
pub const OVS_TUNNEL_KEY_ATTR_ID: u16 = 0;
pub const OVS_TUNNEL_KEY_ATTR_IPV4_SRC: u16 = 1;
pub const OVS_TUNNEL_KEY_ATTR_IPV4_DST: u16 = 2;
pub const OVS_TUNNEL_KEY_ATTR_TOS: u16 = 3;
pub const OVS_TUNNEL_KEY_ATTR_TTL: u16 = 4;
pub const OVS_TUNNEL_KEY_ATTR_DONT_FRAGMENT: u16 = 5;
pub const OVS_TUNNEL_KEY_ATTR_CSUM: u16 = 6;

pub const KEY_ATTR_NAMES: [(u16, &str); 33] = [
    (OVS_KEY_ATTR_UNSPEC, "unspec"),
    (OVS_KEY_ATTR_ENCAP, "encap"),
    (OVS_KEY_ATTR_PRIORITY, "skb_priority"),
    (OVS_KEY_ATTR_IN_PORT, "in_port"),
    (OVS_KEY_ATTR_ETHERNET, "eth"),
    (OVS_KEY_ATTR_VLAN, "vlan"),
    (OVS_KEY_ATTR_ETHERTYPE, "eth_type"),
    (OVS_KEY_ATTR_IPV4, "ipv4"),
    (OVS_KEY_ATTR_IPV6, "ipv6"),
    (OVS_KEY_ATTR_TCP, "tcp"),
    (OVS_KEY_ATTR_UDP, "udp"),
    (OVS_KEY_ATTR_ICMP, "icmp"),
    (OVS_KEY_ATTR_ICMPV6, "icmpv6"),
    (OVS_KEY_ATTR_ARP, "arp"),
    (OVS_KEY_ATTR_ND, "nd"),
    (OVS_KEY_ATTR_SKB_MARK, "skb_mark"),
    (OVS_KEY_ATTR_TUNNEL, "tunnel"),
    (OVS_KEY_ATTR_SCTP, "sctp"),
    (OVS_KEY_ATTR_TCP_FLAGS, "tcp_flags"),
    (OVS_KEY_ATTR_DP_HASH, "dp_hash"),
    (OVS_KEY_ATTR_RECIRC_ID, "recirc_id"),
    (OVS_KEY_ATTR_MPLS, "mpls"),
    (OVS_KEY_ATTR_CT_STATE, "ct_state"),
    (OVS_KEY_ATTR_CT_ZONE, "ct_zone"),
    (OVS_KEY_ATTR_CT_MARK, "ct_mark"),
    (OVS_KEY_ATTR_CT_LABELS, "ct_label"),
    (OVS_KEY_ATTR_CT_ORIG_TUPLE_IPV4, "ct_tuple4"),
    (OVS_KEY_ATTR_CT_ORIG_TUPLE_IPV6, "ct_tuple6"),
    (OVS_KEY_ATTR_NSH, "nsh"),
    (OVS_KEY_ATTR_PACKET_TYPE, "packet_type"),
    (OVS_KEY_ATTR_ND_EXTENSIONS, "nd_ext"),
    (OVS_KEY_ATTR_TUNNEL_INFO, "tunnel_info"),
    (OVS_KEY_ATTR_IPV6_EXTHDRS, "ipv6_exthdrs"),
];

/// The Open vSwitch name of an `OVS_KEY_ATTR_*` id, `None` past the last one.
pub fn key_attr_name(id: u16) -> Option<&'static str> {
    KEY_ATTR_NAMES
        .iter()
        .find(|(known, _)| *known == id)
        .map(|(_, name)| *name)
}

// ---- actions ----

pub const OVS_ACTION_ATTR_UNSPEC: u16 = 0;
pub const OVS_ACTION_ATTR_OUTPUT: u16 = 1;
pub const OVS_ACTION_ATTR_USERSPACE: u16 = 2;
pub const OVS_ACTION_ATTR_SET: u16 = 3;
pub const OVS_ACTION_ATTR_PUSH_VLAN: u16 = 4;
pub const OVS_ACTION_ATTR_POP_VLAN: u16 = 5;
pub const OVS_ACTION_ATTR_SAMPLE: u16 = 6;
pub const OVS_ACTION_ATTR_RECIRC: u16 = 7;
pub const OVS_ACTION_ATTR_HASH: u16 = 8;
pub const OVS_ACTION_ATTR_PUSH_MPLS: u16 = 9;
pub const OVS_ACTION_ATTR_POP_MPLS: u16 = 10;
pub const OVS_ACTION_ATTR_SET_MASKED: u16 = 11;
pub const OVS_ACTION_ATTR_CT: u16 = 12;
pub const OVS_ACTION_ATTR_TRUNC: u16 = 13;
pub const OVS_ACTION_ATTR_PUSH_ETH: u16 = 14;
pub const OVS_ACTION_ATTR_POP_ETH: u16 = 15;
pub const OVS_ACTION_ATTR_CT_CLEAR: u16 = 16;
pub const OVS_ACTION_ATTR_PUSH_NSH: u16 = 17;
pub const OVS_ACTION_ATTR_POP_NSH: u16 = 18;
pub const OVS_ACTION_ATTR_METER: u16 = 19;
pub const OVS_ACTION_ATTR_CLONE: u16 = 20;
pub const OVS_ACTION_ATTR_CHECK_PKT_LEN: u16 = 21;
pub const OVS_ACTION_ATTR_ADD_MPLS: u16 = 22;
pub const OVS_ACTION_ATTR_DEC_TTL: u16 = 23;
pub const OVS_ACTION_ATTR_MAX: u16 = 23;

/// Every `OVS_ACTION_ATTR_*` id with the name Open vSwitch's action syntax
/// uses for it.
pub const ACTION_NAMES: [(u16, &str); 24] = [
    (OVS_ACTION_ATTR_UNSPEC, "unspec"),
    (OVS_ACTION_ATTR_OUTPUT, "output"),
    (OVS_ACTION_ATTR_USERSPACE, "userspace"),
    (OVS_ACTION_ATTR_SET, "set"),
    (OVS_ACTION_ATTR_PUSH_VLAN, "push_vlan"),
    (OVS_ACTION_ATTR_POP_VLAN, "pop_vlan"),
    (OVS_ACTION_ATTR_SAMPLE, "sample"),
    (OVS_ACTION_ATTR_RECIRC, "recirc"),
    (OVS_ACTION_ATTR_HASH, "hash"),
    (OVS_ACTION_ATTR_PUSH_MPLS, "push_mpls"),
    (OVS_ACTION_ATTR_POP_MPLS, "pop_mpls"),
    (OVS_ACTION_ATTR_SET_MASKED, "set_masked"),
    (OVS_ACTION_ATTR_CT, "ct"),
    (OVS_ACTION_ATTR_TRUNC, "trunc"),
    (OVS_ACTION_ATTR_PUSH_ETH, "push_eth"),
    (OVS_ACTION_ATTR_POP_ETH, "pop_eth"),
    (OVS_ACTION_ATTR_CT_CLEAR, "ct_clear"),
    (OVS_ACTION_ATTR_PUSH_NSH, "push_nsh"),
    (OVS_ACTION_ATTR_POP_NSH, "pop_nsh"),
    (OVS_ACTION_ATTR_METER, "meter"),
    (OVS_ACTION_ATTR_CLONE, "clone"),
    (OVS_ACTION_ATTR_CHECK_PKT_LEN, "check_pkt_len"),
    (OVS_ACTION_ATTR_ADD_MPLS, "add_mpls"),
    (OVS_ACTION_ATTR_DEC_TTL, "dec_ttl"),
];

/// The Open vSwitch name of an `OVS_ACTION_ATTR_*` id, `None` past the last one.
pub fn action_name(id: u16) -> Option<&'static str> {
    ACTION_NAMES
        .iter()
        .find(|(known, _)| *known == id)
        .map(|(_, name)| *name)
}

pub const OVS_USERSPACE_ATTR_UNSPEC: u16 = 0;
pub const OVS_USERSPACE_ATTR_PID: u16 = 1;
pub const OVS_USERSPACE_ATTR_USERDATA: u16 = 2;
pub const OVS_USERSPACE_ATTR_EGRESS_TUN_PORT: u16 = 3;
pub const OVS_USERSPACE_ATTR_ACTIONS: u16 = 4;
pub const OVS_USERSPACE_ATTR_MAX: u16 = 4;

pub const OVS_SAMPLE_ATTR_UNSPEC: u16 = 0;
pub const OVS_SAMPLE_ATTR_PROBABILITY: u16 = 1;
pub const OVS_SAMPLE_ATTR_ACTIONS: u16 = 2;
pub const OVS_SAMPLE_ATTR_MAX: u16 = 2;

/// How deeply sample/clone action lists may nest inside each other
/// (`OVS_COPY_ACTIONS_MAX_DEPTH` in the kernel); deeper fails with EOVERFLOW.
pub const OVS_COPY_ACTIONS_MAX_DEPTH: usize = 16;

/// `sizeof(struct ovs_action_push_vlan)`: be16 TPID, be16 TCI.
pub const OVS_ACTION_PUSH_VLAN_LEN: usize = 4;

// ---- dpswitch's own family: what the kernel's families have no place for ----

/// What the kernel's families have no attribute for: drops and memory
/// (`dpctl show`), the PMDs' performance figures (`dpctl pmd-perf-show`,
/// `pmd-rxq-show`, `pmd-stats-clear`, `pmd-sleep-set`) and the table's
/// occupancy and upcall queues (`dpctl upcall-show`). Its messages carry a
/// `struct ovs_header` naming the datapath, as the `ovs_*` families do.
pub const DPSWITCH_FAMILY: &str = "dpswitch";
pub const DPSWITCH_VERSION: u8 = 1;

/// GET: the datapath's counters below (read-only).
pub const DPSWITCH_CMD_GET_STATS: u8 = 1;
/// GET: `DPSWITCH_ATTR_PERF` and one `DPSWITCH_ATTR_PMD` per PMD lcore with
/// its counters and rx queues, since they were last cleared (read-only).
pub const DPSWITCH_CMD_GET_PMD: u8 = 2;
/// Clears the PMDs' figures (admin); replies with `DPSWITCH_ATTR_PERF`.
pub const DPSWITCH_CMD_CLEAR_PMD: u8 = 3;
/// Sets `DPSWITCH_ATTR_MAX_SLEEP_US` (admin; over 10000: ERANGE) and/or
/// `DPSWITCH_ATTR_STAGE_CYCLES`; replies with `DPSWITCH_ATTR_PERF`.
pub const DPSWITCH_CMD_SET_PMD: u8 = 4;
/// GET: `DPSWITCH_ATTR_FLOWS`, one `DPSWITCH_ATTR_PMD` per PMD lcore with
/// its upcall queue, and `DPSWITCH_ATTR_PORT`s with their lost upcalls.
pub const DPSWITCH_CMD_GET_UPCALL: u8 = 5;

/// Nested: the control socket's counters (`DPSWITCH_CONTROL_*`).
pub const DPSWITCH_ATTR_CONTROL: u16 = 1;
/// Nested, once per port: `DPSWITCH_PORT_*`.
pub const DPSWITCH_ATTR_PORT: u16 = 2;
/// Nested: `DPSWITCH_MEMORY_*`.
pub const DPSWITCH_ATTR_MEMORY: u16 = 3;
/// Nested, once per PMD lcore: `DPSWITCH_PMD_*`.
pub const DPSWITCH_ATTR_PMD: u16 = 4;
/// Nested: `DPSWITCH_PERF_*`, what the PMD figures were measured over.
pub const DPSWITCH_ATTR_PERF: u16 = 5;
/// Nested: `DPSWITCH_FLOWS_*`.
pub const DPSWITCH_ATTR_FLOWS: u16 = 6;
/// u32: the longest an idle PMD sleeps, in microseconds (0: never).
pub const DPSWITCH_ATTR_MAX_SLEEP_US: u16 = 7;
/// u8: time each stage of every burst (1) or not (0, the default).
pub const DPSWITCH_ATTR_STAGE_CYCLES: u16 = 8;
pub const DPSWITCH_ATTR_MAX: u16 = 8;

/// u32: the PMD's lcore id.
pub const DPSWITCH_PMD_LCORE: u16 = 1;
/// u32 each: upcalls waiting in the PMD's queue, and its size.
pub const DPSWITCH_PMD_UPCALL_QUEUE: u16 = 2;
pub const DPSWITCH_PMD_UPCALL_QUEUE_SIZE: u16 = 3;
/// Nested, once per rx queue the PMD polls: `DPSWITCH_RXQ_*`.
pub const DPSWITCH_PMD_RXQ: u16 = 4;
/// Nested: u64 counters, attribute type i + 1 holding
/// `DPSWITCH_PMD_COUNTER_NAMES[i]`.
pub const DPSWITCH_PMD_COUNTERS: u16 = 5;

/// The PMD counters in wire order: packets received, matched, missed and
/// dropped; subtables probed; TSC cycles of busy and idle iterations;
/// iterations, busy iterations, sleeping iterations and cycles slept;
/// upcalls sent, the cycles spent sending them, upcalls lost; packets
/// transmitted and tx bursts; while stage timing is on, packets received
/// and the cycles of each stage (rx, extract, classify, actions, tx);
/// packets the flow cache answered.
pub const DPSWITCH_PMD_COUNTER_NAMES: &[&str] = &[
    "rx_packets",
    "hit",
    "missed",
    "lost",
    "mask_hit",
    "busy_cycles",
    "idle_cycles",
    "iterations",
    "busy_iterations",
    "sleep_iterations",
    "sleep_cycles",
    "upcalls",
    "upcall_cycles",
    "upcalls_lost",
    "tx_packets",
    "tx_batches",
    "stage_packets",
    "stage_rx_cycles",
    "stage_extract_cycles",
    "stage_classify_cycles",
    "stage_action_cycles",
    "stage_tx_cycles",
    "cache_hit",
];

/// u32: port number; string: port name; u32: queue id; u64 each: packets
/// and the TSC cycles of the bursts that brought them.
pub const DPSWITCH_RXQ_PORT_NO: u16 = 1;
pub const DPSWITCH_RXQ_PORT_NAME: u16 = 2;
pub const DPSWITCH_RXQ_QUEUE: u16 = 3;
pub const DPSWITCH_RXQ_PACKETS: u16 = 4;
pub const DPSWITCH_RXQ_CYCLES: u16 = 5;

/// u64: TSC ticks per second; u64: microseconds since the figures were
/// cleared; u32: the PMDs' sleep limit in microseconds; u8: stage timing
/// on (1) or off (0).
pub const DPSWITCH_PERF_TSC_HZ: u16 = 1;
pub const DPSWITCH_PERF_DURATION_US: u16 = 2;
pub const DPSWITCH_PERF_MAX_SLEEP_US: u16 = 3;
pub const DPSWITCH_PERF_STAGE_CYCLES: u16 = 4;

/// u64 each: flows now, their average (halfway to the current count once
/// a second), the most at once, the flow limit, installs it refused.
pub const DPSWITCH_FLOWS_CURRENT: u16 = 1;
pub const DPSWITCH_FLOWS_AVERAGE: u16 = 2;
pub const DPSWITCH_FLOWS_MAX: u16 = 3;
pub const DPSWITCH_FLOWS_LIMIT: u16 = 4;
pub const DPSWITCH_FLOWS_REFUSED: u16 = 5;

/// u64 each: connections refused, idle connections reclaimed, and
/// notifications dropped for subscribers that fell behind.
pub const DPSWITCH_CONTROL_REFUSED: u16 = 1;
pub const DPSWITCH_CONTROL_RECLAIMED: u16 = 2;
pub const DPSWITCH_CONTROL_NOTIFICATIONS_DROPPED: u16 = 3;

/// u32: the port's number.
pub const DPSWITCH_PORT_NO: u16 = 1;
/// u64 each: upcalls from the port lost, by reason: no handler, over the
/// rate, the PMD's queue full, the handler gone or not reading, userdata
/// too long.
pub const DPSWITCH_PORT_UPCALL_LOST_NO_HANDLER: u16 = 2;
pub const DPSWITCH_PORT_UPCALL_LOST_RATE: u16 = 3;
pub const DPSWITCH_PORT_UPCALL_LOST_QUEUE: u16 = 4;
pub const DPSWITCH_PORT_UPCALL_LOST_UNREAD: u16 = 5;
pub const DPSWITCH_PORT_UPCALL_LOST_USERDATA: u16 = 6;

/// u64 each: resident set (KiB), DPDK heap and process heap (bytes),
/// mbufs out of the packet pool.
pub const DPSWITCH_MEMORY_RSS_KIB: u16 = 1;
pub const DPSWITCH_MEMORY_DPDK_HEAP: u16 = 2;
pub const DPSWITCH_MEMORY_PROCESS_HEAP: u16 = 3;
pub const DPSWITCH_MEMORY_MBUFS_IN_USE: u16 = 4;
