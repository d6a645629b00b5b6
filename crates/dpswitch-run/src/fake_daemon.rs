//! The adapter's logic against a stand-in for dpswitchd that follows
//! `dpswitch_proto::channel` to the letter, with what a live daemon
//! rarely shows on demand: an overrun at a chosen point, dump parts that
//! come late, a daemon that does not know the channel.

use crate::error::Errno;
use crate::options::{NETLINK_ADD_MEMBERSHIP, NETLINK_NO_ENOBUFS};
use crate::recv::{recv, Received};
use crate::send::send;
use crate::sys::fd::{self, daemon_side};
use crate::sys::user::UserBufs;
use crate::{control, open, table};
use dpswitch_proto::channel::{Token, CTRL_CMD_SUBSCRIBE};
use dpswitch_proto::consts::*;
use dpswitch_proto::frame::{frames, Header};
use std::io::IoSliceMut;
use std::os::fd::RawFd;
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;
use std::time::Duration;

const PORT_ID: u32 = 0x4242;
/// Request types the stand-in understands.
const ACK: u16 = 0x30;
const OVERRUN_THEN_ACK: u16 = 0x31;
const DUMP: u16 = 0x32;

fn message(msg_type: u16, flags: u16, seq: u32, payload: &[u8]) -> Vec<u8> {
    let mut out = Header {
        len: (NLMSG_HDRLEN + payload.len()) as u32,
        msg_type,
        flags,
        seq,
        pid: PORT_ID,
    }
    .to_bytes()
    .to_vec();
    out.extend_from_slice(payload);
    while !out.len().is_multiple_of(4) {
        out.push(0);
    }
    out
}

fn ack(seq: u32, error: i32) -> Vec<u8> {
    message(
        NLMSG_ERROR,
        0,
        seq,
        &[error.to_ne_bytes(), [0; 4], [0; 4], [0; 4], [0; 4]].concat(),
    )
}

/// Serves one connection; `legacy`: answers the attach request on the
/// data socket, as a daemon without the channel does.
fn serve(listener: RawFd, legacy: bool) {
    let conn = daemon_side::accept(listener).unwrap();
    let mut buf = vec![0u8; 1 << 16];
    let (n, chan) = daemon_side::recv_with_fd(conn, &mut buf).unwrap();
    let chan = chan.expect("the attach request carries the channel");
    let (header, payload) = frames(&buf[..n]).next().unwrap();
    assert_eq!(
        (header.msg_type, payload[0]),
        (GENL_ID_CTRL, dpswitch_proto::channel::CTRL_CMD_ATTACH)
    );
    if legacy {
        fd::send(conn, &ack(header.seq, -libc::EOPNOTSUPP), 0).unwrap();
        return;
    }
    fd::send(chan, &Token::Attached { port_id: PORT_ID }.encode(), 0).unwrap();
    let mut late = Vec::new();
    loop {
        let n = match fd::recv(conn, &mut buf, 0) {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        let mut error = 0;
        for (h, payload) in frames(&buf[..n]) {
            match h.msg_type {
                GENL_ID_CTRL if payload[0] == CTRL_CMD_SUBSCRIBE => {
                    let group = u32::from_ne_bytes(payload[8..12].try_into().unwrap());
                    if group == 99 && error == 0 {
                        error = libc::EINVAL;
                    }
                }
                ACK => fd::send(conn, &ack(h.seq, 0), 0).map(drop).unwrap(),
                OVERRUN_THEN_ACK => {
                    fd::send(conn, &message(NLMSG_OVERRUN, 0, 0, &[]), 0).unwrap();
                    fd::send(conn, &ack(h.seq, 0), 0).unwrap();
                }
                DUMP => {
                    let part = [
                        message(DUMP, NLM_F_MULTI, h.seq, &[1; 40]),
                        message(DUMP, NLM_F_MULTI, h.seq, &[2; 40]),
                    ]
                    .concat();
                    fd::send(conn, &part, 0).unwrap();
                    late.push(part);
                    let mut last = message(DUMP, NLM_F_MULTI, h.seq, &[3; 40]);
                    last.extend(message(NLMSG_DONE, NLM_F_MULTI, h.seq, &0i32.to_ne_bytes()));
                    late.push(last);
                }
                _ => {}
            }
        }
        fd::send(chan, &Token::Done { error }.encode(), 0).unwrap();
        // The rest of a dump comes later, as the daemon's does.
        for part in late.drain(..) {
            std::thread::sleep(Duration::from_millis(60));
            fd::send(conn, &part, 0).unwrap();
        }
    }
}

struct Stand {
    path: PathBuf,
    server: Option<std::thread::JoinHandle<()>>,
}

impl Stand {
    fn start(tag: &str, legacy: bool) -> Stand {
        let dir =
            std::env::temp_dir().join(format!("dpswitch-run-fake-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("d.sock");
        let listener = daemon_side::listen(path.as_os_str().as_bytes()).unwrap();
        let server = std::thread::spawn(move || {
            serve(listener, legacy);
            fd::close(listener);
        });
        Stand {
            path,
            server: Some(server),
        }
    }

    fn open(&self) -> RawFd {
        open::open_at(libc::SOCK_RAW, self.path.as_os_str().as_bytes()).expect("attached")
    }

    fn close(mut self, sock: RawFd) {
        if let Some(chan) = table::forget(sock) {
            fd::close(chan);
        }
        fd::close(sock);
        self.server.take().unwrap().join().unwrap();
        let _ = std::fs::remove_dir_all(self.path.parent().unwrap());
    }
}

fn read(sock: RawFd, room: usize, flags: i32) -> Result<(Vec<u8>, Received), Errno> {
    let mut buf = vec![0u8; room];
    let mut slices = [IoSliceMut::new(&mut buf)];
    let got = recv(sock, &UserBufs::from_io_slices(&mut slices), flags)?;
    let copied = got.len.min(room);
    Ok((buf[..copied].to_vec(), got))
}

fn request(msg_type: u16, flags: u16, seq: u32) -> Vec<u8> {
    message(msg_type, NLM_F_REQUEST | flags, seq, &[0; 4])
}

#[test]
fn attached_sockets_answer_each_request_before_send_returns() {
    let stand = Stand::start("batch", false);
    let sock = stand.open();
    assert_eq!(control::local_addr(sock).unwrap().pid, PORT_ID);
    let chan = table::with(sock, |s| s.chan).unwrap();
    assert!(chan >= 100, "the channel sits out of the way: {chan}");
    let batch = [
        request(ACK, NLM_F_ACK, 1),
        request(ACK, NLM_F_ACK, 2),
        request(ACK, NLM_F_ACK, 3),
    ]
    .concat();
    assert_eq!(send(sock, &batch, 0, None), Ok(batch.len()));
    for seq in 1..=3 {
        let (data, got) = read(sock, 4096, libc::MSG_DONTWAIT).unwrap();
        assert_eq!(got.flags, 0);
        assert_eq!(Header::read(&data).unwrap().seq, seq);
    }
    assert_eq!(
        read(sock, 4096, libc::MSG_DONTWAIT).unwrap_err(),
        Errno::EAGAIN
    );
    // Garbage the kernel would ignore is not sent (the daemon would hang up).
    assert_eq!(send(sock, &[1, 2, 3], 0, None), Ok(3));
    // Sends elsewhere than the kernel are refused.
    let other = crate::addr::NlAddr { pid: 77, groups: 0 };
    assert_eq!(send(sock, &batch, 0, Some(other)), Err(Errno::ECONNREFUSED));
    assert_eq!(
        read(sock, 4096, libc::MSG_DONTWAIT).unwrap_err(),
        Errno::EAGAIN
    );
    stand.close(sock);
}

#[test]
fn an_overrun_is_enobufs_once_peeked_or_not_and_silent_when_asked() {
    let stand = Stand::start("overrun", false);
    let sock = stand.open();
    // Straight into a large buffer, with MSG_PEEK: ENOBUFS, consumed.
    send(sock, &request(OVERRUN_THEN_ACK, 0, 1), 0, None).unwrap();
    assert_eq!(
        read(sock, 4096, libc::MSG_DONTWAIT | libc::MSG_PEEK).unwrap_err(),
        Errno::ENOBUFS
    );
    let (data, _) = read(sock, 4096, libc::MSG_DONTWAIT).unwrap();
    assert_eq!(Header::read(&data).unwrap().seq, 1);
    // Through the adapter's buffer (a 4-byte read): the same.
    send(sock, &request(OVERRUN_THEN_ACK, 0, 2), 0, None).unwrap();
    assert_eq!(
        read(sock, 4, libc::MSG_DONTWAIT).unwrap_err(),
        Errno::ENOBUFS
    );
    let (_, got) = read(sock, 4, libc::MSG_DONTWAIT | libc::MSG_TRUNC).unwrap();
    assert_eq!((got.len, got.flags), (36, libc::MSG_TRUNC));
    // NETLINK_NO_ENOBUFS: the marker is skipped.
    control::set_option(sock, NETLINK_NO_ENOBUFS, &1i32.to_ne_bytes()).unwrap();
    send(sock, &request(OVERRUN_THEN_ACK, 0, 3), 0, None).unwrap();
    let (data, _) = read(sock, 4096, libc::MSG_DONTWAIT).unwrap();
    assert_eq!(Header::read(&data).unwrap().seq, 3);
    stand.close(sock);
}

#[test]
fn a_dump_read_without_waiting_waits_for_its_late_parts() {
    let stand = Stand::start("dump", false);
    let sock = stand.open();
    send(sock, &request(DUMP, NLM_F_DUMP, 9), 0, None).unwrap();
    assert!(table::with(sock, |s| s.dump_pending()).unwrap());
    // A buffer too small for any part: truncated parts still end the dump.
    let mut parts = Vec::new();
    loop {
        let (_, got) =
            read(sock, 8, libc::MSG_DONTWAIT | libc::MSG_TRUNC).expect("no EAGAIN inside a dump");
        parts.push(got);
        if !table::with(sock, |s| s.dump_pending()).unwrap() {
            break;
        }
    }
    assert_eq!(parts.len(), 3, "{parts:?}");
    assert!(parts
        .iter()
        .all(|p| p.flags == libc::MSG_TRUNC && p.len > 8));
    assert_eq!(
        read(sock, 4096, libc::MSG_DONTWAIT).unwrap_err(),
        Errno::EAGAIN
    );
    stand.close(sock);
}

#[test]
fn memberships_carry_the_daemons_answer() {
    let stand = Stand::start("groups", false);
    let sock = stand.open();
    control::set_option(sock, NETLINK_ADD_MEMBERSHIP, &4u32.to_ne_bytes()).unwrap();
    assert_eq!(control::local_addr(sock).unwrap().groups, 1 << 3);
    assert_eq!(
        control::set_option(sock, NETLINK_ADD_MEMBERSHIP, &99u32.to_ne_bytes()),
        Err(Errno::EINVAL)
    );
    control::bind(
        sock,
        &crate::addr::NlAddr {
            pid: 0,
            groups: 1 << 1,
        }
        .encode(),
    )
    .unwrap();
    assert_eq!(control::local_addr(sock).unwrap().groups, 1 << 1);
    // No replies were queued by any of it.
    assert_eq!(
        read(sock, 4096, libc::MSG_DONTWAIT).unwrap_err(),
        Errno::EAGAIN
    );
    stand.close(sock);
}

#[test]
fn a_daemon_without_the_channel_or_no_daemon_fails_socket() {
    let stand = Stand::start("legacy", true);
    assert_eq!(
        open::open_at(libc::SOCK_RAW, stand.path.as_os_str().as_bytes()),
        Err(Errno::EOPNOTSUPP)
    );
    stand.server.unwrap().join().unwrap();
    assert_eq!(
        open::open_at(libc::SOCK_RAW, b"/nonexistent/dpswitch.sock"),
        Err(Errno::ENOENT)
    );
    assert_eq!(
        open::open_at(libc::SOCK_STREAM, b"/x"),
        Err(Errno::ESOCKTNOSUPPORT)
    );
}

#[test]
fn names_and_options_are_the_netlink_sockets() {
    let stand = Stand::start("names", false);
    let sock = stand.open();
    let kernel = crate::addr::NlAddr::default();
    assert_eq!(control::peer_addr(sock), Ok(kernel));
    control::connect(sock, &crate::addr::NlAddr { pid: 5, groups: 0 }.encode()).unwrap();
    assert_eq!(
        send(sock, &request(ACK, 0, 1), 0, None),
        Err(Errno::ECONNREFUSED)
    );
    control::connect(sock, &(libc::AF_UNSPEC as u16).to_ne_bytes()).unwrap();
    assert_eq!(control::peer_addr(sock), Ok(kernel));
    assert_eq!(
        control::socket_option(sock, libc::SO_TYPE),
        Some(libc::SOCK_RAW)
    );
    assert_eq!(
        control::socket_option(sock, libc::SO_PROTOCOL),
        Some(libc::NETLINK_GENERIC)
    );
    assert_eq!(control::socket_option(sock, libc::SO_RCVBUF), None);
    assert_eq!(
        control::get_option(sock, NETLINK_NO_ENOBUFS, 4),
        Ok(0i32.to_ne_bytes().to_vec())
    );
    control::set_option(sock, NETLINK_NO_ENOBUFS, &1i32.to_ne_bytes()).unwrap();
    assert_eq!(
        control::get_option(sock, NETLINK_NO_ENOBUFS, 4),
        Ok(1i32.to_ne_bytes().to_vec())
    );
    stand.close(sock);
}
