"""The IPv4 forwarding information base (net/ipv4/fib_frontend.c, fib_trie.c, fib_semantics.c).

Two tables per namespace, as Linux's default rules consult them: ``local``
(RT_TABLE_LOCAL, 255: local, broadcast and loopback routes the kernel adds
for each address) then ``main`` (RT_TABLE_MAIN, 254: connected, static and
default routes).  A table is a dict per prefix length (0..32) of masked
destination -> aliases, kept sorted by metric (``priority``); a lookup walks
prefix lengths from 32 down (longest-prefix match) and, at each length, takes
the first alias that passes the checks of fib_table_lookup:

- a route whose scope is narrower than the flow asks for is skipped
  (``fa_scope < flowi4_scope``: a SO_DONTROUTE lookup at RT_SCOPE_LINK never
  sees gateway routes);
- an output interface in the flow must be the route's device;
- a route whose device is down is dead (only host-scope routes survive a
  NETDEV_DOWN: ``fib_sync_down_dev``);
- RTN_UNREACHABLE / PROHIBIT / BLACKHOLE routes end the lookup with their
  error (-EHOSTUNREACH / -EACCES / -EINVAL), THROW goes on to the next table.

Kernel routes remember the address that made them (``ifa``) so deleting an
address deletes its routes (fib_del_ifaddr).  The admin API
(``fib_add_route``/``fib_del_route``/``fib_dump``) follows `ip route`:
EEXIST for a duplicate (same prefix, tos, metric), ENETDOWN for a device
that is down, ENETUNREACH for a gateway that is not on-link, ESRCH when
deleting what is not there, EINVAL for a prefix with host bits set.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from kernel import uapi

if TYPE_CHECKING:
    from kernel.net.core.dev import NetDevice
    from kernel.net.core.net_namespace import Net

# include/uapi/linux/rtnetlink.h
RT_SCOPE_UNIVERSE = 0
RT_SCOPE_SITE = 200
RT_SCOPE_LINK = 253
RT_SCOPE_HOST = 254
RT_SCOPE_NOWHERE = 255

RTN_UNSPEC = 0
RTN_UNICAST = 1
RTN_LOCAL = 2
RTN_BROADCAST = 3
RTN_ANYCAST = 4
RTN_MULTICAST = 5
RTN_BLACKHOLE = 6
RTN_UNREACHABLE = 7
RTN_PROHIBIT = 8
RTN_THROW = 9
RTN_NAT = 10
RTN_NAMES = {RTN_UNSPEC: "unspec", RTN_UNICAST: "unicast", RTN_LOCAL: "local", RTN_BROADCAST: "broadcast",
             RTN_ANYCAST: "anycast", RTN_MULTICAST: "multicast", RTN_BLACKHOLE: "blackhole",
             RTN_UNREACHABLE: "unreachable", RTN_PROHIBIT: "prohibit", RTN_THROW: "throw", RTN_NAT: "nat"}

RT_TABLE_UNSPEC = 0
RT_TABLE_DEFAULT = 253
RT_TABLE_MAIN = 254
RT_TABLE_LOCAL = 255

RTPROT_UNSPEC = 0
RTPROT_REDIRECT = 1
RTPROT_KERNEL = 2
RTPROT_BOOT = 3
RTPROT_STATIC = 4

# fib_props[type].error
_TYPE_ERROR = {RTN_BLACKHOLE: -uapi.EINVAL, RTN_UNREACHABLE: -uapi.EHOSTUNREACH, RTN_PROHIBIT: -uapi.EACCES,
               RTN_THROW: -uapi.EAGAIN}


_MASKS = tuple((0xFFFFFFFF << (32 - plen)) & 0xFFFFFFFF if plen else 0 for plen in range(33))


def inet_make_mask(prefixlen: int) -> int:
    return _MASKS[prefixlen]


def inet_mask_len(mask: int) -> int:
    return bin(mask).count("1")


@dataclass(eq=False)
class FibAlias:
    """One route (struct fib_alias + its fib_info and single nexthop)."""

    dst: int
    prefixlen: int
    type: int = RTN_UNICAST
    scope: int = RT_SCOPE_UNIVERSE
    dev: NetDevice | None = None
    gw: int = 0
    priority: int = 0  # the metric
    prefsrc: int = 0
    protocol: int = RTPROT_BOOT
    table: int = RT_TABLE_MAIN
    tos: int = 0
    mtu: int = 0  # RTAX_MTU (0: the device's)
    ifa: Any = None  # the InIfaddr a kernel route belongs to

    @property
    def nh_scope(self) -> int:
        """fib_nh_scope: a gateway is reached at link scope; a host route's nexthop is nowhere."""
        if self.scope == RT_SCOPE_HOST:
            return RT_SCOPE_NOWHERE
        return RT_SCOPE_LINK if self.gw else RT_SCOPE_HOST

    def alive(self) -> bool:
        if self.dev is None:
            return self.type in _TYPE_ERROR
        return self.dev.is_up or self.scope == RT_SCOPE_HOST


@dataclass(frozen=True, slots=True)
class FibResult:
    """struct fib_result: what a lookup found."""

    alias: FibAlias
    prefixlen: int
    table: int

    @property
    def type(self) -> int:
        return self.alias.type

    @property
    def scope(self) -> int:
        return self.alias.scope

    @property
    def dev(self) -> NetDevice | None:
        return self.alias.dev

    @property
    def gw(self) -> int:
        return self.alias.gw

    @property
    def prefsrc(self) -> int:
        return self.alias.prefsrc


@dataclass(eq=False)
class FibTable:
    """struct fib_table: LPM over one dict of masked prefixes per prefix length."""

    id: int
    by_len: list[dict[int, list[FibAlias]]] = field(default_factory=lambda: [{} for _ in range(33)])
    _walk: list[tuple[int, int, dict[int, list[FibAlias]]]] | None = field(default=None, repr=False)

    def aliases(self) -> list[FibAlias]:
        out: list[FibAlias] = []
        for plen in range(32, -1, -1):
            for key in sorted(self.by_len[plen]):
                out.extend(self.by_len[plen][key])
        return out

    def _active(self) -> list[tuple[int, int, dict[int, list[FibAlias]]]]:
        """The prefix lengths that hold routes, longest first, with their masks (the LPM walk;
        rebuilt after an insert or a remove)."""
        if self._walk is None:
            self._walk = [(plen, _MASKS[plen], self.by_len[plen]) for plen in range(32, -1, -1) if self.by_len[plen]]
        return self._walk

    def find(self, dst: int, prefixlen: int) -> list[FibAlias]:
        return self.by_len[prefixlen].get(dst, [])

    def insert(self, fa: FibAlias, *, exclusive: bool = True) -> int:
        """fib_table_insert: -EEXIST for the same prefix/tos/metric when exclusive;
        a kernel append of an identical route is a no-op."""
        self._walk = None
        bucket = self.by_len[fa.prefixlen].setdefault(fa.dst, [])
        for old in bucket:
            if old.tos == fa.tos and old.priority == fa.priority:
                if exclusive:
                    return -uapi.EEXIST
                if (old.type, old.dev, old.gw, old.prefsrc, old.scope) == (fa.type, fa.dev, fa.gw, fa.prefsrc,
                                                                          fa.scope):
                    return -uapi.EEXIST
        bucket.append(fa)
        bucket.sort(key=lambda a: (a.tos == 0, a.priority))  # stable: insertion order within a metric
        return 0

    def remove(self, fa: FibAlias) -> None:
        self._walk = None
        bucket = self.by_len[fa.prefixlen].get(fa.dst)
        if bucket and fa in bucket:
            bucket.remove(fa)
            if not bucket:
                del self.by_len[fa.prefixlen][fa.dst]

    def remove_if(self, pred: Any) -> int:
        n = 0
        for fa in self.aliases():
            if pred(fa):
                self.remove(fa)
                n += 1
        return n

    def lookup(self, daddr: int, *, scope: int = RT_SCOPE_UNIVERSE, oif: int = 0, tos: int = 0,
               ) -> FibResult | int | None:
        """fib_table_lookup: a FibResult, a -errno of an error route, or None (no match)."""
        for plen, mask, prefixes in self._active():
            bucket = prefixes.get(daddr & mask)
            if not bucket:
                continue
            for fa in bucket:
                if fa.tos and fa.tos != tos:
                    continue
                if fa.scope < scope:
                    continue
                err = _TYPE_ERROR.get(fa.type)
                if err is not None:
                    return err
                if not fa.alive():
                    continue
                if oif and (fa.dev is None or fa.dev.ifindex != oif):
                    continue
                return FibResult(fa, plen, self.id)
        return None


class Fib:
    """The namespace's tables and rules (local, then main)."""

    def __init__(self) -> None:
        self.local = FibTable(RT_TABLE_LOCAL)
        self.main = FibTable(RT_TABLE_MAIN)
        self.tables: dict[int, FibTable] = {RT_TABLE_LOCAL: self.local, RT_TABLE_MAIN: self.main}

    def get_table(self, tb_id: int) -> FibTable:
        tb = self.tables.get(tb_id)
        if tb is None:
            tb = self.tables[tb_id] = FibTable(tb_id)
        return tb

    def lookup(self, daddr: int, *, scope: int = RT_SCOPE_UNIVERSE, oif: int = 0, tos: int = 0,
               ) -> FibResult | int:
        """fib_lookup over the default rules (local, main, default): a result or -ENETUNREACH / -errno."""
        for tb_id in (RT_TABLE_LOCAL, RT_TABLE_MAIN, RT_TABLE_DEFAULT):
            tb = self.tables.get(tb_id)
            if tb is None:
                continue
            res = tb.lookup(daddr, scope=scope, oif=oif, tos=tos)
            if res is None or res == -uapi.EAGAIN:
                continue
            return res
        return -uapi.ENETUNREACH

    def all_aliases(self) -> list[FibAlias]:
        out: list[FibAlias] = []
        for tb_id in sorted(self.tables, key=lambda t: (t != RT_TABLE_MAIN, t)):
            out.extend(self.tables[tb_id].aliases())
        return out


def fib_magic(net: Net, type_: int, dst: int, prefixlen: int, dev: NetDevice, prefsrc: int, ifa: Any,
              priority: int = 0) -> None:
    """fib_magic: a kernel route for an address (unicast in main, the rest in local)."""
    tb = net.ipv4.fib.main if type_ == RTN_UNICAST else net.ipv4.fib.local
    if type_ == RTN_LOCAL:
        scope = RT_SCOPE_HOST
    elif type_ in (RTN_UNICAST, RTN_BROADCAST):
        scope = RT_SCOPE_LINK
    else:
        scope = RT_SCOPE_HOST
    fa = FibAlias(dst & inet_make_mask(prefixlen), prefixlen, type_, scope, dev, 0, priority, prefsrc,
                  RTPROT_KERNEL, tb.id, ifa=ifa)
    tb.insert(fa, exclusive=False)


def fib_add_route(net: Net, dst: int, prefixlen: int, gw: int = 0, dev: NetDevice | None = None, metric: int = 0,
                  *, type_: int = RTN_UNICAST, table: int = RT_TABLE_MAIN, scope: int | None = None,
                  prefsrc: int = 0, mtu: int = 0, protocol: int = RTPROT_BOOT, tos: int = 0) -> int:
    """`ip route add`: 0 or -errno (EINVAL, EEXIST, ENODEV, ENETDOWN, ENETUNREACH)."""
    if not 0 <= prefixlen <= 32:
        return -uapi.EINVAL
    if dst & ~inet_make_mask(prefixlen) & 0xFFFFFFFF:
        return -uapi.EINVAL  # "Invalid prefix for given prefix length"
    if scope is None:
        if type_ in (RTN_LOCAL, RTN_NAT):
            scope = RT_SCOPE_HOST
        elif type_ in (RTN_BROADCAST, RTN_MULTICAST, RTN_ANYCAST):
            scope = RT_SCOPE_LINK
        elif type_ in (RTN_UNICAST, RTN_UNSPEC) and not gw:
            scope = RT_SCOPE_LINK
        else:
            scope = RT_SCOPE_UNIVERSE
    fib = net.ipv4.fib
    if type_ in _TYPE_ERROR:
        dev, gw = None, 0
    elif gw:
        if scope >= RT_SCOPE_LINK:
            return -uapi.EINVAL
        # fib_check_nh_v4_gw: the gateway must be reachable on-link (a route of scope >= link)
        res = fib.lookup(gw, scope=RT_SCOPE_LINK, oif=dev.ifindex if dev is not None else 0)
        if isinstance(res, int) or res.type not in (RTN_UNICAST, RTN_LOCAL) or res.dev is None:
            return -uapi.ENETUNREACH
        if res.type == RTN_LOCAL:
            return -uapi.EINVAL  # a local address is no gateway
        dev = res.dev
    else:
        if dev is None:
            return -uapi.ENODEV
        if not dev.is_up:
            return -uapi.ENETDOWN
    if dev is not None and not dev.is_up:
        return -uapi.ENETDOWN
    fa = FibAlias(dst, prefixlen, type_, scope, dev, gw, metric, prefsrc, protocol, table, tos, mtu)
    return fib.get_table(table).insert(fa)


def fib_del_route(net: Net, dst: int, prefixlen: int, gw: int = 0, dev: NetDevice | None = None,
                  metric: int | None = None, *, table: int = RT_TABLE_MAIN, type_: int | None = None) -> int:
    """`ip route del`: the first route matching what is given; -ESRCH when none."""
    tb = net.ipv4.fib.tables.get(table)
    if tb is None or not 0 <= prefixlen <= 32:
        return -uapi.ESRCH
    for fa in tb.find(dst & inet_make_mask(prefixlen), prefixlen):
        if gw and fa.gw != gw:
            continue
        if dev is not None and fa.dev is not dev:
            continue
        if metric is not None and fa.priority != metric:
            continue
        if type_ is not None and fa.type != type_:
            continue
        tb.remove(fa)
        return 0
    return -uapi.ESRCH


def fib_dump(net: Net) -> list[dict[str, Any]]:
    """Every route of every table (main first), as `ip route show table all` lists them."""
    out: list[dict[str, Any]] = []
    for fa in net.ipv4.fib.all_aliases():
        out.append({
            "table": fa.table, "type": fa.type, "type_name": RTN_NAMES.get(fa.type, str(fa.type)), "dst": fa.dst,
            "prefixlen": fa.prefixlen, "gateway": fa.gw, "dev": fa.dev.name if fa.dev is not None else "",
            "ifindex": fa.dev.ifindex if fa.dev is not None else 0, "metric": fa.priority, "scope": fa.scope,
            "prefsrc": fa.prefsrc, "protocol": fa.protocol, "tos": fa.tos, "mtu": fa.mtu,
        })
    return out


def fib_sync_down_dev(net: Net, dev: NetDevice, *, force: bool = False) -> None:
    """NETDEV_DOWN (force=False: host-scope routes stay) / NETDEV_UNREGISTER (force=True: all go)."""
    for tb in net.ipv4.fib.tables.values():
        tb.remove_if(lambda fa: fa.dev is dev and (force or fa.scope != RT_SCOPE_HOST))
