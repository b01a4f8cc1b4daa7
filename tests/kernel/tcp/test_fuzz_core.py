"""Fuzz target for the sans-IO TCP core (issue #7): random segments into a TcpConn in every state.

The contract: ``TcpConn.segment_arrived(seg, now)`` (and ``on_timer``) never
raise, whatever the segment (any field a parsed header can carry: ports,
seq/ack anywhere in sequence space or near the connection's own numbers, any
flag byte, window, urgent pointer, MSS / window scale / SACK-permitted /
SACK blocks / timestamps as the wire codec can produce them, payloads of 0..3000
bytes); the state stays one of the RFC's; every segment it emits is
well-formed (16-bit ports and window, 32-bit seq/ack, and encodable by
``seg_to_bytes`` into a header the wire codec parses back).

A connection is driven into each state first (SYN-SENT, SYN-RECV,
ESTABLISHED, FIN-WAIT-1, FIN-WAIT-2, CLOSING, TIME-WAIT, CLOSE-WAIT,
LAST-ACK, and CLOSE after a reset) by a scripted peer (tests/kernel/tcp/conftest.py's
Remote), then hypothesis feeds it a sequence of 1..12 random segments with
random time steps (timers fired when due) and a random user call now and then
(send, recv, shutdown, close).  ``SOCKETLAB_TCP_CORE_FUZZ_EXAMPLES`` sets the
examples per state (default 100).
"""
from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kernel.net.ipv4.tcp.conn import TcpConn
from kernel.net.ipv4.tcp.segment import ACK, FIN, RST, SYN, TcpSegment, seg_to_bytes, seq_add
from kernel.net.ipv4.tcp.states import (
    STATE_NAMES,
    TCP_CLOSE,
    TCP_CLOSE_WAIT,
    TCP_CLOSING,
    TCP_ESTABLISHED,
    TCP_FIN_WAIT1,
    TCP_FIN_WAIT2,
    TCP_LAST_ACK,
    TCP_SYN_RECV,
    TCP_SYN_SENT,
    TCP_TIME_WAIT,
)
from kernel.net.wire.ipv4 import ip_aton
from kernel.net.wire.tcp import TcpRepr
from tests.kernel.tcp.conftest import Remote, TcpRig

EXAMPLES = int(os.environ.get("SOCKETLAB_TCP_CORE_FUZZ_EXAMPLES", "100"))
A, B = ip_aton("10.0.0.1"), ip_aton("10.0.0.2")
RIG = TcpRig()
U32 = st.integers(min_value=0, max_value=2**32 - 1)
U16 = st.integers(min_value=0, max_value=0xFFFF)
COUNTS: dict[str, int] = {"inputs": 0, "segments": 0}


def _syn_sent() -> tuple[TcpConn, Remote]:
    tp = RIG.active()
    syn = RIG.drain(tp)[0]
    r = Remote()
    r.heard.append(syn)
    r.ack = seq_add(syn.seq, 1)
    return tp, r


def _syn_recv() -> tuple[TcpConn, Remote]:
    r = Remote()
    syn = r.seg(SYN, ack=0, mss=1460, wscale=7, sack_perm=True, ts=(r.tsval, 0))
    r.seq = seq_add(r.seq, 1)
    tp = TcpConn.from_syn(RIG.params(), syn, 1000, 0.0)
    synack = RIG.drain(tp)[0]
    r.heard.append(synack)
    r.ack = seq_add(synack.seq, 1)
    return tp, r


def _est() -> tuple[TcpConn, Remote]:
    tp, r = RIG.establish()
    tp.send(b"hello world", 0.02)
    r.hear(tp)
    return tp, r


def _fin_wait1() -> tuple[TcpConn, Remote]:
    tp, r = RIG.establish()
    tp.close(0.02)
    r.heard.extend(RIG.drain(tp))
    return tp, r


def _fin_wait2() -> tuple[TcpConn, Remote]:
    tp, r = RIG.establish()
    tp.shutdown_send(0.02)
    r.hear(tp)
    r.send(tp, 0.03, ACK)
    return tp, r


def _closing() -> tuple[TcpConn, Remote]:
    tp, r = RIG.establish()
    tp.shutdown_send(0.02)
    fin = RIG.drain(tp)[-1]
    r.heard.append(fin)
    r.send(tp, 0.03, FIN | ACK, ack=fin.seq)  # crosses our FIN: ack only up to it
    return tp, r


def _time_wait() -> tuple[TcpConn, Remote]:
    tp, r = _fin_wait2()
    r.send(tp, 0.04, FIN | ACK)
    return tp, r


def _close_wait() -> tuple[TcpConn, Remote]:
    tp, r = RIG.establish()
    r.send(tp, 0.02, FIN | ACK)
    return tp, r


def _last_ack() -> tuple[TcpConn, Remote]:
    tp, r = _close_wait()
    tp.close(0.03)
    r.hear(tp)
    return tp, r


def _reset() -> tuple[TcpConn, Remote]:
    tp, r = RIG.establish()
    r.send(tp, 0.02, RST | ACK)
    return tp, r


SETUPS: dict[int, Callable[[], tuple[TcpConn, Remote]]] = {
    TCP_SYN_SENT: _syn_sent, TCP_SYN_RECV: _syn_recv, TCP_ESTABLISHED: _est, TCP_FIN_WAIT1: _fin_wait1,
    TCP_FIN_WAIT2: _fin_wait2, TCP_CLOSING: _closing, TCP_TIME_WAIT: _time_wait, TCP_CLOSE_WAIT: _close_wait,
    TCP_LAST_ACK: _last_ack, TCP_CLOSE: _reset,
}


@pytest.mark.parametrize("state", sorted(SETUPS), ids=lambda s: STATE_NAMES[s])
def test_setup_reaches_state(state: int) -> None:
    tp, _ = SETUPS[state]()
    assert tp.state == state, STATE_NAMES[tp.state]


def _near(base: Callable[[TcpConn], int]) -> Any:
    return st.one_of(U32.map(lambda v: ("abs", v)),
                     st.integers(min_value=-70000, max_value=70000).map(lambda d: ("rel", base, d)))


@st.composite
def seg_specs(draw: st.DrawFn) -> dict[str, Any]:
    """A segment's fields; seq / ack may be relative to the connection's rcv_nxt / snd_una / snd_nxt."""
    return {
        "seq": draw(st.one_of(U32.map(lambda v: ("abs", v)),
                              st.integers(min_value=-70000, max_value=70000).map(lambda d: ("rcv_nxt", d)))),
        "ack": draw(st.one_of(U32.map(lambda v: ("abs", v)),
                              st.integers(min_value=-3000, max_value=3000).map(lambda d: ("snd_una", d)),
                              st.integers(min_value=-3, max_value=3).map(lambda d: ("snd_nxt", d)))),
        "flags": draw(st.one_of(st.integers(min_value=0, max_value=0xFF),
                                st.sampled_from([ACK, ACK | 0x08, FIN | ACK, RST, RST | ACK, SYN, SYN | ACK,
                                                 SYN | FIN, ACK | 0x20, ACK | 0x40 | 0x80]))),
        "window": draw(st.one_of(U16, st.sampled_from([0, 1, 65535]))),
        "urg_ptr": draw(st.one_of(st.just(0), U16)),
        "payload": draw(st.one_of(st.just(0), st.integers(min_value=1, max_value=100),
                                  st.sampled_from([536, 1460, 1461, 3000]))),
        "mss": draw(st.none() | U16),
        "wscale": draw(st.none() | st.integers(min_value=0, max_value=255)),
        "sack_perm": draw(st.booleans()),
        "sack": tuple(draw(st.lists(st.tuples(st.integers(-5000, 5000), st.integers(-5000, 5000)), max_size=4))),
        "ts": draw(st.none() | st.tuples(U32, U32) | st.just("echo")),
        "ports": draw(st.sampled_from(["right", "right", "right", "swapped", "random"])),
        "ports_random": draw(st.tuples(U16, U16)),
    }


def _build(tp: TcpConn, r: Remote, spec: dict[str, Any], seqno: int) -> TcpSegment:
    m = 0xFFFFFFFF

    def val(v: tuple) -> int:
        if v[0] == "abs":
            return int(v[1])
        return (getattr(tp, v[0]) + v[1]) & m

    snd_una = tp.snd_una
    sack = tuple(((snd_una + a) & m, (snd_una + b) & m) for a, b in spec["sack"])
    ts = spec["ts"]
    if ts == "echo":
        ts = ((r.tsval + seqno) & m, tp.outbox[-1].ts[0] if tp.outbox and tp.outbox[-1].ts else 0)
    sport, dport = {"right": (r.port, r.lport), "swapped": (r.lport, r.port)}.get(spec["ports"],
                                                                                  spec["ports_random"])
    return TcpSegment(sport, dport, val(spec["seq"]), val(spec["ack"]), spec["flags"], spec["window"],
                      bytes((seqno + i) & 0xFF for i in range(spec["payload"])), spec["urg_ptr"],
                      spec["mss"], spec["wscale"], spec["sack_perm"], sack, ts)


def _check_out(tp: TcpConn) -> None:
    for s in tp.outbox:
        assert 0 <= s.sport <= 0xFFFF and 0 <= s.dport <= 0xFFFF, s.describe()
        assert 0 <= s.seq <= 0xFFFFFFFF and 0 <= s.ack <= 0xFFFFFFFF, s.describe()
        assert 0 <= s.window <= 0xFFFF and 0 <= s.urg_ptr <= 0xFFFF, s.describe()
        raw = seg_to_bytes(s, A, B)
        back = TcpRepr.parse(raw, A, B)
        assert (back.seq, back.ack, back.window) == (s.seq, s.ack, s.window), s.describe()
    tp.outbox.clear()
    tp.events.clear()


USER = st.sampled_from([None, None, None, "send", "recv", "peek", "shutdown", "close", "oob", "timer"])
STEPS = st.lists(st.tuples(seg_specs(), st.floats(min_value=0.0, max_value=130.0), USER), min_size=1, max_size=12)
FUZZ = settings(max_examples=EXAMPLES, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@pytest.mark.parametrize("state", sorted(SETUPS), ids=lambda s: STATE_NAMES[s])
def test_random_segments_never_raise(state: int) -> None:
    @FUZZ
    @given(steps=STEPS)
    def run(steps: list[tuple[dict[str, Any], float, str | None]]) -> None:
        COUNTS["inputs"] += 1
        tp, r = SETUPS[state]()
        tp.outbox.clear()
        now = 0.1
        for i, (spec, dt, user) in enumerate(steps):
            now += dt if i % 3 == 0 else dt / 1000.0
            seg = _build(tp, r, spec, i)
            deadline = tp.next_timer()
            if deadline is not None and deadline <= now:
                tp.on_timer(now)
                _check_out(tp)
            COUNTS["segments"] += 1
            tp.segment_arrived(seg, now)
            assert tp.state in STATE_NAMES, tp.state
            _check_out(tp)
            if user == "send":
                tp.send(b"d" * (i * 97 % 3000), now)
            elif user == "recv":
                tp.recv(1000, now)
            elif user == "peek":
                tp.recv(10, now, peek=True)
            elif user == "oob":
                tp.recv_oob(now)
            elif user == "shutdown":
                tp.shutdown_send(now)
            elif user == "close":
                tp.close(now)
            elif user == "timer":
                tp.on_timer(now)
            _check_out(tp)

    run()


def test_counts_reported(capsys: Any) -> None:
    """Prints how many inputs (random segment sequences) and segments the fuzz above fed the core."""
    with capsys.disabled():
        print(f"\ntcp core fuzz: {COUNTS['inputs']} inputs, {COUNTS['segments']} segments")
