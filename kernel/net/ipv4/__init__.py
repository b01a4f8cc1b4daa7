"""IPv4 (net/ipv4/af_inet.c's inet_init and the per-namespace parts).

Importing this package registers the IPv4 per-namespace init
(``register_pernet_subsys``: it runs before loopback comes up, so ``lo``
gets 127.0.0.1/8 on its NETDEV_UP), ICMP in ``inet_protos``, and the AF_INET
socket family (kernel.net.ipv4.af_inet, when present).

``net.ipv4`` is an ``Ipv4Net``: the FIB (``fib``: local + main tables), the
ARP neighbour table (``arp_tbl``), reassembly queues (``frag_queues``,
``frag_mem``), ICMP rate-limit state (global credit/stamp, per-peer
buckets), the IP ID generator state (``ip_idents``) and path MTU
exceptions.  Each namespace also gets: a netdevice notifier (devinet's
inetdev_event: addresses, routes, neighbour flush), ``ip_rcv`` for
ETH_P_IP and ``arp_rcv`` for ETH_P_ARP (dev_add_pack), and the IpExt MIB
(/proc/net/netstat's IP extension counters).

Admin helpers for the host service: ``inet_insert_ifa``/``inet_del_ifa``/
``inet_addr_dump`` (devinet), ``fib_add_route``/``fib_del_route``/
``fib_dump`` (fib), ``neigh_add``/``neigh_del``/``neigh_dump`` below.
"""
from __future__ import annotations

from typing import Any

from kernel.net.core import neighbour as _neigh
from kernel.net.core.dev import ETH_P_ARP, ETH_P_IP, NetDevice, PacketType, dev_add_pack, register_netdevice_notifier
from kernel.net.core.net_namespace import Net, register_pernet_subsys
from kernel.net.ipv4.arp import arp_rcv, arp_tbl_init
from kernel.net.ipv4.devinet import inet_addr_dump, inet_del_ifa, inet_insert_ifa, inetdev_event
from kernel.net.ipv4.fib import Fib, fib_add_route, fib_del_route, fib_dump
from kernel.net.ipv4.icmp import icmp_init
from kernel.net.ipv4.ip_input import ip_rcv

__all__ = [
    "Ipv4Net", "fib_add_route", "fib_del_route", "fib_dump", "inet_addr_dump", "inet_del_ifa", "inet_insert_ifa",
    "neigh_add", "neigh_del", "neigh_dump",
]

IPEXT_FIELDS = ("InNoRoutes", "InTruncatedPkts", "InMcastPkts", "OutMcastPkts", "InBcastPkts", "OutBcastPkts",
                "InOctets", "OutOctets", "InMcastOctets", "OutMcastOctets", "InBcastOctets", "OutBcastOctets",
                "InCsumErrors", "InNoECTPkts", "InECT1Pkts", "InECT0Pkts", "InCEPkts", "ReasmOverlaps")


class Ipv4Net:
    """Per-namespace IPv4 state (the ipv4 part of struct net)."""

    def __init__(self, net: Net) -> None:
        self.net = net
        self.fib = Fib()
        self.arp_tbl = arp_tbl_init(net)
        self.frag_queues: dict[tuple[int, int, int, int, int], Any] = {}
        self.frag_mem = 0
        self.icmp_global_credit = 0
        self.icmp_global_stamp = 0
        self.icmp_peers: dict[int, list[int]] = {}
        self.ip_error_peers: dict[int, list[float]] = {}
        self.ip_idents: dict[int, list[int]] = {}
        self.pmtu_exceptions: dict[int, tuple[int, float]] = {}

    def neigh_ifdown(self, dev: NetDevice) -> None:
        _neigh.neigh_ifdown(self.arp_tbl, dev)


def ipv4_net_init(net: Net) -> None:
    net.ipv4 = Ipv4Net(net)
    net.mib.setdefault("IpExt", dict.fromkeys(IPEXT_FIELDS, 0))
    register_netdevice_notifier(net, lambda event, dev: inetdev_event(net, event, dev))
    dev_add_pack(net, PacketType(ETH_P_IP, ip_rcv))
    dev_add_pack(net, PacketType(ETH_P_ARP, arp_rcv))


def neigh_add(net: Net, dev: NetDevice, addr: int, lladdr: bytes, state: int = _neigh.NUD_PERMANENT) -> int:
    """`ip neigh replace addr lladdr dev` (PERMANENT unless told)."""
    return _neigh.neigh_add(net.ipv4.arp_tbl, dev, addr, lladdr, state)


def neigh_del(net: Net, dev: NetDevice, addr: int) -> int:
    return _neigh.neigh_del(net.ipv4.arp_tbl, dev, addr)


def neigh_dump(net: Net) -> list[dict[str, Any]]:
    return _neigh.neigh_dump(net.ipv4.arp_tbl)


register_pernet_subsys(ipv4_net_init)
icmp_init()

import kernel.net.ipv4.af_inet  # noqa: E402,F401  (the AF_INET socket family: sock_register)
