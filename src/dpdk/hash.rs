//! `rte_hash` tables mapping fixed-length byte keys to a word of data, with
//! lock-free concurrent readers and RCU-deferred reclamation of deleted
//! entries.

use std::ffi::{c_void, CString};
use std::marker::PhantomData;
use std::mem::MaybeUninit;
use std::ops::{BitOr, Deref};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr::NonNull;
use std::sync::{Arc, OnceLock};

use nix::errno::Errno;
use parking_lot::Mutex;

use super::eal::Eal;
use super::error::{check, DpdkError};
use super::ffi;
use super::hash_functions::HashFunction;
use super::rcu::Rcu;

/// Most keys one bulk lookup takes (`RTE_HASH_LOOKUP_BULK_MAX`); DPDK's
/// release builds silently find nothing beyond it.
pub const LOOKUP_BULK_MAX: usize = ffi::RTE_HASH_LOOKUP_BULK_MAX as usize;

/// `rte_hash_create` extra flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct HashFlags(u8);

impl HashFlags {
    pub const NONE: HashFlags = HashFlags(0);
    pub const TRANS_MEM_SUPPORT: HashFlags =
        HashFlags(ffi::RTE_HASH_EXTRA_FLAGS_TRANS_MEM_SUPPORT as u8);
    pub const MULTI_WRITER_ADD: HashFlags =
        HashFlags(ffi::RTE_HASH_EXTRA_FLAGS_MULTI_WRITER_ADD as u8);
    pub const RW_CONCURRENCY: HashFlags = HashFlags(ffi::RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY as u8);
    pub const EXT_TABLE: HashFlags = HashFlags(ffi::RTE_HASH_EXTRA_FLAGS_EXT_TABLE as u8);
    pub const NO_FREE_ON_DEL: HashFlags = HashFlags(ffi::RTE_HASH_EXTRA_FLAGS_NO_FREE_ON_DEL as u8);
    /// Lock-free readers concurrent with one writer; what dpswitch's flow
    /// table uses.
    pub const RW_CONCURRENCY_LF: HashFlags =
        HashFlags(ffi::RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF as u8);

    pub fn contains(self, other: HashFlags) -> bool {
        self.0 & other.0 == other.0
    }

    pub fn bits(self) -> u8 {
        self.0
    }
}

impl BitOr for HashFlags {
    type Output = HashFlags;
    fn bitor(self, rhs: HashFlags) -> HashFlags {
        HashFlags(self.0 | rhs.0)
    }
}

/// Parameters of [`HashTable::create`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HashParams {
    /// Unique per process, at most 31 bytes.
    pub name: String,
    /// Capacity (at least 8).
    pub entries: u32,
    /// Every key's length in bytes (at least 1).
    pub key_len: u32,
    pub function: HashFunction,
    pub init_val: u32,
    pub socket: i32,
    pub flags: HashFlags,
}

impl HashParams {
    /// A lock-free table with CRC32-C hashing on any socket.
    pub fn lock_free(name: &str, entries: u32, key_len: u32) -> HashParams {
        HashParams {
            name: name.to_owned(),
            entries,
            key_len,
            function: HashFunction::Crc32c,
            init_val: 0,
            socket: super::mempool::SOCKET_ID_ANY,
            flags: HashFlags::RW_CONCURRENCY_LF,
        }
    }
}

/// How a table returns deleted entries once readers are done with them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RcuReclaimMode {
    /// Deleted entries go to a defer queue reclaimed later by the writer.
    #[default]
    DeferQueue,
    /// Delete blocks until every reader has quiesced.
    Synchronous,
}

/// Options of [`HashTable::attach_rcu`]; zeros mean DPDK's defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RcuReclaimConfig {
    pub mode: RcuReclaimMode,
    /// Defer queue size; 0 means the table's capacity.
    pub dq_size: u32,
    /// Pending entries that trigger reclamation on delete.
    pub trigger_reclaim_limit: u32,
    /// Most entries reclaimed in one go; 0 means DPDK's default.
    pub max_reclaim_size: u32,
}

/// Called with a deleted entry's data once no reader can see it.
pub type ReclaimFn = Box<dyn FnMut(usize) + Send>;

struct RcuAttachment {
    _rcu: Rcu,
    // Boxed so the address handed to DPDK stays put.
    _reclaim: Option<Box<Mutex<ReclaimFn>>>,
}

/// The read side of a table, shared by [`HashTable`] and [`HashReader`].
pub struct HashLookup {
    raw: NonNull<ffi::rte_hash>,
    key_len: usize,
    function: HashFunction,
    init_val: u32,
    concurrent: bool,
    rcu: OnceLock<RcuAttachment>,
    _eal: Eal,
}

// SAFETY: lookups on a table are safe from several threads at once; other
// threads get a HashReader only when the table was created for concurrent
// readers, and writes need &mut HashTable.
unsafe impl Send for HashLookup {}
// SAFETY: as above.
unsafe impl Sync for HashLookup {}

/// An rte_hash table owned by its single writer: the only handle that adds
/// and deletes. Lookups come through `Deref` to [`HashLookup`].
pub struct HashTable {
    table: Arc<HashLookup>,
    _not_sync: PhantomData<std::cell::Cell<()>>,
}

/// A reader's handle, for lookups from other threads concurrently with the
/// writer. Only tables created with a concurrency flag hand them out.
#[derive(Clone)]
pub struct HashReader {
    table: Arc<HashLookup>,
}

/// The result of a bulk lookup: bit `i` of `hits` is set when key `i` was
/// found, and then `data[i]` holds its data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BulkHits(pub u64);

impl BulkHits {
    pub fn is_hit(self, index: usize) -> bool {
        index < 64 && self.0 & (1 << index) != 0
    }

    pub fn count(self) -> u32 {
        self.0.count_ones()
    }
}

impl HashTable {
    /// Creates a table.
    pub fn create(eal: &Eal, params: &HashParams) -> Result<HashTable, DpdkError> {
        const OP: &str = "rte_hash_create";
        if params.name.is_empty() || params.name.len() >= ffi::RTE_HASH_NAMESIZE as usize {
            return Err(DpdkError::invalid(
                OP,
                format!("name must be 1 to {} bytes", ffi::RTE_HASH_NAMESIZE - 1),
            ));
        }
        if params.entries < 8 {
            return Err(DpdkError::invalid(OP, "entries must be at least 8"));
        }
        if params.key_len == 0 {
            return Err(DpdkError::invalid(OP, "key_len must be at least 1"));
        }
        let name = CString::new(params.name.as_str())
            .map_err(|_| DpdkError::invalid(OP, "name contains NUL"))?;
        let raw_params = ffi::rte_hash_parameters {
            name: name.as_ptr(),
            entries: params.entries,
            reserved: 0,
            key_len: params.key_len,
            hash_func: Some(params.function.raw()),
            hash_func_init_val: params.init_val,
            socket_id: params.socket,
            extra_flag: params.flags.bits(),
        };
        // SAFETY: EAL is initialised; the parameters are valid for the call
        // (DPDK copies the name).
        let raw = unsafe { ffi::rte_hash_create(&raw_params) };
        let raw = NonNull::new(raw).ok_or_else(|| DpdkError::from_rte_errno(OP))?;
        let concurrent = params.flags.contains(HashFlags::RW_CONCURRENCY_LF)
            || params.flags.contains(HashFlags::RW_CONCURRENCY);
        Ok(HashTable {
            table: Arc::new(HashLookup {
                raw,
                key_len: params.key_len as usize,
                function: params.function,
                init_val: params.init_val,
                concurrent,
                rcu: OnceLock::new(),
                _eal: eal.clone(),
            }),
            _not_sync: PhantomData,
        })
    }

    /// A handle for lookups on other threads, if the table allows
    /// concurrent readers.
    pub fn reader(&self) -> Option<HashReader> {
        self.table.concurrent.then(|| HashReader {
            table: Arc::clone(&self.table),
        })
    }

    /// Adds or replaces `key` (whose signature is `sig`) with `data`.
    pub fn add(&mut self, key: &[u8], sig: u32, data: usize) -> Result<(), DpdkError> {
        const OP: &str = "rte_hash_add_key_with_hash_data";
        self.table.check_key(OP, key)?;
        // SAFETY: live table, key of key_len bytes, &mut self makes this
        // the only writer.
        let ret = unsafe {
            ffi::rte_hash_add_key_with_hash_data(
                self.table.raw.as_ptr(),
                key.as_ptr().cast(),
                sig,
                data as *mut c_void,
            )
        };
        check(OP, ret).map(drop)
    }

    /// Deletes `key`; false if it was absent. With RCU attached, its slot
    /// (and data, through the reclaim callback) is released after a grace
    /// period.
    pub fn delete(&mut self, key: &[u8], sig: u32) -> Result<bool, DpdkError> {
        const OP: &str = "rte_hash_del_key_with_hash";
        self.table.check_key(OP, key)?;
        // SAFETY: live table, key of key_len bytes, only writer.
        let ret = unsafe {
            ffi::rte_hash_del_key_with_hash(self.table.raw.as_ptr(), key.as_ptr().cast(), sig)
        };
        match ret {
            r if r >= 0 => Ok(true),
            MISSING => Ok(false),
            r => Err(DpdkError::from_return(OP, r)),
        }
    }

    /// Makes deletes wait for RCU readers of `rcu` before reusing slots,
    /// and calls `on_reclaim` with each deleted entry's data once no reader
    /// can see it. Once per table.
    pub fn attach_rcu(
        &mut self,
        rcu: &Rcu,
        config: RcuReclaimConfig,
        on_reclaim: Option<ReclaimFn>,
    ) -> Result<(), DpdkError> {
        const OP: &str = "rte_hash_rcu_qsbr_add";
        if self.table.rcu.get().is_some() {
            return Err(DpdkError::busy(OP, "RCU is already attached"));
        }
        let reclaim = on_reclaim.map(|f| Box::new(Mutex::new(f)));
        let key_data_ptr = reclaim.as_ref().map_or(std::ptr::null_mut(), |f| {
            std::ptr::from_ref::<Mutex<ReclaimFn>>(f).cast_mut().cast()
        });
        let mut raw_config = ffi::rte_hash_rcu_config {
            v: rcu.as_ptr(),
            mode: match config.mode {
                RcuReclaimMode::DeferQueue => ffi::RTE_HASH_QSBR_MODE_DQ,
                RcuReclaimMode::Synchronous => ffi::RTE_HASH_QSBR_MODE_SYNC,
            },
            dq_size: config.dq_size,
            trigger_reclaim_limit: config.trigger_reclaim_limit,
            max_reclaim_size: config.max_reclaim_size,
            key_data_ptr,
            free_key_data_func: reclaim
                .as_ref()
                .map(|_| reclaim_trampoline as unsafe extern "C" fn(*mut c_void, *mut c_void)),
        };
        // SAFETY: live table and QSBR variable; both stay alive as long as
        // the table (the attachment below keeps them), and key_data_ptr
        // points at the boxed callback the trampoline expects.
        let ret = unsafe { ffi::rte_hash_rcu_qsbr_add(self.table.raw.as_ptr(), &mut raw_config) };
        check(OP, ret)?;
        let attached = self.table.rcu.set(RcuAttachment {
            _rcu: rcu.clone(),
            _reclaim: reclaim,
        });
        debug_assert!(attached.is_ok(), "&mut self excludes a racing attach");
        Ok(())
    }
}

impl Deref for HashTable {
    type Target = HashLookup;
    fn deref(&self) -> &HashLookup {
        &self.table
    }
}

impl Deref for HashReader {
    type Target = HashLookup;
    fn deref(&self) -> &HashLookup {
        &self.table
    }
}

impl HashLookup {
    pub fn key_len(&self) -> usize {
        self.key_len
    }

    /// The signature of `key` under the table's hash function, as the
    /// `sig` arguments expect.
    #[inline]
    pub fn hash(&self, key: &[u8]) -> u32 {
        self.function.hash(key, self.init_val)
    }

    /// Entries in the table, including deleted ones not yet reclaimed.
    pub fn count(&self) -> u32 {
        // SAFETY: live table; a read-only count.
        let ret = unsafe { ffi::rte_hash_count(self.raw.as_ptr()) };
        u32::try_from(ret).unwrap_or(0)
    }

    /// The data of `key`, if present.
    #[inline]
    pub fn lookup(&self, key: &[u8], sig: u32) -> Result<Option<usize>, DpdkError> {
        const OP: &str = "rte_hash_lookup_with_hash_data";
        self.check_key(OP, key)?;
        let mut data: *mut c_void = std::ptr::null_mut();
        // SAFETY: live table, key of key_len bytes, valid out slot;
        // lookups may run concurrently (see HashLookup's Sync).
        let ret = unsafe {
            ffi::rte_hash_lookup_with_hash_data(
                self.raw.as_ptr(),
                key.as_ptr().cast(),
                sig,
                &mut data,
            )
        };
        match ret {
            r if r >= 0 => Ok(Some(data as usize)),
            MISSING => Ok(None),
            r => Err(DpdkError::from_return(OP, r)),
        }
    }

    /// Looks up to [`LOOKUP_BULK_MAX`] keys at once, filling `data[i]` for
    /// each hit. `data` must be at least as long as `keys`.
    #[inline]
    pub fn lookup_bulk(&self, keys: &[&[u8]], data: &mut [usize]) -> Result<BulkHits, DpdkError> {
        const OP: &str = "rte_hash_lookup_bulk_data";
        let (mut key_ptrs, n) = self.bulk_keys(OP, keys, data.len())?;
        let mut hits = 0u64;
        // SAFETY: live table; n <= 64 key pointers of key_len bytes each;
        // data has room for n words (usize and void* share layout).
        unsafe {
            ffi::rte_hash_lookup_bulk_data(
                self.raw.as_ptr(),
                key_ptrs.as_mut_ptr(),
                n,
                &mut hits,
                data.as_mut_ptr().cast(),
            )
        };
        Ok(BulkHits(hits))
    }

    /// Like [`HashLookup::lookup_bulk`] with precomputed signatures
    /// (`sigs[i]` for `keys[i]`).
    #[inline]
    pub fn lookup_bulk_with_hash(
        &self,
        keys: &[&[u8]],
        sigs: &[u32],
        data: &mut [usize],
    ) -> Result<BulkHits, DpdkError> {
        const OP: &str = "rte_hash_lookup_with_hash_bulk_data";
        let (mut key_ptrs, n) = self.bulk_keys(OP, keys, data.len())?;
        if sigs.len() < keys.len() {
            return Err(DpdkError::invalid(OP, "fewer signatures than keys"));
        }
        let mut sig_buf = [0u32; LOOKUP_BULK_MAX];
        sig_buf[..keys.len()].copy_from_slice(&sigs[..keys.len()]);
        let mut hits = 0u64;
        // SAFETY: as in lookup_bulk, plus n signatures in sig_buf.
        unsafe {
            ffi::rte_hash_lookup_with_hash_bulk_data(
                self.raw.as_ptr(),
                key_ptrs.as_mut_ptr(),
                sig_buf.as_mut_ptr(),
                n,
                &mut hits,
                data.as_mut_ptr().cast(),
            )
        };
        Ok(BulkHits(hits))
    }

    /// Like [`HashLookup::lookup_bulk_with_hash`] for keys kept in fixed
    /// rows of `K >= key_len` bytes (only the first key_len are read), and
    /// without clearing per-call arrays, which cost more than the lookup
    /// when a burst leaves few keys for many subtables. Calls `hit(i, data)`
    /// for each key found.
    #[inline]
    pub fn lookup_rows_with_hash<const K: usize>(
        &self,
        keys: &[[u8; K]],
        sigs: &[u32],
        mut hit: impl FnMut(usize, usize),
    ) -> Result<BulkHits, DpdkError> {
        const OP: &str = "rte_hash_lookup_with_hash_bulk_data";
        let n = keys.len();
        if n > LOOKUP_BULK_MAX || sigs.len() < n || K < self.key_len {
            return Err(DpdkError::invalid(
                OP,
                format!("{n} keys of {K} bytes, {} signatures", sigs.len()),
            ));
        }
        let mut key_ptrs = [MaybeUninit::<*const c_void>::uninit(); LOOKUP_BULK_MAX];
        for (slot, key) in key_ptrs.iter_mut().zip(keys) {
            slot.write(key.as_ptr().cast());
        }
        let mut data = [MaybeUninit::<*mut c_void>::uninit(); LOOKUP_BULK_MAX];
        let mut hits = 0u64;
        // SAFETY: live table; the first n key pointers are written and point
        // at rows of at least key_len bytes; n signatures follow `sigs`,
        // which DPDK only reads (its prototype lacks the const); data has
        // room for n pointers.
        unsafe {
            ffi::rte_hash_lookup_with_hash_bulk_data(
                self.raw.as_ptr(),
                key_ptrs.as_mut_ptr().cast(),
                sigs.as_ptr().cast_mut(),
                n as u32,
                &mut hits,
                data.as_mut_ptr().cast(),
            )
        };
        let mut bits = hits;
        while bits != 0 {
            let i = bits.trailing_zeros() as usize;
            bits &= bits - 1;
            // SAFETY: DPDK writes data[i] for every key it reports found.
            hit(i, unsafe { data[i].assume_init() } as usize);
        }
        Ok(BulkHits(hits))
    }

    /// Adds `key` through a shared handle. Only for wrappers in this module
    /// tree that prove by other means that they are the table's single
    /// writer (see `RcuMap`).
    pub(super) fn add_as_sole_writer(
        &self,
        key: &[u8],
        sig: u32,
        data: usize,
    ) -> Result<(), DpdkError> {
        const OP: &str = "rte_hash_add_key_with_hash_data";
        self.check_key(OP, key)?;
        // SAFETY: live table, key of key_len bytes; the caller is the only
        // writer (this function's contract).
        let ret = unsafe {
            ffi::rte_hash_add_key_with_hash_data(
                self.raw.as_ptr(),
                key.as_ptr().cast(),
                sig,
                data as *mut c_void,
            )
        };
        check(OP, ret).map(drop)
    }

    /// Deletes `key` through a shared handle; same contract as
    /// `add_as_sole_writer`.
    pub(super) fn delete_as_sole_writer(&self, key: &[u8], sig: u32) -> Result<bool, DpdkError> {
        const OP: &str = "rte_hash_del_key_with_hash";
        self.check_key(OP, key)?;
        // SAFETY: live table, key of key_len bytes, only writer.
        let ret =
            unsafe { ffi::rte_hash_del_key_with_hash(self.raw.as_ptr(), key.as_ptr().cast(), sig) };
        match ret {
            r if r >= 0 => Ok(true),
            MISSING => Ok(false),
            r => Err(DpdkError::from_return(OP, r)),
        }
    }

    /// The data of every live entry. Writer side: entries added or deleted
    /// concurrently may or may not be seen.
    pub fn live_data(&self) -> Vec<usize> {
        let mut out = Vec::new();
        let mut next = 0u32;
        loop {
            let mut key: *const c_void = std::ptr::null();
            let mut data: *mut c_void = std::ptr::null_mut();
            // SAFETY: live table; valid out slots; `next` is the iteration
            // cursor DPDK advances.
            let ret =
                unsafe { ffi::rte_hash_iterate(self.raw.as_ptr(), &mut key, &mut data, &mut next) };
            if ret < 0 {
                return out;
            }
            out.push(data as usize);
        }
    }

    fn check_key(&self, operation: &'static str, key: &[u8]) -> Result<(), DpdkError> {
        if key.len() == self.key_len {
            Ok(())
        } else {
            Err(DpdkError::invalid(
                operation,
                format!(
                    "key is {} bytes, table keys are {}",
                    key.len(),
                    self.key_len
                ),
            ))
        }
    }

    /// The key pointer array for a bulk call, on the stack.
    #[inline]
    fn bulk_keys(
        &self,
        operation: &'static str,
        keys: &[&[u8]],
        data_len: usize,
    ) -> Result<([*const c_void; LOOKUP_BULK_MAX], u32), DpdkError> {
        if keys.len() > LOOKUP_BULK_MAX {
            return Err(DpdkError::invalid(
                operation,
                format!(
                    "{} keys, at most {LOOKUP_BULK_MAX} per bulk lookup",
                    keys.len()
                ),
            ));
        }
        if data_len < keys.len() {
            return Err(DpdkError::invalid(operation, "data is shorter than keys"));
        }
        let mut ptrs = [std::ptr::null::<c_void>(); LOOKUP_BULK_MAX];
        for (slot, key) in ptrs.iter_mut().zip(keys) {
            self.check_key(operation, key)?;
            *slot = key.as_ptr().cast();
        }
        Ok((ptrs, keys.len() as u32))
    }
}

impl Drop for HashLookup {
    fn drop(&mut self) {
        // SAFETY: the last handle is gone, so no reader or writer remains;
        // the reclaim callback and RCU variable are still alive (fields
        // drop after this body) for entries reclaimed while freeing.
        unsafe { ffi::rte_hash_free(self.raw.as_ptr()) }
    }
}

impl std::fmt::Debug for HashTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HashTable")
            .field("key_len", &self.key_len)
            .field("count", &self.count())
            .finish()
    }
}

unsafe extern "C" fn reclaim_trampoline(callback: *mut c_void, key_data: *mut c_void) {
    // SAFETY: `callback` is the boxed Mutex<ReclaimFn> registered in
    // attach_rcu, alive as long as the table.
    let callback = unsafe { &*callback.cast::<Mutex<ReclaimFn>>() };
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        let mut f = callback.lock();
        f(key_data as usize);
    }));
    if outcome.is_err() {
        // Unwinding into DPDK is undefined behaviour and the table's state
        // is unknown after a failed reclaim.
        std::process::abort();
    }
}

/// What rte_hash returns for a missing key.
const MISSING: i32 = -(Errno::ENOENT as i32);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_combine() {
        let flags = HashFlags::RW_CONCURRENCY_LF | HashFlags::EXT_TABLE;
        assert!(flags.contains(HashFlags::RW_CONCURRENCY_LF));
        assert!(!flags.contains(HashFlags::MULTI_WRITER_ADD));
        assert_eq!(flags.bits(), 0x28);
    }

    #[test]
    fn bulk_hits_report_each_index() {
        let hits = BulkHits(0b101);
        assert!(hits.is_hit(0));
        assert!(!hits.is_hit(1));
        assert!(hits.is_hit(2));
        assert!(!hits.is_hit(64));
        assert_eq!(hits.count(), 2);
    }
}
