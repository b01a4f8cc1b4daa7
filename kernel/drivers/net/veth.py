"""drivers/net/veth.c: a virtual Ethernet cable with a NIC at each end.

``veth_pair(net_a, name_a, net_b, name_b) -> (dev_a, dev_b)`` creates the two
NICs, in one namespace or in two hosts' namespaces (``host.netns``); random
MACs from each namespace's ``rng``; brought up unless ``up=False``.
``veth_newlink`` is the same returning ``-errno`` (EEXIST, EINVAL) instead of
raising, for the admin API; ``veth_dellink(dev)`` deletes both ends, as
``ip link del`` of either end does.

Behaviour, as Linux's veth:

- Carrier: a new pair has none.  Opening an end whose peer is up turns the
  carrier on at both ends (both RUNNING / LOWER_UP); closing either end turns
  it off at both, so an up end whose peer is down is ``NO-CARRIER``
  (LOWERLAYERDOWN) and what it transmits is dropped by the device layer and
  counted in its ``tx_dropped`` (taps do not see it).
- Transmit on one end = receive on the other: the frame's bytes are copied
  into a fresh skb (the sender's skb is freed: skb_orphan) that goes through
  eth_type_trans and ``netif_rx`` of the peer, so the peer counts rx
  packets/bytes (header included) and the sender tx packets/bytes.
- A frame the peer cannot take (down, or longer than its MTU + header +
  VLAN_HLEN: is_skb_forwardable) is counted in the peer's ``rx_dropped`` and
  the sender's ``tx_dropped``.
"""
from __future__ import annotations

from dataclasses import dataclass

from kernel import uapi
from kernel.drivers.net.channel import NET_RX_SUCCESS, NET_XMIT_DROP, netif_rx_frame
from kernel.net.core.dev import (
    IFF_UP,
    NETDEV_TX_OK,
    NetDevice,
    dev_open,
    netif_carrier_off,
    netif_carrier_on,
    register_netdevice,
    unregister_netdevice,
)
from kernel.net.core.net_namespace import Net
from kernel.net.core.skbuff import SkBuff
from kernel.net.ethernet.eth import eth_header_ops, eth_random_addr

VLAN_HLEN = 4


@dataclass(eq=False)
class VethPriv:
    """struct veth_priv: the other end."""

    peer: NetDevice | None = None


def veth_peer(dev: NetDevice) -> NetDevice | None:
    priv = dev.priv
    return priv.peer if isinstance(priv, VethPriv) else None


def is_skb_forwardable(dev: NetDevice, length: int) -> bool:
    """is_skb_forwardable: the receiving end is up and the frame fits its MTU (+ link header + a VLAN tag)."""
    return bool(dev.flags & IFF_UP) and length <= dev.mtu + dev.hard_header_len + VLAN_HLEN


class VethOps:
    """veth_netdev_ops."""

    def ndo_open(self, dev: NetDevice) -> int:
        peer = veth_peer(dev)
        if peer is None:
            return -uapi.ENOTCONN
        if peer.flags & IFF_UP:
            netif_carrier_on(dev)
            netif_carrier_on(peer)
        return 0

    def ndo_stop(self, dev: NetDevice) -> int:
        netif_carrier_off(dev)
        peer = veth_peer(dev)
        if peer is not None:
            netif_carrier_off(peer)
        return 0

    def ndo_start_xmit(self, skb: SkBuff, dev: NetDevice) -> int:
        peer = veth_peer(dev)
        frame = skb.tobytes()
        skb.free()
        if peer is None:
            return NET_XMIT_DROP
        if not skb.gso_size and not is_skb_forwardable(peer, len(frame)):  # (a GSO packet passes whole)
            peer.stats.rx_dropped += 1
            return NET_XMIT_DROP
        if netif_rx_frame(peer, frame, like=skb, base=skb.doff) != NET_RX_SUCCESS:
            return NET_XMIT_DROP
        return NETDEV_TX_OK


veth_ops = VethOps()


def _veth_dev(net: Net, name: str, mtu: int, addr: bytes | None) -> NetDevice:
    return NetDevice(name=name, netdev_ops=veth_ops, dev_addr=addr or eth_random_addr(net.rng), mtu=mtu,
                     header_ops=eth_header_ops, carrier=False, priv=VethPriv(), hw_csum=True,
                     tso=True)


def veth_newlink(net_a: Net, name_a: str, net_b: Net, name_b: str, *, mtu: int = 1500, up: bool = True,
                 addr_a: bytes | None = None, addr_b: bytes | None = None) -> tuple[NetDevice, NetDevice] | int:
    """ip link add NAME_A type veth peer name NAME_B [netns B]: the pair, or -errno (nothing registered)."""
    if net_a is net_b and name_a == name_b:
        return -uapi.EEXIST
    dev_a = _veth_dev(net_a, name_a, mtu, addr_a)
    dev_b = _veth_dev(net_b, name_b, mtu, addr_b)
    dev_a.priv.peer, dev_b.priv.peer = dev_b, dev_a
    rc = register_netdevice(net_b, dev_b)
    if rc < 0:
        return rc
    rc = register_netdevice(net_a, dev_a)
    if rc < 0:
        dev_b.priv.peer = None
        unregister_netdevice(dev_b)
        return rc
    if up:
        dev_open(dev_a)
        dev_open(dev_b)
    return dev_a, dev_b


def veth_pair(net_a: Net, name_a: str, net_b: Net, name_b: str, *, mtu: int = 1500, up: bool = True,
              addr_a: bytes | None = None, addr_b: bytes | None = None) -> tuple[NetDevice, NetDevice]:
    """veth_newlink for tests and topologies: raises OSError(errno) where veth_newlink returns -errno."""
    res = veth_newlink(net_a, name_a, net_b, name_b, mtu=mtu, up=up, addr_a=addr_a, addr_b=addr_b)
    if isinstance(res, int):
        raise OSError(-res, f"veth_pair {name_a!r} <-> {name_b!r}")
    return res


def veth_dellink(dev: NetDevice) -> None:
    """ip link del: both ends go (closed, NETDEV_UNREGISTER, forgotten)."""
    peer = veth_peer(dev)
    unregister_netdevice(dev)
    if peer is not None:
        unregister_netdevice(peer)
        peer.priv.peer = None
    if isinstance(dev.priv, VethPriv):
        dev.priv.peer = None
