"""fcntl(2) and dup(2) for the flags a socket file has (fs/fcntl.c).

F_GETFL/F_SETFL (only O_NONBLOCK and O_ASYNC change, plus the flags Linux
silently accepts), F_GETFD/F_SETFD (FD_CLOEXEC), F_SETOWN/F_GETOWN (SIGIO
target), F_DUPFD/F_DUPFD_CLOEXEC; any other command is -EINVAL.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from kernel import uapi

if TYPE_CHECKING:
    from kernel.process import Process

O_APPEND = 0o2000
O_DIRECT = 0o40000
O_NOATIME = 0o1000000
SETFL_MASK = O_APPEND | uapi.O_NONBLOCK | uapi.O_ASYNC | O_DIRECT | O_NOATIME  # (FASYNC set via ->fasync)


def sys_fcntl(proc: Process, fd: int, cmd: int, arg: int) -> int:
    f = proc.fget(fd)
    if f is None:
        return -uapi.EBADF
    if cmd == uapi.F_GETFL:
        return f.f_flags
    if cmd == uapi.F_SETFL:
        if arg & O_DIRECT:  # sockets cannot do direct I/O (no FMODE_CAN_ODIRECT)
            return -uapi.EINVAL
        f.f_flags = (f.f_flags & ~SETFL_MASK) | (arg & SETFL_MASK)
        return 0
    if cmd == uapi.F_GETFD:
        return uapi.FD_CLOEXEC if fd in proc.cloexec else 0
    if cmd == uapi.F_SETFD:
        if arg & uapi.FD_CLOEXEC:
            proc.cloexec.add(fd)
        else:
            proc.cloexec.discard(fd)
        return 0
    if cmd == uapi.F_SETOWN:
        f.f_owner = arg
        return 0
    if cmd == uapi.F_GETOWN:
        return f.f_owner
    if cmd in (uapi.F_DUPFD, uapi.F_DUPFD_CLOEXEC):
        if arg < 0 or arg >= proc.rlimit_nofile:
            return -uapi.EINVAL
        newfd = proc.get_unused_fd(arg)
        if newfd >= 0:
            proc.fd_install(newfd, f.get(), cmd == uapi.F_DUPFD_CLOEXEC)
        return newfd
    return -uapi.EINVAL


def sys_dup(proc: Process, fd: int) -> int:
    f = proc.fget(fd)
    if f is None:
        return -uapi.EBADF
    newfd = proc.get_unused_fd()
    if newfd < 0:
        return newfd
    proc.fd_install(newfd, f.get(), False)
    return newfd
