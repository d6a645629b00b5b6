//! Packet capture for DPDK's secondary-process tools (`dpdk-dumpcap`,
//! `dpdk-pdump`): `rte_pdump_init` answers their requests to capture a
//! port. Nothing runs per packet until a tool asks: only then does pdump
//! add rx/tx callbacks to the port's queues, and it removes them when the
//! capture ends. The copies go into the tool's own mempool, never the
//! switch's.

use super::eal::Eal;
use super::error::DpdkError;
use super::ffi;

/// Packet capture served while this lives; `rte_pdump_uninit` when it
/// goes, before EAL's cleanup (it holds an [`Eal`]).
pub struct PacketCapture {
    _eal: Eal,
}

impl PacketCapture {
    /// Starts serving capture requests. Secondary processes reach a
    /// primary only through its shared runtime directory: EAL run with a
    /// `--file-prefix` and neither `--in-memory` nor `--no-shconf`
    /// (without it this still succeeds; no tool can attach).
    pub fn init(eal: &Eal) -> Result<PacketCapture, DpdkError> {
        // SAFETY: EAL is initialised (we hold an Eal); called once per
        // process, from the main lcore, before any capture request.
        let ret = unsafe { ffi::rte_pdump_init() };
        if ret < 0 {
            return Err(DpdkError::from_rte_errno("rte_pdump_init"));
        }
        Ok(PacketCapture { _eal: eal.clone() })
    }
}

impl Drop for PacketCapture {
    fn drop(&mut self) {
        // SAFETY: rte_pdump_init succeeded; EAL is still up (we hold an
        // Eal). It unregisters the request handler and frees pdump's
        // statistics memzone.
        unsafe { ffi::rte_pdump_uninit() };
    }
}
