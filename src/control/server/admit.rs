//! Taking new connections: each peer is admitted, admitted in place of an
//! idle read-only connection, or refused with one `NLMSG_ERROR` datagram
//! saying why (src/control/admission.rs decides which).

use super::*;
use crate::control::admission::{decide, Decision, Holder, Newcomer, Refusal};
use std::io::{Read, Write};
use std::net::Shutdown;
use std::os::unix::net::UnixStream;
use std::time::Instant;

/// Unread requests discarded from a connection being closed (see
/// [`notify_closing`]); the kernel queues at most `max_dgram_qlen` (512).
const DRAIN_MAX: usize = 512;

/// Connections taken per round, so a peer that connects in a loop cannot
/// keep the management lcore from its other duties.
const ACCEPTS_PER_ROUND: usize = 64;

impl ControlServer {
    pub(super) fn accept(&mut self) {
        for _ in 0..ACCEPTS_PER_ROUND {
            let Ok((stream, _)) = self.listener.socket.accept() else {
                return;
            };
            if stream.set_nonblocking(true).is_err() {
                continue;
            }
            let Ok(peer) = peer_of(&stream, self.admin_group) else {
                continue;
            };
            let now = Instant::now();
            // Connections already on their way out hold no slot.
            let open: Vec<usize> = (0..self.conns.len())
                .filter(|&i| self.conns[i].open())
                .collect();
            let held: Vec<Holder> = open
                .iter()
                .map(|&i| {
                    let c = &self.conns[i];
                    Holder {
                        uid: c.peer.uid,
                        admin: c.peer.admin,
                        reclaimable: c.reclaimable(),
                        active_at: c.active_at,
                    }
                })
                .collect();
            let newcomer = Newcomer {
                uid: peer.uid,
                admin: peer.admin,
            };
            match decide(&self.limits, &held, newcomer, now) {
                Decision::Accept => {}
                Decision::Reclaim(victim) => self.reclaim(open[victim], &peer, now),
                Decision::Refuse(refusal) => {
                    self.refuse(&stream, &peer, &refusal);
                    continue; // dropping the stream closes it
                }
            }
            let port_id = self.next_port_id;
            self.next_port_id = self.next_port_id.wrapping_add(1).max(1);
            let access = if peer.admin { "admin" } else { "read-only" };
            event!(
                CONTROL,
                Debug,
                "connection {port_id} opened by pid {} uid {} ({access})",
                peer.pid,
                peer.uid
            );
            self.conns.push(Connection::new(stream, peer, port_id));
        }
    }

    fn refuse(&mut self, stream: &UnixStream, peer: &Peer, refusal: &Refusal) {
        self.counters.count_refusal(refusal);
        self.log.log(&CONTROL, LogLevel::Notice, || {
            format!(
                "refused a connection from pid {} uid {}: {refusal}",
                peer.pid, peer.uid
            )
        });
        notify_closing(stream, 0, &format!("dpswitchd: {refusal}"));
    }

    /// Closes the idle connection at `index` for `newcomer`; the reply
    /// queue is empty (it is reclaimable), so the notice goes out at once.
    fn reclaim(&mut self, index: usize, newcomer: &Peer, now: Instant) {
        let total = self.limits.total;
        let conn = &mut self.conns[index];
        let idle = now.saturating_duration_since(conn.active_at).as_secs();
        notify_closing(
            &conn.stream,
            conn.port_id,
            &format!(
                "dpswitchd: closing this connection, read-only and idle for {idle}s, to make room: all {total} connections are in use"
            ),
        );
        conn.dead = true;
        self.counters.reclaimed += 1;
        let (id, pid, uid) = (conn.port_id, conn.peer.pid, conn.peer.uid);
        self.log.log(&CONTROL, LogLevel::Notice, || {
            format!(
                "reclaimed connection {id} (pid {pid} uid {uid}, read-only, idle {idle}s) for pid {} uid {}",
                newcomer.pid, newcomer.uid
            )
        });
    }
}

/// One `NLMSG_ERROR` (EUSERS, with the reason as its extended-ack text)
/// answering no request, sent just before the daemon closes the
/// connection, so the peer reads why instead of a bare hang-up.
///
/// Closing a Unix socket with unread data makes the peer's next recv fail
/// with ECONNRESET before it reads what is queued for it: so the
/// connection is shut down first (the peer's sends fail with EPIPE from
/// then on) and what it sent is discarded, leaving the notice, then end
/// of stream.
fn notify_closing(stream: &UnixStream, port_id: u32, text: &str) {
    // The echoed request header is empty: no request is being answered.
    let header = NlMsgHeader {
        len: NLMSG_HDRLEN as u32,
        msg_type: 0,
        flags: 0,
        seq: 0,
        pid: port_id,
    };
    let request = RawMessage {
        header,
        payload: &[],
    };
    let datagram =
        encode_error_with_message(port_id, &request, Some(Errno::EUSERS), false, Some(text));
    // Best effort: a peer that is gone or has a full socket learns nothing.
    let _ = (&*stream).write(&datagram);
    let _ = stream.shutdown(Shutdown::Both);
    // The stream is non-blocking: this stops at the first empty read.
    let mut discard = [0u8; 1];
    for _ in 0..DRAIN_MAX {
        match (&*stream).read(&mut discard) {
            Ok(n) if n > 0 => {}
            _ => break,
        }
    }
}
