"""Run ../shared/conformance/runner.py against a fresh daemon; gate on what has landed.

Gated (must match Linux): AF_UNIX, UDP, raw, TCP (issue 4: names tcp_*, and
getpeername_unconnected and inet_socketpair_unsupported, which need a
SOCK_STREAM socket) and socket-creation/option scenarios, and the fd-level
ones.
Prints the runner's output and a closing 'N passed, N failed' of the gate.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
SHARED = os.path.join(os.path.dirname(REPO), "shared", "conformance")
GATED = re.compile(r"unix|udp|raw|tcp|^socket_|^sockopt_|^closed_fd|^getpeername_unconnected|^inet_socketpair")


def main() -> int:
    runner = os.path.join(SHARED, "runner.py")
    if not os.path.exists(runner):
        print(f"no {runner}: skipped")
        return 0
    daemon = subprocess.Popen(
        [sys.executable, "-m", "server", "--listen", "127.0.0.1:0"],
        cwd=REPO, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
    )
    assert daemon.stderr is not None
    target = None
    for line in daemon.stderr:
        m = re.search(r"listen=(\S+)", line)
        if m:
            target = m.group(1)
            break
    if target is None:
        print("daemon did not start")
        return 1
    try:
        env = dict(os.environ, PYTHONPATH=REPO)
        out = subprocess.run(
            [sys.executable, runner, os.path.join(SHARED, "scenarios_public.py"), "--target", target],
            cwd=SHARED, env=env, capture_output=True, text=True, timeout=600,
        ).stdout
    finally:
        daemon.terminate()
        daemon.wait(timeout=15)
    for line in out.splitlines():  # indented: the runner's own tally is not this gate's verdict
        print(f"  | {line}")
    ok = bad = 0
    for line in out.splitlines():
        m = re.match(r"(ok  |DIFF) (\S+)", line)
        if m and GATED.search(m.group(2)):
            if m.group(1) == "ok  ":
                ok += 1
            else:
                bad += 1
    print(f"gate (AF_UNIX, UDP, raw, TCP, creation scenarios): {ok} passed, {bad} failed")
    return 0 if bad == 0 and ok > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
