//! The client against a scripted daemon on the other end of a socketpair.

use super::*;
use dpswitch_proto::netlink::consts::*;
use dpswitch_proto::netlink::msg::{
    encode_ack, encode_done, encode_error, encode_message, messages,
};
use dpswitch_proto::netlink::{GenlHeader, GenlMessage, NlMsgHeader, RawMessage};
use nix::errno::Errno;
use nix::sys::socket::{recv, send, socketpair, AddressFamily, MsgFlags, SockFlag, SockType};
use std::os::fd::{AsRawFd, OwnedFd};
use std::thread::JoinHandle;

const PORT: u32 = 4711;

/// The daemon's end: whole datagrams in and out.
struct Fake {
    fd: OwnedFd,
}

impl Fake {
    /// One datagram's requests, each as its whole bytes.
    fn recv_requests(&self) -> Vec<Vec<u8>> {
        let mut buf = vec![0u8; 1 << 20];
        let len = recv(self.fd.as_raw_fd(), &mut buf, MsgFlags::empty()).unwrap();
        let buf = &buf[..len];
        let mut out = Vec::new();
        let mut at = 0;
        for m in messages(buf) {
            let m = m.unwrap();
            let end = at + m.header.len as usize;
            out.push(buf[at..end].to_vec());
            at = (end + 3) & !3;
        }
        out
    }

    fn send(&self, datagram: &[u8]) {
        send(self.fd.as_raw_fd(), datagram, MsgFlags::empty()).unwrap();
    }
}

fn raw(bytes: &[u8]) -> RawMessage<'_> {
    RawMessage::parse(bytes).unwrap().0
}

fn with_daemon(script: impl FnOnce(Fake) + Send + 'static) -> (Client, JoinHandle<()>) {
    let (ours, theirs) = socketpair(
        AddressFamily::Unix,
        SockType::SeqPacket,
        None,
        SockFlag::SOCK_CLOEXEC,
    )
    .unwrap();
    let daemon = std::thread::spawn(move || script(Fake { fd: theirs }));
    (Client::from_fd(ours), daemon)
}

/// A generic netlink message as the daemon sends it.
fn genl_msg(msg_type: u16, flags: u16, seq: u32, pid: u32, cmd: u8, attrs: &[u8]) -> Vec<u8> {
    GenlMessage {
        header: NlMsgHeader {
            len: 0,
            msg_type,
            flags,
            seq,
            pid,
        },
        genl: GenlHeader {
            cmd,
            version: 1,
            reserved: 0,
        },
        payload: attrs,
    }
    .encode()
    .unwrap()
}

fn flow_family_reply(seq: u32) -> Vec<u8> {
    let mut w = AttrWriter::new();
    w.put_u16(CTRL_ATTR_FAMILY_ID, 0x22);
    w.put(CTRL_ATTR_FAMILY_NAME, b"ovs_flow\0");
    w.put_u32(CTRL_ATTR_VERSION, 1);
    w.put_u32(CTRL_ATTR_HDRSIZE, 4);
    w.put_u32(CTRL_ATTR_MAXATTR, 11);
    let groups = w.begin_nested(CTRL_ATTR_MCAST_GROUPS);
    let group = w.begin_nested(1);
    w.put(CTRL_ATTR_MCAST_GRP_NAME, b"ovs_flow\0");
    w.put_u32(CTRL_ATTR_MCAST_GRP_ID, 4);
    w.end_nested(group);
    w.end_nested(groups);
    genl_msg(GENL_ID_CTRL, 0, seq, PORT, CTRL_CMD_NEWFAMILY, w.as_bytes())
}

use dpswitch_proto::netlink::AttrWriter;

#[test]
fn family_request_bytes_and_reply_are_read() {
    let (mut client, daemon) = with_daemon(|d| {
        let reqs = d.recv_requests();
        assert_eq!(reqs.len(), 1);
        let req = raw(&reqs[0]);
        assert_eq!(req.header.msg_type, GENL_ID_CTRL);
        assert_eq!(req.header.flags, NLM_F_REQUEST | NLM_F_ACK);
        assert_eq!(req.header.seq, 1);
        // genl header, then CTRL_ATTR_FAMILY_NAME "ovs_flow\0" padded.
        assert_eq!(
            req.payload,
            [
                &[CTRL_CMD_GETFAMILY, 1, 0, 0][..],
                &[13, 0, 2, 0],
                b"ovs_flow\0",
                &[0, 0, 0]
            ]
            .concat()
        );
        d.send(&[flow_family_reply(1), encode_ack(PORT, &req)].concat());
        // Resolved once: the next request is the subscription.
        let reqs = d.recv_requests();
        let req = raw(&reqs[0]);
        assert_eq!(
            req.payload,
            [
                &[DPSWITCH_CTRL_CMD_SUBSCRIBE, 1, 0, 0][..],
                &[8, 0, 2, 0],
                &4u32.to_ne_bytes()
            ]
            .concat()
        );
        d.send(&encode_ack(PORT, &req));
    });
    assert_eq!(client.port_id(), None);
    let family = client.family("ovs_flow").unwrap();
    assert_eq!(family.id, 0x22);
    assert_eq!((family.version, family.hdrsize, family.maxattr), (1, 4, 11));
    assert_eq!(family.group("ovs_flow"), Some(4));
    assert_eq!(family.group("ovs_vport"), None);
    assert_eq!(client.port_id(), Some(PORT));
    assert_eq!(client.subscribe_to("ovs_flow", "ovs_flow").unwrap(), 4);
    assert_eq!(client.outstanding(), 0);
    daemon.join().unwrap();
}

#[test]
fn errors_carry_errno_and_the_daemons_message() {
    let text = "Flow key attr not present in new flow.";
    let (mut client, daemon) = with_daemon(move |d| {
        for capped in [false, true] {
            let reqs = d.recv_requests();
            let req = raw(&reqs[0]);
            let mut reply = encode_error(PORT, &req, Some(Errno::EINVAL), !capped);
            let mut w = AttrWriter::new();
            w.put(1, &[text.as_bytes(), b"\0"].concat());
            reply.extend_from_slice(w.as_bytes());
            let len = reply.len() as u32;
            reply[..4].copy_from_slice(&len.to_ne_bytes());
            let flags = u16::from_ne_bytes([reply[6], reply[7]]) | NLM_F_ACK_TLVS;
            reply[6..8].copy_from_slice(&flags.to_ne_bytes());
            d.send(&reply);
        }
        // Without extended ack: the errno alone.
        let reqs = d.recv_requests();
        d.send(&encode_error(
            PORT,
            &raw(&reqs[0]),
            Some(Errno::EEXIST),
            true,
        ));
    });
    let req = Request::ovs(0x22, OVS_FLOW_CMD_NEW, 1, 3, &[4, 0, 8, 0]);
    for _ in 0..2 {
        let e = client.request(&req).unwrap_err();
        assert_eq!(e, ClientError::new(Errno::EINVAL, text));
        assert_eq!(e.to_string(), format!("EINVAL (Invalid argument): {text}"));
    }
    let e = client.request(&req).unwrap_err();
    assert_eq!(e, ClientError::new(Errno::EEXIST, ""));
    daemon.join().unwrap();
}

/// A flow reply of a dump, numbered `seq`, carrying `n` as its UFID.
fn dump_part(seq: u32, n: u32) -> Vec<u8> {
    let mut w = AttrWriter::new();
    w.put_u32(OVS_FLOW_ATTR_UFID, n);
    let mut attrs = 7i32.to_ne_bytes().to_vec();
    attrs.extend_from_slice(w.as_bytes());
    genl_msg(0x22, NLM_F_MULTI, seq, PORT, OVS_FLOW_CMD_NEW, &attrs)
}

fn ufid_of(msg: &Message) -> u32 {
    let ovs = msg.ovs().unwrap();
    u32::from_ne_bytes(ovs.attrs[4..8].try_into().unwrap())
}

#[test]
fn dumps_span_several_datagrams_until_done() {
    let (mut client, daemon) = with_daemon(|d| {
        let reqs = d.recv_requests();
        let req = raw(&reqs[0]);
        assert_eq!(req.header.flags, NLM_F_REQUEST | NLM_F_DUMP);
        let seq = req.header.seq;
        // 3 + 1 + 2 parts in three datagrams, then DONE alone.
        d.send(&[dump_part(seq, 0), dump_part(seq, 1), dump_part(seq, 2)].concat());
        d.send(&dump_part(seq, 3));
        d.send(&[dump_part(seq, 4), dump_part(seq, 5)].concat());
        d.send(&encode_done(PORT, seq, 0));
        // A dump that fails part way.
        let reqs = d.recv_requests();
        let seq = raw(&reqs[0]).header.seq;
        d.send(&[dump_part(seq, 9), encode_done(PORT, seq, -22)].concat());
        // A dump abandoned after its first reply: the rest is still read,
        // so the next request gets its own answer.
        let reqs = d.recv_requests();
        let seq = raw(&reqs[0]).header.seq;
        d.send(&dump_part(seq, 1));
        d.send(&[dump_part(seq, 2), encode_done(PORT, seq, 0)].concat());
        let reqs = d.recv_requests();
        d.send(&encode_ack(PORT, &raw(&reqs[0])));
    });
    let req = Request::ovs(0x22, OVS_FLOW_CMD_GET, 1, 7, &[]);
    let ufids: Vec<u32> = client
        .dump(&req)
        .unwrap()
        .map(|m| ufid_of(&m.unwrap()))
        .collect();
    assert_eq!(ufids, [0, 1, 2, 3, 4, 5]);

    let results: Vec<_> = client.dump(&req).unwrap().collect();
    assert_eq!(results.len(), 2);
    assert_eq!(ufid_of(results[0].as_ref().unwrap()), 9);
    assert_eq!(results[1].as_ref().unwrap_err().errno, Errno::EINVAL);

    let first = client.dump(&req).unwrap().next().unwrap().unwrap();
    assert_eq!(ufid_of(&first), 1);
    assert_eq!(client.request(&req).unwrap(), vec![]);
    assert_eq!(client.outstanding(), 0);
    daemon.join().unwrap();
}

#[test]
fn notifications_are_kept_apart_from_replies() {
    let (mut client, daemon) = with_daemon(|d| {
        let reqs = d.recv_requests();
        d.send(&encode_ack(PORT, &raw(&reqs[0])));
        let reqs = d.recv_requests();
        let req = raw(&reqs[0]);
        let seq = req.header.seq;
        // Another connection's change, with the same sequence number, comes
        // before this request's reply and ack.
        let notification = genl_msg(0x22, 0, seq, 99, OVS_FLOW_CMD_DEL, &7i32.to_ne_bytes());
        let reply = genl_msg(0x22, 0, seq, PORT, OVS_FLOW_CMD_NEW, &7i32.to_ne_bytes());
        d.send(&[notification, reply, encode_ack(PORT, &req)].concat());
        let later = genl_msg(0x22, 0, 1234, 98, OVS_FLOW_CMD_SET, &7i32.to_ne_bytes());
        d.send(&later);
    });
    // The subscription's ack tells the client its port id.
    client.subscribe(4).unwrap();
    assert_eq!(client.port_id(), Some(PORT));
    let req = Request::ovs(0x22, OVS_FLOW_CMD_GET, 1, 7, &[]);
    let replies = client.request(&req).unwrap();
    assert_eq!(replies.len(), 1);
    assert_eq!(replies[0].header.pid, PORT);
    assert_eq!(replies[0].genl().unwrap().genl.cmd, OVS_FLOW_CMD_NEW);
    let first = client.recv_notification().unwrap();
    assert_eq!(
        (first.header.pid, first.genl().unwrap().genl.cmd),
        (99, OVS_FLOW_CMD_DEL)
    );
    let second = client.recv_notification().unwrap();
    assert_eq!(
        (second.header.pid, second.genl().unwrap().genl.cmd),
        (98, OVS_FLOW_CMD_SET)
    );
    daemon.join().unwrap();
    // The daemon is gone: no more notifications, and the reason says so.
    let e = client.recv_notification().unwrap_err();
    assert_eq!(e.errno, Errno::ECONNRESET);
    assert_eq!(
        client
            .recv_notification_timeout(Duration::from_millis(10))
            .unwrap_err()
            .errno,
        Errno::ECONNRESET
    );
}

#[test]
fn a_quiet_group_times_out() {
    let (mut client, daemon) = with_daemon(|d| {
        let reqs = d.recv_requests();
        d.send(&encode_ack(PORT, &raw(&reqs[0])));
        // Stay connected until the client is done.
        let _ = d.recv_requests();
    });
    client.subscribe(4).unwrap();
    let start = std::time::Instant::now();
    assert_eq!(
        client
            .recv_notification_timeout(Duration::from_millis(50))
            .unwrap(),
        None
    );
    assert!(start.elapsed() >= Duration::from_millis(50));
    drop(client);
    daemon.join().unwrap();
}

/// The daemon's side of pipelining: it answers every request of a
/// datagram, one datagram per answer, blocking while the client does not
/// read, and only then reads the next datagram.
fn ack_each(d: Fake, total: usize, fail_every: usize) {
    let mut seen = 0;
    while seen < total {
        for bytes in d.recv_requests() {
            let req = raw(&bytes);
            assert_eq!(req.header.seq as usize, seen + 1, "in order");
            let errno = (seen % fail_every == fail_every - 1).then_some(Errno::EEXIST);
            d.send(&encode_error(PORT, &req, errno, false));
            seen += 1;
        }
    }
}

#[test]
fn pipelined_requests_never_deadlock_and_answer_by_sequence() {
    const TOTAL: usize = 20_000;
    let (mut client, daemon) = with_daemon(|d| ack_each(d, TOTAL, 1000));
    // About 100 bytes each: 2 MB each way, far more than the socket
    // buffers hold, so the client must read while it sends.
    let req = Request::ovs(0x22, OVS_FLOW_CMD_NEW, 1, 7, &[0u8; 80]).with_flags(NLM_F_CREATE);
    let seqs: Vec<u32> = (0..TOTAL).map(|_| client.submit(&req).unwrap()).collect();
    assert_eq!(seqs.first(), Some(&1));
    // Answers are kept until collected, in any order.
    let last = client.collect(seqs[TOTAL - 1]).unwrap_err();
    assert_eq!(last.errno, Errno::EEXIST);
    let mut failed = Vec::new();
    for (i, seq) in seqs[..TOTAL - 1].iter().enumerate().rev() {
        match client.collect(*seq) {
            Ok(replies) => assert!(replies.is_empty()),
            Err(e) => {
                assert_eq!(e.errno, Errno::EEXIST);
                failed.push(i);
            }
        }
    }
    failed.reverse();
    let expected: Vec<usize> = (0..TOTAL - 1).filter(|i| i % 1000 == 999).collect();
    assert_eq!(failed, expected);
    assert_eq!(client.outstanding(), 0);
    assert_eq!(client.collect(seqs[0]).unwrap_err().errno, Errno::EINVAL);
    daemon.join().unwrap();
}

#[test]
fn submitted_requests_share_datagrams() {
    let (mut client, daemon) = with_daemon(|d| {
        let reqs = d.recv_requests();
        assert!(
            reqs.len() > 100,
            "{} requests in the first datagram",
            reqs.len()
        );
        let total: usize = reqs.iter().map(Vec::len).sum();
        assert!(total <= BATCH_BYTES, "{total} bytes");
        let acks: Vec<u8> = reqs
            .iter()
            .flat_map(|r| encode_ack(PORT, &raw(r)))
            .collect();
        d.send(&acks);
        let reqs = d.recv_requests();
        let acks: Vec<u8> = reqs
            .iter()
            .flat_map(|r| encode_ack(PORT, &raw(r)))
            .collect();
        d.send(&acks);
    });
    let req = Request::ovs(0x22, OVS_FLOW_CMD_DEL, 1, 7, &[0u8; 40]);
    let per_batch = BATCH_BYTES / req.wire_len();
    let seqs: Vec<u32> = (0..per_batch + 10)
        .map(|_| client.submit(&req).unwrap())
        .collect();
    for seq in seqs {
        assert_eq!(client.collect(seq).unwrap(), vec![]);
    }
    daemon.join().unwrap();
}

#[test]
fn unframeable_replies_are_protocol_errors() {
    let (mut client, daemon) = with_daemon(|d| {
        let reqs = d.recv_requests();
        let mut ack = encode_ack(PORT, &raw(&reqs[0]));
        ack[..4].copy_from_slice(&400u32.to_ne_bytes());
        d.send(&ack);
    });
    let e = client
        .request(&Request::genl(GENL_ID_CTRL, 3, 2, vec![]))
        .unwrap_err();
    assert_eq!(e.errno, Errno::EPROTO);
    assert!(e.message.contains("unframeable"), "{e}");
    daemon.join().unwrap();
}

/// The notice dpswitchd sends a connection it refuses or reclaims.
fn closing_notice(text: &str) -> Vec<u8> {
    let mut header = [0u8; NLMSG_HDRLEN];
    header[..4].copy_from_slice(&(NLMSG_HDRLEN as u32).to_ne_bytes());
    let request = raw(&header);
    dpswitch_proto::netlink::msg::encode_error_with_message(
        0,
        &request,
        Some(Errno::EUSERS),
        false,
        Some(text),
    )
}

#[test]
fn a_refused_connection_reports_the_daemons_reason() {
    let (mut client, daemon) = with_daemon(|d| {
        // Closed before the request comes: the send fails with EPIPE, and
        // the notice waits unread behind it.
        d.send(&closing_notice(
            "dpswitchd: too many connections from uid 7 (limit 4)",
        ));
    });
    daemon.join().unwrap();
    let e = client
        .request(&Request::genl(GENL_ID_CTRL, 3, 2, vec![]))
        .unwrap_err();
    assert_eq!(e.errno, Errno::EUSERS);
    assert_eq!(
        e.to_string(),
        "EUSERS (Too many users): dpswitchd: too many connections from uid 7 (limit 4)"
    );
}

#[test]
fn a_reclaimed_connection_reports_why_while_waiting() {
    let (mut client, daemon) = with_daemon(|d| {
        let _ = d.recv_requests();
        d.send(&closing_notice("dpswitchd: closing this connection"));
    });
    let e = client
        .request(&Request::genl(GENL_ID_CTRL, 3, 2, vec![]))
        .unwrap_err();
    daemon.join().unwrap();
    assert_eq!(
        (e.errno, e.message.as_str()),
        (Errno::EUSERS, "dpswitchd: closing this connection")
    );
}

#[test]
fn connecting_to_nothing_names_the_path() {
    let e = match Client::connect("/nonexistent/dpswitch.sock") {
        Err(e) => e,
        Ok(_) => panic!("connected to nothing"),
    };
    assert_eq!(e.errno, Errno::ENOENT);
    assert_eq!(
        e.to_string(),
        "ENOENT (No such file or directory): connecting to /nonexistent/dpswitch.sock"
    );
}

#[test]
fn message_views() {
    let bytes = encode_message(
        &NlMsgHeader {
            msg_type: 0x22,
            seq: 5,
            ..Default::default()
        },
        &[1, 1, 0, 0, 9, 0, 0, 0],
    )
    .unwrap();
    let msg = Message::copy_of(&raw(&bytes));
    assert_eq!(msg.ovs().unwrap().dp_ifindex, 9);
    assert_eq!(msg.genl().unwrap().genl.cmd, 1);
}

/// A family reply without multicast groups.
fn family_reply(seq: u32, id: u16, name: &str) -> Vec<u8> {
    let mut w = AttrWriter::new();
    w.put_u16(CTRL_ATTR_FAMILY_ID, id);
    w.put(CTRL_ATTR_FAMILY_NAME, &[name.as_bytes(), b"\0"].concat());
    genl_msg(GENL_ID_CTRL, 0, seq, PORT, CTRL_CMD_NEWFAMILY, w.as_bytes())
}

/// Answers a family request for `name` with `id`.
fn answer_family(d: &Fake, name: &str, id: u16) {
    let reqs = d.recv_requests();
    let req = raw(&reqs[0]);
    assert!(
        req.payload
            .windows(name.len())
            .any(|w| w == name.as_bytes()),
        "a request for {name}"
    );
    let seq = req.header.seq;
    d.send(&[family_reply(seq, id, name), encode_ack(PORT, &req)].concat());
}

fn miss_message(packet: &[u8], key: &[dpswitch_proto::flow::odp::KeyAttr]) -> Vec<u8> {
    let mut w = AttrWriter::new();
    w.put(OVS_PACKET_ATTR_PACKET, packet);
    let nest = w.begin_nested(OVS_PACKET_ATTR_KEY);
    dpswitch_proto::netlink::key::encode_key_into(&mut w, key);
    w.end_nested(nest);
    let attrs = [&7i32.to_ne_bytes()[..], w.as_bytes()].concat();
    genl_msg(0x23, 0, 0, 0, OVS_PACKET_CMD_MISS, &attrs)
}

#[test]
fn upcall_handling_registers_reads_misses_and_executes() {
    use dpswitch_proto::flow::odp::{Action, EthernetKey, KeyAttr};
    let key = vec![
        KeyAttr::InPort(2),
        KeyAttr::Ethernet(EthernetKey {
            src: [2, 0, 0, 0, 0, 1],
            dst: [0xff; 6],
        }),
        KeyAttr::EthType(0x88b5),
    ];
    let frame: Vec<u8> = [&[0xff; 6][..], &[2, 0, 0, 0, 0, 1], &[0x88, 0xb5, 1, 2]].concat();
    let (sent_key, sent_frame) = (key.clone(), frame.clone());
    let (mut client, daemon) = with_daemon(move |d| {
        answer_family(&d, "ovs_vport", 0x21);
        // The port's handler is the connection's own port id.
        let reqs = d.recv_requests();
        let req = raw(&reqs[0]);
        assert_eq!(req.header.msg_type, 0x21);
        assert_eq!(req.header.flags, NLM_F_REQUEST | NLM_F_ACK);
        let mut expected = vec![OVS_VPORT_CMD_SET, OVS_VPORT_VERSION, 0, 0];
        expected.extend(7i32.to_ne_bytes());
        expected.extend([8, 0, 1, 0]);
        expected.extend(2u32.to_ne_bytes());
        expected.extend([8, 0, 5, 0]);
        expected.extend(PORT.to_ne_bytes());
        assert_eq!(req.payload, expected);
        // A miss overtakes the ack.
        let miss = miss_message(&sent_frame, &sent_key);
        d.send(&[miss, encode_ack(PORT, &req)].concat());

        answer_family(&d, "ovs_packet", 0x23);
        let reqs = d.recv_requests();
        let req = raw(&reqs[0]);
        assert_eq!(req.header.msg_type, 0x23);
        let ovs = req.ovs().unwrap();
        assert_eq!(
            (ovs.genl.cmd, ovs.genl.version, ovs.dp_ifindex),
            (OVS_PACKET_CMD_EXECUTE, OVS_PACKET_VERSION, 7)
        );
        let attrs: Vec<_> = dpswitch_proto::netlink::attr::attrs_lenient(ovs.attrs).collect();
        assert_eq!(attrs.len(), 3);
        assert_eq!(
            (attrs[0].kind(), attrs[0].payload()),
            (OVS_PACKET_ATTR_PACKET, &sent_frame[..])
        );
        assert_eq!(attrs[1].kind(), OVS_PACKET_ATTR_KEY);
        assert_eq!(
            dpswitch_proto::netlink::decode_key(attrs[1].payload()).unwrap(),
            sent_key
        );
        assert_eq!(attrs[2].kind(), OVS_PACKET_ATTR_ACTIONS);
        assert_eq!(
            dpswitch_proto::netlink::decode_actions(attrs[2].payload()).unwrap(),
            vec![Action::Output(1), Action::Output(3)]
        );
        d.send(&encode_ack(PORT, &req));

        // Removing the handler sends port id 0.
        let reqs = d.recv_requests();
        let req = raw(&reqs[0]);
        assert_eq!(&req.payload[req.payload.len() - 8..][..4], &[8, 0, 5, 0]);
        assert_eq!(&req.payload[req.payload.len() - 4..], &0u32.to_ne_bytes());
        d.send(&encode_ack(PORT, &req));
    });
    client.handle_upcalls(7, 2, true).unwrap();
    let msg = client
        .recv_notification_timeout(Duration::from_millis(100))
        .unwrap()
        .expect("the miss");
    assert_eq!(msg.header.msg_type, 0x23);
    let upcall = Upcall::parse(&msg).unwrap();
    assert_eq!(
        upcall,
        Upcall {
            cmd: OVS_PACKET_CMD_MISS,
            dp_ifindex: 7,
            packet: frame.clone(),
            key: key.clone(),
            userdata: None,
        }
    );
    assert_eq!(upcall.in_port(), Some(2));
    client
        .execute(7, &frame, &key, &[Action::Output(1), Action::Output(3)])
        .unwrap();
    client.handle_upcalls(7, 2, false).unwrap();
    daemon.join().unwrap();
}

#[test]
fn upcalls_without_packet_or_key_are_protocol_errors() {
    let only_packet = {
        let mut w = AttrWriter::new();
        w.put(OVS_PACKET_ATTR_PACKET, &[0; 14]);
        [&1i32.to_ne_bytes()[..], w.as_bytes()].concat()
    };
    let bytes = genl_msg(0x23, 0, 0, 0, OVS_PACKET_CMD_MISS, &only_packet);
    let e = Upcall::parse(&Message::copy_of(&raw(&bytes))).unwrap_err();
    assert_eq!(e.errno, Errno::EPROTO);
    assert!(e.message.contains("no key"), "{e}");

    let mut w = AttrWriter::new();
    w.put(OVS_PACKET_ATTR_USERDATA, b"cookie");
    let nest = w.begin_nested(OVS_PACKET_ATTR_KEY);
    w.put_u32(OVS_KEY_ATTR_IN_PORT, 4);
    w.end_nested(nest);
    w.put(OVS_PACKET_ATTR_PACKET, &[1; 20]);
    let attrs = [&1i32.to_ne_bytes()[..], w.as_bytes()].concat();
    let bytes = genl_msg(0x23, 0, 0, 0, OVS_PACKET_CMD_ACTION, &attrs);
    let upcall = Upcall::parse(&Message::copy_of(&raw(&bytes))).unwrap();
    assert_eq!(upcall.cmd, OVS_PACKET_CMD_ACTION);
    assert_eq!(upcall.userdata.as_deref(), Some(&b"cookie"[..]));
    assert_eq!(upcall.in_port(), Some(4));
    assert_eq!(upcall.packet, vec![1; 20]);
}
