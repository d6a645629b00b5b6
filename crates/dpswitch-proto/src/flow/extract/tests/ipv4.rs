use super::*;
use crate::flow::FragType;

fn udp(src: u16, dst: u16) -> Vec<u8> {
    let mut u = Vec::new();
    u.extend_from_slice(&src.to_be_bytes());
    u.extend_from_slice(&dst.to_be_bytes());
    u.extend_from_slice(&[0, 8, 0, 0]);
    u
}

/// A TCP header with data offset `doff` words (options zero-filled) and
/// the given low 12 bits of the offset/flags word.
fn tcp(src: u16, dst: u16, doff: u8, flags: u16) -> Vec<u8> {
    let mut t = Vec::new();
    t.extend_from_slice(&src.to_be_bytes());
    t.extend_from_slice(&dst.to_be_bytes());
    t.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 0]);
    let word = (u16::from(doff) << 12) | (flags & 0x0fff);
    t.extend_from_slice(&word.to_be_bytes());
    t.extend_from_slice(&[0xff, 0xff, 0, 0, 0, 0]);
    let total = usize::from(doff.max(5)) * 4;
    t.resize(total, 0x01);
    t
}

fn frame(proto: u8, frag_word: u16, options: &[u8], l4: &[u8]) -> Vec<u8> {
    concat(&[
        &eth(0x0800),
        &ipv4_header(proto, frag_word, options, l4.len()),
        l4,
    ])
}

fn with_ports(mut k: FlowKey, src: u16, dst: u16) -> FlowKey {
    k.set_tp_src(src);
    k.set_tp_dst(dst);
    k
}

#[test]
fn udp_fields() {
    let k = key_of(&frame(17, 0, &[], &udp(5353, 53)));
    assert_eq!(k, with_ports(ipv4_key(17, FragType::No), 5353, 53));
    assert_eq!((k.nw_tos(), k.nw_ttl()), (0xb9, 63));
}

#[test]
fn options_are_skipped_by_ihl() {
    // Router alert (4 bytes) and a record-route sized blob: IHL 5 + 3.
    let options = [0x94, 0x04, 0, 0, 0x01, 0x01, 0x01, 0x00, 0, 0, 0, 0];
    let k = key_of(&frame(6, 0, &options, &tcp(443, 50000, 5, 0x010)));
    let mut want = with_ports(ipv4_key(6, FragType::No), 443, 50000);
    want.set_tcp_flags(0x010);
    assert_eq!(k, want);
}

#[test]
fn maximal_options_are_skipped() {
    let options = [0x01u8; 40];
    let k = key_of(&frame(17, 0, &options, &udp(1, 2)));
    assert_eq!(k, with_ports(ipv4_key(17, FragType::No), 1, 2));
}

#[test]
fn ihl_below_five_leaves_l3_zero() {
    let mut f = frame(17, 0, &[], &udp(1, 2));
    for ihl in 0..5u8 {
        f[14] = 0x40 | ihl;
        assert_eq!(key_of(&f), l2_key(0x0800), "ihl {ihl}");
    }
}

#[test]
fn ihl_past_the_frame_leaves_l3_zero() {
    let mut f = frame(17, 0, &[], &udp(1, 2));
    // 60-byte header claimed, 28 bytes of IP packet present.
    f[14] = 0x4f;
    assert_eq!(key_of(&f), l2_key(0x0800));
    // IHL 7 = 28 bytes: exactly fits, UDP header then is beyond the end.
    f[14] = 0x47;
    assert_eq!(key_of(&f), ipv4_key(17, FragType::No));
}

#[test]
fn truncated_header_leaves_l3_zero() {
    let f = frame(17, 0, &[], &udp(1, 2));
    for cut in 14..34 {
        assert_eq!(key_of(&f[..cut]), l2_key(0x0800), "cut at {cut}");
    }
    assert_eq!(key_of(&f[..34]), ipv4_key(17, FragType::No));
}

#[test]
fn version_and_lengths_are_not_checked() {
    let mut f = frame(17, 0, &[], &udp(1, 2));
    f[14] = 0x65; // version 6, IHL 5
    f[16] = 0;
    f[17] = 20; // total length says: no payload
    assert_eq!(key_of(&f), with_ports(ipv4_key(17, FragType::No), 1, 2));
}

#[test]
fn first_fragment_has_l4() {
    let k = key_of(&frame(17, 0x2000, &[], &udp(7, 9)));
    assert_eq!(k, with_ports(ipv4_key(17, FragType::First), 7, 9));
}

#[test]
fn later_fragment_has_no_l4() {
    for frag_word in [0x2001, 0x0001, 0x1fff, 0x00b9] {
        let k = key_of(&frame(17, frag_word, &[], &udp(7, 9)));
        assert_eq!(k, ipv4_key(17, FragType::Later), "{frag_word:#x}");
    }
}

#[test]
fn dont_fragment_alone_is_not_a_fragment() {
    let k = key_of(&frame(17, 0x4000, &[], &udp(7, 9)));
    assert_eq!(k, with_ports(ipv4_key(17, FragType::No), 7, 9));
    // The reserved bit is ignored as well.
    let k = key_of(&frame(17, 0x8000, &[], &udp(7, 9)));
    assert_eq!(k.frag(), Some(FragType::No));
}

#[test]
fn tcp_flags_are_the_low_12_bits() {
    let cases = [
        (0x002, 0x002), // SYN
        (0x012, 0x012), // SYN|ACK
        (0x011, 0x011), // FIN|ACK
        (0x1c0, 0x1c0), // NS|CWR|ECE
        (0xfff, 0xfff), // every bit incl. the reserved ones
    ];
    for (flags, want) in cases {
        let k = key_of(&frame(6, 0, &[], &tcp(80, 1024, 5, flags)));
        let mut expected = with_ports(ipv4_key(6, FragType::No), 80, 1024);
        expected.set_tcp_flags(want);
        assert_eq!(k, expected, "{flags:#x}");
    }
}

#[test]
fn tcp_options_must_be_present() {
    // Data offset 8: 12 bytes of options.
    let t = tcp(80, 1024, 8, 0x018);
    let k = key_of(&frame(6, 0, &[], &t));
    assert_eq!(k.tcp_flags(), 0x018);
    assert_eq!((k.tp_src(), k.tp_dst()), (80, 1024));
    // Same header with the options cut off: no L4 at all.
    let f = frame(6, 0, &[], &t);
    assert_eq!(key_of(&f[..f.len() - 1]), ipv4_key(6, FragType::No));
}

#[test]
fn tcp_data_offset_below_five_has_no_l4() {
    for doff in 0..5 {
        let k = key_of(&frame(6, 0, &[], &tcp(80, 1024, doff, 0x002)));
        assert_eq!(k, ipv4_key(6, FragType::No), "doff {doff}");
    }
}

#[test]
fn truncated_tcp_has_no_l4() {
    let f = frame(6, 0, &[], &tcp(80, 1024, 5, 0x002));
    for cut in 34..f.len() {
        assert_eq!(key_of(&f[..cut]), ipv4_key(6, FragType::No), "cut at {cut}");
    }
}

#[test]
fn truncated_udp_has_no_l4() {
    let f = frame(17, 0, &[], &udp(1, 2));
    for cut in 34..f.len() {
        assert_eq!(
            key_of(&f[..cut]),
            ipv4_key(17, FragType::No),
            "cut at {cut}"
        );
    }
}

#[test]
fn sctp_ports_need_the_12_byte_common_header() {
    // Ports, verification tag, checksum.
    let sctp = [0x0b, 0x59, 0x0b, 0x5a, 1, 2, 3, 4, 5, 6, 7, 8];
    let f = frame(132, 0, &[], &sctp);
    assert_eq!(
        key_of(&f),
        with_ports(ipv4_key(132, FragType::No), 2905, 2906)
    );
    assert_eq!(key_of(&f[..f.len() - 1]), ipv4_key(132, FragType::No));
}

#[test]
fn icmp_type_and_code() {
    let echo = [8, 0, 0xf7, 0xff, 0, 1, 0, 1];
    let k = key_of(&frame(1, 0, &[], &echo));
    assert_eq!(k, with_ports(ipv4_key(1, FragType::No), 8, 0));
    let port_unreachable = [3, 3, 0, 0, 0, 0, 0, 0];
    let k = key_of(&frame(1, 0, &[], &port_unreachable));
    assert_eq!((k.tp_src(), k.tp_dst()), (3, 3));
}

#[test]
fn icmp_needs_8_bytes() {
    let f = frame(1, 0, &[], &[8, 0, 0, 0, 0, 0, 0]);
    assert_eq!(key_of(&f), ipv4_key(1, FragType::No));
}

#[test]
fn icmpv6_number_over_ipv4_is_not_parsed() {
    let f = frame(58, 0, &[], &[128, 0, 0, 0, 0, 0, 0, 0]);
    assert_eq!(key_of(&f), ipv4_key(58, FragType::No));
}

#[test]
fn other_protocols_fill_only_l3() {
    let f = frame(47, 0, &[], &[0, 0, 0x08, 0x00, 1, 2, 3, 4]);
    assert_eq!(key_of(&f), ipv4_key(47, FragType::No));
}

#[test]
fn ethernet_padding_counts_as_frame() {
    // Total length says 28 bytes, but the frame continues: the kernel reads
    // the L4 header from the frame, and so do we.
    let mut f = frame(17, 0, &[], &[]);
    f.extend_from_slice(&udp(11, 12));
    assert_eq!(key_of(&f), with_ports(ipv4_key(17, FragType::No), 11, 12));
}
