//! Fast-path handles of one port queue each. A handle is the only way to
//! poll its queue, and it cannot be shared between threads (DPDK queues are
//! single-threaded), though it can move to the lcore that polls it.

use std::cell::Cell;
use std::marker::PhantomData;
use std::sync::Arc;

use super::burst::MbufBurst;
use super::ethdev::PortInner;
use super::ffi;

/// Makes a handle `Send` but not `Sync`.
type NotSync = PhantomData<Cell<()>>;

/// Receives from one rx queue of a port.
pub struct RxQueue {
    port: Arc<PortInner>,
    port_id: u16,
    queue: u16,
    _not_sync: NotSync,
}

impl RxQueue {
    pub(crate) fn new(port: Arc<PortInner>, queue: u16) -> Self {
        RxQueue {
            port_id: port.id(),
            port,
            queue,
            _not_sync: PhantomData,
        }
    }

    pub fn port_id(&self) -> u16 {
        self.port_id
    }

    pub fn queue_id(&self) -> u16 {
        self.queue
    }

    /// Receives up to the burst's free room and appends the packets to it;
    /// returns how many arrived.
    #[inline]
    pub fn rx_burst<const N: usize>(&mut self, burst: &mut MbufBurst<N>) -> usize {
        self.rx_burst_max(burst, N)
    }

    /// Like [`RxQueue::rx_burst`], taking at most `max` packets: the burst
    /// size is a run-time setting, the array a compile-time bound.
    #[inline]
    pub fn rx_burst_max<const N: usize>(&mut self, burst: &mut MbufBurst<N>, max: usize) -> usize {
        let room = u16::try_from(burst.remaining().min(max)).unwrap_or(u16::MAX);
        if room == 0 {
            return 0;
        }
        // SAFETY: this handle is the queue's only poller (taken once, not
        // Sync), the port stays configured while it exists, and the burst
        // has `room` free pointer slots for the driver to fill.
        let got =
            unsafe { ffi::dpsw_eth_rx_burst(self.port_id, self.queue, burst.spare_ptr(), room) };
        let got = usize::from(got.min(room));
        // SAFETY: the driver wrote `got` valid mbufs that we now own.
        unsafe { burst.grow(got) };
        got
    }
}

impl Drop for RxQueue {
    fn drop(&mut self) {
        self.port.return_queue(self.queue, true);
    }
}

/// Transmits on one tx queue of a port.
pub struct TxQueue {
    port: Arc<PortInner>,
    port_id: u16,
    queue: u16,
    _not_sync: NotSync,
}

impl TxQueue {
    pub(crate) fn new(port: Arc<PortInner>, queue: u16) -> Self {
        TxQueue {
            port_id: port.id(),
            port,
            queue,
            _not_sync: PhantomData,
        }
    }

    pub fn port_id(&self) -> u16 {
        self.port_id
    }

    pub fn queue_id(&self) -> u16 {
        self.queue
    }

    /// Hands the burst's packets to the driver, front first; returns how
    /// many it took. The rest stay in the burst, moved to its front, still
    /// owned by the caller (to retry or drop).
    #[inline]
    pub fn tx_burst<const N: usize>(&mut self, burst: &mut MbufBurst<N>) -> usize {
        let count = u16::try_from(burst.len()).unwrap_or(u16::MAX);
        if count == 0 {
            return 0;
        }
        // SAFETY: this handle is the queue's only user; the first `count`
        // burst slots are valid mbufs we own.
        let sent =
            unsafe { ffi::dpsw_eth_tx_burst(self.port_id, self.queue, burst.as_mut_ptr(), count) };
        let sent = usize::from(sent.min(count));
        // SAFETY: the driver owns the first `sent` mbufs now.
        unsafe { burst.consume_front(sent) };
        sent
    }
}

impl Drop for TxQueue {
    fn drop(&mut self) {
        self.port.return_queue(self.queue, false);
    }
}
