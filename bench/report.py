"""The printed table and the ``--json`` document.

Each ratio row names the figure, its median and p99, the baseline measured
in the same run with its median and p99, and the ratio of the medians,
written like ``2.1x``.  The throughput rows give bytes/s (and bits/s) of the
figure and its baseline and their ratio (figure over baseline: higher is
better).  Reference rows follow (figures with no baseline of their own, and
the baselines themselves).  Last, issue 8's table: each figure, its
baseline, the ratio and the target (informative: timings never fail a run).
"""
from __future__ import annotations

import json
import os
import platform
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

from bench.figures import BYTES, DETAIL, LABELS, LOOP_RATIO, RATES, RATIOS, Rate, Ratio
from bench.timing import Budget, Stats


def ratio_of(r: Ratio, stats: dict[str, Stats]) -> float:
    """The figure's median over the baseline's median."""
    return stats[r.figure].median_us / stats[r.baseline].median_us


def rate_of(key: str, stats: dict[str, Stats]) -> float:
    """Bytes per second of a throughput figure (its bytes per op over its median time)."""
    return BYTES[key] / (stats[key].median_us / 1e6)


def rate_ratio(r: Rate, stats: dict[str, Stats]) -> float:
    """The figure's throughput over the baseline's."""
    return rate_of(r.figure, stats) / rate_of(r.baseline, stats)


def fmt_rate(bps: float) -> str:
    """``123.4 MB/s (0.99 Gbit/s)``."""
    return f"{bps / 1e6:9.1f} MB/s ({bps * 8 / 1e9:6.3f} Gbit/s)"


def _met(r: Rate, stats: dict[str, Stats]) -> str:
    if r.target_min is not None:
        return "met" if rate_ratio(r, stats) >= r.target_min else "not met"
    if r.target_abs_bps is not None:
        return "met" if rate_of(r.figure, stats) * 8 >= r.target_abs_bps else "not met"
    return ""


def fmt_ratio(x: float) -> str:
    """``2.1x`` (two decimals below 1, so a small ratio does not read as 0.0x)."""
    return f"{x:.2f}x" if x < 1 else f"{x:.1f}x"


def table(mode: str, budget: Budget, stats: dict[str, Stats], waited: dict[str, float] | None = None,
          scale: dict[str, Any] | None = None) -> str:
    """The whole report as text."""
    lw = max(len(label) for label in LABELS.values())
    out = [
        f"socketlab bench, {mode} mode: 64-byte payloads; times in µs per op; ratio = figure median / baseline median",
        f"per figure: warm-up <= {budget.warmup_iterations} ops / {budget.warmup_seconds:g} s, then <= "
        f"{budget.iterations} ops / {budget.seconds:g} s in {budget.rounds} interleaved round(s)",
        "",
        f"{'':9}{'figure':<{lw}} {'n':>6} {'median':>9} {'p99':>9}   {'baseline':<{lw}} {'n':>6} {'median':>9} "
        f"{'p99':>9} {'ratio':>7}",
    ]
    for r in RATIOS:
        f, b = stats[r.figure], stats[r.baseline]
        target = f"  (target <= {r.target_max:g}x)" if r.target_max is not None else ""
        out.append(
            f"{r.name:<9}{LABELS[r.figure]:<{lw}} {f.n:>6} {f.median_us:>9.1f} {f.p99_us:>9.1f}   "
            f"{LABELS[r.baseline]:<{lw}} {b.n:>6} {b.median_us:>9.1f} {b.p99_us:>9.1f} {fmt_ratio(ratio_of(r, stats)):>7}"
            f"{target}"
        )
    out += ["", f"{'':9}{'throughput figure':<{lw}} {'n':>6} {'bytes/op':>9} {'figure':>30}   "
            f"{'baseline':<{lw}} {'baseline':>30} {'ratio':>7}"]
    for q in RATES:
        if q.figure in stats and q.baseline in stats:
            out.append(f"{'fig ' + str(q.figure_no):<9}{LABELS[q.figure]:<{lw}} {stats[q.figure].n:>6} "
                       f"{BYTES[q.figure]:>9} {fmt_rate(rate_of(q.figure, stats)):>30}   {LABELS[q.baseline]:<{lw}} "
                       f"{fmt_rate(rate_of(q.baseline, stats)):>30} {fmt_ratio(rate_ratio(q, stats)):>7}")
    if LOOP_RATIO.figure in stats and LOOP_RATIO.baseline in stats:
        out.append(f"{'fig 6':<9}{LABELS[LOOP_RATIO.figure]:<{lw}} {stats[LOOP_RATIO.figure].median_us:>9.1f} µs   "
                   f"{LABELS[LOOP_RATIO.baseline]:<{lw}} {stats[LOOP_RATIO.baseline].median_us:>9.1f} µs   "
                   f"asyncio/uvloop = {fmt_ratio(ratio_of(LOOP_RATIO, stats))}")
    for key, secs in (waited or {}).items():
        if key in stats:
            out.append(f"{'':9}{LABELS[key]}: the ManualClock moved {secs * 1e3:.1f} ms per op to fire timers the "
                       f"transfer waited on (free in the figure; real time would add it)")
    if scale is not None:
        out += ["", f"{'fig 5':<9}scale: {scale['connections']:,} established TCP connections in one socketlabd "
                f"({scale['processes']} processes): accept rate {scale['accept_rate']:,.0f} connections/s; daemon RSS "
                f"{scale['rss_before_kib'] / 1024:.1f} -> {scale['rss_after_kib'] / 1024:.1f} MiB = "
                f"{scale['bytes_per_socket'] / 1024:.1f} KiB per idle socket (target <= 8 KiB)"]
    out += ["", summary(stats, scale)]
    out += [
        "",
        f"{'':9}{'every figure':<{lw}} {'n':>6} {'median':>9} {'p99':>9} {'mean':>9} {'min':>9} "
        f"{'cpu bench':>10} {'cpu server':>10}",
    ]
    for key in DETAIL:
        if key in stats:
            s = stats[key]
            out.append(f"{'':9}{LABELS[key]:<{lw}} {s.n:>6} {s.median_us:>9.1f} {s.p99_us:>9.1f} "
                       f"{s.mean_us:>9.1f} {s.min_us:>9.1f} {_cpu(s.client_cpu_us):>10} {_cpu(s.server_cpu_us):>10}")
    if "udp_veth_pair" in stats and "host_udp_pair" in stats:
        emu, host = 1e6 / stats["udp_veth_pair"].median_us, 1e6 / stats["host_udp_pair"].median_us
        out += ["", f"{'udp pps':<9}in-process, 2 emulated hosts over veth: {emu:,.0f} packets/s; host kernel UDP over "
                f"loopback: {host:,.0f} packets/s; emulated/host = {fmt_ratio(emu / host)}"]
    out += [
        "",
        "cpu bench = CPU µs per op of the bench process (all its threads: the caller's, the client's loop, grpc's); "
        "cpu server = of the server subprocess (clock-tick resolution).",
        f"load average at the end: {_loadavg()} on {os.cpu_count()} CPUs (other work on the machine inflates "
        "every figure).",
    ]
    return "\n".join(out)


def summary(stats: dict[str, Stats], scale: dict[str, Any] | None) -> str:
    """Issue 8's table: figure, baseline, ratio, target (markdown, as the README shows it)."""
    rows = ["| # | figure | baseline (same run) | ratio | target | |", "| --- | --- | --- | --- | --- | --- |"]
    lat = RATIOS[0]
    if lat.figure in stats and lat.baseline in stats:
        x = ratio_of(lat, stats)
        rows.append(f"| 1 | {LABELS[lat.figure]}: {stats[lat.figure].median_us:.0f} µs | {LABELS[lat.baseline]}: "
                    f"{stats[lat.baseline].median_us:.0f} µs | {fmt_ratio(x)} | <= 2.5x | "
                    f"{'met' if x <= 2.5 else 'not met'} |")
    uni = RATIOS[1]
    if uni.figure in stats and uni.baseline in stats:
        rows.append(f"| 1 | (same) | {LABELS[uni.baseline]}: {stats[uni.baseline].median_us:.0f} µs | "
                    f"{fmt_ratio(ratio_of(uni, stats))} | report | |")
    for q in RATES:
        if q.figure in stats and q.baseline in stats and q.figure_no != 6:
            rows.append(f"| {q.figure_no} | {LABELS[q.figure]}: {rate_of(q.figure, stats) * 8 / 1e9:.3f} Gbit/s | "
                        f"{LABELS[q.baseline]}: {rate_of(q.baseline, stats) * 8 / 1e9:.3f} Gbit/s | "
                        f"{fmt_ratio(rate_ratio(q, stats))} | {q.target} | {_met(q, stats)} |")
    udp = RATIOS[3]
    if udp.figure in stats and udp.baseline in stats:
        emu, host = 1e6 / stats[udp.figure].median_us, 1e6 / stats[udp.baseline].median_us
        rows.append(f"| 3 | UDP 64 B over veth, in-process: {emu:,.0f} pkt/s | host kernel UDP loopback: "
                    f"{host:,.0f} pkt/s | {fmt_ratio(emu / host)} | >= 200k pkt/s | "
                    f"{'met' if emu >= 200_000 else 'not met'} |")
    if scale is not None:
        per = scale["bytes_per_socket"] / 1024
        rows.append(f"| 5 | {scale['connections']:,} idle TCP connections: {per:.1f} KiB per socket, accept "
                    f"{scale['accept_rate']:,.0f} conn/s | daemon RSS before: {scale['rss_before_kib'] / 1024:.1f} "
                    f"MiB | - | <= 8 KiB/socket | {'met' if per <= 8 else 'not met'} |")
    if LOOP_RATIO.figure in stats and LOOP_RATIO.baseline in stats:
        rows.append(f"| 6 | fig 1 on asyncio socketlabd: {stats[LOOP_RATIO.figure].median_us:.0f} µs | on uvloop: "
                    f"{stats[LOOP_RATIO.baseline].median_us:.0f} µs | {fmt_ratio(ratio_of(LOOP_RATIO, stats))} "
                    f"(asyncio/uvloop time) | uvloop if > 1x | |")
    for q in RATES:
        if q.figure in stats and q.baseline in stats and q.figure_no == 6:
            rows.append(f"| 6 | {LABELS[q.figure]} (uvloop): {rate_of(q.figure, stats) * 8 / 1e9:.3f} Gbit/s | "
                        f"{LABELS[q.baseline]}: {rate_of(q.baseline, stats) * 8 / 1e9:.3f} Gbit/s | "
                        f"{fmt_ratio(rate_ratio(q, stats))} (uvloop/asyncio rate) | uvloop if > 1x | |")
    return "issue 8 (targets are informative, never a failure):\n" + "\n".join(rows)


def _cpu(us: float | None) -> str:
    return "-" if us is None else f"{us:.1f}"


def _loadavg() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


def environment() -> dict[str, Any]:
    """Where the figures were taken."""
    import grpc
    import uvloop

    return {
        "python": sys.version.split()[0],
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "loadavg": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
        "grpcio": grpc.__version__,
        "uvloop": uvloop.__version__,
    }


def document(mode: str, budget: Budget, stats: dict[str, Stats], waited: dict[str, float] | None = None,
             scale: dict[str, Any] | None = None) -> dict[str, Any]:
    """The figures, ratios and run settings as a JSON-ready dict."""
    return {
        "throughput": [
            {"figure_no": q.figure_no, "figure": q.figure, "baseline": q.baseline,
             "figure_bytes_per_s": rate_of(q.figure, stats), "baseline_bytes_per_s": rate_of(q.baseline, stats),
             "ratio": rate_ratio(q, stats), "target": q.target}
            for q in RATES if q.figure in stats and q.baseline in stats
        ],
        "virtual_wait_s_per_op": waited or {},
        "scale": scale,
        "mode": mode,
        "payload_bytes": 64,
        "unit": "us",
        "budget": asdict(budget),
        "environment": environment(),
        "figures": {key: {"label": LABELS[key].strip(), **asdict(s)} for key, s in stats.items()},
        "ratios": [
            {"name": r.name, "figure": r.figure, "baseline": r.baseline, "ratio": ratio_of(r, stats),
             "target_max": r.target_max}
            for r in RATIOS
        ],
    }


def write_json(path: Path, doc: dict[str, Any]) -> None:
    """Write ``doc`` to ``path`` (indented, trailing newline)."""
    path.write_text(json.dumps(doc, indent=2) + "\n")
