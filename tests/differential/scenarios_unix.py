"""AF_UNIX differential scenarios (issue 2: the foundation).

Each ``scenario_<area>_<behaviour>(net)`` drives sockets through a
socket-module-like ``net`` and returns a trace of plain values.  Verified
against the host Linux kernel; run with pytest (tests/differential) or with
``python shared/conformance/runner.py tests/differential/scenarios_unix.py``.

Rules: no ports, pids, fd numbers or random names in a trace (compare them and
trace the comparison); unique names in /tmp (the emulated host's filesystem
has /tmp but none of the host's other directories) and in the abstract
namespace; no sleeps and no threads; "nothing there" checks use MSG_DONTWAIT,
non-blocking sockets or select with timeout 0; timeouts stay <= 0.2 s, and SO_*TIMEO values read
back are multiples of 20 ms (the kernel keeps them in jiffies); every socket is closed.
"""

from __future__ import annotations

import hashlib
import os
import struct
import uuid

try:  # under pytest: the package's harness
    from .harness import attempt, errname
except ImportError:  # under shared/conformance/runner.py
    from runner import attempt, errname  # type: ignore[no-redef]

__all__ = ["attempt", "errname"]

# Linux values absent from Python's socket module
SO_NO_CHECK = 11
SO_BSDCOMPAT = 14
SO_SNDBUFFORCE = 32
SO_RCVBUFFORCE = 33
SO_PEEK_OFF = 42
SOCK_RDM = 4
SOCK_DCCP = 6
SOCK_PACKET = 10

INT = struct.Struct("i")
UCRED = struct.Struct("iii")  # pid, uid, gid
TIMEVAL = struct.Struct("ll")  # tv_sec, tv_usec
LINGER = struct.Struct("ii")  # l_onoff, l_linger


# ------------------------------------------------------------------ helpers


def _path() -> str:
    """A unique filesystem name directly in /tmp (exists on both hosts)."""
    return f"/tmp/sl-{uuid.uuid4().hex}.sock"


def _abstract() -> bytes:
    return b"\0sl-" + uuid.uuid4().hex.encode()


def _unlink(net, *paths) -> None:
    unlink = getattr(net, "unlink", os.unlink)
    for path in paths:
        try:
            unlink(path)
        except OSError:
            pass


def _close(*socks) -> None:
    for s in socks:
        s.close()


def _cmsg_len(n: int) -> int:  # CMSG_LEN on 64-bit Linux
    return 16 + n


def _cmsg_space(n: int) -> int:  # CMSG_SPACE on 64-bit Linux
    return 16 + ((n + 7) & ~7)


def _fds(*fds: int) -> bytes:
    return b"".join(INT.pack(fd) for fd in fds)


def _unfds(data: bytes) -> list:
    return [INT.unpack_from(data, i)[0] for i in range(0, len(data) - len(data) % 4, 4)]


def _listener(net, kind=None, backlog=5, name=None):
    s = net.socket(net.AF_UNIX, kind if kind is not None else net.SOCK_STREAM)
    name = name if name is not None else _path()
    s.bind(name)
    s.listen(backlog)
    return s, name


def _connected(net, kind=None):
    """A listener, a connected client and the accepted socket (+ the path)."""
    srv, path = _listener(net, kind)
    cli = net.socket(net.AF_UNIX, srv.type if kind is None else kind)
    cli.connect(path)
    conn, _ = srv.accept()
    return srv, cli, conn, path


def _readable(net, s) -> bool:
    return s in net.select([s], [], [], 0)[0]


def _writable(net, s) -> bool:
    return s in net.select([], [s], [], 0)[1]


def _sockopt(s, net, opt):
    return s.getsockopt(net.SOL_SOCKET, opt)


def _peercred(net, s) -> tuple:
    return UCRED.unpack(s.getsockopt(net.SOL_SOCKET, net.SO_PEERCRED, UCRED.size))


def _fill(net, s, chunk=65536) -> int:
    """Send from non-blocking s until EAGAIN; return the bytes sent."""
    total = 0
    data = b"f" * chunk
    while True:
        try:
            total += s.send(data, net.MSG_DONTWAIT)
        except BlockingIOError:
            return total


def _drain(net, s) -> int:
    total = 0
    while True:
        try:
            got = s.recv(1 << 20, net.MSG_DONTWAIT)
        except BlockingIOError:
            return total
        if not got:
            return total
        total += len(got)


# ------------------------------------------------------------------ socket()


def scenario_socket_bad_family(net):
    return [
        errname(net.socket, 12345, net.SOCK_STREAM),
        errname(net.socket, 0, net.SOCK_STREAM),  # AF_UNSPEC
        errname(net.socket, 46, net.SOCK_DGRAM),  # >= AF_MAX
    ]


def scenario_socket_unix_bad_type(net):
    return [
        errname(net.socket, net.AF_UNIX, 999),  # >= SOCK_MAX
        errname(net.socket, net.AF_UNIX, 11),  # SOCK_MAX
        errname(net.socket, net.AF_UNIX, 0),
        errname(net.socket, net.AF_UNIX, SOCK_RDM),
        errname(net.socket, net.AF_UNIX, SOCK_DCCP),
        errname(net.socket, net.AF_UNIX, SOCK_PACKET),
    ]


def scenario_socket_unix_bad_type_flags(net):
    return [
        errname(net.socket, net.AF_UNIX, net.SOCK_STREAM | 0x100),
        errname(net.socket, net.AF_UNIX, net.SOCK_DGRAM | 0x40000000),
    ]


def scenario_socket_unix_bad_protocol(net):
    return [
        errname(net.socket, net.AF_UNIX, net.SOCK_STREAM, 2),
        errname(net.socket, net.AF_UNIX, net.SOCK_DGRAM, 17),
        errname(net.socket, net.AF_UNIX, net.SOCK_SEQPACKET, 6),
    ]


def scenario_socket_unix_protocol_pf_unix_accepted(net):
    s = net.socket(net.AF_UNIX, net.SOCK_STREAM, 1)  # PF_UNIX is allowed
    trace = [int(s.proto), _sockopt(s, net, net.SO_PROTOCOL)]
    s.close()
    return trace


def scenario_socket_unix_attributes(net):
    trace = []
    for kind in (net.SOCK_STREAM, net.SOCK_DGRAM, net.SOCK_SEQPACKET):
        s = net.socket(net.AF_UNIX, kind)
        trace.append((int(s.family), int(s.type), int(s.proto)))
        s.close()
    return trace


def scenario_socket_unix_so_type_domain_protocol(net):
    trace = []
    for kind in (net.SOCK_STREAM, net.SOCK_DGRAM, net.SOCK_SEQPACKET):
        s = net.socket(net.AF_UNIX, kind)
        trace.append(
            (
                _sockopt(s, net, net.SO_TYPE),
                _sockopt(s, net, net.SO_DOMAIN),
                _sockopt(s, net, net.SO_PROTOCOL),
            )
        )
        s.close()
    return trace


def scenario_socket_unix_raw_reads_as_dgram(net):
    s = net.socket(net.AF_UNIX, net.SOCK_RAW)
    trace = [int(s.type), _sockopt(s, net, net.SO_TYPE), errname(s.listen, 1)]
    s.close()
    return trace


def scenario_socket_nonblock_flag(net):
    s = net.socket(net.AF_UNIX, net.SOCK_DGRAM | net.SOCK_NONBLOCK)
    s.bind(_abstract())
    trace = [int(s.type), s.getblocking(), s.gettimeout(), errname(s.recv, 10)]
    s.close()
    return trace


def scenario_socket_cloexec_flag(net):
    s = net.socket(net.AF_UNIX, net.SOCK_STREAM | net.SOCK_CLOEXEC)
    trace = [int(s.type), s.getblocking(), s.get_inheritable()]
    s.set_inheritable(True)
    trace.append(s.get_inheritable())
    s.set_inheritable(False)
    trace.append(s.get_inheritable())
    s.close()
    return trace


def scenario_socket_default_blocking(net):
    s = net.socket(net.AF_UNIX, net.SOCK_STREAM)
    trace = [s.getblocking(), s.gettimeout(), s.get_inheritable()]
    s.close()
    return trace


# --------------------------------------------------------------- socketpair


def scenario_socketpair_default_arguments(net):
    a, b = net.socketpair()
    trace = [int(a.family), int(a.type), int(b.family), int(b.type)]
    a.sendall(b"hi")
    trace.append(b.recv(10))
    _close(a, b)
    return trace


def scenario_socketpair_stream_both_directions(net):
    a, b = net.socketpair(net.AF_UNIX, net.SOCK_STREAM)
    trace = [a.send(b"ping"), b.recv(100), b.send(b"pong!"), a.recv(100)]
    _close(a, b)
    return trace


def scenario_socketpair_dgram_boundaries(net):
    a, b = net.socketpair(net.AF_UNIX, net.SOCK_DGRAM)
    for msg in (b"one", b"two", b"three"):
        a.send(msg)
    trace = [b.recv(100), b.recv(100), b.recv(100), errname(b.recv, 100, net.MSG_DONTWAIT)]
    _close(a, b)
    return trace


def scenario_socketpair_seqpacket_boundaries(net):
    a, b = net.socketpair(net.AF_UNIX, net.SOCK_SEQPACKET)
    for msg in (b"one", b"two", b"three"):
        a.send(msg)
    trace = [b.recv(100), b.recv(100), b.recv(100), errname(b.recv, 100, net.MSG_DONTWAIT)]
    _close(a, b)
    return trace


def scenario_socketpair_raw_is_dgram(net):
    a, b = net.socketpair(net.AF_UNIX, net.SOCK_RAW)
    a.send(b"ab")
    a.send(b"cd")
    trace = [_sockopt(a, net, net.SO_TYPE), _sockopt(b, net, net.SO_TYPE), b.recv(100), b.recv(100)]
    _close(a, b)
    return trace


def scenario_socketpair_errors(net):
    return [
        errname(net.socketpair, net.AF_UNIX, 999),
        errname(net.socketpair, net.AF_UNIX, SOCK_RDM),
        errname(net.socketpair, net.AF_UNIX, net.SOCK_STREAM, 2),
        errname(net.socketpair, 12345, net.SOCK_STREAM),
    ]


def scenario_socketpair_nonblock_flag(net):
    a, b = net.socketpair(net.AF_UNIX, net.SOCK_STREAM | net.SOCK_NONBLOCK)
    trace = [int(a.type), a.getblocking(), b.getblocking(), a.gettimeout(), errname(a.recv, 10)]
    _close(a, b)
    return trace


def scenario_socketpair_names(net):
    trace = []
    for kind in (net.SOCK_STREAM, net.SOCK_DGRAM, net.SOCK_SEQPACKET):
        a, b = net.socketpair(net.AF_UNIX, kind)
        trace.append((a.getsockname(), a.getpeername(), b.getsockname(), b.getpeername()))
        _close(a, b)
    return trace


def scenario_socketpair_bind_one_end(net):
    a, b = net.socketpair(net.AF_UNIX, net.SOCK_STREAM)
    name = _abstract()
    trace = [errname(a.bind, name), a.getsockname() == name, b.getpeername() == name]
    a.sendall(b"still connected")
    trace.append(b.recv(100))
    _close(a, b)
    return trace


# --------------------------------------------------------------------- bind


def scenario_bind_path_getsockname(net):
    path = _path()
    s = net.socket(net.AF_UNIX, net.SOCK_STREAM)
    trace = [s.getsockname(), errname(s.bind, path)]
    name = s.getsockname()
    trace += [type(name).__name__, name == path]
    s.close()
    _unlink(net, path)
    return trace


def scenario_bind_path_bytes_reads_back_str(net):
    path = _path()
    s = net.socket(net.AF_UNIX, net.SOCK_DGRAM)
    s.bind(path.encode())
    name = s.getsockname()
    trace = [type(name).__name__, name == path]
    s.close()
    _unlink(net, path)
    return trace


def scenario_bind_path_in_use(net):
    path = _path()
    a = net.socket(net.AF_UNIX, net.SOCK_STREAM)
    b = net.socket(net.AF_UNIX, net.SOCK_DGRAM)
    a.bind(path)
    trace = [errname(b.bind, path), b.getsockname()]
    _close(a, b)
    _unlink(net, path)
    return trace


def scenario_bind_path_stays_in_use_after_close(net):
    path = _path()
    a = net.socket(net.AF_UNIX, net.SOCK_STREAM)
    a.bind(path)
    a.close()
    b = net.socket(net.AF_UNIX, net.SOCK_STREAM)
    trace = [errname(b.bind, path)]
    _unlink(net, path)
    trace.append(errname(b.bind, path))
    trace.append(b.getsockname() == path)
    b.close()
    _unlink(net, path)
    return trace


def scenario_bind_abstract_getsockname(net):
    name = _abstract()
    s = net.socket(net.AF_UNIX, net.SOCK_STREAM)
    s.bind(name)
    got = s.getsockname()
    trace = [type(got).__name__, got == name, got[:1]]
    s.close()
    return trace


def scenario_bind_abstract_in_use_until_close(net):
    name = _abstract()
    a = net.socket(net.AF_UNIX, net.SOCK_DGRAM)
    b = net.socket(net.AF_UNIX, net.SOCK_DGRAM)
    a.bind(name)
    trace = [errname(b.bind, name)]
    a.close()
    trace.append(errname(b.bind, name))  # abstract names die with the socket
    trace.append(b.getsockname() == name)
    b.close()
    return trace


def scenario_bind_abstract_namespace_per_type(net):
    name = _abstract()
    kinds = (net.SOCK_STREAM, net.SOCK_DGRAM, net.SOCK_SEQPACKET)
    socks = [net.socket(net.AF_UNIX, kind) for kind in kinds]
    trace = [errname(s.bind, name) for s in socks]
    extra = net.socket(net.AF_UNIX, net.SOCK_SEQPACKET)
    trace.append(errname(extra.bind, name))
    _close(extra, *socks)
    return trace


def scenario_bind_path_namespace_shared_by_types(net):
    path = _path()
    a = net.socket(net.AF_UNIX, net.SOCK_STREAM)
    b = net.socket(net.AF_UNIX, net.SOCK_DGRAM)
    trace = [errname(a.bind, path), errname(b.bind, path)]
    _close(a, b)
    _unlink(net, path)
    return trace


def scenario_bind_twice_einval(net):
    s = net.socket(net.AF_UNIX, net.SOCK_STREAM)
    s.bind(_abstract())
    path = _path()
    trace = [errname(s.bind, _abstract()), errname(s.bind, path), errname(s.bind, "")]
    s.close()
    _unlink(net, path)
    return trace


def scenario_bind_autobind_empty_str(net):
    s = net.socket(net.AF_UNIX, net.SOCK_DGRAM)
    trace = [errname(s.bind, "")]
    name = s.getsockname()
    trace += [
        type(name).__name__,
        len(name),
        name[:1],
        all(c in b"0123456789abcdef" for c in name[1:]),
    ]
    s.close()
    return trace


def scenario_bind_autobind_empty_bytes(net):
    s = net.socket(net.AF_UNIX, net.SOCK_STREAM)
    s.bind(b"")
    name = s.getsockname()
    trace = [len(name), name[:1], errname(s.bind, b""), errname(s.bind, _abstract())]
    s.close()
    return trace


def scenario_bind_autobind_names_differ(net):
    a = net.socket(net.AF_UNIX, net.SOCK_DGRAM)
    b = net.socket(net.AF_UNIX, net.SOCK_DGRAM)
    a.bind("")
    b.bind("")
    trace = [a.getsockname() != b.getsockname()]
    c = net.socket(net.AF_UNIX, net.SOCK_DGRAM)
    trace.append(errname(c.bind, a.getsockname()))
    _close(a, b, c)
    return trace


def scenario_bind_missing_directory(net):
    s = net.socket(net.AF_UNIX, net.SOCK_STREAM)
    trace = [
        errname(s.bind, f"/tmp/no-such-dir-{uuid.uuid4().hex}/s"),
        s.getsockname(),
    ]
    s.close()
    return trace


def scenario_bind_parent_not_directory(net):
    path = _path()
    a = net.socket(net.AF_UNIX, net.SOCK_DGRAM)
    a.bind(path)
    b = net.socket(net.AF_UNIX, net.SOCK_DGRAM)
    trace = [errname(b.bind, path + "/child")]
    _close(a, b)
    _unlink(net, path)
    return trace


def scenario_bind_existing_directory(net):
    s = net.socket(net.AF_UNIX, net.SOCK_STREAM)
    trace = [errname(s.bind, "/tmp"), errname(s.bind, "/tmp/")]
    s.close()
    return trace


def scenario_bind_path_too_long(net):
    s = net.socket(net.AF_UNIX, net.SOCK_STREAM)
    long_path = "/tmp/" + "x" * 103  # 108 bytes: no room for the NUL
    trace = [len(long_path), errname(s.bind, long_path), errname(s.bind, "/tmp/" + "y" * 200)]
    s.close()
    return trace


def scenario_bind_longest_path(net):
    path = _path()
    path = path + "z" * (107 - len(path))
    s = net.socket(net.AF_UNIX, net.SOCK_STREAM)
    trace = [len(path), errname(s.bind, path), s.getsockname() == path]
    s.close()
    _unlink(net, path)
    return trace


def scenario_bind_abstract_lengths(net):
    name = _abstract()
    longest = name + b"a" * (108 - len(name))
    s = net.socket(net.AF_UNIX, net.SOCK_DGRAM)
    t = net.socket(net.AF_UNIX, net.SOCK_DGRAM)
    trace = [
        errname(s.bind, longest + b"b"),
        errname(s.bind, longest),
        s.getsockname() == longest,
        errname(t.bind, b"\0"),  # the empty abstract name is a name too
        t.getsockname(),
    ]
    _close(s, t)
    return trace


def scenario_bind_each_type(net):
    trace = []
    for kind in (net.SOCK_STREAM, net.SOCK_DGRAM, net.SOCK_SEQPACKET):
        path = _path()
        s = net.socket(net.AF_UNIX, kind)
        trace.append((errname(s.bind, path), s.getsockname() == path))
        s.close()
        _unlink(net, path)
    return trace


# ------------------------------------------------------------------ connect


def scenario_connect_missing_path(net):
    s = net.socket(net.AF_UNIX, net.SOCK_STREAM)
    trace = [errname(s.connect, _path()), errname(s.getpeername)]
    s.close()
    return trace


def scenario_connect_missing_directory(net):
    s = net.socket(net.AF_UNIX, net.SOCK_DGRAM)
    trace = [errname(s.connect, f"/tmp/no-such-dir-{uuid.uuid4().hex}/s")]
    s.close()
    return trace


def scenario_connect_bound_not_listening(net):
    path = _path()
    a = net.socket(net.AF_UNIX, net.SOCK_STREAM)
    a.bind(path)
    b = net.socket(net.AF_UNIX, net.SOCK_STREAM)
    trace = [errname(b.connect, path), errname(b.getpeername)]
    _close(a, b)
    _unlink(net, path)
    return trace


def scenario_connect_closed_listener_path(net):
    srv, path = _listener(net)
    srv.close()
    s = net.socket(net.AF_UNIX, net.SOCK_STREAM)
    trace = [errname(s.connect, path)]
    s.close()
    _unlink(net, path)
    return trace


def scenario_connect_abstract_nobody(net):
    s = net.socket(net.AF_UNIX, net.SOCK_STREAM)
    d = net.socket(net.AF_UNIX, net.SOCK_DGRAM)
    trace = [errname(s.connect, _abstract()), errname(d.connect, _abstract())]
    _close(s, d)
    return trace


def scenario_connect_to_directory(net):
    s = net.socket(net.AF_UNIX, net.SOCK_STREAM)
    d = net.socket(net.AF_UNIX, net.SOCK_DGRAM)
    trace = [errname(s.connect, "/tmp"), errname(d.connect, "/tmp"), errname(d.sendto, b"x", "/tmp")]
    _close(s, d)
    return trace


def scenario_connect_wrong_type_eprototype(net):
    dpath = _path()
    d = net.socket(net.AF_UNIX, net.SOCK_DGRAM)
    d.bind(dpath)
    srv, spath = _listener(net)
    stream = net.socket(net.AF_UNIX, net.SOCK_STREAM)
    seq = net.socket(net.AF_UNIX, net.SOCK_SEQPACKET)
    dg = net.socket(net.AF_UNIX, net.SOCK_DGRAM)
    trace = [
        errname(stream.connect, dpath),
        errname(seq.connect, spath),
        errname(dg.connect, spath),
        errname(dg.sendto, b"x", spath),
    ]
    _close(d, srv, stream, seq, dg)
    _unlink(net, dpath, spath)
    return trace


def scenario_connect_already_connected(net):
    srv, cli, conn, path = _connected(net)
    trace = [errname(cli.connect, path), errname(conn.connect, path)]
    _close(srv, cli, conn)
    _unlink(net, path)
    return trace


def scenario_connect_socketpair_end(net):
    srv, path = _listener(net)
    a, b = net.socketpair(net.AF_UNIX, net.SOCK_STREAM)
    trace = [errname(a.connect, path)]
    _close(srv, a, b)
    _unlink(net, path)
    return trace


def scenario_connect_from_listening_socket(net):
    srv, path = _listener(net)
    other, opath = _listener(net)
    trace = [errname(other.connect, path)]
    _close(srv, other)
    _unlink(net, path, opath)
    return trace


def scenario_connect_names(net):
    srv, path = _listener(net)
    cli = net.socket(net.AF_UNIX, net.SOCK_STREAM)
    cli.connect(path)
    conn, peer = srv.accept()
    trace = [
        peer,
        cli.getsockname(),
        cli.getpeername() == path,
        conn.getsockname() == path,
        conn.getpeername(),
        srv.getsockname() == path,
        errname(srv.getpeername),
    ]
    _close(srv, cli, conn)
    _unlink(net, path)
    return trace


def scenario_connect_bound_client_names(net):
    srv, path = _listener(net)
    cpath = _path()
    cli = net.socket(net.AF_UNIX, net.SOCK_STREAM)
    cli.bind(cpath)
    cli.connect(path)
    conn, peer = srv.accept()
    trace = [peer == cpath, conn.getpeername() == cpath, cli.getsockname() == cpath]
    _close(srv, cli, conn)
    _unlink(net, path, cpath)
    return trace


def scenario_connect_abstract_listener(net):
    name = _abstract()
    srv, _ = _listener(net, name=name)
    cli = net.socket(net.AF_UNIX, net.SOCK_STREAM)
    trace = [errname(cli.connect, name)]
    conn, peer = srv.accept()
    trace += [peer, cli.getpeername() == name, conn.getsockname() == name]
    cli.sendall(b"abstract")
    trace.append(conn.recv(100))
    _close(srv, cli, conn)
    return trace


def scenario_connect_passcred_autobinds(net):
    srv, path = _listener(net)
    cli = net.socket(net.AF_UNIX, net.SOCK_STREAM)
    cli.setsockopt(net.SOL_SOCKET, net.SO_PASSCRED, 1)
    cli.connect(path)
    conn, peer = srv.accept()
    name = cli.getsockname()
    trace = [len(name), name[:1], peer == name, conn.getpeername() == name]
    _close(srv, cli, conn)
    _unlink(net, path)
    return trace


def scenario_connect_seqpacket_roundtrip(net):
    srv, cli, conn, path = _connected(net, net.SOCK_SEQPACKET)
    cli.send(b"first")
    cli.send(b"second")
    trace = [conn.recv(100), conn.recv(100), int(conn.type), _sockopt(conn, net, net.SO_TYPE)]
    conn.send(b"reply")
    trace.append(cli.recv(100))
    _close(srv, cli, conn)
    _unlink(net, path)
    return trace


def scenario_connect_data_before_accept(net):
    srv, path = _listener(net)
    cli = net.socket(net.AF_UNIX, net.SOCK_STREAM)
    cli.connect(path)
    cli.sendall(b"early bird")
    conn, _ = srv.accept()
    trace = [conn.recv(100)]
    _close(srv, cli, conn)
    _unlink(net, path)
    return trace


# ----------------------------------------------------------- listen/accept


def scenario_listen_unbound_stream(net):
    s = net.socket(net.AF_UNIX, net.SOCK_STREAM)
    q = net.socket(net.AF_UNIX, net.SOCK_SEQPACKET)
    trace = [errname(s.listen, 1), errname(q.listen, 1), _sockopt(s, net, net.SO_ACCEPTCONN)]
    _close(s, q)
    return trace


def scenario_listen_dgram_not_supported(net):
    s = net.socket(net.AF_UNIX, net.SOCK_DGRAM)
    s.bind(_abstract())
    trace = [errname(s.listen, 1), errname(s.accept)]
    s.close()
    return trace


def scenario_listen_connected_socket(net):
    a, b = net.socketpair(net.AF_UNIX, net.SOCK_STREAM)
    srv, cli, conn, path = _connected(net)
    trace = [errname(a.listen, 1), errname(cli.listen, 1), errname(conn.listen, 1)]
    _close(a, b, srv, cli, conn)
    _unlink(net, path)
    return trace


def scenario_listen_twice_and_acceptconn(net):
    s = net.socket(net.AF_UNIX, net.SOCK_STREAM)
    s.bind(_abstract())
    trace = [_sockopt(s, net, net.SO_ACCEPTCONN), errname(s.listen, 1)]
    trace += [_sockopt(s, net, net.SO_ACCEPTCONN), errname(s.listen, 10), errname(s.listen)]
    trace.append(_sockopt(s, net, net.SO_ACCEPTCONN))
    s.close()
    return trace


def scenario_accept_not_listening(net):
    s = net.socket(net.AF_UNIX, net.SOCK_STREAM)
    trace = [errname(s.accept)]
    s.bind(_abstract())
    trace.append(errname(s.accept))
    a, b = net.socketpair(net.AF_UNIX, net.SOCK_STREAM)
    trace.append(errname(a.accept))
    _close(s, a, b)
    return trace


def scenario_accept_nonblocking_empty(net):
    srv, path = _listener(net)
    srv.setblocking(False)
    trace = [errname(srv.accept)]
    _close(srv)
    _unlink(net, path)
    return trace


def scenario_accept_timeout(net):
    srv, path = _listener(net)
    srv.settimeout(0.05)
    trace = [attempt(srv.accept)]
    _close(srv)
    _unlink(net, path)
    return trace


def scenario_accept_inherits_nothing_from_nonblocking_listener(net):
    srv, path = _listener(net)
    srv.setblocking(False)
    cli = net.socket(net.AF_UNIX, net.SOCK_STREAM)
    cli.connect(path)
    conn, _ = srv.accept()
    trace = [conn.getblocking(), conn.gettimeout(), int(conn.type), int(conn.family)]
    _close(srv, cli, conn)
    _unlink(net, path)
    return trace


def scenario_accept_order_is_fifo(net):
    srv, path = _listener(net)
    clients = []
    for tag in (b"A", b"B", b"C"):
        c = net.socket(net.AF_UNIX, net.SOCK_STREAM)
        c.connect(path)
        c.send(tag)
        clients.append(c)
    trace = []
    for _ in clients:
        conn, _ = srv.accept()
        trace.append(conn.recv(10))
        conn.close()
    _close(srv, *clients)
    _unlink(net, path)
    return trace


def scenario_accept_backlog_full_eagain(net):
    trace = []
    for backlog in (0, 1, 3):
        srv, path = _listener(net, backlog=backlog)
        clients, results = [], []
        for _ in range(backlog + 3):
            c = net.socket(net.AF_UNIX, net.SOCK_STREAM)
            c.setblocking(False)
            results.append(errname(c.connect, path))
            clients.append(c)
        conn, _ = srv.accept()  # one slot frees up
        late = net.socket(net.AF_UNIX, net.SOCK_STREAM)
        late.setblocking(False)
        results.append(errname(late.connect, path))
        trace.append((backlog, results))
        _close(srv, conn, late, *clients)
        _unlink(net, path)
    return trace


def scenario_accept_backlog_full_with_timeout(net):
    srv, path = _listener(net, backlog=0)
    first = net.socket(net.AF_UNIX, net.SOCK_STREAM)
    first.connect(path)
    second = net.socket(net.AF_UNIX, net.SOCK_STREAM)
    second.settimeout(0.05)
    trace = [attempt(second.connect, path)]
    _close(srv, first, second)
    _unlink(net, path)
    return trace


def scenario_accept_listener_closed_with_pending(net):
    srv, path = _listener(net)
    cli = net.socket(net.AF_UNIX, net.SOCK_STREAM)
    cli.connect(path)
    srv.close()
    trace = [
        attempt(cli.recv, 10, net.MSG_DONTWAIT),
        attempt(cli.recv, 10, net.MSG_DONTWAIT),
        errname(cli.send, b"x"),
    ]
    cli.close()
    _unlink(net, path)
    return trace


def scenario_accept_listener_closed_with_pending_data(net):
    srv, path = _listener(net)
    cli = net.socket(net.AF_UNIX, net.SOCK_STREAM)
    cli.connect(path)
    cli.send(b"unread")
    srv.close()
    trace = [
        errname(cli.recv, 10, net.MSG_DONTWAIT),
        _sockopt(cli, net, net.SO_ERROR),
        errname(cli.send, b"x"),
    ]
    cli.close()
    _unlink(net, path)
    return trace


def scenario_accept_select_readable_when_pending(net):
    srv, path = _listener(net)
    trace = [_readable(net, srv)]
    cli = net.socket(net.AF_UNIX, net.SOCK_STREAM)
    cli.connect(path)
    trace.append(_readable(net, srv))
    conn, _ = srv.accept()
    trace.append(_readable(net, srv))
    _close(srv, cli, conn)
    _unlink(net, path)
    return trace


# ------------------------------------------------------------- stream data


def scenario_stream_no_boundaries(net):
    a, b = net.socketpair(net.AF_UNIX, net.SOCK_STREAM)
    a.send(b"ab")
    a.send(b"cd")
    a.send(b"ef")
    trace = [b.recv(100)]
    _close(a, b)
    return trace


def scenario_stream_partial_reads(net):
    a, b = net.socketpair(net.AF_UNIX, net.SOCK_STREAM)
    a.send(b"abcdefgh")
    trace = [b.recv(3), b.recv(3), b.recv(100), errname(b.recv, 1, net.MSG_DONTWAIT)]
    _close(a, b)
    return trace


def scenario_stream_peek(net):
    a, b = net.socketpair(net.AF_UNIX, net.SOCK_STREAM)
    a.send(b"hello")
    a.send(b"world")
    trace = [b.recv(3, net.MSG_PEEK), b.recv(100, net.MSG_PEEK), b.recv(4), b.recv(100, net.MSG_PEEK), b.recv(100)]
    _close(a, b)
    return trace


def scenario_stream_dontwait_empty(net):
    a, b = net.socketpair(net.AF_UNIX, net.SOCK_STREAM)
    trace = [attempt(b.recv, 10, net.MSG_DONTWAIT), attempt(b.recv, 10, net.MSG_DONTWAIT | net.MSG_PEEK)]
    _close(a, b)
    return trace


def scenario_stream_waitall_collects_sends(net):
    a, b = net.socketpair(net.AF_UNIX, net.SOCK_STREAM)
    a.send(b"abc")
    a.send(b"def")
    a.send(b"ghi")
    trace = [b.recv(7, net.MSG_WAITALL), b.recv(100)]
    _close(a, b)
    return trace


def scenario_stream_waitall_short_at_eof(net):
    a, b = net.socketpair(net.AF_UNIX, net.SOCK_STREAM)
    a.send(b"abc")
    a.shutdown(net.SHUT_WR)
    trace = [b.recv(10, net.MSG_WAITALL), b.recv(10, net.MSG_WAITALL)]
    _close(a, b)
    return trace


def scenario_stream_waitall_dontwait_partial(net):
    a, b = net.socketpair(net.AF_UNIX, net.SOCK_STREAM)
    a.send(b"abc")
    trace = [attempt(b.recv, 10, net.MSG_WAITALL | net.MSG_DONTWAIT)]
    trace.append(attempt(b.recv, 10, net.MSG_WAITALL | net.MSG_DONTWAIT))
    _close(a, b)
    return trace


def scenario_stream_waitall_timeout_partial(net):
    a, b = net.socketpair(net.AF_UNIX, net.SOCK_STREAM)
    a.send(b"abc")
    b.settimeout(0.05)
    trace = [attempt(b.recv, 10, net.MSG_WAITALL), attempt(b.recv, 10, net.MSG_WAITALL)]
    _close(a, b)
    return trace


def scenario_stream_eof_after_close(net):
    a, b = net.socketpair(net.AF_UNIX, net.SOCK_STREAM)
    a.send(b"last words")
    a.close()
    trace = [b.recv(100), b.recv(100), b.recv(100), attempt(b.recv, 10, net.MSG_DONTWAIT)]
    b.close()
    return trace


def scenario_stream_close_with_unread_data_resets(net):
    a, b = net.socketpair(net.AF_UNIX, net.SOCK_STREAM)
    a.send(b"never read")
    b.close()
    trace = [attempt(a.recv, 10), attempt(a.recv, 10), errname(a.send, b"x")]
    a.close()
    return trace


def scenario_stream_close_with_unread_data_so_error(net):
    a, b = net.socketpair(net.AF_UNIX, net.SOCK_STREAM)
    a.send(b"never read")
    b.close()
    trace = [_sockopt(a, net, net.SO_ERROR), _sockopt(a, net, net.SO_ERROR), attempt(a.recv, 10)]
    a.close()
    return trace


def scenario_stream_close_without_unread_data_is_eof(net):
    a, b = net.socketpair(net.AF_UNIX, net.SOCK_STREAM)
    a.send(b"read")
    b.recv(10)
    b.close()
    trace = [_sockopt(a, net, net.SO_ERROR), attempt(a.recv, 10)]
    a.close()
    return trace


def scenario_stream_epipe_after_peer_close(net):
    a, b = net.socketpair(net.AF_UNIX, net.SOCK_STREAM)
    b.close()
    trace = [
        errname(a.send, b"x"),
        errname(a.send, b"x", net.MSG_NOSIGNAL),
        errname(a.sendall, b"y" * 1000),
        errname(a.sendmsg, [b"z"]),
    ]
    a.close()
    return trace


def scenario_stream_recv_into(net):
    a, b = net.socketpair(net.AF_UNIX, net.SOCK_STREAM)
    a.send(b"0123456789")
    buf = bytearray(4)
    big = bytearray(20)
    trace = [b.recv_into(buf), bytes(buf), b.recv_into(big, 3), bytes(big[:3]), b.recv_into(big), bytes(big[:3])]
    _close(a, b)
    return trace


def scenario_stream_recvfrom_socketpair(net):
    a, b = net.socketpair(net.AF_UNIX, net.SOCK_STREAM)
    a.send(b"data")
    trace = [b.recvfrom(100)]
    buf = bytearray(10)
    a.send(b"more")
    trace.append(b.recvfrom_into(buf))
    _close(a, b)
    return trace


def scenario_stream_recvfrom_accepted_bound_peer(net):
    srv, path = _listener(net)
    cpath = _path()
    cli = net.socket(net.AF_UNIX, net.SOCK_STREAM)
    cli.bind(cpath)
    cli.connect(path)
    conn, _ = srv.accept()
    cli.send(b"hi")
    data, addr = conn.recvfrom(10)
    conn.send(b"yo")
    back, back_addr = cli.recvfrom(10)
    trace = [data, addr == cpath, back, back_addr == path]
    _close(srv, cli, conn)
    _unlink(net, path, cpath)
    return trace


def scenario_stream_msg_trunc(net):
    a, b = net.socketpair(net.AF_UNIX, net.SOCK_STREAM)
    a.send(b"0123456789")
    buf = bytearray(4)
    trace = [attempt(b.recv_into, buf, 4, net.MSG_TRUNC), bytes(buf), b.recv(100)]
    _close(a, b)
    return trace


def scenario_stream_send_zero_bytes(net):
    a, b = net.socketpair(net.AF_UNIX, net.SOCK_STREAM)
    trace = [a.send(b""), attempt(b.recv, 10, net.MSG_DONTWAIT), _readable(net, b)]
    _close(a, b)
    return trace


def scenario_stream_recv_zero_bytes(net):
    a, b = net.socketpair(net.AF_UNIX, net.SOCK_STREAM)
    trace = [attempt(b.recv, 0, net.MSG_DONTWAIT)]
    a.send(b"x")
    trace += [attempt(b.recv, 0), b.recv(10)]
    _close(a, b)
    return trace


def scenario_stream_send_unconnected(net):
    s = net.socket(net.AF_UNIX, net.SOCK_STREAM)
    q = net.socket(net.AF_UNIX, net.SOCK_SEQPACKET)
    trace = [
        errname(s.send, b"x"),
        errname(s.recv, 10),
        errname(s.sendmsg, [b"x"]),
        errname(s.recvmsg, 10),
        errname(q.send, b"x"),
        errname(q.recv, 10),
    ]
    _close(s, q)
    return trace


def scenario_stream_sendto_with_address(net):
    srv, path = _listener(net)
    s = net.socket(net.AF_UNIX, net.SOCK_STREAM)
    before = errname(s.sendto, b"x", path)
    a, b = net.socketpair(net.AF_UNIX, net.SOCK_STREAM)
    trace = [before, errname(a.sendto, b"x", path), errname(a.sendmsg, [b"x"], [], 0, path)]
    _close(srv, s, a, b)
    _unlink(net, path)
    return trace


def scenario_stream_sendall_1mib_interleaved(net):
    a, b = net.socketpair(net.AF_UNIX, net.SOCK_STREAM)
    a.setblocking(False)
    b.setblocking(False)
    payload = bytes(range(256)) * 4096  # 1 MiB
    sent = 0
    got = bytearray()
    eagain = 0
    while len(got) < len(payload):
        if sent < len(payload):
            try:
                sent += a.send(payload[sent : sent + 200000])
            except BlockingIOError:
                eagain += 1
        try:
            got += b.recv(262144)
        except BlockingIOError:
            pass
    trace = [sent, len(got), hashlib.sha256(got).hexdigest() == hashlib.sha256(payload).hexdigest()]
    _close(a, b)
    return trace


def scenario_stream_sendall_blocking_fits(net):
    a, b = net.socketpair(net.AF_UNIX, net.SOCK_STREAM)
    payload = b"s" * 100000
    a.sendall(payload)
    got = b""
    while len(got) < len(payload):
        got += b.recv(65536)
    trace = [len(got), got == payload, errname(b.recv, 1, net.MSG_DONTWAIT)]
    _close(a, b)
    return trace


def scenario_stream_buffer_full(net):
    a, b = net.socketpair(net.AF_UNIX, net.SOCK_STREAM)
    a.setblocking(False)
    sent = _fill(net, a)
    trace = [sent > 0, errname(a.send, b"x"), _writable(net, a), _readable(net, b)]
    drained = _drain(net, b)
    trace += [drained == sent, _writable(net, a), errname(a.send, b"x")]
    _close(a, b)
    return trace


def scenario_stream_rcvlowat(net):
    a, b = net.socketpair(net.AF_UNIX, net.SOCK_STREAM)
    b.setsockopt(net.SOL_SOCKET, net.SO_RCVLOWAT, 5)
    a.send(b"abc")
    trace = [_readable(net, b), attempt(b.recv, 10, net.MSG_DONTWAIT)]
    a.send(b"defgh")
    trace.append(b.recv(10))
    _close(a, b)
    return trace


def scenario_stream_sendmsg_gather(net):
    a, b = net.socketpair(net.AF_UNIX, net.SOCK_STREAM)
    trace = [a.sendmsg([b"ab", b"", bytearray(b"cd"), memoryview(b"ef")]), b.recv(100)]
    _close(a, b)
    return trace


def scenario_stream_recvmsg_plain(net):
    a, b = net.socketpair(net.AF_UNIX, net.SOCK_STREAM)
    a.send(b"message")
    trace = [b.recvmsg(100), attempt(b.recvmsg, 3, 0, net.MSG_DONTWAIT)]
    _close(a, b)
    return trace


def scenario_stream_recvmsg_into_scatter(net):
    a, b = net.socketpair(net.AF_UNIX, net.SOCK_STREAM)
    a.send(b"0123456789")
    x, y = bytearray(3), bytearray(4)
    n, anc, flags, addr = b.recvmsg_into([x, y])
    trace = [n, bytes(x), bytes(y), anc, flags, addr, b.recv(100)]
    _close(a, b)
    return trace


def scenario_stream_peek_off(net):
    a, b = net.socketpair(net.AF_UNIX, net.SOCK_STREAM)
    a.send(b"0123456789")
    trace = [_sockopt(b, net, SO_PEEK_OFF), errname(b.setsockopt, net.SOL_SOCKET, SO_PEEK_OFF, 2)]
    trace += [b.recv(3, net.MSG_PEEK), b.recv(3, net.MSG_PEEK), _sockopt(b, net, SO_PEEK_OFF)]
    trace += [b.recv(4), _sockopt(b, net, SO_PEEK_OFF), b.recv(100)]
    _close(a, b)
    return trace


# ----------------------------------------------------------------- shutdown


def scenario_shutdown_wr(net):
    a, b = net.socketpair(net.AF_UNIX, net.SOCK_STREAM)
    a.send(b"before")
    a.shutdown(net.SHUT_WR)
    trace = [b.recv(100), b.recv(100), errname(a.send, b"x"), errname(a.send, b"x", net.MSG_NOSIGNAL)]
    b.send(b"reverse still open")
    trace.append(a.recv(100))
    _close(a, b)
    return trace


def scenario_shutdown_rd(net):
    a, b = net.socketpair(net.AF_UNIX, net.SOCK_STREAM)
    b.send(b"queued")
    a.shutdown(net.SHUT_RD)
    trace = [attempt(a.recv, 100), attempt(a.recv, 100), errname(b.send, b"x"), _readable(net, a)]
    a.send(b"forward still open")
    trace.append(b.recv(100))
    _close(a, b)
    return trace


def scenario_shutdown_rdwr(net):
    a, b = net.socketpair(net.AF_UNIX, net.SOCK_STREAM)
    a.shutdown(net.SHUT_RDWR)
    trace = [
        attempt(a.recv, 10),
        errname(a.send, b"x"),
        attempt(b.recv, 10),
        errname(b.send, b"x"),
        _readable(net, a),
        _readable(net, b),
        _writable(net, b),
    ]
    _close(a, b)
    return trace


def scenario_shutdown_unconnected(net):
    trace = []
    for kind in (net.SOCK_STREAM, net.SOCK_DGRAM, net.SOCK_SEQPACKET):
        s = net.socket(net.AF_UNIX, kind)
        trace.append(errname(s.shutdown, net.SHUT_RDWR))
        trace.append(errname(s.send, b"x"))
        s.close()
    return trace


def scenario_shutdown_listener(net):
    srv, path = _listener(net)
    trace = [errname(srv.shutdown, net.SHUT_RDWR), _readable(net, srv)]
    cli = net.socket(net.AF_UNIX, net.SOCK_STREAM)
    trace.append(errname(cli.connect, path))
    _close(srv, cli)
    _unlink(net, path)
    return trace


def scenario_shutdown_bad_how(net):
    a, b = net.socketpair(net.AF_UNIX, net.SOCK_STREAM)
    trace = [errname(a.shutdown, 3), errname(a.shutdown, -1), errname(a.shutdown, 100)]
    a.send(b"unaffected")
    trace.append(b.recv(100))
    _close(a, b)
    return trace


def scenario_shutdown_twice(net):
    a, b = net.socketpair(net.AF_UNIX, net.SOCK_STREAM)
    trace = [errname(a.shutdown, net.SHUT_WR), errname(a.shutdown, net.SHUT_WR), errname(a.shutdown, net.SHUT_RD)]
    trace += [attempt(b.recv, 10), attempt(a.recv, 10)]
    _close(a, b)
    return trace


def scenario_shutdown_seqpacket(net):
    a, b = net.socketpair(net.AF_UNIX, net.SOCK_SEQPACKET)
    a.send(b"msg")
    a.shutdown(net.SHUT_WR)
    trace = [b.recv(100), attempt(b.recv, 100), errname(a.send, b"x")]
    b.shutdown(net.SHUT_RD)
    trace.append(errname(a.send, b"y"))
    _close(a, b)
    return trace


def scenario_shutdown_dgram_pair(net):
    a, b = net.socketpair(net.AF_UNIX, net.SOCK_DGRAM)
    a.shutdown(net.SHUT_WR)
    trace = [errname(a.send, b"x"), errname(b.send, b"to a"), attempt(a.recv, 10, net.MSG_DONTWAIT)]
    trace.append(attempt(b.recv, 10, net.MSG_DONTWAIT))
    _close(a, b)
    return trace


def scenario_shutdown_dgram_rd(net):
    a, b = net.socketpair(net.AF_UNIX, net.SOCK_DGRAM)
    b.send(b"queued")
    a.shutdown(net.SHUT_RD)
    trace = [errname(b.send, b"x"), attempt(a.recv, 10, net.MSG_DONTWAIT), attempt(a.recv, 10, net.MSG_DONTWAIT)]
    trace.append(errname(a.send, b"a->b"))
    trace.append(attempt(b.recv, 10, net.MSG_DONTWAIT))
    _close(a, b)
    return trace


def scenario_shutdown_select_after_peer_wr(net):
    a, b = net.socketpair(net.AF_UNIX, net.SOCK_STREAM)
    trace = [_readable(net, b)]
    a.shutdown(net.SHUT_WR)
    trace += [_readable(net, b), _writable(net, b), _writable(net, a)]
    _close(a, b)
    return trace


# -------------------------------------------------------------------- dgram


def _dgram_bound(net, name=None):
    s = net.socket(net.AF_UNIX, net.SOCK_DGRAM)
    name = name if name is not None else _path()
    s.bind(name)
    return s, name


def scenario_dgram_short_read_discards_rest(net):
    a, b = net.socketpair(net.AF_UNIX, net.SOCK_DGRAM)
    a.send(b"0123456789")
    a.send(b"next")
    trace = [b.recv(4), b.recv(100)]
    _close(a, b)
    return trace


def scenario_dgram_msg_trunc_real_length(net):
    a, b = net.socketpair(net.AF_UNIX, net.SOCK_DGRAM)
    a.send(b"0123456789")
    a.send(b"abc")
    buf = bytearray(4)
    trace = [b.recv_into(buf, 4, net.MSG_TRUNC), bytes(buf)]
    buf = bytearray(4)
    trace += [b.recv_into(buf, 4, net.MSG_TRUNC), bytes(buf)]
    _close(a, b)
    return trace


def scenario_dgram_recvmsg_trunc_flag(net):
    a, b = net.socketpair(net.AF_UNIX, net.SOCK_DGRAM)
    a.send(b"0123456789")
    a.send(b"fits")
    data, anc, flags, addr = b.recvmsg(4)
    trace = [data, anc, bool(flags & net.MSG_TRUNC), addr]
    data, anc, flags, addr = b.recvmsg(100)
    trace += [data, flags]
    _close(a, b)
    return trace


def scenario_dgram_peek(net):
    a, b = net.socketpair(net.AF_UNIX, net.SOCK_DGRAM)
    a.send(b"first")
    a.send(b"second")
    trace = [b.recv(3, net.MSG_PEEK), b.recv(100, net.MSG_PEEK), b.recv(100), b.recv(100, net.MSG_PEEK), b.recv(100)]
    _close(a, b)
    return trace


def scenario_dgram_dontwait_empty(net):
    s, path = _dgram_bound(net)
    trace = [errname(s.recv, 10, net.MSG_DONTWAIT), errname(s.recvfrom, 10, net.MSG_DONTWAIT)]
    s.close()
    _unlink(net, path)
    return trace


def scenario_dgram_zero_length(net):
    a, b = net.socketpair(net.AF_UNIX, net.SOCK_DGRAM)
    trace = [
        a.send(b""),
        _readable(net, b),
        attempt(b.recv, 10, net.MSG_DONTWAIT),
        attempt(b.recv, 10, net.MSG_DONTWAIT),
    ]
    _close(a, b)
    return trace


def scenario_dgram_sendto_recvfrom_bound_sender(net):
    r, rpath = _dgram_bound(net)
    s, spath = _dgram_bound(net)
    trace = [s.sendto(b"hello", rpath)]
    data, addr = r.recvfrom(100)
    trace += [data, addr == spath, type(addr).__name__]
    r.sendto(b"back", addr)
    trace.append(s.recvfrom(100) == (b"back", rpath))
    _close(r, s)
    _unlink(net, rpath, spath)
    return trace


def scenario_dgram_recvfrom_unbound_sender(net):
    r, rpath = _dgram_bound(net)
    s = net.socket(net.AF_UNIX, net.SOCK_DGRAM)
    s.sendto(b"anon", rpath)
    trace = [r.recvfrom(100), s.getsockname()]
    _close(r, s)
    _unlink(net, rpath)
    return trace


def scenario_dgram_recvfrom_autobound_sender(net):
    r, rpath = _dgram_bound(net)
    s = net.socket(net.AF_UNIX, net.SOCK_DGRAM)
    s.bind("")
    s.sendto(b"auto", rpath)
    data, addr = r.recvfrom(100)
    trace = [data, addr == s.getsockname(), len(addr), addr[:1]]
    _close(r, s)
    _unlink(net, rpath)
    return trace


def scenario_dgram_recvfrom_abstract_sender(net):
    r, rname = _dgram_bound(net, _abstract())
    s, sname = _dgram_bound(net, _abstract())
    s.sendto(b"abs", rname)
    data, addr = r.recvfrom(100)
    trace = [data, addr == sname, type(addr).__name__]
    _close(r, s)
    return trace


def scenario_dgram_passcred_autobinds_sender(net):
    r, rpath = _dgram_bound(net)
    s = net.socket(net.AF_UNIX, net.SOCK_DGRAM)
    s.setsockopt(net.SOL_SOCKET, net.SO_PASSCRED, 1)
    s.sendto(b"cred", rpath)
    data, addr = r.recvfrom(100)
    name = s.getsockname()
    trace = [data, len(name), name[:1], addr == name]
    _close(r, s)
    _unlink(net, rpath)
    return trace


def scenario_dgram_send_unconnected(net):
    s = net.socket(net.AF_UNIX, net.SOCK_DGRAM)
    trace = [errname(s.send, b"x"), errname(s.sendmsg, [b"x"]), errname(s.getpeername)]
    s.bind("")
    trace.append(errname(s.send, b"x"))
    s.close()
    return trace


def scenario_dgram_sendto_missing_path(net):
    s = net.socket(net.AF_UNIX, net.SOCK_DGRAM)
    trace = [
        errname(s.sendto, b"x", _path()),
        errname(s.sendto, b"x", f"/tmp/no-such-dir-{uuid.uuid4().hex}/s"),
        errname(s.sendto, b"x", _abstract()),
    ]
    s.close()
    return trace


def scenario_dgram_sendto_dead_path(net):
    r, rpath = _dgram_bound(net)
    r.close()
    s = net.socket(net.AF_UNIX, net.SOCK_DGRAM)
    trace = [errname(s.sendto, b"x", rpath), errname(s.connect, rpath)]
    s.close()
    _unlink(net, rpath)
    return trace


def scenario_dgram_connect_and_send(net):
    r, rpath = _dgram_bound(net)
    s = net.socket(net.AF_UNIX, net.SOCK_DGRAM)
    trace = [errname(s.connect, rpath), s.getpeername() == rpath, s.getsockname()]
    s.send(b"via connect")
    trace.append(r.recv(100))
    trace.append(errname(r.getpeername))
    _close(r, s)
    _unlink(net, rpath)
    return trace


def scenario_dgram_connect_errors(net):
    spath = _path()
    st = net.socket(net.AF_UNIX, net.SOCK_STREAM)
    st.bind(spath)
    s = net.socket(net.AF_UNIX, net.SOCK_DGRAM)
    trace = [errname(s.connect, _path()), errname(s.connect, spath), errname(s.connect, _abstract())]
    _close(st, s)
    _unlink(net, spath)
    return trace


def scenario_dgram_sendto_peer_connected_elsewhere(net):
    a, apath = _dgram_bound(net)
    b, bpath = _dgram_bound(net)
    c = net.socket(net.AF_UNIX, net.SOCK_DGRAM)
    a.connect(bpath)  # a accepts datagrams only from b now
    trace = [errname(c.sendto, b"x", apath), errname(c.connect, apath)]
    trace.append(errname(b.sendto, b"from b", apath))
    trace.append(a.recv(100))
    _close(a, b, c)
    _unlink(net, apath, bpath)
    return trace


def scenario_dgram_connected_sendto_other(net):
    r1, p1 = _dgram_bound(net)
    r2, p2 = _dgram_bound(net)
    s = net.socket(net.AF_UNIX, net.SOCK_DGRAM)
    s.connect(p1)
    trace = [
        errname(s.sendto, b"to r2", p2),
        attempt(r2.recv, 100, net.MSG_DONTWAIT),
        attempt(r1.recv, 100, net.MSG_DONTWAIT),
    ]
    _close(r1, r2, s)
    _unlink(net, p1, p2)
    return trace


def scenario_dgram_reconnect(net):
    r1, p1 = _dgram_bound(net)
    r2, p2 = _dgram_bound(net)
    s = net.socket(net.AF_UNIX, net.SOCK_DGRAM)
    s.connect(p1)
    s.send(b"one")
    s.connect(p2)
    s.send(b"two")
    trace = [r1.recv(10), r2.recv(10), s.getpeername() == p2]
    _close(r1, r2, s)
    _unlink(net, p1, p2)
    return trace


def scenario_dgram_socketpair_peer_closed(net):
    a, b = net.socketpair(net.AF_UNIX, net.SOCK_DGRAM)
    a.send(b"pending")
    a.close()
    trace = [
        attempt(b.recv, 10, net.MSG_DONTWAIT),
        attempt(b.recv, 10, net.MSG_DONTWAIT),
        errname(b.send, b"x"),
        errname(b.send, b"x"),
        errname(b.getpeername),
    ]
    b.close()
    return trace


def scenario_dgram_connected_peer_closed(net):
    r, rpath = _dgram_bound(net)
    s = net.socket(net.AF_UNIX, net.SOCK_DGRAM)
    s.connect(rpath)
    r.close()
    trace = [errname(s.send, b"x"), errname(s.send, b"x"), _sockopt(s, net, net.SO_ERROR)]
    s.close()
    _unlink(net, rpath)
    return trace


def scenario_dgram_receiver_queue_full(net):
    r, rpath = _dgram_bound(net)
    s = net.socket(net.AF_UNIX, net.SOCK_DGRAM)
    s.setblocking(False)
    results = [errname(s.sendto, b"d%d" % i, rpath) for i in range(14)]
    trace = [results, _writable(net, s)]
    trace += [r.recv(10), errname(s.sendto, b"again", rpath)]
    _close(r, s)
    _unlink(net, rpath)
    return trace


def scenario_dgram_socketpair_fills_up(net):
    a, b = net.socketpair(net.AF_UNIX, net.SOCK_DGRAM)
    a.setblocking(False)
    count = 0
    while count < 100000:
        try:
            a.send(b"x" * 1000)
        except BlockingIOError:
            break
        count += 1
    trace = [count > 10, count < 100000, errname(a.send, b"y"), len(b.recv(2000)), errname(a.send, b"y")]
    _close(a, b)
    return trace


def scenario_dgram_too_big(net):
    a, b = net.socketpair(net.AF_UNIX, net.SOCK_DGRAM)
    trace = [errname(a.send, b"x" * 300000), errname(a.send, b"x" * 212992)]
    a.setsockopt(net.SOL_SOCKET, net.SO_SNDBUF, 8192)
    trace += [errname(a.send, b"x" * 17000), errname(a.send, b"x" * 16000)]
    _close(a, b)
    return trace


def scenario_dgram_sendmsg_to_address(net):
    r, rpath = _dgram_bound(net)
    s = net.socket(net.AF_UNIX, net.SOCK_DGRAM)
    trace = [s.sendmsg([b"gath", b"ered"], [], 0, rpath), r.recv(100)]
    _close(r, s)
    _unlink(net, rpath)
    return trace


def scenario_dgram_recvfrom_socketpair(net):
    a, b = net.socketpair(net.AF_UNIX, net.SOCK_DGRAM)
    a.send(b"pair")
    trace = [b.recvfrom(10), attempt(b.recvmsg, 10, 0, net.MSG_DONTWAIT)]
    _close(a, b)
    return trace


def scenario_dgram_bind_after_connect(net):
    r, rpath = _dgram_bound(net)
    s = net.socket(net.AF_UNIX, net.SOCK_DGRAM)
    s.connect(rpath)
    spath = _path()
    trace = [errname(s.bind, spath), s.getsockname() == spath]
    s.send(b"x")
    data, addr = r.recvfrom(10)
    trace += [data, addr == spath]
    _close(r, s)
    _unlink(net, rpath, spath)
    return trace


# ---------------------------------------------------------------- seqpacket


def scenario_seqpacket_truncation(net):
    a, b = net.socketpair(net.AF_UNIX, net.SOCK_SEQPACKET)
    a.send(b"0123456789")
    a.send(b"second")
    trace = [b.recv(4), b.recv(100)]
    _close(a, b)
    return trace


def scenario_seqpacket_recvmsg_trunc_flag(net):
    a, b = net.socketpair(net.AF_UNIX, net.SOCK_SEQPACKET)
    a.send(b"0123456789")
    a.send(b"ok")
    data, anc, flags, addr = b.recvmsg(4)
    trace = [data, bool(flags & net.MSG_TRUNC)]
    data, anc, flags, addr = b.recvmsg(100)
    trace += [data, bool(flags & net.MSG_TRUNC)]
    _close(a, b)
    return trace


def scenario_seqpacket_msg_trunc_real_length(net):
    a, b = net.socketpair(net.AF_UNIX, net.SOCK_SEQPACKET)
    a.send(b"0123456789")
    buf = bytearray(4)
    trace = [b.recv_into(buf, 4, net.MSG_TRUNC), bytes(buf)]
    _close(a, b)
    return trace


def scenario_seqpacket_peek(net):
    a, b = net.socketpair(net.AF_UNIX, net.SOCK_SEQPACKET)
    a.send(b"alpha")
    a.send(b"beta")
    trace = [b.recv(2, net.MSG_PEEK), b.recv(100, net.MSG_PEEK), b.recv(100), b.recv(100)]
    _close(a, b)
    return trace


def scenario_seqpacket_eof_and_epipe(net):
    a, b = net.socketpair(net.AF_UNIX, net.SOCK_SEQPACKET)
    a.send(b"bye")
    a.close()
    trace = [b.recv(100), attempt(b.recv, 100), attempt(b.recv, 100, net.MSG_DONTWAIT), errname(b.send, b"x")]
    b.close()
    return trace


def scenario_seqpacket_close_with_unread_resets(net):
    a, b = net.socketpair(net.AF_UNIX, net.SOCK_SEQPACKET)
    a.send(b"unread")
    b.close()
    trace = [attempt(a.recv, 10), attempt(a.recv, 10), errname(a.send, b"x")]
    a.close()
    return trace


def scenario_seqpacket_zero_length(net):
    a, b = net.socketpair(net.AF_UNIX, net.SOCK_SEQPACKET)
    trace = [a.send(b""), a.send(b"after")]
    trace += [attempt(b.recv, 10, net.MSG_DONTWAIT), attempt(b.recv, 10, net.MSG_DONTWAIT)]
    _close(a, b)
    return trace


def scenario_seqpacket_sendto_connected_ignores_address(net):
    a, b = net.socketpair(net.AF_UNIX, net.SOCK_SEQPACKET)
    trace = [errname(a.sendto, b"addr ignored", _path()), attempt(b.recv, 100, net.MSG_DONTWAIT)]
    _close(a, b)
    return trace


def scenario_seqpacket_waitall_keeps_boundaries(net):
    a, b = net.socketpair(net.AF_UNIX, net.SOCK_SEQPACKET)
    a.send(b"ab")
    a.send(b"cd")
    trace = [b.recv(10, net.MSG_WAITALL), b.recv(10, net.MSG_WAITALL)]
    _close(a, b)
    return trace


# ------------------------------------------------------ ancillary: rights


def _rights(net, *fds):
    return [(net.SOL_SOCKET, net.SCM_RIGHTS, _fds(*fds))]


def _received_fds(net, anc) -> list:
    fds = []
    for level, kind, payload in anc:
        if level == net.SOL_SOCKET and kind == net.SCM_RIGHTS:
            fds += _unfds(payload)
    return fds


def _anc_shape(anc) -> list:
    return [(level, kind, len(payload)) for level, kind, payload in anc]


def scenario_scm_rights_pass_socket(net):
    a, b = net.socketpair(net.AF_UNIX, net.SOCK_STREAM)
    x, y = net.socketpair(net.AF_UNIX, net.SOCK_STREAM)
    trace = [a.sendmsg([b"F"], _rights(net, x.fileno()))]
    x.close()  # the fd in flight keeps the socket alive
    data, anc, flags, addr = b.recvmsg(100, _cmsg_space(4))
    trace += [data, _anc_shape(anc), flags, addr]
    (fd,) = _received_fds(net, anc)
    z = net.socket(fileno=fd)
    trace += [int(z.family), int(z.type)]
    y.send(b"through the passed fd")
    trace.append(z.recv(100))
    z.send(b"and back")
    trace.append(y.recv(100))
    _close(a, b, y, z)
    return trace


def scenario_scm_rights_two_fds(net):
    a, b = net.socketpair(net.AF_UNIX, net.SOCK_DGRAM)
    x, y = net.socketpair(net.AF_UNIX, net.SOCK_SEQPACKET)
    a.sendmsg([b"two"], _rights(net, x.fileno(), y.fileno()))
    _close(x, y)
    data, anc, flags, addr = b.recvmsg(100, _cmsg_space(8))
    trace = [data, _anc_shape(anc), flags]
    fx, fy = _received_fds(net, anc)
    trace.append(fx != fy)
    sx, sy = net.socket(fileno=fx), net.socket(fileno=fy)
    sx.send(b"seq")
    trace += [sy.recv(100), _sockopt(sy, net, net.SO_TYPE)]
    _close(a, b, sx, sy)
    return trace


def scenario_scm_rights_ctrunc_drops_fds(net):
    a, b = net.socketpair(net.AF_UNIX, net.SOCK_STREAM)
    x, y = net.socketpair(net.AF_UNIX, net.SOCK_STREAM)
    a.sendmsg([b"R"], _rights(net, x.fileno()))
    x.close()
    data, anc, flags, addr = b.recvmsg(100)  # no room for ancillary data
    trace = [data, anc, bool(flags & net.MSG_CTRUNC)]
    trace.append(attempt(y.recv, 10, net.MSG_DONTWAIT))  # the dropped fd was closed
    _close(a, b, y)
    return trace


def scenario_scm_rights_ctrunc_partial(net):
    a, b = net.socketpair(net.AF_UNIX, net.SOCK_DGRAM)
    x, y = net.socketpair(net.AF_UNIX, net.SOCK_STREAM)
    a.sendmsg([b"R2"], _rights(net, x.fileno(), y.fileno()))
    data, anc, flags, addr = b.recvmsg(100, _cmsg_len(4))
    trace = [data, _anc_shape(anc), bool(flags & net.MSG_CTRUNC)]
    for fd in _received_fds(net, anc):
        net.socket(fileno=fd).close()
    _close(a, b, x, y)
    return trace


def scenario_scm_rights_bad_fd(net):
    a, b = net.socketpair(net.AF_UNIX, net.SOCK_STREAM)
    trace = [
        errname(a.sendmsg, [b"x"], _rights(net, -1)),
        errname(a.sendmsg, [b"x"], _rights(net, 999999)),
        attempt(b.recv, 10, net.MSG_DONTWAIT),
    ]
    _close(a, b)
    return trace


def scenario_scm_rights_too_many_fds(net):
    a, b = net.socketpair(net.AF_UNIX, net.SOCK_DGRAM)
    x, y = net.socketpair(net.AF_UNIX, net.SOCK_STREAM)
    trace = [
        errname(a.sendmsg, [b"many"], _rights(net, *[x.fileno()] * 254)),
        errname(a.sendmsg, [b"max"], _rights(net, *[x.fileno()] * 253)),
    ]
    data, anc, flags, addr = b.recvmsg(100)
    trace += [data, anc, bool(flags & net.MSG_CTRUNC)]
    _close(a, b, x, y)
    return trace


def scenario_scm_rights_stream_message_boundary(net):
    a, b = net.socketpair(net.AF_UNIX, net.SOCK_STREAM)
    x, y = net.socketpair(net.AF_UNIX, net.SOCK_STREAM)
    a.send(b"plain-")
    a.sendmsg([b"with-fd"], _rights(net, x.fileno()))
    a.send(b"-after")
    trace = []
    for _ in range(2):
        data, anc, flags, addr = b.recvmsg(100, _cmsg_space(4))
        trace.append((data, _anc_shape(anc), flags))
        for fd in _received_fds(net, anc):
            net.socket(fileno=fd).close()
    trace.append(attempt(b.recv, 100, net.MSG_DONTWAIT))
    _close(a, b, x, y)
    return trace


def scenario_scm_rights_peek_then_read(net):
    a, b = net.socketpair(net.AF_UNIX, net.SOCK_DGRAM)
    x, y = net.socketpair(net.AF_UNIX, net.SOCK_STREAM)
    a.sendmsg([b"P"], _rights(net, x.fileno()))
    trace = []
    for flags in (net.MSG_PEEK, 0):
        data, anc, rflags, addr = b.recvmsg(100, _cmsg_space(4), flags)
        trace.append((data, _anc_shape(anc), rflags))
        for fd in _received_fds(net, anc):
            net.socket(fileno=fd).close()
    _close(a, b, x, y)
    return trace


def scenario_scm_rights_to_listener_path(net):
    r = net.socket(net.AF_UNIX, net.SOCK_DGRAM)
    rpath = _path()
    r.bind(rpath)
    s = net.socket(net.AF_UNIX, net.SOCK_DGRAM)
    x, y = net.socketpair(net.AF_UNIX, net.SOCK_STREAM)
    s.sendmsg([b"fd by path"], _rights(net, x.fileno()), 0, rpath)
    data, anc, flags, addr = r.recvmsg(100, _cmsg_space(4))
    trace = [data, _anc_shape(anc), addr]
    (fd,) = _received_fds(net, anc)
    z = net.socket(fileno=fd)
    z.send(b"z->y")
    trace.append(y.recv(10))
    _close(r, s, x, y, z)
    _unlink(net, rpath)
    return trace


def scenario_scm_unknown_type_and_level(net):
    a, b = net.socketpair(net.AF_UNIX, net.SOCK_DGRAM)
    trace = [
        errname(a.sendmsg, [b"x"], [(net.SOL_SOCKET, 99, b"")]),
        errname(a.sendmsg, [b"ignored level"], [(0, 1, b"\0\0\0\0")]),
        attempt(b.recv, 100, net.MSG_DONTWAIT),
        attempt(b.recv, 100, net.MSG_DONTWAIT),
    ]
    _close(a, b)
    return trace


def scenario_cmsg_len_and_space(net):
    return [net.CMSG_LEN(0), net.CMSG_LEN(4), net.CMSG_SPACE(4), net.CMSG_SPACE(12), net.CMSG_LEN(12)]


# ------------------------------------------------- ancillary: credentials


def _creds_in(net, anc) -> list:
    return [UCRED.unpack(p) for level, kind, p in anc if level == net.SOL_SOCKET and kind == net.SCM_CREDENTIALS]


def scenario_scm_credentials_need_passcred(net):
    a, b = net.socketpair(net.AF_UNIX, net.SOCK_STREAM)
    a.send(b"no creds")
    trace = [b.recvmsg(100, _cmsg_space(UCRED.size))[:3]]
    trace += [_sockopt(b, net, net.SO_PASSCRED), errname(b.setsockopt, net.SOL_SOCKET, net.SO_PASSCRED, 1)]
    trace.append(_sockopt(b, net, net.SO_PASSCRED))
    a.send(b"creds")
    data, anc, flags, addr = b.recvmsg(100, _cmsg_space(UCRED.size))
    me = _peercred(net, b)
    trace += [data, _anc_shape(anc), flags, _creds_in(net, anc) == [me], me[0] > 0]
    _close(a, b)
    return trace


def scenario_scm_credentials_dgram(net):
    r, rpath = _dgram_bound(net)
    r.setsockopt(net.SOL_SOCKET, net.SO_PASSCRED, 1)
    s = net.socket(net.AF_UNIX, net.SOCK_DGRAM)
    s.sendto(b"who", rpath)
    data, anc, flags, addr = r.recvmsg(100, _cmsg_space(UCRED.size))
    x, y = net.socketpair()
    me = _peercred(net, x)
    trace = [data, _anc_shape(anc), _creds_in(net, anc) == [me], addr, s.getsockname()]
    _close(r, s, x, y)
    _unlink(net, rpath)
    return trace


def scenario_scm_credentials_explicit(net):
    a, b = net.socketpair(net.AF_UNIX, net.SOCK_DGRAM)
    me = _peercred(net, a)
    b.setsockopt(net.SOL_SOCKET, net.SO_PASSCRED, 1)
    trace = [a.sendmsg([b"mine"], [(net.SOL_SOCKET, net.SCM_CREDENTIALS, UCRED.pack(*me))])]
    data, anc, flags, addr = b.recvmsg(100, _cmsg_space(UCRED.size))
    trace += [data, _creds_in(net, anc) == [me]]
    trace.append(errname(a.sendmsg, [b"x"], [(net.SOL_SOCKET, net.SCM_CREDENTIALS, b"\0" * 8)]))
    trace.append(
        errname(a.sendmsg, [b"x"], [(net.SOL_SOCKET, net.SCM_CREDENTIALS, UCRED.pack(999999999, me[1], me[2]))])
    )
    _close(a, b)
    return trace


def scenario_scm_credentials_ctrunc(net):
    a, b = net.socketpair(net.AF_UNIX, net.SOCK_SEQPACKET)
    b.setsockopt(net.SOL_SOCKET, net.SO_PASSCRED, 1)
    a.send(b"tiny")
    data, anc, flags, addr = b.recvmsg(100, 8)
    trace = [data, anc, bool(flags & net.MSG_CTRUNC)]
    _close(a, b)
    return trace


def scenario_so_peercred_socketpair(net):
    a, b = net.socketpair(net.AF_UNIX, net.SOCK_STREAM)
    ca, cb = _peercred(net, a), _peercred(net, b)
    trace = [ca == cb, ca[0] > 0, ca[1] >= 0, ca[2] >= 0, len(a.getsockopt(net.SOL_SOCKET, net.SO_PEERCRED, 12))]
    trace.append(len(a.getsockopt(net.SOL_SOCKET, net.SO_PEERCRED, 64)))
    trace.append(len(a.getsockopt(net.SOL_SOCKET, net.SO_PEERCRED, 4)))
    _close(a, b)
    return trace


def scenario_so_peercred_unconnected(net):
    trace = []
    for kind in (net.SOCK_STREAM, net.SOCK_DGRAM, net.SOCK_SEQPACKET):
        s = net.socket(net.AF_UNIX, kind)
        trace.append(_peercred(net, s))
        s.close()
    return trace


def scenario_so_peercred_connected_and_listener(net):
    srv, cli, conn, path = _connected(net)
    x, y = net.socketpair()
    me = _peercred(net, x)
    trace = [_peercred(net, cli) == me, _peercred(net, conn) == me, _peercred(net, srv) == me]
    _close(srv, cli, conn, x, y)
    _unlink(net, path)
    return trace


def scenario_so_peercred_dgram_connect(net):
    r, rpath = _dgram_bound(net)
    s = net.socket(net.AF_UNIX, net.SOCK_DGRAM)
    s.connect(rpath)
    a, b = net.socketpair(net.AF_UNIX, net.SOCK_DGRAM)
    me = _peercred(net, a)
    trace = [_peercred(net, s), _peercred(net, r), _peercred(net, b) == me]
    _close(r, s, a, b)
    _unlink(net, rpath)
    return trace


# ------------------------------------------------------ SOL_SOCKET options


def _int_defaults(net, s) -> list:
    names = [
        "SO_DEBUG",
        "SO_REUSEADDR",
        "SO_TYPE",
        "SO_ERROR",
        "SO_DONTROUTE",
        "SO_BROADCAST",
        "SO_SNDBUF",
        "SO_RCVBUF",
        "SO_KEEPALIVE",
        "SO_OOBINLINE",
        "SO_PRIORITY",
        "SO_RCVLOWAT",
        "SO_PASSCRED",
        "SO_ACCEPTCONN",
        "SO_REUSEPORT",
        "SO_DOMAIN",
        "SO_PROTOCOL",
    ]
    return [(name, s.getsockopt(net.SOL_SOCKET, getattr(net, name))) for name in names] + [
        ("SO_NO_CHECK", s.getsockopt(net.SOL_SOCKET, SO_NO_CHECK)),
        ("SO_BSDCOMPAT", s.getsockopt(net.SOL_SOCKET, SO_BSDCOMPAT)),
        ("SO_PEEK_OFF", s.getsockopt(net.SOL_SOCKET, SO_PEEK_OFF)),
    ]


def _struct_defaults(net, s) -> list:
    return [
        s.getsockopt(net.SOL_SOCKET, net.SO_LINGER, LINGER.size),
        s.getsockopt(net.SOL_SOCKET, net.SO_RCVTIMEO, TIMEVAL.size),
        s.getsockopt(net.SOL_SOCKET, net.SO_SNDTIMEO, TIMEVAL.size),
    ]


def scenario_sockopt_defaults_stream(net):
    s = net.socket(net.AF_UNIX, net.SOCK_STREAM)
    trace = _int_defaults(net, s) + _struct_defaults(net, s)
    s.close()
    return trace


def scenario_sockopt_defaults_dgram(net):
    s = net.socket(net.AF_UNIX, net.SOCK_DGRAM)
    trace = _int_defaults(net, s) + _struct_defaults(net, s)
    s.close()
    return trace


def scenario_sockopt_defaults_seqpacket(net):
    s = net.socket(net.AF_UNIX, net.SOCK_SEQPACKET)
    trace = _int_defaults(net, s) + _struct_defaults(net, s)
    s.close()
    return trace


def scenario_sockopt_defaults_socketpair_and_accepted(net):
    a, b = net.socketpair(net.AF_UNIX, net.SOCK_STREAM)
    srv, cli, conn, path = _connected(net)
    trace = [_int_defaults(net, a), _int_defaults(net, conn), _int_defaults(net, srv)]
    _close(a, b, srv, cli, conn)
    _unlink(net, path)
    return trace


def scenario_sockopt_boolean_flags(net):
    s = net.socket(net.AF_UNIX, net.SOCK_STREAM)
    trace = []
    for opt in (
        net.SO_DEBUG,
        net.SO_REUSEADDR,
        net.SO_DONTROUTE,
        net.SO_BROADCAST,
        net.SO_KEEPALIVE,
        net.SO_OOBINLINE,
        net.SO_PASSCRED,
        SO_NO_CHECK,
        SO_BSDCOMPAT,
    ):
        row = [opt]
        for value in (1, 7, -1, 0):
            s.setsockopt(net.SOL_SOCKET, opt, value)
            row.append(s.getsockopt(net.SOL_SOCKET, opt))
        trace.append(tuple(row))
    s.close()
    return trace


def scenario_sockopt_buffer_sizes_double(net):
    s = net.socket(net.AF_UNIX, net.SOCK_STREAM)
    trace = []
    for value in (0, 1, 1000, 2304, 2305, 4608, 10000, 100000):
        s.setsockopt(net.SOL_SOCKET, net.SO_SNDBUF, value)
        s.setsockopt(net.SOL_SOCKET, net.SO_RCVBUF, value)
        trace.append((value, _sockopt(s, net, net.SO_SNDBUF), _sockopt(s, net, net.SO_RCVBUF)))
    s.close()
    return trace


def scenario_sockopt_buffer_force(net):
    s = net.socket(net.AF_UNIX, net.SOCK_DGRAM)
    trace = []
    for value in (0, 3000, 50000):
        trace.append(errname(s.setsockopt, net.SOL_SOCKET, SO_SNDBUFFORCE, value))
        trace.append(errname(s.setsockopt, net.SOL_SOCKET, SO_RCVBUFFORCE, value))
        trace.append((_sockopt(s, net, net.SO_SNDBUF), _sockopt(s, net, net.SO_RCVBUF)))
    s.close()
    return trace


def scenario_sockopt_rcvlowat(net):
    s = net.socket(net.AF_UNIX, net.SOCK_STREAM)
    trace = []
    for value in (0, 1, 5, 100000, -1, -100):
        s.setsockopt(net.SOL_SOCKET, net.SO_RCVLOWAT, value)
        trace.append((value, _sockopt(s, net, net.SO_RCVLOWAT)))
    s.close()
    return trace


def scenario_sockopt_priority_as_root(net):
    s = net.socket(net.AF_UNIX, net.SOCK_DGRAM)
    trace = []
    for value in (0, 6, 7, 100, -1):
        trace.append(
            (value, errname(s.setsockopt, net.SOL_SOCKET, net.SO_PRIORITY, value), _sockopt(s, net, net.SO_PRIORITY))
        )
    s.close()
    return trace


def scenario_sockopt_timeval_roundtrip(net):
    s = net.socket(net.AF_UNIX, net.SOCK_STREAM)
    trace = []
    for opt in (net.SO_RCVTIMEO, net.SO_SNDTIMEO):
        for tv in ((0, 200000), (1, 500000), (3, 0), (0, 0)):
            trace.append(errname(s.setsockopt, net.SOL_SOCKET, opt, TIMEVAL.pack(*tv)))
            trace.append(TIMEVAL.unpack(s.getsockopt(net.SOL_SOCKET, opt, TIMEVAL.size)))
    s.close()
    return trace


def scenario_sockopt_timeval_errors(net):
    s = net.socket(net.AF_UNIX, net.SOCK_STREAM)
    opt = net.SO_RCVTIMEO
    s.setsockopt(net.SOL_SOCKET, opt, TIMEVAL.pack(2, 0))
    trace = [
        errname(s.setsockopt, net.SOL_SOCKET, opt, TIMEVAL.pack(0, 1000000)),
        errname(s.setsockopt, net.SOL_SOCKET, opt, TIMEVAL.pack(0, -1)),
        errname(s.setsockopt, net.SOL_SOCKET, opt, b"\0" * 8),
        TIMEVAL.unpack(s.getsockopt(net.SOL_SOCKET, opt, TIMEVAL.size)),
        errname(s.setsockopt, net.SOL_SOCKET, opt, TIMEVAL.pack(-1, 0)),  # negative: no timeout
        TIMEVAL.unpack(s.getsockopt(net.SOL_SOCKET, opt, TIMEVAL.size)),
        len(s.getsockopt(net.SOL_SOCKET, opt, 8)),
    ]
    s.close()
    return trace


def scenario_sockopt_linger(net):
    s = net.socket(net.AF_UNIX, net.SOCK_STREAM)
    trace = []
    for value in ((1, 5), (0, 9), (1, 0), (0, 0)):
        trace.append(errname(s.setsockopt, net.SOL_SOCKET, net.SO_LINGER, LINGER.pack(*value)))
        trace.append(LINGER.unpack(s.getsockopt(net.SOL_SOCKET, net.SO_LINGER, LINGER.size)))
    trace.append(errname(s.setsockopt, net.SOL_SOCKET, net.SO_LINGER, b"\1\0\0\0"))
    trace.append(errname(s.setsockopt, net.SOL_SOCKET, net.SO_LINGER, 1))
    s.close()
    return trace


def scenario_sockopt_unknown_option_and_level(net):
    s = net.socket(net.AF_UNIX, net.SOCK_STREAM)
    trace = [
        errname(s.getsockopt, net.SOL_SOCKET, 9999),
        errname(s.setsockopt, net.SOL_SOCKET, 9999, 1),
        errname(s.getsockopt, 999, 1),
        errname(s.setsockopt, 999, 1, 1),
        errname(s.getsockopt, net.IPPROTO_TCP, 1),
        errname(s.setsockopt, net.IPPROTO_IP, 1, 1),
    ]
    s.close()
    return trace


def scenario_sockopt_read_only(net):
    s = net.socket(net.AF_UNIX, net.SOCK_STREAM)
    trace = [
        errname(s.setsockopt, net.SOL_SOCKET, opt, 1)
        for opt in (net.SO_TYPE, net.SO_ERROR, net.SO_ACCEPTCONN, net.SO_PEERCRED, net.SO_DOMAIN, net.SO_PROTOCOL)
    ]
    s.close()
    return trace


def scenario_sockopt_optlen(net):
    s = net.socket(net.AF_UNIX, net.SOCK_STREAM)
    trace = [
        errname(s.setsockopt, net.SOL_SOCKET, net.SO_SNDBUF, b"\1\0"),
        errname(s.setsockopt, net.SOL_SOCKET, net.SO_KEEPALIVE, b"\1\0\0"),
        errname(s.setsockopt, net.SOL_SOCKET, net.SO_KEEPALIVE, struct.pack("q", 1)),
        _sockopt(s, net, net.SO_KEEPALIVE),
        s.getsockopt(net.SOL_SOCKET, net.SO_TYPE, 2),
        s.getsockopt(net.SOL_SOCKET, net.SO_TYPE, 8),
        s.getsockopt(net.SOL_SOCKET, net.SO_RCVBUF, 4) == INT.pack(_sockopt(s, net, net.SO_RCVBUF)),
    ]
    s.close()
    return trace


def scenario_sockopt_reuseport_unix(net):
    s = net.socket(net.AF_UNIX, net.SOCK_DGRAM)
    trace = [
        errname(s.setsockopt, net.SOL_SOCKET, net.SO_REUSEPORT, 1),
        _sockopt(s, net, net.SO_REUSEPORT),
        errname(s.setsockopt, net.SOL_SOCKET, net.SO_REUSEPORT, 0),
    ]
    s.close()
    return trace


def scenario_sockopt_reuseaddr_does_not_share_path(net):
    path = _path()
    a = net.socket(net.AF_UNIX, net.SOCK_STREAM)
    b = net.socket(net.AF_UNIX, net.SOCK_STREAM)
    for s in (a, b):
        s.setsockopt(net.SOL_SOCKET, net.SO_REUSEADDR, 1)
    trace = [errname(a.bind, path), errname(b.bind, path)]
    _close(a, b)
    _unlink(net, path)
    return trace


def scenario_sockopt_so_error_clears_on_read(net):
    a, b = net.socketpair(net.AF_UNIX, net.SOCK_SEQPACKET)
    a.send(b"lost")
    b.close()
    trace = [_sockopt(a, net, net.SO_ERROR), _sockopt(a, net, net.SO_ERROR), errname(a.send, b"x")]
    a.close()
    return trace


# ------------------------------------------------------- timeouts/blocking


def scenario_timeout_recv_times_out(net):
    a, b = net.socketpair(net.AF_UNIX, net.SOCK_STREAM)
    b.settimeout(0.05)
    trace = [b.gettimeout(), b.getblocking(), attempt(b.recv, 10)]
    a.send(b"in time")
    trace.append(attempt(b.recv, 10))
    _close(a, b)
    return trace


def scenario_timeout_recvfrom_dgram(net):
    s, path = _dgram_bound(net)
    s.settimeout(0.05)
    trace = [attempt(s.recvfrom, 10), attempt(s.recvmsg, 10), attempt(s.recv_into, bytearray(4))]
    s.close()
    _unlink(net, path)
    return trace


def scenario_timeout_setblocking_false(net):
    a, b = net.socketpair(net.AF_UNIX, net.SOCK_STREAM)
    b.setblocking(False)
    trace = [b.getblocking(), b.gettimeout(), attempt(b.recv, 10), errname(b.recvmsg, 10)]
    b.setblocking(True)
    trace += [b.getblocking(), b.gettimeout()]
    _close(a, b)
    return trace


def scenario_timeout_zero_and_none(net):
    s = net.socket(net.AF_UNIX, net.SOCK_DGRAM)
    s.bind("")
    s.settimeout(0)
    trace = [s.getblocking(), s.gettimeout(), errname(s.recv, 1)]
    s.settimeout(0.1)
    trace += [s.getblocking(), s.gettimeout()]
    s.settimeout(None)
    trace += [s.getblocking(), s.gettimeout()]
    s.close()
    return trace


def scenario_timeout_so_rcvtimeo_kernel(net):
    a, b = net.socketpair(net.AF_UNIX, net.SOCK_STREAM)
    b.setsockopt(net.SOL_SOCKET, net.SO_RCVTIMEO, TIMEVAL.pack(0, 100000))
    trace = [b.gettimeout(), b.getblocking(), attempt(b.recv, 10)]
    a.send(b"x")
    trace.append(b.recv(10))
    _close(a, b)
    return trace


def scenario_timeout_so_rcvtimeo_accept(net):
    srv, path = _listener(net)
    srv.setsockopt(net.SOL_SOCKET, net.SO_RCVTIMEO, TIMEVAL.pack(0, 100000))
    trace = [errname(srv.accept)]
    srv.close()
    _unlink(net, path)
    return trace


def scenario_timeout_so_sndtimeo_kernel(net):
    a, b = net.socketpair(net.AF_UNIX, net.SOCK_STREAM)
    a.setblocking(False)
    _fill(net, a)
    a.setblocking(True)
    a.setsockopt(net.SOL_SOCKET, net.SO_SNDTIMEO, TIMEVAL.pack(0, 100000))
    trace = [errname(a.send, b"x" * 70000)]
    _close(a, b)
    return trace


def scenario_timeout_sendall_full_buffer(net):
    a, b = net.socketpair(net.AF_UNIX, net.SOCK_STREAM)
    a.setblocking(False)
    _fill(net, a)
    a.settimeout(0.05)
    trace = [attempt(a.sendall, b"y" * 70000), attempt(a.send, b"z" * 70000)]
    _close(a, b)
    return trace


def scenario_timeout_connect_and_accept_succeed(net):
    srv, path = _listener(net)
    srv.settimeout(0.2)
    cli = net.socket(net.AF_UNIX, net.SOCK_STREAM)
    cli.settimeout(0.2)
    trace = [errname(cli.connect, path)]
    conn, _ = srv.accept()
    trace += [conn.gettimeout(), conn.getblocking()]
    _close(srv, cli, conn)
    _unlink(net, path)
    return trace


def scenario_timeout_nonblocking_connect_succeeds(net):
    srv, path = _listener(net)
    cli = net.socket(net.AF_UNIX, net.SOCK_STREAM)
    cli.setblocking(False)
    trace = [errname(cli.connect, path), cli.connect_ex(path)]
    conn, _ = srv.accept()
    cli.send(b"nb")
    trace.append(conn.recv(10))
    _close(srv, cli, conn)
    _unlink(net, path)
    return trace


def scenario_connect_ex_errors(net):
    s = net.socket(net.AF_UNIX, net.SOCK_STREAM)
    import errno as _errno

    code = s.connect_ex(_path())
    trace = [_errno.errorcode.get(code, code)]
    s.close()
    return trace


# ------------------------------------------------------------------ select


def scenario_select_stream_readiness(net):
    a, b = net.socketpair(net.AF_UNIX, net.SOCK_STREAM)
    trace = [_readable(net, b), _writable(net, a)]
    a.send(b"x")
    trace.append(_readable(net, b))
    b.recv(10)
    trace.append(_readable(net, b))
    a.close()
    trace.append(_readable(net, b))  # EOF is readable
    b.close()
    return trace


def scenario_select_dgram_readiness(net):
    r, rpath = _dgram_bound(net)
    s = net.socket(net.AF_UNIX, net.SOCK_DGRAM)
    trace = [_readable(net, r), _writable(net, s), _writable(net, r)]
    s.sendto(b"d", rpath)
    trace.append(_readable(net, r))
    r.recv(10)
    trace.append(_readable(net, r))
    _close(r, s)
    _unlink(net, rpath)
    return trace


def scenario_select_fresh_and_listening_sockets(net):
    s = net.socket(net.AF_UNIX, net.SOCK_STREAM)
    q = net.socket(net.AF_UNIX, net.SOCK_SEQPACKET)
    d = net.socket(net.AF_UNIX, net.SOCK_DGRAM)
    srv, path = _listener(net)
    trace = [(_readable(net, x), _writable(net, x)) for x in (s, q, d, srv)]
    _close(s, q, d, srv)
    _unlink(net, path)
    return trace


def scenario_select_many_sockets(net):
    pairs = [net.socketpair(net.AF_UNIX, net.SOCK_STREAM) for _ in range(4)]
    pairs[1][0].send(b"1")
    pairs[3][0].send(b"3")
    readers = [p[1] for p in pairs]
    r, w, x = net.select(readers, readers, readers, 0)
    trace = [[readers.index(s) for s in r], sorted(readers.index(s) for s in w), x]
    for p in pairs:
        _close(*p)
    return trace


def scenario_select_timeout_empty(net):
    a, b = net.socketpair(net.AF_UNIX, net.SOCK_DGRAM)
    r, w, x = net.select([a, b], [], [], 0.05)
    trace = [r, w, x]
    _close(a, b)
    return trace


def scenario_select_after_peer_reset(net):
    a, b = net.socketpair(net.AF_UNIX, net.SOCK_STREAM)
    a.send(b"unread")
    b.close()
    trace = [_readable(net, a), _writable(net, a), attempt(a.recv, 10)]
    a.close()
    return trace


# -------------------------------------------------------------------- misc


def scenario_makefile_roundtrip(net):
    a, b = net.socketpair(net.AF_UNIX, net.SOCK_STREAM)
    w = a.makefile("wb")
    r = b.makefile("rb")
    w.write(b"line one\nline two\npartial")
    w.flush()
    trace = [r.readline(), r.readline()]
    w.close()
    a.close()  # the socket really closes once the file is closed too
    trace.append(r.read())
    r.close()
    b.close()
    return trace


def scenario_makefile_text_mode(net):
    a, b = net.socketpair()
    w = a.makefile("w", encoding="utf-8", newline="\n")
    r = b.makefile("r", encoding="utf-8", newline="\n")
    w.write("héllo\nwörld\n")
    w.flush()
    trace = [r.readline(), r.readline()]
    _close(w, r, a, b)
    return trace


def scenario_closed_socket_ebadf(net):
    s = net.socket(net.AF_UNIX, net.SOCK_STREAM)
    s.close()
    trace = [
        s.fileno(),
        errname(s.getsockname),
        errname(s.getpeername),
        errname(s.bind, _abstract()),
        errname(s.connect, _path()),
        errname(s.listen, 1),
        errname(s.accept),
        errname(s.send, b"x"),
        errname(s.sendto, b"x", _path()),
        errname(s.sendmsg, [b"x"]),
        errname(s.recv, 1),
        errname(s.recvfrom, 1),
        errname(s.recvmsg, 1),
        errname(s.recv_into, bytearray(1)),
        errname(s.shutdown, net.SHUT_RDWR),
        errname(s.getsockopt, net.SOL_SOCKET, net.SO_TYPE),
        errname(s.setsockopt, net.SOL_SOCKET, net.SO_KEEPALIVE, 1),
        errname(s.close),
    ]
    return trace


def scenario_close_peer_then_fileno(net):
    a, b = net.socketpair(net.AF_UNIX, net.SOCK_DGRAM)
    trace = [a.fileno() >= 0, b.fileno() >= 0, a.fileno() != b.fileno()]
    a.close()
    trace += [a.fileno(), b.fileno() >= 0]
    b.close()
    trace.append(b.fileno())
    return trace


def scenario_close_frees_lowest_fd(net):
    a, b = net.socketpair(net.AF_UNIX, net.SOCK_STREAM)
    fd = a.fileno()
    a.close()
    c = net.socket(net.AF_UNIX, net.SOCK_DGRAM)
    trace = [c.fileno() == fd]
    _close(b, c)
    return trace


def scenario_context_manager_closes(net):
    with net.socket(net.AF_UNIX, net.SOCK_STREAM) as s:
        inside = s.fileno() >= 0
    return [inside, s.fileno(), errname(s.getsockname)]


def scenario_detach_and_rewrap(net):
    a, b = net.socketpair(net.AF_UNIX, net.SOCK_STREAM)
    fd = a.detach()
    trace = [fd >= 0, a.fileno()]
    c = net.socket(fileno=fd)
    trace += [int(c.family), int(c.type), c.fileno() == fd]
    c.send(b"rewrapped")
    trace.append(b.recv(100))
    _close(a, b, c)
    return trace


def scenario_dup_shares_socket(net):
    a, b = net.socketpair(net.AF_UNIX, net.SOCK_STREAM)
    d = a.dup()
    trace = [d.fileno() != a.fileno(), int(d.type)]
    a.close()
    d.send(b"via dup")
    trace.append(b.recv(100))
    trace.append(attempt(b.recv, 10, net.MSG_DONTWAIT))  # still open through d
    d.close()
    trace.append(attempt(b.recv, 10))
    b.close()
    return trace


def scenario_unlink_then_rebind(net):
    path = _path()
    a = net.socket(net.AF_UNIX, net.SOCK_DGRAM)
    a.bind(path)
    unlink = getattr(net, "unlink", os.unlink)
    trace = [errname(unlink, path), errname(unlink, path)]
    b = net.socket(net.AF_UNIX, net.SOCK_DGRAM)
    trace.append(errname(b.bind, path))
    c = net.socket(net.AF_UNIX, net.SOCK_DGRAM)
    c.sendto(b"to the new one", path)
    trace += [b.recv(100), attempt(a.recv, 100, net.MSG_DONTWAIT), a.getsockname() == path]
    _close(a, b, c)
    _unlink(net, path)
    return trace


# ------------------------------------------------------------ more edges


def _exc(fn, *args):
    """Like errname, but also names Python-level argument errors."""
    try:
        return errname(fn, *args)
    except Exception as exc:  # ValueError/TypeError raised before any syscall
        return type(exc).__name__


def scenario_api_argument_errors(net):
    a, b = net.socketpair()
    trace = [
        _exc(a.recv, -1),
        _exc(a.settimeout, -1),
        _exc(a.bind, ("127.0.0.1", 80)),
        _exc(a.setsockopt, net.SOL_SOCKET, net.SO_KEEPALIVE, "x"),
        _exc(a.recvmsg, -1),
        _exc(a.send, "text"),
    ]
    _close(a, b)
    return trace


def scenario_send_flags_accepted(net):
    trace = []
    for kind in (net.SOCK_STREAM, net.SOCK_DGRAM, net.SOCK_SEQPACKET):
        a, b = net.socketpair(net.AF_UNIX, kind)
        row = []
        for flag in (net.MSG_EOR, net.MSG_MORE, net.MSG_CONFIRM, net.MSG_DONTROUTE, net.MSG_NOSIGNAL):
            row.append(errname(a.send, b"f", flag))
        row.append(b.recv(100) if kind == net.SOCK_STREAM else len([b.recv(10) for _ in range(5)]))
        trace.append(row)
        _close(a, b)
    return trace


def scenario_oob_not_supported_on_dgram_and_seqpacket(net):
    trace = []
    for kind in (net.SOCK_DGRAM, net.SOCK_SEQPACKET):
        a, b = net.socketpair(net.AF_UNIX, kind)
        a.send(b"in band")
        trace += [errname(a.send, b"!", net.MSG_OOB), errname(b.recv, 10, net.MSG_OOB | net.MSG_DONTWAIT), b.recv(10)]
        _close(a, b)
    return trace


def scenario_oob_stream_single_byte(net):
    a, b = net.socketpair(net.AF_UNIX, net.SOCK_STREAM)
    trace = [attempt(b.recv, 10, net.MSG_OOB | net.MSG_DONTWAIT)]
    a.send(b"ab")
    trace.append(errname(a.send, b"!", net.MSG_OOB))
    trace.append(attempt(b.recv, 10, net.MSG_OOB | net.MSG_DONTWAIT))
    trace.append(attempt(b.recv, 10, net.MSG_DONTWAIT))
    trace.append(attempt(b.recv, 10, net.MSG_OOB | net.MSG_DONTWAIT))
    _close(a, b)
    return trace


def scenario_recv_flags_ignored_by_unix(net):
    a, b = net.socketpair(net.AF_UNIX, net.SOCK_DGRAM)
    trace = []
    for flag in (net.MSG_ERRQUEUE, net.MSG_CMSG_CLOEXEC, net.MSG_EOR):
        a.send(b"r")
        trace.append(attempt(b.recv, 10, flag | net.MSG_DONTWAIT))
    _close(a, b)
    return trace


def scenario_dgram_sender_blocked_by_full_receiver(net):
    r, rpath = _dgram_bound(net)
    s = net.socket(net.AF_UNIX, net.SOCK_DGRAM)
    s.connect(rpath)
    s.setblocking(False)
    sent = 0
    while sent < 50 and errname(s.send, b"q") == "ok":
        sent += 1
    trace = [sent, _writable(net, s), _readable(net, r)]
    r.recv(10)
    trace += [_writable(net, s), errname(s.send, b"q"), errname(s.send, b"q")]
    s.settimeout(0.05)
    trace.append(attempt(s.send, b"q"))
    _close(r, s)
    _unlink(net, rpath)
    return trace


def scenario_dgram_sendto_self(net):
    s, path = _dgram_bound(net)
    trace = [s.sendto(b"me", path)]
    data, addr = s.recvfrom(10)
    trace += [data, addr == path]
    s.connect(path)
    s.send(b"myself")
    trace += [s.recv(10), s.getpeername() == path]
    s.close()
    _unlink(net, path)
    return trace


def scenario_dgram_peek_trunc_keeps_message(net):
    a, b = net.socketpair(net.AF_UNIX, net.SOCK_DGRAM)
    a.send(b"0123456789")
    buf = bytearray(3)
    trace = [b.recv_into(buf, 3, net.MSG_PEEK | net.MSG_TRUNC), bytes(buf), b.recv(100)]
    _close(a, b)
    return trace


def scenario_seqpacket_too_big(net):
    a, b = net.socketpair(net.AF_UNIX, net.SOCK_SEQPACKET)
    trace = [errname(a.send, b"x" * 300000), errname(a.send, b"x" * 1000)]
    trace.append(len(b.recv(5000)))
    _close(a, b)
    return trace


def scenario_stream_nonblocking_partial_send(net):
    a, b = net.socketpair(net.AF_UNIX, net.SOCK_STREAM)
    a.setblocking(False)
    n = a.send(b"p" * (1 << 20))
    trace = [0 < n < (1 << 20), errname(a.send, b"p" * 1000)]
    trace.append(_drain(net, b) == n)
    _close(a, b)
    return trace


def scenario_bind_path_with_nul_suffix(net):
    path = _path()
    s = net.socket(net.AF_UNIX, net.SOCK_DGRAM)
    trace = [errname(s.bind, (path + "\0junk").encode())]
    name = s.getsockname()
    trace.append(name == path)
    c = net.socket(net.AF_UNIX, net.SOCK_DGRAM)
    trace.append(errname(c.sendto, b"by clean name", path))
    trace.append(s.recv(100))
    _close(s, c)
    _unlink(net, path)
    return trace


def scenario_bind_abstract_trailing_nul_is_distinct(net):
    name = _abstract()
    a = net.socket(net.AF_UNIX, net.SOCK_DGRAM)
    b = net.socket(net.AF_UNIX, net.SOCK_DGRAM)
    c = net.socket(net.AF_UNIX, net.SOCK_DGRAM)
    trace = [errname(a.bind, name), errname(b.bind, name + b"\0"), b.getsockname() == name + b"\0"]
    c.sendto(b"to a", name)
    c.sendto(b"to b", name + b"\0")
    trace += [a.recv(10), b.recv(10)]
    _close(a, b, c)
    return trace


def scenario_connect_after_unlink_enoent(net):
    srv, path = _listener(net)
    _unlink(net, path)
    cli = net.socket(net.AF_UNIX, net.SOCK_STREAM)
    trace = [errname(cli.connect, path), srv.getsockname() == path]
    _close(srv, cli)
    return trace


def scenario_connect_autobound_listener(net):
    srv = net.socket(net.AF_UNIX, net.SOCK_STREAM)
    srv.bind("")
    srv.listen(1)
    name = srv.getsockname()
    cli = net.socket(net.AF_UNIX, net.SOCK_STREAM)
    trace = [errname(cli.connect, name), cli.getpeername() == name]
    conn, _ = srv.accept()
    trace.append(conn.getsockname() == name)
    _close(srv, cli, conn)
    return trace


def scenario_accept_after_client_closed(net):
    srv, path = _listener(net)
    cli = net.socket(net.AF_UNIX, net.SOCK_STREAM)
    cli.connect(path)
    cli.send(b"gone")
    cli.close()
    conn, peer = srv.accept()
    trace = [peer, conn.recv(10), conn.recv(10), errname(conn.send, b"x")]
    _close(srv, conn)
    _unlink(net, path)
    return trace


def scenario_accept_after_listener_shutdown(net):
    srv, path = _listener(net)
    cli = net.socket(net.AF_UNIX, net.SOCK_STREAM)
    cli.connect(path)
    srv.shutdown(net.SHUT_RDWR)
    srv.setblocking(False)
    trace = [attempt(lambda: srv.accept()[1])]
    _close(srv, cli)
    _unlink(net, path)
    return trace


def scenario_listen_backlog_raised(net):
    srv, path = _listener(net, backlog=0)
    clients = []
    results = []
    for _ in range(2):
        c = net.socket(net.AF_UNIX, net.SOCK_STREAM)
        c.setblocking(False)
        results.append(errname(c.connect, path))
        clients.append(c)
    srv.listen(3)
    for _ in range(4):
        c = net.socket(net.AF_UNIX, net.SOCK_STREAM)
        c.setblocking(False)
        results.append(errname(c.connect, path))
        clients.append(c)
    _close(srv, *clients)
    _unlink(net, path)
    return results


def scenario_scm_rights_inheritable_flag(net):
    a, b = net.socketpair(net.AF_UNIX, net.SOCK_DGRAM)
    x, y = net.socketpair(net.AF_UNIX, net.SOCK_STREAM)
    trace = []
    for flags in (0, net.MSG_CMSG_CLOEXEC):
        a.sendmsg([b"i"], _rights(net, x.fileno()))
        data, anc, rflags, addr = b.recvmsg(10, _cmsg_space(4), flags)
        (fd,) = _received_fds(net, anc)
        z = net.socket(fileno=fd)
        trace.append(z.get_inheritable())
        z.close()
    _close(a, b, x, y)
    return trace


def scenario_scm_rights_pass_listener(net):
    srv, path = _listener(net)
    a, b = net.socketpair(net.AF_UNIX, net.SOCK_STREAM)
    a.sendmsg([b"L"], _rights(net, srv.fileno()))
    srv.close()
    data, anc, flags, addr = b.recvmsg(10, _cmsg_space(4))
    (fd,) = _received_fds(net, anc)
    lst = net.socket(fileno=fd)
    cli = net.socket(net.AF_UNIX, net.SOCK_STREAM)
    trace = [errname(cli.connect, path), _sockopt(lst, net, net.SO_ACCEPTCONN), lst.getsockname() == path]
    conn, _ = lst.accept()
    cli.send(b"accepted via passed fd")
    trace.append(conn.recv(100))
    _close(a, b, lst, cli, conn)
    _unlink(net, path)
    return trace


def scenario_scm_rights_pass_own_end(net):
    a, b = net.socketpair(net.AF_UNIX, net.SOCK_STREAM)
    a.sendmsg([b"S"], _rights(net, a.fileno()))
    a.close()  # a lives on only in flight
    data, anc, flags, addr = b.recvmsg(10, _cmsg_space(4))
    (fd,) = _received_fds(net, anc)
    z = net.socket(fileno=fd)
    z.send(b"self")
    trace = [data, b.recv(10), _readable(net, b)]
    z.close()
    trace.append(attempt(b.recv, 10))
    b.close()
    return trace


def scenario_scm_rights_inflight_released_on_close(net):
    a, b = net.socketpair(net.AF_UNIX, net.SOCK_STREAM)
    x, y = net.socketpair(net.AF_UNIX, net.SOCK_STREAM)
    a.sendmsg([b"F"], _rights(net, x.fileno()))
    x.close()
    trace = [attempt(y.recv, 10, net.MSG_DONTWAIT)]
    b.close()  # unread message with the last reference to x
    trace += [attempt(y.recv, 10, net.MSG_DONTWAIT), errname(y.send, b"x"), attempt(a.recv, 10)]
    _close(a, y)
    return trace


def scenario_scm_credentials_sender_passcred_only(net):
    a, b = net.socketpair(net.AF_UNIX, net.SOCK_STREAM)
    a.setsockopt(net.SOL_SOCKET, net.SO_PASSCRED, 1)
    a.send(b"x")
    data, anc, flags, addr = b.recvmsg(10, _cmsg_space(UCRED.size))
    trace = [data, _anc_shape(anc)]
    _close(a, b)
    return trace


def scenario_scm_credentials_and_rights_together(net):
    a, b = net.socketpair(net.AF_UNIX, net.SOCK_DGRAM)
    x, y = net.socketpair(net.AF_UNIX, net.SOCK_STREAM)
    b.setsockopt(net.SOL_SOCKET, net.SO_PASSCRED, 1)
    a.sendmsg([b"both"], _rights(net, x.fileno()))
    data, anc, flags, addr = b.recvmsg(10, _cmsg_space(4) + _cmsg_space(UCRED.size))
    trace = [data, sorted(_anc_shape(anc)), flags]
    for fd in _received_fds(net, anc):
        net.socket(fileno=fd).close()
    _close(a, b, x, y)
    return trace


def scenario_so_peercred_plain_getsockopt(net):
    s = net.socket(net.AF_UNIX, net.SOCK_STREAM)
    trace = [_sockopt(s, net, net.SO_PEERCRED)]  # the first int: pid 0
    s.close()
    return trace


def scenario_timeout_rcvtimeo_ignored_when_nonblocking(net):
    a, b = net.socketpair(net.AF_UNIX, net.SOCK_STREAM)
    b.setsockopt(net.SOL_SOCKET, net.SO_RCVTIMEO, TIMEVAL.pack(5, 0))
    trace = [errname(b.recv, 10, net.MSG_DONTWAIT)]
    b.setblocking(False)
    trace.append(errname(b.recv, 10))
    _close(a, b)
    return trace


def scenario_stream_many_small_messages(net):
    a, b = net.socketpair(net.AF_UNIX, net.SOCK_STREAM)
    for i in range(200):
        a.send(b"%03d," % i)
    got = b""
    while len(got) < 800:
        got += b.recv(333)
    trace = [len(got), got == b"".join(b"%03d," % i for i in range(200))]
    _close(a, b)
    return trace


def scenario_seqpacket_listen_accept_names(net):
    srv, path = _listener(net, net.SOCK_SEQPACKET)
    cli = net.socket(net.AF_UNIX, net.SOCK_SEQPACKET)
    cli.connect(path)
    conn, peer = srv.accept()
    trace = [peer, conn.getsockname() == path, cli.getpeername() == path, int(conn.type)]
    conn.send(b"x" * 10)
    trace.append(cli.recv(3))
    trace.append(attempt(cli.recv, 10, net.MSG_DONTWAIT))
    _close(srv, cli, conn)
    _unlink(net, path)
    return trace


# ------------------------------------------------- accounting and surface


def scenario_stream_buffer_capacity_exact(net):
    trace = []
    for chunk in (1, 100, 1000, 4096, 65536, 1 << 20):
        a, b = net.socketpair(net.AF_UNIX, net.SOCK_STREAM)
        trace.append((chunk, _fill(net, a, chunk)))
        _close(a, b)
    return trace


def scenario_stream_buffer_capacity_small_sndbuf(net):
    a, b = net.socketpair(net.AF_UNIX, net.SOCK_STREAM)
    a.setsockopt(net.SOL_SOCKET, net.SO_SNDBUF, 4608)
    trace = [_fill(net, a, 1000), _fill(net, a, 1)]
    b.recv(1000)
    trace.append(_fill(net, a, 1000))
    _close(a, b)
    return trace


def scenario_dgram_socketpair_capacity_exact(net):
    trace = []
    for size in (1, 100, 1000, 10000):
        a, b = net.socketpair(net.AF_UNIX, net.SOCK_DGRAM)
        count = 0
        while errname(a.send, b"x" * size, net.MSG_DONTWAIT) == "ok":
            count += 1
        trace.append((size, count))
        _close(a, b)
    return trace


def scenario_constants_values(net):
    names = [
        "AF_UNIX",
        "AF_UNSPEC",
        "SOCK_STREAM",
        "SOCK_DGRAM",
        "SOCK_RAW",
        "SOCK_SEQPACKET",
        "SOCK_NONBLOCK",
        "SOCK_CLOEXEC",
        "SOL_SOCKET",
        "SO_TYPE",
        "SO_ERROR",
        "SO_SNDBUF",
        "SO_RCVBUF",
        "SO_PASSCRED",
        "SO_PEERCRED",
        "SO_RCVTIMEO",
        "SO_SNDTIMEO",
        "SO_LINGER",
        "SCM_RIGHTS",
        "SCM_CREDENTIALS",
        "MSG_PEEK",
        "MSG_TRUNC",
        "MSG_CTRUNC",
        "MSG_WAITALL",
        "MSG_DONTWAIT",
        "MSG_NOSIGNAL",
        "MSG_OOB",
        "MSG_EOR",
        "MSG_CMSG_CLOEXEC",
        "SHUT_RD",
        "SHUT_WR",
        "SHUT_RDWR",
        "SOMAXCONN",
    ]
    return [(name, int(getattr(net, name))) for name in names]


def scenario_socket_enum_attributes(net):
    s = net.socket(net.AF_UNIX, net.SOCK_SEQPACKET)
    trace = [s.family.name, s.type.name, s.family == net.AF_UNIX, s.type == net.SOCK_SEQPACKET]
    a, b = net.socketpair(net.AF_UNIX, net.SOCK_DGRAM)
    trace += [a.family.name, b.type.name]
    _close(s, a, b)
    return trace


def scenario_sendall_and_recv_into_buffer_types(net):
    a, b = net.socketpair(net.AF_UNIX, net.SOCK_STREAM)
    a.sendall(bytearray(b"ba"))
    a.sendall(memoryview(b"xmvx")[1:3])
    a.send(memoryview(bytearray(b"!")))
    buf = bytearray(10)
    view = memoryview(buf)[2:]
    trace = [b.recv_into(view, 5), bytes(buf)]
    _close(a, b)
    return trace


def scenario_stream_peek_waitall(net):
    a, b = net.socketpair(net.AF_UNIX, net.SOCK_STREAM)
    a.send(b"abc")
    a.send(b"def")
    trace = [b.recv(6, net.MSG_PEEK | net.MSG_WAITALL), b.recv(100)]
    _close(a, b)
    return trace


def scenario_seqpacket_peek_trunc(net):
    a, b = net.socketpair(net.AF_UNIX, net.SOCK_SEQPACKET)
    a.send(b"0123456789")
    buf = bytearray(2)
    trace = [b.recv_into(buf, 2, net.MSG_PEEK | net.MSG_TRUNC), bytes(buf), b.recv(100)]
    _close(a, b)
    return trace


def scenario_socketpair_cloexec_nonblock(net):
    a, b = net.socketpair(net.AF_UNIX, net.SOCK_DGRAM | net.SOCK_CLOEXEC | net.SOCK_NONBLOCK)
    trace = [int(a.type), a.getblocking(), a.get_inheritable(), errname(b.recv, 1)]
    _close(a, b)
    return trace


def scenario_dgram_sendto_receiver_shut_rd(net):
    r, rpath = _dgram_bound(net)
    r.shutdown(net.SHUT_RD)
    s = net.socket(net.AF_UNIX, net.SOCK_DGRAM)
    trace = [errname(s.sendto, b"x", rpath), attempt(r.recv, 10, net.MSG_DONTWAIT)]
    _close(r, s)
    _unlink(net, rpath)
    return trace


def scenario_sendmsg_empty_buffers(net):
    trace = []
    for kind in (net.SOCK_STREAM, net.SOCK_DGRAM, net.SOCK_SEQPACKET):
        a, b = net.socketpair(net.AF_UNIX, kind)
        trace.append(
            (
                a.sendmsg([]),
                a.sendmsg([b"", b""]),
                attempt(b.recv, 10, net.MSG_DONTWAIT),
                attempt(b.recv, 10, net.MSG_DONTWAIT),
            )
        )
        _close(a, b)
    return trace


def scenario_scm_rights_without_data(net):
    trace = []
    for kind in (net.SOCK_STREAM, net.SOCK_DGRAM):
        a, b = net.socketpair(net.AF_UNIX, kind)
        x, y = net.socketpair(net.AF_UNIX, net.SOCK_STREAM)
        trace.append(attempt(a.sendmsg, [], _rights(net, x.fileno())))
        try:
            data, anc, flags, addr = b.recvmsg(10, _cmsg_space(4), net.MSG_DONTWAIT)
        except BlockingIOError:
            trace.append("EAGAIN")
        else:
            trace.append((data, _anc_shape(anc), flags))
            for fd in _received_fds(net, anc):
                net.socket(fileno=fd).close()
        _close(a, b, x, y)
    return trace


def scenario_scm_rights_peek_on_stream(net):
    a, b = net.socketpair(net.AF_UNIX, net.SOCK_STREAM)
    x, y = net.socketpair(net.AF_UNIX, net.SOCK_STREAM)
    a.sendmsg([b"peeked"], _rights(net, x.fileno()))
    trace = []
    for flags in (net.MSG_PEEK, 0):
        data, anc, rflags, addr = b.recvmsg(100, _cmsg_space(4), flags)
        trace.append((data, _anc_shape(anc), rflags))
        for fd in _received_fds(net, anc):
            net.socket(fileno=fd).close()
    _close(a, b, x, y)
    return trace


def scenario_scm_rights_recvmsg_into(net):
    a, b = net.socketpair(net.AF_UNIX, net.SOCK_SEQPACKET)
    x, y = net.socketpair(net.AF_UNIX, net.SOCK_DGRAM)
    a.sendmsg([b"0123456789"], _rights(net, y.fileno()))
    p, q = bytearray(4), bytearray(2)
    n, anc, flags, addr = b.recvmsg_into([p, q], _cmsg_space(4))
    trace = [n, bytes(p), bytes(q), _anc_shape(anc), bool(flags & net.MSG_TRUNC)]
    (fd,) = _received_fds(net, anc)
    z = net.socket(fileno=fd)
    x.send(b"dg")
    trace += [int(z.type), z.recv(10)]
    _close(a, b, x, y, z)
    return trace


def scenario_scm_rights_bound_dgram_keeps_name(net):
    r, rpath = _dgram_bound(net)
    a, b = net.socketpair(net.AF_UNIX, net.SOCK_STREAM)
    a.sendmsg([b"n"], _rights(net, r.fileno()))
    r.close()
    data, anc, flags, addr = b.recvmsg(10, _cmsg_space(4))
    (fd,) = _received_fds(net, anc)
    z = net.socket(fileno=fd)
    s = net.socket(net.AF_UNIX, net.SOCK_DGRAM)
    s.sendto(b"still bound", rpath)
    trace = [z.getsockname() == rpath, z.recv(100)]
    _close(a, b, z, s)
    _unlink(net, rpath)
    return trace


def scenario_scm_rights_cycle_closed(net):
    a, b = net.socketpair(net.AF_UNIX, net.SOCK_STREAM)
    a.sendmsg([b"1"], _rights(net, b.fileno()))
    b.sendmsg([b"2"], _rights(net, a.fileno()))
    _close(a, b)  # both only in flight now: garbage, must not hang
    c, d = net.socketpair()
    c.send(b"alive")
    trace = [d.recv(10)]
    _close(c, d)
    return trace


def scenario_connect_trailing_slash_and_dot_paths(net):
    srv, path = _listener(net)
    cli = net.socket(net.AF_UNIX, net.SOCK_STREAM)
    trace = [errname(cli.connect, path + "/"), errname(cli.connect, "/tmp/./" + path[len("/tmp/") :])]
    conn, _ = srv.accept()
    trace.append(cli.getpeername() == path)
    _close(srv, cli, conn)
    _unlink(net, path)
    return trace


def scenario_dgram_rcvlowat_ignored(net):
    a, b = net.socketpair(net.AF_UNIX, net.SOCK_DGRAM)
    b.setsockopt(net.SOL_SOCKET, net.SO_RCVLOWAT, 100)
    a.send(b"tiny")
    trace = [_readable(net, b), attempt(b.recv, 10, net.MSG_DONTWAIT)]
    _close(a, b)
    return trace


def scenario_makefile_unbuffered_and_close_order(net):
    a, b = net.socketpair(net.AF_UNIX, net.SOCK_STREAM)
    raw = b.makefile("rb", buffering=0)
    a.send(b"0123456789")
    buf = bytearray(4)
    trace = [raw.read(3), raw.readinto(buf), bytes(buf), raw.readable(), raw.writable()]
    b.close()  # the file still holds the socket open
    a.send(b"more")
    trace.append(raw.read(10))
    raw.close()
    trace.append(attempt(a.recv, 10))  # now the peer is gone
    a.close()
    return trace


# --------------------------------------------------------- more corners


def scenario_fileno_lookup_errors(net):
    return [
        _exc(lambda: net.socket(fileno=999999)),
        _exc(lambda: net.socket(fileno=0)),  # stdin: not a socket
    ]


def scenario_listener_data_calls(net):
    srv, path = _listener(net)
    trace = [
        errname(srv.recv, 10),
        errname(srv.send, b"x"),
        errname(srv.sendto, b"x", path),
        errname(srv.recvmsg, 10),
        errname(srv.connect, path),
    ]
    srv.close()
    _unlink(net, path)
    return trace


def scenario_accept_inherits_options(net):
    srv, path = _listener(net)
    srv.setsockopt(net.SOL_SOCKET, net.SO_PASSCRED, 1)
    srv.setsockopt(net.SOL_SOCKET, net.SO_SNDBUF, 10000)
    srv.setsockopt(net.SOL_SOCKET, net.SO_KEEPALIVE, 1)
    srv.setsockopt(net.SOL_SOCKET, net.SO_RCVLOWAT, 7)
    cli = net.socket(net.AF_UNIX, net.SOCK_STREAM)
    cli.connect(path)
    conn, _ = srv.accept()
    trace = [
        _sockopt(conn, net, opt)
        for opt in (net.SO_PASSCRED, net.SO_SNDBUF, net.SO_KEEPALIVE, net.SO_RCVLOWAT, net.SO_ACCEPTCONN)
    ]
    cli.send(b"c")
    data, anc, flags, addr = conn.recvmsg(10, _cmsg_space(UCRED.size))
    trace += [data, _anc_shape(anc)]
    _close(srv, cli, conn)
    _unlink(net, path)
    return trace


def scenario_seqpacket_sendto_unconnected(net):
    srv, path = _listener(net, net.SOCK_SEQPACKET)
    s = net.socket(net.AF_UNIX, net.SOCK_SEQPACKET)
    trace = [errname(s.sendto, b"x", path), errname(s.sendmsg, [b"x"], [], 0, path)]
    _close(srv, s)
    _unlink(net, path)
    return trace


def scenario_seqpacket_recvfrom_bound_peer(net):
    srv, path = _listener(net, net.SOCK_SEQPACKET)
    cpath = _path()
    cli = net.socket(net.AF_UNIX, net.SOCK_SEQPACKET)
    cli.bind(cpath)
    cli.connect(path)
    conn, peer = srv.accept()
    cli.send(b"from bound")
    data, addr = conn.recvfrom(100)
    conn.send(b"reply")
    back, back_addr = cli.recvfrom(100)
    trace = [peer == cpath, data, addr == cpath, back, back_addr == path]
    _close(srv, cli, conn)
    _unlink(net, path, cpath)
    return trace


def scenario_dgram_fifo_from_many_senders(net):
    r, rpath = _dgram_bound(net, _abstract())
    senders = [_dgram_bound(net, _abstract()) for _ in range(3)]
    order = [2, 0, 1, 0, 2]
    for i in order:
        senders[i][0].sendto(b"m%d" % i, rpath)
    trace = []
    for _ in order:
        data, addr = r.recvfrom(10)
        trace.append((data, [name for _, name in senders].index(addr)))
    _close(r, *[s for s, _ in senders])
    return trace


def scenario_dgram_size_limit_boundary(net):
    a, b = net.socketpair(net.AF_UNIX, net.SOCK_DGRAM)
    limit = _sockopt(a, net, net.SO_SNDBUF) - 32
    trace = [
        limit,
        errname(a.send, b"x" * (limit + 1), net.MSG_DONTWAIT),
        errname(a.send, b"x" * limit, net.MSG_DONTWAIT),
    ]
    got = attempt(b.recv, limit + 10, net.MSG_DONTWAIT)
    trace.append((got[0], len(got[1])) if got[0] == "ok" else got)
    _close(a, b)
    return trace


def scenario_stream_receiver_rcvbuf_does_not_limit(net):
    a, b = net.socketpair(net.AF_UNIX, net.SOCK_STREAM)
    b.setsockopt(net.SOL_SOCKET, net.SO_RCVBUF, 1)
    trace = [_sockopt(b, net, net.SO_RCVBUF), _fill(net, a, 1000)]
    _close(a, b)
    return trace


def scenario_select_oob_exceptional(net):
    a, b = net.socketpair(net.AF_UNIX, net.SOCK_STREAM)
    trace = [net.select([b], [], [b], 0)[2] == [b]]
    a.send(b"!", net.MSG_OOB)
    r, w, x = net.select([b], [], [b], 0)
    trace += [r == [b], x == [b]]
    trace.append(attempt(b.recv, 1, net.MSG_OOB | net.MSG_DONTWAIT))
    r, w, x = net.select([b], [], [b], 0)
    trace += [r == [b], x == [b]]
    _close(a, b)
    return trace


def scenario_oob_inline(net):
    a, b = net.socketpair(net.AF_UNIX, net.SOCK_STREAM)
    b.setsockopt(net.SOL_SOCKET, net.SO_OOBINLINE, 1)
    a.send(b"ab")
    a.send(b"!", net.MSG_OOB)
    a.send(b"cd")
    trace = [
        attempt(b.recv, 10, net.MSG_OOB | net.MSG_DONTWAIT),
        attempt(b.recv, 10, net.MSG_DONTWAIT),
        attempt(b.recv, 10, net.MSG_DONTWAIT),
        attempt(b.recv, 10, net.MSG_DONTWAIT),
    ]
    _close(a, b)
    return trace


def scenario_oob_mark_splits_reads(net):
    a, b = net.socketpair(net.AF_UNIX, net.SOCK_STREAM)
    a.send(b"head")
    a.send(b"X", net.MSG_OOB)
    a.send(b"tail")
    trace = [
        attempt(b.recv, 100, net.MSG_DONTWAIT),
        attempt(b.recv, 100, net.MSG_DONTWAIT),
        attempt(b.recv, 100, net.MSG_OOB | net.MSG_DONTWAIT),
        attempt(b.recv, 100, net.MSG_DONTWAIT),
    ]
    _close(a, b)
    return trace


def scenario_dgram_bound_sender_connected_names(net):
    r, rpath = _dgram_bound(net)
    s, spath = _dgram_bound(net)
    s.connect(rpath)
    s.send(b"named")
    data, addr = r.recvfrom(100)
    s.send(b"again")
    data2, anc, flags, addr2 = r.recvmsg(100)
    trace = [data, addr == spath, data2, addr2 == spath, s.getsockname() == spath, s.getpeername() == rpath]
    _close(r, s)
    _unlink(net, rpath, spath)
    return trace


def scenario_dgram_peek_off(net):
    a, b = net.socketpair(net.AF_UNIX, net.SOCK_DGRAM)
    a.send(b"0123456789")
    a.send(b"abcdef")
    trace = [errname(b.setsockopt, net.SOL_SOCKET, SO_PEEK_OFF, 3)]
    trace += [b.recv(4, net.MSG_PEEK), _sockopt(b, net, SO_PEEK_OFF), b.recv(100, net.MSG_PEEK)]
    trace += [_sockopt(b, net, SO_PEEK_OFF), b.recv(100), _sockopt(b, net, SO_PEEK_OFF), b.recv(100)]
    _close(a, b)
    return trace


def scenario_timeout_python_waits_even_with_dontwait(net):
    a, b = net.socketpair(net.AF_UNIX, net.SOCK_STREAM)
    b.settimeout(0.2)
    c = net.socket(net.AF_UNIX, net.SOCK_STREAM)
    c.settimeout(0.2)
    trace = [attempt(b.recv, 10, net.MSG_DONTWAIT), attempt(c.connect, _path())]
    _close(a, b, c)
    return trace


def scenario_sendall_nonblocking_full(net):
    a, b = net.socketpair(net.AF_UNIX, net.SOCK_STREAM)
    a.setblocking(False)
    _fill(net, a)
    trace = [attempt(a.sendall, b"z" * 1000)]
    _close(a, b)
    return trace


def scenario_makefile_write_to_closed_peer(net):
    a, b = net.socketpair(net.AF_UNIX, net.SOCK_STREAM)
    w = a.makefile("wb")
    b.close()
    w.write(b"lost")
    trace = [attempt(w.flush)]
    try:
        w.close()
    except OSError as exc:
        trace.append(type(exc).__name__)
    a.close()
    return trace


def scenario_makefile_iterates_lines(net):
    a, b = net.socketpair(net.AF_UNIX, net.SOCK_STREAM)
    a.sendall(b"one\ntwo\n")
    a.sendall(b"thr")
    a.sendall(b"ee\nno newline")
    a.close()
    with b.makefile("rb") as r:
        trace = list(r)
    b.close()
    return trace


def scenario_detached_socket_is_closed(net):
    a, b = net.socketpair(net.AF_UNIX, net.SOCK_STREAM)
    fd = a.detach()
    trace = [errname(a.send, b"x"), errname(a.getsockname), a.fileno()]
    c = net.socket(fileno=fd)
    c.close()
    trace.append(attempt(b.recv, 10))
    b.close()
    return trace


def scenario_dup_shutdown_affects_both(net):
    a, b = net.socketpair(net.AF_UNIX, net.SOCK_STREAM)
    d = a.dup()
    d.shutdown(net.SHUT_WR)
    trace = [attempt(b.recv, 10), errname(a.send, b"x"), errname(d.send, b"x")]
    b.send(b"both read")
    trace.append(a.recv(4))
    trace.append(d.recv(100))
    _close(a, b, d)
    return trace


def scenario_names_non_ascii(net):
    raw = b"/tmp/sl-" + uuid.uuid4().hex.encode() + b"-\xff\xfe.sock"
    uni = "/tmp/sl-" + uuid.uuid4().hex + "-é✓.sock"
    abstract = b"\0sl-\xff\x00\x01" + uuid.uuid4().hex.encode()
    s1 = net.socket(net.AF_UNIX, net.SOCK_DGRAM)
    s2 = net.socket(net.AF_UNIX, net.SOCK_DGRAM)
    s3 = net.socket(net.AF_UNIX, net.SOCK_DGRAM)
    trace = [errname(s1.bind, raw), errname(s2.bind, uni), errname(s3.bind, abstract)]
    trace += [s1.getsockname() == os.fsdecode(raw), s2.getsockname() == uni, s3.getsockname() == abstract]
    s3.sendto(b"1", raw)
    s3.sendto(b"2", uni.encode())
    s1.sendto(b"3", abstract)
    _, addr1 = s1.recvfrom(10)
    _, addr2 = s2.recvfrom(10)
    _, addr3 = s3.recvfrom(10)
    trace += [addr1 == abstract, addr2 == abstract, addr3 == os.fsdecode(raw)]
    _close(s1, s2, s3)
    _unlink(net, raw, uni)
    return trace


def scenario_accept_abstract_bound_client(net):
    srv, path = _listener(net)
    cname = _abstract()
    cli = net.socket(net.AF_UNIX, net.SOCK_STREAM)
    cli.bind(cname)
    cli.connect(path)
    conn, peer = srv.accept()
    trace = [type(peer).__name__, peer == cname, conn.getpeername() == cname]
    _close(srv, cli, conn)
    _unlink(net, path)
    return trace


def scenario_select_after_peer_close(net):
    trace = []
    for kind in (net.SOCK_STREAM, net.SOCK_SEQPACKET, net.SOCK_DGRAM):
        a, b = net.socketpair(net.AF_UNIX, kind)
        b.close()
        trace.append((_readable(net, a), _writable(net, a)))
        a.close()
    return trace
