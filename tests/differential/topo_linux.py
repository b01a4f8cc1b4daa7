"""The topology of topo_spec.py in real Linux: one network namespace per host.

``LinuxLab(spec)`` creates namespaces ``slab-<pid>-<n>-<host>``, the veth
pairs, addresses, routes and sysctls with ``ip`` / ``sysctl``; ``lab.a``... are
socket-module-like objects whose ``socket(...)`` creates the socket inside
that host's namespace (setns(2) on the calling thread around the creation,
then back: a socket keeps the namespace it was made in).  ``lab.close()``
deletes the namespaces (their veths go with them).
"""

from __future__ import annotations

import contextlib
import ctypes
import itertools
import os
import select
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from typing import Any

CLONE_NEWNET = 0x40000000
_libc = ctypes.CDLL(None, use_errno=True)
_serial = itertools.count()


def linux_lab_unavailable() -> str | None:
    """Why the Linux side cannot run here, or None."""
    if os.geteuid() != 0:
        return "not root: cannot create network namespaces"
    if shutil.which("ip") is None:
        return "iproute2 (ip) is not installed"
    return None


def _setns(fd: int) -> None:
    if _libc.setns(fd, CLONE_NEWNET) != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))


@contextlib.contextmanager
def in_netns(fd: int) -> Iterator[None]:
    """Run the block with the calling thread in the namespace of fd."""
    own = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
    try:
        _setns(fd)
        try:
            yield
        finally:
            _setns(own)
    finally:
        os.close(own)


class NetnsSocketModule:
    """The stdlib socket module, with sockets created in one namespace."""

    def __init__(self, name: str, nsname: str) -> None:
        self.name = name
        self.nsname = nsname
        self._fd = os.open(f"/run/netns/{nsname}", os.O_RDONLY)

    def __getattr__(self, attr: str) -> Any:
        return getattr(socket, attr)

    def socket(self, *args: Any, **kwargs: Any) -> socket.socket:
        with in_netns(self._fd):
            return socket.socket(*args, **kwargs)

    def socketpair(self, *args: Any, **kwargs: Any) -> tuple[socket.socket, socket.socket]:
        with in_netns(self._fd):
            return socket.socketpair(*args, **kwargs)

    @staticmethod
    def select(r: list, w: list, x: list, timeout: float | None = None) -> tuple:
        return select.select(r, w, x, timeout)

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


def _run(*argv: str) -> None:
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=30)


class LinuxLab:
    """The topology in network namespaces of this machine."""

    kind = "linux"

    def __init__(self, spec: dict[str, Any]) -> None:
        stem = f"slab-{os.getpid()}-{next(_serial)}"
        self.ns = {host: f"{stem}-{host}" for host in spec["hosts"]}
        self.created: list[str] = []
        self.nets: dict[str, NetnsSocketModule] = {}
        try:
            self._build(spec)
        except BaseException:
            self.close()
            raise

    def _build(self, spec: dict[str, Any]) -> None:
        for ns in self.ns.values():
            _run("ip", "netns", "add", ns)
            self.created.append(ns)
            _run("ip", "-n", ns, "link", "set", "lo", "up")
        for veth in spec["veths"]:
            (ha, da), (hb, db) = veth["ends"]
            _run("ip", "-n", self.ns[ha], "link", "add", da, "mtu", str(veth["mtu"]), "type", "veth",
                 "peer", "name", db, "mtu", str(veth["mtu"]), "netns", self.ns[hb])
        for veth in spec["veths"]:
            for host, dev in veth["ends"]:
                _run("ip", "-n", self.ns[host], "link", "set", dev, "up")
        self._wait_links_active(spec)
        for host, conf in spec["hosts"].items():
            ns = self.ns[host]
            for name, value in (conf.get("sysctls") or {}).items():
                _run("ip", "netns", "exec", ns, "sysctl", "-q", "-w", f"{name}={value}")
            for item in conf.get("addresses") or []:
                _run("ip", "-n", ns, "addr", "add", item["address"], "brd", "+", "dev", item["dev"])
            for route in conf.get("routes") or []:
                argv = ["ip", "-n", ns, "route", "add", route.get("dst", "default")]
                if route.get("via"):
                    argv += ["via", route["via"]]
                if route.get("dev"):
                    argv += ["dev", route["dev"]]
                if route.get("metric"):
                    argv += ["metric", str(route["metric"])]
                _run(*argv)
        for host, ns in self.ns.items():
            self.nets[host] = NetnsSocketModule(host, ns)

    def _wait_links_active(self, spec: dict[str, Any]) -> None:
        """Until linkwatch has given every veth its qdisc (a noop qdisc drops
        what is sent: the first ARP request would be lost)."""
        deadline = time.monotonic() + 3.0
        pending = {self.ns[host] for veth in spec["veths"] for host, _dev in veth["ends"]}
        while pending and time.monotonic() < deadline:
            for ns in sorted(pending):
                out = subprocess.run(["ip", "-n", ns, "-o", "link", "show", "type", "veth"], capture_output=True,
                                     text=True, timeout=30, check=True).stdout
                if "qdisc noop" not in out and "state UP" in out:
                    pending.discard(ns)
            if pending:
                time.sleep(0.01)

    def __getattr__(self, host: str) -> NetnsSocketModule:
        nets = self.__dict__.get("nets", {})
        if host in nets:
            return nets[host]
        raise AttributeError(host)

    @staticmethod
    def select(r: list, w: list, x: list, timeout: float | None = None) -> tuple:
        return select.select(r, w, x, timeout)

    def close(self) -> None:
        for net in self.nets.values():
            net.close()
        self.nets = {}
        while self.created:
            ns = self.created.pop()
            subprocess.run(["ip", "netns", "del", ns], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           timeout=30, check=False)
