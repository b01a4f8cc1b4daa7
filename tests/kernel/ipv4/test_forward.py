"""Forwarding through a router host: ping across two hops, TTL exceeded, forwarding off, PMTU."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from kernel.net.core.skbuff import SkBuff, alloc_skb
from kernel.net.ipv4.ip_output import ip_build_xmit
from kernel.net.ipv4.protocol import raw_hooks
from kernel.net.ipv4.route import Flowi4, ip_route_output_key, ipv4_update_pmtu
from kernel.net.wire.icmp import IcmpRepr
from kernel.net.wire.ipv4 import Ipv4Repr
from kernel.net.wire.ipv4 import ip_aton as ip


class Topo:
    """A (10.0.0.2) -- R (10.0.0.1 | 10.0.1.1) -- B (10.0.1.2), veth links, R forwarding."""

    def __init__(self, lab: Any, mtu_rb: int = 1500) -> None:
        self.lab = lab
        self.a, self.r, self.b = lab.host("a"), lab.host("r"), lab.host("b")
        self.a0, self.r0 = lab.veth(self.a, "eth0", self.r, "eth0")
        self.r1, self.b0 = lab.veth(self.r, "eth1", self.b, "eth0", mtu=mtu_rb)
        lab.addr(self.a, self.a0, "10.0.0.2/24")
        lab.addr(self.r, self.r0, "10.0.0.1/24")
        lab.addr(self.r, self.r1, "10.0.1.1/24")
        lab.addr(self.b, self.b0, "10.0.1.2/24")
        assert lab.route(self.a, "0.0.0.0/0", via="10.0.0.1") == 0
        assert lab.route(self.b, "0.0.0.0/0", via="10.0.1.1") == 0
        self.r.sysctl["net.ipv4.ip_forward"] = 1


@pytest.fixture
def pings() -> Iterator[list[tuple[str, bytes]]]:
    """Echo replies (host name, ICMP bytes) seen by raw_hooks.ping_rcv."""
    got: list[tuple[str, bytes]] = []
    saved = raw_hooks.ping_rcv

    def rcv(skb: SkBuff) -> bool:
        got.append((skb.dev.net.host.name, bytes(skb.head[skb.network_header:skb.tail])))
        return True

    raw_hooks.ping_rcv = rcv
    yield got
    raw_hooks.ping_rcv = saved


def send(h: Any, daddr: str, msg: bytes, proto: int = 1, ttl: int = 64, df: bool = False) -> int:
    fl = Flowi4(daddr=ip(daddr), proto=proto)
    rt = ip_route_output_key(h.netns, fl)
    assert not isinstance(rt, int), rt
    skb = alloc_skb(len(msg))
    skb.put_data(msg)
    return ip_build_xmit(h.netns, skb, rt=rt, fl4=fl, proto=proto, ttl=ttl, tos=0, df=df)


def test_ping_across_a_router(lab: Any, pings: list[tuple[str, bytes]]) -> None:
    t = Topo(lab)
    assert send(t.a, "10.0.1.2", lab.icmp_echo(42, 1, b"over the router")) == 0
    [(host, pkt)] = pings
    iph = Ipv4Repr.parse(pkt)
    assert (host, iph.src, iph.dst, iph.ttl) == ("a", ip("10.0.1.2"), ip("10.0.0.2"), 63)
    icmp = IcmpRepr.parse(pkt[20:])
    assert (icmp.type, icmp.ident, icmp.seq, icmp.data) == (0, 42, 1, b"over the router")
    assert t.r.netns.mib["Ip"]["ForwDatagrams"] == 2
    assert t.b.netns.mib["Icmp"]["InEchos"] == 1


def test_ttl_one_gets_time_exceeded_from_the_router(lab: Any, pings: list[tuple[str, bytes]]) -> None:
    t = Topo(lab)
    sink = lab.sink(1 + 252)  # a protocol the ICMP quote names
    assert send(t.a, "10.0.1.2", b"ttl-one!", proto=253, ttl=1) == 0
    [((type_, code, _), quoted)] = sink.errors
    assert (type_, code) == (11, 0)
    q = Ipv4Repr.parse(quoted)
    assert (q.src, q.dst, q.ttl) == (ip("10.0.0.2"), ip("10.0.1.2"), 1)
    assert t.r.netns.mib["Icmp"]["OutTimeExcds"] == 1 and t.r.netns.mib["Ip"]["InHdrErrors"] == 1
    assert t.b.netns.mib["Ip"]["InReceives"] == 0
    # the ICMP about it came from the router's address on A's side
    assert t.a.netns.mib["IcmpMsg"]["InType11"] == 1


def test_no_icmp_error_about_an_icmp_error(lab: Any) -> None:
    t = Topo(lab)
    inner = lab.ipv4_packet("10.0.1.2", "10.0.0.2", 17, bytes(8))
    assert send(t.a, "10.0.1.2", IcmpRepr.dest_unreachable(3, inner).to_bytes(), ttl=1) == 0
    assert t.r.netns.mib["Icmp"]["OutMsgs"] == 0


def test_forwarding_off_is_an_address_error(lab: Any) -> None:
    t = Topo(lab)
    t.r.sysctl["net.ipv4.ip_forward"] = 0
    assert send(t.a, "10.0.1.2", lab.icmp_echo(1, 1)) == 0
    assert t.r.netns.mib["Ip"]["InAddrErrors"] == 1 and t.r.netns.mib["Ip"]["ForwDatagrams"] == 0
    assert t.b.netns.mib["Ip"]["InReceives"] == 0


def test_router_without_a_route_sends_net_unreachable(lab: Any) -> None:
    t = Topo(lab)
    sink = lab.sink()
    assert send(t.a, "172.16.0.1", b"nowhere!", proto=253) == 0
    [((type_, code, _), _)] = sink.errors
    assert (type_, code) == (3, 0)
    assert t.r.netns.mib["IpExt"]["InNoRoutes"] == 1


def test_df_too_big_gets_fragmentation_needed(lab: Any) -> None:
    t = Topo(lab, mtu_rb=1000)
    sink = lab.sink()
    # without DF the router fragments, and B reassembles
    assert send(t.a, "10.0.1.2", bytes(1400), proto=253) == 0
    assert sink.delivered == [bytes(1400)]
    assert t.r.netns.mib["Ip"]["FragCreates"] == 2 and t.b.netns.mib["Ip"]["ReasmOKs"] == 1
    # with DF: fragmentation needed carrying the next hop's MTU, handed to the protocol's err_handler
    assert send(t.a, "10.0.1.2", bytes(1400), proto=253, df=True) == 0
    [((type_, code, info), _)] = sink.errors
    assert (type_, code, info) == (3, 4, 1000)
    assert t.r.netns.mib["Ip"]["FragFails"] == 1
    # the IP layer itself learns nothing (Linux: the protocol's err_handler does, for a socket of its own)
    assert ip("10.0.1.2") not in t.a.netns.ipv4.pmtu_exceptions
    ipv4_update_pmtu(t.a.netns, ip("10.0.1.2"), info)  # what udp_err / raw_err / icmp_err do
    assert send(t.a, "10.0.1.2", bytes(1400), proto=253) == 0
    assert t.a.netns.mib["Ip"]["FragCreates"] == 2  # now A fragments to the learned MTU
    assert send(t.a, "10.0.1.2", bytes(1400), proto=253, df=True) == -90  # EMSGSIZE
