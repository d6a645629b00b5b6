//! Flows from the config's `[[flow]]` entries: each key is parsed (masks
//! allowed) and validated as a match (N3/N4), each action list parsed and
//! validated against its match (N7), so a bad entry stops the launch with
//! its line number and the reason, before any packet is forwarded.

use crate::config::Config;
use crate::flow::matching::{match_from_attrs, Match};
use crate::flow::odp::Action;
use crate::flow::text::{parse_actions, parse_match};
use crate::flow::validate::validate_actions;
use crate::netlink::action::encode_actions;

/// A flow ready for the table.
#[derive(Clone, Debug, PartialEq)]
pub struct NewFlow {
    pub m: Match,
    pub actions: Vec<Action>,
    /// Where it came from, for messages.
    pub line: usize,
}

/// Parses and validates every `[[flow]]`; `port_exists` answers for
/// output actions. Errors read `line N: flow key: reason`.
pub fn preload_flows(
    config: &Config,
    port_exists: &dyn Fn(u32) -> bool,
) -> Result<Vec<NewFlow>, String> {
    let mut flows = Vec::with_capacity(config.flows.len());
    for f in &config.flows {
        let line = f.line(config);
        let fail = |what: &str, e: &dyn std::fmt::Display| format!("line {line}: {what}: {e}");
        let (key, mask) = parse_match(f.key.get_ref()).map_err(|e| fail("flow key", &e))?;
        let m = match_from_attrs(&key, Some(&mask)).map_err(|e| fail("flow key", &e))?;
        let actions = parse_actions(f.actions.get_ref()).map_err(|e| fail("actions", &e))?;
        let encoded = encode_actions(&actions).map_err(|e| fail("actions", &e))?;
        validate_actions(&actions, &m, encoded.len(), port_exists)
            .map_err(|e| fail("actions", &e))?;
        if let Some(other) = flows
            .iter()
            .find(|o: &&NewFlow| o.m.masked_key() == m.masked_key() && o.m.mask == m.mask)
        {
            return Err(format!("line {line}: the same flow as line {}", other.line));
        }
        flows.push(NewFlow { m, actions, line });
    }
    Ok(flows)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conf(flows: &[(&str, &str)]) -> Config {
        let mut text = String::from("[datapath]\nname = \"t\"\n");
        for (k, a) in flows {
            text.push_str(&format!("\n[[flow]]\nkey = \"{k}\"\nactions = \"{a}\"\n"));
        }
        Config::parse(&text).unwrap()
    }

    const ARP: &str = "in_port(1),eth(),eth_type(0x0806),arp()";

    #[test]
    fn good_flows_load_with_their_lines() {
        let c = conf(&[(ARP, "2"), ("in_port(2),eth(),eth_type(0x0806),arp()", "1")]);
        let flows = preload_flows(&c, &|p| p == 1 || p == 2).unwrap();
        assert_eq!(flows.len(), 2);
        assert_eq!(flows[0].actions, vec![Action::Output(2)]);
        assert_eq!((flows[0].line, flows[1].line), (5, 9));
        assert_eq!(flows[1].m.key.in_port(), 2);
    }

    #[test]
    fn bad_entries_name_line_and_reason() {
        let e = preload_flows(&conf(&[(ARP, "2"), ("in_port(1),bogus()", "2")]), &|_| true)
            .unwrap_err();
        assert!(
            e.starts_with("line 9: flow key:") && e.contains("bogus"),
            "{e}"
        );
        let e = preload_flows(&conf(&[(ARP, "7")]), &|p| p < 3).unwrap_err();
        assert!(
            e.starts_with("line 5: actions:") && e.contains("port 7"),
            "{e}"
        );
        let e = preload_flows(
            &conf(&[("in_port(1),eth(),eth_type(0x0800)", "2")]),
            &|_| true,
        )
        .unwrap_err();
        assert!(e.contains("Missing key"), "{e}");
        let e = preload_flows(&conf(&[(ARP, "2"), (ARP, "1")]), &|_| true).unwrap_err();
        assert!(e.contains("same flow as line 5"), "{e}");
    }
}
