"""A NIC whose cable is a link to another daemon (the Link service carries its frames).

``peerlink_newlink(host, name, mtu=1500, mac=None, peer=None) -> NetDevice``
registers an Ethernet NIC on ``host.netns`` (brought up) with no carrier:
like a veth end whose peer is away, it is ``NO-CARRIER`` and what the stack
transmits is dropped by the device layer (``tx_dropped``).  ``peer`` (the
(host, nic) expected at the far end) is what the acceptor checks a dialer's
hello against.

- ``peerlink_attach(dev, send)``: the link is up.  ``send(frame) -> bool`` takes
  each transmitted frame (bytes, link header included); False means the
  link's queue is full: the frame is dropped and counted in ``tx_dropped``
  (and ``tx_fifo_errors``).  The carrier comes on (RUNNING, LOWER_UP,
  NETDEV_CHANGE), as plugging a cable in.
- ``peerlink_detach(dev)``: the link is gone (peer daemon lost, stream
  ended): carrier off until the next attach.
- ``peerlink_rx(dev, frame)``: a frame from the far end: like veth's peer, a
  frame longer than MTU + header + VLAN tag, or one arriving while the NIC is
  down, is counted in ``rx_dropped``; otherwise it goes through eth_type_trans
  and netif_rx.  Returns NET_RX_SUCCESS / NET_RX_DROP.
- ``peerlink_dellink(dev)``: detach and unregister.

The device never raises out of the stack: a ``send`` that raises counts as a
dropped frame (tx_errors).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kernel import uapi
from kernel.drivers.net.channel import NET_RX_DROP, NET_XMIT_DROP, netif_rx_frame
from kernel.drivers.net.veth import is_skb_forwardable
from kernel.net.core.dev import (
    NETDEV_TX_OK,
    NetDevice,
    dev_open,
    netif_carrier_off,
    netif_carrier_on,
    register_netdevice,
    unregister_netdevice,
)
from kernel.net.core.skbuff import SkBuff
from kernel.net.ethernet.eth import eth_header_ops, eth_random_addr

SendFn = Callable[[bytes], bool]


@dataclass(eq=False)
class PeerlinkPriv:
    """The link's state: where frames go, and who should be at the other end."""

    send: SendFn | None = None
    peer: tuple[str, str] | None = None  # (host, nic) the far end must announce


class PeerlinkOps:
    """net_device_ops of a peer link."""

    def ndo_open(self, dev: NetDevice) -> int:
        return 0

    def ndo_stop(self, dev: NetDevice) -> int:
        return 0

    def ndo_start_xmit(self, skb: SkBuff, dev: NetDevice) -> int:
        frame = skb.tobytes()
        skb.free()
        priv = dev.priv
        send = priv.send if isinstance(priv, PeerlinkPriv) else None
        if send is None:
            return NET_XMIT_DROP
        try:
            ok = send(frame)
        except Exception:  # the link's problem, never the stack's
            dev.stats.tx_errors += 1
            return NET_XMIT_DROP
        if not ok:
            dev.stats.tx_fifo_errors += 1
            return NET_XMIT_DROP
        return NETDEV_TX_OK


peerlink_ops = PeerlinkOps()


def is_peerlink(dev: NetDevice | None) -> bool:
    return dev is not None and isinstance(dev.priv, PeerlinkPriv)


def peerlink_newlink(host: Any, name: str, mtu: int = 1500, mac: bytes | None = None, *,
                     peer: tuple[str, str] | None = None, up: bool = True) -> NetDevice:
    """ip link add NAME type peerlink: an up NIC without carrier; OSError(errno) on a bad or taken name."""
    net = host.netns
    dev = NetDevice(name=name, netdev_ops=peerlink_ops, dev_addr=mac or eth_random_addr(net.rng), mtu=mtu,
                    header_ops=eth_header_ops, carrier=False, priv=PeerlinkPriv(peer=peer), tso=True)
    rc = register_netdevice(net, dev)
    if rc < 0:
        raise OSError(-rc, f"peerlink_newlink {name!r}: {uapi.errno_name(-rc)}")
    if up:
        dev_open(dev)
    return dev


def peerlink_attach(dev: NetDevice, send: SendFn) -> None:
    """The link to the peer is up: frames go to ``send``; carrier on."""
    if not isinstance(dev.priv, PeerlinkPriv):
        raise TypeError(f"{dev.name} is not a peer link")
    dev.priv.send = send
    netif_carrier_on(dev)


def peerlink_detach(dev: NetDevice) -> None:
    """The link to the peer is down: carrier off (what is transmitted meanwhile is dropped)."""
    if isinstance(dev.priv, PeerlinkPriv):
        dev.priv.send = None
    netif_carrier_off(dev)


def peerlink_rx(dev: NetDevice, frame: bytes) -> int:
    """A frame from the far end arrives on ``dev``.  The link does TSO (``tso``: the sending NIC passes a
    TCP super-packet whole, like virtio-net's offloads): a TCP/IPv4 frame over the MTU is taken as one,
    its segment size that of the MTU both ends agreed in the hello (GRO's gso_size)."""
    gso_size = 0
    if not is_skb_forwardable(dev, len(frame)):
        gso_size = _super_packet_mss(dev, frame)
        if not gso_size:
            dev.stats.rx_dropped += 1
            return NET_RX_DROP
    return netif_rx_frame(dev, frame, gso_size=gso_size)


def _super_packet_mss(dev: NetDevice, frame: bytes) -> int:
    """The MSS of a TCP/IPv4 super-packet (ETH + IPv4 + TCP, lengths consistent), else 0."""
    if len(frame) < 14 + 40 or frame[12:14] != b"\x08\x00" or frame[14] >> 4 != 4 or frame[23] != 6:
        return 0
    ihl = (frame[14] & 0xF) * 4
    total = int.from_bytes(frame[16:18], "big")
    if ihl < 20 or total != len(frame) - 14 or 14 + ihl + 20 > len(frame):
        return 0
    thl = (frame[14 + ihl + 12] >> 4) * 4
    mss = dev.mtu - ihl - thl
    return mss if thl >= 20 and mss > 0 and total > ihl + thl else 0


def peerlink_dellink(dev: NetDevice) -> None:
    """ip link del: detach, close, unregister."""
    peerlink_detach(dev)
    unregister_netdevice(dev)
