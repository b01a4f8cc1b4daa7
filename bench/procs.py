"""Servers the bench starts itself: a subprocess, its ready line, SIGTERM at the end.

Both servers (socketlabd and the bare echo server of :mod:`bench.echo`) log
a line containing ``listen=HOST:PORT`` on stderr once they serve, after
being started on port 0.  A thread keeps draining stderr so that a chatty
server never blocks on a full pipe; the last lines are kept for errors.
"""
from __future__ import annotations

import collections
import os
import re
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
READY_SECONDS = 30.0
STOP_SECONDS = 10.0
_READY = re.compile(r"listen=(\S+)")


class ServerError(RuntimeError):
    """A server did not start, or did not report where it listens."""


@dataclass
class Server:
    """A server subprocess and the address it reported."""

    name: str
    proc: subprocess.Popen[str]
    target: str = ""
    log: collections.deque[str] = field(default_factory=lambda: collections.deque(maxlen=40))

    def tail(self) -> str:
        """The last lines the server logged."""
        return "".join(self.log)

    def stop(self) -> int:
        """SIGTERM, then wait (bounded; SIGKILL after that) and return the exit status."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            return -signal.SIGKILL


def spawn(name: str, module: str, *args: str) -> tuple[Server, threading.Event]:
    """Start ``python -m module --listen 127.0.0.1:0 args...``; the event is set once it is ready (or gone)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH", "")) if p)
    env.setdefault("PYTHONUNBUFFERED", "1")
    proc = subprocess.Popen(
        [sys.executable, "-m", module, "--listen", "127.0.0.1:0", *args],
        cwd=REPO, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        text=True,
    )
    server = Server(name, proc)
    ready = threading.Event()

    def drain() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            server.log.append(line)
            if not server.target and (m := _READY.search(line)):
                server.target = m.group(1)
                ready.set()
        ready.set()  # stderr closed: the server is gone

    threading.Thread(target=drain, name=f"bench-{name}-stderr", daemon=True).start()
    return server, ready


def wait_ready(server: Server, ready: threading.Event) -> str:
    """The server's HOST:PORT once it is ready; :class:`ServerError` if it is not within READY_SECONDS."""
    if not ready.wait(READY_SECONDS) or not server.target:
        server.stop()
        raise ServerError(f"{server.name} did not report listen=HOST:PORT (exit {server.proc.poll()}):\n{server.tail()}")
    return server.target
