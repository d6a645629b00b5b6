//! dpctl: the datapath control tool, in the syntax of Open vSwitch's
//! `ovs-dpctl`.
//!
//! Online subcommands talk to a running dpswitchd over its control socket
//! and print what ovs-dpctl prints; offline ones (`parse-*`) round-trip
//! flow text through the netlink encoding without a daemon.

mod args;
mod flows;
mod learn;
mod offline;
mod pmd;
mod ports;
mod show;

use clap::{ArgAction, Parser, Subcommand};
use dpswitch_client::client::Client;
use dpswitch_proto::DEFAULT_SOCKET;
use offline::Offline;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "dpctl", version, about = "Control a dpswitch datapath")]
struct Cli {
    /// dpswitchd's control socket [default: $DPSWITCH_SOCKET, else
    /// /run/dpswitch/dpswitch.sock]
    #[arg(long, global = true, value_name = "PATH")]
    socket: Option<PathBuf>,
    /// Print more: UFIDs, every field with its mask, the datapath layer
    /// (dump-flows, get-flow, monitor).
    #[arg(short = 'm', long = "more", global = true, action = ArgAction::Count)]
    more: u8,
    /// Print counters: each port's (show), the changed flow's (add-flow,
    /// mod-flow, del-flow).
    #[arg(short = 's', long = "statistics", global = true)]
    statistics: bool,
    /// mod-flow: reset the flow's counters.
    #[arg(long, global = true)]
    clear: bool,
    /// mod-flow: add the flow when it does not exist.
    #[arg(long = "may-create", global = true)]
    may_create: bool,
    /// The flow's UFID (a UUID or 32 hex digits), as a leading `ufid:` in
    /// FLOW gives it.
    #[arg(long, global = true, value_name = "UFID")]
    ufid: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Show each datapath (or those named): lookups, flows, masks, ports.
    Show {
        #[arg(value_name = "DP")]
        dps: Vec<String>,
    },
    /// Create a datapath (with its local port) and add the interfaces given.
    AddDp {
        dp: String,
        #[arg(value_name = "NETDEV[,type=TYPE][,port_no=N]")]
        ifaces: Vec<String>,
    },
    /// Delete a datapath with its flows and ports.
    DelDp { dp: String },
    /// Add ports: TYPE system (default: attach the kernel interface) or
    /// internal (create it).
    AddIf {
        dp: String,
        #[arg(value_name = "NETDEV[,type=TYPE][,port_no=N]", required = true)]
        ifaces: Vec<String>,
    },
    /// Delete ports by name.
    DelIf {
        dp: String,
        #[arg(value_name = "NETDEV", required = true)]
        ifaces: Vec<String>,
    },
    /// Add a flow: [DP] FLOW ACTIONS (FLOW may start with ufid:UFID).
    #[command(override_usage = "dpctl add-flow [OPTIONS] [DP] FLOW ACTIONS")]
    AddFlow {
        #[arg(value_name = "ARG", num_args = 2..=3, required = true)]
        args: Vec<String>,
    },
    /// Change a flow's actions: [DP] FLOW ACTIONS.
    #[command(override_usage = "dpctl mod-flow [OPTIONS] [DP] FLOW ACTIONS")]
    ModFlow {
        #[arg(value_name = "ARG", num_args = 2..=3, required = true)]
        args: Vec<String>,
    },
    /// Print one flow, found by UFID or key: [DP] FLOW.
    #[command(override_usage = "dpctl get-flow [OPTIONS] [DP] FLOW")]
    GetFlow {
        #[arg(value_name = "ARG", num_args = 1..=2, required = true)]
        args: Vec<String>,
    },
    /// Delete one flow, found by UFID or key: [DP] FLOW.
    #[command(override_usage = "dpctl del-flow [OPTIONS] [DP] FLOW")]
    DelFlow {
        #[arg(value_name = "ARG", num_args = 1..=2, required = true)]
        args: Vec<String>,
    },
    /// Delete every flow of the datapath.
    DelFlows { dp: Option<String> },
    /// Print every flow of the datapath, one per line.
    DumpFlows { dp: Option<String> },
    /// Print each flow change as it happens: NEW, SET or DEL, then the flow.
    Monitor { dp: Option<String> },
    /// Be the datapath's L2 learning switch: handle the ports' misses,
    /// learn source MACs, install in_port + Ethernet source + destination
    /// flows, flood the rest, age MACs; until SIGINT or SIGTERM.
    Learn {
        dp: Option<String>,
        /// Forget a MAC unseen (by a miss or a flow's use) this long.
        #[arg(long = "max-idle", value_name = "SECS", default_value_t = 300,
              value_parser = clap::value_parser!(u64).range(1..))]
        max_idle: u64,
        /// The ports to switch between: `all`, or port numbers separated
        /// by commas.
        #[arg(long, value_name = "all|LIST", default_value = "all")]
        ports: String,
    },
    /// Each PMD lcore's iterations, cycles, packets, flow cache and
    /// megaflow hits, upcalls and tx bursts since the last clear.
    #[command(
        alias = "pmd-stats-show",
        alias = "dpif-netdev/pmd-perf-show",
        alias = "dpif-netdev/pmd-stats-show"
    )]
    PmdPerfShow { dp: Option<String> },
    /// Which PMD lcore polls which rx queue, and the queue's share of its
    /// cycles.
    #[command(alias = "dpif-netdev/pmd-rxq-show")]
    PmdRxqShow { dp: Option<String> },
    /// Start the PMD figures over.
    #[command(alias = "dpif-netdev/pmd-stats-clear")]
    PmdStatsClear { dp: Option<String> },
    /// Let idle PMDs sleep up to USECS per iteration (0: never; at most
    /// 10000), as OVS's pmd-maxsleep.
    #[command(
        alias = "pmd-maxsleep",
        override_usage = "dpctl pmd-sleep-set [DP] USECS"
    )]
    PmdSleepSet {
        #[arg(value_name = "ARG", num_args = 1..=2, required = true)]
        args: Vec<String>,
    },
    /// Time every stage of every burst (on) or not (off, the default):
    /// pmd-perf-show then says where a packet's cycles go.
    #[command(override_usage = "dpctl pmd-stage-cycles [DP] on|off")]
    PmdStageCycles {
        #[arg(value_name = "ARG", num_args = 1..=2, required = true)]
        args: Vec<String>,
    },
    /// The idle PMDs' sleep limit.
    #[command(alias = "dpif-netdev/pmd-sleep-show")]
    PmdSleepShow { dp: Option<String> },
    /// Flows now, on average and at most, the flow limit and the installs
    /// it refused, the upcall queues, lost upcalls per port.
    #[command(alias = "upcall/show")]
    UpcallShow { dp: Option<String> },
    /// Read exact flow keys, one per line, and print them back after a
    /// round trip through the netlink encoding.
    ParseKeys,
    /// Read flow keys with masks (`field=value/mask`), one per line, and
    /// print them back after a round trip through the netlink encoding.
    ParseWcKeys,
    /// Read datapath action lists, one per line, and print them back after
    /// a round trip through the netlink encoding.
    ParseActions,
}

/// The options every online subcommand may use.
pub struct Options {
    pub verbose: bool,
    pub statistics: bool,
    pub clear: bool,
    pub may_create: bool,
    pub ufid: Option<String>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let options = Options {
        verbose: cli.more > 0,
        statistics: cli.statistics,
        clear: cli.clear,
        may_create: cli.may_create,
        ufid: cli.ufid,
    };
    let name = match &cli.command {
        Command::ParseKeys => return offline::run(Offline::Keys),
        Command::ParseWcKeys => return offline::run(Offline::WcKeys),
        Command::ParseActions => return offline::run(Offline::Actions),
        Command::Show { .. } => "show",
        Command::AddDp { .. } => "add-dp",
        Command::DelDp { .. } => "del-dp",
        Command::AddIf { .. } => "add-if",
        Command::DelIf { .. } => "del-if",
        Command::AddFlow { .. } => "add-flow",
        Command::ModFlow { .. } => "mod-flow",
        Command::GetFlow { .. } => "get-flow",
        Command::DelFlow { .. } => "del-flow",
        Command::DelFlows { .. } => "del-flows",
        Command::DumpFlows { .. } => "dump-flows",
        Command::Monitor { .. } => "monitor",
        Command::Learn { .. } => "learn",
        Command::PmdPerfShow { .. } => "pmd-perf-show",
        Command::PmdRxqShow { .. } => "pmd-rxq-show",
        Command::PmdStatsClear { .. } => "pmd-stats-clear",
        Command::PmdSleepSet { .. } => "pmd-sleep-set",
        Command::PmdSleepShow { .. } => "pmd-sleep-show",
        Command::PmdStageCycles { .. } => "pmd-stage-cycles",
        Command::UpcallShow { .. } => "upcall-show",
    };
    let socket = cli
        .socket
        .or_else(|| std::env::var_os("DPSWITCH_SOCKET").map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from(DEFAULT_SOCKET));
    let result = Client::connect(&socket)
        .map_err(|e| e.to_string())
        .and_then(|mut client| run(&mut client, &cli.command, &options));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("dpctl: {name}: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(client: &mut Client, command: &Command, options: &Options) -> Result<(), String> {
    match command {
        Command::Show { dps } => show::show(client, dps, options),
        Command::AddDp { dp, ifaces } => ports::add_dp(client, dp, ifaces),
        Command::DelDp { dp } => ports::del_dp(client, dp),
        Command::AddIf { dp, ifaces } => ports::add_if(client, dp, ifaces),
        Command::DelIf { dp, ifaces } => ports::del_if(client, dp, ifaces),
        Command::AddFlow { args } => flows::add_flow(client, args, options),
        Command::ModFlow { args } => flows::mod_flow(client, args, options),
        Command::GetFlow { args } => flows::get_flow(client, args, options),
        Command::DelFlow { args } => flows::del_flow(client, args, options),
        Command::DelFlows { dp } => flows::del_flows(client, dp.as_deref()),
        Command::DumpFlows { dp } => flows::dump_flows(client, dp.as_deref(), options),
        Command::Monitor { dp } => flows::monitor(client, dp.as_deref(), options),
        Command::Learn {
            dp,
            max_idle,
            ports,
        } => learn::learn(client, dp.as_deref(), *max_idle, ports),
        Command::PmdPerfShow { dp } => pmd::perf_show(client, dp.as_deref()),
        Command::PmdRxqShow { dp } => pmd::rxq_show(client, dp.as_deref()),
        Command::PmdStatsClear { dp } => pmd::stats_clear(client, dp.as_deref()),
        Command::PmdSleepSet { args } => {
            let (dp, rest) = args::split_dp(args, 1);
            let us = rest[0]
                .parse()
                .map_err(|_| format!("{:?} is not a number of microseconds", rest[0]))?;
            pmd::sleep_set(client, dp, us)
        }
        Command::PmdSleepShow { dp } => pmd::sleep_show(client, dp.as_deref()),
        Command::PmdStageCycles { args } => {
            let (dp, rest) = args::split_dp(args, 1);
            let on = match rest[0].as_str() {
                "on" => true,
                "off" => false,
                other => return Err(format!("{other:?}: say on or off")),
            };
            pmd::stage_cycles(client, dp, on)
        }
        Command::UpcallShow { dp } => pmd::upcall_show(client, dp.as_deref()),
        // Offline: handled before connecting.
        Command::ParseKeys | Command::ParseWcKeys | Command::ParseActions => Ok(()),
    }
}
