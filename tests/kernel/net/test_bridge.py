"""The learning bridge: MAC learning, ageing on the manual clock, flooding, ports coming and going.

Ports are channel NICs (the test holds their wires) or veth ends to other hosts.
"""
from __future__ import annotations

import random
from typing import Any

import pytest

from kernel import uapi
from kernel.clock import ManualClock
from kernel.drivers.net.bridge import br_add_if, br_del_if, br_fdb_dump, br_ports, br_set_ageing_time, bridge_newlink
from kernel.drivers.net.channel import ChannelDevice, channel_dev
from kernel.drivers.net.veth import veth_pair
from kernel.host import Host
from kernel.net.core.dev import IFF_PROMISC, dev_close, dev_get_by_name, dev_open
from kernel.net.ipv4.devinet import inet_insert_ifa
from kernel.net.wire.ipv4 import ip_aton

A = b"\x02\x00\x00\x00\x00\x0a"
B = b"\x02\x00\x00\x00\x00\x0b"
C = b"\x02\x00\x00\x00\x00\x0c"
BCAST = b"\xff" * 6


def mac(b: bytes) -> str:
    return ":".join(f"{x:02x}" for x in b)


class Switch:
    def __init__(self, clock: ManualClock, nports: int = 3, **kw: Any) -> None:
        self.clock = clock
        self.host = Host(clock=clock, name="sw", rng=random.Random(5))
        self.br = bridge_newlink(self.host, "br0", **kw)
        self.ports: list[ChannelDevice] = []
        for i in range(nports):
            p = channel_dev(self.host.netns, f"p{i}")
            assert br_add_if(self.br, p) == 0
            self.ports.append(p)

    def inject(self, i: int, dst: bytes, src: bytes, payload: bytes = b"x" * 46) -> None:
        self.ports[i].inject(dst + src + b"\x88\xb5" + payload)

    def out(self) -> list[list[bytes]]:
        return [p.drain() for p in self.ports]

    def fdb(self) -> dict[str, str]:
        return {e["mac"]: e["dev"] for e in br_fdb_dump(self.br) if not e["is_local"]}


def test_unknown_unicast_floods_then_learnt_stations_get_unicast(clock: ManualClock) -> None:
    sw = Switch(clock)
    assert [p.name for p in br_ports(sw.br)] == ["p0", "p1", "p2"]
    assert all(p.flags & IFF_PROMISC for p in sw.ports) and sw.br.carrier
    sw.inject(0, B, A)
    out = sw.out()
    assert [len(o) for o in out] == [0, 1, 1] and out[1][0][:12] == B + A
    assert sw.fdb() == {mac(A): "p0"}
    sw.inject(1, A, B)
    assert [len(o) for o in sw.out()] == [1, 0, 0]
    assert sw.fdb() == {mac(A): "p0", mac(B): "p1"}
    sw.inject(2, B, C)
    assert [len(o) for o in sw.out()] == [0, 1, 0]
    sw.inject(0, A, C)  # the destination sits behind the ingress port: dropped (and C moved to p0)
    assert [len(o) for o in sw.out()] == [0, 0, 0] and sw.fdb()[mac(C)] == "p0"
    assert sw.ports[0].stats.rx_packets == 2 and sw.ports[1].stats.tx_packets == 2


def test_broadcast_and_multicast_flood_and_go_up_the_bridge(clock: ManualClock) -> None:
    sw = Switch(clock)
    before = sw.br.stats.rx_packets
    sw.inject(1, BCAST, A)
    sw.inject(1, b"\x01\x00\x5e\x00\x00\x01", A)
    assert [len(o) for o in sw.out()] == [2, 0, 2]
    assert sw.br.stats.rx_packets == before + 2
    sw.inject(1, b"\x01\x80\xc2\x00\x00\x00", A)  # STP's group address: never forwarded
    assert [len(o) for o in sw.out()] == [0, 0, 0]
    sw.inject(1, B, BCAST)  # a multicast source is invalid: dropped, not learnt
    assert [len(o) for o in sw.out()] == [0, 0, 0] and mac(BCAST) not in sw.fdb()


def test_ageing_on_the_manual_clock(clock: ManualClock) -> None:
    sw = Switch(clock)
    sw.inject(0, BCAST, A)
    sw.out()
    clock.advance(200.0)
    sw.inject(1, BCAST, B)
    sw.out()
    clock.advance(99.0)
    assert sw.fdb() == {mac(A): "p0", mac(B): "p1"}
    ages = {e["mac"]: e["age"] for e in br_fdb_dump(sw.br)}
    assert ages[mac(A)] == pytest.approx(299.0) and ages[mac(B)] == pytest.approx(99.0)
    clock.advance(1.0)  # A has not been heard from for 300 s
    assert sw.fdb() == {mac(B): "p1"}
    sw.inject(2, A, C)  # A unknown again: flooded
    assert [len(o) for o in sw.out()] == [1, 1, 0]
    sw.inject(1, C, B)  # B refreshed at t=300: lives to t=600
    sw.out()
    clock.advance(299.0)
    assert mac(B) in sw.fdb()
    clock.advance(2.0)
    assert mac(B) not in sw.fdb() and mac(C) not in sw.fdb()
    assert clock.pending() == 0  # the collector stops when nothing is left to age
    assert br_set_ageing_time(sw.br, 10) == 0 and br_set_ageing_time(sw.br, -1) == -uapi.EINVAL
    sw.inject(0, BCAST, A)
    clock.advance(10.0)
    assert sw.fdb() == {}
    custom = Switch(clock, ageing_time=30.0)
    custom.inject(0, BCAST, A)
    clock.advance(29.0)
    assert custom.fdb() == {mac(A): "p0"}
    clock.advance(1.0)
    assert custom.fdb() == {}


def test_port_down_forgets_its_stations_and_carrier_follows_ports(clock: ManualClock) -> None:
    sw = Switch(clock, nports=2)
    sw.inject(0, BCAST, A)
    sw.inject(1, BCAST, B)
    sw.out()
    dev_close(sw.ports[0])
    assert sw.fdb() == {mac(B): "p1"} and sw.br.carrier
    sw.inject(1, A, B)  # p0 is down: flooded nowhere
    assert [len(o) for o in sw.out()] == [0, 0]
    dev_close(sw.ports[1])
    assert not sw.br.carrier
    dev_open(sw.ports[0])
    assert sw.br.carrier
    assert br_del_if(sw.br, sw.ports[0]) == 0
    assert not sw.br.carrier and not sw.ports[0].flags & IFF_PROMISC and sw.ports[0].rx_handler is None
    assert br_del_if(sw.br, sw.ports[0]) == -uapi.EINVAL


def test_br_add_if_errors(clock: ManualClock) -> None:
    sw = Switch(clock, nports=1)
    other = bridge_newlink(sw.host, "br1")
    assert br_add_if(other, sw.ports[0]) == -uapi.EBUSY
    assert br_add_if(sw.br, other) == -uapi.ELOOP
    lo = dev_get_by_name(sw.host.netns, "lo")
    assert lo is not None and br_add_if(sw.br, lo) == -uapi.EINVAL
    assert br_add_if(sw.ports[0], other) == -uapi.EINVAL  # not a bridge
    with pytest.raises(OSError):
        bridge_newlink(sw.host, "br0")


def test_frames_from_the_bridge_device_follow_the_fdb(clock: ManualClock, xmit: Any) -> None:
    sw = Switch(clock)
    sw.inject(2, BCAST, C)
    sw.out()
    xmit(sw.br, C + sw.br.dev_addr + b"\x88\xb5" + bytes(46))
    assert [len(o) for o in sw.out()] == [0, 0, 1]
    xmit(sw.br, BCAST + sw.br.dev_addr + b"\x88\xb5" + bytes(46))
    assert [len(o) for o in sw.out()] == [1, 1, 1]
    assert mac(sw.br.dev_addr) not in sw.fdb()


def test_mtu_of_the_egress_port(clock: ManualClock) -> None:
    sw = Switch(clock, nports=2)
    sw.ports[1].mtu = 100
    sw.inject(0, BCAST, A, payload=bytes(200))
    assert [len(o) for o in sw.out()] == [0, 0] and sw.br.stats.tx_dropped == 1


def test_three_hosts_talk_through_a_bridge_host(clock: ManualClock, frames: Any, xmit: Any) -> None:
    """a, b, c each joined by a veth to a port of s's bridge: ARP and ICMP echo between a and c."""
    s = Host(clock=clock, name="s", rng=random.Random(9))
    br = bridge_newlink(s, "sw0")
    hosts, nics = [], []
    for i, name in enumerate("abc"):
        h = Host(clock=clock, name=name, rng=random.Random(10 + i))
        nic, port = veth_pair(h.netns, "eth0", s.netns, f"sw0-{name}")
        assert br_add_if(br, port) == 0
        assert inet_insert_ifa(h.netns, nic, ip_aton(f"10.0.0.{i + 1}"), 24) == 0
        hosts.append(h)
        nics.append(nic)
    a, _, c = hosts
    xmit(nics[0], frames.arp_request(nics[0].dev_addr, "10.0.0.1", "10.0.0.3"))
    assert c.netns.mib["Ip"]["InReceives"] == 0 and nics[1].stats.rx_packets == 1  # b saw the broadcast
    xmit(nics[0], frames.icmp_echo(nics[0].dev_addr, nics[2].dev_addr, "10.0.0.1", "10.0.0.3", 7, 1, b"hello"))
    assert c.netns.mib["Icmp"]["InEchos"] == 1 and a.netns.mib["Icmp"]["InEchoReps"] == 1
    assert nics[1].stats.rx_packets == 1  # the unicast exchange never reached b
    assert {e["dev"] for e in br_fdb_dump(br) if not e["is_local"]} == {"sw0-a", "sw0-c"}
