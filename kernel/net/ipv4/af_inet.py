"""PF_INET (net/ipv4/af_inet.c): socket creation through inetsw, bind, connect, shutdown.

``inetsw`` holds, per socket type, the ``InetProtosw`` entries protocols
registered with ``inet_register_protosw`` (permanent entries first, so a
wildcard protocol 0 picks them).  ``inet_create`` walks that list as Linux
does: an exact protocol match, or protocol 0 taking the entry's protocol,
or a wildcard entry (raw) taking any protocol; no entry for the type gives
ESOCKTNOSUPPORT, a type whose entries do
not match EPROTONOSUPPORT (raw with protocol 0 too), and SOCK_RAW needs
CAP_NET_RAW (EPERM).  ``inet_bind`` (EINVAL for a short address or a second
bind, EAFNOSUPPORT for another family except AF_UNSPEC with INADDR_ANY,
EADDRNOTAVAIL for an address that is not local unless
net.ipv4.ip_nonlocal_bind / IP_FREEBIND / IP_TRANSPARENT, EACCES under
net.ipv4.ip_unprivileged_port_start without CAP_NET_BIND_SERVICE) hands the
port to the protocol's ``get_port``.  ``inet_dgram_connect`` autobinds, then
the protocol connects; AF_UNSPEC disconnects.  ``inet_shutdown`` on an
unconnected socket sets the bits and reports ENOTCONN.  The proto_ops
tables: ``inet_dgram_ops`` (UDP, ping), ``inet_sockraw_ops`` (raw) and
``inet_stream_ops`` (TCP: ``inet_stream_connect`` -- EINPROGRESS, EALREADY,
EISCONN, the handshake's error from sk_err, AF_UNSPEC disconnects --,
``inet_listen``, ``inet_accept``); SOCK_STREAM/IPPROTO_TCP is tcp_prot
(kernel.net.ipv4.tcp.tcp), its sockets ``TcpSock``s (INET_PROTOSW_ICSK).
"""
from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kernel import uapi
from kernel.net.ipv4.inet_hashtables import inet_port_requires_bind_service
from kernel.net.ipv4.inet_sock import (
    SOCK_BINDADDR_LOCK,
    SOCK_BINDPORT_LOCK,
    InetSock,
    inet_sk,
    ipv4_is_multicast,
    parse_sockaddr_in,
    sockaddr_in,
)
from kernel.net.sock import (
    RCV_SHUTDOWN,
    SHUTDOWN_MASK,
    SOCK_DEAD,
    SOCK_LINGER,
    SS_CONNECTING,
    SS_UNCONNECTED,
    TCP_CLOSE,
    TCP_LISTEN,
    TCP_SYN_SENT,
    Proto,
    ProtoOps,
    Sock,
    Socket,
)
from kernel.net.socket import sock_register
from kernel.net.uaccess import MsgHdr, OptBuf

if TYPE_CHECKING:
    from kernel.net.core.dev_ioctl import Ifreq
    from kernel.process import Process

# inet_protosw flags (include/net/protocol.h)
INET_PROTOSW_REUSE = 0x01
INET_PROTOSW_PERMANENT = 0x02
INET_PROTOSW_ICSK = 0x04

# route types the bind check needs (kernel.net.ipv4.route has the full set)
RTN_LOCAL = 2
RTN_BROADCAST = 3
RTN_MULTICAST = 5

SK_CAN_REUSE = 1
ENOIOCTLCMD = 515  # kernel-internal: the socket layer turns it into ENOTTY


class InetProto(Proto):
    """struct proto for AF_INET protocols: every hook a protocol may leave at its default."""

    name = "INET"
    no_autobind = False
    has_bind = False  # a protocol with its own bind (raw) sets this and overrides bind()

    def init(self, sk: InetSock, proc: Process | None) -> int:
        return 0

    def destroy(self, sk: InetSock) -> None:
        return None

    def close(self, sk: InetSock, timeout: int) -> None:
        sk_common_release(sk)

    def bind(self, sk: InetSock, addr: bytes) -> int:
        return -uapi.EOPNOTSUPP

    def connect(self, sk: InetSock, addr: bytes) -> int:
        return -uapi.EOPNOTSUPP

    def disconnect(self, sk: InetSock, flags: int) -> int:
        return 0

    def shutdown(self, sk: InetSock, how: int) -> None:
        return None

    def hash(self, sk: InetSock) -> int:
        return 0

    def unhash(self, sk: InetSock) -> None:
        return None

    def rehash(self, sk: InetSock) -> None:
        return None

    def get_port(self, sk: InetSock, snum: int) -> int:
        return -uapi.EOPNOTSUPP

    def ioctl(self, sk: InetSock, cmd: int, argp: list[int]) -> int:
        return -ENOIOCTLCMD

    def poll(self, sock: Socket, sk: InetSock) -> int:
        return datagram_poll(sock, sk)

    def setsockopt(self, sk: InetSock, level: int, optname: int, optval: bytes) -> int:
        from kernel.net.ipv4.ip_sockglue import ip_setsockopt

        return ip_setsockopt(sk, level, optname, optval)

    def getsockopt(self, sk: InetSock, level: int, optname: int, opt: OptBuf) -> int:
        from kernel.net.ipv4.ip_sockglue import ip_getsockopt

        return ip_getsockopt(sk, level, optname, opt)

    async def sendmsg(self, proc: Process, sk: InetSock, msg: MsgHdr, size: int, flags: int) -> int:
        return -uapi.EOPNOTSUPP

    async def recvmsg(self, proc: Process, sk: InetSock, msg: MsgHdr, size: int, flags: int) -> int:
        return -uapi.EOPNOTSUPP

    def set_peek_off(self, sk: InetSock, val: int) -> int:
        sk.sk_peek_off = val
        return 0


@dataclass(eq=False)
class InetProtosw:
    """struct inet_protosw: a (type, protocol) pair and its proto + proto_ops."""

    type: int
    protocol: int
    prot: InetProto
    ops: ProtoOps
    flags: int = 0


inetsw: dict[int, list[InetProtosw]] = {t: [] for t in range(uapi.SOCK_MAX)}


def inet_register_protosw(p: InetProtosw) -> int:
    """Add after the last permanent entry; a permanent (type, protocol) cannot be overridden."""
    if p.type >= uapi.SOCK_MAX:
        return -uapi.EINVAL
    chain = inetsw[p.type]
    pos = 0
    for i, answer in enumerate(chain):
        if not answer.flags & INET_PROTOSW_PERMANENT:
            break
        if answer.protocol == p.protocol:
            return -uapi.EPERM
        pos = i + 1
    chain.insert(pos, p)
    return 0


def inet_unregister_protosw(p: InetProtosw) -> None:
    if p.flags & INET_PROTOSW_PERMANENT:
        return
    chain = inetsw.get(p.type, [])
    if p in chain:
        chain.remove(p)


# --- creation -----------------------------------------------------------------------

class InetFamily:
    """inet_family_ops: net_proto_family for PF_INET."""

    family = uapi.AF_INET

    def create(self, proc: Process, sock: Socket, protocol: int, kern: bool) -> int:
        return inet_create(proc, sock, protocol, kern)


def inet_create(proc: Process, sock: Socket, protocol: int, kern: bool) -> int:
    if protocol < 0 or protocol >= uapi.IPPROTO_MAX:
        return -uapi.EINVAL
    sock.state = SS_UNCONNECTED
    err = -uapi.ESOCKTNOSUPPORT
    found: InetProtosw | None = None
    for answer in inetsw.get(sock.type, []):
        err = 0
        if protocol == answer.protocol:
            if protocol != uapi.IPPROTO_IP:
                found = answer
                break
        else:
            if protocol == uapi.IPPROTO_IP:
                protocol = answer.protocol
                found = answer
                break
            if answer.protocol == uapi.IPPROTO_IP:
                found = answer
                break
        err = -uapi.EPROTONOSUPPORT
    if found is None:
        return err if err else -uapi.EPROTONOSUPPORT
    if sock.type == uapi.SOCK_RAW and not kern and not proc.capable(uapi.CAP_NET_RAW):
        return -uapi.EPERM
    sock.ops = found.ops
    if found.flags & INET_PROTOSW_ICSK:  # a connection socket: struct tcp_sock (prot->obj_size)
        from kernel.net.ipv4.tcp.tcp_sock import TcpSock

        sk: InetSock = TcpSock(proc.host, sock.type, protocol, found.prot)
    else:
        sk = InetSock(proc.host, sock.type, protocol, found.prot)
    sk.owner = proc
    if found.flags & INET_PROTOSW_REUSE:
        sk.sk_reuse = SK_CAN_REUSE
    if sock.type == uapi.SOCK_RAW:
        sk.inet_num = protocol
        if protocol == uapi.IPPROTO_RAW:
            sk.hdrincl = True
    sk.pmtudisc = uapi.IP_PMTUDISC_DONT if proc.host.sysctl["net.ipv4.ip_no_pmtu_disc"] else uapi.IP_PMTUDISC_WANT
    sock.sk = sk
    sk.sk_socket = sock
    if sk.inet_num:
        sk.inet_sport = sk.inet_num
        err = found.prot.hash(sk)
        if err:
            sk_common_release(sk)
            sock.sk = None
            return err
    err = found.prot.init(sk, proc)
    if err:
        sk_common_release(sk)
        sock.sk = None
        return err
    return 0


def sk_common_release(sk: InetSock) -> None:
    """sk_common_release: destroy, unhash, orphan, purge the queues."""
    prot = sk.sk_prot
    assert isinstance(prot, InetProto)
    prot.destroy(sk)
    prot.unhash(sk)
    sk.sock_set_flag(SOCK_DEAD)
    sk.sk_socket = None
    sk.purge_receive_queue()
    while sk.sk_error_queue:
        sk.sk_error_queue.popleft().free()


# --- bind -----------------------------------------------------------------------------

def inet_addr_type(net: Any, addr: int) -> int:
    from kernel.net.ipv4.route import inet_addr_type as _inet_addr_type

    return int(_inet_addr_type(net, addr))


def inet_can_nonlocal_bind(net: Any, sk: InetSock) -> bool:
    return bool(net.sysctl["net.ipv4.ip_nonlocal_bind"]) or sk.freebind or sk.transparent


def inet_addr_valid_or_nonlocal(net: Any, sk: InetSock, addr: int, addr_type: int) -> bool:
    return (inet_can_nonlocal_bind(net, sk) or addr == uapi.INADDR_ANY
            or addr_type in (RTN_LOCAL, RTN_MULTICAST, RTN_BROADCAST))


def inet_bind_sk(sk: InetSock, addr: bytes) -> int:
    prot = sk.sk_prot
    assert isinstance(prot, InetProto)
    if prot.has_bind:
        return prot.bind(sk, addr)
    if len(addr) < 16:
        return -uapi.EINVAL
    return __inet_bind(sk, addr)


def __inet_bind(sk: InetSock, addr: bytes) -> int:
    family, snum, s_addr = parse_sockaddr_in(addr)
    if family != uapi.AF_INET:
        if family != uapi.AF_UNSPEC or s_addr != uapi.INADDR_ANY:
            return -uapi.EAFNOSUPPORT
    net = sk.net
    chk_addr_ret = inet_addr_type(net, s_addr)
    if not inet_addr_valid_or_nonlocal(net, sk, s_addr, chk_addr_ret):
        return -uapi.EADDRNOTAVAIL
    if snum and inet_port_requires_bind_service(net, snum) and not sk.capable(uapi.CAP_NET_BIND_SERVICE):
        return -uapi.EACCES
    if sk.sk_state != TCP_CLOSE or sk.inet_num:
        return -uapi.EINVAL
    sk.inet_rcv_saddr = sk.inet_saddr = s_addr
    if chk_addr_ret in (RTN_MULTICAST, RTN_BROADCAST):
        sk.inet_saddr = 0
    prot = sk.sk_prot
    assert isinstance(prot, InetProto)
    if snum or not sk.bind_address_no_port:
        err = prot.get_port(sk, snum)
        if err:
            sk.inet_saddr = sk.inet_rcv_saddr = 0
            return err
    if sk.inet_rcv_saddr:
        sk.sk_userlocks |= SOCK_BINDADDR_LOCK
    if snum:
        sk.sk_userlocks |= SOCK_BINDPORT_LOCK
    sk.inet_sport = sk.inet_num
    sk.inet_daddr = 0
    sk.inet_dport = 0
    sk.sk_dst_cache = None
    return 0


def inet_autobind(sk: InetSock) -> int:
    """inet_autobind: an ephemeral port, or -EAGAIN when the range is exhausted."""
    if not sk.inet_num:
        prot = sk.sk_prot
        assert isinstance(prot, InetProto)
        if prot.get_port(sk, 0):
            return -uapi.EAGAIN
        sk.inet_sport = sk.inet_num
    return 0


def inet_send_prepare(sk: InetSock) -> int:
    prot = sk.sk_prot
    assert isinstance(prot, InetProto)
    if not sk.inet_num and not prot.no_autobind and inet_autobind(sk):
        return -uapi.EAGAIN
    return 0


# --- the other proto_ops --------------------------------------------------------------

def inet_getname(sock: Socket, peer: int) -> bytes | int:
    sk = inet_sk(sock.sk)
    if peer:
        # peer 1 is getpeername (ENOTCONN once closed); 2 is do_accept's, which names even a child reset
        # while it waited in the accept queue
        if not sk.inet_dport or (sk.sk_state in (TCP_CLOSE, TCP_SYN_SENT) and peer == 1):
            return -uapi.ENOTCONN
        return sockaddr_in(sk.inet_daddr, sk.inet_dport)
    addr = sk.inet_rcv_saddr or sk.inet_saddr
    return sockaddr_in(addr, sk.inet_sport)


def inet_shutdown(sock: Socket, how: int) -> int:
    how += 1
    if (how & ~SHUTDOWN_MASK) or not how:
        return -uapi.EINVAL
    sk = inet_sk(sock.sk)
    prot = sk.sk_prot
    assert isinstance(prot, InetProto)
    if sock.state == SS_CONNECTING:
        sock.state = SS_UNCONNECTED
    err = -uapi.ENOTCONN if sk.sk_state == TCP_CLOSE else 0
    sk.sk_shutdown |= how  # even unconnected: pollers see EPOLLHUP
    prot.shutdown(sk, how)
    sk.state_change()
    return err


def datagram_poll(sock: Socket, sk: InetSock) -> int:
    """datagram_poll: errors, shutdown, readable, writable (wmem below half of sndbuf)."""
    mask = 0
    if sk.sk_err or sk.sk_error_queue:
        mask |= uapi.POLLERR
    shutdown = sk.sk_shutdown
    if shutdown & RCV_SHUTDOWN:
        mask |= uapi.POLLRDHUP | uapi.POLLIN | uapi.POLLRDNORM
    if shutdown == SHUTDOWN_MASK:
        mask |= uapi.POLLHUP
    if sk.sk_receive_queue:
        mask |= uapi.POLLIN | uapi.POLLRDNORM
    if sk.sk_wmem_alloc < (sk.sk_sndbuf >> 1):
        mask |= uapi.POLLOUT | uapi.POLLWRNORM | uapi.POLLWRBAND
    else:
        sk.nospace = True
    return mask


class InetOps(ProtoOps):
    """What inet_dgram_ops and inet_sockraw_ops share."""

    family = uapi.AF_INET

    def release(self, sock: Socket) -> None:
        sk = sock.sk
        if sk is None:
            return
        assert isinstance(sk, InetSock)
        from kernel.net.ipv4.igmp import ip_mc_drop_socket

        ip_mc_drop_socket(sk)
        prot = sk.sk_prot
        assert isinstance(prot, InetProto)
        timeout = sk.sk_lingertime if sk.sock_flag(SOCK_LINGER) else 0
        prot.close(sk, timeout)
        sock.sk = None

    def bind(self, sock: Socket, addr: bytes) -> int:
        return inet_bind_sk(inet_sk(sock.sk), addr)

    async def connect(self, proc: Process, sock: Socket, addr: bytes, flags: int) -> int:
        return inet_dgram_connect(sock, addr, flags)

    def getname(self, sock: Socket, peer: int) -> bytes | int:
        return inet_getname(sock, peer)

    def poll(self, sock: Socket) -> int:
        sk = inet_sk(sock.sk)
        prot = sk.sk_prot
        assert isinstance(prot, InetProto)
        return prot.poll(sock, sk)

    def ioctl(self, sock: Socket, cmd: int, argp: list[int]) -> int:
        return inet_ioctl(sock, cmd, argp)

    def ifreq_ioctl(self, proc: Process, sock: Socket, cmd: int, ifr: Ifreq) -> int:
        return inet_ifreq_ioctl(proc, sock, cmd, ifr)

    def shutdown(self, sock: Socket, how: int) -> int:
        return inet_shutdown(sock, how)

    def setsockopt(self, sock: Socket, level: int, optname: int, optval: bytes) -> int:
        sk = inet_sk(sock.sk)
        prot = sk.sk_prot
        assert isinstance(prot, InetProto)
        return prot.setsockopt(sk, level, optname, optval)

    def getsockopt(self, sock: Socket, level: int, optname: int, opt: OptBuf) -> int:
        sk = inet_sk(sock.sk)
        prot = sk.sk_prot
        assert isinstance(prot, InetProto)
        return prot.getsockopt(sk, level, optname, opt)

    async def sendmsg(self, proc: Process, sock: Socket, msg: MsgHdr, size: int, flags: int) -> int:
        sk = inet_sk(sock.sk)
        if inet_send_prepare(sk):
            return -uapi.EAGAIN
        prot = sk.sk_prot
        assert isinstance(prot, InetProto)
        return await prot.sendmsg(proc, sk, msg, size, flags)

    async def recvmsg(self, proc: Process, sock: Socket, msg: MsgHdr, size: int, flags: int) -> int:
        sk = inet_sk(sock.sk)
        prot = sk.sk_prot
        assert isinstance(prot, InetProto)
        return await prot.recvmsg(proc, sk, msg, size, flags)


class InetDgramOps(InetOps):
    """inet_dgram_ops: UDP and ping sockets (SO_PEEK_OFF works: udp_set_peek_off)."""

    has_peek_off = True

    def set_peek_off(self, sk: Sock, val: int) -> int:
        prot = sk.sk_prot
        assert isinstance(prot, InetProto) and isinstance(sk, InetSock)
        return prot.set_peek_off(sk, val)


class InetSockrawOps(InetOps):
    """inet_sockraw_ops: raw sockets (datagram_poll, no peek offset)."""


class InetStreamOps(InetOps):
    """inet_stream_ops: TCP's socket calls (connect, listen and accept are here; the rest go to tcp_prot)."""

    has_peek_off = True

    def set_peek_off(self, sk: Sock, val: int) -> int:
        prot = sk.sk_prot
        assert isinstance(prot, InetProto) and isinstance(sk, InetSock)
        return prot.set_peek_off(sk, val)

    async def connect(self, proc: Process, sock: Socket, addr: bytes, flags: int) -> int:
        return await inet_stream_connect(sock, addr, flags)

    def listen(self, proc: Process, sock: Socket, backlog: int) -> int:
        return inet_listen(sock, backlog)

    async def accept(self, proc: Process, sock: Socket, newsock: Socket, flags: int) -> int:
        return await inet_accept(proc, sock, newsock, flags)

    def shutdown(self, sock: Socket, how: int) -> int:
        try:
            from kernel.net.ipv4.tcp.tcp import tcp_inet_shutdown
        except ImportError:
            return inet_shutdown(sock, how)
        return tcp_inet_shutdown(sock, how)

    async def sendmsg(self, proc: Process, sock: Socket, msg: MsgHdr, size: int, flags: int) -> int:
        sk = inet_sk(sock.sk)
        prot = sk.sk_prot
        assert isinstance(prot, InetProto)
        return await prot.sendmsg(proc, sk, msg, size, flags)


# --- the stream calls (af_inet.c's inet_stream_connect, inet_listen, inet_accept) ----------

TCPF_SYN_SENT_RECV = (1 << TCP_SYN_SENT) | (1 << 3)  # TCPF_SYN_SENT | TCPF_SYN_RECV
SS_CONNECTED = 3
SS_DISCONNECTING = 4


async def inet_stream_connect(sock: Socket, addr: bytes, flags: int) -> int:
    """__inet_stream_connect: AF_UNSPEC disconnects; EISCONN / EALREADY / EINPROGRESS by socket state;
    a blocking connect sleeps until the handshake ends (or SO_SNDTIMEO: EINPROGRESS), then the error of a
    refused / timed out / unreachable attempt (sk_err, else ECONNABORTED).  A signal (the task cancelled)
    leaves the attempt running, as Linux does."""
    from kernel.wait import wait_event

    sk = inet_sk(sock.sk)
    prot = sk.sk_prot
    assert isinstance(prot, InetProto)
    if len(addr) < 2:
        return -uapi.EINVAL
    if struct.unpack_from("<H", addr)[0] == uapi.AF_UNSPEC:
        err = prot.disconnect(sk, flags)
        sock.state = SS_DISCONNECTING if err else SS_UNCONNECTED
        return err
    if sock.state == SS_CONNECTED:
        return -uapi.EISCONN
    if sock.state == SS_CONNECTING:
        err = -uapi.EISCONN if getattr(sk, "tcp_defer_connect", False) else -uapi.EALREADY
    elif sock.state == SS_UNCONNECTED:
        if sk.sk_state != TCP_CLOSE:
            return -uapi.EISCONN
        from kernel.net.ipv4.tcp.tcp_sock import TcpSock, lock_sock, release_sock

        owned = isinstance(sk, TcpSock)
        if owned:
            lock_sock(sk)  # type: ignore[arg-type]
        try:
            err = prot.connect(sk, addr)
            if err >= 0:
                sock.state = SS_CONNECTING
                err = -uapi.EINPROGRESS
            in_handshake = bool((1 << sk.sk_state) & TCPF_SYN_SENT_RECV)
        finally:
            if owned:
                release_sock(sk)  # type: ignore[arg-type]
        if err != -uapi.EINPROGRESS:
            return err
        timeo = sk.sndtimeo(bool(flags & uapi.O_NONBLOCK))
        if in_handshake and not timeo:
            return err
    else:
        return -uapi.EINVAL
    timeo = sk.sndtimeo(bool(flags & uapi.O_NONBLOCK))
    if (1 << sk.sk_state) & TCPF_SYN_SENT_RECV:
        if not timeo:
            return err
        left = await wait_event(sk.sk_wq, sk.host.clock, timeo,
                                lambda: not (1 << sk.sk_state) & TCPF_SYN_SENT_RECV)
        if not left:
            return err
    if sk.sk_state == TCP_CLOSE:
        err = sk.sock_error() or -uapi.ECONNABORTED
        sock.state = SS_UNCONNECTED
        if prot.disconnect(sk, flags):
            sock.state = SS_DISCONNECTING
        return err
    sock.state = SS_CONNECTED
    return 0


def inet_listen(sock: Socket, backlog: int) -> int:
    """inet_listen: EINVAL unless an unconnected stream socket in CLOSE or LISTEN; the backlog (already
    clamped to net.core.somaxconn by sys_listen) is set first, so listen() again only changes it."""
    from kernel.net.ipv4.tcp.inet_connection_sock import inet_csk_listen_start

    sk = inet_sk(sock.sk)
    if sock.state != SS_UNCONNECTED or sock.type != uapi.SOCK_STREAM:
        return -uapi.EINVAL
    old_state = sk.sk_state
    if old_state not in (TCP_CLOSE, TCP_LISTEN):
        return -uapi.EINVAL
    sk.sk_max_ack_backlog = backlog
    if old_state != TCP_LISTEN:
        return inet_csk_listen_start(sk)
    return 0


async def inet_accept(proc: Process, sock: Socket, newsock: Socket, flags: int) -> int:
    """inet_accept: the listener's next connection grafted on ``newsock`` (SS_CONNECTED)."""
    from kernel.net.ipv4.tcp.inet_connection_sock import inet_csk_accept

    sk = inet_sk(sock.sk)
    child = await inet_csk_accept(proc, sk, flags)
    if isinstance(child, int):
        return child
    newsock.sk = child
    child.sk_socket = newsock
    child.sock_set_flag(SOCK_DEAD, False)
    newsock.state = SS_CONNECTED
    return 0


inet_dgram_ops = InetDgramOps()
inet_sockraw_ops = InetSockrawOps()
inet_stream_ops = InetStreamOps()


class TcpNotThere(InetProto):
    """The SOCK_STREAM/IPPROTO_TCP slot of inetsw until TCP (issue 4) takes it.

    Linux always has an entry there, so the lookup errnos are Linux's
    (``socket(AF_INET, SOCK_STREAM, IPPROTO_UDP)`` is EPROTONOSUPPORT), and
    creating the socket fails with EPROTONOSUPPORT: the errno of a protocol
    that is not there (what inet_create answers when no module provides it).
    Issue 4 replaces this entry with tcp_prot / inet_stream_ops.
    """

    name = "TCP"

    def init(self, sk: InetSock, proc: Process | None) -> int:
        return -uapi.EPROTONOSUPPORT


tcp_not_there = TcpNotThere()


def inet_dgram_connect(sock: Socket, addr: bytes, flags: int) -> int:
    sk = inet_sk(sock.sk)
    prot = sk.sk_prot
    assert isinstance(prot, InetProto)
    if len(addr) < 2:
        return -uapi.EINVAL
    if struct.unpack_from("<H", addr)[0] == uapi.AF_UNSPEC:
        return prot.disconnect(sk, flags)
    if not sk.inet_num and inet_autobind(sk):
        return -uapi.EAGAIN
    return prot.connect(sk, addr)


def inet_ioctl(sock: Socket, cmd: int, argp: list[int]) -> int:
    sk = inet_sk(sock.sk)
    prot = sk.sk_prot
    assert isinstance(prot, InetProto)
    if cmd == uapi.SIOCGSTAMP:
        return -uapi.ENOENT
    err = prot.ioctl(sk, cmd, argp)
    return -uapi.ENOTTY if err == -ENOIOCTLCMD else err


def inet_ifreq_ioctl(proc: Process, sock: Socket, cmd: int, ifr: Ifreq) -> int:
    """inet_ioctl's struct ifreq cases: the IPv4 address ones go to devinet_ioctl."""
    from kernel.net.core.dev_ioctl import SIOCGIFDSTADDR
    from kernel.net.ipv4.devinet import devinet_ioctl

    if cmd in (uapi.SIOCGIFADDR, uapi.SIOCGIFBRDADDR, uapi.SIOCGIFNETMASK, SIOCGIFDSTADDR, uapi.SIOCSIFFLAGS):
        return devinet_ioctl(proc, sock.host.netns, cmd, ifr)
    return -ENOIOCTLCMD


# --- the datagram connect of UDP, ping and raw (net/ipv4/datagram.c) ------------------

def ip4_datagram_connect(sk: InetSock, addr: bytes) -> int:
    """__ip4_datagram_connect: route to the peer, take its source, become ESTABLISHED."""
    from kernel.net.ipv4 import route

    if len(addr) < 16:
        return -uapi.EINVAL
    family, dport, daddr = parse_sockaddr_in(addr)
    if family != uapi.AF_INET:
        return -uapi.EAFNOSUPPORT
    sk.sk_dst_cache = None
    oif = sk.sk_bound_dev_if
    saddr = sk.inet_saddr
    if ipv4_is_multicast(daddr):
        if not oif:
            oif = sk.mc_index
        if not saddr:
            saddr = sk.mc_addr
    elif not oif:
        oif = sk.uc_index
    # ip_route_connect fills inet->cork.fl itself: a datagram corked now goes to the new peer when it is
    # pushed, even if this connect fails below (no route, EACCES for a broadcast)
    fl4 = sk.cork_fl = route.Flowi4(daddr=daddr, saddr=saddr, tos=sk.tos & 0x1C, oif=oif, proto=sk.sk_protocol,
                                    sport=sk.inet_sport, dport=dport)
    rt = route.ip_route_output_key(sk.net, fl4)
    if isinstance(rt, int):
        if rt == -uapi.ENETUNREACH:
            sk.net.snmp_inc("Ip", "OutNoRoutes")
        return rt
    if rt.rt_flags & route.RTCF_BROADCAST and not sk.sock_flag("broadcast"):
        return -uapi.EACCES
    if not sk.inet_saddr:
        sk.inet_saddr = fl4.saddr
    if not sk.inet_rcv_saddr:
        sk.inet_rcv_saddr = fl4.saddr
        prot = sk.sk_prot
        assert isinstance(prot, InetProto)
        prot.rehash(sk)
    sk.inet_daddr = fl4.daddr
    sk.inet_dport = dport
    sk.sk_state = 1  # TCP_ESTABLISHED
    sk.inet_id = sk.net.rng.getrandbits(16)
    sk.sk_dst_cache = rt
    return 0


inet_family_ops = InetFamily()


def inet_init() -> None:
    """inet_init: register PF_INET (the protocols register their inetsw entries themselves)."""
    sock_register(inet_family_ops)


def tcp_init() -> None:
    """inet_init's TCP part: IPPROTO_TCP in inet_protos and SOCK_STREAM's inetsw entry (tcp_prot)."""
    from kernel.net.ipv4.tcp.tcp_ipv4 import tcp_v4_init

    try:
        from kernel.net.ipv4.tcp.tcp import tcp_prot
    except ImportError:  # tcp.py not there yet: the glue's stand-in
        from kernel.net.ipv4.tcp.tcp_sock import tcp_prot_minimal as tcp_prot
    tcp_v4_init()
    inet_register_protosw(InetProtosw(uapi.SOCK_STREAM, uapi.IPPROTO_TCP, tcp_prot, inet_stream_ops,
                                      INET_PROTOSW_PERMANENT | INET_PROTOSW_ICSK))


inet_init()
tcp_init()

import kernel.net.ipv4.udp  # noqa: E402,F401  (inet_init's protocol registrations: UDP)
