//! Parsing datapath action lists from text, accepting what
//! `ovs-dpctl add-flow` accepts for the actions dpswitch supports.

use super::error::{bad_value, syntax, token_until, TextError, TextErrorKind};
use super::key_parse::{input_bytes, parse_attr};
use super::mask_class::set_mask_is_all_ones;
use super::scan::{
    at, conv_float, conv_i, ident_len, is_delimiter, lit, skip_delimiters, starts_with, NUL,
};
use super::wire_size::action_size;
use crate::flow::key::{ETH_TYPE_VLAN, VLAN_PCP_SHIFT, VLAN_TAG_PRESENT};
use crate::flow::odp::{Action, UserspaceAction};

/// Deepest nesting of `sample(...)` / `clone(...)` accepted. Open vSwitch
/// itself has no limit here; the kernel datapath refuses far shallower
/// nesting, and a bound keeps parsing safe on hostile input.
const MAX_NESTING: usize = 32;

/// Largest encoded size of the action buffer when a nested action list
/// closes (a netlink attribute length is 16 bits).
const MAX_ACTIONS_SIZE: usize = u16::MAX as usize;

/// User data that `userspace(pid=N)` carries when no `userdata(...)` is
/// given: ovs-dpctl sends an all-zero 48-byte upcall cookie.
const DEFAULT_USERDATA_LEN: usize = 48;

/// The kernel once required userdata of exactly 8 bytes, so ovs-dpctl pads
/// shorter userdata with zeros.
const MIN_USERDATA_LEN: usize = 8;

/// Open vSwitch actions that dpswitch refuses by name.
const UNSUPPORTED_ACTIONS: [&str; 20] = [
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
    "drop",
];

/// `userspace(...)` cookie forms that dpswitch refuses by name.
const UNSUPPORTED_COOKIES: [&str; 5] = ["sFlow", "slow_path", "flow_sample", "ipfix", "controller"];

/// Parses an action list such as `set(ipv4(ttl=63)),push_vlan(vid=5,pcp=0),2`.
/// `drop` (alone, any case) and the empty string are the empty list.
pub fn parse_actions(s: &str) -> Result<Vec<Action>, TextError> {
    let b = input_bytes(s)?;
    if s.eq_ignore_ascii_case("drop") {
        return Ok(Vec::new());
    }
    let mut actions = Vec::new();
    let mut size = 0usize;
    let mut i = 0;
    loop {
        i = skip_delimiters(b, i);
        if at(b, i) == NUL {
            return Ok(actions);
        }
        let (action, end) = parse_action(b, i, 0, size)?;
        if at(b, end) != NUL && !is_delimiter(at(b, end)) {
            return Err(syntax("", b, end));
        }
        size = size.saturating_add(action_size(&action));
        actions.push(action);
        i = end;
    }
}

/// Parses one action at `i`; `depth` counts enclosing nested lists and
/// `offset` is the encoded size of everything before this action.
fn parse_action(
    b: &[u8],
    i: usize,
    depth: usize,
    offset: usize,
) -> Result<(Action, usize), TextError> {
    if let Some((port, end)) = conv_i(b, i) {
        return Ok((Action::Output(port as u32), end));
    }
    if starts_with(b, i, "userspace(") {
        return parse_userspace(b, i);
    }
    if starts_with(b, i, "set(") {
        return parse_set(b, i + 4);
    }
    if starts_with(b, i, "push_vlan(") {
        return parse_push_vlan(b, i);
    }
    if starts_with(b, i, "pop_vlan") {
        return Ok((Action::PopVlan, i + 8));
    }
    if starts_with(b, i, "sample(") {
        return parse_sample(b, i, depth, offset);
    }
    if starts_with(b, i, "clone(") {
        let start = offset.saturating_add(4);
        let (actions, close) = parse_action_list(b, i + 6, "clone", depth, start)?;
        return Ok((Action::Clone(actions), close + 1));
    }
    Err(unknown_action(b, i))
}

fn unknown_action(b: &[u8], i: usize) -> TextError {
    let name = std::str::from_utf8(b.get(i..i + ident_len(b, i)).unwrap_or(&[])).unwrap_or("");
    // ovs-dpctl reads any word starting with "ct" as a conntrack action.
    let name = if name.starts_with("ct_clear") {
        "ct_clear"
    } else if name.starts_with("ct") {
        "ct"
    } else {
        name
    };
    if name.is_empty() {
        syntax("", b, i)
    } else if UNSUPPORTED_ACTIONS.contains(&name) {
        TextError::new(TextErrorKind::UnsupportedAction(name.to_string()))
    } else {
        TextError::new(TextErrorKind::UnknownAction(token_until(b, i, |c| {
            c == b'(' || c == b')' || is_delimiter(c)
        })))
    }
}

/// Actions up to the `)` that closes a nested list; returns them and the
/// position of that `)`. Unlike the top level, actions here need no
/// separator between them.
fn parse_action_list(
    b: &[u8],
    mut i: usize,
    within: &str,
    depth: usize,
    start: usize,
) -> Result<(Vec<Action>, usize), TextError> {
    if depth + 1 >= MAX_NESTING {
        return Err(TextError::new(TextErrorKind::TooDeep {
            within: within.to_string(),
        }));
    }
    let mut actions = Vec::new();
    let mut size = start;
    loop {
        i = skip_delimiters(b, i);
        match at(b, i) {
            b')' => break,
            NUL => return Err(syntax(within, b, i)),
            _ => {}
        }
        let (action, end) = parse_action(b, i, depth + 1, size)?;
        size = size.saturating_add(action_size(&action));
        actions.push(action);
        i = end;
    }
    if size > MAX_ACTIONS_SIZE {
        return Err(TextError::new(TextErrorKind::TooLarge {
            within: within.to_string(),
        }));
    }
    Ok((actions, i))
}

/// `userspace(pid=N[,userdata(hex)][,actions][,tunnel_out_port=N])`.
fn parse_userspace(b: &[u8], i: usize) -> Result<(Action, usize), TextError> {
    let within = "userspace";
    let v = i + "userspace(pid=".len();
    let (pid, mut n) = lit(b, i, "userspace(pid=")
        .and_then(|j| conv_i(b, j))
        .ok_or_else(|| bad_value(within, Some("pid"), b, v))?;
    let mut userspace = UserspaceAction {
        pid: pid as u32,
        ..UserspaceAction::default()
    };
    if let Some(cookie) = UNSUPPORTED_COOKIES
        .iter()
        .find(|c| at(b, n) == b',' && starts_with(b, n + 1, c) && at(b, n + 1 + c.len()) == b'(')
    {
        return Err(TextError::new(TextErrorKind::UnsupportedUserspaceCookie(
            cookie.to_string(),
        )));
    }
    let mut data = match lit(b, n, ",userdata(") {
        Some(j) => {
            let (bytes, end) = scan_hex_bytes(b, j);
            if at(b, end) != b')' {
                return Err(bad_value(within, Some("userdata"), b, j));
            }
            n = end + 1;
            bytes
        }
        None => vec![0; DEFAULT_USERDATA_LEN],
    };
    if data.len() < MIN_USERDATA_LEN {
        data.resize(MIN_USERDATA_LEN, 0);
    }
    userspace.userdata = Some(data);
    if let Some(j) = lit(b, n, ",actions") {
        userspace.actions = true;
        n = j;
    }
    if let Some(j) = lit(b, n, ",tunnel_out_port=") {
        let (port, end) = conv_i(b, j)
            .filter(|(_, e)| at(b, *e) == b')')
            .ok_or_else(|| bad_value(within, Some("tunnel_out_port"), b, j))?;
        // Port u32::MAX is "no port" (ODPP_NONE), so it is left out.
        userspace.egress_tun_port = Some(port as u32).filter(|p| *p != u32::MAX);
        return Ok((Action::Userspace(userspace), end + 1));
    }
    if at(b, n) == b')' {
        return Ok((Action::Userspace(userspace), n + 1));
    }
    Err(syntax(within, b, n))
}

/// Pairs of hex digits, white space allowed between pairs.
fn scan_hex_bytes(b: &[u8], mut i: usize) -> (Vec<u8>, usize) {
    let mut bytes = Vec::new();
    loop {
        while matches!(at(b, i), b' ' | b'\t' | b'\r' | b'\n') {
            i += 1;
        }
        let hi = super::scan::hexit(at(b, i));
        let lo = super::scan::hexit(at(b, i + 1));
        match (hi, lo) {
            (Some(hi), Some(lo)) => {
                bytes.push((hi * 16 + lo) as u8);
                i += 2;
            }
            _ => return (bytes, i),
        }
    }
}

/// `set(attr)`: a set of a whole attribute, or a masked set when the mask
/// the text gives is not all ones.
fn parse_set(b: &[u8], i: usize) -> Result<(Action, usize), TextError> {
    let attr = parse_attr(b, i, true, 0)?;
    if at(b, attr.end) != b')' {
        return Err(syntax("set", b, attr.end));
    }
    let action = if set_mask_is_all_ones(&attr.mask) {
        Action::Set(attr.key)
    } else {
        Action::SetMasked {
            value: attr.key,
            mask: attr.mask,
        }
    };
    Ok((action, attr.end + 1))
}

/// `push_vlan([tpid=N,]vid=N,pcp=N[,cfi=N])`; the TPID defaults to 0x8100
/// and the tag is marked present unless `cfi=0`.
fn parse_push_vlan(b: &[u8], i: usize) -> Result<(Action, usize), TextError> {
    let within = "push_vlan";
    let mut n = i + "push_vlan(".len();
    let mut tpid = u64::from(ETH_TYPE_VLAN);
    let field = |n: &mut usize, name: &str| -> Result<Option<u64>, TextError> {
        let Some(j) = lit(b, *n, name) else {
            return Ok(None);
        };
        let (v, e) = conv_i(b, j).ok_or_else(|| bad_value(within, Some(name), b, j))?;
        *n = e;
        Ok(Some(v))
    };
    if let Some(t) = field(&mut n, "tpid=")? {
        tpid = t;
        n = lit(b, n, ",").ok_or_else(|| syntax(within, b, n))?;
    }
    let vid_at = n + "vid=".len();
    let vid = field(&mut n, "vid=")?.ok_or_else(|| syntax(within, b, n))? as i32;
    n = lit(b, n, ",").ok_or_else(|| syntax(within, b, n))?;
    let pcp_at = n + "pcp=".len();
    let pcp = field(&mut n, "pcp=")?.ok_or_else(|| syntax(within, b, n))? as i32;
    let mut cfi = 1i32;
    if starts_with(b, n, ",cfi=") {
        n += 1;
        cfi = field(&mut n, "cfi=")?.unwrap_or(1) as i32;
    }
    if at(b, n) != b')' {
        return Err(syntax(within, b, n));
    }
    if vid & !0x0fff != 0 {
        return Err(bad_value(within, Some("vid"), b, vid_at));
    }
    if pcp & !0x7 != 0 {
        return Err(bad_value(within, Some("pcp"), b, pcp_at));
    }
    let present = if cfi != 0 { VLAN_TAG_PRESENT } else { 0 };
    let tci = (vid as u16) | ((pcp as u16) << VLAN_PCP_SHIFT) | present;
    Ok((
        Action::PushVlan {
            tpid: tpid as u16,
            tci,
        },
        n + 1,
    ))
}

/// `sample(sample=P%,actions(...))` with 0 <= P <= 100.
fn parse_sample(
    b: &[u8],
    i: usize,
    depth: usize,
    offset: usize,
) -> Result<(Action, usize), TextError> {
    let within = "sample";
    let v = i + "sample(sample=".len();
    let percent = lit(b, i, "sample(sample=")
        .and_then(|j| conv_float(b, j))
        .and_then(|(p, e)| lit(b, e, "%,actions(").map(|e| (p, e)))
        .filter(|(p, _)| (0.0..=100.0).contains(p));
    let Some((percent, list_at)) = percent else {
        return Err(bad_value(within, Some("sample"), b, v));
    };
    // Headers of the sample, its probability and its action list come first.
    let start = offset.saturating_add(4 + 8 + 4);
    let (actions, close) = parse_action_list(b, list_at, within, depth, start)?;
    if at(b, close + 1) != b')' {
        return Err(syntax(within, b, close + 1));
    }
    Ok((
        Action::Sample {
            probability: probability_of(percent),
            actions,
        },
        close + 2,
    ))
}

/// Rounds a percentage to the nearest fraction of `u32::MAX`.
fn probability_of(percent: f64) -> u32 {
    let p = (f64::from(u32::MAX) * (percent / 100.0) + 0.5).floor();
    if p <= 0.0 {
        0
    } else if p >= f64::from(u32::MAX) {
        u32::MAX
    } else {
        p as u32
    }
}
