//! dpswitchd: the dpswitch daemon, launched like every DPDK application:
//!
//! ```text
//! dpswitchd <EAL args> -- [--config FILE] [--socket PATH] [--stats-interval SECS]
//! ```
//!
//! The main lcore manages (signals, stats); every other lcore EAL was given
//! runs a PMD loop. SIGINT or SIGTERM stops it cleanly: PMDs leave their
//! loops, ports stop and close, counters are printed, and the exit code is
//! non-zero if any mbuf did not come back to its pool.

use clap::Parser;
use dpswitch::config::Config;
use dpswitch::control::access::group_id;
use dpswitch::control::admission::Limits;
use dpswitch::control::dp_cmd::DatapathInfo;
use dpswitch::control::preload::preload_flows;
use dpswitch::control::{ControlCounters, ControlServer, ServerConfig};
use dpswitch::datapath::telemetry::Telemetry;
use dpswitch::datapath::upcall_losses::{REASONS, REASON_NAMES};
use dpswitch::datapath::{Report, Switch};
use dpswitch::dpdk::{DpdkError, Eal, PacketCapture};
use dpswitch_proto::dump::{format_flow, DumpStats};
use nix::errno::Errno;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Parser, Debug)]
#[command(
    name = "dpswitchd",
    version,
    about = "dpswitch daemon: a DPDK poll-mode switch with the Open vSwitch datapath's flow commands",
    override_usage = "dpswitchd <EAL args> -- [OPTIONS]",
    after_help = "EAL args are DPDK's: e.g. `-l 0,1` (lcore 0 manages, 1 forwards), \
`--in-memory` (hugepages; `--no-huge -m 512` without them), `--vdev=net_tap0,iface=dps0` \
for each port, and `--no-pci` wherever DPDK must leave the machine's PCI NICs alone. \
`dpswitchd -l 0,1 --no-pci --in-memory --vdev=net_tap0,iface=dps0 -- --stats-interval 1`. \
With `--file-prefix=NAME` instead of `--in-memory`, `dpdk-telemetry.py -f NAME` reads its counters \
and `dpdk-dumpcap --file-prefix=NAME -i PORT` captures a port's packets."
)]
struct Args {
    /// TOML configuration (see conf/); without it every probed port serves.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Unix control socket path (overrides the config's).
    #[arg(long)]
    socket: Option<PathBuf>,
    /// Print datapath counters every SECS seconds (0: only at exit).
    #[arg(long, default_value_t = 0)]
    stats_interval: u64,
    /// Create the datapath's local port 0 (a tap named like the datapath):
    /// yes or no (overrides the config's `datapath.local_port`).
    #[arg(long, value_parser = ["yes", "no"])]
    local_port: Option<String>,
}

const EXIT_USAGE: u8 = 2;
const EXIT_FAILURE: u8 = 1;
const EXIT_LEAK: u8 = 3;

/// How often the management lcore publishes the counters telemetry
/// reads: often enough to look live, rarely enough to cost nothing.
const TELEMETRY_PERIOD: Duration = Duration::from_millis(100);

fn main() -> ExitCode {
    // Handlers go in before EAL: a daemon started in the background by a
    // non-interactive shell ignores SIGINT until one is installed.
    let quit = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        if let Err(e) = signal_hook::flag::register(signal, Arc::clone(&quit)) {
            eprintln!("dpswitchd: cannot install signal handler: {e}");
            return ExitCode::from(EXIT_FAILURE);
        }
    }
    // Application arguments and the config are checked before EAL starts,
    // so a typo fails fast without touching hugepages or devices.
    let (eal_args, app_args) = split_args(std::env::args().collect());
    let args = match Args::try_parse_from(app_args) {
        Ok(a) => a,
        Err(e) => {
            let _ = e.print();
            // --help and --version are answers, not errors.
            return ExitCode::from(if e.use_stderr() { EXIT_USAGE } else { 0 });
        }
    };
    let mut config = match &args.config {
        Some(path) => match Config::load(path) {
            Ok(c) => c,
            Err(e) => {
                eprintln!("dpswitchd: {e}");
                return ExitCode::from(EXIT_USAGE);
            }
        },
        None => Config::default(),
    };
    if let Some(socket) = args.socket {
        config.datapath.control_socket = socket;
    }
    if let Some(local) = &args.local_port {
        config.datapath.local_port = local == "yes";
    }
    let groups = match ControlGroups::resolve(&config) {
        Ok(g) => g,
        Err(e) => {
            eprintln!("dpswitchd: {e}");
            return ExitCode::from(EXIT_USAGE);
        }
    };
    let eal = match Eal::init(eal_args) {
        Ok(eal) => eal,
        Err(e) => {
            eprintln!("dpswitchd: cannot initialise DPDK: {e}{}", eal_hint(&e));
            return ExitCode::from(EXIT_FAILURE);
        }
    };
    // dpswitch's log types, registered once EAL has read --log-level so
    // that `--log-level=dpswitch.*:debug` applies to them.
    dpswitch::log::register();
    // dpdk-dumpcap and dpdk-pdump attach through pdump's requests; until
    // one does, nothing runs per packet.
    let capture = match PacketCapture::init(&eal) {
        Ok(c) => Some(c),
        Err(e) => {
            eprintln!("dpswitchd: packet capture unavailable: {e}");
            None
        }
    };
    let label = args
        .config
        .as_ref()
        .map_or_else(|| "config".to_string(), |p| p.display().to_string());
    let code = run(&eal, &config, &label, &quit, args.stats_interval, groups);
    drop(capture); // rte_pdump_uninit, the ports closed
    drop(eal); // the last EAL handle: rte_eal_cleanup
    code
}

/// The groups of the control socket, resolved before EAL starts.
struct ControlGroups {
    socket: Option<nix::unistd::Gid>,
    admin: Option<nix::unistd::Gid>,
}

impl ControlGroups {
    fn resolve(config: &Config) -> Result<ControlGroups, String> {
        let lookup = |name: &Option<String>, key: &str| {
            name.as_deref()
                .map(group_id)
                .transpose()
                .map_err(|e| format!("datapath.{key}: {e}"))
        };
        Ok(ControlGroups {
            socket: lookup(&config.datapath.control_group, "control_group")?,
            admin: lookup(&config.datapath.admin_group, "admin_group")?,
        })
    }
}

/// DPDK's convention: EAL arguments, then `--`, then the application's.
/// Both halves start with the program name. A lone `--help`, `-h`,
/// `--version` or `-V` is dpswitchd's, as a new user types it.
fn split_args(mut all: Vec<String>) -> (Vec<String>, Vec<String>) {
    let program = all.first().cloned().unwrap_or_else(|| "dpswitchd".into());
    if all.len() == 2 && ["--help", "-h", "--version", "-V"].contains(&all[1].as_str()) {
        return (vec![program.clone()], all);
    }
    match all.iter().position(|a| a == "--") {
        Some(i) => {
            let app = std::iter::once(program).chain(all.drain(i + 1..)).collect();
            all.truncate(i);
            (all, app)
        }
        None => (all, vec![program]),
    }
}

fn run(
    eal: &Eal,
    config: &Config,
    config_label: &str,
    quit: &AtomicBool,
    stats_interval: u64,
    groups: ControlGroups,
) -> ExitCode {
    let mut switch = match Switch::open(eal, config) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("dpswitchd: {e}");
            return ExitCode::from(EXIT_FAILURE);
        }
    };
    // Config flows go through the same parsing, validation and table
    // insertion a flow command gets; a bad one stops the launch.
    let flows = preload_flows(config, &|n| switch.has_port(n)).and_then(|flows| {
        flows.into_iter().try_for_each(|f| {
            switch
                .install(&f.m, f.actions)
                .map(drop)
                .map_err(|e| format!("line {}: {e}", f.line))
        })
    });
    if let Err(e) = flows {
        eprintln!("dpswitchd: {config_label}: {e}");
        let _ = switch.shutdown();
        return ExitCode::from(EXIT_USAGE);
    }
    let server = ControlServer::bind(ServerConfig {
        path: &config.datapath.control_socket,
        socket_group: groups.socket,
        admin_group: groups.admin,
        datapath: DatapathInfo::new(&config.datapath.name, config.datapath.index as i32),
        limits: Limits {
            total: config.datapath.max_connections as usize,
            per_uid: config.datapath.max_connections_per_uid as usize,
            admin_reserved: config.datapath.admin_reserved_connections as usize,
            idle_after: Duration::from_secs(config.datapath.reclaim_idle_secs),
        },
    });
    let mut server = match server {
        Ok(s) => s,
        Err(e) => {
            eprintln!("dpswitchd: {e}");
            let _ = switch.shutdown();
            return ExitCode::from(EXIT_FAILURE);
        }
    };
    if let Err(e) = switch.launch(eal) {
        eprintln!("dpswitchd: {e}");
        let _ = switch.shutdown();
        return ExitCode::from(EXIT_FAILURE);
    }
    println!(
        "dpswitchd: datapath {} running: {} on lcore(s) {}, {} flow(s)",
        config.datapath.name,
        switch
            .ports()
            .map(|p| format!("port {} = {}", p.number, p.name))
            .collect::<Vec<_>>()
            .join(", "),
        switch
            .lcores()
            .map(|l| l.to_string())
            .collect::<Vec<_>>()
            .join(","),
        switch.flow_count()
    );
    // DPDK's telemetry thread answers /dpswitch/... from what the loop
    // below publishes every TELEMETRY_PERIOD.
    let telemetry = match Telemetry::register() {
        Ok(t) => Some(t),
        Err(e) => {
            eprintln!("dpswitchd: telemetry commands unavailable: {e}");
            None
        }
    };
    let mut next_publish = Instant::now();
    let interval = Duration::from_secs(stats_interval);
    let mut next_stats = Instant::now() + interval;
    // OVS re-ranks its subtables every second; links and lost upcalls are
    // looked at as often.
    let mut next_tick = Instant::now() + Duration::from_secs(1);
    println!(
        "dpswitchd: control socket listening on {}",
        server.path().display()
    );
    while !quit.load(Ordering::Relaxed) {
        // Requests are served as they come; the wait bounds how late the
        // upkeep below runs and how long a signal waits to be noticed.
        server.serve(&mut switch, Duration::from_millis(20));
        let now = Instant::now();
        let tick = now >= next_tick;
        if tick {
            next_tick = now + Duration::from_secs(1);
        }
        switch.maintain(tick);
        if let Some(telemetry) = telemetry.as_ref().filter(|_| now >= next_publish) {
            next_publish = now + TELEMETRY_PERIOD;
            telemetry.publish(&switch);
        }
        if stats_interval > 0 && now >= next_stats {
            next_stats += interval;
            print_counters(
                "stats",
                &switch.port_stats(),
                &switch.upcall_losses(),
                &switch.counters(),
            );
            print_control("stats", &server.counters());
            print_memory("stats", &switch);
        }
    }
    // Read before the server goes: its connections close with it.
    let control = server.counters();
    drop(server);
    print_memory("exit", &switch);
    println!("dpswitchd: stopping");
    let report = match switch.shutdown() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("dpswitchd: shutdown: {e}");
            return ExitCode::from(EXIT_FAILURE);
        }
    };
    print_report(&report, &control)
}

fn print_counters(
    what: &str,
    ports: &[(
        dpswitch::datapath::plan::PortPlan,
        dpswitch::dpdk::PortStats,
    )],
    losses: &[(u32, [u64; REASONS])],
    pmd: &dpswitch_proto::pmd::stats::PmdCounters,
) {
    for (plan, s) in ports {
        // Upcalls from this port that no handler got, by reason.
        let lost = losses
            .iter()
            .find(|(number, _)| *number == plan.number)
            .map_or([0; REASONS], |(_, l)| *l);
        let lost: String = REASON_NAMES
            .iter()
            .zip(lost)
            .map(|(name, n)| format!(" upcall_lost_{name}={n}"))
            .collect();
        println!(
            "dpswitchd: {what}: port {} name={} rx_packets={} rx_bytes={} tx_packets={} tx_bytes={} rx_missed={} rx_errors={} tx_errors={} rx_nombuf={}{lost}",
            plan.number, plan.name, s.ipackets, s.ibytes, s.opackets, s.obytes, s.imissed, s.ierrors, s.oerrors, s.rx_nombuf
        );
    }
    println!(
        "dpswitchd: {what}: datapath received={} hit={} missed={} lost={} mask_hit={} cache_hit={} cycles_per_packet={:.1}",
        pmd.rx_packets,
        pmd.hit,
        pmd.missed,
        pmd.lost,
        pmd.mask_hit,
        pmd.cache_hit,
        pmd.cycles_per_packet().unwrap_or(0.0)
    );
}

/// Where the memory is: the resident set (what the kernel charges the
/// process, hugepages aside), DPDK's heaps, the process heap in use, the
/// packet pool's mbufs out.
fn print_memory(what: &str, switch: &Switch) {
    let (dpdk_heap, process_heap) = switch.heap_bytes();
    println!(
        "dpswitchd: {what}: memory rss_kib={} dpdk_heap_bytes={dpdk_heap} process_heap_bytes={process_heap} mbufs_in_use={} flows={}",
        dpswitch::dpdk::resident_kib().unwrap_or(0),
        switch.mbufs_in_use(),
        switch.flow_count()
    );
}

/// A line of its own, so the datapath line keeps its fields.
fn print_control(what: &str, counters: &ControlCounters) {
    println!("dpswitchd: {what}: control {counters}");
}

fn print_report(report: &Report, control: &ControlCounters) -> ExitCode {
    print_counters("exit", &report.ports, &report.upcall_losses, &report.pmd);
    print_control("exit", control);
    println!(
        "dpswitchd: exit: flows={} masks={}",
        report.flows.len(),
        report.masks
    );
    for f in &report.flows {
        let stats = DumpStats {
            packets: f.stats.packets,
            bytes: f.stats.bytes,
            used_ago: f.used_ago,
            tcp_flags: f.stats.tcp_flags,
        };
        println!(
            "dpswitchd: exit: flow {}",
            format_flow(&f.key, &f.mask, &stats, &f.actions)
        );
    }
    println!(
        "dpswitchd: exit: mbufs in use {} of {}",
        report.mbufs_in_use, report.mbufs_total
    );
    if report.mbufs_in_use != 0 {
        eprintln!(
            "dpswitchd: {} mbufs leaked (not back in the pool at exit)",
            report.mbufs_in_use
        );
        return ExitCode::from(EXIT_LEAK);
    }
    ExitCode::SUCCESS
}

/// What a user can do about the usual EAL start failures.
fn eal_hint(e: &DpdkError) -> &'static str {
    match e.errno() {
        // EAL's "Cannot get hugepage information" / no free pages.
        Some(Errno::EACCES | Errno::ENOMEM) => {
            " (no usable hugepages: run scripts/setup.sh, or pass --no-huge -m 512 to EAL)"
        }
        Some(Errno::EALREADY) => " (EAL already initialised in this process)",
        _ => "",
    }
}
