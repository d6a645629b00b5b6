//! Any byte string is a possible frame: extraction must never panic, and
//! must give the same key twice.
#![no_main]

use dpswitch::flow::{extract::extract, FlowKey};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (port, frame) = match data.split_first() {
        Some((p, rest)) => (u32::from(*p), rest),
        None => (0, data),
    };
    let mut a = FlowKey::default();
    let mut b = FlowKey::default();
    extract(frame, port, &mut a);
    extract(frame, port, &mut b);
    assert_eq!(a, b);
});
