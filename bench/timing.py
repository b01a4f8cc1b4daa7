"""Timing loops bounded in count and in time, with warm-up, and their statistics.

A workload is a zero-argument callable running one operation.  It may return
a ``perf_counter_ns()`` timestamp taken between its two halves (a send and
its recv): the loop then also records the first half on its own.

Every loop stops at whichever comes first: its iteration count or its time
budget, so a slow machine makes fewer samples instead of a longer run.
Each measurement also counts CPU time: this process's (every thread:
the caller, grpc's threads, the client's reader) and, when the figure talks
to a server the bench started, that server's (from ``/proc/PID/stat``,
clock-tick resolution).  On a small, shared machine the CPU an operation
burns explains its latency better than a noisy median does.

Full mode spreads each figure over several interleaved rounds (figure A,
B, C, then A, B, C again...), so a slow spell of the machine hits every
figure alike rather than one of them.
"""
from __future__ import annotations

import gc
import math
import os
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
    client_cpu_s: float = 0.0
    server_cpu_s: float | None = None


def server_cpu(pid: int) -> float | None:
    """CPU seconds (user + system) that process ``pid`` has used so far; None where /proc cannot tell."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


def warm_up(op: Op, iterations: int, seconds: float) -> None:
    """Run ``op`` untimed, bounded by ``iterations`` and ``seconds``."""
    deadline = time.perf_counter() + seconds
    for _ in range(iterations):
        op()
        if time.perf_counter() > deadline:
            break


def measure(op: Op, iterations: int, seconds: float, into: Samples, server_pid: int | None = None) -> None:
    """Time up to ``iterations`` runs of ``op`` for at most ``seconds``; append to ``into``.

    Also adds the CPU time this process and ``server_pid`` (if given) used meanwhile.
    """
    total, first = into.total, into.first
    gc.collect()
    server0 = server_cpu(server_pid) if server_pid is not None else None
    client0 = time.process_time()
    try:
        _loop(op, iterations, seconds, total, first)
    finally:
        into.client_cpu_s += time.process_time() - client0
        server1 = server_cpu(server_pid) if server_pid is not None else None
        if server0 is not None and server1 is not None:
            into.server_cpu_s = (into.server_cpu_s or 0.0) + server1 - server0


def _loop(op: Op, iterations: int, seconds: float, total: list[int], first: list[int]) -> None:
    clock = time.perf_counter_ns
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
    client_cpu_us: float | None = None
    server_cpu_us: float | None = None

    @classmethod
    def of(cls, durations_ns: list[int], client_cpu_s: float | None = None, server_cpu_s: float | None = None) -> Stats:
        """Median, nearest-rank p99, mean, min and max of ``durations_ns`` (and CPU per op, if given)."""
        if not durations_ns:
            raise ValueError("no samples")
        xs = sorted(durations_ns)
        n = len(xs)
        mid = n // 2
        median = xs[mid] if n % 2 else (xs[mid - 1] + xs[mid]) / 2
        p99 = xs[max(0, math.ceil(0.99 * n) - 1)]
        return cls(n=n, median_us=median / 1e3, p99_us=p99 / 1e3, mean_us=sum(xs) / n / 1e3,
                   min_us=xs[0] / 1e3, max_us=xs[-1] / 1e3,
                   client_cpu_us=None if client_cpu_s is None else client_cpu_s / n * 1e6,
                   server_cpu_us=None if server_cpu_s is None else server_cpu_s / n * 1e6)
