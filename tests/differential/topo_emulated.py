"""The topology of topo_spec.py in the emulated kernel: several kernel Hosts in
this process, on one event loop (a RealClock), joined by veth pairs.

``EmulatedLab(spec)``: one ``client._local.LocalHost`` per host (the first
owns the loop thread, the others share it), the veth pairs of the spec
(kernel/drivers/net/veth.py), then ``server.hostconfig.configure_host`` for
sysctls, addresses and routes.  ``lab.a``... are ``client.local(host=...)``
Nets (one process per host); ``lab.close()`` ends them, which stops the loop.
"""

from __future__ import annotations

import random
from typing import Any

import client
from client._local import LocalHost


def _build(hosts: dict[str, Any], spec: dict[str, Any]) -> None:
    """On the loop: veth pairs, then each host's spec."""
    from kernel.drivers.net.veth import veth_pair
    from server.hostconfig import configure_host

    for veth in spec["veths"]:
        (ha, da), (hb, db) = veth["ends"]
        veth_pair(hosts[ha].netns, da, hosts[hb].netns, db, mtu=int(veth["mtu"]))
    for name, conf in spec["hosts"].items():
        configure_host(hosts[name], {k: v for k, v in conf.items() if k != "links"})


class EmulatedLab:
    """The topology on emulated hosts sharing one loop."""

    kind = "emulated"

    def __init__(self, spec: dict[str, Any]) -> None:
        self.locals: dict[str, LocalHost] = {}
        self.nets: dict[str, Any] = {}
        owner: LocalHost | None = None
        try:
            for name in spec["hosts"]:
                lh = LocalHost(share_loop_with=owner, name=name, rng=random.Random(f"topo-{name}"))
                owner = owner or lh
                self.locals[name] = lh
            hosts = {name: lh.host for name, lh in self.locals.items()}
            assert owner is not None
            owner.call_soon(lambda: _build(hosts, spec))
            for name, lh in self.locals.items():
                self.nets[name] = client.local(host=lh)
        except BaseException:
            if self.nets:
                self.close()
            elif owner is not None:
                owner.stop()
            raise

    def __getattr__(self, host: str) -> Any:
        nets = self.__dict__.get("nets", {})
        if host in nets:
            return nets[host]
        raise AttributeError(host)

    @staticmethod
    def select(r: list, w: list, x: list, timeout: float | None = None) -> tuple:
        """select.select over sockets of one host (the process that made them)."""
        nets = {id(s._net): s._net for s in [*r, *w, *x]}
        if len(nets) != 1:
            raise ValueError("lab.select: give the sockets of exactly one host")
        (net,) = nets.values()
        return net.select(r, w, x, timeout)

    def close(self) -> None:
        nets, self.nets = self.nets, {}
        for net in nets.values():
            try:
                net.close()
            except Exception:
                pass
