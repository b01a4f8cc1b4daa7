"""poll(2) (fs/select.c): readiness of many fds, with an optional timeout.

An fd < 0 is skipped (revents 0); a closed fd reports POLLNVAL; otherwise
revents = f_op.poll() & (events | POLLERR | POLLHUP | POLLNVAL).  The call
sleeps on every file's wait queue until one is ready, the timeout
(milliseconds; negative = forever) ends, or the caller is interrupted
(-EINTR via cancellation).
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING

from kernel import uapi
from kernel.net.uaccess import PollFd
from kernel.wait import WaitQueue, wait_event

if TYPE_CHECKING:
    from kernel.process import Process

ALWAYS = uapi.POLLERR | uapi.POLLHUP | uapi.POLLNVAL


def _scan(proc: Process, fds: list[PollFd]) -> int:
    count = 0
    for p in fds:
        if p.fd < 0:
            p.revents = 0
            continue
        f = proc.fget(p.fd)
        if f is None:
            p.revents = uapi.POLLNVAL
        else:
            p.revents = f.poll() & ((p.events & 0xFFFF) | ALWAYS)
        if p.revents:
            count += 1
    return count


async def sys_poll(proc: Process, fds: list[PollFd], timeout_ms: int) -> int:
    if len(fds) > proc.rlimit_nofile:
        return -uapi.EINVAL
    count = _scan(proc, fds)
    if count or timeout_ms == 0:
        return count
    timeo = math.inf if timeout_ms < 0 else timeout_ms / 1000.0
    # One private queue, fed by every watched file's queue.
    mine = WaitQueue()
    hooked: list[tuple[WaitQueue, object]] = []
    for p in fds:
        f = proc.fget(p.fd) if p.fd >= 0 else None
        if f is not None:
            wq = f.f_op.wait_queue(f)
            wq.add(mine.wake_up)
            hooked.append((wq, mine.wake_up))
    result = 0
    try:

        def ready() -> bool:
            nonlocal result
            result = _scan(proc, fds)
            return result > 0

        await wait_event(mine, proc.host.clock, timeo, ready)
    finally:
        for wq, fn in hooked:
            wq.remove(fn)  # type: ignore[arg-type]
    return result
