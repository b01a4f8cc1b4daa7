"""Ethernet II frames (IEEE 802.3 clause 3.1.1 with the DIX type field; RFC 894).

Layout: destination MAC (6), source MAC (6), ethertype (2, big-endian), then
the payload.  No FCS: frames are handed around without it, as Linux's
net_device does.  An ethertype below 0x0600 is an 802.3 length field; it is
carried as is (the stack drops what it does not know).

``EthernetPacket(buf)`` is a zero-copy view; ``EthernetPacket.new_checked``
raises :class:`WireError` on a buffer shorter than ``ETH_HLEN``.
``EthernetRepr(dst, src, ethertype)`` parses and emits the 14-byte header.
MAC addresses are 6-byte ``bytes``; ``mac_aton``/``mac_ntoa`` convert the
``aa:bb:cc:dd:ee:ff`` text form.  Constants carry Linux's names
(include/uapi/linux/if_ether.h).
"""
from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Final

from kernel.net.wire import WireError

__all__ = [
    "BROADCAST_MAC", "ETH_ALEN", "ETH_DATA_LEN", "ETH_FRAME_LEN", "ETH_HLEN", "ETH_P_8021Q", "ETH_P_ALL",
    "ETH_P_ARP", "ETH_P_IP", "ETH_P_IPV6", "ETH_P_LOOP", "ETH_ZLEN", "ZERO_MAC", "EthernetPacket",
    "EthernetRepr", "is_broadcast", "is_multicast", "is_unicast", "mac_aton", "mac_ntoa",
]

ETH_ALEN: Final = 6
ETH_HLEN: Final = 14
ETH_ZLEN: Final = 60          # minimum frame length without FCS
ETH_DATA_LEN: Final = 1500
ETH_FRAME_LEN: Final = 1514

ETH_P_LOOP: Final = 0x0060
ETH_P_ALL: Final = 0x0003     # AF_PACKET "every protocol" (never on the wire)
ETH_P_IP: Final = 0x0800
ETH_P_ARP: Final = 0x0806
ETH_P_8021Q: Final = 0x8100
ETH_P_IPV6: Final = 0x86DD

BROADCAST_MAC: Final = b"\xff" * 6
ZERO_MAC: Final = b"\x00" * 6

Buffer = bytes | bytearray | memoryview
_HDR = struct.Struct("!6s6sH")


def mac_ntoa(mac: Buffer) -> str:
    """``b'\\x02\\x00\\x00\\x00\\x00\\x01'`` -> ``'02:00:00:00:00:01'`` (lower case)."""
    if len(mac) != ETH_ALEN:
        raise ValueError(f"a MAC address is 6 bytes, not {len(mac)}")
    return bytes(mac).hex(":")


def mac_aton(text: str) -> bytes:
    """``'02:00:00:00:00:01'`` (or ``-`` separated) -> 6 bytes; ``ValueError`` otherwise."""
    parts = text.replace("-", ":").split(":")
    if len(parts) != ETH_ALEN or not all(1 <= len(p) <= 2 for p in parts):
        raise ValueError(f"not a MAC address: {text!r}")
    try:
        return bytes(int(p, 16) for p in parts)
    except ValueError:
        raise ValueError(f"not a MAC address: {text!r}") from None


def is_multicast(mac: Buffer) -> bool:
    """The group bit (I/G, least significant bit of the first octet) is set; includes broadcast."""
    return bool(mac[0] & 1)


def is_broadcast(mac: Buffer) -> bool:
    return bytes(mac) == BROADCAST_MAC


def is_unicast(mac: Buffer) -> bool:
    """Not a group address and not all zeros (is_valid_ether_addr)."""
    return not (mac[0] & 1) and bytes(mac) != ZERO_MAC


class EthernetPacket:
    """Zero-copy view of an Ethernet II frame."""

    __slots__ = ("buf",)
    HEADER_LEN: Final = ETH_HLEN
    header_len: Final = ETH_HLEN

    def __init__(self, buf: Buffer) -> None:
        self.buf = buf

    @classmethod
    def new_checked(cls, buf: Buffer) -> EthernetPacket:
        if len(buf) < ETH_HLEN:
            raise WireError(f"ethernet: {len(buf)} bytes, header needs {ETH_HLEN}")
        return cls(buf)

    @property
    def dst(self) -> bytes:
        return bytes(self.buf[0:6])

    @dst.setter
    def dst(self, mac: bytes) -> None:
        self.buf[0:6] = mac  # type: ignore[index]

    @property
    def src(self) -> bytes:
        return bytes(self.buf[6:12])

    @src.setter
    def src(self, mac: bytes) -> None:
        self.buf[6:12] = mac  # type: ignore[index]

    @property
    def ethertype(self) -> int:
        return int.from_bytes(self.buf[12:14], "big")

    @ethertype.setter
    def ethertype(self, value: int) -> None:
        self.buf[12:14] = value.to_bytes(2, "big")  # type: ignore[index]

    @property
    def payload(self) -> memoryview:
        return memoryview(self.buf)[ETH_HLEN:]


@dataclass(frozen=True, slots=True)
class EthernetRepr:
    """The Ethernet II header: destination, source, ethertype."""

    dst: bytes
    src: bytes
    ethertype: int

    HEADER_LEN = ETH_HLEN

    def __post_init__(self) -> None:
        if len(self.dst) != ETH_ALEN or len(self.src) != ETH_ALEN:
            raise ValueError("MAC addresses are 6 bytes")
        if not 0 <= self.ethertype <= 0xFFFF:
            raise ValueError(f"ethertype out of range: {self.ethertype}")

    @classmethod
    def parse(cls, packet: EthernetPacket | Buffer) -> EthernetRepr:
        buf = packet.buf if isinstance(packet, EthernetPacket) else packet
        if len(buf) < ETH_HLEN:
            raise WireError(f"ethernet: {len(buf)} bytes, header needs {ETH_HLEN}")
        dst, src, ethertype = _HDR.unpack_from(buf)
        return cls(dst, src, ethertype)

    def buffer_len(self) -> int:
        return ETH_HLEN

    def emit(self, buf: bytearray | memoryview) -> None:
        """Write the 14-byte header at the start of ``buf``."""
        if len(buf) < ETH_HLEN:
            raise ValueError("buffer too small for an ethernet header")
        _HDR.pack_into(buf, 0, self.dst, self.src, self.ethertype)

    def to_bytes(self, payload: Buffer = b"") -> bytes:
        return _HDR.pack(self.dst, self.src, self.ethertype) + bytes(payload)
