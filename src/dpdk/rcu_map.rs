//! A typed lock-free map over rte_hash: fixed-length byte keys to shared
//! values (`Arc<V>`), one writer (the holder of the [`RcuDomain`]) and any
//! number of readers online on the domain's QSBR variable. A deleted
//! entry's value is released only after a grace period, through the
//! table's RCU defer queue, so a reader's reference stays valid until it
//! quiesces.

use std::marker::PhantomData;
use std::sync::Arc;

use nix::errno::Errno;

use super::eal::Eal;
use super::error::DpdkError;
use super::hash::{BulkHits, HashParams, HashTable, RcuReclaimConfig};
use super::rcu::RcuReader;
use super::rcu_domain::{protects, RcuDomain};

pub struct RcuMap<V> {
    table: HashTable,
    domain: usize,
    _values: PhantomData<Arc<V>>,
}

// SAFETY: the map holds Arc<V> values and hands out &V; writes need
// `&mut RcuDomain` of the map's own domain (one per QSBR variable), which
// makes the writer unique; lookups are lock-free by the table's
// RW_CONCURRENCY_LF flag.
unsafe impl<V: Send + Sync> Send for RcuMap<V> {}
// SAFETY: as above.
unsafe impl<V: Send + Sync> Sync for RcuMap<V> {}

impl<V: Send + Sync + 'static> RcuMap<V> {
    /// A lock-free table (`params.flags` is forced to RW_CONCURRENCY_LF)
    /// whose deleted entries are reclaimed through `domain`'s QSBR variable.
    pub fn create(eal: &Eal, params: &HashParams, domain: &RcuDomain) -> Result<Self, DpdkError> {
        let params = HashParams {
            flags: super::hash::HashFlags::RW_CONCURRENCY_LF,
            ..params.clone()
        };
        let mut table = HashTable::create(eal, &params)?;
        table.attach_rcu(
            domain.rcu(),
            RcuReclaimConfig::default(),
            Some(Box::new(|data: usize| {
                // SAFETY: every datum the map stores came from
                // Arc::into_raw; the defer queue calls this once per
                // deleted entry, after its grace period.
                drop(unsafe { Arc::from_raw(data as *const V) });
            })),
        )?;
        Ok(RcuMap {
            table,
            domain: domain.id(),
            _values: PhantomData,
        })
    }

    pub fn key_len(&self) -> usize {
        self.table.key_len()
    }

    /// Entries, including deleted ones whose slots await a grace period.
    pub fn slots_in_use(&self) -> u32 {
        self.table.count()
    }

    fn check_domain(&self, domain: &RcuDomain) -> Result<(), DpdkError> {
        if domain.id() == self.domain {
            Ok(())
        } else {
            Err(DpdkError::invalid("rcu_map", "domain is not the map's"))
        }
    }

    /// Adds `key` with `value`; EEXIST if the key is present (replacing
    /// in place would drop the old value under readers).
    pub fn insert(
        &self,
        key: &[u8],
        sig: u32,
        value: Arc<V>,
        domain: &mut RcuDomain,
    ) -> Result<(), DpdkError> {
        self.check_domain(domain)?;
        if self.table.lookup(key, sig)?.is_some() {
            return Err(DpdkError::from_errno(
                "rte_hash_add_key_with_hash_data",
                Errno::EEXIST,
            ));
        }
        let raw = Arc::into_raw(value);
        let added = self.table.add_as_sole_writer(key, sig, raw as usize);
        if added.is_err() {
            // SAFETY: the table refused the pointer, so this is its only
            // owner again.
            drop(unsafe { Arc::from_raw(raw) });
        }
        added
    }

    /// Deletes `key`; its value is released after a grace period. False if
    /// the key was absent.
    pub fn remove(&self, key: &[u8], sig: u32, domain: &mut RcuDomain) -> Result<bool, DpdkError> {
        self.check_domain(domain)?;
        self.table.delete_as_sole_writer(key, sig)
    }

    /// The value of `key`, for the writer.
    pub fn get<'a>(
        &'a self,
        key: &[u8],
        sig: u32,
        domain: &'a RcuDomain,
    ) -> Result<Option<&'a V>, DpdkError> {
        self.check_domain(domain)?;
        let found = self.table.lookup(key, sig)?;
        // SAFETY: a found datum is a live Arc<V> of this map; values are
        // released only during insert/remove (which need `&mut RcuDomain`,
        // excluded while `domain` is borrowed) or when the map drops.
        Ok(found.map(|data| unsafe { &*(data as *const V) }))
    }

    /// Looks up to [`LOOKUP_BULK_MAX`] keys kept in rows of `K` bytes
    /// (the first key_len of each) with their signatures, calling
    /// `hit(i, value)` for each `keys[i]` found. Values stay valid until
    /// `reader` quiesces.
    #[inline]
    pub fn lookup_rows<'a, const K: usize>(
        &'a self,
        reader: &'a RcuReader,
        keys: &[[u8; K]],
        sigs: &[u32],
        mut hit: impl FnMut(usize, &'a V),
    ) -> Result<BulkHits, DpdkError> {
        if !protects(reader, self.domain) {
            return Err(DpdkError::invalid(
                "rcu_map",
                "reader is offline or of another domain",
            ));
        }
        self.table.lookup_rows_with_hash(keys, sigs, |i, data| {
            // SAFETY: a hit's datum is an Arc<V> of this map, released
            // only after a grace period that waits for this online
            // reader, which cannot quiesce while borrowed for 'a.
            hit(i, unsafe { &*(data as *const V) })
        })
    }
}

impl<V> Drop for RcuMap<V> {
    fn drop(&mut self) {
        // The last handle: no reader can be inside. Live entries still own
        // one Arc each; deleted ones are released by rte_hash_free's final
        // defer-queue reclaim.
        for data in self.table.live_data() {
            // SAFETY: a live datum came from Arc::into_raw and is released
            // exactly once, here, as the table goes away.
            drop(unsafe { Arc::from_raw(data as *const V) });
        }
    }
}
