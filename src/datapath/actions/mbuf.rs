//! Mbufs as packets: the byte accessors are `Mbuf`'s own, sharing is the
//! reference count and a deep copy comes from the mbuf's pool.

use super::buf::{Packet, PacketBuf};
use crate::dpdk::Mbuf;

impl PacketBuf for Mbuf {
    #[inline]
    fn data(&self) -> &[u8] {
        Mbuf::data(self)
    }

    #[inline]
    fn data_mut(&mut self) -> &mut [u8] {
        Mbuf::data_mut(self)
    }

    #[inline]
    fn prepend(&mut self, n: usize) -> Option<&mut [u8]> {
        Mbuf::prepend(self, u16::try_from(n).ok()?)
    }

    #[inline]
    fn adj(&mut self, n: usize) -> bool {
        u16::try_from(n).is_ok_and(|n| Mbuf::adj(self, n))
    }
}

impl Packet for Mbuf {
    #[inline]
    fn share(&self) -> Option<Mbuf> {
        Mbuf::share(self)
    }

    #[inline]
    fn deep_copy(&self) -> Option<Mbuf> {
        Mbuf::deep_copy(self)
    }
}
