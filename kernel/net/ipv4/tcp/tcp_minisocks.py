"""TIME-WAIT minisockets (net/ipv4/tcp_minisocks.c, inet_timewait_sock.c; RFC 9293 3.6.1, RFC 6191).

When a connection enters TIME-WAIT (the core's "timewait" event) ``tcp_time_wait(sk)``
hands its 4-tuple to a ``TcpTimewaitSock``: it takes the socket's place in
the established table and joins the port's bind bucket (so bind() and
connect() see the port taken, with the socket's SO_REUSEADDR /
SO_REUSEPORT / device / uid), while the socket itself goes to CLOSE
(tcp_done: its own port is released unless bind() locked it).  The
connection (``tp``) keeps answering in TIME-WAIT (re-ACKing a retransmitted
FIN, RST handling per net.ipv4.tcp_rfc1337) through the minisock.  After
TCP_TIMEWAIT_LEN (60 s on the injected clock, from entry -- or the core's
``tw_timeout`` when it sets one) ``inet_twsk_kill`` releases tuple and port.

A SYN that may reopen the tuple (the core's "tw_syn" event, TCP_TW_SYN)
is tcp_v4_rcv's: the listener gets it with the ISN the event carries.
``tcp_twsk_unique``: may connect() reuse a TIME-WAIT tuple (timestamps seen;
net.ipv4.tcp_tw_reuse = 1, or 2 for loopback only; older than
net.ipv4.tcp_tw_reuse_delay ms; an explicitly bound port always may).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kernel.net.ipv4.inet_sock import ipv4_is_loopback
from kernel.net.ipv4.tcp.conn import TCP_TIMEWAIT_LEN, TcpConn
from kernel.net.ipv4.tcp.states import TCP_CLOSE, TCP_TIME_WAIT
from kernel.net.ipv4.tcp.tcp_sock import TcpSock, tcp_done, tcp_hashinfo, tcp_mib_add, tcp_transmit_raw

if TYPE_CHECKING:
    from kernel.clock import TimerHandle

__all__ = ["TcpTimewaitSock", "inet_twsk_kill", "tcp_time_wait", "tcp_twsk_unique",
           "tw_kick"]

LOOPBACK_IFINDEX = 1


class TcpTimewaitSock:
    """struct tcp_timewait_sock: what bind/connect/lookup need of a connection in TIME-WAIT."""

    sk_state = TCP_TIME_WAIT

    def __init__(self, sk: TcpSock, tp: TcpConn, now: float) -> None:
        self.net = sk.net
        self.host = sk.host
        self.tp = tp
        self.inet_rcv_saddr = sk.inet_rcv_saddr
        self.inet_saddr = sk.inet_saddr or sk.inet_rcv_saddr
        self.inet_num = sk.inet_num
        self.inet_daddr = sk.inet_daddr
        self.inet_dport = sk.inet_dport
        self.sk_bound_dev_if = sk.sk_bound_dev_if
        self.sk_reuse = sk.sk_reuse
        self.sk_reuseport = sk.sk_reuseport
        self.tw_uid = sk.sk_uid()
        self.tos = sk.tos
        self.sk_mark = sk.sk_mark
        self.tw_entry_stamp = now
        self.ehash_key = sk.ehash_key
        self.timer: TimerHandle | None = None
        self.expires = now + TCP_TIMEWAIT_LEN
        self.dead = False

    def sk_uid(self) -> int:
        return self.tw_uid

    @property
    def tw_snd_nxt(self) -> int:
        return self.tp.snd_nxt

    @property
    def tw_rcv_nxt(self) -> int:
        return self.tp.rcv_nxt

    @property
    def tw_ts_recent_stamp(self) -> float:
        return self.tp.ts_recent_stamp if self.tp.tstamp_ok else 0.0


def tcp_time_wait(sk: TcpSock) -> None:
    """tcp_time_wait: a minisock takes over the 4-tuple and the port; the socket is done."""
    tp = sk.tp
    if tp is None or sk.tw is not None or sk.ehash_key is None:
        return
    now = sk.host.clock.now()
    tw = TcpTimewaitSock(sk, tp, now)
    info = tcp_hashinfo(sk.net)
    info.ehash_add(sk.ehash_key, tw)
    if sk.bound_port:
        info.bind_add(tw, sk.bound_port)
    sk.tw = tw
    if sk.tcp_timer is not None:
        sk.tcp_timer.cancel()
        sk.tcp_timer = None
        sk.tcp_timer_when = None
    tcp_done(sk)
    _tw_arm(tw)


def _tw_deadline(tw: TcpTimewaitSock) -> float:
    core = tw.tp.tw_timeout
    return core if core is not None else tw.expires


def _tw_arm(tw: TcpTimewaitSock) -> None:
    if tw.timer is not None:
        tw.timer.cancel()
    tw.timer = tw.host.clock.call_at(_tw_deadline(tw), lambda: _tw_timer(tw))


def _tw_timer(tw: TcpTimewaitSock) -> None:
    tw.timer = None
    if tw.dead:
        return
    now = tw.host.clock.now()
    if tw.tp.tw_timeout is not None and tw.tp.state == TCP_TIME_WAIT:
        tw.tp.on_timer(now)
    if tw.tp.state != TCP_TIME_WAIT or now >= _tw_deadline(tw) or tw.tp.tw_timeout is None:
        tw_kick(tw, final=True)
        inet_twsk_kill(tw)
        return
    tw_kick(tw)


def tw_kick(tw: TcpTimewaitSock, final: bool = False) -> None:
    """After a call into a TIME-WAIT connection: send what it queued (re-ACKs, RST), count, re-arm or die."""
    tp = tw.tp
    out, tp.outbox = tp.outbox, []
    for seg in out:
        tcp_transmit_raw(tw.net, seg, tw.inet_saddr, tw.inet_daddr, tos=tw.tos, oif=tw.sk_bound_dev_if,
                         mark=tw.sk_mark)
    tp.events.clear()
    tcp_mib_add(tw.net, tp.mib)
    if final or tw.dead:
        return
    if tp.state == TCP_CLOSE:
        inet_twsk_kill(tw)
    elif tp.state == TCP_TIME_WAIT:
        _tw_arm(tw)


def inet_twsk_kill(tw: TcpTimewaitSock) -> None:
    """inet_twsk_kill: release the 4-tuple and the port."""
    if tw.dead:
        return
    tw.dead = True
    if tw.timer is not None:
        tw.timer.cancel()
        tw.timer = None
    info = tcp_hashinfo(tw.net)
    if tw.ehash_key is not None:
        info.ehash_remove(tw.ehash_key, tw)
    info.bind_remove(tw, tw.inet_num)


def tcp_twsk_unique(sk: TcpSock, tw: TcpTimewaitSock, autobind: bool) -> bool:
    """tcp_twsk_unique: may ``sk`` take ``tw``'s 4-tuple?  (the new connection's write_seq is the caller's)"""
    reuse = int(sk.host.sysctl.get("net.ipv4.tcp_tw_reuse", 2))
    if reuse == 2:
        loopback = tw.sk_bound_dev_if == LOOPBACK_IFINDEX or ipv4_is_loopback(tw.inet_daddr) \
            or ipv4_is_loopback(tw.inet_rcv_saddr)
        if not loopback:
            reuse = 0
    stamp = tw.tw_ts_recent_stamp
    delay = float(sk.host.sysctl.get("net.ipv4.tcp_tw_reuse_delay", 1000)) / 1000.0
    now = sk.host.clock.now()
    return bool(stamp) and (not autobind or (bool(reuse) and now > tw.tw_entry_stamp + delay))


def tw_lookup_any(net: Any, key: tuple[int, int, int, int]) -> TcpTimewaitSock | None:
    owner = tcp_hashinfo(net).ehash.get(key)
    return owner if isinstance(owner, TcpTimewaitSock) else None
