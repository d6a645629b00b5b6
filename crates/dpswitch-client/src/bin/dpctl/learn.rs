//! learn [DP]: a reference controller playing vswitchd's part for a plain
//! L2 learning switch (`dpswitch_client::learn` decides; this loop
//! talks to the daemon). It becomes the upcall handler of the chosen
//! ports, and for each missed frame installs or deletes flows and sends
//! the frame on with `OVS_PACKET_CMD_EXECUTE`; it ages MACs against their
//! flows' last use. On SIGINT or SIGTERM it hands the ports back (upcall
//! port id 0) and deletes the flows it installed, since no one would age
//! them after it.

use crate::args::open_datapath;
use dpswitch_client::client::{Client, ClientError, Upcall, Vport};
use dpswitch_client::learn::{Event, Frame, LearningSwitch, Megaflow, Ufid};
use dpswitch_proto::flow::odp::Action;
use dpswitch_proto::netlink::consts::*;
use dpswitch_proto::netlink::flow::monotonic_msec;
use dpswitch_proto::netlink::FlowAttrs;
use nix::errno::Errno;
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long a wait for upcalls lasts before the stop flag is looked at.
const POLL: Duration = Duration::from_millis(100);
/// How often the MAC table is checked for entries due to age.
const AGE_CHECK: Duration = Duration::from_secs(1);

pub fn learn(
    client: &mut Client,
    dp: Option<&str>,
    max_idle_secs: u64,
    ports: &str,
) -> Result<(), String> {
    let stop = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register(signal, Arc::clone(&stop))
            .map_err(|e| format!("installing the signal handler: {e}"))?;
    }
    let dp = open_datapath(client, dp)?;
    let packet_family = client
        .family_id(OVS_PACKET_FAMILY)
        .map_err(|e| e.to_string())?;
    let vports = client.vports(dp.dp_ifindex).map_err(|e| e.to_string())?;
    let ports = select_ports(&vports, ports)?;
    let mut controller = Controller {
        client,
        dp_ifindex: dp.dp_ifindex,
        packet_family,
        switch: LearningSwitch::new(ports.clone(), max_idle_secs.saturating_mul(1000)),
    };
    let registered = controller.register(&ports);
    let result = registered.and_then(|()| {
        let pid = controller.client.port_id().unwrap_or(0);
        let list: Vec<String> = ports.iter().map(u32::to_string).collect();
        eprintln!(
            "dpctl: learn: upcall handler (port id {pid}) of port(s) {} of {}, max idle {max_idle_secs} s",
            list.join(","),
            dp.name
        );
        controller.run(&stop)
    });
    let cleanup = controller.stop(&ports);
    result.and(cleanup)
}

/// The ports `spec` names (`all`, or a comma-separated list of port
/// numbers), in port-number order.
pub fn select_ports(vports: &[Vport], spec: &str) -> Result<Vec<u32>, String> {
    let mut all: Vec<u32> = vports.iter().map(|v| v.port_no).collect();
    all.sort_unstable();
    if spec == "all" {
        return Ok(all);
    }
    let mut chosen = Vec::new();
    for item in spec.split(',') {
        let port: u32 = item
            .trim()
            .parse()
            .map_err(|_| format!("--ports: {item:?} is not a port number"))?;
        if !all.contains(&port) {
            return Err(format!("--ports: the datapath has no port {port}"));
        }
        if !chosen.contains(&port) {
            chosen.push(port);
        }
    }
    chosen.sort_unstable();
    Ok(chosen)
}

struct Controller<'a> {
    client: &'a mut Client,
    dp_ifindex: i32,
    packet_family: u16,
    switch: LearningSwitch,
}

/// A change sent to the daemon whose answer is still to be collected.
enum Pending {
    Install(Megaflow),
    Delete(Megaflow),
    Execute,
}

impl Controller<'_> {
    /// Becomes the upcall handler of every port; on a failure, hands back
    /// those taken so far.
    fn register(&mut self, ports: &[u32]) -> Result<(), String> {
        for (i, &port) in ports.iter().enumerate() {
            if let Err(e) = self.client.handle_upcalls(self.dp_ifindex, port, true) {
                self.unregister(&ports[..i]);
                return Err(format!("becoming port {port}'s upcall handler: {e}"));
            }
        }
        Ok(())
    }

    fn unregister(&mut self, ports: &[u32]) {
        for &port in ports {
            if let Err(e) = self.client.handle_upcalls(self.dp_ifindex, port, false) {
                eprintln!("dpctl: learn: handing back port {port}: {e}");
            }
        }
    }

    fn run(&mut self, stop: &AtomicBool) -> Result<(), String> {
        let mut next_age_check = Instant::now() + AGE_CHECK;
        while !stop.load(Ordering::Relaxed) {
            let msg = self
                .client
                .recv_notification_timeout(POLL)
                .map_err(|e| e.to_string())?;
            if let Some(msg) = msg.filter(|m| m.header.msg_type == self.packet_family) {
                match Upcall::parse(&msg) {
                    Ok(upcall) => self.on_upcall(&upcall)?,
                    Err(e) => eprintln!("dpctl: learn: {e}"),
                }
            }
            if Instant::now() >= next_age_check {
                self.age()?;
                next_age_check = Instant::now() + AGE_CHECK;
            }
        }
        Ok(())
    }

    fn on_upcall(&mut self, upcall: &Upcall) -> Result<(), String> {
        if upcall.cmd != OVS_PACKET_CMD_MISS || upcall.dp_ifindex != self.dp_ifindex {
            return Ok(());
        }
        let Some(frame) = Frame::of_key(&upcall.key) else {
            return Ok(());
        };
        let decision = self.switch.on_miss(&frame, monotonic_msec());
        let mut pending = self.submit_events(&decision.events)?;
        if !decision.outputs.is_empty() {
            let actions: Vec<Action> = decision
                .outputs
                .iter()
                .map(|&p| Action::Output(p))
                .collect();
            let req = self
                .client
                .execute_request(self.dp_ifindex, &upcall.packet, &upcall.key, &actions)
                .map_err(|e| e.to_string())?;
            pending.push((self.submit(&req)?, Pending::Execute));
        }
        self.collect(pending)
    }

    /// Reads the flows' last use when some MAC is due to age, then ages.
    fn age(&mut self) -> Result<(), String> {
        if !self.switch.ageing_due(monotonic_msec()) {
            return Ok(());
        }
        let used = self.flows_used()?;
        for flow in self.switch.revalidate(used) {
            say(&format!("gone: {flow}"));
        }
        let events = self.switch.age(monotonic_msec());
        let pending = self.submit_events(&events)?;
        self.collect(pending)
    }

    /// Every flow's UFID and last use, from one dump without keys, masks
    /// or actions.
    fn flows_used(&mut self) -> Result<Vec<(Ufid, Option<u64>)>, String> {
        let attrs = FlowAttrs {
            ufid_flags: OVS_UFID_F_OMIT_KEY | OVS_UFID_F_OMIT_MASK | OVS_UFID_F_OMIT_ACTIONS,
            ..FlowAttrs::default()
        };
        let req = self
            .client
            .flow_request(OVS_FLOW_CMD_GET, self.dp_ifindex, &attrs)
            .map_err(|e| e.to_string())?;
        let mut used = Vec::new();
        for reply in self.client.dump(&req).map_err(|e| e.to_string())? {
            let reply = reply.map_err(|e| format!("dumping flows: {e}"))?;
            let ovs = reply.ovs().map_err(|e| format!("bad flow reply: {e}"))?;
            let flow = FlowAttrs::decode(ovs.attrs).map_err(|e| format!("bad flow reply: {e}"))?;
            if let Some(ufid) = flow.ufid().and_then(|u| Ufid::try_from(u).ok()) {
                used.push((ufid, flow.used));
            }
        }
        Ok(used)
    }

    /// Prints each event and sends the flow changes among them.
    fn submit_events(&mut self, events: &[Event]) -> Result<Vec<(u32, Pending)>, String> {
        let mut pending = Vec::new();
        for event in events {
            say(&event.to_string());
            let (cmd, flags, attrs, what) = match *event {
                Event::Installed(flow) => (
                    OVS_FLOW_CMD_NEW,
                    NLM_F_CREATE,
                    flow.attrs(),
                    Pending::Install(flow),
                ),
                Event::Deleted(flow) => (
                    OVS_FLOW_CMD_DEL,
                    0,
                    FlowAttrs {
                        ufid: Some(flow.ufid().to_vec()),
                        ..FlowAttrs::default()
                    },
                    Pending::Delete(flow),
                ),
                _ => continue,
            };
            let req = self
                .client
                .flow_request(cmd, self.dp_ifindex, &attrs)
                .map_err(|e| e.to_string())?
                .with_flags(flags);
            pending.push((self.submit(&req)?, what));
        }
        Ok(pending)
    }

    fn submit(&mut self, req: &dpswitch_client::client::Request) -> Result<u32, String> {
        self.client.submit(req).map_err(|e| e.to_string())
    }

    /// Collects the answers. A refused change is reported and the switch
    /// carries on: a flow that is not there is forgotten, so the next
    /// miss tries again. Only a failed connection ends the loop.
    fn collect(&mut self, pending: Vec<(u32, Pending)>) -> Result<(), String> {
        for (seq, what) in pending {
            let Err(e) = self.client.collect(seq) else {
                continue;
            };
            if is_connection_error(&e) {
                return Err(e.to_string());
            }
            match what {
                Pending::Install(flow) => {
                    self.switch.forget_flow(&flow.ufid());
                    eprintln!("dpctl: learn: installing {flow}: {e}");
                }
                // Gone already: what the delete wanted.
                Pending::Delete(_) if e.errno == Errno::ENOENT => {}
                Pending::Delete(flow) => eprintln!("dpctl: learn: deleting {flow}: {e}"),
                Pending::Execute => eprintln!("dpctl: learn: sending a packet: {e}"),
            }
        }
        Ok(())
    }

    /// Hands the ports back and deletes the flows installed.
    fn stop(&mut self, ports: &[u32]) -> Result<(), String> {
        self.unregister(ports);
        let events: Vec<Event> = self
            .switch
            .take_flows()
            .into_iter()
            .map(Event::Deleted)
            .collect();
        let pending = self.submit_events(&events)?;
        self.collect(pending)
    }
}

/// Errors of the connection itself, as opposed to a refused request.
fn is_connection_error(e: &ClientError) -> bool {
    [
        Errno::ECONNRESET,
        Errno::EPIPE,
        Errno::EPROTO,
        Errno::ENOTCONN,
    ]
    .contains(&e.errno)
}

/// Prints one line; a reader that went away does not stop the switch.
fn say(line: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}").and_then(|()| out.flush());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vports(numbers: &[u32]) -> Vec<Vport> {
        numbers
            .iter()
            .map(|&port_no| Vport {
                port_no,
                name: format!("p{port_no}"),
                ..Vport::default()
            })
            .collect()
    }

    #[test]
    fn ports_are_all_or_a_list_of_existing_ones() {
        let v = vports(&[3, 1, 2]);
        assert_eq!(select_ports(&v, "all"), Ok(vec![1, 2, 3]));
        assert_eq!(select_ports(&v, "3,1"), Ok(vec![1, 3]));
        assert_eq!(select_ports(&v, "2, 2"), Ok(vec![2]));
        assert_eq!(
            select_ports(&v, "1,4"),
            Err("--ports: the datapath has no port 4".to_string())
        );
        assert_eq!(
            select_ports(&v, "1,x"),
            Err("--ports: \"x\" is not a port number".to_string())
        );
    }
}
