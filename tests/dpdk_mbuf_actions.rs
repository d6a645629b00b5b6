//! Actions on real mbufs: VLAN push/pop through the headroom, outputs that
//! share one buffer by reference count, and deep copies from the pool. One
//! test per file because EAL initialises once per process.

mod common;

use dpswitch::datapath::actions::{execute, pop_vlan, push_vlan, PacketBuf, Xorshift32};
use dpswitch::dpdk::{Eal, Mbuf, Mempool, DEFAULT_DATA_ROOM, SOCKET_ID_ANY};
use dpswitch::flow::odp::{Action, EthernetKey, KeyAttr};

/// An untagged Ethernet frame: MACs, ethertype 0x0800, then filler.
fn frame() -> Vec<u8> {
    let mut f = vec![0x02, 1, 2, 3, 4, 5, 0x02, 6, 7, 8, 9, 10, 0x08, 0x00];
    f.extend((0..46u8).map(|b| b.wrapping_mul(7)));
    f
}

fn tagged(tci: u16) -> Vec<u8> {
    let f = frame();
    [&f[..12], &[0x81, 0x00], &tci.to_be_bytes()[..], &f[12..]].concat()
}

fn mbuf_with(pool: &Mempool, bytes: &[u8]) -> Mbuf {
    let mut m = pool.alloc().expect("pool has free mbufs");
    assert!(m.extend_from_slice(bytes));
    m
}

#[test]
fn actions_on_mbufs_share_copy_and_free_exactly() {
    let args = common::eal_args("dpdk_mbuf_actions", &["-l", "0", "--log-level=warning"]);
    let eal = Eal::init(args.clone()).expect("EAL initialises");
    // No per-lcore cache, so the in-use count is exact at every step.
    let pool = Mempool::create_pktmbuf(&eal, "actions", 63, 0, DEFAULT_DATA_ROOM, SOCKET_ID_ANY)
        .expect("pool");

    // VLAN push and pop move the front of the packet within the headroom.
    let mut m = mbuf_with(&pool, &frame());
    let headroom = m.headroom();
    push_vlan(&mut m, 0x8100, 0x1000 | 0x2064).unwrap();
    assert_eq!(m.data(), tagged(0x2064));
    assert_eq!(m.headroom(), headroom - 4);
    assert_eq!(m.pkt_len(), frame().len() as u32 + 4);
    pop_vlan(&mut m).unwrap();
    assert_eq!(m.data(), frame());
    assert_eq!(m.headroom(), headroom);
    assert_eq!(pool.in_use_count(), 1);

    // A shared buffer is read-only through both handles.
    let mut shared = m.share().expect("share");
    assert_eq!((m.refcnt(), shared.refcnt()), (2, 2));
    assert!(shared.data_mut().is_empty());
    assert!(PacketBuf::prepend(&mut shared, 4).is_none());
    assert!(!PacketBuf::adj(&mut m, 1));
    assert_eq!(shared.data(), frame());
    assert_eq!(pool.in_use_count(), 1, "sharing takes no mbuf");
    drop(shared);
    assert!(!m.is_shared());
    assert_eq!(m.data_mut().len(), frame().len());
    drop(m);
    assert_eq!(pool.in_use_count(), 0);

    // Two outputs, nothing changed in between: one buffer, two references.
    let mut rng = Xorshift32::new(1);
    let mut sent: Vec<(u32, Mbuf)> = Vec::new();
    let report = execute(
        &[Action::Output(1), Action::Output(2)],
        mbuf_with(&pool, &frame()),
        &mut rng,
        &mut |port, m| sent.push((port, m)),
    );
    assert_eq!(report.outputs, 2);
    assert_eq!(sent[0].1.data().as_ptr(), sent[1].1.data().as_ptr());
    assert_eq!(sent[0].1.refcnt(), 2);
    assert_eq!(pool.in_use_count(), 1);
    sent.clear();
    assert_eq!(pool.in_use_count(), 0, "both references freed the mbuf");

    // A rewrite between outputs: the first output gets a deep copy.
    let set_mac = Action::Set(KeyAttr::Ethernet(EthernetKey {
        src: [0x0a; 6],
        dst: [0x0b; 6],
    }));
    let actions = [
        Action::Output(1),
        set_mac,
        Action::PushVlan {
            tpid: 0x8100,
            tci: 0x1007,
        },
        Action::Output(2),
    ];
    execute(
        &actions,
        mbuf_with(&pool, &frame()),
        &mut rng,
        &mut |port, m| sent.push((port, m)),
    );
    assert_eq!(pool.in_use_count(), 2);
    assert_eq!(sent[0].1.data(), frame());
    assert!(!sent[0].1.is_shared() && !sent[1].1.is_shared());
    let second = sent[1].1.data();
    assert_eq!(&second[..12], &[[0x0b; 6], [0x0a; 6]].concat()[..]);
    assert_eq!(&second[12..16], &[0x81, 0x00, 0x00, 0x07]);
    assert_eq!(&second[16..], &frame()[12..]);

    // A deep copy is independent of its original.
    let mut copy = sent[0].1.deep_copy().expect("copy");
    assert_eq!(pool.in_use_count(), 3);
    copy.data_mut()[0] = 0xff;
    assert_eq!(sent[0].1.data(), frame());
    assert_eq!(copy.data()[1..], frame()[1..]);
    drop(copy);
    sent.clear();
    assert_eq!(pool.in_use_count(), 0);

    // A list without output frees the packet.
    execute(&[], mbuf_with(&pool, &frame()), &mut rng, &mut |_, _| {
        panic!("no output")
    });
    assert_eq!(pool.in_use_count(), 0);

    drop(pool);
    drop(eal);
    common::remove_runtime_dir(&args);
}
