"""Shared fixtures: a real socketlabd daemon in a subprocess.

``daemon`` (session scope) starts ``python -m server --listen 127.0.0.1:0``,
waits for its ready line (``listen=HOST:PORT``), yields "HOST:PORT" and stops
it with SIGTERM at the end, asserting a clean exit (status 0).  With
SOCKETLAB_TARGET set, it yields that address instead (a daemon already running).

``spawn_daemon`` starts a private daemon for a test that must stop or hurt it.

Tests marked ``slow`` (deselected by default, see pyproject.toml; run with
``-m slow``) get a ``timeout`` of SLOW_TIMEOUT seconds unless they set their own:
the default 120 s is sized for the default run.

Hypothesis runs from one fixed seed (CI_SEED) so that a run tests the same
examples every time: a new finding comes from a campaign
(SOCKETLAB_FUZZ_RANDOM=1, or ``--hypothesis-seed=N``) and lands as a
regression test, never as a red CI run on unrelated work.
"""
from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SLOW_TIMEOUT = 1800.0
READY_SECONDS = 30.0
STOP_SECONDS = 15.0
_READY = re.compile(r"listen=(\S+)")
CI_SEED = 20261123


def free_ports(n: int) -> list[int]:
    """n TCP ports on 127.0.0.1 that were free a moment ago (held together so they differ)."""
    socks = [socket.socket() for _ in range(n)]
    try:
        for s in socks:
            s.bind(("127.0.0.1", 0))
        return [int(s.getsockname()[1]) for s in socks]
    finally:
        for s in socks:
            s.close()


def pytest_configure(config: pytest.Config) -> None:
    import hypothesis.core

    if not os.environ.get("SOCKETLAB_FUZZ_RANDOM") and config.getoption("hypothesis_seed", None) is None:
        hypothesis.core.global_force_seed = CI_SEED  # type: ignore[attr-defined]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if item.get_closest_marker("slow") and not item.get_closest_marker("timeout"):
            item.add_marker(pytest.mark.timeout(SLOW_TIMEOUT))


@dataclass
class DaemonProcess:
    """A running socketlabd subprocess and what it logged."""

    proc: subprocess.Popen[str]
    target: str
    log: list[str] = field(default_factory=list)

    def stop(self, signo: int = signal.SIGTERM, timeout: float = STOP_SECONDS) -> int:
        """Send ``signo`` and wait (bounded) for the exit status."""
        if self.proc.poll() is None:
            self.proc.send_signal(signo)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError(f"socketlabd did not stop within {timeout}s:\n" + "".join(self.log[-30:])) from None


def start_daemon(*extra: str) -> DaemonProcess:
    """Start ``python -m server --listen 127.0.0.1:0`` and wait for its ready line."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "server", "--listen", "127.0.0.1:0", *extra],
        cwd=REPO,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    stderr = proc.stderr
    lines: list[str] = []
    ready = threading.Event()
    found: list[str] = []

    def drain() -> None:  # keeps reading so the daemon never blocks on a full pipe
        for line in stderr:
            lines.append(line)
            if not found:
                match = _READY.search(line)
                if match:
                    found.append(match.group(1))
                    ready.set()
        ready.set()  # EOF: the daemon died

    threading.Thread(target=drain, name="socketlabd-stderr", daemon=True).start()
    deadline = time.monotonic() + READY_SECONDS
    ready.wait(timeout=max(0.0, deadline - time.monotonic()))
    if not found:
        proc.kill()
        proc.wait()
        raise AssertionError("socketlabd did not report listen=HOST:PORT:\n" + "".join(lines[-30:]))
    return DaemonProcess(proc, found[0], lines)


@pytest.fixture(scope="session")
def daemon() -> Iterator[str]:
    """The address ("127.0.0.1:PORT") of a daemon shared by the whole test session."""
    if os.environ.get("SOCKETLAB_TARGET", "") not in ("", "local"):
        yield os.environ["SOCKETLAB_TARGET"]
        return
    running = start_daemon()
    try:
        yield running.target
    finally:
        status = running.stop()
    assert status == 0, f"socketlabd exited with {status!r}:\n" + "".join(running.log[-30:])


@pytest.fixture
def spawn_daemon() -> Iterator[Callable[..., DaemonProcess]]:
    """A factory of private daemons, each killed at the end of the test if still running."""
    started: list[DaemonProcess] = []

    def spawn(*extra: str) -> DaemonProcess:
        running = start_daemon(*extra)
        started.append(running)
        return running

    yield spawn
    for running in started:
        if running.proc.poll() is None:
            running.proc.kill()
            running.proc.wait()
