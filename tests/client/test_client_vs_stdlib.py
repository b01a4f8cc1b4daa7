"""The client against CPython itself, on the same (host) kernel.

Each case drives a socket-module-like ``net``; it runs once with the stdlib
``socket`` module and once with ``client.Net`` over :class:`HostTransport`
(raw syscalls on this machine's Linux).  Both reach the same kernel, so any
difference in results, exception classes or messages is the client's.
"""
from __future__ import annotations

import array
import io
import math
import os
import pickle
import re
import select
import signal
import socket
import uuid
from collections.abc import Callable
from typing import Any, cast

import pytest
from hostkernel import HostTransport

import client


class StdNet:
    """The stdlib socket module, plus select, as the client's Net shape."""

    def __getattr__(self, name: str) -> Any:
        return getattr(socket, name)

    @staticmethod
    def select(*args: Any) -> Any:
        return select.select(*args)

    @staticmethod
    def unlink(path: str) -> None:
        os.unlink(path)


def norm(value: Any) -> Any:
    if isinstance(value, (socket.socket, client.Socket)):
        return f"<socket family={int(value.family)} type={int(value.type)} proto={value.proto}>"
    if isinstance(value, (tuple, list)):
        return type(value)(norm(v) for v in value)
    if isinstance(value, (io.IOBase,)):
        return type(value).__name__
    return value


def o(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """The outcome of a call: ('ok', value) or (exception class name, errno, str)."""
    try:
        return ("ok", norm(fn(*args, **kwargs)))
    except Exception as exc:  # noqa: BLE001
        return (type(exc).__name__, getattr(exc, "errno", None), str(exc))


def _path() -> str:
    return f"/tmp/slc-{uuid.uuid4().hex[:16]}.sock"


# ---------------------------------------------------------------------------- cases


def case_recv_arguments(net: Any) -> list[Any]:
    a, b = net.socketpair()
    out = [o(a.recv, -1), o(a.recv, 1.0), o(a.recv, "x"), o(a.recv, 2**70), o(a.recv, 1, 2**40), o(a.recv, 1, "x")]
    out += [o(a.recvfrom, -1), o(a.recvmsg, -1), o(a.recvmsg, 1, -1), o(a.recvmsg, 1, 2**40)]
    out += [o(a.recv_into, b"xx"), o(a.recv_into, bytearray(2), 5), o(a.recv_into, bytearray(2), -1)]
    out += [o(a.recvfrom_into, bytearray(2), 5), o(a.recvfrom_into, bytearray(2), -1), o(a.recvmsg_into, 5)]
    out += [o(a.recvmsg_into, [b"x"]), o(a.recv_into, memoryview(b"ab"))]
    a.close()
    b.close()
    return out


def case_send_arguments(net: Any) -> list[Any]:
    a, b = net.socketpair(net.AF_UNIX, net.SOCK_DGRAM)
    out = [o(a.send, "x"), o(a.send, 5), o(a.send, b"x", "y"), o(a.sendall, "x"), o(a.sendto, b"x")]
    out += [o(a.sendto, b"x", 0, 1, 2), o(a.sendto, "x", "/nonexistent"), o(a.sendto, b"x", 5)]
    out += [o(a.sendmsg, 5), o(a.sendmsg, [b"x"], 5), o(a.sendmsg, ["x"]), o(a.sendmsg, [b"x"], [(1, 2)])]
    out += [o(a.sendmsg, [b"x"], [], 0, 5), o(a.send, bytearray(b"ok")), o(a.send, memoryview(b"ok")),
            o(a.sendmsg, [b"a", bytearray(b"b")]), o(b.recv, 10), o(b.recv, 10), o(b.recv, 10)]
    a.close()
    b.close()
    return out


def case_constructor_arguments(net: Any) -> list[Any]:
    out = [o(net.socket, "x"), o(net.socket, net.AF_UNIX, net.SOCK_STREAM, 0, -1)]
    out += [o(net.socket, net.AF_UNIX, net.SOCK_STREAM, 0, 1.5), o(lambda: net.socket(fileno=9999))]
    out += [o(net.socket, 12345, net.SOCK_STREAM), o(net.socket, net.AF_UNIX, 999)]
    out += [o(net.socket, net.AF_UNIX, net.SOCK_STREAM, 7), o(net.socket, 2**40)]
    s = net.socket(net.AF_UNIX, net.SOCK_STREAM | net.SOCK_NONBLOCK | net.SOCK_CLOEXEC)
    out += [s.type, s.family, s.proto, s.gettimeout(), s.getblocking(), o(s.get_inheritable)]
    s.close()
    t = net.socket(net.AF_UNIX, net.SOCK_DGRAM)
    u = net.socket(fileno=net.dup(t.fileno()))
    out += [u.family, u.type, u.proto, o(repr, u).__class__.__name__]
    v = net.socket(net.AF_UNIX, net.SOCK_SEQPACKET, 0, net.dup(t.fileno()))  # the given type wins
    out += [v.type]
    for x in (t, u, v):
        x.close()
    return out


def case_timeout_arguments(net: Any) -> list[Any]:
    s = net.socket(net.AF_UNIX, net.SOCK_STREAM)
    out = [o(s.settimeout, -1), o(s.settimeout, "x"), o(s.settimeout, math.nan), o(s.settimeout, 2**70)]
    out += [o(s.setblocking, "x"), o(s.setblocking, 1.5), s.gettimeout(), s.getblocking()]
    s.settimeout(2)
    out += [s.gettimeout(), s.timeout, s.getblocking()]
    s.setblocking(False)
    out += [s.gettimeout(), s.getblocking()]
    s.setblocking(True)
    out += [s.gettimeout(), s.getblocking()]
    s.settimeout(0)
    out += [s.gettimeout(), s.getblocking(), o(s.recv, 1), o(s.accept)]
    out += [o(net.setdefaulttimeout, -1), net.getdefaulttimeout()]
    s.close()
    return out


def case_default_timeout(net: Any) -> list[Any]:
    net.setdefaulttimeout(0.5)
    try:
        a, b = net.socketpair()
        s = net.socket(net.AF_UNIX, net.SOCK_DGRAM)
        out = [a.gettimeout(), b.gettimeout(), s.gettimeout(), s.getblocking()]
        c = net.socket(net.AF_UNIX, net.SOCK_DGRAM | net.SOCK_NONBLOCK)
        out += [c.gettimeout()]
        d = a.dup()
        out += [d.gettimeout()]
        for x in (a, b, s, c, d):
            x.close()
    finally:
        net.setdefaulttimeout(None)
    return out


def case_closed_socket(net: Any) -> list[Any]:
    s = net.socket(net.AF_UNIX, net.SOCK_STREAM)
    s.close()
    out = [s.fileno(), o(s.recv, 1), o(s.recv, 0), o(s.getsockname), o(s.close), o(s.send, b"x")]
    out += [o(s.settimeout, 1), s.gettimeout(), o(s.setblocking, False), s.gettimeout()]
    out += [o(s.getsockopt, 1, 2), o(s.connect_ex, "/nonexistent"), o(s.dup), o(s.detach), repr(s)]
    out += [o(s.sendall, b"x"), o(s.shutdown, 0), o(s.listen), o(s.accept), o(s.bind, 5), o(s.bind, "/x")]
    out += [o(s.setsockopt, 1, 2, 1), o(s.recvmsg, 1), o(s.sendmsg, [b"x"]), o(s.get_inheritable)]
    out += [o(s.recvfrom, 1), o(s.getpeername), o(s.makefile), o(s.sendto, b"x", "/x")]
    return out


def case_closed_inet_socket(net: Any) -> list[Any]:
    i = net.socket(net.AF_INET, net.SOCK_DGRAM)
    i.close()
    out = [o(i.bind, ("no.such.host.invalid", 1)), o(i.bind, ("127.0.0.1", 70000)), repr(i)]
    out += [o(net.socketpair, net.AF_INET)]
    return out


def case_sockopt_arguments(net: Any) -> list[Any]:
    s = net.socket(net.AF_UNIX, net.SOCK_STREAM)
    SOL, RA = net.SOL_SOCKET, net.SO_REUSEADDR
    out = [o(s.setsockopt, SOL, RA, 2**40), o(s.setsockopt, SOL, RA, b"\1\0\0\0", 4), o(s.setsockopt, SOL, RA, "x")]
    out += [o(s.setsockopt, SOL, RA), o(s.setsockopt, SOL, RA, None, 4), o(s.setsockopt, SOL, RA, None, 0)]
    out += [o(s.setsockopt, SOL, RA, None, "x"), o(s.setsockopt, "x", RA, 1), o(s.setsockopt, SOL, RA, 1)]
    out += [o(s.getsockopt, SOL, RA), o(s.setsockopt, SOL, RA, b"\0\0\0\0"), o(s.getsockopt, SOL, RA)]
    out += [o(s.getsockopt, SOL, RA, -1), o(s.getsockopt, SOL, RA, 2000), o(s.getsockopt, SOL, RA, 1)]
    out += [o(s.getsockopt, SOL, RA, 8), o(s.getsockopt, SOL), o(s.getsockopt, SOL, "x"), o(s.getsockopt, SOL, 9999)]
    out += [o(s.getsockopt, SOL, net.SO_TYPE), o(s.getsockopt, SOL, net.SO_DOMAIN), o(s.getsockopt, SOL, net.SO_ERROR)]
    out += [o(s.getsockopt, SOL, net.SO_LINGER, 8), o(s.setsockopt, SOL, net.SO_RCVBUF, True)]
    s.close()
    return out


def case_shutdown_listen_arguments(net: Any) -> list[Any]:
    a, b = net.socketpair()
    out = [o(a.shutdown, "x"), o(a.shutdown, 5), o(a.listen, "x"), o(a.shutdown, net.SHUT_WR), o(b.recv, 1)]
    out += [o(b.send, b"back"), o(a.recv, 10), o(b.shutdown, net.SHUT_RDWR), o(a.recv, 10)]
    s = net.socket(net.AF_UNIX, net.SOCK_STREAM)
    out += [o(s.listen), o(s.listen, -5), o(s.listen, 2**40), o(s.getsockname)]
    for x in (a, b, s):
        x.close()
    return out


def case_unix_names(net: Any) -> list[Any]:
    p1, p2 = _path(), _path()
    abstract = b"\0slc-" + uuid.uuid4().hex.encode()
    srv = net.socket(net.AF_UNIX, net.SOCK_STREAM)
    out = [o(srv.getsockname), o(srv.bind, p1), srv.getsockname() == p1, o(srv.bind, p2), o(srv.listen, 3)]
    cli = net.socket(net.AF_UNIX, net.SOCK_STREAM)
    out += [o(cli.connect, p1), cli.getpeername() == p1, cli.getsockname()]
    conn, addr = srv.accept()
    out += [addr, conn.getsockname() == p1, conn.getpeername()]
    d1 = net.socket(net.AF_UNIX, net.SOCK_DGRAM)
    d1.bind(abstract)
    d2 = net.socket(net.AF_UNIX, net.SOCK_DGRAM)
    out += [d1.getsockname() == abstract, o(d2.sendto, b"one", abstract), o(d1.recvfrom, 10)]
    d2.bind("")  # autobind
    auto = d2.getsockname()
    out += [type(auto).__name__, len(auto), auto[:1]]
    out += [o(d2.sendto, b"two", abstract), d1.recvfrom(10)[1] == auto]
    out += [o(d2.sendmsg, [b"three"], [], 0, abstract), d1.recvmsg(10)[3] == auto]
    out += [o(cli.connect, "/nonexistent/x"), o(d2.sendto, b"x", "/nonexistent/x")]
    p3 = _path()
    out += [o(net.socket(net.AF_UNIX, net.SOCK_STREAM).connect, p3)]
    for x in (srv, cli, conn, d1, d2):
        x.close()
    net.unlink(p1)
    out += [str(o(net.unlink, p1)).replace(p1, "P1")]
    return out


def case_stream_errors(net: Any) -> list[Any]:
    a, b = net.socketpair()
    a.setblocking(False)
    out = [o(a.recv, 10), o(a.recvfrom, 10), o(a.recvmsg, 10), o(a.recv_into, bytearray(4))]
    a.settimeout(0.05)
    out += [o(a.recv, 10), o(a.recvmsg, 10)]
    b.send(b"data")
    out += [o(a.recv, 2), o(a.recvfrom, 10), o(b.send, b"x", net.MSG_DONTWAIT)]
    b.sendall(b"leftover")
    b.close()
    out += [o(a.recv, 1)]
    a.close()
    c, d = net.socketpair()
    d.close()
    out += [o(c.send, b"x"), o(c.recv, 1), o(c.sendall, b"x"), o(c.sendmsg, [b"x"])]
    c.close()
    return out


def case_full_buffer(net: Any) -> list[Any]:
    a, b = net.socketpair()
    a.setsockopt(net.SOL_SOCKET, net.SO_SNDBUF, 4096)
    a.settimeout(0.05)
    out = [o(a.sendall, b"x" * 10_000_000)]
    a.setblocking(False)
    out += [o(a.send, b"x" * 100000)]
    out += [o(a.connect_ex, "/nonexistent")]
    a.close()
    b.close()
    return out


def case_dgram_semantics(net: Any) -> list[Any]:
    a, b = net.socketpair(net.AF_UNIX, net.SOCK_DGRAM)
    out: list[Any] = []
    for flags in (0, net.MSG_TRUNC):
        a.send(b"hello")
        got = b.recv(2, flags)
        out.append((len(got), got[:2]))
        a.send(b"hello")
        buf = bytearray(2)
        out.append((b.recv_into(buf, 2, flags), bytes(buf)))
        a.send(b"hello")
        out.append(b.recvmsg(2, 0, flags))
        a.send(b"hello")
        n, anc, fl, addr = b.recvmsg_into([bytearray(1), bytearray(1)], 0, flags)
        out.append((n, anc, fl, addr))
    a.send(b"peek")
    out += [b.recv(10, net.MSG_PEEK), b.recvfrom(10), o(b.recv, 10, net.MSG_DONTWAIT)]
    out += [o(a.sendall, b"")]
    out += [b.recv(10)]
    a.close()
    b.close()
    return out


def case_recv_into_variants(net: Any) -> list[Any]:
    a, b = net.socketpair()
    a.sendall(b"0123456789")
    buf = bytearray(20)
    out: list[Any] = [b.recv_into(buf, 3), bytes(buf[:4])]
    out += [b.recv_into(memoryview(buf)[5:8]), bytes(buf[:10])]
    arr = array.array("i", [0, 0])
    out += [b.recv_into(arr), arr.tobytes()]
    a.sendall(b"abcdef")
    bufs = [bytearray(2), bytearray(10)]
    out += [b.recvmsg_into(bufs), [bytes(x) for x in bufs]]
    a.sendall(b"xyz")
    out += [b.recvfrom_into(bytearray(5)), b.recv_into(bytearray(0))]
    a.close()
    b.close()
    return out


def case_scm_rights(net: Any) -> list[Any]:
    a, b = net.socketpair(net.AF_UNIX, net.SOCK_DGRAM)
    x, y = net.socketpair()
    fds = array.array("i", [x.fileno(), y.fileno()])
    out: list[Any] = [a.sendmsg([b"fds"], [(net.SOL_SOCKET, net.SCM_RIGHTS, fds)])]
    data, anc, flags, addr = b.recvmsg(10, net.CMSG_SPACE(2 * fds.itemsize))
    out += [data, [(lvl, typ, len(d)) for lvl, typ, d in anc], flags, addr]
    got = array.array("i")
    got.frombytes(anc[0][2])
    rx = net.socket(fileno=got[0])
    ry = net.socket(fileno=got[1])
    out += [rx.family, rx.type, ry.proto]
    rx.sendall(b"via passed fd")
    out += [y.recv(100)]
    # truncated control buffer: MSG_CTRUNC, one fd kept
    a.sendmsg([b"two"], [(net.SOL_SOCKET, net.SCM_RIGHTS, fds)])
    data, anc, flags, addr = b.recvmsg(10, net.CMSG_LEN(fds.itemsize))
    out += [data, [(lvl, typ, len(d)) for lvl, typ, d in anc], flags & net.MSG_CTRUNC]
    for _, _, d in anc:
        for fd in array.array("i", d[: len(d) - len(d) % 4]):
            net.socket(fileno=fd).close()
    out += [o(net.send_fds, a, [b"sf"], [x.fileno()])]
    msg, rfds, fl, addr = net.recv_fds(b, 10, 4)
    out += [msg, len(rfds), fl, addr]
    for fd in rfds:
        net.socket(fileno=fd).close()
    out += [o(a.sendmsg, [b"bad"], [(net.SOL_SOCKET, net.SCM_RIGHTS, array.array("i", [9999]))])]
    for s in (a, b, x, y, rx, ry):
        s.close()
    return out


def case_makefile(net: Any) -> list[Any]:
    a, b = net.socketpair()
    out = [o(a.makefile, "x"), o(a.makefile, "r", 0)]
    w = a.makefile("wb")
    r = b.makefile("r", encoding="utf-8")
    raw = b.makefile("rb", 0)
    out += [type(w).__name__, type(r).__name__, type(raw).__name__, r.mode, w.name == a.fileno()]
    w.write(b"line one\nline two\n")
    w.flush()
    out += [r.readline(), r.readline()]
    a.close()  # the file still holds the socket open
    out += [a.fileno() == -1, o(w.write, b"more\n"), o(w.flush)]
    out += [r.readline()]
    w.close()  # now the descriptor closes: EOF
    out += [r.readline(), raw.readinto(bytearray(1))]
    r.close()
    raw.close()
    b.close()
    c, d = net.socketpair()
    d.settimeout(0.05)
    f = d.makefile("rb")
    out += [o(f.read, 1)]
    f.close()
    c.close()
    d.close()
    return out


def case_sendfile(net: Any) -> list[Any]:
    a, b = net.socketpair()
    f = io.BytesIO(b"0123456789" * 1000)
    out = [a.sendfile(f, 5, 100), f.tell()]
    out += [len(b.recv(1000))]
    out += [o(a.sendfile, io.StringIO("text")), o(a.sendfile, f, 0, -1), o(a.sendfile, f, 0, "x")]
    g, h = net.socketpair(net.AF_UNIX, net.SOCK_DGRAM)
    out += [o(g.sendfile, io.BytesIO(b"x"))]
    for s in (a, b, g, h):
        s.close()
    return out


def case_select(net: Any) -> list[Any]:
    a, b = net.socketpair()
    out = [norm(net.select([a, b], [a], [], 0))]
    a.send(b"x")
    out += [norm(net.select([a, b], [], [a, b], 0)), net.select([b.fileno()], [], [], 0.01) == ([b.fileno()], [], [])]
    out += [o(net.select, [-1], [], []), o(net.select, [object()], [], []), o(net.select, 5, [], [])]
    out += [o(net.select, [], [], [], -1), o(net.select, [], [], [], "x"), o(net.select, [], [], [], 0.01)]
    out += [o(net.select, [2000], [], [], 0)]
    b.close()
    out += [o(net.select, [a], [a], [a], 0)]
    dead = a.fileno()
    a.close()
    out += [o(net.select, [dead], [], [], 0)]
    return out


def case_dup_detach_context(net: Any) -> list[Any]:
    a, b = net.socketpair()
    c = a.dup()
    out = [c.family, c.type, c.gettimeout(), o(c.get_inheritable), o(c.set_inheritable, True), c.get_inheritable()]
    a.close()
    c.sendall(b"through dup")
    out += [b.recv(100)]
    fd = c.detach()
    out += [c.fileno(), fd >= 0, repr(c)[-30:]]
    d = net.socket(net.AF_UNIX, net.SOCK_STREAM, 0, fd)
    with d:
        d.sendall(b"!")
    out += [d.fileno(), b.recv(10), b.recv(10)]
    out += [o(pickle.dumps, b)]
    with b:
        pass
    out += [b.fileno()]
    return out


def case_inet_loopback(net: Any) -> list[Any]:
    srv = net.create_server(("127.0.0.1", 0))
    host, port = srv.getsockname()
    out = [host, srv.getsockopt(net.SOL_SOCKET, net.SO_REUSEADDR) != 0, srv.getsockopt(net.SOL_SOCKET, net.SO_ACCEPTCONN)]
    cli = net.create_connection((host, port), timeout=2)
    conn, addr = srv.accept()
    out += [addr == cli.getsockname(), cli.gettimeout(), conn.gettimeout()]
    cli.sendall(b"x" * 300_000)
    got = b""
    while len(got) < 300_000:
        got += conn.recv(1 << 16)
    out += [len(got)]
    cli.close()
    conn.close()
    srv.close()
    out += [o(net.create_connection, ("127.0.0.1", port), 1)]
    out += [o(net.create_connection, ("no.such.host.invalid", port))]
    out += [o(net.create_server, ("127.0.0.1", 70000))]
    u = net.socket(net.AF_INET, net.SOCK_DGRAM)
    u.bind(("127.0.0.1", 0))
    out += [o(u.connect_ex, ("127.0.0.1", 9)), o(u.sendto, b"x", ("<broadcast>", 9)), o(u.getpeername)[0]]
    u.close()
    s = net.socket()
    s.settimeout(0.5)
    out += [o(s.connect, ("127.0.0.1", port)), s.gettimeout()]
    s.close()
    return out


def case_arity(net: Any) -> list[Any]:
    s = net.socket(net.AF_UNIX, net.SOCK_DGRAM)
    calls: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = [
        ("shutdown", (2**40,), {}), ("shutdown", (), {}), ("recv", (), {}), ("recv", (1, 2, 3), {}),
        ("recv", (), {"bufsize": 1}), ("recvfrom", (), {}), ("recvmsg", (), {}), ("recvmsg", (1, 2, 3, 4), {}),
        ("recv_into", (), {}), ("recv_into", (bytearray(1), 1, 0, 5), {}),
        ("recv_into", (), {"buffer": bytearray(1), "nbytes": 2**70}), ("recv_into", (bytearray(1),), {"buffer": 1}),
        ("recv_into", (), {"buf": 1}), ("send", (), {}), ("send", (b"x", 2**40), {}), ("send", (b"x", 0, 0), {}),
        ("sendall", (), {}), ("sendmsg", (), {}), ("sendmsg", ([b"x"], [], 0, None, 5), {}),
        ("sendmsg", ([b"x"], [], 2**40), {}), ("listen", (1, 2), {}), ("fileno", (1,), {}), ("close", (1,), {}),
        ("getsockname", (1,), {}), ("bind", (), {}), ("bind", (1, 2), {}), ("connect", (), {}),
        ("settimeout", (), {}), ("setblocking", (), {}), ("accept", (1,), {}), ("getsockopt", (1, 2, 3, 4), {}),
        ("getsockopt", (1, 2**40), {}), ("setsockopt", (1, 2**40, 1), {}), ("detach", (1,), {}), ("dup", (1,), {}),
        ("gettimeout", (1,), {}), ("set_inheritable", (), {}), ("makefile", ("r", 0, 0), {}),
        ("recvfrom_into", (), {}), ("sendto", (b"x", 2**40, "/x"), {}), ("connect_ex", (), {}),
        ("getblocking", (), {"x": 1}), ("bind", (), {"address": "/x"}),
    ]
    out = [o(getattr(s, name), *args, **kwargs) for name, args, kwargs in calls]
    out += [o(net.socket, 1, 2, 3, 4, 5), o(lambda: net.socket(family=1, foo=2)), o(net.socketpair, 2**40)]
    s.close()
    return out


def case_names(net: Any) -> list[Any]:
    out = [o(net.getaddrinfo, "127.0.0.1", 80), o(net.getaddrinfo, "127.0.0.1", "80", net.AF_INET, net.SOCK_DGRAM)]
    out += [o(net.getaddrinfo, "no.such.host.invalid", 80), o(net.gethostbyname, "127.0.0.1")]
    out += [o(net.getnameinfo, ("127.0.0.1", 80), net.NI_NUMERICHOST | net.NI_NUMERICSERV)]
    out += [net.inet_aton("1.2.3.4"), net.inet_ntoa(b"\1\2\3\4"), net.htons(1), net.ntohl(1)]
    out += [net.inet_pton(net.AF_INET6, "::1"), net.CMSG_LEN(4), net.CMSG_SPACE(4)]
    out += [net.AF_UNIX, net.SOCK_DGRAM, net.SOMAXCONN, net.MSG_PEEK, net.SCM_RIGHTS, net.SO_PEERCRED]
    out += [net.error is OSError, net.timeout is TimeoutError, issubclass(net.gaierror, OSError)]
    return out


def case_repr(net: Any) -> list[Any]:
    a, b = net.socketpair()
    p = _path()
    s = net.socket(net.AF_UNIX, net.SOCK_DGRAM)
    s.bind(p)
    out = [re.sub("fd=[0-9]+", "fd=N", repr(x)).replace(p, "P") for x in (a, s)]
    a.close()
    out += [repr(a)]
    b.close()
    s.close()
    net.unlink(p)
    return out


CASES = {name[len("case_"):]: fn for name, fn in sorted(globals().items()) if name.startswith("case_")}


def same_module(value: Any) -> Any:
    """The reprs name the class's module: socket.socket here, client.socket there."""
    if isinstance(value, str):
        return value.replace("<socket.socket", "<client.socket")
    if isinstance(value, (tuple, list)):
        return type(value)(same_module(v) for v in value)
    return value


@pytest.mark.parametrize("name", sorted(CASES))
def test_client_matches_cpython(name: str) -> None:
    want = CASES[name](StdNet())
    net = client.Net(cast(Any, HostTransport()))
    try:
        got = CASES[name](net)
    finally:
        net.close()
    assert got == same_module(want)


def test_interrupted_blocking_call_raises_and_socket_stays_usable() -> None:
    net = client.Net(cast(Any, HostTransport()))

    class Alarm(Exception):
        pass

    def ring(signum: int, frame: Any) -> None:
        raise Alarm()

    previous = signal.signal(signal.SIGALRM, ring)
    try:
        a, b = net.socketpair()
        signal.setitimer(signal.ITIMER_REAL, 0.05)
        with pytest.raises(Alarm):
            b.recv(10)
        a.sendall(b"after")
        assert b.recv(10) == b"after"
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        net.close()


LOCAL_SKIP = {"inet_loopback": "AF_INET is not emulated yet", "closed_inet_socket": "AF_INET is not emulated yet"}


@pytest.mark.parametrize("name", sorted(CASES))
def test_local_kernel_matches_cpython(name: str) -> None:
    """The same cases through client.local(): the emulated kernel against Linux."""
    if name in LOCAL_SKIP:
        pytest.skip(LOCAL_SKIP[name])
    from client_backends import make_net

    want = CASES[name](StdNet())
    net = make_net("local")
    try:
        got = CASES[name](net)
    finally:
        net.close()
    assert got == same_module(want)
