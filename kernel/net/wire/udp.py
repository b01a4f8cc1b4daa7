"""UDP datagrams over IPv4 (RFC 768; checksum rules RFC 1122 4.1.3.4).

Layout: source port (16), destination port (16), length (16, header + data),
checksum (16), data.  The checksum covers the IPv4 pseudo-header (source,
destination, zero, protocol 17, UDP length), the header and the data.  A
transmitted checksum of 0 means "none" (allowed on IPv4); a computed
checksum of 0 is sent as 0xFFFF (RFC 768, "Checksum").

``UdpPacket(buf)`` is a zero-copy view; ``new_checked`` checks what Linux's
__udp4_lib_rcv checks: at least 8 bytes, 8 <= length field <= buffer
(``payload`` stops at the length field; trailing bytes are ignored).
``UdpRepr(src_port, dst_port)`` holds the ports; the data stays in the
caller's buffer.  ``parse(packet, src_addr, dst_addr)`` verifies the checksum
unless it is 0 or ``verify_checksum=False``; ``emit(buf, src_addr, dst_addr,
payload_len)`` writes the header in front of ``payload_len`` data bytes
already at ``buf[8:]`` and fills the checksum (``checksum=False`` writes 0).
"""
from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Final

from kernel.net.wire import WireError
from kernel.net.wire.checksum import internet_checksum, pseudo_header_sum

__all__ = ["UDP_HLEN", "UdpPacket", "UdpRepr", "udp_checksum"]

UDP_HLEN: Final = 8
_IPPROTO_UDP: Final = 17

Buffer = bytes | bytearray | memoryview
_HDR = struct.Struct("!HHHH")


def udp_checksum(datagram: Buffer, src_addr: int, dst_addr: int) -> int:
    """The checksum of a whole datagram (header with checksum field 0, and data), as sent (0 -> 0xFFFF)."""
    c = internet_checksum(datagram, pseudo_header_sum(src_addr, dst_addr, _IPPROTO_UDP, len(datagram)))
    return c or 0xFFFF


class UdpPacket:
    """Zero-copy view of a UDP datagram."""

    __slots__ = ("buf",)
    HEADER_LEN: Final = UDP_HLEN
    header_len: Final = UDP_HLEN

    def __init__(self, buf: Buffer) -> None:
        self.buf = buf

    @classmethod
    def new_checked(cls, buf: Buffer) -> UdpPacket:
        n = len(buf)
        if n < UDP_HLEN:
            raise WireError(f"udp: {n} bytes, header needs {UDP_HLEN}")
        length = (buf[4] << 8) | buf[5]
        if length < UDP_HLEN:
            raise WireError(f"udp: length field {length} < {UDP_HLEN}")
        if length > n:
            raise WireError(f"udp: length field {length} > buffer {n}")
        return cls(buf)

    def _u16(self, off: int) -> int:
        b = self.buf
        return (b[off] << 8) | b[off + 1]

    def _put16(self, off: int, v: int) -> None:
        self.buf[off:off + 2] = v.to_bytes(2, "big")  # type: ignore[index]

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
    def length(self) -> int:
        return self._u16(4)

    @length.setter
    def length(self, v: int) -> None:
        self._put16(4, v)

    @property
    def checksum(self) -> int:
        return self._u16(6)

    @checksum.setter
    def checksum(self, v: int) -> None:
        self._put16(6, v)

    @property
    def payload(self) -> memoryview:
        return memoryview(self.buf)[UDP_HLEN:self.length]

    def verify_checksum(self, src_addr: int, dst_addr: int) -> bool:
        """True when the checksum is 0 (none) or correct for the pseudo-header."""
        if self.checksum == 0:
            return True
        length = self.length
        return internet_checksum(memoryview(self.buf)[:length],
                                 pseudo_header_sum(src_addr, dst_addr, _IPPROTO_UDP, length)) == 0

    def fill_checksum(self, src_addr: int, dst_addr: int) -> None:
        self._put16(6, 0)
        self._put16(6, udp_checksum(memoryview(self.buf)[:self.length], src_addr, dst_addr))


@dataclass(frozen=True, slots=True)
class UdpRepr:
    """A UDP header: the two ports (length and checksum are computed at emit)."""

    src_port: int
    dst_port: int

    HEADER_LEN = UDP_HLEN

    def __post_init__(self) -> None:
        if not (0 <= self.src_port <= 0xFFFF and 0 <= self.dst_port <= 0xFFFF):
            raise ValueError("udp ports are u16")

    @classmethod
    def parse(cls, packet: UdpPacket | Buffer, src_addr: int = 0, dst_addr: int = 0, *,
              verify_checksum: bool = True) -> UdpRepr:
        """Ports of a checked datagram; ``WireError`` on a bad length or checksum.

        ``src_addr``/``dst_addr`` (the IPv4 addresses, host-order ints) are
        needed for the checksum unless ``verify_checksum=False``.
        """
        buf = packet.buf if isinstance(packet, UdpPacket) else packet
        n = len(buf)
        if n < UDP_HLEN:
            raise WireError(f"udp: {n} bytes, header needs {UDP_HLEN}")
        sport, dport, length, csum = _HDR.unpack_from(buf)
        if length < UDP_HLEN or length > n:
            raise WireError(f"udp: length field {length} for a {n}-byte buffer")
        if verify_checksum and csum != 0:
            if internet_checksum(memoryview(buf)[:length],
                                 pseudo_header_sum(src_addr, dst_addr, _IPPROTO_UDP, length)) != 0:
                raise WireError("udp: bad checksum")
        return cls(sport, dport)

    def buffer_len(self) -> int:
        """The header length (8); the payload is the caller's."""
        return UDP_HLEN

    def emit(self, buf: bytearray | memoryview, src_addr: int, dst_addr: int, payload_len: int, *,
             checksum: bool = True) -> None:
        """Write the header at ``buf[0:8]`` for the ``payload_len`` bytes at ``buf[8:]``, checksum included."""
        length = UDP_HLEN + payload_len
        if payload_len < 0 or length > 0xFFFF:
            raise ValueError(f"udp payload length {payload_len} out of range")
        if len(buf) < length:
            raise ValueError("buffer too small for the udp datagram")
        _HDR.pack_into(buf, 0, self.src_port, self.dst_port, length, 0)
        if checksum:
            c = udp_checksum(memoryview(buf)[:length], src_addr, dst_addr)
            buf[6] = c >> 8
            buf[7] = c & 0xFF

    def to_bytes(self, payload: Buffer = b"", src_addr: int = 0, dst_addr: int = 0, *,
                 checksum: bool = True) -> bytes:
        out = bytearray(UDP_HLEN + len(payload))
        out[UDP_HLEN:] = payload
        self.emit(out, src_addr, dst_addr, len(payload), checksum=checksum)
        return bytes(out)
