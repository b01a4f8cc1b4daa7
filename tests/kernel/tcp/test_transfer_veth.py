"""Bulk TCP over a veth pair with netem-like impairments, byte-exact (the whole stack, virtual time).

Both ends' eth0 get NetemQdisc (kernel.net.sched.sch_netem): 10% loss, 5% reorder, 1% duplicate,
20 +- 10 ms delay, seeded.  4 MiB runs always; 100 MiB is marked slow.  The receiver checks every
byte (a seeded pseudo-random stream) and the sender's blocking send returns the full count.
"""
from __future__ import annotations

import asyncio
import hashlib
import random
import struct
from typing import Any

import pytest

from kernel import uapi
from kernel.clock import ManualClock
from kernel.drivers.net.veth import veth_pair
from kernel.host import Host
from kernel.net.ipv4.devinet import inet_insert_ifa
from kernel.net.wire.ipv4 import ip_aton
from kernel.syscalls import do_syscall


def sin(addr: str, port: int) -> bytes:
    return struct.pack("<H", uapi.AF_INET) + struct.pack("!H", port) + bytes(int(x) for x in addr.split(".")) \
        + bytes(8)


def impair(host: Host, dev: Any, seed: int) -> None:
    from kernel.net.sched.sch_generic import qdisc_attach
    from kernel.net.sched.sch_netem import NetemParams, NetemQdisc

    params = NetemParams(delay=0.020, jitter=0.010, loss=0.10, reorder=0.05, duplicate=0.01, limit=100000)
    qdisc_attach(dev, NetemQdisc(host.clock, random.Random(seed), params, limit=100000))


def stream(n: int, seed: int = 7) -> bytes:
    return random.Random(seed).randbytes(n)


async def call(proc: Any, name: str, **args: Any) -> Any:
    return await do_syscall(proc, name, args, None)


async def transfer(size: int, *, impaired: bool = True, max_virtual: float = 3600.0) -> dict[str, Any]:
    clock = ManualClock()
    a = Host(clock=clock, name="a", rng=random.Random("xfer-a"))
    b = Host(clock=clock, name="b", rng=random.Random("xfer-b"))
    da, db = veth_pair(a.netns, "eth0", b.netns, "eth0")
    assert inet_insert_ifa(a.netns, da, ip_aton("10.0.0.1"), 24) == 0
    assert inet_insert_ifa(b.netns, db, ip_aton("10.0.0.2"), 24) == 0
    if impaired:
        impair(a, da, 1)
        impair(b, db, 2)
    pa, pb = a.spawn(), b.spawn()
    lfd = (await call(pb, "socket", family=uapi.AF_INET, type=uapi.SOCK_STREAM, protocol=0)).ret
    assert (await call(pb, "bind", fd=lfd, addr=sin("10.0.0.2", 5001))).ret == 0
    assert (await call(pb, "listen", fd=lfd, backlog=1)).ret == 0
    cfd = (await call(pa, "socket", family=uapi.AF_INET, type=uapi.SOCK_STREAM, protocol=0)).ret
    data = stream(size)
    tasks: list[asyncio.Task[Any]] = []
    con = asyncio.ensure_future(call(pa, "connect", fd=cfd, addr=sin("10.0.0.2", 5001)))
    acc = asyncio.ensure_future(call(pb, "accept", fd=lfd))
    tasks += [con, acc]
    try:
        while not (con.done() and acc.done()):
            clock.advance(0.005)
            for _ in range(5):
                await asyncio.sleep(0)
            assert clock.now() < 1000 + 120, "handshake did not complete"
        assert con.result().ret == 0 and acc.result().ret >= 0
        afd = acc.result().ret
        snd = asyncio.ensure_future(call(pa, "send", fd=cfd, data=data, flags=0))
        tasks.append(snd)
        got = bytearray()
        start = clock.now()
        while len(got) < size:
            r = await call(pb, "recv", fd=afd, size=1 << 20, flags=uapi.MSG_DONTWAIT)
            if r.ret > 0:
                got += r.data
                continue
            assert r.error_name == "EAGAIN", r.error_name
            clock.advance(0.005)
            for _ in range(3):
                await asyncio.sleep(0)
            assert clock.now() - start < max_virtual, f"stalled at {len(got)} of {size} bytes"
        for _ in range(10):
            await asyncio.sleep(0)
        assert snd.done() and snd.result().ret == size
        assert hashlib.sha256(got).digest() == hashlib.sha256(data).digest()
        return {"virtual_seconds": clock.now() - start, "a": a, "b": b}
    finally:
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def test_transfer_unimpaired_1mib() -> None:
    await transfer(1 << 20, impaired=False)


async def test_transfer_impaired_4mib_byte_exact() -> None:
    res = await transfer(4 << 20)
    assert res["a"].netns.mib["Tcp"]["RetransSegs"] > 0  # the loss was real


@pytest.mark.slow
async def test_transfer_impaired_100mib_byte_exact() -> None:
    await transfer(100 << 20, max_virtual=36000.0)
