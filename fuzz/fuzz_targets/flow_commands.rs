//! Sequences of `ovs_flow` requests against a real flow table, through the
//! same handlers the control server runs. After every request the table's
//! invariants hold; a refused request changed nothing (N16); an accepted
//! one changed at most what its command may; a reply decodes.
#![no_main]

use dpswitch::classifier::{FlowTable, TableConfig};
use dpswitch::control::flow_cmd::{handle, FlowContext, KeyScratch};
use dpswitch::netlink::consts::NLM_F_ACK;
use dpswitch::netlink::flow::{FlowAttrs, RawFlowAttrs};
use dpswitch::netlink::msg::{messages, OvsMessage};
use dpswitch_fuzz::eal::eal;
use dpswitch_fuzz::requests::{self, History, DP_IFINDEX};
use dpswitch_fuzz::table_check::{check_change, check_invariants, dump};
use libfuzzer_sys::arbitrary::Unstructured;
use libfuzzer_sys::fuzz_target;

/// Requests per input: enough for chains of insert, update and delete,
/// few enough for thousands of inputs a second.
const MAX_REQUESTS: usize = 24;

/// Ports 1 to 3 exist; outputs to 0 and 4 must be refused (N7).
fn port_exists(port: u32) -> bool {
    (1..=3).contains(&port)
}

fuzz_target!(|data: &[u8]| {
    // Small limits, so inputs reach a full table (EFBIG) and subtable
    // growth; no reader and no flow cache: only the writer is under test.
    let config = TableConfig {
        max_flows: 12,
        max_readers: 1,
        initial_subtable_capacity: 8,
        flow_cache_entries: 0,
    };
    let mut table = FlowTable::new(eal(), config).expect("table");
    let mut u = Unstructured::new(data);
    let mut history = History::default();
    let mut done = 0;
    let mut scratch = KeyScratch::default();
    while !u.is_empty() && done < MAX_REQUESTS {
        for request in requests::next(&mut u, &mut history) {
            done += 1;
            let before = dump(&table);
            let (header, genl) = request.header();
            let msg = OvsMessage {
                header,
                genl,
                dp_ifindex: request.dp_ifindex,
                attrs: &request.attrs,
            };
            let mut notes = Vec::new();
            let mut ctx = FlowContext {
                table: &mut table,
                port_exists: &port_exists,
                dp_ifindex: DP_IFINDEX,
                notes: &mut notes,
                listeners: request.flags & NLM_F_ACK != 0,
                scratch: &mut scratch,
            };
            let result = handle(&mut ctx, &msg, 1);
            check_invariants(&mut table);
            let after = dump(&table);
            match result {
                Err(_) => assert_eq!(before, after, "a refused request changed the table (N16)"),
                Ok(response) => {
                    let raw = RawFlowAttrs::parse(&request.attrs).expect("accepted attrs parse");
                    let flush = raw.key.is_none() && raw.identifying_ufid().is_none();
                    check_change(request.cmd, flush, &before, &after);
                    let replies = response
                        .unicast
                        .iter()
                        .chain(response.notify.as_ref().map(|(_, m)| m));
                    for reply in replies {
                        for m in messages(reply) {
                            let ovs = m.and_then(|m| m.ovs()).expect("reply parses");
                            FlowAttrs::decode(ovs.attrs).expect("reply attrs decode");
                        }
                    }
                }
            }
        }
    }
});
