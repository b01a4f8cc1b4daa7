"""struct proto ``tcp_prot``: the socket calls of TCP (net/ipv4/tcp.c), over the sans-IO ``TcpConn``.

Each hook is Linux's tcp.c function of the same job, reproduced for the
socket half (``TcpSock``) with the connection in ``sk.tp`` (None before
connect and on listeners) and the pre-connect option values in
``sk.tcp_params``.  Every hook that touches ``sk.tp`` calls ``tcp_kick(sk)``
afterwards (transmit, events, timers: tcp_sock.py).

- ``tcp_sendmsg`` (tcp_sendmsg_locked): waits for the handshake
  (sk_stream_wait_connect: sk_err first, EPIPE outside SYN-SENT/SYN-RECV,
  EAGAIN when the time runs out), EPIPE after SEND_SHUTDOWN or a pending error
  (sk_stream_error: the pending sk_err replaces EPIPE; SIGPIPE unless
  MSG_NOSIGNAL), blocks for send space (sk_stream_wait_memory) with SO_SNDTIMEO
  (EAGAIN, or the partial count); MSG_MORE corks the tail, MSG_OOB marks the
  last byte urgent (RFC 9293 3.8.5 / RFC 6093), MSG_FASTOPEN is EOPNOTSUPP (no
  TFO), the other flags are ignored as Linux ignores them.
- ``tcp_recvmsg`` (tcp_recvmsg_locked): ENOTCONN on a listener or a
  never-connected socket; SO_RCVLOWAT / MSG_WAITALL targets; MSG_PEEK from
  SO_PEEK_OFF; MSG_TRUNC discards; reading stops at the urgent mark; after
  the data: EOF (SOCK_DONE), sk_err, RCV_SHUTDOWN, ENOTCONN, EAGAIN in that
  order; MSG_OOB is tcp_recv_urg.
- ``tcp_poll``: the exact mask Linux's tcp_poll builds per state.
- ``tcp_setsockopt`` / ``tcp_getsockopt`` (do_tcp_setsockopt /
  do_tcp_getsockopt) for SOL_TCP with Linux's bounds; other levels go to
  ip_setsockopt / ip_getsockopt; TCP_INFO from tcp_info.py.
- ``tcp_ioctl``: SIOCINQ, SIOCOUTQ, SIOCOUTQNSD, SIOCATMARK.
- ``tcp_shutdown``, ``tcp_close`` (unread data -> RST (RFC 2525 2.17),
  SO_LINGER 0 -> abort, else FIN), ``tcp_disconnect``; ``tcp_inet_shutdown``
  is inet_shutdown for stream sockets (SYN-SENT and a LISTEN socket's SHUT_RD
  disconnect) for inet_stream_ops to call.
- ``tcp_set_keepalive`` (SO_KEEPALIVE through ``Proto.keepalive``) and
  ``tcp_sock_opt_changed`` (``Proto.sockopt_changed``: SO_SNDBUF/RCVBUF,
  SO_OOBINLINE, SO_RCVLOWAT) keep ``tcp_params`` / ``tp.params`` current.
"""
from __future__ import annotations

import asyncio
import struct
from typing import TYPE_CHECKING

from kernel import uapi
from kernel.clock import HZ
from kernel.net.ipv4.af_inet import ENOIOCTLCMD, InetProto
from kernel.net.ipv4.inet_sock import SOCK_BINDADDR_LOCK, SOCK_BINDPORT_LOCK, InetSock
from kernel.net.ipv4.ip_sockglue import ip_getsockopt, ip_recv_error, ip_setsockopt
from kernel.net.ipv4.tcp.conn import TCP_RTO_MAX, TCP_TIMEOUT_INIT, TcpConn, TcpParams
from kernel.net.ipv4.tcp.segment import before, seq_add, seq_sub
from kernel.net.ipv4.tcp.states import (
    TCP_CLOSE,
    TCP_CLOSE_WAIT,
    TCP_ESTABLISHED,
    TCP_LISTEN,
    TCP_SYN_RECV,
    TCP_SYN_SENT,
    tcpf,
)
from kernel.net.ipv4.tcp.tcp_sock import TcpSock, tcp_kick
from kernel.net.sock import (
    RCV_SHUTDOWN,
    SEND_SHUTDOWN,
    SHUTDOWN_MASK,
    SOCK_DEAD,
    SOCK_KEEPOPEN,
    SOCK_LINGER,
    SOCK_MIN_RCVBUF,
    SOCK_RCVBUF_LOCK,
    SOCK_URGINLINE,
    SS_CONNECTING,
    SS_DISCONNECTING,
    SS_UNCONNECTED,
    Sock,
    Socket,
)
from kernel.net.uaccess import MsgHdr, OptBuf
from kernel.wait import wait_event

if TYPE_CHECKING:
    from kernel.process import Process

__all__ = [
    "TcpProto", "tcp_prot", "tcp_sendmsg", "tcp_recvmsg", "tcp_poll", "tcp_setsockopt", "tcp_getsockopt",
    "tcp_ioctl", "tcp_shutdown", "tcp_inet_shutdown", "tcp_close", "tcp_disconnect", "tcp_set_keepalive",
    "tcp_sock_opt_changed", "sk_stream_wait_close", "tcp_close_finish",
    "secs_to_retrans", "retrans_to_secs",
]

SIGPIPE = 13

MAX_TCP_KEEPIDLE = 32767
MAX_TCP_KEEPINTVL = 32767
MAX_TCP_KEEPCNT = 127
MAX_TCP_SYNCNT = 127
TCP_MIN_MSS = 88
MAX_TCP_WINDOW = 32767
TCP_MSS_DEFAULT = 536
TCP_FIN_TIMEOUT_MAX = 120  # seconds
TCP_CA_NAME_MAX = 16
TCP_URG_VALID = 0x0100
TCP_URG_NOTYET = 0x0200
TCP_URG_READ = 0x0400

TCPF_ESTABLISHED_OR_CLOSE_WAIT = tcpf(TCP_ESTABLISHED, TCP_CLOSE_WAIT)
TCPF_SYN_STATES = tcpf(TCP_SYN_SENT, TCP_SYN_RECV)
TCPF_CLOSING = tcpf(4, 11, 9)  # FIN-WAIT-1, CLOSING, LAST-ACK: sk_stream_closing


def _now(sk: InetSock) -> float:
    return sk.host.clock.now()


def tcp_sk(sk: InetSock) -> TcpSock:
    assert isinstance(sk, TcpSock)
    return sk


def _shutdown(sk: TcpSock) -> int:
    """sk_shutdown as Linux keeps it: the socket's bits and what the connection set (FIN, tcp_done)."""
    tp = sk.tp
    return sk.sk_shutdown | (tp.shutdown if tp is not None and sk.tw is None else 0)


def _sock_done(sk: TcpSock) -> bool:
    """SOCK_DONE: a FIN arrived in sequence (tcp_fin)."""
    tp = sk.tp
    return sk.sock_flag("done") or (tp is not None and tp.fin_rcvd)


def _params(sk: TcpSock) -> list[TcpParams]:
    """The socket's TcpParams and the connection's (the same object unless the glue copied it)."""
    out = [sk.tcp_params]
    tp = sk.tp
    if tp is not None and tp.params is not sk.tcp_params:
        out.append(tp.params)
    return out


def _set_param(sk: TcpSock, name: str, value: object) -> None:
    for p in _params(sk):
        setattr(p, name, value)


def _kick(sk: TcpSock) -> None:
    if sk.tp is not None and sk.tw is None:
        tcp_kick(sk)


# --- sendmsg ---------------------------------------------------------------------------------

def sk_stream_error(proc: Process | None, sk: TcpSock, flags: int, err: int) -> int:
    """sk_stream_error: a pending sk_err replaces EPIPE; EPIPE raises SIGPIPE unless MSG_NOSIGNAL."""
    if err == -uapi.EPIPE:
        err = sk.sock_error() or -uapi.EPIPE
    if err == -uapi.EPIPE and not flags & uapi.MSG_NOSIGNAL and proc is not None:
        proc.send_signal(SIGPIPE)
    return err


async def sk_stream_wait_connect(sk: TcpSock, timeo: float) -> tuple[int, float]:
    """Wait for SYN-SENT / SYN-RECV to become ESTABLISHED or CLOSE-WAIT: (0 | -errno, time left)."""
    while True:
        err = sk.sock_error()
        if err:
            return err, timeo
        state = sk.sk_state
        if (1 << state) & TCPF_ESTABLISHED_OR_CLOSE_WAIT:
            return 0, timeo
        if not (1 << state) & TCPF_SYN_STATES:
            return -uapi.EPIPE, timeo
        if not timeo:
            return -uapi.EAGAIN, timeo
        timeo = await wait_event(sk.sk_wq, sk.host.clock, timeo,
                                 lambda: bool(sk.sk_err) or not (1 << sk.sk_state) & TCPF_SYN_STATES)


def _memory_free(sk: TcpSock) -> bool:
    tp = sk.tp
    return tp is not None and tp.send_space() > 0


async def tcp_sendmsg(proc: Process | None, sk: TcpSock, msg: MsgHdr, size: int, flags: int) -> int:
    if flags & uapi.MSG_FASTOPEN:
        return -uapi.EOPNOTSUPP  # no TCP Fast Open in the emulation (Linux: tcp_sendmsg_fastopen)
    timeo = sk.sndtimeo(bool(flags & uapi.MSG_DONTWAIT))
    if not (1 << sk.sk_state) & TCPF_ESTABLISHED_OR_CLOSE_WAIT:
        err, timeo = await sk_stream_wait_connect(sk, timeo)
        if err:
            return sk_stream_error(proc, sk, flags, err)
    data = memoryview(b"".join(msg.iov))[:size]
    copied = 0
    err = 0
    more = bool(flags & uapi.MSG_MORE)
    oob = bool(flags & uapi.MSG_OOB)
    try:
        while True:
            tp = sk.tp
            if sk.sk_err or _shutdown(sk) & SEND_SHUTDOWN or tp is None:
                err = -uapi.EPIPE
                break
            if copied >= size:
                break
            left = size - copied
            n = tp.send(data[copied:], _now(sk), more=more, oob=oob and tp.send_space() >= left)
            _kick(sk)
            copied += n
            if copied >= size:
                break
            # wait_for_space: sk_stream_wait_memory
            sk.nospace = True
            if sk.sk_err or _shutdown(sk) & SEND_SHUTDOWN:
                err = -uapi.EPIPE
                break
            if not timeo:
                err = -uapi.EAGAIN
                break
            timeo = await wait_event(
                sk.sk_wq, sk.host.clock, timeo,
                lambda: bool(sk.sk_err) or bool(_shutdown(sk) & SEND_SHUTDOWN) or _memory_free(sk))
    except asyncio.CancelledError:
        if copied:  # a signal after some progress: the count (do_error -> out)
            return copied
        raise
    if copied:
        return copied
    if err == -uapi.EAGAIN:
        return err
    return sk_stream_error(proc, sk, flags, err) if err else 0


# --- recvmsg ---------------------------------------------------------------------------------

def tcp_recv_urg(sk: TcpSock, msg: MsgHdr, size: int, flags: int) -> int:
    """tcp_recv_urg: the urgent byte (MSG_OOB set), EINVAL when there is none to read, never blocks."""
    tp = sk.tp
    if sk.sock_flag(SOCK_URGINLINE) or tp is None or not tp.urg_data or tp.urg_data == TCP_URG_READ:
        return -uapi.EINVAL
    if sk.sk_state == TCP_CLOSE and not _sock_done(sk):
        return -uapi.ENOTCONN
    if tp.urg_data & TCP_URG_VALID:
        c = bytes([tp.urg_data & 0xFF])
        if not flags & uapi.MSG_PEEK:
            tp.urg_data = TCP_URG_READ
        msg.flags |= uapi.MSG_OOB
        if size > 0:
            if not flags & uapi.MSG_TRUNC:
                msg.data = c
            return 1
        msg.flags |= uapi.MSG_TRUNC
        return 0
    if sk.sk_state == TCP_CLOSE or _shutdown(sk) & RCV_SHUTDOWN:
        return 0
    return -uapi.EAGAIN


def _queued(tp: TcpConn | None) -> int:
    return len(tp.receive_queue) if tp is not None else 0


async def tcp_recvmsg(proc: Process | None, sk: TcpSock, msg: MsgHdr, size: int, flags: int) -> int:
    if flags & uapi.MSG_ERRQUEUE:
        return ip_recv_error(sk, msg, size)
    if sk.sk_state == TCP_LISTEN:
        return -uapi.ENOTCONN
    timeo = sk.rcvtimeo(bool(flags & uapi.MSG_DONTWAIT))
    if flags & uapi.MSG_OOB:
        return tcp_recv_urg(sk, msg, size, flags)
    peek = bool(flags & uapi.MSG_PEEK)
    trunc = bool(flags & uapi.MSG_TRUNC)
    pos = max(sk.sk_peek_off, 0) if peek else 0  # peek_seq - copied_seq
    target = sk.sock_rcvlowat(bool(flags & uapi.MSG_WAITALL), size)
    length = size
    copied = 0
    out = bytearray()
    try:
        while True:
            tp = sk.tp
            if tp is not None and tp.urg_data and tp.urg_seq == (tp.copied_seq + pos) & 0xFFFFFFFF and copied:
                break  # at the urgent mark: stop once something was read
            avail = _queued(tp) - pos
            if tp is not None and avail > 0:
                if peek:
                    used = min(avail, length)
                    skipped = 0
                    if tp.urg_data:
                        urg_offset = seq_sub(tp.urg_seq, (tp.copied_seq + pos) & 0xFFFFFFFF)
                        if 0 <= urg_offset < used:
                            if urg_offset == 0:
                                if not sk.sock_flag(SOCK_URGINLINE):
                                    pos += 1
                                    skipped = 1
                                    used -= 1
                            else:
                                used = urg_offset
                    if used > 0:
                        if not trunc:
                            out += tp.receive_queue[pos:pos + used]
                        pos += used
                        copied += used
                        length -= used
                        if sk.sk_peek_off >= 0:
                            sk.sk_peek_off += used
                    elif not skipped:
                        break
                else:
                    before_q = _queued(tp)
                    got = tp.recv(min(avail, length), _now(sk), trunc=trunc)
                    _kick(sk)
                    used = len(got)
                    if used:
                        if not trunc:
                            out += got
                        copied += used
                        length -= used
                        if sk.sk_peek_off >= 0:
                            sk.sk_peek_off -= min(sk.sk_peek_off, used)
                    elif _queued(sk.tp) == before_q:
                        break  # nothing the core would give (cannot happen with data queued)
                if length <= 0:
                    break
                continue
            if tp is not None and tp.fin_rcvd and avail <= 0:
                break  # found_fin_ok
            if copied >= target:
                break
            shutdown = _shutdown(sk)
            if copied:
                if not timeo or sk.sk_err or sk.sk_state == TCP_CLOSE or shutdown & RCV_SHUTDOWN:
                    break
            else:
                if _sock_done(sk):
                    break
                if sk.sk_err:
                    copied = sk.sock_error()
                    break
                if shutdown & RCV_SHUTDOWN:
                    break
                if sk.sk_state == TCP_CLOSE:
                    copied = -uapi.ENOTCONN
                    break
                if not timeo:
                    copied = -uapi.EAGAIN
                    break
            want = pos

            def ready(want: int = want) -> bool:
                t = sk.tp
                return (_queued(t) > want or bool(sk.sk_err) or bool(_shutdown(sk) & RCV_SHUTDOWN)
                        or sk.sk_state == TCP_CLOSE or (t is not None and t.fin_rcvd))

            timeo = await wait_event(sk.sk_wq, sk.host.clock, timeo, ready)
    except asyncio.CancelledError:
        if copied > 0:
            msg.data = bytes(out)
            return copied
        raise
    if copied >= 0:
        msg.data = bytes(out)
    return copied


# --- poll ------------------------------------------------------------------------------------

def tcp_stream_is_writeable(sk: TcpSock, wake: int = 0) -> bool:
    """__sk_stream_is_writeable: wspace >= min_wspace and memory free (TCP_NOTSENT_LOWAT included)."""
    tp = sk.tp
    if tp is not None and not tp.writable():
        return False
    lowat = sk.tcp_params.notsent_lowat
    if lowat:
        seqs = tp if tp is not None else sk.tcp_kept
        notsent = max(0, seq_sub(seqs.write_seq, seqs.snd_nxt))
        return (notsent << wake) < lowat
    return True


def tcp_poll(sock: Socket | None, sk: TcpSock) -> int:
    state = sk.sk_state
    if state == TCP_LISTEN:  # inet_csk_listen_poll
        return uapi.POLLIN | uapi.POLLRDNORM if sk.icsk_accept_queue else 0
    mask = 0
    shutdown = _shutdown(sk)
    if shutdown == SHUTDOWN_MASK or state == TCP_CLOSE:
        mask |= uapi.POLLHUP
    if shutdown & RCV_SHUTDOWN:
        mask |= uapi.POLLIN | uapi.POLLRDNORM | uapi.POLLRDHUP
    tp = sk.tp
    if state != TCP_SYN_SENT and state != TCP_SYN_RECV:
        target = sk.sock_rcvlowat(False, 2**31 - 1)
        if tp is not None:
            urg = tp.urg_data
            if urg and tp.urg_seq == tp.copied_seq and not sk.sock_flag(SOCK_URGINLINE):
                target += 1
            if seq_sub(tp.rcv_nxt, tp.copied_seq) >= target:
                mask |= uapi.POLLIN | uapi.POLLRDNORM
        if not shutdown & SEND_SHUTDOWN:
            if tcp_stream_is_writeable(sk, 1):
                mask |= uapi.POLLOUT | uapi.POLLWRNORM
            else:
                sk.nospace = True
        else:
            mask |= uapi.POLLOUT | uapi.POLLWRNORM
        if tp is not None and tp.urg_data & TCP_URG_VALID:
            mask |= uapi.POLLPRI
    elif state == TCP_SYN_SENT and sk.tcp_defer_connect:
        mask |= uapi.POLLOUT | uapi.POLLWRNORM
    if sk.sk_err or sk.sk_error_queue:
        mask |= uapi.POLLERR
    return mask


# --- ioctl -----------------------------------------------------------------------------------

def tcp_inq(sk: TcpSock) -> int:
    """tcp_inq: bytes readable (up to the urgent mark when the urgent byte is out of band)."""
    tp = sk.tp
    if tp is None or (1 << sk.sk_state) & TCPF_SYN_STATES:
        return 0
    if (sk.sock_flag(SOCK_URGINLINE) or not tp.urg_data or before(tp.urg_seq, tp.copied_seq)
            or not before(tp.urg_seq, tp.rcv_nxt)):
        answ = seq_sub(tp.rcv_nxt, tp.copied_seq)
        if answ and _sock_done(sk):
            answ -= 1  # the FIN
        return max(answ, 0)
    return seq_sub(tp.urg_seq, tp.copied_seq)


def tcp_ioctl(sk: TcpSock, cmd: int, argp: list[int]) -> int:
    tp = sk.tp
    state = sk.sk_state
    if cmd == uapi.SIOCINQ:
        if state == TCP_LISTEN:
            return -uapi.EINVAL
        answ = tcp_inq(sk)
    elif cmd == uapi.SIOCATMARK:
        answ = int(tp is not None and bool(tp.urg_data) and tp.urg_seq == tp.copied_seq)
    elif cmd in (uapi.SIOCOUTQ, uapi.SIOCOUTQNSD):
        if state == TCP_LISTEN:
            return -uapi.EINVAL
        if (1 << state) & TCPF_SYN_STATES:
            answ = 0
        else:
            seqs = tp if tp is not None else sk.tcp_kept
            end = seqs.snd_una if cmd == uapi.SIOCOUTQ else seqs.snd_nxt
            answ = max(0, seq_sub(seqs.write_seq, end))
    else:
        return -ENOIOCTLCMD
    argp[0] = answ
    return 0


# --- shutdown / close / disconnect -----------------------------------------------------------

def tcp_shutdown(sk: TcpSock, how: int) -> None:
    """tcp_shutdown: a FIN when we may still send one (tcp_close_state + tcp_send_fin)."""
    if not how & SEND_SHUTDOWN:
        return
    tp = sk.tp
    if tp is None or sk.tw is not None:
        return
    if (1 << sk.sk_state) & tcpf(TCP_ESTABLISHED, TCP_SYN_SENT, TCP_SYN_RECV, TCP_CLOSE_WAIT):
        tp.shutdown_send(_now(sk))
        _kick(sk)


def tcp_inet_shutdown(sock: Socket, how: int) -> int:
    """inet_shutdown for SOCK_STREAM: SYN-SENT disconnects; a listener's SHUT_RD stops listening."""
    how += 1
    if (how & ~SHUTDOWN_MASK) or not how:
        return -uapi.EINVAL
    sk = tcp_sk(sock.sk)  # type: ignore[arg-type]
    if sock.state == SS_CONNECTING:
        if (1 << sk.sk_state) & tcpf(TCP_SYN_SENT, TCP_SYN_RECV, TCP_CLOSE):
            sock.state = SS_DISCONNECTING
        else:
            sock.state = 3  # SS_CONNECTED
    err = 0
    state = sk.sk_state
    if state == TCP_LISTEN and not how & RCV_SHUTDOWN:
        pass
    elif state in (TCP_LISTEN, TCP_SYN_SENT):
        err = tcp_disconnect(sk, uapi.O_NONBLOCK)
        sock.state = SS_DISCONNECTING if err else SS_UNCONNECTED
    else:
        if state == TCP_CLOSE:
            err = -uapi.ENOTCONN
        sk.sk_shutdown |= how
        if how & RCV_SHUTDOWN and sk.tp is not None and sk.tw is None:
            sk.tp.shutdown_recv()
        tcp_shutdown(sk, how)
    sk.state_change()
    return err


def _need_reset(state: int) -> bool:
    """tcp_need_reset: the states whose abort sends a RST (RFC 9293 3.10.4 ABORT)."""
    return bool((1 << state) & tcpf(TCP_ESTABLISHED, TCP_CLOSE_WAIT, 4, 5, TCP_SYN_RECV))


def tcp_disconnect(sk: TcpSock, flags: int) -> int:
    """tcp_disconnect: abort whatever there is (RST and ECONNRESET where tcp_need_reset says so, a
    listener stops listening), back to CLOSE with SOCK_DONE and sk_shutdown cleared, ready to connect again."""
    old = sk.sk_state
    if old == TCP_LISTEN:
        from kernel.net.ipv4.tcp import inet_connection_sock as icsk

        stop = getattr(icsk, "inet_csk_listen_stop", None)
        sk.sk_state = TCP_CLOSE
        if stop is not None:
            stop(sk)
    tp = sk.tp
    kept = sk.tcp_kept
    if tp is not None:  # struct tcp_sock stays: keep what Linux's tcp_disconnect leaves (TIME-WAIT's too)
        kept.write_seq, kept.snd_nxt, kept.snd_una = tp.write_seq, tp.snd_nxt, tp.snd_una
        kept.max_window, kept.mss_cache, kept.pmtu = tp.max_window, tp.mss_cache, tp.pmtu_cookie
        kept.advmss, kept.rcv_ssthresh, kept.rcv_wnd = tp.advmss, tp.rcv_ssthresh, tp.rcv_wnd
    if tp is not None and sk.tw is None:
        if _need_reset(old) or old == TCP_SYN_SENT:
            sk.sk_err = uapi.ECONNRESET
        tp.disconnect(_now(sk))
        tcp_kick(sk)
    # the next ISS lies past anything the old connection's peer may still accept
    kept.write_seq = seq_add(kept.write_seq, kept.max_window + 2) or 1
    kept.rcv_mss = TCP_MIN_MSS
    sk.tcp_pingpong = False  # type: ignore[attr-defined]  # inet_csk_delack_init
    sk.sk_state = TCP_CLOSE
    sk.tp = None
    sk.tcp_params.user_mss = 0  # memset(&tp->rx_opt): TCP_MAXSEG's value goes too
    sk.tw = None
    tcp_kick(sk)  # no connection: the timer goes
    sk.sk_shutdown = 0
    sk.sock_set_flag("done", False)
    sk.inet_daddr = 0
    sk.inet_dport = 0
    if not sk.sk_userlocks & SOCK_BINDADDR_LOCK:
        sk.inet_saddr = sk.inet_rcv_saddr = 0
    if not sk.sk_userlocks & SOCK_BINDPORT_LOCK and not sk.bound_port:
        sk.inet_num = 0  # __inet_put_port: inet_sport stays (getsockname still shows the old port)
    sk.sk_dst_cache = None
    sk.cork_fl = None
    sk.error_report()
    return 0


def tcp_close(sk: TcpSock, timeout: float) -> None:
    """__tcp_close: SHUTDOWN_MASK; a listener stops; unread data -> RST (RFC 2525 2.17, the core's
    close); SO_LINGER with l_linger 0 -> abort (TCPAbortOnData); else FIN.  With a positive linger
    ``timeout`` and the FIN not yet acked (FIN-WAIT-1 / CLOSING / LAST-ACK) the closing syscall sleeps
    (sk_stream_wait_close, queued as the file release's task work: kernel/fs/file.py) until the state
    moves on, the time ends or a signal comes; the socket is orphaned only then (``tcp_close_finish``:
    adjudge_to_death).  Without a syscall to sleep in (process exit) the wait is skipped, as Linux's
    PF_EXITING does."""
    from kernel.fs.file import task_work_add

    sk.sk_shutdown = SHUTDOWN_MASK
    now = _now(sk)
    tp = sk.tp
    state = sk.sk_state
    sk.sock_set_flag(SOCK_DEAD)  # (events are applied at the kick: a lingering close clears it first)
    if state == TCP_LISTEN:
        tcp_disconnect(sk, 0)
    elif tp is not None and sk.tw is None and tp.state != TCP_CLOSE:
        unread = len(tp.receive_queue) > 0
        if not unread and sk.sock_flag(SOCK_LINGER) and not sk.sk_lingertime:
            # Linux: disconnect (which counts nothing) then TCPAbortOnData once, whatever the state; the
            # core's abort counts its own TCPAbortOn* when it sends the RST: keep only this count
            kept = {k: tp.mib.get(k, 0) for k in ("TCPAbortOnData", "TCPAbortOnClose")}
            tp.abort(now, True)
            tp.mib.update(kept)
            tp.mib_inc("TCPAbortOnData")
        else:
            tp.close(now)  # unread data: RST + TCPAbortOnClose; else FIN (tcp_close_state)
        tp.orphan = True
        if timeout > 0 and (1 << tp.state) & TCPF_CLOSING:
            sk.tcp_linger_deadline = now + timeout  # type: ignore[attr-defined]

            async def linger(interrupted: bool, sk: TcpSock = sk, timeout: float = timeout) -> None:
                try:
                    if not interrupted:
                        await sk_stream_wait_close(sk, timeout)
                finally:
                    tcp_close_finish(sk, lingered=True)

            if task_work_add(linger):
                sk.sock_set_flag(SOCK_DEAD, False)
                tp.orphan = False  # not orphaned while the closer sleeps (sock_orphan comes after the wait)
                tcp_kick(sk)
                return
        tcp_kick(sk)
    tcp_close_finish(sk)


def tcp_close_finish(sk: TcpSock, lingered: bool = False) -> None:
    """__tcp_close from adjudge_to_death: sock_orphan, then an orphan in FIN-WAIT-2 gets the
    TCP_LINGER2 rule (< 0: RST, TCPAbortOnLinger) or the tcp_fin_time timer; a closed socket goes."""
    from kernel.net.ipv4.tcp import tcp_input, tcp_output
    from kernel.net.ipv4.tcp.states import TCP_FIN_WAIT2

    if hasattr(sk, "tcp_linger_deadline"):
        del sk.tcp_linger_deadline  # type: ignore[attr-defined]
    sk.sock_set_flag(SOCK_DEAD)
    tp = sk.tp
    if lingered and tp is not None and sk.tw is None and not tp.orphan:
        tp.orphan = True  # a lingering close kept the conn unorphaned while it slept
        if tp.state == TCP_FIN_WAIT2:
            now = _now(sk)
            if tp.params.linger2 < 0:
                tcp_output.tcp_send_active_reset(tp, now)
                tp.mib_inc("TCPAbortOnLinger")
                tp.done()
            else:
                tp.keepalive_timeout = now + tcp_input.tcp_fin_time(tp)
        tcp_kick(sk)
    sk.sk_socket = None
    if sk.tp is None or sk.tp.state == TCP_CLOSE:
        prot = sk.sk_prot
        assert isinstance(prot, InetProto)
        prot.unhash(sk)


async def sk_stream_wait_close(sk: TcpSock, timeout: float) -> None:
    """sk_stream_wait_close: a lingering close sleeps while FIN-WAIT-1 / CLOSING / LAST-ACK (or the time ends)."""
    if timeout <= 0:
        return
    tp = sk.tp
    if tp is None:
        return
    await wait_event(sk.sk_wq, sk.host.clock, timeout, lambda: not (1 << tp.state) & TCPF_CLOSING)


# --- keepalive and buffer hooks (sock_setsockopt calls them) ---------------------------------

def _keepalive_time(sk: TcpSock) -> float:
    p = sk.tcp_params
    return p.keepidle or p.keepalive_time


def tcp_set_keepalive(sk: InetSock, on: bool) -> None:
    """tcp_set_keepalive: SO_KEEPALIVE reaches the core and (re)arms or stops its timer."""
    tsk = tcp_sk(sk)
    _set_param(tsk, "keepalive", bool(on))
    tp = tsk.tp
    if tp is None or tsk.tw is not None or (1 << tsk.sk_state) & tcpf(TCP_CLOSE, TCP_LISTEN):
        return
    tp.keepalive_changed(_now(tsk))
    tcp_kick(tsk)


def tcp_sock_opt_changed(sk: TcpSock, optname: int) -> None:
    """SOL_SOCKET values the core reads: SO_SNDBUF/SO_RCVBUF (+ their locks), SO_OOBINLINE, SO_RCVLOWAT."""
    if optname in (uapi.SO_SNDBUF, uapi.SO_SNDBUFFORCE):
        _set_param(sk, "sndbuf", sk.sk_sndbuf)
        _set_param(sk, "sndbuf_locked", True)
        sk.write_space()
    elif optname in (uapi.SO_RCVBUF, uapi.SO_RCVBUFFORCE):
        _set_param(sk, "rcvbuf", sk.sk_rcvbuf)
        _set_param(sk, "rcvbuf_locked", True)
    elif optname == uapi.SO_OOBINLINE:
        _set_param(sk, "oobinline", sk.sock_flag(SOCK_URGINLINE))
    elif optname == uapi.SO_RCVLOWAT:  # tcp_set_rcvlowat
        locked = bool(sk.sk_userlocks & SOCK_RCVBUF_LOCK)
        cap = (sk.sk_rcvbuf if locked else sk.tcp_params.rmem[2]) >> 1
        val = min(sk.sk_rcvlowat, cap) or 1
        sk.sk_rcvlowat = val
        _set_param(sk, "rcvlowat", val)
        if not locked:  # room for a window of val bytes: sk_rcvbuf grows, a set window_clamp with it
            scale = sk.tcp_params.adv_win_scale
            space = val << -scale if scale <= 0 else (val << scale) // ((1 << scale) - 1)
            if space > sk.sk_rcvbuf:
                sk.sk_rcvbuf = space
                _set_param(sk, "rcvbuf", space)
                tp = sk.tp
                if tp is not None and sk.tw is None and tp.window_clamp and tp.window_clamp < val:
                    tp.window_clamp = val
        if sk.tp is not None and sk.tw is None and sk.tp.receive_queue and len(sk.tp.receive_queue) >= sk.sk_rcvlowat:
            sk.data_ready()  # tcp_set_rcvlowat wakes a reader the new mark satisfies


# --- SOL_TCP options -------------------------------------------------------------------------

def secs_to_retrans(seconds: int, timeout: int, rto_max: int) -> int:
    """TCP_DEFER_ACCEPT seconds -> SYN-ACK retransmissions (a u8)."""
    res = 0
    if seconds > 0:
        period = timeout
        res = 1
        while seconds > period and res < 255:
            res += 1
            timeout <<= 1
            if timeout > rto_max:
                timeout = rto_max
            period += timeout
    return res


def retrans_to_secs(retrans: int, timeout: int, rto_max: int) -> int:
    period = 0
    if retrans > 0:
        period = timeout
        retrans -= 1
        while retrans:
            retrans -= 1
            timeout <<= 1
            if timeout > rto_max:
                timeout = rto_max
            period += timeout
    return period


def _ca_name(sk: TcpSock) -> str:
    tp = sk.tp
    if tp is not None and tp.ca_ops is not None:
        return str(tp.ca_ops.name)
    return sk.tcp_params.congestion_control


def _set_congestion(sk: TcpSock, optval: bytes) -> int:
    from kernel.net.ipv4.tcp import tcp_cong

    if len(optval) < 1:
        return -uapi.EINVAL
    raw = optval[: min(TCP_CA_NAME_MAX - 1, len(optval))].split(b"\0", 1)[0]
    name = raw.decode("latin-1")
    if name == _ca_name(sk):
        return 0  # "no change asking for the existing value"
    allowed = str(sk.host.sysctl.get("net.ipv4.tcp_allowed_congestion_control", "reno cubic"))
    capable = sk.capable(uapi.CAP_NET_ADMIN)
    tp = sk.tp
    if tp is not None and sk.tw is None:
        err = tcp_cong.tcp_set_congestion_control(tp, name, capable=capable, allowed=allowed, now=_now(sk))
    else:
        err = tcp_cong.tcp_ca_check(name, capable, allowed)
    if err:
        return int(err)
    _set_param(sk, "congestion_control", name)
    return 0


def _push_pending(sk: TcpSock) -> None:
    tp = sk.tp
    if tp is None or sk.tw is not None or not (1 << tp.state) & TCPF_ESTABLISHED_OR_CLOSE_WAIT:
        return
    try:
        from kernel.net.ipv4.tcp import tcp_output
    except ImportError:  # pragma: no cover  (CORE-TX not there yet)
        return
    tcp_output.tcp_push(tp, _now(sk))
    tcp_kick(sk)


def _int(optval: bytes) -> int:
    return int(struct.unpack_from("<i", optval)[0])


def tcp_setsockopt(sk: InetSock, level: int, optname: int, optval: bytes) -> int:
    if level != uapi.SOL_TCP:
        return ip_setsockopt(sk, level, optname, optval)
    return do_tcp_setsockopt(tcp_sk(sk), optname, optval)


def do_tcp_setsockopt(sk: TcpSock, optname: int, optval: bytes) -> int:
    if optname == uapi.TCP_CONGESTION:
        return _set_congestion(sk, optval)
    if optname == uapi.TCP_ULP:
        if len(optval) < 1:
            return -uapi.EINVAL
        return -uapi.ENOENT
    if len(optval) < 4:
        return -uapi.EINVAL
    val = _int(optval)
    p = sk.tcp_params
    tp = sk.tp
    state = sk.sk_state
    if optname == uapi.TCP_SYNCNT:
        if val < 1 or val > MAX_TCP_SYNCNT:
            return -uapi.EINVAL
        _set_param(sk, "syncnt", val)
    elif optname == uapi.TCP_USER_TIMEOUT:
        if val < 0:
            return -uapi.EINVAL
        _set_param(sk, "user_timeout", val / 1000.0)
        sk.tcp_user_timeout_ms = val  # type: ignore[attr-defined]
    elif optname == uapi.TCP_KEEPINTVL:
        if val < 1 or val > MAX_TCP_KEEPINTVL:
            return -uapi.EINVAL
        _set_param(sk, "keepintvl", float(val))
    elif optname == uapi.TCP_KEEPCNT:
        if val < 1 or val > MAX_TCP_KEEPCNT:
            return -uapi.EINVAL
        _set_param(sk, "keepcnt", val)
    elif optname == uapi.TCP_LINGER2:
        if val < 0:
            _set_param(sk, "linger2", -1.0)
        else:
            _set_param(sk, "linger2", float(min(val, TCP_FIN_TIMEOUT_MAX)))
    elif optname == uapi.TCP_DEFER_ACCEPT:
        _set_param(sk, "defer_accept", secs_to_retrans(val, int(TCP_TIMEOUT_INIT), int(TCP_RTO_MAX)))
    elif optname == uapi.TCP_MAXSEG:
        if val and (val < TCP_MIN_MSS or val > MAX_TCP_WINDOW):
            return -uapi.EINVAL
        _set_param(sk, "user_mss", val)
    elif optname == uapi.TCP_NODELAY:
        _set_param(sk, "nodelay", bool(val))
        if val:
            _push_pending(sk)
    elif optname == uapi.TCP_THIN_LINEAR_TIMEOUTS:
        if val < 0 or val > 1:
            return -uapi.EINVAL
        _set_param(sk, "thin_linear_timeouts", bool(val))
    elif optname == uapi.TCP_THIN_DUPACK:
        if val < 0 or val > 1:
            return -uapi.EINVAL
    elif optname in (uapi.TCP_REPAIR, uapi.TCP_REPAIR_QUEUE, uapi.TCP_QUEUE_SEQ, uapi.TCP_REPAIR_OPTIONS,
                     uapi.TCP_TIMESTAMP):
        return -uapi.EPERM if not sk.capable(uapi.CAP_NET_ADMIN) else -uapi.EINVAL
    elif optname == uapi.TCP_CORK:
        _set_param(sk, "cork", bool(val))
        if not val:
            _push_pending(sk)
    elif optname == uapi.TCP_KEEPIDLE:
        if val < 1 or val > MAX_TCP_KEEPIDLE:
            return -uapi.EINVAL
        _set_param(sk, "keepidle", float(val))
        if (sk.sock_flag(SOCK_KEEPOPEN) and tp is not None and sk.tw is None
                and not (1 << state) & tcpf(TCP_CLOSE, TCP_LISTEN)):
            tp.keepalive_changed(_now(sk))
            tcp_kick(sk)
    elif optname == uapi.TCP_SAVE_SYN:
        if val < 0 or val > 2:
            return -uapi.EINVAL
        sk.tcp_save_syn = val  # type: ignore[attr-defined]
    elif optname == uapi.TCP_WINDOW_CLAMP:
        return _set_window_clamp(sk, val)
    elif optname == uapi.TCP_QUICKACK:
        sk.tcp_pingpong = not val  # type: ignore[attr-defined]
        if tp is not None and sk.tw is None:
            tp.set_quickack(bool(val), _now(sk))
            tcp_kick(sk)
    elif optname == uapi.TCP_FASTOPEN:
        if val >= 0 and (1 << state) & tcpf(TCP_CLOSE, TCP_LISTEN):
            sk.tcp_fastopen_qlen = val  # type: ignore[attr-defined]
        else:
            return -uapi.EINVAL
    elif optname == uapi.TCP_FASTOPEN_CONNECT:
        if val > 1 or val < 0:
            return -uapi.EINVAL
        if not int(sk.host.sysctl.get("net.ipv4.tcp_fastopen", 1)) & 1:
            return -uapi.EOPNOTSUPP
        if state != TCP_CLOSE:
            return -uapi.EINVAL
        sk.tcp_fastopen_connect = val  # type: ignore[attr-defined]
    elif optname == uapi.TCP_FASTOPEN_NO_COOKIE:
        if val > 1 or val < 0 or not (1 << state) & tcpf(TCP_CLOSE, TCP_LISTEN):
            return -uapi.EINVAL
        sk.tcp_fastopen_no_cookie = val  # type: ignore[attr-defined]
    elif optname == uapi.TCP_NOTSENT_LOWAT:
        _set_param(sk, "notsent_lowat", val & 0xFFFFFFFF)
        sk.write_space()
    elif optname == uapi.TCP_INQ:
        if val > 1 or val < 0:
            return -uapi.EINVAL
        sk.tcp_recvmsg_inq = val  # type: ignore[attr-defined]
    elif optname == uapi.TCP_TX_DELAY:
        sk.tcp_tx_delay = val  # type: ignore[attr-defined]
    else:
        return -uapi.ENOPROTOOPT
    del p
    return 0


def _set_window_clamp(sk: TcpSock, val: int) -> int:
    """tcp_set_window_clamp: 0 only while CLOSE; at least SOCK_MIN_RCVBUF / 2."""
    tp = sk.tp
    if not val:
        if sk.sk_state != TCP_CLOSE:
            return -uapi.EINVAL
        _set_param(sk, "window_clamp", 0)
        if tp is not None:
            tp.window_clamp = 0
        return 0
    new = max(SOCK_MIN_RCVBUF // 2, val)
    _set_param(sk, "window_clamp", new)
    if tp is not None and sk.tw is None:
        old = tp.window_clamp
        if new != old:
            tp.window_clamp = new
            if new < old:
                tp.rcv_ssthresh = min(tp.rcv_ssthresh, new)
            else:
                tp.rcv_ssthresh = max(min(tp.rcv_wnd, new), tp.rcv_ssthresh)
    return 0


def tcp_getsockopt(sk: InetSock, level: int, optname: int, opt: OptBuf) -> int:
    if level != uapi.SOL_TCP:
        return ip_getsockopt(sk, level, optname, opt)
    return do_tcp_getsockopt(tcp_sk(sk), optname, opt)


def _put(opt: OptBuf, raw: bytes, length: int) -> int:
    n = max(0, min(length, len(raw)))
    opt.data = raw[:n]
    opt.size = n
    return 0


def do_tcp_getsockopt(sk: TcpSock, optname: int, opt: OptBuf) -> int:
    ulen = opt.size & 0xFFFFFFFF  # copied as an int, compared as unsigned (min_t(unsigned int, ...))
    if optname == uapi.TCP_INFO:
        from kernel.net.ipv4.tcp.tcp_info import tcp_get_info

        return _put(opt, tcp_get_info(sk), ulen)
    if optname == uapi.TCP_CONGESTION:
        name = _ca_name(sk).encode().ljust(TCP_CA_NAME_MAX, b"\0")[:TCP_CA_NAME_MAX]
        return _put(opt, name, min(ulen, TCP_CA_NAME_MAX))
    if optname in (uapi.TCP_CC_INFO, uapi.TCP_ULP, uapi.TCP_SAVED_SYN):
        return _put(opt, b"", 0)
    length = min(ulen, 4)
    p = sk.tcp_params
    tp = sk.tp if sk.tw is None else None
    state = sk.sk_state
    if optname == uapi.TCP_MAXSEG:
        val = tp.mss_cache if tp is not None else sk.tcp_kept.mss_cache
        if p.user_mss and (1 << state) & tcpf(TCP_CLOSE, TCP_LISTEN):
            val = p.user_mss
    elif optname == uapi.TCP_NODELAY:
        val = int(p.nodelay)
    elif optname == uapi.TCP_CORK:
        val = int(p.cork)
    elif optname == uapi.TCP_KEEPIDLE:
        val = int(_keepalive_time(sk))
    elif optname == uapi.TCP_KEEPINTVL:
        val = int(p.keepintvl or p.keepalive_intvl)
    elif optname == uapi.TCP_KEEPCNT:
        val = int(p.keepcnt or p.keepalive_probes)
    elif optname == uapi.TCP_SYNCNT:
        val = int(p.syncnt or p.syn_retries)
    elif optname == uapi.TCP_LINGER2:
        val = -1 if p.linger2 < 0 else int(p.linger2 or p.fin_timeout)
    elif optname == uapi.TCP_DEFER_ACCEPT:
        val = retrans_to_secs(p.defer_accept, int(TCP_TIMEOUT_INIT), int(TCP_RTO_MAX))
    elif optname == uapi.TCP_WINDOW_CLAMP:
        val = tp.window_clamp if tp is not None else p.window_clamp
    elif optname == uapi.TCP_QUICKACK:
        if tp is not None:
            val = int(tp.ack_pingpong < 1)
        else:
            val = int(not getattr(sk, "tcp_pingpong", False))
    elif optname == uapi.TCP_USER_TIMEOUT:
        val = int(getattr(sk, "tcp_user_timeout_ms", round(p.user_timeout * 1000)))
    elif optname == uapi.TCP_NOTSENT_LOWAT:
        val = p.notsent_lowat
    elif optname == uapi.TCP_THIN_LINEAR_TIMEOUTS:
        val = int(p.thin_linear_timeouts)
    elif optname == uapi.TCP_THIN_DUPACK:
        val = 0
    elif optname == uapi.TCP_SAVE_SYN:
        val = int(getattr(sk, "tcp_save_syn", 0))
    elif optname == uapi.TCP_FASTOPEN:
        val = int(getattr(sk, "tcp_fastopen_qlen", 0))
    elif optname == uapi.TCP_FASTOPEN_CONNECT:
        val = int(getattr(sk, "tcp_fastopen_connect", 0))
    elif optname == uapi.TCP_FASTOPEN_NO_COOKIE:
        val = int(getattr(sk, "tcp_fastopen_no_cookie", 0))
    elif optname == uapi.TCP_INQ:
        val = int(getattr(sk, "tcp_recvmsg_inq", 0))
    elif optname == uapi.TCP_TX_DELAY:
        val = int(getattr(sk, "tcp_tx_delay", 0))
    elif optname == uapi.TCP_TIMESTAMP:
        ts_off = tp.ts_offset if tp is not None else 0
        val = (int(_now(sk) * 1000) + ts_off) & 0xFFFFFFFF
    else:
        return -uapi.ENOPROTOOPT
    return _put(opt, struct.pack("<I", val & 0xFFFFFFFF), length)


# --- the proto -------------------------------------------------------------------------------

class TcpProto(InetProto):
    """tcp_prot: the socket calls above; ports, hashing and connect are the glue's."""

    name = "TCP"
    no_autobind = True

    def keepalive(self, sk: Sock, on: bool) -> None:
        assert isinstance(sk, InetSock)
        tcp_set_keepalive(sk, on)

    def sockopt_changed(self, sk: Sock, optname: int) -> None:
        assert isinstance(sk, InetSock)
        tcp_sock_opt_changed(tcp_sk(sk), optname)

    def close(self, sk: InetSock, timeout: int) -> None:
        tcp_close(tcp_sk(sk), timeout / HZ if timeout else 0.0)

    def get_port(self, sk: InetSock, snum: int) -> int:
        from kernel.net.ipv4.tcp.inet_connection_sock import inet_csk_get_port

        return int(inet_csk_get_port(sk, snum))

    def hash(self, sk: InetSock) -> int:
        from kernel.net.ipv4.tcp import inet_connection_sock as icsk

        fn = getattr(icsk, "inet_hash", None)
        return int(fn(sk)) if fn is not None else 0

    def unhash(self, sk: InetSock) -> None:
        from kernel.net.ipv4.tcp.inet_connection_sock import inet_unhash

        inet_unhash(sk)

    def connect(self, sk: InetSock, addr: bytes) -> int:
        from kernel.net.ipv4.tcp.tcp_ipv4 import tcp_v4_connect

        return int(tcp_v4_connect(tcp_sk(sk), addr))

    def disconnect(self, sk: InetSock, flags: int) -> int:
        return tcp_disconnect(tcp_sk(sk), flags)

    def shutdown(self, sk: InetSock, how: int) -> None:
        tcp_shutdown(tcp_sk(sk), how)

    def ioctl(self, sk: InetSock, cmd: int, argp: list[int]) -> int:
        return tcp_ioctl(tcp_sk(sk), cmd, argp)

    def poll(self, sock: Socket, sk: InetSock) -> int:
        return tcp_poll(sock, tcp_sk(sk))

    def setsockopt(self, sk: InetSock, level: int, optname: int, optval: bytes) -> int:
        return tcp_setsockopt(sk, level, optname, optval)

    def getsockopt(self, sk: InetSock, level: int, optname: int, opt: OptBuf) -> int:
        return tcp_getsockopt(sk, level, optname, opt)

    async def sendmsg(self, proc: Process, sk: InetSock, msg: MsgHdr, size: int, flags: int) -> int:
        return await tcp_sendmsg(proc, tcp_sk(sk), msg, size, flags)

    async def recvmsg(self, proc: Process, sk: InetSock, msg: MsgHdr, size: int, flags: int) -> int:
        return await tcp_recvmsg(proc, tcp_sk(sk), msg, size, flags)

    def set_peek_off(self, sk: InetSock, val: int) -> int:
        sk.sk_peek_off = val
        return 0


tcp_prot = TcpProto()

