//! What the actions need from a packet buffer.

/// A packet's bytes, starting at the Ethernet header, that can grow and
/// shrink at the front (for VLAN tags).
pub trait PacketBuf {
    fn data(&self) -> &[u8];
    fn data_mut(&mut self) -> &mut [u8];
    /// Grows the front by `n` bytes (contents unspecified) and returns
    /// them, or `None` without change when there is no room.
    fn prepend(&mut self, n: usize) -> Option<&mut [u8]>;
    /// Removes `n` bytes from the front; false without change when the
    /// packet is shorter.
    fn adj(&mut self, n: usize) -> bool;
}

/// A packet the executor can send to several places.
pub trait Packet: PacketBuf + Sized {
    /// Another reference to the same bytes, cheap, for outputs after which
    /// nothing changes the packet. `None` when no reference can be made.
    fn share(&self) -> Option<Self>;
    /// An independent copy that later rewrites of either leave alone.
    /// `None` when no buffer is available.
    fn deep_copy(&self) -> Option<Self>;
}

/// A packet in a `Vec` with room in front of it: the buffer for tests and
/// for tools that rewrite frames outside the fast path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VecBuf {
    bytes: Vec<u8>,
    start: usize,
}

impl VecBuf {
    /// `frame` with `headroom` free bytes in front of it.
    pub fn new(frame: &[u8], headroom: usize) -> VecBuf {
        let mut bytes = vec![0; headroom];
        bytes.extend_from_slice(frame);
        VecBuf {
            bytes,
            start: headroom,
        }
    }

    pub fn headroom(&self) -> usize {
        self.start
    }

    pub fn into_frame(mut self) -> Vec<u8> {
        self.bytes.drain(..self.start);
        self.bytes
    }
}

impl PacketBuf for VecBuf {
    fn data(&self) -> &[u8] {
        self.bytes.get(self.start..).unwrap_or(&[])
    }

    fn data_mut(&mut self) -> &mut [u8] {
        self.bytes.get_mut(self.start..).unwrap_or(&mut [])
    }

    fn prepend(&mut self, n: usize) -> Option<&mut [u8]> {
        let start = self.start.checked_sub(n)?;
        self.start = start;
        self.bytes.get_mut(start..start + n)
    }

    fn adj(&mut self, n: usize) -> bool {
        if n > self.data().len() {
            return false;
        }
        self.start += n;
        true
    }
}

impl Packet for VecBuf {
    fn share(&self) -> Option<VecBuf> {
        Some(self.clone())
    }

    fn deep_copy(&self) -> Option<VecBuf> {
        Some(self.clone())
    }
}
