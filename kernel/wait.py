"""Wait queues (include/linux/wait.h) and the one helper that blocks a syscall.

A ``WaitQueue`` holds entries woken with a poll mask.  Sleeping syscalls use
``wait_event(wq, clock, timeo, cond)``: it returns the remaining timeout once
``cond()`` is true, or 0.0 when the timeout ran out (the caller then returns
-EAGAIN, as Linux does for an expired SO_RCVTIMEO).  ``timeo`` is seconds,
``inf`` for MAX_SCHEDULE_TIMEOUT.  Cancellation of the awaiting task is the
signal: CancelledError propagates and the caller decides between -EINTR and a
partial result.  Poll and epoll register callbacks in the same queues.
"""
from __future__ import annotations

import asyncio
import math
from collections.abc import Callable

from kernel.clock import Clock

WakeFn = Callable[[int], None]


class WaitQueue:
    """A list of wake callbacks, each called with the event mask."""

    __slots__ = ("_entries",)

    def __init__(self) -> None:
        self._entries: list[WakeFn] = []

    def add(self, fn: WakeFn) -> None:
        self._entries.append(fn)

    def remove(self, fn: WakeFn) -> None:
        try:
            self._entries.remove(fn)
        except ValueError:
            pass

    def wake_up(self, mask: int = 0) -> None:
        for fn in list(self._entries):
            fn(mask)

    def __len__(self) -> int:
        return len(self._entries)


async def wait_event(wq: WaitQueue, clock: Clock, timeo: float, cond: Callable[[], bool]) -> float:
    """Sleep on ``wq`` until ``cond()`` holds; return the time left (0.0 = timed out)."""
    if cond():
        return timeo if timeo > 0 else 1e-9
    if timeo <= 0:
        return 0.0
    loop = asyncio.get_running_loop()
    deadline = math.inf if math.isinf(timeo) else clock.now() + timeo
    while True:
        fut: asyncio.Future[None] = loop.create_future()

        def wake(_mask: int, fut: asyncio.Future[None] = fut) -> None:
            if not fut.done():
                fut.set_result(None)

        wq.add(wake)
        timer = None if math.isinf(deadline) else clock.call_at(deadline, lambda: wake(0))
        try:
            await fut
        finally:
            wq.remove(wake)
            if timer is not None:
                timer.cancel()
        if cond():
            left = deadline - clock.now() if not math.isinf(deadline) else math.inf
            return max(left, 1e-9)
        if not math.isinf(deadline) and clock.now() >= deadline:
            return 0.0
