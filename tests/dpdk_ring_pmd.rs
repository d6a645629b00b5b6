//! Packets through real DPDK ports: two `net_ring` vdevs, each looping its
//! tx ring back to its rx ring. One test per file because EAL initialises
//! once per process.

mod common;

use dpswitch::dpdk::{
    port_count, port_id_by_name, port_ids, port_name, DpdkError, Eal, Mbuf, MbufBurst, Mempool,
    Port, PortConfig, DEFAULT_DATA_ROOM, SOCKET_ID_ANY,
};

const PACKET_LEN: usize = 60;

/// A frame whose every byte identifies its port, sequence number and
/// offset, so misordered or mixed-up packets are caught.
fn frame(port: u16, seq: u16) -> Vec<u8> {
    (0..PACKET_LEN)
        .map(|offset| (usize::from(port) * 131 + usize::from(seq) * 7 + offset) as u8)
        .collect()
}

fn mbuf_with(pool: &Mempool, bytes: &[u8]) -> Mbuf {
    let mut mbuf = pool.alloc().expect("pool has free mbufs");
    assert!(mbuf.extend_from_slice(bytes));
    mbuf
}

#[test]
fn net_ring_ports_loop_packets_back_byte_for_byte() {
    let args = common::eal_args(
        // always with --no-pci
        "dpdk_ring_pmd",
        &[
            "-l",
            "0",
            "--log-level=warning",
            "--vdev=net_ring0",
            "--vdev=net_ring1",
            "--",
            "--app-flag",
            "value",
        ],
    );
    let eal = Eal::init(args.clone()).expect("EAL initialises");
    assert_eq!(eal.app_args(), ["dpdk_ring_pmd", "--app-flag", "value"]);
    assert!(eal.consumed_args() > 0);
    assert_eq!(
        Eal::init(vec!["again".into()]).unwrap_err(),
        DpdkError::AlreadyInitialised
    );

    // Discovery.
    assert_eq!(port_count(&eal), 2);
    assert_eq!(port_ids(&eal), vec![0, 1]);
    assert_eq!(port_name(&eal, 1).unwrap(), "net_ring1");
    assert_eq!(port_id_by_name(&eal, "net_ring0").unwrap(), 0);
    assert!(port_id_by_name(&eal, "net_ring7").is_err());
    assert!(Port::open(&eal, 9).is_err());

    let pool = Mempool::create_pktmbuf(
        &eal,
        "ring_pmd_pool",
        4095,
        32,
        DEFAULT_DATA_ROOM,
        SOCKET_ID_ANY,
    )
    .expect("pool");
    assert_eq!(pool.capacity(), 4095);
    assert_eq!(pool.in_use_count(), 0);
    assert!(Mempool::create_pktmbuf(
        &eal,
        "ring_pmd_pool",
        63,
        0,
        DEFAULT_DATA_ROOM,
        SOCKET_ID_ANY
    )
    .is_err());

    let ports: Vec<Port> = [0u16, 1]
        .into_iter()
        .map(|id| {
            let port = Port::open(&eal, id).expect("open port");
            let info = port.info().unwrap();
            assert_eq!(info.driver_name, "net_ring");
            assert!(info.max_rx_queues >= 1);
            let config = PortConfig {
                rx_descriptors: 256,
                tx_descriptors: 256,
                ..PortConfig::default()
            };
            port.configure(&config, &pool).expect("configure");
            assert!(!port.rss_enabled(), "one rx queue needs no RSS");
            port.start().expect("start");
            port.set_promiscuous(true).unwrap();
            assert!(port.promiscuous().unwrap());
            assert!(port.link().unwrap().up);
            port.mac_address().unwrap();
            port
        })
        .collect();
    assert!(Port::open(&eal, 0).is_err(), "one control handle per port");

    let mut rx: Vec<_> = ports.iter().map(|p| p.rx_queue(0).unwrap()).collect();
    let mut tx: Vec<_> = ports.iter().map(|p| p.tx_queue(0).unwrap()).collect();
    assert!(matches!(ports[0].rx_queue(0), Err(DpdkError::Busy { .. })));
    assert!(matches!(
        ports[0].tx_queue(1),
        Err(DpdkError::InvalidArgument { .. })
    ));
    assert!(
        matches!(ports[0].stop(), Err(DpdkError::Busy { .. })),
        "pollers first"
    );

    // One burst per port, then read each back on the same port.
    const COUNT: u16 = 20;
    for (port, queue) in tx.iter_mut().enumerate() {
        let mut burst: MbufBurst = MbufBurst::new();
        for seq in 0..COUNT {
            burst
                .push(mbuf_with(&pool, &frame(port as u16, seq)))
                .unwrap();
        }
        assert_eq!(queue.tx_burst(&mut burst), usize::from(COUNT));
        assert!(burst.is_empty());
    }
    assert_eq!(pool.in_use_count(), 2 * u32::from(COUNT));
    for (port, queue) in rx.iter_mut().enumerate() {
        let mut burst: MbufBurst = MbufBurst::new();
        assert_eq!(queue.rx_burst(&mut burst), usize::from(COUNT));
        for (seq, mbuf) in burst.iter().enumerate() {
            assert_eq!(
                mbuf.data(),
                frame(port as u16, seq as u16).as_slice(),
                "port {port} seq {seq}"
            );
            assert_eq!(mbuf.pkt_len() as usize, PACKET_LEN);
        }
        let mut empty: MbufBurst = MbufBurst::new();
        assert_eq!(queue.rx_burst(&mut empty), 0);
    }
    assert_eq!(pool.in_use_count(), 0, "received bursts were freed on drop");
    let stats = ports[1].stats().unwrap();
    assert_eq!((stats.ipackets, stats.opackets), (20, 20));
    // net_ring counts packets only, never bytes.
    assert_eq!((stats.ierrors, stats.oerrors, stats.rx_nombuf), (0, 0, 0));
    ports[1].reset_stats().unwrap();
    assert_eq!(ports[1].stats().unwrap().opackets, 0);

    // Overfill port 0's loopback ring (1024 slots, 1023 usable): what the
    // port refuses stays in the caller's burst.
    let mut sent = 0;
    let mut leftover: MbufBurst = MbufBurst::new();
    for round in 0..32u16 {
        let mut burst: MbufBurst = MbufBurst::new();
        for i in 0..32 {
            burst
                .push(mbuf_with(&pool, &frame(0, round * 32 + i)))
                .unwrap();
        }
        sent += tx[0].tx_burst(&mut burst);
        while let Some(mbuf) = burst.pop() {
            leftover.push(mbuf).unwrap();
        }
    }
    assert_eq!(sent, 1023);
    assert_eq!(leftover.len(), 1);
    assert_eq!(
        leftover[0].data(),
        frame(0, 1023).as_slice(),
        "the last packet stays with us"
    );
    let mut received = 0;
    loop {
        let mut burst: MbufBurst = MbufBurst::new();
        let got = rx[0].rx_burst(&mut burst);
        if got == 0 {
            break;
        }
        for (i, mbuf) in burst.drain().enumerate() {
            assert_eq!(mbuf.data(), frame(0, (received + i) as u16).as_slice());
        }
        received += got;
    }
    assert_eq!(received, 1023);
    drop(leftover);

    drop(rx);
    drop(tx);
    for port in ports {
        port.stop().expect("stop");
        port.close().expect("close");
    }
    assert_eq!(port_count(&eal), 0, "closing a vdev port releases it");
    assert_eq!(pool.in_use_count(), 0, "every mbuf went back to the pool");
    drop(pool);
    eal.cleanup()
        .expect("EAL cleans up once every handle is gone");
    common::remove_runtime_dir(&args);
}
