//! Any byte string is a possible frame: extraction must never panic, must
//! give the same key twice, and the shallow extraction must agree with the
//! full one on every field it promises.
#![no_main]

use dpswitch::flow::extract::{extract, extract_shallow, shallow_fields};
use dpswitch::flow::FlowKey;
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
    let mut shallow = FlowKey::default();
    extract_shallow(frame, port, &mut shallow);
    let fields = shallow_fields();
    assert_eq!(shallow.masked(&fields), a.masked(&fields));
});
