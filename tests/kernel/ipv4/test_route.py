"""route/fib: longest-prefix match, metrics, scopes, source selection, address types, input routes."""
from __future__ import annotations

from typing import Any

from kernel import uapi
from kernel.net.core.skbuff import skb_from_frame
from kernel.net.ipv4.devinet import ip_mc_inc_group
from kernel.net.ipv4.fib import RT_SCOPE_LINK, fib_add_route, fib_del_route
from kernel.net.ipv4.route import (
    FLOWI_FLAG_ANYSRC,
    RTCF_BROADCAST,
    RTCF_LOCAL,
    RTCF_MULTICAST,
    RTN_BROADCAST,
    RTN_LOCAL,
    RTN_MULTICAST,
    RTN_UNICAST,
    Flowi4,
    inet_addr_type,
    ip_route_input,
    ip_route_output_key,
)
from kernel.net.wire.ipv4 import ip_aton as ip
from kernel.net.wire.ipv4 import ip_ntoa


def router_host(lab: Any) -> tuple[Any, Any, Any]:
    h = lab.host()
    eth0 = lab.channel(h, "eth0")
    eth1 = lab.channel(h, "eth1")
    lab.addr(h, eth0, "10.0.0.1/24")
    lab.addr(h, eth1, "192.168.1.1/24")
    return h, eth0, eth1


def out(h: Any, daddr: str, **kw: Any) -> Any:
    fl = Flowi4(daddr=ip(daddr), **kw)
    rt = ip_route_output_key(h.netns, fl)
    return rt if isinstance(rt, int) else (rt, fl)


def test_longest_prefix_match_and_default(lab: Any) -> None:
    h, eth0, eth1 = router_host(lab)
    assert lab.route(h, "0.0.0.0/0", via="10.0.0.254") == 0
    assert lab.route(h, "172.16.0.0/12", via="192.168.1.254") == 0
    assert lab.route(h, "172.16.5.0/24", via="10.0.0.253") == 0
    rt, fl = out(h, "172.16.5.9")
    assert (rt.dev, ip_ntoa(rt.rt_gateway), ip_ntoa(fl.saddr)) == (eth0, "10.0.0.253", "10.0.0.1")
    rt, fl = out(h, "172.17.0.1")
    assert (rt.dev, ip_ntoa(rt.rt_gateway), ip_ntoa(fl.saddr)) == (eth1, "192.168.1.254", "192.168.1.1")
    rt, fl = out(h, "8.8.8.8")
    assert (rt.dev, ip_ntoa(rt.rt_gateway), rt.rt_type) == (eth0, "10.0.0.254", RTN_UNICAST)
    rt, fl = out(h, "192.168.1.77")
    assert (rt.dev, rt.rt_gateway, ip_ntoa(fl.saddr)) == (eth1, 0, "192.168.1.1")


def test_metric_order_and_delete(lab: Any) -> None:
    h, eth0, eth1 = router_host(lab)
    assert lab.route(h, "0.0.0.0/0", via="192.168.1.254", metric=200) == 0
    assert lab.route(h, "0.0.0.0/0", via="10.0.0.254", metric=100) == 0
    assert lab.route(h, "0.0.0.0/0", via="10.0.0.253", metric=100) == -uapi.EEXIST
    rt, _ = out(h, "1.2.3.4")
    assert rt.rt_gateway == ip("10.0.0.254")
    assert fib_del_route(h.netns, 0, 0, metric=100) == 0
    rt, _ = out(h, "1.2.3.4")
    assert rt.rt_gateway == ip("192.168.1.254")
    assert fib_del_route(h.netns, ip("10.99.0.0"), 16) == -uapi.ESRCH


def test_route_add_errors(lab: Any) -> None:
    h, eth0, eth1 = router_host(lab)
    net = h.netns
    assert fib_add_route(net, ip("10.5.0.1"), 16, dev=eth0) == -uapi.EINVAL  # host bits set
    assert fib_add_route(net, ip("10.5.0.0"), 16, gw=ip("10.7.7.7")) == -uapi.ENETUNREACH  # gateway off-link
    assert fib_add_route(net, ip("10.5.0.0"), 16) == -uapi.ENODEV
    eth1.flags &= ~1  # pretend down without the notifier
    assert fib_add_route(net, ip("10.6.0.0"), 16, dev=eth1) == -uapi.ENETDOWN
    eth1.flags |= 1
    assert fib_add_route(net, ip("10.5.0.0"), 16, dev=eth0) == 0


def test_no_route_dontroute_and_oif(lab: Any) -> None:
    h, eth0, eth1 = router_host(lab)
    assert out(h, "8.8.8.8") == -uapi.ENETUNREACH
    assert lab.route(h, "0.0.0.0/0", via="10.0.0.254") == 0
    # SO_DONTROUTE: a link-scope lookup never sees the gateway route
    assert out(h, "8.8.8.8", scope=RT_SCOPE_LINK) == -uapi.ENETUNREACH
    rt, _ = out(h, "10.0.0.9", scope=RT_SCOPE_LINK)
    assert rt.dev is eth0
    # an oif with no matching route: assumed on-link out of that device
    rt, fl = out(h, "8.8.8.8", oif=eth1.ifindex)
    assert (rt.dev, rt.rt_gateway, ip_ntoa(fl.saddr)) == (eth1, 0, "192.168.1.1")
    assert out(h, "8.8.8.8", oif=999) == -uapi.ENODEV


def test_local_and_loopback_destinations(lab: Any) -> None:
    h, eth0, _ = router_host(lab)
    lo = h.netns.loopback_dev
    rt, fl = out(h, "10.0.0.1")
    assert (rt.dev, rt.rt_type, rt.rt_flags & RTCF_LOCAL, ip_ntoa(fl.saddr)) == (lo, RTN_LOCAL, RTCF_LOCAL,
                                                                                 "10.0.0.1")
    rt, fl = out(h, "127.5.5.5")
    assert (rt.dev, rt.rt_type, ip_ntoa(fl.saddr)) == (lo, RTN_LOCAL, "127.0.0.1")
    rt, fl = out(h, "0.0.0.0")
    assert (rt.dev, ip_ntoa(fl.daddr), ip_ntoa(fl.saddr)) == (lo, "127.0.0.1", "127.0.0.1")
    assert out(h, "127.0.0.1", oif=eth0.ifindex) == -uapi.EINVAL


def test_source_checks(lab: Any) -> None:
    h, eth0, _ = router_host(lab)
    assert out(h, "10.0.0.7", saddr=ip("10.0.0.99")) == -uapi.EINVAL
    rt, fl = out(h, "10.0.0.7", saddr=ip("10.0.0.99"), flags=FLOWI_FLAG_ANYSRC)
    assert fl.saddr == ip("10.0.0.99")
    assert out(h, "10.0.0.7", saddr=ip("224.0.0.5")) == -uapi.EINVAL
    rt, fl = out(h, "10.0.0.7", saddr=ip("192.168.1.1"))  # any local address may be the source
    assert rt.dev is eth0


def test_broadcast_and_multicast_outputs(lab: Any) -> None:
    h, eth0, _ = router_host(lab)
    rt, fl = out(h, "10.0.0.255")
    assert (rt.rt_type, rt.rt_flags & (RTCF_BROADCAST | RTCF_LOCAL)) == (RTN_BROADCAST, RTCF_BROADCAST | RTCF_LOCAL)
    assert out(h, "255.255.255.255") == -uapi.ENETUNREACH  # no oif, no default route
    rt, fl = out(h, "255.255.255.255", oif=eth0.ifindex)
    assert (rt.dev, rt.rt_type, ip_ntoa(fl.saddr)) == (eth0, RTN_BROADCAST, "10.0.0.1")
    rt, fl = out(h, "255.255.255.255", saddr=ip("10.0.0.1"))
    assert rt.dev is eth0
    rt, fl = out(h, "239.1.1.1", oif=eth0.ifindex)
    assert (rt.rt_type, rt.rt_flags & (RTCF_MULTICAST | RTCF_LOCAL)) == (RTN_MULTICAST, RTCF_MULTICAST)
    ip_mc_inc_group(eth0.ip_ptr, ip("239.1.1.1"))
    rt, fl = out(h, "239.1.1.1", oif=eth0.ifindex)
    assert rt.rt_flags & RTCF_LOCAL


def test_inet_addr_type(lab: Any) -> None:
    h, _, _ = router_host(lab)
    net = h.netns
    assert inet_addr_type(net, ip("10.0.0.1")) == RTN_LOCAL
    assert inet_addr_type(net, ip("127.0.0.9")) == RTN_LOCAL
    assert inet_addr_type(net, ip("10.0.0.255")) == RTN_BROADCAST
    assert inet_addr_type(net, ip("255.255.255.255")) == RTN_BROADCAST
    assert inet_addr_type(net, ip("0.1.2.3")) == RTN_BROADCAST
    assert inet_addr_type(net, ip("224.0.0.1")) == RTN_MULTICAST
    assert inet_addr_type(net, ip("10.0.0.2")) == RTN_UNICAST
    assert inet_addr_type(net, ip("8.8.8.8")) == RTN_UNICAST


def _in(h: Any, dev: Any, src: str, dst: str) -> Any:
    skb = skb_from_frame(lab_packet(src, dst), dev)
    skb.network_header = 0
    rc = ip_route_input(skb, ip(dst), ip(src), 0, dev)
    return rc if rc else skb.cb["rt"]


def lab_packet(src: str, dst: str) -> bytes:
    from kernel.net.wire.ipv4 import Ipv4Repr
    return Ipv4Repr(ip(src), ip(dst), 253, 0).to_bytes()


def test_input_routes(lab: Any) -> None:
    h, eth0, eth1 = router_host(lab)
    rt = _in(h, eth0, "10.0.0.2", "10.0.0.1")
    assert (rt.input, rt.rt_type, ip_ntoa(rt.rt_spec_dst)) == ("local", RTN_LOCAL, "10.0.0.1")
    rt = _in(h, eth0, "10.0.0.2", "192.168.1.1")  # weak host model: any local address
    assert rt.input == "local"
    rt = _in(h, eth0, "10.0.0.2", "10.0.0.255")
    assert (rt.input, rt.rt_type, ip_ntoa(rt.rt_spec_dst)) == ("local", RTN_BROADCAST, "10.0.0.1")
    rt = _in(h, eth0, "10.0.0.2", "255.255.255.255")
    assert rt.rt_type == RTN_BROADCAST
    rt = _in(h, eth0, "10.0.0.2", "192.168.1.7")  # not ours, not a router
    assert (rt.input, rt.error) == ("error", -uapi.EHOSTUNREACH)
    h.sysctl["net.ipv4.ip_forward"] = 1
    rt = _in(h, eth0, "10.0.0.2", "192.168.1.7")
    assert (rt.input, rt.dev, rt.rt_gateway) == ("forward", eth1, 0)
    rt = _in(h, eth0, "10.0.0.2", "8.8.8.8")
    assert (rt.input, rt.error) == ("error", -uapi.ENETUNREACH)
    # martians
    assert _in(h, eth0, "224.0.0.9", "10.0.0.1") == -uapi.EINVAL
    assert _in(h, eth0, "127.0.0.1", "10.0.0.1") == -uapi.EINVAL
    assert _in(h, eth0, "10.0.0.2", "127.0.0.1") == -uapi.EINVAL
    assert _in(h, eth0, "10.0.0.1", "10.0.0.1") == -uapi.EINVAL  # our own address as source
    assert _in(h, eth0, "10.0.0.2", "0.0.0.7") == -uapi.EINVAL
    # multicast only when the device joined
    assert _in(h, eth0, "10.0.0.2", "239.9.9.9") == -uapi.EINVAL
    rt = _in(h, eth0, "10.0.0.2", "224.0.0.1")
    assert (rt.input, rt.rt_type) == ("local", RTN_MULTICAST)
