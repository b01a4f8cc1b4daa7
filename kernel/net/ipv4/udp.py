"""UDP over IPv4 (net/ipv4/udp.c; RFC 768, RFC 1122 section 4.1).

Ports: ``udp_lib_get_port`` binds a port in the namespace's UDP table
(autobind: a random start in the ephemeral range from ``net.rng``, then the
first free port; an explicit port conflicts with a socket bound to the same
or a wildcard address unless both set SO_REUSEADDR, or both set
SO_REUSEPORT with the same owner uid -- the first such socket of the port's
chain, newest first, decides, as udp_lib_lport_inuse does).  Lookup (``udp4_lib_lookup``) scores
sockets as compute_score does: sockets bound to the destination address
first, wildcard sockets after, +4 for a matching connected peer address,
+4 for its port, +4 for a bound device; ties go to the newest socket.

Send (``udp_sendmsg``): EMSGSIZE over 65535, EOPNOTSUPP for MSG_OOB,
EDESTADDRREQ unconnected without an address, EINVAL for port 0, the route
(SO_DONTROUTE / MSG_DONTROUTE look up at link scope; a broadcast route needs
SO_BROADCAST: EACCES), control messages (ip_cmsg_send), the size checks of
ip_append_data (65507 bytes of payload, or the path MTU with
IP_PMTUDISC_DO; IP_RECVERR queues a local EMSGSIZE error), UDP_CORK /
MSG_MORE joining sends into one datagram, then the header with its checksum
to ``ip_build_xmit``.  The flow a pending datagram goes out with is the
socket's inet->cork.fl (``sk.cork_fl``): a corked send addresses it, connect()
re-routes it (even one that fails), and a connected send whose cached route
(``udp_sk_dst_check``) still holds sends with it too, as Linux does.  Send-buffer accounting: the skb charges sk_wmem_alloc
until the device lets it go; a full buffer waits or gives EAGAIN.

Receive (``udp_rcv``): short or bad-checksum datagrams are counted
(InErrors / InCsumErrors) and dropped; broadcast and multicast go to every
matching socket (``__udp4_lib_mcast_deliver``, IgnoredMulti when none);
unicast to the best socket, else NoPorts and an ICMP port unreachable.  A
socket's queue takes an skb while sk_rmem_alloc + truesize fits sk_rcvbuf
(always one when empty); otherwise the datagram is dropped and counted
(sk_drops, RcvbufErrors, InErrors).  truesize is what Linux 6.18 charges for
a loopback datagram (``udp_skb_truesize``).  ``udp_recvmsg`` returns one
datagram (MSG_TRUNC, MSG_PEEK with SO_PEEK_OFF), the source address,
SO_TIMESTAMP / SO_RXQ_OVFL and the IP cmsgs; InDatagrams counts reads.
``udp_err`` turns ICMP errors into sk_err (ECONNREFUSED ... for a connected
socket; any socket with IP_RECVERR) and error-queue entries.
"""
from __future__ import annotations

import struct
from typing import TYPE_CHECKING, Any

from kernel import uapi
from kernel.net.core.skbuff import SKB_HEAD, SKB_SHINFO, SkBuff, kmalloc_size
from kernel.net.ipv4.af_inet import (
    INET_PROTOSW_PERMANENT,
    InetProto,
    InetProtosw,
    datagram_poll,
    inet_dgram_ops,
    inet_register_protosw,
    ip4_datagram_connect,
    sk_common_release,
)
from kernel.net.ipv4.igmp import ip_mc_sf_allow
from kernel.net.ipv4.inet_hashtables import (
    PortTable,
    inet_rcv_saddr_equal,
    inet_sk_get_local_port_range,
    port_table,
)
from kernel.net.ipv4.inet_sock import (
    IP_CMSG_PKTINFO,
    SOCK_BINDADDR_LOCK,
    SOCK_BINDPORT_LOCK,
    InetCork,
    InetSock,
    ip_select_ttl,
    ip_sk_ignore_df,
    ip_sk_use_pmtu,
    ipv4_is_lbcast,
    ipv4_is_multicast,
    parse_sockaddr_in,
    sock_wait_for_wmem,
    sockaddr_in,
)
from kernel.net.ipv4.ip_options import IpOptions
from kernel.net.ipv4.ip_sockglue import (
    SOL_UDP,
    IpcmCookie,
    icmp_err_convert,
    ip_cmsg_recv_offset,
    ip_cmsg_send,
    ip_getsockopt,
    ip_icmp_error,
    ip_local_error,
    ip_recv_error,
    ip_setsockopt,
    iter_cmsgs,
)
from kernel.net.scm import CmsgWriter
from kernel.net.sock import (
    RCV_SHUTDOWN,
    SOCK_BROADCAST,
    SOCK_LOCALROUTE,
    SOCK_RCVTSTAMP,
    SOCK_RXQ_OVFL,
    TCP_CLOSE,
    TCP_ESTABLISHED,
    Socket,
)
from kernel.net.uaccess import MsgHdr, OptBuf
from kernel.wait import wait_event

if TYPE_CHECKING:
    from kernel.process import Process

UDP_HLEN = 8
IP_HLEN = 20
IP_MAX_MTU = 0xFFFF
SKB_MAX_ALLOC = 4 * 4096 - SKB_SHINFO  # SKB_MAX_ORDER(0, 2): 16064
SKB_SMALL_HEAD = 576  # SKB_SMALL_HEAD_CACHE_SIZE on x86_64
INT_MAX = 2**31 - 1
RT_SCOPE_UNIVERSE = 0
RT_SCOPE_LINK = 253
IPTOS_RT_MASK = 0x1C
FLOWI_FLAG_ANYSRC = 0x01
RTN_MULTICAST = 5
RTCF_BROADCAST = 0x10000000
RTCF_MULTICAST = 0x20000000
SO_TIMESTAMP_OLD = 29

ICMP_DEST_UNREACH = 3
ICMP_SOURCE_QUENCH = 4
ICMP_REDIRECT = 5
ICMP_TIME_EXCEEDED = 11
ICMP_PARAMETERPROB = 12
ICMP_PORT_UNREACH = 3
ICMP_FRAG_NEEDED = 4


# --- memory charged per datagram -------------------------------------------------------

def _head_truesize(size: int) -> int:
    """__alloc_skb(size) -> truesize: the small-head cache or a kmalloc bucket, plus struct sk_buff."""
    obj = (size + 63) // 64 * 64 + SKB_SHINFO
    alloc = SKB_SMALL_HEAD if obj <= SKB_SMALL_HEAD else kmalloc_size(obj)
    return alloc + SKB_HEAD


def udp_skb_truesize(payload: int, optlen: int = 0, hh_len: int = 16) -> int:
    """truesize of the skb ip_append_data builds for one UDP datagram (linear, or paged when big)."""
    fragheaderlen = IP_HLEN + optlen
    fraglen = payload + UDP_HLEN + fragheaderlen
    alloc_extra = hh_len + 15
    if fraglen + alloc_extra < SKB_MAX_ALLOC:
        return _head_truesize(fraglen + alloc_extra)
    return _head_truesize(fragheaderlen + UDP_HLEN + alloc_extra) + payload


def _ll_reserved_space(dev: Any) -> int:
    hh = int(getattr(dev, "hard_header_len", 14))
    return (hh & ~15) + 16


# --- the port table --------------------------------------------------------------------

def udp_table(net: Any) -> PortTable:
    return port_table(net, "udp")


def udp_lib_lport_inuse(table: PortTable, sk: InetSock, num: int, scan: bool = False) -> bool:
    """udp_lib_lport_inuse: whether port num is taken for sk.

    The port's chain is walked newest first; the first socket that conflicts
    (same or wildcard address, compatible device, not both SO_REUSEADDR)
    decides: a SO_REUSEPORT one of the same uid means "free" and ends the walk
    (older sockets are never looked at, so the answer depends on bind order),
    any other "in use".  ``scan`` is the autobind walk (Linux's bitmap mode):
    every socket is looked at and only a conflicting non-reuseport one takes
    the port."""
    uid = sk.sk_uid()
    for sk2 in table.chain(num):
        if sk2 is sk:
            continue
        if sk2.sk_reuse and sk.sk_reuse:
            continue
        if sk2.sk_bound_dev_if and sk.sk_bound_dev_if and sk2.sk_bound_dev_if != sk.sk_bound_dev_if:
            continue
        if not inet_rcv_saddr_equal(sk.inet_rcv_saddr, sk2.inet_rcv_saddr):
            continue
        if sk2.sk_reuseport and sk.sk_reuseport and uid == sk2.sk_uid():
            if scan:
                continue
            return False
        return True
    return False


def udp_lib_get_port(sk: InetSock, snum: int) -> int:
    table = udp_table(sk.net)
    if not snum:
        low, high = inet_sk_get_local_port_range(sk)
        remaining = high - low + 1
        if remaining <= 0:
            return -uapi.EADDRINUSE
        first = low + sk.net.rng.randrange(remaining)
        for i in range(remaining):
            cand = low + (first - low + i) % remaining
            if not udp_lib_lport_inuse(table, sk, cand, scan=True):
                snum = cand
                break
        else:
            return -uapi.EADDRINUSE
    elif udp_lib_lport_inuse(table, sk, snum):
        return -uapi.EADDRINUSE
    sk.inet_num = snum
    if not sk.hashed:
        table.add(sk, snum)  # sk_add_node_rcu: at the head (the tail is for AF_INET6 reuseport sockets)
        sk.hashed = True
    return 0


def udp_lib_unhash(sk: InetSock) -> None:
    if sk.hashed:
        udp_table(sk.net).remove(sk, sk.inet_num)
        sk.hashed = False
        sk.inet_num = 0


def _compute_score(sk: InetSock, saddr: int, sport: int, daddr: int, dif: int) -> int:
    if sk.inet_rcv_saddr != daddr:
        return -1
    score = 2
    if sk.inet_daddr:
        if sk.inet_daddr != saddr:
            return -1
        score += 4
    if sk.inet_dport:
        if sk.inet_dport != sport:
            return -1
        score += 4
    if sk.sk_bound_dev_if:
        if sk.sk_bound_dev_if != dif:
            return -1
        score += 4
    return score


def udp4_lib_lookup(net: Any, saddr: int, sport: int, daddr: int, dport: int, dif: int) -> InetSock | None:
    """__udp4_lib_lookup: the best socket bound to daddr, else the best wildcard one."""
    chain = udp_table(net).chain(dport)
    if not chain:
        return None
    for addr in (daddr, 0):
        best: list[InetSock] = []
        badness = 0
        for sk in chain:
            score = _compute_score(sk, saddr, sport, addr, dif)
            if score > badness:
                best, badness = [sk], score
            elif score == badness and score > 0 and sk.sk_reuseport and best and best[0].sk_reuseport:
                best.append(sk)
        if best:
            if len(best) > 1:  # reuseport_select_sock: a hash of the 4-tuple picks one, in join order
                best.reverse()
                return best[hash((saddr, sport, daddr, dport)) % len(best)]
            return best[0]
    return None


def _is_mcast_sock(sk: InetSock, loc_port: int, loc_addr: int, rmt_port: int, rmt_addr: int, dif: int) -> bool:
    if sk.inet_num != loc_port:
        return False
    if sk.inet_daddr and sk.inet_daddr != rmt_addr:
        return False
    if sk.inet_dport and sk.inet_dport != rmt_port:
        return False
    if sk.inet_rcv_saddr and sk.inet_rcv_saddr != loc_addr:
        return False
    if sk.sk_bound_dev_if and sk.sk_bound_dev_if != dif:
        return False
    return ip_mc_sf_allow(sk, loc_addr, rmt_addr, dif)


# --- receive ------------------------------------------------------------------------------

def _ip_addrs(skb: SkBuff) -> tuple[int, int, int]:
    """(saddr, daddr, ihl) of the skb's IP header."""
    nh = skb.network_header
    head = skb.head
    ihl = (head[nh] & 0x0F) * 4
    saddr, daddr = struct.unpack_from("!II", head, nh + 12)
    return saddr, daddr, ihl


def udp_rcv(skb: SkBuff) -> int:
    """__udp4_lib_rcv: validate, then deliver (multicast/broadcast, unicast, or port unreachable)."""
    dev = skb.dev
    net = dev.net
    if skb.len < UDP_HLEN:
        net.snmp_inc("Udp", "InErrors")
        skb.free()
        return 0
    sport, dport, ulen, check = struct.unpack_from("!HHHH", skb.head, skb.doff)
    if ulen > skb.len or ulen < UDP_HLEN:
        net.snmp_inc("Udp", "InErrors")
        skb.free()
        return 0
    skb.trim(ulen)
    skb.transport_header = skb.doff
    saddr, daddr, _ = _ip_addrs(skb)
    if check:
        from kernel.net.wire.checksum import internet_checksum, pseudo_header_sum

        if internet_checksum(skb.view(), pseudo_header_sum(saddr, daddr, uapi.IPPROTO_UDP, ulen)) != 0:
            net.snmp_inc("Udp", "InCsumErrors")
            net.snmp_inc("Udp", "InErrors")
            skb.free()
            return 0
    rt = skb.cb.get("rt")
    rt_flags = int(getattr(rt, "rt_flags", 0))
    dif = skb.skb_iif or dev.ifindex
    if rt_flags & (RTCF_BROADCAST | RTCF_MULTICAST):
        return _udp4_lib_mcast_deliver(net, skb, sport, dport, saddr, daddr, dif)
    sk = udp4_lib_lookup(net, saddr, sport, daddr, dport, dif)
    if sk is not None:
        udp_queue_rcv_skb(sk, skb)
        return 0
    net.snmp_inc("Udp", "NoPorts")
    _icmp_send(skb, ICMP_DEST_UNREACH, ICMP_PORT_UNREACH, 0)
    skb.free()
    return 0


def _icmp_send(skb: SkBuff, type_: int, code: int, info: int) -> None:
    try:
        from kernel.net.ipv4.icmp import icmp_send
    except ImportError:  # IPV4's icmp.py not there yet
        return
    icmp_send(skb, type_, code, info)


def _udp4_lib_mcast_deliver(net: Any, skb: SkBuff, sport: int, dport: int, saddr: int, daddr: int, dif: int) -> int:
    targets = [sk for sk in udp_table(net).chain(dport) if _is_mcast_sock(sk, dport, daddr, sport, saddr, dif)]
    if not targets:
        net.snmp_inc("Udp", "IgnoredMulti")
        skb.free()
        return 0
    for i, sk in enumerate(targets):
        c = skb if i == len(targets) - 1 else skb.clone()
        udp_queue_rcv_skb(sk, c)
    return 0


def udp_queue_rcv_skb(sk: InetSock, skb: SkBuff) -> int:
    """udp_queue_rcv_one_skb + __udp_enqueue_schedule_skb: charge rmem or drop."""
    net = sk.net
    rmem = sk.sk_rmem_alloc
    size = skb.truesize
    if rmem + size > sk.sk_rcvbuf and (sk.sk_rcvbuf > INT_MAX >> 1 or rmem):
        sk.sk_drops += 1
        net.snmp_inc("Udp", "RcvbufErrors")
        net.snmp_inc("Udp", "InErrors")
        skb.free()
        return -1
    skb.destructor = None
    sk.skb_set_owner_r(skb)
    skb.cb["dropcount"] = sk.sk_drops if sk.sock_flag(SOCK_RXQ_OVFL) else 0
    ipv4_pktinfo_prepare(sk, skb)
    sk.sk_receive_queue.append(skb)
    sk.data_ready()
    return 0


def ipv4_pktinfo_prepare(sk: InetSock, skb: SkBuff) -> None:
    """ipv4_pktinfo_prepare: ifindex and spec_dst are kept only if IP_PKTINFO was on when it was queued."""
    if sk.cmsg_flags & IP_CMSG_PKTINFO and skb.cb.get("rt") is not None:
        skb.cb["pktinfo"] = (skb.skb_iif, int(getattr(skb.cb["rt"], "rt_spec_dst", 0)))
    else:
        skb.cb["pktinfo"] = (0, 0)


def udp_err(skb: SkBuff, info: int) -> int:
    """__udp4_lib_err: skb data at the quoted IP header; skb.cb["icmp"] = (type, code, info)."""
    from kernel.net.ipv4 import route

    type_, code, _ = skb.cb.get("icmp", (ICMP_DEST_UNREACH, 0, info))
    inner = skb.doff
    head = skb.head
    if skb.len < 28:
        return 0
    ihl = (head[inner] & 0x0F) * 4
    if skb.len < ihl + UDP_HLEN:
        return 0
    isaddr, idaddr = struct.unpack_from("!II", head, inner + 12)
    usport, udport = struct.unpack_from("!HH", head, inner + ihl)
    net = skb.dev.net
    dif = skb.dev.ifindex
    sk = udp4_lib_lookup(net, idaddr, udport, isaddr, usport, dif)
    if sk is None:
        net.snmp_inc("Icmp", "InErrors")
        return -uapi.ENOENT
    harderr = False
    if type_ == ICMP_SOURCE_QUENCH or type_ == ICMP_REDIRECT:
        return 0
    if type_ == ICMP_PARAMETERPROB:
        err, harderr = uapi.EPROTO, True
    elif type_ == ICMP_DEST_UNREACH:
        if code == ICMP_FRAG_NEEDED:
            route.ipv4_sk_update_pmtu(skb, sk, info)
            if sk.pmtudisc != uapi.IP_PMTUDISC_DONT:
                err, harderr = uapi.EMSGSIZE, True
            else:
                return 0
        else:
            err, harderr = icmp_err_convert(code) if code <= 15 else (uapi.EHOSTUNREACH, False)
    else:
        err = uapi.EHOSTUNREACH
    if not sk.recverr:
        if not harderr or sk.sk_state != TCP_ESTABLISHED:
            return 0
    else:
        payload = bytes(head[inner + ihl + UDP_HLEN: skb.tail])
        ip_icmp_error(sk, skb, err, udport, info, payload)
    sk.sk_err = err
    sk.error_report()
    return 0


# --- send ---------------------------------------------------------------------------------

def _route_output(sk: InetSock, fl4: Any) -> Any:
    from kernel.net.ipv4 import route

    return route.ip_route_output_key(sk.net, fl4)


def _flowi4(**kw: Any) -> Any:
    from kernel.net.ipv4 import route

    return route.Flowi4(**kw)


def _ip_build_xmit(sk: InetSock, skb: SkBuff, cork: InetCork, proto: int = uapi.IPPROTO_UDP) -> int:
    from kernel.net.ipv4 import ip_output

    return int(ip_output.ip_build_xmit(sk.net, skb, rt=cork.rt, fl4=cork.fl4, proto=proto, ttl=cork.ttl,
                                       tos=cork.tos, df=cork.df, opt=cork.opt, sk=sk, mc_loop=cork.mc_loop,
                                       ignore_df=ip_sk_ignore_df(sk)))




def udp_sk_dst_check(sk: InetSock, fresh: Any) -> Any:
    """sk_dst_check(sk, 0): the route a connected send cached, or None once it is stale.

    Linux forgets a cached route when rt_genid moves (any route or address
    change); the emulated FIB keeps no generation, so the cached route counts
    as stale when the lookup the send would make now (``fresh``: a route or
    -errno) gives a different one.  Until then a connected send uses it and
    the flow in inet->cork.fl, without the broadcast (EACCES) check."""
    rt = sk.sk_dst_cache
    if rt is None or sk.cork_fl is None:
        return None
    if isinstance(fresh, int) or (fresh.dev, fresh.rt_type, fresh.rt_flags, fresh.rt_gateway, fresh.fib_mtu,
                                  fresh.rt_pmtu, fresh.rt_src) != (rt.dev, rt.rt_type, rt.rt_flags, rt.rt_gateway,
                                                                   rt.fib_mtu, rt.rt_pmtu, rt.rt_src):
        sk.sk_dst_cache = None
        return None
    return rt


def _setup_cork(sk: InetSock, cork: InetCork, rt: Any, ipc: IpcmCookie, opt: IpOptions | None) -> int:
    """ip_setup_cork: the fragment size, TTL, TOS and options of a datagram under construction."""
    mtu = rt.dst_mtu() if ip_sk_use_pmtu(sk) else rt.dev.mtu
    if mtu < 68:
        return -uapi.ENETUNREACH
    cork.mtu = mtu
    cork.rt = rt
    cork.opt = opt
    if ipc.ttl:
        cork.ttl = ipc.ttl
    elif rt.rt_type == RTN_MULTICAST:
        cork.ttl = sk.mc_ttl
    else:
        cork.ttl = ip_select_ttl(sk, rt)
    cork.tos = ipc.tos if ipc.tos != -1 else sk.tos
    cork.mc_loop = sk.mc_loop
    return 0


def _append_check(sk: InetSock, cork: InetCork, length: int) -> int:
    """__ip_append_data's size check: EMSGSIZE (and a local error) past what may go out."""
    optlen = cork.opt.optlen if cork.opt is not None else 0
    fragheaderlen = IP_HLEN + optlen
    maxnonfragsize = IP_MAX_MTU if ip_sk_ignore_df(sk) else cork.mtu
    if cork.length + length > maxnonfragsize - fragheaderlen:
        ip_local_error(sk, uapi.EMSGSIZE, cork.fl4.daddr, sk.inet_dport, cork.mtu - optlen)
        return -uapi.EMSGSIZE
    return 0


async def udp_sendmsg(proc: Process, sk: InetSock, msg: MsgHdr, size: int, flags: int) -> int:
    err = await _udp_sendmsg(sk, msg, size, flags)
    if err < 0 and (err == -uapi.ENOBUFS or sk.nospace):
        sk.net.snmp_inc("Udp", "SndbufErrors")
    return err


async def _udp_sendmsg(sk: InetSock, msg: MsgHdr, size: int, flags: int) -> int:
    if size > 0xFFFF:
        return -uapi.EMSGSIZE
    if flags & uapi.MSG_OOB:
        return -uapi.EOPNOTSUPP
    data = b"".join(msg.iov)
    ulen = size + UDP_HLEN
    if sk.cork is not None:
        sk.cork.fl4 = sk.cork_fl
        return await _do_append_data(sk, sk.cork, data, ulen, flags)
    connected = False
    if msg.name:
        usin = msg.name
        if len(usin) < 16:
            return -uapi.EINVAL
        family, dport, daddr = parse_sockaddr_in(usin)
        if family != uapi.AF_INET and family != uapi.AF_UNSPEC:
            return -uapi.EAFNOSUPPORT
        if dport == 0:
            return -uapi.EINVAL
    else:
        if sk.sk_state != TCP_ESTABLISHED:
            return -uapi.EDESTADDRREQ
        daddr, dport = sk.inet_daddr, sk.inet_dport
        connected = True
    ipc = IpcmCookie(addr=sk.inet_saddr, oif=sk.sk_bound_dev_if, mark=sk.sk_mark, priority=sk.sk_priority)
    if msg.control:
        err = udp_cmsg_send(sk, msg.control, ipc)
        if err < 0:
            return err
        connected = False
    opt = ipc.opt if ipc.has_opt else sk.inet_opt
    saddr = ipc.addr
    ipc.addr = faddr = daddr
    strict = bool(opt is not None and opt.is_strictroute)
    if opt is not None and opt.srr:
        if not daddr:
            return -uapi.EINVAL
        faddr = opt.faddr
        connected = False
    tos = ipc.tos if ipc.tos != -1 else sk.tos
    scope = RT_SCOPE_LINK if (sk.sock_flag(SOCK_LOCALROUTE) or flags & uapi.MSG_DONTROUTE or strict) \
        else RT_SCOPE_UNIVERSE
    if scope == RT_SCOPE_LINK:
        connected = False
    if ipv4_is_multicast(daddr):
        if not ipc.oif:
            ipc.oif = sk.mc_index
        if not saddr:
            saddr = sk.mc_addr
        connected = False
    elif not ipc.oif:
        ipc.oif = sk.uc_index
    elif ipv4_is_lbcast(daddr) and sk.uc_index:
        ipc.oif = sk.uc_index
    fl_flags = FLOWI_FLAG_ANYSRC if (sk.freebind or sk.transparent
                                     or sk.host.sysctl["net.ipv4.ip_nonlocal_bind"]) else 0
    fl4 = _flowi4(daddr=faddr, saddr=saddr, tos=tos & IPTOS_RT_MASK, oif=ipc.oif, proto=sk.sk_protocol,
                  scope=scope, flags=fl_flags, sport=sk.inet_sport, dport=dport, mark=ipc.mark)
    rt = _route_output(sk, fl4)
    cached = udp_sk_dst_check(sk, rt) if connected else None
    if cached is not None:
        # the connected fast path: the cached route, and the flow in inet->cork.fl (which a corked send to
        # another address may have re-addressed since connect())
        rt, fl4 = cached, sk.cork_fl
    else:
        if isinstance(rt, int):
            if rt == -uapi.ENETUNREACH:
                sk.net.snmp_inc("Ip", "OutNoRoutes")
            return rt
        if rt.rt_flags & RTCF_BROADCAST and not sk.sock_flag(SOCK_BROADCAST):
            return -uapi.EACCES
        if connected:
            sk.sk_dst_cache = rt
    saddr = fl4.saddr
    if not ipc.addr:
        daddr = ipc.addr = fl4.daddr
    corkreq = sk.corkflag or bool(flags & uapi.MSG_MORE)
    if corkreq:  # the pending datagram is addressed through inet->cork.fl
        if sk.cork_fl is None:
            sk.cork_fl = _flowi4()
        fl4 = sk.cork_fl
        fl4.daddr, fl4.saddr, fl4.dport, fl4.sport = daddr, saddr, dport, sk.inet_sport
    cork = InetCork(fl4=fl4)
    err = _setup_cork(sk, cork, rt, ipc, opt)
    if err:
        return err
    if not corkreq:
        err = _append_check(sk, cork, ulen)
        if err:
            return err
        err = await sock_wait_for_wmem(sk, flags)
        if err:
            return err
        cork.chunks.append(data)
        cork.length = ulen
        err = _udp_send_skb(sk, cork)
        return err if err < 0 else size
    sk.cork = cork
    return await _do_append_data(sk, cork, data, ulen, flags)


async def _do_append_data(sk: InetSock, cork: InetCork, data: bytes, ulen: int, flags: int) -> int:
    corkreq = sk.corkflag or bool(flags & uapi.MSG_MORE)
    first = not cork.chunks and cork.length == 0
    length = ulen if first else ulen - UDP_HLEN
    err = _append_check(sk, cork, length)
    if not err:
        err = await sock_wait_for_wmem(sk, flags) if first else 0
    if err:
        udp_flush_pending_frames(sk)
        return err
    cork.chunks.append(data)
    cork.length += length
    optlen = cork.opt.optlen if cork.opt is not None else 0
    # the pending skbs are the socket's memory: the first a whole skb, later appends page fragments
    charge = udp_skb_truesize(len(data), optlen, _ll_reserved_space(cork.rt.dev)) if first else len(data)
    cork.charged += charge
    sk.sk_wmem_alloc += charge
    if not corkreq:
        err = udp_push_pending_frames(sk)
        if err < 0:
            return err
    return ulen - UDP_HLEN


def udp_flush_pending_frames(sk: InetSock) -> None:
    """ip_flush_pending_frames: drop the corked data and give its memory back."""
    cork, sk.cork = sk.cork, None
    if cork is not None and cork.charged:
        sk.sk_wmem_alloc -= cork.charged
        sk.write_space()


def udp_push_pending_frames(sk: InetSock) -> int:
    cork = sk.cork
    if cork is None:
        return 0
    sk.cork = None
    cork.fl4 = sk.cork_fl  # where inet->cork.fl says now: connect() may have re-routed it
    return _udp_send_skb(sk, cork)


def _udp_send_skb(sk: InetSock, cork: InetCork) -> int:
    """udp_send_skb: the UDP header and checksum, then ip_build_xmit; OutDatagrams or an error."""
    from kernel.net.core.skbuff import MAX_HEADER, alloc_skb

    payload = b"".join(cork.chunks)
    rt = cork.rt
    optlen = cork.opt.optlen if cork.opt is not None else 0
    ulen = len(payload) + UDP_HLEN
    skb = alloc_skb(ulen, headroom=MAX_HEADER)
    skb.truesize = udp_skb_truesize(len(payload), optlen, _ll_reserved_space(rt.dev))
    if cork.charged:  # corked: the memory already charged moves to the one skb that goes out
        skb.truesize = cork.charged
        sk.sk_wmem_alloc -= cork.charged
        cork.charged = 0
    off = skb.put(ulen)
    head = skb.head
    assert isinstance(head, bytearray)
    fl4 = cork.fl4
    struct.pack_into("!HHHH", head, off, sk.inet_sport, fl4.dport, ulen, 0)
    head[off + UDP_HLEN: off + ulen] = payload
    if not sk.sk_no_check_tx:
        from kernel.net.wire.checksum import internet_checksum, pseudo_header_sum

        csum = internet_checksum(memoryview(head)[off:off + ulen],
                                 pseudo_header_sum(fl4.saddr, fl4.daddr, uapi.IPPROTO_UDP, ulen))
        struct.pack_into("!H", head, off + 6, csum or 0xFFFF)
    skb.transport_header = off
    mtu = rt.dst_mtu()
    cork.df = (sk.pmtudisc in (uapi.IP_PMTUDISC_DO, uapi.IP_PMTUDISC_PROBE)
               or (ulen + IP_HLEN + optlen <= mtu and sk.pmtudisc == uapi.IP_PMTUDISC_WANT))
    sk.skb_set_owner_w(skb)
    skb.priority = sk.sk_priority
    skb.mark = sk.sk_mark
    if ulen + IP_HLEN + optlen > IP_MAX_MTU:
        err = _ip_send_oversized(sk, skb, cork)
    else:
        err = _ip_build_xmit(sk, skb, cork)
    if err > 0:
        err = 0
    if err:
        sk.net.snmp_inc("Ip", "OutDiscards")  # ip_send_skb
        if err == -uapi.ENOBUFS and not sk.recverr:
            sk.net.snmp_inc("Udp", "SndbufErrors")
            err = 0
    else:
        sk.net.snmp_inc("Udp", "OutDatagrams")
    return err


_IPHDR = struct.Struct("!BBHHHBBHII")


def _ip_send_oversized(sk: InetSock, skb: SkBuff, cork: InetCork) -> int:
    """ip_send_skb of a datagram longer than an IPv4 header can say.

    Only IP_PMTUDISC_PROBE / IP_PMTUDISC_INTERFACE on a device whose MTU is
    above 65535 (lo: 65536) let ip_append_data build one (65508 bytes of
    payload).  __ip_local_out writes tot_len 0 and ip_finish_output must
    fragment it to min(dev mtu, 65535): with DF (PROBE) that fails (FragFails,
    an ICMP fragmentation needed with that MTU sent to ourselves, -EMSGSIZE);
    without (INTERFACE) it leaves in fragments whose reassembly can only fail
    (the receiver's ReasmFails): sendto() succeeded, nothing arrives."""
    from kernel.net.core.dev import ETH_P_IP
    from kernel.net.core.skbuff import MAX_HEADER, alloc_skb
    from kernel.net.ipv4.icmp import icmp_send
    from kernel.net.ipv4.ip_options import IpCb, ip_options_build, ip_options_fragment
    from kernel.net.ipv4.ip_output import IP_DF, IP_MF, ip_finish_output2, ip_select_ident, ip_send_check

    net = sk.net
    rt, fl4, opt = cork.rt, cork.fl4, cork.opt
    optlen = opt.optlen if opt is not None else 0
    hl = IP_HLEN + optlen
    mtu = min(int(rt.dev.mtu), IP_MAX_MTU)  # ip_skb_dst_mtu of a socket not using the path MTU
    data = bytes(skb.head[skb.doff:skb.tail])
    skb.free()
    ignore_df = ip_sk_ignore_df(sk)
    ip_id = ip_select_ident(net, fl4.daddr, fl4.saddr, uapi.IPPROTO_UDP, df=cork.df, ignore_df=ignore_df, sk=sk)
    hdr = bytearray(hl)
    _IPHDR.pack_into(hdr, 0, 0x40 | (hl >> 2), cork.tos & 0xFF, 0, ip_id & 0xFFFF, IP_DF if cork.df else 0,
                     cork.ttl & 0xFF, uapi.IPPROTO_UDP, 0, fl4.saddr, fl4.daddr)
    if opt is not None and optlen:
        ip_options_build(net, hdr, 0, opt, fl4.daddr, fl4.saddr)
    net.snmp_inc("Ip", "OutRequests")

    def packet(frag_field: int, piece: bytes) -> SkBuff:
        out = alloc_skb(hl + len(piece), MAX_HEADER)
        out.put_data(bytes(hdr))
        out.put_data(piece)
        head = out.head
        assert isinstance(head, bytearray)
        o = out.doff
        out.network_header, out.transport_header = o, o + hl
        head[o + 2:o + 4] = (hl + len(piece) if len(piece) < len(data) else 0).to_bytes(2, "big")
        head[o + 6:o + 8] = frag_field.to_bytes(2, "big")
        ip_send_check(head, o, hl)
        out.protocol, out.dev, out.sk = ETH_P_IP, rt.dev, sk
        out.mark, out.priority = sk.sk_mark, sk.sk_priority
        out.cb.update(rt=rt, ip=IpCb(opt=opt), mc_loop=cork.mc_loop, ignore_df=ignore_df)
        return out

    if cork.df:
        net.snmp_inc("Ip", "FragFails")
        whole = packet(IP_DF, data)
        icmp_send(whole, ICMP_DEST_UNREACH, ICMP_FRAG_NEEDED, mtu)
        whole.free()
        return -uapi.EMSGSIZE
    chunk = (mtu - hl) & ~7
    rc = 0
    for pos in range(0, len(data), chunk):
        piece = data[pos:pos + chunk]
        last = pos + chunk >= len(data)
        if pos == chunk and optlen:
            ip_options_fragment(memoryview(hdr)[IP_HLEN:hl])
        net.snmp_inc("Ip", "FragCreates")
        rc = ip_finish_output2(net, packet((pos >> 3) | (0 if last else IP_MF), piece))
        if rc:
            break
    net.snmp_inc("Ip", "FragFails" if rc else "FragOKs")
    return rc


def udp_cmsg_send(sk: InetSock, control: bytes, ipc: IpcmCookie) -> int:
    """udp_cmsg_send, then ip_cmsg_send for the non-SOL_UDP messages."""
    cmsgs = iter_cmsgs(control)
    if isinstance(cmsgs, int):
        return cmsgs
    need_ip = False
    for clen, level, ctype, _data in cmsgs:
        if level != SOL_UDP:
            need_ip = True
            continue
        if ctype == uapi.UDP_SEGMENT:
            if clen != 16 + 2:
                return -uapi.EINVAL
        else:
            return -uapi.EINVAL
    if need_ip:
        return ip_cmsg_send(sk, control, ipc)
    return 0


# --- recvmsg ------------------------------------------------------------------------------

def _try_recv(sk: InetSock, peek: bool) -> tuple[SkBuff | None, int]:
    queue = sk.sk_receive_queue
    if not queue:
        return None, 0
    if not peek or sk.sk_peek_off < 0:
        return queue[0], 0
    off = sk.sk_peek_off
    for skb in queue:
        n = skb.len - UDP_HLEN
        if off >= n and (n or off or skb.peeked):
            off -= n
            continue
        if not n:
            skb.peeked = True
        return skb, off
    return None, 0


async def udp_recvmsg(proc: Process, sk: InetSock, msg: MsgHdr, size: int, flags: int) -> int:
    if flags & uapi.MSG_ERRQUEUE:
        return ip_recv_error(sk, msg, size)
    peek = bool(flags & uapi.MSG_PEEK)
    timeo = sk.rcvtimeo(bool(flags & uapi.MSG_DONTWAIT))
    while True:
        err = sk.sock_error()
        if err:
            return err
        skb, off = _try_recv(sk, peek)
        if skb is not None:
            break
        if not timeo:
            return -uapi.EAGAIN
        if sk.sk_shutdown & RCV_SHUTDOWN:
            return 0
        timeo = await wait_event(
            sk.sk_wq, sk.host.clock, timeo,
            lambda: _try_recv(sk, peek)[0] is not None or bool(sk.sk_err) or bool(sk.sk_shutdown & RCV_SHUTDOWN),
        )
        if not timeo:
            return -uapi.EAGAIN
    # __skb_recv_udp reads from the reader queue and refills it with the whole receive queue when what it
    # wants is not there
    if sk.sk_receive_queue.index(skb) >= sk.udp_reader:
        sk.udp_reader = len(sk.sk_receive_queue)
    start = skb.doff + UDP_HLEN
    ulen = skb.len - UDP_HLEN
    avail = ulen - off
    copied = size
    if copied > avail:
        copied = avail
    elif copied < ulen:
        msg.flags |= uapi.MSG_TRUNC
    msg.data = bytes(skb.head[start + off: start + off + copied])
    if not peek:
        sk.net.snmp_inc("Udp", "InDatagrams")
    w = CmsgWriter(msg.controllen)
    sock_recv_cmsgs(w, sk, skb)
    if msg.namelen:
        saddr, _, _ = _ip_addrs(skb)
        sport = struct.unpack_from("!H", skb.head, skb.doff)[0]
        msg.name = sockaddr_in(saddr, sport)
    if sk.cmsg_flags:
        ip_cmsg_recv_offset(w, sk, skb, UDP_HLEN, off)
    if msg.controllen > 0 or w.buf:
        msg.control = bytes(w.buf)
    msg.flags |= w.flags
    ret = ulen if flags & uapi.MSG_TRUNC else copied
    if peek:
        if sk.sk_peek_off >= 0:
            sk.sk_peek_off += copied
    else:
        if sk.sk_peek_off >= 0:
            sk.sk_peek_off = max(sk.sk_peek_off - ulen, 0)
        if skb in sk.sk_receive_queue:
            sk.sk_receive_queue.remove(skb)
            sk.udp_reader = max(sk.udp_reader - 1, 0)
        if skb.destructor is not None:  # its memory goes back through udp_rmem_release
            skb.destructor = None
            udp_rmem_release(sk, skb.truesize)
        skb.free()
    return ret


def udp_rmem_release(sk: InetSock, size: int) -> None:
    """udp_rmem_release (partial): a read datagram's truesize joins forward_deficit, which goes back to
    sk_rmem_alloc only once it reaches a quarter of sk_rcvbuf or the reader queue is empty; then the
    receive queue is spliced into the reader queue.  Until then the read datagrams still count against
    the receive buffer (a full one drops what arrives)."""
    sk.forward_deficit += size
    if sk.forward_deficit < sk.sk_rcvbuf >> 2 and sk.udp_reader:
        return
    sk.sk_rmem_alloc -= sk.forward_deficit
    sk.forward_deficit = 0
    sk.udp_reader = len(sk.sk_receive_queue)


def sock_recv_cmsgs(w: CmsgWriter, sk: InetSock, skb: SkBuff) -> None:
    """sock_recv_cmsgs: SO_TIMESTAMP, then SO_RXQ_OVFL (only a nonzero drop count)."""
    if sk.sock_flag(SOCK_RCVTSTAMP):
        t = skb.tstamp
        sec = int(t)
        w.put_cmsg(uapi.SOL_SOCKET, SO_TIMESTAMP_OLD, struct.pack("<qq", sec, int((t - sec) * 1_000_000)))
    drops = int(skb.cb.get("dropcount", 0))
    if sk.sock_flag(SOCK_RXQ_OVFL) and drops:
        w.put_cmsg(uapi.SOL_SOCKET, uapi.SO_RXQ_OVFL, struct.pack("<I", drops & 0xFFFFFFFF))


# --- the proto --------------------------------------------------------------------------------

class UdpProto(InetProto):
    """udp_prot."""

    name = "UDP"

    def close(self, sk: InetSock, timeout: int) -> None:
        udp_flush_pending_frames(sk)
        sk_common_release(sk)

    def get_port(self, sk: InetSock, snum: int) -> int:
        return udp_lib_get_port(sk, snum)

    def unhash(self, sk: InetSock) -> None:
        udp_lib_unhash(sk)

    def connect(self, sk: InetSock, addr: bytes) -> int:
        return ip4_datagram_connect(sk, addr)

    def disconnect(self, sk: InetSock, flags: int) -> int:
        """__udp_disconnect: forget the peer; keep what bind() locked, forget the rest."""
        sk.sk_state = TCP_CLOSE
        sk.inet_daddr = 0
        sk.inet_dport = 0
        sk.sk_bound_dev_if = 0
        if not sk.sk_userlocks & SOCK_BINDADDR_LOCK:
            sk.inet_saddr = sk.inet_rcv_saddr = 0
        if not sk.sk_userlocks & SOCK_BINDPORT_LOCK:
            self.unhash(sk)
            sk.inet_sport = 0
        sk.sk_dst_cache = None
        if sk.sk_socket is not None:
            sk.sk_socket.state = 1  # SS_UNCONNECTED
        return 0

    def ioctl(self, sk: InetSock, cmd: int, argp: list[int]) -> int:
        if cmd == uapi.SIOCOUTQ:
            argp[0] = max(sk.sk_wmem_alloc, 0)
            return 0
        if cmd == uapi.SIOCINQ:  # first_packet_length: refills an empty reader queue
            if not sk.udp_reader:
                sk.udp_reader = len(sk.sk_receive_queue)
            argp[0] = sk.sk_receive_queue[0].len - UDP_HLEN if sk.sk_receive_queue else 0
            return 0
        return super().ioctl(sk, cmd, argp)

    def poll(self, sock: Socket, sk: InetSock) -> int:
        return datagram_poll(sock, sk)

    def setsockopt(self, sk: InetSock, level: int, optname: int, optval: bytes) -> int:
        if level == SOL_UDP:
            return udp_lib_setsockopt(sk, optname, optval)
        return ip_setsockopt(sk, level, optname, optval)

    def getsockopt(self, sk: InetSock, level: int, optname: int, opt: OptBuf) -> int:
        if level == SOL_UDP:
            return udp_lib_getsockopt(sk, optname, opt)
        return ip_getsockopt(sk, level, optname, opt)

    async def sendmsg(self, proc: Process, sk: InetSock, msg: MsgHdr, size: int, flags: int) -> int:
        return await udp_sendmsg(proc, sk, msg, size, flags)

    async def recvmsg(self, proc: Process, sk: InetSock, msg: MsgHdr, size: int, flags: int) -> int:
        return await udp_recvmsg(proc, sk, msg, size, flags)


_UDP_INT_OPTS = (uapi.UDP_CORK, uapi.UDP_ENCAP, uapi.UDP_NO_CHECK6_TX, uapi.UDP_NO_CHECK6_RX, uapi.UDP_SEGMENT,
                 uapi.UDP_GRO)


def udp_lib_setsockopt(sk: InetSock, optname: int, optval: bytes) -> int:
    if len(optval) < 4:
        return -uapi.EINVAL
    val = struct.unpack_from("<i", optval)[0]
    if optname == uapi.UDP_CORK:
        if val:
            sk.corkflag = True
        else:
            sk.corkflag = False
            udp_push_pending_frames(sk)
        return 0
    if optname == uapi.UDP_ENCAP:
        if val not in (0, 1, 2, 3, 4, 5, 6, 7):
            return -uapi.ENOPROTOOPT
        sk.udp_opts[optname] = val
        return 0
    if optname == uapi.UDP_SEGMENT:
        if not 0 <= val <= 0xFFFF:
            return -uapi.EINVAL
    if optname in _UDP_INT_OPTS:
        v = int(bool(val)) if optname in (uapi.UDP_NO_CHECK6_TX, uapi.UDP_NO_CHECK6_RX, uapi.UDP_GRO) else val
        sk.udp_opts[optname] = v
        return 0
    return -uapi.ENOPROTOOPT


def udp_lib_getsockopt(sk: InetSock, optname: int, opt: OptBuf) -> int:
    if opt.size < 0:
        return -uapi.EINVAL
    if optname == uapi.UDP_CORK:
        val = int(sk.corkflag)
    elif optname in _UDP_INT_OPTS:
        val = sk.udp_opts.get(optname, 0)
    else:
        return -uapi.ENOPROTOOPT
    n = min(opt.size, 4)
    opt.data, opt.size = struct.pack("<i", val)[:n], n
    return 0


udp_prot = UdpProto()


def udp_init() -> None:
    """inet_init's UDP part: the protocol handler and the SOCK_DGRAM entry."""
    from kernel.net.ipv4.protocol import NetProtocol, inet_add_protocol

    inet_add_protocol(NetProtocol(handler=udp_rcv, err_handler=udp_err), uapi.IPPROTO_UDP)
    inet_register_protosw(InetProtosw(uapi.SOCK_DGRAM, uapi.IPPROTO_UDP, udp_prot, inet_dgram_ops,
                                      INET_PROTOSW_PERMANENT))


udp_init()
