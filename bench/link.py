"""Figure 4: TCP bulk between two daemons joined by a PeerLink (server/link_service.py).

Two in-process daemons (``server.app.build``) on one event-loop thread of
the bench (uvloop or the stdlib loop: figure 6), each serving one emulated
host with a peer-link NIC ``eth1`` (a 10.1.0.1/24, b 10.1.0.2/24, 1500
MTU); a's :class:`~server.link_service.LinkDialer` dials b's
:class:`~server.link_service.LinkServicer` over 127.0.0.1, so every frame
is a gRPC message on a real HTTP/2 stream.  A TCP connection from a to b
is driven with the kernel's own blocking ``sys_*`` calls as tasks on that
loop (RealClock: timers are real); one operation moves ``CHUNK`` bytes
(the same as figure 3's :mod:`bench.tcp`) from a to b.  The ratio's
baseline is figure 3's in-process veth figure: what the gRPC link costs.
"""
from __future__ import annotations

import asyncio
import struct
import threading
from typing import Any

from bench.tcp import _DATA, CHUNK
from bench.timing import Op

WAIT = 15.0


def _sin(addr: str, port: int) -> bytes:
    import socket

    return struct.pack("=H", socket.AF_INET) + struct.pack("!H4s8x", port, socket.inet_aton(addr))


class LinkBulk:
    """Two daemons, a PeerLink between them, a TCP connection across it, on a loop thread of their own."""

    def __init__(self, loop_kind: str = "uvloop") -> None:
        if loop_kind == "asyncio":
            self.loop = asyncio.new_event_loop()
        else:
            import uvloop

            self.loop = uvloop.new_event_loop()
        self.loop_kind = loop_kind
        self._thread = threading.Thread(target=self.loop.run_forever, name=f"bench-link-{loop_kind}", daemon=True)
        self._thread.start()
        try:
            self._run(self._setup())
            got = self._run(self._transfer(keep=True))
            if got != _DATA:
                raise RuntimeError("PeerLink bulk: wrong payload")
        except BaseException:
            self.close()
            raise

    def _run(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=60.0)

    async def _setup(self) -> None:
        from kernel import uapi
        from kernel.drivers.net.peerlink import peerlink_newlink
        from kernel.host import Host
        from kernel.net import socket as net
        from kernel.net.ipv4.devinet import inet_insert_ifa
        from kernel.net.wire.ipv4 import ip_aton
        from server.app import build
        from server.link_service import LinkDialer, add_to_server

        self.daemons: list[Any] = []
        hosts = []
        for name, addr, peer in (("a", "10.1.0.1", None), ("b", "10.1.0.2", ("a", "eth1"))):
            h = Host(name=name)
            dev = peerlink_newlink(h, "eth1", mtu=1500, peer=peer, mac=b"\x02\x00\x00\x00\x01" + name.encode())
            if inet_insert_ifa(h.netns, dev, ip_aton(addr), 24) != 0:
                raise RuntimeError("PeerLink bulk: cannot add an address")
            d = build("127.0.0.1:0", h)
            add_to_server(d.server, h, lab="bench")
            await d.start()
            self.daemons.append(d)
            hosts.append(h)
        a, b = hosts
        self.dialer = LinkDialer(a, "eth1", f"127.0.0.1:{self.daemons[1].port}", "b", "eth1", "bench")
        self.dialer.start()
        await self.dialer.wait_up(WAIT)
        self.net = net
        self.pa, self.pb = a.spawn(), b.spawn()
        lfd = await net.sys_socket(self.pb, uapi.AF_INET, uapi.SOCK_STREAM, 0)
        if await net.sys_bind(self.pb, lfd, _sin("10.1.0.2", 5001)) != 0 or await net.sys_listen(self.pb, lfd, 8):
            raise RuntimeError("PeerLink bulk: listen failed")
        self.fa = await net.sys_socket(self.pa, uapi.AF_INET, uapi.SOCK_STREAM, 0)
        accept = asyncio.ensure_future(net.sys_accept4(self.pb, lfd, None, 0))
        async with asyncio.timeout(WAIT):
            rc = await net.sys_connect(self.pa, self.fa, _sin("10.1.0.2", 5001))
            if rc != 0:
                raise RuntimeError(f"PeerLink bulk: connect failed: errno {-rc}")
            self.fb = await accept
        if self.fb < 0:
            raise RuntimeError(f"PeerLink bulk: accept failed: errno {-self.fb}")

    async def _transfer(self, keep: bool = False) -> bytes:
        from kernel.net.uaccess import MsgHdr

        net = self.net

        async def send() -> None:
            sent = 0
            view = memoryview(_DATA)
            while sent < CHUNK:
                n = await net.sys_sendto(self.pa, self.fa, bytes(view[sent:]), 0, None)
                if n <= 0:
                    raise RuntimeError(f"PeerLink bulk: send returned {n}")
                sent += n

        sender = asyncio.ensure_future(send())
        got = 0
        kept = bytearray()
        try:
            async with asyncio.timeout(WAIT):
                while got < CHUNK:
                    msg = MsgHdr(iovlen=CHUNK, namelen=0)
                    n = await net.sys_recvfrom(self.pb, self.fb, msg, 0)
                    if n <= 0:
                        raise RuntimeError(f"PeerLink bulk: recv returned {n}")
                    got += n
                    if keep:
                        kept += msg.data
                await sender
        finally:
            sender.cancel()
        return bytes(kept)

    def op(self) -> None:
        """Move CHUNK bytes from a to b across the link."""
        self._run(self._transfer())

    def close(self) -> None:
        async def stop() -> None:
            dialer = getattr(self, "dialer", None)
            if dialer is not None:
                await dialer.stop()
            for d in getattr(self, "daemons", []):
                await d.stop(grace=None)

        if self.loop.is_running():
            try:
                self._run(stop())
            finally:
                self.loop.call_soon_threadsafe(self.loop.stop)
                self._thread.join(timeout=5.0)
        if not self.loop.is_running():
            self.loop.close()


def link_bulk(stack: Any, loop_kind: str = "uvloop") -> Op:
    bulk = LinkBulk(loop_kind)
    stack.callback(bulk.close)
    return bulk.op
