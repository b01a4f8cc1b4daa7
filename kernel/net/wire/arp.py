"""ARP for Ethernet and IPv4 (RFC 826; Linux include/uapi/linux/if_arp.h).

Layout: hardware type (2), protocol type (2), hardware address length (1),
protocol address length (1), operation (2), sender hardware address,
sender protocol address, target hardware address, target protocol address.

``ArpPacket(buf)`` is a zero-copy view of any ARP packet (generic lengths);
``new_checked`` raises :class:`WireError` when the buffer cannot hold the
addresses its own length fields announce.  ``ArpRepr`` is the Ethernet/IPv4
form only (htype 1, ptype 0x0800, hlen 6, plen 4; 28 bytes): ``parse`` raises
:class:`WireError` for anything else.  Bytes after the 28 (Ethernet padding)
are ignored.  Protocol addresses are host-order u32 ints.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Final

from kernel.net.wire import WireError

__all__ = [
    "ARPHRD_ETHER", "ARPOP_REPLY", "ARPOP_REQUEST", "ARP_HLEN", "ArpPacket", "ArpRepr",
]

ARPHRD_ETHER: Final = 1
ARPOP_REQUEST: Final = 1
ARPOP_REPLY: Final = 2
ARP_HLEN: Final = 28          # Ethernet/IPv4 ARP packet
_ETH_P_IP: Final = 0x0800

Buffer = bytes | bytearray | memoryview
_FIXED = struct.Struct("!HHBBH")
_ETH_IP = struct.Struct("!HHBBH6sI6sI")


class ArpPacket:
    """Zero-copy view of an ARP packet (any hardware/protocol address lengths)."""

    __slots__ = ("buf",)
    HEADER_LEN: Final = 8      # the fixed part before the addresses

    def __init__(self, buf: Buffer) -> None:
        self.buf = buf

    @classmethod
    def new_checked(cls, buf: Buffer) -> ArpPacket:
        if len(buf) < 8:
            raise WireError(f"arp: {len(buf)} bytes, fixed part needs 8")
        pkt = cls(buf)
        if len(buf) < pkt.header_len:
            raise WireError(f"arp: {len(buf)} bytes, addresses need {pkt.header_len}")
        return pkt

    def _u16(self, off: int) -> int:
        return int.from_bytes(self.buf[off:off + 2], "big")

    def _set(self, off: int, value: bytes) -> None:
        self.buf[off:off + len(value)] = value  # type: ignore[index]

    @property
    def hardware_type(self) -> int:
        return self._u16(0)

    @hardware_type.setter
    def hardware_type(self, v: int) -> None:
        self._set(0, v.to_bytes(2, "big"))

    @property
    def protocol_type(self) -> int:
        return self._u16(2)

    @protocol_type.setter
    def protocol_type(self, v: int) -> None:
        self._set(2, v.to_bytes(2, "big"))

    @property
    def hardware_len(self) -> int:
        return self.buf[4]

    @hardware_len.setter
    def hardware_len(self, v: int) -> None:
        self._set(4, bytes((v,)))

    @property
    def protocol_len(self) -> int:
        return self.buf[5]

    @protocol_len.setter
    def protocol_len(self, v: int) -> None:
        self._set(5, bytes((v,)))

    @property
    def operation(self) -> int:
        return self._u16(6)

    @operation.setter
    def operation(self, v: int) -> None:
        self._set(6, v.to_bytes(2, "big"))

    @property
    def header_len(self) -> int:
        """Length of the whole ARP packet as its length fields say."""
        return 8 + 2 * (self.buf[4] + self.buf[5])

    def _field(self, which: int) -> bytes:
        hl, pl = self.buf[4], self.buf[5]
        off = (8, 8 + hl, 8 + hl + pl, 8 + 2 * hl + pl)[which]
        ln = (hl, pl, hl, pl)[which]
        return bytes(self.buf[off:off + ln])

    def _put_field(self, which: int, value: bytes) -> None:
        hl, pl = self.buf[4], self.buf[5]
        off = (8, 8 + hl, 8 + hl + pl, 8 + 2 * hl + pl)[which]
        if len(value) != (hl, pl, hl, pl)[which]:
            raise ValueError("address length does not match the packet's length fields")
        self._set(off, value)

    @property
    def sender_hardware_addr(self) -> bytes:
        return self._field(0)

    @sender_hardware_addr.setter
    def sender_hardware_addr(self, v: bytes) -> None:
        self._put_field(0, v)

    @property
    def sender_protocol_addr(self) -> bytes:
        return self._field(1)

    @sender_protocol_addr.setter
    def sender_protocol_addr(self, v: bytes) -> None:
        self._put_field(1, v)

    @property
    def target_hardware_addr(self) -> bytes:
        return self._field(2)

    @target_hardware_addr.setter
    def target_hardware_addr(self, v: bytes) -> None:
        self._put_field(2, v)

    @property
    def target_protocol_addr(self) -> bytes:
        return self._field(3)

    @target_protocol_addr.setter
    def target_protocol_addr(self, v: bytes) -> None:
        self._put_field(3, v)

    @property
    def payload(self) -> memoryview:
        """What follows the ARP packet (Ethernet padding, usually)."""
        return memoryview(self.buf)[self.header_len:]


@dataclass(frozen=True, slots=True)
class ArpRepr:
    """An Ethernet/IPv4 ARP packet."""

    operation: int
    sender_mac: bytes
    sender_ip: int
    target_mac: bytes
    target_ip: int

    HEADER_LEN = ARP_HLEN

    def __post_init__(self) -> None:
        if not 0 <= self.operation <= 0xFFFF:
            raise ValueError(f"arp operation out of range: {self.operation}")
        if len(self.sender_mac) != 6 or len(self.target_mac) != 6:
            raise ValueError("MAC addresses are 6 bytes")
        if not (0 <= self.sender_ip <= 0xFFFFFFFF and 0 <= self.target_ip <= 0xFFFFFFFF):
            raise ValueError("IPv4 addresses are u32")

    @classmethod
    def parse(cls, packet: ArpPacket | Buffer) -> ArpRepr:
        buf = packet.buf if isinstance(packet, ArpPacket) else packet
        if len(buf) < ARP_HLEN:
            raise WireError(f"arp: {len(buf)} bytes, Ethernet/IPv4 ARP needs {ARP_HLEN}")
        htype, ptype, hlen, plen, op, sha, spa, tha, tpa = _ETH_IP.unpack_from(buf)
        if htype != ARPHRD_ETHER or ptype != _ETH_P_IP or hlen != 6 or plen != 4:
            raise WireError(f"arp: not Ethernet/IPv4 (htype {htype}, ptype {ptype:#06x}, hlen {hlen}, plen {plen})")
        return cls(op, sha, spa, tha, tpa)

    def buffer_len(self) -> int:
        return ARP_HLEN

    def emit(self, buf: bytearray | memoryview) -> None:
        if len(buf) < ARP_HLEN:
            raise ValueError("buffer too small for an ARP packet")
        _ETH_IP.pack_into(buf, 0, ARPHRD_ETHER, _ETH_P_IP, 6, 4, self.operation,
                          self.sender_mac, self.sender_ip, self.target_mac, self.target_ip)

    def to_bytes(self, payload: Buffer = b"") -> bytes:
        """The 28-byte packet (plus ``payload``, e.g. padding)."""
        return _ETH_IP.pack(ARPHRD_ETHER, _ETH_P_IP, 6, 4, self.operation,
                            self.sender_mac, self.sender_ip, self.target_mac, self.target_ip) + bytes(payload)
