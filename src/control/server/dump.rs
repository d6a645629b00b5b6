//! Flow dumps, one datagram per part, resumed as the client reads.

use super::*;
use crate::classifier::FlowTable;

impl ControlServer {
    /// Queues the next part of a flow dump when the previous one has been
    /// read: whole messages up to one datagram, the last part ending with
    /// `NLMSG_DONE`.
    pub(super) fn continue_dump(&mut self, index: usize, table: &FlowTable) {
        let conn = &mut self.conns[index];
        let Some(dump) = conn.dump else { return };
        if conn.has_output() || conn.dead {
            return;
        }
        let mut part = Vec::with_capacity(DATAGRAM_MAX);
        let mut after = dump.after;
        let mut finished = true;
        for flow in table.flows_after(dump.after) {
            let message = flow_message(
                FlowMessageHeader {
                    cmd: OVS_FLOW_CMD_GET,
                    dp_ifindex: self.dp.dp_ifindex,
                    seq: dump.seq,
                    port_id: conn.port_id,
                    flags: NLM_F_MULTI,
                },
                flow,
                table.actions(flow),
                dump.ufid_flags,
            );
            if !part.is_empty() && part.len() + message.len() > DATAGRAM_MAX {
                finished = false;
                break;
            }
            part.extend_from_slice(&message);
            after = Some(flow.id());
        }
        let done = encode_done(conn.port_id, dump.seq, 0);
        if finished && part.len() + done.len() <= DATAGRAM_MAX {
            part.extend_from_slice(&done);
            conn.dump = None;
        } else {
            conn.dump = Some(FlowDump { after, ..dump });
        }
        if !part.is_empty() {
            conn.queue_datagram(part);
        }
        if let Some(token) = conn.token_after_part.take() {
            conn.queue_token(token);
        }
    }
}
