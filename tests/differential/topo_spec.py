"""The multi-host topology of the topology scenarios, as plain data.

Per host, the keys of ``server/hostconfig.py``'s spec (sysctls, addresses,
routes; ``links`` stays empty: the NICs are the veth pairs of ``VETHS``)::

    a.eth0 10.1.0.1/24  <-veth->  r.eth0 10.1.0.254/24
                                  r.eth1 10.2.0.254/24  <-veth->  b.eth0 10.2.0.2/24

a and b route by default via r; r forwards (net.ipv4.ip_forward = 1) and has
no default route.  ``lo`` is up everywhere.  10.1.0.99 (host "c") is an
address on a's subnet that nobody holds (ARP goes unanswered).

Variants: ``base``; ``pmtu``, where the r--b link has MTU 1400 at both ends.
"""

from __future__ import annotations

import copy
from typing import Any

HOSTS = ("a", "r", "b")

BASE: dict[str, Any] = {
    "hosts": {
        "a": {
            "sysctls": {"net.ipv4.ip_forward": 0},  # not inherited from the machine's namespace
            "addresses": [{"dev": "eth0", "address": "10.1.0.1/24"}],
            "routes": [{"dst": "default", "via": "10.1.0.254"}],
        },
        "r": {
            "sysctls": {"net.ipv4.ip_forward": 1},
            "addresses": [
                {"dev": "eth0", "address": "10.1.0.254/24"},
                {"dev": "eth1", "address": "10.2.0.254/24"},
            ],
        },
        "b": {
            "sysctls": {"net.ipv4.ip_forward": 0},  # not inherited from the machine's namespace
            "addresses": [{"dev": "eth0", "address": "10.2.0.2/24"}],
            "routes": [{"dst": "default", "via": "10.2.0.254"}],
        },
    },
    # (host, dev) <-> (host, dev): in this order (the ifindexes follow it)
    "veths": [
        {"ends": [["a", "eth0"], ["r", "eth0"]], "mtu": 1500},
        {"ends": [["r", "eth1"], ["b", "eth0"]], "mtu": 1500},
    ],
}


def topology(variant: str = "base") -> dict[str, Any]:
    """The spec of a variant (a fresh copy)."""
    spec = copy.deepcopy(BASE)
    if variant == "base":
        return spec
    if variant == "pmtu":
        spec["veths"][1]["mtu"] = 1400
        return spec
    raise ValueError(f"no topology variant {variant!r}")
