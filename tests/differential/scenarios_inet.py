"""AF_INET differential scenarios (issue 3: IPv4, UDP, raw and ping sockets).

Each ``scenario_<area>_<behaviour>(net)`` drives sockets through a
socket-module-like ``net`` and returns a trace of plain values.  Verified
against the host Linux kernel (6.18, as root); run with pytest
(tests/differential) or with
``python shared/conformance/runner.py tests/differential/scenarios_inet.py``.

Rules: everything happens on loopback: 127.0.0.1, other 127.x.y.z addresses
(all local on lo), INADDR_ANY binds and the 127.255.255.255 broadcast; never a
non-loopback address of the machine (the emulated host's eth0 differs), and
non-local addresses only where the kernel refuses them before routing (bind,
IP_FREEBIND) or where nothing is sent.  No ports, IP IDs, checksums' values,
timestamps, pids or fd numbers in a trace: compare them and trace the
comparison (an autobound port is traced only as "in 32768..60999").  No
TCP: SOCK_STREAM appears only in socket() creation errors.  No sleeps and no
threads; "nothing there" checks use MSG_DONTWAIT or select with timeout 0;
every socket is closed.  Loopback delivery is synchronous, so a datagram (or
the ICMP error it provokes) is queued when sendto() returns.

The stdlib API cannot express a short sockaddr, an AF_UNSPEC one or a
foreign family; ``_raw_addr_call`` passes raw sockaddr bytes (libc through
ctypes on Linux, the client's own syscall path on the emulated kernel).

The host runs net.ipv4.ping_group_range = "1 0" (the default: nobody may
open ping sockets, so root with gid 0 gets EACCES) and the default
ip_local_port_range 32768..60999, rmem/wmem_default 212992.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno as _errno
import struct
import uuid

try:  # under pytest: the package's harness
    from .harness import attempt, errname
except ImportError:  # under shared/conformance/runner.py
    from runner import attempt, errname  # type: ignore[no-redef]

__all__ = ["attempt", "errname"]

#: The emulated run of this module waits for the AF_INET stack (issue 3):
#: tests/differential/test_differential.py skips it while this is False.
EMULATED_READY = True
EMULATED_NOT_READY_REASON = "AF_INET stack not registered yet"

LO = "127.0.0.1"
ANY = "0.0.0.0"
NONLOCAL = "198.51.100.7"  # TEST-NET-2: never local, never routed here
LO_BCAST = "127.255.255.255"

# Linux values absent from Python's socket module (include/uapi/linux/in.h ...)
IP_TOS = 1
IP_TTL = 2
IP_HDRINCL = 3
IP_OPTIONS = 4
IP_ROUTER_ALERT = 5
IP_RECVOPTS = 6
IP_RETOPTS = 7
IP_PKTINFO = 8
IP_PKTOPTIONS = 9
IP_MTU_DISCOVER = 10
IP_RECVERR = 11
IP_RECVTTL = 12
IP_RECVTOS = 13
IP_MTU = 14
IP_FREEBIND = 15
IP_PASSSEC = 18
IP_TRANSPARENT = 19
IP_RECVORIGDSTADDR = 20
IP_MINTTL = 21
IP_NODEFRAG = 22
IP_CHECKSUM = 23
IP_BIND_ADDRESS_NO_PORT = 24
IP_RECVFRAGSIZE = 25
IP_RECVERR_RFC4884 = 26
IP_MULTICAST_IF = 32
IP_MULTICAST_TTL = 33
IP_MULTICAST_LOOP = 34
IP_ADD_MEMBERSHIP = 35
IP_DROP_MEMBERSHIP = 36
IP_MULTICAST_ALL = 49
IP_UNICAST_IF = 50
IP_LOCAL_PORT_RANGE = 51
IP_PROTOCOL = 52
IP_PMTUDISC_DONT = 0
IP_PMTUDISC_WANT = 1
IP_PMTUDISC_DO = 2
IP_PMTUDISC_PROBE = 3
IP_PMTUDISC_INTERFACE = 4
IP_PMTUDISC_OMIT = 5
SOL_IP = 0
SOL_UDP = 17
SOL_RAW = 255
UDP_CORK = 1
UDP_SEGMENT = 103
UDP_GRO = 104
ICMP_FILTER = 1
SO_NO_CHECK = 11
SO_RXQ_OVFL = 40
SOCK_RDM = 4
SOCK_DCCP = 6
MSG_DONTROUTE = 0x4
MSG_CTRUNC = 0x8
MSG_TRUNC = 0x20
MSG_CONFIRM = 0x800
MSG_ERRQUEUE = 0x2000
MSG_MORE = 0x8000
IPPROTO_ICMP = 1
IPPROTO_TCP = 6
IPPROTO_UDP = 17
IPPROTO_RAW = 255
IPPROTO_MAX = 263
SO_EE_ORIGIN_LOCAL = 1
SO_EE_ORIGIN_ICMP = 2
ICMP_ECHOREPLY = 0
ICMP_DEST_UNREACH = 3
ICMP_ECHO = 8

INT = struct.Struct("i")
PKTINFO = struct.Struct("i4s4s")  # ipi_ifindex, ipi_spec_dst, ipi_addr
EXTERR = struct.Struct("IBBBBII")  # ee_errno, origin, type, code, pad, info, data
MREQ = struct.Struct("4s4s")  # imr_multiaddr, imr_interface
MREQN = struct.Struct("4s4si")  # + imr_ifindex


# ------------------------------------------------------------------ helpers


def _close(*socks) -> None:
    for s in socks:
        s.close()


def _ip(text: str) -> bytes:
    return bytes(int(part) for part in text.split("."))


def _dotted(raw: bytes) -> str:
    return ".".join(str(b) for b in raw)


def _udp(net, addr=LO, port=0, flags=0):
    """A UDP socket bound to (addr, port)."""
    s = net.socket(net.AF_INET, net.SOCK_DGRAM | flags)
    s.bind((addr, port))
    return s


def _pair(net):
    """Two bound UDP sockets on 127.0.0.1, each connected to the other."""
    a = _udp(net)
    b = _udp(net)
    a.connect(b.getsockname())
    b.connect(a.getsockname())
    return a, b


def _free_port(net) -> int:
    """A UDP port on 127.0.0.1 that nobody holds (bound once, then closed)."""
    s = _udp(net)
    port = s.getsockname()[1]
    s.close()
    return port


def _ephemeral(port: int) -> bool:
    return 32768 <= port <= 60999


def _readable(net, s) -> bool:
    return s in net.select([s], [], [], 0)[0]


def _writable(net, s) -> bool:
    return s in net.select([], [s], [], 0)[1]


def _opt(s, level, name):
    return s.getsockopt(level, name)


def _drain(net, s) -> list:
    """Every queued datagram (MSG_DONTWAIT until EAGAIN)."""
    got = []
    while True:
        try:
            got.append(s.recv(65536, net.MSG_DONTWAIT))
        except BlockingIOError:
            return got


def _cmsgs(ancdata) -> list:
    """(level, type, data) of each control message, as a list of tuples."""
    return [(level, kind, bytes(data)) for level, kind, data in ancdata]


def _cmsg_types(ancdata) -> list:
    return [(level, kind, len(data)) for level, kind, data in ancdata]


def _cmsg_int(ancdata, level, kind):
    for lvl, typ, data in ancdata:
        if lvl == level and typ == kind:
            if len(data) == 1:
                return data[0]
            return INT.unpack_from(data)[0]
    return None


def _pktinfo(ancdata):
    for lvl, typ, data in ancdata:
        if lvl == SOL_IP and typ == IP_PKTINFO:
            ifindex, spec_dst, addr = PKTINFO.unpack(data[: PKTINFO.size])
            return (ifindex, _dotted(spec_dst), _dotted(addr))
    return None


def _exterr(net, ancdata, own_port=None):
    """The decoded IP_RECVERR cmsg: errno name, origin, type, code, info,
    the offender's address (and whether its port is own_port)."""
    for lvl, typ, data in ancdata:
        if lvl == SOL_IP and typ == IP_RECVERR:
            err, origin, ee_type, code, pad, info, ee_data = EXTERR.unpack_from(data)
            offender = data[EXTERR.size :]
            family = struct.unpack_from("<H", offender)[0] if len(offender) >= 2 else None
            out = [
                _errno.errorcode.get(err, err),
                origin,
                ee_type,
                code,
                pad,
                info,
                ee_data,
                len(data),
                family,
            ]
            if family == net.AF_INET:
                out.append(_dotted(offender[4:8]))
            return tuple(out)
    return None


def _sockaddr_in(addr: str, port: int, family: int = 2) -> bytes:
    return struct.pack("<H", family) + struct.pack(">H", port) + _ip(addr) + bytes(8)


_LIBC = None


def _libc():
    global _LIBC
    if _LIBC is None:
        _LIBC = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    return _LIBC


def _raw_addr_call(net, s, call: str, raw: bytes, data: bytes = b"") -> str:
    """bind/connect/sendto on s with raw sockaddr bytes; 'ok' or the errno name.

    The stdlib builds every sockaddr from a tuple of the socket's family, so
    short, AF_UNSPEC and foreign-family addresses need this: libc through
    ctypes on Linux, the client's syscall path on the emulated kernel.
    """
    if hasattr(s, "_sys"):  # the project's client
        args = {"addr": raw}
        if call == "sendto":
            args.update(data=data, flags=net.MSG_DONTWAIT)
        return errname(s._sys, call, args)
    libc = _libc()
    buf = ctypes.create_string_buffer(raw, len(raw))
    if call == "bind":
        ret = libc.bind(s.fileno(), buf, len(raw))
    elif call == "connect":
        ret = libc.connect(s.fileno(), buf, len(raw))
    else:
        ret = libc.sendto(
            s.fileno(), ctypes.c_char_p(data), ctypes.c_size_t(len(data)), net.MSG_DONTWAIT, buf, len(raw)
        )
    if ret < 0:
        err = ctypes.get_errno()
        return _errno.errorcode.get(err, str(err))
    return "ok"


def _unspec(port: int = 0, addr: str = ANY) -> bytes:
    return _sockaddr_in(addr, port, family=0)


def _checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def _icmp_echo(ident: int, seq: int, payload: bytes, kind: int = ICMP_ECHO) -> bytes:
    head = struct.pack("!BBHHH", kind, 0, 0, ident, seq)
    csum = _checksum(head + payload)
    return struct.pack("!BBHHH", kind, 0, csum, ident, seq) + payload


def _ip_header(src: str, dst: str, proto: int, payload_len: int, ttl: int = 64, tos: int = 0, ident: int = 0):
    head = struct.pack("!BBHHHBBH4s4s", 0x45, tos, 20 + payload_len, ident, 0, ttl, proto, 0, _ip(src), _ip(dst))
    csum = _checksum(head)
    return head[:10] + struct.pack("!H", csum) + head[12:]


def _ip_fields(packet: bytes) -> tuple:
    """The stable fields of an IPv4 header: version/IHL, TOS, total length,
    DF flag, TTL, protocol, header checksum valid, source, destination."""
    vihl, tos, total, _ident, frag, ttl, proto, _csum = struct.unpack_from("!BBHHHBBH", packet)
    ihl = (vihl & 15) * 4
    return (
        vihl,
        tos,
        total,
        bool(frag & 0x4000),
        ttl,
        proto,
        _checksum(packet[:ihl]) == 0,
        _dotted(packet[12:16]),
        _dotted(packet[16:20]),
    )


def _icmp_fields(packet: bytes) -> tuple:
    """ICMP type, code, checksum valid, and the payload after the 8-byte header."""
    ihl = (packet[0] & 15) * 4
    icmp = packet[ihl:]
    return (icmp[0], icmp[1], _checksum(icmp) == 0, icmp[8:])


# ------------------------------------------------------------------ socket()


def scenario_socket_inet_dgram_default_protocol(net):
    """socket(AF_INET, SOCK_DGRAM, 0) is UDP: SO_PROTOCOL reads 17."""
    s = net.socket(net.AF_INET, net.SOCK_DGRAM)
    trace = [int(s.family), int(s.type), int(s.proto), _opt(s, net.SOL_SOCKET, net.SO_PROTOCOL)]
    s.close()
    return trace


def scenario_socket_inet_dgram_udp_explicit(net):
    """IPPROTO_UDP names the same protocol as 0."""
    s = net.socket(net.AF_INET, net.SOCK_DGRAM, IPPROTO_UDP)
    trace = [int(s.proto), _opt(s, net.SOL_SOCKET, net.SO_PROTOCOL), _opt(s, net.SOL_SOCKET, net.SO_TYPE)]
    s.close()
    return trace


def scenario_socket_inet_so_type_domain_protocol(net):
    """SO_TYPE / SO_DOMAIN / SO_PROTOCOL of UDP and of raw sockets."""
    trace = []
    for kind, proto in (
        (net.SOCK_DGRAM, 0),
        (net.SOCK_RAW, IPPROTO_ICMP),
        (net.SOCK_RAW, IPPROTO_UDP),
        (net.SOCK_RAW, IPPROTO_RAW),
    ):
        s = net.socket(net.AF_INET, kind, proto)
        trace.append(
            (
                _opt(s, net.SOL_SOCKET, net.SO_TYPE),
                _opt(s, net.SOL_SOCKET, net.SO_DOMAIN),
                _opt(s, net.SOL_SOCKET, net.SO_PROTOCOL),
            )
        )
        s.close()
    return trace


def scenario_socket_inet_dgram_tcp_protocol(net):
    """SOCK_DGRAM with IPPROTO_TCP, IPPROTO_RAW or a protocol with no datagram handler is EPROTONOSUPPORT."""
    return [
        errname(net.socket, net.AF_INET, net.SOCK_DGRAM, IPPROTO_TCP),
        errname(net.socket, net.AF_INET, net.SOCK_DGRAM, IPPROTO_RAW),
        errname(net.socket, net.AF_INET, net.SOCK_DGRAM, 132),  # SCTP, not built in
        errname(net.socket, net.AF_INET, net.SOCK_DGRAM, 200),
    ]


def scenario_socket_inet_stream_udp_protocol(net):
    """SOCK_STREAM with a datagram or ICMP protocol is EPROTONOSUPPORT."""
    return [
        errname(net.socket, net.AF_INET, net.SOCK_STREAM, IPPROTO_UDP),
        errname(net.socket, net.AF_INET, net.SOCK_STREAM, IPPROTO_ICMP),
        errname(net.socket, net.AF_INET, net.SOCK_STREAM, IPPROTO_RAW),
    ]


def scenario_socket_inet_protocol_out_of_range(net):
    """A protocol >= IPPROTO_MAX (263) is EINVAL for every type."""
    return [
        errname(net.socket, net.AF_INET, net.SOCK_DGRAM, IPPROTO_MAX),
        errname(net.socket, net.AF_INET, net.SOCK_RAW, IPPROTO_MAX),
        errname(net.socket, net.AF_INET, net.SOCK_RAW, 1000),
        errname(net.socket, net.AF_INET, net.SOCK_STREAM, 4000),
    ]


def scenario_socket_inet_raw_protocol_zero(net):
    """SOCK_RAW with protocol 0 is EPROTONOSUPPORT (the wildcard needs a protocol)."""
    return [errname(net.socket, net.AF_INET, net.SOCK_RAW, 0)]


def scenario_socket_inet_raw_any_protocol(net):
    """As root a raw socket takes any protocol in 1..255 (and IPPROTO_RAW)."""
    trace = []
    for proto in (IPPROTO_ICMP, 2, IPPROTO_TCP, IPPROTO_UDP, 47, 253, 254, IPPROTO_RAW):
        s = net.socket(net.AF_INET, net.SOCK_RAW, proto)
        trace.append((proto, int(s.proto), _opt(s, net.SOL_SOCKET, net.SO_PROTOCOL)))
        s.close()
    return trace


def scenario_socket_inet_raw_protocol_above_255(net):
    """A raw protocol in 256..262 still passes inet_create's range check."""
    trace = []
    for proto in (256, 262):
        outcome = attempt(net.socket, net.AF_INET, net.SOCK_RAW, proto)
        if outcome[0] == "ok":
            s = outcome[1]
            trace.append((proto, "ok", _opt(s, net.SOL_SOCKET, net.SO_PROTOCOL)))
            s.close()
        else:
            trace.append((proto, outcome[1]))
    return trace


def scenario_socket_inet_seqpacket_rdm(net):
    """AF_INET has no SOCK_SEQPACKET, SOCK_RDM or SOCK_DCCP: ESOCKTNOSUPPORT."""
    return [
        errname(net.socket, net.AF_INET, net.SOCK_SEQPACKET),
        errname(net.socket, net.AF_INET, net.SOCK_SEQPACKET, IPPROTO_UDP),
        errname(net.socket, net.AF_INET, SOCK_RDM),
        errname(net.socket, net.AF_INET, SOCK_DCCP),
        errname(net.socket, net.AF_INET, 7),
        errname(net.socket, net.AF_INET, 9),
    ]


def scenario_socket_inet_bad_type(net):
    """Type 0 is ESOCKTNOSUPPORT; types >= SOCK_MAX are EINVAL."""
    return [
        errname(net.socket, net.AF_INET, 0),
        errname(net.socket, net.AF_INET, 11),
        errname(net.socket, net.AF_INET, 999),
    ]


def scenario_socket_inet_bad_type_flags(net):
    """Unknown bits above the type are EINVAL."""
    return [
        errname(net.socket, net.AF_INET, net.SOCK_DGRAM | 0x100),
        errname(net.socket, net.AF_INET, net.SOCK_DGRAM | 0x40000000),
        errname(net.socket, net.AF_INET, net.SOCK_RAW | 0x10, IPPROTO_ICMP),
    ]


def scenario_socket_inet_nonblock_flag(net):
    """SOCK_NONBLOCK: a non-blocking socket, recv is EAGAIN at once."""
    s = net.socket(net.AF_INET, net.SOCK_DGRAM | net.SOCK_NONBLOCK)
    s.bind((LO, 0))
    trace = [int(s.type), s.getblocking(), s.gettimeout(), errname(s.recv, 10)]
    s.close()
    return trace


def scenario_socket_inet_cloexec_flag(net):
    """SOCK_CLOEXEC: the socket is not inheritable."""
    s = net.socket(net.AF_INET, net.SOCK_DGRAM | net.SOCK_CLOEXEC | net.SOCK_NONBLOCK)
    trace = [int(s.type), s.getblocking(), s.get_inheritable()]
    s.set_inheritable(True)
    trace.append(s.get_inheritable())
    s.close()
    return trace


def scenario_socket_inet_raw_nonblock(net):
    """A SOCK_RAW|SOCK_NONBLOCK socket has nothing to read: EAGAIN."""
    s = net.socket(net.AF_INET, net.SOCK_RAW | net.SOCK_NONBLOCK, 253)
    trace = [int(s.type), s.getblocking(), errname(s.recv, 100)]
    s.close()
    return trace


def scenario_socket_ping_not_permitted(net):
    """SOCK_DGRAM + IPPROTO_ICMP (ping socket): EACCES while gid 0 is outside ping_group_range."""
    return [
        errname(net.socket, net.AF_INET, net.SOCK_DGRAM, IPPROTO_ICMP),
        errname(net.socket, net.AF_INET, net.SOCK_DGRAM | net.SOCK_NONBLOCK, IPPROTO_ICMP),
        errname(net.socket, net.AF_INET, net.SOCK_DGRAM | net.SOCK_CLOEXEC, IPPROTO_ICMP),
    ]


def scenario_socket_inet_default_state(net):
    """A fresh UDP socket: unbound (0.0.0.0, 0), no peer, no pending error."""
    s = net.socket(net.AF_INET, net.SOCK_DGRAM)
    trace = [s.getsockname(), errname(s.getpeername), _opt(s, net.SOL_SOCKET, net.SO_ERROR)]
    trace.append((s.getblocking(), s.gettimeout()))
    s.close()
    return trace


def scenario_socket_inet_raw_default_state(net):
    """A fresh raw socket: getsockname (0.0.0.0, 0), no peer."""
    s = net.socket(net.AF_INET, net.SOCK_RAW, IPPROTO_ICMP)
    trace = [s.getsockname(), errname(s.getpeername)]
    s.close()
    return trace


def scenario_socket_inet_listen_accept_dgram(net):
    """listen() and accept() on UDP are EOPNOTSUPP; shutdown unconnected is ENOTCONN."""
    s = _udp(net)
    trace = [errname(s.listen, 1), errname(s.accept), errname(s.shutdown, net.SHUT_RDWR)]
    s.close()
    return trace


def scenario_socket_inet_raw_listen_accept(net):
    """listen() and accept() on a raw socket are EOPNOTSUPP."""
    s = net.socket(net.AF_INET, net.SOCK_RAW, IPPROTO_ICMP)
    trace = [errname(s.listen, 1), errname(s.accept)]
    s.close()
    return trace


# --------------------------------------------------------------- socketpair


def scenario_socketpair_inet_dgram_unsupported(net):
    """socketpair(AF_INET, SOCK_DGRAM) is EOPNOTSUPP."""
    return [
        errname(net.socketpair, net.AF_INET, net.SOCK_DGRAM),
        errname(net.socketpair, net.AF_INET, net.SOCK_DGRAM, IPPROTO_UDP),
    ]


def scenario_socketpair_inet_raw_unsupported(net):
    """socketpair(AF_INET, SOCK_RAW, proto) is EOPNOTSUPP; protocol 0 fails first."""
    return [
        errname(net.socketpair, net.AF_INET, net.SOCK_RAW, IPPROTO_ICMP),
        errname(net.socketpair, net.AF_INET, net.SOCK_RAW, 0),
    ]


def scenario_socketpair_inet_bad_arguments(net):
    """socketpair creation errors come before EOPNOTSUPP."""
    return [
        errname(net.socketpair, net.AF_INET, net.SOCK_DGRAM, IPPROTO_TCP),
        errname(net.socketpair, net.AF_INET, net.SOCK_SEQPACKET),
        errname(net.socketpair, net.AF_INET, 999),
        errname(net.socketpair, net.AF_INET, net.SOCK_DGRAM, IPPROTO_ICMP),
    ]


# --------------------------------------------------------------------- bind


def scenario_bind_loopback_port_zero(net):
    """bind((127.0.0.1, 0)) picks an ephemeral port in ip_local_port_range."""
    s = net.socket(net.AF_INET, net.SOCK_DGRAM)
    trace = [errname(s.bind, (LO, 0))]
    addr, port = s.getsockname()
    trace += [addr, _ephemeral(port)]
    s.close()
    return trace


def scenario_bind_any_port_zero(net):
    """bind((0.0.0.0, 0)): getsockname keeps 0.0.0.0 and shows the chosen port."""
    s = _udp(net, ANY)
    addr, port = s.getsockname()
    trace = [addr, _ephemeral(port)]
    s.close()
    return trace


def scenario_bind_empty_string_is_any(net):
    """The empty address string is INADDR_ANY."""
    s = _udp(net, "")
    trace = [s.getsockname()[0]]
    s.close()
    return trace


def scenario_bind_autobind_ports_differ(net):
    """Two port-0 binds get two different ports."""
    a = _udp(net)
    b = _udp(net)
    trace = [a.getsockname()[1] != b.getsockname()[1], _ephemeral(b.getsockname()[1])]
    _close(a, b)
    return trace


def scenario_bind_explicit_port(net):
    """bind to a known free port reads back exactly that port."""
    port = _free_port(net)
    s = _udp(net, LO, port)
    trace = [s.getsockname() == (LO, port)]
    s.close()
    return trace


def scenario_bind_twice_einval(net):
    """A second bind on a bound UDP socket is EINVAL, whatever the address."""
    s = _udp(net)
    name = s.getsockname()
    trace = [errname(s.bind, (LO, 0)), errname(s.bind, name), errname(s.bind, (ANY, 0))]
    trace.append(s.getsockname() == name)
    s.close()
    return trace


def scenario_bind_in_use(net):
    """Binding an address:port another UDP socket holds is EADDRINUSE."""
    a = _udp(net)
    b = net.socket(net.AF_INET, net.SOCK_DGRAM)
    trace = [errname(b.bind, a.getsockname()), b.getsockname()]
    a.close()
    trace.append(errname(b.bind, (LO, 0)))
    _close(b)
    return trace


def scenario_bind_port_free_after_close(net):
    """A UDP port is free again as soon as its socket is closed."""
    a = _udp(net)
    name = a.getsockname()
    a.close()
    b = net.socket(net.AF_INET, net.SOCK_DGRAM)
    trace = [errname(b.bind, name), b.getsockname() == name]
    b.close()
    return trace


def scenario_bind_any_then_loopback_same_port(net):
    """0.0.0.0:p held: 127.0.0.1:p is EADDRINUSE."""
    a = _udp(net, ANY)
    port = a.getsockname()[1]
    b = net.socket(net.AF_INET, net.SOCK_DGRAM)
    trace = [errname(b.bind, (LO, port)), errname(b.bind, ("127.0.0.2", port))]
    _close(a, b)
    return trace


def scenario_bind_loopback_then_any_same_port(net):
    """127.0.0.1:p held: 0.0.0.0:p is EADDRINUSE, 127.0.0.2:p is fine."""
    a = _udp(net, LO)
    port = a.getsockname()[1]
    b = net.socket(net.AF_INET, net.SOCK_DGRAM)
    c = net.socket(net.AF_INET, net.SOCK_DGRAM)
    trace = [errname(b.bind, (ANY, port)), errname(c.bind, ("127.0.0.2", port))]
    trace.append(c.getsockname() == ("127.0.0.2", port))
    _close(a, b, c)
    return trace


def scenario_bind_other_loopback_addresses(net):
    """Every 127.x.y.z is local on lo: bind works and getsockname shows it."""
    trace = []
    for addr in ("127.0.0.2", "127.1.2.3", "127.255.255.254", "127.0.0.0"):
        s = net.socket(net.AF_INET, net.SOCK_DGRAM)
        trace.append((addr, errname(s.bind, (addr, 0)), s.getsockname()[0]))
        s.close()
    return trace


def scenario_bind_broadcast_addresses(net):
    """Binding the lo broadcast or 255.255.255.255 is allowed (broadcast type)."""
    trace = []
    for addr in (LO_BCAST, "255.255.255.255"):
        s = net.socket(net.AF_INET, net.SOCK_DGRAM)
        trace.append((addr, errname(s.bind, (addr, 0)), s.getsockname()[0]))
        s.close()
    return trace


def scenario_bind_multicast_address(net):
    """Binding a multicast group address is allowed for UDP."""
    s = net.socket(net.AF_INET, net.SOCK_DGRAM)
    trace = [errname(s.bind, ("224.0.0.251", 0)), s.getsockname()[0]]
    s.close()
    return trace


def scenario_bind_nonlocal_address(net):
    """A non-local unicast address is EADDRNOTAVAIL and leaves the socket unbound."""
    s = net.socket(net.AF_INET, net.SOCK_DGRAM)
    trace = [errname(s.bind, (NONLOCAL, 0)), errname(s.bind, ("10.255.255.1", 0)), s.getsockname()]
    trace.append(errname(s.bind, (LO, 0)))
    s.close()
    return trace


def scenario_bind_freebind_nonlocal(net):
    """IP_FREEBIND lets a UDP socket bind a non-local address."""
    s = net.socket(net.AF_INET, net.SOCK_DGRAM)
    s.setsockopt(SOL_IP, IP_FREEBIND, 1)
    trace = [_opt(s, SOL_IP, IP_FREEBIND), errname(s.bind, (NONLOCAL, 0))]
    addr, port = s.getsockname()
    trace += [addr, _ephemeral(port)]
    s.close()
    return trace


def scenario_bind_transparent_nonlocal(net):
    """IP_TRANSPARENT (root) also allows a non-local bind."""
    s = net.socket(net.AF_INET, net.SOCK_DGRAM)
    trace = [errname(s.setsockopt, SOL_IP, IP_TRANSPARENT, 1), _opt(s, SOL_IP, IP_TRANSPARENT)]
    trace += [errname(s.bind, (NONLOCAL, 0)), s.getsockname()[0]]
    s.close()
    return trace


def scenario_bind_privileged_port_as_root(net):
    """Root may bind a port below 1024."""
    s = net.socket(net.AF_INET, net.SOCK_DGRAM)
    trace = [errname(s.bind, (LO, 1021)), s.getsockname() == (LO, 1021)]
    s.close()
    return trace


def scenario_bind_reuseaddr_both(net):
    """SO_REUSEADDR on both UDP sockets: the second bind to the same address works."""
    a = net.socket(net.AF_INET, net.SOCK_DGRAM)
    b = net.socket(net.AF_INET, net.SOCK_DGRAM)
    for s in (a, b):
        s.setsockopt(net.SOL_SOCKET, net.SO_REUSEADDR, 1)
    a.bind((LO, 0))
    trace = [errname(b.bind, a.getsockname()), a.getsockname() == b.getsockname()]
    _close(a, b)
    return trace


def scenario_bind_reuseaddr_one_side(net):
    """SO_REUSEADDR on only one of two UDP sockets: EADDRINUSE either way."""
    a = net.socket(net.AF_INET, net.SOCK_DGRAM)
    b = net.socket(net.AF_INET, net.SOCK_DGRAM)
    a.setsockopt(net.SOL_SOCKET, net.SO_REUSEADDR, 1)
    a.bind((LO, 0))
    trace = [errname(b.bind, a.getsockname())]
    c = _udp(net)
    d = net.socket(net.AF_INET, net.SOCK_DGRAM)
    d.setsockopt(net.SOL_SOCKET, net.SO_REUSEADDR, 1)
    trace.append(errname(d.bind, c.getsockname()))
    _close(a, b, c, d)
    return trace


def scenario_bind_reuseaddr_newest_receives(net):
    """Two SO_REUSEADDR UDP sockets on one address: unicast goes to the last bound."""
    a = net.socket(net.AF_INET, net.SOCK_DGRAM)
    b = net.socket(net.AF_INET, net.SOCK_DGRAM)
    for s in (a, b):
        s.setsockopt(net.SOL_SOCKET, net.SO_REUSEADDR, 1)
    a.bind((LO, 0))
    b.bind(a.getsockname())
    tx = _udp(net)
    tx.sendto(b"first", a.getsockname())
    trace = [_drain(net, a), _drain(net, b)]
    b.close()
    tx.sendto(b"second", a.getsockname())
    trace.append(_drain(net, a))
    _close(a, tx)
    return trace


def scenario_bind_reuseport_both(net):
    """SO_REUSEPORT on both sockets (same uid): both bind; a datagram reaches one of them."""
    a = net.socket(net.AF_INET, net.SOCK_DGRAM)
    b = net.socket(net.AF_INET, net.SOCK_DGRAM)
    for s in (a, b):
        s.setsockopt(net.SOL_SOCKET, net.SO_REUSEPORT, 1)
    a.bind((LO, 0))
    trace = [errname(b.bind, a.getsockname()), _opt(b, net.SOL_SOCKET, net.SO_REUSEPORT)]
    tx = _udp(net)
    tx.sendto(b"x", a.getsockname())
    trace.append(sorted(_drain(net, a) + _drain(net, b)))
    _close(a, b, tx)
    return trace


def scenario_bind_reuseport_one_side(net):
    """SO_REUSEPORT on only the second socket: EADDRINUSE."""
    a = _udp(net)
    b = net.socket(net.AF_INET, net.SOCK_DGRAM)
    b.setsockopt(net.SOL_SOCKET, net.SO_REUSEPORT, 1)
    trace = [errname(b.bind, a.getsockname())]
    _close(a, b)
    return trace


def scenario_bind_reuseaddr_any_and_specific(net):
    """SO_REUSEADDR on both: 0.0.0.0:p and 127.0.0.1:p coexist; the specific one wins unicast."""
    a = net.socket(net.AF_INET, net.SOCK_DGRAM)
    b = net.socket(net.AF_INET, net.SOCK_DGRAM)
    for s in (a, b):
        s.setsockopt(net.SOL_SOCKET, net.SO_REUSEADDR, 1)
    a.bind((ANY, 0))
    port = a.getsockname()[1]
    trace = [errname(b.bind, (LO, port))]
    tx = _udp(net)
    tx.sendto(b"to-lo", (LO, port))
    tx.sendto(b"to-2", ("127.0.0.2", port))
    trace += [_drain(net, a), _drain(net, b)]
    _close(a, b, tx)
    return trace


def scenario_bind_after_connect(net):
    """connect() autobinds, so a later bind() is EINVAL."""
    peer = _udp(net)
    s = net.socket(net.AF_INET, net.SOCK_DGRAM)
    s.connect(peer.getsockname())
    trace = [errname(s.bind, (LO, 0)), errname(s.bind, (ANY, 0))]
    _close(s, peer)
    return trace


def scenario_bind_after_sendto(net):
    """sendto() autobinds to 0.0.0.0:ephemeral; a later bind() is EINVAL."""
    peer = _udp(net)
    s = net.socket(net.AF_INET, net.SOCK_DGRAM)
    s.sendto(b"x", peer.getsockname())
    addr, port = s.getsockname()
    trace = [addr, _ephemeral(port), errname(s.bind, (LO, 0))]
    _, src = peer.recvfrom(10)
    trace.append(src == (LO, port))
    _close(s, peer)
    return trace


def scenario_bind_short_sockaddr(net):
    """A sockaddr shorter than sockaddr_in is EINVAL."""
    s = net.socket(net.AF_INET, net.SOCK_DGRAM)
    full = _sockaddr_in(LO, 0)
    trace = [_raw_addr_call(net, s, "bind", full[:8]), _raw_addr_call(net, s, "bind", full[:15]), s.getsockname()]
    s.close()
    return trace


def scenario_bind_wrong_family(net):
    """A sockaddr of another family is EAFNOSUPPORT."""
    s = net.socket(net.AF_INET, net.SOCK_DGRAM)
    trace = [
        _raw_addr_call(net, s, "bind", _sockaddr_in(LO, 0, family=net.AF_UNIX)),
        _raw_addr_call(net, s, "bind", _sockaddr_in(LO, 0, family=net.AF_INET6)),
        s.getsockname(),
    ]
    s.close()
    return trace


def scenario_bind_af_unspec_any_accepted(net):
    """AF_UNSPEC with INADDR_ANY binds as AF_INET; with another address it is EAFNOSUPPORT."""
    s = net.socket(net.AF_INET, net.SOCK_DGRAM)
    trace = [_raw_addr_call(net, s, "bind", _unspec(0, LO)), s.getsockname()]
    trace.append(_raw_addr_call(net, s, "bind", _unspec(0, ANY)))
    addr, port = s.getsockname()
    trace += [addr, _ephemeral(port)]
    s.close()
    return trace


def scenario_bind_long_sockaddr_accepted(net):
    """A sockaddr longer than 16 bytes (a sockaddr_storage) is accepted."""
    s = net.socket(net.AF_INET, net.SOCK_DGRAM)
    trace = [_raw_addr_call(net, s, "bind", _sockaddr_in(LO, 0) + bytes(112)), s.getsockname()[0]]
    s.close()
    return trace


def scenario_bind_raw_socket_address(net):
    """A raw socket binds an address only (the port is ignored; it reads the protocol)."""
    s = net.socket(net.AF_INET, net.SOCK_RAW, 253)
    trace = [errname(s.bind, (LO, 4321)), s.getsockname()]
    trace.append(errname(s.bind, ("127.0.0.2", 0)))
    trace.append(s.getsockname())
    s.close()
    return trace


def scenario_bind_raw_nonlocal(net):
    """A raw socket bind to a non-local address is EADDRNOTAVAIL; IP_FREEBIND allows it."""
    s = net.socket(net.AF_INET, net.SOCK_RAW, 253)
    trace = [errname(s.bind, (NONLOCAL, 0))]
    s.setsockopt(SOL_IP, IP_FREEBIND, 1)
    trace += [errname(s.bind, (NONLOCAL, 0)), s.getsockname()]
    s.close()
    return trace


def scenario_bind_raw_short_and_family(net):
    """Raw bind: a short sockaddr is EINVAL; the family is not checked at all (AF_INET6, AF_UNSPEC bind)."""
    s = net.socket(net.AF_INET, net.SOCK_RAW, 253)
    trace = [
        _raw_addr_call(net, s, "bind", _sockaddr_in(LO, 0)[:12]),
        _raw_addr_call(net, s, "bind", _sockaddr_in("127.0.0.3", 0, family=net.AF_INET6)),
        s.getsockname(),
        _raw_addr_call(net, s, "bind", _unspec(0, LO)),
        _raw_addr_call(net, s, "bind", _unspec(0, ANY)),
        s.getsockname(),
    ]
    s.close()
    return trace


def scenario_bind_raw_broadcast_multicast(net):
    """A raw socket may bind the broadcast or a multicast address."""
    trace = []
    for addr in (LO_BCAST, "224.0.0.1"):
        s = net.socket(net.AF_INET, net.SOCK_RAW, 253)
        trace.append((addr, errname(s.bind, (addr, 0)), s.getsockname()[0]))
        s.close()
    return trace


# ------------------------------------------------------------------ connect


def scenario_connect_autobinds(net):
    """connect() on an unbound UDP socket binds 127.0.0.1:ephemeral (the route's source)."""
    peer = _udp(net)
    s = net.socket(net.AF_INET, net.SOCK_DGRAM)
    before = s.getsockname()
    trace = [before, errname(s.connect, peer.getsockname())]
    addr, port = s.getsockname()
    trace += [addr, _ephemeral(port), s.getpeername() == peer.getsockname()]
    _close(s, peer)
    return trace


def scenario_connect_source_follows_destination(net):
    """Connecting to 127.0.0.2 from an unbound socket picks source 127.0.0.1 (lo's primary address)."""
    peer = _udp(net, "127.0.0.2")
    s = net.socket(net.AF_INET, net.SOCK_DGRAM)
    s.connect(peer.getsockname())
    trace = [s.getsockname()[0], s.getpeername()[0]]
    s.send(b"hi")
    data, src = peer.recvfrom(10)
    trace += [data, src == s.getsockname()]
    _close(s, peer)
    return trace


def scenario_connect_any_bound_gets_source(net):
    """A socket bound to 0.0.0.0:p gets a concrete source address on connect, port kept."""
    peer = _udp(net)
    s = _udp(net, ANY)
    port = s.getsockname()[1]
    s.connect(peer.getsockname())
    trace = [s.getsockname() == (LO, port)]
    _close(s, peer)
    return trace


def scenario_connect_bound_keeps_address(net):
    """A socket bound to 127.0.0.3 keeps that source when connecting to 127.0.0.1."""
    peer = _udp(net)
    s = _udp(net, "127.0.0.3")
    name = s.getsockname()
    s.connect(peer.getsockname())
    s.send(b"from .3")
    data, src = peer.recvfrom(100)
    trace = [s.getsockname() == name, data, src == name]
    _close(s, peer)
    return trace


def scenario_connect_getpeername(net):
    """getpeername is ENOTCONN before connect and the peer after."""
    peer = _udp(net)
    s = _udp(net)
    trace = [errname(s.getpeername)]
    s.connect(peer.getsockname())
    trace.append(s.getpeername() == peer.getsockname())
    _close(s, peer)
    return trace


def scenario_connect_nobody_listening_succeeds(net):
    """UDP connect to a port nobody holds succeeds (no handshake)."""
    port = _free_port(net)
    s = net.socket(net.AF_INET, net.SOCK_DGRAM)
    trace = [errname(s.connect, (LO, port)), s.getpeername() == (LO, port)]
    s.close()
    return trace


def scenario_connect_port_zero(net):
    """connect to port 0 succeeds, getpeername is ENOTCONN (no peer port), yet send goes out and
    the port unreachable comes back as ECONNREFUSED."""
    s = _udp(net)
    trace = [errname(s.connect, (LO, 0)), errname(s.getpeername), errname(s.send, b"x")]
    trace.append(errname(s.recv, 10, net.MSG_DONTWAIT))
    s.close()
    return trace


def scenario_connect_twice_reconnects(net):
    """A second connect moves the UDP socket to the new peer; the local address is kept."""
    a = _udp(net)
    b = _udp(net)
    s = _udp(net)
    name = s.getsockname()
    s.connect(a.getsockname())
    trace = [errname(s.connect, b.getsockname()), s.getpeername() == b.getsockname(), s.getsockname() == name]
    s.send(b"to b")
    trace += [_drain(net, a), _drain(net, b)]
    _close(a, b, s)
    return trace


def scenario_connect_to_any_address(net):
    """connect to 0.0.0.0 means this host: the peer and the source both read 127.0.0.1."""
    peer = _udp(net, ANY)
    port = peer.getsockname()[1]
    s = net.socket(net.AF_INET, net.SOCK_DGRAM)
    trace = [errname(s.connect, (ANY, port)), s.getpeername()[0], s.getsockname()[0]]
    s.send(b"to any")
    trace.append(_drain(net, peer))
    _close(s, peer)
    return trace


def scenario_connect_broadcast_needs_so_broadcast(net):
    """connect to the lo broadcast address without SO_BROADCAST is EACCES; with it, it works."""
    s = _udp(net, ANY)
    trace = [errname(s.connect, (LO_BCAST, 9999)), errname(s.getpeername)]
    s.setsockopt(net.SOL_SOCKET, net.SO_BROADCAST, 1)
    trace += [errname(s.connect, (LO_BCAST, 9999)), s.getpeername()]
    s.close()
    return trace


def scenario_connect_limited_broadcast_eacces(net):
    """connect to 255.255.255.255 without SO_BROADCAST is EACCES."""
    s = _udp(net)
    trace = [errname(s.connect, ("255.255.255.255", 9999))]
    s.close()
    return trace


def scenario_connect_short_sockaddr(net):
    """A connect sockaddr shorter than sockaddr_in is EINVAL."""
    s = _udp(net)
    trace = [_raw_addr_call(net, s, "connect", _sockaddr_in(LO, 9)[:15]), errname(s.getpeername)]
    trace.append(_raw_addr_call(net, s, "connect", b"\x02\x00"))
    s.close()
    return trace


def scenario_connect_wrong_family(net):
    """connect with a non-AF_INET, non-AF_UNSPEC family is EAFNOSUPPORT."""
    s = _udp(net)
    trace = [
        _raw_addr_call(net, s, "connect", _sockaddr_in(LO, 9, family=net.AF_INET6)),
        _raw_addr_call(net, s, "connect", _sockaddr_in(LO, 9, family=net.AF_UNIX)),
        errname(s.getpeername),
    ]
    s.close()
    return trace


def scenario_connect_af_unspec_disconnects(net):
    """connect(AF_UNSPEC) dissolves the association: getpeername ENOTCONN, send EDESTADDRREQ."""
    peer = _udp(net)
    s = _udp(net)
    s.connect(peer.getsockname())
    trace = [_raw_addr_call(net, s, "connect", _unspec()), errname(s.getpeername), errname(s.send, b"x")]
    trace.append(errname(s.sendto, b"y", peer.getsockname()))
    trace.append(_drain(net, peer))
    _close(s, peer)
    return trace


def scenario_connect_af_unspec_short_is_fine(net):
    """An AF_UNSPEC sockaddr of only the family field disconnects too."""
    peer = _udp(net)
    s = _udp(net)
    s.connect(peer.getsockname())
    trace = [_raw_addr_call(net, s, "connect", b"\x00\x00"), errname(s.getpeername)]
    trace.append(_raw_addr_call(net, s, "connect", b"\x00"))
    _close(s, peer)
    return trace


def scenario_connect_af_unspec_unconnected(net):
    """connect(AF_UNSPEC) on an unconnected socket succeeds and still forgets a port-0 bind's port."""
    s = _udp(net)
    name = s.getsockname()
    trace = [_raw_addr_call(net, s, "connect", _unspec()), s.getsockname()[0], s.getsockname()[1] == name[1]]
    t = net.socket(net.AF_INET, net.SOCK_DGRAM)
    trace += [_raw_addr_call(net, t, "connect", _unspec()), t.getsockname()]
    _close(s, t)
    return trace


def scenario_connect_af_unspec_autobound_forgets_port(net):
    """After connect-autobind, disconnect resets both the address and the port: (0.0.0.0, 0)."""
    peer = _udp(net)
    s = net.socket(net.AF_INET, net.SOCK_DGRAM)
    s.connect(peer.getsockname())
    _raw_addr_call(net, s, "connect", _unspec())
    trace = [s.getsockname(), errname(s.bind, (LO, 0))]
    _close(s, peer)
    return trace


def scenario_connect_af_unspec_any_port_zero(net):
    """bind(0.0.0.0, 0) then connect + disconnect: neither address nor port is locked, both reset."""
    peer = _udp(net)
    s = _udp(net, ANY)
    s.connect(peer.getsockname())
    _raw_addr_call(net, s, "connect", _unspec())
    trace = [s.getsockname()]
    _close(s, peer)
    return trace


def scenario_connect_af_unspec_bound_address_port_zero(net):
    """bind(127.0.0.1, 0) then connect + disconnect: the address is kept, the port is not."""
    peer = _udp(net)
    s = _udp(net)
    s.connect(peer.getsockname())
    _raw_addr_call(net, s, "connect", _unspec())
    trace = [s.getsockname(), errname(s.bind, (LO, 0))]
    _close(s, peer)
    return trace


def scenario_connect_af_unspec_bound_port_any(net):
    """bind(0.0.0.0, p) then connect + disconnect: the port is kept, the address back to 0.0.0.0."""
    peer = _udp(net)
    port = _free_port(net)
    s = _udp(net, ANY, port)
    s.connect(peer.getsockname())
    _raw_addr_call(net, s, "connect", _unspec())
    addr, now = s.getsockname()
    trace = [addr, now == port]
    _close(s, peer)
    return trace


def scenario_connect_af_unspec_bound_both(net):
    """bind(127.0.0.1, p) then connect + disconnect: both are kept."""
    peer = _udp(net)
    port = _free_port(net)
    s = _udp(net, LO, port)
    s.connect(peer.getsockname())
    _raw_addr_call(net, s, "connect", _unspec())
    trace = [s.getsockname() == (LO, port)]
    peer.sendto(b"still bound", (LO, port))
    trace.append(_drain(net, s))
    _close(s, peer)
    return trace


def scenario_connect_af_unspec_then_reconnect(net):
    """After a disconnect the socket connects again (and autobinds again if it had to)."""
    peer = _udp(net)
    s = net.socket(net.AF_INET, net.SOCK_DGRAM)
    s.connect(peer.getsockname())
    _raw_addr_call(net, s, "connect", _unspec())
    trace = [errname(s.connect, peer.getsockname())]
    addr, port = s.getsockname()
    trace += [addr, _ephemeral(port)]
    s.send(b"again")
    trace.append(peer.recv(10))
    _close(s, peer)
    return trace


def scenario_connect_filters_other_sources(net):
    """A connected UDP socket drops datagrams from anyone but its peer."""
    a, b = _pair(net)
    third = _udp(net)
    third.sendto(b"intruder", a.getsockname())
    b.send(b"peer")
    trace = [_drain(net, a)]
    _close(a, b, third)
    return trace


def scenario_connect_filters_same_address_other_port(net):
    """The filter includes the port: another socket on the peer's address is dropped."""
    a, b = _pair(net)
    other = _udp(net, LO)
    other.sendto(b"same address", a.getsockname())
    trace = [_drain(net, a), _readable(net, a)]
    _close(a, b, other)
    return trace


def scenario_connect_queued_before_connect_kept(net):
    """Datagrams queued before connect() stay readable, even from other sources."""
    a = _udp(net)
    b = _udp(net)
    third = _udp(net)
    third.sendto(b"early", a.getsockname())
    a.connect(b.getsockname())
    trace = [_drain(net, a)]
    _close(a, b, third)
    return trace


def scenario_connect_recvfrom_reports_peer(net):
    """recvfrom on a connected UDP socket still returns the source address."""
    a, b = _pair(net)
    b.send(b"hello")
    data, src = a.recvfrom(100)
    trace = [data, src == b.getsockname()]
    _close(a, b)
    return trace


def scenario_connect_raw_socket(net):
    """connect() on a raw socket sets the peer: getpeername shows the address and port 0."""
    s = net.socket(net.AF_INET, net.SOCK_RAW, 253)
    trace = [errname(s.connect, ("127.0.0.2", 77)), s.getpeername(), s.getsockname()]
    s.close()
    return trace


def scenario_connect_raw_af_unspec(net):
    """connect(AF_UNSPEC) disconnects a raw socket too."""
    s = net.socket(net.AF_INET, net.SOCK_RAW, 253)
    s.connect((LO, 0))
    trace = [_raw_addr_call(net, s, "connect", _unspec()), errname(s.getpeername)]
    s.close()
    return trace


def scenario_connect_raw_wrong_family(net):
    """A raw socket's connect checks the family: AF_INET6 is EAFNOSUPPORT."""
    s = net.socket(net.AF_INET, net.SOCK_RAW, 253)
    trace = [
        _raw_addr_call(net, s, "connect", _sockaddr_in(LO, 0, family=net.AF_INET6)),
        _raw_addr_call(net, s, "connect", _sockaddr_in(LO, 0)[:10]),
    ]
    s.close()
    return trace


# --------------------------------------------------------------------- data


def scenario_data_sendto_recvfrom(net):
    """sendto returns the byte count; recvfrom gives the data and the sender's address."""
    a = _udp(net)
    b = _udp(net)
    trace = [a.sendto(b"hello", b.getsockname())]
    data, src = b.recvfrom(100)
    trace += [data, src == a.getsockname()]
    _close(a, b)
    return trace


def scenario_data_boundaries_kept(net):
    """Each recv returns exactly one datagram."""
    a = _udp(net)
    b = _udp(net)
    for msg in (b"one", b"two", b"three", b"x" * 1000):
        a.sendto(msg, b.getsockname())
    trace = [b.recv(100), b.recv(100), b.recv(100), len(b.recv(5000)), errname(b.recv, 100, net.MSG_DONTWAIT)]
    _close(a, b)
    return trace


def scenario_data_zero_length_datagram(net):
    """A zero-length datagram is a datagram: readable, recv returns b'', then EAGAIN."""
    a = _udp(net)
    b = _udp(net)
    trace = [a.sendto(b"", b.getsockname()), _readable(net, b)]
    data, src = b.recvfrom(100)
    trace += [data, src == a.getsockname(), errname(b.recv, 100, net.MSG_DONTWAIT)]
    _close(a, b)
    return trace


def scenario_data_zero_length_between(net):
    """A zero-length datagram keeps its place between two others."""
    a = _udp(net)
    b = _udp(net)
    for msg in (b"a", b"", b"c"):
        a.sendto(msg, b.getsockname())
    trace = [b.recv(10), b.recv(10), b.recv(10)]
    _close(a, b)
    return trace


def scenario_data_peek_then_read(net):
    """MSG_PEEK leaves the datagram queued; a peek with a short buffer truncates only the copy."""
    a = _udp(net)
    b = _udp(net)
    a.sendto(b"abcdef", b.getsockname())
    trace = [b.recv(3, net.MSG_PEEK), b.recv(100, net.MSG_PEEK), b.recv(100), _readable(net, b)]
    _close(a, b)
    return trace


def scenario_data_peek_recvfrom_address(net):
    """recvfrom with MSG_PEEK reports the source; the datagram stays."""
    a = _udp(net)
    b = _udp(net)
    a.sendto(b"peek", b.getsockname())
    data, src = b.recvfrom(100, net.MSG_PEEK)
    trace = [data, src == a.getsockname(), b.recv(100)]
    _close(a, b)
    return trace


def scenario_data_short_buffer_discards_rest(net):
    """recv with a short buffer returns the head; the rest of that datagram is gone."""
    a = _udp(net)
    b = _udp(net)
    a.sendto(b"abcdef", b.getsockname())
    a.sendto(b"next", b.getsockname())
    trace = [b.recv(3), b.recv(100)]
    _close(a, b)
    return trace


def scenario_data_msg_trunc_returns_real_length(net):
    """recv(..., MSG_TRUNC) returns the datagram's real length, copying only the buffer."""
    a = _udp(net)
    b = _udp(net)
    a.sendto(b"abcdefgh", b.getsockname())
    buf = bytearray(3)
    n = b.recv_into(buf, 3, MSG_TRUNC)
    trace = [n, bytes(buf), errname(b.recv, 10, net.MSG_DONTWAIT)]
    _close(a, b)
    return trace


def scenario_data_msg_trunc_peek(net):
    """MSG_TRUNC|MSG_PEEK gives the pending datagram's size without consuming it."""
    a = _udp(net)
    b = _udp(net)
    a.sendto(b"x" * 1234, b.getsockname())
    buf = bytearray(1)
    n = b.recv_into(buf, 1, MSG_TRUNC | net.MSG_PEEK)
    trace = [n, len(b.recv(2000))]
    _close(a, b)
    return trace


def scenario_data_recvfrom_into_trunc(net):
    """recvfrom_into with MSG_TRUNC: real length, and the address."""
    a = _udp(net)
    b = _udp(net)
    a.sendto(b"0123456789", b.getsockname())
    buf = bytearray(4)
    n, src = b.recvfrom_into(buf, 4, MSG_TRUNC)
    trace = [n, bytes(buf), src == a.getsockname()]
    _close(a, b)
    return trace


def scenario_data_recvmsg_trunc_flag(net):
    """recvmsg with a short buffer sets MSG_TRUNC in msg_flags."""
    a = _udp(net)
    b = _udp(net)
    a.sendto(b"abcdefgh", b.getsockname())
    a.sendto(b"ok", b.getsockname())
    data, anc, flags, src = b.recvmsg(4)
    trace = [data, anc, flags, src == a.getsockname()]
    data, anc, flags, src = b.recvmsg(4)
    trace += [data, flags]
    _close(a, b)
    return trace


def scenario_data_recvmsg_into_msg_trunc_length(net):
    """recvmsg_into with MSG_TRUNC returns the real length and flags MSG_TRUNC."""
    a = _udp(net)
    b = _udp(net)
    a.sendto(b"abcdefgh", b.getsockname())
    buf = bytearray(5)
    n, anc, flags, src = b.recvmsg_into([buf], 0, MSG_TRUNC)
    trace = [n, bytes(buf), flags]
    _close(a, b)
    return trace


def scenario_data_recvmsg_into_scatter(net):
    """recvmsg_into scatters one datagram over several buffers."""
    a = _udp(net)
    b = _udp(net)
    a.sendto(b"abcdefghij", b.getsockname())
    x, y, z = bytearray(3), bytearray(4), bytearray(10)
    n, anc, flags, src = b.recvmsg_into([x, y, z])
    trace = [n, bytes(x), bytes(y), bytes(z), flags]
    _close(a, b)
    return trace


def scenario_data_sendmsg_gathers(net):
    """sendmsg joins its buffers into one datagram."""
    a = _udp(net)
    b = _udp(net)
    trace = [a.sendmsg([b"ab", b"", b"cde"], [], 0, b.getsockname()), b.recv(100)]
    _close(a, b)
    return trace


def scenario_data_dontwait_empty(net):
    """MSG_DONTWAIT on an empty queue is EAGAIN (recv, recvfrom, recvmsg)."""
    s = _udp(net)
    trace = [
        errname(s.recv, 10, net.MSG_DONTWAIT),
        errname(s.recvfrom, 10, net.MSG_DONTWAIT),
        errname(s.recvmsg, 10, 0, net.MSG_DONTWAIT),
    ]
    s.close()
    return trace


def scenario_data_unbound_recv_dontwait(net):
    """recv on a never-bound UDP socket is simply EAGAIN (it stays unbound)."""
    s = net.socket(net.AF_INET, net.SOCK_DGRAM)
    trace = [errname(s.recv, 10, net.MSG_DONTWAIT), s.getsockname()]
    s.close()
    return trace


def scenario_data_nonblocking_socket(net):
    """A non-blocking UDP socket: recv EAGAIN, then the datagram once sent."""
    a = _udp(net)
    b = _udp(net)
    b.setblocking(False)
    trace = [errname(b.recv, 10)]
    a.sendto(b"now", b.getsockname())
    trace.append(b.recv(10))
    _close(a, b)
    return trace


def scenario_data_timeout_expires(net):
    """A UDP socket with a 0.05 s timeout raises TimeoutError on an empty queue."""
    s = _udp(net)
    s.settimeout(0.05)
    trace = [errname(s.recv, 10), s.gettimeout()]
    s.close()
    return trace


def scenario_data_msg_oob(net):
    """MSG_OOB on a UDP send is EOPNOTSUPP; on recv it is ignored (EAGAIN, then the datagram)."""
    a = _udp(net)
    b = _udp(net)
    trace = [errname(a.sendto, b"x", net.MSG_OOB, b.getsockname()), errname(b.recv, 10, net.MSG_DONTWAIT)]
    trace.append(errname(b.recv, 10, net.MSG_OOB | net.MSG_DONTWAIT))
    a.sendto(b"y", b.getsockname())
    trace.append(attempt(b.recv, 10, net.MSG_OOB | net.MSG_DONTWAIT))
    _close(a, b)
    return trace


def scenario_data_send_unconnected(net):
    """send() on an unconnected UDP socket is EDESTADDRREQ, yet it autobinds first (inet_send_prepare)."""
    s = net.socket(net.AF_INET, net.SOCK_DGRAM)
    trace = [errname(s.send, b"x"), s.getsockname()[0], _ephemeral(s.getsockname()[1])]
    t = _udp(net)
    trace.append(errname(t.send, b"x"))
    _close(s, t)
    return trace


def scenario_data_sendto_on_connected_other_address(net):
    """sendto() with an address on a connected UDP socket goes to that address."""
    a, b = _pair(net)
    c = _udp(net)
    trace = [a.sendto(b"to c", c.getsockname()), _drain(net, c), _drain(net, b)]
    _close(a, b, c)
    return trace


def scenario_data_connected_sendto_same_peer(net):
    """sendto() to the connected peer's own address is fine too."""
    a, b = _pair(net)
    trace = [a.sendto(b"explicit", b.getsockname()), b.recv(100)]
    _close(a, b)
    return trace


def scenario_data_send_to_dest_port_zero(net):
    """sendto a port 0 destination is EINVAL."""
    s = _udp(net)
    trace = [errname(s.sendto, b"x", (LO, 0)), errname(s.sendto, b"x", (ANY, 0))]
    s.close()
    return trace


def scenario_data_sendto_any_address(net):
    """sendto 0.0.0.0:p reaches the local socket on 127.0.0.1:p."""
    a = _udp(net)
    b = _udp(net)
    port = b.getsockname()[1]
    trace = [a.sendto(b"to zero", (ANY, port)), b.recv(100)]
    _close(a, b)
    return trace


def scenario_data_sendto_other_loopback(net):
    """sendto 127.0.0.2 from an unbound socket: the receiver sees source 127.0.0.1."""
    r = _udp(net, "127.0.0.2")
    s = net.socket(net.AF_INET, net.SOCK_DGRAM)
    s.sendto(b"hi", r.getsockname())
    data, src = r.recvfrom(10)
    trace = [data, src[0], src == (LO, s.getsockname()[1]), s.getsockname()[0]]
    _close(r, s)
    return trace


def scenario_data_any_bound_receives_all_loopback(net):
    """A socket bound to 0.0.0.0:p receives datagrams sent to any 127.x address at p."""
    r = _udp(net, ANY)
    port = r.getsockname()[1]
    s = _udp(net)
    for addr in (LO, "127.0.0.2", "127.9.8.7"):
        s.sendto(addr.encode(), (addr, port))
    trace = [_drain(net, r)]
    _close(r, s)
    return trace


def scenario_data_specific_bound_ignores_other_address(net):
    """A socket bound to 127.0.0.1:p does not get datagrams sent to 127.0.0.2:p."""
    r = _udp(net, LO)
    port = r.getsockname()[1]
    s = _udp(net)
    s.sendto(b"other", ("127.0.0.2", port))
    s.sendto(b"mine", (LO, port))
    trace = [_drain(net, r)]
    _close(r, s)
    return trace


def scenario_data_largest_datagram(net):
    """65507 bytes is the largest UDP payload over IPv4; it arrives whole."""
    a = _udp(net)
    b = _udp(net)
    payload = bytes(range(256)) * 255 + bytes(227)
    trace = [len(payload), a.sendto(payload, b.getsockname())]
    got = b.recv(70000)
    trace += [len(got), got == payload]
    _close(a, b)
    return trace


def scenario_data_emsgsize(net):
    """A payload above 65507 bytes is EMSGSIZE and nothing is sent."""
    a = _udp(net)
    b = _udp(net)
    trace = [errname(a.sendto, bytes(65508), b.getsockname()), errname(a.sendto, bytes(70000), b.getsockname())]
    trace.append(errname(b.recv, 10, net.MSG_DONTWAIT))
    _close(a, b)
    return trace


def scenario_data_raw_emsgsize(net):
    """A raw socket's payload limit is 65535 minus the 20-byte IP header: 65515 passes, 65516 is EMSGSIZE."""
    s = net.socket(net.AF_INET, net.SOCK_RAW, 253)
    trace = [
        attempt(s.sendto, bytes(65515), (LO, 0)),
        attempt(s.sendto, bytes(65516), (LO, 0)),
        errname(s.sendto, bytes(70000), (LO, 0)),
    ]
    s.close()
    return trace


def scenario_data_send_large_reads_fragments_whole(net):
    """A 20000-byte datagram (several IP fragments on a 1500 MTU link, one on lo) arrives whole."""
    a, b = _pair(net)
    payload = bytes(i % 251 for i in range(20000))
    a.send(payload)
    trace = [b.recv(30000) == payload]
    _close(a, b)
    return trace


def scenario_data_send_after_peer_closed_refused(net):
    """Sending to a closed peer port: the send succeeds, the next recv is ECONNREFUSED."""
    a, b = _pair(net)
    b.close()
    trace = [errname(a.send, b"x"), errname(a.recv, 10, net.MSG_DONTWAIT), errname(a.recv, 10, net.MSG_DONTWAIT)]
    a.close()
    return trace


def scenario_data_select_readable(net):
    """select: writable at once, readable only once a datagram is queued, not after it is read."""
    a = _udp(net)
    b = _udp(net)
    trace = [_readable(net, b), _writable(net, b)]
    a.sendto(b"x", b.getsockname())
    trace.append(_readable(net, b))
    b.recv(10)
    trace.append(_readable(net, b))
    _close(a, b)
    return trace


def scenario_data_select_unbound(net):
    """A fresh, unbound UDP socket is writable and not readable."""
    s = net.socket(net.AF_INET, net.SOCK_DGRAM)
    trace = [_readable(net, s), _writable(net, s)]
    s.close()
    return trace


def scenario_data_sendto_flags_confirm_dontwait(net):
    """MSG_CONFIRM and MSG_DONTWAIT are accepted by UDP sendto."""
    a = _udp(net)
    b = _udp(net)
    trace = [a.sendto(b"c", MSG_CONFIRM, b.getsockname()), a.sendto(b"d", net.MSG_DONTWAIT, b.getsockname())]
    trace.append(_drain(net, b))
    _close(a, b)
    return trace


def scenario_data_recv_waitall_udp(net):
    """MSG_WAITALL does not make a UDP recv wait for more than one datagram."""
    a = _udp(net)
    b = _udp(net)
    a.sendto(b"ab", b.getsockname())
    a.sendto(b"cd", b.getsockname())
    trace = [b.recv(100, net.MSG_WAITALL), b.recv(100)]
    _close(a, b)
    return trace


def scenario_data_shutdown_connected(net):
    """shutdown(SHUT_RD) on a connected UDP socket: recv returns b'' at once; SHUT_WR: send is EPIPE."""
    a, b = _pair(net)
    trace = [errname(a.shutdown, net.SHUT_RD), a.recv(10), _readable(net, a)]
    trace += [errname(b.shutdown, net.SHUT_WR), errname(b.send, b"x")]
    _close(a, b)
    return trace


def scenario_data_shutdown_unconnected_enotconn(net):
    """shutdown on an unconnected UDP socket is ENOTCONN; a bad how is EINVAL."""
    s = _udp(net)
    trace = [errname(s.shutdown, net.SHUT_RD), errname(s.shutdown, net.SHUT_WR), errname(s.shutdown, 7)]
    s.close()
    return trace


# ------------------------------------------------------------------- errors


def _refused_pair(net):
    """A UDP socket connected to a free port on 127.0.0.1 (and that port)."""
    port = _free_port(net)
    s = _udp(net)
    s.connect((LO, port))
    return s, port


def scenario_errors_refused_on_recv(net):
    """ICMP port unreachable on a connected socket: the next recv is ECONNREFUSED, once."""
    s, _ = _refused_pair(net)
    trace = [s.send(b"x"), _readable(net, s), errname(s.recv, 10, net.MSG_DONTWAIT)]
    trace += [errname(s.recv, 10, net.MSG_DONTWAIT), _readable(net, s)]
    s.close()
    return trace


def scenario_errors_refused_on_next_send(net):
    """The pending ECONNREFUSED is reported by the next send too (and cleared)."""
    s, _ = _refused_pair(net)
    s.send(b"x")
    trace = [errname(s.send, b"y"), errname(s.recv, 10, net.MSG_DONTWAIT)]
    s.close()
    return trace


def scenario_errors_refused_blocking_recv(net):
    """A blocking recv returns the pending error at once."""
    s, _ = _refused_pair(net)
    s.send(b"x")
    trace = [errname(s.recv, 10)]
    s.close()
    return trace


def scenario_errors_so_error_reads_and_clears(net):
    """SO_ERROR returns ECONNREFUSED once, then 0; recv is then EAGAIN."""
    s, _ = _refused_pair(net)
    s.send(b"x")
    first = _opt(s, net.SOL_SOCKET, net.SO_ERROR)
    trace = [_errno.errorcode.get(first, first), _opt(s, net.SOL_SOCKET, net.SO_ERROR)]
    trace.append(errname(s.recv, 10, net.MSG_DONTWAIT))
    s.close()
    return trace


def scenario_errors_unconnected_not_reported(net):
    """An unconnected socket (no IP_RECVERR) never sees the port unreachable."""
    port = _free_port(net)
    s = _udp(net)
    trace = [s.sendto(b"x", (LO, port)), errname(s.recv, 10, net.MSG_DONTWAIT)]
    trace += [_opt(s, net.SOL_SOCKET, net.SO_ERROR), _readable(net, s), s.sendto(b"y", (LO, port))]
    s.close()
    return trace


def scenario_errors_unconnected_recverr_sets_error(net):
    """With IP_RECVERR even an unconnected socket gets sk_err = ECONNREFUSED."""
    port = _free_port(net)
    s = _udp(net)
    s.setsockopt(SOL_IP, IP_RECVERR, 1)
    s.sendto(b"x", (LO, port))
    trace = [_readable(net, s), errname(s.recv, 10, net.MSG_DONTWAIT), errname(s.recv, 10, net.MSG_DONTWAIT)]
    s.close()
    return trace


def scenario_errors_connected_other_destination_not_reported(net):
    """A connected socket's sendto() to another, closed port: the ICMP finds no socket (4-tuple mismatch)."""
    a, b = _pair(net)
    port = _free_port(net)
    trace = [a.sendto(b"x", (LO, port)), _opt(a, net.SOL_SOCKET, net.SO_ERROR), errname(a.recv, 10, net.MSG_DONTWAIT)]
    _close(a, b)
    return trace


def scenario_errors_pending_error_before_sendto(net):
    """A pending error is returned by sendto() to a live address, which then sends nothing."""
    s, _ = _refused_pair(net)
    live = _udp(net)
    s.send(b"x")
    trace = [errname(s.sendto, b"first", live.getsockname()), s.sendto(b"second", live.getsockname())]
    trace.append(_drain(net, live))
    _close(s, live)
    return trace


def scenario_errors_recverr_errqueue_extended_err(net):
    """IP_RECVERR: recvmsg(MSG_ERRQUEUE) returns the payload, the original destination and a
    sock_extended_err (ECONNREFUSED, origin ICMP, type 3, code 3, offender 127.0.0.1)."""
    s, port = _refused_pair(net)
    s.setsockopt(SOL_IP, IP_RECVERR, 1)
    s.send(b"payload")
    data, anc, flags, addr = s.recvmsg(100, 1024, MSG_ERRQUEUE)
    trace = [data, _cmsg_types(anc), _exterr(net, anc), flags, addr == (LO, port)]
    trace.append(errname(s.recvmsg, 100, 1024, MSG_ERRQUEUE))
    s.close()
    return trace


def scenario_errors_recverr_errqueue_clears_so_error(net):
    """Reading the error queue clears sk_err: SO_ERROR is then 0 and recv is EAGAIN."""
    s, _ = _refused_pair(net)
    s.setsockopt(SOL_IP, IP_RECVERR, 1)
    s.send(b"x")
    s.recvmsg(100, 1024, MSG_ERRQUEUE)
    trace = [_opt(s, net.SOL_SOCKET, net.SO_ERROR), errname(s.recv, 10, net.MSG_DONTWAIT)]
    s.close()
    return trace


def scenario_errors_recverr_so_error_keeps_queue(net):
    """SO_ERROR clears sk_err but the error queue entry stays."""
    s, _ = _refused_pair(net)
    s.setsockopt(SOL_IP, IP_RECVERR, 1)
    s.send(b"abc")
    trace = [_opt(s, net.SOL_SOCKET, net.SO_ERROR) != 0, _opt(s, net.SOL_SOCKET, net.SO_ERROR)]
    data, anc, flags, addr = s.recvmsg(100, 1024, MSG_ERRQUEUE)
    trace += [data, _exterr(net, anc)[0]]
    s.close()
    return trace


def scenario_errors_recverr_two_errors_queued(net):
    """Two refused datagrams queue two errors, read in order."""
    s, _ = _refused_pair(net)
    s.setsockopt(SOL_IP, IP_RECVERR, 1)
    s.send(b"one")
    trace = [errname(s.send, b"two")]  # the first error is reported here
    s.send(b"three")
    for _ in range(4):
        outcome = attempt(s.recvmsg, 100, 1024, MSG_ERRQUEUE)
        trace.append(outcome[1][0] if outcome[0] == "ok" else outcome[1])
    s.close()
    return trace


def scenario_errors_errqueue_empty_eagain(net):
    """recvmsg(MSG_ERRQUEUE) on an empty queue is EAGAIN, even on a blocking socket."""
    s = _udp(net)
    trace = [errname(s.recvmsg, 100, 1024, MSG_ERRQUEUE), errname(s.recvmsg, 100, 1024, MSG_ERRQUEUE | net.MSG_DONTWAIT)]
    s.setsockopt(SOL_IP, IP_RECVERR, 1)
    trace.append(errname(s.recvmsg, 100, 1024, MSG_ERRQUEUE))
    s.close()
    return trace


def scenario_errors_errqueue_ignores_data(net):
    """MSG_ERRQUEUE does not return queued data datagrams."""
    a, b = _pair(net)
    b.send(b"data")
    trace = [errname(a.recvmsg, 100, 1024, MSG_ERRQUEUE), a.recv(10)]
    _close(a, b)
    return trace


def scenario_errors_recverr_errqueue_truncated(net):
    """A short data buffer on MSG_ERRQUEUE sets MSG_TRUNC; a short control buffer MSG_CTRUNC."""
    s, _ = _refused_pair(net)
    s.setsockopt(SOL_IP, IP_RECVERR, 1)
    s.send(b"0123456789")
    _opt(s, net.SOL_SOCKET, net.SO_ERROR)
    s.send(b"abcdefghij")
    data, anc, flags, addr = s.recvmsg(4, 1024, MSG_ERRQUEUE)
    trace = [data, flags & (MSG_TRUNC | MSG_CTRUNC | MSG_ERRQUEUE)]
    data, anc, flags, addr = s.recvmsg(100, 20, MSG_ERRQUEUE)
    trace += [data, flags & (MSG_TRUNC | MSG_CTRUNC | MSG_ERRQUEUE), len(anc)]
    s.close()
    return trace


def scenario_errors_recverr_off_purges_queue(net):
    """Turning IP_RECVERR off empties the error queue."""
    s, _ = _refused_pair(net)
    s.setsockopt(SOL_IP, IP_RECVERR, 1)
    s.send(b"x")
    _opt(s, net.SOL_SOCKET, net.SO_ERROR)
    s.setsockopt(SOL_IP, IP_RECVERR, 0)
    trace = [errname(s.recvmsg, 100, 1024, MSG_ERRQUEUE), _opt(s, SOL_IP, IP_RECVERR)]
    s.close()
    return trace


def scenario_errors_errqueue_makes_readable(net):
    """A queued error (sk_err) makes the socket readable in select."""
    s, _ = _refused_pair(net)
    s.setsockopt(SOL_IP, IP_RECVERR, 1)
    s.send(b"x")
    trace = [_readable(net, s)]
    _opt(s, net.SOL_SOCKET, net.SO_ERROR)
    trace.append(_readable(net, s))
    s.recvmsg(100, 1024, MSG_ERRQUEUE)
    trace.append(_readable(net, s))
    s.close()
    return trace


def scenario_errors_broadcast_needs_so_broadcast(net):
    """sendto a broadcast address without SO_BROADCAST is EACCES."""
    s = _udp(net)
    trace = [errname(s.sendto, b"x", (LO_BCAST, 9)), errname(s.sendto, b"x", ("255.255.255.255", 9))]
    trace.append(_opt(s, net.SOL_SOCKET, net.SO_BROADCAST))
    s.close()
    return trace


def scenario_errors_broadcast_loopback_delivery(net):
    """With SO_BROADCAST, 127.255.255.255:p reaches sockets bound to 0.0.0.0:p (not 127.0.0.1:p)."""
    anyr = net.socket(net.AF_INET, net.SOCK_DGRAM)
    anyr.setsockopt(net.SOL_SOCKET, net.SO_REUSEADDR, 1)
    anyr.bind((ANY, 0))
    port = anyr.getsockname()[1]
    lor = net.socket(net.AF_INET, net.SOCK_DGRAM)
    lor.setsockopt(net.SOL_SOCKET, net.SO_REUSEADDR, 1)
    lor.bind((LO, port))
    s = _udp(net)
    s.setsockopt(net.SOL_SOCKET, net.SO_BROADCAST, 1)
    trace = [s.sendto(b"all", (LO_BCAST, port)), _drain(net, anyr), _drain(net, lor)]
    _close(anyr, lor, s)
    return trace


def scenario_errors_broadcast_bound_receiver(net):
    """A socket bound to 127.255.255.255:p receives the lo broadcast; the source is 127.0.0.1."""
    r = _udp(net, LO_BCAST)
    port = r.getsockname()[1]
    s = _udp(net)
    s.setsockopt(net.SOL_SOCKET, net.SO_BROADCAST, 1)
    s.sendto(b"b", (LO_BCAST, port))
    data, src = r.recvfrom(10)
    trace = [data, src == s.getsockname()]
    _close(r, s)
    return trace


def scenario_errors_dontroute_loopback(net):
    """SO_DONTROUTE / MSG_DONTROUTE: 127.x destinations are on-link, datagrams still arrive."""
    a = _udp(net)
    b = _udp(net)
    a.setsockopt(net.SOL_SOCKET, net.SO_DONTROUTE, 1)
    trace = [_opt(a, net.SOL_SOCKET, net.SO_DONTROUTE), a.sendto(b"so", b.getsockname())]
    c = _udp(net)
    trace.append(c.sendto(b"msg", MSG_DONTROUTE, b.getsockname()))
    trace.append(_drain(net, b))
    _close(a, b, c)
    return trace


def scenario_errors_sendto_short_sockaddr(net):
    """sendto with a sockaddr shorter than sockaddr_in is EINVAL."""
    r = _udp(net)
    s = _udp(net)
    raw = _sockaddr_in(LO, r.getsockname()[1])
    trace = [_raw_addr_call(net, s, "sendto", raw[:15], b"x"), _raw_addr_call(net, s, "sendto", raw, b"ok")]
    trace.append(_drain(net, r))
    _close(r, s)
    return trace


def scenario_errors_sendto_af_unspec_is_inet(net):
    """udp_sendmsg treats an AF_UNSPEC destination as AF_INET; another family is EAFNOSUPPORT."""
    r = _udp(net)
    s = _udp(net)
    port = r.getsockname()[1]
    trace = [
        _raw_addr_call(net, s, "sendto", _unspec(port, LO), b"unspec"),
        _raw_addr_call(net, s, "sendto", _sockaddr_in(LO, port, family=net.AF_INET6), b"inet6"),
        _drain(net, r),
    ]
    _close(r, s)
    return trace


def scenario_errors_closed_socket_calls(net):
    """Calls on a closed socket object are EBADF."""
    s = _udp(net)
    s.close()
    return [errname(s.sendto, b"x", (LO, 9)), errname(s.recv, 1), errname(s.getsockname)]


# ------------------------------------------------------------------ options


def _setopt(s, level, name, value) -> str:
    return errname(s.setsockopt, level, name, value)


def scenario_opt_ip_ttl_default_and_range(net):
    """IP_TTL: 64 by default; 1..255 taken; -1 resets to the default; 0, 256, -2 are EINVAL."""
    s = net.socket(net.AF_INET, net.SOCK_DGRAM)
    trace = [_opt(s, SOL_IP, IP_TTL)]
    for value in (1, 255, 0, 256, -2, -1):
        trace.append((value, _setopt(s, SOL_IP, IP_TTL, value), _opt(s, SOL_IP, IP_TTL)))
    s.close()
    return trace


def scenario_opt_ip_ttl_char_optlen(net):
    """An int option given as a single byte is accepted (optlen 1); optlen 0 is EINVAL."""
    s = net.socket(net.AF_INET, net.SOCK_DGRAM)
    trace = [_setopt(s, SOL_IP, IP_TTL, b"\x05"), _opt(s, SOL_IP, IP_TTL)]
    trace += [_setopt(s, SOL_IP, IP_TTL, b""), _setopt(s, SOL_IP, IP_TTL, b"\x07\x00"), _opt(s, SOL_IP, IP_TTL)]
    s.close()
    return trace


def scenario_opt_getsockopt_small_buffer(net):
    """getsockopt of a small SOL_IP int with a 1-byte buffer returns one byte."""
    s = net.socket(net.AF_INET, net.SOCK_DGRAM)
    s.setsockopt(SOL_IP, IP_TTL, 200)
    trace = [s.getsockopt(SOL_IP, IP_TTL, 1), s.getsockopt(SOL_IP, IP_TTL, 2), s.getsockopt(SOL_IP, IP_TTL, 8)]
    trace.append(s.getsockopt(SOL_IP, IP_RECVERR, 1))
    s.close()
    return trace


def scenario_opt_ip_tos(net):
    """IP_TOS: 0 by default; UDP keeps all eight bits, including ECN; values above 255 are cut."""
    s = net.socket(net.AF_INET, net.SOCK_DGRAM)
    trace = [_opt(s, SOL_IP, IP_TOS)]
    for value in (0x10, 0xFF, 0x03, 0x1B8, -1):
        trace.append((value, _setopt(s, SOL_IP, IP_TOS, value), _opt(s, SOL_IP, IP_TOS)))
    s.close()
    return trace


def scenario_opt_ip_tos_sets_priority(net):
    """Setting IP_TOS also sets SO_PRIORITY from the TOS bits (rt_tos2priority)."""
    s = net.socket(net.AF_INET, net.SOCK_DGRAM)
    trace = [_opt(s, net.SOL_SOCKET, net.SO_PRIORITY)]
    for tos in (0x10, 0x08, 0x02, 0x00):
        s.setsockopt(SOL_IP, IP_TOS, tos)
        trace.append((tos, _opt(s, net.SOL_SOCKET, net.SO_PRIORITY)))
    s.close()
    return trace


def scenario_opt_ip_hdrincl_udp(net):
    """IP_HDRINCL on UDP: setsockopt is ENOPROTOOPT, getsockopt reads 0."""
    s = net.socket(net.AF_INET, net.SOCK_DGRAM)
    trace = [_setopt(s, SOL_IP, IP_HDRINCL, 1), attempt(s.getsockopt, SOL_IP, IP_HDRINCL)]
    s.close()
    return trace


def scenario_opt_ip_hdrincl_raw(net):
    """IP_HDRINCL is 0 on raw ICMP sockets (settable) and 1 on IPPROTO_RAW sockets."""
    a = net.socket(net.AF_INET, net.SOCK_RAW, IPPROTO_ICMP)
    b = net.socket(net.AF_INET, net.SOCK_RAW, IPPROTO_RAW)
    trace = [_opt(a, SOL_IP, IP_HDRINCL), _opt(b, SOL_IP, IP_HDRINCL)]
    trace += [_setopt(a, SOL_IP, IP_HDRINCL, 1), _opt(a, SOL_IP, IP_HDRINCL)]
    trace += [_setopt(b, SOL_IP, IP_HDRINCL, 0), _opt(b, SOL_IP, IP_HDRINCL)]
    _close(a, b)
    return trace


def scenario_opt_boolean_ip_flags(net):
    """The boolean SOL_IP options read 0 by default and 1 after any non-zero value."""
    names = (IP_RECVOPTS, IP_RETOPTS, IP_PKTINFO, IP_RECVTTL, IP_RECVTOS, IP_RECVERR, IP_FREEBIND,
             IP_RECVORIGDSTADDR, IP_CHECKSUM, IP_BIND_ADDRESS_NO_PORT, IP_RECVFRAGSIZE, IP_TRANSPARENT)
    s = net.socket(net.AF_INET, net.SOCK_DGRAM)
    trace = []
    for name in names:
        before = _opt(s, SOL_IP, name)
        outcome = _setopt(s, SOL_IP, name, 7)
        trace.append((name, before, outcome, _opt(s, SOL_IP, name)))
    s.close()
    return trace


def scenario_opt_ip_multicast_all_default(net):
    """IP_MULTICAST_ALL is 1 by default; IP_MULTICAST_LOOP 1; IP_MULTICAST_TTL 1."""
    s = net.socket(net.AF_INET, net.SOCK_DGRAM)
    trace = [_opt(s, SOL_IP, IP_MULTICAST_ALL), _opt(s, SOL_IP, IP_MULTICAST_LOOP), _opt(s, SOL_IP, IP_MULTICAST_TTL)]
    s.close()
    return trace


def scenario_opt_ip_multicast_ttl(net):
    """IP_MULTICAST_TTL: 0..255; -1 means the default 1; 256 is EINVAL."""
    s = net.socket(net.AF_INET, net.SOCK_DGRAM)
    trace = []
    for value in (0, 255, 256, -1, -2):
        trace.append((value, _setopt(s, SOL_IP, IP_MULTICAST_TTL, value), _opt(s, SOL_IP, IP_MULTICAST_TTL)))
    trace.append((_setopt(s, SOL_IP, IP_MULTICAST_TTL, b"\x09"), _opt(s, SOL_IP, IP_MULTICAST_TTL)))
    s.close()
    return trace


def scenario_opt_ip_multicast_loop(net):
    """IP_MULTICAST_LOOP: any non-zero value reads back 1."""
    s = net.socket(net.AF_INET, net.SOCK_DGRAM)
    trace = []
    for value in (0, 5, 1):
        trace.append((_setopt(s, SOL_IP, IP_MULTICAST_LOOP, value), _opt(s, SOL_IP, IP_MULTICAST_LOOP)))
    s.close()
    return trace


def scenario_opt_ip_multicast_if(net):
    """IP_MULTICAST_IF: 0.0.0.0 by default; a local address is taken, a non-local one is EADDRNOTAVAIL."""
    s = net.socket(net.AF_INET, net.SOCK_DGRAM)
    trace = [s.getsockopt(SOL_IP, IP_MULTICAST_IF, 4)]
    trace.append(_setopt(s, SOL_IP, IP_MULTICAST_IF, _ip(LO)))
    trace.append(s.getsockopt(SOL_IP, IP_MULTICAST_IF, 4))
    trace.append(_setopt(s, SOL_IP, IP_MULTICAST_IF, _ip(NONLOCAL)))
    trace.append(_setopt(s, SOL_IP, IP_MULTICAST_IF, _ip(ANY)))
    trace.append(s.getsockopt(SOL_IP, IP_MULTICAST_IF, 4))
    s.close()
    return trace


def scenario_opt_ip_multicast_if_mreqn(net):
    """IP_MULTICAST_IF with an ip_mreqn naming lo by index (reads back 0.0.0.0); an unknown index is EADDRNOTAVAIL."""
    s = net.socket(net.AF_INET, net.SOCK_DGRAM)
    trace = [_setopt(s, SOL_IP, IP_MULTICAST_IF, MREQN.pack(bytes(4), bytes(4), 1))]
    trace.append(s.getsockopt(SOL_IP, IP_MULTICAST_IF, 4))
    trace.append(_setopt(s, SOL_IP, IP_MULTICAST_IF, MREQN.pack(bytes(4), bytes(4), 9999)))
    trace.append(_setopt(s, SOL_IP, IP_MULTICAST_IF, b"\x7f\x00"))
    s.close()
    return trace


def scenario_opt_ip_add_membership_lo(net):
    """Joining a group on lo works although lo lacks IFF_MULTICAST; a second join is EADDRINUSE,
    a drop of a group no longer joined EADDRNOTAVAIL."""
    s = _udp(net, ANY)
    group = _ip("239.1.2.3")
    mreq = MREQ.pack(group, _ip(LO))
    trace = [_setopt(s, SOL_IP, IP_ADD_MEMBERSHIP, mreq), _setopt(s, SOL_IP, IP_ADD_MEMBERSHIP, mreq)]
    trace += [_setopt(s, SOL_IP, IP_DROP_MEMBERSHIP, mreq), _setopt(s, SOL_IP, IP_DROP_MEMBERSHIP, mreq)]
    s.close()
    return trace


def scenario_opt_ip_add_membership_errors(net):
    """IP_ADD_MEMBERSHIP: a unicast group is EINVAL, a short optval EINVAL, an unknown ifindex ENODEV."""
    s = _udp(net, ANY)
    trace = [
        _setopt(s, SOL_IP, IP_ADD_MEMBERSHIP, MREQ.pack(_ip(LO), _ip(LO))),
        _setopt(s, SOL_IP, IP_ADD_MEMBERSHIP, _ip("239.1.2.3")),
        _setopt(s, SOL_IP, IP_ADD_MEMBERSHIP, MREQN.pack(_ip("239.1.2.3"), bytes(4), 9999)),
        _setopt(s, SOL_IP, IP_ADD_MEMBERSHIP, MREQ.pack(_ip("239.1.2.3"), _ip(NONLOCAL))),
        _setopt(s, SOL_IP, IP_DROP_MEMBERSHIP, MREQ.pack(_ip("239.9.9.9"), _ip(LO))),
    ]
    s.close()
    return trace


def scenario_opt_ip_add_membership_mreqn_lo(net):
    """IP_ADD_MEMBERSHIP with an ip_mreqn for ifindex 1 (lo), then IP_DROP_MEMBERSHIP."""
    s = _udp(net, ANY)
    mreqn = MREQN.pack(_ip("239.4.5.6"), bytes(4), 1)
    trace = [_setopt(s, SOL_IP, IP_ADD_MEMBERSHIP, mreqn), _setopt(s, SOL_IP, IP_DROP_MEMBERSHIP, mreqn)]
    s.close()
    return trace


def scenario_opt_ip_mtu_discover(net):
    """IP_MTU_DISCOVER: WANT (1) by default for UDP; 0..5 taken, 6 and -1 EINVAL."""
    s = net.socket(net.AF_INET, net.SOCK_DGRAM)
    trace = [_opt(s, SOL_IP, IP_MTU_DISCOVER)]
    for value in (IP_PMTUDISC_DONT, IP_PMTUDISC_DO, IP_PMTUDISC_PROBE, IP_PMTUDISC_INTERFACE, IP_PMTUDISC_OMIT, 6, -1):
        trace.append((value, _setopt(s, SOL_IP, IP_MTU_DISCOVER, value), _opt(s, SOL_IP, IP_MTU_DISCOVER)))
    s.close()
    return trace


def scenario_opt_ip_mtu_needs_connection(net):
    """IP_MTU is ENOTCONN on an unconnected socket and lo's MTU (65536) once connected."""
    s = _udp(net)
    trace = [errname(s.getsockopt, SOL_IP, IP_MTU), _setopt(s, SOL_IP, IP_MTU, 1000)]
    s.connect((LO, 9))
    trace.append(_opt(s, SOL_IP, IP_MTU))
    s.close()
    return trace


def scenario_opt_ip_bind_address_no_port_udp(net):
    """IP_BIND_ADDRESS_NO_PORT: bind(127.0.0.1, 0) leaves the port 0 until the socket sends."""
    r = _udp(net)
    s = net.socket(net.AF_INET, net.SOCK_DGRAM)
    s.setsockopt(SOL_IP, IP_BIND_ADDRESS_NO_PORT, 1)
    s.bind((LO, 0))
    trace = [s.getsockname()]
    s.sendto(b"x", r.getsockname())
    addr, port = s.getsockname()
    trace += [addr, _ephemeral(port)]
    _close(r, s)
    return trace


def scenario_opt_ip_minttl(net):
    """IP_MINTTL: 0 by default; 0..255 taken; 256 and -1 EINVAL."""
    s = net.socket(net.AF_INET, net.SOCK_DGRAM)
    trace = [_opt(s, SOL_IP, IP_MINTTL)]
    for value in (1, 255, 256, -1, 0):
        trace.append((value, _setopt(s, SOL_IP, IP_MINTTL, value), _opt(s, SOL_IP, IP_MINTTL)))
    s.close()
    return trace


def scenario_opt_ip_minttl_udp_not_filtered(net):
    """IP_MINTTL is not enforced for UDP: a TTL-64 datagram reaches a receiver with IP_MINTTL 255."""
    a = _udp(net)
    b = _udp(net)
    b.setsockopt(SOL_IP, IP_MINTTL, 255)
    a.sendto(b"ttl 64", b.getsockname())
    a.setsockopt(SOL_IP, IP_TTL, 255)
    a.sendto(b"ttl 255", b.getsockname())
    trace = [_drain(net, b)]
    _close(a, b)
    return trace


def scenario_opt_ip_options_record_route(net):
    """IP_OPTIONS: a record-route option is stored padded to 4 bytes and read back; b'' clears it."""
    s = net.socket(net.AF_INET, net.SOCK_DGRAM)
    rr = bytes([7, 7, 4]) + bytes(4)  # RR with one slot: 7 bytes
    trace = [s.getsockopt(SOL_IP, IP_OPTIONS, 40), _setopt(s, SOL_IP, IP_OPTIONS, rr)]
    trace.append(s.getsockopt(SOL_IP, IP_OPTIONS, 40))
    trace += [_setopt(s, SOL_IP, IP_OPTIONS, b""), s.getsockopt(SOL_IP, IP_OPTIONS, 40)]
    s.close()
    return trace


def scenario_opt_ip_options_errors(net):
    """IP_OPTIONS: more than 40 bytes or a malformed option is EINVAL."""
    s = net.socket(net.AF_INET, net.SOCK_DGRAM)
    trace = [
        _setopt(s, SOL_IP, IP_OPTIONS, bytes([1]) * 41),
        _setopt(s, SOL_IP, IP_OPTIONS, bytes([7, 2, 4])),  # RR shorter than its header
        _setopt(s, SOL_IP, IP_OPTIONS, bytes([7, 50, 4, 0])),  # length past the end
        _setopt(s, SOL_IP, IP_OPTIONS, bytes([1, 1, 1, 0])),  # NOPs and EOL
        s.getsockopt(SOL_IP, IP_OPTIONS, 40),
    ]
    s.close()
    return trace


def scenario_opt_ip_options_small_buffer(net):
    """getsockopt(IP_OPTIONS) with a buffer smaller than the options copies what fits."""
    s = net.socket(net.AF_INET, net.SOCK_DGRAM)
    s.setsockopt(SOL_IP, IP_OPTIONS, bytes([7, 11, 4]) + bytes(8))
    trace = [s.getsockopt(SOL_IP, IP_OPTIONS, 4), len(s.getsockopt(SOL_IP, IP_OPTIONS, 40))]
    s.close()
    return trace


def scenario_opt_unknown_sol_ip(net):
    """Unknown SOL_IP option names are ENOPROTOOPT for set and get (names outside netfilter's ranges)."""
    s = net.socket(net.AF_INET, net.SOCK_DGRAM)
    trace = []
    for name in (31, 62, 1000, 5000):
        trace.append((name, _setopt(s, SOL_IP, name, 1), errname(s.getsockopt, SOL_IP, name)))
    s.close()
    return trace


def scenario_opt_unknown_level(net):
    """Another level on UDP: setsockopt is ENOPROTOOPT but getsockopt is EOPNOTSUPP (ip_getsockopt)."""
    s = net.socket(net.AF_INET, net.SOCK_DGRAM)
    trace = [_setopt(s, 6, 1, 1), errname(s.getsockopt, 6, 1), _setopt(s, SOL_RAW, ICMP_FILTER, 0)]
    trace.append(errname(s.getsockopt, 1234, 1))
    s.close()
    return trace


def scenario_opt_ip_tcp_only_options_on_udp(net):
    """IP_PKTOPTIONS is for TCP only: ENOPROTOOPT on UDP; IP_NODEFRAG is raw-only."""
    s = net.socket(net.AF_INET, net.SOCK_DGRAM)
    trace = [errname(s.getsockopt, SOL_IP, IP_PKTOPTIONS, 64), _setopt(s, SOL_IP, IP_NODEFRAG, 1)]
    s.close()
    return trace


def scenario_opt_ip_router_alert(net):
    """IP_ROUTER_ALERT is EINVAL on UDP sockets and accepted on a raw ICMP socket."""
    s = net.socket(net.AF_INET, net.SOCK_DGRAM)
    r = net.socket(net.AF_INET, net.SOCK_RAW, IPPROTO_ICMP)
    trace = [_setopt(s, SOL_IP, IP_ROUTER_ALERT, 1), _setopt(r, SOL_IP, IP_ROUTER_ALERT, 1)]
    trace.append(_opt(r, SOL_IP, IP_ROUTER_ALERT))
    _close(s, r)
    return trace


def scenario_opt_ip_protocol(net):
    """getsockopt(IP_PROTOCOL) reads inet_num: the protocol on a raw socket, but the local port on UDP."""
    s = net.socket(net.AF_INET, net.SOCK_DGRAM)
    r = net.socket(net.AF_INET, net.SOCK_RAW, 253)
    trace = [attempt(s.getsockopt, SOL_IP, IP_PROTOCOL), attempt(r.getsockopt, SOL_IP, IP_PROTOCOL)]
    s.bind((LO, 0))
    trace.append(_opt(s, SOL_IP, IP_PROTOCOL) == s.getsockname()[1])
    trace.append(_setopt(s, SOL_IP, IP_PROTOCOL, 6))
    _close(s, r)
    return trace


def scenario_opt_ip_local_port_range(net):
    """IP_LOCAL_PORT_RANGE narrows autobind: a bound port falls in the per-socket range."""
    s = net.socket(net.AF_INET, net.SOCK_DGRAM)
    trace = [_opt(s, SOL_IP, IP_LOCAL_PORT_RANGE)]
    rng = struct.pack("<HH", 40000, 40999)
    trace.append(_setopt(s, SOL_IP, IP_LOCAL_PORT_RANGE, rng))
    trace.append(s.getsockopt(SOL_IP, IP_LOCAL_PORT_RANGE, 4) == rng)
    s.bind((LO, 0))
    trace.append(40000 <= s.getsockname()[1] <= 40999)
    s.close()
    return trace


def scenario_opt_ip_recverr_rfc4884(net):
    """IP_RECVERR_RFC4884 takes 0 or 1; other values are EINVAL."""
    s = net.socket(net.AF_INET, net.SOCK_DGRAM)
    trace = [_opt(s, SOL_IP, IP_RECVERR_RFC4884)]
    for value in (1, 2, -1, 0):
        trace.append((value, _setopt(s, SOL_IP, IP_RECVERR_RFC4884, value), _opt(s, SOL_IP, IP_RECVERR_RFC4884)))
    s.close()
    return trace


def scenario_opt_udp_cork(net):
    """SOL_UDP UDP_CORK: 0 by default, 1 once set; unknown SOL_UDP options ENOPROTOOPT."""
    s = net.socket(net.AF_INET, net.SOCK_DGRAM)
    trace = [_opt(s, SOL_UDP, UDP_CORK), _setopt(s, SOL_UDP, UDP_CORK, 9), _opt(s, SOL_UDP, UDP_CORK)]
    trace += [_setopt(s, SOL_UDP, 77, 1), errname(s.getsockopt, SOL_UDP, 77)]
    trace.append(_setopt(s, SOL_UDP, UDP_CORK, b"\x01"))
    s.close()
    return trace


def scenario_opt_udp_segment_gro_defaults(net):
    """UDP_SEGMENT and UDP_GRO read 0 on a fresh socket."""
    s = net.socket(net.AF_INET, net.SOCK_DGRAM)
    trace = [_opt(s, SOL_UDP, UDP_SEGMENT), _opt(s, SOL_UDP, UDP_GRO)]
    s.close()
    return trace


def scenario_opt_so_rcvbuf_doubling(net):
    """SO_RCVBUF: 212992 by default; a set value is doubled; tiny values hit the minimum."""
    s = net.socket(net.AF_INET, net.SOCK_DGRAM)
    trace = [_opt(s, net.SOL_SOCKET, net.SO_RCVBUF)]
    for value in (4096, 100000, 1, 0):
        s.setsockopt(net.SOL_SOCKET, net.SO_RCVBUF, value)
        trace.append((value, _opt(s, net.SOL_SOCKET, net.SO_RCVBUF)))
    s.close()
    return trace


def scenario_opt_so_sndbuf_doubling(net):
    """SO_SNDBUF: 212992 by default; doubled; tiny values hit the minimum.

    (A negative value is capped by net.core.wmem_max, which machines set
    differently: this one has 4 MiB, a default kernel 212992; not traced.)"""
    s = net.socket(net.AF_INET, net.SOCK_DGRAM)
    trace = [_opt(s, net.SOL_SOCKET, net.SO_SNDBUF)]
    for value in (4096, 1, 100000):
        s.setsockopt(net.SOL_SOCKET, net.SO_SNDBUF, value)
        trace.append((value, _opt(s, net.SOL_SOCKET, net.SO_SNDBUF)))
    s.close()
    return trace


def scenario_opt_so_flags_udp(net):
    """SO_BROADCAST, SO_REUSEADDR, SO_REUSEPORT, SO_DONTROUTE, SO_KEEPALIVE on UDP read 0, then 1."""
    s = net.socket(net.AF_INET, net.SOCK_DGRAM)
    trace = []
    for name in (net.SO_BROADCAST, net.SO_REUSEADDR, net.SO_REUSEPORT, net.SO_DONTROUTE, net.SO_KEEPALIVE, SO_NO_CHECK):
        before = _opt(s, net.SOL_SOCKET, name)
        s.setsockopt(net.SOL_SOCKET, name, 3)
        trace.append((name, before, _opt(s, net.SOL_SOCKET, name)))
    s.close()
    return trace


def scenario_opt_so_error_type_acceptconn_udp(net):
    """SO_ERROR 0, SO_TYPE 2, SO_ACCEPTCONN 0 on UDP; SO_TYPE cannot be set."""
    s = _udp(net)
    trace = [
        _opt(s, net.SOL_SOCKET, net.SO_ERROR),
        _opt(s, net.SOL_SOCKET, net.SO_TYPE),
        _opt(s, net.SOL_SOCKET, net.SO_ACCEPTCONN),
        _setopt(s, net.SOL_SOCKET, net.SO_TYPE, 1),
    ]
    s.close()
    return trace


def scenario_opt_so_priority_udp(net):
    """SO_PRIORITY on UDP: 0 by default; root may set any value; IP_TOS is unaffected."""
    s = net.socket(net.AF_INET, net.SOCK_DGRAM)
    trace = [_opt(s, net.SOL_SOCKET, net.SO_PRIORITY), _setopt(s, net.SOL_SOCKET, net.SO_PRIORITY, 7)]
    trace += [_opt(s, net.SOL_SOCKET, net.SO_PRIORITY), _opt(s, SOL_IP, IP_TOS)]
    s.close()
    return trace


def scenario_opt_so_rxq_ovfl_flag(net):
    """SO_RXQ_OVFL reads 0, then 1 once set."""
    s = net.socket(net.AF_INET, net.SOCK_DGRAM)
    trace = [_opt(s, net.SOL_SOCKET, SO_RXQ_OVFL), _setopt(s, net.SOL_SOCKET, SO_RXQ_OVFL, 1)]
    trace.append(_opt(s, net.SOL_SOCKET, SO_RXQ_OVFL))
    s.close()
    return trace


def scenario_opt_short_optlen_sol_socket(net):
    """SOL_SOCKET int options need 4 bytes: shorter is EINVAL."""
    s = net.socket(net.AF_INET, net.SOCK_DGRAM)
    trace = [_setopt(s, net.SOL_SOCKET, net.SO_RCVBUF, b"\x00\x10"), _setopt(s, net.SOL_SOCKET, net.SO_BROADCAST, b"\x01")]
    trace.append(_opt(s, net.SOL_SOCKET, net.SO_BROADCAST))
    s.close()
    return trace


def scenario_opt_ip_options_on_raw(net):
    """IP_OPTIONS works on raw sockets too."""
    s = net.socket(net.AF_INET, net.SOCK_RAW, IPPROTO_ICMP)
    trace = [_setopt(s, SOL_IP, IP_OPTIONS, bytes([7, 7, 4]) + bytes(4)), s.getsockopt(SOL_IP, IP_OPTIONS, 40)]
    s.close()
    return trace


def scenario_opt_raw_ttl_tos_defaults(net):
    """A raw socket has the same IP_TTL (64) / IP_TOS (0) / IP_MTU_DISCOVER (WANT) defaults."""
    s = net.socket(net.AF_INET, net.SOCK_RAW, IPPROTO_ICMP)
    trace = [_opt(s, SOL_IP, IP_TTL), _opt(s, SOL_IP, IP_TOS), _opt(s, SOL_IP, IP_MTU_DISCOVER)]
    trace += [errname(s.getsockopt, SOL_IP, IP_MTU), _opt(s, net.SOL_SOCKET, net.SO_RCVBUF)]
    s.close()
    return trace


# ---------------------------------------------------------- control messages


def _receiver(net, *opts, addr=LO):
    r = _udp(net, addr)
    for name in opts:
        r.setsockopt(SOL_IP, name, 1)
    return r


def scenario_cmsg_pktinfo_received(net):
    """IP_PKTINFO: ipi_ifindex 1 (lo), ipi_spec_dst and ipi_addr 127.0.0.1."""
    r = _receiver(net, IP_PKTINFO)
    s = _udp(net)
    s.sendto(b"x", r.getsockname())
    data, anc, flags, src = r.recvmsg(10, 256)
    trace = [data, _cmsg_types(anc), _pktinfo(anc), flags]
    _close(r, s)
    return trace


def scenario_cmsg_pktinfo_destination_address(net):
    """IP_PKTINFO on a 0.0.0.0 receiver tells which 127.x address a datagram was sent to."""
    r = _udp(net, ANY)
    r.setsockopt(SOL_IP, IP_PKTINFO, 1)
    port = r.getsockname()[1]
    s = _udp(net)
    trace = []
    for addr in ("127.0.0.2", "127.3.2.1"):
        s.sendto(b"x", (addr, port))
        data, anc, flags, src = r.recvmsg(10, 256)
        trace.append(_pktinfo(anc))
    _close(r, s)
    return trace


def scenario_cmsg_pktinfo_broadcast(net):
    """IP_PKTINFO of a lo broadcast: ipi_addr 127.255.255.255, ipi_spec_dst the local address."""
    r = _udp(net, ANY)
    r.setsockopt(SOL_IP, IP_PKTINFO, 1)
    s = _udp(net)
    s.setsockopt(net.SOL_SOCKET, net.SO_BROADCAST, 1)
    s.sendto(b"b", (LO_BCAST, r.getsockname()[1]))
    data, anc, flags, src = r.recvmsg(10, 256)
    trace = [data, _pktinfo(anc)]
    _close(r, s)
    return trace


def scenario_cmsg_pktinfo_off_again(net):
    """Turning IP_PKTINFO off stops the control message."""
    r = _receiver(net, IP_PKTINFO)
    r.setsockopt(SOL_IP, IP_PKTINFO, 0)
    s = _udp(net)
    s.sendto(b"x", r.getsockname())
    data, anc, flags, src = r.recvmsg(10, 256)
    trace = [data, anc, flags]
    _close(r, s)
    return trace


def scenario_cmsg_recvttl(net):
    """IP_RECVTTL gives an int IP_TTL cmsg: 64 by default, the sender's IP_TTL otherwise."""
    r = _receiver(net, IP_RECVTTL)
    s = _udp(net)
    s.sendto(b"a", r.getsockname())
    s.setsockopt(SOL_IP, IP_TTL, 9)
    s.sendto(b"b", r.getsockname())
    trace = []
    for _ in range(2):
        data, anc, flags, src = r.recvmsg(10, 256)
        trace.append((data, _cmsg_types(anc), _cmsg_int(anc, SOL_IP, IP_TTL)))
    _close(r, s)
    return trace


def scenario_cmsg_recvtos(net):
    """IP_RECVTOS gives a one-byte IP_TOS cmsg with the sender's TOS."""
    r = _receiver(net, IP_RECVTOS)
    s = _udp(net)
    s.sendto(b"a", r.getsockname())
    s.setsockopt(SOL_IP, IP_TOS, 0x28)
    s.sendto(b"b", r.getsockname())
    trace = []
    for _ in range(2):
        data, anc, flags, src = r.recvmsg(10, 256)
        trace.append((data, _cmsgs(anc)))
    _close(r, s)
    return trace


def scenario_cmsg_order_of_ip_messages(net):
    """Several SOL_IP receive options: the cmsgs come in Linux's fixed order."""
    r = _receiver(net, IP_RECVTOS, IP_RECVTTL, IP_PKTINFO, IP_RECVORIGDSTADDR)
    s = _udp(net)
    s.sendto(b"x", r.getsockname())
    data, anc, flags, src = r.recvmsg(10, 512)
    trace = [_cmsg_types(anc), flags]
    _close(r, s)
    return trace


def scenario_cmsg_origdstaddr(net):
    """IP_RECVORIGDSTADDR: an IP_ORIGDSTADDR cmsg holding the sockaddr_in the datagram was sent to."""
    r = _receiver(net, IP_RECVORIGDSTADDR, addr=ANY)
    port = r.getsockname()[1]
    s = _udp(net)
    s.sendto(b"x", ("127.0.0.9", port))
    data, anc, flags, src = r.recvmsg(10, 256)
    level, kind, raw = anc[0]
    family, dport = struct.unpack_from("<H", raw)[0], struct.unpack_from(">H", raw, 2)[0]
    trace = [level, kind, len(raw), family, dport == port, _dotted(raw[4:8]), raw[8:]]
    _close(r, s)
    return trace


def scenario_cmsg_ctrunc_small_buffer(net):
    """A control buffer with room for one cmsg only: the rest is dropped and MSG_CTRUNC set."""
    r = _receiver(net, IP_PKTINFO, IP_RECVTTL)
    s = _udp(net)
    s.sendto(b"x", r.getsockname())
    s.sendto(b"y", r.getsockname())
    data, anc, flags, src = r.recvmsg(10, net.CMSG_SPACE(PKTINFO.size))
    trace = [data, _cmsg_types(anc), flags & MSG_CTRUNC]
    data, anc, flags, src = r.recvmsg(10, 0)
    trace += [data, anc, flags & MSG_CTRUNC]
    _close(r, s)
    return trace


def scenario_cmsg_peek_carries_cmsgs(net):
    """MSG_PEEK returns the control messages too, and again on the real read."""
    r = _receiver(net, IP_RECVTTL)
    s = _udp(net)
    s.sendto(b"x", r.getsockname())
    first = r.recvmsg(10, 256, net.MSG_PEEK)
    second = r.recvmsg(10, 256)
    trace = [first[0], _cmsg_int(first[1], SOL_IP, IP_TTL), second[0], _cmsg_int(second[1], SOL_IP, IP_TTL)]
    _close(r, s)
    return trace


def scenario_cmsg_send_ttl(net):
    """sendmsg with an IP_TTL cmsg sets that datagram's TTL only."""
    r = _receiver(net, IP_RECVTTL)
    s = _udp(net)
    trace = [s.sendmsg([b"a"], [(SOL_IP, IP_TTL, INT.pack(17))], 0, r.getsockname())]
    s.sendto(b"b", r.getsockname())
    for _ in range(2):
        data, anc, flags, src = r.recvmsg(10, 256)
        trace.append((data, _cmsg_int(anc, SOL_IP, IP_TTL)))
    _close(r, s)
    return trace


def scenario_cmsg_send_ttl_invalid(net):
    """An IP_TTL cmsg of 0 or 256, or of the wrong size, is EINVAL."""
    r = _udp(net)
    s = _udp(net)
    dst = r.getsockname()
    trace = [
        errname(s.sendmsg, [b"x"], [(SOL_IP, IP_TTL, INT.pack(0))], 0, dst),
        errname(s.sendmsg, [b"x"], [(SOL_IP, IP_TTL, INT.pack(256))], 0, dst),
        errname(s.sendmsg, [b"x"], [(SOL_IP, IP_TTL, b"\x05")], 0, dst),
        errname(s.sendmsg, [b"x"], [(SOL_IP, IP_TTL, bytes(8))], 0, dst),
        _drain(net, r),
    ]
    _close(r, s)
    return trace


def scenario_cmsg_send_tos(net):
    """An IP_TOS cmsg (int or one byte) sets the datagram's TOS; other sizes are EINVAL."""
    r = _receiver(net, IP_RECVTOS)
    s = _udp(net)
    dst = r.getsockname()
    trace = [
        errname(s.sendmsg, [b"a"], [(SOL_IP, IP_TOS, INT.pack(0x20))], 0, dst),
        errname(s.sendmsg, [b"b"], [(SOL_IP, IP_TOS, b"\x48")], 0, dst),
        errname(s.sendmsg, [b"c"], [(SOL_IP, IP_TOS, b"\x48\x00")], 0, dst),
        errname(s.sendmsg, [b"d"], [(SOL_IP, IP_TOS, INT.pack(0x1FF))], 0, dst),
    ]
    while True:
        outcome = attempt(r.recvmsg, 10, 256, net.MSG_DONTWAIT)
        if outcome[0] != "ok":
            break
        trace.append((outcome[1][0], _cmsgs(outcome[1][1])))
    _close(r, s)
    return trace


def scenario_cmsg_send_pktinfo_source(net):
    """An IP_PKTINFO cmsg's ipi_spec_dst chooses the source address of an unbound sender's datagram."""
    r = _udp(net)
    s = net.socket(net.AF_INET, net.SOCK_DGRAM)
    info = PKTINFO.pack(0, _ip("127.0.0.5"), bytes(4))
    trace = [s.sendmsg([b"x"], [(SOL_IP, IP_PKTINFO, info)], 0, r.getsockname())]
    data, src = r.recvfrom(10)
    trace += [data, src[0], src[1] == s.getsockname()[1], s.getsockname()[0]]
    _close(r, s)
    return trace


def scenario_cmsg_send_pktinfo_ifindex(net):
    """An IP_PKTINFO cmsg naming ifindex 1 (lo) sends; an unknown ifindex is ENODEV."""
    r = _udp(net)
    s = _udp(net)
    ok = PKTINFO.pack(1, bytes(4), bytes(4))
    bad = PKTINFO.pack(9999, bytes(4), bytes(4))
    trace = [
        errname(s.sendmsg, [b"lo"], [(SOL_IP, IP_PKTINFO, ok)], 0, r.getsockname()),
        errname(s.sendmsg, [b"bad"], [(SOL_IP, IP_PKTINFO, bad)], 0, r.getsockname()),
        _drain(net, r),
    ]
    _close(r, s)
    return trace


def scenario_cmsg_send_pktinfo_bad_length(net):
    """An IP_PKTINFO cmsg of the wrong size is EINVAL."""
    r = _udp(net)
    s = _udp(net)
    trace = [
        errname(s.sendmsg, [b"x"], [(SOL_IP, IP_PKTINFO, bytes(8))], 0, r.getsockname()),
        errname(s.sendmsg, [b"x"], [(SOL_IP, IP_PKTINFO, bytes(16))], 0, r.getsockname()),
        _drain(net, r),
    ]
    _close(r, s)
    return trace


def scenario_cmsg_unknown_types(net):
    """An unknown SOL_IP, SOL_SOCKET or SOL_UDP cmsg type is EINVAL; a cmsg of another level is ignored."""
    r = _udp(net)
    s = _udp(net)
    dst = r.getsockname()
    trace = [
        errname(s.sendmsg, [b"a"], [(SOL_IP, 99, INT.pack(1))], 0, dst),
        errname(s.sendmsg, [b"b"], [(net.SOL_SOCKET, 99, INT.pack(1))], 0, dst),
        errname(s.sendmsg, [b"c"], [(SOL_UDP, 99, INT.pack(1))], 0, dst),
        errname(s.sendmsg, [b"d"], [(6, 1, INT.pack(1))], 0, dst),
        _drain(net, r),
    ]
    _close(r, s)
    return trace


def scenario_cmsg_sol_socket_rights_on_udp(net):
    """SCM_RIGHTS on a UDP sendmsg is silently ignored (__sock_cmsg_send skips the SOL_UNIX types)."""
    r = _udp(net)
    s = _udp(net)
    trace = [errname(s.sendmsg, [b"x"], [(net.SOL_SOCKET, net.SCM_RIGHTS, INT.pack(0))], 0, r.getsockname())]
    trace.append(_drain(net, r))
    _close(r, s)
    return trace


def scenario_cmsg_recvopts_record_route(net):
    """A sender's record-route IP_OPTIONS arrive: IP_RECVOPTS shows them as received (127.0.0.1 recorded)."""
    r = _receiver(net, IP_RECVOPTS)
    s = _udp(net)
    s.setsockopt(SOL_IP, IP_OPTIONS, bytes([7, 11, 4]) + bytes(8) + bytes([0]))
    s.sendto(b"rr", r.getsockname())
    data, anc, flags, src = r.recvmsg(10, 256)
    trace = [data, _cmsgs(anc), flags]
    _close(r, s)
    return trace


def scenario_cmsg_retopts_record_route(net):
    """IP_RETOPTS gives the options to send a reply with (ip_options_echo of the received ones)."""
    r = _receiver(net, IP_RETOPTS)
    s = _udp(net)
    s.setsockopt(SOL_IP, IP_OPTIONS, bytes([7, 11, 4]) + bytes(8) + bytes([0]))
    s.sendto(b"rr", r.getsockname())
    data, anc, flags, src = r.recvmsg(10, 256)
    trace = [data, _cmsgs(anc), flags]
    _close(r, s)
    return trace


def scenario_cmsg_recvopts_none_without_options(net):
    """IP_RECVOPTS / IP_RETOPTS give no cmsg for a datagram without IP options."""
    r = _receiver(net, IP_RECVOPTS, IP_RETOPTS)
    s = _udp(net)
    s.sendto(b"plain", r.getsockname())
    data, anc, flags, src = r.recvmsg(10, 256)
    trace = [data, anc, flags]
    _close(r, s)
    return trace


def scenario_cmsg_send_retopts_cmsg(net):
    """An IP_RETOPTS cmsg on sendmsg puts IP options on that datagram only."""
    r = _receiver(net, IP_RECVOPTS)
    s = _udp(net)
    rr = bytes([7, 7, 4]) + bytes(4)
    trace = [s.sendmsg([b"with"], [(SOL_IP, IP_RETOPTS, rr)], 0, r.getsockname())]
    s.sendto(b"without", r.getsockname())
    for _ in range(2):
        data, anc, flags, src = r.recvmsg(10, 256)
        trace.append((data, _cmsgs(anc)))
    _close(r, s)
    return trace


def scenario_cmsg_options_shrink_mss(net):
    """IP options take header room: with a 12-byte option the largest UDP payload is 65495."""
    r = _udp(net)
    s = _udp(net)
    s.setsockopt(SOL_IP, IP_OPTIONS, bytes([7, 11, 4]) + bytes(8) + bytes([0]))
    trace = [errname(s.sendto, bytes(65496), r.getsockname()), errname(s.sendto, bytes(65495), r.getsockname())]
    trace.append([len(d) for d in _drain(net, r)])
    _close(r, s)
    return trace


# ------------------------------------------------------------ buffers/drops


def _flood(net, s, dst, count, size) -> list:
    """Send count datagrams of size bytes; the sendto results."""
    return [errname(s.sendto, bytes(size), dst) for _ in range(count)]


def scenario_buffers_small_rcvbuf_drops(net):
    """SO_RCVBUF 4096 (8192 effective): of 20 datagrams of 1000 bytes only a few fit (truesize accounting)."""
    r = _udp(net)
    r.setsockopt(net.SOL_SOCKET, net.SO_RCVBUF, 4096)
    s = _udp(net)
    sent = _flood(net, s, r.getsockname(), 20, 1000)
    got = _drain(net, r)
    trace = [sorted(set(sent)), len(got), sorted({len(d) for d in got})]
    _close(r, s)
    return trace


def scenario_buffers_small_rcvbuf_zero_length(net):
    """Zero-length datagrams still cost their truesize: the minimum SO_RCVBUF holds only a few."""
    r = _udp(net)
    r.setsockopt(net.SOL_SOCKET, net.SO_RCVBUF, 1)
    s = _udp(net)
    _flood(net, s, r.getsockname(), 50, 0)
    trace = [_opt(r, net.SOL_SOCKET, net.SO_RCVBUF), len(_drain(net, r))]
    _close(r, s)
    return trace


def scenario_buffers_one_datagram_always_fits(net):
    """An empty queue takes one datagram even larger than SO_RCVBUF; the next is dropped."""
    r = _udp(net)
    r.setsockopt(net.SOL_SOCKET, net.SO_RCVBUF, 1)
    s = _udp(net)
    _flood(net, s, r.getsockname(), 2, 60000)
    got = _drain(net, r)
    trace = [[len(d) for d in got]]
    _flood(net, s, r.getsockname(), 1, 60000)
    trace.append([len(d) for d in _drain(net, r)])
    _close(r, s)
    return trace


def scenario_buffers_default_rcvbuf_count(net):
    """The default 212992-byte receive buffer: how many 1000-byte datagrams of 300 are queued."""
    r = _udp(net)
    s = _udp(net)
    _flood(net, s, r.getsockname(), 300, 1000)
    trace = [len(_drain(net, r))]
    _close(r, s)
    return trace


def scenario_buffers_rxq_ovfl_cmsg(net):
    """SO_RXQ_OVFL: a datagram queued after drops carries a uint32 SO_RXQ_OVFL cmsg with the drop count."""
    r = _udp(net)
    r.setsockopt(net.SOL_SOCKET, net.SO_RCVBUF, 4096)
    r.setsockopt(net.SOL_SOCKET, SO_RXQ_OVFL, 1)
    s = _udp(net)
    _flood(net, s, r.getsockname(), 20, 1000)
    queued = []
    while True:
        outcome = attempt(r.recvmsg, 2000, 256, net.MSG_DONTWAIT)
        if outcome[0] != "ok":
            break
        queued.append(_cmsgs(outcome[1][1]))
    s.sendto(b"after", r.getsockname())
    data, anc, flags, src = r.recvmsg(100, 256)
    trace = [queued, data, _cmsg_types(anc)]
    drops = struct.unpack("I", anc[0][2])[0] if anc else None
    trace.append(drops == 20 - len(queued))
    _close(r, s)
    return trace


def scenario_buffers_rxq_ovfl_off_no_cmsg(net):
    """Without SO_RXQ_OVFL the drop count is not reported."""
    r = _udp(net)
    r.setsockopt(net.SOL_SOCKET, net.SO_RCVBUF, 4096)
    s = _udp(net)
    _flood(net, s, r.getsockname(), 20, 1000)
    _drain(net, r)
    s.sendto(b"after", r.getsockname())
    data, anc, flags, src = r.recvmsg(100, 256)
    trace = [data, anc]
    _close(r, s)
    return trace


def scenario_buffers_sndbuf_small_still_sends(net):
    """A minimum SO_SNDBUF does not stop loopback sends: the skb is orphaned on transmit."""
    r = _udp(net)
    s = _udp(net)
    s.setsockopt(net.SOL_SOCKET, net.SO_SNDBUF, 1)
    sent = [errname(s.sendto, bytes(30000), net.MSG_DONTWAIT, r.getsockname()) for _ in range(3)]
    trace = [_opt(s, net.SOL_SOCKET, net.SO_SNDBUF), sent, [len(d) for d in _drain(net, r)]]
    _close(r, s)
    return trace


def scenario_buffers_rcvbuf_shrink_keeps_queue(net):
    """Lowering SO_RCVBUF below what is queued drops nothing already queued."""
    r = _udp(net)
    s = _udp(net)
    _flood(net, s, r.getsockname(), 10, 1000)
    r.setsockopt(net.SOL_SOCKET, net.SO_RCVBUF, 1)
    s.sendto(b"late", r.getsockname())
    got = _drain(net, r)
    trace = [len(got), b"late" in got]
    _close(r, s)
    return trace


# ------------------------------------------------------------- raw sockets
#
# Raw sockets see every matching packet of the host, other tests' included:
# each scenario marks its packets with a random token and skips the others.


def _token() -> bytes:
    return b"sl-" + uuid.uuid4().hex.encode()


def _raw(net, proto, bind=None):
    s = net.socket(net.AF_INET, net.SOCK_RAW, proto)
    if bind is not None:
        s.bind((bind, 0))
    return s


def _recv_token(net, s, token, bufsize=4096, ancbufsize=0, skip=None):
    """The first queued packet holding token (and not matching skip): (data, anc, flags, addr) or None."""
    for _ in range(256):
        outcome = attempt(s.recvmsg, bufsize, ancbufsize, net.MSG_DONTWAIT)
        if outcome[0] != "ok":
            return None
        if token in outcome[1][0] and (skip is None or not skip(outcome[1][0])):
            return outcome[1]
    return None


def _icmp_type(packet: bytes) -> int:
    return packet[(packet[0] & 15) * 4]


def _all_token(net, s, token, bufsize=4096) -> list:
    """Every queued packet holding token, in order."""
    found = []
    while True:
        got = _recv_token(net, s, token, bufsize)
        if got is None:
            return found
        found.append(got[0])


def scenario_raw_icmp_sees_echo_and_reply(net):
    """A raw ICMP socket receives an echo request sent to 127.0.0.1 and the kernel's echo reply, IP header first."""
    token = _token()
    r = _raw(net, IPPROTO_ICMP)
    s = _raw(net, IPPROTO_ICMP)
    trace = [s.sendto(_icmp_echo(0x1234, 7, token), (LO, 0))]
    for packet in _all_token(net, r, token):
        ihl = (packet[0] & 15) * 4
        ident, seq = struct.unpack_from("!HH", packet, ihl + 4)
        trace.append((_ip_fields(packet), _icmp_fields(packet)[:3], ident, seq, _icmp_fields(packet)[3] == token))
    _close(r, s)
    return trace


def scenario_raw_ping_roundtrip(net):
    """Ping over raw: the sender's own raw ICMP socket reads back its request and then the reply."""
    token = _token()
    s = _raw(net, IPPROTO_ICMP)
    s.sendto(_icmp_echo(0x4321, 1, token), ("127.0.0.2", 0))
    got = _all_token(net, s, token)
    trace = [[(_icmp_type(p), _ip_fields(p)[7:]) for p in got]]
    _close(s)
    return trace


def scenario_raw_recvfrom_address(net):
    """recvfrom on a raw socket gives the packet's source address with port 0."""
    token = _token()
    r = _raw(net, IPPROTO_ICMP)
    s = _raw(net, IPPROTO_ICMP, bind="127.0.0.3")
    s.sendto(_icmp_echo(1, 1, token, kind=ICMP_ECHOREPLY), ("127.0.0.4", 0))
    got = _recv_token(net, r, token)
    trace = [got[3], got[2], _ip_fields(got[0])[7:]]
    _close(r, s)
    return trace


def scenario_raw_icmp_filter(net):
    """ICMP_FILTER (SOL_RAW 1): a mask of types to drop; with bit 8 set the echo request is not seen."""
    token = _token()
    r = _raw(net, IPPROTO_ICMP)
    trace = [r.getsockopt(SOL_RAW, ICMP_FILTER)]
    r.setsockopt(SOL_RAW, ICMP_FILTER, 1 << ICMP_ECHO)
    trace.append(r.getsockopt(SOL_RAW, ICMP_FILTER))
    s = _raw(net, IPPROTO_ICMP)
    s.sendto(_icmp_echo(9, 9, token), (LO, 0))
    trace.append([_icmp_type(p) for p in _all_token(net, r, token)])
    _close(r, s)
    return trace


def scenario_raw_icmp_filter_errors(net):
    """ICMP_FILTER: only on IPPROTO_ICMP raw sockets (else EOPNOTSUPP); a short optval overwrites
    only its bytes, a long one is cut to 4; getsockopt copies at most 4 bytes."""
    icmp = _raw(net, IPPROTO_ICMP)
    udp = _raw(net, IPPROTO_UDP)
    trace = [
        _setopt(udp, SOL_RAW, ICMP_FILTER, 0),
        errname(udp.getsockopt, SOL_RAW, ICMP_FILTER),
        _setopt(icmp, SOL_RAW, ICMP_FILTER, b"\xff\xff\xff\xff"),
        _setopt(icmp, SOL_RAW, ICMP_FILTER, b"\x01\x02"),
        icmp.getsockopt(SOL_RAW, ICMP_FILTER, 4),
        _setopt(icmp, SOL_RAW, ICMP_FILTER, b"\x01\x02\x03\x04\x05\x06"),
        icmp.getsockopt(SOL_RAW, ICMP_FILTER, 8),
        icmp.getsockopt(SOL_RAW, ICMP_FILTER, 2),
        _setopt(icmp, SOL_RAW, 2, 0),
        errname(icmp.getsockopt, SOL_RAW, 2),
    ]
    _close(icmp, udp)
    return trace


def scenario_raw_hdrincl_handbuilt_header(net):
    """IP_HDRINCL: the sender's header goes out as built (TOS, TTL, protocol), the kernel fills the checksum."""
    token = _token()
    r = _raw(net, 253, bind="127.0.0.5")
    s = _raw(net, IPPROTO_RAW)
    packet = _ip_header("127.0.0.1", "127.0.0.5", 253, len(token), ttl=33, tos=0x10, ident=0x5151) + token
    packet = packet[:10] + b"\0\0" + packet[12:]  # checksum left to the kernel
    trace = [s.sendto(packet, ("127.0.0.5", 0))]
    got = _recv_token(net, r, token)
    trace += [_ip_fields(got[0]), got[0][20:] == token, struct.unpack_from("!H", got[0], 4)[0] == 0x5151]
    _close(r, s)
    return trace


def scenario_raw_hdrincl_kernel_fills_length_and_id(net):
    """IP_HDRINCL: a zero total length and a zero ID are filled in by the kernel."""
    token = _token()
    r = _raw(net, 253, bind="127.0.0.6")
    s = _raw(net, 253)
    s.setsockopt(SOL_IP, IP_HDRINCL, 1)
    head = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 0, 0, 0, 64, 253, 0, _ip("127.0.0.1"), _ip("127.0.0.6"))
    s.sendto(head + token, ("127.0.0.6", 0))
    got = _recv_token(net, r, token)
    trace = [_ip_fields(got[0]), got[0][20:] == token]
    _close(r, s)
    return trace


def scenario_raw_hdrincl_zero_source(net):
    """IP_HDRINCL with source 0.0.0.0: the kernel fills in the route's source address."""
    token = _token()
    r = _raw(net, 253, bind="127.0.0.7")
    s = _raw(net, IPPROTO_RAW)
    s.sendto(_ip_header("0.0.0.0", "127.0.0.7", 253, len(token)) + token, ("127.0.0.7", 0))
    got = _recv_token(net, r, token)
    trace = [_ip_fields(got[0])[7:]]
    _close(r, s)
    return trace


def scenario_raw_hdrincl_bad_packets(net):
    """IP_HDRINCL: a packet shorter than an IP header or with IHL < 5 is EINVAL."""
    s = _raw(net, IPPROTO_RAW)
    good = _ip_header("127.0.0.1", "127.0.0.8", 253, 4) + b"abcd"
    trace = [
        errname(s.sendto, good[:12], ("127.0.0.8", 0)),
        errname(s.sendto, bytes([0x44]) + good[1:], ("127.0.0.8", 0)),
        errname(s.sendto, good, ("127.0.0.8", 0)),
    ]
    s.close()
    return trace


def scenario_raw_hdrincl_address_used_for_routing(net):
    """IP_HDRINCL: the sendto address routes the packet; the header's destination is delivered as written."""
    token = _token()
    r = _raw(net, 253, bind="127.0.0.9")
    s = _raw(net, IPPROTO_RAW)
    s.sendto(_ip_header("127.0.0.1", "127.0.0.9", 253, len(token)) + token, ("127.0.0.10", 0))
    got = _recv_token(net, r, token)
    trace = [got is not None and _ip_fields(got[0])[8]]
    _close(r, s)
    return trace


def scenario_raw_ipproto_raw_receives_nothing(net):
    """An IPPROTO_RAW socket is send-only: it never receives, not even its own packets."""
    token = _token()
    s = _raw(net, IPPROTO_RAW)
    s.sendto(_ip_header("127.0.0.1", "127.0.0.11", 253, len(token)) + token, ("127.0.0.11", 0))
    trace = [_recv_token(net, s, token)]
    s.close()
    return trace


def scenario_raw_udp_sees_udp_datagram(net):
    """A raw IPPROTO_UDP socket sees a UDP datagram (IP header, UDP header, payload); the UDP socket gets it too."""
    token = _token()
    r = _raw(net, IPPROTO_UDP, bind="127.0.0.12")
    u = _udp(net, "127.0.0.12")
    s = _udp(net)
    s.sendto(token, u.getsockname())
    got = _recv_token(net, r, token)
    packet = got[0]
    sport, dport, length = struct.unpack_from("!HHH", packet, 20)
    trace = [
        _ip_fields(packet),
        sport == s.getsockname()[1],
        dport == u.getsockname()[1],
        length,
        packet[28:] == token,
        u.recv(100) == token,
    ]
    _close(r, u, s)
    return trace


def scenario_raw_udp_closed_port_still_seen(net):
    """A raw UDP socket sees a datagram to a port nobody holds; the sender (connected) still gets ECONNREFUSED."""
    token = _token()
    r = _raw(net, IPPROTO_UDP, bind=LO)
    s, port = _refused_pair(net)
    s.send(token)
    got = _recv_token(net, r, token)
    trace = [got is not None, errname(s.recv, 100, net.MSG_DONTWAIT)]
    _close(r, s)
    return trace


def scenario_raw_proto_delivery_to_all(net):
    """Raw sockets of a protocol all get a copy, the unbound sender included."""
    token = _token()
    a = _raw(net, 253)
    b = _raw(net, 253, bind="127.0.0.13")
    s = _raw(net, 253)
    trace = [s.sendto(token, ("127.0.0.13", 0))]
    for sock in (a, b, s):
        got = _recv_token(net, sock, token)
        trace.append(got is not None and (_ip_fields(got[0]), got[0][20:] == token))
    _close(a, b, s)
    return trace


def scenario_raw_bound_filters_destination(net):
    """A raw socket bound to 127.0.0.14 ignores packets to 127.0.0.15."""
    token = _token()
    r = _raw(net, 253, bind="127.0.0.14")
    s = _raw(net, 253)
    s.sendto(token + b"-15", ("127.0.0.15", 0))
    s.sendto(token + b"-14", ("127.0.0.14", 0))
    trace = [[p[20:].replace(token, b"") for p in _all_token(net, r, token)]]
    _close(r, s)
    return trace


def scenario_raw_connected_filters_source(net):
    """A connected raw socket only receives packets from its peer address."""
    token = _token()
    r = _raw(net, 253, bind="127.0.0.16")
    r.connect(("127.0.0.17", 0))
    a = _raw(net, 253, bind="127.0.0.17")
    b = _raw(net, 253, bind="127.0.0.18")
    b.sendto(token + b"-18", ("127.0.0.16", 0))
    a.sendto(token + b"-17", ("127.0.0.16", 0))
    trace = [[p[20:].replace(token, b"") for p in _all_token(net, r, token)]]
    _close(r, a, b)
    return trace


def scenario_raw_bound_source_address(net):
    """A raw socket bound to 127.0.0.19 sends with that source address."""
    token = _token()
    r = _raw(net, 253, bind="127.0.0.20")
    s = _raw(net, 253, bind="127.0.0.19")
    s.sendto(token, ("127.0.0.20", 0))
    got = _recv_token(net, r, token)
    trace = [_ip_fields(got[0])[7:]]
    _close(r, s)
    return trace


def scenario_raw_send_unconnected(net):
    """send() on an unconnected raw socket is EDESTADDRREQ; after connect() it works."""
    token = _token()
    r = _raw(net, 253, bind="127.0.0.21")
    s = _raw(net, 253)
    trace = [errname(s.send, token)]
    s.connect(("127.0.0.21", 0))
    trace.append(s.send(token))
    trace.append(_recv_token(net, r, token) is not None)
    _close(r, s)
    return trace


def scenario_raw_sendto_families(net):
    """Raw sendto: AF_UNSPEC is taken as AF_INET, AF_INET6 is EAFNOSUPPORT, a short address EINVAL."""
    token = _token()
    r = _raw(net, 253, bind="127.0.0.22")
    s = _raw(net, 253)
    trace = [
        _raw_addr_call(net, s, "sendto", _unspec(0, "127.0.0.22"), token + b"-unspec"),
        _raw_addr_call(net, s, "sendto", _sockaddr_in("127.0.0.22", 0, family=net.AF_INET6), token + b"-inet6"),
        _raw_addr_call(net, s, "sendto", _sockaddr_in("127.0.0.22", 0)[:8], token + b"-short"),
        [p[20:].replace(token, b"") for p in _all_token(net, r, token)],
    ]
    _close(r, s)
    return trace


def scenario_raw_msg_trunc(net):
    """A short buffer on a raw socket truncates the packet and sets MSG_TRUNC."""
    token = _token()
    r = _raw(net, 253, bind="127.0.0.23")
    s = _raw(net, 253)
    s.sendto(token + bytes(100), ("127.0.0.23", 0))
    for _ in range(256):
        data, anc, flags, addr = r.recvmsg(30 + len(token), 0, net.MSG_DONTWAIT)
        if token in data:
            break
    trace = [len(data), flags]
    _close(r, s)
    return trace


def scenario_raw_ip_options_in_header(net):
    """IP_OPTIONS on a raw sender: IHL 8 for a 12-byte record route, which the receiving side fills
    in without fixing the header checksum (the raw reader sees it invalid)."""
    token = _token()
    r = _raw(net, 253, bind="127.0.0.24")
    s = _raw(net, 253)
    s.setsockopt(SOL_IP, IP_OPTIONS, bytes([7, 11, 4]) + bytes(8) + bytes([0]))
    s.sendto(token, ("127.0.0.24", 0))
    got = _recv_token(net, r, token)
    packet = got[0]
    trace = [_ip_fields(packet), packet[20:32], packet[32:] == token]
    _close(r, s)
    return trace


def scenario_raw_ttl_tos_on_send(net):
    """IP_TTL / IP_TOS set on a raw sender show in the received IP header."""
    token = _token()
    r = _raw(net, 253, bind="127.0.0.25")
    s = _raw(net, 253)
    s.setsockopt(SOL_IP, IP_TTL, 3)
    s.setsockopt(SOL_IP, IP_TOS, 0x20)
    s.sendto(token, ("127.0.0.25", 0))
    got = _recv_token(net, r, token)
    trace = [_ip_fields(got[0])]
    _close(r, s)
    return trace


def scenario_raw_echo_to_broadcast_ignored(net):
    """An echo request to 127.255.255.255 gets no reply (icmp_echo_ignore_broadcasts = 1)."""
    token = _token()
    s = _raw(net, IPPROTO_ICMP)
    trace = [errname(s.sendto, _icmp_echo(5, 5, token), (LO_BCAST, 0))]
    s.setsockopt(net.SOL_SOCKET, net.SO_BROADCAST, 1)
    trace.append(errname(s.sendto, _icmp_echo(5, 6, token), (LO_BCAST, 0)))
    trace.append([_icmp_type(p) for p in _all_token(net, s, token)])
    s.close()
    return trace


def scenario_raw_icmp_sees_port_unreachable(net):
    """A raw ICMP socket sees the port unreachable a UDP send provokes: type 3 code 3, quoting the datagram."""
    token = _token()
    r = _raw(net, IPPROTO_ICMP)
    r.setsockopt(SOL_RAW, ICMP_FILTER, struct.pack("<I", ~(1 << ICMP_DEST_UNREACH) & 0xFFFFFFFF))
    port = _free_port(net)
    s = _udp(net)
    s.sendto(token, (LO, port))
    got = _recv_token(net, r, token)
    packet = got[0]
    inner = packet[28:]
    trace = [
        _ip_fields(packet)[1:],
        _icmp_fields(packet)[:3],
        _ip_fields(inner)[4:],
        struct.unpack_from("!H", inner, 22)[0] == port,
        inner[28:] == token,
    ]
    _close(r, s)
    return trace


def scenario_raw_protocol_unreachable(net):
    """A packet for a protocol with no handler and no raw socket draws ICMP protocol unreachable (3/2)."""
    token = _token()
    r = _raw(net, IPPROTO_ICMP)
    r.setsockopt(SOL_RAW, ICMP_FILTER, struct.pack("<I", ~(1 << ICMP_DEST_UNREACH) & 0xFFFFFFFF))
    s = _raw(net, IPPROTO_RAW)
    s.sendto(_ip_header("127.0.0.1", "127.0.0.26", 252, len(token)) + token, ("127.0.0.26", 0))
    got = _recv_token(net, r, token)
    trace = [got is not None and (_ip_fields(got[0])[6:], _icmp_fields(got[0])[:3], _ip_fields(got[0][28:])[5:])]
    _close(r, s)
    return trace


def scenario_raw_recverr_protocol_unreachable(net):
    """A connected raw socket (so it does not take its own packet) with IP_RECVERR gets the protocol
    unreachable in its error queue: ENOPROTOOPT, origin ICMP, type 3, code 2, offender the destination."""
    token = _token()
    s = _raw(net, 251)
    s.setsockopt(SOL_IP, IP_RECVERR, 1)
    s.connect(("127.0.0.27", 0))
    s.send(token)
    trace = [_recv_token(net, s, token) is not None]
    outcome = attempt(s.recvmsg, 200, 1024, MSG_ERRQUEUE)
    if outcome[0] == "ok":
        data, anc, flags, addr = outcome[1]
        trace += [data == token, _exterr(net, anc), flags, addr]
    else:
        trace.append(outcome[1])
    trace.append(errname(s.recv, 100, net.MSG_DONTWAIT))
    s.close()
    return trace


def scenario_raw_nonblocking_empty(net):
    """recv on a raw socket with nothing queued: EAGAIN with MSG_DONTWAIT; not readable."""
    s = _raw(net, 250, bind="127.0.0.28")
    trace = [errname(s.recv, 100, net.MSG_DONTWAIT), _readable(net, s), _writable(net, s)]
    s.close()
    return trace


def scenario_raw_send_empty_payload(net):
    """A raw socket may send an empty payload (just the IP header arrives)."""
    token_addr = "127.0.0.29"
    r = _raw(net, 249, bind=token_addr)
    s = _raw(net, 249)
    trace = [s.sendto(b"", (token_addr, 0))]
    got = attempt(r.recvfrom, 100, net.MSG_DONTWAIT)
    trace.append(got[0] == "ok" and (_ip_fields(got[1][0]), got[1][1]))
    _close(r, s)
    return trace


def scenario_raw_shutdown(net):
    """shutdown on an unconnected raw socket is ENOTCONN; on a connected one it works."""
    s = _raw(net, 253)
    trace = [errname(s.shutdown, net.SHUT_RDWR)]
    s.connect(("127.0.0.30", 0))
    trace += [errname(s.shutdown, net.SHUT_RD), errname(s.recv, 10, net.MSG_DONTWAIT)]
    s.close()
    return trace


# ------------------------------------------------------- corking, MSG_MORE


def scenario_cork_msg_more_joins(net):
    """MSG_MORE holds the data back; the next send without it sends one joined datagram."""
    r = _udp(net)
    s = _udp(net)
    s.connect(r.getsockname())
    trace = [s.send(b"ab", MSG_MORE), _readable(net, r), s.send(b"cd", MSG_MORE), s.send(b"ef")]
    trace += [_drain(net, r)]
    _close(r, s)
    return trace


def scenario_cork_msg_more_sendto(net):
    """MSG_MORE on sendto: the pieces join; a later sendto's address is ignored while corked."""
    r = _udp(net)
    other = _udp(net)
    s = _udp(net)
    trace = [s.sendto(b"one", MSG_MORE, r.getsockname()), s.sendto(b"two", other.getsockname())]
    trace += [_drain(net, r), _drain(net, other)]
    _close(r, other, s)
    return trace


def scenario_cork_pending_ignores_bad_address(net):
    """While data is pending, even a port-0 destination is not checked: the data joins the pending datagram."""
    r = _udp(net)
    s = _udp(net)
    trace = [s.sendto(b"a", MSG_MORE, r.getsockname()), errname(s.sendto, b"b", (LO, 0))]
    trace.append(_drain(net, r))
    _close(r, s)
    return trace


def scenario_cork_msg_more_empty_flush(net):
    """A zero-length send without MSG_MORE flushes the pending data as it is."""
    r = _udp(net)
    s = _udp(net)
    s.connect(r.getsockname())
    s.send(b"pending", MSG_MORE)
    trace = [s.send(b""), _drain(net, r)]
    _close(r, s)
    return trace


def scenario_cork_udp_cork_option(net):
    """UDP_CORK: sends accumulate into one datagram until the option is cleared."""
    r = _udp(net)
    s = _udp(net)
    s.connect(r.getsockname())
    s.setsockopt(SOL_UDP, UDP_CORK, 1)
    trace = [s.send(b"a"), s.send(b"b"), s.send(b"c"), _readable(net, r)]
    s.setsockopt(SOL_UDP, UDP_CORK, 0)
    trace.append(_drain(net, r))
    s.send(b"d")
    trace.append(_drain(net, r))
    _close(r, s)
    return trace


def scenario_cork_udp_cork_emsgsize(net):
    """A corked datagram cannot grow past 65507 bytes: the append that would is EMSGSIZE, and the
    whole pending datagram is thrown away with it."""
    r = _udp(net)
    s = _udp(net)
    s.connect(r.getsockname())
    s.setsockopt(SOL_UDP, UDP_CORK, 1)
    trace = [s.send(bytes(40000)), errname(s.send, bytes(30000)), s.send(bytes(25507))]
    s.setsockopt(SOL_UDP, UDP_CORK, 0)
    trace.append([len(d) for d in _drain(net, r)])
    _close(r, s)
    return trace


def scenario_cork_close_discards_pending(net):
    """Closing a socket with corked data sends nothing."""
    r = _udp(net)
    s = _udp(net)
    s.connect(r.getsockname())
    s.send(b"never", MSG_MORE)
    s.close()
    trace = [_drain(net, r)]
    r.close()
    return trace


def scenario_cork_msg_more_cmsg_ttl_first(net):
    """The first corked send fixes the datagram's TTL; a later IP_TTL cmsg does not change it."""
    r = _receiver(net, IP_RECVTTL)
    s = _udp(net)
    s.connect(r.getsockname())
    s.sendmsg([b"a"], [(SOL_IP, IP_TTL, INT.pack(5))], MSG_MORE)
    s.sendmsg([b"b"], [(SOL_IP, IP_TTL, INT.pack(9))])
    data, anc, flags, src = r.recvmsg(10, 256)
    trace = [data, _cmsg_int(anc, SOL_IP, IP_TTL)]
    _close(r, s)
    return trace


# --------------------------------------------------------- more UDP odds


def scenario_misc_rcvtimeo_udp(net):
    """SO_RCVTIMEO on a UDP socket: an empty recv fails with EAGAIN after the timeout."""
    s = _udp(net)
    s.setsockopt(net.SOL_SOCKET, net.SO_RCVTIMEO, struct.pack("ll", 0, 20000))
    trace = [errname(s.recv, 10), struct.unpack("ll", s.getsockopt(net.SOL_SOCKET, net.SO_RCVTIMEO, 16))]
    s.close()
    return trace


def scenario_misc_bindtodevice_lo(net):
    """SO_BINDTODEVICE 'lo': reads back b'lo\\0'; loopback traffic still flows; an unknown name is ENODEV."""
    r = _udp(net)
    s = _udp(net)
    trace = [_setopt(s, net.SOL_SOCKET, net.SO_BINDTODEVICE, b"lo"), s.getsockopt(net.SOL_SOCKET, net.SO_BINDTODEVICE, 16)]
    trace.append(s.sendto(b"via lo", r.getsockname()))
    trace.append(_drain(net, r))
    trace.append(_setopt(s, net.SOL_SOCKET, net.SO_BINDTODEVICE, b"nosuchdev0"))
    trace.append(_setopt(s, net.SOL_SOCKET, net.SO_BINDTODEVICE, b""))
    trace.append(s.getsockopt(net.SOL_SOCKET, net.SO_BINDTODEVICE, 16))
    _close(r, s)
    return trace


def scenario_misc_multicast_loop_on_lo(net):
    """Multicast over lo: a member joined on ifindex 1 gets the group datagram, and still gets it with
    IP_MULTICAST_LOOP 0 (that only stops the local copy; lo itself delivers what it transmits)."""
    group = "239.7.7.7"
    r = net.socket(net.AF_INET, net.SOCK_DGRAM)
    r.bind((ANY, 0))
    port = r.getsockname()[1]
    r.setsockopt(SOL_IP, IP_ADD_MEMBERSHIP, MREQN.pack(_ip(group), bytes(4), 1))
    s = _udp(net, LO)
    s.setsockopt(SOL_IP, IP_MULTICAST_IF, MREQN.pack(bytes(4), bytes(4), 1))
    trace = [s.sendto(b"loop", (group, port))]
    got = _drain(net, r)
    s.setsockopt(SOL_IP, IP_MULTICAST_LOOP, 0)
    s.sendto(b"no loop", (group, port))
    trace += [got, _drain(net, r)]
    _close(r, s)
    return trace


def scenario_misc_multicast_ttl_on_wire(net):
    """A looped-back multicast datagram carries IP_MULTICAST_TTL (1 by default), not IP_TTL."""
    group = "239.7.7.8"
    r = net.socket(net.AF_INET, net.SOCK_DGRAM)
    r.bind((ANY, 0))
    r.setsockopt(SOL_IP, IP_RECVTTL, 1)
    r.setsockopt(SOL_IP, IP_ADD_MEMBERSHIP, MREQN.pack(_ip(group), bytes(4), 1))
    s = _udp(net, LO)
    s.setsockopt(SOL_IP, IP_MULTICAST_IF, MREQN.pack(bytes(4), bytes(4), 1))
    s.sendto(b"a", (group, r.getsockname()[1]))
    s.setsockopt(SOL_IP, IP_MULTICAST_TTL, 7)
    s.sendto(b"b", (group, r.getsockname()[1]))
    trace = []
    for _ in range(2):
        outcome = attempt(r.recvmsg, 10, 256, net.MSG_DONTWAIT)
        trace.append(outcome[1] if outcome[0] == "err" else (outcome[1][0], _cmsg_int(outcome[1][1], SOL_IP, IP_TTL)))
    _close(r, s)
    return trace


def scenario_misc_multicast_not_member(net):
    """Without a membership the group datagram is not delivered (IP_MULTICAST_ALL needs a join somewhere)."""
    group = "239.7.7.9"
    r = _udp(net, ANY)
    s = _udp(net, LO)
    s.setsockopt(SOL_IP, IP_MULTICAST_IF, MREQN.pack(bytes(4), bytes(4), 1))
    trace = [s.sendto(b"nobody", (group, r.getsockname()[1])), _drain(net, r)]
    _close(r, s)
    return trace


def scenario_misc_so_error_on_raw(net):
    """A raw socket starts with SO_ERROR 0 and SO_TYPE SOCK_RAW."""
    s = _raw(net, 253)
    trace = [_opt(s, net.SOL_SOCKET, net.SO_ERROR), _opt(s, net.SOL_SOCKET, net.SO_TYPE)]
    s.close()
    return trace


def scenario_misc_recvmsg_address_of_each_sender(net):
    """Datagrams from several senders queue in order, each with its own source address."""
    r = _udp(net)
    senders = [_udp(net, addr) for addr in ("127.0.0.31", "127.0.0.32", LO)]
    for i, s in enumerate(senders):
        s.sendto(bytes([48 + i]), r.getsockname())
    trace = []
    for s in senders:
        data, src = r.recvfrom(10)
        trace.append((data, src[0], src == s.getsockname()))
    _close(r, *senders)
    return trace


# ------------------------------------------------------------------ interfaces
# Only lo is the same on both kernels (index 1, ARPHRD_LOOPBACK, MTU 65536):
# the other devices (the host's eth0, the emulated host's eth0) differ, so no
# scenario lists them (no if_nameindex) or names them.  AF_PACKET sockets on
# the host see every frame of lo, the other programs' too: a trace keeps only
# the frames that carry the scenario's own random token.

ETH_P_ALL = 0x0003
ETH_P_IP = 0x0800
ARPHRD_LOOPBACK = 772


def _outcome(fn, *args):
    """attempt(), plus the argument errors (TypeError, ValueError, OverflowError) by type and message."""
    try:
        return attempt(fn, *args)
    except (TypeError, ValueError, OverflowError) as exc:
        return ("exc", type(exc).__name__, str(exc))


def _token_frames(net, s, token: bytes) -> list:
    """Every queued frame of the packet socket ``s`` that carries ``token``: (length, address)."""
    out = []
    for _ in range(100000):
        got = attempt(s.recvfrom, 65536, net.MSG_DONTWAIT)
        if got[0] == "err":
            break
        data, addr = got[1]
        if token in data:
            out.append((len(data), addr))
    return out


def scenario_interfaces_lo_name_and_index(net):
    """if_nametoindex / if_indextoname of lo (SIOCGIFINDEX / SIOCGIFNAME): index 1; an alias label names lo."""
    return [_outcome(net.if_nametoindex, "lo"), _outcome(net.if_nametoindex, b"lo"),
            _outcome(net.if_nametoindex, "lo:1"), _outcome(net.if_indextoname, 1),
            _outcome(net.if_indextoname, 2**32 + 1)]


def scenario_interfaces_unknown_names(net):
    """An unknown name is OSError without errno; an unknown index ENXIO; argument errors as CPython's."""
    return [_outcome(net.if_nametoindex, "bogus0"), _outcome(net.if_nametoindex, "x" * 20),
            _outcome(net.if_nametoindex, ""), _outcome(net.if_nametoindex, "lo\0x"),
            _outcome(net.if_nametoindex, 1), _outcome(net.if_indextoname, 0),
            _outcome(net.if_indextoname, 2**31 - 1), _outcome(net.if_indextoname, -1),
            _outcome(net.if_indextoname, 2**64), _outcome(net.if_indextoname, "1")]


def scenario_interfaces_packet_bind_lo(net):
    """AF_PACKET bind((ifname, proto)) looks the name up (SIOCGIFINDEX); getsockname names it back (SIOCGIFNAME)."""
    trace = []
    for kind, proto in ((net.SOCK_RAW, ETH_P_ALL), (net.SOCK_DGRAM, ETH_P_IP)):
        s = net.socket(net.AF_PACKET, kind, net.htons(proto))
        trace.append(s.getsockname())  # unbound: ifindex 0 -> ''
        trace.append(attempt(s.bind, ("lo", proto)))
        trace.append(s.getsockname())
        trace.append(attempt(s.bind, ("lo", 0, 0, 0, b"\x01\x02")))
        trace.append(s.getsockname())
        s.close()
    return trace


def scenario_interfaces_packet_unknown_device(net):
    """A name no device has is ENODEV from bind and sendto (the ioctl fails before the call)."""
    s = net.socket(net.AF_PACKET, net.SOCK_DGRAM, net.htons(ETH_P_IP))
    trace = [errname(s.bind, ("bogus0", ETH_P_IP)), errname(s.sendto, b"x", ("bogus0", ETH_P_IP)),
             errname(s.bind, ("lo" * 10, ETH_P_IP)), errname(s.bind, ("lo:1", ETH_P_IP)), s.getsockname()]
    s.close()
    return trace


def scenario_interfaces_packet_sees_udp_on_lo(net):
    """A UDP datagram to 127.0.0.1 passes lo twice: the tap sees PACKET_OUTGOING then PACKET_HOST,
    each named ('lo', ETH_P_IP, pkttype, ARPHRD_LOOPBACK, 6 zero bytes)."""
    token = uuid.uuid4().bytes
    p = net.socket(net.AF_PACKET, net.SOCK_RAW, net.htons(ETH_P_ALL))
    p.bind(("lo", ETH_P_ALL))
    d = net.socket(net.AF_PACKET, net.SOCK_DGRAM, net.htons(ETH_P_IP))
    d.bind(("lo", ETH_P_IP))
    r = _udp(net)
    s = _udp(net)
    _token_frames(net, p, token)  # empty the queues of the host's other lo traffic (rcvbuf room)
    _token_frames(net, d, token)
    s.sendto(token, r.getsockname())
    trace = [r.recv(100) == token, _token_frames(net, p, token), _token_frames(net, d, token)]
    _close(p, d, r, s)
    return trace
