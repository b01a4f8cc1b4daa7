"""The sans-IO sender (net/ipv4/tcp_output.c): building and transmitting segments.

Contract (module-level functions on the TcpConn ``tp``; every segment built
goes to ``tp.outbox``):

- ``tcp_make_segment(tp, seq, flags, payload, now)``: tcp_transmit_skb's
  header: ACK = rcv_nxt, the window (``tcp_select_window``; SYN and SYN-ACK
  carry min(rcv_wnd, 65535) unscaled, RFC 7323 2.2), TSval = now in ms +
  ts_offset and TSecr = ts_recent (RFC 7323 3), the SYN options as
  tcp_syn_options / tcp_synack_options send them, D-SACK (RFC 2883) then SACK
  blocks (RFC 2018 4) in the option space left, the urgent pointer
  (RFC 9293 3.8.5, BSD's "after the byte").  An ACK sent cancels the delayed
  ACK (tcp_event_ack_sent); data sent updates lsndtime (tcp_event_data_sent).
- ``tcp_select_window(tp)``: Linux's rules: never shrink what was offered,
  receiver SWS avoidance (RFC 1122 4.2.3.3: free space under an MSS or 1/16
  of the buffer offers 0), mss rounding without scaling, alignment to the
  scale with it; updates rcv_wnd / rcv_wup; returns the raw 16-bit field.
- Handshake: ``tcp_connect`` (tcp_connect_init + SYN: MSS from the route MTU
  (params.dst_mtu) clamped by TCP_MAXSEG, wscale from rcvbuf / tcp_rmem[2]
  as tcp_select_initial_window, SACK-permitted, timestamps; RTO armed;
  the caller moves the state and counts ActiveOpens), ``tcp_send_synack``
  (first call initialises the passive side's MSS/window from the options the
  caller negotiated into tp; later calls retransmit), ``tcp_init_transfer``
  (call on reaching ESTABLISHED, both sides: header length, MSS, initial
  cwnd, congestion control init).
- ``tcp_send_ack``, ``tcp_send_delayed_ack`` (arms tp.ack_timeout by the ato
  rules of tcp_send_delayed_ack; tcp_timer's delack handler sends),
  ``tcp_send_fin`` (queues the FIN after the data: tp.fin_queued / fin_seq /
  write_seq += 1, then pushes with Nagle off), ``tcp_send_active_reset``,
  ``tcp_reset_for(seg)`` (RFC 9293 3.10.7.1 for a segment with no connection).
- Data: ``tcp_push(tp, now, more=...)`` after the caller appended to
  tp.write_queue and advanced tp.write_seq (marks PSH unless MSG_MORE; Nagle
  with Minshall's rule as tcp_nagle_test, TCP_NODELAY, TCP_CORK, MSG_MORE);
  ``tcp_write_xmit`` (cwnd and receive-window limits, a segment is sent only
  when it fits the offered window whole: sender SWS avoidance, RFC 1122
  4.2.3.4 as Linux does it), ``tcp_data_snd_check`` (after an ACK),
  ``tcp_send_probe0`` (zero-window probe with exponential backoff) /
  ``tcp_write_wakeup`` / ``tcp_send_window_probe`` (keepalive: seq snd_una - 1).
- Retransmission: ``TcpSkb`` (the rtx queue record: one segment, its
  scoreboard bits and send times), ``tcp_retransmit_skb``,
  ``tcp_xmit_retransmit_queue`` (retransmits what the scoreboard marks LOST,
  within cwnd), timers ``tcp_reset_xmit_timer`` / ``tcp_clear_xmit_timer`` /
  ``tcp_rearm_rto`` / ``tcp_schedule_loss_probe`` (RFC 8985 7.2).
- MSS: ``tcp_sync_mss(tp, pmtu)``, ``tcp_current_mss``, ``tcp_mss_clamp``,
  ``tcp_mtu_to_mss``.
"""
from __future__ import annotations

from dataclasses import dataclass

from kernel.net.ipv4.tcp.conn import (
    ICSK_ACK_PUSHED,
    ICSK_ACK_SCHED,
    ICSK_ACK_TIMER,
    ICSK_TIME_LOSS_PROBE,
    ICSK_TIME_PROBE0,
    ICSK_TIME_REO_TIMEOUT,
    ICSK_TIME_RETRANS,
    TCP_ATO_MIN,
    TCP_DELACK_MAX,
    TCP_DELACK_MIN,
    TCP_INIT_CWND,
    TCP_MAX_WSCALE,
    TCP_MIN_MSS,
    TCP_MSS_DEFAULT,
    TCP_RTO_MAX,
    TCP_RTO_MIN,
    TCP_TIMEOUT_INIT,
    TCP_CA_Loss,
    TCP_CA_Open,
    TCP_CA_Recovery,
    TcpConn,
    TcpEvent,
)
from kernel.net.ipv4.tcp.segment import (
    ACK,
    FIN,
    PSH,
    RST,
    SYN,
    URG,
    TcpSegment,
    after,
    before,
    between,
    seq_add,
    seq_sub,
)
from kernel.net.ipv4.tcp.states import TCP_CLOSE, TCP_SYN_RECV, TCP_SYN_SENT
from kernel.net.ipv4.tcp.tcp_cong import CA_EVENT_CWND_RESTART, CA_EVENT_TX_START, tcp_ca_event

__all__ = [
    "TcpSkb", "TCPCB_SACKED_ACKED", "TCPCB_SACKED_RETRANS", "TCPCB_LOST", "TCPCB_EVER_RETRANS",
    "tcp_make_segment", "tcp_select_window", "tcp_connect", "tcp_send_synack", "tcp_init_transfer",
    "tcp_send_ack", "tcp_send_delayed_ack", "tcp_send_fin", "tcp_send_active_reset", "tcp_reset_for",
    "tcp_push", "tcp_write_xmit", "tcp_data_snd_check", "tcp_send_probe0", "tcp_write_wakeup",
    "tcp_send_window_probe", "tcp_retransmit_skb", "tcp_xmit_retransmit_queue", "tcp_sync_mss",
    "tcp_current_mss", "tcp_mss_clamp", "tcp_mtu_to_mss", "tcp_rearm_rto", "tcp_reset_xmit_timer",
    "tcp_clear_xmit_timer", "tcp_schedule_loss_probe", "tcp_packets_in_flight", "tcp_wnd_end",
    "tcp_time_stamp", "tcp_full_space", "tcp_space", "tcp_select_initial_window",
]

_M = 0xFFFFFFFF

# struct tcp_skb_cb ->sacked bits
TCPCB_SACKED_ACKED = 0x01
TCPCB_SACKED_RETRANS = 0x02
TCPCB_LOST = 0x04
TCPCB_TAGBITS = 0x07
TCPCB_EVER_RETRANS = 0x80

# tp->nonagle bits
TCP_NAGLE_OFF = 1
TCP_NAGLE_CORK = 2
TCP_NAGLE_PUSH = 4

TCPOLEN_TSTAMP_ALIGNED = 12
TCPOLEN_SACK_BASE_ALIGNED = 4
TCPOLEN_SACK_PERBLOCK = 8
MAX_TCP_OPTION_SPACE = 40
TCP_PINGPONG_THRESH = 1
TCP_RESOURCE_PROBE_INTERVAL = 0.5
TCP_TIMEOUT_MIN = 0.002
TCP_RTO_MAX_WINDOW = 65535


@dataclass(slots=True)
class TcpSkb:
    """One sent, not yet acknowledged segment (struct sk_buff + tcp_skb_cb on the rtx queue).

    ``tcp_flags`` are the flags it was sent with (SYN / SYN|ACK / ACK|PSH / FIN...);
    ``sacked`` the scoreboard bits; times are ``now`` seconds."""

    seq: int
    end_seq: int
    tcp_flags: int
    tx_time: float  # skb_mstamp: the last (re)transmission
    first_tx_time: float
    sacked: int = 0
    delivered: int = 0  # tp.delivered when sent (rate sampling)
    delivered_time: float = 0.0
    retrans: int = 0  # times retransmitted

    @property
    def length(self) -> int:
        """Payload bytes (SYN and FIN excluded)."""
        n = seq_sub(self.end_seq, self.seq)
        if self.tcp_flags & SYN:
            n -= 1
        if self.tcp_flags & FIN:
            n -= 1
        return n

    @property
    def data_end(self) -> int:
        return seq_add(self.seq, (1 if self.tcp_flags & SYN else 0) + self.length)


# --- small helpers ----------------------------------------------------------------------
def tcp_time_stamp(tp: TcpConn, now: float) -> int:
    """TSval: the millisecond clock plus the connection's offset (tcp_time_stamp_ts + ts_offset)."""
    return (int(round(now * 1_000_000)) // 1000 + tp.ts_offset) & _M


def tcp_wnd_end(tp: TcpConn) -> int:
    return seq_add(tp.snd_una, tp.snd_wnd)


def tcp_packets_in_flight(tp: TcpConn) -> int:
    """RFC 6675 'pipe' as Linux counts it: packets_out - (sacked_out + lost_out) + retrans_out."""
    return tp.packets_out - (tp.sacked_out + tp.lost_out) + tp.retrans_out


def _win_from_space(tp: TcpConn, space: int) -> int:
    """tcp_win_from_space with tcp_adv_win_scale (1: half the buffer is window)."""
    s = tp.params.adv_win_scale
    if s <= 0:
        return max(space, 0) >> -s
    return max(space - (space >> s), 0)


def tcp_full_space(tp: TcpConn) -> int:
    return _win_from_space(tp, tp.params.rcvbuf)


def tcp_space(tp: TcpConn) -> int:
    return _win_from_space(tp, tp.params.rcvbuf - tp.rmem_alloc)


def tcp_data_end(tp: TcpConn) -> int:
    """One past the last data byte queued (the FIN, when queued, is at this sequence number)."""
    return seq_add(tp.write_queue_seq, len(tp.write_queue))


def _nonagle(tp: TcpConn) -> int:
    v = 0
    if tp.params.nodelay:
        v |= TCP_NAGLE_OFF
    if tp.params.cork:
        v |= TCP_NAGLE_CORK
    if tp.nonagle_push:
        v |= TCP_NAGLE_PUSH
    return v


# --- the send buffer (sk_sndbuf, sk_wmem_queued; tcp_sendmsg_locked, tcp_sndbuf_expand) ------
# An skb tcp_stream_alloc_skb makes charges SKB_TRUESIZE of its MAX_TCP_HEADER head (192 + the
# sk_buff's 256 + skb_shared_info's 320) plus the bytes copied into its page frags; the
# per-MSS figure tcp_sndbuf_expand uses adds MAX_TCP_HEADER + skb_shared_info (512) to the MSS,
# rounds to a power of two, and adds the sk_buff (256): SO_SNDBUF on Linux 6.18 shows 46080
# for MSS 1000 and 2626560 on loopback (MSS 65483) with reno/cubic.
TCP_SKB_OVERHEAD = 768
TCP_SNDBUF_MSS_HEADROOM = 512
SKB_STRUCT_TRUESIZE = 256
SK_GSO_MAX_SIZE = 65536 - 193  # sk_setup_caps: GSO_LEGACY_MAX_SIZE - (MAX_TCP_HEADER + 1)


def tcp_wmem_queued(tp: TcpConn) -> int:
    """sk_wmem_queued: the truesize of the write and retransmit queues."""
    return len(tp.write_queue) + TCP_SKB_OVERHEAD * len(tp.wmem_skbs)


def tcp_size_goal(tp: TcpConn) -> int:
    """tcp_xmit_size_goal: how much one skb of the write queue takes (GSO: a multiple of the MSS
    up to 64 KiB, bounded by half the peer's largest window)."""
    mss = tcp_current_mss(tp)
    goal = tcp_bound_to_half_wnd(tp, SK_GSO_MAX_SIZE)
    return max((goal // mss) * mss, mss)


def _tail_room(tp: TcpConn, size_goal: int) -> int:
    """Bytes the last skb of the write queue still takes: it must be wholly unsent."""
    skbs = tp.wmem_skbs
    if not skbs or tp.fin_queued:
        return 0
    start = skbs[-2] if len(skbs) > 1 else tp.write_queue_seq
    if before(start, tp.snd_nxt):
        return 0
    return max(size_goal - seq_sub(skbs[-1], start), 0)


def tcp_send_room(tp: TcpConn) -> int:
    """What tcp_sendmsg_locked would copy now: the tail skb's room, then a full skb for every
    sk_stream_memory_free (sk_wmem_queued < sk_sndbuf) check that passes."""
    goal = tcp_size_goal(tp)
    room = _tail_room(tp, goal)
    free = tp.params.sndbuf - tcp_wmem_queued(tp)
    if free > 0:
        room += -(-free // (TCP_SKB_OVERHEAD + goal)) * goal
    return room


def tcp_sendmsg_copy(tp: TcpConn, data: bytes | memoryview) -> int:
    """tcp_sendmsg_locked's copy loop (no waiting): append to the tail skb while it is unsent and
    under the size goal, else start a new skb if memory is free; returns the bytes taken."""
    goal = tcp_size_goal(tp)
    skbs = tp.wmem_skbs
    if skbs:
        # an skb partly sent was split there (tso_fragment): its unsent part is an skb of its own
        start = skbs[-2] if len(skbs) > 1 else tp.write_queue_seq
        if before(start, tp.snd_nxt) and before(tp.snd_nxt, skbs[-1]):
            end = skbs.pop()
            skbs.append(tp.snd_nxt)
            skbs.append(end)
    left = len(data)
    taken = 0
    queued = tcp_wmem_queued(tp)
    sndbuf = tp.params.sndbuf
    room = _tail_room(tp, goal)
    while left > 0:
        if room > 0:
            n = min(room, left)
            skbs[-1] = seq_add(skbs[-1], n)
        else:
            if queued >= sndbuf:
                break
            n = min(goal, left)
            skbs.append(seq_add(tp.write_seq, taken + n))
            queued += TCP_SKB_OVERHEAD
        queued += n
        taken += n
        left -= n
        room = 0
    if taken:
        tp.write_queue += data[:taken]
        tp.write_seq = seq_add(tp.write_seq, taken)
    return taken


def tcp_wmem_free_acked(tp: TcpConn) -> None:
    """Free the skbs whose data snd_una now covers (tcp_clean_rtx_queue's sk_wmem_free_skb)."""
    skbs = tp.wmem_skbs
    head = tp.write_queue_seq
    while skbs and not after(skbs[0], head):
        skbs.popleft()


def tcp_stream_is_writeable(tp: TcpConn) -> bool:
    """__sk_stream_is_writeable without TCP_NOTSENT_LOWAT (the socket layer adds it):
    sk_stream_wspace >= sk_stream_min_wspace and sk_stream_memory_free."""
    queued = tcp_wmem_queued(tp)
    return queued < tp.params.sndbuf and tp.params.sndbuf - queued >= (queued >> 1)


def tcp_sndbuf_expand(tp: TcpConn) -> None:
    """tcp_sndbuf_expand: room for two (the CA's sndbuf_expand) windows of max(cwnd, IW10,
    reordering + 1) worst-case skbs, at most tcp_wmem[2]."""
    per_mss = max(tp.mss_clamp, tp.mss_cache) + TCP_SNDBUF_MSS_HEADROOM
    per_mss = (1 << (per_mss - 1).bit_length()) + SKB_STRUCT_TRUESIZE
    nr_segs = max(TCP_INIT_CWND, tp.snd_cwnd, tp.reordering + 1)
    factor = tp.ca_ops.sndbuf_expand_factor if tp.ca_ops is not None else 2
    sndmem = factor * nr_segs * per_mss
    if tp.params.sndbuf < sndmem:
        tp.params.sndbuf = min(sndmem, tp.params.wmem[2])


def tcp_should_expand_sndbuf(tp: TcpConn) -> bool:
    """Not when SO_SNDBUF fixed it, nor when cwnd (not the buffer) limits the sender."""
    if tp.params.sndbuf_locked:
        return False
    return tcp_packets_in_flight(tp) < tp.snd_cwnd


def tcp_check_space(tp: TcpConn, now: float) -> None:
    """tcp_check_space / tcp_new_space: a writer waits (SOCK_NOSPACE): maybe grow the buffer,
    then sk_stream_write_space ("writable" once a third of the buffer is free)."""
    if not tp.nospace:
        return
    if tcp_should_expand_sndbuf(tp):
        tcp_sndbuf_expand(tp)
        tp.snd_cwnd_stamp = now
    if tcp_stream_is_writeable(tp):
        tp.nospace = False
        tp.events.append(TcpEvent("writable"))


# --- timers (inet_csk_reset_xmit_timer / inet_csk_clear_xmit_timer) ----------------------
def tcp_reset_xmit_timer(tp: TcpConn, what: int, when: float, now: float, max_when: float = TCP_RTO_MAX) -> None:
    tp.icsk_pending = what
    tp.icsk_timeout = now + min(when, max_when)


def tcp_clear_xmit_timer(tp: TcpConn, what: int = 0) -> None:
    """Stop the retransmit-class timer (``what`` 0: whichever is armed)."""
    if what == 0 or tp.icsk_pending == what:
        tp.icsk_pending = 0
        tp.icsk_timeout = None


def tcp_rto_delta(tp: TcpConn, now: float) -> float:
    """The time left of the head's RTO (tcp_rto_delta_us)."""
    if not tp.rtx_queue:
        return tp.rto
    head: TcpSkb = tp.rtx_queue[0]
    return tp.rto - (now - head.tx_time)


def tcp_rearm_rto(tp: TcpConn, now: float) -> None:
    """RFC 6298 5.3: restart the RTO when data is outstanding, stop it when none is (tcp_rearm_rto)."""
    if not tp.packets_out:
        tcp_clear_xmit_timer(tp, ICSK_TIME_RETRANS)
        if tp.icsk_pending in (ICSK_TIME_LOSS_PROBE, ICSK_TIME_REO_TIMEOUT):
            tcp_clear_xmit_timer(tp)
        return
    rto = tp.rto
    if tp.icsk_pending in (ICSK_TIME_REO_TIMEOUT, ICSK_TIME_LOSS_PROBE):
        rto = max(tcp_rto_delta(tp, now), 0.000001)
    tcp_reset_xmit_timer(tp, ICSK_TIME_RETRANS, rto, now)


def tcp_probe0_base(tp: TcpConn) -> float:
    return max(tp.rto, TCP_RTO_MIN)


def tcp_probe0_when(tp: TcpConn, max_when: float = TCP_RTO_MAX) -> float:
    return min(tcp_probe0_base(tp) * (1 << min(tp.icsk_backoff, 30)), max_when)


def tcp_check_probe_timer(tp: TcpConn, now: float) -> None:
    if not tp.packets_out and not tp.icsk_pending:
        tcp_reset_xmit_timer(tp, ICSK_TIME_PROBE0, tcp_probe0_base(tp), now)


def tcp_schedule_loss_probe(tp: TcpConn, now: float, advancing_rto: bool = False) -> bool:
    """RFC 8985 7.2 (tcp_schedule_loss_probe): arm the TLP timer at 2*SRTT (+ delayed-ACK allowance)."""
    if tp.tlp_high_seq:
        return False
    if not (tp.params.early_retrans in (3, 4) and tp.sack_ok and tp.state != TCP_SYN_SENT
            and tp.ca_state == TCP_CA_Open and tp.packets_out):
        return False
    if tp.srtt_us:
        timeout = (tp.srtt_us >> 2) / 1e6  # 2 * srtt
        if tp.packets_out == 1:
            timeout += TCP_RTO_MIN
        else:
            timeout += TCP_TIMEOUT_MIN
    else:
        timeout = TCP_TIMEOUT_INIT
    rto_delta = tcp_rto_delta(tp, now)
    if not advancing_rto and rto_delta > 0:
        timeout = min(timeout, rto_delta)
    tcp_reset_xmit_timer(tp, ICSK_TIME_LOSS_PROBE, timeout, now)
    return True


# --- MSS ------------------------------------------------------------------------------------
def tcp_mss_clamp(tp: TcpConn, mss: int) -> int:
    """TCP_MAXSEG clamps what we announce (tcp_mss_clamp)."""
    user = tp.params.user_mss
    return min(user, mss) if user and user < mss else mss


def _route_advmss(mtu: int) -> int:
    """ipv4_default_advmss: the route MTU minus the headers, at most 65535 - 40."""
    return max(min(mtu - 40, 65535 - 40), 256)


def tcp_mtu_to_mss(tp: TcpConn, pmtu: int) -> int:
    """__tcp_mtu_to_mss minus the fixed options (timestamps): the payload one segment carries."""
    mss = pmtu - 20 - 20
    clamp = tp.mss_clamp or TCP_MSS_DEFAULT
    if mss > clamp:
        mss = clamp
    mss = max(mss, tp.params.min_snd_mss)
    return max(mss - (tp.tcp_header_len - 20), TCP_MIN_MSS - 40 if tp.tcp_header_len > 20 else 8)


def tcp_bound_to_half_wnd(tp: TcpConn, pktsize: int) -> int:
    """Never send a segment bigger than half the largest window the peer offered (tcp_bound_to_half_wnd)."""
    if tp.max_window > TCP_MSS_DEFAULT:
        cutoff = tp.max_window >> 1
    else:
        cutoff = tp.max_window
    if cutoff and pktsize > cutoff:
        return max(cutoff, 68 - tp.tcp_header_len)
    return pktsize


def tcp_sync_mss(tp: TcpConn, pmtu: int) -> int:
    """tcp_sync_mss: the send MSS for this path MTU (mss_cache); remembers the MTU (pmtu_cookie)."""
    mss_now = tcp_bound_to_half_wnd(tp, tcp_mtu_to_mss(tp, pmtu))
    tp.pmtu_cookie = pmtu
    tp.mss_cache = mss_now
    return mss_now


def _established_options_len(tp: TcpConn) -> int:
    size = TCPOLEN_TSTAMP_ALIGNED if tp.tstamp_ok else 0
    nsack = len(tp.selective_acks) + (1 if tp.duplicate_sack else 0) if tp.sack_ok else 0
    if nsack:
        room = (MAX_TCP_OPTION_SPACE - size - TCPOLEN_SACK_BASE_ALIGNED) // TCPOLEN_SACK_PERBLOCK
        size += TCPOLEN_SACK_BASE_ALIGNED + min(nsack, room) * TCPOLEN_SACK_PERBLOCK
    return size


def tcp_current_mss(tp: TcpConn) -> int:
    """mss_cache less the option bytes this segment carries beyond the fixed ones (SACK blocks)."""
    mss = tp.mss_cache
    delta = 20 + _established_options_len(tp) - tp.tcp_header_len
    return max(mss - delta, 1)


def tcp_initialize_rcv_mss(tp: TcpConn) -> None:
    hint = min(tp.advmss, tp.mss_cache)
    hint = min(hint, tp.rcv_wnd // 2)
    hint = min(hint, TCP_MSS_DEFAULT)
    tp.ack_rcv_mss = max(hint, TCP_MIN_MSS)


# --- windows --------------------------------------------------------------------------------
def tcp_select_initial_window(tp: TcpConn, space: int, mss: int, wscale_ok: bool) -> None:
    """tcp_select_initial_window: rcv_wnd, window_clamp, rcv_wscale (rcv_ssthresh = rcv_wnd)."""
    clamp = tp.window_clamp or (0xFFFF << TCP_MAX_WSCALE)
    space = min(clamp, space)
    if space > mss:
        space -= space % mss
    rcv_wnd = min(space, 0xFFFF)
    wscale = 0
    if wscale_ok:
        s = max(space, tp.params.rmem[2])
        s = min(s, clamp)
        wscale = min(max(s.bit_length() - 1 - 15, 0), TCP_MAX_WSCALE)
    tp.rcv_wscale = wscale
    tp.window_clamp = min(0xFFFF << wscale, clamp)
    tp.rcv_wnd = rcv_wnd
    tp.rcv_ssthresh = rcv_wnd


def tcp_receive_window(tp: TcpConn) -> int:
    win = seq_sub(seq_add(tp.rcv_wup, tp.rcv_wnd), tp.rcv_nxt)
    return max(win, 0)


def __tcp_select_window(tp: TcpConn) -> int:
    """The window the buffer allows now (receiver SWS avoidance, RFC 1122 4.2.3.3, as Linux)."""
    mss = tp.ack_rcv_mss
    free_space = tcp_space(tp)
    allowed_space = tcp_full_space(tp)
    full_space = min(tp.window_clamp or allowed_space, allowed_space)
    if mss > full_space:
        mss = full_space
        if mss <= 0:
            return 0
    ws = tp.rcv_wscale
    if free_space < (full_space >> 1):
        tp.ack_quick = 0
        free_space -= free_space % (1 << ws)
        if free_space < (allowed_space >> 4) or free_space < mss:
            return 0
    if free_space > tp.rcv_ssthresh:
        free_space = tp.rcv_ssthresh
    if ws:
        window = free_space
        align = 1 << ws
        window = (window + align - 1) & ~(align - 1)
    else:
        window = tp.rcv_wnd
        if window <= free_space - mss or window > free_space:
            window = (free_space // mss) * mss if mss > 0 else free_space
        elif mss == full_space and free_space > window + (full_space >> 1):
            window = free_space
    return window


def tcp_select_window(tp: TcpConn) -> int:
    """The raw 16-bit window field for a non-SYN segment; never shrinks the offered window."""
    old_win = tp.rcv_wnd
    cur_win = tcp_receive_window(tp)
    new_win = __tcp_select_window(tp)
    ws = tp.rcv_wscale
    if new_win < cur_win:
        if new_win == 0:
            tp.mib_inc("TCPWantZeroWindowAdv")
        align = 1 << ws
        new_win = (cur_win + align - 1) & ~(align - 1)
    tp.rcv_wnd = new_win
    tp.rcv_wup = tp.rcv_nxt
    new_win = min(new_win, 0xFFFF << ws)
    new_win >>= ws
    if new_win == 0:
        if old_win:
            tp.mib_inc("TCPToZeroWindowAdv")
    elif old_win == 0:
        tp.mib_inc("TCPFromZeroWindowAdv")
    return new_win


# --- building segments (tcp_transmit_skb) -----------------------------------------------------
def _sack_blocks(tp: TcpConn) -> tuple[tuple[int, int], ...]:
    if not tp.sack_ok:
        return ()
    blocks: list[tuple[int, int]] = []
    if tp.duplicate_sack is not None:
        blocks.append(tp.duplicate_sack)
    blocks.extend(tp.selective_acks)
    if not blocks:
        return ()
    size = TCPOLEN_TSTAMP_ALIGNED if tp.tstamp_ok else 0
    room = (MAX_TCP_OPTION_SPACE - size - TCPOLEN_SACK_BASE_ALIGNED) // TCPOLEN_SACK_PERBLOCK
    return tuple(blocks[:room])


def tcp_make_segment(tp: TcpConn, seq: int, flags: int, payload: bytes = b"", now: float = 0.0, *,
                     pcount: int = 1, gso_size: int = 0, idle: bool | None = None) -> TcpSegment:
    """One segment as tcp_transmit_skb builds it; counts it (segs_out, OutSegs: ``pcount``, the
    segments a TSO super-segment stands for) and does the ACK-sent / data-sent bookkeeping once
    (per skb, as Linux; ``idle``: nothing was in flight before it, when the caller already counted
    it as sent).  The caller appends it to the outbox."""
    syn = bool(flags & SYN)
    ack = tp.rcv_nxt if flags & ACK else 0
    if syn:
        window = min(tp.rcv_wnd, 0xFFFF)
    else:
        window = tcp_select_window(tp)
    seg = TcpSegment(tp.sport, tp.dport, seq & _M, ack, flags, window, bytes(payload))
    if syn:
        seg.mss = tp.advmss
        if flags & ACK:  # SYN-ACK: echo what the peer offered (tcp_synack_options)
            if tp.tstamp_ok:
                seg.ts = (tcp_time_stamp(tp, now), tp.ts_recent)
            seg.sack_perm = tp.sack_ok
            if tp.wscale_ok:
                seg.wscale = tp.rcv_wscale
        else:  # SYN (tcp_syn_options)
            if tp.params.timestamps:
                seg.ts = (tcp_time_stamp(tp, now), tp.ts_recent if tp.state != TCP_SYN_SENT else 0)
            seg.sack_perm = tp.params.sack
            if tp.params.window_scaling:
                seg.wscale = tp.rcv_wscale
    else:
        if tp.tstamp_ok:
            seg.ts = (tcp_time_stamp(tp, now), tp.ts_recent)
        blocks = _sack_blocks(tp)
        if blocks:
            seg.sack = blocks
            tp.duplicate_sack = None
    # urgent pointer (tcp_transmit_skb: urgent mode is snd_up != snd_una)
    if tp.snd_up != tp.snd_una and before(seq, tp.snd_up) and not syn:
        if before(tp.snd_up, seq_add(seq, 0x10000)):
            seg.urg_ptr = seq_sub(tp.snd_up, seq)
            seg.flags |= URG
        elif after(seq_add(seq, 0xFFFF), tp.snd_nxt):
            seg.urg_ptr = 0xFFFF
            seg.flags |= URG
    tp.segs_out += pcount
    tp.mib_inc("OutSegs", pcount)
    if flags & RST:
        tp.mib_inc("OutRsts")
    if flags & ACK:
        _event_ack_sent(tp)
    if payload:
        tp.data_segs_out += pcount
        _event_data_sent(tp, now, idle)
    if pcount > 1:
        seg.gso_size = gso_size
    return seg


def _event_ack_sent(tp: TcpConn) -> None:
    """tcp_event_ack_sent: leave quickack mode gradually, cancel the delayed ACK."""
    if tp.ack_quick:
        pkts = 1 if tp.ack_pending & ICSK_ACK_SCHED else 0
        if pkts >= tp.ack_quick:
            tp.ack_quick = 0
            tp.ack_ato = TCP_ATO_MIN
        else:
            tp.ack_quick -= pkts
    tp.ack_pending = 0
    tp.ack_timeout = None


def _event_data_sent(tp: TcpConn, now: float, idle: bool | None = None) -> None:
    """tcp_event_data_sent: CA_EVENT_TX_START after idle, lsndtime, ping-pong detection."""
    if (tcp_packets_in_flight(tp) == 0) if idle is None else idle:
        tcp_ca_event(tp, CA_EVENT_TX_START, now)
    tp.lsndtime = now
    if now - tp.ack_lrcvtime < tp.ack_ato:
        tp.ack_pingpong = min(tp.ack_pingpong + 1, 0xFF)


def _xmit(tp: TcpConn, seg: TcpSegment) -> None:
    tp.outbox.append(seg)


def tcp_acceptable_seq(tp: TcpConn) -> int:
    """The sequence number of a segment without data: snd_nxt unless the window shrank below it."""
    wnd_end = tcp_wnd_end(tp)
    if not before(wnd_end, tp.snd_nxt) or (
            tp.wscale_ok and seq_sub(tp.snd_nxt, wnd_end) < (1 << tp.rcv_wscale)):
        return tp.snd_nxt
    return wnd_end


# --- the handshake ----------------------------------------------------------------------------
def _queue_control(tp: TcpConn, flags: int, now: float) -> TcpSkb:
    """Put a SYN / SYN-ACK on the rtx queue at write_seq (tcp_connect_queue_skb)."""
    seq = tp.write_seq
    skb = TcpSkb(seq, seq_add(seq, 1), flags, now, now, delivered=tp.delivered, delivered_time=now)
    tp.write_seq = seq_add(seq, 1)
    tp.snd_nxt = tp.write_seq
    tp.pushed_seq = tp.write_seq
    tp.write_queue_seq = tp.write_seq
    tp.rtx_queue.append(skb)
    tp.packets_out += 1
    tp.retrans_stamp = now
    return skb


def tcp_connect_init(tp: TcpConn) -> None:
    """tcp_connect_init: header length, MSS from the route, the initial receive window and scale."""
    p = tp.params
    tp.tcp_header_len = 20 + (TCPOLEN_TSTAMP_ALIGNED if p.timestamps else 0)
    if p.user_mss:
        tp.mss_clamp = p.user_mss
    elif not tp.mss_clamp:
        tp.mss_clamp = TCP_MSS_DEFAULT
    tp.max_window = 0
    tcp_sync_mss(tp, tp.pmtu_cookie)
    if not tp.window_clamp:
        tp.window_clamp = p.window_clamp
    tp.advmss = tcp_mss_clamp(tp, _route_advmss(tp.pmtu_cookie))
    tcp_initialize_rcv_mss(tp)
    full = tcp_full_space(tp)
    if p.rcvbuf_locked and (tp.window_clamp > full or tp.window_clamp == 0):
        tp.window_clamp = full
    tcp_select_initial_window(tp, full, tp.advmss, p.window_scaling)
    tp.snd_wnd = 0
    tp.snd_wl1 = 0
    tp.snd_una = tp.write_seq
    tp.snd_sml = tp.write_seq
    tp.snd_up = tp.write_seq
    tp.snd_nxt = tp.write_seq
    tp.rcv_nxt = 0
    tp.rcv_wup = 0
    tp.copied_seq = 0
    tp.rto = TCP_TIMEOUT_INIT
    tp.icsk_retransmits = 0
    tp.icsk_backoff = 0
    tp.rtx_queue.clear()
    tp.packets_out = tp.retrans_out = tp.sacked_out = tp.lost_out = 0


def tcp_connect(tp: TcpConn, now: float) -> int:
    """Build and queue the SYN (options as Linux sends them), arm the RTO; the caller sets SYN-SENT."""
    tcp_connect_init(tp)
    skb = _queue_control(tp, SYN, now)
    tp.lsndtime = now
    _xmit(tp, tcp_make_segment(tp, skb.seq, SYN, b"", now))
    tcp_reset_xmit_timer(tp, ICSK_TIME_RETRANS, tp.rto, now)
    return 0


def tcp_synack_init(tp: TcpConn) -> None:
    """tcp_openreq_init_rwin + the MSS of a passive open (options already negotiated into tp)."""
    p = tp.params
    tp.tcp_header_len = 20 + (TCPOLEN_TSTAMP_ALIGNED if tp.tstamp_ok else 0)
    if not tp.mss_clamp:
        tp.mss_clamp = TCP_MSS_DEFAULT
    if p.user_mss and p.user_mss < tp.mss_clamp:
        tp.mss_clamp = p.user_mss
    tp.advmss = tcp_mss_clamp(tp, _route_advmss(tp.pmtu_cookie))
    tcp_sync_mss(tp, tp.pmtu_cookie)
    if not tp.window_clamp:
        tp.window_clamp = p.window_clamp
    full = tcp_full_space(tp)
    if p.rcvbuf_locked and (tp.window_clamp > full or tp.window_clamp == 0):
        tp.window_clamp = full
    mss = tp.advmss - (TCPOLEN_TSTAMP_ALIGNED if tp.tstamp_ok else 0)
    tcp_select_initial_window(tp, full, mss, tp.wscale_ok)
    if not tp.wscale_ok:
        tp.snd_wscale = 0
    tcp_initialize_rcv_mss(tp)
    tp.rto = TCP_TIMEOUT_INIT


def tcp_send_synack(tp: TcpConn, now: float) -> int:
    """Send the SYN-ACK: the first call queues it (seq = iss) and arms the RTO; later calls resend it."""
    if not tp.rtx_queue or not tp.rtx_queue[0].tcp_flags & SYN:
        if not tp.advmss:
            tcp_synack_init(tp)
        tp.write_seq = tp.iss
        _queue_control(tp, SYN | ACK, now)
        tp.snd_una = tp.iss
        tcp_reset_xmit_timer(tp, ICSK_TIME_RETRANS, tp.rto, now)
    skb: TcpSkb = tp.rtx_queue[0]
    skb.tcp_flags = SYN | ACK
    skb.tx_time = now
    _xmit(tp, tcp_make_segment(tp, skb.seq, SYN | ACK, b"", now))
    return 0


def tcp_init_transfer(tp: TcpConn, now: float) -> None:
    """ESTABLISHED reached (tcp_finish_connect / the passive side's ACK): MSS with the negotiated
    options, the receive MSS guess, cwnd (RFC 6928 IW10; 3 when the SYN was retransmitted...
    Linux keeps 10 but resets the RTO), and congestion control init."""
    from kernel.net.ipv4.tcp.tcp_cong import tcp_init_congestion_control

    tp.tcp_header_len = 20 + (TCPOLEN_TSTAMP_ALIGNED if tp.tstamp_ok else 0)
    if not tp.wscale_ok:
        tp.snd_wscale = 0
        tp.rcv_wscale = 0
    if not tp.mss_clamp:
        tp.mss_clamp = TCP_MSS_DEFAULT
    tcp_sync_mss(tp, tp.pmtu_cookie)
    tcp_initialize_rcv_mss(tp)
    if tp.max_window < tp.snd_wnd:
        tp.max_window = tp.snd_wnd
    tp.snd_cwnd = TCP_INIT_CWND if tp.snd_cwnd_clamp > TCP_INIT_CWND else tp.snd_cwnd_clamp
    tp.snd_cwnd_stamp = now
    tp.lsndtime = now
    tcp_init_congestion_control(tp, now)
    if tp.icsk_retransmits or tp.icsk_backoff:
        # the SYN (or SYN-ACK) was retransmitted: RFC 6298 5.7, the RTO falls back to 3 s unless measured
        tp.icsk_backoff = 0
        tp.icsk_retransmits = 0
        if not tp.srtt_us:
            tp.rto = 3.0


# --- ACKs, FIN, RST -----------------------------------------------------------------------------
def tcp_send_ack(tp: TcpConn, now: float) -> None:
    """A pure ACK now (__tcp_send_ack)."""
    if tp.state == TCP_CLOSE:
        return
    _xmit(tp, tcp_make_segment(tp, tcp_acceptable_seq(tp), ACK, b"", now))


def tcp_send_delayed_ack(tp: TcpConn, now: float) -> None:
    """Arm the delayed ACK (tcp_send_delayed_ack): ato bounded by RTT and by 200 ms / 500 ms."""
    ato = tp.ack_ato
    if ato > TCP_DELACK_MIN:
        max_ato = 0.5
        if tp.ack_pingpong >= TCP_PINGPONG_THRESH or tp.ack_pending & ICSK_ACK_PUSHED:
            max_ato = TCP_DELACK_MAX
        if tp.srtt_us:
            rtt = max((tp.srtt_us >> 3) / 1e6, TCP_DELACK_MIN)
            if rtt < max_ato:
                max_ato = rtt
        ato = min(ato, max_ato)
    ato = min(ato, TCP_DELACK_MAX)
    timeout = now + ato
    if tp.ack_pending & ICSK_ACK_TIMER and tp.ack_timeout is not None:
        if tp.ack_timeout <= now + ato / 4:
            tcp_send_ack(tp, now)
            return
        if not timeout < tp.ack_timeout:
            timeout = tp.ack_timeout
    tp.ack_pending |= ICSK_ACK_SCHED | ICSK_ACK_TIMER
    tp.ack_timeout = timeout


def tcp_send_fin(tp: TcpConn, now: float) -> None:
    """Queue a FIN after the data (tcp_send_fin) and push with Nagle off."""
    if tp.fin_queued:
        return
    tp.fin_queued = True
    tp.fin_seq = tp.write_seq
    tp.write_seq = seq_add(tp.write_seq, 1)
    _push_pending(tp, now, TCP_NAGLE_OFF)


def tcp_send_active_reset(tp: TcpConn, now: float) -> None:
    """RST|ACK at the acceptable sequence number (tcp_send_active_reset)."""
    _xmit(tp, tcp_make_segment(tp, tcp_acceptable_seq(tp), ACK | RST, b"", now))


def tcp_reset_for(seg: TcpSegment) -> TcpSegment | None:
    """The RST answering a segment no connection takes (RFC 9293 3.10.7.1, tcp_v4_send_reset):
    <SEQ=SEG.ACK><CTL=RST> if it had ACK, else <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>; none for a RST."""
    if seg.rst:
        return None
    if seg.has_ack:
        return TcpSegment(seg.dport, seg.sport, seg.ack, 0, RST, 0)
    return TcpSegment(seg.dport, seg.sport, 0, seq_add(seg.seq, seg.seg_len), RST | ACK, 0)


# --- data: tcp_push / tcp_write_xmit ---------------------------------------------------------------
def _minshall_check(tp: TcpConn) -> bool:
    return after(tp.snd_sml, tp.snd_una) and not after(tp.snd_sml, tp.snd_nxt)


def _nagle_test(tp: TcpConn, partial: bool, fin: bool, nonagle: int) -> bool:
    """tcp_nagle_test: may this (last) segment go now?"""
    if nonagle & TCP_NAGLE_PUSH:
        return True
    if tp.snd_up != tp.snd_una or fin:
        return True
    held = partial and (bool(nonagle & TCP_NAGLE_CORK)
                        or (not nonagle and tp.packets_out > 0 and _minshall_check(tp)))
    return not held


def _cwnd_restart(tp: TcpConn, now: float) -> None:
    """RFC 5681 4.1 / RFC 7661: after an idle RTO, restart from the initial window (tcp_cwnd_restart)."""
    tcp_ca_event(tp, CA_EVENT_CWND_RESTART, now)
    restart = min(TCP_INIT_CWND, tp.snd_cwnd)
    cwnd = tp.snd_cwnd
    if tp.ca_state not in (2, TCP_CA_Recovery):  # tcp_current_ssthresh
        tp.snd_ssthresh = max(tp.snd_ssthresh, (cwnd >> 1) + (cwnd >> 2))
    delta = now - tp.lsndtime - tp.rto
    while delta > 0 and cwnd > restart:
        cwnd >>= 1
        delta -= tp.rto
    tp.snd_cwnd = max(cwnd, restart)
    tp.snd_cwnd_stamp = now
    tp.snd_cwnd_used = 0


def tcp_push(tp: TcpConn, now: float, *, more: bool = False) -> None:
    """After a user send: mark PSH unless MSG_MORE (tcp_mark_push), then write what Nagle, cork,
    cwnd and the peer's window allow (MSG_MORE holds a partial segment as TCP_CORK does)."""
    if tp.params.slow_start_after_idle and not tp.packets_out and tp.ca_ops is not None \
            and now - tp.lsndtime > tp.rto:
        _cwnd_restart(tp, now)
    if not more:
        tp.pushed_seq = tp.write_seq
    nonagle = _nonagle(tp)
    if more:
        nonagle = TCP_NAGLE_CORK
    _push_pending(tp, now, nonagle)


def tcp_push_pending_frames(tp: TcpConn, now: float) -> None:
    """Push with the socket's own Nagle setting (uncork, NODELAY set, window opened...)."""
    _push_pending(tp, now, _nonagle(tp))


def _push_pending(tp: TcpConn, now: float, nonagle: int) -> None:
    if tp.state in (TCP_CLOSE, TCP_SYN_SENT):
        return
    if tcp_write_xmit(tp, now, nonagle):
        tcp_check_probe_timer(tp, now)


def tcp_data_snd_check(tp: TcpConn, now: float) -> None:
    """After an ACK: send what the opened window / cwnd allow, then wake a writer waiting for
    space (tcp_data_snd_check: tcp_push_pending_frames + tcp_check_space)."""
    tcp_push_pending_frames(tp, now)
    tcp_check_space(tp, now)


def _wq_bytes(tp: TcpConn, off: int, n: int) -> bytes:
    """write_queue[off:off + n] as bytes, copied once (the view is released at once, so the
    queue can still be trimmed)."""
    with memoryview(tp.write_queue) as view:
        return bytes(view[off:off + n])


def _has_unsent(tp: TcpConn) -> bool:
    return before(tp.snd_nxt, tp.write_seq)


def tcp_write_xmit(tp: TcpConn, now: float, nonagle: int, push_one: int = 0) -> bool:
    """Send new segments from snd_nxt; returns True when nothing is in flight but data waits
    (the caller arms the zero-window probe timer).  With ``gso_max_size`` (the route's device does
    TSO) a run of full-sized segments goes as one super-segment (tcp_tso_segs): one record per
    segment in the retransmission queue, one TcpSegment with ``gso_size`` in the outbox."""
    sent = 0
    is_cwnd_limited = False
    data_end = tcp_data_end(tp)
    run = _TsoRun(tp) if tp.gso_max_size and not push_one else None
    mss = tcp_current_mss(tp)  # mss_now, once per call as Linux's tcp_write_xmit
    while _has_unsent(tp):
        seq = tp.snd_nxt
        avail = max(seq_sub(data_end, seq), 0)
        seg_len = min(mss, avail)
        fin = tp.fin_queued and seq_add(seq, seg_len) == tp.fin_seq
        if seg_len == 0 and not fin:
            break
        quota = tp.snd_cwnd - tcp_packets_in_flight(tp)
        if quota <= 0:
            if push_one == 2:
                quota = 1
            else:
                is_cwnd_limited = True
                break
        end = seq_add(seq, seg_len + (1 if fin else 0))
        if after(end, tcp_wnd_end(tp)):
            break
        if seg_len == avail and seg_len < mss and not _nagle_test(tp, True, fin, nonagle):
            break
        flags = ACK
        if fin:
            flags |= FIN
        if seg_len and (not before(seq_add(seq, seg_len), tp.pushed_seq) and after(tp.pushed_seq, seq)):
            flags |= PSH
        off = seq_sub(seq, tp.write_queue_seq)
        if run is not None and seg_len == mss and flags & ~PSH == ACK and tp.snd_up == tp.snd_una:
            run.add(seq, end, flags, off, now)
        else:
            if run is not None:
                run.flush(now)
            _send_new(tp, seq, end, flags, _wq_bytes(tp, off, seg_len), now)
        sent += 1
        if seg_len < mss:
            tp.snd_sml = end
        if push_one:
            break
    if run is not None:
        run.flush(now)
    if sent:
        if tp.ca_state in (TCP_CA_Recovery,) or tp.ca_state == 2:  # CWR / Recovery: PRR accounting
            tp.prr_out += sent
        if push_one != 2:
            tcp_schedule_loss_probe(tp, now)
        _cwnd_validate(tp, is_cwnd_limited, now)
        tp.nonagle_push = False
        return False
    if is_cwnd_limited:
        tp.is_cwnd_limited = True
    return not tp.packets_out and _has_unsent(tp)


def _send_new(tp: TcpConn, seq: int, end: int, flags: int, payload: bytes, now: float) -> None:
    """Transmit new data and queue its record (tcp_event_new_data_sent)."""
    seg = tcp_make_segment(tp, seq, flags, payload, now)
    _new_data_sent(tp, seq, end, flags, len(payload), now)
    _xmit(tp, seg)


def _new_data_sent(tp: TcpConn, seq: int, end: int, flags: int, length: int, now: float) -> None:
    """tcp_event_new_data_sent for one segment: its record, snd_nxt, packets_out, the RTO."""
    prior_packets = tp.packets_out
    skb = TcpSkb(seq, end, flags, now, now, delivered=tp.delivered, delivered_time=now)
    tp.rtx_queue.append(skb)
    tp.snd_nxt = end
    tp.packets_out += 1
    tp.bytes_sent += length
    if tp.packets_out > tp.max_packets_out:
        tp.max_packets_out = tp.packets_out
    if not prior_packets or tp.icsk_pending == ICSK_TIME_LOSS_PROBE:
        tcp_rearm_rto(tp, now)


class _TsoRun:
    """Full-sized segments tcp_write_xmit sends back to back, sent as one super-segment (TSO)."""

    __slots__ = ("tp", "first_seq", "first_off", "length", "count", "psh", "idle", "mss")

    def __init__(self, tp: TcpConn) -> None:
        self.tp = tp
        self.count = 0
        self.first_seq = self.first_off = self.length = 0
        self.psh = False
        self.idle = False
        self.mss = 0

    def add(self, seq: int, end: int, flags: int, off: int, now: float) -> None:
        tp = self.tp
        length = seq_sub(end, seq)
        if self.count and self.length + length > tp.gso_max_size:
            self.flush(now)
        if self.count and length != self.mss:
            self.flush(now)
        if not self.count:
            self.first_seq, self.first_off, self.length, self.psh, self.mss = seq, off, 0, False, length
            self.idle = tcp_packets_in_flight(tp) == 0
        _new_data_sent(tp, seq, end, flags, length, now)
        self.count += 1
        self.length += length
        if flags & PSH:
            self.psh = True
            self.flush(now)  # a push ends the super-segment (it carries PSH on its last segment)

    def flush(self, now: float) -> None:
        if not self.count:
            return
        tp = self.tp
        flags = ACK | (PSH if self.psh else 0)
        payload = _wq_bytes(tp, self.first_off, self.length)
        _xmit(tp, tcp_make_segment(tp, self.first_seq, flags, payload, now, pcount=self.count, gso_size=self.mss,
                                   idle=self.idle))
        self.count = 0


def _cwnd_validate(tp: TcpConn, is_cwnd_limited: bool, now: float) -> None:
    """tcp_cwnd_validate (RFC 7661 lite): remember whether cwnd limited the last flight."""
    if tp.packets_out > tp.max_packets_out or is_cwnd_limited or tp.ca_state != TCP_CA_Open:
        tp.max_packets_out = max(tp.packets_out, tp.max_packets_out)
    in_flight = tcp_packets_in_flight(tp)
    tp.is_cwnd_limited = is_cwnd_limited or in_flight >= tp.snd_cwnd
    if tp.packets_out >= tp.snd_cwnd:
        tp.snd_cwnd_used = 0
        tp.snd_cwnd_stamp = now
    elif tp.packets_out > tp.snd_cwnd_used:
        tp.snd_cwnd_used = tp.packets_out


# --- zero-window probes and keepalive probes ---------------------------------------------------------
def _xmit_probe_skb(tp: TcpConn, urgent: bool, now: float) -> None:
    """tcp_xmit_probe_skb: an ACK at snd_una - 1 (snd_una when probing urgent data), no payload."""
    seq = tp.snd_una if urgent else seq_add(tp.snd_una, -1)
    _xmit(tp, tcp_make_segment(tp, seq, ACK, b"", now))


def tcp_write_wakeup(tp: TcpConn, now: float, mib: str = "TCPWinProbe") -> int:
    """Send new data up to the window if any fits (a sender-SWS-held segment), else a probe ACK."""
    if tp.state == TCP_CLOSE:
        return -1
    if _has_unsent(tp) and before(tp.snd_nxt, tcp_wnd_end(tp)):
        mss = tcp_current_mss(tp)
        seq = tp.snd_nxt
        seg_size = min(seq_sub(tcp_wnd_end(tp), seq), mss)
        avail = max(seq_sub(tcp_data_end(tp), seq), 0)
        seg_len = min(seg_size, avail)
        fin = tp.fin_queued and seq_add(seq, seg_len) == tp.fin_seq and seg_len < seg_size
        end = seq_add(seq, seg_len + (1 if fin else 0))
        if before(tp.pushed_seq, end):
            tp.pushed_seq = end
        flags = ACK | PSH if seg_len else ACK
        if fin:
            flags |= FIN
        off = seq_sub(seq, tp.write_queue_seq)
        _send_new(tp, seq, end, flags, _wq_bytes(tp, off, seg_len), now)
        return 0
    if between(tp.snd_up, seq_add(tp.snd_una, 1), seq_add(tp.snd_una, 0xFFFF)):
        _xmit_probe_skb(tp, True, now)
    _xmit_probe_skb(tp, False, now)
    tp.mib_inc(mib)
    return 0


def tcp_send_window_probe(tp: TcpConn, now: float) -> None:
    """The keepalive probe (and TCP_REPAIR's window probe): ACK with seq snd_una - 1."""
    if tp.state == TCP_CLOSE:
        return
    _xmit_probe_skb(tp, False, now)


def tcp_send_probe0(tp: TcpConn, now: float) -> None:
    """The zero-window probe timer fired (tcp_send_probe0): probe, then back off (RFC 9293 3.8.6.1)."""
    err = tcp_write_wakeup(tp, now, "TCPWinProbe")
    if tp.packets_out or not _has_unsent(tp):
        tp.icsk_probes_out = 0
        tp.icsk_backoff = 0
        tp.icsk_probes_tstamp = 0.0
        return
    tp.icsk_probes_out += 1
    if err <= 0:
        if tp.icsk_backoff < tp.params.retries2:
            tp.icsk_backoff += 1
        timeout = tcp_probe0_when(tp, TCP_RTO_MAX)
    else:
        timeout = TCP_RESOURCE_PROBE_INTERVAL
    if tp.params.user_timeout and tp.icsk_probes_tstamp:
        remaining = tp.params.user_timeout - (now - tp.icsk_probes_tstamp)
        timeout = max(min(timeout, remaining), TCP_TIMEOUT_MIN)
    tcp_reset_xmit_timer(tp, ICSK_TIME_PROBE0, timeout, now)


# --- retransmission ------------------------------------------------------------------------------------
def tcp_fragment(tp: TcpConn, idx: int, mss: int) -> None:
    """Split rtx_queue[idx] so its first part carries ``mss`` bytes (tcp_fragment); the tail keeps FIN/PSH and the
    scoreboard marks, and the counters count the new record."""
    skb: TcpSkb = tp.rtx_queue[idx]
    split = seq_add(skb.seq, mss)
    tail_flags = skb.tcp_flags & (FIN | PSH | ACK)
    tail = TcpSkb(split, skb.end_seq, tail_flags, skb.tx_time, skb.first_tx_time, skb.sacked,
                  skb.delivered, skb.delivered_time, skb.retrans)
    skb.end_seq = split
    skb.tcp_flags &= ~(FIN | PSH)
    tp.rtx_queue.insert(idx + 1, tail)
    tp.packets_out += 1
    if skb.sacked & TCPCB_LOST:
        tp.lost_out += 1
    if skb.sacked & TCPCB_SACKED_RETRANS:
        tp.retrans_out += 1
    if skb.sacked & TCPCB_SACKED_ACKED:
        tp.sacked_out += 1


def tcp_retransmit_skb(tp: TcpConn, skb: TcpSkb, now: float, *, account: bool = True) -> int:
    """Send ``skb`` again (tcp_retransmit_skb; ``account=False`` is __tcp_retransmit_skb, as a TLP
    probe sends it: not counted in retrans_out); -EAGAIN when out of window."""
    if before(skb.seq, tp.snd_una):
        # partly acknowledged: trim the head (tcp_trim_head)
        if not after(skb.end_seq, tp.snd_una):
            return -11
        skb.tcp_flags &= ~SYN
        skb.seq = tp.snd_una
    if not before(skb.seq, tcp_wnd_end(tp)) and skb.seq != tp.snd_una:
        return -11
    mss = tcp_current_mss(tp)
    if skb.length > mss:
        try:
            idx = tp.rtx_queue.index(skb)
        except ValueError:
            return -11
        tcp_fragment(tp, idx, mss)
    flags = skb.tcp_flags
    payload = b""
    n = skb.length
    if n:
        off = seq_sub(skb.seq + (1 if flags & SYN else 0), tp.write_queue_seq)
        payload = _wq_bytes(tp, off, n)
    if flags & SYN and tp.state == TCP_SYN_RECV:
        flags |= ACK
    if not flags & SYN:
        flags |= ACK
    seg = tcp_make_segment(tp, skb.seq, flags, payload, now)
    _xmit(tp, seg)
    tp.mib_inc("RetransSegs")
    tp.total_retrans += 1
    tp.bytes_retrans += n
    if account:
        if not skb.sacked & TCPCB_SACKED_RETRANS:
            tp.retrans_out += 1
        skb.sacked |= TCPCB_SACKED_RETRANS
    skb.sacked |= TCPCB_EVER_RETRANS
    skb.retrans += 1
    skb.tx_time = now
    if not tp.retrans_stamp:
        tp.retrans_stamp = skb.first_tx_time
    if tp.undo_retrans < 0:
        tp.undo_retrans = 0
    tp.undo_retrans += 1
    return 0


def tcp_xmit_retransmit_queue(tp: TcpConn, now: float) -> None:
    """Retransmit the records marked LOST, oldest first, while cwnd allows (tcp_xmit_retransmit_queue)."""
    if not tp.packets_out:
        return
    rearm = False
    head = tp.rtx_queue[0] if tp.rtx_queue else None
    for skb in list(tp.rtx_queue):
        if tp.snd_cwnd - tcp_packets_in_flight(tp) <= 0:
            break
        if tp.retrans_out >= tp.lost_out:
            break
        sacked = skb.sacked
        if not sacked & TCPCB_LOST:
            continue
        if sacked & (TCPCB_SACKED_ACKED | TCPCB_SACKED_RETRANS):
            continue
        if tcp_retransmit_skb(tp, skb, now):
            break
        tp.mib_inc("TCPFastRetrans" if tp.ca_state != TCP_CA_Loss else "TCPSlowStartRetrans")
        if tp.ca_state in (TCP_CA_Recovery, 2):
            tp.prr_out += 1
        if skb is head and tp.icsk_pending != ICSK_TIME_REO_TIMEOUT:
            rearm = True
    if rearm:
        tcp_reset_xmit_timer(tp, ICSK_TIME_RETRANS, tp.rto, now)


__all__ += ["TCP_NAGLE_OFF", "TCP_NAGLE_CORK", "TCP_NAGLE_PUSH", "tcp_push_pending_frames",
            "tcp_acceptable_seq", "tcp_connect_init", "tcp_synack_init", "tcp_probe0_when", "tcp_probe0_base",
            "tcp_check_probe_timer", "tcp_data_end", "ICSK_TIME_PROBE0", "TCP_CA_Open", "tcp_wmem_queued",
            "tcp_size_goal", "tcp_send_room", "tcp_sendmsg_copy", "tcp_wmem_free_acked", "tcp_stream_is_writeable",
            "tcp_sndbuf_expand", "tcp_should_expand_sndbuf", "tcp_check_space", "TCP_SKB_OVERHEAD"]
