"""net/sched/sch_netem.c: the network emulator qdisc (delay, jitter, loss, duplication, reordering,
corruption, rate), seeded and clock-driven.

``NetemQdisc(clock, rng, params, limit=1000)`` attaches to a device with
``qdisc_attach(dev, q)`` (kernel.net.sched.sch_generic); ``q.change(params)``
replaces the parameters at runtime (queued frames keep their send times, the
loss model's state and the correlation memories restart, as ``tc qdisc
change`` does).  ``parse_netem_args(tokens)`` reads tc-netem's syntax into a
``NetemParams`` (ValueError with a clear message otherwise);
``netem_params_to_dict`` / ``netem_params_from_dict`` are the plain form the
topology file and the admin API carry.

What ``enqueue`` does with a frame, in netem_enqueue's order:

1. duplicate: with probability ``duplicate`` a second copy is made; it goes
   through the qdisc again from the top with duplication off (Linux
   re-enqueues the clone at the root qdisc);
2. loss: random (``loss`` with ``loss_correlation``: get_crandom's correlated
   uniform) or the Gilbert-Elliott model (``ge_p`` good->bad, ``ge_r``
   bad->good, ``ge_h`` the loss probability in the bad state ("1-h" in tc's
   words), ``ge_k`` the loss probability in the good state ("1-k")).  A lost
   frame is counted in ``stats.drops`` and ``lost``; the sender still sees
   NET_XMIT_SUCCESS (__NET_XMIT_BYPASS);
3. corrupt: with probability ``corrupt`` one bit of one byte of the frame
   (anywhere in it, link header included, as netem flips within
   skb_headlen) is inverted; the receiver's IP/UDP/ICMP checksum catches it
   (a flip in the source MAC goes unnoticed: no FCS is emulated);
4. queue limit: a frame arriving while ``limit`` frames wait is dropped
   (NET_XMIT_DROP; counted in ``stats.drops`` and ``stats.overlimits``);
5. send time: ``now + delay`` drawn from the jitter ``distribution``
   (uniform on [delay - jitter, delay + jitter), or normal / pareto /
   paretonormal with sigma = jitter, correlated by ``delay_correlation``),
   never earlier than now.  With ``rate`` set the frame also waits its
   serialisation time ((len + ``packet_overhead``) * 8 / rate) after the
   last queued frame's send time (the rate's "bonus" rule: a frame's
   delay is counted from the tail of the queue).  Reordering: unless the
   last ``gap - 1`` frames went in order, with probability ``reorder`` the
   frame skips the delay and goes to the head of the queue (sent now,
   counted in ``reordered``);
6. the time-sorted queue (tfifo) releases frames through ``qdisc_xmit``
   from one watchdog timer (``clock.call_at``) at the earliest send time.

Counters: ``q.stats`` (QdiscStats: packets/bytes sent, drops, overlimits,
backlog, qlen) and ``q.counters()``: sent, dropped, lost, duplicated,
reordered, corrupted, overlimits.  Nothing here reads the wall clock or the
global random module: time comes from ``clock``, chance from ``rng``.
"""
from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass, fields, replace
from statistics import NormalDist
from typing import Any

from kernel.clock import Clock
from kernel.net.core.dev import NetDevice
from kernel.net.core.skbuff import SkBuff, skb_checksum_help
from kernel.net.sched.sch_delay import Tfifo
from kernel.net.sched.sch_generic import NET_XMIT_DROP, NET_XMIT_SUCCESS, qdisc_xmit

DISTRIBUTIONS = ("uniform", "normal", "pareto", "paretonormal")
_NORMAL = NormalDist()
_PARETO_ALPHA = 3.0  # the shape of the emulated pareto table (mean 1.5, sd sqrt(3)/2 for x_m = 1)
_PARETO_MEAN = _PARETO_ALPHA / (_PARETO_ALPHA - 1)
_PARETO_SD = math.sqrt(_PARETO_ALPHA / ((_PARETO_ALPHA - 1) ** 2 * (_PARETO_ALPHA - 2)))


@dataclass(frozen=True)
class NetemParams:
    """struct tc_netem_qopt and its extensions; times in seconds, probabilities in [0, 1]."""

    delay: float = 0.0
    jitter: float = 0.0
    delay_correlation: float = 0.0
    distribution: str = "uniform"
    loss: float = 0.0
    loss_correlation: float = 0.0
    loss_model: str = "random"  # "random" | "gemodel"
    ge_p: float = 0.0  # good -> bad transition probability
    ge_r: float = 1.0  # bad -> good transition probability
    ge_h: float = 1.0  # loss probability in the bad state (tc's "1-h")
    ge_k: float = 0.0  # loss probability in the good state (tc's "1-k")
    duplicate: float = 0.0
    duplicate_correlation: float = 0.0
    reorder: float = 0.0
    reorder_correlation: float = 0.0
    gap: int = 0
    corrupt: float = 0.0
    corrupt_correlation: float = 0.0
    rate: int = 0  # bits per second, 0 = unlimited
    packet_overhead: int = 0  # bytes added to each frame's length for the rate
    limit: int = 1000

    def __post_init__(self) -> None:
        for name in ("delay", "jitter"):
            if getattr(self, name) < 0:
                raise ValueError(f"netem: {name} must not be negative")
        for f in fields(self):
            if f.name.endswith("correlation") or f.name in ("loss", "duplicate", "reorder", "corrupt",
                                                            "ge_p", "ge_r", "ge_h", "ge_k"):
                v = getattr(self, f.name)
                if not 0.0 <= v <= 1.0:
                    raise ValueError(f"netem: {f.name} {v!r} is not a probability in [0, 1]")
        if self.distribution not in DISTRIBUTIONS:
            raise ValueError(f"netem: unknown distribution {self.distribution!r} (one of {', '.join(DISTRIBUTIONS)})")
        if self.loss_model not in ("random", "gemodel"):
            raise ValueError(f"netem: unknown loss model {self.loss_model!r} (random or gemodel)")
        if self.rate < 0 or self.limit < 0 or self.gap < 0:
            raise ValueError("netem: rate, limit and gap must not be negative")

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> NetemParams:
        """netem_params_from_dict."""
        return netem_params_from_dict(d)

    def to_dict(self) -> dict[str, Any]:
        """netem_params_to_dict."""
        return netem_params_to_dict(self)


def netem_params_to_dict(params: NetemParams) -> dict[str, Any]:
    """The fields that differ from the defaults, as plain values (seconds, fractions, bits/s)."""
    default = NetemParams()
    return {k: v for k, v in asdict(params).items() if v != getattr(default, k)}


def netem_params_from_dict(d: dict[str, Any]) -> NetemParams:
    """The inverse of netem_params_to_dict; unknown keys are a ValueError naming them."""
    known = {f.name: f for f in fields(NetemParams)}
    unknown = sorted(set(d) - set(known))
    if unknown:
        raise ValueError(f"netem: unknown parameter(s) {', '.join(unknown)}")
    kw: dict[str, Any] = {}
    for k, v in d.items():
        typ = known[k].type
        try:
            kw[k] = str(v) if typ == "str" else int(v) if typ == "int" else float(v)
        except (TypeError, ValueError):
            raise ValueError(f"netem: {k} must be a number, not {v!r}") from None
    return NetemParams(**kw)


from_dict = netem_params_from_dict  # the contract's short name

# --- tc-netem syntax -------------------------------------------------------------------

_TIME_UNITS = {"s": 1.0, "sec": 1.0, "secs": 1.0, "ms": 1e-3, "msec": 1e-3, "msecs": 1e-3,
               "us": 1e-6, "usec": 1e-6, "usecs": 1e-6, "ns": 1e-9, "nsec": 1e-9, "nsecs": 1e-9}
_RATE_UNITS = {"bit": 1, "kbit": 1000, "mbit": 1000**2, "gbit": 1000**3, "tbit": 1000**4,
               "kibit": 1024, "mibit": 1024**2, "gibit": 1024**3, "tibit": 1024**4,
               "bps": 8, "kbps": 8000, "mbps": 8 * 1000**2, "gbps": 8 * 1000**3, "tbps": 8 * 1000**4}
_NUM = re.compile(r"^([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)([a-zA-Z%]*)$")


def parse_time(text: str) -> float:
    """tc's get_time: "20ms", "1.5s", "100us", a bare number is microseconds. Seconds."""
    m = _NUM.match(text)
    if not m or (m.group(2) and m.group(2).lower() not in _TIME_UNITS):
        raise ValueError(f"netem: bad time {text!r} (e.g. 20ms, 1.5s, 100us)")
    return float(m.group(1)) * (_TIME_UNITS[m.group(2).lower()] if m.group(2) else 1e-6)


def parse_percent(text: str) -> float:
    """tc's get_percent: "1%", "0.1%", a bare number is a percentage too. A fraction in [0, 1]."""
    m = _NUM.match(text)
    if not m or m.group(2) not in ("", "%"):
        raise ValueError(f"netem: bad percentage {text!r} (e.g. 1%, 0.5%)")
    value = float(m.group(1)) / 100.0
    if value > 1.0:
        raise ValueError(f"netem: percentage {text!r} is over 100%")
    return value


def parse_rate(text: str) -> int:
    """tc's get_rate64: "10mbit", "1gbit", "100kbps" (bytes), a bare number is bytes/s. Bits per second."""
    m = _NUM.match(text)
    unit = m.group(2).lower() if m else ""
    if not m or (unit and unit not in _RATE_UNITS):
        raise ValueError(f"netem: bad rate {text!r} (e.g. 10mbit, 1gbit, 100kbps)")
    return int(float(m.group(1)) * (_RATE_UNITS[unit] if unit else 8))


def _is_value(tokens: list[str], i: int) -> bool:
    return i < len(tokens) and bool(_NUM.match(tokens[i]))


def parse_netem_args(tokens: list[str]) -> NetemParams:
    """netem_parse_opt: ``delay 20ms 5ms 25% distribution normal loss 1% duplicate 1% reorder 5% 50% gap 5
    corrupt 0.1% rate 10mbit 20 limit 1000`` and ``loss gemodel p [r [1-h [1-k]]]`` / ``loss random P [C]``."""
    kw: dict[str, Any] = {}
    i = 0

    def need(what: str) -> str:
        if i + 1 >= len(tokens):
            raise ValueError(f"netem: {what} needs a value")
        return tokens[i + 1]

    while i < len(tokens):
        word = tokens[i].lower()
        if word in ("delay", "latency"):
            kw["delay"] = parse_time(need(word))
            i += 2
            if _is_value(tokens, i):
                kw["jitter"] = parse_time(tokens[i])
                i += 1
                if _is_value(tokens, i):
                    kw["delay_correlation"] = parse_percent(tokens[i])
                    i += 1
        elif word in ("distribution", "dist"):
            kw["distribution"] = need(word).lower()
            i += 2
        elif word in ("loss", "drop"):
            nxt = need(word).lower()
            if nxt == "random":
                i += 1
                nxt = need("loss random")
            if nxt in ("gemodel", "gmodel"):
                i += 2
                vals: list[float] = []
                while len(vals) < 4 and _is_value(tokens, i):
                    vals.append(parse_percent(tokens[i]))
                    i += 1
                if not vals:
                    raise ValueError("netem: loss gemodel needs p [r [1-h [1-k]]]")
                kw["loss_model"] = "gemodel"
                kw["ge_p"] = vals[0]
                kw["ge_r"] = vals[1] if len(vals) > 1 else 1.0 - vals[0]
                kw["ge_h"] = vals[2] if len(vals) > 2 else 1.0
                kw["ge_k"] = vals[3] if len(vals) > 3 else 0.0
            elif nxt == "state":
                raise ValueError("netem: the 4-state loss model is not supported (use random or gemodel)")
            else:
                kw["loss_model"] = "random"
                kw["loss"] = parse_percent(tokens[i + 1])
                i += 2
                if _is_value(tokens, i):
                    kw["loss_correlation"] = parse_percent(tokens[i])
                    i += 1
        elif word in ("duplicate", "corrupt", "reorder"):
            kw[word] = parse_percent(need(word))
            i += 2
            if _is_value(tokens, i):
                kw[f"{word}_correlation"] = parse_percent(tokens[i])
                i += 1
        elif word == "gap":
            try:
                kw["gap"] = int(need(word))
            except ValueError:
                raise ValueError(f"netem: bad gap {tokens[i + 1]!r} (a packet count)") from None
            i += 2
        elif word == "rate":
            kw["rate"] = parse_rate(need(word))
            i += 2
            if i < len(tokens) and re.fullmatch(r"-?[0-9]+", tokens[i]):
                kw["packet_overhead"] = int(tokens[i])
                i += 1
        elif word == "limit":
            try:
                kw["limit"] = int(need(word))
            except ValueError:
                raise ValueError(f"netem: bad limit {tokens[i + 1]!r} (a packet count)") from None
            i += 2
        else:
            raise ValueError(f"netem: unknown option {tokens[i]!r} (delay, distribution, loss, duplicate, "
                             "reorder, gap, corrupt, rate, limit)")
    if kw.get("reorder") and not kw.get("gap"):
        if not kw.get("delay"):
            raise ValueError("netem: reordering is not possible without a delay")
        kw["gap"] = 1  # tc: reorder without gap means gap 1
    return NetemParams(**kw)


def format_netem(params: NetemParams) -> str:
    """The params in tc-netem syntax (what `tc qdisc show` prints); parse_netem_args reads it back."""
    def pct(v: float) -> str:
        return f"{v * 100:g}%"

    out = [f"limit {params.limit}"]
    if params.delay or params.jitter:
        out.append(f"delay {params.delay * 1e3:g}ms")
        if params.jitter:
            out.append(f"{params.jitter * 1e3:g}ms")
            if params.delay_correlation:
                out.append(pct(params.delay_correlation))
            if params.distribution != "uniform":
                out.append(f"distribution {params.distribution}")
    if params.loss_model == "gemodel":
        out.append(f"loss gemodel {pct(params.ge_p)} {pct(params.ge_r)} {pct(params.ge_h)} {pct(params.ge_k)}")
    elif params.loss:
        out.append(f"loss {pct(params.loss)}" + (f" {pct(params.loss_correlation)}" if params.loss_correlation else ""))
    for name in ("duplicate", "reorder", "corrupt"):
        v = getattr(params, name)
        if v:
            cor = getattr(params, f"{name}_correlation")
            out.append(f"{name} {pct(v)}" + (f" {pct(cor)}" if cor else ""))
    if params.gap:
        out.append(f"gap {params.gap}")
    if params.rate:
        out.append(f"rate {params.rate}bit" + (f" {params.packet_overhead}" if params.packet_overhead else ""))
    return " ".join(out)


# --- the qdisc --------------------------------------------------------------------------


class CorrelatedUniform:
    """get_crandom: a uniform in [0, 1) correlated with the previous draw by ``rho``."""

    __slots__ = ("rho", "last")

    def __init__(self, rho: float, rng: Any) -> None:
        self.rho = rho
        self.last = rng.random()

    def next(self, rng: Any) -> float:
        value = rng.random()
        if self.rho == 0.0:
            return value
        self.last = value * (1.0 - self.rho) + self.last * self.rho
        return self.last


GOOD_STATE, BAD_STATE = 1, 2


class NetemQdisc(Tfifo):
    """tc qdisc ... netem PARAMS: see the module docstring (the queue is sch_delay's Tfifo)."""

    kind = "netem"

    def __init__(self, clock: Clock, rng: Any, params: NetemParams | None = None, limit: int | None = None) -> None:
        params = params or NetemParams()
        if limit is not None:
            params = replace(params, limit=limit)
        super().__init__(clock)
        self.rng = rng
        self.lost = self.duplicated = self.reordered = self.corrupted = 0
        self._last_send = -math.inf  # the tail's time_to_send (the rate's reference point)
        self.params = params
        self.change(params)

    # -- configuration

    def change(self, params: NetemParams) -> None:
        """netem_change: new parameters now; queued frames keep their send times."""
        self.params = params
        self.limit = params.limit
        rng = self.rng
        self._delay_cor = CorrelatedUniform(params.delay_correlation, rng)
        self._loss_cor = CorrelatedUniform(params.loss_correlation, rng)
        self._dup_cor = CorrelatedUniform(params.duplicate_correlation, rng)
        self._reorder_cor = CorrelatedUniform(params.reorder_correlation, rng)
        self._corrupt_cor = CorrelatedUniform(params.corrupt_correlation, rng)
        self._ge_state = GOOD_STATE
        self._counter = 0  # frames sent in order since the last reordered one

    def counters(self) -> dict[str, int]:
        """What `tc -s qdisc` and the admin API report."""
        return {"sent": self.stats.packets, "sent_bytes": self.stats.bytes, "dropped": self.stats.drops,
                "lost": self.lost, "duplicated": self.duplicated, "reordered": self.reordered,
                "corrupted": self.corrupted, "overlimits": self.stats.overlimits, "qlen": len(self._queue),
                "backlog": self.stats.backlog}

    def __len__(self) -> int:
        return len(self._queue)

    # -- the random decisions

    def _chance(self, p: float, cor: CorrelatedUniform) -> bool:
        return p > 0.0 and (p >= 1.0 or cor.next(self.rng) < p)

    def _loss_event(self) -> bool:
        p = self.params
        if p.loss_model == "gemodel":
            rng = self.rng
            if self._ge_state == GOOD_STATE:
                if rng.random() < p.ge_p:
                    self._ge_state = BAD_STATE
                return rng.random() < p.ge_k
            if rng.random() < p.ge_r:
                self._ge_state = GOOD_STATE
            return rng.random() < p.ge_h
        return self._chance(p.loss, self._loss_cor)

    def _tabledist(self) -> float:
        """tabledist: delay + jitter drawn from the distribution (seconds, may be negative before clamping)."""
        p = self.params
        if p.jitter == 0.0:
            return p.delay
        u = self._delay_cor.next(self.rng)
        u = min(max(u, 1e-12), 1.0 - 1e-12)
        if p.distribution == "uniform":
            z = 2.0 * u - 1.0
        elif p.distribution == "normal":
            z = _NORMAL.inv_cdf(u)
        else:
            zp = ((1.0 - u) ** (-1.0 / _PARETO_ALPHA) - _PARETO_MEAN) / _PARETO_SD
            z = zp if p.distribution == "pareto" else 0.25 * _NORMAL.inv_cdf(u) + 0.75 * zp
        return p.delay + p.jitter * z

    def _packet_time(self, length: int) -> float:
        p = self.params
        return (length + p.packet_overhead) * 8.0 / p.rate

    # -- enqueue / dequeue

    def enqueue(self, skb: SkBuff, dev: NetDevice, *, _dup_ok: bool = True) -> int:
        p = self.params
        count = 1
        if _dup_ok and self._chance(p.duplicate, self._dup_cor):
            count += 1
        if self._loss_event():
            count -= 1
        if count == 0:
            self.lost += 1
            self.stats.drops += 1
            skb.free()
            return NET_XMIT_SUCCESS  # __NET_XMIT_BYPASS: the sender does not learn of it
        if count > 1:
            self.duplicated += 1
            dup = skb.clone()
            dup.head = bytes(skb.head)
            self.enqueue(dup, dev, _dup_ok=False)
        if self._chance(p.corrupt, self._corrupt_cor) and skb.len > 0:
            data = bytearray(skb.head)
            skb.head = data
            skb_checksum_help(skb)  # as netem does: the corruption must be detectable
            pos = skb.doff + int(self.rng.random() * skb.len)
            data[pos] ^= 1 << int(self.rng.random() * 8)
            skb.head = data
            self.corrupted += 1
        if len(self._queue) >= self.limit:
            self.stats.drops += 1
            self.stats.overlimits += 1
            skb.free()
            return NET_XMIT_DROP
        now = self.clock.now()
        if (p.gap == 0 or self._counter < p.gap - 1 or p.reorder == 0.0
                or not self._chance(p.reorder, self._reorder_cor)):
            delay = max(0.0, self._tabledist())
            if p.rate:
                if self._queue and self._last_send > now:
                    delay = max(0.0, delay - (self._last_send - now))
                    now = self._last_send
                delay += self._packet_time(skb.len)
            when = now + delay
            self._counter += 1
            if when <= now and not self._queue:
                qdisc_xmit(self, skb, dev)  # nothing waits and nothing delays it: it leaves at once
                return NET_XMIT_SUCCESS
            self._last_send = max(self._last_send, when)
            self.tfifo_enqueue(when, skb, dev)
            return NET_XMIT_SUCCESS
        else:
            self._counter = 0
            self.reordered += 1
            qdisc_xmit(self, skb, dev)  # __qdisc_enqueue_head: ahead of every queued frame, sent now
            return NET_XMIT_SUCCESS

    def drained(self) -> None:
        self._last_send = -math.inf  # the rate's reference point goes with the last queued frame
