"""The peer link NIC (a daemon-to-daemon cable) on its own and as a bridge port, with the send side held by the test."""
from __future__ import annotations

import random
from typing import Any

import pytest

from kernel import uapi
from kernel.clock import ManualClock
from kernel.drivers.net.bridge import br_add_if, br_fdb_dump, bridge_newlink
from kernel.drivers.net.peerlink import (
    is_peerlink,
    peerlink_attach,
    peerlink_dellink,
    peerlink_detach,
    peerlink_newlink,
    peerlink_rx,
)
from kernel.host import Host
from kernel.net.core.dev import IFF_LOWER_UP, IFF_RUNNING, IFF_UP, NETDEV_CHANGE, dev_get_by_name
from kernel.net.ipv4.devinet import inet_insert_ifa
from kernel.net.wire.ipv4 import ip_aton


def pair(clock: ManualClock) -> tuple[Host, Host, Any, Any]:
    a, b = Host(clock=clock, name="a", rng=random.Random(1)), Host(clock=clock, name="b", rng=random.Random(2))
    ea = peerlink_newlink(a, "eth0", peer=("b", "eth0"))
    eb = peerlink_newlink(b, "eth0", mac=b"\x02\x00\x00\x00\x00\x0b")
    return a, b, ea, eb


def test_carrier_down_until_attached(clock: ManualClock, frames: Any, xmit: Any) -> None:
    a, _, ea, eb = pair(clock)
    assert is_peerlink(ea) and ea.priv.peer == ("b", "eth0") and eb.dev_addr == b"\x02\x00\x00\x00\x00\x0b"
    assert ea.flags & IFF_UP and not ea.carrier and not ea.flags & IFF_RUNNING
    events: list[int] = []
    a.netns.netdev_chain.append(lambda ev, dev: events.append(ev) if dev is ea else None)
    xmit(ea, frames.raw(ea.dev_addr, eb.dev_addr, bytes(46)))
    assert ea.stats.tx_dropped == 1 and ea.stats.tx_packets == 0
    wire: list[bytes] = []
    peerlink_attach(ea, lambda f: wire.append(f) or True)
    assert ea.carrier and ea.flags & IFF_LOWER_UP and events == [NETDEV_CHANGE]
    f = frames.raw(ea.dev_addr, eb.dev_addr, bytes(46))
    xmit(ea, f)
    assert wire == [f] and ea.stats.tx_packets == 1
    peerlink_detach(ea)
    assert not ea.carrier and events == [NETDEV_CHANGE, NETDEV_CHANGE]
    xmit(ea, f)
    assert wire == [f] and ea.stats.tx_dropped == 2


def test_full_link_queue_drops_and_counts(clock: ManualClock, frames: Any, xmit: Any) -> None:
    _, _, ea, eb = pair(clock)
    budget = [3]

    def send(frame: bytes) -> bool:
        budget[0] -= 1
        return budget[0] >= 0

    peerlink_attach(ea, send)
    for _ in range(10):
        xmit(ea, frames.raw(ea.dev_addr, eb.dev_addr, bytes(46)))
    assert (ea.stats.tx_packets, ea.stats.tx_dropped, ea.stats.tx_fifo_errors) == (3, 7, 7)

    def broken(frame: bytes) -> bool:
        raise RuntimeError("stream gone")

    peerlink_attach(ea, broken)
    xmit(ea, frames.raw(ea.dev_addr, eb.dev_addr, bytes(46)))
    assert ea.stats.tx_errors == 1 and ea.stats.tx_dropped == 8


def test_two_hosts_over_a_peer_link_ping(clock: ManualClock, frames: Any, xmit: Any) -> None:
    a, b, ea, eb = pair(clock)
    peerlink_attach(ea, lambda f: peerlink_rx(eb, f) == 0 or True)
    peerlink_attach(eb, lambda f: peerlink_rx(ea, f) == 0 or True)
    assert inet_insert_ifa(a.netns, ea, ip_aton("10.0.0.1"), 24) == 0
    assert inet_insert_ifa(b.netns, eb, ip_aton("10.0.0.2"), 24) == 0
    xmit(ea, frames.arp_request(ea.dev_addr, "10.0.0.1", "10.0.0.2"))
    xmit(ea, frames.icmp_echo(ea.dev_addr, eb.dev_addr, "10.0.0.1", "10.0.0.2", 1, 1, b"ping"))
    assert b.netns.mib["Icmp"]["InEchos"] == 1 and a.netns.mib["Icmp"]["InEchoReps"] == 1
    assert eb.stats.rx_packets == 2 and ea.stats.rx_packets == 2  # ARP reply + echo reply


def test_rx_checks(clock: ManualClock, frames: Any) -> None:
    _, _, ea, eb = pair(clock)
    assert peerlink_rx(eb, frames.raw(ea.dev_addr, eb.dev_addr, bytes(1600))) == 1
    assert eb.stats.rx_dropped == 1
    assert peerlink_rx(eb, b"\x00" * 5) == 1 and eb.stats.rx_errors == 1
    with pytest.raises(OSError) as info:
        peerlink_newlink(ea.net.host, "eth0")
    assert info.value.errno == uapi.EEXIST
    with pytest.raises(TypeError):
        peerlink_attach(dev_get_by_name(ea.net, "lo"), lambda f: True)  # type: ignore[arg-type]
    peerlink_dellink(ea)
    assert dev_get_by_name(ea.net, "eth0") is None  # type: ignore[arg-type]


def test_peer_link_ports_on_a_bridge(clock: ManualClock, frames: Any, xmit: Any) -> None:
    """The lab's shape: a bridge on host s, one peer link port per member NIC of another host."""
    s = Host(clock=clock, name="s", rng=random.Random(3))
    br = bridge_newlink(s, "sw0")
    members = []
    for i, name in enumerate("ab"):
        h = Host(clock=clock, name=name, rng=random.Random(20 + i))
        nic = peerlink_newlink(h, "eth0")
        port = peerlink_newlink(s, f"sw0-{name}-eth0", peer=(name, "eth0"))
        assert br_add_if(br, port) == 0 and not br.carrier or i == 1
        peerlink_attach(nic, lambda f, port=port: peerlink_rx(port, f) == 0 or True)
        peerlink_attach(port, lambda f, nic=nic: peerlink_rx(nic, f) == 0 or True)
        assert inet_insert_ifa(h.netns, nic, ip_aton(f"10.0.0.{i + 1}"), 24) == 0
        members.append((h, nic))
    (a, ea), (b, eb) = members
    assert br.carrier
    xmit(ea, frames.arp_request(ea.dev_addr, "10.0.0.1", "10.0.0.2"))
    xmit(ea, frames.icmp_echo(ea.dev_addr, eb.dev_addr, "10.0.0.1", "10.0.0.2", 1, 1, b"ping"))
    assert b.netns.mib["Icmp"]["InEchos"] == 1 and a.netns.mib["Icmp"]["InEchoReps"] == 1
    assert {e["dev"] for e in br_fdb_dump(br) if not e["is_local"]} == {"sw0-a-eth0", "sw0-b-eth0"}
