"""ACK processing (net/ipv4/tcp_input.c's tcp_ack and its helpers), sans-IO.

Contract: ``tcp_ack(tp, seg, now, flag) -> int``; CORE-RX calls it for every
acceptable segment with ACK set (``flag``: FLAG_SLOWPATH, FLAG_UPDATE_TS_RECENT,
FLAG_NO_CHALLENGE_ACK from the caller).  Returns:

- ``TCP_ACK_TOO_OLD`` (-1): older than snd_una - max window (RFC 5961 5.2): the
  caller sends a (rate-limited) challenge ACK and drops the segment;
- ``TCP_ACK_UNSENT`` (-2): acknowledges what was never sent (RFC 9293 3.10.7.4):
  drop (the caller answers as its state requires);
- 0: an old (duplicate) ACK below snd_una (its SACK blocks were still used);
- otherwise the FLAG_* bits of what it did (never 0: at least FLAG_SLOWPATH or 1).

What it does, in Linux's order: window update (tcp_may_update_window; SYN
windows are never scaled, RFC 7323 2.2), SACK tagging of the rtx queue
(RFC 2018, D-SACK RFC 2883), snd_una advance (bytes_acked) with the write
queue trimmed (tp.write_queue / write_queue_seq), the rtx queue cleaned
(tcp_clean_rtx_queue: FLAG_DATA_ACKED, FLAG_SYN_ACKED, Karn's rule), the RTT
sample (ACK timing of never-retransmitted data, else TSecr; RFC 6298 /
RFC 7323 4.1) and the RTO (tcp_rtt_estimator + tcp_set_rto: srtt + 4*rttvar
bounded to [200 ms, 120 s], jiffy-rounded), dupack counting, the loss
state machine (tcp_fastretrans_alert: Disorder, Recovery with RFC 6675 loss
marking and PRR (RFC 6937) or NewReno (RFC 6582) without SACK, Loss after
an RTO, undo by D-SACK or timestamps (RFC 2883 / Eifel)), the congestion
control hooks, the zero-window probe timer, TLP acknowledgement, the
retransmit timer, and "writable" events when send space was freed.
"""
from __future__ import annotations

from kernel.clock import HZ
from kernel.net.ipv4.tcp import tcp_recovery
from kernel.net.ipv4.tcp.conn import (
    ICSK_TIME_PROBE0,
    TCP_CA_CWR,
    TCP_INFINITE_SSTHRESH,
    TCP_RTO_MAX,
    TCP_RTO_MIN,
    TCP_CA_Disorder,
    TCP_CA_Loss,
    TCP_CA_Open,
    TCP_CA_Recovery,
    TcpConn,
)
from kernel.net.ipv4.tcp.segment import TcpSegment, after, before, seq_add, seq_sub
from kernel.net.ipv4.tcp.tcp_cong import (
    CA_EVENT_COMPLETE_CWR,
    CA_EVENT_LOSS,
    tcp_ca_event,
    tcp_ca_ops,
    tcp_set_ca_state,
)
from kernel.net.ipv4.tcp.tcp_output import (
    TCP_NAGLE_OFF,
    TCPCB_EVER_RETRANS,
    TCPCB_LOST,
    TCPCB_SACKED_ACKED,
    TCPCB_SACKED_RETRANS,
    TcpSkb,
    _push_pending,
    tcp_clear_xmit_timer,
    tcp_packets_in_flight,
    tcp_probe0_when,
    tcp_rearm_rto,
    tcp_reset_xmit_timer,
    tcp_schedule_loss_probe,
    tcp_sync_mss,
    tcp_time_stamp,
    tcp_wmem_free_acked,
    tcp_xmit_retransmit_queue,
)

__all__ = [
    "tcp_ack", "tcp_rtt_estimator", "tcp_set_rto", "tcp_enter_loss", "tcp_mark_skb_lost",
    "TCP_ACK_TOO_OLD", "TCP_ACK_UNSENT",
    "FLAG_DATA", "FLAG_WIN_UPDATE", "FLAG_DATA_ACKED", "FLAG_RETRANS_DATA_ACKED", "FLAG_SYN_ACKED",
    "FLAG_DATA_SACKED", "FLAG_ECE", "FLAG_SLOWPATH", "FLAG_SND_UNA_ADVANCED", "FLAG_DSACKING_ACK",
    "FLAG_UPDATE_TS_RECENT", "FLAG_NO_CHALLENGE_ACK", "FLAG_ACKED", "FLAG_NOT_DUP",
]

FLAG_DATA = 0x01
FLAG_WIN_UPDATE = 0x02
FLAG_DATA_ACKED = 0x04
FLAG_RETRANS_DATA_ACKED = 0x08
FLAG_SYN_ACKED = 0x10
FLAG_DATA_SACKED = 0x20
FLAG_ECE = 0x40
FLAG_LOST_RETRANS = 0x80
FLAG_SLOWPATH = 0x100
FLAG_ORIG_SACK_ACKED = 0x200
FLAG_SND_UNA_ADVANCED = 0x400
FLAG_DSACKING_ACK = 0x800
FLAG_SET_XMIT_TIMER = 0x1000
FLAG_SACK_RENEGING = 0x2000
FLAG_UPDATE_TS_RECENT = 0x4000
FLAG_NO_CHALLENGE_ACK = 0x8000
FLAG_ACKED = FLAG_DATA_ACKED | FLAG_SYN_ACKED
FLAG_NOT_DUP = FLAG_DATA | FLAG_WIN_UPDATE | FLAG_ACKED
FLAG_CA_ALERT = FLAG_DATA_SACKED | FLAG_ECE | FLAG_DSACKING_ACK
FLAG_FORWARD_PROGRESS = FLAG_ACKED | FLAG_DATA_SACKED

TCP_ACK_TOO_OLD = -1
TCP_ACK_UNSENT = -2

REXMIT_NONE = 0
REXMIT_LOST = 1
REXMIT_NEW = 2

_JIFFY = 1.0 / HZ


# --- RTT and RTO (RFC 6298 as tcp_rtt_estimator / tcp_set_rto) --------------------------------
def tcp_rtt_estimator(tp: TcpConn, mrtt_us: int) -> None:
    """Jacobson/Karels in Linux's fixed point: srtt_us << 3, mdev_us << 2, rttvar_us held per window."""
    m = mrtt_us
    srtt = tp.srtt_us
    rto_min_us = int(TCP_RTO_MIN * 1e6)
    if srtt != 0:
        m -= srtt >> 3
        srtt += m
        if m < 0:
            m = -m
            m -= tp.mdev_us >> 2
            if m > 0:
                m >>= 3
        else:
            m -= tp.mdev_us >> 2
        tp.mdev_us += m
        if tp.mdev_us > tp.mdev_max_us:
            tp.mdev_max_us = tp.mdev_us
            if tp.mdev_max_us > tp.rttvar_us:
                tp.rttvar_us = tp.mdev_max_us
        if after(tp.snd_una, tp.rtt_seq):
            if tp.mdev_max_us < tp.rttvar_us:
                tp.rttvar_us -= (tp.rttvar_us - tp.mdev_max_us) >> 2
            tp.rtt_seq = tp.snd_nxt
            tp.mdev_max_us = rto_min_us
    else:
        srtt = m << 3
        tp.mdev_us = m << 1
        tp.rttvar_us = max(tp.mdev_us, rto_min_us)
        tp.mdev_max_us = tp.rttvar_us
        tp.rtt_seq = tp.snd_nxt
    tp.srtt_us = max(1, srtt)


def _usecs_to_jiffies_s(us: int) -> float:
    j = -(-us // int(1e6 / HZ))  # round up to a jiffy
    return j * _JIFFY


def tcp_set_rto(tp: TcpConn) -> None:
    """RTO = srtt + 4 * rttvar (rttvar_us already holds 4 * mdev), bounded to TCP_RTO_MAX."""
    tp.rto = min(_usecs_to_jiffies_s((tp.srtt_us >> 3) + tp.rttvar_us), TCP_RTO_MAX)


def _ack_update_rtt(tp: TcpConn, seg: TcpSegment, flag: int, seq_rtt_us: int, sack_rtt_us: int,
                    ca_rtt_us: int, now: float) -> tuple[bool, int]:
    if seq_rtt_us < 0:
        seq_rtt_us = sack_rtt_us
    if seq_rtt_us < 0 and tp.tstamp_ok and seg.ts is not None and seg.ts[1] and flag & FLAG_ACKED:
        delta = (tcp_time_stamp(tp, now) - seg.ts[1]) & 0xFFFFFFFF
        if delta < 0x7FFFFFFF // 1000:
            seq_rtt_us = max(delta, 1) * 1000
            ca_rtt_us = seq_rtt_us
    if seq_rtt_us < 0:
        return False, ca_rtt_us
    if ca_rtt_us >= 0 and (not tp.rtt_min_us or ca_rtt_us < tp.rtt_min_us):
        tp.rtt_min_us = max(ca_rtt_us, 1)
    tcp_rtt_estimator(tp, seq_rtt_us)
    tcp_set_rto(tp)
    tp.icsk_backoff = 0
    return True, ca_rtt_us


# --- the scoreboard ----------------------------------------------------------------------------
def _is_sack(tp: TcpConn) -> bool:
    return tp.sack_ok


def tcp_mark_skb_lost(tp: TcpConn, skb: TcpSkb) -> None:
    """tcp_mark_skb_lost: LOST (a lost retransmission stops counting as retransmitted)."""
    sacked = skb.sacked
    if sacked & TCPCB_SACKED_ACKED:
        return
    if sacked & TCPCB_LOST:
        if sacked & TCPCB_SACKED_RETRANS:
            skb.sacked &= ~TCPCB_SACKED_RETRANS
            tp.retrans_out -= 1
            tp.mib_inc("TCPLostRetransmit")
    else:
        tp.lost_out += 1
        tp.lost += 1
        skb.sacked |= TCPCB_LOST


def _split_skb(tp: TcpConn, idx: int, at: int) -> None:
    """Split rtx_queue[idx] at sequence ``at`` (a SACK block edge inside a record); a SYN is never split."""
    from kernel.net.ipv4.tcp.segment import SYN
    from kernel.net.ipv4.tcp.tcp_output import tcp_fragment

    skb: TcpSkb = tp.rtx_queue[idx]
    if skb.tcp_flags & SYN:
        return
    tcp_fragment(tp, idx, seq_sub(at, skb.seq))


class _SackState:
    __slots__ = ("first_sackt", "last_sackt", "delivered")

    def __init__(self) -> None:
        self.first_sackt = -1.0
        self.last_sackt = -1.0
        self.delivered = 0


def _sacktag(tp: TcpConn, seg: TcpSegment, prior_snd_una: int, state: _SackState, now: float) -> int:
    """tcp_sacktag_write_queue: mark the records the SACK blocks cover; detect D-SACK."""
    blocks = list(seg.sack)
    if not blocks or not tp.rtx_queue and not blocks:
        return 0
    flag = 0
    s0, e0 = blocks[0]
    dup_sack = False
    if before(s0, seg.ack):
        dup_sack = True
    elif len(blocks) > 1:
        s1, e1 = blocks[1]
        if not after(e0, e1) and not before(s0, s1):
            dup_sack = True
    if dup_sack:
        tp.dsack_dups += 1
        tp.mib_inc("TCPDSACKRecv" if before(s0, seg.ack) else "TCPDSACKOfoRecv")
        flag |= FLAG_DSACKING_ACK
        if (tp.undo_marker and tp.undo_retrans > 0 and not after(e0, prior_snd_una)
                and after(e0, tp.undo_marker)):
            tp.undo_retrans -= 1
        elif tp.undo_marker and tp.undo_retrans > 0 and after(e0, seg.ack):
            tp.undo_retrans -= 1
        blocks = blocks[1:]
    for start, end in blocks:
        # tcp_is_sackblock_valid
        if not before(start, end) or after(end, tp.snd_nxt) or not after(end, tp.snd_una):
            continue
        if before(start, tp.snd_una):
            start = tp.snd_una
        i = 0
        while i < len(tp.rtx_queue):
            skb: TcpSkb = tp.rtx_queue[i]
            if not after(skb.end_seq, start):
                i += 1
                continue
            if not before(skb.seq, end):
                break
            if before(skb.seq, start):
                _split_skb(tp, i, start)
                i += 1
                continue
            if after(skb.end_seq, end):
                _split_skb(tp, i, end)
                skb = tp.rtx_queue[i]
            if not skb.sacked & TCPCB_SACKED_ACKED:
                sacked = skb.sacked
                if sacked & TCPCB_SACKED_RETRANS:
                    skb.sacked &= ~TCPCB_SACKED_RETRANS
                    tp.retrans_out -= 1
                if sacked & TCPCB_LOST:
                    skb.sacked &= ~TCPCB_LOST
                    tp.lost_out -= 1
                elif not sacked & (TCPCB_SACKED_RETRANS | TCPCB_EVER_RETRANS):
                    if state.first_sackt < 0:
                        state.first_sackt = skb.tx_time
                    state.last_sackt = skb.tx_time
                    if before(skb.seq, tp.high_seq) or tp.ca_state == TCP_CA_Open:
                        flag |= FLAG_ORIG_SACK_ACKED
                skb.sacked |= TCPCB_SACKED_ACKED
                tp.sacked_out += 1
                tp.delivered += 1
                state.delivered += 1
                flag |= FLAG_DATA_SACKED
                _rack_advance(tp, skb, now)
            i += 1
    return flag


def _rack_advance(tp: TcpConn, skb: TcpSkb, now: float) -> None:
    tcp_recovery.tcp_rack_advance(tp, skb, now)


def _update_scoreboard(tp: TcpConn, fast_rexmit: bool) -> None:
    """RFC 6675 IsLost: a hole with DupThresh (tp.reordering) SACKed segments above it is lost."""
    if _is_sack(tp):
        sacked_above = 0
        for skb in reversed(tp.rtx_queue):
            if skb.sacked & TCPCB_SACKED_ACKED:
                sacked_above += 1
                continue
            if sacked_above >= tp.reordering and not skb.sacked & TCPCB_LOST:
                tcp_mark_skb_lost(tp, skb)
    if fast_rexmit and not tp.lost_out and tp.rtx_queue:
        tcp_mark_skb_lost(tp, tp.rtx_queue[0])


def _newreno_mark_lost(tp: TcpConn, snd_una_advanced: bool) -> None:
    """tcp_newreno_mark_lost: the head is lost after DupThresh dupacks or on a partial ACK (RFC 6582 3.2)."""
    st = tp.ca_state
    if (st < TCP_CA_Recovery and tp.sacked_out >= tp.reordering) or (st == TCP_CA_Recovery and snd_una_advanced):
        if tp.rtx_queue:
            skb: TcpSkb = tp.rtx_queue[0]
            if not skb.sacked & TCPCB_LOST:
                tcp_mark_skb_lost(tp, skb)


def _identify_packet_loss(tp: TcpConn, flag: int, now: float) -> None:
    if not tp.rtx_queue:
        return
    if not _is_sack(tp):
        _newreno_mark_lost(tp, bool(flag & FLAG_SND_UNA_ADVANCED))
    elif tp.params.recovery & 1:
        tcp_recovery.tcp_rack_mark_lost(tp, now)


# Reno "SACKs": duplicate ACKs counted in sacked_out (tcp_add_reno_sack)
def _limit_reno_sacked(tp: TcpConn) -> bool:
    holes = max(tp.lost_out, 1)
    holes = min(holes, tp.packets_out)
    if tp.sacked_out + holes > tp.packets_out:
        tp.sacked_out = tp.packets_out - holes
        return True
    return False


def _add_reno_sack(tp: TcpConn, num_dupack: int) -> None:
    if num_dupack:
        prior_sacked = tp.sacked_out
        tp.sacked_out += num_dupack
        _limit_reno_sacked(tp)
        delivered = tp.sacked_out - prior_sacked
        if delivered > 0:
            tp.delivered += delivered


def _remove_reno_sacks(tp: TcpConn, acked: int) -> None:
    if acked > 0:
        tp.delivered += max(acked - tp.sacked_out, 1)
        if acked - 1 >= tp.sacked_out:
            tp.sacked_out = 0
        else:
            tp.sacked_out -= acked - 1
    _limit_reno_sacked(tp)


def _reset_reno_sack(tp: TcpConn) -> None:
    tp.sacked_out = 0


# --- congestion state machine ----------------------------------------------------------------
def _current_ssthresh(tp: TcpConn) -> int:
    if tp.ca_state in (TCP_CA_CWR, TCP_CA_Recovery):
        return tp.snd_ssthresh
    return max(tp.snd_ssthresh, (tp.snd_cwnd >> 1) + (tp.snd_cwnd >> 2))


def _init_undo(tp: TcpConn) -> None:
    tp.undo_marker = tp.snd_una or 1
    tp.undo_retrans = tp.retrans_out or -1


def _in_cwnd_reduction(tp: TcpConn) -> bool:
    return tp.ca_state in (TCP_CA_CWR, TCP_CA_Recovery)


def _init_cwnd_reduction(tp: TcpConn) -> None:
    tp.high_seq = tp.snd_nxt
    tp.tlp_high_seq = 0
    tp.snd_cwnd_cnt = 0
    tp.prior_cwnd = tp.snd_cwnd
    tp.prr_delivered = 0
    tp.prr_out = 0
    tp.snd_ssthresh = tcp_ca_ops(tp).ssthresh(tp)


def _cwnd_reduction(tp: TcpConn, newly_acked_sacked: int, newly_lost: int, flag: int) -> None:
    """Proportional Rate Reduction (RFC 6937) as tcp_cwnd_reduction."""
    if newly_acked_sacked <= 0 or not tp.prior_cwnd:
        return
    delta = tp.snd_ssthresh - tcp_packets_in_flight(tp)
    tp.prr_delivered += newly_acked_sacked
    if delta < 0:
        dividend = tp.snd_ssthresh * tp.prr_delivered + tp.prior_cwnd - 1
        sndcnt = dividend // tp.prior_cwnd - tp.prr_out
    else:
        sndcnt = max(tp.prr_delivered - tp.prr_out, newly_acked_sacked)
        if flag & FLAG_SND_UNA_ADVANCED and not newly_lost:
            sndcnt += 1
        sndcnt = min(delta, sndcnt)
    sndcnt = max(sndcnt, 0 if tp.prr_out else 1)
    tp.snd_cwnd = max(tcp_packets_in_flight(tp) + sndcnt, 1)


def _end_cwnd_reduction(tp: TcpConn, now: float) -> None:
    if tp.snd_ssthresh < TCP_INFINITE_SSTHRESH and (tp.ca_state == TCP_CA_CWR or tp.undo_marker):
        tp.snd_cwnd = tp.snd_ssthresh
        tp.snd_cwnd_stamp = now
    tcp_ca_event(tp, CA_EVENT_COMPLETE_CWR, now)


def _enter_recovery(tp: TcpConn, now: float) -> None:
    tp.mib_inc("TCPSackRecovery" if _is_sack(tp) else "TCPRenoRecovery")
    tp.prior_ssthresh = 0
    _init_undo(tp)
    if not _in_cwnd_reduction(tp):
        tp.prior_ssthresh = _current_ssthresh(tp)
        _init_cwnd_reduction(tp)
    tcp_set_ca_state(tp, TCP_CA_Recovery, now)


def _any_retrans_done(tp: TcpConn) -> bool:
    if tp.retrans_out:
        return True
    return bool(tp.rtx_queue and tp.rtx_queue[0].sacked & TCPCB_EVER_RETRANS)


def _try_keep_open(tp: TcpConn, now: float) -> None:
    state = TCP_CA_Open
    if tp.sacked_out + tp.lost_out or _any_retrans_done(tp):
        state = TCP_CA_Disorder
    if tp.ca_state != state:
        tcp_set_ca_state(tp, state, now)
        tp.high_seq = tp.snd_nxt


def _try_to_open(tp: TcpConn, flag: int, now: float) -> None:
    if not _any_retrans_done(tp):
        tp.retrans_stamp = 0.0
    if tp.ca_state != TCP_CA_CWR:
        _try_keep_open(tp, now)


def _packet_delayed(tp: TcpConn, seg: TcpSegment) -> bool:
    """Eifel: the ACK echoes a timestamp older than the first retransmission (tcp_packet_delayed)."""
    if not tp.retrans_stamp or not tp.tstamp_ok or seg.ts is None or not seg.ts[1]:
        return False
    stamp = (int(round(tp.retrans_stamp * 1_000_000)) // 1000 + tp.ts_offset) & 0xFFFFFFFF
    return before(seg.ts[1], stamp)


def _may_undo(tp: TcpConn, seg: TcpSegment) -> bool:
    return bool(tp.undo_marker) and (not tp.undo_retrans or _packet_delayed(tp, seg))


def _undo_cwnd_reduction(tp: TcpConn, unmark_loss: bool, now: float) -> None:
    if unmark_loss:
        for skb in tp.rtx_queue:
            skb.sacked &= ~TCPCB_LOST
        tp.lost_out = 0
    if tp.prior_ssthresh:
        tp.snd_cwnd = tcp_ca_ops(tp).undo_cwnd(tp)
        if tp.prior_ssthresh > tp.snd_ssthresh:
            tp.snd_ssthresh = tp.prior_ssthresh
    tp.snd_cwnd_stamp = now
    tp.undo_marker = 0


def _try_undo_recovery(tp: TcpConn, seg: TcpSegment, now: float) -> bool:
    if _may_undo(tp, seg):
        _undo_cwnd_reduction(tp, False, now)
        tp.mib_inc("TCPLossUndo" if tp.ca_state == TCP_CA_Loss else "TCPFullUndo")
    if tp.snd_una == tp.high_seq and not _is_sack(tp):
        # NewReno: hold the state until something above high_seq is ACKed (RFC 6582 3.2 step 3)
        if not _any_retrans_done(tp):
            tp.retrans_stamp = 0.0
        return True
    tcp_set_ca_state(tp, TCP_CA_Open, now)
    return False


def _try_undo_dsack(tp: TcpConn, now: float) -> bool:
    if tp.undo_marker and not tp.undo_retrans:
        _undo_cwnd_reduction(tp, False, now)
        tp.mib_inc("TCPDSACKUndo")
        return True
    return False


def _try_undo_partial(tp: TcpConn, seg: TcpSegment, prior_snd_una: int, now: float) -> bool:
    if tp.undo_marker and _packet_delayed(tp, seg):
        _undo_cwnd_reduction(tp, False, now)
        tp.mib_inc("TCPPartialUndo")
        if tp.retrans_out:
            return True
        if not _any_retrans_done(tp):
            tp.retrans_stamp = 0.0
        tcp_set_ca_state(tp, TCP_CA_Open, now)
        return True
    return False


def _try_undo_loss(tp: TcpConn, seg: TcpSegment, now: float) -> bool:
    if _may_undo(tp, seg):
        _undo_cwnd_reduction(tp, True, now)
        tp.mib_inc("TCPLossUndo")
        if _is_sack(tp):
            tcp_set_ca_state(tp, TCP_CA_Open, now)
        return True
    return False


def tcp_enter_loss(tp: TcpConn, now: float) -> None:
    """RTO: everything not SACKed is lost, cwnd = in flight + 1, ssthresh reduced once (tcp_enter_loss)."""
    head = tp.rtx_queue[0] if tp.rtx_queue else None
    is_reneg = head is not None and bool(head.sacked & TCPCB_SACKED_ACKED)
    if is_reneg:
        tp.mib_inc("TCPSACKReneging")
        tp.sacked_out = 0
    for skb in tp.rtx_queue:
        if is_reneg:
            skb.sacked &= ~TCPCB_SACKED_ACKED
        tcp_mark_skb_lost(tp, skb)
    if (tp.ca_state <= TCP_CA_Disorder or not after(tp.high_seq, tp.snd_una)
            or (tp.ca_state == TCP_CA_Loss and not tp.icsk_retransmits)):
        tp.prior_ssthresh = _current_ssthresh(tp)
        tp.prior_cwnd = tp.snd_cwnd
        tp.snd_ssthresh = tcp_ca_ops(tp).ssthresh(tp)
        tcp_ca_event(tp, CA_EVENT_LOSS, now)
        _init_undo(tp)
    tp.snd_cwnd = tcp_packets_in_flight(tp) + 1
    tp.snd_cwnd_cnt = 0
    tp.snd_cwnd_stamp = now
    if tp.ca_state <= TCP_CA_Disorder and tp.sacked_out >= tp.params.reordering:
        tp.reordering = min(tp.reordering, tp.params.reordering)
    tcp_set_ca_state(tp, TCP_CA_Loss, now)
    tp.high_seq = tp.snd_nxt
    tp.tlp_high_seq = 0


def _process_loss(tp: TcpConn, seg: TcpSegment, flag: int, num_dupack: int, now: float) -> int:
    recovered = not before(tp.snd_una, tp.high_seq)
    if flag & FLAG_SND_UNA_ADVANCED and _try_undo_loss(tp, seg, now):
        return REXMIT_NONE
    if recovered:
        _try_undo_recovery(tp, seg, now)
        return REXMIT_NONE
    if not _is_sack(tp):
        if flag & FLAG_SND_UNA_ADVANCED:
            _reset_reno_sack(tp)
        _add_reno_sack(tp, num_dupack)
    return REXMIT_LOST


def _time_to_recover(tp: TcpConn) -> bool:
    if tp.lost_out:
        return True
    return tp.sacked_out + 1 > tp.reordering


def _fastretrans_alert(tp: TcpConn, seg: TcpSegment, prior_snd_una: int, num_dupack: int, flag: int,
                       now: float) -> int:
    """tcp_fastretrans_alert: the loss state machine; returns REXMIT_*."""
    do_lost = bool(num_dupack) or (flag & FLAG_DATA_SACKED and _is_sack(tp))
    fast_rexmit = False
    if not tp.packets_out and tp.sacked_out:
        tp.sacked_out = 0
    # D. state exit when high_seq is ACKed
    if tp.ca_state != TCP_CA_Open and not before(tp.snd_una, tp.high_seq):
        if tp.ca_state == TCP_CA_CWR:
            _end_cwnd_reduction(tp, now)
            tcp_set_ca_state(tp, TCP_CA_Open, now)
        elif tp.ca_state == TCP_CA_Recovery:
            if not _is_sack(tp):
                _reset_reno_sack(tp)
            if _try_undo_recovery(tp, seg, now):
                return REXMIT_NONE
            _end_cwnd_reduction(tp, now)
    # E. process the state
    st = tp.ca_state
    if st == TCP_CA_Recovery:
        if not flag & FLAG_SND_UNA_ADVANCED:
            if not _is_sack(tp) and num_dupack:
                _add_reno_sack(tp, num_dupack)
        elif _try_undo_partial(tp, seg, prior_snd_una, now):
            return REXMIT_NONE
        if tp.ca_state == TCP_CA_Recovery and _try_undo_dsack(tp, now):
            _try_to_open(tp, flag, now)
            return REXMIT_NONE
        _identify_packet_loss(tp, flag, now)
    else:
        if st == TCP_CA_Loss:
            rexmit = _process_loss(tp, seg, flag, num_dupack, now)
            _identify_packet_loss(tp, flag, now)
            if tp.ca_state != TCP_CA_Open and not flag & FLAG_LOST_RETRANS:
                return rexmit
        if not _is_sack(tp):
            if flag & FLAG_SND_UNA_ADVANCED:
                _reset_reno_sack(tp)
            _add_reno_sack(tp, num_dupack)
        if tp.ca_state <= TCP_CA_Disorder:
            _try_undo_dsack(tp, now)
        _identify_packet_loss(tp, flag, now)
        if not _time_to_recover(tp):
            _try_to_open(tp, flag, now)
            return REXMIT_NONE
        _enter_recovery(tp, now)
        fast_rexmit = True
    if do_lost or fast_rexmit:
        _update_scoreboard(tp, fast_rexmit)
    return REXMIT_LOST


def _xmit_recovery(tp: TcpConn, rexmit: int, now: float) -> None:
    from kernel.net.ipv4.tcp.states import TCP_SYN_SENT
    if rexmit == REXMIT_NONE or tp.state == TCP_SYN_SENT:
        return
    if rexmit == REXMIT_NEW:
        _push_pending(tp, now, TCP_NAGLE_OFF)
        if after(tp.snd_nxt, tp.high_seq):
            return
    tcp_xmit_retransmit_queue(tp, now)


def _may_raise_cwnd(tp: TcpConn, flag: int) -> bool:
    if tp.reordering > tp.params.reordering:
        return bool(flag & FLAG_FORWARD_PROGRESS)
    return bool(flag & FLAG_DATA_ACKED)


def _cong_control(tp: TcpConn, ack: int, delivered: int, newly_lost: int, flag: int, now: float) -> None:
    if _in_cwnd_reduction(tp):
        _cwnd_reduction(tp, delivered, newly_lost, flag)
    elif _may_raise_cwnd(tp, flag):
        tcp_ca_ops(tp).cong_avoid(tp, ack, delivered, now)
        tp.snd_cwnd_stamp = now


# --- the window and the queues ----------------------------------------------------------------
def _may_update_window(tp: TcpConn, ack: int, ack_seq: int, nwin: int) -> bool:
    return after(ack, tp.snd_una) or after(ack_seq, tp.snd_wl1) or (
        ack_seq == tp.snd_wl1 and (nwin > tp.snd_wnd or not nwin))


def _ack_update_window(tp: TcpConn, seg: TcpSegment, ack: int, now: float) -> int:
    flag = 0
    nwin = seg.window
    if not seg.syn:
        nwin <<= tp.snd_wscale
    if _may_update_window(tp, ack, seg.seq, nwin):
        flag |= FLAG_WIN_UPDATE
        tp.snd_wl1 = seg.seq
        if tp.snd_wnd != nwin:
            tp.snd_wnd = nwin
            if nwin > tp.max_window:
                tp.max_window = nwin
                tcp_sync_mss(tp, tp.pmtu_cookie)
    _snd_una_update(tp, ack)
    return flag


def _snd_una_update(tp: TcpConn, ack: int) -> None:
    delta = seq_sub(ack, tp.snd_una)
    if delta > 0:
        if tp.req_passive and tp.snd_una == tp.iss:
            delta -= 1  # a passive child starts past its SYN-ACK (tcp_create_openreq_child): not counted
        tp.bytes_acked += delta
        tp.snd_una = ack
        tp.snd_wl2 = ack


def _trim_write_queue(tp: TcpConn) -> int:
    """Drop the acknowledged data bytes from tp.write_queue; returns how many."""
    una = tp.snd_una
    if tp.fin_queued and not before(una, seq_add(tp.fin_seq, 1)):
        una = tp.fin_seq  # the FIN is not a data byte
    n = seq_sub(una, tp.write_queue_seq)
    if n <= 0:
        return 0
    n = min(n, len(tp.write_queue))
    del tp.write_queue[:n]
    tp.write_queue_seq = seq_add(tp.write_queue_seq, n)
    tcp_wmem_free_acked(tp)
    return n


def _clean_rtx_queue(tp: TcpConn, prior_snd_una: int, sack: _SackState, seg: TcpSegment,
                     now: float) -> tuple[int, int, int, int]:
    """tcp_clean_rtx_queue: free what snd_una covers; returns (flag, seq_rtt_us, ca_rtt_us, pkts_acked)."""
    flag = 0
    first_ackt = -1.0
    last_ackt = -1.0
    pkts_acked = 0
    q = tp.rtx_queue
    while q:
        skb: TcpSkb = q[0]
        if after(skb.end_seq, tp.snd_una):
            if not skb.tcp_flags & 0x02 and before(skb.seq, tp.snd_una):
                skb.seq = tp.snd_una  # partly acknowledged: tcp_trim_head
            break
        sacked = skb.sacked
        if sacked & (TCPCB_SACKED_RETRANS | TCPCB_EVER_RETRANS):
            if sacked & TCPCB_SACKED_RETRANS:
                tp.retrans_out -= 1
            flag |= FLAG_RETRANS_DATA_ACKED
        elif not sacked & TCPCB_SACKED_ACKED:
            last_ackt = skb.tx_time
            if first_ackt < 0:
                first_ackt = last_ackt
            if not after(skb.end_seq, tp.high_seq):
                flag |= FLAG_ORIG_SACK_ACKED
        if sacked & TCPCB_SACKED_ACKED:
            tp.sacked_out -= 1
        elif _is_sack(tp):
            tp.delivered += 1
            _rack_advance(tp, skb, now)
        if sacked & TCPCB_LOST:
            tp.lost_out -= 1
        tp.packets_out -= 1
        pkts_acked += 1
        if skb.tcp_flags & 0x02:
            flag |= FLAG_SYN_ACKED
            tp.retrans_stamp = 0.0
        else:
            flag |= FLAG_DATA_ACKED
        q.popleft()
    if between_up(tp, prior_snd_una):
        tp.snd_up = tp.snd_una
    if q and q[0].sacked & TCPCB_SACKED_ACKED:
        flag |= FLAG_SACK_RENEGING
    seq_rtt_us = ca_rtt_us = -1
    if first_ackt >= 0 and not flag & FLAG_RETRANS_DATA_ACKED:
        seq_rtt_us = max(int(round((now - first_ackt) * 1e6)), 1)
        ca_rtt_us = max(int(round((now - last_ackt) * 1e6)), 1)
    sack_rtt_us = -1
    if sack.first_sackt >= 0:
        sack_rtt_us = max(int(round((now - sack.first_sackt) * 1e6)), 1)
        if ca_rtt_us < 0:
            ca_rtt_us = max(int(round((now - sack.last_sackt) * 1e6)), 1)
    rtt_update, ca_rtt_us = _ack_update_rtt(tp, seg, flag, seq_rtt_us, sack_rtt_us, ca_rtt_us, now)
    if flag & FLAG_ACKED:
        flag |= FLAG_SET_XMIT_TIMER
        if not _is_sack(tp):
            _remove_reno_sacks(tp, pkts_acked)
            if flag & FLAG_RETRANS_DATA_ACKED:
                flag &= ~FLAG_ORIG_SACK_ACKED
    elif q and rtt_update and sack_rtt_us >= 0 and sack_rtt_us > (now - q[0].tx_time) * 1e6:
        flag |= FLAG_SET_XMIT_TIMER
    if pkts_acked or sack.delivered:
        tcp_ca_ops(tp).pkts_acked(tp, pkts_acked, ca_rtt_us, now)
    return flag, seq_rtt_us, ca_rtt_us, pkts_acked


def between_up(tp: TcpConn, prior_snd_una: int) -> bool:
    from kernel.net.ipv4.tcp.segment import between
    return between(tp.snd_up, prior_snd_una, tp.snd_una)


def _ack_probe(tp: TcpConn, now: float) -> None:
    """tcp_ack_probe: a window opened for the head of unsent data stops the probe timer."""
    if not before(tp.snd_nxt, tp.write_seq):
        return
    from kernel.net.ipv4.tcp.tcp_output import tcp_current_mss, tcp_data_end, tcp_wnd_end
    seg_len = min(tcp_current_mss(tp), max(seq_sub(tcp_data_end(tp), tp.snd_nxt), 0))
    end = seq_add(tp.snd_nxt, seg_len + (1 if tp.fin_queued and seq_add(tp.snd_nxt, seg_len) == tp.fin_seq else 0))
    if not after(end, tcp_wnd_end(tp)):
        tp.icsk_backoff = 0
        tp.icsk_probes_tstamp = 0.0
        tcp_clear_xmit_timer(tp, ICSK_TIME_PROBE0)
    else:
        tcp_reset_xmit_timer(tp, ICSK_TIME_PROBE0, tcp_probe0_when(tp, TCP_RTO_MAX), now)


def _set_xmit_timer(tp: TcpConn, now: float) -> None:
    if not tcp_schedule_loss_probe(tp, now, True):
        tcp_rearm_rto(tp, now)


def _process_tlp_ack(tp: TcpConn, ack: int, flag: int, now: float) -> None:
    """RFC 8985 7.4: the TLP episode ends when its probe is acknowledged (tcp_process_tlp_ack)."""
    if before(ack, tp.tlp_high_seq):
        return
    if not tp.tlp_retrans:
        tp.tlp_high_seq = 0
    elif flag & FLAG_DSACKING_ACK:
        tp.tlp_high_seq = 0
    elif after(ack, tp.tlp_high_seq):
        # the probe repaired a loss: reduce cwnd once (tcp_init_cwnd_reduction + CWR)
        _init_cwnd_reduction(tp)
        tcp_set_ca_state(tp, TCP_CA_CWR, now)
        _end_cwnd_reduction(tp, now)
        tcp_set_ca_state(tp, TCP_CA_Open, now)
        tp.mib_inc("TCPLossProbeRecovery")
        tp.tlp_high_seq = 0
    elif not flag & (FLAG_ACKED | FLAG_DATA_SACKED | FLAG_WIN_UPDATE):
        tp.tlp_high_seq = 0


def _check_space(tp: TcpConn, freed: int) -> None:
    """Nothing here: the caller's tcp_data_snd_check (tcp_output.tcp_check_space) grows the send
    buffer and wakes a waiting writer after pushing, as Linux orders it."""


# --- tcp_ack ------------------------------------------------------------------------------------
def tcp_ack(tp: TcpConn, seg: TcpSegment, now: float, flag: int = FLAG_SLOWPATH) -> int:
    """Process the ACK field of an acceptable segment (see the module docstring)."""
    prior_snd_una = tp.snd_una
    ack = seg.ack
    sack_state = _SackState()
    prior_delivered = tp.delivered
    prior_lost = tp.lost
    if before(ack, prior_snd_una):
        max_window = min(tp.max_window, tp.bytes_acked)
        if before(ack, seq_sub(prior_snd_una, max_window) & 0xFFFFFFFF):
            return TCP_ACK_TOO_OLD
        # old ACK: its SACK blocks can still tell something (old_ack)
        if seg.sack and tp.sack_ok:
            flag |= _sacktag(tp, seg, prior_snd_una, sack_state, now)
            rexmit = _fastretrans_alert(tp, seg, prior_snd_una, 0, flag, now)
            _xmit_recovery(tp, rexmit, now)
        return 0
    if after(ack, tp.snd_nxt):
        return TCP_ACK_UNSENT
    if after(ack, prior_snd_una):
        flag |= FLAG_SND_UNA_ADVANCED
        tp.icsk_retransmits = 0
    prior_packets = tp.packets_out
    if seg.payload:
        flag |= FLAG_DATA
    flag |= _ack_update_window(tp, seg, ack, now)
    if seg.sack and tp.sack_ok:
        flag |= _sacktag(tp, seg, prior_snd_una, sack_state, now)
    tp.sk_err_soft = 0
    tp.icsk_probes_out = 0
    tp.rcv_tstamp = now
    freed = _trim_write_queue(tp)
    if not prior_packets:
        if flag & FLAG_DSACKING_ACK:
            rexmit = _fastretrans_alert(tp, seg, prior_snd_una, 0, flag, now)
        _ack_probe(tp, now)
        if tp.tlp_high_seq:
            _process_tlp_ack(tp, ack, flag, now)
        _check_space(tp, freed)
        return flag or 1
    cflag, _seq_rtt, _ca_rtt, _pkts = _clean_rtx_queue(tp, prior_snd_una, sack_state, seg, now)
    flag |= cflag
    if tp.tlp_high_seq:
        _process_tlp_ack(tp, ack, flag, now)
    if flag & FLAG_SET_XMIT_TIMER:
        _set_xmit_timer(tp, now)
    rexmit = REXMIT_NONE
    if not (flag & FLAG_NOT_DUP) or flag & FLAG_CA_ALERT or tp.ca_state != TCP_CA_Open:
        num_dupack = 0
        if not flag & (FLAG_SND_UNA_ADVANCED | FLAG_NOT_DUP | FLAG_DSACKING_ACK):
            num_dupack = 1
        rexmit = _fastretrans_alert(tp, seg, prior_snd_una, num_dupack, flag, now)
    delivered = tp.delivered - prior_delivered
    if not _is_sack(tp) and flag & FLAG_ACKED and delivered <= 0:
        delivered = 1
    _cong_control(tp, ack, delivered, tp.lost - prior_lost, flag, now)
    _xmit_recovery(tp, rexmit, now)
    if not tp.packets_out:
        tcp_rearm_rto(tp, now)
        _ack_probe(tp, now)
    _check_space(tp, freed)
    return flag or 1
