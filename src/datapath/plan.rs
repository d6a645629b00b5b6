//! Which ports the datapath serves, under which numbers, and which worker
//! lcore polls which (port, rx queue): decided once at start from what EAL
//! probed and the config, before any port is touched.

use crate::config::{Config, PmdConfig, RxQueueRef};
use std::collections::{BTreeMap, HashSet};

/// A port as the datapath will run it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PortPlan {
    pub dpdk_id: u16,
    /// The vport name: the port's kernel interface where it has one (a
    /// tap's `iface`, the interface net_af_packet attaches), else its DPDK
    /// device name. Open vSwitch opens every port of a `system` datapath
    /// as a Linux netdev by this name.
    pub name: String,
    /// The DPDK device name (`net_tap0`).
    pub device: String,
    /// The datapath port number flows and actions use.
    pub number: u32,
    pub rx_queues: u16,
    /// A kernel interface it attaches or a DPDK device (netdev), or one it
    /// created (internal: the local port and ports added as internal).
    pub kind: PortKind,
}

/// What kind of port: the vport types dpswitch runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PortKind {
    /// An existing kernel interface, attached through `net_af_packet`, or
    /// a DPDK port given at launch other than a tap (`OVS_VPORT_TYPE_NETDEV`).
    Netdev,
    /// A kernel interface the port creates, through `net_tap`, at run time
    /// or at launch (`OVS_VPORT_TYPE_INTERNAL`, as the kernel's internal
    /// port).
    Internal,
}

/// A probed port: DPDK id, DPDK device name, vport name.
pub type Probed = (u16, String, String);

/// What one worker lcore polls: indexes into the port plan, and rx queues.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LcorePlan {
    pub lcore: u32,
    pub rx: Vec<(usize, u16)>,
}

/// Every probed port serves; config entries (by DPDK or vport name)
/// renumber them. The others take the lowest free numbers from 1, in DPDK
/// port id order: 0 is the datapath's local port, as in the kernel. A
/// config entry for a port EAL did not probe is an error naming it.
pub fn plan_ports(probed: &[Probed], config: &Config) -> Result<Vec<PortPlan>, String> {
    let probed_names: Vec<&str> = probed.iter().map(|(_, n, _)| n.as_str()).collect();
    let named = |p: &crate::config::PortConfig, (_, device, vport): &Probed| {
        p.name == *device || p.name == *vport
    };
    for p in &config.ports {
        if !probed.iter().any(|q| named(p, q)) {
            return Err(format!(
                "port {:?} in the config was not probed by EAL (probed: {}); add it with --vdev (virtual devices, alongside --no-pci) or -a",
                p.name,
                if probed_names.is_empty() {
                    "none".to_string()
                } else {
                    probed_names.join(", ")
                }
            ));
        }
    }
    let mut plans = Vec::with_capacity(probed.len());
    let mut numbers = HashSet::new();
    let configured_numbers: HashSet<u32> = config.ports.iter().filter_map(|p| p.number).collect();
    let mut next_free = 1;
    for q in probed {
        let (dpdk_id, device, name) = q;
        let configured = config.ports.iter().find(|p| named(p, q));
        let number = match configured.and_then(|p| p.number) {
            Some(n) => n,
            None => {
                while configured_numbers.contains(&next_free) || numbers.contains(&next_free) {
                    next_free += 1;
                }
                next_free
            }
        };
        if number >= crate::flow::matching::DP_MAX_PORTS {
            return Err(format!(
                "port {name:?}: number {number} is not below {}",
                crate::flow::matching::DP_MAX_PORTS
            ));
        }
        if !numbers.insert(number) {
            return Err(format!(
                "port {name:?} would be number {number}, which another port already has; give it a number in the config"
            ));
        }
        plans.push(PortPlan {
            dpdk_id: *dpdk_id,
            name: name.clone(),
            device: device.clone(),
            number,
            rx_queues: configured.map_or(1, |p| p.rx_queues),
            kind: launch_kind(device),
        });
    }
    Ok(plans)
}

/// Whether the port's driver serves rx and tx queues only in pairs, each
/// pair one kernel file or socket: `net_tap` refuses a configuration
/// whose rx and tx queue counts differ, and `net_af_packet`'s `qpairs`
/// sockets fan the interface's packets out over all its rx queues, so an
/// rx queue nobody polls would swallow its share. A virtual device's name
/// starts with its driver's.
pub fn paired_queues(device: &str) -> bool {
    device.starts_with("net_tap") || device.starts_with("net_af_packet")
}

impl PortPlan {
    /// The tx queues the port is configured with under `pmds` PMD lcores:
    /// one per PMD, or as many as its rx queues where the driver pairs them.
    pub fn tx_queues(&self, pmds: u16) -> u16 {
        if paired_queues(&self.device) {
            pmds.max(self.rx_queues)
        } else {
            pmds
        }
    }
}

/// Gives every port whose driver pairs its queues (see [`paired_queues`])
/// at least one rx queue per PMD lcore, since each PMD needs a tx queue of
/// its own: with several PMDs such a port has several rx queues, which the
/// kernel spreads flows over and the PMDs share.
pub fn pair_queues(ports: &mut [PortPlan], pmds: u16) {
    for p in ports.iter_mut().filter(|p| paired_queues(&p.device)) {
        p.rx_queues = p.rx_queues.max(pmds);
    }
}

/// How many PMD lcores [`plan_lcores`] will plan: the config's `[[pmd]]`
/// entries, else every worker lcore.
pub fn pmd_count(workers: &[u32], pmds: &[PmdConfig]) -> usize {
    if pmds.is_empty() {
        workers.len()
    } else {
        pmds.len()
    }
}

/// The kind of a port given at launch. A `net_tap` port is a kernel
/// interface the switch created and feeds, which is what the kernel's
/// internal port is; Open vSwitch opens an internal port even when its
/// interface has moved to another network namespace (as users move
/// internal ports), where a netdev whose interface it cannot see fails.
fn launch_kind(device: &str) -> PortKind {
    // A virtual device's name starts with its driver's.
    if device.starts_with("net_tap") {
        PortKind::Internal
    } else {
        PortKind::Netdev
    }
}

/// Assigns every (port, rx queue) to exactly one worker lcore: the ones the
/// config names go where it says, the rest are dealt round-robin to the
/// worker lcores, least loaded first.
pub fn plan_lcores(
    ports: &[PortPlan],
    workers: &[u32],
    pmds: &[PmdConfig],
) -> Result<Vec<LcorePlan>, String> {
    if workers.is_empty() {
        return Err(
            "no worker lcore: give EAL at least two lcores (e.g. -l 0,1); the main lcore manages, workers forward"
                .into(),
        );
    }
    let mut plan: BTreeMap<u32, Vec<(usize, u16)>> = BTreeMap::new();
    let chosen: Vec<u32> = if pmds.is_empty() {
        workers.to_vec()
    } else {
        pmds.iter().map(|p| p.lcore).collect()
    };
    for lcore in &chosen {
        if !workers.contains(lcore) {
            return Err(format!(
                "pmd lcore {lcore} is not a worker lcore of this EAL (workers: {})",
                join(workers)
            ));
        }
        plan.insert(*lcore, Vec::new());
    }
    let index_of = |q: &RxQueueRef| -> Result<(usize, u16), String> {
        let i = ports
            .iter()
            .position(|p| p.name == q.port || p.device == q.port)
            .ok_or_else(|| format!("pmd rx names port {:?}, which is not a port", q.port))?;
        if q.queue >= ports[i].rx_queues {
            return Err(format!(
                "pmd rx names queue {} of port {:?}, which has {} rx queue(s)",
                q.queue, q.port, ports[i].rx_queues
            ));
        }
        Ok((i, q.queue))
    };
    let mut taken = HashSet::new();
    for pmd in pmds {
        for q in &pmd.rx {
            let rxq = index_of(q)?;
            taken.insert(rxq);
            plan.entry(pmd.lcore).or_default().push(rxq);
        }
    }
    for (i, port) in ports.iter().enumerate() {
        for q in 0..port.rx_queues {
            if taken.contains(&(i, q)) {
                continue;
            }
            let least = plan
                .iter_mut()
                .min_by_key(|(lcore, rx)| (rx.len(), **lcore))
                .map(|(_, rx)| rx);
            if let Some(rx) = least {
                rx.push((i, q));
            }
        }
    }
    Ok(plan
        .into_iter()
        .map(|(lcore, rx)| LcorePlan { lcore, rx })
        .collect())
}

fn join(ids: &[u32]) -> String {
    ids.iter().map(u32::to_string).collect::<Vec<_>>().join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn probed() -> Vec<Probed> {
        vec![
            (0, "net_tap0".into(), "dps0".into()),
            (1, "net_tap1".into(), "net_tap1".into()),
        ]
    }

    #[test]
    fn defaults_number_ports_from_one() {
        let plans = plan_ports(&probed(), &Config::default()).unwrap();
        assert_eq!(plans[0].number, 1);
        assert_eq!(
            (plans[0].name.as_str(), plans[0].device.as_str()),
            ("dps0", "net_tap0")
        );
        assert_eq!(plans[1].number, 2);
        assert_eq!(plans[1].name, "net_tap1");
        // A configured number is skipped by the automatic ones; the config
        // names a port by either name.
        let c = Config::parse("[[port]]\nname = \"net_tap1\"\nnumber = 1\n").unwrap();
        let plans = plan_ports(&probed(), &c).unwrap();
        assert_eq!((plans[0].number, plans[1].number), (2, 1));
        let c = Config::parse("[[port]]\nname = \"dps0\"\nnumber = 5\n").unwrap();
        assert_eq!(plan_ports(&probed(), &c).unwrap()[0].number, 5);
    }

    #[test]
    fn config_renumbers_and_rejects_unprobed_ports() {
        let c =
            Config::parse("[[port]]\nname = \"net_tap1\"\nnumber = 7\nrx_queues = 2\n").unwrap();
        let plans = plan_ports(&probed(), &c).unwrap();
        assert_eq!((plans[1].number, plans[1].rx_queues), (7, 2));
        let c = Config::parse("[[port]]\nname = \"net_tap9\"\n").unwrap();
        let e = plan_ports(&probed(), &c).unwrap_err();
        assert!(
            e.contains("net_tap9") && e.contains("net_tap0, net_tap1"),
            "{e}"
        );
        let c = Config::parse("[[port]]\nname = \"net_tap1\"\nnumber = 1\n").unwrap();
        let c2 = Config::parse("[[port]]\nname = \"net_tap0\"\nnumber = 1\n[[port]]\nname = \"net_tap1\"\nnumber = 1\n");
        assert!(c2.is_err());
        assert!(plan_ports(&probed(), &c).is_ok());
    }

    #[test]
    fn queues_spread_evenly_over_workers() {
        let c = Config::parse("[[port]]\nname = \"net_tap0\"\nrx_queues = 3\n").unwrap();
        let ports = plan_ports(&probed(), &c).unwrap();
        let plan = plan_lcores(&ports, &[1, 2], &[]).unwrap();
        assert_eq!(plan.len(), 2);
        let all: Vec<_> = plan.iter().flat_map(|l| l.rx.clone()).collect();
        assert_eq!(all.len(), 4);
        assert!(plan.iter().all(|l| l.rx.len() == 2));
    }

    #[test]
    fn paired_drivers_get_an_rx_queue_per_pmd() {
        let probed = vec![
            (0, "net_tap0".into(), "dps0".into()),
            (1, "net_null0".into(), "net_null0".into()),
            (2, "net_af_packet0".into(), "veth0".into()),
        ];
        let c = Config::parse("[[port]]\nname = \"net_null0\"\nrx_queues = 2\n").unwrap();
        let mut ports = plan_ports(&probed, &c).unwrap();
        pair_queues(&mut ports, 3);
        let rx: Vec<u16> = ports.iter().map(|p| p.rx_queues).collect();
        let tx: Vec<u16> = ports.iter().map(|p| p.tx_queues(3)).collect();
        // net_tap and net_af_packet pair (3 + 3); net_null does not (2 + 3).
        assert_eq!((rx, tx), (vec![3, 2, 3], vec![3, 3, 3]));
        // Three PMDs poll the seven queues, each at least two.
        let plan = plan_lcores(&ports, &[1, 2, 3], &[]).unwrap();
        let polls: Vec<usize> = plan.iter().map(|l| l.rx.len()).collect();
        assert_eq!(polls, vec![3, 3, 2]);
        // More rx queues than PMDs: as many tx queues as rx queues.
        let c = Config::parse("[[port]]\nname = \"net_tap0\"\nrx_queues = 4\n").unwrap();
        let mut ports = plan_ports(&probed, &c).unwrap();
        pair_queues(&mut ports, 2);
        assert_eq!((ports[0].rx_queues, ports[0].tx_queues(2)), (4, 4));
        assert_eq!((ports[1].rx_queues, ports[1].tx_queues(2)), (1, 2));
        assert_eq!(pmd_count(&[1, 2, 3], &[]), 3);
        let c = Config::parse("[[pmd]]\nlcore = 2\n").unwrap();
        assert_eq!(pmd_count(&[1, 2, 3], &c.pmds), 1);
    }

    #[test]
    fn config_pins_queues_and_refuses_nonsense() {
        let ports = plan_ports(&probed(), &Config::default()).unwrap();
        let c = Config::parse(
            "[[pmd]]\nlcore = 2\nrx = [{ port = \"net_tap1\" }]\n[[pmd]]\nlcore = 1\n",
        )
        .unwrap();
        let plan = plan_lcores(&ports, &[1, 2], &c.pmds).unwrap();
        assert_eq!(
            plan[1],
            LcorePlan {
                lcore: 2,
                rx: vec![(1, 0)]
            }
        );
        assert_eq!(
            plan[0],
            LcorePlan {
                lcore: 1,
                rx: vec![(0, 0)]
            }
        );
        assert!(plan_lcores(&ports, &[], &[])
            .unwrap_err()
            .contains("no worker lcore"));
        let c = Config::parse("[[pmd]]\nlcore = 5\n").unwrap();
        assert!(plan_lcores(&ports, &[1], &c.pmds)
            .unwrap_err()
            .contains("lcore 5"));
        let c = Config::parse("[[pmd]]\nlcore = 1\nrx = [{ port = \"net_tap0\", queue = 1 }]\n")
            .unwrap();
        assert!(plan_lcores(&ports, &[1], &c.pmds)
            .unwrap_err()
            .contains("queue 1"));
    }
}
