"""CUBIC congestion control (RFC 9438; net/ipv4/tcp_cubic.c's behaviour), registered as "cubic".

Contract: a ``TcpCongestionOps`` whose private state (``CubicState``) lives in
``tp.ca_priv``.  Linux's constants and fixed point: beta = 717/1024 (RFC 9438
4.6's 0.7), C = 0.4 as bic_scale 41 (cube_rtt_scale 410), time in 1/1024 s
units (BICTCP_HZ = 10) from the clock's jiffies, K from an integer cube root
(floor; Linux's table-plus-Newton approximation agrees within its 0.2%), the
target evaluated one min-RTT ahead, the 5%-per-RTT cap before the first loss,
at most 1.5x per RTT, fast convergence (RFC 9438 4.7), the TCP-friendly
(Reno-estimate) region (4.3) with beta_scale = 8(1024+717)/3/(1024-717), and
HyStart (ACK train within delay_min/2 and delay increase of clamp(min/8, 4 ms,
16 ms) over 8 samples, from a cwnd of 16) ending slow start.  An RTO
(CA_Loss) resets the state; an application-limited idle period shifts the
epoch (CA_EVENT_TX_START).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from kernel.clock import HZ
from kernel.net.ipv4.tcp.segment import after
from kernel.net.ipv4.tcp.tcp_cong import (
    CA_EVENT_TX_START,
    TcpCongestionOps,
    tcp_cong_avoid_ai,
    tcp_in_slow_start,
    tcp_is_cwnd_limited,
    tcp_register_congestion_control,
    tcp_slow_start,
)

if TYPE_CHECKING:
    from kernel.net.ipv4.tcp.conn import TcpConn

BICTCP_BETA_SCALE = 1024
BICTCP_HZ = 10
BETA = 717
BIC_SCALE = 41
FAST_CONVERGENCE = True
TCP_FRIENDLINESS = True
HYSTART = True
HYSTART_ACK_TRAIN = 1
HYSTART_DELAY = 2
HYSTART_DETECT = HYSTART_ACK_TRAIN | HYSTART_DELAY
HYSTART_LOW_WINDOW = 16
HYSTART_ACK_DELTA_US = 2000
HYSTART_MIN_SAMPLES = 8
HYSTART_DELAY_MIN_US = 4000
HYSTART_DELAY_MAX_US = 16000

CUBE_RTT_SCALE = BIC_SCALE * 10
BETA_SCALE = 8 * (BICTCP_BETA_SCALE + BETA) // 3 // (BICTCP_BETA_SCALE - BETA)
CUBE_FACTOR = (1 << (10 + 3 * BICTCP_HZ)) // CUBE_RTT_SCALE

TCP_CA_Loss = 4


def cubic_root(a: int) -> int:
    """floor(a ** (1/3)) for a >= 0 (integer Newton iteration)."""
    if a <= 0:
        return 0
    x = 1 << ((a.bit_length() + 2) // 3)  # >= the root
    while True:
        y = (2 * x + a // (x * x)) // 3
        if y >= x:
            break
        x = y
    while x * x * x > a:
        x -= 1
    while (x + 1) ** 3 <= a:
        x += 1
    return x


@dataclass(slots=True)
class CubicState:
    cnt: int = 0  # increase cwnd by 1 after this many ACKed packets
    last_max_cwnd: int = 0  # W_max
    last_cwnd: int = 0
    last_time: int = 0  # jiffies
    bic_origin_point: int = 0
    bic_K: int = 0  # in 1/1024 s
    delay_min: int = 0  # us
    epoch_start: int = 0  # jiffies, 0 = no epoch
    ack_cnt: int = 0
    tcp_cwnd: int = 0  # the Reno-friendly estimate
    sample_cnt: int = 0
    found: bool = False
    round_start: int = 0  # us
    end_seq: int = 0
    last_ack: int = 0  # us
    curr_rtt: int = 0


def _jiffies(now: float) -> int:
    # jiffies never 0 for a live epoch (Linux's epoch_start 0 means "none")
    return int(now * HZ) or 1


def _clock_us(now: float) -> int:
    return int(round(now * 1_000_000))


def _usecs_to_jiffies(us: int) -> int:
    return -(-us * HZ // 1_000_000)


class CubicOps(TcpCongestionOps):
    name = "cubic"

    def _ca(self, tp: TcpConn) -> CubicState:
        if not isinstance(tp.ca_priv, CubicState):
            tp.ca_priv = CubicState()
        st: CubicState = tp.ca_priv
        return st

    def _reset(self, tp: TcpConn) -> None:
        tp.ca_priv = CubicState()

    def _hystart_reset(self, tp: TcpConn, now: float) -> None:
        ca = self._ca(tp)
        ca.round_start = ca.last_ack = _clock_us(now)
        ca.end_seq = tp.snd_nxt
        ca.curr_rtt = 0xFFFFFFFF
        ca.sample_cnt = 0

    def init(self, tp: TcpConn, now: float) -> None:
        self._reset(tp)
        if HYSTART:
            self._hystart_reset(tp, now)

    def cwnd_event(self, tp: TcpConn, event: int, now: float) -> None:
        if event != CA_EVENT_TX_START:
            return
        ca = self._ca(tp)
        j = _jiffies(now)
        delta = j - _jiffies(tp.lsndtime)
        if ca.epoch_start and delta > 0:
            ca.epoch_start += delta
            if ca.epoch_start > j:
                ca.epoch_start = j

    def _update(self, tp: TcpConn, cwnd: int, acked: int, now: float) -> None:
        ca = self._ca(tp)
        j = _jiffies(now)
        ca.ack_cnt += acked
        if not (ca.last_cwnd == cwnd and j - ca.last_time <= HZ // 32):
            if not (ca.epoch_start and j == ca.last_time):
                ca.last_cwnd = cwnd
                ca.last_time = j
                if ca.epoch_start == 0:
                    ca.epoch_start = j
                    ca.ack_cnt = acked
                    ca.tcp_cwnd = cwnd
                    if ca.last_max_cwnd <= cwnd:
                        ca.bic_K = 0
                        ca.bic_origin_point = cwnd
                    else:
                        ca.bic_K = cubic_root(CUBE_FACTOR * (ca.last_max_cwnd - cwnd))
                        ca.bic_origin_point = ca.last_max_cwnd
                t = j - ca.epoch_start + _usecs_to_jiffies(ca.delay_min)
                t = (t << BICTCP_HZ) // HZ
                offs = ca.bic_K - t if t < ca.bic_K else t - ca.bic_K
                delta = (CUBE_RTT_SCALE * offs * offs * offs) >> (10 + 3 * BICTCP_HZ)
                target = ca.bic_origin_point - delta if t < ca.bic_K else ca.bic_origin_point + delta
                if target > cwnd:
                    ca.cnt = cwnd // (target - cwnd)
                else:
                    ca.cnt = 100 * cwnd
                if ca.last_max_cwnd == 0 and ca.cnt > 20:
                    ca.cnt = 20
            if TCP_FRIENDLINESS:
                d = (cwnd * BETA_SCALE) >> 3
                if d > 0:
                    while ca.ack_cnt > d:
                        ca.ack_cnt -= d
                        ca.tcp_cwnd += 1
                if ca.tcp_cwnd > cwnd:
                    max_cnt = cwnd // (ca.tcp_cwnd - cwnd)
                    if ca.cnt > max_cnt:
                        ca.cnt = max_cnt
            ca.cnt = max(ca.cnt, 2)

    def cong_avoid(self, tp: TcpConn, ack: int, acked: int, now: float) -> None:
        if not tcp_is_cwnd_limited(tp):
            return
        if tcp_in_slow_start(tp):
            acked = tcp_slow_start(tp, acked)
            if not acked:
                return
        self._update(tp, tp.snd_cwnd, acked, now)
        tcp_cong_avoid_ai(tp, max(self._ca(tp).cnt, 1), acked)

    def ssthresh(self, tp: TcpConn) -> int:
        ca = self._ca(tp)
        ca.epoch_start = 0
        if tp.snd_cwnd < ca.last_max_cwnd and FAST_CONVERGENCE:
            ca.last_max_cwnd = tp.snd_cwnd * (BICTCP_BETA_SCALE + BETA) // (2 * BICTCP_BETA_SCALE)
        else:
            ca.last_max_cwnd = tp.snd_cwnd
        return max(tp.snd_cwnd * BETA // BICTCP_BETA_SCALE, 2)

    def set_state(self, tp: TcpConn, new_state: int, now: float) -> None:
        if new_state == TCP_CA_Loss:
            self._reset(tp)
            self._hystart_reset(tp, now)

    def _hystart_update(self, tp: TcpConn, delay: int, now: float) -> None:
        ca = self._ca(tp)
        if after(tp.snd_una, ca.end_seq):
            self._hystart_reset(tp, now)
        if HYSTART_DETECT & HYSTART_ACK_TRAIN:
            t = _clock_us(now)
            if t - ca.last_ack <= HYSTART_ACK_DELTA_US:
                ca.last_ack = t
                threshold = ca.delay_min >> 1  # no pacing: half the minimum delay
                if t - ca.round_start > threshold:
                    ca.found = True
                    tp.mib_inc("TCPHystartTrainDetect")
                    tp.mib_inc("TCPHystartTrainCwnd", tp.snd_cwnd)
                    tp.snd_ssthresh = tp.snd_cwnd
        if HYSTART_DETECT & HYSTART_DELAY:
            if ca.curr_rtt > delay:
                ca.curr_rtt = delay
            if ca.sample_cnt < HYSTART_MIN_SAMPLES:
                ca.sample_cnt += 1
            else:
                thresh = min(max(ca.delay_min >> 3, HYSTART_DELAY_MIN_US), HYSTART_DELAY_MAX_US)
                if ca.curr_rtt > ca.delay_min + thresh:
                    ca.found = True
                    tp.mib_inc("TCPHystartDelayDetect")
                    tp.mib_inc("TCPHystartDelayCwnd", tp.snd_cwnd)
                    tp.snd_ssthresh = tp.snd_cwnd

    def pkts_acked(self, tp: TcpConn, acked: int, rtt_us: int, now: float) -> None:
        if rtt_us < 0:
            return
        ca = self._ca(tp)
        if ca.epoch_start and _jiffies(now) - ca.epoch_start < HZ:
            return
        delay = rtt_us or 1
        if ca.delay_min == 0 or ca.delay_min > delay:
            ca.delay_min = delay
        if not ca.found and tcp_in_slow_start(tp) and HYSTART and tp.snd_cwnd >= HYSTART_LOW_WINDOW:
            self._hystart_update(tp, delay, now)


tcp_register_congestion_control(CubicOps())

__all__ = ["CubicOps", "CubicState", "cubic_root"]
