"""Port tables of AF_INET sockets (net/ipv4/inet_hashtables.c, udp.c's udp_table).

A ``PortTable`` maps a local port to the sockets bound to it, newest first
(sk_add_node_rcu puts a socket at the head of its chain; only AF_INET6
SO_REUSEPORT sockets join at the tail in Linux).  One
table per protocol per namespace: ``port_table(net, "udp")``.  Shared rules:
``inet_rcv_saddr_equal`` (two bound addresses conflict when equal or either
is the wildcard), ``inet_sk_get_local_port_range`` (the
net.ipv4.ip_local_port_range sysctl, narrowed by IP_LOCAL_PORT_RANGE),
``inet_port_requires_bind_service`` (ports below
net.ipv4.ip_unprivileged_port_start need CAP_NET_BIND_SERVICE).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kernel.net.ipv4.inet_sock import InetSock


class PortTable:
    """port -> sockets bound to it (newest first)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.ports: dict[int, list[InetSock]] = {}

    def chain(self, port: int) -> list[InetSock]:
        return self.ports.get(port, [])

    def add(self, sk: InetSock, port: int, tail: bool = False) -> None:
        chain = self.ports.setdefault(port, [])
        if tail:
            chain.append(sk)
        else:
            chain.insert(0, sk)

    def remove(self, sk: InetSock, port: int) -> None:
        chain = self.ports.get(port)
        if chain is None:
            return
        if sk in chain:
            chain.remove(sk)
        if not chain:
            del self.ports[port]

    def all_socks(self) -> list[InetSock]:
        return [sk for port in sorted(self.ports) for sk in self.ports[port]]


def port_table(net: Any, proto: str) -> PortTable:
    """The namespace's table for a protocol ("udp", "raw", ...), made on first use."""
    tables: dict[str, PortTable] | None = getattr(net, "_inet_port_tables", None)
    if tables is None:
        tables = {}
        setattr(net, "_inet_port_tables", tables)  # noqa: B010  (struct net slot owned by this module)
    table = tables.get(proto)
    if table is None:
        table = tables[proto] = PortTable(proto)
    return table


def inet_rcv_saddr_equal(a: int, b: int, match_wildcard: bool = True) -> bool:
    """ipv4_rcv_saddr_equal: same bound address, or either is INADDR_ANY."""
    if a == b:
        return True
    return match_wildcard and (a == 0 or b == 0)


def inet_sk_get_local_port_range(sk: InetSock) -> tuple[int, int]:
    """inet_sk_get_local_port_range: the sysctl range, narrowed by IP_LOCAL_PORT_RANGE."""
    lo, hi = sk.host.sysctl["net.ipv4.ip_local_port_range"]
    sk_range = sk.local_port_range
    if sk_range:
        sk_lo, sk_hi = sk_range & 0xFFFF, sk_range >> 16
        if lo <= sk_lo <= hi:
            lo = sk_lo
        if lo <= sk_hi <= hi:
            hi = sk_hi
    return lo, hi


def inet_port_requires_bind_service(net: Any, port: int) -> bool:
    return port < int(net.sysctl["net.ipv4.ip_unprivileged_port_start"])
