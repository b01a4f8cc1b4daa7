"""The TCP socket object and the one function that connects the sans-IO core to the stack.

``TcpSock`` (struct tcp_sock's socket half: an ``InetSock`` plus) holds

- ``tcp_params``: the ``TcpParams`` the core reads, made at creation from the
  namespace's net.ipv4.tcp_* sysctls (``tcp_params_from_sysctl``); the socket
  layer keeps the option fields current (TCP_NODELAY, SO_RCVBUF ...);
- ``tp``: the ``TcpConn`` (None until connect() or, for a child, the SYN);
  a listener keeps None;
- listener state (inet_connection_sock's icsk_accept_queue): the SYN queue
  ``syn_queue`` (children in SYN-RECEIVED, keyed by their 4-tuple), the
  accept queue ``icsk_accept_queue`` (children whose handshake completed,
  oldest first; ``sk_ack_backlog`` counts them), ``accept_waiters`` (the
  exclusive waiters of inet_csk_accept: a new child wakes ONE of them, as
  prepare_to_wait_exclusive does; pollers in ``sk_wq`` are all woken);
- ``listener``: for a child, the listening socket it belongs to while it is
  on a queue; ``tw``: the TIME-WAIT minisock that took over the 4-tuple.

``tcp_kick(sk)`` runs after ANY call into ``sk.tp`` (user calls, received
segments, timers): it transmits ``tp.outbox`` (``tcp_transmit``: the
segment's bytes with the socket's addresses, the IPv4 header as
ip_queue_xmit builds it -- DF unless IP_PMTUDISC_DONT/OMIT, the socket's
TTL and TOS, IP ID from inet_id -- on the socket's cached route), applies
``tp.events`` (sk_state mirrors tp.state; "error" sets sk_err and calls
error_report; "readable"/"writable"/"state" wake sk_wq; "connected" on a
child moves it from the SYN queue to the accept queue and wakes the
listener; "timewait" hands the 4-tuple to a TIME-WAIT minisock;
"closed" unhashes and frees the port unless bind() locked it), adds
``tp.mib`` to the namespace's Tcp / TcpExt MIB and (re)arms one clock timer
at ``tp.next_timer()`` that calls ``tp.on_timer(now)`` then ``tcp_kick``.
It is reentrant-safe (a loopback segment may come back while it transmits):
a nested call only asks the running one to loop again.

The per-namespace tables (net/ipv4/inet_hashtables.c's inet_hashinfo) are
``tcp_hashinfo(net)``: ``ehash`` (4-tuple -> socket or TIME-WAIT minisock),
``bhash`` (port -> bind bucket: everything that holds the port) and
``lhash`` (port -> listeners).  tcp_ipv4.py, inet_connection_sock.py and
tcp_minisocks.py fill and consult them.

Notes for the socket layer (tcp.py): a socket whose connection went to
TIME-WAIT has ``sk.tw`` set and ``sk_state`` CLOSE (Linux's tcp_time_wait +
tcp_done); its ``tp`` still holds unread data but belongs to the minisock:
do not call state-changing tp methods on it (close / shutdown / abort).
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from kernel import uapi
from kernel.net.ipv4.inet_sock import SOCK_BINDPORT_LOCK, InetSock, ip_select_ttl
from kernel.net.ipv4.tcp.conn import TCP_MSS_DEFAULT, TcpConn, TcpEvent, TcpParams
from kernel.net.ipv4.tcp.segment import TcpSegment, seg_header, seg_to_bytes
from kernel.net.ipv4.tcp.states import TCP_CLOSE, TCP_ESTABLISHED, TCP_SYN_RECV, TCP_TIME_WAIT
from kernel.net.sock import SEND_SHUTDOWN, SHUTDOWN_MASK, SOCK_DEAD, Proto

if TYPE_CHECKING:
    from kernel.clock import TimerHandle
    from kernel.host import Host
    from kernel.net.core.skbuff import SkBuff

__all__ = [
    "TcpHashinfo", "TcpKept", "TcpSock", "lock_sock", "release_sock", "tcp_hashinfo", "tcp_kick", "tcp_mib_add", "tcp_params_from_sysctl", "tcp_transmit",
    "tcp_transmit_raw",
]

# /proc/net/snmp's Tcp: line; everything else a core counts is a TcpExt: (/proc/net/netstat) name
TCP_MIB_FIELDS = frozenset((
    "RtoAlgorithm", "RtoMin", "RtoMax", "MaxConn", "ActiveOpens", "PassiveOpens", "AttemptFails",
    "EstabResets", "CurrEstab", "InSegs", "OutSegs", "RetransSegs", "InErrs", "OutRsts", "InCsumErrors",
))

MAX_TCP_HEADER = 128 + 32  # headroom Linux reserves (MAX_TCP_HEADER): link + IP + TCP with options


def tcp_params_from_sysctl(sysctl: dict[str, Any]) -> TcpParams:
    """A fresh TcpParams from the namespace's net.ipv4.tcp_* values (tcp_init_sock + the sysctl reads)."""
    def g(name: str, default: Any) -> Any:
        return sysctl.get("net.ipv4." + name, default)

    p = TcpParams()
    p.syn_retries = int(g("tcp_syn_retries", p.syn_retries))
    p.synack_retries = int(g("tcp_synack_retries", p.synack_retries))
    p.retries1 = int(g("tcp_retries1", p.retries1))
    p.retries2 = int(g("tcp_retries2", p.retries2))
    p.orphan_retries = int(g("tcp_orphan_retries", p.orphan_retries))
    p.fin_timeout = float(g("tcp_fin_timeout", p.fin_timeout))
    p.keepalive_time = float(g("tcp_keepalive_time", p.keepalive_time))
    p.keepalive_intvl = float(g("tcp_keepalive_intvl", p.keepalive_intvl))
    p.keepalive_probes = int(g("tcp_keepalive_probes", p.keepalive_probes))
    p.timestamps = int(g("tcp_timestamps", p.timestamps))
    p.window_scaling = bool(g("tcp_window_scaling", p.window_scaling))
    p.sack = bool(g("tcp_sack", p.sack))
    p.dsack = bool(g("tcp_dsack", p.dsack))
    p.rmem = tuple(int(x) for x in g("tcp_rmem", p.rmem))  # type: ignore[assignment]
    p.wmem = tuple(int(x) for x in g("tcp_wmem", p.wmem))  # type: ignore[assignment]
    p.moderate_rcvbuf = bool(g("tcp_moderate_rcvbuf", p.moderate_rcvbuf))
    p.adv_win_scale = int(g("tcp_adv_win_scale", p.adv_win_scale))
    p.app_win = int(g("tcp_app_win", p.app_win))
    p.rfc1337 = bool(g("tcp_rfc1337", p.rfc1337))
    p.abort_on_overflow = bool(g("tcp_abort_on_overflow", p.abort_on_overflow))
    p.base_mss = int(g("tcp_base_mss", p.base_mss))
    p.mtu_probing = int(g("tcp_mtu_probing", p.mtu_probing))
    p.min_snd_mss = int(g("tcp_min_snd_mss", p.min_snd_mss))
    p.reordering = int(g("tcp_reordering", p.reordering))
    p.max_reordering = int(g("tcp_max_reordering", p.max_reordering))
    p.recovery = int(g("tcp_recovery", p.recovery))
    p.early_retrans = int(g("tcp_early_retrans", p.early_retrans))
    p.frto = int(g("tcp_frto", p.frto))
    p.slow_start_after_idle = bool(g("tcp_slow_start_after_idle", p.slow_start_after_idle))
    p.no_metrics_save = bool(g("tcp_no_metrics_save", p.no_metrics_save))
    p.tw_reuse = int(g("tcp_tw_reuse", p.tw_reuse))
    p.challenge_ack_limit = int(g("tcp_challenge_ack_limit", p.challenge_ack_limit))
    p.invalid_ratelimit = float(g("tcp_invalid_ratelimit", p.invalid_ratelimit * 1000)) / 1000.0
    p.congestion_control = str(g("tcp_congestion_control", p.congestion_control))
    p.thin_linear_timeouts = bool(g("tcp_thin_linear_timeouts", p.thin_linear_timeouts))
    lowat = int(g("tcp_notsent_lowat", 0xFFFFFFFF))
    p.notsent_lowat = 0 if lowat >= 0xFFFFFFFF else lowat
    # tcp_init_sock: the buffers start at tcp_wmem[1] / tcp_rmem[1]
    p.sndbuf = p.wmem[1]
    p.rcvbuf = p.rmem[1]
    return p


# --- the per-namespace tables -----------------------------------------------------------------

@dataclass(eq=False)
class InetBindBucket:
    """struct inet_bind_bucket (+ its owners): who holds a local port (sockets and TIME-WAIT minisocks)."""

    port: int
    owners: list[Any] = field(default_factory=list)  # newest first, as sk_add_bind_node does
    fastreuse: int = -1  # -1: made by connect()'s autobind (inet_hash_connect may share it); >= 0: by bind()
    fastreuseport: int = -1


class TcpHashinfo:
    """inet_hashinfo of one namespace: established (incl. SYN-RECV children and TIME-WAIT), bind, listen."""

    def __init__(self) -> None:
        # (local addr, local port, remote addr, remote port) -> TcpSock or TcpTimewaitSock
        self.ehash: dict[tuple[int, int, int, int], Any] = {}
        self.bhash: dict[int, InetBindBucket] = {}
        self.lhash: dict[int, list[TcpSock]] = {}  # port -> listening sockets, newest first

    def bind_add(self, owner: Any, port: int) -> None:
        tb = self.bhash.get(port)
        if tb is None:
            tb = self.bhash[port] = InetBindBucket(port)
        if owner not in tb.owners:
            tb.owners.insert(0, owner)

    def bind_remove(self, owner: Any, port: int) -> None:
        tb = self.bhash.get(port)
        if tb is None:
            return
        if owner in tb.owners:
            tb.owners.remove(owner)
        if not tb.owners:
            del self.bhash[port]

    def ehash_add(self, key: tuple[int, int, int, int], owner: Any) -> None:
        self.ehash[key] = owner

    def ehash_remove(self, key: tuple[int, int, int, int], owner: Any) -> None:
        if self.ehash.get(key) is owner:
            del self.ehash[key]

    def all_socks(self) -> list[Any]:
        """Listeners then the established table (what /proc/net/tcp walks)."""
        out: list[Any] = [sk for port in sorted(self.lhash) for sk in self.lhash[port]]
        out.extend(self.ehash.values())
        return out


def tcp_hashinfo(net: Any) -> TcpHashinfo:
    """The namespace's TCP tables, made on first use."""
    info: TcpHashinfo | None = getattr(net, "_tcp_hashinfo", None)
    if info is None:
        info = TcpHashinfo()
        setattr(net, "_tcp_hashinfo", info)  # noqa: B010  (struct net slot owned by this module)
    return info


def tcp_mib_add(net: Any, counts: dict[str, int]) -> None:
    """Add a core's counter increments to the namespace's Tcp: / TcpExt: MIB."""
    if not counts:
        return
    ext = net.mib.setdefault("TcpExt", {})
    tcp = net.mib["Tcp"]
    for name, n in counts.items():
        if name in TCP_MIB_FIELDS:
            tcp[name] = tcp.get(name, 0) + n
        else:
            ext[name] = ext.get(name, 0) + n
    counts.clear()


# --- the socket ------------------------------------------------------------------------------

@dataclass(slots=True)
class TcpKept:
    """What struct tcp_sock still holds while the socket has no connection (``sk.tp`` None): tcp_init_sock's
    values, then what tcp_disconnect leaves (it keeps the tcp_sock; this emulation drops the ``TcpConn``).

    tcp_disconnect moves ``write_seq`` on by max_window + 2 (1 if that wraps to 0) and leaves ``snd_nxt`` /
    ``snd_una``: the next connect() starts its ISS there (tcp_v4_connect picks one only while write_seq is 0),
    and meanwhile TCP_NOTSENT_LOWAT's poll test, SIOCOUTQ / SIOCOUTQNSD and tcpi_notsent_bytes see the gap.
    ``mss_cache`` is TCP_MAXSEG's answer (tcp_connect_init's MSS survives), ``rcv_mss`` becomes TCP_MIN_MSS;
    the route and window fields are TCP_INFO's."""

    write_seq: int = 0
    snd_nxt: int = 0
    snd_una: int = 0
    max_window: int = 0
    mss_cache: int = TCP_MSS_DEFAULT
    rcv_mss: int = 0
    pmtu: int = 0
    advmss: int = 0
    rcv_ssthresh: int = 0
    rcv_wnd: int = 0


class TcpSock(InetSock):
    """struct tcp_sock (the socket half; the protocol state is ``tp``)."""

    # fields in slots (no per-instance dict for them: issue #8's memory per idle socket)
    __slots__ = ("tcp_params", "sk_sndbuf", "sk_rcvbuf", "tp", "syn_queue", "listener", "tcp_kept",
                 "tcp_defer_connect", "tw", "ehash_key", "bound_port", "tcp_timer", "tcp_timer_when", "kicking",
                 "kick_again", "sock_owned", "sk_backlog")


    # a listener's queues, allocated on first use (most sockets never listen)
    @cached_property
    def icsk_accept_queue(self) -> deque[TcpSock]:
        return deque()

    @cached_property
    def accept_waiters(self) -> deque[Any]:
        """Exclusive waiters: callables woken one at a time."""
        return deque()

    def __init__(self, host: Host, type_: int, protocol: int, prot: Proto) -> None:
        super().__init__(host, type_, protocol, prot)
        self.tcp_params: TcpParams = tcp_params_from_sysctl(host.sysctl)
        self.sk_sndbuf = self.tcp_params.sndbuf
        self.sk_rcvbuf = self.tcp_params.rcvbuf
        self.tp: TcpConn | None = None
        self.tcp_kept = TcpKept()  # the tcp_sock fields Linux keeps while there is no connection
        # listener (inet_connection_sock's icsk_accept_queue)
        self.syn_queue: dict[tuple[int, int, int, int], TcpSock] = {}
        self.listener: TcpSock | None = None  # a child's listener while it is on the SYN or accept queue
        self.tcp_defer_connect = False  # TCP_FASTOPEN_CONNECT (kept for the socket layer)
        self.tw: Any = None  # the TIME-WAIT minisock that took over this socket's 4-tuple
        self.ehash_key: tuple[int, int, int, int] | None = None
        self.bound_port = 0  # the port this socket holds in bhash (0: none)
        self.tcp_timer: TimerHandle | None = None
        self.tcp_timer_when: float | None = None
        self.kicking = False
        self.kick_again = False
        # lock_sock: while a syscall owns the socket, arriving segments wait on sk_backlog (release_sock)
        self.sock_owned = False
        self.sk_backlog: list[Any] = []

    @property
    def net(self) -> Any:
        return self.host.netns


def lock_sock(sk: TcpSock) -> None:
    """lock_sock: segments for this socket now queue on sk_backlog (as Linux's softirq does while a
    process owns the socket), so e.g. a nonblocking connect over loopback still says EINPROGRESS."""
    sk.sock_owned = True


def release_sock(sk: TcpSock) -> None:
    """release_sock: process what arrived meanwhile (tcp_v4_do_rcv of each backlogged segment)."""
    sk.sock_owned = False
    while sk.sk_backlog and not sk.sock_owned:
        seg, now = sk.sk_backlog.pop(0)
        tp = sk.tp
        if tp is None:
            continue
        from kernel.net.ipv4.tcp.tcp_ipv4 import tcp_deliver

        tcp_deliver(tp, seg, now)
        tcp_kick(sk)


# --- output ----------------------------------------------------------------------------------

def _ip_dont_fragment(sk: InetSock) -> bool:
    """ip_dont_fragment: DF for IP_PMTUDISC_DO/PROBE, and WANT (the default) unless the route's MTU is locked."""
    return sk.pmtudisc in (uapi.IP_PMTUDISC_DO, uapi.IP_PMTUDISC_PROBE, uapi.IP_PMTUDISC_WANT)


def _tcp_route(sk: TcpSock) -> Any:
    """The socket's cached route to its peer, looked up again when there is none (-errno on failure)."""
    from kernel.net.ipv4 import route

    rt = sk.sk_dst_cache
    if rt is not None and sk.cork_fl is not None:
        return rt
    fl4 = route.Flowi4(daddr=sk.inet_daddr, saddr=sk.inet_saddr, tos=sk.tos & 0x1C, oif=sk.sk_bound_dev_if,
                       proto=uapi.IPPROTO_TCP, sport=sk.inet_sport, dport=sk.inet_dport, mark=sk.sk_mark)
    rt = route.ip_route_output_key(sk.net, fl4)
    if isinstance(rt, int):
        return rt
    sk.cork_fl = fl4
    sk.sk_dst_cache = rt
    return rt


GSO_MAX_PAYLOAD = 65535 - 20 - 60  # an IPv4 total length with the largest headers


def tcp_build_skb(seg: TcpSegment, saddr: int, daddr: int) -> SkBuff:
    """The segment written straight into a new skb, CHECKSUM_PARTIAL (tcp_v4_send_check: the field holds
    the pseudo-header sum; the device or skb_checksum_help completes it -- see kernel.net.core.skbuff)."""
    from kernel.net.core.skbuff import CHECKSUM_PARTIAL, alloc_skb
    from kernel.net.wire.checksum import fold, pseudo_header_sum

    h = seg_header(seg)
    payload = seg.payload
    hl = h.header_len()
    n = hl + len(payload)
    skb = alloc_skb(n, MAX_TCP_HEADER)
    off = skb.put(n)
    with memoryview(skb.head) as whole, whole[off:off + n] as buf:
        if payload:
            buf[hl:] = payload
        h.emit(buf, saddr, daddr, len(payload), checksum=False)
        pseudo = pseudo_header_sum(saddr, daddr, uapi.IPPROTO_TCP, n)
        f = fold(pseudo)
        buf[16] = f >> 8
        buf[17] = f & 0xFF
    skb.ip_summed = CHECKSUM_PARTIAL
    skb.csum_start, skb.csum_offset, skb.csum = off, 16, pseudo
    return skb


def tcp_transmit(sk: TcpSock, seg: TcpSegment) -> int:
    """tcp_transmit_skb's IP half (ip_queue_xmit): header and route of the socket; 0 or -errno."""
    from kernel.net.ipv4.ip_output import ip_build_xmit

    rt = _tcp_route(sk)
    if isinstance(rt, int):
        if rt == -uapi.ENETUNREACH:
            sk.net.snmp_inc("Ip", "OutNoRoutes")
        return rt
    saddr = sk.inet_saddr or sk.cork_fl.saddr
    skb = tcp_build_skb(seg, saddr, sk.inet_daddr)
    skb.sk = sk
    df = _ip_dont_fragment(sk)
    dev = rt.dev
    # TSO (sk_can_gso): the device carries super-segments and no qdisc wants real segments
    tp = sk.tp
    if tp is not None:
        tp.gso_max_size = GSO_MAX_PAYLOAD if dev.tso and dev.qdisc is None else 0
    if seg.gso_size:
        skb.gso_size = seg.gso_size
        skb.gso_segs = -(-len(seg.payload) // seg.gso_size)
    ip_id = sk.inet_id & 0xFFFF  # ip_select_ident_segs: a TCP socket's own counter, one per segment
    sk.inet_id = (sk.inet_id + max(1, skb.gso_segs)) & 0xFFFF
    fl4 = sk.cork_fl
    return int(ip_build_xmit(sk.net, skb, rt=rt, fl4=fl4, proto=uapi.IPPROTO_TCP, ttl=ip_select_ttl(sk, rt),
                             tos=sk.tos, df=df, opt=sk.inet_opt, sk=sk, ip_id=ip_id if df else None,
                             ignore_df=not df))


def tcp_transmit_raw(net: Any, seg: TcpSegment, saddr: int, daddr: int, *, tos: int = 0, oif: int = 0,
                     mark: int = 0) -> int:
    """ip_send_unicast_reply for segments with no socket (RSTs, TIME-WAIT ACKs): DF, ID 0, default TTL."""
    from kernel.net.core.skbuff import alloc_skb
    from kernel.net.ipv4 import route
    from kernel.net.ipv4.ip_output import ip_build_xmit

    fl4 = route.Flowi4(daddr=daddr, saddr=saddr, tos=tos & 0x1C, oif=oif, proto=uapi.IPPROTO_TCP,
                       sport=seg.sport, dport=seg.dport, mark=mark, flags=0x01)  # FLOWI_FLAG_ANYSRC
    rt = route.ip_route_output_key(net, fl4)
    if isinstance(rt, int):
        return rt
    data = seg_to_bytes(seg, saddr, daddr)
    skb = alloc_skb(len(data), MAX_TCP_HEADER)
    skb.put_data(data)
    ttl = int(net.sysctl["net.ipv4.ip_default_ttl"])
    return int(ip_build_xmit(net, skb, rt=rt, fl4=fl4, proto=uapi.IPPROTO_TCP, ttl=ttl, tos=tos & ~3, df=True,
                             ip_id=0))


# --- the kick --------------------------------------------------------------------------------

def tcp_kick(sk: TcpSock) -> None:
    """Transmit, apply events, count, and re-arm the timer after a call into ``sk.tp``."""
    if sk.kicking:
        sk.kick_again = True
        return
    sk.kicking = True
    try:
        while True:
            sk.kick_again = False
            tp = sk.tp
            if tp is None:
                break
            if tp.outbox:
                out, tp.outbox = tp.outbox, []
                for seg in out:
                    tcp_transmit(sk, seg)
            if tp.events:
                evs, tp.events = tp.events, []
                for ev in evs:
                    _tcp_apply_event(sk, tp, ev)
            tcp_mib_add(sk.net, tp.mib)
            if not (sk.kick_again or (sk.tp is not None and (sk.tp.outbox or sk.tp.events))):
                break
    finally:
        sk.kicking = False
    tp = sk.tp
    if tp is not None and sk.tw is None:
        # the core grows the buffers in its params (tcp_sndbuf_expand, DRS's tcp_rcv_space_adjust); Linux
        # writes sk_sndbuf / sk_rcvbuf themselves, which SO_SNDBUF / SO_RCVBUF report
        sk.sk_sndbuf = tp.params.sndbuf
        sk.sk_rcvbuf = tp.params.rcvbuf
    tcp_arm_timer(sk)


def tcp_arm_timer(sk: TcpSock) -> None:
    """One clock timer per socket at tp.next_timer() (none once the connection is gone or TIME-WAIT's)."""
    tp = sk.tp
    when = tp.next_timer() if tp is not None and sk.tw is None and tp.state != TCP_CLOSE else None
    if when == sk.tcp_timer_when and (when is None or sk.tcp_timer is not None):
        return
    if sk.tcp_timer is not None:
        sk.tcp_timer.cancel()
        sk.tcp_timer = None
    sk.tcp_timer_when = when
    if when is not None:
        sk.tcp_timer = sk.host.clock.call_at(when, lambda: _tcp_timer_fire(sk))


def _tcp_timer_fire(sk: TcpSock) -> None:
    sk.tcp_timer = None
    sk.tcp_timer_when = None
    tp = sk.tp
    if tp is None or sk.tw is not None:
        return
    tp.on_timer(sk.host.clock.now())
    tcp_kick(sk)


def _tcp_apply_event(sk: TcpSock, tp: TcpConn, ev: TcpEvent) -> None:
    kind = ev.kind
    if kind == "state":
        if sk.tw is None and ev.new != TCP_TIME_WAIT:
            sk.sk_state = ev.new
        if not sk.sock_flag(SOCK_DEAD):
            sk.state_change()
        if ev.old == TCP_SYN_RECV and ev.new == TCP_ESTABLISHED and sk.sk_shutdown & SEND_SHUTDOWN:
            # tcp_rcv_state_process's SYN-RECV -> ESTABLISHED: a shutdown(SHUT_WR) made before (a child
            # inherits its listener's; a simultaneous open keeps its own) sends the FIN now
            tp.shutdown_send(sk.host.clock.now())
    elif kind == "connected":
        lsk = sk.listener
        if lsk is not None and sk.ehash_key in lsk.syn_queue:
            from kernel.net.ipv4.tcp.inet_connection_sock import inet_csk_reqsk_queue_add

            inet_csk_reqsk_queue_add(lsk, sk)
        else:  # (sock->state is inet_stream_connect's business, as in Linux)
            if not sk.sock_flag(SOCK_DEAD):
                sk.state_change()
                sk.write_space()
    elif kind == "readable":
        if not sk.sock_flag(SOCK_DEAD):
            sk.data_ready()
    elif kind == "writable":
        if not sk.sock_flag(SOCK_DEAD):
            sk.write_space()
    elif kind == "urgent":
        _sk_send_sigurg(sk)
    elif kind == "error":
        sk.sk_err = ev.err
        if not sk.sock_flag(SOCK_DEAD):
            sk.error_report()
    elif kind == "timewait":
        from kernel.net.ipv4.tcp.tcp_minisocks import tcp_time_wait

        tcp_time_wait(sk)
    elif kind == "closed":
        tcp_done(sk)


def _sk_send_sigurg(sk: TcpSock) -> None:
    """sk_send_sigurg: SIGURG to the socket's owner (the emulation reports it as a SIGIO band POLLPRI)."""
    sock = sk.sk_socket
    if sock is None or sock.file is None:
        return
    sk.wake(uapi.POLLPRI | uapi.POLLRDBAND)


def tcp_done(sk: TcpSock) -> None:
    """tcp_done + tcp_set_state(TCP_CLOSE): unhash, free the port unless bind() locked it, wake everyone."""
    sk.sk_state = TCP_CLOSE
    sk.sk_shutdown = SHUTDOWN_MASK  # tcp_done (kept when a TIME-WAIT minisock takes the connection over)
    info = tcp_hashinfo(sk.net)
    if sk.ehash_key is not None and sk.tw is None:
        info.ehash_remove(sk.ehash_key, sk)
    sk.ehash_key = None
    lsk = sk.listener
    if lsk is not None:  # a child that died on the SYN queue or the accept queue
        from kernel.net.ipv4.tcp.inet_connection_sock import inet_csk_reqsk_queue_drop

        inet_csk_reqsk_queue_drop(lsk, sk)
    if sk.bound_port and (sk.sock_flag(SOCK_DEAD) or not sk.sk_userlocks & SOCK_BINDPORT_LOCK):
        info.bind_remove(sk, sk.bound_port)
        sk.bound_port = 0
        sk.inet_num = 0  # __inet_put_port; inet_sport stays for getsockname, a later bind/connect picks anew
    if not sk.sock_flag(SOCK_DEAD):
        sk.state_change()
    if sk.tcp_timer is not None and sk.tw is None:
        sk.tcp_timer.cancel()
        sk.tcp_timer = None
        sk.tcp_timer_when = None


# --- a minimal struct proto until SOCK's tcp.py provides tcp_prot -----------------------------

def _minimal_proto() -> Any:
    from kernel.net.ipv4.af_inet import InetProto

    class TcpProtoMinimal(InetProto):
        """Stands in for tcp.py's tcp_prot (ports, hashing and connect only) until it lands."""

        name = "TCP"

        def get_port(self, sk: InetSock, snum: int) -> int:
            from kernel.net.ipv4.tcp.inet_connection_sock import inet_csk_get_port

            return inet_csk_get_port(sk, snum)

        def unhash(self, sk: InetSock) -> None:
            from kernel.net.ipv4.tcp.inet_connection_sock import inet_unhash

            inet_unhash(sk)

        def connect(self, sk: InetSock, addr: bytes) -> int:
            from kernel.net.ipv4.tcp.tcp_ipv4 import tcp_v4_connect

            assert isinstance(sk, TcpSock)
            return tcp_v4_connect(sk, addr)

    return TcpProtoMinimal()


tcp_prot_minimal: Any = _minimal_proto()
