#!/usr/bin/env python3
"""Checks dpswitchd's control socket against docs/control-socket.md and the
flow-command rules (N1..N16, S1, D1, D2, G1, G2, P1, P2), with a client
(ovsnl.py) that builds every message from the uapi headers.

    check_flow_commands.py SOCKET [--datapath NAME] [--port NUMBER=NAME ...]

Prints one line per check, named by its rule id; stops at the first failure
with the reason and exits 1. Exit 0: every check passed.

Expects a daemon with no traffic (rx disabled), so flow stats stay at zero;
it changes the flow table, and flushes it at the end (D1).
"""

import argparse
import errno
import os
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ovsnl as nl  # noqa: E402

DOC_FAMILIES = {  # docs/control-socket.md: family -> (id, version, groups)
    nl.OVS_DATAPATH_FAMILY: (0x20, nl.OVS_DATAPATH_VERSION, {nl.OVS_DATAPATH_MCGROUP: 2}),
    nl.OVS_VPORT_FAMILY: (0x21, nl.OVS_VPORT_VERSION, {nl.OVS_VPORT_MCGROUP: 3}),
    nl.OVS_FLOW_FAMILY: (0x22, nl.OVS_FLOW_VERSION, {nl.OVS_FLOW_MCGROUP: 4}),
    nl.OVS_PACKET_FAMILY: (0x23, nl.OVS_PACKET_VERSION, {}),
}
MSG_NO_KEY = "Flow key attr not present in new flow."
MSG_NO_ACTIONS = "Flow actions attr not present in new flow."
BULK_FLOWS = 3000


class Fail(Exception):
    pass


def expect(cond, why):
    if not cond:
        raise Fail(why)


def fails_with(err, fn, *args, **kw):
    """Runs fn, which must fail with errno `err`; returns the NlError."""
    try:
        fn(*args, **kw)
    except nl.NlError as e:
        expect(e.errno == err, f"expected {errno.errorcode[err]}, got {e}")
        return e
    raise Fail(f"expected {errno.errorcode[err]}, the request succeeded")


def said(e):
    return f' ("{e.text}")' if e.text else " (no message)"


class Ctx:
    def __init__(self, args):
        self.path = args.socket
        self.dp_name = args.datapath
        self.ports = dict(args.port)
        self.conn = nl.Connection(self.path)
        self.ovs = None
        self.dp = None  # dp_ifindex
        self.serial = 0
        self.failures_checked = 0

    def fresh(self):
        """A number no other flow of this run uses: it picks the eth dst and
        ipv4 dst, which every mask here matches exactly, so two flows never
        overlap by accident."""
        self.serial += 1
        return self.serial

    def missing_port(self):
        return max(self.ports) + 5

    def out_port(self):
        return max(self.ports)

    # table snapshots (N16)
    def table(self):
        flows, _ = self.ovs.flow_dump(self.dp)
        return sorted((f.ufid or b"", nl.pack_key(f.key or []), nl.pack_key(f.mask or []), f.actions_raw or b"")
                      for f in flows)

    def refused(self, err, fn, *args, **kw):
        """fn must fail with errno `err` and leave the table as it was (N16)."""
        before = self.table()
        e = fails_with(err, fn, *args, **kw)
        after = self.table()
        expect(after == before, f"the failed request changed the table: {len(before)} flows before, {len(after)} after"
               + ("" if len(before) != len(after) else ", contents differ"))
        self.failures_checked += 1
        return e

    def dp_stats(self):
        _, ifindex, attrs = self.ovs.dp_get(name=self.dp_name).ovs()
        a = nl.attr_map(attrs, "datapath")
        hit, missed, lost, flows = struct.unpack(nl.STRUCTS["ovs_dp_stats"], a[nl.OVS_DP_ATTR_STATS])
        mask_hit, masks, _, cache_hit, _ = struct.unpack(nl.STRUCTS["ovs_dp_megaflow_stats"],
                                                         a[nl.OVS_DP_ATTR_MEGAFLOW_STATS])
        return {"flows": flows, "masks": masks, "hit": hit, "missed": missed, "lost": lost}


# --- flows used by the checks ----------------------------------------------

MAC_SRC = "02:00:00:00:00:01"


def dst_mac(n):
    return f"02:00:00:{n >> 16 & 255:02x}:{n >> 8 & 255:02x}:{n & 255:02x}"


def dst_ip(n):
    return f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}"


def udp_key(n, in_port=0, src_ip="192.168.1.10"):
    return [nl.k_in_port(in_port), nl.k_eth(MAC_SRC, dst_mac(n)), nl.k_ethertype(0x0800),
            nl.k_ipv4(src_ip, dst_ip(n), 17, tos=0, ttl=64), nl.k_udp(1000 + n % 50000, 53)]


def tcp_key(n, in_port=0):
    return [nl.k_in_port(in_port), nl.k_eth(MAC_SRC, dst_mac(n)), nl.k_ethertype(0x0800),
            nl.k_ipv4("192.168.1.10", dst_ip(n), 6), nl.k_tcp(40000, 80), nl.k_tcp_flags(0)]


def partial_mask():
    """in_port, eth dst, eth_type, ipv4 src /24 and dst /32, udp dst:
    ipv4 tos/ttl, eth src and udp src are wildcarded."""
    return [nl.k_in_port(0xFFFFFFFF), nl.k_raw(nl.OVS_KEY_ATTR_ETHERNET, bytes(6) + b"\xff" * 6),
            nl.k_ethertype(0xFFFF), nl.k_raw(nl.OVS_KEY_ATTR_IPV4, b"\xff\xff\xff\x00" + b"\xff" * 4 + b"\xff\0\0\xff"),
            nl.k_raw(nl.OVS_KEY_ATTR_UDP, b"\0\0\xff\xff")]


def ufid_of(n):
    return struct.pack(">QQ", 0x5546_4944_0000_0000 | n, n * 0x9E37_79B9)


def same_key(got, want, what):
    expect(got is not None, f"{what}: no key")
    expect(nl.canonical(got) == nl.canonical(want),
           f"{what}: got {nl.describe_key(got)}, expected {nl.describe_key(want)}")


def exact_on(mask, key, what):
    """Every field the key gave is exact in the mask. (Without MASK the
    kernel sets every byte of the key's range, so a mask may pin more, such
    as skb_mark; that is not checked.)"""
    expect(mask is not None, f"{what}: no mask")
    got = nl.canonical(mask)
    for t, p in key:
        expect(got.get(t) == b"\xff" * len(p),
               f"{what}: {nl.KEY_NAMES.get(t, t)} mask is {got.get(t, b'').hex() or 'absent'}, expected exact")


def actions_are(flow, want, what):
    expect(flow.actions_raw is not None, f"{what}: no OVS_FLOW_ATTR_ACTIONS")
    expect(flow.actions_raw == b"".join(want),
           f"{what}: actions {flow.actions_raw.hex()} expected {b''.join(want).hex()}")


def stats_of(flow):
    return (flow.packets, flow.bytes, flow.used, flow.tcp_flags or 0)


# --- checks ----------------------------------------------------------------

CHECKS = []


def check(rule, what):
    def register(fn):
        CHECKS.append((rule, what, fn))
        return fn
    return register


@check("uapi", "constants and struct sizes in ovsnl.py agree with /usr/include/linux/*.h")
def _(ctx):
    missing = [p for p in nl.UAPI_HEADERS if not os.path.exists(p)]
    expect(not missing, f"{missing} not installed: scripts/setup.sh installs them (linux-libc-dev)")
    bad, compared = nl.header_mismatches()
    expect(not bad, f"differ from the headers: {bad}")
    expect(compared >= 100, f"only {compared} names compared")
    return f"{compared} compared"


@check("ctrl", "nlctrl GETFAMILY resolves the four families to the documented ids, versions and groups")
def _(ctx):
    for name, (fid, version, groups) in DOC_FAMILIES.items():
        f = nl.get_family(ctx.conn, name)
        expect(f.name == name, f"{name}: reply names {f.name!r}")
        expect(f.id == fid, f"{name}: id {f.id:#x}, documented {fid:#x}")
        expect(f.version == version, f"{name}: version {f.version}, openvswitch.h says {version}")
        expect(f.hdrsize == struct.calcsize(nl.STRUCTS["ovs_header"]), f"{name}: hdrsize {f.hdrsize}")
        expect(f.groups == groups, f"{name}: groups {f.groups}, documented {groups}")
        by_id = nl.get_family(ctx.conn, family_id=fid)
        expect(by_id == f, f"{name}: by id {by_id} differs from by name {f}")
    e = fails_with(errno.ENOENT, nl.get_family, ctx.conn, "no_such_family")
    msgs, info = ctx.conn.dump(nl.GENL_ID_CTRL, nl.genl_payload(nl.CTRL_CMD_GETFAMILY, 1, b""))
    listed = {nl.parse_family(m).name for m in msgs}
    expect(set(DOC_FAMILIES) <= listed, f"the family dump lists {sorted(listed)}")
    ctx.ovs = nl.Ovs(ctx.conn)
    return f"unknown family: ENOENT{said(e)}; dump lists {len(listed)} families"


@check("socket", "each connection has its own port id in every reply; pipelined requests answered in order")
def _(ctx):
    other = nl.Connection(ctx.path)
    try:
        nl.get_family(other, nl.OVS_FLOW_FAMILY)
        expect(other.port_id != ctx.conn.port_id,
               f"two connections share port id {other.port_id}")
        reqs = [(nl.GENL_ID_CTRL, 0, nl.genl_payload(nl.CTRL_CMD_GETFAMILY, 1,
                                                      nl.nla_string(nl.CTRL_ATTR_FAMILY_NAME, n)))
                for n in (nl.OVS_FLOW_FAMILY, "no_such_family", nl.OVS_VPORT_FAMILY)]
        answers = other.pipeline(reqs)
        expect(other.answer_order == sorted(other.answer_order), f"answers arrived as seqs {other.answer_order}")
        expect([e.error for _, e in answers] == [0, errno.ENOENT, 0],
               f"pipelined answers {[e.error for _, e in answers]}")
        names = [nl.parse_family(r[0]).name for r, e in answers if not e.error]
        expect(names == [nl.OVS_FLOW_FAMILY, nl.OVS_VPORT_FAMILY], f"pipelined replies {names}")
    finally:
        other.close()
    return f"port ids {ctx.conn.port_id} and {other.port_id}"


@check("P1", "OVS_DP_CMD_GET by name and by dp_ifindex: name, ovs_dp_stats and ovs_dp_megaflow_stats")
def _(ctx):
    m = ctx.ovs.dp_get(name=ctx.dp_name)
    _, ifindex, attrs = m.ovs()
    expect(ifindex > 0, f"reply dp_ifindex {ifindex}")
    a = nl.attr_map(attrs, "datapath")
    expect(nl.OVS_DP_ATTR_NAME in a, "no OVS_DP_ATTR_NAME")
    expect(nl.c_string(a[nl.OVS_DP_ATTR_NAME], "name") == ctx.dp_name, f"name {a[nl.OVS_DP_ATTR_NAME]!r}")
    for t, s, what in ((nl.OVS_DP_ATTR_STATS, "ovs_dp_stats", "OVS_DP_ATTR_STATS"),
                       (nl.OVS_DP_ATTR_MEGAFLOW_STATS, "ovs_dp_megaflow_stats", "OVS_DP_ATTR_MEGAFLOW_STATS")):
        expect(t in a, f"no {what}")
        size = struct.calcsize(nl.STRUCTS[s])
        expect(len(a[t]) == size == 32, f"{what} is {len(a[t])} bytes, struct {s} is {size}")
    ctx.dp = ifindex
    by_index = ctx.ovs.dp_get(ifindex=ifindex)
    _, ifindex2, attrs2 = by_index.ovs()
    b = nl.attr_map(attrs2, "datapath")
    expect(ifindex2 == ifindex, f"by dp_ifindex: reply dp_ifindex {ifindex2}")
    expect(b.get(nl.OVS_DP_ATTR_NAME) == a[nl.OVS_DP_ATTR_NAME], "by dp_ifindex: another name")
    expect(len(b.get(nl.OVS_DP_ATTR_STATS, b"")) == 32, "by dp_ifindex: stats")
    flows, _ = ctx.ovs.flow_dump(ctx.dp)
    st = ctx.dp_stats()
    expect(st["flows"] == len(flows), f"n_flows {st['flows']}, the dump has {len(flows)}")
    fails_with(errno.ENODEV, ctx.ovs.dp_get, name="no_such_dp")
    fails_with(errno.ENODEV, ctx.ovs.dp_get, ifindex=ifindex + 1000)
    return f"dp_ifindex {ifindex}, {st}; unknown name / ifindex: ENODEV"


@check("P2", "vport dump and get: port numbers, names, type, 64-byte ovs_vport_stats")
def _(ctx):
    msgs, info = ctx.ovs.vport_dump(ctx.dp)
    seen = {}
    stats_size = struct.calcsize(nl.STRUCTS["ovs_vport_stats"])
    for m in msgs:
        cmd, ifindex, attrs = m.ovs()
        a = nl.attr_map([(t, p) for t, p in attrs if t != nl.OVS_VPORT_ATTR_PAD], "vport")
        expect(ifindex == ctx.dp, f"vport dp_ifindex {ifindex}")
        for t in (nl.OVS_VPORT_ATTR_PORT_NO, nl.OVS_VPORT_ATTR_TYPE, nl.OVS_VPORT_ATTR_NAME, nl.OVS_VPORT_ATTR_STATS):
            expect(t in a, f"vport lacks attribute {t}: {sorted(a)}")
        no = nl.u32(a[nl.OVS_VPORT_ATTR_PORT_NO], "port_no")
        expect(no not in seen, f"port {no} listed twice")
        seen[no] = nl.c_string(a[nl.OVS_VPORT_ATTR_NAME], "vport name")
        vtype = nl.u32(a[nl.OVS_VPORT_ATTR_TYPE], "type")
        expect(vtype == nl.OVS_VPORT_TYPE_NETDEV, f"port {no} type {vtype}, expected OVS_VPORT_TYPE_NETDEV")
        expect(len(a[nl.OVS_VPORT_ATTR_STATS]) == stats_size == 64,
               f"port {no} stats {len(a[nl.OVS_VPORT_ATTR_STATS])} bytes, struct ovs_vport_stats is {stats_size}")
    expect(seen == ctx.ports, f"ports {seen}, expected {ctx.ports}")
    for no, name in ctx.ports.items():
        for kw in ({"port_no": no}, {"name": name}):
            _, _, attrs = ctx.ovs.vport_get(ctx.dp, **kw).ovs()
            a = nl.attr_map([(t, p) for t, p in attrs if t != nl.OVS_VPORT_ATTR_PAD], "vport")
            expect(nl.u32(a[nl.OVS_VPORT_ATTR_PORT_NO]) == no and
                   nl.c_string(a[nl.OVS_VPORT_ATTR_NAME], "name") == name, f"get {kw}: another port")
    fails_with(errno.ENODEV, ctx.ovs.vport_get, ctx.dp, port_no=ctx.missing_port())
    fails_with(errno.ENODEV, ctx.ovs.vport_get, ctx.dp, name="no_such_port")
    return f"{seen}; unknown number / name: ENODEV"


@check("N1", "NEW without KEY: EINVAL with the kernel's message")
def _(ctx):
    e = ctx.refused(errno.EINVAL, ctx.ovs.flow_new, ctx.dp, actions=[nl.a_output(ctx.out_port())])
    expect(e.text == MSG_NO_KEY, f"message {e.text!r}, expected {MSG_NO_KEY!r}")
    return said(e).strip()


@check("N2", "NEW without ACTIONS: EINVAL with the kernel's message")
def _(ctx):
    e = ctx.refused(errno.EINVAL, ctx.ovs.flow_new, ctx.dp, key=udp_key(ctx.fresh()))
    expect(e.text == MSG_NO_ACTIONS, f"message {e.text!r}, expected {MSG_NO_ACTIONS!r}")
    return said(e).strip()


@check("N15", "OVS_FLOW_ATTR_PROBE: the same errno")
def _(ctx):
    ctx.refused(errno.EINVAL, ctx.ovs.flow_new, ctx.dp, actions=[nl.a_output(ctx.out_port())], probe=True)
    return "probe without KEY: EINVAL"


def n4_cases(ctx):
    n = ctx.fresh()
    key = udp_key(n)
    mask_no_ethtype = [m for m in partial_mask() if m[0] != nl.OVS_KEY_ATTR_ETHERTYPE]
    zero_ethtype = [m if m[0] != nl.OVS_KEY_ATTR_ETHERTYPE else nl.k_ethertype(0) for m in partial_mask()]
    ipv6_key = [nl.k_in_port(0), nl.k_eth(MAC_SRC, dst_mac(n)), nl.k_ethertype(0x86DD),
                nl.k_ipv6("fd00::1", "fd00::2", 0x12345, 17), nl.k_udp(1, 2)]
    ipv6_mask = [nl.k_in_port(0xFFFFFFFF), nl.k_eth("00:00:00:00:00:00", "ff:ff:ff:ff:ff:ff"),
                 nl.k_ethertype(0xFFFF), nl.k_raw(nl.OVS_KEY_ATTR_IPV6, b"\xff" * 32 + b"\xff\xff\xff\xff" + b"\xff\0\0\xff")]
    return [
        ("ipv4 attr while the mask leaves eth_type out", dict(key=key, mask=mask_no_ethtype)),
        ("ipv4 attr with an all-zero eth_type mask", dict(key=key, mask=zero_ethtype)),
        ("unknown key attribute type", dict(key=key + [nl.k_raw(nl.OVS_KEY_ATTR_MAX + 7, b"\0\0\0\0")])),
        ("duplicated in_port", dict(key=key + [nl.k_in_port(1)])),
        ("ipv4 payload of 11 bytes", dict(key=[a if a[0] != nl.OVS_KEY_ATTR_IPV4 else (a[0], a[1][:11]) for a in key])),
        ("in_port >= DP_MAX_PORTS", dict(key=[nl.k_in_port(65536)] + key[1:])),
        ("tcp without tcp_flags", dict(key=tcp_key(n)[:-1])),
        ("eth_type 0x0800 without an ipv4 attr", dict(key=key[:3])),
        ("udp mask bits on a tcp key", dict(key=tcp_key(n), mask=nl.exact_mask(tcp_key(n)) + [nl.k_udp(0xFFFF, 0xFFFF)])),
        ("ipv6 label mask beyond 20 bits", dict(key=ipv6_key, mask=ipv6_mask)),
    ]


@check("N4", "malformed or inconsistent matches: EINVAL, table unchanged")
def _(ctx):
    out = []
    for what, kw in n4_cases(ctx):
        try:
            e = ctx.refused(errno.EINVAL, ctx.ovs.flow_new, ctx.dp, actions=[nl.a_output(ctx.out_port())], **kw)
        except Fail as f:
            raise Fail(f"{what}: {f}")
        out.append(what)
    # Truncated nesting: the KEY nest holds an attribute whose length runs
    # past the nest's end.
    n = ctx.fresh()
    good = nl.pack_key(udp_key(n))
    bad_nest = good + nl.NLATTR.pack(12, nl.OVS_KEY_ATTR_SKB_MARK)  # claims 8 payload bytes, has none
    payload = nl.ovs_payload(nl.OVS_FLOW_CMD_NEW, nl.OVS_FLOW_VERSION, ctx.dp,
                             [nl.nla(nl.OVS_FLOW_ATTR_KEY, bad_nest), nl.nla(nl.OVS_FLOW_ATTR_ACTIONS, nl.a_output(1))])
    try:
        ctx.refused(errno.EINVAL, ctx.conn.transact, ctx.ovs.flow.id, nl.NLM_F_CREATE, payload)
    except Fail as f:
        raise Fail(f"truncated nesting: {f}")
    out.append("truncated nesting")
    return f"{len(out)} cases"


@check("N5", "UFID: empty -> ERANGE; 1 byte identifies; over 16 bytes ignored (flow key-identified)")
def _(ctx):
    e = ctx.refused(errno.ERANGE, ctx.ovs.flow_new, ctx.dp, key=udp_key(ctx.fresh()), ufid=b"",
                    actions=[nl.a_output(ctx.out_port())])
    n = ctx.fresh()
    short = bytes([0xA5])
    ctx.ovs.flow_new(ctx.dp, key=udp_key(n), ufid=short, actions=[nl.a_output(ctx.out_port())])
    got = ctx.ovs.flow_get(ctx.dp, ufid=short)
    expect(got.ufid == short, f"GET by 1-byte UFID returned ufid {got.ufid!r}")
    same_key(got.key, udp_key(n), "1-byte UFID flow")
    ctx.ovs.flow_del(ctx.dp, ufid=short)

    n = ctx.fresh()
    long_ufid = bytes(range(1, 18))
    (echo,) = ctx.ovs.flow_new(ctx.dp, nl.NLM_F_CREATE | nl.NLM_F_ECHO, key=udp_key(n), ufid=long_ufid,
                               actions=[nl.a_output(ctx.out_port())])
    expect(echo.ufid is None, f"a 17-byte UFID came back as {echo.ufid!r}; it must be ignored")
    same_key(echo.key, udp_key(n), "17-byte UFID flow echo")
    got = ctx.ovs.flow_get(ctx.dp, key=udp_key(n))
    expect(got.ufid is None, "the flow with an ignored UFID reports one")
    ctx.ovs.flow_del(ctx.dp, key=udp_key(n))
    fails_with(errno.ENOENT, ctx.ovs.flow_get, ctx.dp, key=udp_key(n))
    return f"empty: ERANGE{said(e)}"


@check("N6", "the stored key is the key with the mask applied (UFID flow: echo, GET, dump; key-identified: as given)")
def _(ctx):
    n = ctx.fresh()
    key = udp_key(n, src_ip="192.168.7.77")
    key[4] = nl.k_udp(4321, 53)
    mask = partial_mask()
    want_mask = nl.stored_mask(mask)
    want_key = nl.apply_mask(key, want_mask)
    expect(nl.canonical(want_key) != nl.canonical(key), "test flow: the mask must clear some key bits")
    ufid = ufid_of(n)
    (echo,) = ctx.ovs.flow_new(ctx.dp, nl.NLM_F_CREATE | nl.NLM_F_ECHO, key=key, mask=mask, ufid=ufid,
                               actions=[nl.a_output(ctx.out_port())])
    got = ctx.ovs.flow_get(ctx.dp, ufid=ufid)
    dumped = [f for f in ctx.ovs.flow_dump(ctx.dp)[0] if f.ufid == ufid]
    expect(len(dumped) == 1, f"the dump shows the flow {len(dumped)} times")
    for what, f in (("echo", echo), ("GET", got), ("dump", dumped[0])):
        expect(f.ufid == ufid, f"{what}: ufid {f.ufid!r}")
        same_key(f.key, want_key, f"{what} key")
        same_key(f.mask, want_mask, f"{what} mask")
        actions_are(f, [nl.a_output(ctx.out_port())], what)
    ctx.ovs.flow_del(ctx.dp, ufid=ufid)
    # A key-identified flow reports its identifier, the key as given (the
    # kernel's ovs_nla_put_identifier), with the same stored mask.
    m = ctx.fresh()
    key = udp_key(m, src_ip="192.168.7.77")
    ctx.ovs.flow_new(ctx.dp, key=key, mask=mask, actions=[nl.a_output(ctx.out_port())])
    got = ctx.ovs.flow_get(ctx.dp, key=key)
    same_key(got.key, key, "key-identified flow: key")
    same_key(got.mask, want_mask, "key-identified flow: mask")
    ctx.ovs.flow_del(ctx.dp, key=key)
    return f"stored {nl.describe_key(echo.key)}"


@check("N7", "unsafe actions: EINVAL (EMSGSIZE for size), table unchanged")
def _(ctx):
    out = []
    n = ctx.fresh()
    key = udp_key(n)
    arp_key = [nl.k_in_port(0), nl.k_eth(MAC_SRC, dst_mac(n)), nl.k_ethertype(0x0806),
               nl.k_arp("10.0.0.1", "10.0.0.2", 1, MAC_SRC, "00:00:00:00:00:00")]
    no_ethtype_mask = [nl.k_in_port(0xFFFFFFFF), nl.k_eth("00:00:00:00:00:00", "ff:ff:ff:ff:ff:ff")]
    set_ip = nl.k_ipv4("1.2.3.4", dst_ip(n), 17, ttl=64)
    cases = [
        ("output to a port that does not exist", errno.EINVAL, dict(key=key), [nl.a_output(ctx.missing_port())]),
        ("set(ipv4) on an ARP match", errno.EINVAL, dict(key=arp_key), [nl.a_set(set_ip), nl.a_output(1)]),
        ("set(ipv4) with eth_type wildcarded", errno.EINVAL, dict(key=key, mask=no_ethtype_mask),
         [nl.a_set(set_ip), nl.a_output(1)]),
        ("set(udp) on a tcp match", errno.EINVAL, dict(key=tcp_key(n)), [nl.a_set(nl.k_udp(1, 2)), nl.a_output(1)]),
        ("push_vlan with TPID 0x9100", errno.EINVAL, dict(key=key), [nl.a_push_vlan(0x9100, 0x1000 | 10), nl.a_output(1)]),
        ("push_vlan without the CFI bit", errno.EINVAL, dict(key=key), [nl.a_push_vlan(0x8100, 10), nl.a_output(1)]),
        ("unknown action type", errno.EINVAL, dict(key=key), [nl.nla_u32(60, 1)]),
        ("action list over 32 KiB", errno.EMSGSIZE, dict(key=key), [nl.a_output(1)] * 4200),
    ]
    for what, err, kw, actions in cases:
        try:
            e = ctx.refused(err, ctx.ovs.flow_new, ctx.dp, actions=actions, **kw)
        except Fail as f:
            raise Fail(f"{what}: {f}")
        out.append(f"{what}: {errno.errorcode[err]}")
    # The same actions are fine against a match that allows them.
    ctx.ovs.flow_new(ctx.dp, key=key, actions=[nl.a_set(set_ip), nl.a_push_vlan(0x8100, 0x1000 | 10),
                                               nl.a_output(1)])
    ctx.ovs.flow_del(ctx.dp, key=key)
    return f"{len(cases)} cases refused; the allowed variant installs"


@check("N8", "a dp_ifindex that names no datapath: ENODEV for NEW, SET, GET, DEL and dumps")
def _(ctx):
    bad = ctx.dp + 1000
    n = ctx.fresh()
    kw = dict(key=udp_key(n), actions=[nl.a_output(ctx.out_port())])
    ctx.refused(errno.ENODEV, ctx.ovs.flow_new, bad, **kw)
    ctx.refused(errno.ENODEV, ctx.ovs.flow_set, bad, **kw)
    ctx.refused(errno.ENODEV, ctx.ovs.flow_get, bad, key=udp_key(n))
    ctx.refused(errno.ENODEV, ctx.ovs.flow_del, bad, key=udp_key(n))
    ctx.refused(errno.ENODEV, ctx.ovs.flow_del, bad)  # a flush elsewhere must not touch this table
    ctx.refused(errno.ENODEV, ctx.ovs.flow_dump, bad)
    return f"dp_ifindex {bad}"


@check("N10", "NEW with NLM_F_CREATE inserts: ack only, GET and dump show it, n_flows + 1")
def _(ctx):
    n = ctx.fresh()
    ctx.n10 = n
    before = ctx.dp_stats()
    count = len(ctx.table())
    replies = ctx.ovs.flow_new(ctx.dp, nl.NLM_F_CREATE, key=udp_key(n), actions=[nl.a_output(ctx.out_port())])
    expect(replies == [], f"without NLM_F_ECHO the NEW answered {len(replies)} flow messages before the ack")
    got = ctx.ovs.flow_get(ctx.dp, key=udp_key(n))
    expect(got.dp_ifindex == ctx.dp, f"GET reply dp_ifindex {got.dp_ifindex}")
    exact_on(got.mask, udp_key(n), "mask of a flow sent without MASK")
    actions_are(got, [nl.a_output(ctx.out_port())], "GET")
    expect(got.ufid is None, "a key-identified flow reports a UFID")
    expect(len(ctx.table()) == count + 1, "the dump did not grow by one")
    after = ctx.dp_stats()
    expect(after["flows"] == before["flows"] + 1, f"n_flows {before['flows']} -> {after['flows']}")
    return f"n_flows {before['flows']} -> {after['flows']}, masks {after['masks']}"


@check("N11", "the same flow again with NLM_F_CREATE or NLM_F_EXCL: EEXIST (by key and by UFID)")
def _(ctx):
    kw = dict(key=udp_key(ctx.n10), actions=[nl.a_output(0)])
    ctx.refused(errno.EEXIST, ctx.ovs.flow_new, ctx.dp, nl.NLM_F_CREATE, **kw)
    ctx.refused(errno.EEXIST, ctx.ovs.flow_new, ctx.dp, nl.NLM_F_EXCL, **kw)
    n = ctx.fresh()
    ctx.n11_ufid = n
    ctx.ovs.flow_new(ctx.dp, nl.NLM_F_CREATE, key=udp_key(n), mask=partial_mask(), ufid=ufid_of(n),
                     actions=[nl.a_output(ctx.out_port())])
    ctx.refused(errno.EEXIST, ctx.ovs.flow_new, ctx.dp, nl.NLM_F_CREATE, key=udp_key(n), mask=partial_mask(),
                ufid=ufid_of(n), actions=[nl.a_output(0)])
    actions_are(ctx.ovs.flow_get(ctx.dp, key=udp_key(ctx.n10)), [nl.a_output(ctx.out_port())], "after EEXIST")
    return "3 refusals"


@check("N12", "a duplicate whose identity differs: ENOENT")
def _(ctx):
    # A key-identified flow with the last octet of the ipv4 src wildcarded;
    # a NEW whose key differs only in that octet finds it as a duplicate
    # (same masked key), but not exactly (another key).
    n = ctx.fresh()
    mask = partial_mask()
    ctx.ovs.flow_new(ctx.dp, key=udp_key(n, src_ip="192.168.1.10"), mask=mask, actions=[nl.a_output(1)])
    ctx.refused(errno.ENOENT, ctx.ovs.flow_new, ctx.dp, 0, key=udp_key(n, src_ip="192.168.1.99"), mask=mask,
                actions=[nl.a_output(0)])
    ctx.ovs.flow_del(ctx.dp, key=udp_key(n, src_ip="192.168.1.10"))
    # A UFID known to the table, with another key.
    m = ctx.n11_ufid
    ctx.refused(errno.ENOENT, ctx.ovs.flow_new, ctx.dp, 0, key=udp_key(ctx.fresh()), mask=partial_mask(),
                     ufid=ufid_of(m), actions=[nl.a_output(0)])
    return "key-identified overlap and UFID with another key"


@check("N13", "NEW without NLM_F_CREATE on an existing flow replaces its actions; stats kept")
def _(ctx):
    out = []
    for what, ident, new_kw in (
        ("by key", dict(key=udp_key(ctx.n10)), dict(key=udp_key(ctx.n10))),
        # The key as a dump shows it (masked), as a client that read the
        # flow back sends it.
        ("by UFID", dict(ufid=ufid_of(ctx.n11_ufid)),
         dict(key=nl.apply_mask(udp_key(ctx.n11_ufid), nl.stored_mask(partial_mask())), mask=partial_mask(),
              ufid=ufid_of(ctx.n11_ufid))),
    ):
        before = ctx.ovs.flow_get(ctx.dp, **ident)
        count = ctx.dp_stats()["flows"]
        actions = [nl.a_output(0), nl.a_output(1)]
        replies = ctx.ovs.flow_new(ctx.dp, 0, actions=actions, **new_kw)
        expect(replies == [], f"{what}: replace without ECHO answered {len(replies)} messages")
        after = ctx.ovs.flow_get(ctx.dp, **ident)
        actions_are(after, actions, f"{what}: GET after replace")
        expect(stats_of(after) == stats_of(before), f"{what}: stats {stats_of(before)} -> {stats_of(after)}")
        same_key(after.mask, before.mask, f"{what}: mask after replace")
        expect(ctx.dp_stats()["flows"] == count, f"{what}: n_flows changed on replace")
        out.append(what)
    return ", ".join(out)


def next_notification(conn, timeout=5.0):
    if conn.unsolicited:
        return conn.unsolicited.pop(0)
    msgs = conn.recv(timeout=timeout)
    conn.unsolicited.extend(msgs[1:])
    return msgs[0]


@check("N14", "NLM_F_ECHO returns the flow before the ack; OVS_UFID_F_OMIT_* leave attributes out")
def _(ctx):
    n = ctx.fresh()
    ufid = ufid_of(n)
    acts = [nl.a_output(ctx.out_port())]
    (echo,) = ctx.ovs.flow_new(ctx.dp, nl.NLM_F_CREATE | nl.NLM_F_ECHO, key=udp_key(n), mask=partial_mask(),
                               ufid=ufid, actions=acts, ufid_flags=nl.OVS_UFID_F_OMIT_KEY)
    expect(echo.cmd == nl.OVS_FLOW_CMD_NEW, f"echo cmd {echo.cmd}, expected OVS_FLOW_CMD_NEW")
    expect(echo.ufid == ufid and echo.key is None and echo.mask is not None and echo.actions is not None,
           f"OMIT_KEY echo: ufid={echo.ufid!r} key={echo.key} mask={echo.mask} actions={echo.actions}")
    g = ctx.ovs.flow_get(ctx.dp, ufid=ufid, ufid_flags=nl.OVS_UFID_F_OMIT_MASK)
    expect(g.key is not None and g.mask is None and g.actions is not None, "OMIT_MASK: wrong attributes")
    g = ctx.ovs.flow_get(ctx.dp, ufid=ufid, ufid_flags=nl.OVS_UFID_F_OMIT_ACTIONS)
    expect(g.key is not None and g.mask is not None and g.actions is None, "OMIT_ACTIONS: wrong attributes")
    g = ctx.ovs.flow_get(ctx.dp, ufid=ufid)
    expect(g.key is not None and g.mask is not None and g.actions is not None, "no OMIT flag: attributes missing")
    (d,) = ctx.ovs.flow_del(ctx.dp, nl.NLM_F_ECHO, ufid=ufid, ufid_flags=nl.OVS_UFID_F_OMIT_KEY |
                            nl.OVS_UFID_F_OMIT_MASK | nl.OVS_UFID_F_OMIT_ACTIONS)
    expect(d.cmd == nl.OVS_FLOW_CMD_DEL, f"DEL echo cmd {d.cmd}")
    expect(d.ufid == ufid and d.key is None and d.mask is None and d.actions is None,
           "all three OMIT flags on DEL: attributes left in")
    return "NEW echo, GET and DEL with each flag"


@check("N14", "a connection subscribed to the ovs_flow group gets every NEW/SET/DEL, and only those")
def _(ctx):
    a = ctx.conn
    b = nl.Connection(ctx.path)
    try:
        fam = nl.get_family(b, nl.OVS_FLOW_FAMILY)
        e = fails_with(errno.EINVAL, nl.subscribe, b, 0x7777)
        nl.subscribe(b, fam.groups[nl.OVS_FLOW_MCGROUP])
        # A failed NEW must not be announced: the first notification is the
        # one of the NEW that follows it.
        fails_with(errno.EINVAL, ctx.ovs.flow_new, ctx.dp, actions=[nl.a_output(1)])
        n = ctx.fresh()
        key = udp_key(n)
        replies = ctx.ovs.flow_new(ctx.dp, key=key, actions=[nl.a_output(1)])
        expect(replies == [], "a NEW without ECHO answered the requester with the flow")
        seen = []
        for what, cmds, seq_fn, acts in (
            ("NEW", {nl.OVS_FLOW_CMD_NEW}, None, [nl.a_output(1)]),
            ("SET", {nl.OVS_FLOW_CMD_SET, nl.OVS_FLOW_CMD_NEW},
             lambda: ctx.ovs.flow_set(ctx.dp, key=key, actions=[nl.a_output(0)]), [nl.a_output(0)]),
            ("DEL", {nl.OVS_FLOW_CMD_DEL}, lambda: ctx.ovs.flow_del(ctx.dp, key=key), [nl.a_output(0)]),
        ):
            if seq_fn:
                seq_fn()
            m = next_notification(b)
            expect(m.mtype == ctx.ovs.flow.id, f"{what}: notification type {m.mtype:#x}")
            expect(m.pid == a.port_id, f"{what}: notification nlmsg_pid {m.pid}, the changer's port id is {a.port_id}")
            expect(m.seq == a.seq, f"{what}: notification nlmsg_seq {m.seq}, the change's seq is {a.seq}")
            f = nl.parse_flow(m)
            expect(f.cmd in cmds, f"{what}: notification cmd {f.cmd}")
            expect(f.dp_ifindex == ctx.dp, f"{what}: dp_ifindex {f.dp_ifindex}")
            same_key(f.key, key, f"{what} notification")
            actions_are(f, acts, f"{what} notification")
            seen.append(what)
        expect(not b.unsolicited, f"{len(b.unsolicited)} extra notifications")
        nl.subscribe(b, fam.groups[nl.OVS_FLOW_MCGROUP], on=False)
        ctx.ovs.flow_new(ctx.dp, key=key, actions=[nl.a_output(1)])
        ctx.ovs.flow_del(ctx.dp, key=key)
        # Requests are served in order: any notification of those two would
        # reach b before the answer to this.
        nl.get_family(b, nl.OVS_FLOW_FAMILY)
        expect(not b.unsolicited, f"{len(b.unsolicited)} notifications after unsubscribing")
    finally:
        b.close()
    return f"{', '.join(seen)} seen with the changer's pid/seq; unknown group: EINVAL{said(e)}"


@check("S1", "SET: needs KEY or UFID, finds exactly, replaces, clears, validates")
def _(ctx):
    n = ctx.fresh()
    key, mask, ufid = udp_key(n), partial_mask(), ufid_of(n)
    ctx.ovs.flow_new(ctx.dp, key=key, mask=mask, ufid=ufid, actions=[nl.a_output(1)])
    ctx.refused(errno.EINVAL, ctx.ovs.flow_set, ctx.dp, actions=[nl.a_output(0)])
    ctx.refused(errno.EINVAL, ctx.ovs.flow_set, ctx.dp, ufid=ufid, actions=[nl.a_output(0)])
    ctx.refused(errno.ENOENT, ctx.ovs.flow_set, ctx.dp, key=udp_key(ctx.fresh()), actions=[nl.a_output(0)])
    ctx.refused(errno.ENOENT, ctx.ovs.flow_set, ctx.dp, ufid=ufid_of(ctx.fresh()))
    ctx.refused(errno.EINVAL, ctx.ovs.flow_set, ctx.dp, key=key, mask=mask, ufid=ufid,
                actions=[nl.a_output(ctx.missing_port())])
    before = ctx.ovs.flow_get(ctx.dp, ufid=ufid)
    (echo,) = ctx.ovs.flow_set(ctx.dp, nl.NLM_F_ECHO, ufid=ufid)
    expect(echo.cmd in (nl.OVS_FLOW_CMD_SET, nl.OVS_FLOW_CMD_NEW), f"SET echo cmd {echo.cmd}")
    actions_are(echo, [nl.a_output(1)], "SET without ACTIONS")
    ctx.ovs.flow_set(ctx.dp, key=key, mask=mask, ufid=ufid, actions=[nl.a_output(0)])
    actions_are(ctx.ovs.flow_get(ctx.dp, ufid=ufid), [nl.a_output(0)], "after SET")
    ctx.ovs.flow_set(ctx.dp, key=key, mask=mask, ufid=ufid, actions=[])
    dropped = ctx.ovs.flow_get(ctx.dp, ufid=ufid)
    actions_are(dropped, [], "after SET with an empty ACTIONS nest")
    expect(stats_of(dropped) == stats_of(before), "SET without CLEAR changed the stats")
    ctx.ovs.flow_set(ctx.dp, ufid=ufid, clear=True)
    cleared = ctx.ovs.flow_get(ctx.dp, ufid=ufid)
    expect(cleared.packets == 0 and cleared.bytes == 0 and not cleared.used and not cleared.tcp_flags,
           f"after CLEAR: {stats_of(cleared)}")
    # The key-identified form: KEY (and its MASK) find the flow exactly.
    m = ctx.fresh()
    ctx.ovs.flow_new(ctx.dp, key=udp_key(m), mask=mask, actions=[nl.a_output(1)])
    ctx.ovs.flow_set(ctx.dp, key=udp_key(m), mask=mask, actions=[nl.a_output(0)])
    actions_are(ctx.ovs.flow_get(ctx.dp, key=udp_key(m)), [nl.a_output(0)], "key-identified SET")
    ctx.ovs.flow_del(ctx.dp, key=udp_key(m))
    ctx.ovs.flow_del(ctx.dp, ufid=ufid)
    return "EINVAL x3, ENOENT x2, replace / keep / drop / clear"


@check("G1", "GET: neither KEY nor UFID -> EINVAL; unknown -> ENOENT; found by key and by UFID")
def _(ctx):
    ctx.refused(errno.EINVAL, ctx.ovs.flow_get, ctx.dp)
    ctx.refused(errno.ENOENT, ctx.ovs.flow_get, ctx.dp, key=udp_key(ctx.fresh()))
    ctx.refused(errno.ENOENT, ctx.ovs.flow_get, ctx.dp, ufid=ufid_of(ctx.fresh()))
    by_key = ctx.ovs.flow_get(ctx.dp, key=udp_key(ctx.n10))
    same_key(by_key.key, udp_key(ctx.n10), "GET by key")
    by_ufid = ctx.ovs.flow_get(ctx.dp, ufid=ufid_of(ctx.n11_ufid))
    expect(by_ufid.ufid == ufid_of(ctx.n11_ufid), "GET by UFID: another ufid")
    same_key(by_ufid.key, nl.apply_mask(udp_key(ctx.n11_ufid), nl.stored_mask(partial_mask())), "GET by UFID")
    return "ok"


@check("D2", "DEL by UFID or key: the reply carries the final flow; gone afterwards; unknown -> ENOENT")
def _(ctx):
    ufid = ufid_of(ctx.n11_ufid)
    st = ctx.dp_stats()
    (d,) = ctx.ovs.flow_del(ctx.dp, nl.NLM_F_ECHO, ufid=ufid)
    expect(d.cmd == nl.OVS_FLOW_CMD_DEL and d.ufid == ufid, f"DEL echo cmd {d.cmd} ufid {d.ufid!r}")
    expect(d.packets == 0 and d.bytes == 0, f"final stats {stats_of(d)} on an idle datapath")
    actions_are(d, [nl.a_output(0), nl.a_output(1)], "DEL echo")
    ctx.refused(errno.ENOENT, ctx.ovs.flow_get, ctx.dp, ufid=ufid)
    ctx.refused(errno.ENOENT, ctx.ovs.flow_del, ctx.dp, ufid=ufid)
    (d,) = ctx.ovs.flow_del(ctx.dp, nl.NLM_F_ECHO, key=udp_key(ctx.n10))
    expect(d.cmd == nl.OVS_FLOW_CMD_DEL, f"DEL by key echo cmd {d.cmd}")
    same_key(d.key, udp_key(ctx.n10), "DEL by key echo")
    ctx.refused(errno.ENOENT, ctx.ovs.flow_get, ctx.dp, key=udp_key(ctx.n10))
    ctx.refused(errno.ENOENT, ctx.ovs.flow_del, ctx.dp, key=udp_key(ctx.n10))
    after = ctx.dp_stats()
    expect(after["flows"] == st["flows"] - 2, f"n_flows {st['flows']} -> {after['flows']}")
    return f"n_flows {st['flows']} -> {after['flows']}"


def bulk_insert(ctx, conn, ovs, numbers, batch=100):
    numbers = list(numbers)
    for i in range(0, len(numbers), batch):
        reqs = [(ovs.flow.id, nl.NLM_F_CREATE,
                 ovs.flow_payload(nl.OVS_FLOW_CMD_NEW, ctx.dp, key=udp_key(k), mask=partial_mask(), ufid=ufid_of(k),
                                  actions=[nl.a_output(ctx.out_port())]))
                for k in numbers[i:i + batch]]
        for k, (_, e) in zip(numbers[i:i + batch], conn.pipeline(reqs)):
            expect(e.error == 0, f"bulk NEW of flow {k}: errno {e.error} {e.text!r}")


def bulk_delete(ctx, conn, ovs, numbers, batch=100):
    numbers = list(numbers)
    for i in range(0, len(numbers), batch):
        reqs = [(ovs.flow.id, 0, ovs.flow_payload(nl.OVS_FLOW_CMD_DEL, ctx.dp, ufid=ufid_of(k)))
                for k in numbers[i:i + batch]]
        for k, (_, e) in zip(numbers[i:i + batch], conn.pipeline(reqs)):
            expect(e.error == 0, f"bulk DEL of flow {k}: errno {e.error} {e.text!r}")


@check("G2", f"dump of {BULK_FLOWS} flows: several reads of at most 64 KiB, each flow once, NLMSG_DONE")
def _(ctx):
    base = len(ctx.table())
    ctx.base_ufids = {f.ufid for f in ctx.ovs.flow_dump(ctx.dp)[0]}
    first = 100_000
    ctx.bulk = range(first, first + BULK_FLOWS)
    t0 = time.monotonic()
    bulk_insert(ctx, ctx.conn, ctx.ovs, ctx.bulk)
    took = time.monotonic() - t0
    flows, info = ctx.ovs.flow_dump(ctx.dp)
    expect(info.done, "no NLMSG_DONE")
    expect(len(flows) == base + BULK_FLOWS, f"{len(flows)} flows dumped, expected {base + BULK_FLOWS}")
    ufids = [f.ufid for f in flows if f.ufid is not None]
    expect(len(ufids) == len(set(ufids)), f"{len(ufids) - len(set(ufids))} flows dumped twice")
    want = {ufid_of(k) for k in ctx.bulk}
    expect(want <= set(ufids), f"{len(want - set(ufids))} inserted flows missing from the dump")
    expect(info.reads >= 2, f"{info.reads} read(s) for {len(flows)} flows; a 64 KiB part cannot hold them")
    expect(max(info.sizes) <= nl.Connection.MAX_PART, f"a read of {max(info.sizes)} bytes exceeds 64 KiB")
    sample = next(f for f in flows if f.ufid == ufid_of(first + 17))
    same_key(sample.key, nl.apply_mask(udp_key(first + 17), nl.stored_mask(partial_mask())), "dumped flow")
    st = ctx.dp_stats()
    expect(st["flows"] == len(flows), f"n_flows {st['flows']}, dump {len(flows)}")
    masks = {nl.pack_key(f.mask) for f in flows}
    expect(st["masks"] == len(masks), f"n_masks {st['masks']}, the dump has {len(masks)} distinct masks")
    omitted, info2 = ctx.ovs.flow_dump(ctx.dp, ufid_flags=nl.OVS_UFID_F_OMIT_KEY | nl.OVS_UFID_F_OMIT_MASK |
                                       nl.OVS_UFID_F_OMIT_ACTIONS)
    expect(len(omitted) == len(flows), "the OMIT dump lists another number of flows")
    lean = [f for f in omitted if f.ufid in want]
    expect(all(f.key is None and f.mask is None and f.actions is None for f in lean),
           "a dump with OMIT flags still carries key/mask/actions")
    expect(sum(info2.sizes) < sum(info.sizes), "the OMIT dump is not smaller")
    return (f"{len(flows)} flows in {info.reads} reads (largest {max(info.sizes)} B), inserted in {took:.2f}s; "
            f"OMIT dump {info2.reads} reads")


@check("G2", "a dump read slowly while another connection adds and deletes: steady flows once, no duplicates")
def _(ctx):
    other = nl.Connection(ctx.path)
    try:
        ovs2 = nl.Ovs(other)
        seq, sent = ctx.conn.start_dump(ctx.ovs.flow.id, nl.ovs_payload(nl.OVS_FLOW_CMD_GET, nl.OVS_FLOW_VERSION,
                                                                        ctx.dp, []))
        msgs, info = ctx.conn.read_dump(seq, sent, max_reads=1)
        expect(not info.done, "the whole dump came in one read")
        bulk = list(ctx.bulk)
        removed = bulk[::6]
        added = range(200_000, 200_000 + len(removed))
        # These must complete while the first connection's dump is pending.
        bulk_delete(ctx, other, ovs2, removed)
        bulk_insert(ctx, other, ovs2, added)
        rest, info_rest = ctx.conn.read_dump(seq, sent)
        flows = [nl.parse_flow(m) for m in msgs + rest]
        ufids = [f.ufid for f in flows if f.ufid is not None]
        dup = len(ufids) - len(set(ufids))
        expect(dup == 0, f"{dup} flows appear twice in the dump")
        steady = {ufid_of(k) for k in bulk} - {ufid_of(k) for k in removed}
        missing = steady - set(ufids)
        expect(not missing, f"{len(missing)} flows that existed throughout are missing")
        known = {ufid_of(k) for k in bulk} | {ufid_of(k) for k in added} | ctx.base_ufids
        stray = [u for u in ufids if u not in known]
        expect(not stray, f"{len(stray)} dumped flows never existed")
        got_removed = len({ufid_of(k) for k in removed} & set(ufids))
        got_added = len({ufid_of(k) for k in added} & set(ufids))
        ctx.bulk = [k for k in bulk if k not in set(removed)] + list(added)
    finally:
        other.close()
    return (f"{len(flows)} flows in {1 + info_rest.reads} reads; of {len(removed)} deleted {got_removed} seen, "
            f"of {len(added)} added {got_added} seen")


@check("D1", "DEL with neither KEY nor UFID flushes the datapath: empty dump, n_flows 0, n_masks 0")
def _(ctx):
    before = ctx.dp_stats()
    replies = ctx.ovs.flow_del(ctx.dp)
    expect(replies == [], f"a flush answered {len(replies)} messages")
    flows, info = ctx.ovs.flow_dump(ctx.dp)
    expect(flows == [], f"{len(flows)} flows left after the flush")
    st = ctx.dp_stats()
    expect(st["flows"] == 0, f"n_flows {st['flows']} after the flush")
    expect(st["masks"] == 0, f"n_masks {st['masks']} after the flush (the kernel frees a mask with its last flow)")
    fails_with(errno.ENOENT, ctx.ovs.flow_get, ctx.dp, ufid=ufid_of(ctx.bulk[0]))
    return f"{before['flows']} flows / {before['masks']} masks -> 0 / 0"


@check("N16", "every refused request above left the table as it was")
def _(ctx):
    expect(ctx.failures_checked >= 30, f"only {ctx.failures_checked} refusals were compared")
    return f"{ctx.failures_checked} refusals, each with a dump before and after"


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("socket")
    p.add_argument("--datapath", default="dp0")

    def port(s):
        no, _, name = s.partition("=")
        return int(no), name

    p.add_argument("--port", type=port, action="append", default=None,
                   help="NUMBER=NAME of a port the datapath has (default 0=net_null0, 1=net_null1)")
    args = p.parse_args()
    if args.port is None:
        args.port = [(0, "net_null0"), (1, "net_null1")]
    ctx = Ctx(args)
    for rule, what, fn in CHECKS:
        try:
            detail = fn(ctx)
        except (Fail, nl.NlError, nl.ParseError, nl.ProtocolError, OSError, KeyError, ValueError,
                struct.error) as e:
            kind = "" if isinstance(e, Fail) else f"{type(e).__name__}: "
            print(f"FAIL {rule:6} {what}: {kind}{e}", flush=True)
            return 1
        print(f"ok   {rule:6} {what}" + (f" [{detail}]" if detail else ""), flush=True)
    print(f"all {len(CHECKS)} checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
