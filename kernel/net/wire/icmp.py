"""ICMP for IPv4 (RFC 792; Fragmentation Needed's next-hop MTU, RFC 1191 4).

Layout: type (1), code (1), checksum (2), a 4-byte "rest of header" whose
meaning depends on the type, then data.  The checksum covers the whole
message (RFC 792, "Checksum").

- Echo / Echo Reply (8 / 0): identifier (16) + sequence number (16); data is the echo payload.
- Destination Unreachable (3): unused; for code 4 (fragmentation needed)
  the low 16 bits are the next-hop MTU (RFC 1191).
- Source Quench (4), Time Exceeded (11): unused.
- Parameter Problem (12): pointer (8) + unused (24).
- Redirect (5): gateway internet address (32).
In the error messages (3, 4, 5, 11, 12) the data is the offending datagram's
IP header plus (at least) its first 8 data bytes: ``parse`` requires a
plausible quoted IPv4 header there (20 bytes or more, version 4, IHL >= 5 and
that many bytes), as Linux's icmp_unreach/icmp_rcv drop it otherwise.

``IcmpPacket(buf)`` is a zero-copy view (the buffer is the whole ICMP
message: ICMP has no length field).  ``IcmpRepr(type, code, rest, data)``
stores the 32-bit rest-of-header as is (exact round trips for any type) with
typed accessors (``ident``, ``seq``, ``next_hop_mtu``, ``pointer``,
``gateway``) and constructors for each message (``echo_request``,
``dest_unreachable``, ...).  ``parse`` verifies the checksum
(``verify_checksum=False`` skips it) and raises :class:`WireError`;
``emit`` writes the message and its checksum.  Names follow Linux's
include/uapi/linux/icmp.h.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Final

from kernel.net.wire import WireError
from kernel.net.wire.checksum import internet_checksum

__all__ = [
    "ICMP_DEST_UNREACH", "ICMP_ECHO", "ICMP_ECHOREPLY", "ICMP_ERROR_TYPES", "ICMP_EXC_FRAGTIME", "ICMP_EXC_TTL",
    "ICMP_FRAG_NEEDED", "ICMP_HLEN", "ICMP_HOST_ANO", "ICMP_HOST_ISOLATED", "ICMP_HOST_UNKNOWN",
    "ICMP_HOST_UNREACH", "ICMP_HOST_UNR_TOS", "ICMP_INFO_REPLY", "ICMP_INFO_REQUEST", "ICMP_NET_ANO",
    "ICMP_NET_UNKNOWN", "ICMP_NET_UNREACH", "ICMP_NET_UNR_TOS", "ICMP_PARAMETERPROB", "ICMP_PKT_FILTERED",
    "ICMP_PORT_UNREACH", "ICMP_PREC_CUTOFF", "ICMP_PREC_VIOLATION", "ICMP_PROT_UNREACH", "ICMP_REDIRECT",
    "ICMP_REDIR_HOST", "ICMP_REDIR_HOSTTOS", "ICMP_REDIR_NET", "ICMP_REDIR_NETTOS", "ICMP_SOURCE_QUENCH",
    "ICMP_SR_FAILED", "ICMP_TIMESTAMP", "ICMP_TIMESTAMPREPLY", "ICMP_TIME_EXCEEDED", "IcmpPacket", "IcmpRepr",
]

ICMP_HLEN: Final = 8

ICMP_ECHOREPLY: Final = 0
ICMP_DEST_UNREACH: Final = 3
ICMP_SOURCE_QUENCH: Final = 4
ICMP_REDIRECT: Final = 5
ICMP_ECHO: Final = 8
ICMP_TIME_EXCEEDED: Final = 11
ICMP_PARAMETERPROB: Final = 12
ICMP_TIMESTAMP: Final = 13
ICMP_TIMESTAMPREPLY: Final = 14
ICMP_INFO_REQUEST: Final = 15
ICMP_INFO_REPLY: Final = 16

# Destination Unreachable codes
ICMP_NET_UNREACH: Final = 0
ICMP_HOST_UNREACH: Final = 1
ICMP_PROT_UNREACH: Final = 2
ICMP_PORT_UNREACH: Final = 3
ICMP_FRAG_NEEDED: Final = 4
ICMP_SR_FAILED: Final = 5
ICMP_NET_UNKNOWN: Final = 6
ICMP_HOST_UNKNOWN: Final = 7
ICMP_HOST_ISOLATED: Final = 8
ICMP_NET_ANO: Final = 9
ICMP_HOST_ANO: Final = 10
ICMP_NET_UNR_TOS: Final = 11
ICMP_HOST_UNR_TOS: Final = 12
ICMP_PKT_FILTERED: Final = 13
ICMP_PREC_VIOLATION: Final = 14
ICMP_PREC_CUTOFF: Final = 15

# Redirect codes
ICMP_REDIR_NET: Final = 0
ICMP_REDIR_HOST: Final = 1
ICMP_REDIR_NETTOS: Final = 2
ICMP_REDIR_HOSTTOS: Final = 3

# Time Exceeded codes
ICMP_EXC_TTL: Final = 0
ICMP_EXC_FRAGTIME: Final = 1

ICMP_ERROR_TYPES: Final = frozenset(
    {ICMP_DEST_UNREACH, ICMP_SOURCE_QUENCH, ICMP_REDIRECT, ICMP_TIME_EXCEEDED, ICMP_PARAMETERPROB})

Buffer = bytes | bytearray | memoryview
_HDR = struct.Struct("!BBHI")


def _check_quote(data: Buffer) -> None:
    if len(data) < 20:
        raise WireError(f"icmp error: quoted datagram is {len(data)} bytes, an IPv4 header needs 20")
    vihl = data[0]
    if vihl >> 4 != 4 or (vihl & 15) < 5 or (vihl & 15) * 4 > len(data):
        raise WireError("icmp error: the quoted datagram is not an IPv4 header")


class IcmpPacket:
    """Zero-copy view of an ICMP message (the buffer is the whole message)."""

    __slots__ = ("buf",)
    HEADER_LEN: Final = ICMP_HLEN
    header_len: Final = ICMP_HLEN

    def __init__(self, buf: Buffer) -> None:
        self.buf = buf

    @classmethod
    def new_checked(cls, buf: Buffer) -> IcmpPacket:
        if len(buf) < ICMP_HLEN:
            raise WireError(f"icmp: {len(buf)} bytes, header needs {ICMP_HLEN}")
        return cls(buf)

    def _u16(self, off: int) -> int:
        b = self.buf
        return (b[off] << 8) | b[off + 1]

    def _put16(self, off: int, v: int) -> None:
        self.buf[off:off + 2] = v.to_bytes(2, "big")  # type: ignore[index]

    @property
    def type(self) -> int:
        return self.buf[0]

    @type.setter
    def type(self, v: int) -> None:
        self.buf[0] = v  # type: ignore[index]

    @property
    def code(self) -> int:
        return self.buf[1]

    @code.setter
    def code(self, v: int) -> None:
        self.buf[1] = v  # type: ignore[index]

    @property
    def checksum(self) -> int:
        return self._u16(2)

    @checksum.setter
    def checksum(self, v: int) -> None:
        self._put16(2, v)

    @property
    def rest(self) -> int:
        """The 32-bit rest-of-header word."""
        return int.from_bytes(self.buf[4:8], "big")

    @rest.setter
    def rest(self, v: int) -> None:
        self.buf[4:8] = v.to_bytes(4, "big")  # type: ignore[index]

    @property
    def ident(self) -> int:
        return self._u16(4)

    @ident.setter
    def ident(self, v: int) -> None:
        self._put16(4, v)

    @property
    def seq(self) -> int:
        return self._u16(6)

    @seq.setter
    def seq(self, v: int) -> None:
        self._put16(6, v)

    @property
    def next_hop_mtu(self) -> int:
        return self._u16(6)

    @next_hop_mtu.setter
    def next_hop_mtu(self, v: int) -> None:
        self._put16(6, v)

    @property
    def pointer(self) -> int:
        return self.buf[4]

    @pointer.setter
    def pointer(self, v: int) -> None:
        self.buf[4] = v  # type: ignore[index]

    @property
    def gateway(self) -> int:
        return self.rest

    @gateway.setter
    def gateway(self, v: int) -> None:
        self.rest = v

    @property
    def payload(self) -> memoryview:
        """The data after the 8-byte header (echo data, or the quoted datagram)."""
        return memoryview(self.buf)[ICMP_HLEN:]

    def verify_checksum(self) -> bool:
        return internet_checksum(self.buf) == 0

    def fill_checksum(self) -> None:
        self._put16(2, 0)
        self._put16(2, internet_checksum(self.buf))


@dataclass(frozen=True, slots=True)
class IcmpRepr:
    """An ICMP message: type, code, the 32-bit rest of header, data."""

    type: int
    code: int = 0
    rest: int = 0
    data: bytes = b""

    HEADER_LEN = ICMP_HLEN

    def __post_init__(self) -> None:
        if not (0 <= self.type <= 255 and 0 <= self.code <= 255 and 0 <= self.rest <= 0xFFFFFFFF):
            raise ValueError("icmp field out of range")

    # -- constructors ------------------------------------------------------
    @classmethod
    def echo_request(cls, ident: int, seq: int, data: bytes = b"") -> IcmpRepr:
        return cls(ICMP_ECHO, 0, _echo_rest(ident, seq), bytes(data))

    @classmethod
    def echo_reply(cls, ident: int, seq: int, data: bytes = b"") -> IcmpRepr:
        return cls(ICMP_ECHOREPLY, 0, _echo_rest(ident, seq), bytes(data))

    @classmethod
    def dest_unreachable(cls, code: int, quoted: bytes, next_hop_mtu: int = 0) -> IcmpRepr:
        """``quoted``: the offending IP header + 8 bytes; ``next_hop_mtu`` for ICMP_FRAG_NEEDED."""
        if not 0 <= next_hop_mtu <= 0xFFFF:
            raise ValueError("next-hop MTU out of range")
        return cls(ICMP_DEST_UNREACH, code, next_hop_mtu, bytes(quoted))

    @classmethod
    def source_quench(cls, quoted: bytes) -> IcmpRepr:
        return cls(ICMP_SOURCE_QUENCH, 0, 0, bytes(quoted))

    @classmethod
    def redirect(cls, code: int, gateway: int, quoted: bytes) -> IcmpRepr:
        return cls(ICMP_REDIRECT, code, gateway, bytes(quoted))

    @classmethod
    def time_exceeded(cls, code: int, quoted: bytes) -> IcmpRepr:
        return cls(ICMP_TIME_EXCEEDED, code, 0, bytes(quoted))

    @classmethod
    def parameter_problem(cls, pointer: int, quoted: bytes, code: int = 0) -> IcmpRepr:
        if not 0 <= pointer <= 255:
            raise ValueError("parameter problem pointer out of range")
        return cls(ICMP_PARAMETERPROB, code, pointer << 24, bytes(quoted))

    # -- typed views of ``rest`` ------------------------------------------
    @property
    def ident(self) -> int:
        return self.rest >> 16

    @property
    def seq(self) -> int:
        return self.rest & 0xFFFF

    @property
    def next_hop_mtu(self) -> int:
        return self.rest & 0xFFFF

    @property
    def pointer(self) -> int:
        return self.rest >> 24

    @property
    def gateway(self) -> int:
        return self.rest

    @property
    def is_error(self) -> bool:
        return self.type in ICMP_ERROR_TYPES

    # -- codec ------------------------------------------------------------
    @classmethod
    def parse(cls, packet: IcmpPacket | Buffer, *, verify_checksum: bool = True) -> IcmpRepr:
        buf = packet.buf if isinstance(packet, IcmpPacket) else packet
        if len(buf) < ICMP_HLEN:
            raise WireError(f"icmp: {len(buf)} bytes, header needs {ICMP_HLEN}")
        if verify_checksum and internet_checksum(buf) != 0:
            raise WireError("icmp: bad checksum")
        type_, code, _csum, rest = _HDR.unpack_from(buf)
        data = bytes(buf[ICMP_HLEN:])
        if type_ in ICMP_ERROR_TYPES:
            _check_quote(data)
        return cls(type_, code, rest, data)

    def buffer_len(self) -> int:
        """Header + data."""
        return ICMP_HLEN + len(self.data)

    def emit(self, buf: bytearray | memoryview, *, checksum: bool = True) -> None:
        """Write the whole message (header and data) with its checksum at ``buf[0:]``."""
        n = ICMP_HLEN + len(self.data)
        if len(buf) < n:
            raise ValueError("buffer too small for the icmp message")
        _HDR.pack_into(buf, 0, self.type, self.code, 0, self.rest)
        buf[ICMP_HLEN:n] = self.data
        if checksum:
            c = internet_checksum(memoryview(buf)[:n])
            buf[2] = c >> 8
            buf[3] = c & 0xFF

    def to_bytes(self, *, checksum: bool = True) -> bytes:
        out = bytearray(ICMP_HLEN + len(self.data))
        self.emit(out, checksum=checksum)
        return bytes(out)


def _echo_rest(ident: int, seq: int) -> int:
    if not (0 <= ident <= 0xFFFF and 0 <= seq <= 0xFFFF):
        raise ValueError("echo identifier and sequence are u16")
    return (ident << 16) | seq
