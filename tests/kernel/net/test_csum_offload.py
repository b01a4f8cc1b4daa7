"""Checksum offload (CHECKSUM_PARTIAL) as Linux's virtual devices do it, and where it must end.

A TCP segment leaves its socket CHECKSUM_PARTIAL; lo and veth (hw_csum) carry it so and the receiver
trusts it; everything observable -- a capture, a device without hw_csum, netem's corruption -- sees
the real checksum (kernel/net/core/skbuff.py's docstring).
"""
from __future__ import annotations

import io
import random
from collections.abc import Callable
from typing import Any

from scapy.layers.inet import TCP
from scapy.layers.l2 import ARP, Ether
from scapy.utils import PcapReader

from bench.udp import _sockaddr_in, run_now
from kernel.clock import ManualClock
from kernel.drivers.net.channel import channel_dev
from kernel.drivers.net.veth import veth_pair
from kernel.host import Host
from kernel.net import socket as net
from kernel.net.core.capture import start_capture
from kernel.net.core.dev import NetDevice
from kernel.net.core.skbuff import CHECKSUM_NONE, CHECKSUM_PARTIAL, skb_checksum_help
from kernel.net.ipv4.devinet import inet_insert_ifa
from kernel.net.ipv4.tcp.segment import ACK, PSH, TcpSegment
from kernel.net.ipv4.tcp.tcp_sock import tcp_build_skb
from kernel.net.uaccess import MsgHdr
from kernel.net.wire.ipv4 import ip_aton
from kernel.net.wire.tcp import TcpPacket
from kernel.uapi import AF_INET, MSG_DONTWAIT, SOCK_NONBLOCK, SOCK_STREAM

A, B = ip_aton("10.0.0.1"), ip_aton("10.0.0.2")


class Pair:
    """Two hosts joined on their eth0 (a veth pair, or what ``link(a, b)`` returns: the two NICs),
    a connected TCP pair A -> B."""

    def __init__(self, link: Callable[[Host, Host], tuple[NetDevice, NetDevice]] | None = None) -> None:
        self.clock = ManualClock()
        self.a = Host(clock=self.clock, name="a", rng=random.Random(1))
        self.b = Host(clock=self.clock, name="b", rng=random.Random(2))
        if link is None:
            self.da, self.db = veth_pair(self.a.netns, "eth0", self.b.netns, "eth0")
        else:
            self.da, self.db = link(self.a, self.b)
        assert inet_insert_ifa(self.a.netns, self.da, A, 24, broadcast=-1) == 0
        assert inet_insert_ifa(self.b.netns, self.db, B, 24, broadcast=-1) == 0
        self.pa, self.pb = self.a.spawn(), self.b.spawn()
        lfd = run_now(net.sys_socket(self.pb, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0))
        assert run_now(net.sys_bind(self.pb, lfd, _sockaddr_in("10.0.0.2", 5001))) == 0
        assert run_now(net.sys_listen(self.pb, lfd, 4)) == 0
        self.fa = run_now(net.sys_socket(self.pa, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0))
        run_now(net.sys_connect(self.pa, self.fa, _sockaddr_in("10.0.0.2", 5001)))
        self.fb = -1
        for _ in range(50):
            self.fb = run_now(net.sys_accept4(self.pb, lfd, None, 0))
            if self.fb >= 0:
                break
            self.clock.advance(0.01)
        assert self.fb >= 0

    def send(self, data: bytes) -> int:
        return run_now(net.sys_sendto(self.pa, self.fa, data, MSG_DONTWAIT, None))

    def recv(self) -> bytes:
        msg = MsgHdr(iovlen=1 << 20, namelen=0)
        k = run_now(net.sys_recvfrom(self.pb, self.fb, msg, MSG_DONTWAIT))
        return bytes(msg.data) if k > 0 else b""


def _tcp_checksums_ok(pcap: bytes) -> tuple[int, int]:
    good = bad = 0
    for pkt in PcapReader(io.BytesIO(pcap)):
        if TCP not in pkt:
            continue
        frame = Ether(bytes(pkt))
        sent = frame[TCP].chksum
        del frame[TCP].chksum
        if Ether(bytes(frame))[TCP].chksum == sent:
            good += 1
        else:
            bad += 1
    return good, bad


def test_partial_skb_gets_the_real_checksum_once_helped() -> None:
    seg = TcpSegment(sport=1000, dport=2000, seq=7, ack=9, flags=ACK | PSH, window=512, payload=b"hello" * 301)
    skb = tcp_build_skb(seg, A, B)
    assert skb.ip_summed == CHECKSUM_PARTIAL
    assert not TcpPacket(bytes(skb.view())).verify_checksum(A, B)  # the field holds the pseudo-header sum
    clone = skb.clone()
    skb_checksum_help(clone)
    assert clone.ip_summed == CHECKSUM_NONE and TcpPacket(bytes(clone.view())).verify_checksum(A, B)
    skb_checksum_help(skb)  # the shared bytes are already complete: the same value again
    assert TcpPacket(bytes(skb.view())).verify_checksum(A, B)


def test_veth_capture_shows_real_checksums_and_data_arrives() -> None:
    p = Pair()
    cap = start_capture(p.db)
    data = random.Random(3).randbytes(200_000)
    sent = 0
    got = bytearray()
    for _ in range(2000):
        if sent < len(data):
            sent += max(0, p.send(data[sent:]))
        got += p.recv()
        if len(got) >= len(data):
            break
        p.clock.advance(0.01)
    cap.stop()
    assert bytes(got) == data
    good, bad = _tcp_checksums_ok(cap.getvalue())
    assert good >= 5 and bad == 0


def test_device_without_hw_csum_transmits_real_checksums() -> None:
    clock = ManualClock()
    h = Host(clock=clock, name="h", rng=random.Random(4))
    ch = channel_dev(h.netns, "ch0")
    assert inet_insert_ifa(h.netns, ch, A, 24, broadcast=-1) == 0
    proc = h.spawn()
    fd = run_now(net.sys_socket(proc, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0))
    run_now(net.sys_connect(proc, fd, _sockaddr_in("10.0.0.2", 80)))
    frames = ch.drain()
    arp = next(f for f in frames if f[12:14] == b"\x08\x06")
    mac = Ether(arp).src
    ch.inject(bytes(Ether(dst=mac, src="02:00:00:00:00:02")
                    / ARP(op=2, hwsrc="02:00:00:00:00:02", psrc="10.0.0.2", hwdst=mac, pdst="10.0.0.1")))
    syns = [f for f in ch.drain() if f[12:14] == b"\x08\x00" and f[23] == 6]
    assert syns
    for f in syns:
        ihl = (f[14] & 0xF) * 4
        assert TcpPacket(f[14 + ihl:]).verify_checksum(A, B)


def test_netem_corruption_is_detected_by_the_receiver() -> None:
    from kernel.net.sched.sch_generic import qdisc_attach
    from kernel.net.sched.sch_netem import NetemParams, NetemQdisc

    p = Pair()
    qdisc_attach(p.da, NetemQdisc(p.clock, random.Random(5), NetemParams(corrupt=1.0), limit=1000))
    before = _mib(p.b, "Tcp", "InCsumErrors")
    assert p.send(b"x" * 1000) == 1000
    p.clock.advance(0.01)
    assert p.recv() == b""  # the flipped bit (seed 5: in the payload) is caught, nothing is delivered
    assert _mib(p.b, "Tcp", "InCsumErrors") == before + 1


def _mib(h: Host, table: str, name: str) -> int:
    mib: Any = h.netns.mib
    return int(mib[table][name])
