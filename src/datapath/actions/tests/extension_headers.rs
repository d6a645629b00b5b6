//! Rewrites find L4 behind IPv6 extension headers as far as flow
//! extraction does: up to `MAX_EXTENSION_HEADERS` of them.

use super::frames::{v6, L3, L4, L4_V6};
use crate::datapath::actions::{set, VecBuf};
use crate::flow::headers::{IPPROTO_DSTOPTS, MAX_EXTENSION_HEADERS};
use crate::flow::odp::{KeyAttr, PortsKey};

/// `frame` (Ethernet, IPv6, L4) with `n` 8-byte destination options
/// headers between the IPv6 header and L4.
fn with_dest_options(frame: &[u8], n: usize) -> Vec<u8> {
    let mut out = frame[..L4_V6].to_vec();
    let upper = out[L3 + 6];
    out[L3 + 6] = IPPROTO_DSTOPTS;
    for i in 0..n {
        let next = if i + 1 == n { upper } else { IPPROTO_DSTOPTS };
        out.extend_from_slice(&[next, 0, 1, 4, 0, 0, 0, 0]);
    }
    out.extend_from_slice(&frame[L4_V6..]);
    let payload = u16::from_be_bytes([out[L3 + 4], out[L3 + 5]]) + 8 * n as u16;
    out[L3 + 4..L3 + 6].copy_from_slice(&payload.to_be_bytes());
    out
}

fn run(frame: &[u8], attr: &KeyAttr) -> Vec<u8> {
    let mut pkt = VecBuf::new(frame, 0);
    set(&mut pkt, attr);
    pkt.into_frame()
}

#[test]
fn ports_behind_the_maximum_of_extension_headers_are_rewritten_and_one_more_is_not() {
    let plain = v6(L4::Udp, [0x20; 16], [0x30; 16], (1000, 2000), b"data");
    let attr = KeyAttr::Udp(PortsKey {
        src: 4242,
        dst: 2000,
    });
    // The UDP checksum covers the upper-layer length, not the extension
    // headers: the rewritten datagram is the same behind any of them.
    let rewritten = run(&plain, &attr)[L4_V6..].to_vec();
    assert_ne!(rewritten, plain[L4_V6..].to_vec());
    for n in [1, MAX_EXTENSION_HEADERS] {
        let out = run(&with_dest_options(&plain, n), &attr);
        assert_eq!(out[L4_V6 + 8 * n..], rewritten[..], "{n} extension headers");
    }
    let too_many = with_dest_options(&plain, MAX_EXTENSION_HEADERS + 1);
    assert_eq!(run(&too_many, &attr), too_many);
}
