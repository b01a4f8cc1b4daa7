"""Two TcpConns over a fake link that drops and reorders (seeded): a 1 MiB transfer arrives byte-exact."""
from __future__ import annotations

import hashlib
import heapq
import random

from kernel.net.ipv4.tcp.conn import TcpConn, TcpParams
from kernel.net.ipv4.tcp.states import TCP_CLOSE, TCP_ESTABLISHED, TCP_TIME_WAIT


def run_pair(loss: float, reorder: float, size: int = 1 << 20, seed: int = 7) -> tuple[bytes, TcpConn, TcpConn]:
    rng = random.Random(seed)
    a = TcpConn(TcpParams(), 40000, 80, 1000, 0.0)
    now = 0.0
    a.connect(now)
    b: TcpConn | None = None
    wire: list[tuple[float, int, str, object]] = []
    n = 0
    delay = 0.005

    def ship(src: TcpConn, dst: str) -> None:
        nonlocal n
        for s in src.outbox:
            if rng.random() < loss:
                continue
            d = delay + (rng.random() * 0.01 if rng.random() < reorder else 0.0)
            n += 1
            heapq.heappush(wire, (now + d, n, dst, s))
        src.outbox.clear()

    data = bytes(rng.getrandbits(8) for _ in range(4096)) * (size // 4096)
    sent = 0
    got = bytearray()
    ship(a, "b")
    for _ in range(2_000_000):
        timers = [t for t in (a.next_timer(), b.next_timer() if b else None) if t is not None]
        nxt = min([wire[0][0]] if wire else [] + timers) if wire or timers else None
        if wire and timers:
            nxt = min(wire[0][0], min(timers))
        if nxt is None:
            break
        now = max(now, nxt)
        while wire and wire[0][0] <= now:
            _, _, dst, seg = heapq.heappop(wire)
            if dst == "b":
                if b is None:
                    if seg.syn and not seg.has_ack:  # type: ignore[attr-defined]
                        b = TcpConn.from_syn(TcpParams(), seg, 90000, now)  # type: ignore[arg-type]
                    continue
                b.segment_arrived(seg, now)  # type: ignore[arg-type]
            else:
                a.segment_arrived(seg, now)  # type: ignore[arg-type]
        for c in (a, b):
            if c is not None and c.next_timer() is not None and c.next_timer() <= now:
                c.on_timer(now)
        if a.state == TCP_ESTABLISHED and sent < len(data):
            sent += max(a.send(data[sent:sent + 65536], now), 0)
            if sent == len(data):
                a.shutdown_send(now)
        if b is not None:
            got += b.recv(1 << 20, now)
            if b.fin_rcvd and b.state not in (TCP_CLOSE,) and not b.shutdown & 2:
                b.close(now)
        ship(a, "b")
        if b is not None:
            ship(b, "a")
        if b is not None and b.state == TCP_CLOSE and a.state in (TCP_TIME_WAIT, TCP_CLOSE):
            break
    assert b is not None
    return bytes(got), a, b


def test_pair_clean_transfer():
    got, a, b = run_pair(0.0, 0.0, size=1 << 18)
    assert len(got) == 1 << 18
    assert a.state == TCP_TIME_WAIT and b.state == TCP_CLOSE


def test_pair_1mib_with_loss_and_reorder():
    got, a, b = run_pair(0.02, 0.05)
    rng = random.Random(7)
    expect = bytes(rng.getrandbits(8) for _ in range(4096)) * ((1 << 20) // 4096)
    assert hashlib.sha256(got).hexdigest() == hashlib.sha256(expect).hexdigest()
    assert a.total_retrans > 0
    assert b.state == TCP_CLOSE
