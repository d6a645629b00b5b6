//! The netlink bytes the adapter writes itself (the attach request, the
//! membership requests) and what it looks for in the datagrams that pass
//! through it: dump requests going out, the end of a dump and the overrun
//! marker coming in.

use dpswitch_proto::channel::{CTRL_CMD_ATTACH, CTRL_CMD_SUBSCRIBE, CTRL_CMD_UNSUBSCRIBE};
use dpswitch_proto::consts::{
    CTRL_ATTR_MCAST_GRP_ID, GENL_HDRLEN, GENL_ID_CTRL, NLA_HDRLEN, NLMSG_ALIGNTO, NLMSG_DONE,
    NLMSG_ERROR, NLMSG_HDRLEN, NLMSG_MIN_TYPE, NLMSG_OVERRUN, NLM_F_DUMP, NLM_F_REQUEST,
};
use dpswitch_proto::frame::{frames, Header};

/// The `nlctrl` version the adapter's own requests carry.
const CTRL_VERSION: u8 = 2;

/// The request that hands the daemon the completion channel (sent with
/// the channel's other end in `SCM_RIGHTS`).
pub fn attach_request() -> Vec<u8> {
    ctrl_request(CTRL_CMD_ATTACH, 0, &[])
}

/// Joins (`join`) or leaves multicast group `group`, as
/// `NETLINK_ADD_MEMBERSHIP` / `NETLINK_DROP_MEMBERSHIP` do.
pub fn membership_request(join: bool, group: u32, port_id: u32) -> Vec<u8> {
    let mut attr = Vec::with_capacity(NLA_HDRLEN + 4);
    attr.extend_from_slice(&((NLA_HDRLEN + 4) as u16).to_ne_bytes());
    attr.extend_from_slice(&CTRL_ATTR_MCAST_GRP_ID.to_ne_bytes());
    attr.extend_from_slice(&group.to_ne_bytes());
    let cmd = if join {
        CTRL_CMD_SUBSCRIBE
    } else {
        CTRL_CMD_UNSUBSCRIBE
    };
    ctrl_request(cmd, port_id, &attr)
}

fn ctrl_request(cmd: u8, port_id: u32, attrs: &[u8]) -> Vec<u8> {
    let len = NLMSG_HDRLEN + GENL_HDRLEN + attrs.len();
    let header = Header {
        len: len as u32,
        msg_type: GENL_ID_CTRL,
        flags: NLM_F_REQUEST,
        seq: 0,
        pid: port_id,
    };
    let mut out = Vec::with_capacity(len);
    out.extend_from_slice(&header.to_bytes());
    out.extend_from_slice(&[cmd, CTRL_VERSION, 0, 0]);
    out.extend_from_slice(attrs);
    out
}

/// How much of a request datagram the kernel would run: its messages up
/// to the first one whose length cannot be framed, which the kernel
/// ignores with everything after it (0: nothing runs).
pub fn framed_len(datagram: &[u8]) -> usize {
    let mut at = 0;
    while let Some(header) = datagram.get(at..).and_then(Header::read) {
        let len = header.len as usize;
        if len < NLMSG_HDRLEN || len > datagram.len() - at {
            break;
        }
        at += (len + NLMSG_ALIGNTO - 1) & !(NLMSG_ALIGNTO - 1);
    }
    at.min(datagram.len())
}

/// Whether a request asks for a dump, as generic netlink decides it.
fn is_dump_request(header: &Header) -> bool {
    header.msg_type >= NLMSG_MIN_TYPE && header.flags & NLM_F_DUMP == NLM_F_DUMP
}

/// The sequence numbers of the dump requests in a request datagram.
pub fn dump_requests(datagram: &[u8]) -> Vec<u32> {
    frames(datagram)
        .filter(|(h, _)| is_dump_request(h))
        .map(|(h, _)| h.seq)
        .collect()
}

/// Whether a reply datagram ends dump `seq`: it carries that dump's
/// `NLMSG_DONE`, or the `NLMSG_ERROR` that refused it.
pub fn ends_dump(datagram: &[u8], seq: u32) -> bool {
    frames(datagram)
        .any(|(h, _)| h.seq == seq && (h.msg_type == NLMSG_DONE || h.msg_type == NLMSG_ERROR))
}

/// Whether a received datagram, of which `head` are the first bytes, is
/// the daemon's overrun marker: a lone `NLMSG_OVERRUN` header.
pub fn is_overrun(head: &[u8]) -> bool {
    Header::read(head).is_some_and(|h| h.msg_type == NLMSG_OVERRUN)
}

/// The errno an `NLMSG_ERROR` reply at the start of `datagram` carries.
pub fn error_reply(datagram: &[u8]) -> Option<i32> {
    let header = Header::read(datagram)?;
    if header.msg_type != NLMSG_ERROR {
        return None;
    }
    let word = datagram.get(NLMSG_HDRLEN..NLMSG_HDRLEN + 4)?;
    Some(i32::from_ne_bytes(word.try_into().ok()?).saturating_abs())
}

#[cfg(test)]
mod tests {
    use super::*;
    use dpswitch_proto::consts::{NLM_F_ACK, NLM_F_MULTI};

    fn msg(msg_type: u16, flags: u16, seq: u32, payload: usize) -> Vec<u8> {
        let mut out = Header {
            len: (NLMSG_HDRLEN + payload) as u32,
            msg_type,
            flags,
            seq,
            pid: 9,
        }
        .to_bytes()
        .to_vec();
        out.resize(NLMSG_HDRLEN + payload, 0xee);
        while !out.len().is_multiple_of(NLMSG_ALIGNTO) {
            out.push(0);
        }
        out
    }

    #[test]
    fn attach_and_membership_requests_are_nlctrl_messages() {
        let attach = attach_request();
        let h = Header::read(&attach).unwrap();
        assert_eq!(h.len as usize, attach.len());
        assert_eq!((h.msg_type, h.flags), (GENL_ID_CTRL, NLM_F_REQUEST));
        assert_eq!(attach[NLMSG_HDRLEN], CTRL_CMD_ATTACH);
        assert_eq!(attach.len(), NLMSG_HDRLEN + GENL_HDRLEN);

        let join = membership_request(true, 4, 77);
        let h = Header::read(&join).unwrap();
        assert_eq!(h.len as usize, join.len());
        assert_eq!(h.pid, 77);
        assert_eq!(join[NLMSG_HDRLEN], CTRL_CMD_SUBSCRIBE);
        let attr = &join[NLMSG_HDRLEN + GENL_HDRLEN..];
        assert_eq!(attr[0..2], 8u16.to_ne_bytes());
        assert_eq!(attr[2..4], CTRL_ATTR_MCAST_GRP_ID.to_ne_bytes());
        assert_eq!(attr[4..8], 4u32.to_ne_bytes());
        assert_eq!(
            membership_request(false, 4, 77)[NLMSG_HDRLEN],
            CTRL_CMD_UNSUBSCRIBE
        );
    }

    #[test]
    fn framed_len_stops_where_the_kernel_stops() {
        let mut d = msg(0x22, NLM_F_REQUEST, 1, 5);
        d.extend(msg(0x22, NLM_F_REQUEST, 2, 4));
        assert_eq!(framed_len(&d), d.len());
        let whole = d.len();
        d.extend_from_slice(&[1, 2, 3]); // less than a header
        assert_eq!(framed_len(&d), whole);
        let mut bad = d[..whole].to_vec();
        bad.extend(
            Header {
                len: 8,
                ..Header::default()
            }
            .to_bytes(),
        );
        assert_eq!(framed_len(&bad), whole);
        assert_eq!(framed_len(&[]), 0);
        assert_eq!(framed_len(&[0; 10]), 0);
        // A last message without its padding still runs.
        let short = msg(0x22, NLM_F_REQUEST, 3, 5);
        assert_eq!(framed_len(&short[..NLMSG_HDRLEN + 5]), NLMSG_HDRLEN + 5);
    }

    #[test]
    fn dumps_are_found_by_both_flag_bits() {
        let mut d = msg(0x22, NLM_F_REQUEST | NLM_F_DUMP | NLM_F_ACK, 7, 4);
        d.extend(msg(0x22, NLM_F_REQUEST | 0x100, 8, 4)); // ROOT alone
        d.extend(msg(0x22, NLM_F_REQUEST, 9, 4));
        d.extend(msg(0x20, NLM_F_REQUEST | NLM_F_DUMP, 10, 4));
        d.extend(msg(NLMSG_DONE, NLM_F_DUMP, 11, 4)); // not a request type
        assert_eq!(dump_requests(&d), vec![7, 10]);
    }

    #[test]
    fn a_dump_ends_on_its_done_or_its_error_only() {
        let mut part = msg(0x22, NLM_F_MULTI, 7, 20);
        part.extend(msg(0x22, NLM_F_MULTI, 7, 20));
        assert!(!ends_dump(&part, 7));
        let mut last = part.clone();
        last.extend(msg(NLMSG_DONE, NLM_F_MULTI, 7, 4));
        assert!(ends_dump(&last, 7));
        assert!(!ends_dump(&last, 8));
        assert!(ends_dump(&msg(NLMSG_ERROR, 0, 8, 20), 8));
        assert!(!ends_dump(&msg(NLMSG_DONE, 0, 9, 4), 8));
    }

    #[test]
    fn overrun_marker_and_error_replies_are_recognised() {
        assert!(is_overrun(&msg(NLMSG_OVERRUN, 0, 0, 0)));
        assert!(!is_overrun(&msg(NLMSG_DONE, 0, 0, 0)));
        assert!(!is_overrun(&[4, 0, 0]));
        let mut err = msg(NLMSG_ERROR, 0, 1, 4);
        err[NLMSG_HDRLEN..NLMSG_HDRLEN + 4].copy_from_slice(&(-95i32).to_ne_bytes());
        assert_eq!(error_reply(&err), Some(95));
        assert_eq!(error_reply(&msg(0x22, 0, 1, 4)), None);
    }
}
