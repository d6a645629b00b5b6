//! 64-byte UDP/IPv4 Ethernet frames (as captured: no FCS) and the classic
//! pcap file that holds them.

use crate::layout::FlowTuple;
use std::io::{self, Write};

/// Frame length on the wire less the FCS: the minimum Ethernet frame.
pub const FRAME_LEN: usize = 64;
const ETH_LEN: usize = 14;
const IPV4_LEN: usize = 20;
const UDP_LEN: usize = 8;

/// Locally administered addresses: the switches under test forward on
/// the IPv4 header alone, so the MACs only need to be unicast.
const SRC_MAC: [u8; 6] = [0x02, 0, 0, 0, 0, 0x01];
const DST_MAC: [u8; 6] = [0x02, 0, 0, 0, 0, 0x02];

/// The frame of one flow: Ethernet, IPv4 (TTL 64, not fragmented, header
/// checksum set), UDP (checksum 0: none, as IPv4 allows), zero payload.
pub fn udp_frame(t: &FlowTuple) -> [u8; FRAME_LEN] {
    let mut f = [0u8; FRAME_LEN];
    f[0..6].copy_from_slice(&DST_MAC);
    f[6..12].copy_from_slice(&SRC_MAC);
    f[12..14].copy_from_slice(&0x0800u16.to_be_bytes());

    let ip = &mut f[ETH_LEN..ETH_LEN + IPV4_LEN];
    ip[0] = 0x45;
    ip[2..4].copy_from_slice(&((FRAME_LEN - ETH_LEN) as u16).to_be_bytes());
    ip[8] = 64;
    ip[9] = 17;
    ip[12..16].copy_from_slice(&t.src.to_be_bytes());
    ip[16..20].copy_from_slice(&t.dst.to_be_bytes());
    let sum = ipv4_checksum(ip);
    ip[10..12].copy_from_slice(&sum.to_be_bytes());

    let udp = &mut f[ETH_LEN + IPV4_LEN..ETH_LEN + IPV4_LEN + UDP_LEN];
    udp[0..2].copy_from_slice(&t.src_port.to_be_bytes());
    udp[2..4].copy_from_slice(&t.dst_port.to_be_bytes());
    udp[4..6].copy_from_slice(&((FRAME_LEN - ETH_LEN - IPV4_LEN) as u16).to_be_bytes());
    f
}

/// The ones' complement of the ones' complement sum of the header's
/// 16-bit words (with the checksum field zero).
fn ipv4_checksum(header: &[u8]) -> u16 {
    let mut sum: u32 = header
        .chunks(2)
        .map(|w| u32::from(u16::from_be_bytes([w[0], w[1]])))
        .sum();
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// Writes a classic pcap file (microsecond timestamps, LINKTYPE_ETHERNET),
/// one record per frame, all with timestamp 0: the replaying port ignores
/// them.
pub struct PcapWriter<W: Write> {
    out: W,
}

impl<W: Write> PcapWriter<W> {
    pub fn new(mut out: W) -> io::Result<Self> {
        out.write_all(&0xa1b2_c3d4u32.to_le_bytes())?; // magic
        out.write_all(&2u16.to_le_bytes())?; // version 2.4
        out.write_all(&4u16.to_le_bytes())?;
        out.write_all(&0i32.to_le_bytes())?; // thiszone
        out.write_all(&0u32.to_le_bytes())?; // sigfigs
        out.write_all(&65535u32.to_le_bytes())?; // snaplen
        out.write_all(&1u32.to_le_bytes())?; // LINKTYPE_ETHERNET
        Ok(PcapWriter { out })
    }

    pub fn frame(&mut self, frame: &[u8]) -> io::Result<()> {
        let len = (frame.len() as u32).to_le_bytes();
        self.out.write_all(&[0; 8])?; // ts_sec, ts_usec
        self.out.write_all(&len)?; // incl_len
        self.out.write_all(&len)?; // orig_len
        self.out.write_all(frame)
    }

    pub fn finish(mut self) -> io::Result<W> {
        self.out.flush()?;
        Ok(self.out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layout::flow_tuple;
    use etherparse::{NetSlice, SlicedPacket, TransportSlice};

    #[test]
    fn frame_parses_as_the_flows_udp_ipv4_packet() {
        let t = flow_tuple(12_345);
        let f = udp_frame(&t);
        let p = SlicedPacket::from_ethernet(&f).expect("parses");
        let Some(NetSlice::Ipv4(ip)) = p.net else {
            panic!("not IPv4")
        };
        let h = ip.header();
        assert_eq!(u32::from_be_bytes(h.source()), t.src);
        assert_eq!(u32::from_be_bytes(h.destination()), t.dst);
        assert_eq!((h.ttl(), h.protocol().0, h.total_len()), (64, 17, 50));
        assert!(!h.more_fragments() && h.fragments_offset().value() == 0);
        assert_eq!(h.header_checksum(), h.to_header().calc_header_checksum());
        let Some(TransportSlice::Udp(udp)) = p.transport else {
            panic!("not UDP")
        };
        assert_eq!(
            (udp.source_port(), udp.destination_port()),
            (t.src_port, t.dst_port)
        );
        assert_eq!(udp.length(), 30);
        assert_eq!(udp.payload(), &[0u8; 22]);
    }

    #[test]
    fn ipv4_checksum_of_a_known_header() {
        // A textbook header (192.168.0.1 -> 192.168.0.199, UDP, DF).
        let header = [
            0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11, 0x00, 0x00, 0xc0, 0xa8,
            0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7,
        ];
        assert_eq!(ipv4_checksum(&header), 0xb861);
    }

    #[test]
    fn pcap_has_header_then_one_record_per_frame() {
        let mut w = PcapWriter::new(Vec::new()).unwrap();
        let frame = udp_frame(&flow_tuple(0));
        w.frame(&frame).unwrap();
        w.frame(&frame).unwrap();
        let out = w.finish().unwrap();
        assert_eq!(out.len(), 24 + 2 * (16 + FRAME_LEN));
        assert_eq!(&out[0..4], &[0xd4, 0xc3, 0xb2, 0xa1]);
        assert_eq!(&out[20..24], &1u32.to_le_bytes());
        assert_eq!(&out[24 + 8..24 + 12], &64u32.to_le_bytes());
        assert_eq!(&out[24 + 16..24 + 16 + FRAME_LEN], &frame);
    }
}
