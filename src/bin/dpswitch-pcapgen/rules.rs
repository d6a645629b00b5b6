//! The benchmark's flow tables: 1, 10 or 100 megaflow masks, written for
//! dpswitch (`[[flow]]` config entries in ovs-dpctl syntax) and for Open
//! vSwitch (OpenFlow rules whose megaflows get the same masks).

use crate::layout::{netmask, prefix_value, MAX_PREFIX};
use std::net::Ipv4Addr;

/// One rule: forward from the input port to the output port the IPv4
/// packets whose source and destination fall in the given prefixes (by
/// length; `None` leaves the field wildcarded).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rule {
    pub src_len: Option<u32>,
    pub dst_len: Option<u32>,
}

/// The rules of the table with `masks` masks: 1 (every packet of the input
/// port), 10 (destination prefixes /1../10) or 100 (every source prefix
/// /1../10 with every destination prefix /1../10).
pub fn table(masks: u32) -> Result<Vec<Rule>, String> {
    let lens = 1..=MAX_PREFIX;
    match masks {
        1 => Ok(vec![Rule {
            src_len: None,
            dst_len: None,
        }]),
        10 => Ok(lens
            .map(|b| Rule {
                src_len: None,
                dst_len: Some(b),
            })
            .collect()),
        100 => Ok(lens
            .flat_map(|a| {
                (1..=MAX_PREFIX).map(move |b| Rule {
                    src_len: Some(a),
                    dst_len: Some(b),
                })
            })
            .collect()),
        n => Err(format!("no table with {n} masks: 1, 10 or 100")),
    }
}

/// `ADDR/MASK` of the prefix of length `len`, dotted quads on both sides.
fn prefix_with_netmask(len: u32) -> String {
    format!(
        "{}/{}",
        Ipv4Addr::from(prefix_value(len)),
        Ipv4Addr::from(netmask(len))
    )
}

impl Rule {
    /// Whether the rule takes flow `t` (the tests' reference).
    #[cfg(test)]
    pub fn matches(&self, t: &crate::layout::FlowTuple) -> bool {
        let within = |len: Option<u32>, addr: u32| {
            len.is_none_or(|len| addr & netmask(len) == prefix_value(len))
        };
        within(self.src_len, t.src) && within(self.dst_len, t.dst)
    }

    /// The megaflow's key in ovs-dpctl syntax: what Open vSwitch's
    /// userspace datapath installs for the OpenFlow rule (in_port exact,
    /// IPv4, not a fragment, the prefixes).
    pub fn dpctl_key(&self, in_port: u32) -> String {
        let mut ipv4 = Vec::new();
        if let Some(a) = self.src_len {
            ipv4.push(format!("src={}", prefix_with_netmask(a)));
        }
        if let Some(b) = self.dst_len {
            ipv4.push(format!("dst={}", prefix_with_netmask(b)));
        }
        ipv4.push("frag=no".to_string());
        format!(
            "in_port({in_port}),eth(),eth_type(0x0800),ipv4({})",
            ipv4.join(",")
        )
    }

    /// The OpenFlow rule, in `ovs-ofctl add-flows` syntax.
    pub fn openflow(&self, in_port: u32, out_port: u32) -> String {
        let mut m = vec!["priority=100".to_string(), "ip".to_string()];
        m.push(format!("in_port={in_port}"));
        if let Some(a) = self.src_len {
            m.push(format!("nw_src={}/{a}", Ipv4Addr::from(prefix_value(a))));
        }
        if let Some(b) = self.dst_len {
            m.push(format!("nw_dst={}/{b}", Ipv4Addr::from(prefix_value(b))));
        }
        format!("{},actions=output:{out_port}", m.join(","))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layout::{flow_tuple, prefix_lengths};

    #[test]
    fn every_flow_matches_exactly_its_groups_rule() {
        for masks in [1, 10, 100] {
            let rules = table(masks).unwrap();
            assert_eq!(rules.len(), masks as usize);
            for f in 0..5_000 {
                let t = flow_tuple(f);
                let hits: Vec<&Rule> = rules.iter().filter(|r| r.matches(&t)).collect();
                assert_eq!(hits.len(), 1, "flow {f}, {masks} masks: {hits:?}");
                let (a, b) = prefix_lengths(f);
                let want = match masks {
                    1 => Rule {
                        src_len: None,
                        dst_len: None,
                    },
                    10 => Rule {
                        src_len: None,
                        dst_len: Some(b),
                    },
                    _ => Rule {
                        src_len: Some(a),
                        dst_len: Some(b),
                    },
                };
                assert_eq!(*hits[0], want, "flow {f}");
            }
        }
    }

    #[test]
    fn each_rule_takes_an_even_share_of_1000_flows() {
        for masks in [10, 100] {
            for r in table(masks).unwrap() {
                let n = (0..1000).filter(|f| r.matches(&flow_tuple(*f))).count();
                assert_eq!(n, 1000 / masks as usize, "{r:?}");
            }
        }
    }

    #[test]
    fn texts_carry_the_prefixes() {
        let r = Rule {
            src_len: Some(1),
            dst_len: Some(3),
        };
        assert_eq!(
            r.dpctl_key(0),
            "in_port(0),eth(),eth_type(0x0800),ipv4(src=0.0.0.0/128.0.0.0,dst=192.0.0.0/224.0.0.0,frag=no)"
        );
        assert_eq!(
            r.openflow(1, 2),
            "priority=100,ip,in_port=1,nw_src=0.0.0.0/1,nw_dst=192.0.0.0/3,actions=output:2"
        );
        let all = Rule {
            src_len: None,
            dst_len: None,
        };
        assert_eq!(
            all.dpctl_key(0),
            "in_port(0),eth(),eth_type(0x0800),ipv4(frag=no)"
        );
        assert_eq!(
            all.openflow(1, 2),
            "priority=100,ip,in_port=1,actions=output:2"
        );
    }

    #[test]
    fn other_mask_counts_are_refused() {
        assert!(table(2).is_err());
        assert!(table(0).is_err());
    }
}

/// The generated table as dpswitch reads it: parsed and validated by the
/// daemon's own config path, and classified against packet keys extracted
/// from the generated frames.
#[cfg(test)]
mod dpswitch_tests {
    use super::*;
    use crate::frame::udp_frame;
    use crate::layout::flow_tuple;
    use dpswitch::config::Config;
    use dpswitch::control::preload::preload_flows;
    use dpswitch::flow::extract::extract;
    use dpswitch::flow::key::FlowKey;

    #[test]
    fn dpswitch_takes_the_table_and_each_packet_hits_its_rule_only() {
        for masks in [1, 10, 100] {
            let rules = table(masks).unwrap();
            let mut text = String::from("[datapath]\nname = \"bench\"\n");
            for r in &rules {
                text.push_str(&format!(
                    "\n[[flow]]\nkey = \"{}\"\nactions = \"1\"\n",
                    r.dpctl_key(0)
                ));
            }
            let config = Config::parse(&text).unwrap();
            let flows = preload_flows(&config, &|port| port < 2).unwrap();
            assert_eq!(flows.len(), rules.len());
            let distinct_masks: std::collections::HashSet<_> =
                flows.iter().map(|f| f.m.mask).collect();
            assert_eq!(distinct_masks.len(), masks as usize);

            for f in 0..2_000 {
                let t = flow_tuple(f);
                let mut key = FlowKey::default();
                extract(&udp_frame(&t), 0, &mut key);
                let hits: Vec<usize> = (0..flows.len())
                    .filter(|i| flows[*i].m.masked_key().matches(&flows[*i].m.mask, &key))
                    .collect();
                let want = rules.iter().position(|r| r.matches(&t)).unwrap();
                assert_eq!(hits, vec![want], "flow {f}, {masks} masks");

                let mut other_port = FlowKey::default();
                extract(&udp_frame(&t), 1, &mut other_port);
                assert!(!flows
                    .iter()
                    .any(|nf| nf.m.masked_key().matches(&nf.m.mask, &other_port)));
            }
        }
    }
}
