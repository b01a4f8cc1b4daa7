"""TCP over IPv4: receive demux, connect, ICMP errors (net/ipv4/tcp_ipv4.c, inet_hashtables.c).

``tcp_v4_rcv(skb)`` (registered for IPPROTO_TCP): segments not addressed to
this host (PACKET_HOST) are dropped; every other one counts Tcp InSegs; a
short header or a bad checksum is dropped and counted (InErrs, InCsumErrors).
Lookup as __inet_lookup_skb: the established table by 4-tuple (a socket,
a SYN-RECEIVED child on a listener's SYN queue, or a TIME-WAIT minisock),
then the listeners of the port -- a socket bound to the destination
address beats a wildcard one, and within each a bound device scores higher
(compute_score; SO_REUSEPORT groups pick by a hash of the 4-tuple).

- a connection's socket: ``tp.segment_arrived`` + ``tcp_kick``;
- a child still in SYN-RECEIVED: its ACK completes the handshake only while
  the listener's accept queue has room (else ListenOverflows/ListenDrops
  and, with net.ipv4.tcp_abort_on_overflow, a RST); under TCP_DEFER_ACCEPT
  a bare ACK is dropped (TCPDeferAcceptDrop) until the SYN-ACK was
  retransmitted that many times;
- TIME-WAIT: a SYN that may reopen goes to the listener (iss from the old
  connection), anything else to the minisock;
- a listener (tcp_rcv_state_process's LISTEN): ACK -> RST, RST dropped, SYN
  (without FIN, unicast) -> a child ``TcpConn.from_syn`` on the SYN queue,
  unless the accept queue is full (ListenOverflows + ListenDrops, dropped);
  a full SYN queue counts TCPReqQFullDoCookies and goes on (syncookies=1),
  or drops (TCPReqQFullDrop) with syncookies=0;
- no socket: RST (``tcp_reset_for``: OutSegs + OutRsts) unless it is a RST
  or was not addressed to a local unicast address.

``tcp_v4_connect(sk, addr)``: EINVAL (short), EAFNOSUPPORT, the route
(ENETUNREACH counts OutNoRoutes; broadcast/multicast ENETUNREACH), the
source address, SYN-SENT, then ``inet_hash_connect``: a bound port must
make a unique 4-tuple (a TIME-WAIT one with timestamps is taken over); else
an ephemeral port from ip_local_port_range at an even offset first (a
per-destination perturbation table as Linux's), skipping ports bind()
made, taking over TIME-WAIT tuples per net.ipv4.tcp_tw_reuse; EADDRNOTAVAIL
when none is left.  The ISN and timestamp offset are keyed hashes of the
4-tuple with per-namespace secrets from ``net.rng`` plus a 4 us clock (as
secure_tcp_seq).  ActiveOpens counts.

``tcp_v4_err(skb, info)``: ICMP about one of our segments: the connection
(or child) by the quoted 4-tuple, the quoted sequence checked against
[snd_una, snd_nxt] (TCPOutOfWindowIcmps), fragmentation needed updates the
route's PMTU, then ``tp.icmp_error``.  No connection: Icmp InErrors.
"""
from __future__ import annotations

import copy
import struct
from typing import Any

from kernel import uapi
from kernel.net.core.skbuff import CHECKSUM_PARTIAL, CHECKSUM_UNNECESSARY, PACKET_HOST, SkBuff
from kernel.net.ipv4.inet_sock import SOCK_BINDPORT_LOCK, InetSock, ipv4_is_multicast, parse_sockaddr_in
from kernel.net.ipv4.tcp.conn import TcpConn
from kernel.net.ipv4.tcp.inet_connection_sock import sk_acceptq_is_full
from kernel.net.ipv4.tcp.segment import TcpSegment, between, seg_from_repr
from kernel.net.ipv4.tcp.states import TCP_CLOSE, TCP_LISTEN, TCP_SYN_RECV, TCP_SYN_SENT
from kernel.net.ipv4.tcp.tcp_minisocks import (
    TcpTimewaitSock,
    inet_twsk_kill,
    tcp_twsk_unique,
    tw_kick,
)
from kernel.net.ipv4.tcp.tcp_sock import TcpSock, tcp_hashinfo, tcp_kick, tcp_mib_add, tcp_transmit_raw
from kernel.net.sock import SOCK_DEAD
from kernel.net.wire import WireError
from kernel.net.wire.tcp import TcpPacket, TcpRepr

__all__ = [
    "inet_hash_connect", "inet_lookup_listener", "tcp_reset_reply", "tcp_v4_connect", "tcp_v4_err", "tcp_v4_init",
    "tcp_v4_rcv",
]

RTCF_BROADCAST = 0x10000000
RTCF_MULTICAST = 0x20000000
RTN_LOCAL = 2
INET_TABLE_PERTURB_SIZE = 1 << 16
_M32 = 0xFFFFFFFF


# --- secrets (secure_tcp_seq, secure_tcp_ts_off, secure_ipv4_port_ephemeral) ---------------

class _Secrets:
    def __init__(self, net: Any) -> None:
        self.seq = net.rng.getrandbits(64)
        self.ts = net.rng.getrandbits(64)
        self.port = net.rng.getrandbits(64)
        self.table_perturb: dict[int, int] = {}


def _secrets(net: Any) -> _Secrets:
    s: _Secrets | None = getattr(net, "_tcp_secrets", None)
    if s is None:
        s = _Secrets(net)
        setattr(net, "_tcp_secrets", s)  # noqa: B010  (struct net slot owned by this module)
    return s


def _keyed(secret: int, *vals: int) -> int:
    h = secret
    for v in vals:
        h = (h * 0x100000001B3 ^ v) & 0xFFFFFFFFFFFFFFFF
        h ^= h >> 29
    return (h * 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF


def secure_tcp_seq(net: Any, saddr: int, daddr: int, sport: int, dport: int) -> int:
    """A keyed hash of the 4-tuple plus the clock in 64 ns units (RFC 6528)."""
    h = _keyed(_secrets(net).seq, saddr, daddr, sport, dport) & _M32
    return (h + (int(net.clock.now() * 1e9) >> 6)) & _M32


def secure_tcp_ts_off(net: Any, saddr: int, daddr: int) -> int:
    return _keyed(_secrets(net).ts, saddr, daddr) & _M32


# --- receive -------------------------------------------------------------------------------

def _ip_addrs(skb: SkBuff) -> tuple[int, int, int]:
    nh = skb.network_header
    saddr, daddr = struct.unpack_from("!II", skb.head, nh + 12)
    return saddr, daddr, skb.head[nh + 1]


def _parse(buf: bytes) -> TcpSegment | None:
    try:
        h = TcpRepr.parse(buf, verify_checksum=False)
    except WireError:
        try:  # an option Linux would skip: keep the header without options
            pkt = TcpPacket.new_checked(buf)
        except WireError:
            return None
        h = TcpRepr(pkt.src_port, pkt.dst_port, pkt.seq, pkt.ack, pkt.flags, pkt.window, pkt.urgent, ())
    hl = (buf[12] >> 4) * 4
    return seg_from_repr(h, buf[hl:])


def _bound_dev_ok(sk: Any, dif: int) -> bool:
    return not sk.sk_bound_dev_if or sk.sk_bound_dev_if == dif


def inet_lookup_established(net: Any, saddr: int, sport: int, daddr: int, dport: int, dif: int) -> Any:
    owner = tcp_hashinfo(net).ehash.get((daddr, dport, saddr, sport))
    if owner is not None and _bound_dev_ok(owner, dif):
        return owner
    return None


def inet_lookup_listener(net: Any, saddr: int, sport: int, daddr: int, dport: int, dif: int) -> TcpSock | None:
    """__inet_lookup_listener: listeners bound to daddr first, then wildcard ones; best compute_score."""
    chain = tcp_hashinfo(net).lhash.get(dport)
    if not chain:
        return None
    for addr in (daddr, 0):
        best: list[TcpSock] = []
        hiscore = 0
        for sk in chain:
            if sk.inet_rcv_saddr != addr or not _bound_dev_ok(sk, dif):
                continue
            score = (2 if sk.sk_bound_dev_if else 1) + 1
            if score > hiscore:
                best, hiscore = [sk], score
            elif score == hiscore and sk.sk_reuseport and best[0].sk_reuseport and sk.sk_uid() == best[0].sk_uid():
                best.append(sk)
        if best:
            if len(best) > 1:  # reuseport_select_sock: a hash of the 4-tuple, in join order
                best.reverse()
                return best[hash((saddr, sport, daddr, dport)) % len(best)]
            return best[0]
    return None


def _reset_for(seg: TcpSegment) -> TcpSegment | None:
    from kernel.net.ipv4.tcp.tcp_output import tcp_reset_for

    return tcp_reset_for(seg)


def tcp_reset_reply(net: Any, seg: TcpSegment, saddr: int, daddr: int, tos: int = 0, oif: int = 0) -> None:
    """tcp_v4_send_reset for a segment (saddr/daddr as received): OutSegs + OutRsts."""
    rst = _reset_for(seg)
    if rst is None:
        return
    net.snmp_inc("Tcp", "OutSegs")
    net.snmp_inc("Tcp", "OutRsts")
    tcp_transmit_raw(net, rst, daddr, saddr, tos=tos, oif=oif)


def _drop(net: Any, skb: SkBuff, errs: bool = False, csum: bool = False) -> int:
    if csum:
        net.snmp_inc("Tcp", "InCsumErrors")
    if errs:
        net.snmp_inc("Tcp", "InErrs")
    skb.free()
    return 0


def tcp_v4_rcv(skb: SkBuff) -> int:
    """tcp_v4_rcv: validate, count, demultiplex (see the module docstring)."""
    dev = skb.dev
    net = dev.net
    if skb.pkt_type != PACKET_HOST:
        skb.free()
        return 0
    net.snmp_inc("Tcp", "InSegs")
    buf = bytes(skb.view())
    if len(buf) < 20:
        return _drop(net, skb)
    if (buf[12] >> 4) < 5:
        return _drop(net, skb, errs=True)
    if (buf[12] >> 4) * 4 > len(buf):
        return _drop(net, skb)
    saddr, daddr, tos = _ip_addrs(skb)
    if skb.ip_summed not in (CHECKSUM_PARTIAL, CHECKSUM_UNNECESSARY) and not TcpPacket(buf).verify_checksum(saddr,
                                                                                                       daddr):
        return _drop(net, skb, errs=True, csum=True)  # (a CHECKSUM_PARTIAL packet came from this machine)
    seg = _parse(buf)
    if seg is None:
        return _drop(net, skb, errs=True)
    if skb.gso_size and seg.payload:
        seg.gso_size = skb.gso_size  # a super-segment (TSO from this machine, or GRO): its MSS
    rt = skb.cb.get("rt")
    rt_flags = int(getattr(rt, "rt_flags", 0))
    rt_type = int(getattr(rt, "rt_type", RTN_LOCAL))
    dif = skb.skb_iif or dev.ifindex
    now = net.clock.now()
    skb.free()
    if rt_flags & (RTCF_BROADCAST | RTCF_MULTICAST) or ipv4_is_multicast(daddr):
        return 0

    owner = inet_lookup_established(net, saddr, seg.sport, daddr, seg.dport, dif)
    if isinstance(owner, TcpTimewaitSock):
        twtp = owner.tp
        tcp_deliver(twtp, seg, now)
        isn = next((ev.new for ev in twtp.events if ev.kind == "tw_syn"), None)
        if isn is not None:  # TCP_TW_SYN: the listener takes it over, else TCP_TW_ACK
            lsk = inet_lookup_listener(net, saddr, seg.sport, daddr, seg.dport, dif)
            if lsk is not None:
                twtp.events.clear()
                inet_twsk_kill(owner)
                _listen_rcv(lsk, seg, saddr, daddr, tos, dif, now, iss=isn)
                return 0
            twtp.timewait_ack(now)  # type: ignore[attr-defined]
        tw_kick(owner)
        return 0
    if isinstance(owner, TcpSock) and owner.tp is not None:
        tp = owner.tp
        if owner.sock_owned:  # a syscall holds the socket: tcp_add_backlog
            owner.sk_backlog.append((seg, now))
            return 0
        lsk = owner.listener
        if lsk is not None and tp.state == TCP_SYN_RECV and owner.ehash_key in lsk.syn_queue:
            if not _reqsk_may_complete(lsk, owner, seg, saddr, daddr, tos, dif):
                return 0
        tcp_deliver(tp, seg, now)
        tcp_kick(owner)
        return 0
    lsk = inet_lookup_listener(net, saddr, seg.sport, daddr, seg.dport, dif)
    if lsk is not None:
        _listen_rcv(lsk, seg, saddr, daddr, tos, dif, now)
        return 0
    if rt_type != RTN_LOCAL:
        return 0
    tcp_reset_reply(net, seg, saddr, daddr, tos)
    return 0


def tcp_deliver(tp: TcpConn, seg: TcpSegment, now: float) -> None:
    """tp.segment_arrived; Tcp InSegs is tcp_v4_rcv's count (already made), not the core's."""
    before = tp.mib.get("InSegs", 0)
    tp.segment_arrived(seg, now)
    if tp.mib.get("InSegs", 0) != before:
        tp.mib["InSegs"] = before
        if not before:
            del tp.mib["InSegs"]


def _reqsk_may_complete(lsk: TcpSock, child: TcpSock, seg: TcpSegment, saddr: int, daddr: int, tos: int,
                        dif: int) -> bool:
    """tcp_check_req's gates for an ACK that would complete the handshake: defer-accept, accept queue room."""
    tp = child.tp
    assert tp is not None
    if seg.rst or seg.syn or not seg.has_ack or seg.ack != tp.snd_nxt:
        return True  # the core answers these (RST, SYN retransmission, bad ACK)
    net = lsk.net
    defer = lsk.tcp_params.defer_accept
    retrans = int(getattr(tp, "num_timeout", tp.icsk_retransmits))
    if defer and retrans < defer and not seg.payload and not seg.fin:
        net.mib.setdefault("TcpExt", {})
        tcp_mib_add(net, {"TCPDeferAcceptDrop": 1})
        return False
    if sk_acceptq_is_full(lsk):
        tcp_mib_add(net, {"ListenOverflows": 1, "ListenDrops": 1})
        if lsk.tcp_params.abort_on_overflow or net.sysctl.get("net.ipv4.tcp_abort_on_overflow", 0):
            tcp_reset_reply(net, seg, saddr, daddr, tos)
            tcp_mib_add(net, {"EmbryonicRsts": 1})
            lsk.syn_queue.pop(child.ehash_key, None)  # type: ignore[arg-type]
            child.listener = None
            _kill_request(child)
        return False
    return True


def _kill_request(child: TcpSock) -> None:
    from kernel.net.ipv4.tcp.tcp_sock import tcp_done

    child.sock_set_flag(SOCK_DEAD)
    tp = child.tp
    if tp is not None and tp.state != TCP_CLOSE:
        tp.outbox.clear()
        tp.abort(child.host.clock.now(), send_rst=False)
        tp.outbox.clear()
        tp.events.clear()
    tcp_done(child)


def _listen_rcv(lsk: TcpSock, seg: TcpSegment, saddr: int, daddr: int, tos: int, dif: int, now: float,
                iss: int | None = None) -> None:
    """tcp_rcv_state_process in LISTEN + tcp_conn_request."""
    net = lsk.net
    if seg.has_ack:
        tcp_reset_reply(net, seg, saddr, daddr, tos)
        return
    if seg.rst or not seg.syn or seg.fin:
        return
    # tcp_conn_request
    syncookies = int(net.sysctl.get("net.ipv4.tcp_syncookies", 1))
    if len(lsk.syn_queue) >= lsk.sk_max_ack_backlog or syncookies == 2:
        if syncookies:
            tcp_mib_add(net, {"TCPReqQFullDoCookies": 1})  # (no cookie: the request is kept like any other)
        else:
            tcp_mib_add(net, {"TCPReqQFullDrop": 1, "ListenDrops": 1})
            return
    if sk_acceptq_is_full(lsk):
        tcp_mib_add(net, {"ListenOverflows": 1, "ListenDrops": 1})
        return
    if not syncookies:
        max_syn = int(net.sysctl.get("net.ipv4.tcp_max_syn_backlog", 2048))
        if max_syn - len(lsk.syn_queue) < (max_syn >> 2):
            tcp_mib_add(net, {"ListenDrops": 1})
            return
    child = _clone_for_request(lsk, saddr, seg.sport, daddr, dif)
    if isinstance(child, int):
        tcp_mib_add(net, {"ListenDrops": 1})
        return
    if iss is None:
        iss = secure_tcp_seq(net, daddr, saddr, seg.dport, seg.sport)
    ts_off = secure_tcp_ts_off(net, daddr, saddr) if lsk.tcp_params.timestamps == 1 else 0
    tp = TcpConn.from_syn(child.tcp_params, seg, iss, now, ts_offset=ts_off, mtu=child.sk_dst_cache.dst_mtu())
    tp.mib.pop("InSegs", None)
    child.tp = tp
    child.sk_state = tp.state if tp.state != TCP_CLOSE else TCP_SYN_RECV
    info = tcp_hashinfo(net)
    key = (daddr, seg.dport, saddr, seg.sport)
    child.ehash_key = key
    info.ehash_add(key, child)
    lsk.syn_queue[key] = child
    child.listener = lsk
    info.bind_add(child, lsk.inet_num)
    child.bound_port = lsk.inet_num
    tcp_kick(child)


def _clone_for_request(lsk: TcpSock, raddr: int, rport: int, laddr: int, dif: int) -> TcpSock | int:
    """inet_csk_clone_lock: a child socket with the listener's options and the request's addresses."""
    from kernel.net.ipv4 import route

    child = TcpSock(lsk.host, lsk.sk_type, lsk.sk_protocol, lsk.sk_prot)
    child.owner = lsk.owner
    child.tcp_params = copy.copy(lsk.tcp_params)
    child.tcp_params.defer_accept = 0
    for name in ("sk_sndbuf", "sk_rcvbuf", "sk_userlocks", "sk_reuse", "sk_reuseport", "sk_bound_dev_if",
                 "sk_mark", "sk_priority", "sk_rcvlowat", "sk_rcvtimeo_j", "sk_sndtimeo_j", "sk_lingertime",
                 "uc_ttl", "tos", "pmtudisc", "mc_ttl", "mc_loop", "mc_index", "cmsg_flags", "recverr",
                 "freebind", "transparent", "inet_opt", "local_port_range"):
        setattr(child, name, getattr(lsk, name))
    child.sk_userlocks &= ~SOCK_BINDPORT_LOCK  # sk_clone_lock: the port is the listener's, not the child's bind()
    child.sk_flags = set(lsk.sk_flags) - {SOCK_DEAD}
    child.sk_shutdown = lsk.sk_shutdown  # sk_clone_lock copies it (a listener's SHUT_WR reaches its children)
    child.inet_rcv_saddr = child.inet_saddr = laddr
    child.inet_num = child.inet_sport = lsk.inet_num
    child.inet_daddr = raddr
    child.inet_dport = rport
    child.inet_id = lsk.net.rng.getrandbits(16)
    fl4 = route.Flowi4(daddr=raddr, saddr=laddr, tos=child.tos & 0x1C, oif=child.sk_bound_dev_if,
                       proto=uapi.IPPROTO_TCP, sport=child.inet_sport, dport=rport, mark=child.sk_mark, flags=0x01)
    rt = route.ip_route_output_key(lsk.net, fl4)
    if isinstance(rt, int):
        return rt
    child.cork_fl = fl4
    child.sk_dst_cache = rt
    _set_dst_mtu(child, rt)
    return child


def _set_dst_mtu(sk: TcpSock, rt: Any) -> None:
    if hasattr(sk.tcp_params, "dst_mtu"):
        sk.tcp_params.dst_mtu = rt.dst_mtu()


# --- connect -------------------------------------------------------------------------------

def _check_established(sk: TcpSock, port: int, autobind: bool) -> tuple[bool, TcpTimewaitSock | None]:
    """__inet_check_established: is (saddr, port, daddr, dport) free?  A TIME-WAIT one may be taken over."""
    info = tcp_hashinfo(sk.net)
    key = (sk.inet_rcv_saddr, port, sk.inet_daddr, sk.inet_dport)
    owner = info.ehash.get(key)
    if owner is None or owner is sk:
        return True, None
    if isinstance(owner, TcpTimewaitSock) and not owner.dead:
        if (not owner.sk_bound_dev_if or owner.sk_bound_dev_if == sk.sk_bound_dev_if) and \
                tcp_twsk_unique(sk, owner, autobind):
            return True, owner
    return False, None


def _take_over_tw(sk: TcpSock, tw: TcpTimewaitSock | None) -> None:
    if tw is None:
        return
    seq = (tw.tw_snd_nxt + 65535 + 2) & _M32
    sk.tw_reuse_isn = seq or 1  # type: ignore[attr-defined]
    sk.tw_ts_recent = (tw.tp.ts_recent, tw.tp.ts_recent_stamp)  # type: ignore[attr-defined]
    inet_twsk_kill(tw)
    tcp_mib_add(sk.net, {"TWRecycled": 1})


def inet_hash_connect(sk: TcpSock) -> int:
    """__inet_hash_connect: a port (and unique 4-tuple) for an active open; 0 or -EADDRNOTAVAIL."""
    from kernel.net.ipv4.inet_hashtables import inet_sk_get_local_port_range
    from kernel.net.ipv4.tcp.inet_connection_sock import _reserved

    net = sk.net
    info = tcp_hashinfo(net)
    if sk.inet_num:
        ok, tw = _check_established(sk, sk.inet_num, autobind=False)
        if not ok:
            return -uapi.EADDRNOTAVAIL
        _take_over_tw(sk, tw)
        _ehash_insert(sk)
        return 0
    low, high = inet_sk_get_local_port_range(sk)
    high += 1
    remaining = high - low
    if remaining > 1:
        remaining &= ~1
    if remaining <= 0:
        return -uapi.EADDRNOTAVAIL
    secrets = _secrets(net)
    port_offset = _keyed(secrets.port, sk.inet_rcv_saddr, sk.inet_daddr, sk.inet_dport)
    index = port_offset & (INET_TABLE_PERTURB_SIZE - 1)
    offset = (secrets.table_perturb.get(index, net.rng.getrandbits(32)) + (port_offset >> 32)) % remaining
    offset &= ~1
    step = 2
    while True:
        port = low + offset
        i = 0
        while i < remaining:
            if port >= high:
                port -= remaining
            if not _reserved(net, port):
                tb = info.bhash.get(port)
                if tb is None or not tb.owners:
                    tw = None
                    ok = True
                elif tb.fastreuse >= 0 or tb.fastreuseport >= 0:
                    ok = False
                    tw = None
                else:
                    ok, tw = _check_established(sk, port, autobind=True)
                if ok:
                    _take_over_tw(sk, tw)
                    info.bind_add(sk, port)  # a new bucket keeps fastreuse -1 (connect's)
                    sk.bound_port = port
                    sk.inet_num = port
                    sk.inet_sport = port
                    _ehash_insert(sk)
                    i = max(i, net.rng.randrange(8) * step)
                    secrets.table_perturb[index] = (secrets.table_perturb.get(index, 0) + i + step) & _M32
                    return 0
            i += step
            port += step
        offset += 1
        if not (offset & 1 and remaining > 1):
            return -uapi.EADDRNOTAVAIL


def _ehash_insert(sk: TcpSock) -> None:
    key = (sk.inet_rcv_saddr, sk.inet_num, sk.inet_daddr, sk.inet_dport)
    sk.ehash_key = key
    tcp_hashinfo(sk.net).ehash_add(key, sk)


def tcp_v4_connect(sk: InetSock, addr: bytes) -> int:
    """tcp_v4_connect: route, source, port, ISN, the SYN (see the module docstring)."""
    from kernel.net.ipv4 import route

    assert isinstance(sk, TcpSock)
    if len(addr) < 16:
        return -uapi.EINVAL
    family, dport, daddr = parse_sockaddr_in(addr)
    if family != uapi.AF_INET:
        return -uapi.EAFNOSUPPORT
    net = sk.net
    orig_sport = sk.inet_sport
    fl4 = route.Flowi4(daddr=daddr, saddr=sk.inet_saddr, tos=sk.tos & 0x1C, oif=sk.sk_bound_dev_if,
                       proto=uapi.IPPROTO_TCP, sport=orig_sport, dport=dport, mark=sk.sk_mark)
    sk.cork_fl = fl4
    rt = route.ip_route_output_key(net, fl4)
    if isinstance(rt, int):
        if rt == -uapi.ENETUNREACH:
            net.snmp_inc("Ip", "OutNoRoutes")
        return rt
    if rt.rt_flags & (RTCF_MULTICAST | RTCF_BROADCAST):
        return -uapi.ENETUNREACH
    daddr = fl4.daddr
    set_saddr = False
    if not sk.inet_saddr:
        sk.inet_saddr = fl4.saddr
        set_saddr = True
    if not sk.inet_rcv_saddr:
        sk.inet_rcv_saddr = fl4.saddr
    sk.inet_dport = dport
    sk.inet_daddr = daddr
    sk.sk_state = TCP_SYN_SENT
    err = inet_hash_connect(sk)
    if err:
        sk.sk_state = TCP_CLOSE
        if set_saddr:
            sk.inet_saddr = sk.inet_rcv_saddr = 0
        sk.inet_dport = 0
        sk.inet_daddr = 0
        sk.sk_dst_cache = None
        return err
    fl4.sport = sk.inet_sport
    sk.sk_dst_cache = rt
    _set_dst_mtu(sk, rt)
    # tcp_twsk_unique's ISN, else the write_seq a tcp_disconnect left, else a fresh one (write_seq 0)
    iss = (getattr(sk, "tw_reuse_isn", 0) or sk.tcp_kept.write_seq
           or secure_tcp_seq(net, sk.inet_saddr, daddr, sk.inet_sport, dport))
    if hasattr(sk, "tw_reuse_isn"):
        del sk.tw_reuse_isn  # type: ignore[attr-defined]
    ts_off = secure_tcp_ts_off(net, sk.inet_saddr, daddr) if sk.tcp_params.timestamps == 1 else 0
    sk.inet_id = net.rng.getrandbits(16)
    now = net.clock.now()
    tp = TcpConn(sk.tcp_params, sk.inet_sport, dport, iss, now, ts_offset=ts_off)
    tw_ts = getattr(sk, "tw_ts_recent", None)
    if tw_ts is not None:
        tp.ts_recent, tp.ts_recent_stamp = tw_ts
        del sk.tw_ts_recent  # type: ignore[attr-defined]
    if getattr(sk, "tcp_pingpong", False):
        tp.ack_pingpong = 1  # TCP_QUICKACK 0 before connect: the handshake's last ACK is delayed
    sk.tp = tp
    # tcp_connect_init: a pending error (the ECONNRESET an AF_UNSPEC disconnect left) and SOCK_DONE go
    sk.sk_err = 0
    sk.sock_set_flag("done", False)
    err = tp.connect(now, mtu=rt.dst_mtu())
    if err:
        sk.tp = None
        sk.sk_state = TCP_CLOSE
        from kernel.net.ipv4.tcp.inet_connection_sock import inet_put_port, inet_unhash

        inet_unhash(sk)
        if not sk.sk_userlocks & SOCK_BINDPORT_LOCK:
            inet_put_port(sk)
        sk.inet_dport = 0
        return int(err)
    if "ActiveOpens" not in tp.mib:
        tp.mib_inc("ActiveOpens")
    tcp_kick(sk)
    return 0


# --- ICMP ----------------------------------------------------------------------------------

def tcp_v4_err(skb: SkBuff, info: int) -> int:
    """tcp_v4_err: skb data at the quoted IP header, skb.cb["icmp"] = (type, code, info)."""
    from kernel.net.ipv4 import route

    type_, code, _ = skb.cb.get("icmp", (uapi.ICMP_DEST_UNREACH, 0, info))
    head = skb.head
    inner = skb.doff
    net = skb.dev.net
    if skb.tail - inner < 28:
        return 0
    ihl = (head[inner] & 0x0F) * 4
    if skb.tail - inner < ihl + 8:
        return 0
    isaddr, idaddr = struct.unpack_from("!II", head, inner + 12)
    sport, dport, seq = struct.unpack_from("!HHI", head, inner + ihl)
    owner = tcp_hashinfo(net).ehash.get((isaddr, sport, idaddr, dport))
    if owner is None:
        net.snmp_inc("Icmp", "InErrors")
        return -uapi.ENOENT
    if isinstance(owner, TcpTimewaitSock):
        return 0
    sk: TcpSock = owner
    tp = sk.tp
    if tp is None:
        return 0
    if tp.state == TCP_SYN_RECV and sk.listener is not None:  # tcp_req_err
        if seq != tp.iss:
            tcp_mib_add(net, {"OutOfWindowIcmps": 1})
            return 0
    elif tp.state != TCP_LISTEN and not between(seq, tp.snd_una, tp.snd_nxt):
        tcp_mib_add(net, {"OutOfWindowIcmps": 1})
        return 0
    now = net.clock.now()
    if type_ == uapi.ICMP_DEST_UNREACH and code == uapi.ICMP_FRAG_NEEDED:
        if sk.pmtudisc == uapi.IP_PMTUDISC_DONT:
            return 0
        route.ipv4_sk_update_pmtu(skb, sk, info)
        rt = sk.sk_dst_cache
        if rt is not None:
            info = min(info or rt.dst_mtu(), rt.dst_mtu())
    tp.icmp_error(type_, code, info, now)
    tcp_kick(sk)
    return 0


def tcp_v4_init() -> None:
    """inet_init's TCP part: the protocol handler for IPPROTO_TCP."""
    from kernel.net.ipv4.protocol import NetProtocol, inet_add_protocol, inet_protos

    existing = inet_protos.get(uapi.IPPROTO_TCP)
    if existing is not None and existing.handler is tcp_v4_rcv:
        return
    inet_add_protocol(NetProtocol(handler=tcp_v4_rcv, err_handler=tcp_v4_err), uapi.IPPROTO_TCP)


__all__ += ["secure_tcp_seq", "secure_tcp_ts_off", "tw_kick"]
