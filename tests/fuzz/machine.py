"""A stateful, differential fuzzer of AF_UNIX: random syscall sequences, two kernels in lockstep.

:class:`UnixMachine` is a hypothesis ``RuleBasedStateMachine``.  Every step is
one syscall (one stdlib-socket method that is one syscall), run first on the
host's Linux kernel (the stdlib ``socket`` module: the reference) and then on
an emulated kernel (``client.local()``, a fresh host per sequence; the daemon
variant uses ``client.connect(daemon)``) with the same arguments, and the two
*normalised* outcomes must be equal:

- a return value: bytes and ints as they are (a recv's length, and the bytes
  the kernel copied); addresses structurally: a name of the per-sequence pool
  (NAMES) is ``("name", token)``, an autobind name ``("autobind", k)``, k
  numbering the distinct autobind names in the order that side reported them;
  never fd numbers or pids (SCM_CREDENTIALS: "self" for this process's own
  pid/uid/gid; SCM_RIGHTS: the payload length and the family/type of each fd
  that arrived, which then becomes a handle of its own);
- an exception: ``("err", ERRNO_NAME)`` for an ``OSError``, ``("exc", TypeName)``
  for anything else; a step still running after STEP_SECONDS is ``("HUNG",)``.

connect and the send* steps also report the socket's name afterwards (an
SO_PASSCRED autobind shows at once), and after every step the invariant
compares select() readiness of every open handle.

Sockets are logical handles (a hypothesis ``Bundle``): each is one socket
object per side.  Every socket is non-blocking (setblocking(False) right
after socket/socketpair/accept/SCM_RIGHTS), so no step can sleep; the machine
has no clock, and both kernels are local, so what is sent is readable at once
on both.  The one source of timing on Linux, its asynchronous unix_gc, is kept
out by :class:`InflightModel` (the determinism guard).

Besides the plain rules (handles and names drawn uniformly), targeted rules
pick, from Linux's side-effect-free view, handles that get somewhere (bound
sockets to listen on, listeners to connect to and accept from, readable
sockets to read), and macro rules chain steps (socket+bind+listen,
socket+connect, a burst of sends after a small SO_SNDBUF): each of their
steps is compared like any other.

STATS counts, per machine, sequences (machine instances, shrinking included),
steps (compared syscall steps) and steps per kind; conftest.py prints them at
the end of the session.  KNOWN_BUGS lists the kernel bugs the machine steps
around (each with a strict-xfail repro in test_regressions.py).
"""

from __future__ import annotations

import contextlib
import errno
import os
import select
import signal
import socket
import struct
import uuid
import warnings
from collections import Counter
from collections.abc import Callable, Mapping
from typing import Any

from hypothesis import HealthCheck, assume, settings
from hypothesis import strategies as st
from hypothesis.database import DirectoryBasedExampleDatabase
from hypothesis.stateful import Bundle, RuleBasedStateMachine, consumes, invariant, multiple, precondition, rule

# --------------------------------------------------------------------- config

SO_PEEK_OFF = 42  # not in Python's socket module
STEP_SECONDS = 5.0  # a step running longer than this is "HUNG" (nothing may block)

CI_EXAMPLES = 300
CI_STEPS = 30
DAEMON_EXAMPLES = 25
#: failing examples are kept (and replayed first) here; tests/fuzz/.gitignore keeps it out of git
DATABASE = os.path.join(os.path.dirname(os.path.abspath(__file__)), ".hypothesis", "examples")


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    return int(value) if value.strip() else default


def fuzz_settings(examples: int, steps: int | None = None) -> settings:
    """The CI profile: ``examples`` sequences of up to ``steps`` steps each, no
    deadline (the emulated side runs on a thread; the timing is not the point)."""
    return settings(
        max_examples=examples,
        stateful_step_count=steps if steps is not None else _env_int("SOCKETLAB_FUZZ_STEPS", CI_STEPS),
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
        print_blob=True,
        database=DirectoryBasedExampleDatabase(DATABASE),
    )


# --------------------------------------------------------------------- stats

#: per machine label ("local", "daemon"): sequences, steps, and steps per rule
STATS: dict[str, Counter[str]] = {}


def stats_for(label: str) -> Counter[str]:
    return STATS.setdefault(label, Counter())


# --------------------------------------------------------------- known bugs

#: Kernel bugs the machine knows about and steps around, so that it can find
#: others.  name -> one line.  Each has a strict-xfail regression test in
#: test_regressions.py and one guard here (search for the name): a strategy
#: that leaves its trigger out, ``UnixMachine.guard`` dropping (``assume``) a
#: sequence at its trigger, or a signature in SIGNATURES dropping only a
#: sequence whose mismatch is exactly its symptom.  When a bug is fixed,
#: delete its entry and its guard: the machine covers that ground again.
KNOWN_BUGS: dict[str, str] = {}  # (unix-gc-on-every-fput was fixed: UnixOps.put runs no GC)


#: the determinism guard (not a bug): see InflightModel
DEAD_CYCLE = "inflight-dead-cycle"


def known(bug: str) -> bool:
    """Whether the machine steps around ``bug`` (which must be listed in KNOWN_BUGS)."""
    return bug in KNOWN_BUGS


# ------------------------------------------------------------------ vocabulary

TYPES = {"STREAM": socket.SOCK_STREAM, "DGRAM": socket.SOCK_DGRAM, "SEQPACKET": socket.SOCK_SEQPACKET}
TYPE_NAMES: dict[int, str] = {int(v): k for k, v in TYPES.items()}
RECV_FLAGS = {
    "PEEK": socket.MSG_PEEK,
    "TRUNC": socket.MSG_TRUNC,
    "DONTWAIT": socket.MSG_DONTWAIT,
    "WAITALL": socket.MSG_WAITALL,
}
RECVMSG_FLAGS = dict(RECV_FLAGS, CMSG_CLOEXEC=socket.MSG_CMSG_CLOEXEC)
SEND_FLAGS = {"DONTWAIT": socket.MSG_DONTWAIT, "NOSIGNAL": socket.MSG_NOSIGNAL}
OPTS = {
    "SO_RCVBUF": socket.SO_RCVBUF,
    "SO_SNDBUF": socket.SO_SNDBUF,
    "SO_RCVLOWAT": socket.SO_RCVLOWAT,
    "SO_PASSCRED": socket.SO_PASSCRED,
    "SO_PEEK_OFF": SO_PEEK_OFF,
}
BUF_VALUES = [0, 1, 1024, 2304, 4096, 4608, 10000, 65536, 106496, 212992, 1 << 22, -1]
OPT_VALUES = {
    "SO_RCVBUF": BUF_VALUES,
    "SO_SNDBUF": BUF_VALUES,
    "SO_RCVLOWAT": [0, 1, 2, 7, 100, 300, 1 << 30, -1],
    "SO_PASSCRED": [0, 1, 2],
    "SO_PEEK_OFF": [-1, 0, 1, 3, 50, 299, 1000, -7],
}
#: ancillary buffer sizes for recvmsg: none, room for part of an fd, one fd,
#: two fds, credentials, credentials + three fds, plenty
ANC_SIZES = [0, 16, 20, 24, 32, 48, 80, 256]
#: the pool of names: bind/connect/sendto/unlink use these ("empty" is '', autobind)
PATHS = ["path0", "path1", "path2"]
NAMES = [*PATHS, "abs0", "abs1", "abs2", "empty", "nodir"]

SIZES = st.integers(min_value=0, max_value=300)
BACKLOGS = st.integers(min_value=0, max_value=3)


def _flags(table: Mapping[str, int]) -> st.SearchStrategy[frozenset[str]]:
    return st.frozensets(st.sampled_from(sorted(table)))


def _mask(table: Mapping[str, int], names: frozenset[str]) -> int:
    mask = 0
    for name in names:
        mask |= table[name]
    return mask


def payload(seq: int, size: int) -> bytes:
    """The bytes of send number ``seq``: distinct per send, the same on both sides."""
    return bytes((seq * 7 + i) % 251 for i in range(size))


# ----------------------------------------------------------------- outcomes


class Overtime(BaseException):
    """SIGALRM: a step ran past STEP_SECONDS (BaseException: no ``except Exception`` eats it)."""


def _alarm(signum: int, frame: Any) -> None:
    raise Overtime()


def _outcome_of_exception(exc: BaseException) -> tuple:
    if isinstance(exc, OSError) and exc.errno is not None:
        return ("err", errno.errorcode.get(exc.errno, str(exc.errno)))
    return ("exc", type(exc).__name__)


def run_step(op: Callable[[], Any]) -> tuple:
    """One side's step under the STEP_SECONDS alarm, warnings silenced: ("ok", value), ("HUNG",),
    or the outcome of the exception it raised (the UDP and TCP machines' lockstep)."""
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, STEP_SECONDS)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return ("ok", op())
    except Overtime:
        return ("HUNG",)
    except Exception as exc:
        return _outcome_of_exception(exc)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def outcome_then_name(fn: Callable[[Any], Any], side: Any, h: int) -> tuple[tuple, Any]:
    """A step that may autobind h: fn(side)'s outcome, then h's name (an Overtime goes on up)."""
    try:
        result: tuple = ("ok", fn(side))
    except Overtime:
        raise
    except Exception as exc:
        result = _outcome_of_exception(exc)
    try:
        name = side.addr(side.sock(h).getsockname())
    except Exception as exc:
        name = _outcome_of_exception(exc)
    return result, name


def _outcome_class(rule_name: str, outcome: tuple) -> str:
    """"ok", an errno name, or for the steps that also report a name, the syscall's part of it."""
    if outcome[0] == "ok" and rule_name in ("connect", "send", "sendto", "sendmsg_rights"):
        outcome = outcome[1][0]
    return "ok" if outcome[0] == "ok" else str(outcome[-1])


def _as_bytes(value: Any) -> Any:
    if isinstance(value, (bytearray, memoryview)):
        return bytes(value)
    return value


class Side:
    """One kernel: its socket-module-like ``net``, its socket objects by handle,
    and the state its outcomes are normalised with."""

    def __init__(self, label: str, net: Any, unlink: Callable[[str], None], names: dict[str, Any]) -> None:
        self.label = label
        self.net = net
        self.unlink = unlink
        self.names = names  # pool token -> address (the same on both sides)
        self.reverse = {addr: token for token, addr in names.items() if token not in ("empty",)}
        self.socks: dict[int, Any] = {}  # handle id -> socket object
        self.every: list[Any] = []  # every socket object ever made (closed at teardown)
        self.autobind: dict[bytes, int] = {}
        self.self_cred: tuple[int, int, int] = (-1, -1, -1)

    def sock(self, handle: int) -> Any:
        return self.socks[handle]

    def keep(self, sock: Any) -> Any:
        self.every.append(sock)
        return sock

    # --- normalisation ------------------------------------------------------------

    def addr(self, value: Any) -> Any:
        """An AF_UNIX address, structurally: pool names by token, autobind names by order."""
        value = _as_bytes(value)
        if value is None or value == "":
            return value
        if isinstance(value, (str, bytes)) and value in self.reverse:
            return ("name", self.reverse[value])
        if isinstance(value, bytes) and value[:1] == b"\0":
            return ("autobind", self.autobind.setdefault(value, len(self.autobind)))
        return ("other", value)

    def target(self, to: Any) -> Any:
        """The address ``to`` names on this side: a pool token, or ("name-of", handle)."""
        if isinstance(to, str):
            return self.names[to]
        try:
            return self.sock(to).getsockname()
        except OSError:
            return ""

    def creds(self, raw: bytes) -> Any:
        """A struct ucred (pid, uid, gid): "self" for this process's own values;
        a truncated one (MSG_CTRUNC) as its whole fields and its length."""
        fields = [struct.unpack_from("i", raw, i)[0] for i in range(0, min(len(raw), 12) - len(raw) % 4, 4)]
        shown = tuple("self" if v == m else v for v, m in zip(fields, self.self_cred))
        return shown if len(raw) == 12 else (shown, len(raw), raw[len(fields) * 4:])


# ---------------------------------------------------------------- backends


def host_side(names: dict[str, Any]) -> Side:
    """The reference: this machine's Linux kernel through the stdlib."""

    side = Side("linux", HostNet(), os.unlink, names)
    side.self_cred = (os.getpid(), os.getuid(), os.getgid())
    return side


class HostNet:
    """The host kernel as a ``net``: the stdlib socket module, plus select."""

    def __getattr__(self, attr: str) -> Any:
        return getattr(socket, attr)

    @staticmethod
    def select(r: list, w: list, x: list, timeout: float | None = None) -> tuple:
        return select.select(r, w, x, timeout)


def host_sysctls() -> dict[str, int]:
    """The host's values of the sysctls the emulated kernel has (missing ones left out)."""
    found = {}
    for name in ("net.core.rmem_default", "net.core.rmem_max", "net.core.wmem_default", "net.core.wmem_max",
                 "net.core.somaxconn", "net.unix.max_dgram_qlen"):
        try:
            with open("/proc/sys/" + name.replace(".", "/")) as f:
                found[name] = int(f.read().split()[0])
        except (OSError, ValueError, IndexError):
            pass
    return found


def emulated_side(net: Any, names: dict[str, Any]) -> Side:
    side = Side("emulated", net, net.unlink, names)
    a, b = net.socketpair(net.AF_UNIX, net.SOCK_STREAM)
    try:
        side.self_cred = struct.unpack("iii", a.getsockopt(net.SOL_SOCKET, net.SO_PEERCRED, 12))
    finally:
        a.close()
        b.close()
    return side


def local_net() -> Any:
    """A fresh in-process emulated host whose sysctls are the host's (a
    configuration, not a behaviour: buffer clamps and dgram queue lengths then
    compare like for like)."""
    import client

    net = client.local()
    local_host = net._transport.local_host  # type: ignore[attr-defined]
    values = host_sysctls()
    local_host.call_soon(lambda: local_host.host.sysctl.update(values))
    return net


# ------------------------------------------------------- in-flight references


class InflightModel:
    """Which sockets SCM_RIGHTS may hold in flight, and where: the determinism guard.

    A socket whose last fd is closed while it is in flight in a queue that no
    open socket can reach (a "dead cycle": it holds itself, or two hold each
    other) is garbage that Linux's unix_gc collects *asynchronously*, on a
    kworker, some time after the next AF_UNIX release anywhere on the host:
    what a sequence sees after that depends on timing.  The machine therefore
    drops (``assume``) a sequence at the close that may form one.

    The model is kept from the Linux side only (both sides agreed on every
    step so far): a socket is its sockfs inode number; an edge (carrier,
    passed) is one passed fd queued on carrier.  An edge is *certain* while
    the model knows it is still queued; a plain recv/recvfrom or an
    MSG_CTRUNC recvmsg on the carrier may have dropped fds, so its edges
    become uncertain; a destination the model cannot name is UNKNOWN.  At a
    close: L = the sockets open ones reach over certain edges; G = the
    greatest set of sockets that may still exist (open, or held by an edge
    from G; uncertain edges from L hold nothing dead).  Anything in G but not
    in L may be a dead cycle.  Conservative: it may drop a sequence that had
    none, never keep one that had one.
    """

    UNKNOWN = "unknown"

    def __init__(self) -> None:
        self.sid: dict[int, Any] = {}  # open handle -> socket (inode, or ("embryo", client))
        self.peer: dict[Any, Any] = {}
        self.binder: dict[Any, Any] = {}  # bound pool address -> socket
        self.pending: dict[Any, list] = {}  # listener -> embryos, in accept order
        self.edges: list[list] = []  # [carrier, passed, certain]

    @staticmethod
    def inode(sock: Any) -> int:
        return os.fstat(sock.fileno()).st_ino

    def opened(self, handle: int, sock: Any) -> None:
        self.sid[handle] = self.inode(sock)

    def paired(self, a: int, b: int) -> None:
        self.peer[self.sid[a]], self.peer[self.sid[b]] = self.sid[b], self.sid[a]

    def bound(self, address: Any, handle: int) -> None:
        if address != "":
            self.binder[address] = self.sid[handle]

    def unlinked(self, address: Any) -> None:
        self.binder.pop(address, None)

    def resolve(self, side: Side, to: Any) -> Any:
        """The socket a pool name or a handle's name reaches on the Linux side, or UNKNOWN."""
        address = side.target(to)
        if address in self.binder:
            return self.binder[address]
        if not isinstance(to, str) and isinstance(address, bytes) and to in self.sid:
            return self.sid[to]  # an autobind name: the socket that has it
        return self.UNKNOWN

    def connected(self, side: Side, handle: int, to: Any, kind: int) -> None:
        me, other = self.sid[handle], self.resolve(side, to)
        if kind == socket.SOCK_DGRAM:
            self.peer[me] = other
            return
        embryo = ("embryo", me)
        self.peer[me], self.peer[embryo] = embryo, me
        if other == self.UNKNOWN:
            self.edges.append([self.UNKNOWN, embryo, False])
        else:
            self.pending.setdefault(other, []).append(embryo)
            self.edges.append([other, embryo, True])

    def accepted(self, listener: int, handle: int) -> None:
        queue = self.pending.get(self.sid[listener]) or []
        if not queue:
            return
        embryo, new = queue.pop(0), self.sid[handle]
        self.edges = [e for e in self.edges if not (e[0] == self.sid[listener] and e[1] == embryo)]
        for e in self.edges:
            e[0] = new if e[0] == embryo else e[0]
        client = self.peer.pop(embryo, None)
        self.peer[new] = client
        if client is not None:
            self.peer[client] = new

    def sent(self, side: Side, handle: int, passed: list[int], to: Any, kind: int) -> None:
        me = self.sid[handle]
        if kind == socket.SOCK_DGRAM and to is not None:
            dest = self.resolve(side, to)
        else:
            dest = self.peer.get(me, self.UNKNOWN)
        for p in passed:
            self.edges.append([dest, self.sid[p], dest != self.UNKNOWN])

    def read(self, handle: int) -> None:
        """A recv/recvfrom (or a truncated recvmsg) consumed from handle: fds may have been dropped."""
        me = self.sid[handle]
        for e in self.edges:
            if e[0] == me:
                e[2] = False

    def received(self, handle: int, arrived: list[int]) -> None:
        me = self.sid[handle]
        for a in arrived:
            sid = self.sid[a]
            for choice in ([e for e in self.edges if e[0] == me and e[1] == sid],
                           [e for e in self.edges if e[1] == sid and not e[2]]):
                if choice:
                    self.edges.remove(choice[0])
                    break

    def closed(self, handle: int) -> bool:
        """Forget handle; True if a dead cycle may now exist."""
        self.sid.pop(handle, None)
        if not self.edges:
            return False
        live = set(self.sid.values())
        reach = set(live)
        grew = True
        while grew:
            grew = False
            for carrier, passed, certain in self.edges:
                if certain and carrier in reach and passed not in reach:
                    reach.add(passed)
                    grew = True
        holding = [(c, p) for c, p, certain in self.edges if certain or c not in reach]
        maybe = live | {self.UNKNOWN} | {p for _, p in holding}
        shrunk = True
        while shrunk:
            shrunk = False
            held = live | {self.UNKNOWN} | {p for c, p in holding if c in maybe}
            if held != maybe:
                maybe, shrunk = held, True
        return bool(maybe - reach - {self.UNKNOWN})


# ------------------------------------------------------------------ machine


class UnixMachine(RuleBasedStateMachine):
    """Random AF_UNIX syscall sequences on Linux and on the emulated kernel, in lockstep."""

    label = "local"
    #: the SO_RCVBUF/SO_SNDBUF values tried (the daemon variant trims those its sysctls clamp differently)
    buf_values = BUF_VALUES

    socks = Bundle("socks")

    def __init__(self) -> None:
        super().__init__()
        self.stats = stats_for(self.label)
        self.stats["sequences"] += 1
        self.token = uuid.uuid4().hex[:12]
        names: dict[str, Any] = {f"path{i}": f"/tmp/slfz-{self.token}-{i}" for i in range(3)}
        names.update({f"abs{i}": b"\0slfz-" + self.token.encode() + b"-%d" % i for i in range(3)})
        names["empty"] = ""
        names["nodir"] = f"/tmp/slfz-{self.token}-nodir/x"
        self.names = names
        self.next_handle = 0
        self.sends = 0
        self.step_no = 0
        self.paths_named = False  # unlink waits for a bind to a path (else it is mostly ENOENT)
        self.host = host_side(names)
        self.emu = emulated_side(self.make_emulated_net(), names)
        self.model = InflightModel()
        self.last: tuple = ("ok", None)  # the Linux outcome of the last step

    def make_emulated_net(self) -> Any:
        return local_net()

    # --- lockstep ------------------------------------------------------------------

    def _run(self, side: Side, op: Callable[[Side], Any]) -> tuple[tuple, list]:
        """op(side) -> (value, new sockets); the outcome and the sockets it made."""
        previous = signal.signal(signal.SIGALRM, _alarm)
        signal.setitimer(signal.ITIMER_REAL, STEP_SECONDS)
        try:
            value, new = op(side)
            return ("ok", value), new
        except Overtime:
            return ("HUNG",), []
        except Exception as exc:  # an exception is an outcome to compare
            return _outcome_of_exception(exc), []
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)

    def lockstep(self, what: str, op: Callable[[Side], Any], h: int | None = None, **args: Any) -> Any:
        """Run op on Linux then on the emulated kernel; assert the same outcome.
        Returns the new handles (a ``multiple``) when op made sockets.  ``h``:
        the handle the step works on, ``args`` its other arguments (for the
        known-bug signatures)."""
        rule_name = what.split("(")[0]
        self.step_no += 1
        self.stats["steps"] += 1
        self.stats["rule:" + rule_name] += 1
        want, want_new = self._run(self.host, op)
        got, got_new = self._run(self.emu, op)
        self.last = want
        self.stats[f"outcome:{rule_name}:{_outcome_class(rule_name, want)}"] += 1
        if want != got or len(want_new) != len(got_new):
            for s in want_new + got_new:
                with contextlib.suppress(Exception):
                    s.close()
            kind = self.host.socks[h].type if h is not None and h in self.host.socks else -1
            step = Step(rule_name, args, kind, want, got)
            for bug, signature in SIGNATURES.items():
                if known(bug) and signature(step):
                    self.stats["guarded:" + bug] += 1
                    assume(False)  # guard: exactly this known bug's symptom; drop the sequence
            raise AssertionError(
                f"step {self.step_no}: {what}\n  linux:    {want!r} (+{len(want_new)} sockets)\n"
                f"  emulated: {got!r} (+{len(got_new)} sockets)"
            )
        handles = []
        for h, e in zip(want_new, got_new):
            handle = self.next_handle
            self.next_handle += 1
            self.host.socks[handle] = h
            self.emu.socks[handle] = e
            self.model.opened(handle, h)
            handles.append(handle)
        return multiple(*handles)

    def both(self, what: str, fn: Callable[[Side], Any], h: int | None = None, **args: Any) -> None:
        """A step that makes no socket: fn(side) -> value."""
        self.lockstep(what, lambda side: (fn(side), []), h, **args)

    def kind(self, h: int) -> int:
        return int(self.host.sock(h).type)


    def guard(self, bug: str, trigger: bool) -> None:
        """Step around a known bug whose symptom shows only later: drop the
        sequence (``assume``) when the step is its trigger."""
        if known(bug) and trigger:
            self.stats["guarded:" + bug] += 1
            assume(False)

    def then_name(self, what: str, h: int, fn: Callable[[Side], Any], **args: Any) -> None:
        """A step that may autobind h (connect, send*): its outcome is fn's
        outcome and then h's name (SO_PASSCRED autobinds on both paths)."""

        self.both(what, lambda side: outcome_then_name(fn, side, h), h, **args)

    def teardown(self) -> None:
        for side in (self.host, self.emu):
            for s in side.every:
                with contextlib.suppress(Exception):
                    s.close()
            for token in PATHS:
                with contextlib.suppress(Exception):
                    side.unlink(self.names[token])
        with contextlib.suppress(Exception):
            self.emu.net.close()

    # --- helpers -----------------------------------------------------------------------

    def _nonblocking(self, side: Side, sock: Any) -> Any:
        side.keep(sock)
        sock.setblocking(False)
        return sock

    def _data(self, size: int) -> bytes:
        self.sends += 1
        return payload(self.sends, size)

    @staticmethod
    def _received(data: Any, size: int) -> tuple[int, bytes]:
        """What a recv returned: its length and the bytes the kernel copied.

        With MSG_TRUNC a datagram longer than ``size`` makes CPython return a
        bytes object of the datagram's length whose tail past ``size`` is
        uninitialised memory: the kernel copied only ``size`` bytes, so only
        those are compared (the length is compared in full)."""
        data = _as_bytes(data)
        return len(data), data[:size]

    # --- sockets ------------------------------------------------------------------------

    @rule(target=socks, kind=st.sampled_from(sorted(TYPES)))
    def socket_(self, kind: str) -> Any:
        def op(side: Side) -> Any:
            s = side.keep(side.net.socket(socket.AF_UNIX, TYPES[kind]))
            s.setblocking(False)
            return (int(s.family), int(s.type)), [s]

        return self.lockstep(f"socket({kind})", op)

    @rule(target=socks, kind=st.sampled_from(sorted(TYPES)))
    def socketpair(self, kind: str) -> Any:
        def op(side: Side) -> Any:
            a, b = side.net.socketpair(socket.AF_UNIX, TYPES[kind])
            side.keep(a)
            side.keep(b)
            a.setblocking(False)
            b.setblocking(False)
            return None, [a, b]

        pair = self.lockstep(f"socketpair({kind})", op)
        if len(pair.values) == 2:
            self.model.paired(*pair.values)
        return pair

    @rule(h=consumes(socks))
    def close(self, h: int) -> None:
        self.both(f"close(h{h})", lambda side: side.sock(h).close(), h)
        for side in (self.host, self.emu):
            side.socks.pop(h, None)
        if self.model.closed(h):
            # guard (determinism): an in-flight socket no open socket reaches; Linux's unix_gc
            # collects it asynchronously, so what comes next depends on timing
            self.stats["guarded:" + DEAD_CYCLE] += 1
            assume(False)

    # --- names ---------------------------------------------------------------------------

    @rule(h=socks, name=st.sampled_from(NAMES))
    def bind(self, h: int, name: str) -> None:
        self.paths_named |= name in PATHS
        self.both(f"bind(h{h}, {name})", lambda side: side.sock(h).bind(side.names[name]), h)
        if self.last[0] == "ok":
            self.model.bound(self.names[name], h)

    @precondition(lambda self: self.paths_named)
    @rule(name=st.sampled_from(PATHS))
    def unlink(self, name: str) -> None:
        self.both(f"unlink({name})", lambda side: side.unlink(side.names[name]))
        if self.last[0] == "ok":
            self.model.unlinked(self.names[name])

    @rule(h=socks)
    def getsockname(self, h: int) -> None:
        self.both(f"getsockname(h{h})", lambda side: side.addr(side.sock(h).getsockname()), h)

    @rule(h=socks)
    def getpeername(self, h: int) -> None:
        self.both(f"getpeername(h{h})", lambda side: side.addr(side.sock(h).getpeername()), h)

    # --- connections -------------------------------------------------------------------

    @rule(h=socks, to=st.one_of(st.sampled_from(NAMES), socks))
    def connect(self, h: int, to: Any) -> None:
        self.do_connect(h, to)

    def do_connect(self, h: int, to: Any) -> None:
        self.then_name(f"connect(h{h}, {to})", h, lambda side: side.sock(h).connect(side.target(to)))
        if self.last[0] == "ok" and self.last[1][0][0] == "ok":
            self.model.connected(self.host, h, to, self.kind(h))

    @rule(h=socks, backlog=BACKLOGS)
    def listen(self, h: int, backlog: int) -> None:
        self.both(f"listen(h{h}, {backlog})", lambda side: side.sock(h).listen(backlog), h)

    @rule(target=socks, h=socks)
    def accept(self, h: int) -> Any:
        return self.do_accept(h)

    def do_accept(self, h: int) -> Any:
        def op(side: Side) -> Any:
            c, addr = side.sock(h).accept()
            self._nonblocking(side, c)
            return (side.addr(addr), int(c.type)), [c]

        new = self.lockstep(f"accept(h{h})", op, h)
        if new.values:
            self.model.accepted(h, new.values[0])
        return new

    @rule(h=socks, how=st.sampled_from([socket.SHUT_RD, socket.SHUT_WR, socket.SHUT_RDWR, 3]))
    def shutdown(self, h: int, how: int) -> None:
        self.both(f"shutdown(h{h}, {how})", lambda side: side.sock(h).shutdown(how), h)

    # --- data ---------------------------------------------------------------------------

    @rule(h=socks, size=SIZES, flags=_flags(SEND_FLAGS))
    def send(self, h: int, size: int, flags: frozenset[str]) -> None:
        self.do_send(h, size, flags)

    @rule(h=socks, count=st.integers(min_value=1, max_value=14), size=SIZES, flags=_flags(SEND_FLAGS),
          sndbuf=st.none() | st.sampled_from([1, 2304, 4096]), to=st.none() | socks)
    def send_burst(self, h: int, count: int, size: int, flags: frozenset[str], sndbuf: int | None, to: Any) -> None:
        """``count`` sends (or sendtos to ``to``'s name) in a row, after setting a small SO_SNDBUF if
        ``sndbuf``; each a compared step: reaches a full send buffer or a full max_dgram_qlen queue."""
        if sndbuf is not None:
            self.both(f"setsockopt(h{h}, SO_SNDBUF, {sndbuf})",
                      lambda side: side.sock(h).setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, sndbuf), h)
        for _ in range(count):
            if to is None:
                self.do_send(h, size, flags)
            else:
                self.do_sendto(h, size, flags, to)

    def do_send(self, h: int, size: int, flags: frozenset[str]) -> None:
        data = self._data(size)
        mask = _mask(SEND_FLAGS, flags)
        self.then_name(f"send(h{h}, {size}, {sorted(flags)})", h, lambda side: side.sock(h).send(data, mask), size=size)

    @rule(h=socks, size=SIZES, flags=_flags(SEND_FLAGS), to=st.one_of(st.sampled_from(NAMES), socks))
    def sendto(self, h: int, size: int, flags: frozenset[str], to: Any) -> None:
        self.do_sendto(h, size, flags, to)

    def do_sendto(self, h: int, size: int, flags: frozenset[str], to: Any) -> None:
        data = self._data(size)
        mask = _mask(SEND_FLAGS, flags)
        self.then_name(f"sendto(h{h}, {size}, {sorted(flags)}, {to})", h,
                       lambda side: side.sock(h).sendto(data, mask, side.target(to)), size=size)

    @rule(h=socks, size=SIZES, flags=_flags(RECV_FLAGS))
    def recv(self, h: int, size: int, flags: frozenset[str]) -> None:
        mask = _mask(RECV_FLAGS, flags)
        self.both(f"recv(h{h}, {size}, {sorted(flags)})",
                  lambda side: self._received(side.sock(h).recv(size, mask), size), h, size=size)
        if self.last[0] == "ok" and "PEEK" not in flags:
            self.model.read(h)

    @rule(h=socks, size=SIZES, flags=_flags(RECV_FLAGS))
    def recvfrom(self, h: int, size: int, flags: frozenset[str]) -> None:
        mask = _mask(RECV_FLAGS, flags)

        def fn(side: Side) -> Any:
            data, addr = side.sock(h).recvfrom(size, mask)
            return self._received(data, size), side.addr(addr)

        self.both(f"recvfrom(h{h}, {size}, {sorted(flags)})", fn, h, size=size)
        if self.last[0] == "ok" and "PEEK" not in flags:
            self.model.read(h)

    # --- ancillary data: SCM_RIGHTS (and SCM_CREDENTIALS with SO_PASSCRED) ----------------

    @rule(h=socks, passed=st.lists(socks, min_size=0, max_size=3), size=SIZES, flags=_flags(SEND_FLAGS),
          to=st.one_of(st.none(), st.sampled_from(NAMES), socks))
    def sendmsg_rights(self, h: int, passed: list[int], size: int, flags: frozenset[str], to: Any) -> None:
        data = self._data(size)
        mask = _mask(SEND_FLAGS, flags)

        def fn(side: Side) -> Any:
            fds = [side.sock(p).fileno() for p in passed]
            anc = [(socket.SOL_SOCKET, socket.SCM_RIGHTS, struct.pack(f"{len(fds)}i", *fds))]
            address = None if to is None else side.target(to)
            return side.sock(h).sendmsg([data], anc, mask, address)

        self.then_name(f"sendmsg_rights(h{h}, {[f'h{p}' for p in passed]}, {size}, {sorted(flags)}, {to})", h, fn, size=size)
        result: tuple = self.last[1][0] if self.last[0] == "ok" else ("err", "")
        if result[0] == "ok" and (result[1] > 0 or self.kind(h) != socket.SOCK_STREAM):
            self.model.sent(self.host, h, passed, to, self.kind(h))

    @rule(target=socks, h=socks, size=SIZES, ancsize=st.sampled_from(ANC_SIZES), flags=_flags(RECVMSG_FLAGS))
    def recvmsg(self, h: int, size: int, ancsize: int, flags: frozenset[str]) -> Any:
        return self.do_recvmsg(h, size, ancsize, flags)

    def do_recvmsg(self, h: int, size: int, ancsize: int, flags: frozenset[str]) -> Any:
        mask = _mask(RECVMSG_FLAGS, flags)

        def op(side: Side) -> Any:
            data, anc, msg_flags, addr = side.sock(h).recvmsg(size, ancsize, mask)
            new: list[Any] = []
            shape: list[Any] = []
            for level, kind, raw in anc:
                raw = bytes(raw)
                if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                    fds = [struct.unpack_from("i", raw, i)[0] for i in range(0, len(raw) - len(raw) % 4, 4)]
                    arrived = []
                    for fd in fds:  # an fd arrived: wrap it as a new handle, see what it is
                        s = self._nonblocking(side, side.net.socket(fileno=fd))
                        new.append(s)
                        arrived.append((int(s.family), int(s.type)))
                    shape.append(("rights", len(raw), arrived))
                elif level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
                    shape.append(("creds", side.creds(raw)))
                else:
                    shape.append((level, kind, raw))
            return (self._received(data, size), shape, msg_flags, side.addr(addr)), new

        arrived = self.lockstep(f"recvmsg(h{h}, {size}, {ancsize}, {sorted(flags)})", op, h, size=size,
                                peek="PEEK" in flags)
        if self.last[0] == "ok" and "PEEK" not in flags:
            self.model.received(h, list(arrived.values))
            if self.last[1][2] & socket.MSG_CTRUNC:
                self.model.read(h)
        return arrived

    # --- targeted: the same steps, on handles chosen (from Linux's side-effect-free view) so
    # that they get somewhere: uniform choices almost never make a listener, a client of it
    # and an accept line up.

    def _handles(self, want: Callable[[Any], bool]) -> list[int]:
        found = []
        for h, s in sorted(self.host.socks.items()):
            with contextlib.suppress(OSError):
                if want(s):
                    found.append(h)
        return found

    @staticmethod
    def _listening(s: Any) -> bool:
        return bool(s.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN))

    @staticmethod
    def _bound(s: Any) -> bool:
        return s.getsockname() not in ("", None)

    @staticmethod
    def _connected(s: Any) -> bool:
        try:
            s.getpeername()
            return True
        except OSError:
            return False

    def _may_listen(self, s: Any) -> bool:
        return s.type != socket.SOCK_DGRAM and self._bound(s) and not self._listening(s) and not self._connected(s)

    def _may_connect(self, s: Any) -> bool:
        return s.type != socket.SOCK_DGRAM and not self._listening(s) and not self._connected(s)

    @staticmethod
    def _readable(s: Any) -> bool:
        return bool(select.select([s], [], [], 0)[0])

    @rule(target=socks, kind=st.sampled_from(["SEQPACKET", "STREAM"]), name=st.sampled_from(NAMES), backlog=BACKLOGS)
    def make_listener(self, kind: str, name: str, backlog: int) -> Any:
        """socket(), bind(), listen(): three steps, each compared."""
        new = self.socket_(kind)
        for h in new.values:
            self.bind(h, name)
            self.listen(h, backlog)
        return new

    @precondition(lambda self: self._handles(self._listening))
    @rule(target=socks, data=st.data(), same_type=st.booleans())
    def make_client(self, data: st.DataObject, same_type: bool) -> Any:
        """socket() of a listener's type (or another), then connect() to it: two steps, each compared."""
        to = data.draw(st.sampled_from(self._handles(self._listening)), label="to")
        kind = TYPE_NAMES[self.kind(to)] if same_type else data.draw(st.sampled_from(sorted(TYPES)), label="kind")
        new = self.socket_(kind)
        for h in new.values:
            self.do_connect(h, to)
        return new

    @precondition(lambda self: self._handles(self._may_listen))
    @rule(data=st.data(), backlog=BACKLOGS)
    def listen_bound(self, data: st.DataObject, backlog: int) -> None:
        h = data.draw(st.sampled_from(self._handles(self._may_listen)), label="h")
        self.both(f"listen(h{h}, {backlog})", lambda side: side.sock(h).listen(backlog), h)

    @precondition(lambda self: self._handles(self._listening) and self._handles(self._may_connect))
    @rule(data=st.data())
    def connect_listener(self, data: st.DataObject) -> None:
        h = data.draw(st.sampled_from(self._handles(self._may_connect)), label="h")
        kind = self.kind(h)
        listeners = self._handles(self._listening)
        same = [x for x in listeners if self.kind(x) == kind]
        to = data.draw(st.sampled_from(same or listeners), label="to")
        self.do_connect(h, to)

    @precondition(lambda self: self._handles(lambda s: s.type == socket.SOCK_DGRAM and self._bound(s)))
    @rule(data=st.data(), size=SIZES, flags=_flags(SEND_FLAGS), connect=st.booleans())
    def dgram_to_bound(self, data: st.DataObject, size: int, flags: frozenset[str], connect: bool) -> None:
        """connect() or sendto() a DGRAM socket to a bound DGRAM socket."""
        h = data.draw(st.sampled_from(self._handles(lambda s: s.type == socket.SOCK_DGRAM)), label="h")
        to = data.draw(st.sampled_from(self._handles(lambda s: s.type == socket.SOCK_DGRAM and self._bound(s))),
                       label="to")
        if connect:
            self.do_connect(h, to)
        else:
            self.do_sendto(h, size, flags, to)

    @precondition(lambda self: self._handles(self._listening))
    @rule(target=socks, data=st.data())
    def accept_listener(self, data: st.DataObject) -> Any:
        return self.do_accept(data.draw(st.sampled_from(self._handles(self._listening)), label="h"))

    @precondition(lambda self: self._handles(self._readable))
    @rule(target=socks, data=st.data(), size=SIZES, ancsize=st.sampled_from(ANC_SIZES), flags=_flags(RECVMSG_FLAGS))
    def recvmsg_readable(self, data: st.DataObject, size: int, ancsize: int, flags: frozenset[str]) -> Any:
        return self.do_recvmsg(data.draw(st.sampled_from(self._handles(self._readable)), label="h"),
                               size, ancsize, flags)

    # --- options --------------------------------------------------------------------------

    @rule(h=socks, opt=st.sampled_from(sorted(OPTS)), data=st.data())
    def setsockopt(self, h: int, opt: str, data: st.DataObject) -> None:
        values = self.buf_values if opt in ("SO_RCVBUF", "SO_SNDBUF") else OPT_VALUES[opt]
        value = data.draw(st.sampled_from(values), label="value")
        self.both(f"setsockopt(h{h}, {opt}, {value})",
                  lambda side: side.sock(h).setsockopt(socket.SOL_SOCKET, OPTS[opt], value), h)

    @rule(h=socks, opt=st.sampled_from(sorted(OPTS)))
    def getsockopt(self, h: int, opt: str) -> None:
        self.both(f"getsockopt(h{h}, {opt})", lambda side: side.sock(h).getsockopt(socket.SOL_SOCKET, OPTS[opt]), h)

    # --- readiness ---------------------------------------------------------------------

    @rule(h=socks)
    def select_one(self, h: int) -> None:
        def fn(side: Side) -> Any:
            s = side.sock(h)
            r, w, x = side.net.select([s], [s], [s], 0)
            return (bool(r), bool(w), bool(x))

        self.both(f"select(h{h})", fn, h)

    @invariant()
    def readiness_agrees(self) -> None:
        """After every step: select() of every open handle agrees (no state change)."""
        if not getattr(self, "host", None) or not self.host.socks:
            return
        live = sorted(self.host.socks)

        def fn(side: Side) -> Any:
            socks = [side.sock(h) for h in live]
            r, w, x = side.net.select(socks, socks, socks, 0)
            return [(s in r, s in w, s in x) for s in socks]

        want, _ = self._run(self.host, lambda side: (fn(side), []))
        got, _ = self._run(self.emu, lambda side: (fn(side), []))
        if want != got:
            rows = [f"    h{h}: linux={w} emulated={g}" for h, w, g in zip(live, want[1], got[1]) if w != g] \
                if want[0] == got[0] == "ok" else []
            raise AssertionError(
                f"after step {self.step_no}: select() (readable, writable, exceptional) of the open handles"
                f" {[f'h{h}' for h in live]}\n  linux:    {want!r}\n  emulated: {got!r}\n" + "\n".join(rows)
            )


# ------------------------------------------------------ known-bug signatures


class Step:
    """A step whose outcomes differ: its rule, arguments, the type of its
    socket (-1: none), and the outcome on each side."""

    def __init__(self, rule: str, args: dict[str, Any], kind: int, want: tuple, got: tuple) -> None:
        self.rule, self.args, self.kind, self.want, self.got = rule, args, kind, want, got


#: bug -> predicate(Step): whether a mismatch is exactly that bug's symptom
SIGNATURES: dict[str, Callable[[Step], bool]] = {}
