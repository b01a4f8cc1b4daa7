"""``socketlab``: the admin command line of a socketlab daemon (its ``Host`` service).

Commands mirror the Linux tools and print what they print::

    socketlab [--target HOST:PORT] [--token TOKEN] COMMAND ...

    proc PATH                       cat /proc/PATH (net/snmp, net/dev, net/udp, sys/net/ipv4/ip_forward ...)
    ip [-s] [-d] [-4] link [show [DEV]]
    ip link add NAME type veth peer name PEER | type dummy [mtu N] [address MAC]
    ip link del DEV
    ip link set DEV [up|down] [mtu N] [address MAC] [promisc on|off] [txqueuelen N]
    ip addr [show [dev] DEV]
    ip addr add|del ADDR[/PLEN] [peer ADDR] [brd ADDR|+] [scope SCOPE] [label LABEL] dev DEV
    ip route [show [table main|local|all|N]]
    ip route add|del [TYPE] PREFIX|default [via GW] [dev DEV] [metric N] [src ADDR] [scope S] [table T] [mtu N]
    ip neigh [show [dev DEV]]
    ip neigh add|replace|del ADDR [lladdr MAC] dev DEV [nud STATE]
    ss [-t] [-u] [-w] [-x] [-a] [-l] [-n] [-o] (flags combine: ss -tano)
    sysctl [-n] [-a] [-w] NAME[=VALUE] ...
    capture IFACE -w FILE|- [-c COUNT] [--pcapng] [-s SNAPLEN] [--daemon-file PATH] [--no-promiscuous]
    lab up LAB.yml | lab status [LAB] | lab down [LAB]
    link set [HOST:]NIC NETEM...|clear | link carrier [HOST:]NIC on|off | link status
    fault list | fault syscall OP ERRNO [count N] [pid P] [addr A[:PORT]] | fault del ID|all
    fault packet drop|delay T|rst|icmp [TYPE CODE] [input|output] [proto P] [src A] [dst A]
                 [sport N] [dport N] [flags F[/MASK]] [count N]
    ping [-c N] [-i S] [-W S] DST | traceroute [-m HOPS] DST | nc [-u] [-l] [HOST] PORT

Output formats follow iproute2 (`ip`, `ss`), procps (`sysctl`) and
tcpdump's status lines; errors too: a kernel refusal prints "RTNETLINK
answers: <strerror>" (exit 2), an unknown device 'Cannot find device "X"'
(exit 1), a sysctl failure 'sysctl: setting key "X": <strerror>' (exit 1).
``ss`` reads /proc/net/{tcp,udp,raw,unix} through ReadProc, as ss does
without sock_diag (so AF_UNIX peers and queues are not shown).
The target defaults to $SOCKETLAB_TARGET or 127.0.0.1:50051, the token to
$SOCKETLAB_TOKEN.
"""
from __future__ import annotations

import argparse
import ipaddress
import os
import socket as _stdsocket
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import IO, Any, NoReturn

import grpc

from client._gen.socketlab.v1 import host_pb2 as hp
from client._gen.socketlab.v1 import host_pb2_grpc as hp_grpc

DEFAULT_TARGET = "127.0.0.1:50051"
TIMEOUT = 30.0

# include/uapi/linux/if.h, in iproute2's print order (print_link_flags)
_IFF_ORDER = (
    ("LOOPBACK", 0x8), ("BROADCAST", 0x2), ("POINTOPOINT", 0x10), ("MULTICAST", 0x1000), ("NOARP", 0x80),
    ("ALLMULTI", 0x200), ("PROMISC", 0x100), ("NOTRAILERS", 0x20), ("DEBUG", 0x4), ("DYNAMIC", 0x8000),
    ("AUTOMEDIA", 0x4000), ("PORTSEL", 0x2000), ("MASTER", 0x400), ("SLAVE", 0x800), ("UP", 0x1),
    ("LOWER_UP", 0x10000), ("DORMANT", 0x20000), ("ECHO", 0x40000),
)
IFF_UP, IFF_RUNNING = 0x1, 0x40
ARPHRD_ETHER, ARPHRD_LOOPBACK = 1, 772
SCOPES = {0: "global", 200: "site", 253: "link", 254: "host", 255: "nowhere"}
RTN_TYPES = {0: "unspec", 1: "unicast", 2: "local", 3: "broadcast", 4: "anycast", 5: "multicast", 6: "blackhole",
             7: "unreachable", 8: "prohibit", 9: "throw", 10: "nat"}
RTPROTS = {0: "unspec", 1: "redirect", 2: "kernel", 3: "boot", 4: "static", 16: "dhcp"}
TABLES = {253: "default", 254: "main", 255: "local"}
NUD_STATES = {0x01: "INCOMPLETE", 0x02: "REACHABLE", 0x04: "STALE", 0x08: "DELAY", 0x10: "PROBE", 0x20: "FAILED",
              0x40: "NOARP", 0x80: "PERMANENT"}
NTF_ROUTER = 0x80
IFA_F_SECONDARY = 0x01
IFA_FLAG_NAMES = ((0x01, "secondary"), (0x02, "nodad"), (0x04, "optimistic"), (0x08, "dadfailed"),
                  (0x10, "home"), (0x20, "deprecated"), (0x40, "tentative"), (0x200, "noprefixroute"),
                  (0x400, "autojoin"))


class CliError(Exception):
    """A failure to report on stderr with an exit status."""

    def __init__(self, message: str, status: int = 1) -> None:
        super().__init__(message)
        self.status = status


def _fail(message: str, status: int = 1) -> NoReturn:
    raise CliError(message, status)


def _strerror(result: Any) -> str:
    return os.strerror(result.error_number) if result.error_number else result.error_name


def _check(result: Any, *, dev: str = "") -> None:
    """iproute2's reporting of a kernel answer: ENODEV for a named device, else RTNETLINK answers."""
    if result.ret >= 0:
        return
    if result.error_name == "ENODEV" and dev:
        _fail(f'Cannot find device "{dev}"', 1)
    _fail(f"RTNETLINK answers: {_strerror(result)}", 2)


@dataclass
class Admin:
    """The Host stub of one daemon, with the call options every command uses."""

    stub: hp_grpc.HostStub
    metadata: tuple[tuple[str, str], ...]

    def __getattr__(self, rpc: str) -> Callable[..., Any]:
        method = getattr(self.stub, rpc)

        def call(request: Any, **kw: Any) -> Any:
            kw.setdefault("metadata", self.metadata)
            if rpc != "Capture":
                kw.setdefault("timeout", TIMEOUT)
            return method(request, **kw)

        return call


# --- formatting helpers -------------------------------------------------------------------

def mac_text(raw: bytes) -> str:
    return ":".join(f"{b:02x}" for b in raw)


def parse_mac(text: str) -> bytes:
    try:
        raw = bytes(int(part, 16) for part in text.split(":"))
    except ValueError:
        _fail(f'Error: "{text}" is not a valid lladdr.')
    if len(raw) != 6:
        _fail(f'Error: "{text}" is not a valid lladdr.')
    return raw


def link_flags(link: hp.Link, mdown: bool = False) -> str:
    """print_link_flags: NO-CARRIER first when up without carrier, then the flags in iproute2's order."""
    flags = link.flags
    names = []
    if flags & IFF_UP and not flags & IFF_RUNNING:
        names.append("NO-CARRIER")
    flags &= ~IFF_RUNNING
    for name, bit in _IFF_ORDER:
        if flags & bit:
            names.append(name)
            flags &= ~bit
    if flags:
        names.append(f"{flags:x}")
    if mdown:
        names.append("M-DOWN")
    return "<" + ",".join(names) + ">"


def _link_name(link: hp.Link) -> str:
    return f"{link.name}@{link.peer_name}" if link.peer_name else link.name


def link_header(link: hp.Link, links: dict[str, hp.Link], mode: bool) -> str:
    peer = links.get(link.peer_name) if link.peer_name else None
    mdown = peer is not None and not peer.flags & IFF_UP
    line = (f"{link.ifindex}: {_link_name(link)}: {link_flags(link, mdown)} mtu {link.mtu} qdisc {link.qdisc} "
            f"state {link.operstate} ")
    line += "mode DEFAULT " if mode else ""
    return line + f"group default qlen {link.tx_queue_len}"


def link_layer(link: hp.Link) -> str:
    kind = "loopback" if link.link_type == ARPHRD_LOOPBACK else "ether" if link.link_type == ARPHRD_ETHER \
        else f"[{link.link_type}]"
    return f"    link/{kind} {mac_text(link.address)} brd {mac_text(link.broadcast)}"


def link_details(link: hp.Link) -> list[str]:
    first = link_layer(link) + f" promiscuity {link.promiscuity}  allmulti 0 minmtu {link.min_mtu} " \
        f"maxmtu {link.max_mtu} "
    kind = {hp.LINK_KIND_VETH: "veth", hp.LINK_KIND_DUMMY: "dummy"}.get(link.kind)
    return [first] + ([f"    {kind} "] if kind else [])


def link_stats(link: hp.Link) -> list[str]:
    """print_link_stats64: RX and TX rows, columns as wide as the widest value (size_columns)."""
    s = link.stats
    rx = (s.rx_bytes, s.rx_packets, s.rx_errors, s.rx_dropped, 0, s.multicast)
    tx = (s.tx_bytes, s.tx_packets, s.tx_errors, s.tx_dropped, s.tx_carrier_errors, s.collisions)
    widths = [10, 7, 6, 7, 7, 7]
    for row in (rx, tx):
        for i, v in enumerate(row):
            widths[i] = max(widths[i], len(str(v)))

    def head(tag: str, names: tuple[str, ...]) -> str:
        out = f"    {tag}:" + "bytes".rjust(widths[0] - 3)
        for w, name in zip(widths[1:], names):
            out += " " + name.rjust(w)
        return out + " " + " " * 10

    def values(row: tuple[int, ...]) -> str:
        return "    " + str(row[0]).rjust(widths[0]) + "".join(" " + str(v).rjust(w) for w, v in
                                                                 zip(widths[1:], row[1:])) + " "

    return [head("RX", ("packets", "errors", "dropped", "missed", "mcast")), values(rx),
            head("TX", ("packets", "errors", "dropped", "carrier", "collsns")), values(tx)]


def addr_line(a: hp.Address) -> list[str]:
    if a.peer:
        line = f"    inet {a.local} peer {a.peer}/{a.prefix_length}"
    else:
        line = f"    inet {a.local}/{a.prefix_length}"
    if a.broadcast:
        line += f" brd {a.broadcast}"
    line += f" scope {SCOPES.get(a.scope, str(a.scope))}"
    for bit, name in IFA_FLAG_NAMES:
        if a.flags & bit:
            line += f" {name}"
    line += f" {a.label or a.link}"
    return [line, "       valid_lft forever preferred_lft forever"]


def route_line(r: hp.Route, links: dict[str, hp.Link], details: bool = False) -> str:
    """print_route: type, destination, via, dev, table, proto, scope, src, metric, flags, metrics."""
    parts: list[str] = []
    if r.type != 1:
        parts.append(RTN_TYPES.get(r.type, str(r.type)))
    if r.prefix_length == 0 and r.destination == "0.0.0.0":
        parts.append("default")
    elif r.prefix_length == 32:
        parts.append(r.destination)
    else:
        parts.append(f"{r.destination}/{r.prefix_length}")
    if r.tos:
        parts.append(f"tos 0x{r.tos:x}")
    if r.gateway:
        parts.append(f"via {r.gateway}")
    if r.link:
        parts.append(f"dev {r.link}")
    if r.table != 254 or details:
        parts.append(f"table {TABLES.get(r.table, str(r.table))}")
    if r.protocol != 3 or details:
        parts.append(f"proto {RTPROTS.get(r.protocol, str(r.protocol))}")
    if r.scope != 0 or details:
        parts.append(f"scope {SCOPES.get(r.scope, str(r.scope))}")
    if r.preferred_source:
        parts.append(f"src {r.preferred_source}")
    if r.metric:
        parts.append(f"metric {r.metric}")
    link = links.get(r.link)
    if link is not None and not link.carrier and r.scope != 254:  # RTNH_F_LINKDOWN (not on host routes)
        parts.append("linkdown")
    if r.mtu:
        parts.append(f"mtu {r.mtu}")
    return " ".join(parts) + " "


def neigh_line(n: hp.Neighbour) -> str:
    parts = [n.address, f"dev {n.link}"]
    if n.lladdr and n.state & 0xDE:  # NUD_VALID: the kernel reports the address
        parts.append(f"lladdr {mac_text(n.lladdr)}")
    if n.flags & NTF_ROUTER:
        parts.append("router")
    states = [name for bit, name in NUD_STATES.items() if n.state & bit] or ["NONE"]
    parts.append(",".join(states))
    return " ".join(parts) + " "


# --- ip -----------------------------------------------------------------------------------

def _matches(word: str, full: str) -> bool:
    """iproute2's matches(): a non-empty prefix of the keyword."""
    return bool(word) and full.startswith(word)


def _ipv4(text: str, what: str = "address") -> str:
    try:
        return str(ipaddress.IPv4Address(text))
    except ValueError:
        _fail(f'Error: inet address is expected rather than "{text}".')


def _prefix(text: str, *, default_plen: int = 32) -> tuple[str, int]:
    if text == "default" or text == "all":
        return "0.0.0.0", 0
    addr, _, plen = text.partition("/")
    length = default_plen
    if plen:
        if not plen.isdigit() or int(plen) > 32:
            _fail(f'Error: any valid prefix is expected rather than "{text}".')
        length = int(plen)
    return _ipv4(addr), length


def _uint(text: str, what: str) -> int:
    try:
        value = int(text, 0)
    except ValueError:
        _fail(f'Error: argument "{text}" is wrong: "{what}" value is invalid')
    if value < 0:
        _fail(f'Error: argument "{text}" is wrong: "{what}" value is invalid')
    return value


def _scope(text: str) -> int:
    for value, name in SCOPES.items():
        if text == name:
            return value
    if text.isdigit() and int(text) <= 255:
        return int(text)
    _fail(f'Error: argument "{text}" is wrong: invalid scope value.')


def _table(text: str) -> int:
    if text == "all":
        return 0
    for value, name in TABLES.items():
        if text == name:
            return value
    return _uint(text, "table")


class _Args:
    def __init__(self, words: Sequence[str]) -> None:
        self.words = list(words)

    def __bool__(self) -> bool:
        return bool(self.words)

    def peek(self) -> str:
        return self.words[0] if self.words else ""

    def next(self, what: str = "argument") -> str:
        if not self.words:
            _fail("Command line is not complete. Try option \"help\"")
        return self.words.pop(0)


class Ip:
    """The `ip` command over the Host service."""

    def __init__(self, admin: Admin, out: IO[str], stats: bool, details: bool) -> None:
        self.admin = admin
        self.out = out
        self.stats = stats
        self.details = details

    def print(self, line: str) -> None:
        print(line, file=self.out)

    def links(self) -> dict[str, hp.Link]:
        reply = self.admin.ListLinks(hp.ListLinksRequest())
        return {link.name: link for link in reply.links}

    # ip link
    def link(self, args: _Args) -> int:
        cmd = args.next() if args else "show"
        if _matches(cmd, "show") or _matches(cmd, "list") or cmd == "lst":
            return self.link_show(args, mode=True)
        if _matches(cmd, "add"):
            return self.link_add(args)
        if _matches(cmd, "delete"):
            name = self._dev_arg(args)
            _check(self.admin.DeleteLink(hp.DeleteLinkRequest(name=name)).result, dev=name)
            return 0
        if _matches(cmd, "set"):
            return self.link_set(args)
        _fail(f'Command "{cmd}" is unknown, try "ip link help".')

    def _dev_arg(self, args: _Args) -> str:
        word = args.next()
        if word == "dev":
            word = args.next()
        return word

    def link_show(self, args: _Args, *, mode: bool, addresses: bool = False) -> int:
        only = ""
        while args:
            word = args.next()
            if word == "dev":
                only = args.next()
            elif word in ("up",):
                continue
            else:
                only = word
        links = self.links()
        if only and only not in links:
            _fail(f'Device "{only}" does not exist.')
        addrs: dict[str, list[hp.Address]] = {}
        if addresses:
            for a in self.admin.ListAddresses(hp.ListAddressesRequest()).addresses:
                addrs.setdefault(a.link, []).append(a)
        for link in sorted(links.values(), key=lambda x: x.ifindex):
            if only and link.name != only:
                continue
            self.print(link_header(link, links, mode))
            lines = link_details(link) if self.details else [link_layer(link)]
            for line in lines:
                self.print(line)
            if self.stats and not addresses:
                for line in link_stats(link):
                    self.print(line)
            for a in addrs.get(link.name, []):
                for line in addr_line(a):
                    self.print(line)
        return 0

    def link_add(self, args: _Args) -> int:
        req = hp.AddLinkRequest()
        while args:
            word = args.next()
            if word == "name":
                req.name = args.next()
            elif word == "type":
                kind = args.next()
                if kind == "veth":
                    req.kind = hp.LINK_KIND_VETH
                elif kind == "dummy":
                    req.kind = hp.LINK_KIND_DUMMY
                else:
                    _fail("Error: Unknown device type.", 2)
                while args:
                    sub = args.next()
                    if sub == "peer":
                        if args.peek() == "name":
                            args.next()
                        req.peer_name = args.next()
                    elif sub == "address" and req.peer_name:
                        req.peer_address = parse_mac(args.next())
                    else:
                        _fail(f'Error: argument "{sub}" is wrong.')
            elif word == "mtu":
                req.mtu = _uint(args.next(), "mtu")
            elif word == "address":
                req.address = parse_mac(args.next())
            elif word in ("up",):
                req.up = True
            elif not req.name:
                req.name = word
            else:
                _fail(f'Error: either "dev" is duplicate, or "{word}" is a garbage.')
        if not req.name:
            _fail('Not enough information: "dev" argument is required.')
        if req.kind == hp.LINK_KIND_UNSPECIFIED:
            _fail('Not enough information: "type" argument is required.')
        if req.kind == hp.LINK_KIND_VETH and not req.peer_name:
            req.peer_name = self._free_veth_name()
        _check(self.admin.AddLink(req).result)
        return 0

    def _free_veth_name(self) -> str:
        names = set(self.links())
        n = 0
        while f"veth{n}" in names:
            n += 1
        return f"veth{n}"

    def link_set(self, args: _Args) -> int:
        req = hp.SetLinkRequest(name=self._dev_arg(args))
        while args:
            word = args.next()
            if word == "up":
                req.up = True
            elif word == "down":
                req.up = False
            elif word == "mtu":
                req.mtu = _uint(args.next(), "mtu")
            elif _matches(word, "address"):
                req.address = parse_mac(args.next())
            elif word == "promisc":
                req.promisc = self._on_off(args.next(), "promisc")
            elif word in ("txqueuelen", "qlen", "txqlen"):
                req.tx_queue_len = _uint(args.next(), "txqueuelen")
            else:
                _fail(f'Error: either "dev" is duplicate, or "{word}" is a garbage.')
        _check(self.admin.SetLink(req).result, dev=req.name)
        return 0

    @staticmethod
    def _on_off(word: str, what: str) -> bool:
        if word not in ("on", "off"):
            _fail(f'Error: argument of "{what}" must be "on" or "off", not "{word}"')
        return word == "on"

    # ip addr
    def addr(self, args: _Args) -> int:
        cmd = args.next() if args else "show"
        if _matches(cmd, "show") or _matches(cmd, "list") or cmd == "lst":
            return self.link_show(args, mode=False, addresses=True)
        if _matches(cmd, "add") or _matches(cmd, "delete"):
            return self.addr_change(args, add=_matches(cmd, "add"))
        _fail(f'Command "{cmd}" is unknown, try "ip address help".')

    def addr_change(self, args: _Args, *, add: bool) -> int:
        local, plen, has_plen = "", 32, False
        dev, peer, brd, label = "", "", "", ""
        scope: int | None = None
        while args:
            word = args.next()
            if word == "dev":
                dev = args.next()
            elif word in ("peer", "remote"):
                peer, plen = _prefix(args.next())
                has_plen = True
            elif _matches(word, "broadcast") or word == "brd":
                value = args.next()
                brd = "+" if value == "+" else "" if value == "-" else _ipv4(value)
            elif word == "scope":
                scope = _scope(args.next())
            elif word == "label":
                label = args.next()
            elif word == "local" or not local:
                text = args.next() if word == "local" else word
                local, plen = _prefix(text)
                has_plen = has_plen or "/" in text
            else:
                _fail(f'Error: either "local" is duplicate, or "{word}" is a garbage.')
        if not dev:
            _fail('Not enough information: "dev" argument is required.')
        if not local:
            _fail("RTNETLINK answers: Operation not supported", 2)
        if add:
            if scope is None and local.startswith("127."):
                scope = 254  # iproute2's default_scope: host for 127/8
            req = hp.AddAddressRequest(link=dev, local=local, prefix_length=plen, broadcast=brd, label=label,
                                       peer=peer)
            if scope is not None:
                req.scope = scope
            _check(self.admin.AddAddress(req).result, dev=dev)
        else:
            dreq = hp.DeleteAddressRequest(link=dev, local=local)
            if has_plen:
                dreq.prefix_length = plen
            _check(self.admin.DeleteAddress(dreq).result, dev=dev)
        return 0

    # ip route
    def route(self, args: _Args) -> int:
        cmd = args.next() if args else "show"
        if _matches(cmd, "show") or _matches(cmd, "list") or cmd == "lst":
            table: int | None = None
            while args:
                word = args.next()
                if word == "table":
                    table = _table(args.next())
            req = hp.ListRoutesRequest()
            if table is not None:
                req.table = table
            links = self.links()
            for r in self.admin.ListRoutes(req).routes:
                self.print(route_line(r, links, self.details))
            return 0
        if _matches(cmd, "add") or _matches(cmd, "delete") or cmd == "del":
            return self.route_change(args, add=_matches(cmd, "add"))
        _fail(f'Command "{cmd}" is unknown, try "ip route help".')

    def route_change(self, args: _Args, *, add: bool) -> int:
        dst: tuple[str, int] | None = None
        gw, dev, src = "", "", ""
        metric: int | None = None
        table: int | None = None
        scope: int | None = None
        rtype: int | None = None
        mtu = 0
        types = {name: value for value, name in RTN_TYPES.items()}
        while args:
            word = args.next()
            if word == "via":
                gw = _ipv4(args.next())
            elif word in ("dev", "oif"):
                dev = args.next()
            elif word in ("metric", "priority", "preference"):
                metric = _uint(args.next(), "metric")
            elif word == "src":
                src = _ipv4(args.next())
            elif word == "table":
                table = _table(args.next())
            elif word == "scope":
                scope = _scope(args.next())
            elif word == "mtu":
                mtu = _uint(args.next(), "mtu")
            elif word == "proto" or word == "protocol":
                args.next()
            elif word in types and dst is None and rtype is None:
                rtype = types[word]
            elif dst is None:
                dst = _prefix(word)
            else:
                _fail(f'Error: either "to" is duplicate, or "{word}" is a garbage.')
        if dst is None:
            _fail('Error: either "to" is duplicate, or "to" is missing.')
        if add:
            req = hp.AddRouteRequest(destination=dst[0], prefix_length=dst[1], gateway=gw, link=dev,
                                     metric=metric or 0, preferred_source=src, mtu=mtu)
            if table is not None:
                req.table = table
            if scope is not None:
                req.scope = scope
            if rtype is not None:
                req.type = rtype
            _check(self.admin.AddRoute(req).result, dev=dev)
        else:
            dreq = hp.DeleteRouteRequest(destination=dst[0], prefix_length=dst[1], gateway=gw, link=dev)
            if metric is not None:
                dreq.metric = metric
            if table is not None:
                dreq.table = table
            if rtype is not None:
                dreq.type = rtype
            _check(self.admin.DeleteRoute(dreq).result, dev=dev)
        return 0

    # ip neigh
    def neigh(self, args: _Args) -> int:
        cmd = args.next() if args else "show"
        if _matches(cmd, "show") or _matches(cmd, "list") or cmd == "lst":
            dev = ""
            while args:
                word = args.next()
                if word == "dev":
                    dev = args.next()
            reply = self.admin.ListNeighbours(hp.ListNeighboursRequest(link=dev))
            _check(reply.result, dev=dev)
            for n in reply.neighbours:
                self.print(neigh_line(n))
            return 0
        if _matches(cmd, "add") or _matches(cmd, "replace") or cmd == "change" or _matches(cmd, "delete"):
            return self.neigh_change(args, delete=_matches(cmd, "delete"))
        _fail(f'Command "{cmd}" is unknown, try "ip neigh help".')

    def neigh_change(self, args: _Args, *, delete: bool) -> int:
        addr, dev = "", ""
        lladdr = b""
        state: int | None = None
        names = {name.lower(): bit for bit, name in NUD_STATES.items()}
        while args:
            word = args.next()
            if word == "dev":
                dev = args.next()
            elif word == "lladdr":
                lladdr = parse_mac(args.next())
            elif word == "nud":
                text = args.next().lower()
                if text not in names:
                    _fail(f'Error: argument "{text}" is wrong: nud state is bad')
                state = names[text]
            elif word == "to" or not addr:
                addr = _ipv4(args.next() if word == "to" else word)
            else:
                _fail(f'Error: either "to" is duplicate, or "{word}" is a garbage.')
        if not dev or not addr:
            _fail("Device and destination are required arguments.")
        if delete:
            _check(self.admin.DeleteNeighbour(hp.DeleteNeighbourRequest(address=addr, link=dev)).result, dev=dev)
            return 0
        req = hp.AddNeighbourRequest(address=addr, lladdr=lladdr, link=dev)
        if state is not None:
            req.state = state
        _check(self.admin.AddNeighbour(req).result, dev=dev)
        return 0


def cmd_ip(admin: Admin, words: list[str], out: IO[str]) -> int:
    stats = details = False
    while words and words[0].startswith("-"):
        opt = words.pop(0)
        if opt in ("-s", "-stats", "-statistics"):
            stats = True
        elif opt in ("-d", "-details"):
            details = True
        elif opt in ("-4", "-f", "-family"):
            if opt != "-4" and words:
                words.pop(0)
        else:
            _fail(f'Option "{opt}" is unknown, try "ip -help".', 255)
    ip = Ip(admin, out, stats, details)
    args = _Args(words)
    obj = args.next() if args else ""
    if not obj:
        _fail("Usage: ip [ OPTIONS ] OBJECT { COMMAND | help }", 255)
    if _matches(obj, "link"):
        return ip.link(args)
    if _matches(obj, "address"):
        return ip.addr(args)
    if _matches(obj, "route"):
        return ip.route(args)
    if _matches(obj, "neighbour") or _matches(obj, "neighbor"):
        return ip.neigh(args)
    _fail(f'Object "{obj}" is unknown, try "ip help".', 255)


# --- ss -----------------------------------------------------------------------------------

@dataclass
class SockRow:
    netid: str
    state: str
    recv_q: int
    send_q: int
    local: str
    local_port: str
    peer: str
    peer_port: str
    timer: str = ""  # ss -o: timer:(on|keepalive|timewait|persist,TIME,RETRANS)


_TCP_TIMERS = {1: "on", 2: "keepalive", 3: "timewait", 4: "persist"}


def print_ms_timer(timeout: int) -> str:
    """ss's print_ms_timer: 1min5sec, 1.200ms style (minutes, seconds, milliseconds)."""
    secs, msecs = divmod(timeout, 1000)
    minutes, secs = divmod(secs, 60)
    out = ""
    if minutes:
        msecs = 0
        out = f"{minutes}min"
        if minutes > 9:
            secs = 0
    if secs:
        if secs > 9:
            msecs = 0
        out += f"{secs}{'.' if msecs else 'sec'}"
    if msecs:
        out += f"{msecs:03d}ms"
    return out


def _tcp_timer_text(fields: list[str]) -> str:
    tr, when = fields[5].split(":")
    kind = _TCP_TIMERS.get(int(tr, 16))
    if kind is None:
        return ""
    return f"timer:({kind},{print_ms_timer(int(when, 16) * 10)},{int(fields[6], 16)})"


_TCP_STATES = {1: "ESTAB", 2: "SYN-SENT", 3: "SYN-RECV", 4: "FIN-WAIT-1", 5: "FIN-WAIT-2", 6: "TIME-WAIT",
               7: "UNCONN", 8: "CLOSE-WAIT", 9: "LAST-ACK", 10: "LISTEN", 11: "CLOSING"}
_UNIX_TYPES = {1: "u_str", 2: "u_dgr", 5: "u_seq"}


def _hex_addr(text: str) -> tuple[str, int]:
    addr, port = text.split(":")
    raw = int(addr, 16).to_bytes(4, "little")
    return str(ipaddress.IPv4Address(raw)), int(port, 16)


def _service(port: int, proto: str, numeric: bool) -> str:
    if port == 0:
        return "*"
    if not numeric:
        try:
            return _stdsocket.getservbyport(port, proto)
        except OSError:
            pass
    return str(port)


def inet_rows(text: str, netid: str, proto: str, numeric: bool) -> Iterator[SockRow]:
    """Rows of /proc/net/{tcp,udp,raw}."""
    for line in text.splitlines()[1:]:
        fields = line.split()
        if len(fields) < 10:
            continue
        local, lport = _hex_addr(fields[1])
        peer, pport = _hex_addr(fields[2])
        tx, rx = (int(x, 16) for x in fields[4].split(":"))
        state = _TCP_STATES.get(int(fields[3], 16), "UNKNOWN")
        if proto == "raw":
            lserv, pserv = str(lport), "*" if pport == 0 else str(pport)
        else:
            lserv, pserv = _service(lport, proto, numeric), _service(pport, proto, numeric)
        timer = _tcp_timer_text(fields) if proto == "tcp" else ""
        yield SockRow(netid, state, rx, tx, local, lserv, peer, pserv, timer)


def unix_rows(text: str) -> Iterator[SockRow]:
    """Rows of /proc/net/unix (ss's fallback without sock_diag: no queues, no peers)."""
    for line in text.splitlines()[1:]:
        fields = line.split(None, 7)
        if len(fields) < 7:
            continue
        flags, type_, st = int(fields[3], 16), int(fields[4], 16), int(fields[5], 16)
        if flags & (1 << 16):
            state = "LISTEN"
        elif st == 3:
            state = "ESTAB"
        elif st == 2:
            state = "SYN-SENT"
        else:
            state = "UNCONN"
        path = fields[7] if len(fields) > 7 else "*"
        yield SockRow(_UNIX_TYPES.get(type_, "u_???"), state, 0, 0, path, fields[6], "*", "0")


def ss_table(rows: list[SockRow], show_netid: bool, timers: bool = False) -> list[str]:
    """ss's columns: widths from the widest cell, addresses right-aligned with their delimiter."""
    heads = ["Netid", "State", "Recv-Q", "Send-Q", "Local Address:", "Port", "Peer Address:", "Port", "Process"]
    right = {4, 6}
    delims = ["", " ", " ", " ", " ", "", " ", "", ""]
    cells = []
    for r in rows:
        sep = " " if r.netid.startswith("u_") else ":"
        cells.append([r.netid, r.state, str(r.recv_q), str(r.send_q), r.local + sep, r.local_port, r.peer + sep,
                      r.peer_port, ""])
    widths = [max([len(heads[i])] + [len(c[i]) for c in cells]) for i in range(len(heads))]
    first = 0 if show_netid else 1

    def render(values: list[str]) -> str:
        out = ""
        for i in range(first, len(heads)):
            if i > first:
                out += delims[i]
            out += values[i].rjust(widths[i]) if i in right else values[i].ljust(widths[i])
        return out

    lines = [render(c) for c in cells]
    if timers:
        lines = [line + (" " + r.timer if r.timer else "") for line, r in zip(lines, rows, strict=True)]
    return [render(heads)] + lines


def cmd_ss(admin: Admin, words: list[str], out: IO[str]) -> int:
    opts = set()
    for word in words:
        if word.startswith("--"):
            long = {"--tcp": "t", "--udp": "u", "--raw": "w", "--unix": "x", "--all": "a", "--listening": "l",
                    "--numeric": "n", "--options": "o"}.get(word)
            if long is None:
                _fail(f"ss: unrecognized option '{word}'")
            opts.add(long)
        elif word.startswith("-"):
            for ch in word[1:]:
                if ch not in "tuwxalno":
                    _fail(f"ss: invalid option -- '{ch}'")
                opts.add(ch)
        else:
            _fail(f"ss: filters are not supported: {word!r}")
    kinds = [k for k in "tuwx" if k in opts] or ["t"]
    numeric = "n" in opts
    rows: list[SockRow] = []
    for kind in kinds:
        path = {"t": "net/tcp", "u": "net/udp", "w": "net/raw", "x": "net/unix"}[kind]
        reply = admin.ReadProc(hp.ReadProcRequest(path=path))
        if reply.result.ret < 0:
            continue  # no such protocol yet (TCP)
        text = reply.content.decode("utf-8", "surrogateescape")
        if kind == "x":
            rows.extend(unix_rows(text))
        else:
            proto = {"t": "tcp", "u": "udp", "w": "raw"}[kind]
            rows.extend(inet_rows(text, proto, proto, numeric))
    if "a" not in opts:
        if "l" in opts:
            rows = [r for r in rows if r.state in ("LISTEN", "UNCONN")]
        else:
            rows = [r for r in rows if r.state not in ("LISTEN", "UNCONN", "CLOSE")]
    show_netid = len(kinds) > 1 or kinds == ["x"]
    for line in ss_table(rows, show_netid, "o" in opts):
        print(line, file=out)
    return 0


# --- sysctl, proc, capture -------------------------------------------------------------------

def cmd_sysctl(admin: Admin, words: list[str], out: IO[str], err: IO[str]) -> int:
    values_only = write = show_all = False
    names: list[str] = []
    for word in words:
        if word.startswith("-") and len(word) > 1 and not names:
            for ch in word[1:]:
                if ch == "n":
                    values_only = True
                elif ch == "w":
                    write = True
                elif ch in "aAX":
                    show_all = True
                elif ch in "qe":
                    continue
                else:
                    _fail(f"sysctl: unknown option -- '{ch}'")
        else:
            names.append(word)
    status = 0

    def show(name: str, value: str) -> None:
        print(value if values_only else f"{name} = {value}", file=out)

    if show_all or not names:
        prefix = names[0] if names else ""
        for s in admin.ListSysctls(hp.ListSysctlsRequest(prefix=prefix)).sysctls:
            show(s.name, s.value)
        return 0
    for item in names:
        if "=" in item:
            if not write and not item:
                continue
            name, _, value = item.partition("=")
            reply = admin.SetSysctl(hp.SetSysctlRequest(name=name.strip(), value=value.strip()))
            key = name.strip().replace("/", ".")
            if reply.result.error_name == "ENOENT":
                print(f"sysctl: cannot stat /proc/sys/{key.replace('.', '/')}: No such file or directory", file=err)
                status = 1
            elif reply.result.ret < 0:
                print(f'sysctl: setting key "{key}": {_strerror(reply.result)}', file=err)
                status = 1
            else:
                show(key, value.strip())
        else:
            if write:
                print(f'sysctl: "{item}" must be of the form name=value', file=err)
                status = 1
                continue
            got = admin.GetSysctl(hp.GetSysctlRequest(name=item))
            if got.result.ret < 0:
                path = item.replace(".", "/")
                print(f"sysctl: cannot stat /proc/sys/{path}: No such file or directory", file=err)
                status = 1
            else:
                show(got.sysctl.name, got.sysctl.value)
    return status


def cmd_proc(admin: Admin, words: list[str], out: IO[str], err: IO[str]) -> int:
    if not words:
        _fail("usage: socketlab proc PATH [PATH ...]", 2)
    status = 0
    for path in words:
        reply = admin.ReadProc(hp.ReadProcRequest(path=path))
        if reply.result.ret < 0:
            shown = path if path.startswith("/proc/") else "/proc/" + path.lstrip("/")
            print(f"cat: {shown}: {_strerror(reply.result)}", file=err)
            status = 1
            continue
        out.write(reply.content.decode("utf-8", "surrogateescape"))
        out.flush()
    return status


def cmd_capture(admin: Admin, words: list[str], out: IO[str], err: IO[str]) -> int:
    parser = argparse.ArgumentParser(prog="socketlab capture", description="capture one NIC to a pcap file")
    parser.add_argument("iface")
    parser.add_argument("-w", dest="write", required=True, metavar="FILE", help="the capture file ('-': stdout)")
    parser.add_argument("-c", dest="count", type=int, default=0, help="stop after COUNT frames")
    parser.add_argument("-s", dest="snaplen", type=int, default=0, help="bytes kept of each frame")
    parser.add_argument("--pcapng", action="store_true", help="pcapng instead of pcap")
    parser.add_argument("--daemon-file", default="", metavar="PATH", help="also write PATH on the daemon's side")
    parser.add_argument("--no-promiscuous", "-p", action="store_true", help="do not put the NIC in promiscuous mode")
    ns = parser.parse_args(words)
    req = hp.CaptureRequest(link=ns.iface, count=max(0, ns.count), snaplen=max(0, ns.snaplen),
                            format=hp.CAPTURE_FORMAT_PCAPNG if ns.pcapng else hp.CAPTURE_FORMAT_PCAP,
                            file=ns.daemon_file, promiscuous=not ns.no_promiscuous)
    call = admin.Capture(req)
    sink: Any = None
    owned = False
    packets = 0
    try:
        first = next(call)
        if first.result.ret < 0:
            if first.result.error_name == "ENODEV":
                _fail(f"tcpdump: {ns.iface}: No such device exists", 1)
            _fail(f"tcpdump: {ns.iface}: {_strerror(first.result)}", 1)
        if ns.write == "-":
            sink = getattr(out, "buffer", out)  # the binary side of stdout
        else:
            sink, owned = open(ns.write, "wb"), True  # noqa: SIM115  (closed below)
        print(f"tcpdump: listening on {ns.iface}, link-type EN10MB (Ethernet), snapshot length "
              f"{ns.snaplen or 262144} bytes", file=err)
        _write(sink, first.data)
        for msg in call:
            _write(sink, msg.data)
            packets = msg.packets
    except KeyboardInterrupt:
        call.cancel()
    finally:
        if owned:
            sink.close()
    print(f"{packets} packets captured", file=err)
    return 0


def _write(sink: Any, data: bytes) -> None:
    if data:
        sink.write(data)
        sink.flush()


# --- labs, impairments, faults, tools (issue #5) ---------------------------------------------

def _lab_api(host: str) -> str | None:
    from client.lab import host_api

    return host_api(host)


def cmd_lab(words: list[str], out: IO[str], err: IO[str]) -> int:
    from client import lab

    if not words or words[0] not in ("up", "down", "status"):
        print("usage: socketlab lab up LAB.yml | lab status [LAB] | lab down [LAB]", file=err)
        return 2
    if words[0] == "up":
        if len(words) != 2:
            print("usage: socketlab lab up LAB.yml", file=err)
            return 2
        return lab.lab_up(words[1], out, err)
    name = words[1] if len(words) > 1 else None
    return lab.lab_status(name, out, err) if words[0] == "status" else lab.lab_down(name, out, err)


def cmd_link(admin: Admin, words: list[str], out: IO[str]) -> int:
    if words[:1] == ["status"] or not words:
        reply = admin.ListLabLinks(hp.ListLabLinksRequest())
        out.write(f"lab {reply.lab or '-'} host {reply.host_name}\n")
        for lk in reply.links:
            stats = " ".join(f"{k} {v}" for k, v in sorted(lk.stats.items()))
            out.write(f"{lk.link} {lk.role} {lk.peer} {lk.state}" + (f" {lk.target}" if lk.target else "")
                      + (f" {stats}" if stats else "") + "\n")
        return 0
    if words[0] == "set" and len(words) >= 3:
        clear = words[2:] in (["clear"], ["none"])
        reply = admin.SetImpairment(hp.SetImpairmentRequest(link=words[1], netem=[] if clear else words[2:],
                                                            clear=clear))
        _check(reply.result, dev=words[1])
        out.write(f"qdisc {reply.qdisc or 'noqueue'} dev {words[1]}\n")
        return 0
    if words[0] == "carrier" and len(words) == 3 and words[2] in ("on", "off", "up", "down"):
        reply = admin.SetCarrier(hp.SetCarrierRequest(link=words[1], carrier=words[2] in ("on", "up")))
        _check(reply.result, dev=words[1])
        return 0
    _fail("usage: socketlab link set [HOST:]NIC NETEM...|clear | link carrier [HOST:]NIC on|off | link status", 2)


def _kv(words: list[str], keys: dict[str, int]) -> dict[str, list[str]]:
    """Keyword arguments: KEY followed by keys[KEY] values."""
    out: dict[str, list[str]] = {}
    i = 0
    while i < len(words):
        key = words[i]
        n = keys.get(key)
        if n is None or i + n >= len(words) + (0 if n else 1):
            _fail(f"fault: unexpected {key!r}", 2)
        out[key] = words[i + 1:i + 1 + n]
        i += 1 + n
    return out


def cmd_fault(admin: Admin, words: list[str], out: IO[str]) -> int:
    usage = "usage: socketlab fault list | syscall OP ERRNO [count N] [pid P] [addr A] | packet ACTION ... | del ID|all"
    if not words or words[0] == "list":
        reply = admin.ListFaults(hp.ListFaultsRequest())
        for r in reply.rules:
            out.write(f"{r.id}: {r.kind} {r.description} hits {r.hits}\n")
        return 0
    if words[0] == "del" and len(words) == 2:
        reply = admin.DeleteFault(hp.DeleteFaultRequest(id=0 if words[1] == "all" else _uint(words[1], "id")))
        _check(reply.result)
        return 0
    if words[0] == "syscall" and len(words) >= 3:
        kv = _kv(words[3:], {"count": 1, "pid": 1, "addr": 1})
        reply = admin.AddSyscallFault(hp.AddSyscallFaultRequest(
            syscall=words[1], error_name=words[2], count=_uint(kv.get("count", ["1"])[0], "count"),
            pid=_uint(kv.get("pid", ["0"])[0], "pid"), address=kv.get("addr", [""])[0]))
        _check(reply.result)
        out.write(f"{reply.rule.id}: {reply.rule.kind} {reply.rule.description}\n")
        return 0
    if words[0] == "packet" and len(words) >= 2:
        action, rest = words[1], words[2:]
        req = hp.AddPacketFaultRequest(action=action)
        if action == "delay":
            if not rest:
                _fail("fault packet delay TIME (20ms, 1s)", 2)
            text = rest.pop(0)
            req.delay_seconds = float(text[:-2]) / 1000 if text.endswith("ms") else float(text.rstrip("s"))
        if action == "icmp" and len(rest) >= 2 and rest[0].isdigit() and rest[1].isdigit():
            req.icmp_type, req.icmp_code = int(rest[0]), int(rest[1])
            rest = rest[2:]
        if rest and rest[0] in ("input", "output", "both"):
            req.hook = rest.pop(0)
        kv = _kv(rest, {"proto": 1, "src": 1, "dst": 1, "sport": 1, "dport": 1, "flags": 1, "count": 1})
        req.protocol = kv.get("proto", [""])[0]
        req.source, req.destination = kv.get("src", [""])[0], kv.get("dst", [""])[0]
        req.source_port = _uint(kv.get("sport", ["0"])[0], "sport")
        req.destination_port = _uint(kv.get("dport", ["0"])[0], "dport")
        flags, _, mask = kv.get("flags", [""])[0].partition("/")
        req.tcp_flags, req.tcp_flags_mask = flags, mask
        req.count = _uint(kv.get("count", ["0"])[0], "count")
        reply = admin.AddPacketFault(req)
        _check(reply.result)
        out.write(f"{reply.rule.id}: {reply.rule.kind} {reply.rule.description}\n")
        return 0
    _fail(usage, 2)


def cmd_tool(command: str, target: str, token: str | None, words: list[str], out: IO[str], err: IO[str]) -> int:
    """ping / traceroute / nc as a process on the target daemon."""
    import client
    from client import lab

    parser = argparse.ArgumentParser(prog=f"socketlab {command}")
    if command == "ping":
        parser.add_argument("-c", dest="count", type=int, default=4)
        parser.add_argument("-i", dest="interval", type=float, default=1.0)
        parser.add_argument("-W", dest="timeout", type=float, default=2.0)
        parser.add_argument("-s", dest="size", type=int, default=56)
        parser.add_argument("dst")
    elif command == "traceroute":
        parser.add_argument("-m", dest="max_hops", type=int, default=30)
        parser.add_argument("-w", dest="timeout", type=float, default=2.0)
        parser.add_argument("dst")
    else:
        parser.add_argument("-u", dest="udp", action="store_true")
        parser.add_argument("-l", dest="listen", action="store_true")
        parser.add_argument("-w", dest="timeout", type=float, default=5.0)
        parser.add_argument("where", nargs="+", metavar="[HOST] PORT")
    ns = parser.parse_args(words)
    access = lab.lab_access(target)  # a host of a running lab: its TLS files and token
    if access is not None:
        token = token or access.token
    extra: dict[str, Any] = {"token": token} if token else {}
    if access is not None and access.tls is not None:
        extra["tls"] = access.tls
    net = client.connect(target, **extra)
    try:
        if command == "ping":
            got, _ = lab.ping(net, ns.dst, out, count=ns.count, interval=ns.interval, timeout=ns.timeout,
                              size=ns.size)
            return 0 if got else 1
        if command == "traceroute":
            lab.traceroute(net, ns.dst, out, max_hops=ns.max_hops, timeout=ns.timeout)
            return 0
        binary_out = getattr(out, "buffer", None)
        if ns.listen:
            data, peer = lab.nc_listen(net, int(ns.where[-1]), udp=ns.udp, timeout=None)
            print(f"Connection from {peer[0]} {peer[1]}", file=err)
        else:
            if len(ns.where) != 2:
                _fail("usage: socketlab nc [-u] HOST PORT", 2)
            data = lab.nc_connect(net, ns.where[0], int(ns.where[1]), sys.stdin.buffer.read(), udp=ns.udp,
                                  timeout=ns.timeout)
        if binary_out is not None:
            binary_out.write(data)
            binary_out.flush()
        else:
            out.write(data.decode("utf-8", "replace"))
        return 0
    finally:
        net.close()


# --- main -------------------------------------------------------------------------------------

def connect(target: str, token: str | None) -> tuple[grpc.Channel, Admin]:
    """The admin channel to ``target``: a host of a running lab gets the lab's TLS files and its token
    (unless --token names one), anything else plaintext."""
    from client.lab import lab_access

    access = lab_access(target)
    if access is not None:
        channel = access.channel(target)
        token = token or access.token
    else:
        channel = grpc.insecure_channel(target)
    metadata: tuple[tuple[str, str], ...] = (("authorization", f"Bearer {token}"),) if token else ()
    return channel, Admin(hp_grpc.HostStub(channel), metadata)


def main(argv: Sequence[str] | None = None, *, out: IO[str] | None = None, err: IO[str] | None = None) -> int:
    """The ``socketlab`` console entry point; returns the exit status."""
    out = out or sys.stdout
    err = err or sys.stderr
    parser = argparse.ArgumentParser(prog="socketlab", description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog="\n".join(__doc__.splitlines()[2:25]))
    parser.add_argument("--target", default=os.environ.get("SOCKETLAB_TARGET") or DEFAULT_TARGET,
                        metavar="HOST:PORT", help="the daemon (default: $SOCKETLAB_TARGET or %(default)s)")
    parser.add_argument("--token", default=os.environ.get("SOCKETLAB_TOKEN"), help="a bearer token")
    parser.add_argument("command", choices=("proc", "ip", "ss", "sysctl", "capture", "lab", "link", "fault", "ping",
                                            "traceroute", "nc"))
    parser.add_argument("args", nargs=argparse.REMAINDER)
    ns = parser.parse_args(argv)
    if ns.command == "lab":
        return cmd_lab(list(ns.args), out, err)
    words = list(ns.args)
    if ns.command in ("link", "fault") and len(words) >= 2 and ":" in words[1] and words[0] in ("set", "carrier"):
        api = _lab_api(words[1].split(":", 1)[0])  # HOST:NIC of the running lab
        if api is not None:
            ns.target = api
            words[1] = words[1].split(":", 1)[1]
    if ns.command in ("ping", "traceroute", "nc"):
        try:
            return cmd_tool(ns.command, ns.target, ns.token, words, out, err)
        except OSError as exc:
            print(f"{ns.command}: {exc}", file=err)
            return 1
    channel, admin = connect(ns.target, ns.token)
    try:
        if ns.command == "ip":
            return cmd_ip(admin, list(ns.args), out)
        if ns.command == "ss":
            return cmd_ss(admin, list(ns.args), out)
        if ns.command == "sysctl":
            return cmd_sysctl(admin, list(ns.args), out, err)
        if ns.command == "proc":
            return cmd_proc(admin, list(ns.args), out, err)
        if ns.command == "link":
            return cmd_link(admin, words, out)
        if ns.command == "fault":
            return cmd_fault(admin, words, out)
        return cmd_capture(admin, list(ns.args), out, err)
    except CliError as exc:
        print(str(exc), file=err)
        return exc.status
    except grpc.RpcError as exc:
        code = exc.code() if hasattr(exc, "code") else None
        details = exc.details() if hasattr(exc, "details") else str(exc)
        print(f"socketlab: {ns.target}: {getattr(code, 'name', code)}: {details}", file=err)
        return 1
    finally:
        channel.close()


if __name__ == "__main__":
    sys.exit(main())
