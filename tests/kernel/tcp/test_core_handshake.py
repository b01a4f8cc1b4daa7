"""Opening: active and passive handshakes with option negotiation, simultaneous open, self-connect,
SYN-SENT's RST/ACK checks (RFC 9293 3.10.7.3), TCP_MAXSEG, no-option peers."""
from __future__ import annotations

import errno

from kernel.net.ipv4.tcp.conn import TcpConn
from kernel.net.ipv4.tcp.segment import ACK, RST, SYN, TcpSegment, seq_add
from kernel.net.ipv4.tcp.states import TCP_CLOSE, TCP_ESTABLISHED, TCP_SYN_RECV, TCP_SYN_SENT


def test_active_open_syn_options(tcprig):
    tp = tcprig.active(tcprig.params(dst_mtu=1500))
    syn = tcprig.one(tp, SYN, seq=1000, mss=1460, wscale=10, sack_perm=True)
    assert syn.ts is not None and syn.ts[1] == 0
    assert tp.state == TCP_SYN_SENT
    assert tp.mib.get("ActiveOpens") == 1
    assert tp.connect(0.0) == -errno.EALREADY


def test_active_open_negotiates_options(tcprig):
    tp, r = tcprig.establish(wscale=5, mss=1200)
    assert tp.state == TCP_ESTABLISHED
    assert tp.snd_wscale == 5 and tp.wscale_ok and tp.rcv_wscale == 10
    assert tp.sack_ok and tp.tstamp_ok
    assert tp.mss_clamp == 1200
    assert tp.mss_cache == 1200 - 12
    assert tp.snd_una == 1001 and tp.rcv_nxt == 5001
    assert tp.snd_wnd == 65535  # the SYN-ACK's window is never scaled
    assert tp.ts_recent == 700000


def test_established_event_and_connected(tcprig):
    tp = tcprig.active()
    syn = tcprig.one(tp, SYN)
    r = tcprig.Remote()
    r.ack = seq_add(syn.seq, 1)
    out = r.send(tp, 0.05, SYN | ACK, mss=1460, wscale=7, sack_perm=True, ts=(1, syn.ts[0]))
    tcprig.one(out, ACK, seq=1001, ack=5001)
    kinds = [e.kind for e in tp.events]
    assert "connected" in kinds


def test_peer_without_options(tcprig):
    tp, r = tcprig.establish(ts=False, wscale=None, sack=False, mss=536)
    assert not tp.tstamp_ok and not tp.wscale_ok and not tp.sack_ok
    assert tp.rcv_wscale == 0 and tp.snd_wscale == 0
    assert tp.mss_cache == 536
    out = r.send(tp, 1.0, ACK, b"x" * 10)
    assert out == [] or out[0].ts is None


def test_user_mss_clamps_both_ways(tcprig):
    tp = tcprig.active(tcprig.params(user_mss=1000))
    syn = tcprig.one(tp, SYN)
    assert syn.mss == 1000
    r = tcprig.Remote()
    r.ack = seq_add(syn.seq, 1)
    r.send(tp, 0.01, SYN | ACK, mss=1460, wscale=7, sack_perm=True, ts=(1, syn.ts[0]))
    assert tp.mss_clamp == 1000


def test_synsent_rst_with_good_ack_refuses(tcprig):
    tp = tcprig.active()
    tcprig.drain(tp)
    r = tcprig.Remote(ts=False)
    r.send(tp, 0.01, RST | ACK, ack=1001)
    assert tp.state == TCP_CLOSE
    assert tp.sk_err == errno.ECONNREFUSED
    assert any(e.kind == "error" and e.err == errno.ECONNREFUSED for e in tp.events)
    assert tp.mib.get("AttemptFails") == 1


def test_synsent_rst_with_bad_ack_ignored(tcprig):
    tp = tcprig.active()
    tcprig.drain(tp)
    r = tcprig.Remote(ts=False)
    assert r.send(tp, 0.01, RST | ACK, ack=999) == []
    assert tp.state == TCP_SYN_SENT
    assert r.send(tp, 0.01, RST, ack=0) == []  # RST without ACK: ignored
    assert tp.state == TCP_SYN_SENT


def test_synsent_bad_ack_answered_with_rst(tcprig):
    tp = tcprig.active()
    tcprig.drain(tp)
    r = tcprig.Remote(ts=False)
    out = r.send(tp, 0.01, ACK, ack=4242)
    tcprig.one(out, RST, seq=4242)
    assert tp.state == TCP_SYN_SENT


def test_passive_open(tcprig):
    tp, r = tcprig.passive()
    assert tp.state == TCP_ESTABLISHED
    assert tp.mib.get("PassiveOpens") is None  # cleared by the rig; counted at the third ACK:
    tp2, _ = tcprig.passive()
    assert tp2.req_passive


def test_passive_synack_options_echo(tcprig):
    r = tcprig.Remote()
    syn = r.seg(SYN, ack=0, mss=1400, wscale=3, sack_perm=False, ts=(55, 0))
    tp = TcpConn.from_syn(tcprig.params(), syn, 9000, 0.0)
    sa = tcprig.one(tp, SYN | ACK, seq=9000, ack=5001)
    assert sa.sack_perm is False
    assert sa.wscale == 10 and sa.ts is not None and sa.ts[1] == 55
    assert tp.state == TCP_SYN_RECV and tp.snd_wscale == 3
    assert (tp.sport, tp.dport) == (syn.dport, syn.sport)


def test_passive_no_wscale_no_ts(tcprig):
    r = tcprig.Remote(ts=False)
    syn = r.seg(SYN, ack=0, mss=1400)
    tp = TcpConn.from_syn(tcprig.params(), syn, 9000, 0.0)
    sa = tcprig.one(tp, SYN | ACK)
    assert sa.wscale is None and sa.ts is None
    assert tp.rcv_wscale == 0


def test_synrecv_bad_ack_gets_rst(tcprig):
    r = tcprig.Remote(ts=False)
    syn = r.seg(SYN, ack=0, mss=1400)
    tp = TcpConn.from_syn(tcprig.params(), syn, 9000, 0.0)
    tcprig.drain(tp)
    r.seq = 5001
    out = r.send(tp, 0.01, ACK, ack=12345)
    tcprig.one(out, RST, seq=12345)
    assert tp.state == TCP_SYN_RECV


def test_simultaneous_open(tcprig):
    p = tcprig.params()
    a = TcpConn(p, 1111, 2222, 100, 0.0)
    b = TcpConn(tcprig.params(), 2222, 1111, 900, 0.0)
    a.connect(0.0)
    b.connect(0.0)
    sa, sb = tcprig.drain(a), tcprig.drain(b)
    a.segment_arrived(sb[0], 0.01)
    b.segment_arrived(sa[0], 0.01)
    assert a.state == TCP_SYN_RECV and b.state == TCP_SYN_RECV
    sya = tcprig.one(a, SYN | ACK, seq=100, ack=901)
    syb = tcprig.one(b, SYN | ACK, seq=900, ack=101)
    a.segment_arrived(syb, 0.02)
    b.segment_arrived(sya, 0.02)
    assert a.state == TCP_ESTABLISHED and b.state == TCP_ESTABLISHED
    # each answers the SYN-ACK's (old) SYN with an ACK
    for x in (a, b):
        segs = tcprig.drain(x)
        assert all(s.flags == ACK for s in segs)
    assert a.send(b"ping", 0.03) == 4
    for s in tcprig.drain(a):
        b.segment_arrived(s, 0.04)
    assert b.recv(10, 0.05) == b"ping"


def test_self_connect(tcprig):
    tp = TcpConn(tcprig.params(), 5555, 5555, 777, 0.0)
    tp.connect(0.0)
    syn = tcprig.one(tp, SYN)
    tp.segment_arrived(syn, 0.0)
    assert tp.state == TCP_SYN_RECV
    synack = tcprig.one(tp, SYN | ACK, seq=777, ack=778)
    tp.segment_arrived(synack, 0.0)
    assert tp.state == TCP_ESTABLISHED
    ack = tcprig.one(tp, ACK, seq=778, ack=778)
    tp.segment_arrived(ack, 0.0)
    assert tp.state == TCP_ESTABLISHED
    assert tp.send(b"me", 0.0) == 2
    # no ping-pong: icsk_ack.lrcvtime is not set on the SYN-RECV -> ESTABLISHED of a self-connect,
    # so the first send is no "reply" (TCP_QUICKACK reads 1 on Linux 6.18)
    assert tp.ack_pingpong == 0
    for s in tcprig.drain(tp):
        tp.segment_arrived(s, 0.0)
    assert tp.recv(10, 0.0) == b"me"


def test_closed_conn_answers_rst(tcprig):
    tp = TcpConn(tcprig.params(), 1, 2, 3, 0.0)
    tp.segment_arrived(TcpSegment(2, 1, 50, 0, SYN, 100), 0.0)
    tcprig.one(tp, RST | ACK, seq=0, ack=51)
    tp.segment_arrived(TcpSegment(2, 1, 50, 0, RST, 100), 0.0)
    assert tp.outbox == []


def test_disconnect_then_connect_again(tcprig):
    tp, r = tcprig.establish()
    assert tp.disconnect(1.0) == 0
    tcprig.one(tp, RST | ACK)
    assert tp.state == TCP_CLOSE
    assert tp.connect(2.0) == 0
    syn = tcprig.one(tp, SYN)
    assert syn.seq != 1000
