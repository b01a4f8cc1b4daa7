"""The issue's "ping works": A -- R -- B over two veth pairs, R forwarding, one ManualClock.

A raw ICMP socket on A pings B and reads B's echo reply (decoded by scapy, an
independent decoder); with IP_TTL 1 it gets ICMP time exceeded from R; a UDP
datagram crosses both hops; a ping socket gets its reply and, with
IP_RECVERR, the net unreachable R answers for a destination it cannot route;
an AF_PACKET socket on B sees the request arrive with TTL 63.
"""
from __future__ import annotations

import random
import socket
import struct
from typing import Any

import pytest

from kernel import uapi
from kernel.clock import ManualClock
from kernel.drivers.net.veth import veth_pair
from kernel.host import Host
from kernel.net.ipv4.devinet import inet_insert_ifa
from kernel.net.ipv4.fib import fib_add_route
from kernel.net.wire.checksum import internet_checksum
from kernel.net.wire.ipv4 import ip_aton
from kernel.syscalls import SysReply, do_syscall

scapy_all = pytest.importorskip("scapy.all")
IP, ICMP, UDP, Ether = scapy_all.IP, scapy_all.ICMP, scapy_all.UDP, scapy_all.Ether

SOL_IP = 0
IP_RECVERR = 11


def sin(addr: str, port: int = 0) -> bytes:
    return struct.pack("<H", uapi.AF_INET) + struct.pack("!H", port) + socket.inet_aton(addr) + bytes(8)


def echo(ident: int, seq: int, data: bytes) -> bytes:
    head = struct.pack("!BBHHH", 8, 0, 0, ident, seq)
    return struct.pack("!BBHHH", 8, 0, internet_checksum(head + data), ident, seq) + data


class Topo:
    """A (10.0.0.2) -- R (10.0.0.1 | 10.0.1.1) -- B (10.0.1.2)."""

    def __init__(self) -> None:
        self.clock = ManualClock()
        self.a, self.r, self.b = (Host(clock=self.clock, name=n, rng=random.Random(f"topo-{n}")) for n in "arb")
        self.a0, self.r0 = veth_pair(self.a.netns, "eth0", self.r.netns, "eth0")
        self.r1, self.b0 = veth_pair(self.r.netns, "eth1", self.b.netns, "eth0")
        for host, dev, addr in ((self.a, self.a0, "10.0.0.2"), (self.r, self.r0, "10.0.0.1"),
                                (self.r, self.r1, "10.0.1.1"), (self.b, self.b0, "10.0.1.2")):
            assert inet_insert_ifa(host.netns, dev, ip_aton(addr), 24) == 0
        assert fib_add_route(self.a.netns, 0, 0, ip_aton("10.0.0.1")) == 0
        assert fib_add_route(self.b.netns, 0, 0, ip_aton("10.0.1.1")) == 0
        self.r.sysctl["net.ipv4.ip_forward"] = 1
        self.pa, self.pb = self.a.spawn(), self.b.spawn()

    @staticmethod
    async def call(proc: Any, name: str, **args: Any) -> SysReply:
        return await do_syscall(proc, name, args, None)

    async def ok(self, proc: Any, name: str, **args: Any) -> int:
        reply = await self.call(proc, name, **args)
        assert reply.ret >= 0, f"{name}: {reply.error_name}"
        return reply.ret

    async def recv_all(self, proc: Any, fd: int) -> list[SysReply]:
        out = []
        while True:
            reply = await self.call(proc, "recvfrom", fd=fd, size=65536, flags=uapi.MSG_DONTWAIT)
            if reply.ret < 0:
                return out
            out.append(reply)


@pytest.fixture
def topo() -> Topo:
    return Topo()


async def test_raw_ping_across_the_router(topo: Topo) -> None:
    t = topo
    sniff = await t.ok(t.pb, "socket", family=uapi.AF_PACKET, type=uapi.SOCK_RAW,
                       protocol=socket.htons(uapi.ETH_P_IP))
    s = await t.ok(t.pa, "socket", family=uapi.AF_INET, type=uapi.SOCK_RAW, protocol=uapi.IPPROTO_ICMP)
    assert await t.ok(t.pa, "sendto", fd=s, data=echo(0x4242, 1, b"ping-b"), flags=0, addr=sin("10.0.1.2")) == 14
    t.clock.advance(0.01)
    got = await t.recv_all(t.pa, s)
    replies = [IP(r.data) for r in got if IP(r.data)[ICMP].type == 0]
    assert len(replies) == 1
    reply = replies[0]
    assert (reply.src, reply.dst, reply.ttl) == ("10.0.1.2", "10.0.0.2", 63)
    assert (reply[ICMP].id, reply[ICMP].seq, bytes(reply[ICMP].payload)) == (0x4242, 1, b"ping-b")
    raw = bytes(reply)
    fresh = IP(raw)
    del fresh.chksum, fresh[ICMP].chksum
    assert bytes(fresh) == raw  # scapy recomputes both checksums and gets the same bytes
    assert got[[IP(r.data)[ICMP].type for r in got].index(0)].addr[4:8] == socket.inet_aton("10.0.1.2")
    frames = [Ether(r.data) for r in await t.recv_all(t.pb, sniff)]
    requests = [f for f in frames if ICMP in f and f[ICMP].type == 8]
    assert len(requests) == 1 and requests[0][IP].ttl == 63 and requests[0][IP].src == "10.0.0.2"
    assert t.b.netns.mib["Icmp"]["InEchos"] == 1 and t.r.netns.mib["Ip"]["ForwDatagrams"] == 2


async def test_ttl_1_gets_time_exceeded_from_the_router(topo: Topo) -> None:
    t = topo
    s = await t.ok(t.pa, "socket", family=uapi.AF_INET, type=uapi.SOCK_RAW, protocol=uapi.IPPROTO_ICMP)
    await t.ok(t.pa, "setsockopt", fd=s, level=SOL_IP, optname=uapi.IP_TTL, optval=struct.pack("<i", 1))
    await t.ok(t.pa, "sendto", fd=s, data=echo(7, 2, b"ttl-one"), flags=0, addr=sin("10.0.1.2"))
    t.clock.advance(0.01)
    packets = [IP(r.data) for r in await t.recv_all(t.pa, s)]
    errors = [p for p in packets if p[ICMP].type == 11]
    assert len(errors) == 1
    err = errors[0]
    assert (err.src, err[ICMP].code) == ("10.0.0.1", 0)
    quoted = err[ICMP].payload  # scapy's IPerror: the request as R received it
    assert (quoted.src, quoted.dst, quoted.proto) == ("10.0.0.2", "10.0.1.2", 1)
    assert t.r.netns.mib["Icmp"]["OutTimeExcds"] == 1 and t.b.netns.mib["Icmp"]["InEchos"] == 0


async def test_udp_across_two_hops(topo: Topo) -> None:
    t = topo
    rx = await t.ok(t.pb, "socket", family=uapi.AF_INET, type=uapi.SOCK_DGRAM, protocol=0)
    await t.ok(t.pb, "bind", fd=rx, addr=sin("0.0.0.0", 5000))
    tx = await t.ok(t.pa, "socket", family=uapi.AF_INET, type=uapi.SOCK_DGRAM, protocol=0)
    assert await t.ok(t.pa, "sendto", fd=tx, data=b"two hops", flags=0, addr=sin("10.0.1.2", 5000)) == 8
    t.clock.advance(0.01)
    reply = await t.call(t.pb, "recvfrom", fd=rx, size=100, flags=uapi.MSG_DONTWAIT)
    assert reply.data == b"two hops" and reply.addr[4:8] == socket.inet_aton("10.0.0.2")


async def test_ping_socket_across_the_router(topo: Topo) -> None:
    t = topo
    t.a.sysctl["net.ipv4.ping_group_range"] = (0, 0)
    fd = await t.ok(t.pa, "socket", family=uapi.AF_INET, type=uapi.SOCK_DGRAM, protocol=uapi.IPPROTO_ICMP)
    await t.ok(t.pa, "sendto", fd=fd, data=echo(0, 3, b"dgram-ping"), flags=0, addr=sin("10.0.1.2"))
    t.clock.advance(0.01)
    reply = await t.call(t.pa, "recvfrom", fd=fd, size=100, flags=uapi.MSG_DONTWAIT)
    icmp = ICMP(reply.data)
    assert (icmp.type, icmp.seq, bytes(icmp.payload)) == (0, 3, b"dgram-ping")
    assert reply.addr[4:8] == socket.inet_aton("10.0.1.2")
    # R cannot route 10.9.9.9: net unreachable comes back to the ping socket's error queue
    await t.ok(t.pa, "setsockopt", fd=fd, level=SOL_IP, optname=IP_RECVERR, optval=struct.pack("<i", 1))
    await t.ok(t.pa, "sendto", fd=fd, data=echo(0, 4, b"nowhere!"), flags=0, addr=sin("10.9.9.9"))
    t.clock.advance(0.01)
    assert (await t.call(t.pa, "recv", fd=fd, size=100, flags=uapi.MSG_DONTWAIT)).error_name == "ENETUNREACH"
    err = await t.call(t.pa, "recvmsg", fd=fd, size=100, flags=uapi.MSG_ERRQUEUE, controllen=512)
    assert err.ret == 16 and ICMP(err.data).seq == 4 and err.msg_flags == uapi.MSG_ERRQUEUE
    ee_errno, origin, type_, code = struct.unpack_from("<IBBB", err.control, 16)
    assert (ee_errno, origin, type_, code) == (uapi.ENETUNREACH, 2, 3, 0)
