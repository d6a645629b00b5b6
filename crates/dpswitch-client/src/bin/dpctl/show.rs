//! show [DP...]: each datapath's lookups, flows and masks, then its ports,
//! in the layout of ovs-dpctl's `show` against the kernel datapath.

use crate::flows::print_line;
use crate::Options;
use dpswitch_client::client::{Client, Datapath, DpswitchStats, PortLosses, Vport, VportStats};
use dpswitch_proto::netlink::consts::*;
use std::fmt::Write as _;

pub fn show(client: &mut Client, names: &[String], options: &Options) -> Result<(), String> {
    let datapaths = if names.is_empty() {
        let mut all = client.datapaths().map_err(|e| e.to_string())?;
        all.sort_by(|a, b| a.name.cmp(&b.name));
        all
    } else {
        names
            .iter()
            .map(|name| client.datapath(name).map_err(|e| e.to_string()))
            .collect::<Result<_, _>>()?
    };
    for dp in datapaths {
        let mut ports = client.vports(dp.dp_ifindex).map_err(|e| e.to_string())?;
        ports.sort_by_key(|p| p.port_no);
        let mut text = format_show(&dp, &ports, options.statistics);
        // What ovs-dpctl has no line for; absent from a daemon without it.
        if let Ok(stats) = client.dpswitch_stats(dp.dp_ifindex) {
            format_dpswitch(&mut text, &stats);
        }
        print_line(text.trim_end());
    }
    Ok(())
}

/// dpswitch's own lines: the control socket's refusals and lost
/// notifications, where the memory is, and each port's lost upcalls by
/// reason (ports that lost none are left out).
fn format_dpswitch(out: &mut String, s: &DpswitchStats) {
    let _ = writeln!(
        out,
        "  dpswitch:\n    connections: refused:{} reclaimed:{} notifications dropped:{}",
        s.connections_refused, s.connections_reclaimed, s.notifications_dropped
    );
    let _ = writeln!(
        out,
        "    memory: resident:{} KiB dpdk heap:{}{} process heap:{}{} mbufs in use:{}",
        s.rss_kib,
        s.dpdk_heap_bytes,
        human_size(Some(s.dpdk_heap_bytes)),
        s.process_heap_bytes,
        human_size(Some(s.process_heap_bytes)),
        s.mbufs_in_use
    );
    for p in s.ports.iter().filter(|p| p.total() > 0) {
        let _ = writeln!(out, "    {}", port_losses_line(p));
    }
}

/// One port's lost upcalls by reason.
pub fn port_losses_line(p: &PortLosses) -> String {
    format!(
        "port {} upcalls lost: no handler:{} rate:{} queue:{} unread:{} userdata:{}",
        p.port_no, p.no_handler, p.rate, p.queue, p.unread, p.userdata
    )
}

/// The whole `show` text of one datapath.
pub fn format_show(dp: &Datapath, ports: &[Vport], statistics: bool) -> String {
    // The kernel datapath's dpif type, which ovs-dpctl prints before the name.
    let mut out = format!("system@{}:\n", dp.name);
    if let Some(s) = dp.stats {
        let _ = writeln!(
            out,
            "  lookups: hit:{} missed:{} lost:{}\n  flows: {}",
            s.hit, s.missed, s.lost, s.flows
        );
        if let Some(m) = dp.megaflow_stats {
            let packets = s.hit.saturating_add(s.missed);
            let per_packet = |n: u64| {
                if packets == 0 {
                    0.0
                } else {
                    n as f64 / packets as f64
                }
            };
            let _ = writeln!(
                out,
                "  masks: hit:{} total:{} hit/pkt:{:.2}",
                m.mask_hit,
                m.masks,
                per_packet(m.mask_hit)
            );
            if let Some(cache_hit) = m.cache_hit {
                let _ = writeln!(
                    out,
                    "  cache: hit:{cache_hit} hit-rate:{:.2}%",
                    per_packet(cache_hit) * 100.0
                );
            }
            if let Some(size) = dp.masks_cache_size.filter(|&s| s != 0) {
                let _ = writeln!(out, "  caches:\n    masks-cache: size:{size}");
            }
        }
    }
    for port in ports {
        let _ = write!(out, "  port {}: {}", port.port_no, port.name);
        match port_type_name(port.port_type) {
            "system" => {}
            other => {
                let _ = write!(out, " ({other})");
            }
        }
        out.push('\n');
        if statistics {
            format_port_stats(&mut out, port.stats);
        }
    }
    out
}

/// The name Open vSwitch gives an `OVS_VPORT_TYPE_*`.
fn port_type_name(port_type: u32) -> &'static str {
    match port_type {
        OVS_VPORT_TYPE_NETDEV => "system",
        OVS_VPORT_TYPE_INTERNAL => "internal",
        OVS_VPORT_TYPE_GRE => "gre",
        OVS_VPORT_TYPE_VXLAN => "vxlan",
        OVS_VPORT_TYPE_GENEVE => "geneve",
        _ => "unknown",
    }
}

/// ovs-dpctl's four counter lines of `show -s`. The port statistics of the
/// datapath carry eight counters; the others print as `?`, as Open
/// vSwitch prints counters a device does not keep.
fn format_port_stats(out: &mut String, stats: Option<VportStats>) {
    let known = |f: fn(&VportStats) -> u64| stats.as_ref().map(f);
    let stat = |v: Option<u64>| v.map_or("?".to_string(), |v| v.to_string());
    let _ = writeln!(
        out,
        "    RX packets:{} errors:{} dropped:{} overruns:? frame:?",
        stat(known(|s| s.rx_packets)),
        stat(known(|s| s.rx_errors)),
        stat(known(|s| s.rx_dropped)),
    );
    let _ = writeln!(
        out,
        "    TX packets:{} errors:{} dropped:{} aborted:? carrier:?",
        stat(known(|s| s.tx_packets)),
        stat(known(|s| s.tx_errors)),
        stat(known(|s| s.tx_dropped)),
    );
    out.push_str("    collisions:?\n");
    let rx = known(|s| s.rx_bytes);
    let tx = known(|s| s.tx_bytes);
    let _ = writeln!(
        out,
        "    RX bytes:{}{}  TX bytes:{}{}",
        stat(rx),
        human_size(rx),
        stat(tx),
        human_size(tx)
    );
}

/// ` (1.5 KiB)` and the like after a byte count of 1 KiB or more.
fn human_size(bytes: Option<u64>) -> String {
    let Some(bytes) = bytes else {
        return String::new();
    };
    const UNITS: [(u64, &str); 4] = [
        (1 << 40, "TiB"),
        (1 << 30, "GiB"),
        (1 << 20, "MiB"),
        (1 << 10, "KiB"),
    ];
    UNITS
        .iter()
        .find(|(size, _)| bytes >= *size)
        .map(|(size, unit)| format!(" ({:.1} {unit})", bytes as f64 / *size as f64))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use dpswitch_client::client::{DpStats, MegaflowStats};

    fn datapath() -> Datapath {
        Datapath {
            name: "dp0".into(),
            dp_ifindex: 0x20,
            stats: Some(DpStats {
                hit: 30,
                missed: 10,
                lost: 1,
                flows: 3,
            }),
            megaflow_stats: Some(MegaflowStats {
                mask_hit: 50,
                masks: 2,
                cache_hit: None,
            }),
            ..Datapath::default()
        }
    }

    fn ports() -> Vec<Vport> {
        vec![
            Vport {
                port_no: 0,
                port_type: OVS_VPORT_TYPE_NETDEV,
                name: "net_null0".into(),
                stats: Some(VportStats {
                    rx_packets: 40,
                    tx_packets: 7,
                    rx_bytes: 2560,
                    tx_bytes: 448,
                    rx_errors: 0,
                    tx_errors: 1,
                    rx_dropped: 2,
                    tx_dropped: 3,
                }),
                upcall_pids: vec![0],
            },
            Vport {
                port_no: 3,
                port_type: OVS_VPORT_TYPE_INTERNAL,
                name: "br0".into(),
                stats: None,
                upcall_pids: vec![],
            },
        ]
    }

    #[test]
    fn show_reads_like_ovs_dpctl() {
        assert_eq!(
            format_show(&datapath(), &ports(), false),
            "system@dp0:\n  lookups: hit:30 missed:10 lost:1\n  flows: 3\n  \
             masks: hit:50 total:2 hit/pkt:1.25\n  port 0: net_null0\n  port 3: br0 (internal)\n"
        );
    }

    #[test]
    fn cache_lines_follow_the_megaflow_stats() {
        let mut dp = datapath();
        dp.megaflow_stats = Some(MegaflowStats {
            mask_hit: 0,
            masks: 0,
            cache_hit: Some(30),
        });
        dp.masks_cache_size = Some(256);
        let text = format_show(&dp, &[], false);
        assert!(
            text.ends_with(
                "  masks: hit:0 total:0 hit/pkt:0.00\n  cache: hit:30 hit-rate:75.00%\n  \
                 caches:\n    masks-cache: size:256\n"
            ),
            "{text}"
        );
        // No packets yet: rates are 0, not NaN.
        dp.stats = Some(DpStats::default());
        let text = format_show(&dp, &[], false);
        assert!(
            text.contains("hit/pkt:0.00") && text.contains("hit-rate:0.00%"),
            "{text}"
        );
    }

    #[test]
    fn statistics_print_each_ports_counters() {
        let text = format_show(&datapath(), &ports(), true);
        let expected_port0 = "  port 0: net_null0\n\
            \x20   RX packets:40 errors:0 dropped:2 overruns:? frame:?\n\
            \x20   TX packets:7 errors:1 dropped:3 aborted:? carrier:?\n\
            \x20   collisions:?\n\
            \x20   RX bytes:2560 (2.5 KiB)  TX bytes:448\n";
        assert!(text.contains(expected_port0), "{text}");
        let expected_port3 = "  port 3: br0 (internal)\n\
            \x20   RX packets:? errors:? dropped:? overruns:? frame:?\n";
        assert!(text.contains(expected_port3), "{text}");
    }

    #[test]
    fn sizes_are_binary_units() {
        assert_eq!(human_size(Some(1023)), "");
        assert_eq!(human_size(Some(1024)), " (1.0 KiB)");
        assert_eq!(human_size(Some(3 << 20)), " (3.0 MiB)");
        assert_eq!(human_size(Some(5 << 40)), " (5.0 TiB)");
        assert_eq!(human_size(None), "");
    }
}
