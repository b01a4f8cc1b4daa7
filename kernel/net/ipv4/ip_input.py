"""IPv4 input (net/ipv4/ip_input.c; RFC 791, RFC 1122 3.2.1, RFC 1812 5.2.2).

``ip_rcv(skb, dev, pt, orig_dev)`` is the ETH_P_IP handler (skb data at the
IP header).  It drops frames for other hosts, counts Ip InReceives, and
checks what ip_rcv_core checks -- at least 20 bytes, version 4, IHL >= 5,
the header present, the header checksum (IpExt InCsumErrors + Ip
InHdrErrors), total length >= header length (InHdrErrors) and not past the
frame (IpExt InTruncatedPkts); Ethernet padding past the total length is
trimmed.  ``ip_rcv_finish`` routes the packet (``ip_route_input``; a looped
back copy carries its output route already; martians are dropped),
compiles options (``ip_options_compile`` on the live header: record route
and timestamp filled, bad options -> ICMP parameter problem + InHdrErrors,
source-routed packets dropped as accept_source_route=0 does), counts
IpExt InMcastPkts / InBcastPkts and runs the route's input:

- "local" -> ``ip_local_deliver``: fragments go to ``ip_defrag`` first; the
  whole datagram is offered to raw sockets (``raw_hooks.deliver``) and then
  to ``inet_protos[protocol].handler`` with data at the transport header,
  ``skb.cb["ip"]`` the IpCb and ``skb.cb["rt"]`` the input route (Ip
  InDelivers); an unknown protocol that no raw socket took gets ICMP
  protocol unreachable (Ip InUnknownProtos);
- "forward" -> ``ip_forward``;
- "error" -> ``ip_error``: on a host Ip InAddrErrors (not our address),
  on a router ICMP host/net unreachable (rate limited like ip_error's
  peer bucket) and IpExt InNoRoutes.

Nothing raises out of here: a malformed packet is counted and dropped.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from kernel import uapi
from kernel.net.core.dev import NetDevice, PacketType
from kernel.net.core.skbuff import PACKET_OTHERHOST, SkBuff
from kernel.net.fault import fault_ip_input
from kernel.net.ipv4.icmp import icmp_send
from kernel.net.ipv4.ip_forward import ip_forward
from kernel.net.ipv4.ip_fragment import IP_DEFRAG_LOCAL_DELIVER, ip_defrag
from kernel.net.ipv4.ip_options import IpCb, IpOptions, ip_options_compile
from kernel.net.ipv4.protocol import inet_protos, raw_hooks
from kernel.net.ipv4.route import RTN_BROADCAST, RTN_MULTICAST, Rtable, ip_route_input
from kernel.net.wire.checksum import internet_checksum
from kernel.net.wire.ipv4 import Ipv4Packet

if TYPE_CHECKING:
    from kernel.net.core.net_namespace import Net

__all__ = ["IpCb", "ip_error", "ip_hdr", "ip_local_deliver", "ip_protocol_deliver", "ip_rcv", "ip_rcv_finish"]

IP_RT_ERROR_COST = 1.0  # ip_rt_error_cost: HZ
IP_RT_ERROR_BURST = 5.0  # 5 * HZ


def ip_hdr(skb: SkBuff) -> Ipv4Packet:
    """The wire view of the packet's IP header (and what follows)."""
    return Ipv4Packet(memoryview(skb.head)[skb.network_header:skb.tail])


def _drop(skb: SkBuff) -> int:
    skb.free()
    return 1  # NET_RX_DROP


def ip_rcv(skb: SkBuff, dev: NetDevice, pt: PacketType, orig_dev: NetDevice) -> int:
    net = dev.net
    if net is None or net.ipv4 is None:
        return _drop(skb)
    if skb.pkt_type == PACKET_OTHERHOST:
        return _drop(skb)
    net.snmp_inc("Ip", "InReceives")
    n = skb.len
    net.snmp_inc("IpExt", "InOctets", n)
    head = skb.head
    off = skb.doff
    if n < 20:
        net.snmp_inc("Ip", "InHdrErrors")
        return _drop(skb)
    vihl = head[off]
    ihl = (vihl & 0xF) * 4
    if vihl >> 4 != 4 or ihl < 20 or n < ihl:
        net.snmp_inc("Ip", "InHdrErrors")
        return _drop(skb)
    if internet_checksum(memoryview(head)[off:off + ihl]) != 0:
        net.snmp_inc("IpExt", "InCsumErrors")
        net.snmp_inc("Ip", "InHdrErrors")
        return _drop(skb)
    tot = (head[off + 2] << 8) | head[off + 3]
    if n < tot:
        net.snmp_inc("IpExt", "InTruncatedPkts")
        return _drop(skb)
    if tot < ihl:
        net.snmp_inc("Ip", "InHdrErrors")
        return _drop(skb)
    skb.trim(tot)
    skb.network_header = off
    skb.transport_header = off + ihl
    skb.cb["ip"] = IpCb(iif=skb.skb_iif or dev.ifindex)
    return ip_rcv_finish(net, skb, dev)


def ip_rcv_finish(net: Net, skb: SkBuff, dev: NetDevice) -> int:
    nh = skb.network_header
    head = skb.head
    if "rt" not in skb.cb:
        daddr = int.from_bytes(head[nh + 16:nh + 20], "big")
        saddr = int.from_bytes(head[nh + 12:nh + 16], "big")
        if ip_route_input(skb, daddr, saddr, head[nh + 1], dev):
            return _drop(skb)
        if getattr(net, "fault", None) is not None and fault_ip_input(net, skb, _fault_resume):
            return 0  # kernel/net/fault.py took it (dropped, answered or delayed)
    ihl = (head[nh] & 0xF) * 4
    if ihl > 20 and not ip_rcv_options(net, skb, dev):
        return _drop(skb)
    rt: Rtable = skb.cb["rt"]
    if rt.rt_type == RTN_MULTICAST:
        net.snmp_inc("IpExt", "InMcastPkts")
    elif rt.rt_type == RTN_BROADCAST:
        net.snmp_inc("IpExt", "InBcastPkts")
    return dst_input(net, skb)


def _fault_resume(net: Net, skb: SkBuff) -> None:
    """A packet a fault rule delayed goes on where it stopped."""
    if skb.dev is not None:
        ip_rcv_finish(net, skb, skb.dev)


def ip_rcv_options(net: Net, skb: SkBuff, dev: NetDevice) -> bool:
    """ip_rcv_options: compile the options in place; False drops the packet."""
    if not isinstance(skb.head, bytearray):
        skb.head = bytearray(skb.head)  # skb_cow: the options are rewritten
    head = skb.head
    assert isinstance(head, bytearray)
    nh = skb.network_header
    ihl = (head[nh] & 0xF) * 4
    opt = IpOptions(optlen=ihl - 20)
    if ip_options_compile(net, opt, head, nh + 20, skb=skb, rt=skb.cb.get("rt")):
        net.snmp_inc("Ip", "InHdrErrors")
        return False
    if opt.srr and not net.sysctl.get("net.ipv4.conf.all.accept_source_route", 0):
        return False
    cb: IpCb = skb.cb["ip"]
    cb.opt = opt
    return True


def dst_input(net: Net, skb: SkBuff) -> int:
    rt: Rtable = skb.cb["rt"]
    if rt.input == "local":
        return ip_local_deliver(net, skb)
    if rt.input == "forward":
        return ip_forward(net, skb)
    if rt.input == "error":
        return ip_error(net, skb)
    return _drop(skb)


def ip_error(net: Net, skb: SkBuff) -> int:
    rt: Rtable = skb.cb["rt"]
    err = -rt.error
    if not net.sysctl.get("net.ipv4.ip_forward", 0):
        if err == uapi.EHOSTUNREACH:
            net.snmp_inc("Ip", "InAddrErrors")
        elif err == uapi.ENETUNREACH:
            net.snmp_inc("IpExt", "InNoRoutes")
        return _drop(skb)
    if err == uapi.EHOSTUNREACH:
        code = uapi.ICMP_HOST_UNREACH
    elif err == uapi.ENETUNREACH:
        code = uapi.ICMP_NET_UNREACH
        net.snmp_inc("IpExt", "InNoRoutes")
    elif err == uapi.EACCES:
        code = uapi.ICMP_PKT_FILTERED
    else:
        return _drop(skb)
    nh = skb.network_header
    saddr = int.from_bytes(skb.head[nh + 12:nh + 16], "big")
    now = net.clock.now()
    peer = net.ipv4.ip_error_peers.setdefault(saddr, [IP_RT_ERROR_BURST, now])
    peer[0] = min(peer[0] + now - peer[1], IP_RT_ERROR_BURST)
    peer[1] = now
    if peer[0] >= IP_RT_ERROR_COST:
        peer[0] -= IP_RT_ERROR_COST
        icmp_send(skb, uapi.ICMP_DEST_UNREACH, code, 0)
    return _drop(skb)


def ip_local_deliver(net: Net, skb: SkBuff) -> int:
    nh = skb.network_header
    head = skb.head
    if int.from_bytes(head[nh + 6:nh + 8], "big") & 0x3FFF:
        whole = ip_defrag(net, skb, IP_DEFRAG_LOCAL_DELIVER)
        if whole is None:
            return 0
        skb = whole
        nh = skb.network_header
        head = skb.head
    ihl = (head[nh] & 0xF) * 4
    skb.doff = nh + ihl
    skb.transport_header = skb.doff
    return ip_protocol_deliver(net, skb, head[nh + 9])


def ip_protocol_deliver(net: Net, skb: SkBuff, protocol: int) -> int:
    """ip_protocol_deliver_rcu: raw sockets, then the protocol handler (resubmits allowed)."""
    for _ in range(8):
        raw = raw_hooks.deliver(skb, protocol)
        prot = inet_protos.get(protocol)
        if prot is None:
            if not raw:
                net.snmp_inc("Ip", "InUnknownProtos")
                icmp_send(skb, uapi.ICMP_DEST_UNREACH, uapi.ICMP_PROT_UNREACH, 0)
            else:
                net.snmp_inc("Ip", "InDelivers")
            skb.free()
            return 0
        ret = prot.handler(skb)
        if ret > 0:
            protocol = ret
            continue
        net.snmp_inc("Ip", "InDelivers")
        return 0
    return 0
