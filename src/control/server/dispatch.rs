//! Which handler a request goes to: the `nlctrl` controller, the
//! `ovs_*` families (after the admin check), and dumps.

use super::*;

impl ControlServer {
    pub(super) fn run_ctrl(
        &mut self,
        index: usize,
        message: &RawMessage<'_>,
    ) -> Result<Option<Response>, Failure> {
        let genl = message
            .genl()
            .map_err(|e| Failure::logged(CmdError::einval(e.to_string())))?;
        let reply_header = NlMsgHeader {
            len: 0,
            msg_type: GENL_ID_CTRL,
            flags: 0,
            seq: message.header.seq,
            pid: self.conns[index].port_id,
        };
        match genl.genl.cmd {
            CTRL_CMD_GETFAMILY if is_dump(message) => {
                let conn = &mut self.conns[index];
                for f in FAMILIES.iter() {
                    conn.queue(family_message(
                        f,
                        NlMsgHeader {
                            flags: NLM_F_MULTI,
                            ..reply_header
                        },
                    ));
                }
                conn.queue(encode_done(conn.port_id, message.header.seq, 0));
                Ok(None)
            }
            CTRL_CMD_GETFAMILY => {
                let f = families::requested_family(genl.payload).map_err(Failure::quiet)?;
                Ok(Some(Response {
                    unicast: vec![family_message(f, reply_header)],
                    ..Response::default()
                }))
            }
            DPSWITCH_CTRL_CMD_SUBSCRIBE | DPSWITCH_CTRL_CMD_UNSUBSCRIBE => {
                let group = families::requested_group(genl.payload).map_err(Failure::quiet)?;
                let conn = &mut self.conns[index];
                if genl.genl.cmd == DPSWITCH_CTRL_CMD_SUBSCRIBE {
                    conn.groups |= 1 << group;
                } else {
                    conn.groups &= !(1 << group);
                }
                Ok(Some(Response::default()))
            }
            DPSWITCH_CTRL_CMD_ATTACH => self.attach_channel(index),
            other => Err(Failure::quiet(CmdError::new(
                Errno::EOPNOTSUPP,
                format!("nlctrl has no command {other}"),
            ))),
        }
    }

    /// Takes the completion channel the request carried
    /// (dpswitch_proto::channel) and answers on it with the port id.
    fn attach_channel(&mut self, index: usize) -> Result<Option<Response>, Failure> {
        let conn = &mut self.conns[index];
        if conn.channel.is_some() {
            return Err(Failure::quiet(CmdError::new(
                Errno::EBUSY,
                "this connection already has a completion channel",
            )));
        }
        if self.passed_fds.is_empty() {
            return Err(Failure::quiet(CmdError::einval(
                "attach carries its completion channel in SCM_RIGHTS",
            )));
        }
        let channel = self.passed_fds.remove(0);
        // The management lcore never blocks on a client.
        let flags = rustix::fs::fcntl_getfl(&channel)
            .and_then(|f| rustix::fs::fcntl_setfl(&channel, f | rustix::fs::OFlags::NONBLOCK));
        if let Err(e) = flags {
            return Err(Failure::quiet(CmdError::new(
                Errno::from_raw(e.raw_os_error()),
                format!("completion channel: {e}"),
            )));
        }
        conn.channel = Some(channel);
        conn.queue_token(Token::Attached {
            port_id: conn.port_id,
        });
        Ok(Some(Response::default()))
    }

    pub(super) fn run_ovs(
        &mut self,
        index: usize,
        message: &RawMessage<'_>,
        peer: &Peer,
        switch: &mut Switch,
    ) -> Result<Option<Response>, Failure> {
        let msg = message
            .ovs()
            .map_err(|e| Failure::logged(CmdError::einval(e.to_string())))?;
        let family = message.header.msg_type;
        let cmd = msg.genl.cmd;
        let known = match family {
            FAMILY_PACKET => cmd == OVS_PACKET_CMD_EXECUTE,
            _ => matches!(cmd, 1..=4), // NEW, DEL, GET, SET
        };
        if !known {
            return Err(Failure::quiet(CmdError::new(
                Errno::EOPNOTSUPP,
                format!("family {family:#x} has no command {cmd}"),
            )));
        }
        let dump = is_dump(message);
        if dump && (cmd != 3 || family == FAMILY_PACKET) {
            return Err(Failure::quiet(CmdError::new(
                Errno::EOPNOTSUPP,
                "only GET can dump",
            )));
        }
        // A1: like the kernel's GENL_UNS_ADMIN_PERM, before anything else.
        let mutating = family == FAMILY_PACKET || cmd != 3;
        if mutating {
            require_admin(peer)?;
        }
        // The connections the admin reservation protects: one that tried
        // a change is never reclaimed, whatever came of the command.
        self.conns[index].changed_state |= mutating;
        // A deleted datapath has no flows to change or packets to send.
        if !self.dp.exists && matches!(family, FAMILY_FLOW | FAMILY_PACKET) {
            return Err(Failure::quiet(CmdError::enodev()));
        }
        let port_id = self.conns[index].port_id;
        let to = ReplyTo {
            seq: message.header.seq,
            port_id,
            flags: 0,
        };
        match family {
            FAMILY_FLOW if dump => {
                let raw = RawFlowAttrs::parse(msg.attrs).map_err(|e| Failure::logged(e.into()))?;
                if msg.dp_ifindex != self.dp.dp_ifindex {
                    return Err(Failure::quiet(CmdError::enodev()));
                }
                self.conns[index].dump = Some(FlowDump {
                    seq: message.header.seq,
                    ufid_flags: raw.ufid_flags,
                    after: None,
                });
                Ok(None)
            }
            FAMILY_FLOW => {
                let mut notes = Vec::new();
                let listeners = self.conns.iter().any(|c| c.subscribed(GROUP_FLOW));
                let (table, port_exists) = switch.table_and_ports();
                let mut ctx = FlowContext {
                    table,
                    port_exists: &port_exists,
                    dp_ifindex: self.dp.dp_ifindex,
                    notes: &mut notes,
                    listeners,
                    scratch: &mut self.key_scratch,
                };
                let result = flow_cmd::handle(&mut ctx, &msg, port_id);
                let who = Who::of(&self.conns[index]);
                for note in notes {
                    self.log
                        .log(&CONTROL, LogLevel::Info, || format!("{who}: {note}"));
                }
                result.map(Some).map_err(|e| Failure {
                    log: !e.probe && worth_logging(&e.error),
                    error: e.error,
                })
            }
            FAMILY_DATAPATH if dump => {
                let conn = &mut self.conns[index];
                let multi = ReplyTo {
                    flags: NLM_F_MULTI,
                    ..to
                };
                if self.dp.exists {
                    conn.queue(dp_cmd::datapath_message(
                        &self.dp,
                        switch,
                        OVS_DP_CMD_GET,
                        multi,
                    ));
                }
                conn.queue(encode_done(port_id, message.header.seq, 0));
                Ok(None)
            }
            FAMILY_DATAPATH if cmd == OVS_DP_CMD_GET => {
                let reply =
                    dp_cmd::get_datapath(&self.dp, switch, &msg, to).map_err(Failure::quiet)?;
                Ok(Some(unicast(reply)))
            }
            FAMILY_DATAPATH => {
                let reply = match cmd {
                    OVS_DP_CMD_NEW => dp_cmd::new_datapath(&mut self.dp, switch, &msg, to),
                    OVS_DP_CMD_DEL => dp_cmd::del_datapath(&mut self.dp, switch, &msg, to),
                    _ => dp_cmd::set_datapath(&mut self.dp, switch, &msg, to),
                }
                .map_err(Failure::quiet)?;
                Ok(Some(changed(
                    message,
                    GROUP_DATAPATH,
                    reply,
                    cmd == OVS_DP_CMD_DEL,
                )))
            }
            FAMILY_VPORT if dump => {
                if msg.dp_ifindex != self.dp.dp_ifindex || !self.dp.exists {
                    return Err(Failure::quiet(CmdError::enodev()));
                }
                let multi = ReplyTo {
                    flags: NLM_F_MULTI,
                    ..to
                };
                let conn = &mut self.conns[index];
                for m in vport_cmd::vport_messages(&self.dp, switch, multi) {
                    conn.queue(m);
                }
                conn.queue(encode_done(port_id, message.header.seq, 0));
                Ok(None)
            }
            FAMILY_VPORT if cmd == OVS_VPORT_CMD_GET => {
                let reply =
                    vport_cmd::get_vport(&self.dp, switch, &msg, to).map_err(Failure::quiet)?;
                Ok(Some(unicast(reply)))
            }
            FAMILY_VPORT => {
                let reply = match cmd {
                    OVS_VPORT_CMD_NEW => vport_cmd::new_vport(&self.dp, switch, &msg, to),
                    OVS_VPORT_CMD_DEL => vport_cmd::del_vport(&self.dp, switch, &msg, to),
                    _ => vport_cmd::set_vport(&self.dp, switch, &msg, to),
                }
                .map_err(Failure::quiet)?;
                Ok(Some(changed(message, GROUP_VPORT, reply, false)))
            }
            FAMILY_PACKET => self.execute(&msg, switch),
            _ => Err(Failure::quiet(CmdError::new(
                Errno::EOPNOTSUPP,
                format!("family {family:#x} has no command {cmd}"),
            ))),
        }
    }
}

impl ControlServer {
    /// The `dpswitch` family: its GETs open to every peer (they change
    /// nothing), CLEAR_PMD and SET_PMD to admins only (A1); none as a dump.
    pub(super) fn run_dpswitch(
        &mut self,
        index: usize,
        message: &RawMessage<'_>,
        peer: &Peer,
        switch: &mut Switch,
    ) -> Result<Option<Response>, Failure> {
        let msg = message
            .ovs()
            .map_err(|e| Failure::logged(CmdError::einval(e.to_string())))?;
        let cmd = msg.genl.cmd;
        let known = matches!(
            cmd,
            DPSWITCH_CMD_GET_STATS
                | DPSWITCH_CMD_GET_PMD
                | DPSWITCH_CMD_CLEAR_PMD
                | DPSWITCH_CMD_SET_PMD
                | DPSWITCH_CMD_GET_UPCALL
        );
        if !known || is_dump(message) {
            return Err(Failure::quiet(CmdError::new(
                Errno::EOPNOTSUPP,
                format!("the dpswitch family has no command {cmd} (as a dump: none)"),
            )));
        }
        let mutating = matches!(cmd, DPSWITCH_CMD_CLEAR_PMD | DPSWITCH_CMD_SET_PMD);
        if mutating {
            require_admin(peer)?;
        }
        self.conns[index].changed_state |= mutating;
        let to = ReplyTo {
            seq: message.header.seq,
            port_id: self.conns[index].port_id,
            flags: 0,
        };
        let dp = &self.dp;
        let reply = match cmd {
            DPSWITCH_CMD_GET_PMD | DPSWITCH_CMD_CLEAR_PMD | DPSWITCH_CMD_SET_PMD => {
                stats_cmd::pmd(dp, switch, &msg, to)
            }
            DPSWITCH_CMD_GET_UPCALL => stats_cmd::get_upcall(dp, switch, &msg, to),
            _ => stats_cmd::get_stats(dp, switch, &self.counters, &msg, to),
        }
        .map_err(Failure::quiet)?;
        Ok(Some(unicast(reply)))
    }
}

/// A1: changes are for root and the admin group (the kernel's
/// GENL_UNS_ADMIN_PERM); EPERM for everyone else.
fn require_admin(peer: &Peer) -> Result<(), Failure> {
    if peer.admin {
        return Ok(());
    }
    Err(Failure::quiet(CmdError::new(
        Errno::EPERM,
        format!(
            "uid {} is neither root nor in the admin group: read-only access",
            peer.uid
        ),
    )))
}

/// A datapath or port change's reply: echoed to the requester when it
/// asked (NLM_F_ECHO), and multicast to `group`, as the kernel's
/// ovs_notify. `sync`: sent only after a grace period.
fn changed(message: &RawMessage<'_>, group: u32, reply: Vec<u8>, sync: bool) -> Response {
    let echo = message.header.flags & NLM_F_ECHO != 0;
    Response {
        unicast: if echo {
            vec![reply.clone()]
        } else {
            Vec::new()
        },
        notify: Some((group, reply)),
        needs_sync: sync,
    }
}
