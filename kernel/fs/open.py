"""close(2): drop an fd table entry and its reference to the open file."""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kernel.process import Process


def sys_close(proc: Process, fd: int) -> int:
    return proc.close_fd(fd)
