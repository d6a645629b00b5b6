//! The executor's semantics without its economies: every output and
//! nested list gets a full copy, and nothing is skipped because no one
//! would see it. What it sends is what the executor must send.

use dpswitch::datapath::actions::{
    pop_vlan, push_vlan, set, set_masked, PacketBuf, VecBuf, Xorshift32, MAX_NESTING,
};
use dpswitch::flow::odp::Action;

/// A packet handed on: to a port, or to user space with the handler's pid.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Sent {
    Output(u32, Vec<u8>),
    Upcall(u32, Vec<u8>),
}

pub fn run(actions: &[Action], pkt: VecBuf, rng: &mut Xorshift32, sent: &mut Vec<Sent>) {
    list(actions, pkt, 0, rng, sent);
}

fn list(
    actions: &[Action],
    mut pkt: VecBuf,
    depth: usize,
    rng: &mut Xorshift32,
    sent: &mut Vec<Sent>,
) {
    for action in actions {
        match action {
            Action::Output(port) => sent.push(Sent::Output(*port, pkt.data().to_vec())),
            Action::Userspace(u) => sent.push(Sent::Upcall(u.pid, pkt.data().to_vec())),
            Action::Set(attr) => set(&mut pkt, attr),
            Action::SetMasked { value, mask } => set_masked(&mut pkt, value, mask),
            Action::PushVlan { tpid, tci } => {
                if push_vlan(&mut pkt, *tpid, *tci).is_err() {
                    return;
                }
            }
            Action::PopVlan => {
                if pop_vlan(&mut pkt).is_err() {
                    return;
                }
            }
            Action::Clone(nested) => {
                if depth < MAX_NESTING {
                    list(nested, pkt.clone(), depth + 1, rng, sent);
                }
            }
            Action::Sample {
                probability,
                actions: nested,
            } => {
                let taken = *probability == u32::MAX
                    || (*probability != 0 && rng.next_u32() <= *probability);
                if taken && depth < MAX_NESTING {
                    list(nested, pkt.clone(), depth + 1, rng, sent);
                }
            }
        }
    }
}
