//! The Environment Abstraction Layer: initialised once per process, cleaned
//! up when the last handle that depends on it is gone.

use std::ffi::{c_char, CStr, CString};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use super::error::DpdkError;
use super::ffi;

/// Set once `rte_eal_init` has been attempted: DPDK cannot initialise twice
/// in one process, not even after `rte_eal_cleanup`.
static INIT_ATTEMPTED: AtomicBool = AtomicBool::new(false);

/// Set when DPDK memory may still be referenced by objects Rust no longer
/// tracks (a mempool dropped with mbufs outstanding): cleanup would unmap
/// it under them, so it is skipped.
static KEEP_MEMORY_MAPPED: AtomicBool = AtomicBool::new(false);

/// Proof that EAL is initialised. Every DPDK object created from it holds a
/// clone, so `rte_eal_cleanup` runs only after the last of them is dropped.
#[derive(Clone)]
pub struct Eal {
    inner: Arc<EalInner>,
}

struct EalInner {
    /// The argument strings handed to EAL, kept alive for the process's
    /// DPDK lifetime because EAL may keep pointers into them.
    _args: Vec<CString>,
    consumed: usize,
    app_args: Vec<String>,
    main_lcore: u32,
    cleaned_up: AtomicBool,
}

impl Eal {
    /// Initialises EAL with `args` (`args[0]` is the program name), as
    /// `rte_eal_init` would with a C `argv`.
    ///
    /// Only the first call in a process reaches `rte_eal_init`; later calls
    /// return [`DpdkError::AlreadyInitialised`].
    pub fn init(args: Vec<String>) -> Result<Eal, DpdkError> {
        const OP: &str = "rte_eal_init";
        if args.is_empty() {
            return Err(DpdkError::invalid(
                OP,
                "arguments must start with the program name",
            ));
        }
        let c_args = args
            .into_iter()
            .map(|arg| {
                CString::new(arg)
                    .map_err(|_| DpdkError::invalid(OP, "argument contains a NUL byte"))
            })
            .collect::<Result<Vec<CString>, DpdkError>>()?;
        let argc = i32::try_from(c_args.len())
            .map_err(|_| DpdkError::invalid(OP, "too many arguments"))?;
        if INIT_ATTEMPTED.swap(true, Ordering::SeqCst) {
            return Err(DpdkError::AlreadyInitialised);
        }

        // getopt may permute this array, so it is read back afterwards.
        let mut argv: Vec<*mut c_char> = c_args
            .iter()
            .map(|arg| arg.as_ptr().cast_mut())
            .chain(std::iter::once(std::ptr::null_mut()))
            .collect();
        // SAFETY: argv holds argc pointers to NUL-terminated strings that
        // outlive EAL (kept in EalInner) followed by a NULL, as C's main
        // gets; EAL only permutes and reads the array.
        let ret = unsafe { ffi::rte_eal_init(argc, argv.as_mut_ptr()) };
        if ret < 0 {
            return Err(DpdkError::from_rte_errno(OP));
        }
        let consumed = usize::try_from(ret).unwrap_or(0);
        let app_args = argv
            .iter()
            .take(c_args.len())
            .skip(consumed)
            .filter(|ptr| !ptr.is_null())
            // SAFETY: every non-null entry still points at one of our
            // CStrings (EAL only reorders them and reuses argv[0]).
            .map(|ptr| {
                unsafe { CStr::from_ptr(*ptr) }
                    .to_string_lossy()
                    .into_owned()
            })
            .collect();
        // SAFETY: EAL is initialised; a plain getter.
        let main_lcore = unsafe { ffi::rte_get_main_lcore() };
        Ok(Eal {
            inner: Arc::new(EalInner {
                _args: c_args,
                consumed,
                app_args,
                main_lcore,
                cleaned_up: AtomicBool::new(false),
            }),
        })
    }

    /// How many arguments after the program name EAL consumed (up to and
    /// including a `--` separator).
    pub fn consumed_args(&self) -> usize {
        self.inner.consumed
    }

    /// The arguments EAL left for the application: the program name
    /// followed by everything after `--`.
    pub fn app_args(&self) -> &[String] {
        &self.inner.app_args
    }

    /// The lcore `rte_eal_init` ran on.
    pub fn main_lcore(&self) -> u32 {
        self.inner.main_lcore
    }

    /// Runs `rte_eal_cleanup` now if this is the last handle. Otherwise
    /// cleanup is deferred to whichever handle is dropped last, and the
    /// error says so.
    pub fn cleanup(self) -> Result<(), DpdkError> {
        match Arc::try_unwrap(self.inner) {
            Ok(inner) => inner.cleanup(),
            Err(shared) => {
                let others = Arc::strong_count(&shared).saturating_sub(1);
                Err(DpdkError::busy(
                    "rte_eal_cleanup",
                    format!("{others} DPDK handles still alive; cleanup deferred to the last"),
                ))
            }
        }
    }
}

impl std::fmt::Debug for Eal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Eal")
            .field("main_lcore", &self.inner.main_lcore)
            .field("app_args", &self.inner.app_args)
            .finish()
    }
}

impl EalInner {
    fn cleanup(&self) -> Result<(), DpdkError> {
        if self.cleaned_up.swap(true, Ordering::SeqCst) {
            return Ok(());
        }
        if KEEP_MEMORY_MAPPED.load(Ordering::SeqCst) {
            return Err(DpdkError::busy(
                "rte_eal_cleanup",
                "mbufs of a dropped mempool may still be referenced; memory stays mapped",
            ));
        }
        // SAFETY: a plain getter of this thread's lcore id.
        let lcore = unsafe { ffi::dpsw_lcore_id() };
        if lcore != self.main_lcore {
            return Err(DpdkError::busy(
                "rte_eal_cleanup",
                "only the main lcore may clean up EAL",
            ));
        }
        // SAFETY: no Rust handle to DPDK memory is left (this is the last
        // Eal reference and all objects hold one), and we are on the main
        // lcore.
        let ret = unsafe { ffi::rte_eal_cleanup() };
        super::error::check("rte_eal_cleanup", ret).map(drop)
    }
}

impl Drop for EalInner {
    fn drop(&mut self) {
        // A failed cleanup at drop leaves memory mapped, which is harmless
        // at process exit; explicit `Eal::cleanup` reports it.
        let _ = self.cleanup();
    }
}

/// Makes EAL cleanup skip unmapping DPDK memory, for objects whose memory
/// may outlive every Rust handle.
pub(crate) fn keep_memory_mapped() {
    KEEP_MEMORY_MAPPED.store(true, Ordering::SeqCst);
}

/// Whether `Eal::init` has been called in this process.
pub fn init_attempted() -> bool {
    INIT_ATTEMPTED.load(Ordering::SeqCst)
}

#[cfg(test)]
mod tests {
    use super::*;

    // These run without EAL: both are refused before rte_eal_init.
    #[test]
    fn empty_arguments_are_refused() {
        let err = Eal::init(Vec::new()).unwrap_err();
        assert!(matches!(err, DpdkError::InvalidArgument { .. }), "{err}");
    }

    #[test]
    fn arguments_with_nul_bytes_are_refused() {
        let err = Eal::init(vec!["prog".into(), "--no-p\0ci".into()]).unwrap_err();
        assert!(err.to_string().contains("NUL"), "{err}");
    }
}
