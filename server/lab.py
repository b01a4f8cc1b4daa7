"""One host of a lab: the daemon side of ``socketlabd --topology lab.yml --host NAME``.

``build_lab_host(topo, name)`` makes the kernel host the topology describes,
in the order ``ip`` would: sysctls and dummy NICs (server.hostconfig's
``configure_host``), one peer link NIC per ``kind: link`` NIC
(kernel.drivers.net.peerlink: carrier down until its link is up), the
bridges this host runs (kernel.drivers.net.bridge: one peer link port per
remote member, named ``BRIDGE-HOST-NIC``), TAP NICs, then addresses and
routes, then each link's netem impairment on the egress of the NIC it names
(seeded from the lab's ``seed`` and the host name, so a run is reproducible).

Authentication: a peer daemon with tokens accepts a link only from a dialer
presenting its ``link_token`` (``token_store`` maps it to the principal
``lab-link``; the Link service also accepts a CAP_NET_ADMIN principal), so
each dialer sends the token of the host it dials; with the lab's ``tls``
paths every daemon serves TLS on its API/Link port (mutual TLS when the block
names a CA) and the dialers present the same certificate
(server/__main__.py: ``apply_topology_tls``, ``_link_credentials``).

``LabHost.start()`` starts a ``LinkDialer`` (server/link_service.py) for each
link whose first endpoint is this host (the rule: the first-listed endpoint's
daemon dials the second's); links whose second endpoint is here are accepted
by the ``Link`` service the daemon registers (server/app.py).
``link_status()`` is what the Host service's ListLabLinks reports.
"""
from __future__ import annotations

import hashlib
import logging
import random
from dataclasses import dataclass, field
from typing import Any

from kernel.host import Host
from kernel.net.core.dev import dev_get_by_name
from server.hostconfig import HostConfigError, configure_host
from server.topology import HostSpec, LinkSpec, Topology

log = logging.getLogger("socketlabd")


def _seed(topo: Topology, name: str) -> int | None:
    if topo.seed is None:
        return None
    return int.from_bytes(hashlib.sha256(f"{topo.seed}/{topo.name}/{name}".encode()).digest()[:8], "big")


@dataclass
class LabHost:
    """A built lab host: the kernel host, its links and (once started) their dialers."""

    topo: Topology
    spec: HostSpec
    host: Host
    dial_targets: dict[str, str] = field(default_factory=dict)  # local NIC -> peer daemon HOST:PORT
    dialers: dict[str, Any] = field(default_factory=dict)  # local NIC -> LinkDialer
    channel_credentials: Any = None
    taps: list[Any] = field(default_factory=list)  # server.tap_io.TapIO of each tap NIC

    @property
    def name(self) -> str:
        return self.topo.name

    def dialed(self) -> list[LinkSpec]:
        return self.topo.dialed_by(self.spec.name)

    def accepted(self) -> list[LinkSpec]:
        return [lk for lk in self.topo.links if lk.b.host == self.spec.name]

    def start(self) -> None:
        """Start one LinkDialer per link this host dials (needs a running loop)."""
        if not self.dialed():
            return
        from server.link_service import LinkDialer

        for lk in self.dialed():
            target = self.dial_targets[lk.a.nic]
            dialer = LinkDialer(self.host, lk.a.nic, target, lk.b.host, lk.b.nic, self.topo.name,
                                channel_credentials=self.channel_credentials,
                                token=self.topo.hosts[lk.b.host].link_token)
            dialer.start()
            self.dialers[lk.a.nic] = dialer
            log.info("socketlabd link %s -> %s at %s: dialing", lk.a, lk.b, target)

    async def stop(self) -> None:
        for dialer in self.dialers.values():
            await dialer.stop()
        self.dialers.clear()
        for tap in self.taps:
            tap.close()
        self.taps.clear()

    def link_status(self) -> list[dict[str, Any]]:
        """One dict per link with an end here: link, peer, role, state, target, stats."""
        out: list[dict[str, Any]] = []
        for lk in self.dialed():
            dialer = self.dialers.get(lk.a.nic)
            stats = getattr(dialer, "stats", None) or {}
            if not isinstance(stats, dict):
                stats = {k: v for k, v in vars(stats).items() if isinstance(v, int)}
            out.append({"link": lk.a.nic, "peer": str(lk.b), "role": "dial",
                        "state": getattr(dialer, "state", "down") if dialer is not None else "down",
                        "target": self.dial_targets.get(lk.a.nic, ""), "stats": stats})
        for lk in self.accepted():
            dev = dev_get_by_name(self.host.netns, lk.b.nic)
            out.append({"link": lk.b.nic, "peer": str(lk.a), "role": "accept",
                        "state": "up" if dev is not None and dev.carrier else "down", "stats": {}})
        return out


def build_lab_host(topo: Topology, name: str, *, peers_by_name: bool = False, host: Host | None = None) -> LabHost:
    """The kernel host of ``name`` (HostConfigError when a step fails, KeyError for an unknown host).

    ``peers_by_name``: dial each peer daemon at PEERNAME:PORT (docker-compose's service names)
    instead of the file's API address.
    """
    spec = topo.hosts[name]
    seed = _seed(topo, name)
    host = host or Host(name=name, rng=random.Random(seed) if seed is not None else None)
    configure_host(host, spec.hostconfig())
    net = host.netns
    taps: list[Any] = []
    for nic in spec.nics:
        if nic.kind == "link":
            _peerlink(host, nic.name, nic.mtu, nic.mac, _peer_of(topo, name, nic.name))
        elif nic.kind == "tap":
            from kernel.drivers.net.tap import tap_newlink
            from kernel.net.wire.ethernet import mac_aton

            res = tap_newlink(host, nic.name, mtu=nic.mtu, mac=mac_aton(nic.mac) if nic.mac else None)
            if isinstance(res, int):
                raise HostConfigError(f"tap {nic.name}: errno {-res}")
            _up(res)
            from server.tap_io import attach_tap

            try:  # on the daemon's running loop: build_lab_host runs inside serve()
                taps.append(attach_tap(res, nic.ifname or nic.name, netns=nic.netns))
            except (OSError, ValueError) as exc:
                for tap in taps:
                    tap.close()
                raise HostConfigError(f"tap {nic.name} -> Linux {nic.ifname}: {exc}") from None
    for br in topo.bridges_on(name):
        from kernel.drivers.net.bridge import br_add_if, bridge_newlink

        bdev = bridge_newlink(host, br.name)
        if isinstance(bdev, int):
            raise HostConfigError(f"bridge {br.name}: errno {-bdev}")
        for member in br.members:
            mtu = topo.hosts[member.host].nic(member.nic).mtu  # type: ignore[union-attr]
            port = _peerlink(host, br.port_name(member), mtu, None, (member.host, member.nic))
            rc = br_add_if(bdev, port)
            if rc < 0:
                raise HostConfigError(f"bridge {br.name}: adding {port.name}: errno {-rc}")
        _up(bdev)
    configure_host(host, {"addresses": spec.addresses, "routes": spec.routes})
    for lk in topo.links_of(name):
        for end in (lk.a, lk.b):
            params = lk.impairments.get(str(end))
            if end.host == name and params is not None:
                from server.host_service import set_netem

                dev = dev_get_by_name(net, end.nic)
                if dev is not None:
                    set_netem(host, dev, params.split() if isinstance(params, str) else params)
    lab = LabHost(topo, spec, host, taps=taps)
    for lk in lab.dialed():
        peer = topo.hosts[lk.b.host]
        lab.dial_targets[lk.a.nic] = f"{peer.name if peers_by_name else peer.api_address}:{peer.api_port}"
    return lab


def _peer_of(topo: Topology, host: str, nic: str) -> tuple[str, str] | None:
    for lk in topo.links_of(host):
        if (lk.a.host, lk.a.nic) == (host, nic):
            return lk.b.host, lk.b.nic
        if (lk.b.host, lk.b.nic) == (host, nic):
            return lk.a.host, lk.a.nic
    return None


def _up(dev: Any) -> None:
    from kernel.net.core.dev import IFF_UP, dev_open

    if not dev.flags & IFF_UP:
        dev_open(dev)


def _peerlink(host: Host, name: str, mtu: int, mac: str | None, peer: tuple[str, str] | None = None) -> Any:
    from kernel.drivers.net.peerlink import peerlink_newlink
    from kernel.net.wire.ethernet import mac_aton

    try:
        dev = peerlink_newlink(host, name, mtu=mtu, mac=mac_aton(mac) if mac else None, peer=peer)
    except OSError as exc:
        raise HostConfigError(f"link {name}: {exc.strerror or exc}") from None
    _up(dev)
    return dev


LINK_PRINCIPAL = "lab-link"  # who a link_token stands for: may connect links, nothing more


def token_store(spec: HostSpec, extra: Any = None) -> Any:
    """The host's tokens (and its ``link_token``, as the principal ``lab-link``: uid 65534, no
    capabilities) as a server.security.TokenStore; None when the file grants none.  ``extra``: a
    TokenStore loaded from --token-file whose entries come first."""
    from server.security import ALL_CAPS, Principal, TokenStore

    entries = list(getattr(extra, "_entries", []))
    if spec.link_token:
        entries.append((spec.link_token.encode(), Principal(LINK_PRINCIPAL, 65534, 65534, frozenset())))
    if not spec.tokens and not entries:
        return None
    for t in spec.tokens:
        caps = frozenset(t.caps) if t.caps is not None else (frozenset(ALL_CAPS) if t.uid == 0 else frozenset())
        entries.append((t.token.encode(), Principal(t.name, t.uid, t.gid, caps)))
    return TokenStore(entries)
