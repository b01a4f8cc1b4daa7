"""client/_sockaddr's AF_PACKET conversions against CPython's getsockaddrarg / makesockaddr.

The error cases are compared with the stdlib socket module on a real AF_PACKET
socket (root only; skipped otherwise); the encodings with struct sockaddr_ll.
"""
from __future__ import annotations

import socket
import struct
from typing import Any

import pytest

from client import _sockaddr
from kernel import uapi

DEVICES = {"lo": 1, "eth0": 2}


def ifindex_of(name: str) -> int:
    try:
        return DEVICES[name]
    except KeyError:
        raise OSError(19, "No such device") from None


def ifname_of(index: int) -> str:
    for name, idx in DEVICES.items():
        if idx == index:
            return name
    raise OSError(6, "No such device or address")


def test_encode_sockaddr_ll() -> None:
    raw = _sockaddr.encode(uapi.AF_PACKET, ("eth0", 0x88B5, 3, 1, b"\x02" * 6), "sendto", ifindex_of=ifindex_of)
    assert raw == struct.pack("<H", 17) + b"\x88\xb5" + struct.pack("<iHBB", 2, 1, 3, 6) + b"\x02" * 6 + bytes(2)
    raw = _sockaddr.encode(uapi.AF_PACKET, ("lo", 0, 300, 70000), "sendto", ifindex_of=ifindex_of)
    assert raw == struct.pack("<H", 17) + bytes(2) + struct.pack("<iHBB", 1, 70000 & 0xFFFF, 300 & 0xFF, 0) + bytes(8)
    assert _sockaddr.sockaddr_len(uapi.AF_PACKET) == 20
    with pytest.raises(OSError) as e:
        _sockaddr.encode(uapi.AF_PACKET, ("lo", 0), "sendto")
    assert e.value.errno == 19


def test_decode_sockaddr_ll() -> None:
    raw = struct.pack("<H", 17) + b"\x88\xb5" + struct.pack("<iHBB", 2, 772, 4, 6) + b"\x0a" * 6 + bytes(2)
    assert _sockaddr.decode(raw, 20, ifname_of=ifname_of) == ("eth0", 0x88B5, 4, 772, b"\x0a" * 6)
    assert _sockaddr.decode(raw, 20) == ("", 0x88B5, 4, 772, b"\x0a" * 6)
    short = struct.pack("<H", 17) + b"\x00\x03" + bytes(8)
    assert _sockaddr.decode(short, 12, ifname_of=ifname_of) == ("", 3, 0, 0, b"")


BAD = [("lo",), ("lo", 0, 0, 0, b"", 1), (1, 0), ("lo", "x"), ("lo", 70000), ("lo", -1), ("nope0", 0),
       ("lo", 0, 0, 0, b"123456789"), ("lo\0", 0), ("lo", 2**40), "lo", ("lo", 0, 0, 0, "ab"), ("nope0", 70000)]


def _outcome(fn: Any) -> tuple[str, str]:
    try:
        fn()
    except Exception as e:  # noqa: BLE001  (the exception is the observation)
        return type(e).__name__, str(e)
    return "ok", ""


@pytest.mark.parametrize("address", BAD, ids=repr)
def test_errors_match_cpython(address: Any) -> None:
    try:
        real = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)
    except PermissionError:
        pytest.skip("AF_PACKET needs CAP_NET_RAW on this machine")
    with real:
        want = _outcome(lambda: real.sendto(bytes(14), address))
    lo = socket.if_nametoindex("lo")

    def local(name: str) -> int:
        if name == "lo":
            return lo
        raise OSError(19, "No such device")

    got = _outcome(lambda: _sockaddr.encode(uapi.AF_PACKET, address, "sendto", ifindex_of=local))
    if want[0] == "ok":
        assert got[0] == "ok"
    else:
        assert got == want
