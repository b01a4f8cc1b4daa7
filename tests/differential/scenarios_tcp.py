"""TCP differential scenarios (issue 4): SOCK_STREAM over 127.0.0.1.

Each ``scenario_tcp_<area>_<behaviour>(net)`` drives TCP sockets through a
socket-module-like ``net`` and returns a trace of plain values.  Verified
against the host Linux kernel (6.18, as root); run with pytest
(``python -m pytest tests/differential -k "host and tcp"``) or with
``python shared/conformance/runner.py tests/differential/scenarios_tcp.py``.

Rules (as scenarios_inet.py): loopback only (127.0.0.1, other 127.x.y.z
addresses, INADDR_ANY binds); no ports, sequence numbers, timestamps or fd
numbers in a trace (an autobound port is traced as "in 32768..60999");
no sleeps, no threads.  Loopback delivery is synchronous on Linux (a segment
sent inside a syscall is processed, and answered, before the syscall
returns), but a scenario still synchronises on what the peer must have seen
with a blocking call or ``net.select`` with a timeout (never a sleep), and
checks "nothing there" with MSG_DONTWAIT or ``select`` with timeout 0 (or
<= 0.2 s where the kernel would answer asynchronously).  Every socket is
closed; a connection that would leave a TIME-WAIT on a fixed port uses a
fresh ephemeral one.

The traces are those of Linux 6.18 defaults: tcp_rmem "4096 131072
33554432" (window scale 10 on loopback), tcp_wmem "4096 16384 4194304",
tcp_syn_retries 6, tcp_fin_timeout 60, tcp_keepalive_* 7200/75/9,
somaxconn 4096, lo MTU 65536; they were checked equal in a fresh network
namespace (empty TCP metrics cache: TCP_INFO's reordering, which
tcp_init_metrics takes from that cache, is never traced).

Host assumptions beyond stock sysctls: none of these scenarios read the
default congestion control (the host may run bbr; they set "reno" or
"cubic" first) or set a buffer above 106496 bytes (net.core.rmem_max /
wmem_max may be larger than the stock 212992).  Values that depend on
timing (rto, rtt, pacing, last_*) are never traced from TCP_INFO.

Not expressible through both backends: accept4 flags (CPython's accept()
always passes SOCK_CLOEXEC and resets blocking mode itself), fcntl(O_NONBLOCK)
on the child, poll()/epoll (the host's socket module has no poll; select
only), and getsockopt with optlen 0.  ioctl SIOCINQ/SIOCOUTQ/SIOCATMARK go
through ``fcntl.ioctl`` on the host and the client's own syscall path on the
emulated kernel (``_ioctl_int``).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno as _errno
import struct

try:  # under pytest: the package's harness
    from .harness import attempt, errname
except ImportError:  # under shared/conformance/runner.py
    from runner import attempt, errname  # type: ignore[no-redef]

__all__ = ["attempt", "errname"]

#: The emulated run waits for the TCP stack (issue 4): the lead flips this
#: once tcp_prot / inet_stream_ops are registered and integrated.
EMULATED_READY = True
EMULATED_NOT_READY_REASON = "TCP (issue 4) not integrated yet: SOCK_STREAM has no tcp_prot in the emulated kernel"

LO = "127.0.0.1"
LO2 = "127.0.0.2"
ANY = "0.0.0.0"
NONLOCAL = "198.51.100.7"  # TEST-NET-2: never local (only bind sees it)
LO_BCAST = "127.255.255.255"

SOL_SOCKET = 1
SOL_IP = 0
SOL_TCP = 6
IPPROTO_TCP = 6
IPPROTO_UDP = 17
IPPROTO_ICMP = 1

SO_DEBUG = 1
SO_REUSEADDR = 2
SO_TYPE = 3
SO_ERROR = 4
SO_KEEPALIVE = 9
SO_OOBINLINE = 10
SO_LINGER = 13
SO_REUSEPORT = 15
SO_RCVLOWAT = 18
SO_SNDLOWAT = 19
SO_ACCEPTCONN = 30
SO_PROTOCOL = 38
SO_DOMAIN = 39
SO_PEEK_OFF = 42
SO_RCVBUF = 8
SO_SNDBUF = 7
IP_TOS = 1
IP_TTL = 2
IP_FREEBIND = 15

TCP_NODELAY = 1
TCP_MAXSEG = 2
TCP_CORK = 3
TCP_KEEPIDLE = 4
TCP_KEEPINTVL = 5
TCP_KEEPCNT = 6
TCP_SYNCNT = 7
TCP_LINGER2 = 8
TCP_DEFER_ACCEPT = 9
TCP_WINDOW_CLAMP = 10
TCP_INFO = 11
TCP_QUICKACK = 12
TCP_CONGESTION = 13
TCP_MD5SIG = 14
TCP_USER_TIMEOUT = 18
TCP_NOTSENT_LOWAT = 25

MSG_OOB = 0x1
MSG_PEEK = 0x2
MSG_TRUNC = 0x20
MSG_DONTWAIT = 0x40
MSG_EOR = 0x80
MSG_WAITALL = 0x100
MSG_NOSIGNAL = 0x4000
MSG_MORE = 0x8000

SIOCINQ = 0x541B  # FIONREAD
SIOCOUTQ = 0x5411  # TIOCOUTQ
SIOCATMARK = 0x8905
SIOCOUTQNSEND = 0x894B

# include/net/tcp_states.h
TCP_ESTABLISHED = 1
TCP_SYN_SENT = 2
TCP_FIN_WAIT1 = 4
TCP_FIN_WAIT2 = 5
TCP_CLOSE = 7
TCP_CLOSE_WAIT = 8
TCP_LAST_ACK = 9
TCP_LISTEN = 10

INT = struct.Struct("i")
LINGER = struct.Struct("ii")
# struct tcp_info up to tcpi_total_retrans (the 104-byte first version):
# 8 u8 (state, ca_state, retransmits, probes, backoff, options, wscales,
# app-limited bits) then 24 u32 (rto ... total_retrans).
TCP_INFO_V1 = struct.Struct("8B24I")
TCPI_FIELDS = (
    "state ca_state retransmits probes backoff options wscale flags "
    "rto ato snd_mss rcv_mss unacked sacked lost retrans fackets "
    "last_data_sent last_ack_sent last_data_recv last_ack_recv "
    "pmtu rcv_ssthresh rtt rttvar snd_ssthresh snd_cwnd advmss reordering "
    "rcv_rtt rcv_space total_retrans"
).split()
# Past the first version: u64 pacing_rate, max_pacing_rate, bytes_acked,
# bytes_received; u32 segs_out, segs_in, notsent_bytes, min_rtt,
# data_segs_in, data_segs_out.
TCP_INFO_V2 = struct.Struct("8B24I4Q6I")


# ------------------------------------------------------------------ helpers


def _close(*socks) -> None:
    for s in socks:
        s.close()


def _ephemeral(port: int) -> bool:
    return 32768 <= port <= 60999


def _tcp(net, flags=0):
    return net.socket(net.AF_INET, net.SOCK_STREAM | flags)


def _bound(net, addr=LO, port=0, reuse=False):
    s = _tcp(net)
    if reuse:
        s.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1)
    s.bind((addr, port))
    return s


def _listener(net, backlog=8, addr=LO):
    s = _bound(net, addr)
    s.listen(backlog)
    return s


def _connected(net, addr=LO):
    """(listener, client, accepted child) of one established connection."""
    srv = _listener(net, addr=addr)
    cli = _tcp(net)
    cli.connect((LO if addr == ANY else addr, srv.getsockname()[1]))
    conn, _ = srv.accept()
    return srv, cli, conn


def _pair(net):
    """(client, child) of an established connection; the listener is closed."""
    srv, cli, conn = _connected(net)
    srv.close()
    return cli, conn


def _free_port(net) -> int:
    """A TCP port on 127.0.0.1 that nobody holds (bound once, then closed)."""
    s = _bound(net)
    port = s.getsockname()[1]
    s.close()
    return port


def _readable(net, s, timeout=0.0) -> bool:
    return s in net.select([s], [], [], timeout)[0]


def _writable(net, s, timeout=0.0) -> bool:
    return s in net.select([], [s], [], timeout)[1]


def _ready(net, s, timeout=0.0) -> tuple:
    """(readable, writable, exceptional) as select sees s."""
    r, w, x = net.select([s], [s], [s], timeout)
    return (s in r, s in w, s in x)


def _wait_readable(net, s, timeout=2.0) -> bool:
    """Synchronise on something the peer sent (returns at once on Linux)."""
    return s in net.select([s], [], [], timeout)[0]


def _recv_exact(s, n: int) -> bytes:
    got = b""
    while len(got) < n:
        chunk = s.recv(n - len(got))
        if not chunk:
            break
        got += chunk
    return got


def _opt(s, level, name):
    return s.getsockopt(level, name)


def _setget(s, level, name, value):
    """Set an int option and read it back: the value read, or the errno name."""
    outcome = attempt(s.setsockopt, level, name, value)
    if outcome[0] == "err":
        return outcome[1]
    return s.getsockopt(level, name)


def _tcp_info(s, fields=("state",)) -> tuple:
    raw = s.getsockopt(SOL_TCP, TCP_INFO, TCP_INFO_V1.size)
    values = dict(zip(TCPI_FIELDS, TCP_INFO_V1.unpack(raw[: TCP_INFO_V1.size])))
    return tuple(values[f] for f in fields)


def _tcp_info_v2(s) -> dict:
    raw = s.getsockopt(SOL_TCP, TCP_INFO, TCP_INFO_V2.size)
    names = (
        TCPI_FIELDS
        + "pacing_rate max_pacing_rate bytes_acked bytes_received segs_out segs_in notsent_bytes min_rtt data_segs_in data_segs_out".split()
    )
    return dict(zip(names, TCP_INFO_V2.unpack(raw[: TCP_INFO_V2.size])))


def _so_error(s):
    """SO_ERROR (which clears it) as an errno name, or 0."""
    err = s.getsockopt(SOL_SOCKET, SO_ERROR)
    return _errno.errorcode.get(err, err) if err else 0


def _state(s) -> int:
    return _tcp_info(s)[0]


def _congestion(s, buflen=16) -> bytes:
    return s.getsockopt(SOL_TCP, TCP_CONGESTION, buflen).rstrip(b"\0")


def _ioctl_int(net, s, cmd):
    """An int-result ioctl on s: the value, or the errno name."""
    if hasattr(s, "_sys"):  # the project's client: its own syscall path
        outcome = attempt(s._sys, "ioctl", {"cmd": cmd, "arg": 0})
        return outcome[1].value if outcome[0] == "ok" else outcome[1]
    import fcntl

    outcome = attempt(fcntl.ioctl, s.fileno(), cmd, INT.pack(0))
    return INT.unpack(outcome[1])[0] if outcome[0] == "ok" else outcome[1]


_LIBC = None


def _libc():
    global _LIBC
    if _LIBC is None:
        _LIBC = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    return _LIBC


def _ip(text: str) -> bytes:
    return bytes(int(part) for part in text.split("."))


def _sockaddr_in(addr: str, port: int, family: int = 2) -> bytes:
    return struct.pack("<H", family) + struct.pack(">H", port) + _ip(addr) + bytes(8)


def _unspec() -> bytes:
    return _sockaddr_in(ANY, 0, family=0)


def _raw_connect(net, s, raw: bytes) -> str:
    """connect(s, raw sockaddr bytes): 'ok' or the errno name (AF_UNSPEC,
    short or foreign-family addresses the stdlib cannot build)."""
    if hasattr(s, "_sys"):  # the project's client
        return errname(s._sys, "connect", {"addr": raw})
    buf = ctypes.create_string_buffer(raw, len(raw))
    if _libc().connect(s.fileno(), buf, len(raw)) < 0:
        err = ctypes.get_errno()
        return _errno.errorcode.get(err, str(err))
    return "ok"


def _fill(net, s) -> int:
    """Send with MSG_DONTWAIT until EAGAIN; the bytes taken."""
    total = 0
    chunk = b"f" * 65536
    while True:
        try:
            total += s.send(chunk, MSG_DONTWAIT)
        except BlockingIOError:
            return total


def _drain(net, s) -> bytes:
    """Everything readable now (MSG_DONTWAIT until EAGAIN or EOF)."""
    got = b""
    while True:
        try:
            chunk = s.recv(1 << 20, MSG_DONTWAIT)
        except BlockingIOError:
            return got
        if not chunk:
            return got
        got += chunk


def _pump(net, src, dst, data: bytes) -> bytes:
    """Move data from src to dst without threads: non-blocking sends, and a
    blocking select on dst whenever src's buffer is full."""
    got = b""
    sent = 0
    while len(got) < len(data):
        if sent < len(data):
            try:
                sent += src.send(data[sent : sent + 65536], MSG_DONTWAIT)
                continue
            except BlockingIOError:
                pass
        if not _wait_readable(net, dst):
            break
        got += _drain(net, dst)
    return got


# ------------------------------------------------------ creation, defaults


def scenario_tcp_socket_type_protocol_domain(net):
    s = _tcp(net)
    t = net.socket(net.AF_INET, net.SOCK_STREAM, IPPROTO_TCP)
    trace = [
        _opt(s, SOL_SOCKET, SO_TYPE),
        _opt(s, SOL_SOCKET, SO_PROTOCOL),
        _opt(s, SOL_SOCKET, SO_DOMAIN),
        _opt(t, SOL_SOCKET, SO_PROTOCOL),
        s.type == net.SOCK_STREAM,
        s.proto,
        t.proto,
    ]
    _close(s, t)
    return trace


def scenario_tcp_socket_wrong_protocols(net):
    return [
        errname(net.socket, net.AF_INET, net.SOCK_STREAM, IPPROTO_UDP),
        errname(net.socket, net.AF_INET, net.SOCK_STREAM, IPPROTO_ICMP),
        errname(net.socket, net.AF_INET, net.SOCK_STREAM, 255),
        errname(net.socket, net.AF_INET, net.SOCK_DGRAM, IPPROTO_TCP),
    ]


def scenario_tcp_socket_flags_nonblock(net):
    s = _tcp(net, net.SOCK_NONBLOCK)
    trace = [s.getblocking(), errname(s.recv, 1), errname(s.accept), _opt(s, SOL_SOCKET, SO_TYPE)]
    s.close()
    return trace


def scenario_tcp_fresh_socket_names(net):
    s = _tcp(net)
    trace = [s.getsockname(), errname(s.getpeername), _so_error(s)]
    s.close()
    return trace


def scenario_tcp_acceptconn_lifecycle(net):
    s = _bound(net)
    trace = [_opt(s, SOL_SOCKET, SO_ACCEPTCONN)]
    s.listen(1)
    trace.append(_opt(s, SOL_SOCKET, SO_ACCEPTCONN))
    cli = _tcp(net)
    cli.connect(s.getsockname())
    conn, _ = s.accept()
    trace += [_opt(conn, SOL_SOCKET, SO_ACCEPTCONN), _opt(cli, SOL_SOCKET, SO_ACCEPTCONN)]
    trace.append(errname(s.setsockopt, SOL_SOCKET, SO_ACCEPTCONN, 0))
    _close(cli, conn, s)
    return trace


def scenario_tcp_buffer_defaults(net):
    s = _tcp(net)
    trace = [
        _opt(s, SOL_SOCKET, SO_RCVBUF),
        _opt(s, SOL_SOCKET, SO_SNDBUF),
        _opt(s, SOL_SOCKET, SO_RCVLOWAT),
        _opt(s, SOL_SOCKET, SO_SNDLOWAT),
        _opt(s, SOL_SOCKET, SO_KEEPALIVE),
        _opt(s, SOL_SOCKET, SO_OOBINLINE),
        _opt(s, SOL_SOCKET, SO_REUSEADDR),
        _opt(s, SOL_SOCKET, SO_REUSEPORT),
        s.getsockopt(SOL_SOCKET, SO_LINGER, LINGER.size),
    ]
    s.close()
    return trace


def scenario_tcp_rcvbuf_doubling_and_minimum(net):
    trace = []
    for value in (0, 1, 1000, 1152, 1153, 10000, 100000):
        s = _tcp(net)
        s.setsockopt(SOL_SOCKET, SO_RCVBUF, value)
        trace.append((value, _opt(s, SOL_SOCKET, SO_RCVBUF)))
        s.close()
    return trace


def scenario_tcp_sndbuf_doubling_and_minimum(net):
    trace = []
    for value in (0, 1, 2304, 2305, 10000, 100000):
        s = _tcp(net)
        s.setsockopt(SOL_SOCKET, SO_SNDBUF, value)
        trace.append((value, _opt(s, SOL_SOCKET, SO_SNDBUF)))
        s.close()
    return trace


def scenario_tcp_buffers_after_connect(net):
    """A connection keeps the SO_RCVBUF/SO_SNDBUF the user set (the lock
    stops autotuning); a set on the listener passes to the child."""
    srv = _bound(net)
    srv.setsockopt(SOL_SOCKET, SO_RCVBUF, 20000)
    srv.setsockopt(SOL_SOCKET, SO_SNDBUF, 30000)
    srv.listen(1)
    cli = _tcp(net)
    cli.setsockopt(SOL_SOCKET, SO_RCVBUF, 40000)
    cli.connect(srv.getsockname())
    conn, _ = srv.accept()
    trace = [
        _opt(cli, SOL_SOCKET, SO_RCVBUF),
        _opt(conn, SOL_SOCKET, SO_RCVBUF),
        _opt(conn, SOL_SOCKET, SO_SNDBUF),
        _opt(srv, SOL_SOCKET, SO_RCVBUF),
    ]
    _close(cli, conn, srv)
    return trace


def scenario_tcp_nodelay_cork_quickack_booleans(net):
    s = _tcp(net)
    trace = [_opt(s, SOL_TCP, TCP_NODELAY), _opt(s, SOL_TCP, TCP_CORK), _opt(s, SOL_TCP, TCP_QUICKACK)]
    for name in (TCP_NODELAY, TCP_CORK, TCP_QUICKACK):
        trace.append([_setget(s, SOL_TCP, name, v) for v in (5, 0, -1, 1, 0)])
    s.close()
    return trace


def scenario_tcp_maxseg_default_and_bounds(net):
    trace = []
    for value in (-1, 0, 1, 87, 88, 100, 536, 1460, 32767, 32768, 65535):
        s = _tcp(net)
        trace.append((value, errname(s.setsockopt, SOL_TCP, TCP_MAXSEG, value), _opt(s, SOL_TCP, TCP_MAXSEG)))
        s.close()
    return trace


def scenario_tcp_keepalive_options_bounds(net):
    trace = []
    for name in (TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT):
        s = _tcp(net)
        row = [_opt(s, SOL_TCP, name)]
        row += [_setget(s, SOL_TCP, name, v) for v in (-1, 0, 1, 127, 128, 32767, 32768)]
        trace.append(row)
        s.close()
    return trace


def scenario_tcp_keepalive_flag(net):
    s = _tcp(net)
    trace = [
        _opt(s, SOL_SOCKET, SO_KEEPALIVE),
        _setget(s, SOL_SOCKET, SO_KEEPALIVE, 7),
        _setget(s, SOL_SOCKET, SO_KEEPALIVE, 0),
    ]
    s.close()
    return trace


def scenario_tcp_syncnt_bounds(net):
    s = _tcp(net)
    trace = [_opt(s, SOL_TCP, TCP_SYNCNT)]
    trace += [_setget(s, SOL_TCP, TCP_SYNCNT, v) for v in (-1, 0, 1, 6, 127, 128)]
    s.close()
    return trace


def scenario_tcp_linger2_values(net):
    s = _tcp(net)
    trace = [_opt(s, SOL_TCP, TCP_LINGER2)]
    trace += [(v, _setget(s, SOL_TCP, TCP_LINGER2, v)) for v in (10, -1, -5, 0, 1, 119, 120, 121, 100000)]
    s.close()
    return trace


def scenario_tcp_defer_accept_rounding(net):
    s = _tcp(net)
    trace = [_opt(s, SOL_TCP, TCP_DEFER_ACCEPT)]
    for v in (1, 2, 3, 4, 8, 10, 30, 60, 100, 128, 1000, 32767, -1, 0):
        trace.append((v, _setget(s, SOL_TCP, TCP_DEFER_ACCEPT, v)))
    s.close()
    return trace


def scenario_tcp_window_clamp_values(net):
    s = _tcp(net)
    trace = [_opt(s, SOL_TCP, TCP_WINDOW_CLAMP)]
    trace += [(v, _setget(s, SOL_TCP, TCP_WINDOW_CLAMP, v)) for v in (1, 1151, 1152, 1153, 50000, 0, -1)]
    s.close()
    return trace


def scenario_tcp_user_timeout_values(net):
    s = _tcp(net)
    trace = [_opt(s, SOL_TCP, TCP_USER_TIMEOUT)]
    trace += [(v, _setget(s, SOL_TCP, TCP_USER_TIMEOUT, v)) for v in (1000, 0, -1, 2147483647)]
    s.close()
    return trace


def scenario_tcp_notsent_lowat_values(net):
    s = _tcp(net)
    trace = [(v, _setget(s, SOL_TCP, TCP_NOTSENT_LOWAT, v)) for v in (0, 1, 16384, -1)]
    s.close()
    return trace


def scenario_tcp_congestion_set_get(net):
    s = _tcp(net)
    trace = [errname(s.setsockopt, SOL_TCP, TCP_CONGESTION, b"reno"), _congestion(s)]
    trace += [errname(s.setsockopt, SOL_TCP, TCP_CONGESTION, b"cubic"), _congestion(s)]
    trace += [errname(s.setsockopt, SOL_TCP, TCP_CONGESTION, b"reno\0junk"), _congestion(s)]
    s.close()
    return trace


def scenario_tcp_congestion_unknown_is_enoent(net):
    s = _tcp(net)
    s.setsockopt(SOL_TCP, TCP_CONGESTION, b"reno")
    trace = [
        errname(s.setsockopt, SOL_TCP, TCP_CONGESTION, b"no-such-cc"),
        errname(s.setsockopt, SOL_TCP, TCP_CONGESTION, b"RENO"),
        errname(s.setsockopt, SOL_TCP, TCP_CONGESTION, b"x" * 20),
        _congestion(s),
    ]
    s.close()
    return trace


def scenario_tcp_congestion_optlen_truncation(net):
    s = _tcp(net)
    s.setsockopt(SOL_TCP, TCP_CONGESTION, b"cubic")
    trace = [s.getsockopt(SOL_TCP, TCP_CONGESTION, n) for n in (1, 2, 5, 6, 16)]
    trace.append(len(s.getsockopt(SOL_TCP, TCP_CONGESTION, 64)))
    s.close()
    return trace


def scenario_tcp_congestion_short_set(net):
    """setsockopt TCP_CONGESTION takes optlen bytes as the name ("cub" is unknown)."""
    s = _tcp(net)
    s.setsockopt(SOL_TCP, TCP_CONGESTION, b"reno")
    trace = [
        errname(s.setsockopt, SOL_TCP, TCP_CONGESTION, b"cub"),
        errname(s.setsockopt, SOL_TCP, TCP_CONGESTION, b""),
    ]
    trace.append(_congestion(s))
    s.close()
    return trace


def scenario_tcp_congestion_inherited_by_child(net):
    srv = _bound(net)
    srv.setsockopt(SOL_TCP, TCP_CONGESTION, b"reno")
    srv.listen(1)
    cli = _tcp(net)
    cli.setsockopt(SOL_TCP, TCP_CONGESTION, b"cubic")
    cli.connect(srv.getsockname())
    conn, _ = srv.accept()
    trace = [_congestion(srv), _congestion(cli), _congestion(conn)]
    trace += [errname(conn.setsockopt, SOL_TCP, TCP_CONGESTION, b"cubic"), _congestion(conn)]
    _close(cli, conn, srv)
    return trace


def scenario_tcp_unknown_sol_tcp_option(net):
    s = _tcp(net)
    trace = [errname(s.getsockopt, SOL_TCP, 99), errname(s.setsockopt, SOL_TCP, 99, 1)]
    trace += [errname(s.getsockopt, SOL_TCP, 1000), errname(s.setsockopt, SOL_TCP, 1000, 1)]
    trace.append(errname(s.setsockopt, SOL_TCP, TCP_INFO, 1))
    s.close()
    return trace


def scenario_tcp_option_short_optlen(net):
    s = _tcp(net)
    trace = [
        errname(s.setsockopt, SOL_TCP, TCP_NODELAY, b"\x01"),
        errname(s.setsockopt, SOL_TCP, TCP_NODELAY, b""),
        errname(s.setsockopt, SOL_TCP, TCP_MAXSEG, b"\x00\x02"),
        errname(s.setsockopt, SOL_TCP, TCP_KEEPIDLE, b"\x01\x00\x00"),
        errname(s.setsockopt, SOL_TCP, TCP_NODELAY, None, 0),
        _opt(s, SOL_TCP, TCP_NODELAY),
        _opt(s, SOL_TCP, TCP_KEEPIDLE),
    ]
    s.close()
    return trace


def scenario_tcp_option_long_optlen(net):
    """A longer optval is fine: the kernel reads the first int."""
    s = _tcp(net)
    trace = [
        errname(s.setsockopt, SOL_TCP, TCP_NODELAY, INT.pack(1) + b"\xff" * 4),
        _opt(s, SOL_TCP, TCP_NODELAY),
        errname(s.setsockopt, SOL_TCP, TCP_KEEPCNT, INT.pack(5) + b"\0" * 12),
        _opt(s, SOL_TCP, TCP_KEEPCNT),
    ]
    s.close()
    return trace


def scenario_tcp_getsockopt_short_buffers(net):
    s = _tcp(net)
    s.setsockopt(SOL_TCP, TCP_KEEPIDLE, 0x0102)
    trace = [
        s.getsockopt(SOL_TCP, TCP_KEEPIDLE, 1),
        s.getsockopt(SOL_TCP, TCP_KEEPIDLE, 2),
        s.getsockopt(SOL_TCP, TCP_KEEPIDLE, 4),
        s.getsockopt(SOL_TCP, TCP_KEEPIDLE, 8),
        s.getsockopt(SOL_TCP, TCP_MAXSEG, 3),
    ]
    s.close()
    return trace


def scenario_tcp_info_unconnected_and_listener(net):
    s = _tcp(net)
    fields = ("state", "ca_state", "retransmits", "options", "unacked", "snd_mss", "total_retrans")
    trace = [_tcp_info(s, fields)]
    s.bind((LO, 0))
    s.listen(3)
    trace.append(_tcp_info(s, fields))
    trace.append(len(s.getsockopt(SOL_TCP, TCP_INFO, 8)))
    trace.append(s.getsockopt(SOL_TCP, TCP_INFO, 1))
    s.close()
    return trace


def scenario_tcp_info_established_fields(net):
    srv, cli, conn = _connected(net)
    fields = (
        "state ca_state retransmits probes backoff options wscale snd_mss rcv_mss unacked sacked lost "
        "retrans pmtu advmss total_retrans"
    ).split()
    # not reordering: tcp_init_metrics takes it from the per-destination
    # metrics cache (ip tcp_metrics), so it depends on the host's history
    trace = [_tcp_info(cli, fields), _tcp_info(conn, fields)]
    _close(cli, conn, srv)
    return trace


def scenario_tcp_info_cwnd_ssthresh_reno(net):
    srv = _bound(net)
    srv.setsockopt(SOL_TCP, TCP_CONGESTION, b"reno")
    srv.listen(1)
    cli = _tcp(net)
    cli.setsockopt(SOL_TCP, TCP_CONGESTION, b"reno")
    cli.connect(srv.getsockname())
    conn, _ = srv.accept()
    fields = ("snd_cwnd", "snd_ssthresh", "ca_state")
    trace = [_tcp_info(cli, fields), _tcp_info(conn, fields)]
    _close(cli, conn, srv)
    return trace


def scenario_tcp_info_user_mss(net):
    """TCP_MAXSEG before connect: MSS negotiation on loopback both ways."""
    srv = _bound(net)
    srv.setsockopt(SOL_TCP, TCP_MAXSEG, 1000)
    srv.listen(1)
    cli = _tcp(net)
    cli.setsockopt(SOL_TCP, TCP_MAXSEG, 600)
    trace = [_opt(cli, SOL_TCP, TCP_MAXSEG), _opt(srv, SOL_TCP, TCP_MAXSEG)]
    cli.connect(srv.getsockname())
    conn, _ = srv.accept()
    fields = ("snd_mss", "advmss")
    trace += [_opt(cli, SOL_TCP, TCP_MAXSEG), _opt(conn, SOL_TCP, TCP_MAXSEG)]
    trace += [_tcp_info(cli, fields), _tcp_info(conn, fields)]
    _close(cli, conn, srv)
    return trace


def scenario_tcp_maxseg_after_connect(net):
    srv, cli, conn = _connected(net)
    trace = [_opt(cli, SOL_TCP, TCP_MAXSEG), _opt(conn, SOL_TCP, TCP_MAXSEG)]
    trace += [errname(cli.setsockopt, SOL_TCP, TCP_MAXSEG, 1000), _opt(cli, SOL_TCP, TCP_MAXSEG)]
    _close(cli, conn, srv)
    return trace


def scenario_tcp_options_inherited_by_child(net):
    srv = _bound(net)
    for name, value in (
        (TCP_NODELAY, 1),
        (TCP_KEEPIDLE, 100),
        (TCP_KEEPINTVL, 20),
        (TCP_KEEPCNT, 4),
        (TCP_USER_TIMEOUT, 5000),
    ):
        srv.setsockopt(SOL_TCP, name, value)
    srv.setsockopt(SOL_SOCKET, SO_KEEPALIVE, 1)
    srv.setsockopt(SOL_SOCKET, SO_OOBINLINE, 1)
    srv.setsockopt(SOL_SOCKET, SO_LINGER, LINGER.pack(1, 7))
    srv.listen(1)
    cli = _tcp(net)
    cli.connect(srv.getsockname())
    conn, _ = srv.accept()
    trace = [
        [
            _opt(conn, SOL_TCP, n)
            for n in (TCP_NODELAY, TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT, TCP_USER_TIMEOUT, TCP_CORK)
        ],
        [_opt(conn, SOL_SOCKET, n) for n in (SO_KEEPALIVE, SO_OOBINLINE, SO_REUSEADDR)],
        LINGER.unpack(conn.getsockopt(SOL_SOCKET, SO_LINGER, LINGER.size)),
        [_opt(cli, SOL_TCP, n) for n in (TCP_NODELAY, TCP_KEEPIDLE)],
    ]
    _close(cli, conn, srv)
    return trace


def scenario_tcp_quickack_after_connect(net):
    srv, cli, conn = _connected(net)
    trace = [_opt(cli, SOL_TCP, TCP_QUICKACK), _opt(conn, SOL_TCP, TCP_QUICKACK)]
    cli.setsockopt(SOL_TCP, TCP_QUICKACK, 0)
    trace.append(_opt(cli, SOL_TCP, TCP_QUICKACK))
    cli.setsockopt(SOL_TCP, TCP_QUICKACK, 1)
    trace.append(_opt(cli, SOL_TCP, TCP_QUICKACK))
    _close(cli, conn, srv)
    return trace


def scenario_tcp_linger_option_roundtrip(net):
    s = _tcp(net)
    trace = []
    for onoff, secs in ((1, 5), (0, 9), (1, 0), (7, 3)):
        s.setsockopt(SOL_SOCKET, SO_LINGER, LINGER.pack(onoff, secs))
        trace.append(LINGER.unpack(s.getsockopt(SOL_SOCKET, SO_LINGER, LINGER.size)))
    trace.append(errname(s.setsockopt, SOL_SOCKET, SO_LINGER, b"\1\0\0\0"))
    s.close()
    return trace


def _fill_until_stuck(net, s) -> None:
    """Send until the peer (which never reads) closes its window and our send buffer is full."""
    s.setblocking(False)
    while True:
        try:
            s.send(b"f" * 65536)
        except BlockingIOError:
            if not _writable(net, s, 0.3):
                break
    s.setblocking(True)


def scenario_tcp_linger_close_waits_for_the_fin_ack(net):
    """SO_LINGER l_linger > 0: close() sleeps while the FIN is unacked
    (sk_stream_wait_close).  A peer that ACKs without reading lets close
    return promptly (the data and EOF are then there); with the peer's window
    shut the FIN cannot go: close sleeps out l_linger (1 s) and returns anyway,
    leaving the orphan in FIN-WAIT-1 (the peer's unread close then resets it)."""
    import time

    cli, conn = _pair(net)
    cli.sendall(b"x" * 1000)
    cli.setsockopt(SOL_SOCKET, SO_LINGER, LINGER.pack(1, 10))
    start = time.monotonic()
    cli.close()
    trace = [time.monotonic() - start < 5, _recv_exact(conn, 1000) == b"x" * 1000, conn.recv(1)]
    conn.close()
    cli, conn = _pair(net)
    _fill_until_stuck(net, cli)
    cli.setsockopt(SOL_SOCKET, SO_LINGER, LINGER.pack(1, 1))
    start = time.monotonic()
    cli.close()
    took = time.monotonic() - start
    trace += [0.9 <= took < 5]
    conn.close()
    return trace


def scenario_tcp_rcvlowat_values(net):
    s = _tcp(net)
    trace = [(v, _setget(s, SOL_SOCKET, SO_RCVLOWAT, v)) for v in (5, 0, 1, 1000)]
    s.close()
    return trace


def scenario_tcp_ip_level_options(net):
    s = _tcp(net)
    trace = [
        _opt(s, SOL_IP, IP_TOS),
        _opt(s, SOL_IP, IP_TTL),
        _setget(s, SOL_IP, IP_TOS, 0x10),
        _setget(s, SOL_IP, IP_TTL, 5),
    ]
    s.close()
    return trace


def scenario_tcp_md5sig_get_is_enoprotoopt(net):
    s = _tcp(net)
    trace = [errname(s.getsockopt, SOL_TCP, TCP_MD5SIG, 16)]
    s.close()
    return trace


# ------------------------------------------------------------------- bind


def scenario_tcp_bind_twice_einval(net):
    s = _bound(net)
    trace = [errname(s.bind, (LO, 0)), errname(s.bind, (LO, s.getsockname()[1]))]
    s.close()
    return trace


def scenario_tcp_bind_autoport_ephemeral(net):
    s = _bound(net)
    a = _bound(net, ANY)
    trace = [s.getsockname()[0], _ephemeral(s.getsockname()[1]), a.getsockname()[0], _ephemeral(a.getsockname()[1])]
    trace.append(s.getsockname()[1] != a.getsockname()[1])
    _close(s, a)
    return trace


def _bind_pair(
    net, first_addr, second_addr, *, reuse1=False, reuse2=False, port1=False, port2=False, listen1=False, listen2=False
):
    """Bind a to (first_addr, p), maybe listen; then b to (second_addr, p)
    with the given options: 'ok' or b's errno name (then listen on b)."""
    a = _tcp(net)
    b = _tcp(net)
    if reuse1:
        a.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1)
    if port1:
        a.setsockopt(SOL_SOCKET, SO_REUSEPORT, 1)
    if reuse2:
        b.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1)
    if port2:
        b.setsockopt(SOL_SOCKET, SO_REUSEPORT, 1)
    a.bind((first_addr, 0))
    if listen1:
        a.listen(1)
    out = [errname(b.bind, (second_addr, a.getsockname()[1]))]
    if out[0] == "ok" and listen2:
        out.append(errname(b.listen, 1))
    _close(a, b)
    return out


def scenario_tcp_bind_conflict_plain(net):
    return [
        _bind_pair(net, LO, LO),
        _bind_pair(net, LO, LO, listen1=True),
        _bind_pair(net, ANY, LO),
        _bind_pair(net, LO, ANY),
        _bind_pair(net, LO, LO2),
        _bind_pair(net, LO, LO2, listen1=True, listen2=True),
    ]


def scenario_tcp_bind_conflict_reuseaddr(net):
    """SO_REUSEADDR on both: fine while neither listens; a listener keeps
    its address (and wildcard overlaps) to itself."""
    return [
        _bind_pair(net, LO, LO, reuse1=True, reuse2=True),
        _bind_pair(net, LO, LO, reuse1=True, reuse2=True, listen2=True),
        _bind_pair(net, LO, LO, reuse1=True, reuse2=True, listen1=True),
        _bind_pair(net, LO, LO, reuse1=True),
        _bind_pair(net, LO, LO, reuse2=True),
        _bind_pair(net, ANY, LO, reuse1=True, reuse2=True),
        _bind_pair(net, ANY, LO, reuse1=True, reuse2=True, listen1=True),
        _bind_pair(net, LO, ANY, reuse1=True, reuse2=True, listen1=True),
    ]


def scenario_tcp_bind_conflict_reuseport(net):
    return [
        _bind_pair(net, LO, LO, port1=True, port2=True),
        _bind_pair(net, LO, LO, port1=True, port2=True, listen1=True, listen2=True),
        _bind_pair(net, LO, LO, port1=True),
        _bind_pair(net, LO, LO, port2=True),
        _bind_pair(net, ANY, LO, port1=True, port2=True, listen1=True, listen2=True),
        _bind_pair(net, LO, LO, reuse1=True, port2=True),
    ]


def scenario_tcp_bind_nonlocal_and_freebind(net):
    s = _tcp(net)
    t = _tcp(net)
    t.setsockopt(SOL_IP, IP_FREEBIND, 1)
    trace = [errname(s.bind, (NONLOCAL, 0)), s.getsockname(), errname(t.bind, (NONLOCAL, 0)), t.getsockname()[0]]
    _close(s, t)
    return trace


def scenario_tcp_bind_other_loopback_addresses(net):
    trace = []
    for addr in (LO2, "127.1.2.3", LO_BCAST):
        s = _tcp(net)
        trace.append((addr, errname(s.bind, (addr, 0)), s.getsockname()[0]))
        s.close()
    return trace


def scenario_tcp_bind_after_connect_einval(net):
    srv, cli, conn = _connected(net)
    trace = [errname(cli.bind, (LO, 0)), errname(conn.bind, (LO, 0)), errname(srv.bind, (LO, 0))]
    _close(cli, conn, srv)
    return trace


def scenario_tcp_bind_udp_port_independent(net):
    u = net.socket(net.AF_INET, net.SOCK_DGRAM)
    u.bind((LO, _free_port(net)))  # a port no TCP socket holds
    s = _tcp(net)
    trace = [errname(s.bind, (LO, u.getsockname()[1])), s.getsockname() == u.getsockname()]
    _close(u, s)
    return trace


def scenario_tcp_bind_port_of_connected_client(net):
    """An autobound client port is taken for a plain bind (and for one with
    SO_REUSEADDR: the client itself has none)."""
    srv, cli, conn = _connected(net)
    port = cli.getsockname()[1]
    a = _tcp(net)
    b = _tcp(net)
    b.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1)
    trace = [errname(a.bind, (LO, port)), errname(b.bind, (LO, port))]
    _close(a, b, cli, conn, srv)
    return trace


def scenario_tcp_bind_listener_port_while_child_lives(net):
    """The classic server restart: the listener is gone, an accepted child
    still holds the port.  Without SO_REUSEADDR: EADDRINUSE; with it on the
    old listener (inherited by the child) and on the new socket: ok."""
    trace = []
    for reuse in (False, True):
        srv = _bound(net, reuse=reuse)
        srv.listen(1)
        port = srv.getsockname()[1]
        cli = _tcp(net)
        cli.connect((LO, port))
        conn, _ = srv.accept()
        srv.close()
        again = _tcp(net)
        if reuse:
            again.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1)
        trace.append(errname(again.bind, (LO, port)))
        if trace[-1] == "ok":
            trace.append(errname(again.listen, 1))
        _close(again, cli, conn)
    return trace


def scenario_tcp_bind_closed_listener_port_free(net):
    srv = _listener(net)
    port = srv.getsockname()[1]
    srv.close()
    s = _tcp(net)
    trace = [errname(s.bind, (LO, port)), errname(s.listen, 1)]
    s.close()
    return trace


def scenario_tcp_bind_wildcard_then_connect_source(net):
    srv = _listener(net, addr=ANY)
    cli = _bound(net, ANY)
    cli.connect((LO2, srv.getsockname()[1]))
    conn, peer = srv.accept()
    trace = [cli.getsockname()[0], cli.getpeername()[0], conn.getsockname()[0], peer[0], peer == cli.getsockname()]
    _close(cli, conn, srv)
    return trace


# ----------------------------------------------------------------- listen


def scenario_tcp_listen_twice_ok(net):
    s = _bound(net)
    trace = [errname(s.listen, 1), errname(s.listen, 5), errname(s.listen, 0), _opt(s, SOL_SOCKET, SO_ACCEPTCONN)]
    s.close()
    return trace


def scenario_tcp_listen_unbound_autobinds(net):
    s = _tcp(net)
    s.listen(1)
    name = s.getsockname()
    cli = _tcp(net)
    cli.connect((LO, name[1]))
    conn, _ = s.accept()
    trace = [name[0], _ephemeral(name[1]), conn.getsockname() == (LO, name[1])]
    _close(cli, conn, s)
    return trace


def scenario_tcp_listen_after_connect_einval(net):
    srv, cli, conn = _connected(net)
    trace = [errname(cli.listen, 1), errname(conn.listen, 1), _opt(cli, SOL_SOCKET, SO_ACCEPTCONN)]
    _close(cli, conn, srv)
    return trace


def scenario_tcp_listen_huge_and_negative_backlog(net):
    trace = []
    for backlog in (1000000, 2**31 - 1, -1, -100):
        s = _bound(net)
        trace.append(errname(s.listen, backlog))
        cli = _tcp(net)
        cli.connect(s.getsockname())
        conn, _ = s.accept()
        _close(cli, conn, s)
    return trace


def scenario_tcp_listen_in_close_wait_einval(net):
    srv, cli, conn = _connected(net)
    conn.close()
    trace = [cli.recv(1), errname(cli.listen, 1), _state(cli)]
    _close(cli, srv)
    return trace


def scenario_tcp_listener_io_errors(net):
    s = _listener(net)
    trace = [
        errname(s.recv, 1),
        errname(s.recv, 1, MSG_DONTWAIT),
        errname(s.send, b"x"),
        errname(s.getpeername),
        errname(s.shutdown, net.SHUT_WR),
        _opt(s, SOL_SOCKET, SO_ACCEPTCONN),
        errname(s.connect, (LO, s.getsockname()[1])),
    ]
    s.close()
    return trace


def _pending_connects(net, backlog, count):
    """A listener with that backlog, then count non-blocking connects; which
    of them complete within 0.2 s (a full accept queue drops the SYN)."""
    srv = _listener(net, backlog=backlog)
    clients = []
    done = []
    for _ in range(count):
        c = _tcp(net)
        c.setblocking(False)
        c.connect_ex(srv.getsockname())
        clients.append(c)
    for c in clients:
        done.append(_writable(net, c, 0.2 if not done or done[-1] else 0))
    states = [_state(c) for c in clients]
    accepted = 0
    while _readable(net, srv):
        conn, _ = srv.accept()
        conn.close()
        accepted += 1
    _close(srv, *clients)
    return [done, states, accepted]


def scenario_tcp_backlog_zero_takes_one(net):
    return _pending_connects(net, 0, 2)


def scenario_tcp_backlog_one_takes_two(net):
    return _pending_connects(net, 1, 3)


def scenario_tcp_backlog_three_takes_four(net):
    return _pending_connects(net, 3, 5)


def scenario_tcp_listen_shut_rd_stops_listening(net):
    """shutdown(SHUT_RD) on a listener disconnects it (inet_shutdown): back
    to CLOSE, accept is EINVAL, a pending child is reset."""
    srv = _listener(net)
    cli = _tcp(net)
    cli.connect(srv.getsockname())
    trace = [errname(srv.shutdown, net.SHUT_WR), _opt(srv, SOL_SOCKET, SO_ACCEPTCONN)]
    trace += [errname(srv.shutdown, net.SHUT_RD), _opt(srv, SOL_SOCKET, SO_ACCEPTCONN), _state(srv)]
    trace.append(errname(srv.accept))
    trace.append(_wait_readable(net, cli))
    trace.append(errname(cli.recv, 1))
    trace.append(errname(srv.listen, 1))
    _close(cli, srv)
    return trace


def scenario_tcp_listener_close_resets_pending(net):
    srv = _listener(net)
    cli = _tcp(net)
    cli.connect(srv.getsockname())
    cli.send(b"hello")
    srv.close()
    trace = [
        _wait_readable(net, cli),
        errname(cli.recv, 10),
        errname(cli.recv, 10),
        errname(cli.send, b"x"),
        _state(cli),
    ]
    cli.close()
    return trace


def scenario_tcp_listen_after_disconnect(net):
    """AF_UNSPEC connect on a listener stops it; it can listen again.  A
    port the user chose stays; an autobound one is released (getsockname
    still shows it) and listen autobinds afresh."""
    trace = []
    for explicit in (True, False):
        srv = _bound(net, port=_free_port(net) if explicit else 0)
        srv.listen(1)
        port = srv.getsockname()[1]
        trace += [_raw_connect(net, srv, _unspec()), _opt(srv, SOL_SOCKET, SO_ACCEPTCONN), _state(srv)]
        trace.append(srv.getsockname() == (LO, port))
        trace.append(errname(srv.listen, 2))
        if explicit:
            trace.append(srv.getsockname() == (LO, port))
        cli = _tcp(net)
        trace.append(errname(cli.connect, srv.getsockname()))
        conn, _ = srv.accept()
        _close(cli, conn, srv)
    return trace


# ----------------------------------------------------------------- accept


def scenario_tcp_accept_unbound_and_bound_einval(net):
    s = _tcp(net)
    t = _bound(net)
    trace = [errname(s.accept), errname(t.accept)]
    _close(s, t)
    return trace


def scenario_tcp_accept_nonblocking_eagain(net):
    srv = _listener(net)
    srv.setblocking(False)
    trace = [errname(srv.accept)]
    cli = _tcp(net)
    cli.connect(srv.getsockname())
    conn, _ = srv.accept()
    trace += [errname(srv.accept), conn.getsockname() == srv.getsockname()]
    _close(cli, conn, srv)
    return trace


def scenario_tcp_accept_timeout(net):
    srv = _listener(net)
    srv.settimeout(0.05)
    trace = [errname(srv.accept)]
    srv.close()
    return trace


def scenario_tcp_accept_peer_and_names(net):
    srv, cli, conn = _connected(net)
    trace = [
        conn.getpeername() == cli.getsockname(),
        conn.getsockname() == cli.getpeername(),
        conn.getsockname() == srv.getsockname(),
        _ephemeral(cli.getsockname()[1]),
        conn.type == net.SOCK_STREAM,
        _opt(conn, SOL_SOCKET, SO_TYPE),
        _so_error(conn),
    ]
    _close(cli, conn, srv)
    return trace


def scenario_tcp_accept_wildcard_listener_child_name(net):
    srv = _listener(net, addr=ANY)
    port = srv.getsockname()[1]
    trace = [srv.getsockname()[0]]
    for dst in (LO, LO2, ANY):
        cli = _tcp(net)
        cli.connect((dst, port))
        conn, peer = srv.accept()
        trace.append((dst, conn.getsockname()[0], cli.getpeername()[0], peer[0], cli.getsockname()[0]))
        _close(cli, conn)
    srv.close()
    return trace


def scenario_tcp_accept_order_fifo(net):
    srv = _listener(net)
    clients = []
    for i in range(3):
        c = _tcp(net)
        c.connect(srv.getsockname())
        c.send(bytes([65 + i]))
        clients.append(c)
    trace = []
    for _ in range(3):
        conn, peer = srv.accept()
        trace.append((conn.recv(1), [peer == c.getsockname() for c in clients]))
        conn.close()
    _close(srv, *clients)
    return trace


def scenario_tcp_accept_after_client_closed(net):
    """A connection closed (FIN) before accept is still accepted, with its data."""
    srv = _listener(net)
    cli = _tcp(net)
    cli.connect(srv.getsockname())
    cli.sendall(b"bye")
    cli.close()
    conn, _ = srv.accept()
    trace = [_state(conn), _recv_exact(conn, 3), conn.recv(10), conn.getpeername()[0]]
    _close(conn, srv)
    return trace


def scenario_tcp_accept_after_client_reset(net):
    """A child reset in the accept queue is still handed out: accept's
    address is there, getpeername is ENOTCONN, recv reports ECONNRESET."""
    srv = _listener(net)
    cli = _tcp(net)
    cli.connect(srv.getsockname())
    cli.setsockopt(SOL_SOCKET, SO_LINGER, LINGER.pack(1, 0))
    name = cli.getsockname()
    cli.close()
    conn, peer = srv.accept()
    trace = [peer == name, _state(conn), errname(conn.getpeername), errname(conn.recv, 1), conn.recv(1)]
    _close(conn, srv)
    return trace


def scenario_tcp_accept_select_readable(net):
    srv = _listener(net)
    trace = [_ready(net, srv)]
    cli = _tcp(net)
    cli.connect(srv.getsockname())
    trace.append(_ready(net, srv, 1.0))
    conn, _ = srv.accept()
    trace.append(_ready(net, srv))
    _close(cli, conn, srv)
    return trace


# ---------------------------------------------------------------- connect


def scenario_tcp_connect_refused_blocking_then_again(net):
    port = _free_port(net)
    s = _tcp(net)
    trace = [errname(s.connect, (LO, port)), _so_error(s), _state(s), errname(s.getpeername)]
    trace.append(errname(s.connect, (LO, port)))
    srv = _bound(net, port=port)
    srv.listen(1)
    trace.append(errname(s.connect, (LO, port)))
    conn, _ = srv.accept()
    trace.append(s.getpeername() == (LO, port))
    _close(s, conn, srv)
    return trace


def scenario_tcp_connect_refused_nonblocking_so_error(net):
    port = _free_port(net)
    s = _tcp(net)
    s.setblocking(False)
    trace = [_errno.errorcode.get(s.connect_ex((LO, port)))]
    trace.append(_ready(net, s, 2.0))
    trace += [_so_error(s), _so_error(s), _state(s)]
    trace.append(errname(s.recv, 1))
    trace.append(_errno.errorcode.get(s.connect_ex((LO, port)), 0))
    s.close()
    return trace


def scenario_tcp_connect_refused_error_consumed_by_connect(net):
    """After a refused non-blocking connect, the next connect() reports the
    pending error (and consumes it)."""
    port = _free_port(net)
    s = _tcp(net)
    s.setblocking(False)
    s.connect_ex((LO, port))
    _ready(net, s, 2.0)
    trace = [_errno.errorcode.get(s.connect_ex((LO, port)), 0), _so_error(s)]
    s.close()
    return trace


def scenario_tcp_connect_port_zero_refused(net):
    s = _tcp(net)
    trace = [errname(s.connect, (LO, 0))]
    s.close()
    return trace


def scenario_tcp_connect_eisconn_twice(net):
    srv, cli, conn = _connected(net)
    trace = [
        errname(cli.connect, srv.getsockname()),
        errname(cli.connect, (LO, 9)),
        errname(conn.connect, cli.getsockname()),
    ]
    _close(cli, conn, srv)
    return trace


def scenario_tcp_connect_nonblocking_sequence(net):
    """EINPROGRESS, writable with SO_ERROR 0, then the next connect() reports
    success once (sock->state becomes SS_CONNECTED), then EISCONN."""
    srv = _listener(net)
    s = _tcp(net)
    s.setblocking(False)
    trace = [_errno.errorcode.get(s.connect_ex(srv.getsockname()), 0)]
    trace.append(_writable(net, s, 2.0))
    trace.append(_so_error(s))
    trace.append(_errno.errorcode.get(s.connect_ex(srv.getsockname()), 0))
    trace.append(_errno.errorcode.get(s.connect_ex(srv.getsockname()), 0))
    trace.append(_state(s))
    conn, _ = srv.accept()
    _close(s, conn, srv)
    return trace


def scenario_tcp_connect_ealready_while_syn_sent(net):
    srv = _listener(net, backlog=0)
    first = _tcp(net)
    first.connect(srv.getsockname())
    s = _tcp(net)
    s.setblocking(False)
    trace = [_errno.errorcode.get(s.connect_ex(srv.getsockname()), 0)]
    trace.append(_ready(net, s, 0.2))
    trace.append(_errno.errorcode.get(s.connect_ex(srv.getsockname()), 0))
    trace.append(_errno.errorcode.get(s.connect_ex((LO, 9)), 0))
    trace += [_state(s), errname(s.getpeername), _ephemeral(s.getsockname()[1])]
    trace.append(errname(s.send, b"x"))
    trace.append(errname(s.recv, 1))
    _close(s, first, srv)
    return trace


def scenario_tcp_connect_syn_sent_shutdown(net):
    """shutdown() on a SYN-SENT socket disconnects it (inet_shutdown)."""
    srv = _listener(net, backlog=0)
    first = _tcp(net)
    first.connect(srv.getsockname())
    s = _tcp(net)
    s.setblocking(False)
    s.connect_ex(srv.getsockname())
    trace = [_state(s), errname(s.shutdown, net.SHUT_RD), _state(s), _so_error(s)]
    trace.append(errname(s.getpeername))
    _close(s, first, srv)
    return trace


def scenario_tcp_connect_syn_sent_disconnect_then_connect(net):
    srv = _listener(net, backlog=0)
    first = _tcp(net)
    first.connect(srv.getsockname())
    other = _listener(net)
    s = _tcp(net)
    s.setblocking(False)
    s.connect_ex(srv.getsockname())
    trace = [_raw_connect(net, s, _unspec()), _state(s)]
    s.setblocking(True)
    trace.append(errname(s.connect, other.getsockname()))
    trace.append(s.getpeername() == other.getsockname())
    conn, _ = other.accept()
    _close(s, conn, first, srv, other)
    return trace


def scenario_tcp_connect_self(net):
    """Connecting to one's own port: a simultaneous open with itself."""
    s = _bound(net)
    trace = [errname(s.connect, s.getsockname()), s.getpeername() == s.getsockname(), _state(s)]
    s.sendall(b"echo")
    trace.append(s.recv(10))
    s.shutdown(net.SHUT_WR)
    trace.append(s.recv(10))
    s.close()
    return trace


def scenario_tcp_connect_to_listener_port_from_itself_refused(net):
    """connect() on a listener is EISCONN, it never connects anywhere."""
    srv = _listener(net)
    other = _listener(net)
    trace = [errname(srv.connect, other.getsockname()), errname(srv.connect, srv.getsockname())]
    _close(srv, other)
    return trace


def scenario_tcp_connect_af_unspec_disconnect(net):
    srv, cli, conn = _connected(net)
    port = cli.getsockname()[1]
    trace = [_raw_connect(net, cli, _unspec()), errname(cli.getpeername), _state(cli)]
    trace += [cli.getsockname()[0], cli.getsockname()[1] == port]
    trace.append(_wait_readable(net, conn))
    trace += [errname(conn.recv, 1), errname(conn.send, b"x")]
    trace.append(errname(cli.connect, srv.getsockname()))
    conn2, peer = srv.accept()
    cli.sendall(b"again")
    trace += [_recv_exact(conn2, 5), peer == cli.getsockname()]
    _close(cli, conn, conn2, srv)
    return trace


def scenario_tcp_connect_af_unspec_keeps_user_bound_name(net):
    srv, _c, _x = _connected(net)
    _close(_c, _x)
    s = _bound(net, port=_free_port(net))
    name = s.getsockname()
    s.connect(srv.getsockname())
    conn, _ = srv.accept()
    trace = [_raw_connect(net, s, _unspec()), s.getsockname() == name, errname(s.getpeername)]
    trace.append(_raw_connect(net, s, _unspec()))
    _close(s, conn, srv)
    return trace


def scenario_tcp_connect_af_unspec_unconnected(net):
    s = _tcp(net)
    t = _bound(net)
    trace = [_raw_connect(net, s, _unspec()), s.getsockname(), _raw_connect(net, t, _unspec()), t.getsockname()[0]]
    _close(s, t)
    return trace


def scenario_tcp_connect_bad_addresses(net):
    s = _tcp(net)
    trace = [
        _raw_connect(net, s, _sockaddr_in(LO, 9)[:15]),
        _raw_connect(net, s, b"\x02\x00"),
        _raw_connect(net, s, _sockaddr_in(LO, 9, family=10)),
        _raw_connect(net, s, _sockaddr_in(LO, 9, family=1)),
        _state(s),
    ]
    s.close()
    return trace


def scenario_tcp_connect_broadcast_enetunreach(net):
    s = _tcp(net)
    trace = [errname(s.connect, (LO_BCAST, 80)), s.getsockname(), _state(s)]
    s.close()
    return trace


def scenario_tcp_connect_any_reaches_local_listener(net):
    srv = _listener(net, addr=ANY)
    s = _tcp(net)
    trace = [errname(s.connect, (ANY, srv.getsockname()[1])), s.getpeername()[0], s.getsockname()[0]]
    conn, _ = srv.accept()
    _close(s, conn, srv)
    return trace


def scenario_tcp_connect_wrong_address_of_listener_refused(net):
    """A listener on 127.0.0.1 does not take connections to 127.0.0.2."""
    srv = _listener(net)
    s = _tcp(net)
    trace = [errname(s.connect, (LO2, srv.getsockname()[1]))]
    _close(s, srv)
    return trace


def scenario_tcp_connect_autobind_and_names(net):
    srv = _listener(net)
    s = _tcp(net)
    before = s.getsockname()
    s.connect(srv.getsockname())
    conn, _ = srv.accept()
    name = s.getsockname()
    trace = [before, name[0], _ephemeral(name[1]), s.getpeername() == srv.getsockname(), conn.getpeername() == name]
    _close(s, conn, srv)
    return trace


def scenario_tcp_connect_bound_source_address(net):
    srv = _listener(net, addr=ANY)
    s = _bound(net, LO2)
    s.connect((LO, srv.getsockname()[1]))
    conn, peer = srv.accept()
    trace = [s.getsockname()[0], peer[0], conn.getsockname()[0]]
    _close(s, conn, srv)
    return trace


def scenario_tcp_connect_from_two_sockets_same_source_port(net):
    """SO_REUSEADDR lets two sockets bind one port; they may connect to
    different destinations, not to the same one (EADDRNOTAVAIL: the 4-tuple)."""
    a_srv = _listener(net)
    b_srv = _listener(net)
    a = _bound(net, reuse=True)
    b = _bound(net, port=a.getsockname()[1], reuse=True)
    trace = [errname(a.connect, a_srv.getsockname()), errname(b.connect, a_srv.getsockname())]
    trace.append(errname(b.connect, b_srv.getsockname()))
    conns = [a_srv.accept()[0], b_srv.accept()[0]]
    trace.append(a.getsockname() == b.getsockname())
    _close(a, b, a_srv, b_srv, *conns)
    return trace


def scenario_tcp_connect_timeout_setting_to_listener(net):
    srv = _listener(net)
    s = _tcp(net)
    s.settimeout(1.0)
    trace = [errname(s.connect, srv.getsockname()), s.gettimeout()]
    conn, _ = srv.accept()
    _close(s, conn, srv)
    return trace


def scenario_tcp_connect_after_shutdown_of_connected(net):
    srv, cli, conn = _connected(net)
    cli.shutdown(net.SHUT_RDWR)
    trace = [errname(cli.connect, srv.getsockname()), errname(cli.connect, (LO, 9))]
    _close(cli, conn, srv)
    return trace


def scenario_tcp_connect_after_peer_reset_eisconn(net):
    """After the peer's RST the socket is CLOSE but still SS_CONNECTED:
    connect() is EISCONN and SO_ERROR still holds ECONNRESET."""
    srv, cli, conn = _connected(net)
    conn.setsockopt(SOL_SOCKET, SO_LINGER, LINGER.pack(1, 0))
    conn.close()
    trace = [_wait_readable(net, cli), _state(cli), errname(cli.connect, srv.getsockname())]
    trace.append(_so_error(cli))
    conn2 = None
    if trace[-2] == "ok":
        conn2, _ = srv.accept()
        trace.append(_state(cli))
    _close(cli, srv)
    if conn2 is not None:
        conn2.close()
    return trace


# ------------------------------------------------------------------- data


def scenario_tcp_data_echo_sizes(net):
    cli, conn = _pair(net)
    trace = []
    for n in (1, 1000, 65483, 65535, 65536, 100000):
        data = bytes(i % 251 for i in range(n))
        got = _pump(net, cli, conn, data)
        back = _pump(net, conn, cli, got)
        trace.append((n, len(got), got == data, back == data))
    _close(cli, conn)
    return trace


def scenario_tcp_data_large_transfer(net):
    cli, conn = _pair(net)
    data = bytes(range(256)) * 8192  # 2 MiB
    got = _pump(net, cli, conn, data)
    cli.shutdown(net.SHUT_WR)
    trace = [len(got), got == data, conn.recv(10)]
    _close(cli, conn)
    return trace


def scenario_tcp_data_sendall_then_recv_in_pieces(net):
    cli, conn = _pair(net)
    cli.sendall(b"0123456789" * 100)
    first = _recv_exact(conn, 7)
    rest = _recv_exact(conn, 993)
    trace = [first, len(rest), first + rest == b"0123456789" * 100, errname(conn.recv, 1, MSG_DONTWAIT)]
    _close(cli, conn)
    return trace


def scenario_tcp_data_stream_merges_sends(net):
    cli, conn = _pair(net)
    cli.setsockopt(SOL_TCP, TCP_NODELAY, 1)
    for part in (b"ab", b"cd", b"ef"):
        cli.sendall(part)
    trace = [conn.recv(6, MSG_WAITALL), errname(conn.recv, 1, MSG_DONTWAIT)]
    _close(cli, conn)
    return trace


def scenario_tcp_data_peek(net):
    cli, conn = _pair(net)
    cli.sendall(b"hello world")
    trace = [conn.recv(11, MSG_PEEK | MSG_WAITALL)]
    trace += [conn.recv(5, MSG_PEEK), conn.recv(100, MSG_PEEK), conn.recv(5), conn.recv(100, MSG_PEEK), conn.recv(100)]
    trace.append(errname(conn.recv, 1, MSG_PEEK | MSG_DONTWAIT))
    _close(cli, conn)
    return trace


def scenario_tcp_data_peek_offset(net):
    cli, conn = _pair(net)
    trace = [_opt(conn, SOL_SOCKET, SO_PEEK_OFF)]
    conn.setsockopt(SOL_SOCKET, SO_PEEK_OFF, 0)
    cli.sendall(b"abcdefghij")
    conn.recv(10, MSG_PEEK | MSG_WAITALL)
    conn.setsockopt(SOL_SOCKET, SO_PEEK_OFF, 0)
    trace += [conn.recv(3, MSG_PEEK), conn.recv(3, MSG_PEEK), _opt(conn, SOL_SOCKET, SO_PEEK_OFF)]
    trace += [conn.recv(4), _opt(conn, SOL_SOCKET, SO_PEEK_OFF), conn.recv(2, MSG_PEEK), conn.recv(100)]
    _close(cli, conn)
    return trace


def scenario_tcp_data_waitall_across_sends(net):
    cli, conn = _pair(net)
    cli.setsockopt(SOL_TCP, TCP_NODELAY, 1)
    for i in range(5):
        cli.sendall(bytes([48 + i]) * 3)
    trace = [conn.recv(15, MSG_WAITALL)]
    _close(cli, conn)
    return trace


def scenario_tcp_data_waitall_stops_at_eof(net):
    cli, conn = _pair(net)
    cli.sendall(b"abc")
    cli.shutdown(net.SHUT_WR)
    trace = [conn.recv(10, MSG_WAITALL), conn.recv(10, MSG_WAITALL)]
    _close(cli, conn)
    return trace


def scenario_tcp_data_waitall_with_dontwait(net):
    cli, conn = _pair(net)
    cli.sendall(b"abc")
    _wait_readable(net, conn)
    trace = [conn.recv(10, MSG_WAITALL | MSG_DONTWAIT), errname(conn.recv, 10, MSG_WAITALL | MSG_DONTWAIT)]
    _close(cli, conn)
    return trace


def scenario_tcp_data_msg_trunc_discards(net):
    cli, conn = _pair(net)
    cli.sendall(b"0123456789")
    _wait_readable(net, conn)
    trace = [len(conn.recv(4, MSG_TRUNC)), _ioctl_int(net, conn, SIOCINQ), conn.recv(100)]
    cli.sendall(b"abcdef")
    _wait_readable(net, conn)
    trace += [len(conn.recv(3, MSG_TRUNC | MSG_PEEK)), conn.recv(100)]
    _close(cli, conn)
    return trace


def scenario_tcp_data_dontwait_empty(net):
    cli, conn = _pair(net)
    trace = [errname(conn.recv, 1, MSG_DONTWAIT), errname(cli.recv, 100, MSG_DONTWAIT)]
    conn.setblocking(False)
    trace.append(errname(conn.recv, 1))
    conn.settimeout(0.05)
    trace.append(errname(conn.recv, 1))
    _close(cli, conn)
    return trace


def scenario_tcp_data_rcvlowat_readiness(net):
    cli, conn = _pair(net)
    cli.setsockopt(SOL_TCP, TCP_NODELAY, 1)
    conn.setsockopt(SOL_SOCKET, SO_RCVLOWAT, 5)
    cli.sendall(b"abc")
    trace = [_readable(net, conn, 0.05), _ioctl_int(net, conn, SIOCINQ)]
    cli.sendall(b"de")
    trace += [_readable(net, conn, 1.0), conn.recv(100)]
    cli.sendall(b"xyz")
    _ioctl_int(net, conn, SIOCINQ)
    trace.append(conn.recv(100, MSG_DONTWAIT))
    _close(cli, conn)
    return trace


def scenario_tcp_data_rcvlowat_eof_readable(net):
    cli, conn = _pair(net)
    conn.setsockopt(SOL_SOCKET, SO_RCVLOWAT, 100)
    cli.sendall(b"ab")
    cli.shutdown(net.SHUT_WR)
    trace = [_readable(net, conn, 1.0), conn.recv(100), conn.recv(100)]
    _close(cli, conn)
    return trace


def scenario_tcp_data_recv_zero_bytes(net):
    cli, conn = _pair(net)
    trace = [conn.recv(0, MSG_DONTWAIT)]
    cli.sendall(b"abc")
    _wait_readable(net, conn)
    trace += [conn.recv(0), _ioctl_int(net, conn, SIOCINQ), conn.recv(10)]
    _close(cli, conn)
    return trace


def scenario_tcp_data_send_zero_bytes(net):
    cli, conn = _pair(net)
    s = _tcp(net)
    trace = [cli.send(b""), errname(conn.recv, 1, MSG_DONTWAIT), errname(s.send, b"")]
    _close(cli, conn, s)
    return trace


def scenario_tcp_data_send_after_shut_wr_epipe(net):
    cli, conn = _pair(net)
    cli.shutdown(net.SHUT_WR)
    trace = [errname(cli.send, b"x"), errname(cli.send, b"x", MSG_NOSIGNAL), errname(cli.sendall, b"yy")]
    trace += [conn.recv(1), errname(conn.send, b"ok"), cli.recv(10)]
    _close(cli, conn)
    return trace


def scenario_tcp_data_recv_after_shut_rd(net):
    """TCP's SHUT_RD only marks the socket: queued data is still read, then
    recv returns b"" while the queue is empty, and later data is read too."""
    cli, conn = _pair(net)
    cli.sendall(b"before")
    _wait_readable(net, conn)
    conn.shutdown(net.SHUT_RD)
    trace = [conn.recv(3), conn.recv(100), conn.recv(100), _readable(net, conn)]
    cli.sendall(b"after")
    trace += [_ioctl_int(net, conn, SIOCINQ), conn.recv(100), conn.recv(100), errname(conn.send, b"still")]
    trace.append(cli.recv(100))
    _close(cli, conn)
    return trace


def scenario_tcp_data_half_close_both_ways(net):
    cli, conn = _pair(net)
    cli.sendall(b"request")
    cli.shutdown(net.SHUT_WR)
    trace = [_recv_exact(conn, 7), conn.recv(10), _state(conn)]
    conn.sendall(b"response")
    trace.append(_recv_exact(cli, 8))
    conn.shutdown(net.SHUT_WR)
    trace += [cli.recv(10), cli.recv(10), errname(conn.send, b"x"), errname(cli.send, b"x")]
    trace += [errname(conn.getpeername), errname(cli.getpeername), _state(cli)]
    _close(cli, conn)
    return trace


def scenario_tcp_data_shut_rdwr(net):
    cli, conn = _pair(net)
    cli.shutdown(net.SHUT_RDWR)
    trace = [cli.recv(10), errname(cli.send, b"x"), conn.recv(10), errname(cli.shutdown, net.SHUT_RDWR)]
    trace.append(cli.getpeername() == conn.getsockname())
    _close(cli, conn)
    return trace


def scenario_tcp_data_sendmsg_buffers(net):
    cli, conn = _pair(net)
    trace = [cli.sendmsg([b"ab", b"", b"cde", memoryview(b"fgh")])]
    trace.append(cli.sendmsg([]))
    trace.append(conn.recv(8, MSG_WAITALL))
    _close(cli, conn)
    return trace


def scenario_tcp_data_recvmsg_shape(net):
    cli, conn = _pair(net)
    cli.sendall(b"payload")
    data, anc, flags, addr = conn.recvmsg(100)
    trace = [data, anc, flags, addr]
    cli.sendall(b"0123456789")
    _wait_readable(net, conn)
    data, anc, flags, addr = conn.recvmsg(4, 0, MSG_PEEK)
    trace += [data, flags]
    data, anc, flags, addr = conn.recvmsg(4)
    trace += [data, flags]
    _close(cli, conn)
    return trace


def scenario_tcp_data_recvmsg_trunc_flag(net):
    cli, conn = _pair(net)
    cli.sendall(b"0123456789")
    _wait_readable(net, conn)
    data, anc, flags, addr = conn.recvmsg(4, 0, MSG_TRUNC)
    trace = [len(data), flags, conn.recv(100)]
    _close(cli, conn)
    return trace


def scenario_tcp_data_recvmsg_into_buffers(net):
    cli, conn = _pair(net)
    cli.sendall(b"abcdefgh")
    _wait_readable(net, conn)
    a = bytearray(3)
    b = bytearray(10)
    n, anc, flags, addr = conn.recvmsg_into([a, b])
    trace = [n, bytes(a), bytes(b[: n - 3]), flags, addr]
    _close(cli, conn)
    return trace


def scenario_tcp_data_recvfrom_and_into(net):
    cli, conn = _pair(net)
    cli.sendall(b"abcdefgh")
    _wait_readable(net, conn)
    data, addr = conn.recvfrom(3)
    buf = bytearray(10)
    n = conn.recv_into(buf, 2)
    n2, addr2 = conn.recvfrom_into(buf)
    trace = [data, addr, n, n2, bytes(buf[:n2]), addr2]
    _close(cli, conn)
    return trace


def scenario_tcp_data_sendto_ignores_address(net):
    """sendto() on a connected TCP socket ignores the address; on an
    unconnected one it is EPIPE (no implicit connect without Fast Open)."""
    srv, cli, conn = _connected(net)
    trace = [errname(cli.sendto, b"x", (LO, 9)), errname(cli.sendto, b"y", (LO2, 1))]
    trace.append(conn.recv(2, MSG_WAITALL))
    s = _tcp(net)
    trace.append(errname(s.sendto, b"z", srv.getsockname()))
    trace.append(_readable(net, srv))
    _close(cli, conn, srv, s)
    return trace


def scenario_tcp_data_unconnected_io(net):
    s = _tcp(net)
    b = _bound(net)
    trace = [
        errname(s.send, b"x"),
        errname(s.recv, 1),
        errname(s.recv, 1, MSG_DONTWAIT),
        errname(s.recv, 1, MSG_PEEK),
        errname(b.send, b"x"),
        errname(b.recv, 1),
        errname(s.sendmsg, [b"x"]),
        errname(s.recvmsg, 1),
    ]
    _close(s, b)
    return trace


def scenario_tcp_data_fill_then_drain(net):
    """A non-blocking sender fills both buffers (EAGAIN, not writable);
    once the reader drains everything it is writable again."""
    cli, conn = _pair(net)
    total = _fill(net, cli)
    trace = [total > 0, errname(cli.send, b"x", MSG_DONTWAIT), _writable(net, cli)]
    got = 0
    while got < total and _wait_readable(net, conn):
        got += len(_drain(net, conn))
    trace += [got == total, _writable(net, cli, 2.0), errname(conn.recv, 1, MSG_DONTWAIT)]
    _close(cli, conn)
    return trace


def scenario_tcp_data_blocking_send_timeout(net):
    cli, conn = _pair(net)
    _fill(net, cli)
    cli.settimeout(0.05)
    trace = [errname(cli.send, b"x" * 1000), errname(cli.sendall, b"y" * 1000)]
    _close(cli, conn)
    return trace


def scenario_tcp_data_cork_holds_partial_segment(net):
    cli, conn = _pair(net)
    cli.setsockopt(SOL_TCP, TCP_CORK, 1)
    cli.sendall(b"corked")
    trace = [_readable(net, conn, 0.05), _ioctl_int(net, conn, SIOCINQ)]
    cli.setsockopt(SOL_TCP, TCP_CORK, 0)
    trace += [_readable(net, conn, 1.0), conn.recv(100)]
    _close(cli, conn)
    return trace


def scenario_tcp_data_msg_more_holds_until_flush(net):
    cli, conn = _pair(net)
    cli.send(b"part1-", MSG_MORE)
    trace = [_readable(net, conn, 0.05)]
    cli.send(b"part2")
    trace += [_readable(net, conn, 1.0), conn.recv(11, MSG_WAITALL)]
    _close(cli, conn)
    return trace


def scenario_tcp_data_cork_full_segment_goes(net):
    """Corked data leaves once a full MSS is queued."""
    cli, conn = _pair(net)
    cli.setsockopt(SOL_TCP, TCP_CORK, 1)
    mss = _opt(cli, SOL_TCP, TCP_MAXSEG)
    cli.sendall(b"m" * (mss + 10))
    trace = [_readable(net, conn, 1.0), _ioctl_int(net, conn, SIOCINQ) == mss]
    cli.setsockopt(SOL_TCP, TCP_CORK, 0)
    trace.append(len(conn.recv(mss + 10, MSG_WAITALL)) == mss + 10)
    _close(cli, conn)
    return trace


def scenario_tcp_data_nodelay_set_flushes_cork(net):
    """Setting TCP_NODELAY pushes what a cork held."""
    cli, conn = _pair(net)
    cli.setsockopt(SOL_TCP, TCP_CORK, 1)
    cli.sendall(b"held")
    trace = [_readable(net, conn, 0.05)]
    cli.setsockopt(SOL_TCP, TCP_NODELAY, 1)
    trace += [_readable(net, conn, 1.0), conn.recv(10), _opt(cli, SOL_TCP, TCP_CORK), _opt(cli, SOL_TCP, TCP_NODELAY)]
    _close(cli, conn)
    return trace


def scenario_tcp_data_ioctls(net):
    cli, conn = _pair(net)
    trace = [_ioctl_int(net, conn, SIOCINQ), _ioctl_int(net, cli, SIOCOUTQ), _ioctl_int(net, cli, SIOCOUTQNSEND)]
    cli.sendall(b"x" * 123)
    _wait_readable(net, conn)
    trace.append(_ioctl_int(net, conn, SIOCINQ))
    conn.recv(23)
    trace.append(_ioctl_int(net, conn, SIOCINQ))
    cli.shutdown(net.SHUT_WR)
    trace.append(_ioctl_int(net, conn, SIOCINQ))
    conn.recv(100)
    trace += [_ioctl_int(net, conn, SIOCINQ), conn.recv(10)]
    _close(cli, conn)
    return trace


def scenario_tcp_ioctls_on_listener_and_unconnected(net):
    s = _tcp(net)
    srv = _listener(net)
    trace = [
        _ioctl_int(net, s, SIOCINQ),
        _ioctl_int(net, s, SIOCOUTQ),
        _ioctl_int(net, s, SIOCOUTQNSEND),
        _ioctl_int(net, s, SIOCATMARK),
        _ioctl_int(net, srv, SIOCINQ),
        _ioctl_int(net, srv, SIOCOUTQ),
        _ioctl_int(net, srv, SIOCOUTQNSEND),
        _ioctl_int(net, srv, SIOCATMARK),
    ]
    _close(s, srv)
    return trace


def scenario_tcp_data_info_byte_counters(net):
    srv = _bound(net)
    srv.setsockopt(SOL_TCP, TCP_NODELAY, 1)
    srv.listen(1)
    cli = _tcp(net)
    cli.setsockopt(SOL_TCP, TCP_NODELAY, 1)
    cli.connect(srv.getsockname())
    conn, _ = srv.accept()
    cli.sendall(b"a" * 1000)
    _recv_exact(conn, 1000)
    conn.sendall(b"b" * 300)
    _recv_exact(cli, 300)
    c = _tcp_info_v2(cli)
    d = _tcp_info_v2(conn)
    trace = [
        (c["bytes_received"], c["data_segs_out"], c["data_segs_in"], c["notsent_bytes"], c["total_retrans"]),
        (d["bytes_received"], d["data_segs_out"], d["data_segs_in"], d["notsent_bytes"], d["total_retrans"]),
        d["bytes_acked"],
    ]
    _close(cli, conn, srv)
    return trace


# -------------------------------------------------------------------- OOB


def _oob_pair(net, inline=False):
    cli, conn = _pair(net)
    cli.setsockopt(SOL_TCP, TCP_NODELAY, 1)
    if inline:
        conn.setsockopt(SOL_SOCKET, SO_OOBINLINE, 1)
    return cli, conn


def scenario_tcp_oob_basic(net):
    cli, conn = _oob_pair(net)
    trace = [cli.send(b"abc", MSG_OOB)]
    trace.append(_ready(net, conn, 1.0))
    trace += [_ioctl_int(net, conn, SIOCINQ), _ioctl_int(net, conn, SIOCATMARK)]
    trace.append(conn.recv(100))
    trace += [_ioctl_int(net, conn, SIOCATMARK), _ready(net, conn)]
    trace += [conn.recv(1, MSG_OOB), _ioctl_int(net, conn, SIOCATMARK), _ready(net, conn)]
    trace += [errname(conn.recv, 1, MSG_OOB), errname(conn.recv, 1, MSG_DONTWAIT)]
    _close(cli, conn)
    return trace


def scenario_tcp_oob_read_before_inband(net):
    cli, conn = _oob_pair(net)
    cli.send(b"xyz", MSG_OOB)
    _wait_readable(net, conn)
    trace = [conn.recv(1, MSG_OOB | MSG_PEEK), conn.recv(1, MSG_OOB), errname(conn.recv, 1, MSG_OOB)]
    trace += [conn.recv(100), errname(conn.recv, 1, MSG_DONTWAIT)]
    _close(cli, conn)
    return trace


def scenario_tcp_oob_none_is_einval(net):
    cli, conn = _oob_pair(net)
    s = _tcp(net)
    srv = _listener(net)
    trace = [errname(conn.recv, 1, MSG_OOB), errname(s.recv, 1, MSG_OOB), errname(srv.recv, 1, MSG_OOB)]
    cli.sendall(b"plain")
    _wait_readable(net, conn)
    trace += [errname(conn.recv, 1, MSG_OOB), _ioctl_int(net, conn, SIOCATMARK), conn.recv(100)]
    _close(cli, conn, s, srv)
    return trace


def scenario_tcp_oob_inline(net):
    cli, conn = _oob_pair(net, inline=True)
    cli.send(b"abc", MSG_OOB)
    trace = [_ready(net, conn, 1.0), _ioctl_int(net, conn, SIOCINQ), _ioctl_int(net, conn, SIOCATMARK)]
    trace += [conn.recv(100), _ioctl_int(net, conn, SIOCATMARK), errname(conn.recv, 1, MSG_OOB)]
    trace += [conn.recv(100), errname(conn.recv, 1, MSG_OOB), errname(conn.recv, 1, MSG_DONTWAIT)]
    _close(cli, conn)
    return trace


def scenario_tcp_oob_then_more_data(net):
    cli, conn = _oob_pair(net)
    cli.send(b"12", MSG_OOB)
    cli.sendall(b"34")
    _wait_readable(net, conn)
    trace = [conn.recv(100), conn.recv(1, MSG_OOB), conn.recv(100, MSG_WAITALL | MSG_DONTWAIT)]
    _close(cli, conn)
    return trace


def scenario_tcp_oob_unread_byte_skipped_inband(net):
    """Not reading the urgent byte: in-band reads skip it."""
    cli, conn = _oob_pair(net)
    cli.send(b"ab!", MSG_OOB)
    cli.sendall(b"cd")
    _wait_readable(net, conn)
    trace = [conn.recv(100), conn.recv(100), errname(conn.recv, 1, MSG_OOB)]
    _close(cli, conn)
    return trace


def scenario_tcp_oob_second_mark_replaces_first(net):
    cli, conn = _oob_pair(net)
    cli.send(b"a1", MSG_OOB)
    cli.send(b"b2", MSG_OOB)
    _wait_readable(net, conn)
    trace = [_ioctl_int(net, conn, SIOCINQ), conn.recv(1, MSG_OOB), conn.recv(100), errname(conn.recv, 1, MSG_DONTWAIT)]
    _close(cli, conn)
    return trace


def scenario_tcp_oob_single_byte(net):
    cli, conn = _oob_pair(net)
    cli.send(b"!", MSG_OOB)
    trace = [_ready(net, conn, 1.0), _ioctl_int(net, conn, SIOCINQ), _ioctl_int(net, conn, SIOCATMARK)]
    trace += [conn.recv(1, MSG_OOB), errname(conn.recv, 1, MSG_DONTWAIT), _ready(net, conn)]
    _close(cli, conn)
    return trace


def scenario_tcp_oob_inband_read_passes_mark_loses_oob(net):
    """An in-band read at the mark (nothing before it) steps over the urgent
    byte: the read is EAGAIN and the urgent byte is gone (EINVAL after)."""
    cli, conn = _oob_pair(net)
    cli.send(b"!", MSG_OOB)
    net.select([], [], [conn], 2.0)  # urgent data: exceptional, not readable
    trace = [errname(conn.recv, 1, MSG_DONTWAIT), errname(conn.recv, 1, MSG_OOB), _ioctl_int(net, conn, SIOCATMARK)]
    cli.sendall(b"next")
    trace.append(_recv_exact(conn, 4))
    _close(cli, conn)
    return trace


def scenario_tcp_oob_oobinline_set_after_arrival(net):
    cli, conn = _oob_pair(net)
    cli.send(b"xy", MSG_OOB)
    _wait_readable(net, conn)
    conn.setsockopt(SOL_SOCKET, SO_OOBINLINE, 1)
    trace = [errname(conn.recv, 1, MSG_OOB), conn.recv(100), conn.recv(100, MSG_DONTWAIT)]
    _close(cli, conn)
    return trace


def scenario_tcp_oob_send_unconnected_and_after_shutdown(net):
    cli, conn = _oob_pair(net)
    s = _tcp(net)
    cli.shutdown(net.SHUT_WR)
    trace = [errname(s.send, b"x", MSG_OOB), errname(cli.send, b"x", MSG_OOB), conn.recv(10)]
    _close(cli, conn, s)
    return trace


def scenario_tcp_oob_recvmsg_flag(net):
    cli, conn = _oob_pair(net)
    cli.send(b"qr", MSG_OOB)
    _wait_readable(net, conn)
    data, anc, flags, addr = conn.recvmsg(10, 0, MSG_OOB)
    trace = [data, flags]
    data, anc, flags, addr = conn.recvmsg(10)
    trace += [data, flags]
    _close(cli, conn)
    return trace


def scenario_tcp_oob_peek_does_not_consume(net):
    cli, conn = _oob_pair(net)
    cli.send(b"pq", MSG_OOB)
    _wait_readable(net, conn)
    trace = [conn.recv(1, MSG_OOB | MSG_PEEK), conn.recv(1, MSG_OOB | MSG_PEEK), conn.recv(1, MSG_OOB)]
    trace += [errname(conn.recv, 1, MSG_OOB | MSG_PEEK), conn.recv(10)]
    _close(cli, conn)
    return trace


# -------------------------------------------------------- close and reset


def scenario_tcp_close_unread_data_resets_peer(net):
    cli, conn = _pair(net)
    cli.sendall(b"unread")
    _wait_readable(net, conn)
    conn.close()
    trace = [_wait_readable(net, cli), _state(cli), errname(cli.recv, 10), cli.recv(10), errname(cli.send, b"x")]
    trace.append(errname(cli.getpeername))
    cli.close()
    return trace


def scenario_tcp_close_linger_zero_resets_peer(net):
    cli, conn = _pair(net)
    conn.setsockopt(SOL_SOCKET, SO_LINGER, LINGER.pack(1, 0))
    conn.close()
    trace = [
        _wait_readable(net, cli),
        _ready(net, cli),
        _so_error(cli),
        _so_error(cli),
        cli.recv(10),
        errname(cli.send, b"x"),
    ]
    cli.close()
    return trace


def scenario_tcp_close_linger_zero_drops_unsent(net):
    """SO_LINGER 0 drops what was never sent (here held by TCP_CORK): the
    peer reads only ECONNRESET, then EOF."""
    cli, conn = _pair(net)
    conn.setsockopt(SOL_TCP, TCP_CORK, 1)
    conn.sendall(b"lost")
    conn.setsockopt(SOL_SOCKET, SO_LINGER, LINGER.pack(1, 0))
    conn.close()
    trace = [_wait_readable(net, cli), _ioctl_int(net, cli, SIOCINQ), errname(cli.recv, 100), cli.recv(100)]
    cli.close()
    return trace


def scenario_tcp_close_graceful_peer_reads_eof(net):
    cli, conn = _pair(net)
    conn.sendall(b"last words")
    conn.close()
    trace = [_recv_exact(cli, 10), cli.recv(10), cli.recv(10), _state(cli)]
    trace += [cli.getpeername()[0], _ready(net, cli)]
    cli.close()
    return trace


def scenario_tcp_close_linger_timeout_graceful(net):
    """SO_LINGER with a timeout: close waits for the FIN's ACK (at once on loopback)."""
    cli, conn = _pair(net)
    conn.setsockopt(SOL_SOCKET, SO_LINGER, LINGER.pack(1, 1))
    conn.sendall(b"bye")
    conn.close()
    trace = [_recv_exact(cli, 3), cli.recv(10), _state(cli)]
    cli.close()
    return trace


def scenario_tcp_send_to_closed_peer_sequence(net):
    """The peer closed (FIN): the first send is taken, the peer answers RST
    (data for a closed socket), the next sends are EPIPE (tcp_reset in
    CLOSE-WAIT sets EPIPE)."""
    cli, conn = _pair(net)
    conn.close()
    trace = [cli.recv(10), _state(cli), errname(cli.send, b"first")]
    trace.append(_wait_readable(net, cli))
    trace += [errname(cli.send, b"second"), errname(cli.send, b"third"), cli.recv(10), _state(cli)]
    cli.close()
    return trace


def scenario_tcp_send_after_peer_reset_sequence(net):
    cli, conn = _pair(net)
    conn.setsockopt(SOL_SOCKET, SO_LINGER, LINGER.pack(1, 0))
    conn.close()
    _wait_readable(net, cli)
    trace = [errname(cli.send, b"a"), errname(cli.send, b"b"), cli.recv(10), _so_error(cli)]
    cli.close()
    return trace


def scenario_tcp_recv_after_peer_reset_sequence(net):
    cli, conn = _pair(net)
    cli.sendall(b"data")
    conn.setsockopt(SOL_SOCKET, SO_LINGER, LINGER.pack(1, 0))
    conn.close()
    _wait_readable(net, cli)
    trace = [errname(cli.recv, 10), errname(cli.recv, 10), errname(cli.recv, 10, MSG_DONTWAIT), errname(cli.send, b"x")]
    cli.close()
    return trace


def scenario_tcp_reset_with_unread_data_at_receiver(net):
    """Data queued at the receiver when the RST comes stays readable: recv
    returns it first, then reports ECONNRESET."""
    cli, conn = _pair(net)
    conn.sendall(b"queued")
    _wait_readable(net, cli)
    conn.setsockopt(SOL_SOCKET, SO_LINGER, LINGER.pack(1, 0))
    conn.close()
    trace = [_ioctl_int(net, cli, SIOCINQ), errname(cli.recv, 10), errname(cli.recv, 10)]
    cli.close()
    return trace


def scenario_tcp_getpeername_after_peer_close(net):
    cli, conn = _pair(net)
    name = conn.getsockname()
    conn.close()
    cli.recv(1)
    trace = [cli.getpeername() == name, _state(cli), cli.getsockname()[0]]
    cli.close()
    return trace


def scenario_tcp_close_both_directions_eof_repeated(net):
    cli, conn = _pair(net)
    conn.close()
    trace = [cli.recv(10), cli.recv(10), cli.recv(10, MSG_DONTWAIT), cli.recv(10, MSG_PEEK), _readable(net, cli)]
    cli.close()
    return trace


def scenario_tcp_close_wait_then_close_peer_sees_eof(net):
    cli, conn = _pair(net)
    cli.shutdown(net.SHUT_WR)
    trace = [conn.recv(10), _state(conn)]
    conn.sendall(b"tail")
    conn.close()
    trace += [_recv_exact(cli, 4), cli.recv(10), _state(cli)]
    cli.close()
    return trace


def scenario_tcp_close_listener_with_accepted_child_alive(net):
    srv, cli, conn = _connected(net)
    srv.close()
    cli.sendall(b"still")
    trace = [_recv_exact(conn, 5), _state(conn)]
    conn.sendall(b"here")
    trace.append(_recv_exact(cli, 4))
    _close(cli, conn)
    return trace


def scenario_tcp_close_rst_reaches_select_as_error(net):
    cli, conn = _pair(net)
    trace = [_ready(net, cli)]
    conn.setsockopt(SOL_SOCKET, SO_LINGER, LINGER.pack(1, 0))
    conn.close()
    trace.append(_ready(net, cli, 1.0))
    trace.append(_so_error(cli))
    trace.append(_ready(net, cli))
    cli.close()
    return trace


def scenario_tcp_close_disconnect_peer_sees_reset(net):
    """AF_UNSPEC connect on an established socket sends RST."""
    cli, conn = _pair(net)
    conn.sendall(b"pending")
    _wait_readable(net, cli)
    _raw_connect(net, cli, _unspec())
    trace = [_wait_readable(net, conn), errname(conn.recv, 1), _state(conn), _ioctl_int(net, cli, SIOCINQ)]
    trace.append(errname(cli.recv, 1, MSG_DONTWAIT))
    _close(cli, conn)
    return trace


# ------------------------------------------------------------ readiness


def scenario_tcp_select_fresh_socket_is_hup(net):
    """A CLOSE socket polls POLLHUP|POLLOUT (select: readable and writable)."""
    s = _tcp(net)
    b = _bound(net)
    trace = [_ready(net, s), _ready(net, b)]
    _close(s, b)
    return trace


def scenario_tcp_select_established_idle(net):
    cli, conn = _pair(net)
    trace = [_ready(net, cli), _ready(net, conn)]
    _close(cli, conn)
    return trace


def scenario_tcp_select_data_arrival(net):
    cli, conn = _pair(net)
    cli.sendall(b"x")
    trace = [_ready(net, conn, 1.0)]
    conn.recv(1)
    trace.append(_ready(net, conn))
    _close(cli, conn)
    return trace


def scenario_tcp_select_after_own_shutdowns(net):
    cli, conn = _pair(net)
    cli.shutdown(net.SHUT_WR)
    trace = [_ready(net, cli)]
    cli.shutdown(net.SHUT_RD)
    trace.append(_ready(net, cli))
    _close(cli, conn)
    return trace


def scenario_tcp_select_at_eof(net):
    cli, conn = _pair(net)
    conn.shutdown(net.SHUT_WR)
    trace = [_ready(net, cli, 1.0), cli.recv(1), _ready(net, cli)]
    _close(cli, conn)
    return trace


def scenario_tcp_select_syn_sent(net):
    srv = _listener(net, backlog=0)
    first = _tcp(net)
    first.connect(srv.getsockname())
    s = _tcp(net)
    s.setblocking(False)
    s.connect_ex(srv.getsockname())
    trace = [_ready(net, s), _state(s)]
    _close(s, first, srv)
    return trace


def scenario_tcp_select_listener_never_writable(net):
    srv = _listener(net)
    trace = [_ready(net, srv)]
    cli = _tcp(net)
    cli.connect(srv.getsockname())
    trace.append(_ready(net, srv, 1.0))
    _close(cli, srv)
    return trace


def scenario_tcp_select_writable_after_connect(net):
    srv = _listener(net)
    s = _tcp(net)
    s.setblocking(False)
    s.connect_ex(srv.getsockname())
    trace = [_ready(net, s, 1.0)]
    conn, _ = srv.accept()
    trace.append(_ready(net, conn))
    _close(s, conn, srv)
    return trace


# --------------------------------------------------------------- shutdown


def scenario_tcp_shutdown_unconnected_enotconn(net):
    s = _tcp(net)
    b = _bound(net)
    trace = [errname(s.shutdown, net.SHUT_RD), errname(s.shutdown, net.SHUT_WR), errname(s.shutdown, net.SHUT_RDWR)]
    trace.append(errname(b.shutdown, net.SHUT_RDWR))
    trace.append(_ready(net, s))
    _close(s, b)
    return trace


def scenario_tcp_shutdown_bad_how_einval(net):
    cli, conn = _pair(net)
    s = _tcp(net)
    trace = [errname(cli.shutdown, 3), errname(cli.shutdown, -1), errname(cli.shutdown, 100), errname(s.shutdown, 3)]
    trace.append(_state(cli))
    _close(cli, conn, s)
    return trace


def scenario_tcp_shutdown_twice_ok(net):
    cli, conn = _pair(net)
    trace = [errname(cli.shutdown, net.SHUT_WR), errname(cli.shutdown, net.SHUT_WR), errname(cli.shutdown, net.SHUT_RD)]
    trace += [errname(cli.shutdown, net.SHUT_RDWR), conn.recv(1)]
    _close(cli, conn)
    return trace


def scenario_tcp_shutdown_after_peer_reset(net):
    cli, conn = _pair(net)
    conn.setsockopt(SOL_SOCKET, SO_LINGER, LINGER.pack(1, 0))
    conn.close()
    _wait_readable(net, cli)
    trace = [errname(cli.shutdown, net.SHUT_WR), _so_error(cli), errname(cli.shutdown, net.SHUT_RDWR)]
    cli.close()
    return trace


def scenario_tcp_shutdown_write_with_queued_data_delivers(net):
    cli, conn = _pair(net)
    cli.sendall(b"q" * 5000)
    cli.shutdown(net.SHUT_WR)
    got = _recv_exact(conn, 5000)
    trace = [len(got), conn.recv(1), _state(conn)]
    _close(cli, conn)
    return trace


def scenario_tcp_shutdown_in_close_wait_goes_last_ack(net):
    cli, conn = _pair(net)
    cli.shutdown(net.SHUT_WR)
    trace = [conn.recv(1), _state(conn)]
    conn.shutdown(net.SHUT_WR)
    trace += [cli.recv(1), _state(conn), _state(cli), errname(conn.recv, 1), errname(conn.send, b"x")]
    _close(cli, conn)
    return trace


# ---------------------------------------------------------------- names


def scenario_tcp_names_through_lifecycle(net):
    srv = _listener(net)
    s = _tcp(net)
    trace = [s.getsockname(), errname(s.getpeername)]
    s.connect(srv.getsockname())
    conn, _ = srv.accept()
    trace += [s.getpeername() == srv.getsockname(), errname(srv.getpeername)]
    s.shutdown(net.SHUT_WR)
    trace.append(s.getpeername() == srv.getsockname())
    conn.shutdown(net.SHUT_WR)
    s.recv(1)
    trace += [errname(s.getpeername), s.getsockname()[0], _state(s)]
    s.close()
    trace.append(errname(s.getsockname))
    _close(conn, srv)
    return trace


def scenario_tcp_names_syn_sent(net):
    srv = _listener(net, backlog=0)
    first = _tcp(net)
    first.connect(srv.getsockname())
    s = _tcp(net)
    s.setblocking(False)
    s.connect_ex(srv.getsockname())
    trace = [errname(s.getpeername), s.getsockname()[0], _ephemeral(s.getsockname()[1])]
    _close(s, first, srv)
    return trace


# -------------------------------------------------------------- TIME-WAIT


def _time_wait_port(net, active_is_server: bool):
    """A connection closed so that one side lingers in TIME-WAIT; returns
    (port in TIME-WAIT, address).  The active closer sends the first FIN."""
    srv = _bound(net, reuse=True)
    srv.listen(1)
    cli = _tcp(net)
    cli.connect(srv.getsockname())
    conn, _ = srv.accept()
    first, second = (conn, cli) if active_is_server else (cli, conn)
    port = first.getsockname()[1]
    first.close()
    second.recv(1)  # the FIN arrived
    second.close()  # LAST-ACK; the active side's TIME-WAIT ACKs it
    srv.close()
    return port


def scenario_tcp_time_wait_blocks_plain_bind(net):
    port = _time_wait_port(net, active_is_server=True)
    a = _tcp(net)
    b = _tcp(net)
    b.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1)
    trace = [errname(a.bind, (LO, port)), errname(b.bind, (LO, port)), errname(b.listen, 1)]
    _close(a, b)
    return trace


def scenario_tcp_time_wait_client_port(net):
    port = _time_wait_port(net, active_is_server=False)
    a = _tcp(net)
    b = _tcp(net)
    b.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1)
    c = _tcp(net)
    trace = [errname(a.bind, (LO, port)), errname(b.bind, (LO, port)), errname(c.bind, (ANY, port))]
    _close(a, b, c)
    return trace


def scenario_tcp_time_wait_passive_side_frees_port(net):
    """The passive closer leaves no TIME-WAIT: its port binds at once."""
    srv = _bound(net)
    srv.listen(1)
    port = srv.getsockname()[1]
    cli = _tcp(net)
    cli.connect(srv.getsockname())
    conn, _ = srv.accept()
    cli.close()
    conn.recv(1)
    conn.close()
    srv.close()
    a = _tcp(net)
    trace = [errname(a.bind, (LO, port))]
    a.close()
    return trace


def scenario_tcp_time_wait_wildcard_bind_with_reuseaddr(net):
    port = _time_wait_port(net, active_is_server=True)
    a = _tcp(net)
    a.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1)
    b = _tcp(net)
    trace = [errname(a.bind, (ANY, port)), errname(b.bind, (LO2, port))]
    _close(a, b)
    return trace


# ------------------------------------------------------ TCP_INFO per state


def scenario_tcp_info_state_walk_active_close(net):
    cli, conn = _pair(net)
    trace = [_state(cli), _state(conn)]
    cli.shutdown(net.SHUT_WR)
    conn.recv(1)
    trace.append(_state(conn))
    conn.sendall(b"ack")  # carries the ACK of the FIN: cli is FIN-WAIT-2
    _recv_exact(cli, 3)
    trace.append(_state(cli))
    conn.shutdown(net.SHUT_WR)
    cli.recv(1)
    trace += [_state(cli), _state(conn)]
    _close(cli, conn)
    return trace


def scenario_tcp_info_state_after_rst(net):
    cli, conn = _pair(net)
    conn.setsockopt(SOL_SOCKET, SO_LINGER, LINGER.pack(1, 0))
    conn.close()
    _wait_readable(net, cli)
    trace = [_tcp_info(cli, ("state", "retransmits", "unacked"))]
    cli.close()
    return trace


def scenario_tcp_info_options_bits_loopback(net):
    """TCP_INFO options bits: timestamps, SACK and window scaling on loopback."""
    cli, conn = _pair(net)
    trace = [_tcp_info(cli, ("options",))[0] & 7, _tcp_info(conn, ("options",))[0] & 7]
    _close(cli, conn)
    return trace


def scenario_tcp_info_truncated_lengths(net):
    cli, conn = _pair(net)
    trace = [len(cli.getsockopt(SOL_TCP, TCP_INFO, n)) for n in (1, 7, 8, 104)]
    trace.append(cli.getsockopt(SOL_TCP, TCP_INFO, 4))
    _close(cli, conn)
    return trace


def scenario_tcp_info_unacked_zero_after_exchange(net):
    cli, conn = _pair(net)
    cli.setsockopt(SOL_TCP, TCP_NODELAY, 1)
    conn.setsockopt(SOL_TCP, TCP_NODELAY, 1)
    for _ in range(3):
        cli.sendall(b"ping")
        _recv_exact(conn, 4)
        conn.sendall(b"pong")
        _recv_exact(cli, 4)
    fields = ("state", "retransmits", "unacked", "lost", "retrans", "total_retrans", "ca_state")
    # conn's last "pong" may wait for a delayed ACK: its unacked is not traced
    trace = [_tcp_info(cli, fields), _tcp_info(conn, fields[:2] + fields[3:])]
    _close(cli, conn)
    return trace


# ------------------------------------------------------------------ more


def scenario_tcp_defer_accept_waits_for_data(net):
    """TCP_DEFER_ACCEPT: the handshake completes for the client, but the
    listener is readable only once data arrives."""
    srv = _bound(net)
    srv.setsockopt(SOL_TCP, TCP_DEFER_ACCEPT, 5)
    srv.listen(1)
    cli = _tcp(net)
    trace = [errname(cli.connect, srv.getsockname()), _state(cli), _readable(net, srv, 0.05)]
    cli.sendall(b"first")
    trace.append(_readable(net, srv, 1.0))
    conn, _ = srv.accept()
    trace += [_recv_exact(conn, 5), _opt(conn, SOL_TCP, TCP_DEFER_ACCEPT)]
    _close(cli, conn, srv)
    return trace


def scenario_tcp_relisten_shrinks_backlog(net):
    srv = _listener(net, backlog=5)
    first = _tcp(net)
    first.connect(srv.getsockname())
    srv.listen(0)
    s = _tcp(net)
    s.setblocking(False)
    s.connect_ex(srv.getsockname())
    trace = [_writable(net, s, 0.2), _state(s)]
    conn, _ = srv.accept()
    _close(conn, s, first, srv)
    return trace


def scenario_tcp_dup_shares_connection(net):
    cli, conn = _pair(net)
    twin = cli.dup()
    cli.close()
    twin.sendall(b"via dup")
    trace = [_recv_exact(conn, 7)]
    other = twin.dup()
    other.shutdown(net.SHUT_WR)
    trace += [conn.recv(1), errname(twin.send, b"x")]
    other.close()
    conn.sendall(b"back")
    trace.append(_recv_exact(twin, 4))
    twin.close()
    trace.append(conn.recv(1))
    conn.close()
    return trace


def scenario_tcp_accept_child_cloexec_and_blocking(net):
    srv = _listener(net)
    srv.setblocking(False)
    cli = _tcp(net)
    cli.connect(srv.getsockname())
    conn, _ = srv.accept()
    trace = [conn.get_inheritable(), cli.get_inheritable(), conn.getblocking(), errname(conn.recv, 1, MSG_DONTWAIT)]
    _close(cli, conn, srv)
    return trace


def scenario_tcp_options_on_connected_socket(net):
    cli, conn = _pair(net)
    trace = [
        _setget(cli, SOL_TCP, TCP_KEEPIDLE, 30),
        _setget(cli, SOL_TCP, TCP_KEEPINTVL, 5),
        _setget(cli, SOL_TCP, TCP_KEEPCNT, 3),
        _setget(cli, SOL_SOCKET, SO_KEEPALIVE, 1),
        _setget(cli, SOL_SOCKET, SO_SNDBUF, 50000),
        _setget(cli, SOL_SOCKET, SO_RCVBUF, 50000),
        _setget(cli, SOL_TCP, TCP_SYNCNT, 3),
        _setget(cli, SOL_TCP, TCP_LINGER2, 30),
        _setget(cli, SOL_TCP, TCP_USER_TIMEOUT, 100),
    ]
    cli.sendall(b"still fine")
    trace.append(_recv_exact(conn, 10))
    _close(cli, conn)
    return trace


def scenario_tcp_window_clamp_on_connected_socket(net):
    cli, conn = _pair(net)
    trace = [_opt(cli, SOL_TCP, TCP_WINDOW_CLAMP) > 0]
    trace += [(v, _setget(cli, SOL_TCP, TCP_WINDOW_CLAMP, v)) for v in (100, 5000, 0)]
    _close(cli, conn)
    return trace


def scenario_tcp_so_error_read_clears(net):
    port = _free_port(net)
    s = _tcp(net)
    s.setblocking(False)
    s.connect_ex((LO, port))
    _ready(net, s, 2.0)
    trace = [s.getsockopt(SOL_SOCKET, SO_ERROR) == _errno.ECONNREFUSED, s.getsockopt(SOL_SOCKET, SO_ERROR)]
    trace.append(errname(s.setsockopt, SOL_SOCKET, SO_ERROR, 1))
    s.close()
    return trace


def scenario_tcp_listener_accepts_after_reset_child_consumed(net):
    """A reset child is still counted in the accept queue until accepted."""
    srv = _listener(net, backlog=0)
    a = _tcp(net)
    a.connect(srv.getsockname())
    a.setsockopt(SOL_SOCKET, SO_LINGER, LINGER.pack(1, 0))
    a.close()
    b = _tcp(net)
    b.setblocking(False)
    b.connect_ex(srv.getsockname())
    trace = [_writable(net, b, 0.2)]
    conn, _ = srv.accept()
    trace.append(errname(conn.recv, 1))
    _close(conn, b, srv)
    return trace


def scenario_tcp_simultaneous_two_clients_independent(net):
    srv = _listener(net)
    a = _tcp(net)
    b = _tcp(net)
    a.connect(srv.getsockname())
    b.connect(srv.getsockname())
    ca, _ = srv.accept()
    cb, _ = srv.accept()
    a.sendall(b"from a")
    b.sendall(b"from b")
    trace = [_recv_exact(ca, 6), _recv_exact(cb, 6), a.getsockname() != b.getsockname()]
    a.setsockopt(SOL_SOCKET, SO_LINGER, LINGER.pack(1, 0))
    a.close()
    trace += [errname(ca.recv, 1), errname(cb.send, b"ok"), _recv_exact(b, 2)]
    _close(b, ca, cb, srv)
    return trace
