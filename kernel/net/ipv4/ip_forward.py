"""IPv4 forwarding (net/ipv4/ip_forward.c; RFC 1812 5.2, 5.3.1).

``ip_forward(net, skb)`` runs for packets whose input route says "forward"
(ip_route_input only gives that when net.ipv4.ip_forward is 1): a router
alert option is offered to ``raw_hooks.ra_deliver`` first; frames not sent
to our link address are dropped; TTL <= 1 -> ICMP time exceeded (code 0,
Ip InHdrErrors); a DF packet larger than the next hop's MTU -> ICMP
fragmentation needed carrying that MTU (Ip FragFails); otherwise the TTL is
decremented (header checksum updated), a record route slot gets the
outgoing address (ip_forward_options), Ip ForwDatagrams is counted and the
packet leaves by ``dst_output`` (fragmented there when DF is clear).
No redirects are sent.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from kernel import uapi
from kernel.net.core.skbuff import PACKET_HOST, SkBuff
from kernel.net.ipv4.devinet import inet_select_addr
from kernel.net.ipv4.fib import RT_SCOPE_UNIVERSE
from kernel.net.ipv4.icmp import icmp_send
from kernel.net.ipv4.ip_options import IPSKB_FORWARDED, IpCb
from kernel.net.ipv4.ip_output import dst_output, ip_send_check
from kernel.net.ipv4.protocol import raw_hooks
from kernel.net.ipv4.route import Rtable

if TYPE_CHECKING:
    from kernel.net.core.net_namespace import Net

IP_DF = 0x4000


def ip_exceeds_mtu(skb: SkBuff, mtu: int) -> bool:
    nh = skb.network_header
    if skb.tail - nh <= mtu:
        return False
    if not skb.head[nh + 6] & 0x40:
        return False
    cb: IpCb | None = skb.cb.get("ip")
    if cb is not None and cb.frag_max_size > mtu:
        return True
    if skb.cb.get("ignore_df", False):
        return False
    if skb.gso_size:  # a super-packet whose segments fit goes on (cut where it must: tcp_offload.py)
        from kernel.net.ipv4.tcp_offload import gso_fits

        return not gso_fits(skb, mtu)
    return True


def ip_forward(net: Net, skb: SkBuff) -> int:
    cb: IpCb = skb.cb.get("ip") or IpCb()
    rt: Rtable = skb.cb["rt"]
    if cb.opt is not None and cb.opt.router_alert and raw_hooks.ra_deliver(skb):
        return 0
    if skb.pkt_type != PACKET_HOST:
        skb.free()
        return 0
    nh = skb.network_header
    if skb.head[nh + 8] <= 1:
        net.snmp_inc("Ip", "InHdrErrors")
        icmp_send(skb, uapi.ICMP_TIME_EXCEEDED, uapi.ICMP_EXC_TTL, 0)
        skb.free()
        return 0
    if cb.opt is not None and cb.opt.is_strictroute and rt.rt_gateway:
        icmp_send(skb, uapi.ICMP_DEST_UNREACH, uapi.ICMP_SR_FAILED, 0)
        skb.free()
        return 0
    mtu = rt.fib_mtu or rt.dev.mtu
    if ip_exceeds_mtu(skb, mtu):
        net.snmp_inc("Ip", "FragFails")
        icmp_send(skb, uapi.ICMP_DEST_UNREACH, uapi.ICMP_FRAG_NEEDED, mtu)
        skb.free()
        return 0
    # skb_cow: our own writable copy of the bytes
    if not isinstance(skb.head, bytearray):
        skb.head = bytearray(skb.head)
    head = skb.head
    assert isinstance(head, bytearray)
    head[nh + 8] -= 1
    hl = (head[nh] & 0xF) * 4
    if cb.opt is not None and cb.opt.rr_needaddr and cb.opt.rr:
        o = nh + cb.opt.rr
        daddr = int.from_bytes(head[nh + 16:nh + 20], "big")
        src = inet_select_addr(rt.dev, rt.nexthop(daddr), RT_SCOPE_UNIVERSE)
        slot = o + head[o + 2] - 5
        head[slot:slot + 4] = src.to_bytes(4, "big")
    ip_send_check(head, nh, hl)
    cb.flags |= IPSKB_FORWARDED
    skb.cb["ip"] = cb
    net.snmp_inc("Ip", "ForwDatagrams")
    skb.doff = nh
    return dst_output(net, skb)
