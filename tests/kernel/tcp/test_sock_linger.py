"""SO_LINGER with l_linger > 0: close() sleeps until the FIN is acked or the linger time ends.

Linux (__tcp_close -> sk_stream_wait_close, inet_release's timeout) keeps the
closing task in close() while the socket is in FIN-WAIT-1 / CLOSING / LAST-ACK,
then orphans it (adjudge_to_death: FIN-WAIT-2 gets the tcp_fin_time timer).
O_NONBLOCK does not shorten the wait; a signal ends it and close still returns
0 (the release is task work after the fd is gone); unread data (RST) and
l_linger 0 (abort) never wait.  Checked against the host kernel (6.18) on
127.0.0.1: a peer that ACKs but does not read lets close return at once; a
full peer window keeps the FIN queued and close returns after l_linger.
"""
from __future__ import annotations

import struct
from typing import Any

from kernel import uapi
from kernel.net.ipv4.tcp.states import TCP_CLOSE, TCP_FIN_WAIT1, TCP_FIN_WAIT2, TCP_TIME_WAIT

LO = "127.0.0.1"


def sin(addr: str, port: int) -> bytes:
    return struct.pack("<H", uapi.AF_INET) + struct.pack("!H", port) + bytes(int(x) for x in addr.split(".")) \
        + bytes(8)


async def pair(rig: Any, port: int) -> tuple[int, int, int]:
    lfd = int(await rig.ok("socket", family=uapi.AF_INET, type=uapi.SOCK_STREAM, protocol=0))
    await rig.ok("bind", fd=lfd, addr=sin(LO, port))
    await rig.ok("listen", fd=lfd, backlog=4)
    cfd = int(await rig.ok("socket", family=uapi.AF_INET, type=uapi.SOCK_STREAM, protocol=0))
    await rig.ok("connect", fd=cfd, addr=sin(LO, port))
    afd = int(await rig.ok("accept", fd=lfd))
    return lfd, cfd, afd


async def linger(rig: Any, fd: int, seconds: int) -> None:
    await rig.ok("setsockopt", fd=fd, level=uapi.SOL_SOCKET, optname=uapi.SO_LINGER,
                 optval=struct.pack("<ii", 1, seconds))


async def drain(rig: Any, afd: int) -> None:
    """The peer reads until EOF (advancing time so the sender's window opens again)."""
    for _ in range(200):
        reply = await rig.call("recv", fd=afd, size=65536, flags=uapi.MSG_DONTWAIT)
        if reply.ret == 0:
            return
        await rig.advance(0.2)
    raise AssertionError("no EOF")


async def stall(rig: Any, cfd: int, afd: int) -> None:
    """Fill the peer's receive window (it never reads): our FIN waits behind data it cannot take."""
    await rig.set_int(cfd, uapi.SO_SNDBUF, 1 << 20)
    tp = rig.sk(cfd).tp
    for _ in range(20):
        await rig.fill(cfd, chunk=65536)
        await rig.advance(0.2)
        if tp.snd_wnd == 0 and tp.write_seq != tp.snd_nxt:
            return
    raise AssertionError("the peer's window never closed")


def ext(rig: Any, name: str) -> int:
    return int(rig.host.netns.mib.get("TcpExt", {}).get(name, 0))


async def test_linger_close_returns_once_the_fin_is_acked(rig: Any) -> None:
    _, cfd, afd = await pair(rig, 6000)
    sk = rig.sk(cfd)
    await rig.ok("send", fd=cfd, data=b"x" * 1000, flags=0)  # the peer ACKs but does not read
    await linger(rig, cfd, 10)
    task = await rig.start("close", fd=cfd)
    await rig.advance(0.05)  # the peer's ACK of the FIN is delayed (pingpong after tcp_fin), as on Linux
    assert task.done() and task.result().ret == 0
    assert sk.sk_state == TCP_FIN_WAIT2 and sk.sock_flag("dead") and sk.tp.orphan
    # the orphan's FIN-WAIT-2 timer (tcp_fin_time: 60 s) ends it
    await rig.advance(61)
    assert sk.sk_state == TCP_CLOSE
    assert (await rig.call("recv", fd=afd, size=2000, flags=0)).ret == 1000


async def test_linger_close_sleeps_until_linger_time_when_the_fin_cannot_go(rig: Any) -> None:
    _, cfd, afd = await pair(rig, 6001)
    sk = rig.sk(cfd)
    await stall(rig, cfd, afd)
    await linger(rig, cfd, 5)
    await rig.ok("fcntl", fd=cfd, cmd=uapi.F_SETFL, arg=uapi.O_NONBLOCK)  # O_NONBLOCK does not matter
    task = await rig.start("close", fd=cfd)
    assert not task.done()
    assert await rig.err("getsockname", fd=cfd) == "EBADF"  # the fd went at once
    assert sk.sk_state == TCP_FIN_WAIT1 and not sk.sock_flag("dead") and not sk.tp.orphan
    await rig.advance(4.5)
    assert not task.done()
    await rig.advance(0.6)
    assert task.done() and task.result().ret == 0
    assert sk.sk_state == TCP_FIN_WAIT1 and sk.sock_flag("dead") and sk.tp.orphan
    # the peer reads everything: the FIN goes, is acked, and the orphan moves on
    await drain(rig, afd)
    await rig.advance(0.1)
    assert sk.sk_state == TCP_FIN_WAIT2


async def test_linger_close_wakes_when_the_fin_is_acked_during_the_wait(rig: Any) -> None:
    _, cfd, afd = await pair(rig, 6002)
    sk = rig.sk(cfd)
    await stall(rig, cfd, afd)
    await linger(rig, cfd, 30)
    start = rig.clock.now()
    task = await rig.start("close", fd=cfd)
    assert not task.done()
    await rig.ok("shutdown", fd=afd, how=uapi.SHUT_WR)
    await drain(rig, afd)
    await rig.advance(0.1)
    assert task.done() and task.result().ret == 0
    assert sk.tw is not None or sk.sk_state == TCP_TIME_WAIT  # CLOSING -> TIME-WAIT (or FIN-WAIT-2 -> TIME-WAIT)
    assert rig.clock.now() - start < 30


async def test_linger_close_interrupted_still_closes(rig: Any) -> None:
    _, cfd, afd = await pair(rig, 6003)
    sk = rig.sk(cfd)
    await stall(rig, cfd, afd)
    await linger(rig, cfd, 30)
    task = await rig.start("close", fd=cfd)
    assert not task.done()
    task.cancel()  # a signal
    await rig.settle()
    assert task.done() and not task.cancelled() and task.result().ret == 0
    assert sk.sk_state == TCP_FIN_WAIT1 and sk.sock_flag("dead") and sk.tp.orphan
    assert await rig.err("getsockname", fd=cfd) == "EBADF"


async def test_linger_never_waits_for_unread_data_or_zero_linger(rig: Any) -> None:
    _, cfd, afd = await pair(rig, 6004)
    await rig.ok("send", fd=afd, data=b"unread", flags=0)
    await rig.advance(0.1)
    await linger(rig, cfd, 30)
    sk = rig.sk(cfd)
    task = await rig.start("close", fd=cfd)
    assert task.done() and task.result().ret == 0 and sk.sk_state == TCP_CLOSE
    _, cfd2, afd2 = await pair(rig, 6005)
    await stall(rig, cfd2, afd2)
    await linger(rig, cfd2, 0)
    sk2 = rig.sk(cfd2)
    task = await rig.start("close", fd=cfd2)
    assert task.done() and task.result().ret == 0 and sk2.sk_state == TCP_CLOSE
    assert ext(rig, "TCPAbortOnClose") == 1 and ext(rig, "TCPAbortOnData") == 1


async def test_linger_close_of_a_dup_waits_only_at_the_last_reference(rig: Any) -> None:
    _, cfd, afd = await pair(rig, 6006)
    await stall(rig, cfd, afd)
    await linger(rig, cfd, 5)
    dup = int(await rig.ok("dup", fd=cfd))
    task = await rig.start("close", fd=cfd)
    assert task.done() and task.result().ret == 0
    assert rig.sk(dup).sk_state != TCP_CLOSE
    task = await rig.start("close", fd=dup)
    assert not task.done()
    await rig.advance(5.1)
    assert task.done() and task.result().ret == 0


async def test_process_exit_does_not_linger(rig: Any) -> None:
    other = rig.host.spawn()
    lfd = int(await rig.ok("socket", family=uapi.AF_INET, type=uapi.SOCK_STREAM, protocol=0))
    await rig.ok("bind", fd=lfd, addr=sin(LO, 6007))
    await rig.ok("listen", fd=lfd, backlog=4)
    cfd = int(await rig.ok("socket", other, family=uapi.AF_INET, type=uapi.SOCK_STREAM, protocol=0))
    await rig.ok("connect", other, fd=cfd, addr=sin(LO, 6007))
    await rig.ok("accept", fd=lfd)  # (never read)
    sk = rig.sk(cfd, other)
    await rig.set_int(cfd, uapi.SO_SNDBUF, 1 << 20, proc=other)
    for _ in range(10):
        await rig.fill(cfd, chunk=65536, proc=other)
        await rig.advance(0.2)
    await rig.ok("setsockopt", other, fd=cfd, level=uapi.SOL_SOCKET, optname=uapi.SO_LINGER,
                 optval=struct.pack("<ii", 1, 30))
    other.exit()
    assert sk.sk_state == TCP_FIN_WAIT1 and sk.sock_flag("dead") and sk.tp.orphan
