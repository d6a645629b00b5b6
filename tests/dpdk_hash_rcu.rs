//! A lock-free rte_hash with RCU reclamation under real concurrency: a
//! worker lcore bulk-looks-up while the main lcore adds and deletes. One
//! test per file because EAL initialises once per process.

mod common;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use dpswitch::dpdk::{
    current_lcore, DpdkError, Eal, HashFlags, HashParams, HashTable, Rcu, RcuReclaimConfig,
    LOOKUP_BULK_MAX,
};

const KEYS: u64 = 4096;
const WRITE_TIME: Duration = Duration::from_millis(1500);

/// The only data ever stored for `key`: any other value seen by a reader
/// is a torn or stale read.
fn value_of(key: u64) -> usize {
    (key.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1) as usize
}

#[derive(Debug, Default)]
struct ReaderTally {
    lookups: u64,
    hits: u64,
    wrong: u64,
}

#[test]
fn worker_bulk_lookups_never_see_wrong_data_while_main_adds_and_deletes() {
    let args = common::eal_args("dpdk_hash_rcu", &["-l", "0,1", "--log-level=warning"]);
    let eal = Eal::init(args.clone()).expect("EAL initialises");
    assert_eq!(eal.worker_lcores(), vec![1]);
    assert_eq!(current_lcore(), Some(eal.main_lcore()));
    assert!(
        eal.launch(eal.main_lcore(), || ()).is_err(),
        "the main lcore is not a worker"
    );

    // Parameter checks happen before DPDK sees them.
    assert!(HashTable::create(&eal, &HashParams::lock_free("tiny", 7, 8)).is_err());
    assert!(HashTable::create(&eal, &HashParams::lock_free("keyless", 64, 0)).is_err());
    let plain = HashTable::create(
        &eal,
        &HashParams {
            flags: HashFlags::NONE,
            ..HashParams::lock_free("plain", 64, 8)
        },
    )
    .unwrap();
    assert!(
        plain.reader().is_none(),
        "no concurrent readers without a concurrency flag"
    );
    // DPDK logs the name clash ("RING: Cannot reserve memory").
    assert!(
        HashTable::create(&eal, &HashParams::lock_free("plain", 64, 8)).is_err(),
        "names are unique"
    );

    let rcu = Rcu::new(1).unwrap();
    let mut table =
        HashTable::create(&eal, &HashParams::lock_free("flows", 2 * KEYS as u32, 8)).unwrap();
    let reclaimed = Arc::new(AtomicU64::new(0));
    let reclaimed_wrong = Arc::new(AtomicU64::new(0));
    {
        let reclaimed = Arc::clone(&reclaimed);
        let reclaimed_wrong = Arc::clone(&reclaimed_wrong);
        table
            .attach_rcu(
                &rcu,
                RcuReclaimConfig::default(),
                Some(Box::new(move |data| {
                    reclaimed.fetch_add(1, Ordering::Relaxed);
                    if data & 1 == 0 {
                        reclaimed_wrong.fetch_add(1, Ordering::Relaxed);
                    }
                })),
            )
            .unwrap();
    }
    assert!(table
        .attach_rcu(&rcu, RcuReclaimConfig::default(), None)
        .is_err());

    // Misuse is refused rather than silently finding nothing.
    let key = 5u64.to_ne_bytes();
    let too_many: Vec<&[u8]> = vec![&key; LOOKUP_BULK_MAX + 1];
    let mut data = [0usize; LOOKUP_BULK_MAX + 1];
    assert!(matches!(
        table.lookup_bulk(&too_many, &mut data),
        Err(DpdkError::InvalidArgument { .. })
    ));
    assert!(table.lookup(&[1, 2, 3], 0).is_err(), "wrong key length");
    assert_eq!(table.lookup(&key, table.hash(&key)).unwrap(), None);

    // Half the keys are present from the start.
    for k in (0..KEYS).step_by(2) {
        let bytes = k.to_ne_bytes();
        table.add(&bytes, table.hash(&bytes), value_of(k)).unwrap();
    }
    assert_eq!(table.count(), KEYS as u32 / 2);
    let sample = 10u64.to_ne_bytes();
    assert_eq!(
        table.lookup(&sample, table.hash(&sample)).unwrap(),
        Some(value_of(10))
    );

    let stop = Arc::new(AtomicBool::new(false));
    let reader = table.reader().expect("lock-free tables have readers");
    let job = {
        let stop = Arc::clone(&stop);
        let rcu = rcu.clone();
        eal.launch(1, move || {
            let mut qsbr = rcu.register(0).expect("register reader");
            qsbr.online();
            let mut tally = ReaderTally::default();
            let mut next = 0u64;
            while !stop.load(Ordering::Relaxed) {
                let keys: [[u8; 8]; LOOKUP_BULK_MAX] =
                    std::array::from_fn(|i| ((next + i as u64 * 61) % KEYS).to_ne_bytes());
                let key_refs: [&[u8]; LOOKUP_BULK_MAX] = std::array::from_fn(|i| &keys[i][..]);
                let sigs: [u32; LOOKUP_BULK_MAX] = std::array::from_fn(|i| reader.hash(&keys[i]));
                let mut data = [0usize; LOOKUP_BULK_MAX];
                let hits = reader
                    .lookup_bulk_with_hash(&key_refs, &sigs, &mut data)
                    .expect("valid bulk lookup");
                for (i, key) in keys.iter().enumerate() {
                    if hits.is_hit(i) && data[i] != value_of(u64::from_ne_bytes(*key)) {
                        tally.wrong += 1;
                    }
                }
                tally.lookups += LOOKUP_BULK_MAX as u64;
                tally.hits += u64::from(hits.count());
                next = next.wrapping_add(17);
                qsbr.quiescent();
            }
            qsbr.offline();
            (current_lcore(), tally)
        })
        .expect("launch on lcore 1")
    };
    assert!(eal.launch(1, || ()).is_err(), "lcore 1 is busy");

    // The writer flips every key in and out until time is up.
    let mut adds = 0u64;
    let mut deletes = 0u64;
    let started = Instant::now();
    let mut round = 0u64;
    while started.elapsed() < WRITE_TIME {
        for k in 0..KEYS {
            let bytes = k.to_ne_bytes();
            let sig = table.hash(&bytes);
            if (k + round).is_multiple_of(2) {
                if table.delete(&bytes, sig).unwrap() {
                    deletes += 1;
                }
            } else {
                match table.add(&bytes, sig, value_of(k)) {
                    Ok(()) => adds += 1,
                    // Deleted slots wait for the grace period; try later.
                    Err(err) if err.errno() == Some(nix::errno::Errno::ENOSPC) => {}
                    Err(err) => panic!("add failed: {err}"),
                }
            }
        }
        round += 1;
    }
    stop.store(true, Ordering::Relaxed);
    let (worker_lcore, tally) = job.join().expect("reader did not panic");
    eprintln!("writer: {adds} adds, {deletes} deletes; reader: {tally:?}");

    assert_eq!(worker_lcore, Some(1));
    assert_eq!(
        tally.wrong, 0,
        "a reader saw data that was never stored for its key"
    );
    assert!(tally.lookups > 0 && tally.hits > 0, "{tally:?}");
    assert!(
        tally.hits < tally.lookups,
        "keys were absent part of the time"
    );
    assert!(
        adds > KEYS && deletes > KEYS,
        "the writer churned: {adds} adds {deletes} deletes"
    );
    assert!(
        reclaimed.load(Ordering::Relaxed) > 0,
        "deleted entries were reclaimed"
    );
    assert_eq!(reclaimed_wrong.load(Ordering::Relaxed), 0);

    // With the reader gone, lookups see exactly the last round's keys.
    let last_round = round - 1;
    for k in 0..KEYS {
        let bytes = k.to_ne_bytes();
        let expected = (!(k + last_round).is_multiple_of(2)).then(|| value_of(k));
        let found = table.lookup(&bytes, table.hash(&bytes)).unwrap();
        // An add may have been refused for space; deletes always land.
        if expected.is_none() {
            assert_eq!(found, None, "key {k}");
        } else if let Some(v) = found {
            assert_eq!(v, value_of(k));
        }
    }
    drop(table);
    drop(plain);
    drop(rcu);
    eal.cleanup()
        .expect("EAL cleans up once every handle is gone");
    common::remove_runtime_dir(&args);
}
