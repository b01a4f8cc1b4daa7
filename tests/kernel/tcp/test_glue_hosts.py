"""TCP between two emulated hosts joined by a veth pair (and over loopback): the glue end to end.

a (10.0.0.1/24, eth0) ==veth== b (10.0.0.2/24, eth0); a routes 10.9.0.0/16 via b, which does not
forward: b answers with ICMP host unreachable (ip_error), which tcp_v4_err turns into EHOSTUNREACH for
the SYN-SENT connect.  Also: RST from a closed port (ECONNREFUSED), IP header of TCP (DF, TTL, TOS,
checksums), TIME-WAIT keeping the port for 60 s, and tw reuse on loopback.
"""
from __future__ import annotations

import asyncio
import random
import struct
from typing import Any

import pytest

from kernel import uapi
from kernel.clock import ManualClock
from kernel.drivers.net.veth import veth_pair
from kernel.host import Host
from kernel.net.ipv4.devinet import inet_insert_ifa
from kernel.net.ipv4.fib import fib_add_route
from kernel.net.wire.ipv4 import ip_aton
from kernel.syscalls import do_syscall


def sin(addr: str, port: int) -> bytes:
    return struct.pack("<H", uapi.AF_INET) + struct.pack("!H", port) + bytes(int(x) for x in addr.split(".")) \
        + bytes(8)


class Net2:
    """Two hosts on one manual clock, a process on each."""

    def __init__(self) -> None:
        self.clock = ManualClock()
        self.a = Host(clock=self.clock, name="a", rng=random.Random("glue-a"))
        self.b = Host(clock=self.clock, name="b", rng=random.Random("glue-b"))
        da, db = veth_pair(self.a.netns, "eth0", self.b.netns, "eth0")
        assert inet_insert_ifa(self.a.netns, da, ip_aton("10.0.0.1"), 24) == 0
        assert inet_insert_ifa(self.b.netns, db, ip_aton("10.0.0.2"), 24) == 0
        assert fib_add_route(self.a.netns, ip_aton("10.9.0.0"), 16, ip_aton("10.0.0.2"), None, 0) == 0
        self.pa = self.a.spawn()
        self.pb = self.b.spawn()
        self.tasks: list[asyncio.Task[Any]] = []
        self.frames: list[bytes] = []

    async def call(self, proc: Any, name: str, **args: Any) -> Any:
        return await do_syscall(proc, name, args, None)

    async def ok(self, proc: Any, name: str, **args: Any) -> int:
        r = await self.call(proc, name, **args)
        assert r.ret >= 0, f"{name} {r.error_name}"
        return int(r.ret)

    async def start(self, proc: Any, name: str, **args: Any) -> asyncio.Task[Any]:
        t = asyncio.ensure_future(self.call(proc, name, **args))
        self.tasks.append(t)
        await self.settle()
        return t

    @staticmethod
    async def settle(rounds: int = 10) -> None:
        for _ in range(rounds):
            await asyncio.sleep(0)

    async def advance(self, seconds: float, step: float = 0.05) -> None:
        end = self.clock.now() + seconds
        while self.clock.now() < end - 1e-9:
            self.clock.advance(min(step, end - self.clock.now()))
            await self.settle()

    async def tcp(self, proc: Any) -> int:
        return await self.ok(proc, "socket", family=uapi.AF_INET, type=uapi.SOCK_STREAM, protocol=0)


@pytest.fixture
async def net2() -> Any:
    n = Net2()
    yield n
    for t in n.tasks:
        t.cancel()
    await asyncio.gather(*n.tasks, return_exceptions=True)


async def recv_exact(n: Net2, proc: Any, fd: int, size: int) -> bytes:
    out = b""
    while len(out) < size:
        r = await n.call(proc, "recv", fd=fd, size=size - len(out), flags=uapi.MSG_DONTWAIT)
        if r.ret <= 0:
            await n.advance(0.05)
            continue
        out += r.data
    return out


async def test_connect_accept_echo_over_veth(net2: Net2) -> None:
    n = net2
    lfd = await n.tcp(n.pb)
    await n.ok(n.pb, "bind", fd=lfd, addr=sin("0.0.0.0", 8080))
    await n.ok(n.pb, "listen", fd=lfd, backlog=8)
    acc = await n.start(n.pb, "accept", fd=lfd, addrlen=16)
    c = await n.tcp(n.pa)
    con = await n.start(n.pa, "connect", fd=c, addr=sin("10.0.0.2", 8080))
    await n.advance(0.5)  # ARP, then the handshake
    assert con.done() and con.result().ret == 0, con.result().error_name
    assert acc.done() and acc.result().ret >= 0
    afd = acc.result().ret
    peer = acc.result().addr
    assert peer[4:8] == bytes([10, 0, 0, 1])
    name = (await n.call(n.pa, "getsockname", fd=c)).addr
    assert name[4:8] == bytes([10, 0, 0, 1]) and struct.unpack_from("!H", name, 2)[0] % 2 == 0
    data = bytes(range(256)) * 40
    assert await n.ok(n.pa, "send", fd=c, data=data, flags=0) == len(data)
    got = await recv_exact(n, n.pb, afd, len(data))
    assert got == data
    assert await n.ok(n.pb, "send", fd=afd, data=got[::-1], flags=0) == len(data)
    assert await recv_exact(n, n.pa, c, len(data)) == data[::-1]
    assert n.a.netns.mib["Tcp"]["ActiveOpens"] == 1 and n.b.netns.mib["Tcp"]["PassiveOpens"] == 1


async def test_closed_port_is_econnrefused_over_veth(net2: Net2) -> None:
    n = net2
    c = await n.tcp(n.pa)
    con = await n.start(n.pa, "connect", fd=c, addr=sin("10.0.0.2", 9))
    await n.advance(0.5)
    assert con.done() and con.result().error_name == "ECONNREFUSED"
    assert n.b.netns.mib["Tcp"]["OutRsts"] == 1
    assert n.a.netns.mib["Tcp"]["AttemptFails"] == 1
    # the socket may connect again after a failure (the disconnect reset it)
    lfd = await n.tcp(n.pb)
    await n.ok(n.pb, "bind", fd=lfd, addr=sin("10.0.0.2", 9))
    await n.ok(n.pb, "listen", fd=lfd, backlog=1)
    con = await n.start(n.pa, "connect", fd=c, addr=sin("10.0.0.2", 9))
    await n.advance(0.2)
    assert con.done() and con.result().ret == 0


async def test_icmp_net_unreachable_fails_connect(net2: Net2) -> None:
    n = net2
    n.b.sysctl["net.ipv4.ip_forward"] = 1  # b routes, but has no route to 10.9/16: ICMP net unreachable
    c = await n.tcp(n.pa)
    con = await n.start(n.pa, "connect", fd=c, addr=sin("10.9.0.5", 80))
    await n.advance(0.5)
    assert con.done() and con.result().error_name == "ENETUNREACH"


async def test_icmp_host_unreachable_fails_connect(net2: Net2) -> None:
    from kernel.drivers.net.channel import channel_dev

    n = net2
    n.b.sysctl["net.ipv4.ip_forward"] = 1
    dev = channel_dev(n.b.netns, "eth1", 1500)
    assert inet_insert_ifa(n.b.netns, dev, ip_aton("10.9.0.1"), 16) == 0
    c = await n.tcp(n.pa)
    con = await n.start(n.pa, "connect", fd=c, addr=sin("10.9.0.5", 80))
    await n.advance(0.5)
    assert not con.done()  # b resolves 10.9.0.5 (nobody answers)
    await n.advance(5.0, step=0.25)
    assert con.done() and con.result().error_name == "EHOSTUNREACH"


async def test_nonblocking_connect_einprogress_ealready_eisconn(net2: Net2) -> None:
    n = net2
    lfd = await n.tcp(n.pb)
    await n.ok(n.pb, "bind", fd=lfd, addr=sin("10.0.0.2", 80))
    await n.ok(n.pb, "listen", fd=lfd, backlog=1)
    c = await n.ok(n.pa, "socket", family=uapi.AF_INET, type=uapi.SOCK_STREAM | uapi.SOCK_NONBLOCK, protocol=0)
    assert (await n.call(n.pa, "connect", fd=c, addr=sin("10.0.0.2", 80))).error_name == "EINPROGRESS"
    await n.advance(0.5)
    assert (await n.call(n.pa, "connect", fd=c, addr=sin("10.0.0.2", 80))).ret == 0  # completed: 0 once
    assert (await n.call(n.pa, "connect", fd=c, addr=sin("10.0.0.2", 80))).error_name == "EISCONN"
    # a peer that does not answer ARP: the SYN waits, a second connect is EALREADY
    s = await n.ok(n.pa, "socket", family=uapi.AF_INET, type=uapi.SOCK_STREAM | uapi.SOCK_NONBLOCK, protocol=0)
    assert (await n.call(n.pa, "connect", fd=s, addr=sin("10.0.0.3", 80))).error_name == "EINPROGRESS"
    assert (await n.call(n.pa, "connect", fd=s, addr=sin("10.0.0.9", 80))).error_name == "EALREADY"
    assert (await n.call(n.pa, "getpeername", fd=s)).error_name == "ENOTCONN"


async def test_connect_address_errors(net2: Net2) -> None:
    n = net2
    c = await n.tcp(n.pa)
    assert (await n.call(n.pa, "connect", fd=c, addr=sin("10.0.0.2", 80)[:8])).error_name == "EINVAL"
    bad = struct.pack("<H", uapi.AF_INET6) + sin("10.0.0.2", 80)[2:]
    assert (await n.call(n.pa, "connect", fd=c, addr=bad)).error_name == "EAFNOSUPPORT"
    assert (await n.call(n.pa, "connect", fd=c, addr=sin("10.0.0.255", 80))).error_name == "ENETUNREACH"
    assert (await n.call(n.pa, "connect", fd=c, addr=sin("224.0.0.1", 80))).error_name == "ENETUNREACH"
    assert (await n.call(n.pa, "getpeername", fd=c)).error_name == "ENOTCONN"


async def test_tcp_ip_header_df_ttl_and_checksums(net2: Net2) -> None:
    from kernel.net.core.dev import PacketType, dev_add_pack
    from kernel.net.wire.tcp import TcpPacket

    n = net2
    seen: list[bytes] = []

    def tap(skb: Any, dev: Any, pt: Any, orig: Any) -> int:
        seen.append(bytes(skb.head[skb.network_header:skb.tail]))
        return 0
    dev_add_pack(n.b.netns, PacketType(0x0800, tap))
    lfd = await n.tcp(n.pb)
    await n.ok(n.pb, "bind", fd=lfd, addr=sin("10.0.0.2", 81))
    await n.ok(n.pb, "listen", fd=lfd, backlog=1)
    c = await n.tcp(n.pa)
    con = await n.start(n.pa, "connect", fd=c, addr=sin("10.0.0.2", 81))
    await n.advance(0.3)
    assert con.result().ret == 0
    tcp_pkts = [p for p in seen if p[9] == 6]
    assert tcp_pkts
    for p in tcp_pkts:
        assert p[6] & 0x40  # DF (IP_PMTUDISC_WANT)
        assert p[8] == 64
        ihl = (p[0] & 0xF) * 4
        saddr, daddr = struct.unpack_from("!II", p, 12)
        assert TcpPacket(p[ihl:]).verify_checksum(saddr, daddr)


async def test_time_wait_holds_the_port_60s(net2: Net2) -> None:
    n = net2
    h, p = n.a, n.pa
    lfd = await n.tcp(p)
    await n.ok(p, "bind", fd=lfd, addr=sin("127.0.0.1", 7000))
    await n.ok(p, "listen", fd=lfd, backlog=1)
    c = await n.tcp(p)
    await n.ok(p, "bind", fd=c, addr=sin("127.0.0.1", 7001))
    await n.ok(p, "connect", fd=c, addr=sin("127.0.0.1", 7000))
    afd = await n.ok(p, "accept", fd=lfd)
    await n.ok(p, "close", fd=c)  # active close: the client side ends in TIME-WAIT
    await n.advance(0.5)
    await n.ok(p, "close", fd=afd)
    await n.advance(0.5)
    from kernel.net.ipv4.tcp.tcp_minisocks import TcpTimewaitSock
    from kernel.net.ipv4.tcp.tcp_sock import tcp_hashinfo

    assert any(isinstance(o, TcpTimewaitSock) for o in tcp_hashinfo(h.netns).ehash.values())
    s = await n.tcp(p)
    assert (await n.call(p, "bind", fd=s, addr=sin("127.0.0.1", 7001))).error_name == "EADDRINUSE"
    await n.advance(58.0, step=1.0)
    assert (await n.call(p, "bind", fd=s, addr=sin("127.0.0.1", 7001))).error_name == "EADDRINUSE"
    await n.advance(2.5, step=0.5)
    assert not tcp_hashinfo(h.netns).ehash
    assert (await n.call(p, "bind", fd=s, addr=sin("127.0.0.1", 7001))).ret == 0


async def test_time_wait_with_reuseaddr_rebinds_and_reconnects(net2: Net2) -> None:
    n = net2
    p = n.pa
    lfd = await n.tcp(p)
    await n.ok(p, "bind", fd=lfd, addr=sin("127.0.0.1", 7100))
    await n.ok(p, "listen", fd=lfd, backlog=4)
    one = b"\x01\x00\x00\x00"
    c = await n.tcp(p)
    await n.ok(p, "setsockopt", fd=c, level=uapi.SOL_SOCKET, optname=uapi.SO_REUSEADDR, optval=one)
    await n.ok(p, "bind", fd=c, addr=sin("127.0.0.1", 7101))
    await n.ok(p, "connect", fd=c, addr=sin("127.0.0.1", 7100))
    afd = await n.ok(p, "accept", fd=lfd)
    await n.ok(p, "close", fd=c)
    await n.advance(0.5)
    await n.ok(p, "close", fd=afd)
    await n.advance(2.0)
    s = await n.tcp(p)
    await n.ok(p, "setsockopt", fd=s, level=uapi.SOL_SOCKET, optname=uapi.SO_REUSEADDR, optval=one)
    assert (await n.call(p, "bind", fd=s, addr=sin("127.0.0.1", 7101))).ret == 0
    # the same 4-tuple: the TIME-WAIT connection (timestamps on) is taken over
    assert (await n.call(p, "connect", fd=s, addr=sin("127.0.0.1", 7100))).ret == 0
    assert await n.ok(p, "accept", fd=lfd) >= 0
