//! The control socket server, run by the management lcore between its
//! other duties: it accepts clients, reads their requests without ever
//! blocking, runs them one at a time, and sends replies only once the
//! change they report is what every PMD lcore sees.

use super::access::{peer_of, Peer};
use super::admission::Limits;
use super::conn::{Connection, FlowDump, DATAGRAM_MAX, NOTIFY_LIMIT_BYTES};
use super::counters::ControlCounters;
use super::dp_cmd::{self, DatapathInfo, ReplyTo};
use super::families::{self, *};
use super::flow_cmd::{self, FlowContext, KeyScratch};
use super::flow_reply::{flow_message, FlowMessageHeader};
use super::listener::{Listener, ListenerError};
use super::packet_cmd;
use super::request::{CmdError, Response};
use super::stats_cmd;
use super::vport_cmd;
use crate::datapath::upcall::UpcallKind;
use crate::datapath::Switch;
use crate::event;
use crate::log::{LogLevel, RateLog, CONTROL};
use crate::netlink::consts::*;
use crate::netlink::flow::RawFlowAttrs;
use crate::netlink::msg::{
    encode_done, encode_error_into, encode_error_with_message, messages, NlMsgHeader, OvsMessage,
    RawMessage,
};
use dpswitch_proto::channel::Token;
use nix::errno::Errno;
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::unistd::Gid;
use rustix::net::{recvmsg, RecvAncillaryBuffer, RecvAncillaryMessage, RecvFlags, ReturnFlags};
use std::io::IoSliceMut;
use std::mem::MaybeUninit;
use std::os::fd::{AsFd, OwnedFd};
use std::path::Path;
use std::time::{Duration, Instant};

mod admit;
mod dispatch;
mod dump;
mod packets;

/// Largest request datagram read; a longer one is refused whole (EMSGSIZE).
const RECV_BUFFER: usize = 256 * 1024;
/// Datagrams read from one connection per round, so one busy client
/// cannot starve the others or the management lcore's upkeep.
const READS_PER_ROUND: usize = 64;
/// Descriptors one request datagram may pass (the adapter passes one).
const MAX_PASSED_FDS: usize = 4;
/// Upcalls sent on per round; the rest wait in the PMDs' queues.
const UPCALLS_PER_ROUND: usize = 1024;

pub struct ServerConfig<'a> {
    pub path: &'a Path,
    pub socket_group: Option<Gid>,
    pub admin_group: Option<Gid>,
    pub datapath: DatapathInfo,
    pub limits: Limits,
}

pub struct ControlServer {
    listener: Listener,
    conns: Vec<Connection>,
    next_port_id: u32,
    admin_group: Option<Gid>,
    dp: DatapathInfo,
    log: RateLog,
    buf: Vec<u8>,
    /// Descriptors the datagram being run carried (`SCM_RIGHTS`).
    passed_fds: Vec<OwnedFd>,
    /// The errno of the first message the datagram being run had refused.
    datagram_error: Option<Errno>,
    limits: Limits,
    counters: ControlCounters,
    /// The decoded key and mask of the flow request being run.
    key_scratch: KeyScratch,
}

/// What one request asked of the round it was read in.
#[derive(Default)]
struct RoundState {
    needs_sync: bool,
}

impl ControlServer {
    pub fn bind(config: ServerConfig<'_>) -> Result<ControlServer, ListenerError> {
        let listener = Listener::bind(config.path, config.socket_group)?;
        Ok(ControlServer {
            listener,
            conns: Vec::new(),
            next_port_id: 1,
            admin_group: config.admin_group,
            dp: config.datapath,
            log: RateLog::new(100, Duration::from_secs(1), |n| {
                format!("{n} message(s) suppressed")
            }),
            buf: vec![0; RECV_BUFFER],
            passed_fds: Vec::new(),
            datagram_error: None,
            limits: config.limits,
            counters: ControlCounters::default(),
            key_scratch: KeyScratch::default(),
        })
    }

    pub fn path(&self) -> &Path {
        self.listener.path()
    }

    /// What the socket dropped so far, for the stats and the exit report.
    pub fn counters(&self) -> ControlCounters {
        self.counters
    }

    /// Waits up to `timeout` for clients, then serves everything that is
    /// ready.
    pub fn serve(&mut self, switch: &mut Switch, timeout: Duration) {
        let (listener_ready, ready) = self.wait(timeout);
        if listener_ready {
            self.accept();
        }
        let mut round = RoundState::default();
        for index in ready {
            self.read_requests(index, switch, &mut round);
        }
        if round.needs_sync {
            switch.table().synchronize();
        }
        self.deliver_upcalls(switch);
        for index in 0..self.conns.len() {
            self.continue_dump(index, switch.table());
            self.conns[index].flush();
        }
        // A handler that hung up handles nothing: its ports' misses are
        // lost in the PMDs from now on, not carried up for nobody.
        for conn in self.conns.iter().filter(|c| c.dead) {
            switch.drop_upcall_handler(conn.port_id);
            log_drops(&mut self.log, conn);
            log_closed(conn);
        }
        self.conns.retain(|c| !c.dead);
        self.log.flush(&CONTROL, LogLevel::Info);
    }

    /// Polls the listener and the connections; returns whether the
    /// listener has clients waiting and which connections to read.
    fn wait(&mut self, timeout: Duration) -> (bool, Vec<usize>) {
        // A dump part can be produced without waiting for anything.
        let busy = self
            .conns
            .iter()
            .any(|c| c.dump.is_some() && !c.has_output());
        let timeout = if busy { Duration::ZERO } else { timeout };
        let mut fds = Vec::with_capacity(self.conns.len() + 1);
        fds.push(PollFd::new(self.listener.socket.as_fd(), PollFlags::POLLIN));
        for c in &self.conns {
            let mut events = PollFlags::empty();
            if c.wants_requests() {
                events |= PollFlags::POLLIN;
            }
            if c.has_output() {
                events |= PollFlags::POLLOUT;
            }
            fds.push(PollFd::new(c.stream.as_fd(), events));
        }
        let millis = u16::try_from(timeout.as_millis()).unwrap_or(u16::MAX);
        if poll(&mut fds, PollTimeout::from(millis)).is_err() {
            return (false, Vec::new());
        }
        let revents: Vec<PollFlags> = fds
            .iter()
            .map(|f| f.revents().unwrap_or(PollFlags::empty()))
            .collect();
        let listener_ready = revents[0].contains(PollFlags::POLLIN);
        let mut ready = Vec::new();
        for (index, ev) in revents[1..].iter().enumerate() {
            if ev.intersects(PollFlags::POLLIN | PollFlags::POLLHUP | PollFlags::POLLERR) {
                ready.push(index);
            }
        }
        (listener_ready, ready)
    }

    /// Reads and runs the datagrams waiting on one connection.
    fn read_requests(&mut self, index: usize, switch: &mut Switch, round: &mut RoundState) {
        let mut buf = std::mem::take(&mut self.buf);
        for _ in 0..READS_PER_ROUND {
            if !self.conns[index].wants_requests() {
                break;
            }
            let mut iov = [IoSliceMut::new(&mut buf)];
            let mut space = [MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(MAX_PASSED_FDS))];
            let mut cmsg = RecvAncillaryBuffer::new(&mut space);
            let flags = RecvFlags::DONTWAIT | RecvFlags::CMSG_CLOEXEC;
            let received = recvmsg(&self.conns[index].stream, &mut iov, &mut cmsg, flags);
            let (len, truncated) = match received {
                Ok(r) if r.bytes == 0 => {
                    self.conns[index].dead = true;
                    break;
                }
                Ok(r) => {
                    self.conns[index].active_at = Instant::now();
                    self.passed_fds.clear();
                    for c in cmsg.drain() {
                        if let RecvAncillaryMessage::ScmRights(fds) = c {
                            self.passed_fds.extend(fds);
                        }
                    }
                    (r.bytes, r.flags.contains(ReturnFlags::TRUNC))
                }
                Err(rustix::io::Errno::AGAIN) => break,
                Err(rustix::io::Errno::INTR) => continue,
                Err(_) => {
                    self.conns[index].dead = true;
                    break;
                }
            };
            self.run_datagram(index, &buf[..len], truncated, switch, round);
        }
        self.buf = buf;
    }

    /// Runs every message of one datagram, in order.
    fn run_datagram(
        &mut self,
        index: usize,
        datagram: &[u8],
        truncated: bool,
        switch: &mut Switch,
        round: &mut RoundState,
    ) {
        let attached = self.conns[index].channel.is_some();
        self.datagram_error = None;
        if truncated {
            self.datagram_error = Some(Errno::EMSGSIZE);
            self.refuse_oversized(index, datagram);
        } else {
            for item in messages(datagram) {
                match item {
                    Ok(message) => self.run_message(index, &message, switch, round),
                    Err(e) => {
                        // The stream cannot be framed any further (A2).
                        let who = Who::of(&self.conns[index]);
                        self.log.log(&CONTROL, LogLevel::Notice, || {
                            format!("{who}: closing it: {e}")
                        });
                        self.conns[index].closing = true;
                        break;
                    }
                }
            }
        }
        // Descriptors no command took are closed here.
        self.passed_fds.clear();
        if attached {
            // The adapter's `sendmsg` returns when this arrives: after the
            // replies, or after a dump's first part.
            let conn = &mut self.conns[index];
            let done = Token::Done {
                // The token carries the errno as is, 0 when none.
                error: self.datagram_error.map_or(0, |errno| errno as i32),
            };
            if conn.dump.is_some() {
                conn.token_after_part = Some(done);
            } else {
                conn.queue_token(done);
            }
        }
    }

    /// A datagram longer than the receive buffer runs not at all (A2), as
    /// the kernel fails such a send with EMSGSIZE: running the messages
    /// that fit would leave those past the cut unanswered. Its first
    /// message, whose header the buffer holds, gets the error.
    fn refuse_oversized(&mut self, index: usize, datagram: &[u8]) {
        let conn = &mut self.conns[index];
        let who = Who::of(conn);
        self.log.log(&CONTROL, LogLevel::Info, || {
            format!("{who}: refused a request datagram larger than {RECV_BUFFER} bytes: EMSGSIZE")
        });
        if let Ok(header) = NlMsgHeader::parse(datagram) {
            let request = RawMessage {
                header,
                payload: &[],
            };
            conn.queue(encode_error_with_message(
                conn.port_id,
                &request,
                Some(Errno::EMSGSIZE),
                false,
                Some("request datagram larger than the daemon's receive buffer"),
            ));
        }
    }

    fn run_message(
        &mut self,
        index: usize,
        message: &RawMessage<'_>,
        switch: &mut Switch,
        round: &mut RoundState,
    ) {
        let header = message.header;
        // As the kernel: what is not a request, or a control message, is
        // only acknowledged when asked.
        if header.flags & NLM_F_REQUEST == 0 || header.msg_type < NLMSG_MIN_TYPE {
            if header.flags & NLM_F_ACK != 0 {
                self.reply_error(index, message, None, false);
            }
            return;
        }
        let peer = self.conns[index].peer;
        let result = match header.msg_type {
            GENL_ID_CTRL => self.run_ctrl(index, message),
            FAMILY_DATAPATH | FAMILY_VPORT | FAMILY_FLOW | FAMILY_PACKET => {
                self.run_ovs(index, message, &peer, switch)
            }
            FAMILY_DPSWITCH => self.run_dpswitch(index, message, &peer, switch),
            other => Err(Failure::logged(CmdError::new(
                Errno::ENOENT,
                format!("no generic netlink family {other:#x}"),
            ))),
        };
        match result {
            Ok(Some(response)) => {
                round.needs_sync |= response.needs_sync;
                self.deliver(index, message, response);
            }
            Ok(None) => {} // a dump started
            Err(failure) => {
                // Malformed requests at info, as the kernel's OVS_NLERR;
                // ordinary outcomes (no such flow, exists) at debug.
                let level = if failure.log {
                    LogLevel::Info
                } else {
                    LogLevel::Debug
                };
                let who = Who::of(&self.conns[index]);
                self.log.log(&CONTROL, level, || {
                    let error = &failure.error;
                    let text = error
                        .message
                        .as_deref()
                        .map_or(String::new(), |m| format!(": {m}"));
                    format!(
                        "{who}: {} refused: {}{text}",
                        command_name(message),
                        errno_name(error.errno)
                    )
                });
                self.datagram_error.get_or_insert(failure.error.errno);
                // An adapter's setsockopt reads the outcome of a membership
                // change in its completion token, not as a reply.
                let quiet = self.conns[index].channel.is_some() && is_membership(message);
                if !quiet {
                    self.reply_error(index, message, Some(failure.error), true);
                }
            }
        }
    }

    /// Sends a command's replies, its ack and its notification.
    fn deliver(&mut self, index: usize, message: &RawMessage<'_>, response: Response) {
        let echo = message.header.flags & NLM_F_ECHO != 0;
        let requester = self.conns[index].port_id;
        for reply in response.unicast {
            self.conns[index].queue(reply);
        }
        if message.header.flags & NLM_F_ACK != 0 {
            self.reply_error(index, message, None, false);
        }
        if let Some((group, notification)) = response.notify {
            for conn in self.conns.iter_mut() {
                // An echo already reached the requester.
                if !conn.subscribed(group) || (echo && conn.port_id == requester) {
                    continue;
                }
                if conn.pending_bytes() > NOTIFY_LIMIT_BYTES {
                    conn.notifications_dropped += 1;
                    self.counters.notifications_dropped += 1;
                    conn.mark_overrun();
                    continue;
                }
                conn.queue_with(|out| out.extend_from_slice(&notification));
            }
        }
    }

    /// `NLMSG_ERROR`: an error (with its message), or an ack when None.
    fn reply_error(
        &mut self,
        index: usize,
        message: &RawMessage<'_>,
        error: Option<CmdError>,
        echo_payload: bool,
    ) {
        let conn = &mut self.conns[index];
        let (code, text) = match &error {
            Some(e) => (Some(e.errno), e.message.as_deref()),
            None => (None, None),
        };
        let port_id = conn.port_id;
        conn.queue_with(|out| {
            encode_error_into(out, port_id, message, code, echo_payload, text);
        });
    }
}

impl Drop for ControlServer {
    fn drop(&mut self) {
        for conn in &self.conns {
            log_drops(&mut self.log, conn);
            log_closed(conn);
        }
    }
}

/// A connection closing with notifications it never got says so, once.
fn log_drops(log: &mut RateLog, conn: &Connection) {
    if conn.notifications_dropped > 0 {
        log.log(&CONTROL, LogLevel::Notice, || {
            format!(
                "{} closed with {} notification(s) dropped",
                Who::of(conn),
                conn.notifications_dropped
            )
        });
    }
}

fn log_closed(conn: &Connection) {
    event!(CONTROL, Debug, "{} closed", Who::of(conn));
}

/// A connection as log lines name it: `connection 3 (pid 1234 uid 0)`.
#[derive(Clone, Copy)]
struct Who {
    port_id: u32,
    pid: i32,
    uid: u32,
}

impl Who {
    fn of(conn: &Connection) -> Who {
        Who {
            port_id: conn.port_id,
            pid: conn.peer.pid,
            uid: conn.peer.uid,
        }
    }
}

impl std::fmt::Display for Who {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "connection {} (pid {} uid {})",
            self.port_id, self.pid, self.uid
        )
    }
}

/// `EINVAL`, as errno.h spells it.
fn errno_name(errno: Errno) -> String {
    format!("{errno:?}")
}

/// What a request asked, for log lines: `ovs_flow NEW`.
fn command_name(message: &RawMessage<'_>) -> String {
    let family = message.header.msg_type;
    let Ok(genl) = message.genl() else {
        return format!("message type {family:#x}");
    };
    let cmd = genl.genl.cmd;
    let name = FAMILIES.iter().find(|f| f.id == family).map(|f| f.name);
    let verb = match family {
        FAMILY_DATAPATH | FAMILY_VPORT | FAMILY_FLOW => {
            ["NEW", "DEL", "GET", "SET"].get(usize::from(cmd).wrapping_sub(1))
        }
        FAMILY_PACKET => ["MISS", "ACTION", "EXECUTE"].get(usize::from(cmd).wrapping_sub(1)),
        _ => None,
    };
    match (name, verb) {
        (Some(name), Some(verb)) => format!("{name} {verb}"),
        (Some(name), None) => format!("{name} command {cmd}"),
        (None, _) => format!("family {family:#x} command {cmd}"),
    }
}

/// A `nlctrl` subscribe or unsubscribe: the stand-in for
/// `NETLINK_ADD_MEMBERSHIP` / `NETLINK_DROP_MEMBERSHIP`.
fn is_membership(message: &RawMessage<'_>) -> bool {
    message.header.msg_type == GENL_ID_CTRL
        && message.genl().is_ok_and(|g| {
            matches!(
                g.genl.cmd,
                DPSWITCH_CTRL_CMD_SUBSCRIBE | DPSWITCH_CTRL_CMD_UNSUBSCRIBE
            )
        })
}

fn is_dump(message: &RawMessage<'_>) -> bool {
    message.header.flags & NLM_F_DUMP == NLM_F_DUMP
}

fn unicast(message: Vec<u8>) -> Response {
    Response {
        unicast: vec![message],
        ..Response::default()
    }
}

/// Malformed requests are logged, as the kernel's OVS_NLERR does;
/// ordinary outcomes (no such flow, exists, no permission) are not.
fn worth_logging(e: &CmdError) -> bool {
    !matches!(
        e.errno,
        Errno::ENOENT | Errno::EEXIST | Errno::ENODEV | Errno::EPERM
    )
}

struct Failure {
    error: CmdError,
    log: bool,
}

impl Failure {
    fn logged(error: CmdError) -> Failure {
        Failure { error, log: true }
    }

    fn quiet(error: CmdError) -> Failure {
        Failure { error, log: false }
    }
}
