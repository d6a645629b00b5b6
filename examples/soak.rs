//! The control-plane load of `perf/soak.sh`: against a running dpswitchd
//! it churns megaflows at a steady pace (installs and deletes, with
//! UFIDs, on two masks) and, as the handler of one port, reads every miss
//! that port sends up, until the given minutes are over; then it prints
//! what it did. The script reads dpswitchd's own counters meanwhile.
//!
//! ```text
//! soak --socket PATH --minutes N --miss-port P --out-port Q [--changes-per-sec R]
//! ```

use dpswitch::flow::text::{parse_actions, parse_match};
use dpswitch::netlink::attr::AttrWriter;
use dpswitch::netlink::consts::*;
use dpswitch::netlink::FlowAttrs;
use dpswitch_client::client::{Client, Request};
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Churned flows kept installed.
const LIVE: usize = 10_000;

struct Args {
    socket: String,
    minutes: f64,
    miss_port: u32,
    out_port: u32,
    changes_per_sec: u64,
}

fn args() -> Result<Args, String> {
    let mut a = Args {
        socket: String::new(),
        minutes: 30.0,
        miss_port: 2,
        out_port: 3,
        changes_per_sec: 2000,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().ok_or(format!("{flag} needs a value"))?;
        let number = || value.parse::<f64>().map_err(|e| format!("{flag}: {e}"));
        match flag.as_str() {
            "--socket" => a.socket = value.clone(),
            "--minutes" => a.minutes = number()?,
            "--miss-port" => a.miss_port = number()? as u32,
            "--out-port" => a.out_port = number()? as u32,
            "--changes-per-sec" => a.changes_per_sec = number()? as u64,
            other => return Err(format!("unknown option {other}")),
        }
    }
    if a.socket.is_empty() {
        return Err("--socket is required".into());
    }
    Ok(a)
}

/// Churned flow `i`: on the port whose traffic misses (the table's own
/// flows would take these keys for duplicates on port 1), with addresses
/// outside the replayed traffic's, on two masks.
fn churned(i: usize, in_port: u32, out_port: u32) -> FlowAttrs {
    let dst = format!("172.31.{}.{}", (i >> 8) & 0xff, i & 0xff);
    let key = if i.is_multiple_of(2) {
        format!("in_port({in_port}),eth(),eth_type(0x0800),ipv4(dst={dst},frag=no)")
    } else {
        format!(
            "in_port({in_port}),eth(),eth_type(0x0800),ipv4(dst={dst},proto=17,frag=no),udp(dst=9)"
        )
    };
    let (key, mask) = parse_match(&key).expect("churned key");
    let mut ufid = vec![0u8; 16];
    ufid[..8].copy_from_slice(&(i as u64 + 1).to_le_bytes());
    ufid[15] = 0x50;
    FlowAttrs {
        key: Some(key),
        mask: Some(mask),
        actions: Some(parse_actions(&out_port.to_string()).expect("actions")),
        ufid: Some(ufid),
        ..FlowAttrs::default()
    }
}

/// Registers a connection as `port`'s upcall handler and reads what it
/// is sent until `stop`; counts the messages.
fn handle_misses(socket: &str, port: u32, stop: Arc<AtomicBool>, count: Arc<AtomicU64>) {
    let mut client = Client::connect(socket).expect("handler connects");
    let dp = client.only_datapath().expect("datapath").dp_ifindex;
    let vport = client.family_id(OVS_VPORT_FAMILY).expect("vport family");
    let pid = client.port_id().expect("port id");
    let mut w = AttrWriter::new();
    w.put_u32(OVS_VPORT_ATTR_PORT_NO, port);
    w.put_u32(OVS_VPORT_ATTR_UPCALL_PID, pid);
    let set = Request::ovs(
        vport,
        OVS_VPORT_CMD_SET,
        OVS_VPORT_VERSION,
        dp,
        w.as_bytes(),
    );
    client.request(&set).expect("handler set");
    while !stop.load(Ordering::Relaxed) {
        if client
            .recv_notification_timeout(Duration::from_millis(200))
            .is_ok_and(|m| m.is_some())
        {
            count.fetch_add(1, Ordering::Relaxed);
        }
    }
}

fn main() -> Result<(), String> {
    let a = args()?;
    let stop = Arc::new(AtomicBool::new(false));
    let misses = Arc::new(AtomicU64::new(0));
    let handler = {
        let (socket, stop, misses) = (a.socket.clone(), Arc::clone(&stop), Arc::clone(&misses));
        let port = a.miss_port;
        std::thread::spawn(move || handle_misses(&socket, port, stop, misses))
    };
    let mut client = Client::connect(&a.socket).map_err(|e| e.to_string())?;
    let dp = client
        .only_datapath()
        .map_err(|e| e.to_string())?
        .dp_ifindex;
    let (started, end) = (Instant::now(), Duration::from_secs_f64(a.minutes * 60.0));
    let (mut live, mut next, mut changes) = (VecDeque::new(), 0usize, 0u64);
    while started.elapsed() < end {
        // One tenth of a second's changes, then wait for the schedule.
        for _ in 0..(a.changes_per_sec / 10).max(1) {
            let (cmd, flow, flags) = if live.len() < LIVE {
                live.push_back(next);
                next = (next + 1) % 60_000;
                (OVS_FLOW_CMD_NEW, *live.back().unwrap(), NLM_F_CREATE)
            } else {
                (OVS_FLOW_CMD_DEL, live.pop_front().unwrap(), 0)
            };
            let req = client
                .flow_request(cmd, dp, &churned(flow, a.miss_port, a.out_port))
                .map_err(|e| e.to_string())?
                .with_flags(flags);
            client
                .request(&req)
                .map_err(|e| format!("flow change {changes}: {e}"))?;
            changes += 1;
        }
        let due = Duration::from_secs_f64(changes as f64 / a.changes_per_sec as f64);
        if let Some(wait) = due.checked_sub(started.elapsed()) {
            std::thread::sleep(wait);
        }
    }
    stop.store(true, Ordering::Relaxed);
    handler.join().map_err(|_| "the handler thread panicked")?;
    println!(
        "soak: {changes} flow changes and {} misses read in {:.0} s",
        misses.load(Ordering::Relaxed),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
