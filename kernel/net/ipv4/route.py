"""IPv4 routing decisions (net/ipv4/route.c) on top of the FIB (fib.py).

``ip_route_output_key(net, fl4)`` is ip_route_output_key_hash_rcu: it checks
a given source (-EINVAL unless it is local, or FLOWI_FLAG_ANYSRC), honours
an output interface (``oif``: -ENODEV / -ENETUNREACH when down; link-local
multicast and 255.255.255.255 go out of it directly; a failed lookup with an
oif assumes the destination is on-link), sends a zero destination to
loopback, looks the FIB up at ``fl4.scope`` (RT_SCOPE_LINK for SO_DONTROUTE:
gateway routes do not match -> -ENETUNREACH), turns local destinations to
``lo`` and chooses the source (the route's prefsrc, else inet_select_addr on
the nexthop device) into ``fl4.saddr``.  The route (``Rtable``) then gets its
type and flags as __mkroute_output gives them: 255.255.255.255 and subnet
broadcasts are RTN_BROADCAST with RTCF_BROADCAST|RTCF_LOCAL; multicast is
RTN_MULTICAST with RTCF_MULTICAST, plus RTCF_LOCAL only when the output device
joined the group; 127/8 out of a non-loopback device is -EINVAL; no route is
-ENETUNREACH.  There is no route cache: each call is a fresh lookup; learned
path MTUs (``ipv4_update_pmtu``, ICMP fragmentation needed, RFC 1191) live in
a per-destination exception table for ip_rt_mtu_expires (600 s).

``ip_route_input(skb, daddr, saddr, tos, dev)`` is ip_route_input_noref: it
sets ``skb.cb["rt"]`` to an input route whose ``input`` says what happens
next -- "local" (local delivery: RTN_LOCAL, broadcast, joined multicast),
"forward" (net.ipv4.ip_forward on and a unicast route) or "error" (no
route: ``error`` is -EHOSTUNREACH on a host, -ENETUNREACH on a router;
ip_error counts and answers it).  Martians (multicast or broadcast sources,
0/8 and 127/8 where they cannot be, a local address as source on a real
device: fib_validate_source) give -EINVAL (dropped).  ``lo`` accepts 127/8 as
Linux's loopback does (there the output route rides along with the skb).
``rt_spec_dst`` is fib_compute_spec_dst (IP_PKTINFO's ipi_spec_dst).

``inet_addr_type(net, addr)`` classifies an address (RTN_LOCAL, RTN_BROADCAST
for 0/8, 255.255.255.255 and subnet broadcasts, RTN_MULTICAST, RTN_UNICAST).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kernel import uapi
from kernel.net.core.dev import IFF_LOOPBACK, IFF_UP, NetDevice, dev_get_by_index
from kernel.net.core.skbuff import SkBuff
from kernel.net.ipv4.devinet import (
    in_dev_get,
    inet_lookup_ifaddr,
    inet_select_addr,
    ip_check_mc,
    ip_dev_find,
    ipv4_is_lbcast,
    ipv4_is_local_multicast,
    ipv4_is_loopback,
    ipv4_is_multicast,
    ipv4_is_zeronet,
)
from kernel.net.ipv4.fib import (
    RT_SCOPE_HOST,
    RT_SCOPE_LINK,
    RT_SCOPE_NOWHERE,
    RT_SCOPE_SITE,
    RT_SCOPE_UNIVERSE,
    RT_TABLE_LOCAL,
    RT_TABLE_MAIN,
    RTN_ANYCAST,
    RTN_BLACKHOLE,
    RTN_BROADCAST,
    RTN_LOCAL,
    RTN_MULTICAST,
    RTN_NAT,
    RTN_PROHIBIT,
    RTN_THROW,
    RTN_UNICAST,
    RTN_UNREACHABLE,
    RTN_UNSPEC,
    FibAlias,
    FibResult,
    fib_add_route,
    fib_del_route,
    fib_dump,
)

if TYPE_CHECKING:
    from kernel.net.core.net_namespace import Net

__all__ = [
    "FLOWI_FLAG_ANYSRC", "Flowi4", "RTCF_BROADCAST", "RTCF_DOREDIRECT", "RTCF_LOCAL", "RTCF_MULTICAST",
    "RT_SCOPE_HOST", "RT_SCOPE_LINK", "RT_SCOPE_NOWHERE", "RT_SCOPE_SITE", "RT_SCOPE_UNIVERSE",
    "RT_TABLE_LOCAL", "RT_TABLE_MAIN", "RTN_ANYCAST", "RTN_BLACKHOLE", "RTN_BROADCAST", "RTN_LOCAL",
    "RTN_MULTICAST", "RTN_NAT", "RTN_PROHIBIT", "RTN_THROW", "RTN_UNICAST", "RTN_UNREACHABLE", "RTN_UNSPEC",
    "Rtable", "fib_add_route", "fib_del_route", "fib_dump", "inet_addr_type", "inet_addr_type_dev",
    "ip_route_input", "ip_route_output_key", "ipv4_update_pmtu", "ipv4_sk_update_pmtu", "ip_rt_min_pmtu",
]

RTCF_DOREDIRECT = 0x01000000
RTCF_DIRECTSRC = 0x04000000
RTCF_BROADCAST = 0x10000000
RTCF_MULTICAST = 0x20000000
RTCF_LOCAL = 0x80000000

FLOWI_FLAG_ANYSRC = 0x01  # IP_FREEBIND / IP_TRANSPARENT / ip_nonlocal_bind: the source need not be local
FLOWI_FLAG_KNOWN_NH = 0x02

ip_rt_min_pmtu = 512 + 20 + 20  # 552
ip_rt_mtu_expires = 600.0
IP_MAX_MTU = 0xFFFF


@dataclass
class Flowi4:
    """struct flowi4: what a route lookup is about."""

    daddr: int = 0
    saddr: int = 0
    tos: int = 0
    oif: int = 0
    iif: int = 0
    proto: int = 0
    scope: int = RT_SCOPE_UNIVERSE
    flags: int = 0
    sport: int = 0
    dport: int = 0
    mark: int = 0
    icmp_type: int = 0
    icmp_code: int = 0


@dataclass(eq=False)
class Rtable:
    """struct rtable: an output or input route."""

    dev: NetDevice
    rt_type: int = RTN_UNICAST
    rt_flags: int = 0
    rt_gateway: int = 0  # 0: the destination is on-link
    rt_pmtu: int = 0  # a learned path MTU (0: none)
    fib_mtu: int = 0  # the route's mtu metric (0: the device's)
    rt_iif: int = 0  # input routes: the receiving interface
    rt_dst: int = 0
    rt_src: int = 0
    rt_spec_dst: int = 0  # input routes: the local address for replies (IP_PKTINFO ipi_spec_dst)
    rt_is_input: bool = False
    input: str = ""  # "local" | "forward" | "error" | "" (output only)
    error: int = 0  # for input == "error": -EHOSTUNREACH / -ENETUNREACH ...
    rt_scope: int = RT_SCOPE_UNIVERSE

    def dst_mtu(self) -> int:
        """dst_mtu / ipv4_mtu: a learned PMTU, else the route metric, else the device's MTU."""
        mtu = self.rt_pmtu or self.fib_mtu or self.dev.mtu
        return min(mtu, IP_MAX_MTU)

    def nexthop(self, daddr: int) -> int:
        """rt_nexthop: the gateway, or the destination itself when on-link."""
        return self.rt_gateway or daddr


# --- address classification ---------------------------------------------------

def inet_addr_type_dev(net: Net, dev: NetDevice | None, addr: int) -> int:
    """__inet_dev_addr_type: RTN_* of addr (on dev, when given)."""
    if ipv4_is_zeronet(addr) or ipv4_is_lbcast(addr):
        return RTN_BROADCAST
    if ipv4_is_multicast(addr):
        return RTN_MULTICAST
    res = net.ipv4.fib.local.lookup(addr)
    if isinstance(res, FibResult) and (dev is None or res.dev is dev):
        return res.type
    return RTN_UNICAST


def inet_addr_type(net: Net, addr: int) -> int:
    return inet_addr_type_dev(net, None, addr)


# --- path MTU exceptions (fib_nh_exception) -----------------------------------

def ipv4_update_pmtu(net: Net, daddr: int, mtu: int) -> None:
    """__ip_rt_update_pmtu: remember a smaller path MTU for daddr (never below min_pmtu)."""
    if mtu < ip_rt_min_pmtu:
        mtu = ip_rt_min_pmtu
    net.ipv4.pmtu_exceptions[daddr] = (mtu, net.clock.now() + ip_rt_mtu_expires)


def ipv4_sk_update_pmtu(skb: Any, sk: Any, mtu: int) -> None:
    """ipv4_sk_update_pmtu: an ICMP fragmentation-needed about a packet of ``sk``.

    ``skb`` data is at the quoted IP header (as err_handlers get it): learn the
    path MTU towards its destination, and refresh the socket's cached route to
    that destination at once (IP_MTU reads it)."""
    if not mtu or skb.doff + 20 > skb.tail:
        return
    daddr = int.from_bytes(skb.head[skb.doff + 16:skb.doff + 20], "big")
    net = sk.net
    ipv4_update_pmtu(net, daddr, mtu)
    rt = getattr(sk, "sk_dst_cache", None)
    if rt is not None and getattr(sk, "inet_daddr", 0) == daddr:
        rt.rt_pmtu = _learned_pmtu(net, daddr)


def _learned_pmtu(net: Net, daddr: int) -> int:
    exc = net.ipv4.pmtu_exceptions.get(daddr)
    if exc is None:
        return 0
    mtu, expires = exc
    if net.clock.now() >= expires:
        del net.ipv4.pmtu_exceptions[daddr]
        return 0
    return int(mtu)


# --- output -------------------------------------------------------------------

def _fib_result_prefsrc(res: FibResult) -> int:
    fa = res.alias
    if fa.prefsrc:
        return fa.prefsrc
    return inet_select_addr(fa.dev, fa.gw, fa.nh_scope)


def ip_route_output_key(net: Net, fl4: Flowi4) -> Rtable | int:
    """ip_route_output_key_hash_rcu + __mkroute_output: a route or -errno; fills fl4.saddr/daddr/oif."""
    res: FibResult | None = None
    res_type = RTN_UNSPEC
    orig_oif = fl4.oif
    dev_out: NetDevice | None = None
    if fl4.saddr:
        if ipv4_is_multicast(fl4.saddr) or ipv4_is_lbcast(fl4.saddr) or ipv4_is_zeronet(fl4.saddr):
            return -uapi.EINVAL
        if not fl4.oif and (ipv4_is_multicast(fl4.daddr) or ipv4_is_lbcast(fl4.daddr)):
            dev_out = ip_dev_find(net, fl4.saddr)
            if dev_out is None:
                return -uapi.EINVAL
            fl4.oif = dev_out.ifindex
            return _mkroute_output(net, fl4, None, res_type, dev_out, orig_oif)
        if not fl4.flags & FLOWI_FLAG_ANYSRC and ip_dev_find(net, fl4.saddr) is None:
            return -uapi.EINVAL
    if fl4.oif:
        dev_out = dev_get_by_index(net, fl4.oif)
        if dev_out is None:
            return -uapi.ENODEV
        if not dev_out.flags & IFF_UP or in_dev_get(dev_out) is None:
            return -uapi.ENETUNREACH
        if ipv4_is_local_multicast(fl4.daddr) or ipv4_is_lbcast(fl4.daddr) or fl4.proto == uapi.IPPROTO_IGMP:
            if not fl4.saddr:
                fl4.saddr = inet_select_addr(dev_out, 0, RT_SCOPE_LINK)
            return _mkroute_output(net, fl4, None, res_type, dev_out, orig_oif)
        if not fl4.saddr:
            if ipv4_is_multicast(fl4.daddr):
                fl4.saddr = inet_select_addr(dev_out, 0, fl4.scope)
            elif not fl4.daddr:
                fl4.saddr = inet_select_addr(dev_out, 0, RT_SCOPE_HOST)
    if not fl4.daddr:
        fl4.daddr = fl4.saddr
        if not fl4.daddr:
            fl4.daddr = fl4.saddr = 0x7F000001
        lo = net.loopback_dev
        assert lo is not None
        fl4.oif = lo.ifindex
        return _mkroute_output(net, fl4, None, RTN_LOCAL, lo, orig_oif)
    found = net.ipv4.fib.lookup(fl4.daddr, scope=fl4.scope, oif=fl4.oif, tos=fl4.tos)
    if isinstance(found, int):
        if fl4.oif and dev_out is not None:
            # "Apparently, routing tables are wrong. Assume, that the destination is on link."
            if not fl4.saddr:
                fl4.saddr = inet_select_addr(dev_out, 0, RT_SCOPE_LINK)
            return _mkroute_output(net, fl4, None, RTN_UNICAST, dev_out, orig_oif)
        return found
    res = found
    if res.type == RTN_LOCAL:
        if not fl4.saddr:
            fl4.saddr = res.prefsrc or fl4.daddr
        lo = net.loopback_dev
        assert lo is not None
        fl4.oif = lo.ifindex
        return _mkroute_output(net, fl4, res, RTN_LOCAL, lo, orig_oif)
    if not fl4.saddr:
        fl4.saddr = _fib_result_prefsrc(res)
    assert res.dev is not None
    dev_out = res.dev
    fl4.oif = dev_out.ifindex
    return _mkroute_output(net, fl4, res, res.type, dev_out, orig_oif)


def _mkroute_output(net: Net, fl4: Flowi4, res: FibResult | None, type_: int, dev_out: NetDevice,
                    orig_oif: int) -> Rtable | int:
    in_dev = in_dev_get(dev_out)
    if in_dev is None:
        return -uapi.EINVAL
    if ipv4_is_loopback(fl4.daddr) and not dev_out.flags & IFF_LOOPBACK \
            and not net.sysctl.get("net.ipv4.conf.all.route_localnet", 0):
        return -uapi.EINVAL
    if ipv4_is_lbcast(fl4.daddr):
        type_ = RTN_BROADCAST
    elif ipv4_is_multicast(fl4.daddr):
        type_ = RTN_MULTICAST
    elif ipv4_is_zeronet(fl4.daddr):
        return -uapi.EINVAL
    flags = 0
    if dev_out.flags & IFF_LOOPBACK:
        flags |= RTCF_LOCAL
    fa: FibAlias | None = res.alias if res is not None else None
    if type_ == RTN_BROADCAST:
        flags |= RTCF_BROADCAST | RTCF_LOCAL
        fa = None
    elif type_ == RTN_MULTICAST:
        flags |= RTCF_MULTICAST | RTCF_LOCAL
        if not ip_check_mc(in_dev, fl4.daddr):
            flags &= ~RTCF_LOCAL
        if fa is not None and res is not None and res.prefixlen < 4:
            fa = None
    if type_ == RTN_UNSPEC:
        type_ = RTN_UNICAST
    rt = Rtable(dev_out, type_, flags, rt_dst=fl4.daddr, rt_src=fl4.saddr)
    if fa is not None:
        if fa.gw and fa.nh_scope == RT_SCOPE_LINK:
            rt.rt_gateway = fa.gw
        rt.fib_mtu = fa.mtu
        rt.rt_scope = fa.scope
    if type_ not in (RTN_BROADCAST, RTN_MULTICAST, RTN_LOCAL):
        rt.rt_pmtu = _learned_pmtu(net, fl4.daddr)
    if flags & RTCF_LOCAL:
        rt.input = "local"
    return rt


# --- input --------------------------------------------------------------------

def _martian_source_check(net: Net, dev: NetDevice, saddr: int) -> bool:
    """fib_validate_source without rp_filter: a local address as source is a martian on a real device."""
    if dev.flags & IFF_LOOPBACK or net.sysctl.get("net.ipv4.conf.all.accept_local", 0):
        return True
    return inet_lookup_ifaddr(net, saddr) is None


def fib_compute_spec_dst(net: Net, dev: NetDevice, rt_flags: int, daddr: int, saddr: int) -> int:
    """fib_compute_spec_dst: the local address a reply to this packet would use."""
    if rt_flags & RTCF_LOCAL and not rt_flags & (RTCF_BROADCAST | RTCF_MULTICAST):
        return daddr
    scope = RT_SCOPE_UNIVERSE
    if not ipv4_is_zeronet(saddr):
        res = net.ipv4.fib.lookup(saddr, scope=scope)
        if isinstance(res, FibResult):
            return _fib_result_prefsrc(res)
    else:
        scope = RT_SCOPE_LINK
    return inet_select_addr(dev, saddr, scope)


def _local_input(net: Net, skb: SkBuff, dev: NetDevice, daddr: int, saddr: int, type_: int, flags: int,
                 error: int = 0) -> int:
    lo = net.loopback_dev
    rt = Rtable(lo if lo is not None else dev, type_, flags | RTCF_LOCAL, rt_iif=dev.ifindex, rt_dst=daddr,
                rt_src=saddr, rt_is_input=True, input="local")
    if type_ == RTN_UNREACHABLE:
        rt.input = "error"
        rt.error = error
        rt.rt_flags &= ~RTCF_LOCAL
    else:
        rt.rt_spec_dst = fib_compute_spec_dst(net, dev, rt.rt_flags, daddr, saddr)
    skb.cb["rt"] = rt
    return 0


def ip_route_input(skb: SkBuff, daddr: int, saddr: int, tos: int, dev: NetDevice) -> int:
    """ip_route_input_noref: 0 with skb.cb["rt"] set, or -EINVAL (martian / not for us: drop)."""
    net = dev.net
    assert net is not None
    in_dev = in_dev_get(dev)
    if in_dev is None:
        return -uapi.EINVAL
    is_lo = bool(dev.flags & IFF_LOOPBACK)
    if ipv4_is_multicast(daddr):
        if not ip_check_mc(in_dev, daddr):
            return -uapi.EINVAL
        if ipv4_is_multicast(saddr) or ipv4_is_lbcast(saddr):
            return -uapi.EINVAL
        if ipv4_is_zeronet(saddr) and not ipv4_is_local_multicast(daddr):
            # from 0.0.0.0 only to link-local groups, or IGMP
            proto = skb.head[skb.network_header + 9] if skb.network_header >= 0 else 0
            if proto != uapi.IPPROTO_IGMP:
                return -uapi.EINVAL
        if saddr and not _martian_source_check(net, dev, saddr):
            return -uapi.EINVAL
        return _local_input(net, skb, dev, daddr, saddr, RTN_MULTICAST, RTCF_MULTICAST)
    if ipv4_is_multicast(saddr) or ipv4_is_lbcast(saddr):
        return -uapi.EINVAL  # martian source
    if ipv4_is_lbcast(daddr) or (saddr == 0 and daddr == 0):
        return _brd_input(net, skb, dev, daddr, saddr)
    if ipv4_is_zeronet(saddr):
        return -uapi.EINVAL
    if ipv4_is_zeronet(daddr):
        return -uapi.EINVAL  # martian destination
    localnet = is_lo or bool(net.sysctl.get("net.ipv4.conf.all.route_localnet", 0))
    if ipv4_is_loopback(daddr):
        if not localnet:
            return -uapi.EINVAL
    elif ipv4_is_loopback(saddr) and not localnet:
        return -uapi.EINVAL
    forwarding = bool(net.sysctl.get("net.ipv4.ip_forward", 0))
    res = net.ipv4.fib.lookup(daddr, tos=tos)
    if isinstance(res, int):
        err = res if forwarding else -uapi.EHOSTUNREACH
        return _local_input(net, skb, dev, daddr, saddr, RTN_UNREACHABLE, 0, err)
    if res.type == RTN_BROADCAST:
        return _brd_input(net, skb, dev, daddr, saddr)
    if res.type == RTN_LOCAL:
        if not _martian_source_check(net, dev, saddr):
            return -uapi.EINVAL
        return _local_input(net, skb, dev, daddr, saddr, RTN_LOCAL, 0)
    if not forwarding:
        return _local_input(net, skb, dev, daddr, saddr, RTN_UNREACHABLE, 0, -uapi.EHOSTUNREACH)
    if res.type != RTN_UNICAST or res.dev is None:
        return -uapi.EINVAL  # martian destination
    if not _martian_source_check(net, dev, saddr):
        return -uapi.EINVAL
    out = res.dev
    rt = Rtable(out, RTN_UNICAST, 0, rt_iif=dev.ifindex, rt_dst=daddr, rt_src=saddr, rt_is_input=True,
                input="forward", fib_mtu=res.alias.mtu, rt_scope=res.scope)
    if res.gw and res.alias.nh_scope == RT_SCOPE_LINK:
        rt.rt_gateway = res.gw
    if out is dev:
        rt.rt_flags |= RTCF_DOREDIRECT
    rt.rt_pmtu = _learned_pmtu(net, daddr)
    skb.cb["rt"] = rt
    return 0


def _brd_input(net: Net, skb: SkBuff, dev: NetDevice, daddr: int, saddr: int) -> int:
    if saddr and not _martian_source_check(net, dev, saddr):
        return -uapi.EINVAL
    return _local_input(net, skb, dev, daddr, saddr, RTN_BROADCAST, RTCF_BROADCAST)
