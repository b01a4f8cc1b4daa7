"""Fixtures for the IPv4 layer tests: hosts on one ManualClock, links, hand-built frames.

``lab`` builds topologies: ``lab.host(name)`` (a Host on the shared clock
with a seeded RNG), ``lab.veth(a, "eth0", b, "eth0")``, ``lab.channel(h,
"eth1")`` (a NIC whose wire is the test: ``inject`` / ``drain``),
``lab.addr(h, dev, "10.0.0.1/24")``, ``lab.route(h, "0.0.0.0/0", via=...)``.
``lab.sink(proto)`` registers a test protocol handler in ``inet_protos``
(removed after the test) that records delivered skbs and ICMP errors.
Frame builders use the wire codecs: ``lab.ipv4_packet``, ``lab.eth_frame``,
``lab.icmp_echo``, ``lab.arp_frame`` (helpers are reached through the
fixture: a test module never imports ``conftest``, which is ambiguous here).  Tests never sleep: ``lab.clock.advance``.
"""
from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from kernel.clock import ManualClock
from kernel.drivers.net.channel import ChannelDevice, channel_dev
from kernel.drivers.net.veth import veth_pair
from kernel.host import Host
from kernel.net.core.dev import NetDevice
from kernel.net.core.skbuff import SkBuff
from kernel.net.ipv4.devinet import inet_insert_ifa
from kernel.net.ipv4.fib import fib_add_route
from kernel.net.ipv4.protocol import NetProtocol, inet_protos
from kernel.net.wire.arp import ArpRepr
from kernel.net.wire.ethernet import EthernetRepr
from kernel.net.wire.icmp import IcmpRepr
from kernel.net.wire.ipv4 import Ipv4Option, Ipv4Repr, ip_aton

TEST_PROTO = 253  # RFC 3692 experimentation


def ip(text: str) -> int:
    return ip_aton(text)


def ipv4_packet(src: str, dst: str, proto: int, payload: bytes, *, ttl: int = 64, ident: int = 1, tos: int = 0,
                df: bool = False, mf: bool = False, frag_offset: int = 0,
                options: tuple[Ipv4Option, ...] = ()) -> bytes:
    return Ipv4Repr(ip(src), ip(dst), proto, len(payload), ttl, tos, ident, df, mf, frag_offset,
                    options).to_bytes(payload)


def eth_frame(dst: bytes, src: bytes, ethertype: int, payload: bytes) -> bytes:
    return EthernetRepr(src=src, dst=dst, ethertype=ethertype).to_bytes(payload)


def icmp_echo(ident: int, seq: int, data: bytes = b"", reply: bool = False) -> bytes:
    r = IcmpRepr.echo_reply(ident, seq, data) if reply else IcmpRepr.echo_request(ident, seq, data)
    return r.to_bytes()


def arp_frame(op: int, sha: bytes, sip: str, tha: bytes, tip: str, dst: bytes | None = None) -> bytes:
    body = ArpRepr(op, sha, ip(sip), tha, ip(tip)).to_bytes()
    return eth_frame(dst or b"\xff" * 6, sha, 0x0806, body)


@dataclass
class Sink:
    """A test protocol: what reached its handler and its err_handler."""

    delivered: list[bytes] = field(default_factory=list)  # transport payloads
    packets: list[bytes] = field(default_factory=list)  # whole IP packets (header + payload)
    cbs: list[dict[str, Any]] = field(default_factory=list)
    errors: list[tuple[tuple[int, int, int], bytes]] = field(default_factory=list)  # (type, code, info), quoted

    def handler(self, skb: SkBuff) -> int:
        self.delivered.append(skb.tobytes())
        self.packets.append(bytes(skb.head[skb.network_header:skb.tail]))
        self.cbs.append(dict(skb.cb))
        return 0

    def err_handler(self, skb: SkBuff, info: int) -> int:
        self.errors.append((skb.cb["icmp"], skb.tobytes()))
        return 0


class Lab:
    def __init__(self) -> None:
        self.clock = ManualClock()
        self.hosts: list[Host] = []
        self._protos: list[int] = []

    def host(self, name: str = "h") -> Host:
        h = Host(clock=self.clock, name=name, rng=random.Random(f"ipv4-{name}-{len(self.hosts)}"))
        self.hosts.append(h)
        return h

    def veth(self, a: Host, an: str, b: Host, bn: str, mtu: int = 1500) -> tuple[NetDevice, NetDevice]:
        return veth_pair(a.netns, an, b.netns, bn, mtu=mtu)

    def channel(self, h: Host, name: str = "eth0", mtu: int = 1500, addr: bytes | None = None) -> ChannelDevice:
        return channel_dev(h.netns, name, mtu, addr=addr)

    def addr(self, h: Host, dev: NetDevice, cidr: str, **kw: Any) -> None:
        a, plen = cidr.split("/")
        rc = inet_insert_ifa(h.netns, dev, ip(a), int(plen), **kw)
        assert rc == 0, rc

    def route(self, h: Host, cidr: str, via: str | None = None, dev: NetDevice | None = None, metric: int = 0) -> int:
        a, plen = cidr.split("/")
        return fib_add_route(h.netns, ip(a), int(plen), ip(via) if via else 0, dev, metric)

    def sink(self, proto: int = TEST_PROTO) -> Sink:
        s = Sink()
        inet_protos[proto] = NetProtocol(handler=s.handler, err_handler=s.err_handler)
        self._protos.append(proto)
        return s

    ip = staticmethod(ip)
    ipv4_packet = staticmethod(ipv4_packet)
    eth_frame = staticmethod(eth_frame)
    icmp_echo = staticmethod(icmp_echo)
    arp_frame = staticmethod(arp_frame)
    TEST_PROTO = TEST_PROTO

    def close(self) -> None:
        for p in self._protos:
            inet_protos.pop(p, None)


@pytest.fixture
def lab() -> Iterator[Lab]:
    lab = Lab()
    yield lab
    lab.close()
