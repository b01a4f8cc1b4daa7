"""The ``socketlab.v1.Host`` admin service: NICs, addresses, routes, neighbours, sysctls, /proc, capture.

Each RPC is what one `ip`/`sysctl`/`cat`/`tcpdump` command does, run on the
daemon's kernel ``Host`` (the kernel lives on the server's event loop, so the
handlers call it directly).  A kernel refusal comes back as data -- a
``Result`` with the Linux errno -- as in the SocketCall service; a request
that does not parse (a bad dotted quad, a prefix length above 32, a missing
name, an unknown enum value) is INVALID_ARGUMENT; a failure of the daemon
itself is logged and becomes INTERNAL.

The kernel parts are imported when a call needs them (IPv4 addresses and
routes from kernel.net.ipv4, neighbours from kernel.net.core.neighbour, veth
and dummy drivers from kernel.drivers.net): a part that is not there answers
EOPNOTSUPP.

Permissions: Linux's rtnetlink wants CAP_NET_ADMIN for every change (and a
capture CAP_NET_RAW); with a ``principal`` getter (the daemon's
``Authenticator.principal``: the bearer token's capability set) a caller
without it gets EPERM in the result, as rtnetlink answers.  Reads (lists,
sysctls, /proc) are open to every caller that passed authentication.
"""
from __future__ import annotations

import asyncio
import importlib
import ipaddress
import logging
import time
from collections.abc import AsyncIterator, Callable
from typing import Any, TypeVar

import grpc

from client._gen.socketlab.v1 import host_pb2 as hp
from client._gen.socketlab.v1 import host_pb2_grpc as hp_grpc
from client._gen.socketlab.v1 import types_pb2 as t
from kernel import uapi
from kernel.host import Host
from kernel.net import proc
from kernel.net.core import dev as netdev

log = logging.getLogger("socketlabd")

SERVICE = hp.DESCRIPTOR.services_by_name["Host"].full_name

# include/uapi/linux/neighbour.h
NUD_PERMANENT = 0x80
NUD_VALID = 0x80 | 0x40 | 0x02 | 0x10 | 0x04 | 0x08  # PERMANENT NOARP REACHABLE PROBE STALE DELAY
# include/uapi/linux/rtnetlink.h
RTN_UNICAST = 1
RT_TABLE_MAIN = 254
RTPROT_BOOT = 3

_KIND_BY_MODULE: dict[str, hp.LinkKind] = {
    "kernel.drivers.net.loopback": hp.LINK_KIND_LOOPBACK,
    "kernel.drivers.net.veth": hp.LINK_KIND_VETH,
    "kernel.drivers.net.dummy": hp.LINK_KIND_DUMMY,
    "kernel.drivers.net.channel": hp.LINK_KIND_CHANNEL,
}

M = TypeVar("M")


class BadRequest(ValueError):
    """A malformed request (INVALID_ARGUMENT)."""


def result(ret: int) -> t.Result:
    """A Result from 0 / -errno."""
    if ret < 0:
        return t.Result(ret=ret, error_number=-ret, error_name=uapi.errno_name(-ret))
    return t.Result(ret=ret)


def _optional(module: str, name: str) -> Any:
    try:
        return getattr(importlib.import_module(module), name, None)
    except ImportError:
        return None


def parse_ipv4(text: str, what: str, *, allow_empty: bool = False) -> int:
    """A dotted quad as a host-order int (0 for an empty optional one); BadRequest otherwise."""
    if not text:
        if allow_empty:
            return 0
        raise BadRequest(f"{what}: an IPv4 address is required")
    try:
        return int(ipaddress.IPv4Address(text))
    except ValueError:
        raise BadRequest(f"{what}: {text!r} is not an IPv4 address") from None


def dotted(addr: int) -> str:
    return str(ipaddress.IPv4Address(addr & 0xFFFFFFFF))


def _prefix(n: int) -> int:
    if not 0 <= n <= 32:
        raise BadRequest(f"prefix length {n} is not in 0..32")
    return n


# --- links ------------------------------------------------------------------------

def link_kind(dev: netdev.NetDevice) -> hp.LinkKind:
    module = type(dev.netdev_ops).__module__
    return _KIND_BY_MODULE.get(module, hp.LINK_KIND_OTHER)


def veth_peer(dev: netdev.NetDevice) -> netdev.NetDevice | None:
    peer = getattr(dev.priv, "peer", None)
    return peer if isinstance(peer, netdev.NetDevice) else None


def operstate(dev: netdev.NetDevice) -> str:
    """IF_OPER_* as `ip link` prints it."""
    if not dev.flags & netdev.IFF_UP:
        return "DOWN"
    kind = link_kind(dev)
    if kind in (hp.LINK_KIND_LOOPBACK, hp.LINK_KIND_DUMMY):
        return "UNKNOWN"
    if dev.carrier:
        return "UP"
    return "LOWERLAYERDOWN" if kind == hp.LINK_KIND_VETH else "DOWN"


def qdisc_name(dev: netdev.NetDevice) -> str:
    if not dev.flags & netdev.IFF_UP:
        return "noop"
    if dev.qdisc is not None:
        return str(getattr(dev.qdisc, "kind", None) or getattr(dev.qdisc, "name", None) or "netem")
    return "noqueue"


def link_message(dev: netdev.NetDevice) -> hp.Link:
    peer = veth_peer(dev)
    same_host = peer is not None and peer.net is dev.net
    stats = {k: v for k, v in dev.stats.as_dict().items() if k in hp.LinkStats.DESCRIPTOR.fields_by_name}
    return hp.Link(
        ifindex=dev.ifindex, name=dev.name, kind=link_kind(dev), flags=dev.flags, mtu=dev.mtu,
        address=dev.dev_addr, broadcast=dev.broadcast, link_type=dev.type, tx_queue_len=dev.tx_queue_len,
        operstate=operstate(dev), qdisc=qdisc_name(dev),
        peer_ifindex=peer.ifindex if peer is not None and same_host else 0,
        peer_name=peer.name if peer is not None else "",
        min_mtu=max(0, dev.min_mtu), max_mtu=min(dev.max_mtu, 0xFFFFFFFF), promiscuity=dev.promiscuity,
        carrier=dev.carrier, stats=hp.LinkStats(**stats),
    )


def _mac(raw: bytes, what: str) -> bytes | None:
    if not raw:
        return None
    if len(raw) != 6:
        raise BadRequest(f"{what}: a MAC address is 6 bytes, not {len(raw)}")
    return bytes(raw)


def _mac_error(mac: bytes | None) -> int:
    """eth_validate_addr: a multicast or all-zero MAC is EADDRNOTAVAIL."""
    if mac is not None and (mac[0] & 1 or mac == bytes(6)):
        return -uapi.EADDRNOTAVAIL
    return 0


# --- the servicer -----------------------------------------------------------------

class HostService(hp_grpc.HostServicer):
    """The Host service on one kernel host."""

    def __init__(self, host: Host, principal: Callable[[Any], Any] | None = None) -> None:
        self.host = host
        self.net = host.netns
        self.principal = principal
        self.lab: Any = None  # server/lab.py's LabHost when the daemon is one host of a lab

    # --- plumbing ---
    def _dev(self, name: str) -> netdev.NetDevice | None:
        if not name:
            raise BadRequest("a link name is required")
        return netdev.dev_get_by_name(self.net, name)

    def _denied(self, context: Any, cap: int = uapi.CAP_NET_ADMIN) -> bool:
        if self.principal is None:
            return False
        who = self.principal(context)
        return who is not None and not who.capable(cap)

    async def _run(self, context: Any, rpc: str, fn: Callable[[], M]) -> M:
        try:
            return fn()
        except BadRequest as exc:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(exc))
            raise
        except (grpc.aio.AbortError, asyncio.CancelledError):
            raise
        except Exception as exc:
            log.exception("internal error in Host/%s", rpc)
            await context.abort(grpc.StatusCode.INTERNAL, f"internal error in Host/{rpc}: {type(exc).__name__}")
            raise

    # --- links ---
    async def ListLinks(self, request: hp.ListLinksRequest, context: Any) -> hp.ListLinksResponse:
        def run() -> hp.ListLinksResponse:
            devs = sorted(self.net.dev_index_head.values(), key=lambda d: d.ifindex)
            if request.name:
                devs = [d for d in devs if d.name == request.name]
                if not devs:
                    return hp.ListLinksResponse(result=result(-uapi.ENODEV))
            return hp.ListLinksResponse(result=result(0), links=[link_message(d) for d in devs])
        return await self._run(context, "ListLinks", run)

    async def AddLink(self, request: hp.AddLinkRequest, context: Any) -> hp.AddLinkResponse:
        def run() -> hp.AddLinkResponse:
            if not request.name:
                raise BadRequest("a link name is required")
            if request.kind not in (hp.LINK_KIND_VETH, hp.LINK_KIND_DUMMY):
                raise BadRequest("kind: LINK_KIND_VETH or LINK_KIND_DUMMY")
            if self._denied(context):
                return hp.AddLinkResponse(result=result(-uapi.EPERM))
            mac = _mac(request.address, "address")
            peer_mac = _mac(request.peer_address, "peer_address")
            err = _mac_error(mac) or _mac_error(peer_mac)
            if err:
                return hp.AddLinkResponse(result=result(err))
            mtu = request.mtu if request.HasField("mtu") else 1500
            if request.kind == hp.LINK_KIND_VETH:
                if not request.peer_name:
                    raise BadRequest("a veth pair needs peer_name")
                newlink = _optional("kernel.drivers.net.veth", "veth_newlink")
                if newlink is None:
                    return hp.AddLinkResponse(result=result(-uapi.EOPNOTSUPP))
                if not netdev.ETH_MIN_MTU <= mtu <= netdev.ETH_MAX_MTU:
                    return hp.AddLinkResponse(result=result(-uapi.EINVAL))
                res = newlink(self.net, request.name, self.net, request.peer_name, mtu=mtu, up=request.up,
                              addr_a=mac, addr_b=peer_mac)
                if isinstance(res, int):
                    return hp.AddLinkResponse(result=result(res))
                return hp.AddLinkResponse(result=result(0), links=[link_message(d) for d in res])
            newlink = _optional("kernel.drivers.net.dummy", "dummy_newlink")
            if newlink is None:
                return hp.AddLinkResponse(result=result(-uapi.EOPNOTSUPP))
            res = newlink(self.net, request.name, mtu=mtu, up=request.up, addr=mac)
            if isinstance(res, int):
                return hp.AddLinkResponse(result=result(res))
            return hp.AddLinkResponse(result=result(0), links=[link_message(res)])
        return await self._run(context, "AddLink", run)

    async def DeleteLink(self, request: hp.DeleteLinkRequest, context: Any) -> hp.DeleteLinkResponse:
        def run() -> hp.DeleteLinkResponse:
            dev = self._dev(request.name)
            if dev is None:
                return hp.DeleteLinkResponse(result=result(-uapi.ENODEV))
            if self._denied(context):
                return hp.DeleteLinkResponse(result=result(-uapi.EPERM))
            kind = link_kind(dev)
            if kind == hp.LINK_KIND_LOOPBACK:
                return hp.DeleteLinkResponse(result=result(-uapi.EOPNOTSUPP))
            if kind == hp.LINK_KIND_VETH:
                dellink = _optional("kernel.drivers.net.veth", "veth_dellink")
                if dellink is not None:
                    dellink(dev)
                    return hp.DeleteLinkResponse(result=result(0))
            netdev.unregister_netdevice(dev)
            return hp.DeleteLinkResponse(result=result(0))
        return await self._run(context, "DeleteLink", run)

    async def SetLink(self, request: hp.SetLinkRequest, context: Any) -> hp.SetLinkResponse:
        def run() -> hp.SetLinkResponse:
            dev = self._dev(request.name)
            if dev is None:
                return hp.SetLinkResponse(result=result(-uapi.ENODEV))
            mac = _mac(request.address, "address")
            if self._denied(context):
                return hp.SetLinkResponse(result=result(-uapi.EPERM), link=link_message(dev))
            err = 0
            if request.HasField("mtu"):
                err = netdev.dev_set_mtu(dev, request.mtu)
            if not err and mac is not None:
                err = self._set_mac(dev, mac)
            if not err and request.HasField("tx_queue_len"):
                dev.tx_queue_len = request.tx_queue_len
            if not err and request.HasField("promisc"):
                self._set_promisc(dev, request.promisc)
            if not err and request.HasField("up"):
                err = netdev.dev_open(dev) if request.up else netdev.dev_close(dev)
            return hp.SetLinkResponse(result=result(err), link=link_message(dev))
        return await self._run(context, "SetLink", run)

    @staticmethod
    def _set_mac(dev: netdev.NetDevice, mac: bytes) -> int:
        """dev_set_mac_address: same length as the device's, valid unicast; NETDEV_CHANGEADDR."""
        if dev.type == netdev.ARPHRD_LOOPBACK:
            return -uapi.EOPNOTSUPP
        err = _mac_error(mac)
        if err:
            return err
        if mac != dev.dev_addr:
            dev.dev_addr = mac
            netdev.call_netdevice_notifiers(netdev.NETDEV_CHANGEADDR, dev)
        return 0

    @staticmethod
    def _set_promisc(dev: netdev.NetDevice, on: bool) -> None:
        """IFF_PROMISC set by the user (dev->gflags): one promiscuity reference while on."""
        if on != bool(dev.gflags & netdev.IFF_PROMISC):
            dev.gflags ^= netdev.IFF_PROMISC
            netdev.dev_set_promiscuity(dev, 1 if on else -1)

    # --- addresses ---
    async def ListAddresses(self, request: hp.ListAddressesRequest, context: Any) -> hp.ListAddressesResponse:
        def run() -> hp.ListAddressesResponse:
            devs = sorted(self.net.dev_index_head.values(), key=lambda d: d.ifindex)
            if request.link:
                devs = [d for d in devs if d.name == request.link]
                if not devs:
                    return hp.ListAddressesResponse(result=result(-uapi.ENODEV))
            out = []
            for dev in devs:
                for ifa in getattr(dev.ip_ptr, "ifa_list", None) or ():
                    peer = ifa.address if ifa.address != ifa.local else 0
                    out.append(hp.Address(
                        ifindex=dev.ifindex, link=dev.name, family=uapi.AF_INET, local=dotted(ifa.local),
                        prefix_length=ifa.prefixlen, broadcast=dotted(ifa.broadcast) if ifa.broadcast else "",
                        peer=dotted(peer) if peer else "", scope=ifa.scope, label=ifa.label or dev.name,
                        flags=ifa.flags,
                    ))
            return hp.ListAddressesResponse(result=result(0), addresses=out)
        return await self._run(context, "ListAddresses", run)

    async def AddAddress(self, request: hp.AddAddressRequest, context: Any) -> hp.AddAddressResponse:
        def run() -> hp.AddAddressResponse:
            local = parse_ipv4(request.local, "local")
            plen = _prefix(request.prefix_length)
            brd: int | None
            if request.broadcast == "":
                brd = None
            elif request.broadcast == "+":
                brd = -1
            else:
                brd = parse_ipv4(request.broadcast, "broadcast")
            peer = parse_ipv4(request.peer, "peer", allow_empty=True) or None
            scope = request.scope if request.HasField("scope") else 0
            if not 0 <= scope <= 255:
                raise BadRequest(f"scope {scope} is not in 0..255")
            dev = self._dev(request.link)
            if dev is None:
                return hp.AddAddressResponse(result=result(-uapi.ENODEV))
            if self._denied(context):
                return hp.AddAddressResponse(result=result(-uapi.EPERM))
            insert = _optional("kernel.net.ipv4.devinet", "inet_insert_ifa")
            if insert is None or self.net.ipv4 is None:
                return hp.AddAddressResponse(result=result(-uapi.EOPNOTSUPP))
            ret = insert(self.net, dev, local, plen, broadcast=brd, scope=scope,
                         label=request.label or None, peer=peer)
            return hp.AddAddressResponse(result=result(ret))
        return await self._run(context, "AddAddress", run)

    async def DeleteAddress(self, request: hp.DeleteAddressRequest, context: Any) -> hp.DeleteAddressResponse:
        def run() -> hp.DeleteAddressResponse:
            local = parse_ipv4(request.local, "local")
            plen = _prefix(request.prefix_length) if request.HasField("prefix_length") else None
            dev = self._dev(request.link)
            if dev is None:
                return hp.DeleteAddressResponse(result=result(-uapi.ENODEV))
            if self._denied(context):
                return hp.DeleteAddressResponse(result=result(-uapi.EPERM))
            delete = _optional("kernel.net.ipv4.devinet", "inet_del_ifa")
            if delete is None or self.net.ipv4 is None:
                return hp.DeleteAddressResponse(result=result(-uapi.EOPNOTSUPP))
            return hp.DeleteAddressResponse(result=result(delete(self.net, dev, local, plen)))
        return await self._run(context, "DeleteAddress", run)

    # --- routes ---
    async def ListRoutes(self, request: hp.ListRoutesRequest, context: Any) -> hp.ListRoutesResponse:
        def run() -> hp.ListRoutesResponse:
            table = request.table if request.HasField("table") else RT_TABLE_MAIN
            routes = [r for r in proc.fib_entries(self.net) if not table or r["table"] == table]
            # fib_trie dump order: tables by id, leaves by key, longer prefixes first within a key
            routes.sort(key=lambda r: (r["table"], r["dst"], -r["prefixlen"]))
            out = []
            for r in routes:
                dev = r["dev"]
                name = dev if isinstance(dev, str) else getattr(dev, "name", "")
                ifindex = getattr(dev, "ifindex", 0) if not isinstance(dev, str) else (
                    getattr(netdev.dev_get_by_name(self.net, dev), "ifindex", 0) if dev else 0)
                out.append(hp.Route(
                    destination=dotted(r["dst"]), prefix_length=r["prefixlen"],
                    gateway=dotted(r["gateway"]) if r["gateway"] else "", link=name or "", ifindex=ifindex,
                    metric=r["metric"], table=r["table"], type=r["type"], scope=r["scope"],
                    protocol=r["protocol"], preferred_source=dotted(r["prefsrc"]) if r["prefsrc"] else "",
                    tos=r.get("tos", 0), mtu=r["mtu"],
                ))
            return hp.ListRoutesResponse(result=result(0), routes=out)
        return await self._run(context, "ListRoutes", run)

    async def AddRoute(self, request: hp.AddRouteRequest, context: Any) -> hp.AddRouteResponse:
        def run() -> hp.AddRouteResponse:
            dst = parse_ipv4(request.destination, "destination")
            plen = _prefix(request.prefix_length)
            gw = parse_ipv4(request.gateway, "gateway", allow_empty=True)
            prefsrc = parse_ipv4(request.preferred_source, "preferred_source", allow_empty=True)
            dev = None
            if request.link:
                dev = netdev.dev_get_by_name(self.net, request.link)
                if dev is None:
                    return hp.AddRouteResponse(result=result(-uapi.ENODEV))
            if self._denied(context):
                return hp.AddRouteResponse(result=result(-uapi.EPERM))
            add = _optional("kernel.net.ipv4.fib", "fib_add_route") or _optional("kernel.net.ipv4.route",
                                                                               "fib_add_route")
            if add is None or self.net.ipv4 is None:
                return hp.AddRouteResponse(result=result(-uapi.EOPNOTSUPP))
            ret = add(self.net, dst, plen, gw, dev, request.metric,
                      type_=request.type if request.HasField("type") else RTN_UNICAST,
                      table=request.table if request.HasField("table") else RT_TABLE_MAIN,
                      scope=request.scope if request.HasField("scope") else None,
                      prefsrc=prefsrc, mtu=request.mtu, protocol=RTPROT_BOOT)
            return hp.AddRouteResponse(result=result(ret))
        return await self._run(context, "AddRoute", run)

    async def DeleteRoute(self, request: hp.DeleteRouteRequest, context: Any) -> hp.DeleteRouteResponse:
        def run() -> hp.DeleteRouteResponse:
            dst = parse_ipv4(request.destination, "destination")
            plen = _prefix(request.prefix_length)
            gw = parse_ipv4(request.gateway, "gateway", allow_empty=True)
            dev = None
            if request.link:
                dev = netdev.dev_get_by_name(self.net, request.link)
                if dev is None:
                    return hp.DeleteRouteResponse(result=result(-uapi.ENODEV))
            if self._denied(context):
                return hp.DeleteRouteResponse(result=result(-uapi.EPERM))
            delete = _optional("kernel.net.ipv4.fib", "fib_del_route") or _optional("kernel.net.ipv4.route",
                                                                                  "fib_del_route")
            if delete is None or self.net.ipv4 is None:
                return hp.DeleteRouteResponse(result=result(-uapi.EOPNOTSUPP))
            ret = delete(self.net, dst, plen, gw, dev, request.metric if request.HasField("metric") else None,
                         table=request.table if request.HasField("table") else RT_TABLE_MAIN,
                         type_=request.type if request.HasField("type") else None)
            return hp.DeleteRouteResponse(result=result(ret))
        return await self._run(context, "DeleteRoute", run)

    # --- neighbours ---
    async def ListNeighbours(self, request: hp.ListNeighboursRequest, context: Any) -> hp.ListNeighboursResponse:
        def run() -> hp.ListNeighboursResponse:
            if request.link and netdev.dev_get_by_name(self.net, request.link) is None:
                return hp.ListNeighboursResponse(result=result(-uapi.ENODEV))
            out = []
            for n in proc.neigh_entries(self.net):
                dev = n["dev"]
                name = dev if isinstance(dev, str) else getattr(dev, "name", "")
                if request.link and name != request.link:
                    continue
                if isinstance(dev, str):
                    dev = netdev.dev_get_by_name(self.net, dev)
                out.append(hp.Neighbour(address=dotted(n["addr"]), lladdr=n["lladdr"], link=name,
                                        ifindex=getattr(dev, "ifindex", 0), state=n["state"], flags=n["flags"]))
            return hp.ListNeighboursResponse(result=result(0), neighbours=out)
        return await self._run(context, "ListNeighbours", run)

    async def AddNeighbour(self, request: hp.AddNeighbourRequest, context: Any) -> hp.AddNeighbourResponse:
        def run() -> hp.AddNeighbourResponse:
            addr = parse_ipv4(request.address, "address")
            state = request.state if request.HasField("state") else NUD_PERMANENT
            if not 0 <= state <= 0xFF:
                raise BadRequest(f"state {state:#x} is not a NUD_* state")
            dev = self._dev(request.link)
            if dev is None:
                return hp.AddNeighbourResponse(result=result(-uapi.ENODEV))
            if self._denied(context):
                return hp.AddNeighbourResponse(result=result(-uapi.EPERM))
            add = _optional("kernel.net.core.neighbour", "neigh_add")
            tbl = proc.arp_table(self.net)
            if add is None or tbl is None:
                return hp.AddNeighbourResponse(result=result(-uapi.EOPNOTSUPP))
            lladdr = bytes(request.lladdr)
            if not lladdr:  # neigh_update: no address given -- keep a known one, else EINVAL
                old = tbl.lookup(dev, addr)
                if old is None or not old.nud_state & NUD_VALID:
                    return hp.AddNeighbourResponse(result=result(-uapi.EINVAL))
                lladdr = old.ha
            if len(lladdr) != len(dev.dev_addr):
                return hp.AddNeighbourResponse(result=result(-uapi.EINVAL))
            return hp.AddNeighbourResponse(result=result(add(tbl, dev, addr, lladdr, state)))
        return await self._run(context, "AddNeighbour", run)

    async def DeleteNeighbour(self, request: hp.DeleteNeighbourRequest,
                              context: Any) -> hp.DeleteNeighbourResponse:
        def run() -> hp.DeleteNeighbourResponse:
            addr = parse_ipv4(request.address, "address")
            dev = self._dev(request.link)
            if dev is None:
                return hp.DeleteNeighbourResponse(result=result(-uapi.ENODEV))
            if self._denied(context):
                return hp.DeleteNeighbourResponse(result=result(-uapi.EPERM))
            delete = _optional("kernel.net.core.neighbour", "neigh_del")
            tbl = proc.arp_table(self.net)
            if delete is None or tbl is None:
                return hp.DeleteNeighbourResponse(result=result(-uapi.EOPNOTSUPP))
            return hp.DeleteNeighbourResponse(result=result(delete(tbl, dev, addr)))
        return await self._run(context, "DeleteNeighbour", run)

    # --- sysctls and /proc ---
    def _sysctl(self, key: str) -> hp.Sysctl:
        return hp.Sysctl(name=key, value=proc.sysctl_format(self.host.sysctl[key]).rstrip("\n"))

    async def GetSysctl(self, request: hp.GetSysctlRequest, context: Any) -> hp.GetSysctlResponse:
        def run() -> hp.GetSysctlResponse:
            if not request.name:
                raise BadRequest("a sysctl name is required")
            key = proc.sysctl_name(request.name)
            if key not in self.host.sysctl:
                return hp.GetSysctlResponse(result=result(-uapi.ENOENT))
            return hp.GetSysctlResponse(result=result(0), sysctl=self._sysctl(key))
        return await self._run(context, "GetSysctl", run)

    async def SetSysctl(self, request: hp.SetSysctlRequest, context: Any) -> hp.SetSysctlResponse:
        def run() -> hp.SetSysctlResponse:
            if not request.name:
                raise BadRequest("a sysctl name is required")
            key = proc.sysctl_name(request.name)
            if key not in self.host.sysctl:
                return hp.SetSysctlResponse(result=result(-uapi.ENOENT))
            if self._denied(context):
                return hp.SetSysctlResponse(result=result(-uapi.EPERM), sysctl=self._sysctl(key))
            ret = proc.proc_sys_write(self.host, key, request.value)
            return hp.SetSysctlResponse(result=result(ret), sysctl=self._sysctl(key))
        return await self._run(context, "SetSysctl", run)

    async def ListSysctls(self, request: hp.ListSysctlsRequest, context: Any) -> hp.ListSysctlsResponse:
        def run() -> hp.ListSysctlsResponse:
            prefix = proc.sysctl_name(request.prefix) if "/" in request.prefix else request.prefix
            keys = sorted(k for k in self.host.sysctl if k.startswith(prefix))
            return hp.ListSysctlsResponse(result=result(0), sysctls=[self._sysctl(k) for k in keys])
        return await self._run(context, "ListSysctls", run)

    async def ReadProc(self, request: hp.ReadProcRequest, context: Any) -> hp.ReadProcResponse:
        def run() -> hp.ReadProcResponse:
            if not request.path:
                raise BadRequest("a path is required")
            text = proc.proc_read(self.host, request.path)
            if isinstance(text, int):
                return hp.ReadProcResponse(result=result(text))
            return hp.ReadProcResponse(result=result(0), content=text.encode("utf-8", "surrogateescape"))
        return await self._run(context, "ReadProc", run)

    # --- capture ---
    async def Capture(self, request: hp.CaptureRequest, context: Any) -> AsyncIterator[hp.CaptureResponse]:
        """A live capture: the first message has the result and the file header, then the frames."""
        if not request.link:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "a link name is required")
        if request.format not in (hp.CAPTURE_FORMAT_UNSPECIFIED, hp.CAPTURE_FORMAT_PCAP, hp.CAPTURE_FORMAT_PCAPNG):
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, f"unknown capture format {request.format}")
        if request.file_only and not request.file:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "file_only needs a file")
        dev = netdev.dev_get_by_name(self.net, request.link)
        if dev is None:
            yield hp.CaptureResponse(result=result(-uapi.ENODEV))
            return
        if self._denied(context, uapi.CAP_NET_RAW):
            yield hp.CaptureResponse(result=result(-uapi.EPERM))
            return
        start_capture = _optional("kernel.net.core.capture", "start_capture")
        if start_capture is None:
            yield hp.CaptureResponse(result=result(-uapi.EOPNOTSUPP))
            return
        file = None
        if request.file:
            try:
                file = open(request.file, "wb")  # noqa: SIM115  (closed in finally)
            except OSError as exc:
                yield hp.CaptureResponse(result=result(-(exc.errno or uapi.EIO)))
                return
        queue: asyncio.Queue[bytes | None] = asyncio.Queue()
        stream = not request.file_only
        chunks_seen = 0  # the file header, then one chunk per frame
        capture: Any = None

        def sink(chunk: bytes) -> None:
            nonlocal chunks_seen
            if request.count and chunks_seen > request.count:
                return  # past the count (the capture stops with the last one)
            chunks_seen += 1
            if file is not None:
                file.write(chunk)
                file.flush()
            queue.put_nowait(chunk if stream else b"")
            if request.count and chunks_seen > request.count:
                if capture is not None:
                    capture.stop()
                queue.put_nowait(None)

        def on_netdev(event: int, d: netdev.NetDevice) -> None:
            if d is dev and event == netdev.NETDEV_UNREGISTER:
                queue.put_nowait(None)

        fmt = "pcapng" if request.format == hp.CAPTURE_FORMAT_PCAPNG else "pcap"
        snaplen = request.snaplen or 262144
        promisc = False
        try:
            capture = start_capture(dev, sink, fmt=fmt, snaplen=snaplen, ts_offset=time.time() - self.net.clock.now())
            netdev.register_netdevice_notifier(self.net, on_netdev)
            if request.promiscuous:
                netdev.dev_set_promiscuity(dev, 1)
                promisc = True
            header = queue.get_nowait()
            yield hp.CaptureResponse(result=result(0), data=header or b"")
            done = False
            while not done:
                chunk = await queue.get()
                if chunk is None:
                    return  # the NIC went away
                chunks = [chunk]
                while not queue.empty():
                    more = queue.get_nowait()
                    if more is None:
                        done = True  # the count is reached (or the NIC went away)
                        break
                    chunks.append(more)
                yield hp.CaptureResponse(data=b"".join(chunks), packets=capture.packets, byte_count=capture.bytes)
        finally:
            if capture is not None:
                capture.stop()
            if on_netdev in self.net.netdev_chain:
                self.net.netdev_chain.remove(on_netdev)
            if promisc:
                netdev.dev_set_promiscuity(dev, -1)
            if file is not None:
                file.close()

    # --- labs: impairments, carrier, faults, lab links ---
    async def SetImpairment(self, request: hp.SetImpairmentRequest, context: Any) -> hp.SetImpairmentResponse:
        def run() -> hp.SetImpairmentResponse:
            dev = self._dev(request.link)
            if dev is None:
                return hp.SetImpairmentResponse(result=result(-uapi.ENODEV))
            if not request.clear and not request.netem:
                raise BadRequest("netem words (delay 20ms loss 1% ...) or clear")
            if self._denied(context):
                return hp.SetImpairmentResponse(result=result(-uapi.EPERM))
            try:
                q = set_netem(self.host, dev, None if request.clear else list(request.netem))
            except ValueError as exc:
                raise BadRequest(f"netem: {exc}") from None
            return hp.SetImpairmentResponse(result=result(0), **netem_status(q))
        return await self._run(context, "SetImpairment", run)

    async def SetCarrier(self, request: hp.SetCarrierRequest, context: Any) -> hp.SetCarrierResponse:
        def run() -> hp.SetCarrierResponse:
            dev = self._dev(request.link)
            if dev is None:
                return hp.SetCarrierResponse(result=result(-uapi.ENODEV))
            if self._denied(context):
                return hp.SetCarrierResponse(result=result(-uapi.EPERM))
            if dev.type == netdev.ARPHRD_LOOPBACK:
                return hp.SetCarrierResponse(result=result(-uapi.EOPNOTSUPP))
            if request.carrier:
                netdev.netif_carrier_on(dev)
            else:
                netdev.netif_carrier_off(dev)
            return hp.SetCarrierResponse(result=result(0))
        return await self._run(context, "SetCarrier", run)

    def _faults(self) -> Any:
        from kernel.net.fault import fault_table

        return fault_table(self.net)

    async def ListFaults(self, request: hp.ListFaultsRequest, context: Any) -> hp.ListFaultsResponse:
        def run() -> hp.ListFaultsResponse:
            return hp.ListFaultsResponse(result=result(0), rules=[fault_message(r) for r in self._faults().rules()])
        return await self._run(context, "ListFaults", run)

    async def AddSyscallFault(self, request: hp.AddSyscallFaultRequest, context: Any) -> hp.AddSyscallFaultResponse:
        def run() -> hp.AddSyscallFaultResponse:
            from kernel.syscalls import ops

            if request.syscall not in ops():
                raise BadRequest(f"unknown syscall {request.syscall!r}")
            err = getattr(uapi, request.error_name.upper(), None) if request.error_name.upper().startswith("E") \
                else None
            if not isinstance(err, int) or err <= 0:
                raise BadRequest(f"unknown errno {request.error_name!r}")
            if self._denied(context):
                return hp.AddSyscallFaultResponse(result=result(-uapi.EPERM))
            try:
                rule = self._faults().add_syscall(request.syscall, err, count=request.count, pid=request.pid,
                                                  addr=request.address)
            except ValueError as exc:
                raise BadRequest(str(exc)) from None
            return hp.AddSyscallFaultResponse(result=result(0), rule=fault_message(rule))
        return await self._run(context, "AddSyscallFault", run)

    async def AddPacketFault(self, request: hp.AddPacketFaultRequest, context: Any) -> hp.AddPacketFaultResponse:
        def run() -> hp.AddPacketFaultResponse:
            if self._denied(context):
                return hp.AddPacketFaultResponse(result=result(-uapi.EPERM))
            kw: dict[str, Any] = {}
            if request.HasField("icmp_type"):
                kw["icmp_type"] = request.icmp_type
            if request.HasField("icmp_code"):
                kw["icmp_code"] = request.icmp_code
            try:
                rule = self._faults().add_packet(
                    request.action or "drop", hook=request.hook or "both", proto=request.protocol,
                    src=request.source, dst=request.destination, sport=request.source_port,
                    dport=request.destination_port, tcp_flags=request.tcp_flags,
                    tcp_flags_mask=request.tcp_flags_mask, delay=request.delay_seconds, count=request.count, **kw)
            except ValueError as exc:
                raise BadRequest(str(exc)) from None
            return hp.AddPacketFaultResponse(result=result(0), rule=fault_message(rule))
        return await self._run(context, "AddPacketFault", run)

    async def DeleteFault(self, request: hp.DeleteFaultRequest, context: Any) -> hp.DeleteFaultResponse:
        def run() -> hp.DeleteFaultResponse:
            if self._denied(context):
                return hp.DeleteFaultResponse(result=result(-uapi.EPERM))
            table = self._faults()
            if not request.id:
                return hp.DeleteFaultResponse(result=result(0), removed=table.clear())
            if not table.remove(request.id):
                return hp.DeleteFaultResponse(result=result(-uapi.ENOENT))
            return hp.DeleteFaultResponse(result=result(0), removed=1)
        return await self._run(context, "DeleteFault", run)

    async def ListLabLinks(self, request: hp.ListLabLinksRequest, context: Any) -> hp.ListLabLinksResponse:
        def run() -> hp.ListLabLinksResponse:
            lab = self.lab
            if lab is None:
                return hp.ListLabLinksResponse(result=result(0), host_name=self.host.name)
            links = [hp.LabLink(link=e["link"], peer=e["peer"], role=e["role"], state=e["state"],
                                target=e.get("target", ""), stats={k: int(v) for k, v in e.get("stats", {}).items()})
                     for e in lab.link_status()]
            return hp.ListLabLinksResponse(result=result(0), lab=lab.name, host_name=self.host.name, links=links)
        return await self._run(context, "ListLabLinks", run)


def fault_message(rule: Any) -> hp.FaultRule:
    kind = "syscall" if hasattr(rule, "op") else "packet"
    return hp.FaultRule(id=rule.id, kind=kind, description=rule.describe(), hits=rule.hits)


def set_netem(host: Host, dev: netdev.NetDevice, netem: list[str] | dict[str, Any] | None) -> Any:
    """tc qdisc replace dev DEV root netem ...: change the NIC's netem in place (queued frames keep
    their times) or attach a new one seeded from the host's rng; None removes it.  ValueError on bad words."""
    from kernel.net.sched import qdisc_attach, qdisc_detach
    from kernel.net.sched.sch_netem import NetemQdisc, netem_params_from_dict, parse_netem_args

    if netem is None:
        if dev.qdisc is not None:
            qdisc_detach(dev)
        return None
    params = netem_params_from_dict(netem) if isinstance(netem, dict) else parse_netem_args(list(netem))
    q = dev.qdisc
    if isinstance(q, NetemQdisc):
        q.change(params)
        return q
    q = NetemQdisc(host.clock, host.rng, params)
    qdisc_attach(dev, q)
    return q


def netem_status(q: Any) -> dict[str, Any]:
    """The qdisc in tc syntax and its counters (for SetImpairmentResponse)."""
    if q is None:
        return {"qdisc": "", "counters": {}}
    from kernel.net.sched.sch_netem import format_netem

    return {"qdisc": "netem " + format_netem(q.params), "counters": {k: int(v) for k, v in q.counters().items()}}


def add_to_server(server: grpc.aio.Server, host: Host, principal: Callable[[Any], Any] | None = None,
                  lab: Any = None) -> HostService:
    """Register the Host service of ``host`` on ``server`` (``lab``: the daemon's lab, for ListLabLinks:
    ``name`` and ``link_status()`` -> list of dicts link/peer/role/state/target/stats)."""
    service = HostService(host, principal)
    service.lab = lab
    hp_grpc.add_HostServicer_to_server(service, server)
    return service

