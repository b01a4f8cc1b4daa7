"""A test channel endpoint (gVisor's link/channel): a NIC whose wire is the test.

``channel_dev(net, name, mtu=1500) -> ChannelDevice`` registers an Ethernet
NIC (random MAC from ``net.rng``, up by default).  What the stack transmits on
it is queued as raw frames for the test to ``read()`` (oldest first, ``None``
when empty) or ``drain()`` (all of them); with ``on_xmit`` set, each frame goes
to that callback instead of the queue.  ``inject(frame)`` is a frame arriving
from the wire: copied, run through eth_type_trans and handed to netif_rx
(returns 0, or 1 = NET_RX_DROP when the device is down or the frame is shorter
than an Ethernet header, counted in rx_dropped / rx_length_errors as
rx_errors).  At most ``queue_len`` frames wait in the queue; more are dropped
(tx_dropped), like a full channel in gVisor.

``netif_rx_frame(dev, frame)`` is the receive half every software link here
shares (veth's peer, a channel's inject).

Two hosts in one test (Host A eth0 <-veth-> Host B eth0), plus a channel on A::

    from kernel.clock import ManualClock
    from kernel.host import Host
    from kernel.drivers.net.veth import veth_pair
    from kernel.drivers.net.channel import channel_dev

    clock = ManualClock()                       # one clock for every host of the topology
    a, b = Host(clock=clock, name="a"), Host(clock=clock, name="b")
    eth_a, eth_b = veth_pair(a.netns, "eth0", b.netns, "eth0")  # both up: RUNNING, carrier on
    # addresses (IPv4 part): devinet.inet_insert_ifa(a.netns, eth_a, ip_aton("10.0.0.1"), 24) ...
    ch = channel_dev(a.netns, "eth1")           # a wire the test holds
    ch.inject(frame_bytes)                      # a frame arrives on A's eth1
    sent = ch.drain()                           # frames A transmitted on eth1
    clock.advance(1.0)                          # timers (ARP, qdisc delay) fire here, never sleep
"""
from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from kernel.net.core.dev import (
    IFF_UP,
    NETDEV_TX_OK,
    NetDevice,
    dev_open,
    netif_rx,
    register_netdevice,
)
from kernel.net.core.net_namespace import Net
from kernel.net.core.skbuff import SkBuff, skb_from_frame, skb_rebase
from kernel.net.ethernet.eth import ETH_HLEN, eth_header_ops, eth_random_addr, eth_type_trans

NET_RX_SUCCESS = 0
NET_RX_DROP = 1
NET_XMIT_DROP = 1  # an ndo_start_xmit verdict the device layer counts as tx_dropped


def netif_rx_frame(dev: NetDevice, frame: bytes | bytearray | memoryview, *, like: SkBuff | None = None,
                   base: int = 0, gso_size: int = 0) -> int:
    """A frame arrives on ``dev``: a fresh skb (own copy of the bytes), eth_type_trans, netif_rx.
    ``like``: the transmitted skb whose ``head[base:]`` the frame is (a veth), to carry its checksum
    offload state over.

    Returns NET_RX_SUCCESS or NET_RX_DROP (device down: rx_dropped; runt frame: rx_errors)."""
    if not dev.flags & IFF_UP or dev.net is None:
        dev.stats.rx_dropped += 1
        return NET_RX_DROP
    if len(frame) < ETH_HLEN:
        dev.stats.rx_errors += 1
        dev.stats.rx_frame_errors += 1
        return NET_RX_DROP
    skb = skb_from_frame(bytes(frame), dev)
    if like is not None:
        skb_rebase(skb, like, base)
    elif gso_size:
        skb.gso_size = gso_size  # (a super-packet a NIC took whole: gso_segs is the stack's to count)
    skb.tstamp = dev.net.clock.now()
    eth_type_trans(skb, dev)
    return netif_rx(skb)


class ChannelOps:
    """net_device_ops of a channel: transmit = queue the frame for the test."""

    def ndo_open(self, dev: NetDevice) -> int:
        return 0

    def ndo_stop(self, dev: NetDevice) -> int:
        return 0

    def ndo_start_xmit(self, skb: SkBuff, dev: NetDevice) -> int:
        assert isinstance(dev, ChannelDevice)
        frame = skb.tobytes()
        skb.free()
        if dev.on_xmit is not None:
            dev.on_xmit(frame)
            return NETDEV_TX_OK
        if len(dev.outbound) >= dev.queue_len:
            return NET_XMIT_DROP
        dev.outbound.append(frame)
        return NETDEV_TX_OK


channel_ops = ChannelOps()


@dataclass(eq=False, repr=False)
class ChannelDevice(NetDevice):
    """A NIC whose other end is the test: ``inject`` frames in, ``read``/``drain`` frames out."""

    outbound: deque[bytes] = field(default_factory=deque)
    on_xmit: Callable[[bytes], None] | None = None
    queue_len: int = 1000

    def inject(self, frame: bytes | bytearray | memoryview) -> int:
        """InjectInbound: a frame arrives from the wire (NET_RX_SUCCESS / NET_RX_DROP)."""
        return netif_rx_frame(self, frame)

    def read(self) -> bytes | None:
        """The oldest transmitted frame not read yet, or None."""
        return self.outbound.popleft() if self.outbound else None

    def drain(self) -> list[bytes]:
        """Every transmitted frame not read yet, oldest first."""
        frames = list(self.outbound)
        self.outbound.clear()
        return frames


def channel_dev(net: Net, name: str, mtu: int = 1500, *, up: bool = True, addr: bytes | None = None,
                on_xmit: Callable[[bytes], None] | None = None, queue_len: int = 1000) -> ChannelDevice:
    """Register a channel NIC on ``net`` (and bring it up unless ``up=False``); OSError on a bad/taken name."""
    dev = ChannelDevice(name=name, netdev_ops=channel_ops, dev_addr=addr or eth_random_addr(net.rng), mtu=mtu,
                        header_ops=eth_header_ops, on_xmit=on_xmit, queue_len=queue_len)
    rc = register_netdevice(net, dev)
    if rc < 0:
        raise OSError(-rc, f"channel_dev {name!r}")
    if up:
        dev_open(dev)
    return dev
