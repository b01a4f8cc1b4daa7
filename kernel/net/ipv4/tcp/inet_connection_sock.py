"""Ports, listening and accepting for connection sockets (net/ipv4/inet_connection_sock.c, inet_hashtables.c).

Ports live in the namespace's bind table (``tcp_hashinfo(net).bhash``: one
bucket per port, its owners newest first: sockets and TIME-WAIT minisocks).

- ``inet_csk_get_port(sk, snum)``: bind.  An explicit port conflicts with an
  owner on the same or a wildcard address and a compatible device
  (``inet_bind_conflict``, Linux 6.x) unless both set SO_REUSEADDR and the
  owner is not listening, or both set SO_REUSEPORT and belong to the same
  uid (or the owner is a TIME-WAIT minisock); listen() asks again with the
  socket in LISTEN.  Port 0 (``inet_csk_find_open_port``): a random odd
  offset into ip_local_port_range (connect() favours the even ports), the
  lower half first for SO_REUSEADDR sockets, no sharing at all
  (``relax`` false); -EADDRINUSE when nothing is free.
- ``inet_put_port`` / ``inet_unhash`` / ``inet_hash``: the tables.
- ``inet_csk_listen_start(sk)``: LISTEN, the port re-checked, hashed in the
  listening table.  ``sk_acceptq_is_full``: ack_backlog > max_ack_backlog
  (the accept queue holds backlog + 1).
- ``inet_csk_reqsk_queue_add`` (a child's handshake completed: SYN queue ->
  accept queue, the listener woken: pollers all, ONE exclusive accepter),
  ``inet_csk_reqsk_queue_drop`` (a child died on a queue).
- ``inet_csk_accept(proc, sk, flags)``: the oldest child; EINVAL unless
  listening, EAGAIN nonblocking (or SO_RCVTIMEO expiring), blocking with an
  exclusive wait (cancellation propagates: the caller's EINTR).
- ``inet_csk_listen_stop(sk)``: close(): every child on either queue is
  aborted (RST for the established ones, as tcp_disconnect does).
"""
from __future__ import annotations

import asyncio
import math
from typing import TYPE_CHECKING, Any

from kernel import uapi
from kernel.net.ipv4.inet_hashtables import inet_rcv_saddr_equal, inet_sk_get_local_port_range
from kernel.net.ipv4.inet_sock import InetSock
from kernel.net.ipv4.tcp.states import TCP_CLOSE, TCP_LISTEN, TCP_TIME_WAIT
from kernel.net.ipv4.tcp.tcp_sock import InetBindBucket, TcpSock, tcp_hashinfo, tcp_kick
from kernel.net.sock import SOCK_DEAD

if TYPE_CHECKING:
    from kernel.process import Process

__all__ = [
    "inet_bind_conflict", "inet_csk_accept", "inet_csk_bind_conflict", "inet_csk_get_port", "inet_csk_listen_start",
    "inet_csk_listen_stop", "inet_csk_reqsk_queue_add", "inet_csk_reqsk_queue_drop", "inet_hash", "inet_put_port",
    "inet_unhash", "sk_acceptq_is_full",
]

SK_CAN_REUSE = 1


def _uid(sk: Any) -> int:
    fn = getattr(sk, "sk_uid", None)
    return int(fn()) if callable(fn) else int(getattr(sk, "tw_uid", 0))


def inet_bind_conflict(sk: InetSock, sk2: Any, uid: int, relax: bool, reuseport_ok: bool) -> bool:
    """inet_bind_conflict (6.x): may ``sk`` not share a port with ``sk2``? (addresses are checked by the caller)"""
    if sk is sk2:
        return False
    dev2 = sk2.sk_bound_dev_if
    if sk.sk_bound_dev_if and dev2 and sk.sk_bound_dev_if != dev2:
        return False
    tw2 = sk2.sk_state == TCP_TIME_WAIT
    same_owner = tw2 or uid == _uid(sk2)
    if sk.sk_reuse and sk2.sk_reuse and sk2.sk_state != TCP_LISTEN:
        return (not relax) or (not reuseport_ok and bool(sk.sk_reuseport and sk2.sk_reuseport) and same_owner)
    if not reuseport_ok or not sk.sk_reuseport or not sk2.sk_reuseport or not same_owner:
        return True
    return False


def inet_csk_bind_conflict(sk: InetSock, tb: InetBindBucket, relax: bool, reuseport_ok: bool) -> bool:
    uid = sk.sk_uid()
    for sk2 in tb.owners:
        if inet_bind_conflict(sk, sk2, uid, relax, reuseport_ok) and \
                inet_rcv_saddr_equal(sk.inet_rcv_saddr, sk2.inet_rcv_saddr):
            return True
    return False


def _reserved(net: Any, port: int) -> bool:
    """inet_is_local_reserved_port (net.ipv4.ip_local_reserved_ports)."""
    reserved = net.sysctl.get("net.ipv4.ip_local_reserved_ports", ())
    return port in reserved if reserved else False


def inet_csk_find_open_port(sk: InetSock) -> int:
    """inet_csk_find_open_port: a free port for bind(port 0), odd offsets first; 0 when none."""
    net = sk.net
    info = tcp_hashinfo(net)
    attempt_half = 1 if sk.sk_reuse == SK_CAN_REUSE else 0
    relax = False
    while True:  # ports_exhausted / other_half_scan
        low, high = inet_sk_get_local_port_range(sk)
        high += 1
        if high - low < 4:
            attempt_half = 0
        if attempt_half:
            half = low + (((high - low) >> 2) << 1)
            if attempt_half == 1:
                high = half
            else:
                low = half
        remaining = high - low
        if remaining > 1:
            remaining &= ~1
        if remaining <= 0:
            return 0
        offset = net.rng.randrange(remaining) | 1
        while True:  # other_parity_scan
            port = low + offset
            for _ in range(0, remaining, 2):
                if port >= high:
                    port -= remaining
                if not _reserved(net, port):
                    tb = info.bhash.get(port)
                    if tb is None or not inet_csk_bind_conflict(sk, tb, relax, False):
                        return port
                port += 2
            offset -= 1
            if offset & 1:
                break
        if attempt_half == 1:
            attempt_half = 2
            continue
        if net.sysctl.get("net.ipv4.ip_autobind_reuse", 0) and not relax:
            relax = True
            attempt_half = 1 if sk.sk_reuse == SK_CAN_REUSE else 0
            continue
        return 0


def inet_csk_get_port(sk: InetSock, snum: int) -> int:
    """inet_csk_get_port: take ``snum`` (0: an ephemeral one) for ``sk``; 0 or -EADDRINUSE."""
    assert isinstance(sk, TcpSock)
    info = tcp_hashinfo(sk.net)
    port = snum
    reuse = bool(sk.sk_reuse) and sk.sk_state != TCP_LISTEN
    if not port:
        port = inet_csk_find_open_port(sk)
        if not port:
            return -uapi.EADDRINUSE
    else:
        tb = info.bhash.get(port)
        if tb is not None and tb.owners and inet_csk_bind_conflict(sk, tb, True, True):
            return -uapi.EADDRINUSE
    tb = info.bhash.get(port)
    if tb is None or not tb.owners:
        info.bind_add(sk, port)
        tb = info.bhash[port]
        tb.fastreuse = 1 if reuse else 0
        tb.fastreuseport = 1 if sk.sk_reuseport else 0
    elif sk.bound_port != port:
        if not reuse:
            tb.fastreuse = 0
        if not sk.sk_reuseport:
            tb.fastreuseport = 0
    if sk.bound_port != port:
        if sk.bound_port:
            info.bind_remove(sk, sk.bound_port)
        info.bind_add(sk, port)
        sk.bound_port = port
    sk.inet_num = port
    return 0


def inet_put_port(sk: InetSock) -> None:
    """inet_put_port: leave the port's bucket (the bucket goes with its last owner)."""
    assert isinstance(sk, TcpSock)
    if sk.bound_port:
        tcp_hashinfo(sk.net).bind_remove(sk, sk.bound_port)
        sk.bound_port = 0
    sk.inet_num = 0


def inet_hash(sk: InetSock) -> int:
    """inet_hash: a listener joins the listening table (its port's list, newest first)."""
    assert isinstance(sk, TcpSock)
    if sk.sk_state == TCP_LISTEN:
        chain = tcp_hashinfo(sk.net).lhash.setdefault(sk.inet_num, [])
        if sk not in chain:
            chain.insert(0, sk)
    return 0


def inet_unhash(sk: InetSock) -> None:
    """inet_unhash: out of the listening or established table.  The port is inet_put_port's, except for a
    socket the user closed (SOCK_DEAD: inet_csk_destroy_sock's tcp_v4_destroy_sock puts it)."""
    assert isinstance(sk, TcpSock)
    info = tcp_hashinfo(sk.net)
    if sk.sock_flag(SOCK_DEAD) and (sk.tp is None or sk.tp.state == TCP_CLOSE or sk.tw is not None):
        if sk.bound_port:
            info.bind_remove(sk, sk.bound_port)
            sk.bound_port = 0
    for port, chain in list(info.lhash.items()):
        if sk in chain:
            chain.remove(sk)
            if not chain:
                del info.lhash[port]
    if sk.ehash_key is not None and sk.tw is None:
        info.ehash_remove(sk.ehash_key, sk)
        sk.ehash_key = None


def sk_acceptq_is_full(sk: InetSock) -> bool:
    return sk.sk_ack_backlog > sk.sk_max_ack_backlog


def inet_csk_listen_start(sk: InetSock) -> int:
    """inet_csk_listen_start: LISTEN, the port checked again (or an ephemeral one), hashed."""
    assert isinstance(sk, TcpSock)
    sk.sk_ack_backlog = 0
    sk.tcp_pingpong = False  # type: ignore[attr-defined]  # inet_csk_delack_init: TCP_QUICKACK reads 1 again
    old = sk.sk_state
    sk.sk_state = TCP_LISTEN
    err = inet_csk_get_port(sk, sk.inet_num)
    if not err:
        sk.inet_sport = sk.inet_num
        sk.sk_dst_cache = None
        err = inet_hash(sk)
        if not err:
            return 0
    sk.sk_state = old if old != TCP_LISTEN else TCP_CLOSE
    return err if err < 0 else -uapi.EADDRINUSE


def inet_csk_reqsk_queue_add(lsk: TcpSock, child: TcpSock) -> None:
    """The child's handshake completed: from the SYN queue to the accept queue; wake the listener."""
    key = child.ehash_key
    if key is not None:
        lsk.syn_queue.pop(key, None)
    if lsk.sk_state != TCP_LISTEN:  # the listener went away meanwhile
        child.listener = None
        _abort_child(child)
        return
    lsk.icsk_accept_queue.append(child)
    lsk.sk_ack_backlog += 1
    # sk_data_ready of a listener: every poller, and one exclusive accepter
    lsk.data_ready()
    if lsk.accept_waiters:
        lsk.accept_waiters[0]()


def inet_csk_reqsk_queue_drop(lsk: TcpSock, child: TcpSock) -> None:
    """A child died (RST, timeout) while on the listener's SYN or accept queue."""
    key = child.ehash_key
    if key is not None and lsk.syn_queue.get(key) is child:
        del lsk.syn_queue[key]
    # a dead child stays on the accept queue (accept() returns it, its reads report the error), as Linux
    if child not in lsk.icsk_accept_queue:
        child.listener = None


def _abort_child(child: TcpSock, send_rst: bool = True) -> None:
    tp = child.tp
    child.sock_set_flag(SOCK_DEAD)
    if tp is not None and tp.state != TCP_CLOSE:
        now = child.host.clock.now()
        tp.orphan = True
        tp.abort(now, send_rst)
        tcp_kick(child)
    from kernel.net.ipv4.tcp.tcp_sock import tcp_done

    if child.tp is None or child.tp.state == TCP_CLOSE:
        tcp_done(child)


def inet_csk_listen_stop(sk: TcpSock) -> None:
    """inet_csk_listen_stop: abort every child on the accept queue (inet_child_forget: tcp_disconnect, a
    RST); a child still on the SYN queue (Linux's request sock) goes silently -- its peer hears a RST only
    when its next segment (the handshake's ACK, data) finds no socket; with the listener's
    tcp_set_state(TCP_CLOSE) side: out of the listening table, the port put unless bind() locked it,
    blocked accepters woken (EINVAL)."""
    from kernel.net.ipv4.inet_sock import SOCK_BINDPORT_LOCK

    requests = list(sk.syn_queue.values())
    children = list(sk.icsk_accept_queue)
    sk.syn_queue.clear()
    sk.icsk_accept_queue.clear()
    sk.sk_ack_backlog = 0
    for child in requests:
        child.listener = None
        _abort_child(child, send_rst=False)
    for child in children:
        child.listener = None
        _abort_child(child)
    if sk.sk_state == TCP_LISTEN:
        sk.sk_state = TCP_CLOSE
    inet_unhash(sk)
    if not sk.sk_userlocks & SOCK_BINDPORT_LOCK or sk.sock_flag(SOCK_DEAD):
        inet_put_port(sk)
    _wake_listener_change(sk)


async def inet_csk_wait_for_connect(sk: TcpSock, timeo: float) -> int:
    """inet_csk_wait_for_connect: an exclusive sleep until a child is queued, the listener closes or timeo."""
    loop = asyncio.get_running_loop()
    clock = sk.host.clock
    deadline = math.inf if math.isinf(timeo) else clock.now() + timeo
    while True:
        fut: asyncio.Future[None] = loop.create_future()

        def wake(fut: asyncio.Future[None] = fut) -> None:
            if not fut.done():
                fut.set_result(None)

        sk.accept_waiters.append(wake)
        timer = None if math.isinf(deadline) else clock.call_at(deadline, wake)
        try:
            if not sk.icsk_accept_queue and sk.sk_state == TCP_LISTEN:
                await fut
        finally:
            if wake in sk.accept_waiters:
                sk.accept_waiters.remove(wake)
            if timer is not None:
                timer.cancel()
        if sk.icsk_accept_queue:
            return 0
        if sk.sk_state != TCP_LISTEN:
            return -uapi.EINVAL
        if not math.isinf(deadline) and clock.now() >= deadline:
            return -uapi.EAGAIN


def _wake_listener_change(sk: TcpSock) -> None:
    """A listener that stops listening wakes every accepter (they return EINVAL)."""
    for w in list(sk.accept_waiters):
        w()


async def inet_csk_accept(proc: Process | None, sk: InetSock, flags: int) -> TcpSock | int:
    """inet_csk_accept: the oldest completed connection, or -EINVAL / -EAGAIN."""
    assert isinstance(sk, TcpSock)
    if sk.sk_state != TCP_LISTEN:
        return -uapi.EINVAL
    if not sk.icsk_accept_queue:
        timeo = sk.rcvtimeo(bool(flags & uapi.O_NONBLOCK))
        if not timeo:
            return -uapi.EAGAIN
        err = await inet_csk_wait_for_connect(sk, timeo)
        if err:
            return err
    child = sk.icsk_accept_queue.popleft()
    sk.sk_ack_backlog -= 1
    child.listener = None
    # another accepter may take the next one (a wake-up that found the queue already emptied by us is passed on)
    if sk.icsk_accept_queue and sk.accept_waiters:
        sk.accept_waiters[0]()
    return child
