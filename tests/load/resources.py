"""What a daemon holds, read from outside: RSS, the metrics endpoint, and a bounded poll.

Shared by the limits, fault, shutdown and load tests (tests/server/test_limits*.py,
test_faults*.py, test_shutdown*.py, tests/load/).  A daemon started with
``--metrics 127.0.0.1:0`` logs its endpoint; :func:`metrics_url` finds it.
"""
from __future__ import annotations

import re
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

T = TypeVar("T")


def rss_kib(pid: int) -> int:
    """VmRSS of a process in KiB (/proc/PID/status)."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError(f"no VmRSS for pid {pid}")


def metrics_url(daemon: Any) -> str:
    """The /metrics URL a daemon (tests/conftest.py DaemonProcess, started with --metrics) logged."""
    for line in daemon.log:
        m = re.search(r"metrics=(http://\S+)", line)
        if m:
            return m.group(1)
    raise AssertionError("the daemon was not started with --metrics")


def scrape(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as reply:
        return reply.read().decode()


def value(text: str, name: str, **labels: str) -> float:
    """One sample of a scrape (labels must match exactly; none = the unlabelled sample)."""
    want = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        m = re.match(r"(\w+)(?:\{(.*)\})? (\S+)$", line)
        if m and m.group(1) == name:
            got = ",".join(sorted(m.group(2).split(","))) if m.group(2) else ""
            if got == want:
                return float(m.group(3))
    raise AssertionError(f"{name}{{{want}}} not in metrics")


@dataclass(frozen=True)
class Counts:
    """What a daemon holds: processes, open files, asyncio tasks, RSS (KiB)."""

    processes: int
    files: int
    tasks: int
    rss: int

    def same_as(self, base: Counts) -> bool:
        """Back to ``base`` (RSS is compared separately, with a tolerance)."""
        return (self.processes, self.files, self.tasks) == (base.processes, base.files, base.tasks)


def counts(daemon: Any) -> Counts:
    text = scrape(metrics_url(daemon))
    return Counts(int(value(text, "socketlab_processes")), int(value(text, "socketlab_open_files")),
                  int(value(text, "socketlab_asyncio_tasks")), rss_kib(daemon.proc.pid))


def wait_for(probe: Callable[[], T], ok: Callable[[T], bool], timeout: float = 10.0, step: float = 0.02) -> T:
    """Poll ``probe()`` until ``ok`` holds (returns that value) or ``timeout`` passes (returns the last)."""
    deadline = time.monotonic() + timeout
    while True:
        got = probe()
        if ok(got) or time.monotonic() > deadline:
            return got
        time.sleep(step)


def back_to_baseline(daemon: Any, base: Counts, timeout: float = 10.0) -> Counts:
    """Wait (bounded) until the daemon's counts are back to ``base``; the last counts seen."""
    return wait_for(lambda: counts(daemon), lambda c: c.same_as(base), timeout)
