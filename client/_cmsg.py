"""Control messages: ``[(level, type, data), ...]`` <-> raw cmsghdr bytes.

The layout is x86_64 Linux with glibc's macros: a header of ``size_t
cmsg_len`` (8 bytes), ``int cmsg_level``, ``int cmsg_type``, then the data,
each message padded to 8 bytes.  ``pack`` is CPython's sendmsg() control
buffer construction (with its argument errors); ``unpack`` is its recvmsg()
walk (CMSG_FIRSTHDR / CMSG_NXTHDR, with the RuntimeWarning on truncated
data).
"""
from __future__ import annotations

import struct
import warnings
from collections.abc import Iterable
from typing import Any

from client._sockaddr import as_bytes, c_int, c_ssize

_HDR = struct.Struct("<Qii")
HDR_SIZE = _HDR.size  # 16 == CMSG_LEN(0)
ALIGN = 8
SOCKLEN_T_LIMIT = 2**31 - 1
_ITEMS = "[sendmsg() ancillary data items]"


def CMSG_ALIGN(length: int) -> int:
    return (length + ALIGN - 1) & ~(ALIGN - 1)


def CMSG_LEN(length: int) -> int:
    """The cmsg_len of a message with ``length`` bytes of data (socket.CMSG_LEN)."""
    length = c_ssize(length)
    if not 0 <= length <= SOCKLEN_T_LIMIT - HDR_SIZE:
        raise OverflowError("CMSG_LEN() argument out of range")
    return HDR_SIZE + length


def CMSG_SPACE(length: int) -> int:
    """The buffer room a message with ``length`` bytes of data takes (socket.CMSG_SPACE)."""
    length = c_ssize(length)
    if not 0 <= length <= SOCKLEN_T_LIMIT - CMSG_ALIGN(HDR_SIZE + 1):
        raise OverflowError("CMSG_SPACE() argument out of range")
    return HDR_SIZE + CMSG_ALIGN(length)


def _item(item: Any) -> tuple[int, int, bytes]:
    """PyArg_Parse(item, "(iiy*)")."""
    if isinstance(item, (bytes, bytearray, str)) or not hasattr(item, "__len__") or not hasattr(item, "__getitem__"):
        kind = "None" if item is None else type(item).__name__
        raise TypeError(f"{_ITEMS}() argument must be 3-item sequence, not {kind}")
    if len(item) != 3:
        raise TypeError(f"{_ITEMS}() argument must be sequence of length 3, not {len(item)}")
    level, kind, data = item[0], item[1], item[2]
    return c_int(level), c_int(kind), as_bytes(data)


def pack(ancdata: Iterable[Any]) -> bytes:
    """The control buffer sendmsg() builds from ``ancdata``."""
    try:
        items = list(ancdata)
    except TypeError:
        raise TypeError("sendmsg() argument 2 must be an iterable") from None
    out = bytearray()
    for level, kind, data in (_item(i) for i in items):
        out += _HDR.pack(HDR_SIZE + len(data), level, kind) + data
        out += bytes(CMSG_ALIGN(len(out)) - len(out))
    if len(out) > SOCKLEN_T_LIMIT:
        raise OSError("too much ancillary data")
    return bytes(out)


def unpack(control: bytes) -> list[tuple[int, int, bytes]]:
    """The ``ancdata`` list recvmsg() builds from the control buffer the kernel filled."""
    out: list[tuple[int, int, bytes]] = []
    end = len(control)
    off = 0
    while off + HDR_SIZE <= end:  # CMSG_FIRSTHDR / CMSG_NXTHDR bound
        cmsg_len, level, kind = _HDR.unpack_from(control, off)
        if cmsg_len < HDR_SIZE:
            warnings.warn("received malformed or improperly-truncated ancillary data", RuntimeWarning, stacklevel=3)
            break
        want = cmsg_len - HDR_SIZE
        room = end - (off + HDR_SIZE)
        if room < want:
            warnings.warn("received malformed or improperly-truncated ancillary data", RuntimeWarning, stacklevel=3)
            out.append((level, kind, bytes(control[off + HDR_SIZE : end])))
            break
        out.append((level, kind, bytes(control[off + HDR_SIZE : off + cmsg_len])))
        # glibc's CMSG_NXTHDR: room for this message, aligned, and a next header.
        off += CMSG_ALIGN(cmsg_len)
    return out


def fds_of(ancdata: list[tuple[int, int, bytes]], level: int, kind: int) -> list[int]:
    """The file descriptors carried by SCM_RIGHTS messages of ``ancdata``."""
    fds: list[int] = []
    for lvl, typ, data in ancdata:
        if lvl == level and typ == kind:
            usable = len(data) - len(data) % 4
            fds.extend(struct.unpack(f"<{usable // 4}i", data[:usable]))
    return fds
