"""In-process TCP bulk transfer between two emulated hosts, and its host-kernel baseline (issue 4/8).

``emulated_bulk(link)``: host A and host B on a ManualClock, joined either by
a veth pair with 1500-byte MTU (``link="veth"``: A 10.0.0.1, B 10.0.0.2) or
-- for ``link="lo"`` -- one host talking to itself over loopback (64 KiB MTU,
as Linux's lo).  A connected TCP pair is set up with the kernel's own
``sys_*`` calls; one operation moves ``CHUNK`` bytes: A sends it (nonblocking,
as much as the send buffer takes) and B reads until all of it arrived,
repeating until done.  No RPC, no client layer.  The stack never waits on
real time: segments cross the link inside the send call; when neither side
can progress (the delayed-ACK or another timer is what the flow waits for)
the bench advances the manual clock to the next timer, which costs no wall
time -- so the figure is the stack's CPU cost per byte.

``host_bulk``: the same operation on the host kernel over 127.0.0.1
(stdlib sockets), the ratio's baseline.  Throughput = CHUNK / median.
"""
from __future__ import annotations

import random
import socket as stdlib_socket
from typing import Any

from bench.timing import Op
from bench.udp import _sockaddr_in, run_now

CHUNK = 256 * 1024
_DATA = bytes(range(256)) * (CHUNK // 256)


class EmulatedBulk:
    """A connected emulated TCP pair and the bulk operation on it."""

    def __init__(self, link: str) -> None:
        from kernel.clock import ManualClock
        from kernel.drivers.net.veth import veth_pair
        from kernel.host import Host
        from kernel.net import socket as net
        from kernel.net.ipv4.devinet import inet_insert_ifa
        from kernel.net.wire.ipv4 import ip_aton
        from kernel.uapi import AF_INET, EINPROGRESS, SOCK_NONBLOCK, SOCK_STREAM

        self.net = net
        self.clock = ManualClock()
        a = Host(clock=self.clock, name="a", rng=random.Random(1))
        if link == "veth":
            b = Host(clock=self.clock, name="b", rng=random.Random(2))
            dev_a, dev_b = veth_pair(a.netns, "eth0", b.netns, "eth0")
            assert inet_insert_ifa(a.netns, dev_a, ip_aton("10.0.0.1"), 24, broadcast=-1) == 0
            assert inet_insert_ifa(b.netns, dev_b, ip_aton("10.0.0.2"), 24, broadcast=-1) == 0
            server_addr = "10.0.0.2"
        else:
            b = a
            server_addr = "127.0.0.1"
        self.hosts = (a, b)
        self.pa, self.pb = a.spawn(), b.spawn()
        lfd = run_now(net.sys_socket(self.pb, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0))
        assert run_now(net.sys_bind(self.pb, lfd, _sockaddr_in(server_addr, 5001))) == 0
        assert run_now(net.sys_listen(self.pb, lfd, 16)) == 0
        self.fa = run_now(net.sys_socket(self.pa, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0))
        rc = run_now(net.sys_connect(self.pa, self.fa, _sockaddr_in(server_addr, 5001)))
        if rc not in (0, -EINPROGRESS):
            raise RuntimeError(f"emulated TCP connect failed: errno {-rc}")
        for _ in range(100):
            fb = run_now(net.sys_accept4(self.pb, lfd, None, 0))
            if fb >= 0:
                break
            self._advance()
        else:
            raise RuntimeError("emulated TCP: the handshake did not complete")
        self.fb = fb
        self.buf = bytearray()
        self.op()  # warm: first transfer checked byte for byte
        if bytes(self.buf) != _DATA:
            raise RuntimeError("emulated TCP: wrong payload")

    def _advance(self) -> None:
        """Move the manual clock to the next timer (delayed ACK, retransmission...)."""
        heap = getattr(self.clock, "_heap", None)
        step = 0.001
        if heap:
            step = max(heap[0][0] - self.clock.now(), 0.0) + 1e-6
        self.clock.advance(step)

    def op(self) -> None:
        from kernel.net.uaccess import MsgHdr
        from kernel.uapi import MSG_DONTWAIT

        net = self.net
        sent = 0
        self.buf = bytearray()
        view = memoryview(_DATA)
        stuck = 0
        while len(self.buf) < CHUNK:
            progress = False
            if sent < CHUNK:
                n = run_now(net.sys_sendto(self.pa, self.fa, bytes(view[sent:]), MSG_DONTWAIT, None))
                if n > 0:
                    sent += n
                    progress = True
            while True:
                msg = MsgHdr(iovlen=CHUNK, namelen=0)
                n = run_now(net.sys_recvfrom(self.pb, self.fb, msg, MSG_DONTWAIT))
                if n <= 0:
                    break
                self.buf += msg.data
                progress = True
            if not progress:
                stuck += 1
                if stuck > 10_000:
                    raise RuntimeError("emulated TCP bulk made no progress")
                self._advance()
            else:
                stuck = 0


def emulated_bulk(link: str) -> tuple[Op, Any]:
    pair = EmulatedBulk(link)

    def op() -> None:
        pair.op()

    return op, pair


def host_bulk(stack: Any) -> Op:
    """CHUNK bytes over a host-kernel TCP connection on 127.0.0.1 (sockets closed by ``stack``)."""
    srv = stdlib_socket.create_server(("127.0.0.1", 0))
    stack.enter_context(srv)
    tx = stdlib_socket.create_connection(srv.getsockname())
    stack.enter_context(tx)
    rx, _ = srv.accept()
    stack.enter_context(rx)
    tx.setblocking(False)
    rx.setblocking(False)
    view = memoryview(_DATA)

    def op() -> None:
        sent = got = 0
        while got < CHUNK:
            if sent < CHUNK:
                try:
                    sent += tx.send(view[sent:])
                except BlockingIOError:
                    pass
            try:
                while True:
                    chunk = rx.recv(CHUNK)
                    if not chunk:
                        raise RuntimeError("host TCP: unexpected EOF")
                    got += len(chunk)
            except BlockingIOError:
                pass

    op()
    return op
