"""Malformed input: parsers raise WireError and nothing else.

A fuzz target per codec (random bytes, and valid packets truncated, with a
byte overwritten, or extended), single-bit corruption caught by every
checksum, and the specific length / IHL / option errors.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from kernel.net.wire import WireError
from kernel.net.wire.arp import ArpPacket, ArpRepr
from kernel.net.wire.ethernet import EthernetPacket, EthernetRepr
from kernel.net.wire.icmp import IcmpPacket, IcmpRepr
from kernel.net.wire.ipv4 import IPPROTO_UDP, Ipv4OptTimestamp, Ipv4Packet, Ipv4Repr, ip_aton, ipv4_options_parse
from kernel.net.wire.tcp import TCPHDR_SYN, TcpPacket, TcpRepr, tcp_options_parse
from kernel.net.wire.udp import UdpPacket, UdpRepr

from . import strategies as S

FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
A, B = ip_aton("192.0.2.1"), ip_aton("198.51.100.7")


def touch_view(view: Any) -> None:
    """Read every property of a checked view: none may raise."""
    for name in dir(type(view)):
        if isinstance(getattr(type(view), name, None), property):
            v = getattr(view, name)
            if isinstance(v, memoryview):
                bytes(v)


def only_wire_error(fn: Callable[[], object]) -> bool:
    try:
        fn()
    except WireError:
        return False
    return True


CODECS: dict[str, tuple[Any, Callable[..., object]]] = {
    "ethernet": (EthernetPacket, EthernetRepr.parse),
    "arp": (ArpPacket, ArpRepr.parse),
    "ipv4": (Ipv4Packet, Ipv4Repr.parse),
    "icmp": (IcmpPacket, IcmpRepr.parse),
    "udp": (UdpPacket, lambda b, **kw: UdpRepr.parse(b, A, B, **kw)),
    "tcp": (TcpPacket, lambda b, **kw: TcpRepr.parse(b, A, B, **kw)),
}


def fuzz_one(codec: str, data: bytes) -> None:
    view_cls, parse = CODECS[codec]
    for buf in (data, bytearray(data), memoryview(data)):
        if only_wire_error(lambda: view_cls.new_checked(buf)):
            touch_view(view_cls.new_checked(buf))
        only_wire_error(lambda: parse(buf))
        only_wire_error(lambda: parse(buf, verify_checksum=False) if codec not in ("ethernet", "arp") else None)


@st.composite
def valid_packets(draw: st.DrawFn, codec: str) -> bytes:
    if codec == "ethernet":
        return draw(S.ethernet_reprs()).to_bytes(draw(S.payloads))
    if codec == "arp":
        return draw(S.arp_reprs()).to_bytes()
    if codec == "ipv4":
        r = draw(S.ipv4_reprs())
        return r.to_bytes(draw(st.binary(min_size=r.payload_len, max_size=r.payload_len)))
    if codec == "icmp":
        return draw(S.icmp_reprs()).to_bytes()
    if codec == "udp":
        return draw(S.udp_reprs()).to_bytes(draw(S.payloads), A, B)
    return draw(S.tcp_reprs()).to_bytes(draw(S.payloads), A, B)


@st.composite
def mangled(draw: st.DrawFn, codec: str) -> bytes:
    pkt = bytearray(draw(valid_packets(codec)))
    how = draw(st.sampled_from(["truncate", "overwrite", "extend", "overwrite+truncate"]))
    if "overwrite" in how and pkt:
        for _ in range(draw(st.integers(1, 3))):
            pkt[draw(st.integers(0, len(pkt) - 1))] = draw(S.u8)
    if "truncate" in how:
        pkt = pkt[:draw(st.integers(0, len(pkt)))]
    if how == "extend":
        pkt += draw(st.binary(min_size=1, max_size=16))
    return bytes(pkt)


@pytest.mark.parametrize("codec", sorted(CODECS))
@FUZZ
@given(data=st.data())
def test_fuzz_random_bytes(codec: str, data: st.DataObject) -> None:
    fuzz_one(codec, data.draw(st.binary(max_size=96)))


@pytest.mark.parametrize("codec", sorted(CODECS))
@FUZZ
@given(data=st.data())
def test_fuzz_mangled_packets(codec: str, data: st.DataObject) -> None:
    fuzz_one(codec, data.draw(mangled(codec)))


@FUZZ
@given(st.binary(max_size=44))
def test_fuzz_option_parsers(opts: bytes) -> None:
    only_wire_error(lambda: ipv4_options_parse(opts))
    only_wire_error(lambda: tcp_options_parse(opts))


# -- checksums catch every single-bit error ----------------------------------

def flip(data: bytes, bit: int) -> bytes:
    out = bytearray(data)
    out[bit // 8] ^= 1 << (bit % 8)
    return bytes(out)


@FUZZ
@given(S.ipv4_reprs(payload_len=0), st.data())
def test_ipv4_bit_flip_detected(r: Ipv4Repr, data: st.DataObject) -> None:
    raw = r.to_bytes()
    bad = flip(raw, data.draw(st.integers(0, 8 * len(raw) - 1)))
    with pytest.raises(WireError):
        Ipv4Repr.parse(bad)


@FUZZ
@given(S.icmp_reprs(), st.data())
def test_icmp_bit_flip_detected(r: IcmpRepr, data: st.DataObject) -> None:
    raw = r.to_bytes()
    with pytest.raises(WireError):
        IcmpRepr.parse(flip(raw, data.draw(st.integers(0, 8 * len(raw) - 1))))


@FUZZ
@given(S.udp_reprs(), S.payloads, st.data())
def test_udp_bit_flip_detected(r: UdpRepr, payload: bytes, data: st.DataObject) -> None:
    raw = r.to_bytes(payload, A, B)
    bad = flip(raw, data.draw(st.integers(0, 8 * len(raw) - 1)))
    assume(UdpPacket(bad).checksum != 0)  # a flip to checksum 0 means "no checksum" (RFC 768)
    with pytest.raises(WireError):
        UdpRepr.parse(bad, A, B)


@FUZZ
@given(S.tcp_reprs(), S.payloads, st.data())
def test_tcp_bit_flip_detected(r: TcpRepr, payload: bytes, data: st.DataObject) -> None:
    raw = r.to_bytes(payload, A, B)
    with pytest.raises(WireError):
        TcpRepr.parse(flip(raw, data.draw(st.integers(0, 8 * len(raw) - 1))), A, B)


def test_wrong_pseudo_header_detected() -> None:
    seg = TcpRepr(1, 2, 3, 0, TCPHDR_SYN, 100).to_bytes(b"", A, B)
    with pytest.raises(WireError, match="checksum"):
        TcpRepr.parse(seg, A, A)
    dgram = UdpRepr(1, 2).to_bytes(b"x", A, B)
    with pytest.raises(WireError, match="checksum"):
        UdpRepr.parse(dgram, B, A + 1)


# -- specific rejections -------------------------------------------------------

IP_HDR = Ipv4Repr(A, B, IPPROTO_UDP, 4).to_bytes(b"abcd")


def ip_with(**patch: int) -> bytes:
    raw = bytearray(IP_HDR)
    for off, v in ((0, patch.get("vihl")), (2, patch.get("total"))):
        if v is not None:
            if off == 0:
                raw[0] = v
            else:
                raw[2:4] = v.to_bytes(2, "big")
    p = Ipv4Packet(raw)
    p.fill_checksum() if (raw[0] & 15) * 4 <= len(raw) else None
    return bytes(raw)


@pytest.mark.parametrize(("raw", "why"), [
    (IP_HDR[:19], "header needs"),
    (ip_with(vihl=0x65), "version 6"),
    (ip_with(vihl=0x44), "IHL 4 < 5"),
    (ip_with(vihl=0x4F), "header length 60 > buffer"),
    (ip_with(total=19), "total length 19 < header"),
    (ip_with(total=25), "total length 25 > buffer"),
])
def test_ipv4_bad_lengths(raw: bytes, why: str) -> None:
    with pytest.raises(WireError, match=why):
        Ipv4Packet.new_checked(raw)
    with pytest.raises(WireError, match=why):
        Ipv4Repr.parse(raw)


def test_ipv4_bad_header_checksum() -> None:
    raw = bytearray(IP_HDR)
    raw[8] -= 1  # TTL decremented without fixing the checksum
    with pytest.raises(WireError, match="checksum"):
        Ipv4Repr.parse(bytes(raw))
    assert Ipv4Repr.parse(bytes(raw), verify_checksum=False).ttl == 63


def test_ipv4_padding_after_total_length_is_not_payload() -> None:
    pkt = Ipv4Packet.new_checked(IP_HDR + b"\0" * 22)
    assert bytes(pkt.payload) == b"abcd"


@pytest.mark.parametrize(("opts", "why"), [
    (b"\x01\x01\x01\x07", "no length"),
    (b"\x94\x01\x00\x00", "bad length 1"),
    (b"\x94\x00\x00\x00", "bad length 0"),
    (b"\x07\x0f\x04" + bytes(9), "bad length 15"),   # runs past the 12 option bytes
    (b"\x94\x03\x00\x00", "router alert: length 3"),
    (b"\x94\x06\x00\x00\x00\x00\x00\x00", "router alert: length 6"),
    (b"\x07\x07\x03\x00\x00\x00\x00\x00", "pointer 3 < 4"),
    (b"\x07\x07\x05\x00\x00\x00\x00\x00", "partial slot"),
    (b"\x07\x08\x04\x00\x00\x00\x00\x00", "not 3 \\+ 4n"),
    (b"\x83\x02", "length 2 < 3"),
    (b"\x44\x08\x04\x00\x00\x00\x00\x00", "pointer 4 < 5"),
    (b"\x44\x08\x09\xf0\x00\x00\x00\x00", "overflow counter is 15"),
    (b"\x44\x08\x05\x01\x00\x00\x00\x00", "partial entry"),
    (b"\x44\x03\x05\x00", "length 3 < 4"),
])
def test_ipv4_malformed_options(opts: bytes, why: str) -> None:
    padded = opts + bytes(-len(opts) % 4)
    with pytest.raises(WireError, match=why):
        ipv4_options_parse(padded)
    hdr = bytearray(Ipv4Repr(A, B, IPPROTO_UDP, 0).to_bytes())
    hdr[0] = 0x45 + len(padded) // 4
    hdr[2:4] = (20 + len(padded)).to_bytes(2, "big")
    raw = bytearray(hdr + padded)
    Ipv4Packet(raw).fill_checksum()
    with pytest.raises(WireError, match=why):
        Ipv4Repr.parse(bytes(raw))


def test_ipv4_timestamp_unknown_flag_passes() -> None:
    """ip_options_compile lets a received timestamp with an undefined flag through (4-byte entries)."""
    (ts,) = ipv4_options_parse(b"\x44\x08\x05\x02\x00\x00\x00\x00")
    assert isinstance(ts, Ipv4OptTimestamp) and (ts.pointer, ts.flag, ts.data) == (5, 2, bytes(4))
    assert ts.to_bytes() == b"\x44\x08\x05\x02\x00\x00\x00\x00"


def test_ipv4_options_after_eol_ignored() -> None:
    assert ipv4_options_parse(b"\x01\x00\xff\xff") == ipv4_options_parse(b"\x01\x00\x00\x00")


@pytest.mark.parametrize(("raw", "why"), [
    (b"\x00" * 7, "header needs 8"),
    (b"\x00\x01\x00\x02\x00\x07\x00\x00", "length field 7 < 8"),
    (b"\x00\x01\x00\x02\x00\x0a\x00\x00\x41", "length field 10 > buffer 9"),
])
def test_udp_bad_lengths(raw: bytes, why: str) -> None:
    with pytest.raises(WireError, match=why.split(" <")[0].split(" >")[0]):
        UdpPacket.new_checked(raw)
    with pytest.raises(WireError):
        UdpRepr.parse(raw, A, B)


def test_udp_zero_checksum_means_none_and_trailing_bytes_ignored() -> None:
    raw = bytes.fromhex("0001000200090000") + b"Z" + b"junk"
    assert UdpRepr.parse(raw, A, B) == UdpRepr(1, 2)
    assert bytes(UdpPacket.new_checked(raw).payload) == b"Z"


def test_udp_computed_zero_is_sent_as_ffff() -> None:
    # ports 0, length 10, addresses 0: the sum is 17 + 10 + 10 + w; w = 0xFFDA makes it 0xFFFF
    raw = UdpRepr(0, 0).to_bytes(b"\xff\xda", 0, 0)
    assert UdpPacket(raw).checksum == 0xFFFF
    assert UdpRepr.parse(raw, 0, 0) == UdpRepr(0, 0)


def tcp_raw(doff: int, opts: bytes = b"", payload: bytes = b"") -> bytes:
    hdr = bytearray(TcpRepr(1, 2, 3, 4, TCPHDR_SYN, 5).to_bytes(checksum=False))
    hdr[12] = doff << 4
    raw = bytearray(hdr + opts + payload)
    if 20 <= doff * 4 <= len(raw):
        TcpPacket(raw).fill_checksum(A, B)
    return bytes(raw)


@pytest.mark.parametrize(("raw", "why"), [
    (b"\0" * 19, "header needs 20"),
    (tcp_raw(4), "data offset 4 < 5"),
    (tcp_raw(6), "header length 24 > segment 20"),
    (tcp_raw(6, b"\x02\x01\x00\x00"), "bad length 1"),
    (tcp_raw(6, b"\x08\x0a\x00\x00"), "bad length 10"),
    (tcp_raw(6, b"\x01\x01\x01\x02"), "no length octet"),
])
def test_tcp_bad_lengths_and_options(raw: bytes, why: str) -> None:
    with pytest.raises(WireError, match=why):
        TcpRepr.parse(raw, A, B)


def test_tcp_known_kind_with_wrong_length_is_opaque() -> None:
    """Linux ignores an MSS option whose length is not 4; the codec keeps it opaque."""
    r = TcpRepr.parse(tcp_raw(6, b"\x02\x03\x05\x01"), A, B)
    assert r.mss is None and r.options[0].to_bytes() == b"\x02\x03\x05"


@pytest.mark.parametrize(("raw", "why"), [
    (b"\x08\x00\x00", "header needs 8"),
    (IcmpRepr(3, 3, 0, b"\x45" + b"\0" * 18).to_bytes(), "quoted datagram is 19 bytes"),
    (IcmpRepr(11, 0, 0, b"\x65" + b"\0" * 27).to_bytes(), "not an IPv4 header"),
    (IcmpRepr(12, 0, 0, b"\x46" + b"\0" * 21).to_bytes(), "not an IPv4 header"),
])
def test_icmp_malformed(raw: bytes, why: str) -> None:
    with pytest.raises(WireError, match=why):
        IcmpRepr.parse(raw)


def test_icmp_bad_checksum() -> None:
    raw = bytearray(IcmpRepr.echo_request(1, 1, b"data").to_bytes())
    raw[-1] ^= 0xFF
    with pytest.raises(WireError, match="checksum"):
        IcmpRepr.parse(bytes(raw))
    assert IcmpRepr.parse(bytes(raw), verify_checksum=False).data == b"dat\x9e"


def test_arp_malformed() -> None:
    good = ArpRepr(1, b"\x02" * 6, A, b"\0" * 6, B).to_bytes()
    with pytest.raises(WireError, match="needs 28"):
        ArpRepr.parse(good[:27])
    with pytest.raises(WireError, match="not Ethernet/IPv4"):
        ArpRepr.parse(good[:2] + b"\x86\xdd" + good[4:])
    with pytest.raises(WireError, match="addresses need 28"):
        ArpPacket.new_checked(good[:20])
    assert ArpPacket.new_checked(good[:4] + b"\x00\x00" + good[6:8]).header_len == 8


def test_ethernet_short() -> None:
    with pytest.raises(WireError, match="header needs 14"):
        EthernetPacket.new_checked(b"\0" * 13)
    with pytest.raises(WireError):
        EthernetRepr.parse(b"")
