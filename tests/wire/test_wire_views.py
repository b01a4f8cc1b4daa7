"""The zero-copy views (getters, setters on writable buffers), the Repr contracts and the address helpers."""
from __future__ import annotations

import pytest
from hypothesis import given

from kernel.net.wire import WireError
from kernel.net.wire.arp import ARPOP_REPLY, ArpPacket, ArpRepr
from kernel.net.wire.ethernet import (
    BROADCAST_MAC,
    ETH_P_ARP,
    EthernetPacket,
    EthernetRepr,
    is_broadcast,
    is_multicast,
    is_unicast,
    mac_aton,
    mac_ntoa,
)
from kernel.net.wire.icmp import ICMP_FRAG_NEEDED, IcmpPacket, IcmpRepr
from kernel.net.wire.ipv4 import (
    IPPROTO_TCP,
    Ipv4OptRecordRoute,
    Ipv4OptRouterAlert,
    Ipv4OptSourceRoute,
    Ipv4OptTimestamp,
    Ipv4OptUnknown,
    Ipv4Packet,
    Ipv4Repr,
    ip_aton,
    ip_ntoa,
)
from kernel.net.wire.tcp import (
    TCPHDR_ACK,
    TCPHDR_CWR,
    TCPHDR_ECE,
    TCPHDR_FIN,
    TCPHDR_NS,
    TCPHDR_SYN,
    TcpOptMss,
    TcpOptSack,
    TcpPacket,
    TcpRepr,
    tcp_build_options,
)
from kernel.net.wire.udp import UdpPacket, UdpRepr

from . import strategies as S

A, B = ip_aton("10.1.2.3"), ip_aton("10.3.2.1")


def test_ip_text_helpers() -> None:
    assert ip_aton("10.0.0.1") == 0x0A000001 and ip_ntoa(0xC0A80101) == "192.168.1.1"
    assert ip_ntoa(0) == "0.0.0.0" and ip_aton("255.255.255.255") == 0xFFFFFFFF
    for bad in ("10.1", "1.2.3.4.5", "256.0.0.1", "1.2.3.-1", "a.b.c.d", "1.2.3.4 ", "", "1..2.3", "١.2.3.4"):
        with pytest.raises(ValueError):
            ip_aton(bad)
    with pytest.raises(ValueError):
        ip_ntoa(1 << 32)


@given(S.addr)
def test_ip_text_round_trip(a: int) -> None:
    assert ip_aton(ip_ntoa(a)) == a


def test_mac_helpers() -> None:
    m = mac_aton("02:00:5E:10:00:01")
    assert m == bytes.fromhex("02005e100001") and mac_ntoa(m) == "02:00:5e:10:00:01"
    assert mac_aton("02-00-5e-10-00-01") == m
    assert is_unicast(m) and not is_multicast(m) and not is_broadcast(m)
    assert is_multicast(mac_aton("01:00:5e:00:00:fb")) and is_broadcast(BROADCAST_MAC) and is_multicast(BROADCAST_MAC)
    assert not is_unicast(bytes(6))
    for bad in ("02:00:5e:10:00", "02:00:5e:10:00:01:02", "02:00:5e:10:00:zz", "020:0:5e:10:00:01"):
        with pytest.raises(ValueError):
            mac_aton(bad)


def test_ethernet_view_setters() -> None:
    buf = bytearray(EthernetRepr(BROADCAST_MAC, b"\x02" * 6, ETH_P_ARP).to_bytes(b"xy"))
    v = EthernetPacket.new_checked(buf)
    v.dst, v.src, v.ethertype = b"\x02" * 6, BROADCAST_MAC, 0x0800
    assert EthernetRepr.parse(buf) == EthernetRepr(b"\x02" * 6, BROADCAST_MAC, 0x0800)
    assert bytes(v.payload) == b"xy"


def test_arp_view_and_reply() -> None:
    req = ArpRepr(1, b"\x02" * 6, A, bytes(6), B)
    buf = bytearray(req.to_bytes())
    v = ArpPacket.new_checked(buf)
    assert (v.sender_hardware_addr, v.sender_protocol_addr, v.target_protocol_addr) == (
        b"\x02" * 6, A.to_bytes(4, "big"), B.to_bytes(4, "big"))
    v.operation = ARPOP_REPLY
    v.sender_hardware_addr, v.target_hardware_addr = b"\x04" * 6, b"\x02" * 6
    v.sender_protocol_addr, v.target_protocol_addr = B.to_bytes(4, "big"), A.to_bytes(4, "big")
    assert ArpRepr.parse(v) == ArpRepr(ARPOP_REPLY, b"\x04" * 6, B, b"\x02" * 6, A)
    with pytest.raises(ValueError):
        v.sender_protocol_addr = b"\x01"


def test_ipv4_view_fields_and_setters() -> None:
    r = Ipv4Repr(A, B, IPPROTO_TCP, 3, ttl=5, tos=0xB9, ident=0xBEEF, dont_frag=False, more_frags=True,
                 frag_offset=1480, options=(Ipv4OptRouterAlert(),))
    buf = bytearray(r.to_bytes(b"abc"))
    v = Ipv4Packet.new_checked(buf)
    assert (v.version, v.ihl, v.header_len, v.total_len, v.tos, v.dscp, v.ecn) == (4, 6, 24, 27, 0xB9, 46, 1)
    assert (v.ident, v.dont_frag, v.more_frags, v.frag_offset, v.ttl, v.protocol, v.src, v.dst) == (
        0xBEEF, False, True, 1480, 5, IPPROTO_TCP, A, B)
    assert bytes(v.options) == b"\x94\x04\x00\x00" and bytes(v.payload) == b"abc" and v.verify_checksum()
    v.ttl -= 1
    assert not v.verify_checksum()
    v.fill_checksum()
    assert Ipv4Repr.parse(buf).ttl == 4
    v.src, v.dst, v.ident, v.frag_field = B, A, 1, 0x4000
    v.fill_checksum()
    assert (v.dont_frag, v.more_frags, v.frag_offset) == (True, False, 0)
    v.more_frags, v.frag_offset, v.dscp, v.ecn = True, 8 * 0x1FFF, 10, 2
    assert (v.dont_frag, v.more_frags, v.frag_offset, v.tos) == (True, True, 8 * 0x1FFF, (10 << 2) | 2)
    v.dont_frag, v.more_frags, v.frag_offset, v.tos = True, False, 0, 0xB9
    with pytest.raises(ValueError):
        v.frag_offset = 12
    v.fill_checksum()
    assert Ipv4Repr.parse(buf) == Ipv4Repr(B, A, IPPROTO_TCP, 3, ttl=4, tos=0xB9, ident=1, dont_frag=True,
                                           options=(Ipv4OptRouterAlert(),))


def test_ipv4_repr_contract() -> None:
    r = Ipv4Repr(A, B, IPPROTO_TCP, 4)
    assert r.buffer_len() == 20
    with pytest.raises(ValueError):
        r.to_bytes(b"abc")           # payload_len says 4
    with pytest.raises(ValueError):
        r.emit(bytearray(19))
    for bad in (dict(src=-1), dict(ttl=256), dict(frag_offset=4), dict(payload_len=65516),
                dict(options=(Ipv4OptRecordRoute(4, (0,) * 9),) * 2)):
        with pytest.raises(ValueError):
            Ipv4Repr(**{**dict(src=A, dst=B, protocol=6, payload_len=0), **bad})  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        Ipv4OptRecordRoute(3, (0,))
    with pytest.raises(ValueError):
        Ipv4OptSourceRoute(True, 10, (0, 0))  # a partial slot under the pointer
    with pytest.raises(ValueError):
        Ipv4OptTimestamp(9, 0, 1, bytes(8))  # a partial 8-byte entry under the pointer
    with pytest.raises(ValueError):
        Ipv4OptUnknown(7, b"")       # record route has its own class


def test_icmp_view_and_frag_needed() -> None:
    quoted = Ipv4Repr(A, B, IPPROTO_TCP, 8, dont_frag=True).to_bytes(bytes(8))
    r = IcmpRepr.dest_unreachable(ICMP_FRAG_NEEDED, quoted, next_hop_mtu=1400)
    buf = bytearray(r.to_bytes())
    v = IcmpPacket.new_checked(buf)
    assert (v.type, v.code, v.next_hop_mtu, bytes(v.payload)) == (3, 4, 1400, quoted) and v.verify_checksum()
    assert IcmpRepr.parse(buf).next_hop_mtu == 1400
    v.next_hop_mtu = 1280
    v.fill_checksum()
    assert IcmpRepr.parse(buf).next_hop_mtu == 1280
    v.type, v.pointer = 12, 9
    v.fill_checksum()
    assert IcmpRepr.parse(buf).pointer == 9
    v.type, v.gateway = 5, B
    v.fill_checksum()
    assert IcmpRepr.parse(buf).gateway == B
    e = bytearray(IcmpRepr.echo_request(7, 9, b"ping").to_bytes())
    w = IcmpPacket(e)
    w.type, w.seq = 0, 10
    w.fill_checksum()
    assert IcmpRepr.parse(e) == IcmpRepr.echo_reply(7, 10, b"ping")
    assert IcmpRepr.parameter_problem(20, quoted).pointer == 20
    assert IcmpRepr.redirect(1, A, quoted).gateway == A


def test_udp_view_setters() -> None:
    buf = bytearray(UdpRepr(53, 4000).to_bytes(b"answer", A, B))
    v = UdpPacket.new_checked(buf)
    assert (v.src_port, v.dst_port, v.length, bytes(v.payload)) == (53, 4000, 14, b"answer")
    v.dst_port = 4001
    assert not v.verify_checksum(A, B)
    v.fill_checksum(A, B)
    assert UdpRepr.parse(v, A, B) == UdpRepr(53, 4001)
    v.checksum = 0
    assert v.verify_checksum(A, B)
    with pytest.raises(ValueError):
        UdpRepr(53, 4000).emit(bytearray(10), A, B, 3)
    with pytest.raises(ValueError):
        UdpRepr(65536, 1)


def test_tcp_view_flags_and_seg_len() -> None:
    r = TcpRepr(1000, 80, 0xFFFFFFFF, 7, TCPHDR_SYN | TCPHDR_ECE | TCPHDR_CWR, 29200,
                options=tcp_build_options(mss=1460, window_scale=7))
    buf = bytearray(r.to_bytes(b"", A, B))
    v = TcpPacket.new_checked(buf)
    assert (v.syn, v.ece, v.cwr, v.ns, v.fin, v.ack_flag, v.seg_len, v.header_len) == (
        True, True, True, False, False, False, 1, 28)
    v.flags = TCPHDR_NS | TCPHDR_ACK | TCPHDR_FIN
    v.seq, v.ack, v.window, v.urgent = 1, 2, 3, 4
    v.fill_checksum(A, B)
    got = TcpRepr.parse(buf, A, B)
    assert (got.flags, got.seq, got.ack, got.window, got.urgent) == (TCPHDR_NS | TCPHDR_ACK | TCPHDR_FIN, 1, 2, 3, 4)
    assert v.ns and v.fin and v.seg_len == 1 and got.mss == 1460 and got.window_scale == 7


def test_tcp_build_options_layouts() -> None:
    def wire(**kw: object) -> bytes:
        return TcpRepr(1, 2, 0, 0, 0, 0, options=tcp_build_options(**kw)).to_bytes()[20:]  # type: ignore[arg-type]
    assert wire(mss=1460, sack_permitted=True, timestamp=(1, 2), window_scale=7) == bytes.fromhex(
        "020405b4" "0402080a" "00000001" "00000002" "01030307")
    assert wire(timestamp=(1, 2)) == bytes.fromhex("0101080a0000000100000002")
    assert wire(mss=536, sack_permitted=True) == bytes.fromhex("02040218" "01010402")
    assert wire(sack_blocks=((1, 2),)) == bytes.fromhex("0101050a0000000100000002")
    with pytest.raises(ValueError):
        TcpOptSack(())
    with pytest.raises(ValueError):   # 4 + 34 + 4 = 42 option bytes > 40
        TcpRepr(1, 2, 0, 0, 0, 0, options=(TcpOptMss(1), TcpOptSack(((0, 0),) * 4), TcpOptMss(2)))


def test_views_do_not_copy() -> None:
    buf = bytearray(UdpRepr(1, 2).to_bytes(b"abcd"))
    pl = UdpPacket.new_checked(buf).payload
    buf[8] = ord("z")
    assert bytes(pl) == b"zbcd"


def test_wire_error_is_value_error() -> None:
    assert issubclass(WireError, ValueError)
