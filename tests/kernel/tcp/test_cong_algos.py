"""Congestion control: the registry, Reno's and CUBIC's cwnd arithmetic (tcp_cong.c / tcp_cubic.c)."""
from __future__ import annotations

import errno

from kernel.net.ipv4.tcp import tcp_cong
from kernel.net.ipv4.tcp.conn import TcpConn, TcpParams
from kernel.net.ipv4.tcp.tcp_cubic import BETA_SCALE, CubicState, cubic_root


def _tp(cc: str) -> TcpConn:
    tp = TcpConn(TcpParams(congestion_control=cc), 1, 2, 1000, 0.0)
    tcp_cong.tcp_init_congestion_control(tp, 0.0)
    return tp


def test_registry_and_checks():
    assert tcp_cong.tcp_available_congestion_control() == "reno cubic"
    assert tcp_cong.tcp_ca_check("vegas") == -errno.ENOENT
    assert tcp_cong.tcp_ca_check("reno", capable=False, allowed="cubic") == -errno.EPERM
    assert tcp_cong.tcp_ca_check("reno", capable=True, allowed="cubic") == 0
    tp = _tp("cubic")
    assert tcp_cong.tcp_set_congestion_control(tp, "nope") == -errno.ENOENT
    assert tcp_cong.tcp_set_congestion_control(tp, "reno") == 0 and tp.ca_ops is not None
    assert tp.ca_ops.name == "reno" and tp.params.congestion_control == "reno"


def test_reno_slow_start_then_additive_increase():
    tp = _tp("reno")
    ops = tcp_cong.tcp_ca_ops(tp)
    tp.snd_ssthresh = 12
    tp.max_packets_out = 100
    tp.is_cwnd_limited = True
    ops.cong_avoid(tp, 0, 4, 0.1)
    assert tp.snd_cwnd == 12  # slow start stops at ssthresh, leftover 2 goes to CA credits
    assert tp.snd_cwnd_cnt == 2
    for _ in range(10):
        ops.cong_avoid(tp, 0, 1, 0.2)
    assert tp.snd_cwnd == 13  # one packet per cwnd ACKed
    assert ops.ssthresh(tp) == 6 and ops.undo_cwnd(tp) == 13


def test_cubic_beta_and_fast_convergence():
    tp = _tp("cubic")
    ops = tcp_cong.tcp_ca_ops(tp)
    tp.snd_cwnd = 100
    assert ops.ssthresh(tp) == 70  # 100 * 717 / 1024
    ca = tp.ca_priv
    assert isinstance(ca, CubicState) and ca.last_max_cwnd == 100
    tp.snd_cwnd = 80  # a second loss below W_max: fast convergence releases bandwidth
    ops.ssthresh(tp)
    assert ca.last_max_cwnd == 80 * (1024 + 717) // 2048
    assert BETA_SCALE == 15


def test_cubic_root():
    for v in (0, 1, 7, 8, 26, 27, 1000, 10**12, 2**40 * 50):
        r = cubic_root(v)
        assert r**3 <= v < (r + 1) ** 3


def _trace(cc: str) -> list[int]:
    """cwnd after a loss at cwnd 100, one ACK per packet, 100 ms RTT, 8 s."""
    tp = _tp(cc)
    ops = tcp_cong.tcp_ca_ops(tp)
    tp.snd_cwnd = 100
    tp.snd_ssthresh = ops.ssthresh(tp)
    tp.snd_cwnd = tp.snd_ssthresh
    tp.is_cwnd_limited = True
    now = 1.0
    out = []
    for _rtt in range(80):
        n = tp.snd_cwnd
        for i in range(n):
            ops.pkts_acked(tp, 1, 100_000, now + i * 0.1 / n)
            ops.cong_avoid(tp, 0, 1, now + i * 0.1 / n)
        now += 0.1
        out.append(tp.snd_cwnd)
    return out


def test_reno_and_cubic_traces_differ():
    reno = _trace("reno")
    cubic = _trace("cubic")
    assert reno[0] == 51 and reno[-1] == 130  # +1 per RTT from 50
    assert cubic[0] > 70
    # CUBIC's concave growth back toward W_max = 100, then convex beyond it
    assert 95 <= cubic[20] <= 105 and 115 <= cubic[-1] <= 125
    assert reno != cubic
