use crate::flow::text::inet6::{format_ipv6, parse_ipv6};

fn words(w: [u16; 8]) -> u128 {
    w.iter().fold(0u128, |acc, x| (acc << 16) | u128::from(*x))
}

#[test]
fn prints_like_glibc_inet_ntop() {
    let cases: [([u16; 8], &str); 12] = [
        ([0; 8], "::"),
        ([0, 0, 0, 0, 0, 0, 0, 1], "::1"),
        ([1, 0, 0, 0, 0, 0, 0, 0], "1::"),
        ([0xfe80, 0, 0, 0, 0, 0, 1, 2], "fe80::1:2"),
        // The longest zero run is compressed...
        ([1, 0, 0, 1, 0, 0, 0, 1], "1:0:0:1::1"),
        // ...the first of equally long runs...
        ([1, 0, 0, 1, 0, 0, 1, 1], "1::1:0:0:1:1"),
        // ...and never a single zero word.
        ([1, 0, 1, 1, 1, 1, 1, 1], "1:0:1:1:1:1:1:1"),
        // IPv4-compatible and IPv4-mapped addresses end in a dotted quad.
        ([0, 0, 0, 0, 0, 0, 1, 2], "::0.1.0.2"),
        ([0, 0, 0, 0, 0, 0, 0xffff, 1], "::255.255.0.1"),
        ([0, 0, 0, 0, 0, 0xffff, 0x0102, 0x0304], "::ffff:1.2.3.4"),
        ([0, 0, 0, 0, 0, 0xffff, 0, 5], "::ffff:0.0.0.5"),
        // Five zero words before 0xffff at word 4 is not a mapped address.
        ([0, 0, 0, 0, 0xffff, 0, 0, 1], "::ffff:0:0:1"),
    ];
    for (w, text) in cases {
        assert_eq!(format_ipv6(words(w)), text, "{w:x?}");
        assert_eq!(parse_ipv6(text.as_bytes()), Some(words(w)), "{text}");
    }
}

#[test]
fn parses_like_glibc_inet_pton() {
    let ok: [(&str, [u16; 8]); 4] = [
        ("ABCD::ef", [0xabcd, 0, 0, 0, 0, 0, 0, 0xef]),
        ("1:2:3:4:5:6:1.2.3.4", [1, 2, 3, 4, 5, 6, 0x0102, 0x0304]),
        ("1:2:3:4:5:6:7::", [1, 2, 3, 4, 5, 6, 7, 0]),
        ("::ffff:255.255.0.1", [0, 0, 0, 0, 0, 0xffff, 0xffff, 1]),
    ];
    for (text, w) in ok {
        assert_eq!(parse_ipv6(text.as_bytes()), Some(words(w)), "{text}");
    }
    let refused = [
        "",
        ":::",
        ":1",
        "1:",
        "1::2::3",
        "1:2:3:4:5:6:7:8:9",
        "12345::",
        "::01.2.3.4",
        "::1.2.3",
        "::256.1.1.1",
        "1:2:3:4:5:6:7:8::",
        "::1.2.3.4.5",
        "1.2.3.4",
    ];
    for text in refused {
        assert_eq!(parse_ipv6(text.as_bytes()), None, "{text}");
    }
}
