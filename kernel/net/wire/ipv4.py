"""IPv4 headers and options (RFC 791 3.1; Router Alert RFC 2113; DSCP/ECN RFC 2474/3168).

Layout: version (4 bits) | IHL (4 bits, 32-bit words) | TOS (DSCP 6 bits +
ECN 2 bits) | total length (16) | identification (16) | flags (reserved, DF,
MF) + fragment offset (13 bits, 8-byte units) | TTL | protocol | header
checksum | source | destination | options (IHL*4 - 20 bytes) | payload.

``Ipv4Packet(buf)`` is a zero-copy view.  ``new_checked`` checks what Linux's
ip_rcv_core checks: at least 20 bytes, version 4, IHL >= 5, the header fits,
total length >= header length and <= the buffer (bytes past the total length
-- Ethernet padding -- are not part of the packet: ``payload`` stops at the
total length).  ``frag_offset`` is in bytes (a multiple of 8).

``Ipv4Repr`` holds src, dst (host-order u32 ints), protocol, payload_len, ttl,
tos, ident, the DF/MF flags, the fragment offset and the options.  ``parse``
verifies the header checksum (``verify_checksum=False`` skips it) and the
options; ``emit`` writes the header with its checksum.  The reserved flag bit
is not represented (parse ignores it, emit writes 0).

Options (RFC 791 3.1, "Options"): EOL ends the list (the bytes after it are
padding and are ignored); NOP; Record Route, LSRR and SSRR (a pointer and
route data of 4-byte slots); Timestamp (pointer, overflow, flag, opaque data);
Router Alert (RFC 2113, length 4).  Other types are kept opaque
(``Ipv4OptUnknown``).  Malformed options -- a length below 2 or past the
header, a Router Alert whose length is not 4, a route option with a pointer
below 4 or a partial slot under it or a length that is not 3 + 4n, a
timestamp with a pointer below 5, a partial entry under its pointer (8 bytes
for flags 1 and 3, 4 otherwise: other flags pass, as Linux lets them pass on
received packets) or full with an overflow counter of 15 -- raise
:class:`WireError` (where ip_options_compile sends a parameter problem and
drops; the 3 + 4n rule is stricter than Linux).  Duplicate options are not a
wire error (the IPv4 layer decides).  ``emit`` pads
the options with EOL (zero) bytes to a multiple of 4.

``ip_aton``/``ip_ntoa`` convert dotted-quad text to and from the int form.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Final

from kernel.net.wire import WireError
from kernel.net.wire.checksum import internet_checksum

__all__ = [
    "IPOPT_END", "IPOPT_LSRR", "IPOPT_NOOP", "IPOPT_RA", "IPOPT_RR", "IPOPT_SSRR", "IPOPT_TIMESTAMP",
    "IPOPT_TS_PRESPEC", "IPOPT_TS_TSANDADDR", "IPOPT_TS_TSONLY", "IPPROTO_ICMP", "IPPROTO_IGMP",
    "IPPROTO_RAW", "IPPROTO_TCP", "IPPROTO_UDP", "IPV4_HLEN", "IPV4_MAX_HLEN", "IP_DF", "IP_MF",
    "INADDR_ANY", "INADDR_BROADCAST", "INADDR_LOOPBACK",
    "Ipv4Option", "Ipv4OptNop", "Ipv4OptRecordRoute", "Ipv4OptRouterAlert", "Ipv4OptSourceRoute",
    "Ipv4OptTimestamp", "Ipv4OptUnknown", "Ipv4Packet", "Ipv4Repr", "ip_aton", "ip_ntoa",
    "ipv4_checksum", "ipv4_options_emit", "ipv4_options_len", "ipv4_options_parse",
]

IPV4_HLEN: Final = 20
IPV4_MAX_HLEN: Final = 60
IP_DF: Final = 0x4000
IP_MF: Final = 0x2000
IP_OFFMASK: Final = 0x1FFF

IPPROTO_ICMP: Final = 1
IPPROTO_IGMP: Final = 2
IPPROTO_TCP: Final = 6
IPPROTO_UDP: Final = 17
IPPROTO_RAW: Final = 255

INADDR_ANY: Final = 0
INADDR_BROADCAST: Final = 0xFFFFFFFF
INADDR_LOOPBACK: Final = 0x7F000001

IPOPT_END: Final = 0
IPOPT_NOOP: Final = 1
IPOPT_RR: Final = 7
IPOPT_TIMESTAMP: Final = 68
IPOPT_LSRR: Final = 131
IPOPT_SSRR: Final = 137
IPOPT_RA: Final = 148
IPOPT_TS_TSONLY: Final = 0
IPOPT_TS_TSANDADDR: Final = 1
IPOPT_TS_PRESPEC: Final = 3

Buffer = bytes | bytearray | memoryview
_HDR = struct.Struct("!BBHHHBBHII")


def ip_aton(text: str) -> int:
    """Strict dotted quad (``'10.0.0.1'``) -> host-order u32; ``ValueError`` otherwise."""
    parts = text.split(".")
    if len(parts) != 4:
        raise ValueError(f"not an IPv4 address: {text!r}")
    n = 0
    for p in parts:
        if not p.isdigit() or not p.isascii() or len(p) > 3 or int(p) > 255:
            raise ValueError(f"not an IPv4 address: {text!r}")
        n = (n << 8) | int(p)
    return n


def ip_ntoa(addr: int) -> str:
    """Host-order u32 -> dotted quad."""
    if not 0 <= addr <= 0xFFFFFFFF:
        raise ValueError(f"not a u32 IPv4 address: {addr}")
    return f"{addr >> 24}.{(addr >> 16) & 255}.{(addr >> 8) & 255}.{addr & 255}"


def ipv4_checksum(header: Buffer) -> int:
    """RFC 791 header checksum over ``header`` (0 when a header with its checksum in place is valid)."""
    return internet_checksum(header)


# ---------------------------------------------------------------------------
# Options


@dataclass(frozen=True, slots=True)
class Ipv4OptNop:
    """No Operation (type 1), one byte."""

    def wire_len(self) -> int:
        return 1

    def to_bytes(self) -> bytes:
        return b"\x01"


def _check_route(pointer: int, length: int) -> str | None:
    if pointer < 4:
        return f"pointer {pointer} < 4"
    if pointer <= length and pointer + 3 > length:
        return f"pointer {pointer} leaves a partial slot in length {length}"
    return None


@dataclass(frozen=True, slots=True)
class Ipv4OptRecordRoute:
    """Record Route (type 7, RFC 791): ``pointer`` (1-based, >= 4) and every slot, filled or not."""

    pointer: int
    addresses: tuple[int, ...]

    def __post_init__(self) -> None:
        length = 3 + 4 * len(self.addresses)
        if length > 40 or self.pointer > 255:
            raise ValueError("record route too long")
        err = _check_route(self.pointer, length)
        if err:
            raise ValueError(f"record route: {err}")
        _check_addrs(self.addresses)

    def wire_len(self) -> int:
        return 3 + 4 * len(self.addresses)

    def to_bytes(self) -> bytes:
        n = len(self.addresses)
        return struct.pack(f"!BBB{n}I", IPOPT_RR, 3 + 4 * n, self.pointer, *self.addresses)


@dataclass(frozen=True, slots=True)
class Ipv4OptSourceRoute:
    """Loose (type 131) or strict (type 137) source and record route: pointer and route slots."""

    strict: bool
    pointer: int
    addresses: tuple[int, ...]

    def __post_init__(self) -> None:
        length = 3 + 4 * len(self.addresses)
        if length > 40 or self.pointer > 255:
            raise ValueError("source route too long")
        err = _check_route(self.pointer, length)
        if err:
            raise ValueError(f"source route: {err}")
        _check_addrs(self.addresses)

    def wire_len(self) -> int:
        return 3 + 4 * len(self.addresses)

    def to_bytes(self) -> bytes:
        n = len(self.addresses)
        kind = IPOPT_SSRR if self.strict else IPOPT_LSRR
        return struct.pack(f"!BBB{n}I", kind, 3 + 4 * n, self.pointer, *self.addresses)


def _check_addrs(addrs: tuple[int, ...]) -> None:
    for a in addrs:
        if not 0 <= a <= 0xFFFFFFFF:
            raise ValueError(f"not a u32 address: {a}")


def _check_timestamp(pointer: int, overflow: int, flag: int, length: int) -> str | None:
    # As ip_options_compile checks a received option: other flags pass (their entries are 4 bytes).
    if length < 4:
        return f"length {length} < 4"
    if pointer < 5:
        return f"pointer {pointer} < 5"
    if pointer <= length:
        need = 7 if flag in (IPOPT_TS_TSANDADDR, IPOPT_TS_PRESPEC) else 3
        if pointer + need > length:
            return f"pointer {pointer} leaves a partial entry in length {length}"
    elif overflow == 15:
        return "full and the overflow counter is 15"
    return None


@dataclass(frozen=True, slots=True)
class Ipv4OptTimestamp:
    """Internet Timestamp (type 68, RFC 791): pointer (>= 5), overflow (4 bits), flag (4 bits: 0, 1, 3 defined), data."""

    pointer: int
    overflow: int
    flag: int
    data: bytes

    def __post_init__(self) -> None:
        length = 4 + len(self.data)
        if length > 40 or not 0 <= self.pointer <= 255 or not 0 <= self.overflow <= 15 or not 0 <= self.flag <= 15:
            raise ValueError("timestamp option out of range")
        err = _check_timestamp(self.pointer, self.overflow, self.flag, length)
        if err:
            raise ValueError(f"timestamp: {err}")

    def wire_len(self) -> int:
        return 4 + len(self.data)

    def to_bytes(self) -> bytes:
        return bytes((IPOPT_TIMESTAMP, 4 + len(self.data), self.pointer, (self.overflow << 4) | self.flag)) + self.data


@dataclass(frozen=True, slots=True)
class Ipv4OptRouterAlert:
    """Router Alert (type 148, RFC 2113), length 4; value 0 = "examine packet"."""

    value: int = 0

    def __post_init__(self) -> None:
        if not 0 <= self.value <= 0xFFFF:
            raise ValueError("router alert value out of range")

    def wire_len(self) -> int:
        return 4

    def to_bytes(self) -> bytes:
        return bytes((IPOPT_RA, 4)) + self.value.to_bytes(2, "big")


@dataclass(frozen=True, slots=True)
class Ipv4OptUnknown:
    """Any other option, kept opaque: ``type`` and the bytes after the length octet."""

    type: int
    data: bytes

    def __post_init__(self) -> None:
        if self.type in (IPOPT_END, IPOPT_NOOP, IPOPT_RR, IPOPT_TIMESTAMP, IPOPT_LSRR, IPOPT_SSRR, IPOPT_RA):
            raise ValueError(f"option type {self.type} has its own class")
        if not 0 <= self.type <= 255 or len(self.data) > 38:
            raise ValueError("unknown option out of range")

    def wire_len(self) -> int:
        return 2 + len(self.data)

    def to_bytes(self) -> bytes:
        return bytes((self.type, 2 + len(self.data))) + self.data


Ipv4Option = (Ipv4OptNop | Ipv4OptRecordRoute | Ipv4OptSourceRoute | Ipv4OptTimestamp
              | Ipv4OptRouterAlert | Ipv4OptUnknown)
_NOP = Ipv4OptNop()


def ipv4_options_parse(opts: Buffer) -> tuple[Ipv4Option, ...]:
    """Parse the option bytes of a header (RFC 791 3.1); ``WireError`` when malformed."""
    out: list[Ipv4Option] = []
    i, n = 0, len(opts)
    while i < n:
        kind = opts[i]
        if kind == IPOPT_END:
            break
        if kind == IPOPT_NOOP:
            out.append(_NOP)
            i += 1
            continue
        if i + 1 >= n:
            raise WireError(f"ipv4 option {kind}: no length octet")
        length = opts[i + 1]
        if length < 2 or i + length > n:
            raise WireError(f"ipv4 option {kind}: bad length {length}")
        body = bytes(opts[i + 2:i + length])
        if kind in (IPOPT_RR, IPOPT_LSRR, IPOPT_SSRR):
            if length < 3:
                raise WireError(f"ipv4 route option: length {length} < 3")
            if (length - 3) % 4:
                raise WireError(f"ipv4 route option: length {length} is not 3 + 4n")
            err = _check_route(body[0], length)
            if err:
                raise WireError(f"ipv4 route option: {err}")
            addrs = struct.unpack(f"!{(length - 3) // 4}I", body[1:])
            if kind == IPOPT_RR:
                out.append(Ipv4OptRecordRoute(body[0], addrs))
            else:
                out.append(Ipv4OptSourceRoute(kind == IPOPT_SSRR, body[0], addrs))
        elif kind == IPOPT_TIMESTAMP:
            if length < 4:
                raise WireError(f"ipv4 timestamp option: length {length} < 4")
            err = _check_timestamp(body[0], body[1] >> 4, body[1] & 15, length)
            if err:
                raise WireError(f"ipv4 timestamp option: {err}")
            out.append(Ipv4OptTimestamp(body[0], body[1] >> 4, body[1] & 15, body[2:]))
        elif kind == IPOPT_RA:
            if length != 4:
                raise WireError(f"ipv4 router alert: length {length} != 4")
            out.append(Ipv4OptRouterAlert(int.from_bytes(body, "big")))
        else:
            out.append(Ipv4OptUnknown(kind, body))
        i += length
    return tuple(out)


def ipv4_options_len(options: tuple[Ipv4Option, ...]) -> int:
    """Encoded length of ``options`` padded to a multiple of 4."""
    n = sum(o.wire_len() for o in options)
    return (n + 3) & ~3


def ipv4_options_emit(options: tuple[Ipv4Option, ...]) -> bytes:
    """Encode ``options`` followed by EOL/zero padding to a multiple of 4."""
    raw = b"".join(o.to_bytes() for o in options)
    return raw + bytes(-len(raw) % 4)


# ---------------------------------------------------------------------------
# The view


class Ipv4Packet:
    """Zero-copy view of an IPv4 packet."""

    __slots__ = ("buf",)
    HEADER_LEN: Final = IPV4_HLEN

    def __init__(self, buf: Buffer) -> None:
        self.buf = buf

    @classmethod
    def new_checked(cls, buf: Buffer) -> Ipv4Packet:
        n = len(buf)
        if n < IPV4_HLEN:
            raise WireError(f"ipv4: {n} bytes, header needs {IPV4_HLEN}")
        vihl = buf[0]
        if vihl >> 4 != 4:
            raise WireError(f"ipv4: version {vihl >> 4}")
        hl = (vihl & 15) * 4
        if hl < IPV4_HLEN:
            raise WireError(f"ipv4: IHL {vihl & 15} < 5")
        if hl > n:
            raise WireError(f"ipv4: header length {hl} > buffer {n}")
        total = (buf[2] << 8) | buf[3]
        if total < hl:
            raise WireError(f"ipv4: total length {total} < header length {hl}")
        if total > n:
            raise WireError(f"ipv4: total length {total} > buffer {n}")
        return cls(buf)

    def _u16(self, off: int) -> int:
        b = self.buf
        return (b[off] << 8) | b[off + 1]

    def _put16(self, off: int, v: int) -> None:
        self.buf[off:off + 2] = v.to_bytes(2, "big")  # type: ignore[index]

    @property
    def version(self) -> int:
        return self.buf[0] >> 4

    @property
    def ihl(self) -> int:
        """The IHL field (32-bit words)."""
        return self.buf[0] & 15

    @property
    def header_len(self) -> int:
        return (self.buf[0] & 15) * 4

    @header_len.setter
    def header_len(self, v: int) -> None:
        self.buf[0] = 0x40 | (v // 4)  # type: ignore[index]

    @property
    def tos(self) -> int:
        return self.buf[1]

    @tos.setter
    def tos(self, v: int) -> None:
        self.buf[1] = v  # type: ignore[index]

    @property
    def dscp(self) -> int:
        return self.buf[1] >> 2

    @dscp.setter
    def dscp(self, v: int) -> None:
        self.buf[1] = (v << 2) | (self.buf[1] & 3)  # type: ignore[index]

    @property
    def ecn(self) -> int:
        return self.buf[1] & 3

    @ecn.setter
    def ecn(self, v: int) -> None:
        self.buf[1] = (self.buf[1] & 0xFC) | (v & 3)  # type: ignore[index]

    @property
    def total_len(self) -> int:
        return self._u16(2)

    @total_len.setter
    def total_len(self, v: int) -> None:
        self._put16(2, v)

    @property
    def ident(self) -> int:
        return self._u16(4)

    @ident.setter
    def ident(self, v: int) -> None:
        self._put16(4, v)

    @property
    def frag_field(self) -> int:
        """The raw flags + fragment offset word (IP_DF, IP_MF, offset in 8-byte units)."""
        return self._u16(6)

    @frag_field.setter
    def frag_field(self, v: int) -> None:
        self._put16(6, v)

    @property
    def dont_frag(self) -> bool:
        return bool(self.buf[6] & 0x40)

    @dont_frag.setter
    def dont_frag(self, v: bool) -> None:
        self._put16(6, (self._u16(6) & ~IP_DF) | (IP_DF if v else 0))

    @property
    def more_frags(self) -> bool:
        return bool(self.buf[6] & 0x20)

    @more_frags.setter
    def more_frags(self, v: bool) -> None:
        self._put16(6, (self._u16(6) & ~IP_MF) | (IP_MF if v else 0))

    @property
    def frag_offset(self) -> int:
        """Fragment offset in bytes (a multiple of 8)."""
        return (self._u16(6) & IP_OFFMASK) * 8

    @frag_offset.setter
    def frag_offset(self, v: int) -> None:
        if v % 8 or not 0 <= v <= IP_OFFMASK * 8:
            raise ValueError(f"fragment offset {v} is not a multiple of 8 in range")
        self._put16(6, (self._u16(6) & ~IP_OFFMASK) | (v >> 3))

    @property
    def ttl(self) -> int:
        return self.buf[8]

    @ttl.setter
    def ttl(self, v: int) -> None:
        self.buf[8] = v  # type: ignore[index]

    @property
    def protocol(self) -> int:
        return self.buf[9]

    @protocol.setter
    def protocol(self, v: int) -> None:
        self.buf[9] = v  # type: ignore[index]

    @property
    def checksum(self) -> int:
        return self._u16(10)

    @checksum.setter
    def checksum(self, v: int) -> None:
        self._put16(10, v)

    @property
    def src(self) -> int:
        return int.from_bytes(self.buf[12:16], "big")

    @src.setter
    def src(self, v: int) -> None:
        self.buf[12:16] = v.to_bytes(4, "big")  # type: ignore[index]

    @property
    def dst(self) -> int:
        return int.from_bytes(self.buf[16:20], "big")

    @dst.setter
    def dst(self, v: int) -> None:
        self.buf[16:20] = v.to_bytes(4, "big")  # type: ignore[index]

    @property
    def options(self) -> memoryview:
        return memoryview(self.buf)[IPV4_HLEN:self.header_len]

    @property
    def payload(self) -> memoryview:
        """The bytes between the header and the total length."""
        return memoryview(self.buf)[self.header_len:self.total_len]

    def verify_checksum(self) -> bool:
        return internet_checksum(memoryview(self.buf)[:self.header_len]) == 0

    def fill_checksum(self) -> None:
        """Recompute the header checksum in place (after changing TTL, say)."""
        self._put16(10, 0)
        self._put16(10, internet_checksum(memoryview(self.buf)[:self.header_len]))


# ---------------------------------------------------------------------------
# The Repr


@dataclass(frozen=True, slots=True)
class Ipv4Repr:
    """An IPv4 header: addresses (host-order ints), protocol, payload length and the rest."""

    src: int
    dst: int
    protocol: int
    payload_len: int
    ttl: int = 64
    tos: int = 0
    ident: int = 0
    dont_frag: bool = False
    more_frags: bool = False
    frag_offset: int = 0          # bytes, a multiple of 8
    options: tuple[Ipv4Option, ...] = ()

    def __post_init__(self) -> None:
        if not (0 <= self.src <= 0xFFFFFFFF and 0 <= self.dst <= 0xFFFFFFFF):
            raise ValueError("IPv4 addresses are u32")
        if not (0 <= self.protocol <= 255 and 0 <= self.ttl <= 255 and 0 <= self.tos <= 255
                and 0 <= self.ident <= 0xFFFF):
            raise ValueError("ipv4 field out of range")
        if self.frag_offset % 8 or not 0 <= self.frag_offset <= IP_OFFMASK * 8:
            raise ValueError(f"fragment offset {self.frag_offset} is not a multiple of 8 in range")
        if self.options:
            hl = IPV4_HLEN + ipv4_options_len(self.options)
            if hl > IPV4_MAX_HLEN:
                raise ValueError(f"ipv4 options make a {hl}-byte header (max 60)")
        else:
            hl = IPV4_HLEN
        if not 0 <= self.payload_len <= 0xFFFF - hl:
            raise ValueError(f"payload length {self.payload_len} out of range")

    @property
    def dscp(self) -> int:
        return self.tos >> 2

    @property
    def ecn(self) -> int:
        return self.tos & 3

    @classmethod
    def parse(cls, packet: Ipv4Packet | Buffer, *, verify_checksum: bool = True) -> Ipv4Repr:
        buf = packet.buf if isinstance(packet, Ipv4Packet) else packet
        Ipv4Packet.new_checked(buf)
        vihl, tos, total, ident, frag, ttl, proto, _csum, src, dst = _HDR.unpack_from(buf)
        hl = (vihl & 15) * 4
        if verify_checksum and internet_checksum(memoryview(buf)[:hl]) != 0:
            raise WireError("ipv4: bad header checksum")
        options = ipv4_options_parse(memoryview(buf)[IPV4_HLEN:hl]) if hl > IPV4_HLEN else ()
        return cls(src, dst, proto, total - hl, ttl, tos, ident, bool(frag & IP_DF), bool(frag & IP_MF),
                   (frag & IP_OFFMASK) * 8, options)

    def header_len(self) -> int:
        return IPV4_HLEN + ipv4_options_len(self.options) if self.options else IPV4_HLEN

    def buffer_len(self) -> int:
        """Header length (options included); the payload is not counted."""
        return self.header_len()

    def emit(self, buf: bytearray | memoryview, *, checksum: bool = True) -> None:
        """Write the header (and its checksum unless ``checksum=False``, which leaves 0) at ``buf[0:]``."""
        if self.options:
            opts = ipv4_options_emit(self.options)
            hl = IPV4_HLEN + len(opts)
        else:
            opts = b""
            hl = IPV4_HLEN
        if len(buf) < hl:
            raise ValueError("buffer too small for the ipv4 header")
        frag = (self.frag_offset >> 3) | (IP_DF if self.dont_frag else 0) | (IP_MF if self.more_frags else 0)
        _HDR.pack_into(buf, 0, 0x40 | (hl >> 2), self.tos, hl + self.payload_len, self.ident, frag,
                       self.ttl, self.protocol, 0, self.src, self.dst)
        if opts:
            buf[IPV4_HLEN:hl] = opts
        if checksum:
            c = internet_checksum(memoryview(buf)[:hl])
            buf[10] = c >> 8
            buf[11] = c & 0xFF

    def to_bytes(self, payload: Buffer = b"", *, checksum: bool = True) -> bytes:
        """Header + ``payload``; ``len(payload)`` must equal ``payload_len``."""
        if len(payload) != self.payload_len:
            raise ValueError(f"payload is {len(payload)} bytes, the Repr says {self.payload_len}")
        hdr = bytearray(self.header_len())
        self.emit(hdr, checksum=checksum)
        return bytes(hdr) + bytes(payload)
