"""Wire codecs: the header formats of Ethernet II, ARP, IPv4, ICMP, UDP and TCP.

In the style of smoltcp's ``wire`` module, each header module gives

- a zero-copy view ``XxxPacket(buf)`` over ``bytes``/``bytearray``/``memoryview``
  (field getters; setters when the buffer is writable), with
  ``XxxPacket.new_checked(buf)`` that validates the buffer's length and the
  header's own length fields, ``header_len`` and ``payload`` (a memoryview);
- a small ``@dataclass(frozen=True, slots=True) class XxxRepr`` with
  ``XxxRepr.parse(packet_or_bytes, ...)``, ``buffer_len()``, ``emit(buf, ...)``
  and a convenience ``to_bytes(...)``.  If a Repr can be constructed it can be
  emitted: constructors validate their fields (``ValueError``).

Contract: parsing never raises anything but :class:`WireError` (a subclass of
``ValueError``) on malformed input -- truncated buffers, bad lengths, bad
checksums, malformed options.  The stack catches it, drops the packet and
counts it ("malformed input is dropped and counted, never raises out of the
stack").  IPv4 addresses are ``int`` (host byte order u32); MAC addresses are
6-byte ``bytes``.  Nothing here keeps state or does I/O.
"""
from __future__ import annotations


class WireError(ValueError):
    """A malformed packet: too short, bad length field, bad checksum, bad option."""


__all__ = ["WireError"]
