//! The `ovs_flow` commands with the kernel's semantics (rules N1-N16, S1,
//! D1-D2, G1 of docs/flow-commands.md; the dump of G2 is the server's),
//! each check in the order the kernel makes it, so a request with several
//! faults fails with the errno the kernel gives. tests/flow_rules.rs and
//! tests/flow_rules_set_del_get.rs check each rule here, in-process.
//!
//! Nothing in the table changes until every check that can fail has
//! passed (N16): parsing, match and action validation come first, then
//! the datapath, then the lookups, then one table operation.

use super::families::GROUP_FLOW;
use super::flow_reply::{flow_message, FlowMessageHeader};
use super::request::{CmdError, Response};
use crate::classifier::{Flow, FlowId, FlowTable};
use crate::flow::matching::{match_from_attrs, Match};
use crate::flow::odp::{Action, KeyAttr};
use crate::flow::validate::validate_actions;
use crate::netlink::action::decode_actions;
use crate::netlink::consts::*;
use crate::netlink::flow::RawFlowAttrs;
use crate::netlink::key::{decode_key_into, decode_mask_into};
use crate::netlink::msg::OvsMessage;
use nix::errno::Errno;

/// The datapath a flow command runs against: its flow table, and which
/// port numbers exist (for output actions), which is all a flow command
/// needs of the switch.
pub struct FlowContext<'a> {
    pub table: &'a mut FlowTable,
    pub port_exists: &'a dyn Fn(u32) -> bool,
    /// The `dp_ifindex` this datapath answers to.
    pub dp_ifindex: i32,
    /// Lines to log besides a failure's own (e.g. an ignored UFID).
    pub notes: &'a mut Vec<String>,
    /// Whether any client subscribed to the `ovs_flow` group: as in the
    /// kernel, a reply nobody will read is not built.
    pub listeners: bool,
    /// Room for the decoded key and mask, kept from one request to the
    /// next.
    pub scratch: &'a mut KeyScratch,
}

/// The key and mask attribute lists of the request being run, their room
/// reused by the next request.
#[derive(Default)]
pub struct KeyScratch {
    key: Vec<KeyAttr>,
    mask: Vec<KeyAttr>,
}

/// A failure of a command sent with `OVS_FLOW_ATTR_PROBE` is not logged.
#[derive(Debug)]
pub struct FlowError {
    pub error: CmdError,
    pub probe: bool,
}

const NOT_SAFE: &str = "Flow actions may not be safe on all matching packets.";

/// Runs one `ovs_flow` request (not a dump); `port_id` is the requester's.
pub fn handle(
    ctx: &mut FlowContext<'_>,
    msg: &OvsMessage<'_>,
    port_id: u32,
) -> Result<Response, FlowError> {
    let raw = RawFlowAttrs::parse(msg.attrs).map_err(|e| FlowError {
        error: e.into(),
        probe: false,
    })?;
    let probe = raw.probe;
    // The kernel ignores what follows the last whole attribute; a request
    // cut or garbled there could read as "no key" (a DEL would then flush
    // every flow), so dpswitch refuses it.
    if raw.trailing != 0 {
        return Err(FlowError {
            error: CmdError::einval(format!(
                "{} bytes after the last attribute do not form an attribute",
                raw.trailing
            )),
            probe,
        });
    }
    let request = Request {
        raw,
        flags: msg.header.flags,
        header: FlowMessageHeader {
            cmd: msg.genl.cmd,
            dp_ifindex: msg.dp_ifindex,
            seq: msg.header.seq,
            port_id,
            flags: 0,
        },
        echo: msg.header.flags & NLM_F_ECHO != 0,
        listeners: ctx.listeners,
        dp_ok: msg.dp_ifindex == ctx.dp_ifindex,
    };
    let result = match msg.genl.cmd {
        OVS_FLOW_CMD_NEW => new_flow(ctx, &request),
        OVS_FLOW_CMD_SET => set_flow(ctx, &request),
        OVS_FLOW_CMD_DEL => del_flow(ctx, &request),
        OVS_FLOW_CMD_GET => get_flow(ctx, &request),
        other => Err(CmdError::new(
            Errno::EOPNOTSUPP,
            format!("ovs_flow has no command {other}"),
        )),
    };
    result.map_err(|error| FlowError { error, probe })
}

struct Request<'a> {
    raw: RawFlowAttrs<'a>,
    flags: u16,
    header: FlowMessageHeader,
    echo: bool,
    listeners: bool,
    dp_ok: bool,
}

impl Request<'_> {
    /// The UFID that identifies the flow; a longer one is noted and
    /// ignored, as the kernel's `ovs_nla_get_ufid` does.
    fn ufid(&self, notes: &mut Vec<String>) -> Option<&[u8]> {
        let ufid = self.raw.ufid?;
        if ufid.len() > MAX_UFID_LENGTH {
            if !self.raw.probe {
                notes.push(format!(
                    "ufid size {} bytes exceeds the range (1, {MAX_UFID_LENGTH})",
                    ufid.len()
                ));
            }
            return None;
        }
        Some(ufid)
    }

    /// The match of KEY and MASK (N3, N4); `with_mask` false reads the
    /// key alone, every bit exact, as GET and DEL do.
    fn parse_match(
        &self,
        key: &[u8],
        with_mask: bool,
        scratch: &mut KeyScratch,
    ) -> Result<Match, CmdError> {
        decode_key_into(key, &mut scratch.key)?;
        let mask = match self.raw.mask.filter(|_| with_mask) {
            Some(bytes) => {
                decode_mask_into(bytes, &mut scratch.mask)?;
                Some(scratch.mask.as_slice())
            }
            None => None,
        };
        Ok(match_from_attrs(&scratch.key, mask)?)
    }

    fn datapath(&self) -> Result<(), CmdError> {
        if self.dp_ok {
            Ok(())
        } else {
            Err(CmdError::enodev())
        }
    }

    /// The reply for `flow` (sent when echo was asked) and the same
    /// message for the `ovs_flow` group.
    fn reply(&self, cmd: u8, flow: &Flow, actions: &[Action]) -> Response {
        if !self.echo && !self.listeners {
            return Response::default();
        }
        let message = flow_message(
            FlowMessageHeader { cmd, ..self.header },
            flow,
            actions,
            self.raw.ufid_flags,
        );
        Response {
            unicast: if self.echo {
                vec![message.clone()]
            } else {
                Vec::new()
            },
            notify: Some((GROUP_FLOW, message)),
            needs_sync: false,
        }
    }
}

/// Actions decoded and checked against the match (N7).
fn parse_actions(
    bytes: &[u8],
    m: &Match,
    port_exists: &dyn Fn(u32) -> bool,
) -> Result<Vec<Action>, CmdError> {
    let actions = decode_actions(bytes).map_err(|e| CmdError::new(e.errno(), NOT_SAFE))?;
    validate_actions(&actions, m, bytes.len(), port_exists)
        .map_err(|e| CmdError::new(e.errno, format!("{NOT_SAFE} ({})", e.message)))?;
    Ok(actions)
}

fn new_flow(ctx: &mut FlowContext<'_>, req: &Request<'_>) -> Result<Response, CmdError> {
    let key = req
        .raw
        .key
        .ok_or_else(|| CmdError::einval("Flow key attr not present in new flow."))?;
    let actions = req
        .raw
        .actions
        .ok_or_else(|| CmdError::einval("Flow actions attr not present in new flow."))?;
    let m = req.parse_match(key, true, ctx.scratch)?;
    let ufid = req.ufid(ctx.notes);
    let actions = parse_actions(actions, &m, ctx.port_exists)?;
    req.datapath()?;

    let table = &mut *ctx.table;
    let existing = ufid
        .and_then(|u| table.lookup_ufid(u))
        .or_else(|| table.lookup(&m.masked_key()))
        .map(Flow::id);
    let Some(found) = existing else {
        let masks = table.mask_count();
        let id = table.insert(&m, ufid, actions)?;
        let mut response = flow_response(table, id, req, OVS_FLOW_CMD_NEW);
        // A flow added to an existing subtable is in every later lookup
        // (the lock-free hash publishes it); a new subtable reaches a PMD
        // with its next burst, so the reply waits for one.
        response.needs_sync = table.mask_count() != masks;
        return Ok(response);
    };
    // NLM_F_CREATE stands for NLM_F_EXCL, which generic netlink reads as
    // a dump flag; both refuse to touch an existing flow (N11).
    if req.flags & (NLM_F_CREATE | NLM_F_EXCL) != 0 {
        return Err(CmdError::new(
            Errno::EEXIST,
            "a flow with this match exists",
        ));
    }
    let target = same_identity(table, found, &m, ufid.is_some())
        .ok_or_else(|| CmdError::enoent("the existing flow has a different identity"))?;
    table.set_actions(target, actions)?;
    Ok(flow_response(table, target, req, OVS_FLOW_CMD_NEW))
}

/// N12: the flow a NEW without NLM_F_CREATE updates. A UFID flow must have
/// the request's masked key; a key-identified one the request's unmasked
/// key, else the flow with exactly the request's key and mask is taken.
fn same_identity(table: &FlowTable, found: FlowId, m: &Match, by_ufid: bool) -> Option<FlowId> {
    let flow = table.flow(found)?;
    if flow.ufid().is_some() {
        // The kernel compares the stored masked key with the request's key
        // as its identifier holds it: masked for a UFID request, else not.
        let wanted = if by_ufid { m.masked_key() } else { m.key };
        return (flow.masked_key() == wanted).then_some(found);
    }
    if flow.key() == m.key {
        return Some(found);
    }
    table.lookup_by_key(&m.key, Some(&m.mask)).map(Flow::id)
}

fn flow_response(table: &FlowTable, id: FlowId, req: &Request<'_>, cmd: u8) -> Response {
    match table.flow(id) {
        Some(flow) => req.reply(cmd, flow, table.actions(flow)),
        None => Response::default(),
    }
}

/// The flow a SET, GET or DEL names: by UFID, else by key as the kernel's
/// `ovs_flow_tbl_lookup_exact` finds it: every mask probed, the flow's
/// unmasked key equal to the request's; the request's MASK plays no part
/// (S1, D2, G1).
fn find_named(
    table: &FlowTable,
    ufid: Option<&[u8]>,
    m: Option<&Match>,
) -> Result<FlowId, CmdError> {
    let found = match (ufid, m) {
        (Some(u), _) => table.lookup_ufid(u),
        (None, Some(m)) => table.lookup_by_key(&m.key, None),
        (None, None) => None,
    };
    found
        .map(Flow::id)
        .ok_or_else(|| CmdError::enoent("no such flow"))
}

fn set_flow(ctx: &mut FlowContext<'_>, req: &Request<'_>) -> Result<Response, CmdError> {
    let ufid = req.ufid(ctx.notes);
    if req.raw.key.is_none() && ufid.is_none() {
        return Err(CmdError::einval(
            "Flow set message rejected, Key attribute missing.",
        ));
    }
    let m = req
        .raw
        .key
        .map(|k| req.parse_match(k, true, ctx.scratch))
        .transpose()?;
    let actions = match (req.raw.actions, &m) {
        (None, _) => None,
        (Some(_), None) => {
            return Err(CmdError::einval(
                "Flow key attribute not present in set flow.",
            ))
        }
        (Some(bytes), Some(m)) => Some(parse_actions(bytes, m, ctx.port_exists)?),
    };
    req.datapath()?;
    let table = &mut *ctx.table;
    let id = find_named(table, ufid, m.as_ref())?;
    if let Some(actions) = actions {
        table.set_actions(id, actions)?;
    }
    // As in the kernel, the reply shows the counters from before CLEAR.
    let response = flow_response(table, id, req, OVS_FLOW_CMD_SET);
    if req.raw.clear {
        table.clear_stats(id)?;
    }
    Ok(response)
}

fn del_flow(ctx: &mut FlowContext<'_>, req: &Request<'_>) -> Result<Response, CmdError> {
    let ufid = req.ufid(ctx.notes);
    let m = req
        .raw
        .key
        .map(|k| req.parse_match(k, false, ctx.scratch))
        .transpose()?;
    req.datapath()?;
    let table = &mut *ctx.table;
    if m.is_none() && ufid.is_none() {
        // D1: flush; the kernel sends no per-flow notifications for it.
        table.flush()?;
        return Ok(Response {
            needs_sync: true,
            ..Response::default()
        });
    }
    let id = find_named(table, ufid, m.as_ref())?;
    let flow = table.remove_flow(id)?;
    // D2: gone for every PMD, and its counters final, before the reply.
    table.synchronize();
    let actions = table.actions(&flow).to_vec();
    Ok(req.reply(OVS_FLOW_CMD_DEL, &flow, &actions))
}

fn get_flow(ctx: &mut FlowContext<'_>, req: &Request<'_>) -> Result<Response, CmdError> {
    let ufid = req.ufid(ctx.notes);
    let m = match (req.raw.key, ufid) {
        (Some(k), _) => Some(req.parse_match(k, false, ctx.scratch)?),
        (None, Some(_)) => None,
        (None, None) => {
            return Err(CmdError::einval(
                "Flow get message rejected, Key attribute missing.",
            ))
        }
    };
    req.datapath()?;
    let table = &*ctx.table;
    let id = find_named(table, ufid, m.as_ref())?;
    let flow = table
        .flow(id)
        .ok_or_else(|| CmdError::enoent("no such flow"))?;
    // A GET always answers its requester and announces nothing.
    let message = flow_message(
        FlowMessageHeader {
            cmd: OVS_FLOW_CMD_GET,
            ..req.header
        },
        flow,
        table.actions(flow),
        req.raw.ufid_flags,
    );
    Ok(Response {
        unicast: vec![message],
        ..Response::default()
    })
}
