"""The send buffer as Linux 6.18 sizes and charges it: tcp_sndbuf_expand at ESTABLISHED and when an
ACK frees space for a waiting writer (tcp_check_space), sk_wmem_queued charging each skb's truesize,
sk_stream_is_writeable's one-third rule, SO_SNDBUF locking.  Figures checked on the host kernel
(SO_SNDBUF after connect: 46080 for MSS 1000..1536, 87040 from 1540, 2626560 on loopback)."""
from __future__ import annotations

from kernel.net.ipv4.tcp import tcp_output
from kernel.net.ipv4.tcp.segment import ACK

DATA0 = 1001


def test_sndbuf_expanded_when_established(tcprig):
    tp, _ = tcprig.establish(mss=1460)
    assert tp.params.sndbuf == 46080  # 2 * 10 * (2048 + 256)
    tp, _ = tcprig.establish(mss=1536)
    assert tp.params.sndbuf == 46080
    tp, _ = tcprig.establish(mss=1540)
    assert tp.params.sndbuf == 87040
    tp, _ = tcprig.passive(mss=1460)
    assert tp.params.sndbuf == 46080


def test_sndbuf_expand_capped_by_wmem_max_and_reno_factor(tcprig):
    tp, _ = tcprig.establish(tcprig.params(dst_mtu=65536), mss=65483)
    assert tp.params.sndbuf == 2626560  # loopback: 2 * 10 * (131072 + 256)
    tp, _ = tcprig.establish(tcprig.params(dst_mtu=65536, wmem=(4096, 16384, 1000000)), mss=65483)
    assert tp.params.sndbuf == 1000000


def test_locked_sndbuf_is_kept(tcprig):
    tp, _ = tcprig.establish(tcprig.params(sndbuf=8192, sndbuf_locked=True))
    assert tp.params.sndbuf == 8192


def test_wmem_queued_charges_skb_truesize(tcprig):
    tp, _ = tcprig.establish(tcprig.params(nodelay=True, sndbuf=20000, sndbuf_locked=True), win=0)
    goal = tcp_output.tcp_size_goal(tp)
    n = tp.send(b"a" * 100000, 1.0)
    # new skbs while sk_wmem_queued < sk_sndbuf, each filled to the size goal
    skbs = -(-20000 // (goal + tcp_output.TCP_SKB_OVERHEAD))
    assert n == min(skbs * goal, 100000)
    assert tcp_output.tcp_wmem_queued(tp) == n + skbs * tcp_output.TCP_SKB_OVERHEAD
    assert tp.send_space() == 0 and tp.send(b"b", 1.0) == 0
    assert not tp.writable() and tp.nospace


def test_small_sends_fill_one_unsent_skb(tcprig):
    tp, _ = tcprig.establish(tcprig.params(cork=True), win=0)
    for _ in range(10):
        assert tp.send(b"x" * 10, 1.0) == 10
    assert len(tp.wmem_skbs) == 1
    assert tcp_output.tcp_wmem_queued(tp) == 100 + tcp_output.TCP_SKB_OVERHEAD


def test_sent_skbs_are_not_appended_to(tcprig):
    tp, r = tcprig.establish(tcprig.params(nodelay=True))
    tp.send(b"x" * 10, 1.0)
    tp.send(b"y" * 10, 1.0)
    assert len(tp.wmem_skbs) == 2  # each was sent at once: the second went into a new skb
    r.send(tp, 1.05, ACK, ack=DATA0 + 20)
    assert len(tp.wmem_skbs) == 0 and tcp_output.tcp_wmem_queued(tp) == 0


def test_writable_only_for_a_waiting_writer_and_a_third_free(tcprig):
    tp, r = tcprig.establish(tcprig.params(nodelay=True, sndbuf=30000, sndbuf_locked=True))
    taken = tp.send(b"q" * 100000, 1.0)
    assert 0 < taken < 100000 and tp.nospace
    sent = tcprig.drain(tp)
    tp.events.clear()
    acked = DATA0
    woke_at = None
    for seg in sent:
        if not seg.payload:
            continue
        acked += len(seg.payload)
        r.send(tp, 1.05, ACK, ack=acked)
        if any(e.kind == "writable" for e in tp.events):
            woke_at = tcp_output.tcp_wmem_queued(tp)
            break
    assert woke_at is not None
    assert 30000 - woke_at >= woke_at >> 1
    assert not tp.nospace


def test_no_writable_event_without_a_waiting_writer(tcprig):
    tp, r = tcprig.establish(tcprig.params(nodelay=True))
    tp.send(b"q" * 10000, 1.0)
    tcprig.drain(tp)
    tp.events.clear()
    r.send(tp, 1.05, ACK, ack=DATA0 + 1448 * 5)
    assert not any(e.kind == "writable" for e in tp.events)


def test_sndbuf_grows_with_cwnd_when_the_buffer_limits(tcprig):
    tp, r = tcprig.establish(tcprig.params(nodelay=True))
    start = tp.params.sndbuf
    now = 1.0
    acked = DATA0
    pending = []
    for _ in range(8):
        tp.send(b"z" * 1_000_000, now)  # fills the buffer: SOCK_NOSPACE
        pending += tcprig.drain(tp)
        acked += sum(len(s.payload) for s in pending)
        now += 0.01
        pending = r.send(tp, now, ACK, ack=acked)
    assert tp.snd_cwnd > 20
    # tcp_sndbuf_expand ran with the grown cwnd: 2 * cwnd-at-the-time * 2304, at most tcp_wmem[2]
    assert tp.params.sndbuf > start
    sndbuf = tp.params.sndbuf
    assert sndbuf == tp.params.wmem[2] or ((sndbuf // 2) % 2304 == 0 and sndbuf <= 2 * tp.snd_cwnd * 2304)


def test_locked_sndbuf_never_grows(tcprig):
    tp, r = tcprig.establish(tcprig.params(nodelay=True, sndbuf=16384, sndbuf_locked=True))
    now = 1.0
    acked = DATA0
    pending = []
    for _ in range(6):
        tp.send(b"z" * 1_000_000, now)
        pending += tcprig.drain(tp)
        acked += sum(len(s.payload) for s in pending)
        now += 0.01
        pending = r.send(tp, now, ACK, ack=acked)
    assert tp.params.sndbuf == 16384
