use super::*;
use crate::flow::FragType;

const UDP: [u8; 8] = [0x13, 0x88, 0x00, 0x35, 0, 8, 0, 0]; // 5000 -> 53

fn frame(next_header: u8, rest: &[&[u8]]) -> Vec<u8> {
    let payload = concat(rest);
    concat(&[
        &eth(0x86dd),
        &ipv6_header(next_header, payload.len()),
        &payload,
    ])
}

fn with_udp_ports(mut k: FlowKey) -> FlowKey {
    k.set_tp_src(5000);
    k.set_tp_dst(53);
    k
}

#[test]
fn udp_fields() {
    let k = key_of(&frame(17, &[&UDP]));
    assert_eq!(k, with_udp_ports(ipv6_key(17, FragType::No)));
    assert_eq!(
        (k.nw_tos(), k.nw_ttl(), k.ipv6_label()),
        (0xa5, 255, 0x12345)
    );
}

#[test]
fn tcp_ports_and_flags() {
    let mut tcp = vec![0x00, 0x16, 0xc3, 0x50, 0, 0, 0, 0, 0, 0, 0, 0, 0x50, 0x18];
    tcp.extend_from_slice(&[0; 6]);
    let k = key_of(&frame(6, &[&tcp]));
    let mut want = ipv6_key(6, FragType::No);
    want.set_tp_src(22);
    want.set_tp_dst(50000);
    want.set_tcp_flags(0x018);
    assert_eq!(k, want);
}

#[test]
fn truncated_header_leaves_l3_zero() {
    let f = frame(17, &[&UDP]);
    for cut in 14..54 {
        assert_eq!(key_of(&f[..cut]), l2_key(0x86dd), "cut at {cut}");
    }
    assert_eq!(key_of(&f[..54]), ipv6_key(17, FragType::No));
}

#[test]
fn extension_headers_are_walked_to_the_transport_header() {
    // Hop-by-hop (8 bytes), routing (24), destination options (16).
    let f = frame(
        0,
        &[
            &ext_header(43, 0),
            &ext_header(60, 2),
            &ext_header(17, 1),
            &UDP,
        ],
    );
    assert_eq!(key_of(&f), with_udp_ports(ipv6_key(17, FragType::No)));
}

#[test]
fn hop_by_hop_is_accepted_anywhere() {
    let f = frame(60, &[&ext_header(0, 0), &ext_header(17, 0), &UDP]);
    assert_eq!(key_of(&f), with_udp_ports(ipv6_key(17, FragType::No)));
}

#[test]
fn authentication_header_length_is_in_4_byte_units() {
    // Payload length 4: (4 + 2) * 4 = 24 bytes.
    let mut ah = vec![17, 4];
    ah.resize(24, 0xab);
    let f = frame(51, &[&ah, &UDP]);
    assert_eq!(key_of(&f), with_udp_ports(ipv6_key(17, FragType::No)));
}

#[test]
fn first_fragment_has_l4() {
    let f = frame(44, &[&fragment_header(17, 0, true), &UDP]);
    assert_eq!(key_of(&f), with_udp_ports(ipv6_key(17, FragType::First)));
}

#[test]
fn atomic_fragment_is_first() {
    let f = frame(44, &[&fragment_header(17, 0, false), &UDP]);
    assert_eq!(key_of(&f), with_udp_ports(ipv6_key(17, FragType::First)));
}

#[test]
fn later_fragment_reports_fragment_header_as_protocol() {
    for more in [true, false] {
        let f = frame(
            0,
            &[&ext_header(44, 0), &fragment_header(17, 185, more), &UDP],
        );
        assert_eq!(key_of(&f), ipv6_key(44, FragType::Later), "more {more}");
    }
}

#[test]
fn later_fragment_followed_by_extension_header_is_unparsable() {
    let f = frame(
        44,
        &[&fragment_header(60, 1, true), &ext_header(17, 0), &UDP],
    );
    assert_eq!(key_of(&f), ipv6_key(59, FragType::First));
}

#[test]
fn later_fragment_followed_by_no_next_header() {
    let f = frame(44, &[&fragment_header(59, 1, true)]);
    assert_eq!(key_of(&f), ipv6_key(44, FragType::Later));
}

#[test]
fn truncated_extension_header_gives_no_next_header() {
    let f = frame(0, &[&ext_header(17, 1), &UDP]);
    // The hop-by-hop header is 16 bytes; anything shorter fails the walk.
    for cut in 54..70 {
        assert_eq!(
            key_of(&f[..cut]),
            ipv6_key(59, FragType::No),
            "cut at {cut}"
        );
    }
    assert_eq!(key_of(&f[..70]), ipv6_key(17, FragType::No));
}

#[test]
fn truncated_fragment_header_still_marks_a_fragment() {
    let f = frame(44, &[&fragment_header(17, 0, true), &UDP]);
    // No byte of the fragment header: not known to be a fragment.
    assert_eq!(key_of(&f[..54]), ipv6_key(59, FragType::No));
    // Once its first two bytes are there, it is.
    for cut in 56..62 {
        assert_eq!(
            key_of(&f[..cut]),
            ipv6_key(59, FragType::First),
            "cut at {cut}"
        );
    }
    assert_eq!(key_of(&f[..62]), ipv6_key(17, FragType::First));
}

#[test]
fn truncated_routing_header_needs_four_bytes() {
    let f = frame(43, &[&ext_header(17, 0), &UDP]);
    for cut in 54..62 {
        assert_eq!(
            key_of(&f[..cut]),
            ipv6_key(59, FragType::No),
            "cut at {cut}"
        );
    }
    assert_eq!(key_of(&f[..62]), ipv6_key(17, FragType::No));
}

#[test]
fn twelve_extension_headers_are_walked_thirteen_are_not() {
    let chain = |n: usize| -> Vec<u8> {
        let mut parts = Vec::new();
        for i in 0..n {
            parts.push(ext_header(if i + 1 == n { 17 } else { 60 }, 0));
        }
        parts.push(UDP.to_vec());
        let refs: Vec<&[u8]> = parts.iter().map(|p| p.as_slice()).collect();
        frame(60, &refs)
    };
    assert_eq!(
        key_of(&chain(12)),
        with_udp_ports(ipv6_key(17, FragType::No))
    );
    assert_eq!(key_of(&chain(13)), ipv6_key(59, FragType::No));
}

#[test]
fn esp_is_a_final_protocol() {
    let f = frame(50, &[&[0, 0, 1, 0, 0, 0, 0, 1], &UDP]);
    assert_eq!(key_of(&f), ipv6_key(50, FragType::No));
}

#[test]
fn no_next_header() {
    let f = frame(59, &[&UDP]);
    assert_eq!(key_of(&f), ipv6_key(59, FragType::No));
    let f = frame(60, &[&ext_header(59, 0), &UDP]);
    assert_eq!(key_of(&f), ipv6_key(59, FragType::No));
}

#[test]
fn icmpv4_number_over_ipv6_is_not_parsed() {
    let f = frame(1, &[&[8, 0, 0, 0, 0, 0, 0, 0]]);
    assert_eq!(key_of(&f), ipv6_key(1, FragType::No));
}

#[test]
fn sctp_ports() {
    let sctp = [0x0b, 0x59, 0x0b, 0x5a, 1, 2, 3, 4, 5, 6, 7, 8];
    let mut want = ipv6_key(132, FragType::No);
    want.set_tp_src(2905);
    want.set_tp_dst(2906);
    assert_eq!(key_of(&frame(132, &[&sctp])), want);
    assert_eq!(
        key_of(&frame(132, &[&sctp[..11]])),
        ipv6_key(132, FragType::No)
    );
}
