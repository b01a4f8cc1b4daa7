"""Socket addresses: Python objects <-> raw Linux ``struct sockaddr`` bytes.

The two directions mirror CPython's ``getsockaddrarg`` (Python object to
sockaddr, with CPython's argument errors) and ``makesockaddr`` (sockaddr to
Python object) in Modules/socketmodule.c, for AF_UNIX, AF_INET, AF_INET6 and
AF_PACKET.  AF_PACKET names a device: CPython asks the kernel (SIOCGIFINDEX /
SIOCGIFNAME on the socket); here the caller passes ``ifindex_of`` /
``ifname_of`` resolvers for the emulated host's devices (without one a name
is ENODEV and an index decodes as '', as when the ioctl fails); the socket
classes pass ones that run those ioctls on the socket's own fd, with the
struct ifreq helpers below (``ifreq_*``).
Everything here is pure: no syscall, no name resolution.  Host names are
numeric (plus ``''``, ``'<broadcast>'`` and ``'localhost'``); anything else
raises :class:`socket.gaierror` ``EAI_NONAME`` as an unknown name would.
"""
from __future__ import annotations

import errno
import operator
import os
import socket as _std
import struct
from collections.abc import Callable
from typing import Any

AF_UNSPEC = 0
AF_UNIX = 1
AF_INET = 2
AF_INET6 = 10
AF_PACKET = 17

SUN_PATH_SIZE = 108  # sizeof(((struct sockaddr_un *)0)->sun_path)
SOCKADDR_UN_SIZE = 2 + SUN_PATH_SIZE  # sizeof(struct sockaddr_un)
SOCKADDR_IN_SIZE = 16
SOCKADDR_IN6_SIZE = 28
SOCKADDR_STORAGE_SIZE = 128
SOCKADDR_LL_SIZE = 20  # sizeof(struct sockaddr_ll)
IFNAMSIZ = 16
PACKET_HOST = 0
SIOCGIFNAME = 0x8910
SIOCGIFINDEX = 0x8933
SIZEOF_IFREQ = 40  # x86_64: char ifr_name[IFNAMSIZ] + a 24-byte union

INT_MAX = 2**31 - 1
INT_MIN = -(2**31)
UINT_MAX = 2**32 - 1

_SOCKADDR_LEN = {AF_UNIX: SOCKADDR_UN_SIZE, AF_INET: SOCKADDR_IN_SIZE, AF_INET6: SOCKADDR_IN6_SIZE,
                 AF_PACKET: SOCKADDR_LL_SIZE}


def sockaddr_len(family: int) -> int:
    """CPython's getsockaddrlen(): the room given to the kernel for an address."""
    try:
        return _SOCKADDR_LEN[family]
    except KeyError:
        raise OSError("getsockaddrlen: bad family") from None


# --- C argument conversions (PyArg_Parse "i", "I", "n") ------------------------


def c_int(value: Any, clinic: bool = False) -> int:
    """PyArg "i": an int (via __index__) that fits a C int.

    ``clinic``: the message of Argument Clinic and PyLong_AsInt instead.
    """
    n = operator.index(value)
    if clinic and not INT_MIN <= n <= INT_MAX:
        raise OverflowError("Python int too large to convert to C int")
    if n > INT_MAX:
        raise OverflowError("signed integer is greater than maximum")
    if n < INT_MIN:
        raise OverflowError("signed integer is less than minimum")
    return n


def c_uint(value: Any) -> int:
    """PyArg "I": an int truncated to unsigned int (no overflow check, as CPython)."""
    return operator.index(value) & UINT_MAX


def c_ssize(value: Any) -> int:
    """PyArg "n": an int that fits a Py_ssize_t."""
    n = operator.index(value)
    if not -(2**63) <= n < 2**63:
        raise OverflowError("Python int too large to convert to C ssize_t")
    return n


def as_bytes(value: Any) -> bytes:
    """PyArg "y*": any bytes-like object, copied."""
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        raise TypeError(f"a bytes-like object is required, not '{type(value).__name__}'")
    try:
        with memoryview(value) as view:
            return view.tobytes()
    except TypeError:
        raise TypeError(f"a bytes-like object is required, not '{type(value).__name__}'") from None


# --- host names (setipaddr) -----------------------------------------------------


def _host_bytes(host: Any) -> bytes:
    """CPython's idna_converter: str, bytes or bytearray; no NUL inside."""
    if isinstance(host, (bytes, bytearray)):
        raw = bytes(host)
    elif isinstance(host, str):
        if host.isascii():
            raw = host.encode("ascii")
        else:
            try:
                raw = host.encode("idna")
            except UnicodeError:
                raise TypeError("encoding of hostname failed") from None
    else:
        raise TypeError(f"str, bytes or bytearray expected, not {type(host).__name__}")
    if b"\0" in raw:
        raise TypeError("host name must not contain null character")
    return raw


def _no_name() -> _std.gaierror:
    return _std.gaierror(_std.EAI_NONAME, "Name or service not known")


def ipv4_host(name: bytes | str) -> bytes:
    """setipaddr(name, AF_INET): the 4-byte address, for numeric names only."""
    if isinstance(name, str):
        name = name.encode("ascii", "surrogateescape")
    if name == b"":
        return b"\0\0\0\0"
    if name in (b"255.255.255.255", b"<broadcast>"):
        return b"\xff\xff\xff\xff"
    text = name.decode("ascii", "replace")
    try:
        return _std.inet_pton(_std.AF_INET, text)
    except OSError:
        pass
    if text.lower() == "localhost":
        return b"\x7f\0\0\1"
    # getaddrinfo's numeric forms (inet_aton: "127.1", "0x7f.0.0.1", ...).
    if text and not any(c.isspace() for c in text):
        try:
            return _std.inet_aton(text)
        except OSError:
            pass
    raise _no_name()


def ipv6_host(name: bytes | str) -> bytes:
    """setipaddr(name, AF_INET6): the 16-byte address, for numeric names only."""
    if isinstance(name, str):
        name = name.encode("ascii", "surrogateescape")
    if name == b"":
        return bytes(16)
    text = name.decode("ascii", "replace")
    if "%" not in text:
        try:
            return _std.inet_pton(_std.AF_INET6, text)
        except OSError:
            pass
    if text.lower() in ("localhost", "ip6-localhost"):
        return bytes(15) + b"\1"
    raise _no_name()


# --- getsockaddrarg ----------------------------------------------------------


def encode_unix(address: Any) -> bytes:
    """AF_UNIX: str (fs-encoded) or bytes-like path; abstract names start with NUL."""
    if isinstance(address, str):
        address = os.fsencode(address)
    path = as_bytes(address)
    head = struct.pack("<H", AF_UNIX)
    if len(path) == 0 or path[0] == 0:
        # Linux abstract namespace (or autobind with an empty name).
        if len(path) > SUN_PATH_SIZE:
            raise OSError("AF_UNIX path too long")
        return head + path
    if len(path) >= SUN_PATH_SIZE:
        raise OSError("AF_UNIX path too long")
    return head + path + b"\0"  # the length includes the trailing NUL


def _inet_port(port: Any, caller: str) -> int:
    try:
        return c_int(port)
    except OverflowError:
        raise OverflowError(f"{caller}(): port must be 0-65535.") from None


def encode_inet(address: Any, caller: str) -> bytes:
    """AF_INET: a (host, port) tuple."""
    if not isinstance(address, tuple):
        raise TypeError(f"{caller}(): AF_INET address must be tuple, not {type(address).__name__}")
    if len(address) != 2:
        raise TypeError("AF_INET address must be a pair (host, port)")
    host = _host_bytes(address[0])
    port = _inet_port(address[1], caller)
    addr = ipv4_host(host)
    if not 0 <= port <= 0xFFFF:
        raise OverflowError(f"{caller}(): port must be 0-65535.")
    return struct.pack("<H", AF_INET) + struct.pack(">H", port) + addr + bytes(8)


def encode_inet6(address: Any, caller: str) -> bytes:
    """AF_INET6: a (host, port[, flowinfo[, scope_id]]) tuple."""
    if not isinstance(address, tuple):
        raise TypeError(f"{caller}(): AF_INET6 address must be tuple, not {type(address).__name__}")
    if not 2 <= len(address) <= 4:
        raise TypeError("AF_INET6 address must be a tuple (host, port[, flowinfo[, scopeid]])")
    host = _host_bytes(address[0])
    port = _inet_port(address[1], caller)
    flowinfo = c_uint(address[2]) if len(address) > 2 else 0
    scope_id = c_uint(address[3]) if len(address) > 3 else 0
    addr = ipv6_host(host)
    if not 0 <= port <= 0xFFFF:
        raise OverflowError(f"{caller}(): port must be 0-65535.")
    if flowinfo > 0xFFFFF:
        raise OverflowError(f"{caller}(): flowinfo must be 0-1048575.")
    return (
        struct.pack("<H", AF_INET6) + struct.pack(">HI", port, flowinfo) + addr + struct.pack("<I", scope_id)
    )


def _packet_int(value: Any, caller: str) -> int:
    """PyArg "i" inside the AF_PACKET tuple: an overflow reads "address argument out of range"."""
    try:
        return c_int(value)
    except OverflowError:
        raise OverflowError(f"{caller}(): address argument out of range") from None


def encode_packet(address: Any, caller: str, ifindex_of: Callable[[str], int] | None = None) -> bytes:
    """AF_PACKET: (ifname, proto[, pkttype[, hatype[, addr]]]) as a struct sockaddr_ll.

    ``ifindex_of`` maps a device name to its ifindex (raising OSError ENODEV
    for an unknown one), standing for CPython's SIOCGIFINDEX ioctl."""
    if not isinstance(address, tuple):
        raise TypeError(f"{caller}(): AF_PACKET address must be tuple, not {type(address).__name__}")
    if not 2 <= len(address) <= 5 or not isinstance(address[0], str):
        raise TypeError("AF_PACKET address must be a tuple of two to five elements")
    name = address[0]
    if "\0" in name:
        raise ValueError("embedded null character")
    proto = _packet_int(address[1], caller)
    pkttype = _packet_int(address[2], caller) if len(address) > 2 else PACKET_HOST
    hatype = _packet_int(address[3], caller) if len(address) > 3 else 0
    haddr = as_bytes(address[4]) if len(address) > 4 else None
    ifname = name.encode("utf-8", "surrogateescape")[: IFNAMSIZ - 1].split(b"\0", 1)[0].decode("utf-8", "replace")
    if ifindex_of is None:
        raise OSError(errno.ENODEV, os.strerror(errno.ENODEV))
    ifindex = ifindex_of(ifname)
    if haddr is not None and len(haddr) > 8:
        raise ValueError("Hardware address must be 8 bytes or less")
    if not 0 <= proto <= 0xFFFF:
        raise OverflowError(f"{caller}(): proto must be 0-65535.")
    hw = haddr or b""
    return (struct.pack("<H", AF_PACKET) + struct.pack(">H", proto)
            + struct.pack("<iHBB", ifindex, hatype & 0xFFFF, pkttype & 0xFF, len(hw)) + hw.ljust(8, b"\0"))


def decode_packet(buf: bytes, ifname_of: Callable[[int], str] | None = None) -> tuple[str, int, int, int, bytes]:
    """makesockaddr for AF_PACKET: (ifname, proto, pkttype, hatype, addr[:halen]); ``ifname_of`` stands
    for SIOCGIFNAME (an unknown index, or no resolver, gives '')."""
    buf = buf.ljust(SOCKADDR_LL_SIZE, b"\0")
    proto = struct.unpack_from(">H", buf, 2)[0]
    ifindex, hatype, pkttype, halen = struct.unpack_from("<ihBB", buf, 4)
    ifname = ""
    if ifindex and ifname_of is not None:
        try:
            ifname = ifname_of(ifindex)
        except OSError:
            ifname = ""
    return (ifname, proto, pkttype, hatype, buf[12:12 + halen])


# --- struct ifreq for SIOCGIFINDEX / SIOCGIFNAME ---------------------------------


def ifreq_name(name: str | bytes) -> bytes:
    """A struct ifreq with ifr_name = name (strncpy to IFNAMSIZ, the last byte NUL)."""
    raw = os.fsencode(name) if isinstance(name, str) else bytes(name)
    return raw[: IFNAMSIZ - 1].ljust(IFNAMSIZ, b"\0") + bytes(SIZEOF_IFREQ - IFNAMSIZ)


def ifreq_index(index: int) -> bytes:
    """A struct ifreq with ifr_ifindex = index (an int: the caller wraps it)."""
    return bytes(IFNAMSIZ) + struct.pack("<i", index) + bytes(SIZEOF_IFREQ - IFNAMSIZ - 4)


def ifreq_get_index(raw: bytes) -> int:
    """ifr_ifindex of a struct ifreq the kernel filled."""
    return int(struct.unpack_from("<i", bytes(raw).ljust(SIZEOF_IFREQ, b"\0"), IFNAMSIZ)[0])


def ifreq_get_name(raw: bytes) -> bytes:
    """ifr_name of a struct ifreq the kernel filled, up to its NUL."""
    return bytes(raw[:IFNAMSIZ]).split(b"\0", 1)[0]


def packet_ifindex(raw: bytes, addrlen: int) -> int:
    """The sll_ifindex of an AF_PACKET sockaddr the kernel returned (0 for any other),
    for callers that must look the name up before :func:`decode` (client.aio)."""
    if addrlen <= 0:
        return 0
    buf = bytes(raw[:addrlen]).ljust(max(addrlen, SOCKADDR_LL_SIZE), b"\0")
    if struct.unpack_from("<H", buf)[0] != AF_PACKET:
        return 0
    return int(struct.unpack_from("<i", buf, 4)[0])


def encode(family: int, address: Any, caller: str, *, ifindex_of: Callable[[str], int] | None = None) -> bytes:
    """getsockaddrarg(): ``address`` as a raw sockaddr for a socket of ``family``."""
    if family == AF_PACKET:
        return encode_packet(address, caller, ifindex_of)
    if family == AF_UNIX:
        return encode_unix(address)
    if family == AF_INET:
        return encode_inet(address, caller)
    if family == AF_INET6:
        return encode_inet6(address, caller)
    raise OSError(f"{caller}(): bad family")


# --- makesockaddr --------------------------------------------------------------


def decode(raw: bytes, addrlen: int, *, ifname_of: Callable[[int], str] | None = None) -> Any:
    """makesockaddr(): the Python form of a sockaddr the kernel returned.

    ``raw`` is what the kernel copied out, ``addrlen`` the length it reported.
    """
    if addrlen <= 0:
        return None  # no address (recvfrom on a connected stream, unbound sender)
    buf = bytes(raw[:addrlen]).ljust(max(addrlen, 16), b"\0")
    family = struct.unpack_from("<H", buf)[0]
    if family == AF_INET:
        port = struct.unpack_from(">H", buf, 2)[0]
        return (_std.inet_ntop(_std.AF_INET, buf[4:8]), port)
    if family == AF_UNIX:
        path = buf[2:addrlen]
        if len(path) > 0 and path[0] == 0:
            return path  # Linux abstract namespace: bytes, leading NUL included
        return os.fsdecode(path.split(b"\0", 1)[0])
    if family == AF_PACKET:
        return decode_packet(buf, ifname_of)
    if family == AF_INET6:
        buf = buf.ljust(SOCKADDR_IN6_SIZE, b"\0")
        port, flowinfo = struct.unpack_from(">HI", buf, 2)
        scope_id = struct.unpack_from("<I", buf, 24)[0]
        return (_std.inet_ntop(_std.AF_INET6, buf[8:24]), port, flowinfo, scope_id)
    return (family, buf[2:16])
