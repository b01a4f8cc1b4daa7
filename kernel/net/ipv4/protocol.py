"""The IPv4 protocol switch (net/ipv4/protocol.c) and the raw/ping hooks.

``inet_protos`` maps an IP protocol number to a ``NetProtocol``: ``handler(skb)``
gets a locally delivered packet with skb data at the transport header (the
IP header at ``skb.network_header``, ``skb.cb["ip"]`` the IpCb and
``skb.cb["rt"]`` the input route) and returns 0 (or a protocol number > 0 to
resubmit, as Linux's handlers may); ``err_handler(skb, info)`` gets an ICMP
error about a packet of this protocol with skb data at the *quoted* IP header
and ``skb.cb["icmp"] = (type, code, info)``.  ``inet_add_protocol`` refuses
a taken slot (-EEXIST) as Linux's cmpxchg does; the table is global like
Linux's.

``raw_hooks`` is where the raw and ping socket code plugs in (RAWPKT fills
it): ``deliver(skb, protocol) -> bool`` (raw_local_deliver: clones to the
matching raw sockets, True when one took it), ``icmp_error(skb, protocol,
info)`` (raw_icmp_error), ``ping_err(skb, info)`` (ICMP errors quoting our own
echo requests: icmp_err -> ping_err) and ``ping_rcv(skb) -> bool`` (echo replies for ping
sockets).  Until set they do nothing.  ``ra_deliver(skb) -> bool`` is the
IP_ROUTER_ALERT chain (ip_call_ra_chain) a forwarder consults first.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from kernel import uapi
from kernel.net.core.skbuff import SkBuff

MAX_INET_PROTOS = 256


@dataclass(eq=False)
class NetProtocol:
    """struct net_protocol."""

    handler: Callable[[SkBuff], int]
    err_handler: Callable[[SkBuff, int], int] | None = None
    no_policy: bool = True
    icmp_strict_tag_validation: bool = False


inet_protos: dict[int, NetProtocol] = {}


def inet_add_protocol(prot: NetProtocol, num: int) -> int:
    if not 0 <= num < MAX_INET_PROTOS:
        return -uapi.EINVAL
    if num in inet_protos and inet_protos[num] is not prot:
        return -uapi.EEXIST
    inet_protos[num] = prot
    return 0


def inet_del_protocol(prot: NetProtocol, num: int) -> int:
    if inet_protos.get(num) is not prot:
        return -uapi.ENOENT
    del inet_protos[num]
    return 0


def _no_deliver(skb: SkBuff, protocol: int) -> bool:
    return False


def _no_icmp_error(skb: SkBuff, protocol: int, info: int) -> None:
    return None


def _no_ping(skb: SkBuff) -> bool:
    return False


def _no_ra(skb: SkBuff) -> bool:
    return False


class RawHooks:
    """Entry points the raw / ping socket code installs (no-ops until then)."""

    def __init__(self) -> None:
        self.deliver: Callable[[SkBuff, int], bool] = _no_deliver
        self.icmp_error: Callable[[SkBuff, int, int], None] = _no_icmp_error
        self.ping_rcv: Callable[[SkBuff], bool] = _no_ping
        self.ping_err: Callable[[SkBuff, int], None] = _no_ping_err
        self.ra_deliver: Callable[[SkBuff], bool] = _no_ra


def _no_ping_err(skb: SkBuff, info: int) -> None:
    return None


raw_hooks = RawHooks()
