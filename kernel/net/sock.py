"""struct socket, struct sock, proto_ops with the sock_no_* stubs, SOL_SOCKET options.

``Socket`` is the BSD-socket half (SS_* state, the family's ``ops``, the
file); ``Sock`` is the protocol half (sk_* fields: queues, buffer sizes and
their accounting, errors, shutdown bits, timeouts, flags, credentials).
``sock_setsockopt`` / ``sock_getsockopt`` implement level SOL_SOCKET as
net/core/sock.c does, including its validation (ENOPROTOOPT, EINVAL, EDOM,
EPERM, EACCES) and buffer rules (values doubled, SOCK_MIN_* floors,
net.core.*mem_max caps).  Lower layers return negative errnos.

Errors: ``sk_err`` (read and cleared by SO_ERROR and by the next call that
reports it) and ``sk_error_queue`` (MSG_ERRQUEUE entries queued with
``sock_queue_err_skb``, charged to sk_rmem_alloc; ``error_report`` wakes
pollers with POLLERR).  ``sk_bound_dev_if`` is SO_BINDTODEVICE /
SO_BINDTOIFINDEX (changing an existing binding needs CAP_NET_RAW; unknown
names ENODEV); ``sk_drops`` counts datagrams the receive buffer refused
(SO_RXQ_OVFL reports it).
"""
from __future__ import annotations

import math
import struct
from collections import deque
from functools import cached_property
from typing import TYPE_CHECKING, Any

from kernel import uapi
from kernel.clock import HZ
from kernel.net.core.dev_ioctl import ENOIOCTLCMD, Ifreq
from kernel.net.core.skbuff import SkBuff
from kernel.net.uaccess import MsgHdr, OptBuf
from kernel.wait import WaitQueue

if TYPE_CHECKING:
    from kernel.fs.file import File
    from kernel.host import Host
    from kernel.process import Process

# socket_state (linux/net.h)
SS_FREE, SS_UNCONNECTED, SS_CONNECTING, SS_CONNECTED, SS_DISCONNECTING = range(5)

# sk_state values shared with TCP (include/net/tcp_states.h)
TCP_ESTABLISHED = 1
TCP_SYN_SENT = 2
TCP_CLOSE = 7
TCP_LISTEN = 10

# sk_shutdown bits
RCV_SHUTDOWN = 1
SEND_SHUTDOWN = 2
SHUTDOWN_MASK = 3

# sk_userlocks
SOCK_SNDBUF_LOCK = 1
SOCK_RCVBUF_LOCK = 2

# struct sock sizes floors (x86_64): 2 * (2048 + SKB truesize overhead) etc.
SOCK_MIN_SNDBUF = 4608
SOCK_MIN_RCVBUF = 2304
INT_MAX = 2**31 - 1

# sock flags (enum sock_flags), by name
SOCK_DBG = "dbg"
SOCK_LOCALROUTE = "localroute"
SOCK_BROADCAST = "broadcast"
SOCK_KEEPOPEN = "keepopen"
SOCK_URGINLINE = "urginline"
SOCK_LINGER = "linger"
SOCK_PASSCRED = "passcred"
SOCK_PASSSEC = "passsec"
SOCK_RCVTSTAMP = "rcvtstamp"
SOCK_RXQ_OVFL = "rxq_ovfl"
SOCK_DEAD = "dead"

_FLAG_OPTS = {
    uapi.SO_DONTROUTE: SOCK_LOCALROUTE,
    uapi.SO_BROADCAST: SOCK_BROADCAST,
    uapi.SO_OOBINLINE: SOCK_URGINLINE,
    uapi.SO_PASSCRED: SOCK_PASSCRED,
    uapi.SO_PASSSEC: SOCK_PASSSEC,
    uapi.SO_TIMESTAMP: SOCK_RCVTSTAMP,
    uapi.SO_RXQ_OVFL: SOCK_RXQ_OVFL,
}
_READ_ONLY_OPTS = (
    uapi.SO_TYPE, uapi.SO_PROTOCOL, uapi.SO_DOMAIN, uapi.SO_ERROR, uapi.SO_PEERCRED,
    uapi.SO_ACCEPTCONN, uapi.SO_PEERSEC, uapi.SO_COOKIE, uapi.SO_PEERGROUPS,
)


class Proto:
    """struct proto: the transport protocol's name and per-protocol hooks."""

    name = "UNKNOWN"

    def keepalive(self, sk: Sock, on: bool) -> None:
        """sk_prot->keepalive (tcp_set_keepalive): SO_KEEPALIVE, called before SOCK_KEEPOPEN changes."""
        return None

    def sockopt_changed(self, sk: Sock, optname: int) -> None:
        """A SOL_SOCKET option the protocol mirrors changed (TCP: SO_SNDBUF/RCVBUF, SO_OOBINLINE, SO_RCVLOWAT)."""
        return None


class Sock:
    """struct sock: the protocol-independent core of a socket."""

    # fields in slots (no per-instance dict for them: issue #8's memory per idle socket)
    __slots__ = ("host", "sk_family", "sk_type", "sk_protocol", "sk_prot", "sk_state", "sk_shutdown", "sk_err",
                 "sk_err_soft", "sk_rcvbuf", "sk_sndbuf", "sk_userlocks", "sk_wmem_alloc", "sk_rmem_alloc",
                 "sk_rcvtimeo_j", "sk_sndtimeo_j", "sk_rcvlowat", "sk_max_ack_backlog", "sk_ack_backlog", "sk_flags",
                 "sk_reuse", "sk_reuseport", "sk_priority", "sk_lingertime", "sk_mark", "sk_no_check_tx",
                 "sk_peek_off", "sk_peer_cred", "sk_socket", "sk_wq", "sk_drops", "sk_bound_dev_if", "sk_tsflags",
                 "__dict__", "__weakref__")


    # The queues are allocated on first use (an empty deque is ~760 bytes; a TCP socket never uses
    # sk_receive_queue, few sockets ever see an error queue): issue #8's memory per idle socket.
    @cached_property
    def sk_receive_queue(self) -> deque[SkBuff]:
        return deque()

    @cached_property
    def sk_error_queue(self) -> deque[SkBuff]:
        """MSG_ERRQUEUE: sock_exterr_skb entries."""
        return deque()

    def __init__(self, host: Host, family: int, type_: int, protocol: int, prot: Proto) -> None:
        self.host = host
        self.sk_family = family
        self.sk_type = type_
        self.sk_protocol = protocol
        self.sk_prot = prot
        self.sk_state = TCP_CLOSE
        self.sk_shutdown = 0
        self.sk_err = 0
        self.sk_err_soft = 0
        self.sk_rcvbuf = host.sysctl["net.core.rmem_default"]
        self.sk_sndbuf = host.sysctl["net.core.wmem_default"]
        self.sk_userlocks = 0
        self.sk_wmem_alloc = 0
        self.sk_rmem_alloc = 0
        self.sk_rcvtimeo_j: int | None = None  # jiffies; None = MAX_SCHEDULE_TIMEOUT
        self.sk_sndtimeo_j: int | None = None
        self.sk_rcvlowat = 1
        self.sk_max_ack_backlog = 0
        self.sk_ack_backlog = 0
        self.sk_flags: set[str] = set()
        self.sk_reuse = 0
        self.sk_reuseport = 0
        self.sk_priority = 0
        self.sk_lingertime = 0
        self.sk_mark = 0
        self.sk_no_check_tx = 0
        self.sk_peek_off = -1
        self.sk_peer_cred: tuple[int, int, int] | None = None  # (pid, uid, gid)
        self.sk_socket: Socket | None = None
        self.sk_wq = WaitQueue()
        self.sk_drops = 0
        self.sk_bound_dev_if = 0  # SO_BINDTODEVICE / SO_BINDTOIFINDEX
        self.sk_tsflags = 0

    # --- flags ---------------------------------------------------------------
    def sock_flag(self, flag: str) -> bool:
        return flag in self.sk_flags

    def sock_set_flag(self, flag: str, on: bool = True) -> None:
        if on:
            self.sk_flags.add(flag)
        else:
            self.sk_flags.discard(flag)

    # --- timeouts (sock_rcvtimeo / sock_sndtimeo), seconds -------------------
    def rcvtimeo(self, nonblock: bool) -> float:
        if nonblock:
            return 0.0
        return math.inf if self.sk_rcvtimeo_j is None else self.sk_rcvtimeo_j / HZ

    def sndtimeo(self, nonblock: bool) -> float:
        if nonblock:
            return 0.0
        return math.inf if self.sk_sndtimeo_j is None else self.sk_sndtimeo_j / HZ

    def sock_rcvlowat(self, waitall: bool, size: int) -> int:
        v = size if waitall else min(self.sk_rcvlowat, size)
        return v or 1

    def sock_error(self) -> int:
        """Take and clear sk_err: -errno or 0."""
        err, self.sk_err = self.sk_err, 0
        return -err if err else 0

    # --- wake-ups (sock_def_readable, sk_write_space, sk_state_change) -------
    def data_ready(self) -> None:
        self.wake(uapi.POLLIN | uapi.POLLRDNORM)

    def write_space(self) -> None:
        self.wake(uapi.POLLOUT | uapi.POLLWRNORM | uapi.POLLWRBAND)

    def state_change(self) -> None:
        self.wake(uapi.POLLIN | uapi.POLLOUT | uapi.POLLHUP | uapi.POLLERR)

    def error_report(self) -> None:
        """sk_error_report (sock_def_error_report): pollers see EPOLLERR."""
        self.wake(uapi.POLLERR)

    def rehash(self) -> None:
        """sk->sk_prot->rehash after the bound device or address changed (no-op by default)."""
        fn = getattr(self.sk_prot, "rehash", None)
        if fn is not None:
            fn(self)

    def wake(self, mask: int) -> None:
        self.sk_wq.wake_up(mask)
        sock = self.sk_socket
        if sock is not None and sock.file is not None:
            sock_wake_async(sock.file, mask)

    # --- memory accounting ---------------------------------------------------
    def skb_set_owner_w(self, skb: SkBuff) -> None:
        skb.sk = self
        self.sk_wmem_alloc += skb.truesize
        skb.destructor = _sock_wfree

    def skb_set_owner_r(self, skb: SkBuff) -> None:
        skb.sk = self
        self.sk_rmem_alloc += skb.truesize
        skb.destructor = _sock_rfree

    def writable_mem(self) -> bool:
        return self.sk_wmem_alloc < self.sk_sndbuf

    def purge_receive_queue(self) -> None:
        while self.sk_receive_queue:
            self.sk_receive_queue.popleft().free()


def _sock_wfree(skb: SkBuff) -> None:
    sk: Sock = skb.sk
    sk.sk_wmem_alloc -= skb.truesize
    if not sk.sock_flag(SOCK_DEAD):
        sk.write_space()


def _sock_rfree(skb: SkBuff) -> None:
    sk: Sock = skb.sk
    sk.sk_rmem_alloc -= skb.truesize


def sock_wake_async(file: File, mask: int) -> None:
    """kill_fasync: SIGIO to the owner of an O_ASYNC file."""
    if not (file.f_flags & uapi.O_ASYNC) or file.f_owner <= 0:
        return
    owner = file.host.processes.get(file.f_owner)
    if owner is None:
        return
    for fd, f in owner.fdtable.items():
        if f is file:
            owner.send_sigio(fd, mask)
            return
    owner.send_sigio(-1, mask)


class Socket:
    """struct socket: state, type, the family's proto_ops, the sock and the file."""

    def __init__(self, host: Host, type_: int) -> None:
        self.host = host
        self.state = SS_UNCONNECTED
        self.type = type_
        self.ops: ProtoOps = NO_OPS
        self.sk: Sock | None = None
        self.file: File | None = None

    @property
    def wq(self) -> WaitQueue:
        return self.sk.sk_wq if self.sk is not None else _EMPTY_WQ


_EMPTY_WQ = WaitQueue()


class ProtoOps:
    """struct proto_ops: every op defaults to its sock_no_* stub."""

    family = uapi.AF_UNSPEC

    def release(self, sock: Socket) -> None:
        return None

    def put(self, sock: Socket) -> None:
        """A reference to the socket's file was dropped but others remain (fput without release)."""
        return None

    def bind(self, sock: Socket, addr: bytes) -> int:
        return sock_no_bind()

    async def connect(self, proc: Process, sock: Socket, addr: bytes, flags: int) -> int:
        return sock_no_connect()

    def socketpair(self, proc: Process, a: Socket, b: Socket) -> int:
        return sock_no_socketpair()

    async def accept(self, proc: Process, sock: Socket, newsock: Socket, flags: int) -> int:
        return sock_no_accept()

    def getname(self, sock: Socket, peer: int) -> bytes | int:
        return sock_no_getname()

    def poll(self, sock: Socket) -> int:
        return 0

    def ioctl(self, sock: Socket, cmd: int, argp: list[int]) -> int:
        return -uapi.ENOTTY

    def ifreq_ioctl(self, proc: Process, sock: Socket, cmd: int, ifr: Ifreq) -> int:
        """proto_ops.ioctl for a struct ifreq command (kernel.net.core.dev_ioctl.IFREQ_CMDS):
        -ENOIOCTLCMD leaves it to dev_ioctl; inet and packet sockets take the IPv4 ones."""
        return -ENOIOCTLCMD

    def listen(self, proc: Process, sock: Socket, backlog: int) -> int:
        return sock_no_listen()

    def shutdown(self, sock: Socket, how: int) -> int:
        return sock_no_shutdown()

    def setsockopt(self, sock: Socket, level: int, optname: int, optval: bytes) -> int:
        return sock_no_setsockopt()

    def getsockopt(self, sock: Socket, level: int, optname: int, opt: OptBuf) -> int:
        return sock_no_getsockopt()

    async def sendmsg(self, proc: Process, sock: Socket, msg: MsgHdr, size: int, flags: int) -> int:
        return sock_no_sendmsg()

    async def recvmsg(self, proc: Process, sock: Socket, msg: MsgHdr, size: int, flags: int) -> int:
        return sock_no_recvmsg()

    def set_peek_off(self, sk: Sock, val: int) -> int:
        return -uapi.EOPNOTSUPP

    has_peek_off = False


# The sock_no_* stubs (net/core/sock.c): what an op a family lacks answers.
def sock_no_bind() -> int:
    return -uapi.EOPNOTSUPP


def sock_no_connect() -> int:
    return -uapi.EOPNOTSUPP


def sock_no_socketpair() -> int:
    return -uapi.EOPNOTSUPP


def sock_no_accept() -> int:
    return -uapi.EOPNOTSUPP


def sock_no_getname() -> int:
    return -uapi.EOPNOTSUPP


def sock_no_listen() -> int:
    return -uapi.EOPNOTSUPP


def sock_no_shutdown() -> int:
    return -uapi.EOPNOTSUPP


def sock_no_setsockopt() -> int:
    return -uapi.EOPNOTSUPP


def sock_no_getsockopt() -> int:
    return -uapi.EOPNOTSUPP


def sock_no_sendmsg() -> int:
    return -uapi.EOPNOTSUPP


def sock_no_recvmsg() -> int:
    return -uapi.EOPNOTSUPP


NO_OPS = ProtoOps()


# --- SOL_SOCKET (sk_setsockopt / sk_getsockopt) -------------------------------

def _set_timeout(optval: bytes) -> tuple[int | None, int]:
    """sock_set_timeout for struct __kernel_old_timeval: (jiffies|None, err)."""
    if len(optval) < 16:
        return None, -uapi.EINVAL
    sec, usec = struct.unpack_from("<qq", optval)
    if usec < 0 or usec >= 1_000_000:
        return None, -uapi.EDOM
    if sec < 0:
        return 0, 0
    if sec == 0 and usec == 0:
        return None, 0
    jiffies = sec * HZ + -(-usec // (1_000_000 // HZ))
    if jiffies >= 2**62:
        return None, 0
    return jiffies, 0


def _get_timeout(jiffies: int | None) -> bytes:
    if jiffies is None:
        return struct.pack("<qq", 0, 0)
    sec, rem = divmod(jiffies, HZ)
    return struct.pack("<qq", sec, rem * 1_000_000 // HZ)


def sock_setsockopt(proc: Process, sock: Socket, optname: int, optval: bytes) -> int:
    sk = sock.sk
    assert sk is not None
    if optname == uapi.SO_BINDTODEVICE:
        return sock_setbindtodevice(proc, sk, optval)
    if len(optval) < 4:
        return -uapi.EINVAL
    val = struct.unpack_from("<i", optval)[0]
    valbool = 1 if val else 0
    host = sk.host

    if optname == uapi.SO_DEBUG:
        if val and not proc.capable(uapi.CAP_NET_ADMIN):
            return -uapi.EACCES
        sk.sock_set_flag(SOCK_DBG, bool(valbool))
    elif optname == uapi.SO_REUSEADDR:
        sk.sk_reuse = valbool
    elif optname == uapi.SO_REUSEPORT:
        if valbool and sk.sk_family not in (uapi.AF_INET, uapi.AF_INET6):
            return -uapi.EOPNOTSUPP
        sk.sk_reuseport = valbool
    elif optname in _READ_ONLY_OPTS:
        return -uapi.ENOPROTOOPT
    elif optname in _FLAG_OPTS:
        sk.sock_set_flag(_FLAG_OPTS[optname], bool(valbool))
    elif optname in (uapi.SO_SNDBUF, uapi.SO_SNDBUFFORCE, uapi.SO_RCVBUF, uapi.SO_RCVBUFFORCE):
        force = optname in (uapi.SO_SNDBUFFORCE, uapi.SO_RCVBUFFORCE)
        snd = optname in (uapi.SO_SNDBUF, uapi.SO_SNDBUFFORCE)
        if force:
            if not proc.capable(uapi.CAP_NET_ADMIN):
                return -uapi.EPERM
            val = max(val, 0)
        else:
            limit = host.sysctl["net.core.wmem_max" if snd else "net.core.rmem_max"]
            val = min(val & 0xFFFFFFFF, limit)  # min_t(u32, val, *mem_max)
        val = min(val, INT_MAX // 2)
        if snd:
            sk.sk_userlocks |= SOCK_SNDBUF_LOCK
            sk.sk_sndbuf = max(val * 2, SOCK_MIN_SNDBUF)
            sk.write_space()
        else:
            sk.sk_userlocks |= SOCK_RCVBUF_LOCK
            sk.sk_rcvbuf = max(val * 2, SOCK_MIN_RCVBUF)
    elif optname == uapi.SO_KEEPALIVE:
        sk.sk_prot.keepalive(sk, bool(valbool))
        sk.sock_set_flag(SOCK_KEEPOPEN, bool(valbool))
    elif optname == uapi.SO_NO_CHECK:
        sk.sk_no_check_tx = valbool
    elif optname == uapi.SO_PRIORITY:
        if (0 <= val <= 6) or proc.capable(uapi.CAP_NET_RAW) or proc.capable(uapi.CAP_NET_ADMIN):
            sk.sk_priority = val
        else:
            return -uapi.EPERM
    elif optname == uapi.SO_LINGER:
        if len(optval) < 8:
            return -uapi.EINVAL
        onoff, linger = struct.unpack_from("<ii", optval)
        if not onoff:
            sk.sock_set_flag(SOCK_LINGER, False)
        else:
            sk.sk_lingertime = min(linger & 0xFFFFFFFF, (2**63 - 1) // HZ) * HZ
            sk.sock_set_flag(SOCK_LINGER, True)
    elif optname == uapi.SO_BSDCOMPAT:
        pass
    elif optname in (uapi.SO_RCVTIMEO, uapi.SO_SNDTIMEO):
        jiffies, err = _set_timeout(optval)
        if err:
            return err
        if optname == uapi.SO_RCVTIMEO:
            sk.sk_rcvtimeo_j = jiffies
        else:
            sk.sk_sndtimeo_j = jiffies
    elif optname == uapi.SO_RCVLOWAT:
        if val < 0:
            val = INT_MAX
        sk.sk_rcvlowat = val or 1
    elif optname == uapi.SO_MARK:
        if not proc.capable(uapi.CAP_NET_RAW) and not proc.capable(uapi.CAP_NET_ADMIN):
            return -uapi.EPERM
        if sk.sk_mark != val & 0xFFFFFFFF:  # sock_set_mark: a new mark forgets the cached route
            sk.sk_mark = val & 0xFFFFFFFF
            if hasattr(sk, "sk_dst_cache"):
                sk.sk_dst_cache = None
    elif optname == uapi.SO_PEEK_OFF:
        if not sock.ops.has_peek_off:
            return -uapi.EOPNOTSUPP
        return sock.ops.set_peek_off(sk, val)
    elif optname == uapi.SO_BINDTOIFINDEX:
        return sock_bindtoindex(proc, sk, val)
    else:
        return -uapi.ENOPROTOOPT
    sk.sk_prot.sockopt_changed(sk, optname)
    return 0


def sock_getsockopt(proc: Process, sock: Socket, optname: int, opt: OptBuf) -> int:
    sk = sock.sk
    assert sk is not None
    if opt.size < 0:
        return -uapi.EINVAL
    v: bytes
    if optname == uapi.SO_DEBUG:
        v = _i(sk.sock_flag(SOCK_DBG))
    elif optname in _FLAG_OPTS:
        v = _i(sk.sock_flag(_FLAG_OPTS[optname]))
    elif optname == uapi.SO_KEEPALIVE:
        v = _i(sk.sock_flag(SOCK_KEEPOPEN))
    elif optname == uapi.SO_SNDBUF:
        v = _i(sk.sk_sndbuf)
    elif optname == uapi.SO_RCVBUF:
        v = _i(sk.sk_rcvbuf)
    elif optname == uapi.SO_REUSEADDR:
        v = _i(sk.sk_reuse)
    elif optname == uapi.SO_REUSEPORT:
        v = _i(sk.sk_reuseport)
    elif optname == uapi.SO_TYPE:
        v = _i(sock.type)
    elif optname == uapi.SO_PROTOCOL:
        v = _i(sk.sk_protocol)
    elif optname == uapi.SO_DOMAIN:
        v = _i(sk.sk_family)
    elif optname == uapi.SO_ERROR:
        err = -sk.sock_error()
        if err == 0:
            err, sk.sk_err_soft = sk.sk_err_soft, 0
        v = _i(err)
    elif optname == uapi.SO_NO_CHECK:
        v = _i(sk.sk_no_check_tx)
    elif optname == uapi.SO_PRIORITY:
        v = _i(sk.sk_priority)
    elif optname == uapi.SO_LINGER:
        v = struct.pack("<ii", int(sk.sock_flag(SOCK_LINGER)), sk.sk_lingertime // HZ)
    elif optname == uapi.SO_BSDCOMPAT:
        v = _i(0)
    elif optname == uapi.SO_RCVTIMEO:
        v = _get_timeout(sk.sk_rcvtimeo_j)
    elif optname == uapi.SO_SNDTIMEO:
        v = _get_timeout(sk.sk_sndtimeo_j)
    elif optname == uapi.SO_RCVLOWAT:
        v = _i(sk.sk_rcvlowat)
    elif optname == uapi.SO_SNDLOWAT:
        v = _i(1)
    elif optname == uapi.SO_PEERCRED:
        pid, uid, gid = sk.sk_peer_cred or (0, 0xFFFFFFFF, 0xFFFFFFFF)
        v = struct.pack("<iII", pid, uid & 0xFFFFFFFF, gid & 0xFFFFFFFF)
    elif optname == uapi.SO_ACCEPTCONN:
        v = _i(sk.sk_state == TCP_LISTEN)
    elif optname == uapi.SO_MARK:
        v = _i(sk.sk_mark)
    elif optname == uapi.SO_PEEK_OFF:
        if not sock.ops.has_peek_off:
            return -uapi.EOPNOTSUPP
        v = _i(sk.sk_peek_off)
    elif optname == uapi.SO_COOKIE:
        v = struct.pack("<Q", id(sk) & 0xFFFFFFFFFFFF)
    elif optname == uapi.SO_INCOMING_CPU:
        v = _i(-1)
    elif optname == uapi.SO_BUSY_POLL:
        v = _i(0)
    elif optname == uapi.SO_PEERSEC:
        return -uapi.ENOPROTOOPT
    elif optname == uapi.SO_BINDTODEVICE:
        return sock_getbindtodevice(sk, opt)
    elif optname == uapi.SO_BINDTOIFINDEX:
        v = _i(sk.sk_bound_dev_if)
    else:
        return -uapi.ENOPROTOOPT
    n = min(opt.size, len(v))
    opt.data = v[:n]
    opt.size = n
    return 0


def sock_bindtoindex(proc: Process, sk: Sock, ifindex: int) -> int:
    """sock_bindtoindex_locked: changing an existing binding needs CAP_NET_RAW; unknown index ENODEV."""
    if sk.sk_bound_dev_if and not proc.capable(uapi.CAP_NET_RAW):
        return -uapi.EPERM
    if ifindex < 0:
        return -uapi.EINVAL
    if ifindex and ifindex not in sk.host.netns.dev_index_head:
        return -uapi.ENODEV
    sk.sk_bound_dev_if = ifindex
    if hasattr(sk, "sk_dst_cache"):
        sk.sk_dst_cache = None
    sk.rehash()
    return 0


def sock_setbindtodevice(proc: Process, sk: Sock, optval: bytes) -> int:
    """sock_setbindtodevice: a name up to IFNAMSIZ-1 bytes; empty unbinds."""
    name = optval[: uapi.IFNAMSIZ - 1].split(b"\0", 1)[0]
    index = 0
    if name:
        dev = sk.host.netns.dev_name_head.get(name.decode("latin-1"))
        if dev is None:
            return -uapi.ENODEV
        index = dev.ifindex
    return sock_bindtoindex(proc, sk, index)


def sock_getbindtodevice(sk: Sock, opt: OptBuf) -> int:
    """sock_getbindtodevice: EINVAL under IFNAMSIZ of room; the name with its NUL, or nothing."""
    if opt.size < uapi.IFNAMSIZ:
        return -uapi.EINVAL
    if not sk.sk_bound_dev_if:
        opt.data, opt.size = b"", 0
        return 0
    dev = sk.host.netns.dev_index_head.get(sk.sk_bound_dev_if)
    if dev is None:
        return -uapi.ENODEV
    raw = dev.name.encode() + b"\0"
    opt.data, opt.size = raw, len(raw)
    return 0


def sock_queue_err_skb(sk: Sock, skb: SkBuff) -> int:
    """sock_queue_err_skb: charge rmem (ENOMEM when it would reach rcvbuf), queue, report."""
    if sk.sk_rmem_alloc + skb.truesize >= sk.sk_rcvbuf:
        return -uapi.ENOMEM
    skb.destructor = None
    sk.skb_set_owner_r(skb)
    sk.sk_error_queue.append(skb)
    if not sk.sock_flag(SOCK_DEAD):
        sk.error_report()
    return 0


def _i(value: int | bool) -> bytes:
    return struct.pack("<i", int(value))


def sk_set_peer_cred(sk: Sock, proc: Any) -> None:
    sk.sk_peer_cred = (proc.pid, proc.uid, proc.gid)
