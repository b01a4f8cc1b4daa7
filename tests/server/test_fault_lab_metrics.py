"""Observability for labs and TCP (issue #7): server/metrics.py's socketlab_tcp_sockets{state} and
socketlab_link_up / socketlab_link_*_total, rendered from an in-process emulated host."""
from __future__ import annotations

import re
import socket
from typing import Any

import client
from server.metrics import Metrics


def _value(text: str, name: str, **labels: str) -> float:
    want = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    for line in text.splitlines():
        m = re.match(r"(\w+)(?:\{(.*)\})? (\S+)$", line)
        if line.startswith("#") or not m or m.group(1) != name:
            continue
        got = ",".join(sorted(m.group(2).split(","))) if m.group(2) else ""
        if got == want:
            return float(m.group(3))
    raise AssertionError(f"{name}{{{want}}} not in:\n{text[:4000]}")


def _render(net: Any, links: Any = None) -> str:
    lh = net._transport.local_host
    return lh.call_soon(lambda: Metrics(lh.host, links=links).render().decode())  # type: ignore[no-any-return]


def test_tcp_sockets_by_state() -> None:
    net = client.local()
    try:
        lst = net.socket(socket.AF_INET, socket.SOCK_STREAM)
        lst.bind(("127.0.0.1", 0))
        lst.listen(4)
        c = net.socket(socket.AF_INET, socket.SOCK_STREAM)
        c.connect(lst.getsockname())
        s, _ = lst.accept()
        text = _render(net)
        assert _value(text, "socketlab_tcp_sockets", state="LISTEN") == 1
        assert _value(text, "socketlab_tcp_sockets", state="ESTABLISHED") == 2
        assert _value(text, "socketlab_tcp_sockets", state="TIME-WAIT") == 0
        c.close()  # the active closer: FIN-WAIT-2 until the peer closes, then TIME-WAIT
        text = _render(net)
        assert _value(text, "socketlab_tcp_sockets", state="FIN-WAIT-2") == 1
        assert _value(text, "socketlab_tcp_sockets", state="CLOSE-WAIT") == 1
        s.close()
        text = _render(net)
        assert _value(text, "socketlab_tcp_sockets", state="TIME-WAIT") == 1
        assert _value(text, "socketlab_tcp_sockets", state="ESTABLISHED") == 0
        lst.close()
    finally:
        net.close()


def test_link_state_and_counters() -> None:
    rows = [{"link": "eth0", "peer": "router:eth0", "role": "dial", "state": "up",
             "stats": {"frames_in": 3, "frames_out": 5, "drops": 1, "reconnects": 2}},
            {"link": "eth1", "peer": "server:eth0", "role": "accept", "state": "down", "stats": {}}]
    net = client.local()
    try:
        text = _render(net, links=lambda: rows)
        assert _value(text, "socketlab_link_up", link="eth0", peer="router:eth0", role="dial") == 1
        assert _value(text, "socketlab_link_up", link="eth1", peer="server:eth0", role="accept") == 0
        assert _value(text, "socketlab_link_frames_out_total", link="eth0") == 5
        assert _value(text, "socketlab_link_reconnects_total", link="eth0") == 2
        rows[0]["state"] = "connecting"
        assert _value(_render(net, links=lambda: rows), "socketlab_link_up", link="eth0", peer="router:eth0",
                      role="dial") == 0

        def broken() -> list[dict[str, Any]]:
            raise RuntimeError("lab bookkeeping")

        assert "socketlab_link_up" not in _render(net, links=broken)  # the scrape itself still works
        assert "socketlab_link_up" not in _render(net)  # not a lab host: no link series
    finally:
        net.close()
