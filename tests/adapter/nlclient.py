"""Generic netlink and Open vSwitch messages for the adapter's checks,
built with the standard library alone from the uapi headers
(linux/netlink.h, linux/genetlink.h, linux/rtnetlink.h,
linux/openvswitch.h). The sockets are plain AF_NETLINK sockets: under
dpswitch-run the generic ones reach dpswitchd, the routing ones the
kernel."""

import socket
import struct

NETLINK_ROUTE = 0
NETLINK_GENERIC = 16
SOL_NETLINK = 270
NETLINK_ADD_MEMBERSHIP = 1
NETLINK_DROP_MEMBERSHIP = 2
NETLINK_NO_ENOBUFS = 5
NETLINK_LIST_MEMBERSHIPS = 9
NETLINK_CAP_ACK = 10
NETLINK_EXT_ACK = 11

NLMSG_ERROR = 2
NLMSG_DONE = 3
NLMSG_OVERRUN = 4
NLM_F_REQUEST = 0x01
NLM_F_MULTI = 0x02
NLM_F_ACK = 0x04
NLM_F_DUMP = 0x300
NLM_F_CREATE = 0x400

NLMSGHDR = struct.Struct("=IHHII")
NLATTR = struct.Struct("=HH")
NLA_F_NESTED = 1 << 15

GENL_ID_CTRL = 0x10
CTRL_CMD_NEWFAMILY = 1
CTRL_CMD_GETFAMILY = 3
CTRL_ATTR_FAMILY_ID = 1
CTRL_ATTR_FAMILY_NAME = 2
CTRL_ATTR_MCAST_GROUPS = 7
CTRL_ATTR_MCAST_GRP_NAME = 1
CTRL_ATTR_MCAST_GRP_ID = 2

OVS_DP_CMD_GET = 3
OVS_FLOW_CMD_NEW = 1
OVS_FLOW_CMD_DEL = 2
OVS_FLOW_CMD_GET = 3
OVS_FLOW_ATTR_KEY = 1
OVS_FLOW_ATTR_ACTIONS = 2
OVS_KEY_ATTR_IN_PORT = 3
OVS_KEY_ATTR_ETHERNET = 4
OVS_KEY_ATTR_ETHERTYPE = 6
OVS_KEY_ATTR_ARP = 13
OVS_ACTION_ATTR_OUTPUT = 1

RTM_GETLINK = 18
RTM_NEWLINK = 16
IFINFOMSG = struct.Struct("=BxHiII")
IFLA_IFNAME = 3


def align(n):
    return (n + 3) & ~3


def attr(kind, payload):
    data = NLATTR.pack(NLATTR.size + len(payload), kind) + payload
    return data + b"\0" * (align(len(data)) - len(data))


def nested(kind, *attrs):
    return attr(kind | NLA_F_NESTED, b"".join(attrs))


def message(kind, flags, seq, payload, pid=0):
    return NLMSGHDR.pack(NLMSGHDR.size + len(payload), kind, flags, seq, pid) + payload


def genl(family, cmd, version, flags, seq, body):
    return message(family, NLM_F_REQUEST | flags, seq, struct.pack("=BBH", cmd, version, 0) + body)


def messages(datagram):
    """(type, flags, seq, pid, payload) of each message of a datagram."""
    out, at = [], 0
    while at + NLMSGHDR.size <= len(datagram):
        length, kind, flags, seq, pid = NLMSGHDR.unpack_from(datagram, at)
        if length < NLMSGHDR.size or at + length > len(datagram):
            raise AssertionError("unframeable reply at %d: %r" % (at, datagram[at:at + 32]))
        out.append((kind, flags, seq, pid, datagram[at + NLMSGHDR.size:at + length]))
        at += align(length)
    return out


def attrs(payload):
    """{type: payload} of a run of attributes (flag bits masked off)."""
    out, at = {}, 0
    while at + NLATTR.size <= len(payload):
        length, kind = NLATTR.unpack_from(payload, at)
        if length < NLATTR.size:
            break
        out[kind & 0x3FFF] = payload[at + NLATTR.size:at + length]
        at += align(length)
    return out


def error_of(payload):
    return -struct.unpack_from("=i", payload)[0]


def getfamily(name, seq):
    return genl(GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 2, 0, seq,
                attr(CTRL_ATTR_FAMILY_NAME, name.encode() + b"\0"))


def parse_family(payload):
    """(family id, {group name: group id}) of a NEWFAMILY reply."""
    a = attrs(payload[4:])
    family = struct.unpack("=H", a[CTRL_ATTR_FAMILY_ID][:2])[0]
    groups = {}
    for grp in attrs(a.get(CTRL_ATTR_MCAST_GROUPS, b"")).values():
        g = attrs(grp)
        groups[g[CTRL_ATTR_MCAST_GRP_NAME].rstrip(b"\0").decode()] = struct.unpack("=I", g[CTRL_ATTR_MCAST_GRP_ID])[0]
    return family, groups


def generic_socket():
    return socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_GENERIC)


def transact(sock, request):
    """Sends one request and reads its replies until its ack, error or
    dump end; the replies before it. Raises OSError on an error reply."""
    seq = NLMSGHDR.unpack_from(request)[3]
    sock.send(request)
    replies = []
    while True:
        for kind, flags, rseq, pid, payload in messages(sock.recv(1 << 17)):
            if rseq != seq:
                continue
            if kind == NLMSG_ERROR:
                if error_of(payload):
                    raise OSError(error_of(payload), "request %d refused" % seq)
                return replies
            if kind == NLMSG_DONE:
                return replies
            replies.append((kind, flags, payload))
            if not flags & NLM_F_MULTI and not (NLMSGHDR.unpack_from(request)[2] & NLM_F_ACK):
                return replies


def resolve(sock, name, seq):
    [(kind, flags, payload)] = transact(sock, getfamily(name, seq))
    return parse_family(payload)


def arp_flow_key(n, in_port=0):
    """in_port, eth (MAC src 02:00:00:00:hi:lo), eth_type ARP, arp()."""
    src = bytes([2, 0, 0, 0, (n >> 8) & 0xFF, n & 0xFF])
    dst = bytes([2, 0, 0, 0, 0, 0xFE])
    return nested(OVS_FLOW_ATTR_KEY,
                  attr(OVS_KEY_ATTR_IN_PORT, struct.pack("=I", in_port)),
                  attr(OVS_KEY_ATTR_ETHERNET, src + dst),
                  attr(OVS_KEY_ATTR_ETHERTYPE, struct.pack(">H", 0x0806)),
                  attr(OVS_KEY_ATTR_ARP, struct.pack(">IIH6s6sxx", 0, 0, 0, b"\0" * 6, b"\0" * 6)))


def flow_new(family, dp_ifindex, n, seq, out_port=1, flags=NLM_F_ACK | NLM_F_CREATE):
    body = struct.pack("=i", dp_ifindex) + arp_flow_key(n) + nested(
        OVS_FLOW_ATTR_ACTIONS, attr(OVS_ACTION_ATTR_OUTPUT, struct.pack("=I", out_port)))
    return genl(family, OVS_FLOW_CMD_NEW, 1, flags, seq, body)


def flow_dump(family, dp_ifindex, seq):
    return genl(family, OVS_FLOW_CMD_GET, 1, NLM_F_DUMP | NLM_F_ACK, seq, struct.pack("=i", dp_ifindex))


def flow_flush(family, dp_ifindex, seq):
    return genl(family, OVS_FLOW_CMD_DEL, 1, NLM_F_ACK, seq, struct.pack("=i", dp_ifindex))


def datapath_ifindex(sock, family, seq):
    """dp_ifindex of the first datapath, from a datapath dump."""
    replies = transact(sock, genl(family, OVS_DP_CMD_GET, 2, NLM_F_DUMP, seq, struct.pack("=i", 0)))
    assert replies, "the datapath dump lists a datapath"
    return struct.unpack_from("=i", replies[0][2], 4)[0]


def getlink_dump(seq):
    return message(RTM_GETLINK, NLM_F_REQUEST | NLM_F_DUMP, seq, IFINFOMSG.pack(socket.AF_UNSPEC, 0, 0, 0, 0))
