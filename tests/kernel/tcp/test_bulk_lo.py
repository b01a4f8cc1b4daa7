"""Bulk TCP over 127.0.0.1 on one host the way the API moves it (issue #8, figure 2), on a ManualClock.

A sender task ``sendall``s 64 KiB messages with blocking ``send`` calls, a
receiver task ``recv``s 64 KiB at a time, both through ``do_syscall`` as the
daemon runs them.  Each task may "think" (virtual time between one call's
return and its next call: the RPC round trip of a client).  On Linux such a
flow over lo never waits for a timer (no delayed ACK, probe or RTO holds it
up): whenever both tasks are blocked in the kernel, the flow has stalled.
The driver advances the clock only to the tasks' own think timers, and a
stall fails the test with the timers that were pending.

Also: SO_SNDBUF / SO_RCVBUF report what TCP grew the buffers to, as Linux's
sk_sndbuf / sk_rcvbuf do (tcp_sndbuf_expand at ESTABLISHED: 2626560 on lo with cubic,
3939840 with the host's bbr; DRS's tcp_rcv_space_adjust for the receiver).
"""
from __future__ import annotations

import asyncio
import heapq
import random
import struct
from typing import Any

import pytest

from kernel import uapi
from kernel.clock import ManualClock
from kernel.host import Host
from kernel.net.socket import sockfd_lookup
from kernel.syscalls import do_syscall

MSG = 64 * 1024
_DATA = bytes(range(256)) * (MSG // 256)


def sin(addr: str, port: int) -> bytes:
    return struct.pack("<H", uapi.AF_INET) + struct.pack("!H", port) + bytes(int(x) for x in addr.split(".")) \
        + bytes(8)


class LoBulk:
    """One host, one process, a connected pair over 127.0.0.1 and the two tasks."""

    def __init__(self) -> None:
        self.clock = ManualClock()
        self.host = Host(clock=self.clock, name="h", rng=random.Random("bulk-lo"))
        self.proc = self.host.spawn()
        self.stalls: list[str] = []

    async def call(self, name: str, **args: Any) -> Any:
        return await do_syscall(self.proc, name, args, None)

    async def connect(self) -> tuple[int, int]:
        lfd = (await self.call("socket", family=uapi.AF_INET, type=uapi.SOCK_STREAM, protocol=0)).ret
        assert (await self.call("bind", fd=lfd, addr=sin("127.0.0.1", 5001))).ret == 0
        assert (await self.call("listen", fd=lfd, backlog=8)).ret == 0
        tx = (await self.call("socket", family=uapi.AF_INET, type=uapi.SOCK_STREAM, protocol=0)).ret
        assert (await self.call("connect", fd=tx, addr=sin("127.0.0.1", 5001))).ret == 0
        rx = (await self.call("accept", fd=lfd, addrlen=16)).ret
        assert rx >= 0
        return tx, rx

    def _pending(self, fd: int, name: str) -> list[str]:
        sock = sockfd_lookup(self.proc, fd)
        assert not isinstance(sock, int) and sock.sk is not None
        tp = getattr(sock.sk, "tp", None)
        now = self.clock.now()
        out = []
        if tp is not None and tp.ack_timeout is not None:
            out.append(f"{name} delayed ACK in {(tp.ack_timeout - now) * 1e3:.1f} ms")
        if tp is not None and tp.icsk_timeout is not None:
            out.append(f"{name} icsk timer {tp.icsk_pending} in {(tp.icsk_timeout - now) * 1e3:.1f} ms")
        return out

    async def transfer(self, total: int, think_tx: float, think_rx: float,
                       fds: tuple[int, int] | None = None) -> int:
        """Move ``total`` bytes; returns the number of stalls (both tasks blocked in the kernel)."""
        tx, rx = fds if fds is not None else await self.connect()
        state = {"tx": "call", "rx": "call"}
        got = bytearray()

        async def think(d: float) -> None:
            if d > 0:
                fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()

                def wake() -> None:
                    if not fut.done():
                        fut.set_result(None)

                self.clock.call_at(self.clock.now() + d, wake)
                await fut

        async def sender() -> None:
            for _ in range(total // MSG):
                off = 0
                while off < MSG:
                    state["tx"] = "think"
                    await think(think_tx)
                    state["tx"] = "call"
                    r = await self.call("send", fd=tx, data=_DATA[off:], flags=0)
                    assert r.ret > 0, r.error_name
                    off += r.ret
            state["tx"] = "done"

        async def receiver() -> None:
            while len(got) < total:
                state["rx"] = "think"
                await think(think_rx)
                state["rx"] = "call"
                r = await self.call("recv", fd=rx, size=MSG, flags=0)
                assert r.ret > 0, r.error_name
                got.extend(r.data)
            state["rx"] = "done"

        tasks = [asyncio.ensure_future(sender()), asyncio.ensure_future(receiver())]
        try:
            for _ in range(200_000):
                if all(t.done() for t in tasks):
                    break
                mark = (state["tx"], state["rx"], len(got), self.clock.now())
                for _ in range(20):
                    await asyncio.sleep(0)
                if (state["tx"], state["rx"], len(got), self.clock.now()) != mark:
                    continue
                for t in tasks:
                    if t.done() and t.exception() is not None:
                        raise t.exception()  # type: ignore[misc]
                if state["tx"] in ("call", "done") and state["rx"] in ("call", "done"):
                    self.stalls.append(f"at {len(got)} bytes: "
                                       + ", ".join(self._pending(tx, "tx") + self._pending(rx, "rx")))
                heap = self.clock._heap
                while heap and heap[0][2].cancelled:
                    heapq.heappop(heap)
                assert heap, "deadlock: nothing left to fire"
                self.clock.advance(max(heap[0][0] - self.clock.now(), 0.0) + 1e-9)
            else:
                raise AssertionError("transfer did not finish")
        finally:
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        assert bytes(got) == _DATA * (total // MSG)
        return len(self.stalls)


@pytest.mark.parametrize(("think_tx", "think_rx"), [
    (0.0, 0.0),  # both calls back at once
    (0.0003, 0.0003),  # an RPC round trip on each side
    (0.001, 0.0001),  # a slow writer
    (0.0001, 0.001),  # a slow reader: the window fills, the reader opens it
    (0.0001, 0.01),
])
async def test_lo_bulk_with_64k_writes_and_reads_never_waits_for_a_timer(think_tx: float, think_rx: float) -> None:
    b = LoBulk()
    stalls = await b.transfer(4 * 1024 * 1024, think_tx, think_rx)
    assert stalls == 0, b.stalls[:5]


async def test_so_sndbuf_and_so_rcvbuf_report_the_grown_buffers() -> None:
    """Linux 6.18 on lo: SO_SNDBUF after connect is 2626560 on both ends with cubic (tcp_sndbuf_expand:
    2 * 10 * (131072 + 256); bbr's factor 3 gives 3939840), SO_RCVBUF still 131072; after a bulk transfer whose reader keeps up,
    SO_RCVBUF is the buffer DRS grew (tcp_rcv_space_adjust writes sk_rcvbuf), not tcp_rmem[1]."""
    b = LoBulk()
    tx, rx = await b.connect()

    async def opt(fd: int, name: int) -> int:
        r = await b.call("getsockopt", fd=fd, level=uapi.SOL_SOCKET, optname=name, optlen=4)
        assert r.ret == 0, r.error_name
        return int(struct.unpack("<i", r.data[:4])[0])

    assert [await opt(tx, uapi.SO_SNDBUF), await opt(rx, uapi.SO_SNDBUF)] == [2626560, 2626560]
    assert [await opt(tx, uapi.SO_RCVBUF), await opt(rx, uapi.SO_RCVBUF)] == [131072, 131072]
    await b.transfer(4 * 1024 * 1024, 0.001, 0.0001, fds=(tx, rx))
    sock = sockfd_lookup(b.proc, rx)
    assert not isinstance(sock, int) and sock.sk is not None
    grown = sock.sk.tp.params.rcvbuf  # type: ignore[attr-defined]
    assert grown > 131072
    assert await opt(rx, uapi.SO_RCVBUF) == grown


def _sndbuf_after_connect(net: Any) -> list[int]:
    import socket

    with net.socket(socket.AF_INET, socket.SOCK_STREAM) as srv:
        srv.setsockopt(socket.IPPROTO_TCP, socket.TCP_CONGESTION, b"cubic")
        srv.bind(("127.0.0.1", 0))
        srv.listen(1)
        with net.socket(socket.AF_INET, socket.SOCK_STREAM) as cli:
            cli.setsockopt(socket.IPPROTO_TCP, socket.TCP_CONGESTION, b"cubic")
            cli.connect(srv.getsockname())
            conn, _ = srv.accept()
            with conn:
                return [s.getsockopt(socket.SOL_SOCKET, opt) for s in (cli, conn)
                        for opt in (socket.SO_SNDBUF, socket.SO_RCVBUF)]


def test_so_sndbuf_after_connect_matches_the_host_kernel() -> None:
    """The same calls on the host's lo and on client.local(): cubic's tcp_sndbuf_expand shows in SO_SNDBUF."""
    import socket

    import client

    class HostNet:
        def socket(self, *a: Any) -> socket.socket:
            return socket.socket(*a)

    try:
        want = _sndbuf_after_connect(HostNet())
    except PermissionError:
        pytest.skip("the host does not let this user pick cubic")
    net = client.local()
    try:
        got = _sndbuf_after_connect(net)
    finally:
        net.close()
    assert want == [2626560, 131072, 2626560, 131072]
    assert got == want
