//! The tuple-space search against a linear scan: random masks, flows and
//! packets (most crafted to hit a flow with its wildcarded bits
//! randomised), with inserts, action changes, deletes and re-ranking
//! between lookups. Both the reader's burst classification and the
//! management-side lookup must return what the linear scan returns. The
//! reader has no flow cache, a tiny one (evictions, shared buckets) or a
//! roomy one, and packets often repeat earlier keys, so cached answers
//! meet deleted, re-inserted and modified flows.
//!
//! One #[test] (EAL initialises once per process) running the proptest
//! runner inside.

mod common;

use dpswitch::classifier::{FlowId, FlowTable, TableConfig, TableError};
use dpswitch::dpdk::Eal;
use dpswitch::flow::key::{FlowKey, FlowMask, FLOW_WORDS};
use dpswitch::flow::matching::Match;
use dpswitch::flow::odp::Action;
use nix::errno::Errno;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

const MAX_FLOWS: usize = 24;
const POOL: usize = 5;

/// Every mask matches recirc_id exactly, and each flow's recirc_id is the
/// index of its mask in the pool, so megaflows never overlap.
fn tag_mask(mut mask: FlowMask) -> FlowMask {
    mask.set_recirc_id(u32::MAX);
    mask
}

fn arb_pattern() -> impl Strategy<Value = u64> {
    prop_oneof![
        Just(u64::MAX),
        Just(0xffff_ffff),
        Just(0xffff_0000_0000_0000),
        any::<u64>(),
    ]
}

fn arb_mask() -> impl Strategy<Value = FlowMask> {
    prop::collection::vec((1..FLOW_WORDS, arb_pattern()), 0..4).prop_map(|words| {
        let mut w = [0u64; FLOW_WORDS];
        for (i, p) in words {
            w[i] |= p;
        }
        tag_mask(FlowMask::from_words(w))
    })
}

/// Random words with few distinct values per word, so random packets and
/// keys collide with flows often enough to matter.
fn arb_words() -> impl Strategy<Value = [u64; FLOW_WORDS]> {
    prop::array::uniform16(prop_oneof![
        3 => 0u64..4,
        1 => any::<u64>(),
    ])
}

#[derive(Clone, Debug)]
enum Op {
    Insert {
        mask: usize,
        words: [u64; FLOW_WORDS],
        ufid: bool,
    },
    /// Re-insert the match of an existing flow (must be refused).
    Duplicate {
        pick: usize,
    },
    Modify {
        pick: usize,
    },
    Delete {
        pick: usize,
    },
    Classify {
        packets: Vec<Packet>,
    },
    Rerank,
}

#[derive(Clone, Debug)]
enum Packet {
    /// A live flow's key with every wildcarded bit replaced by noise.
    Hit {
        pick: usize,
        noise: [u64; FLOW_WORDS],
    },
    Random {
        mask_tag: u32,
        words: [u64; FLOW_WORDS],
    },
    /// A key classified before in this case (what a flow cache remembers).
    Again { pick: usize },
}

fn arb_packet() -> impl Strategy<Value = Packet> {
    prop_oneof![
        3 => (any::<usize>(), prop::array::uniform16(any::<u64>()))
            .prop_map(|(pick, noise)| Packet::Hit { pick, noise }),
        1 => (0..POOL as u32 + 1, arb_words())
            .prop_map(|(mask_tag, words)| Packet::Random { mask_tag, words }),
        4 => any::<usize>().prop_map(|pick| Packet::Again { pick }),
    ]
}

fn arb_op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (0..POOL, arb_words(), any::<bool>())
            .prop_map(|(mask, words, ufid)| Op::Insert { mask, words, ufid }),
        1 => any::<usize>().prop_map(|pick| Op::Duplicate { pick }),
        2 => any::<usize>().prop_map(|pick| Op::Modify { pick }),
        3 => any::<usize>().prop_map(|pick| Op::Delete { pick }),
        3 => prop::collection::vec(arb_packet(), 1..80)
            .prop_map(|packets| Op::Classify { packets }),
        1 => Just(Op::Rerank),
    ]
}

#[derive(Clone, Debug)]
struct RefFlow {
    id: FlowId,
    m: Match,
    ufid: Option<Vec<u8>>,
    version: u32,
}

fn actions_of(id: FlowId, version: u32) -> Vec<Action> {
    vec![Action::Output(id.0 as u32), Action::Output(version)]
}

fn run_case(
    eal: &Eal,
    masks: &[FlowMask],
    ops: &[Op],
    flow_cache_entries: u32,
    totals: &mut Totals,
) -> Result<(), TestCaseError> {
    let config = TableConfig {
        max_flows: MAX_FLOWS,
        max_readers: 2,
        // Tiny subtables make them grow under the test.
        initial_subtable_capacity: 8,
        flow_cache_entries,
    };
    let mut table = FlowTable::new(eal, config).unwrap();
    let mut reader = table.reader(1).unwrap();
    let mut reference: Vec<RefFlow> = Vec::new();
    let mut history: Vec<FlowKey> = Vec::new();
    let mut next_ufid = 0u32;
    let mut next_version = 1u32;

    for op in ops {
        match op {
            Op::Insert { mask, words, ufid } => {
                let mask = masks[*mask % masks.len()];
                let mut key = FlowKey::from_words(*words);
                key.set_recirc_id(masks.iter().position(|m| *m == mask).unwrap() as u32);
                let m = Match { key, mask };
                let ufid = ufid.then(|| {
                    next_ufid += 1;
                    next_ufid.to_be_bytes().to_vec()
                });
                let version = next_version;
                next_version += 1;
                let expected_exists = reference
                    .iter()
                    .find(|f| f.m.mask == m.mask && f.m.masked_key() == m.masked_key())
                    .map(|f| f.id);
                let result = table.insert(&m, ufid.as_deref(), vec![]);
                match (expected_exists, result) {
                    (Some(id), Err(err)) => prop_assert_eq!(err, TableError::Exists(id)),
                    (None, Err(TableError::Full { limit })) => {
                        prop_assert_eq!(limit, MAX_FLOWS);
                        prop_assert_eq!(reference.len(), MAX_FLOWS);
                        totals.full += 1;
                    }
                    (None, Ok(id)) => {
                        prop_assert!(reference.len() < MAX_FLOWS);
                        table.set_actions(id, actions_of(id, version)).unwrap();
                        reference.push(RefFlow {
                            id,
                            m,
                            ufid,
                            version,
                        });
                        totals.inserts += 1;
                    }
                    (expected, got) => {
                        prop_assert!(false, "expected {expected:?}, got {got:?}")
                    }
                }
            }
            Op::Duplicate { pick } => {
                if reference.is_empty() {
                    continue;
                }
                let f = &reference[pick % reference.len()];
                let err = table.insert(&f.m, None, vec![]).unwrap_err();
                prop_assert_eq!(err.errno(), Errno::EEXIST);
                prop_assert_eq!(err, TableError::Exists(f.id));
                if let Some(u) = &f.ufid {
                    // The same UFID on a different match is refused too.
                    let mut other = f.m;
                    other.key.set_recirc_id(POOL as u32 + 7);
                    prop_assert_eq!(
                        table.insert(&other, Some(u), vec![]),
                        Err(TableError::UfidInUse(f.id))
                    );
                    prop_assert_eq!(table.lookup_ufid(u).map(|x| x.id()), Some(f.id));
                }
                prop_assert_eq!(table.lookup_exact(&f.m).map(|x| x.id()), Some(f.id));
            }
            Op::Modify { pick } => {
                if reference.is_empty() {
                    continue;
                }
                let i = pick % reference.len();
                reference[i].version = next_version;
                next_version += 1;
                let f = &reference[i];
                table
                    .set_actions(f.id, actions_of(f.id, f.version))
                    .unwrap();
                totals.modifies += 1;
            }
            Op::Delete { pick } => {
                if reference.is_empty() {
                    continue;
                }
                let f = reference.swap_remove(pick % reference.len());
                table.remove(f.id).unwrap();
                prop_assert_eq!(table.remove(f.id), Err(TableError::NotFound));
                prop_assert!(table.lookup_exact(&f.m).is_none());
                if let Some(u) = &f.ufid {
                    prop_assert!(table.lookup_ufid(u).is_none());
                }
                totals.deletes += 1;
            }
            Op::Rerank => {
                table.rerank();
            }
            Op::Classify { packets } => {
                let keys: Vec<FlowKey> = packets
                    .iter()
                    .map(|p| match p {
                        Packet::Hit { pick, noise } if !reference.is_empty() => {
                            let f = &reference[pick % reference.len()];
                            let mut w = *f.m.key.words();
                            for (i, word) in w.iter_mut().enumerate() {
                                let m = f.m.mask.words()[i];
                                *word = (*word & m) | (noise[i] & !m);
                            }
                            FlowKey::from_words(w)
                        }
                        Packet::Hit { noise, .. } => FlowKey::from_words(*noise),
                        Packet::Random { mask_tag, words } => {
                            let mut k = FlowKey::from_words(*words);
                            k.set_recirc_id(*mask_tag);
                            k
                        }
                        Packet::Again { pick } if !history.is_empty() => {
                            history[pick % history.len()]
                        }
                        Packet::Again { pick } => {
                            let mut k = FlowKey::default();
                            k.set_recirc_id(*pick as u32);
                            k
                        }
                    })
                    .collect();
                history.extend_from_slice(&keys);
                let mut out = vec![None; keys.len()];
                let probes = reader.classify_burst(&keys, &mut out);
                prop_assert!(probes as usize <= keys.len() * table.mask_count());
                for (key, got) in keys.iter().zip(&out) {
                    let expected: Vec<&RefFlow> = reference
                        .iter()
                        .filter(|f| f.m.masked_key().matches(&f.m.mask, key))
                        .collect();
                    prop_assert!(expected.len() <= 1, "megaflows overlap: {expected:?}");
                    let expected = expected.first();
                    prop_assert_eq!(got.map(|f| f.id()), expected.map(|f| f.id), "key {:?}", key);
                    prop_assert_eq!(table.lookup(key).map(|f| f.id()), expected.map(|f| f.id));
                    if let (Some(flow), Some(r)) = (got, expected) {
                        prop_assert!(flow.matches(key));
                        prop_assert_eq!(flow.masked_key(), r.m.masked_key());
                        // A UFID flow keeps only its masked key, as in the kernel.
                        let key = if r.ufid.is_some() {
                            r.m.masked_key()
                        } else {
                            r.m.key
                        };
                        prop_assert_eq!(flow.key(), key);
                        prop_assert_eq!(reader.actions(flow), &actions_of(r.id, r.version)[..]);
                        reader.record(flow, 1, 64, 0, 1);
                        totals.hits += 1;
                    } else {
                        totals.misses += 1;
                    }
                }
                reader.quiescent();
                table.reclaim();
            }
        }
        prop_assert_eq!(table.flow_count(), reference.len());
        let mut distinct: Vec<FlowMask> = Vec::new();
        for f in &reference {
            if !distinct.contains(&f.m.mask) {
                distinct.push(f.m.mask);
            }
        }
        prop_assert_eq!(table.mask_count(), distinct.len());
    }
    // Dumps list exactly the reference's flows, with their actions.
    let mut dumped: Vec<(FlowId, Vec<Action>)> = table
        .flows()
        .map(|f| (f.id(), table.actions(f).to_vec()))
        .collect();
    let mut expected: Vec<(FlowId, Vec<Action>)> = reference
        .iter()
        .map(|f| (f.id, actions_of(f.id, f.version)))
        .collect();
    dumped.sort_by_key(|(id, _)| *id);
    expected.sort_by_key(|(id, _)| *id);
    prop_assert_eq!(dumped, expected);
    let stats = table.datapath_stats();
    prop_assert_eq!(stats.flows, reference.len() as u64);
    prop_assert!(stats.cache_hit <= stats.hit);
    if flow_cache_entries == 0 {
        prop_assert_eq!(stats.cache_hit, 0);
    }
    totals.cache_hits += stats.cache_hit;
    table.flush().unwrap();
    prop_assert_eq!(table.flow_count(), 0);
    prop_assert_eq!(table.mask_count(), 0);
    reader.quiescent();
    drop(reader);
    Ok(())
}

#[derive(Debug, Default)]
struct Totals {
    inserts: u64,
    modifies: u64,
    deletes: u64,
    hits: u64,
    misses: u64,
    full: u64,
    cache_hits: u64,
}

/// Deterministic checks the random runs reach rarely: subtables growing
/// far past their first size, the flow limit, counters and their clearing,
/// ranking by hits.
fn growth_limit_stats_and_ranking(eal: &Eal) {
    let mut table = FlowTable::new(
        eal,
        TableConfig {
            max_flows: 300,
            max_readers: 1,
            initial_subtable_capacity: 8,
            // Probe counts and ranking by subtable hits, with no flow
            // cache answering repeated keys first.
            flow_cache_entries: 0,
        },
    )
    .unwrap();
    let mut reader = table.reader(0).unwrap();
    assert!(matches!(
        table.reader(0),
        Err(TableError::BadReader { slot: 0, .. })
    ));
    assert!(table.reader(1).is_err(), "only one slot configured");

    let mut port_mask = FlowMask::default();
    port_mask.set_in_port(u32::MAX);
    let mut dst_mask = FlowMask::default();
    dst_mask.set_ipv4_dst(0xffff_ff00);
    dst_mask.set_in_port(u32::MAX);
    let port_flow = |port: u32| {
        let mut key = FlowKey::default();
        key.set_in_port(port);
        key.set_tp_dst(80); // wildcarded
        Match {
            key,
            mask: port_mask,
        }
    };
    let mut ids = Vec::new();
    for port in 0..299 {
        let id = table
            .insert(
                &port_flow(port),
                Some(&port.to_le_bytes()),
                vec![Action::Output(port)],
            )
            .unwrap();
        ids.push(id);
    }
    assert_eq!(table.mask_count(), 1);
    // One flow of a second mask (in_port 1000 keeps it apart), then the limit.
    let mut key = FlowKey::default();
    key.set_in_port(1000);
    key.set_ipv4_dst(0x0a00_0001);
    let dst_flow = table
        .insert(
            &Match {
                key,
                mask: dst_mask,
            },
            None,
            vec![Action::PopVlan],
        )
        .unwrap();
    assert_eq!(
        table.insert(&port_flow(5000), None, vec![]),
        Err(TableError::Full { limit: 300 })
    );
    assert_eq!(TableError::Full { limit: 300 }.errno(), Errno::EFBIG);
    assert_eq!(table.flow_count(), 300);
    assert_eq!(table.mask_count(), 2);
    assert_eq!(table.masks_in_rank_order(), &[port_mask, dst_mask]);

    // Every flow is found after the growth, by readers and by the writer.
    let keys: Vec<FlowKey> = (0..299).map(|p| port_flow(p).key).collect();
    let mut out = vec![None; keys.len()];
    let probes = reader.classify_burst(&keys, &mut out);
    assert_eq!(probes, 299, "each packet hit the first subtable");
    for (port, flow) in out.iter().enumerate() {
        let flow = flow.expect("hit");
        assert_eq!(flow.id(), ids[port]);
        assert_eq!(reader.actions(flow), &[Action::Output(port as u32)]);
        reader.record(flow, 2, 128, 0x12, 7);
    }
    let mut probe = key;
    probe.set_ipv4_dst(0x0a00_00fe);
    let mut out = [None; 2];
    let unknown = port_flow(4000).key;
    // 400 packets of the second mask make it the busiest subtable.
    let busy = vec![probe; 400];
    let mut busy_out = vec![None; 400];
    assert_eq!(reader.classify_burst(&busy, &mut busy_out), 800);
    assert!(busy_out.iter().all(|f| f.map(|f| f.id()) == Some(dst_flow)));
    assert_eq!(reader.classify_burst(&[probe, unknown], &mut out), 4);
    assert_eq!(out[0].map(|f| f.id()), Some(dst_flow));
    assert!(out[1].is_none());
    reader.quiescent();

    let stats = table.flow(ids[3]).unwrap().stats();
    assert_eq!(
        (stats.packets, stats.bytes, stats.used, stats.tcp_flags),
        (2, 128, 7, 0x12)
    );
    table.clear_stats(ids[3]).unwrap();
    assert_eq!(table.flow(ids[3]).unwrap().stats().packets, 0);
    let dp = table.datapath_stats();
    assert_eq!(
        (dp.hit, dp.missed, dp.mask_hit),
        (299 + 400 + 1, 1, 299 + 800 + 4)
    );

    assert!(
        table.rerank(),
        "the second mask had more hits since creation"
    );
    assert_eq!(table.masks_in_rank_order(), &[dst_mask, port_mask]);
    assert_eq!(
        reader.classify_burst(&[probe], &mut [None]),
        1,
        "now probed first"
    );
    reader.quiescent();

    let removed = table.remove(ids[4]).unwrap();
    assert_eq!(removed.packets, 2);
    assert!(table.lookup_ufid(&4u32.to_le_bytes()).is_none());
    assert_eq!(
        table.lookup_ufid(&5u32.to_le_bytes()).map(|f| f.id()),
        Some(ids[5])
    );
    table.remove(dst_flow).unwrap();
    assert_eq!(table.mask_count(), 1);
    reader.quiescent();
    table.reclaim();
    assert_eq!(table.pending_reclaim(), 0, "the only reader quiesced");
}

#[test]
fn tuple_space_search_agrees_with_a_linear_scan() {
    let args = common::eal_args("classifier_props", &["-l", "0", "--log-level=warning"]);
    let eal = Eal::init(args.clone()).expect("EAL initialises");
    growth_limit_stats_and_ranking(&eal);
    let cases = std::env::var("DPSWITCH_PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(96);
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    let totals = std::cell::RefCell::new(Totals::default());
    let strategy = (
        prop::collection::vec(arb_mask(), POOL..=POOL),
        prop::collection::vec(arb_op(), 1..120),
        prop_oneof![Just(0u32), Just(8), Just(1024)],
    );
    let result = runner.run(&strategy, |(masks, ops, cache)| {
        run_case(&eal, &masks, &ops, cache, &mut totals.borrow_mut())
    });
    let totals = totals.into_inner();
    eprintln!("classifier_props: {cases} cases, {totals:?}");
    if let Err(err) = result {
        panic!("{err}");
    }
    assert!(totals.hits > 0 && totals.misses > 0 && totals.deletes > 0);
    assert!(totals.cache_hits > 0, "the flow caches answered nothing");
    drop(eal);
    common::remove_runtime_dir(&args);
}
