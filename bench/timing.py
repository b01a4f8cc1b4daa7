"""Timing loops bounded in count and in time, with warm-up, and their statistics.

A workload is a zero-argument callable running one operation.  It may return
a ``perf_counter_ns()`` timestamp taken between its two halves (a send and
its recv): the loop then also records the first half on its own.

Every loop stops at whichever comes first: its iteration count or its time
budget, so a slow machine makes fewer samples instead of a longer run.
Full mode spreads each figure over several interleaved rounds (figure A,
B, C, then A, B, C again...), so a slow spell of the machine hits every
figure alike rather than one of them.
"""
from __future__ import annotations

import gc
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

Op = Callable[[], int | None]


@dataclass(frozen=True)
class Budget:
    """How long to warm up and measure one figure, in iterations and seconds (whichever ends first)."""

    warmup_iterations: int
    warmup_seconds: float
    iterations: int
    seconds: float
    rounds: int = 1

    def per_round(self) -> tuple[int, float]:
        """The iteration and time bounds of one round."""
        return max(1, self.iterations // self.rounds), self.seconds / self.rounds


QUICK = Budget(warmup_iterations=30, warmup_seconds=0.1, iterations=300, seconds=0.25, rounds=1)
FULL = Budget(warmup_iterations=500, warmup_seconds=1.0, iterations=20_000, seconds=8.0, rounds=5)


@dataclass
class Samples:
    """Durations of one figure's operations in nanoseconds (and of their first halves, if split)."""

    total: list[int] = field(default_factory=list)
    first: list[int] = field(default_factory=list)


def warm_up(op: Op, iterations: int, seconds: float) -> None:
    """Run ``op`` untimed, bounded by ``iterations`` and ``seconds``."""
    deadline = time.perf_counter() + seconds
    for _ in range(iterations):
        op()
        if time.perf_counter() > deadline:
            break


def measure(op: Op, iterations: int, seconds: float, into: Samples) -> None:
    """Time up to ``iterations`` runs of ``op`` for at most ``seconds``; append to ``into``."""
    clock = time.perf_counter_ns
    total, first = into.total, into.first
    gc.collect()
    deadline = clock() + int(seconds * 1e9)
    for _ in range(iterations):
        t0 = clock()
        mid = op()
        t1 = clock()
        total.append(t1 - t0)
        if mid is not None:
            first.append(mid - t0)
        if t1 > deadline:
            break


@dataclass(frozen=True)
class Stats:
    """Summary of one series of durations, in microseconds."""

    n: int
    median_us: float
    p99_us: float
    mean_us: float
    min_us: float
    max_us: float

    @classmethod
    def of(cls, durations_ns: list[int]) -> Stats:
        """Median, nearest-rank p99, mean, min and max of ``durations_ns``."""
        if not durations_ns:
            raise ValueError("no samples")
        xs = sorted(durations_ns)
        n = len(xs)
        mid = n // 2
        median = xs[mid] if n % 2 else (xs[mid - 1] + xs[mid]) / 2
        p99 = xs[max(0, math.ceil(0.99 * n) - 1)]
        return cls(n=n, median_us=median / 1e3, p99_us=p99 / 1e3, mean_us=sum(xs) / n / 1e3,
                   min_us=xs[0] / 1e3, max_us=xs[-1] / 1e3)
