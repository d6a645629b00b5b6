//! Netlink attributes (`struct nlattr`): a 4-byte header (u16 length
//! including the header, u16 type) followed by the payload, padded to a
//! multiple of 4 bytes. Attributes may nest: a payload can itself be a list
//! of attributes.
//!
//! Reading borrows from the input; nothing is copied.

use super::consts::{NLA_ALIGNTO, NLA_F_NESTED, NLA_F_NET_BYTEORDER, NLA_HDRLEN, NLA_TYPE_MASK};
use super::error::NlError;

/// Rounds `len` up to the attribute alignment, `None` on overflow.
pub fn nla_align(len: usize) -> Option<usize> {
    len.checked_add(NLA_ALIGNTO - 1)
        .map(|padded| padded & !(NLA_ALIGNTO - 1))
}

/// The largest payload one attribute can carry: its u16 length field also
/// counts the header.
pub const MAX_PAYLOAD: usize = u16::MAX as usize - NLA_HDRLEN;

/// One attribute read from a buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Attr<'a> {
    raw_type: u16,
    payload: &'a [u8],
}

impl<'a> Attr<'a> {
    /// The attribute type with the NLA_F_NESTED and NLA_F_NET_BYTEORDER
    /// bits masked off, as the kernel's `nla_type()`.
    pub fn kind(&self) -> u16 {
        self.raw_type & NLA_TYPE_MASK
    }

    /// The type field as it was on the wire, flag bits included.
    pub fn raw_type(&self) -> u16 {
        self.raw_type
    }

    pub fn has_nested_flag(&self) -> bool {
        self.raw_type & NLA_F_NESTED != 0
    }

    pub fn has_net_byteorder_flag(&self) -> bool {
        self.raw_type & NLA_F_NET_BYTEORDER != 0
    }

    /// The payload without header or padding.
    pub fn payload(&self) -> &'a [u8] {
        self.payload
    }
}

/// Splits the first attribute off `buf`: the attribute and the length its
/// header says it occupies, or `None` when `buf` does not start with a whole
/// attribute (the kernel's `nla_ok()` failing).
fn split_first(buf: &[u8]) -> Option<(Attr<'_>, usize)> {
    let header = buf.get(..NLA_HDRLEN)?;
    let len = usize::from(u16::from_ne_bytes([*header.first()?, *header.get(1)?]));
    let raw_type = u16::from_ne_bytes([*header.get(2)?, *header.get(3)?]);
    if len < NLA_HDRLEN {
        return None;
    }
    let payload = buf.get(NLA_HDRLEN..len)?;
    Some((Attr { raw_type, payload }, len))
}

/// Iterates attributes the way the Open vSwitch datapath parses keys and
/// actions: every byte must belong to a whole, padded attribute, and the
/// first bytes that do not end the iteration with an error.
#[derive(Clone, Debug)]
pub struct AttrIter<'a> {
    rest: &'a [u8],
    context: &'static str,
    failed: bool,
}

/// Strict iteration over the attributes in `buf`; `context` names the list
/// in errors.
pub fn attrs<'a>(buf: &'a [u8], context: &'static str) -> AttrIter<'a> {
    AttrIter {
        rest: buf,
        context,
        failed: false,
    }
}

impl<'a> Iterator for AttrIter<'a> {
    type Item = Result<Attr<'a>, NlError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.rest.is_empty() {
            return None;
        }
        let whole = split_first(self.rest).and_then(|(attr, len)| {
            // The kernel walks by the aligned length, so a last attribute
            // without its padding leaves a negative remainder: an error.
            let aligned = nla_align(len)?;
            let rest = self.rest.get(aligned..)?;
            Some((attr, rest))
        });
        match whole {
            Some((attr, rest)) => {
                self.rest = rest;
                Some(Ok(attr))
            }
            None => {
                self.failed = true;
                Some(Err(NlError::TruncatedAttr {
                    context: self.context,
                    remaining: self.rest.len(),
                }))
            }
        }
    }
}

/// Iterates attributes the way generic netlink parses a message's top
/// level for the Open vSwitch families (liberal validation): iteration
/// stops silently at the first bytes that do not form an attribute, and a
/// last attribute may lack its padding.
#[derive(Clone, Debug)]
pub struct LenientAttrIter<'a> {
    rest: &'a [u8],
}

/// Lenient iteration over the attributes in `buf`.
pub fn attrs_lenient(buf: &[u8]) -> LenientAttrIter<'_> {
    LenientAttrIter { rest: buf }
}

impl<'a> LenientAttrIter<'a> {
    /// Bytes not consumed (so far, or after the end: the ignored trailer).
    pub fn remaining(&self) -> usize {
        self.rest.len()
    }
}

impl<'a> Iterator for LenientAttrIter<'a> {
    type Item = Attr<'a>;

    fn next(&mut self) -> Option<Self::Item> {
        let (attr, len) = split_first(self.rest)?;
        let aligned = nla_align(len).unwrap_or(len);
        self.rest = self.rest.get(aligned..).unwrap_or_default();
        Some(attr)
    }
}

/// Reads `N` bytes at `at`, `None` past the end.
pub fn bytes_at<const N: usize>(buf: &[u8], at: usize) -> Option<[u8; N]> {
    let end = at.checked_add(N)?;
    buf.get(at..end)?.try_into().ok()
}

/// Builds a list of attributes. Writing never fails on the spot: an
/// attribute or nest too large for its u16 length is remembered and
/// reported by `finish()`.
#[derive(Clone, Debug, Default)]
pub struct AttrWriter {
    buf: Vec<u8>,
    too_big: Option<usize>,
}

/// An open nested attribute; close it with `AttrWriter::end_nested`.
#[derive(Debug)]
#[must_use = "a nested attribute must be closed with end_nested"]
pub struct Nest {
    start: usize,
}

impl AttrWriter {
    pub fn new() -> Self {
        AttrWriter::default()
    }

    /// Appends one attribute with `payload`, padded to 4 bytes with zeros.
    pub fn put(&mut self, kind: u16, payload: &[u8]) {
        let total = payload.len().saturating_add(NLA_HDRLEN);
        let Ok(len) = u16::try_from(total) else {
            self.note_too_big(total);
            return;
        };
        self.buf.extend_from_slice(&len.to_ne_bytes());
        self.buf.extend_from_slice(&kind.to_ne_bytes());
        self.buf.extend_from_slice(payload);
        self.pad();
    }

    pub fn put_flag(&mut self, kind: u16) {
        self.put(kind, &[]);
    }

    pub fn put_u8(&mut self, kind: u16, value: u8) {
        self.put(kind, &[value]);
    }

    /// Host byte order, as netlink integers are unless the header says `__be`.
    pub fn put_u16(&mut self, kind: u16, value: u16) {
        self.put(kind, &value.to_ne_bytes());
    }

    pub fn put_u32(&mut self, kind: u16, value: u32) {
        self.put(kind, &value.to_ne_bytes());
    }

    pub fn put_i32(&mut self, kind: u16, value: i32) {
        self.put(kind, &value.to_ne_bytes());
    }

    pub fn put_u64(&mut self, kind: u16, value: u64) {
        self.put(kind, &value.to_ne_bytes());
    }

    pub fn put_be16(&mut self, kind: u16, value: u16) {
        self.put(kind, &value.to_be_bytes());
    }

    pub fn put_be32(&mut self, kind: u16, value: u32) {
        self.put(kind, &value.to_be_bytes());
    }

    /// Opens a nested attribute; everything put until `end_nested` is its
    /// payload. The NLA_F_NESTED bit is not set, as Open vSwitch does not.
    pub fn begin_nested(&mut self, kind: u16) -> Nest {
        let start = self.buf.len();
        self.buf.extend_from_slice(&0u16.to_ne_bytes());
        self.buf.extend_from_slice(&kind.to_ne_bytes());
        Nest { start }
    }

    /// Closes a nested attribute by writing its final length.
    pub fn end_nested(&mut self, nest: Nest) {
        let total = self.buf.len().saturating_sub(nest.start);
        let len = match u16::try_from(total) {
            Ok(len) => len,
            Err(_) => {
                self.note_too_big(total);
                u16::MAX
            }
        };
        if let Some(field) = self.buf.get_mut(nest.start..nest.start.saturating_add(2)) {
            field.copy_from_slice(&len.to_ne_bytes());
        }
    }

    /// The bytes written so far.
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf
    }

    pub fn len(&self) -> usize {
        self.buf.len()
    }

    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// The encoded attributes, or EMSGSIZE when one did not fit its length.
    pub fn finish(self, context: &'static str) -> Result<Vec<u8>, NlError> {
        match self.too_big {
            None => Ok(self.buf),
            Some(size) => Err(NlError::TooBig {
                context,
                size,
                limit: usize::from(u16::MAX),
            }),
        }
    }

    fn pad(&mut self) {
        let padded = nla_align(self.buf.len()).unwrap_or(self.buf.len());
        self.buf.resize(padded, 0);
    }

    fn note_too_big(&mut self, size: usize) {
        self.too_big.get_or_insert(size);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nix::errno::Errno;

    fn collect(buf: &[u8]) -> Result<Vec<(u16, Vec<u8>)>, NlError> {
        attrs(buf, "test")
            .map(|attr| attr.map(|a| (a.kind(), a.payload().to_vec())))
            .collect()
    }

    #[test]
    fn writer_pads_each_payload_to_four_bytes() {
        let mut w = AttrWriter::new();
        w.put_be16(6, 0x0800);
        w.put_u8(4, 0xab);
        w.put_flag(8);
        w.put_u32(3, 1);
        let bytes = w.finish("test").unwrap();
        let mut expected = vec![6, 0, 6, 0, 0x08, 0x00, 0, 0];
        expected.extend_from_slice(&[5, 0, 4, 0, 0xab, 0, 0, 0]);
        expected.extend_from_slice(&[4, 0, 8, 0]);
        expected.extend_from_slice(&[8, 0, 3, 0]);
        expected.extend_from_slice(&1u32.to_ne_bytes());
        assert_eq!(bytes, expected);
    }

    #[test]
    fn nested_length_is_fixed_up_on_close() {
        let mut w = AttrWriter::new();
        let outer = w.begin_nested(1);
        w.put_be16(5, 0x1064);
        let inner = w.begin_nested(1);
        w.put_be16(6, 0x86dd);
        w.end_nested(inner);
        w.end_nested(outer);
        let bytes = w.finish("test").unwrap();
        assert_eq!(
            bytes,
            [
                24, 0, 1, 0, // outer: header + vlan 8 + inner 12
                6, 0, 5, 0, 0x10, 0x64, 0, 0, // vlan
                12, 0, 1, 0, // inner
                6, 0, 6, 0, 0x86, 0xdd, 0, 0, // eth_type
            ][..]
        );
        let outer = attrs(&bytes, "test").next().unwrap().unwrap();
        let inner: Vec<_> = attrs(outer.payload(), "test")
            .map(|a| a.unwrap().kind())
            .collect();
        assert_eq!(inner, [5, 1]);
    }

    #[test]
    fn flag_bits_are_masked_off_the_type() {
        let buf = [4, 0, 0x01, 0x80, 8, 0, 0x02, 0x40, 1, 2, 3, 4];
        let parsed: Vec<_> = attrs(&buf, "test").map(|a| a.unwrap()).collect();
        assert_eq!(parsed[0].kind(), 1);
        assert!(parsed[0].has_nested_flag());
        assert!(!parsed[0].has_net_byteorder_flag());
        assert_eq!(parsed[0].raw_type(), 0x8001);
        assert_eq!(parsed[1].kind(), 2);
        assert!(parsed[1].has_net_byteorder_flag());
        assert_eq!(parsed[1].payload(), [1, 2, 3, 4]);
    }

    #[test]
    fn strict_iteration_rejects_every_kind_of_truncation() {
        // A header cut short.
        assert_eq!(
            collect(&[8, 0, 1]),
            Err(NlError::TruncatedAttr {
                context: "test",
                remaining: 3
            })
        );
        // A length below the header size.
        assert!(collect(&[2, 0, 1, 0]).is_err());
        // A length past the end.
        assert!(collect(&[12, 0, 1, 0, 0, 0, 0, 0]).is_err());
        // A whole attribute followed by 2 stray bytes.
        assert_eq!(
            collect(&[4, 0, 1, 0, 9, 9]),
            Err(NlError::TruncatedAttr {
                context: "test",
                remaining: 2
            })
        );
        // A last attribute without its padding.
        assert!(collect(&[6, 0, 6, 0, 0x08, 0x00]).is_err());
        // The empty list is fine.
        assert_eq!(collect(&[]), Ok(vec![]));
    }

    #[test]
    fn lenient_iteration_stops_quietly() {
        let buf = [6, 0, 6, 0, 0x08, 0x00, 0, 0, 4, 0, 9, 0, 0xff, 0xff];
        let mut iter = attrs_lenient(&buf);
        let kinds: Vec<_> = iter.by_ref().map(|a| a.kind()).collect();
        assert_eq!(kinds, [6, 9]);
        assert_eq!(iter.remaining(), 2);
        // A last attribute without padding is still read.
        let kinds: Vec<_> = attrs_lenient(&[5, 0, 3, 0, 7])
            .map(|a| a.payload()[0])
            .collect();
        assert_eq!(kinds, [7]);
    }

    #[test]
    fn oversized_payload_is_reported_by_finish() {
        let mut w = AttrWriter::new();
        w.put(1, &vec![0u8; MAX_PAYLOAD]);
        assert!(w.clone().finish("test").is_ok());
        w.put(2, &vec![0u8; MAX_PAYLOAD + 1]);
        let err = w.finish("test").unwrap_err();
        assert_eq!(err.errno(), Errno::EMSGSIZE);

        let mut w = AttrWriter::new();
        let nest = w.begin_nested(1);
        w.put(2, &vec![0u8; MAX_PAYLOAD]);
        w.end_nested(nest);
        assert_eq!(w.finish("nest").unwrap_err().errno(), Errno::EMSGSIZE);
    }

    #[test]
    fn bytes_at_never_reads_past_the_end() {
        assert_eq!(bytes_at::<2>(&[1, 2, 3], 1), Some([2, 3]));
        assert_eq!(bytes_at::<2>(&[1, 2, 3], 2), None);
        assert_eq!(bytes_at::<2>(&[1, 2, 3], usize::MAX), None);
    }
}
