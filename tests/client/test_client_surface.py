"""The client's surface on both kernels: Linux (through HostTransport) and client.local()."""
from __future__ import annotations

import array
import errno
import gc
import signal
import threading
import time
from typing import Any

import pytest
from client_backends import another_process, make_net

import client


def test_socketpair_round_trips(net: Any) -> None:
    for kind in (net.SOCK_STREAM, net.SOCK_DGRAM, net.SOCK_SEQPACKET):
        a, b = net.socketpair(net.AF_UNIX, kind)
        with a, b:
            assert isinstance(a, net.socket) and isinstance(a, client.Socket)
            assert a.family == net.AF_UNIX and a.type == kind and a.proto == 0
            a.sendall(b"ping")
            assert b.recv(100) == b"ping"
            b.send(b"pong")
            assert a.recv(100) == b"pong"
        assert a.fileno() == -1 and b.fileno() == -1


def test_exceptions_by_class(net: Any, path: str) -> None:
    a, b = net.socketpair()
    b.close()
    with pytest.raises(BrokenPipeError) as info:
        a.send(b"x")
    assert info.value.errno == errno.EPIPE and info.value.strerror == "Broken pipe"
    a.close()
    with pytest.raises(OSError) as bad:
        a.recv(1)
    assert bad.value.errno == errno.EBADF

    c, d = net.socketpair()
    c.setblocking(False)
    with pytest.raises(BlockingIOError) as would:
        c.recv(1)
    assert would.value.errno == errno.EAGAIN
    d.sendall(b"unread")
    c.close()  # closed with unread data: the peer's next read is ECONNRESET
    with pytest.raises(ConnectionResetError):
        d.recv(1)
    d.close()

    s = net.socket(net.AF_UNIX, net.SOCK_STREAM)
    with pytest.raises(FileNotFoundError):
        s.connect(path)
    dead = net.socket(net.AF_UNIX, net.SOCK_STREAM)
    dead.bind(path)  # a name with no listener
    with pytest.raises(ConnectionRefusedError):
        s.connect(path)
    assert s.connect_ex(path) == errno.ECONNREFUSED
    s.close()
    dead.close()


# A timed-out call returns after its timeout and well before "never": the floor is
# strict, the ceiling leaves room for a loaded machine (2 cores shared by a whole
# test run and more: even the linux backend took 0.38 s for a 0.05 s sendall).
TIMEOUT = 0.05
CEILING = TIMEOUT + 1.0


def test_timeouts_raise_timeouterror_in_time(net: Any, path: str) -> None:
    a, b = net.socketpair()
    b.settimeout(TIMEOUT)
    for call in (lambda: b.recv(1), lambda: b.recvfrom(1), lambda: b.recvmsg(1), lambda: b.recv_into(bytearray(1))):
        start = time.monotonic()
        with pytest.raises(TimeoutError) as info:
            call()
        assert info.value.errno is None and str(info.value) == "timed out"
        assert 0.03 <= time.monotonic() - start <= CEILING
    assert isinstance(info.value, net.timeout)
    srv = net.socket(net.AF_UNIX, net.SOCK_STREAM)
    srv.bind(path)
    srv.listen()
    srv.settimeout(TIMEOUT)
    start = time.monotonic()
    with pytest.raises(TimeoutError):
        srv.accept()
    assert 0.03 <= time.monotonic() - start <= CEILING
    a.setsockopt(net.SOL_SOCKET, net.SO_SNDBUF, 4096)
    a.settimeout(TIMEOUT)
    start = time.monotonic()
    with pytest.raises(TimeoutError):
        a.sendall(b"x" * 5_000_000)
    assert 0.03 <= time.monotonic() - start <= CEILING
    for s in (a, b, srv):
        s.close()


def test_timeout_then_data_from_another_thread(net: Any) -> None:
    a, b = net.socketpair()
    b.settimeout(2)
    threading.Timer(0.05, a.sendall, (b"late",)).start()
    assert b.recv(10) == b"late"
    a.close()
    b.close()


def test_blocking_recv_woken_by_another_thread(net: Any) -> None:
    a, b = net.socketpair()
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(b.recv(10)))
    reader.start()
    time.sleep(0.05)
    a.sendall(b"wake")
    reader.join(2)
    assert got == [b"wake"]
    a.close()
    b.close()


def test_accept_and_names(net: Any, path: str) -> None:
    srv = net.socket(net.AF_UNIX, net.SOCK_STREAM)
    srv.bind(path)
    srv.listen()
    assert srv.getsockname() == path
    cli = net.socket(net.AF_UNIX, net.SOCK_STREAM)
    cli.connect(path)
    conn, addr = srv.accept()
    assert addr == "" and conn.getsockname() == path and cli.getpeername() == path
    assert conn.family == net.AF_UNIX and conn.type == net.SOCK_STREAM and conn.gettimeout() is None
    assert f"laddr={path}" in repr(conn)
    conn.sendall(b"hi")
    assert cli.recv(2) == b"hi"
    for s in (srv, cli, conn):
        s.close()
    net.unlink(path)
    with pytest.raises(FileNotFoundError):
        net.unlink(path)


def test_makefile_round_trip(net: Any) -> None:
    a, b = net.socketpair()
    with a.makefile("w", encoding="utf-8") as w, b.makefile("r", encoding="utf-8") as r:
        w.write("héllo\nworld\n")
        w.flush()
        assert r.readline() == "héllo\n"
        assert r.readline() == "world\n"
    a.close()
    b.close()


def test_scm_rights_passes_a_working_socket(net: Any) -> None:
    a, b = net.socketpair()
    x, y = net.socketpair()
    a.sendmsg([b"!"], [(net.SOL_SOCKET, net.SCM_RIGHTS, array.array("i", [x.fileno()]))])
    msg, fds, flags, _ = net.recv_fds(b, 10, 4)
    assert msg == b"!" and len(fds) == 1 and fds[0] != x.fileno() and flags == 0
    passed = net.socket(fileno=fds[0])
    assert (passed.family, passed.type) == (net.AF_UNIX, net.SOCK_STREAM)
    x.close()  # the passed descriptor keeps the socket open
    passed.sendall(b"still here")
    assert y.recv(100) == b"still here"
    for s in (a, b, y, passed):
        s.close()


def test_scm_rights_between_two_processes() -> None:
    one = make_net("local")
    two = client.local(same_host_as=one)
    try:
        name = b"\0slc-two-processes"
        rx = two.socket(two.AF_UNIX, two.SOCK_DGRAM)
        rx.bind(name)
        tx = one.socket(one.AF_UNIX, one.SOCK_DGRAM)
        p, q = one.socketpair()
        tx.sendmsg([b"take"], [(one.SOL_SOCKET, one.SCM_RIGHTS, array.array("i", [p.fileno()]))], 0, name)
        msg, fds, _, _ = two.recv_fds(rx, 10, 1)
        assert msg == b"take"
        theirs = two.socket(fileno=fds[0])
        theirs.sendall(b"cross")
        assert q.recv(10) == b"cross"
        two.close()  # the process exits: its descriptors close
        p.close()
        assert q.recv(10) == b""
    finally:
        one.close()
        two.close()


def test_finalized_socket_is_closed_at_the_next_call(net: Any) -> None:
    a, b = net.socketpair()
    with pytest.warns(ResourceWarning):  # noqa: PT031  (the warning comes from the finalizer)
        del a
        gc.collect()
    assert b.recv(10) == b""
    b.close()


def test_process_exit_closes_everything(net: Any, path: str) -> None:
    srv = net.socket(net.AF_UNIX, net.SOCK_STREAM)
    srv.bind(path)
    srv.listen()
    other = another_process(net)
    cli = other.socket(other.AF_UNIX, other.SOCK_STREAM)
    cli.connect(path)
    conn, _ = srv.accept()
    other.close()
    assert conn.recv(10) == b""
    assert other.closed
    with pytest.raises(OSError):
        other.socket(other.AF_UNIX, other.SOCK_STREAM)
    cli.close()  # harmless after the process exited
    conn.close()
    srv.close()


def test_select_and_poll(net: Any) -> None:
    a, b = net.socketpair()
    assert net.select([a, b], [], [], 0) == ([], [], [])
    threading.Timer(0.05, a.send, (b"x",)).start()
    start = time.monotonic()
    assert net.select([a, b], [], [], 2) == ([b], [], [])
    assert time.monotonic() - start < 1
    assert net.select([], [a.fileno()], [], 0) == ([], [a.fileno()], [])
    p = net.poll()
    p.register(b, net.POLLIN if hasattr(net, "POLLIN") else 1)
    p.register(a.fileno(), 4)
    assert sorted(p.poll(0)) == sorted([(b.fileno(), 1), (a.fileno(), 4)])
    p.unregister(a)
    assert p.poll(10) == [(b.fileno(), 1)]
    a.close()
    b.close()


def test_interrupted_call_has_no_side_effect(net: Any) -> None:
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
        signal.setitimer(signal.ITIMER_REAL, 0)
        a.sendall(b"kept")
        assert b.recv(10) == b"kept"
        a.close()
        b.close()
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def test_large_sendall_with_a_reader_thread(net: Any) -> None:
    a, b = net.socketpair()
    size = 3 * (1 << 20) + 17
    got = bytearray()

    def reader() -> None:
        while len(got) < size:
            chunk = b.recv(1 << 20)
            if not chunk:
                break
            got.extend(chunk)

    t = threading.Thread(target=reader)
    t.start()
    payload = bytes(range(256)) * (size // 256) + b"x" * (size % 256)
    a.sendall(payload)
    t.join(10)
    assert bytes(got) == payload
    a.close()
    b.close()


def test_net_context_manager_and_constants() -> None:
    with make_net("local") as net:
        assert net.AF_UNIX == 1 and net.SOCK_SEQPACKET == 5 and net.SOMAXCONN == 4096
        assert net.SocketType is net.socket
        s = net.socket(net.AF_UNIX)
        assert s.type == net.SOCK_STREAM
    assert net.closed
