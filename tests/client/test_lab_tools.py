"""client/lab.py's ping, traceroute and nc on an in-process client -- router -- server chain
(three LocalHosts on one loop joined by veth pairs; real time, short timeouts)."""
from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from typing import Any

import pytest

import client
from client import lab as labtools
from client._local import LocalHost
from kernel.drivers.net.veth import veth_pair
from server.hostconfig import configure_host


@pytest.fixture(scope="module")
def chain() -> Iterator[tuple[Any, Any, Any]]:
    c = LocalHost(name="client")
    r = LocalHost(name="router", share_loop_with=c)
    s = LocalHost(name="server", share_loop_with=c)

    def build() -> None:
        veth_pair(c.host.netns, "eth0", r.host.netns, "eth0")
        veth_pair(r.host.netns, "eth1", s.host.netns, "eth0")
        configure_host(c.host, {"addresses": [{"dev": "eth0", "address": "10.0.1.2/24"}],
                                "routes": [{"dst": "default", "via": "10.0.1.1"}]})
        configure_host(r.host, {"sysctls": {"net.ipv4.ip_forward": 1},
                                "addresses": [{"dev": "eth0", "address": "10.0.1.1/24"},
                                              {"dev": "eth1", "address": "10.0.2.1/24"}]})
        configure_host(s.host, {"addresses": [{"dev": "eth0", "address": "10.0.2.2/24"}],
                                "routes": [{"dst": "default", "via": "10.0.2.1"}]})

    c.call_soon(build)
    nets = client.local(host=c), client.local(host=r), client.local(host=s)
    yield nets
    for n in nets:
        n.close()


def test_ping_across_the_router(chain: Any) -> None:
    out = io.StringIO()
    got, rtts = labtools.ping(chain[0], "10.0.2.2", out, count=3, interval=0.0, timeout=2.0)
    assert got == 3 and len(rtts) == 3, out.getvalue()
    text = out.getvalue()
    assert "64 bytes from 10.0.2.2: icmp_seq=1 ttl=63" in text
    assert "3 packets transmitted, 3 received, 0% packet loss" in text


def test_traceroute_lists_the_router_then_the_server(chain: Any) -> None:
    out = io.StringIO()
    hops = labtools.traceroute(chain[0], "10.0.2.2", out, max_hops=5, timeout=2.0)
    assert hops == ["10.0.1.1", "10.0.2.2"], out.getvalue()
    assert out.getvalue().splitlines()[1].startswith(" 1  10.0.1.1 (10.0.1.1)")


def test_nc_udp_exchange(chain: Any) -> None:
    got: dict[str, Any] = {}

    def server() -> None:
        got["data"], got["peer"] = labtools.nc_listen(chain[2], 7777, udp=True, reply=lambda d: d.upper(),
                                                      timeout=5.0)

    t = threading.Thread(target=server)
    t.start()
    answer = b""
    for _ in range(20):  # until the listener is bound
        try:
            answer = labtools.nc_connect(chain[0], "10.0.2.2", 7777, b"hello", udp=True, timeout=0.25)
        except ConnectionRefusedError:  # not bound yet: C's port unreachable, reported on the connected socket
            continue
        if answer:
            break
    t.join(5)
    assert answer == b"HELLO"
    assert got["data"] == b"hello" and got["peer"][0] == "10.0.1.2"
