//! The transport (T1, T2) on the raw control socket: one reply per
//! datagram in request order, dump parts the only datagrams that carry
//! several messages, and the completion channel that makes a request's
//! replies readable the moment its token arrives, as a netlink socket's
//! are when `sendmsg` returns.

mod common;

use common::errno::*;
use common::{flow_text, Ctl};
use dpswitch::netlink::attr::AttrWriter;
use dpswitch::netlink::consts::*;
use dpswitch::netlink::msg::{messages, NlMsgHeader};
use dpswitch_proto::channel::{Token, CTRL_CMD_ATTACH, CTRL_CMD_SUBSCRIBE, TOKEN_LEN};
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::sys::socket::{
    recv, sendmsg, socketpair, AddressFamily, ControlMessage, MsgFlags, SockFlag, SockType,
};
use std::io::{IoSlice, Read};
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};

/// A flow NEW with NLM_F_ACK for the ARP flow from MAC `02:00:00:00:x:y`.
fn arp_flow(ctl: &mut Ctl, n: u16) -> Vec<u8> {
    let key = format!(
        "in_port(1),eth(src=02:00:00:00:{:02x}:{:02x},dst=02:00:00:00:00:02),eth_type(0x0806),arp()",
        n >> 8,
        n & 0xff
    );
    let attrs = flow_text(&key, Some("1")).encode().unwrap();
    let (family, dp) = (ctl.flow_family, ctl.dp_ifindex);
    ctl.ovs_bytes(
        family,
        OVS_FLOW_CMD_NEW,
        NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE,
        dp,
        &attrs,
    )
}

/// A flow dump request (the next sequence number).
fn flow_dump_request(ctl: &mut Ctl) -> Vec<u8> {
    let (family, dp) = (ctl.flow_family, ctl.dp_ifindex);
    ctl.ovs_bytes(
        family,
        OVS_FLOW_CMD_GET,
        NLM_F_REQUEST | NLM_F_DUMP,
        dp,
        &[],
    )
}

/// The headers of one datagram's messages, read without waiting.
fn recv_now(fd: &impl AsRawFd) -> nix::Result<Vec<(NlMsgHeader, Vec<u8>)>> {
    let mut buf = vec![0u8; 1 << 17];
    let n = recv(fd.as_raw_fd(), &mut buf, MsgFlags::MSG_DONTWAIT)?;
    Ok(messages(&buf[..n])
        .map(|m| {
            let m = m.expect("reply frames");
            (m.header, m.payload.to_vec())
        })
        .collect())
}

fn errno_of(payload: &[u8]) -> i32 {
    -i32::from_ne_bytes(payload[..4].try_into().unwrap())
}

/// An `nlctrl` request without NLM_F_ACK.
fn ctrl_request(cmd: u8, seq: u32, payload: &[u8]) -> Vec<u8> {
    common::genl_request(GENL_ID_CTRL, cmd, NLM_F_REQUEST, seq, payload)
}

/// A subscribe request for `group`.
fn subscribe_request(group: u32, seq: u32) -> Vec<u8> {
    let mut w = AttrWriter::new();
    w.put_u32(CTRL_ATTR_MCAST_GRP_ID, group);
    ctrl_request(CTRL_CMD_SUBSCRIBE, seq, w.as_bytes())
}

/// A daemon, its control socket and the `ovs_flow` group's id.
fn start(tag: &str) -> (common::ControlDaemon, PathBuf, u32) {
    let mut d = common::ControlDaemon::start(tag, "");
    let socket = d.socket();
    let flow_group = d.ctl.group(OVS_FLOW_FAMILY, OVS_FLOW_MCGROUP);
    (d, socket, flow_group)
}

/// A connection with a completion channel, as the adapter opens one.
struct Attached {
    stream: UnixStream,
    channel: OwnedFd,
    port_id: u32,
}

impl Attached {
    fn connect(path: &Path) -> Attached {
        let stream = common::connect_seqpacket(path).expect("connect");
        let (mine, theirs) = socketpair(
            AddressFamily::Unix,
            SockType::SeqPacket,
            None,
            SockFlag::SOCK_CLOEXEC,
        )
        .unwrap();
        let request = ctrl_request(CTRL_CMD_ATTACH, 1, &[]);
        let fds = [theirs.as_raw_fd()];
        sendmsg::<()>(
            stream.as_raw_fd(),
            &[IoSlice::new(&request)],
            &[ControlMessage::ScmRights(&fds)],
            MsgFlags::empty(),
            None,
        )
        .expect("send attach");
        drop(theirs);
        let mut a = Attached {
            stream,
            channel: mine,
            port_id: 0,
        };
        match a.token() {
            Token::Attached { port_id } => a.port_id = port_id,
            other => panic!("expected the port id first, got {other:?}"),
        }
        assert_ne!(a.port_id, 0);
        a
    }

    /// Blocks for the next token on the channel.
    fn token(&self) -> Token {
        let mut fds = [PollFd::new(self.channel.as_fd(), PollFlags::POLLIN)];
        let ready = poll(&mut fds, PollTimeout::from(20_000u16)).unwrap();
        assert_eq!(ready, 1, "a token arrives within 20 s");
        let mut buf = [0u8; 64];
        let n = recv(self.channel.as_raw_fd(), &mut buf, MsgFlags::empty()).unwrap();
        assert_eq!(n, TOKEN_LEN);
        Token::decode(&buf[..n]).expect("a token")
    }

    /// Sends one datagram and waits for its token: what a netlink
    /// `sendmsg` is through the adapter.
    fn send(&mut self, datagram: &[u8]) -> i32 {
        std::io::Write::write_all(&mut self.stream, datagram).unwrap();
        match self.token() {
            Token::Done { error } => error,
            other => panic!("expected Done, got {other:?}"),
        }
    }

    fn readable(&self) -> bool {
        let mut fds = [PollFd::new(self.stream.as_fd(), PollFlags::POLLIN)];
        poll(&mut fds, PollTimeout::ZERO).unwrap() == 1
    }
}

#[test]
#[ignore = "needs root: hugepages, DPDK devices"]
fn t1_one_reply_per_datagram_in_request_order() {
    let (mut d, socket, flow_group) = start("t1");
    let mut listener = Ctl::connect(&socket);
    assert_eq!(listener.subscribe(flow_group).errno, 0);

    // T1: ten requests in one datagram, the sixth a duplicate of the
    // third, get ten datagrams of one message each, in request order.
    let ctl = &mut d.ctl;
    let mut batch = Vec::new();
    let mut seqs = Vec::new();
    for n in [1u16, 2, 3, 4, 5, 3, 6, 7, 8, 9] {
        let request = arp_flow(ctl, n);
        seqs.push(NlMsgHeader::parse(&request).unwrap().seq);
        batch.extend_from_slice(&request);
    }
    ctl.send(&batch);
    for (i, seq) in seqs.iter().enumerate() {
        let got = ctl.recv();
        assert_eq!(got.len(), 1, "reply {i} is alone in its datagram: {got:?}");
        let m = &got[0];
        assert_eq!((m.header.msg_type, m.header.seq), (NLMSG_ERROR, *seq));
        let expected = if i == 5 { EEXIST } else { 0 };
        assert_eq!(errno_of(&m.payload), expected, "reply {i}");
    }
    // Notifications too: nine flows, nine datagrams.
    for i in 0..9 {
        let got = listener.recv();
        assert_eq!(got.len(), 1, "notification {i} is alone: {got:?}");
        assert_eq!(got[0].genl_cmd(), OVS_FLOW_CMD_NEW);
    }
    // Only a dump's parts carry several messages: nine flows and the
    // NLMSG_DONE fit in one part.
    let family = ctl.flow_family;
    let dump = flow_dump_request(ctl);
    ctl.send(&dump);
    let part = ctl.recv();
    assert_eq!(part.len(), 10, "one part: nine flows and NLMSG_DONE");
    assert!(part[..9]
        .iter()
        .all(|m| m.header.flags & NLM_F_MULTI != 0 && m.header.msg_type == family));
    assert_eq!(part[9].header.msg_type, NLMSG_DONE);

    drop(listener);
    d.stop();
}

#[test]
#[ignore = "needs root: hugepages, DPDK devices"]
fn t2_replies_are_readable_when_the_token_arrives() {
    let (mut d, socket, flow_group) = start("t2");
    let ctl = &mut d.ctl;
    let family = ctl.flow_family;
    // A flow for the batch below to collide with.
    let first = arp_flow(ctl, 1);
    ctl.send(&first);
    assert_eq!(
        ctl.collect(NlMsgHeader::parse(&first).unwrap().seq).errno,
        0
    );

    // T2: with a completion channel, every reply of a datagram is
    // readable, without waiting, once its token has come.
    let mut a = Attached::connect(&socket);
    assert!(!a.readable(), "nothing is due before a request");
    let mut batch = Vec::new();
    for n in 20..30u16 {
        batch.extend_from_slice(&arp_flow(ctl, n));
    }
    batch.extend_from_slice(&arp_flow(ctl, 1)); // exists: EEXIST
    assert_eq!(a.send(&batch), EEXIST, "the token names the first refusal");
    assert!(a.readable(), "poll says readable once the token came");
    // MSG_PEEK|MSG_TRUNC sizes the next datagram and leaves it there.
    let mut tiny = [0u8; 4];
    let peeked = recv(
        a.stream.as_raw_fd(),
        &mut tiny,
        MsgFlags::MSG_PEEK | MsgFlags::MSG_TRUNC | MsgFlags::MSG_DONTWAIT,
    )
    .unwrap();
    assert_eq!(peeked, NLMSG_HDRLEN + 4 + NLMSG_HDRLEN, "an ack's size");
    for i in 0..11 {
        let got = recv_now(&a.stream).unwrap_or_else(|e| panic!("reply {i} was ready: {e}"));
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].0.pid, a.port_id, "replies carry the port id");
        assert_eq!(errno_of(&got[0].1), if i == 10 { EEXIST } else { 0 });
    }
    assert_eq!(recv_now(&a.stream).unwrap_err(), nix::errno::Errno::EAGAIN);

    // Membership: the outcome is in the token, and no reply is queued.
    assert_eq!(a.send(&subscribe_request(flow_group, 7)), 0);
    assert_eq!(a.send(&subscribe_request(999, 8)), EINVAL);
    assert_eq!(recv_now(&a.stream).unwrap_err(), nix::errno::Errno::EAGAIN);
    // Joined: another client's change arrives, one per datagram.
    let request = arp_flow(ctl, 40);
    ctl.send(&request);
    let seq = NlMsgHeader::parse(&request).unwrap().seq;
    let _ = ctl.collect(seq);
    let mut fds = [PollFd::new(a.stream.as_fd(), PollFlags::POLLIN)];
    assert_eq!(poll(&mut fds, PollTimeout::from(5_000u16)).unwrap(), 1);
    let note = recv_now(&a.stream).unwrap();
    assert_eq!((note.len(), note[0].0.seq), (1, seq));

    // A dump's first part is readable at the token; the rest follows.
    let dump = flow_dump_request(ctl);
    assert_eq!(a.send(&dump), 0);
    let first = recv_now(&a.stream).expect("the first part is there");
    let mut flows = first.iter().filter(|(h, _)| h.msg_type == family).count();
    let mut done = first.iter().any(|(h, _)| h.msg_type == NLMSG_DONE);
    while !done {
        let mut buf = vec![0u8; 1 << 17];
        let n = a.stream.read(&mut buf).unwrap();
        for m in messages(&buf[..n]) {
            let m = m.unwrap();
            flows += usize::from(m.header.msg_type == family);
            done |= m.header.msg_type == NLMSG_DONE;
        }
    }
    assert_eq!(flows, 1 + 10 + 1);
    d.stop();
}

/// An attached client that does not read its notifications is told, at
/// the point where they were dropped, with an `NLMSG_OVERRUN` datagram
/// (its adapter's ENOBUFS).
#[test]
#[ignore = "needs root: hugepages, DPDK devices"]
fn t2_overrun_is_reported_where_notifications_were_dropped() {
    let (mut d, socket, flow_group) = start("t2overrun");
    let mut a = Attached::connect(&socket);
    assert_eq!(a.send(&subscribe_request(flow_group, 2)), 0);
    // Far more notifications than the daemon keeps for a client.
    let ctl = &mut d.ctl;
    const FLOWS: u16 = 12_000;
    for chunk in (0..FLOWS).collect::<Vec<_>>().chunks(50) {
        let mut batch = Vec::new();
        let mut last = 0;
        for n in chunk {
            let request = arp_flow(ctl, *n);
            last = NlMsgHeader::parse(&request).unwrap().seq;
            batch.extend_from_slice(&request);
        }
        ctl.send(&batch);
        let _ = ctl.collect(last);
    }
    let (mut notes, mut overruns) = (0, 0);
    let mut buf = vec![0u8; 1 << 17];
    loop {
        let n = match recv(a.stream.as_raw_fd(), &mut buf, MsgFlags::MSG_DONTWAIT) {
            Ok(n) => n,
            Err(nix::errno::Errno::EAGAIN) => {
                // The daemon refills the socket as it drains.
                let mut fds = [PollFd::new(a.stream.as_fd(), PollFlags::POLLIN)];
                if poll(&mut fds, PollTimeout::from(1_000u16)).unwrap() == 0 {
                    break;
                }
                continue;
            }
            Err(e) => panic!("recv: {e}"),
        };
        let ms: Vec<_> = messages(&buf[..n]).map(|m| m.unwrap().header).collect();
        assert_eq!(ms.len(), 1, "one message per datagram");
        match ms[0].msg_type {
            NLMSG_OVERRUN => overruns += 1,
            _ => notes += 1,
        }
    }
    assert!(overruns >= 1, "the overrun was reported");
    assert!(
        notes < usize::from(FLOWS) && notes > 1000,
        "some notifications were dropped, many arrived: {notes}"
    );
    d.stop();
}
