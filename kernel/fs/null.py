"""/dev/null: the file a new process has on fds 0, 1 and 2.

A Linux process starts with stdin, stdout and stderr open, so its first
socket is fd 3 and socket calls on fd 0 fail with ENOTSOCK; an emulated
process starts the same way, with /dev/null behind all three.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from kernel import uapi
from kernel.fs.file import File
from kernel.wait import WaitQueue

if TYPE_CHECKING:
    from kernel.net.uaccess import IoctlBuf
    from kernel.process import Process


class NullFileOps:
    """file_operations of /dev/null: always readable (EOF) and writable."""

    can_poll = False  # /dev/null has no ->poll: poll(2) says DEFAULT_POLLMASK, epoll says EPERM

    def __init__(self) -> None:
        self._wq = WaitQueue()

    def poll(self, file: File) -> int:
        return uapi.POLLIN | uapi.POLLRDNORM | uapi.POLLOUT | uapi.POLLWRNORM

    def release(self, file: File) -> None:
        return None

    def ioctl(self, file: File, cmd: int, argp: list[int], ubuf: IoctlBuf | None, proc: Process) -> int:
        return -uapi.ENOTTY

    def wait_queue(self, file: File) -> WaitQueue:
        return self._wq


null_fops = NullFileOps()
