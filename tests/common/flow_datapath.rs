//! A datapath of one real `FlowTable` in this process, driven through
//! `flow_cmd::handle` as the control server drives it: the harness of the
//! in-process flow rule tests (tests/flow_rules*.rs). One EAL per test
//! process serves every test of the binary.

use std::sync::OnceLock;

use super::errno::*;
use super::{actions_text, flow_text, key_text};
use dpswitch::classifier::{FlowId, FlowStats, FlowTable, TableConfig};
use dpswitch::control::families::{FAMILY_FLOW, GROUP_FLOW};
use dpswitch::control::flow_cmd::{self, FlowContext, FlowError, KeyScratch};
use dpswitch::control::request::{CmdError, Response};
use dpswitch::dpdk::{tsc_cycles, Eal};
use dpswitch::flow::key::{FlowKey, FlowMask};
use dpswitch::flow::odp::{Action, KeyAttr};
use dpswitch::netlink::consts::*;
use dpswitch::netlink::flow::FlowAttrs;
use dpswitch::netlink::msg::{GenlHeader, NlMsgHeader, OvsMessage, RawMessage};

pub const ARP: &str = "in_port(1),eth(),eth_type(0x0806),arp()";
pub const UDP_WIDE: &str =
    "in_port(0),eth(),eth_type(0x0800),ipv4(src=10.0.0.0/255.0.0.0,proto=17,frag=no),udp()";
pub const NOT_SAFE: &str = "Flow actions may not be safe on all matching packets.";

/// The datapath's `dp_ifindex`; requests for another one are ENODEV.
pub const DP: i32 = 7;
/// The requester's netlink port id.
pub const REQUESTER: u32 = 4242;
/// Ports 0 and 1 exist, as in the daemon tests.
pub const PORTS: u32 = 2;

/// The process's EAL, initialised by the first test that needs it.
pub fn eal() -> &'static Eal {
    static EAL: OnceLock<Eal> = OnceLock::new();
    EAL.get_or_init(|| {
        let args = super::eal_args("flow_rules", &["-l", "0", "--log-level=warning"]);
        let eal = Eal::init(args.clone()).expect("EAL initialises");
        // Without shared config and telemetry the runtime directory stays
        // empty, and a static is never dropped to remove it later.
        super::remove_runtime_dir(&args);
        eal
    })
}

pub fn ufid(n: u8) -> Vec<u8> {
    vec![n; 16]
}

pub fn by_ufid(n: u8) -> FlowAttrs {
    FlowAttrs {
        ufid: Some(ufid(n)),
        ..FlowAttrs::default()
    }
}

/// `text` as a key with no MASK attribute (every bit exact).
pub fn key_only(text: &str) -> FlowAttrs {
    FlowAttrs {
        key: Some(key_text(text)),
        ..FlowAttrs::default()
    }
}

/// What a flow is, to compare the table before and after a request.
#[derive(Debug, PartialEq)]
pub struct FlowState {
    pub id: FlowId,
    pub key: FlowKey,
    pub mask: FlowMask,
    pub ufid: Option<Vec<u8>>,
    pub actions: Vec<Action>,
    pub stats: FlowStats,
}

/// The whole table: every flow, and how many masks (subtables) it has.
#[derive(Debug, PartialEq)]
pub struct TableState {
    pub flows: Vec<FlowState>,
    pub masks: usize,
}

/// One datapath: a flow table and what a flow command keeps between
/// requests.
pub struct Datapath {
    pub table: FlowTable,
    pub scratch: KeyScratch,
    pub notes: Vec<String>,
    pub listeners: bool,
}

impl Datapath {
    pub fn new() -> Datapath {
        Datapath::with_limit(1024)
    }

    pub fn with_limit(max_flows: usize) -> Datapath {
        let config = TableConfig {
            max_flows,
            max_readers: 1,
            initial_subtable_capacity: 16,
            flow_cache_entries: 0,
        };
        Datapath {
            table: FlowTable::new(eal(), config).expect("flow table"),
            scratch: KeyScratch::default(),
            notes: Vec::new(),
            listeners: false,
        }
    }

    pub fn send(&mut self, cmd: u8, flags: u16, attrs: &FlowAttrs) -> Result<Response, FlowError> {
        let bytes = attrs.encode().expect("the request encodes");
        self.send_raw(cmd, flags, DP, &bytes)
    }

    /// Runs a request with the attribute bytes `attrs` as the server does
    /// once it has framed the message.
    pub fn send_raw(
        &mut self,
        cmd: u8,
        flags: u16,
        dp_ifindex: i32,
        attrs: &[u8],
    ) -> Result<Response, FlowError> {
        let msg = OvsMessage {
            header: NlMsgHeader {
                len: 0,
                msg_type: FAMILY_FLOW,
                flags: NLM_F_REQUEST | flags,
                seq: 99,
                pid: REQUESTER,
            },
            genl: GenlHeader {
                cmd,
                version: OVS_FLOW_VERSION,
                reserved: 0,
            },
            dp_ifindex,
            attrs,
        };
        let port_exists = |port: u32| port < PORTS;
        let mut ctx = FlowContext {
            table: &mut self.table,
            port_exists: &port_exists,
            dp_ifindex: DP,
            notes: &mut self.notes,
            listeners: self.listeners,
            scratch: &mut self.scratch,
        };
        flow_cmd::handle(&mut ctx, &msg, REQUESTER)
    }

    pub fn ok(&mut self, cmd: u8, flags: u16, attrs: &FlowAttrs) -> Response {
        self.send(cmd, flags, attrs)
            .unwrap_or_else(|e| panic!("command {cmd} {attrs:?} failed: {:?}", e.error))
    }

    pub fn fails(&mut self, cmd: u8, flags: u16, attrs: &FlowAttrs) -> CmdError {
        match self.send(cmd, flags, attrs) {
            Ok(r) => panic!("command {cmd} {attrs:?} succeeded: {r:?}"),
            Err(e) => e.error,
        }
    }

    pub fn fails_raw(&mut self, cmd: u8, flags: u16, dp_ifindex: i32, attrs: &[u8]) -> CmdError {
        match self.send_raw(cmd, flags, dp_ifindex, attrs) {
            Ok(r) => panic!("command {cmd} succeeded: {r:?}"),
            Err(e) => e.error,
        }
    }

    pub fn state(&self) -> TableState {
        let flows = self
            .table
            .flows()
            .map(|f| FlowState {
                id: f.id(),
                key: f.key(),
                mask: f.mask(),
                ufid: f.ufid().map(|u| u.as_bytes().to_vec()),
                actions: self.table.actions(f).to_vec(),
                stats: f.stats(),
            })
            .collect();
        TableState {
            flows,
            masks: self.table.mask_count(),
        }
    }

    pub fn id_of_ufid(&self, n: u8) -> FlowId {
        self.table.lookup_ufid(&ufid(n)).expect("flow by ufid").id()
    }

    pub fn actions_of(&self, id: FlowId) -> Vec<Action> {
        let flow = self.table.flow(id).expect("flow");
        self.table.actions(flow).to_vec()
    }

    pub fn stats_of(&self, id: FlowId) -> FlowStats {
        self.table.flow(id).expect("flow").stats()
    }

    /// Counts `packets` packets of 100 bytes with TCP SYN on flow `id`,
    /// as a forwarding lcore does.
    pub fn hit(&self, id: FlowId, packets: u64) {
        let reader = self.table.reader(0).expect("reader slot 0");
        let flow = self.table.flow(id).expect("flow");
        reader.record(flow, packets, packets * 100, 0x02, tsc_cycles());
    }

    /// The flow a forwarding lcore finds for a packet with `key`.
    pub fn classify(&self, key: &FlowKey) -> Option<FlowId> {
        let reader = self.table.reader(0).expect("reader slot 0");
        let mut out = [None];
        reader.classify_burst(std::slice::from_ref(key), &mut out);
        out[0].map(|f| f.id())
    }
}

/// The command and flow of a reply message.
pub fn decode_reply(message: &[u8]) -> (NlMsgHeader, u8, FlowAttrs) {
    let (raw, _) = RawMessage::parse(message).expect("the reply frames");
    let ovs = raw.ovs().expect("an ovs_flow message");
    let attrs = FlowAttrs::decode(ovs.attrs).expect("the reply's attributes decode");
    (raw.header, ovs.genl.cmd, attrs)
}

/// The one flow echoed to the requester.
pub fn echoed(response: &Response) -> FlowAttrs {
    assert_eq!(response.unicast.len(), 1, "{response:?}");
    decode_reply(&response.unicast[0]).2
}

pub fn assert_errno(error: &CmdError, errno: i32, what: &str) {
    assert_eq!(error.errno as i32, errno, "{what}: {error:?}");
}
