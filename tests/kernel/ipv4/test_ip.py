"""ip_rcv / ip_local_deliver / ip_build_xmit: checks, counters, options, bytes on the wire."""
from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from kernel import uapi
from kernel.net.core.neighbour import neigh_add
from kernel.net.core.skbuff import alloc_skb, skb_from_frame
from kernel.net.ipv4.ip_input import ip_rcv
from kernel.net.ipv4.ip_options import IpCb, ip_options_get
from kernel.net.ipv4.ip_output import ip_build_xmit
from kernel.net.ipv4.route import Flowi4, ip_route_output_key
from kernel.net.wire.ethernet import EthernetRepr
from kernel.net.wire.icmp import IcmpRepr
from kernel.net.wire.ipv4 import Ipv4OptRecordRoute, Ipv4Packet, Ipv4Repr
from kernel.net.wire.ipv4 import ip_aton as ip

PEER_MAC = bytes.fromhex("020000000002")


def setup(lab: Any) -> tuple[Any, Any]:
    h = lab.host("a")
    dev = lab.channel(h, "eth0", addr=bytes.fromhex("020000000001"))
    lab.addr(h, dev, "10.0.0.1/24")
    neigh_add(h.netns.ipv4.arp_tbl, dev, ip("10.0.0.2"), PEER_MAC)
    return h, dev


def frame_in(lab: Any, dev: Any, pkt: bytes, dst: bytes | None = None) -> bytes:
    return lab.eth_frame(dst or dev.dev_addr, PEER_MAC, 0x0800, pkt)


def send(h: Any, daddr: str, payload: bytes, proto: int = 253, **kw: Any) -> int:
    fl = Flowi4(daddr=ip(daddr), proto=proto)
    rt = ip_route_output_key(h.netns, fl)
    assert not isinstance(rt, int)
    skb = alloc_skb(len(payload))
    skb.put_data(payload)
    args = {"ttl": 64, "tos": 0, "df": False} | kw
    return ip_build_xmit(h.netns, skb, rt=rt, fl4=fl, proto=proto, **args)


def ipmib(h: Any, field: str, table: str = "Ip") -> int:
    return int(h.netns.mib[table][field])


def test_loopback_delivery(lab: Any) -> None:
    h = lab.host()
    sink = lab.sink()
    assert send(h, "127.0.0.1", b"hello") == 0
    assert sink.delivered == [b"hello"]
    hdr = Ipv4Repr.parse(sink.packets[0])
    assert (hdr.src, hdr.dst, hdr.ttl, hdr.protocol) == (ip("127.0.0.1"), ip("127.0.0.1"), 64, 253)
    cb = sink.cbs[0]
    assert isinstance(cb["ip"], IpCb) and cb["ip"].iif == 1 and cb["rt"].rt_spec_dst == ip("127.0.0.1")
    assert (ipmib(h, "OutRequests"), ipmib(h, "InReceives"), ipmib(h, "InDelivers")) == (1, 1, 1)


def test_delivery_from_the_wire_trims_padding(lab: Any) -> None:
    h, dev = setup(lab)
    sink = lab.sink()
    pkt = lab.ipv4_packet("10.0.0.2", "10.0.0.1", 253, b"xy")
    assert dev.inject(frame_in(lab, dev, pkt + bytes(24))) == 0
    assert sink.delivered == [b"xy"]


def test_malformed_packets_are_counted_not_raised(lab: Any) -> None:
    h, dev = setup(lab)
    sink = lab.sink()
    good = bytearray(lab.ipv4_packet("10.0.0.2", "10.0.0.1", 253, b"payload!"))
    bad_csum = bytearray(good)
    bad_csum[10] ^= 0xFF
    v6 = bytearray(good)
    v6[0] = 0x65
    short_ihl = bytearray(good)
    short_ihl[0] = 0x44
    too_long = bytearray(good)
    too_long[2:4] = (200).to_bytes(2, "big")
    Ipv4Packet(too_long).fill_checksum()
    too_short_total = bytearray(good)
    too_short_total[2:4] = (12).to_bytes(2, "big")
    Ipv4Packet(too_short_total).fill_checksum()
    for pkt in (bad_csum, v6, short_ihl, too_short_total, good[:15]):
        dev.inject(frame_in(lab, dev, bytes(pkt)))
    dev.inject(frame_in(lab, dev, bytes(too_long)))
    assert sink.delivered == []
    assert ipmib(h, "InReceives") == 6
    assert ipmib(h, "InHdrErrors") == 5
    assert ipmib(h, "InCsumErrors", "IpExt") == 1
    assert ipmib(h, "InTruncatedPkts", "IpExt") == 1
    assert dev.drain() == []


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=120))
def test_random_bytes_never_raise(data: bytes) -> None:
    from kernel.clock import ManualClock
    from kernel.host import Host
    h = _fuzz_host.get("h")
    if h is None:
        h = _fuzz_host["h"] = Host(clock=ManualClock())
    lo = h.netns.loopback_dev
    skb = skb_from_frame(data, lo)
    skb.protocol = 0x0800
    ip_rcv(skb, lo, None, lo)  # type: ignore[arg-type]


_fuzz_host: dict[str, Any] = {}


def test_unknown_protocol_gets_protocol_unreachable(lab: Any) -> None:
    h, dev = setup(lab)
    pkt = lab.ipv4_packet("10.0.0.2", "10.0.0.1", 99, b"12345678")
    dev.inject(frame_in(lab, dev, pkt))
    [out] = dev.drain()
    eth = EthernetRepr.parse(out)
    assert (eth.dst, eth.src, eth.ethertype) == (PEER_MAC, dev.dev_addr, 0x0800)
    iph = Ipv4Repr.parse(out[14:])
    assert (iph.src, iph.dst, iph.protocol, iph.tos) == (ip("10.0.0.1"), ip("10.0.0.2"), 1, 0xC0)
    icmp = IcmpRepr.parse(out[34:])
    assert (icmp.type, icmp.code, icmp.data) == (3, 2, pkt)
    assert ipmib(h, "InUnknownProtos") == 1 and h.netns.mib["IcmpMsg"]["OutType3"] == 1


def test_not_our_address_on_a_host(lab: Any) -> None:
    h, dev = setup(lab)
    dev.inject(frame_in(lab, dev, lab.ipv4_packet("10.0.0.2", "10.0.0.9", 253, b"x")))
    dev.inject(frame_in(lab, dev, lab.ipv4_packet("10.0.0.2", "10.0.0.1", 253, b"x"), dst=b"\x02" * 6))
    assert ipmib(h, "InAddrErrors") == 1 and ipmib(h, "InReceives") == 1
    assert dev.drain() == []


def test_record_route_filled_on_input(lab: Any) -> None:
    h, dev = setup(lab)
    sink = lab.sink()
    rr = Ipv4OptRecordRoute(4, (0, 0, 0))
    dev.inject(frame_in(lab, dev, lab.ipv4_packet("10.0.0.2", "10.0.0.1", 253, b"r", options=(rr,))))
    hdr = Ipv4Repr.parse(sink.packets[0], verify_checksum=False)
    assert hdr.options[0] == Ipv4OptRecordRoute(8, (ip("10.0.0.1"), 0, 0))
    opt = sink.cbs[0]["ip"].opt
    assert opt.rr == 20 and opt.rr_needaddr


def test_bad_option_gets_parameter_problem(lab: Any) -> None:
    h, dev = setup(lab)
    sink = lab.sink()
    pkt = bytearray(lab.ipv4_packet("10.0.0.2", "10.0.0.1", 253, b"r", options=(Ipv4OptRecordRoute(4, (0,)),)))
    pkt[22] = 3  # pointer < 4
    Ipv4Packet(pkt).fill_checksum()
    dev.inject(frame_in(lab, dev, bytes(pkt)))
    assert sink.delivered == []
    [out] = dev.drain()
    icmp = IcmpRepr.parse(out[34:])
    assert (icmp.type, icmp.code, icmp.pointer) == (12, 0, 22)
    assert ipmib(h, "InHdrErrors") == 1


def test_output_bytes_and_ids(lab: Any) -> None:
    h, dev = setup(lab)
    assert send(h, "10.0.0.2", b"data", ttl=7, tos=0x10) == 0
    assert send(h, "10.0.0.2", b"data", df=True) == 0
    f1, f2 = dev.drain()
    assert EthernetRepr.parse(f1).dst == PEER_MAC
    r1, r2 = Ipv4Repr.parse(f1[14:]), Ipv4Repr.parse(f2[14:])
    assert (r1.ttl, r1.tos, r1.dont_frag, r1.payload_len, r1.src) == (7, 0x10, False, 4, ip("10.0.0.1"))
    assert r2.dont_frag and r2.ident == 0  # DF, not connected: ID 0 (RFC 6864)
    assert (ipmib(h, "OutRequests"), ipmib(h, "OutTransmits")) == (2, 2)


def test_output_options_record_route(lab: Any) -> None:
    h, dev = setup(lab)
    opt = ip_options_get(h.netns, bytes([7, 11, 4]) + bytes(8))
    assert not isinstance(opt, int)
    assert send(h, "10.0.0.2", b"o", opt=opt) == 0
    [f] = dev.drain()
    r = Ipv4Repr.parse(f[14:])
    assert r.options[0] == Ipv4OptRecordRoute(8, (ip("10.0.0.1"), 0))
    assert ip_options_get(h.netns, bytes([7, 2, 4])) == -uapi.EINVAL
    assert ip_options_get(h.netns, bytes(41)) == -uapi.EINVAL


def test_too_big_is_emsgsize(lab: Any) -> None:
    h, dev = setup(lab)
    assert send(h, "10.0.0.2", bytes(65516)) == -uapi.EMSGSIZE
    assert send(h, "10.0.0.2", bytes(3000), df=True) == -uapi.EMSGSIZE
    assert ipmib(h, "FragFails") == 1


def test_broadcast_and_multicast_are_looped_back(lab: Any) -> None:
    from kernel.net.ipv4.devinet import ip_mc_inc_group
    h, dev = setup(lab)
    sink = lab.sink()
    assert send(h, "10.0.0.255", b"bcast") == 0
    assert sink.delivered == [b"bcast"] and len(dev.drain()) == 1
    assert sink.cbs[0]["rt"].rt_type == 3  # RTN_BROADCAST
    ip_mc_inc_group(dev.ip_ptr, ip("239.1.1.1"))
    for loop in (True, False):
        fl = Flowi4(daddr=ip("239.1.1.1"), oif=dev.ifindex, proto=253)
        rt = ip_route_output_key(h.netns, fl)
        skb = alloc_skb(5)
        skb.put_data(b"mcast")
        assert ip_build_xmit(h.netns, skb, rt=rt, fl4=fl, proto=253, ttl=1, tos=0, df=False, mc_loop=loop) == 0
    assert sink.delivered == [b"bcast", b"mcast"] and len(dev.drain()) == 2
    assert dev.stats.rx_packets == 0  # looped copies are not received frames


def test_hdrincl_output_fills_the_header(lab: Any) -> None:
    from kernel.net.ipv4.ip_output import ip_output_hdrincl
    h, dev = setup(lab)
    fl = Flowi4(daddr=ip("10.0.0.2"), proto=255)
    rt = ip_route_output_key(h.netns, fl)
    raw = bytearray(Ipv4Repr(0, ip("10.0.0.2"), 253, 3, ttl=9).to_bytes(b"abc", checksum=False))
    raw[2:4] = b"\0\0"  # tot_len and checksum are the kernel's
    skb = alloc_skb(len(raw))
    skb.put_data(bytes(raw))
    assert ip_output_hdrincl(h.netns, skb, rt, None, fl) == 0
    [f] = dev.drain()
    r = Ipv4Repr.parse(f[14:])
    assert (r.src, r.ttl, r.payload_len) == (ip("10.0.0.1"), 9, 3) and r.ident != 0
    big = alloc_skb(2000)
    big.put_data(bytes(Ipv4Repr(ip("10.0.0.1"), ip("10.0.0.2"), 253, 1980).to_bytes(bytes(1980))))
    assert ip_output_hdrincl(h.netns, big, rt, None, fl) == -uapi.EMSGSIZE
