//! Devices attached and detached at run time (hot plug): a virtual device
//! probed from its devargs (`net_tap3,iface=x`), which makes its ethdev
//! port appear, and removed again once its port is closed.

use std::ffi::CString;

use super::eal::Eal;
use super::error::{check, DpdkError};
use super::ffi;

/// Probes the device `devargs` describes (e.g. `net_af_packet2,iface=veth0`);
/// its ethdev port is then found by the device's name (the part before the
/// first comma). Management lcore only: DPDK's device lists are not
/// thread-safe.
pub fn probe_device(_eal: &Eal, devargs: &str) -> Result<(), DpdkError> {
    const OP: &str = "rte_dev_probe";
    let c = CString::new(devargs).map_err(|_| DpdkError::invalid(OP, "devargs contain NUL"))?;
    // SAFETY: EAL is initialised; devargs is a NUL-terminated string that
    // DPDK copies (it keeps no pointer into it).
    check(OP, unsafe { ffi::rte_dev_probe(c.as_ptr()) }).map(drop)
}

/// Removes the device `name` of bus `bus` ("vdev" for virtual devices).
/// Its ethdev port must be closed first (the `Port` handle dropped or
/// closed); the driver then releases what the probe created (a tap
/// interface, an af_packet socket).
pub fn remove_device(_eal: &Eal, bus: &str, name: &str) -> Result<(), DpdkError> {
    const OP: &str = "rte_eal_hotplug_remove";
    let b = CString::new(bus).map_err(|_| DpdkError::invalid(OP, "bus name contains NUL"))?;
    let n = CString::new(name).map_err(|_| DpdkError::invalid(OP, "device name contains NUL"))?;
    // SAFETY: EAL is initialised; both arguments are NUL-terminated strings
    // DPDK only reads during the call.
    check(OP, unsafe {
        ffi::rte_eal_hotplug_remove(b.as_ptr(), n.as_ptr())
    })
    .map(drop)
}
