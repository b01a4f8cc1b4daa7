"""IPv4 output (net/ipv4/ip_output.c; RFC 791 3.2, RFC 1122 3.3.2, RFC 6864 for the ID).

``ip_build_xmit(net, skb, *, rt, fl4, proto, ttl, tos, df, ...)`` takes an skb
whose data is the transport header + payload, pushes the IPv4 header (options
from ``opt`` built in, record route/timestamp slots filled), picks the ID as
ip_select_ident_segs does (a connected socket's own counter ``sk.inet_id``;
0 for DF packets that may not be fragmented; otherwise the per-destination
generator ``ip_select_ident``, seeded from ``net.rng``), checksums it and
runs ``ip_local_out``: Ip OutRequests, then ``dst_output`` --

- ``ip_mc_output`` for broadcast / joined-multicast routes on a real device:
  a copy is looped back to the local stack (``dev_loopback_xmit``:
  PACKET_LOOPBACK through the backlog, carrying its route) -- for multicast
  only when ``mc_loop`` (IP_MULTICAST_LOOP); a multicast with TTL 0 goes no
  further than that copy;
- ``ip_finish_output``: fragments to the route MTU (``ip_fragment``: Ip
  FragOKs/FragCreates, FragFails and ICMP fragmentation needed with the MTU
  for a DF packet unless ``ignore_df``, non-copied options NOP-ed after the
  first fragment), then ``ip_finish_output2``: Ip OutTransmits and the
  neighbour (ARP) of the next hop (``rt.rt_gateway`` or the destination);
  local destinations leave through ``lo``.

Returns 0 or -errno (-EMSGSIZE above 65535 bytes or for DF and too big,
-ENETDOWN...).  ICMP packets are counted in IcmpMsg OutType<N> / Icmp
(icmp_out_count, as __ip_make_skb does).  ``ip_output_hdrincl`` sends a
raw IP_HDRINCL packet (skb data = a full IP header + payload): it fills a
zero source, the total length, a zero ID and the checksum like
raw_send_hdrinc and returns -EMSGSIZE above the device MTU, -EINVAL for a
header longer than the packet.
"""
from __future__ import annotations

import struct
from typing import TYPE_CHECKING, Any

from kernel import uapi
from kernel.net.core.dev import ETH_P_IP, IFF_LOOPBACK, netif_rx
from kernel.net.core.neighbour import NUD_CONNECTED, neigh_resolve_output
from kernel.net.core.skbuff import MAX_HEADER, PACKET_LOOPBACK, SkBuff, alloc_skb, skb_checksum_help
from kernel.net.fault import fault_ip_output
from kernel.net.ipv4.ip_options import (
    IPSKB_FORWARDED,
    IpCb,
    IpOptions,
    ip_options_build,
    ip_options_fragment,
)
from kernel.net.ipv4.route import RTCF_BROADCAST, RTCF_LOCAL, RTCF_MULTICAST, Flowi4, Rtable
from kernel.net.wire.checksum import internet_checksum

if TYPE_CHECKING:
    from kernel.net.core.net_namespace import Net

IP_DF = 0x4000
IP_MF = 0x2000
IP_OFFSET = 0x1FFF
IP_MAX_PACKET = 0xFFFF
_HDR = struct.Struct("!BBHHHBBHII")
IP_IDENTS_SZ = 2048


def ip_send_check(head: bytearray, off: int, hl: int) -> None:
    head[off + 10] = head[off + 11] = 0
    c = internet_checksum(memoryview(head)[off:off + hl])
    head[off + 10] = c >> 8
    head[off + 11] = c & 0xFF


def ip_idents_reserve(net: Net, key: tuple[int, int, int], segs: int) -> int:
    """ip_idents_reserve: a hashed per-destination counter, bumped by a random delta when time has moved."""
    st = net.ipv4
    bucket = hash(key) % IP_IDENTS_SZ
    cur = st.ip_idents.get(bucket)
    now = int(net.clock.now() * 100)  # jiffies
    if cur is None:
        cur = [net.rng.getrandbits(32), now]
        st.ip_idents[bucket] = cur
    delta = 0
    if cur[1] != now:
        delta = net.rng.randrange(max(1, now - cur[1]))
        cur[1] = now
    cur[0] = (cur[0] + segs + delta) & 0xFFFFFFFF
    return (cur[0] - segs) & 0xFFFF


def ip_select_ident(net: Net, daddr: int, saddr: int, proto: int, *, df: bool = False, ignore_df: bool = False,
                    sk: Any = None, segs: int = 1) -> int:
    """ip_select_ident_segs: the IP ID of a new datagram."""
    if sk is not None and int(getattr(sk, "inet_daddr", 0) or 0):
        val = getattr(sk, "inet_id", None)
        if val is None:
            val = net.rng.getrandbits(16)
        val = (val + segs) & 0xFFFF
        try:
            sk.inet_id = val
        except AttributeError:
            pass
        return int(val)
    if df and not ignore_df:
        return 0
    return ip_idents_reserve(net, (daddr, saddr, proto), segs)


def ip_build_xmit(net: Net, skb: SkBuff, *, rt: Rtable, fl4: Flowi4, proto: int, ttl: int, tos: int, df: bool,
                  opt: IpOptions | None = None, sk: Any = None, ip_id: int | None = None, mc_loop: bool = True,
                  ignore_df: bool = False) -> int:
    """Push the IPv4 header in front of skb (transport header + payload) and send it."""
    proto &= 0xFF  # iph->protocol = sk->sk_protocol: a u8 (a raw socket's protocol may be 256..262)
    optlen = opt.optlen if opt is not None else 0
    hl = 20 + optlen
    if skb.len + hl > IP_MAX_PACKET:
        skb.free()
        return -uapi.EMSGSIZE
    if not isinstance(skb.head, bytearray):
        skb.head = bytearray(skb.head)
    skb.transport_header = skb.doff
    off = skb.push(hl)
    skb.network_header = off
    head = skb.head
    assert isinstance(head, bytearray)
    daddr, saddr = fl4.daddr, fl4.saddr
    if ip_id is None:
        ip_id = ip_select_ident(net, daddr, saddr, proto, df=df, ignore_df=ignore_df, sk=sk)
    _HDR.pack_into(head, off, 0x40 | (hl >> 2), tos & 0xFF, skb.len, ip_id & 0xFFFF, IP_DF if df else 0,
                   ttl & 0xFF, proto, 0, saddr, daddr)
    if opt is not None and optlen:
        ip_options_build(net, head, off, opt, daddr, saddr)
    ip_send_check(head, off, hl)
    skb.protocol = ETH_P_IP
    skb.cb["rt"] = rt
    skb.cb["ip"] = IpCb(opt=opt)
    skb.cb["mc_loop"] = mc_loop
    skb.cb["ignore_df"] = ignore_df
    if skb.sk is None and sk is not None:
        skb.sk = sk
    if proto == uapi.IPPROTO_ICMP and skb.len > hl:
        from kernel.net.ipv4.icmp import icmp_out_count
        icmp_out_count(net, head[off + hl])
    return ip_local_out(net, skb)


def ip_output_hdrincl(net: Net, skb: SkBuff, rt: Rtable, sk: Any = None, fl4: Flowi4 | None = None) -> int:
    """raw_send_hdrinc's IP part: fix up a user-built header and send it."""
    length = skb.len
    if length < 20:
        skb.free()
        return -uapi.EINVAL
    if length > rt.dev.mtu:
        skb.free()
        return -uapi.EMSGSIZE
    if not isinstance(skb.head, bytearray):
        skb.head = bytearray(skb.head)
    head = skb.head
    assert isinstance(head, bytearray)
    off = skb.doff
    skb.network_header = off
    ihl = (head[off] & 0xF) * 4
    if ihl > length:
        skb.free()
        return -uapi.EINVAL
    if ihl >= 20:
        if not int.from_bytes(head[off + 12:off + 16], "big") and fl4 is not None:
            head[off + 12:off + 16] = fl4.saddr.to_bytes(4, "big")
        head[off + 2:off + 4] = length.to_bytes(2, "big")
        if not int.from_bytes(head[off + 4:off + 6], "big"):
            df = bool(head[off + 6] & 0x40)
            daddr = int.from_bytes(head[off + 16:off + 20], "big")
            saddr = int.from_bytes(head[off + 12:off + 16], "big")
            ident = ip_select_ident(net, daddr, saddr, head[off + 9], df=df)
            head[off + 4:off + 6] = ident.to_bytes(2, "big")
        ip_send_check(head, off, ihl)
    skb.transport_header = off + max(ihl, 20)
    skb.protocol = ETH_P_IP
    skb.cb["rt"] = rt
    skb.cb["ip"] = IpCb()
    skb.cb["mc_loop"] = getattr(sk, "mc_loop", True) if sk is not None else True
    if skb.sk is None and sk is not None:
        skb.sk = sk
    if head[off + 9] == uapi.IPPROTO_ICMP and length > ihl >= 20:
        from kernel.net.ipv4.icmp import icmp_out_count
        icmp_out_count(net, head[off + ihl])
    return dst_output(net, skb)


def ip_local_out(net: Net, skb: SkBuff) -> int:
    """__ip_local_out + dst_output: count the request, then the route's output."""
    net.snmp_inc("Ip", "OutRequests")
    return dst_output(net, skb)


def dst_output(net: Net, skb: SkBuff) -> int:
    if getattr(net, "fault", None) is not None and fault_ip_output(net, skb, dst_output):
        return 0  # kernel/net/fault.py took it (dropped, answered or delayed)
    rt: Rtable = skb.cb["rt"]
    if rt.rt_flags & (RTCF_BROADCAST | RTCF_MULTICAST) and rt.rt_flags & RTCF_LOCAL \
            and not rt.dev.flags & IFF_LOOPBACK:
        return ip_mc_output(net, skb)
    return ip_output(net, skb)


def ip_output(net: Net, skb: SkBuff) -> int:
    rt: Rtable = skb.cb["rt"]
    skb.dev = rt.dev
    skb.protocol = ETH_P_IP
    return ip_finish_output(net, skb)


def dev_loopback_xmit(net: Net, skb: SkBuff) -> int:
    """dev_loopback_xmit: a copy for local listeners, received on the output device as PACKET_LOOPBACK."""
    c = skb.clone()
    c.head = bytes(skb.head[skb.network_header:skb.tail])
    c.doff, c.tail = 0, len(c.head)
    c.network_header = 0
    c.mac_header = 0
    c.transport_header = -1
    c.pkt_type = PACKET_LOOPBACK
    c.protocol = ETH_P_IP
    c.cb = {"rt": skb.cb["rt"]}
    c.tstamp = net.clock.now()
    netif_rx(c)
    return 0


def ip_mc_output(net: Net, skb: SkBuff) -> int:
    rt: Rtable = skb.cb["rt"]
    skb.dev = rt.dev
    skb.protocol = ETH_P_IP
    cb: IpCb | None = skb.cb.get("ip")
    if rt.rt_flags & RTCF_MULTICAST:
        if skb.cb.get("mc_loop", True) and (rt.rt_flags & RTCF_LOCAL or not (cb and cb.flags & IPSKB_FORWARDED)):
            dev_loopback_xmit(net, skb)
        if skb.head[skb.network_header + 8] == 0:
            skb.free()
            return 0
    if rt.rt_flags & RTCF_BROADCAST:
        dev_loopback_xmit(net, skb)
    return ip_finish_output(net, skb)


def ip_finish_output(net: Net, skb: SkBuff) -> int:
    rt: Rtable = skb.cb["rt"]
    mtu = rt.dst_mtu()
    if skb.len > mtu:
        if skb.gso_size:  # ip_finish_output_gso: whole while its segments fit, else cut (then fragment)
            from kernel.net.ipv4.tcp_offload import gso_fits, tcp4_gso_segment

            if gso_fits(skb, mtu):
                return ip_finish_output2(net, skb)
            segs = tcp4_gso_segment(skb, with_l2=False)
            skb.free()
            rc = 0
            for seg in segs:
                seg.doff = seg.network_header
                rc = ip_finish_output(net, seg) or rc
            return rc
        return ip_fragment(net, skb, mtu)
    return ip_finish_output2(net, skb)


def ip_finish_output2(net: Net, skb: SkBuff) -> int:
    """Count the transmit and hand the packet to the next hop's neighbour entry."""
    rt: Rtable = skb.cb["rt"]
    dev = rt.dev
    net.snmp_inc("Ip", "OutTransmits")
    if rt.rt_type == 5:  # RTN_MULTICAST
        net.snmp_inc("IpExt", "OutMcastPkts")
    elif rt.rt_type == 3:  # RTN_BROADCAST
        net.snmp_inc("IpExt", "OutBcastPkts")
    net.snmp_inc("IpExt", "OutOctets", skb.len)
    skb.dev = dev
    skb.doff = skb.network_header
    daddr = int.from_bytes(skb.head[skb.network_header + 16:skb.network_header + 20], "big")
    nexthop = rt.nexthop(daddr)
    n = net.ipv4.arp_tbl.lookup_or_create(dev, nexthop)
    if n.nud_state & NUD_CONNECTED:
        rc = n.tbl.connected_output(n, skb)
    else:
        rc = neigh_resolve_output(n, skb)
    return rc if rc < 0 else 0


def ip_fragment(net: Net, skb: SkBuff, mtu: int) -> int:
    """ip_fragment + ip_do_fragment (the slow path: every fragment a new skb)."""
    nh = skb.network_header
    head = skb.head
    frag_off = int.from_bytes(head[nh + 6:nh + 8], "big")
    cb: IpCb | None = skb.cb.get("ip")
    df = bool(frag_off & IP_DF)
    if df and (not skb.cb.get("ignore_df", False) or (cb is not None and cb.frag_max_size > mtu)):
        net.snmp_inc("Ip", "FragFails")
        from kernel.net.ipv4.icmp import icmp_send
        icmp_send(skb, uapi.ICMP_DEST_UNREACH, uapi.ICMP_FRAG_NEEDED, mtu)
        skb.free()
        return -uapi.EMSGSIZE
    skb_checksum_help(skb)  # fragments are checksummed whole: the transport checksum first
    head = skb.head
    hl = (head[nh] & 0xF) * 4
    total = int.from_bytes(head[nh + 2:nh + 4], "big")
    payload = bytes(head[nh + hl:nh + total])
    if mtu < hl + 8:
        net.snmp_inc("Ip", "FragFails")
        skb.free()
        return -uapi.EMSGSIZE
    chunk = (mtu - hl) & ~7
    base_off = (frag_off & IP_OFFSET) * 8
    orig_mf = frag_off & IP_MF
    hdr = bytearray(head[nh:nh + hl])
    pos = 0
    rc = 0
    first = True
    while pos < len(payload):
        piece = payload[pos:pos + chunk]
        last = pos + len(piece) >= len(payload)
        frag = alloc_skb(hl + len(piece), MAX_HEADER)
        frag.put_data(bytes(hdr))
        frag.put_data(piece)
        fh = frag.head
        assert isinstance(fh, bytearray)
        o = frag.doff
        frag.network_header = o
        frag.transport_header = o + hl
        field = ((base_off + pos) >> 3) | (IP_DF if df else 0) | (0 if last and not orig_mf else IP_MF)
        fh[o + 6:o + 8] = field.to_bytes(2, "big")
        fh[o + 2:o + 4] = (hl + len(piece)).to_bytes(2, "big")
        ip_send_check(fh, o, hl)
        frag.cb = dict(skb.cb)
        frag.dev, frag.protocol, frag.sk, frag.mark, frag.priority = skb.dev, skb.protocol, skb.sk, skb.mark, \
            skb.priority
        frag.pkt_type = skb.pkt_type
        if first and hl > 20:
            ip_options_fragment(memoryview(hdr)[20:hl])
        first = False
        net.snmp_inc("Ip", "FragCreates")
        rc = ip_finish_output2(net, frag)
        if rc:
            break
        pos += len(piece)
    skb.free()
    net.snmp_inc("Ip", "FragFails" if rc else "FragOKs")
    return rc
