"""End-to-end tests of socketlabd: a real daemon subprocess, driven over gRPC.

Nothing here sleeps to wait for state: blocked calls are detected by their
PROGRESS_KIND_BLOCKED event, and every wait is bounded (gRPC deadlines,
queue timeouts).
"""
from __future__ import annotations

import os
import queue
import signal
import struct
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from client._gen.socketlab.v1 import process_pb2 as pb
from client._gen.socketlab.v1 import process_pb2_grpc as pb_grpc
from client._gen.socketlab.v1 import socketcall_pb2 as sc
from client._gen.socketlab.v1 import socketcall_pb2_grpc as sc_grpc
from client._gen.socketlab.v1 import types_pb2 as t
from client._grpc import GrpcTransport

REPO = Path(__file__).resolve().parents[2]
AF_UNIX, SOCK_STREAM, SOCK_DGRAM = 1, 1, 2
EINTR, EINVAL, EBADF = 4, 22, 9
SYS_SOCKETPAIR = 8
WAIT = 10.0  # the bound of every wait in this file


def number(call: int) -> Any:
    """A socketcall number for InvokeRequest.call (an open enum: any int goes)."""
    return cast(Any, call)


class RawSession:
    """A Process/Session stream driven message by message (for what GrpcTransport hides)."""

    def __init__(self, channel: grpc.Channel, **open_args: Any) -> None:
        self._out: queue.SimpleQueue[pb.SessionRequest | None] = queue.SimpleQueue()
        self._in: queue.SimpleQueue[pb.SessionResponse | BaseException | None] = queue.SimpleQueue()
        self.call = pb_grpc.ProcessStub(channel).Session(iter(self._out.get, None))
        threading.Thread(target=self._read, daemon=True).start()
        self.send(pb.SessionRequest(open=pb.OpenProcess(**open_args)))
        opened = self.recv()
        assert opened.WhichOneof("kind") == "opened"
        self.handle, self.pid = opened.opened.process, opened.opened.pid

    def _read(self) -> None:
        try:
            for msg in self.call:
                self._in.put(msg)
            self._in.put(None)
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            self._in.put(exc)

    def send(self, msg: pb.SessionRequest) -> None:
        self._out.put(msg)

    def recv(self) -> pb.SessionResponse:
        msg = self._in.get(timeout=WAIT)
        if isinstance(msg, BaseException) or msg is None:
            raise AssertionError(f"session ended: {msg!r}")
        return msg

    def end(self) -> list[pb.SessionResponse]:
        """Half-close the stream; return the replies that still came."""
        self._out.put(None)
        rest = []
        while (msg := self._in.get(timeout=WAIT)) is not None:
            assert not isinstance(msg, BaseException), msg
            rest.append(msg)
        return rest


@pytest.fixture
def channel(daemon: str) -> Iterator[grpc.Channel]:
    ch = grpc.insecure_channel(daemon)
    grpc.channel_ready_future(ch).result(timeout=WAIT)
    yield ch
    ch.close()


@pytest.fixture
def stub(channel: grpc.Channel) -> sc_grpc.SocketCallStub:
    return sc_grpc.SocketCallStub(channel)


@pytest.fixture
def session(channel: grpc.Channel) -> Iterator[RawSession]:
    s = RawSession(channel)
    yield s
    s.end()


def final(stream: Any) -> Any:
    """The last message of a blocking RPC's stream (its result); progress events before it."""
    msgs = list(stream)
    assert msgs and msgs[-1].HasField("result")
    assert all(m.HasField("progress") and not m.HasField("result") for m in msgs[:-1])
    return msgs[-1]


def socketpair(stub: sc_grpc.SocketCallStub, handle: str, kind: int = SOCK_STREAM) -> tuple[int, int]:
    reply = stub.SocketPair(sc.SocketPairRequest(process=handle, family=AF_UNIX, type=kind), timeout=WAIT)
    assert reply.result.ret == 0, reply
    a, b = reply.fds
    return a, b


# --- standard services ------------------------------------------------------


def test_health_serving(channel: grpc.Channel) -> None:
    health = health_pb2_grpc.HealthStub(channel)
    for service in ("", "socketlab.v1.SocketCall", "socketlab.v1.Process"):
        reply = health.Check(health_pb2.HealthCheckRequest(service=service), timeout=WAIT)
        assert reply.status == health_pb2.HealthCheckResponse.SERVING


def test_reflection_lists_the_services(channel: grpc.Channel) -> None:
    refl = reflection_pb2_grpc.ServerReflectionStub(channel)
    replies = list(refl.ServerReflectionInfo(iter([reflection_pb2.ServerReflectionRequest(list_services="")]),
                                             timeout=WAIT))
    names = {s.name for s in replies[0].list_services_response.service}
    assert {"socketlab.v1.SocketCall", "socketlab.v1.Process", "grpc.health.v1.Health"} <= names
    file_req = reflection_pb2.ServerReflectionRequest(file_containing_symbol="socketlab.v1.SocketCall")
    files = list(refl.ServerReflectionInfo(iter([file_req]), timeout=WAIT))
    assert files[0].file_descriptor_response.file_descriptor_proto


# --- sessions and typed RPCs ------------------------------------------------


def test_session_opens_a_process(session: RawSession) -> None:
    assert session.pid > 0
    assert len(session.handle) >= 20


def test_socketpair_send_recv_typed(stub: sc_grpc.SocketCallStub, session: RawSession) -> None:
    a, b = socketpair(stub, session.handle)
    sent = final(stub.Send(sc.SendRequest(process=session.handle, fd=a, data=b"hello"), timeout=WAIT))
    assert sent.result.ret == 5
    got = final(stub.Recv(sc.RecvRequest(process=session.handle, fd=b, size=100), timeout=WAIT))
    assert (got.result.ret, got.data) == (5, b"hello")
    closed = stub.Close(sc.CloseRequest(process=session.handle, fd=a), timeout=WAIT)
    assert closed.result.ret == 0
    eof = final(stub.Recv(sc.RecvRequest(process=session.handle, fd=b, size=100), timeout=WAIT))
    assert (eof.result.ret, eof.data) == (0, b"")
    bad = stub.Close(sc.CloseRequest(process=session.handle, fd=a), timeout=WAIT)
    assert (bad.result.ret, bad.result.error_number, bad.result.error_name) == (-EBADF, EBADF, "EBADF")


def test_socketpair_send_recv_session_channel(session: RawSession) -> None:
    session.send(pb.SessionRequest(id=1, socketpair=sc.SocketPairRequest(family=AF_UNIX, type=SOCK_STREAM)))
    a, b = session.recv().socketpair.fds
    session.send(pb.SessionRequest(id=2, send=sc.SendRequest(fd=a, data=b"ping")))
    session.send(pb.SessionRequest(id=3, recv=sc.RecvRequest(fd=b, size=10)))
    replies = {m.id: m for m in (session.recv(), session.recv())}
    assert replies[2].send.result.ret == 4
    assert replies[3].recv.data == b"ping"


def test_both_paths_reach_the_same_process(stub: sc_grpc.SocketCallStub, session: RawSession) -> None:
    session.send(pb.SessionRequest(id=1, socketpair=sc.SocketPairRequest(family=AF_UNIX, type=SOCK_DGRAM)))
    a, b = session.recv().socketpair.fds
    final(stub.Send(sc.SendRequest(process=session.handle, fd=a, data=b"typed"), timeout=WAIT))
    session.send(pb.SessionRequest(id=2, recv=sc.RecvRequest(fd=b, size=10)))
    assert session.recv().recv.data == b"typed"


def test_structured_addresses_and_names(stub: sc_grpc.SocketCallStub, session: RawSession) -> None:
    h = session.handle
    fd = stub.Socket(sc.SocketRequest(process=h, family=AF_UNIX, type=SOCK_STREAM), timeout=WAIT).result.ret
    assert fd >= 0
    name = b"\0socketlab-test-" + uuid.uuid4().hex.encode()
    bound = stub.Bind(sc.BindRequest(process=h, fd=fd, address=t.SockAddr(local=t.LocalAddress(path=name))),
                      timeout=WAIT)
    assert bound.result.ret == 0
    got = stub.GetSockName(sc.GetSockNameRequest(process=h, fd=fd), timeout=WAIT)
    assert got.address.family == AF_UNIX
    assert got.address.local.path == name
    assert got.address.raw == struct.pack("<H", AF_UNIX) + name
    assert got.address.length == 2 + len(name)


def test_invoke_by_number(stub: sc_grpc.SocketCallStub, session: RawSession) -> None:
    h = session.handle
    unknown = final(stub.Invoke(sc.InvokeRequest(process=h, call=number(99)), timeout=WAIT))
    assert (unknown.result.ret, unknown.result.error_name) == (-EINVAL, "EINVAL")
    zero = final(stub.Invoke(sc.InvokeRequest(process=h, call=number(0)), timeout=WAIT))
    assert zero.result.error_name == "EINVAL"
    args = [t.SocketCallArg(number=v) for v in (AF_UNIX, SOCK_STREAM, 0)]
    pair = final(stub.Invoke(sc.InvokeRequest(process=h, call=number(SYS_SOCKETPAIR), args=args), timeout=WAIT))
    assert pair.result.ret == 0 and len(pair.fds) == 2
    session.send(pb.SessionRequest(id=7, invoke=sc.InvokeRequest(call=number(42))))
    reply = session.recv()
    assert reply.id == 7 and reply.invoke.result.error_name == "EINVAL"


def test_setsockopt_int_and_getsockopt(stub: sc_grpc.SocketCallStub, session: RawSession) -> None:
    a, _ = socketpair(stub, session.handle)
    SOL_SOCKET, SO_SNDBUF, SO_TYPE = 1, 7, 3
    assert stub.SetSockOpt(sc.SetSockOptRequest(process=session.handle, fd=a, level=SOL_SOCKET, optname=SO_SNDBUF,
                                                int_value=65536), timeout=WAIT).result.ret == 0
    got = stub.GetSockOpt(sc.GetSockOptRequest(process=session.handle, fd=a, level=SOL_SOCKET, optname=SO_TYPE,
                                               optlen=4), timeout=WAIT)
    assert got.result.ret == 0 and got.int_value == SOCK_STREAM and got.optval == struct.pack("<i", SOCK_STREAM)


# --- blocking calls: progress, cancellation ---------------------------------


def test_cancelled_typed_recv_consumes_nothing(stub: sc_grpc.SocketCallStub, session: RawSession) -> None:
    a, b = socketpair(stub, session.handle)
    call = stub.Recv(sc.RecvRequest(process=session.handle, fd=b, size=100), timeout=WAIT)
    first = next(call)
    assert first.progress.kind == t.PROGRESS_KIND_BLOCKED and first.progress.op == "recv"
    call.cancel()
    with pytest.raises(grpc.RpcError) as err:
        next(call)
    assert err.value.code() == grpc.StatusCode.CANCELLED
    final(stub.Send(sc.SendRequest(process=session.handle, fd=a, data=b"kept"), timeout=WAIT))
    got = final(stub.Recv(sc.RecvRequest(process=session.handle, fd=b, size=100), timeout=WAIT))
    assert got.data == b"kept"


def test_cancelled_session_recv_answers_eintr(session: RawSession) -> None:
    session.send(pb.SessionRequest(id=1, socketpair=sc.SocketPairRequest(family=AF_UNIX, type=SOCK_STREAM)))
    a, b = session.recv().socketpair.fds
    session.send(pb.SessionRequest(id=2, report_progress=True, recv=sc.RecvRequest(fd=b, size=10)))
    blocked = session.recv()
    assert blocked.id == 2 and blocked.progress.kind == t.PROGRESS_KIND_BLOCKED
    # a blocked call does not stall the channel
    session.send(pb.SessionRequest(id=3, send=sc.SendRequest(fd=b, data=b"other way")))
    assert session.recv().send.result.ret == 9
    session.send(pb.SessionRequest(id=2, cancel=pb.CancelCall()))
    interrupted = session.recv()
    assert interrupted.id == 2
    assert (interrupted.recv.result.ret, interrupted.recv.result.error_name) == (-EINTR, "EINTR")
    session.send(pb.SessionRequest(id=4, send=sc.SendRequest(fd=a, data=b"still here")))
    session.send(pb.SessionRequest(id=5, recv=sc.RecvRequest(fd=b, size=100)))
    replies = {m.id: m for m in (session.recv(), session.recv())}
    assert replies[5].recv.data == b"still here"


def test_session_timeout_sets_timed_out(session: RawSession) -> None:
    SOCK_NONBLOCK = 0o4000
    session.send(pb.SessionRequest(
        id=1, socketpair=sc.SocketPairRequest(family=AF_UNIX, type=SOCK_STREAM | SOCK_NONBLOCK)))
    _, b = session.recv().socketpair.fds
    session.send(pb.SessionRequest(id=2, timeout=0.05, recv=sc.RecvRequest(fd=b, size=10)))
    reply = session.recv().recv.result
    assert reply.timed_out and reply.error_name == "EAGAIN"


def test_ending_the_session_closes_the_fds(channel: grpc.Channel, stub: sc_grpc.SocketCallStub,
                                           session: RawSession) -> None:
    other = RawSession(channel)
    name = b"\0socketlab-eof-" + uuid.uuid4().hex.encode()
    h = session.handle
    lfd = stub.Socket(sc.SocketRequest(process=h, family=AF_UNIX, type=SOCK_STREAM), timeout=WAIT).result.ret
    addr = t.SockAddr(local=t.LocalAddress(path=name))
    assert stub.Bind(sc.BindRequest(process=h, fd=lfd, address=addr), timeout=WAIT).result.ret == 0
    assert stub.Listen(sc.ListenRequest(process=h, fd=lfd, backlog=5), timeout=WAIT).result.ret == 0
    cfd = stub.Socket(sc.SocketRequest(process=other.handle, family=AF_UNIX, type=SOCK_STREAM),
                      timeout=WAIT).result.ret
    assert final(stub.Connect(sc.ConnectRequest(process=other.handle, fd=cfd, address=addr),
                              timeout=WAIT)).result.ret == 0
    accepted = final(stub.Accept(sc.AcceptRequest(process=h, fd=lfd), timeout=WAIT))
    assert accepted.result.ret >= 0 and accepted.address.family == AF_UNIX
    other.end()
    eof = final(stub.Recv(sc.RecvRequest(process=h, fd=accepted.result.ret, size=10), timeout=WAIT))
    assert (eof.result.ret, eof.data) == (0, b"")
    with pytest.raises(grpc.RpcError) as err:
        stub.Close(sc.CloseRequest(process=other.handle, fd=cfd), timeout=WAIT)
    assert err.value.code() == grpc.StatusCode.NOT_FOUND


def test_ending_the_session_interrupts_pending_calls(stub: sc_grpc.SocketCallStub, channel: grpc.Channel) -> None:
    s = RawSession(channel)
    a, b = socketpair(stub, s.handle)
    typed = stub.Recv(sc.RecvRequest(process=s.handle, fd=b, size=10), timeout=WAIT)
    assert next(typed).HasField("progress")
    s.send(pb.SessionRequest(id=9, report_progress=True, recv=sc.RecvRequest(fd=a, size=10)))
    assert s.recv().HasField("progress")
    rest = s.end()
    assert [(m.id, m.recv.result.error_name) for m in rest] == [(9, "EINTR")]
    assert final(typed).result.error_name == "EINTR"


# --- malformed requests -----------------------------------------------------


def test_malformed_requests_are_invalid_argument(stub: sc_grpc.SocketCallStub, session: RawSession) -> None:
    h = session.handle
    fd = stub.Socket(sc.SocketRequest(process=h, family=AF_UNIX, type=SOCK_DGRAM), timeout=WAIT).result.ret
    bad_addr = t.SockAddr(inet=t.InetAddress(address="not-an-address", port=1))
    with pytest.raises(grpc.RpcError) as err:
        stub.Bind(sc.BindRequest(process=h, fd=fd, address=bad_addr), timeout=WAIT)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    both = t.SendMsgHeader(iov=[b"x"], control=t.Control(raw=b"\0" * 16, messages=[t.ControlMessage(level=1)]))
    with pytest.raises(grpc.RpcError) as err:
        final(stub.SendMsg(sc.SendMsgRequest(process=h, fd=fd, message=both), timeout=WAIT))
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    session.send(pb.SessionRequest(id=5, bind=sc.BindRequest(fd=fd, address=bad_addr)))
    reply = session.recv()
    assert reply.id == 5 and reply.error.code == grpc.StatusCode.INVALID_ARGUMENT.value[0]
    session.send(pb.SessionRequest(id=6))  # no call at all
    reply = session.recv()
    assert reply.id == 6 and reply.error.code == grpc.StatusCode.INVALID_ARGUMENT.value[0]
    session.send(pb.SessionRequest(id=7, close=sc.CloseRequest(fd=fd)))  # the session goes on
    assert session.recv().close.result.ret == 0


def test_unknown_process_handle_is_not_found(stub: sc_grpc.SocketCallStub) -> None:
    with pytest.raises(grpc.RpcError) as err:
        stub.Socket(sc.SocketRequest(process="no-such-handle", family=AF_UNIX, type=SOCK_STREAM), timeout=WAIT)
    assert err.value.code() == grpc.StatusCode.NOT_FOUND
    with pytest.raises(grpc.RpcError) as err:
        list(stub.Recv(sc.RecvRequest(process="no-such-handle", fd=0, size=1), timeout=WAIT))
    assert err.value.code() == grpc.StatusCode.NOT_FOUND


def test_session_must_open_first(channel: grpc.Channel) -> None:
    call = pb_grpc.ProcessStub(channel).Session(iter([pb.SessionRequest(id=1, close=sc.CloseRequest(fd=0))]),
                                                timeout=WAIT)
    with pytest.raises(grpc.RpcError) as err:
        list(call)
    assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION


# --- the Python transport ---------------------------------------------------


def test_grpc_transport_pipelines_calls_from_threads(daemon: str) -> None:
    tr = GrpcTransport(daemon)
    try:
        pair = tr.call("socketpair", {"family": AF_UNIX, "type": SOCK_DGRAM, "protocol": 0})
        a, b = pair.fds
        results: queue.SimpleQueue[bytes] = queue.SimpleQueue()
        readers = [threading.Thread(target=lambda: results.put(tr.call("recv", {"fd": b, "size": 64, "flags": 0}).data))
                   for _ in range(8)]
        for th in readers:
            th.start()
        for i in range(8):
            assert tr.call("send", {"fd": a, "data": b"m%d" % i, "flags": 0}).ret == 2
        for th in readers:
            th.join(timeout=WAIT)
        assert sorted(results.get(timeout=WAIT) for _ in range(8)) == sorted(b"m%d" % i for i in range(8))
        reply = tr.call("socketcall", {"call": 77, "args": []})
        assert reply.error_name == "EINVAL"
    finally:
        tr.close()
    with pytest.raises(ConnectionError):
        tr.call("close", {"fd": 0})


def test_grpc_transport_unreachable() -> None:
    with pytest.raises(ConnectionError):
        GrpcTransport("127.0.0.1:1", connect_timeout=0.5)


# --- the daemon survives its clients ----------------------------------------

_BLOCKED_CLIENT = r"""
import sys
from client._grpc import GrpcTransport
from client._gen.socketlab.v1 import socketcall_pb2 as sc, socketcall_pb2_grpc as sc_grpc
import grpc
tr = GrpcTransport(sys.argv[1])
fd = tr.call("socket", {"family": 1, "type": 1, "protocol": 0}).ret
addr = b"\x01\x00\x00" + sys.argv[2].encode()  # abstract name
assert tr.call("connect", {"fd": fd, "addr": addr}).ret == 0, "connect"
stub = sc_grpc.SocketCallStub(grpc.insecure_channel(sys.argv[1]))
for msg in stub.Recv(sc.RecvRequest(process=tr.handle, fd=fd, size=10)):
    if msg.HasField("progress"):
        print("BLOCKED", flush=True)
"""


def test_client_killed_mid_call(daemon: str, stub: sc_grpc.SocketCallStub, session: RawSession,
                                channel: grpc.Channel) -> None:
    h = session.handle
    name = "socketlab-kill-" + uuid.uuid4().hex
    addr = t.SockAddr(local=t.LocalAddress(path=b"\0" + name.encode()))
    lfd = stub.Socket(sc.SocketRequest(process=h, family=AF_UNIX, type=SOCK_STREAM), timeout=WAIT).result.ret
    assert stub.Bind(sc.BindRequest(process=h, fd=lfd, address=addr), timeout=WAIT).result.ret == 0
    assert stub.Listen(sc.ListenRequest(process=h, fd=lfd, backlog=5), timeout=WAIT).result.ret == 0
    child = subprocess.Popen([sys.executable, "-c", _BLOCKED_CLIENT, daemon, name], cwd=REPO,
                             stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(REPO)})
    try:
        accepted = final(stub.Accept(sc.AcceptRequest(process=h, fd=lfd), timeout=WAIT)).result.ret
        assert accepted >= 0
        assert child.stdout is not None
        line: list[str] = []
        reader = threading.Thread(target=lambda: line.append(child.stdout.readline() if child.stdout else ""))
        reader.start()
        reader.join(timeout=WAIT)
        assert line == ["BLOCKED\n"]
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=WAIT)
        eof = final(stub.Recv(sc.RecvRequest(process=h, fd=accepted, size=10), timeout=WAIT))
        assert (eof.result.ret, eof.data) == (0, b"")
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    health = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=WAIT)
    assert health.status == health_pb2.HealthCheckResponse.SERVING
    assert RawSession(channel).end() == []


def test_sigterm_stops_cleanly(spawn_daemon: Any) -> None:
    running = spawn_daemon()
    ch = grpc.insecure_channel(running.target)
    s = RawSession(ch)
    s.send(pb.SessionRequest(id=1, socketpair=sc.SocketPairRequest(family=AF_UNIX, type=SOCK_STREAM)))
    _, b = s.recv().socketpair.fds
    s.send(pb.SessionRequest(id=2, report_progress=True, recv=sc.RecvRequest(fd=b, size=1)))
    assert s.recv().HasField("progress")  # a call blocked in the daemon
    assert running.stop(signal.SIGTERM) == 0
    assert any("socketlabd stopped" in line for line in running.log)
    ch.close()


def test_sigint_stops_cleanly_with_json_logs(spawn_daemon: Any) -> None:
    running = spawn_daemon("--log-format", "json")
    assert running.stop(signal.SIGINT) == 0
    import json

    records = [json.loads(line) for line in running.log if line.startswith("{")]
    assert any("listen=" in r["msg"] for r in records)


def test_grpc_transport_many_threads_many_calls(daemon: str) -> None:
    tr = GrpcTransport(daemon)
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            a, b = tr.call("socketpair", {"family": AF_UNIX, "type": SOCK_STREAM, "protocol": 0}).fds
            for i in range(100):
                payload = b"%d:%d" % (n, i)
                assert tr.call("send", {"fd": a, "data": payload, "flags": 0}).ret == len(payload)
                assert tr.call("recv", {"fd": b, "size": 64, "flags": 0}).data == payload
            assert tr.call("close", {"fd": a}).ret == 0
            assert tr.call("recv", {"fd": b, "size": 64, "flags": 0}).ret == 0
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    try:
        threads = [threading.Thread(target=worker, args=(n,)) for n in range(6)]
        for th in threads:
            th.start()
        for th in threads:
            th.join(timeout=60)
        assert not any(th.is_alive() for th in threads)
        assert errors == []
    finally:
        tr.close()


def test_second_daemon_on_a_taken_port_fails(daemon: str) -> None:
    """grpc.so_reuseport = 0: a second daemon may not silently share the port."""
    second = subprocess.run([sys.executable, "-m", "server", "--listen", daemon], cwd=REPO,
                            capture_output=True, text=True, timeout=WAIT * 3)
    assert second.returncode == 1
    assert "cannot listen" in second.stderr


def test_invoke_honours_the_timeout(session: RawSession) -> None:
    SOCK_NONBLOCK, SYS_RECV = 0o4000, 10
    session.send(pb.SessionRequest(
        id=1, socketpair=sc.SocketPairRequest(family=AF_UNIX, type=SOCK_STREAM | SOCK_NONBLOCK)))
    _, b = session.recv().socketpair.fds
    args = [t.SocketCallArg(number=v) for v in (b, 10, 0)]
    session.send(pb.SessionRequest(id=2, timeout=0.05, invoke=sc.InvokeRequest(call=number(SYS_RECV), args=args)))
    reply = session.recv().invoke.result
    assert reply.timed_out and reply.error_name == "EAGAIN"
