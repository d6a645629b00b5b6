//! Multi-queue configuration on a `net_null` port, whose driver advertises
//! RSS and generates packets on every rx burst. One test per file because
//! EAL initialises once per process.

mod common;

use dpswitch::dpdk::{Eal, MbufBurst, Mempool, Port, PortConfig, DEFAULT_DATA_ROOM, SOCKET_ID_ANY};

#[test]
fn two_rx_queues_enable_rss_and_every_queue_delivers() {
    let args = common::eal_args(
        // always with --no-pci
        "dpdk_null_rss",
        &[
            "-l",
            "0",
            "--log-level=warning",
            "--vdev=net_null0,size=128",
        ],
    );
    let eal = Eal::init(args.clone()).expect("EAL initialises");
    let pool =
        Mempool::create_pktmbuf(&eal, "null_pool", 2047, 0, DEFAULT_DATA_ROOM, SOCKET_ID_ANY)
            .unwrap();
    let port = Port::open_by_name(&eal, "net_null0").unwrap();
    let info = port.info().unwrap();
    assert_eq!(info.driver_name, "net_null");
    assert_ne!(info.flow_type_rss_offloads, 0);

    let config = PortConfig {
        rx_queues: 2,
        tx_queues: 2,
        rx_descriptors: 64,
        tx_descriptors: 64,
    };
    port.configure(&config, &pool).unwrap();
    assert!(port.rss_enabled());
    let too_many = PortConfig {
        rx_queues: info.max_rx_queues + 1,
        ..config
    };
    assert!(port.configure(&too_many, &pool).is_err());
    port.configure(&config, &pool).unwrap();
    port.start().unwrap();
    assert!(
        port.configure(&config, &pool).is_err(),
        "configure needs a stopped port"
    );

    let mut received = 0;
    for queue in 0..2 {
        let mut rx = port.rx_queue(queue).unwrap();
        let mut burst: MbufBurst = MbufBurst::new();
        assert_eq!(rx.rx_burst(&mut burst), 32, "net_null fills every burst");
        assert!(burst
            .iter()
            .all(|m| m.pkt_len() == 128 && m.data().len() == 128));
        // A full burst takes nothing more.
        assert_eq!(rx.rx_burst(&mut burst), 0);
        received += burst.len();

        let mut tx = port.tx_queue(queue).unwrap();
        assert_eq!(tx.tx_burst(&mut burst), 32, "net_null swallows everything");
        assert!(burst.is_empty());
    }
    assert_eq!(received, 64);
    assert_eq!(pool.in_use_count(), 0, "net_null freed what it transmitted");
    let stats = port.stats().unwrap();
    assert_eq!((stats.ipackets, stats.opackets), (64, 64));
    assert_eq!((stats.ierrors, stats.rx_nombuf), (0, 0));

    port.close().unwrap();
    drop(pool);
    eal.cleanup().unwrap();
    common::remove_runtime_dir(&args);
}
