//! The daemon's TOML configuration (`dpswitchd ... -- --config FILE`).
//!
//! Every section is optional: without a file, one datapath serves every port
//! EAL probed, numbered from 1 (0 is its local port), polled by every
//! worker lcore.
//! Unknown keys are errors, reported with the key and its line.

use crate::datapath::idle_sleep::MAX_SLEEP_US;
use serde::Deserialize;
use std::path::{Path, PathBuf};

pub use dpswitch_proto::DEFAULT_SOCKET;

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub datapath: DatapathConfig,
    /// Ports by DPDK name or vport (kernel interface) name; ports EAL
    /// probed but not listed still serve, numbered from 1 in DPDK port id
    /// order.
    #[serde(default, rename = "port")]
    pub ports: Vec<PortConfig>,
    /// Worker lcores and what each polls; empty means every worker lcore,
    /// with the (port, rx queue) pairs spread evenly over them.
    #[serde(default, rename = "pmd")]
    pub pmds: Vec<PmdConfig>,
    /// Flows installed at start, in ovs-dpctl syntax.
    #[serde(default, rename = "flow")]
    pub flows: Vec<FlowConfig>,
    /// The text this config was parsed from (for line numbers).
    #[serde(skip)]
    pub source: String,
}

/// A preloaded flow: `key = "in_port(1),eth(),eth_type(0x0806),arp()"`
/// (masks allowed, as `ovs-dpctl add-flow` takes them) and
/// `actions = "2"`.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FlowConfig {
    pub key: toml::Spanned<String>,
    pub actions: toml::Spanned<String>,
}

impl FlowConfig {
    /// The 1-based line of the flow's key in `config`'s text.
    pub fn line(&self, config: &Config) -> usize {
        let offset = self.key.span().start;
        let text = &config.source;
        text.get(..offset).unwrap_or(text).matches('\n').count() + 1
    }
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct DatapathConfig {
    /// The datapath's name, as `ovs-dpctl` shows it.
    pub name: String,
    /// `ovs_header.dp_ifindex` that flow commands must carry.
    pub index: u32,
    /// Most flows the table holds; a NEW beyond it fails with EFBIG.
    pub flow_limit: u32,
    /// mbufs in the packet pool (shared by every port). Unset: what the
    /// ports and PMD lcores need at start with room for two more ports
    /// (the local port, one added at run time), at least 16,383.
    pub mempool_size: Option<u32>,
    /// Packets per rx/tx burst (at most 64).
    pub burst_size: u16,
    /// Descriptors per rx and tx queue.
    pub queue_size: u16,
    /// Unix control socket; `--socket` on the command line wins.
    pub control_socket: PathBuf,
    /// Group of the control socket file (mode 0660); None: root's group.
    pub control_group: Option<String>,
    /// Members of this group (and root) may change state over the control
    /// socket; everyone who can connect may read.
    pub admin_group: Option<String>,
    /// Misses per second each port may send up to its handler from one
    /// PMD lcore (the burst allowed after a quiet spell is a tenth of it).
    pub upcall_rate: u32,
    /// Packets each PMD lcore can have waiting for the management lcore.
    pub upcall_queue: u32,
    /// The longest an idle PMD sleeps per iteration, in microseconds (OVS's
    /// `pmd-maxsleep`; 0: PMDs never sleep). `dpctl pmd-sleep-set` changes
    /// it at run time.
    pub pmd_max_sleep_us: u32,
    /// Create the datapath's local port 0 at launch, as the kernel always
    /// does: an internal port (a `net_tap` whose interface is named like
    /// the datapath). `--local-port no` turns it off.
    pub local_port: bool,
    /// Control socket connections open at once; a peer past it is refused
    /// with EUSERS (docs/control-socket.md, "Connections and limits").
    pub max_connections: u32,
    /// Connections one non-admin uid may hold (admins: only the total).
    pub max_connections_per_uid: u32,
    /// The last slots of `max_connections`, which only admins may take.
    pub admin_reserved_connections: u32,
    /// Seconds without a request after which a read-only connection (no
    /// state changed, no subscription, no completion channel) may be
    /// closed to make room when the server is full.
    pub reclaim_idle_secs: u64,
}

impl Default for DatapathConfig {
    fn default() -> Self {
        DatapathConfig {
            name: "dp0".into(),
            index: 1,
            flow_limit: 200_000,
            mempool_size: None,
            burst_size: 32,
            queue_size: 1024,
            control_socket: PathBuf::from(DEFAULT_SOCKET),
            control_group: None,
            admin_group: None,
            upcall_rate: 20_000,
            upcall_queue: 1024,
            local_port: true,
            max_connections: 256,
            max_connections_per_uid: 64,
            admin_reserved_connections: 16,
            reclaim_idle_secs: 30,
            pmd_max_sleep_us: 0,
        }
    }
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PortConfig {
    /// The DPDK device name, e.g. `net_tap0` (from `--vdev`; with `--no-pci`
    /// EAL leaves the host's PCI devices alone) or a PCI address, or the
    /// port's vport name (its kernel interface, e.g. a tap's `iface`).
    pub name: String,
    /// Datapath port number; defaults to the lowest free one from 1.
    pub number: Option<u32>,
    /// Receive queues (spread over PMD lcores); default 1.
    #[serde(default = "one")]
    pub rx_queues: u16,
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PmdConfig {
    /// The worker lcore id (from EAL's `-l`/`--lcores`).
    pub lcore: u32,
    /// What it polls; empty means "a fair share of what nobody polls".
    #[serde(default)]
    pub rx: Vec<RxQueueRef>,
}

#[derive(Clone, Debug, Deserialize, PartialEq, Eq, Hash)]
#[serde(deny_unknown_fields)]
pub struct RxQueueRef {
    pub port: String,
    #[serde(default)]
    pub queue: u16,
}

fn one() -> u16 {
    1
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("{path}: {message}")]
    Invalid { path: PathBuf, message: String },
}

impl Config {
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.into(),
            source,
        })?;
        Config::parse(&text).map_err(|message| ConfigError::Parse {
            path: path.into(),
            message,
        })
    }

    /// Parses and checks a config; errors are one line with the line number.
    pub fn parse(text: &str) -> Result<Config, String> {
        let mut config: Config = toml::from_str(text).map_err(|e| one_line_error(text, &e))?;
        config.source = text.to_string();
        config.check()?;
        Ok(config)
    }

    fn check(&self) -> Result<(), String> {
        let dp = &self.datapath;
        if dp.burst_size == 0 || dp.burst_size > 64 {
            return Err(format!(
                "datapath.burst_size must be 1..=64, not {}",
                dp.burst_size
            ));
        }
        if dp.flow_limit == 0 {
            return Err("datapath.flow_limit must be at least 1".into());
        }
        if dp.pmd_max_sleep_us > MAX_SLEEP_US {
            return Err(format!(
                "datapath.pmd_max_sleep_us must be 0..={MAX_SLEEP_US}, not {}",
                dp.pmd_max_sleep_us
            ));
        }
        if dp.max_connections == 0 || dp.max_connections_per_uid == 0 {
            return Err(
                "datapath.max_connections and max_connections_per_uid must be at least 1".into(),
            );
        }
        if dp.admin_reserved_connections > dp.max_connections {
            return Err(format!(
                "datapath.admin_reserved_connections ({}) is more than max_connections ({})",
                dp.admin_reserved_connections, dp.max_connections
            ));
        }
        let mut numbers = std::collections::HashSet::new();
        let mut names = std::collections::HashSet::new();
        for p in &self.ports {
            if !names.insert(&p.name) {
                return Err(format!("port {:?} is listed twice", p.name));
            }
            if let Some(n) = p.number {
                if !numbers.insert(n) {
                    return Err(format!("port number {n} is used twice"));
                }
            }
            if p.rx_queues == 0 {
                return Err(format!("port {:?}: rx_queues must be at least 1", p.name));
            }
        }
        let mut lcores = std::collections::HashSet::new();
        let mut polled = std::collections::HashSet::new();
        for pmd in &self.pmds {
            if !lcores.insert(pmd.lcore) {
                return Err(format!("pmd lcore {} is listed twice", pmd.lcore));
            }
            for q in &pmd.rx {
                if !polled.insert(q) {
                    return Err(format!(
                        "rx queue {} of port {:?} is polled by two lcores",
                        q.queue, q.port
                    ));
                }
            }
        }
        Ok(())
    }
}

/// toml's errors span several lines (a source excerpt with a caret); the
/// daemon reports one line: position, the key it is about, and message.
fn one_line_error(text: &str, e: &toml::de::Error) -> String {
    let message = e.message().trim();
    match e.span() {
        Some(span) => {
            let start = span.start.min(text.len());
            let line = text[..start].matches('\n').count() + 1;
            let key = key_at(text, start).map_or_else(String::new, |k| format!("{k}: "));
            let token = text.get(span.clone()).unwrap_or("").trim();
            if token.is_empty() {
                format!("line {line}: {key}{message}")
            } else {
                format!("line {line}: {key}{message} (at `{token}`)")
            }
        }
        None => message.to_string(),
    }
}

/// The key set on the line holding `offset`, with its table:
/// `datapath.flow_limit`, `port.rx_queues`. None off a `key = value` line.
fn key_at(text: &str, offset: usize) -> Option<String> {
    let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let line = text[line_start..].lines().next()?;
    let (key, _) = line.split_once('=')?;
    let key = key.trim();
    let table = text[..line_start]
        .lines()
        .rev()
        .find_map(|l| l.trim().strip_prefix('['))
        .map(|t| t.trim_start_matches('[').trim_end_matches(']').trim());
    Some(match table {
        Some(table) => format!("{table}.{key}"),
        None => key.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_config_takes_defaults() {
        let c = Config::parse("").unwrap();
        assert_eq!(c, Config::default());
        assert!(c.flows.is_empty());
        assert_eq!(c.datapath.burst_size, 32);
    }

    #[test]
    fn full_config_parses() {
        let c = Config::parse(
            r#"
            [datapath]
            name = "br0"
            index = 7
            flow_limit = 1000
            burst_size = 64
            control_socket = "/tmp/x.sock"

            [[port]]
            name = "net_tap0"
            number = 10

            [[port]]
            name = "net_tap1"
            rx_queues = 2

            [[pmd]]
            lcore = 1
            rx = [{ port = "net_tap0" }, { port = "net_tap1", queue = 1 }]
            "#,
        )
        .unwrap();
        assert_eq!(c.datapath.name, "br0");
        assert_eq!(c.datapath.mempool_size, None);
        let sized = Config::parse("[datapath]\nmempool_size = 4095\n").unwrap();
        assert_eq!(sized.datapath.mempool_size, Some(4095));
        assert_eq!(c.ports[0].number, Some(10));
        assert_eq!(c.ports[1].number, None);
        assert_eq!(c.ports[1].rx_queues, 2);
        assert_eq!(c.pmds[0].rx[1].queue, 1);
    }

    #[test]
    fn unknown_key_names_key_and_line() {
        let e = Config::parse("[datapath]\nname = \"x\"\nflow_limt = 5\n").unwrap_err();
        assert!(e.contains("line 3"), "{e}");
        assert!(e.contains("flow_limt"), "{e}");
        assert!(!e.contains('\n'), "{e}");
    }

    #[test]
    fn inconsistent_configs_are_refused() {
        assert!(Config::parse("[datapath]\nburst_size = 65\n").is_err());
        let twice = "[[port]]\nname = \"a\"\nnumber = 1\n[[port]]\nname = \"b\"\nnumber = 1\n";
        assert!(Config::parse(twice).unwrap_err().contains("number 1"));
        let shared = "[[pmd]]\nlcore = 1\nrx = [{port = \"a\"}]\n[[pmd]]\nlcore = 2\nrx = [{port = \"a\"}]\n";
        assert!(Config::parse(shared).unwrap_err().contains("two lcores"));
    }

    #[test]
    fn connection_limits_have_defaults_and_are_checked() {
        let d = Config::parse("").unwrap().datapath;
        assert_eq!(
            (
                d.max_connections,
                d.max_connections_per_uid,
                d.admin_reserved_connections,
                d.reclaim_idle_secs
            ),
            (256, 64, 16, 30)
        );
        let c = Config::parse(
            "[datapath]\nmax_connections = 8\nmax_connections_per_uid = 4\nadmin_reserved_connections = 2\nreclaim_idle_secs = 1\n",
        )
        .unwrap();
        assert_eq!(c.datapath.max_connections, 8);
        assert_eq!(c.datapath.reclaim_idle_secs, 1);
        let e = Config::parse("[datapath]\nmax_connections = 4\nadmin_reserved_connections = 5\n")
            .unwrap_err();
        assert!(e.contains("admin_reserved_connections"), "{e}");
        assert!(Config::parse("[datapath]\nmax_connections_per_uid = 0\n").is_err());
        let e = Config::parse("[datapath]\nmax_conections = 4\n").unwrap_err();
        assert!(e.contains("line 2") && e.contains("max_conections"), "{e}");
    }

    #[test]
    fn shipped_configs_parse() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("conf");
        let mut seen = 0;
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "toml") {
                Config::load(&path).unwrap_or_else(|e| panic!("{e}"));
                seen += 1;
            }
        }
        assert!(seen >= 2, "conf/ holds the example configs");
    }

    #[test]
    fn flows_keep_their_line() {
        let c = Config::parse(
            "[datapath]\nname = \"x\"\n\n[[flow]]\nkey = \"in_port(1),eth(),eth_type(0x0806),arp()\"\nactions = \"2\"\n",
        )
        .unwrap();
        assert_eq!(c.flows.len(), 1);
        assert_eq!(c.flows[0].actions.get_ref(), "2");
        assert_eq!(c.flows[0].line(&c), 5);
    }

    #[test]
    fn a_bad_value_names_its_line_and_key() {
        let e = Config::parse("[datapath]\nname = \"dp0\"\nflow_limit = \"many\"\n")
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("line 3: datapath.flow_limit: invalid type"),
            "{e}"
        );
        let e = Config::parse("[[port]]\nname = \"net_null0\"\nrx_queues = -1\n")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("line 3: port.rx_queues: "), "{e}");
    }
}
