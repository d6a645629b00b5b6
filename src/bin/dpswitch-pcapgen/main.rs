//! dpswitch-pcapgen: the traffic and flow tables of the megaflow benchmark
//! (`perf/megaflow.sh`).
//!
//! `pcap` writes 64-byte UDP/IPv4 frames, packet `i` of flow `i % N`, with
//! the address layout of `layout.rs` (or one shard of those flows, for a
//! port with one capture per rx queue); `rules` prints the 1-, 10- or
//! 100-mask flow table that splits that traffic evenly, as dpswitch
//! `[[flow]]` config entries or as OpenFlow rules for Open vSwitch.

mod frame;
mod layout;
mod rules;

use clap::{Parser, Subcommand, ValueEnum};
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "dpswitch-pcapgen",
    version,
    about = "Traffic and flow tables for the megaflow benchmark"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Write a pcap of 64-byte UDP/IPv4 frames: packet i belongs to flow
    /// i mod FLOWS.
    Pcap {
        /// Distinct 5-tuples.
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..=(1 << 24)))]
        flows: u32,
        /// At least this many packets: the capture holds whole rounds of
        /// the flows, so its replay keeps the i mod FLOWS order.
        #[arg(long = "min-packets", default_value_t = 4096)]
        min_packets: u32,
        /// Write only shard K of SHARDS: the flows f with f mod SHARDS
        /// = K, in the same order (one capture per rx queue, the flows
        /// spread over them as RSS would).
        #[arg(long, default_value_t = 0)]
        shard: u32,
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
        shards: u32,
        /// The pcap file to write.
        #[arg(long, short)]
        out: PathBuf,
    },
    /// Print the flow table with MASKS masks (1, 10 or 100).
    Rules {
        #[arg(long)]
        masks: u32,
        #[arg(long, value_enum)]
        format: Format,
        /// The port the traffic comes in on.
        #[arg(long = "in-port", default_value_t = 0)]
        in_port: u32,
        /// The port every rule forwards to.
        #[arg(long = "out-port", default_value_t = 1)]
        out_port: u32,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    /// dpswitchd config `[[flow]]` entries (ovs-dpctl syntax).
    Toml,
    /// `ovs-ofctl add-flows` lines.
    Openflow,
}

/// Packets in a capture of `flows` flows: whole rounds, at least `min`.
fn packet_count(flows: u32, min: u32) -> u64 {
    let rounds = u64::from(min).div_ceil(u64::from(flows)).max(1);
    rounds * u64::from(flows)
}

/// The flows of shard `shard` of `shards`: those equal to it mod `shards`.
fn shard_flows(flows: u32, shard: u32, shards: u32) -> Vec<u32> {
    (0..flows).filter(|f| f % shards == shard).collect()
}

fn write_pcap(
    flows: u32,
    (shard, shards): (u32, u32),
    min_packets: u32,
    out: &PathBuf,
) -> std::io::Result<u64> {
    let frames: Vec<[u8; frame::FRAME_LEN]> = shard_flows(flows, shard, shards)
        .into_iter()
        .map(|f| frame::udp_frame(&layout::flow_tuple(f)))
        .collect();
    if frames.is_empty() {
        return Err(std::io::Error::other(format!(
            "shard {shard} of {shards} holds none of {flows} flows"
        )));
    }
    let n = frames.len() as u32;
    let packets = packet_count(n, min_packets);
    let mut w = frame::PcapWriter::new(BufWriter::new(std::fs::File::create(out)?))?;
    for i in 0..packets {
        w.frame(&frames[(i % u64::from(n)) as usize])?;
    }
    w.finish()?;
    Ok(packets)
}

fn print_rules(masks: u32, format: Format, in_port: u32, out_port: u32) -> Result<(), String> {
    let table = rules::table(masks)?;
    let mut out = std::io::stdout().lock();
    for r in &table {
        let text = match format {
            Format::Toml => format!(
                "[[flow]]\nkey = \"{}\"\nactions = \"{out_port}\"\n",
                r.dpctl_key(in_port)
            ),
            Format::Openflow => r.openflow(in_port, out_port),
        };
        writeln!(out, "{text}").map_err(|e| e.to_string())?;
    }
    Ok(())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Pcap {
            flows,
            min_packets,
            shard,
            shards,
            out,
        } => write_pcap(flows, (shard, shards), min_packets, &out)
            .map(|packets| {
                eprintln!(
                    "dpswitch-pcapgen: {}: {packets} packets, {flows} flows",
                    out.display()
                )
            })
            .map_err(|e| format!("{}: {e}", out.display())),
        Command::Rules {
            masks,
            format,
            in_port,
            out_port,
        } => print_rules(masks, format, in_port, out_port),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("dpswitch-pcapgen: {e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn captures_hold_whole_rounds_of_flows() {
        assert_eq!(packet_count(1, 4096), 4096);
        assert_eq!(packet_count(1000, 4096), 5000);
        assert_eq!(packet_count(65_536, 4096), 65_536);
        assert_eq!(packet_count(3, 0), 3);
    }

    #[test]
    fn shards_split_the_flows() {
        assert_eq!(shard_flows(7, 0, 1), (0..7).collect::<Vec<_>>());
        assert_eq!(shard_flows(7, 1, 3), vec![1, 4]);
        assert_eq!(shard_flows(7, 0, 3), vec![0, 3, 6]);
        assert!(shard_flows(2, 2, 3).is_empty());
        let path = std::env::temp_dir().join(format!("pcapgen-shard-{}.pcap", std::process::id()));
        assert!(write_pcap(2, (2, 3), 1, &path).is_err());
        assert_eq!(write_pcap(1000, (1, 2), 2048, &path).unwrap(), 2500);
        let _ = std::fs::remove_file(&path);
    }

    #[test]
    fn pcap_file_replays_flows_in_order() {
        let path = std::env::temp_dir().join(format!("pcapgen-test-{}.pcap", std::process::id()));
        let packets = write_pcap(3, (0, 1), 7, &path).unwrap();
        let bytes = std::fs::read(&path).unwrap();
        std::fs::remove_file(&path).unwrap();
        assert_eq!(packets, 9);
        assert_eq!(bytes.len(), 24 + 9 * (16 + frame::FRAME_LEN));
        let record = |i: usize| {
            let at = 24 + i * (16 + frame::FRAME_LEN) + 16;
            bytes[at..at + frame::FRAME_LEN].to_vec()
        };
        for i in 0..9 {
            let want = frame::udp_frame(&layout::flow_tuple((i % 3) as u32));
            assert_eq!(record(i), want.to_vec(), "packet {i}");
        }
        assert_ne!(record(0), record(1));
    }
}
