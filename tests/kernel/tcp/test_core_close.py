"""Closing: active, passive and simultaneous close, TIME-WAIT (60 s, RST/SYN/ACK in it),
FIN-WAIT-2 timeout for orphans, close with unread data, shutdown(SHUT_WR), abort."""
from __future__ import annotations

import errno

from kernel.net.ipv4.tcp.segment import ACK, FIN, RST, SYN
from kernel.net.ipv4.tcp.states import (
    TCP_CLOSE,
    TCP_CLOSE_WAIT,
    TCP_CLOSING,
    TCP_ESTABLISHED,
    TCP_FIN_WAIT1,
    TCP_FIN_WAIT2,
    TCP_LAST_ACK,
    TCP_TIME_WAIT,
)


def test_active_close_to_time_wait_and_expiry(tcprig):
    tp, r = tcprig.establish()
    tp.shutdown_send(1.0)
    fin = tcprig.one(tp, FIN | ACK, seq=1001)
    assert tp.state == TCP_FIN_WAIT1
    r.send(tp, 1.1, ACK, ack=fin.end_seq)
    assert tp.state == TCP_FIN_WAIT2
    out = r.send(tp, 2.0, FIN | ACK)
    tcprig.one(out, ACK, ack=5002)
    assert tp.state == TCP_TIME_WAIT
    assert any(e.kind == "timewait" for e in tp.events)
    assert tp.next_timer() == 2.0 + 60.0
    tp.on_timer(61.9)
    assert tp.state == TCP_TIME_WAIT
    tp.on_timer(62.0)
    assert tp.state == TCP_CLOSE
    assert tp.events[-1].kind == "closed"


def test_fin_ack_together_from_fin_wait1(tcprig):
    tp, r = tcprig.establish()
    tp.shutdown_send(1.0)
    fin = tcprig.one(tp, FIN | ACK)
    out = r.send(tp, 1.1, FIN | ACK, ack=fin.end_seq)
    tcprig.one(out, ACK, ack=5002)
    assert tp.state == TCP_TIME_WAIT


def test_simultaneous_close_closing(tcprig):
    tp, r = tcprig.establish()
    tp.shutdown_send(1.0)
    tcprig.one(tp, FIN | ACK)
    out = r.send(tp, 1.1, FIN | ACK, ack=1001)  # their FIN crossed ours
    tcprig.one(out, ACK, ack=5002)
    assert tp.state == TCP_CLOSING
    r.send(tp, 1.2, ACK, ack=1002)
    assert tp.state == TCP_TIME_WAIT


def test_passive_close_last_ack(tcprig):
    tp, r = tcprig.establish()
    r.send(tp, 1.0, FIN | ACK)
    assert tp.state == TCP_CLOSE_WAIT
    assert tp.fin_rcvd and tp.recv(10, 1.0) == b""
    tp.ack_timeout = None
    tcprig.drain(tp)
    tp.close(1.5)
    fin = tcprig.one(tp, FIN | ACK, ack=5002)
    assert tp.state == TCP_LAST_ACK
    r.send(tp, 1.6, ACK, ack=fin.end_seq)
    assert tp.state == TCP_CLOSE


def test_fin_ack_is_delayed_in_close_wait(tcprig):
    tp, r = tcprig.establish()
    out = r.send(tp, 1.0, FIN | ACK)
    # tcp_fin enters pingpong mode: the ACK of the FIN waits for the delayed-ACK timer
    assert out == [] and tp.ack_timeout is not None
    tp.on_timer(tp.ack_timeout)
    tcprig.one(tp, ACK, ack=5002)


def test_time_wait_rst_kills_unless_rfc1337(tcprig):
    for rfc1337, final in ((False, TCP_CLOSE), (True, TCP_TIME_WAIT)):
        tp, r = tcprig.establish(tcprig.params(rfc1337=rfc1337))
        tp.shutdown_send(1.0)
        fin = tcprig.one(tp, FIN | ACK)
        r.send(tp, 1.1, FIN | ACK, ack=fin.end_seq)
        assert tp.state == TCP_TIME_WAIT
        r.send(tp, 1.2, RST, ack=0)
        assert tp.state == final


def test_time_wait_retransmitted_fin_reacked_and_timer_restarted(tcprig):
    tp, r = tcprig.establish()
    tp.shutdown_send(1.0)
    fin = tcprig.one(tp, FIN | ACK)
    r.send(tp, 1.1, FIN | ACK, ack=fin.end_seq)
    out = r.send(tp, 30.0, FIN | ACK, seq=r.seq - 1, ack=fin.end_seq, advance=False)
    tcprig.one(out, ACK, ack=r.seq)
    assert tp.tw_timeout == 30.0 + 60.0


def test_time_wait_new_syn_reopens(tcprig):
    tp, r = tcprig.establish()
    tp.shutdown_send(1.0)
    fin = tcprig.one(tp, FIN | ACK)
    r.send(tp, 1.1, FIN | ACK, ack=fin.end_seq)
    tp.events.clear()
    out = r.send(tp, 2.0, SYN, seq=r.seq + 100000, ack=0, advance=False, mss=1460)
    assert out == []
    ev = [e for e in tp.events if e.kind == "tw_syn"]
    assert ev and ev[0].new == (tp.snd_nxt + 65537) & 0xFFFFFFFF
    tp.timewait_ack(2.0)
    tcprig.one(tp, ACK)


def test_time_wait_old_syn_gets_ack(tcprig):
    tp, r = tcprig.establish()
    tp.shutdown_send(1.0)
    fin = tcprig.one(tp, FIN | ACK)
    r.send(tp, 1.1, FIN | ACK, ack=fin.end_seq)
    out = r.send(tp, 2.0, SYN, seq=r.seq - 1000, ack=0, advance=False, tsval=1)
    assert not any(e.kind == "tw_syn" for e in tp.events)
    tcprig.one(out, ACK)


def test_orphan_fin_wait2_timeout(tcprig):
    tp, r = tcprig.establish(tcprig.params(fin_timeout=30.0))
    tp.close(1.0)
    fin = tcprig.one(tp, FIN | ACK)
    r.send(tp, 1.1, ACK, ack=fin.end_seq)
    assert tp.state == TCP_FIN_WAIT2
    assert tp.next_timer() == 1.1 + 30.0
    tp.on_timer(31.0)
    assert tp.state == TCP_FIN_WAIT2
    tp.on_timer(31.1)
    assert tp.state == TCP_CLOSE
    assert tp.outbox == []  # silently


def test_linger2_negative_resets(tcprig):
    tp, r = tcprig.establish(tcprig.params(linger2=-1.0))
    tp.close(1.0)
    fin = tcprig.one(tp, FIN | ACK)
    out = r.send(tp, 1.1, ACK, ack=fin.end_seq)
    tcprig.one(out, RST)
    assert tp.state == TCP_CLOSE


def test_non_orphan_fin_wait2_waits_forever(tcprig):
    tp, r = tcprig.establish()
    tp.shutdown_send(1.0)
    fin = tcprig.one(tp, FIN | ACK)
    r.send(tp, 1.1, ACK, ack=fin.end_seq)
    assert tp.state == TCP_FIN_WAIT2 and tp.next_timer() is None
    r.send(tp, 2.0, ACK, b"more")
    assert tp.recv(10, 2.0) == b"more"


def test_close_with_unread_data_sends_rst(tcprig):
    tp, r = tcprig.establish()
    r.send(tp, 1.0, ACK, b"unread")
    tcprig.drain(tp)
    tp.close(2.0)
    tcprig.one(tp, RST | ACK)
    assert tp.state == TCP_CLOSE
    assert tp.mib.get("TCPAbortOnClose") == 1


def test_close_in_syn_sent_is_silent(tcprig):
    tp = tcprig.active()
    tcprig.drain(tp)
    tp.close(0.5)
    assert tp.state == TCP_CLOSE and tp.outbox == []


def test_abort_sends_rst(tcprig):
    tp, r = tcprig.establish()
    tp.abort(1.0)
    tcprig.one(tp, RST | ACK, seq=1001)
    assert tp.state == TCP_CLOSE


def test_send_after_shutdown_is_epipe(tcprig):
    tp, r = tcprig.establish()
    tp.shutdown_send(1.0)
    assert tp.send(b"x", 1.0) == -errno.EPIPE
    assert tp.state == TCP_FIN_WAIT1


def test_data_after_close_in_fin_wait_resets(tcprig):
    tp, r = tcprig.establish()
    tp.close(1.0)
    tcprig.one(tp, FIN | ACK)
    out = r.send(tp, 1.1, ACK, b"late data", ack=1001)
    tcprig.one(out, RST)
    assert tp.state == TCP_CLOSE
    assert tp.mib.get("TCPAbortOnData") == 1


def test_established_unchanged_by_pure_ack(tcprig):
    tp, r = tcprig.establish()
    assert r.send(tp, 1.0, ACK) == []
    assert tp.state == TCP_ESTABLISHED
