"""Receiving data: in order, out of order with SACK blocks (RFC 2018), D-SACK (RFC 2883), delayed ACK
(40 ms minimum, quickack at start, every second full segment, TCP_QUICKACK), window updates after
reads, zero window and reopening, MSG_PEEK and MSG_TRUNC."""
from __future__ import annotations

from kernel.net.ipv4.tcp.segment import ACK, FIN

MSS = 1448


def quiet(tcprig, tp, r, now=1.0):
    """Leave the initial quickack mode: the first segments are ACKed at once."""
    tp.ack_quick = 0
    tp.ack_ato = 0.04
    tp.ack_lrcvtime = now - 0.1  # idle less than the RTO: no quickack restart


def test_in_order_data_readable(tcprig):
    tp, r = tcprig.establish()
    out = r.send(tp, 1.0, ACK, b"hello")
    assert [e.kind for e in tp.events] == ["readable"]
    assert tp.readable_bytes() == 5
    assert len(out) == 1  # quickack mode at the start of a connection
    assert tp.recv(3, 1.1) == b"hel"
    assert tp.recv(10, 1.1) == b"lo"
    assert tp.bytes_received == 5


def test_delayed_ack_40ms(tcprig):
    tp, r = tcprig.establish()
    quiet(tcprig, tp, r)
    out = r.send(tp, 1.0, ACK, b"x" * 100)
    assert out == []
    assert abs(tp.ack_timeout - 1.04) < 1e-9
    tp.on_timer(1.039)
    assert tp.outbox == []
    tp.on_timer(1.04)
    tcprig.one(tp, ACK, ack=5101)
    assert tp.mib.get("DelayedACKs") == 1


def test_ack_every_second_full_segment(tcprig):
    tp, r = tcprig.establish(tcprig.params(rcvbuf=1 << 20))
    quiet(tcprig, tp, r)
    tp.ack_rcv_mss = MSS
    tp.rcv_ssthresh = tp.window_clamp  # no window growth (tcp_grow_window would force one quick ACK)
    assert r.send(tp, 1.0, ACK, b"a" * MSS) == []
    out = r.send(tp, 1.001, ACK, b"b" * MSS)
    tcprig.one(out, ACK, ack=5001 + 2 * MSS)
    assert tp.ack_timeout is None


def test_quickack_mode_at_start(tcprig):
    tp, r = tcprig.establish()
    for i in range(3):
        out = r.send(tp, 1.0 + i * 0.001, ACK, b"q" * 10)
        assert len(out) == 1


def test_tcp_quickack_sends_pending_ack(tcprig):
    tp, r = tcprig.establish()
    quiet(tcprig, tp, r)
    assert r.send(tp, 1.0, ACK, b"z" * 10) == []
    tp.set_quickack(True, 1.01)
    tcprig.one(tp, ACK, ack=5011)


def test_out_of_order_sack_and_fill(tcprig):
    tp, r = tcprig.establish()
    base = r.seq
    out = r.send(tp, 1.0, ACK, b"B" * 100, seq=base + 100, advance=False)
    s = tcprig.one(out, ACK, ack=base)
    assert s.sack == ((base + 100, base + 200),)
    out = r.send(tp, 1.01, ACK, b"D" * 100, seq=base + 300, advance=False)
    s = tcprig.one(out, ACK, ack=base)
    assert s.sack == ((base + 300, base + 400), (base + 100, base + 200))
    assert tp.readable_bytes() == 0 and tp.rcv_ooopack == 2
    out = r.send(tp, 1.02, ACK, b"A" * 100, seq=base, advance=False)
    s = tcprig.one(out, ACK, ack=base + 200)
    assert s.sack == ((base + 300, base + 400),)
    out = r.send(tp, 1.03, ACK, b"C" * 100, seq=base + 200, advance=False)
    s = tcprig.one(out, ACK, ack=base + 400)
    assert s.sack == ()
    assert tp.recv(1000, 1.1) == b"A" * 100 + b"B" * 100 + b"C" * 100 + b"D" * 100


def test_dsack_for_duplicate(tcprig):
    tp, r = tcprig.establish()
    base = r.seq
    r.send(tp, 1.0, ACK, b"x" * 100)
    out = r.send(tp, 1.1, ACK, b"x" * 100, seq=base, advance=False)
    s = tcprig.one(out, ACK, ack=base + 100)
    assert s.sack == ((base, base + 100),)
    assert tp.mib.get("TCPDSACKOldSent") == 1
    # the D-SACK is reported once
    tp.set_quickack(True, 1.2)
    out = r.send(tp, 1.3, ACK, b"y" * 10)
    assert all(seg.sack == () for seg in out)


def test_dsack_for_ofo_duplicate_first_then_sack(tcprig):
    tp, r = tcprig.establish()
    base = r.seq
    r.send(tp, 1.0, ACK, b"B" * 100, seq=base + 100, advance=False)
    out = r.send(tp, 1.1, ACK, b"B" * 100, seq=base + 100, advance=False)
    s = tcprig.one(out, ACK, ack=base)
    assert s.sack[0] == (base + 100, base + 200)  # D-SACK block first
    assert s.sack[1] == (base + 100, base + 200)
    assert tp.mib.get("TCPDSACKOfoSent") == 1


def test_out_of_order_fin(tcprig):
    tp, r = tcprig.establish()
    base = r.seq
    r.send(tp, 1.0, FIN | ACK, b"tail", seq=base + 4, advance=False)
    assert not tp.fin_rcvd
    r.send(tp, 1.1, ACK, b"head", seq=base, advance=False)
    assert tp.fin_rcvd and tp.rcv_nxt == base + 9
    assert tp.recv(100, 1.2) == b"headtail"
    assert tp.readable_bytes() == 0


def test_window_update_after_read(tcprig):
    p = tcprig.params(rcvbuf=20000, rcvbuf_locked=True)
    tp, r = tcprig.establish(p)
    quiet(tcprig, tp, r)
    sent = b""
    last = []
    i = 0
    while tcp_free(tp) >= 2000:
        chunk = bytes([65 + i % 26]) * min(1000, tcp_free(tp))
        r.send(tp, 1.0 + i * 0.001, ACK, chunk)
        sent += chunk
        tp.on_timer(1.0 + i * 0.001 + 0.5)
        last = tcprig.drain(tp) or last
        i += 1
    win_before = last[-1].window << tp.rcv_wscale
    assert tp.recv(100000, 2.0) == sent
    s = tcprig.one(tp, ACK)  # tcp_cleanup_rbuf: the window at least doubled
    assert (s.window << tp.rcv_wscale) >= 2 * win_before


def tcp_free(tp):
    from kernel.net.ipv4.tcp.tcp_input import tcp_receive_window
    return tcp_receive_window(tp)


def test_zero_window_then_reopen(tcprig):
    p = tcprig.params(rcvbuf=8192, window_scaling=False)
    tp, r = tcprig.establish(p, wscale=None)
    tp.ack_quick = 0
    sent = 0
    wins = []
    for i in range(20):
        room = tcp_free(tp)
        if room == 0:
            break
        n = min(room, 1000)
        r.send(tp, 1.0 + i * 0.01, ACK, b"z" * n)
        sent += n
        tp.on_timer(1.0 + i * 0.01 + 0.5)
        wins += [s.window for s in tcprig.drain(tp)]
    assert wins and wins[-1] == 0
    # a probe beyond the window is dropped and answered
    out = r.send(tp, 2.0, ACK, b"p")
    tcprig.one(out, ACK, window=0, ack=5001 + sent)
    assert tp.mib.get("TCPZeroWindowDrop") == 1
    r.seq -= 1
    assert tp.recv(100000, 3.0) == b"z" * sent
    s = tcprig.one(tp, ACK)
    assert s.window > 0


def test_peek_and_trunc(tcprig):
    tp, r = tcprig.establish()
    r.send(tp, 1.0, ACK, b"abcdef")
    assert tp.recv(4, 1.0, peek=True) == b"abcd"
    assert tp.readable_bytes() == 6
    assert tp.recv(2, 1.0, trunc=True) == b"\0\0"
    assert tp.recv(10, 1.0) == b"cdef"


def test_rcv_ssthresh_grows(tcprig):
    tp, r = tcprig.establish()
    before = tp.rcv_ssthresh
    for i in range(10):
        r.send(tp, 1.0 + i * 0.001, ACK, b"g" * MSS)
        tp.recv(MSS, 1.0 + i * 0.001)
    assert tp.rcv_ssthresh >= before


def test_rcvbuf_autotuning(tcprig):
    tp, r = tcprig.establish(ts=False)
    tp.rcv_rtt_est_us = 8 * 10000  # 10 ms
    start = tp.params.rcvbuf
    now = 1.0
    for _ in range(40):
        for _ in range(3):
            r.send(tp, now, ACK, b"t" * MSS)
        tp.recv(1 << 20, now)
        now += 0.001
    assert tp.params.rcvbuf > start
    assert tp.params.rcvbuf <= tp.params.rmem[2]


def test_rcvbuf_locked_not_tuned(tcprig):
    tp, r = tcprig.establish(tcprig.params(rcvbuf_locked=True))
    tp.rcv_rtt_est_us = 8 * 10000
    now = 1.0
    for _ in range(40):
        r.send(tp, now, ACK, b"t" * MSS)
        tp.recv(1 << 20, now)
        now += 0.001
    assert tp.params.rcvbuf == 131072
