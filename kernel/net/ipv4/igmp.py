"""Socket multicast membership (net/ipv4/igmp.c, the socket half; RFC 1112 section 4, RFC 3376).

``ip_mc_join_group`` / ``ip_mc_leave_group`` keep a socket's ``mc_list``
(IP_ADD_MEMBERSHIP / IP_DROP_MEMBERSHIP with an ip_mreq or ip_mreqn): the
device comes from imr_ifindex, else the device owning imr_address, else the
route to the group (ip_mc_find_dev); EINVAL for a non-multicast group,
ENODEV without a device, EADDRINUSE for a second join of the same group on
the same device, ENOBUFS past net.ipv4.igmp_max_memberships (20),
EADDRNOTAVAIL when leaving a group not joined.  The device's membership is
counted through devinet's ``ip_mc_inc_group`` / ``ip_mc_dec_group``.
``ip_mc_sf_allow`` says whether a socket takes a datagram sent to a group
(joined on that interface, else IP_MULTICAST_ALL).  ``ip_mc_drop_socket``
leaves everything at close.  IGMP membership reports are not sent on the
wire (the devices' group lists are what receive filtering uses).
"""
from __future__ import annotations

from kernel import uapi
from kernel.net.ipv4.inet_sock import InetSock, IpMcSocklist, ipv4_is_multicast

IGMP_MAX_MEMBERSHIPS = 20


def _in_dev_by_index(net: object, ifindex: int) -> object | None:
    dev = net.dev_index_head.get(ifindex)  # type: ignore[attr-defined]
    return None if dev is None else dev.ip_ptr


def ip_mc_find_dev(sk: InetSock, group: int, address: int, ifindex: int) -> tuple[object | None, int]:
    """ip_mc_find_dev: (in_device or None, the ifindex it resolved to)."""
    from kernel.net.ipv4 import route
    from kernel.net.ipv4.devinet import ip_dev_find

    net = sk.net
    if ifindex:
        return _in_dev_by_index(net, ifindex), ifindex
    dev = None
    if address:
        dev = ip_dev_find(net, address)
        if dev is None:
            return None, 0
    if dev is None:
        rt = route.ip_route_output_key(net, route.Flowi4(daddr=group))
        if not isinstance(rt, int):
            dev = rt.dev
    if dev is None:
        return None, 0
    return dev.ip_ptr, dev.ifindex


def ip_mc_join_group(sk: InetSock, group: int, address: int, ifindex: int) -> int:
    from kernel.net.ipv4.devinet import ip_mc_inc_group

    if not ipv4_is_multicast(group):
        return -uapi.EINVAL
    in_dev, ifindex = ip_mc_find_dev(sk, group, address, ifindex)
    if in_dev is None:
        return -uapi.ENODEV
    count = 0
    for iml in sk.mc_list:
        if iml.multiaddr == group and iml.ifindex == ifindex:
            return -uapi.EADDRINUSE
        count += 1
    limit = int(sk.host.sysctl.get("net.ipv4.igmp_max_memberships", IGMP_MAX_MEMBERSHIPS))
    if count >= limit:
        return -uapi.ENOBUFS
    sk.mc_list.insert(0, IpMcSocklist(group, address, ifindex))
    ip_mc_inc_group(in_dev, group)  # type: ignore[arg-type]
    return 0


def ip_mc_leave_group(sk: InetSock, group: int, address: int, ifindex: int) -> int:
    from kernel.net.ipv4.devinet import ip_mc_dec_group

    in_dev, resolved = ip_mc_find_dev(sk, group, address, ifindex)
    if not ifindex and not address and in_dev is None:
        return -uapi.ENODEV
    ifindex = resolved if in_dev is not None else ifindex
    for iml in sk.mc_list:
        if iml.multiaddr != group:
            continue
        if ifindex:
            if iml.ifindex != ifindex:
                continue
        elif address and address != iml.address:
            continue
        sk.mc_list.remove(iml)
        if in_dev is not None:
            ip_mc_dec_group(in_dev, group)  # type: ignore[arg-type]
        return 0
    return -uapi.EADDRNOTAVAIL


def ip_mc_drop_socket(sk: InetSock) -> None:
    """ip_mc_drop_socket: a closing socket leaves every group it joined."""
    from kernel.net.ipv4.devinet import ip_mc_dec_group

    if not sk.mc_list:
        return
    lists, sk.mc_list = sk.mc_list, []
    for iml in lists:
        in_dev = _in_dev_by_index(sk.net, iml.ifindex)
        if in_dev is not None:
            ip_mc_dec_group(in_dev, iml.multiaddr)  # type: ignore[arg-type]


def ip_mc_sf_allow(sk: InetSock, loc_addr: int, rmt_addr: int, dif: int) -> bool:
    """ip_mc_sf_allow: a joined group on that interface, or IP_MULTICAST_ALL for the others."""
    if not ipv4_is_multicast(loc_addr):
        return True
    for iml in sk.mc_list:
        if iml.multiaddr == loc_addr and iml.ifindex == dif:
            if iml.sfmode == 0:  # MCAST_EXCLUDE
                return rmt_addr not in iml.sources
            return rmt_addr in iml.sources
    return sk.mc_all
