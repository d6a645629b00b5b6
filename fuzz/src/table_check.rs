//! What must hold of a flow table after every request, and what a request
//! may have changed: a dump to compare before and after.

use dpswitch::classifier::{FlowId, FlowStats, FlowTable};
use dpswitch::flow::key::{FlowKey, FlowMask};
use dpswitch::flow::matching::Match;
use dpswitch::flow::odp::Action;
use std::collections::HashSet;

/// Everything a flow command can observe or change of one flow.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FlowDump {
    pub id: FlowId,
    pub key: FlowKey,
    pub mask: FlowMask,
    pub ufid: Option<Vec<u8>>,
    pub actions: Vec<Action>,
    pub stats: FlowStats,
}

impl FlowDump {
    /// What names the flow: changes only by delete and insert.
    fn identity(&self) -> (FlowId, FlowKey, FlowMask, Option<&[u8]>) {
        (self.id, self.key, self.mask, self.ufid.as_deref())
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TableDump {
    pub flows: Vec<FlowDump>,
    pub masks_in_rank_order: Vec<FlowMask>,
}

pub fn dump(table: &FlowTable) -> TableDump {
    TableDump {
        flows: table
            .flows()
            .map(|f| FlowDump {
                id: f.id(),
                key: f.key(),
                mask: f.mask(),
                ufid: f.ufid().map(|u| u.as_bytes().to_vec()),
                actions: table.actions(f).to_vec(),
                stats: f.stats(),
            })
            .collect(),
        masks_in_rank_order: table.masks_in_rank_order().to_vec(),
    }
}

/// Every flow is found by its UFID and by its key; masks are counted
/// exactly (one subtable per distinct mask of the flows, none empty);
/// nothing retired waits for a reader, since there is none.
pub fn check_invariants(table: &mut FlowTable) {
    let mut masks = HashSet::new();
    let mut ufids = HashSet::new();
    let mut matches = HashSet::new();
    let mut count = 0;
    let mut last = None;
    for flow in table.flows() {
        count += 1;
        assert!(last < Some(flow.id()), "flows listed in id order");
        last = Some(flow.id());
        let (mask, masked) = (flow.mask(), flow.masked_key());
        assert_eq!(
            masked,
            flow.key().masked(&mask),
            "stored key is masked (N6)"
        );
        masks.insert(mask);
        assert!(matches.insert((mask, masked)), "two flows with one match");
        let exact = Match { key: masked, mask };
        assert_eq!(table.lookup_exact(&exact).map(|f| f.id()), Some(flow.id()));
        let hit = table
            .lookup(&masked)
            .expect("a flow's own key finds a flow");
        assert!(hit.matches(&masked));
        match flow.ufid() {
            Some(ufid) => {
                assert!(ufids.insert(*ufid), "UFID {ufid:?} used twice");
                assert_eq!(flow.key(), masked, "a UFID flow keeps its masked key");
                let found = table.lookup_ufid(ufid.as_bytes()).map(|f| f.id());
                assert_eq!(found, Some(flow.id()), "found by UFID");
            }
            None => {
                let found = table
                    .lookup_by_key(&flow.key(), Some(&mask))
                    .map(|f| f.id());
                assert_eq!(found, Some(flow.id()), "found by key and mask");
                let any = table.lookup_by_key(&flow.key(), None);
                assert_eq!(any.map(|f| f.key()), Some(flow.key()), "found by key");
            }
        }
    }
    assert_eq!(count, table.flow_count());
    assert_eq!(
        table.mask_count(),
        masks.len(),
        "one subtable per distinct mask"
    );
    let order = table.masks_in_rank_order();
    assert_eq!(order.len(), masks.len());
    assert!(
        order.iter().all(|m| masks.contains(m)),
        "no subtable without flows"
    );
    let stats = table.datapath_stats();
    assert_eq!(stats.flows, count as u64);
    assert_eq!(stats.masks as usize, masks.len());
    table.reclaim();
    assert_eq!(table.pending_reclaim(), 0, "no reader holds anything");
}

/// How a successful request of `cmd` may have changed the table.
pub fn check_change(cmd: u8, flush: bool, before: &TableDump, after: &TableDump) {
    use dpswitch::netlink::consts::*;
    let ids = |d: &TableDump| d.flows.iter().map(|f| f.id).collect::<HashSet<_>>();
    let (old, new) = (ids(before), ids(after));
    let removed = old.difference(&new).count();
    let added = new.difference(&old).count();
    let changed = before
        .flows
        .iter()
        .filter(|f| after.flows.iter().any(|g| g.id == f.id && g != *f))
        .inspect(|f| {
            let g = after.flows.iter().find(|g| g.id == f.id).expect("kept");
            assert_eq!(f.identity(), g.identity(), "a flow kept its identity");
        })
        .count();
    match cmd {
        OVS_FLOW_CMD_GET => assert_eq!(before, after, "GET changes nothing"),
        OVS_FLOW_CMD_SET => assert_eq!((removed, added, changed <= 1), (0, 0, true)),
        OVS_FLOW_CMD_DEL if flush => assert!(after.flows.is_empty(), "flushed"),
        OVS_FLOW_CMD_DEL => assert_eq!((removed, added, changed), (1, 0, 0)),
        OVS_FLOW_CMD_NEW => {
            assert_eq!(removed, 0);
            assert!(added + changed <= 1, "NEW adds or updates one flow");
        }
        other => panic!("command {other} succeeded"),
    }
}
