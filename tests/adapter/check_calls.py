"""Checks, from a program that knows only AF_NETLINK, that every socket
call dpswitch-run adapts behaves as on a kernel netlink socket (T1, T2).
Run as: dpswitch-run --socket S python3 check_calls.py CHECK...
Prints "ok NAME" per check passed; any failure raises and exits non-zero."""

import errno
import os
import ctypes
import fcntl
import select
import socket
import struct
import subprocess
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from nlclient import *  # noqa: E402,F401,F403

SEQ = [1000]


def seq():
    SEQ[0] += 1
    return SEQ[0]


def expect_eagain(sock, what):
    try:
        data = sock.recv(65536, socket.MSG_DONTWAIT)
    except BlockingIOError:
        return
    raise AssertionError("%s: expected EAGAIN, read %r" % (what, messages(data)))


class Env:
    def __init__(self):
        self.sock = generic_socket()
        self.ctrl_family, _ = (GENL_ID_CTRL, None)
        self.dp_family, _ = resolve(self.sock, "ovs_datapath", seq())
        self.flow_family, groups = resolve(self.sock, "ovs_flow", seq())
        self.flow_group = groups["ovs_flow"]
        self.dp = datapath_ifindex(self.sock, self.dp_family, seq())
        # Start from an empty flow table, whatever ran before.
        transact(self.sock, flow_flush(self.flow_family, self.dp, seq()))


def check_names(env):
    s = generic_socket()
    pid, groups = s.getsockname()
    assert pid != 0 and groups == 0, (pid, groups)
    assert s.getpeername() == (0, 0), s.getpeername()
    s.connect((0, 0))
    s.bind((0, 0))
    assert s.getsockname() == (pid, 0)
    # The replies carry the same port id.
    request = getfamily("ovs_flow", seq())
    s.send(request)
    [(kind, flags, rseq, rpid, payload)] = messages(s.recv(65536, socket.MSG_DONTWAIT))
    assert (kind, rpid) == (GENL_ID_CTRL, pid), (kind, rpid, pid)
    assert s.getsockopt(socket.SOL_SOCKET, socket.SO_TYPE) == socket.SOCK_RAW
    assert s.getsockopt(socket.SOL_SOCKET, socket.SO_PROTOCOL) == NETLINK_GENERIC
    assert s.getsockopt(socket.SOL_SOCKET, socket.SO_DOMAIN) == socket.AF_NETLINK
    other = generic_socket()
    assert other.getsockname()[0] not in (0, pid), "each socket has its own port id"
    other.close()
    s.close()


def check_options(env):
    s = generic_socket()
    for opt in (NETLINK_EXT_ACK, NETLINK_CAP_ACK, NETLINK_NO_ENOBUFS):
        assert s.getsockopt(SOL_NETLINK, opt) == 0
        s.setsockopt(SOL_NETLINK, opt, 1)
        assert s.getsockopt(SOL_NETLINK, opt) == 1, opt
    s.setsockopt(SOL_NETLINK, NETLINK_CAP_ACK, 0)
    assert s.getsockopt(SOL_NETLINK, NETLINK_CAP_ACK) == 0
    try:
        s.setsockopt(SOL_NETLINK, 6, 1)  # NETLINK_RX_RING: gone from the kernel
        raise AssertionError("NETLINK_RX_RING accepted")
    except OSError as e:
        assert e.errno == errno.ENOPROTOOPT, e
    # SOL_SOCKET options reach the real socket.
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    assert s.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF) >= 1 << 20
    s.close()


def check_batch(env):
    """Ten requests in one sendmsg: ten reply datagrams, one per recv, all
    readable with MSG_DONTWAIT right after the send (T1, T2)."""
    s = env.sock
    first = seq()
    requests = [getfamily("ovs_flow" if i % 2 else "ovs_datapath", first + i) for i in range(10)]
    SEQ[0] = first + 9
    sent = s.sendmsg(requests)
    assert sent == sum(map(len, requests)), sent
    for i in range(10):
        data = s.recv(65536, socket.MSG_DONTWAIT)
        msgs = messages(data)
        assert len(msgs) == 1, "one reply per datagram, got %d" % len(msgs)
        assert msgs[0][2] == first + i, (msgs[0][2], first + i)
    expect_eagain(s, "after the ten replies")
    # Flow NEWs with acks the same way, one datagram per ack.
    first = seq()
    requests = [flow_new(env.flow_family, env.dp, 0x100 + i, first + i) for i in range(10)]
    SEQ[0] = first + 9
    s.sendmsg(requests)
    for i in range(10):
        [(kind, flags, rseq, pid, payload)] = messages(s.recv(65536, socket.MSG_DONTWAIT))
        assert (kind, rseq, error_of(payload)) == (NLMSG_ERROR, first + i, 0), (kind, rseq, error_of(payload))
    expect_eagain(s, "after the ten acks")


def check_recv_flags(env):
    s = env.sock
    expect_eagain(s, "nothing asked")
    s.send(getfamily("ovs_flow", seq()))
    # MSG_PEEK|MSG_TRUNC with a 1-byte buffer: the datagram's length.
    size = s.recv_into(bytearray(1), 1, socket.MSG_PEEK | socket.MSG_TRUNC)
    assert size > 16, size
    size16 = s.recv_into(bytearray(16), 16, socket.MSG_PEEK | socket.MSG_TRUNC)
    assert size16 == size, (size16, size)
    data, anc, flags, addr = s.recvmsg(size, 0, socket.MSG_PEEK)
    assert len(data) == size and not flags & socket.MSG_TRUNC and addr == (0, 0), (len(data), flags, addr)
    # A short buffer: MSG_TRUNC in msg_flags, the rest is gone.
    data, anc, flags, addr = s.recvmsg(8)
    assert len(data) == 8 and flags & socket.MSG_TRUNC, (len(data), flags)
    assert anc == [] and addr == (0, 0), (anc, addr)
    expect_eagain(s, "after the truncated read")
    # recvfrom names the kernel; MSG_TRUNC returns the whole length.
    s.send(getfamily("ovs_datapath", seq()))
    buf = bytearray(4)
    n, addr = s.recvfrom_into(buf, 4, socket.MSG_TRUNC)
    assert n > 16 and addr == (0, 0), (n, addr)
    # Scattered buffers: the datagram fills them in order.
    request = getfamily("ovs_flow", seq())
    s.send(request)
    a, b = bytearray(10), bytearray(4096)
    n, anc, flags, addr = s.recvmsg_into([a, b])
    whole = bytes(a) + bytes(b[:n - 10])
    [(kind, _, rseq, _, payload)] = messages(whole)
    assert kind == GENL_ID_CTRL and rseq == NLMSGHDR.unpack_from(request)[3]


def check_poll(env):
    s = generic_socket()
    p = select.poll()
    p.register(s.fileno(), select.POLLIN)
    assert p.poll(0) == [], "not readable before a request"
    s.send(getfamily("ovs_flow", seq()))
    assert p.poll(0) == [(s.fileno(), select.POLLIN)], "readable as soon as send returns"
    s.recv(65536)
    assert p.poll(0) == [], "not readable once read"
    # select() and epoll too.
    s.send(getfamily("ovs_flow", seq()))
    assert select.select([s], [], [], 0)[0] == [s]
    ep = select.epoll()
    ep.register(s.fileno(), select.EPOLLIN)
    assert ep.poll(0) == [(s.fileno(), select.EPOLLIN)]
    s.recv(65536)
    assert ep.poll(0) == []
    ep.close()
    s.close()


def check_read_write(env):
    s = generic_socket()
    request = getfamily("ovs_flow", seq())
    assert os.write(s.fileno(), request) == len(request)
    [(kind, _, rseq, _, _)] = messages(os.read(s.fileno(), 65536))
    assert (kind, rseq) == (GENL_ID_CTRL, NLMSGHDR.unpack_from(request)[3])
    os.set_blocking(s.fileno(), False)
    try:
        os.read(s.fileno(), 65536)
        raise AssertionError("read of an empty non-blocking socket returned")
    except BlockingIOError:
        pass
    s.close()


def check_membership(env):
    listener = generic_socket()
    listener.setsockopt(SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, env.flow_group)
    pid, groups = listener.getsockname()
    assert groups == 1 << (env.flow_group - 1), groups
    members = listener.getsockopt(SOL_NETLINK, NETLINK_LIST_MEMBERSHIPS, 4)
    assert struct.unpack("=I", members)[0] == 1 << (env.flow_group - 1)
    expect_eagain(listener, "no change yet")
    # A flow NEW from another socket: the listener is notified at once.
    changer = generic_socket()
    request = flow_new(env.flow_family, env.dp, 0x200, seq())
    transact(changer, request)
    assert select.select([listener], [], [], 0)[0] == [listener], "the notification is queued when the NEW returns"
    [(kind, flags, rseq, rpid, payload)] = messages(listener.recv(65536, socket.MSG_DONTWAIT))
    assert kind == env.flow_family and payload[0] == OVS_FLOW_CMD_NEW, (kind, payload[:4])
    assert rpid == changer.getsockname()[0] and rseq == NLMSGHDR.unpack_from(request)[3], (rpid, rseq)
    # Left: no more notifications.
    listener.setsockopt(SOL_NETLINK, NETLINK_DROP_MEMBERSHIP, env.flow_group)
    assert listener.getsockname()[1] == 0
    transact(changer, flow_new(env.flow_family, env.dp, 0x201, seq()))
    expect_eagain(listener, "after DROP_MEMBERSHIP")
    # bind()'s legacy mask joins too.
    listener.bind((0, 1 << (env.flow_group - 1)))
    transact(changer, flow_new(env.flow_family, env.dp, 0x202, seq()))
    [(kind, _, _, _, payload)] = messages(listener.recv(65536, socket.MSG_DONTWAIT))
    assert kind == env.flow_family
    listener.bind((0, 0))
    assert listener.getsockname()[1] == 0
    # A group the daemon does not have: the daemon's errno.
    try:
        listener.setsockopt(SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, 999)
        raise AssertionError("group 999 joined")
    except OSError as e:
        assert e.errno == errno.EINVAL, e
    try:
        listener.setsockopt(SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, 0)
        raise AssertionError("group 0 joined")
    except OSError as e:
        assert e.errno == errno.EINVAL, e
    listener.close()
    changer.close()


def check_dump(env):
    """A multi-part flow dump read to NLMSG_DONE with MSG_DONTWAIT only:
    never EAGAIN before the end (the kernel never makes a dump reader
    wait), EAGAIN after it."""
    s = env.sock
    total = 400
    for base in range(0, total, 50):
        first = seq()
        requests = [flow_new(env.flow_family, env.dp, 0x1000 + base + i, first + i) for i in range(50)]
        SEQ[0] = first + 49
        s.sendmsg(requests)
        for i in range(50):
            [(kind, _, rseq, _, payload)] = messages(s.recv(65536, socket.MSG_DONTWAIT))
            assert kind == NLMSG_ERROR and rseq == first + i and error_of(payload) in (0, errno.EEXIST)
    dumper = generic_socket()
    dseq = seq()
    dumper.send(flow_dump(env.flow_family, env.dp, dseq))
    flows, parts, done = 0, 0, False
    while not done:
        data = dumper.recv(1 << 16, socket.MSG_DONTWAIT)
        parts += 1
        for kind, flags, rseq, _, payload in messages(data):
            assert rseq == dseq
            if kind == NLMSG_DONE:
                done = True
            else:
                assert kind == env.flow_family and flags & NLM_F_MULTI, (kind, flags)
                flows += 1
    assert flows >= total and parts > 2, (flows, parts)
    expect_eagain(dumper, "after NLMSG_DONE")
    # Again on an O_NONBLOCK descriptor, peeking at each part first.
    dumper.setblocking(False)
    dseq = seq()
    dumper.send(flow_dump(env.flow_family, env.dp, dseq))
    flows2, done = 0, False
    while not done:
        size = dumper.recv_into(bytearray(1), 1, socket.MSG_PEEK | socket.MSG_TRUNC)
        data = dumper.recv(size)
        assert len(data) == size
        for kind, flags, rseq, _, payload in messages(data):
            done = done or kind == NLMSG_DONE
            flows2 += kind == env.flow_family
    assert flows2 == flows, (flows2, flows)
    expect_eagain(dumper, "after the second NLMSG_DONE")
    dumper.close()
    print("  dump: %d flows in %d datagrams" % (flows, parts))


def check_overrun(env):
    """A listener that does not read loses notifications: its next reads
    give the queued ones, then ENOBUFS once; with NETLINK_NO_ENOBUFS the
    loss is silent."""
    for quiet in (False, True):
        listener = generic_socket()
        if quiet:
            listener.setsockopt(SOL_NETLINK, NETLINK_NO_ENOBUFS, 1)
        listener.setsockopt(SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, env.flow_group)
        s = env.sock
        transact(s, flow_flush(env.flow_family, env.dp, seq()))
        n_flows = 3000
        for base in range(0, n_flows, 50):
            first = seq()
            s.sendmsg([flow_new(env.flow_family, env.dp, 0x4000 + base + i, first + i) for i in range(50)])
            SEQ[0] = first + 49
            for i in range(50):
                messages(s.recv(65536, socket.MSG_DONTWAIT))
        notes, enobufs = 0, 0
        while True:
            try:
                data = listener.recv(65536, socket.MSG_DONTWAIT)
            except BlockingIOError:
                if select.select([listener], [], [], 1.0)[0]:
                    continue
                break
            except OSError as e:
                assert e.errno == errno.ENOBUFS, e
                enobufs += 1
                continue
            for kind, _, _, _, _ in messages(data):
                assert kind == env.flow_family, kind
                notes += 1
        assert notes < n_flows + 1, notes
        if quiet:
            assert enobufs == 0 and notes < n_flows, (notes, enobufs)
        else:
            assert enobufs >= 1 and notes < n_flows, (notes, enobufs)
        print("  overrun (NO_ENOBUFS=%s): %d notifications, %d ENOBUFS" % (quiet, notes, enobufs))
        listener.close()
    transact(env.sock, flow_flush(env.flow_family, env.dp, seq()))


def check_fork(env):
    s = generic_socket()
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            request = getfamily("ovs_flow", 77)
            s.send(request)
            [(kind, _, rseq, _, _)] = messages(s.recv(65536, socket.MSG_DONTWAIT))
            code = 0 if (kind, rseq) == (GENL_ID_CTRL, 77) else 2
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, status
    # The parent goes on using it.
    s.send(getfamily("ovs_datapath", 78))
    [(kind, _, rseq, _, _)] = messages(s.recv(65536, socket.MSG_DONTWAIT))
    assert (kind, rseq) == (GENL_ID_CTRL, 78)
    s.close()


def check_rtnetlink(env):
    """NETLINK_ROUTE stays the kernel's: a link dump lists lo."""
    r = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_ROUTE)
    r.bind((0, 0))
    pid, _ = r.getsockname()
    assert pid != 0
    r.send(getlink_dump(5))
    names, done = [], False
    while not done:
        for kind, _, _, _, payload in messages(r.recv(1 << 16)):
            if kind == NLMSG_DONE:
                done = True
            elif kind == RTM_NEWLINK:
                a = attrs(payload[IFINFOMSG.size:])
                names.append(a[IFLA_IFNAME].rstrip(b"\0").decode())
    assert "lo" in names, names
    r.close()


def check_close(env):
    s = generic_socket()
    fd = s.fileno()
    s.close()
    try:
        os.fstat(fd)
        raise AssertionError("fd %d still open after close" % fd)
    except OSError as e:
        assert e.errno == errno.EBADF
    # Many sockets opened and closed: nothing leaks.
    before = len(os.listdir("/proc/self/fd"))
    for _ in range(50):
        t = generic_socket()
        t.close()
    assert len(os.listdir("/proc/self/fd")) == before, "channels are closed with their sockets"
    # A duplicate keeps working after the original is closed.
    s = generic_socket()
    pid = s.getsockname()[0]
    d = s.dup()  # fcntl(F_DUPFD_CLOEXEC) in Python's runtime
    s.close()
    assert d.getsockname() == (pid, 0), d.getsockname()
    e = socket.socket(fileno=fcntl.fcntl(d.fileno(), fcntl.F_DUPFD, 0))
    assert e.getsockname() == (pid, 0) and e.proto == NETLINK_GENERIC
    e.close()
    d.send(getfamily("ovs_flow", 90))
    [(kind, _, rseq, _, _)] = messages(d.recv(65536, socket.MSG_DONTWAIT))
    assert (kind, rseq) == (GENL_ID_CTRL, 90)
    d.close()
    # dup2 to a chosen number; socket(fileno=) asks SO_DOMAIN/SO_TYPE/
    # SO_PROTOCOL and gets the netlink socket's.
    s = generic_socket()
    os.dup2(s.fileno(), 60)
    t = socket.socket(fileno=60)
    assert (t.family, t.type, t.proto) == (socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_GENERIC), (t.family, t.type, t.proto)
    assert t.getsockname() == s.getsockname()
    s.close()
    t.send(getfamily("ovs_flow", 92))
    [(kind, _, rseq, _, _)] = messages(t.recv(65536, socket.MSG_DONTWAIT))
    assert (kind, rseq) == (GENL_ID_CTRL, 92)
    # dup2 onto the number the channel sits on: the channel moves away.
    before = set(os.listdir("/proc/self/fd"))
    u = generic_socket()
    channel = max(int(fd) for fd in set(os.listdir("/proc/self/fd")) - before)
    os.dup2(t.fileno(), channel)
    os.close(channel)
    u.send(getfamily("ovs_flow", 93))
    [(kind, _, rseq, _, _)] = messages(u.recv(65536, socket.MSG_DONTWAIT))
    assert (kind, rseq) == (GENL_ID_CTRL, 93)
    t.close()
    u.close()


def check_socket_flags(env):
    """SOCK_NONBLOCK and SOCK_CLOEXEC are the socket's; the channel stays
    out of the way, above the descriptors a program hands out first."""
    before = set(os.listdir("/proc/self/fd"))
    s = socket.socket(socket.AF_NETLINK, socket.SOCK_DGRAM | socket.SOCK_NONBLOCK | socket.SOCK_CLOEXEC, NETLINK_GENERIC)
    added = set(os.listdir("/proc/self/fd")) - before
    assert fcntl.fcntl(s.fileno(), fcntl.F_GETFL) & os.O_NONBLOCK
    assert fcntl.fcntl(s.fileno(), fcntl.F_GETFD) & fcntl.FD_CLOEXEC
    assert s.getsockopt(socket.SOL_SOCKET, socket.SO_TYPE) == socket.SOCK_DGRAM
    channel = [int(fd) for fd in added if int(fd) >= 100]
    assert len(channel) == 1 and s.fileno() < 100, (s.fileno(), added)
    assert fcntl.fcntl(channel[0], fcntl.F_GETFD) & fcntl.FD_CLOEXEC
    # The program cannot close the channel by accident.
    try:
        os.close(channel[0])
        raise AssertionError("closed the channel")
    except OSError as e:
        assert e.errno == errno.EBADF, e
    expect_eagain(s, "a fresh non-blocking socket")
    s.send(getfamily("ovs_flow", 91))
    [(kind, _, rseq, _, _)] = messages(s.recv(65536))
    assert (kind, rseq) == (GENL_ID_CTRL, 91)
    s.close()
    assert set(os.listdir("/proc/self/fd")) == before


def check_threads(env):
    """Threads on their own sockets and on a shared one: every request
    answered, each thread's replies readable when its send returns."""
    errors = []
    shared = generic_socket()
    shared_lock = threading.Lock()

    def worker(n):
        try:
            own = generic_socket()
            for i in range(100):
                request = getfamily("ovs_flow" if i % 2 else "ovs_vport", i + 1)
                own.send(request)
                [(kind, _, rseq, _, _)] = messages(own.recv(65536, socket.MSG_DONTWAIT))
                assert (kind, rseq) == (GENL_ID_CTRL, i + 1), (kind, rseq)
                # Flow changes without acks on the shared socket: only
                # errors would answer, and none is expected.
                shared.send(flow_new(env.flow_family, env.dp, 0x8000 + n * 100 + i, 1, flags=NLM_F_CREATE))
            own.close()
        except Exception as e:  # noqa: BLE001
            errors.append(repr(e))

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    with shared_lock:
        expect_eagain(shared, "flow NEWs without acks")
    # All 400 are in: each GET finds its flow.
    dumper = generic_socket()
    dseq = seq()
    dumper.send(flow_dump(env.flow_family, env.dp, dseq))
    flows, done = 0, False
    while not done:
        for kind, _, _, _, payload in messages(dumper.recv(1 << 16, socket.MSG_DONTWAIT)):
            if kind == NLMSG_DONE:
                done = True
            else:
                flows += 1
    assert flows >= 400, flows
    dumper.close()
    shared.close()


def check_exec(env):
    """LD_PRELOAD stays in the environment: an exec'd program is carried."""
    probe = (
        "import socket, sys\n"
        "sys.path.insert(0, %r)\n"
        "from nlclient import *\n"
        "s = generic_socket()\n"
        "s.send(getfamily('ovs_flow', 5))\n"
        "[(kind, _, seq, pid, p)] = messages(s.recv(65536, socket.MSG_DONTWAIT))\n"
        "print(kind, seq, pid == s.getsockname()[0], parse_family(p)[0])\n"
    ) % os.path.dirname(os.path.abspath(__file__))
    out = subprocess.run([sys.executable, "-c", probe], check=True, capture_output=True, text=True).stdout.split()
    assert out == [str(GENL_ID_CTRL), "5", "True", str(env.flow_family)], out


class Iovec(ctypes.Structure):
    _fields_ = [("base", ctypes.c_void_p), ("len", ctypes.c_size_t)]


class Msghdr(ctypes.Structure):
    _fields_ = [("name", ctypes.c_void_p), ("namelen", ctypes.c_uint32),
                ("iov", ctypes.POINTER(Iovec)), ("iovlen", ctypes.c_size_t),
                ("control", ctypes.c_void_p), ("controllen", ctypes.c_size_t),
                ("flags", ctypes.c_int)]


class Mmsghdr(ctypes.Structure):
    _fields_ = [("hdr", Msghdr), ("len", ctypes.c_uint)]


def check_mmsg(env):
    """sendmmsg and recvmmsg (through libc, as C programs call them): one
    datagram per entry, MSG_WAITFORONE stops at the last queued reply."""
    libc = ctypes.CDLL(None, use_errno=True)
    s = generic_socket()
    requests = [getfamily("ovs_flow", 200 + i) for i in range(3)]
    keep = [ctypes.create_string_buffer(r, len(r)) for r in requests]
    iovs = [Iovec(ctypes.cast(b, ctypes.c_void_p), len(r)) for b, r in zip(keep, requests)]
    out = (Mmsghdr * 3)()
    for i in range(3):
        out[i].hdr.iov = ctypes.pointer(iovs[i])
        out[i].hdr.iovlen = 1
    assert libc.sendmmsg(s.fileno(), out, 3, 0) == 3, ctypes.get_errno()
    assert [out[i].len for i in range(3)] == [len(r) for r in requests]
    bufs = [ctypes.create_string_buffer(4096) for _ in range(5)]
    riovs = [Iovec(ctypes.cast(b, ctypes.c_void_p), 4096) for b in bufs]
    names = [ctypes.create_string_buffer(12) for _ in range(5)]
    inn = (Mmsghdr * 5)()
    for i in range(5):
        inn[i].hdr.iov = ctypes.pointer(riovs[i])
        inn[i].hdr.iovlen = 1
        inn[i].hdr.name = ctypes.cast(names[i], ctypes.c_void_p)
        inn[i].hdr.namelen = 12
    got = libc.recvmmsg(s.fileno(), inn, 5, 0x10000, None)  # MSG_WAITFORONE
    assert got == 3, (got, ctypes.get_errno())
    for i in range(3):
        [(kind, _, rseq, _, _)] = messages(bufs[i].raw[:inn[i].len])
        assert (kind, rseq) == (GENL_ID_CTRL, 200 + i), (kind, rseq)
        assert inn[i].hdr.namelen == 12 and struct.unpack("=HHII", names[i].raw)[0] == socket.AF_NETLINK
    assert libc.recvmmsg(s.fileno(), inn, 5, socket.MSG_DONTWAIT, None) == -1 and ctypes.get_errno() == errno.EAGAIN
    s.close()


CHECKS = {name[len("check_"):]: fn for name, fn in globals().items() if name.startswith("check_")}


def main():
    names = sys.argv[1:] or list(CHECKS)
    env = Env()
    for name in names:
        CHECKS[name](env)
        print("ok", name, flush=True)
    print("all %d checks passed" % len(names))


if __name__ == "__main__":
    main()
