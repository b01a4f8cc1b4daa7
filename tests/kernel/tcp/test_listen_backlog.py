"""listen() and accept() (inet_listen, inet_csk_listen_start, inet_csk_accept) on the emulated loopback.

Figures measured on Linux 6.18: with listen(backlog) the accept queue holds backlog + 1 connections
(sk_acceptq_is_full is ack_backlog > max_ack_backlog); later SYNs are dropped (ListenOverflows,
ListenDrops), so those clients stay in SYN-SENT (getpeername: ENOTCONN) until a retransmitted SYN
finds room.
"""
from __future__ import annotations

import asyncio
import struct
from typing import Any

import pytest

from kernel import uapi
from kernel.net.ipv4.tcp.states import TCP_ESTABLISHED, TCP_SYN_SENT

LO = "127.0.0.1"


def sin(addr: str, port: int) -> bytes:
    return struct.pack("<H", uapi.AF_INET) + struct.pack("!H", port) + bytes(int(x) for x in addr.split(".")) \
        + bytes(8)


async def tcp(rig: Any, nonblock: bool = False) -> int:
    t = uapi.SOCK_STREAM | (uapi.SOCK_NONBLOCK if nonblock else 0)
    return int(await rig.ok("socket", family=uapi.AF_INET, type=t, protocol=0))


async def listener(rig: Any, port: int, backlog: int) -> int:
    fd = await tcp(rig)
    await rig.ok("bind", fd=fd, addr=sin(LO, port))
    await rig.ok("listen", fd=fd, backlog=backlog)
    return fd


def ext(rig: Any, name: str) -> int:
    return int(rig.host.netns.mib.get("TcpExt", {}).get(name, 0))


@pytest.mark.parametrize("backlog", [0, 1, 3])
async def test_accept_queue_holds_backlog_plus_one(rig: Any, backlog: int) -> None:
    lfd = await listener(rig, 5000, backlog)
    clients = []
    for _ in range(backlog + 4):
        c = await tcp(rig, nonblock=True)
        assert await rig.err("connect", fd=c, addr=sin(LO, 5000)) == "EINPROGRESS"
        clients.append(c)
    states = [rig.sk(c).sk_state for c in clients]
    assert states == [TCP_ESTABLISHED] * (backlog + 1) + [TCP_SYN_SENT] * 3
    assert [await rig.err("getpeername", fd=c) for c in clients[backlog + 1:]] == ["ENOTCONN"] * 3
    assert ext(rig, "ListenOverflows") == 3 and ext(rig, "ListenDrops") == 3
    accepted = 0
    while (await rig.call("accept4", fd=lfd, flags=uapi.SOCK_NONBLOCK)).ret >= 0:
        accepted += 1
    assert accepted == backlog + 1
    # a retransmitted SYN (1 s RTO) now finds room
    await rig.advance(1.0)
    assert rig.sk(clients[backlog + 1]).sk_state == TCP_ESTABLISHED


async def test_accept_nonblocking_eagain_and_not_listening_einval(rig: Any) -> None:
    fd = await tcp(rig)
    assert await rig.err("accept", fd=fd) == "EINVAL"
    await rig.ok("bind", fd=fd, addr=sin(LO, 5001))
    assert await rig.err("accept", fd=fd) == "EINVAL"
    await rig.ok("listen", fd=fd, backlog=4)
    nb = await tcp(rig, nonblock=True)
    await rig.ok("bind", fd=nb, addr=sin(LO, 5002))
    await rig.ok("listen", fd=nb, backlog=4)
    assert await rig.err("accept", fd=nb) == "EAGAIN"


async def test_accept_rcvtimeo_eagain(rig: Any) -> None:
    lfd = await listener(rig, 5003, 4)
    await rig.set_timeo(lfd, uapi.SO_RCVTIMEO, 2.0)
    task = await rig.start("accept", fd=lfd)
    await rig.advance(1.9)
    assert not task.done()
    await rig.advance(0.2)
    assert task.done() and task.result().error_name == "EAGAIN"


async def test_blocking_accept_wakes_exactly_one_accepter(rig: Any) -> None:
    lfd = await listener(rig, 5004, 8)
    t1 = await rig.start("accept", fd=lfd)
    t2 = await rig.start("accept", fd=lfd)
    c = await tcp(rig)
    await rig.ok("connect", fd=c, addr=sin(LO, 5004))
    await rig.settle()
    done = [t for t in (t1, t2) if t.done()]
    assert len(done) == 1 and done[0].result().ret >= 0
    c2 = await tcp(rig)
    await rig.ok("connect", fd=c2, addr=sin(LO, 5004))
    await rig.settle()
    assert t1.done() and t2.done() and t1.result().ret >= 0 and t2.result().ret >= 0


async def test_accept_cancelled_is_eintr_and_leaves_the_queue(rig: Any) -> None:
    lfd = await listener(rig, 5005, 8)
    task = await rig.start("accept", fd=lfd)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    c = await tcp(rig)
    await rig.ok("connect", fd=c, addr=sin(LO, 5005))
    assert await rig.ok("accept", fd=lfd) >= 0


async def test_listen_rules(rig: Any) -> None:
    lfd = await listener(rig, 5006, 1)
    assert rig.sk(lfd).sk_max_ack_backlog == 1
    await rig.ok("listen", fd=lfd, backlog=7)  # listen again: only the backlog changes
    assert rig.sk(lfd).sk_max_ack_backlog == 7
    await rig.ok("listen", fd=lfd, backlog=100000)  # clamped to net.core.somaxconn
    assert rig.sk(lfd).sk_max_ack_backlog == 4096
    c = await tcp(rig)
    await rig.ok("connect", fd=c, addr=sin(LO, 5006))
    assert await rig.err("listen", fd=c, backlog=1) == "EINVAL"  # connected
    assert await rig.err("connect", fd=lfd, addr=sin(LO, 5006)) == "EISCONN"  # a listener
    u = await rig.ok("socket", family=uapi.AF_INET, type=uapi.SOCK_DGRAM, protocol=0)
    assert await rig.err("listen", fd=u, backlog=1) == "EOPNOTSUPP"


async def test_listen_autobinds_an_odd_port(rig: Any) -> None:
    fd = await tcp(rig)
    await rig.ok("listen", fd=fd, backlog=1)
    r = await rig.call("getsockname", fd=fd)
    port = struct.unpack_from("!H", r.addr, 2)[0]
    assert port % 2 == 1 and 32768 <= port <= 60999


async def test_closing_listener_resets_queued_children(rig: Any) -> None:
    lfd = await listener(rig, 5007, 4)
    c = await tcp(rig)
    await rig.ok("connect", fd=c, addr=sin(LO, 5007))
    await rig.ok("close", fd=lfd)
    r = await rig.call("recv", fd=c, size=10, flags=uapi.MSG_DONTWAIT)
    assert r.error_name == "ECONNRESET"
    # the port is free again
    fd = await tcp(rig)
    assert await rig.err("bind", fd=fd, addr=sin(LO, 5007)) == ""
