"""The stateful soak fuzz in CI (issue #7): >= 100,000 random syscalls through ONE live daemon.

tests/fuzz/soak.py does the work (see its docstring): 32 emulated processes
over Process.Session streams, a seeded stateful generator per process, every
reply checked (a valid errno or a documented CallError, never INTERNAL, never
a broken stream, no hang).  Here a private daemon runs it; afterwards the
daemon must be SERVING, back to its baseline (processes, open files, asyncio
tasks: the metrics endpoint), and its stderr free of tracebacks.

SOCKETLAB_SOAK_SYSCALLS sets the number of syscalls (default 100,000),
SOCKETLAB_SOAK_SEED the seed (default 1).  The manual long mode is
``python -m tests.fuzz.soak --syscalls 5000000 --seed N``.
"""
from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any

from tests.fuzz import soak
from tests.load.resources import metrics_url

SYSCALLS = int(os.environ.get("SOCKETLAB_SOAK_SYSCALLS", "100000"))
SEED = int(os.environ.get("SOCKETLAB_SOAK_SEED", "1"))
PROCESSES = 32


def test_daemon_soak(spawn_daemon: Callable[..., Any], capsys: Any) -> None:
    d = spawn_daemon("--metrics", "127.0.0.1:0")
    url = metrics_url(d)
    base = soak.resources(url)
    assert base[:2] == (0, 0), base
    started = time.monotonic()
    stats = soak.run(d.target, SYSCALLS, SEED, PROCESSES)
    wall = time.monotonic() - started
    with capsys.disabled():
        print(f"\n{stats.summary()}\n  wall {wall:.1f} s (seed {SEED})")
    assert not stats.failures, "\n".join(stats.failures)
    assert stats.processes >= PROCESSES  # (some exit early and are replaced)
    assert stats.syscalls >= SYSCALLS, stats.summary()
    assert d.proc.poll() is None, "socketlabd died:\n" + "".join(d.log[-40:])
    assert soak.healthy(d.target)
    after = soak.back_to(url, base)
    assert after == base, f"not back to baseline (processes, files, tasks): {base} -> {after}"
    assert d.stop() == 0, "".join(d.log[-40:])
    bad = soak.bad_log_lines(d.log)
    assert not bad, "".join(d.log[-60:])
