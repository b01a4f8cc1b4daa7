"""A lab's topology file: YAML parsed with PyYAML and validated before anything starts.

The file (in the spirit of containerlab) names the lab, its hosts and the
links between their NICs::

    name: lab3                      # the lab (checked in every link hello)
    seed: 1                         # optional: netem's random numbers (reproducible runs)
    tls: {ca: ca.pem, cert: c.pem, key: k.pem}   # optional: every daemon serves TLS (mTLS with ca:);
                                                 # links, lab up/status use the same files
    hosts:
      router:
        api: {address: 127.0.0.1, port: 50062}   # the daemon's gRPC address (default 127.0.0.1:50051)
        nics:                                     # kind: link (default: a peer link to another
          - {name: eth0, mtu: 1500, mac: "02:00:00:00:01:01"}   # daemon), dummy, tap (+ ifname, netns)
          - {name: eth1}
        sysctls: {net.ipv4.ip_forward: 1}
        addresses: [{dev: eth0, address: 10.0.1.1/24}, {dev: eth1, address: 10.0.2.1/24}]
        routes: [{dst: 10.9.0.0/16, via: 10.0.2.2, metric: 10}]
        tokens:                                   # optional: bearer tokens and what their processes get
          - {token: 0123456789abcdef0123, name: alice, uid: 1000, caps: [CAP_NET_RAW]}
        link_token: fedcba9876543210fedc          # with tokens: what peers dialing a link here present
    links:
      - endpoints: [client:eth0, router:eth0]     # the first endpoint's daemon dials the second's
        impairments:                              # per direction: the egress of the NIC named
          client:eth0: delay 20ms loss 1%         # tc-netem syntax, or the mapping netem_params_to_dict gives
      - bridge: {name: sw0, host: router}         # a learning bridge on one host
        members: [a:eth1, b:eth1]                 # each member NIC gets a port sw0-<host>-<nic> on it

``load_topology(path)`` / ``parse_topology(text, filename)`` return a
:class:`Topology` or raise :class:`TopologyError` holding every problem
found, each as ``FILE:LINE: FIELD: message`` (FIELD a dotted path such as
``hosts.router.nics[1].mtu``).  Nothing here starts anything: the daemon
(server/lab.py's ``build_lab_host``) and ``socketlab lab up`` (client/lab.py)
use the validated model.
"""
from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from kernel import uapi

IFNAMSIZ = 16  # include/uapi/linux/if.h: names hold at most 15 characters
NIC_KINDS = ("link", "dummy", "tap")
DEFAULT_API_ADDRESS = "127.0.0.1"
DEFAULT_API_PORT = 50051
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_MAC_RE = re.compile(r"^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}$")
CAP_NAMES = {n: v for n, v in vars(uapi).items() if n.startswith("CAP_") and isinstance(v, int)}

Path_ = tuple[str | int, ...]


class TopologyError(ValueError):
    """The topology file is not valid: ``problems`` lists every ``FILE:LINE: FIELD: message``."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class NicSpec:
    name: str
    kind: str = "link"
    mtu: int = 1500
    mac: str | None = None
    ifname: str | None = None  # kind tap: the Linux TAP device
    netns: str | None = None  # kind tap: the named network namespace (/run/netns/NAME) the TAP is made in


@dataclass(frozen=True)
class TokenSpec:
    token: str
    name: str
    uid: int = 0
    gid: int = 0
    caps: tuple[int, ...] | None = None  # None: all for uid 0, none otherwise (as a token file)


@dataclass
class HostSpec:
    name: str
    api_address: str = DEFAULT_API_ADDRESS
    api_port: int = DEFAULT_API_PORT
    nics: list[NicSpec] = field(default_factory=list)
    addresses: list[dict[str, Any]] = field(default_factory=list)
    routes: list[dict[str, Any]] = field(default_factory=list)
    sysctls: dict[str, Any] = field(default_factory=dict)
    tokens: list[TokenSpec] = field(default_factory=list)
    link_token: str | None = None  # the bearer token this host's link peers dial with
    line: int = 0

    @property
    def api(self) -> str:
        """HOST:PORT of the daemon's gRPC API."""
        return f"{self.api_address}:{self.api_port}"

    def nic(self, name: str) -> NicSpec | None:
        return next((n for n in self.nics if n.name == name), None)

    def hostconfig(self) -> dict[str, Any]:
        """The server.hostconfig spec for what configure_host applies (dummy NICs, sysctls; no
        addresses or routes: those wait until the lab's NICs exist)."""
        links = [{"name": n.name, "kind": "dummy", "mtu": n.mtu, **({"mac": n.mac} if n.mac else {})}
                 for n in self.nics if n.kind == "dummy"]
        return {"sysctls": dict(self.sysctls), "links": links}


@dataclass(frozen=True)
class Endpoint:
    host: str
    nic: str

    def __str__(self) -> str:
        return f"{self.host}:{self.nic}"


@dataclass
class LinkSpec:
    """A point-to-point link; ``a``'s daemon dials ``b``'s.  ``impairments``: endpoint text -> netem tokens
    or dict (the egress of that NIC)."""

    a: Endpoint
    b: Endpoint
    impairments: dict[str, Any] = field(default_factory=dict)
    bridge: str | None = None  # set for a bridge member's link: b is the bridge host's port
    line: int = 0


@dataclass
class BridgeSpec:
    name: str
    host: str
    members: list[Endpoint] = field(default_factory=list)
    line: int = 0

    def port_name(self, member: Endpoint) -> str:
        return f"{self.name}-{member.host}-{member.nic}"


@dataclass
class TlsSpec:
    """The lab's TLS files: every daemon serves its API/Link port with ``cert``/``key`` and, when
    ``ca`` is given, requires a client certificate signed by it (mutual TLS); dialers and ``lab up``
    present the same pair and verify the daemons against ``ca`` (None: the system roots).  Relative
    paths are resolved against the topology file's directory by ``load_topology``."""

    ca: str | None
    cert: str
    key: str


@dataclass
class Topology:
    name: str
    hosts: dict[str, HostSpec]
    links: list[LinkSpec]
    bridges: list[BridgeSpec]
    tls: TlsSpec | None = None
    seed: int | None = None
    path: str = "<string>"

    def links_of(self, host: str) -> list[LinkSpec]:
        """Every link with an end on ``host`` (bridge member links included)."""
        return [lk for lk in self.links if host in (lk.a.host, lk.b.host)]

    def dialed_by(self, host: str) -> list[LinkSpec]:
        return [lk for lk in self.links if lk.a.host == host]

    def bridges_on(self, host: str) -> list[BridgeSpec]:
        return [b for b in self.bridges if b.host == host]


# --- YAML with line numbers -------------------------------------------------------------

MAX_DEPTH = 64  # nesting a topology never needs; deeper is refused before anything recurses on it


class _Refused(Exception):
    """A structural problem found while walking the node graph: (line, path, message)."""

    def __init__(self, line: int, path: Path_, message: str) -> None:
        super().__init__(message)
        self.line, self.path, self.message = line, path, message


def _marks(node: yaml.Node, path: Path_, out: dict[Path_, int], active: set[int] | None = None) -> None:
    """Record each field's line.  An alias (a node reached twice) is walked once per path but never
    into itself (a recursive alias is refused), and nesting deeper than MAX_DEPTH is refused: both
    would otherwise recurse without bound or expand exponentially (an alias bomb)."""
    active = set() if active is None else active
    out[path] = node.start_mark.line + 1
    if len(path) > MAX_DEPTH:
        raise _Refused(node.start_mark.line + 1, path, f"nested deeper than {MAX_DEPTH} levels")
    if id(node) in active:
        raise _Refused(node.start_mark.line + 1, path, "a recursive alias (the node contains itself)")
    if not isinstance(node, (yaml.MappingNode, yaml.SequenceNode)):
        return
    if len(out) > 100_000:
        raise _Refused(node.start_mark.line + 1, path, "more than 100000 fields (an alias bomb?)")
    active.add(id(node))
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            k = key.value if isinstance(key, yaml.ScalarNode) else str(key.start_mark.line)
            out[(*path, k)] = key.start_mark.line + 1
            _marks(value, (*path, k), out, active)
            out[(*path, k)] = key.start_mark.line + 1
    else:
        for i, item in enumerate(node.value):
            _marks(item, (*path, i), out, active)
    active.discard(id(node))


def _field(path: Path_) -> str:
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += ("." if text else "") + part
    return text or "(top)"


class _Checker:
    """Collects problems with the line of the field they are about."""

    def __init__(self, filename: str, lines: dict[Path_, int]) -> None:
        self.filename = filename
        self.lines = lines
        self.problems: list[str] = []

    def line(self, path: Path_) -> int:
        while path and path not in self.lines:
            path = path[:-1]
        return self.lines.get(path, 1)

    def err(self, path: Path_, message: str) -> None:
        self.problems.append(f"{self.filename}:{self.line(path)}: {_field(path)}: {message}")

    # typed getters: a problem is recorded and a default returned
    def mapping(self, value: Any, path: Path_) -> dict[str, Any]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.err(path, f"must be a mapping, got {type(value).__name__}")
            return {}
        out: dict[str, Any] = {}
        for key, item in value.items():
            if isinstance(key, bool) or not isinstance(key, str | int | float):
                self.err(path, f"a key must be a string, got {type(key).__name__} {key!r}")
                continue
            out[str(key)] = item
        return out

    def seq(self, value: Any, path: Path_) -> list[Any]:
        if value is None:
            return []
        if not isinstance(value, list):
            self.err(path, f"must be a list, got {type(value).__name__}")
            return []
        return value

    def integer(self, value: Any, path: Path_, lo: int, hi: int, default: int) -> int:
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, int):
            self.err(path, f"must be an integer in {lo}..{hi}, got {value!r}")
            return default
        if not lo <= value <= hi:
            self.err(path, f"must be in {lo}..{hi}, got {value}")
            return default
        return value

    def string(self, value: Any, path: Path_, *, required: bool = False) -> str | None:
        if value is None:
            if required:
                self.err(path, "is required")
            return None
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            self.err(path, f"must be a string, got {type(value).__name__}")
            return None
        return str(value)

    def unknown(self, data: dict[str, Any], allowed: tuple[str, ...], path: Path_) -> None:
        for key in data:
            if key not in allowed:
                self.err((*path, key), f"unknown field (expected one of: {', '.join(allowed)})")


def _ifname(c: _Checker, value: Any, path: Path_) -> str | None:
    name = c.string(value, path, required=True)
    if name is None:
        return None
    if not name or len(name) >= IFNAMSIZ or "/" in name or ":" in name or name.strip() != name or " " in name:
        c.err(path, f"bad interface name {name!r} (1..{IFNAMSIZ - 1} characters, no '/', ':' or spaces)")
        return None
    return name


def _endpoint(c: _Checker, value: Any, path: Path_) -> Endpoint | None:
    text = c.string(value, path, required=True)
    if text is None:
        return None
    host, sep, nic = text.partition(":")
    if not sep or not host or not nic:
        c.err(path, f"an endpoint is HOST:NIC, got {text!r}")
        return None
    return Endpoint(host, nic)


def _prefix(c: _Checker, value: Any, path: Path_, *, allow_default: bool = False) -> str | None:
    text = c.string(value, path, required=True)
    if text is None:
        return None
    if allow_default and text == "default":
        return text
    try:
        ipaddress.IPv4Interface(text)
    except ValueError:
        c.err(path, f"not an IPv4 address/prefix: {text!r}")
        return None
    return text


def _sysctl_keys() -> set[str]:
    from kernel.host import Host

    return set(Host(name="topology-check").sysctl)


def _netem(c: _Checker, value: Any, path: Path_) -> Any:
    """tc-netem tokens (a string or a list of words) or a netem_params_to_dict mapping; checked with
    LINKS' parser when it is there."""
    try:
        from kernel.net.sched import sch_netem
    except ImportError:  # the data plane is not built: keep the words, the daemon reports them
        sch_netem = None  # type: ignore[assignment]
    if isinstance(value, dict):
        if sch_netem is not None:
            try:
                sch_netem.netem_params_from_dict(value)
            except (ValueError, TypeError, KeyError) as exc:
                c.err(path, f"bad impairment: {exc}")
                return None
        return dict(value)
    if isinstance(value, list):
        value = " ".join(str(w) for w in value)
    if not isinstance(value, str) or not value.strip():
        c.err(path, "an impairment is netem words (\"delay 20ms loss 1%\") or a mapping")
        return None
    if sch_netem is not None:
        try:
            sch_netem.parse_netem_args(value.split())
        except ValueError as exc:
            c.err(path, f"bad impairment {value!r}: {exc}")
            return None
    return value


def _host(c: _Checker, name: str, data: Any, path: Path_, sysctl_keys: set[str]) -> HostSpec:
    spec = HostSpec(name=name, line=c.line(path))
    if not _NAME_RE.match(name):
        c.err(path, f"bad host name {name!r} (letters, digits, '.', '_', '-')")
    d = c.mapping(data, path)
    c.unknown(d, ("api", "nics", "addresses", "routes", "sysctls", "tokens", "capabilities",
                        "link_token"), path)
    api = c.mapping(d.get("api"), (*path, "api"))
    c.unknown(api, ("address", "port"), (*path, "api"))
    address = c.string(api.get("address"), (*path, "api", "address")) or DEFAULT_API_ADDRESS
    try:
        ipaddress.ip_address(address)
        spec.api_address = address
    except ValueError:
        if re.match(r"^[A-Za-z0-9][A-Za-z0-9.-]*$", address):
            spec.api_address = address  # a DNS name (a compose service)
        else:
            c.err((*path, "api", "address"), f"not an address: {address!r}")
    spec.api_port = c.integer(api.get("port"), (*path, "api", "port"), 1, 65535, DEFAULT_API_PORT)
    for i, raw in enumerate(c.seq(d.get("nics"), (*path, "nics"))):
        p = (*path, "nics", i)
        nd = c.mapping(raw, p)
        c.unknown(nd, ("name", "kind", "mtu", "mac", "ifname", "netns"), p)
        nic_name = _ifname(c, nd.get("name"), (*p, "name"))
        kind = c.string(nd.get("kind"), (*p, "kind")) or "link"
        if kind not in NIC_KINDS:
            c.err((*p, "kind"), f"must be one of {', '.join(NIC_KINDS)}, got {kind!r}")
        mtu = c.integer(nd.get("mtu"), (*p, "mtu"), 68, 65535, 1500)
        mac = c.string(nd.get("mac"), (*p, "mac"))
        if mac is not None and (not _MAC_RE.match(mac) or int(mac[:2], 16) & 1 or mac == "00:00:00:00:00:00"):
            c.err((*p, "mac"), f"not a unicast MAC address: {mac!r}")
            mac = None
        ifname = c.string(nd.get("ifname"), (*p, "ifname"))
        if kind == "tap" and not ifname:
            c.err((*p, "ifname"), "a tap NIC names its Linux TAP device (ifname)")
        elif ifname is not None and len(ifname) >= IFNAMSIZ:
            c.err((*p, "ifname"), f"at most {IFNAMSIZ - 1} characters")
        netns = c.string(nd.get("netns"), (*p, "netns"))
        if netns is not None and kind != "tap":
            c.err((*p, "netns"), "only a tap NIC has a network namespace")
        elif netns is not None and not _NAME_RE.match(netns):
            c.err((*p, "netns"), f"bad namespace name {netns!r}")
        if nic_name is None:
            continue
        if nic_name == "lo":
            c.err((*p, "name"), "lo exists on every host")
        elif spec.nic(nic_name) is not None:
            c.err((*p, "name"), f"duplicate NIC {nic_name!r}")
        else:
            spec.nics.append(NicSpec(nic_name, kind, mtu, mac, ifname, netns))
    for i, raw in enumerate(c.seq(d.get("addresses"), (*path, "addresses"))):
        p = (*path, "addresses", i)
        ad = c.mapping(raw, p)
        c.unknown(ad, ("dev", "address"), p)
        dev = c.string(ad.get("dev"), (*p, "dev"), required=True)
        addr = _prefix(c, ad.get("address"), (*p, "address"))
        if dev is not None and addr is not None:
            spec.addresses.append({"dev": dev, "address": addr, "_path": (*p, "dev")})
    for i, raw in enumerate(c.seq(d.get("routes"), (*path, "routes"))):
        p = (*path, "routes", i)
        rd = c.mapping(raw, p)
        c.unknown(rd, ("dst", "via", "dev", "metric"), p)
        dst = _prefix(c, rd.get("dst", "default"), (*p, "dst"), allow_default=True)
        route: dict[str, Any] = {"dst": dst, "_path": (*p, "dev")}
        if rd.get("via") is not None:
            via = c.string(rd.get("via"), (*p, "via"))
            try:
                ipaddress.IPv4Address(via or "")
                route["via"] = via
            except ValueError:
                c.err((*p, "via"), f"not an IPv4 address: {via!r}")
        if rd.get("dev") is not None:
            route["dev"] = c.string(rd.get("dev"), (*p, "dev"))
        if "via" not in route and "dev" not in route:
            c.err(p, "a route needs via or dev")
        route["metric"] = c.integer(rd.get("metric"), (*p, "metric"), 0, 0xFFFFFFFF, 0)
        if dst is not None:
            spec.routes.append(route)
    for key, value in c.mapping(d.get("sysctls"), (*path, "sysctls")).items():
        if key not in sysctl_keys:
            c.err((*path, "sysctls", key), "no such sysctl")
        else:
            spec.sysctls[key] = value
    for i, raw in enumerate(c.seq(d.get("tokens", d.get("capabilities")), (*path, "tokens"))):
        p = (*path, "tokens", i)
        td = c.mapping(raw, p)
        c.unknown(td, ("token", "name", "uid", "gid", "caps"), p)
        token = c.string(td.get("token"), (*p, "token"), required=True)
        if token is not None and len(token) < 16:
            c.err((*p, "token"), "a token must have at least 16 characters")
            token = None
        uid = c.integer(td.get("uid"), (*p, "uid"), 0, 0xFFFFFFFE, 0)
        gid = c.integer(td.get("gid"), (*p, "gid"), 0, 0xFFFFFFFE, uid)
        caps: list[int] | None = None
        if td.get("caps") is not None:
            caps = []
            words = td["caps"] if isinstance(td["caps"], list) else str(td["caps"]).split(",")
            for w in words:
                cap = str(w).strip().upper()
                cap = cap if cap.startswith("CAP_") else "CAP_" + cap
                if cap == "CAP_ALL":
                    caps.extend(CAP_NAMES.values())
                elif cap == "CAP_NONE":
                    continue
                elif cap not in CAP_NAMES:
                    c.err((*p, "caps"), f"unknown capability {w!r}")
                else:
                    caps.append(CAP_NAMES[cap])
        if token is not None:
            spec.tokens.append(TokenSpec(token, str(td.get("name") or f"{name}-token{i}"), uid, gid,
                                         tuple(sorted(set(caps))) if caps is not None else None))
    if d.get("link_token") is not None:
        link_token = c.string(d.get("link_token"), (*path, "link_token"))
        if link_token is not None and len(link_token) < 16:
            c.err((*path, "link_token"), "a token must have at least 16 characters")
        elif link_token is not None and any(t.token == link_token for t in spec.tokens):
            c.err((*path, "link_token"), "the link token must differ from the host's user tokens")
        else:
            spec.link_token = link_token
    return spec


def _check_host_refs(c: _Checker, host: HostSpec, path: Path_, bridge_devs: set[str]) -> None:
    devs = {n.name for n in host.nics} | bridge_devs | {"lo"}
    for item in host.addresses + host.routes:
        p = item.pop("_path")
        if "dev" in item and item["dev"] not in devs:
            c.err(p, f"no NIC {item['dev']!r} on host {host.name!r}")


def _links(c: _Checker, raw_links: Any, hosts: dict[str, HostSpec]) -> tuple[list[LinkSpec], list[BridgeSpec]]:
    links: list[LinkSpec] = []
    bridges: list[BridgeSpec] = []
    used: dict[Endpoint, Path_] = {}

    def claim(ep: Endpoint, p: Path_) -> bool:
        h = hosts.get(ep.host)
        if h is None:
            c.err(p, f"no host {ep.host!r}")
            return False
        nic = h.nic(ep.nic)
        if nic is None:
            c.err(p, f"host {ep.host!r} has no NIC {ep.nic!r}")
            return False
        if nic.kind != "link":
            c.err(p, f"{ep} is a {nic.kind} NIC, not a link NIC")
            return False
        if ep in used:
            c.err(p, f"{ep} is already linked (at line {c.line(used[ep])})")
            return False
        used[ep] = p
        return True

    for i, raw in enumerate(c.seq(raw_links, ("links",))):
        p: Path_ = ("links", i)
        ld = c.mapping(raw, p)
        if "bridge" in ld:
            c.unknown(ld, ("bridge", "members", "impairments"), p)
            bd = c.mapping(ld.get("bridge"), (*p, "bridge"))
            c.unknown(bd, ("name", "host"), (*p, "bridge"))
            bname = _ifname(c, bd.get("name"), (*p, "bridge", "name"))
            bhost = c.string(bd.get("host"), (*p, "bridge", "host"), required=True)
            if bhost is not None and bhost not in hosts:
                c.err((*p, "bridge", "host"), f"no host {bhost!r}")
                bhost = None
            if bname is None or bhost is None:
                continue
            if hosts[bhost].nic(bname) is not None or any(b.host == bhost and b.name == bname for b in bridges):
                c.err((*p, "bridge", "name"), f"{bname!r} already exists on host {bhost!r}")
                continue
            br = BridgeSpec(bname, bhost, line=c.line(p))
            for j, mraw in enumerate(c.seq(ld.get("members"), (*p, "members"))):
                mp = (*p, "members", j)
                ep = _endpoint(c, mraw, mp)
                if ep is None:
                    continue
                if ep.host == bhost:
                    c.err(mp, f"a member on the bridge's own host {bhost!r} (use a NIC of another host)")
                    continue
                if not claim(ep, mp):
                    continue
                port = br.port_name(ep)
                if len(port) >= IFNAMSIZ:
                    c.err(mp, f"the bridge port name {port!r} is longer than {IFNAMSIZ - 1} characters "
                              "(shorten the bridge, host or NIC name)")
                    continue
                br.members.append(ep)
                mtu = hosts[ep.host].nic(ep.nic).mtu  # type: ignore[union-attr]
                imp = _impairments(c, ld.get("impairments"), (*p, "impairments"), {str(ep)})
                links.append(LinkSpec(ep, Endpoint(bhost, port), imp, bridge=bname, line=c.line(mp)))
                del mtu
            bridges.append(br)
            continue
        c.unknown(ld, ("endpoints", "impairments"), p)
        eps = c.seq(ld.get("endpoints"), (*p, "endpoints"))
        if len(eps) != 2:
            c.err((*p, "endpoints"), f"a link has two endpoints, got {len(eps)}")
            continue
        a = _endpoint(c, eps[0], (*p, "endpoints", 0))
        b = _endpoint(c, eps[1], (*p, "endpoints", 1))
        if a is None or b is None:
            continue
        if a.host == b.host:
            c.err((*p, "endpoints"), "both endpoints on one host (a veth pair is not a lab link)")
            continue
        if not claim(a, (*p, "endpoints", 0)) or not claim(b, (*p, "endpoints", 1)):
            continue
        mtu_a = hosts[a.host].nic(a.nic).mtu  # type: ignore[union-attr]
        mtu_b = hosts[b.host].nic(b.nic).mtu  # type: ignore[union-attr]
        if mtu_a != mtu_b:
            c.err((*p, "endpoints"), f"MTUs differ: {a} {mtu_a}, {b} {mtu_b}")
        imp = _impairments(c, ld.get("impairments"), (*p, "impairments"), {str(a), str(b)})
        links.append(LinkSpec(a, b, imp, line=c.line(p)))
    return links, bridges


def _impairments(c: _Checker, raw: Any, p: Path_, ends: set[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in c.mapping(raw, p).items():
        if key not in ends:
            if len(ends) == 1:
                continue  # a bridge's impairments name each member
            c.err((*p, key), f"not an endpoint of this link (one of: {', '.join(sorted(ends))})")
            continue
        params = _netem(c, value, (*p, key))
        if params is not None:
            out[key] = params
    return out


def parse_topology(text: str, filename: str = "<string>") -> Topology:
    """Parse and validate a topology; raises TopologyError listing every problem."""
    try:
        try:  # libyaml when PyYAML has it: ~12x faster (each of a lab's daemons parses the whole file)
            node = yaml.compose(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        except yaml.YAMLError:
            node = yaml.compose(text, Loader=yaml.SafeLoader)  # the pure parser's messages for problems
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        raise TopologyError([f"{filename}:{line}: YAML: {getattr(exc, 'problem', None) or exc}"]) from None
    except RecursionError:
        raise TopologyError([f"{filename}:1: YAML: nested too deeply to parse"]) from None
    if node is None:
        raise TopologyError([f"{filename}:1: (top): the file is empty"])
    lines: dict[Path_, int] = {}
    try:
        _marks(node, (), lines)
    except _Refused as exc:
        raise TopologyError([f"{filename}:{exc.line}: {_field(exc.path)}: {exc.message}"]) from None
    try:
        data = yaml.SafeLoader("").construct_document(node)
    except yaml.YAMLError as exc:  # an unhashable key, an unknown tag
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = mark.line + 1 if mark is not None else 1
        raise TopologyError([f"{filename}:{line}: YAML: {getattr(exc, 'problem', None) or exc}"]) from None
    except (ValueError, TypeError, OverflowError) as exc:  # e.g. an impossible !!timestamp
        raise TopologyError([f"{filename}:1: YAML: a value cannot be read: {exc}"]) from None
    c = _Checker(filename, lines)
    top = c.mapping(data, ())
    c.unknown(top, ("name", "seed", "tls", "hosts", "links"), ())
    name = c.string(top.get("name"), ("name",), required=True) or ""
    if name and not _NAME_RE.match(name):
        c.err(("name",), f"bad lab name {name!r} (letters, digits, '.', '_', '-')")
    seed = None
    if top.get("seed") is not None:
        seed = c.integer(top.get("seed"), ("seed",), 0, 2**63 - 1, 0)
    tls = None
    if top.get("tls") is not None:
        td = c.mapping(top.get("tls"), ("tls",))
        c.unknown(td, ("ca", "cert", "key"), ("tls",))
        ca = c.string(td.get("ca"), ("tls", "ca"))
        cert, key = (c.string(td.get(k), ("tls", k), required=True) for k in ("cert", "key"))
        if cert and key:
            tls = TlsSpec(ca or None, cert, key)
    keys = _sysctl_keys()
    hosts: dict[str, HostSpec] = {}
    raw_hosts = c.mapping(top.get("hosts"), ("hosts",))
    if not raw_hosts and "hosts" not in top:
        c.err(("hosts",), "is required")
    for hname, hdata in raw_hosts.items():
        hosts[str(hname)] = _host(c, str(hname), hdata, ("hosts", str(hname)), keys)
    seen_api: dict[str, str] = {}
    for h in hosts.values():
        if h.api in seen_api:
            c.err(("hosts", h.name, "api", "port"), f"API address {h.api} is also host {seen_api[h.api]!r}'s")
        seen_api.setdefault(h.api, h.name)
    links, bridges = _links(c, top.get("links"), hosts)
    for h in hosts.values():
        _check_host_refs(c, h, ("hosts", h.name), {b.name for b in bridges if b.host == h.name})
        accepted = [lk for lk in links if lk.b.host == h.name]
        if h.tokens and h.link_token is None and accepted:
            c.err(("hosts", h.name, "tokens"),
                  f"host {h.name!r} requires tokens and accepts links ({accepted[0].a} -> {accepted[0].b}): "
                  "give it a link_token (what its peers dial with)")
    if c.problems:
        raise TopologyError(c.problems)
    return Topology(name, hosts, links, bridges, tls, seed, filename)


def load_topology(path: str | Path) -> Topology:
    """Read and validate a topology file (TopologyError names the file and line; OSError if unreadable)."""
    text = Path(path).read_text()
    topo = parse_topology(text, str(path))
    topo.path = str(path)
    if topo.tls is not None:
        base = Path(path).resolve().parent
        tls = topo.tls
        tls.cert, tls.key = str(base / tls.cert), str(base / tls.key)  # absolute paths stay as they are
        tls.ca = str(base / tls.ca) if tls.ca else None
    return topo
