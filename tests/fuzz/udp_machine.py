"""A stateful, differential fuzzer of AF_INET UDP: random syscall sequences, two kernels in lockstep.

:class:`UdpMachine` is the UDP sibling of machine.UnixMachine (same lockstep,
same outcome shapes, same STATS and known-bug mechanism).  Every step is one
syscall, run first on the host's Linux kernel (the stdlib ``socket`` module
on 127.0.0.0/8: the reference) and then on an emulated kernel
(``client.local()``, a fresh host per sequence; the daemon variant uses
``client.connect(daemon)``) with the same arguments.  The two kernels are
separate worlds: each side runs the same program against its own loopback,
so a datagram read on the emulated side was sent by an emulated socket.

What the machine does: UDP sockets (blocking or SOCK_NONBLOCK), bind to
127.0.0.1..4 / 0.0.0.0 with a pool port or port 0, connect (to a pool
address, to the name of another handle, to the broadcast address) and
AF_UNSPEC disconnect, send/sendto/sendmsg (sizes 0..65508, MSG_DONTWAIT /
MSG_MORE / MSG_OOB / MSG_CONFIRM, optional IP_TTL/IP_TOS/IP_PKTINFO cmsgs),
recv/recvfrom/recvmsg (MSG_PEEK / MSG_TRUNC / MSG_DONTWAIT / MSG_ERRQUEUE /
MSG_OOB / MSG_WAITALL, ancillary buffers of several sizes: every cmsg is
compared byte for byte), a curated set of SOL_SOCKET / SOL_IP / SOL_UDP
options (set and get), shutdown, close, getsockname/getpeername, SO_ERROR.
After every step the invariant compares poll() revents of every open handle
(all event bits requested).

Normalisation (what must differ between the kernels):

- ports: the pool ports (POOL_PORTS, chosen at import below the ephemeral
  range and free on this host) are the same numbers on both sides and show as
  ``("P", i)``; any other port is numbered by first appearance on its side,
  ``("eph", k)`` if it lies in ip_local_port_range, else ``("port", k)``: an
  autobound port compares as "the same port as the one seen k-th", never by
  value.  An autobind that picks a port its side numbered before (its socket
  closed, or shared under SO_REUSEADDR) would alias: the sequence is dropped
  (``autobind-realias``; ~1/28000 per autobind and port seen, a few per long
  campaign).
- which socket of a SO_REUSEPORT group gets a datagram is Linux's random
  hash: a send while two SO_REUSEPORT sockets share a port drops the
  sequence (``reuseport-group-delivery``).
- payloads longer than 16 bytes as (length, crc32).
- blocking sockets: a recv on a blocking socket that Linux's poll() does not
  show POLLIN for gets MSG_DONTWAIT added (on both sides) so no step sleeps;
  a step still running after STEP_SECONDS is ``("HUNG",)``.

Loopback delivery is synchronous on Linux: a datagram (and the ICMP port
unreachable a send to a port nobody has provokes) is queued before sendto()
returns (test_udp_stateful.py checks this on the host), so both sides are
compared right after each step.

STATS["udp-<label>"] counts sequences/steps (conftest prints them).
UDP_KNOWN_BUGS lists the emulated-kernel bugs stepped around, each with a
strict-xfail repro in test_udp_regressions.py.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import errno
import os
import random
import select
import socket
import struct
import zlib
from collections.abc import Callable
from typing import Any

from hypothesis import assume
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, consumes, invariant, precondition, rule

from .machine import HostNet, local_net, outcome_then_name, run_step, stats_for

# --------------------------------------------------------------------- config

CI_EXAMPLES = 300
CI_STEPS = 30
DAEMON_EXAMPLES = 80

# Linux values (include/uapi/linux/in.h, udp.h) the socket module may lack
IP_TOS, IP_TTL, IP_PKTINFO, IP_MTU_DISCOVER, IP_RECVERR, IP_RECVTTL, IP_RECVTOS, IP_MTU = 1, 2, 8, 10, 11, 12, 13, 14
IP_MULTICAST_TTL, IP_MULTICAST_LOOP = 33, 34
UDP_CORK = 1
SOL_IP, SOL_UDP = 0, 17
MSG_ERRQUEUE = 0x2000
MSG_CONFIRM = 0x800
POLLRDHUP = 0x2000
POLL_ALL = (select.POLLIN | select.POLLPRI | select.POLLOUT | select.POLLRDNORM | select.POLLRDBAND
            | select.POLLWRNORM | select.POLLWRBAND | POLLRDHUP)


def _pick_pool_ports(count: int = 3) -> list[int]:
    """``count`` UDP ports below the ephemeral range that are free on this host
    (bindable on 0.0.0.0 and 127.0.0.1), chosen once per run."""
    rng = random.Random(os.getpid() ^ int.from_bytes(os.urandom(4), "little"))
    found: list[int] = []
    while len(found) < count:
        port = rng.randrange(20000, 32000)
        if port in found:
            continue
        try:
            for addr in ("0.0.0.0", "127.0.0.1"):
                with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                    s.bind((addr, port))
        except OSError:
            continue
        found.append(port)
    return found


POOL_PORTS: list[int] = _pick_pool_ports()
EPHEMERAL = (32768, 60999)
with contextlib.suppress(OSError, ValueError):
    with open("/proc/sys/net/ipv4/ip_local_port_range") as _f:
        _lo, _hi = (int(x) for x in _f.read().split())
        EPHEMERAL = (_lo, _hi)

ADDRS = {"lo1": "127.0.0.1", "lo2": "127.0.0.2", "lo3": "127.0.0.3", "lo4": "127.0.0.4", "any": "0.0.0.0"}
BCAST = "127.255.255.255"
PORT_KEYS = [*range(len(POOL_PORTS)), "zero"]

SIZES = st.one_of(st.integers(min_value=0, max_value=40),
                  st.sampled_from([0, 1, 100, 548, 1000, 1472, 1473, 4000, 9000, 65507, 65508]))
RECV_SIZES = st.one_of(st.integers(min_value=0, max_value=40), st.sampled_from([100, 600, 2000, 65535, 70000]))
SEND_FLAGS = {"DONTWAIT": socket.MSG_DONTWAIT, "MORE": socket.MSG_MORE, "OOB": socket.MSG_OOB,
              "CONFIRM": MSG_CONFIRM}
RECV_FLAGS = {"PEEK": socket.MSG_PEEK, "TRUNC": socket.MSG_TRUNC, "DONTWAIT": socket.MSG_DONTWAIT,
              "ERRQUEUE": MSG_ERRQUEUE, "OOB": socket.MSG_OOB, "WAITALL": socket.MSG_WAITALL}
#: ancillary buffer sizes: none, short of one cmsg, one int cmsg, pktinfo, the extended error, plenty
ANC_SIZES = [0, 12, 16, 24, 32, 40, 48, 64, 256]

BUF_VALUES = [0, 1, 1024, 2048, 2304, 4096, 8192, 65536, 106496, 212992, 1 << 22, -1]
BOOL_VALUES = [0, 1, 2, -1]
#: option -> (level, optname, values)
OPTS: dict[str, tuple[int, int, list[int]]] = {
    "SO_RCVBUF": (socket.SOL_SOCKET, socket.SO_RCVBUF, BUF_VALUES),
    "SO_SNDBUF": (socket.SOL_SOCKET, socket.SO_SNDBUF, BUF_VALUES),
    "SO_BROADCAST": (socket.SOL_SOCKET, socket.SO_BROADCAST, BOOL_VALUES),
    "SO_REUSEADDR": (socket.SOL_SOCKET, socket.SO_REUSEADDR, BOOL_VALUES),
    "SO_REUSEPORT": (socket.SOL_SOCKET, socket.SO_REUSEPORT, BOOL_VALUES),
    "IP_TTL": (SOL_IP, IP_TTL, [-1, 0, 1, 2, 64, 255, 256]),
    "IP_TOS": (SOL_IP, IP_TOS, [0, 1, 2, 0x10, 0x1c, 0xff, 0x100, -1]),
    "IP_RECVERR": (SOL_IP, IP_RECVERR, BOOL_VALUES),
    "IP_PKTINFO": (SOL_IP, IP_PKTINFO, BOOL_VALUES),
    "IP_RECVTTL": (SOL_IP, IP_RECVTTL, BOOL_VALUES),
    "IP_RECVTOS": (SOL_IP, IP_RECVTOS, BOOL_VALUES),
    "UDP_CORK": (SOL_UDP, UDP_CORK, [0, 1, 2]),
    "IP_MTU_DISCOVER": (SOL_IP, IP_MTU_DISCOVER, [0, 1, 2, 3, 4, 5, 6, -1]),
    "IP_MULTICAST_TTL": (SOL_IP, IP_MULTICAST_TTL, [-1, 0, 1, 255, 256]),
    "IP_MULTICAST_LOOP": (SOL_IP, IP_MULTICAST_LOOP, BOOL_VALUES),
}
#: read-only ones getsockopt also asks
GET_ONLY: dict[str, tuple[int, int]] = {
    "IP_MTU": (SOL_IP, IP_MTU),
    "SO_TYPE": (socket.SOL_SOCKET, socket.SO_TYPE),
    "SO_PROTOCOL": (socket.SOL_SOCKET, socket.SO_PROTOCOL),
}
#: sendmsg cmsgs: (name, value)
SEND_CMSGS = st.one_of(
    st.none(),
    st.tuples(st.just("IP_TTL"), st.sampled_from([0, 1, 64, 255, 256, -1])),
    st.tuples(st.just("IP_TOS"), st.sampled_from([0, 0x10, 0xff, 0x100])),
    st.tuples(st.just("IP_TOS1"), st.sampled_from([0, 0x10, 0xff])),
    st.tuples(st.just("IP_PKTINFO"), st.sampled_from(sorted(ADDRS))),
)

PATTERN = bytes(range(256)) * 262  # 67072 bytes


def payload(seq: int, size: int) -> bytes:
    """The bytes of send number ``seq``: distinct per send, the same on both sides."""
    start = (seq * 37) % 256
    return PATTERN[start:start + size]


def _flags(table: dict[str, int]) -> st.SearchStrategy[frozenset[str]]:
    return st.frozensets(st.sampled_from(sorted(table)), max_size=3)


def _mask(table: dict[str, int], names: frozenset[str]) -> int:
    mask = 0
    for name in names:
        mask |= table[name]
    return mask


def _bytes_view(data: bytes) -> Any:
    return data if len(data) <= 16 else ("len", len(data), "crc", zlib.crc32(data))


def _sockaddr_in(addr: str, port: int, family: int = socket.AF_INET) -> bytes:
    return struct.pack("<H", family) + struct.pack(">H", port) + socket.inet_aton(addr) + bytes(8)


_LIBC: Any = None


def _libc() -> Any:
    global _LIBC
    if _LIBC is None:
        _LIBC = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    return _LIBC


def raw_connect(s: Any, raw: bytes) -> None:
    """connect(2) with raw sockaddr bytes (AF_UNSPEC): libc on Linux, the client's syscall path otherwise."""
    if hasattr(s, "_sys"):
        s._sys("connect", {"addr": raw})
        return
    buf = ctypes.create_string_buffer(raw, len(raw))
    if _libc().connect(s.fileno(), buf, len(raw)) < 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))


def send_cmsg(spec: Any) -> list:
    if spec is None:
        return []
    name, value = spec
    if name == "IP_TTL":
        return [(SOL_IP, IP_TTL, struct.pack("i", value))]
    if name == "IP_TOS":
        return [(SOL_IP, IP_TOS, struct.pack("i", value))]
    if name == "IP_TOS1":
        return [(SOL_IP, IP_TOS, bytes([value]))]
    return [(SOL_IP, IP_PKTINFO, struct.pack("i4s4s", 0, socket.inet_aton(ADDRS[value]), bytes(4)))]


# --------------------------------------------------------------- known bugs

#: Emulated-kernel bugs the machine steps around: name -> one line (Linux vs
#: the emulation, and the suspected function).  Each has a strict-xfail repro
#: in test_udp_regressions.py and a guard here (search for its name): a
#: SIGNATURE dropping a sequence whose mismatch is exactly its symptom, or
#: ``UdpMachine.guard`` dropping a sequence at its trigger.
UDP_KNOWN_BUGS: dict[str, str] = {}


def known(bug: str) -> bool:
    return bug in UDP_KNOWN_BUGS


class Step:
    """A step whose outcomes differ: its rule, arguments, and the outcome on each side."""

    def __init__(self, rule: str, args: dict[str, Any], want: tuple, got: tuple) -> None:
        self.rule, self.args, self.want, self.got = rule, args, want, got


#: bug -> predicate(Step): whether a mismatch is exactly that bug's symptom
SIGNATURES: dict[str, Callable[[Step], bool]] = {}


# ------------------------------------------------------------------- sides


class UdpSide:
    """One kernel: its socket-module-like ``net``, its sockets by handle, its port table."""

    def __init__(self, label: str, net: Any) -> None:
        self.label = label
        self.net = net
        self.socks: dict[int, Any] = {}
        self.every: list[Any] = []
        self.ports: dict[int, int] = {}  # a non-pool port -> order of first appearance

    def sock(self, h: int) -> Any:
        return self.socks[h]

    def port(self, port: int) -> Any:
        if port == 0:
            return 0
        if port in POOL_PORTS:
            return ("P", POOL_PORTS.index(port))
        k = self.ports.setdefault(port, len(self.ports))
        return ("eph", k) if EPHEMERAL[0] <= port <= EPHEMERAL[1] else ("port", k)

    def addr(self, value: Any) -> Any:
        if isinstance(value, tuple) and len(value) == 2:
            return (value[0], self.port(value[1]))
        return value

    def target(self, to: Any) -> tuple[str, int]:
        """("a", addr key, port key) / ("b", port key) (broadcast) / ("h", handle): the address on this side."""
        if to[0] == "h":
            try:
                return self.sock(to[1]).getsockname()
            except OSError:
                return ("0.0.0.0", 0)
        port = 0 if to[-1] == "zero" else POOL_PORTS[to[-1]]
        return (BCAST if to[0] == "b" else ADDRS[to[1]], port)

    def poll(self, handles: list[int]) -> list[int]:
        p = self.net.poll() if self.label != "linux" else select.poll()
        for h in handles:
            p.register(self.sock(h), POLL_ALL)
        ready = dict(p.poll(0))
        return [ready.get(self.sock(h).fileno(), 0) for h in handles]



# ------------------------------------------------------------------ machine

ADDR_TARGETS = st.one_of(
    st.tuples(st.just("a"), st.sampled_from(sorted(ADDRS)), st.sampled_from(PORT_KEYS)),
    st.tuples(st.just("b"), st.sampled_from(PORT_KEYS[:-1])),
)


class UdpMachine(RuleBasedStateMachine):
    """Random AF_INET/UDP syscall sequences on Linux and on the emulated kernel, in lockstep."""

    label = "local"
    buf_values = BUF_VALUES

    socks = Bundle("udp_socks")

    def __init__(self) -> None:
        super().__init__()
        self.stats = stats_for("udp-" + self.label)
        self.stats["sequences"] += 1
        self.next_handle = 0
        self.sends = 0
        self.step_no = 0
        self.host = UdpSide("linux", HostNet())
        self.emu = UdpSide("emulated", self.make_emulated_net())
        self.blocking: dict[int, bool] = {}
        self.last: tuple = ("ok", None)

    def make_emulated_net(self) -> Any:
        return local_net()

    # --- lockstep ------------------------------------------------------------------

    def _run(self, side: UdpSide, op: Callable[[UdpSide], Any]) -> tuple:
        return run_step(lambda: op(side))

    def both(self, what: str, op: Callable[[UdpSide], Any], named: bool = False, autobind: int | None = None,
             **args: Any) -> tuple:
        rule_name = what.split("(")[0]
        self.step_no += 1
        self.stats["steps"] += 1
        self.stats["rule:" + rule_name] += 1
        before = {side.label: (self._port_of(side, autobind), set(side.ports)) for side in (self.host, self.emu)}
        want = self._run(self.host, op)
        got = self._run(self.emu, op)
        if autobind is not None:
            self.skip_realias(autobind, before)
        self.last = want
        shown = want[1][0] if named and want[0] == "ok" else want
        self.stats[f"outcome:{rule_name}:{'ok' if shown[0] == 'ok' else shown[-1]}"] += 1
        if want != got:
            step = Step(rule_name, args, want, got)
            for bug, signature in SIGNATURES.items():
                if known(bug) and signature(step):
                    self.stats["guarded:" + bug] += 1
                    assume(False)
            raise AssertionError(f"step {self.step_no}: {what}\n  linux:    {want!r}\n  emulated: {got!r}")
        return want

    @staticmethod
    def _port_of(side: UdpSide, h: int | None) -> int | None:
        if h is None or h not in side.socks:
            return None
        try:
            return int(side.sock(h).getsockname()[1])
        except OSError:
            return None

    def skip_realias(self, h: int, before: dict[str, tuple[int | None, set[int]]]) -> None:
        """Drop the sequence when a step autobound h (its port was 0) to a port this side has numbered
        before (its socket closed, or a SO_REUSEADDR one): each kernel's random pick, not comparable."""
        for side in (self.host, self.emu):
            old, seen = before[side.label]
            new = self._port_of(side, h)
            if old == 0 and new and new not in POOL_PORTS and new in seen:
                self.stats["guarded:autobind-realias"] += 1
                assume(False)

    def guard(self, bug: str, trigger: bool) -> None:
        if known(bug) and trigger:
            self.stats["guarded:" + bug] += 1
            assume(False)

    def skip_reuseport_group_send(self) -> None:
        """Drop the sequence at a send while two SO_REUSEPORT sockets share a port on Linux: which one a
        datagram reaches is reuseport_select_sock's pick by a hash with a per-boot random secret (and the
        4-tuple's ephemeral port), which no emulation can match.  (Any send, and UDP_CORK off: a pushed
        cork may go elsewhere than the step says.)"""
        ports: dict[int, int] = {}
        for s in self.host.socks.values():
            with contextlib.suppress(OSError):
                port = s.getsockname()[1]
                if port and s.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT):
                    ports[port] = ports.get(port, 0) + 1
        if any(n > 1 for n in ports.values()):
            self.stats["guarded:reuseport-group-delivery"] += 1
            assume(False)

    def with_name(self, what: str, h: int, fn: Callable[[UdpSide], Any], **args: Any) -> tuple:
        """A step that may autobind h: its outcome is fn's, then h's name."""
        return self.both(what, lambda side: outcome_then_name(fn, side, h), named=True, autobind=h, **args)

    def teardown(self) -> None:
        for side in (self.host, self.emu):
            for s in side.every:
                with contextlib.suppress(Exception):
                    s.close()
        with contextlib.suppress(Exception):
            self.emu.net.close()

    def _data(self, size: int) -> bytes:
        self.sends += 1
        return payload(self.sends, size)

    # --- sockets ------------------------------------------------------------------

    @rule(target=socks, nonblock=st.booleans())
    def socket_(self, nonblock: bool) -> Any:
        kind = socket.SOCK_DGRAM | (socket.SOCK_NONBLOCK if nonblock else 0)
        made: dict[str, Any] = {}

        def op(side: UdpSide) -> Any:
            s = side.net.socket(socket.AF_INET, kind)
            side.every.append(s)
            made[side.label] = s
            return int(s.family), int(s.type), s.gettimeout()

        outcome = self.both(f"socket(nonblock={nonblock})", op)
        assume(outcome[0] == "ok" and len(made) == 2)
        h = self.next_handle
        self.next_handle += 1
        self.host.socks[h] = made["linux"]
        self.emu.socks[h] = made["emulated"]
        self.blocking[h] = not nonblock
        return h

    @rule(h=consumes(socks))
    def close(self, h: int) -> None:
        self.both(f"close(h{h})", lambda side: side.sock(h).close())
        for side in (self.host, self.emu):
            side.socks.pop(h, None)

    @rule(h=socks, blocking=st.booleans())
    def setblocking(self, h: int, blocking: bool) -> None:
        self.both(f"setblocking(h{h}, {blocking})", lambda side: side.sock(h).setblocking(blocking))
        if self.last[0] == "ok":
            self.blocking[h] = blocking

    # --- names --------------------------------------------------------------------

    @rule(h=socks, addr=st.sampled_from(sorted(ADDRS)), port=st.sampled_from(PORT_KEYS))
    def bind(self, h: int, addr: str, port: Any) -> None:
        self.both(f"bind(h{h}, {addr}, {port})",
                  lambda side: (side.sock(h).bind(side.target(("a", addr, port))), side.addr(side.sock(h).getsockname())),
                  autobind=h)

    @rule(h=socks)
    def getsockname(self, h: int) -> None:
        self.both(f"getsockname(h{h})", lambda side: side.addr(side.sock(h).getsockname()))

    @rule(h=socks)
    def getpeername(self, h: int) -> None:
        self.both(f"getpeername(h{h})", lambda side: side.addr(side.sock(h).getpeername()))

    # --- connections --------------------------------------------------------------

    @rule(h=socks, to=st.one_of(ADDR_TARGETS, st.tuples(st.just("h"), socks)))
    def connect(self, h: int, to: Any) -> None:
        self.do_connect(h, to)

    def do_connect(self, h: int, to: Any) -> None:
        self.with_name(f"connect(h{h}, {to})", h, lambda side: side.sock(h).connect(side.target(to)), to=to)

    @rule(h=socks, port=st.sampled_from(PORT_KEYS), addr=st.sampled_from(["any", "lo1"]))
    def disconnect(self, h: int, port: Any, addr: str) -> None:
        """connect(AF_UNSPEC): dissolves the association (the address/port in it are ignored)."""

        def fn(side: UdpSide) -> Any:
            address = side.target(("a", addr, port))
            raw_connect(side.sock(h), _sockaddr_in(address[0], address[1], family=socket.AF_UNSPEC))

        self.with_name(f"disconnect(h{h}, {addr}, {port})", h, fn)

    @rule(h=socks, how=st.sampled_from([socket.SHUT_RD, socket.SHUT_WR, socket.SHUT_RDWR, 3]))
    def shutdown(self, h: int, how: int) -> None:
        self.both(f"shutdown(h{h}, {how})", lambda side: side.sock(h).shutdown(how))

    # --- data ----------------------------------------------------------------------

    @rule(h=socks, size=SIZES, flags=_flags(SEND_FLAGS))
    def send(self, h: int, size: int, flags: frozenset[str]) -> None:
        data = self._data(size)
        mask = _mask(SEND_FLAGS, flags)
        self.skip_reuseport_group_send()
        self.with_name(f"send(h{h}, {size}, {sorted(flags)})", h, lambda side: side.sock(h).send(data, mask),
                       size=size, flags=flags)

    @rule(h=socks, size=SIZES, flags=_flags(SEND_FLAGS), to=st.one_of(ADDR_TARGETS, st.tuples(st.just("h"), socks)))
    def sendto(self, h: int, size: int, flags: frozenset[str], to: Any) -> None:
        self.do_sendto(h, size, flags, to)

    def do_sendto(self, h: int, size: int, flags: frozenset[str], to: Any) -> None:
        data = self._data(size)
        mask = _mask(SEND_FLAGS, flags)
        self.skip_reuseport_group_send()
        self.with_name(f"sendto(h{h}, {size}, {sorted(flags)}, {to})", h,
                       lambda side: side.sock(h).sendto(data, mask, side.target(to)), size=size, flags=flags, to=to)

    @rule(h=socks, sizes=st.lists(SIZES, min_size=0, max_size=3), flags=_flags(SEND_FLAGS), cmsg=SEND_CMSGS,
          to=st.none() | ADDR_TARGETS | st.tuples(st.just("h"), socks))
    def sendmsg(self, h: int, sizes: list[int], flags: frozenset[str], cmsg: Any, to: Any) -> None:
        bufs = [self._data(n) for n in sizes]
        mask = _mask(SEND_FLAGS, flags)
        anc = send_cmsg(cmsg)
        self.skip_reuseport_group_send()

        def fn(side: UdpSide) -> Any:
            address = None if to is None else side.target(to)
            return side.sock(h).sendmsg(bufs, anc, mask, address)

        self.with_name(f"sendmsg(h{h}, {sizes}, {sorted(flags)}, {cmsg}, {to})", h, fn,
                       size=sum(sizes), flags=flags, cmsg=cmsg, to=to)

    def _recv_mask(self, h: int, flags: frozenset[str]) -> int:
        """The flags, plus MSG_DONTWAIT on a blocking socket Linux has nothing to read on (no step sleeps)."""
        mask = _mask(RECV_FLAGS, flags)
        if self.blocking.get(h) and not (mask & (socket.MSG_DONTWAIT | MSG_ERRQUEUE)):
            if not self.host.poll([h])[0] & select.POLLIN:
                mask |= socket.MSG_DONTWAIT
        return mask

    @staticmethod
    def _received(data: Any, size: int) -> Any:
        data = bytes(data)
        return len(data), _bytes_view(data[:size])

    @rule(h=socks, size=RECV_SIZES, flags=_flags(RECV_FLAGS))
    def recv(self, h: int, size: int, flags: frozenset[str]) -> None:
        mask = self._recv_mask(h, flags)
        self.both(f"recv(h{h}, {size}, {mask:#x})", lambda side: self._received(side.sock(h).recv(size, mask), size),
                  size=size, flags=flags)

    @rule(h=socks, size=RECV_SIZES, flags=_flags(RECV_FLAGS))
    def recvfrom(self, h: int, size: int, flags: frozenset[str]) -> None:
        mask = self._recv_mask(h, flags)

        def fn(side: UdpSide) -> Any:
            data, addr = side.sock(h).recvfrom(size, mask)
            return self._received(data, size), side.addr(addr)

        self.both(f"recvfrom(h{h}, {size}, {mask:#x})", fn, size=size, flags=flags)

    @rule(h=socks, size=RECV_SIZES, ancsize=st.sampled_from(ANC_SIZES), flags=_flags(RECV_FLAGS))
    def recvmsg(self, h: int, size: int, ancsize: int, flags: frozenset[str]) -> None:
        self.do_recvmsg(h, size, ancsize, flags)

    def do_recvmsg(self, h: int, size: int, ancsize: int, flags: frozenset[str]) -> None:
        mask = self._recv_mask(h, flags)

        def fn(side: UdpSide) -> Any:
            data, anc, msg_flags, addr = side.sock(h).recvmsg(size, ancsize, mask)
            cmsgs = [(level, kind, bytes(raw)) for level, kind, raw in anc]
            return self._received(data, size), cmsgs, hex(msg_flags), side.addr(addr)

        self.both(f"recvmsg(h{h}, {size}, {ancsize}, {mask:#x})", fn, size=size, flags=flags, ancsize=ancsize)

    # --- options ---------------------------------------------------------------------

    @rule(h=socks, opt=st.sampled_from(sorted(OPTS)), data=st.data())
    def setsockopt(self, h: int, opt: str, data: st.DataObject) -> None:
        level, name, values = OPTS[opt]
        if opt in ("SO_RCVBUF", "SO_SNDBUF"):
            values = self.buf_values
        value = data.draw(st.sampled_from(values), label="value")
        if opt == "UDP_CORK" and not value:
            self.skip_reuseport_group_send()
        self.both(f"setsockopt(h{h}, {opt}, {value})", lambda side: side.sock(h).setsockopt(level, name, value),
                  opt=opt, value=value)

    @rule(h=socks, opt=st.sampled_from(sorted(OPTS) + sorted(GET_ONLY)))
    def getsockopt(self, h: int, opt: str) -> None:
        level, name = OPTS[opt][:2] if opt in OPTS else GET_ONLY[opt]
        self.both(f"getsockopt(h{h}, {opt})", lambda side: side.sock(h).getsockopt(level, name), opt=opt)

    @rule(h=socks)
    def so_error(self, h: int) -> None:
        self.both(f"so_error(h{h})",
                  lambda side: errno.errorcode.get(side.sock(h).getsockopt(socket.SOL_SOCKET, socket.SO_ERROR), 0))

    # --- targeted: handles chosen from Linux's side-effect-free view ------------------

    def _handles(self, want: Callable[[Any], bool]) -> list[int]:
        found = []
        for h, s in sorted(self.host.socks.items()):
            with contextlib.suppress(OSError):
                if want(s):
                    found.append(h)
        return found

    @staticmethod
    def _bound(s: Any) -> bool:
        return bool(s.getsockname()[1])

    def _ready(self, h: int, bits: int) -> bool:
        return bool(self.host.poll([h])[0] & bits)

    @precondition(lambda self: self._handles(self._bound))
    @rule(data=st.data(), size=SIZES, flags=_flags(SEND_FLAGS), connect=st.booleans())
    def to_bound(self, data: st.DataObject, size: int, flags: frozenset[str], connect: bool) -> None:
        """connect() or sendto() a socket to a bound socket's name."""
        h = data.draw(st.sampled_from(sorted(self.host.socks)), label="h")
        to = ("h", data.draw(st.sampled_from(self._handles(self._bound)), label="to"))
        if connect:
            self.do_connect(h, to)
        else:
            self.do_sendto(h, size, flags, to)

    @precondition(lambda self: self._handles(self._bound))
    @rule(data=st.data(), count=st.integers(min_value=1, max_value=16), size=SIZES,
          rcvbuf=st.none() | st.sampled_from([0, 1, 1024, 2304, 4096, 8192]))
    def burst(self, data: st.DataObject, count: int, size: int, rcvbuf: int | None) -> None:
        """``count`` sendtos to a bound socket (after a small SO_RCVBUF on it): reaches its rcvbuf drops."""
        h = data.draw(st.sampled_from(sorted(self.host.socks)), label="h")
        to = data.draw(st.sampled_from(self._handles(self._bound)), label="to")
        if rcvbuf is not None:
            self.both(f"setsockopt(h{to}, SO_RCVBUF, {rcvbuf})",
                      lambda side: side.sock(to).setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf),
                      opt="SO_RCVBUF", value=rcvbuf)
        for _ in range(count):
            self.do_sendto(h, size, frozenset(), ("h", to))

    @precondition(lambda self: any(self._ready(h, select.POLLIN | select.POLLERR) for h in self.host.socks))
    @rule(data=st.data(), size=RECV_SIZES, ancsize=st.sampled_from(ANC_SIZES), flags=_flags(RECV_FLAGS))
    def recvmsg_ready(self, data: st.DataObject, size: int, ancsize: int, flags: frozenset[str]) -> None:
        ready = [h for h in sorted(self.host.socks) if self._ready(h, select.POLLIN | select.POLLERR)]
        self.do_recvmsg(data.draw(st.sampled_from(ready), label="h"), size, ancsize, flags)

    @rule(target=socks, addr=st.sampled_from(sorted(ADDRS)), port=st.sampled_from(PORT_KEYS),
          opts=st.lists(st.sampled_from(["SO_REUSEADDR", "SO_REUSEPORT", "IP_RECVERR", "IP_PKTINFO", "IP_RECVTTL",
                                         "IP_RECVTOS", "SO_BROADCAST"]), max_size=2, unique=True))
    def make_bound(self, addr: str, port: Any, opts: list[str]) -> Any:
        """socket(nonblock), the options set to 1, bind(): each a compared step."""
        h = self.socket_(True)
        for opt in opts:
            level, name, _ = OPTS[opt]
            self.both(f"setsockopt(h{h}, {opt}, 1)", lambda side: side.sock(h).setsockopt(level, name, 1),
                      opt=opt, value=1)
        self.bind(h, addr, port)
        return h

    # --- readiness -----------------------------------------------------------------------

    @invariant()
    def readiness_agrees(self) -> None:
        """After every step: poll() revents of every open handle agree (no state change)."""
        if not getattr(self, "host", None) or not self.host.socks:
            return
        live = sorted(self.host.socks)
        want = self._run(self.host, lambda side: side.poll(live))
        got = self._run(self.emu, lambda side: side.poll(live))
        if want != got:
            rows = [f"    h{h}: linux={w:#x} emulated={g:#x}" for h, w, g in zip(live, want[1], got[1]) if w != g] \
                if want[0] == got[0] == "ok" else []
            raise AssertionError(
                f"after step {self.step_no}: poll() revents of the open handles {[f'h{h}' for h in live]}\n"
                f"  linux:    {want!r}\n  emulated: {got!r}\n" + "\n".join(rows)
            )
