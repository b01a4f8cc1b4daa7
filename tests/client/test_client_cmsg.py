"""Control-message packing and parsing, checked against glibc's layout and CPython."""
from __future__ import annotations

import array
import socket
import struct
import warnings
from typing import Any

import pytest

from client import _cmsg


def test_cmsg_len_and_space_match_the_stdlib() -> None:
    for n in range(200):
        assert _cmsg.CMSG_LEN(n) == socket.CMSG_LEN(n)
        assert _cmsg.CMSG_SPACE(n) == socket.CMSG_SPACE(n)
    for fn in (_cmsg.CMSG_LEN, _cmsg.CMSG_SPACE):
        with pytest.raises(OverflowError):
            fn(-1)
        with pytest.raises(TypeError):
            fn(1.5)  # type: ignore[arg-type]


def test_pack_layout() -> None:
    fds = array.array("i", [7, 8, 9])
    raw = _cmsg.pack([(socket.SOL_SOCKET, socket.SCM_RIGHTS, fds), (1, 2, b"")])
    first = struct.pack("<Qii", socket.CMSG_LEN(12), socket.SOL_SOCKET, socket.SCM_RIGHTS) + fds.tobytes()
    first += bytes(socket.CMSG_SPACE(12) - len(first))
    second = struct.pack("<Qii", socket.CMSG_LEN(0), 1, 2)
    assert raw == first + second
    assert len(raw) == socket.CMSG_SPACE(12) + socket.CMSG_SPACE(0)
    assert _cmsg.pack([]) == b""


def test_unpack_round_trip() -> None:
    items = [(1, 1, b"\1\0\0\0"), (41, 50, b"abcdefghij"), (0, 0, b"")]
    assert _cmsg.unpack(_cmsg.pack(items)) == items


def test_unpack_truncated_warns_like_cpython() -> None:
    raw = _cmsg.pack([(1, 1, b"12345678")])[: _cmsg.CMSG_LEN(4)]
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        assert _cmsg.unpack(raw) == [(1, 1, b"1234")]
    assert [w.category for w in seen] == [RuntimeWarning]
    assert _cmsg.unpack(raw[:10]) == []  # not even a header


def test_fds_of() -> None:
    anc = [(1, 1, array.array("i", [3, 4]).tobytes() + b"\1"), (1, 2, b"xxxx")]
    assert _cmsg.fds_of(anc, 1, 1) == [3, 4]


BAD_ANCDATA: list[Any] = [5, [5], [(1, 2)], [(1, 2, 3, 4)], [("a", 2, b"")], [(1, 2, "str")], [b"abc"], [None]]


@pytest.mark.parametrize("ancdata", BAD_ANCDATA, ids=repr)
def test_pack_errors_match_cpython(ancdata: Any) -> None:
    a, b = socket.socketpair()
    with a, b:
        try:
            a.sendmsg([b"x"], ancdata)
        except Exception as exc:  # noqa: BLE001
            want: Any = (type(exc), str(exc))
        else:
            want = "ok"
    try:
        _cmsg.pack(ancdata)
    except Exception as exc:  # noqa: BLE001
        got: Any = (type(exc), str(exc))
    else:
        got = "ok"
    assert want != "ok"
    assert got == want
