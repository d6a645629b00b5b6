//! Action lists on packets: built frames with correct checksums or any
//! bytes, actions from the alphabet or decoded from any bytes. Nothing
//! panics or leaks a packet; shared bytes are never written; the executor
//! sends what a copy-everything interpreter sends; after a list that flow
//! validation accepts for the frame, every checksum still verifies; and a
//! pushed VLAN tag popped again leaves the frame as it was.
#![no_main]

use dpswitch::datapath::actions::{
    execute, execute_with_upcalls, pop_vlan, push_vlan, PacketBuf, VecBuf, Xorshift32,
};
use dpswitch::flow::extract::extract;
use dpswitch::flow::key::{FlowKey, FlowMask, FLOW_WORDS};
use dpswitch::flow::matching::Match;
use dpswitch::flow::odp::Action;
use dpswitch::flow::validate::validate_actions;
use dpswitch::netlink::action::{decode_actions, encode_actions};
use dpswitch_fuzz::alphabet::{self, chance, pick};
use dpswitch_fuzz::frames;
use dpswitch_fuzz::reference::{self, Sent};
use dpswitch_fuzz::tracked::{Log, Tracked};
use libfuzzer_sys::arbitrary::Unstructured;
use libfuzzer_sys::fuzz_target;
use std::cell::RefCell;
use std::rc::Rc;

/// Whether flow validation accepts `actions` for a flow matching exactly
/// this frame, i.e. whether a real flow could run them on it.
fn valid_for(frame: &[u8], actions: &[Action]) -> bool {
    let Ok(encoded) = encode_actions(actions) else {
        return false;
    };
    let mut key = FlowKey::default();
    extract(frame, 1, &mut key);
    let m = Match {
        key,
        mask: FlowMask::from_words([u64::MAX; FLOW_WORDS]),
    };
    validate_actions(actions, &m, encoded.len(), &|_| true).is_ok()
}

/// push_vlan then pop_vlan is the identity; so is pop then push of the
/// same tag (when its DEI bit, which push clears, is clear).
fn vlan_round_trips(frame: &[u8], tpid: u16, tci: u16) {
    let mut pkt = VecBuf::new(frame, 4);
    if push_vlan(&mut pkt, tpid, tci | 0x1000).is_ok() {
        assert_eq!(pkt.data().len(), frame.len() + 4);
        pop_vlan(&mut pkt).expect("a pushed tag pops");
        assert_eq!(pkt.data(), frame, "push_vlan then pop_vlan");
    } else {
        assert!(
            frame.len() < 14,
            "push_vlan refused a whole Ethernet header"
        );
    }
    let tag = frame.get(12..16);
    let tagged = tag.is_some_and(|t| t[..2] == [0x81, 0] || t[..2] == [0x88, 0xa8]);
    if let (true, Some(t)) = (tagged && frame.len() >= 18, tag) {
        let (tpid, tci) = (
            u16::from_be_bytes([t[0], t[1]]),
            u16::from_be_bytes([t[2], t[3]]),
        );
        if tci & 0x1000 == 0 {
            let mut pkt = VecBuf::new(frame, 0);
            pop_vlan(&mut pkt).expect("a whole tag pops");
            assert_eq!(pkt.data().len(), frame.len() - 4);
            push_vlan(&mut pkt, tpid, tci | 0x1000).expect("room where the tag was");
            assert_eq!(pkt.data(), frame, "pop_vlan then push_vlan");
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let built = chance(&mut u, 3, 4);
    let frame = if built {
        frames::build(&mut u)
    } else {
        let n = u.arbitrary_len::<u8>().unwrap_or(0).min(128);
        u.bytes(n).unwrap_or_default().to_vec()
    };
    let actions = if chance(&mut u, 3, 4) {
        alphabet::actions(&mut u, 8, 3)
    } else {
        let n = u.arbitrary_len::<u8>().unwrap_or(0).min(512);
        decode_actions(u.bytes(n).unwrap_or_default()).unwrap_or_default()
    };
    let headroom = pick(&mut u, &[4usize, 8, 0, 2, 16]);
    let seed = u.arbitrary::<u32>().unwrap_or(1);
    let upcalls = chance(&mut u, 1, 2);
    let copies_left = chance(&mut u, 1, 8).then(|| u.int_in_range(0..=3).unwrap_or(0));
    vlan_round_trips(
        &frame,
        pick(&mut u, &[0x8100, 0x88a8]),
        u.arbitrary().unwrap_or(5),
    );

    let log = Rc::new(RefCell::new(Log::default()));
    log.borrow_mut().copies_left = copies_left;
    let sent = RefCell::new(Vec::new());
    let pkt = Tracked::new(&frame, headroom, &log);
    let mut rng = Xorshift32::new(seed);
    let mut out = |port, p: Tracked| {
        sent.borrow_mut()
            .push(Sent::Output(port, p.data().to_vec()))
    };
    let report = if upcalls {
        let mut up = |a: &dpswitch::flow::odp::UserspaceAction, p: Tracked| {
            sent.borrow_mut()
                .push(Sent::Upcall(a.pid, p.data().to_vec()))
        };
        execute_with_upcalls(&actions, pkt, &mut rng, &mut out, &mut up)
    } else {
        execute(&actions, pkt, &mut rng, &mut out)
    };
    let sent = sent.into_inner();
    assert_eq!(log.borrow().live, 0, "every packet handed on or dropped");
    assert_eq!(
        log.borrow().shared_writes,
        0,
        "bytes changed under a shared reference"
    );
    let outputs = sent
        .iter()
        .filter(|s| matches!(s, Sent::Output(..)))
        .count();
    assert_eq!(report.outputs as usize, outputs);
    assert_eq!(report.upcalls as usize, sent.len() - outputs);
    if !upcalls {
        assert_eq!(report.upcalls, 0);
    }

    if copies_left.is_none() {
        let mut expected = Vec::new();
        reference::run(
            &actions,
            VecBuf::new(&frame, headroom),
            &mut Xorshift32::new(seed),
            &mut expected,
        );
        if !upcalls {
            expected.retain(|s| matches!(s, Sent::Output(..)));
        }
        assert_eq!(sent, expected, "the executor and the reference disagree");
    }
    if built && valid_for(&frame, &actions) {
        for s in &sent {
            let (Sent::Output(_, bytes) | Sent::Upcall(_, bytes)) = s;
            frames::assert_checksums(bytes);
        }
    }
});
