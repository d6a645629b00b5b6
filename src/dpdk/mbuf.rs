//! One owned packet buffer (`rte_mbuf`). Dropping it returns it to its pool.
//!
//! An `Mbuf` is normally the only reference to its buffer. [`Mbuf::share`]
//! makes a second one (DPDK's reference count, as for sending one packet on
//! two ports); while more than one exists the bytes and their bounds are
//! read-only through every handle, so no handle can change what another
//! one is about to transmit.

use std::ptr::NonNull;

use super::ffi;

/// An owned packet buffer. The byte accessors cover the first segment, which
/// is the whole packet for everything dpswitch receives (no scatter rx).
/// The mutating methods act only while the handle is the sole reference
/// (see [`Mbuf::is_shared`]).
#[repr(transparent)]
pub struct Mbuf(NonNull<ffi::rte_mbuf>);

// SAFETY: an Mbuf is the sole owner of its buffer; freeing it from any
// thread is allowed (pools are multi-producer).
unsafe impl Send for Mbuf {}
// SAFETY: shared access only reads the buffer and its header.
unsafe impl Sync for Mbuf {}

impl Mbuf {
    /// Takes ownership of a raw mbuf.
    ///
    /// # Safety
    /// `raw` must be a valid mbuf from a pool that no one else owns or will
    /// free.
    #[inline]
    pub(crate) unsafe fn from_raw(raw: NonNull<ffi::rte_mbuf>) -> Self {
        Mbuf(raw)
    }

    /// Gives up ownership without freeing.
    #[inline]
    pub(crate) fn into_raw(self) -> NonNull<ffi::rte_mbuf> {
        let raw = self.0;
        std::mem::forget(self);
        raw
    }

    #[inline]
    fn header(&self) -> &ffi::rte_mbuf {
        // SAFETY: we own a valid mbuf, so its header is readable.
        unsafe { self.0.as_ref() }
    }

    /// The packet bytes of the first segment (`rte_pktmbuf_mtod`, `data_len`).
    #[inline]
    pub fn data(&self) -> &[u8] {
        let m = self.header();
        // SAFETY: buf_addr + data_off starts data_len initialised bytes
        // inside the mbuf's buffer, which we own; borrowed from &self.
        unsafe {
            std::slice::from_raw_parts(
                m.buf_addr.cast::<u8>().add(usize::from(m.data_off)),
                usize::from(m.data_len),
            )
        }
    }

    /// The packet bytes of the first segment, writable; empty while the
    /// buffer is shared.
    #[inline]
    pub fn data_mut(&mut self) -> &mut [u8] {
        if self.is_shared() {
            return &mut [];
        }
        let m = self.0.as_ptr();
        // SAFETY: as in `data`; &mut self and a reference count of one make
        // the access exclusive.
        unsafe {
            std::slice::from_raw_parts_mut(
                (*m).buf_addr.cast::<u8>().add(usize::from((*m).data_off)),
                usize::from((*m).data_len),
            )
        }
    }

    /// Bytes in the first segment.
    #[inline]
    pub fn data_len(&self) -> u16 {
        self.header().data_len
    }

    /// Bytes in the whole packet, all segments.
    #[inline]
    pub fn pkt_len(&self) -> u32 {
        self.header().pkt_len
    }

    /// Number of segments.
    #[inline]
    pub fn nb_segs(&self) -> u16 {
        self.header().nb_segs
    }

    /// Whether the whole packet is in the first segment.
    #[inline]
    pub fn is_contiguous(&self) -> bool {
        u32::from(self.data_len()) == self.pkt_len()
    }

    /// Free bytes before the packet data.
    #[inline]
    pub fn headroom(&self) -> u16 {
        self.header().data_off
    }

    /// Free bytes after the packet data in the last segment.
    #[inline]
    pub fn tailroom(&self) -> u16 {
        // SAFETY: we own a valid mbuf; the call only reads headers.
        unsafe { ffi::dpsw_pktmbuf_tailroom(self.0.as_ptr()) }
    }

    /// The port the mbuf was received on.
    #[inline]
    pub fn port(&self) -> u16 {
        self.header().port
    }

    /// The hash the NIC computed for RSS, when it provided one.
    #[inline]
    pub fn rss_hash(&self) -> Option<u32> {
        let m = self.header();
        if m.ol_flags & u64::from(ffi::RTE_MBUF_F_RX_RSS_HASH) == 0 {
            return None;
        }
        // SAFETY: the RSS flag says the `rss` member of the hash union was
        // written; every member is plain integers.
        Some(unsafe { m.__bindgen_anon_2.hash.rss })
    }

    /// Grows the packet at the front by `len` bytes and returns them
    /// (uninitialised contents), or `None` without change if the headroom
    /// is too small or the buffer is shared.
    #[inline]
    pub fn prepend(&mut self, len: u16) -> Option<&mut [u8]> {
        if self.is_shared() {
            return None;
        }
        // SAFETY: we own a valid mbuf; prepend checks the headroom.
        let start = unsafe { ffi::dpsw_pktmbuf_prepend(self.0.as_ptr(), len) };
        // SAFETY: on success `start` begins `len` bytes inside our buffer.
        NonNull::new(start).map(|p| unsafe {
            std::slice::from_raw_parts_mut(p.as_ptr().cast::<u8>(), usize::from(len))
        })
    }

    /// Grows the packet at the end by `len` bytes and returns them
    /// (uninitialised contents), or `None` without change if the tailroom
    /// is too small or the buffer is shared.
    #[inline]
    pub fn append(&mut self, len: u16) -> Option<&mut [u8]> {
        if self.is_shared() {
            return None;
        }
        // SAFETY: we own a valid mbuf; append checks the tailroom.
        let start = unsafe { ffi::dpsw_pktmbuf_append(self.0.as_ptr(), len) };
        // SAFETY: on success `start` begins `len` bytes inside our buffer.
        NonNull::new(start).map(|p| unsafe {
            std::slice::from_raw_parts_mut(p.as_ptr().cast::<u8>(), usize::from(len))
        })
    }

    /// Appends a copy of `bytes`; false without change if they do not fit.
    pub fn extend_from_slice(&mut self, bytes: &[u8]) -> bool {
        let Ok(len) = u16::try_from(bytes.len()) else {
            return false;
        };
        match self.append(len) {
            Some(room) => {
                room.copy_from_slice(bytes);
                true
            }
            None => false,
        }
    }

    /// Removes `len` bytes from the front; false without change if the
    /// first segment is shorter or the buffer is shared.
    #[inline]
    pub fn adj(&mut self, len: u16) -> bool {
        if self.is_shared() {
            return false;
        }
        // SAFETY: we own a valid mbuf; adj checks the length.
        !unsafe { ffi::dpsw_pktmbuf_adj(self.0.as_ptr(), len) }.is_null()
    }

    /// Removes `len` bytes from the end; false without change if the last
    /// segment is shorter or the buffer is shared.
    #[inline]
    pub fn trim(&mut self, len: u16) -> bool {
        if self.is_shared() {
            return false;
        }
        // SAFETY: we own a valid mbuf; trim checks the length.
        unsafe { ffi::dpsw_pktmbuf_trim(self.0.as_ptr(), len) == 0 }
    }

    /// Whether another `Mbuf` refers to the same buffer.
    #[inline]
    pub fn is_shared(&self) -> bool {
        self.refcnt() > 1
    }

    /// References to this buffer, this one included (`rte_mbuf_refcnt_read`).
    #[inline]
    pub fn refcnt(&self) -> u16 {
        // SAFETY: we own a valid mbuf; the read is an atomic load.
        unsafe { ffi::dpsw_mbuf_refcnt_read(self.0.as_ptr()) }
    }

    /// Another reference to the same buffer (`rte_pktmbuf_refcnt_update`
    /// +1 on every segment): the bytes are not copied, and both handles
    /// are read-only until one is dropped. `None` if the count is at its
    /// maximum.
    #[inline]
    pub fn share(&self) -> Option<Mbuf> {
        if self.refcnt() == u16::MAX {
            return None;
        }
        // SAFETY: we own a valid mbuf. Raising the count by one makes the
        // new handle an owner of its own: the buffer returns to the pool
        // only after both handles dropped (each drop decrements), and
        // neither can mutate while the count is above one.
        unsafe {
            ffi::dpsw_pktmbuf_refcnt_update(self.0.as_ptr(), 1);
            Some(Mbuf::from_raw(self.0))
        }
    }

    /// A copy of the whole packet (every segment, with its metadata) in a
    /// new mbuf from the same pool (`rte_pktmbuf_copy`), with the default
    /// headroom; `None` if the pool is exhausted.
    #[inline]
    pub fn deep_copy(&self) -> Option<Mbuf> {
        // SAFETY: we own a valid mbuf from a live pool (mbufs hold their
        // pool alive: see Mempool's drop); the copy only reads it.
        let copy = unsafe { ffi::dpsw_pktmbuf_copy(self.0.as_ptr()) };
        // SAFETY: a non-null result is a fresh mbuf owned by nobody else.
        NonNull::new(copy).map(|raw| unsafe { Mbuf::from_raw(raw) })
    }
}

impl Drop for Mbuf {
    #[inline]
    fn drop(&mut self) {
        // SAFETY: we own the mbuf and never use it again.
        unsafe { ffi::dpsw_pktmbuf_free(self.0.as_ptr()) }
    }
}

impl std::fmt::Debug for Mbuf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mbuf")
            .field("port", &self.port())
            .field("pkt_len", &self.pkt_len())
            .field("nb_segs", &self.nb_segs())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use std::mem::ManuallyDrop;

    use super::*;

    const BUF_LEN: u16 = 256;
    const HEADROOM: u16 = 64;

    /// An mbuf header over a Rust buffer, as a pool would initialise it.
    /// Wrapped in ManuallyDrop because it has no pool to return to.
    struct FakeMbuf {
        _header: Box<ffi::rte_mbuf>,
        _buffer: Vec<u8>,
        mbuf: ManuallyDrop<Mbuf>,
    }

    fn fake_mbuf(payload: &[u8]) -> FakeMbuf {
        fake_mbuf_with_refcnt(payload, 1)
    }

    fn fake_mbuf_with_refcnt(payload: &[u8], refcnt: u16) -> FakeMbuf {
        let mut buffer = vec![0u8; usize::from(BUF_LEN)];
        let start = usize::from(HEADROOM);
        buffer[start..start + payload.len()].copy_from_slice(payload);
        let mut header: Box<ffi::rte_mbuf> = Box::default();
        header.buf_addr = buffer.as_mut_ptr().cast();
        header.buf_len = BUF_LEN;
        header.data_off = HEADROOM;
        header.refcnt = refcnt;
        header.nb_segs = 1;
        header.data_len = payload.len() as u16;
        header.pkt_len = payload.len() as u32;
        let raw = NonNull::from(&mut *header);
        // SAFETY: the header and buffer outlive the Mbuf, which is never
        // dropped (ManuallyDrop) so no pool is touched.
        let mbuf = ManuallyDrop::new(unsafe { Mbuf::from_raw(raw) });
        FakeMbuf {
            _header: header,
            _buffer: buffer,
            mbuf,
        }
    }

    #[test]
    fn rust_field_reads_agree_with_dpdk_macros() {
        let fake = fake_mbuf(b"abcdef");
        let m = &fake.mbuf;
        let raw = m.0.as_ptr();
        // SAFETY: raw points at the live fake header.
        let (mtod, data_len, pkt_len, headroom) = unsafe {
            (
                ffi::dpsw_pktmbuf_mtod(raw),
                ffi::dpsw_pktmbuf_data_len(raw),
                ffi::dpsw_pktmbuf_pkt_len(raw),
                ffi::dpsw_pktmbuf_headroom(raw),
            )
        };
        assert_eq!(m.data().as_ptr(), mtod.cast::<u8>().cast_const());
        assert_eq!(m.data_len(), data_len);
        assert_eq!(m.pkt_len(), pkt_len);
        assert_eq!(m.headroom(), headroom);
        assert_eq!(m.data(), b"abcdef");
        assert_eq!(m.tailroom(), BUF_LEN - HEADROOM - 6);
        assert!(m.is_contiguous());
        assert_eq!(m.rss_hash(), None);
    }

    #[test]
    fn prepend_and_adj_move_the_front() {
        let mut fake = fake_mbuf(b"payload");
        let m = &mut fake.mbuf;
        m.prepend(4).expect("headroom").copy_from_slice(b"HDR:");
        assert_eq!(m.data(), b"HDR:payload");
        assert_eq!(m.pkt_len(), 11);
        assert!(m.adj(4));
        assert_eq!(m.data(), b"payload");
        assert!(!m.adj(8), "cannot remove more than the data");
        assert_eq!(m.data(), b"payload");
    }

    #[test]
    fn prepend_beyond_headroom_changes_nothing() {
        let mut fake = fake_mbuf(b"x");
        assert!(fake.mbuf.prepend(HEADROOM + 1).is_none());
        assert_eq!(fake.mbuf.data(), b"x");
        assert_eq!(fake.mbuf.headroom(), HEADROOM);
    }

    #[test]
    fn append_and_trim_move_the_end() {
        let mut fake = fake_mbuf(b"ab");
        let m = &mut fake.mbuf;
        assert!(m.extend_from_slice(b"cd"));
        assert_eq!(m.data(), b"abcd");
        m.data_mut()[0] = b'A';
        assert!(m.trim(1));
        assert_eq!(m.data(), b"Abc");
        assert!(!m.trim(4));
        let room = m.tailroom();
        assert!(m.append(room + 1).is_none());
        assert!(!m.extend_from_slice(&vec![0; 70_000]));
        assert_eq!(m.data(), b"Abc");
    }

    #[test]
    fn a_shared_mbuf_refuses_every_change() {
        let mut fake = fake_mbuf_with_refcnt(b"shared", 2);
        let m = &mut fake.mbuf;
        assert!(m.is_shared());
        assert_eq!(m.refcnt(), 2);
        assert!(m.data_mut().is_empty());
        assert!(m.prepend(1).is_none());
        assert!(m.append(1).is_none());
        assert!(!m.adj(1));
        assert!(!m.trim(1));
        assert_eq!(m.data(), b"shared");
    }
}
