"""CORE-TX: the sender and loss recovery on hand-built ACKs and explicit ``now`` values.

Packetdrill-like: one TcpConn against the scripted Remote of conftest.py; each
test states the Linux behaviour it checks (tcp_output.c / tcp_input.c /
tcp_timer.c, RFC 6298 / 5681 / 6582 / 6675 / 896).
"""
from __future__ import annotations

import errno

import pytest

from kernel.net.ipv4.tcp import tcp_output
from kernel.net.ipv4.tcp.conn import TCP_CA_Loss, TCP_CA_Open, TCP_CA_Recovery, TcpConn, TcpParams
from kernel.net.ipv4.tcp.segment import ACK, PSH, RST, SYN, TcpSegment, seq_add
from kernel.net.ipv4.tcp.states import TCP_CLOSE, TCP_ESTABLISHED, TCP_SYN_SENT

DATA0 = 1001  # first data byte after L_ISS 1000


def _data(out: list[TcpSegment]) -> list[tuple[int, int]]:
    return [(s.seq, len(s.payload)) for s in out if s.payload]


def _fire(tp: TcpConn, now: float) -> list[TcpSegment]:
    tp.on_timer(now)
    out = list(tp.outbox)
    tp.outbox.clear()
    return out


# --- SYN and segment building ----------------------------------------------------------------
def test_syn_options_as_linux(tcprig):
    tp = tcprig.active()
    syn = tcprig.one(tp, SYN, seq=1000, window=64240, mss=1460, wscale=10, sack_perm=True)
    assert syn.ts is not None and syn.ts[1] == 0
    assert tp.state == TCP_SYN_SENT and tp.icsk_timeout == pytest.approx(1.0)


def test_syn_mss_from_route_mtu_and_user_mss(tcprig):
    tp = tcprig.active(tcprig.params(dst_mtu=65536))
    tcprig.one(tp, SYN, mss=65495, window=65495)
    tp = tcprig.active(tcprig.params(user_mss=1000))
    tcprig.one(tp, SYN, mss=1000)


def test_syn_wscale_from_rmem_max_and_no_options_when_disabled(tcprig):
    tp = tcprig.active(tcprig.params(rmem=(4096, 131072, 1 << 20)))
    tcprig.one(tp, SYN, wscale=5)
    tp = tcprig.active(tcprig.params(window_scaling=False, sack=False, timestamps=0))
    syn = tcprig.one(tp, SYN, wscale=None, sack_perm=False)
    assert syn.ts is None


def test_reset_for_rfc9293_3_10_7_1():
    syn = TcpSegment(1234, 80, 777, 0, SYN, 100)
    r = tcp_output.tcp_reset_for(syn)
    assert r is not None and (r.seq, r.ack, r.flags, r.sport, r.dport) == (0, 778, RST | ACK, 80, 1234)
    ack = TcpSegment(1234, 80, 777, 4242, ACK, 100, b"abc")
    r = tcp_output.tcp_reset_for(ack)
    assert r is not None and (r.seq, r.flags) == (4242, RST)
    assert tcp_output.tcp_reset_for(TcpSegment(1234, 80, 1, 0, RST, 0)) is None


def test_window_scaled_and_never_shrunk(tcprig):
    tp, r = tcprig.establish()
    seg = tcp_output.tcp_make_segment(tp, tp.snd_nxt, ACK, b"", 1.0)
    assert seg.window == 63  # 64240 >> 10, rounded up to the scale
    # pretend the buffer filled: the offered window is kept (never shrink), not reduced
    tp.rmem_alloc = tp.params.rcvbuf - 1000
    seg = tcp_output.tcp_make_segment(tp, tp.snd_nxt, ACK, b"", 1.0)
    assert seg.window == 63


# --- SYN retries (tcp_write_timeout) -------------------------------------------------------------
def _syn_schedule(params: TcpParams) -> tuple[list[float], float, int]:
    tp = TcpConn(params, 40000, 80, 1000, 0.0)
    tp.connect(0.0)
    tp.outbox.clear()
    sends = []
    now = 0.0
    while tp.state != TCP_CLOSE and now < 1000:
        now = tp.next_timer()
        assert now is not None
        out = _fire(tp, now)
        if any(s.flags & SYN for s in out):
            sends.append(round(now, 3))
    return sends, now, tp.sk_err


def test_syn_retry_schedule_default():
    sends, gave_up, err = _syn_schedule(TcpParams())
    assert sends == [1.0, 3.0, 7.0, 15.0, 31.0, 63.0]
    assert gave_up == pytest.approx(127.0) and err == errno.ETIMEDOUT


def test_syn_retry_schedule_syncnt_2():
    sends, gave_up, err = _syn_schedule(TcpParams(syncnt=2))
    assert sends == [1.0, 3.0]
    assert gave_up == pytest.approx(7.0) and err == errno.ETIMEDOUT


# --- RTO -------------------------------------------------------------------------------------------
def test_rto_from_rtt_samples_and_backoff(tcprig):
    tp, r = tcprig.establish(tcprig.params(nodelay=True, early_retrans=0))  # no TLP before the RTO
    # handshake RTT 10 ms: srtt 10 ms, rttvar = max(2*10, 200) ms -> RTO 210 ms (jiffy-rounded)
    assert tp.srtt_us >> 3 == 10000
    assert tp.rto == pytest.approx(0.212, abs=0.005)
    assert tp.send(b"a" * 100, 1.0) == 100
    tcprig.one(tp, ACK | PSH, seq=DATA0)
    deadline = tp.icsk_timeout
    assert deadline == pytest.approx(1.0 + tp.rto)
    out = _fire(tp, deadline)
    assert _data(out) == [(DATA0, 100)]
    assert tp.icsk_backoff == 1 and tp.ca_state == TCP_CA_Loss
    first = tp.rto
    d2 = tp.icsk_timeout
    assert d2 == pytest.approx(deadline + first)
    out = _fire(tp, d2)
    assert _data(out) == [(DATA0, 100)] and tp.rto == pytest.approx(2 * first)
    assert tp.mib.get("RetransSegs") == 2
    # the ACK of the retransmission: no RTT sample (Karn), but the timer stops and the state opens
    r.send(tp, d2 + 0.05, ACK, ack=DATA0 + 100)
    assert tp.packets_out == 0 and tp.icsk_timeout is None
    assert tp.ca_state == TCP_CA_Open


def test_rto_caps_at_120s_and_retries2_gives_up(tcprig):
    tp, r = tcprig.establish(tcprig.params(nodelay=True, retries2=3, early_retrans=0))
    tp.send(b"x", 1.0)
    tcprig.drain(tp)
    now = 1.0
    while tp.state != TCP_CLOSE:
        now = tp.next_timer()
        _fire(tp, now)
    assert tp.sk_err == errno.ETIMEDOUT
    # retries2 = 3 at RTO_MIN models 0.2 * 15 = 3 s; the first RTO is 0.212
    assert 3.0 <= now - 1.0 <= 4.0


def test_user_timeout(tcprig):
    tp, r = tcprig.establish(tcprig.params(nodelay=True, user_timeout=2.0, early_retrans=0))
    tp.send(b"x", 1.0)
    tcprig.drain(tp)
    now = 1.0
    while tp.state != TCP_CLOSE:
        now = tp.next_timer()
        _fire(tp, now)
    assert tp.sk_err == errno.ETIMEDOUT and now == pytest.approx(1.0 + 2.0, abs=0.25)


# --- Nagle / cork / MSG_MORE ---------------------------------------------------------------------------
def test_nagle_holds_small_segment_until_ack(tcprig):
    tp, r = tcprig.establish()
    tp.send(b"a", 1.0)
    tcprig.one(tp, seq=DATA0)
    tp.send(b"b", 1.01)
    assert tcprig.drain(tp) == []  # a small segment is unacknowledged: hold (Minshall)
    tp.send(b"c", 1.02)
    assert tcprig.drain(tp) == []
    out = r.send(tp, 1.05, ACK, ack=DATA0 + 1)
    assert _data(out) == [(DATA0 + 1, 2)]


def test_nodelay_sends_at_once(tcprig):
    tp, r = tcprig.establish(tcprig.params(nodelay=True))
    tp.send(b"a", 1.0)
    tp.send(b"b", 1.0)
    assert _data(tcprig.drain(tp)) == [(DATA0, 1), (DATA0 + 1, 1)]


def test_nagle_sends_full_segments(tcprig):
    tp, r = tcprig.establish()
    tp.send(b"a", 1.0)
    tcprig.drain(tp)
    tp.send(b"b" * 3000, 1.0)
    assert _data(tcprig.drain(tp)) == [(DATA0 + 1, 1448), (DATA0 + 1 + 1448, 1448)]


def test_cork_and_msg_more_hold_partial_segments(tcprig):
    tp, r = tcprig.establish(tcprig.params(cork=True))
    tp.send(b"a" * 100, 1.0)
    assert tcprig.drain(tp) == []
    tp.send(b"a" * 2000, 1.0)
    assert _data(tcprig.drain(tp)) == [(DATA0, 1448)]
    tp.params.cork = False
    tcp_output.tcp_push_pending_frames(tp, 1.1)
    assert _data(tcprig.drain(tp)) == [(DATA0 + 1448, 652)]
    tp2, r2 = tcprig.establish(tcprig.params(nodelay=True))
    tp2.send(b"m" * 10, 1.0, more=True)
    assert tcprig.drain(tp2) == []
    tp2.send(b"n" * 10, 1.0)
    assert _data(tcprig.drain(tp2)) == [(DATA0, 20)]


# --- fast retransmit / NewReno / SACK ----------------------------------------------------------------
def _flight(tcprig, n: int, *, sack: bool, ts: bool = True) -> tuple[TcpConn, object, list[int]]:
    tp, r = tcprig.establish(tcprig.params(nodelay=True), sack=sack, ts=ts)
    tp.send(b"d" * (1448 * n), 1.0)
    out = tcprig.drain(tp)
    seqs = [s.seq for s in out if s.payload]
    assert len(seqs) == n
    return tp, r, seqs


def test_fast_retransmit_on_three_dupacks_newreno(tcprig):
    tp, r, seqs = _flight(tcprig, 6, sack=False)
    assert r.send(tp, 1.05, ACK, ack=seqs[1]) == [] or True  # first segment acked
    for i in range(2):
        out = r.send(tp, 1.06 + i * 0.001, ACK, ack=seqs[1])
        assert _data(out) == []
    out = r.send(tp, 1.07, ACK, ack=seqs[1])
    assert _data(out)[0] == (seqs[1], 1448)
    assert tp.ca_state == TCP_CA_Recovery and tp.mib.get("TCPRenoRecovery") == 1
    assert tp.snd_ssthresh == 7  # cubic (the default): cwnd 10 * 717 / 1024
    # RFC 6582 partial ACK: the next hole goes at once
    out = r.send(tp, 1.1, ACK, ack=seqs[3])
    assert (seqs[3], 1448) in _data(out)
    assert tp.ca_state == TCP_CA_Recovery
    # the ACK of high_seq itself: NewReno holds Recovery until something above it is ACKed
    end = seqs[-1] + 1448
    r.send(tp, 1.2, ACK, ack=end)
    assert tp.packets_out == 0 and tp.ca_state == TCP_CA_Recovery
    tp.send(b"n" * 100, 1.3)
    tcprig.drain(tp)
    r.send(tp, 1.35, ACK, ack=tp.snd_nxt)
    assert tp.ca_state == TCP_CA_Open and tp.snd_cwnd >= tp.snd_ssthresh
    assert tp.mib.get("TCPFastRetrans", 0) >= 2


def test_sack_recovery_retransmits_only_the_holes(tcprig):
    tp, r, seqs = _flight(tcprig, 8, sack=True)
    end = lambda i: seq_add(seqs[i], 1448)  # noqa: E731
    # segments 1 and 4 lost; SACKs arrive for 2,3 then 5,6,7
    out = r.send(tp, 1.05, ACK, ack=seqs[1])
    assert tp.packets_out == 7
    out = r.send(tp, 1.06, ACK, ack=seqs[1], sack=((seqs[2], end(2)),))
    out += r.send(tp, 1.061, ACK, ack=seqs[1], sack=((seqs[2], end(3)),))
    out += r.send(tp, 1.062, ACK, ack=seqs[1], sack=((seqs[5], end(5)), (seqs[2], end(3))))
    out += r.send(tp, 1.063, ACK, ack=seqs[1], sack=((seqs[5], end(6)), (seqs[2], end(3))))
    out += r.send(tp, 1.064, ACK, ack=seqs[1], sack=((seqs[5], end(7)), (seqs[2], end(3))))
    retx = sorted({s for s, _n in _data(out) if s in seqs})
    assert tp.ca_state == TCP_CA_Recovery and tp.mib.get("TCPSackRecovery") == 1
    assert retx == [seqs[1], seqs[4]]
    assert tp.mib.get("RetransSegs") == 2


def test_dupacks_below_threshold_do_not_retransmit(tcprig):
    tp, r, seqs = _flight(tcprig, 5, sack=False)
    r.send(tp, 1.05, ACK, ack=seqs[1])
    r.send(tp, 1.06, ACK, ack=seqs[1])
    out = r.send(tp, 1.07, ACK, ack=seqs[1])
    assert _data(out) == [] and tp.ca_state != TCP_CA_Recovery


# --- zero window --------------------------------------------------------------------------------------
def test_zero_window_probe_backoff(tcprig):
    tp, r = tcprig.establish(tcprig.params(nodelay=True), win=0)
    assert tp.snd_wnd == 0
    tp.send(b"z" * 100, 1.0)
    assert tcprig.drain(tp) == []
    first = tp.icsk_timeout
    assert first == pytest.approx(1.0 + tp.rto)
    gaps = []
    now = first
    for _ in range(5):
        out = _fire(tp, now)
        probe = tcprig.one(out, ACK, seq=DATA0 - 1)
        assert probe.payload == b""
        nxt = tp.icsk_timeout
        gaps.append(round(nxt - now, 3))
        now = nxt
    assert gaps == [round(tp.rto * 2 ** k, 3) for k in range(1, 6)]
    assert tp.state == TCP_ESTABLISHED
    out = r.send(tp, now, ACK, ack=DATA0, win=100)
    assert _data(out) == [(DATA0, 100)]
    assert tp.icsk_backoff == 0


def test_window_limits_and_sender_sws(tcprig):
    tp, r = tcprig.establish(tcprig.params(nodelay=True), wscale=0)
    r.send(tp, 0.5, ACK, ack=DATA0, win=2000)  # the peer's buffer filled: 2000 bytes offered
    tp.send(b"w" * 4000, 1.0)
    assert _data(tcprig.drain(tp)) == [(DATA0, 1448)]  # the second full segment would not fit whole
    out = r.send(tp, 1.05, ACK, ack=DATA0 + 1448, win=4000)
    assert _data(out) == [(DATA0 + 1448, 1448), (DATA0 + 2896, 1104)]


def test_cwnd_limits_the_flight(tcprig):
    tp, r = tcprig.establish(tcprig.params(nodelay=True))
    tp.params.sndbuf = 1 << 20
    tp.send(b"c" * (1448 * 20), 1.0)
    assert len(_data(tcprig.drain(tp))) == 10  # IW10
    out = r.send(tp, 1.05, ACK, ack=DATA0 + 1448 * 2)
    assert len(_data(out)) == 4  # slow start: 2 acked -> cwnd 12, 8 in flight



def test_tail_loss_probe_resends_the_last_segment(tcprig):
    tp, r = tcprig.establish(tcprig.params(nodelay=True))
    tp.send(b"t" * 3000, 1.0)
    out = tcprig.drain(tp)
    last = [s for s in out if s.payload][-1]
    pto = tp.icsk_timeout
    # RFC 8985 7.2: PTO = 2 * SRTT (+ 2 ms), within the RTO
    assert pto == pytest.approx(1.0 + 0.02 + 0.002, abs=0.001)
    out = _fire(tp, pto)
    assert _data(out) == [(last.seq, len(last.payload))]
    assert tp.mib.get("TCPLossProbes") == 1 and tp.icsk_timeout is not None
