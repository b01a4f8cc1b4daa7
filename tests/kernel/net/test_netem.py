"""sch_netem: every impairment on the manual clock, with statistical checks over many frames.

A netem qdisc sits on a channel NIC (the test holds its wire: every frame that
leaves is recorded with its departure time) or on one end of a veth pair (the
other host's stack judges what arrives).  Each test seeds its own
random.Random, so a run is reproducible.
"""
from __future__ import annotations

import random
import statistics
from typing import Any

import pytest

from kernel.clock import ManualClock
from kernel.drivers.net.channel import channel_dev
from kernel.drivers.net.veth import veth_pair
from kernel.host import Host
from kernel.net.core.dev import NetDevice, dev_close
from kernel.net.ipv4.devinet import inet_insert_ifa
from kernel.net.sched import NET_XMIT_DROP, NET_XMIT_SUCCESS, qdisc_attach
from kernel.net.sched.sch_netem import (
    NetemParams,
    NetemQdisc,
    format_netem,
    netem_params_from_dict,
    netem_params_to_dict,
    parse_netem_args,
)
from kernel.net.wire.ipv4 import ip_aton

DST = b"\x02\x00\x00\x00\x00\x02"


class Wire:
    """A channel NIC with a netem qdisc; records (departure time, frame) of everything that leaves."""

    def __init__(self, clock: ManualClock, params: NetemParams, seed: int = 7) -> None:
        self.clock = clock
        self.host = Host(clock=clock, name="w", rng=random.Random(seed))
        self.out: list[tuple[float, bytes]] = []
        self.dev: NetDevice = channel_dev(self.host.netns, "eth0", on_xmit=lambda f: self.out.append((clock.now(), f)))
        self.q = NetemQdisc(clock, random.Random(seed), params)
        qdisc_attach(self.dev, self.q)

    def frame(self, i: int, size: int = 60) -> bytes:
        body = i.to_bytes(4, "big") + bytes(max(0, size - 18))
        return DST + self.dev.dev_addr + b"\x88\xb5" + body

    def send(self, xmit: Any, i: int, size: int = 60) -> int:
        return int(xmit(self.dev, self.frame(i, size)))

    def ids(self) -> list[int]:
        return [int.from_bytes(f[14:18], "big") for _, f in self.out]


def run_bursts(w: Wire, xmit: Any, n: int, spacing: float = 0.001) -> dict[int, float]:
    """Send n frames ``spacing`` apart; return frame id -> one-way delay of its first copy."""
    sent: dict[int, float] = {}
    for i in range(n):
        sent[i] = w.clock.now()
        w.send(xmit, i)
        w.clock.advance(spacing)
    w.clock.advance(10.0)
    delays: dict[int, float] = {}
    for t, f in w.out:
        i = int.from_bytes(f[14:18], "big")
        delays.setdefault(i, t - sent[i])
    return delays


# --- the tc syntax --------------------------------------------------------------------


def test_parse_the_contract_examples() -> None:
    p = parse_netem_args("delay 20ms 5ms distribution normal loss 1% duplicate 1% reorder 5% corrupt 0.1% "
                         "rate 10mbit limit 1000".split())
    assert (p.delay, p.jitter, p.distribution) == (0.020, 0.005, "normal")
    assert (p.loss, p.duplicate, p.reorder, p.gap, p.corrupt) == (0.01, 0.01, 0.05, 1, 0.001)
    assert (p.rate, p.limit) == (10_000_000, 1000)
    ge = parse_netem_args("loss gemodel 1% 10% 70% 0.1%".split())
    assert (ge.loss_model, ge.ge_p, ge.ge_r, ge.ge_h, ge.ge_k) == ("gemodel", 0.01, 0.1, 0.7, 0.001)
    simple = parse_netem_args(["loss", "gemodel", "2%"])
    assert (simple.ge_r, simple.ge_h, simple.ge_k) == (0.98, 1.0, 0.0)
    full = parse_netem_args("delay 100ms 10ms 25% loss random 0.3% 25% reorder 25% 50% gap 5 rate 1gbit 20".split())
    assert (full.delay_correlation, full.loss, full.loss_correlation) == (0.25, 0.003, 0.25)
    assert (full.reorder_correlation, full.gap, full.rate, full.packet_overhead) == (0.5, 5, 10**9, 20)
    assert parse_netem_args(["delay", "1500"]).delay == pytest.approx(0.0015)  # a bare number is in microseconds
    assert parse_netem_args(["rate", "100kbps"]).rate == 800_000
    assert parse_netem_args([]) == NetemParams()


@pytest.mark.parametrize("args,message", [
    ("delay", "delay needs a value"),
    ("delay 20xs", "bad time '20xs'"),
    ("loss 120%", "over 100%"),
    ("loss abc", "bad percentage 'abc'"),
    ("reorder 5%", "reordering is not possible without a delay"),
    ("delay 1ms distribution zipf", "unknown distribution 'zipf'"),
    ("jitter 1ms", "unknown option 'jitter'"),
    ("rate 10furlongs", "bad rate '10furlongs'"),
    ("limit many", "bad limit 'many'"),
    ("loss state 1%", "4-state loss model is not supported"),
])
def test_parse_errors_are_clear(args: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_netem_args(args.split())


def test_dict_round_trip_and_format() -> None:
    p = parse_netem_args("delay 20ms 5ms distribution pareto loss gemodel 1% 10% rate 10mbit limit 50".split())
    d = netem_params_to_dict(p)
    assert d["delay"] == 0.02 and d["distribution"] == "pareto" and "duplicate" not in d
    assert netem_params_from_dict(d) == p == NetemParams.from_dict(d)
    assert netem_params_from_dict({"delay": "0.5", "gap": "3"}) == NetemParams(delay=0.5, gap=3)
    with pytest.raises(ValueError, match="unknown parameter.*colour"):
        netem_params_from_dict({"colour": 1})
    with pytest.raises(ValueError, match="loss 2.0 is not a probability"):
        netem_params_from_dict({"loss": 2})
    assert format_netem(p) == "limit 50 delay 20ms 5ms distribution pareto loss gemodel 1% 10% 100% 0% rate 10000000bit"
    for text in ("delay 100ms 10ms 25% loss 0.3% 25% duplicate 1% 50% reorder 25% 50% gap 5 corrupt 0.1% "
                 "rate 1000000bit 20 limit 7", "loss gemodel 1% 10% 70% 0.1%", ""):
        q = parse_netem_args(text.split())
        assert parse_netem_args(format_netem(q).split()) == q


# --- delay, loss ----------------------------------------------------------------------


def test_constant_delay_and_zero_delay_passthrough(clock: ManualClock, xmit: Any) -> None:
    w = Wire(clock, NetemParams(delay=0.050))
    t0 = clock.now()
    assert w.send(xmit, 1) == NET_XMIT_SUCCESS
    clock.advance(0.049)
    assert w.out == []
    clock.advance(0.001)
    assert [t for t, _ in w.out] == [t0 + 0.050] and w.dev.stats.tx_packets == 1
    z = Wire(clock, NetemParams())
    z.send(xmit, 2)
    assert z.ids() == [2] and len(z.q) == 0  # nothing to delay: the frame leaves during the send


def test_random_loss_rate(clock: ManualClock, xmit: Any) -> None:
    w = Wire(clock, parse_netem_args(["loss", "20%"]))
    n = 10_000
    assert all(w.send(xmit, i) == NET_XMIT_SUCCESS for i in range(n))  # the sender never learns of a loss
    lost = n - len(w.out)
    assert 0.185 < lost / n < 0.215
    c = w.q.counters()
    assert c["lost"] == c["dropped"] == lost and c["sent"] == len(w.out) and c["overlimits"] == 0
    assert w.dev.stats.tx_packets == len(w.out)


def _bursts(flags: list[bool]) -> list[int]:
    runs, cur = [], 0
    for lost in flags:
        if lost:
            cur += 1
        elif cur:
            runs.append(cur)
            cur = 0
    return runs


def test_gilbert_elliott_losses_come_in_bursts(clock: ManualClock, xmit: Any) -> None:
    """p=1%, r=10%, all lost in the bad state: loss p/(p+r) = 9.1%, mean burst 1/r = 10 frames."""
    n = 60_000
    ge = Wire(clock, parse_netem_args("loss gemodel 1% 10% 100% 0%".split()), seed=3)
    for i in range(n):
        ge.send(xmit, i)
    got = set(ge.ids())
    lost_flags = [i not in got for i in range(n)]
    rate = sum(lost_flags) / n
    assert 0.075 < rate < 0.107
    bursts = _bursts(lost_flags)
    assert 8.0 < statistics.mean(bursts) < 12.0
    # random loss at the same rate: bursts of about 1/(1-rate) = 1.1 frames
    rnd = Wire(clock, NetemParams(loss=rate), seed=3)
    for i in range(n):
        rnd.send(xmit, i)
    got = set(rnd.ids())
    assert statistics.mean(_bursts([i not in got for i in range(n)])) < 1.3
    # h and k: the bad state loses 50%, the good state 1%
    hk = Wire(clock, parse_netem_args("loss gemodel 1% 10% 50% 1%".split()), seed=5)
    for i in range(n):
        hk.send(xmit, i)
    expected = (0.01 * 0.5 + 0.10 * 0.01) / 0.11
    assert abs((n - len(hk.out)) / n - expected) < 0.012


def test_loss_correlation_lengthens_runs(clock: ManualClock, xmit: Any) -> None:
    """get_crandom's correlation: each draw leans on the last, so losses cluster (and, as on Linux, the
    effective loss rate falls below the nominal one: the correlated draws pile up around 0.5)."""
    n = 20_000
    w = Wire(clock, parse_netem_args("loss 30% 50%".split()), seed=11)
    for i in range(n):
        w.send(xmit, i)
    got = set(w.ids())
    flags = [i not in got for i in range(n)]
    rate = sum(flags) / n
    assert 0.1 < rate < 0.3
    assert statistics.mean(_bursts(flags)) > 1.15 / (1 - rate)


# --- duplication, reordering, corruption ----------------------------------------------


def test_duplication_rate_and_copies_are_identical(clock: ManualClock, xmit: Any) -> None:
    w = Wire(clock, NetemParams(duplicate=0.10, delay=0.001, limit=100_000))
    n = 10_000
    for i in range(n):
        w.send(xmit, i)
    clock.advance(1.0)
    dup = len(w.out) - n
    assert 0.09 < dup / n < 0.11 and w.q.counters()["duplicated"] == dup
    by_id: dict[int, list[bytes]] = {}
    for _, f in w.out:
        by_id.setdefault(int.from_bytes(f[14:18], "big"), []).append(f)
    assert len(by_id) == n and all(len(set(copies)) == 1 and len(copies) <= 2 for copies in by_id.values())


def test_reordering_sends_some_frames_ahead(clock: ManualClock, xmit: Any) -> None:
    """reorder 25% gap 1 with 10 ms delay and frames 1 ms apart: a quarter go at once, ahead of the queue."""
    w = Wire(clock, parse_netem_args("delay 10ms reorder 25%".split()), seed=9)
    n = 8000
    delays = run_bursts(w, xmit, n)
    immediate = sum(1 for d in delays.values() if d == 0.0)
    assert 0.23 < immediate / n < 0.27 and w.q.counters()["reordered"] == immediate
    assert all(d in (0.0, pytest.approx(0.010)) for d in delays.values())
    ids = w.ids()
    assert sorted(ids) == list(range(n)) and ids != sorted(ids)
    # gap 5: every 5th frame at most may jump (the first four after a jump go in order)
    g = Wire(clock, parse_netem_args("delay 10ms reorder 100% gap 5".split()))
    delays = run_bursts(g, xmit, 100)
    assert [i for i, d in sorted(delays.items()) if d == 0.0] == list(range(4, 100, 5))


def test_corruption_flips_one_bit_and_the_receivers_checksum_catches_it(clock: ManualClock, frames: Any,
                                                                        xmit: Any) -> None:
    a, b = Host(clock=clock, name="a", rng=random.Random(1)), Host(clock=clock, name="b", rng=random.Random(2))
    ea, eb = veth_pair(a.netns, "eth0", b.netns, "eth0")
    assert inet_insert_ifa(b.netns, eb, ip_aton("10.0.0.2"), 24) == 0
    seen: list[bytes] = []
    ea.netdev_ops = _Recording(ea.netdev_ops, seen)
    q = NetemQdisc(clock, random.Random(4), NetemParams(corrupt=1.0))
    qdisc_attach(ea, q)
    n = 400
    originals = [frames.udp(ea.dev_addr, eb.dev_addr, "10.0.0.1", "10.0.0.2", 5000, 9, bytes([i % 256]) * 32,
                            ident=i) for i in range(n)]
    for f in originals:
        xmit(ea, f)
    assert q.counters()["corrupted"] == n and len(seen) == n
    flips = []
    for orig, got in zip(originals, seen, strict=True):
        diff = [(k, orig[k] ^ got[k]) for k in range(len(orig)) if orig[k] != got[k]]
        assert len(diff) == 1 and bin(diff[0][1]).count("1") == 1
        flips.append(diff[0])
    mib = b.netns.mib
    # unnoticed: the source MAC, and the group bit of the destination MAC (a unicast IP datagram in an L2
    # multicast is taken, drop_unicast_in_l2_multicast being 0): no Ethernet FCS is emulated
    unnoticed = sum(1 for k, bit in flips if 6 <= k < 12 or (k, bit) == (0, 1))
    assert mib["Udp"]["NoPorts"] == unnoticed and mib["Udp"]["InDatagrams"] == 0
    assert mib["Udp"]["InCsumErrors"] > 0 and mib["Ip"]["InHdrErrors"] > 0


class _Recording:
    """netdev_ops wrapper: remember each transmitted frame, then transmit it."""

    def __init__(self, inner: Any, seen: list[bytes]) -> None:
        self.inner, self.seen = inner, seen

    def ndo_open(self, dev: NetDevice) -> int:
        return int(self.inner.ndo_open(dev))

    def ndo_stop(self, dev: NetDevice) -> int:
        return int(self.inner.ndo_stop(dev))

    def ndo_start_xmit(self, skb: Any, dev: NetDevice) -> int:
        self.seen.append(skb.tobytes())
        return int(self.inner.ndo_start_xmit(skb, dev))


# --- jitter ---------------------------------------------------------------------------


@pytest.mark.parametrize("dist,sd", [("uniform", 0.020 / 3**0.5), ("normal", 0.020), ("pareto", 0.020),
                                     ("paretonormal", 0.0158)])
def test_jitter_distribution_mean_and_spread(clock: ManualClock, xmit: Any, dist: str, sd: float) -> None:
    w = Wire(clock, parse_netem_args(f"delay 100ms 20ms distribution {dist}".split()), seed=21)
    d = list(run_bursts(w, xmit, 6000).values())
    assert abs(statistics.mean(d) - 0.100) < 0.002
    assert abs(statistics.pstdev(d) - sd) < (0.3 if dist == "pareto" else 0.15) * sd  # pareto: a slow tail
    assert min(d) >= 0.0
    if dist == "uniform":
        assert 0.080 <= min(d) < 0.081 and 0.119 < max(d) < 0.120
    if dist == "pareto":
        assert max(d) - 0.100 > 3 * (0.100 - min(d[:1000])) / 2  # a long right tail, a short left one


def test_delay_correlation(clock: ManualClock, xmit: Any) -> None:
    def lag1(corr: str) -> float:
        w = Wire(clock, parse_netem_args(f"delay 100ms 20ms {corr}".split()), seed=2)
        delays = run_bursts(w, xmit, 4000)
        d = [delays[i] for i in range(4000)]
        return statistics.correlation(d[:-1], d[1:])

    assert abs(lag1("0%")) < 0.06
    assert lag1("90%") > 0.7


def test_negative_delays_are_clamped_to_now(clock: ManualClock, xmit: Any) -> None:
    w = Wire(clock, parse_netem_args("delay 1ms 50ms distribution normal".split()))
    d = list(run_bursts(w, xmit, 1000).values())
    assert min(d) == 0.0 and sum(1 for x in d if x == 0.0) > 300


# --- rate and limit -------------------------------------------------------------------


def test_rate_serialises_frames_and_the_limit_drops(clock: ManualClock, xmit: Any) -> None:
    """1 mbit/s, 1000-byte frames: one leaves every 8 ms; limit 5 drops the rest of a burst of 10."""
    w = Wire(clock, parse_netem_args("rate 1mbit limit 5".split()))
    t0 = clock.now()
    rcs = [w.send(xmit, i, size=1000) for i in range(10)]
    assert rcs == [NET_XMIT_SUCCESS] * 5 + [NET_XMIT_DROP] * 5
    clock.advance(1.0)
    assert [round((t - t0) * 1000, 6) for t, _ in w.out] == [8.0, 16.0, 24.0, 32.0, 40.0]
    c = w.q.counters()
    assert (c["overlimits"], c["dropped"], c["sent"], c["qlen"], c["backlog"]) == (5, 5, 5, 0, 0)
    # a frame after the queue drained waits only its own serialisation time; overhead counts
    o = Wire(clock, parse_netem_args("rate 1mbit 24 delay 10ms".split()))
    t1 = clock.now()
    o.send(xmit, 0, size=1000)
    o.send(xmit, 1, size=1000)
    clock.advance(1.0)
    assert [round((t - t1) * 1000, 6) for t, _ in o.out] == [18.192, 26.384]


def test_rate_throughput_over_a_long_run(clock: ManualClock, xmit: Any) -> None:
    w = Wire(clock, parse_netem_args("rate 10mbit limit 100000".split()))
    t0 = clock.now()
    for i in range(2000):
        w.send(xmit, i, size=1250)  # 10,000 bits each: 1 ms at 10 Mbit/s
        if i % 10 == 9:
            clock.advance(0.005)
    clock.advance(10.0)
    assert w.out[-1][0] - t0 == pytest.approx(2.0, rel=1e-6)
    gaps = [b[0] - a[0] for a, b in zip(w.out, w.out[1:])]
    assert min(gaps) == pytest.approx(0.001) and max(gaps) == pytest.approx(0.001)


# --- runtime change, reset, seeds -----------------------------------------------------


def test_change_at_runtime(clock: ManualClock, xmit: Any) -> None:
    w = Wire(clock, parse_netem_args(["delay", "10ms"]))
    t0 = clock.now()
    w.send(xmit, 0)
    w.q.change(parse_netem_args(["delay", "50ms"]))
    w.send(xmit, 1)
    clock.advance(1.0)
    assert [(i, round(t - t0, 6)) for i, (t, _) in zip(w.ids(), w.out, strict=True)] == [(0, 0.01), (1, 0.05)]
    w.q.change(parse_netem_args(["loss", "100%"]))
    for i in range(50):
        w.send(xmit, i)
    clock.advance(1.0)
    assert len(w.out) == 2 and w.q.counters()["lost"] == 50
    w.q.change(NetemParams())
    w.send(xmit, 99)
    assert w.ids()[-1] == 99


def test_device_down_purges_the_queue(clock: ManualClock, xmit: Any) -> None:
    w = Wire(clock, parse_netem_args(["delay", "10ms"]))
    for i in range(5):
        w.send(xmit, i)
    assert len(w.q) == 5
    dev_close(w.dev)
    assert len(w.q) == 0 and clock.pending() == 0
    clock.advance(1.0)
    assert w.out == []


def test_same_seed_same_run(clock: ManualClock, xmit: Any) -> None:
    args = "delay 10ms 5ms distribution normal loss 10% duplicate 5% reorder 10% corrupt 5%".split()

    def run(seed: int) -> list[tuple[float, bytes]]:
        w = Wire(clock, parse_netem_args(args), seed=seed)
        start = clock.now()
        for i in range(500):
            w.send(xmit, i)
            clock.advance(0.001)
        clock.advance(1.0)
        return [(round(t - start, 9), f) for t, f in w.out]

    assert run(5) == run(5) != run(6)
