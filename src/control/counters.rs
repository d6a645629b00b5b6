//! What the control socket dropped, for the operator: connections refused
//! (by reason) and reclaimed, and notifications a subscriber did not read
//! in time. Printed in the periodic stats and the exit report as
//! `dpswitchd: <what>: control key=value ...`.

use super::admission::Refusal;
use std::fmt;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ControlCounters {
    /// A non-admin uid was at `max_connections_per_uid`.
    pub refused_per_uid: u64,
    /// A non-admin found only the slots kept for admins.
    pub refused_reserved: u64,
    /// Every slot was taken and none was idle.
    pub refused_full: u64,
    /// Idle read-only connections closed to make room.
    pub reclaimed: u64,
    /// Notifications a subscriber's full queue lost, every connection's.
    pub notifications_dropped: u64,
}

impl ControlCounters {
    pub fn refused(&self) -> u64 {
        self.refused_per_uid + self.refused_reserved + self.refused_full
    }

    pub fn count_refusal(&mut self, refusal: &Refusal) {
        match refusal {
            Refusal::PerUid { .. } => self.refused_per_uid += 1,
            Refusal::Reserved { .. } => self.refused_reserved += 1,
            Refusal::Full { .. } => self.refused_full += 1,
        }
    }
}

impl fmt::Display for ControlCounters {
    /// The `key=value` fields, the totals first.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "connections_refused={} reclaimed={} notifications_dropped={} refused_per_uid={} refused_reserved={} refused_full={}",
            self.refused(),
            self.reclaimed,
            self.notifications_dropped,
            self.refused_per_uid,
            self.refused_reserved,
            self.refused_full
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_are_counted_by_reason_and_printed_as_key_values() {
        let mut c = ControlCounters::default();
        c.count_refusal(&Refusal::PerUid { uid: 1, limit: 2 });
        c.count_refusal(&Refusal::PerUid { uid: 1, limit: 2 });
        c.count_refusal(&Refusal::Full { total: 8 });
        c.reclaimed = 3;
        c.notifications_dropped = 4;
        assert_eq!(
            c.to_string(),
            "connections_refused=3 reclaimed=3 notifications_dropped=4 refused_per_uid=2 refused_reserved=0 refused_full=1"
        );
    }
}
