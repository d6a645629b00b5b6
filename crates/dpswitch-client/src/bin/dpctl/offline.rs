//! The offline subcommands mirror `ovstest test-odp`: each reads one flow
//! key (or action list) per line on stdin, pushes it through text ->
//! netlink attributes -> text, and prints the result, so the round trip can
//! be compared with Open vSwitch's own expected output.

use dpswitch_proto::flow::text;
use dpswitch_proto::netlink::{action, key};
use std::io::{BufRead, Write};
use std::process::ExitCode;

/// The subcommands of ovstest test-odp, by the same names.
#[derive(Clone, Copy, Debug)]
pub enum Offline {
    /// parse-keys
    Keys,
    /// parse-wc-keys
    WcKeys,
    /// parse-actions
    Actions,
}

/// Reads one item per line on stdin and prints each round trip's result.
pub fn run(command: Offline) -> ExitCode {
    let round_trip: fn(&str) -> String = match command {
        Offline::Keys => key_round_trip,
        Offline::WcKeys => match_round_trip,
        Offline::Actions => actions_round_trip,
    };
    let stdin = std::io::stdin();
    let mut out = std::io::stdout().lock();
    for line in stdin.lock().lines() {
        let line = match line {
            Ok(l) => l,
            Err(e) => {
                eprintln!("dpctl: reading stdin: {e}");
                return ExitCode::FAILURE;
            }
        };
        // Like ovstest: blank lines and comments are skipped.
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if writeln!(out, "{}", round_trip(line)).is_err() {
            return ExitCode::FAILURE;
        }
    }
    ExitCode::SUCCESS
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
