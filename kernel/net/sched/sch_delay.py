"""A clock-driven delay line: every frame leaves ``delay`` seconds after it was enqueued.

``DelayQdisc(clock, delay, limit=1000)`` is the time-sorted FIFO at the heart
of netem (net/sched/sch_netem.c's tfifo + watchdog), reduced to a constant
delay: ``enqueue`` stamps the frame with ``time_to_send = now + delay`` and
queues it; one watchdog timer (``clock.call_at``) fires at the earliest
``time_to_send`` and hands every frame that is due to ``qdisc_xmit``
(dev_hard_start_xmit), in order.  Frames over ``limit`` are dropped
(NET_XMIT_DROP, counted in ``stats.drops``), as netem's ``limit`` does.
``delay`` may change at any time (a frame keeps the time it was given).
``reset`` (device down, qdisc replaced) drops what is queued.

Issue #5's netem extends this: per-frame ``time_to_send`` from a jitter
distribution, loss/duplicate/reorder decisions from ``net.rng`` at enqueue.
Tests drive it with a ``ManualClock``: nothing leaves until ``advance``.
"""
from __future__ import annotations

import heapq
import itertools
from typing import Any

from kernel.clock import Clock, TimerHandle
from kernel.net.core.dev import NetDevice
from kernel.net.core.skbuff import SkBuff
from kernel.net.sched.sch_generic import NET_XMIT_DROP, NET_XMIT_SUCCESS, QdiscStats, qdisc_xmit


class Tfifo:
    """netem's tfifo and qdisc watchdog: frames sorted by time_to_send (ties in arrival order), one
    clock timer at the earliest; when it fires every frame that is due leaves through qdisc_xmit, in
    order.  DelayQdisc and sch_netem.NetemQdisc queue through ``tfifo_enqueue``."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.stats = QdiscStats()
        self._queue: list[tuple[float, int, SkBuff, NetDevice]] = []
        self._seq = itertools.count()
        self._watchdog: TimerHandle | None = None
        self._watchdog_at = 0.0

    def __len__(self) -> int:
        return len(self._queue)

    def tfifo_enqueue(self, when: float, skb: SkBuff, dev: NetDevice) -> None:
        heapq.heappush(self._queue, (when, next(self._seq), skb, dev))
        self.stats.qlen = len(self._queue)
        self.stats.backlog += skb.len
        self._arm()

    def _arm(self) -> None:
        """qdisc_watchdog_schedule: one timer, at the earliest time_to_send."""
        if not self._queue:
            return
        first = self._queue[0][0]
        if self._watchdog is not None and self._watchdog_at <= first:
            return
        if self._watchdog is not None:
            self._watchdog.cancel()
        self._watchdog_at = first
        self._watchdog = self.clock.call_at(first, self._dequeue)

    def _dequeue(self) -> None:
        """The watchdog fired: send everything that is due, then re-arm for the rest."""
        self._watchdog = None
        now = self.clock.now()
        while self._queue and self._queue[0][0] <= now:
            _, _, skb, dev = heapq.heappop(self._queue)
            self.stats.qlen = len(self._queue)
            self.stats.backlog -= skb.len
            qdisc_xmit(self, skb, dev)
        if not self._queue:
            self.drained()
        self._arm()

    def drained(self) -> None:
        """The queue emptied (a subclass forgets what it kept about the tail)."""

    def reset(self, dev: Any = None) -> None:
        """qdisc_reset: purge every queued frame (not counted as drops, as on Linux) and stop the watchdog."""
        if self._watchdog is not None:
            self._watchdog.cancel()
            self._watchdog = None
        while self._queue:
            _, _, skb, _ = heapq.heappop(self._queue)
            skb.free()
        self.stats.qlen = self.stats.backlog = 0
        self.drained()


class DelayQdisc(Tfifo):
    """netem delay DELAY limit LIMIT, with a virtual-time watchdog."""

    kind = "netem"

    def __init__(self, clock: Clock, delay: float, limit: int = 1000) -> None:
        if delay < 0 or limit < 0:
            raise ValueError("delay and limit are non-negative")
        super().__init__(clock)
        self.delay = delay
        self.limit = limit

    def enqueue(self, skb: SkBuff, dev: NetDevice) -> int:
        if len(self._queue) >= self.limit:
            self.stats.drops += 1
            skb.free()
            return NET_XMIT_DROP
        self.tfifo_enqueue(self.clock.now() + self.delay, skb, dev)
        return NET_XMIT_SUCCESS
