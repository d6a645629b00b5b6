//! Why the switch could not be opened or started, with the errno of the
//! DPDK call or flow-table change that failed where there is one.

use super::switch::PortError;
use crate::classifier::TableError;
use crate::dpdk::DpdkError;
use nix::errno::Errno;

#[derive(Debug, thiserror::Error)]
pub enum SwitchError {
    /// A DPDK call failed while doing `what`.
    #[error("{what}: {source}")]
    Dpdk { what: String, source: DpdkError },
    /// The flow table refused while doing `what`.
    #[error("{what}: {source}")]
    Table { what: String, source: TableError },
    /// A configured port could not be attached.
    #[error(transparent)]
    Port(#[from] PortError),
    /// The datapath's local port could not be created.
    #[error("local port {name:?}: {source}")]
    LocalPort { name: String, source: PortError },
    /// The configuration asks for what this machine cannot give.
    #[error("{0}")]
    Config(String),
    /// PMD loops that panicked instead of returning at shutdown.
    #[error("PMD lcore(s) {0:?} panicked")]
    PmdPanicked(Vec<u32>),
    /// The switch's own bookkeeping disagrees with itself.
    #[error("{0}")]
    Inconsistent(&'static str),
}

impl SwitchError {
    /// `map_err(SwitchError::dpdk(what))`: a DPDK failure while doing
    /// `what`.
    pub(crate) fn dpdk(what: impl ToString) -> impl FnOnce(DpdkError) -> SwitchError {
        move |source| SwitchError::Dpdk {
            what: what.to_string(),
            source,
        }
    }

    /// The errno of the failed call, if one failed.
    pub fn errno(&self) -> Option<Errno> {
        match self {
            SwitchError::Dpdk { source, .. } => source.errno(),
            SwitchError::Table { source, .. } => Some(source.errno()),
            SwitchError::Port(source) | SwitchError::LocalPort { source, .. } => {
                Some(source.errno())
            }
            SwitchError::Config(_) | SwitchError::PmdPanicked(_) | SwitchError::Inconsistent(_) => {
                None
            }
        }
    }
}
