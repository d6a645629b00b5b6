//! Frames no well-behaved host sends: every header a parser trusts is
//! short, inconsistent or endless somewhere.

use crate::rng::Rng;

pub const SRC_MAC: [u8; 6] = [2, 0x65, 0, 0, 0, 1];
pub const DST_MAC: [u8; 6] = [2, 0x65, 0, 0, 0, 2];
const IPV4: [u8; 2] = [0x08, 0x00];
const IPV6: [u8; 2] = [0x86, 0xdd];
const VLAN: [u8; 2] = [0x81, 0x00];

fn eth(ether_type: [u8; 2]) -> Vec<u8> {
    let mut f = DST_MAC.to_vec();
    f.extend_from_slice(&SRC_MAC);
    f.extend_from_slice(&ether_type);
    f
}

fn random_bytes(rng: &mut Rng, len: usize) -> Vec<u8> {
    (0..len).map(|_| rng.next_u32() as u8).collect()
}

/// An IPv4 header of `ihl` words claiming `total` bytes, protocol `proto`.
fn ipv4(ihl: u8, total: u16, proto: u8) -> Vec<u8> {
    let mut h = vec![0x40 | (ihl & 0xf), 0];
    h.extend_from_slice(&total.to_be_bytes());
    h.extend_from_slice(&[0, 0, 0x40, 0, 64, proto, 0, 0]);
    h.extend_from_slice(&[10, 65, 0, 1, 10, 65, 0, 2]);
    h
}

/// An IPv6 header whose first next-header is `next`, claiming `payload` bytes.
fn ipv6(next: u8, payload: u16) -> Vec<u8> {
    let mut h = vec![0x60, 0, 0, 0];
    h.extend_from_slice(&payload.to_be_bytes());
    h.extend_from_slice(&[next, 64]);
    h.extend_from_slice(&[0xfd, 0x65, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
    h.extend_from_slice(&[0xfd, 0x65, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]);
    h
}

/// One malformed frame of kind `kind % KINDS`.
pub const KINDS: usize = 12;

pub fn frame(rng: &mut Rng, kind: usize) -> Vec<u8> {
    match kind % KINDS {
        // Random bytes of any length.
        0 => {
            let len = 1 + rng.below(200);
            random_bytes(rng, len)
        }
        // Runts: less than an Ethernet header.
        1 => {
            let len = 1 + rng.below(13);
            random_bytes(rng, len)
        }
        // IPv4 with IHL below 5.
        2 => {
            let mut f = eth(IPV4);
            f.extend(ipv4(rng.below(5) as u8, 28, 17));
            f.extend(random_bytes(rng, 8));
            f
        }
        // IPv4 with IHL past the frame's end.
        3 => {
            let mut f = eth(IPV4);
            f.extend(ipv4(6 + rng.below(10) as u8, 60, 17));
            f
        }
        // IPv4 header cut short.
        4 => {
            let mut f = eth(IPV4);
            let h = ipv4(5, 28, 17);
            f.extend_from_slice(&h[..rng.below(20)]);
            f
        }
        // UDP over IPv4, its header cut short (matches the rewriting flow).
        5 => {
            let cut = rng.below(8);
            let mut f = eth(IPV4);
            f.extend(ipv4(5, 20 + cut as u16, 17));
            f.extend_from_slice(&[0x0f, 0xa0, 0x13, 0x88, 0, 8, 0, 0][..cut]);
            f
        }
        // TCP over IPv4, its header cut short (matches the TCP rewrite).
        6 => {
            let cut = rng.below(20);
            let mut f = eth(IPV4);
            f.extend(ipv4(5, 20 + cut as u16, 6));
            let mut tcp = vec![0x0f, 0xa0, 0x13, 0x88, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02];
            tcp.extend_from_slice(&[0xff, 0xff, 0, 0, 0, 0]);
            f.extend_from_slice(&tcp[..cut]);
            f
        }
        // TCP whose data offset points past the frame.
        7 => {
            let mut f = eth(IPV4);
            f.extend(ipv4(5, 40, 6));
            let offset = (6 + rng.below(10) as u8) << 4;
            f.extend_from_slice(&[0x0f, 0xa0, 0x13, 0x88, 0, 0, 0, 1, 0, 0, 0, 0, offset, 0x02]);
            f.extend_from_slice(&[0xff, 0xff, 0, 0, 0, 0]);
            f
        }
        // IPv6 header cut short.
        8 => {
            let mut f = eth(IPV6);
            let h = ipv6(17, 8);
            f.extend_from_slice(&h[..rng.below(40)]);
            f
        }
        // IPv6 hop-by-hop headers each naming another, to the frame's end.
        9 => {
            let mut f = eth(IPV6);
            let n = 1 + rng.below(40);
            f.extend(ipv6(0, (n * 8) as u16));
            for _ in 0..n {
                f.extend_from_slice(&[0, 0, 1, 4, 0, 0, 0, 0]);
            }
            f
        }
        // IPv6 extension headers whose lengths run past the frame.
        10 => {
            let mut f = eth(IPV6);
            let next = *rng.pick(&[0u8, 43, 44, 60, 51]);
            f.extend(ipv6(next, 16));
            f.extend_from_slice(&[17, 200, 0, 0, 0, 0, 0, 0]);
            let tail = rng.below(8);
            f.extend(random_bytes(rng, tail));
            f
        }
        // Thirty stacked VLAN tags around UDP over IPv4.
        _ => {
            let mut f = DST_MAC.to_vec();
            f.extend_from_slice(&SRC_MAC);
            for _ in 0..30 {
                f.extend_from_slice(&VLAN);
                f.extend_from_slice(&(rng.below(4096) as u16).to_be_bytes());
            }
            f.extend_from_slice(&IPV4);
            f.extend(ipv4(5, 28, 17));
            f.extend_from_slice(&[0x0f, 0xa0, 0x13, 0x88, 0, 8, 0, 0]);
            f
        }
    }
}
