//! What the management lcore watches about once a second and logs when
//! it changes: each port's link, and the upcalls lost since the last look.

use super::{PortKind, Switch};
use crate::datapath::upcall_losses::{LossReason, REASONS, REASON_NAMES};
use crate::dpdk::LinkStatus;
use crate::event;
use crate::log::{LogLevel, PORT, UPCALL};
use std::time::Instant;

/// Upcall loss counters as last looked at.
pub(super) struct LossWatch {
    seen: Vec<(u32, [u64; REASONS])>,
    at: Instant,
}

impl Default for LossWatch {
    fn default() -> LossWatch {
        LossWatch {
            seen: Vec::new(),
            at: Instant::now(),
        }
    }
}

impl Switch {
    /// Reads every port's link (without waiting) and logs each change.
    pub(super) fn watch_links(&mut self) {
        for slot in self.slots.iter_mut().flatten() {
            let Ok(link) = slot.port.link() else {
                continue;
            };
            if slot.link_up != Some(link.up) {
                slot.link_up = Some(link.up);
                event!(
                    PORT,
                    Notice,
                    "port {} = {} link {}",
                    slot.plan.number,
                    slot.plan.name,
                    link_text(&link)
                );
            }
        }
    }

    /// One line for the upcalls lost since the last look, by port and
    /// reason. Losses for want of a handler alone (a port no controller
    /// serves, its misses dropped by design) are logged at debug; any
    /// other makes it a warning.
    pub(super) fn watch_upcall_losses(&mut self) {
        let now = Instant::now();
        let current = self.upcall_losses();
        let lost: Vec<(u32, [u64; REASONS])> = current
            .iter()
            .filter_map(|(number, counts)| {
                let before = self
                    .loss_watch
                    .seen
                    .iter()
                    .find(|(n, _)| n == number)
                    .map_or([0; REASONS], |(_, c)| *c);
                Some((*number, grown(&before, counts)?))
            })
            .collect();
        let secs = now
            .saturating_duration_since(self.loss_watch.at)
            .as_secs_f64();
        self.loss_watch = LossWatch {
            seen: current,
            at: now,
        };
        if lost.is_empty() {
            return;
        }
        let only_unhandled = lost.iter().all(|(_, l)| {
            l.iter()
                .enumerate()
                .all(|(r, n)| *n == 0 || r == LossReason::NoHandler as usize)
        });
        let level = if only_unhandled {
            LogLevel::Debug
        } else {
            LogLevel::Warning
        };
        if !UPCALL.enabled(level) {
            return;
        }
        let total: u64 = lost.iter().flat_map(|(_, l)| l.iter()).sum();
        let ports: Vec<String> = lost
            .iter()
            .map(|(number, l)| {
                let name = self.port(*number).map_or("?", |p| p.name.as_str());
                let reasons: Vec<String> = REASON_NAMES
                    .iter()
                    .zip(l)
                    .filter(|(_, n)| **n > 0)
                    .map(|(reason, n)| format!("{reason}={n}"))
                    .collect();
                format!("port {number} = {name} {}", reasons.join(" "))
            })
            .collect();
        UPCALL.write(
            level,
            format_args!(
                "lost {total} upcall(s) in the last {secs:.1}s: {}",
                ports.join("; ")
            ),
        );
    }
}

/// What each reason's counter grew by, None if by nothing. Counters that
/// went back (the port's slot started over for a new port) count whole.
fn grown(before: &[u64; REASONS], now: &[u64; REASONS]) -> Option<[u64; REASONS]> {
    let restarted = before.iter().zip(now).any(|(b, n)| n < b);
    let delta: [u64; REASONS] = std::array::from_fn(|r| {
        if restarted {
            now[r]
        } else {
            now[r] - before[r]
        }
    });
    delta.iter().any(|n| *n > 0).then_some(delta)
}

/// `up (10000 Mbps full-duplex)` or `down`.
pub(super) fn link_text(link: &LinkStatus) -> String {
    if !link.up {
        return "down".into();
    }
    let duplex = if link.full_duplex { "full" } else { "half" };
    format!("up ({} Mbps {duplex}-duplex)", link.speed_mbps)
}

/// The vport type's word, as `dpctl show` and OVS name it.
pub(super) fn kind_name(kind: PortKind) -> &'static str {
    match kind {
        PortKind::Netdev => "netdev",
        PortKind::Internal => "internal",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn losses_grow_by_reason_and_a_restarted_slot_counts_whole() {
        assert_eq!(grown(&[1, 2, 0, 0, 0], &[1, 2, 0, 0, 0]), None);
        assert_eq!(
            grown(&[1, 2, 0, 0, 0], &[1, 5, 1, 0, 0]),
            Some([0, 3, 1, 0, 0])
        );
        assert_eq!(
            grown(&[1, 9, 0, 0, 0], &[0, 4, 0, 0, 0]),
            Some([0, 4, 0, 0, 0])
        );
    }

    #[test]
    fn links_read_as_operators_know_them() {
        let up = LinkStatus {
            up: true,
            speed_mbps: 10000,
            full_duplex: true,
        };
        assert_eq!(link_text(&up), "up (10000 Mbps full-duplex)");
        let down = LinkStatus { up: false, ..up };
        assert_eq!(link_text(&down), "down");
    }
}
