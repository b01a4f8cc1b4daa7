"""TCP segmentation offload: super-packets over lo/veth, real segments everywhere else (tcp_offload.py)."""
from __future__ import annotations

import io
import random
from typing import Any

from scapy.layers.inet import IP, TCP
from scapy.layers.l2 import Ether
from scapy.utils import PcapReader

from kernel.net.core.capture import start_capture
from kernel.net.core.skbuff import skb_from_frame
from kernel.net.ipv4.tcp_offload import tcp4_gso_segment
from tests.kernel.net.test_csum_offload import Pair


def _frames(pcap: bytes) -> list[Ether]:
    return [Ether(bytes(p)) for p in PcapReader(io.BytesIO(pcap))]


def _checksum_ok(frame: Ether) -> bool:
    f = Ether(bytes(frame))
    sent_ip, sent_tcp = f[IP].chksum, f[TCP].chksum
    del f[IP].chksum, f[TCP].chksum
    g = Ether(bytes(f))
    return bool(g[IP].chksum == sent_ip and g[TCP].chksum == sent_tcp)


def _bulk(p: Pair, n: int) -> bytes:
    data = random.Random(9).randbytes(n)
    sent, got = 0, bytearray()
    for _ in range(5000):
        if sent < n:
            sent += max(0, p.send(data[sent:]))
        got += p.recv()
        if len(got) >= n:
            break
        p.clock.advance(0.005)
    assert bytes(got) == data
    return data


def test_veth_carries_super_packets_and_counts_segments() -> None:
    p = Pair()
    cap = start_capture(p.db)
    _bulk(p, 1 << 20)
    cap.stop()
    tcp = [f for f in _frames(cap.getvalue()) if TCP in f]
    big = [f for f in tcp if len(f) > 1514]
    assert big, "no TSO super-packet crossed the veth"
    assert all(_checksum_ok(f) for f in tcp)
    assert all(f[IP].len <= 65535 for f in big)


def test_a_qdisc_gets_real_segments() -> None:
    from kernel.net.sched.sch_generic import qdisc_attach
    from kernel.net.sched.sch_netem import NetemParams, NetemQdisc

    p = Pair()
    qdisc_attach(p.da, NetemQdisc(p.clock, random.Random(1), NetemParams(), limit=10000))
    cap = start_capture(p.db)
    _bulk(p, 300_000)
    cap.stop()
    tcp = [f for f in _frames(cap.getvalue()) if TCP in f]
    assert len(tcp) > 200 and all(len(f) <= 1514 and _checksum_ok(f) for f in tcp)


def test_gso_segment_cuts_like_linux() -> None:
    payload = bytes(range(256)) * 20  # 5120 bytes: 3 full segments of 1448 and one of 776
    frame = bytes(Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")
                  / IP(src="10.0.0.1", dst="10.0.0.2", id=100, flags="DF")
                  / TCP(sport=1, dport=2, seq=1000, ack=5, flags="FPA", window=100,
                        options=[("NOP", None), ("NOP", None), ("Timestamp", (1, 2))])
                  / payload)
    skb = skb_from_frame(bytearray(frame))
    skb.mac_header, skb.network_header, skb.gso_size = 0, 14, 1448
    segs = [Ether(bytes(s.view())) for s in tcp4_gso_segment(skb, with_l2=True)]
    assert [len(s[TCP].payload) for s in segs] == [1448, 1448, 1448, 776]
    assert [s[TCP].seq for s in segs] == [1000, 2448, 3896, 5344]
    assert [s[IP].id for s in segs] == [100, 101, 102, 103]
    assert [str(s[TCP].flags) for s in segs] == ["A", "A", "A", "FPA"]
    assert b"".join(bytes(s[TCP].payload) for s in segs) == payload
    assert all(_checksum_ok(s) and s[TCP].options == [("NOP", None), ("NOP", None), ("Timestamp", (1, 2))]
               for s in segs)


def test_peerlink_carries_super_packets_both_ways() -> None:
    """A peer link does TSO: the sender's NIC passes super-packets (checksum completed: the bytes leave
    the process), the far NIC takes a TCP frame over the MTU as one (gso_size from the agreed MTU)."""
    from kernel.drivers.net.peerlink import peerlink_attach, peerlink_newlink, peerlink_rx

    sizes: list[int] = []

    def link(a: Any, b: Any) -> tuple[Any, Any]:
        ea, eb = peerlink_newlink(a, "eth0"), peerlink_newlink(b, "eth0")

        def a_to_b(frame: bytes) -> bool:
            sizes.append(len(frame))
            return peerlink_rx(eb, frame) == 0

        peerlink_attach(ea, a_to_b)
        peerlink_attach(eb, lambda frame: peerlink_rx(ea, frame) == 0)
        return ea, eb

    p = Pair(link)
    cap = start_capture(p.db)
    _bulk(p, 1 << 20)
    cap.stop()
    assert max(sizes) > 1514
    tcp = [f for f in _frames(cap.getvalue()) if TCP in f]
    assert all(_checksum_ok(f) for f in tcp)
