"""A process: credentials, capabilities, an fd table with Linux's rules.

The fd table hands out the lowest free descriptor (EMFILE past
RLIMIT_NOFILE), keeps FD_CLOEXEC per descriptor, and on exit closes every
descriptor, which is what makes peers see EOF or ECONNRESET when a client goes.
SIGIO notices for O_ASYNC files owned by this process land in ``sigio``.
"""
from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from kernel import uapi
from kernel.fs.file import File

if TYPE_CHECKING:
    from kernel.host import Host

SIGPIPE = 13
SIGURG = 23
SIGIO = 29
ALL_CAPS: frozenset[int] = frozenset(range(41))


@dataclass(frozen=True)
class SigInfo:
    """A queued signal: SIGIO for ``fd`` with the poll ``band`` that caused it."""

    signo: int
    fd: int
    band: int


class Process:
    """One emulated process of a host."""

    def __init__(self, host: Host, pid: int, uid: int, gid: int, caps: Iterable[int]) -> None:
        self.host = host
        self.pid = pid
        self.uid = uid
        self.gid = gid
        self.caps = frozenset(caps)
        self.rlimit_nofile = uapi.RLIMIT_NOFILE_DEFAULT
        self.fdtable: dict[int, File] = {}
        self.cloexec: set[int] = set()
        self.reserved: set[int] = set()  # fds taken by get_unused_fd, not yet installed
        self.sigio: asyncio.Queue[SigInfo] = asyncio.Queue(maxsize=1024)
        self.alive = True

    def capable(self, cap: int) -> bool:
        return cap in self.caps

    # --- fd table (fs/file.c) -------------------------------------------------
    def get_unused_fd(self, minfd: int = 0) -> int:
        """The lowest free fd >= minfd, or -EMFILE."""
        fd = minfd
        while fd in self.fdtable or fd in self.reserved:
            fd += 1
        if fd >= self.rlimit_nofile:
            return -uapi.EMFILE
        return fd

    def reserve_fd(self, minfd: int = 0) -> int:
        """get_unused_fd_flags: claim the lowest free fd until fd_install or put_unused_fd."""
        fd = self.get_unused_fd(minfd)
        if fd >= 0:
            self.reserved.add(fd)
        return fd

    def put_unused_fd(self, fd: int) -> None:
        self.reserved.discard(fd)

    def fd_install(self, fd: int, file: File, cloexec: bool = False) -> None:
        self.reserved.discard(fd)
        self.fdtable[fd] = file
        if cloexec:
            self.cloexec.add(fd)
        else:
            self.cloexec.discard(fd)

    def install_file(self, file: File, cloexec: bool = False, minfd: int = 0) -> int:
        """Put ``file`` (whose reference the table takes over) at the lowest fd."""
        fd = self.get_unused_fd(minfd)
        if fd >= 0:
            self.fd_install(fd, file, cloexec)
        return fd

    def fget(self, fd: int) -> File | None:
        return self.fdtable.get(fd)

    def close_fd(self, fd: int) -> int:
        file = self.fdtable.pop(fd, None)
        if file is None:
            return -uapi.EBADF
        self.cloexec.discard(fd)
        self.host.fd_closed(self, fd, file)
        file.fput()
        return 0

    def exit(self) -> None:
        """do_exit: close every descriptor; idempotent."""
        if not self.alive:
            return
        self.alive = False
        for fd in sorted(self.fdtable):
            self.close_fd(fd)
        self.host.reap(self)

    def send_sigio(self, fd: int, band: int) -> None:
        self.send_signal(SIGIO, fd, band)

    def send_signal(self, signo: int, fd: int = -1, band: int = 0) -> None:
        """Queue a signal notice (SIGIO, SIGURG, SIGPIPE) for the process's client."""
        try:
            self.sigio.put_nowait(SigInfo(signo, fd, band))
        except asyncio.QueueFull:
            pass  # a real signal would coalesce; we keep the first 1024
