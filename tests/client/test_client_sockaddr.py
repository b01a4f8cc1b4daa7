"""Address encoding and decoding, checked against the host's kernel and CPython."""
from __future__ import annotations

import ctypes
import socket
import struct
import uuid
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from client import _sockaddr
from client._sockaddr import decode, encode

libc = ctypes.CDLL(None, use_errno=True)


def raw_name(sock: socket.socket, peer: bool = False) -> tuple[bytes, int]:
    """The raw sockaddr the host kernel reports for a stdlib socket."""
    size = _sockaddr.sockaddr_len(sock.family)
    buf = ctypes.create_string_buffer(size)
    ln = ctypes.c_uint32(size)
    fn = libc.getpeername if peer else libc.getsockname
    assert fn(sock.fileno(), buf, ctypes.byref(ln)) == 0
    return buf.raw[: min(ln.value, size)], ln.value


def outcome(fn: Any, *args: Any) -> Any:
    try:
        return ("ok", fn(*args))
    except Exception as exc:  # noqa: BLE001
        return (type(exc), str(exc))


# --- decode: what the kernel gives back, as CPython shows it --------------------------


@pytest.mark.parametrize("kind", [socket.SOCK_STREAM, socket.SOCK_DGRAM])
def test_decode_unix_names_like_cpython(kind: int, tmp_path: Any) -> None:
    names: list[Any] = [str(tmp_path / "a.sock"), b"\0abstract-" + uuid.uuid4().hex.encode(), "", None]
    for name in names:
        with socket.socket(socket.AF_UNIX, kind) as s:
            if name is not None:
                s.bind(name)
            raw, ln = raw_name(s)
            assert decode(raw, ln) == s.getsockname()


def test_decode_unix_autobind_and_peer() -> None:
    a, b = socket.socketpair()
    with a, b:
        raw, ln = raw_name(a, peer=True)
        assert decode(raw, ln) == a.getpeername() == ""
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as s:
        s.bind("")  # autobind: an abstract name of 5 hex digits
        raw, ln = raw_name(s)
        got = decode(raw, ln)
        assert got == s.getsockname()
        assert isinstance(got, bytes) and len(got) == 6 and got[0] == 0


def test_decode_unix_recvfrom_address(tmp_path: Any) -> None:
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as rx, socket.socket(
        socket.AF_UNIX, socket.SOCK_DGRAM
    ) as tx:
        rx.bind(str(tmp_path / "rx"))
        tx.bind(str(tmp_path / "tx"))
        tx.sendto(b"x", str(tmp_path / "rx"))
        size = 110
        buf, abuf, ln = ctypes.create_string_buffer(8), ctypes.create_string_buffer(size), ctypes.c_uint32(size)
        assert libc.recvfrom(rx.fileno(), buf, 8, 0, abuf, ctypes.byref(ln)) == 1
        assert decode(abuf.raw[: ln.value], ln.value) == str(tmp_path / "tx")


def test_decode_no_address_is_none() -> None:
    assert decode(b"", 0) is None


def test_decode_inet() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        raw, ln = raw_name(s)
        assert decode(raw, ln) == s.getsockname()
    assert decode(struct.pack("<H", 2) + bytes(14), 16) == ("0.0.0.0", 0)


def test_decode_inet6() -> None:
    raw = struct.pack("<H", 10) + struct.pack(">HI", 8080, 5) + socket.inet_pton(socket.AF_INET6, "::1")
    raw += struct.pack("<I", 3)
    assert decode(raw, 28) == ("::1", 8080, 5, 3)


def test_decode_unknown_family_like_cpython() -> None:
    raw = struct.pack("<H", 3) + bytes(range(1, 15))  # AF_AX25: CPython has no form for it (17 is AF_PACKET now)
    assert decode(raw, 16) == (3, bytes(range(1, 15)))


def test_decode_path_with_surrogates() -> None:
    raw = struct.pack("<H", 1) + b"/tmp/\xff\0"
    assert decode(raw, len(raw)) == "/tmp/\udcff"


# --- encode: getsockaddrarg ----------------------------------------------------------


def test_encode_unix_forms() -> None:
    fam = struct.pack("<H", 1)
    assert encode(1, "/tmp/x", "bind") == fam + b"/tmp/x\0"
    assert encode(1, b"/tmp/x", "bind") == fam + b"/tmp/x\0"
    assert encode(1, bytearray(b"/tmp/x"), "bind") == fam + b"/tmp/x\0"
    assert encode(1, b"\0abs", "bind") == fam + b"\0abs"
    assert encode(1, "", "bind") == fam
    assert encode(1, "/tmp/\udcff", "bind") == fam + b"/tmp/\xff\0"
    assert encode(1, "x" * 107, "bind") == fam + b"x" * 107 + b"\0"
    assert encode(1, b"\0" + b"x" * 107, "bind") == fam + b"\0" + b"x" * 107


def test_encode_inet_forms() -> None:
    def sin(port: int, addr: str) -> bytes:
        return struct.pack("<H", 2) + struct.pack(">H", port) + socket.inet_aton(addr) + bytes(8)

    assert encode(2, ("127.0.0.1", 80), "bind") == sin(80, "127.0.0.1")
    assert encode(2, ("", 0), "bind") == sin(0, "0.0.0.0")
    assert encode(2, ("<broadcast>", 9), "bind") == sin(9, "255.255.255.255")
    assert encode(2, (b"10.1.2.3", 65535), "bind") == sin(65535, "10.1.2.3")
    assert encode(2, ("127.1", 1), "bind") == sin(1, "127.0.0.1")
    assert encode(2, ("localhost", 1), "bind") == sin(1, "127.0.0.1")


BAD_UNIX: list[Any] = [5, None, ("a", 1), "x" * 108, "x" * 107 + "\0", b"\0" + b"x" * 108, [b"x"]]
BAD_INET: list[Any] = [
    "x", ("a",), ("127.0.0.1", "80"), ("127.0.0.1", 70000), ("127.0.0.1", -1), ("127.0.0.1", 2**40),
    (5, 80), ("127.0.0.1\0", 80), ("no.such.host.invalid", 80), ("127.0.0.1", 1.5), ["127.0.0.1", 80],
    ("bad.invalid", 70000), ("bad.invalid", 2**40), ("1.2.3.4 x", 1),
]


@pytest.mark.parametrize("address", BAD_UNIX, ids=repr)
def test_encode_unix_errors_match_cpython(address: Any) -> None:
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as s:
        want = outcome(s.bind, address)
    got = outcome(encode, 1, address, "bind")
    assert want[0] is not "ok"  # noqa: F632
    assert got == want


@pytest.mark.parametrize("caller", ["bind", "connect", "sendto"])
@pytest.mark.parametrize("address", BAD_INET, ids=repr)
def test_encode_inet_errors_match_cpython(address: Any, caller: str) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        fn = getattr(s, caller)
        want = outcome(fn, b"x", address) if caller == "sendto" else outcome(fn, address)
    got = outcome(encode, 2, address, caller)
    assert want[0] is not "ok"  # noqa: F632
    assert got == want


def test_sockaddr_len_like_getsockaddrlen() -> None:
    assert _sockaddr.sockaddr_len(socket.AF_UNIX) == 110
    assert _sockaddr.sockaddr_len(socket.AF_INET) == 16
    assert _sockaddr.sockaddr_len(socket.AF_INET6) == 28
    with pytest.raises(OSError, match="getsockaddrlen: bad family"):
        _sockaddr.sockaddr_len(12345)


# --- round trips -------------------------------------------------------------------

paths = st.binary(min_size=1, max_size=107).filter(lambda b: b[0] != 0 and b"\0" not in b)
abstract = st.binary(max_size=107).map(lambda b: b"\0" + b)


@given(paths)
def test_unix_path_round_trip(path: bytes) -> None:
    raw = encode(1, path, "bind")
    assert decode(raw, len(raw)) == path.decode("utf-8", "surrogateescape")


@given(abstract)
def test_unix_abstract_round_trip(name: bytes) -> None:
    raw = encode(1, name, "bind")
    assert decode(raw, len(raw)) == name


@given(st.tuples(st.integers(0, 255), st.integers(0, 255), st.integers(0, 255), st.integers(0, 255)),
       st.integers(0, 65535))
def test_inet_round_trip(octets: tuple[int, int, int, int], port: int) -> None:
    host = ".".join(map(str, octets))
    raw = encode(2, (host, port), "connect")
    assert len(raw) == 16
    assert decode(raw, 16) == (host, port)
