"""ICMP: echo, timestamps, error delivery to protocols, counters, rate limits."""
from __future__ import annotations

from typing import Any

from kernel.net.core.neighbour import neigh_add
from kernel.net.wire.icmp import IcmpRepr
from kernel.net.wire.ipv4 import Ipv4Repr
from kernel.net.wire.ipv4 import ip_aton as ip

PEER = bytes.fromhex("020000000002")


def setup(lab: Any) -> tuple[Any, Any]:
    h = lab.host("a")
    dev = lab.channel(h, "eth0", addr=bytes.fromhex("020000000001"))
    lab.addr(h, dev, "10.0.0.1/24")
    neigh_add(h.netns.ipv4.arp_tbl, dev, ip("10.0.0.2"), PEER)
    return h, dev


def inject(lab: Any, dev: Any, pkt: bytes, dst: bytes | None = None) -> None:
    dev.inject(lab.eth_frame(dst or dev.dev_addr, PEER, 0x0800, pkt))


def icmp_in(lab: Any, dev: Any, src: str, dst: str, msg: bytes, l2dst: bytes | None = None, **kw: Any) -> None:
    inject(lab, dev, lab.ipv4_packet(src, dst, 1, msg, **kw), l2dst)


def mib(h: Any, table: str, field: str) -> int:
    return int(h.netns.mib[table].get(field, 0))


def test_echo_reply_on_the_wire(lab: Any) -> None:
    h, dev = setup(lab)
    icmp_in(lab, dev, "10.0.0.2", "10.0.0.1", lab.icmp_echo(0x1234, 7, b"ping-data"), tos=0x28)
    [f] = dev.drain()
    iph = Ipv4Repr.parse(f[14:])
    assert (iph.src, iph.dst, iph.ttl, iph.protocol, iph.tos) == (ip("10.0.0.1"), ip("10.0.0.2"), 64, 1, 0x28)
    icmp = IcmpRepr.parse(f[34:])
    assert (icmp.type, icmp.code, icmp.ident, icmp.seq, icmp.data) == (0, 0, 0x1234, 7, b"ping-data")
    assert (mib(h, "Icmp", "InMsgs"), mib(h, "Icmp", "InEchos"), mib(h, "Icmp", "OutEchoReps")) == (1, 1, 1)
    assert (mib(h, "IcmpMsg", "InType8"), mib(h, "IcmpMsg", "OutType0"), mib(h, "Icmp", "OutMsgs")) == (1, 1, 1)


def test_echo_ignore_all_and_broadcasts(lab: Any) -> None:
    h, dev = setup(lab)
    h.sysctl["net.ipv4.icmp_echo_ignore_all"] = 1
    icmp_in(lab, dev, "10.0.0.2", "10.0.0.1", lab.icmp_echo(1, 1))
    assert dev.drain() == []
    h.sysctl["net.ipv4.icmp_echo_ignore_all"] = 0
    icmp_in(lab, dev, "10.0.0.2", "10.0.0.255", lab.icmp_echo(1, 2), l2dst=b"\xff" * 6)
    assert dev.drain() == [] and mib(h, "Icmp", "InErrors") == 1
    h.sysctl["net.ipv4.icmp_echo_ignore_broadcasts"] = 0
    icmp_in(lab, dev, "10.0.0.2", "10.0.0.255", lab.icmp_echo(1, 3), l2dst=b"\xff" * 6)
    [f] = dev.drain()
    assert Ipv4Repr.parse(f[14:]).src == ip("10.0.0.1") and IcmpRepr.parse(f[34:]).seq == 3


def test_loopback_ping(lab: Any) -> None:
    h = lab.host()
    from kernel.net.core.skbuff import alloc_skb
    from kernel.net.ipv4.ip_output import ip_build_xmit
    from kernel.net.ipv4.protocol import raw_hooks
    from kernel.net.ipv4.route import Flowi4, ip_route_output_key
    got: list[bytes] = []
    saved = raw_hooks.ping_rcv
    raw_hooks.ping_rcv = lambda skb: got.append(skb.tobytes()) is None
    try:
        fl = Flowi4(daddr=ip("127.0.0.1"), proto=1)
        rt = ip_route_output_key(h.netns, fl)
        skb = alloc_skb(16)
        skb.put_data(lab.icmp_echo(5, 6, b"abc"))
        assert ip_build_xmit(h.netns, skb, rt=rt, fl4=fl, proto=1, ttl=64, tos=0, df=False) == 0
    finally:
        raw_hooks.ping_rcv = saved
    assert [IcmpRepr.parse(g).type for g in got] == [0]
    assert mib(h, "Icmp", "OutEchos") == 1 and mib(h, "Icmp", "InEchoReps") == 1


def test_timestamp_reply(lab: Any) -> None:
    h, dev = setup(lab)
    req = IcmpRepr(13, 0, (9 << 16) | 1, bytes(12)).to_bytes()
    icmp_in(lab, dev, "10.0.0.2", "10.0.0.1", req)
    [f] = dev.drain()
    rep = IcmpRepr.parse(f[34:])
    assert (rep.type, rep.ident, len(rep.data)) == (14, 9, 12)
    assert rep.data[4:8] == rep.data[8:12] == ((1000 * 1000) % 86400000).to_bytes(4, "big")


def test_errors_reach_the_protocol_err_handler(lab: Any) -> None:
    h, dev = setup(lab)
    sink = lab.sink()
    inner = lab.ipv4_packet("10.0.0.1", "10.0.0.2", 253, b"8 bytes!payload")
    quoted = inner[:28]
    icmp_in(lab, dev, "10.0.0.2", "10.0.0.1", IcmpRepr.dest_unreachable(3, quoted).to_bytes())
    icmp_in(lab, dev, "10.0.0.9", "10.0.0.1", IcmpRepr.dest_unreachable(4, quoted, next_hop_mtu=1400).to_bytes())
    icmp_in(lab, dev, "10.0.0.9", "10.0.0.1", IcmpRepr.time_exceeded(0, quoted).to_bytes())
    icmp_in(lab, dev, "10.0.0.9", "10.0.0.1", IcmpRepr.parameter_problem(22, quoted).to_bytes())
    assert [e for e, _ in sink.errors] == [(3, 3, 0), (3, 4, 1400), (11, 0, 0), (12, 0, 22)]
    assert all(q == quoted for _, q in sink.errors)
    # the MTU is the err_handler's to learn (udp_err/raw_err/icmp_err for their sockets), not the IP layer's
    assert ip("10.0.0.2") not in h.netns.ipv4.pmtu_exceptions
    # a fragment reassembly timeout is not passed on; a quote of less than 8 bytes is dropped
    icmp_in(lab, dev, "10.0.0.9", "10.0.0.1", IcmpRepr.time_exceeded(1, quoted).to_bytes())
    icmp_in(lab, dev, "10.0.0.9", "10.0.0.1", IcmpRepr.dest_unreachable(3, inner[:24]).to_bytes())
    assert len(sink.errors) == 4
    assert (mib(h, "Icmp", "InDestUnreachs"), mib(h, "Icmp", "InTimeExcds"), mib(h, "Icmp", "InParmProbs")) == (
        3, 2, 1)


def test_bad_checksum_and_short_messages(lab: Any) -> None:
    h, dev = setup(lab)
    bad = bytearray(lab.icmp_echo(1, 1, b"zz"))
    bad[2] ^= 1
    icmp_in(lab, dev, "10.0.0.2", "10.0.0.1", bytes(bad))
    icmp_in(lab, dev, "10.0.0.2", "10.0.0.1", b"\x08\x00\xf7\xff")
    assert dev.drain() == []
    assert (mib(h, "Icmp", "InMsgs"), mib(h, "Icmp", "InCsumErrors"), mib(h, "Icmp", "InErrors")) == (2, 1, 2)


def _unknown_proto(lab: Any, dev: Any, n: int, src: str = "10.0.0.2") -> None:
    for i in range(n):
        inject(lab, dev, lab.ipv4_packet(src, "10.0.0.1", 99, b"x" * 8, ident=i))


def test_per_destination_rate_limit(lab: Any) -> None:
    h, dev = setup(lab)
    _unknown_proto(lab, dev, 10)
    assert len(dev.drain()) == 6  # XRLIM_BURST_FACTOR tokens of icmp_ratelimit (1 s)
    assert mib(h, "Icmp", "OutRateLimitHost") == 4
    lab.clock.advance(1.0)
    _unknown_proto(lab, dev, 3)
    assert len(dev.drain()) == 1
    # fragmentation needed and echo replies are never limited (icmp_ratemask)
    for i in range(10):
        icmp_in(lab, dev, "10.0.0.2", "10.0.0.1", lab.icmp_echo(1, i))
    assert len(dev.drain()) == 10


def test_global_rate_limit(lab: Any) -> None:
    h, dev = setup(lab)
    h.sysctl["net.ipv4.icmp_ratelimit"] = 0
    _unknown_proto(lab, dev, 200)
    sent = len(dev.drain())
    assert 30 <= sent < 200 and sent + mib(h, "Icmp", "OutRateLimitGlobal") == 200
    lab.clock.advance(1.0)
    _unknown_proto(lab, dev, 10)
    assert len(dev.drain()) == 10


def test_no_rate_limit_on_loopback(lab: Any) -> None:
    h = lab.host()
    from kernel.net.core.skbuff import alloc_skb
    from kernel.net.ipv4.ip_output import ip_build_xmit
    from kernel.net.ipv4.route import Flowi4, ip_route_output_key
    for _ in range(100):
        fl = Flowi4(daddr=ip("127.0.0.1"), proto=99)
        rt = ip_route_output_key(h.netns, fl)
        skb = alloc_skb(8)
        skb.put_data(b"12345678")
        ip_build_xmit(h.netns, skb, rt=rt, fl4=fl, proto=99, ttl=64, tos=0, df=False)
    assert mib(h, "Icmp", "OutDestUnreachs") == 100 and mib(h, "Icmp", "OutRateLimitHost") == 0
