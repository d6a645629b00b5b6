//! Mutations of valid requests: bit flips, byte overwrites, truncations,
//! edits of the netlink, generic netlink and attribute length and type
//! fields, splices and concatenations. Each returns what it did, so a
//! failure says which datagram broke what.

use super::rng::Rng;
use dpswitch::netlink::consts::{GENL_ID_CTRL, NLA_HDRLEN, NLMSG_HDRLEN};

/// One to three mutations of one or two of `requests`.
pub fn mutate(rng: &mut Rng, requests: &[Vec<u8>]) -> (Vec<u8>, Vec<String>) {
    let mut bytes = rng.pick(requests).clone();
    let mut done = Vec::new();
    let rounds = match rng.below(10) {
        0..=5 => 1,
        6..=8 => 2,
        _ => 3,
    };
    for _ in 0..rounds {
        done.push(mutate_once(rng, &mut bytes, requests));
    }
    (bytes, done)
}

fn mutate_once(rng: &mut Rng, bytes: &mut Vec<u8>, requests: &[Vec<u8>]) -> String {
    match rng.below(12) {
        0 | 1 => flip_bits(rng, bytes),
        2 => overwrite(rng, bytes),
        3 => truncate(rng, bytes),
        4 => nlmsg_len(rng, bytes),
        5 | 6 => attr_len(rng, bytes),
        7 => attr_type(rng, bytes),
        8 => header_field(rng, bytes),
        9 => splice(rng, bytes, requests),
        10 => concat(rng, bytes, requests),
        _ => insert_or_remove(rng, bytes),
    }
}

fn flip_bits(rng: &mut Rng, bytes: &mut [u8]) -> String {
    if bytes.is_empty() {
        return "flip: nothing to flip".into();
    }
    let mut at = Vec::new();
    for _ in 0..1 + rng.below(4) {
        let bit = rng.below(bytes.len() * 8);
        bytes[bit / 8] ^= 1 << (bit % 8);
        at.push(bit);
    }
    format!("flip bits {at:?}")
}

const INTERESTING: [u8; 8] = [0x00, 0x01, 0x03, 0x04, 0x7f, 0x80, 0xfe, 0xff];

fn overwrite(rng: &mut Rng, bytes: &mut [u8]) -> String {
    if bytes.is_empty() {
        return "overwrite: nothing to overwrite".into();
    }
    let mut at = Vec::new();
    for _ in 0..1 + rng.below(4) {
        let i = rng.below(bytes.len());
        bytes[i] = if rng.percent(50) {
            *rng.pick(&INTERESTING)
        } else {
            rng.next_u32() as u8
        };
        at.push((i, bytes[i]));
    }
    format!("overwrite {at:?}")
}

fn truncate(rng: &mut Rng, bytes: &mut Vec<u8>) -> String {
    let len = rng.below(bytes.len().max(1));
    bytes.truncate(len);
    let fixed = fit_nlmsg_len(rng, bytes);
    format!("truncate to {len} (length fixed: {fixed})")
}

/// Most of the time, makes nlmsg_len say what the datagram holds, so the
/// message still frames and its cut or grown body reaches the parsers.
fn fit_nlmsg_len(rng: &mut Rng, bytes: &mut [u8]) -> bool {
    let fixed = bytes.len() >= NLMSG_HDRLEN && rng.percent(70);
    if fixed {
        let len = bytes.len() as u32;
        bytes[..4].copy_from_slice(&len.to_ne_bytes());
    }
    fixed
}

fn nlmsg_len(rng: &mut Rng, bytes: &mut [u8]) -> String {
    if bytes.len() < 4 {
        return "nlmsg_len: no header".into();
    }
    let len = bytes.len() as u32;
    let choices = [
        0,
        1,
        15,
        16,
        17,
        19,
        20,
        23,
        24,
        len.saturating_sub(1),
        len + 1,
        len + 3,
        len + 4,
        len + 16,
        0x7fff_ffff,
        u32::MAX,
        rng.next_u32() % (len * 2),
    ];
    let value = *rng.pick(&choices);
    bytes[..4].copy_from_slice(&value.to_ne_bytes());
    format!("nlmsg_len {value} (datagram {len})")
}

/// Where each attribute header is, with the end of the list it is in:
/// the top level, then every payload that parses as a list of whole
/// attributes (nests: key, mask, actions, mcast groups...).
fn attr_positions(bytes: &[u8]) -> Vec<(usize, usize)> {
    if bytes.len() < NLMSG_HDRLEN + 4 {
        return Vec::new();
    }
    let msg_type = u16::from_ne_bytes([bytes[4], bytes[5]]);
    let start = NLMSG_HDRLEN + if msg_type == GENL_ID_CTRL { 4 } else { 8 };
    let mut out = Vec::new();
    walk(bytes, start, bytes.len(), &mut out);
    out
}

fn walk(bytes: &[u8], mut at: usize, end: usize, out: &mut Vec<(usize, usize)>) -> bool {
    let first = out.len();
    while at + NLA_HDRLEN <= end {
        let len = usize::from(u16::from_ne_bytes([bytes[at], bytes[at + 1]]));
        if len < NLA_HDRLEN || at + len > end {
            out.truncate(first);
            return false;
        }
        out.push((at, end));
        let before = out.len();
        if len > NLA_HDRLEN && !walk(bytes, at + NLA_HDRLEN, at + len, out) {
            out.truncate(before);
        }
        at += (len + 3) & !3;
    }
    at >= end
}

fn attr_len(rng: &mut Rng, bytes: &mut [u8]) -> String {
    let positions = attr_positions(bytes);
    if positions.is_empty() {
        return flip_bits(rng, bytes);
    }
    let (at, end) = *rng.pick(&positions);
    let len = u16::from_ne_bytes([bytes[at], bytes[at + 1]]);
    let room = (end - at) as u16;
    let choices = [
        0,
        1,
        2,
        3,
        4,
        5,
        len.wrapping_sub(1),
        len.wrapping_add(1),
        len.wrapping_add(4),
        room,
        room.wrapping_add(1),
        room.wrapping_add(4),
        room.wrapping_add(64),
        0x8000,
        0xffff,
        rng.next_u32() as u16,
    ];
    let value = *rng.pick(&choices);
    bytes[at..at + 2].copy_from_slice(&value.to_ne_bytes());
    format!("attribute at {at} (list ends at {end}): length {len} -> {value}")
}

fn attr_type(rng: &mut Rng, bytes: &mut [u8]) -> String {
    let positions = attr_positions(bytes);
    if positions.is_empty() {
        return overwrite(rng, bytes);
    }
    let (at, _) = *rng.pick(&positions);
    let kind = u16::from_ne_bytes([bytes[at + 2], bytes[at + 3]]);
    let value = match rng.below(4) {
        0 => kind ^ 0x8000, // NLA_F_NESTED
        1 => kind ^ 0x4000, // NLA_F_NET_BYTEORDER
        2 => rng.below(40) as u16,
        _ => rng.next_u32() as u16,
    };
    bytes[at + 2..at + 4].copy_from_slice(&value.to_ne_bytes());
    format!("attribute at {at}: type {kind} -> {value}")
}

/// Type, flags, pid, genl command or version, or dp_ifindex.
fn header_field(rng: &mut Rng, bytes: &mut [u8]) -> String {
    if bytes.len() < NLMSG_HDRLEN + 8 {
        return overwrite(rng, bytes);
    }
    match rng.below(6) {
        0 => {
            let value = match rng.below(3) {
                0 => rng.below(0x30) as u16,
                1 => *rng.pick(&[1, 2, 3, 4, 0x10, 0x20, 0x21, 0x22, 0x23, 0xffff]),
                _ => rng.next_u32() as u16,
            };
            bytes[4..6].copy_from_slice(&value.to_ne_bytes());
            format!("type -> {value:#x}")
        }
        1 => {
            let value = u16::from_ne_bytes([bytes[6], bytes[7]]) ^ (1 << rng.below(16));
            bytes[6..8].copy_from_slice(&value.to_ne_bytes());
            format!("flags -> {value:#x}")
        }
        2 => {
            let value = rng.next_u32();
            bytes[12..16].copy_from_slice(&value.to_ne_bytes());
            format!("pid -> {value}")
        }
        3 => {
            let value = *rng.pick(&[0, 1, 2, 3, 4, 5, 0x80, 0x81, 0xff]);
            bytes[16] = value;
            format!("genl cmd -> {value}")
        }
        4 => {
            bytes[17] = rng.next_u32() as u8;
            format!("genl version -> {}", bytes[17])
        }
        _ => {
            let value = *rng.pick(&[0, 2, -1, i32::MAX, i32::MIN]);
            bytes[20..24].copy_from_slice(&value.to_ne_bytes());
            format!("dp_ifindex -> {value}")
        }
    }
}

/// The start of this message and the end of another, with nlmsg_len
/// sometimes made to fit.
fn splice(rng: &mut Rng, bytes: &mut Vec<u8>, requests: &[Vec<u8>]) -> String {
    let other = rng.pick(requests);
    let cut = rng.below(bytes.len() + 1);
    let from = rng.below(other.len() + 1);
    bytes.truncate(cut);
    bytes.extend_from_slice(&other[from..]);
    let fixed = fit_nlmsg_len(rng, bytes);
    format!("splice at {cut} with {from}.. of another (length fixed: {fixed})")
}

/// Several messages in one datagram: the mutated one before or after a
/// valid one, or in the middle of two.
fn concat(rng: &mut Rng, bytes: &mut Vec<u8>, requests: &[Vec<u8>]) -> String {
    let before = rng.pick(requests).clone();
    let after = rng.pick(requests).clone();
    match rng.below(3) {
        0 => {
            let mut out = before;
            out.append(bytes);
            *bytes = out;
            "after a valid message".into()
        }
        1 => {
            bytes.extend_from_slice(&after);
            "before a valid message".into()
        }
        _ => {
            let mut out = before;
            out.append(bytes);
            out.extend_from_slice(&after);
            *bytes = out;
            "between two valid messages".into()
        }
    }
}

fn insert_or_remove(rng: &mut Rng, bytes: &mut Vec<u8>) -> String {
    let at = rng.below(bytes.len() + 1);
    let n = 1 + rng.below(8);
    if rng.percent(50) {
        let garbage: Vec<u8> = (0..n).map(|_| rng.next_u32() as u8).collect();
        bytes.splice(at..at, garbage);
        let fixed = fit_nlmsg_len(rng, bytes);
        format!("insert {n} bytes at {at} (length fixed: {fixed})")
    } else {
        let end = (at + n).min(bytes.len());
        bytes.drain(at..end);
        let fixed = fit_nlmsg_len(rng, bytes);
        format!("remove {at}..{end} (length fixed: {fixed})")
    }
}
