"""drivers/net/dummy.c: a NIC whose wire goes nowhere.

``dummy_dev(net, name)`` registers it (random MAC from ``net.rng``, up by
default); ``dummy_newlink`` returns ``-errno`` instead of raising.  Transmit
accepts every frame, counts it (tx packets/bytes) and frees it; nothing is
ever received.  The carrier is always on.  Linux's dummy is ``NOARP`` and
not ``MULTICAST`` (flags BROADCAST|NOARP); ``arp=True`` keeps the plain
Ethernet flags (BROADCAST|MULTICAST) instead -- what a standalone daemon's
``eth0`` uses until it is linked to a peer, so it resolves neighbours like
any Ethernet NIC (and those resolutions fail, as on an unplugged cable that
still reports a link).
"""
from __future__ import annotations

from kernel.net.core.dev import (
    IFF_BROADCAST,
    IFF_MULTICAST,
    IFF_NOARP,
    NETDEV_TX_OK,
    NetDevice,
    dev_open,
    register_netdevice,
)
from kernel.net.core.net_namespace import Net
from kernel.net.core.skbuff import SkBuff
from kernel.net.ethernet.eth import eth_header_ops, eth_random_addr


class DummyOps:
    """dummy_netdev_ops: dummy_xmit counts and frees."""

    def ndo_open(self, dev: NetDevice) -> int:
        return 0

    def ndo_stop(self, dev: NetDevice) -> int:
        return 0

    def ndo_start_xmit(self, skb: SkBuff, dev: NetDevice) -> int:
        skb.free()
        return NETDEV_TX_OK


dummy_ops = DummyOps()


def dummy_newlink(net: Net, name: str, *, mtu: int = 1500, up: bool = True, arp: bool = False,
                  addr: bytes | None = None) -> NetDevice | int:
    """ip link add NAME type dummy: the device, or -errno (EEXIST, EINVAL)."""
    flags = IFF_BROADCAST | IFF_MULTICAST if arp else IFF_BROADCAST | IFF_NOARP
    dev = NetDevice(name=name, netdev_ops=dummy_ops, dev_addr=addr or eth_random_addr(net.rng), mtu=mtu,
                    flags=flags, header_ops=eth_header_ops, min_mtu=0, max_mtu=0x7FFFFFFF)
    rc = register_netdevice(net, dev)
    if rc < 0:
        return rc
    if up:
        dev_open(dev)
    return dev


def dummy_dev(net: Net, name: str, *, mtu: int = 1500, up: bool = True, arp: bool = False,
              addr: bytes | None = None) -> NetDevice:
    """dummy_newlink raising OSError(errno) on failure."""
    res = dummy_newlink(net, name, mtu=mtu, up=up, arp=arp, addr=addr)
    if isinstance(res, int):
        raise OSError(-res, f"dummy_dev {name!r}")
    return res
