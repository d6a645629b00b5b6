//! Lcore jobs and EAL lifetime rules. One test per file because EAL
//! initialises once per process.

mod common;

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use dpswitch::dpdk::{
    current_lcore, tsc_hz, DpdkError, Eal, Mempool, DEFAULT_DATA_ROOM, SOCKET_ID_ANY,
};

#[test]
fn jobs_return_results_and_panics_and_eal_outlives_its_objects() {
    let args = common::eal_args("dpdk_lcore", &["-l", "0,1", "--log-level=warning"]);
    let eal = Eal::init(args.clone()).expect("EAL initialises");
    assert_eq!(eal.lcore_count(), 2);
    assert_eq!(eal.main_lcore(), 0);
    assert_eq!(eal.worker_lcores(), vec![1]);
    assert_eq!(eal.app_args(), ["dpdk_lcore"]);
    assert!(tsc_hz() > 0, "EAL measured the TSC");

    // A job's return value comes back through join, and it ran on its lcore.
    let counter = Arc::new(AtomicU32::new(0));
    let job = {
        let counter = Arc::clone(&counter);
        eal.launch(1, move || {
            counter.fetch_add(1, Ordering::SeqCst);
            (current_lcore(), String::from("done"))
        })
        .unwrap()
    };
    assert_eq!(job.lcore(), 1);
    assert_eq!(job.join().unwrap(), (Some(1), "done".to_owned()));
    assert_eq!(counter.load(Ordering::SeqCst), 1);

    // A panicking job hands its payload to join, and the lcore stays usable.
    let job = eal
        .launch(1, || -> u32 { panic!("job failed on purpose") })
        .unwrap();
    let payload = job.join().unwrap_err();
    assert_eq!(
        payload.downcast_ref::<&str>(),
        Some(&"job failed on purpose")
    );
    assert_eq!(eal.launch(1, || 7).unwrap().join().unwrap(), 7);

    // Only the main lcore launches; unknown lcores are refused.
    let from_thread = {
        let eal = eal.clone();
        std::thread::spawn(move || eal.launch(1, || ()).map(drop))
            .join()
            .unwrap()
    };
    assert!(matches!(
        from_thread,
        Err(DpdkError::InvalidArgument { .. })
    ));
    assert!(eal.launch(5, || ()).is_err());

    // Cleanup waits for every object that holds EAL memory.
    let pool =
        Mempool::create_pktmbuf(&eal, "lcore_pool", 255, 0, DEFAULT_DATA_ROOM, SOCKET_ID_ANY)
            .unwrap();
    let mbuf = pool.alloc().unwrap();
    let second = eal.clone();
    assert!(matches!(second.cleanup(), Err(DpdkError::Busy { .. })));
    assert_eq!(pool.in_use_count(), 1);
    drop(mbuf);
    assert_eq!(pool.in_use_count(), 0);
    drop(pool);
    eal.cleanup().expect("last handle cleans up");
    common::remove_runtime_dir(&args);
}
