//! Round-trips the flow strings of Open vSwitch's own tests (shared corpus)
//! through dpswitch's text syntax. Lines that use attributes or actions
//! outside dpswitch's scope must be refused with an error naming one of
//! them; every other line must print back unchanged.

mod corpus;

use dpswitch::flow::text::{
    format_actions, format_key, format_match, parse_actions, parse_key, parse_match, TextError,
};

/// Key attribute names dpswitch does not support.
const OUT_OF_SCOPE_KEYS: &[&str] = &[
    "tunnel",
    "ct_state",
    "ct_zone",
    "ct_mark",
    "ct_label",
    "ct_tuple4",
    "ct_tuple6",
    "mpls",
    "nsh",
    "packet_type",
    "nd_ext",
];

/// Action names and userspace cookie forms dpswitch does not support.
const OUT_OF_SCOPE_ACTIONS: &[&str] = &[
    "ct",
    "ct_clear",
    "recirc",
    "hash",
    "trunc",
    "tnl_push",
    "tnl_pop",
    "check_pkt_len",
    "meter",
    "lb_output",
    "add_mpls",
    "push_mpls",
    "pop_mpls",
    "psample",
    "push_eth",
    "pop_eth",
    "push_nsh",
    "pop_nsh",
    "dec_ttl",
    "sFlow",
    "slow_path",
    "flow_sample",
    "ipfix",
    "controller",
];

/// Identifiers (`[A-Za-z_][A-Za-z0-9_]*`) used in a line.
fn identifiers(line: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let bytes = line.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if c.is_ascii_alphabetic() || c == b'_' {
            let start = i;
            while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                i += 1;
            }
            out.push(&line[start..i]);
        } else if c.is_ascii_digit() {
            // Skip numbers such as "0x7f10354" whole.
            while i < bytes.len() && bytes[i].is_ascii_alphanumeric() {
                i += 1;
            }
        } else {
            i += 1;
        }
    }
    out
}

fn out_of_scope_names<'a>(line: &'a str, lists: &[&[&str]]) -> Vec<&'a str> {
    identifiers(line)
        .into_iter()
        .filter(|id| lists.iter().any(|l| l.contains(id)))
        .collect()
}

#[derive(Default)]
struct Tally {
    in_scope: usize,
    out_of_scope: usize,
    failures: Vec<String>,
}

impl Tally {
    /// Checks one line: `roundtrip` returns the reprinted text or an error.
    fn check(
        &mut self,
        tag: &str,
        line: &str,
        names: &[&str],
        roundtrip: Result<String, TextError>,
    ) {
        match (names.is_empty(), roundtrip) {
            (true, Ok(printed)) if printed == line => self.in_scope += 1,
            (true, Ok(printed)) => self.failures.push(format!(
                "{tag}: printed differently\n  in:  {line}\n  out: {printed}"
            )),
            (true, Err(e)) => self
                .failures
                .push(format!("{tag}: refused ({e})\n  in:  {line}")),
            (false, Ok(printed)) => self.failures.push(format!(
                "{tag}: accepted despite {names:?}\n  in:  {line}\n  out: {printed}"
            )),
            (false, Err(e)) => {
                let message = e.to_string();
                if names.iter().any(|n| message.contains(&format!("\"{n}\""))) {
                    self.out_of_scope += 1;
                } else {
                    self.failures.push(format!(
                        "{tag}: refused without naming {names:?}: {message}\n  in:  {line}"
                    ));
                }
            }
        }
    }
}

#[test]
fn corpus_round_trips() {
    let Some(text) = corpus::odp_corpus() else {
        return;
    };

    let mut keys = Tally::default();
    let mut matches = Tally::default();
    let mut actions = Tally::default();
    let mut invalid_refused = 0usize;
    let mut invalid_accepted = Vec::new();
    let mut plain_key_lines = 0usize;

    for raw in text.lines() {
        let Some((tag, line)) = raw.split_once('\t') else {
            continue;
        };
        match tag {
            "KEY" | "KEY-FULL" | "KEY-VLAN" => {
                let names = out_of_scope_names(line, &[OUT_OF_SCOPE_KEYS]);
                if tag == "KEY" && names.is_empty() {
                    plain_key_lines += 1;
                }
                keys.check(tag, line, &names, parse_key(line).map(|k| format_key(&k)));
            }
            "KEY-WC" | "KEY-WC-VLAN" => {
                let names = out_of_scope_names(line, &[OUT_OF_SCOPE_KEYS]);
                let printed = parse_match(line).map(|(k, m)| format_match(&k, &m));
                matches.check(tag, line, &names, printed);
            }
            "ACTION" => {
                let names = out_of_scope_names(line, &[OUT_OF_SCOPE_ACTIONS, OUT_OF_SCOPE_KEYS]);
                let printed = parse_actions(line).map(|a| format_actions(&a));
                actions.check(tag, line, &names, printed);
            }
            "ACTION-INVALID" => match parse_actions(line) {
                Err(_) => invalid_refused += 1,
                Ok(a) => invalid_accepted.push(format!("{line} -> {}", format_actions(&a))),
            },
            _ => {}
        }
    }

    println!(
        "keys: {} in scope, {} out of scope; wildcarded keys: {} in scope, {} out of scope; \
         actions: {} in scope, {} out of scope; invalid actions refused: {}",
        keys.in_scope,
        keys.out_of_scope,
        matches.in_scope,
        matches.out_of_scope,
        actions.in_scope,
        actions.out_of_scope,
        invalid_refused
    );

    let mut failures = Vec::new();
    failures.extend(keys.failures);
    failures.extend(matches.failures);
    failures.extend(actions.failures);
    failures.extend(
        invalid_accepted
            .into_iter()
            .map(|l| format!("ACTION-INVALID accepted: {l}")),
    );
    assert!(
        failures.is_empty(),
        "{} corpus failures:\n{}",
        failures.len(),
        failures.join("\n")
    );

    // No failures means every line without an out-of-scope name printed
    // back unchanged (every KEY line without mpls or nd_ext, for one); the
    // counts guard against a corpus that lost its lines.
    assert!(
        plain_key_lines >= 15,
        "only {plain_key_lines} plain KEY lines in scope"
    );
    assert!(
        keys.in_scope >= 3 * plain_key_lines,
        "only {} key lines in scope",
        keys.in_scope
    );
    assert!(
        matches.in_scope >= 20,
        "only {} wildcarded lines in scope",
        matches.in_scope
    );
    assert!(
        actions.in_scope >= 40,
        "only {} action lines in scope",
        actions.in_scope
    );
    assert!(invalid_refused > 0);
}
