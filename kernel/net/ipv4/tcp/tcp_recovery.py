"""RACK loss detection (RFC 8985, net/ipv4/tcp_recovery.c), sans-IO.

Contract: ``tcp_rack_advance(tp, skb)`` when a record is (S)ACKed (the most
recently sent delivered segment and its RTT: RFC 8985 6.2 step 2);
``tcp_rack_mark_lost(tp, now)`` marks LOST every unacknowledged record sent
before it whose RTT + reordering window has passed (6.2 step 5) and arms
the reordering timer (ICSK_TIME_REO_TIMEOUT) for the others;
``tcp_rack_reo_timeout(tp, now)`` is that timer.  The reordering window is
min_rtt/4 (zero in recovery or after DupThresh SACKs while no reordering was
seen), bounded by srtt, as tcp_rack_reo_wnd.  State lives in ``tp.tx_priv``.
"""
from __future__ import annotations

from dataclasses import dataclass

from kernel.net.ipv4.tcp.conn import ICSK_TIME_REO_TIMEOUT, TCP_CA_Recovery, TcpConn
from kernel.net.ipv4.tcp.segment import after
from kernel.net.ipv4.tcp.tcp_output import (
    TCPCB_EVER_RETRANS,
    TCPCB_LOST,
    TCPCB_SACKED_ACKED,
    TCPCB_SACKED_RETRANS,
    TcpSkb,
    tcp_reset_xmit_timer,
)

__all__ = ["RackState", "tcp_rack_advance", "tcp_rack_mark_lost", "tcp_rack_reo_timeout"]


@dataclass(slots=True)
class RackState:
    mstamp: float = 0.0  # send time of the most recently sent delivered segment
    end_seq: int = 0
    rtt_us: int = 0
    advanced: bool = False
    reo_wnd_steps: int = 1
    reord_seen: bool = False


def _rack(tp: TcpConn) -> RackState:
    if not isinstance(tp.tx_priv, RackState):
        tp.tx_priv = RackState()
    st: RackState = tp.tx_priv
    return st


def _sent_after(t1: float, t2: float, seq1: int, seq2: int) -> bool:
    return t1 > t2 or (t1 == t2 and after(seq1, seq2))


def tcp_rack_advance(tp: TcpConn, skb: TcpSkb, now: float | None = None) -> None:
    r = _rack(tp)
    t = skb.tx_time if now is None else now
    rtt_us = max(int(round(((now if now is not None else t) - skb.tx_time) * 1e6)), 0)
    if skb.sacked & (TCPCB_SACKED_RETRANS | TCPCB_EVER_RETRANS) and tp.rtt_min_us and rtt_us < tp.rtt_min_us:
        return  # ambiguous: the retransmission or the original
    r.advanced = True
    if now is not None:
        r.rtt_us = rtt_us
    if _sent_after(skb.tx_time, r.mstamp, skb.end_seq, r.end_seq):
        r.mstamp = skb.tx_time
        r.end_seq = skb.end_seq


def _reo_wnd_us(tp: TcpConn, r: RackState) -> int:
    if not r.reord_seen:
        if tp.ca_state >= TCP_CA_Recovery:
            return 0
        if tp.sacked_out >= tp.reordering:
            return 0
    return min((tp.rtt_min_us >> 2) * r.reo_wnd_steps, tp.srtt_us >> 3)


def tcp_rack_mark_lost(tp: TcpConn, now: float) -> bool:
    """Detect losses by time (tcp_rack_detect_loss); True when something was newly marked."""
    from kernel.net.ipv4.tcp.tcp_ack import tcp_mark_skb_lost

    r = _rack(tp)
    if not r.advanced and not tp.lost_out:
        return False
    r.advanced = False
    if not r.rtt_us:
        r.rtt_us = max(tp.srtt_us >> 3, 1)
    reo_wnd = _reo_wnd_us(tp, r)
    reo_timeout = 0.0
    marked = False
    for skb in tp.rtx_queue:
        if skb.sacked & TCPCB_SACKED_ACKED:
            continue
        if skb.sacked & TCPCB_LOST and not skb.sacked & TCPCB_SACKED_RETRANS:
            continue
        if not _sent_after(r.mstamp, skb.tx_time, r.end_seq, skb.end_seq):
            continue
        remaining = (r.rtt_us + reo_wnd) / 1e6 - (now - skb.tx_time)
        if remaining <= 0:
            tcp_mark_skb_lost(tp, skb)
            marked = True
        else:
            reo_timeout = max(reo_timeout, remaining)
    if reo_timeout > 0 and tp.icsk_pending not in (ICSK_TIME_REO_TIMEOUT,):
        tcp_reset_xmit_timer(tp, ICSK_TIME_REO_TIMEOUT, reo_timeout + 0.001, now)
    return marked


def tcp_rack_reo_timeout(tp: TcpConn, now: float) -> None:
    """The reordering timer fired: mark what is now lost, enter recovery, retransmit (tcp_rack_reo_timeout)."""
    from kernel.net.ipv4.tcp import tcp_ack
    from kernel.net.ipv4.tcp.tcp_output import tcp_rearm_rto, tcp_xmit_retransmit_queue

    prior_inflight = tp.lost_out
    tp.icsk_pending = 0
    tp.icsk_timeout = None
    _rack(tp).advanced = True
    tcp_rack_mark_lost(tp, now)
    if tp.lost_out > prior_inflight:
        if tp.ca_state < TCP_CA_Recovery:
            tcp_ack._enter_recovery(tp, now)
        tcp_xmit_retransmit_queue(tp, now)
    if not tp.icsk_pending:
        tcp_rearm_rto(tp, now)
