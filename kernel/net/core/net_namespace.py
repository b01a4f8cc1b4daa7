"""struct net: one host's network namespace.

Everything the network stack keeps per host hangs off ``Net``: the device
list (by index and name), the packet-type handlers (``ptype_all`` taps and
``ptype_base`` by ethertype, as dev_add_pack registers them), the receive
backlog that stands in for the NET_RX softirq, the netdevice notifier chain,
the SNMP MIB counters, and slots that protocol families fill when their
per-namespace init runs (``ipv4``, ``packet``).

Protocols plug in like register_pernet_subsys/register_pernet_device: a
module appends an init function to ``pernet_subsys`` (protocol state: run
first) or ``pernet_device`` (devices such as loopback: run after), and every
new ``Net`` runs them in that order.  Sysctls are the host's flat
``sysctl`` dict ("net.ipv4.ip_forward" -> value).
"""
from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kernel.host import Host
    from kernel.net.core.dev import NetDevice, PacketType
    from kernel.net.core.skbuff import SkBuff

PernetInit = Callable[["Net"], None]
pernet_subsys: list[PernetInit] = []
pernet_device: list[PernetInit] = []

# /proc/net/snmp field order (include/uapi/linux/snmp.h, net/ipv4/proc.c)
SNMP_FIELDS: dict[str, tuple[str, ...]] = {
    "Ip": ("Forwarding", "DefaultTTL", "InReceives", "InHdrErrors", "InAddrErrors", "ForwDatagrams",
           "InUnknownProtos", "InDiscards", "InDelivers", "OutRequests", "OutDiscards", "OutNoRoutes",
           "ReasmTimeout", "ReasmReqds", "ReasmOKs", "ReasmFails", "FragOKs", "FragFails", "FragCreates",
           "OutTransmits"),
    "Icmp": ("InMsgs", "InErrors", "InCsumErrors", "InDestUnreachs", "InTimeExcds", "InParmProbs",
             "InSrcQuenchs", "InRedirects", "InEchos", "InEchoReps", "InTimestamps", "InTimestampReps",
             "InAddrMasks", "InAddrMaskReps", "OutMsgs", "OutErrors", "OutRateLimitGlobal",
             "OutRateLimitHost", "OutDestUnreachs", "OutTimeExcds", "OutParmProbs", "OutSrcQuenchs",
             "OutRedirects", "OutEchos", "OutEchoReps", "OutTimestamps", "OutTimestampReps",
             "OutAddrMasks", "OutAddrMaskReps"),
    "Tcp": ("RtoAlgorithm", "RtoMin", "RtoMax", "MaxConn", "ActiveOpens", "PassiveOpens", "AttemptFails",
            "EstabResets", "CurrEstab", "InSegs", "OutSegs", "RetransSegs", "InErrs", "OutRsts",
            "InCsumErrors"),
    "Udp": ("InDatagrams", "NoPorts", "InErrors", "OutDatagrams", "RcvbufErrors", "SndbufErrors",
            "InCsumErrors", "IgnoredMulti", "MemErrors"),
    "UdpLite": ("InDatagrams", "NoPorts", "InErrors", "OutDatagrams", "RcvbufErrors", "SndbufErrors",
                "InCsumErrors", "IgnoredMulti", "MemErrors"),
}


class Net:
    """A host's network namespace (struct net)."""

    def __init__(self, host: Host) -> None:
        self.host = host
        self.sysctl: dict[str, Any] = host.sysctl
        self.dev_index_head: dict[int, NetDevice] = {}
        self.dev_name_head: dict[str, NetDevice] = {}
        self._ifindex = itertools.count(1)
        self.ptype_all: list[PacketType] = []
        self.ptype_base: dict[int, list[PacketType]] = {}
        self.netdev_chain: list[Callable[[int, NetDevice], None]] = []
        self.backlog: deque[SkBuff] = deque()
        self.in_softirq = False
        self.mib: dict[str, dict[str, int]] = {t: dict.fromkeys(f, 0) for t, f in SNMP_FIELDS.items()}
        self.mib["IcmpMsg"] = {}  # InType<N> / OutType<N>, only the types seen
        self.ipv4: Any = None  # kernel.net.ipv4: per-namespace IPv4 state
        self.packet: Any = None  # kernel.net.packet: AF_PACKET sockets
        self.loopback_dev: NetDevice | None = None
        for init in pernet_subsys:
            init(self)
        for init in pernet_device:
            init(self)

    @property
    def clock(self) -> Any:
        return self.host.clock

    @property
    def rng(self) -> Any:
        return self.host.rng

    def dev_new_index(self) -> int:
        """dev_new_index: the next free ifindex (never reused, as on Linux)."""
        while True:
            idx = next(self._ifindex)
            if idx not in self.dev_index_head:
                return idx

    def snmp_inc(self, table: str, field: str, n: int = 1) -> None:
        """SNMP_INC_STATS / __SNMP_ADD_STATS: bump one MIB counter."""
        self.mib[table][field] += n


def register_pernet_subsys(init: PernetInit) -> None:
    pernet_subsys.append(init)


def register_pernet_device(init: PernetInit) -> None:
    pernet_device.append(init)
