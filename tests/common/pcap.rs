//! Captures for net_pcap ports: frames written as a pcap file the
//! daemon replays.

/// A classic pcap file (microsecond timestamps, Ethernet) of `frames`.
pub fn pcap(frames: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes()); // magic
    out.extend_from_slice(&2u16.to_le_bytes()); // version 2.4
    out.extend_from_slice(&4u16.to_le_bytes());
    out.extend_from_slice(&0i32.to_le_bytes()); // thiszone
    out.extend_from_slice(&0u32.to_le_bytes()); // sigfigs
    out.extend_from_slice(&65535u32.to_le_bytes()); // snaplen
    out.extend_from_slice(&1u32.to_le_bytes()); // LINKTYPE_ETHERNET
    for f in frames {
        out.extend_from_slice(&0u32.to_le_bytes());
        out.extend_from_slice(&0u32.to_le_bytes());
        out.extend_from_slice(&(f.len() as u32).to_le_bytes());
        out.extend_from_slice(&(f.len() as u32).to_le_bytes());
        out.extend_from_slice(f);
    }
    out
}

/// The frames of a classic little-endian pcap file (microsecond or
/// nanosecond timestamps), as tcpdump -w writes them.
pub fn read_pcap(bytes: &[u8]) -> Vec<Vec<u8>> {
    let magic = u32::from_le_bytes(bytes[..4].try_into().unwrap());
    assert!(
        magic == 0xa1b2_c3d4 || magic == 0xa1b2_3c4d,
        "not a little-endian pcap: {magic:#x}"
    );
    let mut frames = Vec::new();
    let mut at = 24;
    while at + 16 <= bytes.len() {
        let caplen = u32::from_le_bytes(bytes[at + 8..at + 12].try_into().unwrap()) as usize;
        at += 16;
        assert!(at + caplen <= bytes.len(), "truncated pcap record");
        frames.push(bytes[at..at + caplen].to_vec());
        at += caplen;
    }
    frames
}

/// Which way a captured packet went through the port (a pcapng enhanced
/// packet block's `epb_flags` direction bits).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    Unknown,
    Inbound,
    Outbound,
}

/// The packets of a little-endian pcapng file (as dpdk-dumpcap writes
/// it): each enhanced packet block's interface id, direction and bytes.
pub fn read_pcapng(bytes: &[u8]) -> Vec<(u32, Direction, Vec<u8>)> {
    let u32_at = |at: usize| u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap());
    let u16_at = |at: usize| u16::from_le_bytes(bytes[at..at + 2].try_into().unwrap());
    assert!(
        bytes.len() >= 12 && u32_at(0) == 0x0a0d_0d0a && u32_at(8) == 0x1a2b_3c4d,
        "not a little-endian pcapng file"
    );
    let mut packets = Vec::new();
    let mut at = 0;
    while at + 12 <= bytes.len() {
        let (kind, len) = (u32_at(at), u32_at(at + 4) as usize);
        assert!(
            len >= 12 && len % 4 == 0 && at + len <= bytes.len(),
            "bad pcapng block length {len} at {at}"
        );
        // Enhanced packet block: interface, timestamp (2 words), captured
        // and original length, the data padded to 32 bits, then options.
        if kind == 6 {
            let interface = u32_at(at + 8);
            let caplen = u32_at(at + 20) as usize;
            let data = at + 28;
            let mut direction = Direction::Unknown;
            let mut opt = data + caplen.div_ceil(4) * 4;
            while opt + 4 <= at + len - 4 {
                let (code, olen) = (u16_at(opt), u16_at(opt + 2) as usize);
                if code == 0 {
                    break;
                }
                if code == 2 && olen == 4 {
                    direction = match u32_at(opt + 4) & 3 {
                        1 => Direction::Inbound,
                        2 => Direction::Outbound,
                        _ => Direction::Unknown,
                    };
                }
                opt += 4 + olen.div_ceil(4) * 4;
            }
            packets.push((interface, direction, bytes[data..data + caplen].to_vec()));
        }
        at += len;
    }
    packets
}
