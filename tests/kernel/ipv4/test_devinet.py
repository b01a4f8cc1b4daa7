"""devinet: addresses on devices and the routes they bring (checked against `ip` on Linux 6.18)."""
from __future__ import annotations

from typing import Any

from kernel import uapi
from kernel.net.core.dev import dev_close, dev_open
from kernel.net.ipv4.devinet import (
    IFA_F_SECONDARY,
    inet_del_ifa,
    inet_insert_ifa,
    inet_select_addr,
    ip_mc_dec_group,
    ip_mc_inc_group,
)
from kernel.net.ipv4.fib import RT_SCOPE_HOST, RT_SCOPE_LINK, RT_SCOPE_UNIVERSE, fib_dump
from kernel.net.wire.ipv4 import ip_ntoa


def routes(h) -> set[tuple[str, str, str, str]]:
    return {(r["type_name"], f"{ip_ntoa(r['dst'])}/{r['prefixlen']}", r["dev"], ip_ntoa(r["prefsrc"]))
            for r in fib_dump(h.netns)}


LO_ROUTES = {("local", "127.0.0.0/8", "lo", "127.0.0.1"), ("local", "127.0.0.1/32", "lo", "127.0.0.1"),
             ("broadcast", "127.255.255.255/32", "lo", "127.0.0.1")}


def test_loopback_gets_127_0_0_1_on_up(lab: Any) -> None:
    h = lab.host()
    lo = h.netns.loopback_dev
    [ifa] = lo.ip_ptr.ifa_list
    assert (ifa.local, ifa.prefixlen, ifa.scope) == (lab.ip("127.0.0.1"), 8, RT_SCOPE_HOST)
    assert routes(h) == LO_ROUTES
    assert lab.ip("224.0.0.1") in lo.ip_ptr.mc_list


def test_address_routes_follow_the_link_state(lab: Any) -> None:
    h = lab.host()
    dev = lab.channel(h, "eth0")
    dev_close(dev)
    lab.addr(h, dev, "10.9.9.9/24")
    assert routes(h) == LO_ROUTES | {("local", "10.9.9.9/32", "eth0", "10.9.9.9")}
    dev_open(dev)
    lab.addr(h, dev, "10.9.9.10/24")
    lab.addr(h, dev, "10.9.8.1/32")
    assert routes(h) == LO_ROUTES | {
        ("unicast", "10.9.9.0/24", "eth0", "10.9.9.9"),
        ("local", "10.9.8.1/32", "eth0", "10.9.8.1"),
        ("local", "10.9.9.9/32", "eth0", "10.9.9.9"),
        ("local", "10.9.9.10/32", "eth0", "10.9.9.9"),
        ("broadcast", "10.9.9.255/32", "eth0", "10.9.9.9"),
    }
    assert [(ip_ntoa(i.local), bool(i.flags & IFA_F_SECONDARY)) for i in dev.ip_ptr.ifa_list] == [
        ("10.9.9.9", False), ("10.9.8.1", False), ("10.9.9.10", True)]
    dev_close(dev)
    assert routes(h) == LO_ROUTES | {("local", "10.9.8.1/32", "eth0", "10.9.8.1"),
                                     ("local", "10.9.9.9/32", "eth0", "10.9.9.9"),
                                     ("local", "10.9.9.10/32", "eth0", "10.9.9.9")}
    dev_open(dev)
    assert ("unicast", "10.9.9.0/24", "eth0", "10.9.9.9") in routes(h)


def test_duplicate_and_deletion(lab: Any) -> None:
    h = lab.host()
    dev = lab.channel(h, "eth0")
    lab.addr(h, dev, "10.0.0.1/24")
    lab.addr(h, dev, "10.0.0.2/24")
    assert inet_insert_ifa(h.netns, dev, lab.ip("10.0.0.1"), 24) == -uapi.EEXIST
    assert inet_del_ifa(h.netns, dev, lab.ip("10.0.0.7")) == -uapi.EADDRNOTAVAIL
    # deleting the primary takes its secondaries (promote_secondaries = 0)
    assert inet_del_ifa(h.netns, dev, lab.ip("10.0.0.1")) == 0
    assert dev.ip_ptr.ifa_list == []
    assert routes(h) == LO_ROUTES


def test_promote_secondaries(lab: Any) -> None:
    h = lab.host()
    h.sysctl["net.ipv4.conf.all.promote_secondaries"] = 1
    dev = lab.channel(h, "eth0")
    lab.addr(h, dev, "10.0.0.1/24")
    lab.addr(h, dev, "10.0.0.2/24")
    assert inet_del_ifa(h.netns, dev, lab.ip("10.0.0.1")) == 0
    [ifa] = dev.ip_ptr.ifa_list
    assert ifa.local == lab.ip("10.0.0.2") and not ifa.flags & IFA_F_SECONDARY
    assert ("unicast", "10.0.0.0/24", "eth0", "10.0.0.2") in routes(h)


def test_explicit_broadcast_and_point_to_point_prefixes(lab: Any) -> None:
    h = lab.host()
    dev = lab.channel(h, "eth0")
    lab.addr(h, dev, "10.1.0.1/31", broadcast=-1)
    lab.addr(h, dev, "192.168.5.1/24", broadcast=lab.ip("192.168.5.254"))
    r = routes(h)
    assert ("unicast", "10.1.0.0/31", "eth0", "10.1.0.1") in r
    assert not any(x[1].startswith("10.1.0.1/32") and x[0] == "broadcast" for x in r)
    assert ("broadcast", "192.168.5.254/32", "eth0", "192.168.5.1") in r
    assert ("broadcast", "192.168.5.255/32", "eth0", "192.168.5.1") in r


def test_inet_select_addr(lab: Any) -> None:
    h = lab.host()
    eth0 = lab.channel(h, "eth0")
    eth1 = lab.channel(h, "eth1")
    lab.addr(h, eth0, "10.0.0.1/24")
    lab.addr(h, eth0, "10.1.0.1/24")
    lab.addr(h, eth0, "169.254.1.1/16", scope=RT_SCOPE_LINK)
    assert inet_select_addr(eth0, lab.ip("10.1.0.9"), RT_SCOPE_UNIVERSE) == lab.ip("10.1.0.1")
    assert inet_select_addr(eth0, lab.ip("8.8.8.8"), RT_SCOPE_UNIVERSE) == lab.ip("10.0.0.1")
    # no address on eth1: another device's non-link address (never lo's host-scope one)
    assert inet_select_addr(eth1, 0, RT_SCOPE_UNIVERSE) == lab.ip("10.0.0.1")
    assert inet_select_addr(h.netns.loopback_dev, 0, RT_SCOPE_HOST) == lab.ip("127.0.0.1")


def test_multicast_group_counts(lab: Any) -> None:
    h = lab.host()
    dev = lab.channel(h, "eth0")
    g = lab.ip("239.1.2.3")
    ip_mc_inc_group(dev.ip_ptr, g)
    ip_mc_inc_group(dev.ip_ptr, g)
    assert dev.ip_ptr.mc_list[g] == 2 and bytes.fromhex("01005e010203") in dev.mc_list
    ip_mc_dec_group(dev.ip_ptr, g)
    ip_mc_dec_group(dev.ip_ptr, g)
    assert g not in dev.ip_ptr.mc_list and bytes.fromhex("01005e010203") not in dev.mc_list
