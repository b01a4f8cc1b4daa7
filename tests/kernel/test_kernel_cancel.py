"""Cancellation is the signal: a cancelled call leaves no side effect (the transport reports EINTR),
except where Linux itself returns a partial count."""
from __future__ import annotations

import asyncio
from typing import Any

import pytest

from kernel import uapi as U


async def _cancel(rig: Any, task: asyncio.Task[Any]) -> None:
    task.cancel()
    await rig.settle()


async def test_cancelled_recv_consumes_nothing(rig: Any) -> None:
    a, b = await rig.pair()
    task = await rig.start("recv", fd=b, size=100, flags=0)
    await _cancel(rig, task)
    assert task.cancelled()
    assert len(rig.sk(b).sk_wq) == 0 and rig.clock.pending() == 0
    await rig.ok("send", fd=a, data=b"after", flags=0)
    assert (await rig.call("recv", fd=b, size=100, flags=0)).data == b"after"


async def test_recv_cancelled_in_the_same_tick_as_data_arrives_leaves_the_data(rig: Any) -> None:
    a, b = await rig.pair(U.SOCK_DGRAM)
    await rig.set_timeo(b, U.SO_RCVTIMEO, 1.0)
    task = await rig.start("recv", fd=b, size=100, flags=0)
    await rig.ok("send", fd=a, data=b"racing", flags=0)  # wakes the task ...
    await _cancel(rig, task)  # ... but the signal wins before it runs
    with pytest.raises(asyncio.CancelledError):
        await task
    assert rig.clock.pending() == 0
    assert (await rig.call("recv", fd=b, size=100, flags=0)).data == b"racing"


async def test_cancelled_accept_leaves_the_connection_queued(rig: Any) -> None:
    lfd = await rig.listener()
    task = await rig.start("accept", fd=lfd)
    c = await rig.socket()
    await rig.ok("connect", fd=c, addr=rig.sun("/tmp/srv"))  # wakes the accept ...
    await _cancel(rig, task)  # ... which is interrupted before it dequeues
    assert task.cancelled()
    files = rig.host.nr_files
    new = await rig.ok("accept", fd=lfd)
    assert rig.host.nr_files == files + 1  # the cancelled accept left no half-made file
    await rig.ok("send", fd=c, data=b"hello", flags=0)
    assert (await rig.call("recv", fd=new, size=10, flags=0)).data == b"hello"


async def test_cancelled_msg_waitall_returns_the_partial_count(rig: Any) -> None:
    a, b = await rig.pair()
    task = await rig.start("recv", fd=b, size=10, flags=U.MSG_WAITALL)
    await rig.ok("send", fd=a, data=b"abc", flags=0)
    await rig.settle()
    assert not task.done()
    await _cancel(rig, task)
    reply = task.result()  # Linux: a signal after some data → the bytes read so far
    assert (reply.ret, reply.data) == (3, b"abc")
    await rig.ok("send", fd=a, data=b"rest", flags=0)
    assert (await rig.call("recv", fd=b, size=10, flags=0)).data == b"rest"


async def test_cancelled_connect_on_a_full_backlog_queues_nothing(rig: Any) -> None:
    lfd = await rig.listener(backlog=0)
    await rig.ok("connect", fd=await rig.socket(), addr=rig.sun("/tmp/srv"))
    c = await rig.socket()
    task = await rig.start("connect", fd=c, addr=rig.sun("/tmp/srv"))
    await _cancel(rig, task)
    assert task.cancelled()
    assert len(rig.sk(lfd).sk_receive_queue) == 1
    assert await rig.err("getpeername", fd=c) == "ENOTCONN"
    await rig.ok("accept", fd=lfd)
    await rig.ok("connect", fd=c, addr=rig.sun("/tmp/srv"))  # the socket is still usable


async def test_cancelled_dgram_send_to_a_full_receiver_queues_nothing(rig: Any) -> None:
    rx = await rig.socket(U.SOCK_DGRAM)
    await rig.ok("bind", fd=rx, addr=rig.sun("/tmp/rx"))
    tx = await rig.socket(U.SOCK_DGRAM)
    qlen = rig.host.sysctl["net.unix.max_dgram_qlen"]
    for i in range(qlen + 1):  # the queue is full once it holds more than max_dgram_qlen
        await rig.ok("sendto", fd=tx, data=b"%d" % i, flags=0, addr=rig.sun("/tmp/rx"))
    task = await rig.start("sendto", fd=tx, data=b"blocked", flags=0, addr=rig.sun("/tmp/rx"))
    assert not task.done()
    await _cancel(rig, task)
    assert task.cancelled()
    assert len(rig.sk(rx).sk_receive_queue) == qlen + 1
    for i in range(qlen + 1):
        assert (await rig.call("recv", fd=rx, size=8, flags=0)).data == b"%d" % i
    assert await rig.err("recv", fd=rx, size=8, flags=U.MSG_DONTWAIT) == "EAGAIN"


async def test_cancelled_dgram_send_uncharges_the_sender(rig: Any) -> None:
    rx = await rig.socket(U.SOCK_DGRAM)
    await rig.ok("bind", fd=rx, addr=rig.sun("/tmp/rx"))
    tx = await rig.socket(U.SOCK_DGRAM)
    for _ in range(rig.host.sysctl["net.unix.max_dgram_qlen"] + 1):
        await rig.ok("sendto", fd=tx, data=b"x", flags=0, addr=rig.sun("/tmp/rx"))
    task = await rig.start("sendto", fd=tx, data=b"blocked", flags=0, addr=rig.sun("/tmp/rx"))
    await _cancel(rig, task)
    while (await rig.call("recv", fd=rx, size=8, flags=U.MSG_DONTWAIT)).ret > 0:
        pass
    assert (await rig.call("ioctl", fd=tx, cmd=U.SIOCOUTQ)).value == 0
    assert rig.sk(tx).sk_wmem_alloc == 0


async def test_cancelled_stream_send_after_a_partial_send_returns_the_count(rig: Any) -> None:
    a, b = await rig.pair()
    await rig.set_int(a, U.SO_SNDBUF, 4096)  # sk_sndbuf 8192: two 4032-byte chunks fit
    task = await rig.start("send", fd=a, data=b"x" * 100_000, flags=0)
    assert not task.done()
    queued = (await rig.call("ioctl", fd=b, cmd=U.FIONREAD)).value
    assert queued == 8064
    await _cancel(rig, task)
    assert not task.cancelled() and task.result().ret == queued


async def test_cancelled_poll_and_epoll_wait_unhook_from_wait_queues(rig: Any) -> None:
    _, b = await rig.pair()
    ep = await rig.ok("epoll_create1", flags=0)
    await rig.ok("epoll_ctl", epfd=ep, op=U.EPOLL_CTL_ADD, fd=b, events=U.EPOLLIN)
    hooked = len(rig.sk(b).sk_wq)  # the epoll item's own entry
    p = await rig.start("poll", fds=[(b, U.POLLIN)], timeout_ms=-1)
    w = await rig.start("epoll_wait", epfd=ep, maxevents=4, timeout_ms=5000)
    assert len(rig.sk(b).sk_wq) == hooked + 1 and rig.clock.pending() == 1
    await _cancel(rig, p)
    await _cancel(rig, w)
    assert p.cancelled() and w.cancelled()
    assert len(rig.sk(b).sk_wq) == hooked and rig.clock.pending() == 0
