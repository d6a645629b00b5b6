//! Burst classification cost per packet.
//!
//! - `classify_burst`: the tuple-space search alone (no flow cache): 1, 4,
//!   16, 64 and 256 masks with 1, 1k, 100k and 1M flows, every packet
//!   hitting or half of them missing, each packet's key distinct in bits
//!   no mask selects.
//! - `uniform`: 1, 10 and 100 masks with 1k and 64k flows, each with one
//!   packet key, sent round robin (packet i is flow i mod N), with and
//!   without the per-lcore flow cache.
//!
//! EAL initialises once for the whole binary. A reduced run:
//! `cargo bench --bench classifier -- --warm-up-time 0.5 --measurement-time 1`

#[path = "../tests/common/eal.rs"]
#[allow(dead_code)]
mod eal_args;

use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use dpswitch::classifier::{FlowTable, TableConfig};
use dpswitch::dpdk::Eal;
use dpswitch::flow::key::{FlowKey, FlowMask};
use dpswitch::flow::matching::Match;
use dpswitch::flow::odp::Action;

const BURST: usize = 32;
const PACKETS: usize = 8192;
const MISS_PORT: u32 = 1 << 20;

/// Mask `i`: in_port exactly (the flows of mask i use in_port i, so
/// megaflows never overlap) and ipv4_src (which tells a mask's flows
/// apart), plus a set of fields picked by the bits of i.
fn mask(i: usize) -> FlowMask {
    let mut m = FlowMask::default();
    m.set_in_port(u32::MAX);
    m.set_ipv4_src(u32::MAX);
    if i & 1 != 0 {
        m.set_eth_dst([0xff; 6]);
    }
    if i & 2 != 0 {
        m.set_nw_proto(u8::MAX);
    }
    if i & 4 != 0 {
        m.set_ipv4_dst(0xffff_ff00);
    }
    if i & 8 != 0 {
        m.set_tp_src(u16::MAX);
    }
    if i & 16 != 0 {
        m.set_tp_dst(u16::MAX);
    }
    if i & 32 != 0 {
        m.set_eth_type(u16::MAX);
    }
    if i & 64 != 0 {
        m.set_nw_tos(u8::MAX);
    }
    if i & 128 != 0 {
        m.set_skb_mark(u32::MAX);
    }
    m
}

fn key(mask_index: usize, flow: usize) -> FlowKey {
    let mut k = FlowKey::default();
    let f = flow as u32;
    k.set_in_port(mask_index as u32);
    k.set_eth_dst([2, 0, 0, (f >> 16) as u8, (f >> 8) as u8, f as u8]);
    k.set_ipv4_src(0x0a00_0000 | f);
    k.set_ipv4_dst(0xc0a8_0000 | (f << 8));
    k.set_tp_src(f as u16);
    k.set_tp_dst((f >> 16) as u16 ^ 0x50);
    k.set_eth_type(0x0800);
    k.set_nw_proto(6);
    k.set_nw_ttl(64);
    k
}

/// xorshift64, for reproducible packet mixes.
fn next(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

fn bench_classifier(c: &mut Criterion) {
    let args = eal_args::eal_args("classifier_bench", &["-l", "0", "--log-level=warning"]);
    let eal = Eal::init(args.clone()).expect("EAL initialises");
    // The largest cases take seconds to build: only a real benchmark run
    // (`cargo bench`) builds them, not the single pass `cargo test` makes.
    let full = std::env::args().any(|a| a == "--bench");
    bench_search(c, &eal, full);
    bench_uniform(c, &eal, full);
    eal_args::remove_runtime_dir(&args);
}

fn bench_search(c: &mut Criterion, eal: &Eal, full: bool) {
    let mut group = c.benchmark_group("classify_burst");
    group.throughput(Throughput::Elements(BURST as u64));
    let flow_counts: &[usize] = if full {
        &[1, 1_000, 100_000, 1_000_000]
    } else {
        &[1, 1_000, 100_000]
    };
    let mask_counts: &[usize] = if full {
        &[1, 4, 16, 64, 256]
    } else {
        &[1, 4, 16, 64]
    };
    for &flows in flow_counts {
        for &masks in mask_counts {
            if masks > flows {
                continue;
            }
            let per_mask = flows / masks;
            let mut table = FlowTable::new(
                eal,
                TableConfig {
                    max_flows: flows,
                    max_readers: 1,
                    initial_subtable_capacity: (per_mask as u32 * 2).max(64),
                    flow_cache_entries: 0,
                },
            )
            .expect("table");
            for m in 0..masks {
                for f in 0..per_mask {
                    let matching = Match {
                        key: key(m, f),
                        mask: mask(m),
                    };
                    table
                        .insert(&matching, None, vec![Action::Output(1)])
                        .expect("insert");
                }
            }
            let mut reader = table.reader(0).expect("reader");
            for &miss_percent in &[0u64, 50] {
                let mut rng = 0x9E37_79B9_7F4A_7C15u64;
                let packets: Vec<FlowKey> = (0..PACKETS)
                    .map(|_| {
                        let r = next(&mut rng);
                        let m = (r % masks as u64) as usize;
                        let f = ((r >> 16) % per_mask as u64) as usize;
                        let mut k = key(m, f);
                        k.set_tp_dst(k.tp_dst() ^ if mask(m).tp_dst() == 0 { 7 } else { 0 });
                        k.set_nw_ttl(1 + (r >> 48) as u8 % 64); // never masked
                        if next(&mut rng) % 100 < miss_percent {
                            k.set_in_port(MISS_PORT);
                        }
                        k
                    })
                    .collect();
                let label = format!("{masks}masks/{flows}flows/{miss_percent}%miss");
                let mut at = 0usize;
                group.bench_function(BenchmarkId::from_parameter(label), |b| {
                    b.iter(|| {
                        let burst = &packets[at..at + BURST];
                        at = (at + BURST) % PACKETS;
                        let mut out = [None; BURST];
                        let probes = reader.classify_burst(black_box(burst), &mut out);
                        black_box((&out, probes));
                    });
                    reader.quiescent();
                });
                reader.quiescent();
                // Later runs probe subtables busiest first, as a PMD would
                // after the management lcore re-ranked.
                table.rerank();
            }
            drop(reader);
            drop(table);
        }
    }
    group.finish();
}

/// Entries of the flow cache when it is on: room for 64k keys at half load.
const CACHE_ENTRIES: u32 = 131_072;

fn bench_uniform(c: &mut Criterion, eal: &Eal, full: bool) {
    let mut group = c.benchmark_group("uniform");
    group.throughput(Throughput::Elements(BURST as u64));
    let flow_counts: &[usize] = if full { &[1_000, 65_536] } else { &[1_000] };
    for &flows in flow_counts {
        for masks in [1usize, 10, 100] {
            // Flow j has mask j mod masks; its key is the one packet key.
            let keys: Vec<FlowKey> = (0..flows).map(|j| key(j % masks, j / masks)).collect();
            // Room to slice a burst anywhere: packet i is flow i mod N.
            let packets: Vec<FlowKey> = (0..flows + BURST).map(|i| keys[i % flows]).collect();
            for (cache, entries) in [("nocache", 0), ("cache", CACHE_ENTRIES)] {
                let mut table = FlowTable::new(
                    eal,
                    TableConfig {
                        max_flows: flows,
                        max_readers: 1,
                        initial_subtable_capacity: (flows.div_ceil(masks) as u32 * 2).max(64),
                        flow_cache_entries: entries,
                    },
                )
                .expect("table");
                for (j, k) in keys.iter().enumerate() {
                    let matching = Match {
                        key: *k,
                        mask: mask(j % masks),
                    };
                    table
                        .insert(&matching, None, vec![Action::Output(1)])
                        .expect("insert");
                }
                let mut reader = table.reader(0).expect("reader");
                let label = format!("{masks}masks/{flows}keys/{cache}");
                let mut at = 0usize;
                group.bench_function(BenchmarkId::from_parameter(label), |b| {
                    b.iter(|| {
                        let burst = &packets[at..at + BURST];
                        at = (at + BURST) % flows;
                        let mut out = [None; BURST];
                        let probes = reader.classify_burst(black_box(burst), &mut out);
                        black_box((&out, probes));
                    });
                    reader.quiescent();
                });
                reader.quiescent();
                let stats = table.datapath_stats();
                assert_eq!(stats.missed, 0, "every packet has its flow");
                drop(reader);
                drop(table);
            }
        }
    }
    group.finish();
}

criterion_group!(benches, bench_classifier);
criterion_main!(benches);
