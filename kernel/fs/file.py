"""struct file and its file_operations: what an fd points to.

A ``File`` carries the open-file flags (O_NONBLOCK, O_ASYNC), the owner for
SIGIO (F_SETOWN) and a reference count: dup(), SCM_RIGHTS in flight and every
fd table entry hold one reference; the last ``fput`` releases the object.

Deferred release work (Linux's fput -> task_work, run on the way back to user
space): a release that must sleep -- a lingering TCP close
(``sk_stream_wait_close``) -- cannot, since ``fput`` is synchronous.  It
offers the sleep with ``task_work_add(fn)``; the close syscall runs the
offered work under ``task_work_scope()`` and awaits it before returning.
Where no syscall collects it (process exit: PF_EXITING, whose linger time
Linux takes as 0) ``task_work_add`` returns False and the release completes
at once.
"""
from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable, Iterator
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, Protocol

from kernel import uapi
from kernel.wait import WaitQueue

if TYPE_CHECKING:
    from kernel.host import Host
    from kernel.net.uaccess import IoctlBuf
    from kernel.process import Process


class FileOperations(Protocol):
    """The subset of file_operations sockets and epoll implement."""

    def poll(self, file: File) -> int: ...

    def release(self, file: File) -> None: ...

    def ioctl(self, file: File, cmd: int, argp: list[int], ubuf: IoctlBuf | None, proc: Process) -> int:
        """``argp`` holds the int argument (and the int an ioctl writes back);
        ``ubuf`` the memory it points to when the caller passed a buffer."""
        ...

    def wait_queue(self, file: File) -> WaitQueue: ...


class File:
    """An open file description (struct file)."""

    __slots__ = ("f_op", "f_flags", "private_data", "f_count", "f_owner", "host", "f_ep", "__weakref__")

    def __init__(self, host: Host, f_op: FileOperations, private_data: Any, flags: int) -> None:
        self.host = host
        self.f_op = f_op
        self.private_data = private_data
        self.f_flags = uapi.O_RDWR | flags
        self.f_count = 1
        self.f_owner = 0  # pid for SIGIO, 0 = none
        self.f_ep: set[Any] = set()  # epoll items watching this file

    def get(self) -> File:
        self.f_count += 1
        return self

    def fput(self) -> None:
        self.f_count -= 1
        if self.f_count > 0:
            put = getattr(self.f_op, "put", None)
            if put is not None:
                put(self)  # may drop further references (unix_gc); the last one releases there
            return
        if self.f_count == 0:
            for item in list(self.f_ep):
                item.file_released()
            self.f_op.release(self)
            self.host.nr_files -= 1

    def poll(self) -> int:
        return self.f_op.poll(self)

    @property
    def nonblock(self) -> bool:
        return bool(self.f_flags & uapi.O_NONBLOCK)


TaskWork = Callable[[bool], Awaitable[None]]
"""Release work: called with ``interrupted`` (a signal is pending: finish without sleeping)."""
_task_work: ContextVar[list[TaskWork] | None] = ContextVar("task_work", default=None)


def task_work_add(work: TaskWork) -> bool:
    """Queue ``work`` for the syscall now releasing a file; False when none will run it."""
    pending = _task_work.get()
    if pending is None:
        return False
    pending.append(work)
    return True


@contextlib.contextmanager
def task_work_scope() -> Iterator[list[TaskWork]]:
    """Collect the work releases queue while the (synchronous) body runs; the caller awaits it."""
    pending: list[TaskWork] = []
    token = _task_work.set(pending)
    try:
        yield pending
    finally:
        _task_work.reset(token)
