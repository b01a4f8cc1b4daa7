"""Faults in a lab (issue #7): TCP across a PeerLink between two in-process daemons
(tests/server/test_link.py's rig: host a's eth1 dials host b's eth1, 10.1.0.1/24 <-> 10.1.0.2/24).

- a link that flaps (the dialer stopped and restarted: carrier down/up on both
  ends, five times) during a 256 KiB TCP transfer: it completes byte-exact
  (TCP retransmits what the dead link dropped);
- the peer daemon killed mid-transfer (its server stopped, its host gone):
  the sender, with TCP_USER_TIMEOUT 1500 ms, ends with ETIMEDOUT as Linux's
  tcp_write_timeout does; the surviving daemon keeps serving, and its
  processes, open files and asyncio tasks return to baseline.
Waits are bounded (asyncio.timeout), never fixed sleeps.
"""
from __future__ import annotations

import asyncio
import hashlib
import struct
from typing import Any

import pytest

from kernel import uapi
from kernel.syscalls import do_syscall
from server.link_service import LinkDialer
from tests.server.test_link import FAST, WAIT, call, host_with_nic, sin, start_daemon, until

pytestmark = pytest.mark.asyncio(loop_scope="module")

TCP_USER_TIMEOUT = 18
PORT = 6000
DATA = bytes((i * 7 + (i >> 8)) & 0xFF for i in range(256 * 1024))


async def _pair() -> tuple[Any, ...]:
    a, ea = host_with_nic("a", "10.1.0.1", None)
    b, eb = host_with_nic("b", "10.1.0.2", ("a", "eth1"))
    da, _ = await start_daemon(a)
    db, servicer = await start_daemon(b)
    dialer = LinkDialer(a, "eth1", f"127.0.0.1:{db.port}", "b", "eth1", "lab1", **FAST)  # type: ignore[arg-type]
    dialer.start()
    await dialer.wait_up(WAIT)
    return a, b, ea, eb, da, db, dialer


async def _connect(a: Any, b: Any) -> tuple[Any, int, Any, int]:
    pb, pa = b.spawn(), a.spawn()
    lfd = (await call(pb, "socket", family=uapi.AF_INET, type=uapi.SOCK_STREAM, protocol=0)).ret
    assert (await call(pb, "bind", fd=lfd, addr=sin("0.0.0.0", PORT))).ret == 0
    assert (await call(pb, "listen", fd=lfd, backlog=4)).ret == 0
    cfd = (await call(pa, "socket", family=uapi.AF_INET, type=uapi.SOCK_STREAM, protocol=0)).ret
    assert (await call(pa, "connect", fd=cfd, addr=sin("10.1.0.2", PORT))).ret == 0
    sfd = (await call(pb, "accept", fd=lfd)).ret
    assert sfd >= 0
    return pa, cfd, pb, sfd


async def _send_all(proc: Any, fd: int, data: bytes, chunk: int = 8192) -> int:
    sent = 0
    while sent < len(data):
        r = await asyncio.wait_for(do_syscall(proc, "send", {"fd": fd, "data": data[sent:sent + chunk], "flags": 0}, None), 60)
        if r.ret < 0:
            return r.ret
        sent += r.ret
    return sent


async def _recv_all(proc: Any, fd: int, n: int) -> bytes:
    got = bytearray()
    while len(got) < n:
        r = await asyncio.wait_for(do_syscall(proc, "recv", {"fd": fd, "size": 65536, "flags": 0}, None), 60)
        assert r.ret > 0, r
        got += r.data
    return bytes(got)


async def test_link_flaps_during_tcp_transfer_byte_exact() -> None:
    a, b, ea, eb, da, db, dialer = await _pair()
    try:
        pa, cfd, pb, sfd = await _connect(a, b)
        receiver = asyncio.ensure_future(_recv_all(pb, sfd, len(DATA)))
        sender = asyncio.ensure_future(_send_all(pa, cfd, DATA))
        for _ in range(5):  # carrier down / up while the transfer runs
            await until(lambda: ea.stats.tx_packets > 0, "traffic on the link")
            await dialer.stop()
            await until(lambda: not ea.carrier and not eb.carrier, "carrier down on both ends")
            dialer.start()
            await dialer.wait_up(WAIT)
        async with asyncio.timeout(120):
            assert await sender == len(DATA)
            got = await receiver
        assert hashlib.sha256(got).hexdigest() == hashlib.sha256(DATA).hexdigest()
        assert dialer.stats.reconnects >= 5 or dialer.stats.connects >= 6
        pa.exit()
        pb.exit()
    finally:
        await dialer.stop()
        await da.stop(grace=None)
        await db.stop(grace=None)


async def test_peer_daemon_killed_mid_transfer_etimedout_and_baseline() -> None:
    a, b, ea, eb, da, db, dialer = await _pair()
    try:
        base = (len(a.processes), a.nr_files, len(asyncio.all_tasks()))
        pa, cfd, pb, sfd = await _connect(a, b)
        assert (await call(pa, "setsockopt", fd=cfd, level=uapi.IPPROTO_TCP, optname=TCP_USER_TIMEOUT,
                           optval=struct.pack("i", 1500))).ret == 0
        first = await _send_all(pa, cfd, DATA[:65536])
        assert first == 65536
        await db.stop(grace=None)  # the peer daemon dies: its host, socket and link end are gone
        await until(lambda: not ea.carrier, "a's NIC lost its carrier")
        async with asyncio.timeout(30):
            rc = await _send_all(pa, cfd, DATA)  # fills the send buffer, then waits: the user timeout ends it
        assert rc == -uapi.ETIMEDOUT, rc
        err = await call(pa, "getsockopt", fd=cfd, level=uapi.SOL_SOCKET, optname=uapi.SO_ERROR, optlen=4)
        assert err.ret == 0
        r = await call(pa, "send", fd=cfd, data=b"x", flags=uapi.MSG_NOSIGNAL)
        assert r.ret == -uapi.EPIPE, r
        pa.exit()
        pb.exit()
        # the surviving daemon still serves; resources back to baseline
        proc = a.spawn()
        assert (await call(proc, "socket", family=uapi.AF_INET, type=uapi.SOCK_DGRAM, protocol=0)).ret >= 0
        proc.exit()
        await until(lambda: (len(a.processes), a.nr_files) == base[:2], "processes and files back to baseline")
        await until(lambda: len(asyncio.all_tasks()) <= base[2], f"asyncio tasks back to {base[2]}")
    finally:
        await dialer.stop()
        await da.stop(grace=None)
        await db.stop(grace=None)
