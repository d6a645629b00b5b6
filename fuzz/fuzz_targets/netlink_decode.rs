//! Hostile control-socket input: every decoder must refuse or accept without
//! panicking, and a decoded key or action list must encode back to bytes
//! that decode to the same value. (Masks are not round-tripped: like the
//! kernel, decoding drops all-zero mask attributes, so a mask nest holding
//! only zero attributes re-encodes as an empty nest, which is dropped too.)
#![no_main]

use dpswitch::netlink::{action, flow::FlowAttrs, key, msg};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for m in msg::messages(data) {
        let Ok(m) = m else { break };
        let _ = m.genl();
        let _ = m.ovs();
        let _ = m.error();
    }
    if let Ok(attrs) = FlowAttrs::decode(data) {
        if let Ok(bytes) = attrs.encode() {
            let again = FlowAttrs::decode(&bytes).expect("encoded flow attrs decode");
            assert_eq!(again.key, attrs.key);
            assert_eq!(again.actions, attrs.actions);
            assert_eq!(again.ufid, attrs.ufid);
        }
    }
    if let Ok(k) = key::decode_key(data) {
        let bytes = key::encode_key(&k).expect("decoded keys encode");
        assert_eq!(key::decode_key(&bytes).ok(), Some(k));
    }
    let _ = key::decode_mask(data);
    if let Ok(a) = action::decode_actions(data) {
        let bytes = action::encode_actions(&a).expect("decoded actions encode");
        assert_eq!(action::decode_actions(&bytes).ok(), Some(a));
    }
});
