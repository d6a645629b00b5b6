use super::*;

const SHA: [u8; 6] = [0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee];
const THA: [u8; 6] = [0x02, 0x11, 0x22, 0x33, 0x44, 0x55];

fn arp_body(hrd: u16, pro: u16, hln: u8, pln: u8, op: u16) -> Vec<u8> {
    let mut a = Vec::new();
    a.extend_from_slice(&hrd.to_be_bytes());
    a.extend_from_slice(&pro.to_be_bytes());
    a.extend_from_slice(&[hln, pln]);
    a.extend_from_slice(&op.to_be_bytes());
    a.extend_from_slice(&SHA);
    a.extend_from_slice(&[10, 0, 0, 1]);
    a.extend_from_slice(&THA);
    a.extend_from_slice(&[10, 0, 0, 2]);
    a
}

fn arp_key(eth_type: u16, op: u16) -> FlowKey {
    let mut k = l2_key(eth_type);
    k.set_nw_proto(op as u8);
    k.set_arp_op(op);
    k.set_ipv4_src(0x0a00_0001);
    k.set_ipv4_dst(0x0a00_0002);
    k.set_arp_sha(SHA);
    k.set_arp_tha(THA);
    k
}

#[test]
fn ethernet_ipv4_request_and_reply() {
    for op in [1, 2] {
        let frame = concat(&[&eth(0x0806), &arp_body(1, 0x0800, 6, 4, op)]);
        assert_eq!(key_of(&frame), arp_key(0x0806, op));
    }
}

#[test]
fn rarp_is_parsed_like_arp() {
    let frame = concat(&[&eth(0x8035), &arp_body(1, 0x0800, 6, 4, 3), &[0; 18]]);
    assert_eq!(key_of(&frame), arp_key(0x8035, 3));
}

#[test]
fn opcode_above_one_byte_reads_as_zero() {
    let frame = concat(&[&eth(0x0806), &arp_body(1, 0x0800, 6, 4, 0x0101)]);
    let k = key_of(&frame);
    assert_eq!(k, arp_key(0x0806, 0));
    assert_eq!((k.nw_proto(), k.arp_op()), (0, 0));
    let frame = concat(&[&eth(0x0806), &arp_body(1, 0x0800, 6, 4, 0x00ff)]);
    assert_eq!(key_of(&frame).arp_op(), 0xff);
}

#[test]
fn non_ethernet_or_non_ipv4_arp_leaves_arp_fields_zero() {
    for (hrd, pro, hln, pln) in [
        (6, 0x0800, 6, 4),  // IEEE 802 hardware
        (1, 0x86dd, 6, 4),  // IPv6 protocol addresses
        (1, 0x0800, 8, 4),  // 8-byte hardware addresses
        (1, 0x0800, 6, 16), // 16-byte protocol addresses
    ] {
        let frame = concat(&[&eth(0x0806), &arp_body(hrd, pro, hln, pln, 1), &[0; 40]]);
        assert_eq!(key_of(&frame), l2_key(0x0806), "{hrd} {pro:#x} {hln} {pln}");
    }
}

#[test]
fn truncated_arp_leaves_arp_fields_zero() {
    let frame = concat(&[&eth(0x0806), &arp_body(1, 0x0800, 6, 4, 1)]);
    for cut in 14..frame.len() {
        assert_eq!(key_of(&frame[..cut]), l2_key(0x0806), "cut at {cut}");
    }
}
