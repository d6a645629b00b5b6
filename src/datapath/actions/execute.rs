//! Running an action list on one packet.
//!
//! Actions run in order on the packet. An output hands the transmitter its
//! own reference: the packet itself when nothing after it needs the packet
//! (the list ends there for this packet), otherwise a shared reference
//! when no later action changes the bytes, or a deep copy when one does (a
//! shared buffer must not change under a queued transmission). "Later"
//! includes nested lists that will run on the packet itself. `clone` and a taken `sample` run their nested list on
//! such a reference, chosen the same way from what the nested list and the
//! rest of the outer list do. A packet still held when its list ends is
//! dropped, so a list without an output drops.
//!
//! As in the kernel, a VLAN action that cannot be applied drops the packet
//! and ends its list. `userspace` hands a reference, chosen like an
//! output's, to the caller's upcall sink ([`execute_with_upcalls`]);
//! without one it is counted in [`ExecReport::userspace_skipped`].
//! Nothing here allocates.

use std::marker::PhantomData;

use super::buf::Packet;
use super::rng::Xorshift32;
use super::set::{set, set_masked};
use super::vlan::{pop_vlan, push_vlan};
use crate::flow::odp::{Action, UserspaceAction};

/// Nested `clone`/`sample` lists deeper than this are not run (and counted
/// as errors); flow validation keeps real lists far shallower.
pub const MAX_NESTING: usize = 8;

/// What happened while executing one list on one packet.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ExecReport {
    /// Packets handed to `out`.
    pub outputs: u32,
    /// Packets handed to the upcall sink by `userspace` actions.
    pub upcalls: u32,
    /// `userspace` actions met without an upcall sink.
    pub userspace_skipped: u32,
    /// Outputs or nested lists skipped because no copy could be made
    /// (mbuf pool exhausted).
    pub copy_failures: u32,
    /// Packets dropped by an action that could not be applied (a VLAN
    /// action on a truncated frame or without headroom, nesting too deep).
    pub action_errors: u32,
}

/// Executes `actions` on `pkt`, calling `out(port, packet)` for each
/// output in order. `rng` decides `sample`s. `pkt` must be the only
/// reference to its buffer.
pub fn execute<P: Packet, F: FnMut(u32, P)>(
    actions: &[Action],
    pkt: P,
    rng: &mut Xorshift32,
    out: &mut F,
) -> ExecReport {
    let mut run = Run {
        rng,
        out,
        upcall: None,
        report: ExecReport::default(),
        packet: PhantomData,
    };
    run.list(actions, pkt, 0);
    run.report
}

/// [`execute`], with `upcall(action, packet)` called for each `userspace`
/// action (the packet is read-only there: it may be shared).
pub fn execute_with_upcalls<P: Packet, F: FnMut(u32, P)>(
    actions: &[Action],
    pkt: P,
    rng: &mut Xorshift32,
    out: &mut F,
    upcall: &mut dyn FnMut(&UserspaceAction, P),
) -> ExecReport {
    let mut run = Run {
        rng,
        out,
        upcall: Some(upcall),
        report: ExecReport::default(),
        packet: PhantomData,
    };
    run.list(actions, pkt, 0);
    run.report
}

/// Where `userspace` actions send their packet.
type UpcallSink<'a, P> = &'a mut dyn FnMut(&UserspaceAction, P);

struct Run<'a, P, F> {
    rng: &'a mut Xorshift32,
    out: &'a mut F,
    upcall: Option<UpcallSink<'a, P>>,
    report: ExecReport,
    packet: PhantomData<fn(P)>,
}

/// Whether an action changes the packet's bytes.
fn modifies(action: &Action) -> bool {
    matches!(
        action,
        Action::Set(_) | Action::SetMasked { .. } | Action::PushVlan { .. } | Action::PopVlan
    )
}

/// Whether running `actions` may change the bytes of the packet they run
/// on: directly, or through a nested list that runs on that same packet
/// because it is the last consumer.
fn changes(actions: &[Action], depth: usize) -> bool {
    actions.iter().any(|action| match action {
        Action::Clone(nested)
        | Action::Sample {
            actions: nested, ..
        } => depth < MAX_NESTING && changes(nested, depth + 1),
        other => modifies(other),
    })
}

/// Whether an action may hand the packet (or a copy) on. Nested lists count
/// without looking inside: a needless reference costs less than the scan.
fn needs_packet(action: &Action) -> bool {
    matches!(
        action,
        Action::Output(_) | Action::Userspace(_) | Action::Clone(_) | Action::Sample { .. }
    )
}

/// A reference for a consumer while the holder keeps `pkt`: shared unless
/// someone will change the bytes.
fn reference<P: Packet>(pkt: &P, changed_later: bool) -> Option<P> {
    if changed_later {
        pkt.deep_copy()
    } else {
        pkt.share()
    }
}

/// The kernel's test: a probability of u32::MAX always samples, 0 never,
/// otherwise a draw no greater than it does.
fn sampled(probability: u32, rng: &mut Xorshift32) -> bool {
    probability == u32::MAX || (probability != 0 && rng.next_u32() <= probability)
}

impl<P: Packet, F: FnMut(u32, P)> Run<'_, P, F> {
    fn list(&mut self, actions: &[Action], mut pkt: P, depth: usize) {
        for (i, action) in actions.iter().enumerate() {
            let rest = actions.get(i + 1..).unwrap_or(&[]);
            let last = !rest.iter().any(needs_packet);
            match action {
                Action::Output(port) => {
                    if last {
                        self.report.outputs += 1;
                        (self.out)(*port, pkt);
                        return;
                    }
                    match reference(&pkt, changes(rest, depth)) {
                        Some(copy) => {
                            self.report.outputs += 1;
                            (self.out)(*port, copy);
                        }
                        None => self.report.copy_failures += 1,
                    }
                }
                Action::Userspace(action) => {
                    let Some(upcall) = self.upcall.as_mut() else {
                        self.report.userspace_skipped += 1;
                        continue;
                    };
                    if last {
                        self.report.upcalls += 1;
                        upcall(action, pkt);
                        return;
                    }
                    match reference(&pkt, changes(rest, depth)) {
                        Some(copy) => {
                            self.report.upcalls += 1;
                            upcall(action, copy);
                        }
                        None => self.report.copy_failures += 1,
                    }
                }
                Action::Set(attr) => set(&mut pkt, attr),
                Action::SetMasked { value, mask } => set_masked(&mut pkt, value, mask),
                Action::PushVlan { tpid, tci } => {
                    if push_vlan(&mut pkt, *tpid, *tci).is_err() {
                        self.report.action_errors += 1;
                        return;
                    }
                }
                Action::PopVlan => {
                    if pop_vlan(&mut pkt).is_err() {
                        self.report.action_errors += 1;
                        return;
                    }
                }
                Action::Clone(nested) => {
                    if last {
                        return self.nested(nested, pkt, depth);
                    }
                    self.nested_on_reference(nested, &pkt, rest, depth);
                }
                Action::Sample {
                    probability,
                    actions: nested,
                } => {
                    if !sampled(*probability, self.rng) {
                        if last {
                            return;
                        }
                        continue;
                    }
                    if last {
                        return self.nested(nested, pkt, depth);
                    }
                    self.nested_on_reference(nested, &pkt, rest, depth);
                }
            }
        }
    }

    fn nested(&mut self, nested: &[Action], pkt: P, depth: usize) {
        if depth >= MAX_NESTING {
            self.report.action_errors += 1;
            return;
        }
        self.list(nested, pkt, depth + 1);
    }

    fn nested_on_reference(&mut self, nested: &[Action], pkt: &P, rest: &[Action], depth: usize) {
        let changed = changes(nested, depth + 1) || changes(rest, depth);
        match reference(pkt, changed) {
            Some(copy) => self.nested(nested, copy, depth),
            None => self.report.copy_failures += 1,
        }
    }
}
