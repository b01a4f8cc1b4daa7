"""The daemon's process table: handles -> emulated processes, and how calls run.

A session opens a process and gets an unguessable handle; typed RPCs find the
process by that handle.  Every syscall the daemon runs for a process is
tracked here, so that when the session ends (or breaks) its pending calls are
interrupted (EINTR) before the process exits and its fds close.

:func:`start_eagerly` runs a call inline up to its first suspension (most
calls never suspend) and hands one that blocks to a task, as Python 3.12's
eager tasks do; the session channel and ``client.local()`` run every call so.
"""
from __future__ import annotations

import asyncio
import collections.abc
import logging
import secrets
from collections.abc import Coroutine, Generator, Iterable
from typing import Any, TypeVar

from kernel import uapi
from kernel.host import Host
from kernel.process import ALL_CAPS
from kernel.syscalls import SOCKETCALL_TABLE, SysReply, do_syscall
from server.limits import Limits
from server.security import ROOT, Authenticator, Principal

log = logging.getLogger("socketlabd")

EINTR_REPLY = SysReply(ret=-uapi.EINTR)
T = TypeVar("T")
_NOT_YET: Any = object()


class _Resumed(collections.abc.Coroutine):  # type: ignore[type-arg]
    """A coroutine that took its first step by hand, for a Task to go on with.

    The task's first step gets what that first step yielded (the future the
    coroutine waits on, or None for a bare yield); from then on every
    send/throw goes to the coroutine itself.  A cancel that reaches the task
    before its first step is thrown into the coroutine where it waits, like
    any other cancel.
    """

    __slots__ = ("_coro", "_first")

    def __init__(self, coro: Coroutine[Any, Any, Any], yielded: Any) -> None:
        self._coro = coro
        self._first = yielded

    def send(self, value: Any) -> Any:
        first = self._first
        if first is not _NOT_YET:
            self._first = _NOT_YET
            return first
        return self._coro.send(value)

    def throw(self, *exc: Any) -> Any:
        self._first = _NOT_YET
        return self._coro.throw(*exc)

    def close(self) -> None:
        self._coro.close()

    def __await__(self) -> Generator[Any, Any, Any]:
        return self  # type: ignore[return-value]

    def __iter__(self) -> _Resumed:
        return self

    def __next__(self) -> Any:
        return self.send(None)

    def __getattr__(self, name: str) -> Any:  # __qualname__, cr_code, cr_frame...: the task's repr shows the call
        if name in _Resumed.__slots__:
            raise AttributeError(name)
        return getattr(self._coro, name)


def start_eagerly(coro: Coroutine[Any, Any, T]) -> tuple[bool, T | None, asyncio.Task[T] | None]:
    """Run ``coro`` now, in the running loop, up to its first suspension (Python 3.12's eager task start).

    Returns ``(True, result, None)`` when it finished without suspending (no
    task, no loop iteration: most syscalls), else ``(False, None, task)``: a
    task that goes on from where it stopped (its next step runs in a later
    loop iteration, never before the caller regains control).  An exception
    of the first step propagates.
    """
    try:
        yielded = coro.send(None)
    except StopIteration as stop:
        return True, stop.value, None
    return False, None, asyncio.Task(_Resumed(coro, yielded))


def _by_number(op: str, args: dict[str, Any], timeout: float | None) -> tuple[str, dict[str, Any]]:
    """A socketcall with a timeout runs as the call it names (do_syscall applies
    the timeout policy to named ops only); the dispatch is sys_socketcall's table."""
    if op != "socketcall" or timeout is None:
        return op, args
    entry = SOCKETCALL_TABLE.get(args.get("call", 0))
    argv = args.get("args", [])
    if entry is None or not isinstance(argv, list) or len(argv) > len(entry[1]):
        return op, args  # the kernel answers (EINVAL, or BadRequest)
    return entry[0], dict(zip(entry[1], argv))


async def guarded_syscall(proc: Any, op: str, args: dict[str, Any], timeout: float | None) -> SysReply:
    """do_syscall, with cancellation reported as -EINTR (the kernel undoes any side effect)."""
    if op == "socketcall" and timeout is not None:
        op, args = _by_number(op, args, timeout)
    try:
        reply = await do_syscall(proc, op, args, timeout)
    except asyncio.CancelledError:
        task = asyncio.current_task()
        if task is not None:
            task.uncancel()  # the interruption is consumed here: it is the call's result
        reply = SysReply(ret=-uapi.EINTR)
    SYSCALLS[op, reply.ret if reply.ret < 0 else 0] += 1
    return reply


SYSCALLS: collections.Counter[tuple[str, int]] = collections.Counter()
"""Syscalls run for clients: (op, 0 or -errno) -> count (the metrics endpoint reads it)."""


async def interrupt(task: asyncio.Task[SysReply]) -> SysReply:
    """Interrupt a running syscall task (as a signal would) and get its reply.

    The reply is -EINTR, or the call's own result when it had already
    finished (or, like a partial MSG_WAITALL, returns what it did).
    """
    task.cancel()
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        if task.cancelled():  # cancelled before it even started
            return SysReply(ret=-uapi.EINTR)
        raise


class ProcessEntry:
    """One open process: its handle, and the syscall tasks running for it."""

    def __init__(self, handle: str, proc: Any, owner: Principal = ROOT) -> None:
        self.handle = handle
        self.proc = proc
        self.owner = owner  # the principal that opened it: only it may use the handle
        self.tasks: set[asyncio.Task[Any]] = set()
        self.closed = False
        self.last_active = 0.0  # loop time of its last call (the idle session timeout reads it)

    def busy(self) -> bool:
        """A call of this process (typed RPC or Sigio stream) is still running."""
        return any(not task.done() for task in self.tasks)

    @property
    def pid(self) -> int:
        return int(self.proc.pid)

    def track(self, task: asyncio.Task[Any]) -> None:
        """Remember a task that runs for this process until it finishes."""
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    def start(self, op: str, args: dict[str, Any], timeout: float | None) -> asyncio.Task[SysReply]:
        """Run one syscall as a task of its own (tracked)."""
        task = asyncio.ensure_future(guarded_syscall(self.proc, op, args, timeout))
        self.track(task)
        return task

    async def exit(self) -> None:
        """Interrupt every pending call, then exit the process (closing its fds)."""
        if self.closed:
            return
        self.closed = True
        pending = [t for t in self.tasks if not t.done()]
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.wait(pending, timeout=5.0)
        self.proc.exit()


class ProcessTable:
    """The processes the daemon's clients hold open, by handle."""

    def __init__(self, host: Host, auth: Authenticator | None = None, limits: Limits | None = None) -> None:
        self.host = host
        self.auth = auth or Authenticator()
        self.limits = limits or Limits()
        self._by_handle: dict[str, ProcessEntry] = {}
        self.sessions: set[Any] = set()  # the live server.session.Session objects
        self.shutting_down = False  # set by Daemon.stop: new sessions and calls get UNAVAILABLE

    def full(self) -> bool:
        """The daemon holds --max-processes processes: no new one."""
        return len(self._by_handle) >= self.limits.max_processes

    def __len__(self) -> int:
        return len(self._by_handle)

    def open(
        self, uid: int = 0, gid: int = 0, caps: Iterable[int] | None = None, owner: Principal = ROOT,
    ) -> ProcessEntry:
        """Spawn a process on the host and give it a fresh handle.

        With tokens on, the owner's credentials win: a non-root principal's
        processes run as its uid/gid, and capabilities never exceed its set."""
        if owner.uid != 0:
            uid, gid = owner.uid, owner.gid
        wanted = list(caps) if caps is not None else list(ALL_CAPS) if uid == 0 else []
        proc = self.host.spawn(uid=uid, gid=gid, caps=owner.clamp_caps(wanted))
        entry = ProcessEntry(secrets.token_urlsafe(24), proc, owner)
        self._by_handle[entry.handle] = entry
        log.debug("process opened pid=%d", entry.pid)
        return entry

    def get(self, handle: str, caller: Principal | None = None) -> ProcessEntry | None:
        """The open process with this handle, or None (also when ``caller`` is not its owner)."""
        entry = self._by_handle.get(handle)
        if entry is None or entry.closed:
            return None
        if caller is not None and caller != entry.owner:
            return None
        return entry

    async def close(self, entry: ProcessEntry) -> None:
        """End a process: interrupt its calls, close its fds, forget its handle."""
        self._by_handle.pop(entry.handle, None)
        await entry.exit()
        log.debug("process exited pid=%d", entry.pid)

    async def close_all(self) -> None:
        """End every process (daemon shutdown)."""
        for entry in list(self._by_handle.values()):
            await self.close(entry)
