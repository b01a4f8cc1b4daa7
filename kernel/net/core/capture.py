"""Live packet capture on NICs: taps, ``Capture`` objects and their sinks.

A tap is an ETH_P_ALL ``PacketType`` bound to one device (``dev_add_pack``),
so it sees every frame the device receives (from __netif_receive_skb) and
every frame it transmits (dev_queue_xmit_nit, as the frame leaves the qdisc)
-- each exactly once per direction.  On a loopback device the outgoing copy
is skipped, because the same frame comes straight back as an incoming one
(libpcap does the same on Linux's ``lo``).  Frames the device never sends
(no carrier, device down) or never takes in are not seen, as with tcpdump.

``tap_attach(dev, fn) -> Tap`` calls ``fn(CapturedFrame)`` for each frame
(``Tap.detach()`` ends it).  ``CapturedFrame``: ``ts`` (the device's
``net.clock.now()``), ``dev``, ``outgoing``, ``pkt_type``, ``data`` (the
whole link-layer frame).

``start_capture(devs, sink=None, fmt="pcap"|"pcapng", snaplen=262144,
ts_offset=0.0) -> Capture`` writes a capture of one NIC or several (a
pcapng capture has one IDB per NIC, with its name (if_name) and its host
(if_description "HOST/NAME ifindex N"), and marks each packet
inbound/outbound in epb_flags; a pcap capture has no direction).  The sink is

- ``None``: kept in memory, read with ``capture.getvalue()``;
- a path (``str`` / ``os.PathLike``): a file created now, flushed after every
  frame (tshark can follow it), closed by ``stop()``;
- a binary file-like object (has ``write``): written to, never closed here;
- a callable ``fn(chunk: bytes)``: the byte stream in chunks -- first the
  file header (pcap global header, or SHB + IDBs), then one chunk per frame.
  Concatenated, the chunks are a valid capture file at every point.

Streaming over the admin API (the gRPC server runs the kernel on its loop, so
the callback runs on that loop too)::

    queue: asyncio.Queue[bytes] = asyncio.Queue()
    cap = start_capture(dev, queue.put_nowait, fmt="pcapng",
                        ts_offset=time.time() - loop.time())   # wall-clock stamps
    try:
        while True:
            yield CaptureChunk(data=await queue.get())
    finally:
        cap.stop()

``ts_offset`` is added to every timestamp: the kernel's clock is monotonic
(a ManualClock starts at 1000.0), so a daemon passes the wall-clock offset.
``Capture.packets`` / ``Capture.bytes`` count captured frames and their
original bytes; ``Capture.stop()`` detaches the taps (idempotent).
"""
from __future__ import annotations

import io
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import IO, Any

from kernel.net.core.dev import ETH_P_ALL, IFF_LOOPBACK, NetDevice, PacketType, dev_add_pack, dev_remove_pack
from kernel.net.core.pcap import (
    DEFAULT_SNAPLEN,
    LINKTYPE_ETHERNET,
    epb_flags,
    pcap_file_header,
    pcap_record,
    pcapng_epb,
    pcapng_idb,
    pcapng_shb,
)
from kernel.net.core.skbuff import PACKET_OUTGOING, SkBuff


@dataclass(frozen=True, slots=True)
class CapturedFrame:
    """One frame a tap saw: when, on which device, which way, and its link-layer bytes."""

    ts: float
    dev: NetDevice
    outgoing: bool
    pkt_type: int
    data: bytes


class Tap:
    """An ETH_P_ALL packet_type on one device, calling ``fn`` with each frame."""

    def __init__(self, dev: NetDevice, fn: Callable[[CapturedFrame], None]) -> None:
        if dev.net is None:
            raise ValueError(f"{dev.name}: not registered")
        self.dev = dev
        self.fn = fn
        self.pt = PacketType(ETH_P_ALL, self._rcv, dev=dev, outgoing=True)
        dev_add_pack(dev.net, self.pt)

    @property
    def attached(self) -> bool:
        """Still on the device's namespace tap list (unregistering the device removes it too)."""
        return self.dev.net is not None and self.pt in self.dev.net.ptype_all

    def _rcv(self, skb: SkBuff, dev: NetDevice, pt: PacketType, orig_dev: NetDevice) -> int:
        outgoing = skb.pkt_type == PACKET_OUTGOING
        if outgoing and dev.flags & IFF_LOOPBACK:
            return 0  # it comes back as an incoming frame: capture it once, there
        start = skb.mac_header if skb.mac_header >= 0 else skb.doff
        data = bytes(skb.head[start:skb.tail])
        assert dev.net is not None
        self.fn(CapturedFrame(dev.net.clock.now(), dev, outgoing, skb.pkt_type, data))
        return 0

    def detach(self) -> None:
        if self.dev.net is not None:
            dev_remove_pack(self.dev.net, self.pt)


def tap_attach(dev: NetDevice, fn: Callable[[CapturedFrame], None]) -> Tap:
    """Call ``fn(frame)`` for every frame ``dev`` receives or transmits, until ``detach()``."""
    return Tap(dev, fn)


Sink = None | str | os.PathLike[str] | IO[bytes] | Callable[[bytes], Any]


def _describe(dev: NetDevice) -> str:
    """if_description: which host the NIC belongs to (NICs of several hosts can share a name)."""
    host = getattr(dev.net, "host", None)
    return f"{getattr(host, 'name', '?')}/{dev.name} ifindex {dev.ifindex}"


class Capture:
    """A running capture of one or more NICs into one pcap / pcapng stream."""

    def __init__(self, devs: Iterable[NetDevice], sink: Sink = None, fmt: str = "pcap",
                 snaplen: int = DEFAULT_SNAPLEN, ts_offset: float = 0.0) -> None:
        if fmt not in ("pcap", "pcapng"):
            raise ValueError(f"capture format {fmt!r}: pcap or pcapng")
        if snaplen <= 0:
            raise ValueError("snaplen must be positive")
        unique: list[NetDevice] = []
        for dev in devs:
            if dev not in unique:
                unique.append(dev)
        if not unique:
            raise ValueError("capture of no device")
        self.devs = unique
        self.fmt = fmt
        self.snaplen = snaplen
        self.ts_offset = ts_offset
        self.packets = 0
        self.bytes = 0
        self._if_id = {dev: i for i, dev in enumerate(unique)}
        self._memory: io.BytesIO | None = None
        self._file: IO[bytes] | None = None
        self._owned = False
        self._emit: Callable[[bytes], Any]
        if sink is None:
            self._memory = io.BytesIO()
            self._emit = self._memory.write
        elif isinstance(sink, str | os.PathLike):
            self._file = open(sink, "wb")  # noqa: SIM115  (closed by stop())
            self._owned = True
            self._emit = self._write_flush
        elif hasattr(sink, "write"):
            self._file = sink  # type: ignore[assignment]
            self._emit = self._write_flush
        elif callable(sink):
            self._emit = sink
        else:
            raise TypeError(f"capture sink {sink!r}")
        self._emit(self._file_header())
        self._taps = [tap_attach(dev, self._on_frame) for dev in unique]

    def _write_flush(self, chunk: bytes) -> None:
        assert self._file is not None
        self._file.write(chunk)
        self._file.flush()

    def _file_header(self) -> bytes:
        if self.fmt == "pcap":
            return pcap_file_header(self.snaplen, LINKTYPE_ETHERNET)
        return pcapng_shb() + b"".join(
            pcapng_idb(LINKTYPE_ETHERNET, self.snaplen, dev.name, _describe(dev)) for dev in self.devs)

    def _on_frame(self, frame: CapturedFrame) -> None:
        data = frame.data[:self.snaplen]
        ts = frame.ts + self.ts_offset
        if self.fmt == "pcap":
            record = pcap_record(ts, data, len(frame.data))
        else:
            record = pcapng_epb(self._if_id[frame.dev], ts, data, len(frame.data),
                                epb_flags(frame.outgoing, frame.pkt_type))
        self.packets += 1
        self.bytes += len(frame.data)
        self._emit(record)

    @property
    def active(self) -> bool:
        return any(t.attached for t in self._taps)

    def stop(self) -> None:
        """Detach from every NIC; close the file if the capture opened it."""
        for tap in self._taps:
            tap.detach()
        if self._owned and self._file is not None:
            self._file.close()
            self._owned = False

    def getvalue(self) -> bytes:
        """The capture so far (in-memory sink only)."""
        if self._memory is None:
            raise ValueError("not an in-memory capture")
        return self._memory.getvalue()


def start_capture(devs: NetDevice | Iterable[NetDevice], sink: Sink = None, fmt: str = "pcap",
                  snaplen: int = DEFAULT_SNAPLEN, ts_offset: float = 0.0) -> Capture:
    """Capture one NIC (or several into one file) from now until ``stop()``."""
    if isinstance(devs, NetDevice):
        devs = [devs]
    return Capture(devs, sink, fmt, snaplen, ts_offset)
