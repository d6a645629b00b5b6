//! The positional arguments of ovs-dpctl's flow commands: an optional
//! leading datapath name, and a flow that may start with its UFID.

use dpswitch_client::client::{Client, Datapath};
use dpswitch_proto::flow::odp::KeyAttr;
use dpswitch_proto::flow::text::parse_match;
use dpswitch_proto::netlink::FlowAttrs;
use dpswitch_proto::ufid::{parse_ufid, split_ufid};

/// Splits `args` into the datapath name, present when there is one more
/// argument than the `needed` ones, and those.
pub fn split_dp(args: &[String], needed: usize) -> (Option<&str>, &[String]) {
    match args.split_first() {
        Some((dp, rest)) if args.len() > needed => (Some(dp.as_str()), rest),
        _ => (None, args),
    }
}

/// The datapath called `name`, or, without a name, the only one.
pub fn open_datapath(client: &mut Client, name: Option<&str>) -> Result<Datapath, String> {
    match name {
        Some(name) => client.datapath(name),
        None => client.only_datapath(),
    }
    .map_err(|e| e.to_string())
}

/// A flow as given: its UFID and its key with mask, each optional.
#[derive(Debug, Default, PartialEq)]
pub struct FlowSpec {
    pub ufid: Option<[u8; 16]>,
    /// Key and mask attributes; None when the flow is only a UFID.
    pub key_mask: Option<(Vec<KeyAttr>, Vec<KeyAttr>)>,
}

impl FlowSpec {
    /// Reads FLOW (`[ufid:UFID,]key`) and the `--ufid` option; both may
    /// name the UFID if they agree.
    pub fn parse(flow: &str, ufid_option: Option<&str>) -> Result<FlowSpec, String> {
        let (in_flow, key_text) =
            split_ufid(flow).map_err(|e| format!("parsing flow ufid: {e}"))?;
        let option = ufid_option
            .map(|u| parse_ufid(u.strip_prefix("ufid:").unwrap_or(u)))
            .transpose()
            .map_err(|e| format!("parsing --ufid: {e}"))?;
        let ufid = match (in_flow, option) {
            (Some(a), Some(b)) if a != b => {
                return Err("FLOW and --ufid give different UFIDs".to_string())
            }
            (a, b) => a.or(b),
        };
        let key_mask = if key_text.is_empty() {
            None
        } else {
            Some(parse_match(key_text).map_err(|e| format!("parsing flow key: {e}"))?)
        };
        Ok(FlowSpec { ufid, key_mask })
    }

    /// The request attributes: UFID, key, and the mask when `with_mask`
    /// (flows to install carry their mask; lookups go by the key alone,
    /// as the kernel finds a flow by its unmasked key).
    pub fn attrs(&self, with_mask: bool) -> FlowAttrs {
        FlowAttrs {
            ufid: self.ufid.map(|u| u.to_vec()),
            key: self.key_mask.as_ref().map(|(k, _)| k.clone()),
            mask: self
                .key_mask
                .as_ref()
                .filter(|_| with_mask)
                .map(|(_, m)| m.clone()),
            ..FlowAttrs::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(args: &[&str]) -> Vec<String> {
        args.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_leading_datapath_name_is_optional() {
        let with = strings(&["dp0", "in_port(1)", "2"]);
        assert_eq!(split_dp(&with, 2), (Some("dp0"), &with[1..]));
        let without = strings(&["in_port(1)", "2"]);
        assert_eq!(split_dp(&without, 2), (None, &without[..]));
        let one = strings(&["ufid:x"]);
        assert_eq!(split_dp(&one, 1), (None, &one[..]));
    }

    const UUID: &str = "01234567-89ab-cdef-0011-223344556677";

    #[test]
    fn flows_carry_ufid_key_and_mask() {
        let spec = FlowSpec::parse(&format!("ufid:{UUID},in_port(1/0xff)"), None).unwrap();
        let ufid = parse_ufid(UUID).unwrap();
        assert_eq!(spec.ufid, Some(ufid));
        let attrs = spec.attrs(true);
        assert_eq!(attrs.key, Some(vec![KeyAttr::InPort(1)]));
        assert_eq!(attrs.mask, Some(vec![KeyAttr::InPort(0xff)]));
        assert_eq!(attrs.ufid.as_deref(), Some(&ufid[..]));
        assert_eq!(spec.attrs(false).mask, None);

        let only = FlowSpec::parse(&format!("ufid:{UUID}"), None).unwrap();
        assert_eq!(only.key_mask, None);
        assert_eq!(only.attrs(true).key, None);

        let by_option = FlowSpec::parse("in_port(1)", Some(&UUID.replace('-', ""))).unwrap();
        assert_eq!(by_option.ufid, Some(ufid));
        let agreeing = FlowSpec::parse(&format!("ufid:{UUID}"), Some(UUID)).unwrap();
        assert_eq!(agreeing.ufid, Some(ufid));
    }

    #[test]
    fn bad_flows_say_what_was_wrong() {
        let other = "11111111-89ab-cdef-0011-223344556677";
        let e = FlowSpec::parse(&format!("ufid:{UUID}"), Some(other)).unwrap_err();
        assert!(e.contains("different UFIDs"), "{e}");
        let e = FlowSpec::parse("ufid:zz,in_port(1)", None).unwrap_err();
        assert!(e.starts_with("parsing flow ufid:"), "{e}");
        let e = FlowSpec::parse("in_port(1),bogus()", None).unwrap_err();
        assert!(
            e.starts_with("parsing flow key:") && e.contains("bogus"),
            "{e}"
        );
        let e = FlowSpec::parse("in_port(1)", Some("12")).unwrap_err();
        assert!(e.starts_with("parsing --ufid:"), "{e}");
    }
}
