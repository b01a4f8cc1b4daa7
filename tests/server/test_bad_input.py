"""Bad input, case by case (issue #7): each malformed or hostile field of a request gets the
errno Linux gives (checked here against the host kernel through ctypes where the call can be
made the same way), or INVALID_ARGUMENT when the message itself is malformed; never
UNKNOWN/INTERNAL.  tests/server/test_bad_input_fuzz.py throws random requests at every RPC.
"""
from __future__ import annotations

import ctypes
import math
import socket
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import grpc
import pytest
from google.protobuf.message import Message

import client
from client._gen.socketlab.v1 import socketcall_pb2 as sc
from client._gen.socketlab.v1 import socketcall_pb2_grpc as sc_grpc
from client._gen.socketlab.v1 import types_pb2 as t
from kernel.syscalls import BadRequest

WAIT = 10.0
MSG_DONTWAIT = 0x40
EINVAL, EBADF, EAFNOSUPPORT, EOPNOTSUPP, EAGAIN, EDOM, ENAMETOOLONG = 22, 9, 97, 95, 11, 33, 36

libc = ctypes.CDLL(None, use_errno=True)


def host(ret: int) -> int:
    """A libc return value -> ret or -errno (the host kernel's answer)."""
    return ret if ret >= 0 else -ctypes.get_errno()


class Emulated:
    """A process on the shared daemon, its typed stub, and a connected stream pair with data."""

    def __init__(self, target: str) -> None:
        self.net = client.connect(target)
        self.handle: str = self.net._transport.handle  # type: ignore[attr-defined]
        self.channel = grpc.insecure_channel(target)
        self.stub = sc_grpc.SocketCallStub(self.channel)

    def ret(self, reply: Any) -> int:
        if not isinstance(reply, Message):
            reply = list(reply)[-1]
        return int(reply.result.ret)

    def close(self) -> None:
        self.net.close()
        self.channel.close()


@pytest.fixture
def emu(daemon: str) -> Iterator[Emulated]:
    e = Emulated(daemon)
    yield e
    e.close()


@pytest.mark.parametrize("length", [2**31, 2**32 - 1, 2**31 + 5])
def test_socklen_at_or_above_2_31_is_negative_to_the_kernel(emu: Emulated, length: int) -> None:
    """socklen_t values >= 2^31 are a negative int to Linux: EINVAL (move_addr_to_user, sock_getsockopt)."""
    a, b = emu.net.socketpair()
    h, s = emu.handle, emu.stub
    la, lb = socket.socketpair()
    buf = ctypes.create_string_buffer(256)
    n = ctypes.c_uint32(length)
    want = host(libc.getsockopt(la.fileno(), socket.SOL_SOCKET, socket.SO_SNDBUF, buf, ctypes.byref(n)))
    got = emu.ret(s.GetSockOpt(sc.GetSockOptRequest(process=h, fd=a.fileno(), level=1, optname=7, optlen=length),
                               timeout=WAIT))
    assert got == want == -EINVAL
    n = ctypes.c_uint32(length)
    want = host(libc.getsockname(la.fileno(), buf, ctypes.byref(n)))
    got = emu.ret(s.GetSockName(sc.GetSockNameRequest(process=h, fd=a.fileno(), addrlen=length), timeout=WAIT))
    assert got == want == -EINVAL
    n = ctypes.c_uint32(length)
    want = host(libc.getpeername(la.fileno(), buf, ctypes.byref(n)))
    got = emu.ret(s.GetPeerName(sc.GetPeerNameRequest(process=h, fd=a.fileno(), addrlen=length), timeout=WAIT))
    assert got == want == -EINVAL
    # recvfrom: Linux receives first, then refuses the address length: the data is gone
    a.send(b"abc")
    lb.send(b"abc")
    n = ctypes.c_uint32(length)
    want = host(libc.recvfrom(la.fileno(), buf, 2, MSG_DONTWAIT, buf, ctypes.byref(n)))
    got = emu.ret(s.RecvFrom(sc.RecvFromRequest(process=h, fd=b.fileno(), size=2, flags=MSG_DONTWAIT,
                                                addrlen=length), timeout=WAIT))
    assert got == want == -EINVAL
    assert b.recv(10) == la.recv(10) == b"c"
    la.close(), lb.close()


def test_accept_with_a_negative_addrlen(emu: Emulated) -> None:
    """Linux accepts, then refuses the address length: the connection is closed (the peer sees EOF);
    on a socket that cannot accept, EOPNOTSUPP comes first."""
    h, s = emu.handle, emu.stub
    dgram = emu.net.socket(emu.net.AF_UNIX, emu.net.SOCK_DGRAM)
    got = emu.ret(s.Accept(sc.AcceptRequest(process=h, fd=dgram.fileno(), addrlen=2**31), timeout=WAIT))
    assert got == -EOPNOTSUPP
    name = "\0socketlab-bad-" + uuid.uuid4().hex
    srv = emu.net.socket(emu.net.AF_UNIX, emu.net.SOCK_STREAM)
    srv.bind(name)
    srv.listen()
    cli = emu.net.socket(emu.net.AF_UNIX, emu.net.SOCK_STREAM)
    cli.connect(name)
    got = emu.ret(s.Accept(sc.AcceptRequest(process=h, fd=srv.fileno(), addrlen=2**32 - 1), timeout=WAIT))
    assert got == -EINVAL
    assert cli.recv(10) == b""  # the accepted connection was closed
    srv.setblocking(False)
    with pytest.raises(BlockingIOError):
        srv.accept()  # and taken off the queue


def _cases(emu: Emulated) -> list[tuple[str, Callable[[], Any], int]]:
    h, s, n = emu.handle, emu.stub, emu.net
    a, _ = n.socketpair()
    u = n.socket(n.AF_UNIX, n.SOCK_DGRAM)
    i = n.socket(n.AF_INET, n.SOCK_DGRAM)
    fd = a.fileno()
    W = WAIT
    return [
        # out-of-range fds
        ("close fd -1", lambda: s.Close(sc.CloseRequest(process=h, fd=-1), timeout=W), -EBADF),
        ("close fd INT32_MAX", lambda: s.Close(sc.CloseRequest(process=h, fd=2**31 - 1), timeout=W), -EBADF),
        ("invoke send fd 2^40", lambda: s.Invoke(sc.InvokeRequest(process=h, call=9, args=[  # type: ignore[arg-type]
            t.SocketCallArg(number=2**40), t.SocketCallArg(buffer=b"x"), t.SocketCallArg(number=0)]), timeout=W),
         -EBADF),
        ("invoke send fd -2^63", lambda: s.Invoke(sc.InvokeRequest(process=h, call=9, args=[  # type: ignore[arg-type]
            t.SocketCallArg(number=-(2**63)), t.SocketCallArg(buffer=b"x"), t.SocketCallArg(number=0)]), timeout=W),
         -EBADF),
        # unknown families, types, flag bits, enum values
        ("socket family -1", lambda: s.Socket(sc.SocketRequest(process=h, family=-1, type=1), timeout=W),
         -EAFNOSUPPORT),
        ("socket family INT32_MAX", lambda: s.Socket(sc.SocketRequest(process=h, family=2**31 - 1, type=1),
                                                     timeout=W), -EAFNOSUPPORT),
        ("socket type with unknown flag bits", lambda: s.Socket(sc.SocketRequest(process=h, family=1,
                                                                                 type=1 | 0x40000000), timeout=W),
         -EINVAL),
        ("invoke call INT32_MAX", lambda: s.Invoke(sc.InvokeRequest(process=h, call=2**31 - 1),  # type: ignore[arg-type]
                                                    timeout=W), -EINVAL),
        ("shutdown how 7", lambda: s.Shutdown(sc.ShutdownRequest(process=h, fd=fd, how=7), timeout=W), -EINVAL),
        ("shutdown how -1", lambda: s.Shutdown(sc.ShutdownRequest(process=h, fd=fd, how=-1), timeout=W), -EINVAL),
        ("fcntl cmd -1", lambda: s.Fcntl(sc.FcntlRequest(process=h, fd=fd, cmd=-1), timeout=W), -EINVAL),
        ("fcntl F_SETFL every bit", lambda: s.Fcntl(sc.FcntlRequest(process=h, fd=fd, cmd=4, arg=-1), timeout=W),
         -EINVAL),
        ("fcntl F_DUPFD 2^63-1", lambda: s.Fcntl(sc.FcntlRequest(process=h, fd=fd, cmd=0, arg=2**63 - 1),
                                                  timeout=W), -EINVAL),
        ("epoll_create1 unknown flags", lambda: s.EpollCreate(sc.EpollCreateRequest(process=h, flags=-1), timeout=W),
         -EINVAL),
        ("accept4 unknown flags", lambda: s.Accept4(sc.Accept4Request(process=h, fd=fd, flags=1), timeout=W),
         -EINVAL),
        # wrong and truncated addresses
        ("bind AF_UNIX, 1-byte sockaddr", lambda: s.Bind(sc.BindRequest(
            process=h, fd=u.fileno(), address=t.SockAddr(raw=b"\x01")), timeout=W), -EINVAL),
        ("bind AF_INET address on AF_UNIX", lambda: s.Bind(sc.BindRequest(
            process=h, fd=u.fileno(), address=t.SockAddr(inet=t.InetAddress(address="127.0.0.1", port=1))),
            timeout=W), -EINVAL),
        ("bind AF_INET, truncated sockaddr_in", lambda: s.Bind(sc.BindRequest(
            process=h, fd=i.fileno(), address=t.SockAddr(raw=b"\x02\x00\x00\x01\x7f")), timeout=W), -EINVAL),
        ("bind AF_INET, family 0xffff", lambda: s.Bind(sc.BindRequest(
            process=h, fd=i.fileno(), address=t.SockAddr(raw=b"\xff\xff" + bytes(14))), timeout=W), -EAFNOSUPPORT),
        ("bind AF_UNIX, sockaddr longer than sockaddr_un", lambda: s.Bind(sc.BindRequest(
            process=h, fd=u.fileno(), address=t.SockAddr(raw=b"\x01\x00" + b"a" * 300)), timeout=W), -EINVAL),
        ("connect AF_INET6 address on AF_INET", lambda: s.Connect(sc.ConnectRequest(
            process=h, fd=i.fileno(), address=t.SockAddr(inet6=t.Inet6Address(address="::1", port=1))),
            timeout=W), -EAFNOSUPPORT),
        ("unlink a path longer than PATH_MAX", lambda: s.Unlink(sc.UnlinkRequest(process=h, path=b"/" + b"a" * 5000),
                                                                 timeout=W), -ENAMETOOLONG),
        # huge lengths and counts
        ("poll with more fds than RLIMIT_NOFILE", lambda: s.Poll(sc.PollRequest(
            process=h, fds=[t.PollFd(fd=fd, events=1)] * 5000, timeout_ms=0), timeout=W), -EINVAL),
        ("sendmsg with more than UIO_MAXIOV iovecs", lambda: s.SendMsg(sc.SendMsgRequest(
            process=h, fd=fd, flags=MSG_DONTWAIT, message=t.SendMsgHeader(iov=[b""] * 2000)), timeout=W), -90),
        ("recvmsg with a 2^31 namelen", lambda: s.RecvMsg(sc.RecvMsgRequest(
            process=h, fd=fd, flags=MSG_DONTWAIT, message=t.RecvMsgHeader(size=1, addrlen=2**31)), timeout=W),
         -EINVAL),
        ("recvmmsg with a negative timeout", lambda: s.RecvMMsg(sc.RecvMMsgRequest(
            process=h, fd=fd, messages=[t.RecvMsgHeader(size=1)], timeout_ns=-1), timeout=W), -EINVAL),
        ("epoll_wait maxevents 0", lambda: s.EpollWait(sc.EpollWaitRequest(process=h, epfd=fd, maxevents=0),
                                                        timeout=W), -EINVAL),
        ("SO_RCVTIMEO with a 3-byte timeval", lambda: s.SetSockOpt(sc.SetSockOptRequest(
            process=h, fd=fd, level=1, optname=20, raw=b"abc"), timeout=W), -EINVAL),
        ("SO_RCVTIMEO with tv_usec -1", lambda: s.SetSockOpt(sc.SetSockOptRequest(
            process=h, fd=fd, level=1, optname=20, raw=(5).to_bytes(8, "little") + (2**64 - 1).to_bytes(8, "little")),
            timeout=W), -EDOM),
        ("cmsg with a length past the buffer", lambda: s.SendMsg(sc.SendMsgRequest(
            process=h, fd=fd, message=t.SendMsgHeader(iov=[b"x"], control=t.Control(raw=b"\xff" * 16 + b"\x01" * 8))),
            timeout=W), -EINVAL),
        ("SCM_RIGHTS carrying fd -1", lambda: s.SendMsg(sc.SendMsgRequest(
            process=h, fd=fd, message=t.SendMsgHeader(iov=[b"x"], control=t.Control(
                messages=[t.ControlMessage(level=1, type=1, data=b"\xff\xff\xff\xff")]))), timeout=W), -EBADF),
    ]


def test_hostile_fields_get_linux_errnos(emu: Emulated) -> None:
    wrong = []
    for name, call, want in _cases(emu):
        got = emu.ret(call())
        if got != want:
            wrong.append((name, got, want))
    assert wrong == []


def test_the_host_kernel_agrees_on_what_it_can_check() -> None:
    """The expectations above that the stdlib/ctypes can ask the host kernel directly."""
    a, _ = socket.socketpair()
    u = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    i = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    libc.fcntl.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_long]
    assert host(libc.close(-1)) == -EBADF
    assert host(libc.socket(-1, 1, 0)) == -EAFNOSUPPORT
    assert host(libc.socket(1, 1 | 0x40000000, 0)) == -EINVAL
    assert host(libc.shutdown(a.fileno(), 7)) == -EINVAL
    assert host(libc.fcntl(a.fileno(), -1, 0)) == -EINVAL
    assert host(libc.fcntl(a.fileno(), 4, -1)) == -EINVAL
    assert host(libc.fcntl(a.fileno(), 0, 2**63 - 1)) == -EINVAL
    assert host(libc.epoll_create1(-1)) == -EINVAL
    assert host(libc.bind(u.fileno(), b"\x01", 1)) == -EINVAL
    sin = b"\x02\x00\x00\x01\x7f\x00\x00\x01" + bytes(8)
    assert host(libc.bind(u.fileno(), sin, 16)) == -EINVAL
    assert host(libc.bind(i.fileno(), sin[:5], 5)) == -EINVAL
    assert host(libc.bind(i.fileno(), b"\xff\xff" + bytes(14), 16)) == -EAFNOSUPPORT
    assert host(libc.bind(u.fileno(), b"\x01\x00" + b"a" * 300, 302)) == -EINVAL
    sin6 = b"\x0a\x00\x00\x01" + bytes(4) + bytes(15) + b"\x01" + bytes(4)
    assert host(libc.connect(i.fileno(), sin6, 28)) == -EAFNOSUPPORT
    assert host(libc.unlink(b"/" + b"a" * 5000)) == -ENAMETOOLONG
    for s in (a, u, i):
        s.close()


@pytest.mark.parametrize("value", [math.nan, -1.0, -math.inf, math.inf])
def test_a_timeout_that_is_not_a_duration_is_invalid_argument(emu: Emulated, value: float) -> None:
    """CPython's settimeout refuses NaN, negative and infinite timeouts: a malformed request."""
    _, b = emu.net.socketpair()
    with pytest.raises(grpc.RpcError) as info:
        emu.ret(emu.stub.Recv(sc.RecvRequest(process=emu.handle, fd=b.fileno(), size=1, timeout=value), timeout=WAIT))
    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    with pytest.raises(BadRequest, match="timeout"):  # the session channel: a CallError INVALID_ARGUMENT
        emu.net._transport.call("recv", {"fd": b.fileno(), "size": 1, "flags": 0}, value)  # type: ignore[attr-defined]


@pytest.mark.parametrize("case", [
    ("port above 65535", t.SockAddr(inet=t.InetAddress(address="127.0.0.1", port=70000))),
    ("not a numeric address", t.SockAddr(inet=t.InetAddress(address="999.1.1.1", port=1))),
    ("not a numeric IPv6 address", t.SockAddr(inet6=t.Inet6Address(address="::zz", port=1))),
], ids=lambda c: c[0])
def test_structured_addresses_that_cannot_be_encoded_are_invalid_argument(emu: Emulated, case: Any) -> None:
    i = emu.net.socket(emu.net.AF_INET, emu.net.SOCK_DGRAM)
    with pytest.raises(grpc.RpcError) as info:
        emu.ret(emu.stub.SendTo(sc.SendToRequest(process=emu.handle, fd=i.fileno(), data=b"x", address=case[1]),
                                timeout=WAIT))
    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT


def test_recv_with_a_4_gib_buffer_returns_what_is_there(emu: Emulated) -> None:
    """size is a size_t: a huge one is fine (Linux clamps to MAX_RW_COUNT) and allocates nothing."""
    a, b = emu.net.socketpair()
    a.send(b"hello")
    reply = list(emu.stub.Recv(sc.RecvRequest(process=emu.handle, fd=b.fileno(), size=2**32 - 1,
                                              flags=MSG_DONTWAIT), timeout=WAIT))[-1]
    assert (reply.result.ret, reply.data) == (5, b"hello")
