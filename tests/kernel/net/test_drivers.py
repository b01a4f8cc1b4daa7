"""Drivers: test channel, veth pair (one host, two hosts), dummy -- flags, carrier, stats, frames."""
from __future__ import annotations

from typing import Any

import pytest

from kernel import uapi
from kernel.drivers.net.channel import ChannelDevice, channel_dev
from kernel.drivers.net.dummy import dummy_dev, dummy_newlink
from kernel.drivers.net.veth import veth_dellink, veth_newlink, veth_pair, veth_peer
from kernel.host import Host
from kernel.net.core.dev import (
    IFF_BROADCAST,
    IFF_LOWER_UP,
    IFF_MULTICAST,
    IFF_NOARP,
    IFF_RUNNING,
    IFF_UP,
    NETDEV_CHANGE,
    NETDEV_UNREGISTER,
    PacketType,
    dev_add_pack,
    dev_close,
    dev_get_by_name,
    dev_open,
    dev_queue_xmit,
    register_netdevice_notifier,
)
from kernel.net.core.skbuff import PACKET_BROADCAST, PACKET_HOST, PACKET_MULTICAST, PACKET_OTHERHOST
from kernel.net.wire.ipv4 import Ipv4Repr
from kernel.net.wire.udp import UdpRepr

ETH_P_TEST = 0x88B5
RUNNING = IFF_UP | IFF_RUNNING | IFF_LOWER_UP


# --- channel -----------------------------------------------------------------

def test_channel_registers_up_with_a_random_local_mac(hosts: tuple[Host, Host]) -> None:
    a, _ = hosts
    ch = channel_dev(a.netns, "eth1", mtu=1400)
    assert isinstance(ch, ChannelDevice)
    assert dev_get_by_name(a.netns, "eth1") is ch and ch.ifindex > 1
    assert ch.flags & RUNNING == RUNNING and ch.flags & (IFF_BROADCAST | IFF_MULTICAST)
    assert ch.mtu == 1400
    assert len(ch.dev_addr) == 6 and ch.dev_addr[0] & 0x02 and not ch.dev_addr[0] & 0x01
    other = channel_dev(a.netns, "eth2", up=False)
    assert other.dev_addr != ch.dev_addr and not other.flags & IFF_UP
    with pytest.raises(OSError) as e:
        channel_dev(a.netns, "eth1")
    assert e.value.errno == uapi.EEXIST


def test_channel_transmit_queues_frames_for_read_and_drain(hosts: tuple[Host, Host], frames: Any, xmit: Any) -> None:
    a, _ = hosts
    ch = channel_dev(a.netns, "eth1")
    assert ch.read() is None and ch.drain() == []
    f1 = frames.raw(ch.dev_addr, b"\x02" * 6, b"one" * 20)
    f2 = frames.raw(ch.dev_addr, b"\x02" * 6, b"two" * 30)
    assert xmit(ch, f1) == 0 and xmit(ch, f2) == 0
    assert ch.read() == f1
    assert ch.drain() == [f2] and ch.read() is None
    assert (ch.stats.tx_packets, ch.stats.tx_bytes, ch.stats.tx_dropped) == (2, len(f1) + len(f2), 0)
    assert (ch.stats.rx_packets, ch.stats.rx_bytes) == (0, 0)


def test_channel_on_xmit_callback_and_full_queue(hosts: tuple[Host, Host], frames: Any, xmit: Any) -> None:
    a, _ = hosts
    seen: list[bytes] = []
    ch = channel_dev(a.netns, "eth1", on_xmit=seen.append)
    f = frames.raw(ch.dev_addr, b"\x02" * 6, b"x" * 50)
    xmit(ch, f)
    assert seen == [f] and ch.read() is None
    small = channel_dev(a.netns, "eth2", queue_len=2)
    for _ in range(3):
        xmit(small, f)
    assert len(small.drain()) == 2
    assert (small.stats.tx_packets, small.stats.tx_dropped) == (2, 1)


def test_channel_inject_classifies_and_counts(hosts: tuple[Host, Host], frames: Any, receiver: Any) -> None:
    a, _ = hosts
    ch = channel_dev(a.netns, "eth1")
    rx = receiver(ch)
    cases = [(ch.dev_addr, PACKET_HOST), (b"\xff" * 6, PACKET_BROADCAST), (b"\x01\x00\x5e\x00\x00\x01", PACKET_MULTICAST),
             (b"\x02\x00\x00\x00\x00\x09", PACKET_OTHERHOST)]
    sent = []
    for dst, _ in cases:
        f = frames.raw(b"\x02\x00\x00\x00\x00\x01", dst, bytes(range(46)))
        sent.append(f)
        assert ch.inject(f) == 0
    assert [s.pkt_type for s in rx.got] == [pt for _, pt in cases]
    assert rx.frames() == sent
    skb = rx.got[0]
    assert skb.protocol == ETH_P_TEST and skb.dev is ch and skb.tobytes() == bytes(range(46))
    assert skb.network_header == skb.doff and skb.doff - skb.mac_header == 14
    assert skb.tstamp == a.clock.now()
    assert (ch.stats.rx_packets, ch.stats.rx_bytes) == (4, sum(map(len, sent)))
    # a runt frame is an rx error; a frame on a down NIC is dropped
    assert ch.inject(b"\x00" * 10) == 1 and ch.stats.rx_errors == 1
    dev_close(ch)
    assert ch.inject(sent[0]) == 1 and ch.stats.rx_dropped == 1
    assert len(rx.got) == 4


def test_channel_inject_of_unclaimed_ethertype_is_rx_dropped(hosts: tuple[Host, Host], frames: Any) -> None:
    a, _ = hosts
    ch = channel_dev(a.netns, "eth1")
    ch.inject(frames.raw(b"\x02" * 6, ch.dev_addr, b"\x00" * 46, ethertype=0x88B6))
    assert ch.stats.rx_packets == 1 and ch.stats.rx_dropped == 1


def test_channel_transmit_on_a_down_nic_is_enetdown(hosts: tuple[Host, Host], frames: Any, xmit: Any) -> None:
    a, _ = hosts
    ch = channel_dev(a.netns, "eth1", up=False)
    assert xmit(ch, frames.raw(ch.dev_addr, b"\x02" * 6, b"")) == -uapi.ENETDOWN
    assert ch.read() is None and ch.stats.tx_dropped == 1


# --- veth ---------------------------------------------------------------------

def test_veth_carrier_follows_both_ends(hosts: tuple[Host, Host]) -> None:
    a, _ = hosts
    events: list[tuple[int, str]] = []
    register_netdevice_notifier(a.netns, lambda ev, dev: events.append((ev, dev.name)))
    v0, v1 = veth_pair(a.netns, "veth0", a.netns, "veth1", up=False)
    assert veth_peer(v0) is v1 and veth_peer(v1) is v0
    assert not v0.carrier and not v1.carrier and not v0.flags & IFF_UP
    assert dev_open(v0) == 0
    assert v0.flags & IFF_UP and not v0.flags & IFF_RUNNING and not v0.carrier  # NO-CARRIER: the peer is down
    events.clear()
    assert dev_open(v1) == 0
    assert v0.flags & RUNNING == RUNNING and v1.flags & RUNNING == RUNNING
    assert (NETDEV_CHANGE, "veth0") in events
    events.clear()
    dev_close(v1)
    assert not v0.carrier and not v0.flags & IFF_RUNNING and v0.flags & IFF_UP
    assert not v1.flags & IFF_UP
    assert (NETDEV_CHANGE, "veth0") in events
    dev_open(v1)
    assert v0.flags & RUNNING == RUNNING and v1.flags & RUNNING == RUNNING
    dev_close(v0)
    assert not v1.carrier and v1.flags & IFF_UP and not v1.flags & IFF_RUNNING


def test_veth_between_two_hosts_delivers_a_copy(hosts: tuple[Host, Host], frames: Any, xmit: Any,
                                               receiver: Any) -> None:
    a, b = hosts
    ea, eb = veth_pair(a.netns, "eth0", b.netns, "eth0")
    assert ea.net is a.netns and eb.net is b.netns and ea.ifindex == eb.ifindex == 2
    assert ea.flags & RUNNING == RUNNING and eb.flags & RUNNING == RUNNING
    assert ea.dev_addr != eb.dev_addr
    rx_b, rx_a = receiver(eb), receiver(ea)
    payload = b"hello over the cable"
    f = frames.raw(ea.dev_addr, eb.dev_addr, payload + bytes(46 - len(payload)))
    assert xmit(ea, f) == 0
    assert rx_b.frames() == [f] and rx_a.got == []
    skb = rx_b.got[0]
    assert skb.pkt_type == PACKET_HOST and skb.dev is eb and skb.skb_iif == eb.ifindex
    assert isinstance(skb.head, bytes)  # a fresh receive buffer, not the sender's
    assert (ea.stats.tx_packets, ea.stats.tx_bytes, ea.stats.rx_packets) == (1, len(f), 0)
    assert (eb.stats.rx_packets, eb.stats.rx_bytes, eb.stats.tx_packets) == (1, len(f), 0)
    # and back
    back = frames.raw(eb.dev_addr, ea.dev_addr, b"\x01" * 46)
    xmit(eb, back)
    assert rx_a.frames() == [back]
    assert (ea.stats.rx_packets, eb.stats.tx_packets) == (1, 1)


def test_veth_peer_down_drops_at_the_sender(hosts: tuple[Host, Host], frames: Any, xmit: Any,
                                            receiver: Any) -> None:
    a, b = hosts
    ea, eb = veth_pair(a.netns, "eth0", b.netns, "eth0")
    rx = receiver(eb)
    dev_close(eb)
    f = frames.raw(ea.dev_addr, eb.dev_addr, b"\x00" * 46)
    for _ in range(3):
        assert xmit(ea, f) == 0  # the sender is not told (NET_XMIT_DROP is swallowed, as on Linux)
    assert (ea.stats.tx_packets, ea.stats.tx_dropped) == (0, 3)
    assert (eb.stats.rx_packets, eb.stats.rx_dropped) == (0, 0)
    dev_open(eb)
    xmit(ea, f)
    assert len(rx.got) == 1 and (ea.stats.tx_packets, eb.stats.rx_packets) == (1, 1)


def test_veth_frame_over_the_peer_mtu_is_dropped_at_both_ends(hosts: tuple[Host, Host], frames: Any, xmit: Any,
                                                              receiver: Any) -> None:
    a, b = hosts
    ea, eb = veth_pair(a.netns, "eth0", b.netns, "eth0", mtu=9000)
    eb.mtu = 1500
    rx = receiver(eb)
    fits = frames.raw(ea.dev_addr, eb.dev_addr, bytes(1500 + 4))  # MTU + a VLAN tag's room still passes
    too_big = frames.raw(ea.dev_addr, eb.dev_addr, bytes(1505))
    xmit(ea, fits)
    xmit(ea, too_big)
    assert len(rx.got) == 1
    assert (ea.stats.tx_packets, ea.stats.tx_dropped) == (1, 1)
    assert (eb.stats.rx_packets, eb.stats.rx_dropped) == (1, 1)


def test_veth_newlink_errors_and_dellink(hosts: tuple[Host, Host]) -> None:
    a, b = hosts
    assert veth_newlink(a.netns, "v0", a.netns, "v0") == -uapi.EEXIST
    assert veth_newlink(a.netns, "lo", a.netns, "v1") == -uapi.EEXIST
    assert dev_get_by_name(a.netns, "v1") is None  # nothing left behind
    assert veth_newlink(a.netns, "x" * 16, b.netns, "v1") == -uapi.EINVAL
    assert dev_get_by_name(b.netns, "v1") is None
    with pytest.raises(OSError):
        veth_pair(a.netns, "lo", b.netns, "v1")
    events: list[tuple[int, str]] = []
    register_netdevice_notifier(b.netns, lambda ev, dev: events.append((ev, dev.name)))
    v0, v1 = veth_pair(a.netns, "v0", b.netns, "v1")
    veth_dellink(v0)
    assert dev_get_by_name(a.netns, "v0") is None and dev_get_by_name(b.netns, "v1") is None
    assert (NETDEV_UNREGISTER, "v1") in events
    assert veth_peer(v0) is None and veth_peer(v1) is None


def test_veth_broadcast_is_classified_and_ipv4_frames_cross_intact(hosts: tuple[Host, Host], frames: Any,
                                                                  xmit: Any, receiver: Any) -> None:
    a, b = hosts
    ea, eb = veth_pair(a.netns, "eth0", b.netns, "eth0")
    rx = receiver(eb, 0x0800)
    f = frames.udp(ea.dev_addr, b"\xff" * 6, "192.0.2.1", "192.0.2.255", 5000, 6000, b"payload!")
    xmit(ea, f)
    skb = rx.got[-1]
    assert skb.pkt_type == PACKET_BROADCAST
    ip = Ipv4Repr.parse(skb.tobytes())
    assert ip.protocol == 17 and ip.ttl == 64
    UdpRepr.parse(skb.tobytes()[20:], ip.src, ip.dst)  # checksum verified


def test_two_hosts_through_channel_endpoints(hosts: tuple[Host, Host], frames: Any) -> None:
    """ch_a (A) -> bridge -> veth A <-> veth B -> bridge -> ch_b (B): the frame arrives unchanged."""
    a, b = hosts
    ch_a = channel_dev(a.netns, "eth1")
    ch_b = channel_dev(b.netns, "eth1")
    va, vb = veth_pair(a.netns, "eth0", b.netns, "eth0")

    def bridge(into: Any) -> Any:
        def rcv(skb: Any, dev: Any, pt: Any, orig: Any) -> int:
            frame = bytes(skb.head[skb.mac_header:skb.tail])
            from kernel.net.core.skbuff import alloc_skb
            out = alloc_skb(len(frame))
            out.put_data(frame)
            out.dev = into
            return dev_queue_xmit(out)
        return rcv

    dev_add_pack(a.netns, PacketType(0x0800, bridge(va), dev=ch_a))
    dev_add_pack(b.netns, PacketType(0x0800, bridge(ch_b), dev=vb))
    far_mac = b"\x02\x00\x00\x00\x00\x42"  # the frame is for a host beyond B: nobody's stack takes it
    sent = [frames.udp(b"\x02\x00\x00\x00\x00\x41", far_mac, "198.51.100.1", "198.51.100.2", 1000 + i, 53,
                       b"q" * i, ident=i) for i in range(1, 6)]
    for f in sent:
        assert ch_a.inject(f) == 0
    assert ch_b.drain() == sent
    assert ch_a.read() is None
    for dev in (ch_a, vb):
        assert dev.stats.rx_packets == 5
    for dev in (va, ch_b):
        assert dev.stats.tx_packets == 5 and dev.stats.tx_bytes == sum(map(len, sent))


# --- dummy --------------------------------------------------------------------

def test_dummy_counts_and_discards(hosts: tuple[Host, Host], frames: Any, xmit: Any) -> None:
    a, _ = hosts
    d = dummy_dev(a.netns, "dummy0")
    assert d.flags & IFF_NOARP and not d.flags & IFF_MULTICAST and d.flags & IFF_BROADCAST
    assert d.flags & RUNNING == RUNNING
    f = frames.raw(d.dev_addr, b"\x02" * 6, b"\x00" * 46)
    for _ in range(4):
        assert xmit(d, f) == 0
    assert (d.stats.tx_packets, d.stats.tx_bytes, d.stats.tx_dropped, d.stats.rx_packets) == (4, 4 * len(f), 0, 0)
    eth0 = dummy_dev(a.netns, "eth0", arp=True)
    assert eth0.flags & IFF_MULTICAST and not eth0.flags & IFF_NOARP
    assert dummy_newlink(a.netns, "eth0") == -uapi.EEXIST
