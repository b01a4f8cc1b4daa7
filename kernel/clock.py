"""Injectable time: the kernel never reads the wall clock itself.

``Clock.now()`` gives monotonic seconds; ``Clock.call_at(when, fn)`` runs fn at
that time and returns a handle with ``cancel()``.  ``RealClock`` rides on the
running asyncio loop (the daemon); ``ManualClock`` only moves when a test calls
``advance()`` — tests never sleep.
"""
from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import Callable
from typing import Protocol


class TimerHandle(Protocol):
    def cancel(self) -> None: ...


class Clock(Protocol):
    def now(self) -> float: ...

    def call_at(self, when: float, fn: Callable[[], None]) -> TimerHandle: ...


HZ = 250  # jiffies per second, as the reference kernel is built (SO_RCVTIMEO granularity)


class RealClock:
    """Monotonic time of the running asyncio loop."""

    def now(self) -> float:
        return asyncio.get_running_loop().time()

    def call_at(self, when: float, fn: Callable[[], None]) -> TimerHandle:
        return asyncio.get_running_loop().call_at(when, fn)


class _ManualTimer:
    __slots__ = ("when", "fn", "cancelled")

    def __init__(self, when: float, fn: Callable[[], None]) -> None:
        self.when = when
        self.fn = fn
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


class ManualClock:
    """Virtual time for tests: timers fire only inside ``advance``."""

    def __init__(self, start: float = 1000.0) -> None:
        self._now = start
        self._heap: list[tuple[float, int, _ManualTimer]] = []
        self._seq = itertools.count()

    def now(self) -> float:
        return self._now

    def call_at(self, when: float, fn: Callable[[], None]) -> TimerHandle:
        timer = _ManualTimer(when, fn)
        heapq.heappush(self._heap, (when, next(self._seq), timer))
        return timer

    def advance(self, seconds: float) -> None:
        """Move time forward, firing every timer that falls due, in order."""
        target = self._now + seconds
        while self._heap and self._heap[0][0] <= target:
            when, _, timer = heapq.heappop(self._heap)
            self._now = max(self._now, when)
            if not timer.cancelled:
                timer.fn()
        self._now = target

    def pending(self) -> int:
        return sum(1 for _, _, t in self._heap if not t.cancelled)
