//! Many flow requests from one client, pipelined as Open vSwitch's
//! handlers send them: submitted back to back (packed many to a datagram)
//! with at most `WINDOW` unanswered.

use dpswitch_client::client::{Client, Request};
use std::collections::VecDeque;

/// Requests submitted and not yet answered. Their acks (36 bytes each)
/// stay far below the 1 MiB of unread replies at which the daemon stops
/// reading a connection.
pub const WINDOW: usize = 8192;

/// Sends every request, collecting acks half a window at a time; panics
/// on the first refusal.
pub fn install_pipelined(client: &mut Client, requests: &[Request]) {
    let mut unanswered = VecDeque::with_capacity(WINDOW);
    let collect = |client: &mut Client, seq: u32| {
        client
            .collect(seq)
            .unwrap_or_else(|e| panic!("request {seq}: {e}"));
    };
    for req in requests {
        unanswered.push_back(client.submit(req).expect("submit"));
        if unanswered.len() >= WINDOW {
            for seq in unanswered.drain(..WINDOW / 2).collect::<Vec<_>>() {
                collect(client, seq);
            }
        }
    }
    for seq in unanswered {
        collect(client, seq);
    }
}
