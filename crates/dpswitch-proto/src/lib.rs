//! What a dpswitch client needs of the protocol without linking DPDK:
//! the numeric identifiers of netlink, generic netlink and the Open
//! vSwitch families (`consts`), netlink message framing (`frame`), and
//! the completion channel that lets a netlink client see its replies
//! as soon as its `sendmsg` returns (`channel`).

pub mod channel;
pub mod consts;
pub mod frame;

/// Where dpswitchd listens unless told otherwise.
pub const DEFAULT_SOCKET: &str = "/run/dpswitch/dpswitch.sock";
