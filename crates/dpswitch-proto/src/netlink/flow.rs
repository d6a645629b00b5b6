//! The attribute body of an `ovs_flow` message (`OVS_FLOW_ATTR_*`).
//!
//! The top level is parsed like generic netlink parses the kernel's flow
//! family (liberal validation with the family's `flow_policy`): attributes
//! with an unknown id are ignored, a repeated attribute replaces the
//! earlier one, bytes after the last whole attribute are ignored, and each
//! attribute the policy names must pass it (nested: empty or at least one
//! attribute header, else ERANGE; flags: no payload, else ERANGE; UFID: at
//! least one byte, else ERANGE; UFID flags: at least four bytes, else
//! ERANGE). Attributes without a policy entry (stats, used, TCP flags,
//! which only replies carry) are read when they have their exact size and
//! ignored otherwise. The key, mask and actions inside are then decoded
//! strictly (see `key` and `action`).

use super::action::{decode_actions, encode_actions_into};
use super::attr::{attrs_lenient, bytes_at, Attr, AttrWriter};
use super::consts::*;
use super::error::NlError;
use super::key::{decode_key, decode_mask, encode_key_into};
use crate::flow::odp::{Action, KeyAttr};
use nix::time::{clock_gettime, ClockId};

const CONTEXT: &str = "flow";

/// `struct ovs_flow_stats`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FlowStats {
    pub packets: u64,
    pub bytes: u64,
}

/// The attributes of an `ovs_flow` request or reply.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FlowAttrs {
    /// `OVS_FLOW_ATTR_KEY`.
    pub key: Option<Vec<KeyAttr>>,
    /// `OVS_FLOW_ATTR_MASK`, without the all-zero attributes (see
    /// `key::decode_mask`).
    pub mask: Option<Vec<KeyAttr>>,
    /// `OVS_FLOW_ATTR_ACTIONS`; `Some(vec![])` is an explicit drop.
    pub actions: Option<Vec<Action>>,
    /// `OVS_FLOW_ATTR_UFID` exactly as received, 1 byte or more. Only 1 to
    /// 16 bytes identify a flow: use `ufid()`, which, like the kernel,
    /// ignores a longer one (the flow is then identified by its key).
    pub ufid: Option<Vec<u8>>,
    /// `OVS_FLOW_ATTR_UFID_FLAGS` (`OVS_UFID_F_*`), 0 when absent.
    pub ufid_flags: u32,
    /// `OVS_FLOW_ATTR_PROBE`: a feature probe; errors are not logged.
    pub probe: bool,
    /// `OVS_FLOW_ATTR_CLEAR`: reset the flow's statistics.
    pub clear: bool,
    /// `OVS_FLOW_ATTR_STATS`.
    pub stats: Option<FlowStats>,
    /// `OVS_FLOW_ATTR_USED`: when the flow last matched, in milliseconds of
    /// monotonic time.
    pub used: Option<u64>,
    /// `OVS_FLOW_ATTR_TCP_FLAGS`: the TCP flags seen, OR'd together.
    pub tcp_flags: Option<u8>,
}

impl FlowAttrs {
    /// The UFID that identifies the flow: 1 to `MAX_UFID_LENGTH` bytes.
    pub fn ufid(&self) -> Option<&[u8]> {
        self.ufid
            .as_deref()
            .filter(|ufid| (1..=MAX_UFID_LENGTH).contains(&ufid.len()))
    }

    /// True when a UFID was sent but is too long to identify anything; the
    /// kernel logs this and falls back to the key.
    pub fn ufid_ignored(&self) -> bool {
        self.ufid.is_some() && self.ufid().is_none()
    }

    pub fn omit_key(&self) -> bool {
        self.ufid_flags & OVS_UFID_F_OMIT_KEY != 0
    }

    pub fn omit_mask(&self) -> bool {
        self.ufid_flags & OVS_UFID_F_OMIT_MASK != 0
    }

    pub fn omit_actions(&self) -> bool {
        self.ufid_flags & OVS_UFID_F_OMIT_ACTIONS != 0
    }

    /// Decodes the attributes of an `ovs_flow` message (what follows the
    /// `ovs_header`): the policy pass, then the key, mask and actions.
    pub fn decode(buf: &[u8]) -> Result<FlowAttrs, NlError> {
        let raw = RawFlowAttrs::parse(buf)?;
        Ok(FlowAttrs {
            key: raw.key.map(decode_key).transpose()?,
            mask: raw.mask.map(decode_mask).transpose()?,
            actions: raw.actions.map(decode_actions).transpose()?,
            ufid: raw.ufid.map(<[u8]>::to_vec),
            ufid_flags: raw.ufid_flags,
            probe: raw.probe,
            clear: raw.clear,
            stats: raw.stats,
            used: raw.used,
            tcp_flags: raw.tcp_flags,
        })
    }

    /// Appends the attributes in the order the kernel's replies use: ufid,
    /// key, mask, used, stats, TCP flags, actions, then the request-only
    /// ufid flags, clear and probe. A UFID flags value of 0 is left out.
    pub fn encode_into(&self, w: &mut AttrWriter) -> Result<(), NlError> {
        if let Some(ufid) = &self.ufid {
            w.put(OVS_FLOW_ATTR_UFID, ufid);
        }
        if let Some(key) = &self.key {
            let nest = w.begin_nested(OVS_FLOW_ATTR_KEY);
            encode_key_into(w, key);
            w.end_nested(nest);
        }
        if let Some(mask) = &self.mask {
            let nest = w.begin_nested(OVS_FLOW_ATTR_MASK);
            encode_key_into(w, mask);
            w.end_nested(nest);
        }
        if let Some(used) = self.used {
            w.put_u64(OVS_FLOW_ATTR_USED, used);
        }
        if let Some(stats) = self.stats {
            let mut payload = [0u8; OVS_FLOW_STATS_LEN];
            payload[..8].copy_from_slice(&stats.packets.to_ne_bytes());
            payload[8..].copy_from_slice(&stats.bytes.to_ne_bytes());
            w.put(OVS_FLOW_ATTR_STATS, &payload);
        }
        if let Some(flags) = self.tcp_flags {
            w.put_u8(OVS_FLOW_ATTR_TCP_FLAGS, flags);
        }
        if let Some(actions) = &self.actions {
            let nest = w.begin_nested(OVS_FLOW_ATTR_ACTIONS);
            encode_actions_into(w, actions)?;
            w.end_nested(nest);
        }
        if self.ufid_flags != 0 {
            w.put_u32(OVS_FLOW_ATTR_UFID_FLAGS, self.ufid_flags);
        }
        if self.clear {
            w.put_flag(OVS_FLOW_ATTR_CLEAR);
        }
        if self.probe {
            w.put_flag(OVS_FLOW_ATTR_PROBE);
        }
        Ok(())
    }

    /// Encodes the attributes of an `ovs_flow` message.
    pub fn encode(&self) -> Result<Vec<u8>, NlError> {
        let mut w = AttrWriter::new();
        self.encode_into(&mut w)?;
        w.finish(CONTEXT)
    }
}

/// An `ovs_flow` message after the generic netlink policy pass only: the
/// key, mask and actions are still undecoded nests, because the kernel
/// checks that they are present, and in which order it decodes them, before
/// it looks inside.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RawFlowAttrs<'a> {
    pub key: Option<&'a [u8]>,
    pub mask: Option<&'a [u8]>,
    pub actions: Option<&'a [u8]>,
    /// 1 byte or more, as received (see [`FlowAttrs::ufid`]).
    pub ufid: Option<&'a [u8]>,
    pub ufid_flags: u32,
    pub probe: bool,
    pub clear: bool,
    pub stats: Option<FlowStats>,
    pub used: Option<u64>,
    pub tcp_flags: Option<u8>,
    /// Bytes after the last whole attribute (the kernel ignores them).
    pub trailing: usize,
}

impl<'a> RawFlowAttrs<'a> {
    /// Applies the family's attribute policy; the last of repeated
    /// attributes wins.
    pub fn parse(buf: &'a [u8]) -> Result<RawFlowAttrs<'a>, NlError> {
        let mut out = RawFlowAttrs::default();
        let mut iter = attrs_lenient(buf);
        for attr in iter.by_ref() {
            match attr.kind() {
                OVS_FLOW_ATTR_KEY => out.key = Some(nested(&attr, "key")?),
                OVS_FLOW_ATTR_MASK => out.mask = Some(nested(&attr, "mask")?),
                OVS_FLOW_ATTR_ACTIONS => out.actions = Some(nested(&attr, "actions")?),
                OVS_FLOW_ATTR_CLEAR => out.clear = flag(&attr, "clear")?,
                OVS_FLOW_ATTR_PROBE => out.probe = flag(&attr, "probe")?,
                OVS_FLOW_ATTR_UFID => {
                    let ufid = attr.payload();
                    if ufid.is_empty() {
                        return Err(below_minimum(&attr, "ufid", 1));
                    }
                    out.ufid = Some(ufid);
                }
                OVS_FLOW_ATTR_UFID_FLAGS => {
                    out.ufid_flags = bytes_at(attr.payload(), 0)
                        .map(u32::from_ne_bytes)
                        .ok_or_else(|| below_minimum(&attr, "ufid_flags", 4))?;
                }
                OVS_FLOW_ATTR_STATS => {
                    if let Some(stats) = decode_stats(attr.payload()) {
                        out.stats = Some(stats);
                    }
                }
                OVS_FLOW_ATTR_USED => {
                    if let Ok(used) = <[u8; 8]>::try_from(attr.payload()) {
                        out.used = Some(u64::from_ne_bytes(used));
                    }
                }
                OVS_FLOW_ATTR_TCP_FLAGS => {
                    if let [flags] = attr.payload() {
                        out.tcp_flags = Some(*flags);
                    }
                }
                _ => {}
            }
        }
        out.trailing = iter.remaining();
        Ok(out)
    }

    /// The UFID that identifies the flow: 1 to `MAX_UFID_LENGTH` bytes.
    pub fn identifying_ufid(&self) -> Option<&'a [u8]> {
        self.ufid.filter(|u| u.len() <= MAX_UFID_LENGTH)
    }
}

fn below_minimum(attr: &Attr<'_>, name: &'static str, min: usize) -> NlError {
    NlError::BelowPolicyMinimum {
        context: CONTEXT,
        name,
        id: attr.kind(),
        min,
        got: attr.payload().len(),
    }
}

/// The policy check of a nested attribute: empty, or room for at least
/// one attribute header.
fn nested<'a>(attr: &Attr<'a>, name: &'static str) -> Result<&'a [u8], NlError> {
    let payload = attr.payload();
    if !payload.is_empty() && payload.len() < NLA_HDRLEN {
        return Err(below_minimum(attr, name, NLA_HDRLEN));
    }
    Ok(payload)
}

fn flag(attr: &Attr<'_>, name: &'static str) -> Result<bool, NlError> {
    match attr.payload().len() {
        0 => Ok(true),
        got => Err(NlError::FlagWithPayload {
            context: CONTEXT,
            name,
            id: attr.kind(),
            got,
        }),
    }
}

fn decode_stats(payload: &[u8]) -> Option<FlowStats> {
    if payload.len() != OVS_FLOW_STATS_LEN {
        return None;
    }
    Some(FlowStats {
        packets: u64::from_ne_bytes(bytes_at(payload, 0)?),
        bytes: u64::from_ne_bytes(bytes_at(payload, 8)?),
    })
}

/// Milliseconds of monotonic time now, the clock `OVS_FLOW_ATTR_USED`
/// counts in (as the kernel's jiffies-based value does since boot).
pub fn monotonic_msec() -> u64 {
    clock_gettime(ClockId::CLOCK_MONOTONIC)
        .map(|t| {
            (t.tv_sec() as u64)
                .saturating_mul(1000)
                .saturating_add(t.tv_nsec() as u64 / 1_000_000)
        })
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flow::odp::{EthernetKey, Ipv4Key};
    use nix::errno::Errno;

    fn attr(id: u16, payload: &[u8]) -> Vec<u8> {
        let mut w = AttrWriter::new();
        w.put(id, payload);
        w.finish("test").unwrap()
    }

    fn full() -> FlowAttrs {
        FlowAttrs {
            key: Some(vec![
                KeyAttr::InPort(1),
                KeyAttr::Ethernet(EthernetKey {
                    src: [2; 6],
                    dst: [3; 6],
                }),
                KeyAttr::EthType(0x0800),
                KeyAttr::Ipv4(Ipv4Key {
                    src: 1,
                    dst: 2,
                    proto: 17,
                    tos: 0,
                    ttl: 64,
                    frag: 0,
                }),
            ]),
            mask: Some(vec![KeyAttr::InPort(u32::MAX), KeyAttr::EthType(0xffff)]),
            actions: Some(vec![Action::Output(2)]),
            ufid: Some(vec![0xab; 16]),
            ufid_flags: OVS_UFID_F_OMIT_KEY | OVS_UFID_F_OMIT_ACTIONS,
            probe: true,
            clear: true,
            stats: Some(FlowStats {
                packets: 10,
                bytes: 1500,
            }),
            used: Some(123_456),
            tcp_flags: Some(0x12),
        }
    }

    #[test]
    fn every_field_round_trips() {
        let flow = full();
        let bytes = flow.encode().unwrap();
        let decoded = FlowAttrs::decode(&bytes).unwrap();
        assert_eq!(decoded, flow);
        assert_eq!(decoded.encode().unwrap(), bytes);
        assert!(decoded.omit_key() && !decoded.omit_mask() && decoded.omit_actions());
    }

    #[test]
    fn encoding_order_and_bytes_are_exact() {
        let flow = FlowAttrs {
            key: Some(vec![KeyAttr::InPort(1)]),
            actions: Some(vec![]),
            ufid: Some(vec![1, 2, 3, 4]),
            stats: Some(FlowStats {
                packets: 1,
                bytes: 2,
            }),
            probe: true,
            ..Default::default()
        };
        let expected: Vec<u8> = [
            &[8, 0, 9, 0, 1, 2, 3, 4][..],
            &[12, 0, 1, 0, 8, 0, 3, 0],
            &1u32.to_ne_bytes(),
            &[20, 0, 3, 0],
            &1u64.to_ne_bytes(),
            &2u64.to_ne_bytes(),
            &[4, 0, 2, 0],
            &[4, 0, 8, 0],
        ]
        .concat();
        assert_eq!(flow.encode().unwrap(), expected);
    }

    #[test]
    fn empty_message_has_nothing() {
        assert_eq!(FlowAttrs::decode(&[]).unwrap(), FlowAttrs::default());
    }

    #[test]
    fn ufid_length_rules() {
        // N5: empty fails the policy with ERANGE.
        let err = FlowAttrs::decode(&attr(OVS_FLOW_ATTR_UFID, &[])).unwrap_err();
        assert_eq!(
            err,
            NlError::BelowPolicyMinimum {
                context: "flow",
                name: "ufid",
                id: 9,
                min: 1,
                got: 0
            }
        );
        assert_eq!(err.errno(), Errno::ERANGE);
        // 1 and 16 bytes identify the flow.
        for len in [1, 16] {
            let flow = FlowAttrs::decode(&attr(OVS_FLOW_ATTR_UFID, &vec![7; len])).unwrap();
            assert_eq!(flow.ufid(), Some(&vec![7; len][..]));
            assert!(!flow.ufid_ignored());
        }
        // N5: 17 bytes are kept but ignored as an identifier.
        let flow = FlowAttrs::decode(&attr(OVS_FLOW_ATTR_UFID, &[7; 17])).unwrap();
        assert_eq!(flow.ufid.as_deref(), Some(&[7; 17][..]));
        assert_eq!(flow.ufid(), None);
        assert!(flow.ufid_ignored());
    }

    #[test]
    fn policy_errors_are_erange() {
        let cases = [
            attr(OVS_FLOW_ATTR_KEY, &[1, 2]),
            attr(OVS_FLOW_ATTR_MASK, &[1]),
            attr(OVS_FLOW_ATTR_ACTIONS, &[1, 2, 3]),
            attr(OVS_FLOW_ATTR_PROBE, &[0]),
            attr(OVS_FLOW_ATTR_CLEAR, &[0, 0, 0, 0]),
            attr(OVS_FLOW_ATTR_UFID_FLAGS, &[1, 0]),
        ];
        for bytes in cases {
            let err = FlowAttrs::decode(&bytes).unwrap_err();
            assert_eq!(err.errno(), Errno::ERANGE, "{err}");
        }
    }

    #[test]
    fn liberal_top_level_parsing() {
        let good = attr(OVS_FLOW_ATTR_PROBE, &[]);
        // Unknown ids, type 0 and the pad attribute are ignored.
        let bytes = [
            attr(0, &[1, 2, 3]),
            attr(OVS_FLOW_ATTR_PAD, &[]),
            attr(OVS_FLOW_ATTR_MAX + 1, &[9; 8]),
            good.clone(),
        ]
        .concat();
        assert!(FlowAttrs::decode(&bytes).unwrap().probe);
        // Trailing bytes that form no attribute are ignored.
        let bytes = [good.clone(), vec![0xff, 0xff, 0x01]].concat();
        assert!(FlowAttrs::decode(&bytes).unwrap().probe);
        // The last of repeated attributes wins, and only it is decoded.
        let bytes = [
            attr(OVS_FLOW_ATTR_KEY, &attr(99, &[])),
            attr(
                OVS_FLOW_ATTR_KEY,
                &attr(OVS_KEY_ATTR_IN_PORT, &5u32.to_ne_bytes()),
            ),
        ]
        .concat();
        assert_eq!(
            FlowAttrs::decode(&bytes).unwrap().key,
            Some(vec![KeyAttr::InPort(5)])
        );
        // A longer UFID flags value is read from its first four bytes.
        let mut long = 4u32.to_ne_bytes().to_vec();
        long.extend_from_slice(&[0xff; 4]);
        let flow = FlowAttrs::decode(&attr(OVS_FLOW_ATTR_UFID_FLAGS, &long)).unwrap();
        assert_eq!(flow.ufid_flags, OVS_UFID_F_OMIT_ACTIONS);
    }

    #[test]
    fn reply_only_attributes_of_the_wrong_size_are_ignored() {
        let bytes = [
            attr(OVS_FLOW_ATTR_STATS, &[1; 8]),
            attr(OVS_FLOW_ATTR_USED, &[1; 4]),
            attr(OVS_FLOW_ATTR_TCP_FLAGS, &[1, 2]),
        ]
        .concat();
        assert_eq!(FlowAttrs::decode(&bytes).unwrap(), FlowAttrs::default());
    }

    #[test]
    fn nested_errors_come_from_the_key_mask_and_action_decoders() {
        // N4: an unknown key attribute.
        let bytes = attr(OVS_FLOW_ATTR_KEY, &attr(40, &[]));
        assert!(matches!(
            FlowAttrs::decode(&bytes).unwrap_err(),
            NlError::UnknownAttr {
                context: "flow key",
                id: 40
            }
        ));
        let bytes = attr(OVS_FLOW_ATTR_MASK, &attr(OVS_KEY_ATTR_IPV4, &[1; 4]));
        assert!(matches!(
            FlowAttrs::decode(&bytes).unwrap_err(),
            NlError::BadLength {
                context: "flow mask",
                ..
            }
        ));
        let bytes = attr(OVS_FLOW_ATTR_ACTIONS, &attr(OVS_ACTION_ATTR_CT, &[]));
        assert!(matches!(
            FlowAttrs::decode(&bytes).unwrap_err(),
            NlError::Unsupported { name: "ct", .. }
        ));
        // Empty nests are an empty key and an explicit drop.
        let bytes = [
            attr(OVS_FLOW_ATTR_KEY, &[]),
            attr(OVS_FLOW_ATTR_ACTIONS, &[]),
        ]
        .concat();
        let flow = FlowAttrs::decode(&bytes).unwrap();
        assert_eq!(flow.key, Some(vec![]));
        assert_eq!(flow.actions, Some(vec![]));
    }
}
