"""IPv4 addresses on devices (net/ipv4/devinet.c, the address half of fib_frontend.c).

``InDevice`` (``dev.ip_ptr``, struct in_device) holds ``ifa_list`` (primary
addresses first, in insertion order, then secondaries) and ``mc_list``
(joined multicast groups -> user count; 224.0.0.1 is joined on every device
when it comes up, as ip_mc_up does).  An address (``InIfaddr``) that falls
into the subnet of an existing one with the same mask is *secondary*
(IFA_F_SECONDARY); the same local address and mask twice is EEXIST.

Routes follow addresses as fib_add_ifaddr / fib_del_ifaddr make them: a
``local`` route (table local, scope host, source = the subnet's primary) at
once; when the device is up, a ``broadcast`` route for the explicit broadcast
address and, for a primary with prefix < 32, the connected route (table main,
scope link) plus, for prefix < 31, the subnet broadcast route.  NETDEV_DOWN
drops every route of the device but the host-scope ones; NETDEV_UP adds them
back.  The loopback device gets 127.0.0.1/8 (scope host, a ``local``
127.0.0.0/8 route) on its first NETDEV_UP, like inetdev_event.

``inet_select_addr(dev, dst, scope)`` is Linux's source address choice:
the device's first primary address within ``scope`` (one in ``dst``'s
subnet preferred), else any other device's primary address that is not
link-scoped.  ``ip_mc_inc_group`` / ``ip_mc_dec_group`` count group users and
keep the device's link-layer multicast list (01:00:5e + low 23 bits, RFC 1112 6.4).
"""
from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from kernel import uapi
from kernel.net.core.dev import (
    IFF_LOOPBACK,
    IFF_MULTICAST,
    IFF_UP,
    NETDEV_CHANGEADDR,
    NETDEV_DOWN,
    NETDEV_REGISTER,
    NETDEV_UNREGISTER,
    NETDEV_UP,
    NetDevice,
)
from kernel.net.ipv4.fib import (
    RT_SCOPE_HOST,
    RT_SCOPE_LINK,
    RT_SCOPE_UNIVERSE,
    RTN_BROADCAST,
    RTN_LOCAL,
    RTN_UNICAST,
    fib_magic,
    fib_sync_down_dev,
    inet_make_mask,
)

if TYPE_CHECKING:
    from kernel.net.core.dev_ioctl import Ifreq
    from kernel.net.core.net_namespace import Net
    from kernel.process import Process

# include/uapi/linux/if_addr.h
IFA_F_SECONDARY = 0x01
IFA_F_TEMPORARY = IFA_F_SECONDARY
IFA_F_NODAD = 0x02
IFA_F_PERMANENT = 0x80
IFA_F_NOPREFIXROUTE = 0x200

INADDR_LOOPBACK = 0x7F000001
IGMP_ALL_HOSTS = 0xE0000001


def ipv4_is_multicast(addr: int) -> bool:
    return (addr & 0xF0000000) == 0xE0000000


def ipv4_is_local_multicast(addr: int) -> bool:
    return (addr & 0xFFFFFF00) == 0xE0000000


def ipv4_is_lbcast(addr: int) -> bool:
    return addr == 0xFFFFFFFF


def ipv4_is_zeronet(addr: int) -> bool:
    return (addr & 0xFF000000) == 0


def ipv4_is_loopback(addr: int) -> bool:
    return (addr & 0xFF000000) == 0x7F000000


def ip_eth_mc_map(group: int) -> bytes:
    """RFC 1112 6.4: 01:00:5e and the low 23 bits of the group."""
    return bytes((0x01, 0x00, 0x5E, (group >> 16) & 0x7F, (group >> 8) & 0xFF, group & 0xFF))


@dataclass(eq=False)
class InIfaddr:
    """struct in_ifaddr."""

    local: int
    address: int
    prefixlen: int
    mask: int
    broadcast: int
    scope: int
    label: str
    flags: int
    dev: NetDevice

    @property
    def secondary(self) -> bool:
        return bool(self.flags & IFA_F_SECONDARY)

    def match(self, addr: int) -> bool:
        """inet_ifa_match: addr is in this address's subnet."""
        return not ((addr ^ self.address) & self.mask)


@dataclass(eq=False)
class InDevice:
    """struct in_device."""

    dev: NetDevice
    ifa_list: list[InIfaddr] = field(default_factory=list)
    mc_list: dict[int, int] = field(default_factory=dict)
    dead: bool = False


def in_dev_get(dev: NetDevice | None) -> InDevice | None:
    return None if dev is None else dev.ip_ptr


def inetdev_init(dev: NetDevice) -> InDevice:
    in_dev = InDevice(dev)
    dev.ip_ptr = in_dev
    return in_dev


# --- multicast group membership (device level; sockets count users through igmp.py) ---

def ip_mc_inc_group(in_dev: InDevice, group: int) -> None:
    n = in_dev.mc_list.get(group, 0)
    in_dev.mc_list[group] = n + 1
    if n == 0:
        mac = ip_eth_mc_map(group)
        in_dev.dev.mc_list[mac] = in_dev.dev.mc_list.get(mac, 0) + 1


def ip_mc_dec_group(in_dev: InDevice, group: int) -> None:
    n = in_dev.mc_list.get(group, 0)
    if n <= 0:
        return
    if n == 1:
        del in_dev.mc_list[group]
        mac = ip_eth_mc_map(group)
        users = in_dev.dev.mc_list.get(mac, 0) - 1
        if users > 0:
            in_dev.dev.mc_list[mac] = users
        else:
            in_dev.dev.mc_list.pop(mac, None)
    else:
        in_dev.mc_list[group] = n - 1


def ip_check_mc(in_dev: InDevice | None, group: int) -> bool:
    """ip_check_mc_rcu (no source filters): the device joined the group."""
    return in_dev is not None and group in in_dev.mc_list


# --- addresses ------------------------------------------------------------

def inet_ifa_byprefix(in_dev: InDevice, prefix: int, mask: int) -> InIfaddr | None:
    for ifa in in_dev.ifa_list:
        if ifa.mask == mask and not ((prefix ^ ifa.address) & mask):
            return ifa
    return None


def fib_add_ifaddr(net: Net, ifa: InIfaddr) -> None:
    """fib_add_ifaddr: the routes an address brings."""
    dev = ifa.dev
    in_dev = in_dev_get(dev)
    if in_dev is None:
        return
    prim = ifa
    mask, prefix = ifa.mask, ifa.address & ifa.mask
    if ifa.secondary:
        found = inet_ifa_byprefix(in_dev, prefix, mask)
        if found is None:
            return
        prim = found
    fib_magic(net, RTN_LOCAL, ifa.local, 32, dev, prim.local, ifa)
    if not dev.is_up:
        return
    if ifa.broadcast and ifa.broadcast != 0xFFFFFFFF:
        fib_magic(net, RTN_BROADCAST, ifa.broadcast, 32, dev, prim.local, ifa)
    if prefix and not ifa.secondary and (prefix != ifa.local or ifa.prefixlen < 32):
        if not ifa.flags & IFA_F_NOPREFIXROUTE:
            fib_magic(net, RTN_LOCAL if dev.flags & IFF_LOOPBACK else RTN_UNICAST, prefix, ifa.prefixlen, dev,
                      prim.local, ifa)
        if ifa.prefixlen < 31:
            fib_magic(net, RTN_BROADCAST, prefix | (~mask & 0xFFFFFFFF), 32, dev, prim.local, ifa)


def fib_del_ifaddr(net: Net, ifa: InIfaddr) -> None:
    for tb in net.ipv4.fib.tables.values():
        tb.remove_if(lambda fa: fa.ifa is ifa)


def inet_insert_ifa(net: Net, dev: NetDevice, addr: int, prefixlen: int, *, broadcast: int | None = None,
                    scope: int = RT_SCOPE_UNIVERSE, label: str | None = None, flags: int = 0,
                    peer: int | None = None) -> int:
    """`ip addr add addr/prefixlen dev`: 0 or -errno.

    ``broadcast``: None (none set, like `ip addr add` without brd), -1 (brd +:
    the subnet broadcast), or an address."""
    in_dev = in_dev_get(dev)
    if in_dev is None or in_dev.dead:
        return -uapi.ENODEV
    if not 0 <= prefixlen <= 32 or not 0 <= addr <= 0xFFFFFFFF:
        return -uapi.EINVAL
    if addr == 0:
        return 0  # inet_insert_ifa frees an address of 0.0.0.0 silently
    mask = inet_make_mask(prefixlen)
    if broadcast is None:
        brd = 0
    elif broadcast == -1:
        brd = (addr | (~mask & 0xFFFFFFFF)) if prefixlen < 31 else 0
    else:
        brd = broadcast
    address = addr if peer is None else peer
    ifa = InIfaddr(addr, address, prefixlen, mask, brd, scope, label or dev.name, flags & ~IFA_F_SECONDARY, dev)
    last_primary = 0
    for i, ifa1 in enumerate(in_dev.ifa_list):
        if not ifa1.secondary and ifa.scope <= ifa1.scope:
            last_primary = i + 1
        if ifa1.mask == ifa.mask and ifa1.match(ifa.address):
            if ifa1.local == ifa.local:
                return -uapi.EEXIST
            if ifa1.scope != ifa.scope:
                return -uapi.EINVAL
            ifa.flags |= IFA_F_SECONDARY
    if ifa.secondary:
        in_dev.ifa_list.append(ifa)
    else:
        in_dev.ifa_list.insert(last_primary, ifa)
    fib_add_ifaddr(net, ifa)
    return 0


def inet_del_ifa(net: Net, dev: NetDevice, addr: int, prefixlen: int | None = None) -> int:
    """`ip addr del`: 0 or -EADDRNOTAVAIL.  Deleting a primary deletes its
    secondaries unless net.ipv4.conf.all.promote_secondaries is set (then the
    first secondary becomes primary)."""
    in_dev = in_dev_get(dev)
    if in_dev is None:
        return -uapi.ENODEV
    for ifa in in_dev.ifa_list:
        if ifa.local == addr and (prefixlen is None or ifa.prefixlen == prefixlen):
            break
    else:
        return -uapi.EADDRNOTAVAIL
    in_dev.ifa_list.remove(ifa)
    fib_del_ifaddr(net, ifa)
    if not ifa.secondary:
        subs = [s for s in in_dev.ifa_list if s.secondary and s.mask == ifa.mask and ifa.match(s.address)]
        if subs and net.sysctl.get("net.ipv4.conf.all.promote_secondaries", 0):
            promoted = subs[0]
            for s in subs:
                fib_del_ifaddr(net, s)
            promoted.flags &= ~IFA_F_SECONDARY
            for s in subs:
                fib_add_ifaddr(net, s)
        else:
            for s in subs:
                in_dev.ifa_list.remove(s)
                fib_del_ifaddr(net, s)
    return 0


def inet_select_addr(dev: NetDevice | None, dst: int, scope: int) -> int:
    """inet_select_addr: a source address on dev for dst within scope, else any non-link one (0 if none)."""
    addr = 0
    in_dev = in_dev_get(dev)
    if in_dev is not None:
        for ifa in in_dev.ifa_list:
            if ifa.secondary or ifa.scope > scope:
                continue
            if not dst or ifa.match(dst):
                return ifa.local
            if not addr:
                addr = ifa.local
    if addr or dev is None or dev.net is None:
        return addr
    for other in sorted(dev.net.dev_index_head.values(), key=lambda d: d.ifindex):
        idev = in_dev_get(other)
        if idev is None:
            continue
        for ifa in idev.ifa_list:
            if not ifa.secondary and ifa.scope != RT_SCOPE_LINK and ifa.scope <= scope:
                return ifa.local
    return 0


def inet_confirm_addr(net: Net, in_dev: InDevice | None, dst: int, local: int, scope: int) -> int:
    """inet_confirm_addr: is ``local`` (or, when 0, some address for dst) configured within scope?"""
    devs = [in_dev] if in_dev is not None else [d.ip_ptr for d in net.dev_index_head.values() if d.ip_ptr]
    for idev in devs:
        for ifa in idev.ifa_list:
            if ifa.scope > scope:
                continue
            if local and ifa.local == local and (not dst or ifa.match(dst)):
                return local
            if not local and (not dst or ifa.match(dst)):
                return ifa.local
    return 0


def inet_lookup_ifaddr(net: Net, addr: int) -> InIfaddr | None:
    """inet_lookup_ifaddr_rcu: the address entry with this local address, on any device."""
    for dev in net.dev_index_head.values():
        in_dev = in_dev_get(dev)
        if in_dev is None:
            continue
        for ifa in in_dev.ifa_list:
            if ifa.local == addr:
                return ifa
    return None


def ip_dev_find(net: Net, addr: int) -> NetDevice | None:
    """__ip_dev_find: the device that has addr as a local address."""
    ifa = inet_lookup_ifaddr(net, addr)
    if ifa is not None:
        return ifa.dev
    res = net.ipv4.fib.local.lookup(addr)
    if res is not None and not isinstance(res, int) and res.type == RTN_LOCAL:
        return res.dev
    return None


def inet_addr_dump(net: Net) -> list[dict[str, object]]:
    """Every address of every device (for `ip addr`)."""
    out: list[dict[str, object]] = []
    for dev in sorted(net.dev_index_head.values(), key=lambda d: d.ifindex):
        in_dev = in_dev_get(dev)
        if in_dev is None:
            continue
        for ifa in in_dev.ifa_list:
            out.append({"ifindex": dev.ifindex, "dev": dev.name, "local": ifa.local, "address": ifa.address,
                        "prefixlen": ifa.prefixlen, "broadcast": ifa.broadcast, "scope": ifa.scope,
                        "label": ifa.label, "flags": ifa.flags})
    return out


# --- the netdevice notifier (inetdev_event + fib_netdev_event) -------------

def inetdev_event(net: Net, event: int, dev: NetDevice) -> None:
    in_dev = in_dev_get(dev)
    if event == NETDEV_REGISTER:
        if in_dev is None and dev.mtu >= 68:
            inetdev_init(dev)
        return
    if in_dev is None:
        return
    if event == NETDEV_UP:
        if dev.flags & IFF_LOOPBACK and not in_dev.ifa_list:
            inet_insert_ifa(net, dev, INADDR_LOOPBACK, 8, scope=RT_SCOPE_HOST, flags=IFA_F_PERMANENT)
        if dev.flags & (IFF_MULTICAST | IFF_LOOPBACK) and IGMP_ALL_HOSTS not in in_dev.mc_list:
            ip_mc_inc_group(in_dev, IGMP_ALL_HOSTS)
        for ifa in list(in_dev.ifa_list):
            fib_add_ifaddr(net, ifa)
    elif event == NETDEV_DOWN:
        fib_sync_down_dev(net, dev)
        net.ipv4.neigh_ifdown(dev)
    elif event == NETDEV_CHANGEADDR:
        net.ipv4.neigh_ifdown(dev)
    elif event == NETDEV_UNREGISTER:
        fib_sync_down_dev(net, dev, force=True)
        net.ipv4.neigh_ifdown(dev)
        in_dev.ifa_list.clear()
        in_dev.dead = True
        dev.ip_ptr = None


# --- devinet_ioctl: the IPv4 address ioctls of inet (and packet) sockets ---------------

def devinet_ioctl(proc: Process, net: Net, cmd: int, ifr: Ifreq) -> int:
    """devinet_ioctl: SIOCGIF{ADDR,BRDADDR,DSTADDR,NETMASK} and SIOCSIFFLAGS (aliases).

    The getters find the address by label (``eth0:1``), the one whose local
    address is the ifr_addr passed in first when that is AF_INET (4.4BSD), and
    fill ifr_addr as a zeroed sockaddr_in; a device without such an address is
    EADDRNOTAVAIL.  SIOCSIFFLAGS needs CAP_NET_ADMIN; on an alias it can only
    delete the alias's address (IFF_UP clear), else it is dev_change_flags.
    Setting addresses (SIOCSIFADDR ...) goes through the Host service and is
    not modelled here.
    """
    from kernel.net.core.dev import dev_change_flags, dev_get_by_name
    from kernel.net.core.dev_ioctl import SIOCGIFDSTADDR

    sin_orig = ifr.get_sockaddr()
    ifr.terminate_name()
    colon = ifr.split_alias()
    getters = (uapi.SIOCGIFADDR, uapi.SIOCGIFBRDADDR, SIOCGIFDSTADDR, uapi.SIOCGIFNETMASK)
    tryaddrmatch = False
    if cmd in getters:
        tryaddrmatch = struct.unpack_from("<H", sin_orig)[0] == uapi.AF_INET
        ifr.set_sockaddr(struct.pack("<H", uapi.AF_INET) + bytes(14))
    elif cmd == uapi.SIOCSIFFLAGS:
        if not proc.capable(uapi.CAP_NET_ADMIN):
            return -uapi.EPERM
    else:
        return -uapi.EINVAL
    dev = dev_get_by_name(net, ifr.name)
    if dev is None:
        return -uapi.ENODEV
    ifr.put_alias(colon)
    label = ifr.name
    in_dev = in_dev_get(dev)
    ifa: InIfaddr | None = None
    if in_dev is not None:
        if tryaddrmatch:
            local = struct.unpack_from(">I", sin_orig, 4)[0]
            ifa = next((a for a in in_dev.ifa_list if a.label == label and a.local == local), None)
        if ifa is None:
            ifa = next((a for a in in_dev.ifa_list if a.label == label), None)
    if ifa is None and cmd != uapi.SIOCSIFFLAGS:
        return -uapi.EADDRNOTAVAIL
    if cmd == uapi.SIOCSIFFLAGS:
        if colon >= 0:
            if ifa is None:
                return -uapi.EADDRNOTAVAIL
            if not ifr.get_short() & IFF_UP:
                inet_del_ifa(net, dev, ifa.local, ifa.prefixlen)
            return 0
        return dev_change_flags(dev, ifr.get_short() & 0xFFFFFFFF)
    assert ifa is not None
    value = {uapi.SIOCGIFADDR: ifa.local, uapi.SIOCGIFBRDADDR: ifa.broadcast, SIOCGIFDSTADDR: ifa.address,
             uapi.SIOCGIFNETMASK: ifa.mask}[cmd]
    ifr.set_sockaddr(struct.pack("<HH", uapi.AF_INET, 0) + struct.pack(">I", value) + bytes(8))
    return 0


__all__ = [
    "IFA_F_NOPREFIXROUTE", "IFA_F_PERMANENT", "IFA_F_SECONDARY", "InDevice", "InIfaddr", "RTN_UNICAST",
    "devinet_ioctl", "in_dev_get", "inet_confirm_addr", "inet_del_ifa", "inet_insert_ifa", "inet_select_addr", "ip_check_mc",
    "ip_dev_find", "ip_eth_mc_map", "ip_mc_dec_group", "ip_mc_inc_group", "ipv4_is_lbcast", "ipv4_is_local_multicast",
    "ipv4_is_loopback", "ipv4_is_multicast", "ipv4_is_zeronet",
]
