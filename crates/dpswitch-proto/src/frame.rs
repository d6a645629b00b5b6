//! Netlink message framing: the 16-byte `struct nlmsghdr` and the walk
//! over the messages one datagram carries.

use crate::consts::{NLMSG_ALIGNTO, NLMSG_HDRLEN};

/// `struct nlmsghdr`, host byte order.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Header {
    pub len: u32,
    pub msg_type: u16,
    pub flags: u16,
    pub seq: u32,
    pub pid: u32,
}

impl Header {
    /// The header at the start of `buf`, if `buf` holds one.
    pub fn read(buf: &[u8]) -> Option<Header> {
        let word = |at: usize| -> Option<[u8; 4]> { buf.get(at..at + 4)?.try_into().ok() };
        let type_flags = word(4)?;
        Some(Header {
            len: u32::from_ne_bytes(word(0)?),
            msg_type: u16::from_ne_bytes([type_flags[0], type_flags[1]]),
            flags: u16::from_ne_bytes([type_flags[2], type_flags[3]]),
            seq: u32::from_ne_bytes(word(8)?),
            pid: u32::from_ne_bytes(word(12)?),
        })
    }

    pub fn to_bytes(self) -> [u8; NLMSG_HDRLEN] {
        let mut out = [0; NLMSG_HDRLEN];
        out[0..4].copy_from_slice(&self.len.to_ne_bytes());
        out[4..6].copy_from_slice(&self.msg_type.to_ne_bytes());
        out[6..8].copy_from_slice(&self.flags.to_ne_bytes());
        out[8..12].copy_from_slice(&self.seq.to_ne_bytes());
        out[12..16].copy_from_slice(&self.pid.to_ne_bytes());
        out
    }
}

/// The messages of one datagram: each header with its payload. The walk
/// stops at the first header whose length cannot be framed.
pub fn frames(datagram: &[u8]) -> impl Iterator<Item = (Header, &[u8])> {
    let mut rest = datagram;
    std::iter::from_fn(move || {
        let header = Header::read(rest)?;
        let len = header.len as usize;
        if len < NLMSG_HDRLEN || len > rest.len() {
            return None;
        }
        let payload = &rest[NLMSG_HDRLEN..len];
        let aligned = (len + NLMSG_ALIGNTO - 1) & !(NLMSG_ALIGNTO - 1);
        rest = rest.get(aligned..).unwrap_or_default();
        Some((header, payload))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walks_padded_messages_and_stops_at_a_bad_length() {
        let mut datagram = Vec::new();
        for (seq, payload_len) in [(1u32, 5usize), (2, 4)] {
            let h = Header {
                len: (NLMSG_HDRLEN + payload_len) as u32,
                msg_type: 0x20,
                flags: 1,
                seq,
                pid: 7,
            };
            datagram.extend_from_slice(&h.to_bytes());
            datagram.extend(std::iter::repeat_n(0xaa, payload_len));
            while datagram.len() % NLMSG_ALIGNTO != 0 {
                datagram.push(0);
            }
        }
        let seqs: Vec<(u32, usize)> = frames(&datagram).map(|(h, p)| (h.seq, p.len())).collect();
        assert_eq!(seqs, vec![(1, 5), (2, 4)]);
        datagram.extend_from_slice(
            &Header {
                len: 3,
                ..Header::default()
            }
            .to_bytes(),
        );
        assert_eq!(frames(&datagram).count(), 2);
    }
}
