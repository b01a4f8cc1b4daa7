"""Two sans-IO TcpConns over a seeded impaired link on explicit time (issue #4's impairment test).

The link: 10% loss, 5% reordering (a segment held back an extra 25 ms), 1%
duplication, 20 ms +- 10 ms one-way delay, each direction independently,
from one seeded random.Random.  A transfer is byte-exact (SHA-256 of what the
receiver read equals the sender's), and the cwnd traces of "reno" and
"cubic" differ.  4 MiB runs always; 100 MiB is marked slow.
"""
from __future__ import annotations

import dataclasses
import hashlib
import heapq
import itertools
import random

import pytest

from kernel.net.ipv4.tcp.conn import TcpConn, TcpParams
from kernel.net.ipv4.tcp.states import TCP_CLOSE, TCP_ESTABLISHED


class Link:
    def __init__(self, rng: random.Random, *, loss: float = 0.10, reorder: float = 0.05, dup: float = 0.01,
                 delay: float = 0.020, jitter: float = 0.010) -> None:
        self.rng = rng
        self.loss, self.reorder, self.dup, self.delay, self.jitter = loss, reorder, dup, delay, jitter
        self.q: list[tuple[float, int, TcpConn, object]] = []
        self.n = itertools.count()

    def send(self, now: float, dst: TcpConn, seg: object) -> None:
        r = self.rng
        copies = 2 if r.random() < self.dup else 1
        for _ in range(copies):
            if r.random() < self.loss:
                continue
            t = now + self.delay + r.uniform(-self.jitter, self.jitter)
            if r.random() < self.reorder:
                t += 0.025
            heapq.heappush(self.q, (t, next(self.n), dst, dataclasses.replace(seg)))  # type: ignore[type-var]


def transfer(size: int, cc: str, seed: int = 1) -> tuple[bytes, bytes, list[int], float]:
    rng = random.Random(seed)
    data = rng.randbytes(size)
    link = Link(rng)
    pa = TcpParams(congestion_control=cc, sndbuf=1 << 20, rcvbuf=1 << 21, nodelay=True)
    pb = TcpParams(congestion_control=cc, sndbuf=1 << 20, rcvbuf=1 << 21)
    now = 0.0
    a = TcpConn(pa, 40000, 80, 1000, now)
    assert a.connect(now) == 0
    b: TcpConn | None = None
    got = hashlib.sha256()
    received = 0
    sent = 0
    trace: list[int] = []
    last_sample = -1.0

    def flush(now: float) -> None:
        nonlocal b
        for s in a.outbox:
            if b is None:
                b = TcpConn.from_syn(pb, s, 5000, now)  # type: ignore[arg-type]
                continue
            link.send(now, b, s)
        a.outbox.clear()
        if b is not None:
            for s in b.outbox:
                link.send(now, a, s)
            b.outbox.clear()

    flush(now)
    closed = False
    while now < 100000:
        if a.state == TCP_ESTABLISHED and sent < size:
            n = a.send(memoryview(data)[sent:sent + 262144], now)
            sent += max(n, 0)
            if sent == size:
                a.shutdown_send(now)
        if b is not None and b.state != TCP_CLOSE:
            chunk = b.recv(1 << 20, now)
            if chunk:
                got.update(chunk)
                received += len(chunk)
        flush(now)
        if now - last_sample >= 0.05:
            trace.append(a.snd_cwnd)
            last_sample = now
        if received == size and (closed or a.state != TCP_ESTABLISHED and not a.write_queue):
            break
        # next event
        cands = [t for t in (a.next_timer(), b.next_timer() if b is not None else None) if t is not None]
        if link.q:
            cands.append(link.q[0][0])
        if not cands:
            break
        now = max(now, min(cands))
        while link.q and link.q[0][0] <= now:
            _t, _n, dst, seg = heapq.heappop(link.q)
            if dst.state != TCP_CLOSE:
                dst.segment_arrived(seg, now)  # type: ignore[arg-type]
        for c in (a, b):
            if c is not None:
                t = c.next_timer()
                if t is not None and t <= now:
                    c.on_timer(now)
        if received == size:
            closed = True
    return hashlib.sha256(data).digest(), got.digest(), trace, now


def _check(size: int) -> None:
    traces = {}
    for cc in ("reno", "cubic"):
        want, got, trace, took = transfer(size, cc)
        assert got == want, f"{cc}: bytes differ"
        traces[cc] = trace
    assert traces["reno"] != traces["cubic"]


def test_impaired_transfer_4mib_reno_vs_cubic():
    _check(4 << 20)


@pytest.mark.slow
def test_impaired_transfer_100mib_reno_vs_cubic():
    _check(100 << 20)
