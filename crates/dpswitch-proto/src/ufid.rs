//! Flow UFIDs in ovs-dpctl's text form. Open vSwitch holds a UFID as four
//! native-endian 32-bit words and prints it as a UUID
//! (`ufid:xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`), so the wire bytes are
//! those words in host byte order. Here the 32 hex digits may also be
//! given without the dashes.

/// The 16 UFID bytes of `text`: a UUID, or its 32 hex digits alone.
pub fn parse_ufid(text: &str) -> Result<[u8; 16], String> {
    let bad = || format!("{text:?} is not a UFID (a UUID or 32 hex digits)");
    let hex: String = if text.len() == 36 {
        let dashes_right = text
            .char_indices()
            .all(|(i, c)| (c == '-') == matches!(i, 8 | 13 | 18 | 23));
        if !dashes_right {
            return Err(bad());
        }
        text.chars().filter(|&c| c != '-').collect()
    } else {
        text.to_string()
    };
    if hex.len() != 32 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(bad());
    }
    let mut out = [0u8; 16];
    for (word, chunk) in out.chunks_exact_mut(4).enumerate() {
        let digits = &hex[word * 8..word * 8 + 8];
        let value = u32::from_str_radix(digits, 16).map_err(|_| bad())?;
        chunk.copy_from_slice(&value.to_ne_bytes());
    }
    Ok(out)
}

/// `ufid` as ovs-dpctl prints it (without the `ufid:` prefix). A UFID of
/// another length than 16 bytes, which Open vSwitch never makes, prints
/// as its bytes in hex.
pub fn format_ufid(ufid: &[u8]) -> String {
    let Ok(bytes) = <[u8; 16]>::try_from(ufid) else {
        return ufid.iter().map(|b| format!("{b:02x}")).collect();
    };
    let w: Vec<u32> = bytes
        .chunks_exact(4)
        .map(|c| u32::from_ne_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:04x}{:08x}",
        w[0],
        w[1] >> 16,
        w[1] & 0xffff,
        w[2] >> 16,
        w[2] & 0xffff,
        w[3]
    )
}

/// Splits a leading `ufid:<UFID>` off a flow as ovs-dpctl accepts it
/// (`ufid:<uuid>,in_port(1),...`): the UFID, if any, and the rest with
/// its separators trimmed.
pub fn split_ufid(flow: &str) -> Result<(Option<[u8; 16]>, &str), String> {
    let flow = flow.trim_start();
    let Some(rest) = flow.strip_prefix("ufid:") else {
        return Ok((None, flow));
    };
    let end = rest
        .find(|c: char| c == ',' || c.is_whitespace())
        .unwrap_or(rest.len());
    let ufid = parse_ufid(&rest[..end])?;
    let rest = rest[end..].trim_start_matches(|c: char| c == ',' || c.is_whitespace());
    Ok((Some(ufid), rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    const UUID: &str = "01234567-89ab-cdef-0011-223344556677";

    #[test]
    fn uuid_words_are_host_order_on_the_wire() {
        let bytes = parse_ufid(UUID).unwrap();
        let words = [0x0123_4567u32, 0x89ab_cdef, 0x0011_2233, 0x4455_6677];
        let expected: Vec<u8> = words.iter().flat_map(|w| w.to_ne_bytes()).collect();
        assert_eq!(bytes.to_vec(), expected);
        assert_eq!(format_ufid(&bytes), UUID);
        let hex = UUID.replace('-', "");
        assert_eq!(parse_ufid(&hex).unwrap(), bytes);
        assert_eq!(parse_ufid(&hex.to_uppercase()).unwrap(), bytes);
    }

    #[test]
    fn malformed_ufids_are_refused() {
        for bad in [
            "",
            "0123",
            "01234567-89ab-cdef-0011-2233445566778",
            "0123456789ab-cdef-0011-22-3344556677",
            "01234567-89ab-cdef-0011-22334455667g",
            "0123456789abcdef001122334455667",
        ] {
            assert!(parse_ufid(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn odd_lengths_print_as_hex() {
        assert_eq!(format_ufid(&[0xab, 1, 2]), "ab0102");
    }

    #[test]
    fn a_flow_may_start_with_its_ufid() {
        let flow = format!("ufid:{UUID}, in_port(1),eth()");
        let (ufid, rest) = split_ufid(&flow).unwrap();
        assert_eq!(ufid, Some(parse_ufid(UUID).unwrap()));
        assert_eq!(rest, "in_port(1),eth()");
        let only = format!("ufid:{UUID}");
        let (ufid, rest) = split_ufid(&only).unwrap();
        assert!(ufid.is_some());
        assert_eq!(rest, "");
        assert_eq!(split_ufid("in_port(1)").unwrap(), (None, "in_port(1)"));
        assert!(split_ufid("ufid:12,in_port(1)").is_err());
    }
}
