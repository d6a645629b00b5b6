//! A daemon for the hostile-input tests: started with the baseline flows
//! installed, the table as a dump shows it, and the errors among replies.

use super::corpus::{self, Ids};
use super::wire::error_of;
use crate::common::{self, ControlDaemon, Ctl, Received};
use dpswitch::netlink::consts::*;
use dpswitch::netlink::flow::FlowAttrs;

pub fn start(tag: &str) -> (ControlDaemon, Ids) {
    common::require_root("hugepages, DPDK devices, SO_SNDBUFFORCE");
    let mut d = ControlDaemon::start(tag, "");
    let ids = Ids {
        flow: d.ctl.flow_family,
        dp: d.ctl.dp_family,
        vport: d.ctl.vport_family,
        dp_ifindex: d.ctl.dp_ifindex,
    };
    install_baseline(&mut d.ctl);
    (d, ids)
}

/// Empties the table (D1) and installs `corpus::baseline()`.
pub fn install_baseline(ctl: &mut Ctl) {
    let flush = ctl.flow(OVS_FLOW_CMD_DEL, 0, &FlowAttrs::default());
    assert_eq!(flush.errno, 0, "flush: {flush:?}");
    for f in corpus::baseline() {
        let r = ctl.flow(OVS_FLOW_CMD_NEW, NLM_F_CREATE, &f);
        assert_eq!(r.errno, 0, "baseline flow {f:?}: {r:?}");
    }
}

/// The table as a dump shows it, without what traffic changes (stats,
/// used, TCP flags), in a stable order.
pub fn table(ctl: &mut Ctl) -> Vec<FlowAttrs> {
    let mut flows = common::without_stats(ctl.dump_flows());
    flows.sort_by_cached_key(|f| format!("{f:?}"));
    flows
}

/// The errors and acks among `replies`: (errno, seq of the request).
pub fn errors(replies: &[Received]) -> Vec<(i32, u32)> {
    replies
        .iter()
        .filter_map(error_of)
        .map(|e| (e.errno, e.request.seq))
        .collect()
}
