"""A fast stateful soak fuzzer: many emulated processes hammer ONE live daemon (issue #7).

Unlike the hypothesis machines next door (tests/fuzz/machine.py, which compare
every step with Linux and so run a few hundred steps a second), this one only
checks that the daemon survives and answers well-formed replies, so it can
drive hundreds of thousands of syscalls:

* ``--processes`` emulated processes (default 32), each a ``Process.Session``
  stream opened with the raw grpc.aio stubs (some as uid 1000 without
  capabilities), each pipelining batches of calls on its stream;
* a seeded generator per process (``random.Random(seed * 1000003 + index)``)
  that tracks the process's fds from the replies (socket, socketpair, accept,
  dup, F_DUPFD, epoll_create, SCM_RIGHTS received) and picks the op, the fd
  (mostly live ones, often stale or out of range ones) and the arguments
  (valid and garbage sockaddrs, random cmsgs incl. SCM_RIGHTS of random fds,
  option values at the extremes, flags with unknown bits) from the API's own
  vocabulary: the session oneof's calls and ``Invoke`` by socketcall number;
* calls rarely wait: recv/send flags mostly carry MSG_DONTWAIT, sockets are
  mostly SOCK_NONBLOCK, poll/epoll_wait mostly time out at 0.  Every call asks
  for ``report_progress``; one the daemon reports blocked gets ``cancel``
  BLOCK_GRACE seconds later (the EINTR path, no side effect).  A call with no
  reply within HANG_SECONDS is a hang;
* process churn: some processes exit after a few batches, cleanly or by
  cancelling their stream with a batch in flight, and are replaced.

Every reply is checked: the response kind matches the request, its Result is
``ret >= 0`` with no errno, or ``ret = -errno`` with ``error_number`` a Linux
errno and ``error_name`` its glibc name; or it is ``error`` with a documented
code (INVALID_ARGUMENT for a malformed call); never INTERNAL, never a broken
stream.  After the run the caller checks the daemon is healthy and back to its
baseline (tests/fuzz/test_daemon_soak.py does, and so does ``main`` below).

Manual long mode (spawns its own daemon with --metrics unless --target is given)::

    python -m tests.fuzz.soak --syscalls 5000000 --seed 1
    python -m tests.fuzz.soak --syscalls 5000000 --seed 1 --target 127.0.0.1:50051 \\
        [--metrics-url http://127.0.0.1:9100/metrics]
"""
from __future__ import annotations

import argparse
import asyncio
import collections
import errno as _errno
import random
import struct
import sys
import time
from dataclasses import dataclass, field
from typing import Any

import grpc

from client._gen.socketlab.v1 import process_pb2 as pb
from client._gen.socketlab.v1 import process_pb2_grpc as pb_grpc
from client._gen.socketlab.v1 import socketcall_pb2 as sc
from client._gen.socketlab.v1 import types_pb2 as t
from kernel import uapi

BATCH = 24  # calls written back to back on one session before reading their replies
BLOCK_GRACE = 0.2  # a call the daemon reports blocked (progress) gets `cancel` this long after
HANG_SECONDS = 20.0  # a call that does not answer within this (cancelled if it blocked) is a hang
MAX_FDS = 96  # above this many tracked fds, a process mostly closes
CHANNEL_OPTIONS = [("grpc.max_send_message_length", 64 << 20), ("grpc.max_receive_message_length", 64 << 20)]
DOCUMENTED_CALL_ERRORS = {grpc.StatusCode.INVALID_ARGUMENT.value[0]}  # (RESOURCE_EXHAUSTED: never > 10,000 pending)

ERRNOS = set(_errno.errorcode)
INT32_EXTREMES = [0, 1, -1, 2, 255, 256, 65535, 65536, 2**31 - 1, -(2**31), 2**30, -2]
BAD_FDS = [-1, -2, -(2**31), 2**31 - 1, 1023, 1024, 4096, 65536, 0, 1, 2, 3]
PORTS = list(range(47000, 47016))
UNIX_NAMES = [b"\0soak-%d" % k for k in range(12)] + [b"/tmp/soak-%d" % k for k in range(8)]
SOCKOPTS = {
    uapi.SOL_SOCKET: [uapi.SO_DEBUG, uapi.SO_REUSEADDR, uapi.SO_TYPE, uapi.SO_ERROR, uapi.SO_DONTROUTE,
                      uapi.SO_BROADCAST, uapi.SO_SNDBUF, uapi.SO_RCVBUF, uapi.SO_KEEPALIVE, uapi.SO_OOBINLINE,
                      uapi.SO_NO_CHECK, uapi.SO_PRIORITY, uapi.SO_LINGER, uapi.SO_REUSEPORT, uapi.SO_PASSCRED,
                      uapi.SO_PEERCRED, uapi.SO_RCVLOWAT, uapi.SO_SNDLOWAT, uapi.SO_RCVTIMEO, uapi.SO_SNDTIMEO,
                      uapi.SO_BINDTODEVICE, uapi.SO_TIMESTAMP, uapi.SO_ACCEPTCONN, uapi.SO_PEERSEC,
                      uapi.SO_SNDBUFFORCE, uapi.SO_RCVBUFFORCE, uapi.SO_MARK, uapi.SO_PROTOCOL, uapi.SO_DOMAIN,
                      uapi.SO_RXQ_OVFL, uapi.SO_PEEK_OFF, uapi.SO_BUSY_POLL, uapi.SO_INCOMING_CPU, uapi.SO_COOKIE,
                      uapi.SO_PEERGROUPS, uapi.SO_BINDTOIFINDEX],
    uapi.SOL_IP: [uapi.IP_TOS, uapi.IP_TTL, uapi.IP_HDRINCL, uapi.IP_OPTIONS, uapi.IP_RECVOPTS, uapi.IP_RETOPTS,
                  uapi.IP_PKTINFO, uapi.IP_MTU_DISCOVER, uapi.IP_RECVERR, uapi.IP_RECVTTL, uapi.IP_RECVTOS,
                  uapi.IP_MTU, uapi.IP_FREEBIND, uapi.IP_TRANSPARENT, uapi.IP_ORIGDSTADDR, uapi.IP_MINTTL,
                  uapi.IP_NODEFRAG, uapi.IP_CHECKSUM, uapi.IP_BIND_ADDRESS_NO_PORT, uapi.IP_RECVFRAGSIZE,
                  uapi.IP_MULTICAST_IF, uapi.IP_MULTICAST_TTL, uapi.IP_MULTICAST_LOOP, uapi.IP_ADD_MEMBERSHIP,
                  uapi.IP_DROP_MEMBERSHIP, uapi.IP_MULTICAST_ALL, uapi.IP_UNICAST_IF, uapi.IP_LOCAL_PORT_RANGE,
                  uapi.IP_PROTOCOL, uapi.IP_ADD_SOURCE_MEMBERSHIP, uapi.IP_BLOCK_SOURCE, uapi.IP_MSFILTER],
    uapi.SOL_UDP: [uapi.UDP_CORK, uapi.UDP_ENCAP, uapi.UDP_SEGMENT, uapi.UDP_GRO, uapi.UDP_NO_CHECK6_TX],
    uapi.SOL_RAW: [uapi.ICMP_FILTER],
    uapi.SOL_PACKET: [uapi.PACKET_ADD_MEMBERSHIP, uapi.PACKET_DROP_MEMBERSHIP, uapi.PACKET_RECV_OUTPUT,
                      uapi.PACKET_RX_RING, uapi.PACKET_STATISTICS, uapi.PACKET_AUXDATA, uapi.PACKET_ORIGDEV,
                      uapi.PACKET_VERSION, uapi.PACKET_IGNORE_OUTGOING],
    # TCP_NODELAY MAXSEG CORK KEEPIDLE KEEPINTVL KEEPCNT SYNCNT LINGER2 DEFER_ACCEPT WINDOW_CLAMP INFO
    # QUICKACK CONGESTION USER_TIMEOUT NOTSENT_LOWAT, and unknown ones
    uapi.SOL_TCP: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 18, 25, 36, 0, 99],
}
# AF_INET stream sockets (issue #4's TCP): the soak drives them through listen/connect/accept/send/recv on the
# PORTS of 127.0.0.1, so connections, resets and half-closes happen between the processes of one daemon
TCP_TYPES = [(uapi.SOCK_STREAM, 0), (uapi.SOCK_STREAM, uapi.IPPROTO_TCP), (uapi.SOCK_STREAM, 0)]
IOCTLS = [uapi.FIONREAD, uapi.FIONBIO, uapi.FIOASYNC, uapi.SIOCOUTQ, uapi.SIOCGIFNAME, uapi.SIOCGIFCONF,
          uapi.SIOCGIFFLAGS, uapi.SIOCSIFFLAGS, uapi.SIOCGIFADDR, uapi.SIOCGIFINDEX, uapi.SIOCGIFMTU,
          uapi.SIOCSIFMTU, uapi.SIOCGIFHWADDR, uapi.SIOCGSTAMP, 0, 0xFFFFFFFF, 0x5401]
FCNTLS = [uapi.F_DUPFD, uapi.F_GETFD, uapi.F_SETFD, uapi.F_GETFL, uapi.F_SETFL, uapi.F_SETOWN, uapi.F_GETOWN,
          uapi.F_DUPFD_CLOEXEC, 5, 6, 7, 1024, -1]
MSG_FLAGS = [uapi.MSG_OOB, uapi.MSG_PEEK, uapi.MSG_DONTROUTE, uapi.MSG_TRUNC, uapi.MSG_EOR, uapi.MSG_WAITALL,
             uapi.MSG_ERRQUEUE, uapi.MSG_NOSIGNAL, uapi.MSG_MORE, uapi.MSG_CONFIRM, uapi.MSG_CMSG_CLOEXEC,
             uapi.MSG_WAITFORONE, uapi.MSG_FASTOPEN, uapi.MSG_PROXY, uapi.MSG_BATCH, 1 << 23, 1 << 30, -(2**31)]
# fds a call creates: op -> where the new fds are
_CREATES = {"socket", "accept", "accept4", "dup", "epoll_create"}


@dataclass
class Stats:
    """What a soak run did and found."""

    syscalls: int = 0  # replies carrying a Result (the call reached the syscall layer)
    call_errors: int = 0  # documented CallErrors (INVALID_ARGUMENT)
    cancelled: int = 0  # calls that blocked and got `cancel`
    abrupt_exits: int = 0  # sessions cancelled with calls in flight
    processes: int = 0
    seconds: float = 0.0
    errnos: collections.Counter[str] = field(default_factory=collections.Counter)
    ops: collections.Counter[str] = field(default_factory=collections.Counter)
    blocked: collections.Counter[str] = field(default_factory=collections.Counter)  # op -> calls cancelled
    failures: list[str] = field(default_factory=list)

    def fail(self, what: str) -> None:
        if len(self.failures) < 50:
            self.failures.append(what)

    def summary(self) -> str:
        rate = self.syscalls / self.seconds if self.seconds else 0.0
        top = ", ".join(f"{name} {n}" for name, n in self.errnos.most_common(10))
        return (f"soak: {self.syscalls} syscalls ({self.call_errors} malformed -> INVALID_ARGUMENT, "
                f"{self.cancelled} blocked and cancelled) by {self.processes} processes "
                f"({self.abrupt_exits} cancelled mid-batch) in {self.seconds:.1f} s "
                f"= {rate:.0f} syscalls/s\n  errno top 10: {top}\n"
                f"  ops: {', '.join(f'{k} {v}' for k, v in sorted(self.ops.items()))}\n"
                f"  blocked (cancelled): {', '.join(f'{k} {v}' for k, v in self.blocked.most_common())}\n"
                f"  failures: {len(self.failures)}")


class Gen:
    """The seeded op generator of one process: its fds, and random requests from them."""

    def __init__(self, rnd: random.Random, pid: int) -> None:
        self.r = rnd
        self.pid = pid
        self.fds: dict[int, tuple[int, int]] = {}  # fd -> (family, type); (0, 0) = unknown / epoll
        self.stale: list[int] = []
        self.ops = [(name, w) for name, w in _WEIGHTS.items()]
        self.names = [n for n, _ in self.ops]
        self.cum: list[float] = []
        acc = 0.0
        for _, w in self.ops:
            acc += w
            self.cum.append(acc)

    # --- picking -------------------------------------------------------------

    def fd(self) -> int:
        r = self.r.random()
        if self.fds and r < 0.82:
            return self.r.choice(list(self.fds))
        if self.stale and r < 0.92:
            return self.r.choice(self.stale)
        return self.r.choice(BAD_FDS) if r < 0.97 else self.r.randrange(0, 1100)

    def family_of(self, fd: int) -> int:
        return self.fds.get(fd, (0, 0))[0] or self.r.choice([uapi.AF_UNIX, uapi.AF_INET])

    def flags(self, base: int = uapi.MSG_DONTWAIT) -> int:
        if self.r.random() < 0.03:
            base = 0  # a call that may block (on a blocking socket): the daemon reports it, we cancel it
        f = base
        while self.r.random() < 0.3:
            f |= self.r.choice(MSG_FLAGS)
        return _i32(f | base)

    def size(self) -> int:
        r = self.r.random()
        if r < 0.85:
            return self.r.choice([0, 1, 16, 64, 512, 4096, 65536])
        return self.r.choice([2**31 - 1, 2**31, 2**32 - 1, 212992, 1 << 20])

    def addrlen(self) -> int | None:
        if self.r.random() < 0.7:
            return None
        return self.r.choice([0, 1, 2, 3, 16, 110, 127, 128, 2**31, 2**32 - 1, 4096])

    def data(self) -> bytes:
        r = self.r.random()
        if r < 0.6:
            return b"x" * self.r.choice([0, 1, 5, 100, 1000])
        if r < 0.95:
            return self.r.randbytes(self.r.choice([8, 60, 1500, 4000]))
        return b"y" * self.r.choice([65507, 65508, 70000, 300000])

    def sockaddr(self, family: int) -> t.SockAddr:
        r = self.r.random()
        if r < 0.12:  # garbage
            return t.SockAddr(raw=self._garbage_addr())
        if r < 0.18:  # structured forms (some malformed: INVALID_ARGUMENT)
            k = self.r.random()
            if k < 0.4:
                return t.SockAddr(local=t.LocalAddress(path=self.r.choice(UNIX_NAMES)))
            if k < 0.8:
                return t.SockAddr(inet=t.InetAddress(address=self.r.choice(["127.0.0.1", "10.0.0.1", "0.0.0.0"]),
                                                     port=self.r.choice(PORTS)))
            if k < 0.9:
                return t.SockAddr(inet6=t.Inet6Address(address="::1", port=self.r.choice(PORTS)))
            return t.SockAddr(inet=t.InetAddress(address=self.r.choice(["300.1.1.1", "x", ""]),
                                                 port=self.r.choice([1, 70000, 2**32 - 1])))
        if family == uapi.AF_UNIX or (family not in (uapi.AF_INET, uapi.AF_PACKET) and r < 0.5):
            return t.SockAddr(raw=self._unix_addr())
        if family == uapi.AF_PACKET:
            return t.SockAddr(raw=self._ll_addr())
        return t.SockAddr(raw=self._inet_addr())

    def _unix_addr(self) -> bytes:
        r = self.r.random()
        head = struct.pack("<H", uapi.AF_UNIX)
        if r < 0.8:
            return head + self.r.choice(UNIX_NAMES)
        if r < 0.86:
            return head  # autobind (bind) / EINVAL (connect)
        if r < 0.9:
            return head + b"\0"
        if r < 0.95:
            return head + b"/tmp/" + b"L" * self.r.choice([102, 103, 104, 150])  # exactly full and too long
        return head + b"/nonexistent/dir/sock"

    def _inet_addr(self) -> bytes:
        host = self.r.choice(["127.0.0.1"] * 6 + ["0.0.0.0", "10.0.0.1", "10.0.0.2", "127.255.255.255",
                                                 "224.0.0.1", "255.255.255.255", "8.8.8.8", "10.0.0.255"])
        port = self.r.choice(PORTS) if self.r.random() < 0.85 else self.r.choice([0, 1, 80, 65535])
        raw = struct.pack("<H", uapi.AF_INET) + struct.pack(">H", port) + bytes(map(int, host.split("."))) + bytes(8)
        if self.r.random() < 0.05:
            raw = raw[: self.r.choice([2, 4, 8, 15])]
        return raw

    def _ll_addr(self) -> bytes:
        proto = self.r.choice([uapi.ETH_P_ALL, uapi.ETH_P_IP, uapi.ETH_P_ARP, 0, 0xFFFF])
        ifindex = self.r.choice([1, 2, 1, 2, 0, 99, -1])
        halen = self.r.choice([6, 6, 0, 8, 255])
        raw = struct.pack("<HHiHBB8s", uapi.AF_PACKET, _htons(proto), ifindex, 1, 0, halen,
                          bytes([0xFF] * 6 + [0, 0]))
        if self.r.random() < 0.1:
            raw = raw[: self.r.choice([2, 8, 12, 19])]
        return raw

    def _garbage_addr(self) -> bytes:
        k = self.r.randrange(8)
        if k == 0:
            return b""
        if k == 1:
            return self.r.randbytes(1)
        if k == 2:
            return struct.pack("<H", self.r.choice([uapi.AF_UNSPEC, uapi.AF_INET6, uapi.AF_NETLINK, 255, 0xFFFF]))
        if k == 3:  # AF_UNSPEC of a sockaddr_in's size: connect() disconnects a datagram socket
            return struct.pack("<H", uapi.AF_UNSPEC) + bytes(14)
        if k == 4:
            return struct.pack("<H", uapi.AF_INET6) + bytes(26)
        if k == 5:
            return self.r.randbytes(self.r.choice([128, 129, 200, 4096]))  # huge
        if k == 6:
            return struct.pack("<H", self.r.choice([uapi.AF_UNIX, uapi.AF_INET, uapi.AF_PACKET])) + \
                self.r.randbytes(self.r.randrange(0, 40))
        return self.r.randbytes(self.r.randrange(2, 32))

    def control(self) -> t.Control | None:
        r = self.r.random()
        if r < 0.6:
            return None
        if r < 0.9:
            msgs = []
            for _ in range(self.r.choice([1, 1, 1, 2, 3])):
                msgs.append(self._cmsg())
            return t.Control(messages=msgs)
        # raw bytes with lying lengths
        length = self.r.choice([0, 8, 15, 16, 20, 24, 1000, 2**63, 2**64 - 1])
        raw = struct.pack("<QII", length, self.r.choice([1, 0, 255]), self.r.choice([1, 2, 8]))
        raw += self.r.randbytes(self.r.choice([0, 4, 8, 12]))
        if self.r.random() < 0.3:
            raw = raw[: self.r.randrange(0, len(raw) + 1)]
        return t.Control(raw=raw)

    def _cmsg(self) -> t.ControlMessage:
        k = self.r.random()
        if k < 0.55:  # SCM_RIGHTS of random fds (sometimes too many, sometimes misaligned)
            n = self.r.choice([1, 1, 2, 3, 5, 254]) if self.r.random() < 0.98 else 300
            fds = [self.fd() for _ in range(n)]
            data = struct.pack(f"<{n}i", *fds)
            if self.r.random() < 0.05:
                data = data[:-1]
            return t.ControlMessage(level=uapi.SOL_SOCKET, type=uapi.SCM_RIGHTS, data=data)
        if k < 0.7:  # SCM_CREDENTIALS: ours, someone else's, or short
            pid = self.r.choice([self.pid, self.pid, 1, 0, 99999])
            uid = self.r.choice([0, 1000, 65534])
            data = struct.pack("<iII", pid, uid, uid)
            if self.r.random() < 0.1:
                data = data[:8]
            return t.ControlMessage(level=uapi.SOL_SOCKET, type=uapi.SCM_CREDENTIALS, data=data)
        if k < 0.8:  # IP_PKTINFO
            data = struct.pack("<i4s4s", self.r.choice([0, 1, 2, 7]), bytes([127, 0, 0, 1]), bytes(4))
            return t.ControlMessage(level=uapi.SOL_IP, type=uapi.IP_PKTINFO, data=data)
        if k < 0.9:  # IP_TTL / IP_TOS
            typ = self.r.choice([uapi.IP_TTL, uapi.IP_TOS])
            data = struct.pack("<i", self.r.choice([0, 1, 64, 255, 256, -1]))
            if self.r.random() < 0.3:
                data = data[:1]
            return t.ControlMessage(level=uapi.SOL_IP, type=typ, data=data)
        return t.ControlMessage(level=self.r.choice([0, 1, 6, 17, 255, 263, -1]), type=self.r.randrange(0, 40),
                                data=self.r.randbytes(self.r.choice([0, 1, 4, 16])))

    def optval(self, level: int, optname: int) -> tuple[bytes | None, int | None]:
        r = self.r.random()
        if r < 0.25:
            return None, self.r.choice(INT32_EXTREMES)
        if r < 0.55:
            return struct.pack("<i", self.r.choice(INT32_EXTREMES + [4, 8, 64, 1 << 20])), None
        if level == uapi.SOL_SOCKET and optname in (uapi.SO_BINDTODEVICE,):
            return self.r.choice([b"lo\0", b"eth0", b"", b"nope0", b"x" * 20]), None
        if level == uapi.SOL_SOCKET and optname in (uapi.SO_RCVTIMEO, uapi.SO_SNDTIMEO, uapi.SO_LINGER):
            a, b = self.r.choice([0, 1, -1, 2**62]), self.r.choice([0, 1, 999999, 1000000, -1])
            return self.r.choice([struct.pack("<qq", a, b), struct.pack("<ii", a & 1, b & 0xFFFF)]), None
        if level == uapi.SOL_IP and optname in (uapi.IP_ADD_MEMBERSHIP, uapi.IP_DROP_MEMBERSHIP):
            grp = bytes(self.r.choice([[224, 0, 0, 1], [239, 1, 2, 3], [127, 0, 0, 1], [0, 0, 0, 0]]))
            return grp + bytes([127, 0, 0, 1]) + (struct.pack("<i", self.r.choice([0, 1, 2, 9]))
                                                   if self.r.random() < 0.5 else b""), None
        if level == uapi.SOL_PACKET and optname in (uapi.PACKET_ADD_MEMBERSHIP, uapi.PACKET_DROP_MEMBERSHIP):
            return struct.pack("<iHH8s", self.r.choice([1, 2, 0, 77]), self.r.choice([0, 1, 2, 3, 9]),
                               self.r.choice([0, 6, 8, 9]), bytes(8)), None
        return self.r.randbytes(self.r.choice([0, 1, 2, 3, 8, 12, 16, 64, 1000])), None

    # --- ops -----------------------------------------------------------------

    def next(self) -> tuple[str, Any]:
        """One random call: (SessionRequest field, request message)."""
        if len(self.fds) > MAX_FDS and self.r.random() < 0.5:
            return "close", sc.CloseRequest(fd=self.fd())
        x = self.r.random() * self.cum[-1]
        lo = 0
        hi = len(self.cum) - 1
        while lo < hi:
            mid = (lo + hi) // 2
            if self.cum[mid] < x:
                lo = mid + 1
            else:
                hi = mid
        name = self.names[lo]
        return getattr(self, "op_" + name)()  # type: ignore[no-any-return]

    def _family_type_proto(self) -> tuple[int, int, int]:
        r = self.r.random()
        if r < 0.45:
            fam, typ, proto = uapi.AF_UNIX, self.r.choice([uapi.SOCK_STREAM, uapi.SOCK_DGRAM, uapi.SOCK_SEQPACKET]), 0
        elif r < 0.75:
            fam = uapi.AF_INET
            typ, proto = self.r.choice([(uapi.SOCK_DGRAM, 0), (uapi.SOCK_DGRAM, 0), (uapi.SOCK_DGRAM, uapi.IPPROTO_UDP),
                                        (uapi.SOCK_DGRAM, uapi.IPPROTO_ICMP), (uapi.SOCK_RAW, uapi.IPPROTO_ICMP),
                                        (uapi.SOCK_RAW, uapi.IPPROTO_UDP), (uapi.SOCK_RAW, uapi.IPPROTO_RAW),
                                        (uapi.SOCK_STREAM, 0), (uapi.SOCK_DGRAM, uapi.IPPROTO_UDPLITE),
                                        *TCP_TYPES])
        elif r < 0.83:
            fam = uapi.AF_PACKET
            typ = self.r.choice([uapi.SOCK_RAW, uapi.SOCK_DGRAM, uapi.SOCK_PACKET])
            proto = _htons(self.r.choice([uapi.ETH_P_ALL, uapi.ETH_P_IP, uapi.ETH_P_ARP, 0]))
        else:  # invalid or unsupported combinations
            fam = self.r.choice([uapi.AF_INET6, uapi.AF_NETLINK, 0, 3, 45, 46, 99, -1, 2**31 - 1,
                                 uapi.AF_UNIX, uapi.AF_INET])
            typ = self.r.choice([0, uapi.SOCK_RDM, uapi.SOCK_DCCP, 7, 15, -1, uapi.SOCK_RAW, uapi.SOCK_STREAM])
            proto = self.r.choice([0, -1, 1, 6, 17, 255, 256, 262, 2**31 - 1])
        if self.r.random() < 0.9:
            typ |= uapi.SOCK_NONBLOCK
        if self.r.random() < 0.3:
            typ |= uapi.SOCK_CLOEXEC
        if self.r.random() < 0.03:
            typ |= self.r.choice([1 << 20, 1 << 30, 0o10])
        return fam, _i32(typ), proto

    def op_socket(self) -> tuple[str, Any]:
        fam, typ, proto = self._family_type_proto()
        return "socket", sc.SocketRequest(family=fam, type=typ, protocol=proto)

    def op_socketpair(self) -> tuple[str, Any]:
        if self.r.random() < 0.85:
            typ = self.r.choice([uapi.SOCK_STREAM, uapi.SOCK_DGRAM, uapi.SOCK_SEQPACKET]) | uapi.SOCK_NONBLOCK
            return "socketpair", sc.SocketPairRequest(family=uapi.AF_UNIX, type=typ, protocol=0)
        fam, typ, proto = self._family_type_proto()
        return "socketpair", sc.SocketPairRequest(family=fam, type=typ, protocol=proto)

    def op_bind(self) -> tuple[str, Any]:
        fd = self.fd()
        return "bind", sc.BindRequest(fd=fd, address=self.sockaddr(self.family_of(fd)))

    def op_connect(self) -> tuple[str, Any]:
        fd = self.fd()
        return "connect", sc.ConnectRequest(fd=fd, address=self.sockaddr(self.family_of(fd)))

    def op_listen(self) -> tuple[str, Any]:
        return "listen", sc.ListenRequest(fd=self.fd(), backlog=self.r.choice([0, 1, 5, 128, -1, 2**31 - 1, 4097]))

    def op_accept(self) -> tuple[str, Any]:
        req = sc.AcceptRequest(fd=self.fd(), no_address=self.r.random() < 0.2)
        al = self.addrlen()
        if al is not None:
            req.addrlen = al
        return "accept", req

    def op_accept4(self) -> tuple[str, Any]:
        flags = self.r.choice([uapi.SOCK_NONBLOCK, uapi.SOCK_NONBLOCK | uapi.SOCK_CLOEXEC, 0, 1, -1, 1 << 20])
        req = sc.Accept4Request(fd=self.fd(), flags=_i32(flags), no_address=self.r.random() < 0.2)
        al = self.addrlen()
        if al is not None:
            req.addrlen = al
        return "accept4", req

    def op_getname(self) -> tuple[str, Any]:
        al = self.addrlen()
        if self.r.random() < 0.5:
            req: Any = sc.GetSockNameRequest(fd=self.fd())
            kind = "getsockname"
        else:
            req = sc.GetPeerNameRequest(fd=self.fd())
            kind = "getpeername"
        if al is not None:
            req.addrlen = al
        return kind, req

    def op_send(self) -> tuple[str, Any]:
        return "send", sc.SendRequest(fd=self.fd(), data=self.data(), flags=self.flags())

    def op_sendto(self) -> tuple[str, Any]:
        fd = self.fd()
        req = sc.SendToRequest(fd=fd, data=self.data(), flags=self.flags())
        if self.r.random() < 0.85:
            req.address.CopyFrom(self.sockaddr(self.family_of(fd)))
        return "sendto", req

    def _send_hdr(self, fd: int) -> t.SendMsgHeader:
        hdr = t.SendMsgHeader(iov=[self.data() for _ in range(self.r.choice([0, 1, 1, 2, 3]))])
        if self.r.random() < 0.5:
            hdr.address.CopyFrom(self.sockaddr(self.family_of(fd)))
        ctl = self.control()
        if ctl is not None:
            hdr.control.CopyFrom(ctl)
        return hdr

    def op_sendmsg(self) -> tuple[str, Any]:
        fd = self.fd()
        return "sendmsg", sc.SendMsgRequest(fd=fd, flags=self.flags(), message=self._send_hdr(fd))

    def op_sendmmsg(self) -> tuple[str, Any]:
        fd = self.fd()
        n = self.r.choice([0, 1, 2, 4, 8])
        return "sendmmsg", sc.SendMMsgRequest(fd=fd, flags=self.flags(), messages=[self._send_hdr(fd) for _ in range(n)])

    def op_recv(self) -> tuple[str, Any]:
        return "recv", sc.RecvRequest(fd=self.fd(), size=self.size(), flags=self.flags())

    def op_recvfrom(self) -> tuple[str, Any]:
        req = sc.RecvFromRequest(fd=self.fd(), size=self.size(), flags=self.flags())
        al = self.addrlen()
        if al is not None:
            req.addrlen = al
        return "recvfrom", req

    def _recv_hdr(self) -> t.RecvMsgHeader:
        hdr = t.RecvMsgHeader(size=self.size(), controllen=self.r.choice([0, 0, 16, 20, 24, 64, 1024, 2**32 - 1]))
        al = self.addrlen()
        if al is not None:
            hdr.addrlen = al
        return hdr

    def op_recvmsg(self) -> tuple[str, Any]:
        flags = self.flags()
        if self.r.random() < 0.15:
            flags |= uapi.MSG_ERRQUEUE
        return "recvmsg", sc.RecvMsgRequest(fd=self.fd(), flags=flags, message=self._recv_hdr())

    def op_recvmmsg(self) -> tuple[str, Any]:
        n = self.r.choice([0, 1, 2, 4, 8])
        req = sc.RecvMMsgRequest(fd=self.fd(), flags=self.flags(), messages=[self._recv_hdr() for _ in range(n)])
        if self.r.random() < 0.3:
            req.timeout_ns = self.r.choice([0, 1, 1000, -1, 2**62])
        return "recvmmsg", req

    def op_shutdown(self) -> tuple[str, Any]:
        return "shutdown", sc.ShutdownRequest(fd=self.fd(), how=self.r.choice([0, 1, 2, 2, 3, -1]))

    def _level_opt(self) -> tuple[int, int]:
        if self.r.random() < 0.9:
            level = self.r.choice(list(SOCKOPTS))
            return level, self.r.choice(SOCKOPTS[level])
        return self.r.choice([0, 1, 41, 255, 263, 999, -1]), self.r.choice([0, 100, 2**31 - 1, -1, 77])

    def op_setsockopt(self) -> tuple[str, Any]:
        level, optname = self._level_opt()
        raw, ival = self.optval(level, optname)
        req = sc.SetSockOptRequest(fd=self.fd(), level=level, optname=optname)
        if ival is not None:
            req.int_value = ival
        else:
            req.raw = raw or b""
        return "setsockopt", req

    def op_getsockopt(self) -> tuple[str, Any]:
        level, optname = self._level_opt()
        optlen = self.r.choice([4, 4, 4, 0, 1, 2, 3, 8, 12, 16, 64, 256, 2**31, 2**32 - 1, 4096])
        return "getsockopt", sc.GetSockOptRequest(fd=self.fd(), level=level, optname=optname, optlen=optlen)

    def op_close(self) -> tuple[str, Any]:
        return "close", sc.CloseRequest(fd=self.fd())

    def op_dup(self) -> tuple[str, Any]:
        return "dup", sc.DupRequest(fd=self.fd())

    def op_fcntl(self) -> tuple[str, Any]:
        cmd = self.r.choice(FCNTLS)
        if cmd == uapi.F_SETFL:
            arg = self.r.choice([uapi.O_NONBLOCK, uapi.O_NONBLOCK, uapi.O_NONBLOCK | uapi.O_ASYNC, 0, -1, uapi.O_RDWR])
        else:
            arg = self.r.choice([0, 1, 3, 100, 1023, 1024, -1, 2**31 - 1, 2**63 - 1, self.pid])
        return "fcntl", sc.FcntlRequest(fd=self.fd(), cmd=cmd, arg=arg)

    def op_ioctl(self) -> tuple[str, Any]:
        cmd = self.r.choice(IOCTLS)
        arg = self.r.choice([0, 1, -1, 2**63 - 1])
        return "ioctl", sc.IoctlRequest(fd=self.fd(), cmd=cmd, arg=arg)

    def op_poll(self) -> tuple[str, Any]:
        n = self.r.choice([0, 1, 2, 4, 8])
        fds = [t.PollFd(fd=self.fd(), events=self.r.choice([uapi.POLLIN, uapi.POLLOUT, uapi.POLLIN | uapi.POLLOUT,
                                                            0, 0xFFFF, -1, uapi.POLLRDHUP | uapi.POLLPRI]))
               for _ in range(n)]
        return "poll", sc.PollRequest(fds=fds, timeout_ms=self._wait_ms())

    def _wait_ms(self) -> int:
        """poll/epoll_wait's timeout: mostly 0; sometimes a short wait, or forever (then cancelled)."""
        return self.r.choice([0] * 16 + [1, 5, -1])

    def op_epoll_create(self) -> tuple[str, Any]:
        return "epoll_create", sc.EpollCreateRequest(flags=self.r.choice([0, 0, uapi.EPOLL_CLOEXEC, 1, -1]))

    def op_epoll_ctl(self) -> tuple[str, Any]:
        epfds = [fd for fd, kind in self.fds.items() if kind == (-1, -1)]
        epfd = self.r.choice(epfds) if epfds and self.r.random() < 0.85 else self.fd()
        events = self.r.choice([uapi.EPOLLIN, uapi.EPOLLOUT, uapi.EPOLLIN | uapi.EPOLLET,
                                uapi.EPOLLIN | uapi.EPOLLONESHOT, uapi.EPOLLEXCLUSIVE | uapi.EPOLLIN,
                                uapi.EPOLLRDHUP, 0, 0xFFFFFFFF, uapi.EPOLLWAKEUP])
        op = self.r.choice([uapi.EPOLL_CTL_ADD, uapi.EPOLL_CTL_ADD, uapi.EPOLL_CTL_MOD, uapi.EPOLL_CTL_DEL, 0, 4])
        fd = epfd if self.r.random() < 0.05 else self.fd()
        return "epoll_ctl", sc.EpollCtlRequest(epfd=epfd, op=op, fd=fd, events=events,
                                               data=self.r.getrandbits(64))

    def op_epoll_wait(self) -> tuple[str, Any]:
        epfds = [fd for fd, kind in self.fds.items() if kind == (-1, -1)]
        epfd = self.r.choice(epfds) if epfds and self.r.random() < 0.85 else self.fd()
        return "epoll_wait", sc.EpollWaitRequest(epfd=epfd, maxevents=self.r.choice([1, 8, 64, 0, -1, 2**31 - 1]),
                                                 timeout_ms=self._wait_ms())

    def op_unlink(self) -> tuple[str, Any]:
        path = self.r.choice([n for n in UNIX_NAMES if n[:1] == b"/"] + [b"", b"/tmp", b"/nonexistent/x", b"rel"])
        return "unlink", sc.UnlinkRequest(path=path)

    def op_invoke(self) -> tuple[str, Any]:
        """A socketcall by number: the op's arguments as sys_socketcall takes them (sometimes too few,
        too many or ill-typed; sometimes an unknown number)."""
        call = self.r.choice(list(range(1, 21)) + [0, 21, 99, -1])
        args: list[t.SocketCallArg] = []
        nonblocking = {uapi.SYS_RECV, uapi.SYS_RECVFROM, uapi.SYS_RECVMSG, uapi.SYS_RECVMMSG, uapi.SYS_SEND,
                       uapi.SYS_SENDTO, uapi.SYS_SENDMSG, uapi.SYS_SENDMMSG}
        shapes = {
            1: "nnn", 2: "fa", 3: "fa", 4: "fn", 5: "fn", 6: "fn", 7: "fn", 8: "nnn", 9: "fbF", 10: "fnF",
            11: "fbFa", 12: "fnFn", 13: "fn", 14: "fnnb", 15: "fnnn", 16: "fFlab", 17: "fFnnn", 18: "fnn",
            19: "fFRn", 20: "fFS",
        }
        shape = shapes.get(call, "nnn")
        if self.r.random() < 0.08:
            shape = shape[: self.r.randrange(0, len(shape) + 1)] if self.r.random() < 0.5 else shape + "n"
        for ch in shape:
            arg = t.SocketCallArg()
            if self.r.random() < 0.04:
                pass  # NULL
            elif ch == "f":
                arg.number = self.fd()
            elif ch == "n":
                arg.number = self.r.choice([0, 1, 2, 3, 5, 16, 128, -1, 2**31 - 1, 2**63 - 1])
            elif ch == "F":
                arg.number = self.flags() if call in nonblocking else self.r.choice([0, uapi.SOCK_NONBLOCK])
            elif ch == "b":
                arg.buffer = self.data()
            elif ch == "a":
                arg.buffer = self.sockaddr(self.r.choice([uapi.AF_UNIX, uapi.AF_INET])).raw or b""
            elif ch == "l":
                arg.buffers.items.extend(self.data() for _ in range(self.r.choice([0, 1, 2])))
            elif ch == "R":
                arg.recv_messages.items.extend(self._recv_hdr() for _ in range(self.r.choice([0, 1, 3])))
            elif ch == "S":
                arg.send_messages.items.extend(self._send_hdr(-1) for _ in range(self.r.choice([0, 1, 3])))
            args.append(arg)
        return "invoke", sc.InvokeRequest(call=call, args=args)  # type: ignore[arg-type]

    # --- learning from replies ----------------------------------------------

    def learn(self, kind: str, req: Any, body: Any) -> None:
        """Track the fds a successful call created or closed."""
        ret = body.result.ret
        if kind == "close":
            if ret == 0 or req.fd in self.fds:  # (close frees the fd even when it fails with EINTR/EIO)
                self._forget(req.fd)
            return
        if ret < 0:
            return
        if kind == "socket":
            self.fds[ret] = (req.family, req.type & uapi.SOCK_TYPE_MASK)
        elif kind in ("accept", "accept4", "dup"):
            self.fds[ret] = self.fds.get(req.fd, (0, 0))
        elif kind == "epoll_create":
            self.fds[ret] = (-1, -1)
        elif kind == "fcntl" and req.cmd in (uapi.F_DUPFD, uapi.F_DUPFD_CLOEXEC):
            self.fds[ret] = self.fds.get(req.fd, (0, 0))
        elif kind == "socketpair":
            for fd in body.fds:
                self.fds[fd] = (req.family, req.type & uapi.SOCK_TYPE_MASK)
        elif kind == "invoke":
            for fd in body.fds:
                self.fds[fd] = (0, 0)
            if req.call in (uapi.SYS_SOCKET, uapi.SYS_ACCEPT, uapi.SYS_ACCEPT4):
                self.fds[ret] = (0, 0)
            self._scm_rights(body.control)
        elif kind == "recvmsg":
            self._scm_rights(body.message.control)

    def _scm_rights(self, control: t.Control) -> None:
        for cm in control.messages:
            if cm.level == uapi.SOL_SOCKET and cm.type == uapi.SCM_RIGHTS:
                for (fd,) in struct.iter_unpack("<i", cm.data[: len(cm.data) // 4 * 4]):
                    self.fds[fd] = (0, 0)

    def _forget(self, fd: int) -> None:
        if self.fds.pop(fd, None) is not None:
            self.stale.append(fd)
            if len(self.stale) > 32:
                del self.stale[:16]


_WEIGHTS: dict[str, float] = {
    "socket": 7, "socketpair": 4, "bind": 6, "connect": 6, "listen": 3, "accept": 3, "accept4": 3,
    "getname": 3, "send": 8, "sendto": 8, "sendmsg": 7, "sendmmsg": 3, "recv": 7, "recvfrom": 6, "recvmsg": 7,
    "recvmmsg": 3, "shutdown": 2, "setsockopt": 8, "getsockopt": 6, "close": 6, "dup": 2, "fcntl": 3,
    "ioctl": 3, "poll": 3, "epoll_create": 1, "epoll_ctl": 3, "epoll_wait": 2, "unlink": 1, "invoke": 5,
}


def _htons(v: int) -> int:
    return ((v & 0xFF) << 8) | ((v >> 8) & 0xFF)


def _i32(v: int) -> int:
    v &= 0xFFFFFFFF
    return v - (1 << 32) if v >= 1 << 31 else v


# --- checking replies --------------------------------------------------------


def check_reply(kind: str, req: Any, msg: pb.SessionResponse, stats: Stats) -> Any | None:
    """Validate one reply; its body when it carries a Result (else None)."""
    got = msg.WhichOneof("kind")
    if got == "error":
        if msg.error.code in DOCUMENTED_CALL_ERRORS:
            stats.call_errors += 1
        else:
            stats.fail(f"{kind}: CallError code {msg.error.code} {msg.error.message!r} for {_short(req)}")
        return None
    if got != kind:
        stats.fail(f"{kind}: reply of kind {got!r}")
        return None
    body = getattr(msg, kind)
    res = body.result
    stats.syscalls += 1
    ret = res.ret
    if ret >= 0:
        if res.error_number or res.error_name:
            stats.fail(f"{kind}: ret {ret} with error {res.error_number} {res.error_name!r}")
        stats.errnos["ok"] += 1
    else:
        n = -ret
        if n not in ERRNOS or res.error_number != n or res.error_name != uapi.errno_name(n):
            stats.fail(f"{kind}: bad errno ret={ret} error_number={res.error_number} name={res.error_name!r}")
        stats.errnos[res.error_name] += 1
    if ret >= 0:
        _check_outputs(kind, req, body, stats)
    return body


def _check_outputs(kind: str, req: Any, body: Any, stats: Stats) -> None:
    """Light sanity of a successful call's outputs."""
    ret = body.result.ret
    if kind == "socketpair" and len(body.fds) != 2:
        stats.fail(f"socketpair: ret {ret} with fds {list(body.fds)}")
    elif kind in ("recv", "recvfrom") and len(body.data) > min(req.size, max(ret, 0)):
        stats.fail(f"{kind}: {len(body.data)} bytes for size {req.size}, ret {ret}")
    elif kind == "poll" and (len(body.revents) != len(req.fds) or ret > len(req.fds)):
        stats.fail(f"poll: ret {ret}, revents {list(body.revents)} for {len(req.fds)} fds")
    elif kind == "epoll_wait" and (ret != len(body.events) or ret > max(req.maxevents, 0)):
        stats.fail(f"epoll_wait: ret {ret} with {len(body.events)} events (maxevents {req.maxevents})")
    elif kind in ("recvmmsg", "sendmmsg") and ret > len(req.messages):
        stats.fail(f"{kind}: ret {ret} for {len(req.messages)} messages")


def _short(req: Any) -> str:
    text = str(req).replace("\n", " ")
    return text if len(text) < 300 else text[:300] + "..."


# --- one process -------------------------------------------------------------


class Budget:
    """Calls go on until ``target`` replies with a Result have come back (the overshoot is at most a batch
    per process; malformed calls and those of processes cancelled mid-batch do not count)."""

    def __init__(self, target: int, stats: Stats) -> None:
        self.target = target
        self.stats = stats

    @property
    def left(self) -> int:
        return max(0, self.target - self.stats.syscalls)

    def take(self, n: int) -> int:
        return n if self.left > 0 else 0


async def run_process(stub: pb_grpc.ProcessStub, index: int, seed: int, budget: Budget, stats: Stats,
                      journal: collections.deque[str] | None = None) -> None:
    """One slot of emulated processes: one process after another until the budget is spent.

    Most live until the end; some exit after a few batches, either cleanly
    (the client ends the stream) or abruptly (the RPC is cancelled with a batch
    of calls still in flight: the daemon must interrupt them and free it all).
    """
    rnd = random.Random(seed * 1_000_003 + index)
    while budget.left > 0 and len(stats.failures) < 50:
        lifetime = rnd.choice([1 << 30, 1 << 30, 1 << 30, 5, 20, 60])
        await _one_process(stub, index, rnd, lifetime, rnd.random() < 0.5, budget, stats, journal)


async def _one_process(stub: pb_grpc.ProcessStub, index: int, rnd: random.Random, lifetime: int, abrupt: bool,
                       budget: Budget, stats: Stats, journal: collections.deque[str] | None) -> None:
    """One process: open a session, run up to ``lifetime`` batches, end it (``abrupt``: mid-batch)."""
    call = stub.Session()
    opener = pb.OpenProcess()
    if index % 4 == 3:  # an unprivileged process: EPERM/EACCES paths
        opener.uid, opener.gid, opener.capabilities = 1000, 1000, 0
    await call.write(pb.SessionRequest(id=0, open=opener))
    first = await call.read()
    if first is grpc.aio.EOF or first.WhichOneof("kind") != "opened":  # type: ignore[attr-defined]
        stats.fail(f"process {index}: session did not open: {first!r}")
        return
    stats.processes += 1
    gen = Gen(rnd, first.opened.pid)
    waiters: dict[int, asyncio.Future[pb.SessionResponse]] = {}
    kinds: dict[int, str] = {}
    loop = asyncio.get_running_loop()
    wlock = asyncio.Lock()
    cancels: set[asyncio.Task[None]] = set()
    progressed: set[int] = set()

    async def write(req: pb.SessionRequest) -> None:
        async with wlock:
            await call.write(req)

    async def cancel(rid: int) -> None:
        fut = waiters.get(rid)
        if fut is None or fut.done():
            return
        stats.cancelled += 1
        stats.blocked[kinds.get(rid, "?")] += 1
        try:
            await write(pb.SessionRequest(id=rid, cancel=pb.CancelCall()))
        except (grpc.aio.AioRpcError, asyncio.InvalidStateError, grpc.aio.UsageError):
            pass  # the stream is gone (an abrupt exit); its calls no longer matter

    def later(rid: int) -> None:
        task = asyncio.ensure_future(cancel(rid))
        cancels.add(task)
        task.add_done_callback(cancels.discard)

    async def reader() -> None:
        while True:
            msg = await call.read()
            if msg is grpc.aio.EOF:  # type: ignore[attr-defined]
                break
            if msg.WhichOneof("kind") == "progress":  # the call blocks: interrupt it soon
                if msg.id not in waiters:
                    stats.fail(f"process {index}: progress for id {msg.id} nobody waits for")
                progressed.add(msg.id)
                loop.call_later(BLOCK_GRACE, later, msg.id)
                continue
            kinds.pop(msg.id, None)
            fut = waiters.pop(msg.id, None)
            if fut is None:
                stats.fail(f"process {index}: a reply for id {msg.id} nobody waits for")
            elif not fut.done():
                fut.set_result(msg)
        for fut in waiters.values():
            if not fut.done():
                fut.set_exception(ConnectionError("the session stream ended"))

    read_task = asyncio.ensure_future(reader())
    next_id = 1
    try:
        for round_ in range(lifetime):
            n = budget.take(BATCH)
            if n == 0 or len(stats.failures) >= 50:
                break
            batch = []
            for _ in range(n):
                kind, body = gen.next()
                # report_progress: the daemon says when a call blocks (it then gets `cancel`)
                req = pb.SessionRequest(id=next_id, report_progress=True, **{kind: body})
                if rnd.random() < 0.02:
                    req.timeout = rnd.choice([0.0, 0.0, 0.001, 0.01, -1.0, float("nan"), float("inf")])
                fut = loop.create_future()
                waiters[next_id] = fut
                kinds[next_id] = kind
                batch.append((next_id, kind, body, fut))
                if journal is not None:
                    journal.append(f"p{index} #{next_id} {kind} {_short(body)}")
                next_id += 1
                stats.ops[kind] += 1
                await write(req)
            if abrupt and round_ == lifetime - 1:
                stats.abrupt_exits += 1
                return  # (finally: the RPC is cancelled with this batch in flight)
            futs = [f for _, _, _, f in batch]
            _, pending = await asyncio.wait(futs, timeout=HANG_SECONDS)
            if pending:
                for rid, kind, body, fut in batch:
                    if fut in pending:
                        what = "blocked, cancelled" if rid in progressed else "no progress"
                        stats.fail(f"process {index}: call #{rid} {kind} hangs ({what}): {_short(body)}")
                return
            for rid, kind, body, fut in batch:
                exc = fut.exception()
                if exc is not None:
                    stats.fail(f"process {index}: stream broke at #{rid} {kind}: {exc!r}")
                    return
                out = check_reply(kind, body, fut.result(), stats)
                if out is not None:
                    gen.learn(kind, body, out)
        await call.done_writing()
        await asyncio.wait_for(read_task, HANG_SECONDS)
        code = await call.code()
        if code != grpc.StatusCode.OK:
            stats.fail(f"process {index}: session ended with {code}: {await call.details()}")
    except grpc.aio.AioRpcError as exc:
        stats.fail(f"process {index}: stream failed: {exc.code()} {exc.details()}")
    finally:
        read_task.cancel()
        call.cancel()
        for task in list(cancels):
            task.cancel()


async def soak(target: str, syscalls: int, seed: int, processes: int = 32,
               journal: collections.deque[str] | None = None) -> Stats:
    """Run ``syscalls`` calls (replies with a Result, plus the malformed ones) over ``processes`` sessions."""
    stats = Stats()
    started = time.monotonic()
    async with grpc.aio.insecure_channel(target, options=CHANNEL_OPTIONS) as channel:
        stub = pb_grpc.ProcessStub(channel)
        budget = Budget(syscalls, stats)
        await asyncio.gather(*(run_process(stub, i, seed, budget, stats, journal) for i in range(processes)))
    stats.seconds = time.monotonic() - started
    return stats


def run(target: str, syscalls: int, seed: int, processes: int = 32) -> Stats:
    """:func:`soak` in a fresh (uv)loop."""
    try:
        import uvloop

        return uvloop.run(soak(target, syscalls, seed, processes))
    except ImportError:  # pragma: no cover
        return asyncio.run(soak(target, syscalls, seed, processes))


# --- after the run: the daemon is well -----------------------------------


def healthy(target: str) -> bool:
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    with grpc.insecure_channel(target) as ch:
        reply = health_pb2_grpc.HealthStub(ch).Check(health_pb2.HealthCheckRequest(), timeout=10)
    return bool(reply.status == health_pb2.HealthCheckResponse.SERVING)


def resources(url: str) -> tuple[int, int, int]:
    """(processes, open files, asyncio tasks) from a daemon's metrics endpoint."""
    from tests.load.resources import scrape, value

    text = scrape(url)
    return (int(value(text, "socketlab_processes")), int(value(text, "socketlab_open_files")),
            int(value(text, "socketlab_asyncio_tasks")))


def back_to(url: str, base: tuple[int, int, int], timeout: float = 15.0) -> tuple[int, int, int]:
    from tests.load.resources import wait_for

    return wait_for(lambda: resources(url), lambda c: c == base, timeout)


BAD_LOG = ("Traceback", " ERROR ", "internal error", "never retrieved", "destroyed but it is pending")


def bad_log_lines(lines: list[str]) -> list[str]:
    """The daemon's log lines that betray a fault (an exception, an INTERNAL, a lost task)."""
    return [line for line in lines if any(mark in line for mark in BAD_LOG)]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m tests.fuzz.soak", description=__doc__.split("\n\n")[0])
    p.add_argument("--syscalls", type=int, default=100_000)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--processes", type=int, default=32)
    p.add_argument("--target", help="HOST:PORT of a running daemon (default: start one)")
    p.add_argument("--metrics-url", help="its metrics endpoint, for the baseline check (with --target)")
    ns = p.parse_args(argv)
    daemon = None
    url = ns.metrics_url
    target = ns.target
    if target is None:
        from tests.conftest import start_daemon
        from tests.load.resources import metrics_url

        daemon = start_daemon("--metrics", "127.0.0.1:0")
        target, url = daemon.target, metrics_url(daemon)
    ok = True
    try:
        base = resources(url) if url else None
        stats = run(target, ns.syscalls, ns.seed, ns.processes)
        print(stats.summary())
        for failure in stats.failures:
            print("  FAIL", failure)
        ok = not stats.failures
        if not healthy(target):
            print("FAIL: the daemon is not SERVING")
            ok = False
        if url and base is not None:
            after = back_to(url, base)
            print(f"  baseline (processes, files, tasks): {base} -> {after}")
            ok = ok and after == base
    finally:
        if daemon is not None:
            status = daemon.stop()
            if bad_log_lines(daemon.log) or status != 0:
                print(f"FAIL: daemon exit {status}; log tail:\n" + "".join(daemon.log[-40:]))
                ok = False
    print("soak:", "OK" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
