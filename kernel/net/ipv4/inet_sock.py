"""struct inet_sock (include/net/inet_sock.h): the AF_INET half of a sock.

``InetSock`` adds to ``Sock`` the addresses and ports (host-order ints:
``inet_saddr`` is the source used to transmit, ``inet_rcv_saddr`` the bound
address the hash lookups match, ``inet_num`` the local port, ``inet_daddr`` /
``inet_dport`` the connected peer), the per-socket IP options (uc_ttl -1 =
the route's default, tos, multicast ttl/loop/ifindex/address and the joined
groups, cmsg flags, recverr, hdrincl, freebind, transparent, pmtudisc...),
the ``inet_opt`` IP options set with IP_OPTIONS, the UDP cork state and the
IP ID counter.  ``sockaddr_in`` helpers (RFC 791 addresses, network byte
order on the wire, host-order ints inside the stack) live here too.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from kernel import uapi
from kernel.net.sock import SEND_SHUTDOWN, Proto, Sock
from kernel.wait import wait_event

if TYPE_CHECKING:
    from kernel.host import Host
    from kernel.process import Process

SOCKADDR_IN = struct.Struct("<H")  # sin_family (host order), then sin_port/sin_addr in network order
SOCKADDR_IN_SIZE = 16

# inet->cmsg_flags bits (include/net/inet_sock.h), in the order ip_cmsg_recv emits them
IP_CMSG_PKTINFO = 1 << 0
IP_CMSG_TTL = 1 << 1
IP_CMSG_TOS = 1 << 2
IP_CMSG_RECVOPTS = 1 << 3
IP_CMSG_RETOPTS = 1 << 4
IP_CMSG_PASSSEC = 1 << 5
IP_CMSG_ORIGDSTADDR = 1 << 6
IP_CMSG_CHECKSUM = 1 << 7
IP_CMSG_RECVFRAGSIZE = 1 << 8

# sk_userlocks bits beyond SOCK_SNDBUF_LOCK / SOCK_RCVBUF_LOCK
SOCK_BINDADDR_LOCK = 4
SOCK_BINDPORT_LOCK = 8


def sockaddr_in(addr: int, port: int, family: int = uapi.AF_INET) -> bytes:
    """struct sockaddr_in bytes for a host-order address and port."""
    return struct.pack("<H", family) + struct.pack("!HI", port, addr & 0xFFFFFFFF) + bytes(8)


def parse_sockaddr_in(raw: bytes) -> tuple[int, int, int]:
    """(family, port, addr) of a sockaddr_in (the caller checked len >= 16 or 8)."""
    family = SOCKADDR_IN.unpack_from(raw)[0]
    port, addr = struct.unpack_from("!HI", raw, 2) if len(raw) >= 8 else (0, 0)
    return family, port, addr


def ipv4_is_multicast(addr: int) -> bool:
    return (addr & 0xF0000000) == 0xE0000000


def ipv4_is_lbcast(addr: int) -> bool:
    return addr == 0xFFFFFFFF


def ipv4_is_loopback(addr: int) -> bool:
    return (addr & 0xFF000000) == 0x7F000000


def ipv4_is_zeronet(addr: int) -> bool:
    return (addr & 0xFF000000) == 0


def ip_str(addr: int) -> str:
    return ".".join(str((addr >> s) & 0xFF) for s in (24, 16, 8, 0))


@dataclass
class IpMcSocklist:
    """struct ip_mc_socklist: one group a socket joined (ip_mreqn) and its source filter mode."""

    multiaddr: int
    address: int
    ifindex: int
    sfmode: int = 0  # MCAST_EXCLUDE with no sources: all senders allowed
    sources: list[int] = field(default_factory=list)


@dataclass
class InetCork:
    """inet->cork.base + up->pending: a UDP datagram being built by MSG_MORE / UDP_CORK sends.

    Its addresses are not here: the datagram goes where ``fl4`` says when it is
    sent (for a corked one the socket's ``cork_fl``, which connect() rewrites)."""

    rt: Any = None
    fl4: Any = None
    chunks: list[bytes] = field(default_factory=list)
    length: int = 0  # bytes of payload so far (up->len minus the UDP header)
    ttl: int = 0
    tos: int = -1
    opt: Any = None
    oif: int = 0
    mc_loop: bool = True
    df: bool = False
    mtu: int = 0
    charged: int = 0  # sk_wmem_alloc the pending (corked) skbs hold


class InetSock(Sock):
    """struct inet_sock (with udp_sock's few fields: pending/corkflag/no_check6)."""

    # fields in slots (no per-instance dict for them: issue #8's memory per idle socket)
    __slots__ = ("inet_saddr", "inet_rcv_saddr", "inet_num", "inet_sport", "inet_daddr", "inet_dport", "inet_id",
                 "uc_ttl", "tos", "min_ttl", "mc_ttl", "mc_loop", "mc_all", "mc_index", "mc_addr", "uc_index",
                 "mc_list", "cmsg_flags", "recverr", "recverr_rfc4884", "hdrincl", "freebind", "transparent",
                 "bind_address_no_port", "nodefrag", "router_alert", "pmtudisc", "inet_opt", "local_port_range",
                 "sk_dst_cache", "cork_fl", "cork", "corkflag", "udp_reader", "forward_deficit", "udp_opts",
                 "nospace", "hashed", "owner")


    def __init__(self, host: Host, type_: int, protocol: int, prot: Proto) -> None:
        super().__init__(host, uapi.AF_INET, type_, protocol, prot)
        self.inet_saddr = 0
        self.inet_rcv_saddr = 0
        self.inet_num = 0
        self.inet_sport = 0
        self.inet_daddr = 0
        self.inet_dport = 0
        self.inet_id = 0
        self.uc_ttl = -1
        self.tos = 0
        self.min_ttl = 0
        self.mc_ttl = 1
        self.mc_loop = True
        self.mc_all = True
        self.mc_index = 0
        self.mc_addr = 0
        self.uc_index = 0
        self.mc_list: list[IpMcSocklist] = []
        self.cmsg_flags = 0
        self.recverr = False
        self.recverr_rfc4884 = False
        self.hdrincl = False
        self.freebind = False
        self.transparent = False
        self.bind_address_no_port = False
        self.nodefrag = False
        self.router_alert = False
        self.pmtudisc = uapi.IP_PMTUDISC_WANT
        self.inet_opt: Any = None  # IP_OPTIONS: kernel.net.ipv4.ip_options.IpOptions
        self.local_port_range = 0  # IP_LOCAL_PORT_RANGE: (hi << 16) | lo, 0 = the sysctl's
        self.sk_dst_cache: Any = None
        #: inet->cork.fl (a route.Flowi4): the flow connect() routes into, a corked send addresses and the
        #: pending datagram goes out with; a connected send with a still-valid sk_dst_cache sends with it too
        self.cork_fl: Any = None
        self.cork: InetCork | None = None  # up->pending
        self.corkflag = False  # UDP_CORK
        # udp_sock's reader_queue and forward_deficit: how many skbs at the head of sk_receive_queue a read
        # has spliced into the reader queue, and the truesize of read datagrams not yet given back to
        # sk_rmem_alloc (udp_rmem_release defers it while the reader queue holds more)
        self.udp_reader = 0
        self.forward_deficit = 0
        self.udp_opts: dict[int, int] = {}  # SOL_UDP options kept only to be read back
        self.nospace = False  # SOCK_NOSPACE: a send found the buffer full (SndbufErrors from then on)
        self.hashed = False  # on the protocol's port table
        self.owner: Process | None = None  # the creating process (capability checks: a shim for "current")

    @property
    def net(self) -> Any:
        return self.host.netns

    def capable(self, cap: int) -> bool:
        """ns_capable(current, cap): the socket's creator stands in for current."""
        return self.owner is None or self.owner.capable(cap)

    def sk_uid(self) -> int:
        return self.owner.uid if self.owner is not None else 0


def inet_sk(sk: Sock | None) -> InetSock:
    assert isinstance(sk, InetSock)
    return sk


# --- helpers of the datagram send paths (UDP, raw, ping): include/net/ip.h, net/core/sock.c ----

def ip_select_ttl(sk: InetSock, rt: Any = None) -> int:
    """ip_select_ttl: the socket's IP_TTL, else net.ipv4.ip_default_ttl."""
    ttl = sk.uc_ttl
    if ttl < 0:
        ttl = int(sk.host.sysctl["net.ipv4.ip_default_ttl"])
    return ttl


def ip_sk_ignore_df(sk: InetSock) -> bool:
    """ip_sk_ignore_df: datagrams may be fragmented locally (PMTUDISC_DONT/WANT/OMIT)."""
    return sk.pmtudisc < uapi.IP_PMTUDISC_DO or sk.pmtudisc == uapi.IP_PMTUDISC_OMIT


def ip_sk_use_pmtu(sk: InetSock) -> bool:
    """ip_sk_use_pmtu: size datagrams by the path MTU (not PROBE/INTERFACE/OMIT's device MTU)."""
    return sk.pmtudisc < uapi.IP_PMTUDISC_PROBE


async def sock_wait_for_wmem(sk: InetSock, flags: int) -> int:
    """sock_alloc_send_pskb's wait: sk_err, SEND_SHUTDOWN (EPIPE), room in sndbuf or EAGAIN."""
    timeo = sk.sndtimeo(bool(flags & uapi.MSG_DONTWAIT))
    while True:
        err = sk.sock_error()
        if err:
            return err
        if sk.sk_shutdown & SEND_SHUTDOWN:
            return -uapi.EPIPE
        if sk.sk_wmem_alloc < sk.sk_sndbuf:
            return 0
        sk.nospace = True
        if not timeo:
            return -uapi.EAGAIN
        timeo = await wait_event(
            sk.sk_wq, sk.host.clock, timeo,
            lambda: sk.sk_wmem_alloc < sk.sk_sndbuf or bool(sk.sk_err) or bool(sk.sk_shutdown & SEND_SHUTDOWN),
        )
