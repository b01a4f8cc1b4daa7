"""The retransmit-class timers (net/ipv4/tcp_timer.c's write timer half), sans-IO.

Contract: ``tcp_write_timer(tp, now)``: CORE-RX's ``on_timer`` calls it when
``tp.icsk_timeout`` has passed; it dispatches on ``tp.icsk_pending``:
ICSK_TIME_RETRANS -> ``tcp_retransmit_timer`` (RFC 6298 5.4-5.6: retransmit
the head, back the RTO off (doubling, at most 120 s), RTO recovery state;
SYN-SENT: the SYN again, TCP_SYNCNT / tcp_syn_retries; a passive SYN-RECV
(``tp.req_passive``): the SYN-ACK again, tcp_synack_retries, then dropped
without a RST), ICSK_TIME_PROBE0 -> ``tcp_probe_timer`` (zero-window probes;
RFC 9293 3.8.6.1: never give up while the peer answers, except retries2 /
TCP_USER_TIMEOUT), ICSK_TIME_LOSS_PROBE -> ``tcp_send_loss_probe`` (RFC 8985
7), ICSK_TIME_REO_TIMEOUT -> RACK's reordering timer.
``tcp_write_timeout(tp, now) -> bool``: True when the connection gave up (the
error is sk_err_soft or ETIMEDOUT, an "error" event, then CLOSE via tp.done()):
SYN states by retransmission count, others by elapsed time modelled as Linux's
tcp_model_timeout (retries2 = 15 -> 924.6 s at RTO_MIN), TCP_USER_TIMEOUT.
``tcp_rearm_rto`` is tcp_output's (re-exported).
"""
from __future__ import annotations

import errno

from kernel.net.ipv4.tcp.conn import (
    ICSK_TIME_LOSS_PROBE,
    ICSK_TIME_PROBE0,
    ICSK_TIME_REO_TIMEOUT,
    ICSK_TIME_RETRANS,
    TCP_RTO_MAX,
    TCP_RTO_MIN,
    TCP_TIMEOUT_INIT,
    TCP_CA_Disorder,
    TCP_CA_Loss,
    TCP_CA_Recovery,
    TcpConn,
    TcpEvent,
)
from kernel.net.ipv4.tcp.segment import after, seq_add, seq_sub
from kernel.net.ipv4.tcp.states import TCP_CLOSE, TCP_SYN_RECV, TCP_SYN_SENT
from kernel.net.ipv4.tcp.tcp_output import (
    TCP_NAGLE_OFF,
    TCP_RESOURCE_PROBE_INTERVAL,
    _has_unsent,
    tcp_current_mss,
    tcp_data_end,
    tcp_rearm_rto,
    tcp_reset_xmit_timer,
    tcp_retransmit_skb,
    tcp_send_probe0,
    tcp_send_synack,
    tcp_wnd_end,
    tcp_write_xmit,
)

__all__ = [
    "tcp_write_timer", "tcp_retransmit_timer", "tcp_probe_timer", "tcp_write_timeout", "tcp_rearm_rto",
    "tcp_send_loss_probe", "tcp_model_timeout", "tcp_write_err",
]


def tcp_write_timer(tp: TcpConn, now: float) -> None:
    """tcp_write_timer_handler: run the pending retransmit-class timer if its time has come."""
    if tp.state == TCP_CLOSE or not tp.icsk_pending or tp.icsk_timeout is None:
        return
    if tp.icsk_timeout > now + 1e-9:
        return
    event = tp.icsk_pending
    if event == ICSK_TIME_REO_TIMEOUT:
        from kernel.net.ipv4.tcp.tcp_recovery import tcp_rack_reo_timeout
        tcp_rack_reo_timeout(tp, now)
        return
    tp.icsk_pending = 0
    tp.icsk_timeout = None
    if event == ICSK_TIME_LOSS_PROBE:
        tcp_send_loss_probe(tp, now)
    elif event == ICSK_TIME_RETRANS:
        tcp_retransmit_timer(tp, now)
    elif event == ICSK_TIME_PROBE0:
        tcp_probe_timer(tp, now)


def tcp_model_timeout(boundary: int, rto_base: float) -> float:
    """The time ``boundary`` doubling retransmissions take from ``rto_base`` (tcp_model_timeout)."""
    thresh = max(int(TCP_RTO_MAX / rto_base).bit_length() - 1, 0)
    if boundary <= thresh:
        return ((2 << boundary) - 1) * rto_base
    return ((2 << thresh) - 1) * rto_base + (boundary - thresh) * TCP_RTO_MAX


def _retransmits_timed_out(tp: TcpConn, boundary: int, timeout: float, now: float) -> bool:
    if not tp.icsk_retransmits:
        return False
    start = tp.retrans_stamp
    if not timeout:
        base = TCP_TIMEOUT_INIT if tp.state in (TCP_SYN_SENT, TCP_SYN_RECV) else TCP_RTO_MIN
        timeout = tcp_model_timeout(boundary, base)
    return now - start - timeout >= -1e-9


def _orphan_retries(tp: TcpConn, alive: bool) -> int:
    retries = tp.params.orphan_retries
    if tp.sk_err_soft and not alive:
        retries = 0
    if not retries and alive:
        retries = 8
    return retries


def tcp_write_err(tp: TcpConn, now: float) -> None:
    """Give up (tcp_write_err): report sk_err_soft or ETIMEDOUT, then CLOSE."""
    err = tp.sk_err_soft or errno.ETIMEDOUT
    tp.sk_err = err
    tp.events.append(TcpEvent("error", err=err))
    tp.icsk_pending = 0
    tp.icsk_timeout = None
    done = getattr(tp, "done", None)
    if done is not None:
        done()
    else:
        tp.set_state("timeout")


def tcp_write_timeout(tp: TcpConn, now: float) -> bool:
    """True when the retransmissions have gone on too long (tcp_write_timeout)."""
    p = tp.params
    if tp.state in (TCP_SYN_SENT, TCP_SYN_RECV):
        retry_until = (p.synack_retries if tp.req_passive else (p.syncnt or p.syn_retries))
        expired = tp.icsk_retransmits >= retry_until
    else:
        retry_until = p.retries2
        if tp.orphan:
            alive = tp.rto < TCP_RTO_MAX
            retry_until = _orphan_retries(tp, alive)
        user = p.user_timeout
        if user:
            expired = bool(tp.icsk_retransmits) and now - tp.retrans_stamp >= user - 1e-9
        else:
            expired = _retransmits_timed_out(tp, retry_until, 0.0, now)
    if expired:
        if tp.state == TCP_SYN_RECV and tp.req_passive:
            # a request sock just goes away (reqsk_timer_handler): no error to report
            tp.icsk_pending = 0
            tp.icsk_timeout = None
            done = getattr(tp, "done", None)
            if done is not None:
                done()
            return True
        tcp_write_err(tp, now)
        return True
    return False


def _clamp_rto_to_user_timeout(tp: TcpConn, now: float) -> float:
    user = tp.params.user_timeout
    if not user or not tp.icsk_retransmits:
        return tp.rto
    remaining = user - (now - tp.retrans_stamp)
    if remaining <= 0:
        return 0.001
    return min(tp.rto, remaining)


def tcp_retransmit_timer(tp: TcpConn, now: float) -> None:
    """The RTO fired (tcp_retransmit_timer)."""
    from kernel.net.ipv4.tcp.tcp_ack import tcp_enter_loss

    if not tp.packets_out or not tp.rtx_queue:
        return
    head = tp.rtx_queue[0]
    if tp.state == TCP_SYN_RECV and tp.req_passive:
        # the SYN-ACK's timer (reqsk_timer_handler): TCP_TIMEOUT_INIT << n, synack_retries
        if tcp_write_timeout(tp, now):
            return
        tcp_send_synack(tp, now)
        tp.mib_inc("RetransSegs")
        tp.total_retrans += 1
        tp.icsk_retransmits += 1
        tp.rto = min(TCP_TIMEOUT_INIT * (1 << tp.icsk_retransmits), TCP_RTO_MAX)
        tcp_reset_xmit_timer(tp, ICSK_TIME_RETRANS, tp.rto, now)
        return
    if not tp.snd_wnd and not tp.orphan and tp.state not in (TCP_SYN_SENT, TCP_SYN_RECV):
        # the receiver shrank its window to zero: retransmissions are window probes, never a timeout
        user = tp.params.user_timeout
        elapsed = now - (tp.retrans_stamp or head.tx_time)
        if (user and elapsed >= user) or elapsed > TCP_RTO_MAX * 2 and not user and elapsed > tcp_model_timeout(
                tp.params.retries2, TCP_RTO_MIN):
            tcp_write_err(tp, now)
            return
        tcp_enter_loss(tp, now)
        tcp_retransmit_skb(tp, head, now)
        tp.icsk_backoff += 1
        tp.rto = min(tp.rto * 2, TCP_RTO_MAX)
        tcp_reset_xmit_timer(tp, ICSK_TIME_RETRANS, tp.rto, now)
        return
    tp.mib_inc("TCPTimeouts")
    if tcp_write_timeout(tp, now):
        return
    if tp.icsk_retransmits == 0:
        if tp.ca_state == TCP_CA_Recovery:
            tp.mib_inc("TCPSackFailures" if tp.sack_ok else "TCPRenoFailures")
        elif tp.ca_state == TCP_CA_Loss:
            tp.mib_inc("TCPLossFailures")
        elif tp.ca_state == TCP_CA_Disorder or tp.sacked_out:
            tp.mib_inc("TCPSackFailures" if tp.sack_ok else "TCPRenoFailures")
    if tp.state not in (TCP_SYN_SENT, TCP_SYN_RECV):
        tcp_enter_loss(tp, now)
    tp.icsk_retransmits += 1
    err = tcp_retransmit_skb(tp, tp.rtx_queue[0], now)
    if err > 0:
        tcp_reset_xmit_timer(tp, ICSK_TIME_RETRANS, TCP_RESOURCE_PROBE_INTERVAL, now)
        return
    if tp.state != TCP_SYN_SENT:
        tp.mib_inc("TCPSlowStartRetrans") if tp.state != TCP_SYN_RECV else None
    tp.icsk_backoff += 1
    if tp.params.thin_linear_timeouts and tp.packets_out < 4 and tp.icsk_retransmits <= 6 \
            and tp.state not in (TCP_SYN_SENT, TCP_SYN_RECV):
        tp.icsk_backoff = 0
    else:
        tp.rto = min(tp.rto * 2, TCP_RTO_MAX)
    tcp_reset_xmit_timer(tp, ICSK_TIME_RETRANS, _clamp_rto_to_user_timeout(tp, now), now)


def tcp_probe_timer(tp: TcpConn, now: float) -> None:
    """The zero-window probe timer fired (tcp_probe_timer)."""
    if tp.packets_out or not _has_unsent(tp):
        tp.icsk_probes_out = 0
        tp.icsk_probes_tstamp = 0.0
        return
    if not tp.icsk_probes_tstamp:
        tp.icsk_probes_tstamp = now
    elif tp.params.user_timeout and now - tp.icsk_probes_tstamp >= tp.params.user_timeout - 1e-9:
        tcp_write_err(tp, now)
        return
    max_probes = tp.params.retries2
    if tp.orphan:
        alive = tcp_probe0_backoff_rto(tp) < TCP_RTO_MAX
        max_probes = _orphan_retries(tp, alive)
        if not alive and tp.icsk_backoff >= max_probes:
            tcp_write_err(tp, now)
            return
    if tp.icsk_probes_out >= max_probes:
        tcp_write_err(tp, now)
    else:
        tcp_send_probe0(tp, now)


def tcp_probe0_backoff_rto(tp: TcpConn) -> float:
    return min(tp.rto * (1 << min(tp.icsk_backoff, 30)), TCP_RTO_MAX)


def tcp_send_loss_probe(tp: TcpConn, now: float) -> None:
    """RFC 8985 7.3: send one new segment if the window allows, else the last one again."""
    if tp.tlp_high_seq:
        tcp_rearm_rto(tp, now)
        return
    tp.tlp_retrans = False
    sent = False
    if _has_unsent(tp):
        mss = tcp_current_mss(tp)
        seg_len = min(mss, max(seq_sub(tcp_data_end(tp), tp.snd_nxt), 0))
        if not after(seq_add(tp.snd_nxt, seg_len), tcp_wnd_end(tp)):
            before_out = tp.packets_out
            tcp_write_xmit(tp, now, TCP_NAGLE_OFF, 2)
            sent = tp.packets_out > before_out
            if not sent:
                tcp_rearm_rto(tp, now)
                return
    if not sent:
        if not tp.rtx_queue:
            return
        skb = tp.rtx_queue[-1]
        if tcp_retransmit_skb(tp, skb, now, account=False):
            tcp_rearm_rto(tp, now)
            return
        tp.tlp_retrans = True
    tp.tlp_high_seq = tp.snd_nxt
    tp.mib_inc("TCPLossProbes")
    tp.icsk_pending = 0
    tcp_rearm_rto(tp, now)


def tcp_simple_retransmit(tp: TcpConn, now: float) -> None:
    """The path MTU shrank: every record now too big is lost; retransmit them (tcp_simple_retransmit)."""
    from kernel.net.ipv4.tcp.tcp_ack import _current_ssthresh, tcp_mark_skb_lost
    from kernel.net.ipv4.tcp.tcp_cong import tcp_set_ca_state
    from kernel.net.ipv4.tcp.tcp_output import tcp_xmit_retransmit_queue

    mss = tcp_current_mss(tp)
    for skb in tp.rtx_queue:
        if skb.length > mss:
            tcp_mark_skb_lost(tp, skb)
    if not tp.lost_out:
        return
    if tp.ca_state != TCP_CA_Loss:
        tp.high_seq = tp.snd_nxt
        tp.snd_ssthresh = _current_ssthresh(tp)
        tp.prior_ssthresh = 0
        tp.undo_marker = 0
        tcp_set_ca_state(tp, TCP_CA_Loss, now)
    tcp_xmit_retransmit_queue(tp, now)


tcp_write_timer_handler = tcp_write_timer
__all__ += ["tcp_simple_retransmit", "tcp_write_timer_handler"]
