"""A :class:`~client._transport.Transport` that reaches socketlabd over gRPC.

``GrpcTransport(target)`` opens a process with one ``Process/Session`` stream
and keeps it for its whole life; every syscall is one message each way on
that stream (no per-call RPC, no per-call thread):

* the gRPC side runs in one background event loop (uvloop) per Python
  process, shared by every transport, with one channel per target;
* a caller encodes ``(op, args)`` into the typed request, tags it with a
  fresh id, registers a slot and hands the message to that loop, whose
  writer task sends it;
* the loop's reader task hands each reply to the slot of its id;
* the caller waits on its slot's lock, so calls from many threads are in
  flight at once (pipelining), each answered when it completes.

Interrupted while waiting (KeyboardInterrupt), the caller sends ``cancel``
for its id, waits for the call's reply (EINTR, no side effect) and re-raises.
If the stream breaks, every waiting call and every later one raise
:class:`ConnectionError`.  ``close()`` ends the stream: the process exits and
its fds close.
"""
from __future__ import annotations

import asyncio
import concurrent.futures
import dataclasses
import itertools
import os
import threading
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar, cast

import grpc

from client._gen.socketlab.v1 import process_pb2 as pb
from client._gen.socketlab.v1 import process_pb2_grpc as pb_grpc
from client._gen.socketlab.v1 import socketcall_pb2 as sc
from client._gen.socketlab.v1 import types_pb2 as t
from kernel.syscalls import BadRequest, SysMsg, SysReply
from kernel.syscalls import arg_bytes as _bytes
from kernel.syscalls import arg_int as _int

MAX_MESSAGE_BYTES = 64 * 1024 * 1024
CHANNEL_OPTIONS: list[tuple[str, int]] = [
    ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
    ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
]
SOCKADDR_STORAGE_SIZE = 128
T = TypeVar("T")
_INVALID_ARGUMENT = grpc.StatusCode.INVALID_ARGUMENT.value[0]


# --- args -> typed requests -------------------------------------------------


def _addr(args: dict[str, Any], key: str = "addr") -> t.SockAddr | None:
    """A raw sockaddr argument (None = NULL)."""
    if args.get(key) is None:
        return None
    return t.SockAddr(raw=_bytes(args, key))


def _addrlen(args: dict[str, Any]) -> int:
    return _int(args, "addrlen", SOCKADDR_STORAGE_SIZE)


def _send_hdr(m: dict[str, Any]) -> t.SendMsgHeader:
    iov = m.get("iov", [])
    if not isinstance(iov, (list, tuple)):
        raise BadRequest("argument 'iov' must be a list of bytes")
    hdr = t.SendMsgHeader(iov=[b.encode() if isinstance(b, str) else bytes(b) for b in iov])
    addr = _addr(m)
    if addr is not None:
        hdr.address.CopyFrom(addr)
    control = _bytes(m, "control", b"")
    if control:
        hdr.control.raw = control
    return hdr


def _recv_hdr(m: dict[str, Any]) -> t.RecvMsgHeader:
    return t.RecvMsgHeader(size=_int(m, "size"), addrlen=_addrlen(m), controllen=_int(m, "controllen", 0))


def _msgs(args: dict[str, Any]) -> list[dict[str, Any]]:
    msgs = args.get("msgs")
    if not isinstance(msgs, (list, tuple)) or not all(isinstance(m, dict) for m in msgs):
        raise BadRequest("argument 'msgs' must be a list of messages")
    return list(msgs)


def _invoke_arg(value: Any) -> t.SocketCallArg:
    if value is None:
        return t.SocketCallArg()
    if isinstance(value, bool):
        raise BadRequest("socketcall arguments are integers, buffers or lists")
    if isinstance(value, int):
        return t.SocketCallArg(number=value)
    if isinstance(value, (bytes, bytearray, memoryview, str)):
        return t.SocketCallArg(buffer=_bytes({"v": value}, "v"))
    if isinstance(value, (list, tuple)):
        if all(isinstance(v, dict) for v in value) and value:
            if all("size" in v for v in value):
                return t.SocketCallArg(recv_messages=t.RecvMsgHeaderList(items=[_recv_hdr(v) for v in value]))
            return t.SocketCallArg(send_messages=t.SendMsgHeaderList(items=[_send_hdr(v) for v in value]))
        return t.SocketCallArg(buffers=t.BufferList(items=[_bytes({"v": v}, "v") for v in value]))
    raise BadRequest(f"unsupported socketcall argument {type(value).__name__}")


def _poll_fds(args: dict[str, Any]) -> list[t.PollFd]:
    raw = args.get("fds", [])
    if not isinstance(raw, (list, tuple)):
        raise BadRequest("argument 'fds' must be a list of (fd, events)")
    try:
        return [t.PollFd(fd=int(fd), events=int(ev)) for fd, ev in raw]
    except (TypeError, ValueError) as exc:
        raise BadRequest("argument 'fds' must be a list of (fd, events)") from exc


def _optional(msg: Any, field: str, value: Any) -> Any:
    if value is not None:
        getattr(msg, field).CopyFrom(value)
    return msg


def _recvmmsg(a: dict[str, Any]) -> sc.RecvMMsgRequest:
    req = sc.RecvMMsgRequest(fd=_int(a, "fd"), flags=_int(a, "flags", 0), messages=[_recv_hdr(m) for m in _msgs(a)])
    if a.get("timeout_ns") is not None:
        req.timeout_ns = _int(a, "timeout_ns")
    return req


# op -> (field of SessionRequest, encoder of args)
_ENCODERS: dict[str, tuple[str, Callable[[dict[str, Any]], Any]]] = {
    "socket": ("socket", lambda a: sc.SocketRequest(
        family=_int(a, "family"), type=_int(a, "type"), protocol=_int(a, "protocol", 0))),
    "socketpair": ("socketpair", lambda a: sc.SocketPairRequest(
        family=_int(a, "family"), type=_int(a, "type"), protocol=_int(a, "protocol", 0))),
    "bind": ("bind", lambda a: sc.BindRequest(fd=_int(a, "fd"), address=t.SockAddr(raw=_bytes(a, "addr")))),
    "connect": ("connect", lambda a: sc.ConnectRequest(fd=_int(a, "fd"), address=t.SockAddr(raw=_bytes(a, "addr")))),
    "listen": ("listen", lambda a: sc.ListenRequest(fd=_int(a, "fd"), backlog=_int(a, "backlog"))),
    "accept": ("accept", lambda a: sc.AcceptRequest(
        fd=_int(a, "fd"), no_address=not a.get("want_addr", True), addrlen=_addrlen(a))),
    "accept4": ("accept4", lambda a: sc.Accept4Request(
        fd=_int(a, "fd"), flags=_int(a, "flags", 0), no_address=not a.get("want_addr", True), addrlen=_addrlen(a))),
    "getsockname": ("getsockname", lambda a: sc.GetSockNameRequest(fd=_int(a, "fd"), addrlen=_addrlen(a))),
    "getpeername": ("getpeername", lambda a: sc.GetPeerNameRequest(fd=_int(a, "fd"), addrlen=_addrlen(a))),
    "send": ("send", lambda a: sc.SendRequest(fd=_int(a, "fd"), data=_bytes(a, "data"), flags=_int(a, "flags", 0))),
    "recv": ("recv", lambda a: sc.RecvRequest(fd=_int(a, "fd"), size=_int(a, "size"), flags=_int(a, "flags", 0))),
    "sendto": ("sendto", lambda a: _optional(
        sc.SendToRequest(fd=_int(a, "fd"), data=_bytes(a, "data"), flags=_int(a, "flags", 0)), "address", _addr(a))),
    "recvfrom": ("recvfrom", lambda a: sc.RecvFromRequest(
        fd=_int(a, "fd"), size=_int(a, "size"), flags=_int(a, "flags", 0), addrlen=_addrlen(a))),
    "shutdown": ("shutdown", lambda a: sc.ShutdownRequest(fd=_int(a, "fd"), how=_int(a, "how"))),
    "setsockopt": ("setsockopt", lambda a: sc.SetSockOptRequest(
        fd=_int(a, "fd"), level=_int(a, "level"), optname=_int(a, "optname"), raw=_bytes(a, "optval"))),
    "getsockopt": ("getsockopt", lambda a: sc.GetSockOptRequest(
        fd=_int(a, "fd"), level=_int(a, "level"), optname=_int(a, "optname"), optlen=_int(a, "optlen"))),
    "sendmsg": ("sendmsg", lambda a: sc.SendMsgRequest(fd=_int(a, "fd"), flags=_int(a, "flags", 0), message=_send_hdr(a))),
    "recvmsg": ("recvmsg", lambda a: sc.RecvMsgRequest(fd=_int(a, "fd"), flags=_int(a, "flags", 0), message=_recv_hdr(a))),
    "sendmmsg": ("sendmmsg", lambda a: sc.SendMMsgRequest(
        fd=_int(a, "fd"), flags=_int(a, "flags", 0), messages=[_send_hdr(m) for m in _msgs(a)])),
    "recvmmsg": ("recvmmsg", _recvmmsg),
    "close": ("close", lambda a: sc.CloseRequest(fd=_int(a, "fd"))),
    "dup": ("dup", lambda a: sc.DupRequest(fd=_int(a, "fd"))),
    "fcntl": ("fcntl", lambda a: sc.FcntlRequest(fd=_int(a, "fd"), cmd=_int(a, "cmd"), arg=_int(a, "arg", 0))),
    "ioctl": ("ioctl", lambda a: sc.IoctlRequest(
        fd=_int(a, "fd"), cmd=_int(a, "cmd"), arg=_int(a, "arg", 0),
        buf=None if a.get("buf") is None else _bytes(a, "buf"))),
    "poll": ("poll", lambda a: sc.PollRequest(fds=_poll_fds(a), timeout_ms=_int(a, "timeout_ms", -1))),
    "epoll_create1": ("epoll_create", lambda a: sc.EpollCreateRequest(flags=_int(a, "flags", 0))),
    "epoll_ctl": ("epoll_ctl", lambda a: sc.EpollCtlRequest(
        epfd=_int(a, "epfd"), op=_int(a, "op"), fd=_int(a, "fd"), events=_int(a, "events", 0) & 0xFFFFFFFF,
        data=_int(a, "data", 0) & 0xFFFFFFFFFFFFFFFF)),
    "epoll_wait": ("epoll_wait", lambda a: sc.EpollWaitRequest(
        epfd=_int(a, "epfd"), maxevents=_int(a, "maxevents"), timeout_ms=_int(a, "timeout_ms", -1))),
    "unlink": ("unlink", lambda a: sc.UnlinkRequest(path=_bytes(a, "path"))),
    "socketcall": ("invoke", lambda a: sc.InvokeRequest(call=cast(Any, _int(a, "call")), args=_invoke_args(a))),
}


def _invoke_args(a: dict[str, Any]) -> list[t.SocketCallArg]:
    argv = a.get("args", [])
    if not isinstance(argv, (list, tuple)):
        raise BadRequest("argument 'args' must be a list")
    return [_invoke_arg(v) for v in argv]


# The hottest calls are filled in place (no intermediate message, no copy); the
# argument checks and their order are those of _ENCODERS.
def _fill_send(req: pb.SessionRequest, a: dict[str, Any]) -> None:
    fd, data, flags = _int(a, "fd"), _bytes(a, "data"), _int(a, "flags", 0)
    m = req.send
    m.fd = fd
    m.data = data
    m.flags = flags


def _fill_recv(req: pb.SessionRequest, a: dict[str, Any]) -> None:
    fd, size, flags = _int(a, "fd"), _int(a, "size"), _int(a, "flags", 0)
    m = req.recv
    m.fd = fd
    m.size = size
    m.flags = flags


def _fill_sendto(req: pb.SessionRequest, a: dict[str, Any]) -> None:
    fd, data, flags = _int(a, "fd"), _bytes(a, "data"), _int(a, "flags", 0)
    m = req.sendto
    m.fd = fd
    m.data = data
    m.flags = flags
    if a.get("addr") is not None:
        m.address.raw = _bytes(a, "addr")


def _fill_recvfrom(req: pb.SessionRequest, a: dict[str, Any]) -> None:
    fd, size, flags, addrlen = _int(a, "fd"), _int(a, "size"), _int(a, "flags", 0), _addrlen(a)
    m = req.recvfrom
    m.fd = fd
    m.size = size
    m.flags = flags
    m.addrlen = addrlen


_FILLERS: dict[str, Callable[[pb.SessionRequest, dict[str, Any]], None]] = {
    "send": _fill_send,
    "recv": _fill_recv,
    "sendto": _fill_sendto,
    "recvfrom": _fill_recvfrom,
}


def encode(op: str, args: dict[str, Any], timeout: float | None = None) -> pb.SessionRequest:
    """One syscall as a session message (id 0; the transport sets it)."""
    req = pb.SessionRequest()
    fill = _FILLERS.get(op)
    if fill is not None:
        fill(req, args)
    else:
        entry = _ENCODERS.get(op)
        if entry is None:
            raise BadRequest(f"unknown syscall {op!r}")
        field, encoder = entry
        getattr(req, field).CopyFrom(encoder(args))
    if timeout is not None:
        req.timeout = timeout
    return req


# --- typed responses -> SysReply --------------------------------------------


def _sysmsg(m: t.MsgResult) -> SysMsg:
    return SysMsg(msg_len=m.msg_len, data=m.data, addr=m.address.raw, addrlen=m.address.length,
                  control=m.control.raw, msg_flags=m.msg_flags)


def _result_only(body: Any) -> SysReply:
    res = body.result
    return SysReply(ret=res.ret, timed_out=res.timed_out)


def _with_data(body: Any) -> SysReply:
    res = body.result
    return SysReply(ret=res.ret, timed_out=res.timed_out, data=body.data)


def _with_data_address(body: Any) -> SysReply:
    res = body.result
    reply = SysReply(ret=res.ret, timed_out=res.timed_out, data=body.data)
    if body.HasField("address"):
        reply.addr, reply.addrlen = body.address.raw, body.address.length
    return reply


def _with_address(body: Any) -> SysReply:
    res = body.result
    reply = SysReply(ret=res.ret, timed_out=res.timed_out)
    if body.HasField("address"):
        reply.addr, reply.addrlen = body.address.raw, body.address.length
    return reply


# kind -> a decoder giving what decode()'s general path gives for that response type
_DECODERS: dict[str, Callable[[Any], SysReply]] = {
    "recv": _with_data,
    "recvfrom": _with_data_address,
    "accept": _with_address,
    "accept4": _with_address,
    "getsockname": _with_address,
    "getpeername": _with_address,
    **{kind: _result_only for kind in (
        "send", "sendto", "sendmsg", "socket", "bind", "connect", "listen", "shutdown", "setsockopt",
        "close", "dup", "fcntl", "epoll_create", "epoll_ctl", "unlink")},
}


def decode(msg: pb.SessionResponse) -> SysReply:
    """A session reply -> SysReply (raises BadRequest / RuntimeError for `error`)."""
    kind = msg.WhichOneof("kind")
    fast = _DECODERS.get(kind)  # type: ignore[arg-type]
    if fast is not None:
        return fast(getattr(msg, kind))  # type: ignore[arg-type]
    if kind == "error":
        if msg.error.code == _INVALID_ARGUMENT:
            raise BadRequest(msg.error.message)
        raise RuntimeError(f"socketlabd failed the call: {msg.error.message}")
    if kind is None or kind in ("opened", "progress"):
        raise RuntimeError(f"unexpected session reply {kind!r}")
    body: Any = getattr(msg, kind)
    res = body.result
    reply = SysReply(ret=res.ret, timed_out=res.timed_out)
    fields = body.DESCRIPTOR.fields_by_name
    if "address" in fields and body.HasField("address"):
        reply.addr, reply.addrlen = body.address.raw, body.address.length
    if "data" in fields:
        reply.data = body.data
    elif "optval" in fields:
        reply.data = body.optval
    if "fds" in fields:
        reply.fds = list(body.fds)
    if "value" in fields:
        reply.value = body.value
    if "revents" in fields:
        reply.revents = list(body.revents)
    if "events" in fields:
        reply.events = [(e.events, e.data) for e in body.events]
    if "messages" in fields:
        reply.msgs = [_sysmsg(m) for m in body.messages]
    if "msg_flags" in fields:
        reply.msg_flags = body.msg_flags
    if "control" in fields:
        reply.control = body.control.raw
    if kind == "recvmsg" and body.HasField("message"):
        m = body.message
        reply.data, reply.control, reply.msg_flags = m.data, m.control.raw, m.msg_flags
        if m.HasField("address"):
            reply.addr, reply.addrlen = m.address.raw, m.address.length
    return reply


# --- the transport ----------------------------------------------------------


class _Slot:
    """Where one pending call's reply lands; ``lock`` is released when it does."""

    __slots__ = ("failure", "lock", "reply")

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.lock.acquire()
        self.reply: pb.SessionResponse | None = None
        self.failure: BaseException | None = None


@dataclasses.dataclass(frozen=True)
class TlsConfig:
    """TLS towards the daemon: the CA that signed its certificate (None: the
    system roots), and for mutual TLS the client's certificate and key (PEM
    file paths); ``server_name`` overrides the name checked in its certificate."""

    ca: str | None = None
    cert: str | None = None
    key: str | None = None
    server_name: str | None = None

    def credentials(self) -> grpc.ChannelCredentials:
        def read(path: str | None) -> bytes | None:
            if path is None:
                return None
            with open(path, "rb") as f:
                return f.read()

        return grpc.ssl_channel_credentials(read(self.ca), read(self.key), read(self.cert))


ChannelKey = tuple[str, "TlsConfig | None"]


def _new_channel(target: str, tls: TlsConfig | None) -> grpc.aio.Channel:
    if tls is None:
        return grpc.aio.insecure_channel(target, options=CHANNEL_OPTIONS)
    options: list[tuple[str, Any]] = list(CHANNEL_OPTIONS)
    if tls.server_name:
        options.append(("grpc.ssl_target_name_override", tls.server_name))
    return grpc.aio.secure_channel(target, tls.credentials(), options=options)


class _ClientLoop:
    """One background event loop (uvloop) that runs the gRPC side of every
    GrpcTransport of this Python process, with one channel (one HTTP/2
    connection) per target shared by the transports to it.

    Callers never run in it: they hand it a message (``call_soon_threadsafe``)
    and wait on their own lock, so a call costs two thread switches.
    """

    _instance: _ClientLoop | None = None
    _instance_lock = threading.Lock()

    def __init__(self) -> None:
        try:
            import uvloop

            self.loop: asyncio.AbstractEventLoop = uvloop.new_event_loop()
        except ImportError:  # pragma: no cover - uvloop is a dependency
            self.loop = asyncio.new_event_loop()
        self.pid = os.getpid()
        self._channels: dict[ChannelKey, tuple[grpc.aio.Channel, int]] = {}  # touched in the loop only
        self._thread = threading.Thread(target=self._run, name="socketlab-grpc", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()

    @classmethod
    def get(cls) -> _ClientLoop:
        """The process's loop (a new one in a forked child)."""
        with cls._instance_lock:
            if cls._instance is None or cls._instance.pid != os.getpid():
                cls._instance = _ClientLoop()
            return cls._instance

    def submit(self, coro: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        return asyncio.run_coroutine_threadsafe(coro, self.loop)

    def call_soon(self, fn: Callable[..., Any], *args: Any) -> None:
        self.loop.call_soon_threadsafe(fn, *args)

    def acquire_channel(self, target: str, tls: TlsConfig | None = None) -> grpc.aio.Channel:
        key = (target, tls)
        channel, users = self._channels.get(key) or (_new_channel(target, tls), 0)
        self._channels[key] = (channel, users + 1)
        return channel

    def release_channel(self, target: str, tls: TlsConfig | None = None) -> None:
        key = (target, tls)
        channel, users = self._channels[key]
        if users > 1:
            self._channels[key] = (channel, users - 1)
            return
        del self._channels[key]
        task = self.loop.create_task(channel.close(None))
        _background.add(task)
        task.add_done_callback(_background.discard)


_background: set[asyncio.Task[Any]] = set()


class GrpcTransport:
    """One process on a socketlabd host, driven over a Session stream."""

    def __init__(
        self, target: str, *, uid: int | None = None, gid: int | None = None,
        capabilities: int | None = None, connect_timeout: float = 10.0,
        token: str | None = None, tls: TlsConfig | None = None,
    ) -> None:
        self.target = target
        self.tls = tls
        self._metadata = (("authorization", f"Bearer {token}"),) if token else None
        self._loop = _ClientLoop.get()
        self._pending: dict[int, _Slot] = {}
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._failure: BaseException | None = None
        self._closed = False
        self._ended = threading.Event()
        self._call: Any = None
        self._queue: asyncio.Queue[pb.SessionRequest | None] | None = None
        open_msg = pb.SessionRequest(open=pb.OpenProcess(uid=uid, gid=gid, capabilities=capabilities))
        opening = self._loop.submit(self._open(open_msg, connect_timeout))
        try:
            opened = opening.result()
        except grpc.aio.AioRpcError as exc:
            if exc.code() in (grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.PERMISSION_DENIED):
                raise PermissionError(f"socketlabd at {target}: {exc.details()}") from None
            raise ConnectionError(f"socketlabd at {target}: {exc}") from None
        except (TimeoutError, EOFError) as exc:
            detail = "not reachable" if isinstance(exc, TimeoutError) else str(exc)
            raise ConnectionError(f"socketlabd at {target}: {detail}") from None
        except BaseException:
            opening.cancel()
            raise
        self.handle: str = opened.process
        self.pid: int = opened.pid
        assert self._queue is not None
        # call()'s hand-over to the loop, looked up once: call_soon_threadsafe(put_nowait, msg)
        self._hand_over: Callable[..., Any] = self._loop.loop.call_soon_threadsafe
        self._put: Callable[[pb.SessionRequest | None], None] = self._queue.put_nowait

    def __repr__(self) -> str:
        return f"<GrpcTransport {self.target} pid={getattr(self, 'pid', '?')}>"

    # --- in the loop --------------------------------------------------------

    async def _open(self, msg: pb.SessionRequest, timeout: float) -> pb.ProcessOpened:
        channel = self._loop.acquire_channel(self.target, self.tls)
        try:
            async with asyncio.timeout(timeout):
                await channel.channel_ready()
                self._call = pb_grpc.ProcessStub(channel).Session(metadata=self._metadata)
                try:
                    await self._call.write(msg)
                    first = await self._call.read()
                except grpc.aio.AioRpcError:
                    first = grpc.aio.EOF  # type: ignore[attr-defined]  # a write to a call the daemon already ended: its status says why
            if first is grpc.aio.EOF and await self._call.code() != grpc.StatusCode.OK:  # type: ignore[attr-defined]
                # the status came before any message (e.g. UNAUTHENTICATED): report it as such
                raise grpc.aio.AioRpcError(await self._call.code(), await self._call.initial_metadata(),
                                           await self._call.trailing_metadata(), await self._call.details(), "")
            if first is grpc.aio.EOF or first.WhichOneof("kind") != "opened":  # type: ignore[attr-defined]
                raise EOFError("the daemon ended the session before opening the process")
        except BaseException:
            if self._call is not None:
                self._call.cancel()
            self._loop.release_channel(self.target, self.tls)
            raise
        self._queue = asyncio.Queue()
        for coro in (self._read_loop(), self._write_loop()):
            task = asyncio.get_running_loop().create_task(coro)
            _background.add(task)
            task.add_done_callback(_background.discard)
        return first.opened

    async def _write_loop(self) -> None:
        assert self._queue is not None
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
                with self._lock:
                    slot = self._pending.pop(msg.id, None)
                if slot is not None:
                    slot.reply = msg
                    slot.lock.release()
        except grpc.aio.AioRpcError as exc:
            failure = ConnectionError(f"socketlabd at {self.target}: {exc.code().name} {exc.details()}")
        except BaseException as exc:  # noqa: BLE001 - reported to every waiting caller
            failure = ConnectionError(f"socketlabd at {self.target}: {exc!r}")
        finally:
            with self._lock:
                self._failure = failure
                pending, self._pending = self._pending, {}
            for slot in pending.values():
                slot.failure = failure
                slot.lock.release()
            if self._queue is not None:
                self._queue.put_nowait(None)  # ends the writer if it still waits
            self._loop.release_channel(self.target, self.tls)
            self._ended.set()

    # --- in the callers' threads --------------------------------------------

    def call(self, op: str, args: dict[str, Any], timeout: float | None = None) -> SysReply:
        """Run one syscall in the daemon's process; block until its reply."""
        req = encode(op, args, timeout)
        req.id = rid = next(self._ids)
        slot = _Slot()
        with self._lock:
            if self._failure is not None or self._closed:
                raise ConnectionError(f"socketlabd at {self.target}: the session is closed")
            self._pending[rid] = slot
        self._hand_over(self._put, req)
        try:
            slot.lock.acquire()
        except BaseException:
            # Interrupted like a syscall by a signal: cancel, wait for its reply (EINTR), re-raise.
            self._hand_over(self._put, pb.SessionRequest(id=rid, cancel=pb.CancelCall()))
            self._wait_uninterrupted(slot)
            raise
        if slot.failure is not None:
            raise slot.failure
        assert slot.reply is not None
        return decode(slot.reply)

    @staticmethod
    def _wait_uninterrupted(slot: _Slot) -> None:
        while True:
            try:
                slot.lock.acquire()
                return
            except KeyboardInterrupt:
                continue

    def close(self) -> None:
        """End the session: the process exits and its fds close (peers see EOF)."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        self._hand_over(self._put, None)
        # the daemon ends the stream once the process has exited
        if not self._ended.wait(timeout=5.0):
            self._loop.call_soon(self._call.cancel)
