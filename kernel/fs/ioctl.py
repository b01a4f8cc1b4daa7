"""ioctl(2): the generic file ioctls (FIONBIO, FIOASYNC), then the file's own.

``argp`` models the third argument as an int cell (``argp[0]``: FIONBIO's
value in, FIONREAD's count out); ``ubuf`` is the caller's memory when the
argument points to a buffer (struct ifreq of the SIOCGIF*/SIOCSIF* ioctls,
see kernel.net.core.dev_ioctl), else None (such an ioctl is then -EFAULT, as
for a NULL pointer).  Socket files pass other commands to their family
(FIONREAD/SIOCINQ, SIOCOUTQ) and the interface ioctls to sock_do_ioctl; a
command nobody knows is -ENOTTY.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from kernel import uapi

if TYPE_CHECKING:
    from kernel.net.uaccess import IoctlBuf
    from kernel.process import Process


def sys_ioctl(proc: Process, fd: int, cmd: int, argp: list[int], ubuf: IoctlBuf | None = None) -> int:
    f = proc.fget(fd)
    if f is None:
        return -uapi.EBADF
    if cmd == uapi.FIONBIO:
        if argp[0]:
            f.f_flags |= uapi.O_NONBLOCK
        else:
            f.f_flags &= ~uapi.O_NONBLOCK
        return 0
    if cmd == uapi.FIOASYNC:
        if argp[0]:
            f.f_flags |= uapi.O_ASYNC
        else:
            f.f_flags &= ~uapi.O_ASYNC
        return 0
    return f.f_op.ioctl(f, cmd, argp, ubuf, proc)
