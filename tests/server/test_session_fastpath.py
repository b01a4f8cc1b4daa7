"""The session's fast paths keep the slow paths' behaviour.

* a call runs inline up to its first suspension (server.registry.start_eagerly)
  and, if it blocks, goes on in a task exactly where it stopped -- cancels
  included, even one that reaches the task before its first step;
* the read loop writes inline replies itself, yet a client that pipelines
  calls without reading the replies never deadlocks the session (HTTP/2 flow
  control stalls the write; reading goes on elsewhere);
* Call.fill (in place) gives the message Call.to_response gives;
* client/_grpc.py's fast encoders and decoders give what the general ones give.
"""
from __future__ import annotations

import asyncio
import itertools
import random
import struct
from collections.abc import AsyncIterator
from typing import Any

import grpc
import pytest
import pytest_asyncio

import client._grpc as cg
from client._gen.socketlab.v1 import process_pb2 as pb
from client._gen.socketlab.v1 import process_pb2_grpc as pb_grpc
from client._gen.socketlab.v1 import socketcall_pb2 as sc
from kernel.syscalls import SysMsg, SysReply
from server.app import Daemon, build
from server.convert import CALLS
from server.registry import start_eagerly

AF_UNIX, SOCK_STREAM = 1, 1
MSG_PEEK = 2
EBADF = 9
WAIT = 30.0


# --- start_eagerly ----------------------------------------------------------


async def test_start_eagerly_finishes_inline_without_a_task() -> None:
    steps: list[str] = []

    async def quick() -> int:
        steps.append("ran")
        return 7

    assert start_eagerly(quick()) == (True, 7, None)
    assert steps == ["ran"]


async def test_start_eagerly_hands_a_blocked_coroutine_to_a_task() -> None:
    fut: asyncio.Future[int] = asyncio.get_running_loop().create_future()
    seen: list[Any] = []

    async def blocked() -> int:
        seen.append("before")
        value = await fut
        seen.append(asyncio.current_task())
        return value + 1

    done, result, task = start_eagerly(blocked())
    assert (done, result, seen) == (False, None, ["before"])
    assert task is not None
    fut.set_result(41)
    assert await asyncio.wait_for(task, WAIT) == 42
    assert seen[1] is task  # the rest ran in the task


@pytest.mark.parametrize("yield_first", [False, True])
async def test_a_cancel_before_the_tasks_first_step_reaches_the_coroutine(yield_first: bool) -> None:
    """Cancelled at once: the coroutine sees CancelledError where it waits and may answer (like EINTR)."""
    fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    cleaned: list[str] = []

    async def blocked() -> str:
        try:
            if yield_first:
                await asyncio.sleep(0)  # a bare yield first
            await fut
        except asyncio.CancelledError:
            task = asyncio.current_task()
            assert task is not None
            task.uncancel()
            return "EINTR"
        finally:
            cleaned.append("finally")
        return "done"

    done, _, task = start_eagerly(blocked())
    assert not done and task is not None
    task.cancel()
    assert await asyncio.wait_for(task, WAIT) == "EINTR"
    assert cleaned == ["finally"]


async def test_an_exception_of_the_first_step_propagates() -> None:
    async def bad() -> None:
        raise ValueError("first step")

    with pytest.raises(ValueError, match="first step"):
        start_eagerly(bad())


# --- the session's read loop ------------------------------------------------


@pytest_asyncio.fixture(loop_scope="function")
async def target() -> AsyncIterator[str]:
    daemon: Daemon = build("127.0.0.1:0")
    await daemon.start()
    try:
        yield f"127.0.0.1:{daemon.port}"
    finally:
        await daemon.stop(grace=None)


async def _open(channel: grpc.aio.Channel) -> tuple[Any, int, int]:
    call: Any = pb_grpc.ProcessStub(channel).Session()
    await call.write(pb.SessionRequest(open=pb.OpenProcess()))
    assert (await call.read()).HasField("opened")
    await call.write(pb.SessionRequest(id=1, socketpair=sc.SocketPairRequest(family=AF_UNIX, type=SOCK_STREAM)))
    a, b = (await call.read()).socketpair.fds
    return call, a, b


async def test_pipelining_without_reading_the_replies_does_not_deadlock(target: str) -> None:
    """Big requests and big replies, none read until all are sent: both directions hit flow control."""
    calls = 3000
    async with grpc.aio.insecure_channel(target) as channel:
        call, a, b = await _open(channel)
        await call.write(pb.SessionRequest(id=2, send=sc.SendRequest(fd=a, data=b"x" * 4096)))
        assert (await call.read()).send.result.ret == 4096
        big = b"y" * 32768
        async with asyncio.timeout(WAIT):
            for i in range(calls):
                await call.write(pb.SessionRequest(id=10 + 2 * i, recv=sc.RecvRequest(fd=b, size=4096, flags=MSG_PEEK)))
                await call.write(pb.SessionRequest(id=11 + 2 * i, send=sc.SendRequest(fd=99, data=big)))
            ids = set()
            for _ in range(2 * calls):
                msg = await call.read()
                kind = msg.WhichOneof("kind")
                assert (kind, msg.recv.result.ret if kind == "recv" else msg.send.result.error_number) in (
                    ("recv", 4096), ("send", EBADF))
                ids.add(msg.id)
            assert ids == set(range(10, 10 + 2 * calls))
            await call.done_writing()
            assert await call.read() is grpc.aio.EOF  # type: ignore[attr-defined]


async def test_every_call_of_a_mixed_burst_gets_one_reply(target: str) -> None:
    """Inline and blocking calls and cancels, pipelined: one reply per call, blocked ones answered later."""
    async with grpc.aio.insecure_channel(target) as channel:
        call, a, b = await _open(channel)
        burst = []
        for i in range(50):
            burst.append(pb.SessionRequest(id=100 + i, recv=sc.RecvRequest(fd=b, size=1)))  # blocks (no data)
            burst.append(pb.SessionRequest(id=200 + i, fcntl=sc.FcntlRequest(fd=a, cmd=1)))  # F_GETFD: inline
        burst += [pb.SessionRequest(id=100 + i, cancel=pb.CancelCall()) for i in range(0, 50, 2)]
        burst.append(pb.SessionRequest(id=300, send=sc.SendRequest(fd=a, data=b"z" * 25)))  # wakes 25 recvs
        async with asyncio.timeout(WAIT):
            for req in burst:
                await call.write(req)
            replies: dict[int, pb.SessionResponse] = {}
            while len(replies) < 101:
                msg = await call.read()
                assert msg.id not in replies
                replies[msg.id] = msg
            await call.done_writing()
            assert await call.read() is grpc.aio.EOF  # type: ignore[attr-defined]
        assert all(replies[200 + i].fcntl.result.ret == 0 for i in range(50))
        assert replies[300].send.result.ret == 25
        recvs = [replies[100 + i].recv for i in range(50)]
        assert all(r.result.error_name == "EINTR" for r in recvs[0::2])
        assert [(r.result.ret, r.data) for r in recvs[1::2]] == [(1, b"z")] * 25


# --- conversions ------------------------------------------------------------


def _replies() -> list[SysReply]:
    addrs = [(b"", 0), (struct.pack("<H", AF_UNIX) + b"/tmp/x\0", 9), (struct.pack("<H", AF_UNIX) + b"\0abs", 6),
             (struct.pack("<H", 2) + struct.pack(">H", 80) + bytes([127, 0, 0, 1]) + bytes(8), 16), (b"\x01", 1)]
    out = []
    for ret, data, (addr, alen), timed_out in itertools.product(
            (-11, -4, 0, 1, 64), (b"", b"abc"), addrs, (False, True)):
        out.append(SysReply(ret=ret, timed_out=timed_out, data=data, addr=addr, addrlen=alen,
                            fds=[3, 4] if ret > 0 else [], value=ret,
                            msgs=[SysMsg(msg_len=3, data=b"abc", addr=addr, addrlen=alen)] if ret > 0 else []))
    return out


@pytest.mark.parametrize("name", sorted(CALLS))
def test_fill_gives_what_to_response_gives(name: str) -> None:
    call = CALLS[name]
    req = pb.SessionRequest()
    getattr(req, name).SetInParent()
    body = getattr(req, name)
    for reply in _replies():
        slow = pb.SessionResponse(id=7)
        getattr(slow, name).CopyFrom(call.to_response(reply, body))
        fast = pb.SessionResponse(id=7)
        call.fill(reply, body, getattr(fast, name))
        assert fast == slow
        assert fast.SerializeToString(deterministic=True) == slow.SerializeToString(deterministic=True)


def _outcome(fn: Any, *args: Any) -> Any:
    try:
        return ("ok", fn(*args))
    except Exception as exc:  # noqa: BLE001 - compared
        return ("raised", type(exc), str(exc))


@pytest.mark.parametrize("op", sorted(cg._FILLERS))
def test_fast_encoders_match_the_general_ones(op: str, monkeypatch: pytest.MonkeyPatch) -> None:
    keys = {"send": ["fd", "data", "flags"], "recv": ["fd", "size", "flags"],
            "sendto": ["fd", "data", "flags", "addr"], "recvfrom": ["fd", "size", "flags", "addrlen"]}[op]
    values = [b"", "", 0, 3, -1, 2**31 - 1, 2**31, -2**31 - 1, 2**32, True, None, "x", b"ab", 1.5,
              bytearray(b"q"), memoryview(b"mv")]
    rng = random.Random(op)
    fast_fillers = dict(cg._FILLERS)
    for _ in range(3000):
        args = {k: rng.choice(values) for k in keys if rng.random() < 0.85}
        timeout = rng.choice([None, 0.5])
        monkeypatch.setattr(cg, "_FILLERS", {})
        slow = _outcome(cg.encode, op, args, timeout)
        monkeypatch.setattr(cg, "_FILLERS", fast_fillers)
        fast = _outcome(cg.encode, op, args, timeout)
        if slow[0] == fast[0] == "ok":
            assert fast[1] == slow[1] and fast[1].SerializeToString() == slow[1].SerializeToString(), args
        else:
            assert fast == slow, args


def test_fast_decoders_match_the_general_one(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(5)
    fast_decoders = dict(cg._DECODERS)
    for field in pb.SessionResponse.DESCRIPTOR.oneofs_by_name["kind"].fields:
        for _ in range(200):
            msg = pb.SessionResponse(id=3)
            body: Any = getattr(msg, field.name)
            body.SetInParent()
            names = {f.name for f in body.DESCRIPTOR.fields}
            if "result" in names and rng.random() < 0.9:
                body.result.ret = rng.choice([-11, 0, 5, 64])
                body.result.timed_out = rng.random() < 0.2
            if "data" in names and rng.random() < 0.7:
                body.data = b"xyz"
            if "address" in names and rng.random() < 0.6:
                body.address.raw = b"\x01\x00/p"
                body.address.length = rng.choice([0, 4, 200])
            monkeypatch.setattr(cg, "_DECODERS", {})
            slow = _outcome(cg.decode, msg)
            monkeypatch.setattr(cg, "_DECODERS", fast_decoders)
            assert _outcome(cg.decode, msg) == slow, msg
