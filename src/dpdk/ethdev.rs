//! Ethernet ports: discovery, configuration, start/stop/close, and their
//! control-plane state (link, statistics, MAC, promiscuous mode). The
//! fast-path queue handles live in `queue.rs`.

use std::ffi::{c_char, CStr, CString};
use std::sync::Arc;

use parking_lot::{Mutex, MutexGuard};

use super::eal::Eal;
use super::error::{check, DpdkError};
use super::ffi;
use super::mempool::Mempool;
use super::queue::{RxQueue, TxQueue};

/// Ports with a live `Port` handle; one handle per port keeps queue
/// ownership tracking meaningful.
static OPEN_PORTS: Mutex<[bool; ffi::RTE_MAX_ETHPORTS as usize]> =
    Mutex::new([false; ffi::RTE_MAX_ETHPORTS as usize]);

/// Number of usable ports.
pub fn port_count(_eal: &Eal) -> u16 {
    // SAFETY: EAL is initialised; a plain getter.
    unsafe { ffi::rte_eth_dev_count_avail() }
}

/// Ids of every usable port, ascending.
pub fn port_ids(_eal: &Eal) -> Vec<u16> {
    let mut ids = Vec::new();
    let owner = u64::from(ffi::RTE_ETH_DEV_NO_OWNER);
    // SAFETY (both calls): EAL is initialised; the lookup only reads the
    // port table and returns RTE_MAX_ETHPORTS when there is no next port.
    let mut next = unsafe { ffi::rte_eth_find_next_owned_by(0, owner) };
    while let Ok(id) = u16::try_from(next) {
        if u32::from(id) >= ffi::RTE_MAX_ETHPORTS {
            break;
        }
        ids.push(id);
        let Some(after) = id.checked_add(1) else {
            break;
        };
        // SAFETY: as above.
        next = unsafe { ffi::rte_eth_find_next_owned_by(after, owner) };
    }
    ids
}

/// The id of the port named `name` (e.g. "net_ring0").
pub fn port_id_by_name(_eal: &Eal, name: &str) -> Result<u16, DpdkError> {
    const OP: &str = "rte_eth_dev_get_port_by_name";
    let c_name = CString::new(name).map_err(|_| DpdkError::invalid(OP, "name contains NUL"))?;
    let mut id = 0u16;
    // SAFETY: EAL is initialised; name is a C string, id a valid out slot.
    check(OP, unsafe {
        ffi::rte_eth_dev_get_port_by_name(c_name.as_ptr(), &mut id)
    })?;
    Ok(id)
}

/// The name of port `port_id`.
pub fn port_name(_eal: &Eal, port_id: u16) -> Result<String, DpdkError> {
    const OP: &str = "rte_eth_dev_get_name_by_port";
    let mut name = [0 as c_char; ffi::RTE_ETH_NAME_MAX_LEN as usize];
    // SAFETY: EAL is initialised; the buffer has RTE_ETH_NAME_MAX_LEN bytes
    // as the function requires, and it NUL-terminates on success.
    check(OP, unsafe {
        ffi::rte_eth_dev_get_name_by_port(port_id, name.as_mut_ptr())
    })?;
    // SAFETY: NUL-terminated within the buffer on success.
    Ok(unsafe { CStr::from_ptr(name.as_ptr()) }
        .to_string_lossy()
        .into_owned())
}

/// What the driver says the port can do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortInfo {
    pub driver_name: String,
    pub max_rx_queues: u16,
    pub max_tx_queues: u16,
    /// RSS hash types the port supports; 0 means no RSS.
    pub flow_type_rss_offloads: u64,
    pub min_mtu: u16,
    pub max_mtu: u16,
    /// Kernel interface index for ports bound to one (net_tap), else 0.
    pub if_index: u32,
    pub socket_id: i32,
}

/// Queue layout for [`Port::configure`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PortConfig {
    pub rx_queues: u16,
    pub tx_queues: u16,
    /// Descriptors per rx queue (rounded to what the driver accepts).
    pub rx_descriptors: u16,
    /// Descriptors per tx queue (rounded to what the driver accepts).
    pub tx_descriptors: u16,
}

impl Default for PortConfig {
    fn default() -> Self {
        PortConfig {
            rx_queues: 1,
            tx_queues: 1,
            rx_descriptors: 1024,
            tx_descriptors: 1024,
        }
    }
}

/// Link state from `rte_eth_link_get_nowait`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinkStatus {
    pub up: bool,
    pub speed_mbps: u32,
    pub full_duplex: bool,
}

/// Port counters from `rte_eth_stats_get`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PortStats {
    pub ipackets: u64,
    pub opackets: u64,
    pub ibytes: u64,
    pub obytes: u64,
    /// Packets the hardware dropped because rx queues were full.
    pub imissed: u64,
    pub ierrors: u64,
    pub oerrors: u64,
    /// Rx mbuf allocation failures.
    pub rx_nombuf: u64,
}

/// The control handle of one Ethernet port. Queue handles taken from it
/// keep the port open; it is stopped and closed when the last is dropped.
pub struct Port {
    inner: Arc<PortInner>,
}

pub(crate) struct PortInner {
    id: u16,
    state: Mutex<PortState>,
    _eal: Eal,
}

#[derive(Default)]
struct PortState {
    configured: bool,
    started: bool,
    closed: bool,
    rss: bool,
    rx_taken: Vec<bool>,
    tx_taken: Vec<bool>,
    /// The pools rx queues allocate from, alive as long as the port.
    rx_pools: Vec<Mempool>,
}

impl PortState {
    fn queues_taken(&self) -> usize {
        self.rx_taken
            .iter()
            .chain(&self.tx_taken)
            .filter(|t| **t)
            .count()
    }

    /// Changing the port's queues or fast-path functions races with
    /// polling threads, so it waits until every queue handle is back.
    fn require_no_queue_handles(&self, operation: &'static str) -> Result<(), DpdkError> {
        match self.queues_taken() {
            0 => Ok(()),
            n => Err(DpdkError::busy(
                operation,
                format!("{n} queue handles are still out"),
            )),
        }
    }
}

impl Port {
    /// Opens the control handle of port `port_id`; one per port at a time.
    pub fn open(eal: &Eal, port_id: u16) -> Result<Port, DpdkError> {
        const OP: &str = "open port";
        // SAFETY: EAL is initialised; validity check of any id.
        if unsafe { ffi::rte_eth_dev_is_valid_port(port_id) } == 0 {
            return Err(DpdkError::invalid(OP, format!("no port {port_id}")));
        }
        {
            let mut open = OPEN_PORTS.lock();
            let slot = open
                .get_mut(usize::from(port_id))
                .ok_or_else(|| DpdkError::invalid(OP, format!("no port {port_id}")))?;
            if *slot {
                return Err(DpdkError::busy(
                    OP,
                    format!("port {port_id} is already open"),
                ));
            }
            *slot = true;
        }
        Ok(Port {
            inner: Arc::new(PortInner {
                id: port_id,
                state: Mutex::new(PortState::default()),
                _eal: eal.clone(),
            }),
        })
    }

    /// Opens the port named `name`.
    pub fn open_by_name(eal: &Eal, name: &str) -> Result<Port, DpdkError> {
        Port::open(eal, port_id_by_name(eal, name)?)
    }

    pub fn id(&self) -> u16 {
        self.inner.id
    }

    /// The driver's capabilities.
    pub fn info(&self) -> Result<PortInfo, DpdkError> {
        self.inner.info()
    }

    /// Configures the queues and sets them up, every rx queue allocating
    /// from `rx_pool`. With more than one rx queue, RSS spreads packets
    /// over them when the driver supports it. The port must be stopped and
    /// no queue handle out.
    pub fn configure(&self, config: &PortConfig, rx_pool: &Mempool) -> Result<(), DpdkError> {
        let mut state = self.inner.lock_state();
        state.require_no_queue_handles("rte_eth_dev_configure")?;
        if state.started {
            return Err(DpdkError::busy("rte_eth_dev_configure", "port is started"));
        }
        let info = self.inner.info()?;
        if config.rx_queues == 0 || config.rx_queues > info.max_rx_queues {
            return Err(DpdkError::invalid(
                "rte_eth_dev_configure",
                format!("rx queues must be 1..={}", info.max_rx_queues),
            ));
        }
        if config.tx_queues == 0 || config.tx_queues > info.max_tx_queues {
            return Err(DpdkError::invalid(
                "rte_eth_dev_configure",
                format!("tx queues must be 1..={}", info.max_tx_queues),
            ));
        }
        let id = self.inner.id;
        let mut conf = ffi::rte_eth_conf::default();
        let rss = config.rx_queues > 1 && info.flow_type_rss_offloads != 0;
        if rss {
            conf.rxmode.mq_mode = ffi::RTE_ETH_MQ_RX_RSS;
            conf.rx_adv_conf.rss_conf.rss_hf = info.flow_type_rss_offloads;
        }
        state.configured = false;
        // SAFETY: EAL is initialised, the port is valid and stopped, and no
        // queue handle can poll it (checked above under the state lock).
        check("rte_eth_dev_configure", unsafe {
            ffi::rte_eth_dev_configure(id, config.rx_queues, config.tx_queues, &conf)
        })?;
        let (mut rx_desc, mut tx_desc) = (config.rx_descriptors, config.tx_descriptors);
        // SAFETY: both pointers are valid u16 slots the driver rounds.
        check("rte_eth_dev_adjust_nb_rx_tx_desc", unsafe {
            ffi::rte_eth_dev_adjust_nb_rx_tx_desc(id, &mut rx_desc, &mut tx_desc)
        })?;
        let socket = info.socket_id.max(-1) as u32;
        for queue in 0..config.rx_queues {
            // SAFETY: configured port, queue < rx_queues, default rx conf
            // (NULL), and a live pool that the port keeps (rx_pools).
            check("rte_eth_rx_queue_setup", unsafe {
                ffi::rte_eth_rx_queue_setup(
                    id,
                    queue,
                    rx_desc,
                    socket,
                    std::ptr::null(),
                    rx_pool.as_ptr(),
                )
            })?;
        }
        for queue in 0..config.tx_queues {
            // SAFETY: configured port, queue < tx_queues, default tx conf.
            check("rte_eth_tx_queue_setup", unsafe {
                ffi::rte_eth_tx_queue_setup(id, queue, tx_desc, socket, std::ptr::null())
            })?;
        }
        // Pools of earlier configurations stay too: their mbufs may still
        // sit in the driver until close.
        if !state
            .rx_pools
            .iter()
            .any(|pool| pool.as_ptr() == rx_pool.as_ptr())
        {
            state.rx_pools.push(rx_pool.clone());
        }
        state.rx_taken = vec![false; usize::from(config.rx_queues)];
        state.tx_taken = vec![false; usize::from(config.tx_queues)];
        state.rss = rss;
        state.configured = true;
        Ok(())
    }

    /// Whether the last `configure` enabled RSS.
    pub fn rss_enabled(&self) -> bool {
        self.inner.lock_state().rss
    }

    /// Starts the port; requires `configure` and no queue handle out.
    pub fn start(&self) -> Result<(), DpdkError> {
        const OP: &str = "rte_eth_dev_start";
        let mut state = self.inner.lock_state();
        if !state.configured {
            return Err(DpdkError::invalid(OP, "port is not configured"));
        }
        if state.started {
            return Ok(());
        }
        state.require_no_queue_handles(OP)?;
        // SAFETY: configured port; no thread polls it (checked above).
        check(OP, unsafe { ffi::rte_eth_dev_start(self.inner.id) })?;
        state.started = true;
        Ok(())
    }

    /// Stops the port; requires every queue handle back.
    pub fn stop(&self) -> Result<(), DpdkError> {
        let mut state = self.inner.lock_state();
        state.require_no_queue_handles("rte_eth_dev_stop")?;
        self.inner.stop_locked(&mut state)
    }

    /// Stops and closes the port now if no queue handle is out; otherwise
    /// closing is deferred to the last queue handle's drop and the error
    /// says so.
    pub fn close(self) -> Result<(), DpdkError> {
        let mut state = self.inner.lock_state();
        state.require_no_queue_handles("rte_eth_dev_close")?;
        self.inner.close_locked(&mut state)
    }

    /// Takes the handle that polls rx queue `queue`; one per queue at a
    /// time, returned when dropped.
    pub fn rx_queue(&self, queue: u16) -> Result<RxQueue, DpdkError> {
        let mut state = self.inner.lock_state();
        take_queue(&mut state.rx_taken, queue, "rx")?;
        Ok(RxQueue::new(Arc::clone(&self.inner), queue))
    }

    /// Takes the handle that transmits on tx queue `queue`; one per queue
    /// at a time, returned when dropped.
    pub fn tx_queue(&self, queue: u16) -> Result<TxQueue, DpdkError> {
        let mut state = self.inner.lock_state();
        take_queue(&mut state.tx_taken, queue, "tx")?;
        Ok(TxQueue::new(Arc::clone(&self.inner), queue))
    }

    /// Current link state, without waiting for negotiation.
    pub fn link(&self) -> Result<LinkStatus, DpdkError> {
        let mut link = ffi::rte_eth_link::default();
        // SAFETY: valid port (open handle); link is a valid out struct.
        check("rte_eth_link_get_nowait", unsafe {
            ffi::rte_eth_link_get_nowait(self.inner.id, &mut link)
        })?;
        Ok(LinkStatus {
            up: link.link_status() != 0,
            speed_mbps: link.link_speed,
            full_duplex: link.link_duplex() != 0,
        })
    }

    /// Port counters.
    pub fn stats(&self) -> Result<PortStats, DpdkError> {
        let mut stats = ffi::rte_eth_stats::default();
        // SAFETY: valid port; stats is a valid out struct.
        check("rte_eth_stats_get", unsafe {
            ffi::rte_eth_stats_get(self.inner.id, &mut stats)
        })?;
        Ok(PortStats {
            ipackets: stats.ipackets,
            opackets: stats.opackets,
            ibytes: stats.ibytes,
            obytes: stats.obytes,
            imissed: stats.imissed,
            ierrors: stats.ierrors,
            oerrors: stats.oerrors,
            rx_nombuf: stats.rx_nombuf,
        })
    }

    /// Zeroes the port counters.
    pub fn reset_stats(&self) -> Result<(), DpdkError> {
        // SAFETY: valid port.
        check("rte_eth_stats_reset", unsafe {
            ffi::rte_eth_stats_reset(self.inner.id)
        })
        .map(drop)
    }

    /// The port's MAC address.
    pub fn mac_address(&self) -> Result<[u8; 6], DpdkError> {
        let mut mac = ffi::rte_ether_addr::default();
        // SAFETY: valid port; mac is a valid out struct.
        check("rte_eth_macaddr_get", unsafe {
            ffi::rte_eth_macaddr_get(self.inner.id, &mut mac)
        })?;
        Ok(mac.addr_bytes)
    }

    /// Turns promiscuous mode on or off.
    pub fn set_promiscuous(&self, on: bool) -> Result<(), DpdkError> {
        // SAFETY: valid port.
        let ret = unsafe {
            if on {
                ffi::rte_eth_promiscuous_enable(self.inner.id)
            } else {
                ffi::rte_eth_promiscuous_disable(self.inner.id)
            }
        };
        check("rte_eth_promiscuous_enable/disable", ret).map(drop)
    }

    /// Sets the link administratively up or down (for a port bound to a
    /// kernel interface, such as net_tap, the interface's IFF_UP).
    pub fn set_link(&self, up: bool) -> Result<(), DpdkError> {
        // SAFETY: valid port (open handle); the driver changes its link
        // state, which pollers of its queues may run alongside.
        let ret = unsafe {
            if up {
                ffi::rte_eth_dev_set_link_up(self.inner.id)
            } else {
                ffi::rte_eth_dev_set_link_down(self.inner.id)
            }
        };
        check("rte_eth_dev_set_link_up/down", ret).map(drop)
    }

    /// Whether promiscuous mode is on.
    pub fn promiscuous(&self) -> Result<bool, DpdkError> {
        // SAFETY: valid port.
        let ret = unsafe { ffi::rte_eth_promiscuous_get(self.inner.id) };
        check("rte_eth_promiscuous_get", ret).map(|on| on == 1)
    }
}

impl std::fmt::Debug for Port {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Port").field("id", &self.inner.id).finish()
    }
}

fn take_queue(taken: &mut [bool], queue: u16, kind: &str) -> Result<(), DpdkError> {
    const OP: &str = "take queue";
    let count = taken.len();
    let slot = taken.get_mut(usize::from(queue)).ok_or_else(|| {
        DpdkError::invalid(
            OP,
            format!("{kind} queue {queue} not configured ({count} queues)"),
        )
    })?;
    if *slot {
        return Err(DpdkError::busy(
            OP,
            format!("{kind} queue {queue} is already taken"),
        ));
    }
    *slot = true;
    Ok(())
}

impl PortInner {
    pub(crate) fn id(&self) -> u16 {
        self.id
    }

    fn lock_state(&self) -> MutexGuard<'_, PortState> {
        self.state.lock()
    }

    /// Gives a queue back; called by the queue handles' Drop.
    pub(crate) fn return_queue(&self, queue: u16, rx: bool) {
        let mut state = self.lock_state();
        let taken = if rx {
            &mut state.rx_taken
        } else {
            &mut state.tx_taken
        };
        if let Some(slot) = taken.get_mut(usize::from(queue)) {
            *slot = false;
        }
    }

    fn info(&self) -> Result<PortInfo, DpdkError> {
        let mut info = ffi::rte_eth_dev_info::default();
        // SAFETY: valid port; info is a valid out struct.
        check("rte_eth_dev_info_get", unsafe {
            ffi::rte_eth_dev_info_get(self.id, &mut info)
        })?;
        let driver_name = if info.driver_name.is_null() {
            String::new()
        } else {
            // SAFETY: non-null driver names are static C strings.
            unsafe { CStr::from_ptr(info.driver_name) }
                .to_string_lossy()
                .into_owned()
        };
        // SAFETY: valid port; a plain getter.
        let socket_id = unsafe { ffi::rte_eth_dev_socket_id(self.id) };
        Ok(PortInfo {
            driver_name,
            max_rx_queues: info.max_rx_queues,
            max_tx_queues: info.max_tx_queues,
            flow_type_rss_offloads: info.flow_type_rss_offloads,
            min_mtu: info.min_mtu,
            max_mtu: info.max_mtu,
            if_index: info.if_index,
            socket_id,
        })
    }

    fn stop_locked(&self, state: &mut PortState) -> Result<(), DpdkError> {
        if !state.started || state.closed {
            return Ok(());
        }
        // SAFETY: started port; no queue handle polls it (callers check,
        // or this is the last reference).
        check("rte_eth_dev_stop", unsafe {
            ffi::rte_eth_dev_stop(self.id)
        })?;
        state.started = false;
        Ok(())
    }

    fn close_locked(&self, state: &mut PortState) -> Result<(), DpdkError> {
        if state.closed {
            return Ok(());
        }
        self.stop_locked(state)?;
        // SAFETY: stopped port with no poller; the id is not used again
        // (closed is set and the open slot released on drop).
        check("rte_eth_dev_close", unsafe {
            ffi::rte_eth_dev_close(self.id)
        })?;
        state.closed = true;
        Ok(())
    }
}

impl Drop for PortInner {
    fn drop(&mut self) {
        let mut state = self.state.lock();
        // Errors here can only be reported by logging, which the caller of
        // an explicit `Port::close` gets instead.
        let _ = self.close_locked(&mut state);
        drop(state);
        if let Some(slot) = OPEN_PORTS.lock().get_mut(usize::from(self.id)) {
            *slot = false;
        }
    }
}
