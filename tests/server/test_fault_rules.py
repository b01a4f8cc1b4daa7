"""kernel/net/fault.py: syscall fault rules and packet rules (drop, delay, RST, ICMP) on a
client -- router -- server chain of in-process hosts (veth pairs, one ManualClock)."""
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
from kernel.net.fault import fault_table
from kernel.net.wire.checksum import internet_checksum, pseudo_header_sum
from kernel.syscalls import do_syscall


def _sin(ip: str, port: int) -> bytes:
    return struct.pack("<H", uapi.AF_INET) + struct.pack("!H", port) + socket.inet_aton(ip) + bytes(8)


def _ip(text: str) -> int:
    return int.from_bytes(socket.inet_aton(text), "big")


@pytest.fixture
def lab() -> Any:
    from kernel.net.ipv4.devinet import inet_insert_ifa
    from kernel.net.ipv4.fib import fib_add_route

    clock = ManualClock()
    a, r, b = (Host(clock=clock, name=n, rng=random.Random(i)) for i, n in enumerate("arb"))
    a0, r0 = veth_pair(a.netns, "eth0", r.netns, "eth0")
    r1, b0 = veth_pair(r.netns, "eth1", b.netns, "eth0")
    for net, dev, addr in ((a.netns, a0, "10.0.1.1"), (r.netns, r0, "10.0.1.254"), (r.netns, r1, "10.0.2.254"),
                           (b.netns, b0, "10.0.2.1")):
        assert inet_insert_ifa(net, dev, _ip(addr), 24) == 0
    assert fib_add_route(a.netns, 0, 0, _ip("10.0.1.254"), a0) == 0
    assert fib_add_route(b.netns, 0, 0, _ip("10.0.2.254"), b0) == 0
    r.sysctl["net.ipv4.ip_forward"] = 1
    return clock, a, r, b


async def _udp(proc: Any, port: int = 0) -> int:
    fd = (await do_syscall(proc, "socket", {"family": uapi.AF_INET, "type": uapi.SOCK_DGRAM, "protocol": 0})).ret
    assert fd >= 0
    if port:
        assert (await do_syscall(proc, "bind", {"fd": fd, "addr": _sin("0.0.0.0", port)})).ret == 0
    return fd


async def _send(proc: Any, fd: int, ip: str, port: int, data: bytes = b"x") -> int:
    return (await do_syscall(proc, "sendto", {"fd": fd, "data": data, "flags": 0, "addr": _sin(ip, port)})).ret


async def _recv(proc: Any, fd: int) -> Any:
    return await do_syscall(proc, "recvfrom", {"fd": fd, "size": 2000, "flags": uapi.MSG_DONTWAIT})


async def test_syscall_rule_fails_the_next_n_calls_for_one_address(lab: Any) -> None:
    clock, a, _r, b = lab
    pa, pa2 = a.spawn(), a.spawn()
    fd = await _udp(pa)
    table = fault_table(a.netns)
    rule = table.add_syscall("sendto", uapi.ENETUNREACH, count=2, addr="10.0.2.1:9")
    assert await _send(pa, fd, "10.0.2.1", 10) == 1  # another port: not matched
    assert await _send(pa, fd, "10.0.2.1", 9) == -uapi.ENETUNREACH
    assert await _send(pa, fd, "10.0.2.1", 9) == -uapi.ENETUNREACH
    assert rule.hits == 2 and table.rules() == []  # used up: gone
    assert await _send(pa, fd, "10.0.2.1", 9) == 1
    only = table.add_syscall("socket", uapi.EMFILE, count=0, pid=pa2.pid)
    assert (await do_syscall(pa2, "socket", {"family": uapi.AF_INET, "type": uapi.SOCK_DGRAM,
                                             "protocol": 0})).ret == -uapi.EMFILE
    assert await _udp(pa) >= 0  # another process
    assert table.remove(only.id) and not table.remove(only.id)
    assert await _udp(pa2) >= 0


async def test_drop_rule_at_input_counts_and_expires(lab: Any) -> None:
    clock, a, _r, b = lab
    pa, pb = a.spawn(), b.spawn()
    rx, tx = await _udp(pb, 9999), await _udp(pa)
    rule = fault_table(b.netns).add_packet("drop", hook="input", proto="udp", dport=9999, src="10.0.1.0/24", count=1)
    assert "drop input proto udp src 10.0.1.0/24 dport 9999 count 1" == rule.describe()
    assert await _send(pa, tx, "10.0.2.1", 9999, b"one") == 3
    clock.advance(0.1)
    assert (await _recv(pb, rx)).ret == -uapi.EAGAIN
    assert await _send(pa, tx, "10.0.2.1", 9999, b"two") == 3
    clock.advance(0.1)
    assert (await _recv(pb, rx)).data == b"two"
    assert rule.hits == 1 and fault_table(b.netns).rules() == []


async def test_delay_rule_at_output_holds_the_packet(lab: Any) -> None:
    clock, a, _r, b = lab
    pa, pb = a.spawn(), b.spawn()
    rx, tx = await _udp(pb, 9999), await _udp(pa)
    await _send(pa, tx, "10.0.2.1", 9999)  # ARP resolved on both hops
    clock.advance(0.1)
    assert (await _recv(pb, rx)).ret == 1
    rule = fault_table(a.netns).add_packet("delay", hook="output", dst="10.0.2.1", delay=0.5)
    assert await _send(pa, tx, "10.0.2.1", 9999, b"late") == 4
    clock.advance(0.4)
    assert (await _recv(pb, rx)).ret == -uapi.EAGAIN
    clock.advance(0.2)
    assert (await _recv(pb, rx)).data == b"late"
    assert rule.hits == 1


async def test_icmp_rule_on_the_router_refuses_a_connected_udp_socket(lab: Any) -> None:
    clock, a, r, b = lab
    pa = a.spawn()
    fd = await _udp(pa)
    assert (await do_syscall(pa, "connect", {"fd": fd, "addr": _sin("10.0.2.1", 7)})).ret == 0
    fault_table(r.netns).add_packet("icmp", hook="input", proto="udp", dport=7)
    assert (await do_syscall(pa, "send", {"fd": fd, "data": b"ping", "flags": 0})).ret == 4
    clock.advance(0.1)
    assert (await _recv(pa, fd)).ret == -uapi.ECONNREFUSED


async def test_rst_rule_answers_a_syn(lab: Any) -> None:
    clock, a, _r, b = lab
    pa = a.spawn()
    raw = (await do_syscall(pa, "socket", {"family": uapi.AF_INET, "type": uapi.SOCK_RAW,
                                           "protocol": uapi.IPPROTO_TCP})).ret
    assert raw >= 0
    rule = fault_table(b.netns).add_packet("rst", hook="input", dport=80, tcp_flags="syn", tcp_flags_mask="syn,ack")
    syn = bytearray(struct.pack("!HHIIBBHHH", 40000, 80, 1000, 0, 5 << 4, 0x02, 65535, 0, 0))
    syn[16:18] = internet_checksum(syn, pseudo_header_sum(_ip("10.0.1.1"), _ip("10.0.2.1"), 6, 20)).to_bytes(2, "big")
    assert await _send(pa, raw, "10.0.2.1", 0, bytes(syn)) == 20
    clock.advance(0.1)
    got = await _recv(pa, raw)
    assert got.ret == 40, got
    ip, tcp = got.data[:20], got.data[20:]
    assert ip[12:16] == socket.inet_aton("10.0.2.1") and ip[16:20] == socket.inet_aton("10.0.1.1")
    sport, dport, seq, ack, _off, flags = struct.unpack("!HHIIBB", tcp[:14])
    assert (sport, dport, seq, ack, flags) == (80, 40000, 0, 1001, 0x14)  # RST|ACK, ack = ISN + 1
    assert internet_checksum(tcp, pseudo_header_sum(_ip("10.0.2.1"), _ip("10.0.1.1"), 6, 20)) == 0
    assert rule.hits == 1


def test_bad_rules_are_refused() -> None:
    table = fault_table(Host(name="x").netns)
    with pytest.raises(ValueError):
        table.add_packet("explode")
    with pytest.raises(ValueError):
        table.add_packet("drop", tcp_flags="syn,bogus")
    with pytest.raises(ValueError):
        table.add_packet("rst", proto="udp")
    with pytest.raises(ValueError):
        table.add_syscall("connect", 0)
    assert table.rules() == []
