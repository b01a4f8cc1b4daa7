"""The Prometheus endpoint (issue #7): RPC counts, syscalls by result, sockets, NICs."""
from __future__ import annotations

import re
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

import pytest

import client


def _scrape(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as reply:
        assert reply.status == 200
        assert reply.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        return reply.read().decode()


def _value(text: str, name: str, **labels: str) -> float:
    want = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        m = re.match(r"(\w+)(?:\{(.*)\})? (\S+)$", line)
        if m and m.group(1) == name:
            got = ",".join(sorted((m.group(2) or "").split(","))) if m.group(2) else ""
            if got == want:
                return float(m.group(3))
    raise AssertionError(f"{name}{{{want}}} not in metrics:\n{text[:3000]}")


def test_metrics_endpoint(spawn_daemon: Callable[..., Any]) -> None:
    d = spawn_daemon("--metrics", "127.0.0.1:0")
    url = next(re.search(r"metrics=(http://\S+)", line).group(1)  # type: ignore[union-attr]
               for line in d.log if "metrics=http" in line)
    net = client.connect(d.target)
    try:
        a, b = net.socketpair()
        a.send(b"x")
        b.recv(1)
        try:
            b.recv(1, net.MSG_DONTWAIT)
        except BlockingIOError:
            pass
        text = _scrape(url)
        assert _value(text, "socketlab_processes") == 1
        assert _value(text, "socketlab_sockets", family="unix", type="stream", state="connected") == 2
        assert _value(text, "socketlab_syscalls_total", op="socketpair", result="ok") >= 1
        assert _value(text, "socketlab_syscalls_total", op="recv", result="EAGAIN") >= 1
        assert _value(text, "socketlab_nic_up", nic="lo") == 1
        assert _value(text, "socketlab_nic_running", nic="lo") == 1
        assert "socketlab_uptime_seconds" in text
    finally:
        net.close()
    deadline = time.monotonic() + 10
    while True:  # the session's end is recorded when the daemon sees the stream close
        text = _scrape(url)
        if "socketlab_rpc_total{" in text and "Process/Session" in text or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert _value(text, "socketlab_rpc_total", method="/socketlab.v1.Process/Session", code="OK") == 1
    assert _value(text, "socketlab_processes") == 0
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(url.replace("/metrics", "/nope"), timeout=10)
    assert info.value.code == 404
