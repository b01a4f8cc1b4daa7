"""The Internet checksum (RFC 1071) and the IPv4 pseudo-header (RFC 768, RFC 9293 3.1).

The checksum is the ones' complement of the ones' complement sum of the data
taken as big-endian 16-bit words (an odd trailing byte is padded with a zero
byte on the right, RFC 1071 4.1).  Because 2**16 == 1 (mod 0xFFFF), the ones'
complement sum of the words of ``data`` is ``int.from_bytes(data) % 0xFFFF``,
except that a non-zero input whose sum is a multiple of 0xFFFF sums to 0xFFFF
("negative zero"), never 0.  That gives a C-speed checksum with no Python loop.

- ``ones_sum(data, initial)``: an *unfolded* partial sum (any non-negative int)
  that can be added to other partial sums and passed as ``initial``;
- ``fold(s)``: a partial sum folded to 16 bits (end-around carry);
- ``finish(s)``: ``~fold(s) & 0xFFFF``, the value to put in a checksum field;
- ``internet_checksum(data, initial)``: ``finish(ones_sum(data, initial))``.
  Over a message that carries a correct checksum it is 0 (RFC 1071 1.(3)).
- ``pseudo_header_sum(src, dst, proto, length)``: the partial sum of the IPv4
  pseudo-header (source, destination, zero, protocol, TCP/UDP length).
"""
from __future__ import annotations

__all__ = ["finish", "fold", "internet_checksum", "ones_sum", "pseudo_header_sum"]

Buffer = bytes | bytearray | memoryview


def ones_sum(data: Buffer, initial: int = 0) -> int:
    """Unfolded partial sum of ``data`` as 16-bit big-endian words, plus ``initial``.

    The result is congruent (mod 0xFFFF) to the ones' complement sum and is zero
    only when ``data`` and ``initial`` are all zero; feed it to :func:`fold` or
    :func:`finish`, or to another call as ``initial``.  ``data`` must start on a
    16-bit boundary of the summed message (odd length pads a zero byte).
    """
    n = int.from_bytes(data, "big")
    if len(data) & 1:
        n <<= 8
    # Reduce big ints so partial sums stay small; keep "non-zero" information.
    total = n + initial
    if total == 0:
        return 0
    r = total % 0xFFFF
    return r if r else 0xFFFF


def fold(s: int) -> int:
    """Fold a partial sum to 16 bits with end-around carry (0 only for an all-zero sum)."""
    if s == 0:
        return 0
    r = s % 0xFFFF
    return r if r else 0xFFFF


def finish(s: int) -> int:
    """The checksum field value for partial sum ``s``: the ones' complement of ``fold(s)``."""
    return ~fold(s) & 0xFFFF


def internet_checksum(data: Buffer, initial: int = 0) -> int:
    """RFC 1071 checksum of ``data`` (plus partial sum ``initial``, e.g. a pseudo-header).

    Computing it over a header whose checksum field is zero gives the value to
    store; computing it over a message with its checksum in place gives 0 when
    the checksum is correct.
    """
    n = int.from_bytes(data, "big")
    if len(data) & 1:
        n <<= 8
    total = n + initial
    if total == 0:
        return 0xFFFF
    r = total % 0xFFFF
    return 0xFFFF - r if r else 0


def pseudo_header_sum(src: int, dst: int, proto: int, length: int) -> int:
    """Partial sum of the IPv4 pseudo-header (RFC 768; RFC 9293 3.1).

    ``src``/``dst`` are host-order u32 addresses, ``proto`` the IP protocol
    number, ``length`` the TCP/UDP length (header + data).
    """
    return (src >> 16) + (src & 0xFFFF) + (dst >> 16) + (dst & 0xFFFF) + proto + length
