"""ICMP echo ("ping") sockets: SOCK_DGRAM + IPPROTO_ICMP (net/ipv4/ping.c; RFC 792 echo).

Creation (``ping_init_sock``): the caller's gid must lie in
net.ipv4.ping_group_range (default "1 0": nobody, root included) or
socket() fails with EACCES.  The inetsw entry uses inet_sockraw_ops, as
Linux's does, and SO_REUSEADDR is on from the start (INET_PROTOSW_REUSE).

Identifiers are ports (``ping_get_port``): bind to (address, ident) -- the
address local (EADDRNOTAVAIL for broadcast/multicast/foreign unless
nonlocal bind is allowed), AF_INET or AF_UNSPEC with INADDR_ANY
(EAFNOSUPPORT), EINVAL when already bound; an explicit ident conflicts with
another socket holding it unless both have SO_REUSEADDR (EADDRINUSE); ident 0
and the first send or connect pick the next free one after a per-namespace
rover.  Sockets are kept newest first per ident.

Send (``ping_v4_sendmsg``): EMSGSIZE above 65535, EINVAL under an 8-byte ICMP
header or for anything but an echo request with code 0, EOPNOTSUPP for
MSG_OOB, a sockaddr_in (EINVAL short, EAFNOSUPPORT for another family) or
the connected peer (EDESTADDRREQ), then the route and the IP layer as UDP
does; the kernel writes the identifier and the checksum into the user's
header (the user's sequence number and payload stay).

Receive: an echo reply (``ping_rcv``, installed as ``raw_hooks.ping_rcv``)
goes to the newest socket holding its identifier whose bound address (if
any) is the reply's destination and whose bound device (if any) is the input
device; ``ping_recvmsg`` returns the ICMP header and payload (no IP header),
the source address with port 0, MSG_TRUNC (the flag; the copied length is
returned) and the IP cmsgs.  ICMP errors quoting one of our echo requests
(``ping_err``) set sk_err / queue an IP_RECVERR entry (EHOSTUNREACH,
EREMOTEIO for source quench and redirect, EPROTO, EMSGSIZE...).
"""
from __future__ import annotations

import struct
from typing import TYPE_CHECKING, Any

from kernel import uapi
from kernel.net.core.skbuff import SkBuff
from kernel.net.ipv4.af_inet import (
    INET_PROTOSW_REUSE,
    RTN_BROADCAST,
    RTN_LOCAL,
    RTN_MULTICAST,
    InetProto,
    InetProtosw,
    datagram_poll,
    inet_addr_type,
    inet_can_nonlocal_bind,
    inet_register_protosw,
    inet_sockraw_ops,
    ip4_datagram_connect,
    sk_common_release,
)
from kernel.net.ipv4.inet_hashtables import PortTable, port_table
from kernel.net.ipv4.inet_sock import (
    SOCK_BINDADDR_LOCK,
    SOCK_BINDPORT_LOCK,
    InetSock,
    parse_sockaddr_in,
    sock_wait_for_wmem,
)
from kernel.net.ipv4.ip_sockglue import IpcmCookie, icmp_err_convert, ip_cmsg_send, ip_icmp_error
from kernel.net.ipv4.protocol import raw_hooks
from kernel.net.ipv4.raw import (
    datagram_recvmsg,
    ip_append_check,
    ip_push_frames,
    ip_setup_send,
    route_datagram,
    sock_queue_rcv_skb,
    udp_style_disconnect,
)
from kernel.net.ipv4.route import ipv4_sk_update_pmtu
from kernel.net.sock import SOCK_DEAD, TCP_ESTABLISHED, Socket
from kernel.net.uaccess import MsgHdr
from kernel.net.wire.checksum import internet_checksum

if TYPE_CHECKING:
    from kernel.net.core.net_namespace import Net
    from kernel.process import Process

ICMPH_LEN = 8
EREMOTEIO = 121


def ping_table(net: Net) -> PortTable:
    return port_table(net, "ping")


def ping_sockets(net: Net) -> list[InetSock]:
    """Every bound ping socket of the namespace (/proc/net/icmp's rows)."""
    return ping_table(net).all_socks()


def ping_group_range(net: Net) -> tuple[int, int]:
    """net.ipv4.ping_group_range as (low, high) gids (a tuple, a list or the "low high" text)."""
    value: Any = net.sysctl.get("net.ipv4.ping_group_range", (1, 0))
    if isinstance(value, str):
        parts = value.split()
        return int(parts[0]), int(parts[1])
    low, high = value
    return int(low), int(high)


def ping_supported(type_: int, code: int) -> bool:
    return type_ == uapi.ICMP_ECHO and code == 0


# --- identifiers (ping_get_port / ping_unhash) ---------------------------------------------------

def ping_get_port(sk: InetSock, ident: int) -> int:
    table = ping_table(sk.net)
    if ident == 0:
        st = sk.net.__dict__.setdefault("ping_port_rover", [0])
        result = (st[0] + 1) & 0xFFFF
        for _ in range(1 << 16):
            if not result:
                result = 1
            if not any(s.inet_num == result for s in table.chain(result)):
                st[0] = ident = result
                break
            result = (result + 1) & 0xFFFF
        else:
            return -uapi.EADDRINUSE
    else:
        for other in table.chain(ident):
            if other is not sk and (not other.sk_reuse or not sk.sk_reuse):
                return -uapi.EADDRINUSE
    if sk.hashed and sk.inet_num != ident:
        table.remove(sk, sk.inet_num)
        sk.hashed = False
    sk.inet_num = ident
    if not sk.hashed:
        table.add(sk, ident)
        sk.hashed = True
    return 0


def ping_unhash(sk: InetSock) -> None:
    if sk.hashed:
        ping_table(sk.net).remove(sk, sk.inet_num)
        sk.hashed = False
        sk.inet_num = 0
        sk.inet_sport = 0


def ping_lookup(net: Net, skb: SkBuff, ident: int) -> InetSock | None:
    """ping_lookup: the newest socket with this identifier, bound address = daddr, bound device = the input."""
    daddr = struct.unpack_from("!I", skb.head, skb.network_header + 16)[0]
    dif = skb.skb_iif or (skb.dev.ifindex if skb.dev is not None else 0)
    for sk in ping_table(net).chain(ident):
        if sk.inet_num != ident:
            continue
        if sk.inet_rcv_saddr and sk.inet_rcv_saddr != daddr:
            continue
        if sk.sk_bound_dev_if and sk.sk_bound_dev_if != dif:
            continue
        return sk
    return None


# --- receive ----------------------------------------------------------------------------------------

def _net_of(skb: SkBuff) -> Net | None:
    if skb.dev is not None and skb.dev.net is not None:
        net: Net = skb.dev.net
        return net
    rt = skb.cb.get("rt")
    return rt.dev.net if rt is not None else None


def ping_rcv(skb: SkBuff) -> bool:
    """ping_rcv: an echo reply (skb data at its ICMP header) to the socket holding its identifier."""
    net = _net_of(skb)
    if net is None:
        return False
    th = skb.transport_header if skb.transport_header >= 0 else skb.doff
    if th + ICMPH_LEN > skb.tail:
        return False
    ident = struct.unpack_from("!H", skb.head, th + 4)[0]
    sk = ping_lookup(net, skb, ident)
    if sk is None:
        return False
    clone = skb.clone()
    clone.doff = th
    return sock_queue_rcv_skb(sk, clone) == 0


def ping_icmp_err(skb: SkBuff, info: int) -> None:
    """icmp_err's ping part: an ICMP error quoting an echo request (skb data at the quoted IP header)."""
    inner = skb.doff
    ihl = (skb.head[inner] & 0xF) * 4
    if inner + ihl + ICMPH_LEN > skb.tail:
        return
    if skb.head[inner + ihl] == uapi.ICMP_ECHOREPLY:
        return  # about an echo reply the kernel sent: only PMTU / redirect bookkeeping
    ping_err(skb, ihl, info)


def ping_err(skb: SkBuff, offset: int, info: int) -> None:
    net = _net_of(skb)
    if net is None:
        return
    type_, code, _ = skb.cb.get("icmp", (uapi.ICMP_DEST_UNREACH, 0, info))
    icmph = skb.doff + offset
    if not ping_supported(skb.head[icmph], skb.head[icmph + 1]):
        return
    ident = struct.unpack_from("!H", skb.head, icmph + 4)[0]
    sk = ping_lookup(net, skb, ident)
    if sk is None:
        return
    harderr = False
    if type_ == uapi.ICMP_SOURCE_QUENCH or type_ == uapi.ICMP_REDIRECT:
        err = EREMOTEIO
    elif type_ == uapi.ICMP_PARAMETERPROB:
        err, harderr = uapi.EPROTO, True
    elif type_ == uapi.ICMP_DEST_UNREACH:
        if code == uapi.ICMP_FRAG_NEEDED:
            ipv4_sk_update_pmtu(skb, sk, info)
            if sk.pmtudisc == uapi.IP_PMTUDISC_DONT:
                return
            err, harderr = uapi.EMSGSIZE, True
        else:
            err = uapi.EHOSTUNREACH
            if code <= uapi.NR_ICMP_UNREACH:
                err, harderr = icmp_err_convert(code)
    else:
        err = uapi.EHOSTUNREACH
    if not sk.recverr:
        if not harderr or sk.sk_state != TCP_ESTABLISHED:
            return
    else:
        ip_icmp_error(sk, skb, err, 0, info, bytes(skb.head[icmph:skb.tail]))
    sk.sk_err = err
    if not sk.sock_flag(SOCK_DEAD):
        sk.error_report()


# --- send ---------------------------------------------------------------------------------------------

async def ping_v4_sendmsg(sk: InetSock, msg: MsgHdr, size: int, flags: int) -> int:
    if size > 0xFFFF:
        return -uapi.EMSGSIZE
    if size < ICMPH_LEN:
        return -uapi.EINVAL
    if flags & uapi.MSG_OOB:
        return -uapi.EOPNOTSUPP
    data = b"".join(msg.iov)
    type_, code = data[0], data[1]
    if not ping_supported(type_, code):
        return -uapi.EINVAL
    if msg.name:
        if len(msg.name) < 16:
            return -uapi.EINVAL
        family, _, daddr = parse_sockaddr_in(msg.name)
        if family != uapi.AF_INET:
            return -uapi.EAFNOSUPPORT
    else:
        if sk.sk_state != TCP_ESTABLISHED:
            return -uapi.EDESTADDRREQ
        daddr = sk.inet_daddr
    ipc = IpcmCookie(addr=sk.inet_saddr, oif=sk.sk_bound_dev_if, mark=sk.sk_mark, priority=sk.sk_priority)
    if msg.control:
        err = ip_cmsg_send(sk, msg.control, ipc)
        if err:
            return err
    routed = route_datagram(sk, flags, daddr, ipc, uapi.IPPROTO_ICMP, (type_, code))
    if isinstance(routed, int):
        return routed
    rt, fl4, opt = routed
    if not ipc.addr:
        ipc.addr = fl4.daddr
    send = ip_setup_send(sk, rt, fl4, ipc, opt)
    if isinstance(send, int):
        return send
    err = ip_append_check(sk, send, 0, size)
    if err:
        return err
    err = await sock_wait_for_wmem(sk, flags)
    if err:
        return err
    seq = struct.unpack_from("!H", data, 6)[0]
    header = struct.pack("!BBHHH", type_, code, 0, sk.inet_sport, seq)
    csum = internet_checksum(header + data[ICMPH_LEN:])
    icmp = struct.pack("!BBHHH", type_, code, csum, sk.inet_sport, seq) + data[ICMPH_LEN:]
    err = ip_push_frames(sk, send, icmp, uapi.IPPROTO_ICMP, flags)
    return err if err < 0 else size


# --- bind ---------------------------------------------------------------------------------------------

def ping_check_bind_addr(sk: InetSock, addr: bytes) -> int:
    if len(addr) < 16:
        return -uapi.EINVAL
    family, _, s_addr = parse_sockaddr_in(addr)
    if family != uapi.AF_INET and not (family == uapi.AF_UNSPEC and s_addr == 0):
        return -uapi.EAFNOSUPPORT
    if s_addr == 0:
        return 0
    chk = inet_addr_type(sk.net, s_addr)
    if chk in (RTN_MULTICAST, RTN_BROADCAST) or (chk != RTN_LOCAL and not inet_can_nonlocal_bind(sk.net, sk)):
        return -uapi.EADDRNOTAVAIL
    return 0


def ping_bind(sk: InetSock, addr: bytes) -> int:
    err = ping_check_bind_addr(sk, addr)
    if err:
        return err
    if sk.inet_num:
        return -uapi.EINVAL
    family, snum, s_addr = parse_sockaddr_in(addr)
    if ping_get_port(sk, snum):
        return -uapi.EADDRINUSE
    if family == uapi.AF_INET:
        sk.inet_rcv_saddr = sk.inet_saddr = s_addr
    if sk.inet_rcv_saddr:
        sk.sk_userlocks |= SOCK_BINDADDR_LOCK
    if snum:
        sk.sk_userlocks |= SOCK_BINDPORT_LOCK
    sk.inet_sport = sk.inet_num
    sk.inet_daddr = 0
    sk.inet_dport = 0
    sk.sk_dst_cache = None
    return 0


# --- the proto ---------------------------------------------------------------------------------------

class PingProto(InetProto):
    """ping_prot."""

    name = "PING"
    has_bind = True

    def init(self, sk: InetSock, proc: Process | None) -> int:
        """ping_init_sock: the caller's group must be in net.ipv4.ping_group_range."""
        low, high = ping_group_range(sk.net)
        gid = proc.gid if proc is not None else 0
        groups = [gid, *getattr(proc, "groups", ())]
        if any(low <= g <= high for g in groups):
            return 0
        return -uapi.EACCES

    def close(self, sk: InetSock, timeout: int) -> None:
        sk_common_release(sk)

    def bind(self, sk: InetSock, addr: bytes) -> int:
        return ping_bind(sk, addr)

    def get_port(self, sk: InetSock, snum: int) -> int:
        return ping_get_port(sk, snum)

    def connect(self, sk: InetSock, addr: bytes) -> int:
        return ip4_datagram_connect(sk, addr)

    def disconnect(self, sk: InetSock, flags: int) -> int:
        return udp_style_disconnect(sk, ping_unhash)

    def unhash(self, sk: InetSock) -> None:
        ping_unhash(sk)

    def poll(self, sock: Socket, sk: InetSock) -> int:
        return datagram_poll(sock, sk)

    async def sendmsg(self, proc: Process, sk: InetSock, msg: MsgHdr, size: int, flags: int) -> int:
        return await ping_v4_sendmsg(sk, msg, size, flags)

    async def recvmsg(self, proc: Process, sk: InetSock, msg: MsgHdr, size: int, flags: int) -> int:
        return await datagram_recvmsg(sk, msg, size, flags, trunc_len=False)


ping_prot = PingProto()


def ping_init() -> None:
    """inet_init's ping entry (SOCK_DGRAM, IPPROTO_ICMP, inet_sockraw_ops) and the echo-reply hook."""
    inet_register_protosw(InetProtosw(uapi.SOCK_DGRAM, uapi.IPPROTO_ICMP, ping_prot, inet_sockraw_ops,
                                      INET_PROTOSW_REUSE))
    raw_hooks.ping_rcv = ping_rcv
    raw_hooks.ping_err = ping_icmp_err


ping_init()
