"""TCP bind rules (inet_csk_get_port) against the host kernel: the same sequence run on Linux (stdlib
socket, 127.0.0.0/8) and on the emulated kernel must give the same errnos.

The matrix: two sockets, each with or without SO_REUSEADDR / SO_REUSEPORT, the first bound or
listening, on the same address, a wildcard and a specific one (both orders), or two different loopback
addresses; the second binds (and, when that works, listens).  Plus bind(0) parity, TIME-WAIT and
SO_ACCEPTCONN.
"""
from __future__ import annotations

import errno
import itertools
import socket
import struct
from typing import Any

import pytest

from kernel import uapi
from tests.conftest import free_ports

OPTS = [(0, 0), (1, 0), (0, 1), (1, 1)]
ADDRS = [("127.0.0.1", "127.0.0.1"), ("0.0.0.0", "127.0.0.1"), ("127.0.0.1", "0.0.0.0"),
         ("127.0.0.1", "127.0.0.2")]
CASES = list(itertools.product(OPTS, OPTS, (False, True), ADDRS))


def sin(addr: str, port: int) -> bytes:
    return struct.pack("<H", uapi.AF_INET) + struct.pack("!H", port) + socket.inet_aton(addr) + bytes(8)


def host_case(a_opts: tuple[int, int], b_opts: tuple[int, int], a_listen: bool, addrs: tuple[str, str],
              port: int) -> str:
    a, b = socket.socket(), socket.socket()
    try:
        for s, (ra, rp) in ((a, a_opts), (b, b_opts)):
            if ra:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if rp:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        a.bind((addrs[0], port))
        if a_listen:
            a.listen(1)
        try:
            b.bind((addrs[1], port))
        except OSError as e:
            return errno.errorcode[e.errno]
        try:
            b.listen(1)
        except OSError as e:
            return "bound/" + errno.errorcode[e.errno]
        return "bound/listening"
    finally:
        a.close()
        b.close()


async def emu_case(rig: Any, a_opts: tuple[int, int], b_opts: tuple[int, int], a_listen: bool,
                   addrs: tuple[str, str], port: int) -> str:
    a = await rig.ok("socket", family=uapi.AF_INET, type=uapi.SOCK_STREAM, protocol=0)
    b = await rig.ok("socket", family=uapi.AF_INET, type=uapi.SOCK_STREAM, protocol=0)
    try:
        for fd, (ra, rp) in ((a, a_opts), (b, b_opts)):
            if ra:
                await rig.set_int(fd, uapi.SO_REUSEADDR, 1)
            if rp:
                await rig.set_int(fd, uapi.SO_REUSEPORT, 1)
        await rig.ok("bind", fd=a, addr=sin(addrs[0], port))
        if a_listen:
            await rig.ok("listen", fd=a, backlog=1)
        e = await rig.err("bind", fd=b, addr=sin(addrs[1], port))
        if e:
            return e
        e = await rig.err("listen", fd=b, backlog=1)
        return "bound/" + (e or "listening")
    finally:
        await rig.ok("close", fd=a)
        await rig.ok("close", fd=b)




@pytest.fixture(scope="module")
def linux_matrix() -> dict[int, str]:
    port = free_ports(1)[0]
    try:
        return {i: host_case(*case, port) for i, case in enumerate(CASES)}
    except OSError as e:  # e.g. no 127.0.0.2 on this machine's lo
        pytest.skip(f"host kernel experiment unavailable: {e}")


async def test_bind_matrix_matches_linux(rig: Any, linux_matrix: dict[int, str]) -> None:
    got = {i: await emu_case(rig, *case, 5555) for i, case in enumerate(CASES)}
    diffs = [(CASES[i], linux_matrix[i], got[i]) for i in got if got[i] != linux_matrix[i]]
    assert not diffs, "\n".join(f"{c}: linux {w} emulated {g}" for c, w, g in diffs)


async def test_bind_port0_is_odd_and_connect_port_even(rig: Any) -> None:
    ports = []
    for _ in range(6):
        fd = await rig.ok("socket", family=uapi.AF_INET, type=uapi.SOCK_STREAM, protocol=0)
        await rig.ok("bind", fd=fd, addr=sin("127.0.0.1", 0))
        ports.append(struct.unpack_from("!H", (await rig.call("getsockname", fd=fd)).addr, 2)[0])
    assert all(p % 2 == 1 and 32768 <= p <= 60999 for p in ports), ports
    lfd = await rig.ok("socket", family=uapi.AF_INET, type=uapi.SOCK_STREAM, protocol=0)
    await rig.ok("bind", fd=lfd, addr=sin("127.0.0.1", 7000))
    await rig.ok("listen", fd=lfd, backlog=8)
    for _ in range(4):
        c = await rig.ok("socket", family=uapi.AF_INET, type=uapi.SOCK_STREAM, protocol=0)
        await rig.ok("connect", fd=c, addr=sin("127.0.0.1", 7000))
        port = struct.unpack_from("!H", (await rig.call("getsockname", fd=c)).addr, 2)[0]
        assert port % 2 == 0 and 32768 <= port <= 60999, port


async def test_bind_port0_reuseaddr_takes_the_lower_half(rig: Any) -> None:
    fd = await rig.ok("socket", family=uapi.AF_INET, type=uapi.SOCK_STREAM, protocol=0)
    await rig.set_int(fd, uapi.SO_REUSEADDR, 1)
    await rig.ok("bind", fd=fd, addr=sin("0.0.0.0", 0))
    port = struct.unpack_from("!H", (await rig.call("getsockname", fd=fd)).addr, 2)[0]
    assert 32768 <= port < 32768 + ((61000 - 32768) >> 2 << 1)


async def test_bind_port0_exhausted_is_eaddrinuse(rig: Any) -> None:
    rig.host.sysctl["net.ipv4.ip_local_port_range"] = (40000, 40003)
    for _ in range(4):
        fd = await rig.ok("socket", family=uapi.AF_INET, type=uapi.SOCK_STREAM, protocol=0)
        await rig.ok("bind", fd=fd, addr=sin("127.0.0.1", 0))
    fd = await rig.ok("socket", family=uapi.AF_INET, type=uapi.SOCK_STREAM, protocol=0)
    assert await rig.err("bind", fd=fd, addr=sin("127.0.0.1", 0)) == "EADDRINUSE"
    # listen() without bind autobinds; none left
    assert await rig.err("listen", fd=fd, backlog=1) == "EADDRINUSE"


async def test_close_releases_port(rig: Any) -> None:
    fd = await rig.ok("socket", family=uapi.AF_INET, type=uapi.SOCK_STREAM, protocol=0)
    await rig.ok("bind", fd=fd, addr=sin("127.0.0.1", 6000))
    await rig.ok("listen", fd=fd, backlog=1)
    await rig.ok("close", fd=fd)
    fd = await rig.ok("socket", family=uapi.AF_INET, type=uapi.SOCK_STREAM, protocol=0)
    assert await rig.err("bind", fd=fd, addr=sin("127.0.0.1", 6000)) == ""


async def test_so_acceptconn(rig: Any) -> None:
    fd = await rig.ok("socket", family=uapi.AF_INET, type=uapi.SOCK_STREAM, protocol=0)

    async def acceptconn() -> int:
        r = await rig.call("getsockopt", fd=fd, level=uapi.SOL_SOCKET, optname=uapi.SO_ACCEPTCONN, optlen=4)
        return int(struct.unpack("<i", r.data)[0])
    assert await acceptconn() == 0
    await rig.ok("listen", fd=fd, backlog=1)
    assert await acceptconn() == 1
