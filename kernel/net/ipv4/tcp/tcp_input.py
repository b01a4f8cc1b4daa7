"""The TCP receive path and the user calls of the sans-IO endpoint (Linux's tcp_input.c + tcp.c's core).

Contract (what ``TcpConn``'s methods call):

- ``tcp_rcv(tp, seg, now)``: RFC 9293 3.10.7 "SEGMENT ARRIVES" as Linux's
  tcp_rcv_state_process: SYN-SENT (3.10.7.3; simultaneous open and
  self-connect), the synchronized states (tcp_validate_incoming: PAWS (RFC
  7323 5), sequence acceptability (tcp_sequence), RST (RFC 5961 3: exact
  rcv_nxt match resets, else a challenge ACK under the rate limits), SYN in
  window (RFC 5961 4: challenge ACK)), ACK processing (CORE-TX's ``tcp_ack``),
  the FIN-WAIT/CLOSING/LAST-ACK moves, urgent data (RFC 9293 3.8.5, tcp_urg /
  tcp_check_urg: one urgent byte), data (in order and out of order, SACK
  blocks we advertise per RFC 2018 4, D-SACK per RFC 2883), FIN (tcp_fin), and
  TIME-WAIT (tcp_timewait_state_process: an acceptable new SYN emits the
  "tw_syn" event with ``new`` = the ISN to use; the glue kills this conn and
  hands the SYN to its listener, or calls ``timewait_ack``).  A segment for a
  CLOSE conn is answered as tcp_v4_send_reset would.
- receive window: ``tcp_win_from_space`` / ``tcp_space`` / ``tcp_full_space``
  (tcp_adv_win_scale), ``tcp_receive_window``, ``tcp_new_window`` (Linux's
  __tcp_select_window, no side effects), rcv_ssthresh growth (tcp_grow_window),
  tcp_init_buffer_space, DRS auto-tuning (tcp_rcv_space_adjust, bounded by
  tcp_rmem[2] unless SO_RCVBUF locked it: it raises ``params.rcvbuf``).
- delayed ACK decisions: tcp_event_data_recv's ato, quickack mode,
  ``tcp_ack_snd_check`` (ACK at once for more than one full segment unacked,
  quickack, out-of-order data, ICSK_ACK_NOW; else the delayed-ACK timer).
- user calls: ``tcp_active_open``, ``tcp_passive_open``, ``tcp_user_send``,
  ``tcp_recvmsg`` (tcp_recvmsg_locked: stops at the urgent mark),
  ``tcp_inq``, ``tcp_recv_urg``, ``tcp_shutdown``, ``tcp_user_close``,
  ``tcp_user_abort``, ``tcp_disconnect``, ``tcp_v4_err``, ``tcp_set_quickack``.

Units: ``now`` in seconds; TSval in milliseconds (``tcp_time_stamp``).
Received data is charged to ``rmem_alloc`` by its length (no skb truesize).
"""
from __future__ import annotations

import errno
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from kernel.net.ipv4.tcp import tcp_output as _out
from kernel.net.ipv4.tcp.conn import (
    ICSK_ACK_NOW,
    ICSK_ACK_PUSHED,
    ICSK_ACK_PUSHED2,
    ICSK_ACK_SCHED,
    ICSK_ACK_TIMER,
    MAX_TCP_WINDOW,
    TCP_ATO_MIN,
    TCP_DELACK_MAX,
    TCP_INIT_CWND,
    TCP_MAX_QUICKACKS,
    TCP_MAX_WSCALE,
    TCP_MSS_DEFAULT,
    TCP_TIMEWAIT_LEN,
    TcpConn,
    TcpEvent,
    TcpParams,
)
from kernel.net.ipv4.tcp.segment import (
    ACK,
    PSH,
    RST,
    SYN,
    TcpSegment,
    after,
    before,
    between,
    seq_add,
    seq_sub,
)
from kernel.net.ipv4.tcp.states import (
    CLOSE,
    OPEN_ACTIVE,
    RCV_ACK_OF_FIN,
    RCV_ACK_OF_SYN,
    RCV_FIN,
    RCV_RST,
    RCV_SYN,
    RCV_SYN_ACK,
    TCP_CLOSE,
    TCP_CLOSE_WAIT,
    TCP_CLOSING,
    TCP_ESTABLISHED,
    TCP_FIN_WAIT1,
    TCP_FIN_WAIT2,
    TCP_LAST_ACK,
    TCP_LISTEN,
    TCP_SYN_RECV,
    TCP_SYN_SENT,
    TCP_TIME_WAIT,
    TIMEOUT,
    tcpf,
)

if TYPE_CHECKING:
    pass

RCV_SHUTDOWN = 1
SEND_SHUTDOWN = 2
SHUTDOWN_MASK = 3

TCP_URG_VALID = 0x0100
TCP_URG_NOTYET = 0x0200
TCP_URG_READ = 0x0400

TCP_NUM_SACKS = 4
TCP_PAWS_24DAYS = 60 * 60 * 24 * 24
TCP_PAWS_MSL = 60
TCP_PAWS_WINDOW = 1
TCP_RESOURCE_PROBE_INTERVAL = 0.5

FLAG_SLOWPATH = 0x100  # tcp_ack's flag bits the receive path passes in (tcp_input.c values)
FLAG_UPDATE_TS_RECENT = 0x4000
FLAG_NO_CHALLENGE_ACK = 0x8000

_M32 = 0xFFFFFFFF


# --- CORE-TX entry points (tcp_output / tcp_ack / tcp_retrans), looked up by name -----------------
_TX_CACHE: dict[tuple[str, str], Callable[..., Any]] = {}


def _tx(module: str, name: str) -> Callable[..., Any]:
    """CORE-TX's function ``name`` from tcp_ack / tcp_retrans (imported late: they may import us;
    resolved once, then cached: this is on the per-segment path)."""
    fn = _TX_CACHE.get((module, name))
    if fn is None:
        import importlib
        fn = getattr(importlib.import_module(f"kernel.net.ipv4.tcp.{module}"), name)
        _TX_CACHE[(module, name)] = fn
    return fn


def tcp_time_stamp(tp: TcpConn, now: float) -> int:
    """Our TSval clock (CORE-TX's: milliseconds plus the connection's offset)."""
    return int(_out.tcp_time_stamp(tp, now))


# --- receive window accounting ---------------------------------------------------------------------
def tcp_win_from_space(tp: TcpConn, space: int) -> int:
    """The part of ``space`` bytes of buffer offered as window (tcp_adv_win_scale)."""
    scale = tp.params.adv_win_scale
    if space <= 0:
        return 0
    return space >> (-scale) if scale <= 0 else space - (space >> scale)


def tcp_space_from_win(tp: TcpConn, win: int) -> int:
    scale = tp.params.adv_win_scale
    if scale <= 0:
        return win << (-scale)
    return (win << scale) // ((1 << scale) - 1) if scale > 0 else win


def tcp_rmem_alloc(tp: TcpConn) -> int:
    if not tp.out_of_order:
        return len(tp.receive_queue)
    return len(tp.receive_queue) + sum(len(d) for _, d in tp.out_of_order)


def tcp_space(tp: TcpConn) -> int:
    return int(_out.tcp_space(tp))


def tcp_full_space(tp: TcpConn) -> int:
    return int(_out.tcp_full_space(tp))


def tcp_receive_window(tp: TcpConn) -> int:
    """What is left of the window we last advertised (tcp_receive_window)."""
    return int(_out.tcp_receive_window(tp))


def tcp_new_window(tp: TcpConn) -> int:
    """The window the buffer allows now (Linux's __tcp_select_window, CORE-TX's)."""
    fn = getattr(_out, "__tcp_select_window")
    return int(fn(tp))


def tcp_init_buffer_space(tp: TcpConn) -> None:
    """At ESTABLISHED: the send buffer (tcp_sndbuf_expand unless SO_SNDBUF locked it),
    window_clamp from the receive buffer, rcv_ssthresh, the DRS baseline."""
    if not tp.params.sndbuf_locked:
        _out.tcp_sndbuf_expand(tp)
    maxwin = tcp_full_space(tp)
    if tp.window_clamp >= maxwin:
        tp.window_clamp = maxwin
        if tp.params.app_win and maxwin > 4 * tp.advmss:
            tp.window_clamp = max(maxwin - (maxwin >> tp.params.app_win), 4 * tp.advmss)
    if tp.params.app_win and tp.window_clamp > 2 * tp.advmss and tp.window_clamp + tp.advmss > maxwin:
        tp.window_clamp = max(2 * tp.advmss, maxwin - tp.advmss)
    tp.rcv_ssthresh = min(tp.rcv_ssthresh, tp.window_clamp)
    tp.rcvq_space_space = min(tp.rcv_ssthresh, tp.rcv_wnd, TCP_INIT_CWND * tp.advmss)
    tp.rcvq_space_seq = tp.copied_seq


def tcp_grow_window(tp: TcpConn, length: int) -> None:
    """Raise rcv_ssthresh toward window_clamp as in-window data arrives (tcp_grow_window)."""
    room = min(tp.window_clamp, tcp_space(tp)) - tp.rcv_ssthresh
    if room <= 0:
        return
    incr = max(2 * tp.advmss, 2 * length)
    tp.rcv_ssthresh += min(room, incr)
    tp.ack_quick |= 1


def tcp_rcv_space_adjust(tp: TcpConn, now: float) -> None:
    """Dynamic right-sizing (tcp_rcv_space_adjust): grow sk_rcvbuf to twice what one RTT delivered."""
    rtt = tp.rcv_rtt_est_us / 8e6
    elapsed = now - tp.rcvq_space_time
    if tp.rcv_rtt_est_us == 0 or elapsed < rtt:
        return
    copied = seq_sub(tp.copied_seq, tp.rcvq_space_seq)
    if copied > tp.rcvq_space_space:
        if tp.params.moderate_rcvbuf and not tp.params.rcvbuf_locked:
            space = max(tp.rcvq_space_space, 1)
            rcvwin = (copied << 1) + 16 * tp.advmss
            grow = rcvwin * (copied - space) // space
            rcvwin += grow << 1
            rcvbuf = min(tcp_space_from_win(tp, rcvwin), tp.params.rmem[2])
            if rcvbuf > tp.params.rcvbuf:
                tp.params.rcvbuf = rcvbuf
                tp.window_clamp = tcp_win_from_space(tp, rcvbuf)
        tp.rcvq_space_space = copied
    tp.rcvq_space_seq = tp.copied_seq
    tp.rcvq_space_time = now


def _rcv_rtt_update(tp: TcpConn, sample_us: int, win_dep: bool) -> None:
    """tcp_rcv_rtt_update (kept << 3 like Linux): EWMA 1/8 from timestamps, the minimum per window."""
    old = tp.rcv_rtt_est_us
    if old:
        if not win_dep:
            new = old + sample_us - (old >> 3)
        else:
            new = min(old, sample_us << 3)
    else:
        new = sample_us << 3
    tp.rcv_rtt_est_us = max(new, 1)


def _rcv_rtt_measure(tp: TcpConn, seg: TcpSegment, now: float) -> None:
    if tp.saw_tstamp and tp.rcv_tsecr:
        if tp.rcv_tsecr == tp.rcv_rtt_last_tsecr or len(seg.payload) < tp.ack_rcv_mss:
            return
        tp.rcv_rtt_last_tsecr = tp.rcv_tsecr
        delta_ms = (tcp_time_stamp(tp, now) - tp.rcv_tsecr) & _M32
        if 0 < delta_ms < 0x7FFFFFFF:
            _rcv_rtt_update(tp, delta_ms * 1000, False)
        return
    if tp.rcv_rtt_seq_time is None:
        tp.rcv_rtt_seq_time = (seq_add(tp.rcv_nxt, tp.rcv_wnd), now)
    elif before(tp.rcv_rtt_seq_time[0], tp.rcv_nxt):
        _rcv_rtt_update(tp, max(int((now - tp.rcv_rtt_seq_time[1]) * 1e6), 1), True)
        tp.rcv_rtt_seq_time = (seq_add(tp.rcv_nxt, tp.rcv_wnd), now)


# --- delayed ACK / quickack (tcp_input.c) ------------------------------------------------------------
def tcp_incr_quickack(tp: TcpConn, max_quickacks: int) -> None:
    quickacks = tp.rcv_wnd // (2 * max(tp.ack_rcv_mss, 1))
    if quickacks == 0:
        quickacks = 2
    quickacks = min(quickacks, max_quickacks)
    if quickacks > tp.ack_quick:
        tp.ack_quick = quickacks


def tcp_enter_quickack_mode(tp: TcpConn, max_quickacks: int = TCP_MAX_QUICKACKS) -> None:
    tcp_incr_quickack(tp, max_quickacks)
    tp.ack_pingpong = 0
    tp.ack_ato = TCP_ATO_MIN


def tcp_in_quickack_mode(tp: TcpConn) -> bool:
    return bool(tp.ack_quick) and not tp.ack_pingpong


def inet_csk_schedule_ack(tp: TcpConn) -> None:
    tp.ack_pending |= ICSK_ACK_SCHED


def _measure_rcv_mss(tp: TcpConn, seg: TcpSegment) -> None:
    """tcp_measure_rcv_mss: learn the peer's segment size (a super-segment's gso_size); short segments
    mark ACK_PUSHED."""
    n = seg.gso_size or len(seg.payload)
    if n >= tp.ack_rcv_mss:
        tp.ack_rcv_mss = min(n, tp.advmss) if tp.advmss else n
        return
    if n + 20 + (tp.tcp_header_len - 20) >= TCP_MSS_DEFAULT + 20:
        if n == tp.last_seg_size:
            tp.ack_rcv_mss = n
            tp.last_seg_size = n
            return
        tp.last_seg_size = n
    if tp.ack_pending & ICSK_ACK_PUSHED:
        tp.ack_pending |= ICSK_ACK_PUSHED2
    tp.ack_pending |= ICSK_ACK_PUSHED


def tcp_event_data_recv(tp: TcpConn, seg: TcpSegment, now: float) -> None:
    """Data arrived: schedule an ACK, adapt ato, grow the window (tcp_event_data_recv)."""
    inet_csk_schedule_ack(tp)
    _measure_rcv_mss(tp, seg)
    _rcv_rtt_measure(tp, seg, now)
    if not tp.ack_ato:
        tcp_incr_quickack(tp, TCP_MAX_QUICKACKS)
        tp.ack_ato = TCP_ATO_MIN
    else:
        m = now - tp.ack_lrcvtime
        if m <= TCP_ATO_MIN / 2:
            tp.ack_ato = tp.ack_ato / 2 + TCP_ATO_MIN / 2
        elif m < tp.ack_ato:
            tp.ack_ato = tp.ack_ato / 2 + m
            if tp.ack_ato > tp.rto:
                tp.ack_ato = tp.rto
        elif m > tp.rto:
            tcp_incr_quickack(tp, TCP_MAX_QUICKACKS)
    tp.ack_lrcvtime = now
    if len(seg.payload) >= 128:
        tcp_grow_window(tp, len(seg.payload))


def tcp_send_ack_now(tp: TcpConn, now: float) -> None:
    """tcp_send_ack (CORE-TX's tcp_make_segment does tcp_event_ack_sent's bookkeeping)."""
    _out.tcp_send_ack(tp, now)


def tcp_ack_snd_check(tp: TcpConn, now: float) -> None:
    """__tcp_ack_snd_check: ACK now or arm the delayed ACK."""
    if not tp.ack_pending & ICSK_ACK_SCHED:
        return
    if ((seq_sub(tp.rcv_nxt, tp.rcv_wup) > tp.ack_rcv_mss
         and (seq_sub(tp.rcv_nxt, tp.copied_seq) < tp.params.rcvlowat or tcp_new_window(tp) >= tp.rcv_wnd))
            or tcp_in_quickack_mode(tp) or tp.out_of_order or tp.ack_pending & ICSK_ACK_NOW):
        tcp_send_ack_now(tp, now)
        return
    _out.tcp_send_delayed_ack(tp, now)


def tcp_cleanup_rbuf(tp: TcpConn, copied: int, now: float) -> None:
    """After a read: send the owed ACK or a window update if the window at least doubled."""
    time_to_ack = False
    if tp.ack_pending & ICSK_ACK_SCHED:
        # the once-per-two-segments ACK tcp_input did not send (its window test held it back)
        if seq_sub(tp.rcv_nxt, tp.rcv_wup) > tp.ack_rcv_mss:
            time_to_ack = True
        # this read emptied the buffer of a one-way flow that ended in a small (pushed) segment
        elif copied > 0 and (tp.ack_pending & ICSK_ACK_PUSHED2
                             or (tp.ack_pending & ICSK_ACK_PUSHED and not tp.ack_pingpong)) and not tp.rmem_alloc:
            time_to_ack = True
    if copied > 0 and not time_to_ack and not tp.shutdown & RCV_SHUTDOWN:
        rcv_window_now = tcp_receive_window(tp)
        if 2 * rcv_window_now <= tp.window_clamp:
            new_window = tcp_new_window(tp)
            if new_window and new_window >= 2 * rcv_window_now:
                time_to_ack = True
    if time_to_ack and tp.state not in (TCP_CLOSE, TCP_SYN_SENT, TCP_LISTEN):
        tcp_send_ack_now(tp, now)


# --- rate limits (RFC 5961 7, tcp_oow_rate_limited) ----------------------------------------------
def _oow_rate_limited(tp: TcpConn, now: float, mib: str) -> bool:
    if tp.last_oow_ack_time is not None:
        elapsed = now - tp.last_oow_ack_time
        if 0 <= elapsed < tp.params.invalid_ratelimit:
            tp.mib_inc(mib)
            return True
    tp.last_oow_ack_time = now
    return False


def tcp_send_challenge_ack(tp: TcpConn, now: float) -> None:
    """RFC 5961 challenge ACK: the per-socket out-of-window limit, then the per-second budget."""
    if _oow_rate_limited(tp, now, "TCPACKSkippedChallenge"):
        return
    limit = tp.params.challenge_ack_limit
    if limit < 0x7FFFFFFF:
        sec = int(now)
        if sec != tp.challenge_timestamp:
            tp.challenge_timestamp = sec
            tp.challenge_count = limit
        if tp.challenge_count <= 0:
            return
        tp.challenge_count -= 1
    tp.mib_inc("TCPChallengeACK")
    tcp_send_ack_now(tp, now)


def tcp_dsack_set(tp: TcpConn, seq: int, end_seq: int) -> None:
    if tp.sack_ok and tp.params.dsack:
        tp.mib_inc("TCPDSACKOldSent" if before(seq, tp.rcv_nxt) else "TCPDSACKOfoSent")
        tp.duplicate_sack = (seq, end_seq)


def tcp_dsack_extend(tp: TcpConn, seq: int, end_seq: int) -> None:
    if tp.duplicate_sack is None:
        tcp_dsack_set(tp, seq, end_seq)
        return
    s, e = tp.duplicate_sack
    if not after(seq, e) and not after(s, end_seq):
        tp.duplicate_sack = (seq if before(seq, s) else s, end_seq if after(end_seq, e) else e)


def tcp_send_dupack(tp: TcpConn, seg: TcpSegment, now: float) -> None:
    if seg.seg_len and before(seg.seq, tp.rcv_nxt):
        tp.mib_inc("DelayedACKLost")
        tcp_enter_quickack_mode(tp)
        end = seg.end_seq
        if after(end, tp.rcv_nxt):
            end = tp.rcv_nxt
        tcp_dsack_set(tp, seg.seq, end)
    tcp_send_ack_now(tp, now)


# --- timestamps / PAWS (RFC 7323 5) --------------------------------------------------------------
def _parse_ts(tp: TcpConn, seg: TcpSegment) -> None:
    if seg.ts is not None and tp.tstamp_ok:
        tp.saw_tstamp = True
        tp.rcv_tsval, tp.rcv_tsecr = seg.ts
    else:
        tp.saw_tstamp = False
        tp.rcv_tsval = tp.rcv_tsecr = 0


def _paws_check(tp: TcpConn, paws_win: int, now: float) -> bool:
    d = (tp.ts_recent - tp.rcv_tsval) & _M32
    if d >= 0x80000000:
        d -= 1 << 32
    if d <= paws_win:
        return True
    if now >= tp.ts_recent_stamp + TCP_PAWS_24DAYS:
        return True
    return not tp.ts_recent


def _paws_reject(tp: TcpConn, rst: bool, now: float) -> bool:
    if _paws_check(tp, 0, now):
        return False
    return not (rst and now >= tp.ts_recent_stamp + TCP_PAWS_MSL)


def _store_ts_recent(tp: TcpConn, now: float) -> None:
    tp.ts_recent = tp.rcv_tsval
    tp.ts_recent_stamp = now


def tcp_replace_ts_recent(tp: TcpConn, seq: int, now: float) -> None:
    if tp.saw_tstamp and not after(seq, tp.rcv_wup) and _paws_check(tp, 0, now):
        _store_ts_recent(tp, now)


# --- opening -------------------------------------------------------------------------------------
def _init_options_for_syn(tp: TcpConn) -> None:
    p = tp.params
    tp.tstamp_ok = bool(p.timestamps)
    tp.wscale_ok = bool(p.window_scaling)
    tp.sack_ok = bool(p.sack)
    tp.mss_clamp = p.user_mss if p.user_mss else TCP_MSS_DEFAULT


def tcp_active_open(tp: TcpConn, now: float, mtu: int | None) -> int:
    """Active open: our offer (flags read by CORE-TX's tcp_connect, which sizes MSS and window)."""
    if tp.state == TCP_SYN_SENT:
        return -errno.EALREADY
    if tp.state != TCP_CLOSE:
        return -errno.EISCONN
    if mtu is not None:
        tp.pmtu_cookie = mtu
    _init_options_for_syn(tp)
    tp.ack_ato = 0.0
    tp.set_state(OPEN_ACTIVE)
    tp.mib_inc("ActiveOpens")
    tp.retrans_stamp = now
    tp.syn_sent_at = now
    _out.tcp_connect(tp, now)
    return 0


def _negotiate_from_syn(tp: TcpConn, syn: TcpSegment, now: float) -> None:
    """Both sides' options from a SYN or SYN-ACK we received (tcp_parse_options + the SYN-time rules)."""
    p = tp.params
    tp.sack_ok = bool(p.sack) and syn.sack_perm
    if p.window_scaling and syn.wscale is not None and tp.wscale_ok:
        tp.wscale_ok = True
        tp.snd_wscale = min(syn.wscale, TCP_MAX_WSCALE)
    else:
        tp.wscale_ok = False
        tp.snd_wscale = 0
        tp.rcv_wscale = 0
        tp.window_clamp = min(tp.window_clamp, 65535)
    in_mss = syn.mss if syn.mss else TCP_MSS_DEFAULT
    if syn.mss and p.user_mss and p.user_mss < in_mss:
        in_mss = p.user_mss
    tp.mss_clamp = in_mss
    if p.timestamps and syn.ts is not None and tp.tstamp_ok:
        tp.tstamp_ok = True
        tp.saw_tstamp = True
        tp.rcv_tsval, tp.rcv_tsecr = syn.ts
        _store_ts_recent(tp, now)
        tp.tcp_header_len = 32
    else:
        tp.tstamp_ok = False
        tp.tcp_header_len = 20
        tp.ts_recent = 0
        tp.ts_recent_stamp = 0.0


def tcp_passive_open(cls: type[TcpConn], params: TcpParams, syn: TcpSegment, iss: int, now: float,
                     ts_offset: int, mtu: int | None) -> TcpConn:
    """The child of a listener (tcp_openreq_init + tcp_create_openreq_child), SYN-ACK queued."""
    tp = cls(params, syn.dport, syn.sport, iss, now, ts_offset)
    if mtu is not None:
        tp.pmtu_cookie = mtu
    tp.req_passive = True
    _init_options_for_syn(tp)
    tp.window_clamp = params.window_clamp
    _negotiate_from_syn(tp, syn, now)
    tp.irs = syn.seq
    tp.rcv_nxt = tp.rcv_wup = tp.copied_seq = seq_add(syn.seq, 1)
    tp.snd_wnd = syn.window
    tp.max_window = tp.snd_wnd
    tp.snd_wl1 = syn.seq
    tp.ack_ato = 0.0
    tp.state = TCP_LISTEN  # the listener's view: LISTEN --rcv SYN--> SYN-RECV on the child
    tp.set_state(RCV_SYN)
    tp.segs_in += 1
    tp.retrans_stamp = now
    _out.tcp_send_synack(tp, now)
    return tp


def _finish_connect(tp: TcpConn, now: float, simultaneous: bool = False) -> None:
    """tcp_finish_connect / tcp_init_transfer: ESTABLISHED is reached.  icsk_ack.lrcvtime is set
    by tcp_finish_connect (active open) and tcp_create_openreq_child (passive), never on a
    simultaneous open's (or self-connect's) SYN-RECV -> ESTABLISHED: there it stays "long ago"
    (Linux: 0 jiffies), so a first send is no ping-pong reply."""
    _out.tcp_init_transfer(tp, now)
    tcp_init_buffer_space(tp)
    tp.rcvq_space_time = now
    if simultaneous:
        tp.ack_lrcvtime = min(tp.ack_lrcvtime, now - 2 * TCP_TIMEWAIT_LEN)
    else:
        tp.ack_lrcvtime = now
    tp.rcv_tstamp = now
    tp.events.append(TcpEvent("connected"))
    tp.events.append(TcpEvent("writable"))
    if tp.params.keepalive:
        from kernel.net.ipv4.tcp import tcp_timer
        tcp_timer.tcp_reset_keepalive_timer(tp, now)


def _synsent(tp: TcpConn, seg: TcpSegment, now: float) -> bool:
    """tcp_rcv_synsent_state_process; True means answer with a RST (tcp_v4_send_reset)."""
    if seg.has_ack:
        if not after(seg.ack, tp.snd_una) or after(seg.ack, tp.snd_nxt):
            return not seg.rst
        if (seg.ts is not None and tp.tstamp_ok and seg.ts[1]
                and not between(seg.ts[1], (int(tp.retrans_stamp * 1000) + tp.ts_offset) & _M32,
                                tcp_time_stamp(tp, now))):
            tp.mib_inc("PAWSActiveRejected")
            return not seg.rst
        if seg.rst:
            tcp_reset(tp, now)
            return False
        if not seg.syn:
            return False
        # SYN-ACK: RFC 9293 3.10.7.3 fourth check
        tp.irs = seg.seq
        _negotiate_from_syn(tp, seg, now)
        tp.snd_wl1 = seg.seq
        _tx("tcp_ack", "tcp_ack")(tp, seg, now, FLAG_SLOWPATH)
        tp.snd_una = seg.ack if after(seg.ack, tp.snd_una) else tp.snd_una
        tp.rcv_nxt = tp.rcv_wup = tp.copied_seq = seq_add(seg.seq, 1)
        tp.snd_wnd = seg.window
        tp.snd_wl1 = seg.seq
        tp.snd_wl2 = seg.ack
        tp.max_window = max(tp.max_window, tp.snd_wnd)
        if tp.tstamp_ok:
            tp.advmss -= 12
        tp.set_state(RCV_SYN_ACK)
        _finish_connect(tp, now)
        if tp.ack_pingpong or tp.params.defer_accept:
            # "save one ACK": scheduled, quickack mode, the delayed-ACK timer at TCP_DELACK_MAX outright
            inet_csk_schedule_ack(tp)
            tcp_enter_quickack_mode(tp)
            tp.ack_pending |= ICSK_ACK_SCHED | ICSK_ACK_TIMER
            tp.ack_timeout = now + TCP_DELACK_MAX
        else:
            tcp_send_ack_now(tp, now)
        if seg.payload or seg.fin:
            # data on the SYN-ACK (RFC 9293: "continue processing at the sixth step")
            seg2 = TcpSegment(seg.sport, seg.dport, seq_add(seg.seq, 1), seg.ack, seg.flags & ~SYN, seg.window,
                              seg.payload, seg.urg_ptr, ts=seg.ts)
            _urg(tp, seg2, now)
            tcp_data_queue(tp, seg2, now)
            tcp_ack_snd_check(tp, now)
        return False
    if seg.rst:
        return False
    if tp.ts_recent_stamp and seg.ts is not None and tp.tstamp_ok:
        _parse_ts(tp, seg)
        if _paws_reject(tp, False, now):
            return False
    if seg.syn:
        # simultaneous open (and a self-connect): RFC 9293 3.10.7.3 "fifth"
        tp.irs = seg.seq
        _negotiate_from_syn(tp, seg, now)
        tp.rcv_nxt = tp.rcv_wup = tp.copied_seq = seq_add(seg.seq, 1)
        tp.snd_wnd = seg.window
        tp.snd_wl1 = seg.seq
        tp.max_window = tp.snd_wnd
        tp.set_state(RCV_SYN)
        _out.tcp_send_synack(tp, now)
    return False


# --- RST, FIN ------------------------------------------------------------------------------------
def tcp_reset(tp: TcpConn, now: float) -> None:
    """An acceptable RST: the error the user sees, then CLOSE (tcp_reset + tcp_done)."""
    if tp.state == TCP_SYN_SENT:
        err = errno.ECONNREFUSED
    elif tp.state == TCP_CLOSE_WAIT:
        err = errno.EPIPE
    elif tp.state == TCP_CLOSE:
        return
    else:
        err = errno.ECONNRESET
    tcp_write_queue_purge(tp)
    if tp.state in (TCP_SYN_SENT, TCP_SYN_RECV):
        tp.mib_inc("AttemptFails")
    tp.shutdown = SHUTDOWN_MASK
    if not tp.orphan:
        tp.sk_err = err
        tp.events.append(TcpEvent("error", err=err))
    tp.set_state(RCV_RST)


def tcp_write_queue_purge(tp: TcpConn) -> None:
    tp.write_queue.clear()
    tp.wmem_skbs.clear()
    tp.write_queue_seq = tp.snd_una
    tp.rtx_queue.clear()
    tp.packets_out = tp.retrans_out = tp.sacked_out = tp.lost_out = 0


def tcp_fin(tp: TcpConn, now: float) -> None:
    """The FIN is in sequence (tcp_fin)."""
    inet_csk_schedule_ack(tp)
    tp.shutdown |= RCV_SHUTDOWN
    tp.fin_rcvd = True
    st = tp.state
    if st in (TCP_SYN_RECV, TCP_ESTABLISHED):
        tp.set_state(RCV_FIN)
        tp.ack_pingpong = 1  # inet_csk_enter_pingpong_mode: the FIN's ACK is delayed
    elif st == TCP_FIN_WAIT1:
        tcp_send_ack_now(tp, now)
        tp.set_state(RCV_FIN)
    elif st == TCP_FIN_WAIT2:
        tcp_send_ack_now(tp, now)
        tcp_time_wait(tp, now)
    tp.out_of_order.clear()
    tp.ofo_fin_seq = None
    if tp.sack_ok:
        tp.selective_acks = []
    tp.events.append(TcpEvent("readable"))


def tcp_time_wait(tp: TcpConn, now: float) -> None:
    """Enter TIME-WAIT for TCP_TIMEWAIT_LEN (the conn itself plays Linux's timewait sock)."""
    if tp.state == TCP_FIN_WAIT2:
        tp.set_state(RCV_FIN)
    elif tp.state == TCP_CLOSING:
        tp.set_state(RCV_ACK_OF_FIN)
    tp.tw_timeout = now + TCP_TIMEWAIT_LEN


def tcp_fin_time(tp: TcpConn) -> float:
    fin_timeout = tp.params.linger2 if tp.params.linger2 else tp.params.fin_timeout
    rto3 = tp.rto * 4 - tp.rto / 2
    return max(fin_timeout, rto3)


# --- urgent data (RFC 9293 3.8.5; tcp_check_urg / tcp_urg) ---------------------------------------
def _check_urg(tp: TcpConn, seg: TcpSegment) -> None:
    ptr = seg.urg_ptr
    if ptr:
        ptr -= 1  # BSD semantics: the pointer is one past the urgent byte (tcp_stdurg = 0)
    ptr = seq_add(seg.seq, ptr)
    if after(tp.copied_seq, ptr):
        return
    if before(ptr, tp.rcv_nxt):
        return
    if tp.urg_data and not after(ptr, tp.urg_seq):
        return
    tp.events.append(TcpEvent("urgent"))
    if (tp.urg_seq == tp.copied_seq and tp.urg_data and not tp.params.oobinline
            and tp.copied_seq != tp.rcv_nxt):
        # the old urgent byte sits unread at the head: drop it from the stream
        tp.copied_seq = seq_add(tp.copied_seq, 1)
        if tp.receive_queue:
            del tp.receive_queue[0]
    tp.urg_data = TCP_URG_NOTYET
    tp.urg_seq = ptr


def _urg(tp: TcpConn, seg: TcpSegment, now: float) -> None:
    if seg.flags & 0x20:
        _check_urg(tp, seg)
    if tp.urg_data == TCP_URG_NOTYET:
        off = seq_sub(tp.urg_seq, seg.seq) - (1 if seg.syn else 0)
        if 0 <= off < len(seg.payload):
            tp.urg_data = TCP_URG_VALID | seg.payload[off]
            tp.events.append(TcpEvent("readable"))


# --- data ----------------------------------------------------------------------------------------
def _sack_new_ofo(tp: TcpConn, seq: int, end: int) -> None:
    """Put [seq, end) at the head of the blocks we advertise (tcp_sack_new_ofo_skb + extend/coalesce)."""
    if not tp.sack_ok:
        return
    blocks = list(tp.selective_acks)
    merged_s, merged_e = seq, end
    rest: list[tuple[int, int]] = []
    for s, e in blocks:
        if not after(s, merged_e) and not after(merged_s, e):
            merged_s = s if before(s, merged_s) else merged_s
            merged_e = e if after(e, merged_e) else merged_e
        else:
            rest.append((s, e))
    tp.selective_acks = [(merged_s, merged_e)] + rest[:TCP_NUM_SACKS - 1]


def _sack_remove(tp: TcpConn) -> None:
    if not tp.out_of_order:
        tp.selective_acks = []
        return
    tp.selective_acks = [(s, e) for s, e in tp.selective_acks if before(tp.rcv_nxt, s)]


def _queue_rcv(tp: TcpConn, data: bytes, fin: bool, now: float) -> None:
    """Append in-order bytes at rcv_nxt (tcp_queue_rcv + tcp_rcv_nxt_update)."""
    if data:
        tp.receive_queue += data
        tp.rcv_nxt = seq_add(tp.rcv_nxt, len(data))
        tp.bytes_received += len(data)
        tp.last_data_recv = now
    if fin:
        tp.rcv_nxt = seq_add(tp.rcv_nxt, 1)


def _ofo_queue(tp: TcpConn, now: float) -> bool:
    """Move what the out-of-order queue now continues (tcp_ofo_queue); True when a FIN came in."""
    dsack_high = tp.rcv_nxt
    while tp.out_of_order:
        seq, data = tp.out_of_order[0]
        if after(seq, tp.rcv_nxt):
            break
        tp.out_of_order.pop(0)
        end = seq_add(seq, len(data))
        if before(seq, dsack_high):
            d = dsack_high if not before(end, dsack_high) else end
            tcp_dsack_extend(tp, seq, d)
        if not after(end, tp.rcv_nxt):
            continue
        _queue_rcv(tp, data[seq_sub(tp.rcv_nxt, seq):], False, now)
    if tp.ofo_fin_seq is not None and tp.ofo_fin_seq == tp.rcv_nxt:
        tp.ofo_fin_seq = None
        _queue_rcv(tp, b"", True, now)
        return True
    return False


def _try_rmem_schedule(tp: TcpConn, size: int) -> bool:
    """tcp_try_rmem_schedule: room in sk_rcvbuf, else prune the out-of-order queue first."""
    if tp.rmem_alloc + size <= tp.params.rcvbuf:
        return True
    if tp.out_of_order:
        tp.out_of_order.clear()
        tp.ofo_fin_seq = None
        tp.selective_acks = []
        tp.mib_inc("OfoPruned")
        tp.rmem_alloc = tcp_rmem_alloc(tp)
        tp.mib_inc("PruneCalled")
    return tp.rmem_alloc + size <= tp.params.rcvbuf


def _data_queue_ofo(tp: TcpConn, seq: int, data: bytes, fin: bool, now: float) -> None:
    """An out-of-order segment: keep it, SACK it, D-SACK what we already had (tcp_data_queue_ofo)."""
    tp.mib_inc("TCPOFOQueue")
    tp.rcv_ooopack += 1
    inet_csk_schedule_ack(tp)
    end = seq_add(seq, len(data))
    if fin:
        tp.ofo_fin_seq = end
    if not data:
        if fin:
            _sack_new_ofo(tp, seq, seq_add(end, 1))
        return
    # merge into the sorted, non-overlapping chunks; D-SACK the first overlap
    chunks = tp.out_of_order
    new_s, new_e = seq, end
    buf = bytearray(data)
    out: list[tuple[int, bytes]] = []
    dup: tuple[int, int] | None = None
    for s, d in chunks:
        e = seq_add(s, len(d))
        if before(e, new_s) or after(s, new_e):
            out.append((s, d))
            continue
        # overlap or adjacency: union, the stored bytes win (they came first)
        ov_s = s if after(s, new_s) else new_s
        ov_e = e if before(e, new_e) else new_e
        if dup is None and before(ov_s, ov_e):
            dup = (ov_s, ov_e)
        if before(s, new_s):
            buf = bytearray(d[:seq_sub(new_s, s)]) + buf
            new_s = s
        if after(e, new_e):
            buf += d[seq_sub(new_e, s):]
            new_e = e
    if dup is not None:
        if dup == (seq, end):
            tp.mib_inc("TCPOFOMerge")
        tcp_dsack_set(tp, dup[0], dup[1])
    out.append((new_s, bytes(buf)))
    out.sort(key=lambda c: seq_sub(c[0], tp.rcv_nxt))
    tp.out_of_order[:] = out
    tp.rmem_alloc = tcp_rmem_alloc(tp)
    _sack_new_ofo(tp, seq, end if not (fin and tp.ofo_fin_seq == end) else end)
    if len(data) >= 128:
        tcp_grow_window(tp, len(data))


def tcp_data_queue(tp: TcpConn, seg: TcpSegment, now: float) -> None:
    """The data (and FIN) of an acceptable segment (tcp_data_queue)."""
    seq = seg.seq
    data = seg.payload
    fin = seg.fin
    end_seq = seg.end_seq  # a SYN counts (our own SYN-ACK in a self-connect is an old segment)
    if seq == end_seq:
        return
    if seg.syn and not after(end_seq, tp.rcv_nxt):
        tp.mib_inc("DelayedACKLost")
        tcp_dsack_set(tp, seq, end_seq)
        _out_of_window(tp)
        return
    if seq == tp.rcv_nxt:
        if tcp_receive_window(tp) == 0 and data:
            tp.mib_inc("TCPZeroWindowDrop")
            _out_of_window(tp)
            return
        if data and not _try_rmem_schedule(tp, len(data)):
            tp.mib_inc("TCPRcvQDrop")
            _out_of_window(tp)
            return
        had_ofo = bool(tp.out_of_order) or tp.ofo_fin_seq is not None
        _queue_rcv(tp, data, False, now)
        if data:
            tcp_event_data_recv(tp, seg, now)
        got_fin = False
        if fin:
            _queue_rcv(tp, b"", True, now)
            got_fin = True
        if had_ofo:
            if _ofo_queue(tp, now):
                got_fin = True
            if not tp.out_of_order and tp.ofo_fin_seq is None:
                tp.ack_pending |= ICSK_ACK_NOW
            if tp.sack_ok:
                _sack_remove(tp)
        tp.rmem_alloc = tcp_rmem_alloc(tp)
        if got_fin:
            tcp_fin(tp, now)
        elif data and tcp_inq(tp) >= tp.params.rcvlowat:
            tp.events.append(TcpEvent("readable"))
        return
    if not after(end_seq, tp.rcv_nxt):
        # a retransmission of what we have: D-SACK it and ACK at once
        tp.mib_inc("DelayedACKLost")
        tcp_dsack_set(tp, seq, end_seq)
        _out_of_window(tp)
        return
    if not before(seq, seq_add(tp.rcv_nxt, tcp_receive_window(tp))):
        tp.mib_inc("TCPZeroWindowDrop" if tcp_receive_window(tp) == 0 else "TCPOFODrop")
        _out_of_window(tp)
        return
    if before(seq, tp.rcv_nxt):
        # partial: the head is old
        tcp_dsack_set(tp, seq, tp.rcv_nxt)
        if tcp_receive_window(tp) == 0:
            _out_of_window(tp)
            return
        cut = seq_sub(tp.rcv_nxt, seq)
        seg2 = TcpSegment(seg.sport, seg.dport, tp.rcv_nxt, seg.ack, seg.flags, seg.window, data[cut:],
                          ts=seg.ts)
        tcp_data_queue(tp, seg2, now)
        return
    if not _try_rmem_schedule(tp, len(data)):
        tp.mib_inc("TCPOFODrop")
        return
    _data_queue_ofo(tp, seq, data, fin, now)


def _out_of_window(tp: TcpConn) -> None:
    tcp_enter_quickack_mode(tp)
    inet_csk_schedule_ack(tp)


# --- the segment-arrives entry point -------------------------------------------------------------
def tcp_sequence(tp: TcpConn, seq: int, end_seq: int) -> bool:
    """RFC 9293 3.10.7.4 first check as Linux tests it (tcp_sequence)."""
    if before(end_seq, tp.rcv_wup):
        return False
    return not after(seq, seq_add(tp.rcv_nxt, tcp_receive_window(tp)))


def _send_reset_for(tp: TcpConn, seg: TcpSegment) -> None:
    rst = _out.tcp_reset_for(seg)
    if rst is not None:
        tp.outbox.append(rst)
        tp.mib_inc("OutRsts")
        tp.mib_inc("OutSegs")


def tcp_rcv(tp: TcpConn, seg: TcpSegment, now: float) -> None:
    """Dispatch one segment by state (tcp_v4_do_rcv + tcp_rcv_state_process)."""
    tp.mib_inc("InSegs")
    segs = -(-len(seg.payload) // seg.gso_size) if seg.gso_size else 1  # tcp_segs_in: GRO's gso_segs
    tp.segs_in += segs
    if seg.payload:
        tp.data_segs_in += segs
    st = tp.state
    if st == TCP_CLOSE:
        _send_reset_for(tp, seg)
        return
    if st == TCP_TIME_WAIT:
        tcp_timewait_state_process(tp, seg, now)
        return
    if st == TCP_SYN_SENT:
        if _synsent(tp, seg, now):
            _send_reset_for(tp, seg)
        return
    if _rcv_state_process(tp, seg, now):
        _send_reset_for(tp, seg)


def _validate_incoming(tp: TcpConn, seg: TcpSegment, now: float) -> bool:
    """tcp_validate_incoming: PAWS, sequence, RST, SYN checks; False = drop (answers already queued)."""
    _parse_ts(tp, seg)
    syn_challenge = False
    if tp.saw_tstamp and not _paws_check(tp, TCP_PAWS_WINDOW, now) and not seg.rst:
        if seg.syn:
            syn_challenge = True
        else:
            tp.mib_inc("PAWSEstabRejected")
            if not (seg.seg_len and not seg.syn) and _oow_rate_limited(tp, now, "TCPACKSkippedPAWS"):
                return False
            tcp_send_dupack(tp, seg, now)
            return False
    if not syn_challenge and not tcp_sequence(tp, seg.seq, seg.end_seq):
        if not seg.rst:
            if seg.syn:
                syn_challenge = True
            else:
                limited = (not seg.seg_len or seg.syn) and _oow_rate_limited(tp, now, "TCPACKSkippedSeq")
                if not limited:
                    tcp_send_dupack(tp, seg, now)
                return False
        else:
            if _reset_check(tp, seg):
                tcp_reset(tp, now)
            return False
    if not syn_challenge and seg.rst:
        if seg.seq == tp.rcv_nxt or _reset_check(tp, seg):
            tcp_reset(tp, now)
            return False
        if tp.sack_ok and tp.selective_acks:
            max_sack = tp.selective_acks[0][1]
            for _, e in tp.selective_acks[1:]:
                if after(e, max_sack):
                    max_sack = e
            if seg.seq == max_sack:
                tcp_reset(tp, now)
                return False
        tcp_send_challenge_ack(tp, now)
        return False
    if syn_challenge or seg.syn:
        if (tp.state == TCP_SYN_RECV and seg.has_ack and not syn_challenge
                and seq_add(seg.seq, 1) == tp.rcv_nxt and seg.ack == tp.snd_nxt):
            return True  # our own SYN-ACK in a simultaneous open (or self-connect)
        tp.mib_inc("InErrs")
        tp.mib_inc("TCPSYNChallenge")
        tcp_send_challenge_ack(tp, now)
        return False
    return True


def _reset_check(tp: TcpConn, seg: TcpSegment) -> bool:
    return (seg.seq == seq_sub(tp.rcv_nxt, 1) & _M32
            and bool(tcpf(tp.state) & tcpf(TCP_CLOSE_WAIT, TCP_LAST_ACK, TCP_CLOSING)))


def _header_predicted(tp: TcpConn, seg: TcpSegment) -> bool:
    """tcp_rcv_established's fast path for an in-order data segment that acknowledges nothing new
    (pred_flags: a bare ACK(+PSH), the window we know, nothing out of order, no urgent data, an open
    receive window; ``sk_forward_alloc`` covers it once the socket has charged memory, i.e. sent or
    received before).  Linux then queues the data and ACKs without tcp_data_snd_check, so a MSG_MORE
    tail stays corked."""
    return (tp.state == TCP_ESTABLISHED and bool(seg.payload) and seg.flags & ~PSH == ACK
            and seg.seq == tp.rcv_nxt and seg.ack == tp.snd_una
            and (seg.window << tp.snd_wscale) == tp.snd_wnd
            and not tp.out_of_order and not tp.urg_data and tp.rcv_wnd > 0
            and (tp.bytes_received > 0 or tp.bytes_sent > 0 or tp.write_seq != tp.snd_una))


def _rcv_state_process(tp: TcpConn, seg: TcpSegment, now: float) -> bool:
    """tcp_rcv_state_process for the synchronized states; True = answer with a RST."""
    if not seg.has_ack and not seg.rst and not seg.syn:
        return False
    fast_path = _header_predicted(tp, seg)
    if not _validate_incoming(tp, seg, now):
        return False
    if not seg.has_ack:
        return False
    prior_state = tp.state
    if tp.state == TCP_SYN_RECV and not (after(seg.ack, tp.snd_una) and not after(seg.ack, tp.snd_nxt)):
        return True
    ret = _tx("tcp_ack", "tcp_ack")(tp, seg, now, FLAG_SLOWPATH | FLAG_UPDATE_TS_RECENT | FLAG_NO_CHALLENGE_ACK)
    if ret < 0:
        tcp_send_challenge_ack(tp, now)
        return False
    if ret > 0 or seg.ack == tp.snd_una:
        tcp_replace_ts_recent(tp, seg.seq, now)
    if tp.state == TCP_CLOSE:
        return False  # tcp_ack gave up (never for a valid ACK; defensive)
    if prior_state == TCP_SYN_RECV:
        tp.snd_una = seg.ack if after(seg.ack, tp.snd_una) else tp.snd_una
        tp.snd_wnd = seg.window << tp.snd_wscale
        tp.max_window = max(tp.max_window, tp.snd_wnd)
        tp.snd_wl1 = seg.seq
        tp.snd_wl2 = seg.ack
        tp.set_state(RCV_ACK_OF_SYN)
        if tp.req_passive:
            tp.mib_inc("PassiveOpens")
        if tp.tstamp_ok:
            tp.advmss -= 12
        _finish_connect(tp, now, simultaneous=not tp.req_passive)
    fin_acked = tp.fin_queued and tp.snd_una == tp.write_seq
    if tp.state == TCP_FIN_WAIT1 and fin_acked:
        tp.set_state(RCV_ACK_OF_FIN)
        tp.shutdown |= SEND_SHUTDOWN
        tp.events.append(TcpEvent("writable"))
        if tp.orphan:
            if tp.params.linger2 < 0:
                tp.mib_inc("TCPAbortOnLinger")
                tp.done()
                return True
            if seg.payload and after(seq_add(seg.seq, len(seg.payload)), tp.rcv_nxt):
                tp.mib_inc("TCPAbortOnData")
                tp.done()
                return True
            tp.keepalive_timeout = now + tcp_fin_time(tp)
    elif tp.state == TCP_CLOSING and fin_acked:
        tcp_time_wait(tp, now)
        return False
    elif tp.state == TCP_LAST_ACK and fin_acked:
        tp.set_state(RCV_ACK_OF_FIN)
        return False
    _urg(tp, seg, now)
    st = tp.state
    if st in (TCP_CLOSE_WAIT, TCP_CLOSING, TCP_LAST_ACK) and not before(seg.seq, tp.rcv_nxt):
        pass  # the peer already sent its FIN: whatever follows it is ignored
    elif st in (TCP_FIN_WAIT1, TCP_FIN_WAIT2, TCP_ESTABLISHED, TCP_CLOSE_WAIT, TCP_CLOSING, TCP_LAST_ACK):
        # RFC 1122 4.2.2.13: new data for a reader that has shut down (close() or shutdown(SHUT_RD) after
        # our FIN) is answered with a RST and the connection reset, orphaned or not.
        if (st != TCP_ESTABLISHED and tp.shutdown & RCV_SHUTDOWN and seg.payload
                and after(seq_add(seg.seq, len(seg.payload)), tp.rcv_nxt)):
            tp.mib_inc("TCPAbortOnData")
            tcp_reset(tp, now)
            return True
        tcp_data_queue(tp, seg, now)
    if tp.state != TCP_CLOSE:
        if not fast_path:
            _out.tcp_data_snd_check(tp, now)
        tcp_ack_snd_check(tp, now)
    return False


def tcp_timewait_state_process(tp: TcpConn, seg: TcpSegment, now: float) -> None:
    """A segment for a TIME-WAIT connection (tcp_timewait_state_process)."""
    paws_reject = False
    if seg.ts is not None and tp.tstamp_ok:
        tp.saw_tstamp = True
        tp.rcv_tsval, tp.rcv_tsecr = seg.ts
        if tp.ts_recent_stamp:
            paws_reject = _paws_reject(tp, seg.rst, now)
    else:
        tp.saw_tstamp = False
    if not paws_reject and seg.seq == tp.rcv_nxt and (seg.seg_len == 0 or seg.rst):
        if seg.rst:
            if not tp.params.rfc1337:
                tp.set_state(RCV_RST)
                return
        else:
            tp.tw_timeout = now + TCP_TIMEWAIT_LEN
        if tp.saw_tstamp:
            _store_ts_recent(tp, now)
        return
    if (seg.syn and not seg.rst and not seg.has_ack and not paws_reject
            and (after(seg.seq, tp.rcv_nxt)
                 or (tp.saw_tstamp and ((tp.ts_recent - tp.rcv_tsval) & _M32) >= 0x80000000))):
        isn = seq_add(tp.snd_nxt, 65535 + 2)
        if isn == 0:
            isn = 1
        tp.tw_isn = isn
        tp.events.append(TcpEvent("tw_syn", new=isn))
        return
    if paws_reject:
        tp.mib_inc("PAWSEstabRejected")
    if not seg.rst:
        if paws_reject or seg.has_ack:
            tp.tw_timeout = now + TCP_TIMEWAIT_LEN
        if (seg.seg_len == 0 or seg.syn) and _oow_rate_limited(tp, now, "TCPACKSkippedTimeWait"):
            return
        _out.tcp_send_ack(tp, now)


# --- user calls ----------------------------------------------------------------------------------
def tcp_user_send(tp: TcpConn, data: bytes | memoryview, now: float, more: bool, oob: bool) -> int:
    if tp.shutdown & SEND_SHUTDOWN or tp.state in (TCP_CLOSE, TCP_FIN_WAIT1, TCP_FIN_WAIT2, TCP_CLOSING,
                                                   TCP_LAST_ACK, TCP_TIME_WAIT):
        return -errno.EPIPE
    if tp.state in (TCP_SYN_SENT, TCP_SYN_RECV):
        return 0
    n = _out.tcp_sendmsg_copy(tp, data)
    if n < len(data):
        tp.nospace = True  # wait_for_space: set_bit(SOCK_NOSPACE)
    if n <= 0:
        return 0
    tp.notsent_bytes += n
    if oob:
        tp.snd_up = tp.write_seq
    _out.tcp_push(tp, now, more=more)
    return n


def tcp_inq(tp: TcpConn) -> int:
    """SIOCINQ: in-order bytes not yet read (up to the urgent mark when it is out of line)."""
    if tp.state in (TCP_SYN_SENT, TCP_SYN_RECV):
        return 0
    if (tp.params.oobinline or not tp.urg_data or before(tp.urg_seq, tp.copied_seq)
            or not before(tp.urg_seq, tp.rcv_nxt)):
        answ = seq_sub(tp.rcv_nxt, tp.copied_seq)
        if answ and tp.fin_rcvd:
            answ -= 1
        return max(answ, 0)
    return seq_sub(tp.urg_seq, tp.copied_seq)


def tcp_recvmsg(tp: TcpConn, n: int, now: float, peek: bool, trunc: bool) -> bytes:
    """tcp_recvmsg_locked's copy loop over the in-order queue."""
    out = bytearray()
    copied = 0
    seq = tp.copied_seq
    q = tp.receive_queue
    while n > 0:
        if tp.urg_data and tp.urg_seq == seq and copied:
            break
        offset = seq_sub(seq, tp.copied_seq)
        avail = len(q) - offset
        if avail <= 0:
            break
        used = min(avail, n)
        if tp.urg_data:
            urg_offset = seq_sub(tp.urg_seq, seq)
            if 0 <= urg_offset < used:
                if urg_offset == 0:
                    if not tp.params.oobinline:
                        seq = seq_add(seq, 1)
                        offset += 1
                        used -= 1
                        if used == 0:
                            if not peek and after(seq, tp.urg_seq):
                                _consume(tp, seq)
                                tp.urg_data = 0
                            continue
                else:
                    used = urg_offset
        if not trunc:
            out += q[offset:offset + used]
        copied += used
        seq = seq_add(seq, used)
        n -= used
        if not peek:
            _consume(tp, seq)
            if tp.urg_data and after(tp.copied_seq, tp.urg_seq):
                tp.urg_data = 0
    if not peek and copied:
        tcp_rcv_space_adjust(tp, now)
        tcp_cleanup_rbuf(tp, copied, now)
    elif not peek and seq != tp.copied_seq:
        _consume(tp, seq)
    return bytes(out) if not trunc else bytes(copied)


def _consume(tp: TcpConn, seq: int) -> None:
    k = seq_sub(seq, tp.copied_seq)
    if k > 0:
        del tp.receive_queue[:k]
        tp.copied_seq = seq
        tp.rmem_alloc = tcp_rmem_alloc(tp)


def tcp_recv_urg(tp: TcpConn, now: float, peek: bool) -> bytes | int:
    """MSG_OOB (tcp_recv_urg)."""
    if tp.params.oobinline or not tp.urg_data or tp.urg_data == TCP_URG_READ:
        return -errno.EINVAL
    if tp.state == TCP_CLOSE and not tp.fin_rcvd:
        return -errno.ENOTCONN
    if tp.urg_data & TCP_URG_VALID:
        c = tp.urg_data & 0xFF
        if not peek:
            tp.urg_data = TCP_URG_READ
        return bytes([c])
    if tp.state == TCP_CLOSE or tp.shutdown & RCV_SHUTDOWN:
        return b""
    return -errno.EAGAIN


def _close_state(tp: TcpConn) -> bool:
    """tcp_close_state: the move of a user close; True when a FIN must go."""
    st = tp.state
    if st in (TCP_ESTABLISHED, TCP_SYN_RECV, TCP_CLOSE_WAIT):
        tp.set_state(CLOSE)
        return True
    if st == TCP_SYN_SENT:
        tp.set_state(CLOSE)
    return False


def tcp_shutdown(tp: TcpConn, now: float) -> None:
    tp.shutdown |= SEND_SHUTDOWN
    if tp.state in (TCP_ESTABLISHED, TCP_SYN_SENT, TCP_SYN_RECV, TCP_CLOSE_WAIT):
        if _close_state(tp):
            _out.tcp_send_fin(tp, now)


def tcp_user_close(tp: TcpConn, now: float) -> None:
    """__tcp_close's protocol part."""
    tp.shutdown = SHUTDOWN_MASK
    unread = seq_sub(tp.rcv_nxt, tp.copied_seq) - (1 if tp.fin_rcvd else 0)
    tp.receive_queue.clear()
    tp.out_of_order.clear()
    tp.copied_seq = tp.rcv_nxt
    tp.rmem_alloc = 0
    tp.orphan = True
    if tp.state == TCP_CLOSE:
        return
    if unread > 0:
        tp.mib_inc("TCPAbortOnClose")
        _out.tcp_send_active_reset(tp, now)
        tp.done()
        return
    if _close_state(tp):
        _out.tcp_send_fin(tp, now)
    if tp.state == TCP_FIN_WAIT2:
        if tp.params.linger2 < 0:
            _out.tcp_send_active_reset(tp, now)
            tp.mib_inc("TCPAbortOnLinger")
            tp.done()
        else:
            tp.keepalive_timeout = now + tcp_fin_time(tp)


def _need_reset(state: int) -> bool:
    return bool(tcpf(state) & tcpf(TCP_ESTABLISHED, TCP_CLOSE_WAIT, TCP_FIN_WAIT1, TCP_FIN_WAIT2, TCP_SYN_RECV))


def tcp_user_abort(tp: TcpConn, now: float, send_rst: bool) -> None:
    """To CLOSE now; a RST when tcp_disconnect would send one."""
    old = tp.state
    if old == TCP_CLOSE:
        return
    if send_rst and (_need_reset(old) or (tp.snd_nxt != tp.write_seq and old in (TCP_CLOSING, TCP_LAST_ACK))):
        _out.tcp_send_active_reset(tp, now)
        if old != TCP_TIME_WAIT:
            tp.mib_inc("TCPAbortOnData" if old not in (TCP_SYN_RECV,) else "TCPAbortOnClose")
    tcp_write_queue_purge(tp)
    tp.done()


def tcp_disconnect(tp: TcpConn, now: float) -> int:
    """tcp_disconnect: CLOSE (RST as the state asks), purge, and reset for a new connect()."""
    old = tp.state
    err = 0
    if old != TCP_CLOSE:
        if _need_reset(old) or (tp.snd_nxt != tp.write_seq and old in (TCP_CLOSING, TCP_LAST_ACK)):
            _out.tcp_send_active_reset(tp, now)
            err = errno.ECONNRESET
        elif old == TCP_SYN_SENT:
            err = errno.ECONNRESET
        tp.done()
    new_iss = seq_add(tp.write_seq, tp.max_window + 2) or 1
    outbox, events, mib = tp.outbox, tp.events, tp.mib
    TcpConn.__init__(tp, tp.params, tp.sport, tp.dport, new_iss, now, tp.ts_offset)
    tp.outbox, tp.events, tp.mib = outbox, events, mib
    tp.sk_err = err
    return 0


_ICMP_UNREACH_ERR = {
    0: (errno.ENETUNREACH, True), 1: (errno.EHOSTUNREACH, True), 2: (errno.ENOPROTOOPT, True),
    3: (errno.ECONNREFUSED, True), 4: (errno.EMSGSIZE, False), 5: (errno.EOPNOTSUPP, False),
    6: (errno.ENETUNREACH, True), 7: (errno.EHOSTDOWN, True), 8: (errno.ENONET, True),
    9: (errno.ENETUNREACH, True), 10: (errno.EHOSTUNREACH, True), 11: (errno.ENETUNREACH, False),
    12: (errno.EHOSTUNREACH, False), 13: (errno.EHOSTUNREACH, True), 14: (errno.EHOSTUNREACH, True),
    15: (errno.EHOSTUNREACH, True),
}


def tcp_v4_err(tp: TcpConn, type_: int, code: int, info: int, now: float, seq: int | None = None) -> None:
    """tcp_v4_err's protocol part: PMTU, hard errors in the SYN states, soft errors elsewhere."""
    if tp.state == TCP_CLOSE:
        return
    if seq is not None and tp.state != TCP_LISTEN and not between(seq, tp.snd_una, tp.snd_nxt):
        tp.mib_inc("OutOfWindowIcmps")
        return
    if type_ == 3:
        if code > 15:
            return
        if code == 4:
            if info and info < tp.pmtu_cookie:
                tp.pmtu_cookie = max(info, 68)
                _out.tcp_sync_mss(tp, tp.pmtu_cookie)
                retransmit = getattr(_retrans_module(), "tcp_simple_retransmit", None)
                if retransmit is not None:
                    retransmit(tp, now)
            return
        err = _ICMP_UNREACH_ERR[code][0]
    elif type_ == 12:
        err = errno.EPROTO
    elif type_ == 11:
        err = errno.EHOSTUNREACH
    else:
        return
    if tp.state in (TCP_SYN_SENT, TCP_SYN_RECV):
        tp.sk_err = err
        tp.events.append(TcpEvent("error", err=err))
        tcp_write_queue_purge(tp)
        tp.done()
    elif tp.params.recverr:
        tp.sk_err = err
        tp.events.append(TcpEvent("error", err=err))
    else:
        tp.sk_err_soft = err


def _retrans_module() -> Any:
    import importlib
    try:
        return importlib.import_module("kernel.net.ipv4.tcp.tcp_retrans")
    except ImportError:
        return None


def tcp_set_quickack(tp: TcpConn, on: bool, now: float) -> None:
    """TCP_QUICKACK (do_tcp_setsockopt)."""
    if on:
        tp.ack_pingpong = 0
        if tp.state in (TCP_ESTABLISHED, TCP_CLOSE_WAIT, TCP_FIN_WAIT1, TCP_FIN_WAIT2) \
                and tp.ack_pending & ICSK_ACK_SCHED:
            tp.ack_pending |= ICSK_ACK_PUSHED
            tcp_cleanup_rbuf(tp, 1, now)
            if tp.ack_pending & ICSK_ACK_SCHED:
                tcp_send_ack_now(tp, now)
    else:
        tp.ack_pingpong = 1


__all__ = [
    "RCV_SHUTDOWN", "SEND_SHUTDOWN", "TCP_URG_NOTYET", "TCP_URG_READ", "TCP_URG_VALID",
    "tcp_ack_snd_check", "tcp_cleanup_rbuf", "tcp_data_queue", "tcp_enter_quickack_mode",
    "tcp_fin", "tcp_full_space", "tcp_inq", "tcp_new_window", "tcp_rcv", "tcp_receive_window", "tcp_reset",
    "tcp_send_challenge_ack", "tcp_space", "tcp_time_stamp", "tcp_win_from_space",
]
_unused = (MAX_TCP_WINDOW, ICSK_ACK_TIMER, TIMEOUT, ACK, RST, SYN)
