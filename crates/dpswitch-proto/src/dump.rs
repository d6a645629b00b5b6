//! One flow as `ovs-dpctl dump-flows` prints it:
//! `<key with masks>, packets:N, bytes:N, used:never|S.SSSs[, flags:F], actions:<list>`,
//! and with `-m`: `ufid:<uuid>, <every field with its mask>, ..., dp:ovs, actions:<list>`.

use crate::flow::key::{FlowKey, FlowMask};
use crate::flow::matching::{key_to_attrs, mask_to_attrs};
use crate::flow::odp::{Action, KeyAttr};
use crate::flow::text::{format_actions, format_match, format_match_verbose};
use crate::netlink::attr::attrs_lenient;
use crate::netlink::consts::OVS_FLOW_ATTR_MASK;
use crate::netlink::{decode_key, FlowAttrs, NlError};
use crate::ufid::format_ufid;
use std::time::Duration;

/// A flow's counters as a dump shows them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DumpStats {
    pub packets: u64,
    pub bytes: u64,
    /// Time since the flow last matched a packet; None: never.
    pub used_ago: Option<Duration>,
    /// OR of the TCP flags seen (low 12 bits).
    pub tcp_flags: u16,
}

impl DumpStats {
    /// The counters of a flow reply; `now_ms` is the monotonic clock in
    /// milliseconds, the clock of `OVS_FLOW_ATTR_USED` (0 there: never).
    pub fn of_reply(flow: &FlowAttrs, now_ms: u64) -> DumpStats {
        let stats = flow.stats.unwrap_or_default();
        DumpStats {
            packets: stats.packets,
            bytes: stats.bytes,
            used_ago: flow
                .used
                .filter(|&used| used != 0)
                .map(|used| Duration::from_millis(now_ms.saturating_sub(used))),
            tcp_flags: flow.tcp_flags.map(u16::from).unwrap_or(0),
        }
    }
}

pub fn format_flow(
    key: &FlowKey,
    mask: &FlowMask,
    stats: &DumpStats,
    actions: &[Action],
) -> String {
    let m = format_match(&key_to_attrs(key), &mask_to_attrs(key, mask));
    format!(
        "{m}, {}, actions:{}",
        format_stats(stats),
        format_actions(actions)
    )
}

/// `packets:N, bytes:N, used:never|S.SSSs[, flags:F]`, as `ovs-dpctl -s`
/// prints a changed flow's counters.
pub fn format_stats(stats: &DumpStats) -> String {
    let used = match stats.used_ago {
        None => "never".to_string(),
        Some(ago) => format!("{:.3}s", ago.as_secs_f64()),
    };
    let flags = if stats.tcp_flags != 0 {
        format!(", flags:{}", tcp_flags_text(stats.tcp_flags))
    } else {
        String::new()
    };
    format!(
        "packets:{}, bytes:{}, used:{used}{flags}",
        stats.packets, stats.bytes
    )
}

/// The flow of an `ovs_flow` message (`attrs`: what follows its
/// `ovs_header`) as ovs-dpctl prints what the datapath sends: the key and
/// mask attributes as they came, not re-derived. `verbose` (`-m`) adds the
/// UFID when the flow has one, shows every field with its mask, and names
/// the datapath layer (`dp:ovs`, as for the kernel's flows).
pub fn format_flow_reply(attrs: &[u8], now_ms: u64, verbose: bool) -> Result<String, NlError> {
    let flow = FlowAttrs::decode(attrs)?;
    let mut line = String::new();
    if verbose {
        if let Some(ufid) = flow.ufid() {
            line.push_str(&format!("ufid:{}, ", format_ufid(ufid)));
        }
    }
    let key = flow.key.as_deref().unwrap_or_default();
    let mask = reply_mask(attrs).or(flow.mask.clone()).unwrap_or_default();
    if verbose {
        line.push_str(&format_match_verbose(key, &mask));
    } else {
        line.push_str(&format_match(key, &mask));
    }
    line.push_str(", ");
    line.push_str(&format_stats(&DumpStats::of_reply(&flow, now_ms)));
    if verbose {
        line.push_str(", dp:ovs");
    }
    line.push_str(", actions:");
    line.push_str(&format_actions(flow.actions.as_deref().unwrap_or_default()));
    Ok(line)
}

/// The mask attributes exactly as sent, all-zero ones included, as
/// ovs-dpctl reads them: `FlowAttrs` leaves all-zero ones out, which
/// would print a mask of nothing but wildcards as an exact key.
fn reply_mask(attrs: &[u8]) -> Option<Vec<KeyAttr>> {
    let mask = attrs_lenient(attrs)
        .filter(|a| a.kind() == OVS_FLOW_ATTR_MASK)
        .last()?;
    decode_key(mask.payload()).ok()
}

/// TCP flags as ovs-dpctl prints them in dumps: one letter per flag.
fn tcp_flags_text(flags: u16) -> String {
    const LETTERS: [(u16, char); 8] = [
        (0x001, 'F'),
        (0x002, 'S'),
        (0x004, 'R'),
        (0x008, 'P'),
        (0x010, '.'),
        (0x020, 'U'),
        (0x040, 'E'),
        (0x080, 'C'),
    ];
    LETTERS
        .iter()
        .filter(|(bit, _)| flags & bit != 0)
        .map(|(_, c)| *c)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flow::matching::match_from_attrs;
    use crate::flow::text::parse_match;

    #[test]
    fn dump_line_reads_like_ovs_dpctl() {
        let (k, m) = parse_match(
            "in_port(1),eth(),eth_type(0x0800),ipv4(proto=6,frag=no),tcp(),tcp_flags(0/0)",
        )
        .unwrap();
        let m = match_from_attrs(&k, Some(&m)).unwrap();
        let stats = DumpStats {
            packets: 3,
            bytes: 180,
            used_ago: Some(Duration::from_millis(1500)),
            tcp_flags: 0x012,
        };
        let line = format_flow(&m.masked_key(), &m.mask, &stats, &[Action::Output(2)]);
        assert!(
            line.ends_with(", packets:3, bytes:180, used:1.500s, flags:S., actions:2"),
            "{line}"
        );
        assert!(
            line.contains("in_port(1)") && line.contains("ipv4(proto=6,frag=no)"),
            "{line}"
        );
        let never = format_flow(&m.masked_key(), &m.mask, &DumpStats::default(), &[]);
        assert!(
            never.ends_with("packets:0, bytes:0, used:never, actions:drop"),
            "{never}"
        );
    }

    fn reply(text: &str, actions: &str, extra: FlowAttrs) -> Vec<u8> {
        let (key, mask) = parse_match(text).unwrap();
        FlowAttrs {
            key: Some(key),
            mask: Some(mask),
            actions: Some(crate::flow::text::parse_actions(actions).unwrap()),
            ..extra
        }
        .encode()
        .unwrap()
    }

    #[test]
    fn reply_lines_read_like_ovs_dpctl() {
        let ufid = crate::ufid::parse_ufid("01234567-89ab-cdef-0011-223344556677")
            .unwrap()
            .to_vec();
        let attrs = reply(
            "in_port(1),eth(),eth_type(0x0806),arp(op=1)",
            "2,pop_vlan",
            FlowAttrs {
                ufid: Some(ufid),
                stats: Some(crate::netlink::FlowStats {
                    packets: 7,
                    bytes: 420,
                }),
                used: Some(10_000),
                tcp_flags: Some(0x02),
                ..FlowAttrs::default()
            },
        );
        assert_eq!(
            format_flow_reply(&attrs, 12_250, false).unwrap(),
            "in_port(1),eth(),eth_type(0x0806),arp(op=1), packets:7, bytes:420, used:2.250s, flags:S, actions:2,pop_vlan"
        );
        assert_eq!(
            format_flow_reply(&attrs, 12_250, true).unwrap(),
            "ufid:01234567-89ab-cdef-0011-223344556677, in_port(1),\
             eth(src=00:00:00:00:00:00/00:00:00:00:00:00,dst=00:00:00:00:00:00/00:00:00:00:00:00),\
             eth_type(0x0806),arp(sip=0.0.0.0/0.0.0.0,tip=0.0.0.0/0.0.0.0,op=1,\
             sha=00:00:00:00:00:00/00:00:00:00:00:00,tha=00:00:00:00:00:00/00:00:00:00:00:00), \
             packets:7, bytes:420, used:2.250s, flags:S, dp:ovs, actions:2,pop_vlan"
        );
    }

    #[test]
    fn reply_without_stats_or_ufid() {
        // Never used (no USED attribute, or 0), no UFID even when verbose.
        let attrs = reply(
            "in_port(3),eth(),eth_type(0x0806),arp()",
            "drop",
            FlowAttrs::default(),
        );
        assert_eq!(
            format_flow_reply(&attrs, 5, false).unwrap(),
            "in_port(3),eth(),eth_type(0x0806), packets:0, bytes:0, used:never, actions:drop"
        );
        assert!(format_flow_reply(&attrs, 5, true)
            .unwrap()
            .starts_with("in_port(3),eth(src="));
        let used_zero = reply(
            "in_port(3),eth(),eth_type(0x0806),arp()",
            "drop",
            FlowAttrs {
                used: Some(0),
                ..FlowAttrs::default()
            },
        );
        assert!(format_flow_reply(&used_zero, 5, false)
            .unwrap()
            .contains("used:never"));
    }

    #[test]
    fn a_mask_of_only_wildcards_still_hides_the_fields() {
        // Every mask attribute is all zeros: ovs-dpctl prints only the
        // Ethernet marker, never the key as if it were exact.
        let attrs = reply("in_port(1/0),eth()", "1", FlowAttrs::default());
        assert_eq!(
            format_flow_reply(&attrs, 0, false).unwrap(),
            "eth(), packets:0, bytes:0, used:never, actions:1"
        );
    }
}
