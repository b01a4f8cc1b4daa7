"""Limits (issue #7): streams per connection, idle sessions, process and file caps,
message size, and flat memory under a sender faster than its reader.

Each test runs a private daemon with the limit it checks (server/limits.py);
every wait is bounded.
"""
from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import grpc
import pytest

import client
from client._gen.socketlab.v1 import process_pb2 as pb
from client._gen.socketlab.v1 import process_pb2_grpc as pb_grpc
from client._gen.socketlab.v1 import socketcall_pb2 as sc
from client._gen.socketlab.v1 import socketcall_pb2_grpc as sc_grpc
from server import limits as limits_mod
from server.__main__ import parse_args
from tests.load.resources import rss_kib, wait_for

WAIT = 10.0
AF_UNIX, SOCK_STREAM = 1, 1
ENFILE, EAGAIN = 23, 11
CAP_NET_ADMIN = 12


class Stream:
    """A Session stream with its replies in a queue (the stream's end is an RpcError or None)."""

    def __init__(self, channel: grpc.Channel, **open_args: Any) -> None:
        self.out: queue.SimpleQueue[pb.SessionRequest | None] = queue.SimpleQueue()
        self.replies: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self.ended_at = 0.0
        self.call = pb_grpc.ProcessStub(channel).Session(iter(self.out.get, None))
        self.out.put(pb.SessionRequest(open=pb.OpenProcess(**open_args)))
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        try:
            for msg in self.call:
                self.replies.put(msg)
            self.replies.put(None)
        except grpc.RpcError as exc:
            self.ended_at = time.monotonic()
            self.replies.put(exc)

    def next(self, timeout: float = WAIT) -> Any:
        return self.replies.get(timeout=timeout)

    def opened(self, timeout: float = WAIT) -> pb.ProcessOpened:
        msg = self.next(timeout)
        assert isinstance(msg, pb.SessionResponse) and msg.HasField("opened"), msg
        return msg.opened

    def ask(self, req: pb.SessionRequest) -> pb.SessionResponse:
        self.out.put(req)
        msg = self.next()
        assert isinstance(msg, pb.SessionResponse), msg
        return msg

    def end(self) -> None:
        self.out.put(None)


@pytest.fixture
def channel_to() -> Iterator[Callable[..., grpc.Channel]]:
    made: list[grpc.Channel] = []

    def make(target: str, **options: int) -> grpc.Channel:
        ch = grpc.insecure_channel(target, options=list(options.items()))
        made.append(ch)
        return ch

    yield make
    for ch in made:
        ch.close()


def test_limit_flags_and_their_grpc_options() -> None:
    ns = parse_args(["--max-streams", "8", "--keepalive-time", "30", "--keepalive-timeout", "5",
                     "--idle-timeout", "2.5", "--max-processes", "3", "--file-max", "100", "--max-message", "4096"])
    lim = limits_mod.from_args(ns)
    assert lim == limits_mod.Limits(8, 30.0, 5.0, 2.5, 3, 100, 4096)
    opts = dict(lim.grpc_options())
    assert opts["grpc.max_concurrent_streams"] == 8
    assert opts["grpc.keepalive_time_ms"] == 30_000 and opts["grpc.keepalive_timeout_ms"] == 5_000
    assert opts["grpc.max_receive_message_length"] == opts["grpc.max_send_message_length"] == 4096
    defaults = limits_mod.from_args(parse_args([]))
    assert defaults == limits_mod.Limits() and defaults.idle_timeout == 0 and defaults.file_max is None
    for bad in (["--max-processes", "0"], ["--idle-timeout", "-1"], ["--keepalive-time", "0"],
                ["--idle-timeout", "nan"]):
        with pytest.raises(SystemExit):
            parse_args(bad)


def test_max_processes_is_resource_exhausted(spawn_daemon: Any, channel_to: Any) -> None:
    d = spawn_daemon("--max-processes", "2")
    ch = channel_to(d.target)
    first, second = Stream(ch), Stream(ch)
    first.opened(), second.opened()
    third = Stream(ch)
    refused = third.next()
    assert isinstance(refused, grpc.RpcError) and refused.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert "max-processes" in (refused.details() or "")
    with pytest.raises(ConnectionError, match="RESOURCE_EXHAUSTED"):
        client.connect(d.target)
    first.end()
    assert first.next() is None  # its process has exited: room for one more
    fourth = Stream(ch)
    fourth.opened()
    second.end(), fourth.end()


def test_file_max_gives_enfile(spawn_daemon: Any) -> None:
    # 3 files per process (stdin/out/err on /dev/null) + 4 sockets = 7: the fifth socket is ENFILE.
    d = spawn_daemon("--file-max", "7")
    net = client.connect(d.target, capabilities=1 << CAP_NET_ADMIN)  # no CAP_SYS_ADMIN: bound by file-max
    try:
        a, b = net.socketpair()
        c, e = net.socketpair()
        with pytest.raises(OSError) as info:
            net.socket(net.AF_UNIX, net.SOCK_DGRAM)
        assert info.value.errno == ENFILE  # as Linux: "Too many open files in system"
        with pytest.raises(OSError) as info:
            net.socketpair()
        assert info.value.errno == ENFILE
        a.close()
        extra = net.socket(net.AF_UNIX, net.SOCK_DGRAM)  # room again
        extra.close()
        for s in (b, c, e):
            s.close()
    finally:
        net.close()
    root = client.connect(d.target)  # root has CAP_SYS_ADMIN: alloc_empty_file lets it exceed file-max
    try:
        socks = [root.socket(root.AF_UNIX, root.SOCK_DGRAM) for _ in range(6)]
        for s in socks:
            s.close()
    finally:
        root.close()


def test_oversize_message_is_resource_exhausted(spawn_daemon: Any, channel_to: Any) -> None:
    d = spawn_daemon("--max-message", "65536")
    ch = channel_to(d.target, **{"grpc.max_send_message_length": 1 << 24})
    s = Stream(ch)
    handle = s.opened().process
    pair = s.ask(pb.SessionRequest(id=1, socketpair=sc.SocketPairRequest(family=AF_UNIX, type=SOCK_STREAM)))
    a, _ = pair.socketpair.fds
    stub = sc_grpc.SocketCallStub(ch)
    with pytest.raises(grpc.RpcError) as info:
        list(stub.Send(sc.SendRequest(process=handle, fd=a, data=bytes(100_000)), timeout=WAIT))
    assert info.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    ok = list(stub.Send(sc.SendRequest(process=handle, fd=a, data=bytes(60_000)), timeout=WAIT))
    assert ok[-1].result.ret == 60_000  # just under the limit: fine
    # On the session channel an oversize message ends the stream (and so the process).
    s.out.put(pb.SessionRequest(id=2, send=sc.SendRequest(fd=a, data=bytes(100_000))))
    ended = s.next()
    assert isinstance(ended, grpc.RpcError) and ended.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    # the daemon goes on
    net = client.connect(d.target)
    x, y = net.socketpair()
    x.send(b"ok")
    assert y.recv(2) == b"ok"
    net.close()


def test_max_streams_per_connection_queues_the_extra_stream(spawn_daemon: Any, channel_to: Any) -> None:
    d = spawn_daemon("--max-streams", "2")
    ch = channel_to(d.target)
    first, second = Stream(ch), Stream(ch)
    first.opened(), second.opened()
    third = Stream(ch)
    with pytest.raises(queue.Empty):  # HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS: it waits for a slot
        third.next(timeout=0.5)
    other = Stream(channel_to(d.target, **{"grpc.use_local_subchannel_pool": 1}))  # another connection
    other.opened()
    first.end()
    assert first.next() is None
    third.opened()  # got the freed slot
    for s in (second, third, other):
        s.end()


def test_idle_session_times_out(spawn_daemon: Any, channel_to: Any) -> None:
    d = spawn_daemon("--idle-timeout", "0.5")
    ch = channel_to(d.target)
    started = time.monotonic()
    idle, busy, chatty = Stream(ch), Stream(ch), Stream(ch)
    for s in (idle, busy, chatty):
        s.opened()
    pair = busy.ask(pb.SessionRequest(id=1, socketpair=sc.SocketPairRequest(family=AF_UNIX, type=SOCK_STREAM)))
    _, b = pair.socketpair.fds
    busy.out.put(pb.SessionRequest(id=2, report_progress=True, recv=sc.RecvRequest(fd=b, size=1)))
    assert busy.next().HasField("progress")  # a pending call: not idle
    for i in range(12):  # a message every 0.1 s keeps a session alive
        time.sleep(0.1)
        reply = chatty.ask(pb.SessionRequest(id=10 + i, socket=sc.SocketRequest(family=AF_UNIX, type=SOCK_STREAM)))
        assert reply.socket.result.ret >= 3
    chatty.end()
    assert chatty.next() is None  # ended by its client: OK
    ended = idle.next(timeout=5)
    assert isinstance(ended, grpc.RpcError) and ended.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    assert "idle" in (ended.details() or "")
    assert 0.45 < idle.ended_at - started < 1.2
    with pytest.raises(queue.Empty):
        busy.next(timeout=0.05)  # still blocked in recv, not ended
    busy.out.put(pb.SessionRequest(id=2, cancel=pb.CancelCall()))
    assert busy.next().recv.result.error_name == "EINTR"
    cancelled = time.monotonic()
    ended = busy.next(timeout=5)  # nothing pending any more: idle, ends
    assert isinstance(ended, grpc.RpcError) and ended.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    assert busy.ended_at - cancelled > 0.3


def test_client_that_sends_faster_than_its_peer_reads(spawn_daemon: Any) -> None:
    """AF_UNIX stream: MSG_DONTWAIT sends end in EAGAIN once sk_sndbuf/the peer's queue is full,
    and the daemon's RSS stays flat however long the sender keeps trying."""
    d = spawn_daemon()
    net = client.connect(d.target)
    try:
        a, b = net.socketpair()
        chunk = bytes(65536)
        queued = 0
        while True:
            try:
                queued += a.send(chunk, net.MSG_DONTWAIT)
            except BlockingIOError as exc:
                assert exc.errno == EAGAIN
                break
            assert queued < 64 * 1024 * 1024, "the send queue never filled"
        before = rss_kib(d.proc.pid)
        refused = 0
        for _ in range(600):  # ~37 MiB more offered
            try:
                a.send(chunk, net.MSG_DONTWAIT)
            except BlockingIOError:
                refused += 1
        after = rss_kib(d.proc.pid)
        assert refused == 600
        assert after - before < 8 * 1024, (before, after)
        assert queued < 4 * 1024 * 1024  # bounded by the socket buffers (Linux: ~200-400 KiB)
        got = 0
        while got < queued:
            got += len(b.recv(1 << 20))
        assert got == queued
    finally:
        net.close()


def _snmp_udp(text: str) -> dict[str, int]:
    lines = [line.split() for line in text.splitlines() if line.startswith("Udp:")]
    return dict(zip(lines[0][1:], map(int, lines[1][1:])))


def test_udp_receiver_that_never_reads(spawn_daemon: Any) -> None:
    """UDP over 127.0.0.1: the receive queue is bounded by SO_RCVBUF, the rest are dropped
    (RcvbufErrors moves), sends keep succeeding, and RSS stays flat."""
    from client._gen.socketlab.v1 import host_pb2, host_pb2_grpc

    d = spawn_daemon()
    host = host_pb2_grpc.HostStub(grpc.insecure_channel(d.target))

    def snmp() -> dict[str, int]:
        return _snmp_udp(host.ReadProc(host_pb2.ReadProcRequest(path="net/snmp"), timeout=WAIT).content.decode())

    net = client.connect(d.target)
    try:
        rx = net.socket(net.AF_INET, net.SOCK_DGRAM)
        rx.bind(("127.0.0.1", 0))
        tx = net.socket(net.AF_INET, net.SOCK_DGRAM)
        tx.connect(rx.getsockname())
        chunk = bytes(8192)
        for _ in range(200):  # fills the default rcvbuf (212992) many times over
            assert tx.send(chunk, net.MSG_DONTWAIT) == len(chunk)
        base = snmp()
        before = rss_kib(d.proc.pid)
        for _ in range(600):  # ~4.7 MiB more, all dropped
            assert tx.send(chunk, net.MSG_DONTWAIT) == len(chunk)
        after_counts = snmp()
        after = rss_kib(d.proc.pid)
        assert after_counts["RcvbufErrors"] - base["RcvbufErrors"] == 600
        assert after_counts["InErrors"] - base["InErrors"] == 600
        assert after - before < 8 * 1024, (before, after)
        kept = 0
        while True:
            try:
                kept += len(rx.recv(65536, net.MSG_DONTWAIT))
            except BlockingIOError:
                break
        assert 0 < kept <= 212992
    finally:
        net.close()


def test_wait_for_is_bounded() -> None:
    started = time.monotonic()
    assert wait_for(lambda: 1, lambda v: v == 2, timeout=0.1) == 1
    assert time.monotonic() - started < 1
