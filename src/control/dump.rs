//! One flow as `ovs-dpctl dump-flows` prints it:
//! `<key with masks>, packets:N, bytes:N, used:never|S.SSSs[, flags:F], actions:<list>`.

use crate::flow::key::{FlowKey, FlowMask};
use crate::flow::matching::{key_to_attrs, mask_to_attrs};
use crate::flow::odp::Action;
use crate::flow::text::{format_actions, format_match};
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

pub fn format_flow(
    key: &FlowKey,
    mask: &FlowMask,
    stats: &DumpStats,
    actions: &[Action],
) -> String {
    let m = format_match(&key_to_attrs(key), &mask_to_attrs(key, mask));
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
        "{m}, packets:{}, bytes:{}, used:{used}{flags}, actions:{}",
        stats.packets,
        stats.bytes,
        format_actions(actions)
    )
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
}
