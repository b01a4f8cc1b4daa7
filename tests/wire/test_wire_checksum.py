"""The Internet checksum (RFC 1071) against a plain word-by-word reference."""
from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from kernel.net.wire.checksum import finish, fold, internet_checksum, ones_sum, pseudo_header_sum


def reference(data: bytes, initial: int = 0) -> int:
    """RFC 1071 4.1, literally: 16-bit words, end-around carry, complement."""
    if len(data) % 2:
        data += b"\0"
    s = initial
    for i in range(0, len(data), 2):
        s += (data[i] << 8) | data[i + 1]
        while s >> 16:
            s = (s & 0xFFFF) + (s >> 16)
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def test_rfc1071_example() -> None:
    # RFC 1071 3: 00 01 f2 03 f4 f5 f6 f7 sums to dd f2
    data = bytes.fromhex("0001f203f4f5f6f7")
    assert fold(ones_sum(data)) == 0xDDF2
    assert internet_checksum(data) == 0x220D


def test_edge_values() -> None:
    assert internet_checksum(b"") == 0xFFFF
    assert internet_checksum(b"\0" * 7) == 0xFFFF
    assert internet_checksum(b"\xff\xff") == 0  # a "negative zero" sum
    assert internet_checksum(b"\x01") == 0xFEFF  # an odd byte is the high half of a word
    assert fold(0) == 0 and fold(0xFFFF) == 0xFFFF and fold(0x1FFFE) == 0xFFFF and finish(0x1FFFE) == 0


@given(st.binary(max_size=3000), st.integers(0, 0x3FFFF))
def test_matches_reference(data: bytes, initial: int) -> None:
    assert internet_checksum(data, initial) == reference(data, initial)
    assert internet_checksum(memoryview(data), initial) == reference(data, initial)
    assert internet_checksum(bytearray(data), initial) == reference(data, initial)
    assert finish(ones_sum(data, initial)) == reference(data, initial)


@given(st.binary(max_size=600).map(lambda b: b[: len(b) & ~1]), st.binary(max_size=600))
def test_partial_sums_compose(a: bytes, b: bytes) -> None:
    assert finish(ones_sum(b, ones_sum(a))) == internet_checksum(a + b)


@given(st.binary(max_size=600).map(lambda b: b[: len(b) & ~1]))
def test_message_with_its_checksum_verifies(data: bytes) -> None:
    c = internet_checksum(data)
    assert internet_checksum(data + c.to_bytes(2, "big")) == 0


@given(st.integers(0, 0xFFFFFFFF), st.integers(0, 0xFFFFFFFF), st.integers(0, 255), st.integers(0, 0xFFFF),
       st.binary(max_size=64))
def test_pseudo_header(src: int, dst: int, proto: int, length: int, data: bytes) -> None:
    pseudo = src.to_bytes(4, "big") + dst.to_bytes(4, "big") + bytes((0, proto)) + length.to_bytes(2, "big")
    assert internet_checksum(data, pseudo_header_sum(src, dst, proto, length)) == reference(pseudo + data)
