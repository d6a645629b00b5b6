//! The classifier under real concurrency: a reader on worker lcore 1
//! classifies bursts continuously while the main lcore inserts, modifies
//! and deletes flows as fast as it can. Every answer must be consistent:
//! the flow matches the key, belongs to the key's slot, and carries one
//! whole version of its action list; when nothing changed for a slot during
//! a lookup (a per-slot sequence counter says so), the answer must be
//! exactly the flow the writer had installed. Each slot's packets come in
//! a few variants that repeat, so the reader's flow cache answers most of
//! them and its answers meet deletes, re-inserts and action swaps. One test
//! per file because EAL initialises once per process.

mod common;

use std::sync::atomic::{fence, AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use dpswitch::classifier::{Flow, FlowId, FlowTable, TableConfig};
use dpswitch::dpdk::{current_lcore, Eal};
use dpswitch::flow::key::{FlowKey, FlowMask, FLOW_WORDS};
use dpswitch::flow::matching::Match;
use dpswitch::flow::odp::Action;

const SLOTS: usize = 256;
const BURST: usize = 32;
/// Distinct keys per slot.
const KEY_VARIANTS: u64 = 4;

fn write_time() -> Duration {
    let ms = std::env::var("DPSWITCH_CONCURRENCY_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3000);
    Duration::from_millis(ms)
}

/// Every mask matches recirc_id exactly and slot `s` has recirc_id `s`, so
/// slots never overlap. Mask 4 has only four slots, so its subtable keeps
/// disappearing and coming back.
fn mask_of(slot: usize) -> FlowMask {
    let mut m = FlowMask::default();
    m.set_recirc_id(u32::MAX);
    match if slot.is_multiple_of(64) { 4 } else { slot % 4 } {
        0 => m.set_in_port(u32::MAX),
        1 => {
            m.set_eth_type(0xffff);
            m.set_ipv4_dst(0xffff_ff00);
        }
        2 => m.set_tp_dst(0xffff),
        3 => {
            m.set_in_port(u32::MAX);
            m.set_tp_dst(0xff00);
            m.set_ipv6_src(u128::MAX);
        }
        _ => {}
    }
    m
}

fn key_of(slot: usize) -> FlowKey {
    let mut k = FlowKey::default();
    k.set_recirc_id(slot as u32);
    k.set_in_port(slot as u32 % 7);
    k.set_eth_type(0x0800);
    k.set_ipv4_dst((slot as u32) << 8 | 1);
    k.set_tp_dst(slot as u16);
    k.set_ipv6_src(slot as u128 * 0x1_0001);
    k
}

/// One whole action list: the flow's slot, then `version` repeated a
/// number of times that depends on the version. A torn or freed list
/// cannot pass `check_actions`.
fn actions_of(slot: usize, version: u64) -> Vec<Action> {
    let mut list = vec![Action::Output(slot as u32)];
    list.extend(std::iter::repeat_n(
        Action::Output(version as u32),
        1 + (version % 5) as usize,
    ));
    list
}

fn check_actions(flow: &Flow, actions: &[Action]) -> bool {
    let Some((Action::Output(slot), rest)) = actions.split_first() else {
        return false;
    };
    let Some(Action::Output(version)) = rest.first() else {
        return false;
    };
    *slot == flow.key().recirc_id()
        && rest.len() == 1 + (*version % 5) as usize
        && rest.iter().all(|a| *a == Action::Output(*version))
}

/// What the writer publishes per slot, seqlock style: `seq` is odd while a
/// change is under way; `id` is the installed flow's id (0: none).
struct SlotState {
    seq: AtomicU64,
    id: AtomicU64,
}

struct Slots(Vec<SlotState>);

impl Slots {
    fn begin(&self, slot: usize) {
        let s = &self.0[slot];
        s.seq
            .store(s.seq.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
        fence(Ordering::Release);
    }

    fn end(&self, slot: usize, id: u64) {
        let s = &self.0[slot];
        s.id.store(id, Ordering::Relaxed);
        s.seq
            .store(s.seq.load(Ordering::Relaxed) + 1, Ordering::Release);
    }
}

#[derive(Debug, Default)]
struct ReaderTally {
    loops: u64,
    packets: u64,
    hits: u64,
    misses: u64,
    /// Lookups during which the slot did not change: the answer was
    /// checked against the writer's state exactly.
    stable_checked: u64,
    wrong_flow: u64,
    torn_actions: u64,
    stable_mismatch: u64,
    masks_probed: u64,
}

/// xorshift64: cheap randomness without allocation on the reader.
fn next_random(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

#[test]
fn a_worker_classifies_consistently_while_main_rewrites_the_table() {
    let args = common::eal_args(
        "classifier_concurrency",
        &["-l", "0,1", "--log-level=warning"],
    );
    let eal = Eal::init(args.clone()).expect("EAL initialises");
    assert_eq!(eal.worker_lcores(), vec![1]);

    let mut table = FlowTable::new(
        &eal,
        TableConfig {
            max_flows: SLOTS,
            max_readers: 2,
            initial_subtable_capacity: 64,
            flow_cache_entries: 1024,
        },
    )
    .unwrap();
    let slots = Arc::new(Slots(
        (0..SLOTS)
            .map(|_| SlotState {
                seq: AtomicU64::new(0),
                id: AtomicU64::new(0),
            })
            .collect(),
    ));
    let stop = Arc::new(AtomicBool::new(false));
    let mut reader = table.reader(1).unwrap();
    let job = {
        let stop = Arc::clone(&stop);
        let slots = Arc::clone(&slots);
        eal.launch(1, move || {
            let mut tally = ReaderTally::default();
            let mut rng = 0x9E37_79B9_7F4A_7C15u64;
            let mut keys = [FlowKey::default(); BURST];
            let mut key_slots = [0usize; BURST];
            let mut seq_before = [0u64; BURST];
            while !stop.load(Ordering::Relaxed) {
                for i in 0..BURST {
                    let r = next_random(&mut rng);
                    // One packet in eight belongs to no slot at all.
                    let slot = (r as usize) % (SLOTS + SLOTS / 8);
                    key_slots[i] = slot;
                    if slot >= SLOTS {
                        let mut k = key_of(slot % SLOTS);
                        k.set_recirc_id(slot as u32 + 1_000_000);
                        keys[i] = k;
                        continue;
                    }
                    // The slot's key with its wildcarded bits set to one of
                    // a few noise patterns.
                    let mask = mask_of(slot);
                    let base = key_of(slot);
                    let variant = (r >> 60) % KEY_VARIANTS;
                    let mut w = *base.words();
                    for (j, word) in w.iter_mut().enumerate() {
                        let m = mask.words()[j];
                        let noise = 0x9E37_79B9_7F4A_7C15u64
                            .wrapping_mul(variant * FLOW_WORDS as u64 + j as u64 + 1);
                        *word = (*word & m) | (noise & !m);
                    }
                    keys[i] = FlowKey::from_words(w);
                    seq_before[i] = slots.0[slot].seq.load(Ordering::Acquire);
                }
                let mut out: [Option<&Flow>; BURST] = [None; BURST];
                tally.masks_probed += u64::from(reader.classify_burst(&keys, &mut out));
                fence(Ordering::Acquire);
                for i in 0..BURST {
                    let slot = key_slots[i];
                    match out[i] {
                        Some(flow) => {
                            tally.hits += 1;
                            if slot >= SLOTS
                                || !flow.matches(&keys[i])
                                || flow.key() != key_of(slot)
                            {
                                tally.wrong_flow += 1;
                            }
                            let actions = reader.actions(flow);
                            if !check_actions(flow, actions) {
                                tally.torn_actions += 1;
                            }
                            reader.record(flow, 1, 64, 0, tally.loops);
                        }
                        None => tally.misses += 1,
                    }
                    if slot < SLOTS {
                        let state = &slots.0[slot];
                        let id = state.id.load(Ordering::Relaxed);
                        let seq_after = state.seq.load(Ordering::Relaxed);
                        if seq_after == seq_before[i] && seq_after.is_multiple_of(2) {
                            tally.stable_checked += 1;
                            let got = out[i].map_or(0, |f| f.id().0);
                            if got != id {
                                tally.stable_mismatch += 1;
                            }
                        }
                    }
                }
                tally.packets += BURST as u64;
                tally.loops += 1;
                reader.quiescent();
            }
            drop(reader);
            (current_lcore(), tally)
        })
        .expect("launch on lcore 1")
    };

    // The writer: random slot, then insert if absent, else modify or
    // delete; re-rank and reclaim as it goes.
    let mut rng = 0x2545_F491_4F6C_DD1Du64;
    let mut installed: Vec<Option<FlowId>> = vec![None; SLOTS];
    let mut version = 0u64;
    let (mut inserts, mut modifies, mut deletes, mut reranks) = (0u64, 0u64, 0u64, 0u64);
    let mut max_masks = 0;
    let started = Instant::now();
    let duration = write_time();
    while started.elapsed() < duration {
        for _ in 0..256 {
            let r = next_random(&mut rng);
            let slot = (r >> 8) as usize % SLOTS;
            version += 1;
            slots.begin(slot);
            match installed[slot] {
                None => {
                    let m = Match {
                        key: key_of(slot),
                        mask: mask_of(slot),
                    };
                    let id = table
                        .insert(&m, None, actions_of(slot, version))
                        .expect("room for every slot");
                    installed[slot] = Some(id);
                    inserts += 1;
                }
                Some(id) if r.is_multiple_of(3) => {
                    table.remove(id).unwrap();
                    installed[slot] = None;
                    deletes += 1;
                }
                Some(id) => {
                    table.set_actions(id, actions_of(slot, version)).unwrap();
                    modifies += 1;
                }
            }
            slots.end(slot, installed[slot].map_or(0, |id| id.0));
            max_masks = max_masks.max(table.mask_count());
        }
        if table.rerank() {
            reranks += 1;
        }
    }
    stop.store(true, Ordering::Relaxed);
    let (worker_lcore, tally) = job.join().expect("reader did not panic");
    let stats = table.datapath_stats();
    eprintln!(
        "writer: {inserts} inserts, {modifies} modifies, {deletes} deletes, {reranks} reranks, \
         up to {max_masks} masks, {} retired objects pending",
        table.pending_reclaim()
    );
    eprintln!("reader: {tally:?}");
    eprintln!("datapath: {stats:?}");

    assert_eq!(worker_lcore, Some(1));
    assert_eq!(
        tally.wrong_flow, 0,
        "a lookup returned a flow not matching its key"
    );
    assert_eq!(tally.torn_actions, 0, "an action list was torn or freed");
    assert_eq!(tally.stable_mismatch, 0, "a stable slot answered wrongly");
    assert!(
        tally.stable_checked > 0 && tally.hits > 0 && tally.misses > 0,
        "{tally:?}"
    );
    assert!(inserts > 1000 && deletes > 100 && modifies > 1000);
    assert_eq!(stats.hit + stats.missed, tally.packets);
    assert_eq!(stats.hit, tally.hits);
    assert_eq!(stats.mask_hit, tally.masks_probed);
    assert!(
        stats.cache_hit > tally.hits / 4,
        "the flow cache answered too little: {stats:?}"
    );

    // With the reader gone everything retired can go.
    table.reclaim();
    assert_eq!(table.pending_reclaim(), 0);
    let recorded: u64 = table.flows().map(|f| f.stats().packets).sum();
    assert!(recorded <= tally.hits);
    drop(table);
    eal.cleanup()
        .expect("EAL cleans up once every handle is gone");
    common::remove_runtime_dir(&args);
}
