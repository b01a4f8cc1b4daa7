"""The daemon built in the test's own event loop (server.app.build), driven by grpc.aio.

These tests look inside the daemon after the fact: the process table and the
host are empty once sessions end, however they end.  Waits are bounded
(asyncio.timeout), never sleeps.
"""
from __future__ import annotations

import asyncio
import struct
from collections.abc import AsyncIterator
from typing import Any, cast

import grpc
import pytest
import pytest_asyncio

from client._gen.socketlab.v1 import process_pb2 as pb
from client._gen.socketlab.v1 import process_pb2_grpc as pb_grpc
from client._gen.socketlab.v1 import socketcall_pb2 as sc
from client._gen.socketlab.v1 import socketcall_pb2_grpc as sc_grpc
from client._gen.socketlab.v1 import types_pb2 as t
from server.app import Daemon, build

pytestmark = pytest.mark.asyncio(loop_scope="module")

AF_UNIX, SOCK_STREAM, SOCK_DGRAM = 1, 1, 2
F_SETFL, F_SETOWN, O_ASYNC = 4, 8, 0o20000
EPOLL_CTL_ADD, EPOLLIN, EPOLLET = 1, 0x1, 1 << 31
POLLIN, POLLOUT = 0x1, 0x4
SOL_SOCKET, SCM_RIGHTS = 1, 1
WAIT = 10.0


def number(call: int) -> Any:
    """A socketcall number for InvokeRequest.call (an open enum: any int goes)."""
    return cast(Any, call)


class AioSession:
    """A Process/Session stream on grpc.aio."""

    def __init__(self, channel: grpc.aio.Channel) -> None:
        self.call: Any = pb_grpc.ProcessStub(channel).Session()
        self.handle = ""
        self.pid = 0

    async def open(self) -> AioSession:
        await self.call.write(pb.SessionRequest(open=pb.OpenProcess()))
        opened = await self.recv()
        self.handle, self.pid = opened.opened.process, opened.opened.pid
        return self

    async def recv(self) -> pb.SessionResponse:
        async with asyncio.timeout(WAIT):
            msg = await self.call.read()
        assert msg is not grpc.aio.EOF  # type: ignore[attr-defined]
        return msg  # type: ignore[no-any-return]

    async def ask(self, rid: int, **kind: Any) -> pb.SessionResponse:
        await self.call.write(pb.SessionRequest(id=rid, **kind))
        return await self.recv()


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def daemon_inproc() -> AsyncIterator[Daemon]:
    d = build("127.0.0.1:0")
    await d.start()
    yield d
    await d.stop(grace=None)


@pytest_asyncio.fixture(loop_scope="module")
async def channel(daemon_inproc: Daemon) -> AsyncIterator[grpc.aio.Channel]:
    async with grpc.aio.insecure_channel(f"127.0.0.1:{daemon_inproc.port}") as ch:
        yield ch


async def until(predicate: Any) -> None:
    """Wait (bounded) for a condition of the daemon's state, yielding to its loop."""
    async with asyncio.timeout(WAIT):
        while not predicate():
            await asyncio.sleep(0.01)


async def test_broken_session_leaks_nothing(daemon_inproc: Daemon, channel: grpc.aio.Channel) -> None:
    stub = sc_grpc.SocketCallStub(channel)
    keeper = await AioSession(channel).open()
    victim = await AioSession(channel).open()
    addr = t.SockAddr(local=t.LocalAddress(path=b"\0socketlab-inproc-leak"))
    lfd = (await keeper.ask(1, socket=sc.SocketRequest(family=AF_UNIX, type=SOCK_STREAM))).socket.result.ret
    assert (await keeper.ask(2, bind=sc.BindRequest(fd=lfd, address=addr))).bind.result.ret == 0
    assert (await keeper.ask(3, listen=sc.ListenRequest(fd=lfd, backlog=4))).listen.result.ret == 0
    cfd = (await victim.ask(1, socket=sc.SocketRequest(family=AF_UNIX, type=SOCK_STREAM))).socket.result.ret
    assert (await victim.ask(2, connect=sc.ConnectRequest(fd=cfd, address=addr))).connect.result.ret == 0
    conn = (await keeper.ask(4, accept=sc.AcceptRequest(fd=lfd))).accept.result.ret
    assert conn >= 0
    # two calls of the victim blocked in the daemon: a typed one and one on the channel
    typed = stub.Recv(sc.RecvRequest(process=victim.handle, fd=cfd, size=10))
    assert (await asyncio.wait_for(typed.read(), WAIT)).progress.kind == t.PROGRESS_KIND_BLOCKED
    await victim.call.write(pb.SessionRequest(id=9, report_progress=True, recv=sc.RecvRequest(fd=cfd, size=1)))
    assert (await victim.recv()).HasField("progress")
    assert daemon_inproc.processes.get(victim.handle) is not None
    victim.call.cancel()  # the client goes away mid-call
    await until(lambda: daemon_inproc.processes.get(victim.handle) is None)
    await until(lambda: victim.pid not in daemon_inproc.host.processes)
    last = await asyncio.wait_for(typed.read(), WAIT)  # the typed call of the dead process: EINTR
    assert last.result.error_name == "EINTR"
    eof = await keeper.ask(5, recv=sc.RecvRequest(fd=conn, size=10))  # the peer sees EOF
    assert (eof.recv.result.ret, eof.recv.data) == (0, b"")
    await keeper.call.done_writing()
    async with asyncio.timeout(WAIT):
        while await keeper.call.read() is not grpc.aio.EOF:  # type: ignore[attr-defined]
            pass
    await until(lambda: len(daemon_inproc.processes) == 0 and not daemon_inproc.host.processes)


async def test_scm_rights_between_processes_with_decoded_control(channel: grpc.aio.Channel) -> None:
    one = await AioSession(channel).open()
    two = await AioSession(channel).open()
    name = b"\0socketlab-inproc-rights"
    addr = t.SockAddr(local=t.LocalAddress(path=name))
    srv = (await one.ask(1, socket=sc.SocketRequest(family=AF_UNIX, type=SOCK_DGRAM))).socket.result.ret
    assert (await one.ask(2, bind=sc.BindRequest(fd=srv, address=addr))).bind.result.ret == 0
    cli = (await two.ask(1, socket=sc.SocketRequest(family=AF_UNIX, type=SOCK_DGRAM))).socket.result.ret
    p = (await two.ask(2, socketpair=sc.SocketPairRequest(family=AF_UNIX, type=SOCK_STREAM))).socketpair.fds
    rights = t.Control(messages=[t.ControlMessage(level=SOL_SOCKET, type=SCM_RIGHTS, data=struct.pack("<i", p[0]))])
    msg = t.SendMsgHeader(iov=[b"here", b" you go"], address=addr, control=rights)
    assert (await two.ask(3, sendmsg=sc.SendMsgRequest(fd=cli, message=msg))).sendmsg.result.ret == 11
    got = (await one.ask(3, recvmsg=sc.RecvMsgRequest(fd=srv, message=t.RecvMsgHeader(size=64, controllen=64))))
    m = got.recvmsg.message
    assert got.recvmsg.result.ret == 11 and m.data == b"here you go"
    assert [(c.level, c.type, len(c.data)) for c in m.control.messages] == [(SOL_SOCKET, SCM_RIGHTS, 4)]
    assert m.control.raw[:16] == struct.pack("<Qii", 20, SOL_SOCKET, SCM_RIGHTS)
    passed = struct.unpack("<i", m.control.messages[0].data)[0]
    # the passed fd in process one talks to p[1] in process two
    assert (await two.ask(4, send=sc.SendRequest(fd=p[1], data=b"via passed fd"))).send.result.ret == 13
    assert (await one.ask(4, recv=sc.RecvRequest(fd=passed, size=64))).recv.data == b"via passed fd"
    for s in (one, two):
        await s.call.done_writing()


async def test_sigio_stream(channel: grpc.aio.Channel) -> None:
    stub = sc_grpc.SocketCallStub(channel)
    s = await AioSession(channel).open()
    a, b = (await s.ask(1, socketpair=sc.SocketPairRequest(family=AF_UNIX, type=SOCK_STREAM))).socketpair.fds
    assert (await s.ask(2, fcntl=sc.FcntlRequest(fd=b, cmd=F_SETOWN, arg=s.pid))).fcntl.result.ret == 0
    assert (await s.ask(3, fcntl=sc.FcntlRequest(fd=b, cmd=F_SETFL, arg=O_ASYNC))).fcntl.result.ret == 0
    notices = stub.Sigio(sc.SigioRequest(process=s.handle))
    assert (await s.ask(4, send=sc.SendRequest(fd=a, data=b"wake"))).send.result.ret == 4
    notice = await asyncio.wait_for(notices.read(), WAIT)
    assert notice.signo == 29 and notice.fd == b and notice.band & POLLIN
    notices.cancel()
    await s.call.done_writing()


async def test_epoll_wait_repeat_and_poll(channel: grpc.aio.Channel) -> None:
    stub = sc_grpc.SocketCallStub(channel)
    s = await AioSession(channel).open()
    h = s.handle
    a, b = (await stub.SocketPair(sc.SocketPairRequest(process=h, family=AF_UNIX, type=SOCK_DGRAM))).fds
    ep = (await stub.EpollCreate(sc.EpollCreateRequest(process=h))).result.ret
    # edge-triggered: each new datagram is one event (level-triggered would report b on every call)
    ctl = await stub.EpollCtl(sc.EpollCtlRequest(process=h, epfd=ep, op=EPOLL_CTL_ADD, fd=b, events=EPOLLIN | EPOLLET,
                                                 data=77))
    assert ctl.result.ret == 0
    events = stub.EpollWait(sc.EpollWaitRequest(process=h, epfd=ep, maxevents=4, timeout_ms=-1, repeat=True))
    assert (await asyncio.wait_for(events.read(), WAIT)).progress.kind == t.PROGRESS_KIND_BLOCKED
    await s.ask(1, send=sc.SendRequest(fd=a, data=b"1"))
    ready = await asyncio.wait_for(events.read(), WAIT)
    assert ready.result.ret == 1 and [(e.events, e.data) for e in ready.events] == [(EPOLLIN, 77)]
    assert (await asyncio.wait_for(events.read(), WAIT)).HasField("progress")  # the next call blocks
    await s.ask(2, send=sc.SendRequest(fd=a, data=b"2"))
    again = await asyncio.wait_for(events.read(), WAIT)
    assert [(e.events, e.data) for e in again.events] == [(EPOLLIN, 77)]
    events.cancel()
    poll = stub.Poll(sc.PollRequest(process=h, fds=[t.PollFd(fd=a, events=POLLOUT), t.PollFd(fd=b, events=POLLIN)],
                                    timeout_ms=0))
    msgs = [m async for m in poll]
    assert msgs[-1].result.ret == 2 and list(msgs[-1].revents) == [POLLOUT, POLLIN]  # two datagrams wait on b
    await s.call.done_writing()


async def test_invoke_with_structured_messages(channel: grpc.aio.Channel) -> None:
    stub = sc_grpc.SocketCallStub(channel)
    s = await AioSession(channel).open()
    h = s.handle
    a, b = (await stub.SocketPair(sc.SocketPairRequest(process=h, family=AF_UNIX, type=SOCK_DGRAM))).fds
    sends = t.SendMsgHeaderList(items=[t.SendMsgHeader(iov=[b"one"]), t.SendMsgHeader(iov=[b"two", b"!"])])
    args = [t.SocketCallArg(number=a), t.SocketCallArg(number=0), t.SocketCallArg(send_messages=sends)]
    sent = [m async for m in stub.Invoke(sc.InvokeRequest(process=h, call=number(20), args=args))][-1]
    assert sent.result.ret == 2 and [m.msg_len for m in sent.messages] == [3, 4]
    recvs = t.RecvMsgHeaderList(items=[t.RecvMsgHeader(size=16), t.RecvMsgHeader(size=16)])
    args = [t.SocketCallArg(number=b), t.SocketCallArg(number=0), t.SocketCallArg(recv_messages=recvs)]
    got = [m async for m in stub.Invoke(sc.InvokeRequest(process=h, call=number(19), args=args))][-1]
    assert got.result.ret == 2 and [m.data for m in got.messages] == [b"one", b"two!"]
    await s.call.done_writing()
