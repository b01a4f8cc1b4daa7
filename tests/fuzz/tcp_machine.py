"""A stateful, differential fuzzer of AF_INET TCP: random syscall sequences, two kernels in lockstep.

:class:`TcpMachine` is the TCP sibling of udp_machine.UdpMachine (same
lockstep, outcome shapes, STATS and known-bug mechanism).  Every step is one
syscall run first on the host's Linux kernel (stdlib ``socket`` on
127.0.0.0/8: the reference) and then on an emulated kernel
(``client.local()``, a fresh host per sequence; the daemon variant uses
``client.connect(daemon)``) with the same arguments; after every step the
poll() revents of every open handle are compared (all event bits).

Steps: socket (blocking or SOCK_NONBLOCK), bind (127.0.0.1 / 127.0.0.2 /
0.0.0.0, a pool port or 0), listen (backlog 0..3), connect (to a pool
address or to another handle's name; blocking or not), accept (on a
listener), send (0..1000 bytes; MSG_DONTWAIT / MSG_MORE / MSG_OOB /
MSG_NOSIGNAL), recv (0..2000; MSG_PEEK / MSG_DONTWAIT / MSG_OOB /
MSG_TRUNC / MSG_WAITALL), shutdown (RD / WR / RDWR / 3), close, setsockopt
and getsockopt of SO_REUSEADDR, SO_KEEPALIVE, SO_OOBINLINE, SO_LINGER,
TCP_NODELAY, TCP_KEEPIDLE / KEEPINTVL / KEEPCNT, TCP_USER_TIMEOUT,
TCP_MAXSEG, TCP_LINGER2, TCP_SYNCNT, TCP_QUICKACK, TCP_NOTSENT_LOWAT,
SO_RCVLOWAT (get only: SO_TYPE, SO_ERROR, SO_ACCEPTCONN), getsockname,
getpeername.  A step that could block on Linux gets MSG_DONTWAIT (recv) or is
left out (accept on a blocking listener with nothing queued); a step still
running after STEP_SECONDS is ``("HUNG",)``.

Normalisation: pool ports are fresh per sequence (chosen free for TCP on the
host: a TIME-WAIT left by an earlier sequence would make Linux's bind fail
where the fresh emulated host's succeeds) and show as ``("P", i)``; other
ports are numbered by first appearance per side (``("eph", k)``); payloads
longer than 16 bytes as (length, crc32).

Sequences dropped because their outcome depends on timing or randomness
(``STATS["tcp-<label>"]["guarded:<name>"]`` counts them):

- ``autobind-realias``: an autobind/ephemeral port a side numbered before
  (each kernel's random pick; as in the UDP machine);
- ``syn-to-full-queue``: a connect to a listener whose accept queue is full
  (Linux drops the SYN and retries it 1 s, 3 s, ... later: when the
  connection completes is a timer's business);
- ``near-buffer-limits``: more than BUFFER_GUARD bytes unread on a
  connection (how much a nonblocking send takes near sk_sndbuf / the peer's
  window depends on skb truesize accounting and delayed ACK timers);
- ``linger-blocking-close``: close() of a blocking socket with SO_LINGER on
  and unacknowledged data (waits for ACKs: timer-dependent);
- ``orphan-after-close``: readiness of the peer of a socket closed with
  unsent/unread data after a step that reads SO_ERROR (RST vs FIN ordering
  is synchronous, but the orphan's FIN-WAIT-2 timer is not) -- not needed so
  far, kept for completeness;
- ``self-connect``: a connect() to the socket's own name (TCP simultaneous
  open with itself): both ends are one socket, so its delayed-ACK and
  pingpong decisions (TCP_QUICKACK's value, when the FIN it sends itself is
  acknowledged) hang on the wall-clock gap between steps; a loaded machine
  saw POLLRDHUP and TCP_QUICKACK differ;
- ``quickack-off-connect``: a connect() from a socket that set TCP_QUICKACK 0
  (pingpong mode in SYN-SENT): the handshake's last ACK then waits 200 ms of
  the host's real time, so what the next steps see hangs on the wall-clock gap
  between them; test_tcp_regressions.py checks that behaviour in one go;
- getsockopt(TCP_QUICKACK) is set but never read back: its value is
  !inet_csk_in_pingpong_mode, which tcp_event_data_sent bumps only when a send
  follows a receive within the ACK timeout (ato): a timing question;
- TCP_CORK and TCP_DEFER_ACCEPT are left out altogether: a corked partial
  segment goes out on the 200 ms autocork timer and a deferred child is
  accepted when its SYN-ACK retransmission timer fires.

TCP_KNOWN_BUGS lists emulated-kernel mismatches stepped around, each with a
strict-xfail repro in test_tcp_regressions.py.
"""

from __future__ import annotations

import contextlib
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

CI_EXAMPLES = 150
CI_STEPS = 30
DAEMON_EXAMPLES = 30
BUFFER_GUARD = 24000

SOL_TCP = 6
TCP_NODELAY, TCP_MAXSEG, TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT, TCP_SYNCNT, TCP_LINGER2 = 1, 2, 4, 5, 6, 7, 8
TCP_QUICKACK, TCP_USER_TIMEOUT, TCP_NOTSENT_LOWAT = 12, 18, 25
POLLRDHUP = 0x2000
POLL_ALL = (select.POLLIN | select.POLLPRI | select.POLLOUT | select.POLLRDNORM | select.POLLRDBAND
            | select.POLLWRNORM | select.POLLWRBAND | POLLRDHUP | select.POLLERR | select.POLLHUP)
EPHEMERAL = (32768, 60999)
with contextlib.suppress(OSError, ValueError):
    with open("/proc/sys/net/ipv4/ip_local_port_range") as _f:
        _lo, _hi = (int(x) for x in _f.read().split())
        EPHEMERAL = (_lo, _hi)

ADDRS = {"lo1": "127.0.0.1", "lo2": "127.0.0.2", "any": "0.0.0.0"}
NPOOL = 3
PORT_KEYS: list[Any] = [*range(NPOOL), "zero"]
_RNG = random.Random(os.getpid() ^ int.from_bytes(os.urandom(4), "little"))


def fresh_pool_ports(count: int = NPOOL) -> list[int]:
    """``count`` TCP ports below the ephemeral range, bindable now on 0.0.0.0 and 127.0.0.1/2 without
    SO_REUSEADDR (so no TIME-WAIT or listener holds them on this host)."""
    found: list[int] = []
    while len(found) < count:
        port = _RNG.randrange(20000, 32000)
        if port in found:
            continue
        try:
            for addr in ("0.0.0.0", "127.0.0.1", "127.0.0.2"):
                with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
                    s.bind((addr, port))
        except OSError:
            continue
        found.append(port)
    return found


SEND_SIZES = st.one_of(st.integers(min_value=0, max_value=20), st.sampled_from([0, 1, 100, 536, 1000]))
RECV_SIZES = st.one_of(st.integers(min_value=0, max_value=20), st.sampled_from([1, 100, 2000]))
SEND_FLAGS = {"DONTWAIT": socket.MSG_DONTWAIT, "MORE": socket.MSG_MORE, "OOB": socket.MSG_OOB,
              "NOSIGNAL": socket.MSG_NOSIGNAL}
RECV_FLAGS = {"PEEK": socket.MSG_PEEK, "DONTWAIT": socket.MSG_DONTWAIT, "OOB": socket.MSG_OOB,
              "TRUNC": socket.MSG_TRUNC, "WAITALL": socket.MSG_WAITALL}
BOOL = [0, 1, -1, 2]
OPTS: dict[str, tuple[int, int, list[Any]]] = {
    "SO_REUSEADDR": (socket.SOL_SOCKET, socket.SO_REUSEADDR, BOOL),
    "SO_KEEPALIVE": (socket.SOL_SOCKET, socket.SO_KEEPALIVE, BOOL),
    "SO_OOBINLINE": (socket.SOL_SOCKET, socket.SO_OOBINLINE, BOOL),
    "SO_LINGER": (socket.SOL_SOCKET, socket.SO_LINGER,
                  [struct.pack("ii", 0, 0), struct.pack("ii", 1, 0), struct.pack("ii", 1, 5), b"\x01\x00\x00\x00"]),
    "SO_RCVLOWAT": (socket.SOL_SOCKET, socket.SO_RCVLOWAT, [0, 1, 5, 100, -1]),
    "TCP_NODELAY": (SOL_TCP, TCP_NODELAY, BOOL),
    "TCP_KEEPIDLE": (SOL_TCP, TCP_KEEPIDLE, [0, 1, 60, 32767, 32768, -1]),
    "TCP_KEEPINTVL": (SOL_TCP, TCP_KEEPINTVL, [0, 1, 75, 32767, 32768]),
    "TCP_KEEPCNT": (SOL_TCP, TCP_KEEPCNT, [0, 1, 9, 127, 128]),
    "TCP_USER_TIMEOUT": (SOL_TCP, TCP_USER_TIMEOUT, [0, 1, 1000, -1]),
    "TCP_MAXSEG": (SOL_TCP, TCP_MAXSEG, [0, 1, 87, 88, 536, 1460, 32767, 32768]),
    "TCP_LINGER2": (SOL_TCP, TCP_LINGER2, [-1, 0, 1, 60, 121]),
    "TCP_SYNCNT": (SOL_TCP, TCP_SYNCNT, [0, 1, 6, 127, 128]),
    "TCP_QUICKACK": (SOL_TCP, TCP_QUICKACK, [0, 1]),
    "TCP_NOTSENT_LOWAT": (SOL_TCP, TCP_NOTSENT_LOWAT, [0, 1, 16384, -1]),
}
GET_ONLY: dict[str, tuple[int, int]] = {
    "SO_TYPE": (socket.SOL_SOCKET, socket.SO_TYPE),
    "SO_ACCEPTCONN": (socket.SOL_SOCKET, socket.SO_ACCEPTCONN),
    "SO_PROTOCOL": (socket.SOL_SOCKET, socket.SO_PROTOCOL),
}
PATTERN = bytes(range(256)) * 16


def payload(seq: int, size: int) -> bytes:
    start = (seq * 37) % 256
    return PATTERN[start:start + size]


def _flags(table: dict[str, int]) -> st.SearchStrategy[frozenset[str]]:
    return st.frozensets(st.sampled_from(sorted(table)), max_size=2)


def _mask(table: dict[str, int], names: frozenset[str]) -> int:
    mask = 0
    for name in names:
        mask |= table[name]
    return mask


def _bytes_view(data: bytes) -> Any:
    return data if len(data) <= 16 else ("len", len(data), "crc", zlib.crc32(data))


# --------------------------------------------------------------- known bugs

#: Emulated-kernel TCP mismatches the machine steps around: name -> one line.  Each has a strict-xfail
#: repro in test_tcp_regressions.py and a signature below (a mismatch that is exactly its symptom
#: drops the sequence).  Remove the entry when the kernel is fixed (the repro then XPASSes strictly).
TCP_KNOWN_BUGS: dict[str, str] = {}


class Step:
    def __init__(self, rule: str, args: dict[str, Any], want: tuple, got: tuple) -> None:
        self.rule, self.args, self.want, self.got = rule, args, want, got


SIGNATURES: dict[str, Callable[[Step], bool]] = {}


# ------------------------------------------------------------------- sides


class TcpSide:
    """One kernel: its socket-module-like ``net``, its sockets by handle, its port table."""

    def __init__(self, label: str, net: Any, pool: list[int]) -> None:
        self.label = label
        self.net = net
        self.pool = pool
        self.socks: dict[int, Any] = {}
        self.every: list[Any] = []
        self.ports: dict[int, int] = {}

    def sock(self, h: int) -> Any:
        return self.socks[h]

    def port(self, port: int) -> Any:
        if port == 0:
            return 0
        if port in self.pool:
            return ("P", self.pool.index(port))
        k = self.ports.setdefault(port, len(self.ports))
        return ("eph", k) if EPHEMERAL[0] <= port <= EPHEMERAL[1] else ("port", k)

    def addr(self, value: Any) -> Any:
        if isinstance(value, tuple) and len(value) == 2:
            return (value[0], self.port(value[1]))
        return value

    def target(self, to: Any) -> tuple[str, int]:
        if to[0] == "h":
            try:
                name = self.sock(to[1]).getsockname()
                return ("127.0.0.1" if name[0] == "0.0.0.0" else name[0], name[1])
            except OSError:
                return ("127.0.0.1", 0)
        port = 0 if to[2] == "zero" else self.pool[to[2]]
        return (ADDRS[to[1]] if to[1] != "any" else "127.0.0.1", port)

    def poll(self, handles: list[int]) -> list[int]:
        p = self.net.poll() if self.label != "linux" else select.poll()
        for h in handles:
            p.register(self.sock(h), POLL_ALL)
        ready = dict(p.poll(0))
        return [ready.get(self.sock(h).fileno(), 0) for h in handles]



ADDR_TARGETS = st.tuples(st.just("a"), st.sampled_from(sorted(ADDRS)), st.sampled_from(PORT_KEYS))


class TcpMachine(RuleBasedStateMachine):
    """Random AF_INET/TCP syscall sequences on Linux and on the emulated kernel, in lockstep."""

    label = "local"
    socks = Bundle("tcp_socks")

    def __init__(self) -> None:
        super().__init__()
        self.stats = stats_for("tcp-" + self.label)
        self.stats["sequences"] += 1
        self.next_handle = 0
        self.sends = 0
        self.step_no = 0
        pool = fresh_pool_ports()
        self.host = TcpSide("linux", HostNet(), pool)
        self.emu = TcpSide("emulated", self.make_emulated_net(), pool)
        self.blocking: dict[int, bool] = {}
        self.last: tuple = ("ok", None)
        self.listeners: dict[int, int] = {}  # handle -> backlog
        self.lingering: set[int] = set()  # handles with SO_LINGER on
        self.quickack_off: set[int] = set()  # handles that set TCP_QUICKACK 0 (see quickack-off-connect)
        self.bound: set[int] = set()  # handles bound explicitly (SOCK_BINDPORT_LOCK)

    def make_emulated_net(self) -> Any:
        return local_net()

    # --- lockstep ------------------------------------------------------------------

    def _run(self, side: TcpSide, op: Callable[[TcpSide], Any]) -> tuple:
        return run_step(lambda: op(side))

    def guard(self, bug: str, trigger: bool) -> None:
        """Drop the sequence at a known bug's trigger."""
        if bug in TCP_KNOWN_BUGS and trigger:
            self.drop(bug)

    def drop(self, why: str) -> None:
        self.stats["guarded:" + why] += 1
        assume(False)

    def both(self, what: str, op: Callable[[TcpSide], Any], autobind: int | None = None, **args: Any) -> tuple:
        rule_name = what.split("(")[0]
        self.step_no += 1
        self.stats["steps"] += 1
        self.stats["rule:" + rule_name] += 1
        before = {side.label: (self._port_of(side, autobind), set(side.ports)) for side in (self.host, self.emu)}
        want = self._run(self.host, op)
        got = self._run(self.emu, op)
        if autobind is not None:
            for side in (self.host, self.emu):
                old, seen = before[side.label]
                new = self._port_of(side, autobind)
                if old == 0 and new and new not in side.pool and new in seen:
                    self.drop("autobind-realias")
        self.last = want
        self.stats[f"outcome:{rule_name}:{'ok' if want[0] == 'ok' else want[-1]}"] += 1
        if want != got:
            step = Step(rule_name, args, want, got)
            for bug, signature in SIGNATURES.items():
                if bug in TCP_KNOWN_BUGS and signature(step):
                    self.drop(bug)
            raise AssertionError(f"step {self.step_no}: {what}\n  linux:    {want!r}\n  emulated: {got!r}")
        return want

    @staticmethod
    def _port_of(side: TcpSide, h: int | None) -> int | None:
        if h is None or h not in side.socks:
            return None
        try:
            return int(side.sock(h).getsockname()[1])
        except OSError:
            return None

    def with_name(self, what: str, h: int, fn: Callable[[TcpSide], Any], **args: Any) -> tuple:
        return self.both(what, lambda side: outcome_then_name(fn, side, h), autobind=h, **args)

    def teardown(self) -> None:
        for side in (self.host, self.emu):
            for s in side.every:
                with contextlib.suppress(Exception):
                    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                with contextlib.suppress(Exception):
                    s.close()
        with contextlib.suppress(Exception):
            self.emu.net.close()

    # --- Linux's side-effect-free view -----------------------------------------------

    def _linux(self, h: int) -> Any:
        return self.host.socks[h]

    def _ready(self, h: int, bits: int) -> bool:
        return bool(self.host.poll([h])[0] & bits)

    def _queue_full(self, listener: int) -> bool:
        """sk_acceptq_is_full on the Linux listener: TCP_INFO of a listener gives the accept queue's length
        (tcpi_unacked) and its limit (tcpi_sacked)."""
        info = self._linux(listener).getsockopt(SOL_TCP, socket.TCP_INFO, 104)
        queued, limit = struct.unpack_from("II", info, 24)
        return bool(queued > limit)

    def _listener_at(self, addr: tuple[str, int]) -> int | None:
        for h, s in self.host.socks.items():
            with contextlib.suppress(OSError):
                if not s.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN):
                    continue
                name = s.getsockname()
                if name[1] == addr[1] and name[0] in (addr[0], "0.0.0.0"):
                    return h
        return None

    def _guard_buffers(self) -> None:
        for h, s in self.host.socks.items():
            with contextlib.suppress(OSError):
                import fcntl
                import termios

                unread = struct.unpack("i", fcntl.ioctl(s.fileno(), termios.FIONREAD, b"\0\0\0\0"))[0]
                outq = struct.unpack("i", fcntl.ioctl(s.fileno(), termios.TIOCOUTQ, b"\0\0\0\0"))[0]
                if unread + outq > BUFFER_GUARD:
                    self.drop("near-buffer-limits")
            del h

    # --- sockets ------------------------------------------------------------------

    @rule(target=socks, nonblock=st.booleans())
    def socket_(self, nonblock: bool) -> Any:
        kind = socket.SOCK_STREAM | (socket.SOCK_NONBLOCK if nonblock else 0)
        made: dict[str, Any] = {}

        def op(side: TcpSide) -> Any:
            s = side.net.socket(socket.AF_INET, kind)
            side.every.append(s)
            made[side.label] = s
            return int(s.family), int(s.type), s.gettimeout()

        outcome = self.both(f"socket(nonblock={nonblock})", op)
        assume(outcome[0] == "ok" and len(made) == 2)
        return self._adopt(made, not nonblock)

    def _adopt(self, made: dict[str, Any], blocking: bool) -> int:
        h = self.next_handle
        self.next_handle += 1
        self.host.socks[h] = made["linux"]
        self.emu.socks[h] = made["emulated"]
        self.blocking[h] = blocking
        return h

    @rule(h=consumes(socks))
    def close(self, h: int) -> None:
        if h in self.lingering and self.blocking.get(h):
            with contextlib.suppress(OSError):
                import fcntl
                import termios

                if struct.unpack("i", fcntl.ioctl(self._linux(h).fileno(), termios.TIOCOUTQ, b"\0\0\0\0"))[0]:
                    self.drop("linger-blocking-close")
        self.both(f"close(h{h})", lambda side: side.sock(h).close())
        for side in (self.host, self.emu):
            side.socks.pop(h, None)
        self.listeners.pop(h, None)

    @rule(h=socks, blocking=st.booleans())
    def setblocking(self, h: int, blocking: bool) -> None:
        self.both(f"setblocking(h{h}, {blocking})", lambda side: side.sock(h).setblocking(blocking))
        if self.last[0] == "ok":
            self.blocking[h] = blocking

    # --- names --------------------------------------------------------------------

    @rule(h=socks, addr=st.sampled_from(sorted(ADDRS)), port=st.sampled_from(PORT_KEYS))
    def bind(self, h: int, addr: str, port: Any) -> None:
        def fn(side: TcpSide) -> Any:
            p = 0 if port == "zero" else side.pool[port]
            side.sock(h).bind((ADDRS[addr], p))

        self.with_name(f"bind(h{h}, {addr}, {port})", h, fn)
        if self.last[0] == "ok" and self.last[1][0][0] == "ok":
            self.bound.add(h)

    @rule(h=socks)
    def getsockname(self, h: int) -> None:
        self.both(f"getsockname(h{h})", lambda side: side.addr(side.sock(h).getsockname()))

    @rule(h=socks)
    def getpeername(self, h: int) -> None:
        self.both(f"getpeername(h{h})", lambda side: side.addr(side.sock(h).getpeername()))

    # --- connections --------------------------------------------------------------

    @rule(h=socks, backlog=st.sampled_from([0, 1, 2, 3, -1]))
    def listen(self, h: int, backlog: int) -> None:
        self.with_name(f"listen(h{h}, {backlog})", h, lambda side: side.sock(h).listen(backlog))
        if self.last[0] == "ok" and self.last[1][0][0] == "ok":
            self.listeners[h] = backlog

    @rule(h=socks, to=st.one_of(ADDR_TARGETS, st.tuples(st.just("h"), socks)))
    def connect(self, h: int, to: Any) -> None:
        self.do_connect(h, to)

    def do_connect(self, h: int, to: Any) -> None:
        if h in self.quickack_off:
            self.drop("quickack-off-connect")
        target = self.host.target(to)
        with contextlib.suppress(OSError):
            own = self._linux(h).getsockname()
            if own[1] == target[1] and own[0] in (target[0], "0.0.0.0"):
                self.drop("self-connect")
        lst = self._listener_at(target)
        full = False
        if lst is not None:
            with contextlib.suppress(OSError):
                full = self._queue_full(lst)
            if full:
                self.drop("syn-to-full-queue")

        def fn(side: TcpSide) -> Any:
            s = side.sock(h)
            rc = s.connect_ex(side.target(to))
            return errno.errorcode.get(rc, rc) if rc else 0

        self.with_name(f"connect(h{h}, {to})", h, fn, to=to)

    @precondition(lambda self: any(self._ready(h, select.POLLIN) for h in self.listeners if h in self.host.socks))
    @rule(target=socks, data=st.data())
    def accept(self, data: st.DataObject) -> Any:
        ready = [h for h in sorted(self.listeners) if h in self.host.socks and self._ready(h, select.POLLIN)]
        h = data.draw(st.sampled_from(ready), label="listener")
        made: dict[str, Any] = {}

        def op(side: TcpSide) -> Any:
            child, addr = side.sock(h).accept()
            side.every.append(child)
            made[side.label] = child
            return side.addr(addr), side.addr(child.getsockname()), child.gettimeout()

        outcome = self.both(f"accept(h{h})", op)
        assume(outcome[0] == "ok" and len(made) == 2)
        return self._adopt(made, True)

    @rule(h=socks)
    def accept_nonblocking_listener(self, h: int) -> None:
        """accept on a nonblocking socket (EAGAIN, EINVAL when not listening ...): the child, if any, closed."""
        if self.blocking.get(h):
            return

        def op(side: TcpSide) -> Any:
            child, addr = side.sock(h).accept()
            side.every.append(child)
            child.close()
            return side.addr(addr)

        self.both(f"accept_nb(h{h})", op)

    @rule(h=socks, how=st.sampled_from([socket.SHUT_RD, socket.SHUT_WR, socket.SHUT_RDWR, 3]))
    def shutdown(self, h: int, how: int) -> None:
        self.both(f"shutdown(h{h}, {how})", lambda side: side.sock(h).shutdown(how))

    # --- data ----------------------------------------------------------------------

    @rule(h=socks, size=SEND_SIZES, flags=_flags(SEND_FLAGS))
    def send(self, h: int, size: int, flags: frozenset[str]) -> None:
        self.sends += 1
        data = payload(self.sends, size)
        mask = _mask(SEND_FLAGS, flags) | socket.MSG_NOSIGNAL
        if self.blocking.get(h) and not self._ready(h, select.POLLOUT):
            mask |= socket.MSG_DONTWAIT
        self.both(f"send(h{h}, {size}, {mask:#x})", lambda side: side.sock(h).send(data, mask), size=size)
        self._guard_buffers()

    def _recv_mask(self, h: int, flags: frozenset[str]) -> int:
        mask = _mask(RECV_FLAGS, flags)
        if self.blocking.get(h) and not mask & socket.MSG_DONTWAIT:
            if mask & socket.MSG_WAITALL or not self._ready(h, select.POLLIN | select.POLLERR | select.POLLHUP):
                mask |= socket.MSG_DONTWAIT
        return mask

    @rule(h=socks, size=RECV_SIZES, flags=_flags(RECV_FLAGS))
    def recv(self, h: int, size: int, flags: frozenset[str]) -> None:
        mask = self._recv_mask(h, flags)

        def fn(side: TcpSide) -> Any:
            data = bytes(side.sock(h).recv(size, mask))
            if mask & socket.MSG_TRUNC:
                # MSG_TRUNC discards: the kernel copies nothing and CPython hands back its buffer
                # uninitialised, so only the length is behaviour
                return ("discarded", len(data))
            return _bytes_view(data)

        self.both(f"recv(h{h}, {size}, {mask:#x})", fn, size=size)

    # --- options ---------------------------------------------------------------------

    @rule(h=socks, opt=st.sampled_from(sorted(OPTS)), data=st.data())
    def setsockopt(self, h: int, opt: str, data: st.DataObject) -> None:
        level, name, values = OPTS[opt]
        value = data.draw(st.sampled_from(values), label="value")
        self.both(f"setsockopt(h{h}, {opt}, {value!r})", lambda side: side.sock(h).setsockopt(level, name, value))
        if opt == "TCP_QUICKACK" and self.last[0] == "ok" and value == 0:
            self.quickack_off.add(h)
        if opt == "SO_LINGER" and self.last[0] == "ok":
            if isinstance(value, bytes) and len(value) == 8 and struct.unpack("ii", value)[0]:
                self.lingering.add(h)
            else:
                self.lingering.discard(h)

    @rule(h=socks, opt=st.sampled_from(sorted(set(OPTS) - {"TCP_QUICKACK"}) + sorted(GET_ONLY)))
    def getsockopt(self, h: int, opt: str) -> None:
        level, name = OPTS[opt][:2] if opt in OPTS else GET_ONLY[opt]
        size = 8 if opt == "SO_LINGER" else 0

        def fn(side: TcpSide) -> Any:
            return side.sock(h).getsockopt(level, name, size) if size else side.sock(h).getsockopt(level, name)

        self.both(f"getsockopt(h{h}, {opt})", fn)

    @rule(h=socks)
    def so_error(self, h: int) -> None:
        self.both(f"so_error(h{h})",
                  lambda side: errno.errorcode.get(side.sock(h).getsockopt(socket.SOL_SOCKET, socket.SO_ERROR), 0))

    # --- targeted --------------------------------------------------------------------

    @precondition(lambda self: bool(self.listeners))
    @rule(target=socks, data=st.data(), nonblock=st.booleans())
    def connect_to_listener(self, data: st.DataObject, nonblock: bool) -> Any:
        """A new socket connected to a listener (a compared socket() and connect())."""
        lst = data.draw(st.sampled_from(sorted(self.listeners)), label="listener")
        h = self.socket_(nonblock)
        self.do_connect(h, ("h", lst))
        return h

    @rule(target=socks, addr=st.sampled_from(["lo1", "any"]), port=st.sampled_from(PORT_KEYS),
          backlog=st.sampled_from([0, 1, 3]), reuse=st.booleans())
    def make_listener(self, addr: str, port: Any, backlog: int, reuse: bool) -> Any:
        h = self.socket_(True)
        if reuse:
            self.both(f"setsockopt(h{h}, SO_REUSEADDR, 1)",
                      lambda side: side.sock(h).setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1))
        self.bind(h, addr, port)
        self.listen(h, backlog)
        return h

    @precondition(lambda self: any(self._ready(h, select.POLLIN | select.POLLPRI) for h in self.host.socks))
    @rule(data=st.data(), size=RECV_SIZES, flags=_flags(RECV_FLAGS))
    def recv_ready(self, data: st.DataObject, size: int, flags: frozenset[str]) -> None:
        ready = [h for h in sorted(self.host.socks) if self._ready(h, select.POLLIN | select.POLLPRI)]
        self.recv(data.draw(st.sampled_from(ready), label="h"), size, flags)

    # --- readiness -----------------------------------------------------------------------

    @invariant()
    def readiness_agrees(self) -> None:
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
