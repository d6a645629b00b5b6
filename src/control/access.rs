//! Who is on the other end of a connection (`SO_PEERCRED`) and whether it
//! may change state (A1): root, or a member of the configured admin group,
//! as the kernel lets only CAP_NET_ADMIN change flows.

use nix::errno::Errno;
use nix::sys::socket::{getsockopt, sockopt::PeerCredentials};
use nix::unistd::{Gid, Group};
use std::os::fd::AsFd;

/// The peer's identity as the kernel recorded it at connect time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Peer {
    pub pid: i32,
    pub uid: u32,
    pub gid: u32,
    /// Root, or a member of the admin group.
    pub admin: bool,
}

/// Why a group or a peer could not be identified.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AccessError {
    #[error("no group named {0}")]
    NoGroup(String),
    #[error("looking up group {name}: {errno}")]
    GroupLookup { name: String, errno: Errno },
    #[error("SO_PEERCRED: {0}")]
    PeerCredentials(#[from] Errno),
}

/// The admin group's id, looked up once at startup.
pub fn group_id(name: &str) -> Result<Gid, AccessError> {
    match Group::from_name(name) {
        Ok(Some(group)) => Ok(group.gid),
        Ok(None) => Err(AccessError::NoGroup(name.to_owned())),
        Err(errno) => Err(AccessError::GroupLookup {
            name: name.to_owned(),
            errno,
        }),
    }
}

/// Reads the peer of a connected socket; `admin_gid` is the admin group.
pub fn peer_of(socket: &impl AsFd, admin_gid: Option<Gid>) -> Result<Peer, AccessError> {
    let cred = getsockopt(socket, PeerCredentials)?;
    let (pid, uid, gid) = (cred.pid(), cred.uid(), cred.gid());
    let admin = uid == 0
        || admin_gid.is_some_and(|admin| {
            admin.as_raw() == gid || supplementary_groups(pid).contains(&admin.as_raw())
        });
    Ok(Peer {
        pid,
        uid,
        gid,
        admin,
    })
}

/// The peer process's supplementary groups, from `/proc/PID/status`: the
/// groups the process has, not those its user is listed in.
fn supplementary_groups(pid: i32) -> Vec<u32> {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|status| {
            status.lines().find_map(|line| {
                line.strip_prefix("Groups:").map(|groups| {
                    groups
                        .split_whitespace()
                        .filter_map(|g| g.parse().ok())
                        .collect()
                })
            })
        })
        .unwrap_or_default()
}
