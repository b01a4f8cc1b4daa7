"""A sniffer wrapped around any NIC (gVisor's link/sniffer): every frame, both directions, to its sinks.

``sniffer_attach(dev, *sinks, keep=False) -> Sniffer``: each frame ``dev``
transmits or receives (exactly once per direction; see
kernel.net.core.capture for the tap rules) is given as a ``CapturedFrame``
to each sink, a callable.  With ``keep=True`` the sniffer also keeps them in
``frames`` (tests read them; ``clear()`` empties the list).  ``summary(frame)``
is a one-line decode (Ethernet, ARP, IPv4, ICMP, UDP, TCP) for logs and
failure messages, e.g. ``"eth0 out 10.0.0.1:5000 > 10.0.0.2:53 udp len 12"``.
``add_sink`` / ``remove_sink`` change the sinks of a running sniffer;
``start_pcap(sink, fmt)`` starts a pcap/pcapng ``Capture`` of the same NIC
(it is stopped with the sniffer).  ``detach()`` ends it all.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kernel.net.core.capture import Capture, CapturedFrame, Sink, start_capture, tap_attach
from kernel.net.core.dev import ETH_P_ARP, ETH_P_IP, NetDevice
from kernel.net.core.pcap import DEFAULT_SNAPLEN
from kernel.net.wire import WireError
from kernel.net.wire.ethernet import EthernetRepr, mac_ntoa
from kernel.net.wire.ipv4 import Ipv4Packet, ip_ntoa

FrameSink = Callable[[CapturedFrame], Any]

_PROTO_NAMES = {1: "icmp", 6: "tcp", 17: "udp"}


def summary(frame: CapturedFrame) -> str:
    """One line about a frame (never raises: a malformed frame says so)."""
    where = f"{frame.dev.name} {'out' if frame.outgoing else 'in'}"
    try:
        eth = EthernetRepr.parse(frame.data)
        payload = memoryview(frame.data)[14:]
        if eth.ethertype == ETH_P_IP:
            ip = Ipv4Packet.new_checked(payload)
            proto = _PROTO_NAMES.get(ip.protocol, f"proto {ip.protocol}")
            l4 = ip.payload
            src, dst = ip_ntoa(ip.src), ip_ntoa(ip.dst)
            if ip.protocol in (6, 17) and len(l4) >= 4 and ip.frag_offset == 0:
                sport, dport = int.from_bytes(l4[0:2], "big"), int.from_bytes(l4[2:4], "big")
                return f"{where} {src}:{sport} > {dst}:{dport} {proto} len {len(l4)}"
            if ip.protocol == 1 and len(l4) >= 2:
                return f"{where} {src} > {dst} icmp type {l4[0]} code {l4[1]} ttl {ip.ttl}"
            return f"{where} {src} > {dst} {proto} len {len(l4)}"
        if eth.ethertype == ETH_P_ARP and len(payload) >= 28:
            op = int.from_bytes(payload[6:8], "big")
            spa, tpa = ip_ntoa(int.from_bytes(payload[14:18], "big")), ip_ntoa(int.from_bytes(payload[24:28], "big"))
            what = {1: f"who-has {tpa} tell {spa}", 2: f"{spa} is-at {mac_ntoa(payload[8:14])}"}.get(op, f"op {op}")
            return f"{where} arp {what}"
        return f"{where} {mac_ntoa(eth.src)} > {mac_ntoa(eth.dst)} ethertype {eth.ethertype:#06x} len {len(frame.data)}"
    except (WireError, ValueError) as e:
        return f"{where} malformed ({e}) len {len(frame.data)}"


class Sniffer:
    """Frames of one NIC, both directions, fanned out to sinks."""

    def __init__(self, dev: NetDevice, *sinks: FrameSink, keep: bool = False) -> None:
        self.dev = dev
        self.sinks: list[FrameSink] = list(sinks)
        self.keep = keep
        self.frames: list[CapturedFrame] = []
        self.captures: list[Capture] = []
        self._tap = tap_attach(dev, self._on_frame)

    def _on_frame(self, frame: CapturedFrame) -> None:
        if self.keep:
            self.frames.append(frame)
        for sink in list(self.sinks):
            sink(frame)

    def add_sink(self, sink: FrameSink) -> None:
        self.sinks.append(sink)

    def remove_sink(self, sink: FrameSink) -> None:
        if sink in self.sinks:
            self.sinks.remove(sink)

    def start_pcap(self, sink: Sink = None, fmt: str = "pcap", snaplen: int = DEFAULT_SNAPLEN,
                   ts_offset: float = 0.0) -> Capture:
        cap = start_capture(self.dev, sink, fmt, snaplen, ts_offset)
        self.captures.append(cap)
        return cap

    def clear(self) -> None:
        self.frames.clear()

    def log(self) -> list[str]:
        """summary() of every kept frame."""
        return [summary(f) for f in self.frames]

    @property
    def attached(self) -> bool:
        return self._tap.attached

    def detach(self) -> None:
        self._tap.detach()
        for cap in self.captures:
            cap.stop()


def sniffer_attach(dev: NetDevice, *sinks: FrameSink, keep: bool = False) -> Sniffer:
    """Wrap ``dev``: every frame it sends or receives goes to ``sinks`` (and ``frames`` with keep=True)."""
    return Sniffer(dev, *sinks, keep=keep)
