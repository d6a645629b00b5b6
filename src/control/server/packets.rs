//! Packets to and from controllers: executes, and upcalls from the PMDs
//! delivered to their handlers.

use super::*;
use crate::datapath::upcall_losses::LossReason;

impl ControlServer {
    /// `OVS_PACKET_CMD_EXECUTE` (U2): runs the actions on the packet from
    /// the management lcore; its `userspace` actions go up at once (U3).
    pub(super) fn execute(
        &mut self,
        msg: &OvsMessage<'_>,
        switch: &mut Switch,
    ) -> Result<Option<Response>, Failure> {
        let request =
            packet_cmd::parse_execute(msg, &|p| switch.has_port(p)).map_err(|error| Failure {
                log: !packet_cmd::is_probe(msg),
                error,
            })?;
        if msg.dp_ifindex != self.dp.dp_ifindex {
            return Err(Failure::quiet(CmdError::enodev()));
        }
        let mut upcalls = Vec::new();
        let outcome = switch.execute(request.frame, &request.actions, &mut |action, packet| {
            upcalls.push((action.pid, action.userdata.clone(), packet));
        });
        let Some(outcome) = outcome else {
            return Err(Failure::quiet(CmdError::new(
                Errno::ENOMEM,
                "no packet buffer is free",
            )));
        };
        switch.count_lost(outcome.dropped);
        for (pid, userdata, packet) in upcalls {
            let message = packet_cmd::upcall_message(
                OVS_PACKET_CMD_ACTION,
                self.dp.dp_ifindex,
                packet.data(),
                request.in_port,
                userdata.as_deref(),
            );
            if !self.send_upcall(pid, message) {
                switch.count_upcall_lost(request.in_port, LossReason::Unread);
            }
        }
        Ok(Some(Response::default()))
    }

    /// Sends the packets the PMDs queued for the control plane (U1, U3)
    /// to their handlers; what no connection takes is lost.
    pub(super) fn deliver_upcalls(&mut self, switch: &mut Switch) {
        let dp_ifindex = self.dp.dp_ifindex;
        let mut pending = Vec::new();
        switch.drain_upcalls(UPCALLS_PER_ROUND, |upcall| {
            let Some(packet) = upcall.packet.take() else {
                return;
            };
            let (cmd, pid) = match upcall.kind {
                UpcallKind::Miss => (OVS_PACKET_CMD_MISS, None),
                UpcallKind::Action { pid } => (OVS_PACKET_CMD_ACTION, Some(pid)),
            };
            let message = packet_cmd::upcall_message(
                cmd,
                dp_ifindex,
                packet.data(),
                upcall.in_port,
                upcall.userdata(),
            );
            pending.push((pid, upcall.in_port, message));
        });
        for (pid, in_port, message) in pending {
            // A miss goes to whoever handles its port now.
            let pid = pid.unwrap_or_else(|| switch.upcall_pid(in_port));
            if !self.send_upcall(pid, message) {
                switch.count_upcall_lost(in_port, LossReason::Unread);
            }
        }
    }

    /// Queues an upcall for the connection with netlink port id `pid`;
    /// false when there is none or it is not keeping up.
    pub(super) fn send_upcall(&mut self, pid: u32, message: Vec<u8>) -> bool {
        match self.conns.iter_mut().find(|c| c.port_id == pid && !c.dead) {
            Some(conn) if conn.pending_bytes() <= NOTIFY_LIMIT_BYTES => {
                conn.queue(message);
                true
            }
            Some(conn) => {
                conn.mark_overrun();
                false
            }
            None => false,
        }
    }
}
