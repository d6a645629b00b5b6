//! The extension header walk.

use crate::flow::headers::*;

/// A buffer with `n` 8-byte destination options headers from offset 0,
/// the last naming `last` as next header, then 8 bytes of payload.
fn chain(n: usize, last: u8) -> Vec<u8> {
    let mut b = Vec::new();
    for i in 0..n {
        let next = if i + 1 == n { last } else { IPPROTO_DSTOPTS };
        b.extend_from_slice(&[next, 0, 1, 4, 0, 0, 0, 0]);
    }
    b.extend_from_slice(&[0; 8]);
    b
}

fn walk(b: &[u8], first: u8) -> ExtHeaderWalk {
    walk_extension_headers(b, 0, first)
}

#[test]
fn no_extension_header_is_the_upper_layer_in_place() {
    let w = walk(&[], IPPROTO_TCP);
    assert_eq!(
        w.end,
        WalkEnd::UpperLayer {
            protocol: IPPROTO_TCP,
            offset: 0
        }
    );
    assert!(!w.fragment && !w.routing_segments_left);
    // ESP and "no next header" end the walk like a protocol.
    for proto in [50, IPPROTO_NONE] {
        assert_eq!(
            walk(&[], proto).end,
            WalkEnd::UpperLayer {
                protocol: proto,
                offset: 0
            }
        );
    }
}

#[test]
fn the_maximum_number_of_extension_headers_is_walked_and_one_more_is_not() {
    let n = MAX_EXTENSION_HEADERS;
    let b = chain(n, IPPROTO_UDP);
    assert_eq!(
        walk(&b, IPPROTO_DSTOPTS).end,
        WalkEnd::UpperLayer {
            protocol: IPPROTO_UDP,
            offset: 8 * n
        }
    );
    let b = chain(n + 1, IPPROTO_UDP);
    assert_eq!(walk(&b, IPPROTO_DSTOPTS).end, WalkEnd::Failed);
}

#[test]
fn the_limit_is_the_kernels() {
    assert_eq!(MAX_EXTENSION_HEADERS, 12);
}

#[test]
fn a_chain_cut_anywhere_fails_without_panicking() {
    let b = chain(3, IPPROTO_TCP);
    let upper = 3 * 8;
    for cut in 0..=b.len() {
        let w = walk(&b[..cut], IPPROTO_DSTOPTS);
        if cut >= upper {
            assert_eq!(
                w.end,
                WalkEnd::UpperLayer {
                    protocol: IPPROTO_TCP,
                    offset: upper
                },
                "{cut} bytes"
            );
        } else {
            assert_eq!(w.end, WalkEnd::Failed, "{cut} bytes");
        }
    }
}

#[test]
fn header_lengths_follow_each_kind() {
    // Hop-by-hop of 16 bytes, AH of (1 + 2) * 4 = 12, routing of 8.
    let mut b = vec![IPPROTO_AH, 1];
    b.resize(16, 0);
    b.extend_from_slice(&[IPPROTO_ROUTING, 1]);
    b.resize(28, 0);
    b.extend_from_slice(&[IPPROTO_UDP, 0, 0, 0, 0, 0, 0, 0]);
    let w = walk(&b, IPPROTO_HOPOPTS);
    assert_eq!(
        w.end,
        WalkEnd::UpperLayer {
            protocol: IPPROTO_UDP,
            offset: 36
        }
    );
    assert!(!w.routing_segments_left);
}

#[test]
fn a_routing_header_with_segments_left_is_reported() {
    let b = [IPPROTO_TCP, 0, 4, 2, 0, 0, 0, 0];
    let w = walk(&b, IPPROTO_ROUTING);
    assert!(w.routing_segments_left);
    assert_eq!(
        w.end,
        WalkEnd::UpperLayer {
            protocol: IPPROTO_TCP,
            offset: 8
        }
    );
}

fn fragment(next: u8, offset: u16, more: bool) -> [u8; 8] {
    let mut b = [0u8; 8];
    let mut frag = Ipv6FragmentHeader::new_checked(&mut b[..]).unwrap();
    frag.set_next_header(next);
    frag.set_fragment(offset, more);
    frag.set_ident(0x1234_5678);
    b
}

#[test]
fn a_first_fragment_is_walked_through() {
    let b = fragment(IPPROTO_UDP, 0, true);
    let w = walk(&b, IPPROTO_FRAGMENT);
    assert!(w.fragment);
    assert_eq!(
        w.end,
        WalkEnd::UpperLayer {
            protocol: IPPROTO_UDP,
            offset: 8
        }
    );
}

#[test]
fn a_later_fragment_names_its_protocol_and_ends_the_walk() {
    let b = fragment(IPPROTO_TCP, 100, false);
    let w = walk(&b, IPPROTO_FRAGMENT);
    assert!(w.fragment);
    assert_eq!(
        w.end,
        WalkEnd::LaterFragment {
            protocol: IPPROTO_TCP
        }
    );
    // Only the offset word is needed to tell a later fragment.
    let w = walk(&b[..4], IPPROTO_FRAGMENT);
    assert_eq!(
        w.end,
        WalkEnd::LaterFragment {
            protocol: IPPROTO_TCP
        }
    );
    // A later fragment cannot name another extension header.
    let b = fragment(IPPROTO_DSTOPTS, 100, false);
    let w = walk(&b, IPPROTO_FRAGMENT);
    assert_eq!((w.end, w.fragment), (WalkEnd::Failed, true));
}

#[test]
fn a_fragment_header_is_reported_once_its_first_two_bytes_are_there() {
    let b = fragment(IPPROTO_UDP, 0, false);
    for cut in 0..8 {
        let w = walk(&b[..cut], IPPROTO_FRAGMENT);
        assert_eq!(w.end, WalkEnd::Failed, "{cut} bytes");
        assert_eq!(w.fragment, cut >= 2, "{cut} bytes");
    }
}

#[test]
fn the_walk_starts_at_the_given_offset() {
    let mut b = vec![0xee; 40];
    b.extend_from_slice(&chain(2, IPPROTO_ICMPV6));
    assert_eq!(
        walk_extension_headers(&b, 40, IPPROTO_DSTOPTS).end,
        WalkEnd::UpperLayer {
            protocol: IPPROTO_ICMPV6,
            offset: 56
        }
    );
    // The same from the IPv6 header's own walk.
    b[6] = IPPROTO_DSTOPTS;
    let ip = Ipv6Packet::new_checked(&b[..]).unwrap();
    assert_eq!(
        ip.walk_extension_headers().end,
        walk_extension_headers(&b, 40, IPPROTO_DSTOPTS).end
    );
}
