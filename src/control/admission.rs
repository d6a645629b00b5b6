//! Who gets a connection slot when a peer connects: one decision, from the
//! connections held and the newcomer, so that no peer allowed to connect
//! can lock the admins out.
//!
//! - A non-admin peer holds at most `per_uid` connections (by uid).
//! - The last `admin_reserved` of the `total` slots are for admins (root
//!   and the admin group) only: a non-admin is admitted only while fewer
//!   than `total - admin_reserved` connections are open.
//! - When there is no slot for the newcomer, the connection idle longest
//!   among the reclaimable ones makes room: a connection that never sent
//!   a command that changes state, has no subscription, completion
//!   channel, dump or unsent reply, and sent no request for `idle_after`.
//!   Closing it loses its client nothing but the connection. A non-admin
//!   newcomer only reclaims non-admins' connections.
//! - Otherwise the newcomer is refused, with the reason.

use std::fmt;
use std::time::{Duration, Instant};

/// The configured limits (`[datapath] max_connections` and friends).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    pub total: usize,
    pub per_uid: usize,
    pub admin_reserved: usize,
    pub idle_after: Duration,
}

/// What the decision needs to know of a connection that is open.
#[derive(Clone, Copy, Debug)]
pub struct Holder {
    pub uid: u32,
    pub admin: bool,
    /// Read-only and quiet: nothing would be lost by closing it but the
    /// connection itself (see the module's rule).
    pub reclaimable: bool,
    /// When it last sent a request (or connected).
    pub active_at: Instant,
}

/// The peer asking for a slot.
#[derive(Clone, Copy, Debug)]
pub struct Newcomer {
    pub uid: u32,
    pub admin: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    Accept,
    /// Accept once the holder at this index is closed.
    Reclaim(usize),
    Refuse(Refusal),
}

/// Why a connection was refused; the peer is told this text, after
/// "dpswitchd: ".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// A non-admin uid holds its `per_uid` connections already.
    PerUid { uid: u32, limit: usize },
    /// Only the slots kept for admins are left.
    Reserved {
        uid: u32,
        total: usize,
        reserved: usize,
    },
    /// Every slot is taken and none may be reclaimed.
    Full { total: usize },
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Refusal::PerUid { uid, limit } => write!(
                f,
                "too many connections from uid {uid} (limit {limit})"
            ),
            Refusal::Reserved {
                uid,
                total,
                reserved,
            } => write!(
                f,
                "no connection slot for uid {uid}: the last {reserved} of {total} are kept for admins"
            ),
            Refusal::Full { total } => write!(
                f,
                "all {total} connections are in use and none is idle"
            ),
        }
    }
}

/// Decides whether `new` gets a slot among `held` (the open connections,
/// those being closed left out) at time `now`.
pub fn decide(limits: &Limits, held: &[Holder], new: Newcomer, now: Instant) -> Decision {
    if !new.admin {
        let mine = held.iter().filter(|h| h.uid == new.uid).count();
        if mine >= limits.per_uid {
            return Decision::Refuse(Refusal::PerUid {
                uid: new.uid,
                limit: limits.per_uid,
            });
        }
    }
    let room = if new.admin {
        limits.total
    } else {
        limits.total.saturating_sub(limits.admin_reserved)
    };
    if held.len() < room {
        return Decision::Accept;
    }
    let victim = held
        .iter()
        .enumerate()
        .filter(|(_, h)| h.reclaimable && (new.admin || !h.admin))
        .filter(|(_, h)| now.saturating_duration_since(h.active_at) >= limits.idle_after)
        .min_by_key(|(_, h)| h.active_at)
        .map(|(index, _)| index);
    match victim {
        Some(index) => Decision::Reclaim(index),
        None if new.admin => Decision::Refuse(Refusal::Full {
            total: limits.total,
        }),
        None => Decision::Refuse(Refusal::Reserved {
            uid: new.uid,
            total: limits.total,
            reserved: limits.admin_reserved,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: Limits = Limits {
        total: 8,
        per_uid: 4,
        admin_reserved: 2,
        idle_after: Duration::from_secs(10),
    };

    fn holder(uid: u32, reclaimable: bool, active_at: Instant) -> Holder {
        Holder {
            uid,
            admin: uid == 0,
            reclaimable,
            active_at,
        }
    }

    fn user(uid: u32) -> Newcomer {
        Newcomer { uid, admin: false }
    }

    const ROOT: Newcomer = Newcomer {
        uid: 0,
        admin: true,
    };

    #[test]
    fn a_user_past_its_per_uid_limit_is_refused_even_with_room() {
        let now = Instant::now();
        let held = vec![holder(1000, false, now); 4];
        assert_eq!(
            decide(&LIMITS, &held, user(1000), now),
            Decision::Refuse(Refusal::PerUid {
                uid: 1000,
                limit: 4
            })
        );
        assert_eq!(decide(&LIMITS, &held, user(1001), now), Decision::Accept);
    }

    #[test]
    fn admins_have_no_per_uid_limit() {
        let now = Instant::now();
        let held = vec![holder(0, false, now); 7];
        assert_eq!(decide(&LIMITS, &held, ROOT, now), Decision::Accept);
    }

    #[test]
    fn the_reserved_slots_are_for_admins_only() {
        let now = Instant::now();
        let mut held = vec![holder(1000, false, now); 3];
        held.extend(vec![holder(1001, false, now); 3]);
        assert_eq!(
            decide(&LIMITS, &held, user(1002), now),
            Decision::Refuse(Refusal::Reserved {
                uid: 1002,
                total: 8,
                reserved: 2
            })
        );
        assert_eq!(decide(&LIMITS, &held, ROOT, now), Decision::Accept);
        held.push(holder(0, false, now));
        assert_eq!(decide(&LIMITS, &held, ROOT, now), Decision::Accept);
        held.push(holder(0, false, now));
        assert_eq!(
            decide(&LIMITS, &held, ROOT, now),
            Decision::Refuse(Refusal::Full { total: 8 })
        );
    }

    #[test]
    fn when_full_the_connection_idle_longest_is_reclaimed() {
        let start = Instant::now();
        let now = start + Duration::from_secs(60);
        let held = vec![
            holder(1000, true, start + Duration::from_secs(30)),
            holder(1000, false, start),
            holder(1001, true, start + Duration::from_secs(5)),
            holder(1001, true, now),
            holder(0, false, start),
            holder(0, false, start),
            holder(1002, true, start + Duration::from_secs(20)),
            holder(1002, false, start),
        ];
        assert_eq!(decide(&LIMITS, &held, ROOT, now), Decision::Reclaim(2));
        // A user below its limit may reclaim too, though the server is full.
        assert_eq!(
            decide(&LIMITS, &held, user(1003), now),
            Decision::Reclaim(2)
        );
    }

    #[test]
    fn busy_recent_and_stateful_connections_are_never_reclaimed() {
        let start = Instant::now();
        let now = start + Duration::from_secs(60);
        let mut held = vec![holder(1000, false, start); 4];
        held.extend(vec![holder(1001, true, now - Duration::from_secs(9)); 4]);
        assert_eq!(
            decide(&LIMITS, &held, ROOT, now),
            Decision::Refuse(Refusal::Full { total: 8 })
        );
        // Ten seconds without a request makes them idle.
        let later = now + Duration::from_secs(1);
        assert_eq!(decide(&LIMITS, &held, ROOT, later), Decision::Reclaim(4));
    }

    #[test]
    fn a_user_never_reclaims_an_admins_connection() {
        let start = Instant::now();
        let now = start + Duration::from_secs(60);
        let mut held = vec![holder(0, true, start); 6];
        held.push(holder(1000, false, start));
        assert_eq!(
            decide(&LIMITS, &held, user(1001), now),
            Decision::Refuse(Refusal::Reserved {
                uid: 1001,
                total: 8,
                reserved: 2
            })
        );
        assert_eq!(decide(&LIMITS, &held, ROOT, now), Decision::Accept);
    }

    #[test]
    fn refusals_say_why_in_one_line() {
        let text = Refusal::PerUid {
            uid: 1000,
            limit: 32,
        }
        .to_string();
        assert_eq!(text, "too many connections from uid 1000 (limit 32)");
        let text = Refusal::Reserved {
            uid: 7,
            total: 256,
            reserved: 16,
        }
        .to_string();
        assert!(
            text.contains("uid 7") && text.contains("16 of 256"),
            "{text}"
        );
        assert!(Refusal::Full { total: 8 }.to_string().contains("all 8"));
    }
}
