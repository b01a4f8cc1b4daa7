"""Pluggable congestion control (net/ipv4/tcp_cong.c): ``TcpCongestionOps``, the registry, Reno.

Contract:
- ``TcpCongestionOps``: struct tcp_congestion_ops as a class with Linux's hook
  names (``init``, ``ssthresh``, ``cong_avoid``, ``set_state``, ``cwnd_event``,
  ``undo_cwnd``, ``pkts_acked``, ``release``); an algorithm subclasses it and
  registers one instance with ``tcp_register_congestion_control``.
- ``tcp_ca_find(name)``; ``tcp_available_congestion_control()`` (the sysctl's
  text, registration order: "reno cubic"); ``tcp_ca_check(name, capable,
  allowed)`` -> 0 / -ENOENT (unknown) / -EPERM (not in
  net.ipv4.tcp_allowed_congestion_control and not CAP_NET_ADMIN);
  ``tcp_set_congestion_control(tp, name, ...)`` (the socket option);
  ``tcp_init_congestion_control(tp, now)`` (at the end of the handshake:
  tcp_init_transfer).
- Reno: slow start with appropriate byte counting in packets (RFC 5681 3.1,
  RFC 3465 L = 1 per ACKed packet as tcp_slow_start), congestion avoidance
  with tcp_cong_avoid_ai's credit counter, ssthresh = max(cwnd/2, 2), undo to
  max(cwnd, prior_cwnd).  All window units are packets (segments), as Linux.
"""
from __future__ import annotations

import errno
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kernel.net.ipv4.tcp.conn import TcpConn

# enum tcp_ca_event
CA_EVENT_TX_START = 0
CA_EVENT_CWND_RESTART = 1
CA_EVENT_COMPLETE_CWR = 2
CA_EVENT_LOSS = 3
CA_EVENT_ECN_NO_CE = 4
CA_EVENT_ECN_IS_CE = 5

TCP_CA_NAME_MAX = 16


class TcpCongestionOps:
    """struct tcp_congestion_ops; the base class is Reno's behaviour for the optional hooks."""

    name = ""
    sndbuf_expand_factor = 2  # ca_ops->sndbuf_expand (bbr: 3); tcp_sndbuf_expand's windows of send buffer

    def init(self, tp: TcpConn, now: float) -> None:
        """Called when the connection is established (tcp_init_congestion_control)."""

    def release(self, tp: TcpConn) -> None:
        tp.ca_priv = None

    def ssthresh(self, tp: TcpConn) -> int:
        return tcp_reno_ssthresh(tp)

    def cong_avoid(self, tp: TcpConn, ack: int, acked: int, now: float) -> None:
        tcp_reno_cong_avoid(tp, ack, acked)

    def set_state(self, tp: TcpConn, new_state: int, now: float) -> None:
        """icsk_ca_state is about to change (tcp_set_ca_state)."""

    def cwnd_event(self, tp: TcpConn, event: int, now: float) -> None:
        """CA_EVENT_*."""

    def undo_cwnd(self, tp: TcpConn) -> int:
        return tcp_reno_undo_cwnd(tp)

    def pkts_acked(self, tp: TcpConn, acked: int, rtt_us: int, now: float) -> None:
        """An ACK acknowledged ``acked`` packets; ``rtt_us`` < 0 when there is no sample."""


# --- Reno (tcp_cong.c) ------------------------------------------------------------------
def tcp_in_slow_start(tp: TcpConn) -> bool:
    return tp.snd_cwnd < tp.snd_ssthresh


def tcp_is_cwnd_limited(tp: TcpConn) -> bool:
    """tcp_is_cwnd_limited: in slow start, grow while cwnd < 2 * the most packets we had out."""
    if tcp_in_slow_start(tp):
        return tp.snd_cwnd < 2 * tp.max_packets_out
    return tp.is_cwnd_limited


def tcp_slow_start(tp: TcpConn, acked: int) -> int:
    """Grow by one packet per packet ACKed up to ssthresh; return the ACKed packets left over."""
    cwnd = min(tp.snd_cwnd + acked, tp.snd_ssthresh)
    acked -= cwnd - tp.snd_cwnd
    tp.snd_cwnd = min(cwnd, tp.snd_cwnd_clamp)
    return acked


def tcp_cong_avoid_ai(tp: TcpConn, w: int, acked: int) -> None:
    """Additive increase: one packet per ``w`` packets ACKed (credits in snd_cwnd_cnt)."""
    if tp.snd_cwnd_cnt >= w:
        tp.snd_cwnd_cnt = 0
        tp.snd_cwnd += 1
    tp.snd_cwnd_cnt += acked
    if tp.snd_cwnd_cnt >= w:
        delta = tp.snd_cwnd_cnt // w
        tp.snd_cwnd_cnt -= delta * w
        tp.snd_cwnd += delta
    tp.snd_cwnd = min(tp.snd_cwnd, tp.snd_cwnd_clamp)


def tcp_reno_cong_avoid(tp: TcpConn, ack: int, acked: int) -> None:
    if not tcp_is_cwnd_limited(tp):
        return
    if tcp_in_slow_start(tp):
        acked = tcp_slow_start(tp, acked)
        if not acked:
            return
    tcp_cong_avoid_ai(tp, tp.snd_cwnd, acked)


def tcp_reno_ssthresh(tp: TcpConn) -> int:
    return max(tp.snd_cwnd >> 1, 2)


def tcp_reno_undo_cwnd(tp: TcpConn) -> int:
    return max(tp.snd_cwnd, tp.prior_cwnd)


class RenoOps(TcpCongestionOps):
    name = "reno"


# --- the registry -----------------------------------------------------------------------
_REGISTRY: dict[str, TcpCongestionOps] = {"reno": RenoOps()}  # built in first, as Linux lists it


def tcp_register_congestion_control(ops: TcpCongestionOps) -> int:
    if not ops.name or len(ops.name) >= TCP_CA_NAME_MAX:
        return -errno.EINVAL
    if ops.name in _REGISTRY:
        return -errno.EEXIST
    _REGISTRY[ops.name] = ops
    return 0


def tcp_unregister_congestion_control(ops: TcpCongestionOps) -> None:
    _REGISTRY.pop(ops.name, None)


def tcp_ca_find(name: str) -> TcpCongestionOps | None:
    _load_builtin()
    return _REGISTRY.get(name)


def tcp_available_congestion_control() -> str:
    _load_builtin()
    return " ".join(_REGISTRY)


def tcp_ca_check(name: str, capable: bool = True, allowed: str | None = None) -> int:
    """What setsockopt(TCP_CONGESTION) would answer: 0, -ENOENT (unknown), -EPERM (not allowed)."""
    if tcp_ca_find(name) is None:
        return -errno.ENOENT
    if allowed is not None and not capable and name not in allowed.split():
        return -errno.EPERM
    return 0


def tcp_set_congestion_control(tp: TcpConn, name: str, *, capable: bool = True, allowed: str | None = None,
                               now: float = 0.0) -> int:
    """TCP_CONGESTION: switch ``tp`` (re-initialised at once when established) and record the name."""
    from kernel.net.ipv4.tcp.states import TCP_CLOSE, TCP_LISTEN, TCP_SYN_SENT

    err = tcp_ca_check(name, capable, allowed)
    if err:
        return err
    ops = tcp_ca_find(name)
    assert ops is not None
    tp.params.congestion_control = name
    if tp.ca_ops is not None:
        tp.ca_ops.release(tp)
    tp.ca_ops = ops
    if tp.state not in (TCP_CLOSE, TCP_LISTEN, TCP_SYN_SENT):
        ops.init(tp, now)
    return 0


def tcp_init_congestion_control(tp: TcpConn, now: float) -> None:
    """Pick the algorithm from params (default 'cubic'; unknown names fall back to reno) and init it."""
    ops = tcp_ca_find(tp.params.congestion_control) or _REGISTRY["reno"]
    tp.ca_ops = ops
    ops.init(tp, now)


def tcp_ca_ops(tp: TcpConn) -> TcpCongestionOps:
    """The connection's algorithm (set lazily, so a half-built conn still has one)."""
    if tp.ca_ops is None:
        tp.ca_ops = tcp_ca_find(tp.params.congestion_control) or _REGISTRY["reno"]
    return tp.ca_ops


def tcp_ca_event(tp: TcpConn, event: int, now: float) -> None:
    tcp_ca_ops(tp).cwnd_event(tp, event, now)


def tcp_set_ca_state(tp: TcpConn, ca_state: int, now: float) -> None:
    tcp_ca_ops(tp).set_state(tp, ca_state, now)
    tp.ca_state = ca_state


_loaded = False


def _load_builtin() -> None:
    global _loaded
    if _loaded:
        return
    _loaded = True
    _REGISTRY.setdefault("reno", RenoOps())
    from kernel.net.ipv4.tcp import tcp_cubic  # noqa: F401  (registers "cubic")
