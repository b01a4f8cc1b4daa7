"""The endpoint's timers (Linux's tcp_timer.c for delayed ACK and keepalive; inet_timewait_sock's expiry).

Contract:

- ``tcp_on_timer(tp, now)``: fires every passed deadline, in Linux's order:
  the write timer (``icsk_timeout`` with ``icsk_pending`` = RETRANS / PROBE0 /
  LOSS_PROBE / REO_TIMEOUT: ``icsk_pending`` and ``icsk_timeout`` are cleared
  before CORE-TX's handler runs, which re-arms them as it needs; when
  tcp_retrans has ``tcp_write_timer_handler(tp, now)`` that one dispatches),
  the delayed ACK (``ack_timeout``, tcp_delack_timer_handler: ato doubles
  unless pingpong), the keepalive timer (``keepalive_timeout``:
  tcp_keepalive_timer: probes after keepidle of silence, every keepintvl,
  ETIMEDOUT + RST after keepcnt unanswered probes or TCP_USER_TIMEOUT; an
  orphan's FIN-WAIT-2 timeout (tcp_fin_time) closes silently), TIME-WAIT
  (``tw_timeout``: TCP_TIMEWAIT_LEN = 60 s, then CLOSE).
- arming the delayed ACK is CORE-TX's ``tcp_output.tcp_send_delayed_ack``.
- ``tcp_reset_keepalive_timer(tp, now)``: SO_KEEPALIVE / TCP_KEEPIDLE changes.
"""
from __future__ import annotations

import errno
import importlib
from typing import Any

from kernel.net.ipv4.tcp import tcp_output
from kernel.net.ipv4.tcp.conn import (
    ICSK_ACK_SCHED,
    ICSK_ACK_TIMER,
    ICSK_TIME_LOSS_PROBE,
    ICSK_TIME_PROBE0,
    ICSK_TIME_REO_TIMEOUT,
    ICSK_TIME_RETRANS,
    TCP_ATO_MIN,
    TcpConn,
    TcpEvent,
)
from kernel.net.ipv4.tcp.states import (
    TCP_CLOSE,
    TCP_FIN_WAIT2,
    TCP_LISTEN,
    TCP_SYN_SENT,
    TCP_TIME_WAIT,
    TIMEOUT,
)

TCP_RESOURCE_PROBE_INTERVAL = 0.5


def keepalive_time_when(tp: TcpConn) -> float:
    return tp.params.keepidle or tp.params.keepalive_time


def keepalive_intvl_when(tp: TcpConn) -> float:
    return tp.params.keepintvl or tp.params.keepalive_intvl


def keepalive_probes(tp: TcpConn) -> int:
    return tp.params.keepcnt or tp.params.keepalive_probes


def tcp_delack_timer(tp: TcpConn, now: float) -> None:
    """tcp_delack_timer_handler."""
    tp.ack_timeout = None
    if tp.state in (TCP_CLOSE, TCP_LISTEN, TCP_TIME_WAIT) or not tp.ack_pending & ICSK_ACK_TIMER:
        return
    tp.ack_pending &= ~ICSK_ACK_TIMER
    if tp.ack_pending & ICSK_ACK_SCHED:
        if not tp.ack_pingpong:
            tp.ack_ato = min(tp.ack_ato * 2, tp.rto)
        else:
            tp.ack_pingpong = 0
            tp.ack_ato = TCP_ATO_MIN
        tp.mib_inc("DelayedACKs")
        from kernel.net.ipv4.tcp.tcp_input import tcp_send_ack_now
        tcp_send_ack_now(tp, now)


def tcp_reset_keepalive_timer(tp: TcpConn, now: float) -> None:
    """tcp_set_keepalive: arm at keepidle from now, or stop (the FIN-WAIT-2 orphan timer is kept)."""
    if tp.state == TCP_FIN_WAIT2 and tp.orphan:
        return
    if tp.params.keepalive and tp.state not in (TCP_CLOSE, TCP_LISTEN, TCP_SYN_SENT, TCP_TIME_WAIT):
        tp.keepalive_timeout = now + keepalive_time_when(tp)
    else:
        tp.keepalive_timeout = None


def tcp_keepalive_timer(tp: TcpConn, now: float) -> None:
    """tcp_keepalive_timer: the FIN-WAIT-2 orphan timeout and keepalive probing."""
    tp.keepalive_timeout = None
    if tp.state == TCP_FIN_WAIT2 and tp.orphan:
        tp.set_state(TIMEOUT)  # the FIN-WAIT-2 timewait sock expires silently
        return
    if not tp.params.keepalive or tp.state in (TCP_CLOSE, TCP_SYN_SENT, TCP_LISTEN, TCP_TIME_WAIT):
        return
    when = keepalive_time_when(tp)
    if tp.packets_out or tp.write_queue or tp.fin_queued and tp.snd_nxt != tp.write_seq:
        tp.keepalive_timeout = now + when
        return
    elapsed = now - max(tp.ack_lrcvtime, tp.rcv_tstamp)
    if elapsed >= when - 1e-9:
        user_timeout = tp.params.user_timeout
        if ((user_timeout and elapsed >= user_timeout and tp.icsk_probes_out > 0)
                or (not user_timeout and tp.icsk_probes_out >= keepalive_probes(tp))):
            from kernel.net.ipv4.tcp.tcp_input import tcp_write_queue_purge
            tcp_output.tcp_send_active_reset(tp, now)
            tp.mib_inc("TCPAbortOnTimeout")
            err = errno.ETIMEDOUT
            if not tp.orphan:
                tp.sk_err = err
                tp.events.append(TcpEvent("error", err=err))
            tcp_write_queue_purge(tp)
            tp.done()
            return
        tcp_output.tcp_send_window_probe(tp, now)
        tp.mib_inc("TCPKeepAlive")
        tp.icsk_probes_out += 1
        tp.keepalive_timeout = now + keepalive_intvl_when(tp)
    else:
        tp.keepalive_timeout = now + (when - elapsed)


def _mod(name: str) -> Any:
    try:
        return importlib.import_module(f"kernel.net.ipv4.tcp.{name}")
    except ImportError:
        return None


def tcp_write_timer(tp: TcpConn, now: float) -> None:
    """tcp_write_timer_handler: CORE-TX's retransmit / probe / loss-probe / RACK timers."""
    retrans = _mod("tcp_retrans")
    handler = getattr(retrans, "tcp_write_timer_handler", None)
    if handler is not None:
        handler(tp, now)
        return
    event = tp.icsk_pending
    tp.icsk_pending = 0
    tp.icsk_timeout = None
    if retrans is None:
        return
    if event == ICSK_TIME_RETRANS:
        retrans.tcp_retransmit_timer(tp, now)
    elif event == ICSK_TIME_PROBE0:
        retrans.tcp_probe_timer(tp, now)
    elif event == ICSK_TIME_LOSS_PROBE:
        retrans.tcp_send_loss_probe(tp, now)
    elif event == ICSK_TIME_REO_TIMEOUT:
        reo = getattr(_mod("tcp_recovery"), "tcp_rack_reo_timeout", None)
        if reo is not None:
            reo(tp, now)


def tcp_on_timer(tp: TcpConn, now: float) -> None:
    """Fire the passed deadlines (a late or early call is harmless)."""
    if tp.tw_timeout is not None and tp.tw_timeout <= now:
        tp.tw_timeout = None
        if tp.state == TCP_TIME_WAIT:
            tp.set_state(TIMEOUT)
        return
    if tp.icsk_timeout is not None and tp.icsk_timeout <= now and tp.state != TCP_CLOSE:
        tcp_write_timer(tp, now)
    if tp.ack_timeout is not None and tp.ack_timeout <= now and tp.state != TCP_CLOSE:
        tcp_delack_timer(tp, now)
    if tp.keepalive_timeout is not None and tp.keepalive_timeout <= now and tp.state != TCP_CLOSE:
        tcp_keepalive_timer(tp, now)


__all__ = ["tcp_delack_timer", "tcp_keepalive_timer", "tcp_on_timer", "tcp_reset_keepalive_timer",
           "tcp_write_timer"]
