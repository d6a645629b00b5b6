//! A packet that records how the executor treats it: shares and copies
//! made, packets alive, and any change to bytes that were shared.

use std::cell::RefCell;
use std::rc::Rc;

use crate::datapath::actions::{Packet, PacketBuf, VecBuf};

#[derive(Debug, Default)]
pub struct Log {
    pub shares: u32,
    pub copies: u32,
    pub live: i32,
    /// Writes (or write access) to a buffer after it was shared.
    pub shared_writes: u32,
    pub refuse_copies: bool,
    next_buffer: u32,
    shared_buffers: Vec<u32>,
}

pub struct Fake {
    pub buf: VecBuf,
    /// Which underlying buffer: shares keep it, deep copies get a new one.
    pub buffer: u32,
    log: Rc<RefCell<Log>>,
}

impl Fake {
    pub fn new(frame: &[u8], headroom: usize, log: &Rc<RefCell<Log>>) -> Fake {
        let mut l = log.borrow_mut();
        l.live += 1;
        l.next_buffer += 1;
        Fake {
            buf: VecBuf::new(frame, headroom),
            buffer: l.next_buffer,
            log: log.clone(),
        }
    }

    fn write_access(&self) {
        let mut l = self.log.borrow_mut();
        if l.shared_buffers.contains(&self.buffer) {
            l.shared_writes += 1;
        }
    }
}

impl Drop for Fake {
    fn drop(&mut self) {
        self.log.borrow_mut().live -= 1;
    }
}

impl PacketBuf for Fake {
    fn data(&self) -> &[u8] {
        self.buf.data()
    }

    fn data_mut(&mut self) -> &mut [u8] {
        self.write_access();
        self.buf.data_mut()
    }

    fn prepend(&mut self, n: usize) -> Option<&mut [u8]> {
        self.write_access();
        self.buf.prepend(n)
    }

    fn adj(&mut self, n: usize) -> bool {
        self.write_access();
        self.buf.adj(n)
    }
}

impl Packet for Fake {
    fn share(&self) -> Option<Fake> {
        let mut l = self.log.borrow_mut();
        l.shares += 1;
        l.live += 1;
        l.shared_buffers.push(self.buffer);
        Some(Fake {
            buf: self.buf.clone(),
            buffer: self.buffer,
            log: self.log.clone(),
        })
    }

    fn deep_copy(&self) -> Option<Fake> {
        if self.log.borrow().refuse_copies {
            return None;
        }
        let copy = Fake::new(self.buf.data(), self.buf.headroom(), &self.log);
        self.log.borrow_mut().copies += 1;
        Some(copy)
    }
}
