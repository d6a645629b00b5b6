//! The flow subcommands: add-flow, mod-flow, get-flow, del-flow,
//! del-flows, dump-flows, and monitor, which follows the `ovs_flow`
//! multicast group.

use crate::args::{open_datapath, split_dp, FlowSpec};
use crate::Options;
use dpswitch_client::client::{Client, Message};
use dpswitch_proto::dump::{format_flow_reply, format_stats, DumpStats};
use dpswitch_proto::flow::text::parse_actions;
use dpswitch_proto::netlink::consts::*;
use dpswitch_proto::netlink::flow::monotonic_msec as now_ms;
use dpswitch_proto::netlink::FlowAttrs;
use std::io::Write;

/// add-flow [DP] FLOW ACTIONS: `OVS_FLOW_CMD_NEW` with `NLM_F_CREATE`.
pub fn add_flow(client: &mut Client, args: &[String], options: &Options) -> Result<(), String> {
    put_flow(client, args, options, OVS_FLOW_CMD_NEW, NLM_F_CREATE)
}

/// mod-flow [DP] FLOW ACTIONS: `OVS_FLOW_CMD_SET`, or with `--may-create`
/// `OVS_FLOW_CMD_NEW` without `NLM_F_CREATE` (change it or add it).
pub fn mod_flow(client: &mut Client, args: &[String], options: &Options) -> Result<(), String> {
    let cmd = if options.may_create {
        OVS_FLOW_CMD_NEW
    } else {
        OVS_FLOW_CMD_SET
    };
    put_flow(client, args, options, cmd, 0)
}

fn put_flow(
    client: &mut Client,
    args: &[String],
    options: &Options,
    cmd: u8,
    flags: u16,
) -> Result<(), String> {
    let (dp, rest) = split_dp(args, 2);
    let [flow, actions] = rest else {
        return Err("FLOW and ACTIONS are required".to_string());
    };
    let spec = FlowSpec::parse(flow, options.ufid.as_deref())?;
    let actions = parse_actions(actions).map_err(|e| format!("parsing actions: {e}"))?;
    let dp = open_datapath(client, dp)?;
    let attrs = FlowAttrs {
        actions: Some(actions),
        clear: options.clear,
        ..spec.attrs(true)
    };
    change(client, cmd, flags, dp.dp_ifindex, &attrs, options)
}

/// get-flow [DP] FLOW: the flow found by UFID or key, as dump-flows prints it.
pub fn get_flow(client: &mut Client, args: &[String], options: &Options) -> Result<(), String> {
    let (dp, rest) = split_dp(args, 1);
    let [flow] = rest else {
        return Err("FLOW is required".to_string());
    };
    let spec = FlowSpec::parse(flow, options.ufid.as_deref())?;
    let dp = open_datapath(client, dp)?;
    let req = client
        .flow_request(OVS_FLOW_CMD_GET, dp.dp_ifindex, &spec.attrs(false))
        .map_err(|e| e.to_string())?;
    let replies = client.request(&req).map_err(|e| e.to_string())?;
    let reply = replies
        .first()
        .ok_or_else(|| "the daemon sent no flow".to_string())?;
    print_line(&flow_line(reply, now_ms(), options.verbose)?);
    Ok(())
}

/// del-flow [DP] FLOW: deletes the flow found by UFID or key.
pub fn del_flow(client: &mut Client, args: &[String], options: &Options) -> Result<(), String> {
    let (dp, rest) = split_dp(args, 1);
    let [flow] = rest else {
        return Err("FLOW is required".to_string());
    };
    let spec = FlowSpec::parse(flow, options.ufid.as_deref())?;
    let dp = open_datapath(client, dp)?;
    change(
        client,
        OVS_FLOW_CMD_DEL,
        0,
        dp.dp_ifindex,
        &spec.attrs(false),
        options,
    )
}

/// del-flows [DP]: `OVS_FLOW_CMD_DEL` without key or UFID flushes the table.
pub fn del_flows(client: &mut Client, dp: Option<&str>) -> Result<(), String> {
    let dp = open_datapath(client, dp)?;
    let req = client
        .flow_request(OVS_FLOW_CMD_DEL, dp.dp_ifindex, &FlowAttrs::default())
        .map_err(|e| e.to_string())?;
    client.request(&req).map(drop).map_err(|e| e.to_string())
}

/// dump-flows [DP]: one line per flow.
pub fn dump_flows(client: &mut Client, dp: Option<&str>, options: &Options) -> Result<(), String> {
    let dp = open_datapath(client, dp)?;
    let req = client
        .flow_request(OVS_FLOW_CMD_GET, dp.dp_ifindex, &FlowAttrs::default())
        .map_err(|e| e.to_string())?;
    let now = now_ms();
    for reply in client.dump(&req).map_err(|e| e.to_string())? {
        let reply = reply.map_err(|e| e.to_string())?;
        print_line(&flow_line(&reply, now, options.verbose)?);
    }
    Ok(())
}

/// monitor [DP]: subscribes to `ovs_flow` and prints each notification as
/// `NEW|SET|DEL <flow>` until interrupted.
pub fn monitor(client: &mut Client, dp: Option<&str>, options: &Options) -> Result<(), String> {
    let dp_ifindex = match dp {
        Some(name) => Some(open_datapath(client, Some(name))?.dp_ifindex),
        None => None,
    };
    let flow_family = client
        .family(OVS_FLOW_FAMILY)
        .map_err(|e| e.to_string())?
        .id;
    client
        .subscribe_to(OVS_FLOW_FAMILY, OVS_FLOW_MCGROUP)
        .map_err(|e| e.to_string())?;
    eprintln!("dpctl: monitor: listening for flow changes");
    loop {
        let msg = client.recv_notification().map_err(|e| e.to_string())?;
        if msg.header.msg_type != flow_family {
            continue;
        }
        let ovs = msg.ovs().map_err(|e| format!("bad notification: {e}"))?;
        if dp_ifindex.is_some_and(|dp| dp != ovs.dp_ifindex) {
            continue;
        }
        let what = match ovs.genl.cmd {
            OVS_FLOW_CMD_NEW => "NEW".to_string(),
            OVS_FLOW_CMD_SET => "SET".to_string(),
            OVS_FLOW_CMD_DEL => "DEL".to_string(),
            other => format!("cmd({other})"),
        };
        print_line(&format!(
            "{what} {}",
            flow_line(&msg, now_ms(), options.verbose)?
        ));
    }
}

/// Sends a flow change; with `-s` asks for the flow back (`NLM_F_ECHO`)
/// and prints its counters, as ovs-dpctl does.
fn change(
    client: &mut Client,
    cmd: u8,
    flags: u16,
    dp_ifindex: i32,
    attrs: &FlowAttrs,
    options: &Options,
) -> Result<(), String> {
    let echo = if options.statistics { NLM_F_ECHO } else { 0 };
    let req = client
        .flow_request(cmd, dp_ifindex, attrs)
        .map_err(|e| e.to_string())?
        .with_flags(flags | echo);
    let replies = client.request(&req).map_err(|e| e.to_string())?;
    if options.statistics {
        let flow = match replies.first() {
            Some(reply) => decode_flow(reply)?,
            None => FlowAttrs::default(),
        };
        print_line(&format_stats(&DumpStats::of_reply(&flow, now_ms())));
    }
    Ok(())
}

fn decode_flow(msg: &Message) -> Result<FlowAttrs, String> {
    let ovs = msg.ovs().map_err(|e| format!("bad flow reply: {e}"))?;
    FlowAttrs::decode(ovs.attrs).map_err(|e| format!("bad flow reply: {e}"))
}

fn flow_line(msg: &Message, now_ms: u64, verbose: bool) -> Result<String, String> {
    let ovs = msg.ovs().map_err(|e| format!("bad flow reply: {e}"))?;
    format_flow_reply(ovs.attrs, now_ms, verbose).map_err(|e| format!("bad flow reply: {e}"))
}

/// Prints one line; a reader that went away ends dpctl quietly.
pub fn print_line(line: &str) {
    let mut out = std::io::stdout().lock();
    if writeln!(out, "{line}").and_then(|()| out.flush()).is_err() {
        std::process::exit(1);
    }
}
