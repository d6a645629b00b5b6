//! Well-formed frames described by a `Frame` value and written with
//! etherparse's header types (strategies over them are in `strategies`). Shared by
//! the cross-check and robustness tests.
//!
//! etherparse has no writer for SCTP or for ND options (it only parses the
//! latter): those bytes are built by hand here.

use etherparse::icmpv6::Icmpv6Payload;
use etherparse::icmpv6::{
    NeighborAdvertisementHeader, NeighborAdvertisementPayload, NeighborSolicitationPayload,
};
use etherparse::{
    ArpHardwareId, ArpOperation, ArpPacket, EtherType, Ethernet2Header, Icmpv4Header, Icmpv4Type,
    Icmpv6Header, Icmpv6Type, IpAuthHeader, IpDscp, IpEcn, IpFragOffset, IpNumber, Ipv4Header,
    Ipv6FlowLabel, Ipv6FragmentHeader, Ipv6Header, Ipv6RawExtHeader, SingleVlanHeader, TcpHeader,
    UdpHeader, VlanId, VlanPcp,
};

#[derive(Clone, Debug)]
pub(super) struct Tag {
    pub tpid: u16,
    pub pcp: u8,
    pub dei: bool,
    pub vid: u16,
}

#[derive(Clone, Debug)]
pub(super) enum Ext {
    HopByHop { len: u8 },
    Routing { len: u8 },
    Dest { len: u8 },
    Auth { icv_words: u8 },
    Fragment { offset: u16, more: bool },
}

#[derive(Clone, Debug)]
pub(super) enum NdOpt {
    Sll([u8; 6]),
    Tll([u8; 6]),
    /// Any option of `units` * 8 bytes that carries no Ethernet address.
    Other {
        opt_type: u8,
        units: u8,
    },
}

#[derive(Clone, Debug)]
pub(super) enum L4 {
    /// `flags`: the 9 flag bits, FIN = bit 0 ... NS = bit 8.
    Tcp {
        src: u16,
        dst: u16,
        flags: u16,
        option_words: u8,
    },
    Udp {
        src: u16,
        dst: u16,
    },
    Sctp {
        src: u16,
        dst: u16,
    },
    /// ICMP over IPv4, ICMPv6 over IPv6: any type and code.
    Icmp {
        icmp_type: u8,
        code: u8,
    },
    Nd {
        advert: bool,
        target: [u8; 16],
        options: Vec<NdOpt>,
    },
    /// A protocol number the key has no L4 fields for.
    Opaque {
        proto: u8,
    },
}

#[derive(Clone, Debug)]
pub(super) enum L3 {
    Ipv4 {
        dscp: u8,
        ecn: u8,
        ttl: u8,
        src: [u8; 4],
        dst: [u8; 4],
        df: bool,
        mf: bool,
        frag_offset: u16,
        option_words: u8,
        l4: L4,
    },
    Ipv6 {
        tclass: u8,
        label: u32,
        hlimit: u8,
        src: [u8; 16],
        dst: [u8; 16],
        exts: Vec<Ext>,
        l4: L4,
    },
    Arp {
        rarp: bool,
        op: u16,
        sha: [u8; 6],
        spa: [u8; 4],
        tha: [u8; 6],
        tpa: [u8; 4],
    },
    Opaque {
        eth_type: u16,
    },
}

#[derive(Clone, Debug)]
pub(super) struct Frame {
    pub dst: [u8; 6],
    pub src: [u8; 6],
    pub tags: Vec<Tag>,
    pub l3: L3,
    pub payload: Vec<u8>,
}

/// The bytes of a frame and where its layers are.
#[derive(Clone, Debug)]
pub(super) struct Built {
    pub bytes: Vec<u8>,
    /// Start of the L3 header (after the ethertype).
    pub l3_start: usize,
    /// End of the fixed L3 header: IPv4 incl. options, the 40-byte IPv6
    /// header, the 28-byte ARP packet; `l3_start` for other ethertypes.
    pub l3_end: usize,
    /// End of the IPv6 extension header chain; `l3_end` for other frames.
    pub chain_end: usize,
    /// Where the transport header is, when the key has fields for it.
    pub l4: Option<L4Span>,
}

#[derive(Clone, Copy, Debug)]
pub(super) struct L4Span {
    /// End of the header that yields tp_src/tp_dst (and tcp_flags).
    pub fixed_end: usize,
    /// End of everything parsed: for ND, the target and all options.
    pub end: usize,
}

fn l4_proto(l4: &L4, ipv6: bool) -> u8 {
    match l4 {
        L4::Tcp { .. } => 6,
        L4::Udp { .. } => 17,
        L4::Sctp { .. } => 132,
        L4::Icmp { .. } if ipv6 => 58,
        L4::Icmp { .. } => 1,
        L4::Nd { .. } => 58,
        L4::Opaque { proto } => *proto,
    }
}

fn ext_number(ext: &Ext) -> u8 {
    match ext {
        Ext::HopByHop { .. } => 0,
        Ext::Routing { .. } => 43,
        Ext::Dest { .. } => 60,
        Ext::Auth { .. } => 51,
        Ext::Fragment { .. } => 44,
    }
}

/// Transport header bytes, and the length of the part that yields the
/// port (or type/code) fields, when the key has fields for them.
fn l4_bytes(l4: &L4, payload_len: usize) -> (Vec<u8>, Option<usize>) {
    let mut out = Vec::new();
    match l4 {
        L4::Tcp {
            src,
            dst,
            flags,
            option_words,
        } => {
            let mut t = TcpHeader::new(*src, *dst, 0x0102_0304, 4096);
            t.fin = flags & 0x001 != 0;
            t.syn = flags & 0x002 != 0;
            t.rst = flags & 0x004 != 0;
            t.psh = flags & 0x008 != 0;
            t.ack = flags & 0x010 != 0;
            t.urg = flags & 0x020 != 0;
            t.ece = flags & 0x040 != 0;
            t.cwr = flags & 0x080 != 0;
            t.ns = flags & 0x100 != 0;
            // NOP options.
            t.set_options_raw(&vec![1u8; usize::from(*option_words) * 4])
                .expect("at most 40 bytes of options");
            t.write(&mut out).expect("vec write");
        }
        L4::Udp { src, dst } => {
            let u = UdpHeader {
                source_port: *src,
                destination_port: *dst,
                length: (8 + payload_len) as u16,
                checksum: 0,
            };
            u.write(&mut out).expect("vec write");
        }
        L4::Sctp { src, dst } => {
            // By hand: ports, verification tag, checksum.
            out.extend_from_slice(&src.to_be_bytes());
            out.extend_from_slice(&dst.to_be_bytes());
            out.extend_from_slice(&[0xde, 0xad, 0xbe, 0xef, 0, 0, 0, 0]);
        }
        L4::Icmp { icmp_type, code } => {
            // Unknown{} writes type and code verbatim; the same 8 bytes
            // serve as an ICMPv6 header.
            let h = Icmpv4Header::new(Icmpv4Type::Unknown {
                type_u8: *icmp_type,
                code_u8: *code,
                bytes5to8: [1, 2, 3, 4],
            });
            h.write(&mut out).expect("vec write");
        }
        L4::Nd {
            advert,
            target,
            options,
        } => {
            let target_address = std::net::Ipv6Addr::from(*target);
            let (icmp_type, payload) = if *advert {
                (
                    Icmpv6Type::NeighborAdvertisement(NeighborAdvertisementHeader {
                        router: false,
                        solicited: true,
                        r#override: true,
                    }),
                    Icmpv6Payload::NeighborAdvertisement(NeighborAdvertisementPayload {
                        target_address,
                    }),
                )
            } else {
                (
                    Icmpv6Type::NeighborSolicitation,
                    Icmpv6Payload::NeighborSolicitation(NeighborSolicitationPayload {
                        target_address,
                    }),
                )
            };
            Icmpv6Header::new(icmp_type)
                .write(&mut out)
                .expect("vec write");
            payload.write(&mut out).expect("vec write");
            // ND options by hand: etherparse only parses them.
            for opt in options {
                match opt {
                    NdOpt::Sll(mac) => {
                        out.extend_from_slice(&[1, 1]);
                        out.extend_from_slice(mac);
                    }
                    NdOpt::Tll(mac) => {
                        out.extend_from_slice(&[2, 1]);
                        out.extend_from_slice(mac);
                    }
                    NdOpt::Other { opt_type, units } => {
                        let start = out.len();
                        out.extend_from_slice(&[*opt_type, *units]);
                        out.resize(start + usize::from(*units) * 8, 0x5a);
                    }
                }
            }
        }
        L4::Opaque { .. } => return (out, None),
    }
    let fixed_len = if matches!(l4, L4::Nd { .. }) {
        8
    } else {
        out.len()
    };
    (out, Some(fixed_len))
}

fn span(start: usize, fixed_len: Option<usize>, len: usize, later: bool) -> Option<L4Span> {
    let fixed_len = fixed_len.filter(|_| !later)?;
    Some(L4Span {
        fixed_end: start + fixed_len,
        end: start + len,
    })
}

impl Frame {
    fn first_l3_type(&self) -> u16 {
        match &self.l3 {
            L3::Ipv4 { .. } => 0x0800,
            L3::Ipv6 { .. } => 0x86dd,
            L3::Arp { rarp: false, .. } => 0x0806,
            L3::Arp { rarp: true, .. } => 0x8035,
            L3::Opaque { eth_type } => *eth_type,
        }
    }

    /// The payload after the transport header. ND messages and ICMPv6
    /// messages numbered like them get none, since the bytes after the
    /// target are options to both parsers; ICMP timestamps get exactly the
    /// 12 bytes etherparse insists on.
    fn payload(&self) -> Vec<u8> {
        let (l4, ipv6) = match &self.l3 {
            L3::Ipv4 { l4, .. } => (l4, false),
            L3::Ipv6 { l4, .. } => (l4, true),
            _ => return self.payload.clone(),
        };
        match l4 {
            L4::Nd { .. } => Vec::new(),
            L4::Icmp {
                icmp_type: 135 | 136,
                ..
            } if ipv6 => Vec::new(),
            L4::Icmp {
                icmp_type: 13 | 14,
                code: 0,
            } if !ipv6 => vec![0x77; 12],
            _ => self.payload.clone(),
        }
    }

    pub fn build(&self) -> Built {
        let payload = self.payload();
        let mut bytes = Vec::new();
        let l3_type = self.first_l3_type();
        let type_after = |i: usize| self.tags.get(i).map_or(l3_type, |t| t.tpid);
        Ethernet2Header {
            source: self.src,
            destination: self.dst,
            ether_type: EtherType(type_after(0)),
        }
        .write(&mut bytes)
        .expect("vec write");
        for (i, tag) in self.tags.iter().enumerate() {
            SingleVlanHeader {
                pcp: VlanPcp::try_new(tag.pcp).expect("3 bits"),
                drop_eligible_indicator: tag.dei,
                vlan_id: VlanId::try_new(tag.vid).expect("12 bits"),
                ether_type: EtherType(type_after(i + 1)),
            }
            .write(&mut bytes)
            .expect("vec write");
        }
        let l3_start = bytes.len();
        let (l3_end, chain_end, l4) = match &self.l3 {
            L3::Ipv4 {
                dscp,
                ecn,
                ttl,
                src,
                dst,
                df,
                mf,
                frag_offset,
                option_words,
                l4,
            } => {
                let (l4_hdr, fixed_len) = l4_bytes(l4, payload.len());
                let mut h = Ipv4Header::new(
                    (l4_hdr.len() + payload.len()) as u16,
                    *ttl,
                    IpNumber(l4_proto(l4, false)),
                    *src,
                    *dst,
                )
                .expect("small payload");
                h.dscp = IpDscp::try_new(*dscp).expect("6 bits");
                h.ecn = IpEcn::try_new(*ecn).expect("2 bits");
                h.dont_fragment = *df;
                h.more_fragments = *mf;
                h.fragment_offset = IpFragOffset::try_new(*frag_offset).expect("13 bits");
                // NOP options.
                h.options = vec![1u8; usize::from(*option_words) * 4]
                    .as_slice()
                    .try_into()
                    .expect("at most 40 bytes of options");
                h.set_payload_len(l4_hdr.len() + payload.len())
                    .expect("small payload");
                h.header_checksum = h.calc_header_checksum();
                h.write(&mut bytes).expect("vec write");
                let l3_end = bytes.len();
                bytes.extend_from_slice(&l4_hdr);
                let l4 = span(l3_end, fixed_len, l4_hdr.len(), *frag_offset != 0);
                (l3_end, l3_end, l4)
            }
            L3::Ipv6 {
                tclass,
                label,
                hlimit,
                src,
                dst,
                exts,
                l4,
            } => {
                let (l4_hdr, fixed_len) = l4_bytes(l4, payload.len());
                let proto = l4_proto(l4, true);
                let next_after = |i: usize| exts.get(i).map_or(proto, ext_number);
                let mut ext_bytes = Vec::new();
                for (i, ext) in exts.iter().enumerate() {
                    write_ext(ext, next_after(i + 1), &mut ext_bytes);
                }
                let h = Ipv6Header {
                    traffic_class: *tclass,
                    flow_label: Ipv6FlowLabel::try_new(*label).expect("20 bits"),
                    payload_length: (ext_bytes.len() + l4_hdr.len() + payload.len()) as u16,
                    next_header: IpNumber(next_after(0)),
                    hop_limit: *hlimit,
                    source: *src,
                    destination: *dst,
                };
                h.write(&mut bytes).expect("vec write");
                let l3_end = bytes.len();
                bytes.extend_from_slice(&ext_bytes);
                let l4_start = bytes.len();
                bytes.extend_from_slice(&l4_hdr);
                let later = exts
                    .iter()
                    .any(|e| matches!(e, Ext::Fragment { offset, .. } if *offset != 0));
                let l4 = span(l4_start, fixed_len, l4_hdr.len(), later);
                (l3_end, l4_start, l4)
            }
            L3::Arp {
                op,
                sha,
                spa,
                tha,
                tpa,
                ..
            } => {
                ArpPacket::new(
                    ArpHardwareId::ETHERNET,
                    EtherType::IPV4,
                    ArpOperation(*op),
                    sha,
                    spa,
                    tha,
                    tpa,
                )
                .expect("valid sizes")
                .write(&mut bytes)
                .expect("vec write");
                (bytes.len(), bytes.len(), None)
            }
            L3::Opaque { .. } => (l3_start, l3_start, None),
        };
        bytes.extend_from_slice(&payload);
        Built {
            bytes,
            l3_start,
            l3_end,
            chain_end,
            l4,
        }
    }
}

fn write_ext(ext: &Ext, next: u8, out: &mut Vec<u8>) {
    let next = IpNumber(next);
    match ext {
        Ext::HopByHop { len } | Ext::Routing { len } | Ext::Dest { len } => {
            // All-zero option area: Pad1 options; routing type 0 with no
            // segments left.
            Ipv6RawExtHeader::new_raw(next, &vec![0u8; 6 + 8 * usize::from(*len)])
                .expect("valid length")
                .write(out)
                .expect("vec write");
        }
        Ext::Auth { icv_words } => {
            IpAuthHeader::new(next, 0x100, 7, &vec![0xcc; 4 * usize::from(*icv_words)])
                .expect("valid icv")
                .write(out)
                .expect("vec write");
        }
        Ext::Fragment { offset, more } => {
            Ipv6FragmentHeader::new(
                next,
                IpFragOffset::try_new(*offset).expect("13 bits"),
                *more,
                0xabcd,
            )
            .write(out)
            .expect("vec write");
        }
    }
}
