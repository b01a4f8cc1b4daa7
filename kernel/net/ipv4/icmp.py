"""ICMP for IPv4 (RFC 792, RFC 1122 3.2.2, RFC 1812 4.3; net/ipv4/icmp.c).

``icmp_send(skb_in, type, code, info)`` answers a packet (skb_in's
network header is its IP header, ``skb_in.cb["rt"]`` its route) with an
error, as __icmp_send does: never about a broadcast/multicast packet, a
packet not addressed to this host's link address, a fragment other than the
first, or an ICMP error; from the address the packet was sent to when it was
local, else the source the route to the sender picks; TOS with precedence
"internetwork control"; quoting as much of the packet as fits in 576 bytes;
echoing its options.  Rate limits as Linux: the global token bucket
(icmp_msgs_per_sec / icmp_msgs_burst, refilled at most every 20 ms, each
message spending 0..2 tokens) and the per-destination bucket (inet_peer
xrlim: one message per icmp_ratelimit ms, bursts of 6), both only for the
types in icmp_ratemask (fragmentation needed is never limited) and never for
packets that came in on, or answers that leave through, loopback; counted
in Icmp OutRateLimitGlobal / OutRateLimitHost.

``icmp_rcv`` (the IPPROTO_ICMP handler) counts Icmp InMsgs (InCsumErrors and
InErrors for a bad checksum or a short message) and IcmpMsg InType<N>, drops
echo/timestamp to broadcast or multicast when icmp_echo_ignore_broadcasts
(and any other type sent there), then dispatches: echo -> echo reply (unless
icmp_echo_ignore_all), timestamp -> timestamp reply, echo reply ->
``raw_hooks.ping_rcv``, destination unreachable / source quench / time
exceeded / parameter problem / redirect -> ``icmp_socket_deliver``:
``raw_hooks.icmp_error`` then ``inet_protos[inner protocol].err_handler(skb,
info)`` with skb data at the quoted IP header and ``skb.cb["icmp"] =
(type, code, info)`` (info: the next-hop MTU for fragmentation needed, the
pointer for parameter problem, the gateway for redirect).  A fragmentation
needed also records the path MTU (ipv4_update_pmtu) unless
ip_no_pmtu_disc.  Counters: ``icmp_out_count``/``icmp_in_count`` keep
IcmpMsg OutType<N>/InType<N> and the matching Icmp column, as
/proc/net/snmp shows them.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from kernel import uapi
from kernel.net.core.dev import IFF_LOOPBACK
from kernel.net.core.skbuff import PACKET_HOST, PACKET_LOOPBACK, SkBuff, alloc_skb
from kernel.net.ipv4.ip_options import IpOptions, ip_options_echo, iptime_ms
from kernel.net.ipv4.ip_output import ip_build_xmit
from kernel.net.ipv4.protocol import NetProtocol, inet_add_protocol, inet_protos, raw_hooks
from kernel.net.ipv4.route import (
    RTCF_BROADCAST,
    RTCF_LOCAL,
    RTCF_MULTICAST,
    Flowi4,
    Rtable,
    ip_route_output_key,
    ipv4_update_pmtu,
)
from kernel.net.wire.checksum import internet_checksum

if TYPE_CHECKING:
    from kernel.net.core.net_namespace import Net

NR_ICMP_TYPES = 18
NR_ICMP_UNREACH = 15
IPTOS_TOS_MASK = 0x1E
IPTOS_PREC_INTERNETCONTROL = 0xC0
HZ = 1000  # rate-limit arithmetic in milliseconds (msecs_to_jiffies is exact at this HZ)
XRLIM_BURST_FACTOR = 6

ICMP_ERROR_TYPES = frozenset({uapi.ICMP_DEST_UNREACH, uapi.ICMP_SOURCE_QUENCH, uapi.ICMP_REDIRECT,
                              uapi.ICMP_TIME_EXCEEDED, uapi.ICMP_PARAMETERPROB})
# icmpmibmap (net/ipv4/proc.c): type -> the Icmp column suffix
_MIB_NAMES = {0: "EchoReps", 3: "DestUnreachs", 4: "SrcQuenchs", 5: "Redirects", 8: "Echos", 11: "TimeExcds",
              12: "ParmProbs", 13: "Timestamps", 14: "TimestampReps", 17: "AddrMasks", 18: "AddrMaskReps"}


def icmp_out_count(net: Net, type_: int) -> None:
    """icmp_out_count: IcmpMsg OutType<N> and Icmp OutMsgs (+ the per-type Icmp column)."""
    mib = net.mib
    key = f"OutType{type_}"
    mib["IcmpMsg"][key] = mib["IcmpMsg"].get(key, 0) + 1
    mib["Icmp"]["OutMsgs"] += 1
    name = _MIB_NAMES.get(type_)
    if name is not None:
        mib["Icmp"]["Out" + name] += 1


def icmp_in_count(net: Net, type_: int) -> None:
    mib = net.mib
    key = f"InType{type_}"
    mib["IcmpMsg"][key] = mib["IcmpMsg"].get(key, 0) + 1
    name = _MIB_NAMES.get(type_)
    if name is not None:
        mib["Icmp"]["In" + name] += 1


# --- rate limiting ------------------------------------------------------------

def _jiffies(net: Net) -> int:
    return int(net.clock.now() * HZ)


def icmp_global_allow(net: Net) -> bool:
    """icmp_global_allow: credit left, or a refill of msgs_per_sec * elapsed (at most 1 s, at least 20 ms)."""
    st = net.ipv4
    if st.icmp_global_credit > 0:
        return True
    now = _jiffies(net)
    delta = min(now - st.icmp_global_stamp, HZ)
    if delta < HZ // 50:
        return False
    incr = int(net.sysctl.get("net.ipv4.icmp_msgs_per_sec", 1000)) * delta // HZ
    if not incr:
        return False
    st.icmp_global_stamp = now
    st.icmp_global_credit = min(st.icmp_global_credit + incr, int(net.sysctl.get("net.ipv4.icmp_msgs_burst", 50)))
    return True


def icmp_global_consume(net: Net) -> None:
    credits = net.rng.randrange(3)
    if credits:
        net.ipv4.icmp_global_credit -= credits


def icmpv4_mask_allow(net: Net, type_: int, code: int) -> bool:
    if type_ > NR_ICMP_TYPES:
        return True
    if type_ == uapi.ICMP_DEST_UNREACH and code == uapi.ICMP_FRAG_NEEDED:
        return True
    return not (1 << type_) & int(net.sysctl.get("net.ipv4.icmp_ratemask", 6168))


def icmpv4_global_allow(net: Net, type_: int, code: int) -> tuple[bool, bool]:
    """(allowed, apply_ratelimit)."""
    if icmpv4_mask_allow(net, type_, code):
        return True, False
    if icmp_global_allow(net):
        return True, True
    net.snmp_inc("Icmp", "OutRateLimitGlobal")
    return False, False


def inet_peer_xrlim_allow(net: Net, daddr: int, timeout: int) -> bool:
    """inet_peer_xrlim_allow: one token per ``timeout`` jiffies, at most XRLIM_BURST_FACTOR saved."""
    now = _jiffies(net)
    peers = net.ipv4.icmp_peers
    peer = peers.get(daddr)
    if peer is None:
        peer = peers[daddr] = [0, now - 60 * HZ]
    token = peer[0] + now - peer[1]
    peer[1] = now
    token = min(token, XRLIM_BURST_FACTOR * timeout)
    ok = token >= timeout
    if ok:
        token -= timeout
    peer[0] = token
    return ok


def icmpv4_xrlim_allow(net: Net, rt: Rtable, fl4: Flowi4, type_: int, code: int, apply: bool) -> bool:
    if not apply:
        return True
    ok = True
    if not rt.dev.flags & IFF_LOOPBACK:
        timeout = int(net.sysctl.get("net.ipv4.icmp_ratelimit", 1000)) * HZ // 1000
        ok = inet_peer_xrlim_allow(net, fl4.daddr, timeout)
        if not ok:
            net.snmp_inc("Icmp", "OutRateLimitHost")
    if ok:
        icmp_global_consume(net)
    return ok


# --- sending ------------------------------------------------------------------

def _default_ttl(net: Net) -> int:
    return int(net.sysctl.get("net.ipv4.ip_default_ttl", 64))


def _icmp_push(net: Net, rt: Rtable, fl4: Flowi4, type_: int, code: int, rest: int, data: bytes | memoryview,
               tos: int, opt: IpOptions | None) -> int:
    skb = alloc_skb(8 + len(data))
    skb.put_data(bytes((type_, code, 0, 0)) + (rest & 0xFFFFFFFF).to_bytes(4, "big"))
    skb.put_data(data)
    head = skb.head
    assert isinstance(head, bytearray)
    c = internet_checksum(memoryview(head)[skb.doff:skb.tail])
    head[skb.doff + 2] = c >> 8
    head[skb.doff + 3] = c & 0xFF
    return ip_build_xmit(net, skb, rt=rt, fl4=fl4, proto=uapi.IPPROTO_ICMP, ttl=_default_ttl(net), tos=tos,
                         df=False, opt=opt if opt is not None and opt.optlen else None)


def icmp_send(skb_in: SkBuff, type_: int, code: int, info: int = 0) -> None:
    """__icmp_send: an ICMP error about skb_in (silently nothing when not allowed)."""
    rt: Rtable | None = skb_in.cb.get("rt")
    if rt is None:
        return
    net = rt.dev.net
    if net is None or net.ipv4 is None:
        return
    nh = skb_in.network_header
    head = skb_in.head
    if nh < 0 or nh + 20 > skb_in.tail:
        return
    if rt.rt_flags & (RTCF_BROADCAST | RTCF_MULTICAST):
        return
    if skb_in.pkt_type not in (PACKET_HOST, PACKET_LOOPBACK):
        return
    ihl = (head[nh] & 0xF) * 4
    if int.from_bytes(head[nh + 6:nh + 8], "big") & 0x1FFF:
        return
    is_error = type_ in ICMP_ERROR_TYPES
    if is_error and head[nh + 9] == uapi.IPPROTO_ICMP:
        if nh + ihl >= skb_in.tail:
            return
        inner = head[nh + ihl]
        if inner > NR_ICMP_TYPES or inner in ICMP_ERROR_TYPES:
            return
    src = int.from_bytes(head[nh + 12:nh + 16], "big")
    dst = int.from_bytes(head[nh + 16:nh + 20], "big")
    saddr = dst if rt.rt_flags & RTCF_LOCAL else 0
    tos = ((head[nh + 1] & IPTOS_TOS_MASK) | IPTOS_PREC_INTERNETCONTROL) if is_error else head[nh + 1]
    opt = ip_options_echo(net, skb_in)
    if isinstance(opt, int):
        return
    apply = False
    if not (skb_in.dev is not None and skb_in.dev.flags & IFF_LOOPBACK):
        allowed, apply = icmpv4_global_allow(net, type_, code)
        if not allowed:
            return
    fl4 = Flowi4(daddr=opt.faddr if opt.srr else src, saddr=saddr, tos=tos & IPTOS_TOS_MASK,
                 proto=uapi.IPPROTO_ICMP, icmp_type=type_, icmp_code=code, mark=skb_in.mark)
    rt2 = ip_route_output_key(net, fl4)
    if isinstance(rt2, int):
        return
    if not icmpv4_xrlim_allow(net, rt2, fl4, type_, code, apply):
        return
    room = min(rt2.dst_mtu(), 576) - 20 - opt.optlen - 8
    data_len = min(skb_in.tail - nh, max(room, 0))
    _icmp_push(net, rt2, fl4, type_, code, info, memoryview(head)[nh:nh + data_len], tos, opt)


def icmp_reply(skb: SkBuff, type_: int, code: int, rest: int, data: bytes | memoryview) -> None:
    """icmp_reply: answer an echo / timestamp from the address it was sent to."""
    rt: Rtable = skb.cb["rt"]
    net = rt.dev.net if rt.dev.net is not None else skb.dev.net
    opt = ip_options_echo(net, skb)
    if isinstance(opt, int):
        return
    nh = skb.network_header
    head = skb.head
    src = int.from_bytes(head[nh + 12:nh + 16], "big")
    tos = head[nh + 1]
    allowed, apply = icmpv4_global_allow(net, type_, code)
    if not allowed:
        return
    fl4 = Flowi4(daddr=src, saddr=rt.rt_spec_dst, tos=tos & IPTOS_TOS_MASK, proto=uapi.IPPROTO_ICMP,
                 icmp_type=type_, icmp_code=code, mark=skb.mark)
    rt2 = ip_route_output_key(net, fl4)
    if isinstance(rt2, int):
        return
    if not icmpv4_xrlim_allow(net, rt2, fl4, type_, code, apply):
        return
    _icmp_push(net, rt2, fl4, type_, code, rest, data, tos, opt)


# --- receiving ----------------------------------------------------------------

def icmp_socket_deliver(net: Net, skb: SkBuff, type_: int, code: int, info: int) -> None:
    """Hand an ICMP error to raw sockets and to the quoted protocol's err_handler."""
    view = skb.view()
    if len(view) < 20:
        net.snmp_inc("Icmp", "InErrors")
        return
    ihl = (view[0] & 0xF) * 4
    if ihl < 20 or len(view) < ihl + 8:
        net.snmp_inc("Icmp", "InErrors")
        return
    protocol = view[9]
    skb.cb["icmp"] = (type_, code, info)
    raw_hooks.icmp_error(skb, protocol, info)
    prot = inet_protos.get(protocol)
    if prot is not None and prot.err_handler is not None:
        prot.err_handler(skb, info)


def icmp_unreach(net: Net, skb: SkBuff, type_: int, code: int, rest: int) -> None:
    view = skb.view()
    if len(view) < 20 or (view[0] & 0xF) < 5:
        net.snmp_inc("Icmp", "InErrors")
        return
    if len(view) < (view[0] & 0xF) * 4 + 8:
        return  # the quote must hold 8 bytes of the transport header
    info = 0
    if type_ == uapi.ICMP_DEST_UNREACH:
        if code > NR_ICMP_UNREACH:
            return
        if code == uapi.ICMP_FRAG_NEEDED:
            mode = int(net.sysctl.get("net.ipv4.ip_no_pmtu_disc", 0))
            if mode == 2:
                return
            if mode in (0, 3):
                info = rest & 0xFFFF  # the protocols' err_handlers learn it (ipv4_sk_update_pmtu)
    elif type_ == uapi.ICMP_PARAMETERPROB:
        info = (rest >> 24) & 0xFF
    elif type_ == uapi.ICMP_TIME_EXCEEDED:
        if code == uapi.ICMP_EXC_FRAGTIME:
            return
    elif type_ == uapi.ICMP_REDIRECT:
        info = rest
    icmp_socket_deliver(net, skb, type_, code, info)


def icmp_rcv(skb: SkBuff) -> int:
    """The IPPROTO_ICMP handler: skb data at the ICMP header."""
    rt: Rtable | None = skb.cb.get("rt")
    dev = skb.dev
    net = dev.net if dev is not None else (rt.dev.net if rt is not None else None)
    if net is None or rt is None:
        skb.free()
        return 0
    net.snmp_inc("Icmp", "InMsgs")
    view = skb.view()
    if internet_checksum(view) != 0:
        net.snmp_inc("Icmp", "InCsumErrors")
        net.snmp_inc("Icmp", "InErrors")
        skb.free()
        return 0
    if len(view) < 8:
        net.snmp_inc("Icmp", "InErrors")
        skb.free()
        return 0
    type_, code = view[0], view[1]
    rest = int.from_bytes(view[4:8], "big")
    icmp_in_count(net, type_)
    if rt.rt_flags & (RTCF_BROADCAST | RTCF_MULTICAST):
        if type_ in (uapi.ICMP_ECHO, uapi.ICMP_TIMESTAMP) \
                and net.sysctl.get("net.ipv4.icmp_echo_ignore_broadcasts", 1):
            net.snmp_inc("Icmp", "InErrors")
            skb.free()
            return 0
        if type_ not in (uapi.ICMP_ECHO, uapi.ICMP_TIMESTAMP, uapi.ICMP_ADDRESS, uapi.ICMP_ADDRESSREPLY):
            net.snmp_inc("Icmp", "InErrors")
            skb.free()
            return 0
    if type_ > NR_ICMP_TYPES:
        net.snmp_inc("Icmp", "InErrors")
        skb.free()
        return 0
    if type_ == uapi.ICMP_ECHO:
        if not net.sysctl.get("net.ipv4.icmp_echo_ignore_all", 0):
            icmp_reply(skb, uapi.ICMP_ECHOREPLY, 0, rest, bytes(view[8:]))
    elif type_ == uapi.ICMP_TIMESTAMP:
        if len(view) < 8 + 4:
            net.snmp_inc("Icmp", "InErrors")
        else:
            now = iptime_ms(net).to_bytes(4, "big")
            icmp_reply(skb, uapi.ICMP_TIMESTAMPREPLY, 0, rest, bytes(view[8:12]) + now + now)
    elif type_ == uapi.ICMP_ECHOREPLY:
        raw_hooks.ping_rcv(skb)
    elif type_ in (uapi.ICMP_DEST_UNREACH, uapi.ICMP_SOURCE_QUENCH, uapi.ICMP_TIME_EXCEEDED,
                   uapi.ICMP_PARAMETERPROB, uapi.ICMP_REDIRECT):
        skb.pull(8)
        icmp_unreach(net, skb, type_, code, rest)
    skb.free()
    return 0


def icmp_err(skb: SkBuff, info: int) -> int:
    """icmp_err: an ICMP error quoting an ICMP message we sent: a fragmentation-needed
    teaches the path MTU; ping sockets hear about their echo requests."""
    type_, code, _ = skb.cb.get("icmp", (0, 0, 0))
    if type_ == uapi.ICMP_DEST_UNREACH and code == uapi.ICMP_FRAG_NEEDED and info and skb.doff + 20 <= skb.tail:
        dev = skb.dev
        if dev is not None and dev.net is not None:
            ipv4_update_pmtu(dev.net, int.from_bytes(skb.head[skb.doff + 16:skb.doff + 20], "big"), info)
    raw_hooks.ping_err(skb, info)
    return 0


icmp_protocol = NetProtocol(handler=icmp_rcv, err_handler=icmp_err, no_policy=True)


def icmp_init() -> None:
    inet_add_protocol(icmp_protocol, uapi.IPPROTO_ICMP)
