"""SOL_IP socket options, IP control messages and the error queue (net/ipv4/ip_sockglue.c).

``do_ip_setsockopt`` / ``do_ip_getsockopt`` follow Linux 6.18 option by
option: the int options take a 4-byte value or a single byte (optlen 0 reads
as 0), getsockopt answers a single byte when the caller gave room for less
than an int and the value fits in one, unknown options are ENOPROTOOPT,
netfilter's option numbers answer EINVAL and the multicast routing range
(MRT_*) EOPNOTSUPP on a socket that is not the IGMP raw socket, as the host
kernel does.  ``ip_cmsg_send`` parses IP_TTL / IP_TOS / IP_PKTINFO /
IP_RETOPTS / IP_PROTOCOL (and SOL_SOCKET's SO_MARK / SO_PRIORITY) into an
``IpcmCookie``; ``ip_cmsg_recv`` emits IP_PKTINFO, IP_TTL, IP_TOS,
IP_RECVOPTS, IP_RETOPTS and IP_ORIGDSTADDR in that order.
``ip_icmp_error`` / ``ip_local_error`` queue a ``SockExterrSkb`` (struct
sock_extended_err + offender, RFC 1122 4.1.3.3) on ``sk_error_queue`` when
IP_RECVERR is on, and ``ip_recv_error`` reads one back for MSG_ERRQUEUE with
the IP_RECVERR cmsg.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass

from kernel import uapi
from kernel.net.core.skbuff import SkBuff
from kernel.net.ipv4.inet_sock import (
    IP_CMSG_CHECKSUM,
    IP_CMSG_ORIGDSTADDR,
    IP_CMSG_PASSSEC,
    IP_CMSG_PKTINFO,
    IP_CMSG_RECVFRAGSIZE,
    IP_CMSG_RECVOPTS,
    IP_CMSG_RETOPTS,
    IP_CMSG_TOS,
    IP_CMSG_TTL,
    InetSock,
    sockaddr_in,
)
from kernel.net.ipv4.ip_options import IpOptions
from kernel.net.scm import CMSG_HDR_LEN, CMSGHDR, CmsgWriter, cmsg_align, cmsg_len
from kernel.net.sock import TCP_ESTABLISHED
from kernel.net.uaccess import MsgHdr, OptBuf

SOL_IP = 0
SOL_UDP = 17
MRT_BASE = 200
MRT_MAX = 212
IGMP_MAX_MEMBERSHIPS = 20  # net.ipv4.igmp_max_memberships
EXTERR = struct.Struct("<IBBBBII")  # struct sock_extended_err
PKTINFO = struct.Struct("<i4s4s")  # struct in_pktinfo
MCAST_EXCLUDE = 0
MCAST_INCLUDE = 1

# option numbers netfilter's nf_setsockopt / nf_getsockopt answer (EINVAL on a plain socket)
_NF_SET = frozenset((64, 65, 96, 97))
_NF_GET = frozenset((64, 65, 66, 67, 96, 97, 98, 99))
_NF_GET_EBADMSG = frozenset((83,))  # IP_VS's base (0x480 & 0xff) on this kernel's build

_INT_OPTS = frozenset((
    uapi.IP_PKTINFO, uapi.IP_RECVTTL, uapi.IP_RECVOPTS, uapi.IP_RECVTOS, uapi.IP_RETOPTS, uapi.IP_TOS,
    uapi.IP_TTL, uapi.IP_HDRINCL, uapi.IP_MTU_DISCOVER, uapi.IP_RECVERR, uapi.IP_ROUTER_ALERT,
    uapi.IP_FREEBIND, uapi.IP_PASSSEC, uapi.IP_TRANSPARENT, uapi.IP_MINTTL, uapi.IP_NODEFRAG,
    uapi.IP_BIND_ADDRESS_NO_PORT, uapi.IP_UNICAST_IF, uapi.IP_MULTICAST_TTL, uapi.IP_MULTICAST_ALL,
    uapi.IP_MULTICAST_LOOP, uapi.IP_RECVORIGDSTADDR, uapi.IP_CHECKSUM, uapi.IP_RECVFRAGSIZE,
    uapi.IP_RECVERR_RFC4884, uapi.IP_LOCAL_PORT_RANGE,
))

_CMSG_BITS = {
    uapi.IP_PKTINFO: IP_CMSG_PKTINFO,
    uapi.IP_RECVTTL: IP_CMSG_TTL,
    uapi.IP_RECVTOS: IP_CMSG_TOS,
    uapi.IP_RECVOPTS: IP_CMSG_RECVOPTS,
    uapi.IP_RETOPTS: IP_CMSG_RETOPTS,
    uapi.IP_PASSSEC: IP_CMSG_PASSSEC,
    uapi.IP_RECVORIGDSTADDR: IP_CMSG_ORIGDSTADDR,
    uapi.IP_CHECKSUM: IP_CMSG_CHECKSUM,
}


# --- IP options set by IP_OPTIONS / IP_RETOPTS (ip_options_get) ---------------------

def ip_options_get(sk: InetSock, data: bytes) -> tuple[IpOptions | None, int]:
    """ip_options_get + ip_options_compile: compiled options (padded to 4), None when empty, or -EINVAL."""
    if not data:
        return None, 0
    from kernel.net.ipv4.ip_options import ip_options_get as _get

    opt = _get(sk.net, data, cap_net_raw=sk.capable(uapi.CAP_NET_RAW))
    if isinstance(opt, int):
        return None, opt
    return (opt if opt.optlen else None), 0


def ip_options_undo(opt: IpOptions) -> bytes:
    """ip_options_undo: the options as the user gave them (compiled pointers stepped back, slots cleared)."""
    data = bytearray(opt.data[: opt.optlen])
    if opt.srr:
        p = opt.srr - 20
        length = data[p + 1]
        data[p + 7: p + length] = data[p + 3: p + length - 4]
        data[p + 3: p + 7] = struct.pack("!I", opt.faddr)
    if opt.rr_needaddr:
        p = opt.rr - 20
        data[p + 2] -= 4
        data[p + data[p + 2] - 1: p + data[p + 2] + 3] = bytes(4)
    if opt.ts:
        p = opt.ts - 20
        if opt.ts_needtime:
            data[p + 2] -= 4
            data[p + data[p + 2] - 1: p + data[p + 2] + 3] = bytes(4)
            if data[p + 3] & 0xF == 3:  # IPOPT_TS_PRESPEC
                data[p + 2] -= 4
        if opt.ts_needaddr:
            data[p + 2] -= 4
            data[p + data[p + 2] - 1: p + data[p + 2] + 3] = bytes(4)
    return bytes(data)


# --- setsockopt / getsockopt ----------------------------------------------------------

def ip_setsockopt(sk: InetSock, level: int, optname: int, optval: bytes) -> int:
    if level != SOL_IP:
        return -uapi.ENOPROTOOPT
    return do_ip_setsockopt(sk, level, optname, optval)


def ip_getsockopt(sk: InetSock, level: int, optname: int, opt: OptBuf) -> int:
    if level != SOL_IP:
        return -uapi.EOPNOTSUPP
    return do_ip_getsockopt(sk, level, optname, opt)


def _mroute_opt(optname: int) -> bool:
    return MRT_BASE <= optname <= MRT_MAX


def do_ip_setsockopt(sk: InetSock, level: int, optname: int, optval: bytes) -> int:
    optlen = len(optval)
    val = 0
    if optname in _INT_OPTS:
        if optlen >= 4:
            val = struct.unpack_from("<i", optval)[0]
        elif optlen >= 1:
            val = optval[0]
    if optname == uapi.IP_ROUTER_ALERT:
        return ip_ra_control(sk, bool(val))
    if _mroute_opt(optname):
        if sk.sk_type != uapi.SOCK_RAW or sk.inet_num != uapi.IPPROTO_IGMP:
            return -uapi.EOPNOTSUPP
        return -uapi.ENOPROTOOPT
    if optname in _CMSG_BITS and optname != uapi.IP_CHECKSUM:
        _assign(sk, _CMSG_BITS[optname], val)
        return 0
    if optname == uapi.IP_RECVFRAGSIZE:
        if sk.sk_type not in (uapi.SOCK_RAW, uapi.SOCK_DGRAM):
            return -uapi.EINVAL
        _assign(sk, IP_CMSG_RECVFRAGSIZE, val)
        return 0
    if optname == uapi.IP_RECVERR:
        sk.recverr = bool(val)
        if not val:
            while sk.sk_error_queue:
                sk.sk_error_queue.popleft().free()
        return 0
    if optname == uapi.IP_RECVERR_RFC4884:
        if val < 0 or val > 1:
            return -uapi.EINVAL
        sk.recverr_rfc4884 = bool(val)
        return 0
    if optname == uapi.IP_FREEBIND:
        if optlen < 1:
            return -uapi.EINVAL
        sk.freebind = bool(val)
        return 0
    if optname == uapi.IP_HDRINCL:
        if sk.sk_type != uapi.SOCK_RAW:
            return -uapi.ENOPROTOOPT
        sk.hdrincl = bool(val)
        return 0
    if optname == uapi.IP_MULTICAST_LOOP:
        if optlen < 1:
            return -uapi.EINVAL
        sk.mc_loop = bool(val)
        return 0
    if optname == uapi.IP_MULTICAST_ALL:
        if optlen < 1 or val not in (0, 1):
            return -uapi.EINVAL
        sk.mc_all = bool(val)
        return 0
    if optname == uapi.IP_TRANSPARENT:
        if val and not sk.capable(uapi.CAP_NET_RAW) and not sk.capable(uapi.CAP_NET_ADMIN):
            return -uapi.EPERM
        if optlen < 1:
            return -uapi.EINVAL
        sk.transparent = bool(val)
        return 0
    if optname == uapi.IP_NODEFRAG:
        if sk.sk_type != uapi.SOCK_RAW:
            return -uapi.ENOPROTOOPT
        sk.nodefrag = bool(val)
        return 0
    if optname == uapi.IP_BIND_ADDRESS_NO_PORT:
        sk.bind_address_no_port = bool(val)
        return 0
    if optname == uapi.IP_TTL:
        if optlen < 1 or (val != -1 and not 1 <= val <= 255):
            return -uapi.EINVAL
        sk.uc_ttl = val
        return 0
    if optname == uapi.IP_MINTTL:
        if optlen < 1 or not 0 <= val <= 255:
            return -uapi.EINVAL
        sk.min_ttl = val
        return 0
    if optname == uapi.IP_MULTICAST_TTL:
        if sk.sk_type == uapi.SOCK_STREAM or optlen < 1:
            return -uapi.EINVAL
        if val == -1:
            val = 1
        if not 0 <= val <= 255:
            return -uapi.EINVAL
        sk.mc_ttl = val
        return 0
    if optname == uapi.IP_MTU_DISCOVER:
        if not uapi.IP_PMTUDISC_DONT <= val <= uapi.IP_PMTUDISC_OMIT:
            return -uapi.EINVAL
        sk.pmtudisc = val
        return 0
    if optname == uapi.IP_TOS:
        ip_sock_set_tos(sk, val)
        return 0
    if optname == uapi.IP_LOCAL_PORT_RANGE:
        lo, hi = val & 0xFFFF, (val >> 16) & 0xFFFF
        if optlen != 4 or (lo and hi and lo > hi):
            return -uapi.EINVAL
        sk.local_port_range = val & 0xFFFFFFFF
        return 0
    if optname == uapi.IP_OPTIONS:
        if optlen > 40:
            return -uapi.EINVAL
        opt, err = ip_options_get(sk, optval)
        if err:
            return err
        sk.inet_opt = opt
        return 0
    if optname == uapi.IP_CHECKSUM:
        _assign(sk, IP_CMSG_CHECKSUM, val)
        return 0
    if optname == uapi.IP_UNICAST_IF:
        return _set_unicast_if(sk, optval)
    if optname == uapi.IP_MULTICAST_IF:
        return _set_multicast_if(sk, optval)
    if optname in (uapi.IP_ADD_MEMBERSHIP, uapi.IP_DROP_MEMBERSHIP):
        return _set_membership(sk, optname, optval)
    if optname in (uapi.IP_MSFILTER, uapi.IP_BLOCK_SOURCE, uapi.IP_UNBLOCK_SOURCE, uapi.IP_ADD_SOURCE_MEMBERSHIP,
                   uapi.IP_DROP_SOURCE_MEMBERSHIP) or 42 <= optname <= 48:
        return _set_source_filter(sk, optname, optval)
    if optname == uapi.IP_IPSEC_POLICY:
        return -uapi.EOPNOTSUPP if sk.capable(uapi.CAP_NET_ADMIN) else -uapi.EPERM
    if optname == uapi.IP_XFRM_POLICY:
        return -uapi.EINVAL if sk.capable(uapi.CAP_NET_ADMIN) else -uapi.EPERM
    if optname in _NF_SET:
        return -uapi.EINVAL if sk.capable(uapi.CAP_NET_ADMIN) else -uapi.EPERM
    return -uapi.ENOPROTOOPT


def _assign(sk: InetSock, bit: int, val: int) -> None:
    if val:
        sk.cmsg_flags |= bit
    else:
        sk.cmsg_flags &= ~bit


def ip_sock_set_tos(sk: InetSock, val: int) -> None:
    """__ip_sock_set_tos: stream sockets keep their ECN bits."""
    if sk.sk_type == uapi.SOCK_STREAM:
        val = (val & ~3) | (sk.tos & 3)
    val &= 0xFF
    if sk.tos != val:
        sk.tos = val
        sk.sk_priority = rt_tos2priority(val)
        sk.sk_dst_cache = None


# ip_tos2prio (net/ipv4/route.c): TC_PRIO_* by the TOS bits
_IP_TOS2PRIO = (0, 0, 0, 0, 2, 2, 2, 2, 6, 6, 6, 6, 4, 4, 4, 4)


def rt_tos2priority(tos: int) -> int:
    return _IP_TOS2PRIO[(tos & 0x1E) >> 1]


def ip_ra_control(sk: InetSock, on: bool) -> int:
    """ip_ra_control: IP_ROUTER_ALERT only for raw sockets other than IPPROTO_RAW."""
    if sk.sk_type != uapi.SOCK_RAW or sk.inet_num == uapi.IPPROTO_RAW:
        return -uapi.EINVAL
    if on and sk.router_alert:
        return -uapi.EADDRINUSE
    if not on and not sk.router_alert:
        return -uapi.ENOENT
    sk.router_alert = on
    return 0


def _dev_exists(sk: InetSock, ifindex: int) -> bool:
    return ifindex in sk.net.dev_index_head


def _set_unicast_if(sk: InetSock, optval: bytes) -> int:
    if len(optval) != 4:
        return -uapi.EINVAL
    ifindex = struct.unpack("!i", optval)[0]
    if ifindex == 0:
        sk.uc_index = 0
        return 0
    if not _dev_exists(sk, ifindex):
        return -uapi.EADDRNOTAVAIL
    if sk.sk_bound_dev_if and ifindex != sk.sk_bound_dev_if:
        return -uapi.EINVAL
    sk.uc_index = ifindex
    return 0


def parse_mreqn(optval: bytes) -> tuple[int, int, int]:
    """(multiaddr, address, ifindex) of an ip_mreqn, an ip_mreq or a bare in_addr (zero-filled)."""
    buf = optval[:12] + bytes(max(0, 12 - len(optval)))
    multi, addr = struct.unpack_from("!II", buf)
    ifindex = struct.unpack_from("<i", buf, 8)[0] if len(optval) >= 12 else 0
    return multi, addr, ifindex


def _set_multicast_if(sk: InetSock, optval: bytes) -> int:
    if sk.sk_type == uapi.SOCK_STREAM or len(optval) < 4:
        return -uapi.EINVAL
    if len(optval) >= 12:
        _, address, ifindex = parse_mreqn(optval)
    elif len(optval) >= 8:
        _, address, ifindex = parse_mreqn(optval[:8])
    else:
        address, ifindex = struct.unpack_from("!I", optval)[0], 0
    if not ifindex:
        if address == 0:
            sk.mc_index = 0
            sk.mc_addr = 0
            return 0
        from kernel.net.ipv4.devinet import ip_dev_find

        dev = ip_dev_find(sk.net, address)
        if dev is None:
            return -uapi.EADDRNOTAVAIL
        ifindex = dev.ifindex
    elif not _dev_exists(sk, ifindex):
        return -uapi.EADDRNOTAVAIL
    if sk.sk_bound_dev_if and ifindex != sk.sk_bound_dev_if:
        return -uapi.EINVAL
    sk.mc_index = ifindex
    sk.mc_addr = address
    return 0


def _set_membership(sk: InetSock, optname: int, optval: bytes) -> int:
    from kernel.net.ipv4.igmp import ip_mc_join_group, ip_mc_leave_group

    if sk.sk_type == uapi.SOCK_STREAM:
        return -uapi.EPROTO
    if len(optval) < 8:
        return -uapi.EINVAL
    multi, address, ifindex = parse_mreqn(optval if len(optval) >= 12 else optval[:8])
    if optname == uapi.IP_ADD_MEMBERSHIP:
        return ip_mc_join_group(sk, multi, address, ifindex)
    return ip_mc_leave_group(sk, multi, address, ifindex)


def _set_source_filter(sk: InetSock, optname: int, optval: bytes) -> int:
    """Source-specific multicast (IP_MSFILTER, IP_*_SOURCE_*, MCAST_*): sizes checked, then not built."""
    if optname == uapi.IP_MSFILTER:
        return -uapi.EINVAL if len(optval) < 20 else -uapi.ENOPROTOOPT
    if optname in (uapi.IP_BLOCK_SOURCE, uapi.IP_UNBLOCK_SOURCE, uapi.IP_ADD_SOURCE_MEMBERSHIP,
                   uapi.IP_DROP_SOURCE_MEMBERSHIP):
        if len(optval) != 12:
            return -uapi.EINVAL
        multi = struct.unpack_from("!I", optval)[0]
        from kernel.net.ipv4.inet_sock import ipv4_is_multicast

        return -uapi.EINVAL if not ipv4_is_multicast(multi) else -uapi.ENOPROTOOPT
    return -uapi.EINVAL  # MCAST_JOIN_GROUP ... with a short group_req


def do_ip_getsockopt(sk: InetSock, level: int, optname: int, opt: OptBuf) -> int:
    if _mroute_opt(optname):
        if sk.sk_type != uapi.SOCK_RAW or sk.inet_num != uapi.IPPROTO_IGMP:
            return -uapi.EOPNOTSUPP
        return -uapi.ENOPROTOOPT
    length = opt.size
    if length < 0:
        return -uapi.EINVAL
    val: int
    if optname in _CMSG_BITS:
        val = int(bool(sk.cmsg_flags & _CMSG_BITS[optname]))
    elif optname == uapi.IP_RECVFRAGSIZE:
        val = int(bool(sk.cmsg_flags & IP_CMSG_RECVFRAGSIZE))
    elif optname == uapi.IP_RECVERR:
        val = int(sk.recverr)
    elif optname == uapi.IP_RECVERR_RFC4884:
        val = int(sk.recverr_rfc4884)
    elif optname == uapi.IP_FREEBIND:
        val = int(sk.freebind)
    elif optname == uapi.IP_HDRINCL:
        val = int(sk.hdrincl)
    elif optname == uapi.IP_MULTICAST_LOOP:
        val = int(sk.mc_loop)
    elif optname == uapi.IP_MULTICAST_ALL:
        val = int(sk.mc_all)
    elif optname == uapi.IP_TRANSPARENT:
        val = int(sk.transparent)
    elif optname == uapi.IP_NODEFRAG:
        val = int(sk.nodefrag)
    elif optname == uapi.IP_BIND_ADDRESS_NO_PORT:
        val = int(sk.bind_address_no_port)
    elif optname == uapi.IP_ROUTER_ALERT:
        val = int(sk.router_alert)
    elif optname == uapi.IP_TTL:
        val = sk.uc_ttl if sk.uc_ttl >= 0 else int(sk.host.sysctl["net.ipv4.ip_default_ttl"])
    elif optname == uapi.IP_MINTTL:
        val = sk.min_ttl
    elif optname == uapi.IP_MULTICAST_TTL:
        val = sk.mc_ttl
    elif optname == uapi.IP_MTU_DISCOVER:
        val = sk.pmtudisc
    elif optname == uapi.IP_TOS:
        val = sk.tos
    elif optname == uapi.IP_UNICAST_IF:
        val = struct.unpack("<i", struct.pack("!I", sk.uc_index & 0xFFFFFFFF))[0]
    elif optname == uapi.IP_PROTOCOL:
        val = sk.inet_num  # what Linux answers (inet_num: the local port of a UDP socket)
    elif optname == uapi.IP_LOCAL_PORT_RANGE:
        val = struct.unpack("<i", struct.pack("<I", sk.local_port_range))[0]
    elif optname == uapi.IP_OPTIONS:
        data = ip_options_undo(sk.inet_opt) if sk.inet_opt is not None else b""
        n = min(length, len(data))
        opt.data, opt.size = data[:n], n
        return 0
    elif optname == uapi.IP_MTU:
        rt = sk.sk_dst_cache if sk.sk_state == TCP_ESTABLISHED else None
        val = rt.dst_mtu() if rt is not None else 0
        if not val:
            return -uapi.ENOTCONN
    elif optname == uapi.IP_PKTOPTIONS:
        return -uapi.ENOPROTOOPT
    elif optname == uapi.IP_MULTICAST_IF:
        n = min(length, 4)
        opt.data, opt.size = struct.pack("!I", sk.mc_addr)[:n], n
        return 0
    elif optname in (uapi.IP_MSFILTER, 48):
        return -uapi.EINVAL
    elif optname in _NF_GET:
        return -uapi.EINVAL
    elif optname in _NF_GET_EBADMSG:
        return -uapi.EBADMSG
    else:
        return -uapi.ENOPROTOOPT
    if 0 < length < 4 and 0 <= val <= 255:
        opt.data, opt.size = bytes([val]), 1
    else:
        n = min(4, length)
        opt.data, opt.size = struct.pack("<i", val)[:n], n
    return 0


# --- control messages on send (ip_cmsg_send) -----------------------------------------

@dataclass
class IpcmCookie:
    """struct ipcm_cookie: what a send's control messages (or the socket) say."""

    addr: int = 0  # IP_PKTINFO ipi_spec_dst: the source address
    oif: int = 0
    opt: IpOptions | None = None
    ttl: int = 0
    tos: int = -1
    protocol: int = 0
    mark: int = 0
    priority: int = 0
    has_opt: bool = False


def iter_cmsgs(control: bytes) -> list[tuple[int, int, int, bytes]] | int:
    """for_each_cmsghdr + CMSG_OK: (cmsg_len, level, type, data) of each, or -EINVAL."""
    out: list[tuple[int, int, int, bytes]] = []
    off = 0
    end = len(control)
    while off + CMSG_HDR_LEN <= end:
        clen, level, ctype = CMSGHDR.unpack_from(control, off)
        if clen < CMSG_HDR_LEN or clen > end - off:
            return -uapi.EINVAL
        out.append((clen, level, ctype, control[off + CMSG_HDR_LEN: off + clen]))
        off += cmsg_align(clen)
    return out


def ip_cmsg_send(sk: InetSock | MsgHdr, control: bytes | MsgHdr | IpcmCookie, ipc: IpcmCookie | None = None) -> int:
    """ip_cmsg_send(sk, control, ipc); the contract's ip_cmsg_send(msg, ipc) form works too (no socket:
    SO_MARK/SO_PRIORITY capability checks pass, IP options compiled in the default namespace rules)."""
    if ipc is None:
        assert isinstance(sk, MsgHdr) and isinstance(control, IpcmCookie)
        return _ip_cmsg_send(None, sk.control, control)
    assert isinstance(sk, InetSock) and isinstance(control, bytes)
    return _ip_cmsg_send(sk, control, ipc)


def _ip_cmsg_send(sk: InetSock | None, control: bytes, ipc: IpcmCookie) -> int:
    cmsgs = iter_cmsgs(control)
    if isinstance(cmsgs, int):
        return cmsgs
    for clen, level, ctype, data in cmsgs:
        if level == uapi.SOL_SOCKET:
            err = _sock_cmsg_send(sk, clen, ctype, data, ipc) if sk is not None else 0
            if err:
                return err
            continue
        if level != SOL_IP:
            continue
        if ctype == uapi.IP_RETOPTS:
            n = clen - CMSG_HDR_LEN
            if sk is None:
                continue
            opt, err = ip_options_get(sk, data[: min(n, 40)])
            if err:
                return err
            ipc.opt, ipc.has_opt = opt, opt is not None
        elif ctype == uapi.IP_PKTINFO:
            if clen != cmsg_len(PKTINFO.size):
                return -uapi.EINVAL
            ifindex, spec_dst, _ = PKTINFO.unpack_from(data)
            if ifindex:
                ipc.oif = ifindex
            ipc.addr = struct.unpack("!I", spec_dst)[0]
        elif ctype == uapi.IP_TTL:
            if clen != cmsg_len(4):
                return -uapi.EINVAL
            val = struct.unpack_from("<i", data)[0]
            if not 1 <= val <= 255:
                return -uapi.EINVAL
            ipc.ttl = val
        elif ctype == uapi.IP_TOS:
            if clen == cmsg_len(4):
                val = struct.unpack_from("<i", data)[0]
            elif clen == cmsg_len(1):
                val = data[0]
            else:
                return -uapi.EINVAL
            if not 0 <= val <= 255:
                return -uapi.EINVAL
            ipc.tos = val
        elif ctype == uapi.IP_PROTOCOL:
            if clen != cmsg_len(4):
                return -uapi.EINVAL
            val = struct.unpack_from("<i", data)[0]
            if not 1 <= val <= 255:
                return -uapi.EINVAL
            ipc.protocol = val
        else:
            return -uapi.EINVAL
    return 0


SO_TIMESTAMPING_OLD = 37
SCM_TXTIME = 61


def _sock_cmsg_send(sk: InetSock, clen: int, ctype: int, data: bytes, ipc: IpcmCookie) -> int:
    """__sock_cmsg_send: SO_MARK (CAP_NET_RAW/ADMIN), SO_PRIORITY, timestamping; rights/creds ignored."""
    if ctype == uapi.SO_MARK:
        if not sk.capable(uapi.CAP_NET_RAW) and not sk.capable(uapi.CAP_NET_ADMIN):
            return -uapi.EPERM
        if clen != cmsg_len(4):
            return -uapi.EINVAL
        ipc.mark = struct.unpack_from("<I", data)[0]
        return 0
    if ctype == uapi.SO_PRIORITY:
        if clen != cmsg_len(4):
            return -uapi.EINVAL
        val = struct.unpack_from("<I", data)[0]
        if val > 6 and not sk.capable(uapi.CAP_NET_RAW) and not sk.capable(uapi.CAP_NET_ADMIN):
            return -uapi.EPERM
        ipc.priority = val
        return 0
    if ctype in (SO_TIMESTAMPING_OLD, SCM_TXTIME):
        return 0 if clen == cmsg_len(4) or ctype == SCM_TXTIME else -uapi.EINVAL
    if ctype in (uapi.SCM_RIGHTS, uapi.SCM_CREDENTIALS):
        return 0
    return -uapi.EINVAL


# --- control messages on receive (ip_cmsg_recv_offset) --------------------------------

def _ip_header(skb: SkBuff) -> bytes:
    nh = skb.network_header
    head = skb.head
    ihl = (head[nh] & 0x0F) * 4
    return bytes(head[nh: nh + ihl])


def ip_cmsg_recv(msg: MsgHdr, skb: SkBuff, sk: InetSock) -> None:
    """ip_cmsg_recv: append the IP cmsgs of inet->cmsg_flags to msg.control (room: msg.controllen)."""
    w = CmsgWriter(msg.controllen - len(msg.control))
    ip_cmsg_recv_offset(w, sk, skb)
    msg.control = msg.control + bytes(w.buf)
    msg.flags |= w.flags


def ip_cmsg_recv_offset(w: CmsgWriter, sk: InetSock, skb: SkBuff, tlen: int = 8, offset: int = 0) -> None:
    """ip_cmsg_recv_offset: the cmsgs of inet->cmsg_flags, in Linux's order, into a CmsgWriter."""
    flags = sk.cmsg_flags
    if not flags:
        return
    iph = _ip_header(skb)
    if flags & IP_CMSG_PKTINFO:
        rt = skb.cb.get("rt")
        ifindex, spec_dst = skb.cb.get("pktinfo") or (skb.skb_iif, getattr(rt, "rt_spec_dst", 0) if rt else 0)
        w.put_cmsg(SOL_IP, uapi.IP_PKTINFO, PKTINFO.pack(ifindex, struct.pack("!I", spec_dst), iph[16:20]))
    if flags & IP_CMSG_TTL:
        w.put_cmsg(SOL_IP, uapi.IP_TTL, struct.pack("<i", iph[8]))
    if flags & IP_CMSG_TOS:
        w.put_cmsg(SOL_IP, uapi.IP_TOS, iph[1:2])
    opts = iph[20:]
    if flags & IP_CMSG_RECVOPTS and opts:
        w.put_cmsg(SOL_IP, uapi.IP_RECVOPTS, opts)
    if flags & IP_CMSG_RETOPTS and opts:
        from kernel.net.ipv4.ip_options import ip_options_echo

        echo = ip_options_echo(sk.net, skb)
        if isinstance(echo, int):
            w.flags |= uapi.MSG_CTRUNC
        elif echo.optlen:
            w.put_cmsg(SOL_IP, uapi.IP_RETOPTS, bytes(echo.data[: echo.optlen]))
    if flags & IP_CMSG_ORIGDSTADDR:
        th = skb.transport_header if skb.transport_header >= 0 else skb.network_header + len(iph)
        if th + 4 <= skb.tail:
            dport = struct.unpack_from("!H", skb.head, th + 2)[0]
            w.put_cmsg(SOL_IP, uapi.IP_ORIGDSTADDR, sockaddr_in(struct.unpack("!I", iph[16:20])[0], dport))
    if flags & IP_CMSG_RECVFRAGSIZE:
        ipcb = skb.cb.get("ip")
        size = getattr(ipcb, "frag_max_size", 0) if ipcb is not None else 0
        if size:
            w.put_cmsg(SOL_IP, uapi.IP_RECVFRAGSIZE, struct.pack("<i", size))


# --- the error queue ------------------------------------------------------------------

@dataclass
class SockExterr:
    """struct sock_exterr_skb: the extended error and where the offending packet went."""

    ee_errno: int
    ee_origin: int
    ee_type: int = 0
    ee_code: int = 0
    ee_info: int = 0
    ee_data: int = 0
    addr: int = 0  # the destination of the packet that failed (msg_name of the error read)
    port: int = 0
    offender: int = 0  # the ICMP sender (SO_EE_ORIGIN_ICMP)


def ip_icmp_error(sk: InetSock, skb: SkBuff, err: int, port: int, info: int, payload: bytes) -> None:
    """ip_icmp_error: queue the ICMP error (skb data at the quoted IP header) when IP_RECVERR is on."""
    icmp = skb.cb.get("icmp", (0, 0, info))
    nh = skb.network_header
    offender = struct.unpack_from("!I", skb.head, nh + 12)[0] if nh >= 0 else 0
    inner = skb.doff
    daddr = struct.unpack_from("!I", skb.head, inner + 16)[0] if inner + 20 <= skb.tail else 0
    e = skb.clone()
    e.cb = dict(skb.cb)
    e.cb["serr"] = SockExterr(err, uapi.SO_EE_ORIGIN_ICMP, icmp[0], icmp[1], info, 0, daddr, port, offender)
    e.cb["errdata"] = bytes(payload)
    # IP_PKTINFO of an error read (PKTINFO_SKB_CB over the ICMP skb's IPCB): ipi_ifindex the interface the
    # ICMP came in on, ipi_spec_dst the zeroed options' first word: 0.0.0.0, never the route's spec_dst
    e.cb["pktinfo"] = (skb.skb_iif, 0)
    e.truesize = skb.truesize
    if sock_queue_err_skb(sk, e):
        e.free()


def ip_local_error(sk: InetSock, err: int, daddr: int, port: int, info: int) -> None:
    """ip_local_error: a locally detected error (EMSGSIZE ...) on the error queue, no payload."""
    if not sk.recverr:
        return
    from kernel.net.core.skbuff import alloc_skb

    e = alloc_skb(20, headroom=0)
    e.cb["serr"] = SockExterr(err, uapi.SO_EE_ORIGIN_LOCAL, 0, 0, info, 0, daddr, port, 0)
    e.cb["errdata"] = b""
    if sock_queue_err_skb(sk, e):
        e.free()


def sock_queue_err_skb(sk: InetSock, skb: SkBuff) -> int:
    from kernel.net.sock import sock_queue_err_skb as _queue

    return _queue(sk, skb)


def _is_icmp_err(skb: SkBuff) -> bool:
    serr = skb.cb.get("serr")
    return serr is not None and serr.ee_origin in (uapi.SO_EE_ORIGIN_ICMP, uapi.SO_EE_ORIGIN_ICMP6)


def sock_dequeue_err_skb(sk: InetSock) -> SkBuff | None:
    q = sk.sk_error_queue
    if not q:
        return None
    skb = q.popleft()
    icmp_next = False
    if q:
        icmp_next = _is_icmp_err(q[0])
        if icmp_next:
            sk.sk_err = q[0].cb["serr"].ee_errno
    if _is_icmp_err(skb) and not icmp_next:
        sk.sk_err = 0
    if q:
        sk.error_report()
    return skb


def ip_recv_error(sk: InetSock, msg: MsgHdr, size: int, w: CmsgWriter | None = None) -> int:
    """ip_recv_error: one queued error: its payload, the destination as msg_name, the IP_RECVERR cmsg."""
    skb = sock_dequeue_err_skb(sk)
    if skb is None:
        return -uapi.EAGAIN
    serr: SockExterr = skb.cb["serr"]
    data: bytes = skb.cb.get("errdata", b"")
    copied = len(data)
    if copied > size:
        msg.flags |= uapi.MSG_TRUNC
        copied = size
    msg.data = data[:copied]
    if msg.namelen:
        msg.name = sockaddr_in(serr.addr, serr.port)
    if w is None:
        w = CmsgWriter(msg.controllen)
    ee = EXTERR.pack(serr.ee_errno, serr.ee_origin, serr.ee_type, serr.ee_code, 0, serr.ee_info, serr.ee_data)
    if serr.ee_origin == uapi.SO_EE_ORIGIN_ICMP:
        offender = sockaddr_in(serr.offender, 0)
        if sk.cmsg_flags and skb.network_header >= 0:
            ip_cmsg_recv_offset(w, sk, skb)
    else:
        offender = bytes(16)
    w.put_cmsg(SOL_IP, uapi.IP_RECVERR, ee + offender)
    msg.control = bytes(w.buf)
    msg.flags |= w.flags | uapi.MSG_ERRQUEUE
    skb.free()
    return copied


def icmp_err_convert(code: int) -> tuple[int, bool]:
    """icmp_err_convert[]: (errno, fatal) of a destination-unreachable code."""
    return _ICMP_ERR_CONVERT.get(code, (uapi.EHOSTUNREACH, False))


_ICMP_ERR_CONVERT: dict[int, tuple[int, bool]] = {
    0: (uapi.ENETUNREACH, False),
    1: (uapi.EHOSTUNREACH, False),
    2: (uapi.ENOPROTOOPT, True),
    3: (uapi.ECONNREFUSED, True),
    4: (uapi.EMSGSIZE, False),
    5: (uapi.EOPNOTSUPP, False),
    6: (uapi.ENETUNREACH, True),
    7: (uapi.EHOSTDOWN, True),
    8: (uapi.ENONET, True),
    9: (uapi.ENETUNREACH, True),
    10: (uapi.EHOSTUNREACH, True),
    11: (uapi.ENETUNREACH, False),
    12: (uapi.EHOSTUNREACH, False),
    13: (uapi.EHOSTUNREACH, True),
    14: (uapi.EHOSTUNREACH, True),
    15: (uapi.EHOSTUNREACH, True),
}

