//! Per-packet header work without a table: flow key extraction (full and
//! shallow) of common frames, and the header rewrites of `set` actions.
//!
//! No EAL: both run on plain byte slices.
//! `cargo bench --bench extract -- --warm-up-time 1 --measurement-time 3`

use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion};
use dpswitch::datapath::actions::{set, VecBuf};
use dpswitch::flow::extract::{extract, extract_shallow};
use dpswitch::flow::key::FlowKey;
use dpswitch::flow::odp::{Ipv4Key, Ipv6Key, KeyAttr, PortsKey};

const MACS: [u8; 12] = [2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1];

fn ethernet(tags: &[(u16, u16)], eth_type: u16) -> Vec<u8> {
    let mut f = MACS.to_vec();
    for (tpid, tci) in tags {
        f.extend_from_slice(&tpid.to_be_bytes());
        f.extend_from_slice(&tci.to_be_bytes());
    }
    f.extend_from_slice(&eth_type.to_be_bytes());
    f
}

fn ipv4(proto: u8, l4: &[u8]) -> Vec<u8> {
    let mut h = vec![0x45, 0, 0, 0, 0, 0, 0x40, 0, 64, proto, 0, 0];
    h[2..4].copy_from_slice(&((20 + l4.len()) as u16).to_be_bytes());
    h.extend_from_slice(&[10, 0, 0, 1, 10, 0, 0, 2]);
    h.extend_from_slice(l4);
    h
}

/// An IPv6 header whose payload is `ext` extension headers (each 8 bytes,
/// destination options) then `l4` of protocol `proto`.
fn ipv6(proto: u8, ext: usize, l4: &[u8]) -> Vec<u8> {
    let payload = ext * 8 + l4.len();
    let first = if ext == 0 { proto } else { 60 };
    let mut h = vec![0x60, 0x01, 0x23, 0x45];
    h.extend_from_slice(&(payload as u16).to_be_bytes());
    h.extend_from_slice(&[first, 64]);
    h.extend_from_slice(&[0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
    h.extend_from_slice(&[0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]);
    for i in 0..ext {
        let next = if i + 1 == ext { proto } else { 60 };
        h.extend_from_slice(&[next, 0, 1, 4, 0, 0, 0, 0]);
    }
    h.extend_from_slice(l4);
    h
}

fn tcp() -> Vec<u8> {
    let mut t = vec![0; 20];
    t[0..2].copy_from_slice(&1234u16.to_be_bytes());
    t[2..4].copy_from_slice(&80u16.to_be_bytes());
    t[12] = 0x50;
    t[13] = 0x18;
    t
}

fn udp() -> Vec<u8> {
    let mut u = vec![0; 8];
    u[0..2].copy_from_slice(&5353u16.to_be_bytes());
    u[2..4].copy_from_slice(&53u16.to_be_bytes());
    u[4..6].copy_from_slice(&8u16.to_be_bytes());
    u
}

fn neighbour_solicitation() -> Vec<u8> {
    let mut m = vec![135, 0, 0, 0, 0, 0, 0, 0];
    m.extend_from_slice(&[0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9]);
    m.extend_from_slice(&[1, 1, 2, 0, 0, 0, 0, 1]);
    m
}

fn arp() -> Vec<u8> {
    let mut a = vec![0, 1, 8, 0, 6, 4, 0, 1];
    a.extend_from_slice(&MACS[6..12]);
    a.extend_from_slice(&[10, 0, 0, 1]);
    a.extend_from_slice(&[0; 6]);
    a.extend_from_slice(&[10, 0, 0, 2]);
    a
}

fn frame(l2: Vec<u8>, l3: Vec<u8>) -> Vec<u8> {
    let mut f = l2;
    f.extend_from_slice(&l3);
    // Ethernet padding, as a NIC delivers short frames.
    if f.len() < 60 {
        f.resize(60, 0);
    }
    f
}

fn frames() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("ipv4_tcp", frame(ethernet(&[], 0x0800), ipv4(6, &tcp()))),
        (
            "vlan_ipv4_udp",
            frame(ethernet(&[(0x8100, 10)], 0x0800), ipv4(17, &udp())),
        ),
        (
            "qinq_ipv4_tcp",
            frame(
                ethernet(&[(0x88a8, 20), (0x8100, 10)], 0x0800),
                ipv4(6, &tcp()),
            ),
        ),
        ("ipv6_tcp", frame(ethernet(&[], 0x86dd), ipv6(6, 0, &tcp()))),
        (
            "ipv6_3ext_udp",
            frame(ethernet(&[], 0x86dd), ipv6(17, 3, &udp())),
        ),
        (
            "ipv6_nd",
            frame(
                ethernet(&[], 0x86dd),
                ipv6(58, 0, &neighbour_solicitation()),
            ),
        ),
        ("arp", frame(ethernet(&[], 0x0806), arp())),
    ]
}

fn bench_extract(c: &mut Criterion) {
    let frames = frames();
    let mut group = c.benchmark_group("extract");
    for (name, f) in &frames {
        group.bench_function(BenchmarkId::new("full", name), |b| {
            let mut key = FlowKey::default();
            b.iter(|| {
                extract(black_box(f), 1, &mut key);
                black_box(&key);
            })
        });
    }
    for (name, f) in frames.iter().take(3) {
        group.bench_function(BenchmarkId::new("shallow", name), |b| {
            let mut key = FlowKey::default();
            b.iter(|| {
                extract_shallow(black_box(f), 1, &mut key);
                black_box(&key);
            })
        });
    }
    group.finish();
}

/// Sets that change a field back and forth, so every iteration rewrites
/// the bytes and adjusts the checksums.
fn bench_set(c: &mut Criterion) {
    let frames = frames();
    let v4 = |src| {
        KeyAttr::Ipv4(Ipv4Key {
            src,
            dst: 0x0a00_0002,
            proto: 6,
            tos: 0,
            ttl: 64,
            frag: 0,
        })
    };
    let v6 = |dst| {
        KeyAttr::Ipv6(Ipv6Key {
            src: 0x2001_0db8_0000_0000_0000_0000_0000_0001,
            dst,
            label: 0x12345,
            proto: 6,
            tclass: 0,
            hlimit: 64,
            frag: 0,
        })
    };
    let ports = |src| PortsKey { src, dst: 80 };
    let cases: [(&str, usize, [KeyAttr; 2]); 4] = [
        ("ipv4_src", 0, [v4(0x0a00_0063), v4(0x0a00_0001)]),
        (
            "tcp_src",
            0,
            [KeyAttr::Tcp(ports(999)), KeyAttr::Tcp(ports(1234))],
        ),
        ("ipv6_dst", 3, [v6(7), v6(2)]),
        (
            "udp_src_ipv6_ext",
            4,
            [KeyAttr::Udp(ports(999)), KeyAttr::Udp(ports(5353))],
        ),
    ];
    let mut group = c.benchmark_group("set");
    for (name, frame_index, attrs) in &cases {
        let mut pkt = VecBuf::new(&frames[*frame_index].1, 64);
        group.bench_function(*name, |b| {
            b.iter(|| {
                set(&mut pkt, black_box(&attrs[0]));
                set(&mut pkt, black_box(&attrs[1]));
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench_extract, bench_set);
criterion_main!(benches);
