//! Checks every constant of `netlink::consts` (and the payload sizes the
//! codec assumes) against the kernel headers installed on this machine,
//! by compiling and running a small C program that prints them.
//!
//! Skipped, with a message, when no C compiler or no
//! `<linux/openvswitch.h>` is available.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use nix::errno::Errno;

use dpswitch::netlink::consts::{self, *};
use dpswitch::netlink::key::fixed_payload_len;

/// (C expression, value dpswitch uses, width in bytes of dpswitch's type).
macro_rules! numeric {
    ($($name:ident),* $(,)?) => {
        vec![$((stringify!($name), consts::$name as u64, std::mem::size_of_val(&consts::$name))),*]
    };
}

fn numeric_constants() -> Vec<(&'static str, u64, usize)> {
    numeric![
        NETLINK_GENERIC,
        OVS_TUNNEL_KEY_ATTR_ID,
        OVS_TUNNEL_KEY_ATTR_IPV4_SRC,
        OVS_TUNNEL_KEY_ATTR_IPV4_DST,
        OVS_TUNNEL_KEY_ATTR_TOS,
        OVS_TUNNEL_KEY_ATTR_TTL,
        OVS_TUNNEL_KEY_ATTR_DONT_FRAGMENT,
        OVS_TUNNEL_KEY_ATTR_CSUM,
        NLMSG_ALIGNTO,
        NLMSG_HDRLEN,
        NLA_ALIGNTO,
        NLA_HDRLEN,
        NLMSG_NOOP,
        NLMSG_ERROR,
        NLMSG_DONE,
        NLMSG_OVERRUN,
        NLMSG_MIN_TYPE,
        NLM_F_REQUEST,
        NLM_F_MULTI,
        NLM_F_ACK,
        NLM_F_ECHO,
        NLM_F_DUMP_INTR,
        NLM_F_DUMP_FILTERED,
        NLM_F_ROOT,
        NLM_F_MATCH,
        NLM_F_ATOMIC,
        NLM_F_DUMP,
        NLM_F_REPLACE,
        NLM_F_EXCL,
        NLM_F_CREATE,
        NLM_F_APPEND,
        NLM_F_CAPPED,
        NLM_F_ACK_TLVS,
        NLMSGERR_ATTR_MSG,
        NLA_F_NESTED,
        NLA_F_NET_BYTEORDER,
        NLA_TYPE_MASK,
        GENL_HDRLEN,
        GENL_NAMSIZ,
        GENL_MIN_ID,
        GENL_MAX_ID,
        GENL_ID_CTRL,
        CTRL_CMD_UNSPEC,
        CTRL_CMD_NEWFAMILY,
        CTRL_CMD_DELFAMILY,
        CTRL_CMD_GETFAMILY,
        CTRL_ATTR_UNSPEC,
        CTRL_ATTR_FAMILY_ID,
        CTRL_ATTR_FAMILY_NAME,
        CTRL_ATTR_VERSION,
        CTRL_ATTR_HDRSIZE,
        CTRL_ATTR_MAXATTR,
        CTRL_ATTR_OPS,
        CTRL_ATTR_MCAST_GROUPS,
        CTRL_ATTR_MCAST_GRP_UNSPEC,
        CTRL_ATTR_MCAST_GRP_NAME,
        CTRL_ATTR_MCAST_GRP_ID,
        OVS_DATAPATH_VERSION,
        OVS_DP_VER_FEATURES,
        OVS_VPORT_VERSION,
        OVS_FLOW_VERSION,
        OVS_PACKET_VERSION,
        OVS_DP_CMD_UNSPEC,
        OVS_DP_CMD_NEW,
        OVS_DP_CMD_DEL,
        OVS_DP_CMD_GET,
        OVS_DP_CMD_SET,
        OVS_DP_ATTR_UNSPEC,
        OVS_DP_ATTR_NAME,
        OVS_DP_ATTR_UPCALL_PID,
        OVS_DP_ATTR_STATS,
        OVS_DP_ATTR_MEGAFLOW_STATS,
        OVS_DP_ATTR_USER_FEATURES,
        OVS_DP_ATTR_PAD,
        OVS_DP_ATTR_MASKS_CACHE_SIZE,
        OVS_DP_ATTR_PER_CPU_PIDS,
        OVS_DP_ATTR_IFINDEX,
        OVS_DP_ATTR_MAX,
        OVS_DP_F_UNALIGNED,
        OVS_DP_F_VPORT_PIDS,
        OVS_DP_F_TC_RECIRC_SHARING,
        OVS_DP_F_DISPATCH_UPCALL_PER_CPU,
        OVSP_LOCAL,
        OVS_PACKET_CMD_UNSPEC,
        OVS_PACKET_CMD_MISS,
        OVS_PACKET_CMD_ACTION,
        OVS_PACKET_CMD_EXECUTE,
        OVS_PACKET_ATTR_UNSPEC,
        OVS_PACKET_ATTR_PACKET,
        OVS_PACKET_ATTR_KEY,
        OVS_PACKET_ATTR_ACTIONS,
        OVS_PACKET_ATTR_USERDATA,
        OVS_PACKET_ATTR_EGRESS_TUN_KEY,
        OVS_PACKET_ATTR_UNUSED1,
        OVS_PACKET_ATTR_UNUSED2,
        OVS_PACKET_ATTR_PROBE,
        OVS_PACKET_ATTR_MRU,
        OVS_PACKET_ATTR_LEN,
        OVS_PACKET_ATTR_HASH,
        OVS_PACKET_ATTR_MAX,
        OVS_VPORT_CMD_UNSPEC,
        OVS_VPORT_CMD_NEW,
        OVS_VPORT_CMD_DEL,
        OVS_VPORT_CMD_GET,
        OVS_VPORT_CMD_SET,
        OVS_VPORT_TYPE_UNSPEC,
        OVS_VPORT_TYPE_NETDEV,
        OVS_VPORT_TYPE_INTERNAL,
        OVS_VPORT_TYPE_GRE,
        OVS_VPORT_TYPE_VXLAN,
        OVS_VPORT_TYPE_GENEVE,
        OVS_VPORT_ATTR_UNSPEC,
        OVS_VPORT_ATTR_PORT_NO,
        OVS_VPORT_ATTR_TYPE,
        OVS_VPORT_ATTR_NAME,
        OVS_VPORT_ATTR_OPTIONS,
        OVS_VPORT_ATTR_UPCALL_PID,
        OVS_VPORT_ATTR_STATS,
        OVS_VPORT_ATTR_PAD,
        OVS_VPORT_ATTR_IFINDEX,
        OVS_VPORT_ATTR_NETNSID,
        OVS_VPORT_ATTR_MAX,
        OVS_FLOW_CMD_UNSPEC,
        OVS_FLOW_CMD_NEW,
        OVS_FLOW_CMD_DEL,
        OVS_FLOW_CMD_GET,
        OVS_FLOW_CMD_SET,
        OVS_FLOW_ATTR_UNSPEC,
        OVS_FLOW_ATTR_KEY,
        OVS_FLOW_ATTR_ACTIONS,
        OVS_FLOW_ATTR_STATS,
        OVS_FLOW_ATTR_TCP_FLAGS,
        OVS_FLOW_ATTR_USED,
        OVS_FLOW_ATTR_CLEAR,
        OVS_FLOW_ATTR_MASK,
        OVS_FLOW_ATTR_PROBE,
        OVS_FLOW_ATTR_UFID,
        OVS_FLOW_ATTR_UFID_FLAGS,
        OVS_FLOW_ATTR_PAD,
        OVS_FLOW_ATTR_MAX,
        OVS_UFID_F_OMIT_KEY,
        OVS_UFID_F_OMIT_MASK,
        OVS_UFID_F_OMIT_ACTIONS,
        OVS_KEY_ATTR_UNSPEC,
        OVS_KEY_ATTR_ENCAP,
        OVS_KEY_ATTR_PRIORITY,
        OVS_KEY_ATTR_IN_PORT,
        OVS_KEY_ATTR_ETHERNET,
        OVS_KEY_ATTR_VLAN,
        OVS_KEY_ATTR_ETHERTYPE,
        OVS_KEY_ATTR_IPV4,
        OVS_KEY_ATTR_IPV6,
        OVS_KEY_ATTR_TCP,
        OVS_KEY_ATTR_UDP,
        OVS_KEY_ATTR_ICMP,
        OVS_KEY_ATTR_ICMPV6,
        OVS_KEY_ATTR_ARP,
        OVS_KEY_ATTR_ND,
        OVS_KEY_ATTR_SKB_MARK,
        OVS_KEY_ATTR_TUNNEL,
        OVS_KEY_ATTR_SCTP,
        OVS_KEY_ATTR_TCP_FLAGS,
        OVS_KEY_ATTR_DP_HASH,
        OVS_KEY_ATTR_RECIRC_ID,
        OVS_KEY_ATTR_MPLS,
        OVS_KEY_ATTR_CT_STATE,
        OVS_KEY_ATTR_CT_ZONE,
        OVS_KEY_ATTR_CT_MARK,
        OVS_KEY_ATTR_CT_LABELS,
        OVS_KEY_ATTR_CT_ORIG_TUPLE_IPV4,
        OVS_KEY_ATTR_CT_ORIG_TUPLE_IPV6,
        OVS_KEY_ATTR_NSH,
        OVS_KEY_ATTR_PACKET_TYPE,
        OVS_KEY_ATTR_ND_EXTENSIONS,
        OVS_KEY_ATTR_TUNNEL_INFO,
        OVS_KEY_ATTR_IPV6_EXTHDRS,
        OVS_KEY_ATTR_MAX,
        OVS_FRAG_TYPE_NONE,
        OVS_FRAG_TYPE_FIRST,
        OVS_FRAG_TYPE_LATER,
        OVS_FRAG_TYPE_MAX,
        OVS_ACTION_ATTR_UNSPEC,
        OVS_ACTION_ATTR_OUTPUT,
        OVS_ACTION_ATTR_USERSPACE,
        OVS_ACTION_ATTR_SET,
        OVS_ACTION_ATTR_PUSH_VLAN,
        OVS_ACTION_ATTR_POP_VLAN,
        OVS_ACTION_ATTR_SAMPLE,
        OVS_ACTION_ATTR_RECIRC,
        OVS_ACTION_ATTR_HASH,
        OVS_ACTION_ATTR_PUSH_MPLS,
        OVS_ACTION_ATTR_POP_MPLS,
        OVS_ACTION_ATTR_SET_MASKED,
        OVS_ACTION_ATTR_CT,
        OVS_ACTION_ATTR_TRUNC,
        OVS_ACTION_ATTR_PUSH_ETH,
        OVS_ACTION_ATTR_POP_ETH,
        OVS_ACTION_ATTR_CT_CLEAR,
        OVS_ACTION_ATTR_PUSH_NSH,
        OVS_ACTION_ATTR_POP_NSH,
        OVS_ACTION_ATTR_METER,
        OVS_ACTION_ATTR_CLONE,
        OVS_ACTION_ATTR_CHECK_PKT_LEN,
        OVS_ACTION_ATTR_ADD_MPLS,
        OVS_ACTION_ATTR_DEC_TTL,
        OVS_ACTION_ATTR_MAX,
        OVS_USERSPACE_ATTR_UNSPEC,
        OVS_USERSPACE_ATTR_PID,
        OVS_USERSPACE_ATTR_USERDATA,
        OVS_USERSPACE_ATTR_EGRESS_TUN_PORT,
        OVS_USERSPACE_ATTR_ACTIONS,
        OVS_USERSPACE_ATTR_MAX,
        OVS_SAMPLE_ATTR_UNSPEC,
        OVS_SAMPLE_ATTR_PROBABILITY,
        OVS_SAMPLE_ATTR_ACTIONS,
        OVS_SAMPLE_ATTR_MAX,
    ]
}

fn string_constants() -> Vec<(&'static str, &'static str)> {
    vec![
        ("OVS_DATAPATH_FAMILY", OVS_DATAPATH_FAMILY),
        ("OVS_DATAPATH_MCGROUP", OVS_DATAPATH_MCGROUP),
        ("OVS_VPORT_FAMILY", OVS_VPORT_FAMILY),
        ("OVS_VPORT_MCGROUP", OVS_VPORT_MCGROUP),
        ("OVS_FLOW_FAMILY", OVS_FLOW_FAMILY),
        ("OVS_FLOW_MCGROUP", OVS_FLOW_MCGROUP),
        ("OVS_PACKET_FAMILY", OVS_PACKET_FAMILY),
        ("OVS_METER_FAMILY", OVS_METER_FAMILY),
        ("OVS_CT_LIMIT_FAMILY", OVS_CT_LIMIT_FAMILY),
    ]
}

/// Struct sizes: the C `sizeof` against the length dpswitch reads and writes.
fn struct_sizes() -> Vec<(&'static str, usize)> {
    let key = |id| fixed_payload_len(id).expect("fixed-size key attribute");
    vec![
        ("struct nlmsghdr", NLMSG_HDRLEN),
        ("struct nlattr", NLA_HDRLEN),
        ("struct genlmsghdr", GENL_HDRLEN),
        ("struct ovs_header", OVS_HEADER_LEN),
        ("struct ovs_dp_stats", OVS_DP_STATS_LEN),
        ("struct ovs_dp_megaflow_stats", OVS_DP_MEGAFLOW_STATS_LEN),
        ("struct ovs_vport_stats", OVS_VPORT_STATS_LEN),
        ("struct ovs_flow_stats", OVS_FLOW_STATS_LEN),
        ("struct ovs_action_push_vlan", OVS_ACTION_PUSH_VLAN_LEN),
        ("struct ovs_key_ethernet", key(OVS_KEY_ATTR_ETHERNET)),
        ("struct ovs_key_ipv4", key(OVS_KEY_ATTR_IPV4)),
        ("struct ovs_key_ipv6", key(OVS_KEY_ATTR_IPV6)),
        ("struct ovs_key_tcp", key(OVS_KEY_ATTR_TCP)),
        ("struct ovs_key_udp", key(OVS_KEY_ATTR_UDP)),
        ("struct ovs_key_sctp", key(OVS_KEY_ATTR_SCTP)),
        ("struct ovs_key_icmp", key(OVS_KEY_ATTR_ICMP)),
        ("struct ovs_key_icmpv6", key(OVS_KEY_ATTR_ICMPV6)),
        ("struct ovs_key_arp", key(OVS_KEY_ATTR_ARP)),
        ("struct ovs_key_nd", key(OVS_KEY_ATTR_ND)),
        ("struct ovs_key_ct_labels", key(OVS_KEY_ATTR_CT_LABELS)),
        (
            "struct ovs_key_ct_tuple_ipv4",
            key(OVS_KEY_ATTR_CT_ORIG_TUPLE_IPV4),
        ),
        (
            "struct ovs_key_ct_tuple_ipv6",
            key(OVS_KEY_ATTR_CT_ORIG_TUPLE_IPV6),
        ),
        (
            "struct ovs_key_ipv6_exthdrs",
            key(OVS_KEY_ATTR_IPV6_EXTHDRS),
        ),
        ("__u32", key(OVS_KEY_ATTR_IN_PORT)),
        ("__be16", key(OVS_KEY_ATTR_ETHERTYPE)),
    ]
}

fn errno_values() -> Vec<(&'static str, i32)> {
    vec![
        ("EPERM", Errno::EPERM as i32),
        ("ENOENT", Errno::ENOENT as i32),
        ("ENOMEM", Errno::ENOMEM as i32),
        ("EEXIST", Errno::EEXIST as i32),
        ("ENODEV", Errno::ENODEV as i32),
        ("EINVAL", Errno::EINVAL as i32),
        ("EFBIG", Errno::EFBIG as i32),
        ("ERANGE", Errno::ERANGE as i32),
        ("EOVERFLOW", Errno::EOVERFLOW as i32),
        ("EMSGSIZE", Errno::EMSGSIZE as i32),
        ("EOPNOTSUPP", Errno::EOPNOTSUPP as i32),
    ]
}

fn c_unsigned_type(width: usize) -> &'static str {
    match width {
        1 => "unsigned char",
        2 => "unsigned short",
        4 => "unsigned int",
        _ => "unsigned long long",
    }
}

/// The C program: one "name<TAB>value" line per checked item.
fn c_program() -> String {
    let mut c = String::from(
        "#include <stdio.h>\n#include <errno.h>\n#include <linux/netlink.h>\n\
         #include <linux/genetlink.h>\n#include <linux/openvswitch.h>\n\
         int main(void) {\n",
    );
    for (name, _, width) in numeric_constants() {
        c.push_str(&format!(
            "  printf(\"%s\\t%llu\\n\", \"{name}\", (unsigned long long)({ty})({name}));\n",
            ty = c_unsigned_type(width)
        ));
    }
    for (name, _) in string_constants() {
        c.push_str(&format!("  printf(\"%s\\t%s\\n\", \"{name}\", {name});\n"));
    }
    for (ty, _) in struct_sizes() {
        c.push_str(&format!(
            "  printf(\"%s\\t%zu\\n\", \"sizeof({ty})\", sizeof({ty}));\n"
        ));
    }
    for (name, _) in errno_values() {
        c.push_str(&format!("  printf(\"%s\\t%d\\n\", \"{name}\", {name});\n"));
    }
    c.push_str("  return 0;\n}\n");
    c
}

fn scratch_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("dpswitch-header-check-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("create scratch dir");
    dir
}

/// Compiles and runs the program. The header and `cc` come with
/// build-essential, which building dpswitch needs anyway (scripts/setup.sh
/// installs it): without them the test fails saying so.
fn header_values() -> HashMap<String, String> {
    assert!(
        Path::new("/usr/include/linux/openvswitch.h").exists(),
        "/usr/include/linux/openvswitch.h is absent: apt-get install linux-libc-dev (scripts/setup.sh installs it)"
    );
    let dir = scratch_dir();
    let source = dir.join("consts.c");
    let binary = dir.join("consts");
    std::fs::write(&source, c_program()).expect("write C source");
    let compiled = Command::new("cc")
        .arg("-o")
        .arg(&binary)
        .arg(&source)
        .output();
    let compiled = compiled.unwrap_or_else(|error| {
        panic!("no C compiler `cc` to read the kernel headers with ({error}): scripts/setup.sh installs build-essential")
    });
    assert!(
        compiled.status.success(),
        "the header program does not compile (a constant name dpswitch uses is not in the headers?):\n{}",
        String::from_utf8_lossy(&compiled.stderr)
    );
    let run = Command::new(&binary)
        .output()
        .expect("run the header program");
    let _ = std::fs::remove_dir_all(&dir);
    assert!(run.status.success());
    let stdout = String::from_utf8(run.stdout).expect("utf-8 output");
    stdout
        .lines()
        .filter_map(|line| line.split_once('\t'))
        .map(|(name, value)| (name.to_string(), value.to_string()))
        .collect()
}

#[test]
fn constants_match_the_installed_kernel_headers() {
    let header = header_values();
    let mut mismatches = Vec::new();
    let mut check = |name: String, ours: String| match header.get(&name) {
        Some(theirs) if *theirs == ours => {}
        other => mismatches.push(format!("{name}: dpswitch {ours}, header {other:?}")),
    };
    for (name, value, _) in numeric_constants() {
        check(name.to_string(), value.to_string());
    }
    for (name, value) in string_constants() {
        check(name.to_string(), value.to_string());
    }
    for (ty, size) in struct_sizes() {
        check(format!("sizeof({ty})"), size.to_string());
    }
    for (name, value) in errno_values() {
        check(name.to_string(), value.to_string());
    }
    assert!(
        mismatches.is_empty(),
        "mismatches:\n{}",
        mismatches.join("\n")
    );
}

/// Every constant in consts.rs is either checked above or is one of the
/// few with no C counterpart (checked through a sizeof, or kernel-internal).
#[test]
fn every_constant_is_checked() {
    let source = include_str!("../crates/dpswitch-proto/src/consts.rs");
    let checked: Vec<&str> = numeric_constants()
        .iter()
        .map(|(name, _, _)| *name)
        .chain(string_constants().iter().map(|(name, _)| *name))
        .collect();
    let no_c_name = [
        "OVS_HEADER_LEN",
        "OVS_DP_STATS_LEN",
        "OVS_DP_MEGAFLOW_STATS_LEN",
        "OVS_VPORT_STATS_LEN",
        "OVS_FLOW_STATS_LEN",
        "OVS_ACTION_PUSH_VLAN_LEN",
        // Kernel-internal limits, not in the uapi headers.
        "MAX_UFID_LENGTH",
        "OVS_COPY_ACTIONS_MAX_DEPTH",
        // Tables built from the constants.
        "KEY_ATTR_NAMES",
        "ACTION_NAMES",
    ];
    let mut seen = 0;
    for line in source.lines() {
        let Some(rest) = line.strip_prefix("pub const ") else {
            continue;
        };
        seen += 1;
        let name = rest.split(':').next().unwrap_or_default().trim();
        // dpswitch's own family has no kernel header to be checked against.
        let own_family = name.starts_with("DPSWITCH_");
        assert!(
            checked.contains(&name) || no_c_name.contains(&name) || own_family,
            "{name} is not checked against the headers"
        );
    }
    // The constants are where this test reads them (it would pass on an
    // empty file).
    assert!(seen > 200, "only {seen} constants found in consts.rs");
}
