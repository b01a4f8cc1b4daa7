"""socketlab's asyncio client: the ``client`` surface, awaitable.

    import client.aio
    net = await client.aio.connect("127.0.0.1:50051")    # a new process on that host
    srv = await net.socket(net.AF_UNIX, net.SOCK_STREAM)
    await srv.bind("/tmp/echo.sock"); await srv.listen()
    cli = await net.socket(net.AF_UNIX, net.SOCK_STREAM)
    await cli.connect("/tmp/echo.sock")
    conn, _ = await srv.accept()
    await cli.sendall(b"ping"); await conn.recv(100)       # b'ping'
    await net.close()                                      # the process exits

* :class:`AioNet` is one emulated process with the stdlib ``socket`` module's
  surface (constants, ``socket``, ``socketpair``, ``create_connection``,
  ``create_server``, ``getaddrinfo``, ``select``), every syscall awaitable.
  It also has the event loop's ``sock_*`` methods (``await net.sock_recv(s,
  n)``, ``sock_sendall``, ``sock_accept``, ``sock_connect``, ...).
* :class:`AioSocket` has the stdlib socket's methods as coroutines
  (``await s.recv(n)``, ``await s.sendall(b)``, ``await s.accept()``, ...)
  and the same blocking model as the synchronous client: a blocking socket
  waits in the kernel (the event loop keeps running), a timeout raises
  ``TimeoutError``, a non-blocking one raises ``BlockingIOError``.  Errors are
  ``OSError`` with the Linux errno, as the stdlib gives them.
* Streams: ``open_connection`` / ``open_unix_connection`` / ``start_server``
  / ``start_unix_server`` return asyncio's own ``StreamReader`` /
  ``StreamWriter`` and a ``Server`` with asyncio's surface, over an
  :class:`asyncio.Transport` that moves bytes through the emulated socket.
  The module-level ones use the default process of the running loop (opened
  on first use at ``$SOCKETLAB_TARGET``, default 127.0.0.1:50051, or set with
  :func:`set_default`); every other name is asyncio's, so an asyncio program
  runs on an emulated host by changing ``import asyncio`` to
  ``import client.aio as asyncio``.

Transport: :class:`AioTransport` opens the process with one
``Process/Session`` stream on the caller's event loop (grpc.aio, no thread)
and pipelines every syscall on it, with the request encoding and reply
decoding of :mod:`client._grpc`.  Cancelling a task that waits in a syscall
sends ``cancel`` for it: the kernel ends the call with EINTR and no side
effect (no data consumed), as a signal would.
"""
from __future__ import annotations

import asyncio
import contextlib
import errno as _errno
import itertools
import os
import socket as _std
import struct
import time
import warnings
import weakref
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, Self

import grpc

from client import _cmsg, _sockaddr
from client._gen.socketlab.v1 import process_pb2 as pb
from client._gen.socketlab.v1 import process_pb2_grpc as pb_grpc
from client._grpc import TlsConfig, _new_channel, decode, encode
from client._sockaddr import as_bytes, c_int, c_ssize
from client._socket import (
    _GLOBAL_DEFAULT_TIMEOUT,
    _SELECT_EX,
    _SELECT_IN,
    _SELECT_OUT,
    CONSTANTS,
    F_DUPFD_CLOEXEC,
    F_GETFD,
    F_SETFD,
    FD_CLOEXEC,
    FD_SETSIZE,
    FIONBIO,
    IF_NAMEINDEX_GAP,
    POLLERR,
    POLLIN,
    POLLNVAL,
    POLLOUT,
    POLLPRI,
    SENDALL_CHUNK,
    SO_ERROR,
    SOCK_CLOEXEC,
    SOCK_NONBLOCK,
    SOCKLEN_T_LIMIT,
    SOL_SOCKET,
    _c_int32,
    _error,
    _fileno,
    _if_index_arg,
    _if_name_arg,
    _intenum_converter,
    _parse_timeout,
    _poll_ms,
    _timed_out,
    _writable_view,
)

if TYPE_CHECKING:
    from kernel.syscalls import SysReply

__all__ = [
    "AioNet",
    "AioSocket",
    "AioTransport",
    "Server",
    "connect",
    "default_net",
    "open_connection",
    "open_unix_connection",
    "set_default",
    "start_server",
    "start_unix_server",
]

DEFAULT_TARGET = "127.0.0.1:50051"
_INVALID = grpc.StatusCode.INVALID_ARGUMENT


class _NeedLookup(Exception):
    """Raised by the AF_PACKET name resolver of a first encoding pass (see AioSocket._addr)."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


# --- the transport ----------------------------------------------------------------------


class AioTransport:
    """One process on a socketlabd host, over a Session stream in this event loop."""

    def __init__(self, target: str) -> None:
        self.target = target
        self.handle = ""
        self.pid = -1
        self._channel: grpc.aio.Channel | None = None
        self._call: Any = None
        self._ids = itertools.count(1)
        self._pending: dict[int, asyncio.Future[pb.SessionResponse]] = {}
        self._queue: asyncio.Queue[pb.SessionRequest | None] = asyncio.Queue()
        self._failure: BaseException | None = None
        self._closed = False
        self._tasks: list[asyncio.Task[None]] = []
        self._ended = asyncio.Event()

    def __repr__(self) -> str:
        return f"<AioTransport {self.target} pid={self.pid}>"

    @classmethod
    async def open(
        cls, target: str, *, uid: int | None = None, gid: int | None = None,
        capabilities: int | None = None, connect_timeout: float = 10.0,
        token: str | None = None, tls: TlsConfig | None = None,
    ) -> AioTransport:
        """Open a process on the daemon at ``target`` ("HOST:PORT").

        ``token``: a bearer token (a daemon with ``--token-file``); ``tls``: a
        :class:`client.TlsConfig` (as for ``client.connect``).
        """
        self = cls(target)
        self._channel = _new_channel(target, tls)
        metadata = (("authorization", f"Bearer {token}"),) if token else None
        open_msg = pb.SessionRequest(open=pb.OpenProcess(uid=uid, gid=gid, capabilities=capabilities))
        try:
            async with asyncio.timeout(connect_timeout):
                await self._channel.channel_ready()
                self._call = pb_grpc.ProcessStub(self._channel).Session(metadata=metadata)
                await self._call.write(open_msg)
                first = await self._call.read()
            if first is grpc.aio.EOF and (code := await self._call.code()) != grpc.StatusCode.OK:  # type: ignore[attr-defined]
                # the status came before any message (e.g. UNAUTHENTICATED): report it as such
                details = await self._call.details()
                if code in (grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.PERMISSION_DENIED):
                    raise PermissionError(f"socketlabd at {target}: {details}")
                raise EOFError(f"{code.name} {details}")
            if first is grpc.aio.EOF or first.WhichOneof("kind") != "opened":  # type: ignore[attr-defined]
                raise EOFError("the daemon ended the session before opening the process")
        except grpc.aio.AioRpcError as exc:
            await self._abandon()
            if exc.code() in (grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.PERMISSION_DENIED):
                raise PermissionError(f"socketlabd at {target}: {exc.details()}") from None
            raise ConnectionError(f"socketlabd at {target}: {exc}") from None
        except (TimeoutError, EOFError) as exc:
            await self._abandon()
            detail = "not reachable" if isinstance(exc, TimeoutError) else str(exc)
            raise ConnectionError(f"socketlabd at {target}: {detail}") from None
        except BaseException:
            await self._abandon()
            raise
        self.handle, self.pid = first.opened.process, first.opened.pid
        loop = asyncio.get_running_loop()
        self._tasks = [loop.create_task(self._read_loop()), loop.create_task(self._write_loop())]
        return self

    async def _abandon(self) -> None:
        if self._call is not None:
            self._call.cancel()
        if self._channel is not None:
            await self._channel.close(None)

    async def _write_loop(self) -> None:
        try:
            while (msg := await self._queue.get()) is not None:
                await self._call.write(msg)
            await self._call.done_writing()
        except (grpc.aio.AioRpcError, asyncio.InvalidStateError, grpc.aio.UsageError):
            pass  # the stream broke: the reader reports it

    async def _read_loop(self) -> None:
        failure: BaseException = ConnectionError(f"socketlabd at {self.target}: the session has ended")
        try:
            while (msg := await self._call.read()) is not grpc.aio.EOF:  # type: ignore[attr-defined]
                if msg.WhichOneof("kind") == "progress":
                    continue
                fut = self._pending.pop(msg.id, None)
                if fut is not None and not fut.done():
                    fut.set_result(msg)
        except grpc.aio.AioRpcError as exc:
            failure = ConnectionError(f"socketlabd at {self.target}: {exc.code().name} {exc.details()}")
        except asyncio.CancelledError:
            pass
        except Exception as exc:  # noqa: BLE001 - reported to every waiting caller
            failure = ConnectionError(f"socketlabd at {self.target}: {exc!r}")
        finally:
            self._failure = failure
            pending, self._pending = self._pending, {}
            for fut in pending.values():
                if not fut.done():
                    fut.set_exception(failure)
            self._queue.put_nowait(None)
            self._ended.set()

    async def call(self, op: str, args: dict[str, Any], timeout: float | None = None) -> SysReply:
        """Run one syscall in the daemon's process; wait (without blocking the loop) for its reply."""
        req = encode(op, args, timeout)
        if self._failure is not None or self._closed:
            raise ConnectionError(f"socketlabd at {self.target}: the session is closed")
        req.id = rid = next(self._ids)
        fut: asyncio.Future[pb.SessionResponse] = asyncio.get_running_loop().create_future()
        self._pending[rid] = fut
        self._queue.put_nowait(req)
        try:
            msg = await fut
        except asyncio.CancelledError:
            # Interrupted like a syscall by a signal: the kernel ends it with EINTR, no side effect.
            if self._failure is None and not self._closed:
                self._queue.put_nowait(pb.SessionRequest(id=rid, cancel=pb.CancelCall()))
            raise
        return decode(msg)

    async def close(self) -> None:
        """End the session: the process exits and its fds close (peers see EOF)."""
        if self._closed:
            return
        self._closed = True
        self._queue.put_nowait(None)
        try:
            async with asyncio.timeout(5.0):
                await self._ended.wait()
        except TimeoutError:
            self._call.cancel()
        for task in self._tasks:
            task.cancel()
        if self._channel is not None:
            await self._channel.close(None)


# --- sockets ------------------------------------------------------------------------------


class AioSocket:
    """A socket of an emulated process; its syscalls are coroutines."""

    _net: AioNet

    def __init__(self, net: AioNet, fd: int, family: int, type: int, proto: int) -> None:
        """Use ``await net.socket(...)``; this wraps an fd already known to be such a socket."""
        self._net = net
        self._fd = fd
        self._family = family
        self._type = type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC)
        self._proto = proto
        self._closed = False
        self._timeout: float | None = 0.0 if type & SOCK_NONBLOCK else None

    # --- the one blocking/readiness policy (the sync client's Socket._sys) ---------------

    async def _sys(self, op: str, args: dict[str, Any], *, wait: bool = False, timeout: float | None = None) -> SysReply:
        fd = self._fd
        if fd < 0:
            raise _error(_errno.EBADF)
        args["fd"] = fd
        limit = timeout if timeout is not None else self._timeout
        if not wait or limit is None or limit <= 0:
            limit = None
        deadline = None if limit is None else time.monotonic() + limit
        while True:
            reply = await self._net._call(op, args, limit)
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

    async def _set_nonblocking(self, nonblocking: bool) -> None:
        await self._sys("ioctl", {"cmd": FIONBIO, "arg": 1 if nonblocking else 0})

    # --- attributes ---------------------------------------------------------------------

    @property
    def family(self) -> int:
        return _intenum_converter(self._family, _std.AddressFamily)

    @property
    def type(self) -> int:
        return _intenum_converter(self._type, _std.SocketKind)

    @property
    def proto(self) -> int:
        return self._proto

    @property
    def timeout(self) -> float | None:
        return self._timeout

    def fileno(self) -> int:
        return self._fd

    def gettimeout(self) -> float | None:
        return self._timeout

    def getblocking(self) -> bool:
        return self._timeout != 0

    async def settimeout(self, value: float | None, /) -> None:
        self._timeout = _parse_timeout(value)
        await self._set_nonblocking(self._timeout is not None)

    async def setblocking(self, flag: bool, /) -> None:
        self._timeout = None if flag else 0.0
        await self._set_nonblocking(not flag)

    def __repr__(self) -> str:
        return (f"<client.aio.AioSocket{' [closed]' if self._closed else ''} fd={self._fd}, "
                f"family={self.family}, type={self.type}, proto={self.proto}>")

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *args: object) -> None:
        await self.close()

    def __del__(self) -> None:
        fd = getattr(self, "_fd", -1)
        if fd < 0:
            return
        self._fd = -1
        with contextlib.suppress(Exception):
            warnings.warn(f"unclosed <client.aio.AioSocket fd={fd}>", ResourceWarning, source=self)
        self._net._defer_close(fd)

    # --- lifetime -----------------------------------------------------------------------

    async def close(self) -> None:
        self._closed = True
        fd, self._fd = self._fd, -1
        if fd < 0 or self._net._closed:
            return
        reply = await self._net._call("close", {"fd": fd})
        if reply.ret < 0 and -reply.ret != _errno.ECONNRESET:
            raise _error(-reply.ret)

    def detach(self) -> int:
        self._closed = True
        fd, self._fd = self._fd, -1
        return fd

    async def dup(self) -> AioSocket:
        fd = await self._net.dup(self.fileno())
        sock = AioSocket(self._net, fd, self._family, self._type, self._proto)
        if self._timeout is not None:
            await sock.settimeout(self._timeout)
        return sock

    async def get_inheritable(self) -> bool:
        return not (await self._sys("fcntl", {"cmd": F_GETFD})).ret & FD_CLOEXEC

    async def set_inheritable(self, inheritable: bool) -> None:
        flags = (await self._sys("fcntl", {"cmd": F_GETFD})).ret
        flags = flags & ~FD_CLOEXEC if inheritable else flags | FD_CLOEXEC
        await self._sys("fcntl", {"cmd": F_SETFD, "arg": flags})

    # --- names --------------------------------------------------------------------------

    async def _addr(self, address: Any, caller: str) -> bytes:
        """getsockaddrarg; an AF_PACKET name is looked up with SIOCGIFINDEX on this socket's fd.

        The resolvers of _sockaddr are synchronous: a first pass stops at the
        lookup (after the argument checks CPython makes before its ioctl), the
        ioctl runs, and a second pass goes on with its answer.
        """
        if self._family != _sockaddr.AF_PACKET:
            return _sockaddr.encode(self._family, address, caller)

        def ask(name: str) -> int:
            raise _NeedLookup(name)

        try:
            return _sockaddr.encode(self._family, address, caller, ifindex_of=ask)
        except _NeedLookup as need:
            reply = await self._sys("ioctl", {"cmd": _sockaddr.SIOCGIFINDEX, "buf": _sockaddr.ifreq_name(need.name)})
            index = _sockaddr.ifreq_get_index(reply.data)
        return _sockaddr.encode(self._family, address, caller, ifindex_of=lambda name: index)

    async def _decode(self, raw: bytes, addrlen: int) -> Any:
        """makesockaddr; an AF_PACKET index is named with SIOCGIFNAME on this socket's fd."""
        index = _sockaddr.packet_ifindex(raw, addrlen)
        if not index:
            return _sockaddr.decode(raw, addrlen)
        try:
            reply = await self._sys("ioctl", {"cmd": _sockaddr.SIOCGIFNAME, "buf": _sockaddr.ifreq_index(index)})
            name = _sockaddr.ifreq_get_name(reply.data).decode()
        except OSError:
            name = ""
        return _sockaddr.decode(raw, addrlen, ifname_of=lambda i: name)

    async def bind(self, address: Any, /) -> None:
        await self._sys("bind", {"addr": await self._addr(address, "bind")})

    async def getsockname(self) -> Any:
        reply = await self._sys("getsockname", {"addrlen": _sockaddr.sockaddr_len(self._family)})
        return await self._decode(reply.addr, reply.addrlen)

    async def getpeername(self) -> Any:
        reply = await self._sys("getpeername", {"addrlen": _sockaddr.sockaddr_len(self._family)})
        return await self._decode(reply.addr, reply.addrlen)

    async def listen(self, backlog: int = min(_std.SOMAXCONN, 128), /) -> None:
        await self._sys("listen", {"backlog": max(c_int(backlog), 0)})

    # --- connections --------------------------------------------------------------------

    async def _connect(self, address: Any, caller: str) -> int:
        raw = await self._addr(address, caller)
        if self._fd < 0:
            return _errno.EBADF
        reply = await self._net._call("connect", {"fd": self._fd, "addr": raw})
        if reply.ret >= 0:
            return 0
        err = -reply.ret
        if err == _errno.EINTR:
            wait = self._timeout != 0
        else:
            wait = self._timeout is not None and self._timeout > 0 and err == _errno.EINPROGRESS
        if not wait:
            return err
        deadline = None if self._timeout is None else time.monotonic() + self._timeout
        while True:
            ms = -1
            if deadline is not None:
                left = deadline - time.monotonic()
                if left < 0:
                    raise _timed_out()
                ms = _poll_ms(left)
            reply = await self._net._call("poll", {"fds": [(self._fd, POLLOUT | POLLERR)], "timeout_ms": ms})
            if reply.ret == -_errno.EINTR:
                continue
            if reply.ret < 0:
                return -reply.ret
            if reply.ret == 0:
                raise _timed_out()
            so_error = await self._net._getsockopt_int(self._fd, SOL_SOCKET, SO_ERROR, check=False)
            if so_error in (0, _errno.EISCONN):
                return 0
            if so_error in (_errno.EAGAIN, _errno.EWOULDBLOCK) and deadline is not None:
                continue
            return so_error

    async def connect(self, address: Any, /) -> None:
        err = await self._connect(address, "connect")
        if err:
            raise _error(err)

    async def connect_ex(self, address: Any, /) -> int:
        try:
            return await self._connect(address, "connect_ex")
        except TimeoutError:
            return _errno.EWOULDBLOCK

    async def accept(self) -> tuple[AioSocket, Any]:
        """Wait for a connection: (new socket, address of the client)."""
        addrlen = _sockaddr.sockaddr_len(self._family)
        reply = await self._sys("accept4", {"flags": SOCK_CLOEXEC, "addrlen": addrlen}, wait=True)
        sock = AioSocket(self._net, reply.ret, self._family, self._type, self._proto)
        if self._net._default_timeout is not None:
            await sock.settimeout(self._net._default_timeout)
        return sock, await self._decode(reply.addr, reply.addrlen)

    async def shutdown(self, how: int, /) -> None:
        await self._sys("shutdown", {"how": c_int(how, clinic=True)})

    # --- options ------------------------------------------------------------------------

    async def setsockopt(self, level: int, optname: int, value: int | bytes, /) -> None:
        optval = struct.pack("<i", c_int(value)) if isinstance(value, int) else as_bytes(value)
        await self._sys("setsockopt", {"level": c_int(level), "optname": c_int(optname), "optval": optval})

    async def getsockopt(self, level: int, optname: int, buflen: int = 0, /) -> int | bytes:
        level, optname, buflen = c_int(level), c_int(optname), c_int(buflen)
        if buflen == 0:
            reply = await self._sys("getsockopt", {"level": level, "optname": optname, "optlen": 4})
            return int.from_bytes(reply.data[:4].ljust(4, b"\0"), "little", signed=True)
        if buflen < 0 or buflen > 1024:
            raise OSError("getsockopt buflen out of range")
        reply = await self._sys("getsockopt", {"level": level, "optname": optname, "optlen": buflen})
        return bytes(reply.data)

    # --- receiving ----------------------------------------------------------------------

    async def recv(self, bufsize: int, flags: int = 0, /) -> bytes:
        size = c_ssize(bufsize)
        if size < 0:
            raise ValueError("negative buffersize in recv")
        if size == 0:
            return b""
        reply = await self._sys("recv", {"size": size, "flags": c_int(flags)}, wait=True)
        data, n = reply.data, reply.ret
        return data if len(data) == n else data[:n].ljust(n, b"\0")

    async def recv_into(self, buffer: Any, nbytes: int = 0, flags: int = 0) -> int:
        view = _writable_view(buffer, "recv_into")
        size = c_ssize(nbytes) or len(view)
        if size < 0:
            raise ValueError("negative buffersize in recv_into")
        if len(view) < size:
            raise ValueError("buffer too small for requested bytes")
        if size == 0:
            return 0
        reply = await self._sys("recv", {"size": size, "flags": c_int(flags)}, wait=True)
        view[: len(reply.data)] = reply.data[:size]
        return reply.ret

    async def recvfrom(self, bufsize: int, flags: int = 0, /) -> tuple[bytes, Any]:
        size = c_ssize(bufsize)
        if size < 0:
            raise ValueError("negative buffersize in recvfrom")
        addrlen = _sockaddr.sockaddr_len(self._family)
        reply = await self._sys("recvfrom", {"size": size, "flags": c_int(flags), "addrlen": addrlen}, wait=True)
        data, n = reply.data, reply.ret
        return (data if len(data) == n else data[:n].ljust(n, b"\0")), await self._decode(reply.addr, reply.addrlen)

    async def recvfrom_into(self, buffer: Any, nbytes: int = 0, flags: int = 0) -> tuple[int, Any]:
        view = _writable_view(buffer, "recvfrom_into")
        size = c_ssize(nbytes) or len(view)
        if size > len(view):
            raise ValueError("nbytes is greater than the length of the buffer")
        addrlen = _sockaddr.sockaddr_len(self._family)
        reply = await self._sys("recvfrom", {"size": size, "flags": c_int(flags), "addrlen": addrlen}, wait=True)
        view[: len(reply.data)] = reply.data[:size]
        return reply.ret, await self._decode(reply.addr, reply.addrlen)

    async def recvmsg(self, bufsize: int, ancbufsize: int = 0, flags: int = 0, /) -> tuple[bytes, list[Any], int, Any]:
        """(data, ancdata, msg_flags, address); ancdata is [(level, type, data), ...]."""
        size, ancbufsize = c_ssize(bufsize), c_ssize(ancbufsize)
        if size < 0:
            raise ValueError("negative buffer size in recvmsg()")
        if ancbufsize < 0 or ancbufsize > SOCKLEN_T_LIMIT:
            raise ValueError("invalid ancillary data buffer length")
        addrlen = _sockaddr.sockaddr_len(self._family)
        reply = await self._sys(
            "recvmsg", {"flags": c_int(flags), "size": size, "addrlen": addrlen, "controllen": ancbufsize}, wait=True)
        ancdata = _cmsg.unpack(reply.control) if ancbufsize > 0 else []
        addr = await self._decode(reply.addr, min(reply.addrlen, addrlen))
        return reply.data[: min(reply.ret, size)], ancdata, reply.msg_flags, addr

    # --- sending ------------------------------------------------------------------------

    async def send(self, data: Any, flags: int = 0, /) -> int:
        return (await self._sys("send", {"data": as_bytes(data), "flags": c_int(flags)}, wait=True)).ret

    async def sendall(self, data: Any, flags: int = 0, /) -> None:
        """Send all of ``data``; a timeout covers the whole operation."""
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
            off += (await self._sys("send", {"data": piece, "flags": flags}, wait=True, timeout=left)).ret
            if off >= len(payload):
                return

    async def sendto(self, *args: Any) -> int:
        """sendto(data[, flags], address) -> count."""
        if len(args) == 2:
            (data, address), flags = args, 0
        elif len(args) == 3:
            data, flags, address = args
        else:
            raise TypeError(f"sendto() takes 2 or 3 arguments ({len(args)} given)")
        raw = await self._addr(address, "sendto")
        return (await self._sys("sendto", {"data": as_bytes(data), "flags": c_int(flags), "addr": raw}, wait=True)).ret

    async def sendmsg(
        self, buffers: Iterable[Any], ancdata: Iterable[Any] | None = None, flags: int = 0, address: Any = None, /
    ) -> int:
        raw = None if address is None else await self._addr(address, "sendmsg")
        iov = [as_bytes(p) for p in buffers]
        control = b"" if ancdata is None else _cmsg.pack(ancdata)
        args: dict[str, Any] = {"flags": c_int(flags), "iov": iov, "addr": raw, "control": control}
        return (await self._sys("sendmsg", args, wait=True)).ret


# --- the process (the socket module's surface) -------------------------------------------


class AioNet:
    """One emulated process, with the stdlib ``socket`` module's surface, awaitable."""

    error = OSError
    timeout = TimeoutError
    herror = _std.herror
    gaierror = _std.gaierror
    AddressFamily = _std.AddressFamily
    SocketKind = _std.SocketKind
    MsgFlag = _std.MsgFlag
    AddressInfo = _std.AddressInfo
    has_ipv6 = False
    CMSG_LEN = staticmethod(_cmsg.CMSG_LEN)
    CMSG_SPACE = staticmethod(_cmsg.CMSG_SPACE)

    def __init__(self, transport: AioTransport) -> None:
        self._transport = transport
        self._closed = False
        self._pending_close: list[int] = []
        self._default_timeout: float | None = None

    def __getattr__(self, name: str) -> Any:
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __repr__(self) -> str:
        return f"<client.aio.AioNet transport={self._transport!r}{' closed' if self._closed else ''}>"

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *args: object) -> None:
        await self.close()

    @property
    def pid(self) -> int:
        return self._transport.pid

    @property
    def closed(self) -> bool:
        return self._closed

    # --- syscalls -------------------------------------------------------------------------

    async def _call(self, op: str, args: dict[str, Any], timeout: float | None = None) -> SysReply:
        if self._closed:
            raise _error(_errno.EBADF)
        while self._pending_close:
            fd = self._pending_close.pop()
            with contextlib.suppress(Exception):
                await self._transport.call("close", {"fd": fd})
        return await self._transport.call(op, args, timeout)

    def _defer_close(self, fd: int) -> None:
        if not self._closed:
            self._pending_close.append(fd)

    async def _getsockopt_int(self, fd: int, level: int, optname: int, check: bool = True) -> int:
        reply = await self._call("getsockopt", {"fd": fd, "level": level, "optname": optname, "optlen": 4})
        if reply.ret < 0:
            if check:
                raise _error(-reply.ret)
            return -reply.ret
        return int.from_bytes(reply.data[:4].ljust(4, b"\0"), "little", signed=True)

    async def close(self, fd: int | None = None) -> None:
        """close(): the process exits.  close(fd): close one descriptor."""
        if fd is not None:
            reply = await self._call("close", {"fd": fd})
            if reply.ret < 0:
                raise _error(-reply.ret)
            return
        if self._closed:
            return
        self._closed = True
        self._pending_close.clear()
        await self._transport.close()

    async def dup(self, fd: int, /) -> int:
        reply = await self._call("fcntl", {"fd": fd, "cmd": F_DUPFD_CLOEXEC, "arg": 0})
        if reply.ret < 0:
            raise _error(-reply.ret)
        return reply.ret

    async def unlink(self, path: str | bytes) -> None:
        """Remove a name from the emulated host's filesystem (a bound AF_UNIX path)."""
        reply = await self._call("unlink", {"path": os.fsencode(path)})
        if reply.ret < 0:
            raise OSError(-reply.ret, os.strerror(-reply.ret), path)

    def getdefaulttimeout(self) -> float | None:
        return self._default_timeout

    def setdefaulttimeout(self, timeout: float | None, /) -> None:
        self._default_timeout = _parse_timeout(timeout)

    # --- sockets --------------------------------------------------------------------------

    async def socket(self, family: int = _std.AF_INET, type: int = _std.SOCK_STREAM, proto: int = 0,
                     fileno: int | None = None) -> AioSocket:
        """A new socket (``await net.socket(net.AF_UNIX, net.SOCK_STREAM)``), or one for ``fileno``."""
        if fileno is None:
            reply = await self._call("socket", {"family": c_int(family), "type": c_int(type) | SOCK_CLOEXEC,
                                                "protocol": c_int(proto)})
            if reply.ret < 0:
                raise _error(-reply.ret)
            fd = reply.ret
        else:
            fd = fileno
        sock = AioSocket(self, fd, family, type, proto)
        if not type & SOCK_NONBLOCK and self._default_timeout is not None:
            await sock.settimeout(self._default_timeout)
        return sock

    async def socketpair(self, family: int | None = None, type: int = _std.SOCK_STREAM,
                         proto: int = 0) -> tuple[AioSocket, AioSocket]:
        """A pair of connected sockets (AF_UNIX by default)."""
        family = _std.AF_UNIX if family is None else family
        reply = await self._call("socketpair", {"family": family, "type": type | SOCK_CLOEXEC, "protocol": proto})
        if reply.ret < 0:
            raise _error(-reply.ret)
        a, b = reply.fds
        return AioSocket(self, a, family, type, proto), AioSocket(self, b, family, type, proto)

    async def create_connection(self, address: tuple[Any, Any], timeout: Any = _GLOBAL_DEFAULT_TIMEOUT,
                                source_address: Any = None) -> AioSocket:
        """Connect to a (host, port) address, trying each getaddrinfo() result."""
        host, port = address
        err: OSError | None = None
        for af, socktype, proto, _canon, sa in await self.getaddrinfo(host, port, 0, _std.SOCK_STREAM):
            sock = None
            try:
                sock = await self.socket(af, socktype, proto)
                if timeout is not _GLOBAL_DEFAULT_TIMEOUT:
                    await sock.settimeout(timeout)
                if source_address:
                    await sock.bind(source_address)
                await sock.connect(sa)
                return sock
            except OSError as exc:
                err = exc
                if sock is not None:
                    await sock.close()
        if err is not None:
            raise err
        raise OSError("getaddrinfo returns an empty list")

    async def create_server(self, address: Any, *, family: int = _std.AF_INET, backlog: int | None = None,
                            reuse_port: bool = False) -> AioSocket:
        """A listening socket bound to ``address`` (Lib/socket.py's create_server)."""
        sock = await self.socket(family, _std.SOCK_STREAM)
        try:
            if family != _std.AF_UNIX:
                with contextlib.suppress(OSError):
                    await sock.setsockopt(SOL_SOCKET, _std.SO_REUSEADDR, 1)
            if reuse_port:
                await sock.setsockopt(SOL_SOCKET, _std.SO_REUSEPORT, 1)
            try:
                await sock.bind(address)
            except OSError as err:
                raise OSError(err.errno, f"{err.strerror} (while attempting to bind on address {address!r})") from None
            await (sock.listen() if backlog is None else sock.listen(backlog))
            return sock
        except OSError:
            await sock.close()
            raise

    # --- interfaces (as client.Net's: ioctls on a socket of their own) ---------------------

    async def _if_socket(self) -> int | None:
        reply = await self._call("socket", {"family": _std.AF_INET, "type": _std.SOCK_DGRAM | SOCK_CLOEXEC,
                                            "protocol": 0})
        return reply.ret if reply.ret >= 0 else None

    async def _if_ioctl(self, fd: int, cmd: int, ifr: bytes) -> SysReply:
        while True:
            reply = await self._call("ioctl", {"fd": fd, "cmd": cmd, "buf": ifr})
            if reply.ret != -_errno.EINTR:
                return reply

    async def _if_close(self, fd: int) -> None:
        with contextlib.suppress(OSError):
            await self._call("close", {"fd": fd})

    async def if_nametoindex(self, *args: Any) -> int:
        """The index of the interface named ``if_name`` (socket.if_nametoindex)."""
        if len(args) != 1:
            raise TypeError(f"if_nametoindex() takes exactly 1 argument ({len(args)} given)")
        name = _if_name_arg(args[0])
        index = 0
        if len(name) < _sockaddr.IFNAMSIZ:
            fd = await self._if_socket()
            if fd is not None:
                try:
                    reply = await self._if_ioctl(fd, _sockaddr.SIOCGIFINDEX, _sockaddr.ifreq_name(name))
                finally:
                    await self._if_close(fd)
                if reply.ret >= 0:
                    index = _sockaddr.ifreq_get_index(reply.data)
        if index == 0:
            raise OSError("no interface with this name")
        return index

    async def if_indextoname(self, *args: Any) -> str:
        """The name of the interface with index ``if_index`` (socket.if_indextoname)."""
        if len(args) != 1:
            raise TypeError(f"_socket.if_indextoname() takes exactly one argument ({len(args)} given)")
        index = _if_index_arg(args[0])
        fd = await self._if_socket()
        if fd is None:
            raise _error(_errno.EMFILE)
        try:
            reply = await self._if_ioctl(fd, _sockaddr.SIOCGIFNAME, _sockaddr.ifreq_index(_c_int32(index)))
        finally:
            await self._if_close(fd)
        if reply.ret < 0:
            raise _error(_errno.ENXIO if reply.ret == -_errno.ENODEV else -reply.ret)
        return os.fsdecode(_sockaddr.ifreq_get_name(reply.data))

    async def if_nameindex(self, *args: Any) -> list[tuple[int, str]]:
        """Every interface as (index, name), by index: SIOCGIFNAME over 1, 2, ... as client.Net does."""
        if args:
            raise TypeError(f"_socket.if_nameindex() takes no arguments ({len(args)} given)")
        fd = await self._if_socket()
        if fd is None:
            raise _error(_errno.EMFILE)
        out: list[tuple[int, str]] = []
        try:
            index, missing = 1, 0
            while missing < IF_NAMEINDEX_GAP:
                reply = await self._if_ioctl(fd, _sockaddr.SIOCGIFNAME, _sockaddr.ifreq_index(index))
                if reply.ret >= 0:
                    out.append((index, os.fsdecode(_sockaddr.ifreq_get_name(reply.data))))
                    missing = 0
                elif reply.ret == -_errno.ENODEV:
                    missing += 1
                else:
                    raise _error(-reply.ret)
                index += 1
        finally:
            await self._if_close(fd)
        return out

    async def getaddrinfo(self, host: Any, port: Any, family: int = 0, type: int = 0, proto: int = 0,
                          flags: int = 0) -> list[tuple[Any, Any, int, str, Any]]:
        """getaddrinfo() for numeric hosts ('localhost' is 127.0.0.1), like the sync client's."""
        if isinstance(host, str) and host.lower() == "localhost":
            host = "::1" if family == _std.AF_INET6 else "127.0.0.1"
        results = _STD_GETADDRINFO(host, port, family, type, proto, flags | _std.AI_NUMERICHOST)
        if family == _std.AF_UNSPEC:
            results = [r for r in results if r[0] != _std.AF_INET6]
        return results

    # --- readiness ----------------------------------------------------------------------

    async def poll(self, pairs: Sequence[tuple[Any, int]], timeout_ms: int = -1) -> list[tuple[int, int]]:
        """poll(2): [(fd, revents)] of the ready descriptors; ``pairs`` is [(fd or socket, events)]."""
        fds = [(_fileno(obj), ev) for obj, ev in pairs]
        deadline = None if timeout_ms < 0 else time.monotonic() + timeout_ms / 1000
        while True:
            reply = await self._call("poll", {"fds": fds, "timeout_ms": timeout_ms})
            if reply.ret >= 0:
                revents = list(reply.revents) if reply.ret else [0] * len(fds)
                return [(fd, rev) for (fd, _), rev in zip(fds, revents) if rev]
            if reply.ret != -_errno.EINTR:
                raise _error(-reply.ret)
            if deadline is not None:
                timeout_ms = max(0, _poll_ms(deadline - time.monotonic()))

    async def select(self, rlist: Iterable[Any], wlist: Iterable[Any], xlist: Iterable[Any],
                     timeout: float | None = None, /) -> tuple[list[Any], list[Any], list[Any]]:
        """select.select() on this process's descriptors (through poll(2))."""
        ms = -1 if timeout is None else _poll_ms(_parse_timeout(timeout, "timeout must be non-negative") or 0.0)
        lists = [list(rlist), list(wlist), list(xlist)]
        events: dict[int, int] = {}
        for seq, mask in zip(lists, (POLLIN, POLLOUT, POLLPRI)):
            for obj in seq:
                fd = _fileno(obj)
                if fd >= FD_SETSIZE:
                    raise ValueError("filedescriptor out of range in select()")
                events[fd] = events.get(fd, 0) | mask
        revents = dict(await self.poll(list(events.items()), ms))
        if any(rev & POLLNVAL for rev in revents.values()):
            raise _error(_errno.EBADF)
        r, w, x = ([obj for obj in seq if revents.get(_fileno(obj), 0) & ready]
                   for seq, ready in zip(lists, (_SELECT_IN, _SELECT_OUT, _SELECT_EX)))
        return r, w, x

    # --- the event loop's sock_* methods ------------------------------------------------

    # As the event loop's, they wait for readiness whatever the socket's blocking
    # mode (asyncio wants non-blocking sockets): EAGAIN / EINPROGRESS wait in a
    # poll(2) on the emulated fd, then the call is made again.

    async def _wait_ready(self, sock: AioSocket, events: int) -> None:
        if sock.fileno() < 0:
            raise _error(_errno.EBADF)
        while True:
            reply = await self._call("poll", {"fds": [(sock.fileno(), events)], "timeout_ms": -1})
            if reply.ret != -_errno.EINTR:
                break
        if reply.ret < 0:
            raise _error(-reply.ret)

    async def _retry(self, sock: AioSocket, events: int, call: Callable[[], Awaitable[Any]]) -> Any:
        while True:
            try:
                return await call()
            except BlockingIOError:
                await self._wait_ready(sock, events)

    async def sock_recv(self, sock: AioSocket, nbytes: int) -> bytes:
        """loop.sock_recv(): up to ``nbytes``, waiting until some arrive (b'' at EOF)."""
        return await self._retry(sock, POLLIN, lambda: sock.recv(nbytes))  # type: ignore[no-any-return]

    async def sock_recv_into(self, sock: AioSocket, buf: Any) -> int:
        return await self._retry(sock, POLLIN, lambda: sock.recv_into(buf))  # type: ignore[no-any-return]

    async def sock_recvfrom(self, sock: AioSocket, bufsize: int) -> tuple[bytes, Any]:
        return await self._retry(sock, POLLIN, lambda: sock.recvfrom(bufsize))  # type: ignore[no-any-return]

    async def sock_recvfrom_into(self, sock: AioSocket, buf: Any, nbytes: int = 0) -> tuple[int, Any]:
        return await self._retry(  # type: ignore[no-any-return]
            sock, POLLIN, lambda: sock.recvfrom_into(buf, nbytes))

    async def sock_sendall(self, sock: AioSocket, data: Any) -> None:
        """loop.sock_sendall(): all of ``data``, waiting for room as often as needed."""
        if sock.gettimeout() != 0:
            await sock.sendall(data)  # the socket's own blocking model (one deadline)
            return
        view = memoryview(as_bytes(data))
        off = 0
        while off < len(view):
            piece = view[off : off + SENDALL_CHUNK].tobytes()
            off += await self._retry(sock, POLLOUT, lambda: sock.send(piece))  # noqa: B023 - awaited at once

    async def sock_sendto(self, sock: AioSocket, data: Any, address: Any) -> int:
        return await self._retry(sock, POLLOUT, lambda: sock.sendto(data, address))  # type: ignore[no-any-return]

    async def sock_connect(self, sock: AioSocket, address: Any) -> None:
        """loop.sock_connect(): returns once connected; a non-blocking socket's EINPROGRESS is waited for."""
        err = await sock._connect(address, "connect")
        if err in (_errno.EINPROGRESS, _errno.EALREADY, _errno.EAGAIN):  # BlockingIOError: asyncio waits
            await self._wait_ready(sock, POLLOUT)
            err = await self._getsockopt_int(sock.fileno(), SOL_SOCKET, SO_ERROR, check=False)
        if err:
            raise _error(err)

    async def sock_accept(self, sock: AioSocket) -> tuple[AioSocket, Any]:
        """loop.sock_accept(): waits for a connection; the new socket is non-blocking, as asyncio's."""
        conn, address = await self._retry(sock, POLLIN, sock.accept)
        await conn.setblocking(False)
        return conn, address

    # --- streams ------------------------------------------------------------------------

    async def _stream(self, sock: AioSocket, limit: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        loop = asyncio.get_running_loop()
        reader = asyncio.StreamReader(limit=limit, loop=loop)
        protocol = asyncio.StreamReaderProtocol(reader, loop=loop)
        transport = await _SocketTransport.create(loop, sock, protocol)
        return reader, asyncio.StreamWriter(transport, protocol, reader, loop)

    async def open_connection(self, host: Any = None, port: Any = None, *, limit: int = 2**16,
                              **kwds: Any) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        """asyncio.open_connection() to (host, port) of the emulated network."""
        _no_ssl(kwds)
        sock = await self.create_connection((host, port))
        return await self._stream(sock, limit)

    async def open_unix_connection(self, path: Any = None, *, limit: int = 2**16,
                                   **kwds: Any) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        """asyncio.open_unix_connection() to an AF_UNIX path of the emulated host."""
        _no_ssl(kwds)
        sock = await self.socket(_std.AF_UNIX, _std.SOCK_STREAM)
        try:
            await sock.connect(path)
        except BaseException:
            await sock.close()
            raise
        return await self._stream(sock, limit)

    async def start_server(self, client_connected_cb: Callable[..., Any], host: Any = None, port: Any = None, *,
                           limit: int = 2**16, backlog: int = 100, start_serving: bool = True,
                           **kwds: Any) -> Server:
        """asyncio.start_server() on the emulated host (numeric host, AF_INET)."""
        _no_ssl(kwds)
        sock = await self.create_server((host or "0.0.0.0", port or 0), backlog=backlog)
        return await self._serve(sock, client_connected_cb, limit, start_serving)

    async def start_unix_server(self, client_connected_cb: Callable[..., Any], path: Any = None, *,
                                limit: int = 2**16, backlog: int = 100, start_serving: bool = True,
                                **kwds: Any) -> Server:
        """asyncio.start_unix_server() on an AF_UNIX path of the emulated host.

        As asyncio does, a name already at ``path`` is removed first.
        """
        _no_ssl(kwds)
        if path is not None and not (isinstance(path, (bytes, str)) and path[:1] in ("\0", b"\0")):
            with contextlib.suppress(FileNotFoundError):
                await self.unlink(path)
        sock = await self.create_server(path, family=_std.AF_UNIX, backlog=backlog)
        return await self._serve(sock, client_connected_cb, limit, start_serving)

    async def _serve(self, sock: AioSocket, cb: Callable[..., Any], limit: int, start_serving: bool) -> Server:
        server = Server(self, sock, cb, limit)
        if start_serving:
            await server.start_serving()
        return server


for _name, _value in CONSTANTS.items():
    setattr(AioNet, _name, _value)

_STD_GETADDRINFO = _std.getaddrinfo


def _no_ssl(kwds: dict[str, Any]) -> None:
    if kwds.get("ssl") is not None:
        raise NotImplementedError("client.aio streams do not support ssl")
    unknown = set(kwds) - {"ssl", "ssl_handshake_timeout", "ssl_shutdown_timeout", "server_hostname",
                           "reuse_address", "reuse_port", "family", "flags", "sock", "local_addr",
                           "happy_eyeballs_delay", "interleave", "keep_alive"}
    if unknown:
        raise TypeError(f"unexpected keyword argument(s): {', '.join(sorted(unknown))}")


# --- an asyncio.Transport over an emulated socket ---------------------------------------------


class _SocketTransport(asyncio.Transport):
    """asyncio's stream transport (flow control, half close, extra info) over an AioSocket.

    A reader task feeds the protocol what ``recv`` returns (paused with
    pause_reading); a writer task sends the buffered writes in order, then
    the EOF (shutdown(SHUT_WR)) or the close the caller asked for.
    """

    max_size = 256 * 1024

    def __init__(self, loop: asyncio.AbstractEventLoop, sock: AioSocket, protocol: asyncio.BaseProtocol,
                 extra: dict[str, Any]) -> None:
        super().__init__(extra)
        self._loop = loop
        self._sock = sock
        self._protocol: Any = protocol
        self._buffer = bytearray()
        self._in_flight = 0
        self._wake_writer = asyncio.Event()
        self._reading = asyncio.Event()
        self._reading.set()
        self._closing = False
        self._eof_requested = False
        self._eof_sent = False
        self._lost = False
        self._protocol_paused = False
        self._high, self._low = 64 * 1024, 16 * 1024
        self._reader: asyncio.Task[None] | None = None
        self._writer: asyncio.Task[None] | None = None

    @classmethod
    async def create(cls, loop: asyncio.AbstractEventLoop, sock: AioSocket,
                     protocol: asyncio.BaseProtocol) -> _SocketTransport:
        extra: dict[str, Any] = {"socket": sock}
        for key, fetch in (("sockname", sock.getsockname), ("peername", sock.getpeername)):
            try:
                extra[key] = await fetch()
            except OSError:
                extra[key] = None
        self = cls(loop, sock, protocol, extra)
        protocol.connection_made(self)
        self._reader = loop.create_task(self._read_loop())
        self._writer = loop.create_task(self._write_loop())
        return self

    def __repr__(self) -> str:
        return f"<client.aio._SocketTransport fd={self._sock.fileno()}{' closing' if self._closing else ''}>"

    # --- reading ----------------------------------------------------------------------

    async def _read_loop(self) -> None:
        try:
            while True:
                await self._reading.wait()
                data = await self._sock.recv(self.max_size)
                if not data:
                    keep_open = self._protocol.eof_received()
                    if not keep_open:
                        self.close()
                    return
                self._protocol.data_received(data)
        except asyncio.CancelledError:
            return
        except OSError as exc:
            self._fatal(exc)

    def is_reading(self) -> bool:
        return not self._closing and self._reading.is_set()

    def pause_reading(self) -> None:
        self._reading.clear()

    def resume_reading(self) -> None:
        self._reading.set()

    # --- writing ----------------------------------------------------------------------

    def write(self, data: Any) -> None:
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError(f"data argument must be a bytes-like object, not {type(data).__name__!r}")
        if self._eof_requested:
            raise RuntimeError("Cannot call write() after write_eof()")
        if self._closing or not data:
            return
        self._buffer += data
        self._wake_writer.set()
        self._maybe_pause_protocol()

    def _maybe_pause_protocol(self) -> None:
        if not self._protocol_paused and self.get_write_buffer_size() > self._high:
            self._protocol_paused = True
            self._protocol.pause_writing()

    def _maybe_resume_protocol(self) -> None:
        if self._protocol_paused and self.get_write_buffer_size() <= self._low:
            self._protocol_paused = False
            self._protocol.resume_writing()

    async def _write_loop(self) -> None:
        try:
            while True:
                await self._wake_writer.wait()
                self._wake_writer.clear()
                while self._buffer:
                    chunk = bytes(self._buffer[:SENDALL_CHUNK])
                    del self._buffer[: len(chunk)]
                    self._in_flight = len(chunk)
                    await self._sock.sendall(chunk)
                    self._in_flight = 0
                    self._maybe_resume_protocol()
                if self._eof_requested and not self._eof_sent and not self._closing:
                    await self._sock.shutdown(_std.SHUT_WR)
                    self._eof_sent = True
                if self._closing:
                    await self._finish(None)
                    return
        except asyncio.CancelledError:
            return
        except OSError as exc:
            self._fatal(exc)

    def write_eof(self) -> None:
        if self._closing or self._eof_sent:
            return
        self._eof_requested = True
        self._wake_writer.set()

    def can_write_eof(self) -> bool:
        return True

    def get_write_buffer_size(self) -> int:
        return len(self._buffer) + self._in_flight

    def get_write_buffer_limits(self) -> tuple[int, int]:
        return self._low, self._high

    def set_write_buffer_limits(self, high: int | None = None, low: int | None = None) -> None:
        if high is None:
            high = 64 * 1024 if low is None else 4 * low
        if low is None:
            low = high // 4
        if not high >= low >= 0:
            raise ValueError(f"high ({high!r}) must be >= low ({low!r}) must be >= 0")
        self._high, self._low = high, low
        self._maybe_pause_protocol()

    # --- closing ----------------------------------------------------------------------

    def is_closing(self) -> bool:
        return self._closing

    def close(self) -> None:
        """Close after the buffered data is sent; the protocol's connection_lost(None) follows."""
        if self._closing:
            return
        self._closing = True
        self._wake_writer.set()

    def abort(self) -> None:
        """Close at once, dropping buffered data."""
        self._closing = True
        self._buffer.clear()
        if self._writer is not None:
            self._writer.cancel()
        self._loop.create_task(self._finish(None))

    def _fatal(self, exc: BaseException) -> None:
        self._closing = True
        self._buffer.clear()
        if self._writer is not None and self._writer is not asyncio.current_task():
            self._writer.cancel()
        self._loop.create_task(self._finish(exc))

    async def _finish(self, exc: BaseException | None) -> None:
        if self._lost:
            return
        self._lost = True
        if self._reader is not None and self._reader is not asyncio.current_task() and not self._reader.done():
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
        with contextlib.suppress(OSError, ConnectionError):
            await self._sock.close()
        self._protocol.connection_lost(exc)

    def get_protocol(self) -> Any:
        return self._protocol

    def set_protocol(self, protocol: Any) -> None:
        self._protocol = protocol


class Server:
    """asyncio.Server's surface for a listening emulated socket."""

    def __init__(self, net: AioNet, sock: AioSocket, cb: Callable[..., Any], limit: int) -> None:
        self._net = net
        self._sock: AioSocket | None = sock
        self._cb = cb
        self._limit = limit
        self._accepting: asyncio.Task[None] | None = None
        self._serving_forever: asyncio.Future[None] | None = None
        self._closed = asyncio.Event()
        self._closer: asyncio.Task[None] | None = None
        self._loop = asyncio.get_running_loop()

    def __repr__(self) -> str:
        return f"<client.aio.Server sockets={self.sockets!r}>"

    @property
    def sockets(self) -> tuple[AioSocket, ...]:
        return () if self._sock is None else (self._sock,)

    def get_loop(self) -> asyncio.AbstractEventLoop:
        return self._loop

    def is_serving(self) -> bool:
        return self._accepting is not None and not self._accepting.done()

    async def start_serving(self) -> None:
        if self._sock is None or self.is_serving():
            return
        self._accepting = self._loop.create_task(self._accept_loop())

    async def _accept_loop(self) -> None:
        assert self._sock is not None
        while True:
            try:
                conn, _ = await self._sock.accept()
            except asyncio.CancelledError:
                return
            except OSError:
                if self._sock is None or self._sock.fileno() < 0:
                    return
                await asyncio.sleep(0.01)  # e.g. EMFILE: back off and retry, as asyncio does
                continue
            reader = asyncio.StreamReader(limit=self._limit, loop=self._loop)
            protocol = asyncio.StreamReaderProtocol(reader, self._cb, loop=self._loop)
            try:
                await _SocketTransport.create(self._loop, conn, protocol)
            except OSError:
                with contextlib.suppress(OSError):
                    await conn.close()

    async def serve_forever(self) -> None:
        if self._serving_forever is not None:
            raise RuntimeError(f"server {self!r} is already being awaited on serve_forever()")
        if self._sock is None:
            raise RuntimeError(f"server {self!r} is closed")
        await self.start_serving()
        self._serving_forever = self._loop.create_future()
        try:
            await self._serving_forever
        except asyncio.CancelledError:
            try:
                self.close()
                await self.wait_closed()
            finally:
                raise
        finally:
            self._serving_forever = None

    def close(self) -> None:
        """Stop accepting and close the listening socket (connections stay open, as asyncio's)."""
        if self._closer is not None:
            return
        sock, self._sock = self._sock, None
        accepting = self._accepting

        async def closing() -> None:
            if accepting is not None:
                accepting.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await accepting
            if sock is not None:
                with contextlib.suppress(OSError, ConnectionError):
                    await sock.close()
            self._closed.set()

        self._closer = self._loop.create_task(closing())
        if self._serving_forever is not None and not self._serving_forever.done():
            self._serving_forever.cancel()

    async def wait_closed(self) -> None:
        if self._closer is None:
            return
        await self._closed.wait()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.close()
        await self.wait_closed()


# --- module level -----------------------------------------------------------------------


async def connect(target: str, **kwargs: Any) -> AioNet:
    """A new process on the daemon at ``target`` ("HOST:PORT"), as an awaitable socket-module-like AioNet."""
    return AioNet(await AioTransport.open(target, **kwargs))


_defaults: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, AioNet | Awaitable[AioNet]] = (
    weakref.WeakKeyDictionary())
_default_target: str | None = None


def set_default(net_or_target: AioNet | str | None) -> None:
    """The process the module-level stream functions use: an AioNet (for the
    running loop), or a target for the process each loop opens on first use."""
    global _default_target
    if isinstance(net_or_target, AioNet):
        _defaults[asyncio.get_running_loop()] = net_or_target
    else:
        _default_target = net_or_target


async def default_net() -> AioNet:
    """The running loop's default process (opened on first use)."""
    loop = asyncio.get_running_loop()
    current = _defaults.get(loop)
    if isinstance(current, AioNet) and not current.closed:
        return current
    if current is not None and not isinstance(current, AioNet):
        return await current  # type: ignore[union-attr,misc]
    target = _default_target or os.environ.get("SOCKETLAB_TARGET") or DEFAULT_TARGET
    opening = loop.create_task(connect(target))
    _defaults[loop] = opening
    try:
        net = await opening
    except BaseException:
        _defaults.pop(loop, None)
        raise
    _defaults[loop] = net
    return net


async def open_connection(host: Any = None, port: Any = None, *, limit: int = 2**16,
                          **kwds: Any) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """asyncio.open_connection() on the default emulated process."""
    return await (await default_net()).open_connection(host, port, limit=limit, **kwds)


async def open_unix_connection(path: Any = None, *, limit: int = 2**16,
                               **kwds: Any) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """asyncio.open_unix_connection() on the default emulated process."""
    return await (await default_net()).open_unix_connection(path, limit=limit, **kwds)


async def start_server(client_connected_cb: Callable[..., Any], host: Any = None, port: Any = None, *,
                       limit: int = 2**16, **kwds: Any) -> Server:
    """asyncio.start_server() on the default emulated process."""
    return await (await default_net()).start_server(client_connected_cb, host, port, limit=limit, **kwds)


async def start_unix_server(client_connected_cb: Callable[..., Any], path: Any = None, *,
                            limit: int = 2**16, **kwds: Any) -> Server:
    """asyncio.start_unix_server() on the default emulated process."""
    return await (await default_net()).start_unix_server(client_connected_cb, path, limit=limit, **kwds)


def __getattr__(name: str) -> Any:
    """Everything else is asyncio's (``import client.aio as asyncio`` keeps a program working)."""
    try:
        return getattr(asyncio, name)
    except AttributeError:
        raise AttributeError(f"module 'client.aio' has no attribute {name!r}") from None

