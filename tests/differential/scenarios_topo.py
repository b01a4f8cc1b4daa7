"""Differential scenarios across three hosts: routing, forwarding, ARP, ICMP
errors, TTL, PMTU, fragmentation, broadcast, multicast.

Each ``scenario_<name>(lab)`` drives sockets on the hosts of topo_spec.py::

    a 10.1.0.1/24 (eth0) -- r 10.1.0.254/24 (eth0) | 10.2.0.254/24 (eth1) -- b 10.2.0.2/24 (eth0)

through ``lab.a``, ``lab.r``, ``lab.b`` (socket-module-like, one per host)
and ``lab.select`` (over the sockets of one host), and returns a trace.
topo_harness.py runs it on Linux network namespaces and on emulated hosts,
each time on a freshly built topology, and compares the traces.

Rules: no ports, IP IDs or checksums in a trace (compare them, trace the
boolean); no sleeps; an ICMP error or a forwarded datagram is awaited with
``lab.select`` (<= 1 s: on Linux it comes through the softirq); "nothing
arrived" is select with 0.2 s.  Ports are fixed (every run has fresh
namespaces).  Every socket is closed.  10.1.0.99 is nobody (ARP
unanswered: Linux gives up after ~3 s, so only one scenario uses it).
"""

from __future__ import annotations

import errno as _errno
import struct

from .harness import errname
from .topo_harness import seconds, variant

#: tests/differential/harness.discover() leaves this module to topo_harness.
MULTI_HOST = True

A, R0, R1, B = "10.1.0.1", "10.1.0.254", "10.2.0.254", "10.2.0.2"
NOBODY = "10.1.0.99"
UNROUTED = "192.0.2.1"  # TEST-NET-1: r has no route to it
PORT, CLOSED = 5000, 5999
GROUP = "239.1.2.3"

SOL_IP = 0
SOL_SOCKET = 1
IP_TTL = 2
IP_PKTINFO = 8
IP_MTU_DISCOVER = 10
IP_RECVERR = 11
IP_RECVTTL = 12
IP_MTU = 14
IP_MULTICAST_IF = 32
IP_MULTICAST_TTL = 33
IP_ADD_MEMBERSHIP = 35
IP_PMTUDISC_DONT, IP_PMTUDISC_WANT, IP_PMTUDISC_DO = 0, 1, 2
SO_ERROR = 4
SO_BROADCAST = 6
SO_BINDTODEVICE = 25
MSG_DONTWAIT = 0x40
MSG_ERRQUEUE = 0x2000
ICMP_ECHOREPLY, ICMP_DEST_UNREACH, ICMP_ECHO, ICMP_TIME_EXCEEDED = 0, 3, 8, 11
SO_EE_ORIGIN = {0: "none", 1: "local", 2: "icmp", 3: "icmp6", 4: "txstatus"}


# ------------------------------------------------------------------ helpers


def _close(*socks) -> None:
    for s in socks:
        s.close()


def _udp(net, bind=None, **opts):
    s = net.socket(net.AF_INET, net.SOCK_DGRAM)
    for name, value in opts.items():
        s.setsockopt(SOL_IP, globals()[name], value)
    if bind is not None:
        s.bind(bind)
    return s


def _raw_icmp(net):
    return net.socket(net.AF_INET, net.SOCK_RAW, 1)


def _ready(lab, s, timeout=1.0) -> bool:
    return bool(lab.select([s], [], [], timeout)[0])


def _ename(code: int) -> str:
    return _errno.errorcode.get(code, str(code)) if code else "0"


def _so_error(s) -> str:
    return _ename(s.getsockopt(SOL_SOCKET, SO_ERROR))


def _cmsgs(ancdata) -> list:
    out = []
    for level, kind, data in ancdata:
        if (level, kind) in ((SOL_IP, IP_TTL), (SOL_IP, IP_RECVTTL)):
            out.append(("ttl", struct.unpack("=i", data[:4])[0]))
        elif (level, kind) == (SOL_IP, IP_PKTINFO):
            ifindex, spec_dst, addr = struct.unpack("=i4s4s", data[:12])
            out.append(("pktinfo", ifindex, _dotted(spec_dst), _dotted(addr)))
        else:
            out.append((level, kind, len(data)))
    return out


def _dotted(raw: bytes) -> str:
    return ".".join(str(b) for b in raw)


def _recv(lab, s, size=65536, timeout=1.0):
    """The next datagram as (payload, source address, cmsgs), or 'nothing'."""
    if not _ready(lab, s, timeout):
        return "nothing"
    data, anc, _flags, addr = s.recvmsg(size, 1024)
    return data, addr[0], _cmsgs(anc)


def _errqueue(lab, s, timeout=1.0):
    """The next error queue entry: (ee_errno, origin, type, code, info,
    offender, payload, other cmsgs), or 'nothing'."""
    if not _ready(lab, s, timeout):
        return "nothing"
    try:
        data, anc, _flags, _addr = s.recvmsg(65536, 1024, MSG_ERRQUEUE)
    except OSError as exc:
        return ("err", _ename(exc.errno or 0))
    ee, rest = None, []
    for level, kind, cdata in anc:
        if (level, kind) == (SOL_IP, IP_RECVERR):
            ee_errno, origin, etype, code, _pad, info, _data = struct.unpack("=IBBBBII", cdata[:16])
            offender = cdata[16:32]
            off = _dotted(offender[4:8]) if len(offender) >= 8 and offender[:2] == b"\x02\x00" else "none"
            ee = (_ename(ee_errno), SO_EE_ORIGIN.get(origin, origin), etype, code, info, off)
        else:
            rest.extend(_cmsgs([(level, kind, cdata)]))
    return (ee, data, rest)


def _checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def _echo(ident: int, seq: int, payload: bytes) -> bytes:
    head = struct.pack("!BBHHH", ICMP_ECHO, 0, 0, ident, seq)
    return struct.pack("!BBHHH", ICMP_ECHO, 0, _checksum(head + payload), ident, seq) + payload


def _icmp_packets(lab, s, timeout=1.0) -> list:
    """The packets a raw ICMP socket holds after waiting up to timeout for
    the first, decoded: (src, ttl, type, code, rest) where rest is, for an
    echo reply, (id, seq, payload); for an error, (quoted dst, quoted proto,
    next-hop MTU)."""
    out = []
    if not _ready(lab, s, timeout):
        return out
    while True:
        try:
            packet, addr = s.recvfrom(65536, MSG_DONTWAIT)
        except BlockingIOError:
            return out
        except OSError as exc:  # a pending error (IP_RECVERR): reported once
            out.append(("err", _ename(exc.errno or 0)))
            continue
        ihl = (packet[0] & 0x0F) * 4
        ttl, src = packet[8], _dotted(packet[12:16])
        icmp = packet[ihl:]
        kind, code = icmp[0], icmp[1]
        if kind in (ICMP_ECHOREPLY, ICMP_ECHO):
            ident, seq = struct.unpack("!HH", icmp[4:8])
            rest = (ident, seq, icmp[8:])
        else:
            inner = icmp[8:]
            rest = (_dotted(inner[16:20]), inner[9], struct.unpack("!H", icmp[6:8])[0])
        out.append((src, addr[0] == src, ttl, kind, code, rest))


def _ping(lab, src, dst, *, ttl=None, payload=b"topo-ping", timeout=1.0) -> list:
    s = _raw_icmp(src)
    if ttl is not None:
        s.setsockopt(SOL_IP, IP_TTL, ttl)
    s.sendto(_echo(0x5151, 7, payload), (dst, 0))
    got = _icmp_packets(lab, s, timeout)
    s.close()
    return got


# ------------------------------------------------------------ UDP across r


def scenario_udp_a_to_b_payload_and_source(lab):
    rx = _udp(lab.b, ("0.0.0.0", PORT))
    tx = _udp(lab.a)
    sent = tx.sendto(b"across the router", (B, PORT))
    got = _recv(lab, rx)
    _close(rx, tx)
    return [sent, got]


def scenario_udp_recvttl_63_at_b(lab):
    rx = _udp(lab.b, ("0.0.0.0", PORT), IP_RECVTTL=1)
    tx = _udp(lab.a)
    tx.sendto(b"ttl", (B, PORT))
    got = _recv(lab, rx)
    _close(rx, tx)
    return [got]


def scenario_udp_recvttl_64_at_r(lab):
    rx = _udp(lab.r, ("0.0.0.0", PORT), IP_RECVTTL=1)
    tx = _udp(lab.a)
    tx.sendto(b"one hop", (R0, PORT))
    got = _recv(lab, rx)
    _close(rx, tx)
    return [got]


def scenario_udp_ip_ttl_3_seen_2_at_b(lab):
    rx = _udp(lab.b, ("0.0.0.0", PORT), IP_RECVTTL=1)
    tx = _udp(lab.a, IP_TTL=3)
    tx.sendto(b"ttl3", (B, PORT))
    got = _recv(lab, rx)
    _close(rx, tx)
    return [got]


def scenario_udp_pktinfo_at_b(lab):
    rx = _udp(lab.b, ("0.0.0.0", PORT), IP_PKTINFO=1)
    tx = _udp(lab.a)
    tx.sendto(b"pktinfo", (B, PORT))
    got = _recv(lab, rx)
    _close(rx, tx)
    return [got]


def scenario_udp_pktinfo_at_r_near_address(lab):
    rx = _udp(lab.r, ("0.0.0.0", PORT), IP_PKTINFO=1)
    tx = _udp(lab.a)
    tx.sendto(b"near", (R0, PORT))
    got = _recv(lab, rx)
    _close(rx, tx)
    return [got]


def scenario_udp_pktinfo_at_r_far_address(lab):
    """a sends to r's address on the other subnet: it arrives on r.eth0."""
    rx = _udp(lab.r, ("0.0.0.0", PORT), IP_PKTINFO=1, IP_RECVTTL=1)
    tx = _udp(lab.a)
    tx.sendto(b"far", (R1, PORT))
    got = _recv(lab, rx)
    _close(rx, tx)
    return [got]


def scenario_udp_pktinfo_at_r_from_both_sides(lab):
    rx = _udp(lab.r, ("0.0.0.0", PORT), IP_PKTINFO=1)
    ta, tb = _udp(lab.a), _udp(lab.b)
    ta.sendto(b"from a", (R1, PORT))
    first = _recv(lab, rx)
    tb.sendto(b"from b", (R0, PORT))
    second = _recv(lab, rx)
    _close(rx, ta, tb)
    return [first, second]


def scenario_udp_b_replies_to_a(lab):
    srv = _udp(lab.b, ("0.0.0.0", PORT))
    cli = _udp(lab.a, IP_RECVTTL=1)
    cli.connect((B, PORT))
    cli.send(b"question")
    data, addr = (srv.recvfrom(100) if _ready(lab, srv) else (b"", ("", 0)))
    srv.sendto(b"answer:" + data, addr)
    got = _recv(lab, cli)
    _close(srv, cli)
    return [data, addr[0], got]


def scenario_udp_connected_source_address(lab):
    a = _udp(lab.a)
    a.connect((B, PORT))
    r_b = _udp(lab.r)
    r_b.connect((B, PORT))
    r_a = _udp(lab.r)
    r_a.connect((A, PORT))
    out = [a.getsockname()[0], r_b.getsockname()[0], r_a.getsockname()[0]]
    _close(a, r_b, r_a)
    return out


def scenario_udp_r_bound_to_far_address_sends_to_a(lab):
    rx = _udp(lab.a, ("0.0.0.0", PORT), IP_PKTINFO=1, IP_RECVTTL=1)
    tx = _udp(lab.r, (R1, 0))
    tx.sendto(b"from the far address", (A, PORT))
    got = _recv(lab, rx)
    _close(rx, tx)
    return [got]


def scenario_udp_bind_remote_address_refused(lab):
    s = _udp(lab.a)
    out = [errname(s.bind, (B, 0)), errname(s.bind, (R0, 0))]
    s.close()
    return out


def scenario_udp_r_connect_unrouted(lab):
    s = _udp(lab.r)
    out = [errname(s.connect, (UNROUTED, PORT)), errname(s.sendto, b"x", (UNROUTED, PORT))]
    s.close()
    return out


# --------------------------------------------------------------- ICMP errors


def scenario_icmp_port_unreachable_connected_econnrefused(lab):
    s = _udp(lab.a)
    s.connect((B, CLOSED))
    s.send(b"nobody home")
    ready = _ready(lab, s)
    out = [ready, errname(s.recv, 100, MSG_DONTWAIT), errname(s.recv, 100, MSG_DONTWAIT)]
    s.close()
    return out


def scenario_icmp_port_unreachable_recverr(lab):
    s = _udp(lab.a, IP_RECVERR=1)
    s.sendto(b"queued error", (B, CLOSED))
    err = _errqueue(lab, s)
    out = [err, _so_error(s), errname(s.recv, 100, MSG_DONTWAIT)]
    s.close()
    return out


def scenario_icmp_port_unreachable_from_r(lab):
    s = _udp(lab.a, IP_RECVERR=1)
    s.sendto(b"to r", (R1, CLOSED))
    out = [_errqueue(lab, s)]
    s.close()
    return out


def scenario_icmp_port_unreachable_unconnected_ignored(lab):
    s = _udp(lab.a)
    s.sendto(b"lost", (B, CLOSED))
    out = [_ready(lab, s, 0.3), _so_error(s), errname(s.recv, 100, MSG_DONTWAIT)]
    s.close()
    return out


def scenario_icmp_port_unreachable_raw_at_a(lab):
    raw = _raw_icmp(lab.a)
    s = _udp(lab.a)
    s.sendto(b"seen raw", (B, CLOSED))
    out = [_icmp_packets(lab, raw)]
    _close(raw, s)
    return out


def scenario_icmp_ttl1_time_exceeded_recverr(lab):
    s = _udp(lab.a, IP_RECVERR=1, IP_TTL=1)
    s.sendto(b"dies at r", (B, PORT))
    err = _errqueue(lab, s)
    out = [err, _so_error(s)]
    s.close()
    return out


def scenario_icmp_ttl1_time_exceeded_connected_not_reported(lab):
    s = _udp(lab.a, IP_TTL=1)
    s.connect((B, PORT))
    s.send(b"soft error")
    out = [_ready(lab, s, 0.3), _so_error(s), errname(s.recv, 100, MSG_DONTWAIT)]
    s.close()
    return out


def scenario_icmp_ttl1_time_exceeded_raw(lab):
    return _ping(lab, lab.a, B, ttl=1)


def scenario_icmp_ttl1_to_router_far_address_answered(lab):
    """TTL 1 suffices for r's far address: r is the destination, not a hop."""
    return _ping(lab, lab.a, R1, ttl=1)


def scenario_icmp_ttl2_reaches_b(lab):
    return _ping(lab, lab.a, B, ttl=2)


def scenario_icmp_net_unreachable_from_r_raw(lab):
    return _ping(lab, lab.a, UNROUTED)


def scenario_icmp_net_unreachable_recverr(lab):
    s = _udp(lab.a, IP_RECVERR=1)
    s.sendto(b"nowhere", (UNROUTED, PORT))
    err = _errqueue(lab, s)
    out = [err, _so_error(s)]
    s.close()
    return out


def scenario_icmp_net_unreachable_connected(lab):
    s = _udp(lab.a)
    s.connect((UNROUTED, PORT))
    s.send(b"nowhere")
    out = [_ready(lab, s, 0.3), _so_error(s), errname(s.recv, 100, MSG_DONTWAIT)]
    s.close()
    return out


# ---------------------------------------------------------------- ping / raw


def scenario_ping_a_to_b(lab):
    got = _ping(lab, lab.a, B)
    return [(src, same, ttl, kind, code, rest[:2] == (0x5151, 7), rest[2]) for src, same, ttl, kind, code, rest in got]


def scenario_ping_b_to_a(lab):
    return _ping(lab, lab.b, A, payload=b"other way")


def scenario_ping_r_near_and_far(lab):
    return [_ping(lab, lab.a, R0), _ping(lab, lab.a, R1), _ping(lab, lab.b, R0)]


def scenario_raw_at_r_does_not_see_forwarded(lab):
    spy = _raw_icmp(lab.r)
    got = _ping(lab, lab.a, B)
    out = [len(got), _ready(lab, spy, 0.2)]
    spy.close()
    return out


def scenario_raw_at_b_sees_request_with_ttl_63(lab):
    spy = _raw_icmp(lab.b)
    _ping(lab, lab.a, B, payload=b"watch")
    got = _icmp_packets(lab, spy, 0.5)
    spy.close()
    return [(src, ttl, kind, code, rest[2]) for src, _same, ttl, kind, code, rest in got]


# ------------------------------------------------------ PMTU / fragmentation


@variant("pmtu")
def scenario_pmtu_df_learned_ip_mtu(lab):
    rx = _udp(lab.b, ("0.0.0.0", PORT))
    s = _udp(lab.a, IP_RECVERR=1, IP_MTU_DISCOVER=IP_PMTUDISC_DO)
    s.connect((B, PORT))
    before = s.getsockopt(SOL_IP, IP_MTU)
    first = errname(s.send, bytes(1472))
    err = _errqueue(lab, s)
    after = s.getsockopt(SOL_IP, IP_MTU)
    second = errname(s.send, bytes(1472))
    third = errname(s.send, bytes(1372))
    got = _recv(lab, rx)
    out = [before, first, err, after, second, third, got if got == "nothing" else len(got[0])]
    _close(rx, s)
    return out


@variant("pmtu")
def scenario_pmtu_want_refragments_after_learning(lab):
    rx = _udp(lab.b, ("0.0.0.0", PORT))
    s = _udp(lab.a)
    s.connect((B, PORT))
    first = errname(s.send, bytes(1472))
    lost = _recv(lab, rx, timeout=0.3)
    second = errname(s.send, b"x" * 1472)  # the pending EMSGSIZE (hard error, connected)
    third = errname(s.send, b"y" * 1472)  # fragmented by a to the learned 1400
    got = _recv(lab, rx)
    out = [first, lost if lost == "nothing" else len(lost[0]), second, third,
           got if got == "nothing" else (len(got[0]), got[0] == b"y" * 1472), _so_error(s),
           s.getsockopt(SOL_IP, IP_MTU)]
    _close(rx, s)
    return out


@variant("pmtu")
def scenario_pmtu_dont_fragmented_by_r(lab):
    rx = _udp(lab.b, ("0.0.0.0", PORT), IP_RECVTTL=1)
    s = _udp(lab.a, IP_RECVERR=1, IP_MTU_DISCOVER=IP_PMTUDISC_DONT)
    payload = bytes(range(256)) * 5 + b"z" * 192
    sent = s.sendto(payload, (B, PORT))
    got = _recv(lab, rx)
    out = [sent, got if got == "nothing" else (len(got[0]), got[0] == payload, got[2]),
           _ready(lab, s, 0.2)]
    _close(rx, s)
    return out


@variant("pmtu")
def scenario_pmtu_raw_frag_needed_mtu(lab):
    raw = _raw_icmp(lab.a)
    raw.setsockopt(SOL_IP, IP_MTU_DISCOVER, IP_PMTUDISC_DO)
    raw.sendto(_echo(9, 1, bytes(1472)), (B, 0))
    got = _icmp_packets(lab, raw)
    raw.close()
    return got


@variant("pmtu")
def scenario_pmtu_b_local_mtu_1400(lab):
    rx = _udp(lab.a, ("0.0.0.0", PORT))
    do = _udp(lab.b, IP_MTU_DISCOVER=IP_PMTUDISC_DO)
    want = _udp(lab.b)
    out = [errname(do.sendto, bytes(1472), (A, PORT)), errname(do.sendto, bytes(1372), (A, PORT))]
    out.append(_recv(lab, rx))
    out.append(errname(want.sendto, bytes(1472), (A, PORT)))
    got = _recv(lab, rx)
    out.append(got if got == "nothing" else len(got[0]))
    do.connect((A, PORT))
    out.append(do.getsockopt(SOL_IP, IP_MTU))
    _close(rx, do, want)
    return [o if not isinstance(o, tuple) else len(o[0]) for o in out]


def scenario_frag_4000_reassembled_at_b(lab):
    rx = _udp(lab.b, ("0.0.0.0", PORT), IP_RECVTTL=1)
    s = _udp(lab.a)
    payload = bytes(i % 251 for i in range(4000))
    sent = s.sendto(payload, (B, PORT))
    got = _recv(lab, rx)
    _close(rx, s)
    return [sent, got if got == "nothing" else (len(got[0]), got[0] == payload, got[1], got[2])]


def scenario_frag_60000_reassembled_at_b(lab):
    rx = _udp(lab.b, ("0.0.0.0", PORT))
    s = _udp(lab.a)
    payload = bytes(i % 253 for i in range(60000))
    sent = s.sendto(payload, (B, PORT))
    got = _recv(lab, rx)
    _close(rx, s)
    return [sent, got if got == "nothing" else (len(got[0]), got[0] == payload)]


@variant("pmtu")
def scenario_frag_dont_reassembled_across_both_links(lab):
    """Fragments of 1500 from a, each refragmented by r for the 1400 link."""
    rx = _udp(lab.b, ("0.0.0.0", PORT))
    s = _udp(lab.a, IP_MTU_DISCOVER=IP_PMTUDISC_DONT)
    payload = bytes(i % 241 for i in range(5000))
    sent = s.sendto(payload, (B, PORT))
    got = _recv(lab, rx)
    _close(rx, s)
    return [sent, got if got == "nothing" else (len(got[0]), got[0] == payload)]


# -------------------------------------------------- broadcast and multicast


def scenario_broadcast_subnet_received_at_r_not_b(lab):
    at_r = _udp(lab.r, ("0.0.0.0", PORT), IP_PKTINFO=1)
    at_b = _udp(lab.b, ("0.0.0.0", PORT))
    s = _udp(lab.a)
    refused = errname(s.sendto, b"bcast", ("10.1.0.255", PORT))
    s.setsockopt(SOL_SOCKET, SO_BROADCAST, 1)
    sent = s.sendto(b"bcast", ("10.1.0.255", PORT))
    out = [refused, sent, _recv(lab, at_r), _ready(lab, at_b, 0.2)]
    _close(at_r, at_b, s)
    return out


def scenario_broadcast_limited_received_at_r(lab):
    at_r = _udp(lab.r, ("0.0.0.0", PORT), IP_PKTINFO=1)
    at_b = _udp(lab.b, ("0.0.0.0", PORT))
    s = _udp(lab.a)
    s.setsockopt(SOL_SOCKET, SO_BROADCAST, 1)
    sent = s.sendto(b"everyone", ("255.255.255.255", PORT))
    out = [sent, _recv(lab, at_r), _ready(lab, at_b, 0.2)]
    _close(at_r, at_b, s)
    return out


def scenario_broadcast_directed_not_forwarded(lab):
    """a sends to b's subnet broadcast: unicast for a, a broadcast r keeps
    (net.ipv4.conf.*.bc_forwarding is 0)."""
    at_r = _udp(lab.r, ("0.0.0.0", PORT), IP_PKTINFO=1)
    at_b = _udp(lab.b, ("0.0.0.0", PORT))
    s = _udp(lab.a)
    plain = errname(s.sendto, b"directed", ("10.2.0.255", PORT))
    out = [plain, _recv(lab, at_r), _ready(lab, at_b, 0.2)]
    _close(at_r, at_b, s)
    return out


def scenario_multicast_ttl1_not_forwarded(lab):
    at_r = _udp(lab.r, ("0.0.0.0", PORT), IP_RECVTTL=1, IP_PKTINFO=1)
    at_r.setsockopt(SOL_IP, IP_ADD_MEMBERSHIP, _mreq(GROUP, R0))
    at_b = _udp(lab.b, ("0.0.0.0", PORT))
    at_b.setsockopt(SOL_IP, IP_ADD_MEMBERSHIP, _mreq(GROUP, B))
    s = _udp(lab.a)
    s.setsockopt(SOL_IP, IP_MULTICAST_IF, _lab_inet_aton(A))
    sent = s.sendto(b"group", (GROUP, PORT))
    out = [sent, _recv(lab, at_r), _ready(lab, at_b, 0.2)]
    _close(at_r, at_b, s)
    return out


def scenario_multicast_ttl5_still_not_forwarded(lab):
    at_r = _udp(lab.r, ("0.0.0.0", PORT), IP_RECVTTL=1)
    at_r.setsockopt(SOL_IP, IP_ADD_MEMBERSHIP, _mreq(GROUP, R0))
    at_b = _udp(lab.b, ("0.0.0.0", PORT))
    at_b.setsockopt(SOL_IP, IP_ADD_MEMBERSHIP, _mreq(GROUP, B))
    s = _udp(lab.a)
    s.setsockopt(SOL_IP, IP_MULTICAST_TTL, 5)
    sent = s.sendto(b"group", (GROUP, PORT))
    out = [sent, _recv(lab, at_r), _ready(lab, at_b, 0.2)]
    _close(at_r, at_b, s)
    return out


def scenario_multicast_if_on_r_picks_the_link(lab):
    at_a = _udp(lab.a, ("0.0.0.0", PORT))
    at_a.setsockopt(SOL_IP, IP_ADD_MEMBERSHIP, _mreq(GROUP, A))
    at_b = _udp(lab.b, ("0.0.0.0", PORT), IP_RECVTTL=1)
    at_b.setsockopt(SOL_IP, IP_ADD_MEMBERSHIP, _mreq(GROUP, B))
    s = _udp(lab.r)
    s.setsockopt(SOL_IP, IP_MULTICAST_IF, _lab_inet_aton(R1))
    sent = s.sendto(b"to eth1", (GROUP, PORT))
    out = [sent, _recv(lab, at_b), _ready(lab, at_a, 0.2)]
    _close(at_a, at_b, s)
    return out


def _lab_inet_aton(addr: str) -> bytes:
    return bytes(int(part) for part in addr.split("."))


def _mreq(group: str, iface: str) -> bytes:
    return _lab_inet_aton(group) + _lab_inet_aton(iface)


# ------------------------------------------------------------ SO_BINDTODEVICE


def scenario_bindtodevice_on_r_filters_by_ingress(lab):
    eth1 = _udp(lab.r)
    eth1.setsockopt(SOL_SOCKET, SO_BINDTODEVICE, b"eth1")
    eth1.bind(("0.0.0.0", PORT))
    ta, tb = _udp(lab.a), _udp(lab.b)
    ta.sendto(b"from a via eth0", (R1, PORT))
    from_a = _recv(lab, eth1, timeout=0.3)
    tb.sendto(b"from b via eth1", (R1, PORT))
    from_b = _recv(lab, eth1)
    out = [from_a, from_b, eth1.getsockopt(SOL_SOCKET, SO_BINDTODEVICE, 16).rstrip(b"\0")]
    _close(eth1, ta, tb)
    return out


def scenario_bindtodevice_on_r_sends_out_that_link(lab):
    rx = _udp(lab.b, ("0.0.0.0", PORT), IP_PKTINFO=1)
    s = _udp(lab.r)
    s.setsockopt(SOL_SOCKET, SO_BINDTODEVICE, b"eth1")
    s.connect((B, PORT))
    src = s.getsockname()[0]
    s.send(b"bound")
    out = [src, _recv(lab, rx)]
    _close(rx, s)
    return out


# ---------------------------------------------------------------------- ARP


@seconds(20)
def scenario_arp_failure_host_unreachable(lab):
    """Nobody answers ARP for 10.1.0.99: after the probes (~3 s) the queued
    datagram fails with a host unreachable a sends itself."""
    raw = _raw_icmp(lab.a)
    s = _udp(lab.a, IP_RECVERR=1)
    sends = [errname(s.sendto, b"anyone? %d" % i, (NOBODY, PORT)) for i in range(3)]
    early = _ready(lab, s, 0.2)
    err = _errqueue(lab, s, timeout=6.0)
    more = _drain_errqueue(lab, s, 0.5)
    seen = _icmp_packets(lab, raw, 0.5)
    out = [sends, early, err, more, _so_error(s), seen]
    _close(raw, s)
    return out


@seconds(20)
def scenario_arp_failure_at_r_host_unreachable_to_a(lab):
    """Nobody holds 10.2.0.99: r queues the forwarded datagram, its ARP
    fails (~3 s) and r sends a host unreachable back to a."""
    s = _udp(lab.a, IP_RECVERR=1)
    sent = errname(s.sendto, b"via r to nobody", ("10.2.0.99", PORT))
    early = _ready(lab, s, 0.2)
    err = _errqueue(lab, s, timeout=6.0)
    out = [sent, early, err, _so_error(s)]
    s.close()
    return out


# ------------------------------------------------------- more ICMP details


def _drain_errqueue(lab, s, first_timeout=1.0) -> list:
    out = []
    timeout = first_timeout
    while True:
        got = _errqueue(lab, s, timeout)
        if got == "nothing":
            return out
        out.append(got[0])
        timeout = 0.3


def _count_icmp(lab, raw) -> list:
    got = _icmp_packets(lab, raw)
    while _ready(lab, raw, 0.3):
        got += _icmp_packets(lab, raw, 0)
    return sorted(set(got)) + [len(got)]


def scenario_icmp_port_unreachable_rate_limited_at_b(lab):
    """Ten datagrams to a closed port at once (no IP_RECVERR, unconnected:
    every send succeeds); a raw socket at a counts the errors b's per-peer
    ICMP token bucket (net.ipv4.icmp_ratelimit 1 s, burst 6) lets out."""
    raw = _raw_icmp(lab.a)
    s = _udp(lab.a)
    sends = [errname(s.sendto, b"burst", (B, CLOSED)) for _ in range(10)]
    out = [sends, _count_icmp(lab, raw)]
    _close(raw, s)
    return out


def scenario_icmp_time_exceeded_rate_limited_at_r(lab):
    raw = _raw_icmp(lab.a)
    s = _udp(lab.a, IP_TTL=1)
    sends = [errname(s.sendto, b"ttl burst", (B, PORT)) for _ in range(10)]
    out = [sends, _count_icmp(lab, raw)]
    _close(raw, s)
    return out


def scenario_icmp_errors_with_recverr_interleave_with_sends(lab):
    """With IP_RECVERR each error is also sk_err: the next send reports it
    (and sends nothing)."""
    s = _udp(lab.a, IP_RECVERR=1)
    sends = [errname(s.sendto, b"burst %d" % i, (B, CLOSED)) for i in range(6)]
    errors = _drain_errqueue(lab, s)
    s.close()
    return [sends, len(errors), sorted(set(errors))]


def scenario_icmp_echo_replies_not_rate_limited(lab):
    raw = _raw_icmp(lab.a)
    for seq in range(10):
        raw.sendto(_echo(0x4242, seq, b"many"), (B, 0))
    got = _icmp_packets(lab, raw)
    count = len(got)
    while count < 10 and _ready(lab, raw, 0.3):
        count += len(_icmp_packets(lab, raw, 0))
    raw.close()
    return [count]


def scenario_icmp_error_quote_length(lab):
    """An ICMP error quotes as much of the datagram as fits in 576 bytes."""
    raw = _raw_icmp(lab.a)
    s = _udp(lab.a, IP_RECVERR=1)
    s.sendto(bytes(1000), (B, CLOSED))
    packet = raw.recv(65536) if _ready(lab, raw) else b""
    err = _errqueue(lab, s)
    out = [len(packet), struct.unpack("!H", packet[2:4])[0] if packet else 0,
           err if err == "nothing" else (err[0], len(err[1]))]
    _close(raw, s)
    return out


def scenario_icmp_port_unreachable_after_reassembly(lab):
    raw = _raw_icmp(lab.a)
    s = _udp(lab.a, IP_RECVERR=1)
    s.sendto(bytes(3000), (B, CLOSED))
    packets = []
    if _ready(lab, raw):
        packets.append(raw.recv(65536))
        while _ready(lab, raw, 0.2):
            packets.append(raw.recv(65536))
    errors = _drain_errqueue(lab, s)
    out = [[(len(p), p[20], p[21], struct.unpack("!H", p[28 + 6:28 + 8])[0] & 0x3FFF) for p in packets], errors]
    _close(raw, s)
    return out


def scenario_icmp_ttl1_fragmented_one_error(lab):
    """Only the first fragment (offset 0) earns a time exceeded."""
    s = _udp(lab.a, IP_RECVERR=1, IP_TTL=1)
    s.sendto(bytes(4000), (B, PORT))
    errors = _drain_errqueue(lab, s)
    s.close()
    return [errors]


def scenario_icmp_ttl1_b_to_a_offender_far_address(lab):
    s = _udp(lab.b, IP_RECVERR=1, IP_TTL=1)
    s.sendto(b"b dies at r", (A, PORT))
    out = [_errqueue(lab, s)]
    s.close()
    return out


@variant("pmtu")
def scenario_pmtu_ttl_checked_before_mtu(lab):
    """A too-big DF datagram with TTL 1: r answers time exceeded, not
    fragmentation needed (ip_forward checks the TTL first)."""
    s = _udp(lab.a, IP_RECVERR=1, IP_TTL=1, IP_MTU_DISCOVER=IP_PMTUDISC_DO)
    s.sendto(bytes(1472), (B, PORT))
    out = [_drain_errqueue(lab, s)]
    s.close()
    return out


def scenario_icmp_raw_recverr_net_unreachable(lab):
    raw = _raw_icmp(lab.a)
    raw.setsockopt(SOL_IP, IP_RECVERR, 1)
    raw.sendto(_echo(1, 1, b"raw nowhere"), (UNROUTED, 0))
    got = _icmp_packets(lab, raw)
    err = _errqueue(lab, raw, 0.3)
    raw.close()
    return [got, err if err == "nothing" or err[0] is None else (err[0], err[1][:1], len(err[1]), err[2])]


def scenario_icmp_echo_to_subnet_broadcast_ignored(lab):
    """net.ipv4.icmp_echo_ignore_broadcasts = 1: r does not answer."""
    raw = _raw_icmp(lab.a)
    raw.setsockopt(SOL_SOCKET, SO_BROADCAST, 1)
    raw.sendto(_echo(3, 3, b"bcast ping"), ("10.1.0.255", 0))
    got = _icmp_packets(lab, raw, 0.3)
    raw.close()
    return [got]


# --------------------------------------------------- options, multicast, devices


def scenario_ip_options_record_route_across_r(lab):
    IP_OPTIONS, IP_RECVOPTS = 4, 6
    rx = _udp(lab.b, ("0.0.0.0", PORT))
    rx.setsockopt(SOL_IP, IP_RECVOPTS, 1)
    s = _udp(lab.a)
    rr = bytes([7, 15, 4]) + bytes(12) + bytes([0])  # record route, 3 slots, then EOL
    s.setsockopt(SOL_IP, IP_OPTIONS, rr)
    s.sendto(b"route me", (B, PORT))
    out = []
    if _ready(lab, rx):
        data, anc, _flags, addr = rx.recvmsg(100, 1024)
        out.append((data, addr[0], [(lv, kd, bytes(cd)) for lv, kd, cd in anc]))
    else:
        out.append("nothing")
    _close(rx, s)
    return out


def scenario_multicast_ttl0_stays_local(lab):
    at_r = _udp(lab.r, ("0.0.0.0", PORT))
    at_r.setsockopt(SOL_IP, IP_ADD_MEMBERSHIP, _mreq(GROUP, R0))
    own = _udp(lab.a, ("0.0.0.0", PORT), IP_RECVTTL=1)
    own.setsockopt(SOL_IP, IP_ADD_MEMBERSHIP, _mreq(GROUP, A))
    s = _udp(lab.a)
    s.setsockopt(SOL_IP, IP_MULTICAST_TTL, 0)
    sent = s.sendto(b"local only", (GROUP, PORT))
    out = [sent, _recv(lab, own), _ready(lab, at_r, 0.2)]
    _close(at_r, own, s)
    return out


def scenario_multicast_loop_off(lab):
    IP_MULTICAST_LOOP = 34
    at_r = _udp(lab.r, ("0.0.0.0", PORT))
    at_r.setsockopt(SOL_IP, IP_ADD_MEMBERSHIP, _mreq(GROUP, R0))
    own = _udp(lab.a, ("0.0.0.0", PORT))
    own.setsockopt(SOL_IP, IP_ADD_MEMBERSHIP, _mreq(GROUP, A))
    s = _udp(lab.a)
    s.setsockopt(SOL_IP, IP_MULTICAST_LOOP, 0)
    s.sendto(b"not to myself", (GROUP, PORT))
    out = [_recv(lab, at_r), _ready(lab, own, 0.2)]
    _close(at_r, own, s)
    return out


def scenario_multicast_not_joined_on_other_link(lab):
    """r joined the group on eth1 only: a's datagram on eth0 is not delivered."""
    at_r = _udp(lab.r, ("0.0.0.0", PORT))
    at_r.setsockopt(SOL_IP, IP_ADD_MEMBERSHIP, _mreq(GROUP, R1))
    s = _udp(lab.a)
    s.sendto(b"wrong link", (GROUP, PORT))
    out = [_ready(lab, at_r, 0.3)]
    _close(at_r, s)
    return out


def scenario_bindtodevice_on_r_with_other_subnet_source(lab):
    rx = _udp(lab.b, ("0.0.0.0", PORT))
    s = _udp(lab.r)
    s.setsockopt(SOL_SOCKET, SO_BINDTODEVICE, b"eth1")
    s.bind((R0, 0))
    s.sendto(b"eth1 with eth0's address", (B, PORT))
    out = [s.getsockname()[0], _recv(lab, rx)]
    _close(rx, s)
    return out


def scenario_broadcast_from_r_to_a_subnet(lab):
    at_a = _udp(lab.a, ("0.0.0.0", PORT), IP_PKTINFO=1, IP_RECVTTL=1)
    s = _udp(lab.r)
    s.setsockopt(SOL_SOCKET, SO_BROADCAST, 1)
    sent = s.sendto(b"hello subnet", ("10.1.0.255", PORT))
    out = [sent, _recv(lab, at_a)]
    _close(at_a, s)
    return out


def scenario_bindtodevice_eth0_on_r_connect_to_b_subnet(lab):
    """Bound to eth0, r has no route to b's subnet through it: connect
    assumes the destination on-link there (nothing is sent)."""
    s = _udp(lab.r)
    s.setsockopt(SOL_SOCKET, SO_BINDTODEVICE, b"eth0")
    out = [errname(s.connect, (B, PORT)), s.getsockname()[0]]
    s.close()
    return out


def scenario_pktinfo_spec_dst_picks_source_on_r(lab):
    rx = _udp(lab.a, ("0.0.0.0", PORT))
    s = _udp(lab.r)
    pktinfo = struct.pack("=i4s4s", 0, _lab_inet_aton(R1), bytes(4))
    sent = s.sendmsg([b"spec_dst"], [(SOL_IP, IP_PKTINFO, pktinfo)], 0, (A, PORT))
    out = [sent, _recv(lab, rx)]
    _close(rx, s)
    return out


def scenario_ping_from_r_far_address_bound_raw(lab):
    raw = _raw_icmp(lab.r)
    raw.bind((R1, 0))
    raw.sendto(_echo(0x1234, 2, b"from far"), (A, 0))
    got = _icmp_packets(lab, raw)
    raw.close()
    return [got]


def scenario_udp_ip_ttl_255_seen_254(lab):
    rx = _udp(lab.b, ("0.0.0.0", PORT), IP_RECVTTL=1)
    tx = _udp(lab.a, IP_TTL=255)
    tx.sendto(b"max ttl", (B, PORT))
    got = _recv(lab, rx)
    _close(rx, tx)
    return [got]


def scenario_ping_record_route_echoed(lab):
    """An echo request with a record route option: r records on the way
    out and back, b's reply echoes the option."""
    IP_OPTIONS = 4
    raw = _raw_icmp(lab.a)
    raw.setsockopt(SOL_IP, IP_OPTIONS, bytes([7, 23, 4]) + bytes(20) + bytes([0]))
    raw.sendto(_echo(0x7777, 1, b"rr"), (B, 0))
    out = []
    if _ready(lab, raw):
        packet = raw.recv(65536)
        ihl = (packet[0] & 0x0F) * 4
        out.append((ihl, packet[20:ihl], packet[ihl], packet[ihl + 8:]))
    raw.close()
    return out


@variant("pmtu")
def scenario_pmtu_not_learned_without_a_socket(lab):
    """A DF datagram to b from a UDP port nobody holds (IP_HDRINCL): r's
    fragmentation needed reaches a, but no socket takes it, so no path MTU is
    learned (udp_err returns before ipv4_sk_update_pmtu); a socket connected
    afterwards still sees 1500."""
    raw = _raw_icmp(lab.a)
    hdrincl = lab.a.socket(lab.a.AF_INET, lab.a.SOCK_RAW, 255)
    udp = struct.pack("!HHHH", 40999, PORT, 1480, 0) + bytes(1472)
    header = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 1500, 0, 0x4000, 64, 17, 0, _lab_inet_aton(A),
                         _lab_inet_aton(B))
    sent = hdrincl.sendto(header + udp, (B, 0))
    seen = _icmp_packets(lab, raw)
    s = _udp(lab.a)
    s.connect((B, PORT))
    out = [sent, seen, s.getsockopt(SOL_IP, IP_MTU)]
    _close(raw, hdrincl, s)
    return out
