"""Raw IPv4 sockets (net/ipv4/raw.c; RFC 791, RFC 792 for ICMP_FILTER's types).

Creation: SOCK_RAW is one wildcard ``inetsw`` entry (protocol 0 is
EPROTONOSUPPORT, any other protocol up to IPPROTO_MAX is the socket's;
CAP_NET_RAW or EPERM, checked by inet_create).  The socket is hashed at
once in the namespace's "raw" table under its protocol (``inet_num``), newest
first; ``raw_sockets(net)`` lists them (what /proc/net/raw shows).

Receive (``raw_local_deliver``, installed as ``raw_hooks.deliver``): every
socket of the packet's protocol whose bound address (if any) is the
destination, whose connected address (if any) is the source and whose bound
device (if any) is the input device gets a clone of the whole datagram, IP
header first -- unless ICMP_FILTER drops its type (IPPROTO_ICMP sockets) or
a multicast source filter refuses it; a receive queue at or over sk_rcvbuf
drops it (sk_drops).  ``raw_recvmsg``: one datagram, MSG_TRUNC (the real
length with the MSG_TRUNC flag), MSG_PEEK, the source address with port 0,
SO_TIMESTAMP / SO_RXQ_OVFL and the IP cmsgs, MSG_ERRQUEUE.

ICMP errors (``raw_icmp_error``, ``raw_hooks.icmp_error``): sockets matching
the quoted packet get sk_err / the error queue as raw_err decides (only
with IP_RECVERR, or a hard error on a connected socket).

Send (``raw_sendmsg``): EMSGSIZE above 65535 bytes, EOPNOTSUPP for MSG_OOB,
a sockaddr_in of at least 16 bytes (EINVAL; AF_UNSPEC taken as AF_INET,
other families EAFNOSUPPORT) or the connected peer (EDESTADDRREQ), control
messages, the route (MSG_DONTROUTE / SO_DONTROUTE at link scope, EACCES for
broadcast without SO_BROADCAST); with IP_HDRINCL (or IPPROTO_RAW) the user
gives the IP header (IP options with it: EINVAL; a header shorter than 20
bytes or IHL beyond the data: EINVAL; above the device MTU: EMSGSIZE) and
``ip_output_hdrincl`` fills source/length/ID/checksum; otherwise the IP
layer builds the header with protocol = the socket's, TTL/TOS/options from
the socket or the cmsgs, MSG_MORE corking.  Bind takes a local address only
(no family check, the port ignored), connect is ip4_datagram_connect and
AF_UNSPEC disconnect is __udp_disconnect (which also unhashes the socket, as
Linux does, since bind never locks the "port").
"""
from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from kernel import uapi
from kernel.net.core.skbuff import MAX_HEADER, SkBuff, alloc_skb
from kernel.net.ipv4.af_inet import (
    INET_PROTOSW_REUSE,
    RTN_BROADCAST,
    RTN_MULTICAST,
    InetProto,
    InetProtosw,
    datagram_poll,
    inet_addr_type,
    inet_addr_valid_or_nonlocal,
    inet_register_protosw,
    inet_sockraw_ops,
    ip4_datagram_connect,
    sk_common_release,
)
from kernel.net.ipv4.igmp import ip_mc_sf_allow
from kernel.net.ipv4.inet_hashtables import PortTable, port_table
from kernel.net.ipv4.inet_sock import (
    SOCK_BINDADDR_LOCK,
    SOCK_BINDPORT_LOCK,
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
    IpcmCookie,
    icmp_err_convert,
    ip_cmsg_recv_offset,
    ip_cmsg_send,
    ip_getsockopt,
    ip_icmp_error,
    ip_local_error,
    ip_recv_error,
    ip_setsockopt,
)
from kernel.net.ipv4.protocol import raw_hooks
from kernel.net.ipv4.route import (
    FLOWI_FLAG_ANYSRC,
    RT_SCOPE_LINK,
    RT_SCOPE_UNIVERSE,
    RTCF_BROADCAST,
    Flowi4,
    Rtable,
    ip_route_output_key,
    ipv4_sk_update_pmtu,
)
from kernel.net.scm import CmsgWriter
from kernel.net.sock import (
    RCV_SHUTDOWN,
    SOCK_BROADCAST,
    SOCK_LOCALROUTE,
    SOCK_RCVTSTAMP,
    SOCK_RXQ_OVFL,
    SS_UNCONNECTED,
    TCP_CLOSE,
    TCP_ESTABLISHED,
    Socket,
)
from kernel.net.uaccess import MsgHdr, OptBuf
from kernel.wait import wait_event

if TYPE_CHECKING:
    from kernel.net.core.net_namespace import Net
    from kernel.process import Process

IP_HLEN = 20
IP_MAX_MTU = 0xFFFF
IPTOS_TOS_MASK = 0x1E
SO_TIMESTAMP_OLD = 29
ICMP_FILTER_SIZE = 4  # struct icmp_filter { __u32 data; }


@dataclass
class RawSk:
    """struct raw_sock's extra state: the ICMP filter and the MSG_MORE cork."""

    icmp_filter: bytearray = field(default_factory=lambda: bytearray(ICMP_FILTER_SIZE))
    pending: list[bytes] = field(default_factory=list)  # MSG_MORE data waiting for the push
    cork: Any = None  # (rt, fl4, ttl, tos, opt, df_allowed) of the first corked send


def raw_sk(sk: InetSock) -> RawSk:
    state = sk.__dict__.get("raw_sk")
    if not isinstance(state, RawSk):
        state = sk.__dict__["raw_sk"] = RawSk()
    return state


def raw_table(net: Net) -> PortTable:
    return port_table(net, "raw")


def raw_sockets(net: Net) -> list[InetSock]:
    """Every hashed raw socket of the namespace (by protocol, newest first): /proc/net/raw's rows."""
    return raw_table(net).all_socks()


# --- hashing ---------------------------------------------------------------------------

def raw_hash_sk(sk: InetSock) -> int:
    raw_table(sk.net).add(sk, sk.inet_num)
    sk.hashed = True
    return 0


def raw_unhash_sk(sk: InetSock) -> None:
    if sk.hashed:
        raw_table(sk.net).remove(sk, sk.inet_num)
        sk.hashed = False


# --- receive --------------------------------------------------------------------------

def raw_v4_match(sk: InetSock, num: int, raddr: int, laddr: int, dif: int) -> bool:
    """raw_v4_match: protocol, connected peer, bound address, bound device."""
    return (sk.inet_num == num
            and not (sk.inet_daddr and sk.inet_daddr != raddr)
            and not (sk.inet_rcv_saddr and sk.inet_rcv_saddr != laddr)
            and (not sk.sk_bound_dev_if or sk.sk_bound_dev_if == dif))


def icmp_filter(sk: InetSock, skb: SkBuff) -> bool:
    """icmp_filter: True when the socket's ICMP_FILTER drops this message (or it has no full header)."""
    th = skb.transport_header if skb.transport_header >= 0 else skb.doff
    if th + 8 > skb.tail:
        return True
    type_ = skb.head[th]
    if type_ < 32:
        mask = struct.unpack("<I", bytes(raw_sk(sk).icmp_filter))[0]
        return bool((1 << type_) & mask)
    return False


def _iif(skb: SkBuff) -> int:
    if skb.skb_iif:
        return skb.skb_iif
    rt: Rtable | None = skb.cb.get("rt")
    if rt is not None and rt.rt_iif:
        return rt.rt_iif
    return int(skb.dev.ifindex) if skb.dev is not None else 0


def raw_local_deliver(skb: SkBuff, protocol: int) -> bool:
    """raw_local_deliver / raw_v4_input: a clone to every matching socket; True when one matched."""
    dev = skb.dev
    net = dev.net if dev is not None else None
    if net is None:
        rt = skb.cb.get("rt")
        net = rt.dev.net if rt is not None else None
    if net is None:
        return False
    chain = raw_table(net).chain(protocol)
    if not chain:
        return False
    nh = skb.network_header
    saddr, daddr = struct.unpack_from("!II", skb.head, nh + 12)
    dif = _iif(skb)
    delivered = False
    for sk in list(chain):
        if not raw_v4_match(sk, protocol, saddr, daddr, dif):
            continue
        delivered = True
        if protocol == uapi.IPPROTO_ICMP and icmp_filter(sk, skb):
            continue
        if not ip_mc_sf_allow(sk, daddr, saddr, dif):
            continue
        raw_rcv(sk, skb.clone())
    return delivered


def raw_rcv(sk: InetSock, skb: SkBuff) -> int:
    """raw_rcv + raw_rcv_skb: back to the IP header, then sock_queue_rcv_skb."""
    skb.doff = skb.network_header
    return sock_queue_rcv_skb(sk, skb)


def sock_queue_rcv_skb(sk: InetSock, skb: SkBuff) -> int:
    """__sock_queue_rcv_skb: drop (sk_drops) once sk_rmem_alloc reached sk_rcvbuf."""
    if sk.sk_rmem_alloc >= sk.sk_rcvbuf:
        sk.sk_drops += 1
        return -uapi.ENOMEM
    skb.destructor = None
    sk.skb_set_owner_r(skb)
    skb.cb["dropcount"] = sk.sk_drops
    sk.sk_receive_queue.append(skb)
    sk.data_ready()
    return 0


# --- ICMP errors -------------------------------------------------------------------------

def raw_icmp_error(skb: SkBuff, protocol: int, info: int) -> None:
    """raw_icmp_error: skb data at the quoted IP header; every raw socket that sent such a packet."""
    dev = skb.dev
    net = dev.net if dev is not None else None
    if net is None:
        return
    inner = skb.doff
    if inner + IP_HLEN > skb.tail:
        return
    isaddr, idaddr = struct.unpack_from("!II", skb.head, inner + 12)
    iproto = skb.head[inner + 9]
    dif = dev.ifindex
    for sk in list(raw_table(net).chain(protocol)):
        if raw_v4_match(sk, iproto, idaddr, isaddr, dif):
            raw_err(sk, skb, info)


def raw_err(sk: InetSock, skb: SkBuff, info: int) -> None:
    type_, code, _ = skb.cb.get("icmp", (uapi.ICMP_DEST_UNREACH, 0, info))
    if type_ == uapi.ICMP_REDIRECT:
        return
    recverr = sk.recverr
    if not recverr and sk.sk_state != TCP_ESTABLISHED:
        return
    harderr = False
    if type_ == uapi.ICMP_SOURCE_QUENCH:
        return
    if type_ == uapi.ICMP_PARAMETERPROB:
        err, harderr = uapi.EPROTO, True
    elif type_ == uapi.ICMP_DEST_UNREACH:
        err = uapi.EHOSTUNREACH
        if code <= uapi.NR_ICMP_UNREACH:
            if code == uapi.ICMP_FRAG_NEEDED:
                ipv4_sk_update_pmtu(skb, sk, info)
                harderr = sk.pmtudisc != uapi.IP_PMTUDISC_DONT
                err = uapi.EMSGSIZE
            else:
                err, harderr = icmp_err_convert(code)
    else:
        err = uapi.EHOSTUNREACH
    if recverr:
        inner = skb.doff
        ihl = (skb.head[inner] & 0xF) * 4
        start = inner if sk.hdrincl else inner + ihl
        ip_icmp_error(sk, skb, err, 0, info, bytes(skb.head[start:skb.tail]))
    if recverr or harderr:
        sk.sk_err = err
        sk.error_report()


# --- send ---------------------------------------------------------------------------------

def ip_sendmsg_scope(sk: InetSock, opt: IpOptions | None, flags: int) -> int:
    if sk.sock_flag(SOCK_LOCALROUTE) or flags & uapi.MSG_DONTROUTE or (opt is not None and opt.is_strictroute):
        return RT_SCOPE_LINK
    return RT_SCOPE_UNIVERSE


def inet_sk_flowi_flags(sk: InetSock) -> int:
    anysrc = sk.transparent or sk.hdrincl
    return FLOWI_FLAG_ANYSRC if anysrc else 0




@dataclass
class IpSend:
    """What ip_append_data + ip_push_pending_frames need: the route, the flow, TTL/TOS/options."""

    rt: Rtable
    fl4: Flowi4
    ttl: int
    tos: int
    opt: IpOptions | None
    mtu: int


def ip_setup_send(sk: InetSock, rt: Rtable, fl4: Flowi4, ipc: IpcmCookie, opt: IpOptions | None) -> IpSend | int:
    """ip_setup_cork: fragment size, TTL (ipc, multicast TTL, IP_TTL or the default), TOS and options."""
    mtu = rt.dst_mtu() if ip_sk_use_pmtu(sk) else rt.dev.mtu
    if mtu < 68:
        return -uapi.ENETUNREACH
    if ipc.ttl:
        ttl = ipc.ttl
    elif rt.rt_type == RTN_MULTICAST:
        ttl = sk.mc_ttl
    else:
        ttl = ip_select_ttl(sk)
    tos = ipc.tos if ipc.tos != -1 else sk.tos
    return IpSend(rt, fl4, ttl, tos, opt, mtu)


def ip_append_check(sk: InetSock, send: IpSend, pending: int, length: int) -> int:
    """__ip_append_data's size check: EMSGSIZE (and a local error with IP_RECVERR) past what may go out."""
    optlen = send.opt.optlen if send.opt is not None else 0
    maxnonfragsize = IP_MAX_MTU if ip_sk_ignore_df(sk) else send.mtu
    if pending + length > maxnonfragsize - (IP_HLEN + optlen):
        ip_local_error(sk, uapi.EMSGSIZE, send.fl4.daddr, sk.inet_dport, send.mtu - optlen)
        return -uapi.EMSGSIZE
    return 0


def ip_push_frames(sk: InetSock, send: IpSend, payload: bytes, proto: int, flags: int) -> int:
    """ip_push_pending_frames: one skb holding payload (the transport part), the IP header by ip_build_xmit."""
    from kernel.net.ipv4.ip_output import ip_build_xmit

    skb = alloc_skb(len(payload), MAX_HEADER)
    skb.put_data(payload)
    skb.transport_header = skb.doff
    optlen = send.opt.optlen if send.opt is not None else 0
    df = (sk.pmtudisc in (uapi.IP_PMTUDISC_DO, uapi.IP_PMTUDISC_PROBE)
          or (len(payload) + IP_HLEN + optlen <= send.rt.dst_mtu() and sk.pmtudisc == uapi.IP_PMTUDISC_WANT))
    sk.skb_set_owner_w(skb)
    skb.priority = sk.sk_priority
    skb.mark = sk.sk_mark
    err = int(ip_build_xmit(sk.net, skb, rt=send.rt, fl4=send.fl4, proto=proto, ttl=send.ttl, tos=send.tos, df=df,
                            opt=send.opt, sk=sk, mc_loop=sk.mc_loop, ignore_df=ip_sk_ignore_df(sk)))
    if err > 0:
        err = 0
    if err == -uapi.ENOBUFS and not sk.recverr:
        err = 0
    return err


def route_datagram(sk: InetSock, flags: int, daddr: int, ipc: IpcmCookie, proto: int,
                   icmp: tuple[int, int] = (0, 0), hdrincl: bool = False) -> tuple[Rtable, Flowi4, IpOptions | None] | int:
    """The common part of raw_sendmsg / ping_v4_sendmsg: options, scope, oif, the route, SO_BROADCAST."""
    opt: IpOptions | None = ipc.opt if ipc.has_opt else sk.inet_opt  # type: ignore[assignment]
    saddr = ipc.addr
    ipc.addr = faddr = daddr
    if opt is not None:
        if hdrincl:
            return -uapi.EINVAL  # IP options with IP_HDRINCL make no sense
        if opt.srr:
            if not daddr:
                return -uapi.EINVAL
            faddr = opt.faddr
    tos = (ipc.tos if ipc.tos != -1 else sk.tos) & IPTOS_TOS_MASK
    scope = ip_sendmsg_scope(sk, opt, flags)
    if ipv4_is_multicast(daddr):
        if not ipc.oif:
            ipc.oif = sk.mc_index
        if not saddr:
            saddr = sk.mc_addr
    elif not ipc.oif:
        ipc.oif = sk.uc_index
    elif ipv4_is_lbcast(daddr) and sk.uc_index:
        pass  # the l3mdev case of raw_sendmsg: no VRFs here
    fl4 = Flowi4(daddr=faddr, saddr=saddr, tos=tos, oif=ipc.oif, proto=proto, scope=scope,
                 flags=inet_sk_flowi_flags(sk) | (FLOWI_FLAG_ANYSRC if sk.freebind
                                                  or sk.host.sysctl["net.ipv4.ip_nonlocal_bind"] else 0),
                 mark=ipc.mark, icmp_type=icmp[0], icmp_code=icmp[1])
    rt = ip_route_output_key(sk.net, fl4)
    if isinstance(rt, int):
        if rt == -uapi.ENETUNREACH:
            sk.net.snmp_inc("Ip", "OutNoRoutes")
        return rt
    if rt.rt_flags & RTCF_BROADCAST and not sk.sock_flag(SOCK_BROADCAST):
        return -uapi.EACCES
    return rt, fl4, opt


async def raw_sendmsg(sk: InetSock, msg: MsgHdr, size: int, flags: int) -> int:
    if size > 0xFFFF:
        return -uapi.EMSGSIZE
    hdrincl = sk.hdrincl
    if flags & uapi.MSG_OOB:
        return -uapi.EOPNOTSUPP
    if msg.name:
        if len(msg.name) < 16:
            return -uapi.EINVAL
        family, _, daddr = parse_sockaddr_in(msg.name)
        if family != uapi.AF_INET and family:
            return -uapi.EAFNOSUPPORT
    else:
        if sk.sk_state != TCP_ESTABLISHED:
            return -uapi.EDESTADDRREQ
        daddr = sk.inet_daddr
    ipc = IpcmCookie(addr=sk.inet_saddr, oif=sk.sk_bound_dev_if, mark=sk.sk_mark, priority=sk.sk_priority)
    if hdrincl:
        ipc.protocol = uapi.IPPROTO_RAW
    if msg.control:
        err = ip_cmsg_send(sk, msg.control, ipc)
        if err:
            return err
    data = b"".join(msg.iov)
    icmp = (data[0], data[1]) if sk.sk_protocol == uapi.IPPROTO_ICMP and not hdrincl and len(data) >= 2 else (0, 0)
    routed = route_datagram(sk, flags, daddr, ipc, ipc.protocol if hdrincl else sk.sk_protocol, icmp, hdrincl)
    if isinstance(routed, int):
        return routed
    rt, fl4, opt = routed
    if hdrincl:
        err = await raw_send_hdrinc(sk, fl4, rt, data, flags)
    else:
        err = await raw_append_and_push(sk, rt, fl4, ipc, opt, data, flags)
    return err if err < 0 else size


async def raw_send_hdrinc(sk: InetSock, fl4: Flowi4, rt: Rtable, data: bytes, flags: int) -> int:
    """raw_send_hdrinc: the user's IP header, checked, then ip_output_hdrincl fills it in."""
    from kernel.net.ipv4.ip_output import ip_output_hdrincl

    length = len(data)
    if length > rt.dev.mtu:
        ip_local_error(sk, uapi.EMSGSIZE, fl4.daddr, sk.inet_dport, rt.dev.mtu)
        return -uapi.EMSGSIZE
    if length < IP_HLEN:
        return -uapi.EINVAL
    ihl = (data[0] & 0xF) * 4
    if ihl < IP_HLEN or ihl > length:
        return -uapi.EINVAL
    err = await sock_wait_for_wmem(sk, flags)
    if err:
        return err
    skb = alloc_skb(length, MAX_HEADER)
    skb.put_data(data)
    sk.skb_set_owner_w(skb)
    skb.priority = sk.sk_priority
    skb.mark = sk.sk_mark
    err = int(ip_output_hdrincl(sk.net, skb, rt, sk, fl4))
    if err > 0:
        err = 0
    if err == -uapi.ENOBUFS and not sk.recverr:
        err = 0
    return err


async def raw_append_and_push(sk: InetSock, rt: Rtable, fl4: Flowi4, ipc: IpcmCookie, opt: IpOptions | None,
                              data: bytes, flags: int) -> int:
    """ip_append_data (MSG_MORE keeps the data corked) + ip_push_pending_frames."""
    if not ipc.addr:
        ipc.addr = fl4.daddr
    rs = raw_sk(sk)
    if rs.cork is None:
        send = ip_setup_send(sk, rt, fl4, ipc, opt)
        if isinstance(send, int):
            return send
    else:
        send = rs.cork
        send.fl4 = fl4
    pending = sum(len(p) for p in rs.pending)
    err = ip_append_check(sk, send, pending, len(data))
    if not err:
        err = await sock_wait_for_wmem(sk, flags)
    if err:
        raw_flush_pending(sk)
        return err
    rs.pending.append(data)
    if flags & uapi.MSG_MORE:
        rs.cork = send
        return 0
    payload = b"".join(rs.pending)
    raw_flush_pending(sk)
    return ip_push_frames(sk, send, payload, sk.sk_protocol, flags)


def raw_flush_pending(sk: InetSock) -> None:
    rs = raw_sk(sk)
    rs.pending = []
    rs.cork = None


# --- recvmsg ---------------------------------------------------------------------------------

async def skb_recv_datagram(sk: InetSock, flags: int) -> SkBuff | int:
    """__skb_recv_datagram: the first queued datagram (left there with MSG_PEEK); 0 at RCV_SHUTDOWN."""
    timeo = sk.rcvtimeo(bool(flags & uapi.MSG_DONTWAIT))
    while True:
        err = sk.sock_error()
        if err:
            return err
        if sk.sk_receive_queue:
            if flags & uapi.MSG_PEEK:
                return sk.sk_receive_queue[0]
            return sk.sk_receive_queue.popleft()
        if not timeo:
            return -uapi.EAGAIN
        if sk.sk_shutdown & RCV_SHUTDOWN:
            return 0
        timeo = await wait_event(
            sk.sk_wq, sk.host.clock, timeo,
            lambda: bool(sk.sk_receive_queue) or bool(sk.sk_err) or bool(sk.sk_shutdown & RCV_SHUTDOWN),
        )
        if not timeo and not sk.sk_receive_queue:
            return -uapi.EAGAIN


def sock_recv_cmsgs(w: CmsgWriter, sk: InetSock, skb: SkBuff) -> None:
    """sock_recv_cmsgs: SO_TIMESTAMP, then SO_RXQ_OVFL (only a nonzero drop count)."""
    if sk.sock_flag(SOCK_RCVTSTAMP):
        t = skb.tstamp
        sec = int(t)
        w.put_cmsg(uapi.SOL_SOCKET, SO_TIMESTAMP_OLD, struct.pack("<qq", sec, int((t - sec) * 1_000_000)))
    drops = int(skb.cb.get("dropcount", 0))
    if sk.sock_flag(SOCK_RXQ_OVFL) and drops:
        w.put_cmsg(uapi.SOL_SOCKET, uapi.SO_RXQ_OVFL, struct.pack("<I", drops & 0xFFFFFFFF))


async def datagram_recvmsg(sk: InetSock, msg: MsgHdr, size: int, flags: int, *, trunc_len: bool) -> int:
    """raw_recvmsg / ping_recvmsg: the skb's data from skb.doff (the IP header for raw, ICMP for ping)."""
    if flags & uapi.MSG_OOB:
        return -uapi.EOPNOTSUPP
    if flags & uapi.MSG_ERRQUEUE:
        return ip_recv_error(sk, msg, size)
    got = await skb_recv_datagram(sk, flags)
    if isinstance(got, int):
        return got
    skb = got
    full = skb.len
    copied = full
    if size < copied:
        msg.flags |= uapi.MSG_TRUNC
        copied = size
    msg.data = bytes(skb.head[skb.doff:skb.doff + copied])
    w = CmsgWriter(msg.controllen)
    sock_recv_cmsgs(w, sk, skb)
    if msg.namelen:
        saddr = struct.unpack_from("!I", skb.head, skb.network_header + 12)[0]
        msg.name = sockaddr_in(saddr, 0)
    if sk.cmsg_flags:
        ip_cmsg_recv_offset(w, sk, skb, 0, 0)
    if msg.controllen > 0 or w.buf:
        msg.control = bytes(w.buf)
    msg.flags |= w.flags
    if not flags & uapi.MSG_PEEK:
        skb.free()
    return full if (flags & uapi.MSG_TRUNC and trunc_len) else copied


# --- options ---------------------------------------------------------------------------------

def raw_setsockopt(sk: InetSock, level: int, optname: int, optval: bytes) -> int:
    if level != uapi.SOL_RAW:
        return ip_setsockopt(sk, level, optname, optval)
    if optname == uapi.ICMP_FILTER:
        if sk.inet_num != uapi.IPPROTO_ICMP:
            return -uapi.EOPNOTSUPP
        n = min(len(optval), ICMP_FILTER_SIZE)
        raw_sk(sk).icmp_filter[:n] = optval[:n]  # a short optval overwrites only its bytes
        return 0
    return -uapi.ENOPROTOOPT


def raw_getsockopt(sk: InetSock, level: int, optname: int, opt: OptBuf) -> int:
    if level != uapi.SOL_RAW:
        return ip_getsockopt(sk, level, optname, opt)
    if optname == uapi.ICMP_FILTER:
        if sk.inet_num != uapi.IPPROTO_ICMP:
            return -uapi.EOPNOTSUPP
        if opt.size < 0:
            return -uapi.EINVAL
        n = min(opt.size, ICMP_FILTER_SIZE)
        opt.data, opt.size = bytes(raw_sk(sk).icmp_filter[:n]), n
        return 0
    return -uapi.ENOPROTOOPT


# --- the proto ---------------------------------------------------------------------------------

def raw_bind(sk: InetSock, addr: bytes) -> int:
    """raw_bind: a local (or broadcast/multicast: no source then) address; no family check, no port."""
    if sk.sk_state != TCP_CLOSE or len(addr) < 16:
        return -uapi.EINVAL
    _, _, s_addr = parse_sockaddr_in(addr)
    chk = inet_addr_type(sk.net, s_addr)
    if not inet_addr_valid_or_nonlocal(sk.net, sk, s_addr, chk):
        return -uapi.EADDRNOTAVAIL
    sk.inet_rcv_saddr = sk.inet_saddr = s_addr
    if chk in (RTN_MULTICAST, RTN_BROADCAST):
        sk.inet_saddr = 0
    sk.sk_dst_cache = None
    return 0


def udp_style_disconnect(sk: InetSock, unhash: Any) -> int:
    """__udp_disconnect (raw and ping use it too): forget the peer and what bind did not lock."""
    sk.sk_state = TCP_CLOSE
    sk.inet_daddr = 0
    sk.inet_dport = 0
    sk.sk_bound_dev_if = 0
    if not sk.sk_userlocks & SOCK_BINDADDR_LOCK:
        sk.inet_saddr = sk.inet_rcv_saddr = 0
    if not sk.sk_userlocks & SOCK_BINDPORT_LOCK:
        unhash(sk)
        sk.inet_sport = 0
    sk.sk_dst_cache = None
    if sk.sk_socket is not None:
        sk.sk_socket.state = SS_UNCONNECTED
    return 0


class RawProto(InetProto):
    """raw_prot."""

    name = "RAW"
    has_bind = True

    def init(self, sk: InetSock, proc: Process | None) -> int:
        raw_sk(sk)  # raw_sk_init: an all-pass ICMP filter
        return 0

    def close(self, sk: InetSock, timeout: int) -> None:
        if sk.router_alert:
            from kernel.net.ipv4.ip_sockglue import ip_ra_control

            ip_ra_control(sk, False)
        sk_common_release(sk)

    def destroy(self, sk: InetSock) -> None:
        raw_flush_pending(sk)

    def bind(self, sk: InetSock, addr: bytes) -> int:
        return raw_bind(sk, addr)

    def connect(self, sk: InetSock, addr: bytes) -> int:
        return ip4_datagram_connect(sk, addr)

    def disconnect(self, sk: InetSock, flags: int) -> int:
        return udp_style_disconnect(sk, raw_unhash_sk)

    def hash(self, sk: InetSock) -> int:
        return raw_hash_sk(sk)

    def unhash(self, sk: InetSock) -> None:
        raw_unhash_sk(sk)

    def ioctl(self, sk: InetSock, cmd: int, argp: list[int]) -> int:
        if cmd == uapi.SIOCOUTQ:
            argp[0] = max(sk.sk_wmem_alloc, 0)
            return 0
        if cmd == uapi.SIOCINQ:
            argp[0] = sk.sk_receive_queue[0].len if sk.sk_receive_queue else 0
            return 0
        return super().ioctl(sk, cmd, argp)

    def poll(self, sock: Socket, sk: InetSock) -> int:
        return datagram_poll(sock, sk)

    def setsockopt(self, sk: InetSock, level: int, optname: int, optval: bytes) -> int:
        return raw_setsockopt(sk, level, optname, optval)

    def getsockopt(self, sk: InetSock, level: int, optname: int, opt: OptBuf) -> int:
        return raw_getsockopt(sk, level, optname, opt)

    async def sendmsg(self, proc: Process, sk: InetSock, msg: MsgHdr, size: int, flags: int) -> int:
        return await raw_sendmsg(sk, msg, size, flags)

    async def recvmsg(self, proc: Process, sk: InetSock, msg: MsgHdr, size: int, flags: int) -> int:
        return await datagram_recvmsg(sk, msg, size, flags, trunc_len=True)


raw_prot = RawProto()


def raw_init() -> None:
    """inet_init's raw part: the wildcard SOCK_RAW entry and the IP layer's hooks."""
    inet_register_protosw(InetProtosw(uapi.SOCK_RAW, uapi.IPPROTO_IP, raw_prot, inet_sockraw_ops, INET_PROTOSW_REUSE))
    raw_hooks.deliver = raw_local_deliver
    raw_hooks.icmp_error = raw_icmp_error


raw_init()

import kernel.net.ipv4.ping  # noqa: E402,F401  (inet_init's ping entry comes with raw's)
