//! 64-byte UDP/IPv4 Ethernet frames (as captured: no FCS) and the classic
//! pcap file that holds them.

use crate::layout::FlowTuple;
use dpswitch::flow::headers::{
    EthernetFrame, Ipv4Packet, UdpHeader, ETH_HEADER_LEN, ETH_TYPE_IPV4, IPPROTO_UDP,
    IPV4_MIN_HEADER_LEN,
};
use std::io::{self, Write};

/// Frame length on the wire less the FCS: the minimum Ethernet frame.
pub const FRAME_LEN: usize = 64;
const UDP_OFFSET: usize = ETH_HEADER_LEN + IPV4_MIN_HEADER_LEN;

/// Locally administered addresses: the switches under test forward on
/// the IPv4 header alone, so the MACs only need to be unicast.
const SRC_MAC: [u8; 6] = [0x02, 0, 0, 0, 0, 0x01];
const DST_MAC: [u8; 6] = [0x02, 0, 0, 0, 0, 0x02];

/// The frame of one flow: Ethernet, IPv4 (TTL 64, not fragmented, header
/// checksum set), UDP (checksum 0: none, as IPv4 allows), zero payload.
pub fn udp_frame(t: &FlowTuple) -> [u8; FRAME_LEN] {
    let mut f = [0u8; FRAME_LEN];
    let (eth, rest) = f.split_at_mut(ETH_HEADER_LEN);
    let mut eth = EthernetFrame::new_checked(eth).expect("a frame holds an Ethernet header");
    eth.set_dst(DST_MAC);
    eth.set_src(SRC_MAC);
    eth.set_ethertype(ETH_TYPE_IPV4);

    let (ip, udp) = rest.split_at_mut(IPV4_MIN_HEADER_LEN);
    let mut ip = Ipv4Packet::new_checked(ip).expect("a frame holds an IPv4 header");
    ip.set_version_and_header_len(4, IPV4_MIN_HEADER_LEN);
    ip.set_total_len((FRAME_LEN - ETH_HEADER_LEN) as u16);
    ip.set_ttl(64);
    ip.set_protocol(IPPROTO_UDP);
    ip.set_src(t.src);
    ip.set_dst(t.dst);
    ip.fill_checksum();

    let mut udp = UdpHeader::new_checked(udp).expect("a frame holds a UDP header");
    udp.set_src_port(t.src_port);
    udp.set_dst_port(t.dst_port);
    udp.set_datagram_len((FRAME_LEN - UDP_OFFSET) as u16);
    f
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
        let mut header = [
            0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11, 0x00, 0x00, 0xc0, 0xa8,
            0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7,
        ];
        let mut ip = Ipv4Packet::new_checked(&mut header[..]).unwrap();
        ip.fill_checksum();
        assert_eq!(ip.checksum(), 0xb861);
        assert_eq!(&header[10..12], &[0xb8, 0x61]);
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
