"""Urgent data (RFC 9293 3.8.5 with Linux's one-byte semantics: SO_OOBINLINE, SIOCATMARK, recv stops at
the mark) and the keepalive timer (probes at idle, every intvl, ETIMEDOUT after cnt)."""
from __future__ import annotations

import errno

from kernel.net.ipv4.tcp.segment import ACK, RST
from kernel.net.ipv4.tcp.states import TCP_CLOSE, TCP_ESTABLISHED

URG = 0x20


def test_urgent_out_of_line(tcprig):
    tp, r = tcprig.establish()
    # "abc" then urgent "X" (pointer one past it, BSD), then "de"
    r.send(tp, 1.0, ACK | URG, b"abcX", urg_ptr=4)
    r.send(tp, 1.01, ACK, b"de")
    kinds = [e.kind for e in tp.events]
    assert "urgent" in kinds
    assert tp.readable_bytes() == 3  # up to the mark
    assert tp.recv(100, 1.1) == b"abc"  # stops at the mark
    assert tp.at_mark()
    assert tp.recv_oob(1.1, peek=True) == b"X"
    assert tp.recv_oob(1.1) == b"X"
    assert tp.recv_oob(1.1) == -errno.EINVAL  # already read
    assert tp.recv(100, 1.2) == b"de"  # the urgent byte is not in the stream
    assert not tp.at_mark()


def test_urgent_skipped_when_read_in_band_first(tcprig):
    tp, r = tcprig.establish()
    r.send(tp, 1.0, ACK | URG, b"abX", urg_ptr=3)
    assert tp.recv(100, 1.1) == b"ab"
    assert tp.recv(100, 1.1) == b""  # only the out-of-line byte is left: the read passes it
    assert tp.recv_oob(1.2) == -errno.EINVAL  # and it is gone (Linux clears urg_data; checked on the host)


def test_urgent_inline(tcprig):
    tp, r = tcprig.establish(tcprig.params(oobinline=True))
    r.send(tp, 1.0, ACK | URG, b"abcX", urg_ptr=4)
    r.send(tp, 1.01, ACK, b"de")
    assert tp.recv_oob(1.1) == -errno.EINVAL
    assert tp.readable_bytes() == 6
    assert tp.recv(100, 1.1) == b"abc"
    assert tp.at_mark()
    assert tp.recv(100, 1.1) == b"Xde"


def test_urgent_announced_not_yet_arrived(tcprig):
    tp, r = tcprig.establish()
    r.send(tp, 1.0, ACK | URG, b"ab", urg_ptr=10)
    assert tp.recv_oob(1.0) == -errno.EAGAIN
    assert tp.recv(100, 1.0) == b"ab"


def test_no_urgent_data_einval(tcprig):
    tp, r = tcprig.establish()
    assert tp.recv_oob(1.0) == -errno.EINVAL
    assert not tp.at_mark()


def test_keepalive_probes_and_expiry(tcprig):
    p = tcprig.params(keepalive=True, keepidle=10.0, keepintvl=2.0, keepcnt=3)
    tp, r = tcprig.establish(p)
    t0 = tp.rcv_tstamp
    assert tp.next_timer() is not None and abs(tp.next_timer() - (t0 + 10.0)) < 1e-9
    tp.on_timer(t0 + 10.0)
    probe = tcprig.one(tp, ACK, seq=1000)  # snd_una - 1
    assert probe.payload == b""
    for k in (1, 2):
        tp.on_timer(t0 + 10.0 + 2.0 * k)
        tcprig.one(tp, ACK, seq=1000)
    assert tp.state == TCP_ESTABLISHED
    tp.on_timer(t0 + 10.0 + 2.0 * 3)
    tcprig.one(tp, RST | ACK)
    assert tp.state == TCP_CLOSE and tp.sk_err == errno.ETIMEDOUT
    assert tp.mib.get("TCPKeepAlive") == 3


def test_keepalive_answered_resets_probe_count(tcprig):
    p = tcprig.params(keepalive=True, keepidle=10.0, keepintvl=2.0, keepcnt=2)
    tp, r = tcprig.establish(p)
    t0 = tp.rcv_tstamp
    tp.on_timer(t0 + 10.0)
    tcprig.one(tp, ACK, seq=1000)
    r.send(tp, t0 + 10.5, ACK)
    assert tp.icsk_probes_out == 0
    tp.on_timer(t0 + 12.0)
    assert tp.outbox == []  # idle restarted from the answer
    tp.on_timer(t0 + 20.5)
    tcprig.one(tp, ACK, seq=1000)


def test_keepalive_off_by_default(tcprig):
    tp, r = tcprig.establish()
    assert tp.keepalive_timeout is None
    tp.params.keepalive = True
    tp.keepalive_changed(5.0)
    assert tp.keepalive_timeout == 5.0 + 7200.0
