"""The segment the sans-IO core takes and gives: ``TcpSegment`` (RFC 9293 3.1, RFC 7323, RFC 2018).

The core never sees bytes on the wire: ``TcpSegment`` carries the header
fields it needs with the options decoded (``mss``, ``wscale``,
``sack_perm``, ``sack`` blocks, ``ts`` = (TSval, TSecr)) and the payload.
``window`` is the raw 16-bit field (the core applies the scale).  Sequence
numbers are 32-bit and wrap; compare them with :func:`before` / :func:`after`
(RFC 9293 3.4, Linux's before()/after()).

``seg_from_repr`` builds one from a parsed wire header; ``seg_to_bytes``
emits header + payload with the checksum over the IPv4 pseudo-header
(options laid out as Linux's tcp_options_write does).  ``seg_len`` counts
SYN and FIN as one sequence number each.
"""
from __future__ import annotations

from dataclasses import dataclass

from kernel.net.wire.tcp import (
    TCPHDR_ACK,
    TCPHDR_FIN,
    TCPHDR_PSH,
    TCPHDR_RST,
    TCPHDR_SYN,
    TCPHDR_URG,
    TcpRepr,
    tcp_build_options,
)

__all__ = [
    "FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR",
    "TcpSegment", "after", "before", "between", "seg_from_repr", "seg_to_bytes", "seq_add", "seq_sub",
]

FIN = TCPHDR_FIN
SYN = TCPHDR_SYN
RST = TCPHDR_RST
PSH = TCPHDR_PSH
ACK = TCPHDR_ACK
URG = TCPHDR_URG
ECE = 0x40
CWR = 0x80

_M = 0xFFFFFFFF


def seq_add(a: int, b: int) -> int:
    return (a + b) & _M


def seq_sub(a: int, b: int) -> int:
    """a - b as a signed 32-bit distance."""
    d = (a - b) & _M
    return d - (1 << 32) if d & 0x80000000 else d


def before(a: int, b: int) -> bool:
    return seq_sub(a, b) < 0


def after(a: int, b: int) -> bool:
    return seq_sub(b, a) < 0


def between(seq: int, lo: int, hi: int) -> bool:
    """lo <= seq <= hi in sequence space (Linux's between())."""
    return ((hi - lo) & _M) >= ((seq - lo) & _M)


@dataclass(slots=True)
class TcpSegment:
    """One TCP segment as the core sees it (ports included so tests and the glue can route it)."""

    sport: int
    dport: int
    seq: int
    ack: int
    flags: int
    window: int
    payload: bytes = b""
    urg_ptr: int = 0
    mss: int | None = None
    wscale: int | None = None
    sack_perm: bool = False
    sack: tuple[tuple[int, int], ...] = ()
    ts: tuple[int, int] | None = None
    gso_size: int = 0  # a TSO/GRO super-segment: the MSS of the segments it stands for (tcp_offload.py)

    @property
    def syn(self) -> bool:
        return bool(self.flags & SYN)

    @property
    def fin(self) -> bool:
        return bool(self.flags & FIN)

    @property
    def rst(self) -> bool:
        return bool(self.flags & RST)

    @property
    def has_ack(self) -> bool:
        return bool(self.flags & ACK)

    @property
    def seg_len(self) -> int:
        """SEG.LEN: payload plus one for SYN and one for FIN."""
        return len(self.payload) + (1 if self.flags & SYN else 0) + (1 if self.flags & FIN else 0)

    @property
    def end_seq(self) -> int:
        return seq_add(self.seq, self.seg_len)

    def describe(self) -> str:
        """A tcpdump-like one-liner for test failure messages."""
        names = "".join(c for bit, c in ((SYN, "S"), (FIN, "F"), (RST, "R"), (PSH, "P"), (URG, "U"))
                        if self.flags & bit) or "."
        parts = [f"{self.sport}>{self.dport} [{names}] seq {self.seq}"]
        if self.flags & ACK:
            parts.append(f"ack {self.ack}")
        parts.append(f"win {self.window}")
        if self.payload:
            parts.append(f"len {len(self.payload)}")
        opts = []
        if self.mss is not None:
            opts.append(f"mss {self.mss}")
        if self.sack_perm:
            opts.append("sackOK")
        if self.ts is not None:
            opts.append(f"TS val {self.ts[0]} ecr {self.ts[1]}")
        if self.wscale is not None:
            opts.append(f"wscale {self.wscale}")
        if self.sack:
            opts.append("sack " + " ".join(f"{a}:{b}" for a, b in self.sack))
        if opts:
            parts.append("<" + ",".join(opts) + ">")
        return " ".join(parts)


def seg_from_repr(h: TcpRepr, payload: bytes) -> TcpSegment:
    """The core's view of a parsed header (the checksum was checked by the caller)."""
    return TcpSegment(h.src_port, h.dst_port, h.seq, h.ack, h.flags & 0xFF, h.window, bytes(payload), h.urgent,
                      h.mss, h.window_scale, h.sack_permitted, h.sack_blocks, h.timestamp)


def seg_header(seg: TcpSegment) -> TcpRepr:
    """The segment's header (options in Linux's order and padding)."""
    options = tcp_build_options(mss=seg.mss, sack_permitted=seg.sack_perm, timestamp=seg.ts,
                                window_scale=seg.wscale, sack_blocks=seg.sack)
    return TcpRepr(seg.sport, seg.dport, seg.seq, seg.ack, seg.flags, seg.window, seg.urg_ptr, options)


def seg_to_bytes(seg: TcpSegment, saddr: int, daddr: int) -> bytes:
    """Header (options in Linux's order and padding) + payload, checksum filled."""
    return seg_header(seg).to_bytes(seg.payload, saddr, daddr)
