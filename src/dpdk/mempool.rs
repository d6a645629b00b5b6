//! Packet-buffer pools (`rte_pktmbuf_pool_create`).

use std::ffi::CString;
use std::ptr::NonNull;
use std::sync::Arc;

use super::eal::{self, Eal};
use super::error::DpdkError;
use super::ffi;
use super::mbuf::Mbuf;

/// Any NUMA socket, for pools and queues that need not be local.
pub const SOCKET_ID_ANY: i32 = -1;

/// The data room of DPDK's default mbuf: 2048 bytes plus headroom.
pub const DEFAULT_DATA_ROOM: u16 = ffi::RTE_MBUF_DEFAULT_BUF_SIZE as u16;

/// `RTE_MEMPOOL_NAMESIZE` (a `sizeof` expression bindgen cannot evaluate):
/// 32-byte memzone names minus the "RG_" and "MP_" prefixes, NUL included.
const MEMPOOL_NAMESIZE: usize = 26;

/// A shared handle to a pool of packet buffers. Clones share the pool; it
/// is freed when the last handle (including those ports keep for their rx
/// queues) is dropped, unless mbufs are still out, in which case it is kept
/// for the rest of the process.
#[derive(Clone)]
pub struct Mempool {
    inner: Arc<MempoolInner>,
}

struct MempoolInner {
    pool: NonNull<ffi::rte_mempool>,
    _eal: Eal,
}

// SAFETY: mbuf pools use DPDK's multi-producer/multi-consumer ring ops, so
// allocating, freeing and counting are safe from any thread.
unsafe impl Send for MempoolInner {}
// SAFETY: as above; no method needs exclusive access.
unsafe impl Sync for MempoolInner {}

impl Mempool {
    /// Creates a pool of `count` mbufs with `data_room` bytes each
    /// (headroom included), a per-lcore cache of `cache_size` mbufs, on
    /// NUMA `socket` (or [`SOCKET_ID_ANY`]). Names are unique per process.
    pub fn create_pktmbuf(
        eal: &Eal,
        name: &str,
        count: u32,
        cache_size: u32,
        data_room: u16,
        socket: i32,
    ) -> Result<Mempool, DpdkError> {
        const OP: &str = "rte_pktmbuf_pool_create";
        let c_name = CString::new(name).map_err(|_| DpdkError::invalid(OP, "name contains NUL"))?;
        if name.is_empty() || name.len() >= MEMPOOL_NAMESIZE {
            return Err(DpdkError::invalid(
                OP,
                format!("name must be 1 to {} bytes", MEMPOOL_NAMESIZE - 1),
            ));
        }
        // SAFETY: EAL is initialised (eal proves it); the name is a valid C
        // string that DPDK copies.
        let pool = unsafe {
            ffi::rte_pktmbuf_pool_create(c_name.as_ptr(), count, cache_size, 0, data_room, socket)
        };
        let pool = NonNull::new(pool).ok_or_else(|| DpdkError::from_rte_errno(OP))?;
        Ok(Mempool {
            inner: Arc::new(MempoolInner {
                pool,
                _eal: eal.clone(),
            }),
        })
    }

    /// Takes one mbuf from the pool, reset to an empty packet with default
    /// headroom; `None` when the pool is exhausted.
    #[inline]
    pub fn alloc(&self) -> Option<Mbuf> {
        // SAFETY: the pool is alive (we hold it); alloc is thread-safe.
        let raw = unsafe { ffi::dpsw_pktmbuf_alloc(self.as_ptr()) };
        // SAFETY: a non-null result is a fresh mbuf owned by nobody else.
        NonNull::new(raw).map(|mbuf| unsafe { Mbuf::from_raw(mbuf) })
    }

    /// Mbufs currently in the pool (its ring plus per-lcore caches).
    pub fn avail_count(&self) -> u32 {
        // SAFETY: the pool is alive; the count only reads.
        unsafe { ffi::rte_mempool_avail_count(self.as_ptr()) }
    }

    /// Mbufs currently taken from the pool (in flight, held by queues, or
    /// owned by Rust values).
    pub fn in_use_count(&self) -> u32 {
        // SAFETY: the pool is alive; the count only reads.
        unsafe { ffi::rte_mempool_in_use_count(self.as_ptr()) }
    }

    /// Total number of mbufs the pool holds.
    pub fn capacity(&self) -> u32 {
        // SAFETY: the pool is alive and `size` is fixed at creation.
        unsafe { (*self.as_ptr()).size }
    }

    pub(crate) fn as_ptr(&self) -> *mut ffi::rte_mempool {
        self.inner.pool.as_ptr()
    }
}

impl std::fmt::Debug for Mempool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mempool")
            .field("capacity", &self.capacity())
            .field("in_use", &self.in_use_count())
            .finish()
    }
}

impl Drop for MempoolInner {
    fn drop(&mut self) {
        let pool = self.pool.as_ptr();
        // SAFETY: the pool is alive until freed below.
        let in_use = unsafe { ffi::rte_mempool_in_use_count(pool) };
        if in_use == 0 {
            // SAFETY: no handle remains and no mbuf is out, so nothing can
            // reach the pool any more.
            unsafe { ffi::rte_mempool_free(pool) };
        } else {
            // Outstanding mbufs point into the pool: keep it, and keep EAL
            // from unmapping its memory.
            eal::keep_memory_mapped();
        }
    }
}
