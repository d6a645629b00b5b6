//! The per-lcore flow cache: a cached answer is the flow the uncached
//! search gives, action swaps show through it, and a deleted flow is never
//! answered from it, neither on the same lcore nor, once the delete has
//! returned and a grace period passed, on a worker lcore that has the flow
//! cached and classifies its keys nonstop. A packet whose key equals the
//! one before it on every masked bit takes its neighbour's answer: the
//! answers and counters are those of a lookup per packet, also right after
//! a new mask widens what is compared. One test per file because EAL
//! initialises once per process.

mod common;

use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use dpswitch::classifier::{ClassifierReader, Flow, FlowId, FlowTable, TableConfig};
use dpswitch::dpdk::Eal;
use dpswitch::flow::extract::Depth;
use dpswitch::flow::key::{FlowKey, FlowMask, FLOW_WORDS};
use dpswitch::flow::matching::Match;
use dpswitch::flow::odp::Action;

const FLOWS: usize = 512;
const VARIANTS: usize = 2;
const BURST: usize = 32;

/// A flow's state as the main lcore publishes it to the worker.
const LIVE: u8 = 0;
/// Its delete is under way.
const DELETING: u8 = 1;
/// Deleted, and a grace period has passed since.
const GONE: u8 = 2;

/// Flow `f` matches recirc_id `f` exactly (so flows never overlap) plus
/// one of eight field sets: eight subtables.
fn mask_of(f: usize) -> FlowMask {
    let mut m = FlowMask::default();
    m.set_recirc_id(u32::MAX);
    if f & 1 != 0 {
        m.set_in_port(u32::MAX);
    }
    if f & 2 != 0 {
        m.set_ipv4_dst(0xffff_ff00);
    }
    if f & 4 != 0 {
        m.set_tp_dst(0xffff);
    }
    m
}

fn match_of(f: usize) -> Match {
    let mut key = FlowKey::default();
    key.set_recirc_id(f as u32);
    key.set_in_port(f as u32 % 5);
    key.set_ipv4_dst((f as u32) << 8 | 1);
    key.set_tp_dst(f as u16);
    Match {
        key,
        mask: mask_of(f),
    }
}

/// Packet `variant` of flow `f`: its key with the wildcarded bits set to a
/// pattern of the variant.
fn packet(f: usize, variant: usize) -> FlowKey {
    let m = match_of(f);
    let mut w = *m.key.words();
    for (j, word) in w.iter_mut().enumerate() {
        let mask = m.mask.words()[j];
        let noise = 0x2545_F491_4F6C_DD1Du64.wrapping_mul((variant * FLOW_WORDS + j + 1) as u64);
        *word = (*word & mask) | (noise & !mask);
    }
    FlowKey::from_words(w)
}

fn ids(out: &[Option<&Flow>]) -> Vec<Option<FlowId>> {
    out.iter().map(|f| f.map(Flow::id)).collect()
}

fn table(eal: &Eal) -> FlowTable {
    FlowTable::new(
        eal,
        TableConfig {
            max_flows: FLOWS * 2,
            max_readers: 2,
            initial_subtable_capacity: 64,
            flow_cache_entries: 4096,
        },
    )
    .unwrap()
}

/// One lcore: cached answers against the uncached search, through action
/// swaps, deletes and slot reuse.
fn cached_answers_are_the_search_answers(eal: &Eal) {
    let mut table = table(eal);
    let flows: Vec<FlowId> = (0..64)
        .map(|f| {
            table
                .insert(&match_of(f), None, vec![Action::Output(f as u32)])
                .unwrap()
        })
        .collect();
    let mut reader = table.reader(0).unwrap();
    assert_eq!(reader.cache_entries(), 4096);
    let keys: Vec<FlowKey> = (0..64).flat_map(|f| [packet(f, 0), packet(f, 1)]).collect();
    let searched: Vec<Option<FlowId>> =
        keys.iter().map(|k| table.lookup(k).map(Flow::id)).collect();
    assert!(searched.iter().all(Option::is_some));

    let mut out = vec![None; keys.len()];
    let cold_probes = reader.classify_burst(&keys, &mut out);
    assert_eq!(ids(&out), searched);
    assert!(cold_probes >= keys.len() as u32);
    assert_eq!(table.datapath_stats().cache_hit, 0, "a cold cache");
    reader.quiescent();

    let mut out = vec![None; keys.len()];
    assert_eq!(
        reader.classify_burst(&keys, &mut out),
        0,
        "no subtable probed"
    );
    assert_eq!(ids(&out), searched, "cached answers are the search's");
    for (key, flow) in keys.iter().zip(&out) {
        let flow = flow.unwrap();
        assert!(flow.matches(key));
        assert!(std::ptr::eq(flow, table.lookup(key).unwrap()));
    }
    let stats = table.datapath_stats();
    assert_eq!((stats.cache_hit, stats.hit), (128, 256));
    reader.quiescent();

    // An action swap shows through the cache.
    table
        .set_actions(flows[3], vec![Action::Output(99)])
        .unwrap();
    let mut out = [None];
    assert_eq!(reader.classify_burst(&[packet(3, 0)], &mut out), 0);
    assert_eq!(reader.actions(out[0].unwrap()), &[Action::Output(99)]);
    reader.quiescent();

    // A deleted flow is not answered from the cache: its keys miss.
    table.remove(flows[5]).unwrap();
    let before = table.datapath_stats();
    let gone = [packet(5, 0), packet(5, 1)];
    let mut out = [None, None];
    reader.classify_burst(&gone, &mut out);
    assert_eq!(ids(&out), [None, None]);
    let after = table.datapath_stats();
    assert_eq!(after.cache_hit, before.cache_hit);
    assert_eq!(after.missed, before.missed + 2);
    reader.quiescent();

    // The next flow takes the freed slot; it does not cover the deleted
    // flow's keys, so those keep missing.
    let other = table
        .insert(&match_of(200), None, vec![Action::Output(200)])
        .unwrap();
    let mut out = [None, None, None];
    reader.classify_burst(&[gone[0], packet(200, 0), gone[1]], &mut out);
    assert_eq!(ids(&out), [None, Some(other), None]);
    reader.quiescent();

    // The deleted match installed again is found, then cached.
    let again = table
        .insert(&match_of(5), None, vec![Action::Output(5)])
        .unwrap();
    for probes_at_most in [u32::MAX, 0] {
        let mut out = [None, None];
        assert!(reader.classify_burst(&gone, &mut out) <= probes_at_most);
        assert_eq!(ids(&out), [Some(again), Some(again)]);
        reader.quiescent();
    }
    drop(reader);
}

/// A worker lcore classifies every key of every flow nonstop (the cache
/// answers nearly all of them) while the main lcore deletes the flows one
/// by one, each followed by a grace period; only then does it mark the
/// flow gone. A burst that starts after the mark must not return it, and
/// a flow whose delete has not begun must be found.
fn deleted_flows_leave_a_busy_worker_s_cache(eal: &Eal) {
    let mut table = table(eal);
    let flows: Vec<FlowId> = (0..FLOWS)
        .map(|f| {
            table
                .insert(&match_of(f), None, vec![Action::Output(f as u32)])
                .unwrap()
        })
        .collect();
    let state: Arc<Vec<AtomicU8>> = Arc::new((0..FLOWS).map(|_| AtomicU8::new(LIVE)).collect());
    let stop = Arc::new(AtomicBool::new(false));
    let mut reader = table.reader(1).unwrap();
    let expected: Vec<u64> = flows.iter().map(|id| id.0).collect();
    let job = {
        let (state, stop) = (Arc::clone(&state), Arc::clone(&stop));
        eal.launch(1, move || {
            let keys: Vec<FlowKey> = (0..FLOWS * VARIANTS)
                .map(|i| packet(i / VARIANTS, i % VARIANTS))
                .collect();
            let (mut returned_deleted, mut wrong, mut lost_live) = (0u64, 0u64, 0u64);
            let mut checked_deleted = 0u64;
            let mut before = [LIVE; BURST];
            let mut at = 0;
            while !stop.load(Ordering::Relaxed) {
                let burst = &keys[at..at + BURST];
                for (i, s) in before.iter_mut().enumerate() {
                    *s = state[(at + i) / VARIANTS].load(Ordering::Acquire);
                }
                let mut out: [Option<&Flow>; BURST] = [None; BURST];
                reader.classify_burst(burst, &mut out);
                for (i, got) in out.iter().enumerate() {
                    let f = (at + i) / VARIANTS;
                    match got {
                        Some(_) if before[i] == GONE => returned_deleted += 1,
                        Some(flow) if flow.id().0 != expected[f] || !flow.matches(&burst[i]) => {
                            wrong += 1
                        }
                        Some(_) => {}
                        None if before[i] == GONE => checked_deleted += 1,
                        None if state[f].load(Ordering::Acquire) == LIVE => lost_live += 1,
                        None => {}
                    }
                }
                at = (at + BURST) % keys.len();
                reader.quiescent();
            }
            drop(reader);
            (returned_deleted, wrong, lost_live, checked_deleted)
        })
        .expect("launch on lcore 1")
    };

    // Let the worker fill its cache before anything is deleted.
    let started = Instant::now();
    while table.datapath_stats().cache_hit < (FLOWS * VARIANTS * 4) as u64 {
        assert!(started.elapsed() < Duration::from_secs(10), "no cache hits");
        std::thread::sleep(Duration::from_millis(1));
    }
    let warm = table.datapath_stats();
    let mut order: Vec<usize> = (0..FLOWS).collect();
    let mut rng = 0x9E37_79B9_7F4A_7C15u64;
    for i in (1..order.len()).rev() {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        order.swap(i, (rng % (i as u64 + 1)) as usize);
    }
    for f in order {
        state[f].store(DELETING, Ordering::Release);
        table.remove(flows[f]).unwrap();
        table.synchronize();
        state[f].store(GONE, Ordering::Release);
        table.reclaim();
    }
    // Let the worker classify the now empty table for a while.
    std::thread::sleep(Duration::from_millis(50));
    stop.store(true, Ordering::Relaxed);
    let (returned_deleted, wrong, lost_live, checked_deleted) = job.join().unwrap();
    let end = table.datapath_stats();
    eprintln!(
        "warm: {warm:?}\nend: {end:?}\nreturned_deleted={returned_deleted} wrong={wrong} \
         lost_live={lost_live} checked_deleted={checked_deleted}"
    );
    assert_eq!(
        returned_deleted, 0,
        "a deleted flow came back after a grace period"
    );
    assert_eq!(wrong, 0);
    assert_eq!(lost_live, 0, "a live flow was missed");
    assert!(
        checked_deleted > (FLOWS * VARIANTS) as u64,
        "{checked_deleted}"
    );
    assert!(
        warm.cache_hit * 2 > warm.hit,
        "the cache answered most: {warm:?}"
    );
    table.reclaim();
    assert_eq!(table.pending_reclaim(), 0);
}

/// The depth `fill_and_classify` hands its filler.
fn depth_of(reader: &ClassifierReader) -> Depth {
    let mut seen = None;
    reader.fill_and_classify(&mut [], &mut [], |depth, _| seen = Some(depth));
    seen.expect("the filler runs")
}

/// Bursts full of neighbours that agree on every masked bit, with and
/// without the flow cache, as the table changes between bursts.
fn neighbours_take_the_same_answers_as_a_lookup(eal: &Eal) {
    for cache_entries in [0, 4096] {
        let mut table = FlowTable::new(
            eal,
            TableConfig {
                flow_cache_entries: cache_entries,
                ..TableConfig::default()
            },
        )
        .unwrap();
        let mut reader = table.reader(0).unwrap();
        // Keys are filled as deep as the masks look: flow 0 matches only
        // recirc_id (metadata), flow 7 also an IPv4 destination.
        assert_eq!(depth_of(&reader), Depth::Shallow, "an empty table");
        let mut rng = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            rng
        };
        // Flow f of round r matches recirc_id f plus a field set; keys are
        // drawn from few bases with noise in every word, so runs of keys
        // share every bit some mask selects while differing elsewhere.
        let mut expected = (0u64, 0u64, 0u64); // hit, missed, probes + cache hits
        for round in 0..8usize {
            let f = round * 7;
            table
                .insert(&match_of(f), None, vec![Action::Output(f as u32)])
                .unwrap();
            let masks = table.masks_in_rank_order().to_vec();
            reader.quiescent();
            let depth = if round == 0 {
                Depth::Shallow
            } else {
                Depth::Full
            };
            assert_eq!(depth_of(&reader), depth, "after flow {f}");
            for _ in 0..50 {
                let mut keys = [FlowKey::default(); BURST];
                let mut base = packet(f, 0);
                for key in keys.iter_mut() {
                    if next() % 4 == 0 {
                        let g = (next() % 9) as usize * 7; // some have no flow
                        base = packet(g, next() as usize % 3);
                    }
                    let mut w = *base.words();
                    for (j, word) in w.iter_mut().enumerate() {
                        let masked = masks.iter().fold(0, |a, m| a | m.words()[j]);
                        *word = (*word & masked) | (next() & !masked);
                    }
                    *key = FlowKey::from_words(w);
                }
                let mut out = [None; BURST];
                let probes = reader.classify_burst(&keys, &mut out);
                for (key, got) in keys.iter().zip(&out) {
                    assert_eq!(got.map(Flow::id), table.lookup(key).map(Flow::id));
                }
                let found = out.iter().filter(|f| f.is_some()).count() as u64;
                expected.0 += found;
                expected.1 += BURST as u64 - found;
                expected.2 += u64::from(probes);
                reader.quiescent();
            }
        }
        let stats = table.datapath_stats();
        assert_eq!((stats.hit, stats.missed), (expected.0, expected.1));
        assert_eq!(stats.mask_hit, expected.2);
        assert!(
            stats.mask_hit + stats.cache_hit >= stats.hit + stats.missed,
            "every packet counted as probed or cached: {stats:?}"
        );
        if cache_entries == 0 {
            assert_eq!(stats.cache_hit, 0);
        }
        drop(reader);
        table.flush().unwrap();
        table.reclaim();
    }
}

#[test]
fn the_flow_cache_answers_as_the_search_and_forgets_deleted_flows() {
    let args = common::eal_args("classifier_cache", &["-l", "0,1", "--log-level=warning"]);
    let eal = Eal::init(args.clone()).expect("EAL initialises");
    cached_answers_are_the_search_answers(&eal);
    deleted_flows_leave_a_busy_worker_s_cache(&eal);
    neighbours_take_the_same_answers_as_a_lookup(&eal);
    eal.cleanup()
        .expect("EAL cleans up once every handle is gone");
    common::remove_runtime_dir(&args);
}
