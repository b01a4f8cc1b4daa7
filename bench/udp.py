"""In-process UDP between two emulated hosts over a veth pair, and its host-kernel baseline.

``udp_veth_pair``: host A (eth0 10.0.0.1/24) and host B (eth0 10.0.0.2/24),
two kernels in this process joined by a veth pair; one operation is a
64-byte ``send`` on A's connected UDP socket (udp_sendmsg -> ip_output ->
neighbour -> veth -> B's netif_rx -> ip_rcv -> udp_rcv) plus B's
``recvfrom`` of it (MSG_DONTWAIT).  No RPC and no client layer: the
syscalls are the kernel's own ``sys_sendto`` / ``sys_recvfrom`` run to
completion without an event loop (none of them waits: the datagram is in
B's queue before A's send returns, as on Linux loopback).  The hosts run on
a ManualClock, so the neighbour entry stays REACHABLE for the whole run.

``host_udp_pair``: the same pair of calls on the host kernel, two stdlib UDP
sockets on 127.0.0.1.  Packets per second is 1e6 / the median in µs.
"""
from __future__ import annotations

import random
import socket as stdlib_socket
import struct
import time
from collections.abc import Coroutine
from typing import Any

from bench.timing import Op

PAYLOAD = b"u" * 64


def run_now(coro: Coroutine[Any, Any, int]) -> int:
    """Run a syscall coroutine that never waits; its return value."""
    try:
        coro.send(None)
    except StopIteration as done:
        return int(done.value)
    coro.close()
    raise RuntimeError("a syscall that should not block did")


def _sockaddr_in(addr: str, port: int) -> bytes:
    return struct.pack("=H", stdlib_socket.AF_INET) + struct.pack("!H4s8x", port, stdlib_socket.inet_aton(addr))


def emulated_pair() -> tuple[Op, Any]:
    """The udp_veth_pair op, and the two hosts (kept alive by the caller)."""
    from kernel.clock import ManualClock
    from kernel.drivers.net.veth import veth_pair
    from kernel.host import Host
    from kernel.net import socket as net
    from kernel.net.ipv4.devinet import inet_insert_ifa
    from kernel.net.uaccess import MsgHdr
    from kernel.net.wire.ipv4 import ip_aton
    from kernel.uapi import AF_INET, MSG_DONTWAIT, SOCK_DGRAM

    clock = ManualClock()
    a, b = Host(clock=clock, name="a", rng=random.Random(1)), Host(clock=clock, name="b", rng=random.Random(2))
    dev_a, dev_b = veth_pair(a.netns, "eth0", b.netns, "eth0")
    assert inet_insert_ifa(a.netns, dev_a, ip_aton("10.0.0.1"), 24, broadcast=-1) == 0
    assert inet_insert_ifa(b.netns, dev_b, ip_aton("10.0.0.2"), 24, broadcast=-1) == 0
    pa, pb = a.spawn(), b.spawn()
    fa = run_now(net.sys_socket(pa, AF_INET, SOCK_DGRAM, 0))
    fb = run_now(net.sys_socket(pb, AF_INET, SOCK_DGRAM, 0))
    assert run_now(net.sys_bind(pb, fb, _sockaddr_in("10.0.0.2", 9999))) == 0
    assert run_now(net.sys_connect(pa, fa, _sockaddr_in("10.0.0.2", 9999))) == 0

    def recv() -> bytes:
        msg = MsgHdr(iovlen=len(PAYLOAD) + 1, namelen=16)
        n = run_now(net.sys_recvfrom(pb, fb, msg, MSG_DONTWAIT))
        if n < 0:
            raise RuntimeError(f"emulated UDP recv failed: errno {-n}")
        return bytes(msg.data)

    # the first datagram resolves ARP (queued, answered by B at once): then the path is warm
    assert run_now(net.sys_sendto(pa, fa, PAYLOAD, 0, None)) == len(PAYLOAD)
    if recv() != PAYLOAD:
        raise RuntimeError("emulated UDP: wrong payload")
    clock_ns = time.perf_counter_ns

    def op() -> int:
        run_now(net.sys_sendto(pa, fa, PAYLOAD, 0, None))
        mid = clock_ns()
        msg = MsgHdr(iovlen=65, namelen=16)
        run_now(net.sys_recvfrom(pb, fb, msg, MSG_DONTWAIT))
        return mid

    return op, (a, b, pa, pb)


def host_pair(stack: Any) -> Op:
    """The host_udp_pair op (sockets closed by ``stack``, an ExitStack)."""
    rx = stdlib_socket.socket(stdlib_socket.AF_INET, stdlib_socket.SOCK_DGRAM)
    stack.enter_context(rx)
    rx.bind(("127.0.0.1", 0))
    tx = stdlib_socket.socket(stdlib_socket.AF_INET, stdlib_socket.SOCK_DGRAM)
    stack.enter_context(tx)
    tx.connect(rx.getsockname())
    tx.send(PAYLOAD)
    if rx.recv(65, stdlib_socket.MSG_DONTWAIT) != PAYLOAD:
        raise RuntimeError("host UDP: wrong payload")
    clock_ns = time.perf_counter_ns

    def op() -> int:
        tx.send(PAYLOAD)
        mid = clock_ns()
        rx.recv(65, stdlib_socket.MSG_DONTWAIT)
        return mid

    return op
