"""Fragmentation on output and reassembly on input: offsets, counters, overlaps, timeouts."""
from __future__ import annotations

from typing import Any

from kernel.net.core.neighbour import neigh_add
from kernel.net.core.skbuff import alloc_skb
from kernel.net.ipv4.ip_output import ip_build_xmit
from kernel.net.ipv4.route import Flowi4, ip_route_output_key
from kernel.net.wire.icmp import IcmpRepr
from kernel.net.wire.ipv4 import Ipv4Repr
from kernel.net.wire.ipv4 import ip_aton as ip

PEER = bytes.fromhex("020000000002")


def setup(lab: Any, mtu: int = 1500) -> tuple[Any, Any]:
    h = lab.host("a")
    dev = lab.channel(h, "eth0", mtu=mtu, addr=bytes.fromhex("020000000001"))
    lab.addr(h, dev, "10.0.0.1/24")
    neigh_add(h.netns.ipv4.arp_tbl, dev, ip("10.0.0.2"), PEER)
    return h, dev


def frag(lab: Any, payload: bytes, offset: int, mf: bool, ident: int = 77, src: str = "10.0.0.2") -> bytes:
    return lab.ipv4_packet(src, "10.0.0.1", 253, payload, ident=ident, mf=mf, frag_offset=offset)


def inject(lab: Any, dev: Any, pkt: bytes) -> None:
    dev.inject(lab.eth_frame(dev.dev_addr, PEER, 0x0800, pkt))


def ipmib(h: Any, field: str) -> int:
    return int(h.netns.mib["Ip"][field])


def test_output_fragments_to_the_mtu(lab: Any) -> None:
    h, dev = setup(lab, mtu=1000)
    data = bytes(range(256)) * 10
    fl = Flowi4(daddr=ip("10.0.0.2"), proto=253)
    rt = ip_route_output_key(h.netns, fl)
    skb = alloc_skb(len(data))
    skb.put_data(data)
    assert ip_build_xmit(h.netns, skb, rt=rt, fl4=fl, proto=253, ttl=64, tos=0, df=False) == 0
    frames = dev.drain()
    reprs = [Ipv4Repr.parse(f[14:]) for f in frames]
    assert [(r.frag_offset, r.more_frags, r.payload_len) for r in reprs] == [(0, True, 976), (976, True, 976),
                                                                             (1952, False, 608)]
    assert len({r.ident for r in reprs}) == 1 and all(len(f) - 14 <= 1000 for f in frames)
    assert b"".join(f[34:] for f in frames) == data
    assert (ipmib(h, "FragOKs"), ipmib(h, "FragCreates"), ipmib(h, "OutRequests"), ipmib(h, "OutTransmits")) == (
        1, 3, 1, 3)


def test_reassembly_in_any_order(lab: Any) -> None:
    h, dev = setup(lab)
    sink = lab.sink()
    data = bytes(range(200)) * 3
    inject(lab, dev, frag(lab, data[400:], 400, False))
    inject(lab, dev, frag(lab, data[:200], 0, True))
    assert sink.delivered == []
    inject(lab, dev, frag(lab, data[200:400], 200, True))
    assert sink.delivered == [data]
    hdr = Ipv4Repr.parse(sink.packets[0])
    assert (hdr.more_frags, hdr.frag_offset, hdr.payload_len) == (False, 0, 600)
    assert sink.cbs[0]["ip"].frag_max_size == 220
    assert (ipmib(h, "ReasmReqds"), ipmib(h, "ReasmOKs"), ipmib(h, "ReasmFails")) == (3, 1, 0)
    assert h.netns.ipv4.frag_queues == {} and h.netns.ipv4.frag_mem == 0


def test_duplicates_are_ignored_overlaps_kill_the_queue(lab: Any) -> None:
    h, dev = setup(lab)
    sink = lab.sink()
    data = bytes(64)
    inject(lab, dev, frag(lab, data[:16], 0, True))
    inject(lab, dev, frag(lab, data[:16], 0, True))  # exact duplicate: dropped, queue kept
    inject(lab, dev, frag(lab, data[16:], 16, False))
    assert sink.delivered == [data]
    inject(lab, dev, frag(lab, data[:24], 0, True, ident=78))
    inject(lab, dev, frag(lab, data[16:], 16, False, ident=78))  # overlaps 16..24
    assert len(sink.delivered) == 1
    assert ipmib(h, "ReasmFails") == 1 and h.netns.mib["IpExt"]["ReasmOverlaps"] == 1
    assert h.netns.ipv4.frag_queues == {}


def test_timeout_sends_fragment_reassembly_time_exceeded(lab: Any) -> None:
    h, dev = setup(lab)
    first = frag(lab, bytes(range(16)), 0, True, ident=5)
    inject(lab, dev, first)
    inject(lab, dev, frag(lab, bytes(8), 24, False, ident=6))
    lab.clock.advance(29.0)
    assert dev.drain() == []
    lab.clock.advance(1.5)
    [f] = dev.drain()  # only the queue whose first fragment came in gets an answer
    icmp = IcmpRepr.parse(f[34:])
    assert (icmp.type, icmp.code) == (11, 1)
    assert icmp.data == first  # the whole first fragment (it fits in 576 bytes)
    assert (ipmib(h, "ReasmTimeout"), ipmib(h, "ReasmFails")) == (2, 2)
    assert h.netns.ipv4.frag_queues == {} and h.netns.ipv4.frag_mem == 0


def test_bad_fragments_fail_the_queue(lab: Any) -> None:
    h, dev = setup(lab)
    inject(lab, dev, frag(lab, bytes(16), 16, False, ident=9))
    inject(lab, dev, frag(lab, bytes(16), 8, False, ident=9))  # a second, different end
    assert ipmib(h, "ReasmFails") == 1
    inject(lab, dev, frag(lab, b"", 8, True, ident=10))  # empty
    assert ipmib(h, "ReasmFails") == 2
    h.sysctl["net.ipv4.ipfrag_high_thresh"] = 0
    inject(lab, dev, frag(lab, bytes(16), 0, True, ident=11))
    inject(lab, dev, frag(lab, bytes(16), 16, True, ident=11))
    assert ipmib(h, "ReasmFails") == 3  # over the memory threshold: no new fragment is taken


def test_oversized_reassembly_fails(lab: Any) -> None:
    h, dev = setup(lab)
    sink = lab.sink()
    for off in range(0, 65520, 1456):
        inject(lab, dev, frag(lab, bytes(1456), off, True, ident=12))
    inject(lab, dev, frag(lab, bytes(16), 65520, False, ident=12))  # 20 + 65536 bytes
    assert sink.delivered == []
    assert (ipmib(h, "ReasmOKs"), ipmib(h, "ReasmFails")) == (0, 1)
    assert h.netns.ipv4.frag_queues == {}
