"""A small netlink / generic netlink / Open vSwitch datapath client, written
from the uapi headers (linux/netlink.h, linux/genetlink.h,
linux/openvswitch.h) with nothing but the Python standard library.

It talks to dpswitchd's control socket (AF_UNIX, SOCK_SEQPACKET), which
carries the same messages a kernel datapath exchanges over Generic Netlink.
Every byte is packed and unpacked here, so it checks the daemon with code
that shares nothing with the daemon's own codec.

Netlink headers are host byte order; packet fields inside flow keys and
actions are network byte order, as the headers' __be16/__be32 say.
"""

import os
import re
import socket
import struct
from dataclasses import dataclass, field

# --- linux/netlink.h -------------------------------------------------------
NLMSG_ALIGNTO = 4
NLMSG_NOOP = 0x1
NLMSG_ERROR = 0x2
NLMSG_DONE = 0x3
NLMSG_MIN_TYPE = 0x10

NLM_F_REQUEST = 0x01
NLM_F_MULTI = 0x02
NLM_F_ACK = 0x04
NLM_F_ECHO = 0x08
NLM_F_DUMP_INTR = 0x10
NLM_F_ROOT = 0x100
NLM_F_MATCH = 0x200
NLM_F_DUMP = NLM_F_ROOT | NLM_F_MATCH
NLM_F_REPLACE = 0x100
NLM_F_EXCL = 0x200
NLM_F_CREATE = 0x400
NLM_F_APPEND = 0x800
NLM_F_CAPPED = 0x100
NLM_F_ACK_TLVS = 0x200

NLMSGERR_ATTR_MSG = 1
NLMSGERR_ATTR_OFFS = 2

NLA_F_NESTED = 1 << 15
NLA_F_NET_BYTEORDER = 1 << 14
ATTR_TYPE_BITS = 0x3FFF  # NLA_TYPE_MASK, as the 14 bits it leaves

NLMSGHDR = struct.Struct("=IHHII")  # struct nlmsghdr: len, type, flags, seq, pid
NLATTR = struct.Struct("=HH")  # struct nlattr: len, type
NLMSGERR_ERROR = struct.Struct("=i")

# --- linux/genetlink.h -----------------------------------------------------
GENL_ID_CTRL = NLMSG_MIN_TYPE
GENLMSGHDR = struct.Struct("=BBH")  # struct genlmsghdr: cmd, version, reserved

CTRL_CMD_NEWFAMILY = 1
CTRL_CMD_GETFAMILY = 3
CTRL_ATTR_FAMILY_ID = 1
CTRL_ATTR_FAMILY_NAME = 2
CTRL_ATTR_VERSION = 3
CTRL_ATTR_HDRSIZE = 4
CTRL_ATTR_MAXATTR = 5
CTRL_ATTR_OPS = 6
CTRL_ATTR_MCAST_GROUPS = 7
CTRL_ATTR_MCAST_GRP_NAME = 1
CTRL_ATTR_MCAST_GRP_ID = 2

# dpswitch's one extension of nlctrl (docs/control-socket.md): a Unix
# socket has no NETLINK_ADD_MEMBERSHIP, so membership is a request.
DPSWITCH_CTRL_CMD_SUBSCRIBE = 0x80
DPSWITCH_CTRL_CMD_UNSUBSCRIBE = 0x81

# --- linux/openvswitch.h ---------------------------------------------------
OVS_HEADER = struct.Struct("=i")  # dp_ifindex

OVS_DATAPATH_FAMILY = "ovs_datapath"
OVS_DATAPATH_MCGROUP = "ovs_datapath"
OVS_DATAPATH_VERSION = 2
OVS_VPORT_FAMILY = "ovs_vport"
OVS_VPORT_MCGROUP = "ovs_vport"
OVS_VPORT_VERSION = 0x1
OVS_FLOW_FAMILY = "ovs_flow"
OVS_FLOW_MCGROUP = "ovs_flow"
OVS_FLOW_VERSION = 0x1
OVS_PACKET_FAMILY = "ovs_packet"
OVS_PACKET_VERSION = 0x1

OVS_DP_CMD_NEW = 1
OVS_DP_CMD_DEL = 2
OVS_DP_CMD_GET = 3
OVS_DP_CMD_SET = 4
OVS_DP_ATTR_NAME = 1
OVS_DP_ATTR_UPCALL_PID = 2
OVS_DP_ATTR_STATS = 3
OVS_DP_ATTR_MEGAFLOW_STATS = 4
OVS_DP_ATTR_USER_FEATURES = 5

OVS_VPORT_CMD_NEW = 1
OVS_VPORT_CMD_DEL = 2
OVS_VPORT_CMD_GET = 3
OVS_VPORT_CMD_SET = 4
OVS_VPORT_TYPE_UNSPEC = 0
OVS_VPORT_TYPE_NETDEV = 1
OVS_VPORT_TYPE_INTERNAL = 2
OVS_VPORT_ATTR_PORT_NO = 1
OVS_VPORT_ATTR_TYPE = 2
OVS_VPORT_ATTR_NAME = 3
OVS_VPORT_ATTR_OPTIONS = 4
OVS_VPORT_ATTR_UPCALL_PID = 5
OVS_VPORT_ATTR_STATS = 6
OVS_VPORT_ATTR_PAD = 7

OVS_FLOW_CMD_NEW = 1
OVS_FLOW_CMD_DEL = 2
OVS_FLOW_CMD_GET = 3
OVS_FLOW_CMD_SET = 4
OVS_FLOW_ATTR_KEY = 1
OVS_FLOW_ATTR_ACTIONS = 2
OVS_FLOW_ATTR_STATS = 3
OVS_FLOW_ATTR_TCP_FLAGS = 4
OVS_FLOW_ATTR_USED = 5
OVS_FLOW_ATTR_CLEAR = 6
OVS_FLOW_ATTR_MASK = 7
OVS_FLOW_ATTR_PROBE = 8
OVS_FLOW_ATTR_UFID = 9
OVS_FLOW_ATTR_UFID_FLAGS = 10
OVS_FLOW_ATTR_PAD = 11
OVS_UFID_F_OMIT_KEY = 1 << 0
OVS_UFID_F_OMIT_MASK = 1 << 1
OVS_UFID_F_OMIT_ACTIONS = 1 << 2

OVS_KEY_ATTR_ENCAP = 1
OVS_KEY_ATTR_PRIORITY = 2
OVS_KEY_ATTR_IN_PORT = 3
OVS_KEY_ATTR_ETHERNET = 4
OVS_KEY_ATTR_VLAN = 5
OVS_KEY_ATTR_ETHERTYPE = 6
OVS_KEY_ATTR_IPV4 = 7
OVS_KEY_ATTR_IPV6 = 8
OVS_KEY_ATTR_TCP = 9
OVS_KEY_ATTR_UDP = 10
OVS_KEY_ATTR_ICMP = 11
OVS_KEY_ATTR_ICMPV6 = 12
OVS_KEY_ATTR_ARP = 13
OVS_KEY_ATTR_ND = 14
OVS_KEY_ATTR_SKB_MARK = 15
OVS_KEY_ATTR_TUNNEL = 16
OVS_KEY_ATTR_SCTP = 17
OVS_KEY_ATTR_TCP_FLAGS = 18
OVS_KEY_ATTR_DP_HASH = 19
OVS_KEY_ATTR_RECIRC_ID = 20
OVS_KEY_ATTR_MPLS = 21
OVS_KEY_ATTR_NSH = 28
OVS_KEY_ATTR_MAX = 32

OVS_FRAG_TYPE_NONE = 0
OVS_FRAG_TYPE_FIRST = 1
OVS_FRAG_TYPE_LATER = 2

OVS_ACTION_ATTR_OUTPUT = 1
OVS_ACTION_ATTR_USERSPACE = 2
OVS_ACTION_ATTR_SET = 3
OVS_ACTION_ATTR_PUSH_VLAN = 4
OVS_ACTION_ATTR_POP_VLAN = 5
OVS_ACTION_ATTR_SAMPLE = 6
OVS_ACTION_ATTR_SET_MASKED = 11

# Structures, as struct module layouts (native alignment matches the C
# layout for these all-naturally-aligned structs; sizes are checked
# against the headers by header_mismatches()).
STRUCTS = {
    "nlmsghdr": NLMSGHDR.format,
    "nlattr": NLATTR.format,
    "genlmsghdr": GENLMSGHDR.format,
    "ovs_header": OVS_HEADER.format,
    "ovs_dp_stats": "=QQQQ",
    "ovs_dp_megaflow_stats": "=QIIQQ",
    "ovs_vport_stats": "=QQQQQQQQ",
    "ovs_flow_stats": "=QQ",
    "ovs_key_ethernet": "6s6s",
    "ovs_key_ipv4": ">IIBBBB",
    "ovs_key_ipv6": ">16s16sIBBBB",
    "ovs_key_tcp": ">HH",
    "ovs_key_udp": ">HH",
    "ovs_key_sctp": ">HH",
    "ovs_key_icmp": "BB",
    "ovs_key_arp": ">IIH6s6sxx",  # sizeof is 24: tail padding
    "ovs_action_push_vlan": ">HH",
}

# Fixed payload lengths of the key attributes this client builds.
KEY_ATTR_LEN = {
    OVS_KEY_ATTR_PRIORITY: 4,
    OVS_KEY_ATTR_IN_PORT: 4,
    OVS_KEY_ATTR_ETHERNET: 12,
    OVS_KEY_ATTR_VLAN: 2,
    OVS_KEY_ATTR_ETHERTYPE: 2,
    OVS_KEY_ATTR_IPV4: 12,
    OVS_KEY_ATTR_IPV6: 40,
    OVS_KEY_ATTR_TCP: 4,
    OVS_KEY_ATTR_UDP: 4,
    OVS_KEY_ATTR_ICMP: 2,
    OVS_KEY_ATTR_ARP: 24,
    OVS_KEY_ATTR_SKB_MARK: 4,
    OVS_KEY_ATTR_TCP_FLAGS: 2,
    OVS_KEY_ATTR_DP_HASH: 4,
    OVS_KEY_ATTR_RECIRC_ID: 4,
}
NESTED_KEY_ATTRS = {OVS_KEY_ATTR_ENCAP, OVS_KEY_ATTR_TUNNEL, OVS_KEY_ATTR_NSH}


def align(n):
    return (n + NLMSG_ALIGNTO - 1) & ~(NLMSG_ALIGNTO - 1)


def pad(b):
    return b + bytes(align(len(b)) - len(b))


# --- attributes ------------------------------------------------------------


def nla(atype, payload=b""):
    """One attribute: header, payload, padding to 4 bytes."""
    return pad(NLATTR.pack(NLATTR.size + len(payload), atype) + payload)


def nla_u8(atype, v):
    return nla(atype, struct.pack("=B", v))


def nla_u16(atype, v):
    return nla(atype, struct.pack("=H", v))


def nla_u32(atype, v):
    return nla(atype, struct.pack("=I", v))


def nla_u64(atype, v):
    return nla(atype, struct.pack("=Q", v))


def nla_be16(atype, v):
    return nla(atype, struct.pack(">H", v))


def nla_string(atype, s):
    return nla(atype, s.encode() + b"\0")


def nla_nested(atype, children):
    return nla(atype, b"".join(children))


class ParseError(Exception):
    """A reply that does not follow the netlink framing rules."""


def parse_attrs(buf):
    """[(type, payload)] of a packed attribute stream; strict about lengths
    and padding, as a kernel client's nla_parse is."""
    out = []
    off = 0
    while off < len(buf):
        if len(buf) - off < NLATTR.size:
            raise ParseError(f"{len(buf) - off} trailing bytes after attributes")
        alen, atype = NLATTR.unpack_from(buf, off)
        if alen < NLATTR.size or off + alen > len(buf):
            raise ParseError(f"attribute type {atype} length {alen} at {off} overruns {len(buf)}")
        out.append((atype & ATTR_TYPE_BITS, bytes(buf[off + NLATTR.size : off + alen])))
        off += align(alen)
    return out


def attr_map(attrs, what):
    """{type: payload}, refusing duplicates (a reply never repeats one)."""
    m = {}
    for t, p in attrs:
        if t in m:
            raise ParseError(f"{what}: attribute {t} appears twice")
        m[t] = p
    return m


def c_string(payload, what):
    if not payload.endswith(b"\0"):
        raise ParseError(f"{what}: string {payload!r} is not NUL-terminated")
    return payload[:-1].decode()


def u32(payload, what="u32"):
    if len(payload) != 4:
        raise ParseError(f"{what}: {len(payload)} bytes, expected 4")
    return struct.unpack("=I", payload)[0]


# --- messages --------------------------------------------------------------


def nlmsg(mtype, flags, seq, payload, pid=0):
    return pad(NLMSGHDR.pack(NLMSGHDR.size + len(payload), mtype, flags, seq, pid) + payload)


def genl_payload(cmd, version, body):
    return GENLMSGHDR.pack(cmd, version, 0) + body


def ovs_payload(cmd, version, dp_ifindex, attrs):
    return genl_payload(cmd, version, OVS_HEADER.pack(dp_ifindex) + b"".join(attrs))


@dataclass
class Message:
    mtype: int
    flags: int
    seq: int
    pid: int
    payload: bytes
    raw: bytes

    def genl(self):
        """(cmd, version, rest) of a generic netlink message."""
        if len(self.payload) < GENLMSGHDR.size:
            raise ParseError(f"{len(self.payload)}-byte payload has no genlmsghdr")
        cmd, version, _ = GENLMSGHDR.unpack_from(self.payload)
        return cmd, version, self.payload[GENLMSGHDR.size :]

    def ovs(self):
        """(cmd, dp_ifindex, [(type, payload)]) of an Open vSwitch message."""
        cmd, _, rest = self.genl()
        if len(rest) < OVS_HEADER.size:
            raise ParseError("message has no ovs_header")
        (ifindex,) = OVS_HEADER.unpack_from(rest)
        return cmd, ifindex, parse_attrs(rest[OVS_HEADER.size :])


def split_messages(buf):
    """The messages of one recv; a kernel-style reader's NLMSG_OK/NEXT loop."""
    out = []
    off = 0
    while off < len(buf):
        if len(buf) - off < NLMSGHDR.size:
            raise ParseError(f"{len(buf) - off} trailing bytes cannot hold a nlmsghdr")
        mlen, mtype, flags, seq, pid = NLMSGHDR.unpack_from(buf, off)
        if mlen < NLMSGHDR.size or off + mlen > len(buf):
            raise ParseError(f"nlmsg_len {mlen} at offset {off} overruns the {len(buf)}-byte read")
        out.append(Message(mtype, flags, seq, pid, bytes(buf[off + NLMSGHDR.size : off + mlen]),
                           bytes(buf[off : off + mlen])))
        off += align(mlen)
    return out


class NlError(Exception):
    """An NLMSG_ERROR with a negative errno."""

    def __init__(self, errno_, text, echoed, reply):
        self.errno = errno_
        self.text = text
        self.echoed = echoed
        self.reply = reply
        name = os.strerror(errno_)
        super().__init__(f"errno {errno_} ({name})" + (f": {text!r}" if text else ""))


@dataclass
class ErrorReply:
    error: int  # 0 for an ack, else the positive errno
    echoed_header: bytes
    echoed: bytes  # whole echoed request (header only when capped)
    text: str = None
    offs: int = None
    flags: int = 0


def parse_error(msg):
    """Decodes an NLMSG_ERROR: struct nlmsgerr, then (unless NLM_F_CAPPED)
    the rest of the request, then (with NLM_F_ACK_TLVS) extended-ack
    attributes."""
    p = msg.payload
    if len(p) < NLMSGERR_ERROR.size + NLMSGHDR.size:
        raise ParseError(f"{len(p)}-byte NLMSG_ERROR payload is shorter than struct nlmsgerr")
    (err,) = NLMSGERR_ERROR.unpack_from(p)
    if err > 0:
        raise ParseError(f"NLMSG_ERROR carries positive error {err}")
    hdr_at = NLMSGERR_ERROR.size
    echoed_len = NLMSGHDR.unpack_from(p, hdr_at)[0]
    if msg.flags & NLM_F_CAPPED:
        echoed = p[hdr_at : hdr_at + NLMSGHDR.size]
        tlv_at = hdr_at + NLMSGHDR.size
    else:
        if hdr_at + echoed_len > len(p):
            raise ParseError(f"echoed request of {echoed_len} bytes overruns the error reply")
        echoed = p[hdr_at : hdr_at + echoed_len]
        tlv_at = hdr_at + align(echoed_len)
    reply = ErrorReply(-err, p[hdr_at : hdr_at + NLMSGHDR.size], echoed, flags=msg.flags)
    tlvs = p[tlv_at:]
    if msg.flags & NLM_F_ACK_TLVS:
        m = attr_map(parse_attrs(tlvs), "extended ack")
        if NLMSGERR_ATTR_MSG in m:
            reply.text = c_string(m[NLMSGERR_ATTR_MSG], "NLMSGERR_ATTR_MSG")
        if NLMSGERR_ATTR_OFFS in m:
            reply.offs = u32(m[NLMSGERR_ATTR_OFFS], "NLMSGERR_ATTR_OFFS")
    elif tlvs:
        raise ParseError(f"{len(tlvs)} bytes after the echoed request without NLM_F_ACK_TLVS")
    return reply


class ProtocolError(Exception):
    """The daemon broke a rule of the transport (framing, port id, echo)."""


# The seq numbers of two connections never collide, so a notification
# (which carries another connection's seq) is never taken for a reply.
_next_seq_base = [1000]


class Connection:
    """One control-socket connection: framing, seq numbers, and the
    transport rules of docs/control-socket.md checked on every reply."""

    RECV_BUF = 1 << 20
    MAX_PART = 64 * 1024

    def __init__(self, path, timeout=10.0):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.sock.settimeout(timeout)
        self.sock.connect(path)
        self.timeout = timeout
        self.seq = _next_seq_base[0]
        _next_seq_base[0] += 1_000_000
        self.port_id = None  # learnt from the first reply
        self.unsolicited = []  # messages that answered none of our requests
        self.recv_sizes = []
        self.answer_order = []  # seqs in the order their answers came

    def close(self):
        self.sock.close()

    def next_seq(self):
        self.seq += 1
        return self.seq

    def send(self, data):
        n = self.sock.send(data)
        if n != len(data):
            raise ProtocolError(f"short send: {n} of {len(data)} bytes")

    def recv(self, timeout=None):
        """One recv: the messages of one datagram."""
        self.sock.settimeout(self.timeout if timeout is None else timeout)
        data, _, flags, _ = self.sock.recvmsg(self.RECV_BUF)
        if flags & socket.MSG_TRUNC:
            raise ProtocolError(f"a reply larger than {self.RECV_BUF} bytes was truncated")
        if not data:
            raise ProtocolError("the daemon closed the connection")
        self.recv_sizes.append(len(data))
        return split_messages(data)

    def _note_port(self, msg):
        if self.port_id is None:
            self.port_id = msg.pid
        elif msg.pid != self.port_id:
            raise ProtocolError(
                f"reply seq {msg.seq} carries nlmsg_pid {msg.pid}, the connection's port id is {self.port_id}")

    def collect(self, seqs, sent):
        """Reads until every request in `seqs` (seq -> bytes sent) is
        answered by an NLMSG_ERROR; returns {seq: (replies, ErrorReply)}.
        Other messages are kept in self.unsolicited."""
        pending = {s: [] for s in seqs}
        done = {}
        self.answer_order = []
        while len(done) < len(seqs):
            for m in self.recv():
                if m.seq not in pending or m.seq in done:
                    self.unsolicited.append(m)
                    continue
                self._note_port(m)
                if m.mtype == NLMSG_ERROR:
                    e = parse_error(m)
                    check_echo(e, sent[m.seq])
                    done[m.seq] = (pending[m.seq], e)
                    self.answer_order.append(m.seq)
                else:
                    pending[m.seq].append(m)
        return done

    def transact(self, mtype, flags, payload):
        """One request with NLM_F_ACK; returns its reply messages (those
        before the ack). A failure raises NlError."""
        replies, e = self.transact_raw(mtype, flags, payload)
        if e.error:
            raise NlError(e.error, e.text, e.echoed, replies)
        return replies

    def transact_raw(self, mtype, flags, payload):
        seq = self.next_seq()
        data = nlmsg(mtype, flags | NLM_F_REQUEST | NLM_F_ACK, seq, payload)
        self.send(data)
        return self.collect([seq], {seq: data})[seq]

    def pipeline(self, requests):
        """Sends every (mtype, flags, payload) in one send (one datagram
        carrying several messages) and returns [(replies, ErrorReply)] in
        request order."""
        seqs, sent, chunks = [], {}, []
        for mtype, flags, payload in requests:
            seq = self.next_seq()
            data = nlmsg(mtype, flags | NLM_F_REQUEST | NLM_F_ACK, seq, payload)
            seqs.append(seq)
            sent[seq] = data
            chunks.append(data)
        self.send(b"".join(chunks))
        done = self.collect(seqs, sent)
        return [done[s] for s in seqs]

    def dump(self, mtype, payload, flags=0):
        """A NLM_F_DUMP request; returns (messages, DumpInfo). Checks that
        every part is NLM_F_MULTI with our seq, each read within 64 KiB,
        and that NLMSG_DONE ends it."""
        seq = self.next_seq()
        data = nlmsg(mtype, flags | NLM_F_REQUEST | NLM_F_DUMP, seq, payload)
        self.send(data)
        return self.read_dump(seq, data)

    def start_dump(self, mtype, payload):
        seq = self.next_seq()
        data = nlmsg(mtype, NLM_F_REQUEST | NLM_F_DUMP, seq, payload)
        self.send(data)
        return seq, data

    def read_dump(self, seq, sent, max_reads=None):
        """Reads the dump `seq`; with max_reads, stops early and returns
        what came so far (info.done is then False)."""
        info = DumpInfo()
        out = []
        while not info.done:
            if max_reads is not None and info.reads >= max_reads:
                break
            msgs = self.recv()
            ours = [m for m in msgs if m.seq == seq]
            self.unsolicited.extend(m for m in msgs if m.seq != seq)
            if not ours:
                continue
            info.reads += 1
            info.sizes.append(sum(len(m.raw) for m in ours))
            for m in ours:
                self._note_port(m)
                if info.done:
                    raise ProtocolError("messages after NLMSG_DONE in the same read")
                if m.mtype == NLMSG_ERROR:
                    e = parse_error(m)
                    check_echo(e, sent)
                    raise NlError(e.error, e.text, e.echoed, out)
                if not m.flags & NLM_F_MULTI:
                    raise ProtocolError(f"dump part type {m.mtype} lacks NLM_F_MULTI")
                if m.flags & NLM_F_DUMP_INTR:
                    info.interrupted = True
                if m.mtype == NLMSG_DONE:
                    if len(m.payload) < 4:
                        raise ParseError(f"NLMSG_DONE payload of {len(m.payload)} bytes lacks its int")
                    (err,) = struct.unpack_from("=i", m.payload)
                    if err != 0:
                        raise NlError(-err, None, b"", out)
                    info.done = True
                else:
                    out.append(m)
        return out, info


@dataclass
class DumpInfo:
    reads: int = 0
    sizes: list = field(default_factory=list)
    done: bool = False
    interrupted: bool = False


def check_echo(e, sent):
    """An error reply echoes the request: its header always, the whole
    request unless capped; an ack is capped (docs/control-socket.md)."""
    if e.echoed_header != sent[: NLMSGHDR.size]:
        raise ProtocolError(f"echoed header {e.echoed_header.hex()} is not the request's {sent[:16].hex()}")
    if e.error == 0:
        if not e.flags & NLM_F_CAPPED:
            raise ProtocolError("an ack without NLM_F_CAPPED")
    else:
        if e.flags & NLM_F_CAPPED:
            raise ProtocolError(f"error {e.error} reply is capped; the whole request must be echoed")
        if e.echoed != sent[: NLMSGHDR.unpack_from(sent)[0]]:
            raise ProtocolError("the echoed request differs from the request sent")


# --- generic netlink controller ---------------------------------------------


@dataclass
class Family:
    id: int
    name: str
    version: int
    hdrsize: int
    maxattr: int
    groups: dict  # name -> id


def parse_family(msg):
    cmd, _, rest = msg.genl()
    if msg.mtype != GENL_ID_CTRL or cmd != CTRL_CMD_NEWFAMILY:
        raise ParseError(f"family reply has type {msg.mtype:#x} cmd {cmd}, expected nlctrl NEWFAMILY")
    a = attr_map(parse_attrs(rest), "family")
    for need in (CTRL_ATTR_FAMILY_ID, CTRL_ATTR_FAMILY_NAME, CTRL_ATTR_VERSION, CTRL_ATTR_HDRSIZE,
                 CTRL_ATTR_MAXATTR):
        if need not in a:
            raise ParseError(f"family reply lacks CTRL_ATTR {need}")
    if len(a[CTRL_ATTR_FAMILY_ID]) != 2:
        raise ParseError(f"CTRL_ATTR_FAMILY_ID is {len(a[CTRL_ATTR_FAMILY_ID])} bytes, a u16 is 2")
    groups = {}
    for _, grp in parse_attrs(a.get(CTRL_ATTR_MCAST_GROUPS, b"")):
        g = attr_map(parse_attrs(grp), "mcast group")
        groups[c_string(g[CTRL_ATTR_MCAST_GRP_NAME], "group name")] = u32(g[CTRL_ATTR_MCAST_GRP_ID], "group id")
    return Family(
        id=struct.unpack("=H", a[CTRL_ATTR_FAMILY_ID])[0],
        name=c_string(a[CTRL_ATTR_FAMILY_NAME], "family name"),
        version=u32(a[CTRL_ATTR_VERSION], "version"),
        hdrsize=u32(a[CTRL_ATTR_HDRSIZE], "hdrsize"),
        maxattr=u32(a[CTRL_ATTR_MAXATTR], "maxattr"),
        groups=groups,
    )


def get_family(conn, name=None, family_id=None):
    attr = nla_string(CTRL_ATTR_FAMILY_NAME, name) if name is not None else nla_u16(CTRL_ATTR_FAMILY_ID, family_id)
    replies = conn.transact(GENL_ID_CTRL, 0, genl_payload(CTRL_CMD_GETFAMILY, 1, attr))
    if len(replies) != 1:
        raise ProtocolError(f"GETFAMILY answered with {len(replies)} messages")
    return parse_family(replies[0])


def subscribe(conn, group_id, on=True):
    cmd = DPSWITCH_CTRL_CMD_SUBSCRIBE if on else DPSWITCH_CTRL_CMD_UNSUBSCRIBE
    return conn.transact(GENL_ID_CTRL, 0, genl_payload(cmd, 1, nla_u32(CTRL_ATTR_MCAST_GRP_ID, group_id)))


# --- flow keys and actions ---------------------------------------------------


def mac(s):
    return bytes(int(x, 16) for x in s.split(":"))


def ip4(s):
    return socket.inet_aton(s)


def k_in_port(p):
    return (OVS_KEY_ATTR_IN_PORT, struct.pack("=I", p))


def k_eth(src, dst):
    return (OVS_KEY_ATTR_ETHERNET, struct.pack(STRUCTS["ovs_key_ethernet"], mac(src), mac(dst)))


def k_ethertype(t):
    return (OVS_KEY_ATTR_ETHERTYPE, struct.pack(">H", t))


def k_ipv4(src, dst, proto, tos=0, ttl=64, frag=OVS_FRAG_TYPE_NONE):
    s, d = struct.unpack(">II", ip4(src) + ip4(dst))
    return (OVS_KEY_ATTR_IPV4, struct.pack(STRUCTS["ovs_key_ipv4"], s, d, proto, tos, ttl, frag))


def k_ipv6(src, dst, label, proto, tclass=0, hlimit=64, frag=OVS_FRAG_TYPE_NONE):
    return (OVS_KEY_ATTR_IPV6, struct.pack(STRUCTS["ovs_key_ipv6"], socket.inet_pton(socket.AF_INET6, src),
                                           socket.inet_pton(socket.AF_INET6, dst), label, proto, tclass,
                                           hlimit, frag))


def k_tcp(src, dst):
    return (OVS_KEY_ATTR_TCP, struct.pack(STRUCTS["ovs_key_tcp"], src, dst))


def k_tcp_flags(f):
    return (OVS_KEY_ATTR_TCP_FLAGS, struct.pack(">H", f))


def k_udp(src, dst):
    return (OVS_KEY_ATTR_UDP, struct.pack(STRUCTS["ovs_key_udp"], src, dst))


def k_icmp(t, code):
    return (OVS_KEY_ATTR_ICMP, struct.pack(STRUCTS["ovs_key_icmp"], t, code))


def k_arp(sip, tip, op, sha, tha):
    s, t = struct.unpack(">II", ip4(sip) + ip4(tip))
    return (OVS_KEY_ATTR_ARP, struct.pack(STRUCTS["ovs_key_arp"], s, t, op, mac(sha), mac(tha)))


def k_raw(atype, payload):
    return (atype, payload)


def pack_key(attrs):
    """Key or mask attribute list [(type, payload)] -> packed stream."""
    return b"".join(nla(t, p) for t, p in attrs)


def a_output(port):
    return nla_u32(OVS_ACTION_ATTR_OUTPUT, port)


def a_set(key_attr):
    return nla_nested(OVS_ACTION_ATTR_SET, [pack_key([key_attr])])


def a_set_masked(key_attr, mask_payload):
    t, p = key_attr
    return nla(OVS_ACTION_ATTR_SET_MASKED, nla(t, p + mask_payload))


def a_push_vlan(tpid, tci):
    return nla(OVS_ACTION_ATTR_PUSH_VLAN, struct.pack(STRUCTS["ovs_action_push_vlan"], tpid, tci))


def a_pop_vlan():
    return nla(OVS_ACTION_ATTR_POP_VLAN)


def exact_mask(key):
    """The mask the kernel stores for a key sent without OVS_FLOW_ATTR_MASK,
    attribute by attribute: every bit of every given field exact."""
    return [(t, b"\xff" * len(p)) for t, p in key]


def stored_mask(mask):
    """The mask the kernel stores for the given mask attributes: all-zero
    attributes are skipped, in_port and eth_type are always exact when
    present (ovs_key_from_nlattrs)."""
    out = []
    for t, p in mask:
        if not any(p):
            continue
        if t in (OVS_KEY_ATTR_IN_PORT, OVS_KEY_ATTR_ETHERTYPE):
            p = b"\xff" * len(p)
        out.append((t, p))
    return out


def apply_mask(key, mask):
    """The key with the mask applied (N6): fields the mask does not name are
    zero."""
    m = dict(mask)
    return [(t, bytes(a & b for a, b in zip(p, m.get(t, bytes(len(p)))))) for t, p in key]


def canonical(attrs):
    """A key or mask as {type: payload} with all-zero attributes left out,
    so two encodings of the same bits compare equal (the kernel prints
    zero-valued metadata such as recirc_id that a request may omit)."""
    out = {}
    for t, p in attrs:
        if t in NESTED_KEY_ATTRS:
            inner = canonical(parse_attrs(p))
            if inner:
                out[t] = inner
        elif any(p):
            if t in out:
                raise ParseError(f"key attribute {t} appears twice")
            out[t] = p
    return out


KEY_NAMES = {
    OVS_KEY_ATTR_ENCAP: "encap", OVS_KEY_ATTR_PRIORITY: "skb_priority", OVS_KEY_ATTR_IN_PORT: "in_port",
    OVS_KEY_ATTR_ETHERNET: "eth", OVS_KEY_ATTR_VLAN: "vlan", OVS_KEY_ATTR_ETHERTYPE: "eth_type",
    OVS_KEY_ATTR_IPV4: "ipv4", OVS_KEY_ATTR_IPV6: "ipv6", OVS_KEY_ATTR_TCP: "tcp", OVS_KEY_ATTR_UDP: "udp",
    OVS_KEY_ATTR_ICMP: "icmp", OVS_KEY_ATTR_ARP: "arp", OVS_KEY_ATTR_SKB_MARK: "skb_mark",
    OVS_KEY_ATTR_TUNNEL: "tunnel", OVS_KEY_ATTR_TCP_FLAGS: "tcp_flags", OVS_KEY_ATTR_DP_HASH: "dp_hash",
    OVS_KEY_ATTR_RECIRC_ID: "recirc_id",
}


def describe_key(attrs):
    """Key attributes decoded back to fields, for messages."""
    parts = []
    for t, p in attrs:
        name = KEY_NAMES.get(t, f"key{t}")
        try:
            if t == OVS_KEY_ATTR_ETHERNET:
                s, d = struct.unpack(STRUCTS["ovs_key_ethernet"], p)
                v = f"src={s.hex(':')},dst={d.hex(':')}"
            elif t == OVS_KEY_ATTR_IPV4:
                s, d, proto, tos, ttl, frag = struct.unpack(STRUCTS["ovs_key_ipv4"], p)
                v = (f"src={socket.inet_ntoa(struct.pack('>I', s))},dst={socket.inet_ntoa(struct.pack('>I', d))},"
                     f"proto={proto},tos={tos},ttl={ttl},frag={frag}")
            elif t in (OVS_KEY_ATTR_TCP, OVS_KEY_ATTR_UDP):
                v = "src={},dst={}".format(*struct.unpack(">HH", p))
            elif t in (OVS_KEY_ATTR_ETHERTYPE, OVS_KEY_ATTR_TCP_FLAGS, OVS_KEY_ATTR_VLAN):
                v = f"{struct.unpack('>H', p)[0]:#06x}"
            elif len(p) == 4:
                v = str(struct.unpack("=I", p)[0])
            elif t in NESTED_KEY_ATTRS:
                v = describe_key(parse_attrs(p))
            else:
                v = p.hex()
        except struct.error:
            v = f"<{len(p)} bytes: {p.hex()}>"
        parts.append(f"{name}({v})")
    return ",".join(parts)


# --- flow messages ---------------------------------------------------------


@dataclass
class Flow:
    cmd: int
    dp_ifindex: int
    key: list = None  # [(type, payload)] or None when absent
    mask: list = None
    actions: list = None  # [(type, payload)] or None when absent
    actions_raw: bytes = None
    ufid: bytes = None
    packets: int = 0
    bytes: int = 0
    stats_present: bool = False
    used: int = None
    tcp_flags: int = None


def parse_flow(msg):
    cmd, ifindex, attrs = msg.ovs()
    a = attr_map([(t, p) for t, p in attrs if t != OVS_FLOW_ATTR_PAD], "flow")
    f = Flow(cmd=cmd, dp_ifindex=ifindex)
    if OVS_FLOW_ATTR_KEY in a:
        f.key = parse_attrs(a[OVS_FLOW_ATTR_KEY])
    if OVS_FLOW_ATTR_MASK in a:
        f.mask = parse_attrs(a[OVS_FLOW_ATTR_MASK])
    if OVS_FLOW_ATTR_ACTIONS in a:
        f.actions_raw = a[OVS_FLOW_ATTR_ACTIONS]
        f.actions = parse_attrs(f.actions_raw)
    if OVS_FLOW_ATTR_UFID in a:
        f.ufid = a[OVS_FLOW_ATTR_UFID]
    if OVS_FLOW_ATTR_STATS in a:
        s = a[OVS_FLOW_ATTR_STATS]
        if len(s) != struct.calcsize(STRUCTS["ovs_flow_stats"]):
            raise ParseError(f"OVS_FLOW_ATTR_STATS is {len(s)} bytes, struct ovs_flow_stats is 16")
        f.packets, f.bytes = struct.unpack(STRUCTS["ovs_flow_stats"], s)
        f.stats_present = True
    if OVS_FLOW_ATTR_USED in a:
        if len(a[OVS_FLOW_ATTR_USED]) != 8:
            raise ParseError("OVS_FLOW_ATTR_USED is not a u64")
        f.used = struct.unpack("=Q", a[OVS_FLOW_ATTR_USED])[0]
    if OVS_FLOW_ATTR_TCP_FLAGS in a:
        if len(a[OVS_FLOW_ATTR_TCP_FLAGS]) != 1:
            raise ParseError("OVS_FLOW_ATTR_TCP_FLAGS is not a u8")
        f.tcp_flags = a[OVS_FLOW_ATTR_TCP_FLAGS][0]
    for t in (OVS_FLOW_ATTR_CLEAR, OVS_FLOW_ATTR_PROBE, OVS_FLOW_ATTR_UFID_FLAGS):
        if t in a:
            raise ParseError(f"a flow reply carries request-only attribute {t}")
    return f


def flow_attrs(key=None, mask=None, actions=None, ufid=None, ufid_flags=None, clear=False, probe=False):
    attrs = []
    if ufid is not None:
        attrs.append(nla(OVS_FLOW_ATTR_UFID, ufid))
    if key is not None:
        attrs.append(nla(OVS_FLOW_ATTR_KEY, pack_key(key)))
    if mask is not None:
        attrs.append(nla(OVS_FLOW_ATTR_MASK, pack_key(mask)))
    if actions is not None:
        attrs.append(nla(OVS_FLOW_ATTR_ACTIONS, b"".join(actions)))
    if ufid_flags is not None:
        attrs.append(nla_u32(OVS_FLOW_ATTR_UFID_FLAGS, ufid_flags))
    if clear:
        attrs.append(nla(OVS_FLOW_ATTR_CLEAR))
    if probe:
        attrs.append(nla(OVS_FLOW_ATTR_PROBE))
    return attrs


class Ovs:
    """The four Open vSwitch families over one connection."""

    def __init__(self, conn):
        self.conn = conn
        self.dp = get_family(conn, OVS_DATAPATH_FAMILY)
        self.vport = get_family(conn, OVS_VPORT_FAMILY)
        self.flow = get_family(conn, OVS_FLOW_FAMILY)
        self.packet = get_family(conn, OVS_PACKET_FAMILY)

    # datapath
    def dp_get(self, name=None, ifindex=0):
        attrs = [nla_string(OVS_DP_ATTR_NAME, name)] if name is not None else []
        replies = self.conn.transact(self.dp.id, 0, ovs_payload(OVS_DP_CMD_GET, OVS_DATAPATH_VERSION, ifindex, attrs))
        if len(replies) != 1:
            raise ProtocolError(f"OVS_DP_CMD_GET answered with {len(replies)} messages")
        return replies[0]

    # ports
    def vport_dump(self, ifindex):
        return self.conn.dump(self.vport.id, ovs_payload(OVS_VPORT_CMD_GET, OVS_VPORT_VERSION, ifindex, []))

    def vport_get(self, ifindex, port_no=None, name=None):
        attrs = []
        if port_no is not None:
            attrs.append(nla_u32(OVS_VPORT_ATTR_PORT_NO, port_no))
        if name is not None:
            attrs.append(nla_string(OVS_VPORT_ATTR_NAME, name))
        replies = self.conn.transact(self.vport.id, 0,
                                     ovs_payload(OVS_VPORT_CMD_GET, OVS_VPORT_VERSION, ifindex, attrs))
        if len(replies) != 1:
            raise ProtocolError(f"OVS_VPORT_CMD_GET answered with {len(replies)} messages")
        return replies[0]

    # flows
    def flow_payload(self, cmd, ifindex, **kw):
        return ovs_payload(cmd, OVS_FLOW_VERSION, ifindex, flow_attrs(**kw))

    def flow_cmd(self, cmd, ifindex, flags=0, **kw):
        """A flow command with NLM_F_ACK; returns the parsed reply flows
        (present with NLM_F_ECHO, and for GET)."""
        replies = self.conn.transact(self.flow.id, flags, self.flow_payload(cmd, ifindex, **kw))
        return [parse_flow(m) for m in replies]

    def flow_new(self, ifindex, flags=NLM_F_CREATE, **kw):
        return self.flow_cmd(OVS_FLOW_CMD_NEW, ifindex, flags, **kw)

    def flow_set(self, ifindex, flags=0, **kw):
        return self.flow_cmd(OVS_FLOW_CMD_SET, ifindex, flags, **kw)

    def flow_del(self, ifindex, flags=0, **kw):
        return self.flow_cmd(OVS_FLOW_CMD_DEL, ifindex, flags, **kw)

    def flow_get(self, ifindex, **kw):
        flows = self.flow_cmd(OVS_FLOW_CMD_GET, ifindex, 0, **kw)
        if len(flows) != 1:
            raise ProtocolError(f"OVS_FLOW_CMD_GET answered with {len(flows)} flows")
        return flows[0]

    def flow_dump(self, ifindex, ufid_flags=None):
        attrs = flow_attrs(ufid_flags=ufid_flags)
        msgs, info = self.conn.dump(self.flow.id, ovs_payload(OVS_FLOW_CMD_GET, OVS_FLOW_VERSION, ifindex, attrs))
        return [parse_flow(m) for m in msgs], info


# --- the headers themselves --------------------------------------------------

UAPI_HEADERS = ["/usr/include/linux/netlink.h", "/usr/include/linux/genetlink.h",
                "/usr/include/linux/openvswitch.h"]
_C_TYPES = {"__u8": 1, "__s8": 1, "__u16": 2, "__be16": 2, "__s16": 2, "__u32": 4, "__be32": 4, "__s32": 4,
            "int": 4, "__u64": 8, "__be64": 8, "__s64": 8}


def _strip_comments(text):
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    return re.sub(r"//[^\n]*", " ", text)


def _c_eval(expr, names):
    expr = re.sub(r"\b(0x[0-9a-fA-F]+|\d+)[uUlL]+\b", r"\1", expr.strip())
    if not re.fullmatch(r"[\w\s()|<>+\-~&]+", expr):
        raise ValueError(expr)
    return eval(expr, {"__builtins__": {}}, names)  # trusted system headers


def header_constants(paths=UAPI_HEADERS):
    """{name: value} of every enum member and integer #define the headers
    give, evaluated as the C compiler would."""
    names = {}
    texts = []
    for path in paths:
        text = _strip_comments(open(path).read())
        texts.append(re.sub(r"^\s*#\s*(if|ifdef|ifndef|else|endif|include|error)\b[^\n]*$", "", text,
                            flags=re.M))
    # A #define may name an enum member declared further down (and the
    # reverse), so evaluate until nothing new resolves.
    while True:
        before = len(names)
        for text in texts:
            for m in re.finditer(r"^\s*#\s*define\s+(\w+)\s+([^\n]+)$", text, flags=re.M):
                try:
                    v = _c_eval(m.group(2), names)
                except Exception:
                    continue
                if isinstance(v, int):
                    names[m.group(1)] = v
            for m in re.finditer(r"\benum\b\s*\w*\s*\{(.*?)\}", text, flags=re.S):
                nxt = 0
                for item in m.group(1).split(","):
                    name, _, expr = item.strip().partition("=")
                    name = name.strip()
                    if not name:
                        continue
                    if expr:
                        try:
                            nxt = _c_eval(expr, names)
                        except Exception:
                            break  # later members depend on this one
                    names[name] = nxt
                    nxt += 1
        if len(names) == before:
            return names


def header_struct_sizes(paths=UAPI_HEADERS):
    """{struct name: sizeof} for the structs made only of fixed-size
    integer fields and arrays (natural alignment, as on x86-64)."""
    consts = {"ETH_ALEN": 6, "NSH_MD1_CONTEXT_SIZE": 4}
    sizes = {}
    for path in paths:
        text = _strip_comments(open(path).read())
        for m in re.finditer(r"\bstruct\s+(\w+)\s*\{([^{}]*)\}\s*;", text):
            off, top = 0, 1
            try:
                for decl in m.group(2).split(";"):
                    decl = decl.strip()
                    if not decl:
                        continue
                    f = re.fullmatch(r"(\w+)\s+(\w+)\s*(?:\[(\w+)\])?", decl)
                    if not f or f.group(1) not in _C_TYPES:
                        raise ValueError(decl)
                    size = _C_TYPES[f.group(1)]
                    n = f.group(3)
                    count = 1 if n is None else consts[n] if n in consts else int(n, 0)
                    off = (off + size - 1) // size * size + size * count
                    top = max(top, size)
            except ValueError:
                continue
            sizes[m.group(1)] = (off + top - 1) // top * top
    return sizes


def header_mismatches():
    """Every constant and struct layout above compared with the installed
    headers: [(name, ours, headers')], plus how many were compared."""
    consts = header_constants()
    ours = {k: v for k, v in globals().items() if k.isupper() and isinstance(v, int) and not isinstance(v, bool)}
    bad = [(k, v, consts[k]) for k, v in sorted(ours.items()) if k in consts and consts[k] != v]
    compared = sum(1 for k in ours if k in consts)
    sizes = header_struct_sizes()
    for name, fmt in STRUCTS.items():
        compared += 1
        if name not in sizes:
            bad.append((f"struct {name}", struct.calcsize(fmt), "not found"))
        elif sizes[name] != struct.calcsize(fmt):
            bad.append((f"struct {name}", struct.calcsize(fmt), sizes[name]))
    return bad, compared
