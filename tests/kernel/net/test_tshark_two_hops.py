"""Issue #3's capture criterion: a UDP datagram from A to B through router R (two veth hops),
captured on every NIC, and tshark decodes each capture clean.

Topology (one ManualClock)::

    A eth0 10.0.1.1/24 <-veth-> R eth0 10.0.1.254/24
                                R eth1 10.0.2.254/24 <-veth-> B eth0 10.0.2.1/24

A and B route by default via R; R forwards (net.ipv4.ip_forward = 1).  Runs
once the IPv4 stack (devinet, fib, ip_forward, udp) is importable and AF_INET
datagram sockets can be created; skipped before that, and without tshark.
"""
from __future__ import annotations

import random
import shutil
import socket
import struct
from pathlib import Path
from typing import Any

import pytest

from kernel import uapi
from kernel.clock import ManualClock
from kernel.drivers.net.veth import veth_pair
from kernel.host import Host
from kernel.net.core.capture import start_capture
from kernel.syscalls import do_syscall

pytestmark = pytest.mark.skipif(shutil.which("tshark") is None, reason="tshark is not installed")


def _sin(ip: str, port: int) -> bytes:
    return struct.pack("<H", uapi.AF_INET) + struct.pack("!H", port) + socket.inet_aton(ip) + bytes(8)


def _ip(text: str) -> int:
    return int.from_bytes(socket.inet_aton(text), "big")


async def test_udp_through_a_router_captured_on_every_nic(tshark: Any, tmp_path: Path) -> None:
    for mod in ("kernel.net.ipv4.devinet", "kernel.net.ipv4.fib", "kernel.net.ipv4.ip_forward",
                "kernel.net.ipv4.udp"):
        pytest.importorskip(mod, reason="the IPv4 stack has not landed")
    from kernel.net.ipv4.devinet import inet_insert_ifa
    from kernel.net.ipv4.fib import fib_add_route

    clock = ManualClock()
    a, r, b = (Host(clock=clock, name=n, rng=random.Random(i)) for i, n in enumerate("arb"))
    if a.netns.ipv4 is None:
        pytest.skip("IPv4's pernet init is not registered yet")
    a0, r0 = veth_pair(a.netns, "eth0", r.netns, "eth0")
    r1, b0 = veth_pair(r.netns, "eth1", b.netns, "eth0")
    for net, dev, addr in ((a.netns, a0, "10.0.1.1"), (r.netns, r0, "10.0.1.254"), (r.netns, r1, "10.0.2.254"),
                           (b.netns, b0, "10.0.2.1")):
        assert inet_insert_ifa(net, dev, _ip(addr), 24) == 0
    assert fib_add_route(a.netns, 0, 0, _ip("10.0.1.254"), a0) == 0
    assert fib_add_route(b.netns, 0, 0, _ip("10.0.2.254"), b0) == 0
    r.sysctl["net.ipv4.ip_forward"] = 1

    pa, pb = a.spawn(), b.spawn()
    rx = await do_syscall(pb, "socket", {"family": uapi.AF_INET, "type": uapi.SOCK_DGRAM, "protocol": 0})
    if rx.ret == -uapi.EAFNOSUPPORT:
        pytest.skip("AF_INET is not registered yet")
    assert rx.ret >= 0
    tx = await do_syscall(pa, "socket", {"family": uapi.AF_INET, "type": uapi.SOCK_DGRAM, "protocol": 0})
    assert (await do_syscall(pb, "bind", {"fd": rx.ret, "addr": _sin("0.0.0.0", 9999)})).ret == 0

    files = {f"{dev.net.host.name}-{dev.name}": tmp_path / f"{dev.net.host.name}-{dev.name}.pcapng"
             for dev in (a0, r0, r1, b0)}
    caps = [start_capture(dev, str(files[f"{dev.net.host.name}-{dev.name}"]), fmt="pcapng")
            for dev in (a0, r0, r1, b0)]
    payload = b"two hops over veth"
    sent = await do_syscall(pa, "sendto", {"fd": tx.ret, "data": payload, "flags": 0,
                                           "addr": _sin("10.0.2.1", 9999)})
    assert sent.ret == len(payload), sent
    clock.advance(0.1)
    got = await do_syscall(pb, "recvfrom", {"fd": rx.ret, "size": 100, "flags": uapi.MSG_DONTWAIT})
    assert got.ret == len(payload) and got.data == payload
    assert got.addr[4:8] == socket.inet_aton("10.0.1.1")
    for c in caps:
        c.stop()

    for name, path in files.items():
        rows = tshark.fields(path, ("ip.ttl", "udp.dstport"))
        assert tshark.problems(rows) == [], name
        udp = [row for row in rows if row["udp.dstport"] == "9999"]
        assert len(udp) == 1, (name, rows)
        assert udp[0]["ip.ttl"] == ("64" if name in ("a-eth0", "r-eth0") else "63"), name
        assert {"ARP", "UDP"} <= {row["_ws.col.Protocol"] for row in rows}, name
