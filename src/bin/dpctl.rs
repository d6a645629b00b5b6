//! dpctl: the datapath control tool, in the syntax of Open vSwitch's
//! `ovs-dpctl`.
//!
//! The offline subcommands mirror `ovstest test-odp`: each reads one flow key
//! (or action list) per line on stdin, pushes it through text -> netlink
//! attributes -> text, and prints the result, so the round trip can be
//! compared with Open vSwitch's own expected output.

use clap::{Parser, Subcommand};
use dpswitch::flow::text;
use dpswitch::netlink::{action, key};
use std::io::{BufRead, Write};

#[derive(Parser)]
#[command(name = "dpctl", version, about = "Control a dpswitch datapath")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

// The subcommand names are ovstest test-odp's: parse-keys, parse-wc-keys,
// parse-actions.
#[allow(clippy::enum_variant_names)]
#[derive(Subcommand)]
enum Command {
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

fn main() {
    let cli = Cli::parse();
    let round_trip: fn(&str) -> String = match cli.command {
        Command::ParseKeys => key_round_trip,
        Command::ParseWcKeys => match_round_trip,
        Command::ParseActions => actions_round_trip,
    };
    let stdin = std::io::stdin();
    let mut out = std::io::stdout().lock();
    for line in stdin.lock().lines() {
        let line = match line {
            Ok(l) => l,
            Err(e) => {
                eprintln!("dpctl: reading stdin: {e}");
                std::process::exit(1);
            }
        };
        // Like ovstest: blank lines and comments are skipped.
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if writeln!(out, "{}", round_trip(line)).is_err() {
            std::process::exit(1);
        }
    }
}

fn key_round_trip(line: &str) -> String {
    let attrs = match text::parse_key(line) {
        Ok(a) => a,
        Err(e) => return format!("odp_flow_from_string: error ({e})"),
    };
    let wire = key::encode_key(&attrs).and_then(|bytes| key::decode_key(&bytes));
    match wire {
        Ok(back) => text::format_key(&back),
        Err(e) => format!("odp_flow_key_to_flow: error ({e})"),
    }
}

fn match_round_trip(line: &str) -> String {
    let (k, m) = match text::parse_match(line) {
        Ok(km) => km,
        Err(e) => return format!("odp_flow_from_string: error ({e})"),
    };
    // The mask goes through the same attribute codec as the key: this is a
    // wire round trip, not the datapath's mask semantics.
    let wire = key::encode_key(&k)
        .and_then(|bytes| key::decode_key(&bytes))
        .and_then(|k| Ok((k, key::decode_key(&key::encode_key(&m)?)?)));
    match wire {
        Ok((k, m)) => text::format_match(&k, &m),
        Err(e) => format!("odp_flow_key_to_flow: error ({e})"),
    }
}

fn actions_round_trip(line: &str) -> String {
    let actions = match text::parse_actions(line) {
        Ok(a) => a,
        Err(e) => return format!("odp_actions_from_string: error ({e})"),
    };
    let wire = action::encode_actions(&actions).and_then(|bytes| action::decode_actions(&bytes));
    match wire {
        Ok(back) => text::format_actions(&back),
        Err(e) => format!("odp_actions_from_string: error ({e})"),
    }
}
