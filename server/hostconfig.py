"""A host's network configuration from a plain dict, and the daemon's embedded default.

``configure_host(host, spec)`` applies, in order, what ``ip``/``sysctl``
would (each step returns Linux's errno on failure, raised here as
:class:`HostConfigError` naming the step):

.. code-block:: yaml

    sysctls: {net.ipv4.ip_forward: 1}
    links:                      # NICs besides lo (kind: dummy; veth pairs and
      - {name: eth0, kind: dummy, mtu: 1500, mac: "02:00:00:00:00:01"}   # peer links are the lab's)
    addresses:
      - {dev: eth0, address: 10.0.0.1/24}
    routes:
      - {dst: default, via: 10.0.0.254}
      - {dst: 192.168.0.0/16, via: 10.0.0.253, metric: 10}

``DEFAULT_SPEC`` is what ``socketlabd`` serves without ``--topology``: ``lo``
(127.0.0.1/8, which every namespace gets) and ``eth0`` (an Ethernet NIC with
10.0.0.1/24 and no peer: frames to its subnet go out and ARP goes unanswered,
as on an unplugged-but-up NIC).  The topology file of a lab uses the same
keys per host.
"""
from __future__ import annotations

from typing import Any

from kernel.drivers.net.dummy import dummy_newlink
from kernel.host import Host
from kernel.net.core.dev import dev_get_by_name
from kernel.net.ipv4.devinet import inet_insert_ifa
from kernel.net.ipv4.fib import fib_add_route
from kernel.net.wire.ethernet import mac_aton
from kernel.net.wire.ipv4 import ip_aton
from kernel.uapi import errno_name

DEFAULT_SPEC: dict[str, Any] = {
    "links": [{"name": "eth0", "kind": "dummy"}],
    "addresses": [{"dev": "eth0", "address": "10.0.0.1/24"}],
}


class HostConfigError(ValueError):
    """A configuration step failed (bad value, or the kernel refused it)."""


def _prefix(text: str) -> tuple[int, int]:
    if text == "default":
        return 0, 0
    addr, _, plen = str(text).partition("/")
    try:
        return ip_aton(addr), int(plen) if plen else 32
    except ValueError:
        raise HostConfigError(f"bad address {text!r}") from None


def _check(rc: int, what: str) -> None:
    if rc < 0:
        raise HostConfigError(f"{what}: {errno_name(-rc)}")


def configure_host(host: Host, spec: dict[str, Any]) -> Host:
    """Apply ``spec`` (see the module docstring) to ``host``; returns it."""
    net = host.netns
    for name, value in (spec.get("sysctls") or {}).items():
        if name not in host.sysctl:
            raise HostConfigError(f"sysctl {name}: no such key")
        host.sysctl[name] = value
    for link in spec.get("links") or []:
        kind = link.get("kind", "dummy")
        if kind != "dummy":
            raise HostConfigError(f"link {link.get('name')!r}: kind {kind!r} is made by the lab (links between hosts)")
        mac = mac_aton(link["mac"]) if link.get("mac") else None
        res = dummy_newlink(net, link["name"], mtu=int(link.get("mtu", 1500)), up=bool(link.get("up", True)),
                            arp=True, addr=mac)
        if isinstance(res, int):
            _check(res, f"link {link['name']}")
    for item in spec.get("addresses") or []:
        dev = dev_get_by_name(net, item["dev"])
        if dev is None:
            raise HostConfigError(f"address {item['address']}: no device {item['dev']!r}")
        addr, plen = _prefix(item["address"])
        _check(inet_insert_ifa(net, dev, addr, plen, broadcast=-1), f"address {item['address']} dev {item['dev']}")
    for route in spec.get("routes") or []:
        dst, plen = _prefix(route.get("dst", "default"))
        gw = ip_aton(route["via"]) if route.get("via") else 0
        dev = dev_get_by_name(net, route["dev"]) if route.get("dev") else None
        if route.get("dev") and dev is None:
            raise HostConfigError(f"route {route.get('dst')}: no device {route['dev']!r}")
        _check(fib_add_route(net, dst, plen, gw, dev, int(route.get("metric", 0))), f"route {route.get('dst', 'default')}")
    return host


def default_host(name: str = "default", **kwargs: Any) -> Host:
    """The embedded default host: lo and eth0 (10.0.0.1/24)."""
    return configure_host(Host(name=name, **kwargs), DEFAULT_SPEC)
