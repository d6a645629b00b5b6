//! The PMD windows, in the shapes of OVS-DPDK's `ovs-appctl` commands:
//! `pmd-perf-show` (`dpif-netdev/pmd-perf-show`; `pmd-stats-show` is the
//! same), `pmd-rxq-show`, `pmd-stats-clear`, `pmd-sleep-set` and
//! `pmd-sleep-show` (OVS's `pmd-maxsleep`), `pmd-stage-cycles` (where a
//! packet's cycles go: rx, extract, classify, actions, tx), and `upcall-show`
//! (`upcall/show`). `core_id` is the PMD's DPDK lcore id.

use crate::args::open_datapath;
use crate::flows::print_line;
use crate::show::port_losses_line;
use dpswitch_client::client::{Client, UpcallReport};
use dpswitch_proto::pmd::figures::{PerfReport, PmdFigures};
use std::fmt::Write as _;
use std::time::{SystemTime, UNIX_EPOCH};

/// pmd-perf-show [DP].
pub fn perf_show(client: &mut Client, dp: Option<&str>) -> Result<(), String> {
    let dp = open_datapath(client, dp)?;
    let perf = client.pmd_perf(dp.dp_ifindex).map_err(|e| e.to_string())?;
    print_line(format_perf(&perf, &wall_clock()).trim_end());
    Ok(())
}

/// pmd-rxq-show [DP].
pub fn rxq_show(client: &mut Client, dp: Option<&str>) -> Result<(), String> {
    let dp = open_datapath(client, dp)?;
    let perf = client.pmd_perf(dp.dp_ifindex).map_err(|e| e.to_string())?;
    print_line(format_rxqs(&perf).trim_end());
    Ok(())
}

/// pmd-stats-clear [DP].
pub fn stats_clear(client: &mut Client, dp: Option<&str>) -> Result<(), String> {
    let dp = open_datapath(client, dp)?;
    client
        .clear_pmd_stats(dp.dp_ifindex)
        .map_err(|e| e.to_string())
}

/// pmd-sleep-set [DP] USECS.
pub fn sleep_set(client: &mut Client, dp: Option<&str>, us: u32) -> Result<(), String> {
    let dp = open_datapath(client, dp)?;
    let now = client
        .set_pmd_max_sleep(dp.dp_ifindex, us)
        .map_err(|e| e.to_string())?;
    print_line(&sleep_line(now));
    Ok(())
}

/// pmd-stage-cycles [DP] on|off.
pub fn stage_cycles(client: &mut Client, dp: Option<&str>, on: bool) -> Result<(), String> {
    let dp = open_datapath(client, dp)?;
    client
        .set_pmd_stage_cycles(dp.dp_ifindex, on)
        .map_err(|e| e.to_string())
}

/// pmd-sleep-show [DP].
pub fn sleep_show(client: &mut Client, dp: Option<&str>) -> Result<(), String> {
    let dp = open_datapath(client, dp)?;
    let perf = client.pmd_perf(dp.dp_ifindex).map_err(|e| e.to_string())?;
    print_line(&sleep_line(perf.max_sleep_us));
    Ok(())
}

/// upcall-show [DP].
pub fn upcall_show(client: &mut Client, dp: Option<&str>) -> Result<(), String> {
    let dp = open_datapath(client, dp)?;
    let report = client
        .upcall_report(dp.dp_ifindex)
        .map_err(|e| e.to_string())?;
    print_line(format_upcalls(&dp.name, &report).trim_end());
    Ok(())
}

fn sleep_line(us: u32) -> String {
    match us {
        0 => "PMD max sleep: 0 usecs (sleeping disabled)".to_string(),
        us => format!("PMD max sleep: {us} usecs"),
    }
}

/// HH:MM:SS.mmm (UTC), as OVS stamps its measurement.
fn wall_clock() -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let s = now.as_secs() % 86_400;
    format!(
        "{:02}:{:02}:{:02}.{:03}",
        s / 3600,
        s / 60 % 60,
        s % 60,
        now.subsec_millis()
    )
}

/// `part` as a percentage of `whole` (0 when `whole` is).
fn percent(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        100.0 * part as f64 / whole as f64
    }
}

fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

pub fn format_perf(perf: &PerfReport, time: &str) -> String {
    let mut out = String::new();
    let duration = perf.duration.as_secs_f64();
    let _ = writeln!(out, "Time: {time}");
    let _ = writeln!(out, "Measurement duration: {duration:.3} s\n");
    for pmd in &perf.pmds {
        format_pmd(&mut out, pmd, duration, perf.tsc_hz);
    }
    out
}

/// One figure: the label in OVS's 20 columns, the value right-aligned in
/// 12, then what it means in parentheses.
fn row(out: &mut String, label: &str, value: impl std::fmt::Display, detail: Option<String>) {
    let _ = write!(out, "  {label:<20}{value:>12}");
    if let Some(detail) = detail {
        let _ = write!(out, "  ({detail})");
    }
    out.push('\n');
}

fn format_pmd(out: &mut String, pmd: &PmdFigures, duration: f64, tsc_hz: u64) {
    let c = &pmd.counters;
    let us_per_cycle = if tsc_hz == 0 {
        0.0
    } else {
        1e6 / tsc_hz as f64
    };
    let used = c.busy_cycles + c.idle_cycles;
    let total = (duration * tsc_hz as f64) as u64;
    let slept_us = c.sleep_cycles as f64 * us_per_cycle;
    let kpps = |n: u64| n as f64 / duration.max(1e-9) / 1000.0;
    let _ = writeln!(out, "pmd thread core_id {}:\n", pmd.lcore);
    let us_per_iteration =
        (used + c.sleep_cycles) as f64 * us_per_cycle / c.iterations.max(1) as f64;
    row(
        out,
        "Iterations:",
        c.iterations,
        Some(format!("{us_per_iteration:.2} us/it")),
    );
    let share = percent(used, total);
    row(
        out,
        "- Used TSC cycles:",
        used,
        Some(format!("{share:5.1} % of total cycles")),
    );
    let idle = c.iterations.saturating_sub(c.busy_iterations);
    let share = percent(c.idle_cycles, used);
    row(
        out,
        "- idle iterations:",
        idle,
        Some(format!("{share:5.1} % of used cycles")),
    );
    let share = percent(c.busy_cycles, used);
    row(
        out,
        "- busy iterations:",
        c.busy_iterations,
        Some(format!("{share:5.1} % of used cycles")),
    );
    let share = percent(c.sleep_iterations, c.iterations);
    row(
        out,
        "- sleep iterations:",
        c.sleep_iterations,
        Some(format!("{share:5.1} % of iterations")),
    );
    let per_sleep = ratio(c.sleep_cycles, c.sleep_iterations) * us_per_cycle;
    row(
        out,
        "Sleep time (us):",
        format!("{slept_us:.0}"),
        Some(format!("{per_sleep:3.0} us/iteration avg.")),
    );
    if c.rx_packets == 0 {
        row(out, "Rx packets:", 0, None);
    } else {
        let passes = c.rx_packets;
        let megaflow_hits = c.hit.saturating_sub(c.cache_hit);
        let cycles = ratio(c.busy_cycles, c.rx_packets);
        let rate = kpps(c.rx_packets);
        row(
            out,
            "Rx packets:",
            c.rx_packets,
            Some(format!("{rate:.0} Kpps, {cycles:.0} cycles/pkt")),
        );
        let per_packet = ratio(passes, c.rx_packets);
        row(
            out,
            "Datapath passes:",
            passes,
            Some(format!("{per_packet:.2} passes/pkt")),
        );
        let share = percent(c.cache_hit, passes);
        row(
            out,
            "- Flow cache hits:",
            c.cache_hit,
            Some(format!("{share:5.1} %")),
        );
        let share = percent(megaflow_hits, passes);
        let lookups = ratio(c.mask_hit, megaflow_hits);
        row(
            out,
            "- Megaflow hits:",
            megaflow_hits,
            Some(format!("{share:5.1} %, {lookups:.2} subtbl lookups/hit")),
        );
        let share = percent(c.upcalls, passes);
        let us = ratio(c.upcall_cycles, c.upcalls) * us_per_cycle;
        row(
            out,
            "- Upcalls:",
            c.upcalls,
            Some(format!("{share:5.1} %, {us:.1} us/upcall")),
        );
        let share = percent(c.upcalls_lost, passes);
        row(
            out,
            "- Lost upcalls:",
            c.upcalls_lost,
            Some(format!("{share:5.1} %")),
        );
    }
    if c.stage_packets != 0 {
        let per = |cycles: u64| ratio(cycles, c.stage_packets);
        let _ = writeln!(
            out,
            "  Stages (cycles/pkt over {} pkts): rx {:.1}, extract {:.1}, classify {:.1}, actions {:.1}, tx {:.1}",
            c.stage_packets,
            per(c.stage_rx_cycles),
            per(c.stage_extract_cycles),
            per(c.stage_classify_cycles),
            per(c.stage_action_cycles),
            per(c.stage_tx_cycles)
        );
    }
    if c.tx_packets == 0 {
        row(out, "Tx packets:", 0, None);
    } else {
        let rate = kpps(c.tx_packets);
        row(
            out,
            "Tx packets:",
            c.tx_packets,
            Some(format!("{rate:.0} Kpps")),
        );
        let per_batch = ratio(c.tx_packets, c.tx_batches);
        row(
            out,
            "Tx batches:",
            c.tx_batches,
            Some(format!("{per_batch:.2} pkts/batch")),
        );
    }
    out.push('\n');
}

/// Which PMD polls which queue, and the queue's share of its cycles: of
/// all of them (`pmd usage`, as OVS) and of the busy ones.
pub fn format_rxqs(perf: &PerfReport) -> String {
    let mut out = String::new();
    for pmd in &perf.pmds {
        let c = &pmd.counters;
        let used = c.busy_cycles + c.idle_cycles;
        let _ = writeln!(out, "pmd thread core_id {}:", pmd.lcore);
        let _ = writeln!(out, "  isolated : false");
        let mut queues = 0;
        for q in &pmd.rxqs {
            queues += q.cycles;
            let _ = writeln!(
                out,
                "  port: {:<16}  queue-id: {:2} (enabled)   pmd usage: {:2.0} %   busy share: {:3.0} %   packets: {}",
                q.port_name,
                q.queue,
                percent(q.cycles, used),
                percent(q.cycles, c.busy_cycles),
                q.packets
            );
        }
        let _ = writeln!(
            out,
            "  overhead: {:2.0} %",
            percent(c.busy_cycles.saturating_sub(queues), used)
        );
    }
    out
}

/// `upcall/show`'s shape: the table, then the queues and losses.
pub fn format_upcalls(dp: &str, r: &UpcallReport) -> String {
    let f = &r.flows;
    let mut out = String::new();
    let _ = writeln!(out, "{dp}:");
    let _ = writeln!(
        out,
        "  flows         : (current {}) (avg {}) (max {}) (limit {})",
        f.current, f.average, f.max, f.limit
    );
    let _ = writeln!(out, "  flows refused : {} (flow limit reached)", f.refused);
    for (lcore, waiting, size) in &r.queues {
        let _ = writeln!(
            out,
            "  upcall queue  : core_id {lcore}: {waiting} waiting of {size}"
        );
    }
    for p in &r.ports {
        let _ = writeln!(out, "  {}", port_losses_line(p));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use dpswitch_client::client::PortLosses;
    use dpswitch_proto::pmd::figures::{FlowFigures, RxqFigures};
    use dpswitch_proto::pmd::stats::PmdCounters;
    use std::time::Duration;

    fn report() -> PerfReport {
        let counters = PmdCounters {
            rx_packets: 1000,
            hit: 990,
            missed: 10,
            mask_hit: 600,
            cache_hit: 690,
            busy_cycles: 400_000,
            idle_cycles: 1_600_000,
            iterations: 2000,
            busy_iterations: 100,
            upcalls: 8,
            upcall_cycles: 16_000,
            upcalls_lost: 2,
            tx_packets: 990,
            tx_batches: 100,
            stage_packets: 500,
            stage_rx_cycles: 10_000,
            stage_extract_cycles: 5_000,
            stage_classify_cycles: 15_000,
            stage_action_cycles: 12_500,
            stage_tx_cycles: 20_000,
            ..PmdCounters::default()
        };
        PerfReport {
            tsc_hz: 2_000_000_000,
            duration: Duration::from_millis(1000),
            max_sleep_us: 0,
            stage_cycles: false,
            pmds: vec![PmdFigures {
                lcore: 1,
                counters,
                upcall_queue: 0,
                upcall_queue_size: 1024,
                rxqs: vec![RxqFigures {
                    port_number: 1,
                    port_name: "dps0".into(),
                    queue: 0,
                    packets: 1000,
                    cycles: 300_000,
                }],
            }],
        }
    }

    #[test]
    fn perf_show_reads_like_ovs() {
        let text = format_perf(&report(), "12:00:00.000");
        for line in [
            "Time: 12:00:00.000",
            "Measurement duration: 1.000 s",
            "pmd thread core_id 1:",
            "  Iterations:                 2000  (0.50 us/it)",
            "  - Used TSC cycles:       2000000  (  0.1 % of total cycles)",
            "  - idle iterations:          1900  ( 80.0 % of used cycles)",
            "  - busy iterations:           100  ( 20.0 % of used cycles)",
            "  Rx packets:                 1000  (1 Kpps, 400 cycles/pkt)",
            "  Datapath passes:            1000  (1.00 passes/pkt)",
            "  - Flow cache hits:           690  ( 69.0 %)",
            "  - Megaflow hits:             300  ( 30.0 %, 2.00 subtbl lookups/hit)",
            "  - Upcalls:                     8  (  0.8 %, 1.0 us/upcall)",
            "  - Lost upcalls:                2  (  0.2 %)",
            "  Tx packets:                  990  (1 Kpps)",
            "  Tx batches:                  100  (9.90 pkts/batch)",
            "  Stages (cycles/pkt over 500 pkts): rx 20.0, extract 10.0, classify 30.0, actions 25.0, tx 40.0",
        ] {
            assert!(text.contains(line), "no line {line:?} in\n{text}");
        }
    }

    #[test]
    fn an_idle_pmd_shows_zero_packets() {
        let mut perf = report();
        perf.pmds[0].counters = PmdCounters::default();
        let text = format_perf(&perf, "00:00:00.000");
        assert!(!text.contains("Stages"), "{text}");
        assert!(
            text.contains("  Rx packets:                    0\n"),
            "{text}"
        );
        assert!(
            text.contains("  Tx packets:                    0\n"),
            "{text}"
        );
    }

    #[test]
    fn rxq_show_gives_each_queue_its_share() {
        let text = format_rxqs(&report());
        assert!(text.contains("pmd thread core_id 1:"), "{text}");
        assert!(
            text.contains("  port: dps0              queue-id:  0 (enabled)   pmd usage: 15 %   busy share:  75 %   packets: 1000"),
            "{text}"
        );
        assert!(text.contains("  overhead:  5 %"), "{text}");
    }

    #[test]
    fn upcall_show_names_flows_queues_and_losses() {
        let report = UpcallReport {
            flows: FlowFigures {
                current: 3,
                average: 2,
                max: 5,
                limit: 200_000,
                refused: 1,
            },
            queues: vec![(1, 0, 1024)],
            ports: vec![PortLosses {
                port_no: 1,
                rate: 7,
                ..PortLosses::default()
            }],
        };
        let text = format_upcalls("dp0", &report);
        assert_eq!(
            text,
            "dp0:\n  flows         : (current 3) (avg 2) (max 5) (limit 200000)\n  flows refused : 1 (flow limit reached)\n  upcall queue  : core_id 1: 0 waiting of 1024\n  port 1 upcalls lost: no handler:0 rate:7 queue:0 unread:0 userdata:0\n"
        );
    }
}
