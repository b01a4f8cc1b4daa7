"""ARP for IPv4 over Ethernet (RFC 826; net/ipv4/arp.c).

``arp_tbl(net)`` is the namespace's neighbour table (kernel.net.core.neighbour)
with ARP's constructor, solicit and error report:

- ``arp_constructor``: multicast destinations map to 01:00:5e (NOARP),
  loopback / IFF_NOARP devices need no resolution (NOARP), broadcast
  addresses (255.255.255.255, subnet broadcasts: RTN_BROADCAST on the device)
  use the device broadcast address (NOARP); the rest resolve.
- ``arp_solicit``: a request from the queued packet's source when it is local
  to the device (arp_announce 0), else inet_select_addr(dev, target, link);
  broadcast while INCOMPLETE, unicast to the cached address while PROBE.
- ``arp_error_report``: a packet that never got an answer gets ICMP host
  unreachable back to its sender (dst_link_failure -> icmp_send), which, for
  a local sender, ends as EHOSTUNREACH on its socket.

``arp_rcv`` (ETH_P_ARP handler) follows arp_process with arp_ignore=0,
arp_accept=0: requests for any local address (ip_route_input says
RTN_LOCAL) are answered and the asker learned as STALE; DAD probes (sender
0.0.0.0) are answered to the asker's MAC; replies and gratuitous ARP only
update existing entries (REACHABLE for a unicast reply, STALE otherwise; a
different address only after locktime).  Frames for other hosts, loopback
copies, multicast targets and malformed packets are dropped.
``arp_send_dst`` builds and transmits one ARP packet.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from kernel import uapi
from kernel.net.core.dev import (
    ETH_P_ARP,
    ETH_P_IP,
    IFF_LOOPBACK,
    IFF_NOARP,
    IFF_POINTOPOINT,
    NetDevice,
    PacketType,
    dev_hard_header,
    dev_queue_xmit,
)
from kernel.net.core.neighbour import (
    NEIGH_UPDATE_F_OVERRIDE,
    NUD_NOARP,
    NUD_REACHABLE,
    NUD_STALE,
    NUD_VALID,
    Neighbour,
    NeighTable,
    neigh_event_ns,
    neigh_update,
)
from kernel.net.core.skbuff import PACKET_HOST, PACKET_LOOPBACK, PACKET_OTHERHOST, SkBuff, alloc_skb
from kernel.net.ipv4.devinet import (
    in_dev_get,
    inet_select_addr,
    ip_eth_mc_map,
    ipv4_is_loopback,
    ipv4_is_multicast,
)
from kernel.net.ipv4.route import RTN_BROADCAST, RTN_LOCAL, RTN_MULTICAST, inet_addr_type_dev, ip_route_input
from kernel.net.wire import WireError
from kernel.net.wire.arp import ARP_HLEN, ARPOP_REPLY, ARPOP_REQUEST, ArpRepr

if TYPE_CHECKING:
    from kernel.net.core.net_namespace import Net


def arp_constructor(n: Neighbour) -> int:
    dev = n.dev
    net = n.tbl.net
    n.type = inet_addr_type_dev(net, dev, n.primary_key)
    if dev.header_ops is None:
        n.nud_state = NUD_NOARP
        n.ha = dev.dev_addr
    elif n.type == RTN_MULTICAST:
        n.nud_state = NUD_NOARP
        n.ha = ip_eth_mc_map(n.primary_key)
    elif dev.flags & (IFF_NOARP | IFF_LOOPBACK):
        n.nud_state = NUD_NOARP
        n.ha = dev.dev_addr
    elif n.type == RTN_BROADCAST or dev.flags & IFF_POINTOPOINT:
        n.nud_state = NUD_NOARP
        n.ha = dev.broadcast
    return 0


def arp_send_dst(net: Net, op: int, dest_ip: int, dev: NetDevice, src_ip: int, dest_hw: bytes | None,
                 src_hw: bytes | None, target_hw: bytes | None) -> int:
    """arp_create + arp_xmit: one ARP packet on dev (dest_hw None: broadcast)."""
    if dev.flags & IFF_NOARP:
        return 0
    skb = alloc_skb(ARP_HLEN)
    skb.put_data(ArpRepr(op, src_hw or dev.dev_addr, src_ip, target_hw or bytes(6), dest_ip).to_bytes())
    skb.reset_network_header()
    skb.dev = dev
    skb.protocol = ETH_P_ARP
    dev_hard_header(skb, dev, ETH_P_ARP, dest_hw or dev.broadcast, src_hw or dev.dev_addr)
    return dev_queue_xmit(skb)


def arp_solicit(n: Neighbour, skb: SkBuff | None) -> None:
    dev = n.dev
    net = n.tbl.net
    target = n.primary_key
    saddr = 0
    if skb is not None and skb.network_header >= 0:
        src = int.from_bytes(skb.head[skb.network_header + 12:skb.network_header + 16], "big")
        if inet_addr_type_dev(net, dev, src) == RTN_LOCAL:
            saddr = src
    if not saddr:
        saddr = inet_select_addr(dev, target, 253)
    dst_hw: bytes | None = None
    if n.probes - int(n.parm("ucast_solicit")) < 0:
        if n.nud_state & NUD_VALID:
            dst_hw = n.ha
    arp_send_dst(net, ARPOP_REQUEST, target, dev, saddr, dst_hw, dev.dev_addr, None)


def arp_error_report(n: Neighbour, skb: SkBuff) -> None:
    """arp_error_report -> ipv4_link_failure: ICMP host unreachable to the packet's sender."""
    from kernel.net.ipv4.icmp import icmp_send
    icmp_send(skb, uapi.ICMP_DEST_UNREACH, uapi.ICMP_HOST_UNREACH, 0)


def neigh_connected_output(n: Neighbour, skb: SkBuff) -> int:
    """neigh_connected_output: the link header with the resolved address, then the device."""
    dev = n.dev
    skb.dev = dev
    skb.protocol = ETH_P_IP
    if skb.network_header >= 0:
        skb.doff = skb.network_header
    dev_hard_header(skb, dev, ETH_P_IP, n.ha, None)
    return dev_queue_xmit(skb)


def arp_tbl_init(net: Net) -> NeighTable:
    return NeighTable(net, arp_constructor, arp_solicit, arp_error_report, neigh_connected_output)


def arp_rcv(skb: SkBuff, dev: NetDevice, pt: PacketType, orig_dev: NetDevice) -> int:
    """arp_rcv + arp_process."""
    net = dev.net
    if net is None or net.ipv4 is None:
        return 1
    if dev.flags & IFF_NOARP or skb.pkt_type in (PACKET_OTHERHOST, PACKET_LOOPBACK):
        return 0
    try:
        arp = ArpRepr.parse(skb.view())
    except WireError:
        return 1
    if arp.operation not in (ARPOP_REQUEST, ARPOP_REPLY):
        return 1
    in_dev = in_dev_get(dev)
    if in_dev is None:
        return 1
    tbl: NeighTable = net.ipv4.arp_tbl
    sip, tip, sha = arp.sender_ip, arp.target_ip, arp.sender_mac
    if ipv4_is_multicast(tip) or (ipv4_is_loopback(tip)
                                  and not net.sysctl.get("net.ipv4.conf.all.route_localnet", 0)):
        return 1
    if sip == 0:
        # RFC 5227 / RFC 2131 duplicate address detection
        if arp.operation == ARPOP_REQUEST and inet_addr_type_dev(net, dev, tip) == RTN_LOCAL:
            arp_send_dst(net, ARPOP_REPLY, sip, dev, tip, sha, dev.dev_addr, sha)
        return 0
    if arp.operation == ARPOP_REQUEST and ip_route_input(skb, tip, sip, 0, dev) == 0:
        rt = skb.cb.get("rt")
        if rt is not None and rt.rt_type == RTN_LOCAL:
            neigh_event_ns(tbl, sha, sip, dev)
            arp_send_dst(net, ARPOP_REPLY, sip, dev, tip, sha, dev.dev_addr, sha)
            return 0
    n = tbl.lookup(dev, sip)
    if n is not None:
        now = net.clock.now()
        is_garp = tip == sip
        override = now > n.updated + n.parm("locktime") or is_garp
        state = NUD_REACHABLE
        if arp.operation != ARPOP_REPLY or skb.pkt_type != PACKET_HOST:
            state = NUD_STALE
        neigh_update(n, sha, state, NEIGH_UPDATE_F_OVERRIDE if override else 0)
    return 0
