//! A packet that notices what the executor must never do: change bytes it
//! handed out as a shared reference, or lose or leak a packet.

use dpswitch::datapath::actions::{Packet, PacketBuf, VecBuf};
use std::cell::RefCell;
use std::rc::Rc;

#[derive(Debug, Default)]
pub struct Log {
    /// Packets alive: every one made is handed on or dropped.
    pub live: i64,
    /// Write access to a buffer after it was shared.
    pub shared_writes: u32,
    /// Refuse copies from this many on (pool exhausted).
    pub copies_left: Option<u32>,
    next_buffer: u32,
    shared: Vec<u32>,
}

pub struct Tracked {
    pub buf: VecBuf,
    buffer: u32,
    log: Rc<RefCell<Log>>,
}

impl Tracked {
    pub fn new(frame: &[u8], headroom: usize, log: &Rc<RefCell<Log>>) -> Tracked {
        let mut l = log.borrow_mut();
        l.live += 1;
        l.next_buffer += 1;
        Tracked {
            buf: VecBuf::new(frame, headroom),
            buffer: l.next_buffer,
            log: Rc::clone(log),
        }
    }

    fn writing(&self) {
        let mut l = self.log.borrow_mut();
        if l.shared.contains(&self.buffer) {
            l.shared_writes += 1;
        }
    }
}

impl Drop for Tracked {
    fn drop(&mut self) {
        self.log.borrow_mut().live -= 1;
    }
}

impl PacketBuf for Tracked {
    fn data(&self) -> &[u8] {
        self.buf.data()
    }

    fn data_mut(&mut self) -> &mut [u8] {
        self.writing();
        self.buf.data_mut()
    }

    fn prepend(&mut self, n: usize) -> Option<&mut [u8]> {
        self.writing();
        self.buf.prepend(n)
    }

    fn adj(&mut self, n: usize) -> bool {
        self.writing();
        self.buf.adj(n)
    }
}

impl Packet for Tracked {
    fn share(&self) -> Option<Tracked> {
        let mut l = self.log.borrow_mut();
        l.live += 1;
        l.shared.push(self.buffer);
        Some(Tracked {
            buf: self.buf.clone(),
            buffer: self.buffer,
            log: Rc::clone(&self.log),
        })
    }

    fn deep_copy(&self) -> Option<Tracked> {
        {
            let mut l = self.log.borrow_mut();
            if let Some(left) = l.copies_left.as_mut() {
                if *left == 0 {
                    return None;
                }
                *left -= 1;
            }
        }
        Some(Tracked::new(
            self.buf.data(),
            self.buf.headroom(),
            &self.log,
        ))
    }
}
