//! Codec for the Open vSwitch generic-netlink wire format (messages, nested
//! attributes, key and action encodings). No I/O.
