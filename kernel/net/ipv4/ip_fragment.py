"""IPv4 reassembly (net/ipv4/ip_fragment.c, net/ipv4/inet_fragment.c; RFC 791 3.2, RFC 815).

``ip_defrag(net, skb, user)`` queues a fragment (skb data at its IP header)
in the queue keyed by (source, destination, ID, protocol, user) and returns
the whole datagram when the last hole is filled, else None.  As Linux:

- Ip ReasmReqds for every fragment; ReasmOKs for each datagram rebuilt;
  ReasmFails for every queue given up; ReasmTimeout when
  net.ipv4.ipfrag_time passes first (then, if the first fragment had come
  in and the datagram was for this host, ICMP time exceeded code 1
  "fragment reassembly time exceeded" goes back to the sender);
- fragments are kept in runs (inet_frag_queue_insert): an exact or
  contained duplicate is dropped and the queue kept; any other overlap
  (RFC 5722 spirit) drops the whole queue (IpExt ReasmOverlaps +
  ReasmFails); a last fragment that disagrees with the known end, data
  past the end, an empty fragment or a datagram over 65535 bytes fail the
  queue too;
- fragments are charged by truesize; above net.ipv4.ipfrag_high_thresh no
  new fragment is taken (ReasmFails);
- the rebuilt header is the first fragment's, with total length fixed,
  DF set only when every fragment carried it at the largest size
  (IPSKB_FRAG_PMTU), and ``IpCb.frag_max_size`` the largest fragment.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from kernel import uapi
from kernel.net.core.dev import dev_get_by_index
from kernel.net.core.skbuff import SkBuff, skb_from_frame
from kernel.net.ipv4.ip_options import IPSKB_FRAG_COMPLETE, IPSKB_FRAG_PMTU, IpCb

if TYPE_CHECKING:
    from kernel.net.core.net_namespace import Net

IP_DEFRAG_LOCAL_DELIVER = 0
IP_DF = 0x4000
IP_MF = 0x2000
IP_OFFSET = 0x1FFF

INET_FRAG_FIRST_IN = 0x1
INET_FRAG_LAST_IN = 0x2
INET_FRAG_COMPLETE = 0x4


@dataclass(eq=False)
class IpFragQueue:
    """struct ipq."""

    key: tuple[int, int, int, int, int]
    runs: list[list[int]] = field(default_factory=list)  # [start, end] in arrival structure
    pieces: dict[int, bytes] = field(default_factory=dict)  # offset -> payload bytes
    len: int = 0
    meat: int = 0
    flags: int = 0
    max_size: int = 0
    max_df_size: int = 0
    iif: int = 0
    mem: int = 0
    head: bytes = b""  # the first fragment, header and data (for the rebuilt header and ICMP)
    head_cb: dict[str, Any] = field(default_factory=dict)
    timer: Any = None
    last_end: int = 0  # end of the fragments' tail


def _kill(net: Net, q: IpFragQueue) -> None:
    """inet_frag_kill: forget the queue and give back its memory."""
    if q.timer is not None:
        q.timer.cancel()
        q.timer = None
    q.flags |= INET_FRAG_COMPLETE
    st = net.ipv4
    if st.frag_queues.get(q.key) is q:
        del st.frag_queues[q.key]
    st.frag_mem -= q.mem
    q.mem = 0
    q.pieces.clear()


def _expire(net: Net, q: IpFragQueue) -> None:
    """ip_expire."""
    q.timer = None
    if q.flags & INET_FRAG_COMPLETE:
        return
    _kill(net, q)
    net.snmp_inc("Ip", "ReasmFails")
    net.snmp_inc("Ip", "ReasmTimeout")
    if not q.flags & INET_FRAG_FIRST_IN or not q.head:
        return
    dev = dev_get_by_index(net, q.iif)
    if dev is None:
        return
    head = skb_from_frame(bytes(q.head), dev)
    head.network_header = 0
    head.skb_iif = q.iif
    from kernel.net.ipv4.route import RTN_LOCAL, ip_route_input
    h = q.head
    daddr = int.from_bytes(h[16:20], "big")
    saddr = int.from_bytes(h[12:16], "big")
    if ip_route_input(head, daddr, saddr, h[1], dev):
        return
    rt = head.cb.get("rt")
    if rt is None or rt.rt_type != RTN_LOCAL:
        return
    head.cb["ip"] = IpCb(iif=q.iif)
    from kernel.net.ipv4.icmp import icmp_send
    icmp_send(head, uapi.ICMP_TIME_EXCEEDED, uapi.ICMP_EXC_FRAGTIME, 0)


def _insert(q: IpFragQueue, offset: int, end: int) -> str:
    """inet_frag_queue_insert: "ok", "dup" or "overlap"."""
    if not q.runs:
        q.runs.append([offset, end])
    elif q.last_end < end:
        if offset < q.last_end:
            return "overlap"
        if offset == q.last_end and q.runs[-1][1] == offset:
            q.runs[-1][1] = end
        else:
            q.runs.append([offset, end])
    else:
        for run in q.runs:
            if end <= run[0] or offset >= run[1]:
                continue
            if offset >= run[0] and end <= run[1]:
                return "dup"
            return "overlap"
        q.runs.append([offset, end])
        q.runs.sort()
    q.last_end = max(q.last_end, end)
    return "ok"


def ip_defrag(net: Net, skb: SkBuff, user: int = IP_DEFRAG_LOCAL_DELIVER) -> SkBuff | None:
    """Queue one fragment; the reassembled datagram when complete, else None (skb consumed)."""
    net.snmp_inc("Ip", "ReasmReqds")
    st = net.ipv4
    nh = skb.network_header
    h = bytes(skb.head[nh:skb.tail])
    ihl = (h[0] & 0xF) * 4
    key = (int.from_bytes(h[12:16], "big"), int.from_bytes(h[16:20], "big"),
           int.from_bytes(h[4:6], "big"), h[9], user)
    q = st.frag_queues.get(key)
    if q is None:
        if st.frag_mem > int(net.sysctl.get("net.ipv4.ipfrag_high_thresh", 4 << 20)):
            net.snmp_inc("Ip", "ReasmFails")
            skb.free()
            return None
        q = IpFragQueue(key)
        st.frag_queues[key] = q
        when = net.clock.now() + float(net.sysctl.get("net.ipv4.ipfrag_time", 30))
        q.timer = net.clock.call_at(when, lambda: _expire(net, q))
    elif st.frag_mem > int(net.sysctl.get("net.ipv4.ipfrag_high_thresh", 4 << 20)):
        net.snmp_inc("Ip", "ReasmFails")
        skb.free()
        return None
    frag = int.from_bytes(h[6:8], "big")
    flags = frag & ~IP_OFFSET
    offset = (frag & IP_OFFSET) << 3
    end = offset + len(h) - ihl

    def discard() -> None:
        _kill(net, q)
        net.snmp_inc("Ip", "ReasmFails")
        skb.free()

    if not flags & IP_MF:
        if end < q.len or (q.flags & INET_FRAG_LAST_IN and end != q.len):
            discard()
            return None
        q.flags |= INET_FRAG_LAST_IN
        q.len = end
    else:
        if end & 7:
            end &= ~7
        if end > q.len:
            if q.flags & INET_FRAG_LAST_IN:
                discard()
                return None
            q.len = end
    if end == offset:
        discard()
        return None
    res = _insert(q, offset, end)
    if res == "dup":
        skb.free()
        return None
    if res == "overlap":
        net.snmp_inc("IpExt", "ReasmOverlaps")
        discard()
        return None
    q.pieces[offset] = h[ihl:ihl + end - offset]
    if skb.dev is not None:
        q.iif = skb.dev.ifindex
    q.meat += end - offset
    q.mem += skb.truesize
    st.frag_mem += skb.truesize
    if offset == 0:
        q.flags |= INET_FRAG_FIRST_IN
        q.head = h
        q.head_cb = dict(skb.cb)
    fragsize = len(h)
    q.max_size = max(q.max_size, fragsize)
    if frag & IP_DF:
        q.max_df_size = max(q.max_df_size, fragsize)
    if q.flags == (INET_FRAG_FIRST_IN | INET_FRAG_LAST_IN) and q.meat == q.len:
        out = _reasm(net, q, skb)
        skb.free()
        return out
    skb.free()
    return None


def _reasm(net: Net, q: IpFragQueue, last: SkBuff) -> SkBuff | None:
    """ip_frag_reasm: join the pieces under the first fragment's header."""
    head = q.head
    ihl = (head[0] & 0xF) * 4
    total = ihl + q.len
    pieces = dict(q.pieces)
    _kill(net, q)
    if total > 0xFFFF:
        net.snmp_inc("Ip", "ReasmFails")
        return None
    buf = bytearray(total)
    buf[:ihl] = head[:ihl]
    for off, data in pieces.items():
        buf[ihl + off:ihl + off + len(data)] = data
    buf[2:4] = total.to_bytes(2, "big")
    pmtu = q.max_df_size == q.max_size
    buf[6:8] = (IP_DF if pmtu else 0).to_bytes(2, "big")
    buf[10:12] = b"\0\0"
    from kernel.net.ipv4.ip_output import ip_send_check
    ip_send_check(buf, 0, ihl)
    skb = skb_from_frame(buf, last.dev)
    skb.network_header = 0
    skb.transport_header = ihl
    skb.protocol, skb.pkt_type, skb.skb_iif, skb.tstamp = last.protocol, last.pkt_type, last.skb_iif, last.tstamp
    skb.mark = last.mark
    skb.cb = dict(last.cb)
    head_ip = q.head_cb.get("ip")
    cb = IpCb(iif=q.iif, opt=getattr(head_ip, "opt", None),
              flags=IPSKB_FRAG_COMPLETE | (IPSKB_FRAG_PMTU if pmtu else 0),
              frag_max_size=max(q.max_df_size, q.max_size))
    skb.cb["ip"] = cb
    net.snmp_inc("Ip", "ReasmOKs")
    return skb
