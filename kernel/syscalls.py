"""One entry point for every syscall the transports expose: ``do_syscall``.

The gRPC server and the in-process transport both call
``await do_syscall(proc, op, args, timeout)``; it builds the caller-memory
objects of :mod:`kernel.net.uaccess`, runs the ``sys_*`` function and returns a
:class:`SysReply` holding the return value and every output.  So the typed RPCs,
the pipelined session channel and ``Invoke`` by number all reach the same
kernel code.

``op`` names and their ``args`` keys (defaults in brackets):

=============  ==============================================================
socket         family, type, protocol
socketpair     family, type, protocol                    -> fds
bind           fd, addr (raw sockaddr bytes)
connect        fd, addr
listen         fd, backlog
accept         fd, [want_addr=True], [addrlen=128]       -> addr
accept4        fd, flags, [want_addr=True], [addrlen=128] -> addr
getsockname    fd, [addrlen=128]                         -> addr, addrlen
getpeername    fd, [addrlen=128]                         -> addr, addrlen
send           fd, data, flags
recv           fd, size, flags                           -> data
sendto         fd, data, flags, [addr=None]
recvfrom       fd, size, flags, [addrlen=128]            -> data, addr, addrlen
shutdown       fd, how
setsockopt     fd, level, optname, optval (bytes)
getsockopt     fd, level, optname, optlen                -> data
sendmsg        fd, flags, [iov=[]], [addr=None], [control=b""]
recvmsg        fd, flags, size, [addrlen=128], [controllen=0]
                                                         -> data, addr, addrlen, control, msg_flags
sendmmsg       fd, flags, msgs (list of dicts like sendmsg's) -> msgs (list of SysMsg)
recvmmsg       fd, flags, msgs (list of dicts like recvmsg's), [timeout_ns=None] -> msgs
close          fd
fcntl          fd, cmd, [arg=0]
ioctl          fd, cmd, [arg=0], [buf=None]              -> value (FIONREAD/SIOCOUTQ), data (buf after the call)
poll           fds (list of (fd, events)), timeout_ms    -> revents (list)
epoll_create1  flags
epoll_ctl      epfd, op, fd, [events=0], [data=0]
epoll_wait     epfd, maxevents, timeout_ms               -> events (list of (events, data))
dup            fd
unlink         path (bytes or str)   (the host's virtual filesystem; not a socketcall)
socketcall     call (SYS_* number), args (positional list as sys_socketcall takes)
=============  ==============================================================

``timeout`` (seconds, or None) asks for CPython's ``sock_call_ex`` policy on a
non-blocking file: when the call would block (-EAGAIN), wait up to timeout
for readiness and try again; if the time runs out, ``SysReply.timed_out`` is
set (the Python client raises ``TimeoutError('timed out')``).

A call interrupted by cancellation returns -EINTR with no side effect: the
transport cancels the task that awaits ``do_syscall`` and awaits it again; it
then either gets a result (a partial MSG_WAITALL count, as Linux gives) or
CancelledError, which it reports as -EINTR.

A malformed request (unknown op, missing or ill-typed argument) raises
:class:`BadRequest`; the transport maps it to a gRPC INVALID_ARGUMENT.
"""
from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from kernel import uapi
from kernel.net.fault import syscall_fault
from kernel.net.uaccess import EpollEvent, IoctlBuf, MsgHdr, OptBuf, PollFd, SockaddrBuf


class BadRequest(Exception):
    """A request that is malformed rather than a syscall that fails."""


@dataclass
class SysMsg:
    """The outputs of one message of recvmsg/recvmmsg/sendmmsg."""

    msg_len: int = 0
    data: bytes = b""
    addr: bytes = b""
    addrlen: int = 0
    control: bytes = b""
    msg_flags: int = 0


@dataclass
class SysReply:
    """A syscall's result: ``ret`` >= 0, or ``-errno``; outputs by op."""

    ret: int
    timed_out: bool = False
    data: bytes = b""
    addr: bytes = b""
    addrlen: int = 0
    control: bytes = b""
    msg_flags: int = 0
    fds: list[int] = field(default_factory=list)
    value: int = 0
    revents: list[int] = field(default_factory=list)
    events: list[tuple[int, int]] = field(default_factory=list)
    msgs: list[SysMsg] = field(default_factory=list)

    @property
    def error(self) -> int:
        """The positive errno, or 0 on success."""
        return -self.ret if self.ret < 0 else 0

    @property
    def error_name(self) -> str:
        return uapi.errno_name(self.error) if self.ret < 0 else ""


def arg_int(args: dict[str, Any], key: str, default: int | None = None) -> int:
    """An integer argument of a request, or BadRequest."""
    value = args.get(key, default)
    if value is None or isinstance(value, bool) or not isinstance(value, int):
        raise BadRequest(f"argument {key!r} must be an integer")
    return value


def arg_bytes(args: dict[str, Any], key: str, default: bytes | None = None) -> bytes:
    """A bytes argument of a request (str is UTF-8 encoded), or BadRequest."""
    value = args.get(key, default)
    if isinstance(value, str):
        return value.encode()
    if not isinstance(value, (bytes, bytearray, memoryview)):
        raise BadRequest(f"argument {key!r} must be bytes")
    return bytes(value)


_int = arg_int
_bytes = arg_bytes


def _opt_bytes(args: dict[str, Any], key: str) -> bytes | None:
    if args.get(key) is None:
        return None
    return _bytes(args, key)


Handler = Callable[[Any, dict[str, Any]], Awaitable[SysReply]]
_HANDLERS: dict[str, Handler] = {}


def _op(name: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        _HANDLERS[name] = fn
        return fn

    return register


# Blocking ops and the poll events they wait for under the ``timeout`` policy.
_WAIT_EVENTS = {
    "accept": uapi.POLLIN,
    "accept4": uapi.POLLIN,
    "connect": uapi.POLLOUT,
    "recv": uapi.POLLIN,
    "recvfrom": uapi.POLLIN,
    "recvmsg": uapi.POLLIN,
    "recvmmsg": uapi.POLLIN,
    "send": uapi.POLLOUT,
    "sendto": uapi.POLLOUT,
    "sendmsg": uapi.POLLOUT,
    "sendmmsg": uapi.POLLOUT,
}


def ops() -> list[str]:
    """Every op name do_syscall knows."""
    return sorted(_HANDLERS)


async def do_syscall(proc: Any, op: str, args: dict[str, Any], timeout: float | None = None) -> SysReply:
    """Run one syscall for ``proc``; see the module docstring for the contract."""
    handler = _HANDLERS.get(op)
    if handler is None:
        raise BadRequest(f"unknown syscall {op!r}")
    if getattr(proc.host.netns, "fault", None) is not None:  # kernel/net/fault.py: injected syscall failures
        err = syscall_fault(proc, op, args)
        if err:
            return SysReply(ret=err)
    if timeout is None or op not in _WAIT_EVENTS:
        return await handler(proc, args)
    from kernel.fs.select import sys_poll

    deadline = proc.host.clock.now() + max(timeout, 0.0)
    while True:
        reply = await handler(proc, args)
        if reply.ret != -uapi.EAGAIN:
            return reply
        if op == "connect":
            return reply
        left = deadline - proc.host.clock.now()
        if left <= 0:
            return SysReply(ret=-uapi.EAGAIN, timed_out=True)
        pfd = PollFd(_int(args, "fd"), _WAIT_EVENTS[op])
        n = await sys_poll(proc, [pfd], int(left * 1000) if left * 1000 >= 1 else 1)
        if n == 0:
            return SysReply(ret=-uapi.EAGAIN, timed_out=True)
        if n < 0:
            return SysReply(ret=n)


from kernel.fs import eventpoll as _epoll  # noqa: E402
from kernel.fs import fcntl as _fcntl  # noqa: E402
from kernel.fs import file as _file  # noqa: E402
from kernel.fs import ioctl as _ioctl  # noqa: E402
from kernel.fs import namei as _namei  # noqa: E402
from kernel.fs import open as _open  # noqa: E402
from kernel.fs import select as _select  # noqa: E402
from kernel.net import socket as _net  # noqa: E402  (imports below the table helpers)


@_op("socket")
async def _socket(proc: Any, a: dict[str, Any]) -> SysReply:
    return SysReply(await _net.sys_socket(proc, _int(a, "family"), _int(a, "type"), _int(a, "protocol", 0)))


@_op("socketpair")
async def _socketpair(proc: Any, a: dict[str, Any]) -> SysReply:
    sv: list[int] = []
    ret = await _net.sys_socketpair(proc, _int(a, "family"), _int(a, "type"), _int(a, "protocol", 0), sv)
    return SysReply(ret, fds=sv if ret >= 0 else [])


@_op("bind")
async def _bind(proc: Any, a: dict[str, Any]) -> SysReply:
    return SysReply(await _net.sys_bind(proc, _int(a, "fd"), _bytes(a, "addr")))


@_op("connect")
async def _connect(proc: Any, a: dict[str, Any]) -> SysReply:
    return SysReply(await _net.sys_connect(proc, _int(a, "fd"), _bytes(a, "addr")))


@_op("listen")
async def _listen(proc: Any, a: dict[str, Any]) -> SysReply:
    return SysReply(await _net.sys_listen(proc, _int(a, "fd"), _int(a, "backlog")))


async def _accept_common(proc: Any, a: dict[str, Any], flags: int) -> SysReply:
    peer = SockaddrBuf(_int(a, "addrlen", uapi.SOCKADDR_STORAGE_SIZE)) if a.get("want_addr", True) else None
    ret = await _net.sys_accept4(proc, _int(a, "fd"), peer, flags)
    if ret < 0 or peer is None:
        return SysReply(ret)
    return SysReply(ret, addr=peer.data, addrlen=peer.length)


@_op("accept")
async def _accept(proc: Any, a: dict[str, Any]) -> SysReply:
    return await _accept_common(proc, a, 0)


@_op("accept4")
async def _accept4(proc: Any, a: dict[str, Any]) -> SysReply:
    return await _accept_common(proc, a, _int(a, "flags", 0))


async def _name_common(proc: Any, a: dict[str, Any], fn: Callable[..., Awaitable[int]]) -> SysReply:
    buf = SockaddrBuf(_int(a, "addrlen", uapi.SOCKADDR_STORAGE_SIZE))
    ret = await fn(proc, _int(a, "fd"), buf)
    return SysReply(ret, addr=buf.data, addrlen=buf.length) if ret >= 0 else SysReply(ret)


@_op("getsockname")
async def _getsockname(proc: Any, a: dict[str, Any]) -> SysReply:
    return await _name_common(proc, a, _net.sys_getsockname)


@_op("getpeername")
async def _getpeername(proc: Any, a: dict[str, Any]) -> SysReply:
    return await _name_common(proc, a, _net.sys_getpeername)


@_op("send")
async def _send(proc: Any, a: dict[str, Any]) -> SysReply:
    return SysReply(await _net.sys_sendto(proc, _int(a, "fd"), _bytes(a, "data"), _int(a, "flags", 0), None))


@_op("sendto")
async def _sendto(proc: Any, a: dict[str, Any]) -> SysReply:
    addr = _opt_bytes(a, "addr")
    return SysReply(await _net.sys_sendto(proc, _int(a, "fd"), _bytes(a, "data"), _int(a, "flags", 0), addr))


def _msg_reply(ret: int, msg: MsgHdr) -> SysReply:
    if ret < 0:
        return SysReply(ret)
    return SysReply(
        ret, data=msg.data, addr=msg.name or b"", addrlen=msg.namelen if msg.name is not None else 0,
        control=msg.control, msg_flags=msg.flags,
    )


@_op("recv")
async def _recv(proc: Any, a: dict[str, Any]) -> SysReply:
    msg = MsgHdr(iovlen=_int(a, "size"))
    ret = await _net.sys_recvfrom(proc, _int(a, "fd"), msg, _int(a, "flags", 0))
    return _msg_reply(ret, msg)


@_op("recvfrom")
async def _recvfrom(proc: Any, a: dict[str, Any]) -> SysReply:
    msg = MsgHdr(iovlen=_int(a, "size"), namelen=_int(a, "addrlen", uapi.SOCKADDR_STORAGE_SIZE))
    ret = await _net.sys_recvfrom(proc, _int(a, "fd"), msg, _int(a, "flags", 0))
    return _msg_reply(ret, msg)


@_op("shutdown")
async def _shutdown(proc: Any, a: dict[str, Any]) -> SysReply:
    return SysReply(await _net.sys_shutdown(proc, _int(a, "fd"), _int(a, "how")))


@_op("setsockopt")
async def _setsockopt(proc: Any, a: dict[str, Any]) -> SysReply:
    return SysReply(
        await _net.sys_setsockopt(proc, _int(a, "fd"), _int(a, "level"), _int(a, "optname"), _bytes(a, "optval"))
    )


@_op("getsockopt")
async def _getsockopt(proc: Any, a: dict[str, Any]) -> SysReply:
    opt = OptBuf(_int(a, "optlen"))
    ret = await _net.sys_getsockopt(proc, _int(a, "fd"), _int(a, "level"), _int(a, "optname"), opt)
    return SysReply(ret, data=opt.data) if ret >= 0 else SysReply(ret)


def _send_msghdr(m: dict[str, Any]) -> MsgHdr:
    iov = m.get("iov", [])
    if not isinstance(iov, (list, tuple)):
        raise BadRequest("argument 'iov' must be a list of bytes")
    return MsgHdr(
        name=_opt_bytes(m, "addr"),
        iov=[bytes(b) if not isinstance(b, str) else b.encode() for b in iov],
        control=_bytes(m, "control", b""),
    )


def _recv_msghdr(m: dict[str, Any]) -> MsgHdr:
    return MsgHdr(
        iovlen=_int(m, "size"),
        namelen=_int(m, "addrlen", uapi.SOCKADDR_STORAGE_SIZE),
        controllen=_int(m, "controllen", 0),
    )


@_op("sendmsg")
async def _sendmsg(proc: Any, a: dict[str, Any]) -> SysReply:
    return SysReply(await _net.sys_sendmsg(proc, _int(a, "fd"), _send_msghdr(a), _int(a, "flags", 0)))


@_op("recvmsg")
async def _recvmsg(proc: Any, a: dict[str, Any]) -> SysReply:
    msg = _recv_msghdr(a)
    ret = await _net.sys_recvmsg(proc, _int(a, "fd"), msg, _int(a, "flags", 0))
    return _msg_reply(ret, msg)


def _msg_list(a: dict[str, Any]) -> list[dict[str, Any]]:
    msgs = a.get("msgs")
    if not isinstance(msgs, (list, tuple)) or not all(isinstance(m, dict) for m in msgs):
        raise BadRequest("argument 'msgs' must be a list of messages")
    return list(msgs)


def _sysmsg(m: MsgHdr) -> SysMsg:
    return SysMsg(
        msg_len=m.msg_len, data=m.data, addr=m.name or b"", addrlen=m.namelen if m.name is not None else 0,
        control=m.control, msg_flags=m.flags,
    )


@_op("sendmmsg")
async def _sendmmsg(proc: Any, a: dict[str, Any]) -> SysReply:
    msgs = [_send_msghdr(m) for m in _msg_list(a)]
    ret = await _net.sys_sendmmsg(proc, _int(a, "fd"), msgs, _int(a, "flags", 0))
    return SysReply(ret, msgs=[_sysmsg(m) for m in msgs[: max(ret, 0)]])


@_op("recvmmsg")
async def _recvmmsg(proc: Any, a: dict[str, Any]) -> SysReply:
    msgs = [_recv_msghdr(m) for m in _msg_list(a)]
    tmo = a.get("timeout_ns")
    timeout = None if tmo is None else _int(a, "timeout_ns") / 1e9
    ret = await _net.sys_recvmmsg(proc, _int(a, "fd"), msgs, _int(a, "flags", 0), timeout)
    return SysReply(ret, msgs=[_sysmsg(m) for m in msgs[: max(ret, 0)]])


@_op("close")
async def _close(proc: Any, a: dict[str, Any]) -> SysReply:
    """close: the fd goes at once; then the release work the last fput queued runs (fput's task_work:
    a lingering TCP close sleeps here).  A signal (cancellation) cuts the sleep short and close still
    returns its result, as on Linux (the release ran; a pending signal skips the remaining waits)."""
    with _file.task_work_scope() as work:
        ret = _open.sys_close(proc, _int(a, "fd"))
    interrupted = False
    for fn in work:
        try:
            await fn(interrupted)
        except asyncio.CancelledError:
            interrupted = True
            task = asyncio.current_task()
            if task is not None:
                task.uncancel()  # consumed: the signal ended the wait, close completes
    return SysReply(ret)


@_op("dup")
async def _dup(proc: Any, a: dict[str, Any]) -> SysReply:
    return SysReply(_fcntl.sys_dup(proc, _int(a, "fd")))


@_op("fcntl")
async def _fcntl_op(proc: Any, a: dict[str, Any]) -> SysReply:
    return SysReply(_fcntl.sys_fcntl(proc, _int(a, "fd"), _int(a, "cmd"), _int(a, "arg", 0)))


@_op("ioctl")
async def _ioctl_op(proc: Any, a: dict[str, Any]) -> SysReply:
    """``buf`` (bytes): argp points to a buffer of that content and length (struct
    ifreq ...); the reply's data is that buffer after the call, even on failure
    (what the kernel wrote before failing stays written, as in user memory)."""
    argp = [_int(a, "arg", 0)]
    raw = _opt_bytes(a, "buf")
    ubuf = IoctlBuf(bytearray(raw)) if raw is not None else None
    ret = _ioctl.sys_ioctl(proc, _int(a, "fd"), _int(a, "cmd"), argp, ubuf)
    data = bytes(ubuf.data) if ubuf is not None else b""
    return SysReply(ret, value=argp[0], data=data) if ret >= 0 else SysReply(ret, data=data)


@_op("poll")
async def _poll(proc: Any, a: dict[str, Any]) -> SysReply:
    raw = a.get("fds", [])
    if not isinstance(raw, (list, tuple)):
        raise BadRequest("argument 'fds' must be a list of (fd, events)")
    try:
        pfds = [PollFd(int(fd), int(ev)) for fd, ev in raw]
    except (TypeError, ValueError) as exc:
        raise BadRequest("argument 'fds' must be a list of (fd, events)") from exc
    ret = await _select.sys_poll(proc, pfds, _int(a, "timeout_ms", -1))
    return SysReply(ret, revents=[p.revents for p in pfds])


@_op("epoll_create1")
async def _epoll_create1(proc: Any, a: dict[str, Any]) -> SysReply:
    return SysReply(_epoll.sys_epoll_create1(proc, _int(a, "flags", 0)))


@_op("epoll_ctl")
async def _epoll_ctl(proc: Any, a: dict[str, Any]) -> SysReply:
    ev = EpollEvent(_int(a, "events", 0), _int(a, "data", 0))
    return SysReply(_epoll.sys_epoll_ctl(proc, _int(a, "epfd"), _int(a, "op"), _int(a, "fd"), ev))


@_op("epoll_wait")
async def _epoll_wait(proc: Any, a: dict[str, Any]) -> SysReply:
    out: list[EpollEvent] = []
    ret = await _epoll.sys_epoll_wait(proc, _int(a, "epfd"), out, _int(a, "maxevents"), _int(a, "timeout_ms", -1))
    return SysReply(ret, events=[(e.events, e.data) for e in out])


@_op("unlink")
async def _unlink(proc: Any, a: dict[str, Any]) -> SysReply:
    return SysReply(_namei.sys_unlink(proc, _bytes(a, "path")))


# sys_socketcall's table: call number -> (op, positional argument names).
SOCKETCALL_TABLE: dict[int, tuple[str, tuple[str, ...]]] = {
    uapi.SYS_SOCKET: ("socket", ("family", "type", "protocol")),
    uapi.SYS_BIND: ("bind", ("fd", "addr")),
    uapi.SYS_CONNECT: ("connect", ("fd", "addr")),
    uapi.SYS_LISTEN: ("listen", ("fd", "backlog")),
    uapi.SYS_ACCEPT: ("accept", ("fd", "addrlen")),
    uapi.SYS_GETSOCKNAME: ("getsockname", ("fd", "addrlen")),
    uapi.SYS_GETPEERNAME: ("getpeername", ("fd", "addrlen")),
    uapi.SYS_SOCKETPAIR: ("socketpair", ("family", "type", "protocol")),
    uapi.SYS_SEND: ("send", ("fd", "data", "flags")),
    uapi.SYS_RECV: ("recv", ("fd", "size", "flags")),
    uapi.SYS_SENDTO: ("sendto", ("fd", "data", "flags", "addr")),
    uapi.SYS_RECVFROM: ("recvfrom", ("fd", "size", "flags", "addrlen")),
    uapi.SYS_SHUTDOWN: ("shutdown", ("fd", "how")),
    uapi.SYS_SETSOCKOPT: ("setsockopt", ("fd", "level", "optname", "optval")),
    uapi.SYS_GETSOCKOPT: ("getsockopt", ("fd", "level", "optname", "optlen")),
    uapi.SYS_SENDMSG: ("sendmsg", ("fd", "flags", "iov", "addr", "control")),
    uapi.SYS_RECVMSG: ("recvmsg", ("fd", "flags", "size", "addrlen", "controllen")),
    uapi.SYS_ACCEPT4: ("accept4", ("fd", "flags", "addrlen")),
    uapi.SYS_RECVMMSG: ("recvmmsg", ("fd", "flags", "msgs", "timeout_ns")),
    uapi.SYS_SENDMMSG: ("sendmmsg", ("fd", "flags", "msgs")),
}


@_op("socketcall")
async def _socketcall(proc: Any, a: dict[str, Any]) -> SysReply:
    """sys_socketcall: dispatch by number; an unknown number is -EINVAL."""
    call = _int(a, "call")
    argv = a.get("args", [])
    if not isinstance(argv, (list, tuple)):
        raise BadRequest("argument 'args' must be a list")
    if not _net.socketcall_valid(call):
        return SysReply(-uapi.EINVAL)
    op, names = SOCKETCALL_TABLE[call]
    if len(argv) > len(names):
        raise BadRequest(f"{op} takes at most {len(names)} arguments")
    return await _HANDLERS[op](proc, dict(zip(names, argv, strict=False)))
