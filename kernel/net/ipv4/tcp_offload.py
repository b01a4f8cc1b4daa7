"""TCP segmentation offload (net/ipv4/tcp_offload.c, net/core/gso.c) for IPv4.

A TCP socket whose route leaves through a device with ``tso`` (lo, veth: the
NETIF_F_TSO of Linux's virtual devices) hands the device one *super-packet*
for a run of full-sized segments: one IPv4 + TCP header over up to 64 KiB of
payload, marked with ``skb.gso_size`` (the payload of each segment it stands
for, the MSS) and ``skb.gso_segs``.  Such a packet crosses lo and veth whole
(a capture there shows it whole, as tcpdump does on Linux) and the receiving
stack takes it as one segment of ``gso_segs`` (GRO's view).  Where it must
become real segments -- a device without ``tso`` (peerlink, TAP, test
channels), a device with a qdisc (netem impairs segment by segment), a path
whose MTU the segments no longer fit -- ``tcp4_gso_segment`` cuts it (RFC 9293
3.7.3's segments; RFC 7414's TSO):

- segment i carries ``payload[i*mss:(i+1)*mss]``, sequence number
  ``seq + i*mss``, IP ID ``id + i`` (ip_select_ident_segs reserved them);
- FIN and PSH stay on the last segment only, CWR on the first only;
- every header is complete: IP total length and header checksum, the TCP
  checksum (CHECKSUM_NONE: the bytes are final).

The sender's half is tcp_output.tcp_write_xmit: with ``gso_max_size`` set
(the glue sets it from the route's device) a run of full-sized segments it
sends back to back leaves as one super-segment -- one record per segment in
the retransmission queue (cwnd, SACK, RACK and retransmission stay per
segment, as Linux's pcount), one TcpSegment with ``gso_size`` in the outbox.
"""
from __future__ import annotations

import struct

from kernel.net.core.skbuff import CHECKSUM_NONE, SkBuff, skb_from_frame
from kernel.net.ipv4.ip_output import ip_send_check
from kernel.net.wire.tcp import tcp_checksum

__all__ = ["GSO_MAX_SIZE", "gso_fits", "tcp4_gso_segment"]

GSO_MAX_SIZE = 65536  # dev->gso_max_size: the IPv4 total length limit
_FIN, _PSH, _CWR = 0x01, 0x08, 0x80


def gso_fits(skb: SkBuff, mtu: int) -> bool:
    """skb_gso_validate_network_len: each segment's IP packet fits ``mtu``."""
    nh = skb.network_header
    head = skb.head
    ihl = (head[nh] & 0xF) * 4
    thl = (head[nh + ihl + 12] >> 4) * 4
    return ihl + thl + skb.gso_size <= mtu


def tcp4_gso_segment(skb: SkBuff, with_l2: bool) -> list[SkBuff]:
    """The segments ``skb`` (a GSO super-packet, network header set) stands for, each a complete
    packet; with ``with_l2`` each starts with a copy of the link header in front of the network header
    (the device-level cut), else with the IP header.  The original is left as it was."""
    head = skb.head
    nh = skb.network_header
    ihl = (head[nh] & 0xF) * 4
    th = nh + ihl
    thl = (head[th + 12] >> 4) * 4
    start = th + thl
    l2 = bytes(head[skb.mac_header:nh]) if with_l2 and 0 <= skb.mac_header < nh else b""
    iph = bytearray(head[nh:th])
    tcph = bytearray(head[th:start])
    payload = bytes(head[start:skb.tail])
    mss = skb.gso_size or len(payload) or 1
    seq0 = int.from_bytes(tcph[4:8], "big")
    id0 = int.from_bytes(iph[4:6], "big")
    flags = tcph[13]
    saddr = int.from_bytes(iph[12:16], "big")
    daddr = int.from_bytes(iph[16:20], "big")
    out: list[SkBuff] = []
    n = max(1, -(-len(payload) // mss))
    for i in range(n):
        chunk = payload[i * mss:(i + 1) * mss]
        ip = bytearray(iph)
        struct.pack_into("!H", ip, 2, ihl + thl + len(chunk))
        struct.pack_into("!H", ip, 4, (id0 + i) & 0xFFFF)
        ip_send_check(ip, 0, ihl)
        tcp = bytearray(tcph)
        struct.pack_into("!I", tcp, 4, (seq0 + i * mss) & 0xFFFFFFFF)
        f = flags
        if i < n - 1:
            f &= ~(_FIN | _PSH)
        if i > 0:
            f &= ~_CWR
        tcp[13] = f
        tcp[16:18] = b"\0\0"
        seg = tcp + chunk
        struct.pack_into("!H", seg, 16, tcp_checksum(seg, saddr, daddr))
        frame = bytearray(l2) + ip + seg
        s = skb_from_frame(frame, skb.dev)
        s.mac_header = 0 if l2 else -1
        s.network_header = len(l2)
        s.transport_header = len(l2) + ihl
        s.protocol, s.pkt_type, s.sk = skb.protocol, skb.pkt_type, skb.sk
        s.cb, s.tstamp, s.mark, s.priority = dict(skb.cb), skb.tstamp, skb.mark, skb.priority
        s.ip_summed = CHECKSUM_NONE
        out.append(s)
    return out
