"""The stdlib ``socket`` surface over a socketlab transport.

:class:`Net` is one emulated process and looks like the ``socket`` module
(constants, ``socket``, ``socketpair``, ``create_connection``, ...) plus
``select`` shaped like ``select.select``.  :class:`Socket` is the socket
object: its methods, signatures, return values and exceptions follow
CPython's ``Modules/socketmodule.c`` and ``Lib/socket.py`` (3.11) on Linux.

Every syscall goes through :meth:`Net._call`.  The whole blocking and
readiness policy of a socket lives in one helper, :meth:`Socket._sys`
(CPython's ``sock_call_ex``): a socket with a timeout keeps its kernel file
in O_NONBLOCK and asks the kernel to wait up to the timeout for readiness
(``SysReply.timed_out`` becomes ``TimeoutError('timed out')``); a blocking
socket just waits on the transport; EINTR is retried (PEP 475).  The only
other waiting code is connect()'s wait for a connection in progress, which
CPython also keeps apart (``internal_connect``).
"""
from __future__ import annotations

import array
import contextlib
import errno as _errno
import functools
import io
import math
import operator
import os
import socket as _std
import struct
import time
import warnings
from collections.abc import Callable, Iterable, Sequence
from enum import IntEnum
from typing import TYPE_CHECKING, Any, NoReturn, Self, TypeVar, cast

from client import _cmsg, _sockaddr
from client._sockaddr import as_bytes, c_int, c_ssize, c_uint

if TYPE_CHECKING:
    from client._transport import Transport
    from kernel.syscalls import SysReply

__all__ = ["Net", "Socket", "SocketIO", "error", "gaierror", "herror", "timeout"]

# --- Linux ABI values the client itself needs (x86_64) ---------------------------
SOCK_NONBLOCK = 0o4000
SOCK_CLOEXEC = 0o2000000
F_GETFD = 1
F_SETFD = 2
FD_CLOEXEC = 1
F_DUPFD_CLOEXEC = 1030
FIONBIO = 0x5421
SOL_SOCKET = 1
SO_ERROR = 4
SCM_RIGHTS = 1
POLLIN = 0x001
POLLPRI = 0x002
POLLOUT = 0x004
POLLERR = 0x008
POLLHUP = 0x010
POLLNVAL = 0x020
POLLRDNORM = 0x040
POLLRDBAND = 0x080
POLLWRNORM = 0x100
POLLWRBAND = 0x200
_SELECT_IN = POLLIN | POLLRDNORM | POLLRDBAND | POLLHUP | POLLERR  # fs/select.c POLLIN_SET
_SELECT_OUT = POLLOUT | POLLWRNORM | POLLWRBAND | POLLERR  # POLLOUT_SET
_SELECT_EX = POLLPRI  # POLLEX_SET
FD_SETSIZE = 1024
# if_nameindex() stops after this many indexes in a row that name no device
IF_NAMEINDEX_GAP = 64
SOCKLEN_T_LIMIT = 2**31 - 1
# sendall() moves at most this much per send on a stream socket (one RPC message).
SENDALL_CHUNK = 1 << 20

# --- what the stdlib module exports as-is -----------------------------------------
error = OSError
timeout = TimeoutError
herror = _std.herror
gaierror = _std.gaierror
AddressFamily = _std.AddressFamily
SocketKind = _std.SocketKind
MsgFlag = _std.MsgFlag
AddressInfo = _std.AddressInfo
SocketIO = _std.SocketIO
_GLOBAL_DEFAULT_TIMEOUT: Any = _std._GLOBAL_DEFAULT_TIMEOUT  # type: ignore[attr-defined]
# the machine's resolver, kept before client.patch() can replace socket.getaddrinfo
_std_getaddrinfo = _std.getaddrinfo

#: Every integer constant of the stdlib socket module (Linux's values).
CONSTANTS: dict[str, int] = {
    name: getattr(_std, name) for name in dir(_std) if name.isupper() and isinstance(getattr(_std, name), int)
}

#: Pure functions of the stdlib module that touch no kernel and do no I/O.
PURE_FUNCTIONS: dict[str, Callable[..., Any]] = {
    name: getattr(_std, name)
    for name in ("inet_aton", "inet_ntoa", "inet_pton", "inet_ntop", "htons", "htonl", "ntohs", "ntohl")
}

_E = TypeVar("_E", bound=IntEnum)


_F = TypeVar("_F", bound=Callable[..., Any])


def _c_method(kind: str, name: str, low: int = 0, high: int = 0, keywords: tuple[str, ...] = ()) -> Callable[[_F], _F]:
    """CPython's argument-count errors for a method written in C.

    kind: "noargs" (METH_NOARGS), "o" (METH_O), "varargs" (PyArg_ParseTuple
    with ``low`` to ``high`` arguments) or "keywords" (PyArg_ParseTupleAndKeywords
    with the names ``keywords``, the first ``low`` of them required).
    """

    def plural(n: int) -> str:
        return "argument" if n == 1 else "arguments"

    def check(args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        n = len(args)
        if kind == "noargs":
            if kwargs:
                raise TypeError(f"socket.{name}() takes no keyword arguments")
            if n:
                raise TypeError(f"socket.{name}() takes no arguments ({n} given)")
        elif kind == "o":
            if kwargs:
                raise TypeError(f"socket.{name}() takes no keyword arguments")
            if n != 1:
                raise TypeError(f"socket.{name}() takes exactly one argument ({n} given)")
        elif kind == "varargs":
            if kwargs:
                raise TypeError(f"{name}() takes no keyword arguments")
            if low == high and n != low:
                raise TypeError(f"{name}() takes exactly {low} {plural(low)} ({n} given)")
            if n < low:
                raise TypeError(f"{name}() takes at least {low} {plural(low)} ({n} given)")
            if n > high:
                raise TypeError(f"{name}() takes at most {high} {plural(high)} ({n} given)")
        else:
            total = n + len(kwargs)
            if total > len(keywords):
                raise TypeError(f"{name}() takes at most {len(keywords)} {plural(len(keywords))} ({total} given)")
            for pos in range(n, low):
                if keywords[pos] not in kwargs:
                    raise TypeError(f"{name}() missing required argument {keywords[pos]!r} (pos {pos + 1})")
            for pos, key in enumerate(keywords[:n]):
                if key in kwargs:
                    raise TypeError(f"argument for {name}() given by name ({key!r}) and position ({pos + 1})")
            for key in kwargs:
                if key not in keywords:
                    raise TypeError(f"{key!r} is an invalid keyword argument for {name}()")

    def decorate(fn: _F) -> _F:
        @functools.wraps(fn)
        def method(self: Any, *args: Any, **kwargs: Any) -> Any:
            check(args, kwargs)
            return fn(self, *args, **kwargs)

        return cast(_F, method)

    return decorate



def _if_name_arg(value: Any) -> bytes:
    """if_nametoindex's PyUnicode_FSConverter: str, bytes or os.PathLike; no NUL."""
    name = os.fsencode(value)
    if b"\0" in name:
        raise ValueError("embedded null byte")
    return name


def _if_index_arg(value: Any) -> int:
    """if_indextoname's PyLong_AsUnsignedLong, then the (unsigned int) the C call takes."""
    if not isinstance(value, int):
        raise TypeError("an integer is required")
    if value < 0:
        raise OverflowError("can't convert negative value to unsigned int")
    if value > 0xFFFFFFFFFFFFFFFF:
        raise OverflowError("Python int too large to convert to C unsigned long")
    return value & 0xFFFFFFFF


def _c_int32(value: int) -> int:
    """An unsigned int as the int ifr_ifindex holds it."""
    return value - (1 << 32) if value >= 1 << 31 else value


def _intenum_converter(value: int, enum_klass: type[_E]) -> int:
    try:
        return enum_klass(value)
    except ValueError:
        return value


def _error(err: int) -> OSError:
    """OSError(errno, strerror): the constructor picks the subclass (BlockingIOError, ...)."""
    return OSError(err, os.strerror(err))


def _timed_out() -> TimeoutError:
    return TimeoutError("timed out")


def _parse_timeout(value: Any, negative: str = "Timeout value out of range") -> float | None:
    """CPython's socket_parse_timeout: None, or seconds >= 0."""
    if value is None:
        return None
    if isinstance(value, float):
        if math.isnan(value):
            raise ValueError("Invalid value NaN (not a number)")
        seconds = value
    else:
        seconds = float(operator.index(value))
    if seconds < 0:
        raise ValueError(negative)
    if seconds > 9.2e9:
        raise OverflowError("timestamp too large to convert to C _PyTime_t")
    return seconds


def _writable_view(buffer: Any, caller: str) -> memoryview:
    """PyArg "w*": a writable, byte-addressed view of ``buffer``."""
    try:
        view = memoryview(buffer)
    except TypeError:
        raise TypeError(
            f"{caller}() argument 1 must be read-write bytes-like object, not {type(buffer).__name__}"
        ) from None
    if view.readonly:
        raise TypeError(f"{caller}() argument 1 must be read-write bytes-like object, not {type(buffer).__name__}")
    return view.cast("B") if view.format != "B" or view.ndim != 1 else view


def _poll_ms(seconds: float) -> int:
    """A timeout in seconds as poll()'s milliseconds, rounded up like CPython."""
    return max(0, math.ceil(seconds * 1000))


class socket:
    """A socket of an emulated process, with the stdlib socket's methods."""

    __slots__ = ["__weakref__", "_closed", "_family", "_fd", "_io_refs", "_proto", "_timeout", "_type"]

    _net: Net  # set on the per-Net subclass that Net.socket is

    def __init__(self, family: int = -1, type: int = -1, proto: int = -1, fileno: Any = None) -> None:
        self._fd = -1
        self._family = self._type = self._proto = 0
        self._timeout: float | None = None
        self._io_refs = 0
        self._closed = False
        family, type, proto = c_int(family, clinic=True), c_int(type, clinic=True), c_int(proto, clinic=True)
        if fileno is None:
            if family == -1:
                family = _std.AF_INET
            if type == -1:
                type = _std.SOCK_STREAM
            if proto == -1:
                proto = 0
            fd = self._net._check(self._net._call("socket", {"family": family, "type": type | SOCK_CLOEXEC,
                                                             "protocol": proto}))
        else:
            fd = operator.index(fileno)
            if fd < 0:
                raise ValueError("negative file descriptor")
            reply = self._net._call("getsockname", {"fd": fd, "addrlen": _sockaddr.SOCKADDR_STORAGE_SIZE})
            if reply.ret >= 0:
                if family == -1:
                    family = struct.unpack_from("<H", reply.addr.ljust(2, b"\0"))[0]
            elif family == -1 or -reply.ret in (_errno.EBADF, _errno.ENOTSOCK):
                raise _error(-reply.ret)
            if type == -1:
                type = self._net._getsockopt_int(fd, SOL_SOCKET, _std.SO_TYPE)
            if proto == -1:
                proto = self._net._getsockopt_int(fd, SOL_SOCKET, _std.SO_PROTOCOL)
        self._setup(fd, family, type, proto)

    def _setup(self, fd: int, family: int, type: int, proto: int) -> None:
        """init_sockobject: flags stripped from type; SOCK_NONBLOCK or the default timeout."""
        self._fd = fd
        self._family = family
        self._type = type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC)
        self._proto = proto
        self._io_refs = 0
        self._closed = False
        if type & SOCK_NONBLOCK:
            self._timeout = 0.0
        else:
            self._timeout = self._net._default_timeout
            if self._timeout is not None:
                try:
                    self._set_nonblocking(True)
                except BaseException:
                    self._fd = -1
                    self._net._close_fd(fd)
                    raise

    @classmethod
    def _from_fd(cls, fd: int, family: int, type: int, proto: int) -> Socket:
        """A socket object for an fd known to be a socket of that kind (no probing)."""
        sock = cls.__new__(cls)
        sock._fd = -1
        sock._setup(fd, family, type, proto)
        return sock

    # --- the one blocking/readiness policy -------------------------------------------

    def _sys(self, op: str, args: dict[str, Any], *, wait: bool = False, timeout: float | None = None) -> SysReply:
        """Run ``op`` on this socket's fd with CPython's sock_call_ex policy.

        ``wait``: the op may block (accept, recv*, send*).  A socket with a
        timeout > 0 has an O_NONBLOCK file; the kernel waits up to the timeout
        (or ``timeout``, the time left of a longer operation) for readiness.
        A blocking socket waits in the kernel; a non-blocking one gets EAGAIN
        (BlockingIOError).  EINTR is retried with the time that is left.
        """
        fd = self._fd
        if fd < 0:
            raise _error(_errno.EBADF)
        args["fd"] = fd
        limit = timeout if timeout is not None else self._timeout
        if not wait or limit is None or limit <= 0:
            limit = None
        deadline = None if limit is None else time.monotonic() + limit
        while True:
            reply = self._net._call(op, args, limit)
            if reply.timed_out:
                raise _timed_out()
            if reply.ret >= 0:
                return reply
            if reply.ret != -_errno.EINTR:
                raise _error(-reply.ret)
            if deadline is not None:
                limit = deadline - time.monotonic()
                if limit <= 0:
                    raise _timed_out()

    def _set_nonblocking(self, nonblocking: bool) -> None:
        """internal_setblocking: ioctl(FIONBIO) on the kernel file."""
        self._sys("ioctl", {"cmd": FIONBIO, "arg": 1 if nonblocking else 0})

    # --- properties ------------------------------------------------------------------

    @property
    def family(self) -> int:
        """Read-only access to the address family for this socket."""
        return _intenum_converter(self._family, AddressFamily)

    @property
    def type(self) -> int:
        """Read-only access to the socket type."""
        return _intenum_converter(self._type, SocketKind)

    @property
    def proto(self) -> int:
        return self._proto

    @property
    def timeout(self) -> float | None:
        return self._timeout

    @_c_method("noargs", "fileno")
    def fileno(self) -> int:
        return self._fd

    def __repr__(self) -> str:
        closed = getattr(self, "_closed", False)
        s = (
            f"<{self.__class__.__module__}.{self.__class__.__qualname__}{' [closed]' if closed else ''}"
            f" fd={self.fileno()}, family={self.family}, type={self.type}, proto={self.proto}"
        )
        if not closed:
            try:
                laddr = self.getsockname()
                if laddr:
                    s += f", laddr={laddr}"
            except error:
                pass
            try:
                raddr = self.getpeername()
                if raddr:
                    s += f", raddr={raddr}"
            except error:
                pass
        return s + ">"

    def __getstate__(self) -> NoReturn:
        raise TypeError(f"cannot pickle {self.__class__.__name__!r} object")

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *args: object) -> None:
        if not self._closed:
            self.close()

    def __del__(self) -> None:
        fd = getattr(self, "_fd", -1)
        if fd < 0:
            return
        self._fd = -1
        with contextlib.suppress(Exception):
            warnings.warn(
                f"unclosed <{self.__class__.__module__}.socket fd={fd}, family={self._family}, "
                f"type={self._type}, proto={self._proto}>",
                ResourceWarning,
                source=self,
            )
        # No syscall from a finalizer: the next call of this process closes it.
        self._net._defer_close(fd)

    # --- lifetime ----------------------------------------------------------------------

    def close(self) -> None:
        self._closed = True
        if self._io_refs <= 0:
            self._real_close()

    def _real_close(self) -> None:
        fd = self._fd
        if fd < 0:
            return
        self._fd = -1
        if self._net._closed:
            return
        reply = self._net._call("close", {"fd": fd})
        # bpo-30319: the peer may have closed the connection already.
        if reply.ret < 0 and -reply.ret != _errno.ECONNRESET:
            raise _error(-reply.ret)

    def detach(self) -> int:
        """Close the socket object without closing the underlying file descriptor."""
        self._closed = True
        fd, self._fd = self._fd, -1
        return fd

    def _decref_socketios(self) -> None:
        if self._io_refs > 0:
            self._io_refs -= 1
        if self._closed:
            self.close()

    def dup(self) -> Socket:
        """A new socket object for a duplicate of the file descriptor."""
        fd = self._net.dup(self.fileno())
        sock = self._from_fd(fd, self._family, self._type, self._proto)
        sock.settimeout(self.gettimeout())
        return sock

    # --- timeouts ----------------------------------------------------------------------

    @_c_method("o", "settimeout")
    def settimeout(self, value: float | None, /) -> None:
        self._timeout = _parse_timeout(value)
        self._set_nonblocking(self._timeout is not None)

    @_c_method("noargs", "gettimeout")
    def gettimeout(self) -> float | None:
        return self._timeout

    @_c_method("o", "setblocking")
    def setblocking(self, flag: bool, /) -> None:
        block = operator.index(flag)
        self._timeout = None if block else 0.0
        self._set_nonblocking(not block)

    @_c_method("noargs", "getblocking")
    def getblocking(self) -> bool:
        return self._timeout != 0

    def get_inheritable(self) -> bool:
        return not self._sys("fcntl", {"cmd": F_GETFD}).ret & FD_CLOEXEC

    def set_inheritable(self, inheritable: bool) -> None:
        flags = self._sys("fcntl", {"cmd": F_GETFD}).ret
        flags = flags & ~FD_CLOEXEC if inheritable else flags | FD_CLOEXEC
        self._sys("fcntl", {"cmd": F_SETFD, "arg": flags})

    # --- names ---------------------------------------------------------------------------

    def _addr(self, address: Any, caller: str) -> bytes:
        return _sockaddr.encode(self._family, address, caller, ifindex_of=self._ifindex_of)

    def _decode(self, raw: bytes, addrlen: int) -> Any:
        return _sockaddr.decode(raw, addrlen, ifname_of=self._ifname_of)

    def _ifindex_of(self, name: str) -> int:
        """getsockaddrarg's ioctl(fd, SIOCGIFINDEX) for an AF_PACKET name (OSError ENODEV ...)."""
        reply = self._sys("ioctl", {"cmd": _sockaddr.SIOCGIFINDEX, "buf": _sockaddr.ifreq_name(name)})
        return _sockaddr.ifreq_get_index(reply.data)

    def _ifname_of(self, index: int) -> str:
        """makesockaddr's ioctl(fd, SIOCGIFNAME) for an AF_PACKET index (its "s": UTF-8)."""
        reply = self._sys("ioctl", {"cmd": _sockaddr.SIOCGIFNAME, "buf": _sockaddr.ifreq_index(index)})
        return _sockaddr.ifreq_get_name(reply.data).decode()

    @_c_method("o", "bind")
    def bind(self, address: Any, /) -> None:
        self._sys("bind", {"addr": self._addr(address, "bind")})

    @_c_method("noargs", "getsockname")
    def getsockname(self) -> Any:
        addrlen = _sockaddr.sockaddr_len(self._family)
        reply = self._sys("getsockname", {"addrlen": addrlen})
        return self._decode(reply.addr, reply.addrlen)

    @_c_method("noargs", "getpeername")
    def getpeername(self) -> Any:
        addrlen = _sockaddr.sockaddr_len(self._family)
        reply = self._sys("getpeername", {"addrlen": addrlen})
        return self._decode(reply.addr, reply.addrlen)

    @_c_method("varargs", "listen", 0, 1)
    def listen(self, backlog: int = min(_std.SOMAXCONN, 128), /) -> None:
        self._sys("listen", {"backlog": max(c_int(backlog), 0)})

    # --- connections ---------------------------------------------------------------------

    def _connect(self, address: Any, caller: str) -> int:
        """internal_connect: 0, or the errno of the failure."""
        raw = self._addr(address, caller)
        if self._fd < 0:
            return _errno.EBADF
        reply = self._net._call("connect", {"fd": self._fd, "addr": raw})
        if reply.ret >= 0:
            return 0
        err = -reply.ret
        if err == _errno.EINTR:
            wait = self._timeout != 0
        else:
            wait = self._timeout is not None and self._timeout > 0 and err == _errno.EINPROGRESS
        if not wait:
            return err
        return self._wait_connected()

    def _wait_connected(self) -> int:
        """sock_call_ex(connect=1): poll for POLLOUT, then read SO_ERROR."""
        deadline = None if self._timeout is None else time.monotonic() + self._timeout
        while True:
            if deadline is not None:
                left = deadline - time.monotonic()
                if left < 0:
                    raise _timed_out()
                ms = _poll_ms(left)
            else:
                ms = -1
            reply = self._net._call("poll", {"fds": [(self._fd, POLLOUT | POLLERR)], "timeout_ms": ms})
            if reply.ret == -_errno.EINTR:
                continue
            if reply.ret < 0:
                return -reply.ret
            if reply.ret == 0:
                raise _timed_out()
            so_error = self._net._getsockopt_int(self._fd, SOL_SOCKET, SO_ERROR, check=False)
            if so_error in (0, _errno.EISCONN):
                return 0
            if so_error in (_errno.EAGAIN, _errno.EWOULDBLOCK) and deadline is not None:
                continue
            return so_error

    @_c_method("o", "connect")
    def connect(self, address: Any, /) -> None:
        err = self._connect(address, "connect")
        if err:
            raise _error(err)

    @_c_method("o", "connect_ex")
    def connect_ex(self, address: Any, /) -> int:
        try:
            return self._connect(address, "connect_ex")
        except TimeoutError:
            return _errno.EWOULDBLOCK

    def _accept(self) -> tuple[int, Any]:
        addrlen = _sockaddr.sockaddr_len(self._family)
        reply = self._sys("accept4", {"flags": SOCK_CLOEXEC, "addrlen": addrlen}, wait=True)
        return reply.ret, self._decode(reply.addr, reply.addrlen)

    def accept(self) -> tuple[Socket, Any]:
        """Wait for a connection: (new socket, address of the client)."""
        fd, addr = self._accept()
        sock = self._from_fd(fd, self._family, self._type, self._proto)
        # Lib/socket.py sets the new socket blocking when there is no default
        # timeout; a Linux accept4() file is blocking already.
        return sock, addr

    @_c_method("o", "shutdown")
    def shutdown(self, how: int, /) -> None:
        self._sys("shutdown", {"how": c_int(how, clinic=True)})

    # --- options -------------------------------------------------------------------------

    def setsockopt(self, *args: Any) -> None:
        """setsockopt(level, option, value: int | buffer) or setsockopt(level, option, None, optlen)."""
        n = len(args)
        optval: bytes | None = None
        if n == 3:
            try:
                level, optname, flag = c_int(args[0]), c_int(args[1]), c_int(args[2])
                optval = struct.pack("<i", flag)
            except (TypeError, OverflowError):
                pass
        if optval is None and n == 4 and args[2] is None:
            try:
                level, optname, optlen = c_int(args[0]), c_int(args[1]), c_uint(args[3])
            except (TypeError, OverflowError):
                pass
            else:
                if optlen:
                    # optval = NULL: Linux's copy from user memory fails.
                    if self._fd < 0:
                        raise _error(_errno.EBADF)
                    raise _error(_errno.EFAULT)
                optval = b""
        if optval is None:
            if n != 3:
                raise TypeError(f"setsockopt() takes exactly 3 arguments ({n} given)")
            level, optname = c_int(args[0]), c_int(args[1])
            optval = as_bytes(args[2])
        self._sys("setsockopt", {"level": level, "optname": optname, "optval": optval})

    @_c_method("varargs", "getsockopt", 2, 3)
    def getsockopt(self, level: int, optname: int, buflen: int = 0, /) -> int | bytes:
        """An int option, or with ``buflen`` the option's raw bytes."""
        level, optname, buflen = c_int(level), c_int(optname), c_int(buflen)
        if buflen == 0:
            reply = self._sys("getsockopt", {"level": level, "optname": optname, "optlen": 4})
            return int.from_bytes(reply.data[:4].ljust(4, b"\0"), "little", signed=True)
        if buflen < 0 or buflen > 1024:
            raise OSError("getsockopt buflen out of range")
        reply = self._sys("getsockopt", {"level": level, "optname": optname, "optlen": buflen})
        return bytes(reply.data)

    # --- receiving -----------------------------------------------------------------------

    def _recv(self, size: int, flags: int) -> tuple[bytes, int]:
        reply = self._sys("recv", {"size": size, "flags": flags}, wait=True)
        return reply.data, reply.ret

    @_c_method("varargs", "recv", 1, 2)
    def recv(self, bufsize: int, flags: int = 0, /) -> bytes:
        size = c_ssize(bufsize)
        flags = c_int(flags)
        if size < 0:
            raise ValueError("negative buffersize in recv")
        if size == 0:
            return b""
        data, n = self._recv(size, flags)
        # MSG_TRUNC may report more than was copied; CPython's bytes are that long.
        return data if len(data) == n else data[:n].ljust(n, b"\0")

    @_c_method("keywords", "recv_into", 1, keywords=("buffer", "nbytes", "flags"))
    def recv_into(self, buffer: Any, nbytes: int = 0, flags: int = 0) -> int:
        view = _writable_view(buffer, "recv_into")
        size = c_ssize(nbytes)
        flags = c_int(flags)
        if size < 0:
            raise ValueError("negative buffersize in recv_into")
        if size == 0:
            size = len(view)
        if len(view) < size:
            raise ValueError("buffer too small for requested bytes")
        if size == 0:
            return 0
        data, n = self._recv(size, flags)
        view[: len(data)] = data[:size]
        return n

    def _recvfrom(self, size: int, flags: int) -> tuple[bytes, int, Any]:
        addrlen = _sockaddr.sockaddr_len(self._family)
        reply = self._sys("recvfrom", {"size": size, "flags": flags, "addrlen": addrlen}, wait=True)
        return reply.data, reply.ret, self._decode(reply.addr, reply.addrlen)

    @_c_method("varargs", "recvfrom", 1, 2)
    def recvfrom(self, bufsize: int, flags: int = 0, /) -> tuple[bytes, Any]:
        size = c_ssize(bufsize)
        flags = c_int(flags)
        if size < 0:
            raise ValueError("negative buffersize in recvfrom")
        data, n, addr = self._recvfrom(size, flags)
        return (data if len(data) == n else data[:n].ljust(n, b"\0")), addr

    @_c_method("keywords", "recvfrom_into", 1, keywords=("buffer", "nbytes", "flags"))
    def recvfrom_into(self, buffer: Any, nbytes: int = 0, flags: int = 0) -> tuple[int, Any]:
        view = _writable_view(buffer, "recvfrom_into")
        size = c_ssize(nbytes)
        flags = c_int(flags)
        if size < 0:
            raise ValueError("negative buffersize in recvfrom_into")
        if size == 0:
            size = len(view)
        elif size > len(view):
            raise ValueError("nbytes is greater than the length of the buffer")
        data, n, addr = self._recvfrom(size, flags)
        view[: len(data)] = data[:size]
        return n, addr

    def _recvmsg(self, size: int, ancbufsize: int, flags: int) -> tuple[bytes, int, list[Any], int, Any]:
        addrlen = _sockaddr.sockaddr_len(self._family)
        if ancbufsize < 0 or ancbufsize > SOCKLEN_T_LIMIT:
            raise ValueError("invalid ancillary data buffer length")
        reply = self._sys(
            "recvmsg", {"flags": flags, "size": size, "addrlen": addrlen, "controllen": ancbufsize}, wait=True
        )
        ancdata = _cmsg.unpack(reply.control) if ancbufsize > 0 else []
        addr = self._decode(reply.addr, min(reply.addrlen, addrlen))
        return reply.data, reply.ret, ancdata, reply.msg_flags, addr

    @_c_method("varargs", "recvmsg", 1, 3)
    def recvmsg(self, bufsize: int, ancbufsize: int = 0, flags: int = 0, /) -> tuple[bytes, list[Any], int, Any]:
        """Receive (data, ancdata, msg_flags, address); ancdata is [(level, type, data), ...]."""
        size = c_ssize(bufsize)
        ancbufsize = c_ssize(ancbufsize)
        flags = c_int(flags)
        if size < 0:
            raise ValueError("negative buffer size in recvmsg()")
        data, n, ancdata, msg_flags, addr = self._recvmsg(size, ancbufsize, flags)
        # TCP's MSG_TRUNC discards without copying but still counts: CPython's bytes are that long.
        keep = max(min(n, size), 0)
        return data[:keep].ljust(keep, b"\0"), ancdata, msg_flags, addr

    @_c_method("varargs", "recvmsg_into", 1, 3)
    def recvmsg_into(self, buffers: Iterable[Any], ancbufsize: int = 0, flags: int = 0, /) -> tuple[int, list[Any], int, Any]:
        ancbufsize = c_ssize(ancbufsize)
        flags = c_int(flags)
        try:
            items = list(buffers)
        except TypeError:
            raise TypeError("recvmsg_into() argument 1 must be an iterable") from None
        views: list[memoryview] = []
        for item in items:
            try:
                views.append(_writable_view(item, "recvmsg_into"))
            except TypeError:
                raise TypeError(
                    "recvmsg_into() argument 1 must be an iterable of single-segment read-write buffers"
                ) from None
        total = sum(len(v) for v in views)
        data, n, ancdata, msg_flags, addr = self._recvmsg(total, ancbufsize, flags)
        off = 0
        for view in views:
            part = data[off : off + len(view)]
            view[: len(part)] = part
            off += len(part)
        return n, ancdata, msg_flags, addr

    # --- sending -------------------------------------------------------------------------

    @_c_method("varargs", "send", 1, 2)
    def send(self, data: Any, flags: int = 0, /) -> int:
        payload = as_bytes(data)
        return self._sys("send", {"data": payload, "flags": c_int(flags)}, wait=True).ret

    @_c_method("varargs", "sendall", 1, 2)
    def sendall(self, data: Any, flags: int = 0, /) -> None:
        """Send all of ``data``; the timeout covers the whole operation, as CPython's."""
        payload = memoryview(as_bytes(data))
        flags = c_int(flags)
        deadline = None
        if self._timeout is not None and self._timeout > 0:
            deadline = time.monotonic() + self._timeout
        chunk = SENDALL_CHUNK if self._type == _std.SOCK_STREAM else len(payload)
        off = 0
        while True:
            left = None
            if deadline is not None:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise _timed_out()
            piece = payload[off : off + max(chunk, 1)].tobytes()
            off += self._sys("send", {"data": piece, "flags": flags}, wait=True, timeout=left).ret
            if off >= len(payload):
                return

    def sendto(self, *args: Any) -> int:
        """sendto(data[, flags], address) -> count."""
        if len(args) == 2:
            data, address = args
            flags = 0
        elif len(args) == 3:
            data, flags, address = args
        else:
            raise TypeError(f"sendto() takes 2 or 3 arguments ({len(args)} given)")
        payload = as_bytes(data)
        flags = c_int(flags)
        raw = self._addr(address, "sendto")
        return self._sys("sendto", {"data": payload, "flags": flags, "addr": raw}, wait=True).ret

    @_c_method("varargs", "sendmsg", 1, 4)
    def sendmsg(
        self, buffers: Iterable[Any], ancdata: Iterable[Any] | None = None, flags: int = 0, address: Any = None, /
    ) -> int:
        """Send the buffers as one message with control messages [(level, type, data), ...]."""
        flags = c_int(flags)
        raw = None if address is None else self._addr(address, "sendmsg")
        try:
            parts = list(buffers)
        except TypeError:
            raise TypeError("sendmsg() argument 1 must be an iterable") from None
        iov = [as_bytes(p) for p in parts]
        control = b"" if ancdata is None else _cmsg.pack(ancdata)
        args: dict[str, Any] = {"flags": flags, "iov": iov, "addr": raw, "control": control}
        return self._sys("sendmsg", args, wait=True).ret

    def sendfile(self, file: Any, offset: int = 0, count: int | None = None) -> int:
        """Send a file's content with send() (the emulated kernel has no os.sendfile)."""
        self._check_sendfile_params(file, offset, count)
        if self.gettimeout() == 0:
            raise ValueError("non-blocking sockets are not supported")
        if offset:
            file.seek(offset)
        blocksize = min(count, 65536) if count else 65536
        total_sent = 0
        try:
            while True:
                if count:
                    blocksize = min(count - total_sent, blocksize)
                    if blocksize <= 0:
                        break
                data = memoryview(file.read(blocksize))
                if not data:
                    break
                while data:
                    sent = self.send(data)
                    total_sent += sent
                    data = data[sent:]
            return total_sent
        finally:
            if total_sent > 0 and hasattr(file, "seek"):
                file.seek(offset + total_sent)

    def _check_sendfile_params(self, file: Any, offset: int, count: int | None) -> None:
        if "b" not in getattr(file, "mode", "b"):
            raise ValueError("file should be opened in binary mode")
        if not self.type & _std.SOCK_STREAM:
            raise ValueError("only SOCK_STREAM type sockets are supported")
        if count is not None:
            if not isinstance(count, int):
                raise TypeError(f"count must be a positive integer (got {count!r})")
            if count <= 0:
                raise ValueError(f"count must be a positive integer (got {count!r})")

    # --- files ---------------------------------------------------------------------------

    def makefile(
        self,
        mode: str = "r",
        buffering: int | None = None,
        *,
        encoding: str | None = None,
        errors: str | None = None,
        newline: str | None = None,
    ) -> Any:
        """A file object on the socket (Lib/socket.py's makefile, with its SocketIO)."""
        if not set(mode) <= {"r", "w", "b"}:
            raise ValueError(f"invalid mode {mode!r} (only r, w, b allowed)")
        writing = "w" in mode
        reading = "r" in mode or not writing
        assert reading or writing
        binary = "b" in mode
        rawmode = ""
        if reading:
            rawmode += "r"
        if writing:
            rawmode += "w"
        raw = SocketIO(self, rawmode)  # type: ignore[arg-type]
        self._io_refs += 1
        if buffering is None:
            buffering = -1
        if buffering < 0:
            buffering = io.DEFAULT_BUFFER_SIZE
        if buffering == 0:
            if not binary:
                raise ValueError("unbuffered streams must be binary")
            return raw
        buffer: Any
        if reading and writing:
            buffer = io.BufferedRWPair(raw, raw, buffering)
        elif reading:
            buffer = io.BufferedReader(raw, buffering)
        else:
            assert writing
            buffer = io.BufferedWriter(raw, buffering)
        if binary:
            return buffer
        encoding = io.text_encoding(encoding)
        text = io.TextIOWrapper(buffer, encoding, errors, newline)
        text.mode = mode  # type: ignore[misc]
        return text


Socket = socket


class _PollObject:
    """select.poll() of an emulated process: register/modify/unregister/poll."""

    def __init__(self, net: Net) -> None:
        self._net = net
        self._fds: dict[int, int] = {}

    def register(self, fd: Any, eventmask: int = POLLIN | POLLPRI | POLLOUT, /) -> None:
        self._fds[_fileno(fd)] = eventmask & 0xFFFF

    def modify(self, fd: Any, eventmask: int, /) -> None:
        key = _fileno(fd)
        if key not in self._fds:
            raise _error(_errno.ENOENT)
        self._fds[key] = eventmask & 0xFFFF

    def unregister(self, fd: Any, /) -> None:
        del self._fds[_fileno(fd)]

    def poll(self, timeout: float | None = None, /) -> list[tuple[int, int]]:
        ms = -1 if timeout is None else math.ceil(float(timeout))
        ms = -1 if ms < 0 else ms
        pairs = list(self._fds.items())
        reply = self._net._poll(pairs, ms)
        return [(fd, rev) for (fd, _), rev in zip(pairs, reply) if rev]


def _fileno(obj: Any) -> int:
    """PyObject_AsFileDescriptor: an int, or what obj.fileno() returns."""
    if isinstance(obj, int):
        fd = int(obj)
    else:
        meth = getattr(obj, "fileno", None)
        if meth is None:
            raise TypeError("argument must be an int, or have a fileno() method.")
        fd = meth()
        if not isinstance(fd, int):
            raise TypeError("fileno() returned a non-integer")
    if fd < 0:
        raise ValueError(f"file descriptor cannot be a negative integer ({fd})")
    return fd


class Net:
    """One emulated process, with the surface of the stdlib ``socket`` module.

    ``net.socket`` is the socket class of this process (``isinstance`` works),
    the stdlib's constants are attributes, and ``net.select`` is
    ``select.select`` for this process's descriptors.  ``net.close()`` ends the
    process: its descriptors close as on exit(2).
    """

    error = OSError
    timeout = TimeoutError
    herror = _std.herror
    gaierror = _std.gaierror
    AddressFamily = _std.AddressFamily
    SocketKind = _std.SocketKind
    MsgFlag = _std.MsgFlag
    AddressInfo = _std.AddressInfo
    SocketIO = _std.SocketIO
    _GLOBAL_DEFAULT_TIMEOUT = _GLOBAL_DEFAULT_TIMEOUT
    has_ipv6 = False
    CMSG_LEN = staticmethod(_cmsg.CMSG_LEN)
    CMSG_SPACE = staticmethod(_cmsg.CMSG_SPACE)
    inet_aton = staticmethod(_std.inet_aton)
    inet_ntoa = staticmethod(_std.inet_ntoa)
    inet_pton = staticmethod(_std.inet_pton)
    inet_ntop = staticmethod(_std.inet_ntop)
    htons = staticmethod(_std.htons)
    htonl = staticmethod(_std.htonl)
    ntohs = staticmethod(_std.ntohs)
    ntohl = staticmethod(_std.ntohl)
    getservbyname = staticmethod(_std.getservbyname)
    getservbyport = staticmethod(_std.getservbyport)
    getprotobyname = staticmethod(_std.getprotobyname)

    socket: type[Socket]
    SocketType: type[Socket]

    def __init__(self, transport: Transport) -> None:
        self._transport = transport
        self._closed = False
        self._pending_close: list[int] = []
        self._default_timeout: float | None = None
        self.socket = type("socket", (Socket,), {"__slots__": (), "_net": self, "__module__": "client"})
        self.SocketType = self.socket

    def __getattr__(self, name: str) -> Any:
        # Only reached for names that are not there; it also tells type
        # checkers that the constants (set on the class below) exist.
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __repr__(self) -> str:
        return f"<client.Net transport={self._transport!r}{' closed' if self._closed else ''}>"

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *args: object) -> None:
        self.close()

    # --- syscalls ------------------------------------------------------------------------

    def _call(self, op: str, args: dict[str, Any], timeout: float | None = None) -> SysReply:
        """One syscall of this process (after the closes finalizers deferred)."""
        if self._closed:
            raise _error(_errno.EBADF)
        while self._pending_close:
            try:
                fd = self._pending_close.pop()
            except IndexError:
                break
            with contextlib.suppress(Exception):
                self._transport.call("close", {"fd": fd})
        return self._transport.call(op, args, timeout)

    @staticmethod
    def _check(reply: SysReply) -> int:
        if reply.ret < 0:
            raise _error(-reply.ret)
        return reply.ret

    def _defer_close(self, fd: int) -> None:
        if not self._closed:
            self._pending_close.append(fd)

    def _close_fd(self, fd: int) -> None:
        with contextlib.suppress(OSError):
            self._call("close", {"fd": fd})

    def _getsockopt_int(self, fd: int, level: int, optname: int, check: bool = True) -> int:
        reply = self._call("getsockopt", {"fd": fd, "level": level, "optname": optname, "optlen": 4})
        if reply.ret < 0:
            if check:
                raise _error(-reply.ret)
            return -reply.ret
        return int.from_bytes(reply.data[:4].ljust(4, b"\0"), "little", signed=True)

    def _poll(self, pairs: Sequence[tuple[int, int]], timeout_ms: int) -> list[int]:
        """poll(2), retried on EINTR with the time left; the revents of each pair."""
        deadline = None if timeout_ms < 0 else time.monotonic() + timeout_ms / 1000
        while True:
            reply = self._call("poll", {"fds": list(pairs), "timeout_ms": timeout_ms})
            if reply.ret >= 0:
                return list(reply.revents) if reply.ret else [0] * len(pairs)
            if reply.ret != -_errno.EINTR:
                raise _error(-reply.ret)
            if deadline is not None:
                timeout_ms = max(0, _poll_ms(deadline - time.monotonic()))

    # --- the process ---------------------------------------------------------------------

    def close(self, fd: int | None = None) -> None:
        """close(): the process exits.  close(fd): close one descriptor (socket.close)."""
        if fd is not None:
            self._check(self._call("close", {"fd": operator.index(fd)}))
            return
        if self._closed:
            return
        self._closed = True
        self._pending_close.clear()
        self._transport.close()

    @property
    def closed(self) -> bool:
        return self._closed

    def dup(self, fd: int, /) -> int:
        """A non-inheritable duplicate of a descriptor (socket.dup)."""
        fd = operator.index(fd)
        reply = self._call("fcntl", {"fd": fd, "cmd": F_DUPFD_CLOEXEC, "arg": 0})
        if reply.ret == -_errno.EINVAL:
            new = self._check(self._call("dup", {"fd": fd}))
            self._call("fcntl", {"fd": new, "cmd": F_SETFD, "arg": FD_CLOEXEC})
            return new
        return self._check(reply)

    def unlink(self, path: str | bytes) -> None:
        """Remove a name from the emulated host's filesystem (a bound AF_UNIX path)."""
        raw = os.fsencode(path)
        reply = self._call("unlink", {"path": raw})
        if reply.ret < 0:
            raise OSError(-reply.ret, os.strerror(-reply.ret), path)

    def getdefaulttimeout(self) -> float | None:
        return self._default_timeout

    def setdefaulttimeout(self, timeout: float | None, /) -> None:
        self._default_timeout = _parse_timeout(timeout)

    # --- sockets -------------------------------------------------------------------------

    def socketpair(self, family: int | None = None, type: int = _std.SOCK_STREAM, proto: int = 0) -> tuple[Socket, Socket]:
        """A pair of connected sockets (AF_UNIX by default)."""
        if family is None:
            family = _std.AF_UNIX
        family, type, proto = c_int(family), c_int(type), c_int(proto)
        reply = self._call("socketpair", {"family": family, "type": type | SOCK_CLOEXEC, "protocol": proto})
        self._check(reply)
        a, b = reply.fds
        sa = self.socket._from_fd(a, family, type, proto)
        try:
            sb = self.socket._from_fd(b, family, type, proto)
        except BaseException:
            sa.close()
            raise
        return sa, sb

    def fromfd(self, fd: Any, family: int, type: int, proto: int = 0) -> Socket:
        """A socket object for a duplicate of ``fd`` (an fd of this process)."""
        nfd = self.dup(_fileno(fd))
        return self.socket(family, type, proto, nfd)

    def send_fds(self, sock: Socket, buffers: Iterable[Any], fds: Iterable[int], flags: int = 0, address: Any = None) -> int:
        """Send fds over an AF_UNIX socket with SCM_RIGHTS (socket.send_fds)."""
        return sock.sendmsg(buffers, [(SOL_SOCKET, SCM_RIGHTS, array.array("i", fds))])

    def recv_fds(self, sock: Socket, bufsize: int, maxfds: int, flags: int = 0) -> tuple[bytes, list[int], int, Any]:
        """Receive up to maxfds fds sent with SCM_RIGHTS (socket.recv_fds)."""
        fds = array.array("i")
        msg, ancdata, flags, addr = sock.recvmsg(bufsize, _cmsg.CMSG_LEN(maxfds * fds.itemsize))
        for cmsg_level, cmsg_type, cmsg_data in ancdata:
            if cmsg_level == SOL_SOCKET and cmsg_type == SCM_RIGHTS:
                fds.frombytes(cmsg_data[: len(cmsg_data) - (len(cmsg_data) % fds.itemsize)])
        return msg, list(fds), flags, addr

    def create_connection(
        self,
        address: tuple[Any, Any],
        timeout: Any = _GLOBAL_DEFAULT_TIMEOUT,
        source_address: Any = None,
        *,
        all_errors: bool = False,
    ) -> Socket:
        """Connect to a (host, port) address, trying each getaddrinfo() result."""
        host, port = address
        exceptions: list[OSError] = []
        for af, socktype, proto, _canonname, sa in self.getaddrinfo(host, port, 0, _std.SOCK_STREAM):
            sock = None
            try:
                sock = self.socket(af, socktype, proto)
                if timeout is not _GLOBAL_DEFAULT_TIMEOUT:
                    sock.settimeout(timeout)
                if source_address:
                    sock.bind(source_address)
                sock.connect(sa)
                exceptions.clear()
                return sock
            except error as exc:
                if not all_errors:
                    exceptions.clear()
                exceptions.append(exc)
                if sock is not None:
                    sock.close()
        if len(exceptions):
            try:
                if not all_errors:
                    raise exceptions[0]
                raise ExceptionGroup("create_connection failed", exceptions)
            finally:
                exceptions.clear()
        raise error("getaddrinfo returns an empty list")

    def has_dualstack_ipv6(self) -> bool:
        return False

    def create_server(
        self,
        address: Any,
        *,
        family: int = _std.AF_INET,
        backlog: int | None = None,
        reuse_port: bool = False,
        dualstack_ipv6: bool = False,
    ) -> Socket:
        """A listening socket bound to ``address`` (Lib/socket.py's create_server)."""
        if dualstack_ipv6:
            if not self.has_dualstack_ipv6():
                raise ValueError("dualstack_ipv6 not supported on this platform")
            if family != _std.AF_INET6:
                raise ValueError("dualstack_ipv6 requires AF_INET6 family")
        sock = self.socket(family, _std.SOCK_STREAM)
        try:
            try:
                sock.setsockopt(SOL_SOCKET, _std.SO_REUSEADDR, 1)
            except error:
                pass
            if reuse_port:
                sock.setsockopt(SOL_SOCKET, _std.SO_REUSEPORT, 1)
            try:
                sock.bind(address)
            except error as err:
                msg = f"{err.strerror} (while attempting to bind on address {address!r})"
                raise error(err.errno, msg) from None
            if backlog is None:
                sock.listen()
            else:
                sock.listen(backlog)
            return sock
        except error:
            sock.close()
            raise

    # --- names (numeric only: the emulated host has no resolver) -------------------------

    def getaddrinfo(
        self, host: Any, port: Any, family: int = 0, type: int = 0, proto: int = 0, flags: int = 0
    ) -> list[tuple[Any, Any, int, str, Any]]:
        """getaddrinfo() for numeric hosts ('localhost' is 127.0.0.1); no IPv6 unless asked."""
        if isinstance(host, (str, bytes, bytearray)):
            text = host.decode("ascii", "replace") if isinstance(host, (bytes, bytearray)) else host
            if text.lower() == "localhost":
                host = "::1" if family == _std.AF_INET6 else "127.0.0.1"
        results = _std_getaddrinfo(host, port, family, type, proto, flags | _std.AI_NUMERICHOST)
        if family == _std.AF_UNSPEC and not self.has_ipv6:
            results = [r for r in results if r[0] != _std.AF_INET6]
        return results

    def getnameinfo(self, sockaddr: Any, flags: int, /) -> tuple[str, str]:
        return _std.getnameinfo(sockaddr, flags | _std.NI_NUMERICHOST)

    def gethostbyname(self, hostname: str, /) -> str:
        return _std.inet_ntoa(_sockaddr.ipv4_host(_sockaddr._host_bytes(hostname)))

    # --- interfaces (glibc's if_nametoindex & co.: ioctls on a socket of their own) ------

    def _if_socket(self) -> int | None:
        """glibc's __opensock: a datagram socket for the interface ioctls (None if none can be had)."""
        reply = self._call("socket", {"family": _std.AF_INET, "type": _std.SOCK_DGRAM | SOCK_CLOEXEC,
                                      "protocol": 0})
        return reply.ret if reply.ret >= 0 else None

    def _if_ioctl(self, fd: int, cmd: int, ifr: bytes) -> SysReply:
        while True:
            reply = self._call("ioctl", {"fd": fd, "cmd": cmd, "buf": ifr})
            if reply.ret != -_errno.EINTR:
                return reply

    def if_nametoindex(self, *args: Any) -> int:
        """The index of the interface named ``if_name`` (socket.if_nametoindex)."""
        if len(args) != 1:
            raise TypeError(f"if_nametoindex() takes exactly 1 argument ({len(args)} given)")
        name = _if_name_arg(args[0])
        index = 0
        if len(name) < _sockaddr.IFNAMSIZ:
            fd = self._if_socket()
            if fd is not None:
                try:
                    reply = self._if_ioctl(fd, _sockaddr.SIOCGIFINDEX, _sockaddr.ifreq_name(name))
                finally:
                    self._close_fd(fd)
                if reply.ret >= 0:
                    index = _sockaddr.ifreq_get_index(reply.data)
        if index == 0:
            raise OSError("no interface with this name")
        return index

    def if_indextoname(self, *args: Any) -> str:
        """The name of the interface with index ``if_index`` (socket.if_indextoname)."""
        if len(args) != 1:
            raise TypeError(f"_socket.if_indextoname() takes exactly one argument ({len(args)} given)")
        index = _if_index_arg(args[0])
        fd = self._if_socket()
        if fd is None:
            raise _error(_errno.EMFILE)
        try:
            reply = self._if_ioctl(fd, _sockaddr.SIOCGIFNAME, _sockaddr.ifreq_index(_c_int32(index)))
        finally:
            self._close_fd(fd)
        if reply.ret < 0:
            raise _error(_errno.ENXIO if reply.ret == -_errno.ENODEV else -reply.ret)
        return os.fsdecode(_sockaddr.ifreq_get_name(reply.data))

    def if_nameindex(self, *args: Any) -> list[tuple[int, str]]:
        """Every interface as (index, name), by index (socket.if_nameindex).

        glibc reads them from rtnetlink, which the emulated kernel has not:
        here SIOCGIFNAME runs over the indexes 1, 2, ... on one socket and
        stops after IF_NAMEINDEX_GAP indexes in a row name no device (Linux
        never reuses an index, so a host that deleted more devices than that
        in a row hides the ones created after them).
        """
        if args:
            raise TypeError(f"_socket.if_nameindex() takes no arguments ({len(args)} given)")
        fd = self._if_socket()
        if fd is None:
            raise _error(_errno.EMFILE)
        out: list[tuple[int, str]] = []
        try:
            index, missing = 1, 0
            while missing < IF_NAMEINDEX_GAP:
                reply = self._if_ioctl(fd, _sockaddr.SIOCGIFNAME, _sockaddr.ifreq_index(index))
                if reply.ret >= 0:
                    out.append((index, os.fsdecode(_sockaddr.ifreq_get_name(reply.data))))
                    missing = 0
                elif reply.ret == -_errno.ENODEV:
                    missing += 1
                else:
                    raise _error(-reply.ret)
                index += 1
        finally:
            self._close_fd(fd)
        return out

    # --- readiness ---------------------------------------------------------------------

    def select(self, rlist: Iterable[Any], wlist: Iterable[Any], xlist: Iterable[Any], timeout: Any = None, /) -> tuple[list[Any], list[Any], list[Any]]:
        """select.select() on this process's descriptors (through poll(2))."""
        if timeout is None:
            ms = -1
        else:
            try:
                seconds = _parse_timeout(timeout, "timeout must be non-negative")
            except TypeError:
                raise TypeError("timeout must be a float or None") from None
            assert seconds is not None
            ms = _poll_ms(seconds)
        lists: list[list[Any]] = []
        for seq in (rlist, wlist, xlist):
            try:
                lists.append(list(seq))
            except TypeError:
                raise TypeError("arguments 1-3 must be sequences") from None
        events: dict[int, int] = {}
        tagged: list[list[tuple[Any, int]]] = []
        for seq, mask in zip(lists, (POLLIN, POLLOUT, POLLPRI)):
            pairs = []
            for obj in seq:
                fd = _fileno(obj)
                if fd >= FD_SETSIZE:
                    raise ValueError("filedescriptor out of range in select()")
                events[fd] = events.get(fd, 0) | mask
                pairs.append((obj, fd))
            tagged.append(pairs)
        order = list(events.items())
        revents = dict(zip(events, self._poll(order, ms))) if order else {}
        if not order:
            self._poll([], ms)
        if any(rev & POLLNVAL for rev in revents.values()):
            raise _error(_errno.EBADF)
        out: list[list[Any]] = []
        for pairs, ready in zip(tagged, (_SELECT_IN, _SELECT_OUT, _SELECT_EX)):
            out.append([obj for obj, fd in pairs if revents.get(fd, 0) & ready])
        return out[0], out[1], out[2]

    def poll(self) -> _PollObject:
        """select.poll() for this process's descriptors."""
        return _PollObject(self)


for _name, _value in CONSTANTS.items():
    setattr(Net, _name, _value)
