"""Fallback daemon for the differential suite.

tests/conftest.py (the server's) provides the session fixture ``daemon``
yielding "HOST:PORT".  test_differential.py asks for it first and only falls
back to ``differential_daemon`` below when no such fixture exists.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from typing import Iterator

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
READY_SECONDS = 30


@pytest.fixture(scope="session")
def differential_daemon() -> Iterator[str]:
    if os.environ.get("SOCKETLAB_TARGET"):  # an already running daemon
        yield os.environ["SOCKETLAB_TARGET"]
        return
    proc = subprocess.Popen(
        [sys.executable, "-m", "server", "--listen", "127.0.0.1:0"],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    target = None
    seen: list[str] = []
    deadline = time.monotonic() + READY_SECONDS
    assert proc.stderr is not None
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        if not line:
            break
        seen.append(line)
        match = re.search(r"listen=(\S+)", line)
        if match:
            target = match.group(1)
            break
    if target is None:
        proc.kill()
        proc.wait()
        pytest.fail("daemon did not report listen=HOST:PORT:\n" + "".join(seen[-20:]))
    # keep draining stderr so the daemon never blocks on a full pipe
    import threading

    threading.Thread(target=proc.stderr.read, daemon=True).start()
    try:
        yield target
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
