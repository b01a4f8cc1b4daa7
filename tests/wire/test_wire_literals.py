"""Known-good packets as hex: parse -> Repr fields -> emit -> the same bytes.

The TCP, UDP and ICMP frames were captured from Linux on ``lo`` (AF_PACKET);
loopback leaves TCP/UDP checksums offload-partial, so those two fields were
replaced with the full checksums (recomputed by scapy).  The ARP request is
the usual QEMU user-net one, padded to 60 bytes.  The IPv4 headers with
options are a ``ping -R`` echo (NOP + Record Route, one hop recorded) and an
IGMPv2 report with Router Alert.
"""
from __future__ import annotations

import pytest

from kernel.net.wire import WireError
from kernel.net.wire.arp import ARPOP_REQUEST, ArpPacket, ArpRepr
from kernel.net.wire.ethernet import BROADCAST_MAC, ETH_P_ARP, ETH_P_IP, EthernetPacket, EthernetRepr, mac_aton
from kernel.net.wire.icmp import (
    ICMP_DEST_UNREACH,
    ICMP_ECHO,
    ICMP_ECHOREPLY,
    ICMP_PORT_UNREACH,
    IcmpPacket,
    IcmpRepr,
)
from kernel.net.wire.ipv4 import (
    IPPROTO_ICMP,
    IPPROTO_IGMP,
    IPPROTO_TCP,
    IPPROTO_UDP,
    Ipv4OptNop,
    Ipv4OptRecordRoute,
    Ipv4OptRouterAlert,
    Ipv4Packet,
    Ipv4Repr,
    ip_aton,
)
from kernel.net.wire.tcp import (
    TCPHDR_ACK,
    TCPHDR_PSH,
    TCPHDR_SYN,
    TcpOptMss,
    TcpOptNop,
    TcpOptSackPermitted,
    TcpOptTimestamp,
    TcpOptWindowScale,
    TcpPacket,
    TcpRepr,
    tcp_build_options,
)
from kernel.net.wire.udp import UdpPacket, UdpRepr

LO = ip_aton("127.0.0.1")
ZERO6 = bytes(6)

# Linux SYN to 127.0.0.1 (mss 65495, sackOK, TS, nop, wscale 10)
TCP_SYN = bytes.fromhex(
    "00000000000000000000000008004500003c1a164000400622a47f0000017f000001"
    "b8a4d0552891397300000000a002ffd7dbde00000204ffd70402080aa9f5df2b000000000103030a")
# Linux data segment "hello" (PSH|ACK, nop nop TS)
TCP_DATA = bytes.fromhex(
    "0000000000000000000000000800450000391a184000400622a57f0000017f000001"
    "b8a4d0552891397497c909b480180040632200000101080aa9f5df2b9fe31bf768656c6c6f")
UDP_DGRAM = bytes.fromhex(
    "0000000000000000000000000800450000211b454000401121857f0000017f000001cf430009000d32b470696e6721")
ICMP_PORT_UNREACH_FRAME = bytes.fromhex(
    "000000000000000000000000080045c0003d6b0a0000400110f47f0000017f00000103032fb100000000"
    "450000211b454000401121857f0000017f000001cf430009000dfe2070696e6721")
ICMP_ECHO_FRAME = bytes.fromhex(
    "00000000000000000000000008004500001c6b0b40004001d1d37f0000017f0000010800f7fe00010000")
ICMP_REPLY_FRAME = bytes.fromhex(
    "00000000000000000000000008004500001c6b0c0000400111d37f0000017f0000010000fffe00010000")
ARP_REQUEST = bytes.fromhex(
    "ffffffffffff5254001234560806"  # Ethernet: broadcast <- 52:54:00:12:34:56, ARP
    "0001080006040001525400123456"  # htype 1, ptype IPv4, 6, 4, request, sender MAC
    "0a00020f0000000000000a000202"  # 10.0.2.15, target MAC unknown, 10.0.2.2
    + "00" * 18)
IP_PING_RR = bytes.fromhex(
    "4f00004c1c4640004001a74dc0a8010ac0a8010101072708c0a8010a0000000000000000000000000000000000000000"
    "00000000000000000000000008005435123400016162636465666768")
IP_IGMP_RA = bytes.fromhex("46c00020000140000102f9160a000005e00000fb940400001600fa04e00000fb")


def split_ip(frame: bytes) -> tuple[EthernetRepr, Ipv4Repr, memoryview]:
    eth = EthernetPacket.new_checked(frame)
    erepr = EthernetRepr.parse(eth)
    assert erepr.ethertype == ETH_P_IP
    ip = Ipv4Packet.new_checked(eth.payload)
    return erepr, Ipv4Repr.parse(ip), ip.payload


def test_tcp_syn_round_trip() -> None:
    eth, ip, seg = split_ip(TCP_SYN)
    assert eth == EthernetRepr(ZERO6, ZERO6, ETH_P_IP)
    assert ip == Ipv4Repr(LO, LO, IPPROTO_TCP, 40, ttl=64, ident=0x1A16, dont_frag=True)
    tcp = TcpRepr.parse(TcpPacket.new_checked(seg), LO, LO)
    assert (tcp.src_port, tcp.dst_port, tcp.seq, tcp.ack) == (47268, 53333, 0x28913973, 0)
    assert tcp.flags == TCPHDR_SYN and tcp.window == 65495 and tcp.urgent == 0
    assert tcp.options == (TcpOptMss(65495), TcpOptSackPermitted(), TcpOptTimestamp(0xA9F5DF2B, 0),
                           TcpOptNop(), TcpOptWindowScale(10))
    assert (tcp.mss, tcp.sack_permitted, tcp.timestamp, tcp.window_scale) == (65495, True, (0xA9F5DF2B, 0), 10)
    # Linux's own layout is what tcp_build_options gives
    assert tcp.options == tcp_build_options(mss=65495, sack_permitted=True, timestamp=(0xA9F5DF2B, 0),
                                            window_scale=10)
    out = eth.to_bytes(ip.to_bytes(tcp.to_bytes(b"", LO, LO)))
    assert out == TCP_SYN


def test_tcp_data_round_trip() -> None:
    eth, ip, seg = split_ip(TCP_DATA)
    pkt = TcpPacket.new_checked(seg)
    tcp = TcpRepr.parse(pkt, LO, LO)
    assert tcp.flags == TCPHDR_PSH | TCPHDR_ACK and tcp.timestamp == (0xA9F5DF2B, 0x9FE31BF7)
    assert bytes(pkt.payload) == b"hello" and pkt.seg_len == 5
    assert eth.to_bytes(ip.to_bytes(tcp.to_bytes(pkt.payload, LO, LO))) == TCP_DATA


def test_udp_round_trip() -> None:
    eth, ip, dgram = split_ip(UDP_DGRAM)
    assert ip.protocol == IPPROTO_UDP
    pkt = UdpPacket.new_checked(dgram)
    udp = UdpRepr.parse(pkt, LO, LO)
    assert udp == UdpRepr(0xCF43, 9) and pkt.length == 13 and bytes(pkt.payload) == b"ping!"
    assert pkt.verify_checksum(LO, LO)
    assert eth.to_bytes(ip.to_bytes(udp.to_bytes(pkt.payload, LO, LO))) == UDP_DGRAM


def test_udp_offload_partial_checksum_rejected() -> None:
    """The raw loopback capture carries the partial (pseudo-header) sum: not a valid checksum."""
    raw = bytes.fromhex("cf430009000dfe2070696e6721")
    with pytest.raises(WireError, match="checksum"):
        UdpRepr.parse(raw, LO, LO)
    assert UdpRepr.parse(raw, LO, LO, verify_checksum=False) == UdpRepr(0xCF43, 9)


def test_icmp_port_unreachable_round_trip() -> None:
    eth, ip, msg = split_ip(ICMP_PORT_UNREACH_FRAME)
    assert ip.tos == 0xC0 and ip.dscp == 48 and ip.ecn == 0 and ip.protocol == IPPROTO_ICMP
    icmp = IcmpRepr.parse(IcmpPacket.new_checked(msg))
    assert (icmp.type, icmp.code, icmp.is_error) == (ICMP_DEST_UNREACH, ICMP_PORT_UNREACH, True)
    # the quote: the offending IP header + 8 bytes (Linux quotes all of this small datagram)
    quoted = Ipv4Packet(icmp.data)
    assert quoted.protocol == IPPROTO_UDP and bytes(quoted.payload)[:8] == bytes.fromhex("cf430009000dfe20")
    assert icmp == IcmpRepr.dest_unreachable(ICMP_PORT_UNREACH, icmp.data)
    assert eth.to_bytes(ip.to_bytes(icmp.to_bytes())) == ICMP_PORT_UNREACH_FRAME


@pytest.mark.parametrize(("frame", "kind"), [(ICMP_ECHO_FRAME, ICMP_ECHO), (ICMP_REPLY_FRAME, ICMP_ECHOREPLY)])
def test_icmp_echo_round_trip(frame: bytes, kind: int) -> None:
    eth, ip, msg = split_ip(frame)
    icmp = IcmpRepr.parse(msg)
    assert (icmp.type, icmp.ident, icmp.seq, icmp.data) == (kind, 1, 0, b"")
    assert eth.to_bytes(ip.to_bytes(icmp.to_bytes())) == frame


def test_arp_request_round_trip() -> None:
    eth = EthernetPacket.new_checked(ARP_REQUEST)
    erepr = EthernetRepr.parse(eth)
    assert erepr == EthernetRepr(BROADCAST_MAC, mac_aton("52:54:00:12:34:56"), ETH_P_ARP)
    pkt = ArpPacket.new_checked(eth.payload)
    assert (pkt.hardware_type, pkt.protocol_type, pkt.hardware_len, pkt.protocol_len) == (1, 0x0800, 6, 4)
    arp = ArpRepr.parse(pkt)
    assert arp == ArpRepr(ARPOP_REQUEST, mac_aton("52:54:00:12:34:56"), ip_aton("10.0.2.15"), ZERO6,
                          ip_aton("10.0.2.2"))
    assert len(pkt.payload) == 18  # padding to ETH_ZLEN
    assert erepr.to_bytes(arp.to_bytes(pkt.payload)) == ARP_REQUEST


def test_ipv4_record_route_round_trip() -> None:
    pkt = Ipv4Packet.new_checked(IP_PING_RR)
    assert pkt.header_len == 60 and pkt.verify_checksum()
    ip = Ipv4Repr.parse(pkt)
    assert ip.options == (Ipv4OptNop(), Ipv4OptRecordRoute(8, (ip_aton("192.168.1.10"),) + (0,) * 8))
    assert (ip.src, ip.dst, ip.ident, ip.dont_frag, ip.payload_len) == (
        ip_aton("192.168.1.10"), ip_aton("192.168.1.1"), 0x1C46, True, 16)
    icmp = IcmpRepr.parse(pkt.payload)
    assert (icmp.type, icmp.ident, icmp.seq, icmp.data) == (ICMP_ECHO, 0x1234, 1, b"abcdefgh")
    assert ip.to_bytes(icmp.to_bytes()) == IP_PING_RR


def test_ipv4_router_alert_round_trip() -> None:
    ip = Ipv4Repr.parse(IP_IGMP_RA)
    assert ip.options == (Ipv4OptRouterAlert(0),)
    assert (ip.protocol, ip.ttl, ip.tos, ip.header_len()) == (IPPROTO_IGMP, 1, 0xC0, 24)
    assert ip.to_bytes(IP_IGMP_RA[24:]) == IP_IGMP_RA
