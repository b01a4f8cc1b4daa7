"""Fixtures of the link-layer tests: hosts on one ManualClock, hand-built frames.

No ``__init__.py`` here (see tests/kernel/conftest.py); helpers are fixtures.
``tshark`` runs tshark on a capture file (checksum validation on) and lists
the frames it marks malformed or with an expert warning/error (skip the test
first when ``shutil.which("tshark")`` is None).  ``frames`` builds Ethernet/IPv4/UDP, ICMP echo and ARP frames with correct
checksums through kernel.net.wire; ``xmit(dev, frame)`` sends a raw frame out
of a device as AF_PACKET would (dev_queue_xmit of an skb holding the frame).
"""
from __future__ import annotations

import random
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from kernel.clock import ManualClock
from kernel.host import Host
from kernel.net.core.dev import NetDevice, PacketType, dev_add_pack, dev_queue_xmit
from kernel.net.core.skbuff import SkBuff, alloc_skb
from kernel.net.wire.arp import ArpRepr
from kernel.net.wire.ethernet import EthernetRepr
from kernel.net.wire.icmp import IcmpRepr
from kernel.net.wire.ipv4 import Ipv4Repr, ip_aton
from kernel.net.wire.udp import UdpRepr

ETH_P_IP = 0x0800
ETH_P_ARP = 0x0806
ETH_P_TEST = 0x88B5  # IEEE 802 local experimental ethertype: no protocol of the stack claims it
BCAST = b"\xff" * 6


class Frames:
    """Hand-built frames (real bytes, correct checksums)."""

    @staticmethod
    def udp(src_mac: bytes, dst_mac: bytes, src: str, dst: str, sport: int, dport: int, payload: bytes,
            ttl: int = 64, ident: int = 1) -> bytes:
        s, d = ip_aton(src), ip_aton(dst)
        udp = UdpRepr(sport, dport).to_bytes(payload, s, d)
        ip = Ipv4Repr(s, d, 17, len(udp), ttl=ttl, ident=ident, dont_frag=True).to_bytes(udp)
        return EthernetRepr(dst_mac, src_mac, ETH_P_IP).to_bytes(ip)

    @staticmethod
    def icmp_echo(src_mac: bytes, dst_mac: bytes, src: str, dst: str, ident: int, seq: int, data: bytes,
                  reply: bool = False) -> bytes:
        echo = IcmpRepr.echo_reply if reply else IcmpRepr.echo_request
        icmp = echo(ident, seq, data).to_bytes()
        ip = Ipv4Repr(ip_aton(src), ip_aton(dst), 1, len(icmp), ident=seq).to_bytes(icmp)
        return EthernetRepr(dst_mac, src_mac, ETH_P_IP).to_bytes(ip)

    @staticmethod
    def arp_request(src_mac: bytes, src: str, target: str) -> bytes:
        arp = ArpRepr(1, src_mac, ip_aton(src), bytes(6), ip_aton(target)).to_bytes()
        return EthernetRepr(BCAST, src_mac, ETH_P_ARP).to_bytes(arp)

    @staticmethod
    def raw(src_mac: bytes, dst_mac: bytes, payload: bytes, ethertype: int = ETH_P_TEST) -> bytes:
        return EthernetRepr(dst_mac, src_mac, ethertype).to_bytes(payload)


@pytest.fixture
def frames() -> type[Frames]:
    return Frames


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def hosts(clock: ManualClock) -> tuple[Host, Host]:
    return Host(clock=clock, name="a", rng=random.Random(1)), Host(clock=clock, name="b", rng=random.Random(2))


def xmit_frame(dev: NetDevice, frame: bytes) -> int:
    skb = alloc_skb(len(frame))
    skb.put_data(frame)
    skb.dev = dev
    return dev_queue_xmit(skb)


@pytest.fixture
def xmit() -> Any:
    return xmit_frame


class Receiver:
    """A dev_add_pack handler that records what reaches one ethertype of one device."""

    def __init__(self, dev: NetDevice, ethertype: int = ETH_P_TEST) -> None:
        self.got: list[SkBuff] = []
        assert dev.net is not None
        self.pt = PacketType(ethertype, self._rcv, dev=dev)
        dev_add_pack(dev.net, self.pt)

    def _rcv(self, skb: SkBuff, dev: NetDevice, pt: PacketType, orig_dev: NetDevice) -> int:
        self.got.append(skb)
        return 0

    def frames(self) -> list[bytes]:
        return [bytes(s.head[s.mac_header:s.tail]) for s in self.got]


@pytest.fixture
def receiver() -> type[Receiver]:
    return Receiver


class Tshark:
    """tshark as an independent decoder: fields per frame, and the frames it complains about."""

    CHECKSUMS = ["-o", "ip.check_checksum:TRUE", "-o", "udp.check_checksum:TRUE", "-o", "tcp.check_checksum:TRUE"]
    PI_WARN = 0x00600000  # epan/proto.h: PI_WARN; PI_ERROR is 0x00800000
    FIELDS = ["frame.number", "frame.interface_name", "frame.packet_flags_direction", "_ws.malformed",
              "_ws.expert.severity", "_ws.expert.message", "_ws.col.Protocol"]

    def fields(self, path: Path, extra: tuple[str, ...] = ()) -> list[dict[str, str]]:
        """One dict per frame: FIELDS (+ ``extra``) as tshark decodes them (checksums validated)."""
        exe = shutil.which("tshark")
        assert exe is not None
        names = [*self.FIELDS, *extra]
        cmd = [exe, "-n", "-r", str(path), *self.CHECKSUMS, "-T", "fields", "-E", "separator=\t",
               "-E", "occurrence=a", "-E", "aggregator=;"]
        for f in names:
            cmd += ["-e", f]
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=True)
        return [dict(zip(names, line.split("\t"), strict=True)) for line in out.stdout.splitlines() if line]

    def problems(self, rows: list[dict[str, str]]) -> list[str]:
        """Frames tshark marks malformed or with an expert item of warning severity or worse."""
        bad = []
        for r in rows:
            severities = [int(s) for s in r["_ws.expert.severity"].split(";") if s]
            if r["_ws.malformed"] or any(s >= self.PI_WARN for s in severities):
                bad.append(f"frame {r['frame.number']}: {r['_ws.expert.message']} {r['_ws.malformed']}")
        return bad


@pytest.fixture
def tshark() -> Tshark:
    return Tshark()
