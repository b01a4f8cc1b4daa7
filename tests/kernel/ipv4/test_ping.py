"""ICMP echo ("ping") sockets (net/ipv4/ping.c) on loopback, as Linux 6.18 behaves.

Expected values were read off the host kernel in a scratch netns with
net.ipv4.ping_group_range set to "0 0": creation gating, identifier binding
with SO_REUSEADDR on by default, what the kernel writes into the echo, the
reply as recvfrom returns it, the errnos of sendto and bind.
"""
from __future__ import annotations

import socket
import struct
from typing import Any

import pytest

from kernel import uapi
from kernel.net.ipv4.ping import ping_sockets
from kernel.net.wire.checksum import internet_checksum

LO = "127.0.0.1"


def sin(addr: str, port: int = 0, family: int = uapi.AF_INET) -> bytes:
    return struct.pack("<H", family) + struct.pack("!H", port) + socket.inet_aton(addr) + bytes(8)


def echo(ident: int, seq: int, data: bytes, type_: int = 8, code: int = 0, csum: int = 0) -> bytes:
    return struct.pack("!BBHHH", type_, code, csum, ident, seq) + data


def port_of(raw: bytes) -> int:
    return int(struct.unpack_from("!H", raw, 2)[0])


@pytest.fixture
def pingrig(rig: Any) -> Any:
    rig.host.sysctl["net.ipv4.ping_group_range"] = (0, 0)
    return rig


async def ping(rig: Any, proc: Any = None) -> int:
    return int(await rig.ok("socket", proc, family=uapi.AF_INET, type=uapi.SOCK_DGRAM, protocol=uapi.IPPROTO_ICMP))


async def test_ping_group_range_gates_creation(rig: Any) -> None:
    args = {"family": uapi.AF_INET, "type": uapi.SOCK_DGRAM, "protocol": uapi.IPPROTO_ICMP}
    assert await rig.err("socket", **args) == "EACCES"  # "1 0": nobody, root included
    rig.host.sysctl["net.ipv4.ping_group_range"] = (0, 0)
    fd = await rig.ok("socket", **args)
    user = rig.host.spawn(uid=1000, gid=1000)
    assert await rig.err("socket", user, **args) == "EACCES"
    rig.host.sysctl["net.ipv4.ping_group_range"] = "100 2000"
    assert await rig.ok("socket", user, **args) >= 0
    reply = await rig.call("getsockopt", fd=fd, level=uapi.SOL_SOCKET, optname=uapi.SO_PROTOCOL, optlen=4)
    assert reply.data == struct.pack("<i", 1)
    reply = await rig.call("getsockname", fd=fd)
    assert reply.addr[:8] == sin("0.0.0.0")[:8]


async def test_echo_roundtrip(pingrig: Any) -> None:
    rig = pingrig
    fd = await ping(rig)
    mib = rig.host.netns.mib["Icmp"]
    before = (mib["OutEchos"], mib["OutMsgs"], mib["InEchoReps"])
    assert await rig.ok("sendto", fd=fd, data=echo(0x7777, 5, b"hello", csum=0xDEAD), flags=0,
                        addr=sin(LO, 99)) == 13
    ident = port_of((await rig.call("getsockname", fd=fd)).addr)
    assert ident != 0
    reply = await rig.call("recvfrom", fd=fd, size=100, flags=uapi.MSG_DONTWAIT)
    assert reply.addr[:8] == sin(LO)[:8]
    data = reply.data
    assert data[:2] == b"\x00\x00" and internet_checksum(data) == 0
    assert struct.unpack_from("!HH", data, 4) == (ident, 5) and data[8:] == b"hello"
    assert (mib["OutEchos"], mib["OutMsgs"], mib["InEchoReps"]) == (before[0] + 1, before[1] + 2, before[2] + 1)
    await rig.ok("sendto", fd=fd, data=echo(0, 6, b"x" * 40), flags=0, addr=sin(LO))
    reply = await rig.call("recvmsg", fd=fd, size=10, flags=uapi.MSG_TRUNC)
    assert reply.ret == 10 and reply.msg_flags & uapi.MSG_TRUNC  # ping_recvmsg returns the copied length
    assert ping_sockets(rig.host.netns) == [rig.sk(fd)]


async def test_sendto_errors(pingrig: Any) -> None:
    rig = pingrig
    fd = await ping(rig)
    dst = sin(LO)
    assert await rig.err("sendto", fd=fd, data=echo(1, 1, b"")[:7], flags=0, addr=dst) == "EINVAL"
    assert await rig.err("sendto", fd=fd, data=echo(1, 1, b"x", type_=0), flags=0, addr=dst) == "EINVAL"
    assert await rig.err("sendto", fd=fd, data=echo(1, 1, b"x", code=1), flags=0, addr=dst) == "EINVAL"
    assert await rig.err("sendto", fd=fd, data=echo(1, 1, b""), flags=0, addr=sin(LO, family=0)) == "EAFNOSUPPORT"
    assert await rig.err("sendto", fd=fd, data=echo(1, 1, b""), flags=0, addr=dst[:8]) == "EINVAL"
    assert await rig.err("send", fd=fd, data=echo(1, 1, b""), flags=0) == "EDESTADDRREQ"
    assert await rig.err("sendto", fd=fd, data=echo(1, 1, b""), flags=0, addr=sin("127.255.255.255")) == "EACCES"
    assert await rig.ok("sendto", fd=fd, data=echo(1, 1, bytes(65507)), flags=0, addr=dst) == 65515
    assert await rig.err("sendto", fd=fd, data=echo(1, 1, bytes(65508)), flags=0, addr=dst) == "EMSGSIZE"
    assert await rig.err("sendto", fd=fd, data=bytes(65536), flags=0, addr=dst) == "EMSGSIZE"


async def test_bind_identifiers(pingrig: Any) -> None:
    rig = pingrig
    a, b, c = await ping(rig), await ping(rig), await ping(rig)
    await rig.ok("bind", fd=a, addr=sin(LO, 4242))
    await rig.ok("bind", fd=b, addr=sin("0.0.0.0", 4242))  # SO_REUSEADDR is on for both
    assert await rig.err("bind", fd=a, addr=sin(LO, 4243)) == "EINVAL"
    await rig.ok("setsockopt", fd=c, level=uapi.SOL_SOCKET, optname=uapi.SO_REUSEADDR, optval=struct.pack("<i", 0))
    assert await rig.err("bind", fd=c, addr=sin(LO, 4242)) == "EADDRINUSE"
    for addr in ("127.255.255.255", "224.0.0.1", "10.9.9.9"):
        assert await rig.err("bind", fd=c, addr=sin(addr)) == "EADDRNOTAVAIL"
    assert await rig.err("bind", fd=c, addr=b"\x02\x00") == "EINVAL"
    assert await rig.err("bind", fd=c, addr=sin(LO, family=10)) == "EAFNOSUPPORT"
    assert await rig.err("bind", fd=c, addr=sin(LO, family=0)) == "EAFNOSUPPORT"
    await rig.ok("bind", fd=c, addr=sin("0.0.0.0", family=0))
    assert port_of((await rig.call("getsockname", fd=c)).addr) != 0
    await rig.ok("sendto", fd=a, data=echo(0, 1, b"to-a"), flags=0, addr=sin(LO))
    assert (await rig.call("recv", fd=a, size=100, flags=uapi.MSG_DONTWAIT)).error_name == "EAGAIN"
    assert (await rig.call("recv", fd=b, size=100, flags=uapi.MSG_DONTWAIT)).data[8:] == b"to-a"  # the newest


async def test_connect_and_disconnect(pingrig: Any) -> None:
    rig = pingrig
    fd = await ping(rig)
    await rig.ok("connect", fd=fd, addr=sin(LO, 7))
    name = (await rig.call("getsockname", fd=fd)).addr
    assert name[4:8] == socket.inet_aton(LO) and port_of(name) != 0
    assert (await rig.call("getpeername", fd=fd)).addr[:8] == sin(LO, 7)[:8]
    await rig.ok("send", fd=fd, data=echo(0, 9, b"c"), flags=0)
    assert (await rig.call("recv", fd=fd, size=100, flags=0)).data[6:] == b"\x00\x09c"
    await rig.ok("connect", fd=fd, addr=struct.pack("<H", uapi.AF_UNSPEC) + bytes(14))
    assert (await rig.call("getsockname", fd=fd)).addr[:8] == sin("0.0.0.0")[:8]
    assert ping_sockets(rig.host.netns) == []
    assert await rig.err("ioctl", fd=fd, cmd=uapi.SIOCINQ) == "ENOTTY"
