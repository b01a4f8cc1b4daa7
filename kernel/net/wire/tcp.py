"""TCP segment headers and options over IPv4 (RFC 9293 3.1-3.2; RFC 7323; RFC 2018; RFC 3168; RFC 3540).

Layout: source port, destination port (16 each), sequence number, ack number
(32 each), data offset (4 bits, 32-bit words) | reserved (3) | NS (RFC 3540),
CWR ECE URG ACK PSH RST SYN FIN, window (16), checksum (16), urgent pointer
(16), options (data offset * 4 - 20 bytes), data.  The checksum covers the
IPv4 pseudo-header (protocol 6, TCP length = header + data), the header and
the data (RFC 9293 3.1, "Checksum").

``TcpPacket(buf)`` is a zero-copy view; the buffer is the whole segment (TCP
has no length field: the IP layer slices it).  ``new_checked`` requires 20
bytes, a data offset >= 5 and a header that fits.  ``flags`` is the 9-bit
field (``TCPHDR_FIN`` ... ``TCPHDR_CWR``, ``TCPHDR_NS``); the 3 reserved bits
are not represented (parse ignores them, emit writes 0).

``TcpRepr`` holds ports, seq, ack, flags, window, urgent pointer and the
options as an ordered tuple (exact round trips); ``mss``, ``window_scale``,
``sack_permitted``, ``sack_blocks``, ``timestamp`` read them.  The data stays
in the caller's buffer.  ``parse(packet, src_addr, dst_addr)`` verifies the
checksum (``verify_checksum=False`` skips it); ``emit(buf, src_addr,
dst_addr, payload_len)`` writes the header in front of ``payload_len`` data
bytes already at ``buf[header_len:]`` and fills the checksum.
``tcp_build_options`` lays options out as Linux's tcp_options_write does.

Options (RFC 9293 3.2): EOL ends the list (what follows is padding, ignored);
NOP; MSS (kind 2, len 4); window scale (3, len 3, RFC 7323 2.2); SACK-permitted
(4, len 2) and SACK (5, len 2 + 8n, RFC 2018); timestamps (8, len 10, RFC 7323
3.2).  A known kind with another length is kept opaque, as Linux ignores it
(``TcpOptUnknown``), as is any unknown kind.  A length octet below 2 or one
that runs past the header raises :class:`WireError` (Linux stops reading the
options there; here the segment is malformed and dropped).  ``emit`` pads the
options with EOL (zero) bytes to a multiple of 4.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Final

from kernel.net.wire import WireError
from kernel.net.wire.checksum import internet_checksum, pseudo_header_sum

__all__ = [
    "TCPHDR_ACK", "TCPHDR_CWR", "TCPHDR_ECE", "TCPHDR_FIN", "TCPHDR_NS", "TCPHDR_PSH", "TCPHDR_RST", "TCPHDR_SYN",
    "TCPHDR_URG", "TCPOPT_EOL", "TCPOPT_MSS", "TCPOPT_NOP", "TCPOPT_SACK", "TCPOPT_SACK_PERM", "TCPOPT_TIMESTAMP",
    "TCPOPT_WINDOW", "TCP_HLEN", "TCP_MAX_HLEN", "TcpOptMss", "TcpOptNop", "TcpOptSack", "TcpOptSackPermitted",
    "TcpOptTimestamp", "TcpOptUnknown", "TcpOptWindowScale", "TcpOption", "TcpPacket", "TcpRepr",
    "tcp_build_options", "tcp_checksum", "tcp_options_emit", "tcp_options_len", "tcp_options_parse",
]

TCP_HLEN: Final = 20
TCP_MAX_HLEN: Final = 60
_IPPROTO_TCP: Final = 6

TCPHDR_FIN: Final = 0x01
TCPHDR_SYN: Final = 0x02
TCPHDR_RST: Final = 0x04
TCPHDR_PSH: Final = 0x08
TCPHDR_ACK: Final = 0x10
TCPHDR_URG: Final = 0x20
TCPHDR_ECE: Final = 0x40
TCPHDR_CWR: Final = 0x80
TCPHDR_NS: Final = 0x100

TCPOPT_EOL: Final = 0
TCPOPT_NOP: Final = 1
TCPOPT_MSS: Final = 2
TCPOPT_WINDOW: Final = 3
TCPOPT_SACK_PERM: Final = 4
TCPOPT_SACK: Final = 5
TCPOPT_TIMESTAMP: Final = 8

Buffer = bytes | bytearray | memoryview
_HDR = struct.Struct("!HHIIBBHHH")


def tcp_checksum(segment: Buffer, src_addr: int, dst_addr: int) -> int:
    """The checksum of a whole segment whose checksum field is 0."""
    return internet_checksum(segment, pseudo_header_sum(src_addr, dst_addr, _IPPROTO_TCP, len(segment)))


# ---------------------------------------------------------------------------
# Options


@dataclass(frozen=True, slots=True)
class TcpOptNop:
    def wire_len(self) -> int:
        return 1

    def to_bytes(self) -> bytes:
        return b"\x01"


@dataclass(frozen=True, slots=True)
class TcpOptMss:
    """Maximum segment size (kind 2, length 4)."""

    mss: int

    def __post_init__(self) -> None:
        if not 0 <= self.mss <= 0xFFFF:
            raise ValueError("mss is u16")

    def wire_len(self) -> int:
        return 4

    def to_bytes(self) -> bytes:
        return struct.pack("!BBH", TCPOPT_MSS, 4, self.mss)


@dataclass(frozen=True, slots=True)
class TcpOptWindowScale:
    """Window scale shift count (kind 3, length 3; RFC 7323 2.2; a receiver clamps it to 14)."""

    shift: int

    def __post_init__(self) -> None:
        if not 0 <= self.shift <= 255:
            raise ValueError("window scale is u8")

    def wire_len(self) -> int:
        return 3

    def to_bytes(self) -> bytes:
        return bytes((TCPOPT_WINDOW, 3, self.shift))


@dataclass(frozen=True, slots=True)
class TcpOptSackPermitted:
    """SACK-permitted (kind 4, length 2; RFC 2018 2)."""

    def wire_len(self) -> int:
        return 2

    def to_bytes(self) -> bytes:
        return b"\x04\x02"


@dataclass(frozen=True, slots=True)
class TcpOptSack:
    """SACK blocks (kind 5, length 2 + 8n, 1 <= n <= 4; RFC 2018 3): (left edge, right edge) pairs."""

    blocks: tuple[tuple[int, int], ...]

    def __post_init__(self) -> None:
        if not 1 <= len(self.blocks) <= 4:
            raise ValueError("a SACK option carries 1 to 4 blocks")
        for left, right in self.blocks:
            if not (0 <= left <= 0xFFFFFFFF and 0 <= right <= 0xFFFFFFFF):
                raise ValueError("SACK edges are u32")

    def wire_len(self) -> int:
        return 2 + 8 * len(self.blocks)

    def to_bytes(self) -> bytes:
        n = len(self.blocks)
        return struct.pack(f"!BB{2 * n}I", TCPOPT_SACK, 2 + 8 * n, *(e for b in self.blocks for e in b))


@dataclass(frozen=True, slots=True)
class TcpOptTimestamp:
    """Timestamps (kind 8, length 10; RFC 7323 3.2): TSval, TSecr."""

    tsval: int
    tsecr: int

    def __post_init__(self) -> None:
        if not (0 <= self.tsval <= 0xFFFFFFFF and 0 <= self.tsecr <= 0xFFFFFFFF):
            raise ValueError("timestamps are u32")

    def wire_len(self) -> int:
        return 10

    def to_bytes(self) -> bytes:
        return struct.pack("!BBII", TCPOPT_TIMESTAMP, 10, self.tsval, self.tsecr)


@dataclass(frozen=True, slots=True)
class TcpOptUnknown:
    """Any other option (or a known kind with a wrong length), kept opaque: kind and the bytes after the length."""

    kind: int
    data: bytes

    def __post_init__(self) -> None:
        if not 2 <= self.kind <= 255 or len(self.data) > 38:
            raise ValueError("opaque tcp option out of range")

    def wire_len(self) -> int:
        return 2 + len(self.data)

    def to_bytes(self) -> bytes:
        return bytes((self.kind, 2 + len(self.data))) + self.data


TcpOption = (TcpOptNop | TcpOptMss | TcpOptWindowScale | TcpOptSackPermitted | TcpOptSack | TcpOptTimestamp
             | TcpOptUnknown)
_NOP = TcpOptNop()
_SACK_PERM = TcpOptSackPermitted()
_U32X2 = struct.Struct("!II")


def tcp_options_parse(opts: Buffer) -> tuple[TcpOption, ...]:
    """Parse the option bytes of a TCP header; ``WireError`` on a bad length octet."""
    out: list[TcpOption] = []
    i, n = 0, len(opts)
    while i < n:
        kind = opts[i]
        if kind == TCPOPT_EOL:
            break
        if kind == TCPOPT_NOP:
            out.append(_NOP)
            i += 1
            continue
        if i + 1 >= n:
            raise WireError(f"tcp option {kind}: no length octet")
        length = opts[i + 1]
        if length < 2 or i + length > n:
            raise WireError(f"tcp option {kind}: bad length {length}")
        if kind == TCPOPT_MSS and length == 4:
            out.append(TcpOptMss((opts[i + 2] << 8) | opts[i + 3]))
        elif kind == TCPOPT_WINDOW and length == 3:
            out.append(TcpOptWindowScale(opts[i + 2]))
        elif kind == TCPOPT_SACK_PERM and length == 2:
            out.append(_SACK_PERM)
        elif kind == TCPOPT_TIMESTAMP and length == 10:
            out.append(TcpOptTimestamp(*_U32X2.unpack_from(opts, i + 2)))
        elif kind == TCPOPT_SACK and length >= 10 and (length - 2) % 8 == 0:
            edges = struct.unpack_from(f"!{(length - 2) // 4}I", opts, i + 2)
            out.append(TcpOptSack(tuple(zip(edges[0::2], edges[1::2]))))
        else:
            out.append(TcpOptUnknown(kind, bytes(opts[i + 2:i + length])))
        i += length
    return tuple(out)


def tcp_options_len(options: tuple[TcpOption, ...]) -> int:
    """Encoded length of ``options`` padded to a multiple of 4."""
    n = sum(o.wire_len() for o in options)
    return (n + 3) & ~3


def tcp_options_emit(options: tuple[TcpOption, ...]) -> bytes:
    raw = b"".join(o.to_bytes() for o in options)
    return raw + bytes(-len(raw) % 4)


def tcp_build_options(*, mss: int | None = None, sack_permitted: bool = False,
                      timestamp: tuple[int, int] | None = None, window_scale: int | None = None,
                      sack_blocks: tuple[tuple[int, int], ...] = ()) -> tuple[TcpOption, ...]:
    """Options in the order and NOP padding of Linux's tcp_options_write.

    MSS; SACK-permitted + timestamps as ``04 02 08 0a`` (or ``01 01 08 0a``
    without SACK-permitted); ``01 01 04 02`` for SACK-permitted alone; ``01 03
    03 ws``; ``01 01 05 len`` + SACK blocks.
    """
    out: list[TcpOption] = []
    if mss is not None:
        out.append(TcpOptMss(mss))
    if timestamp is not None:
        if sack_permitted:
            out.append(_SACK_PERM)
        else:
            out += (_NOP, _NOP)
        out.append(TcpOptTimestamp(*timestamp))
    elif sack_permitted:
        out += (_NOP, _NOP, _SACK_PERM)
    if window_scale is not None:
        out += (_NOP, TcpOptWindowScale(window_scale))
    if sack_blocks:
        out += (_NOP, _NOP, TcpOptSack(sack_blocks))
    return tuple(out)


# ---------------------------------------------------------------------------
# The view


class TcpPacket:
    """Zero-copy view of a TCP segment (the buffer is the whole segment)."""

    __slots__ = ("buf",)
    HEADER_LEN: Final = TCP_HLEN

    def __init__(self, buf: Buffer) -> None:
        self.buf = buf

    @classmethod
    def new_checked(cls, buf: Buffer) -> TcpPacket:
        n = len(buf)
        if n < TCP_HLEN:
            raise WireError(f"tcp: {n} bytes, header needs {TCP_HLEN}")
        hl = (buf[12] >> 4) * 4
        if hl < TCP_HLEN:
            raise WireError(f"tcp: data offset {hl // 4} < 5")
        if hl > n:
            raise WireError(f"tcp: header length {hl} > segment {n}")
        return cls(buf)

    def _u16(self, off: int) -> int:
        b = self.buf
        return (b[off] << 8) | b[off + 1]

    def _put16(self, off: int, v: int) -> None:
        self.buf[off:off + 2] = v.to_bytes(2, "big")  # type: ignore[index]

    def _u32(self, off: int) -> int:
        return int.from_bytes(self.buf[off:off + 4], "big")

    def _put32(self, off: int, v: int) -> None:
        self.buf[off:off + 4] = v.to_bytes(4, "big")  # type: ignore[index]

    @property
    def src_port(self) -> int:
        return self._u16(0)

    @src_port.setter
    def src_port(self, v: int) -> None:
        self._put16(0, v)

    @property
    def dst_port(self) -> int:
        return self._u16(2)

    @dst_port.setter
    def dst_port(self, v: int) -> None:
        self._put16(2, v)

    @property
    def seq(self) -> int:
        return self._u32(4)

    @seq.setter
    def seq(self, v: int) -> None:
        self._put32(4, v)

    @property
    def ack(self) -> int:
        return self._u32(8)

    @ack.setter
    def ack(self, v: int) -> None:
        self._put32(8, v)

    @property
    def header_len(self) -> int:
        return (self.buf[12] >> 4) * 4

    @property
    def flags(self) -> int:
        b = self.buf
        return ((b[12] & 1) << 8) | b[13]

    @flags.setter
    def flags(self, v: int) -> None:
        b = self.buf
        b[12] = (b[12] & 0xFE) | ((v >> 8) & 1)  # type: ignore[index]
        b[13] = v & 0xFF  # type: ignore[index]

    @property
    def fin(self) -> bool:
        return bool(self.buf[13] & TCPHDR_FIN)

    @property
    def syn(self) -> bool:
        return bool(self.buf[13] & TCPHDR_SYN)

    @property
    def rst(self) -> bool:
        return bool(self.buf[13] & TCPHDR_RST)

    @property
    def psh(self) -> bool:
        return bool(self.buf[13] & TCPHDR_PSH)

    @property
    def ack_flag(self) -> bool:
        return bool(self.buf[13] & TCPHDR_ACK)

    @property
    def urg(self) -> bool:
        return bool(self.buf[13] & TCPHDR_URG)

    @property
    def ece(self) -> bool:
        return bool(self.buf[13] & TCPHDR_ECE)

    @property
    def cwr(self) -> bool:
        return bool(self.buf[13] & TCPHDR_CWR)

    @property
    def ns(self) -> bool:
        return bool(self.buf[12] & 1)

    @property
    def window(self) -> int:
        return self._u16(14)

    @window.setter
    def window(self, v: int) -> None:
        self._put16(14, v)

    @property
    def checksum(self) -> int:
        return self._u16(16)

    @checksum.setter
    def checksum(self, v: int) -> None:
        self._put16(16, v)

    @property
    def urgent(self) -> int:
        return self._u16(18)

    @urgent.setter
    def urgent(self, v: int) -> None:
        self._put16(18, v)

    @property
    def options(self) -> memoryview:
        return memoryview(self.buf)[TCP_HLEN:self.header_len]

    @property
    def payload(self) -> memoryview:
        return memoryview(self.buf)[self.header_len:]

    @property
    def seg_len(self) -> int:
        """Sequence space the segment occupies: data + SYN + FIN."""
        b = self.buf
        return len(b) - (b[12] >> 4) * 4 + ((b[13] >> 1) & 1) + (b[13] & 1)

    def verify_checksum(self, src_addr: int, dst_addr: int) -> bool:
        return internet_checksum(self.buf, pseudo_header_sum(src_addr, dst_addr, _IPPROTO_TCP, len(self.buf))) == 0

    def fill_checksum(self, src_addr: int, dst_addr: int) -> None:
        self._put16(16, 0)
        self._put16(16, tcp_checksum(self.buf, src_addr, dst_addr))


# ---------------------------------------------------------------------------
# The Repr


@dataclass(frozen=True, slots=True)
class TcpRepr:
    """A TCP header: ports, seq, ack, 9-bit flags, window, urgent pointer, options."""

    src_port: int
    dst_port: int
    seq: int
    ack: int
    flags: int
    window: int
    urgent: int = 0
    options: tuple[TcpOption, ...] = ()

    def __post_init__(self) -> None:
        if not (0 <= self.src_port <= 0xFFFF and 0 <= self.dst_port <= 0xFFFF and 0 <= self.seq <= 0xFFFFFFFF
                and 0 <= self.ack <= 0xFFFFFFFF and 0 <= self.flags <= 0x1FF and 0 <= self.window <= 0xFFFF
                and 0 <= self.urgent <= 0xFFFF):
            raise ValueError("tcp field out of range")
        if self.options and TCP_HLEN + tcp_options_len(self.options) > TCP_MAX_HLEN:
            raise ValueError("tcp options longer than 40 bytes")

    # -- option accessors --------------------------------------------------
    def _find(self, cls: type) -> object | None:
        for o in self.options:
            if type(o) is cls:
                return o
        return None

    @property
    def mss(self) -> int | None:
        o = self._find(TcpOptMss)
        return o.mss if isinstance(o, TcpOptMss) else None

    @property
    def window_scale(self) -> int | None:
        o = self._find(TcpOptWindowScale)
        return o.shift if isinstance(o, TcpOptWindowScale) else None

    @property
    def sack_permitted(self) -> bool:
        return self._find(TcpOptSackPermitted) is not None

    @property
    def sack_blocks(self) -> tuple[tuple[int, int], ...]:
        o = self._find(TcpOptSack)
        return o.blocks if isinstance(o, TcpOptSack) else ()

    @property
    def timestamp(self) -> tuple[int, int] | None:
        """(TSval, TSecr) or None."""
        o = self._find(TcpOptTimestamp)
        return (o.tsval, o.tsecr) if isinstance(o, TcpOptTimestamp) else None

    # -- codec -------------------------------------------------------------
    @classmethod
    def parse(cls, packet: TcpPacket | Buffer, src_addr: int = 0, dst_addr: int = 0, *,
              verify_checksum: bool = True) -> TcpRepr:
        """The header of a whole segment; ``WireError`` on a bad length, checksum or option.

        ``src_addr``/``dst_addr`` (IPv4, host-order ints) are needed for the
        checksum unless ``verify_checksum=False``.
        """
        buf = packet.buf if isinstance(packet, TcpPacket) else packet
        TcpPacket.new_checked(buf)
        if verify_checksum and internet_checksum(
                buf, pseudo_header_sum(src_addr, dst_addr, _IPPROTO_TCP, len(buf))) != 0:
            raise WireError("tcp: bad checksum")
        sport, dport, seq, ack, off, fl, window, _csum, urgent = _HDR.unpack_from(buf)
        hl = (off >> 4) * 4
        options = tcp_options_parse(memoryview(buf)[TCP_HLEN:hl]) if hl > TCP_HLEN else ()
        return cls(sport, dport, seq, ack, ((off & 1) << 8) | fl, window, urgent, options)

    def header_len(self) -> int:
        return TCP_HLEN + tcp_options_len(self.options) if self.options else TCP_HLEN

    def buffer_len(self) -> int:
        """The header length (options included); the payload is the caller's."""
        return self.header_len()

    def emit(self, buf: bytearray | memoryview, src_addr: int, dst_addr: int, payload_len: int, *,
             checksum: bool = True) -> None:
        """Write the header at ``buf[0:]`` for the ``payload_len`` bytes after it, checksum included."""
        if self.options:
            opts = tcp_options_emit(self.options)
            hl = TCP_HLEN + len(opts)
        else:
            opts = b""
            hl = TCP_HLEN
        n = hl + payload_len
        if payload_len < 0 or len(buf) < n:
            raise ValueError("buffer too small for the tcp segment")
        _HDR.pack_into(buf, 0, self.src_port, self.dst_port, self.seq, self.ack, (hl << 2) | (self.flags >> 8),
                       self.flags & 0xFF, self.window, 0, self.urgent)
        if opts:
            buf[TCP_HLEN:hl] = opts
        if checksum:
            c = tcp_checksum(memoryview(buf)[:n], src_addr, dst_addr)
            buf[16] = c >> 8
            buf[17] = c & 0xFF

    def to_bytes(self, payload: Buffer = b"", src_addr: int = 0, dst_addr: int = 0, *,
                 checksum: bool = True) -> bytes:
        hl = self.header_len()
        out = bytearray(hl + len(payload))
        out[hl:] = payload
        self.emit(out, src_addr, dst_addr, len(payload), checksum=checksum)
        return bytes(out)
