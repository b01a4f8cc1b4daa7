"""Multicast membership and delivery across NICs (kernel.net.ipv4.igmp, udp's multicast delivery).

Two hosts on one ManualClock joined by a veth pair: A eth0 10.0.0.1/24 <-> B eth0 10.0.0.2/24.
"""
from __future__ import annotations

import random
import socket
import struct
from typing import Any

import pytest

from kernel import uapi
from kernel.clock import ManualClock
from kernel.host import Host
from kernel.syscalls import do_syscall

GROUP = "239.1.2.3"


def sin(addr: str, port: int) -> bytes:
    return struct.pack("<H", uapi.AF_INET) + struct.pack("!H", port) + socket.inet_aton(addr) + bytes(8)


def ip(text: str) -> int:
    return int.from_bytes(socket.inet_aton(text), "big")


def mreqn(group: str, addr: str = "0.0.0.0", ifindex: int = 0) -> bytes:
    return socket.inet_aton(group) + socket.inet_aton(addr) + struct.pack("<i", ifindex)


class Lab:
    def __init__(self) -> None:
        from kernel.drivers.net.veth import veth_pair
        from kernel.net.ipv4.devinet import inet_insert_ifa

        self.clock = ManualClock()
        self.a = Host(clock=self.clock, name="a", rng=random.Random(1))
        self.b = Host(clock=self.clock, name="b", rng=random.Random(2))
        self.a0, self.b0 = veth_pair(self.a.netns, "eth0", self.b.netns, "eth0")
        assert inet_insert_ifa(self.a.netns, self.a0, ip("10.0.0.1"), 24) == 0
        assert inet_insert_ifa(self.b.netns, self.b0, ip("10.0.0.2"), 24) == 0
        self.pa, self.pb = self.a.spawn(), self.b.spawn()

    async def call(self, proc: Any, name: str, **args: Any) -> Any:
        return await do_syscall(proc, name, args, None)

    async def ok(self, proc: Any, name: str, **args: Any) -> int:
        reply = await self.call(proc, name, **args)
        assert reply.ret >= 0, (name, reply.error_name)
        return int(reply.ret)

    async def udp(self, proc: Any, addr: str = "0.0.0.0", port: int = 0) -> int:
        fd = await self.ok(proc, "socket", family=uapi.AF_INET, type=uapi.SOCK_DGRAM, protocol=0)
        await self.ok(proc, "bind", fd=fd, addr=sin(addr, port))
        return fd

    async def setopt(self, proc: Any, fd: int, opt: int, val: bytes, level: int = uapi.SOL_IP) -> str:
        return (await self.call(proc, "setsockopt", fd=fd, level=level, optname=opt, optval=val)).error_name

    async def recv(self, proc: Any, fd: int, controllen: int = 0) -> Any:
        return await self.call(proc, "recvmsg", fd=fd, flags=uapi.MSG_DONTWAIT, size=100, controllen=controllen)


@pytest.fixture
def lab() -> Lab:
    pytest.importorskip("kernel.drivers.net.veth")
    return Lab()


async def test_join_errors(lab: Lab) -> None:
    fd = await lab.udp(lab.pb)
    join = uapi.IP_ADD_MEMBERSHIP
    assert await lab.setopt(lab.pb, fd, join, mreqn("10.0.0.9")) == "EINVAL"
    assert await lab.setopt(lab.pb, fd, join, mreqn(GROUP)[:7]) == "EINVAL"
    assert await lab.setopt(lab.pb, fd, join, mreqn(GROUP, ifindex=99)) == "ENODEV"
    assert await lab.setopt(lab.pb, fd, join, mreqn(GROUP, "10.9.9.9")) == "ENODEV"
    assert await lab.setopt(lab.pb, fd, join, mreqn(GROUP, "10.0.0.2")[:8]) == ""
    assert await lab.setopt(lab.pb, fd, join, mreqn(GROUP, ifindex=lab.b0.ifindex)) == "EADDRINUSE"
    assert lab.b0.ip_ptr.mc_list[ip(GROUP)] == 1
    drop = uapi.IP_DROP_MEMBERSHIP
    assert await lab.setopt(lab.pb, fd, drop, mreqn(GROUP, ifindex=lab.b0.ifindex)) == ""
    assert await lab.setopt(lab.pb, fd, drop, mreqn(GROUP, ifindex=lab.b0.ifindex)) == "EADDRNOTAVAIL"
    assert ip(GROUP) not in lab.b0.ip_ptr.mc_list


async def test_delivery_across_the_link(lab: Lab) -> None:
    member = await lab.udp(lab.pb, port=5000)
    other = await lab.udp(lab.pb, port=5000 + 1)
    assert await lab.setopt(lab.pb, member, uapi.IP_ADD_MEMBERSHIP, mreqn(GROUP, ifindex=lab.b0.ifindex)) == ""
    assert await lab.setopt(lab.pb, member, uapi.IP_RECVTTL, struct.pack("<i", 1)) == ""
    tx = await lab.udp(lab.pa)
    assert await lab.setopt(lab.pa, tx, uapi.IP_MULTICAST_IF, mreqn(GROUP, ifindex=lab.a0.ifindex)) == ""
    sent = await lab.call(lab.pa, "sendto", fd=tx, data=b"hello", flags=0, addr=sin(GROUP, 5000))
    assert sent.ret == 5
    lab.clock.advance(0.1)
    got = await lab.recv(lab.pb, member, controllen=64)
    assert got.data == b"hello" and got.addr[4:8] == socket.inet_aton("10.0.0.1")
    ttl = [struct.unpack("<i", d)[0] for lvl, t, d in _cmsgs(got.control) if t == uapi.IP_TTL]
    assert ttl == [1]  # IP_MULTICAST_TTL defaults to 1
    assert (await lab.recv(lab.pb, other)).error_name == "EAGAIN"
    # leaving the group: the device filters the group out again
    assert await lab.setopt(lab.pb, member, uapi.IP_DROP_MEMBERSHIP, mreqn(GROUP, ifindex=lab.b0.ifindex)) == ""
    await lab.call(lab.pa, "sendto", fd=tx, data=b"again", flags=0, addr=sin(GROUP, 5000))
    lab.clock.advance(0.1)
    assert (await lab.recv(lab.pb, member)).error_name == "EAGAIN"


async def test_multicast_ttl_and_loop(lab: Lab) -> None:
    rx = await lab.udp(lab.pa, port=6000)
    assert await lab.setopt(lab.pa, rx, uapi.IP_ADD_MEMBERSHIP, mreqn(GROUP, ifindex=lab.a0.ifindex)) == ""
    tx = await lab.udp(lab.pa)
    assert await lab.setopt(lab.pa, tx, uapi.IP_MULTICAST_IF, mreqn(GROUP, ifindex=lab.a0.ifindex)) == ""
    assert await lab.setopt(lab.pa, tx, uapi.IP_MULTICAST_TTL, b"\x07") == ""
    await lab.call(lab.pa, "sendto", fd=tx, data=b"looped", flags=0, addr=sin(GROUP, 6000))
    lab.clock.advance(0.1)
    assert (await lab.recv(lab.pa, rx)).data == b"looped"
    assert await lab.setopt(lab.pa, tx, uapi.IP_MULTICAST_LOOP, b"\x00") == ""
    await lab.call(lab.pa, "sendto", fd=tx, data=b"not looped", flags=0, addr=sin(GROUP, 6000))
    lab.clock.advance(0.1)
    assert (await lab.recv(lab.pa, rx)).error_name == "EAGAIN"


async def test_close_leaves_groups(lab: Lab) -> None:
    fd = await lab.udp(lab.pb)
    assert await lab.setopt(lab.pb, fd, uapi.IP_ADD_MEMBERSHIP, mreqn(GROUP, ifindex=lab.b0.ifindex)) == ""
    await lab.ok(lab.pb, "close", fd=fd)
    assert ip(GROUP) not in lab.b0.ip_ptr.mc_list


def _cmsgs(control: bytes) -> list[tuple[int, int, bytes]]:
    out = []
    off = 0
    while off + 16 <= len(control):
        clen, level, type_ = struct.unpack_from("<Qii", control, off)
        out.append((level, type_, control[off + 16: off + clen]))
        off += (clen + 7) & ~7
    return out


async def test_unicast_broadcast_and_refused_across_the_link(lab: Lab) -> None:
    rx = await lab.udp(lab.pb, port=7000)
    tx = await lab.udp(lab.pa)
    sent = await lab.call(lab.pa, "sendto", fd=tx, data=b"uni", flags=0, addr=sin("10.0.0.2", 7000))
    assert sent.ret == 3
    lab.clock.advance(0.1)
    assert (await lab.recv(lab.pb, rx)).data == b"uni"
    # the subnet broadcast needs SO_BROADCAST, then reaches the wildcard-bound socket
    bcast = sin("10.0.0.255", 7000)
    assert (await lab.call(lab.pa, "sendto", fd=tx, data=b"b", flags=0, addr=bcast)).error_name == "EACCES"
    assert await lab.setopt(lab.pa, tx, uapi.SO_BROADCAST, struct.pack("<i", 1), level=uapi.SOL_SOCKET) == ""
    assert (await lab.call(lab.pa, "sendto", fd=tx, data=b"b", flags=0, addr=bcast)).ret == 1
    lab.clock.advance(0.1)
    assert (await lab.recv(lab.pb, rx)).data == b"b"
    # a closed port on B answers ICMP port unreachable: A's connected socket sees ECONNREFUSED
    c = await lab.udp(lab.pa)
    await lab.ok(lab.pa, "connect", fd=c, addr=sin("10.0.0.2", 7001))
    assert (await lab.call(lab.pa, "send", fd=c, data=b"x", flags=0)).ret == 1
    lab.clock.advance(0.1)
    assert (await lab.recv(lab.pa, c)).error_name == "ECONNREFUSED"
    assert lab.b.netns.mib["Udp"]["NoPorts"] == 1


async def test_send_buffer_released_after_the_device(lab: Lab) -> None:
    rx = await lab.udp(lab.pb, port=7100)
    tx = await lab.udp(lab.pa)
    await lab.setopt(lab.pa, tx, uapi.SO_SNDBUF, struct.pack("<i", 1), level=uapi.SOL_SOCKET)
    for _ in range(50):
        reply = await lab.call(lab.pa, "sendto", fd=tx, data=bytes(1000), flags=uapi.MSG_DONTWAIT,
                               addr=sin("10.0.0.2", 7100))
        assert reply.ret == 1000, reply.error_name
        lab.clock.advance(0.01)
    sk = lab.pa.fget(tx).private_data.sk
    assert sk.sk_wmem_alloc == 0
    assert (await lab.call(lab.pa, "ioctl", fd=tx, cmd=uapi.SIOCOUTQ)).value == 0
    got = 0
    while (await lab.recv(lab.pb, rx)).ret == 100:  # 100 bytes of room: truncated reads
        got += 1
    assert got == 50


async def test_path_mtu_discovery_modes(lab: Lab) -> None:
    rx = await lab.udp(lab.pb, port=7200)
    tx = await lab.udp(lab.pa)
    dst = sin("10.0.0.2", 7200)
    await lab.setopt(lab.pa, tx, uapi.IP_MTU_DISCOVER, struct.pack("<i", uapi.IP_PMTUDISC_DO))
    assert (await lab.call(lab.pa, "sendto", fd=tx, data=bytes(1473), flags=0, addr=dst)).error_name == "EMSGSIZE"
    assert (await lab.call(lab.pa, "sendto", fd=tx, data=bytes(1472), flags=0, addr=dst)).ret == 1472
    await lab.setopt(lab.pa, tx, uapi.IP_MTU_DISCOVER, struct.pack("<i", uapi.IP_PMTUDISC_WANT))
    assert (await lab.call(lab.pa, "sendto", fd=tx, data=bytes(4000), flags=0, addr=dst)).ret == 4000
    lab.clock.advance(0.1)
    sizes = []
    while True:
        reply = await lab.call(lab.pb, "recv", fd=rx, size=65536, flags=uapi.MSG_DONTWAIT)
        if reply.ret < 0:
            break
        sizes.append(reply.ret)
    assert sizes == [1472, 4000]  # the big one went as fragments and was reassembled
    assert lab.a.netns.mib["Ip"]["FragCreates"] == 3
